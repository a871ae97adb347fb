//! The run's memory budget for remote wheels, shared by every parallel fetch.
//!
//! Two things a remote audit holds grow with what a server sends, not with `--jobs`:
//! - a member being read holds up to [`crate::binary::MAX_HELD`] of what its readers asked for,
//!   plus one fetch window and its copy of the zip directory;
//! - a wheel keeps its zip directory (the *tail*) in memory while its members are read.
//!
//! Each member read first takes a [`Permit`] for the most it can hold (its declared size, at
//! most `MAX_HELD`, plus the window and twice the directory) from [`Budget::members`], and
//! waits while the others hold the rest. The wait cannot deadlock: a member read holds its
//! permit only while it reads, and never waits for other work meanwhile. A wheel's directory
//! beyond the first request takes bytes from [`Budget::tails`] without waiting (a wheel holds
//! its tail while its members run, so waiting there could wait for itself): a directory that
//! does not fit in what is left is refused with an error that says why, and the `.dist-info`
//! files, which are only kept to save a request, are then not kept.
//!
//! A member is judged by the rules on its reading thread, under its permit, and its model is
//! dropped there (`crate::audit::audit_wheel_with`): what outlives the permit is its report
//! and linking data, never the model the bytes became.
//!
//! So the bytes held at once are at most `MEMBER_BUDGET + TAIL_BUDGET` plus one first request
//! (at most [`super::source::TAIL`], then at most [`super::source::SMALL_FILE`] of a small
//! wheel's binaries taken from [`Budget::tails`]) per wheel being opened, whatever `--jobs` is; and
//! members are read on two threads, so the allocator keeps at most two hostile members'
//! worth of freed memory ([`read_pool`]).

use std::sync::{Condvar, Mutex, PoisonError};

/// Bytes all member reads may hold at once: one hostile member at [`crate::binary::MAX_HELD`]
/// and its window, or many real ones (the largest real member holds 14.5 MB).
pub const MEMBER_BUDGET: u64 = 48 << 20;
/// Bytes of zip directories (beyond each wheel's first request) all wheels may hold at once.
pub const TAIL_BUDGET: u64 = 16 << 20;

/// Most parallel fetches (`--jobs` above this is lowered to it). A fetch thread holds a first
/// request of [`super::source::TAIL`] bytes; what it fetches beyond counts against
/// [`Budget::tails`], and member reads run [`INLINE_READS`] at once on the fetch threads
/// (members of at most [`INLINE_MEMBER`]) or on [`READS`] threads, whatever this is.
pub const MAX_JOBS: usize = 16;
/// Threads members are read on: as many as local reads run on
/// ([`crate::audit::MAX_PARALLEL_READS`]), whatever `--jobs` is.
pub const READS: usize = crate::audit::MAX_PARALLEL_READS;

/// Runs a member read on one of the [`READS`] threads members are read on.
///
/// The budget bounds the bytes held at once, but not what the allocator keeps: glibc raises
/// its mmap threshold to the largest block freed, after which big blocks come from the
/// thread's arena and stay there when freed, so every thread that once read a large member
/// keeps about that much (measured: eight hostile 16 MB reads on sixteen threads peaked at
/// 137 MB; the eleven releases of the 2022 set peaked at 78, 101 and 119 MB at 2, 6 and 12
/// reading threads). Reading members on two threads keeps that to two arenas, as for local
/// reads; the `--jobs` fetch threads open wheels (the first request, the directory, and a
/// small wheel's binaries) and wait for their members' reads. Small wheels' binaries are
/// then read from memory, and large members are bandwidth-bound anyway.
pub fn read_pool<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    static POOL: std::sync::OnceLock<Option<rayon::ThreadPool>> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(READS)
            .thread_name(|i| format!("cargo-abi3-member-read-{i}"))
            .build()
            .ok()
    });
    match pool {
        Some(pool) => pool.install(f),
        None => f(),
    }
}

/// Members of at most this declared (inflated) size are read on the fetch thread that opened
/// their wheel ([`read_member`]): every binary of nh3 0.3.8 (1.7–4.0 MB) and most real ones.
pub const INLINE_MEMBER: u64 = 4 << 20;

/// Member reads that run at once on the fetch threads, whatever `--jobs` is: a read holds
/// what its permit covers and also the model the bytes become, which the permit does not
/// count, so their number is bounded here. Opening wheels (the first request, the directory,
/// a small wheel's one range) is not: that is where `--jobs` buys round trips.
pub const INLINE_READS: u64 = 8;

