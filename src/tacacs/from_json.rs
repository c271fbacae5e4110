//! The decode JSON read back: the inverse of [`super::json`] for what a packet needs. A
//! [`PacketJson`] is the shape `casplus decode --json` (and the npm `decode`) emits for a PDU —
//! `{ header, body }` with RFC 8907 names — and [`PacketJson::into_packet`] maps it onto a
//! [`Header`] and [`Body`]: names to wire values (any letter case, or the number), escaped
//! text to bytes ([`super::text::unescape`]), `data_hex` to bytes. Lengths are left to the
//! encoder, every other rule to the codec. Fields a body kind does not have are refused.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, Visitor};

use super::body::Body;
use super::enums::{
    AcctFlags, AcctStatus, AuthenAction, AuthenMethod, AuthenService, AuthenStatus, AuthenType,
    AuthorStatus, ContinueFlags, HeaderFlags, PacketType, PrivLvl, ReplyFlags,
};
use super::header::Header;
use super::text::unescape;
use super::{AcctReply, AcctRequest, AuthenContinue, AuthenReply, AuthenStart, AuthorRequest};
use super::{AuthorResponse, UnknownBody};

/// A packet as the decode JSON has it. A decoded PDU can be read as is: fields other than
/// `header` and `body` are ignored.
#[derive(Debug, Deserialize)]
pub struct PacketJson {
    /// The header (`length` is computed).
    pub header: HeaderJson,
    /// The body; its `kind` must match the header's `type` and `seq_no` (§4.1).
    pub body: BodyJson,
}

fn major_default() -> u8 {
    Header::MAJOR_VER
}

/// The version byte (`major << 4 | minor`), both 4-bit numbers checked (§4.1).
pub fn version_byte(major: u8, minor: u8) -> Result<u8, String> {
    if major > 0x0f || minor > 0x0f {
        return Err(format!(
            "major ({major}) and minor ({minor}) are 4-bit version numbers (0..15, §4.1)"
        ));
    }
    Ok((major << 4) | minor)
}

/// A header as the decode JSON has it (§4.1); `length` and `spans` are accepted and ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderJson {
    /// `major_version` (default 12).
    #[serde(default = "major_default")]
    pub major: u8,
    /// `minor_version` (default 0; 1 for PAP/CHAP/MS-CHAP authentication, §5.4.1).
    #[serde(default)]
    pub minor: u8,
    /// `type`: `"AUTHEN"`, `"AUTHOR"`, `"ACCT"` or a number.
    #[serde(rename = "type")]
    pub packet_type: WireValue,
    /// `seq_no` (odd from the client, §4.1).
    pub seq_no: u8,
    /// `flags`: names (`"UNENCRYPTED"`, `"SINGLE_CONNECT"`), `"0x.."` bits, or a number.
    #[serde(default)]
    pub flags: FlagsValue,
    /// `session_id`.
    pub session_id: u32,
    /// Ignored: computed from the body.
    #[serde(default)]
    pub length: Option<u32>,
    /// Ignored.
    #[serde(default)]
    pub spans: Option<IgnoredAny>,
}

/// A body as the decode JSON has it, by `kind`: every field of every kind, checked against the
/// `kind` when mapped (one flat struct reads smaller than a tagged enum). Text fields are in
/// the escaped form of [`super::text::escape`]; `data` may come as `data_hex` instead; derived
/// fields (`spans`, `chap`, `av_pairs`, `record`, `acct`) are accepted and ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyJson {
    kind: String,
    action: Option<WireValue>,
    priv_lvl: Option<u8>,
    authen_type: Option<WireValue>,
    authen_service: Option<WireValue>,
    authen_method: Option<WireValue>,
    status: Option<WireValue>,
    flags: Option<FlagsValue>,
    user: Option<EscapedText>,
    port: Option<EscapedText>,
    rem_addr: Option<EscapedText>,
    server_msg: Option<EscapedText>,
    user_msg: Option<EscapedText>,
    data: Option<EscapedText>,
    data_hex: Option<String>,
    args: Option<Vec<EscapedText>>,
    // derived by decode; accepted and ignored
    chap: Option<IgnoredAny>,
    av_pairs: Option<IgnoredAny>,
    record: Option<IgnoredAny>,
    acct: Option<IgnoredAny>,
    #[allow(dead_code)] // accepted anywhere, never read
    spans: Option<IgnoredAny>,
}

