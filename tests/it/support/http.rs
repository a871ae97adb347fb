//! A tiny in-process HTTP/1.1 server on 127.0.0.1 for the remote-audit tests: files with
//! `Range` support (or misbehaving on purpose), JSON pages, redirects and status codes.
//! It binds `127.0.0.1:0` only; every connection is a thread with a bounded request loop
//! and read timeouts, and the server stops when dropped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How a file route answers range requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ranges {
    /// 206 with the range asked for.
    Honour,
    /// 200 with the whole file, whatever the `Range` header says.
    Ignore,
    /// 206 whose body stops halfway (then the connection closes).
    Truncate,
    /// 206 whose `Content-Length` is half the bytes actually sent.
    LyingLength,
}

/// What a path answers.
#[derive(Clone, Debug)]
pub enum Route {
    File {
        data: Arc<Vec<u8>>,
        ranges: Ranges,
    },
    Json(Arc<Vec<u8>>),
    Redirect(String),
    Status(u16),
    /// `status` (with `Retry-After: 0`) for the first `times` requests, then `then`.
    FailFirst {
        times: usize,
        status: u16,
        then: Box<Route>,
        seen: Arc<AtomicUsize>,
    },
    /// `first` for the first `times` requests, then `then`: a server that changes its
    /// behaviour mid-run (e.g. stops honouring `Range`).
    Switch {
        times: usize,
        first: Box<Route>,
        then: Box<Route>,
        seen: Arc<AtomicUsize>,
    },
    /// `then`, but a range starting at `at` first waits at `gate` (see [`Gate`]).
    Gated {
        at: u64,
        gate: Arc<Gate>,
        then: Box<Route>,
    },
}

/// Holds requests until `want` of them wait together (or `patience` passes), and records the
/// most that were ever in flight at once: how many reads a client runs in parallel, counted,
/// not timed.
#[derive(Debug)]
pub struct Gate {
    want: usize,
    patience: Duration,
    /// (in flight now, most at once)
    state: Mutex<(usize, usize)>,
    arrived: Condvar,
}

impl Gate {
    pub fn new(want: usize, patience: Duration) -> Arc<Gate> {
        Arc::new(Gate {
            want,
            patience,
            state: Mutex::new((0, 0)),
            arrived: Condvar::new(),
        })
    }

    /// The most requests that were held at once.
    pub fn most(&self) -> usize {
        self.state.lock().map(|s| s.1).unwrap_or_default()
    }

    fn pass(&self) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.0 += 1;
        state.1 = state.1.max(state.0);
        self.arrived.notify_all();
        let deadline = std::time::Instant::now() + self.patience;
        while state.1 < self.want {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            match self.arrived.wait_timeout(state, left) {
                Ok((next, _)) => state = next,
                Err(_) => return,
            }
        }
        state.0 -= 1;
    }
}

impl Route {
    pub fn file(data: Vec<u8>) -> Route {
        Route::File {
            data: Arc::new(data),
            ranges: Ranges::Honour,
        }
    }

    pub fn json(text: impl Into<Vec<u8>>) -> Route {
        Route::Json(Arc::new(text.into()))
    }

