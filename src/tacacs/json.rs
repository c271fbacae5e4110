//! `serde::Serialize` for [`Pdu`], [`Header`] and [`Body`]: the `casplus decode --json`
//! schema (also the PDUs of the npm `decode` and the inspector).
//!
//! The schema is defined once, here: the key lists below ([`PDU`], [`HEADER`], [`BODY`], …)
//! are what the serialisers write, a test checks every decoded vector against them, and tests
//! check the tables of docs/decode-json.md (`tests/cli.rs`) and the npm package's TypeScript declarations
//! (`src/wasm/schema.rs`) against the same lists, so none of them can drift.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use super::Pdu;
use super::acct::AcctRequest;
use super::authen::{AuthenStart, ChapKind};
use super::author::AvPair;
use super::body::Body;
use super::enums::AcctRecordKind;
use super::header::Header;
use super::text::escape;
use crate::codec::hex::encode as hex;

/// The keys of a PDU line, in the order they are written.
pub const PDU: &[&str] = &[
    "offset",
    "complete",
    "direction",
    "header",
    "key_index",
    "body_state",
    "body_clear_hex",
    "body",
    "diagnostics",
    "span",
];

/// The keys of `header` (§4.1).
pub const HEADER: &[&str] = &[
    "major",
    "minor",
    "type",
    "seq_no",
    "flags",
    "session_id",
    "length",
    "spans",
];

/// The fields of `body` per `kind` (besides `kind` first and `spans` last), in the order they
/// are written; `chap` (AUTHEN START) is present only for CHAP and MS-CHAP logins.
pub const BODY: &[(&str, &[&str])] = &[
    (
        "authen_start",
        &[
            "action",
            "priv_lvl",
            "authen_type",
            "authen_service",
            "user",
            "port",
            "rem_addr",
            "data",
            "data_hex",
            "chap",
        ],
    ),
    (
        "authen_reply",
        &["status", "flags", "server_msg", "data", "data_hex"],
    ),
    (
        "authen_continue",
        &["user_msg", "data", "data_hex", "flags"],
    ),
    (
        "author_request",
        &[
            "authen_method",
            "priv_lvl",
            "authen_type",
            "authen_service",
            "user",
            "port",
            "rem_addr",
            "args",
            "av_pairs",
        ],
    ),
    (
        "author_response",
        &[
            "status",
            "server_msg",
            "data",
            "data_hex",
            "args",
            "av_pairs",
        ],
    ),
    (
        "acct_request",
        &[
            "flags",
            "record",
            "authen_method",
            "priv_lvl",
            "authen_type",
            "authen_service",
            "user",
            "port",
            "rem_addr",
            "args",
            "av_pairs",
            "acct",
        ],
    ),
    ("acct_reply", &["status", "server_msg", "data", "data_hex"]),
    ("unknown", &["data_hex"]),
];

/// The keys of one entry of `diagnostics`.
pub const DIAGNOSTIC: &[&str] = &["code", "severity", "message", "offset"];

/// The keys of `body.chap` (§5.4.2.3-5).
pub const CHAP: &[&str] = &["kind", "id", "challenge_hex", "response_hex", "size_ok"];

/// The keys of one entry of `body.av_pairs` (§6.1).
pub const AV_PAIR: &[&str] = &["name", "value", "mandatory"];

/// The keys `body.acct` may have (§8.3); each only when sent.
pub const ACCT: &[&str] = &[
    "task_id",
    "start_time",
    "stop_time",
    "elapsed_time",
    "timezone",
    "bytes_in",
    "bytes_out",
];

/// The body fields of `kind` (see [`BODY`]).
pub fn body_fields(kind: &str) -> Option<&'static [&'static str]> {
    BODY.iter().find(|(k, _)| *k == kind).map(|(_, f)| *f)
}

/// A text field as an escaped string.
struct Txt<'a>(&'a [u8]);

impl Serialize for Txt<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match super::text::plain(self.0) {
            Some(text) => s.serialize_str(text),
            None => s.serialize_str(&escape(self.0)),
        }
    }
}

/// A list of arguments as escaped strings.
struct Args<'a>(&'a [Vec<u8>]);

impl Serialize for Args<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for a in self.0 {
            seq.serialize_element(&Txt(a))?;
        }
        seq.end()
    }
}

/// The AV-pair view of a list of arguments.
struct AvPairs<'a>(&'a [Vec<u8>]);

impl Serialize for AvPairs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for a in self.0 {
            let av = AvPair::split(a);
            let mandatory = av
                .separator
                .map_or(Json::Null, |_| Json::Bool(av.is_mandatory()));
            seq.serialize_element(&Obj(vec![
                ("name", Json::Str(escape(av.name))),
                ("value", Json::Str(escape(av.value))),
                ("mandatory", mandatory),
            ]))?;
        }
        seq.end()
    }
}

