//! Wheels: file-name and tag parsing, `WHEEL` / `METADATA`, and streaming member reads
//! straight from the zip (never extracted to disk).
