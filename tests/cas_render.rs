//! Public-API tests of the CAS response renderers and parsers (`casplus::cas::{xml, json, saml,
//! client}`), named after the CAS Protocol 3.0 sections they check.
//!
//! XML output is re-read with an independent, namespace-aware DOM built here on quick-xml and
//! checked element by element; JSON output is compared with golden files written from the
//! spec's examples (`tests/golden/cas/`); every parser is fed hostile input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use casplus::cas::client::{
    MAX_INPUT, MAX_VALUES, ParseErrorKind, ResponseFormat, ResponseKind, ValidationResult,
    parse_validation_response,
};
use casplus::cas::json;
use casplus::cas::response::{Attributes, Failure, FailureCode, ServiceResponse, Success};
use casplus::cas::saml::{
    self, AM_PASSWORD, SAML1_NS, SAML2_NS, SAMLP1_NS, SAMLP2_NS, SOAP_NS, SamlResponseParams,
    parse_request, render_logout_request, render_response,
};
use casplus::cas::xml::{
    self, CAS_NS, UNREPRESENTABLE, is_representable_user, is_valid_attribute_name, is_xml_char,
};
use casplus::time::Timestamp;
use proptest::prelude::*;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

// --- An independent DOM for element-by-element checks -----------------------------------------

#[derive(Debug, Clone, PartialEq)]
struct Node {
    ns: String,
    qname: String,
    local: String,
    attrs: Vec<(String, String)>,
    /// All character data directly inside this element, references resolved, untrimmed.
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, ns: &str, local: &str) -> &Node {
        let found: Vec<&Node> = self
            .children
            .iter()
            .filter(|c| c.ns == ns && c.local == local)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "exactly one {{{ns}}}{local} in {}",
            self.qname
        );
        found[0]
    }
    fn all(&self, ns: &str, local: &str) -> Vec<&Node> {
        self.children
            .iter()
            .filter(|c| c.ns == ns && c.local == local)
            .collect()
    }
    fn has(&self, ns: &str, local: &str) -> bool {
        self.children.iter().any(|c| c.ns == ns && c.local == local)
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn names(&self) -> Vec<&str> {
        self.children.iter().map(|c| c.local.as_str()).collect()
    }
}

fn resolve_ref(name: &str) -> char {
    match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        n => {
            let n = n
                .strip_prefix('#')
                .expect("only predefined entities and character references");
            let v = match n.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).unwrap(),
                None => n.parse().unwrap(),
            };
            let c = char::from_u32(v).unwrap();
            assert!(is_xml_char(c), "reference to a non-XML character {v:#x}");
            c
        }
    }
}

/// Parses a whole document (must be well-formed, namespace-valid, with exactly one root).
fn dom(xml: &str) -> Node {
    let mut r = NsReader::from_str(xml);
    let mut stack: Vec<Node> = Vec::new();
    let mut root = None;
    loop {
        let (res, ev) = r
            .read_resolved_event()
            .unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}"));
        let ns = match res {
            ResolveResult::Bound(n) => n.as_ref().to_owned(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(p) => panic!("unbound prefix {p:?}"),
        };
        let open = |e: &quick_xml::events::BytesStart<'_>| Node {
            ns: ns.clone(),
            qname: e.name().as_ref().to_owned(),
            local: e.local_name().as_ref().to_owned(),
            attrs: e
                .attributes()
                .map(|a| {
                    let a = a.unwrap();
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap();
                    (a.key.as_ref().to_owned(), v.into_owned())
                })
                .collect(),
            text: String::new(),
            children: Vec::new(),
        };
        match ev {
            Event::Start(e) => stack.push(open(&e)),
            Event::Empty(e) => {
                let n = open(&e);
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => root = Some(n),
                }
            }
            Event::End(_) => {
                let n = stack.pop().unwrap();
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => {
                        assert!(root.is_none(), "two roots");
                        root = Some(n);
                    }
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                assert!(s.chars().all(is_xml_char), "raw non-XML character in {s:?}");
                match stack.last_mut() {
                    Some(p) => p.text.push_str(&s),
                    None => assert!(s.trim().is_empty(), "text outside the root: {s:?}"),
                }
            }
            Event::GeneralRef(g) => stack
                .last_mut()
                .expect("reference outside root")
                .text
                .push(resolve_ref(&g)),
            Event::CData(c) => stack.last_mut().unwrap().text.push_str(&c.xml10_content()),
            Event::DocType(_) => panic!("renderers never write a DOCTYPE"),
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(stack.is_empty());
    root.expect("a root element")
}

// --- Fixtures -----------------------------------------------------------------------------------

fn attrs(pairs: &[(&str, &[&str])]) -> Attributes {
    pairs
        .iter()
        .map(|(k, vs)| {
            (
                (*k).to_owned(),
                vs.iter().map(|v| (*v).to_owned()).collect(),
            )
        })
        .collect()
}

fn success(user: &str) -> Success {
    Success {
        user: user.to_owned(),
        ..Success::default()
    }
}

fn spec_custom_attributes() -> Success {
    // §2.5.7's example (values as in its XML; the JSON example's "firstName" and
    // "jdoe@example.orgmailto:…" are typos of the spec).
    Success {
        user: "username".into(),
        attributes: attrs(&[
            ("firstname", &["John"]),
            ("lastname", &["Doe"]),
            ("title", &["Mr."]),
            ("email", &["jdoe@example.org"]),
            ("affiliation", &["staff", "faculty"]),
        ]),
        proxy_granting_ticket: Some("PGTIOU-84678-8a9d...".into()),
        proxies: vec![],
    }
}

fn failure(code: FailureCode, description: &str) -> Failure {
    Failure {
        code,
        description: description.to_owned(),
    }
}

const ALL_CODES: [FailureCode; 8] = [
    FailureCode::InvalidRequest,
    FailureCode::InvalidTicketSpec,
    FailureCode::UnauthorizedServiceProxy,
    FailureCode::InvalidProxyCallback,
    FailureCode::InvalidTicket,
    FailureCode::InvalidService,
    FailureCode::UnauthorizedService,
    FailureCode::InternalError,
];

