//! The readable `casplus decode` output: one indented tree per PDU, like `tshark -V`.
//!
//! The header and the summary line come from the typed [`Pdu`]; the body is walked from its
//! serialised form (the `--json` schema of `casplus::tacacs::json`, in the codec's field
//! order), so every field the codec decodes shows up here too. Each field is followed by the
//! byte range it came from, `[start..end)` in the input.
//!
//! Speed (issue 18): the body goes through [`ToNode`], a `serde::Serializer` that builds the
//! ordered [`Node`] tree directly (no JSON text written and parsed again), and everything is
//! written straight into the caller's buffer: no `format!`, no `String` per field.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

use casplus::codec::Span;
use casplus::tacacs::{BodyState, Direction, Pdu};
use serde::ser::{self, Serialize, Serializer};

/// Body fields holding text from the wire: shown quoted (already escaped by the codec).
const TEXT_FIELDS: &[&str] = &[
    "user",
    "port",
    "rem_addr",
    "data",
    "server_msg",
    "user_msg",
    "args",
    "name",
    "value",
];

/// Writes PDU number `index` (0-based) as a tree at the end of `out`.
pub fn write_tree(index: usize, pdu: &Pdu, out: &mut Vec<u8>) -> io::Result<()> {
    let h = &pdu.header;
    out.extend_from_slice(b"TACACS+ PDU #");
    num(out, index as u64 + 1);
    out.extend_from_slice(b": ");
    out.extend_from_slice(pdu.kind().as_str().as_bytes());
    out.extend_from_slice(match pdu.direction {
        Direction::ClientToServer => ", client → server, offset ".as_bytes(),
        Direction::ServerToClient => ", server → client, offset ".as_bytes(),
    });
    num(out, pdu.offset as u64);
    out.extend_from_slice(b", ");
    num(out, pdu.span.len() as u64);
    out.extend_from_slice(if pdu.complete {
        b" bytes\n".as_slice()
    } else {
        b" bytes (incomplete)\n".as_slice()
    });
    let sp = &h.spans;
    out.extend_from_slice(b"    Header\n");
    line(out, "major", sp.version, |o| {
        num(o, h.major.into());
        o.extend_from_slice(b" (0x");
        hex_num(o, h.major.into(), 1);
        o.push(b')');
    });
    line(out, "minor", sp.version, |o| num(o, h.minor.into()));
    line(out, "type", sp.packet_type, |o| {
        let _ = write!(o, "{} ", h.packet_type);
        o.push(b'(');
        num(o, h.packet_type.0.into());
        o.push(b')');
    });
    line(out, "seq_no", sp.seq_no, |o| num(o, h.seq_no.into()));
    line(out, "flags", sp.flags, |o| match h.flags.0 {
        0 => o.extend_from_slice(b"0x00"),
        f => {
            o.extend_from_slice(b"0x");
            hex_num(o, f.into(), 2);
            let _ = write!(o, " ({})", h.flags);
        }
    });
    line(out, "session_id", sp.session_id, |o| {
        o.extend_from_slice(b"0x");
        hex_num(o, h.session_id.into(), 8);
        o.extend_from_slice(b" (");
        num(o, h.session_id.into());
        o.push(b')');
    });
    line(out, "length", sp.length, |o| num(o, h.length.into()));
    match pdu.body_state {
        BodyState::Clear => out.extend_from_slice(b"    Body: clear (TAC_PLUS_UNENCRYPTED_FLAG)\n"),
        BodyState::Deobfuscated => match pdu.key_index {
            Some(i) => {
                out.extend_from_slice(b"    Body: de-obfuscated with key #");
                num(out, i as u64 + 1);
                out.push(b'\n');
            }
            None => out.extend_from_slice(b"    Body: de-obfuscated\n"),
        },
        BodyState::Obfuscated => out.extend_from_slice(b"    Body: obfuscated (no key given)\n"),
        BodyState::WrongKey => {
            out.extend_from_slice(b"    Body: not readable: probably wrong key\n");
        }
    }
    hex_lines(out, "body_clear_hex", &pdu.body_clear);
    // A body read with the wrong key is noise: its hex above is all there is to see.
    if pdu.body_state != BodyState::WrongKey {
        let body = pdu.body.serialize(ToNode).map_err(io::Error::other)?;
        if let Node::Map(fields) = &body {
            let spans = body.get("spans");
            for (name, value) in fields {
                if name == "spans" || name == "kind" || name == "data_hex" {
                    continue;
                }
                value_lines(out, 2, name, value, spans.and_then(|s| s.get(name)));
            }
        }
    }
    if !pdu.diagnostics.is_empty() {
        out.extend_from_slice(b"    Diagnostics\n");
        for d in &pdu.diagnostics {
            writeln!(
                out,
                "        {} [{}] at offset {}: {}",
                d.severity, d.code, d.offset, d.message
            )?;
        }
    }
    Ok(())
}

