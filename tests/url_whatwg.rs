//! `casplus::url` against the WHATWG URL standard (the `url` crate, what browsers
//! implement): whenever casplus accepts a URL as a browser destination, a browser reads the
//! same host and port — so matching the host by name matches the server the browser visits.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used)]

use casplus::url::parse_http;
use proptest::prelude::*;

fn agree(s: &str) -> Result<(), TestCaseError> {
    if let Ok(ours) = parse_http(s) {
        let theirs = url::Url::parse(s);
        prop_assert!(theirs.is_ok(), "{s:?}: accepted here, refused by WHATWG");
        let theirs = theirs.unwrap();
        prop_assert_eq!(Some(ours.host()), theirs.host_str(), "host of {:?}", s);
        prop_assert_eq!(ours.port_or_default(), theirs.port_or_known_default());
        prop_assert_eq!(ours.scheme(), theirs.scheme());
    }
    Ok(())
}

#[test]
fn hostile_urls_agree_with_whatwg() {
    for s in [
        "https://evil.test?.example.org/",
        "https://evil.test#.example.org/",
        "https://app.example.org.evil.test/",
        "https://APP.Example.ORG:443/x",
        "https://app.example.org./",
        "https://[::1]:8443/x",
        "http://127.0.0.1:9000/app?x=1",
        "https://a_b.example/",
    ] {
        agree(s).unwrap();
        assert!(parse_http(s).is_ok(), "{s}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn hosts_agree_with_whatwg(
        scheme in "(https?|HTTPS?|Http)",
        authority in "[a-zA-Z0-9._@:%\\-\\[\\]]{0,24}",
        rest in "([/?#\\\\][a-z0-9./%?#@:\\\\]{0,16})?",
    ) {
        agree(&format!("{scheme}://{authority}{rest}"))?;
    }

    #[test]
    fn numeric_hosts_agree_with_whatwg(
        parts in proptest::collection::vec("(0|[1-9][0-9]{0,2}|0x[0-9a-f]{1,2}|0[0-7]{1,3})", 1..6),
        dot in "\\.?",
    ) {
        agree(&format!("http://{}{dot}/", parts.join(".")))?;
    }
}
