//! The rules of the shared XML reader (`cas::xml`'s cursor) as its three users see them: the
//! validation-response parser (CAS 3.0 §2.5.2, §2.6.2, §2.7.2, Appendix A), the client's
//! `logoutRequest` reader (§2.3.3, Appendix C) and the `/samlValidate` request parser (§4.2).
//! Namespaces are resolved from the declarations in scope (Namespaces in XML 1.0 §5), text is
//! exact (CDATA, references, end-of-line handling, XML 1.0 §2.4, §2.11, §4.6), and every
//! attribute of every tag is well-formed (§3.1, §3.3.3).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use casplus::cas::client::logout::parse_logout_request;
use casplus::cas::client::{ParseErrorKind, parse_validation_response};
use casplus::cas::saml::parse_request;

const CAS: &str = "http://www.yale.edu/tp/cas";

fn user(doc: &str) -> String {
    let r = parse_validation_response(doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
    assert!(r.success, "{doc}");
    r.user.unwrap()
}

fn kind(doc: &str) -> (ParseErrorKind, usize) {
    let e = parse_validation_response(doc).expect_err(doc);
    (e.kind, e.offset)
}

/// A success with `user_xml` as the content of `cas:user`.
fn with_user(user_xml: &str) -> String {
    format!(
        r#"<cas:serviceResponse xmlns:cas="{CAS}"><cas:authenticationSuccess><cas:user>{user_xml}</cas:user></cas:authenticationSuccess></cas:serviceResponse>"#
    )
}

#[test]
fn any_prefix_default_namespace_and_mixtures_are_the_cas_namespace_appendix_a() {
    for doc in [
        format!(
            r#"<c:serviceResponse xmlns:c="{CAS}"><c:authenticationSuccess><c:user>u</c:user></c:authenticationSuccess></c:serviceResponse>"#
        ),
        format!(
            r#"<serviceResponse xmlns="{CAS}"><authenticationSuccess><user>u</user></authenticationSuccess></serviceResponse>"#
        ),
        // Default namespace on the root, a prefix declared further down for the same URI.
        format!(
            r#"<serviceResponse xmlns="{CAS}"><authenticationSuccess><p:user xmlns:p="{CAS}">u</p:user></authenticationSuccess></serviceResponse>"#
        ),
        // The namespace name written with character references (XML 1.0 §3.3.3: the
        // attribute value is normalised before it names the namespace).
        r#"<cas:serviceResponse xmlns:cas="http:&#x2F;&#47;www.yale.edu/tp/cas"><cas:authenticationSuccess><cas:user>u</cas:user></cas:authenticationSuccess></cas:serviceResponse>"#.to_owned(),
        // A declaration on an empty sibling does not leak; the root's stays in scope.
        format!(
            r#"<cas:serviceResponse xmlns:cas="{CAS}"><cas:authenticationSuccess><cas:ext xmlns:cas="urn:other"/><cas:user>u</cas:user></cas:authenticationSuccess></cas:serviceResponse>"#
        ),
    ] {
        assert_eq!(user(&doc), "u", "{doc}");
    }
}

#[test]
fn names_are_matched_by_namespace_not_by_prefix_appendix_a() {
    // `cas:` bound to another namespace: not a CAS response.
    let doc = r#"<cas:serviceResponse xmlns:cas="urn:not-cas"><cas:authenticationSuccess><cas:user>u</cas:user></cas:authenticationSuccess></cas:serviceResponse>"#;
    assert_eq!(kind(doc), (ParseErrorKind::UnexpectedRoot, 0));
    // `cas:user` re-bound to another namespace on the element itself: an extension, skipped,
    // so the success has no user.
    let doc = format!(
        r#"<cas:serviceResponse xmlns:cas="{CAS}"><cas:authenticationSuccess><cas:user xmlns:cas="urn:x">u</cas:user></cas:authenticationSuccess></cas:serviceResponse>"#
    );
    assert_eq!(kind(&doc).0, ParseErrorKind::MissingElement("user"));
    // The default namespace undeclared by `xmlns=""` below the root.
    let doc = format!(
        r#"<serviceResponse xmlns="{CAS}"><authenticationSuccess xmlns=""><user>u</user></authenticationSuccess></serviceResponse>"#
    );
    let at = doc.find("<authenticationSuccess").unwrap();
    assert_eq!(kind(&doc), (ParseErrorKind::UnexpectedElement, at));
    // No namespace at all.
    let doc = "<serviceResponse><authenticationSuccess><user>u</user></authenticationSuccess></serviceResponse>";
    assert_eq!(kind(doc), (ParseErrorKind::UnexpectedRoot, 0));
}

#[test]
fn undeclared_and_reserved_prefixes_are_malformed_namespaces_in_xml_3_5() {
    for (doc, at) in [
        // A prefix declared on a sibling is out of scope.
        (
            format!(
                r#"<cas:serviceResponse xmlns:cas="{CAS}"><cas:authenticationSuccess><a xmlns:p="urn:p"/><p:b/></cas:authenticationSuccess></cas:serviceResponse>"#
            ),
            "<p:b/>",
        ),
        (
            format!(r#"<cas:serviceResponse xmlns:c="{CAS}"/>"#),
            "<cas:serviceResponse",
        ),
        (
            format!(r#"<cas:serviceResponse xmlns:cas="{CAS}" xmlns:xml="urn:x"/>"#),
            "<cas:serviceResponse",
        ),
        (
            format!(r#"<cas:serviceResponse xmlns:cas="{CAS}" xmlns:xmlns="urn:x"/>"#),
            "<cas:serviceResponse",
        ),
        (
            r#"<cas:serviceResponse xmlns:cas="http://www.w3.org/2000/xmlns/"/>"#.to_owned(),
            "<cas:serviceResponse",
        ),
    ] {
        assert_eq!(
            kind(&doc),
            (ParseErrorKind::Xml, doc.find(at).unwrap()),
            "{doc}"
        );
    }
    // `xml:` is always bound, and may be declared to its own namespace.
    let doc = format!(
        r#"<cas:serviceResponse xmlns:cas="{CAS}" xmlns:xml="http://www.w3.org/XML/1998/namespace" xml:lang="en"><cas:authenticationSuccess><cas:user>u</cas:user><xml:x/></cas:authenticationSuccess></cas:serviceResponse>"#
    );
    assert_eq!(user(&doc), "u");
}

#[test]
fn cdata_references_and_line_ends_give_exact_text_2_5_2() {
    for (inner, want) in [
        // Literal whitespace around the value is formatting; CDATA and references are not.
        ("\n   alice \n", "alice"),
        ("<![CDATA[ a<b>&c ]]>", " a<b>&c "),
        ("\n  <![CDATA[x]]>  \n", "x"),
        ("&#x20;a&amp;b&lt;&gt;&quot;&apos;&#x9;", " a&b<>\"'\t"),
        ("a<!-- note -->b", "ab"),
        ("a<?pi x?>b", "ab"),
        // End-of-line handling (XML 1.0 §2.11): CR LF and a lone CR are LF; &#xD; stays CR.
        ("a\r\nb\rc&#xD;", "a\nb\nc\r"),
        ("J\u{f6}rg \u{1F600}", "J\u{f6}rg \u{1F600}"),
    ] {
        let r = parse_validation_response(&format!(
            r#"<cas:serviceResponse xmlns:cas="{CAS}"><cas:authenticationFailure code="X">{inner}</cas:authenticationFailure></cas:serviceResponse>"#
        ))
        .unwrap();
        assert_eq!(r.failure.unwrap().description, want, "{inner:?}");
    }
}

#[test]
fn characters_xml_cannot_carry_are_refused_in_text_cdata_and_attributes_2_2() {
    for (bad, what) in [
        ("a\u{FFFE}", "text U+FFFE"),
        ("a\u{FFFF}", "text U+FFFF"),
        ("a\u{1B}", "text ESC"),
        ("<![CDATA[a\u{0}]]>", "CDATA NUL"),
        ("<![CDATA[\u{FFFF}]]>", "CDATA U+FFFF"),
    ] {
        assert_eq!(
            kind(&with_user(bad)).0,
            ParseErrorKind::InvalidChar,
            "{what}"
        );
    }
    // U+FFFD and other characters encoded with EF are fine.
    assert_eq!(user(&with_user("a\u{FFFD}\u{FEFF}")), "a\u{FFFD}\u{FEFF}");
    for attr in ["a\u{1}", "\u{FFFE}", "&#1;", "&#xFFFF;"] {
        let doc = format!(
            r#"<cas:serviceResponse xmlns:cas="{CAS}"><cas:authenticationFailure code="{attr}">x</cas:authenticationFailure></cas:serviceResponse>"#
        );
        let at = doc.find("<cas:authenticationFailure").unwrap();
        assert_eq!(kind(&doc), (ParseErrorKind::InvalidChar, at), "{attr:?}");
    }
}

#[test]
fn attributes_are_normalised_and_every_one_is_checked_3_1_3_3_3() {
    // Name-value style attributes (§2.5.7 as some servers send it): values normalised.
    let doc = format!(
        r#"<cas:serviceResponse xmlns:cas="{CAS}"><cas:authenticationSuccess><cas:user>u</cas:user><cas:attributes>
        <cas:attribute name="a&amp;b" value="x&#10;y	z&lt;"/>
        <cas:attribute name='q"' value=''/>
        <cas:attribute name="t">text &amp; more</cas:attribute>
        </cas:attributes></cas:authenticationSuccess></cas:serviceResponse>"#
    );
    let r = parse_validation_response(&doc).unwrap();
    assert_eq!(r.attributes["a&b"], ["x\ny z<"]);
    assert_eq!(r.attributes["q\""], [""]);
    assert_eq!(r.attributes["t"], ["text & more"]);
    let r = parse_validation_response(&format!(
        r#"<cas:serviceResponse xmlns:cas="{CAS}"><cas:authenticationFailure code=" A&#x9;B ">d</cas:authenticationFailure></cas:serviceResponse>"#
    ))
    .unwrap();
    assert_eq!(r.failure.unwrap().code, " A\tB ");
    // Well-formedness of every attribute, prefixed or not, declaration or not, read or not.
    for (attrs, want) in [
        (r#"a="1" a="2""#, ParseErrorKind::Xml),
        (r#"p:a="1" p:a="2" xmlns:p="urn:p""#, ParseErrorKind::Xml),
        (r#"a=1"#, ParseErrorKind::Xml),
        (r#"a="&bogus;""#, ParseErrorKind::UnknownEntity),
        (r#"xmlns:p="urn:&bogus;""#, ParseErrorKind::UnknownEntity),
        (
            r#"p:a="&bogus;" xmlns:p="urn:p""#,
            ParseErrorKind::UnknownEntity,
        ),
        (r#"a="x<y""#, ParseErrorKind::Xml),
    ] {
        let doc = format!(
            r#"<cas:serviceResponse xmlns:cas="{CAS}"><cas:authenticationSuccess><cas:user>u</cas:user><cas:ext {attrs}/></cas:authenticationSuccess></cas:serviceResponse>"#
        );
        let (k, _) = kind(&doc);
        assert_eq!(k, want, "{attrs}");
    }
}

#[test]
fn skipped_extensions_are_still_well_formed_2_5_2() {
    // An extension element the parser skips is read through the same rules.
    let ext = |inner: &str| {
        format!(
            r#"<cas:serviceResponse xmlns:cas="{CAS}"><cas:authenticationSuccess><cas:user>u</cas:user><x:ext xmlns:x="urn:x">{inner}</x:ext></cas:authenticationSuccess></cas:serviceResponse>"#
        )
    };
    assert_eq!(user(&ext("<a><b>t&amp;</b><![CDATA[<]]></a>")), "u");
    assert_eq!(kind(&ext("<q:a/>")).0, ParseErrorKind::Xml);
    assert_eq!(kind(&ext("&nope;")).0, ParseErrorKind::UnknownEntity);
    assert_eq!(kind(&ext("<a></b>")).0, ParseErrorKind::Xml);
    assert_eq!(kind(&ext("\u{2}")).0, ParseErrorKind::InvalidChar);
}

#[test]
fn logout_request_by_any_prefix_or_default_namespace_appendix_c() {
    for doc in [
        r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="LR-1"><saml:NameID>@NOT_USED@</saml:NameID><samlp:SessionIndex>ST-1</samlp:SessionIndex></samlp:LogoutRequest>"#,
        r#"<LogoutRequest xmlns="urn:oasis:names:tc:SAML:2.0:protocol" ID="LR-1"><NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion">@NOT_USED@</NameID><SessionIndex><![CDATA[ST-1]]></SessionIndex></LogoutRequest>"#,
        r#"<p:LogoutRequest xmlns:p="urn:oasis:names:tc:SAML:2.0:protocol" ID="LR&#x2D;1"><a:NameID xmlns:a="urn:oasis:names:tc:SAML:2.0:assertion">@NOT_USED@</a:NameID><p:SessionIndex>
            ST&#x2D;1
        </p:SessionIndex></p:LogoutRequest>"#,
    ] {
        let r = parse_logout_request(doc).unwrap_or_else(|e| panic!("{doc}: {e}"));
        assert_eq!(r.session_index, "ST-1", "{doc}");
        assert_eq!(r.name_id, "@NOT_USED@", "{doc}");
        assert_eq!(r.id, "LR-1", "{doc}");
    }
    // A SessionIndex in another namespace is not the session index.
    let doc = r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><x:SessionIndex xmlns:x="urn:x">ST-1</x:SessionIndex></samlp:LogoutRequest>"#;
    assert!(parse_logout_request(doc).is_err());
}

#[test]
fn saml_request_by_any_prefix_4_2() {
    let doc = r#"<E:Envelope xmlns:E="http://schemas.xmlsoap.org/soap/envelope/"><E:Body><Request xmlns="urn:oasis:names:tc:SAML:1.0:protocol" RequestID="_r&amp;1" IssueInstant="2026-12-07T10:00:00Z"><AssertionArtifact>
        ST-1-abc
    </AssertionArtifact></Request></E:Body></E:Envelope>"#;
    let r = parse_request(doc).unwrap();
    assert_eq!(r.assertion_artifact, "ST-1-abc");
    assert_eq!(r.request_id, "_r&1");
    assert_eq!(r.issue_instant, "2026-12-07T10:00:00Z");
}

#[test]
fn error_offsets_point_at_the_offending_tag() {
    let doc = with_user("u</cas:user><cas:user>v");
    let at = doc.rfind("<cas:user>").unwrap();
    assert_eq!(kind(&doc), (ParseErrorKind::DuplicateElement("user"), at));
    let doc = with_user("<b>u</b>");
    assert_eq!(kind(&doc).0, ParseErrorKind::UnexpectedElement);
    // Offsets survive a byte-order mark.
    let doc = format!("\u{FEFF}{}", with_user("&bad;"));
    let (k, at) = kind(&doc);
    assert_eq!(k, ParseErrorKind::UnknownEntity);
    assert!(at >= doc.find("&bad;").unwrap() && at <= doc.len(), "{at}");
}