/// A tiny JSON value for nested objects.
enum Json {
    Str(String),
    Bool(bool),
    Num(u64),
    Span(crate::codec::Span),
    Null,
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Str(v) => s.serialize_str(v),
            Self::Bool(v) => s.serialize_bool(*v),
            Self::Num(v) => s.serialize_u64(*v),
            Self::Span(v) => v.serialize(s),
            Self::Null => s.serialize_none(),
        }
    }
}

/// An ordered JSON object.
struct Obj(Vec<(&'static str, Json)>);

impl Serialize for Obj {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for Header {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(8))?;
        m.serialize_entry("major", &self.major)?;
        m.serialize_entry("minor", &self.minor)?;
        m.serialize_entry("type", &self.packet_type)?;
        m.serialize_entry("seq_no", &self.seq_no)?;
        m.serialize_entry("flags", &self.flags)?;
        m.serialize_entry("session_id", &self.session_id)?;
        m.serialize_entry("length", &self.length)?;
        m.serialize_entry("spans", &self.spans)?;
        m.end()
    }
}

/// The CHAP kind's JSON name (a fixed table: no `Debug` formatting, no Unicode case tables).
fn chap_kind(k: ChapKind) -> &'static str {
    match k {
        ChapKind::Chap => "chap",
        ChapKind::MsChapV1 => "mschapv1",
        ChapKind::MsChapV2 => "mschapv2",
    }
}

fn chap_json(b: &AuthenStart) -> Option<Obj> {
    let c = b.chap()?;
    Some(Obj(vec![
        ("kind", Json::Str(chap_kind(c.kind).to_owned())),
        ("id", c.id.map_or(Json::Null, |v| Json::Num(v.into()))),
        ("challenge_hex", Json::Str(hex(c.challenge))),
        ("response_hex", Json::Str(hex(c.response))),
        ("size_ok", Json::Bool(c.size_problem().is_none())),
    ]))
}

fn record_kind(b: &AcctRequest) -> &'static str {
    match b.flags.record_kind() {
        AcctRecordKind::Start => "start",
        AcctRecordKind::Stop => "stop",
        AcctRecordKind::Watchdog => "watchdog",
        AcctRecordKind::WatchdogUpdate => "watchdog_update",
        AcctRecordKind::Invalid => "invalid",
    }
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", self.kind().as_str())?;
        match self {
            Self::AuthenStart(b) => {
                m.serialize_entry("action", &b.action)?;
                m.serialize_entry("priv_lvl", &b.priv_lvl)?;
                m.serialize_entry("authen_type", &b.authen_type)?;
                m.serialize_entry("authen_service", &b.authen_service)?;
                m.serialize_entry("user", &Txt(&b.user))?;
                m.serialize_entry("port", &Txt(&b.port))?;
                m.serialize_entry("rem_addr", &Txt(&b.rem_addr))?;
                m.serialize_entry("data", &Txt(&b.data))?;
                m.serialize_entry("data_hex", &hex(&b.data))?;
                if let Some(c) = chap_json(b) {
                    m.serialize_entry("chap", &c)?;
                }
                m.serialize_entry("spans", &b.spans)?;
            }
            Self::AuthenReply(b) => {
                m.serialize_entry("status", &b.status)?;
                m.serialize_entry("flags", &b.flags)?;
                m.serialize_entry("server_msg", &Txt(&b.server_msg))?;
                m.serialize_entry("data", &Txt(&b.data))?;
                m.serialize_entry("data_hex", &hex(&b.data))?;
                m.serialize_entry("spans", &b.spans)?;
            }
            Self::AuthenContinue(b) => {
                m.serialize_entry("user_msg", &Txt(&b.user_msg))?;
                m.serialize_entry("data", &Txt(&b.data))?;
                m.serialize_entry("data_hex", &hex(&b.data))?;
                m.serialize_entry("flags", &b.flags)?;
                m.serialize_entry("spans", &b.spans)?;
            }
            Self::AuthorRequest(b) => {
                m.serialize_entry("authen_method", &b.authen_method)?;
                m.serialize_entry("priv_lvl", &b.priv_lvl)?;
                m.serialize_entry("authen_type", &b.authen_type)?;
                m.serialize_entry("authen_service", &b.authen_service)?;
                m.serialize_entry("user", &Txt(&b.user))?;
                m.serialize_entry("port", &Txt(&b.port))?;
                m.serialize_entry("rem_addr", &Txt(&b.rem_addr))?;
                m.serialize_entry("args", &Args(&b.args))?;
                m.serialize_entry("av_pairs", &AvPairs(&b.args))?;
                m.serialize_entry("spans", &b.spans)?;
            }
            Self::AuthorResponse(b) => {
                m.serialize_entry("status", &b.status)?;
                m.serialize_entry("server_msg", &Txt(&b.server_msg))?;
                m.serialize_entry("data", &Txt(&b.data))?;
                m.serialize_entry("data_hex", &hex(&b.data))?;
                m.serialize_entry("args", &Args(&b.args))?;
                m.serialize_entry("av_pairs", &AvPairs(&b.args))?;
                m.serialize_entry("spans", &b.spans)?;
            }
            Self::AcctRequest(b) => {
                m.serialize_entry("flags", &b.flags)?;
                m.serialize_entry("record", record_kind(b))?;
                m.serialize_entry("authen_method", &b.authen_method)?;
                m.serialize_entry("priv_lvl", &b.priv_lvl)?;
                m.serialize_entry("authen_type", &b.authen_type)?;
                m.serialize_entry("authen_service", &b.authen_service)?;
                m.serialize_entry("user", &Txt(&b.user))?;
                m.serialize_entry("port", &Txt(&b.port))?;
                m.serialize_entry("rem_addr", &Txt(&b.rem_addr))?;
                m.serialize_entry("args", &Args(&b.args))?;
                m.serialize_entry("av_pairs", &AvPairs(&b.args))?;
                m.serialize_entry("acct", &b.acct_args())?;
                m.serialize_entry("spans", &b.spans)?;
            }
            Self::AcctReply(b) => {
                m.serialize_entry("status", &b.status)?;
                m.serialize_entry("server_msg", &Txt(&b.server_msg))?;
                m.serialize_entry("data", &Txt(&b.data))?;
                m.serialize_entry("data_hex", &hex(&b.data))?;
                m.serialize_entry("spans", &b.spans)?;
            }
            Self::Unknown(u) => {
                m.serialize_entry("data_hex", &hex(&u.data))?;
                m.serialize_entry("spans", &Obj(vec![("data", Json::Span(u.span))]))?;
            }
        }
        m.end()
    }
}

