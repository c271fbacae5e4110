//! CAS validation responses (§2.5–§2.7, Appendix A; JSON format): the parser is total on any
//! text, and rendering is a fixed point after one normalisation — whatever parses, rendered
//! as XML or JSON and parsed again, renders to the very same document (hostile usernames,
//! attribute names and values included).
#![no_main]

use casplus::cas::client::parse_validation_response;
use casplus::cas::{json, xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else { return };
    let parsed = match parse_validation_response(text) {
        Ok(p) => p,
        Err(e) => {
            assert!(e.offset <= text.len(), "error offset inside the input");
            return;
        }
    };
    let Some(resp) = parsed.to_service_response() else { return };
    for render in [xml::render, json::render] {
        let once = render(&resp);
        let again = parse_validation_response(&once)
            .unwrap_or_else(|e| panic!("own output must parse: {e}\n{once}"))
            .to_service_response()
            .expect("own output is a service response");
        let twice = render(&again);
        let thrice = render(
            &parse_validation_response(&twice)
                .expect("normalised output parses")
                .to_service_response()
                .expect("service response"),
        );
        assert_eq!(twice, thrice, "render∘parse is idempotent");
    }
});
