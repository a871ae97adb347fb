//! Mach-O export trie (`LC_DYLD_INFO` export data, `LC_DYLD_EXPORTS_TRIE`), walked by
//! dyld's rules and no stricter, within fixed bounds.
//!
//! A node is a ULEB128 terminal size, that many bytes of terminal information (flags, then
//! an address, a re-export's ordinal and name, or a stub and a resolver address), a child
//! count byte, and per child a NUL-terminated edge label and the ULEB128 offset of the child
//! from the start of the trie. dyld skips the terminal information by its size, and so do
//! we: what the flags say is not needed to know that a name is exported. An empty trie
//! exports nothing (old ld64 wrote one for slices with no exports).
//!
//! The walk is iterative (no recursion), visits at most as many nodes as the trie has bytes
//! (a node takes at least two, so only a trie whose nodes are shared or cyclic gets there),
//! refuses a child that is already on the path (a cycle), and bounds the depth, the length
//! of one name and the bytes of all names.

/// Bytes of one exported name.
pub(super) const MAX_NAME: usize = 64 * 1024;
/// Bytes of all exported names together.
pub(super) const MAX_NAMES: usize = 32 << 20;
/// Nodes on one path from the root.
const MAX_DEPTH: usize = 4096;

/// Why a trie could not be walked: the message, and whether it is a limit (the trie may be
/// valid but is larger than we read) rather than malformed.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct TrieError {
    pub message: String,
    pub limit: bool,
}

fn malformed(message: impl Into<String>) -> TrieError {
    TrieError {
        message: message.into(),
        limit: false,
    }
}

fn limit(message: impl Into<String>) -> TrieError {
    TrieError {
        message: message.into(),
        limit: true,
    }
}

/// A cursor over the trie bytes.
struct Cursor<'a> {
    trie: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn uleb(&mut self, what: &str) -> Result<u64, TrieError> {
        let mut value = 0u64;
        let mut shift = 0u32;
        loop {
            let byte = *self
                .trie
                .get(self.at)
                .ok_or_else(|| malformed(format!("{what} runs past the end of the trie")))?;
            self.at += 1;
            if shift >= 64 || (shift == 63 && byte & 0x7f > 1) {
                return Err(malformed(format!("{what} does not fit in 64 bits")));
            }
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
        }
    }

    fn byte(&mut self, what: &str) -> Result<u8, TrieError> {
        let byte = *self
            .trie
            .get(self.at)
            .ok_or_else(|| malformed(format!("{what} runs past the end of the trie")))?;
        self.at += 1;
        Ok(byte)
    }

    fn cstr(&mut self) -> Result<&'a [u8], TrieError> {
        let rest = self.trie.get(self.at..).unwrap_or_default();
        let end = memchr::memchr(0, rest)
            .ok_or_else(|| malformed("an edge label runs past the end of the trie"))?;
        self.at += end + 1;
        Ok(rest.get(..end).unwrap_or_default())
    }
}

/// One node on the walk's path: where its remaining children are listed, how many remain,
/// and how long the name was when it was entered.
struct Frame {
    offset: usize,
    next_child: usize,
    children_left: u8,
    name_len: usize,
}

