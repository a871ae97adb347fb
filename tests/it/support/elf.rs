//! Hand-built ELF images for the tests that need a structure no compiler writes.

/// Writes `bytes` at `at`, growing `buf` as needed.
pub fn put(buf: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    if buf.len() < at + bytes.len() {
        buf.resize(at + bytes.len(), 0);
    }
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

/// The first 0x1000 bytes of an x86_64 ELF shared object of `total` bytes: one read-only
/// PT_LOAD over the whole file and a PT_DYNAMIC at 0x1000 claiming `dyn_size` bytes (the
/// caller writes the dynamic entries, if any, from 0x1000 on).
pub fn dynamic_head(total: u64, dyn_size: u64) -> Vec<u8> {
    let mut h = Vec::new();
    put(&mut h, 0, b"\x7fELF\x02\x01\x01");
    put(&mut h, 0x10, &3u16.to_le_bytes()); // ET_DYN
    put(&mut h, 0x12, &62u16.to_le_bytes()); // EM_X86_64
    put(&mut h, 0x14, &1u32.to_le_bytes());
    put(&mut h, 0x20, &64u64.to_le_bytes()); // e_phoff
    put(&mut h, 0x34, &64u16.to_le_bytes()); // e_ehsize
    put(&mut h, 0x36, &56u16.to_le_bytes()); // e_phentsize
    put(&mut h, 0x38, &2u16.to_le_bytes()); // e_phnum
    put(&mut h, 0x3a, &64u16.to_le_bytes()); // e_shentsize
    // PT_LOAD, R: offset 0, vaddr 0, filesz = memsz = total.
    put(&mut h, 64, &1u32.to_le_bytes());
    put(&mut h, 68, &4u32.to_le_bytes());
    put(&mut h, 64 + 32, &total.to_le_bytes());
    put(&mut h, 64 + 40, &total.to_le_bytes());
    // PT_DYNAMIC at 0x1000.
    put(&mut h, 120, &2u32.to_le_bytes());
    put(&mut h, 124, &6u32.to_le_bytes());
    put(&mut h, 120 + 8, &0x1000u64.to_le_bytes());
    put(&mut h, 120 + 16, &0x1000u64.to_le_bytes());
    put(&mut h, 120 + 32, &dyn_size.to_le_bytes());
    put(&mut h, 120 + 40, &dyn_size.to_le_bytes());
    h.resize(0x1000, 0);
    h
}
