//! Encoding: every body with computed lengths, whole packets (header + obfuscation), and a
//! raw form that writes caller-given lengths so tests can build malformed packets
//! (pcap-parser `serialize.rs` idea).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use super::acct::{AcctReply, AcctRequest};
use super::authen::{AuthenContinue, AuthenReply, AuthenStart};
use super::author::{AuthorRequest, AuthorResponse, RequestFields};
use super::body::{Body, BodyKind};
use super::header::Header;
use super::obfuscate::{Key, obfuscate_body};

/// Why a value cannot be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A variable field is longer than its length field can say.
    #[error("{field} is {len} bytes; its length field holds at most {max}")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The largest encodable length.
        max: usize,
    },
    /// More than 255 arguments.
    #[error("{count} arguments; arg_cnt holds at most 255")]
    TooManyArgs {
        /// Number of arguments given.
        count: usize,
    },
    /// The body kind does not match the header's `(type, seq_no)`.
    #[error("a {body:?} body does not fit a header that means {header:?}")]
    KindMismatch {
        /// What the header means.
        header: BodyKind,
        /// What the body is.
        body: BodyKind,
    },
    /// The header asks for obfuscation but no key was given.
    #[error("the UNENCRYPTED flag is clear but no key was given")]
    MissingKey,
    /// The body does not fit the 32-bit `length`.
    #[error("body of {0} bytes does not fit the 32-bit length field")]
    BodyTooLong(usize),
}

/// Length fields to write instead of the computed ones (raw encoding). `None` = computed.
/// Values are truncated to the field's width (`u8` or `u16`). Fields that a body does not
/// have are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawLengths {
    /// `user_len` (START, REQUESTs).
    pub user_len: Option<u32>,
    /// `port_len` (START, REQUESTs).
    pub port_len: Option<u32>,
    /// `rem_addr_len` (START, REQUESTs).
    pub rem_addr_len: Option<u32>,
    /// `data_len` (START, REPLY, CONTINUE, RESPONSE, acct REPLY).
    pub data_len: Option<u32>,
    /// `server_msg_len` (REPLY, RESPONSE, acct REPLY).
    pub server_msg_len: Option<u32>,
    /// `user_msg_len` (CONTINUE).
    pub user_msg_len: Option<u32>,
    /// `arg_cnt` (REQUESTs, RESPONSE); the length bytes written are still one per argument.
    pub arg_cnt: Option<u32>,
    /// `arg_N_len` per argument index.
    pub arg_lens: Vec<Option<u32>>,
}

const NONE: &RawLengths = &RawLengths {
    user_len: None,
    port_len: None,
    rem_addr_len: None,
    data_len: None,
    server_msg_len: None,
    user_msg_len: None,
    arg_cnt: None,
    arg_lens: Vec::new(),
};

fn len8(field: &'static str, actual: usize, over: Option<u32>) -> Result<u8, EncodeError> {
    match over {
        Some(v) => Ok(v as u8),
        None => u8::try_from(actual).map_err(|_| EncodeError::FieldTooLong {
            field,
            len: actual,
            max: 255,
        }),
    }
}

fn len16(field: &'static str, actual: usize, over: Option<u32>) -> Result<[u8; 2], EncodeError> {
    match over {
        Some(v) => Ok((v as u16).to_be_bytes()),
        None => {
            u16::try_from(actual)
                .map(u16::to_be_bytes)
                .map_err(|_| EncodeError::FieldTooLong {
                    field,
                    len: actual,
                    max: 65_535,
                })
        }
    }
}

fn arg_header(args: &[Vec<u8>], raw: &RawLengths) -> Result<(u8, Vec<u8>), EncodeError> {
    let cnt = match raw.arg_cnt {
        Some(v) => v as u8,
        None => {
            u8::try_from(args.len()).map_err(|_| EncodeError::TooManyArgs { count: args.len() })?
        }
    };
    let mut lens = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        lens.push(len8(
            "arg",
            a.len(),
            raw.arg_lens.get(i).copied().flatten(),
        )?);
    }
    Ok((cnt, lens))
}

