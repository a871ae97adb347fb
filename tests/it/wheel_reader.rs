//! Integration tests of the wheel reader: wheels are written at test time with the zip writer.

use std::io::Write;
use std::path::{Path, PathBuf};

use cargo_abi3::PyVersion;
use cargo_abi3::wheel::{
    Limits, Notice, SuffixKind, WheelArchive, WheelError, requires_python_floor,
};
use zip::CompressionMethod::{Deflated, Stored};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const WHEEL: &[u8] = b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n\
Tag: cp38-abi3-manylinux_2_17_x86_64\nTag: cp38-abi3-manylinux2014_x86_64\n";
const METADATA: &[u8] = b"Metadata-Version: 2.3\nName: pkg\nVersion: 1.0\n\
Requires-Python: >=3.8\n\nLong description\n";

fn write_zip(path: &Path, entries: &[(&str, &[u8], CompressionMethod)]) {
    let mut zip = ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, data, method) in entries {
        let options = SimpleFileOptions::default().compression_method(*method);
        zip.start_file(*name, options).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap();
}

fn so_bytes(len: usize) -> Vec<u8> {
    let mut v = b"\x7fELF".to_vec();
    v.extend((0..len).map(|i| (i * 7 % 251) as u8));
    v
}

const NAME: &str = "pkg-1.0-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";

fn good_wheel(dir: &Path) -> PathBuf {
    let path = dir.join(NAME);
    let core = so_bytes(200_000);
    write_zip(
        &path,
        &[
            ("pkg/__init__.py", b"from ._core import *\n", Deflated),
            ("pkg/_core.abi3.so", &core, Deflated),
            (
                "pkg/_old.cpython-311-x86_64-linux-gnu.so",
                &so_bytes(100),
                Stored,
            ),
            ("pkg.libs/libfoo-ab12.so.1", &so_bytes(1000), Stored),
            ("pkg-1.0.data/purelib/pkg/_pure.so", &so_bytes(10), Deflated),
            ("pkg-1.0.data/purelib/pkg/helper.py", b"", Deflated),
            ("pkg-1.0.dist-info/WHEEL", WHEEL, Deflated),
            ("pkg-1.0.dist-info/METADATA", METADATA, Stored),
            ("pkg-1.0.dist-info/RECORD", b"", Stored),
        ],
    );
    path
}

