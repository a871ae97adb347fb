//! Wheels written at test time around fixture binaries.

use std::io::Write;
use std::path::{Path, PathBuf};

use zip::ZipWriter;
use zip::write::SimpleFileOptions;

/// A wheel to write: its file name decides the tags; `WHEEL` and `METADATA` are generated.
pub struct WheelBuilder {
    file_name: String,
    members: Vec<(String, Vec<u8>)>,
    requires_python: Option<String>,
    description: Option<String>,
    root_is_purelib: bool,
}

impl WheelBuilder {
    /// `file_name` like `demo-0.1.0-cp39-abi3-manylinux_2_17_x86_64.whl`.
    pub fn new(file_name: &str) -> Self {
        WheelBuilder {
            file_name: file_name.to_owned(),
            members: Vec::new(),
            requires_python: None,
            description: None,
            root_is_purelib: false,
        }
    }

    pub fn member(mut self, path: &str, data: impl Into<Vec<u8>>) -> Self {
        self.members.push((path.to_owned(), data.into()));
        self
    }

    pub fn requires_python(mut self, spec: &str) -> Self {
        self.requires_python = Some(spec.to_owned());
        self
    }

    /// A long description after `METADATA`'s headers (a blank line, then `text`).
    pub fn description(mut self, text: &str) -> Self {
        self.description = Some(text.to_owned());
        self
    }

    pub fn root_is_purelib(mut self, purelib: bool) -> Self {
        self.root_is_purelib = purelib;
        self
    }

    /// Writes the wheel into `dir` and returns its path.
    pub fn write(self, dir: &Path) -> PathBuf {
        let parts: Vec<&str> = self.file_name.trim_end_matches(".whl").split('-').collect();
        let (dist, version) = (parts[0], parts[1]);
        let tag = parts[parts.len() - 3..].join("-");
        let dist_info = format!("{dist}-{version}.dist-info");
        let wheel = format!(
            "Wheel-Version: 1.0\nGenerator: cargo-abi3-tests\nRoot-Is-Purelib: {}\nTag: {tag}\n",
            self.root_is_purelib
        );
        let mut metadata = format!("Metadata-Version: 2.3\nName: {dist}\nVersion: {version}\n");
        if let Some(spec) = &self.requires_python {
            metadata.push_str(&format!("Requires-Python: {spec}\n"));
        }
        if let Some(text) = &self.description {
            metadata.push_str(&format!("\n{text}"));
        }
        let path = dir.join(&self.file_name);
        let mut zip = ZipWriter::new(std::fs::File::create(&path).expect("create wheel"));
        let options = SimpleFileOptions::default();
        let generated = [
            (format!("{dist_info}/WHEEL"), wheel.into_bytes()),
            (format!("{dist_info}/METADATA"), metadata.into_bytes()),
            (format!("{dist_info}/RECORD"), Vec::new()),
        ];
        for (name, data) in self.members.iter().chain(generated.iter()) {
            zip.start_file(name.as_str(), options)
                .expect("start member");
            zip.write_all(data).expect("write member");
        }
        zip.finish().expect("finish wheel");
        path
    }
}
