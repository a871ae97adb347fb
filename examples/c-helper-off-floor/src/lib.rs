//! Declares `abi3-py39`; the Rust side is clean, the C helper is not.

use pyo3::prelude::*;
use pyo3::types::PyString;

unsafe extern "C" {
    fn helper_utf8_len(text: *mut pyo3::ffi::PyObject) -> pyo3::ffi::Py_ssize_t;
}

/// The length of `text` in UTF-8 bytes, computed by the C helper.
#[pyfunction]
fn utf8_len(text: &Bound<'_, PyString>) -> PyResult<isize> {
    // SAFETY: `text` is a live str; the helper only reads it.
    let n = unsafe { helper_utf8_len(text.as_ptr()) };
    if n < 0 {
        return Err(PyErr::fetch(text.py()));
    }
    Ok(n)
}

#[pymodule]
fn c_helper_off_floor(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(utf8_len, m)?)
}
