//! HTTP for the index and for range reads: one `ureq` agent (rustls with the platform's
//! certificate store, which honours `SSL_CERT_FILE`/`SSL_CERT_DIR`; proxies from
//! `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY`), timeouts, and bounded retries with
//! exponential backoff on 429, 5xx and transport errors.

use std::cell::Cell;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ureq::tls::{RootCerts, TlsConfig};

use super::RemoteError;

/// How the client behaves.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    /// Connecting, receiving headers, and each read of a body may take at most this long.
    pub timeout: Duration,
    /// Attempts after the first, on 429, 5xx, transport errors and short bodies.
    pub retries: u32,
    /// The first backoff; doubled on each retry (a `Retry-After` is honoured up to
    /// `max_backoff`).
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Idle connections kept per host (set to the number of parallel reads).
    pub connections: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(30),
            retries: 4,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            connections: 8,
        }
    }
}

/// `CARGO_ABI3_HTTP_TRACE=1`: one line per request on stderr (see [`Trace`]); the run's
/// start (the first look at the variable) when on.
fn trace_epoch() -> Option<Instant> {
    static EPOCH: OnceLock<Option<Instant>> = OnceLock::new();
    *EPOCH.get_or_init(|| {
        std::env::var_os("CARGO_ABI3_HTTP_TRACE")
            .filter(|v| !v.is_empty() && v != "0")
            .map(|_| Instant::now())
    })
}

thread_local! {
    /// What the current request's connection cost, when it needed a new one: filled by
    /// [`TracingConnector`] and [`CachingResolver`] on the thread that makes the request
    /// (ureq's blocking calls run on it), read back by [`Client::get`].
    static CONNECTING: Cell<Connecting> = const { Cell::new(Connecting::NONE) };
}

/// How a request got its connection: times of the host lookup and of the connect (TCP, proxy
/// and TLS), or none of them when a pooled connection was reused.
#[derive(Clone, Copy, Debug, Default)]
struct Connecting {
    new: bool,
    resolve: Option<Duration>,
    connect: Duration,
}

impl Connecting {
    const NONE: Connecting = Connecting {
        new: false,
        resolve: None,
        connect: Duration::ZERO,
    };
}

/// One traced request: printed when its body has been read ([`Trace::done`]), as
/// `http <start ms> <what> <file> <range> <conn> resolve=… connect=… head=… total=… bytes=…`,
/// times in milliseconds since the run started (start) or the request started.
#[derive(Clone, Debug)]
pub struct Trace {
    epoch: Option<Instant>,
    started: Instant,
    line: String,
}

impl Trace {
    /// A trace that prints nothing.
    pub fn off() -> Trace {
        Trace {
            epoch: None,
            started: Instant::now(),
            line: String::new(),
        }
    }

    /// Prints the request's line, with the body's `bytes` and the time to read them.
    pub fn done(&self, bytes: u64) {
        if self.epoch.is_some() {
            eprintln!(
                "{} total={} bytes={bytes}",
                self.line,
                self.started.elapsed().as_millis()
            );
        }
    }
}

/// Counts new connections ([`Client::connections`]) and, when tracing, times them.
#[derive(Debug)]
struct TracingConnector {
    inner: ureq::unversioned::transport::DefaultConnector,
    opened: Arc<AtomicU64>,
}

impl ureq::unversioned::transport::Connector<()> for TracingConnector {
    type Out = Box<dyn ureq::unversioned::transport::Transport>;

    fn connect(
        &self,
        details: &ureq::unversioned::transport::ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let started = Instant::now();
        let out = self.inner.connect(details, chained)?;
        let id = self.opened.fetch_add(1, Ordering::Relaxed) + 1;
        CONNECTING.with(|c| {
            let mut now = c.get();
            now.new = true;
            now.connect += started.elapsed();
            c.set(now);
        });
        Ok(out.map(|inner| Box::new(Numbered { inner, id }) as Self::Out))
    }
}

thread_local! {
    /// The connection the current request last wrote to ([`Numbered`]).
    static CONNECTION: Cell<u64> = const { Cell::new(0) };
}

/// A connection with its number (1 for the run's first), which the trace names.
#[derive(Debug)]
struct Numbered {
    inner: Box<dyn ureq::unversioned::transport::Transport>,
    id: u64,
}

