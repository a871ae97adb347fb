#[pyo3::pymodule(name = "_native")]
mod native {
    use pyo3::prelude::*;

    #[pyfunction]
    fn double(x: i64) -> i64 {
        x * 2
    }
}