impl AuthenStart {
    /// Appends the body with computed lengths (§5.1).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_raw(NONE, out)
    }

    /// Appends the body writing the lengths given in `raw` (others computed).
    pub fn encode_raw(&self, raw: &RawLengths, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let fixed = [
            self.action.0,
            self.priv_lvl.0,
            self.authen_type.0,
            self.authen_service.0,
            len8("user", self.user.len(), raw.user_len)?,
            len8("port", self.port.len(), raw.port_len)?,
            len8("rem_addr", self.rem_addr.len(), raw.rem_addr_len)?,
            len8("data", self.data.len(), raw.data_len)?,
        ];
        out.extend_from_slice(&fixed);
        out.extend_from_slice(&self.user);
        out.extend_from_slice(&self.port);
        out.extend_from_slice(&self.rem_addr);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

impl AuthenReply {
    /// Appends the body with computed lengths (§5.2).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_raw(NONE, out)
    }

    /// Appends the body writing the lengths given in `raw` (others computed).
    pub fn encode_raw(&self, raw: &RawLengths, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let m = len16("server_msg", self.server_msg.len(), raw.server_msg_len)?;
        let d = len16("data", self.data.len(), raw.data_len)?;
        out.extend_from_slice(&[self.status.0, self.flags.0]);
        out.extend_from_slice(&m);
        out.extend_from_slice(&d);
        out.extend_from_slice(&self.server_msg);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

impl AuthenContinue {
    /// Appends the body with computed lengths (§5.3).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_raw(NONE, out)
    }

    /// Appends the body writing the lengths given in `raw` (others computed).
    pub fn encode_raw(&self, raw: &RawLengths, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let m = len16("user_msg", self.user_msg.len(), raw.user_msg_len)?;
        let d = len16("data", self.data.len(), raw.data_len)?;
        out.extend_from_slice(&m);
        out.extend_from_slice(&d);
        out.push(self.flags.0);
        out.extend_from_slice(&self.user_msg);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

impl RequestFields<'_> {
    /// The §6.1 layout, which §7.1 repeats after `flags`.
    fn encode_raw(&self, raw: &RawLengths, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let (cnt, lens) = arg_header(self.args, raw)?;
        let fixed = [
            self.authen_method.0,
            self.priv_lvl.0,
            self.authen_type.0,
            self.authen_service.0,
            len8("user", self.user.len(), raw.user_len)?,
            len8("port", self.port.len(), raw.port_len)?,
            len8("rem_addr", self.rem_addr.len(), raw.rem_addr_len)?,
            cnt,
        ];
        out.extend_from_slice(&fixed);
        out.extend_from_slice(&lens);
        out.extend_from_slice(self.user);
        out.extend_from_slice(self.port);
        out.extend_from_slice(self.rem_addr);
        for a in self.args {
            out.extend_from_slice(a);
        }
        Ok(())
    }
}

impl AuthorRequest {
    /// Appends the body with computed lengths (§6.1).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_raw(NONE, out)
    }

    /// Appends the body writing the lengths given in `raw` (others computed).
    pub fn encode_raw(&self, raw: &RawLengths, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.fields().encode_raw(raw, out)
    }
}

impl AuthorResponse {
    /// Appends the body with computed lengths (§6.2).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_raw(NONE, out)
    }

    /// Appends the body writing the lengths given in `raw` (others computed).
    pub fn encode_raw(&self, raw: &RawLengths, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let (cnt, lens) = arg_header(&self.args, raw)?;
        let m = len16("server_msg", self.server_msg.len(), raw.server_msg_len)?;
        let d = len16("data", self.data.len(), raw.data_len)?;
        out.extend_from_slice(&[self.status.0, cnt]);
        out.extend_from_slice(&m);
        out.extend_from_slice(&d);
        out.extend_from_slice(&lens);
        out.extend_from_slice(&self.server_msg);
        out.extend_from_slice(&self.data);
        for a in &self.args {
            out.extend_from_slice(a);
        }
        Ok(())
    }
}

