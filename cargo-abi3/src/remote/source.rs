//! A wheel on an HTTP server, read through `Range` requests as a `Read + Seek` source.
//!
//! [`RemoteFile::open`] fetches the end of the file (a suffix range, which also tells the
//! size): the last [`TAIL`] bytes, or less for a small file ([`first_request`]), then as much
//! more as the zip directory needs; that tail is kept and shared by every [`RangeSource`]
//! over the file, so the directory and the `.dist-info` files (written last by every wheel
//! builder) are fetched once. `WHEEL` and `METADATA` before the tail are fetched with it when
//! they reach it, else on their own (kept beside it), so the members between them and the
//! directory (licences, SBOMs, `RECORD`) are not fetched. A file of at most [`SMALL_FILE`]
//! whose shared objects and metadata sit together before the tail gets them in one more
//! request, on the thread that opened it (`small_file_plan`), which stops before the last
//! 15% of its last binary when that is an ELF or PE (`cut_last_binary`: an unstripped ELF's
//! symbol tables, a PE's relocations, needed by no reader; the reader asks for the rest when
//! it needs it); when its metadata is apart from
//! its binaries but near the end (where an 8 KiB first request would have held it), the two
//! ranges are fetched at the same time. A small file with data beside its binaries does not
//! (its binaries are streamed like any other). Members are read
//! sequentially from their local header by the streaming readers; a [`RangeSource`] fetches
//! them in a forward-growing window (256 KiB, doubling up to 1 MiB: eight parallel reads hold
//! at most 8 MiB of windows), never past the end of the member (the next local header or the
//! directory), and the reader stops asking once it has what it needs. The streaming reader
//! says how far it still needs to go ([`crate::binary::stream_progress`]: known once a
//! binary's headers are read, e.g. a PE's last import or export directory, an ELF's last
//! segment): the windows are then 1 MiB at once, sized by the compression ratio seen so far,
//! and shrink as the stream nears that point, so the last one no longer runs on to the
//! member's end.
//!
//! A server that answers the first request with the whole file (it ignores `Range`) is
//! downloaded into a temporary file, checked against the index's sha256, and read locally.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use sha2::Digest as _;

use super::RemoteError;
use super::budget::{Budget, Permit};
use super::http::Client;

/// The first request: the last 8 KiB (the end record and, for most wheels, the whole
/// directory, `RECORD` and often `WHEEL` and `METADATA`). Kept small because what precedes
/// the `.dist-info` files is usually the end of a binary, which a PE reader does not need
/// (64 KiB fetched 29 kB of nh3's `.pyd` for nothing, 5% of its floor); a larger directory
/// or metadata costs one more request.
pub const TAIL: u64 = 8 * 1024;
/// A file of less than [`TAIL_SHARE`] × [`TAIL`] bytes (384 KiB) gets a smaller first
/// request: 1/`TAIL_SHARE` of it, at least [`MIN_TAIL`] ([`first_request`]). Measured
/// (fetched/floor, requests) at 1/32, 1/48, 1/64: gdp 0.1.1 1.062 in 4, 1.047 in 5, 1.044 in
/// 6; refl1d 0.8.14 1.175, 1.103, 1.091 (its directory no longer fits: one more round trip);
/// bcrypt 4.3.0 in 60, 60, 76 requests (at 1/64 its Linux wheels' metadata misses it too; measured with a 2 KiB least).
pub const TAIL_SHARE: u64 = 48;
/// The smallest first request: also the first step of the search for an end record behind
/// a zip comment (`wheel::zip`), so a short comment costs no request.
pub const MIN_TAIL: u64 = 4 * 1024;
/// A file of at most this size whose likely-read members are together before the tail gets
/// them in one request (`small_file_plan`) instead of windows on the reading threads.
pub const SMALL_FILE: u64 = 512 * 1024;
/// The smallest and largest window of one ranged read of a member.
pub const MIN_WINDOW: u64 = 256 * 1024;
pub const MAX_WINDOW: u64 = 1024 * 1024;
/// The first window of a member streamed with a hint (see [`RangeSource`]): its headers.
pub const FIRST_STEP: u64 = 64 * 1024;
/// A hinted window: the estimated compressed bytes left, plus 1/`HINT_MARGIN` of them, plus
/// `HINT_SLACK`; at least `MIN_STEP` (and a window that would leave less than `HINT_SLACK`
/// of the member runs on to its end).
const HINT_MARGIN: u64 = 32;
const HINT_NEAR: u64 = 32 * 1024;
/// A small file's members likely read are fetched in one range when at most this part of
/// the range is other members (`small_file_plan`).
const SPAN_WASTE: u64 = 20;
/// The most bytes of other members between a small file's binaries and its metadata that are
/// fetched to join them in one range: about what a request's headers cost.
const JOIN_GAP: u64 = 1024;
const HINT_SLACK: u64 = 2 * 1024;
/// Right after a small file's one range, a hinted window takes the whole estimate (not
/// three quarters of it) once the compression ratio was seen over at least this many times
/// the compressed bytes estimated left ([`RangeSource::hinted_end`]).
const SEEN_SHARE: u128 = 4;
/// The part of a small file's last binary left out of its one range, in percent of its
/// compressed size, and the least that is worth a possible request (`cut_last_binary`).
const CUT_PERCENT: u64 = 15;
const MIN_CUT: u64 = 16 * 1024;
/// A member the reader needs all of but at most 1/`WHOLE_SHARE` of it, or [`WHOLE_REST`]
/// bytes, is fetched as if needed whole.
const WHOLE_SHARE: u64 = 64;
const WHOLE_REST: u64 = 8 * 1024;
const MIN_STEP: u64 = 8 * 1024;
/// The zip directory (and the tail kept with it) may be at most this large: the run's
/// budget for directories ([`Budget::tails`]).
pub const MAX_TAIL: u64 = super::budget::TAIL_BUDGET;
/// `WHEEL` and `METADATA` are fetched ahead of their reads (added to the tail, or kept beside
/// it) when they start at most this far before the tail.
const METADATA_REACH: u64 = 1024 * 1024;

