//! wasm-bindgen exports of the npm package `casplus` (feature `wasm`; `make npm` builds it,
//! `npm/README.md` is its manual). The package carries three modules, each with its own wasm
//! so that none carries the others' code: `casplus` (feature `wasm-tacacs`: `decode`),
//! `casplus/encode` (feature `wasm-encode`: `encodePacket`, `obfuscate`) and `casplus/cas`
//! (feature `wasm-cas`: `parseCasResponse`), each with `version`; feature `wasm` builds all of
//! them (tests, inspector).
//!
//! Glue only, in the style of a thin binding crate: each export checks its arguments, makes one
//! core call, and hands back plain JavaScript values or throws a JavaScript `Error` whose
//! `code` property is stable (see [`codes`]). No protocol decision lives here.
//!
//! | export | core call |
//! |---|---|
//! | `decode(input, options?)` | [`crate::capture::analyze`], PDUs as [`crate::capture::PduLine`]s |
//! | `encodePacket(packet, key?)` | [`crate::tacacs::encode_packet`] |
//! | `obfuscate(bytes, key, header?)` | [`crate::tacacs::apply_pad`] (RFC 8907 §4.5) |
//! | `parseCasResponse(text)` | [`crate::cas::client::parse_validation_response`] |
//! | `version()` | the crate version |
//!
//! `casplus/client` (feature `wasm-client`, [`cas_client`]) has its own module: the CAS client
//! core behind the package's `createCasClient`.
//!
//! Plain objects cross the boundary as JSON: results are the core's `serde_json` rendering (the
//! `casplus decode --json` schema for PDUs, with RFC 8907 field names; camelCase for CAS
//! results) given to `JSON.parse`, and object arguments are `JSON.stringify`'d and read with
//! `serde_json`. That is total (a 64-bit counter in a hostile accounting record becomes an
//! approximate `number`, as in any JSON reader, where `serde-wasm-bindgen` would throw), faster
//! for big captures than building objects property by property, and keeps the module small:
//! `serde_json` is in it anyway. Keys (which may be `Uint8Array`s) are read directly. The
//! TypeScript declarations are generated from the Rust types in [`schema`] and [`input`] by
//! `tsify` (declarations only: nothing of it runs).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[cfg(feature = "wasm-client")]
#[path = "client.rs"]
pub mod cas_client;
#[cfg(any(feature = "wasm-tacacs", feature = "wasm-encode"))]
pub mod input;
#[cfg(feature = "inspector")]
pub mod inspect;
pub mod schema;
#[cfg(feature = "inspector-tls")]
pub mod tls;

#[cfg(any(feature = "wasm-tacacs", feature = "wasm-cas"))]
use serde::Serialize;
#[cfg(feature = "wasm-encode")]
use serde::de::DeserializeOwned;
#[cfg(any(feature = "wasm-tacacs", feature = "wasm-encode", feature = "wasm-cas"))]
use tsify::Ts;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

#[cfg(feature = "wasm-tacacs")]
use crate::capture;
#[cfg(feature = "wasm-cas")]
use crate::cas::client;
#[cfg(feature = "wasm-encode")]
use crate::tacacs;

#[cfg(any(
    feature = "wasm-tacacs",
    feature = "wasm-encode",
    feature = "inspector"
))]
use crate::tacacs::Key;
#[cfg(feature = "wasm-tacacs")]
use input::DecodeOptions;
#[cfg(feature = "wasm-encode")]
use input::{KeyInput, PacketInput, PadInput};

