//! What the exports accept, and its translation to core values. Translation only: the codec
//! has no `Deserialize` for packets, so this maps the JSON shape that `decode` emits (the
//! `casplus decode --json` schema) back onto [`tacacs::Header`] and [`tacacs::Body`] — names to
//! wire values, escaped text to bytes — and leaves every protocol rule to the codec.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
// Each of `decode` (feature wasm-tacacs) and `encodePacket`/`obfuscate` (wasm-encode) uses a
// part of this module; a build with one of them leaves the other part unused.
#![cfg_attr(
    not(all(feature = "wasm-tacacs", feature = "wasm-encode")),
    allow(dead_code)
)]

use core::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, Visitor};
use tsify::Tsify;

use crate::capture::{self, InputFormat};
use crate::tacacs::{self, Key};

use super::codes;

/// Options of `decode` (read property by property in [`super::decode_options`]: keys may be
/// `Uint8Array`s, which JSON cannot carry).
#[derive(Tsify)]
#[serde(rename_all = "camelCase")]
pub struct DecodeOptions {
    /// Candidate shared secrets (RFC 8907 §4.5), tried in order for every obfuscated PDU; a
    /// string is used as its UTF-8 bytes. `pdus[i].key_index` and `keys_ok` index this list.
    #[tsify(optional)]
    pub keys: Vec<KeyInput>,
    /// Force an input form instead of detecting it: `raw`, `hex`, `base64`, `tcpdump`,
    /// `hexdump` (Wireshark/tshark), `pcap`, `pcapng`.
    #[tsify(optional, type = "InputFormatName")]
    pub input_format: Option<String>,
}

/// The names `inputFormat` accepts (also `hex-dump`, `tshark`, `wireshark`, `pcap-ng`, `bin`).
#[derive(Tsify)]
#[tsify(
    type = "\"raw\" | \"hex\" | \"base64\" | \"tcpdump\" | \"hexdump\" | \"pcap\" | \"pcapng\" | (string & {})"
)]
pub struct InputFormatName;

/// The capture options for `keys` and an `inputFormat` name, or the error code and message.
pub(crate) fn capture_options(
    keys: Vec<Key>,
    input_format: Option<&str>,
) -> Result<capture::Options, (&'static str, String)> {
    let format = match input_format {
        None => None,
        Some(name) => Some(InputFormat::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = InputFormat::ALL.iter().map(|f| f.name()).collect();
            (
                codes::INVALID_INPUT_FORMAT,
                format!("inputFormat {name:?} is none of {}", known.join(", ")),
            )
        })?),
    };
    Ok(capture::Options {
        format,
        keys,
        ..capture::Options::default()
    })
}

/// A shared secret: a string (its UTF-8 bytes, as in a server's configuration file) or the
/// bytes themselves (read in [`super::key_from_js`]).
#[derive(Tsify)]
#[tsify(type = "string | Uint8Array")]
pub struct KeyInput;

/// The RFC 8907 §4.5 pad inputs for `obfuscate` (a decoded `pdu.header` fits; other fields
/// are ignored).
#[derive(Deserialize, Tsify)]
pub struct PadInput {
    /// `session_id`.
    pub session_id: u32,
    /// `seq_no`.
    pub seq_no: u8,
    /// `major_version` (default 12, `TAC_PLUS_MAJOR_VER`).
    #[serde(default = "major_default")]
    #[tsify(optional)]
    pub major: u8,
    /// `minor_version` (default 0; 1 for PAP/CHAP/MS-CHAP authentication, §5.4.1).
    #[serde(default)]
    #[tsify(optional)]
    pub minor: u8,
}

fn major_default() -> u8 {
    tacacs::Header::MAJOR_VER
}

impl PadInput {
    /// The version byte (`major << 4 | minor`), both nibbles checked.
    pub(crate) fn version(&self) -> Result<u8, String> {
        version_byte(self.major, self.minor)
    }
}

fn version_byte(major: u8, minor: u8) -> Result<u8, String> {
    if major > 0x0f || minor > 0x0f {
        return Err(format!(
            "major ({major}) and minor ({minor}) are 4-bit version numbers (0..15, §4.1)"
        ));
    }
    Ok((major << 4) | minor)
}

/// A packet for `encodePacket`: a header and a body in the shape `decode` emits. A decoded
/// PDU can be passed as is: fields other than `header` and `body` are ignored.
#[derive(Deserialize, Tsify)]
pub struct PacketInput {
    /// The header (`length` is computed).
    pub header: HeaderInput,
    /// The body; its `kind` must match the header's `type` and `seq_no` (§4.1).
    #[tsify(type = "BodyInput")]
    pub(crate) body: BodyFields,
}