fn golden(name: &str) -> String {
    let path = format!("{}/tests/golden/cas/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .trim_end()
        .to_owned()
}

fn parse(text: &str) -> ValidationResult {
    parse_validation_response(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

// --- XML rendering, element by element (§2.5.2, §2.6.2, §2.7.2, Appendix A) --------------------

#[test]
fn xml_success_has_user_pgt_and_namespace_2_5_2() {
    let mut s = success("username");
    s.proxy_granting_ticket = Some("PGTIOU-84678-8a9d...".into());
    let out = xml::render(&ServiceResponse::AuthenticationSuccess(s));
    assert!(
        out.starts_with(r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">"#),
        "{out}"
    );
    let root = dom(&out);
    assert_eq!(
        (root.ns.as_str(), root.local.as_str()),
        (CAS_NS, "serviceResponse")
    );
    assert_eq!(root.names(), ["authenticationSuccess"]);
    let ok = root.child(CAS_NS, "authenticationSuccess");
    assert_eq!(ok.names(), ["user", "proxyGrantingTicket"]);
    assert_eq!(ok.child(CAS_NS, "user").text, "username");
    assert_eq!(
        ok.child(CAS_NS, "proxyGrantingTicket").text,
        "PGTIOU-84678-8a9d..."
    );
}

#[test]
fn xml_success_without_extras_has_only_user_appendix_a() {
    let root = dom(&xml::render(&ServiceResponse::AuthenticationSuccess(
        success("alice"),
    )));
    assert_eq!(
        root.child(CAS_NS, "authenticationSuccess").names(),
        ["user"]
    );
}

#[test]
fn xml_custom_attributes_one_element_per_value_2_5_7() {
    let out = xml::render(&ServiceResponse::AuthenticationSuccess(
        spec_custom_attributes(),
    ));
    assert_eq!(out, golden("custom_attributes.xml"));
    let ok = dom(&out).child(CAS_NS, "authenticationSuccess").clone();
    // Appendix A sequence: user, attributes, proxyGrantingTicket.
    assert_eq!(ok.names(), ["user", "attributes", "proxyGrantingTicket"]);
    let a = ok.child(CAS_NS, "attributes");
    let aff: Vec<&str> = a
        .all(CAS_NS, "affiliation")
        .iter()
        .map(|n| n.text.as_str())
        .collect();
    assert_eq!(
        aff,
        ["staff", "faculty"],
        "multi-valued attribute keeps value order"
    );
    assert_eq!(a.child(CAS_NS, "title").text, "Mr.");
    assert_eq!(a.child(CAS_NS, "email").text, "jdoe@example.org");
}

#[test]
fn xml_protocol_attributes_come_first_in_schema_order_appendix_a() {
    let mut s = success("username");
    s.attributes = attrs(&[
        ("myAttribute", &["myValue"]),
        ("isFromNewLogin", &["true"]),
        ("authenticationDate", &["2015-11-12T09:30:10Z"]),
        ("longTermAuthenticationRequestTokenUsed", &["true"]),
        ("aardvark", &["1"]),
    ]);
    let root = dom(&xml::render(&ServiceResponse::AuthenticationSuccess(s)));
    let a = root
        .child(CAS_NS, "authenticationSuccess")
        .child(CAS_NS, "attributes");
    assert_eq!(
        a.names(),
        [
            "authenticationDate",
            "longTermAuthenticationRequestTokenUsed",
            "isFromNewLogin",
            "aardvark",
            "myAttribute"
        ]
    );
}

#[test]
fn xml_proxies_most_recent_first_2_6_2() {
    let mut s = success("username");
    s.proxy_granting_ticket = Some("PGTIOU-84678-8a9d...".into());
    s.proxies = vec![
        "https://proxy2/pgtUrl".into(),
        "https://proxy1/pgtUrl".into(),
    ];
    let out = xml::render(&ServiceResponse::AuthenticationSuccess(s));
    assert_eq!(out, golden("proxy_validate_success.xml"));
    let ok = dom(&out).child(CAS_NS, "authenticationSuccess").clone();
    assert_eq!(ok.names(), ["user", "proxyGrantingTicket", "proxies"]);
    let proxies: Vec<String> = ok
        .child(CAS_NS, "proxies")
        .all(CAS_NS, "proxy")
        .iter()
        .map(|p| p.text.clone())
        .collect();
    assert_eq!(proxies, ["https://proxy2/pgtUrl", "https://proxy1/pgtUrl"]);
}

#[test]
fn xml_failure_has_code_attribute_and_escaped_description_2_5_3() {
    for code in ALL_CODES {
        let desc = "Ticket <ST-1> & \"friends\" ]]> not recognized";
        let root = dom(&xml::render(&ServiceResponse::AuthenticationFailure(
            failure(code, desc),
        )));
        assert_eq!(root.names(), ["authenticationFailure"]);
        let f = root.child(CAS_NS, "authenticationFailure");
        assert_eq!(f.attr("code"), Some(code.as_str()));
        assert_eq!(f.text, desc);
        assert!(f.children.is_empty());
    }
}

#[test]
fn xml_proxy_success_and_failure_2_7_2() {
    let root = dom(&xml::render(&ServiceResponse::ProxySuccess {
        proxy_ticket: "PT-1856392-b98xZrQN4p90ASrw96c8".into(),
    }));
    assert_eq!(root.names(), ["proxySuccess"]);
    assert_eq!(
        root.child(CAS_NS, "proxySuccess")
            .child(CAS_NS, "proxyTicket")
            .text,
        "PT-1856392-b98xZrQN4p90ASrw96c8"
    );

    let f = failure(
        FailureCode::InvalidRequest,
        "'pgt' and 'targetService' parameters are both required",
    );
    let out = xml::render(&ServiceResponse::ProxyFailure(f.clone()));
    assert_eq!(out, golden("proxy_failure.xml"));
    let pf = dom(&out).child(CAS_NS, "proxyFailure").clone();
    assert_eq!(pf.attr("code"), Some("INVALID_REQUEST"));
    assert_eq!(pf.text, f.description);
}

// --- Hostile principals, values and names ------------------------------------------------------

const HOSTILE_VALUES: &[&str] = &[
    "<script>alert(1)</script>",
    "a & b &amp; &lt; &#x41; &unknown;",
    "x]]>y",
    "'single' and \"double\"",
    "tab\there\nnewline\r\ncrlf\rcr",
    "  leading and trailing  ",
    "\u{1F600} \u{10348} non-BMP",
    "</cas:attributes><cas:user>admin</cas:user>",
    "<!DOCTYPE x [<!ENTITY e 'boom'>]>&e;",
    "<?xml-stylesheet?><!-- c -->",
    "",
    " ",
    "\u{FFFD}\u{FEFF}\u{200B}",
];

#[test]
fn xml_hostile_attribute_values_survive_exactly_2_5_7() {
    let mut s = success("alice");
    s.attributes.insert(
        "v".into(),
        HOSTILE_VALUES.iter().map(|v| (*v).to_owned()).collect(),
    );
    let out = xml::render(&ServiceResponse::AuthenticationSuccess(s.clone()));
    let a = dom(&out)
        .child(CAS_NS, "authenticationSuccess")
        .child(CAS_NS, "attributes")
        .clone();
    let got: Vec<&str> = a.all(CAS_NS, "v").iter().map(|n| n.text.as_str()).collect();
    assert_eq!(
        got, HOSTILE_VALUES,
        "the independent DOM reads back every value exactly"
    );
    assert_eq!(
        parse(&out).to_service_response(),
        Some(ServiceResponse::AuthenticationSuccess(s))
    );
}

#[test]
fn xml_hostile_usernames_that_xml_can_carry_are_exact_2_5_2() {
    for user in [
        "<admin>",
        "a&b",
        "x]]>y",
        "o'neil \"q\"",
        "\u{1F600}",
        "Jörg Müller",
    ] {
        let out = xml::render(&ServiceResponse::AuthenticationSuccess(success(user)));
        let u = dom(&out)
            .child(CAS_NS, "authenticationSuccess")
            .child(CAS_NS, "user")
            .text
            .clone();
        assert_eq!(u, user);
        assert_eq!(parse(&out).user.as_deref(), Some(user));
    }
}

#[test]
fn xml_unrepresentable_usernames_fail_closed_as_internal_error_2_5_3() {
    // NUL truncates C clients, newlines split lines, phpCAS trims: never asserted.
    for user in [
        "",
        " admin",
        "admin ",
        "admin\n",
        "ad\nmin",
        "admin\u{0}evil",
        "a\u{1}",
        "a\u{1B}[31m",
        "a\u{85}",
        "a\u{2028}",
        "a\u{FFFE}",
        "a\u{FFFF}",
        "a\tb",
    ] {
        assert!(!is_representable_user(user));
        let out = xml::render(&ServiceResponse::AuthenticationSuccess(success(user)));
        let root = dom(&out);
        assert!(!root.has(CAS_NS, "authenticationSuccess"), "{user:?}");
        let f = root.child(CAS_NS, "authenticationFailure");
        assert_eq!(f.attr("code"), Some("INTERNAL_ERROR"));
        assert_eq!(f.text, UNREPRESENTABLE);
        let j = parse(&json::render(&ServiceResponse::AuthenticationSuccess(
            success(user),
        )));
        assert_eq!(
            j.failure.unwrap().code,
            "INTERNAL_ERROR",
            "JSON follows the same rule"
        );
    }
}

#[test]
fn xml_characters_xml_cannot_carry_become_replacement_in_free_text() {
    let mut s = success("alice");
    s.attributes = attrs(&[("v", &["a\u{0}b\u{1}c\u{B}d\u{1F}e\u{FFFE}f\u{FFFF}"])]);
    let out = xml::render(&ServiceResponse::AuthenticationSuccess(s));
    let v = dom(&out)
        .child(CAS_NS, "authenticationSuccess")
        .child(CAS_NS, "attributes")
        .child(CAS_NS, "v")
        .text
        .clone();
    assert_eq!(v, "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}f\u{FFFD}");
    let f = failure(FailureCode::InvalidTicket, "bad \u{7} bell");
    let t = dom(&xml::render(&ServiceResponse::AuthenticationFailure(f)))
        .child(CAS_NS, "authenticationFailure")
        .text
        .clone();
    assert_eq!(t, "bad \u{FFFD} bell");
}

#[test]
fn xml_ticket_ids_are_exact_or_the_response_is_internal_error_3_7() {
    let mut s = success("alice");
    s.proxy_granting_ticket = Some("PGTIOU-\u{1}".into());
    let root = dom(&xml::render(&ServiceResponse::AuthenticationSuccess(s)));
    assert_eq!(
        root.child(CAS_NS, "authenticationFailure").attr("code"),
        Some("INTERNAL_ERROR")
    );
    let mut s = success("alice");
    s.proxies = vec!["https://p/\u{0}".into()];
    assert!(
        dom(&xml::render(&ServiceResponse::AuthenticationSuccess(s)))
            .has(CAS_NS, "authenticationFailure")
    );
    let root = dom(&xml::render(&ServiceResponse::ProxySuccess {
        proxy_ticket: "PT-\u{8}".into(),
    }));
    assert_eq!(
        root.child(CAS_NS, "proxyFailure").attr("code"),
        Some("INTERNAL_ERROR")
    );
}

#[test]
fn xml_hostile_attribute_names_are_skipped_not_sanitised_appendix_a() {
    let hostile = [
        "a b",
        "a:b",
        "1st",
        "-x",
        "<x>",
        "x\"y",
        "x/y",
        "x>y",
        "",
        "x&y",
        "\u{1}",
        "cas:user",
        "a=b",
        "x\u{FFFE}",
    ];
    let mut s = success("alice");
    for h in hostile {
        assert!(!is_valid_attribute_name(h), "{h:?}");
        s.attributes.insert(h.to_owned(), vec!["evil".into()]);
    }
    // `a_b` must not receive the values of `a b` (what sanitising would do).
    s.attributes.insert("a_b".into(), vec!["real".into()]);
    s.attributes.insert("ok".into(), vec!["fine".into()]);
    let out = xml::render(&ServiceResponse::AuthenticationSuccess(s.clone()));
    let a = dom(&out)
        .child(CAS_NS, "authenticationSuccess")
        .child(CAS_NS, "attributes")
        .clone();
    assert_eq!(a.names(), ["a_b", "ok"]);
    assert_eq!(a.child(CAS_NS, "a_b").text, "real");
    assert!(!out.contains("evil"));
    // JSON can carry any name: nothing is skipped there.
    let j = parse(&json::render(&ServiceResponse::AuthenticationSuccess(
        s.clone(),
    )));
    assert_eq!(j.attributes, s.attributes);
}

#[test]
fn xml_only_invalid_names_gives_no_attributes_element() {
    let mut s = success("alice");
    s.attributes = attrs(&[("a b", &["x"]), ("empty", &[])]);
    let root = dom(&xml::render(&ServiceResponse::AuthenticationSuccess(s)));
    assert_eq!(
        root.child(CAS_NS, "authenticationSuccess").names(),
        ["user"]
    );
}

#[test]
fn xml_unicode_attribute_names_are_kept() {
    let mut s = success("alice");
    s.attributes = attrs(&[("名前", &["値"]), ("Jörg.x-y_z", &["1"])]);
    let out = xml::render(&ServiceResponse::AuthenticationSuccess(s.clone()));
    assert_eq!(parse(&out).attributes, s.attributes);
}

// --- CAS 1.0 /validate (§2.4) ------------------------------------------------------------------

#[test]
fn validate_v1_yes_and_no_bodies_2_4_2() {
    assert_eq!(xml::render_validate_v1(Some("alice")), "yes\nalice\n");
    assert_eq!(xml::render_validate_v1(None), "no\n\n");
}

#[test]
fn validate_v1_user_cannot_forge_lines_2_4_2() {
    for user in [
        "alice\nadmin",
        "alice\r\nadmin",
        "admin\r",
        "admin\u{0}x",
        "\nadmin",
        "",
        " admin",
        "admin\t",
        "a\u{2028}b",
        "a\u{85}b",
    ] {
        assert_eq!(xml::render_validate_v1(Some(user)), "no\n\n", "{user:?}");
    }
    assert_eq!(
        xml::render_validate_v1(Some("Jörg Müller")),
        "yes\nJörg Müller\n"
    );
}

// --- JSON (§2.5.2, §2.5.7, §2.6.2, §2.7.2) -----------------------------------------------------

#[test]
fn json_success_matches_spec_example_2_5_2() {
    let mut s = success("username");
    s.proxy_granting_ticket = Some("PGTIOU-84678-8a9d...".into());
    let out = json::render(&ServiceResponse::AuthenticationSuccess(s));
    assert_eq!(out, golden("service_validate_success.json"));
    // Same value as the spec's example, whatever the formatting.
    let spec: serde_json::Value = serde_json::from_str(
        r#"{ "serviceResponse" : { "authenticationSuccess" : { "user" : "username",
             "proxyGrantingTicket" : "PGTIOU-84678-8a9d..." } } }"#,
    )
    .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        spec
    );
}

