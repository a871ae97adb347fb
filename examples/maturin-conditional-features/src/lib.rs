//! One source, two abi3 floors: maturin enables `pyo3/abi3-py311` and the `type-name` feature
//! for CPython 3.11+, `pyo3/abi3-py39` below. `type-name` calls `PyType_GetName` (stable ABI
//! since 3.11) through a raw `extern "C"`: fine on the 3.11 floor, an error on the 3.9 one.

use pyo3::prelude::*;

#[cfg(feature = "type-name")]
mod type_name {
    use std::ffi::c_void;

    use pyo3::prelude::*;
    use pyo3::types::PyType;

    unsafe extern "C" {
        fn PyType_GetName(ty: *mut c_void) -> *mut c_void;
    }

    /// The name of an object's type, straight from the 3.11 API.
    #[pyfunction]
    pub fn type_name(obj: &Bound<'_, PyAny>) -> PyResult<String> {
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
}

#[pyfunction]
fn double(x: i64) -> i64 {
    x * 2
}

#[pymodule]
fn maturin_conditional_features(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(double, m)?)?;
    #[cfg(feature = "type-name")]
    m.add_function(wrap_pyfunction!(type_name::type_name, m)?)?;
    Ok(())
}
