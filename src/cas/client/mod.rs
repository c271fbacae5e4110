//! A CAS client's view: parses what a CAS server answers to a ticket validation into a typed
//! [`ValidationResult`] — CAS 2.0/3.0 XML (§2.5.2, §2.6.2, §2.7.2, Appendix A; any namespace
//! prefix, pretty-printed or not), CAS 3.0 JSON (§2.5.2 `format=JSON`) and CAS 1.0 text
//! (§2.4.2). The npm package exposes it as `parseCasResponse`; the Worker's tests use it.
//!
//! Total and bounded: any input gives a value or a [`ParseError`] with a byte offset, never a
//! panic. Input is capped at [`MAX_INPUT`] bytes and [`MAX_VALUES`] attribute values; XML gets
//! no DTD (a `<!DOCTYPE` is an error, so no entity expansion), only the five predefined
//! entities and character references to XML 1.0 characters, nesting at most 32 deep; JSON
//! nesting at most 128 deep.
//!
//! Leniency, where real servers differ: XML elements are matched by namespace and local name,
//! not prefix; literal whitespace around text is trimmed (whitespace written as character
//! references or in CDATA is kept, which is how [`super::xml::render`] protects it); unknown
//! elements inside `authenticationSuccess` are skipped; attributes may be Jasig style
//! (`<cas:name>value</cas:name>`, any namespace) or name-value style
//! (`<cas:attribute name="n" value="v"/>`); JSON attribute values may be a string, a number, a
//! boolean or an array of these (`null` is skipped; a number is kept as written); JSON `/proxy`
//! failures are accepted both as `proxyFailure` and as `authenticationFailure` (the spec's §2.7.2
//! JSON example uses the latter).
//!
//! The rest of a CAS client, sans-IO like the server engine (the npm entry point
//! `casplus/client` performs the requests, keeps the sessions and reads the clock):
//! - [`urls`]: login, logout, validation and proxy URLs (§2.1–§2.9), the canonical service URL.
//! - [`validate`]: judging a parsed response: the [`validate::Assertion`], proxy-chain
//!   allow-lists, typed errors for every failure code.
//! - [`pgt`]: the `pgtUrl` receptor (§2.5.4): PGTIOU ↔ PGT pairing with expiry.
//! - [`logout`]: single-logout `logoutRequest` parsing (§2.3.3, Appendix C).

// Renderers and parsers here face hostile input: no indexing, unwraps or panics.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod json;
pub mod logout;
pub mod pgt;
pub mod urls;
pub mod validate;

use std::fmt;

use json::parse_json;

use super::response::{Attributes, Failure, FailureCode, ServiceResponse, Success};
use super::xml::{Element, Ns, XmlCursor};

/// Largest input accepted, in bytes (a response with thousands of group memberships fits).
pub const MAX_INPUT: usize = 4 << 20;

/// Most attribute values accepted in one response (bounds the memory a response can claim).
pub const MAX_VALUES: usize = 50_000;

/// Why a response could not be parsed, and where (byte offset into the input).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct ParseError {
    /// What is wrong.
    pub kind: ParseErrorKind,
    /// Byte offset into the input where it was detected.
    pub offset: usize,
}

impl ParseError {
    /// An error of `kind` at `offset`.
    pub const fn new(kind: ParseErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }

    /// The kind's stable code (see [`ParseErrorKind::code`]).
    pub const fn code(&self) -> &'static str {
        self.kind.code()
    }

    fn shifted(self, by: usize) -> Self {
        Self::new(self.kind, self.offset.saturating_add(by))
    }
}

