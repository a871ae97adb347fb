//! The `dev-probe` default feature calls `PyLong_AsInt` (stable ABI since 3.13) through a raw
//! `extern "C"`: a 3.9-floor wheel must not contain it, and maturin's
//! `no-default-features = true` keeps it out.

use pyo3::prelude::*;

#[cfg(feature = "dev-probe")]
mod probe {
    use std::ffi::c_void;

    use pyo3::prelude::*;

    unsafe extern "C" {
        fn PyLong_AsInt(obj: *mut c_void) -> std::ffi::c_int;
    }

    /// An int as C `int`, through the 3.13 API.
    #[pyfunction]
    pub fn as_c_int(obj: &Bound<'_, PyAny>) -> PyResult<i32> {
        // SAFETY: `obj` is a live object; the call sets an exception and returns -1 on error.
        let value = unsafe { PyLong_AsInt(obj.as_ptr().cast()) };
        match PyErr::take(obj.py()) {
            Some(err) if value == -1 => Err(err),
            _ => Ok(value),
        }
    }
}

#[pyfunction]
fn double(x: i64) -> i64 {
    x * 2
}

#[pymodule]
fn maturin_no_default_features(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(double, m)?)?;
    #[cfg(feature = "dev-probe")]
    m.add_function(wrap_pyfunction!(probe::as_c_int, m)?)?;
    Ok(())
}
