//! TLS in captures (RFC 8446): a TLS connection is recognised on any port by its first record
//! (a handshake record, normally the ClientHello), the handshake facts the capture shows in the
//! clear are read (version, SNI, ALPN, cipher suite, plaintext alerts), and — with an NSS key
//! log ([`KeyLog`]) and the feature `tls-decrypt` — the TLS 1.3 records are decrypted and the
//! plaintext streams handed back to the TACACS+ framing, as RFC 9887 (TACACS+ over TLS 1.3)
//! carries RFC 8907 PDUs unobfuscated inside TLS.
//!
//! Everything here is total: records and handshake messages are read through bounded slices;
//! a malformed record is a [`RecordError`] with its byte offset, never a panic.

#[cfg(feature = "tls-decrypt")]
mod crypto;
mod decrypt;
mod keylog;

#[cfg(feature = "tls-decrypt")]
pub use crypto::RUST_CRYPTO;
pub use decrypt::RecordProtection;
pub use keylog::{KeyLog, KeyLogEntry, KeyLogError, SecretLabel};

use serde::Serialize;

/// Length of a TLS record header (RFC 8446 §5.1): type, legacy version, length.
pub const RECORD_HEADER_LEN: usize = 5;
/// Largest protected record body: 2^14 + 256 (RFC 8446 §5.2).
pub const MAX_CIPHERTEXT: usize = (1 << 14) + 256;

/// TLS content types (RFC 8446 §5.1).
pub mod content {
    /// change_cipher_spec (compatibility only in TLS 1.3, §D.4).
    pub const CHANGE_CIPHER_SPEC: u8 = 20;
    /// alert (§6).
    pub const ALERT: u8 = 21;
    /// handshake (§4).
    pub const HANDSHAKE: u8 = 22;
    /// application_data (§5.2: also every protected record's outer type).
    pub const APPLICATION_DATA: u8 = 23;
}

/// A TLS 1.3 cipher suite (RFC 8446 §B.4); unknown values survive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct CipherSuite(pub u16);

impl CipherSuite {
    /// TLS_AES_128_GCM_SHA256.
    pub const AES_128_GCM_SHA256: Self = Self(0x1301);
    /// TLS_AES_256_GCM_SHA384.
    pub const AES_256_GCM_SHA384: Self = Self(0x1302);
    /// TLS_CHACHA20_POLY1305_SHA256.
    pub const CHACHA20_POLY1305_SHA256: Self = Self(0x1303);

    /// The IANA name, or `None` for a suite this module does not know.
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            0x1301 => Some("TLS_AES_128_GCM_SHA256"),
            0x1302 => Some("TLS_AES_256_GCM_SHA384"),
            0x1303 => Some("TLS_CHACHA20_POLY1305_SHA256"),
            0x1304 => Some("TLS_AES_128_CCM_SHA256"),
            0x1305 => Some("TLS_AES_128_CCM_8_SHA256"),
            _ => None,
        }
    }

    /// True for the suites this module can decrypt.
    pub const fn decryptable(self) -> bool {
        matches!(self.0, 0x1301..=0x1303)
    }

    /// True for the suites whose hash is SHA-384 (RFC 8446 §B.4), else SHA-256.
    pub const fn sha384(self) -> bool {
        self.0 == 0x1302
    }

    /// AEAD key length in bytes (RFC 8446 §B.4): 16 for AES-128-GCM, else 32.
    pub const fn key_len(self) -> usize {
        match self.0 {
            0x1301 => 16,
            _ => 32,
        }
    }
}

/// An alert seen on a connection (RFC 8446 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// Sent by the client (else the server).
    pub from_client: bool,
    /// 1 warning, 2 fatal (TLS 1.3 treats all but close_notify/user_canceled as fatal).
    pub level: u8,
    /// AlertDescription (§6): 0 close_notify, 40 handshake_failure, 42 bad_certificate, ...
    pub description: u8,
    /// Read from a decrypted record (else it was in the clear, before the keys changed).
    pub decrypted: bool,
    /// Frame holding the record.
    pub frame: u32,
}

