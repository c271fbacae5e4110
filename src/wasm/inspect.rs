//! wasm-bindgen exports for the browser packet inspector (`www/`), feature `wasm`.
//!
//! Translation only: each export parses its arguments, makes one call into [`crate::capture`]
//! (or reads one part of its [`Analysis`]) and maps the result to plain JS values. The page runs
//! these in a Web Worker:
//!
//! ```text
//! inspect(bytes, keys, format, onProgress) -> Inspection   // capture::analyze_with_progress
//! Inspection.overview()      format, connections, streams, keys_ok, diagnostics, stats, counts
//! Inspection.table()         the packet list as columns of typed arrays (100 000 rows: one copy)
//! Inspection.pdu(i)          capture::Pdu (segments, wire bytes as hex, codec diagnostics)
//! Inspection.decodePdu(i)    capture::decode: the codec's fields with spans (CLI JSON schema)
//! Inspection.session(i)      one session with its steps (the sequence diagram)
//! Inspection.sessions()      every session (the text export)
//! Inspection.exportJsonLines()   Analysis::pdu_lines: `casplus decode --json` lines
//! ```
//!
//! Objects come out JSON-compatible (plain objects, `null` for none). Keys never leave the
//! [`Inspection`]: no export returns them. Errors and keys follow the conventions of the npm
//! exports ([`super`]): a thrown `Error` carries a stable `code` ([`super::codes`]), and a key is
//! a string (its UTF-8 bytes) or a `Uint8Array`; the page's key box may also give `{text}` or
//! `{hex}` objects.

use core::ops::ControlFlow;

use js_sys::{Array, Float64Array, Function, Int32Array, Object, Reflect, Uint8Array, Uint32Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::{codes, js_error, key_from_js};
use crate::capture::{self, Analysis, FormatInfo, InputFormat, Options, Progress, Severity};
use crate::tacacs::{BodyState, Direction, Key};

// The TLS module's exports (`src/wasm/tls.rs`, feature `inspector-tls`), which the page's Worker
// puts on `globalThis.casplusTls` once it has loaded them: the crypto crates stay out of this
// module, which the page fetches at load.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = casplusTls, js_name = expandLabel, catch)]
    fn tls_expand_label(
        suite: u16,
        secret: &[u8],
        label: &[u8],
        len: u32,
    ) -> Result<Option<Vec<u8>>, JsValue>;
    #[wasm_bindgen(js_namespace = casplusTls, js_name = open, catch)]
    fn tls_open(
        suite: u16,
        key: &[u8],
        nonce: &[u8],
        aad: &[u8],
        body: &[u8],
    ) -> Result<Option<Vec<u8>>, JsValue>;
}

/// [`capture::tls::RecordProtection`] by the TLS module, through JavaScript (a missing module
/// or a thrown error reads as "does not open").
const JS_TLS: capture::tls::RecordProtection = capture::tls::RecordProtection {
    name: "casplusTls",
    expand_label: |suite, secret, label, len| {
        tls_expand_label(suite.0, secret, label, u32::try_from(len).ok()?)
            .ok()
            .flatten()
    },
    open: |suite, key, nonce, aad, body| tls_open(suite.0, key, nonce, aad, body).ok().flatten(),
};

/// Plain objects and `null`, as `JSON.parse` would give.
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(codes::INTERNAL, &e.to_string(), None))
}

