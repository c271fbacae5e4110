//! SAML for CAS: the SAML 1.1 `/samlValidate` request and response (CAS Protocol 3.0 §4.2,
//! OASIS SAML 1.1 core) and the SAML 2.0 single-logout `LogoutRequest` (§2.3.3, Appendix C).
//!
//! The response follows §4.2.5's example and what the Java CAS client's
//! `Saml11TicketValidator` reads (by namespace, with XPath): `sa:Assertion/sa:Conditions`
//! `@NotBefore`/`@NotOnOrAfter` (ISO 8601 with milliseconds), the `NameIdentifier` of
//! `sa:AuthenticationStatement/sa:Subject`, `sa:AuthenticationStatement/@AuthenticationMethod`
//! and every `sa:AttributeStatement/sa:Attribute` with its `AttributeValue`s. Clients that
//! look at the status (python-cas) find `samlp:StatusCode/@Value` ending in `:Success`.
//!
//! Characters follow [`super::xml`]'s rules: a principal that is not
//! [`super::xml::is_representable_user`] is never asserted (the response becomes a
//! `samlp:Responder` failure); attribute names are attribute *values* here
//! (`AttributeName="..."`), so every name is kept, escaped; characters XML 1.0 cannot carry
//! in names, values and messages become U+FFFD.

// Renderers and parsers here face hostile input: no indexing, unwraps or panics.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::fmt;
use std::io;

use quick_xml::events::{BytesEnd, BytesText, Event};
use quick_xml::writer::Writer;

use super::client::{ParseError, ParseErrorKind};
use super::response::{Failure, FailureCode, Success};
use super::xml::{
    CAS_NS, Element, Ns, XmlCursor, escape_text, is_representable_user, ordered_attributes, start,
    text_element, unrepresentable_failure,
};
use crate::time::Timestamp;

/// Errors of [`parse_request`]: the shared parse error, with a byte offset.
pub type SamlError = ParseError;

/// Largest `/samlValidate` body accepted (a real request is about 500 bytes).
pub const MAX_REQUEST: usize = 64 * 1024;

/// SOAP 1.1 envelope namespace.
pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SAML 1.0/1.1 protocol namespace (`samlp`).
pub const SAMLP1_NS: &str = "urn:oasis:names:tc:SAML:1.0:protocol";
/// SAML 1.0/1.1 assertion namespace (`saml`).
pub const SAML1_NS: &str = "urn:oasis:names:tc:SAML:1.0:assertion";
/// SAML 2.0 protocol namespace (single logout, Appendix C).
pub const SAMLP2_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 2.0 assertion namespace (single logout, Appendix C).
pub const SAML2_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// The `AttributeNamespace` CAS servers use for released attributes (§4.2.5 example).
pub const ATTRIBUTE_NAMESPACE: &str = "http://www.ja-sig.org/products/cas/";
/// SAML 1.1 artifact confirmation method (§4.2.5 example).
pub const CONFIRMATION_ARTIFACT: &str = "urn:oasis:names:tc:SAML:1.0:cm:artifact";
/// SAML 1.1 authentication method: password (§4.2.5 example).
pub const AM_PASSWORD: &str = "urn:oasis:names:tc:SAML:1.0:am:password";
/// SAML 1.1 authentication method: unspecified.
pub const AM_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.0:am:unspecified";

/// A `/samlValidate` request (§4.2.3): the values of `samlp:Request` inside the SOAP body.
///
/// `Debug` redacts the artifact (it is a service ticket).
#[derive(Clone, PartialEq, Eq)]
pub struct SamlRequest {
    /// `RequestID` — empty if the client omitted it (§4.2.3 says REQUIRED, but
    /// mod_auth_cas sends none); the response's `InResponseTo` is then left out.
    pub request_id: String,
    /// `IssueInstant` as sent — empty if omitted (mod_auth_cas again). Not interpreted.
    pub issue_instant: String,
    /// `samlp:AssertionArtifact`: the service ticket, surrounding whitespace trimmed.
    pub assertion_artifact: String,
}