impl Alert {
    /// The description's name (RFC 8446 §6), or `None` for an unknown value.
    pub const fn name(&self) -> Option<&'static str> {
        Some(match self.description {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            22 => "record_overflow",
            40 => "handshake_failure",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            109 => "missing_extension",
            110 => "unsupported_extension",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            _ => return None,
        })
    }
}

/// What a capture shows of a TLS connection, and how far it could be decrypted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TlsInfo {
    /// The negotiated version (ServerHello supported_versions, RFC 8446 §4.2.1; else its
    /// legacy_version): 0x0304 is TLS 1.3.
    pub version: Option<u16>,
    /// server_name (RFC 6066 §3) from the ClientHello.
    pub sni: Option<String>,
    /// ALPN protocols offered by the client (RFC 7301).
    pub alpn: Vec<String>,
    /// The suite the server chose.
    pub cipher_suite: Option<CipherSuite>,
    /// The ClientHello's random, which names the connection in a key log (hex).
    pub client_random: Option<String>,
    /// Alerts seen (in the clear, or decrypted).
    pub alerts: Vec<Alert>,
    /// Bytes of TLS application data decrypted, client → server and server → client.
    pub decrypted: [u64; 2],
    /// Key updates followed (RFC 8446 §4.6.3), both directions.
    pub key_updates: u32,
    /// Why the contents are not shown, when they are not (what would be needed).
    pub opaque_reason: Option<String>,
}

impl TlsInfo {
    /// "TLS 1.3" for 0x0304, "TLS 1.2" for 0x0303, ...
    pub fn version_name(&self) -> Option<String> {
        self.version.map(|v| match v {
            0x0304 => "TLS 1.3".to_owned(),
            0x0303 => "TLS 1.2".to_owned(),
            0x0302 => "TLS 1.1".to_owned(),
            0x0301 => "TLS 1.0".to_owned(),
            v => format!("0x{v:04x}"),
        })
    }
}

/// A malformed TLS record or handshake message, at a byte offset of its stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("TLS stream offset {offset}: {why}")]
pub struct RecordError {
    /// Offset in the direction's TLS byte stream.
    pub offset: u64,
    /// What is wrong.
    pub why: &'static str,
}

/// One record header read from a stream (RFC 8446 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordHeader {
    /// ContentType.
    pub content_type: u8,
    /// legacy_record_version.
    pub version: u16,
    /// Length of the body.
    pub len: u16,
}

/// Reading a record from the front of `buf`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordStatus {
    /// `needed` more bytes make the record whole.
    Partial {
        /// Bytes missing.
        needed: usize,
    },
    /// A whole record of `RECORD_HEADER_LEN + header.len` bytes.
    Record(RecordHeader),
}

/// Reads the record at the front of `buf` (at stream offset `offset`, for errors).
pub fn read_record(buf: &[u8], offset: u64) -> Result<RecordStatus, RecordError> {
    let Some(&[t, v0, v1, l0, l1]) = buf.first_chunk::<RECORD_HEADER_LEN>() else {
        return Ok(RecordStatus::Partial {
            needed: RECORD_HEADER_LEN - buf.len(),
        });
    };
    if !(20..=24).contains(&t) {
        return Err(RecordError {
            offset,
            why: "unknown record content type (not 20-24): not TLS, or out of sync",
        });
    }
    if v0 != 3 {
        return Err(RecordError {
            offset: offset.saturating_add(1),
            why: "record version is not 3.x",
        });
    }
    let len = u16::from_be_bytes([l0, l1]);
    if usize::from(len) > MAX_CIPHERTEXT {
        return Err(RecordError {
            offset: offset.saturating_add(3),
            why: "record longer than 2^14 + 256 bytes (RFC 8446 §5.2)",
        });
    }
    let whole = RECORD_HEADER_LEN + usize::from(len);
    if buf.len() < whole {
        return Ok(RecordStatus::Partial {
            needed: whole - buf.len(),
        });
    }
    Ok(RecordStatus::Record(RecordHeader {
        content_type: t,
        version: u16::from_be_bytes([v0, v1]),
        len,
    }))
}

/// True when `b` starts like a TLS handshake record (a ClientHello or ServerHello in one).
pub fn looks_like_tls(b: &[u8]) -> bool {
    matches!(b, [0x16, 0x03, minor, ..] if *minor <= 4)
}

