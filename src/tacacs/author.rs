//! Authorization bodies: REQUEST (RFC 8907 §6.1) and RESPONSE (§6.2), and the
//! argument-value pairs they (and accounting requests) carry.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::codec::Span;

use super::body::{BodyReader, check_text, check_value};
use super::diag::{Diagnostic, codes};
use super::enums::{AuthenMethod, AuthenService, AuthenType, AuthorStatus, PrivLvl};
use super::header::Header;

/// Spans of one argument: its length byte and its bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ArgSpans {
    /// The `arg_N_len` byte.
    pub len: Span,
    /// The `arg_N` bytes.
    pub value: Span,
}

/// The separator of an argument-value pair (§6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Separator {
    /// `=`: mandatory argument.
    Mandatory,
    /// `*`: optional argument.
    Optional,
}

/// An argument split at its first `=` or `*` (§6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AvPair<'a> {
    /// The attribute name (the whole argument when there is no separator).
    pub name: &'a [u8],
    /// The value (empty when there is no separator).
    pub value: &'a [u8],
    /// Which separator came first, `None` when there is neither (`av-no-separator`).
    pub separator: Option<Separator>,
}

impl<'a> AvPair<'a> {
    /// Splits an argument at the first `=` (mandatory) or `*` (optional), RFC 8907 §6.1.
    pub fn split(arg: &'a [u8]) -> Self {
        match arg.iter().position(|&b| b == b'=' || b == b'*') {
            Some(i) => {
                let (name, rest) = arg.split_at(i);
                let (sep, value) = match rest.split_first() {
                    Some((s, v)) => (*s, v),
                    None => (b'=', rest),
                };
                Self {
                    name,
                    value,
                    separator: Some(if sep == b'=' {
                        Separator::Mandatory
                    } else {
                        Separator::Optional
                    }),
                }
            }
            None => Self {
                name: arg,
                value: <&[u8]>::default(),
                separator: None,
            },
        }
    }

    /// True for a mandatory (`=`) argument.
    pub fn is_mandatory(&self) -> bool {
        self.separator == Some(Separator::Mandatory)
    }
}

/// Reads `lens.len()` arguments whose lengths are the bytes of `lens`.
pub(crate) fn decode_args(
    br: &mut BodyReader<'_, '_>,
    lens: &[u8],
    len_spans: Span,
) -> (Vec<Vec<u8>>, Vec<ArgSpans>) {
    let mut args = Vec::with_capacity(lens.len());
    let mut spans = Vec::with_capacity(lens.len());
    for (i, &l) in lens.iter().enumerate() {
        let (v, sp) = br.field(l.into(), "arg lengths", codes::ARG_OVERFLOW);
        args.push(v);
        spans.push(ArgSpans {
            len: Span::new(len_spans.start.saturating_add(i), 1),
            value: sp,
        });
    }
    (args, spans)
}

/// AV-pair checks shared by authorization and accounting (§6.1).
pub(crate) fn check_args(args: &[Vec<u8>], spans: &[ArgSpans], diags: &mut Vec<Diagnostic>) {
    for (i, a) in args.iter().enumerate() {
        let at = spans.get(i).map_or(0, |s| s.value.start);
        let av = AvPair::split(a);
        if av.separator.is_none() {
            diags.push(Diagnostic::new(
                codes::AV_NO_SEPARATOR,
                at,
                format!(
                    "argument {} has neither '=' nor '*' separator (§6.1)",
                    i + 1
                ),
            ));
        } else if av.name.is_empty() {
            diags.push(Diagnostic::new(
                codes::AV_EMPTY_NAME,
                at,
                format!("argument {} has an empty attribute name (§6.1)", i + 1),
            ));
        }
        check_text(diags, "argument", a, Span::new(at, a.len()));
    }
}

/// The fields an authorization REQUEST (§6.1) has and an accounting REQUEST (§7.1)
/// repeats after its `flags`, borrowed: one checker and one encoder serve both.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestFields<'a> {
    pub authen_method: AuthenMethod,
    pub priv_lvl: PrivLvl,
    pub authen_type: AuthenType,
    pub authen_service: AuthenService,
    pub user: &'a [u8],
    pub port: &'a [u8],
    pub rem_addr: &'a [u8],
    pub args: &'a [Vec<u8>],
}

/// Where the [`RequestFields`] were found.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestFieldSpans<'a> {
    pub authen_method: Span,
    pub priv_lvl: Span,
    pub authen_type: Span,
    pub authen_service: Span,
    pub user: Span,
    pub port: Span,
    pub rem_addr: Span,
    pub args: &'a [ArgSpans],
}