/// `n` in decimal, as `{}` writes it (without `core::fmt`: this is the hot path).
pub fn num(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(buf.get(i..).unwrap_or_default());
}

/// `n` in lower-case hex, zero-padded to `width` digits, as `{:0width$x}` writes it.
pub fn hex_num(out: &mut Vec<u8>, n: u64, width: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = (64 - n.leading_zeros() as usize).div_ceil(4).max(1);
    for _ in digits..width {
        out.push(b'0');
    }
    for k in (0..digits).rev() {
        out.push(
            HEX.get((n >> (4 * k)) as usize & 15)
                .copied()
                .unwrap_or(b'0'),
        );
    }
}

/// `bytes` in lower-case hex, as `casplus::codec::hex::encode` writes them.
fn hex_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
        out.push(HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'));
    }
}

const SPACES: &[u8; 64] = &[b' '; 64];

/// `n` spaces of indentation.
fn indent(out: &mut Vec<u8>, mut n: usize) {
    while n > 0 {
        let k = n.min(SPACES.len());
        out.extend_from_slice(SPACES.get(..k).unwrap_or_default());
        n -= k;
    }
}

/// A header field (depth 2): `name: value  [start..end)`.
fn line(out: &mut Vec<u8>, name: &str, span: Span, value: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(b"        ");
    out.extend_from_slice(name.as_bytes());
    if span.is_empty() {
        // A header cut short: the field is not in the input.
        out.extend_from_slice(b": (missing)\n");
        return;
    }
    out.extend_from_slice(b": ");
    value(out);
    write_range(out, span.start as u64, span.end as u64);
    out.push(b'\n');
}

/// `name: <hex>`, 32 bytes per line.
fn hex_lines(out: &mut Vec<u8>, name: &str, bytes: &[u8]) {
    out.extend_from_slice(b"        ");
    out.extend_from_slice(name.as_bytes());
    if bytes.is_empty() {
        out.extend_from_slice(b": (empty)\n");
        return;
    }
    for (i, chunk) in bytes.chunks(32).enumerate() {
        if i == 0 {
            out.push(b':');
        } else {
            out.extend_from_slice(b"        ");
            indent(out, name.len() + 1);
        }
        out.push(b' ');
        hex_bytes(out, chunk);
        out.push(b'\n');
    }
}

/// One body field, recursing into lists and objects.
fn value_lines(out: &mut Vec<u8>, depth: usize, name: &str, value: &Node, span: Option<&Node>) {
    if let Node::Span(s, e) = value {
        return value_lines(out, depth, name, &span_map(*s, *e), span);
    }
    let pad = depth * 4;
    let quoted = TEXT_FIELDS.contains(&name);
    indent(out, pad);
    out.extend_from_slice(name.as_bytes());
    match value {
        Node::List(items) if items.is_empty() => out.extend_from_slice(b": (none)\n"),
        // Flag names and other short lists of words: one line.
        Node::List(items)
            if !quoted
                && items
                    .iter()
                    .all(|i| !matches!(i, Node::List(_) | Node::Map(_) | Node::Span(..))) =>
        {
            out.extend_from_slice(b": ");
            inline(out, value);
            range(out, span);
            out.push(b'\n');
        }
        Node::List(items) => {
            out.extend_from_slice(b": ");
            num(out, items.len() as u64);
            out.extend_from_slice(b" item(s)\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, pad + 4);
                out.push(b'[');
                num(out, i as u64);
                out.extend_from_slice(b"]: ");
                match item {
                    Node::Map(_) | Node::Span(..) => inline(out, item),
                    _ => {
                        scalar(out, item, quoted);
                        let item_span = span.and_then(|s| s.at(i)).and_then(|s| s.get("value"));
                        range(out, item_span);
                    }
                }
                out.push(b'\n');
            }
        }
        Node::Map(map) => {
            out.push(b'\n');
            for (k, v) in map {
                value_lines(out, depth + 1, k, v, None);
            }
        }
        _ => {
            out.extend_from_slice(b": ");
            scalar(out, value, quoted);
            range(out, span);
            out.push(b'\n');
        }
    }
}