/// The kinds of [`ParseError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Nothing but whitespace.
    #[error("empty input")]
    Empty,
    /// More than [`MAX_INPUT`] bytes (or the SAML request limit).
    #[error("input too large")]
    TooLarge,
    /// Neither XML, JSON nor CAS 1.0 text.
    #[error("not a CAS response (neither XML, JSON nor CAS 1.0 text)")]
    UnknownFormat,
    /// Not well-formed XML.
    #[error("malformed XML")]
    Xml,
    /// A document type declaration (refused: no DTDs, no entity expansion).
    #[error("document type declarations are not accepted")]
    Doctype,
    /// Elements nested deeper than the reader allows.
    #[error("elements nested too deeply")]
    TooDeep,
    /// An entity reference other than `&lt;`, `&gt;`, `&amp;`, `&apos;`, `&quot;`.
    #[error("unknown or malformed entity reference")]
    UnknownEntity,
    /// A character (literal or referenced) that XML 1.0 does not allow.
    #[error("character not allowed in XML 1.0")]
    InvalidChar,
    /// The root element is not the expected one (`cas:serviceResponse`, `soap:Envelope`).
    #[error("unexpected root element")]
    UnexpectedRoot,
    /// An element that is not allowed where it appears.
    #[error("unexpected element")]
    UnexpectedElement,
    /// Non-whitespace text where only elements are allowed.
    #[error("unexpected text")]
    UnexpectedText,
    /// A required element is missing.
    #[error("missing element <{0}>")]
    MissingElement(&'static str),
    /// An element that may appear once appears twice.
    #[error("repeated element <{0}>")]
    DuplicateElement(&'static str),
    /// A required XML attribute is missing.
    #[error("missing attribute `{0}`")]
    MissingAttribute(&'static str),
    /// A success response whose user is empty.
    #[error("empty user in a success response")]
    EmptyUser,
    /// Content after the end of the document.
    #[error("content after the end of the document")]
    Trailing,
    /// Not well-formed JSON.
    #[error("malformed JSON")]
    Json,
    /// Well-formed JSON without the shape of a CAS response.
    #[error("JSON does not have the shape of a CAS service response")]
    JsonShape,
    /// More than [`MAX_VALUES`] attribute values.
    #[error("too many attribute values")]
    TooManyValues,
    /// Text that starts like a CAS 1.0 answer but is not `yes\n<user>\n` or `no\n\n`.
    #[error("malformed CAS 1.0 response")]
    Cas1,
}

impl ParseErrorKind {
    /// A stable machine-readable code (the npm package's `Error.code`), e.g. `XML_DOCTYPE`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Empty => "EMPTY",
            Self::TooLarge => "TOO_LARGE",
            Self::UnknownFormat => "UNKNOWN_FORMAT",
            Self::Xml => "XML_MALFORMED",
            Self::Doctype => "XML_DOCTYPE",
            Self::TooDeep => "XML_TOO_DEEP",
            Self::UnknownEntity => "XML_ENTITY",
            Self::InvalidChar => "XML_CHAR",
            Self::UnexpectedRoot => "UNEXPECTED_ROOT",
            Self::UnexpectedElement => "UNEXPECTED_ELEMENT",
            Self::UnexpectedText => "UNEXPECTED_TEXT",
            Self::MissingElement(_) => "MISSING_ELEMENT",
            Self::DuplicateElement(_) => "DUPLICATE_ELEMENT",
            Self::MissingAttribute(_) => "MISSING_ATTRIBUTE",
            Self::EmptyUser => "EMPTY_USER",
            Self::Trailing => "TRAILING_CONTENT",
            Self::Json => "JSON_MALFORMED",
            Self::JsonShape => "JSON_SHAPE",
            Self::TooManyValues => "TOO_MANY_VALUES",
            Self::Cas1 => "CAS1_MALFORMED",
        }
    }
}

/// Which of the four service responses (Appendix A `ServiceResponseType`) was received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ResponseKind {
    /// `authenticationSuccess` (or CAS 1.0 `yes`).
    AuthenticationSuccess,
    /// `authenticationFailure` (or CAS 1.0 `no`).
    AuthenticationFailure,
    /// `proxySuccess`.
    ProxySuccess,
    /// `proxyFailure`.
    ProxyFailure,
}

