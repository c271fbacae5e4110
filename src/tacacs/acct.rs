//! Accounting bodies: REQUEST (RFC 8907 §7.1) and REPLY (§7.2), and the well-known
//! accounting arguments (§8.3) as typed values.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::codec::Span;
use crate::time::Timestamp;

use super::author::{ArgSpans, AuthorRequest, AvPair, RequestFieldSpans, RequestFields};
use super::body::{BodyReader, check_text, check_value};
use super::diag::{Diagnostic, codes};
use super::enums::{
    AcctFlags, AcctRecordKind, AcctStatus, AuthenMethod, AuthenService, AuthenType, PrivLvl,
    ValueStatus,
};
use super::header::Header;

/// Field spans of an Accounting REQUEST body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[allow(missing_docs)]
pub struct AcctRequestSpans {
    pub flags: Span,
    pub authen_method: Span,
    pub priv_lvl: Span,
    pub authen_type: Span,
    pub authen_service: Span,
    pub user_len: Span,
    pub port_len: Span,
    pub rem_addr_len: Span,
    pub arg_cnt: Span,
    pub user: Span,
    pub port: Span,
    pub rem_addr: Span,
    pub args: Vec<ArgSpans>,
}

/// Accounting REQUEST (RFC 8907 §7.1), sent by the client (`seq_no` 1).
///
/// ```text
/// flags | authen_method | priv_lvl | authen_type | authen_service | user_len | port_len |
/// rem_addr_len | arg_cnt | arg_1_len … arg_N_len | user | port | rem_addr | arg_1 … arg_N
/// ```
#[derive(Clone, Debug, Default)]
pub struct AcctRequest {
    /// `flags` (START / STOP / WATCHDOG; MORE deprecated).
    pub flags: AcctFlags,
    /// `authen_method`.
    pub authen_method: AuthenMethod,
    /// `priv_lvl`.
    pub priv_lvl: PrivLvl,
    /// `authen_type`.
    pub authen_type: AuthenType,
    /// `authen_service`.
    pub authen_service: AuthenService,
    /// `user`.
    pub user: Vec<u8>,
    /// `port`.
    pub port: Vec<u8>,
    /// `rem_addr`.
    pub rem_addr: Vec<u8>,
    /// `arg_1 … arg_N` (see [`AcctRequest::acct_args`] for the typed well-known ones).
    pub args: Vec<Vec<u8>>,
    /// Where each field was found.
    pub spans: AcctRequestSpans,
}

impl PartialEq for AcctRequest {
    fn eq(&self, o: &Self) -> bool {
        self.flags == o.flags
            && self.authen_method == o.authen_method
            && self.priv_lvl == o.priv_lvl
            && self.authen_type == o.authen_type
            && self.authen_service == o.authen_service
            && self.user == o.user
            && self.port == o.port
            && self.rem_addr == o.rem_addr
            && self.args == o.args
    }
}
impl Eq for AcctRequest {}

/// The well-known accounting arguments of RFC 8907 §8.3, typed (§8.1 value encoding).
///
/// The last occurrence of an attribute wins; malformed values are left `None` and reported
/// as `acct-arg-invalid`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AcctArgs {
    /// `task_id`: identifies the task across START/WATCHDOG/STOP records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// `start_time`: seconds since the epoch, UTC unless `timezone` says otherwise.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_time")]
    pub start_time: Option<Timestamp>,
    /// `stop_time`: seconds since the epoch, UTC unless `timezone` says otherwise.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_time")]
    pub stop_time: Option<Timestamp>,
    /// `elapsed_time`: seconds since the task started (a duration, not a point in time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_time: Option<u64>,
    /// `timezone`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// `bytes_in`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_in: Option<u64>,
    /// `bytes_out`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_out: Option<u64>,
}

fn ser_time<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_rfc3339()),
        None => s.serialize_none(),
    }
}

/// Parses a §8.1 numeric value: decimal digits only (no sign, no spaces).
fn parse_decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    core::str::from_utf8(v).ok()?.parse().ok()
}