/// A header as `decode` emits it (§4.1); `length` and `spans` are accepted and ignored.
#[derive(Deserialize, Tsify)]
#[serde(deny_unknown_fields)]
pub struct HeaderInput {
    /// `major_version` (default 12).
    #[serde(default = "major_default")]
    #[tsify(optional)]
    pub major: u8,
    /// `minor_version` (default 0; 1 for PAP/CHAP/MS-CHAP authentication, §5.4.1).
    #[serde(default)]
    #[tsify(optional)]
    pub minor: u8,
    /// `type`: `"AUTHEN"`, `"AUTHOR"`, `"ACCT"` or a number.
    #[serde(rename = "type")]
    pub packet_type: WireValue,
    /// `seq_no` (odd from the client, §4.1).
    pub seq_no: u8,
    /// `flags`: names (`"UNENCRYPTED"`, `"SINGLE_CONNECT"`), `"0x.."` bits, or a number.
    #[serde(default)]
    #[tsify(optional)]
    pub flags: FlagsInput,
    /// `session_id`.
    pub session_id: u32,
    /// Ignored: computed from the body.
    #[serde(default)]
    #[tsify(optional)]
    pub length: Option<u32>,
    /// Ignored.
    #[serde(default)]
    #[tsify(optional, type = "unknown")]
    pub spans: Option<IgnoredAny>,
}

