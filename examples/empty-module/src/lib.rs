//! Deliberately broken: a PyO3 crate that builds a cdylib but defines no `#[pymodule]`, so
//! the `empty_module.abi3.so` maturin packages exports no `PyInit_empty_module` and imports
//! nothing from Python. `import empty_module` fails with "dynamic module does not define
//! module export function"; `cargo abi3 check` reports `entry-point-missing`.

/// Plain Rust: nothing here is exposed to Python.
pub fn add(a: i64, b: i64) -> i64 {
    a + b
}
