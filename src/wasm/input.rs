//! What the exports accept: the `decode` options and, for `encodePacket`, the TypeScript
//! declarations of a packet. A packet is read by the core ([`tacacs::from_json::PacketJson`],
//! the decode JSON read back); the types here are `#[derive(Tsify)]` only, never built.
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

use serde::Deserialize;
use serde::de::IgnoredAny;
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
        tacacs::from_json::version_byte(self.major, self.minor)
    }
}

/// A packet for `encodePacket`: a header and a body in the shape `decode` emits. A decoded
/// PDU can be passed as is: fields other than `header` and `body` are ignored.
#[derive(Tsify)]
pub struct PacketInput {
    /// The header (`length` is computed).
    pub header: HeaderInput,
    /// The body; its `kind` must match the header's `type` and `seq_no` (§4.1).
    pub body: BodyInput,
}

/// A header as `decode` emits it (§4.1); `length` and `spans` are accepted and ignored.
#[derive(Tsify)]
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

/// An enumerated wire value: its RFC 8907 name (`"PAP"`, `"PASS_ADD"`; any letter case) or
/// its number (0..255).
#[derive(Tsify)]
#[tsify(type = "string | number")]
pub struct WireValue;

/// A bit set: a list of names (`"SINGLE_CONNECT"`) and `"0x.."` bits, as `decode` emits
/// it, or the byte as a number.
#[derive(Tsify)]
#[tsify(type = "string[] | number")]
pub struct FlagsInput;

/// Bytes of a text or data field: a string in `decode`'s escaped form (`\\xNN` is any byte).
#[derive(Tsify)]
#[tsify(type = "string")]
pub struct EscapedText;