impl RequestFields<'_> {
    /// Unknown or deprecated values (§6.1, §5.1 tables), text fields, AV pairs.
    pub(crate) fn check(&self, s: &RequestFieldSpans<'_>, diags: &mut Vec<Diagnostic>) {
        check_value(
            diags,
            "authen_method",
            &self.authen_method,
            self.authen_method.status(),
            s.authen_method,
        );
        check_value(
            diags,
            "priv_lvl",
            &self.priv_lvl,
            self.priv_lvl.status(),
            s.priv_lvl,
        );
        // authen_type 0 means "not set" in authorization/accounting requests.
        if self.authen_type.0 != 0 {
            check_value(
                diags,
                "authen_type",
                &self.authen_type,
                self.authen_type.status(),
                s.authen_type,
            );
        }
        check_value(
            diags,
            "authen_service",
            &self.authen_service,
            self.authen_service.status(),
            s.authen_service,
        );
        check_text(diags, "user", self.user, s.user);
        check_text(diags, "port", self.port, s.port);
        check_text(diags, "rem_addr", self.rem_addr, s.rem_addr);
        check_args(self.args, s.args, diags);
    }
}

/// Field spans of an Authorization REQUEST body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[allow(missing_docs)]
pub struct AuthorRequestSpans {
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

/// Authorization REQUEST (RFC 8907 §6.1), sent by the client (`seq_no` 1).
///
/// ```text
/// authen_method | priv_lvl | authen_type | authen_service | user_len | port_len |
/// rem_addr_len | arg_cnt | arg_1_len … arg_N_len | user | port | rem_addr | arg_1 … arg_N
/// ```
#[derive(Clone, Debug, Default)]
pub struct AuthorRequest {
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
    /// `arg_1 … arg_N`, e.g. `service=shell`, `cmd*show`. Split with [`AvPair::split`].
    pub args: Vec<Vec<u8>>,
    /// Where each field was found.
    pub spans: AuthorRequestSpans,
}

impl PartialEq for AuthorRequest {
    fn eq(&self, o: &Self) -> bool {
        self.authen_method == o.authen_method
            && self.priv_lvl == o.priv_lvl
            && self.authen_type == o.authen_type
            && self.authen_service == o.authen_service
            && self.user == o.user
            && self.port == o.port
            && self.rem_addr == o.rem_addr
            && self.args == o.args
    }
}
impl Eq for AuthorRequest {}

impl AuthorRequest {
    /// Size of the fixed part (before the argument lengths).
    pub const FIXED_LEN: usize = 8;

    /// The arguments split into name / value / separator.
    pub fn av_pairs(&self) -> impl Iterator<Item = AvPair<'_>> {
        self.args.iter().map(|a| AvPair::split(a))
    }

    pub(crate) fn decode_body(br: &mut BodyReader<'_, '_>) -> Option<Self> {
        if !br.need_fixed(Self::FIXED_LEN, "authorization REQUEST") {
            return None;
        }
        Some(Self::decode_fields(br))
    }

    /// Reads the §6.1 layout; accounting REQUESTs (§7.1) repeat it after their `flags`.
    /// The caller has checked that the fixed part is there.
    pub(crate) fn decode_fields(br: &mut BodyReader<'_, '_>) -> Self {
        let mut s = AuthorRequestSpans::default();
        let (authen_method, sp) = br.u8();
        s.authen_method = sp;
        let (priv_lvl, sp) = br.u8();
        s.priv_lvl = sp;
        let (authen_type, sp) = br.u8();
        s.authen_type = sp;
        let (authen_service, sp) = br.u8();
        s.authen_service = sp;
        let (user_len, sp) = br.u8();
        s.user_len = sp;
        let (port_len, sp) = br.u8();
        s.port_len = sp;
        let (rem_addr_len, sp) = br.u8();
        s.rem_addr_len = sp;
        let (arg_cnt, sp) = br.u8();
        s.arg_cnt = sp;
        let (lens, lens_span) = br.field(arg_cnt.into(), "arg_cnt", codes::ARG_OVERFLOW);
        let (user, sp) = br.field(user_len.into(), "user_len", codes::LENGTH_MISMATCH);
        s.user = sp;
        let (port, sp) = br.field(port_len.into(), "port_len", codes::LENGTH_MISMATCH);
        s.port = sp;
        let (rem_addr, sp) = br.field(rem_addr_len.into(), "rem_addr_len", codes::LENGTH_MISMATCH);
        s.rem_addr = sp;
        let (args, arg_spans) = decode_args(br, &lens, lens_span);
        s.args = arg_spans;
        Self {
            authen_method: AuthenMethod(authen_method),
            priv_lvl: PrivLvl(priv_lvl),
            authen_type: AuthenType(authen_type),
            authen_service: AuthenService(authen_service),
            user,
            port,
            rem_addr,
            args,
            spans: s,
        }
    }

