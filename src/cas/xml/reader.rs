//! Bounded, borrowing XML reading shared by the validation-response parser
//! ([`crate::cas::client`]), the client's `logoutRequest` reader and the `/samlValidate`
//! request parser ([`crate::cas::saml`]).
//!
//! [`XmlCursor`] sits on quick-xml's `Reader` over the input `&str`, whose events borrow from
//! the input: element names are compared in place, text is handed out as slices of the input
//! and only copied when a caller keeps it (or when it has to change: a `\r` to normalise, a
//! reference to resolve, pieces to join). Namespaces are resolved here, from the `xmlns` and
//! `xmlns:p` declarations in scope (Namespaces in XML 1.0 §5), into the few namespaces the
//! readers know ([`Ns`]): `cas:user`, `c:user` and `<user xmlns="http://www.yale.edu/tp/cas">`
//! are the same element.
//!
//! Total and bounded: no DTD (refused), only the five predefined entities, only characters
//! XML 1.0 allows (§2.2, in text, CDATA and attribute values, literal or referenced), unique
//! attribute names (§3.1), at most [`MAX_DEPTH`] nested elements and [`MAX_BINDINGS`]
//! namespace declarations in scope. Every error carries the byte offset of the event.

// Parsers here face hostile input: no indexing, unwraps or panics.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::borrow::Cow;

use quick_xml::events::attributes::{Attribute, Attributes};
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::super::client::{ParseError, ParseErrorKind};
use super::{CAS_NS, is_xml_space};

/// Deepest element nesting a reader accepts (a CAS response needs 4, a SAML request 4).
pub(crate) const MAX_DEPTH: usize = 32;

/// Most namespace declarations in scope at once (quick-xml's own default limit).
pub(crate) const MAX_BINDINGS: usize = 128;

/// The namespace the prefix `xml` is bound to (Namespaces in XML 1.0 §3).
const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// The namespace the prefix `xmlns` is bound to (Namespaces in XML 1.0 §3).
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// The namespaces the readers care about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ns {
    /// `http://www.yale.edu/tp/cas`.
    Cas,
    /// SOAP 1.1 (`http://schemas.xmlsoap.org/soap/envelope/`) or SOAP 1.2 envelope.
    Soap,
    /// SAML 1.0/1.1 protocol (`urn:oasis:names:tc:SAML:1.0:protocol`).
    Samlp1,
    /// SAML 2.0 protocol (`urn:oasis:names:tc:SAML:2.0:protocol`, single logout).
    Samlp2,
    /// SAML 2.0 assertion (`urn:oasis:names:tc:SAML:2.0:assertion`, single logout).
    Saml2,
    /// Any other namespace, or none.
    Other,
}

impl Ns {
    fn of(uri: &str) -> Self {
        match uri {
            CAS_NS => Self::Cas,
            "http://schemas.xmlsoap.org/soap/envelope/"
            | "http://www.w3.org/2003/05/soap-envelope" => Self::Soap,
            "urn:oasis:names:tc:SAML:1.0:protocol" => Self::Samlp1,
            "urn:oasis:names:tc:SAML:2.0:protocol" => Self::Samlp2,
            "urn:oasis:names:tc:SAML:2.0:assertion" => Self::Saml2,
            _ => Self::Other,
        }
    }
}

/// A start tag as the readers see it: namespace class and local name, borrowed from the
/// input; its attributes are read on demand ([`Element::attr`]), the cursor having checked
/// them all when it read the tag.
#[derive(Debug)]
pub(crate) struct Element<'a> {
    /// Namespace of the element name.
    pub ns: Ns,
    /// Local name.
    pub local: &'a str,
    /// `<x/>`: no content and no end event follows.
    pub empty: bool,
    /// Byte offset of the tag.
    pub offset: usize,
    /// The tag between `<` and `>` (or `/>`): the name, then the attributes.
    tag: &'a str,
    /// Length of the name at the start of `tag`.
    name_len: usize,
}

impl<'a> Element<'a> {
    /// Whether this is `{ns}local`.
    pub fn is(&self, ns: Ns, local: &str) -> bool {
        self.ns == ns && self.local == local
    }

