//! Micro-benchmarks of the hot paths: symbol lookup in the stable-ABI table, wheel tag and
//! extension file-name parsing, the ELF dynamic read, and the sparse read of a member.
//!
//!     cargo bench -p cargo-abi3 --bench micro
//!
//! The ELF is the committed real wheel's `procmaps.abi3.so` (tests/fixtures/real).

use std::hint::black_box;
use std::ops::ControlFlow;
use std::path::Path;

use cargo_abi3::binary::{self, Sparse};
use cargo_abi3::wheel::{ExtensionFileName, Limits, WheelArchive, WheelName};
use criterion::{Criterion, criterion_group, criterion_main};

fn real_elf() -> Vec<u8> {
    let wheel = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/real/procmaps-0.5.0-cp36-abi3-manylinux2010_x86_64.whl");
    let mut archive = WheelArchive::open(&wheel, &Limits::default()).expect("open wheel");
    let member = archive.shared_objects().remove(0);
    archive
        .read_member(&member.path, None)
        .expect("read member")
        .bytes
}

fn lookup(c: &mut Criterion) {
    let mut g = c.benchmark_group("abi::lookup");
    g.bench_function("hit", |b| {
        b.iter(|| cargo_abi3::abi::lookup(black_box("PyUnicode_AsUTF8AndSize")))
    });
    g.bench_function("miss", |b| {
        b.iter(|| cargo_abi3::abi::lookup(black_box("memcpy")))
    });
    g.bench_function("private", |b| {
        b.iter(|| cargo_abi3::abi::lookup(black_box("_PyObject_GC_Malloc")))
    });
    g.finish();
}

fn tags(c: &mut Criterion) {
    let mut g = c.benchmark_group("tags");
    let name = "polars-1.33.1-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
    g.bench_function("WheelName::parse", |b| {
        b.iter(|| WheelName::parse(black_box(name)))
    });
    g.bench_function("ExtensionFileName::parse", |b| {
        b.iter(|| ExtensionFileName::parse(black_box("pkg/_core.cpython-312-x86_64-linux-gnu.so")))
    });
    g.finish();
}

fn elf(c: &mut Criterion) {
    let data = real_elf();
    let mut g = c.benchmark_group("elf");
    g.bench_function("binary::read (dynamic section, symbols, versions)", |b| {
        b.iter(|| binary::read(black_box(&data)).expect("read"))
    });
    g.bench_function("binary::plan (headers held)", |b| {
        let sparse = Sparse::whole(&data);
        b.iter(|| binary::plan(black_box(sparse.view())))
    });
    g.bench_function("binary::read_streamed (64 KiB chunks)", |b| {
        b.iter(|| {
            binary::read_streamed::<()>(
                data.len() as u64,
                |sink| {
                    for chunk in data.chunks(64 * 1024) {
                        if sink(chunk) == ControlFlow::Break(()) {
                            break;
                        }
                    }
                    Ok(())
                },
                &mut |_| {},
            )
            .expect("stream")
        })
    });
    g.finish();
}

criterion_group!(benches, lookup, tags, elf);
criterion_main!(benches);
