//! The readable `casplus decode` output: one indented tree per PDU, like `tshark -V`.
//!
//! The header and the summary line come from the typed [`Pdu`]; the body is walked from its
//! JSON form (the documented schema, in the codec's field order), so every field the codec
//! decodes shows up here too. Each field is followed by the byte range it came from,
//! `[start..end)` in the input.

use std::fmt;
use std::io::{self, Write};

use casplus::codec::Span;
use casplus::tacacs::{BodyState, Direction, Pdu};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

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

/// Writes PDU number `index` (0-based) as a tree.
pub fn write_tree(index: usize, pdu: &Pdu, out: &mut dyn Write) -> io::Result<()> {
    let h = &pdu.header;
    let kind = pdu.kind();
    writeln!(
        out,
        "TACACS+ PDU #{n}: {kind}, {dir}, offset {off}, {len} bytes{incomplete}",
        n = index + 1,
        kind = kind.as_str(),
        dir = match pdu.direction {
            Direction::ClientToServer => "client → server",
            Direction::ServerToClient => "server → client",
        },
        off = pdu.offset,
        len = pdu.span.len(),
        incomplete = if pdu.complete { "" } else { " (incomplete)" },
    )?;
    let sp = &h.spans;
    writeln!(out, "    Header")?;
    line(
        out,
        2,
        "major",
        &format!("{} (0x{:x})", h.major, h.major),
        sp.version,
    )?;
    line(out, 2, "minor", &h.minor.to_string(), sp.version)?;
    line(
        out,
        2,
        "type",
        &format!("{} ({})", h.packet_type, h.packet_type.0),
        sp.packet_type,
    )?;
    line(out, 2, "seq_no", &h.seq_no.to_string(), sp.seq_no)?;
    let flags = match h.flags.0 {
        0 => "0x00".to_string(),
        f => format!("0x{f:02x} ({})", h.flags),
    };
    line(out, 2, "flags", &flags, sp.flags)?;
    line(
        out,
        2,
        "session_id",
        &format!("0x{:08x} ({})", h.session_id, h.session_id),
        sp.session_id,
    )?;
    line(out, 2, "length", &h.length.to_string(), sp.length)?;
    let state = match pdu.body_state {
        BodyState::Clear => "clear (TAC_PLUS_UNENCRYPTED_FLAG)".to_string(),
        BodyState::Deobfuscated => match pdu.key_index {
            Some(i) => format!("de-obfuscated with key #{}", i + 1),
            None => "de-obfuscated".to_string(),
        },
        BodyState::Obfuscated => "obfuscated (no key given)".to_string(),
        BodyState::WrongKey => "not readable: probably wrong key".to_string(),
    };
    writeln!(out, "    Body: {state}")?;
    hex_lines(out, "body_clear_hex", &pdu.body_clear)?;
    // A body read with the wrong key is noise: its hex above is all there is to see.
    if pdu.body_state != BodyState::WrongKey {
        let json = serde_json::to_string(&pdu.body).map_err(io::Error::other)?;
        let body: Node = serde_json::from_str(&json).map_err(io::Error::other)?;
        if let Node::Map(fields) = &body {
            let spans = body.get("spans");
            for (name, value) in fields {
                if name == "spans" || name == "kind" || name == "data_hex" {
                    continue;
                }
                value_lines(out, 2, name, value, spans.and_then(|s| s.get(name)))?;
            }
        }
    }
    if !pdu.diagnostics.is_empty() {
        writeln!(out, "    Diagnostics")?;
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

fn line(out: &mut dyn Write, depth: usize, name: &str, value: &str, span: Span) -> io::Result<()> {
    let w = depth * 4;
    if span.is_empty() {
        // A header cut short: the field is not in the input.
        return writeln!(out, "{:w$}{name}: (missing)", "");
    }
    writeln!(
        out,
        "{:w$}{name}: {value}  [{}..{})",
        "", span.start, span.end
    )
}

/// `name: <hex>`, 32 bytes per line.
fn hex_lines(out: &mut dyn Write, name: &str, bytes: &[u8]) -> io::Result<()> {
    if bytes.is_empty() {
        return writeln!(out, "        {name}: (empty)");
    }
    for (i, chunk) in bytes.chunks(32).enumerate() {
        let label = if i == 0 {
            format!("{name}:")
        } else {
            String::new()
        };
        writeln!(
            out,
            "        {label:w$} {}",
            casplus::codec::hex::encode(chunk),
            w = name.len() + 1
        )?;
    }
    Ok(())
}

/// One body field, recursing into lists and objects.
fn value_lines(
    out: &mut dyn Write,
    depth: usize,
    name: &str,
    value: &Node,
    span: Option<&Node>,
) -> io::Result<()> {
    let pad = depth * 4;
    let quoted = TEXT_FIELDS.contains(&name);
    match value {
        Node::List(items) if items.is_empty() => writeln!(out, "{:pad$}{name}: (none)", ""),
        // Flag names and other short lists of words: one line.
        Node::List(items)
            if !quoted
                && items
                    .iter()
                    .all(|i| !matches!(i, Node::List(_) | Node::Map(_))) =>
        {
            writeln!(out, "{:pad$}{name}: {}{}", "", inline(value), range(span))
        }
        Node::List(items) => {
            writeln!(out, "{:pad$}{name}: {} item(s)", "", items.len())?;
            for (i, item) in items.iter().enumerate() {
                let item_span = span.and_then(|s| s.at(i)).and_then(|s| s.get("value"));
                let label = format!("[{i}]");
                let shown = match item {
                    Node::Map(_) => inline(item),
                    _ => format!("{}{}", scalar(item, quoted), range(item_span)),
                };
                writeln!(out, "{:w$}{label}: {shown}", "", w = pad + 4)?;
            }
            Ok(())
        }
        Node::Map(map) => {
            writeln!(out, "{:pad$}{name}", "")?;
            for (k, v) in map {
                value_lines(out, depth + 1, k, v, None)?;
            }
            Ok(())
        }
        _ => writeln!(
            out,
            "{:pad$}{name}: {}{}",
            "",
            scalar(value, quoted),
            range(span)
        ),
    }
}

fn scalar(v: &Node, quoted: bool) -> String {
    match v {
        Node::Str(s) if quoted => format!("\"{s}\""),
        Node::Str(s) => s.clone(),
        Node::Null => "(none)".into(),
        Node::Bool(b) => b.to_string(),
        Node::Int(n) => n.to_string(),
        Node::Float(f) => f.to_string(),
        Node::List(_) | Node::Map(_) => inline(v),
    }
}

/// A list or object on one line: `name="priv-lvl" value="15" mandatory=true`.
fn inline(v: &Node) -> String {
    match v {
        Node::Map(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", scalar(v, TEXT_FIELDS.contains(&k.as_str()))))
            .collect::<Vec<_>>()
            .join(" "),
        Node::List(items) => {
            let parts: Vec<_> = items.iter().map(|i| scalar(i, false)).collect();
            format!("[{}]", parts.join(", "))
        }
        other => scalar(other, false),
    }
}

fn range(span: Option<&Node>) -> String {
    let get = |k| match span.and_then(|s| s.get(k)) {
        Some(Node::Int(n)) => Some(*n),
        _ => None,
    };
    match (get("start"), get("end")) {
        (Some(s), Some(e)) => format!("  [{s}..{e})"),
        _ => String::new(),
    }
}

/// A JSON value that keeps the order of object keys (the codec writes fields in RFC order;
/// `serde_json::Value` would sort them).
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
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

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Int(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Node::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut fields = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Node>()? {
            fields.push((k, v));
        }
        Ok(Node::Map(fields))
    }
}