/// A body as `decode` emits it, by `kind`. Text fields are strings in the escaped form
/// `decode` shows (`\\`, `\0`, `\t`, `\n`, `\r`, `\xNN`, `\u{N}`); `data` may come as
/// `data_hex` instead. Derived fields (`spans`, `chap`, `av_pairs`,
/// `record`, `acct`) are accepted and ignored.
#[derive(Tsify)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BodyInput {
    /// Authentication START (§5.1).
    AuthenStart {
        /// `action`: `LOGIN`, `CHPASS`, `SENDAUTH` (or a number).
        action: WireValue,
        /// `priv_lvl` (0..15).
        priv_lvl: u8,
        /// `authen_type`: `ASCII`, `PAP`, `CHAP`, `MSCHAP`, `MSCHAPV2`, ...
        authen_type: WireValue,
        /// `authen_service`: `LOGIN`, `ENABLE`, `PPP`, ...
        authen_service: WireValue,
        /// `user`.
        #[serde(default)]
        #[tsify(optional)]
        user: EscapedText,
        /// `port`.
        #[serde(default)]
        #[tsify(optional)]
        port: EscapedText,
        /// `rem_addr`.
        #[serde(default)]
        #[tsify(optional)]
        rem_addr: EscapedText,
        /// `data` (PAP password, CHAP id ‖ challenge ‖ response, ...).
        #[serde(default)]
        #[tsify(optional)]
        data: Option<EscapedText>,
        /// `data` as hex, instead of `data`.
        #[serde(default)]
        #[tsify(optional)]
        data_hex: Option<String>,
        /// Ignored (derived from `data`).
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        chap: Option<IgnoredAny>,
        /// Ignored.
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        spans: Option<IgnoredAny>,
    },
    /// Authentication REPLY (§5.2).
    AuthenReply {
        /// `status`: `PASS`, `FAIL`, `GETDATA`, `GETUSER`, `GETPASS`, `RESTART`, `ERROR`, ...
        status: WireValue,
        /// `flags`: `["NOECHO"]` or none.
        #[serde(default)]
        #[tsify(optional)]
        flags: FlagsInput,
        /// `server_msg`.
        #[serde(default)]
        #[tsify(optional)]
        server_msg: EscapedText,
        /// `data`.
        #[serde(default)]
        #[tsify(optional)]
        data: Option<EscapedText>,
        /// `data` as hex, instead of `data`.
        #[serde(default)]
        #[tsify(optional)]
        data_hex: Option<String>,
        /// Ignored.
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        spans: Option<IgnoredAny>,
    },
    /// Authentication CONTINUE (§5.3).
    AuthenContinue {
        /// `user_msg` (an ASCII password: a secret).
        #[serde(default)]
        #[tsify(optional)]
        user_msg: EscapedText,
        /// `data`.
        #[serde(default)]
        #[tsify(optional)]
        data: Option<EscapedText>,
        /// `data` as hex, instead of `data`.
        #[serde(default)]
        #[tsify(optional)]
        data_hex: Option<String>,
        /// `flags`: `["ABORT"]` or none.
        #[serde(default)]
        #[tsify(optional)]
        flags: FlagsInput,
        /// Ignored.
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        spans: Option<IgnoredAny>,
    },
    /// Authorization REQUEST (§6.1).
    AuthorRequest {
        /// `authen_method`: `NOT_SET`, `NONE`, `TACACSPLUS`, `LOCAL`, ...
        authen_method: WireValue,
        /// `priv_lvl` (0..15).
        priv_lvl: u8,
        /// `authen_type`.
        authen_type: WireValue,
        /// `authen_service`.
        authen_service: WireValue,
        /// `user`.
        #[serde(default)]
        #[tsify(optional)]
        user: EscapedText,
        /// `port`.
        #[serde(default)]
        #[tsify(optional)]
        port: EscapedText,
        /// `rem_addr`.
        #[serde(default)]
        #[tsify(optional)]
        rem_addr: EscapedText,
        /// Arguments as sent (`service=shell`, `cmd*`).
        #[serde(default)]
        #[tsify(optional)]
        args: Vec<EscapedText>,
        /// Ignored (derived from `args`).
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        av_pairs: Option<IgnoredAny>,
        /// Ignored.
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        spans: Option<IgnoredAny>,
    },
    /// Authorization RESPONSE (§6.2).
    AuthorResponse {
        /// `status`: `PASS_ADD`, `PASS_REPL`, `FAIL`, `ERROR`, ...
        status: WireValue,
        /// `server_msg`.
        #[serde(default)]
        #[tsify(optional)]
        server_msg: EscapedText,
        /// `data`.
        #[serde(default)]
        #[tsify(optional)]
        data: Option<EscapedText>,
        /// `data` as hex, instead of `data`.
        #[serde(default)]
        #[tsify(optional)]
        data_hex: Option<String>,
        /// Arguments.
        #[serde(default)]
        #[tsify(optional)]
        args: Vec<EscapedText>,
        /// Ignored (derived from `args`).
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        av_pairs: Option<IgnoredAny>,
        /// Ignored.
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        spans: Option<IgnoredAny>,
    },
    /// Accounting REQUEST (§7.1).
    AcctRequest {
        /// `flags`: `START`, `STOP`, `WATCHDOG` (§7.2 lists the valid combinations).
        flags: FlagsInput,
        /// `authen_method`.
        authen_method: WireValue,
        /// `priv_lvl` (0..15).
        priv_lvl: u8,
        /// `authen_type`.
        authen_type: WireValue,
        /// `authen_service`.
        authen_service: WireValue,
        /// `user`.
        #[serde(default)]
        #[tsify(optional)]
        user: EscapedText,
        /// `port`.
        #[serde(default)]
        #[tsify(optional)]
        port: EscapedText,
        /// `rem_addr`.
        #[serde(default)]
        #[tsify(optional)]
        rem_addr: EscapedText,
        /// Arguments (`task_id=7`, `start_time=...`, §8.3).
        #[serde(default)]
        #[tsify(optional)]
        args: Vec<EscapedText>,
        /// Ignored (derived from `flags`).
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        record: Option<IgnoredAny>,
        /// Ignored (derived from `args`).
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        av_pairs: Option<IgnoredAny>,
        /// Ignored (derived from `args`).
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        acct: Option<IgnoredAny>,
        /// Ignored.
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        spans: Option<IgnoredAny>,
    },
    /// Accounting REPLY (§7.2).
    AcctReply {
        /// `status`: `SUCCESS`, `ERROR`, ...
        status: WireValue,
        /// `server_msg`.
        #[serde(default)]
        #[tsify(optional)]
        server_msg: EscapedText,
        /// `data`.
        #[serde(default)]
        #[tsify(optional)]
        data: Option<EscapedText>,
        /// `data` as hex, instead of `data`.
        #[serde(default)]
        #[tsify(optional)]
        data_hex: Option<String>,
        /// Ignored.
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        spans: Option<IgnoredAny>,
    },
    /// Body bytes written as given (any header type).
    Unknown {
        /// The cleartext body, hex.
        data_hex: String,
        /// Ignored.
        #[serde(default)]
        #[tsify(optional, type = "unknown")]
        spans: Option<IgnoredAny>,
    },
}