/// A bounded reader over a handshake message.
struct Rd<'a> {
    b: &'a [u8],
}

impl<'a> Rd<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (h, t) = self.b.split_at_checked(n)?;
        self.b = t;
        Some(h)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    fn u16(&mut self) -> Option<u16> {
        let s = self.take(2)?;
        Some(u16::from_be_bytes(s.try_into().ok()?))
    }
    fn vec8(&mut self) -> Option<Rd<'a>> {
        let n = usize::from(self.u8()?);
        Some(Rd { b: self.take(n)? })
    }
    fn vec16(&mut self) -> Option<Rd<'a>> {
        let n = usize::from(self.u16()?);
        Some(Rd { b: self.take(n)? })
    }
}

/// ClientHello (RFC 8446 §4.1.2): its random, SNI and ALPN into `info`.
fn client_hello(body: &[u8], info: &mut TlsInfo) -> Option<[u8; 32]> {
    let mut r = Rd { b: body };
    r.u16()?; // legacy_version
    let random: [u8; 32] = r.take(32)?.try_into().ok()?;
    r.vec8()?; // legacy_session_id
    r.vec16()?; // cipher_suites
    r.vec8()?; // legacy_compression_methods
    if let Some(mut exts) = r.vec16() {
        while let (Some(t), Some(mut e)) = (exts.u16(), exts.vec16()) {
            match t {
                0 => {
                    // server_name (RFC 6066 §3): list of (type, host_name)
                    if let Some(mut list) = e.vec16()
                        && list.u8() == Some(0)
                        && let Some(name) = list.vec16()
                    {
                        info.sni = Some(String::from_utf8_lossy(name.b).into_owned());
                    }
                }
                16 => {
                    // ALPN (RFC 7301 §3.1): ProtocolNameList
                    if let Some(mut list) = e.vec16() {
                        while let Some(p) = list.vec8() {
                            info.alpn.push(String::from_utf8_lossy(p.b).into_owned());
                        }
                    }
                }
                _ => {}
            }
        }
    }
    info.client_random = Some(crate::codec::hex::encode(&random));
    Some(random)
}

/// ServerHello (RFC 8446 §4.1.3): the suite and the version into `info`.
fn server_hello(body: &[u8], info: &mut TlsInfo) -> Option<()> {
    let mut r = Rd { b: body };
    let legacy = r.u16()?;
    r.take(32)?; // random (a HelloRetryRequest has a fixed one: the suite still holds)
    r.vec8()?; // legacy_session_id_echo
    info.cipher_suite = Some(CipherSuite(r.u16()?));
    r.u8()?; // legacy_compression_method
    info.version = Some(legacy);
    if let Some(mut exts) = r.vec16() {
        while let (Some(t), Some(mut e)) = (exts.u16(), exts.vec16()) {
            if t == 43 {
                // supported_versions (§4.2.1): selected_version
                if let Some(v) = e.u16() {
                    info.version = Some(v);
                }
            }
        }
    }
    Some(())
}

/// The bytes of one direction of a TLS connection as reassembled, with where they came from.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawDir {
    /// The stream's bytes, in order, up to the first gap.
    pub bytes: Vec<u8>,
    /// (stream offset, frame index 0-based, buffer position of the byte, frame start) of each
    /// piece appended.
    pub pieces: Vec<(u64, u32, usize, usize)>,
    /// Stream offset of a gap after which the bytes could not be kept.
    pub gap_at: Option<u64>,
    /// Bytes not kept: past the budget, or after a gap.
    pub dropped: u64,
}

impl RawDir {
    /// Appends `len` bytes at `pos` of `buf` (frame `frame`), within `budget` bytes in all.
    pub(crate) fn push(
        &mut self,
        buf: &[u8],
        pos: usize,
        len: usize,
        frame: u32,
        frame_start: usize,
        budget: usize,
    ) {
        let room = budget.saturating_sub(self.bytes.len());
        if self.gap_at.is_some() || room == 0 {
            self.dropped = self.dropped.saturating_add(len as u64);
            return;
        }
        let n = len.min(room);
        let Some(b) = buf.get(pos..pos.saturating_add(n)) else {
            return;
        };
        self.pieces
            .push((self.bytes.len() as u64, frame, pos, frame_start));
        self.bytes.extend_from_slice(b);
        self.dropped = self.dropped.saturating_add((len - n) as u64);
    }

