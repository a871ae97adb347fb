// The declaration written by the build hook (not exported; read back by `cargo abi3 audit`).
include!(concat!(env!("OUT_DIR"), "/cargo_abi3_declaration.rs"));

#[pyo3::pymodule]
mod hooked_maturin_extension_module {
    use pyo3::prelude::*;

    #[pyfunction]
    fn double(x: i64) -> i64 {
        x * 2
    }
}
