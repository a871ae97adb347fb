//! Extension `ext_b` of the two-extensions workspace.

use pyo3::prelude::*;

#[pyfunction]
fn name() -> &'static str {
    "ext_b"
}

#[pymodule]
fn ext_b(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(name, m)?)
}
