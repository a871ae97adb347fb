//! Extension `ext_a` of the two-extensions workspace.

use pyo3::prelude::*;

#[pyfunction]
fn name() -> &'static str {
    "ext_a"
}

#[pymodule]
fn ext_a(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(name, m)?)
}