/// The `code` property of the errors the exports throw (UPPER_SNAKE like Node's own codes;
/// `parseCasResponse` throws the codes of [`client::ParseErrorKind::code`]).
pub mod codes {
    /// An argument has the wrong JavaScript type (thrown as a `TypeError`).
    pub const INVALID_ARGUMENT: &str = "INVALID_ARGUMENT";
    /// `decode` options that are not `{ keys?, inputFormat? }` or hold a wrong value.
    pub const INVALID_OPTIONS: &str = "INVALID_OPTIONS";
    /// `inputFormat` names no input form.
    pub const INVALID_INPUT_FORMAT: &str = "INVALID_INPUT_FORMAT";
    /// A packet object that does not describe a TACACS+ packet (missing field, unknown name,
    /// value out of range, bad escape or hex).
    pub const INVALID_PACKET: &str = "INVALID_PACKET";
    /// A variable field is longer than its length field can say (RFC 8907 §5, §6, §7).
    pub const FIELD_TOO_LONG: &str = "FIELD_TOO_LONG";
    /// More than 255 arguments (`arg_cnt`, §6.1).
    pub const TOO_MANY_ARGS: &str = "TOO_MANY_ARGS";
    /// The body `kind` does not match the header's `type` and `seq_no` (§4.1).
    pub const KIND_MISMATCH: &str = "KIND_MISMATCH";
    /// The header asks for obfuscation (no UNENCRYPTED flag) but no key was given (§4.5).
    pub const MISSING_KEY: &str = "MISSING_KEY";
    /// The body does not fit the 32-bit `length`.
    pub const BODY_TOO_LONG: &str = "BODY_TOO_LONG";
    /// `obfuscate` of a whole packet shorter than the 12-byte header.
    pub const SHORT_PACKET: &str = "SHORT_PACKET";
    /// A result could not be turned into JavaScript values (a bug: please report it).
    pub const INTERNAL: &str = "INTERNAL";
    /// The inspector's `onProgress` callback asked to stop the analysis (inspector only).
    pub const CANCELLED: &str = "CANCELLED";
}

#[cfg_attr(
    not(any(
        feature = "wasm-tacacs",
        feature = "wasm-encode",
        feature = "wasm-cas",
        feature = "wasm-client",
        feature = "inspector"
    )),
    allow(dead_code)
)]
/// Builds a JavaScript `Error` (or `TypeError`) carrying `code` (and `offset`, when known).
fn js_error(code: &str, message: &str, offset: Option<usize>) -> JsValue {
    let err: js_sys::Error = if code == codes::INVALID_ARGUMENT {
        js_sys::TypeError::new(message).unchecked_into()
    } else {
        js_sys::Error::new(message)
    };
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code.into());
    if let Some(at) = offset {
        let _ = js_sys::Reflect::set(&err, &"offset".into(), &(at as f64).into());
    }
    err.into()
}

#[cfg(any(feature = "wasm-tacacs", feature = "wasm-cas"))]
/// A result as a plain JavaScript value: the core's JSON, parsed by the engine.
fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let internal = |m: String| js_error(codes::INTERNAL, &m, None);
    let json = serde_json::to_string(value).map_err(|e| internal(e.to_string()))?;
    js_sys::JSON::parse(&json).map_err(|_| internal("JSON.parse failed".into()))
}

#[cfg(feature = "wasm-encode")]
/// An object argument read through its JSON form; errors carry `code` and say which argument.
fn from_js<T: DeserializeOwned>(value: &JsValue, what: &str, code: &str) -> Result<T, JsValue> {
    let json = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| {
            js_error(
                codes::INVALID_ARGUMENT,
                &format!("{what} is not JSON data"),
                None,
            )
        })?;
    serde_json::from_str(&json).map_err(|e| js_error(code, &format!("{what}: {e}"), None))
}

#[cfg(any(
    feature = "wasm-tacacs",
    feature = "wasm-encode",
    feature = "inspector"
))]
/// A key given as a string (its UTF-8 bytes) or a `Uint8Array`.
fn key_from_js(value: &JsValue) -> Option<Key> {
    if let Some(s) = value.as_string() {
        return Some(Key::from_text(&s));
    }
    value
        .dyn_ref::<js_sys::Uint8Array>()
        .map(|a| Key::new(a.to_vec()))
}

#[cfg(feature = "wasm-tacacs")]
/// `decode`'s options, property by property (keys may be `Uint8Array`s, which JSON cannot
/// carry); unknown properties are refused so that a typo does not go unnoticed.
fn decode_options(value: Option<&JsValue>) -> Result<capture::Options, JsValue> {
    let bad = |m: &str| js_error(codes::INVALID_OPTIONS, m, None);
    let Some(obj) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return input::capture_options(Vec::new(), None).map_err(|(c, m)| js_error(c, &m, None));
    };
    if !obj.is_object() || js_sys::Array::is_array(obj) {
        return Err(bad("options must be an object { keys?, inputFormat? }"));
    }
    let get = |name: &str| js_sys::Reflect::get(obj, &name.into()).unwrap_or(JsValue::UNDEFINED);
    for name in js_sys::Object::keys(obj.unchecked_ref::<js_sys::Object>()).iter() {
        let name = name.as_string().unwrap_or_default();
        if name != "keys" && name != "inputFormat" {
            return Err(bad(&format!(
                "unknown option {name:?}: options are keys and inputFormat"
            )));
        }
    }
    let mut keys = Vec::new();
    let list = get("keys");
    if !list.is_undefined() {
        let list = list
            .dyn_into::<js_sys::Array>()
            .map_err(|_| bad("keys must be an array of strings or Uint8Arrays"))?;
        for (i, k) in list.iter().enumerate() {
            keys.push(
                key_from_js(&k).ok_or_else(|| {
                    bad(&format!("keys[{i}] is neither a string nor a Uint8Array"))
                })?,
            );
        }
    }
    let format = get("inputFormat");
    let format = match (format.is_undefined(), format.as_string()) {
        (true, _) => None,
        (false, Some(f)) => Some(f),
        (false, None) => return Err(bad("inputFormat must be a string")),
    };
    input::capture_options(keys, format.as_deref()).map_err(|(c, m)| js_error(c, &m, None))
}

