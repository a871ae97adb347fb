//! Integration tests of `cargo abi3 audit`.
