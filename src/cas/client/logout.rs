//! Single logout as a client receives it (§2.3.3, Appendix C): the CAS server POSTs a form
//! with one parameter, `logoutRequest`, holding a SAML 2.0 `samlp:LogoutRequest` whose
//! `samlp:SessionIndex` is the service ticket the client validated. The client ends the
//! session it created from that ticket, and only that one.
//!
//! Read through the shared bounded XML reader ([`super::super::xml`]): elements matched by
//! namespace and local name, no DTD, predefined entities only, nesting bounded; never a
//! pattern over the raw body.

// Parsers here face hostile input: no indexing, unwraps or panics.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::fmt;

use super::super::xml::{Element, Ns, XmlCursor};
use super::{ParseError, ParseErrorKind};

/// Largest `logoutRequest` accepted, form-encoded or not (a real one is about 400 bytes).
pub const MAX_LOGOUT_REQUEST: usize = 64 * 1024;

/// A parsed `samlp:LogoutRequest`.
///
/// `Debug` redacts the session index (it is a service ticket).
#[derive(Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    /// The request's `ID` attribute (empty if absent).
    pub id: String,
    /// `saml:NameID` (Apereo sends `@NOT_USED@`; empty if absent).
    pub name_id: String,
    /// `samlp:SessionIndex`: the service ticket whose session ends, trimmed, non-empty.
    pub session_index: String,
}

impl fmt::Debug for LogoutRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoutRequest")
            .field("id", &self.id)
            .field("name_id", &self.name_id)
            .field("session_index", &"<redacted>")
            .finish()
    }
}

/// Parses a back-channel logout POST body (`application/x-www-form-urlencoded` with the
/// `logoutRequest` parameter, §2.3.3). `Ok(None)`: the body has no `logoutRequest`
/// parameter, so it is no logout request but an ordinary form POST of the application,
/// whatever its size (the Java client's `SingleSignOutHandler` tells them apart the same
/// way). The size limit, [`MAX_LOGOUT_REQUEST`], is the parameter's.
pub fn parse_logout_form(body: &[u8]) -> Result<Option<LogoutRequest>, ParseError> {
    let mut found = None;
    for (k, v) in form_urlencoded::parse(body) {
        if k == "logoutRequest" {
            if found.is_some() {
                return Err(ParseError::new(
                    ParseErrorKind::DuplicateElement("logoutRequest"),
                    0,
                ));
            }
            if v.len() > MAX_LOGOUT_REQUEST {
                return Err(ParseError::new(
                    ParseErrorKind::TooLarge,
                    MAX_LOGOUT_REQUEST,
                ));
            }
            found = Some(v);
        }
    }
    found.map(|xml| parse_logout_request(&xml)).transpose()
}

/// Parses a `samlp:LogoutRequest` document (Appendix C): root `{SAML 2.0 protocol}
/// LogoutRequest`, exactly one non-empty `SessionIndex`, at most one `saml:NameID`; other
/// children (`Issuer`, extensions) are skipped. Offsets are into `xml`.
pub fn parse_logout_request(xml: &str) -> Result<LogoutRequest, ParseError> {
    use ParseErrorKind as K;
    if xml.len() > MAX_LOGOUT_REQUEST {
        return Err(ParseError::new(K::TooLarge, MAX_LOGOUT_REQUEST));
    }
    let bom = if xml.starts_with('\u{FEFF}') {
        '\u{FEFF}'.len_utf8()
    } else {
        0
    };
    let text = xml.get(bom..).unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ParseError::new(K::Empty, xml.len()));
    }
    parse_root(text).map_err(|e| ParseError::new(e.kind, e.offset.saturating_add(bom)))
}

fn once(
    slot: &mut Option<String>,
    value: String,
    el: &Element<'_>,
    name: &'static str,
) -> Result<(), ParseError> {
    if slot.replace(value).is_some() {
        return Err(ParseError::new(
            ParseErrorKind::DuplicateElement(name),
            el.offset,
        ));
    }
    Ok(())
}