/// Reads a member of declared size `size` from a ranged wheel: on the calling fetch thread
/// when it is at most [`INLINE_MEMBER`] (at most [`INLINE_READS`] at once), else on the
/// [`READS`] threads of [`read_pool`].
///
/// A remote read waits on the network for most of its time (one round trip per window, three
/// to five a member): on two threads, a release's members were fetched two round trips at a
/// time, however many `--jobs`, and one slow file at the end of the queue became the run's
/// tail (nh3 0.3.8 under load: its riscv64 wheel's three windows at 60–110 ms each, after
/// the other fifteen members). Read on the fetch threads, eight at a time, the members'
/// round trips overlap; a hostile member (up to [`crate::binary::MAX_HELD`]) still goes to
/// the two reading threads.
pub fn read_member<T: Send>(size: u64, f: impl FnOnce() -> T + Send) -> T {
    static INLINE: Budget = Budget::new(INLINE_READS);
    if size <= INLINE_MEMBER {
        let _slot = INLINE.acquire(1);
        f()
    } else {
        read_pool(f)
    }
}

/// A weighted semaphore over bytes.
#[derive(Debug)]
pub struct Budget {
    cap: u64,
    used: Mutex<u64>,
    freed: Condvar,
}

/// Bytes taken from a [`Budget`], given back when dropped.
#[derive(Debug)]
pub struct Permit<'a> {
    budget: &'a Budget,
    bytes: u64,
}

impl Budget {
    pub const fn new(cap: u64) -> Budget {
        Budget {
            cap,
            used: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// The budget for member reads, shared by the whole run.
    pub fn members() -> &'static Budget {
        static MEMBERS: Budget = Budget::new(MEMBER_BUDGET);
        &MEMBERS
    }

    /// The budget for kept zip directories, shared by the whole run.
    pub fn tails() -> &'static Budget {
        static TAILS: Budget = Budget::new(TAIL_BUDGET);
        &TAILS
    }

    pub fn cap(&self) -> u64 {
        self.cap
    }

    /// Bytes held now.
    pub fn used(&self) -> u64 {
        *self.used.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes `bytes` (at most the whole budget), waiting until they are free.
    pub fn acquire(&self, bytes: u64) -> Permit<'_> {
        let bytes = bytes.min(self.cap);
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        while *used + bytes > self.cap {
            used = self
                .freed
                .wait(used)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *used += bytes;
        Permit {
            budget: self,
            bytes,
        }
    }

    /// Takes `bytes` if they are free now.
    pub fn try_acquire(&self, bytes: u64) -> Option<Permit<'_>> {
        let mut used = self.used.lock().unwrap_or_else(PoisonError::into_inner);
        if used.saturating_add(bytes) > self.cap {
            return None;
        }
        *used += bytes;
        Some(Permit {
            budget: self,
            bytes,
        })
    }
}

impl Permit<'_> {
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Adds `other`'s bytes to this permit.
    pub fn merge(&mut self, other: Permit<'_>) {
        self.bytes += other.bytes;
        std::mem::forget(other);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut used = self
            .budget
            .used
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *used = used.saturating_sub(self.bytes);
        drop(used);
        self.budget.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// However many fetch threads there are, at most [`INLINE_READS`] small members are read
    /// at once (each also holds its model, which no permit counts).
    #[test]
    fn small_member_reads_run_at_most_inline_reads_at_once() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let running = AtomicU64::new(0);
        let peak = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for _ in 0..32 {
                scope.spawn(|| {
                    read_member(INLINE_MEMBER, || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    });
                });
            }
        });
        let peak = peak.load(Ordering::SeqCst);
        assert!((2..=INLINE_READS).contains(&peak), "{peak} at once");
    }

    #[test]
    fn permits_wait_for_each_other_and_never_exceed_the_cap() {
        let budget = std::sync::Arc::new(Budget::new(100));
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        std::thread::scope(|s| {
            for i in 0..8u64 {
                let (budget, peak) = (&budget, &peak);
                s.spawn(move || {
                    for _ in 0..50 {
                        let permit = budget.acquire(30 + i * 10);
                        peak.fetch_max(budget.used(), std::sync::atomic::Ordering::Relaxed);
                        assert!(permit.bytes() <= 100);
                        std::thread::yield_now();
                    }
                });
            }
        });
        assert!(peak.load(std::sync::atomic::Ordering::Relaxed) <= 100);
        assert_eq!(budget.used(), 0);
        // More than the cap is capped (one holder at a time), never a wait forever.
        let all = budget.acquire(1000);
        assert_eq!(all.bytes(), 100);
        assert!(budget.try_acquire(1).is_none());
        drop(all);
        assert!(budget.try_acquire(100).is_some());
    }
}