/// The syntax the response arrived in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponseFormat {
    /// CAS 2.0/3.0 XML.
    Xml,
    /// CAS 3.0 JSON.
    Json,
    /// CAS 1.0 `/validate` text.
    Text,
}

/// A failure as received: the code is kept as text so codes this version does not know
/// survive (§2.5.3 lets servers add codes).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ValidationFailure {
    /// The `code` (e.g. `INVALID_TICKET`); empty for a CAS 1.0 `no`.
    pub code: String,
    /// The description (trimmed); empty when none was given.
    pub description: String,
}

/// A parsed validation or proxy response. Serialises in camelCase for the npm package:
/// `{ success, kind, format, user, attributes, proxyGrantingTicket, proxies, proxyTicket,
/// failure }`. `success` is true exactly when `failure` is `None`.
///
/// `Debug` redacts the PGTIOU and the proxy ticket (ticket ids are secrets).
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidationResult {
    /// Whether the response is `authenticationSuccess` or `proxySuccess`.
    pub success: bool,
    /// Which response it is.
    pub kind: ResponseKind,
    /// Which syntax it came in.
    pub format: ResponseFormat,
    /// The authenticated user (successful validation only).
    pub user: Option<String>,
    /// Released attributes, each with all its values in document order.
    pub attributes: Attributes,
    /// The PGTIOU (§2.5.4), if any.
    pub proxy_granting_ticket: Option<String>,
    /// The proxy chain, most recent first as received (§2.6.2).
    pub proxies: Vec<String>,
    /// The proxy ticket of a `proxySuccess` (§2.7.2).
    pub proxy_ticket: Option<String>,
    /// The failure, for `authenticationFailure`/`proxyFailure`/CAS 1.0 `no`.
    pub failure: Option<ValidationFailure>,
}

impl fmt::Debug for ValidationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("ValidationResult")
            .field("success", &self.success)
            .field("kind", &self.kind)
            .field("format", &self.format)
            .field("user", &self.user)
            .field("attributes", &self.attributes)
            .field(
                "proxy_granting_ticket",
                &redact(&self.proxy_granting_ticket),
            )
            .field("proxies", &self.proxies)
            .field("proxy_ticket", &redact(&self.proxy_ticket))
            .field("failure", &self.failure)
            .finish()
    }
}

impl ValidationResult {
    fn new(kind: ResponseKind, format: ResponseFormat) -> Self {
        Self {
            success: matches!(
                kind,
                ResponseKind::AuthenticationSuccess | ResponseKind::ProxySuccess
            ),
            kind,
            format,
            user: None,
            attributes: Attributes::new(),
            proxy_granting_ticket: None,
            proxies: Vec::new(),
            proxy_ticket: None,
            failure: None,
        }
    }

    fn failed(
        kind: ResponseKind,
        format: ResponseFormat,
        code: String,
        description: String,
    ) -> Self {
        let mut r = Self::new(kind, format);
        r.failure = Some(ValidationFailure { code, description });
        r
    }

    /// The engine-side model of this response, if it maps onto one: `None` for a failure
    /// whose code is not one of §2.5.3/§2.7.3 (including CAS 1.0 `no`).
    pub fn to_service_response(&self) -> Option<ServiceResponse> {
        let failure = |f: &ValidationFailure| {
            FailureCode::from_wire(&f.code).map(|code| Failure {
                code,
                description: f.description.clone(),
            })
        };
        Some(match self.kind {
            ResponseKind::AuthenticationSuccess => {
                ServiceResponse::AuthenticationSuccess(Success {
                    user: self.user.clone()?,
                    attributes: self.attributes.clone(),
                    proxy_granting_ticket: self.proxy_granting_ticket.clone(),
                    proxies: self.proxies.clone(),
                })
            }
            ResponseKind::AuthenticationFailure => {
                ServiceResponse::AuthenticationFailure(failure(self.failure.as_ref()?)?)
            }
            ResponseKind::ProxySuccess => ServiceResponse::ProxySuccess {
                proxy_ticket: self.proxy_ticket.clone()?,
            },
            ResponseKind::ProxyFailure => {
                ServiceResponse::ProxyFailure(failure(self.failure.as_ref()?)?)
            }
        })
    }
}