#[test]
fn json_failure_matches_spec_example_2_5_2() {
    let f = failure(
        FailureCode::InvalidTicket,
        "Ticket ST-1856339-aA5Yuvrxzpv8Tau1cYQ7 not recognized",
    );
    let out = json::render(&ServiceResponse::AuthenticationFailure(f));
    assert_eq!(out, golden("service_validate_failure.json"));
    let spec: serde_json::Value = serde_json::from_str(
        r#"{ "serviceResponse" : { "authenticationFailure" : { "code" : "INVALID_TICKET",
             "description" : "Ticket ST-1856339-aA5Yuvrxzpv8Tau1cYQ7 not recognized" } } }"#,
    )
    .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap(),
        spec
    );
}

#[test]
fn json_custom_attributes_single_string_multi_array_2_5_7() {
    let mut s = spec_custom_attributes();
    s.proxies = vec![
        "https://proxy2/pgtUrl".into(),
        "https://proxy1/pgtUrl".into(),
    ];
    let out = json::render(&ServiceResponse::AuthenticationSuccess(s));
    assert_eq!(out, golden("custom_attributes.json"));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let a = &v["serviceResponse"]["authenticationSuccess"]["attributes"];
    assert_eq!(a["affiliation"], serde_json::json!(["staff", "faculty"]));
    assert_eq!(a["title"], serde_json::json!("Mr."));
    // Most recent proxy first, as §2.6.2 requires of the XML (the JSON example disagrees).
    assert_eq!(
        v["serviceResponse"]["authenticationSuccess"]["proxies"],
        serde_json::json!(["https://proxy2/pgtUrl", "https://proxy1/pgtUrl"])
    );
}

#[test]
fn json_p3_protocol_attributes_appendix_a() {
    let mut s = success("username");
    s.attributes = attrs(&[
        ("myAttribute", &["myValue"]),
        ("isFromNewLogin", &["true"]),
        ("longTermAuthenticationRequestTokenUsed", &["true"]),
        ("authenticationDate", &["2015-11-12T09:30:10Z"]),
        ("empty", &[]),
    ]);
    assert_eq!(
        json::render(&ServiceResponse::AuthenticationSuccess(s)),
        golden("p3_protocol_attributes.json")
    );
}

#[test]
fn json_proxy_success_and_failure_2_7_2() {
    let out = json::render(&ServiceResponse::ProxySuccess {
        proxy_ticket: "PT-1856392-b98xZrQN4p90ASrw96c8".into(),
    });
    assert_eq!(out, golden("proxy_success.json"));
    let f = failure(
        FailureCode::InvalidRequest,
        "'pgt' and 'targetService' parameters are both required",
    );
    assert_eq!(
        json::render(&ServiceResponse::ProxyFailure(f)),
        golden("proxy_failure.json")
    );
}

