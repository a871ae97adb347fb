#[pyo3::pymodule]
mod abi3t_old_interpreter {
    use pyo3::prelude::*;

    #[pyfunction]
    fn double(x: i64) -> i64 {
        x * 2
    }
}