fn scalar(out: &mut Vec<u8>, v: &Node, quoted: bool) {
    match v {
        Node::Str(s) if quoted => {
            out.push(b'"');
            out.extend_from_slice(s.as_bytes());
            out.push(b'"');
        }
        Node::Str(s) => out.extend_from_slice(s.as_bytes()),
        Node::Null => out.extend_from_slice(b"(none)"),
        Node::Bool(true) => out.extend_from_slice(b"true"),
        Node::Bool(false) => out.extend_from_slice(b"false"),
        Node::Int(n) => num(out, *n),
        Node::Neg(n) => {
            let _ = write!(out, "{n}");
        }
        Node::Float(f) => {
            let _ = write!(out, "{f}");
        }
        Node::List(_) | Node::Map(_) | Node::Span(..) => inline(out, v),
    }
}

/// A list or object on one line: `name="priv-lvl" value="15" mandatory=true`.
fn inline(out: &mut Vec<u8>, v: &Node) {
    match v {
        Node::Map(map) => {
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(k.as_bytes());
                out.push(b'=');
                scalar(out, v, TEXT_FIELDS.contains(&&**k));
            }
        }
        Node::Span(s, e) => inline(out, &span_map(*s, *e)),
        Node::List(items) => {
            out.push(b'[');
            for (n, i) in items.iter().enumerate() {
                if n > 0 {
                    out.extend_from_slice(b", ");
                }
                scalar(out, i, false);
            }
            out.push(b']');
        }
        other => scalar(out, other, false),
    }
}

/// `  [start..end)` when `span` is a serialised [`Span`], nothing otherwise.
fn range(out: &mut Vec<u8>, span: Option<&Node>) {
    if let Some(Node::Span(s, e)) = span {
        return write_range(out, *s, *e);
    }
    let get = |k| match span.and_then(|s| s.get(k)) {
        Some(Node::Int(n)) => Some(*n),
        _ => None,
    };
    if let (Some(s), Some(e)) = (get("start"), get("end")) {
        write_range(out, s, e);
    }
}

fn write_range(out: &mut Vec<u8>, start: u64, end: u64) {
    out.extend_from_slice(b"  [");
    num(out, start);
    out.extend_from_slice(b"..");
    num(out, end);
    out.push(b')');
}

