//! The committed test inputs under `tests/vectors/`: their paths and their bytes.

use std::path::PathBuf;

/// The path of `tests/vectors/<dir>/<name>`.
pub fn path(dir: &str, name: &str) -> PathBuf {
    [env!("CARGO_MANIFEST_DIR"), "tests", "vectors", dir, name]
        .iter()
        .collect()
}

/// The bytes of `tests/vectors/<dir>/<name>`; a missing file names its path.
pub fn read(dir: &str, name: &str) -> Vec<u8> {
    let p = path(dir, name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}
