//! `cargo abi3 audit pypi:NAME` against an in-process HTTP server on 127.0.0.1 serving the
//! committed real procmaps wheel (padded with a 2 MiB member no reader needs): range reads,
//! a server that ignores `Range`, truncated and lying responses, redirects, 404s, 429s and
//! hostile index pages. Each run is the real CLI under a timeout; JSON is schema-checked.
//! One smoke test reads the real PyPI and skips when it cannot be reached.

use crate::support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::elf::{dynamic_head, put};
use crate::support::http::{Ranges, Route, Server, index_page};
use serde_json::Value;
use sha2::Digest as _;

const TIMEOUT: Duration = Duration::from_secs(60);
const REAL: &str = "procmaps-0.5.0-cp36-abi3-manylinux2010_x86_64.whl";
const BLOB: usize = 2 * 1024 * 1024;

fn real_wheel() -> Vec<u8> {
    std::fs::read(format!(
        "{}/../tests/fixtures/real/{REAL}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("read the procmaps fixture")
}

/// The real procmaps extension, inflated from the committed wheel (490 kB).
fn real_so() -> Vec<u8> {
    let real = real_wheel();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&real)).expect("zip");
    let mut so = Vec::new();
    archive
        .by_name("procmaps.abi3.so")
        .expect("so")
        .read_to_end(&mut so)
        .expect("read");
    so
}

/// The real wheel with a 2 MiB incompressible data member first: a reader that fetched
/// the whole wheel would fetch it.
fn padded_wheel() -> Vec<u8> {
    let real = real_wheel();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&real)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    out.start_file("procmaps-0.5.0.data/data/share/blob.bin", options)
        .expect("start");
    let blob = support::noise(BLOB, 0x1234_5678);
    out.write_all(&blob).expect("write");
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).expect("entry");
        out.raw_copy_file(file).expect("copy");
    }
    out.finish().expect("finish").into_inner()
}

