#[pyo3::pymodule]
mod abi3_abi3t_fallback {
    use pyo3::prelude::*;

    #[pyfunction]
    fn double(x: i64) -> i64 {
        x * 2
    }
}