/// The names a trie exports, in trie order. Names are raw bytes, Mach-O underscore included.
pub(super) fn exported_names(trie: &[u8]) -> Result<Vec<Vec<u8>>, TrieError> {
    let mut names = Vec::new();
    if trie.is_empty() {
        return Ok(names);
    }
    let mut name: Vec<u8> = Vec::new();
    let mut total = 0usize;
    let mut visited = 0usize;
    let mut path: Vec<Frame> = Vec::new();
    let mut enter = |offset: usize,
                     name: &[u8],
                     path: &mut Vec<Frame>,
                     names: &mut Vec<Vec<u8>>|
     -> Result<(), TrieError> {
        visited += 1;
        if visited > trie.len() {
            return Err(malformed(
                "the trie visits more nodes than it has bytes: its nodes are shared",
            ));
        }
        if path.len() >= MAX_DEPTH {
            return Err(limit(format!("the trie is deeper than {MAX_DEPTH} nodes")));
        }
        let mut cursor = Cursor { trie, at: offset };
        let terminal_size = cursor.uleb("a node's terminal size")?;
        let terminal_end = usize::try_from(terminal_size)
            .ok()
            .and_then(|size| cursor.at.checked_add(size))
            .filter(|&end| end <= trie.len())
            .ok_or_else(|| {
                malformed(format!(
                    "the node at {offset:#x} has {terminal_size} bytes of terminal information, past the end of the trie"
                ))
            })?;
        if terminal_size > 0 {
            total += name.len();
            if total > MAX_NAMES {
                return Err(limit(format!(
                    "the exported names add up to more than {MAX_NAMES} bytes"
                )));
            }
            names.push(name.to_vec());
        }
        cursor.at = terminal_end;
        let children_left = cursor.byte("a node's child count")?;
        path.push(Frame {
            offset,
            next_child: cursor.at,
            children_left,
            name_len: name.len(),
        });
        Ok(())
    };
    enter(0, &name, &mut path, &mut names)?;
    while let Some(frame) = path.last_mut() {
        if frame.children_left == 0 {
            path.pop();
            continue;
        }
        frame.children_left -= 1;
        name.truncate(frame.name_len);
        let mut cursor = Cursor {
            trie,
            at: frame.next_child,
        };
        let label = cursor.cstr()?;
        let child = cursor.uleb("a child offset")?;
        frame.next_child = cursor.at;
        let child = usize::try_from(child)
            .ok()
            .filter(|&c| c < trie.len())
            .ok_or_else(|| {
                malformed(format!(
                    "a child offset {child:#x} is past the end of the trie"
                ))
            })?;
        if path.iter().any(|f| f.offset == child) {
            return Err(malformed(format!(
                "the child at {child:#x} is its own ancestor: the trie has a cycle"
            )));
        }
        if name.len() + label.len() > MAX_NAME {
            return Err(limit(format!(
                "an exported name is longer than {MAX_NAME} bytes"
            )));
        }
        name.extend_from_slice(label);
        enter(child, &name, &mut path, &mut names)?;
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(trie: &[u8]) -> Vec<String> {
        exported_names(trie)
            .unwrap()
            .into_iter()
            .map(|n| String::from_utf8(n).unwrap())
            .collect()
    }

    #[test]
    fn empty_trie_exports_nothing() {
        assert!(names(&[]).is_empty());
        assert!(names(&[0, 0]).is_empty());
    }

    /// The x86_64 slice of cryptography 2.2's `_padding.abi3.so` (ld64, 2018).
    #[test]
    fn old_ld64_trie() {
        let trie = [
            0x00, 0x01, 0x5f, 0x00, 0x05, 0x00, 0x02, 0x43, 0x72, 0x79, 0x70, 0x74, 0x6f, 0x67,
            0x72, 0x61, 0x70, 0x68, 0x79, 0x5f, 0x63, 0x68, 0x65, 0x63, 0x6b, 0x5f, 0x00, 0x2d,
            0x50, 0x79, 0x49, 0x6e, 0x69, 0x74, 0x5f, 0x5f, 0x70, 0x61, 0x64, 0x64, 0x69, 0x6e,
            0x67, 0x00, 0x5a, 0x00, 0x02, 0x70, 0x6b, 0x63, 0x73, 0x37, 0x5f, 0x70, 0x61, 0x64,
            0x64, 0x69, 0x6e, 0x67, 0x00, 0x50, 0x61, 0x6e, 0x73, 0x69, 0x78, 0x39, 0x32, 0x33,
            0x5f, 0x70, 0x61, 0x64, 0x64, 0x69, 0x6e, 0x67, 0x00, 0x55, 0x03, 0x00, 0xc0, 0x24,
            0x00, 0x03, 0x00, 0xa0, 0x27, 0x00, 0x03, 0x00, 0xa0, 0x29, 0x00, 0x00,
        ];
        assert_eq!(
            names(&trie),
            [
                "_Cryptography_check_pkcs7_padding",
                "_Cryptography_check_ansix923_padding",
                "_PyInit__padding"
            ]
        );
    }

    /// Terminal information is skipped by its size, whatever its flags say: a re-export
    /// (ordinal and name), a stub and resolver, flags dyld does not know, and a terminal
    /// size written as a multi-byte ULEB.
    #[test]
    fn terminal_information_is_skipped_by_size() {
        let mut trie = vec![0x00, 0x04];
        let mut nodes: Vec<(&[u8], Vec<u8>)> = vec![
            (b"_reexported", vec![0x08, 0x01, b'_', b'x', 0x00]),
            (b"_resolved", vec![0x10, 0x10, 0x20]),
            (b"_future", vec![0x7f, 0x01, 0x02, 0x03]),
            (b"_long", vec![0x00, 0x80, 0x01]),
        ];
        // Edges first, children after: compute the offsets.
        let edges_len: usize = nodes.iter().map(|(l, _)| l.len() + 2).sum();
        let mut at = trie.len() + edges_len;
        let mut bodies = Vec::new();
        for (label, info) in &mut nodes {
            trie.extend_from_slice(label);
            trie.push(0);
            trie.push(at as u8);
            let mut body = Vec::new();
            if label == b"_long" {
                // Terminal size 3 written as the two-byte ULEB 0x83 0x00.
                body.extend_from_slice(&[0x83, 0x00]);
            } else {
                body.push(info.len() as u8);
            }
            body.extend_from_slice(info);
            body.push(0);
            at += body.len();
            bodies.push(body);
        }
        for body in bodies {
            trie.extend_from_slice(&body);
        }
        assert_eq!(
            names(&trie),
            ["_reexported", "_resolved", "_future", "_long"]
        );
    }

    #[test]
    fn hostile_tries_are_refused() {
        // A child pointing back at the root.
        let cycle = [0x00, 0x01, b'a', 0x00, 0x00];
        let err = exported_names(&cycle).unwrap_err();
        assert!(err.message.contains("cycle"), "{err:?}");
        // A child past the end, a terminal size past the end, a truncated ULEB.
        for trie in [
            &[0x00, 0x01, b'a', 0x00, 0x40][..],
            &[0x05, 0x00][..],
            &[0x80][..],
            &[0x00, 0x01, b'a'][..],
        ] {
            assert!(!exported_names(trie).unwrap_err().limit, "{trie:?}");
        }
        // Shared nodes: every node lists the next one twice, 2^40 paths. Refused after at
        // most as many visits as bytes. (Offsets are two-byte ULEBs.)
        let mut dag = Vec::new();
        for i in 0..40u16 {
            let next = (i + 1) * 10;
            let off = [0x80 | (next & 0x7f) as u8, (next >> 7) as u8];
            dag.extend_from_slice(&[0x00, 0x02, b'a', 0x00, off[0], off[1]]);
            dag.extend_from_slice(&[b'b', 0x00, off[0], off[1]]);
        }
        dag.extend_from_slice(&[0x01, 0x00, 0x00]);
        let err = exported_names(&dag).unwrap_err();
        assert!(err.message.contains("shared"), "{err:?}");
    }
}