/// A remote file that honours `Range`.
#[derive(Debug)]
pub struct RemoteFile {
    client: Arc<Client>,
    url: String,
    size: u64,
    /// Bytes `[start, size)`: the end of the file, the directory, often the metadata.
    tail: RwLock<Arc<Tail>>,
    /// Ranges fetched before the tail and kept beside it, sorted: the `WHEEL` and `METADATA`
    /// members when they end before the tail does not start (`prepare`), without the members
    /// between them and the tail, and a small file's binaries (`small_file_plan`).
    kept: RwLock<Arc<Vec<Arc<Tail>>>>,
    /// Sorted offsets where a member's data cannot continue (local headers, the directory):
    /// a window never crosses one.
    boundaries: RwLock<Arc<Vec<u64>>>,
    fetched: AtomicU64,
    requests: AtomicU64,
    /// Most bytes fetched from this file in all (members may be streamed more than once).
    budget: u64,
    /// The index's sha256 and the most a whole download may be: used when the server stops
    /// honouring `Range` after answering earlier ranges.
    sha256: Option<String>,
    max_size: u64,
    /// The whole file, downloaded and hash-checked, once a range request was answered with
    /// the whole body (200); every later read is served from it.
    whole: std::sync::Mutex<Option<std::fs::File>>,
    /// The tail's bytes beyond the first request, taken from the run's [`Budget::tails`].
    tail_permit: std::sync::Mutex<Option<Permit<'static>>>,
}

#[derive(Debug, Default)]
struct Tail {
    start: u64,
    data: Vec<u8>,
}

/// How a file was opened.
#[derive(Debug)]
pub enum Opened {
    /// Through ranges.
    Ranged(Arc<RemoteFile>),
    /// The server ignored `Range`: the whole file, downloaded and hash-checked.
    Whole { file: std::fs::File, size: u64 },
}

/// Parses `bytes a-b/total`.
pub fn content_range(value: &str) -> Option<(u64, u64, u64)> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let (a, b, total) = (
        a.trim().parse().ok()?,
        b.trim().parse().ok()?,
        total.trim().parse().ok()?,
    );
    (a <= b && b < total).then_some((a, b, total))
}