impl ureq::unversioned::transport::Transport for Numbered {
    fn buffers(&mut self) -> &mut dyn ureq::unversioned::transport::Buffers {
        self.inner.buffers()
    }

    fn transmit_output(
        &mut self,
        amount: usize,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<(), ureq::Error> {
        CONNECTION.with(|c| c.set(self.id));
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(
        &mut self,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<bool, ureq::Error> {
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// A shared HTTP client.
#[derive(Debug)]
pub struct Client {
    agent: ureq::Agent,
    options: HttpOptions,
    /// Connections opened so far (TCP, and TLS for `https`).
    opened: Arc<AtomicU64>,
}

/// Resolves each host once per run. Parallel fetches otherwise look the same host up once
/// per connection, and a resolver that drops concurrent queries (this project's machine
/// does: 5 s per retried query) stalls them for seconds each.
#[derive(Debug, Default)]
struct CachingResolver {
    inner: ureq::unversioned::resolver::DefaultResolver,
    cache: std::sync::Mutex<
        std::collections::HashMap<String, ureq::unversioned::resolver::ResolvedSocketAddrs>,
    >,
}

impl ureq::unversioned::resolver::Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or(""),
            uri.authority().map_or("", |a| a.as_str())
        );
        // One lookup at a time: the others wait for its answer instead of asking again.
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let started = Instant::now();
        let found = match cache.get(&key) {
            Some(found) => found.clone(),
            None => {
                let found = self.inner.resolve(uri, config, timeout)?;
                cache.insert(key, found.clone());
                found
            }
        };
        // The time includes waiting for another thread's lookup of the same host.
        CONNECTING.with(|c| {
            let mut now = c.get();
            now.resolve = Some(now.resolve.unwrap_or_default() + started.elapsed());
            c.set(now);
        });
        Ok(found)
    }
}

/// A successful response: its status and the body reader.
pub struct Response {
    pub status: u16,
    /// The URL answered, after redirects.
    pub final_url: String,
    pub content_range: Option<String>,
    pub content_length: Option<u64>,
    pub body: ureq::Body,
    /// Call [`Trace::done`] once the body is read.
    pub trace: Trace,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("final_url", &self.final_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(options: HttpOptions) -> Client {
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::PlatformVerifier)
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .https_only(false)
            .tls_config(tls)
            .proxy(ureq::Proxy::try_from_env())
            .max_redirects(10)
            .user_agent(concat!("cargo-abi3/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(options.timeout))
            .timeout_recv_response(Some(options.timeout))
            .timeout_per_read(Some(options.timeout))
            .max_idle_connections_per_host(options.connections.max(1))
            .max_idle_connections(options.connections.max(1) * 4)
            .build();
        let opened = Arc::new(AtomicU64::new(0));
        let connector = TracingConnector {
            inner: ureq::unversioned::transport::DefaultConnector::new(),
            opened: Arc::clone(&opened),
        };
        let agent = ureq::Agent::with_parts(config, connector, CachingResolver::default());
        Client {
            agent,
            options,
            opened,
        }
    }

    /// Connections opened so far (each a TCP connection, and a TLS handshake for `https`).
    pub fn connections(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }

    pub fn options(&self) -> &HttpOptions {
        &self.options
    }

    /// How long to wait before attempt `attempt` (1-based retry number).
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .options
            .backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        retry_after.unwrap_or(exp).min(self.options.max_backoff)
    }

    /// A GET that succeeded (2xx) or failed for good. `what` names the thing fetched in
    /// errors ("the index page of `foo`").
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Response, RemoteError> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(RemoteError::BadUrl {
                url: url.to_owned(),
                reason: "only http:// and https:// URLs are fetched".into(),
            });
        }
        let mut attempt = 0u32;
        let epoch = trace_epoch();
        loop {
            let mut request = self.agent.get(url);
            for (k, v) in headers {
                request = request.header(*k, *v);
            }
            let started = Instant::now();
            CONNECTING.with(|c| c.set(Connecting::NONE));
            CONNECTION.with(|c| c.set(0));
            let called = request.call();
            let trace = match epoch {
                None => Trace::off(),
                Some(epoch) => {
                    let connecting = CONNECTING.with(Cell::get);
                    let ms = |d: Duration| d.as_millis().to_string();
                    let range = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("range"))
                        .map_or("-", |(_, v)| v);
                    let status = match &called {
                        Ok(r) => r.status().as_u16().to_string(),
                        Err(e) => format!("error({e})"),
                    };
                    Trace {
                        epoch: Some(epoch),
                        started,
                        line: format!(
                            "http\tstart={}\t{}\t{range}\t{}#{}\tresolve={}\tconnect={}\thead={}\tstatus={status}\tattempt={attempt}",
                            started.duration_since(epoch).as_millis(),
                            url.rsplit('/').find(|s| !s.is_empty()).unwrap_or(url),
                            if connecting.new { "new" } else { "reused" },
                            CONNECTION.with(Cell::get),
                            connecting.resolve.map_or("-".to_owned(), ms),
                            if connecting.new {
                                ms(connecting.connect)
                            } else {
                                "-".to_owned()
                            },
                            started.elapsed().as_millis(),
                        ),
                    }
                }
            };
            let (retryable, error, retry_after) = match called {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let header = |name: &str| {
                        response
                            .headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    if (200..300).contains(&status) {
                        use ureq::ResponseExt as _;
                        let final_url = response.get_uri().to_string();
                        let content_range = header("content-range");
                        let content_length =
                            header("content-length").and_then(|v| v.trim().parse().ok());
                        return Ok(Response {
                            status,
                            final_url,
                            content_range,
                            content_length,
                            body: response.into_body(),
                            trace,
                        });
                    }
                    let retry_after = header("retry-after")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let error = if status == 404 || status == 410 {
                        RemoteError::NotFound {
                            url: url.to_owned(),
                            status,
                        }
                    } else {
                        RemoteError::Status {
                            url: url.to_owned(),
                            status,
                        }
                    };
                    trace.done(0);
                    (status == 429 || status >= 500, error, retry_after)
                }
                Err(e) => {
                    trace.done(0);
                    let retryable = matches!(
                        e,
                        ureq::Error::Io(_)
                            | ureq::Error::Timeout(_)
                            | ureq::Error::ConnectionFailed
                            | ureq::Error::Protocol(_)
                            | ureq::Error::HostNotFound
                    );
                    (
                        retryable,
                        RemoteError::Transport {
                            url: url.to_owned(),
                            reason: e.to_string(),
                        },
                        None,
                    )
                }
            };
            if !retryable || attempt >= self.options.retries {
                return Err(error);
            }
            attempt += 1;
            std::thread::sleep(self.backoff(attempt, retry_after));
        }
    }