/// Reads the `keys` argument of [`inspect`]: an array of keys as every export takes them
/// ([`super::key_from_js`]: a string or a `Uint8Array`), or `{hex: string}`, or `{text: string}`
/// as the page's key box has it: `SECRET`, `hex:HEX`, or either after `ADDRESS=` for the key of
/// one peer ([`capture::PeerKey`], tried first on that peer's connections, RFC 8907 §4.5).
fn parse_keys(keys: &Array) -> Result<(Vec<Key>, Vec<capture::PeerKey>), JsValue> {
    let bad = |m: String| js_error(codes::INVALID_OPTIONS, &m, None);
    let mut out = Vec::with_capacity(keys.length() as usize);
    let mut peers = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        if let Some(key) = key_from_js(&k) {
            out.push(key);
            continue;
        }
        let field = |name: &str| Reflect::get(&k, &JsValue::from_str(name)).ok()?.as_string();
        let from_hex = |h: &str| Key::from_hex(h).map_err(|e| bad(format!("key {}: {e}", i + 1)));
        let key = match (field("text"), field("hex")) {
            (Some(t), _) => {
                let secret = match capture::PeerKey::split(&t) {
                    Some((peer, secret)) => {
                        peers.push(capture::PeerKey {
                            peer,
                            key: out.len(),
                        });
                        secret
                    }
                    None => &t,
                };
                match secret.strip_prefix("hex:") {
                    Some(h) => from_hex(h)?,
                    None => Key::from_text(secret),
                }
            }
            (None, Some(h)) => from_hex(&h)?,
            (None, None) => {
                return Err(bad(format!("key {}: expected {{text}} or {{hex}}", i + 1)));
            }
        };
        out.push(key);
    }
    Ok((out, peers))
}

/// Analyses a capture (any form of [`InputFormat`]; `format` forces one by its name, e.g.
/// `"tcpdump"`). `keys` is an array of `{text}` / `{hex}` candidate shared secrets.
/// `on_progress(done, total, frames, pdus)` is called every few thousand frames and at the end;
/// when it returns `true` the analysis stops and this throws `"capture analysis cancelled"`
/// (code `CANCELLED`). A bad key or form name throws `INVALID_OPTIONS` or `INVALID_INPUT_FORMAT`.
/// `keylog` is the text of an NSS key log (`SSLKEYLOGFILE`) to decrypt TLS 1.3 connections
/// (TACACS+ over TLS, RFC 9887) in the browser; its unreadable lines become diagnostics
/// (`tls-keylog-line`). The records are opened by the TLS module (`globalThis.casplusTls`) when
/// `tls` is true; else a connection the key log could decrypt gets the diagnostic
/// `tls-no-decryption`, on which the page loads that module and analyses again.
#[wasm_bindgen]
pub fn inspect(
    input: &[u8],
    keys: &Array,
    format: Option<String>,
    on_progress: &Function,
    keylog: Option<String>,
    tls: Option<bool>,
) -> Result<Inspection, JsValue> {
    let format = match format.as_deref() {
        None | Some("" | "auto") => None,
        Some(name) => Some(InputFormat::from_name(name).ok_or_else(|| {
            js_error(
                codes::INVALID_INPUT_FORMAT,
                &format!("unknown input form {name:?}"),
                None,
            )
        })?),
    };
    let (keys, peer_keys) = parse_keys(keys)?;
    let (keylog, keylog_errors) =
        capture::tls::KeyLog::parse(keylog.unwrap_or_default().as_bytes());
    let opts = Options {
        format,
        keys,
        peer_keys,
        keylog,
        tls: tls.unwrap_or(false).then_some(JS_TLS),
        ..Options::default()
    };
    let mut progress = |p: &Progress| {
        let args = Array::of4(
            &JsValue::from_f64(p.done as f64),
            &JsValue::from_f64(p.total as f64),
            &JsValue::from_f64(p.frames as f64),
            &JsValue::from_f64(p.pdus as f64),
        );
        match on_progress.apply(&JsValue::NULL, &args) {
            Ok(v) if v.as_bool() == Some(true) => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    };
    let mut analysis = capture::analyze_with_progress(input, &opts, &mut progress)
        .map_err(|e| js_error(codes::CANCELLED, &e.to_string(), None))?;
    for e in keylog_errors {
        analysis.diagnostics.push(capture::CaptureDiagnostic::new(
            capture::codes::TLS_KEYLOG_LINE,
            Severity::Warning,
            e.to_string(),
        ));
    }
    Ok(Inspection { analysis, opts })
}

/// The result of [`inspect`], kept in wasm memory; the page asks for the parts it shows.
#[wasm_bindgen]
pub struct Inspection {
    analysis: Analysis,
    opts: Options,
}

/// Everything but the per-frame and per-PDU tables (those are large: see `table`, `pdu`).
#[derive(Serialize)]
struct Overview<'a> {
    format: &'a FormatInfo,
    connections: &'a [capture::Connection],
    streams: &'a [capture::Stream],
    keys_ok: &'a [u32],
    keys: usize,
    diagnostics: &'a [capture::CaptureDiagnostic],
    stats: &'a capture::Stats,
    frames: usize,
    pdus: usize,
    sessions: usize,
    first_time: Option<TimeDto>,
}