fn parse_root(text: &str) -> Result<LogoutRequest, ParseError> {
    use ParseErrorKind as K;
    let mut c = XmlCursor::new(text);
    let root = c.root()?;
    if !root.is(Ns::Samlp2, "LogoutRequest") {
        return Err(ParseError::new(K::UnexpectedRoot, root.offset));
    }
    let (mut name_id, mut index) = (None, None);
    if !root.empty {
        while let Some(el) = c.next_child()? {
            match (el.ns, el.local) {
                (Ns::Samlp2, "SessionIndex") => {
                    let v = c.text_of(&el)?.into_owned();
                    once(&mut index, v, &el, "samlp:SessionIndex")?;
                }
                (Ns::Saml2, "NameID") => {
                    let v = c.text_of(&el)?.into_owned();
                    once(&mut name_id, v, &el, "saml:NameID")?;
                }
                _ => c.skip(&el)?,
            }
        }
    }
    c.finish()?;
    match index {
        Some(session_index) if !session_index.is_empty() => Ok(LogoutRequest {
            id: root.attr("ID").unwrap_or_default().into_owned(),
            name_id: name_id.unwrap_or_default(),
            session_index,
        }),
        _ => Err(ParseError::new(
            K::MissingElement("samlp:SessionIndex"),
            root.offset,
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::super::saml::render_logout_request;
    use super::*;
    use crate::time::Timestamp;

    #[test]
    fn reads_what_the_server_sends_2_3_3_appendix_c() {
        let xml = render_logout_request("LR-1", Timestamp::from_secs(1_700_000_000), "ST-1-abc");
        let r = parse_logout_request(&xml).unwrap();
        assert_eq!(
            (r.id.as_str(), r.session_index.as_str()),
            ("LR-1", "ST-1-abc")
        );
        assert_eq!(r.name_id, "@NOT_USED@");
        assert!(!format!("{r:?}").contains("ST-1"));
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("logoutRequest", &xml)
            .finish();
        assert_eq!(parse_logout_form(form.as_bytes()).unwrap(), Some(r));
    }

    #[test]
    fn matches_by_namespace_not_prefix_appendix_c() {
        let xml = "<?xml version='1.0'?>\n<p:LogoutRequest xmlns:p='urn:oasis:names:tc:SAML:2.0:protocol' \
                   xmlns:a='urn:oasis:names:tc:SAML:2.0:assertion' ID='x'>\n  <a:Issuer>cas</a:Issuer>\
                   <a:NameID>u</a:NameID>\n  <p:SessionIndex> ST-2 </p:SessionIndex>\n</p:LogoutRequest>";
        assert_eq!(parse_logout_request(xml).unwrap().session_index, "ST-2");
        // The right local name in the wrong namespace is not a session index.
        let wrong = "<samlp:LogoutRequest xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'>\
                     <x:SessionIndex xmlns:x='urn:evil'>ST-3</x:SessionIndex></samlp:LogoutRequest>";
        assert_eq!(
            parse_logout_request(wrong).unwrap_err().kind,
            ParseErrorKind::MissingElement("samlp:SessionIndex")
        );
    }

    #[test]
    fn refuses_what_a_regex_would_accept() {
        use ParseErrorKind as K;
        let ns = "xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'";
        let cases: [(String, K); 6] = [
            // Inside a comment: no element at all.
            (
                format!(
                    "<samlp:LogoutRequest {ns}><!--<samlp:SessionIndex>ST-1</samlp:SessionIndex>--></samlp:LogoutRequest>"
                ),
                K::MissingElement("samlp:SessionIndex"),
            ),
            (
                format!(
                    "<samlp:LogoutRequest {ns}><samlp:SessionIndex>ST-1</samlp:SessionIndex><samlp:SessionIndex>ST-2</samlp:SessionIndex></samlp:LogoutRequest>"
                ),
                K::DuplicateElement("samlp:SessionIndex"),
            ),
            (
                format!(
                    "<samlp:LogoutRequest {ns}><samlp:SessionIndex></samlp:SessionIndex></samlp:LogoutRequest>"
                ),
                K::MissingElement("samlp:SessionIndex"),
            ),
            (
                format!(
                    "<!DOCTYPE x [<!ENTITY e 'ST-1'>]><samlp:LogoutRequest {ns}><samlp:SessionIndex>&e;</samlp:SessionIndex></samlp:LogoutRequest>"
                ),
                K::Doctype,
            ),
            (format!("<samlp:LogoutResponse {ns}/>"), K::UnexpectedRoot),
            (
                format!("<samlp:LogoutRequest {ns}><samlp:SessionIndex>ST-1</samlp:SessionIndex>"),
                K::Xml,
            ),
        ];
        for (xml, kind) in cases {
            assert_eq!(parse_logout_request(&xml).unwrap_err().kind, kind, "{xml}");
        }
        // No `logoutRequest` parameter: an ordinary form POST, however large.
        assert_eq!(parse_logout_form(b"other=1"), Ok(None));
        let big = format!("upload={}", "a".repeat(2 * MAX_LOGOUT_REQUEST));
        assert_eq!(parse_logout_form(big.as_bytes()), Ok(None));
        let too_large = format!("logoutRequest={}", "a".repeat(MAX_LOGOUT_REQUEST + 1));
        assert_eq!(
            parse_logout_form(too_large.as_bytes()).unwrap_err().kind,
            K::TooLarge
        );
        assert_eq!(
            parse_logout_form(b"logoutRequest=a&logoutRequest=b")
                .unwrap_err()
                .kind,
            K::DuplicateElement("logoutRequest")
        );
    }
}
