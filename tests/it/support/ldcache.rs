//! `/etc/ld.so.cache` files in glibc's "glibc-ld.so.cache1.1" format, written the way
//! `ldconfig` lays them out: the 48-byte header, the 24-byte entries, then the strings.

const MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
const HEADER: usize = 48;
const ENTRY: usize = 24;

/// `FLAG_ELF_LIBC6 | FLAG_X8664_LIB64`, what `ldconfig` writes for x86_64 libraries.
pub const X86_64: u32 = 0x0303;

/// The cache flags of the machine's own libraries (`None` where the tests do not know them).
pub fn native_flags() -> Option<u32> {
    match std::env::consts::ARCH {
        "x86_64" => Some(X86_64),
        "aarch64" => Some(0x0a03),
        _ => None,
    }
}

/// A cache of `(flags, soname, path)` entries, in this order.
pub fn ld_so_cache(entries: &[(u32, &str, &str)]) -> Vec<u8> {
    let table_end = HEADER + entries.len() * ENTRY;
    let mut strings = Vec::new();
    let mut table = Vec::new();
    for (flags, key, value) in entries {
        let k = table_end + strings.len();
        strings.extend(key.as_bytes());
        strings.push(0);
        let v = table_end + strings.len();
        strings.extend(value.as_bytes());
        strings.push(0);
        table.extend(flags.to_le_bytes());
        table.extend((k as u32).to_le_bytes());
        table.extend((v as u32).to_le_bytes());
        table.extend(0u32.to_le_bytes()); // osversion
        table.extend(0u64.to_le_bytes()); // hwcap
    }
    header(entries.len() as u32, strings.len() as u32, table, strings)
}

/// A hostile cache: `count` entries whose soname and path all point at one string of
/// `string_len` bytes (shared, so the file stays small while naive parsing copies it
/// `2 * count` times).
pub fn shared_string_cache(count: u32, flags: u32, string_len: usize) -> Vec<u8> {
    let string_at = (HEADER + count as usize * ENTRY) as u32;
    let mut table = Vec::with_capacity(count as usize * ENTRY);
    for _ in 0..count {
        table.extend(flags.to_le_bytes());
        table.extend(string_at.to_le_bytes());
        table.extend(string_at.to_le_bytes());
        table.extend(0u32.to_le_bytes());
        table.extend(0u64.to_le_bytes());
    }
    let mut strings = vec![b'a'; string_len];
    strings.push(0);
    header(count, strings.len() as u32, table, strings)
}

fn header(count: u32, strings_len: u32, table: Vec<u8>, strings: Vec<u8>) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend(count.to_le_bytes());
    out.extend(strings_len.to_le_bytes());
    out.push(2); // flags: little-endian
    out.extend([0; 3]);
    out.extend([0; 16]); // extension offset, unused
    assert_eq!(out.len(), HEADER);
    out.extend(table);
    out.extend(strings);
    out
}