/// A serialised value that keeps the order of object keys (the codec writes fields in RFC
/// order), as the `--json` output has it: unit variants are their names, `None` and non-finite
/// floats are null, bytes are lists of numbers.
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Int(u64),
    Neg(i64),
    Float(f64),
    Str(String),
    List(Vec<Node>),
    /// Keys: a struct's field names are borrowed, a map's keys owned.
    Map(Vec<(Cow<'static, str>, Node)>),
    /// A [`Span`] (`{"start": s, "end": e}`, a map of two numbers), kept as one node: a PDU
    /// has a dozen of them.
    Span(u64, u64),
}

/// A [`Node::Span`] as the map it stands for (for the rare places that show it as a map).
fn span_map(start: u64, end: u64) -> Node {
    Node::Map(vec![
        (Cow::Borrowed("start"), Node::Int(start)),
        (Cow::Borrowed("end"), Node::Int(end)),
    ])
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Self::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn at(&self, i: usize) -> Option<&Node> {
        match self {
            Self::List(l) => l.get(i),
            _ => None,
        }
    }
}

/// Why a value could not become a [`Node`] (a `Serialize` impl's own error).
#[derive(Debug)]
struct NodeError(String);

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NodeError {}

impl ser::Error for NodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

/// Builds a [`Node`] from any `Serialize` value, the way `serde_json` would write it.
struct ToNode;

/// A list being built.
struct ListB(Vec<Node>);

/// An object being built; `key` waits for its value (`serialize_key` then `serialize_value`).
struct MapB {
    fields: Vec<(Cow<'static, str>, Node)>,
    /// A `Span` struct's `start` and `end` while they come as expected.
    span: Option<[Option<u64>; 2]>,
    key: Option<String>,
    /// `{"variant": {...}}` of a struct variant.
    variant: Option<&'static str>,
}

impl MapB {
    fn new(len: Option<usize>, variant: Option<&'static str>) -> Self {
        Self {
            fields: Vec::with_capacity(len.unwrap_or(8)),
            span: None,
            key: None,
            variant,
        }
    }

    fn done(self) -> Node {
        if let Some([Some(start), Some(end)]) = self.span {
            return Node::Span(start, end);
        }
        let map = Node::Map(self.fields);
        match self.variant {
            Some(v) => Node::Map(vec![(Cow::Borrowed(v), map)]),
            None => map,
        }
    }
}

/// A map key as JSON writes it: strings as they are, numbers and booleans as their text.
fn key_text(n: Node) -> Result<String, NodeError> {
    match n {
        Node::Str(s) => Ok(s),
        Node::Int(i) => Ok(i.to_string()),
        Node::Neg(i) => Ok(i.to_string()),
        Node::Bool(b) => Ok(b.to_string()),
        _ => Err(NodeError("key must be a string".into())),
    }
}

impl Serializer for ToNode {
    type Ok = Node;
    type Error = NodeError;
    type SerializeSeq = ListB;
    type SerializeTuple = ListB;
    type SerializeTupleStruct = ListB;
    type SerializeTupleVariant = ser::Impossible<Node, NodeError>;
    type SerializeMap = MapB;
    type SerializeStruct = MapB;
    type SerializeStructVariant = MapB;

    fn serialize_bool(self, v: bool) -> Result<Node, NodeError> {
        Ok(Node::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Node, NodeError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Node, NodeError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Node, NodeError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Node, NodeError> {
        Ok(u64::try_from(v).map_or(Node::Neg(v), Node::Int))
    }
    fn serialize_u8(self, v: u8) -> Result<Node, NodeError> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Node, NodeError> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Node, NodeError> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Node, NodeError> {
        Ok(Node::Int(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Node, NodeError> {
        // JSON writes the f32's own shortest form, read back as an f64
        self.serialize_f64(v.to_string().parse().unwrap_or(f64::NAN))
    }
    fn serialize_f64(self, v: f64) -> Result<Node, NodeError> {
        Ok(if v.is_finite() {
            Node::Float(v)
        } else {
            Node::Null
        })
    }
    fn serialize_char(self, v: char) -> Result<Node, NodeError> {
        Ok(Node::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Node, NodeError> {
        Ok(Node::Str(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Node, NodeError> {
        Ok(Node::List(v.iter().map(|&b| Node::Int(b.into())).collect()))
    }
    fn serialize_none(self) -> Result<Node, NodeError> {
        Ok(Node::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Node, NodeError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Node, NodeError> {
        Ok(Node::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Node, NodeError> {
        Ok(Node::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Node, NodeError> {
        Ok(Node::Str(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Node, NodeError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Node, NodeError> {
        Ok(Node::Map(vec![(
            Cow::Borrowed(variant),
            v.serialize(self)?,
        )]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<ListB, NodeError> {
        Ok(ListB(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<ListB, NodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<ListB, NodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, NodeError> {
        Err(NodeError(
            "tuple variants are not part of the schema".into(),
        ))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapB, NodeError> {
        Ok(MapB::new(len, None))
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<MapB, NodeError> {
        if name == "Span" && len == 2 {
            return Ok(MapB {
                fields: Vec::new(),
                span: Some([None, None]),
                key: None,
                variant: None,
            });
        }
        Ok(MapB::new(Some(len), None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapB, NodeError> {
        Ok(MapB::new(Some(len), Some(variant)))
    }
}

impl ser::SerializeSeq for ListB {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NodeError> {
        self.0.push(v.serialize(ToNode)?);
        Ok(())
    }
    fn end(self) -> Result<Node, NodeError> {
        Ok(Node::List(self.0))
    }
}

impl ser::SerializeTuple for ListB {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NodeError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Node, NodeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for ListB {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NodeError> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Node, NodeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeMap for MapB {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), NodeError> {
        self.key = Some(key_text(k.serialize(ToNode)?)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), NodeError> {
        let k = self
            .key
            .take()
            .ok_or_else(|| NodeError("value without a key".into()))?;
        self.fields.push((Cow::Owned(k), v.serialize(ToNode)?));
        Ok(())
    }
    fn end(self) -> Result<Node, NodeError> {
        Ok(self.done())
    }
}

impl ser::SerializeStruct for MapB {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        k: &'static str,
        v: &T,
    ) -> Result<(), NodeError> {
        let v = v.serialize(ToNode)?;
        if let Some(sp) = &mut self.span {
            match (k, &v, &sp) {
                ("start", Node::Int(n), [None, None]) => {
                    sp[0] = Some(*n);
                    return Ok(());
                }
                ("end", Node::Int(n), [Some(_), None]) => {
                    sp[1] = Some(*n);
                    return Ok(());
                }
                // not the usual two numbers: an ordinary map after all
                _ => {
                    let [start, end] = *sp;
                    self.span = None;
                    for (k, n) in [("start", start), ("end", end)] {
                        if let Some(n) = n {
                            self.fields.push((Cow::Borrowed(k), Node::Int(n)));
                        }
                    }
                }
            }
        }
        self.fields.push((Cow::Borrowed(k), v));
        Ok(())
    }
    fn end(self) -> Result<Node, NodeError> {
        Ok(self.done())
    }
}

impl ser::SerializeStructVariant for MapB {
    type Ok = Node;
    type Error = NodeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        k: &'static str,
        v: &T,
    ) -> Result<(), NodeError> {
        ser::SerializeStruct::serialize_field(self, k, v)
    }
    fn end(self) -> Result<Node, NodeError> {
        Ok(self.done())
    }
}
