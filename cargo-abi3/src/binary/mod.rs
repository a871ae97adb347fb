//! Binary readers: ELF, Mach-O (thin and fat) and PE, each producing the neutral [`Binary`]
//! model. Built on the `object` crate; nothing here panics on hostile input.

mod model;

pub use model::*;

/// Why a file could not be read as a binary.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not an ELF, Mach-O or PE file")]
    UnknownFormat,
    #[error("malformed {format} file: {reason}")]
    Malformed {
        format: &'static str,
        reason: String,
    },
}

/// Reads every image in `data`: one for ELF/PE/thin Mach-O, one per slice for a fat Mach-O.
pub fn read(data: &[u8]) -> Result<Vec<Binary>, ReadError> {
    let _ = data;
    Err(ReadError::UnknownFormat)
}

/// Whether the first bytes of a file look like a binary this module reads.
pub fn looks_like_binary(prefix: &[u8]) -> bool {
    let _ = prefix;
    false
}