/// Parses a CAS validation or proxy response, detecting the syntax from its first
/// non-whitespace character: `<` XML, `{` JSON, `yes`/`no` CAS 1.0 text. A leading UTF-8
/// byte-order mark is skipped.
pub fn parse_validation_response(text: &str) -> Result<ValidationResult, ParseError> {
    if text.len() > MAX_INPUT {
        return Err(ParseError::new(ParseErrorKind::TooLarge, MAX_INPUT));
    }
    let bom = if text.starts_with('\u{FEFF}') {
        '\u{FEFF}'.len_utf8()
    } else {
        0
    };
    let body = text.get(bom..).unwrap_or_default();
    let Some(start) = body.find(|c: char| !c.is_ascii_whitespace()) else {
        return Err(ParseError::new(ParseErrorKind::Empty, text.len()));
    };
    let rest = body.get(start..).unwrap_or_default();
    let result = if rest.starts_with('<') {
        parse_xml(body)
    } else if rest.starts_with('{') {
        parse_json(body)
    } else if rest.starts_with("yes") || rest.starts_with("no") {
        parse_cas1(rest).map_err(|e| e.shifted(start))
    } else {
        Err(ParseError::new(ParseErrorKind::UnknownFormat, start))
    };
    result.map_err(|e| e.shifted(bom))
}

// --- XML ----------------------------------------------------------------------------------------

fn parse_xml(text: &str) -> Result<ValidationResult, ParseError> {
    use ParseErrorKind as K;
    let mut c = XmlCursor::new(text);
    let root = c.root()?;
    if !root.is(Ns::Cas, "serviceResponse") {
        return Err(ParseError::new(K::UnexpectedRoot, root.offset));
    }
    const CHILD: &str = "authenticationSuccess|authenticationFailure|proxySuccess|proxyFailure";
    if root.empty {
        return Err(ParseError::new(K::MissingElement(CHILD), root.offset));
    }
    let Some(child) = c.next_child()? else {
        return Err(c.err(K::MissingElement(CHILD)));
    };
    let result = match (child.ns, child.local) {
        (Ns::Cas, "authenticationSuccess") => xml_success(&mut c, &child)?,
        (Ns::Cas, "authenticationFailure") => {
            xml_failure(&mut c, &child, ResponseKind::AuthenticationFailure)?
        }
        (Ns::Cas, "proxyFailure") => xml_failure(&mut c, &child, ResponseKind::ProxyFailure)?,
        (Ns::Cas, "proxySuccess") => xml_proxy_success(&mut c, &child)?,
        _ => return Err(ParseError::new(K::UnexpectedElement, child.offset)),
    };
    if let Some(extra) = c.next_child()? {
        return Err(ParseError::new(K::UnexpectedElement, extra.offset));
    }
    c.finish()?;
    Ok(result)
}

fn once(slot: &Option<String>, el: &Element<'_>, name: &'static str) -> Result<(), ParseError> {
    match slot {
        Some(_) => Err(ParseError::new(
            ParseErrorKind::DuplicateElement(name),
            el.offset,
        )),
        None => Ok(()),
    }
}