impl RemoteFile {
    /// Opens `url`: one suffix-range request. `expected_size` and `sha256` come from the
    /// index; `max_size` bounds a whole download.
    pub fn open(
        client: Arc<Client>,
        url: &str,
        expected_size: Option<u64>,
        sha256: Option<&str>,
        max_size: u64,
    ) -> Result<(Opened, u64), RemoteError> {
        let first = first_request(expected_size);
        let range = format!("bytes=-{first}");
        let headers = [("Range", range.as_str()), ("Accept-Encoding", "identity")];
        let mut attempt = 0;
        loop {
            let response = client.get(url, &headers)?;
            if response.status != 206 {
                // The whole file: the server ignores `Range`.
                return download(url, response, expected_size, sha256, max_size)
                    .map(|(file, size)| (Opened::Whole { file, size }, size));
            }
            let bad = |reason: String| RemoteError::BadResponse {
                url: url.to_owned(),
                reason,
            };
            let Some((a, b, total)) = response.content_range.as_deref().and_then(content_range)
            else {
                return Err(bad(format!(
                    "a 206 response with an unusable Content-Range ({:?})",
                    response.content_range
                )));
            };
            if b + 1 != total || total - a > first {
                return Err(bad(format!(
                    "asked for the last {first} bytes, got bytes {a}-{b} of {total}"
                )));
            }
            if let Some(expected) = expected_size
                && expected != total
            {
                return Err(bad(format!(
                    "the file is {total} bytes, but the index says {expected}"
                )));
            }
            let want = total - a;
            let data = read_exact_body(response.body, want);
            response.trace.done(want);
            let data = match data {
                Ok(data) => data,
                Err(got) if attempt < client.options().retries => {
                    let _ = got;
                    attempt += 1;
                    std::thread::sleep(client.backoff(attempt, None));
                    continue;
                }
                Err(got) => {
                    return Err(RemoteError::Truncated {
                        url: url.to_owned(),
                        got,
                        expected: want,
                    });
                }
            };
            if a == 0 {
                // The whole file came in the one range: check it.
                check_hash(url, &sha2::Sha256::digest(&data), sha256)?;
            }
            let file = RemoteFile {
                client,
                url: url.to_owned(),
                size: total,
                tail: RwLock::new(Arc::new(Tail { start: a, data })),
                kept: RwLock::new(Arc::new(Vec::new())),
                boundaries: RwLock::new(Arc::new(vec![total])),
                fetched: AtomicU64::new(want),
                requests: AtomicU64::new(1),
                budget: total.saturating_mul(3).saturating_add(4 * 1024 * 1024),
                sha256: sha256.map(str::to_owned),
                max_size,
                whole: std::sync::Mutex::new(None),
                tail_permit: std::sync::Mutex::new(None),
            };
            return Ok((Opened::Ranged(Arc::new(file)), total));
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Bytes fetched from the server so far, and requests made.
    pub fn fetched(&self) -> (u64, u64) {
        (
            self.fetched.load(Ordering::Relaxed),
            self.requests.load(Ordering::Relaxed),
        )
    }

    /// `false` once the server stopped honouring `Range` and the file was downloaded whole.
    pub fn ranged(&self) -> bool {
        self.whole.lock().map(|w| w.is_none()).unwrap_or(false)
    }

    /// Bytes `[start, end)` of the whole download.
    fn read_whole(file: &mut std::fs::File, start: u64, end: u64) -> io::Result<Vec<u8>> {
        let mut data = vec![0u8; usize::try_from(end - start).map_err(io::Error::other)?];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut data)?;
        Ok(data)
    }

    /// A new reader over the file, at offset 0.
    pub fn cursor(self: &Arc<Self>) -> RangeSource {
        RangeSource {
            file: Arc::clone(self),
            pos: 0,
            buf: Vec::new(),
            buf_start: 0,
            last_window: 0,
            grow_tail: false,
            run_start: 0,
        }
    }

    /// Reads the zip directory (keeping all of it in the tail), then records the members'
    /// boundaries and keeps the `.dist-info` files too when they sit just before the tail.
    pub fn prepare(self: &Arc<Self>, max_members: u64) -> Result<(), io::Error> {
        let mut cursor = self.cursor();
        cursor.grow_tail = true;
        let directory = crate::wheel::zip::read_directory(&mut cursor, max_members)
            .map_err(|e| io::Error::other(e.to_string()))?;
        let mut bounds: Vec<u64> = directory
            .entries
            .iter()
            .flat_map(|e| [e.header_offset, e.end_offset])
            .chain([self.size])
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        *self.boundaries.write().map_err(poisoned)? = Arc::new(bounds);
        let metadata = directory
            .entries
            .iter()
            .filter(|e| crate::wheel::archive::metadata_dir(&e.name).is_some());
        let metadata_start = metadata.clone().map(|e| e.header_offset).min();
        let metadata_end = metadata.map(|e| e.end_offset).max();
        let tail_start = self.tail.read().map_err(poisoned)?.start;
        let plan = (self.size <= SMALL_FILE)
            .then(|| small_file_plan(&directory.entries, self.size, tail_start))
            .flatten();
        let plan = plan.map(|p| cut_last_binary(&directory.entries, p, &self.url));
        if let Some(SmallPlan { span, metadata }) = plan {
            // One request for the binaries (and the metadata beside them), on this (fetching)
            // thread: the members are then read from memory. It ends with the last of them:
            // the members between it and the tail (licences, `RECORD`) are not fetched.
            // Metadata apart from them is fetched at the same time, on another thread: the
            // members between (a licence) are not fetched, and no round trip is added.
            match metadata {
                None => self.fetch_before_tail(span, tail_start)?,
                Some(metadata) => std::thread::scope(|scope| {
                    let other = scope.spawn(|| self.fetch_before_tail(metadata, tail_start));
                    let here = self.fetch_before_tail(span, tail_start);
                    let other = other
                        .join()
                        .unwrap_or_else(|_| Err(io::Error::other("a fetching thread panicked")));
                    here.and(other)
                })?,
            }
        }
        let tail_start = self.tail.read().map_err(poisoned)?.start;
        if plan.is_none()
            && let (Some(start), Some(end)) = (metadata_start, metadata_end)
            && start < tail_start
            && tail_start - start <= METADATA_REACH
        {
            let (start, end) = join_scripts(&directory.entries, (start, end), tail_start);
            if end >= tail_start {
                self.grow_tail_to(start, true)?;
            } else {
                // The members between the metadata and the tail (licences, SBOMs, `RECORD`
                // and other `.dist-info` files, data) are not needed: not fetched.
                self.keep(start, end)?;
            }
        }
        Ok(())
    }

    /// Fetches `[start, end)`: added to the tail when it reaches it, else kept beside it.
    fn fetch_before_tail(&self, (start, end): (u64, u64), tail_start: u64) -> io::Result<()> {
        if end >= tail_start {
            self.grow_tail_to(start, true)
        } else {
            self.keep(start, end)
        }
    }

    /// Fetches `[start, end)` (before the tail) and keeps it in [`RemoteFile::kept`], when the
    /// run's [`Budget::tails`] has room (it only saves requests).
    fn keep(&self, start: u64, end: u64) -> io::Result<()> {
        let Some(permit) = Budget::tails().try_acquire(end.saturating_sub(start)) else {
            return Ok(());
        };
        {
            let mut held = self.tail_permit.lock().map_err(poisoned)?;
            match held.as_mut() {
                Some(held) => held.merge(permit),
                None => *held = Some(permit),
            }
        }
        let data = self.fetch(start, end)?;
        let mut kept = self.kept.write().map_err(poisoned)?;
        let mut ranges = Vec::clone(&kept);
        ranges.push(Arc::new(Tail { start, data }));
        ranges.sort_by_key(|t| t.start);
        *kept = Arc::new(ranges);
        Ok(())
    }

    /// Bytes of the kept tail (the zip directory and what was fetched with it).
    pub fn tail_len(&self) -> u64 {
        self.tail
            .read()
            .map(|t| t.data.len() as u64)
            .unwrap_or(MAX_TAIL)
    }

    /// Extends the kept tail down to `start`. `optional`: only to save requests (the
    /// `.dist-info` files), so not done when the run's [`Budget::tails`] has no room.
    fn grow_tail_to(&self, start: u64, optional: bool) -> io::Result<()> {
        let old = Arc::clone(&*self.tail.read().map_err(poisoned)?);
        if start >= old.start {
            return Ok(());
        }
        if self.size - start > MAX_TAIL {
            return Err(io::Error::other(format!(
                "the zip directory of {} is more than {} MiB, the limit for remote wheels",
                self.url,
                MAX_TAIL >> 20
            )));
        }
        let Some(permit) = Budget::tails().try_acquire(old.start - start) else {
            if optional {
                return Ok(());
            }
            return Err(io::Error::other(format!(
                "the zip directory of {} needs {} more bytes, but the zip directories of the wheels read at once already hold {} of the {} MiB they may (run with fewer `--jobs`)",
                self.url,
                old.start - start,
                Budget::tails().used(),
                Budget::tails().cap() >> 20
            )));
        };
        {
            let mut held = self.tail_permit.lock().map_err(poisoned)?;
            match held.as_mut() {
                Some(held) => held.merge(permit),
                None => *held = Some(permit),
            }
        }
        let mut data = self.fetch(start, old.start)?;
        data.extend_from_slice(&old.data);
        *self.tail.write().map_err(poisoned)? = Arc::new(Tail { start, data });
        Ok(())
    }

    /// Fetches `[start, end)` with one ranged GET (retried when short).
    fn fetch(&self, start: u64, end: u64) -> io::Result<Vec<u8>> {
        let want = end.saturating_sub(start);
        if want == 0 {
            return Ok(Vec::new());
        }
        if let Some(file) = self.whole.lock().map_err(poisoned)?.as_mut() {
            return Self::read_whole(file, start, end);
        }
        let fetched = self.fetched.load(Ordering::Relaxed);
        if fetched.saturating_add(want) > self.budget {
            return Err(io::Error::other(RemoteError::TooLarge {
                url: self.url.clone(),
                what: format!("the bytes fetched from the file ({fetched} so far, {want} more)"),
                limit: self.budget,
            }));
        }
        let range = format!("bytes={start}-{}", end - 1);
        let headers = [("Range", range.as_str()), ("Accept-Encoding", "identity")];
        let mut attempt = 0;
        loop {
            let response = self
                .client
                .get(&self.url, &headers)
                .map_err(io::Error::other)?;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let bad = |reason: String| {
                io::Error::other(RemoteError::BadResponse {
                    url: self.url.clone(),
                    reason,
                })
            };
            if response.status != 206 {
                // The server stopped honouring `Range` (a 200 carries the whole file): download
                // it once, check it against the index's sha256, and read it locally from now on.
                let mut whole = self.whole.lock().map_err(poisoned)?;
                if whole.is_none() {
                    let (file, size) = download(
                        &self.url,
                        response,
                        Some(self.size),
                        self.sha256.as_deref(),
                        self.max_size,
                    )
                    .map_err(io::Error::other)?;
                    self.fetched.fetch_add(size, Ordering::Relaxed);
                    if size != self.size {
                        return Err(bad(format!(
                            "the server stopped honouring Range and sent {size} bytes, but the file was {} bytes",
                            self.size
                        )));
                    }
                    *whole = Some(file);
                }
                let file = whole
                    .as_mut()
                    .ok_or_else(|| bad("the whole download is missing".into()))?;
                return Self::read_whole(file, start, end);
            }
            let expect = (start, end - 1, self.size);
            let got = response.content_range.as_deref().and_then(content_range);
            if got != Some(expect) {
                return Err(bad(format!(
                    "asked for bytes {start}-{} of {}, got Content-Range {:?}",
                    end - 1,
                    self.size,
                    response.content_range
                )));
            }
            match read_exact_body(response.body, want) {
                Ok(data) => {
                    self.fetched.fetch_add(want, Ordering::Relaxed);
                    response.trace.done(want);
                    return Ok(data);
                }
                Err(got) => {
                    self.fetched.fetch_add(got, Ordering::Relaxed);
                    if attempt >= self.client.options().retries {
                        return Err(io::Error::other(RemoteError::Truncated {
                            url: self.url.clone(),
                            got,
                            expected: want,
                        }));
                    }
                    attempt += 1;
                    std::thread::sleep(self.client.backoff(attempt, None));
                }
            }
        }
    }

    /// Where a window starting at `pos` must end at the latest.
    fn boundary_after(&self, pos: u64) -> u64 {
        let bounds = self
            .boundaries
            .read()
            .map(|b| Arc::clone(&b))
            .unwrap_or_default();
        let i = bounds.partition_point(|&b| b <= pos);
        bounds.get(i).copied().unwrap_or(self.size).min(self.size)
    }
}

/// What a small file's reads are given in `prepare`, before the tail: [`small_file_plan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SmallPlan {
    /// The binaries (and the metadata, when beside them): one request.
    span: (u64, u64),
    /// `WHEEL` and `METADATA` apart from the binaries, before the tail: one more request, at
    /// the same time.
    metadata: Option<(u64, u64)>,
}

