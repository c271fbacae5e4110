//! The CAS 3.0 JSON reader (§2.5.2 `format=JSON`, §2.6.2, §2.7.2): a small RFC 8259 reader
//! into a borrowed tree, then the shape of a service response read off that tree.
//!
//! Hand-written rather than `serde_json` with derived `Deserialize` so the npm package's
//! `casplus/client` and `casplus/cas` modules carry no float parsing or formatting (bench/
//! RESULTS.md, "Size: `casplus/client`"): a number attribute value is kept as written
//! (`1447320610.5` stays `"1447320610.5"`, `1e3` stays `"1e3"`), which is also what a
//! string-valued attribute model can say best. Syntax errors are [`ParseErrorKind::Json`]
//! (nesting deeper than [`MAX_DEPTH`] included), well-formed JSON of the wrong shape
//! [`ParseErrorKind::JsonShape`]; unknown members are ignored, a known member given twice is
//! a shape error, `null` counts as absent where a member is optional, and an attribute name
//! given twice adds its values to the first's (as repeated elements do in XML).

use super::{
    MAX_VALUES, ParseError, ParseErrorKind, ResponseFormat, ResponseKind, ValidationResult,
};

/// Deepest nesting of arrays and objects accepted (as `serde_json`'s default).
pub const MAX_DEPTH: usize = 128;

/// A JSON value borrowing its numbers from the input.
#[derive(Debug, PartialEq)]
enum Value<'a> {
    Null,
    Bool(bool),
    /// A number as written (its syntax checked).
    Num(&'a str),
    Str(String),
    Arr(Vec<Value<'a>>),
    /// Members in document order (duplicates kept: the reader of the shape decides).
    Obj(Vec<(String, Value<'a>)>),
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn err(&self) -> ParseError {
        ParseError::new(ParseErrorKind::Json, self.pos.min(self.text.len()))
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Result<(), ParseError> {
        self.ws();
        if self.peek() != Some(b) {
            return Err(self.err());
        }
        self.pos += 1;
        Ok(())
    }

    fn value(&mut self) -> Result<Value<'a>, ParseError> {
        self.ws();
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(Value::Str),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err()),
        }
    }

    fn nested(
        &mut self,
        inner: fn(&mut Self) -> Result<Value<'a>, ParseError>,
    ) -> Result<Value<'a>, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err());
        }
        self.depth += 1;
        self.pos += 1; // `{` or `[`
        let v = inner(self)?;
        self.depth -= 1;
        Ok(v)
    }

    fn object(&mut self) -> Result<Value<'a>, ParseError> {
        let mut members = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Obj(members));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err());
            }
            let name = self.string()?;
            self.eat(b':')?;
            members.push((name, self.value()?));
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Obj(members));
                }
                _ => return Err(self.err()),
            }
        }
    }

    fn array(&mut self) -> Result<Value<'a>, ParseError> {
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Arr(items));
        }
        loop {
            items.push(self.value()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Arr(items));
                }
                _ => return Err(self.err()),
            }
        }
    }

    fn literal(&mut self, word: &str, v: Value<'a>) -> Result<Value<'a>, ParseError> {
        if !self
            .text
            .get(self.pos..)
            .unwrap_or_default()
            .starts_with(word)
        {
            return Err(self.err());
        }
        self.pos += word.len();
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<Value<'a>, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let lead = self.peek();
        let n = self.digits();
        if n == 0 || (lead == Some(b'0') && n > 1) {
            return Err(self.err());
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err());
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err());
            }
        }
        Ok(Value::Num(
            self.text.get(start..self.pos).unwrap_or_default(),
        ))
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let hex = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.err())?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.err());
        }
        self.pos += 4;
        u32::from_str_radix(hex, 16).map_err(|_| self.err())
    }

    /// A string (RFC 8259 §7), the reader on its opening quote.
    fn string(&mut self) -> Result<String, ParseError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            out.push_str(self.text.get(start..self.pos).unwrap_or_default());
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let at = self.pos;
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) {
                                // A high surrogate must be followed by `\u` and a low one.
                                if self.text.get(self.pos..self.pos + 2) != Some("\\u") {
                                    return Err(self.err());
                                }
                                self.pos += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(self.err());
                                }
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                            }
                            let c = char::from_u32(cp)
                                .ok_or(ParseError::new(ParseErrorKind::Json, at))?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.err()),
                    };
                    self.pos += 1;
                    out.push(c);
                }
                // A raw control character or the end of the input.
                _ => return Err(self.err()),
            }
        }
    }
}

/// Reads one JSON document (whitespace around it allowed, nothing else).
fn document(text: &str) -> Result<Value<'_>, ParseError> {
    let mut r = Reader {
        text,
        pos: 0,
        depth: 0,
    };
    let v = r.value()?;
    r.ws();
    if r.pos != text.len() {
        return Err(r.err());
    }
    Ok(v)
}