    /// The value of the unprefixed attribute `name`, normalised (entity and character
    /// references resolved, literal whitespace as spaces: XML 1.0 §3.3.3); borrowed from the
    /// input unless normalisation changed it.
    pub fn attr(&self, name: &str) -> Option<Cow<'a, str>> {
        let mut attrs = Attributes::new(self.tag, self.name_len);
        attrs.with_checks(false);
        for a in attrs {
            let a = a.ok()?;
            if a.key.0 == name {
                return attr_value(&a).ok();
            }
        }
        None
    }
}

/// What [`XmlCursor::next`] yields; comments, processing instructions and the XML
/// declaration are skipped.
#[derive(Debug)]
pub(crate) enum Node<'a> {
    /// A start or empty-element tag.
    Start(Element<'a>),
    /// The end of the current element.
    End,
    /// Character data: `literal` is raw text (may be trimmed), otherwise CDATA or a resolved
    /// reference (exact).
    Text {
        /// The characters (end-of-line normalised, XML 1.0 §2.11).
        text: Cow<'a, str>,
        /// Whether the characters were literal text (whitespace that may be formatting).
        literal: bool,
    },
    /// End of input.
    Eof,
}

/// A namespace declaration in scope: its prefix (empty for the default namespace), what it
/// is bound to (`None`: undeclared by `xmlns=""`), and the depth of the element carrying it.
type Binding<'a> = (&'a str, Option<Ns>, usize);

/// A pull reader over quick-xml's borrowing `Reader` that is total and bounded (see the
/// module documentation).
pub(crate) struct XmlCursor<'a> {
    input: &'a str,
    reader: Reader<&'a [u8]>,
    depth: usize,
    bindings: Vec<Binding<'a>>,
    /// Offset of the event last returned.
    pub offset: usize,
}

fn to_usize(pos: u64) -> usize {
    usize::try_from(pos).unwrap_or(usize::MAX)
}

/// Whether every character of `s` is an XML 1.0 `Char` (§2.2): checked on the UTF-8 bytes —
/// no C0 control but tab, LF and CR, and no U+FFFE/U+FFFF (`EF BF BE`/`EF BF BF`); Rust
/// strings hold no surrogates.
fn xml_chars(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().all(|(i, &c)| match c {
        0x20..=0xEE | 0xF0..=0xFF | b'\t' | b'\n' | b'\r' => true,
        0xEF => !matches!(b.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])),
        _ => false,
    })
}

/// Whether `s` is only XML whitespace (`S`, XML 1.0 §2.3).
fn all_space(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// An attribute's normalised value (XML 1.0 §3.3.3), checked for XML 1.0 characters and for
/// a literal `<` (§3.1 `AttValue`: not allowed, quick-xml lets it through); borrowed when
/// normalisation has nothing to do (no reference, no literal tab/LF/CR).
fn attr_value<'a>(a: &Attribute<'a>) -> Result<Cow<'a, str>, ParseErrorKind> {
    if a.value.contains('<') {
        return Err(ParseErrorKind::Xml);
    }
    let value = if a
        .value
        .bytes()
        .any(|b| matches!(b, b'&' | b'\t' | b'\n' | b'\r'))
    {
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| match e {
                quick_xml::Error::Escape(quick_xml::escape::EscapeError::InvalidCharRef(_)) => {
                    ParseErrorKind::InvalidChar
                }
                _ => ParseErrorKind::UnknownEntity,
            })?
    } else {
        a.value.clone()
    };
    if xml_chars(&value) {
        Ok(value)
    } else {
        Err(ParseErrorKind::InvalidChar)
    }
}

impl<'a> XmlCursor<'a> {
    /// A cursor over `text`.
    pub fn new(text: &'a str) -> Self {
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.allow_dangling_amp = false;
        Self {
            input: text,
            reader,
            depth: 0,
            bindings: Vec::new(),
            offset: 0,
        }
    }

    /// An error of `kind` at the current event.
    pub fn err(&self, kind: ParseErrorKind) -> ParseError {
        ParseError::new(kind, self.offset)
    }