#[cfg(feature = "wasm-tacacs")]
/// Decodes TACACS+ in any capture form — pcap, pcapng, `tcpdump -x/-X` text, Wireshark hex
/// dumps, hex, base64 or raw PDU bytes (detected unless `inputFormat` forces one) — into PDUs
/// (RFC 8907 fields, de-obfuscated with the first key that fits each connection), sessions,
/// connections and diagnostics. Never throws for what the capture contains: problems are
/// diagnostics. Throws `INVALID_ARGUMENT`, `INVALID_OPTIONS` or `INVALID_INPUT_FORMAT` for bad
/// arguments.
#[wasm_bindgen]
pub fn decode(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | string")] input: JsValue,
    options: Option<Ts<DecodeOptions>>,
) -> Result<Ts<schema::DecodeResult>, JsValue> {
    let bytes = input_bytes(&input)?;
    let opts = decode_options(options.map(|o| o.js_value()).as_ref())?;
    let analysis = capture::analyze(&bytes, &opts);
    drop(bytes);
    // The PDUs are decoded, rendered and parsed one at a time: no list of decoded PDUs and no
    // JSON text of the whole result (which a big capture would take past V8's string limit).
    let out = schema::DecodeOut::without_pdus(&analysis, &opts);
    let result = to_js(&out)?;
    let pdus = js_sys::Array::new();
    let mut json = Vec::new();
    for line in out.pdu_lines() {
        json.clear();
        serde_json::to_writer(&mut json, &line)
            .map_err(|e| js_error(codes::INTERNAL, &e.to_string(), None))?;
        let text = core::str::from_utf8(&json)
            .map_err(|e| js_error(codes::INTERNAL, &e.to_string(), None))?;
        pdus.push(
            &js_sys::JSON::parse(text)
                .map_err(|_| js_error(codes::INTERNAL, "JSON.parse failed", None))?,
        );
    }
    js_sys::Reflect::set(&result, &"pdus".into(), &pdus)
        .map_err(|_| js_error(codes::INTERNAL, "cannot set pdus", None))?;
    Ok(Ts::new_unchecked(result))
}

#[cfg(feature = "wasm-tacacs")]
/// The bytes of a `Uint8Array` (a Node `Buffer` is one) or the UTF-8 of a string.
fn input_bytes(input: &JsValue) -> Result<Vec<u8>, JsValue> {
    if let Some(s) = input.as_string() {
        return Ok(s.into_bytes());
    }
    match input.dyn_ref::<js_sys::Uint8Array>() {
        Some(a) => Ok(a.to_vec()),
        None => Err(js_error(
            codes::INVALID_ARGUMENT,
            "input must be a Uint8Array or a string",
            None,
        )),
    }
}

#[cfg(feature = "wasm-encode")]
/// Encodes one TACACS+ packet (RFC 8907 §4.1 header + body) from an object in the shape
/// `decode` emits (`{ header, body }`; derived fields such as `spans`, `length`, `av_pairs`
/// are ignored), obfuscating the body with `key` unless the header has the UNENCRYPTED flag
/// (§4.5). Lengths are computed.
#[wasm_bindgen(js_name = encodePacket)]
pub fn encode_packet(
    packet: Ts<PacketInput>,
    key: Option<Ts<KeyInput>>,
) -> Result<Vec<u8>, JsValue> {
    let packet: tacacs::from_json::PacketJson =
        from_js(&packet.js_value(), "packet", codes::INVALID_PACKET)?;
    let key = match key.map(|k| k.js_value()) {
        Some(k) if !k.is_undefined() && !k.is_null() => Some(key_from_js(&k).ok_or_else(|| {
            js_error(
                codes::INVALID_ARGUMENT,
                "key must be a string or a Uint8Array",
                None,
            )
        })?),
        _ => None,
    };
    let (header, body) = packet
        .into_packet()
        .map_err(|m| js_error(codes::INVALID_PACKET, &format!("packet: {m}"), None))?;
    tacacs::encode_packet(&header, &body, key.as_ref()).map_err(|e| {
        let code = match e {
            tacacs::EncodeError::FieldTooLong { .. } => codes::FIELD_TOO_LONG,
            tacacs::EncodeError::TooManyArgs { .. } => codes::TOO_MANY_ARGS,
            tacacs::EncodeError::KindMismatch { .. } => codes::KIND_MISMATCH,
            tacacs::EncodeError::MissingKey => codes::MISSING_KEY,
            tacacs::EncodeError::BodyTooLong(_) => codes::BODY_TOO_LONG,
        };
        js_error(code, &e.to_string(), None)
    })
}

