// The declaration written by the build hook (not exported; read back by `cargo abi3 audit`).
include!(concat!(env!("OUT_DIR"), "/cargo_abi3_declaration.rs"));

extern "C" {
    /// From src/helper.c, built with the limited API of the resolved floor.
    fn helper_answer() -> *mut pyo3::ffi::PyObject;
}

#[pyo3::pymodule]
mod hooked_c_helper {
    use pyo3::prelude::*;

    /// 42, computed in C.
    #[pyfunction]
    fn answer(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        // SAFETY: helper_answer returns a new reference or NULL with an exception set.
        unsafe { Bound::from_owned_ptr_or_err(py, super::helper_answer()) }
    }
}
