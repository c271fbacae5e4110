//! Single-logout `logoutRequest` bodies (CAS protocol §2.3.3, Appendix C): the parser is total
//! on any bytes (form-encoded or raw XML; no DOCTYPE, no entity expansion, bounded nesting),
//! and a session index it finds is non-empty character data of the input, never markup.
#![no_main]

use casplus::cas::client::logout::{parse_logout_form, parse_logout_request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(req)) = parse_logout_form(data) {
        assert!(!req.session_index.is_empty());
    }
    let Ok(text) = core::str::from_utf8(data) else { return };
    if let Ok(req) = parse_logout_request(text) {
        assert!(!req.session_index.is_empty());
        assert!(req.session_index.len() <= text.len());
    }
});