/// Of a small file of `size` bytes whose directory is `entries`, the ranges before the kept
/// tail (`tail_start`, where they end at the latest) worth fetching before the members are
/// read. The likely-read members (shared objects by name, `WHEEL` and `METADATA`) from the
/// first to the end of the last, when at most 1/[`SPAN_WASTE`] of that is other members
/// (data, sources). When the metadata lies within the last [`TAIL`] bytes (where a first
/// request of that size would have fetched it; a small file's first request is smaller:
/// [`first_request`]), the binaries alone are so judged, and the metadata joins their range
/// when at most [`JOIN_GAP`] bytes of other members lie between them, else it is a range of
/// its own (fetched at the same time: no round trip is added, and the licence usually
/// between them is not fetched). `None`: nothing to fetch, or too much beside it (the
/// binaries are then streamed in windows, the metadata fetched on its own).
fn small_file_plan(
    entries: &[crate::wheel::zip::Entry],
    size: u64,
    tail_start: u64,
) -> Option<SmallPlan> {
    let metadata =
        |e: &crate::wheel::zip::Entry| crate::wheel::archive::metadata_dir(&e.name).is_some();
    let binary = |e: &crate::wheel::zip::Entry| file_name(e).is_shared_object();
    // From the first of the members kept to the end of the last (at most `tail_start`),
    // if at most 1/SPAN_WASTE of it is other members.
    let span = |keep: &dyn Fn(&crate::wheel::zip::Entry) -> bool| {
        let before = || {
            entries
                .iter()
                .filter(|e| keep(e) && e.header_offset < tail_start)
        };
        let start = before().map(|e| e.header_offset).min()?;
        let end = before()
            .map(|e| e.end_offset.min(tail_start))
            .max()?
            .max(start);
        let useful: u64 = before()
            .map(|e| {
                e.end_offset
                    .min(end)
                    .saturating_sub(e.header_offset.max(start))
            })
            .sum();
        let length = end - start;
        (length.saturating_sub(useful) <= length / SPAN_WASTE).then_some((start, end))
    };
    let near_end = entries
        .iter()
        .filter(|e| metadata(e) && e.header_offset < tail_start)
        .map(|e| (e.header_offset, e.end_offset.min(tail_start)))
        .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
        .filter(|&(start, _)| start >= size.saturating_sub(TAIL));
    let Some((m_start, m_end)) = near_end else {
        let span = span(&|e| binary(e) || metadata(e))?;
        return Some(SmallPlan {
            span,
            metadata: None,
        });
    };
    let Some((start, end)) = span(&binary) else {
        return Some(SmallPlan {
            span: (m_start, m_end),
            metadata: None,
        });
    };
    let gap = m_start.max(start).saturating_sub(m_end.min(end));
    Some(if gap <= JOIN_GAP {
        SmallPlan {
            span: (start.min(m_start), end.max(m_end)),
            metadata: None,
        }
    } else {
        SmallPlan {
            span: (start, end),
            metadata: Some((m_start, m_end)),
        }
    })
}