#[test]
fn reads_members_metadata_and_shared_objects() {
    let dir = tempfile::tempdir().unwrap();
    let path = good_wheel(dir.path());
    let mut w = WheelArchive::open(&path, &Limits::default()).unwrap();

    let name = w.name().unwrap();
    assert_eq!(name.claimed_floor(), Some(PyVersion::new(3, 8)));
    assert!(name.has_abi3());

    let meta = w.metadata();
    assert_eq!(meta.dist_info.as_deref(), Some("pkg-1.0.dist-info"));
    let wheel = meta.wheel.as_ref().unwrap();
    assert_eq!(wheel.root_is_purelib, Some(false));
    assert_eq!(wheel.tags.len(), 2);
    let core = meta.core.as_ref().unwrap();
    assert_eq!(core.name.as_deref(), Some("pkg"));
    assert_eq!(core.requires_python_floor(), Some(PyVersion::new(3, 8)));
    assert_eq!(
        requires_python_floor(core.requires_python.as_deref().unwrap()),
        Some(PyVersion::new(3, 8))
    );
    assert!(w.notices().is_empty(), "{:?}", w.notices());
    assert_eq!(w.members().len(), 9);

    let sos = w.shared_objects();
    let paths: Vec<&str> = sos.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "pkg/_core.abi3.so",
            "pkg/_old.cpython-311-x86_64-linux-gnu.so",
            "pkg.libs/libfoo-ab12.so.1",
            "pkg-1.0.data/purelib/pkg/_pure.so",
        ]
    );
    assert_eq!(sos[0].file_name.suffix, SuffixKind::Abi3);
    assert_eq!(sos[0].file_name.module.as_deref(), Some("_core"));
    assert_eq!(sos[0].size, 200_004);
    assert!(sos[0].compressed_size < sos[0].size);
    assert!(!sos[0].in_purelib);
    assert!(matches!(
        sos[1].file_name.suffix,
        SuffixKind::VersionSpecific { version: Some(v), .. } if v == PyVersion::new(3, 11)
    ));
    assert_eq!(sos[2].file_name.suffix, SuffixKind::VersionedSo);
    assert_eq!(sos[2].file_name.module, None);
    assert_eq!(sos[3].file_name.suffix, SuffixKind::PlainSo);
    assert!(sos[3].in_purelib);

    // Prefix vs full reads, deflated and stored.
    let prefix = w.read_member("pkg/_core.abi3.so", Some(64)).unwrap();
    assert_eq!(prefix.bytes.len(), 64);
    assert!(!prefix.complete);
    assert_eq!(&prefix.bytes[..4], b"\x7fELF");
    let full = w.read_member("pkg/_core.abi3.so", None).unwrap();
    assert!(full.complete);
    assert_eq!(full.bytes, so_bytes(200_000));
    assert_eq!(&full.bytes[..64], &prefix.bytes[..]);
    let exact = w
        .read_member("pkg.libs/libfoo-ab12.so.1", Some(1004))
        .unwrap();
    assert!(exact.complete);
    assert_eq!(exact.bytes, so_bytes(1000));
    let stored_prefix = w
        .read_member("pkg.libs/libfoo-ab12.so.1", Some(10))
        .unwrap();
    assert_eq!(
        (stored_prefix.bytes.len(), stored_prefix.complete),
        (10, false)
    );
    let empty = w.read_member("pkg-1.0.dist-info/RECORD", None).unwrap();
    assert!(empty.complete && empty.bytes.is_empty());

    let missing = w.read_member("pkg/nope.so", None).unwrap_err();
    assert!(matches!(missing, WheelError::NoSuchMember { .. }));
}

#[test]
fn root_is_purelib_marks_root_members() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pkg-1.0-py3-none-any.whl");
    write_zip(
        &path,
        &[
            ("pkg/_x.abi3.so", &so_bytes(10), Stored),
            ("pkg-1.0.data/platlib/pkg/_y.abi3.so", &so_bytes(10), Stored),
            (
                "pkg-1.0.dist-info/WHEEL",
                b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
                Stored,
            ),
        ],
    );
    let w = WheelArchive::open(&path, &Limits::default()).unwrap();
    let sos = w.shared_objects();
    assert!(sos[0].in_purelib);
    assert!(!sos[1].in_purelib);
    assert_eq!(w.notices(), [Notice::MissingMetadataFile]);
}

#[test]
fn not_a_zip_named_whl() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(NAME);
    std::fs::write(&path, b"<!DOCTYPE html><html>404 Not Found</html>").unwrap();
    let err = WheelArchive::open(&path, &Limits::default()).unwrap_err();
    assert!(matches!(err, WheelError::NotAZip { .. }), "{err:?}");
    assert!(err.to_string().contains("is not a zip archive"), "{err}");

    std::fs::write(&path, b"").unwrap();
    let err = WheelArchive::open(&path, &Limits::default()).unwrap_err();
    assert!(matches!(err, WheelError::NotAZip { .. }), "{err:?}");

    // A truncated real wheel.
    let good = good_wheel(dir.path());
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = WheelArchive::open(&path, &Limits::default()).unwrap_err();
    assert!(matches!(err, WheelError::NotAZip { .. }), "{err:?}");

    let err = WheelArchive::open(&dir.path().join("absent.whl"), &Limits::default()).unwrap_err();
    assert!(matches!(err, WheelError::Io { .. }), "{err:?}");
}