fn xml_success<'a>(
    c: &mut XmlCursor<'a>,
    el: &Element<'a>,
) -> Result<ValidationResult, ParseError> {
    use ParseErrorKind as K;
    let mut r = ValidationResult::new(ResponseKind::AuthenticationSuccess, ResponseFormat::Xml);
    if el.empty {
        return Err(ParseError::new(K::MissingElement("user"), el.offset));
    }
    let (mut seen_attributes, mut seen_proxies, mut values) = (false, false, 0usize);
    while let Some(ch) = c.next_child()? {
        match (ch.ns, ch.local) {
            (Ns::Cas, "user") => {
                once(&r.user, &ch, "user")?;
                let user = c.text_of(&ch)?.into_owned();
                if user.is_empty() {
                    return Err(ParseError::new(K::EmptyUser, ch.offset));
                }
                r.user = Some(user);
            }
            (Ns::Cas, "proxyGrantingTicket") => {
                once(&r.proxy_granting_ticket, &ch, "proxyGrantingTicket")?;
                r.proxy_granting_ticket = Some(c.text_of(&ch)?.into_owned());
            }
            (Ns::Cas, "attributes") => {
                if std::mem::replace(&mut seen_attributes, true) {
                    return Err(ParseError::new(
                        K::DuplicateElement("attributes"),
                        ch.offset,
                    ));
                }
                if !ch.empty {
                    xml_attributes(c, &mut r.attributes, &mut values)?;
                }
            }
            (Ns::Cas, "proxies") => {
                if std::mem::replace(&mut seen_proxies, true) {
                    return Err(ParseError::new(K::DuplicateElement("proxies"), ch.offset));
                }
                if !ch.empty {
                    while let Some(p) = c.next_child()? {
                        if !p.is(Ns::Cas, "proxy") {
                            return Err(ParseError::new(K::UnexpectedElement, p.offset));
                        }
                        count(&mut values, &p)?;
                        r.proxies.push(c.text_of(&p)?.into_owned());
                    }
                }
            }
            // Other servers' extensions (e.g. RubyCAS-style extras) are skipped.
            _ => c.skip(&ch)?,
        }
    }
    if r.user.is_none() {
        return Err(c.err(K::MissingElement("user")));
    }
    Ok(r)
}

fn count(values: &mut usize, el: &Element<'_>) -> Result<(), ParseError> {
    *values += 1;
    if *values > MAX_VALUES {
        return Err(ParseError::new(ParseErrorKind::TooManyValues, el.offset));
    }
    Ok(())
}

fn xml_attributes<'a>(
    c: &mut XmlCursor<'a>,
    attrs: &mut Attributes,
    values: &mut usize,
) -> Result<(), ParseError> {
    while let Some(a) = c.next_child()? {
        count(values, &a)?;
        // Name-value style: <cas:attribute name="n" value="v"/>.
        let (name, value) = match (a.local, a.attr("name")) {
            ("attribute", Some(name)) => match a.attr("value") {
                Some(v) => {
                    c.skip(&a)?;
                    (name, v.into_owned())
                }
                None => (name, c.text_of(&a)?.into_owned()),
            },
            _ => (a.local.into(), c.text_of(&a)?.into_owned()),
        };
        // The name is copied only the first time it is seen.
        match attrs.get_mut(&*name) {
            Some(list) => list.push(value),
            None => {
                attrs.insert(name.into_owned(), vec![value]);
            }
        }
    }
    Ok(())
}

fn xml_failure<'a>(
    c: &mut XmlCursor<'a>,
    el: &Element<'a>,
    kind: ResponseKind,
) -> Result<ValidationResult, ParseError> {
    let Some(code) = el.attr("code").map(std::borrow::Cow::into_owned) else {
        return Err(ParseError::new(
            ParseErrorKind::MissingAttribute("code"),
            el.offset,
        ));
    };
    let description = c.text_of(el)?.into_owned();
    Ok(ValidationResult::failed(
        kind,
        ResponseFormat::Xml,
        code,
        description,
    ))
}