/// A small file's plan whose one range ends before the last [`CUT_PERCENT`] of its last
/// binary's compressed bytes when that binary is an ELF or PE (judged by the wheel's
/// platform tags: not macOS or iOS, whose Mach-O readers need `__LINKEDIT`, at the end) and
/// that part is at least [`MIN_CUT`]. What the loader maps ends before the end of such a
/// file: an unstripped ELF's symbol tables follow it (bcrypt 4.3.0's Linux modules: 12.5% of
/// the compressed member, needed by no reader), a PE's `.pdata`, base relocations and
/// signature follow its last directory. When the reader needs more than the range holds, it
/// asks for it: one more request, sized by the compression ratio seen over the range
/// ([`RangeSource::hinted_end`]), which never runs past the member's end, so the file never
/// costs more bytes than the range to the end did. Metadata that followed the binary in the
/// range becomes a range of its own, fetched at the same time. Measured on the ELF and PE
/// members of 80–700 kB in the benchmark's 259 wheels: bytes over their floor fall from 24%
/// to 16% (ELF) and from 8.8% to 4.5% (PE); about half of them take the one more request.
fn cut_last_binary(entries: &[crate::wheel::zip::Entry], plan: SmallPlan, url: &str) -> SmallPlan {
    let (start, end) = plan.span;
    let file = url.rsplit('/').next().unwrap_or_default();
    let mach_o = crate::wheel::name::WheelName::parse(file).map_or(true, |name| {
        name.platforms().any(|tag| {
            tag.family() == crate::wheel::platform::PlatformFamily::Macos
                || tag.as_str().starts_with("ios")
        })
    });
    if mach_o {
        return plan;
    }
    let last = entries
        .iter()
        .filter(|e| {
            let kind = file_name(e);
            (start..end).contains(&e.header_offset)
                && kind.is_shared_object()
                && kind.suffix != crate::wheel::suffix::SuffixKind::Dylib
        })
        .max_by_key(|e| e.end_offset);
    let Some(last) = last else {
        return plan;
    };
    let cut = last.compressed_size.saturating_mul(CUT_PERCENT) / 100;
    let cut_at = last.end_offset.saturating_sub(cut);
    // Nothing to leave out when the part cut is in the first request already (the range
    // ends where the binary reaches the kept tail).
    if cut < MIN_CUT || cut_at <= last.header_offset || cut_at >= end {
        return plan;
    }
    let span = (start, cut_at);
    match plan.metadata {
        _ if last.end_offset >= end => SmallPlan { span, ..plan },
        // The metadata joined the binary's range: now apart from it, fetched beside it.
        None => SmallPlan {
            span,
            metadata: Some((last.end_offset, end)),
        },
        Some(_) => plan,
    }
}