    pub fn fail_first(times: usize, status: u16, then: Route) -> Route {
        Route::FailFirst {
            times,
            status,
            then: Box::new(then),
            seen: Arc::new(AtomicUsize::new(0)),
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Logged {
    pub path: String,
    pub range: Option<String>,
    pub status: u16,
    pub body_bytes: u64,
}

pub struct Server {
    pub addr: SocketAddr,
    /// TCP connections accepted so far.
    pub accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Logged>>>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts serving `routes` (path → route) on 127.0.0.1.
    pub fn start(routes: HashMap<String, Route>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let routes = Arc::new(routes);
        let accepted = Arc::new(AtomicUsize::new(0));
        let accept = {
            let (stop, log, accepted) =
                (Arc::clone(&stop), Arc::clone(&log), Arc::clone(&accepted));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            accepted.fetch_add(1, Ordering::Relaxed);
                            let (routes, log, stop) =
                                (Arc::clone(&routes), Arc::clone(&log), Arc::clone(&stop));
                            std::thread::spawn(move || serve(stream, &routes, &log, &stop));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Server {
            addr,
            accepted,
            stop,
            log,
            accept: Some(accept),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The requests served so far.
    pub fn log(&self) -> Vec<Logged> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// At most this many requests per connection, each header block at most 64 KiB.
const MAX_REQUESTS: usize = 1000;
const MAX_HEADER: usize = 64 * 1024;

fn serve(
    stream: TcpStream,
    routes: &HashMap<String, Route>,
    log: &Mutex<Vec<Logged>>,
    stop: &AtomicBool,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut out = write_half;
    for _ in 0..MAX_REQUESTS {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let mut head = String::new();
        let mut total = 0;
        loop {
            let mut line = String::new();
            match reader.by_ref().take(MAX_HEADER as u64).read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(n) => total += n,
            }
            if total > MAX_HEADER {
                return;
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut lines = head.lines();
        let request = lines.next().unwrap_or_default();
        let mut parts = request.split_whitespace();
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        let headers: HashMap<String, String> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let range = headers.get("range").cloned();
        let route = routes.get(path).cloned().unwrap_or(Route::Status(404));
        let (status, sent, keep) = respond(&mut out, method, &route, range.as_deref());
        if let Ok(mut log) = log.lock() {
            log.push(Logged {
                path: path.to_owned(),
                range,
                status,
                body_bytes: sent,
            });
        }
        if !keep {
            let _ = out.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
}

fn head(out: &mut TcpStream, status: u16, extra: &[(&str, String)], length: u64) -> bool {
    let reason = match status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        429 => "Too Many Requests",
        _ => "Status",
    };
    let mut text = format!("HTTP/1.1 {status} {reason}\r\nContent-Length: {length}\r\n");
    for (k, v) in extra {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    out.write_all(text.as_bytes()).is_ok()
}

/// Answers one request: (status, body bytes sent, keep the connection).
fn respond(
    out: &mut TcpStream,
    method: &str,
    route: &Route,
    range: Option<&str>,
) -> (u16, u64, bool) {
    let body_wanted = method != "HEAD";
    match route {
        Route::Status(status) => {
            let body = format!("status {status}\n");
            let ok = head(out, *status, &[], body.len() as u64)
                && (!body_wanted || out.write_all(body.as_bytes()).is_ok());
            (*status, body.len() as u64, ok)
        }
        Route::Redirect(to) => {
            let ok = head(out, 302, &[("Location", to.clone())], 0);
            (302, 0, ok)
        }
        Route::Json(body) => {
            let ok = head(
                out,
                200,
                &[(
                    "Content-Type",
                    "application/vnd.pypi.simple.v1+json".to_owned(),
                )],
                body.len() as u64,
            ) && (!body_wanted || out.write_all(body).is_ok());
            (200, body.len() as u64, ok)
        }
        Route::FailFirst {
            times,
            status,
            then,
            seen,
        } => {
            if seen.fetch_add(1, Ordering::Relaxed) < *times {
                let ok = head(out, *status, &[("Retry-After", "0".to_owned())], 0);
                (*status, 0, ok)
            } else {
                respond(out, method, then, range)
            }
        }
        Route::Switch {
            times,
            first,
            then,
            seen,
        } => {
            if seen.fetch_add(1, Ordering::Relaxed) < *times {
                respond(out, method, first, range)
            } else {
                respond(out, method, then, range)
            }
        }
        Route::Gated { at, gate, then } => {
            let len = match then.as_ref() {
                Route::File { data, .. } => data.len() as u64,
                _ => 0,
            };
            if range.and_then(|r| parse_range(r, len)).map(|r| r.0) == Some(*at) {
                gate.pass();
            }
            respond(out, method, then, range)
        }
        Route::File { data, ranges } => {
            let len = data.len() as u64;
            let wanted = range.and_then(|r| parse_range(r, len));
            let (start, end) = match (wanted, ranges) {
                (Some(r), Ranges::Honour | Ranges::Truncate | Ranges::LyingLength) => r,
                (None, _) if range.is_some() && *ranges != Ranges::Ignore => {
                    let ok = head(out, 416, &[("Content-Range", format!("bytes */{len}"))], 0);
                    return (416, 0, ok);
                }
                _ => {
                    let ok = head(out, 200, &[], len) && out.write_all(data).is_ok();
                    return (200, len, ok);
                }
            };
            let slice = &data[start as usize..end as usize];
            let cr = ("Content-Range", format!("bytes {start}-{}/{len}", end - 1));
            match ranges {
                Ranges::Truncate => {
                    let half = &slice[..slice.len() / 2];
                    let _ =
                        head(out, 206, &[cr], slice.len() as u64) && out.write_all(half).is_ok();
                    (206, half.len() as u64, false)
                }
                Ranges::LyingLength => {
                    let ok = head(out, 206, &[cr], slice.len() as u64 / 2)
                        && out.write_all(slice).is_ok();
                    (206, slice.len() as u64, ok)
                }
                _ => {
                    let ok =
                        head(out, 206, &[cr], slice.len() as u64) && out.write_all(slice).is_ok();
                    (206, slice.len() as u64, ok)
                }
            }
        }
    }
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` → `[start, end)`.
fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (len.saturating_sub(n), len)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            len
        } else {
            b.parse::<u64>().ok()?.saturating_add(1).min(len)
        };
        (start, end)
    };
    (start < end).then_some((start, end))
}

/// A PEP 691 page listing `files`: (filename, url, sha256, yanked).
pub fn index_page(name: &str, files: &[(String, String, String, Option<&str>)]) -> String {
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|(filename, url, sha, yanked)| {
            serde_json::json!({
                "filename": filename,
                "url": url,
                "hashes": {"sha256": sha},
                "requires-python": null,
                "yanked": match yanked { Some(r) => serde_json::Value::from(*r), None => false.into() },
            })
        })
        .collect();
    serde_json::json!({"meta": {"api-version": "1.1"}, "name": name, "files": files}).to_string()
}