fn sha256(data: &[u8]) -> String {
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A server with `/simple/procmaps/` listing 0.5.0 (served at `/files/`), an sdist, a
/// pre-release and a yanked 0.7.0 (the same bytes), and the file routes.
fn procmaps_server(ranges: Ranges, sha_override: Option<&str>) -> (Server, Vec<u8>) {
    procmaps_server_with(&|data| Route::File { data, ranges }, sha_override)
}

/// [`procmaps_server`] with the wheels served by `file`.
fn procmaps_server_with(
    file: &dyn Fn(std::sync::Arc<Vec<u8>>) -> Route,
    sha_override: Option<&str>,
) -> (Server, Vec<u8>) {
    let wheel = padded_wheel();
    let sha = sha_override.map_or_else(|| sha256(&wheel), str::to_owned);
    let yanked_name = "procmaps-0.7.0-cp36-abi3-manylinux2010_x86_64.whl";
    let files = vec![
        (
            "procmaps-0.4.0-cp36-cp36m-manylinux1_x86_64.whl".into(),
            "/files/old.whl".into(),
            "00".into(),
            None,
        ),
        (
            "procmaps-0.5.0.tar.gz".into(),
            "/files/procmaps-0.5.0.tar.gz".into(),
            "00".into(),
            None,
        ),
        (REAL.to_owned(), format!("/files/{REAL}"), sha.clone(), None),
        (
            "procmaps-0.6.0rc1-cp36-abi3-manylinux2010_x86_64.whl".into(),
            "/files/rc.whl".into(),
            "00".into(),
            None,
        ),
        (
            yanked_name.to_owned(),
            format!("/files/{yanked_name}"),
            sha256(&wheel),
            Some("broken"),
        ),
    ];
    let mut routes = HashMap::new();
    routes.insert(
        "/simple/procmaps/".to_owned(),
        Route::json(index_page("procmaps", &files)),
    );
    for name in [REAL, yanked_name] {
        routes.insert(
            format!("/files/{name}"),
            file(std::sync::Arc::new(wheel.clone())),
        );
    }
    (Server::start(routes), wheel)
}

/// The CLI with `args` and no proxy (the test servers are on 127.0.0.1).
fn cli(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-abi3"));
    cmd.args(args).env("NO_COLOR", "1");
    for var in [
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// `audit --format json ARGS…` with its peak RSS: (KiB, exit code, report).
fn audit_rss(args: &[&str]) -> (u64, i32, Value) {
    let mut all = vec!["audit", "--format", "json"];
    all.extend_from_slice(args);
    let (rss, code, stdout) = support::rss::peak_rss_kib(&cli(&all))
        .unwrap_or_else(|skip| panic!("cannot measure the peak RSS: {skip}"));
    let json: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("invalid JSON ({e}): {stdout}"));
    eprintln!("peak RSS {rss} KiB, exit {code}");
    (rss, code, json)
}

/// A server whose `/simple/{project}/` lists `wheels` (file name, bytes), each served with
/// ranges at `/files/NAME`.
fn release_server(project: &str, wheels: Vec<(String, Vec<u8>)>) -> Server {
    let mut routes = HashMap::new();
    let mut files = Vec::new();
    for (name, data) in wheels {
        files.push((name.clone(), format!("/files/{name}"), sha256(&data), None));
        routes.insert(format!("/files/{name}"), Route::file(data));
    }
    routes.insert(
        format!("/simple/{project}/"),
        Route::json(index_page(project, &files)),
    );
    Server::start(routes)
}

/// The report has `wheels` inputs, each read by ranges, with `binaries` binaries.
fn assert_ranged(json: &Value, wheels: usize, binaries: usize) {
    let inputs = json["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), wheels, "{json:#}");
    for input in inputs {
        assert_eq!(input["remote"]["ranged"], true, "{input:#}");
        assert_eq!(
            input["binaries"].as_array().map(Vec::len),
            Some(binaries),
            "{input:#}"
        );
    }
}

/// Runs the CLI under [`TIMEOUT`] with no proxy: (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let mut child = cli(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cargo-abi3");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cargo-abi3 did not finish within {TIMEOUT:?}: {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out_reader.join().expect("stdout reader");
    let stderr = err_reader.join().expect("stderr reader");
    (status.code().unwrap_or(-1), stdout, stderr)
}

/// `audit --format json --index-url SERVER/simple/ ARGS…`, schema-checked.
fn audit_json(server: &Server, args: &[&str]) -> (i32, Value) {
    let index = server.url("/simple/");
    let mut all = vec![
        "audit",
        "--format",
        "json",
        "--index-url",
        &index,
        "--http-retries",
        "1",
    ];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run(&all);
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    support::schema::assert_valid_against_schema(&json);
    (code, json)
}

/// Every (code, symbol) of a report.
/// `audit pypi:procmaps==0.5.0` against `server`: exit 1 and the real module's finding
/// (`PyUnicode_AsUTF8AndSize` is newer than its cp36 floor), however the wheel was read.
fn audit_procmaps(server: &Server) -> Value {
    let (code, json) = audit_json(server, &["pypi:procmaps==0.5.0"]);
    assert_eq!(code, 1, "{json:#}");
    assert_real_finding(&json);
    json
}

/// The finding every fixture built on the real procmaps module gives: its import of
/// `PyUnicode_AsUTF8AndSize` (so the import table was read).
fn assert_real_finding(json: &Value) {
    assert!(
        findings(json).contains(&("newer-than-floor".into(), "PyUnicode_AsUTF8AndSize".into())),
        "{json:#}"
    );
}

fn findings(json: &Value) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for input in json["inputs"].as_array().expect("inputs") {
        let nested = input["binaries"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|b| b["findings"].as_array().into_iter().flatten());
        for f in input["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(nested)
        {
            all.push((
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["symbol"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    all.sort();
    all
}

fn messages(json: &Value) -> String {
    json["inputs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|i| i["findings"].as_array().into_iter().flatten())
        .map(|f| f["message"].as_str().unwrap_or_default().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The latest non-yanked final release is chosen (not the rc, not the yanked 0.7.0), its
/// abi3 wheel audited with the same findings as the file on disk, and the 2 MiB member no
/// reader needs is never fetched: every file request is ranged, and the bytes the server
/// sent are the bytes the report says were fetched.
#[test]
fn range_reads_fetch_only_what_the_readers_need() {
    let (server, wheel) = procmaps_server(Ranges::Honour, None);
    let (code, json) = audit_json(&server, &["pypi:procmaps"]);
    assert_eq!(code, 1, "{json:#}");
    let inputs = json["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 1, "{json:#}");
    let input = &inputs[0];
    assert_eq!(input["path"], format!("pypi:procmaps==0.5.0/{REAL}"));
    let remote = &input["remote"];
    assert_eq!(remote["url"], server.url(&format!("/files/{REAL}")));
    assert_eq!(remote["size"], wheel.len() as u64);
    assert_eq!(remote["ranged"], true);
    let fetched = remote["fetched"].as_u64().expect("fetched");
    assert!(
        fetched < (wheel.len() - BLOB) as u64 + 64 * 1024,
        "fetched {fetched} of {}: the padding was read",
        wheel.len()
    );
    let log = server.log();
    let file_requests: Vec<_> = log
        .iter()
        .filter(|l| l.path.starts_with("/files/"))
        .collect();
    assert!(
        file_requests
            .iter()
            .all(|l| l.range.is_some() && l.status == 206),
        "{log:#?}"
    );
    let sent: u64 = file_requests.iter().map(|l| l.body_bytes).sum();
    assert_eq!(sent, fetched, "{log:#?}");
    assert_eq!(remote["requests"], file_requests.len() as u64);

    // The same findings as the wheel audited from disk.
    let dir = support::scratch_dir("remote-local");
    let local = dir.join(REAL);
    std::fs::write(&local, &wheel).expect("write");
    let (local_code, local_stdout, _) =
        run(&["audit", "--format", "json", local.to_str().expect("utf-8")]);
    let local_json: Value = serde_json::from_str(&local_stdout).expect("json");
    assert_eq!(local_code, code);
    assert_eq!(findings(&json), findings(&local_json));
    assert_real_finding(&json);
}

/// Six wheels of one release, each the padded procmaps wheel (its 200 kB binary is streamed in
/// windows, not fetched with the directory): their members are read in parallel, as many as
/// `--jobs`, not two at a time. The server holds the first window of each binary until three
/// are waiting together (or 5 s pass) and counts the most ever held at once: members read on
/// two threads never get there. Each thread keeps to one connection at a time: at most
/// `--jobs` connections (plus the index page's, which is reused), and the same findings and
/// bytes as from one wheel.
#[test]
fn members_of_a_release_are_read_in_parallel_over_at_most_jobs_connections() {
    // The binary first, then 2 MiB of data, then the `.dist-info` files: the binary is
    // too far before the directory to be fetched with it, and is streamed.
    let wheel = {
        let real = real_wheel();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&real)).expect("zip");
        let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let so = archive
            .index_for_name("procmaps.abi3.so")
            .expect("the binary");
        out.raw_copy_file(archive.by_index_raw(so).expect("the binary"))
            .expect("copy");
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        out.start_file("procmaps-0.5.0.data/data/share/blob.bin", stored)
            .expect("start");
        out.write_all(&vec![0x5a; BLOB]).expect("write");
        for i in (0..archive.len()).filter(|&i| i != so) {
            out.raw_copy_file(archive.by_index_raw(i).expect("entry"))
                .expect("copy");
        }
        out.finish().expect("finish").into_inner()
    };
    let so_start = zip::ZipArchive::new(std::io::Cursor::new(&wheel))
        .expect("zip")
        .by_name("procmaps.abi3.so")
        .expect("the binary")
        .header_start();
    let gate = support::http::Gate::new(3, Duration::from_secs(5));
    let platforms = [
        "manylinux2010_x86_64",
        "manylinux2014_x86_64",
        "manylinux_2_17_x86_64",
        "manylinux_2_28_x86_64",
        "musllinux_1_1_x86_64",
        "musllinux_1_2_x86_64",
    ];
    let mut files = Vec::new();
    let mut routes = HashMap::new();
    for platform in platforms {
        let name = format!("procmaps-0.5.0-cp36-abi3-{platform}.whl");
        files.push((name.clone(), format!("/files/{name}"), sha256(&wheel), None));
        routes.insert(
            format!("/files/{name}"),
            Route::Gated {
                at: so_start,
                gate: std::sync::Arc::clone(&gate),
                then: Box::new(Route::file(wheel.clone())),
            },
        );
    }
    routes.insert(
        "/simple/procmaps/".to_owned(),
        Route::json(index_page("procmaps", &files)),
    );
    let server = Server::start(routes);
    let jobs = 4;
    let (code, json) = audit_json(
        &server,
        &["--jobs", &jobs.to_string(), "pypi:procmaps==0.5.0"],
    );
    assert_eq!(code, 1, "{json:#}");
    let inputs = json["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), platforms.len(), "{json:#}");
    assert!(
        gate.most() >= 3,
        "at most {} members were read at once (the binary at {so_start}): {:#?}",
        gate.most(),
        server.log()
    );
    let accepted = server.accepted.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        accepted <= jobs + 1,
        "{accepted} connections for --jobs {jobs}"
    );
    let fetched: u64 = inputs
        .iter()
        .map(|i| i["remote"]["fetched"].as_u64().expect("fetched"))
        .sum();
    assert_eq!(fetched, file_bytes_sent(&server), "{json:#}");
    for input in inputs {
        let fetched = input["remote"]["fetched"].as_u64().expect("fetched");
        assert!(
            fetched < (wheel.len() - BLOB) as u64 + 64 * 1024,
            "fetched {fetched} of {}: the padding was read",
            wheel.len()
        );
    }
    assert_real_finding(&json);
}

/// A server listing one wheel of `project` (with its size and sha256) and serving it.
fn one_wheel_server(project: &str, file_name: &str, wheel: &[u8]) -> Server {
    let page = serde_json::json!({
        "meta": {"api-version": "1.1"},
        "name": project,
        "files": [{
            "filename": file_name,
            "url": format!("/files/{file_name}"),
            "hashes": {"sha256": sha256(wheel)},
            "size": wheel.len(),
        }],
    });
    let mut routes = HashMap::new();
    routes.insert(format!("/simple/{project}/"), Route::json(page.to_string()));
    routes.insert(format!("/files/{file_name}"), Route::file(wheel.to_vec()));
    Server::start(routes)
}

/// Audits the one-PE wheel `name` of project `winext` from a server: (bytes fetched,
/// requests), after checking it was read by ranges, that the server sent what the report
/// says, and that the binary's finding is there.
fn winext_fetched(name: &str, wheel: &[u8]) -> (u64, u64) {
    let server = one_wheel_server("winext", name, wheel);
    let (_, json) = audit_json(&server, &["pypi:winext==1.0"]);
    let remote = &json["inputs"][0]["remote"];
    assert_eq!(remote["ranged"], true, "{json:#}");
    let fetched = remote["fetched"].as_u64().expect("fetched");
    assert_eq!(fetched, file_bytes_sent(&server), "{json:#}");
    assert_real_finding(&json);
    (fetched, remote["requests"].as_u64().expect("requests"))
}

/// The bytes the server sent for `/files/…`, after checking every request was a range.
/// The `Range` headers of the requests for files, in order.
fn file_ranges(server: &Server) -> Vec<String> {
    server
        .log()
        .iter()
        .filter(|l| l.path.starts_with("/files/"))
        .filter_map(|l| l.range.clone())
        .collect()
}

fn file_bytes_sent(server: &Server) -> u64 {
    let log = server.log();
    let files: Vec<_> = log
        .iter()
        .filter(|l| l.path.starts_with("/files/"))
        .collect();
    assert!(
        files.iter().all(|l| l.range.is_some() && l.status == 206),
        "{log:#?}"
    );
    files.iter().map(|l| l.body_bytes).sum()
}

/// A small wheel (the real procmaps wheel, 211 kB) whose shared object and metadata sit
/// together before its directory: the end of the file (its 6-byte zip comment included: the
/// end record is found in it, where the whole 64 KiB before the record used to be fetched
/// to look for it), then the binary in one more range, read from memory, but for its last
/// 15% (`cut_last_binary`), which this stripped module needs: one more request for it.
/// Three requests, never more than the wheel's bytes; same findings.
#[test]
fn a_small_wheel_is_fetched_in_three_requests() {
    let wheel = real_wheel();
    let server = one_wheel_server("procmaps", REAL, &wheel);
    let (code, json) = audit_json(&server, &["pypi:procmaps==0.5.0"]);
    assert_eq!(code, 1, "{json:#}");
    let remote = &json["inputs"][0]["remote"];
    assert_eq!(remote["ranged"], true, "{json:#}");
    assert_eq!(remote["requests"], 3, "{json:#}");
    assert!(
        remote["fetched"].as_u64().unwrap_or(u64::MAX) <= wheel.len() as u64,
        "{json:#}"
    );
    assert_eq!(remote["fetched"], file_bytes_sent(&server), "{json:#}");
    assert_real_finding(&json);
}

/// The first request for a wheel of `len` bytes (`source::first_request`): 1/48 of it, at
/// least 4 KiB and at most 8 KiB.
fn first_request(len: usize) -> u64 {
    (len as u64 / 48).clamp(4 * 1024, 8 * 1024)
}

/// A small wheel (bcrypt's layout) whose binary is followed by a licence, then the
/// `.dist-info` files in the first request: the binary's range ends with it, and the
/// licence's bytes before the first request are not fetched (they were, with everything up
/// to the tail). The one range leaves out the binary's last 15% (`cut_last_binary`); this
/// stripped module needs nearly all of it, so the reader asks for the rest: three requests,
/// the same bytes; same findings.
#[test]
fn a_small_wheels_one_range_ends_with_its_last_needed_member() {
    let (wheel, [_, licence_start, _, _]) = wheel_with_licence(REAL, real_so(), 0x1b87_3593, None);
    let tail_start = wheel.len() as u64 - first_request(wheel.len());
    assert!(licence_start < tail_start);
    let server = one_wheel_server("procmaps", REAL, &wheel);
    let json = audit_procmaps(&server);
    let remote = &json["inputs"][0]["remote"];
    assert_eq!(remote["requests"], 3, "{json:#}");
    let fetched = remote["fetched"].as_u64().expect("fetched");
    assert_eq!(fetched, file_bytes_sent(&server), "{json:#}");
    assert_eq!(
        fetched + (tail_start - licence_start),
        wheel.len() as u64,
        "all but the licence's bytes before the first request"
    );
}

/// A small wheel (bcrypt's Windows layout, gdp's) whose binary is followed by a licence,
/// then `WHEEL` and a `METADATA` with a long description: the first request (1/48 of the
/// wheel, less than 8 KiB) holds the directory but not the metadata's start. The binary's
/// range and the metadata's (from its start to the first request) are fetched at once, in
/// two more requests: no byte of the licence is fetched (a first request of 8 KiB held
/// its last kilobytes, and the one range ran on over it). The binary's range leaves out its
/// last 15%, which this stripped module needs: one more request for it. Same findings.
#[test]
fn a_small_wheels_metadata_past_its_first_request_comes_beside_its_binary() {
    let description = String::from_utf8(compressible(12_000, 0x5bd1_e995)).expect("ascii");
    let (wheel, [so_start, licence_start, metadata_start, cut]) =
        wheel_with_licence(REAL, real_so(), 0x2c1b_3c6d, Some(&description));
    assert!(wheel.len() <= 384 * 1024, "{}", wheel.len());
    let cut_at = licence_start - cut;
    let first = first_request(wheel.len());
    let tail_start = wheel.len() as u64 - first;
    assert!(metadata_start < tail_start && metadata_start + 8 * 1024 > wheel.len() as u64);
    let server = one_wheel_server("procmaps", REAL, &wheel);
    let json = audit_procmaps(&server);
    let remote = &json["inputs"][0]["remote"];
    assert_eq!(remote["requests"], 4, "{json:#}");
    let fetched = remote["fetched"].as_u64().expect("fetched");
    assert_eq!(fetched, file_bytes_sent(&server), "{json:#}");
    let ranges = file_ranges(&server);
    assert!(
        ranges.contains(&format!("bytes=-{first}"))
            && ranges.contains(&format!("bytes={so_start}-{}", cut_at - 1))
            && ranges.contains(&format!("bytes={cut_at}-{}", licence_start - 1))
            && ranges.contains(&format!("bytes={metadata_start}-{}", tail_start - 1)),
        "{ranges:?}"
    );
    assert_eq!(
        fetched,
        wheel.len() as u64 - so_start - (metadata_start - licence_start),
        "all but the members before the binary and the licence"
    );
}

/// A small wheel in bcrypt's layout: `so` as `procmaps.abi3.so`, a 10 kB licence, then the
/// `.dist-info` files (with a long description when given). Returns its bytes and where its
/// binary, its licence and its `WHEEL` start, and what its one range leaves out of the
/// binary ([`cut_of`]).
fn wheel_with_licence(
    file_name: &str,
    so: Vec<u8>,
    seed: u64,
    description: Option<&str>,
) -> (Vec<u8>, [u64; 4]) {
    let dir = support::scratch_dir("remote-small-licence");
    let mut builder = support::wheel::WheelBuilder::new(file_name)
        .member("procmaps.abi3.so", so)
        .member(
            "procmaps-0.5.0.dist-info/LICENSE",
            support::noise(10_000, seed),
        );
    if let Some(text) = description {
        builder = builder.description(text);
    }
    let wheel = std::fs::read(builder.write(&dir)).expect("read wheel");
    assert!(wheel.len() <= 512 * 1024, "{}", wheel.len());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&wheel)).expect("zip");
    let mut start_of = |name: &str| archive.by_name(name).expect(name).header_start();
    let starts = [
        start_of("procmaps.abi3.so"),
        start_of("procmaps-0.5.0.dist-info/LICENSE"),
        start_of("procmaps-0.5.0.dist-info/WHEEL"),
        cut_of(&mut archive, "procmaps.abi3.so"),
    ];
    (wheel, starts)
}

/// What a small wheel's one range leaves out of its last binary: 15% of its compressed size.
fn cut_of(archive: &mut zip::ZipArchive<std::io::Cursor<&Vec<u8>>>, name: &str) -> u64 {
    archive.by_name(name).expect(name).compressed_size() * 15 / 100
}

/// A small wheel (bcrypt's Linux layout) whose binary ends in 120 kB no reader needs (an
/// unstripped module's symbol tables follow what the loader maps; here, noise after the
/// section headers): the one range stops 15% of the member short of its end, so those
/// bytes are not fetched, and the reader needs no more request. The same wheel tagged for
/// macOS, whose Mach-O readers need a member's end, still gets the range to it.
#[test]
fn a_small_wheels_last_binary_is_not_fetched_to_an_end_no_reader_needs() {
    let mut so = real_so();
    so.extend(support::noise(120_000, 0x7f4a_7c15));
    for (file_name, mach_o) in [
        (REAL, false),
        ("procmaps-0.5.0-cp36-abi3-macosx_11_0_x86_64.whl", true),
    ] {
        let (wheel, [so_start, licence_start, _, cut]) =
            wheel_with_licence(file_name, so.clone(), 0x94d0_49bb, None);
        assert!(cut > 16 * 1024 && cut < 100_000, "{cut}");
        let first = first_request(wheel.len());
        let tail_start = wheel.len() as u64 - first;
        let server = one_wheel_server("procmaps", file_name, &wheel);
        let (code, json) = audit_json(&server, &["pypi:procmaps==0.5.0"]);
        assert_ne!(code, 2, "{json:#}");
        let remote = &json["inputs"][0]["remote"];
        assert_eq!(remote["requests"], 2, "{json:#}");
        let fetched = remote["fetched"].as_u64().expect("fetched");
        assert_eq!(fetched, file_bytes_sent(&server), "{json:#}");
        let end = if mach_o {
            licence_start
        } else {
            assert_eq!(code, 1, "{json:#}");
            assert_real_finding(&json);
            licence_start - cut
        };
        let ranges = file_ranges(&server);
        assert_eq!(
            ranges,
            [
                format!("bytes=-{first}"),
                format!("bytes={so_start}-{}", end - 1)
            ],
            "{file_name}"
        );
        assert_eq!(fetched, first + (end - so_start), "{json:#}");
        assert!(end < tail_start);
    }
}

/// Bytes of a deflate-compressible stream (a small alphabet: about 2:1).
fn compressible(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b"abcdefghijklmnop"[(x & 15) as usize]
        })
        .collect()
}

/// A small wheel (under 512 KiB, as the index says) with a 300 kB data file beside a small
/// binary, the layout of sip 6.5.1, refl1d 0.8.14 and gdp 0.1.1: the data is never fetched,
/// where the whole wheel used to be (one request for any wheel of at most 512 KiB).
#[test]
fn a_small_wheel_with_data_beside_its_binary_is_not_fetched_whole() {
    let real = real_wheel();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&real)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    // Incompressible, so the wheel stays what it says: 300 kB of data.
    let data = support::noise(300_000, 0x9e37_79b9);
    out.start_file("procmaps-0.5.0.data/data/share/table.bin", stored)
        .expect("start");
    out.write_all(&data).expect("write");
    for i in 0..archive.len() {
        out.raw_copy_file(archive.by_index_raw(i).expect("entry"))
            .expect("copy");
    }
    let wheel = out.finish().expect("finish").into_inner();
    assert!(wheel.len() <= 512 * 1024, "{}", wheel.len());
    let server = one_wheel_server("procmaps", REAL, &wheel);
    let (code, json) = audit_json(&server, &["pypi:procmaps==0.5.0"]);
    assert_eq!(code, 1, "{json:#}");
    let remote = &json["inputs"][0]["remote"];
    assert_eq!(remote["ranged"], true, "{json:#}");
    let fetched = remote["fetched"].as_u64().expect("fetched");
    assert_eq!(fetched, file_bytes_sent(&server), "{json:#}");
    assert!(
        fetched + data.len() as u64 <= wheel.len() as u64,
        "fetched {fetched} of {}: the data was fetched",
        wheel.len()
    );
    assert_real_finding(&json);
}

/// A PE32+ DLL: 1.5 MiB of `.text`, a 4 KiB `.rdata` holding an import directory (python3.dll:
/// `PyUnicode_AsUTF8AndSize`, stable since 3.10), then 512 KiB of `.data`, all compressible
/// alike. Returns it and the end of `.rdata`: the last byte its reader needs.
fn pe_with_data_after_its_imports() -> (Vec<u8>, u64) {
    pe_with_imports_then(0x8_0000)
}

/// [`pe_with_data_after_its_imports`] with `data_len` bytes of `.data` (a multiple of 0x200).
fn pe_with_imports_then(data_len: u32) -> (Vec<u8>, u64) {
    pe_with(0x18_0000, data_len)
}

/// A PE32+ DLL of `text_len` bytes of `.text` (a multiple of 0x200), its import directory,
/// then `data_len` bytes of `.data`; and the last byte its reader needs.
fn pe_with(text_len: u32, data_len: u32) -> (Vec<u8>, u64) {
    let text_size = text_len;
    const RDATA: u32 = 0x1000;
    let (text_ptr, rdata_ptr) = (0x400u32, 0x400 + text_size);
    let data_ptr = rdata_ptr + RDATA;
    let (text_va, rdata_va) = (0x1000u32, 0x1000 + text_size);
    let data_va = rdata_va + RDATA;
    let mut pe = vec![0u8; 0x400];
    let mut text = compressible(text_size as usize, 1);
    pe.append(&mut text);
    let mut rdata = vec![0u8; RDATA as usize];
    let mut data = compressible(data_len as usize, 2);
    let w16 = |b: &mut Vec<u8>, at: usize, v: u16| b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let w32 = |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let w64 = |b: &mut Vec<u8>, at: usize, v: u64| b[at..at + 8].copy_from_slice(&v.to_le_bytes());
    // The import directory: one descriptor and a null one, the lookup and address tables,
    // the DLL's name and the hint/name entry.
    w32(&mut rdata, 0, rdata_va + 0x100);
    w32(&mut rdata, 12, rdata_va + 0x200);
    w32(&mut rdata, 16, rdata_va + 0x180);
    w64(&mut rdata, 0x100, u64::from(rdata_va + 0x300));
    w64(&mut rdata, 0x180, u64::from(rdata_va + 0x300));
    rdata[0x200..0x20b].copy_from_slice(b"python3.dll");
    let name = b"PyUnicode_AsUTF8AndSize";
    rdata[0x302..0x302 + name.len()].copy_from_slice(name);
    pe[0..2].copy_from_slice(b"MZ");
    w32(&mut pe, 0x3c, 0x40);
    pe[0x40..0x44].copy_from_slice(b"PE\0\0");
    w16(&mut pe, 0x44, 0x8664);
    w16(&mut pe, 0x46, 3);
    w16(&mut pe, 0x54, 0xf0);
    w16(&mut pe, 0x56, 0x2022);
    let opt = 0x58;
    w16(&mut pe, opt, 0x20b);
    w32(&mut pe, opt + 4, text_size);
    w32(&mut pe, opt + 20, text_va);
    w64(&mut pe, opt + 24, 0x1_8000_0000);
    w32(&mut pe, opt + 32, 0x1000);
    w32(&mut pe, opt + 36, 0x200);
    w16(&mut pe, opt + 40, 6);
    w16(&mut pe, opt + 48, 6);
    w32(&mut pe, opt + 56, data_va + data_len);
    w32(&mut pe, opt + 60, 0x400);
    w16(&mut pe, opt + 68, 2);
    w32(&mut pe, opt + 108, 16);
    w32(&mut pe, opt + 112 + 8, rdata_va);
    w32(&mut pe, opt + 112 + 12, 40);
    let sections = [
        (b".text\0\0\0", text_size, text_va, text_ptr, 0x6000_0020u32),
        (b".rdata\0\0", RDATA, rdata_va, rdata_ptr, 0x4000_0040),
        (b".data\0\0\0", data_len, data_va, data_ptr, 0xc000_0040),
    ];
    for (i, (name, size, va, ptr, flags)) in sections.into_iter().enumerate() {
        let at = opt + 0xf0 + i * 40;
        pe[at..at + 8].copy_from_slice(name);
        w32(&mut pe, at + 8, size);
        w32(&mut pe, at + 12, va);
        w32(&mut pe, at + 16, size);
        w32(&mut pe, at + 20, ptr);
        w32(&mut pe, at + 36, flags);
    }
    pe.append(&mut rdata);
    pe.append(&mut data);
    (pe, u64::from(data_ptr))
}

/// The floor of reading `member` of `wheel` up to inflated byte `needed`, exactly: the zip
/// directory, the member's local header, and the shortest prefix of its deflate stream that
/// inflates to `needed` bytes (found by bisection; deflate cannot be entered mid-stream).
fn floor_of(wheel: &[u8], member: &str, needed: u64) -> u64 {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(wheel)).expect("zip");
    let directory = wheel.len() as u64 - archive.central_directory_start();
    let file = archive.by_name(member).expect("member");
    let (header, data_start, compressed) = (
        file.header_start(),
        file.data_start().expect("data start"),
        file.compressed_size(),
    );
    drop(file);
    let stream = &wheel[data_start as usize..(data_start + compressed) as usize];
    let inflates_to = |k: usize| {
        let mut inflate = flate2::Decompress::new(false);
        let mut out = vec![0u8; needed as usize + 1];
        let _ = inflate.decompress(&stream[..k], &mut out, flate2::FlushDecompress::None);
        inflate.total_out()
    };
    let (mut lo, mut hi) = (0usize, stream.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if inflates_to(mid) >= needed {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    directory + (data_start - header) + lo as u64
}

/// A Windows wheel whose PE needs its headers and import directory, which end well before
/// the member does (the reader needs 75% of it): the windows are sized by the reader's
/// wanted end and the compression ratio seen so far, so the bytes fetched stay within 1.05×
/// of the exact floor (the last window used to run on to the member's end: 1.3×).
#[test]
fn a_pe_wheel_is_fetched_within_five_percent_of_its_floor() {
    let (pe, needed) = pe_with_data_after_its_imports();
    let name = "winext-1.0-cp36-abi3-win_amd64.whl";
    let dir = support::scratch_dir("remote-pe");
    let path = support::wheel::WheelBuilder::new(name)
        .member("winext/_ext.pyd", pe)
        .write(&dir);
    let wheel = std::fs::read(&path).expect("read wheel");
    assert!(wheel.len() > 512 * 1024, "{}", wheel.len());
    let floor = floor_of(&wheel, "winext/_ext.pyd", needed);
    // The import directory was read: the finding is there.
    let (fetched, _) = winext_fetched(name, &wheel);
    let ratio = fetched as f64 / floor as f64;
    assert!(
        ratio <= 1.05,
        "fetched {fetched}, floor {floor} ({ratio:.3}×) of a {} byte wheel",
        wheel.len()
    );
}

/// `wheel` with `comment` as its zip comment (its end record is its last 22 bytes, with no
/// comment yet).
fn with_zip_comment(mut wheel: Vec<u8>, comment: &[u8]) -> Vec<u8> {
    let at = wheel.len() - 22;
    assert_eq!(&wheel[at..at + 4], b"PK\x05\x06");
    assert_eq!(&wheel[at + 20..], [0, 0]);
    let len = u16::try_from(comment.len()).expect("a comment is at most 65535 bytes");
    wheel[at + 20..].copy_from_slice(&len.to_le_bytes());
    wheel.extend_from_slice(comment);
    wheel
}

/// A wheel with a 20 KiB zip comment: its end record is not in the first request (the last
/// 8 KiB), and is looked for backwards, in doubling steps, rather than in the whole window
/// `zipfile` searches, 64 KiB + 22 (which fetched 36 KiB of a data member no reader needs).
/// The same wheel without the comment is the reference: the comment costs about its own
/// bytes and one request. Same findings.
#[test]
fn a_zip_comment_costs_about_its_own_bytes() {
    let (pe, _) = pe_with_data_after_its_imports();
    let name = "winext-1.0-cp36-abi3-win_amd64.whl";
    let table = support::noise(200_000, 0x2545_f491);
    let dir = support::scratch_dir("remote-zip-comment");
    let path = support::wheel::WheelBuilder::new(name)
        .member("winext/_ext.pyd", pe)
        .member("winext-1.0.data/data/share/table.bin", table)
        .write(&dir);
    let plain = std::fs::read(&path).expect("read wheel");
    let comment = compressible(20 * 1024, 7);
    let commented = with_zip_comment(plain.clone(), &comment);
    let seen: Vec<(u64, u64)> = [&plain, &commented]
        .into_iter()
        .map(|wheel| winext_fetched(name, wheel))
        .collect();
    let [(plain_fetched, plain_requests), (fetched, requests)] = seen[..] else {
        unreachable!()
    };
    assert!(
        fetched <= plain_fetched + comment.len() as u64 + 4096,
        "with a {} byte comment: fetched {fetched}, without: {plain_fetched}",
        comment.len()
    );
    assert!(
        requests <= plain_requests + 1,
        "{requests} requests, {plain_requests} without the comment"
    );
}

/// A Windows wheel written in maturin's order: the binary, then `METADATA` and `WHEEL`, then
/// (when `sbom` is not 0) an SBOM of `sbom` incompressible bytes, then `RECORD`.
fn wheel_with_an_sbom(pe: &[u8], sbom: usize) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default();
    let stored = deflated.compression_method(zip::CompressionMethod::Stored);
    let sbom = support::noise(sbom, 0x68e3_1da4);
    let members: [(&str, &[u8], _); 5] = [
        ("winext/_ext.pyd", pe, deflated),
        (
            "winext-1.0.dist-info/METADATA",
            b"Metadata-Version: 2.3\nName: winext\nVersion: 1.0\n\nA long description.\n",
            deflated,
        ),
        (
            "winext-1.0.dist-info/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: false\nTag: cp36-abi3-win_amd64\n",
            deflated,
        ),
        ("winext-1.0.dist-info/sboms/winext.cyclonedx.json", &sbom, stored),
        ("winext-1.0.dist-info/RECORD", b"", deflated),
    ];
    for (name, data, options) in members {
        if name.contains("sboms") && data.is_empty() {
            continue;
        }
        out.start_file(name, options).expect("start");
        out.write_all(data).expect("write");
    }
    out.finish().expect("finish").into_inner()
}

/// A wheel whose `METADATA` and `WHEEL` are followed by a 100 kB SBOM, then `RECORD` and the
/// directory (maturin's order; nh3's SBOM is 12 kB): the metadata is fetched on its own,
/// not with everything from it to the tail (which fetched the SBOM). The same wheel without
/// the SBOM is the reference: the SBOM costs at most the part of it inside the first request.
#[test]
fn members_between_the_metadata_and_the_directory_are_not_fetched() {
    let (pe, _) = pe_with_data_after_its_imports();
    let name = "winext-1.0-cp36-abi3-win_amd64.whl";
    let seen: Vec<(u64, u64)> = [0, 100_000]
        .into_iter()
        .map(|sbom| winext_fetched(name, &wheel_with_an_sbom(&pe, sbom)))
        .collect();
    let [(plain, plain_requests), (fetched, requests)] = seen[..] else {
        unreachable!()
    };
    assert!(
        fetched <= plain + 8 * 1024,
        "with a 100 kB SBOM: fetched {fetched}, without: {plain}"
    );
    assert!(
        requests <= plain_requests + 1,
        "{requests} requests, {plain_requests} without the SBOM"
    );
}

/// A Windows wheel whose PE's unneeded end (its `.data`, after the import directory) is a
/// little longer than the first request: the last hinted window stops about where the reader
/// does, not at the member's end when less than 8 KiB of it would be left (that round-up
/// fetched 8 kB the reader never asks for). Past the floor, only the first request's bytes
/// before the directory (the end of the `.pyd`) and the last window's margin (its 2 KiB
/// slack and the error of its estimate: 4.4 kB here).
#[test]
fn the_last_hinted_window_stops_at_the_readers_end() {
    let (pe, needed) = pe_with_imports_then(0x7000);
    let name = "winext-1.0-cp36-abi3-win_amd64.whl";
    let dir = support::scratch_dir("remote-pe-end");
    let path = support::wheel::WheelBuilder::new(name)
        .member("winext/_ext.pyd", pe)
        .write(&dir);
    let wheel = std::fs::read(&path).expect("read wheel");
    let floor = floor_of(&wheel, "winext/_ext.pyd", needed);
    let directory = {
        let archive = zip::ZipArchive::new(std::io::Cursor::new(&wheel)).expect("zip");
        wheel.len() as u64 - archive.central_directory_start()
    };
    let server = one_wheel_server("winext", name, &wheel);
    let (_, json) = audit_json(&server, &["pypi:winext==1.0"]);
    let remote = &json["inputs"][0]["remote"];
    let fetched = remote["fetched"].as_u64().expect("fetched");
    assert_eq!(fetched, file_bytes_sent(&server), "{json:#}");
    assert_real_finding(&json);
    let first_request_beyond = 8 * 1024 - directory;
    assert!(
        fetched <= floor + first_request_beyond + 6 * 1024,
        "fetched {fetched}, floor {floor}: {} past it, {first_request_beyond} of them in the first request; {:?}",
        fetched - floor,
        server
            .log()
            .iter()
            .map(|l| l.range.clone())
            .collect::<Vec<_>>()
    );
}

/// A small wheel whose last binary, a PE, needs all but its last 3% (its `.data`, after
/// the import directory): the one range leaves out its last 15%, and the rest the reader
/// needs, about 50 kB, comes in one more request sized by the compression ratio seen over
/// the range (the three-quarter steps of a read far from its end took two), short of the
/// member's end. Three requests, within a few kB of the floor; same findings.
#[test]
fn a_small_wheels_cut_binary_is_finished_in_one_more_request() {
    let (pe, needed) = pe_with(0xc_0000, 0x6000);
    let name = "winext-1.0-cp36-abi3-win_amd64.whl";
    let dir = support::scratch_dir("remote-pe-cut");
    let path = support::wheel::WheelBuilder::new(name)
        .member("winext/_ext.pyd", pe)
        .write(&dir);
    let wheel = std::fs::read(&path).expect("read wheel");
    assert!(wheel.len() <= 512 * 1024, "{}", wheel.len());
    let floor = floor_of(&wheel, "winext/_ext.pyd", needed);
    let (directory, member_end, cut) = {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&wheel)).expect("zip");
        let directory = wheel.len() as u64 - archive.central_directory_start();
        let file = archive.by_name("winext/_ext.pyd").expect("pyd");
        let end = file.data_start().expect("data start") + file.compressed_size();
        (directory, end, file.compressed_size() * 15 / 100)
    };
    // What the reader needs past the range is more than the 32 KiB a read far from its end
    // steps towards in three quarters.
    assert!(
        member_end - cut + 32 * 1024 < floor - directory,
        "{floor} {member_end} {cut}"
    );
    let server = one_wheel_server("winext", name, &wheel);
    let (_, json) = audit_json(&server, &["pypi:winext==1.0"]);
    assert_real_finding(&json);
    let remote = &json["inputs"][0]["remote"];
    let fetched = remote["fetched"].as_u64().expect("fetched");
    assert_eq!(fetched, file_bytes_sent(&server), "{json:#}");
    let ranges: Vec<_> = server.log().iter().map(|l| l.range.clone()).collect();
    assert_eq!(remote["requests"], 3, "{ranges:?}");
    let first_request_beyond = 8 * 1024 - directory;
    assert!(
        fetched <= floor + first_request_beyond + 6 * 1024,
        "fetched {fetched}, floor {floor}; {ranges:?}"
    );
    assert!(
        fetched < floor + first_request_beyond + (member_end - floor),
        "{ranges:?}"
    );
}

/// An ELF (the real procmaps extension, 490 kB, stored, stripped) whose reader needs all of
/// it but its last 2 kB (`.comment`, `.shstrtab` and the section headers after its last
/// segment) in a wheel over 512 KiB: once the reader says it wants the member (nearly)
/// whole, the rest comes in one window of up to 1 MiB, to the member's end: 64 KiB for the
/// headers, one hinted step while the reader still wants less, then the rest (three
/// requests). Windows growing from 256 KiB took four; the hinted steps of a reader that
/// stops short of its end (three quarters of the estimate left, then the estimate and a
/// slack) six.
#[test]
fn a_member_needed_whole_is_fetched_in_one_window_once_known() {
    let so = real_so();
    let real = real_wheel();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&real)).expect("zip");
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    out.start_file("procmaps.abi3.so", stored).expect("start");
    out.write_all(&so).expect("write");
    out.start_file("procmaps-0.5.0.data/data/share/table.bin", stored)
        .expect("start");
    out.write_all(&compressible(128 * 1024, 3)).expect("write");
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).expect("entry");
        if file.name().map_or(true, |n| n != "procmaps.abi3.so") {
            out.raw_copy_file(file).expect("copy");
        }
    }
    let wheel = out.finish().expect("finish").into_inner();
    assert!(wheel.len() > 512 * 1024, "{}", wheel.len());
    let server = one_wheel_server("procmaps", REAL, &wheel);
    audit_procmaps(&server);
    let log = server.log();
    let so_end = so.len() as u64 + 100;
    let member_requests: Vec<_> = log
        .iter()
        .filter_map(|l| {
            let range = l.range.as_deref()?.strip_prefix("bytes=")?;
            let start: u64 = range.split('-').next()?.parse().ok()?;
            (start < so_end).then(|| range.to_owned())
        })
        .collect();
    assert_eq!(member_requests.len(), 3, "{member_requests:?}");
    // The member is the archive's first: its data ends after a 30-byte local header, its
    // name and the stored module (a range's end is inclusive).
    let data_end = 30 + "procmaps.abi3.so".len() as u64 + so.len() as u64;
    assert!(
        member_requests[2].ends_with(&format!("-{}", data_end - 1)),
        "{member_requests:?}"
    );
}

/// A server that answers the first range (the end of the file) and then the whole file to
/// every later range request: the wheel is downloaded once, checked against the index's
/// sha256, and audited with the same verdict; the report says it was not read by ranges. With
/// a wrong hash in the index, an error naming the URL.
#[test]
fn a_server_that_stops_honouring_range_mid_stream_falls_back_to_a_whole_download() {
    let switch = |data: std::sync::Arc<Vec<u8>>| Route::Switch {
        times: 1,
        first: Box::new(Route::File {
            data: std::sync::Arc::clone(&data),
            ranges: Ranges::Honour,
        }),
        then: Box::new(Route::File {
            data,
            ranges: Ranges::Ignore,
        }),
        seen: std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0)),
    };
    let (server, wheel) = procmaps_server_with(&switch, None);
    let (code, json) = audit_json(&server, &["pypi:procmaps==0.5.0"]);
    assert_eq!(code, 1, "{json:#}");
    let remote = &json["inputs"][0]["remote"];
    assert_eq!(remote["ranged"], false, "{json:#}");
    let fetched = remote["fetched"].as_u64().expect("fetched");
    assert!(fetched >= wheel.len() as u64, "{json:#}");
    assert_eq!(
        findings(&json)
            .iter()
            .filter(|(code, _)| code == "unreadable-input")
            .count(),
        0,
        "{json:#}"
    );
    assert_real_finding(&json);
    let log = server.log();
    let whole = log
        .iter()
        .filter(|l| l.path.starts_with("/files/") && l.status == 200)
        .count();
    assert_eq!(whole, 1, "downloaded once: {log:#?}");

    let (server, _) = procmaps_server_with(&switch, Some(&"ab".repeat(32)));
    let (code, json) = audit_json(&server, &["pypi:procmaps==0.5.0"]);
    assert_eq!(code, 2, "{json:#}");
    let text = messages(&json);
    assert!(text.contains("sha256"), "{text}");
    assert!(text.contains(&server.url("/files/")), "{text}");
}