/// What a directory entry's file name says it is: the plans take shared objects by name.
fn file_name(e: &crate::wheel::zip::Entry) -> crate::wheel::suffix::ExtensionFileName {
    crate::wheel::suffix::ExtensionFileName::parse(e.name.rsplit('/').next().unwrap_or_default())
}

/// The metadata's range `[start, end)` grown over the files installed as scripts next to it
/// (`.data/scripts/`, whose first bytes the audit reads: refl1d puts two just before its
/// `.dist-info`), as long as at most [`JOIN_GAP`] bytes of other members lie between: one
/// range instead of a request each, one after the other.
fn join_scripts(
    entries: &[crate::wheel::zip::Entry],
    (mut start, mut end): (u64, u64),
    tail_start: u64,
) -> (u64, u64) {
    let mut scripts: Vec<(u64, u64)> = entries
        .iter()
        .filter(|e| e.header_offset < tail_start && crate::wheel::archive::is_script_path(&e.name))
        .map(|e| (e.header_offset, e.end_offset.min(tail_start)))
        .collect();
    scripts.sort_unstable();
    loop {
        let before = (start, end);
        for &(s, e) in &scripts {
            if s < start && e <= start && start - e <= JOIN_GAP {
                start = s;
            } else if e > end && s >= end && s - end <= JOIN_GAP {
                end = e;
            }
        }
        if (start, end) == before {
            return (start, end);
        }
    }
}

/// The first request's size for a file of `size` bytes (the index's; [`TAIL`] when it gives
/// none): 1/[`TAIL_SHARE`] of the file, at least [`MIN_TAIL`] and at most [`TAIL`]. A small
/// wheel's directory is small, and what the rest of the guess holds (a licence, `METADATA`'s
/// long description, `RECORD`) is a large part of what its audit needs; its metadata, when
/// the smaller guess misses it, is fetched beside its binaries (`small_file_plan`).
pub fn first_request(size: Option<u64>) -> u64 {
    size.map_or(TAIL, |size| (size / TAIL_SHARE).clamp(MIN_TAIL, TAIL))
}

fn poisoned<T>(_: T) -> io::Error {
    io::Error::other("a lock was poisoned by a panic in another reader")
}