    /// The fields, borrowed, for the checks and the encoder it shares with accounting.
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
    }
}

/// Field spans of an Authorization RESPONSE body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[allow(missing_docs)]
pub struct AuthorResponseSpans {
    pub status: Span,
    pub arg_cnt: Span,
    pub server_msg_len: Span,
    pub data_len: Span,
    pub server_msg: Span,
    pub data: Span,
    pub args: Vec<ArgSpans>,
}

/// Authorization RESPONSE (RFC 8907 §6.2), sent by the server (`seq_no` 2).
///
/// ```text
/// status | arg_cnt | server_msg_len (2) | data_len (2) | arg_1_len … arg_N_len |
/// server_msg | data | arg_1 … arg_N
/// ```
#[derive(Clone, Debug, Default)]
pub struct AuthorResponse {
    /// `status`.
    pub status: AuthorStatus,
    /// `arg_1 … arg_N`.
    pub args: Vec<Vec<u8>>,
    /// `server_msg`.
    pub server_msg: Vec<u8>,
    /// `data` (administrative log text).
    pub data: Vec<u8>,
    /// Where each field was found.
    pub spans: AuthorResponseSpans,
}

impl PartialEq for AuthorResponse {
    fn eq(&self, o: &Self) -> bool {
        self.status == o.status
            && self.args == o.args
            && self.server_msg == o.server_msg
            && self.data == o.data
    }
}
impl Eq for AuthorResponse {}

impl AuthorResponse {
    /// Size of the fixed part (before the argument lengths).
    pub const FIXED_LEN: usize = 6;

    /// The arguments split into name / value / separator.
    pub fn av_pairs(&self) -> impl Iterator<Item = AvPair<'_>> {
        self.args.iter().map(|a| AvPair::split(a))
    }

    pub(crate) fn decode_body(br: &mut BodyReader<'_, '_>) -> Option<Self> {
        if !br.need_fixed(Self::FIXED_LEN, "authorization RESPONSE") {
            return None;
        }
        let mut s = AuthorResponseSpans::default();
        let (status, sp) = br.u8();
        s.status = sp;
        let (arg_cnt, sp) = br.u8();
        s.arg_cnt = sp;
        let (msg_len, sp) = br.u16();
        s.server_msg_len = sp;
        let (data_len, sp) = br.u16();
        s.data_len = sp;
        let (lens, lens_span) = br.field(arg_cnt.into(), "arg_cnt", codes::ARG_OVERFLOW);
        let (server_msg, sp) = br.field(msg_len.into(), "server_msg_len", codes::LENGTH_MISMATCH);
        s.server_msg = sp;
        let (data, sp) = br.field(data_len.into(), "data_len", codes::LENGTH_MISMATCH);
        s.data = sp;
        let (args, arg_spans) = decode_args(br, &lens, lens_span);
        s.args = arg_spans;
        Some(Self {
            status: AuthorStatus(status),
            args,
            server_msg,
            data,
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
        check_args(&self.args, &s.args, diags);
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
    fn av_pair_splits_at_first_separator_6_1() {
        let a = AvPair::split(b"service=shell");
        assert_eq!(
            (a.name, a.value, a.separator),
            (&b"service"[..], &b"shell"[..], Some(Separator::Mandatory))
        );
        let o = AvPair::split(b"cmd*show=x");
        assert_eq!(
            (o.name, o.value, o.separator),
            (&b"cmd"[..], &b"show=x"[..], Some(Separator::Optional))
        );
        assert!(!o.is_mandatory());
        let m = AvPair::split(b"a=b*c");
        assert_eq!((m.name, m.value), (&b"a"[..], &b"b*c"[..]));
        let n = AvPair::split(b"novalue");
        assert_eq!(
            (n.name, n.value, n.separator),
            (&b"novalue"[..], &b""[..], None)
        );
        let e = AvPair::split(b"x=");
        assert_eq!((e.name, e.value), (&b"x"[..], &b""[..]));
    }
}