/// A server that answers ranges with the whole file: downloaded once, hash-checked, same
/// verdict, and the report says so; with a wrong hash in the index, an error naming the URL.
#[test]
fn a_server_ignoring_range_is_downloaded_whole_and_hash_checked() {
    let (server, wheel) = procmaps_server(Ranges::Ignore, None);
    let (code, json) = audit_json(&server, &["pypi:procmaps==0.5.0"]);
    assert_eq!(code, 1, "{json:#}");
    let remote = &json["inputs"][0]["remote"];
    assert_eq!(remote["ranged"], false);
    assert_eq!(remote["fetched"], wheel.len() as u64);
    assert_real_finding(&json);
    let index = server.url("/simple/");
    let (_, human, _) = run(&["audit", "--index-url", &index, "pypi:procmaps"]);
    assert!(
        human.contains("the server ignored Range: downloaded all"),
        "{human}"
    );

    let (server, _) = procmaps_server(Ranges::Ignore, Some(&"ab".repeat(32)));
    let (code, json) = audit_json(&server, &["pypi:procmaps"]);
    assert_eq!(code, 2, "{json:#}");
    let text = messages(&json);
    assert!(
        text.contains("sha256") && text.contains(&server.url(&format!("/files/{REAL}"))),
        "{text}"
    );
}

