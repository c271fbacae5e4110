//! The Content-Security-Policy hashes (CSP Level 3 §2.3.1, `'sha256-…'`) of the inline
//! stylesheet and script of the pages ([`html`](src/html.rs)), computed here from the same
//! files the pages include, so the Worker never hashes them at run time.

use std::fmt::Write as _;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

fn main() {
    let mut out = String::new();
    for (name, file) in [
        ("CSS_HASH", "src/page.css"),
        ("AUTOPOST_HASH", "src/autopost.js"),
    ] {
        println!("cargo:rerun-if-changed={file}");
        let text = std::fs::read(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let hash = STANDARD.encode(Sha256::digest(&text));
        let _ = writeln!(
            out,
            "/// The CSP source of `{file}`.\npub const {name}: &str = \"'sha256-{hash}'\";"
        );
    }
    let dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(dir.join("csp_hashes.rs"), out).expect("OUT_DIR is writable");
}