#[test]
fn json_carries_control_characters_exactly() {
    let mut s = success("alice");
    s.attributes = attrs(&[("v", &["a\u{0}b\u{1}\"\\</script>\u{2028}"])]);
    let out = json::render(&ServiceResponse::AuthenticationSuccess(s.clone()));
    assert!(out.contains(r"\u0000") && out.contains(r"\u0001"));
    assert_eq!(
        parse(&out).to_service_response(),
        Some(ServiceResponse::AuthenticationSuccess(s))
    );
}

// --- Parsing real-world and spec responses -----------------------------------------------------

#[test]
fn parses_spec_xml_examples_with_whitespace_2_5_2_2_6_2() {
    let r = parse(
        "<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n <cas:authenticationFailure code=\"INVALID_TICKET\">\n    Ticket ST-1856339-aA5Yuvrxzpv8Tau1cYQ7 not recognized\n  </cas:authenticationFailure>\n</cas:serviceResponse>\n",
    );
    assert!(!r.success);
    let f = r.failure.unwrap();
    assert_eq!(
        (f.code.as_str(), f.description.as_str()),
        (
            "INVALID_TICKET",
            "Ticket ST-1856339-aA5Yuvrxzpv8Tau1cYQ7 not recognized"
        )
    );

    // §2.6.2 uses single quotes for xmlns.
    let r = parse(
        "  <cas:serviceResponse xmlns:cas='http://www.yale.edu/tp/cas'>\n      <cas:authenticationFailure code=\"INVALID_TICKET\">\n         ticket PT-1856376-1HMgO86Z2ZKeByc5XdYD not recognized\n      </cas:authenticationFailure>\n  </cas:serviceResponse>",
    );
    assert_eq!(r.kind, ResponseKind::AuthenticationFailure);

    let r = parse(
        "<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\">\n    <cas:authenticationSuccess>\n      <cas:user>username</cas:user>\n      <cas:proxyGrantingTicket>PGTIOU-84678-8a9d...</cas:proxyGrantingTicket>\n      <cas:proxies>\n        <cas:proxy>https://proxy2/pgtUrl</cas:proxy>\n        <cas:proxy>https://proxy1/pgtUrl</cas:proxy>\n      </cas:proxies>\n    </cas:authenticationSuccess>\n  </cas:serviceResponse>",
    );
    assert_eq!(r.user.as_deref(), Some("username"));
    assert_eq!(
        r.proxy_granting_ticket.as_deref(),
        Some("PGTIOU-84678-8a9d...")
    );
    assert_eq!(
        r.proxies,
        ["https://proxy2/pgtUrl", "https://proxy1/pgtUrl"]
    );
    assert_eq!(r.format, ResponseFormat::Xml);
}

#[test]
fn parses_any_prefix_and_default_namespace_appendix_a() {
    for doc in [
        r#"<x:serviceResponse xmlns:x="http://www.yale.edu/tp/cas"><x:authenticationSuccess><x:user>u</x:user></x:authenticationSuccess></x:serviceResponse>"#,
        r#"<serviceResponse xmlns="http://www.yale.edu/tp/cas"><authenticationSuccess><user>u</user></authenticationSuccess></serviceResponse>"#,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- hi --><cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\"><cas:authenticationSuccess><cas:user><![CDATA[u]]></cas:user></cas:authenticationSuccess></cas:serviceResponse>\n",
        "\u{FEFF}<cas:serviceResponse xmlns:cas=\"http://www.yale.edu/tp/cas\"><cas:authenticationSuccess><cas:user>\n   u\n </cas:user></cas:authenticationSuccess></cas:serviceResponse>",
    ] {
        assert_eq!(parse(doc).user.as_deref(), Some("u"), "{doc}");
    }
}

#[test]
fn parses_p3_attributes_and_name_value_style_2_5_7() {
    let r = parse(
        r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationSuccess><cas:user>u</cas:user>
        <cas:attributes>
          <cas:authenticationDate>2015-11-12T09:30:10Z</cas:authenticationDate>
          <cas:affiliation>staff</cas:affiliation>
          <cas:affiliation>faculty</cas:affiliation>
          <cas:attribute name="mail" value="u@example.org"/>
          <cas:attribute name="mail" value="u2@example.org"/>
          <cas:empty/>
        </cas:attributes>
        <cas:someExtension><cas:nested>ignored</cas:nested></cas:someExtension>
        </cas:authenticationSuccess></cas:serviceResponse>"#,
    );
    assert_eq!(
        r.attributes,
        attrs(&[
            ("authenticationDate", &["2015-11-12T09:30:10Z"]),
            ("affiliation", &["staff", "faculty"]),
            ("mail", &["u@example.org", "u2@example.org"]),
            ("empty", &[""]),
        ])
    );
}

#[test]
fn parses_spec_and_apereo_style_json_2_5_7() {
    // The spec's §2.5.7 JSON example, verbatim.
    let r = parse(
        r#"{
  "serviceResponse" : {
    "authenticationSuccess" : {
      "user" : "username",
      "proxyGrantingTicket" : "PGTIOU-84678-8a9d...",
      "proxies" : [ "https://proxy1/pgtUrl", "https://proxy2/pgtUrl" ],
      "attributes" : {
        "firstName" : "John",
        "affiliation" : [ "staff", "faculty" ],
        "title" : "Mr.",
        "email" : "jdoe@example.orgmailto:jdoe@example.org",
        "lastname" : "Doe"
      }
    }
  }
}"#,
    );
    assert_eq!(r.format, ResponseFormat::Json);
    assert_eq!(r.attributes["affiliation"], ["staff", "faculty"]);
    assert_eq!(r.attributes["firstName"], ["John"]);
    assert_eq!(r.proxies.len(), 2);
    // Apereo-style: every value an array, booleans and numbers unquoted, nulls skipped.
    let r = parse(
        r#"{"serviceResponse":{"authenticationSuccess":{"user":"u","attributes":{"isFromNewLogin":[true],"authenticationDate":[1447320610.5],"n":null,"m":[null,"x"]}}}}"#,
    );
    assert_eq!(r.attributes["isFromNewLogin"], ["true"]);
    assert_eq!(r.attributes["authenticationDate"], ["1447320610.5"]);
    assert!(!r.attributes.contains_key("n"));
    assert_eq!(r.attributes["m"], ["x"]);
}

#[test]
fn parses_proxy_failure_json_as_spec_writes_it_2_7_2() {
    let r = parse(
        r#"{ "serviceResponse" : { "authenticationFailure" : { "code" : "INVALID_REQUEST",
            "description" : "'pgt' and 'targetService' parameters are both required" } } }"#,
    );
    assert_eq!(r.failure.unwrap().code, "INVALID_REQUEST");
    let r = parse(&golden("proxy_failure.json"));
    assert_eq!(r.kind, ResponseKind::ProxyFailure);
    let r = parse(&golden("proxy_success.json"));
    assert_eq!(
        r.proxy_ticket.as_deref(),
        Some("PT-1856392-b98xZrQN4p90ASrw96c8")
    );
}

#[test]
fn unknown_failure_codes_survive_2_5_3() {
    let r = parse(
        r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas"><cas:authenticationFailure code="ACCOUNT_LOCKED">locked</cas:authenticationFailure></cas:serviceResponse>"#,
    );
    assert_eq!(r.failure.as_ref().unwrap().code, "ACCOUNT_LOCKED");
    assert_eq!(r.to_service_response(), None);
}

#[test]
fn result_serialises_camel_case_for_npm() {
    let mut s = success("alice");
    s.proxy_granting_ticket = Some("PGTIOU-1".into());
    s.attributes = attrs(&[("a", &["1", "2"])]);
    let r = parse(&xml::render(&ServiceResponse::AuthenticationSuccess(s)));
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "success": true, "kind": "authenticationSuccess", "format": "xml", "user": "alice",
            "attributes": {"a": ["1", "2"]}, "proxyGrantingTicket": "PGTIOU-1", "proxies": [],
            "proxyTicket": null, "failure": null
        })
    );
    let f = parse(&xml::render(&ServiceResponse::AuthenticationFailure(
        failure(FailureCode::InvalidService, "d"),
    )));
    assert_eq!(
        serde_json::to_value(&f).unwrap()["failure"],
        serde_json::json!({"code": "INVALID_SERVICE", "description": "d"})
    );
}