#[cfg(feature = "wasm-encode")]
/// XORs a body with the RFC 8907 §4.5 pseudo-pad of `(session_id, key, version, seq_no)`:
/// the same call obfuscates and de-obfuscates. With `header` (`{ session_id, seq_no, major?,
/// minor? }`, e.g. a decoded `pdu.header`), `bytes` is the body alone; without it, `bytes` is a
/// whole packet whose 12-byte header supplies them, and the packet is returned with its body
/// transformed. The UNENCRYPTED flag is not consulted.
#[wasm_bindgen]
pub fn obfuscate(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: JsValue,
    key: Ts<KeyInput>,
    header: Option<Ts<PadInput>>,
) -> Result<Vec<u8>, JsValue> {
    let bytes = bytes
        .dyn_ref::<js_sys::Uint8Array>()
        .map(js_sys::Uint8Array::to_vec)
        .ok_or_else(|| js_error(codes::INVALID_ARGUMENT, "bytes must be a Uint8Array", None))?;
    let key = key_from_js(&key.js_value()).ok_or_else(|| {
        js_error(
            codes::INVALID_ARGUMENT,
            "key must be a string or a Uint8Array",
            None,
        )
    })?;
    let mut out = bytes;
    match header
        .map(|h| h.js_value())
        .filter(|h| !h.is_undefined() && !h.is_null())
    {
        Some(h) => {
            let h: PadInput = from_js(&h, "header", codes::INVALID_ARGUMENT)?;
            let version = h
                .version()
                .map_err(|m| js_error(codes::INVALID_ARGUMENT, &m, None))?;
            tacacs::apply_pad(&mut out, h.session_id, key.as_bytes(), version, h.seq_no);
        }
        None => {
            let len = out.len();
            let mut r = crate::codec::Reader::new(&out);
            let h = tacacs::Header::decode(&mut r).map_err(|_| {
                js_error(
                    codes::SHORT_PACKET,
                    &format!(
                        "a packet starts with a 12-byte header (RFC 8907 §4.1); got {} byte(s) and no header argument",
                        len
                    ),
                    None,
                )
            })?;
            if let Some(body) = out.get_mut(tacacs::Header::LEN..) {
                tacacs::apply_pad(body, h.session_id, key.as_bytes(), h.version(), h.seq_no);
            }
        }
    }
    Ok(out)
}

#[cfg(feature = "wasm-cas")]
/// Parses a CAS validation or proxy response — CAS 2.0/3.0 XML, CAS 3.0 JSON or CAS 1.0 text
/// — into `{ success, kind, format, user, attributes, proxyGrantingTicket, proxies,
/// proxyTicket, failure }`. A failure response is a result (`success: false`), not an error;
/// input that is no CAS response throws with the parser's code (`XML_MALFORMED`,
/// `XML_DOCTYPE`, `UNKNOWN_FORMAT`, ...) and the byte `offset`.
#[wasm_bindgen(js_name = parseCasResponse)]
pub fn parse_cas_response(
    #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
) -> Result<Ts<schema::CasValidation>, JsValue> {
    // Taken as a JsValue: the generated glue would copy a non-string into memory unchecked.
    let text = text
        .as_string()
        .ok_or_else(|| js_error(codes::INVALID_ARGUMENT, "text must be a string", None))?;
    match client::parse_validation_response(&text) {
        Ok(r) => to_js(&r).map(Ts::new_unchecked),
        Err(e) => Err(js_error(e.code(), &e.to_string(), Some(e.offset))),
    }
}

/// The version of the package (the crate version, e.g. `0.1.0`).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