impl fmt::Debug for SamlRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SamlRequest")
            .field("request_id", &self.request_id)
            .field("issue_instant", &self.issue_instant)
            .field("assertion_artifact", &"<redacted>")
            .finish()
    }
}

/// Parses a `/samlValidate` POST body (§4.2.2–§4.2.4): a SOAP 1.1 (or 1.2) `Envelope`, an
/// optional `Header` (skipped), a `Body` holding one SAML 1.x `samlp:Request` with exactly one
/// `samlp:AssertionArtifact`. Elements are matched by namespace, not prefix; other children
/// of the request (e.g. `RespondWith`) are skipped. Bounded like [`super::client`]: at most
/// [`MAX_REQUEST`] bytes, no DTD, predefined entities only, nesting at most 32.
pub fn parse_request(body: &str) -> Result<SamlRequest, SamlError> {
    use ParseErrorKind as K;
    if body.len() > MAX_REQUEST {
        return Err(ParseError::new(K::TooLarge, MAX_REQUEST));
    }
    let bom = if body.starts_with('\u{FEFF}') {
        '\u{FEFF}'.len_utf8()
    } else {
        0
    };
    let text = body.get(bom..).unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ParseError::new(K::Empty, body.len()));
    }
    parse_envelope(text).map_err(|e| ParseError::new(e.kind, e.offset.saturating_add(bom)))
}

fn parse_envelope(text: &str) -> Result<SamlRequest, SamlError> {
    use ParseErrorKind as K;
    let mut c = XmlCursor::new(text);
    let root = c.root()?;
    if !root.is(Ns::Soap, "Envelope") {
        return Err(ParseError::new(K::UnexpectedRoot, root.offset));
    }
    let mut request = None;
    let mut seen_body = false;
    while let Some(el) = c.next_child()? {
        match (el.ns, el.local) {
            (Ns::Soap, "Header") if !seen_body => c.skip(&el)?,
            (Ns::Soap, "Body") if !seen_body => {
                seen_body = true;
                if el.empty {
                    continue;
                }
                while let Some(item) = c.next_child()? {
                    if !item.is(Ns::Samlp1, "Request") || request.is_some() {
                        return Err(ParseError::new(K::UnexpectedElement, item.offset));
                    }
                    request = Some(parse_saml_request(&mut c, &item)?);
                }
            }
            _ => return Err(ParseError::new(K::UnexpectedElement, el.offset)),
        }
    }
    c.finish()?;
    request.ok_or_else(|| ParseError::new(K::MissingElement("samlp:Request"), text.len()))
}

fn parse_saml_request<'a>(
    c: &mut XmlCursor<'a>,
    el: &Element<'a>,
) -> Result<SamlRequest, SamlError> {
    use ParseErrorKind as K;
    let mut artifact: Option<String> = None;
    if !el.empty {
        while let Some(ch) = c.next_child()? {
            if ch.is(Ns::Samlp1, "AssertionArtifact") {
                if artifact.is_some() {
                    return Err(ParseError::new(
                        K::DuplicateElement("samlp:AssertionArtifact"),
                        ch.offset,
                    ));
                }
                artifact = Some(c.text_of(&ch)?.into_owned());
            } else {
                c.skip(&ch)?;
            }
        }
    }
    match artifact {
        Some(a) if !a.is_empty() => Ok(SamlRequest {
            request_id: el.attr("RequestID").unwrap_or_default().into_owned(),
            issue_instant: el.attr("IssueInstant").unwrap_or_default().into_owned(),
            assertion_artifact: a,
        }),
        _ => Err(ParseError::new(
            K::MissingElement("samlp:AssertionArtifact"),
            el.offset,
        )),
    }
}