// --- Hostile parser input ----------------------------------------------------------------------

fn err(text: &str) -> (ParseErrorKind, usize) {
    let e = parse_validation_response(text).expect_err(text);
    assert!(
        e.offset <= text.len(),
        "offset {} beyond input {}",
        e.offset,
        text.len()
    );
    (e.kind, e.offset)
}

const OPEN: &str = r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">"#;

#[test]
fn rejects_doctype_and_entity_expansion_with_offset() {
    let laughs = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>\n{OPEN}<cas:authenticationSuccess><cas:user>&lol2;</cas:user></cas:authenticationSuccess></cas:serviceResponse>"
    );
    let (kind, at) = err(&laughs);
    assert_eq!(kind, ParseErrorKind::Doctype);
    assert_eq!(at, laughs.find("<!DOCTYPE").unwrap());
    let xxe = format!(
        "{OPEN}<cas:authenticationSuccess><cas:user>&xxe;</cas:user></cas:authenticationSuccess></cas:serviceResponse>"
    );
    assert_eq!(err(&xxe).0, ParseErrorKind::UnknownEntity);
}

#[test]
fn rejects_invalid_characters_and_references() {
    for bad in [
        "&#0;",
        "&#1;",
        "&#x1F;",
        "&#xFFFE;",
        "&#x110000;",
        "&#xD800;",
        "\u{1}",
        "&#;",
        "&#xZZ;",
    ] {
        let doc = format!(
            "{OPEN}<cas:authenticationSuccess><cas:user>a{bad}</cas:user></cas:authenticationSuccess></cas:serviceResponse>"
        );
        let (kind, _) = err(&doc);
        assert!(
            matches!(
                kind,
                ParseErrorKind::InvalidChar | ParseErrorKind::UnknownEntity | ParseErrorKind::Xml
            ),
            "{bad:?}: {kind:?}"
        );
    }
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = format!(
        "{OPEN}<cas:authenticationSuccess><cas:user>u</cas:user>{}",
        "<x>".repeat(100_000)
    );
    assert_eq!(err(&deep).0, ParseErrorKind::TooDeep);
    let deep_json = format!(
        r#"{{"serviceResponse":{{"authenticationSuccess":{{"user":"u","attributes":{{"a":{}"#,
        "[".repeat(100_000)
    );
    assert!(matches!(
        err(&deep_json).0,
        ParseErrorKind::Json | ParseErrorKind::JsonShape
    ));
    assert_eq!(err(&"[".repeat(100_000)).0, ParseErrorKind::UnknownFormat);
    let deep_json = format!(r#"{{"serviceResponse":{}"#, "{\"a\":".repeat(50_000));
    assert!(matches!(
        err(&deep_json).0,
        ParseErrorKind::Json | ParseErrorKind::JsonShape
    ));
}

#[test]
fn size_and_value_count_are_bounded() {
    let big = format!("{OPEN}{}", " ".repeat(MAX_INPUT));
    assert_eq!(err(&big), (ParseErrorKind::TooLarge, MAX_INPUT));
    let many = format!(
        "{OPEN}<cas:authenticationSuccess><cas:user>u</cas:user><cas:attributes>{}</cas:attributes></cas:authenticationSuccess></cas:serviceResponse>",
        "<a>x</a>".repeat(MAX_VALUES + 1)
    );
    assert_eq!(err(&many).0, ParseErrorKind::TooManyValues);
    let json_many = format!(
        r#"{{"serviceResponse":{{"authenticationSuccess":{{"user":"u","attributes":{{"a":[{}"x"]}}}}}}}}"#,
        "\"x\",".repeat(MAX_VALUES)
    );
    assert_eq!(err(&json_many).0, ParseErrorKind::TooManyValues);
}

#[test]
fn structural_errors_are_typed() {
    use ParseErrorKind as K;
    let close = "</cas:serviceResponse>";
    let cases: Vec<(String, K)> = vec![
        ("".into(), K::Empty),
        (" \n\t".into(), K::Empty),
        ("hello".into(), K::UnknownFormat),
        ("<serviceResponse><authenticationSuccess/></serviceResponse>".into(), K::UnexpectedRoot),
        ("<foo:serviceResponse/>".into(), K::Xml),
        (format!("{OPEN}{close}"), K::MissingElement("authenticationSuccess|authenticationFailure|proxySuccess|proxyFailure")),
        (format!("{OPEN}<cas:authenticationSuccess/>{close}"), K::MissingElement("user")),
        (format!("{OPEN}<cas:authenticationSuccess><cas:attributes/></cas:authenticationSuccess>{close}"), K::MissingElement("user")),
        (format!("{OPEN}<cas:authenticationSuccess><cas:user></cas:user></cas:authenticationSuccess>{close}"), K::EmptyUser),
        (format!("{OPEN}<cas:authenticationSuccess><cas:user>a</cas:user><cas:user>b</cas:user></cas:authenticationSuccess>{close}"), K::DuplicateElement("user")),
        (format!("{OPEN}<cas:authenticationSuccess><cas:user>a<b/></cas:user></cas:authenticationSuccess>{close}"), K::UnexpectedElement),
        (format!("{OPEN}<cas:authenticationFailure>x</cas:authenticationFailure>{close}"), K::MissingAttribute("code")),
        (format!("{OPEN}<cas:proxySuccess/>{close}"), K::MissingElement("proxyTicket")),
        (format!("{OPEN}<cas:somethingElse/>{close}"), K::UnexpectedElement),
        (format!("{OPEN}text<cas:proxySuccess/>{close}"), K::UnexpectedText),
        (format!("{OPEN}<cas:authenticationFailure code=\"X\"/><cas:authenticationFailure code=\"Y\"/>{close}"), K::UnexpectedElement),
        (format!("{OPEN}<cas:authenticationFailure code=\"X\"/>{close}<x/>"), K::Trailing),
        (format!("{OPEN}<cas:authenticationFailure code=\"X\"/>{close}junk"), K::Trailing),
        (format!("{OPEN}<cas:authenticationFailure code=\"X\"/></cas:other>"), K::Xml),
        (format!("{OPEN}<cas:authenticationFailure code=\"X\"/>"), K::Xml),
        (format!("{OPEN}<cas:authenticationFailure code=\"X\" code=\"Y\"/>{close}"), K::Xml),
        ("{\"serviceResponse\":{}}".into(), K::JsonShape),
        ("{\"serviceResponse\":{\"authenticationFailure\":{\"code\":\"A\"},\"proxySuccess\":{\"proxyTicket\":\"PT\"}}}".into(), K::JsonShape),
        ("{\"serviceResponse\":{\"authenticationSuccess\":{\"user\":5}}}".into(), K::JsonShape),
        ("{\"serviceResponse\":{\"authenticationSuccess\":{\"user\":\"\"}}}".into(), K::EmptyUser),
        ("{\"serviceResponse\":".into(), K::Json),
        // Syntax is checked before shape: trailing text is malformed JSON (RFC 8259 §2).
        ("{} trailing".into(), K::Json),
        ("{\"serviceResponse\":{\"proxySuccess\":{\"proxyTicket\":\"PT\"}}} trailing".into(), K::Json),
        ("yes\nalice\nbob\n".into(), K::Cas1),
    ];
    for (text, kind) in cases {
        assert_eq!(err(&text).0, kind, "{text}");
    }
}

#[test]
fn json_error_offset_points_at_the_problem() {
    let text =
        "{\n  \"serviceResponse\": {\n    \"authenticationSuccess\": {\"user\": tru}\n  }\n}";
    let (kind, at) = err(text);
    assert_eq!(kind, ParseErrorKind::Json);
    let expected = text.find("tru}").unwrap();
    assert!(
        (expected..=expected + 4).contains(&at),
        "offset {at}, expected near {expected}"
    );
}

#[test]
fn every_prefix_of_valid_documents_is_an_error_or_value_never_a_panic() {
    let mut s = spec_custom_attributes();
    s.proxies = vec!["https://p".into()];
    let resp = ServiceResponse::AuthenticationSuccess(s);
    for doc in [
        xml::render(&resp),
        json::render(&resp),
        xml::render_validate_v1(Some("alice")),
    ] {
        for (i, _) in doc.char_indices() {
            let _ = parse_validation_response(&doc[..i]);
            let _ = parse_validation_response(&doc[i..]);
        }
    }
}

// --- Round trips (property tests) --------------------------------------------------------------

fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        2 => prop::sample::select(vec![
            '<', '>', '&', '"', '\'', ']', ';', '#', ':', ' ', '\t', '\n', '\r', '\u{0}', '\u{1}', '\u{B}', '\u{1F}',
            '\u{7F}', '\u{85}', '\u{2028}', '\u{FEFF}', '\u{FFFD}', '\u{FFFE}', '\u{FFFF}', '\u{1F600}', '\u{10FFFF}',
        ]),
        3 => prop::char::range('a', 'z'),
    ]
}