/// A frame time for JS: seconds and nanoseconds (an `i64` of nanoseconds does not fit a JS
/// number) and the text form.
#[derive(Serialize)]
struct TimeDto {
    secs: i64,
    nanos: u32,
    time_of_day: bool,
    text: String,
}

impl From<capture::FrameTime> for TimeDto {
    fn from(t: capture::FrameTime) -> Self {
        Self {
            secs: t.ns.div_euclid(1_000_000_000),
            nanos: u32::try_from(t.ns.rem_euclid(1_000_000_000)).unwrap_or(0),
            time_of_day: t.time_of_day,
            text: t.to_string(),
        }
    }
}

/// Sets `obj[name] = value`.
fn set(obj: &Object, name: &str, value: &JsValue) {
    // Reflect.set on a plain extensible object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(name), value);
}

fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Error => 3,
    }
}

fn body_state_code(s: BodyState) -> u8 {
    match s {
        BodyState::Clear => 0,
        BodyState::Deobfuscated => 1,
        BodyState::Obfuscated => 2,
        BodyState::WrongKey => 3,
    }
}

#[wasm_bindgen]
impl Inspection {
    /// Input form, connections, streams, key verdicts, capture diagnostics, counters.
    pub fn overview(&self) -> Result<JsValue, JsValue> {
        let a = &self.analysis;
        to_js(&Overview {
            format: &a.format,
            connections: &a.connections,
            streams: &a.streams,
            keys_ok: &a.keys_ok,
            keys: self.opts.keys.len(),
            diagnostics: &a.diagnostics,
            stats: &a.stats,
            frames: a.frames.len(),
            pdus: a.pdus.len(),
            sessions: a.sessions.len(),
            first_time: a.frames.iter().find_map(|f| f.time).map(TimeDto::from),
        })
    }