    /// The whole body of a GET, at most `limit` bytes (more is [`RemoteError::TooLarge`]),
    /// in an anonymous temporary file (read from its start), so that a page of any size
    /// within the limit is never held in memory.
    pub fn get_to_file(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        limit: u64,
        what: &str,
    ) -> Result<(String, std::fs::File), RemoteError> {
        use std::io::{Seek, SeekFrom};
        let stored = |e: std::io::Error| RemoteError::Transport {
            url: url.to_owned(),
            reason: format!("storing the response in a temporary file: {e}"),
        };
        let mut attempt = 0u32;
        loop {
            let response = self.get(url, headers)?;
            if let Some(len) = response.content_length
                && len > limit
            {
                return Err(RemoteError::TooLarge {
                    url: url.to_owned(),
                    what: what.to_owned(),
                    limit,
                });
            }
            let final_url = response.final_url.clone();
            let trace = response.trace.clone();
            let mut body = tempfile::tempfile().map_err(stored)?;
            let read = std::io::copy(
                &mut response
                    .body
                    .into_with_config()
                    .limit(u64::MAX)
                    .reader()
                    .take(limit.saturating_add(1)),
                &mut body,
            );
            match read {
                Ok(len) if len > limit => {
                    return Err(RemoteError::TooLarge {
                        url: url.to_owned(),
                        what: what.to_owned(),
                        limit,
                    });
                }
                Ok(len) => {
                    trace.done(len);
                    body.seek(SeekFrom::Start(0)).map_err(stored)?;
                    return Ok((final_url, body));
                }
                Err(e) if attempt < self.options.retries => {
                    let _ = e;
                    attempt += 1;
                    std::thread::sleep(self.backoff(attempt, None));
                }
                Err(e) => {
                    return Err(RemoteError::Transport {
                        url: url.to_owned(),
                        reason: format!("reading the response: {e}"),
                    });
                }
            }
        }
    }
}