/// Reads exactly `want` bytes of a body; on a short or failed read, how many arrived.
fn read_exact_body(body: ureq::Body, want: u64) -> Result<Vec<u8>, u64> {
    let mut data = Vec::with_capacity(usize::try_from(want.min(MAX_WINDOW)).unwrap_or(0));
    let mut reader = body
        .into_with_config()
        .limit(u64::MAX)
        .reader()
        .take(want.saturating_add(1));
    match reader.read_to_end(&mut data) {
        Ok(_) if data.len() as u64 == want => Ok(data),
        // A longer body than asked for is as wrong as a shorter one.
        _ => Err(data.len() as u64),
    }
}

fn check_hash(url: &str, digest: &[u8], sha256: Option<&str>) -> Result<(), RemoteError> {
    let Some(expected) = sha256 else {
        return Ok(());
    };
    let actual: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if !actual.eq_ignore_ascii_case(expected.trim()) {
        return Err(RemoteError::HashMismatch {
            url: url.to_owned(),
            expected: expected.to_owned(),
            actual,
        });
    }
    Ok(())
}

/// Downloads a whole response into a temporary file, checking its length and hash.
fn download(
    url: &str,
    response: super::http::Response,
    expected_size: Option<u64>,
    sha256: Option<&str>,
    max_size: u64,
) -> Result<(std::fs::File, u64), RemoteError> {
    let io_error = |e: io::Error| RemoteError::Transport {
        url: url.to_owned(),
        reason: format!("downloading the whole file: {e}"),
    };
    let declared = response.content_length.or(expected_size);
    if let Some(len) = declared
        && len > max_size
    {
        return Err(RemoteError::TooLarge {
            url: url.to_owned(),
            what: "the file".into(),
            limit: max_size,
        });
    }
    let mut file = tempfile::tempfile().map_err(io_error)?;
    let mut hasher = sha2::Sha256::new();
    let mut reader = response
        .body
        .into_with_config()
        .limit(u64::MAX)
        .reader()
        .take(max_size.saturating_add(1));
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(RemoteError::Transport {
                    url: url.to_owned(),
                    reason: format!(
                        "downloading the whole file: {e} after {size} of {} bytes",
                        declared.map_or("?".to_owned(), |d| d.to_string())
                    ),
                });
            }
        };
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        file.write_all(chunk).map_err(io_error)?;
        size += n as u64;
        if size > max_size {
            return Err(RemoteError::TooLarge {
                url: url.to_owned(),
                what: "the file".into(),
                limit: max_size,
            });
        }
    }
    response.trace.done(size);
    if let Some(expected) = declared
        && expected != size
    {
        return Err(RemoteError::Truncated {
            url: url.to_owned(),
            got: size,
            expected,
        });
    }
    check_hash(url, &hasher.finalize(), sha256)?;
    file.seek(SeekFrom::Start(0)).map_err(io_error)?;
    Ok((file, size))
}

/// What a streamed read says of how far it goes ([`RangeSource::hinted_end`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hint {
    /// Nothing said: windows grow from [`MIN_WINDOW`], doubling.
    None,
    /// (Nearly) to the member's end: windows of [`MAX_WINDOW`] to it.
    Whole,
    /// About to this offset: windows stop there.
    Until(u64),
}

/// A `Read + Seek` cursor over a [`RemoteFile`].
#[derive(Debug)]
pub struct RangeSource {
    file: Arc<RemoteFile>,
    pos: u64,
    /// The last window fetched, at `buf_start`.
    buf: Vec<u8>,
    buf_start: u64,
    last_window: u64,
    /// Reading the directory: a read before the tail extends the tail.
    grow_tail: bool,
    /// Where the last seek went (a member's local header): the start of the stream whose
    /// compression ratio sizes hinted windows.
    run_start: u64,
}

