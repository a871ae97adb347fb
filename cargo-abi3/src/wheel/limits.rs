//! Resource limits for reading untrusted wheels.

use std::sync::atomic::{AtomicU64, Ordering};

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
    /// Where this run's reads count what they streamed and held (`CARGO_ABI3_READ_STATS`);
    /// off by default: then nothing is counted.
    #[serde(skip)]
    pub read_stats: ReadStats,
}

/// A run's read counters, shared by the reads made with one [`Limits`] (never compared).
#[derive(Clone, Debug, Default)]
pub struct ReadStats(pub Option<std::sync::Arc<ReadCounters>>);

impl ReadStats {
    /// Counters for one run; `per_member` also prints a line per member read.
    pub fn on(per_member: bool) -> Self {
        ReadStats(Some(std::sync::Arc::new(ReadCounters {
            per_member,
            ..ReadCounters::default()
        })))
    }
}

impl PartialEq for ReadStats {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ReadStats {}

/// How the sparse member reads of a run went.
#[derive(Debug, Default)]
pub struct ReadCounters {
    pub members: AtomicU64,
    pub streamed: AtomicU64,
    pub held: AtomicU64,
    pub declared: AtomicU64,
    pub extra_passes: AtomicU64,
    pub fallbacks: AtomicU64,
    /// Print each member's statistics too.
    pub per_member: bool,
}

impl ReadCounters {
    /// Counts one member read.
    pub fn record(
        &self,
        declared: u64,
        streamed: u64,
        held: u64,
        extra_passes: u64,
        fallbacks: u64,
    ) {
        let add = |c: &AtomicU64, v: u64| {
            c.fetch_add(v, Ordering::Relaxed);
        };
        add(&self.members, 1);
        add(&self.streamed, streamed);
        add(&self.held, held);
        add(&self.declared, declared);
        add(&self.extra_passes, extra_passes);
        add(&self.fallbacks, fallbacks);
    }

    /// One line for stderr.
    pub fn summary(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "sparse reads: {} members, {} MB declared, {} MB inflated, {} MB held; {} extra passes, {} full-read fallbacks",
            get(&self.members),
            get(&self.declared) / 1_000_000,
            get(&self.streamed) / 1_000_000,
            get(&self.held) / 1_000_000,
            get(&self.extra_passes),
            get(&self.fallbacks),
        )
    }
}

/// A [`Limits`] field, as [`super::WheelError::LimitExceeded`] names the one to raise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Setting {
    MaxMembers,
    MaxMemberBytes,
    MaxTotalBytes,
    MaxCompressionRatio,
    MaxMetadataBytes,
}

impl Setting {
    /// The field's name (`max_total_bytes`).
    pub fn field(self) -> &'static str {
        match self {
            Setting::MaxMembers => "max_members",
            Setting::MaxMemberBytes => "max_member_bytes",
            Setting::MaxTotalBytes => "max_total_bytes",
            Setting::MaxCompressionRatio => "max_compression_ratio",
            Setting::MaxMetadataBytes => "max_metadata_bytes",
        }
    }

    /// The `cargo abi3 audit` option that raises it.
    pub fn flag(self) -> &'static str {
        match self {
            Setting::MaxMembers => "`--max-members N`",
            Setting::MaxMemberBytes => "`--max-member-size MIB`",
            Setting::MaxTotalBytes => "`--max-total-size MIB`",
            Setting::MaxCompressionRatio => "`--max-compression-ratio N`",
            Setting::MaxMetadataBytes => "`--max-metadata-size MIB`",
        }
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.field())
    }
}

/// Compares by field name (`setting == "max_members"`).
impl PartialEq<&str> for Setting {
    fn eq(&self, other: &&str) -> bool {
        self.field() == *other
    }
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
            read_stats: ReadStats::default(),
        }
    }
}
