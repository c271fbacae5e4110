//! CAS XML: the `/serviceValidate`, `/proxyValidate`, `/p3/*` and `/proxy` response documents
//! (CAS Protocol 3.0 §2.5.2, §2.6.2, §2.7.2, Appendix A), the CAS 1.0 `/validate` body (§2.4.2),
//! and the bounded XML reading primitives that [`super::client`] and [`super::saml`] share.
//!
//! # Escaping and characters XML 1.0 cannot carry
//!
//! Every text and attribute value goes through one escaper: `&`, `<`, `>` (so `]]>` never
//! appears), and in attribute values `"`, are written as entity references; `\r` (and in
//! attribute values `\t`, `\n`) become character references so that a reader's end-of-line and
//! attribute-value normalisation gives back the exact value; leading and trailing whitespace
//! of text content is written as character references, so a reader may trim the *literal*
//! whitespace of pretty-printed documents ([`super::client`] does) without losing data.
//!
//! XML 1.0 (§2.2 `Char`) cannot carry U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, U+FFFE and
//! U+FFFF, not even as character references. What happens to them depends on the field:
//!
//! - **The principal** (`cas:user`): a name that one client could read differently from
//!   another is never asserted. A user that is empty, contains any control character
//!   (Unicode `Cc`, which covers every character XML cannot carry plus NUL, CR, LF and NEL),
//!   U+2028/U+2029, a noncharacter U+FFFE/U+FFFF, or leading/trailing whitespace (phpCAS trims
//!   the user, C clients stop at NUL) turns the whole success into
//!   `authenticationFailure code="INTERNAL_ERROR"` ([`is_representable_user`]). The JSON
//!   renderer and the SAML renderer apply the same rule.
//! - **Ticket ids and proxy URLs** (`cas:proxyGrantingTicket`, `cas:proxy`,
//!   `cas:proxyTicket`): exact or nothing — a character XML cannot carry also turns the
//!   response into `INTERNAL_ERROR` (the engine only issues `[A-Za-z0-9-]` tickets, §3.7).
//! - **Free text** (attribute values, failure descriptions): each such character is replaced
//!   by U+FFFD REPLACEMENT CHARACTER. Lossy but visible; JSON carries them exactly.
//!
//! # Attribute names
//!
//! A released attribute becomes an element `<cas:NAME>` (Appendix A, `xs:any`), so its name
//! must be an XML `NCName` ([`is_valid_attribute_name`]). Attributes whose name is not one
//! are **skipped** (never sanitised: `a b` → `a_b` could collide with a real attribute
//! `a_b` and hand its values to a client). The service registry should reject such names
//! when it is loaded; the JSON renderer, which can carry any name, keeps them. Attributes with
//! no values are skipped by every renderer (an element per value means no element at all).

// Renderers and parsers here face hostile input: no indexing, unwraps or panics.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::borrow::Cow;
use std::io;

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::QName;
use quick_xml::writer::Writer;

use super::response::{Attributes, Failure, FailureCode, ServiceResponse, Success};

mod reader;

pub(crate) use reader::{Element, Ns, XmlCursor};

/// The CAS XML namespace (§2.5.2, Appendix A `targetNamespace`).
pub const CAS_NS: &str = "http://www.yale.edu/tp/cas";

/// Description of the `INTERNAL_ERROR` failure that replaces a success whose principal or
/// ticket ids cannot be represented exactly (see the module documentation).
pub const UNREPRESENTABLE: &str =
    "the authenticated principal cannot be represented in a CAS response";

/// The CAS 3.0 protocol attributes, written first and in this order as Appendix A's
/// `AttributesType` sequence requires; the other attributes follow in name order.
const PROTOCOL_ATTRIBUTES: [&str; 3] = [
    "authenticationDate",
    "longTermAuthenticationRequestTokenUsed",
    "isFromNewLogin",
];

/// Renders a CAS 2.0/3.0 XML service response (§2.5.2, §2.6.2, §2.7.2, Appendix A):
/// `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">` with one of
/// `authenticationSuccess`, `authenticationFailure`, `proxySuccess` or `proxyFailure`.
///
/// Multi-valued attributes give one element per value (§2.5.7); proxies are written in the
/// given order, which the engine keeps most recent first (§2.6.2). Total: every input gives a
/// well-formed document (see the module documentation for hostile names and characters).
pub fn render(resp: &ServiceResponse) -> String {
    let mut w = Writer::new_with_indent(Vec::with_capacity(512), b' ', 2);
    // Writing into a Vec cannot fail; the fallbacks only keep this function panic-free.
    if write_response(&mut w, resp).is_err() {
        return String::new();
    }
    String::from_utf8(w.into_inner()).unwrap_or_default()
}

/// Renders the CAS 1.0 `/validate` body (§2.4.2): `"yes\n<user>\n"` or `"no\n\n"`.
///
/// The format is line-oriented, so a user that a client could split or trim differently
/// (see [`is_representable_user`]: newlines, NUL and other control characters, surrounding
/// whitespace, empty) is never asserted: the answer is `"no\n\n"` (fail closed).
pub fn render_validate_v1(user: Option<&str>) -> String {
    match user {
        Some(u) if is_representable_user(u) => format!("yes\n{u}\n"),
        _ => "no\n\n".to_owned(),
    }
}