    /// Marks a gap: nothing after it can be read as records.
    pub(crate) fn gap(&mut self) {
        if self.gap_at.is_none() {
            self.gap_at = Some(self.bytes.len() as u64);
        }
    }

    /// The (frame index, buffer position, frame start, bytes left in that piece) of stream
    /// offset `off`.
    pub(crate) fn locate(&self, off: u64) -> Option<(u32, usize, usize, usize)> {
        let i = self.pieces.partition_point(|p| p.0 <= off).checked_sub(1)?;
        let &(start, frame, pos, frame_start) = self.pieces.get(i)?;
        let end = self
            .pieces
            .get(i + 1)
            .map_or(self.bytes.len() as u64, |p| p.0);
        let delta = usize::try_from(off - start).ok()?;
        let left = usize::try_from(end.saturating_sub(off)).ok()?;
        Some((frame, pos.saturating_add(delta), frame_start, left))
    }
}

/// Decrypted application data of one direction, with the record each run came from.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plain {
    /// The plaintext stream (RFC 9887: the TACACS+ PDUs).
    pub bytes: Vec<u8>,
    /// (plaintext offset, stream offset of the record's header, record length with header).
    pub runs: Vec<(u64, u64, u32)>,
}

impl Plain {
    /// The record holding plaintext offset `off`: (its stream offset, its length, the
    /// plaintext offset where its run ends).
    pub(crate) fn record_of(&self, off: u64) -> Option<(u64, u32, u64)> {
        let i = self.runs.partition_point(|r| r.0 <= off).checked_sub(1)?;
        let end = self
            .runs
            .get(i + 1)
            .map_or(self.bytes.len() as u64, |r| r.0);
        self.runs.get(i).map(|r| (r.1, r.2, end))
    }
}

/// A finding of the TLS pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Finding {
    pub code: &'static str,
    pub warning: bool,
    pub message: String,
    /// Direction index (into the connection's `ends`) and stream offset, when it is a record.
    pub at: Option<(usize, u64)>,
}

/// The TLS pass over one connection: `dirs[d]` as sent by `ends[d]`.
pub(crate) struct Outcome {
    pub info: TlsInfo,
    /// The direction that sent the ClientHello.
    pub client: Option<usize>,
    pub plain: [Plain; 2],
    pub findings: Vec<Finding>,
}

/// Parsed records of one direction.
struct Rec {
    off: u64,
    header: RecordHeader,
    /// Range of the body in the direction's bytes.
    body: core::ops::Range<usize>,
}

fn records(raw: &RawDir, d: usize, findings: &mut Vec<Finding>) -> Vec<Rec> {
    let mut out = Vec::new();
    let mut at = 0usize;
    loop {
        let rest = raw.bytes.get(at..).unwrap_or_default();
        if rest.is_empty() {
            break;
        }
        match read_record(rest, at as u64) {
            Ok(RecordStatus::Record(h)) => {
                let start = at + RECORD_HEADER_LEN;
                let end = start + usize::from(h.len);
                out.push(Rec {
                    off: at as u64,
                    header: h,
                    body: start..end,
                });
                at = end;
            }
            Ok(RecordStatus::Partial { needed }) => {
                let why = if raw.gap_at.is_some() {
                    "segments missing from the capture"
                } else if raw.dropped > 0 {
                    "bytes past the limit kept per TLS stream"
                } else {
                    "the capture ends"
                };
                findings.push(Finding {
                    code: super::codes::TLS_RECORD_INCOMPLETE,
                    warning: true,
                    message: format!(
                        "TLS record at stream offset {at}: {needed} byte(s) missing ({why})"
                    ),
                    at: Some((d, at as u64)),
                });
                break;
            }
            Err(e) => {
                findings.push(Finding {
                    code: super::codes::TLS_MALFORMED,
                    warning: true,
                    message: format!("{e}; the rest of this direction is not read"),
                    at: Some((d, e.offset)),
                });
                break;
            }
        }
    }
    out
}