impl Serialize for Pdu {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(10))?;
        m.serialize_entry("offset", &self.offset)?;
        m.serialize_entry("complete", &self.complete)?;
        m.serialize_entry("direction", &self.direction)?;
        m.serialize_entry("header", &self.header)?;
        m.serialize_entry("key_index", &self.key_index)?;
        m.serialize_entry("body_state", &self.body_state)?;
        m.serialize_entry("body_clear_hex", &hex(&self.body_clear))?;
        m.serialize_entry("body", &self.body)?;
        m.serialize_entry("diagnostics", &self.diagnostics)?;
        m.serialize_entry("span", &self.span)?;
        m.end()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    /// The JSON names of the CHAP kinds (§5.4.2.3–5.4.2.5) are the lower-cased variant names,
    /// as they were when rendered through `Debug`.
    #[test]
    fn chap_kind_names_are_the_lowercased_variants_5_4_2() {
        for k in [ChapKind::Chap, ChapKind::MsChapV1, ChapKind::MsChapV2] {
            assert_eq!(chap_kind(k), format!("{k:?}").to_lowercase());
        }
    }

    fn keys(v: &serde_json::Value) -> Vec<&str> {
        v.as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    fn same_set(got: Vec<&str>, want: &[&str], what: &str) {
        let mut got = got;
        got.sort_unstable();
        let mut want = want.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "{what}");
    }

    /// Every known-answer vector (tests/vectors) renders exactly the keys the schema lists.
    #[test]
    fn every_decoded_vector_has_exactly_the_schema_keys() {
        use crate::tacacs::{DecodeOptions, Decoded, decode_pdu};
        for v in crate::tacacs::vectors::codec_vectors() {
            let Decoded::Complete(pdu) = decode_pdu(&v.wire, &DecodeOptions::with_key(v.key))
            else {
                panic!("{}", v.name);
            };
            let j = serde_json::to_value(&pdu).unwrap();
            same_set(keys(&j), PDU, "pdu");
            same_set(keys(&j["header"]), HEADER, "header");
            let body_kind = j["body"]["kind"].as_str().unwrap();
            let mut want = vec!["kind", "spans"];
            want.extend(body_fields(body_kind).unwrap());
            let got = keys(&j["body"]);
            if j["body"].get("chap").is_none() {
                want.retain(|k| *k != "chap");
            }
            same_set(got, &want, body_kind);
            if let Some(c) = j["body"].get("chap") {
                same_set(keys(c), CHAP, "chap");
            }
            for av in j["body"]["av_pairs"].as_array().into_iter().flatten() {
                same_set(keys(av), AV_PAIR, "av_pairs");
            }
            if let Some(a) = j["body"].get("acct") {
                assert!(keys(a).iter().all(|k| ACCT.contains(k)), "acct {a}");
            }
            for d in j["diagnostics"].as_array().unwrap() {
                same_set(keys(d), DIAGNOSTIC, "diagnostics");
            }
        }
    }
}