/// Truncated bodies and a `Content-Length` that lies are retried, then reported as an
/// error naming the URL; never a hang or a panic.
#[test]
fn truncated_and_lying_responses_are_errors_naming_the_url() {
    for ranges in [Ranges::Truncate, Ranges::LyingLength] {
        let (server, _) = procmaps_server(ranges, None);
        let (code, json) = audit_json(&server, &["pypi:procmaps"]);
        assert_eq!(code, 2, "{ranges:?}: {json:#}");
        let text = messages(&json);
        assert!(
            text.contains(&server.url(&format!("/files/{REAL}"))) && text.contains("cut short"),
            "{ranges:?}: {text}"
        );
        assert_eq!(json["summary"]["analysis_failures"], 1);
    }
}

/// Redirects of the index page and of the file are followed (ranges kept).
#[test]
fn redirects_are_followed() {
    let wheel = padded_wheel();
    let files = vec![(
        REAL.to_owned(),
        "/moved/x.whl".to_owned(),
        sha256(&wheel),
        None,
    )];
    let mut routes = HashMap::new();
    routes.insert(
        "/simple/procmaps/".to_owned(),
        Route::Redirect("/real/procmaps/".into()),
    );
    routes.insert(
        "/real/procmaps/".to_owned(),
        Route::json(index_page("procmaps", &files)),
    );
    routes.insert(
        "/moved/x.whl".to_owned(),
        Route::Redirect(format!("/files/{REAL}")),
    );
    routes.insert(format!("/files/{REAL}"), Route::file(wheel.clone()));
    let server = Server::start(routes);
    let (code, json) = audit_json(&server, &["pypi:procmaps"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["inputs"][0]["remote"]["ranged"], true, "{json:#}");
    assert!(
        (json["inputs"][0]["remote"]["fetched"].as_u64().unwrap_or(0) as usize)
            < wheel.len() - BLOB + 65536
    );
}

/// A missing project and a missing version are clear errors naming the URL; other inputs
/// (a local wheel) are still audited.
#[test]
fn missing_projects_and_versions_are_clear_errors() {
    let (server, _) = procmaps_server(Ranges::Honour, None);
    let local = format!(
        "{}/../tests/fixtures/real/{REAL}",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, json) = audit_json(&server, &["pypi:nope", "pypi:procmaps==9.9", &local]);
    assert_eq!(code, 2, "{json:#}");
    let inputs = json["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 3);
    let text = messages(&json);
    assert!(
        text.contains("no project `nope`") && text.contains(&server.url("/simple/nope/")),
        "{text}"
    );
    assert!(
        text.contains("has no release 9.9") && text.contains("0.5.0"),
        "{text}"
    );
    assert_eq!(inputs[2]["kind"], "wheel");
    assert!(
        !inputs[2]["binaries"]
            .as_array()
            .expect("binaries")
            .is_empty()
    );
}

/// 429 and 503 are retried with backoff (`Retry-After: 0` here), then served.
#[test]
fn rate_limits_and_server_errors_are_retried() {
    let wheel = padded_wheel();
    let files = vec![(
        REAL.to_owned(),
        format!("/files/{REAL}"),
        sha256(&wheel),
        None,
    )];
    let mut routes = HashMap::new();
    routes.insert(
        "/simple/procmaps/".to_owned(),
        Route::fail_first(2, 429, Route::json(index_page("procmaps", &files))),
    );
    routes.insert(
        format!("/files/{REAL}"),
        Route::fail_first(1, 503, Route::file(wheel)),
    );
    let server = Server::start(routes);
    let index = server.url("/simple/");
    let (code, stdout, stderr) = run(&[
        "audit",
        "--format",
        "json",
        "--index-url",
        &index,
        "--http-retries",
        "3",
        "pypi:procmaps",
    ]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    let statuses: Vec<u16> = server.log().iter().map(|l| l.status).collect();
    assert!(
        statuses.starts_with(&[429, 429, 200, 503, 206]),
        "{statuses:?}"
    );
    // Without retries, the 429 is the error.
    let (server2, _) = (
        Server::start(HashMap::from([(
            "/simple/procmaps/".to_owned(),
            Route::fail_first(5, 429, Route::Status(404)),
        )])),
        (),
    );
    let (code, json) = audit_json(&server2, &["pypi:procmaps"]);
    assert_eq!(code, 2);
    assert!(messages(&json).contains("HTTP 429"), "{json:#}");
}

/// Hostile index pages: too large (a limit, named), thousands of files with odd names,
/// versions and URLs (the right wheel is still chosen), and a page that is not JSON.
#[test]
fn hostile_index_pages() {
    let wheel = padded_wheel();
    let mut files: Vec<(String, String, String, Option<&str>)> = Vec::new();
    for i in 0..5000 {
        let (name, url) = match i % 8 {
            0 => (
                format!("procmaps-0.5.0-cp36-abi3-x{i}\n.whl"),
                "/files/x.whl".to_owned(),
            ),
            1 => (
                format!("../../procmaps-{i}.0-cp36-abi3-linux_x86_64.whl"),
                "/files/x.whl".to_owned(),
            ),
            2 => (
                format!("evil-{i}.0-cp36-abi3-linux_x86_64.whl"),
                "/files/x.whl".to_owned(),
            ),
            3 => (
                format!("procmaps-latest{i}-cp36-abi3-linux_x86_64.whl"),
                "/files/x.whl".to_owned(),
            ),
            4 => (
                "procmaps-99999999999999999999999.0-cp36-abi3-linux_x86_64.whl".to_owned(),
                "/files/x.whl".to_owned(),
            ),
            5 => (
                format!("procmaps-0.5.0-cp36-abi3-linux_{i}.whl"),
                "file:///etc/passwd".to_owned(),
            ),
            6 => (
                format!("procmaps-0.5.0-cp36-abi3-linux_{i}.whl"),
                "//elsewhere/x.whl".to_owned(),
            ),
            _ => (
                format!("prócmaps-\u{202e}{i}.whl"),
                "/files/x.whl".to_owned(),
            ),
        };
        files.push((name, url, "00".into(), None));
    }
    files.push((
        REAL.to_owned(),
        format!("/files/{REAL}"),
        sha256(&wheel),
        None,
    ));
    let page = index_page("procmaps", &files);
    let mut routes = HashMap::new();
    routes.insert("/simple/procmaps/".to_owned(), Route::json(page.clone()));
    routes.insert(
        "/simple/huge/".to_owned(),
        Route::json(vec![b' '; 3 * 1024 * 1024]),
    );
    routes.insert(
        "/simple/html/".to_owned(),
        Route::json("<html><a href=x.whl>x</a></html>"),
    );
    routes.insert("/simple/deep/".to_owned(), Route::json("[".repeat(100_000)));
    routes.insert(format!("/files/{REAL}"), Route::file(wheel));
    let server = Server::start(routes);
    let (code, json) = audit_json(
        &server,
        &[
            "pypi:procmaps==0.5.0",
            "--max-index-size",
            "1",
            "pypi:huge",
            "pypi:html",
            "pypi:deep",
        ],
    );
    assert_eq!(code, 2, "{json:#}");
    let inputs = json["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 4, "{json:#}");
    assert_eq!(inputs[0]["path"], format!("pypi:procmaps==0.5.0/{REAL}"));
    assert!(
        !inputs[0]["binaries"]
            .as_array()
            .expect("binaries")
            .is_empty()
    );
    let text = messages(&json);
    assert!(
        text.contains(&server.url("/simple/huge/")) && text.contains("over the limit"),
        "{text}"
    );
    assert_eq!(inputs[1]["findings"][0]["code"], "input-limit-exceeded");
    assert!(
        text.contains(&server.url("/simple/html/")) && text.contains("not a PEP 691 JSON"),
        "{text}"
    );
    assert!(text.contains(&server.url("/simple/deep/")), "{text}");
    // The latest version among the odd names that parse is 0.5.0 (the huge number does not
    // parse as a release number).
    let (code, json) = audit_json(&server, &["pypi:procmaps"]);
    assert_eq!(code, 1, "{json:#}");
}

/// A pinned yanked release is audited, and says so; `--summary` prints one row per
/// release in Markdown and CSV.
#[test]
fn yanked_pins_and_summaries() {
    let (server, _) = procmaps_server(Ranges::Honour, None);
    let (code, json) = audit_json(&server, &["pypi:procmaps==0.7.0"]);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["inputs"][0]["remote"]["yanked"], "broken");
    let index = server.url("/simple/");
    let (code, md, _) = run(&[
        "audit",
        "--index-url",
        &index,
        "--summary",
        "markdown",
        "pypi:procmaps",
        "pypi:procmaps==0.7.0",
        "pypi:nope",
    ]);
    assert_eq!(code, 2, "{md}");
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines.len(), 5, "{md}");
    assert!(lines[0].starts_with("| release | verdict |"), "{md}");
    assert!(
        lines[2].starts_with("| procmaps 0.5.0 | fail | 1 | 1 | 1 | 0 |"),
        "{md}"
    );
    assert!(
        lines[2].contains("cp36-abi3-manylinux2010_x86_64: fail"),
        "{md}"
    );
    assert!(lines[3].starts_with("| procmaps 0.7.0 | fail |"), "{md}");
    assert!(
        lines[4].starts_with("| pypi:nope | unreadable |") || lines[4].contains("no project"),
        "{md}"
    );
    let (_, csv, _) = run(&[
        "audit",
        "--index-url",
        &index,
        "--summary",
        "csv",
        "pypi:procmaps",
    ]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "release,verdict,wheels,binaries,errors,warnings,fetched,platforms"
    );
    assert!(
        lines[1].starts_with("procmaps 0.5.0,fail,1,1,1,0,"),
        "{csv}"
    );
}

/// The real index: one small project (procmaps 0.5.0, 211 kB). Skips, saying why, when
/// pypi.org cannot be reached from here.
#[test]
fn smoke_real_index() {
    use std::net::ToSocketAddrs;
    let reachable = ("pypi.org", 443)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(5)).is_ok());
    // The network to the real PyPI is not something CI always has.
    skip_optional_unless!(reachable, "pypi.org:443 cannot be reached from here");
    let (code, stdout, stderr) = run(&["audit", "--format", "json", "pypi:procmaps==0.5.0"]);
    let json: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    if code == 2 && messages(&json).contains("cannot resolve") {
        support::skip_optional(format_args!(
            "the index could not be read: {}",
            messages(&json)
        ));
        return;
    }
    assert_eq!(code, 1, "{json:#}");
    assert_real_finding(&json);
    let remote = &json["inputs"][0]["remote"];
    assert_eq!(remote["ranged"], true, "{json:#}");
    assert!(
        remote["url"]
            .as_str()
            .unwrap_or_default()
            .starts_with("https://")
    );
}

/// An x86_64 ELF shared object of `total` bytes whose `PT_DYNAMIC` names a string table of
/// `strsz` bytes (just under the reader's 16 MiB limit): its reader holds all of it.
fn elf_with_a_huge_string_table(total: u64, strsz: u64) -> Vec<u8> {
    // PT_DYNAMIC at 0x1000, 0x100 bytes.
    let mut h = dynamic_head(total, 0x100);
    // DT_STRTAB, DT_STRSZ, DT_SYMTAB, DT_SYMENT, DT_NEEDED, DT_NULL.
    for (i, (tag, value)) in [
        (5u64, 0x2000u64),
        (10, strsz),
        (6, 0x2000),
        (11, 24),
        (1, 1),
    ]
    .into_iter()
    .enumerate()
    {
        put(&mut h, 0x1000 + 16 * i, &tag.to_le_bytes());
        put(&mut h, 0x1000 + 16 * i + 8, &value.to_le_bytes());
    }
    h.resize(0x2000, 0);
    h
}

/// A hostile release: eight wheels whose one binary makes its reader hold a 16 MB string
/// table, audited with `--jobs 16` (the most). Member reads take their bytes from the run's budget, so
/// the run stays under 100 MB peak RSS however many run at once (eight at once would hold
/// 128 MB), and every wheel is still audited.
#[test]
fn hostile_members_stay_within_the_memory_budget_at_any_jobs() {
    const TOTAL: u64 = 24 << 20;
    let dir = support::scratch_dir("remote-rss");
    let head = elf_with_a_huge_string_table(TOTAL, (16 << 20) - 0x4000);
    let wheels = (0..8)
        .map(|i| {
            let name = format!("bomb-0.1-cp39-abi3-manylinux_2_{}_x86_64.whl", 17 + i);
            let wheel = support::rss::padded_wheel(&dir, &name, "bomb/_s.abi3.so", &head, TOTAL)
                .unwrap_or_else(|skip| panic!("cannot build the hostile wheel: {skip}"));
            (name, std::fs::read(&wheel).expect("read the hostile wheel"))
        })
        .collect();
    let server = release_server("bomb", wheels);
    let index = server.url("/simple/");
    let (rss, code, json) = audit_rss(&["--jobs", "16", "--index-url", &index, "pypi:bomb==0.1"]);
    assert!(code == 0 || code == 1 || code == 2, "{json:#}");
    assert_ranged(&json, 8, 1);
    assert!(rss < 100 * 1024, "peak RSS {rss} KiB, over 100 MB");
}

/// A release of eight wheels of sixteen binaries each, every binary with 12,000 imports (a
/// model of about 1.5 MB, as a PyQt6 module's): each member is judged as soon as it is read
/// and its model dropped, so the run holds two models at a time, not a wheel's worth per
/// wheel in flight (8 × 16 × 1.5 MB, about 190 MB, before). Under 100 MB peak RSS.
#[test]
fn models_are_dropped_as_members_are_judged() {
    let imports: Vec<String> = (0..12_000)
        .map(|i| format!("_ZN7QtStyle20somewhatLongSymbolName{i:06}Ev"))
        .collect();
    let elf = fixture_or_skip!(support::build_elf_with_lld(&support::ElfSpec {
        arch: support::ElfArch::X86_64,
        soname: "_m.abi3.so".into(),
        exports: vec!["PyInit__m".into()],
        imports,
        versioned_lib: None,
        hash_style: "both",
    }));
    let dir = support::scratch_dir("remote-models");
    let wheels = (0..8)
        .map(|i| {
            let name = format!("many-0.1-cp39-abi3-manylinux_2_{}_x86_64.whl", 17 + i);
            let mut builder = support::wheel::WheelBuilder::new(&name);
            for m in 0..16 {
                builder = builder.member(&format!("many/_m{m}.abi3.so"), elf.clone());
            }
            (
                name,
                std::fs::read(builder.write(&dir)).expect("read the wheel"),
            )
        })
        .collect();
    let server = release_server("many", wheels);
    let index = server.url("/simple/");
    let (rss, code, json) = audit_rss(&["--jobs", "8", "--index-url", &index, "pypi:many==0.1"]);
    assert!(code == 0 || code == 1, "{json:#}");
    assert_ranged(&json, 8, 16);
    assert!(rss < 100 * 1024, "peak RSS {rss} KiB, over 100 MB");
}

/// Four project pages of 35 MB (120,000 files each, under the 64 MiB and 200,000-file
/// limits) resolved in parallel: each page is stored in a temporary file and read twice, one
/// file at a time, so the run holds one release's files per page, never a page (held and
/// parsed whole, four pages of 50 MB peaked at 900 MB). Each resolves to its latest release.
#[test]
fn big_project_pages_are_read_without_being_held() {
    let mut routes = HashMap::new();
    let mut args = vec!["--jobs".to_owned(), "8".to_owned()];
    for p in 0..4 {
        let project = format!("big{p}");
        let mut page = String::from(r#"{"meta": {"api-version": "1.1"}, "files": ["#);
        for i in 0..120_000 {
            if i > 0 {
                page.push(',');
            }
            page.push_str(&format!(
                r#"{{"filename": "{project}-1.{i}-cp39-abi3-manylinux_2_17_x86_64.whl", "url": "/files/{project}-1.{i}.whl", "hashes": {{"sha256": "{:064}"}}, "requires-python": ">=3.9", "yanked": false, "size": 1000}}"#,
                i
            ));
        }
        page.push_str("]}");
        routes.insert(format!("/simple/{project}/"), Route::json(page));
        args.push(format!("pypi:{project}"));
    }
    let server = Server::start(routes);
    let index = server.url("/simple/");
    let mut all = vec!["--index-url", index.as_str()];
    all.extend(args.iter().map(String::as_str));
    let (rss, code, json) = audit_rss(&all);
    // The wheels themselves are not served: each is an unreadable input.
    assert_eq!(code, 2, "{json:#}");
    let inputs = json["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 4, "{json:#}");
    for (p, input) in inputs.iter().enumerate() {
        assert_eq!(
            input["path"],
            format!("pypi:big{p}==1.119999/big{p}-1.119999-cp39-abi3-manylinux_2_17_x86_64.whl"),
            "{input:#}"
        );
    }
    assert!(rss < 100 * 1024, "peak RSS {rss} KiB, over 100 MB");
}

/// A wheel over 512 KiB (data beside its binary) that installs two scripts just before its
/// `.dist-info`, as refl1d 0.8.14 does, with a `METADATA` past the first request: the audit
/// reads each script's first bytes, and the scripts come in the metadata's range, not in a
/// request each after it (refl1d: five requests one after the other, now three).
#[test]
fn scripts_next_to_the_metadata_come_in_its_range() {
    let dir = support::scratch_dir("remote-scripts");
    let description = String::from_utf8(compressible(40_000, 0x1b87_3593)).expect("ascii");
    let path = support::wheel::WheelBuilder::new(REAL)
        .member(
            "procmaps-0.5.0.data/data/share/table.bin",
            support::noise(300_000, 0x85eb_ca6b),
        )
        .member("procmaps.abi3.so", real_so())
        .member(
            "procmaps-0.5.0.data/scripts/procmaps-cli",
            b"#!python\nprint('cli')\n".to_vec(),
        )
        .member(
            "procmaps-0.5.0.data/scripts/procmaps-gui",
            b"#!python\nprint('gui')\n".to_vec(),
        )
        .description(&description)
        .write(&dir);
    let wheel = std::fs::read(&path).expect("read wheel");
    assert!(wheel.len() > 512 * 1024, "{}", wheel.len());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&wheel)).expect("zip");
    let mut start_of = |name: &str| archive.by_name(name).expect(name).header_start();
    let scripts = [
        start_of("procmaps-0.5.0.data/scripts/procmaps-cli"),
        start_of("procmaps-0.5.0.data/scripts/procmaps-gui"),
    ];
    let wheel_start = start_of("procmaps-0.5.0.dist-info/WHEEL");
    assert!(
        wheel_start + 8 * 1024 < wheel.len() as u64,
        "WHEEL is in the first request"
    );
    let server = one_wheel_server("procmaps", REAL, &wheel);
    audit_procmaps(&server);
    let starts: Vec<u64> = server
        .log()
        .iter()
        .filter(|l| l.path.starts_with("/files/"))
        .filter_map(|l| {
            let range = l.range.as_deref()?.strip_prefix("bytes=")?;
            range.split('-').next()?.parse().ok()
        })
        .collect();
    assert!(
        starts.contains(&scripts[0]),
        "one range from the first script: {starts:?}"
    );
    assert!(
        !starts.contains(&scripts[1]) && !starts.contains(&wheel_start),
        "the second script and the metadata in the same range: {starts:?}"
    );
}