/// Handshake messages (type, body) in the concatenated handshake bytes (RFC 8446 §4).
fn messages(b: &[u8]) -> Vec<(u8, &[u8])> {
    let mut r = Rd { b };
    let mut out = Vec::new();
    while let (Some(t), Some(l)) = (r.u8(), r.take(3)) {
        let [a, b2, c] = <[u8; 3]>::try_from(l).unwrap_or_default();
        let n = usize::from(a) << 16 | usize::from(b2) << 8 | usize::from(c);
        let Some(body) = r.take(n) else { break };
        out.push((t, body));
    }
    out
}

/// Reads what the records of both directions show, and decrypts with `keylog` and `crypto`
/// when it can. `frame_of(d, off)` gives the frame number (1-based) of stream offset `off` of
/// direction `d`.
pub(crate) fn analyze(
    dirs: [&RawDir; 2],
    keylog: &KeyLog,
    crypto: Option<RecordProtection>,
    frame_of: &dyn Fn(usize, u64) -> u32,
) -> Outcome {
    let mut findings = Vec::new();
    let mut info = TlsInfo::default();
    let recs = [
        records(dirs[0], 0, &mut findings),
        records(dirs[1], 1, &mut findings),
    ];
    let mut client = None;
    let mut random = None;
    let mut clear_alerts = Vec::new();
    for (d, (rs, raw)) in recs.iter().zip(dirs).enumerate() {
        // the plaintext handshake: records before the first protected one
        let mut hs = Vec::new();
        for r in rs {
            match r.header.content_type {
                content::HANDSHAKE => {
                    hs.extend_from_slice(raw.bytes.get(r.body.clone()).unwrap_or_default());
                }
                content::ALERT => {
                    if let Some(&[level, description]) = raw
                        .bytes
                        .get(r.body.clone())
                        .and_then(|b| b.first_chunk::<2>())
                    {
                        clear_alerts.push((
                            d,
                            Alert {
                                from_client: false,
                                level,
                                description,
                                decrypted: false,
                                frame: frame_of(d, r.off),
                            },
                        ));
                    }
                }
                content::APPLICATION_DATA => break,
                _ => {}
            }
        }
        for (t, body) in messages(&hs) {
            match t {
                1 if client.is_none() => {
                    random = client_hello(body, &mut info);
                    client = Some(d);
                }
                2 => {
                    server_hello(body, &mut info);
                }
                _ => {}
            }
        }
    }
    for (d, mut a) in clear_alerts {
        a.from_client = client == Some(d);
        info.alerts.push(a);
    }
    let mut plain = [Plain::default(), Plain::default()];
    let Some(c) = client else {
        info.opaque_reason = Some("no ClientHello captured: the connection's start is missing, so its TLS keys cannot be matched to a key log".into());
        findings.push(Finding {
            code: super::codes::TLS_NOT_DECODABLE,
            warning: true,
            message: "TLS (TACACS+ over TLS, RFC 9887?) without a captured ClientHello: the contents cannot be shown (capture the connection from its start, with a key log)".into(),
            at: None,
        });
        return Outcome {
            info,
            client,
            plain,
            findings,
        };
    };
    let protected = recs.iter().any(|rs| {
        rs.iter()
            .any(|r| r.header.content_type == content::APPLICATION_DATA)
    });
    let reason = opaque_reason(&info, random.as_ref(), keylog, protected);
    if let Some(why) = &reason {
        findings.push(Finding {
            code: super::codes::TLS_NOT_DECODABLE,
            warning: true,
            message: format!("TLS (TACACS+ over TLS, RFC 9887?): {why}"),
            at: None,
        });
        info.opaque_reason = reason;
        return Outcome {
            info,
            client: Some(c),
            plain,
            findings,
        };
    }
    let Some(crypto) = crypto else {
        findings.push(Finding {
            code: super::codes::TLS_NO_DECRYPTION,
            warning: true,
            message: "TLS 1.3 with its keys in the key log, analysed without TLS decryption: analyse again with it".into(),
            at: None,
        });
        info.opaque_reason = Some(
            "analysed without TLS decryption (this build has none, or it was not loaded)".into(),
        );
        return Outcome {
            info,
            client: Some(c),
            plain,
            findings,
        };
    };
    if let (Some(random), Some(suite)) = (random, info.cipher_suite) {
        for (d, (slot, raw)) in plain.iter_mut().zip(dirs).enumerate() {
            let from_client = d == c;
            let rs = recs.get(d).map(Vec::as_slice).unwrap_or_default();
            *slot = decrypt_dir(
                raw,
                rs,
                from_client,
                (crypto, suite),
                &random,
                keylog,
                &mut info,
                &mut findings,
                &|off| frame_of(d, off),
                d,
            );
            let k = usize::from(!from_client);
            if let Some(n) = info.decrypted.get_mut(k) {
                *n = slot.bytes.len() as u64;
            }
        }
    }
    Outcome {
        info,
        client: Some(c),
        plain,
        findings,
    }
}