/// What a `/samlValidate` response needs besides the validation outcome. The adapter draws
/// the ids from entropy and passes the clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SamlResponseParams<'a> {
    /// `ResponseID` (an XML ID: start with `_` or a letter, e.g. `_` + 32 hex digits).
    pub response_id: &'a str,
    /// `AssertionID` (an XML ID, like `response_id`).
    pub assertion_id: &'a str,
    /// Issue instant of the response and assertion; also `Conditions/@NotBefore`.
    pub now: Timestamp,
    /// `Assertion/@Issuer` (the CAS server's name, e.g. its host).
    pub issuer: &'a str,
    /// The service (`TARGET`, §4.2.1): `Response/@Recipient` and the `Audience`.
    pub recipient: &'a str,
    /// `InResponseTo`: the request's `RequestID`; empty → left out.
    pub in_response_to: &'a str,
    /// Assertion lifetime: `NotOnOrAfter = now + validity_secs` (Apereo's default is 30 s).
    pub validity_secs: i64,
    /// `AuthenticationStatement/@AuthenticationMethod`, e.g. [`AM_PASSWORD`].
    pub authentication_method: &'a str,
    /// `AuthenticationStatement/@AuthenticationInstant`: when the user authenticated.
    pub authentication_instant: Timestamp,
}

/// Renders the SOAP-wrapped SAML 1.1 `samlp:Response` of `/samlValidate` (§4.2.5).
///
/// Success: `samlp:Success` and a `saml:Assertion` with `Conditions` (`NotBefore` = now,
/// `NotOnOrAfter` = now + validity, `AudienceRestrictionCondition/Audience` = recipient), an
/// `AttributeStatement` with every released attribute and value (left out when there are
/// none: SAML 1.1 requires at least one `Attribute`), and an `AuthenticationStatement`; both
/// statements carry the `Subject` (`NameIdentifier` = user, artifact confirmation).
///
/// Failure: no assertion; `samlp:Status` with top-level code `samlp:Responder` for
/// `INTERNAL_ERROR` and `samlp:Requester` otherwise (SAML 1.1 core §3.4.3.1), a subordinate
/// `StatusCode` naming the CAS code as a QName in the CAS namespace (`cas:INVALID_TICKET`),
/// and the description as `samlp:StatusMessage`.
pub fn render_response(outcome: Result<&Success, &Failure>, p: &SamlResponseParams<'_>) -> String {
    let internal;
    let outcome = match outcome {
        Ok(s) if !is_representable_user(&s.user) => {
            internal = unrepresentable_failure();
            Err(&internal)
        }
        other => other,
    };
    let mut w = Writer::new_with_indent(Vec::with_capacity(2048), b' ', 2);
    if write_saml_response(&mut w, outcome, p).is_err() {
        return String::new();
    }
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

/// A front-channel logout message (§2.3.3 by the browser, as Apereo CAS sends it): the
/// `LogoutRequest` document compressed in the zlib format (RFC 1950, the default of
/// Java's `Deflater` that Apereo and the Java CAS client use) and base64-encoded, for the
/// `SAMLRequest` parameter. The DEFLATE data is made of stored blocks (RFC 1951 §3.2.4:
/// `BTYPE = 00`), which every inflater reads: a message of a few hundred bytes gains
/// nothing worth a compressor in the Worker.
pub fn deflated_base64(document: &str) -> String {
    use base64::Engine as _;
    let data = document.as_bytes();
    // CMF: deflate, 32 KiB window; FLG: no dictionary, fastest, FCHECK so that
    // CMF·256 + FLG is a multiple of 31 (0x7801 = 30721 = 31 · 991).
    let mut out = Vec::with_capacity(data.len() + data.len() / 65_535 * 5 + 12);
    out.extend_from_slice(&[0x78, 0x01]);
    let mut chunks = data.chunks(usize::from(u16::MAX)).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none())); // BFINAL, BTYPE = 00
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// The Adler-32 checksum of `data` (RFC 1950 §8.2).
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

