//! A cheap look at the end-of-central-directory record, so an archive that declares millions
//! of entries is refused before the zip crate allocates for them.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{Read, Seek, SeekFrom};

const EOCD_SIG: &[u8; 4] = b"PK\x05\x06";
const EOCD_LEN: usize = 22;
const ZIP64_LOCATOR_SIG: &[u8; 4] = b"PK\x06\x07";
const ZIP64_LOCATOR_LEN: usize = 20;
const ZIP64_EOCD_SIG: &[u8; 4] = b"PK\x06\x06";
const ZIP64_EOCD_LEN: usize = 56;

/// The entry count the (zip64) end-of-central-directory record declares, or `None` when it
/// cannot be found cheaply (the zip crate then has the last word). Leaves the reader anywhere.
pub(crate) fn declared_entry_count<R: Read + Seek>(r: &mut R) -> Option<u64> {
    let len = r.seek(SeekFrom::End(0)).ok()?;
    let tail_len = len.min((EOCD_LEN + u16::MAX as usize) as u64);
    r.seek(SeekFrom::Start(len - tail_len)).ok()?;
    let mut tail = vec![0u8; usize::try_from(tail_len).ok()?];
    r.read_exact(&mut tail).ok()?;

    let last_start = tail.len().checked_sub(EOCD_LEN)?;
    let pos = (0..=last_start)
        .rev()
        .find(|&p| tail.get(p..p + 4) == Some(EOCD_SIG.as_slice()))?;
    let count = u16_at(&tail, pos + 10)?;
    if count != u16::MAX {
        return Some(u64::from(count));
    }
    // Zip64: the locator sits just before the EOCD and points at the zip64 EOCD record.
    let loc = pos.checked_sub(ZIP64_LOCATOR_LEN)?;
    if tail.get(loc..loc + 4) != Some(ZIP64_LOCATOR_SIG.as_slice()) {
        return None;
    }
    let record = u64_at(&tail, loc + 8)?;
    r.seek(SeekFrom::Start(record)).ok()?;
    let mut rec = [0u8; ZIP64_EOCD_LEN];
    r.read_exact(&mut rec).ok()?;
    if rec.get(..4) != Some(ZIP64_EOCD_SIG.as_slice()) {
        return None;
    }
    u64_at(&rec, 32)
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn short_and_junk_inputs() {
        for data in [&b""[..], b"PK\x05\x06", b"not a zip at all, just text"] {
            assert_eq!(declared_entry_count(&mut Cursor::new(data)), None);
        }
        let mut eocd = b"PK\x05\x06".to_vec();
        eocd.extend([0, 0, 0, 0, 7, 0, 7, 0]);
        eocd.extend([0; 10]);
        assert_eq!(
            declared_entry_count(&mut Cursor::new(eocd.clone())),
            Some(7)
        );
        eocd[8..12].copy_from_slice(&[0xff; 4]);
        // 0xFFFF without a zip64 locator: unknown.
        assert_eq!(declared_entry_count(&mut Cursor::new(eocd)), None);
    }
}
