//! Shared-object file names: suffix kinds and module names.
#![no_main]

use cargo_abi3::wheel::ExtensionFileName;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = ExtensionFileName::parse(name);
    let _ = parsed.is_shared_object();
    let _ = parsed.is_extension_module();
    if let Some(module) = &parsed.module {
        assert!(
            name.contains(module.as_str()),
            "module {module:?} is not part of {name:?}"
        );
    }
    let _ = cargo_abi3::inputs::is_auditable_name(std::path::Path::new(name));
});