impl AcctArgs {
    /// Extracts the typed well-known arguments; returns `(index, attribute)` of malformed ones.
    pub fn parse(args: &[Vec<u8>]) -> (Self, Vec<(usize, &'static str)>) {
        let mut out = Self::default();
        let mut bad = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let av = AvPair::split(a);
            if av.separator.is_none() {
                continue;
            }
            let text = || super::text::escape(av.value);
            match av.name {
                b"task_id" => out.task_id = Some(text()),
                b"timezone" => out.timezone = Some(text()),
                b"start_time" | b"stop_time" => {
                    let name = if av.name == b"start_time" {
                        "start_time"
                    } else {
                        "stop_time"
                    };
                    match parse_decimal(av.value).and_then(|s| i64::try_from(s).ok()) {
                        Some(secs) => {
                            let t = Some(Timestamp::from_secs(secs));
                            if name == "start_time" {
                                out.start_time = t;
                            } else {
                                out.stop_time = t;
                            }
                        }
                        None => bad.push((i, name)),
                    }
                }
                b"elapsed_time" => match parse_decimal(av.value) {
                    Some(v) => out.elapsed_time = Some(v),
                    None => bad.push((i, "elapsed_time")),
                },
                b"bytes_in" => match parse_decimal(av.value) {
                    Some(v) => out.bytes_in = Some(v),
                    None => bad.push((i, "bytes_in")),
                },
                b"bytes_out" => match parse_decimal(av.value) {
                    Some(v) => out.bytes_out = Some(v),
                    None => bad.push((i, "bytes_out")),
                },
                _ => {}
            }
        }
        (out, bad)
    }

    /// True when no well-known argument was found.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl AcctRequest {
    /// Size of the fixed part (before the argument lengths).
    pub const FIXED_LEN: usize = 9;

    /// The arguments split into name / value / separator.
    pub fn av_pairs(&self) -> impl Iterator<Item = AvPair<'_>> {
        self.args.iter().map(|a| AvPair::split(a))
    }

    /// The well-known accounting arguments, typed (§8.3).
    pub fn acct_args(&self) -> AcctArgs {
        AcctArgs::parse(&self.args).0
    }

    pub(crate) fn decode_body(br: &mut BodyReader<'_, '_>) -> Option<Self> {
        if !br.need_fixed(Self::FIXED_LEN, "accounting REQUEST") {
            return None;
        }
        let (flags, flags_span) = br.u8();
        // §7.1: the rest is the authorization REQUEST layout (§6.1).
        let a = AuthorRequest::decode_fields(br);
        let sp = a.spans;
        Some(Self {
            flags: AcctFlags(flags),
            authen_method: a.authen_method,
            priv_lvl: a.priv_lvl,
            authen_type: a.authen_type,
            authen_service: a.authen_service,
            user: a.user,
            port: a.port,
            rem_addr: a.rem_addr,
            args: a.args,
            spans: AcctRequestSpans {
                flags: flags_span,
                authen_method: sp.authen_method,
                priv_lvl: sp.priv_lvl,
                authen_type: sp.authen_type,
                authen_service: sp.authen_service,
                user_len: sp.user_len,
                port_len: sp.port_len,
                rem_addr_len: sp.rem_addr_len,
                arg_cnt: sp.arg_cnt,
                user: sp.user,
                port: sp.port,
                rem_addr: sp.rem_addr,
                args: sp.args,
            },
        })
    }

    /// The fields after `flags`, borrowed (the §6.1 layout).
    pub(crate) fn fields(&self) -> RequestFields<'_> {
        RequestFields {
            authen_method: self.authen_method,
            priv_lvl: self.priv_lvl,
            authen_type: self.authen_type,
            authen_service: self.authen_service,
            user: &self.user,
            port: &self.port,
            rem_addr: &self.rem_addr,
            args: &self.args,
        }
    }

    pub(crate) fn check(&self, _header: &Header, diags: &mut Vec<Diagnostic>) {
        let s = &self.spans;
        if self.flags.record_kind() == AcctRecordKind::Invalid {
            diags.push(Diagnostic::new(
                codes::ACCT_FLAGS_INVALID,
                s.flags.start,
                format!(
                    "accounting flags {:?} are not a valid combination: use START, STOP, WATCHDOG or WATCHDOG|START (§7.2)",
                    self.flags
                ),
            ));
        }
        if self.flags.status() == ValueStatus::Deprecated {
            check_value(
                diags,
                "flags",
                &self.flags,
                ValueStatus::Deprecated,
                s.flags,
            );
        }
        if self.flags.undefined_bits() != 0 {
            check_value(diags, "flags", &self.flags, ValueStatus::Unknown, s.flags);
        }
        self.fields().check(
            &RequestFieldSpans {
                authen_method: s.authen_method,
                priv_lvl: s.priv_lvl,
                authen_type: s.authen_type,
                authen_service: s.authen_service,
                user: s.user,
                port: s.port,
                rem_addr: s.rem_addr,
                args: &s.args,
            },
            diags,
        );
        let (_, bad) = AcctArgs::parse(&self.args);
        for (i, name) in bad {
            let at = s.args.get(i).map_or(0, |a| a.value.start);
            diags.push(Diagnostic::new(
                codes::ACCT_ARG_INVALID,
                at,
                format!("{name} must be a decimal number (§8.1, §8.3)"),
            ));
        }
    }
}