impl AcctRequest {
    /// Appends the body with computed lengths (§7.1).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_raw(NONE, out)
    }

    /// Appends the body writing the lengths given in `raw` (others computed).
    pub fn encode_raw(&self, raw: &RawLengths, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        // Nothing is appended when a length does not fit.
        let start = out.len();
        out.push(self.flags.0);
        self.fields()
            .encode_raw(raw, out)
            .inspect_err(|_| out.truncate(start))
    }
}

impl AcctReply {
    /// Appends the body with computed lengths (§7.2).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_raw(NONE, out)
    }

    /// Appends the body writing the lengths given in `raw` (others computed).
    pub fn encode_raw(&self, raw: &RawLengths, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let m = len16("server_msg", self.server_msg.len(), raw.server_msg_len)?;
        let d = len16("data", self.data.len(), raw.data_len)?;
        out.extend_from_slice(&m);
        out.extend_from_slice(&d);
        out.push(self.status.0);
        out.extend_from_slice(&self.server_msg);
        out.extend_from_slice(&self.data);
        Ok(())
    }
}

impl Body {
    /// Appends the body with computed lengths (an `Unknown` body is written as is).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_raw(NONE, out)
    }

    /// Appends the body writing the lengths given in `raw` (others computed).
    pub fn encode_raw(&self, raw: &RawLengths, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Self::AuthenStart(b) => b.encode_raw(raw, out),
            Self::AuthenReply(b) => b.encode_raw(raw, out),
            Self::AuthenContinue(b) => b.encode_raw(raw, out),
            Self::AuthorRequest(b) => b.encode_raw(raw, out),
            Self::AuthorResponse(b) => b.encode_raw(raw, out),
            Self::AcctRequest(b) => b.encode_raw(raw, out),
            Self::AcctReply(b) => b.encode_raw(raw, out),
            Self::Unknown(u) => {
                out.extend_from_slice(&u.data);
                Ok(())
            }
        }
    }

    /// The cleartext body bytes with computed lengths.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::new();
        self.encode(&mut v)?;
        Ok(v)
    }
}

/// Encodes a whole packet: the header with `length` computed from the body, then the body,
/// obfuscated with `key` unless the header has `TAC_PLUS_UNENCRYPTED_FLAG` (§4.5).
/// Every other header field is written as given. The body kind must match the header's
/// `(type, seq_no)` (an `Unknown` body fits any header).
pub fn encode_packet(
    header: &Header,
    body: &Body,
    key: Option<&Key>,
) -> Result<Vec<u8>, EncodeError> {
    let want = BodyKind::of_header(header);
    if body.kind() != BodyKind::Unknown && body.kind() != want {
        return Err(EncodeError::KindMismatch {
            header: want,
            body: body.kind(),
        });
    }
    let mut clear = Vec::new();
    body.encode(&mut clear)?;
    let len = u32::try_from(clear.len()).map_err(|_| EncodeError::BodyTooLong(clear.len()))?;
    let mut h = *header;
    h.length = len;
    if !h.is_unencrypted() {
        let key = key.ok_or(EncodeError::MissingKey)?;
        obfuscate_body(&h, key, &mut clear);
    }
    let mut out = Vec::with_capacity(Header::LEN + clear.len());
    h.encode(&mut out);
    out.extend_from_slice(&clear);
    Ok(out)
}

/// Raw packet encoding for malformed-packet tests: the header exactly as given (its
/// `length` included, whatever the body's size), then `body_clear`, obfuscated with `key`
/// when one is given and the UNENCRYPTED flag is clear.
pub fn encode_packet_raw(header: &Header, body_clear: &[u8], key: Option<&Key>) -> Vec<u8> {
    let mut body = body_clear.to_vec();
    if let Some(k) = key {
        obfuscate_body(header, k, &mut body);
    }
    let mut out = Vec::with_capacity(Header::LEN + body.len());
    header.encode(&mut out);
    out.extend_from_slice(&body);
    out
}