/// What [`BodyInput`] is read into: every field of every kind, checked against the `kind` when
/// mapped (one flat struct reads smaller than a tagged enum).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BodyFields {
    kind: String,
    action: Option<WireValue>,
    priv_lvl: Option<u8>,
    authen_type: Option<WireValue>,
    authen_service: Option<WireValue>,
    authen_method: Option<WireValue>,
    status: Option<WireValue>,
    flags: Option<FlagsInput>,
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
#[derive(Clone, Debug, PartialEq, Eq, Tsify)]
#[tsify(type = "string | number")]
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
#[derive(Clone, Debug, Default, PartialEq, Eq, Tsify)]
#[tsify(type = "string[] | number")]
pub enum FlagsInput {
    /// No flag.
    #[default]
    None,
    /// Names and `0x..` strings.
    Names(Vec<String>),
    /// The byte.
    Number(i64),
}

impl<'de> Deserialize<'de> for FlagsInput {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FlagsInput;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of flag names or a number")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<FlagsInput, A::Error> {
                let mut v = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    v.push(s);
                }
                Ok(FlagsInput::Names(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FlagsInput, E> {
                Ok(FlagsInput::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FlagsInput, E> {
                Ok(FlagsInput::Number(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<FlagsInput, E> {
                Ok(FlagsInput::None)
            }
        }
        d.deserialize_any(V)
    }
}

/// Bytes of a text or data field: a string in `decode`'s escaped form (`\\xNN` is any byte).
/// `Debug` shows the length only (fields like `data` carry passwords).
#[derive(Clone, Default, PartialEq, Eq, Tsify)]
#[tsify(type = "string")]
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
                unescape(v).map(EscapedText).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// The bytes behind the escaped text form of [`tacacs::text::escape`] (its inverse):
/// `\\`, `\0`, `\t`, `\n`, `\r`, `\xNN` (one byte) and `\u{N..}` (a character, as UTF-8).
pub fn unescape(s: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    let bad = |at: usize| format!("invalid escape at character offset {at} of {s:?}");
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next().map(|(_, e)| e) {
            Some('\\') => out.push(b'\\'),
            Some('0') => out.push(0),
            Some('t') => out.push(b'\t'),
            Some('n') => out.push(b'\n'),
            Some('r') => out.push(b'\r'),
            Some('x') => {
                let hi = chars.next().and_then(|(_, d)| d.to_digit(16));
                let lo = chars.next().and_then(|(_, d)| d.to_digit(16));
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(((h << 4) | l) as u8),
                    _ => return Err(bad(at)),
                }
            }
            Some('u') => {
                if chars.next().map(|(_, d)| d) != Some('{') {
                    return Err(bad(at));
                }
                let mut v: u32 = 0;
                let mut digits = 0;
                loop {
                    match chars.next().map(|(_, d)| d) {
                        Some('}') if digits > 0 => break,
                        Some(d) if digits < 6 => {
                            let n = d.to_digit(16).ok_or_else(|| bad(at))?;
                            v = (v << 4) | n;
                            digits += 1;
                        }
                        _ => return Err(bad(at)),
                    }
                }
                let ch = char::from_u32(v).ok_or_else(|| bad(at))?;
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
            _ => return Err(bad(at)),
        }
    }
    Ok(out)
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
fn flags(field: &str, v: &FlagsInput, names_of: fn(u8) -> Vec<&'static str>) -> Result<u8, String> {
    match v {
        FlagsInput::None => Ok(0),
        FlagsInput::Number(n) => {
            u8::try_from(*n).map_err(|_| format!("{field} {n} is not a byte (0..255)"))
        }
        FlagsInput::Names(list) => {
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

impl BodyFields {
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

impl PacketInput {
    /// The codec's header and body (the header's `length` is left to the encoder).
    pub(crate) fn into_codec(self) -> Result<(tacacs::Header, tacacs::Body), String> {
        use tacacs::{
            AcctFlags, AcctStatus, AuthenAction, AuthenMethod, AuthenService, AuthenStatus,
            AuthenType, AuthorStatus, Body, ContinueFlags, HeaderFlags, PacketType, ReplyFlags,
        };
        let h = &self.header;
        version_byte(h.major, h.minor)?;
        let mut header = tacacs::Header::new(
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
        let lvl = |v: Option<u8>| req("priv_lvl", v).map(tacacs::PrivLvl);
        let flag_byte = |v: &Option<FlagsInput>, names: fn(u8) -> Vec<&'static str>| match v {
            Some(f) => flags("flags", f, names),
            None => Ok(0),
        };

        let body = match b.kind.as_str() {
            "authen_start" => {
                b.only(&[
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
                ])?;
                Body::AuthenStart(tacacs::AuthenStart {
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
                b.only(&["status", "flags", "server_msg", "data", "data_hex"])?;
                Body::AuthenReply(tacacs::AuthenReply {
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
                b.only(&["user_msg", "data", "data_hex", "flags"])?;
                Body::AuthenContinue(tacacs::AuthenContinue {
                    flags: ContinueFlags(flag_byte(&b.flags, |x| ContinueFlags(x).names())?),
                    user_msg: text(b.user_msg),
                    data: data_of(b.data, b.data_hex)?,
                    ..Default::default()
                })
            }
            "author_request" => {
                b.only(&[
                    "authen_method",
                    "priv_lvl",
                    "authen_type",
                    "authen_service",
                    "user",
                    "port",
                    "rem_addr",
                    "args",
                    "av_pairs",
                ])?;
                Body::AuthorRequest(tacacs::AuthorRequest {
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
                b.only(&[
                    "status",
                    "server_msg",
                    "data",
                    "data_hex",
                    "args",
                    "av_pairs",
                ])?;
                Body::AuthorResponse(tacacs::AuthorResponse {
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
                b.only(&[
                    "flags",
                    "authen_method",
                    "priv_lvl",
                    "authen_type",
                    "authen_service",
                    "user",
                    "port",
                    "rem_addr",
                    "args",
                    "record",
                    "av_pairs",
                    "acct",
                ])?;
                Body::AcctRequest(tacacs::AcctRequest {
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
                b.only(&["status", "server_msg", "data", "data_hex"])?;
                Body::AcctReply(tacacs::AcctReply {
                    status: AcctStatus(wire("status", &req("status", b.status)?, |b| {
                        AcctStatus(b).name()
                    })?),
                    server_msg: text(b.server_msg),
                    data: data_of(b.data, b.data_hex)?,
                    ..Default::default()
                })
            }
            "unknown" => {
                b.only(&["data_hex"])?;
                Body::Unknown(tacacs::UnknownBody {
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
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::tacacs::text::escape;

    proptest! {
        #[test]
        fn unescape_inverts_the_codec_text_rendering_3_7(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(unescape(&escape(&bytes)).unwrap(), bytes);
        }
    }

    #[test]
    fn unescape_refuses_what_escape_never_writes() {
        for bad in [
            "\\",
            "\\q",
            "\\x4",
            "\\xzz",
            "\\u{}",
            "\\u{110000}",
            "\\u{d800}",
            "\\u41",
        ] {
            assert!(unescape(bad).is_err(), "{bad:?}");
        }
        assert_eq!(unescape("a\\u{85}\\x00\\\\").unwrap(), b"a\xc2\x85\x00\\");
    }

    fn packet(v: Value) -> Result<(tacacs::Header, tacacs::Body), String> {
        serde_json::from_value::<PacketInput>(v)
            .map_err(|e| e.to_string())?
            .into_codec()
    }

    /// `encode(decode(b)) == b` through the JSON shape, for every codec vector (RFC 8907
    /// §4.1, §5-§7): what `decode` emits, `encodePacket` turns back into the same bytes.
    #[test]
    fn every_decoded_vector_encodes_back_to_its_bytes() {
        let mut n = 0;
        for kind in [
            "authen_start",
            "authen_reply",
            "authen_continue",
            "author_request",
            "author_response",
            "acct_request",
            "acct_reply",
        ] {
            let path = format!("{}/tests/vectors/{kind}.json", env!("CARGO_MANIFEST_DIR"));
            let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            for v in doc["vectors"].as_array().unwrap() {
                let name = v["name"].as_str().unwrap();
                let wire = super::unhex("pdu", v["pdu_hex"].as_str().unwrap()).unwrap();
                let key = Key::from_hex(v["key_hex"].as_str().unwrap_or("")).unwrap();
                let pdu = match tacacs::decode_pdu(
                    &wire,
                    &tacacs::DecodeOptions::with_key(key.clone()),
                ) {
                    tacacs::Decoded::Complete(p) => p,
                    other => panic!("{name}: {other:?}"),
                };
                let (h, b) = packet(serde_json::to_value(&pdu).unwrap())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let again = tacacs::encode_packet(&h, &b, Some(&key)).unwrap();
                assert_eq!(again, wire, "{name}");
                n += 1;
            }
        }
        assert!(n >= 40, "{n} vectors");
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
