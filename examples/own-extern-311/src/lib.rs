//! Deliberately broken: declares `abi3-py39`, but calls `PyType_GetName` (stable ABI since
//! 3.11) through a raw `extern "C"` block in its own code, the most common place for one.
//! `cargo abi3 check` names this crate and the line of the call.

use std::ffi::c_void;

use pyo3::prelude::*;
use pyo3::types::PyType;

unsafe extern "C" {
    /// Stable ABI since 3.11: this module fails to load on 3.9 and 3.10.
    fn PyType_GetName(ty: *mut c_void) -> *mut c_void;
}

/// The name of an object's type.
#[pyfunction]
fn type_name(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let ty: Bound<'_, PyType> = obj.get_type();
    // SAFETY: `ty` is a live type object; the call returns a new reference or NULL.
    let name = unsafe { PyType_GetName(ty.as_type_ptr().cast()) };
    if name.is_null() {
        return Err(PyErr::fetch(obj.py()));
    }
    // SAFETY: a new, non-NULL reference owned by us.
    let name = unsafe { Bound::from_owned_ptr(obj.py(), name.cast()) };
    name.extract()
}

#[pymodule]
fn own_extern_311(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(type_name, m)?)
}
