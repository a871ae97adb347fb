//! Built by setuptools-rust as `sa_pkg._native`, with `--no-default-features` from the
//! extension's `args`: the default `type-name` feature (a raw call to `PyType_GetName`,
//! stable ABI since 3.11) stays out of the cp39-abi3 wheel; `greeting` comes from `features`.

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

#[cfg(feature = "greeting")]
#[pyfunction]
fn greeting() -> &'static str {
    "hello from sa_pkg"
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(double, m)?)?;
    #[cfg(feature = "greeting")]
    m.add_function(wrap_pyfunction!(greeting, m)?)?;
    #[cfg(feature = "type-name")]
    m.add_function(wrap_pyfunction!(type_name::type_name, m)?)?;
    Ok(())
}