fn write_saml_response(
    w: &mut Writer<Vec<u8>>,
    outcome: Result<&Success, &Failure>,
    p: &SamlResponseParams<'_>,
) -> io::Result<()> {
    let now = p.now.to_rfc3339_millis();
    w.write_event(Event::Start(start(
        "SOAP-ENV:Envelope",
        &[("xmlns:SOAP-ENV", SOAP_NS)],
    )))?;
    w.create_element("SOAP-ENV:Header").write_empty()?;
    w.write_event(Event::Start(start("SOAP-ENV:Body", &[])))?;

    let mut attrs = vec![
        ("xmlns:samlp", SAMLP1_NS),
        ("xmlns:saml", SAML1_NS),
        ("xmlns:cas", CAS_NS),
        ("IssueInstant", now.as_str()),
        ("MajorVersion", "1"),
        ("MinorVersion", "1"),
        ("Recipient", p.recipient),
        ("ResponseID", p.response_id),
    ];
    if !p.in_response_to.is_empty() {
        attrs.push(("InResponseTo", p.in_response_to));
    }
    w.write_event(Event::Start(start("samlp:Response", &attrs)))?;
    match outcome {
        Ok(s) => {
            w.create_element("samlp:Status").write_inner_content(|w| {
                w.create_element("samlp:StatusCode")
                    .with_attribute(("Value", "samlp:Success"))
                    .write_empty()?;
                Ok(())
            })?;
            write_assertion(w, s, p, &now)?;
        }
        Err(f) => write_failure_status(w, f)?,
    }
    w.write_event(Event::End(BytesEnd::new("samlp:Response")))?;
    w.write_event(Event::End(BytesEnd::new("SOAP-ENV:Body")))?;
    w.write_event(Event::End(BytesEnd::new("SOAP-ENV:Envelope")))
}

fn write_failure_status(w: &mut Writer<Vec<u8>>, f: &Failure) -> io::Result<()> {
    let top = match f.code {
        FailureCode::InternalError => "samlp:Responder",
        _ => "samlp:Requester",
    };
    let sub = format!("cas:{}", f.code.as_str());
    w.create_element("samlp:Status").write_inner_content(|w| {
        w.write_event(Event::Start(start("samlp:StatusCode", &[("Value", top)])))?;
        w.write_event(Event::Empty(start("samlp:StatusCode", &[("Value", &sub)])))?;
        w.write_event(Event::End(BytesEnd::new("samlp:StatusCode")))?;
        text_element(w, "samlp:StatusMessage", &f.description)
    })?;
    Ok(())
}

fn write_subject(w: &mut Writer<Vec<u8>>, user: &str) -> io::Result<()> {
    w.create_element("saml:Subject").write_inner_content(|w| {
        text_element(w, "saml:NameIdentifier", user)?;
        w.create_element("saml:SubjectConfirmation")
            .write_inner_content(|w| {
                text_element(w, "saml:ConfirmationMethod", CONFIRMATION_ARTIFACT)
            })?;
        Ok(())
    })?;
    Ok(())
}

fn write_assertion(
    w: &mut Writer<Vec<u8>>,
    s: &Success,
    p: &SamlResponseParams<'_>,
    now: &str,
) -> io::Result<()> {
    let not_on_or_after = p.now.plus_secs(p.validity_secs).to_rfc3339_millis();
    let auth_instant = p.authentication_instant.to_rfc3339_millis();
    let assertion = start(
        "saml:Assertion",
        &[
            ("AssertionID", p.assertion_id),
            ("IssueInstant", now),
            ("Issuer", p.issuer),
            ("MajorVersion", "1"),
            ("MinorVersion", "1"),
        ],
    );
    w.write_event(Event::Start(assertion))?;
    w.write_event(Event::Start(start(
        "saml:Conditions",
        &[("NotBefore", now), ("NotOnOrAfter", &not_on_or_after)],
    )))?;
    w.create_element("saml:AudienceRestrictionCondition")
        .write_inner_content(|w| text_element(w, "saml:Audience", p.recipient))?;
    w.write_event(Event::End(BytesEnd::new("saml:Conditions")))?;

    let mut attrs = ordered_attributes(&s.attributes).peekable();
    if attrs.peek().is_some() {
        w.create_element("saml:AttributeStatement")
            .write_inner_content(|w| {
                write_subject(w, &s.user)?;
                for (name, values) in attrs {
                    let a = start(
                        "saml:Attribute",
                        &[
                            ("AttributeName", name),
                            ("AttributeNamespace", ATTRIBUTE_NAMESPACE),
                        ],
                    );
                    w.write_event(Event::Start(a))?;
                    for v in values {
                        text_element(w, "saml:AttributeValue", v)?;
                    }
                    w.write_event(Event::End(BytesEnd::new("saml:Attribute")))?;
                }
                Ok(())
            })?;
    }
    w.write_event(Event::Start(start(
        "saml:AuthenticationStatement",
        &[
            ("AuthenticationInstant", &auth_instant),
            ("AuthenticationMethod", p.authentication_method),
        ],
    )))?;
    write_subject(w, &s.user)?;
    w.write_event(Event::End(BytesEnd::new("saml:AuthenticationStatement")))?;
    w.write_event(Event::End(BytesEnd::new("saml:Assertion")))
}