#[test]
fn zip_bomb_exceeds_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(NAME);
    let zeros = vec![0u8; 8 << 20];
    write_zip(
        &path,
        &[
            ("pkg/_core.abi3.so", &zeros, Deflated),
            ("pkg-1.0.dist-info/WHEEL", WHEEL, Deflated),
        ],
    );
    let limits = Limits {
        max_compression_ratio: 100,
        ..Limits::default()
    };
    // Listing is fine: nothing is inflated.
    let mut w = WheelArchive::open(&path, &limits).unwrap();
    let err = w.read_member("pkg/_core.abi3.so", None).unwrap_err();
    match &err {
        WheelError::LimitExceeded {
            setting,
            limit,
            actual,
            ..
        } => {
            assert_eq!(*setting, "max_compression_ratio");
            assert_eq!(*limit, 100);
            assert!(*actual > 100);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("Limits::max_compression_ratio"),
        "{err}"
    );

    // All-zero data deflates at ~1028:1, so the default 1000:1 catches it too.
    let mut w = WheelArchive::open(&path, &Limits::default()).unwrap();
    let err = w.read_member("pkg/_core.abi3.so", Some(16)).unwrap_err();
    assert!(err.to_string().contains("compression ratio"), "{err}");

    // Member-size and total limits trip the same way.
    let limits = Limits {
        max_member_bytes: 1 << 20,
        max_compression_ratio: u64::MAX,
        ..Limits::default()
    };
    let mut w = WheelArchive::open(&path, &limits).unwrap();
    let err = w.read_member("pkg/_core.abi3.so", None).unwrap_err();
    assert!(err.to_string().contains("max_member_bytes"), "{err}");
    // A bounded prefix of a big member is still fine.
    let head = w.read_member("pkg/_core.abi3.so", Some(16)).unwrap();
    assert_eq!((head.bytes.len(), head.complete), (16, false));

    let limits = Limits {
        max_total_bytes: 1 << 20,
        ..Limits::default()
    };
    let err = WheelArchive::open(&path, &limits).unwrap_err();
    assert!(err.to_string().contains("max_total_bytes"), "{err}");
}

#[test]
fn unsafe_paths_are_reported_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(NAME);
    write_zip(
        &path,
        &[
            ("pkg/_core.abi3.so", &so_bytes(10), Stored),
            ("../../evil.so", &so_bytes(10), Stored),
            ("pkg/../../evil2.so", &so_bytes(10), Stored),
            ("pkg-1.0.dist-info/WHEEL", WHEEL, Stored),
            ("pkg-1.0.dist-info/METADATA", METADATA, Stored),
        ],
    );
    let mut w = WheelArchive::open(&path, &Limits::default()).unwrap();
    let unsafe_names: Vec<&str> = w
        .notices()
        .iter()
        .filter_map(|n| match n {
            Notice::UnsafePath { name } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(unsafe_names, ["../../evil.so", "pkg/../../evil2.so"]);
    assert_eq!(w.shared_objects().len(), 1);
    let err = w.read_member("../../evil.so", None).unwrap_err();
    assert!(matches!(err, WheelError::UnsafePath { .. }), "{err:?}");
    assert!(err.to_string().contains("never read"), "{err}");
    assert!(w.notices()[0].to_string().contains("unsafe path"));
}

#[test]
fn too_many_members() {
    let dir = tempfile::tempdir().unwrap();
    let path = good_wheel(dir.path());
    let limits = Limits {
        max_members: 3,
        ..Limits::default()
    };
    let err = WheelArchive::open(&path, &limits).unwrap_err();
    match &err {
        WheelError::LimitExceeded {
            setting,
            limit,
            actual,
            ..
        } => assert_eq!((setting.field(), *limit, *actual), ("max_members", 3, 9)),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("number of zip entries"), "{err}");
}

#[test]
fn duplicate_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(NAME);
    // The writer refuses duplicates, so write two same-length names and patch one into the
    // other in both the local headers and the central directory.
    write_zip(
        &path,
        &[
            ("pkg/_a.abi3.so", &so_bytes(10), Stored),
            ("pkg/_b.abi3.so", &so_bytes(20), Stored),
            ("pkg-1.0.dist-info/WHEEL", WHEEL, Stored),
        ],
    );
    let bytes = std::fs::read(&path).unwrap();
    let patched = replace_all(&bytes, b"pkg/_b.abi3.so", b"pkg/_a.abi3.so");
    std::fs::write(&path, patched).unwrap();
    let err = WheelArchive::open(&path, &Limits::default()).unwrap_err();
    assert!(matches!(err, WheelError::DuplicateName { .. }), "{err:?}");
    assert!(err.to_string().contains("more than once"), "{err}");
}