    /// The packet list, one entry per PDU, as columns (typed arrays; `-1` / `NaN` for none):
    /// `frame`, `lastFrame`, `secs` + `nanos` (time of the last frame), `conn`, `session`,
    /// `dir` (0 to server, 1 to client), `type`, `seqNo`, `flags`, `sessionId`, `state`
    /// (body state 0 clear, 1 de-obfuscated, 2 obfuscated, 3 wrong key; +4 when incomplete),
    /// `keyIndex`, `diag` (worst codec finding: 0 none, 1 info, 2 warning, 3 error),
    /// `summary` (all summaries joined) with `summaryEnd` (UTF-16 end offset of each).
    pub fn table(&self) -> Object {
        let a = &self.analysis;
        let n = a.pdus.len();
        let mut frame = Vec::with_capacity(n);
        let mut last_frame = Vec::with_capacity(n);
        let mut secs = Vec::with_capacity(n);
        let mut nanos = Vec::with_capacity(n);
        let mut conn = Vec::with_capacity(n);
        let mut session = Vec::with_capacity(n);
        let mut dir = Vec::with_capacity(n);
        let mut kind = Vec::with_capacity(n);
        let mut seq_no = Vec::with_capacity(n);
        let mut flags = Vec::with_capacity(n);
        let mut session_id = Vec::with_capacity(n);
        let mut state = Vec::with_capacity(n);
        let mut key_index = Vec::with_capacity(n);
        let mut diag = Vec::with_capacity(n);
        let mut summary = String::new();
        let mut summary_end = Vec::with_capacity(n);
        let mut utf16 = 0u32;
        for p in &a.pdus {
            frame.push(p.frame);
            last_frame.push(p.last_frame);
            let t = a.frame(p.last_frame).and_then(|f| f.time);
            secs.push(t.map_or(f64::NAN, |t| t.ns.div_euclid(1_000_000_000) as f64));
            nanos.push(t.map_or(0, |t| {
                u32::try_from(t.ns.rem_euclid(1_000_000_000)).unwrap_or(0)
            }));
            conn.push(p.conn.map_or(-1, |c| i32::try_from(c).unwrap_or(-1)));
            session.push(p.session.map_or(-1, |c| i32::try_from(c).unwrap_or(-1)));
            dir.push(match p.direction {
                Direction::ClientToServer => 0u8,
                Direction::ServerToClient => 1,
            });
            kind.push(p.header.kind);
            seq_no.push(p.header.seq_no);
            flags.push(p.header.flags);
            session_id.push(p.header.session_id);
            state.push(body_state_code(p.body_state) | if p.complete { 0 } else { 4 });
            key_index.push(p.key_index.map_or(-1, |k| i32::try_from(k).unwrap_or(-1)));
            diag.push(
                p.codec_diagnostics
                    .iter()
                    .map(|d| severity_rank(d.severity))
                    .max()
                    .unwrap_or(0),
            );
            summary.push_str(&p.summary);
            utf16 = utf16.saturating_add(
                u32::try_from(p.summary.encode_utf16().count()).unwrap_or(u32::MAX),
            );
            summary_end.push(utf16);
        }
        let obj = Object::new();
        set(&obj, "length", &JsValue::from_f64(n as f64));
        set(&obj, "frame", &Uint32Array::from(&frame[..]));
        set(&obj, "lastFrame", &Uint32Array::from(&last_frame[..]));
        set(&obj, "secs", &Float64Array::from(&secs[..]));
        set(&obj, "nanos", &Uint32Array::from(&nanos[..]));
        set(&obj, "conn", &Int32Array::from(&conn[..]));
        set(&obj, "session", &Int32Array::from(&session[..]));
        set(&obj, "dir", &Uint8Array::from(&dir[..]));
        set(&obj, "type", &Uint8Array::from(&kind[..]));
        set(&obj, "seqNo", &Uint8Array::from(&seq_no[..]));
        set(&obj, "flags", &Uint8Array::from(&flags[..]));
        set(&obj, "sessionId", &Uint32Array::from(&session_id[..]));
        set(&obj, "state", &Uint8Array::from(&state[..]));
        set(&obj, "keyIndex", &Int32Array::from(&key_index[..]));
        set(&obj, "diag", &Uint8Array::from(&diag[..]));
        set(&obj, "summary", &JsValue::from_str(&summary));
        set(&obj, "summaryEnd", &Uint32Array::from(&summary_end[..]));
        obj
    }

    /// PDU `index` as found in the capture ([`capture::Pdu`]): segments with their frames and
    /// input offsets, the wire bytes (hex), body state, codec diagnostics; `null` past the end.
    pub fn pdu(&self, index: u32) -> Result<JsValue, JsValue> {
        to_js(&self.analysis.pdus.get(index as usize))
    }

    /// The codec's decode of PDU `index` ([`capture::decode`], the CLI's JSON schema: fields,
    /// `spans` relative to the PDU's first byte, `body_clear_hex`, diagnostics with offsets).
    #[wasm_bindgen(js_name = decodePdu)]
    pub fn decode_pdu(&self, index: u32) -> Result<JsValue, JsValue> {
        let decoded = self
            .analysis
            .pdus
            .get(index as usize)
            .and_then(|p| self.analysis.decode(p, &self.opts));
        to_js(&decoded)
    }

    /// Session `index` ([`capture::Session`]: steps, outcome, frames), `null` past the end.
    pub fn session(&self, index: u32) -> Result<JsValue, JsValue> {
        to_js(&self.analysis.sessions.get(index as usize))
    }

    /// Every session, in order of their first PDU.
    pub fn sessions(&self) -> Result<JsValue, JsValue> {
        to_js(&self.analysis.sessions)
    }

    /// Every PDU as a `casplus decode --json` line ([`Analysis::pdu_lines`]), newline-terminated.
    #[wasm_bindgen(js_name = exportJsonLines)]
    pub fn export_json_lines(&self) -> Result<String, JsValue> {
        let mut out = String::new();
        for line in self.analysis.pdu_lines(&self.opts) {
            let s = serde_json::to_string(&line)
                .map_err(|e| js_error(codes::INTERNAL, &e.to_string(), None))?;
            out.push_str(&s);
            out.push('\n');
        }
        Ok(out)
    }
}