    /// `s` (an event's content) as the slice of the input it is: the reader's events over a
    /// `&str` borrow from it. `None` cannot happen; it keeps this total.
    fn in_input(&self, s: &str) -> Option<&'a str> {
        let start = (s.as_ptr() as usize).checked_sub(self.input.as_ptr() as usize)?;
        let slice = self.input.get(start..start.checked_add(s.len())?)?;
        (slice.as_ptr() == s.as_ptr()).then_some(slice)
    }

    /// The next node.
    pub fn next(&mut self) -> Result<Node<'a>, ParseError> {
        loop {
            self.offset = to_usize(self.reader.buffer_position());
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    let kind = match e {
                        quick_xml::Error::Escape(_) => ParseErrorKind::UnknownEntity,
                        _ => ParseErrorKind::Xml,
                    };
                    return Err(ParseError::new(
                        kind,
                        to_usize(self.reader.error_position()),
                    ));
                }
            };
            match event {
                Event::Start(e) => {
                    if self.depth >= MAX_DEPTH {
                        return Err(self.err(ParseErrorKind::TooDeep));
                    }
                    self.depth += 1;
                    return self.element(&e, false).map(Node::Start);
                }
                Event::Empty(e) => {
                    if self.depth >= MAX_DEPTH {
                        return Err(self.err(ParseErrorKind::TooDeep));
                    }
                    // Its declarations are in scope for its own name only.
                    self.depth += 1;
                    let el = self.element(&e, true);
                    self.end_scope();
                    return el.map(Node::Start);
                }
                Event::End(_) => {
                    self.end_scope();
                    return Ok(Node::End);
                }
                Event::Text(t) => {
                    return self.text(t.xml10_content(), true);
                }
                Event::CData(t) => {
                    return self.text(t.xml10_content(), false);
                }
                Event::GeneralRef(r) => {
                    let text = match r.resolve_char_ref() {
                        Ok(Some(c)) if super::is_xml_char(c) => Cow::Owned(c.to_string()),
                        Ok(Some(_)) | Err(_) => return Err(self.err(ParseErrorKind::InvalidChar)),
                        Ok(None) => match quick_xml::escape::resolve_predefined_entity(&r) {
                            Some(s) => Cow::Borrowed(s),
                            None => return Err(self.err(ParseErrorKind::UnknownEntity)),
                        },
                    };
                    return Ok(Node::Text {
                        text,
                        literal: false,
                    });
                }
                Event::DocType(_) => return Err(self.err(ParseErrorKind::Doctype)),
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) => {}
                Event::Eof => {
                    if self.depth != 0 {
                        return Err(self.err(ParseErrorKind::Xml));
                    }
                    return Ok(Node::Eof);
                }
            }
        }
    }

    /// Leaves the current element: its namespace declarations go out of scope.
    fn end_scope(&mut self) {
        while self.bindings.last().is_some_and(|b| b.2 >= self.depth) {
            self.bindings.pop();
        }
        self.depth = self.depth.saturating_sub(1);
    }

    fn text(&self, text: Cow<'a, str>, literal: bool) -> Result<Node<'a>, ParseError> {
        if xml_chars(&text) {
            Ok(Node::Text { text, literal })
        } else {
            Err(self.err(ParseErrorKind::InvalidChar))
        }
    }

    /// Reads a start tag at the current depth: checks every attribute (syntax, uniqueness,
    /// references, characters), brings its namespace declarations into scope and resolves
    /// the element's name.
    fn element(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<Element<'a>, ParseError> {
        let Some(tag) = self.in_input(e) else {
            return Err(self.err(ParseErrorKind::Xml));
        };
        let name_len = e.name().as_ref().len();
        let name = tag.get(..name_len).unwrap_or_default();
        if tag.len() > name_len {
            for a in Attributes::new(tag, name_len) {
                let a = a.map_err(|_| self.err(ParseErrorKind::Xml))?;
                let value = attr_value(&a).map_err(|k| self.err(k))?;
                let key = a.key.0;
                if key == "xmlns" {
                    self.declare("", &value)?;
                } else if let Some(prefix) = key.strip_prefix("xmlns:") {
                    self.declare(prefix, &value)?;
                }
            }
        }
        let (prefix, local) = name.split_once(':').unwrap_or(("", name));
        let ns = match prefix {
            "xml" | "xmlns" => Ns::Other,
            _ => match self.bindings.iter().rev().find(|b| b.0 == prefix) {
                Some((_, Some(ns), _)) => *ns,
                // An unprefixed name outside any default namespace has none; a prefix must
                // be declared (Namespaces in XML 1.0 §5, "Namespace constraint: Prefix
                // Declared").
                _ if prefix.is_empty() => Ns::Other,
                _ => return Err(self.err(ParseErrorKind::Xml)),
            },
        };
        Ok(Element {
            ns,
            local,
            empty,
            offset: self.offset,
            tag,
            name_len,
        })
    }

    /// Brings `xmlns:prefix="uri"` (`prefix` empty: `xmlns="uri"`) into scope at the current
    /// depth. The reserved prefixes and namespaces follow Namespaces in XML 1.0 §3: `xml` may
    /// only be bound to its own namespace, `xmlns` never, and no other prefix (nor the
    /// default namespace) to either. An empty `uri` undeclares (the default namespace; for a
    /// prefix, as quick-xml does, the prefix becomes unusable).
    fn declare(&mut self, prefix: &'a str, uri: &str) -> Result<(), ParseError> {
        let ok = match prefix {
            "xml" => uri == XML_NS,
            "xmlns" => false,
            _ => uri != XML_NS && uri != XMLNS_NS,
        };
        if !ok {
            return Err(self.err(ParseErrorKind::Xml));
        }
        if prefix == "xml" {
            return Ok(());
        }
        if self.bindings.len() >= MAX_BINDINGS {
            return Err(self.err(ParseErrorKind::Xml));
        }
        let ns = (!uri.is_empty()).then(|| Ns::of(uri));
        self.bindings.push((prefix, ns, self.depth));
        Ok(())
    }

    /// Reads the character content of `el` up to its end tag. Literal whitespace at both ends
    /// is trimmed (pretty-printing), whitespace from references or CDATA is kept. A child
    /// element is an error. Borrowed from the input when the content is one piece of text
    /// without `\r`.
    pub fn text_of(&mut self, el: &Element<'a>) -> Result<Cow<'a, str>, ParseError> {
        if el.empty {
            return Ok(Cow::Borrowed(""));
        }
        let mut first: Option<(Cow<'a, str>, bool)> = None;
        let mut rest: Vec<(Cow<'a, str>, bool)> = Vec::new();
        loop {
            match self.next()? {
                Node::Text { text, literal } if first.is_none() => first = Some((text, literal)),
                Node::Text { text, literal } => rest.push((text, literal)),
                Node::End => break,
                Node::Start(_) => return Err(self.err(ParseErrorKind::UnexpectedElement)),
                Node::Eof => return Err(self.err(ParseErrorKind::Xml)),
            }
        }
        Ok(match first {
            None => Cow::Borrowed(""),
            Some((text, false)) if rest.is_empty() => text,
            Some((Cow::Borrowed(text), true)) if rest.is_empty() => {
                Cow::Borrowed(text.trim_matches(is_xml_space))
            }
            Some(piece) => {
                rest.insert(0, piece);
                Cow::Owned(join_trimmed(&rest))
            }
        })
    }

    /// Skips the content of `el` (any depth within [`MAX_DEPTH`]) up to its end tag.
    pub fn skip(&mut self, el: &Element<'a>) -> Result<(), ParseError> {
        if el.empty {
            return Ok(());
        }
        let target = self.depth.saturating_sub(1);
        loop {
            match self.next()? {
                Node::End if self.depth == target => return Ok(()),
                Node::Eof => return Err(self.err(ParseErrorKind::Xml)),
                _ => {}
            }
        }
    }

    /// The next child element of the current element, skipping whitespace; `None` at its end
    /// tag. Non-whitespace text between children is an error.
    pub fn next_child(&mut self) -> Result<Option<Element<'a>>, ParseError> {
        loop {
            match self.next()? {
                Node::Start(el) => return Ok(Some(el)),
                Node::End => return Ok(None),
                Node::Text {
                    text,
                    literal: true,
                } if all_space(&text) => {}
                Node::Text { .. } => return Err(self.err(ParseErrorKind::UnexpectedText)),
                Node::Eof => return Err(self.err(ParseErrorKind::Xml)),
            }
        }
    }

    /// The root element, after an optional prolog.
    pub fn root(&mut self) -> Result<Element<'a>, ParseError> {
        loop {
            match self.next()? {
                Node::Start(el) => return Ok(el),
                Node::Text {
                    text,
                    literal: true,
                } if all_space(&text) => {}
                Node::Text { .. } => return Err(self.err(ParseErrorKind::UnexpectedText)),
                Node::End | Node::Eof => return Err(self.err(ParseErrorKind::Xml)),
            }
        }
    }

    /// After the root's end tag: only whitespace, comments and PIs until the end of input.
    pub fn finish(&mut self) -> Result<(), ParseError> {
        loop {
            match self.next()? {
                Node::Eof => return Ok(()),
                Node::Text {
                    text,
                    literal: true,
                } if all_space(&text) => {}
                _ => return Err(self.err(ParseErrorKind::Trailing)),
            }
        }
    }
}

/// Concatenates text pieces, trimming literal XML whitespace at both ends only.
fn join_trimmed(pieces: &[(Cow<'_, str>, bool)]) -> String {
    let first = pieces.iter().position(|(t, lit)| !*lit || !all_space(t));
    let Some(first) = first else {
        return String::new();
    };
    let last = pieces
        .iter()
        .rposition(|(t, lit)| !*lit || !all_space(t))
        .unwrap_or(first);
    let mut out = String::new();
    for (i, (t, lit)) in pieces.iter().enumerate().take(last + 1).skip(first) {
        let mut s: &str = t;
        if *lit && i == first {
            s = s.trim_start_matches(is_xml_space);
        }
        if *lit && i == last {
            s = s.trim_end_matches(is_xml_space);
        }
        out.push_str(s);
    }
    out
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::super::escape_attr;
    use super::*;

    #[test]
    fn cursor_keeps_character_references_in_attribute_values() {
        let doc = format!(
            r#"<a v="{}" w=" x&#9;y " xmlns:p="urn:p" p:q="skipped"/>"#,
            escape_attr("x\ny\tz\r\"<&")
        );
        let mut c = XmlCursor::new(&doc);
        let el = c.root().unwrap();
        assert_eq!(el.attr("v").as_deref(), Some("x\ny\tz\r\"<&"));
        // Literal whitespace is normalised to spaces (XML 1.0 §3.3.3), references are not.
        assert_eq!(el.attr("w").as_deref(), Some(" x\ty "));
        assert_eq!(el.attr("q"), None);
        assert!(el.empty);
        c.finish().unwrap();
    }

    #[test]
    fn namespace_declarations_in_scope_are_bounded() {
        let decls = |n: usize| -> String {
            (0..n)
                .map(|i| format!(r#" xmlns:p{i}="urn:{i}""#))
                .collect()
        };
        let ok = format!("<a{}/>", decls(MAX_BINDINGS));
        let mut c = XmlCursor::new(&ok);
        assert!(c.root().is_ok());
        c.finish().unwrap();
        // Spread over nested elements, the limit is on what is in scope at once.
        let nested = format!("<a{}><b{}/></a>", decls(MAX_BINDINGS), decls(1));
        let mut c = XmlCursor::new(&nested);
        let root = c.root().unwrap();
        assert_eq!(root.offset, 0);
        let e = c.next_child().unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Xml);
        assert_eq!(e.offset, nested.find("<b").unwrap());
        // Declarations of a closed sibling are out of scope again.
        let siblings = format!("<a><b{}/><c{}/></a>", decls(100), decls(100));
        let mut c = XmlCursor::new(&siblings);
        c.root().unwrap();
        assert!(c.next_child().unwrap().is_some());
        assert!(c.next_child().unwrap().is_some());
        assert!(c.next_child().unwrap().is_none());
        c.finish().unwrap();
    }

    #[test]
    fn plain_text_and_names_are_borrowed_from_the_input() {
        let doc = "<r xmlns='urn:x'><v a='1'>\n  value  \n</v><w>a&amp;b</w></r>";
        let mut c = XmlCursor::new(doc);
        c.root().unwrap();
        let v = c.next_child().unwrap().unwrap();
        assert_eq!(v.local, "v");
        assert!(matches!(v.attr("a"), Some(Cow::Borrowed("1"))));
        assert!(matches!(c.text_of(&v).unwrap(), Cow::Borrowed("value")));
        let w = c.next_child().unwrap().unwrap();
        // Three pieces (text, reference, text): joined into one new string.
        assert!(matches!(c.text_of(&w).unwrap(), Cow::Owned(s) if s == "a&b"));
    }

    #[test]
    fn join_trimmed_keeps_exact_whitespace() {
        let p = |t: &'static str, l: bool| (Cow::Borrowed(t), l);
        assert_eq!(
            join_trimmed(&[p("\n  ", true), p(" ", false), p("a ", true), p("\n", true)]),
            " a"
        );
        assert_eq!(join_trimmed(&[p("  x  ", true)]), "x");
        assert_eq!(join_trimmed(&[p("  ", true)]), "");
        assert_eq!(join_trimmed(&[]), "");
    }
}