fn xml_proxy_success<'a>(
    c: &mut XmlCursor<'a>,
    el: &Element<'a>,
) -> Result<ValidationResult, ParseError> {
    let mut r = ValidationResult::new(ResponseKind::ProxySuccess, ResponseFormat::Xml);
    if !el.empty {
        while let Some(ch) = c.next_child()? {
            if !ch.is(Ns::Cas, "proxyTicket") {
                return Err(ParseError::new(
                    ParseErrorKind::UnexpectedElement,
                    ch.offset,
                ));
            }
            once(&r.proxy_ticket, &ch, "proxyTicket")?;
            r.proxy_ticket = Some(c.text_of(&ch)?.into_owned());
        }
    }
    if r.proxy_ticket.is_none() {
        return Err(ParseError::new(
            ParseErrorKind::MissingElement("proxyTicket"),
            el.offset,
        ));
    }
    Ok(r)
}

// --- CAS 1.0 ------------------------------------------------------------------------------------

/// Splits off one line (`\n`, an optional `\r` before it is dropped).
fn split_line(s: &str) -> (&str, &str, bool) {
    match s.split_once('\n') {
        Some((line, rest)) => (line.strip_suffix('\r').unwrap_or(line), rest, true),
        None => (s, "", false),
    }
}

/// CAS 1.0 `/validate` (§2.4.2): `yes\n<user>\n` or `no\n\n` (CRLF and a missing final
/// newline tolerated; anything after the answer's lines must be whitespace).
fn parse_cas1(text: &str) -> Result<ValidationResult, ParseError> {
    use ParseErrorKind as K;
    let (first, rest, _) = split_line(text);
    let after_first = text.len() - rest.len();
    let trailing_ok = |rest: &str, at: usize| {
        if rest.chars().all(|c| c.is_ascii_whitespace()) {
            Ok(())
        } else {
            Err(ParseError::new(K::Cas1, at))
        }
    };
    match first {
        "yes" => {
            let (user, tail, _) = split_line(rest);
            if user.is_empty() {
                return Err(ParseError::new(K::EmptyUser, after_first));
            }
            trailing_ok(tail, text.len() - tail.len())?;
            let mut r =
                ValidationResult::new(ResponseKind::AuthenticationSuccess, ResponseFormat::Text);
            r.user = Some(user.to_owned());
            Ok(r)
        }
        "no" => {
            trailing_ok(rest, after_first)?;
            Ok(ValidationResult::failed(
                ResponseKind::AuthenticationFailure,
                ResponseFormat::Text,
                String::new(),
                String::new(),
            ))
        }
        _ => Err(ParseError::new(K::Cas1, 0)),
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    #[test]
    fn cas1_yes_and_no_2_4_2() {
        let r = parse_validation_response("yes\nalice\n").unwrap();
        assert!(r.success);
        assert_eq!(r.user.as_deref(), Some("alice"));
        assert_eq!(r.format, ResponseFormat::Text);
        let r = parse_validation_response("no\n\n").unwrap();
        assert!(!r.success);
        assert_eq!(r.kind, ResponseKind::AuthenticationFailure);
        assert!(parse_validation_response("yes\r\nbob\r\n").is_ok());
        assert!(parse_validation_response("yes\nbob").is_ok());
    }

    #[test]
    fn cas1_rejects_extra_lines_and_empty_user_2_4_2() {
        assert_eq!(
            parse_validation_response("yes\nalice\nadmin\n")
                .unwrap_err()
                .kind,
            ParseErrorKind::Cas1
        );
        assert_eq!(
            parse_validation_response("yes\n\n").unwrap_err().kind,
            ParseErrorKind::EmptyUser
        );
        assert_eq!(
            parse_validation_response("yesterday\n").unwrap_err().kind,
            ParseErrorKind::Cas1
        );
        assert_eq!(
            parse_validation_response("no\nx").unwrap_err().kind,
            ParseErrorKind::Cas1
        );
    }

    #[test]
    fn debug_redacts_tickets() {
        let mut r = ValidationResult::new(ResponseKind::ProxySuccess, ResponseFormat::Xml);
        r.proxy_ticket = Some("PT-secret".into());
        r.proxy_granting_ticket = Some("PGTIOU-secret".into());
        let d = format!("{r:?}");
        assert!(!d.contains("secret"), "{d}");
    }
}