fn hostile_string() -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..12).prop_map(String::from_iter)
}

fn user_string() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "[a-zA-Z][a-zA-Z0-9._@-]{0,10}",
        1 => hostile_string(),
    ]
}

fn name_string() -> impl Strategy<Value = String> {
    prop_oneof![2 => "[a-zA-Z_][a-zA-Z0-9._-]{0,8}", 1 => hostile_string()]
}

fn arb_success() -> impl Strategy<Value = Success> {
    (
        user_string(),
        prop::collection::btree_map(
            name_string(),
            prop::collection::vec(hostile_string(), 0..3),
            0..5,
        ),
        prop::option::of(hostile_string()),
        prop::collection::vec(hostile_string(), 0..3),
    )
        .prop_map(
            |(user, attributes, proxy_granting_ticket, proxies)| Success {
                user,
                attributes,
                proxy_granting_ticket,
                proxies,
            },
        )
}

fn arb_response() -> impl Strategy<Value = ServiceResponse> {
    let code = prop::sample::select(ALL_CODES.to_vec());
    prop_oneof![
        3 => arb_success().prop_map(ServiceResponse::AuthenticationSuccess),
        1 => (code.clone(), hostile_string()).prop_map(|(code, description)| ServiceResponse::AuthenticationFailure(Failure { code, description })),
        1 => hostile_string().prop_map(|proxy_ticket| ServiceResponse::ProxySuccess { proxy_ticket }),
        1 => (code, hostile_string()).prop_map(|(code, description)| ServiceResponse::ProxyFailure(Failure { code, description })),
    ]
}

fn replace_non_xml(s: &str) -> String {
    s.chars()
        .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
        .collect()
}

fn internal(proxy: bool) -> ServiceResponse {
    let f = failure(FailureCode::InternalError, UNREPRESENTABLE);
    if proxy {
        ServiceResponse::ProxyFailure(f)
    } else {
        ServiceResponse::AuthenticationFailure(f)
    }
}

/// What the XML renderer promises to carry (module docs of `casplus::cas::xml`).
fn expected_via_xml(r: &ServiceResponse) -> ServiceResponse {
    let exact = |s: &str| s.chars().all(is_xml_char);
    match r {
        ServiceResponse::AuthenticationSuccess(s) => {
            if !is_representable_user(&s.user)
                || !s.proxy_granting_ticket.as_deref().is_none_or(exact)
                || !s.proxies.iter().all(|p| exact(p))
            {
                return internal(false);
            }
            let mut s = s.clone();
            s.attributes = s
                .attributes
                .into_iter()
                .filter(|(n, v)| is_valid_attribute_name(n) && !v.is_empty())
                .map(|(n, v)| (n, v.iter().map(|x| replace_non_xml(x)).collect()))
                .collect();
            ServiceResponse::AuthenticationSuccess(s)
        }
        ServiceResponse::AuthenticationFailure(f) => ServiceResponse::AuthenticationFailure(
            failure(f.code, &replace_non_xml(&f.description)),
        ),
        ServiceResponse::ProxySuccess { proxy_ticket } if !exact(proxy_ticket) => internal(true),
        ServiceResponse::ProxySuccess { .. } => r.clone(),
        ServiceResponse::ProxyFailure(f) => {
            ServiceResponse::ProxyFailure(failure(f.code, &replace_non_xml(&f.description)))
        }
    }
}

/// What the JSON renderer promises to carry.
fn expected_via_json(r: &ServiceResponse) -> ServiceResponse {
    match r {
        ServiceResponse::AuthenticationSuccess(s) if !is_representable_user(&s.user) => {
            internal(false)
        }
        ServiceResponse::AuthenticationSuccess(s) => {
            let mut s = s.clone();
            s.attributes.retain(|_, v| !v.is_empty());
            ServiceResponse::AuthenticationSuccess(s)
        }
        other => other.clone(),
    }
}

proptest! {
    #[test]
    fn xml_render_parse_round_trip(resp in arb_response()) {
        let out = xml::render(&resp);
        let _ = dom(&out); // well-formed for an independent reader too
        let parsed = parse_validation_response(&out).map_err(|e| TestCaseError::fail(format!("{e}: {out}")))?;
        prop_assert_eq!(parsed.format, ResponseFormat::Xml);
        prop_assert_eq!(parsed.to_service_response(), Some(expected_via_xml(&resp)));
    }

    #[test]
    fn json_render_parse_round_trip(resp in arb_response()) {
        let out = json::render(&resp);
        let parsed = parse_validation_response(&out).map_err(|e| TestCaseError::fail(format!("{e}: {out}")))?;
        prop_assert_eq!(parsed.format, ResponseFormat::Json);
        prop_assert_eq!(parsed.to_service_response(), Some(expected_via_json(&resp)));
    }

    #[test]
    fn validate_v1_round_trip_2_4_2(user in user_string()) {
        let r = parse_validation_response(&xml::render_validate_v1(Some(&user))).unwrap();
        if is_representable_user(&user) {
            prop_assert_eq!(r.user, Some(user));
        } else {
            prop_assert!(!r.success);
        }
    }

    #[test]
    fn parser_is_total_on_arbitrary_text(text in "\\PC{0,64}|[<>/a-z:=\"' &#;{}\\[\\],\n]{0,64}") {
        if let Err(e) = parse_validation_response(&text) {
            prop_assert!(e.offset <= text.len());
        }
        let _ = parse_request(&text);
    }

    #[test]
    fn parser_is_total_on_mutated_documents(resp in arb_response(), cut in any::<prop::sample::Index>(), ins in hostile_string(), json in any::<bool>()) {
        let doc = if json { json::render(&resp) } else { xml::render(&resp) };
        let cuts: Vec<usize> = doc.char_indices().map(|(i, _)| i).chain([doc.len()]).collect();
        let at = cuts[cut.index(cuts.len())];
        let mutated = format!("{}{}{}", &doc[..at], ins, &doc[at..]);
        if let Err(e) = parse_validation_response(&mutated) {
            prop_assert!(e.offset <= mutated.len());
        }
    }
}

// --- SAML 1.1 /samlValidate (§4.2) -------------------------------------------------------------

/// The Java CAS client's `samlRequestTemplate.xml` with its generated id and time format.
const JAVA_CLIENT_REQUEST: &str = r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body><samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" MajorVersion="1" MinorVersion="1" RequestID="_4a2b8c1d9e0f11aa22bb33cc44dd55ee" IssueInstant="2026-11-22T07:03:38Z"><samlp:AssertionArtifact>ST-1-u4hrm3td92cLxpCvrjylcas.example.com</samlp:AssertionArtifact></samlp:Request></SOAP-ENV:Body></SOAP-ENV:Envelope>"#;

#[test]
fn saml_parses_java_client_request_4_2_3() {
    let r = parse_request(JAVA_CLIENT_REQUEST).unwrap();
    assert_eq!(r.request_id, "_4a2b8c1d9e0f11aa22bb33cc44dd55ee");
    assert_eq!(r.issue_instant, "2026-11-22T07:03:38Z");
    assert_eq!(
        r.assertion_artifact,
        "ST-1-u4hrm3td92cLxpCvrjylcas.example.com"
    );
    assert!(
        !format!("{r:?}").contains("ST-1"),
        "Debug redacts the ticket"
    );
}