/// Why the records cannot be decrypted, or `None` when they may be.
fn opaque_reason(
    info: &TlsInfo,
    random: Option<&[u8; 32]>,
    keylog: &KeyLog,
    protected: bool,
) -> Option<String> {
    if !protected {
        return Some(
            "no encrypted record captured (only the handshake): there are no contents to show"
                .into(),
        );
    }
    match info.version {
        Some(0x0304) => {}
        Some(v) => {
            return Some(format!(
                "TLS version 0x{v:04x}: only TLS 1.3 (RFC 8446, required by RFC 9887) is decrypted; the contents cannot be shown"
            ));
        }
        None => {
            return Some("no ServerHello captured: the cipher suite is unknown, the contents cannot be shown".into());
        }
    }
    match info.cipher_suite {
        Some(s) if s.decryptable() => {}
        Some(s) => {
            return Some(format!(
                "cipher suite 0x{:04x} ({}) is not one that can be decrypted here (AES-GCM, ChaCha20-Poly1305)",
                s.0,
                s.name().unwrap_or("unknown")
            ));
        }
        None => return Some("no cipher suite in the ServerHello".into()),
    }
    let Some(random) = random else {
        return Some("the ClientHello could not be read (no client random): its keys cannot be found in a key log".into());
    };
    if keylog.entries.is_empty() {
        return Some(
            "TLS 1.3 is encrypted: to show the TACACS+ inside, give the key log the client or server wrote (SSLKEYLOGFILE, NSS format: CLIENT_TRAFFIC_SECRET_0 / SERVER_TRAFFIC_SECRET_0 lines)"
                .into(),
        );
    }
    if !keylog.knows(random) {
        let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
        return Some(format!(
            "the key log has no line for this connection (client random {hex}): the contents cannot be shown"
        ));
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn decrypt_dir(
    raw: &RawDir,
    rs: &[Rec],
    from_client: bool,
    (crypto, suite): (RecordProtection, CipherSuite),
    random: &[u8; 32],
    keylog: &KeyLog,
    info: &mut TlsInfo,
    findings: &mut Vec<Finding>,
    frame_of: &dyn Fn(u64) -> u32,
    d: usize,
) -> Plain {
    use decrypt::{Opener, next_secret};
    let (hs_label, app_label, who) = if from_client {
        (
            SecretLabel::ClientHandshake,
            SecretLabel::ClientTraffic0,
            "client",
        )
    } else {
        (
            SecretLabel::ServerHandshake,
            SecretLabel::ServerTraffic0,
            "server",
        )
    };
    let mut plain = Plain::default();
    let Some(app_secret) = keylog.find(random, app_label) else {
        findings.push(Finding {
            code: super::codes::TLS_KEY_MISSING,
            warning: true,
            message: format!(
                "the key log has no {} for this connection: the {who}'s data cannot be shown",
                app_label.name()
            ),
            at: None,
        });
        return plain;
    };
    let mut secret = app_secret.to_vec();
    let mut app = Opener::new(crypto, suite, &secret);
    let mut hs = keylog
        .find(random, hs_label)
        .and_then(|s| Opener::new(crypto, suite, s));
    if app.is_none() {
        findings.push(Finding {
            code: super::codes::TLS_KEY_MISSING,
            warning: true,
            message: format!(
                "the key log's {} does not fit {} ({} bytes): wrong key-log line?",
                app_label.name(),
                suite.name().unwrap_or("the suite"),
                secret.len()
            ),
            at: None,
        });
        return plain;
    }
    // in_app: the handshake is over (Finished seen, or the application key opened a record)
    let mut in_app = false;
    let mut unopened = 0u32;
    let mut hs_buf = Vec::new();
    for r in rs {
        if r.header.content_type != content::APPLICATION_DATA {
            continue;
        }
        let header = raw
            .bytes
            .get(r.body.start - RECORD_HEADER_LEN..r.body.start)
            .unwrap_or_default();
        let body = raw.bytes.get(r.body.clone()).unwrap_or_default();
        let mut inner = None;
        if !in_app && let Some(h) = hs.as_mut() {
            inner = h.open(header, body);
        }
        if inner.is_none()
            && let Some(a) = app.as_mut()
        {
            inner = a.open(header, body);
            if inner.is_some() {
                in_app = true;
                hs = None;
            }
        }
        let Some(mut inner) = inner else {
            if in_app {
                findings.push(Finding {
                    code: super::codes::TLS_DECRYPT_FAILED,
                    warning: true,
                    message: format!(
                        "TLS record at {who} stream offset {} (frame {}): authentication failed with the key log's {} — wrong key-log line, or records missing; the rest of this direction is not shown",
                        r.off, frame_of(r.off), app_label.name()
                    ),
                    at: Some((d, r.off)),
                });
                break;
            }
            // an encrypted handshake record with no handshake secret to open it, or a wrong secret
            unopened = unopened.saturating_add(1);
            continue;
        };
        // TLSInnerPlaintext (RFC 8446 §5.2): content, type, zeros
        while inner.last() == Some(&0) {
            inner.pop();
        }
        let Some(t) = inner.pop() else { continue };
        if !in_app {
            // EncryptedExtensions, Certificate, CertificateVerify, then Finished (RFC 8446
            // §4.4.4): the records after it use the application traffic key
            if t == content::HANDSHAKE {
                hs_buf.extend_from_slice(&inner);
                if messages(&hs_buf).iter().any(|(t, _)| *t == 20) {
                    in_app = true;
                    hs = None;
                }
            }
            continue;
        }
        match t {
            content::APPLICATION_DATA => {
                plain.runs.push((
                    plain.bytes.len() as u64,
                    r.off,
                    u32::from(r.header.len) + RECORD_HEADER_LEN as u32,
                ));
                plain.bytes.extend_from_slice(&inner);
            }
            content::ALERT => {
                if let Some(&[level, description]) = inner.first_chunk::<2>() {
                    info.alerts.push(Alert {
                        from_client,
                        level,
                        description,
                        decrypted: true,
                        frame: frame_of(r.off),
                    });
                }
            }
            // KeyUpdate (RFC 8446 §4.6.3): the next record uses the next secret (§7.2)
            content::HANDSHAKE if messages(&inner).iter().any(|(t, _)| *t == 24) => {
                match next_secret(crypto, suite, &secret)
                    .and_then(|s| Opener::new(crypto, suite, &s).map(|o| (s, o)))
                {
                    Some((s, o)) => {
                        secret = s;
                        app = Some(o);
                        info.key_updates = info.key_updates.saturating_add(1);
                    }
                    None => break,
                }
            }
            _ => {}
        }
    }
    if !in_app && unopened > 0 {
        findings.push(Finding {
            code: super::codes::TLS_DECRYPT_FAILED,
            warning: true,
            message: format!(
                "no {who} record opened with the key log's {} ({unopened} protected record(s) unread): wrong key-log line?",
                app_label.name()
            ),
            at: None,
        });
    }
    plain
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn record_reader_is_total_and_says_where() {
        assert_eq!(
            read_record(&[0x16, 3], 0),
            Ok(RecordStatus::Partial { needed: 3 })
        );
        assert_eq!(
            read_record(&[0x17, 3, 3, 0, 2, 1], 0),
            Ok(RecordStatus::Partial { needed: 1 })
        );
        assert_eq!(read_record(&[0x30, 3, 3, 0, 0], 9).unwrap_err().offset, 9);
        assert_eq!(read_record(&[0x17, 2, 3, 0, 0], 9).unwrap_err().offset, 10);
        assert_eq!(
            read_record(&[0x17, 3, 3, 0xff, 0xff], 0)
                .unwrap_err()
                .offset,
            3
        );
    }
}