/// Renders the single-logout message POSTed to each service of a destroyed SSO session
/// (§2.3.3, Appendix C): a SAML 2.0 `samlp:LogoutRequest` with `ID`, `Version="2.0"`,
/// `IssueInstant` (UTC, whole seconds), `saml:NameID` = `@NOT_USED@` and
/// `samlp:SessionIndex` = the service ticket the service validated.
///
/// Written on one line with the `samlp:`/`saml:` prefixes as Apereo CAS sends it, because
/// some clients match `<samlp:SessionIndex>(.*)</samlp:SessionIndex>` textually (phpCAS).
/// The adapter sends it as the form parameter `logoutRequest`.
pub fn render_logout_request(id: &str, issue_instant: Timestamp, session_index: &str) -> String {
    let instant = issue_instant.to_rfc3339();
    let mut w = Writer::new(Vec::with_capacity(512));
    let written = (|| -> io::Result<()> {
        w.write_event(Event::Start(start(
            "samlp:LogoutRequest",
            &[
                ("xmlns:samlp", SAMLP2_NS),
                ("xmlns:saml", SAML2_NS),
                ("ID", id),
                ("Version", "2.0"),
                ("IssueInstant", &instant),
            ],
        )))?;
        w.create_element("saml:NameID")
            .write_text_content(BytesText::from_escaped("@NOT_USED@"))?;
        w.create_element("samlp:SessionIndex")
            .write_text_content(BytesText::from_escaped(escape_text(session_index)))?;
        w.write_event(Event::End(BytesEnd::new("samlp:LogoutRequest")))
    })();
    if written.is_err() {
        return String::new();
    }
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::cast_possible_truncation
    )]
    use super::*;
    use base64::Engine as _;

    #[test]
    fn adler32_known_answer_rfc_1950() {
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(b""), 1);
        // Past the 5552-byte reduction window.
        let big = vec![0xffu8; 100_000];
        let (mut a, mut b) = (1u64, 0u64);
        for &x in &big {
            a = (a + u64::from(x)) % 65_521;
            b = (b + a) % 65_521;
        }
        assert_eq!(u64::from(adler32(&big)), (b << 16) | a);
    }

    #[test]
    fn front_channel_message_is_zlib_stored_blocks_in_base64_2_3_3() {
        let doc = render_logout_request("LR-1", Timestamp(0), "ST-1");
        let raw = base64::engine::general_purpose::STANDARD
            .decode(deflated_base64(&doc))
            .expect("base64");
        // RFC 1950 header: deflate, FCHECK valid.
        assert_eq!(&raw[..2], &[0x78, 0x01]);
        assert_eq!((u16::from(raw[0]) << 8 | u16::from(raw[1])) % 31, 0);
        // One final stored block (RFC 1951 §3.2.4): LEN, NLEN, the document.
        let len = usize::from(u16::from_le_bytes([raw[3], raw[4]]));
        assert_eq!((raw[2], len), (1, doc.len()));
        assert_eq!(u16::from_le_bytes([raw[5], raw[6]]), !(len as u16));
        assert_eq!(&raw[7..7 + len], doc.as_bytes());
        assert_eq!(&raw[7 + len..], &adler32(doc.as_bytes()).to_be_bytes());
        // Longer than one block: two blocks, only the last final.
        let long = "x".repeat(70_000);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(deflated_base64(&long))
            .expect("base64");
        assert_eq!(raw[2], 0);
        assert_eq!(raw[2 + 5 + 65_535], 1);
        assert_eq!(raw.len(), 2 + 5 + 65_535 + 5 + (70_000 - 65_535) + 4);
    }
}