#[test]
fn symlinks_nested_archives_and_oversized_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(NAME);
    let mut zip = ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = SimpleFileOptions::default().compression_method(Stored);
    zip.add_symlink("pkg/link.so", "_core.abi3.so", opts)
        .unwrap();
    zip.start_file("pkg/vendor.zip", opts).unwrap();
    zip.write_all(b"PK\x05\x06").unwrap();
    zip.start_file("pkg-1.0.dist-info/METADATA", opts).unwrap();
    zip.write_all(&vec![b'x'; 4096]).unwrap();
    zip.finish().unwrap();

    // Oversized metadata does not stop the wheel from being read: it becomes a notice.
    let w = WheelArchive::open(
        &path,
        &Limits {
            max_metadata_bytes: 1024,
            ..Limits::default()
        },
    )
    .unwrap();
    let unreadable = w
        .notices()
        .iter()
        .find(|n| matches!(n, Notice::UnreadableMetadata { limit: true, .. }))
        .unwrap_or_else(|| panic!("{:?}", w.notices()));
    assert!(
        unreadable.to_string().contains("max_metadata_bytes"),
        "{unreadable}"
    );
    assert!(!w.notices().contains(&Notice::MissingMetadataFile));

    let w = WheelArchive::open(&path, &Limits::default()).unwrap();
    assert!(w.notices().contains(&Notice::Symlink {
        name: "pkg/link.so".into()
    }));
    assert!(w.notices().contains(&Notice::NestedArchive {
        name: "pkg/vendor.zip".into()
    }));
    assert!(w.notices().contains(&Notice::MissingWheelFile));
    // pip writes a symlink entry as a regular file holding the link's target: it is a member.
    let sos = w.shared_objects();
    assert_eq!(sos.len(), 1);
    assert_eq!(sos[0].path, "pkg/link.so");
}

/// `METADATA` is read up to the end of its headers (the first blank line), where its parser
/// stops: a long description past `--max-metadata-size` is neither read nor a notice, while
/// headers past it still are; a blank line of spaces and CRLF ends them as it does the parser.
#[test]
fn metadata_is_read_up_to_the_end_of_its_headers() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_metadata_bytes: 1024,
        ..Limits::default()
    };
    let body = vec![b'x'; 64 * 1024];
    let headers: [&[u8]; 3] = [
        b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nRequires-Python: >=3.9\n\n",
        b"Metadata-Version: 2.1\r\nName: pkg\r\nVersion: 1.0\r\nRequires-Python: >=3.9\r\n \t\r\n",
        b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nRequires-Python: >=3.9\n\n",
    ];
    for (i, head) in headers.into_iter().enumerate() {
        let mut metadata = head.to_vec();
        metadata.extend_from_slice(&body);
        let path = dir.path().join(format!("{i}-{NAME}"));
        let method = if i == 2 { Stored } else { Deflated };
        write_zip(
            &path,
            &[
                ("pkg/_core.abi3.so", &so_bytes(1000), Deflated),
                ("pkg-1.0.dist-info/WHEEL", WHEEL, Deflated),
                ("pkg-1.0.dist-info/METADATA", &metadata, method),
            ],
        );
        let w = WheelArchive::open(&path, &limits).unwrap();
        assert!(
            !w.notices()
                .iter()
                .any(|n| matches!(n, Notice::UnreadableMetadata { .. })),
            "{:?}",
            w.notices()
        );
        let core = w.metadata().core.as_ref().expect("METADATA parsed");
        assert_eq!(core.requires_python.as_deref(), Some(">=3.9"), "case {i}");
    }
    // Headers alone past the limit are still refused.
    let mut metadata = b"Metadata-Version: 2.1\nName: pkg\nSummary: ".to_vec();
    metadata.extend_from_slice(&body);
    let path = dir.path().join(NAME);
    write_zip(
        &path,
        &[
            ("pkg-1.0.dist-info/WHEEL", WHEEL, Deflated),
            ("pkg-1.0.dist-info/METADATA", &metadata, Deflated),
        ],
    );
    let w = WheelArchive::open(&path, &limits).unwrap();
    assert!(
        w.notices()
            .iter()
            .any(|n| matches!(n, Notice::UnreadableMetadata { limit: true, .. })),
        "{:?}",
        w.notices()
    );
}

