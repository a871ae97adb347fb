//! Declares `abi3-py39`, but its helper crate calls `PyType_GetName` (stable ABI since 3.11)
//! through a raw `extern "C"` declaration that PyO3's cfgs cannot guard.

use pyo3::prelude::*;
use pyo3::types::PyType;

/// The name of an object's type, through `floorhelper`.
#[pyfunction]
fn type_name(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    let ty: Bound<'_, PyType> = obj.get_type();
    // SAFETY: `ty` is a live type object; `type_name` returns a new reference or NULL.
    let name = unsafe { floorhelper::type_name(obj.py(), ty.as_type_ptr().cast()) };
    let name = name.ok_or_else(|| PyErr::fetch(obj.py()))?;
    // SAFETY: a new, non-NULL reference owned by us.
    let name = unsafe { Bound::from_owned_ptr(obj.py(), name.cast()) };
    name.extract()
}

#[pymodule]
fn raw_extern_311(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(type_name, m)?)
}