/// Field spans of an Accounting REPLY body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[allow(missing_docs)]
pub struct AcctReplySpans {
    pub server_msg_len: Span,
    pub data_len: Span,
    pub status: Span,
    pub server_msg: Span,
    pub data: Span,
}

/// Accounting REPLY (RFC 8907 §7.2), sent by the server (`seq_no` 2).
///
/// ```text
/// server_msg_len (2) | data_len (2) | status | server_msg | data
/// ```
#[derive(Clone, Debug, Default)]
pub struct AcctReply {
    /// `server_msg`.
    pub server_msg: Vec<u8>,
    /// `data`.
    pub data: Vec<u8>,
    /// `status`.
    pub status: AcctStatus,
    /// Where each field was found.
    pub spans: AcctReplySpans,
}

impl PartialEq for AcctReply {
    fn eq(&self, o: &Self) -> bool {
        self.server_msg == o.server_msg && self.data == o.data && self.status == o.status
    }
}
impl Eq for AcctReply {}

impl AcctReply {
    /// Size of the fixed part.
    pub const FIXED_LEN: usize = 5;

    pub(crate) fn decode_body(br: &mut BodyReader<'_, '_>) -> Option<Self> {
        if !br.need_fixed(Self::FIXED_LEN, "accounting REPLY") {
            return None;
        }
        let mut s = AcctReplySpans::default();
        let (msg_len, sp) = br.u16();
        s.server_msg_len = sp;
        let (data_len, sp) = br.u16();
        s.data_len = sp;
        let (status, sp) = br.u8();
        s.status = sp;
        let (server_msg, sp) = br.field(msg_len.into(), "server_msg_len", codes::LENGTH_MISMATCH);
        s.server_msg = sp;
        let (data, sp) = br.field(data_len.into(), "data_len", codes::LENGTH_MISMATCH);
        s.data = sp;
        Some(Self {
            server_msg,
            data,
            status: AcctStatus(status),
            spans: s,
        })
    }

    pub(crate) fn check(&self, diags: &mut Vec<Diagnostic>) {
        let s = &self.spans;
        check_value(
            diags,
            "status",
            &self.status,
            self.status.status(),
            s.status,
        );
        check_text(diags, "server_msg", &self.server_msg, s.server_msg);
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
    use super::*;

    #[test]
    fn well_known_acct_args_are_typed_8_3() {
        let args: Vec<Vec<u8>> = [
            "task_id=42",
            "start_time=1600000000",
            "stop_time=1600000060",
            "elapsed_time=60",
            "bytes_in=1024",
            "bytes_out=2048",
            "service=shell",
            "timezone=UTC",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        let (a, bad) = AcctArgs::parse(&args);
        assert!(bad.is_empty());
        assert_eq!(a.task_id.as_deref(), Some("42"));
        assert_eq!(a.start_time.unwrap().to_rfc3339(), "2020-09-13T12:26:40Z");
        assert_eq!(a.stop_time.unwrap().to_rfc3339(), "2020-09-13T12:27:40Z");
        assert_eq!(a.elapsed_time, Some(60));
        assert_eq!((a.bytes_in, a.bytes_out), (Some(1024), Some(2048)));
        assert_eq!(a.timezone.as_deref(), Some("UTC"));
    }

    #[test]
    fn malformed_numbers_are_reported_8_1() {
        let args = vec![
            b"start_time=-5".to_vec(),
            b"bytes_in=12k".to_vec(),
            b"bytes_out=".to_vec(),
        ];
        let (a, bad) = AcctArgs::parse(&args);
        assert!(a.is_empty());
        assert_eq!(
            bad,
            vec![(0, "start_time"), (1, "bytes_in"), (2, "bytes_out")]
        );
        let huge = vec![b"bytes_in=99999999999999999999999".to_vec()];
        assert_eq!(AcctArgs::parse(&huge).1, vec![(0, "bytes_in")]);
    }
}
