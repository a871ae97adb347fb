//! A helper that declares a C-API function itself instead of going through `pyo3::ffi`,
//! so nothing checks it against the crate's abi3 floor.

use std::ffi::c_void;

use pyo3::Python;

unsafe extern "C" {
    /// Stable ABI since 3.11: an `abi3-py39` module calling it fails to load on 3.9 and 3.10.
    fn PyType_GetName(ty: *mut c_void) -> *mut c_void;
}

/// `type.__name__` as a new reference, or `None` with the Python error set.
///
/// # Safety
/// `ty` must point to a live type object.
pub unsafe fn type_name(_py: Python<'_>, ty: *mut c_void) -> Option<*mut c_void> {
    // SAFETY: the caller holds the GIL (`_py`) and passes a live type object.
    let name = unsafe { PyType_GetName(ty) };
    (!name.is_null()).then_some(name)
}
