//! SAML 1.1 `/samlValidate` request bodies (CAS protocol §4.2): the SOAP parser is total on
//! any text (no DOCTYPE, no entity expansion, bounded nesting), and an artifact it finds is
//! character data of the input (text nodes, possibly split by comments or processing
//! instructions), never markup.
#![no_main]

use casplus::cas::saml::parse_request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    if let Ok(req) = parse_request(text) {
        assert!(!req.assertion_artifact.contains('<'));
        assert!(req.assertion_artifact.len() <= text.len());
    }
});