/// Whether `user` may be asserted as a principal in any response format: non-empty, no
/// control character (Unicode `Cc`), no U+2028/U+2029 line separators, no noncharacter
/// U+FFFE/U+FFFF, and no leading or trailing whitespace.
pub fn is_representable_user(user: &str) -> bool {
    !user.is_empty()
        && user.trim() == user
        && user
            .chars()
            .all(|c| !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}') && is_xml_char(c))
}

/// Whether `c` is an XML 1.0 `Char` (XML 1.0 5th ed. §2.2). Rust strings hold no surrogates.
pub const fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Whether `name` can be a released attribute's element name `<cas:NAME>`: an XML `NCName`
/// (Namespaces in XML 1.0 §3; XML 1.0 5th ed. §2.3 `NameStartChar`/`NameChar`, no `:`).
pub fn is_valid_attribute_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if is_name_start_char(c) => chars.all(is_name_char),
        _ => false,
    }
}

const fn is_name_start_char(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

const fn is_name_char(c: char) -> bool {
    is_name_start_char(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// XML whitespace (`S`, XML 1.0 §2.3).
pub(crate) const fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Escapes text content: `&`, `<`, `>`, `\r`; leading/trailing whitespace as character
/// references; characters XML cannot carry replaced by U+FFFD.
pub(crate) fn escape_text(s: &str) -> Cow<'_, str> {
    let lead = s.len() - s.trim_start_matches(is_xml_space).len();
    let trail_start = s.trim_end_matches(is_xml_space).len().max(lead);
    let clean = lead == 0
        && trail_start == s.len()
        && !s
            .chars()
            .any(|c| matches!(c, '&' | '<' | '>' | '\r') || !is_xml_char(c));
    if clean {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for (i, c) in s.char_indices() {
        let edge = i < lead || i >= trail_start;
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            ' ' if edge => out.push_str("&#x20;"),
            '\t' if edge => out.push_str("&#x9;"),
            '\n' if edge => out.push_str("&#xA;"),
            c if !is_xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Escapes a double-quoted attribute value: `&`, `<`, `>`, `"`, and `\t`, `\n`, `\r` as
/// character references (which attribute-value normalisation keeps, XML 1.0 §3.3.3);
/// characters XML cannot carry replaced by U+FFFD.
pub(crate) fn escape_attr(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| matches!(c, '&' | '<' | '>' | '"' | '\t' | '\n' | '\r') || !is_xml_char(c))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c if !is_xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A start tag whose attribute values are escaped by [`escape_attr`].
pub(crate) fn start<'a>(name: &'a str, attrs: &[(&'a str, &'a str)]) -> BytesStart<'a> {
    let mut s = BytesStart::new(name);
    for (k, v) in attrs {
        s.push_attribute(Attribute {
            key: QName(k),
            value: escape_attr(v),
        });
    }
    s
}

/// `<name>text</name>` with `text` escaped by [`escape_text`].
pub(crate) fn text_element(w: &mut Writer<Vec<u8>>, name: &str, text: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::from_escaped(escape_text(text)))?;
    Ok(())
}

/// Attributes in Appendix A order, skipping invalid names and empty value lists.
pub(crate) fn ordered_attributes(attrs: &Attributes) -> impl Iterator<Item = (&str, &[String])> {
    let protocol = PROTOCOL_ATTRIBUTES
        .iter()
        .filter_map(|n| attrs.get_key_value(*n));
    let rest = attrs
        .iter()
        .filter(|(n, _)| !PROTOCOL_ATTRIBUTES.contains(&n.as_str()));
    protocol
        .chain(rest)
        .filter(|(_, v)| !v.is_empty())
        .map(|(n, v)| (n.as_str(), v.as_slice()))
}

/// Whether a ticket id or proxy URL can be written exactly.
fn exact(s: &str) -> bool {
    s.chars().all(is_xml_char)
}

/// Whether a success can be rendered without altering its identity-bearing fields.
pub(crate) fn success_is_representable(s: &Success) -> bool {
    is_representable_user(&s.user)
        && s.proxy_granting_ticket.as_deref().is_none_or(exact)
        && s.proxies.iter().all(|p| exact(p))
}

/// The failure that replaces an unrepresentable success.
pub(crate) fn unrepresentable_failure() -> Failure {
    Failure {
        code: FailureCode::InternalError,
        description: UNREPRESENTABLE.to_owned(),
    }
}

fn write_response(w: &mut Writer<Vec<u8>>, resp: &ServiceResponse) -> io::Result<()> {
    const ROOT: &str = "cas:serviceResponse";
    w.write_event(Event::Start(start(ROOT, &[("xmlns:cas", CAS_NS)])))?;
    match resp {
        ServiceResponse::AuthenticationSuccess(s) if success_is_representable(s) => {
            write_success(w, s)?;
        }
        ServiceResponse::AuthenticationSuccess(_) => {
            write_failure(w, "cas:authenticationFailure", &unrepresentable_failure())?;
        }
        ServiceResponse::AuthenticationFailure(f) => {
            write_failure(w, "cas:authenticationFailure", f)?;
        }
        ServiceResponse::ProxySuccess { proxy_ticket } if exact(proxy_ticket) => {
            w.create_element("cas:proxySuccess")
                .write_inner_content(|w| text_element(w, "cas:proxyTicket", proxy_ticket))?;
        }
        ServiceResponse::ProxySuccess { .. } => {
            write_failure(w, "cas:proxyFailure", &unrepresentable_failure())?;
        }
        ServiceResponse::ProxyFailure(f) => write_failure(w, "cas:proxyFailure", f)?,
    }
    w.write_event(Event::End(BytesEnd::new(ROOT)))
}

fn write_success(w: &mut Writer<Vec<u8>>, s: &Success) -> io::Result<()> {
    w.create_element("cas:authenticationSuccess")
        .write_inner_content(|w| {
            // Appendix A `AuthenticationSuccessType` sequence: user, attributes,
            // proxyGrantingTicket, proxies.
            text_element(w, "cas:user", &s.user)?;
            let mut attrs = ordered_attributes(&s.attributes)
                .filter(|(n, _)| is_valid_attribute_name(n))
                .peekable();
            if attrs.peek().is_some() {
                w.create_element("cas:attributes")
                    .write_inner_content(|w| {
                        for (name, values) in attrs {
                            let element = format!("cas:{name}");
                            for v in values {
                                text_element(w, &element, v)?;
                            }
                        }
                        Ok(())
                    })?;
            }
            if let Some(pgt) = &s.proxy_granting_ticket {
                text_element(w, "cas:proxyGrantingTicket", pgt)?;
            }
            if !s.proxies.is_empty() {
                w.create_element("cas:proxies").write_inner_content(|w| {
                    for p in &s.proxies {
                        text_element(w, "cas:proxy", p)?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_failure(w: &mut Writer<Vec<u8>>, element: &str, f: &Failure) -> io::Result<()> {
    w.create_element(element)
        .with_attribute(Attribute {
            key: QName("code"),
            value: Cow::Borrowed(f.code.as_str()),
        })
        .write_text_content(BytesText::from_escaped(escape_text(&f.description)))?;
    Ok(())
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
    fn ncname_rule_accepts_names_and_rejects_hostile_ones_appendix_a() {
        for ok in [
            "uid",
            "eduPersonAffiliation",
            "_x",
            "a-b.c",
            "Jörg",
            "名前",
            "x\u{B7}y",
        ] {
            assert!(is_valid_attribute_name(ok), "{ok:?}");
        }
        for bad in [
            "", "1st", "-a", ".a", "a b", "a:b", "<x", "a>", "a&b", "a\"b", "a/b", "\u{1}",
            "x\u{0}",
        ] {
            assert!(!is_valid_attribute_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn xml_char_rule_matches_xml_1_0_section_2_2() {
        assert!(is_xml_char('\t') && is_xml_char('\n') && is_xml_char('\r'));
        assert!(!is_xml_char('\u{0}') && !is_xml_char('\u{1}') && !is_xml_char('\u{B}'));
        assert!(!is_xml_char('\u{1F}') && is_xml_char(' '));
        assert!(!is_xml_char('\u{FFFE}') && !is_xml_char('\u{FFFF}'));
        assert!(is_xml_char('\u{FFFD}') && is_xml_char('\u{1F600}') && is_xml_char('\u{10FFFF}'));
    }

    #[test]
    fn escape_text_protects_markup_cr_and_edge_whitespace() {
        assert_eq!(escape_text("plain"), "plain");
        assert_eq!(escape_text("a<b&c>d]]>"), "a&lt;b&amp;c&gt;d]]&gt;");
        assert_eq!(escape_text(" a b\r\n"), "&#x20;a b&#xD;&#xA;");
        assert_eq!(escape_text("\u{1}x\u{FFFF}"), "\u{FFFD}x\u{FFFD}");
        assert_eq!(escape_text("   "), "&#x20;&#x20;&#x20;");
        assert_eq!(escape_text("\"'"), "\"'");
    }

    #[test]
    fn escape_attr_protects_quotes_and_whitespace() {
        assert_eq!(escape_attr("a\"b'c"), "a&quot;b'c");
        assert_eq!(escape_attr("x\ty\nz\r"), "x&#x9;y&#xA;z&#xD;");
        assert_eq!(escape_attr("<&>"), "&lt;&amp;&gt;");
    }

    #[test]
    fn representable_user_rule() {
        for ok in ["alice", "Jörg Müller", "a@b.c", "\u{1F600}", "a\u{FFFD}"] {
            assert!(is_representable_user(ok), "{ok:?}");
        }
        for bad in [
            "",
            " alice",
            "alice ",
            "a\nb",
            "a\rb",
            "a\u{0}",
            "a\u{1}",
            "a\u{85}b",
            "a\u{2028}",
            "a\u{FFFE}",
            "\u{3000}x",
        ] {
            assert!(!is_representable_user(bad), "{bad:?}");
        }
    }
}