#[test]
fn saml_parses_spec_example_and_other_clients_4_2_4() {
    // §4.2.4, with its tabs and newlines.
    let spec = "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">\n\t<SOAP-ENV:Header/>\n\t<SOAP-ENV:Body>\n\t\t<samlp:Request xmlns:samlp=\"urn:oasis:names:tc:SAML:1.0:protocol\" MajorVersion=\"1\" MinorVersion=\"1\" RequestID=\"_192.168.16.51.1024506224022\" IssueInstant=\"2002-06-19T17:03:44.022Z\">\n\t\t\t<samlp:AssertionArtifact>ST-1-u4hrm3td92cLxpCvrjylcas.example.com</samlp:AssertionArtifact>\n\t\t</samlp:Request>\n\t</SOAP-ENV:Body>\n</SOAP-ENV:Envelope>";
    let r = parse_request(spec).unwrap();
    assert_eq!(r.request_id, "_192.168.16.51.1024506224022");
    assert_eq!(r.issue_instant, "2002-06-19T17:03:44.022Z");
    assert_eq!(
        r.assertion_artifact,
        "ST-1-u4hrm3td92cLxpCvrjylcas.example.com"
    );

    // mod_auth_cas: XML declaration, no RequestID/IssueInstant.
    let m = "<?xml version=\"1.0\" encoding=\"utf-8\"?><SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Header/><SOAP-ENV:Body><samlp:Request xmlns:samlp=\"urn:oasis:names:tc:SAML:1.0:protocol\"  MajorVersion=\"1\" MinorVersion=\"1\"><samlp:AssertionArtifact>ST-2</samlp:AssertionArtifact></samlp:Request></SOAP-ENV:Body></SOAP-ENV:Envelope>";
    let r = parse_request(m).unwrap();
    assert_eq!(
        (
            r.request_id.as_str(),
            r.issue_instant.as_str(),
            r.assertion_artifact.as_str()
        ),
        ("", "", "ST-2")
    );

    // python-cas: attributes on separate lines; lower-case prefix; default-namespace SOAP.
    let p = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\">\n<soap-env:Header/>\n<soap-env:Body>\n<samlp:Request xmlns:samlp=\"urn:oasis:names:tc:SAML:1.0:protocol\"\nMajorVersion=\"1\"\nMinorVersion=\"1\"\nRequestID=\"0b1c\"\nIssueInstant=\"2014-06-02T09:21:03.071189\">\n<samlp:AssertionArtifact>ST-3</samlp:AssertionArtifact></samlp:Request>\n</soap-env:Body>\n</soap-env:Envelope>";
    assert_eq!(parse_request(p).unwrap().assertion_artifact, "ST-3");
    let g = "<Envelope xmlns=\"http://schemas.xmlsoap.org/soap/envelope/\">\n\t<Header/>\n\t<Body>\n\t\t<samlp:Request xmlns:samlp=\"urn:oasis:names:tc:SAML:1.0:protocol\" MajorVersion=\"1\" MinorVersion=\"1\" RequestID=\"_x\" IssueInstant=\"2020-01-01T00:00:00Z\">\n\t\t\t<samlp:AssertionArtifact>\n ST-4 \n</samlp:AssertionArtifact>\n\t\t</samlp:Request>\n\t</Body>\n\t</Envelope>";
    assert_eq!(parse_request(g).unwrap().assertion_artifact, "ST-4");
}

#[test]
fn saml_request_hostile_input_is_rejected_4_2_2() {
    use ParseErrorKind as K;
    let wrap = |body: &str| {
        format!("<S:Envelope xmlns:S=\"{SOAP_NS}\"><S:Body>{body}</S:Body></S:Envelope>")
    };
    let req = |inner: &str| {
        wrap(&format!(
            "<p:Request xmlns:p=\"{SAMLP1_NS}\" RequestID=\"r\">{inner}</p:Request>"
        ))
    };
    let doctype = format!(
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}",
        req("<p:AssertionArtifact>&e;</p:AssertionArtifact>")
    );
    let cases: Vec<(String, K)> = vec![
        ("".into(), K::Empty),
        (doctype, K::Doctype),
        (
            req("<p:AssertionArtifact>&e;</p:AssertionArtifact>"),
            K::UnknownEntity,
        ),
        (req(""), K::MissingElement("samlp:AssertionArtifact")),
        (
            req("<p:AssertionArtifact>  </p:AssertionArtifact>"),
            K::MissingElement("samlp:AssertionArtifact"),
        ),
        (
            req(
                "<p:AssertionArtifact>ST-1</p:AssertionArtifact><p:AssertionArtifact>ST-2</p:AssertionArtifact>",
            ),
            K::DuplicateElement("samlp:AssertionArtifact"),
        ),
        (wrap(""), K::MissingElement("samlp:Request")),
        (
            wrap("<Request><AssertionArtifact>ST-1</AssertionArtifact></Request>"),
            K::UnexpectedElement,
        ),
        (
            format!(
                "<p:Request xmlns:p=\"{SAMLP1_NS}\"><p:AssertionArtifact>ST-1</p:AssertionArtifact></p:Request>"
            ),
            K::UnexpectedRoot,
        ),
        (req(&format!("{}ST", "<p:x>".repeat(10_000))), K::TooDeep),
        (
            format!(
                "{}{}",
                req("<p:AssertionArtifact>ST-1</p:AssertionArtifact>"),
                " ".repeat(saml::MAX_REQUEST)
            ),
            K::TooLarge,
        ),
        (
            format!(
                "{}<again/>",
                req("<p:AssertionArtifact>ST-1</p:AssertionArtifact>")
            ),
            K::Trailing,
        ),
    ];
    for (text, kind) in cases {
        let e = parse_request(&text).expect_err(&text);
        assert_eq!(e.kind, kind, "{text}");
        assert!(e.offset <= text.len());
    }
    // Predefined entities and unknown children are fine.
    let ok = req(
        "<p:RespondWith>saml:AuthenticationStatement</p:RespondWith><p:AssertionArtifact>ST-&#49;&amp;</p:AssertionArtifact>",
    );
    assert_eq!(parse_request(&ok).unwrap().assertion_artifact, "ST-1&");
}

fn saml_params(now: Timestamp) -> SamlResponseParams<'static> {
    SamlResponseParams {
        response_id: "_5c94b5431c540365e5a70b2874b75996",
        assertion_id: "_e5c23ff7a3889e12fa01802a47331653",
        now,
        issuer: "cas.example.org",
        recipient: "https://eiger.iad.vt.edu/dat/home.do?a=1&b=2",
        in_response_to: "_192.168.16.51.1024506224022",
        validity_secs: 30,
        authentication_method: AM_PASSWORD,
        authentication_instant: Timestamp(1_228_918_334_741),
    }
}