type Members<'v, 'a> = &'v [(String, Value<'a>)];

/// Reads the shape of a service response off the tree; every error is `JsonShape` at `at`.
struct Shape {
    at: usize,
}

impl Shape {
    fn err(&self) -> ParseError {
        ParseError::new(ParseErrorKind::JsonShape, self.at)
    }

    fn object<'v, 'a>(&self, v: &'v Value<'a>) -> Result<Members<'v, 'a>, ParseError> {
        match v {
            Value::Obj(m) => Ok(m),
            _ => Err(self.err()),
        }
    }

    /// The member `name` (`null` counts as absent); a member given twice is an error.
    fn get<'v, 'a>(
        &self,
        m: Members<'v, 'a>,
        name: &str,
    ) -> Result<Option<&'v Value<'a>>, ParseError> {
        let mut found = m.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        match (found.next(), found.next()) {
            (_, Some(_)) => Err(self.err()),
            (Some(Value::Null) | None, None) => Ok(None),
            (Some(v), None) => Ok(Some(v)),
        }
    }

    fn string(&self, v: Option<&Value<'_>>) -> Result<Option<String>, ParseError> {
        match v {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.err()),
        }
    }

    fn required(&self, m: Members<'_, '_>, name: &str) -> Result<String, ParseError> {
        self.string(self.get(m, name)?)?.ok_or_else(|| self.err())
    }

    /// An attribute value: a scalar (`null` gives nothing) or an array of scalars (§2.5.7).
    fn values(&self, v: &Value<'_>) -> Result<Vec<String>, ParseError> {
        let scalar = |v: &Value<'_>| match v {
            Value::Null => Ok(None),
            Value::Bool(b) => Ok(Some(if *b { "true" } else { "false" }.to_owned())),
            Value::Num(n) => Ok(Some((*n).to_owned())),
            Value::Str(s) => Ok(Some(s.clone())),
            Value::Arr(_) | Value::Obj(_) => Err(self.err()),
        };
        let mut out = Vec::new();
        match v {
            Value::Arr(items) => {
                for item in items {
                    out.extend(scalar(item)?);
                }
            }
            _ => out.extend(scalar(v)?),
        }
        Ok(out)
    }

    fn success(&self, m: Members<'_, '_>) -> Result<ValidationResult, ParseError> {
        let user = self.required(m, "user")?;
        if user.is_empty() {
            return Err(ParseError::new(ParseErrorKind::EmptyUser, self.at));
        }
        let mut r =
            ValidationResult::new(ResponseKind::AuthenticationSuccess, ResponseFormat::Json);
        r.user = Some(user);
        r.proxy_granting_ticket = self.string(self.get(m, "proxyGrantingTicket")?)?;
        if let Some(p) = self.get(m, "proxies")? {
            let Value::Arr(items) = p else {
                return Err(self.err());
            };
            for item in items {
                r.proxies
                    .push(self.string(Some(item))?.ok_or_else(|| self.err())?);
            }
        }
        let mut values = r.proxies.len();
        if let Some(a) = self.get(m, "attributes")? {
            // A name given twice adds its values to the first's, as repeated elements do in
            // XML (§2.5.7 multi-valued attributes).
            for (name, v) in self.object(a)? {
                let list = self.values(v)?;
                values = values.saturating_add(list.len());
                if values > MAX_VALUES {
                    return Err(ParseError::new(ParseErrorKind::TooManyValues, self.at));
                }
                if !list.is_empty() {
                    r.attributes.entry(name.clone()).or_default().extend(list);
                }
            }
        }
        Ok(r)
    }

    fn failure(
        &self,
        m: Members<'_, '_>,
        kind: ResponseKind,
    ) -> Result<ValidationResult, ParseError> {
        let code = self.required(m, "code")?;
        let description = match self.get(m, "description")? {
            // An explicit `null` description is not a string (as before: a shape error).
            None if m.iter().any(|(k, _)| k == "description") => return Err(self.err()),
            v => self.string(v)?.unwrap_or_default(),
        };
        Ok(ValidationResult::failed(
            kind,
            ResponseFormat::Json,
            code,
            description,
        ))
    }
}

