fn main() {
    cargo_abi3_build_hook::check();
    // The hook's rerun-if-changed lines replace Cargo's "any file changed" default: list C files.
    println!("cargo::rerun-if-changed=src/helper.c");
    cargo_abi3_build_hook::cc_build()
        .file("src/helper.c")
        .compile("helper");
}
