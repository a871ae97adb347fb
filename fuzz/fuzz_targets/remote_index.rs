//! What `audit pypi:` parses from a server: the PEP 691 project page (JSON), the release and
//! wheel choice over it with relative URLs, and `Content-Range` headers.
//!
//! Input: a first line `SPEC\tPAGE_URL\tCONTENT_RANGE` (any part may be missing), then the
//! page. Asserts what the fetcher relies on: only `http(s)` URLs come out, every chosen wheel
//! is a file the page lists and is a binary wheel of the chosen version, and a parsed
//! `Content-Range` is a non-empty range inside its total.
#![no_main]

use cargo_abi3::remote::index::{self, Spec};
use cargo_abi3::remote::source::content_range;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let head = String::from_utf8_lossy(head);
    let mut parts = head.split('\t');
    let spec = parts.next().unwrap_or_default();
    // The page URL is always one that was fetched, after redirects: http(s) only.
    let page_url = parts
        .next()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .unwrap_or("https://pypi.org/simple/x/");
    if let Some(range) = parts.next()
        && let Some((a, b, total)) = content_range(range)
    {
        assert!(a <= b && b < total, "{range:?}");
    }
    if let Some(url) = index::absolute_url(page_url, spec) {
        assert!(
            url.starts_with("https://") || url.starts_with("http://"),
            "{url}"
        );
    }
    let spec = match Spec::parse(&format!("{}{spec}", Spec::PREFIX)) {
        Some(Ok(spec)) => spec,
        _ => Spec::parse("pypi:x")
            .and_then(Result::ok)
            .expect("pypi:x parses"),
    };
    // The page as the fetcher stores it, read back twice by the chooser. Every file name a
    // chosen wheel may have, as the page spells it (a plain JSON parse, for the assertion).
    let listed: Vec<String> = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("files")?.as_array().map(|files| {
                files
                    .iter()
                    .filter_map(|f| Some(f.get("filename")?.as_str()?.to_owned()))
                    .collect()
            })
        })
        .unwrap_or_default();
    for all_wheels in [false, true] {
        let mut open = || Ok::<_, std::io::Error>(std::io::Cursor::new(body));
        let Ok(release) = index::choose(&mut open, page_url, &spec, all_wheels, 200_000) else {
            continue;
        };
        for wheel in &release.wheels {
            assert!(
                wheel.url.starts_with("https://") || wheel.url.starts_with("http://"),
                "{}",
                wheel.url
            );
            assert!(
                listed.iter().any(|f| *f == wheel.filename),
                "{} is not on the page",
                wheel.filename
            );
            assert!(wheel.filename.ends_with(".whl"), "{}", wheel.filename);
        }
    }
});