/// What `Saml11TicketValidator` and python-cas read, checked by namespace as they do.
#[test]
fn saml_success_has_what_java_client_reads_4_2_5() {
    let now = Timestamp(1_228_918_334_817); // 2008-12-10T14:12:14.817Z, §4.2.5's example
    let mut s = success("johnq");
    s.attributes = attrs(&[
        ("uid", &["12345"]),
        ("eduPersonAffiliation", &["staff", "faculty"]),
        ("longTermAuthenticationRequestTokenUsed", &["false"]),
        ("bad <name>", &["v&1"]),
    ]);
    let out = render_response(Ok(&s), &saml_params(now));
    let env = dom(&out);
    assert_eq!((env.ns.as_str(), env.local.as_str()), (SOAP_NS, "Envelope"));
    let resp = env
        .child(SOAP_NS, "Body")
        .child(SAMLP1_NS, "Response")
        .clone();
    assert_eq!(resp.attr("MajorVersion"), Some("1"));
    assert_eq!(resp.attr("MinorVersion"), Some("1"));
    assert_eq!(
        resp.attr("ResponseID"),
        Some("_5c94b5431c540365e5a70b2874b75996")
    );
    assert_eq!(
        resp.attr("InResponseTo"),
        Some("_192.168.16.51.1024506224022")
    );
    assert_eq!(
        resp.attr("Recipient"),
        Some("https://eiger.iad.vt.edu/dat/home.do?a=1&b=2")
    );
    assert_eq!(resp.attr("IssueInstant"), Some("2008-12-10T14:12:14.817Z"));
    let code = resp
        .child(SAMLP1_NS, "Status")
        .child(SAMLP1_NS, "StatusCode")
        .attr("Value")
        .unwrap()
        .to_owned();
    assert!(code.ends_with(":Success"), "python-cas test");
    assert!(
        out.contains(&format!("xmlns:samlp=\"{SAMLP1_NS}\"")),
        "the QName prefix samlp is bound"
    );

    let a = resp.child(SAML1_NS, "Assertion");
    assert_eq!(a.attr("Issuer"), Some("cas.example.org"));
    assert_eq!(
        a.attr("AssertionID"),
        Some("_e5c23ff7a3889e12fa01802a47331653")
    );
    let cond = a.child(SAML1_NS, "Conditions");
    assert_eq!(cond.attr("NotBefore"), Some("2008-12-10T14:12:14.817Z"));
    assert_eq!(cond.attr("NotOnOrAfter"), Some("2008-12-10T14:12:44.817Z"));
    let aud = cond
        .child(SAML1_NS, "AudienceRestrictionCondition")
        .child(SAML1_NS, "Audience");
    assert_eq!(aud.text, "https://eiger.iad.vt.edu/dat/home.do?a=1&b=2");

    let authn = a.child(SAML1_NS, "AuthenticationStatement");
    assert_eq!(authn.attr("AuthenticationMethod"), Some(AM_PASSWORD));
    assert_eq!(
        authn.attr("AuthenticationInstant"),
        Some("2008-12-10T14:12:14.741Z")
    );
    let subject = authn.child(SAML1_NS, "Subject");
    assert_eq!(subject.child(SAML1_NS, "NameIdentifier").text, "johnq");
    assert_eq!(
        subject
            .child(SAML1_NS, "SubjectConfirmation")
            .child(SAML1_NS, "ConfirmationMethod")
            .text,
        "urn:oasis:names:tc:SAML:1.0:cm:artifact"
    );

    let st = a.child(SAML1_NS, "AttributeStatement");
    assert_eq!(
        st.child(SAML1_NS, "Subject")
            .child(SAML1_NS, "NameIdentifier")
            .text,
        "johnq"
    );
    let mut got = Attributes::new();
    for at in st.all(SAML1_NS, "Attribute") {
        assert_eq!(
            at.attr("AttributeNamespace"),
            Some("http://www.ja-sig.org/products/cas/")
        );
        let vals = at
            .all(SAML1_NS, "AttributeValue")
            .iter()
            .map(|v| v.text.clone())
            .collect();
        got.insert(at.attr("AttributeName").unwrap().to_owned(), vals);
    }
    assert_eq!(
        got, s.attributes,
        "every attribute, including the §4.1.3 remember-me one, any name"
    );
}

#[test]
fn saml_without_attributes_has_no_attribute_statement_and_no_in_response_to() {
    let mut p = saml_params(Timestamp(0));
    p.in_response_to = "";
    let out = render_response(Ok(&success("u")), &p);
    let resp = dom(&out)
        .child(SOAP_NS, "Body")
        .child(SAMLP1_NS, "Response")
        .clone();
    assert_eq!(resp.attr("InResponseTo"), None);
    let a = resp.child(SAML1_NS, "Assertion");
    assert_eq!(a.names(), ["Conditions", "AuthenticationStatement"]);
}

#[test]
fn saml_failure_status_codes_4_2_5() {
    for code in ALL_CODES {
        let f = failure(code, "ticket 'ST-1' <not> recognized");
        let out = render_response(Err(&f), &saml_params(Timestamp(0)));
        let resp = dom(&out)
            .child(SOAP_NS, "Body")
            .child(SAMLP1_NS, "Response")
            .clone();
        assert!(!resp.has(SAML1_NS, "Assertion"), "no assertion on failure");
        let status = resp.child(SAMLP1_NS, "Status");
        let top = status.child(SAMLP1_NS, "StatusCode");
        let expected = if code == FailureCode::InternalError {
            "samlp:Responder"
        } else {
            "samlp:Requester"
        };
        assert_eq!(top.attr("Value"), Some(expected));
        assert_eq!(
            top.child(SAMLP1_NS, "StatusCode").attr("Value"),
            Some(format!("cas:{}", code.as_str()).as_str())
        );
        assert_eq!(status.child(SAMLP1_NS, "StatusMessage").text, f.description);
        assert!(
            out.contains(&format!("xmlns:cas=\"{CAS_NS}\"")),
            "the sub-code's prefix is bound"
        );
    }
}

#[test]
fn saml_unrepresentable_user_is_a_responder_failure() {
    for user in ["admin\u{0}", " admin", "a\nb"] {
        let out = render_response(Ok(&success(user)), &saml_params(Timestamp(0)));
        let resp = dom(&out)
            .child(SOAP_NS, "Body")
            .child(SAMLP1_NS, "Response")
            .clone();
        assert!(!resp.has(SAML1_NS, "Assertion"));
        let top = resp
            .child(SAMLP1_NS, "Status")
            .child(SAMLP1_NS, "StatusCode");
        assert_eq!(top.attr("Value"), Some("samlp:Responder"));
    }
}

#[test]
fn saml_hostile_attribute_values_are_escaped() {
    let mut s = success("u");
    s.attributes.insert(
        "x\"y".into(),
        HOSTILE_VALUES.iter().map(|v| (*v).to_owned()).collect(),
    );
    let out = render_response(Ok(&s), &saml_params(Timestamp(0)));
    let st = dom(&out)
        .child(SOAP_NS, "Body")
        .child(SAMLP1_NS, "Response")
        .child(SAML1_NS, "Assertion")
        .child(SAML1_NS, "AttributeStatement")
        .clone();
    let at = st.child(SAML1_NS, "Attribute");
    assert_eq!(at.attr("AttributeName"), Some("x\"y"));
    let vals: Vec<&str> = at
        .all(SAML1_NS, "AttributeValue")
        .iter()
        .map(|v| v.text.as_str())
        .collect();
    assert_eq!(vals, HOSTILE_VALUES);
}

// --- Single logout (§2.3.3, Appendix C) --------------------------------------------------------

#[test]
fn logout_request_is_well_formed_saml2_appendix_c() {
    let out = render_logout_request(
        "LR-1-abc",
        Timestamp(1_795_331_018_123),
        "ST-1856339-aA5Yuvrxzpv8Tau1cYQ7",
    );
    let root = dom(&out);
    assert_eq!(
        (root.ns.as_str(), root.local.as_str()),
        (SAMLP2_NS, "LogoutRequest")
    );
    assert_eq!(root.attr("ID"), Some("LR-1-abc"));
    assert_eq!(root.attr("Version"), Some("2.0"));
    assert_eq!(root.attr("IssueInstant"), Some("2026-11-22T07:03:38Z"));
    assert_eq!(root.names(), ["NameID", "SessionIndex"]);
    assert_eq!(root.child(SAML2_NS, "NameID").text, "@NOT_USED@");
    assert_eq!(
        root.child(SAMLP2_NS, "SessionIndex").text,
        "ST-1856339-aA5Yuvrxzpv8Tau1cYQ7"
    );
    // phpCAS extracts the ticket with a regular expression on these exact tags.
    let (_, rest) = out.split_once("<samlp:SessionIndex>").unwrap();
    let (ticket, _) = rest.split_once("</samlp:SessionIndex>").unwrap();
    assert_eq!(ticket, "ST-1856339-aA5Yuvrxzpv8Tau1cYQ7");
    assert!(!out.contains('\n'), "one line");
}

#[test]
fn logout_request_escapes_hostile_values() {
    let out = render_logout_request("a\"b<c", Timestamp(0), "ST-1</samlp:SessionIndex><x>");
    let root = dom(&out);
    assert_eq!(root.attr("ID"), Some("a\"b<c"));
    assert_eq!(
        root.child(SAMLP2_NS, "SessionIndex").text,
        "ST-1</samlp:SessionIndex><x>"
    );
}