impl RangeSource {
    /// Where the next window should end when a streamed read says how far it still needs
    /// to go ([`crate::binary::stream_progress`]: inflated bytes streamed, and the end of the
    /// last one wanted): the compressed bytes left, estimated by the compression ratio seen
    /// so far in this stream (from the member's local header, where the stream was sought
    /// to), plus a little slack; at the stream's start, [`FIRST_STEP`] (the headers, which
    /// tell the reader how far it needs to go). [`Hint::Whole`] when that is (nearly) the
    /// member's end; [`Hint::None`]: nothing said, the usual growing windows. Once the
    /// reader has said how far it goes, a window is as large as [`MAX_WINDOW`] at once
    /// rather than growing towards it from [`MIN_WINDOW`]: a member needed whole takes
    /// its headers' step and then 1 MiB windows (nh3's 0.8 MB riscv64 module: two requests
    /// instead of four, each 60–100 ms when the mirror is slow for that file).
    fn hinted_end(&self, after_range: bool) -> Hint {
        let Some((streamed, target, len)) = crate::binary::stream_progress() else {
            return Hint::None;
        };
        if self.pos < self.run_start {
            return Hint::None;
        }
        if streamed > 0 && len.saturating_sub(target) <= (len / WHOLE_SHARE).max(WHOLE_REST) {
            // The reader wants the whole member (a Mach-O's `__LINKEDIT` is at its end) or
            // all but a little (a stripped ELF's last segment ends a few kB before it): its
            // end is known exactly and the windows run to it; stepping towards where the
            // reader stops would cost two more requests to save those few kB.
            return Hint::Whole;
        }
        if streamed == 0 {
            return if self.pos == self.run_start {
                Hint::Until(self.pos.saturating_add(FIRST_STEP))
            } else {
                Hint::None
            };
        }
        let consumed = u128::from(self.pos - self.run_start);
        let left = u128::from(target.saturating_sub(streamed)) * consumed / u128::from(streamed);
        let left = u64::try_from(left).unwrap_or(u64::MAX);
        // Far from the end, three quarters of the estimate (the ratio varies along a file:
        // code compresses worse than tables): the steps converge on the end rather than
        // overshoot it; near it, the estimate and a little slack. So too right after a
        // small file's one range (`cut_last_binary` left out the end of its last binary)
        // once the ratio was seen over at least [`SEEN_SHARE`] times what is left: a
        // second request there would cost a round trip for the few kB it saves.
        let trusted = after_range && consumed >= u128::from(left) * SEEN_SHARE;
        let step = if left > HINT_NEAR && !trusted {
            left - left / 4
        } else {
            left.saturating_add(left / HINT_MARGIN)
                .saturating_add(HINT_SLACK)
        }
        .max(MIN_STEP);
        Hint::Until(self.pos.saturating_add(step))
    }

    fn copy_out(src: &[u8], offset: u64, out: &mut [u8]) -> usize {
        let from = usize::try_from(offset).unwrap_or(usize::MAX);
        let Some(rest) = src.get(from..) else {
            return 0;
        };
        let n = rest.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        n
    }
}

impl Read for RangeSource {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let size = self.file.size;
        if out.is_empty() || self.pos >= size {
            return Ok(0);
        }
        let tail = Arc::clone(&*self.file.tail.read().map_err(poisoned)?);
        if self.pos >= tail.start {
            let n = Self::copy_out(&tail.data, self.pos - tail.start, out);
            self.pos += n as u64;
            return Ok(n);
        }
        if self.grow_tail {
            self.file.grow_tail_to(self.pos, false)?;
            return self.read(out);
        }
        let kept = Arc::clone(&*self.file.kept.read().map_err(poisoned)?);
        if let Some(k) = kept
            .iter()
            .find(|k| (k.start..k.start + k.data.len() as u64).contains(&self.pos))
        {
            let n = Self::copy_out(&k.data, self.pos - k.start, out);
            self.pos += n as u64;
            return Ok(n);
        }
        let buf_end = self.buf_start + self.buf.len() as u64;
        if !(self.buf_start..buf_end).contains(&self.pos) {
            let after_range = kept
                .iter()
                .any(|k| k.start + k.data.len() as u64 == self.pos);
            let hint = self.hinted_end(after_range);
            let window = match hint {
                // The reader has said how far it goes: no need to grow towards it.
                Hint::Whole | Hint::Until(_) => MAX_WINDOW,
                _ if self.pos == buf_end && self.last_window > 0 => {
                    (self.last_window * 2).clamp(MIN_WINDOW, MAX_WINDOW)
                }
                _ => MIN_WINDOW,
            };
            let mut limit = self.file.boundary_after(self.pos).min(tail.start);
            if let Some(next) = kept.iter().map(|k| k.start).find(|&k| k > self.pos) {
                limit = limit.min(next);
            }
            let mut end = self.pos.saturating_add(window).min(limit);
            let snap = match hint {
                // Stop about where the reader will: the last window no longer runs on to
                // the member's end, unless less than the window's slack would be left.
                Hint::Until(hinted) if hinted < end => {
                    end = hinted.max(self.pos + 1);
                    HINT_SLACK
                }
                _ => MIN_WINDOW / 4,
            };
            if limit - end < snap {
                end = limit;
            }
            self.buf = self.file.fetch(self.pos, end)?;
            self.buf_start = self.pos;
            self.last_window = end - self.pos;
        }
        let n = Self::copy_out(&self.buf, self.pos - self.buf_start, out);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for RangeSource {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let size = self.file.size;
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let Some(target) = target else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            ));
        };
        self.pos = target;
        self.run_start = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(content_range("bytes 0-99/1234"), Some((0, 99, 1234)));
        assert_eq!(content_range("bytes  10-10/11"), Some((10, 10, 11)));
        assert_eq!(content_range("bytes 10-9/11"), None);
        assert_eq!(content_range("bytes 0-11/11"), None);
        assert_eq!(content_range("bytes */11"), None);
        assert_eq!(content_range("items 0-1/2"), None);
    }
}
