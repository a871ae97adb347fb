# The extension is declared in setup.py only (no [tool.setuptools-rust] table): its module is
# `sp_pkg._native`, read statically from the string literals below.
from setuptools import setup
from setuptools_rust import Binding, RustExtension

setup(
    rust_extensions=[RustExtension("sp_pkg._native", "Cargo.toml", binding=Binding.PyO3)],
)
