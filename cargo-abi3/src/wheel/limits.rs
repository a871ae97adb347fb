//! Resource limits for reading untrusted wheels.

/// Bounds on what [`super::WheelArchive`] reads. Every limit that trips is reported as
/// [`super::WheelError::LimitExceeded`] naming the field to raise.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Limits {
    /// Entries in the central directory.
    pub max_members: u64,
    /// Inflated bytes of one member read in full.
    pub max_member_bytes: u64,
    /// Inflated bytes of all members together, declared and actually read.
    pub max_total_bytes: u64,
    /// Inflated:compressed ratio allowed for members larger than
    /// `compression_ratio_min_bytes` (deflate tops out near 1032:1 on all-zero data).
    pub max_compression_ratio: u64,
    /// Members at most this large (inflated) are exempt from the ratio check.
    pub compression_ratio_min_bytes: u64,
    /// `WHEEL` and `METADATA` files.
    pub max_metadata_bytes: u64,
}

pub const KIB: u64 = 1024;
pub const MIB: u64 = 1024 * KIB;
pub const GIB: u64 = 1024 * MIB;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_members: 100_000,
            max_member_bytes: 2 * GIB,
            max_total_bytes: 16 * GIB,
            max_compression_ratio: 1000,
            compression_ratio_min_bytes: MIB,
            max_metadata_bytes: MIB,
        }
    }
}