/// Parses a CAS 3.0 JSON service response: `{"serviceResponse": {X: …}}` with exactly one
/// `X` of `authenticationSuccess`, `authenticationFailure`, `proxySuccess`, `proxyFailure`.
pub(super) fn parse_json(text: &str) -> Result<ValidationResult, ParseError> {
    let doc = document(text)?;
    let s = Shape {
        at: text.find('{').unwrap_or(0),
    };
    let root = s.object(&doc)?;
    let body = s.object(s.get(root, "serviceResponse")?.ok_or_else(|| s.err())?)?;
    let kinds = [
        ("authenticationSuccess", ResponseKind::AuthenticationSuccess),
        ("authenticationFailure", ResponseKind::AuthenticationFailure),
        ("proxySuccess", ResponseKind::ProxySuccess),
        ("proxyFailure", ResponseKind::ProxyFailure),
    ];
    let mut found = None;
    for (name, kind) in kinds {
        if let Some(v) = s.get(body, name)? {
            if found.is_some() {
                return Err(s.err());
            }
            found = Some((kind, s.object(v)?));
        }
    }
    let (kind, m) = found.ok_or_else(|| s.err())?;
    match kind {
        ResponseKind::AuthenticationSuccess => s.success(m),
        ResponseKind::ProxySuccess => {
            let mut r = ValidationResult::new(kind, ResponseFormat::Json);
            r.proxy_ticket = Some(s.required(m, "proxyTicket")?);
            Ok(r)
        }
        ResponseKind::AuthenticationFailure | ResponseKind::ProxyFailure => s.failure(m, kind),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn kind(text: &str) -> ParseErrorKind {
        parse_json(text).unwrap_err().kind
    }

    #[test]
    fn reads_rfc_8259_values() {
        assert_eq!(
            document(
                r#" [1, -0.5e+3, "a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", true, false, null, {}] "#
            )
            .unwrap(),
            Value::Arr(vec![
                Value::Num("1"),
                Value::Num("-0.5e+3"),
                Value::Str("a\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1F600}".into()),
                Value::Bool(true),
                Value::Bool(false),
                Value::Null,
                Value::Obj(vec![]),
            ])
        );
    }

    #[test]
    fn refuses_what_rfc_8259_refuses() {
        for bad in [
            "01",
            "1.",
            "-",
            "1e",
            ".5",
            "+1",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "\"a\nb\"",
            "\"open",
            "tru",
            "[1 2]",
            "{\"a\" 1}",
            "1 2",
            "'a'",
        ] {
            assert_eq!(
                document(bad).unwrap_err().kind,
                ParseErrorKind::Json,
                "{bad}"
            );
        }
        let deep = "[".repeat(MAX_DEPTH + 1);
        assert_eq!(document(&deep).unwrap_err().offset, MAX_DEPTH);
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(document(&ok).is_ok());
    }

    #[test]
    fn numbers_are_kept_as_written_2_5_7() {
        let r = parse_json(
            r#"{"serviceResponse":{"authenticationSuccess":{"user":"u","attributes":{"a":[1e3,-0,2.50],"b":7}}}}"#,
        )
        .unwrap();
        assert_eq!(r.attributes["a"], ["1e3", "-0", "2.50"]);
        assert_eq!(r.attributes["b"], ["7"]);
    }

    #[test]
    fn shape_rules_2_5_2() {
        use ParseErrorKind::JsonShape;
        let ok = |t: &str| parse_json(t).unwrap();
        // Unknown members are ignored; `null` is an absent optional member.
        let r = ok(
            r#"{"x":1,"serviceResponse":{"authenticationSuccess":{"user":"u","proxies":null,"proxyGrantingTicket":null,"extra":{}}}}"#,
        );
        assert_eq!((r.proxies.len(), r.proxy_granting_ticket), (0, None));
        // A repeated attribute name adds values, as repeated XML elements do.
        let r = ok(
            r#"{"serviceResponse":{"authenticationSuccess":{"user":"u","attributes":{"a":"1","b":null,"a":["2","3"]}}}}"#,
        );
        assert_eq!(r.attributes["a"], ["1", "2", "3"]);
        assert!(!r.attributes.contains_key("b"));
        for bad in [
            r#"[]"#,
            r#"{"serviceResponse":[]}"#,
            r#"{"serviceResponse":{"authenticationSuccess":{"user":"u","user":"v"}}}"#,
            r#"{"serviceResponse":{"authenticationSuccess":{"user":"u","proxies":"p"}}}"#,
            r#"{"serviceResponse":{"authenticationSuccess":{"user":"u","proxies":[1]}}}"#,
            r#"{"serviceResponse":{"authenticationSuccess":{"user":"u","attributes":{"a":[[1]]}}}}"#,
            r#"{"serviceResponse":{"authenticationSuccess":{"user":"u","attributes":{"a":{}}}}}"#,
            r#"{"serviceResponse":{"authenticationFailure":{"description":"d"}}}"#,
            r#"{"serviceResponse":{"authenticationFailure":{"code":"C","description":null}}}"#,
            r#"{"serviceResponse":{"proxySuccess":{}}}"#,
            r#"{"serviceResponse":{"proxySuccess":{"proxyTicket":"a"}},"serviceResponse":{}}"#,
        ] {
            assert_eq!(kind(bad), JsonShape, "{bad}");
        }
    }
}
