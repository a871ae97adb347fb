fn main() {
    cargo_abi3_build_hook::check();
}