/// An enumerated wire value: its RFC 8907 name (`"PAP"`, `"PASS_ADD"`; any letter case) or
/// its number (0..255).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WireValue {
    /// A name.
    Name(String),
    /// A number (range checked when mapped).
    Number(i64),
}

impl<'de> Deserialize<'de> for WireValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WireValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 8907 name (string) or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WireValue, E> {
                Ok(WireValue::Name(v.to_owned()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WireValue, E> {
                Ok(WireValue::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WireValue, E> {
                Ok(WireValue::Number(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<WireValue, E> {
                // Only whole numbers reach the range check; others are refused here.
                if v.fract() == 0.0 && v.abs() < 1e15 {
                    Ok(WireValue::Number(v as i64))
                } else {
                    Err(E::custom("a wire value is a name or a whole number"))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A bit set: a list of names (`"SINGLE_CONNECT"`) and `"0x.."` bits, as `decode` emits
/// it, or the byte as a number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FlagsValue {
    /// No flag.
    #[default]
    None,
    /// Names and `0x..` strings.
    Names(Vec<String>),
    /// The byte.
    Number(i64),
}

impl<'de> Deserialize<'de> for FlagsValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FlagsValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of flag names or a number")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<FlagsValue, A::Error> {
                let mut v = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    v.push(s);
                }
                Ok(FlagsValue::Names(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FlagsValue, E> {
                Ok(FlagsValue::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FlagsValue, E> {
                Ok(FlagsValue::Number(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<FlagsValue, E> {
                Ok(FlagsValue::None)
            }
        }
        d.deserialize_any(V)
    }
}

/// Bytes of a text or data field: a string in `decode`'s escaped form (`\\xNN` is any byte).
/// `Debug` shows the length only (fields like `data` carry passwords).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EscapedText(Vec<u8>);

impl fmt::Debug for EscapedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EscapedText(<{} bytes>)", self.0.len())
    }
}

impl<'de> Deserialize<'de> for EscapedText {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = EscapedText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string (escaped as decode shows it)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EscapedText, E> {
                unescape(v)
                    .map(EscapedText)
                    .map_err(|e| E::custom(format!("{e} of {v:?}")))
            }
        }
        d.deserialize_any(V)
    }
}

/// Hex digits to bytes (no separators; either letter case).
fn unhex(field: &str, s: &str) -> Result<Vec<u8>, String> {
    crate::codec::hex::decode(s).map_err(|e| match e {
        crate::codec::hex::HexError::NotHex(_) => format!("{field} is not hex: {s:?}"),
        crate::codec::hex::HexError::OddLength => {
            format!("{field} has an odd number of hex digits")
        }
    })
}

/// `data` from `data` or `data_hex` (both given: they must agree).
fn data_of(data: Option<EscapedText>, data_hex: Option<String>) -> Result<Vec<u8>, String> {
    let hex = data_hex.map(|h| unhex("data_hex", &h)).transpose()?;
    match (data, hex) {
        (Some(d), Some(h)) if d.0 != h => {
            Err("data and data_hex are both given and differ; give one".to_owned())
        }
        (Some(d), _) => Ok(d.0),
        (None, Some(h)) => Ok(h),
        (None, None) => Ok(Vec::new()),
    }
}

/// The byte an enumerated field stands for: a name (any letter case) that `name_of` gives some
/// byte, or a number 0..255.
fn wire(field: &str, v: &WireValue, name_of: fn(u8) -> Option<&'static str>) -> Result<u8, String> {
    match v {
        WireValue::Number(n) => {
            u8::try_from(*n).map_err(|_| format!("{field} {n} is not a byte (0..255)"))
        }
        WireValue::Name(s) => (0..=u8::MAX)
            .find(|&b| name_of(b).is_some_and(|n| n.eq_ignore_ascii_case(s)))
            .ok_or_else(|| {
                let names: Vec<&str> = (0..=u8::MAX).filter_map(name_of).collect();
                format!(
                    "{field} {s:?} is none of {} (or a number)",
                    names.join(", ")
                )
            }),
    }
}

/// The byte of a flags field: defined names (per `names_of`), `0x..` bits, or a number.
fn flags(field: &str, v: &FlagsValue, names_of: fn(u8) -> Vec<&'static str>) -> Result<u8, String> {
    match v {
        FlagsValue::None => Ok(0),
        FlagsValue::Number(n) => {
            u8::try_from(*n).map_err(|_| format!("{field} {n} is not a byte (0..255)"))
        }
        FlagsValue::Names(list) => {
            let mut byte = 0u8;
            for s in list {
                let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"));
                let bit = match hex {
                    Some(h) => u8::from_str_radix(h, 16).ok(),
                    None => (0..8)
                        .map(|b| 1u8 << b)
                        .find(|&b| names_of(b).iter().any(|n| n.eq_ignore_ascii_case(s))),
                };
                byte |= bit.ok_or_else(|| {
                    let known: Vec<&str> = (0..8).flat_map(|b| names_of(1u8 << b)).collect();
                    format!(
                        "{field} {s:?} is none of {} (or a \"0x..\" bit)",
                        known.join(", ")
                    )
                })?;
            }
            Ok(byte)
        }
    }
}

impl BodyJson {
    /// Refuses fields that the body's kind does not have (a typo would otherwise be lost).
    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        let present = [
            ("action", self.action.is_some()),
            ("priv_lvl", self.priv_lvl.is_some()),
            ("authen_type", self.authen_type.is_some()),
            ("authen_service", self.authen_service.is_some()),
            ("authen_method", self.authen_method.is_some()),
            ("status", self.status.is_some()),
            ("flags", self.flags.is_some()),
            ("user", self.user.is_some()),
            ("port", self.port.is_some()),
            ("rem_addr", self.rem_addr.is_some()),
            ("server_msg", self.server_msg.is_some()),
            ("user_msg", self.user_msg.is_some()),
            ("data", self.data.is_some()),
            ("data_hex", self.data_hex.is_some()),
            ("args", self.args.is_some()),
            ("chap", self.chap.is_some()),
            ("av_pairs", self.av_pairs.is_some()),
            ("record", self.record.is_some()),
            ("acct", self.acct.is_some()),
        ];
        match present.iter().find(|(n, p)| *p && !allowed.contains(n)) {
            Some((n, _)) => Err(format!("an {} body has no field {n}", self.kind)),
            None => Ok(()),
        }
    }
}

/// A required field.
fn req<T>(field: &str, v: Option<T>) -> Result<T, String> {
    v.ok_or_else(|| format!("missing field {field}"))
}

fn text(v: Option<EscapedText>) -> Vec<u8> {
    v.map(|o| o.0).unwrap_or_default()
}

fn arg_list(v: Option<Vec<EscapedText>>) -> Vec<Vec<u8>> {
    v.unwrap_or_default().into_iter().map(|o| o.0).collect()
}

impl PacketJson {
    /// The codec's header and body (the header's `length` is left to the encoder).
    pub fn into_packet(self) -> Result<(Header, Body), String> {
        let h = &self.header;
        version_byte(h.major, h.minor)?;
        let mut header = Header::new(
            PacketType(wire("type", &h.packet_type, |b| PacketType(b).name())?),
            h.minor,
            h.seq_no,
            h.session_id,
        );
        header.major = h.major;
        header.flags = HeaderFlags(flags("flags", &h.flags, |b| HeaderFlags(b).names())?);

        let b = self.body;
        let method = |v: Option<WireValue>| {
            wire("authen_method", &req("authen_method", v)?, |b| {
                AuthenMethod(b).name()
            })
            .map(AuthenMethod)
        };
        let atype = |v: Option<WireValue>| {
            wire("authen_type", &req("authen_type", v)?, |b| {
                AuthenType(b).name()
            })
            .map(AuthenType)
        };
        let service = |v: Option<WireValue>| {
            wire("authen_service", &req("authen_service", v)?, |b| {
                AuthenService(b).name()
            })
            .map(AuthenService)
        };
        let lvl = |v: Option<u8>| req("priv_lvl", v).map(PrivLvl);
        let flag_byte = |v: &Option<FlagsValue>, names: fn(u8) -> Vec<&'static str>| match v {
            Some(f) => flags("flags", f, names),
            None => Ok(0),
        };

        let body = match b.kind.as_str() {
            "authen_start" => {
                b.only(super::json::body_fields("authen_start").unwrap_or_default())?;
                Body::AuthenStart(AuthenStart {
                    action: AuthenAction(wire("action", &req("action", b.action)?, |b| {
                        AuthenAction(b).name()
                    })?),
                    priv_lvl: lvl(b.priv_lvl)?,
                    authen_type: atype(b.authen_type)?,
                    authen_service: service(b.authen_service)?,
                    user: text(b.user),
                    port: text(b.port),
                    rem_addr: text(b.rem_addr),
                    data: data_of(b.data, b.data_hex)?,
                    ..Default::default()
                })
            }
            "authen_reply" => {
                b.only(super::json::body_fields("authen_reply").unwrap_or_default())?;
                Body::AuthenReply(AuthenReply {
                    status: AuthenStatus(wire("status", &req("status", b.status)?, |b| {
                        AuthenStatus(b).name()
                    })?),
                    flags: ReplyFlags(flag_byte(&b.flags, |x| ReplyFlags(x).names())?),
                    server_msg: text(b.server_msg),
                    data: data_of(b.data, b.data_hex)?,
                    ..Default::default()
                })
            }
            "authen_continue" => {
                b.only(super::json::body_fields("authen_continue").unwrap_or_default())?;
                Body::AuthenContinue(AuthenContinue {
                    flags: ContinueFlags(flag_byte(&b.flags, |x| ContinueFlags(x).names())?),
                    user_msg: text(b.user_msg),
                    data: data_of(b.data, b.data_hex)?,
                    ..Default::default()
                })
            }
            "author_request" => {
                b.only(super::json::body_fields("author_request").unwrap_or_default())?;
                Body::AuthorRequest(AuthorRequest {
                    authen_method: method(b.authen_method)?,
                    priv_lvl: lvl(b.priv_lvl)?,
                    authen_type: atype(b.authen_type)?,
                    authen_service: service(b.authen_service)?,
                    user: text(b.user),
                    port: text(b.port),
                    rem_addr: text(b.rem_addr),
                    args: arg_list(b.args),
                    ..Default::default()
                })
            }
            "author_response" => {
                b.only(super::json::body_fields("author_response").unwrap_or_default())?;
                Body::AuthorResponse(AuthorResponse {
                    status: AuthorStatus(wire("status", &req("status", b.status)?, |b| {
                        AuthorStatus(b).name()
                    })?),
                    server_msg: text(b.server_msg),
                    data: data_of(b.data, b.data_hex)?,
                    args: arg_list(b.args),
                    ..Default::default()
                })
            }
            "acct_request" => {
                b.only(super::json::body_fields("acct_request").unwrap_or_default())?;
                Body::AcctRequest(AcctRequest {
                    flags: AcctFlags(flags("flags", &req("flags", b.flags)?, |x| {
                        AcctFlags(x).names()
                    })?),
                    authen_method: method(b.authen_method)?,
                    priv_lvl: lvl(b.priv_lvl)?,
                    authen_type: atype(b.authen_type)?,
                    authen_service: service(b.authen_service)?,
                    user: text(b.user),
                    port: text(b.port),
                    rem_addr: text(b.rem_addr),
                    args: arg_list(b.args),
                    ..Default::default()
                })
            }
            "acct_reply" => {
                b.only(super::json::body_fields("acct_reply").unwrap_or_default())?;
                Body::AcctReply(AcctReply {
                    status: AcctStatus(wire("status", &req("status", b.status)?, |b| {
                        AcctStatus(b).name()
                    })?),
                    server_msg: text(b.server_msg),
                    data: data_of(b.data, b.data_hex)?,
                    ..Default::default()
                })
            }
            "unknown" => {
                b.only(super::json::body_fields("unknown").unwrap_or_default())?;
                Body::Unknown(UnknownBody {
                    data: unhex("data_hex", &req("data_hex", b.data_hex)?)?,
                    ..Default::default()
                })
            }
            other => {
                return Err(format!(
                    "body kind {other:?} is none of authen_start, authen_reply, authen_continue, \
                     author_request, author_response, acct_request, acct_reply, unknown"
                ));
            }
        };
        Ok((header, body))
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
    use serde_json::{Value, json};

    use super::*;
    use crate::tacacs;

    fn packet(v: Value) -> Result<(tacacs::Header, tacacs::Body), String> {
        serde_json::from_value::<PacketJson>(v)
            .map_err(|e| e.to_string())?
            .into_packet()
    }

    /// `encode(decode(b)) == b` through the JSON shape, for every codec vector (RFC 8907
    /// §4.1, §5-§7): what `decode` emits, `encodePacket` turns back into the same bytes.
    #[test]
    fn every_decoded_vector_encodes_back_to_its_bytes() {
        for v in tacacs::vectors::codec_vectors() {
            let name = &v.name;
            let pdu = match tacacs::decode_pdu(
                &v.wire,
                &tacacs::DecodeOptions::with_key(v.key.clone()),
            ) {
                tacacs::Decoded::Complete(p) => p,
                other => panic!("{name}: {other:?}"),
            };
            let (h, b) = packet(serde_json::to_value(&pdu).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let again = tacacs::encode_packet(&h, &b, Some(&v.key)).unwrap();
            assert_eq!(again, v.wire, "{name}");
        }
    }

    fn start() -> Value {
        json!({
            "header": {"type": "AUTHEN", "seq_no": 1, "session_id": 1, "minor": 1},
            "body": {"kind": "authen_start", "action": "LOGIN", "priv_lvl": 1,
                     "authen_type": "pap", "authen_service": "LOGIN", "user": "alice",
                     "data": "pw"}
        })
    }

    #[test]
    fn a_hand_written_packet_maps_names_case_insensitively_and_defaults_the_rest() {
        let (h, b) = packet(start()).unwrap();
        assert_eq!(h.major, 12);
        assert_eq!(h.minor, 1);
        assert_eq!(h.flags.0, 0);
        match b {
            tacacs::Body::AuthenStart(s) => {
                assert_eq!(s.authen_type, tacacs::AuthenType::PAP);
                assert_eq!(s.user, b"alice");
                assert_eq!(s.data, b"pw");
                assert!(s.port.is_empty());
            }
            other => panic!("{other:?}"),
        }
        let mut v = start();
        v["header"]["flags"] = json!(["SINGLE_CONNECT", "0x80"]);
        v["body"]["action"] = json!(200);
        let (h, b) = packet(v).unwrap();
        assert_eq!(h.flags.0, 0x84);
        assert!(matches!(b, tacacs::Body::AuthenStart(s) if s.action.0 == 200));
    }

    #[test]
    fn bad_packets_say_what_is_wrong() {
        type Edit = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|v| v["body"]["authen_type"] = json!("PAPX")),
                "authen_type \"PAPX\" is none of",
            ),
            (
                Box::new(|v| v["body"]["action"] = json!(256)),
                "action 256 is not a byte",
            ),
            (
                Box::new(|v| v["header"]["flags"] = json!(["NOECHO"])),
                "flags \"NOECHO\" is none of",
            ),
            (
                Box::new(|v| {
                    v["body"].as_object_mut().unwrap().remove("priv_lvl");
                }),
                "missing field priv_lvl",
            ),
            (
                Box::new(|v| v["body"]["status"] = json!("PASS")),
                "has no field status",
            ),
            (
                Box::new(|v| v["body"]["usr"] = json!("x")),
                "unknown field `usr`",
            ),
            (
                Box::new(|v| v["body"]["data_hex"] = json!("00")),
                "data and data_hex",
            ),
            (
                Box::new(|v| v["body"]["user"] = json!("\\q")),
                "invalid escape",
            ),
            (
                Box::new(|v| v["body"]["kind"] = json!("authen_stop")),
                "body kind \"authen_stop\"",
            ),
            (
                Box::new(|v| v["header"]["major"] = json!(16)),
                "4-bit version",
            ),
            (Box::new(|v| v["header"]["seq_no"] = json!(1.5)), ""),
        ];
        for (edit, want) in cases {
            let mut v = start();
            edit(&mut v);
            let err = packet(v.clone()).unwrap_err();
            assert!(err.contains(want), "{v}: {err}");
        }
    }

    #[test]
    fn unknown_bodies_take_their_bytes_from_data_hex() {
        let v = json!({"header": {"type": 9, "seq_no": 1, "session_id": 7, "flags": 1},
                       "body": {"kind": "unknown", "data_hex": "0A0b"}});
        let (h, b) = packet(v).unwrap();
        assert_eq!(h.packet_type.0, 9);
        assert!(matches!(b, tacacs::Body::Unknown(u) if u.data == [0x0a, 0x0b]));
    }
}