#[test]
fn garbage_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read(good_wheel(dir.path())).unwrap();
    let path = dir.path().join("fuzz.whl");
    // Flip bytes across the archive; every outcome must be Ok or Err, never a panic.
    for step in (0..good.len()).step_by(97) {
        let mut bytes = good.clone();
        bytes[step] ^= 0xa5;
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(mut w) = WheelArchive::open(&path, &Limits::default()) {
            for m in w.shared_objects() {
                let _ = w.read_member(&m.path, None);
                let _ = w.read_member(&m.path, Some(8));
            }
        }
    }
}

fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = haystack.to_vec();
    let mut i = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            i += from.len();
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn member_inflating_past_its_declared_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(NAME);
    write_zip(
        &path,
        &[("pkg/_core.abi3.so", &so_bytes(100_000), Deflated)],
    );
    // Patch the central directory's uncompressed size (offset 24 of the header) to 10 bytes.
    let mut bytes = std::fs::read(&path).unwrap();
    let cd = bytes
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .expect("central directory header");
    bytes[cd + 24..cd + 28].copy_from_slice(&10u32.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();

    let mut w = WheelArchive::open(&path, &Limits::default()).unwrap();
    assert_eq!(w.members()[0].size, 10);
    let err = w.read_member("pkg/_core.abi3.so", None).unwrap_err();
    assert!(matches!(err, WheelError::CorruptMember { .. }), "{err:?}");
    assert!(err.to_string().contains("declared"), "{err}");
}

/// The committed real wheel: each shared object read sparsely from the zip stream, with and
/// without the plan, gives what a full read gives; with the plan in one pass. (Its first
/// segment is executable and holds everything up to `.dynamic`: what is held is the 2 MiB
/// speculation, i.e. nearly all of this small member.)
#[test]
fn real_wheel_sparse_reads_match_full_reads() {
    use cargo_abi3::binary::{self, StreamOptions};
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/real/procmaps-0.5.0-cp36-abi3-manylinux2010_x86_64.whl");
    let mut w = WheelArchive::open(&path, &Limits::default()).unwrap();
    let sos = w.shared_objects();
    assert!(!sos.is_empty());
    for so in sos {
        let data = w.read_member(&so.path, None).unwrap().bytes;
        let full = binary::read(&data).unwrap();
        for plan in [true, false] {
            let options = StreamOptions {
                plan,
                ..StreamOptions::default()
            };
            let mut observed = 0u64;
            let (got, stats) = binary::read_streamed_with(
                so.size,
                options,
                |sink| w.stream_member(&so.path, sink),
                &mut |chunk| observed += chunk.len() as u64,
            )
            .unwrap();
            assert_eq!(got.unwrap(), full, "{}: plan {plan}, {stats:?}", so.path);
            assert!(observed <= so.size);
            if plan {
                assert_eq!(stats.passes, 1, "{stats:?}");
                assert!(stats.held < so.size, "{stats:?}");
            }
        }
    }
}

/// Streaming enforces the limits on the bytes inflated, pass after pass.
#[test]
fn stream_member_counts_every_pass_towards_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let path = good_wheel(dir.path());
    let mut limits = Limits::default();
    let member = "pkg/_core.abi3.so";
    let size = {
        let w = WheelArchive::open(&path, &limits).unwrap();
        w.member(member).unwrap().size
    };
    // Room for the metadata and two passes over the member, not three.
    limits.max_total_bytes = 2 * size + 4096;
    let mut w = WheelArchive::open(&path, &limits).unwrap();
    let mut pass = || w.stream_member(member, &mut |_| std::ops::ControlFlow::Continue(()));
    pass().unwrap();
    pass().unwrap();
    let err = pass().unwrap_err();
    assert!(
        matches!(
            err,
            WheelError::LimitExceeded {
                setting: cargo_abi3::wheel::Setting::MaxTotalBytes,
                ..
            }
        ),
        "{err}"
    );
}
