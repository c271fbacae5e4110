//! Authentication bodies: START (RFC 8907 §5.1), REPLY (§5.2), CONTINUE (§5.3), and the
//! CHAP / MS-CHAP data layouts (§5.4.2.3–5).
//!
//! `Debug` of these bodies redacts `data` and `user_msg`, which carry passwords (PAP
//! password, ASCII-login password in CONTINUE).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::fmt;

use crate::codec::Span;

use super::body::{BodyReader, check_text, check_value};
use super::diag::{Diagnostic, codes};
use super::enums::{
    AuthenAction, AuthenService, AuthenStatus, AuthenType, ContinueFlags, PrivLvl, ReplyFlags,
};
use super::header::Header;

/// Shows a secret byte field as its length only.
pub(crate) struct Redacted<'a>(pub(crate) &'a [u8]);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0.len())
    }
}

/// Field spans of an Authentication START body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[allow(missing_docs)]
pub struct AuthenStartSpans {
    pub action: Span,
    pub priv_lvl: Span,
    pub authen_type: Span,
    pub authen_service: Span,
    pub user_len: Span,
    pub port_len: Span,
    pub rem_addr_len: Span,
    pub data_len: Span,
    pub user: Span,
    pub port: Span,
    pub rem_addr: Span,
    pub data: Span,
}

/// Authentication START (RFC 8907 §5.1), sent by the client with `seq_no` 1.
///
/// ```text
/// action | priv_lvl | authen_type | authen_service | user_len | port_len | rem_addr_len |
/// data_len | user | port | rem_addr | data
/// ```
#[derive(Clone, Default)]
pub struct AuthenStart {
    /// `action`: LOGIN, CHPASS, SENDAUTH (SENDPASS removed).
    pub action: AuthenAction,
    /// `priv_lvl` (§9).
    pub priv_lvl: PrivLvl,
    /// `authen_type`.
    pub authen_type: AuthenType,
    /// `authen_service`.
    pub authen_service: AuthenService,
    /// `user` (may be empty for ASCII login).
    pub user: Vec<u8>,
    /// `port`, e.g. `tty10`.
    pub port: Vec<u8>,
    /// `rem_addr`, e.g. an IP address.
    pub rem_addr: Vec<u8>,
    /// `data`: PAP password, CHAP id‖challenge‖response, … (§5.4.2). Secret: redacted in `Debug`.
    pub data: Vec<u8>,
    /// Where each field was found.
    pub spans: AuthenStartSpans,
}

impl PartialEq for AuthenStart {
    fn eq(&self, o: &Self) -> bool {
        self.action == o.action
            && self.priv_lvl == o.priv_lvl
            && self.authen_type == o.authen_type
            && self.authen_service == o.authen_service
            && self.user == o.user
            && self.port == o.port
            && self.rem_addr == o.rem_addr
            && self.data == o.data
    }
}
impl Eq for AuthenStart {}

impl fmt::Debug for AuthenStart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenStart")
            .field("action", &self.action)
            .field("priv_lvl", &self.priv_lvl)
            .field("authen_type", &self.authen_type)
            .field("authen_service", &self.authen_service)
            .field("user", &super::text::escape(&self.user))
            .field("port", &super::text::escape(&self.port))
            .field("rem_addr", &super::text::escape(&self.rem_addr))
            .field("data", &Redacted(&self.data))
            .finish()
    }
}

impl AuthenStart {
    /// Size of the fixed part.
    pub const FIXED_LEN: usize = 8;

    pub(crate) fn decode_body(br: &mut BodyReader<'_, '_>) -> Option<Self> {
        if !br.need_fixed(Self::FIXED_LEN, "authentication START") {
            return None;
        }
        let mut s = AuthenStartSpans::default();
        let (action, sp) = br.u8();
        s.action = sp;
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
        let (data_len, sp) = br.u8();
        s.data_len = sp;
        let (user, sp) = br.field(user_len.into(), "user_len", codes::LENGTH_MISMATCH);
        s.user = sp;
        let (port, sp) = br.field(port_len.into(), "port_len", codes::LENGTH_MISMATCH);
        s.port = sp;
        let (rem_addr, sp) = br.field(rem_addr_len.into(), "rem_addr_len", codes::LENGTH_MISMATCH);
        s.rem_addr = sp;
        let (data, sp) = br.field(data_len.into(), "data_len", codes::LENGTH_MISMATCH);
        s.data = sp;
        Some(Self {
            action: AuthenAction(action),
            priv_lvl: PrivLvl(priv_lvl),
            authen_type: AuthenType(authen_type),
            authen_service: AuthenService(authen_service),
            user,
            port,
            rem_addr,
            data,
            spans: s,
        })
    }

    /// A PAP login START (§5.4.2.2): username in `user`, password in `data`.
    pub fn pap(user: &[u8], password: &[u8], port: &[u8], rem_addr: &[u8]) -> Self {
        Self {
            action: AuthenAction::LOGIN,
            priv_lvl: PrivLvl::USER,
            authen_type: AuthenType::PAP,
            authen_service: AuthenService::LOGIN,
            user: user.to_vec(),
            port: port.to_vec(),
            rem_addr: rem_addr.to_vec(),
            data: password.to_vec(),
            spans: AuthenStartSpans::default(),
        }
    }

    /// An ASCII login START (§5.4.2.1); `user` may be empty (the server then asks GETUSER).
    pub fn ascii_login(user: &[u8], port: &[u8], rem_addr: &[u8]) -> Self {
        Self {
            action: AuthenAction::LOGIN,
            priv_lvl: PrivLvl::USER,
            authen_type: AuthenType::ASCII,
            authen_service: AuthenService::LOGIN,
            user: user.to_vec(),
            port: port.to_vec(),
            rem_addr: rem_addr.to_vec(),
            data: Vec::new(),
            spans: AuthenStartSpans::default(),
        }
    }

    /// A CHAP login START (§5.4.2.3): `data` = PPP id ‖ challenge ‖ 16-byte MD5 response.
    pub fn chap_login(
        user: &[u8],
        port: &[u8],
        rem_addr: &[u8],
        id: u8,
        challenge: &[u8],
        response: &[u8; 16],
    ) -> Self {
        let mut data = Vec::with_capacity(1 + challenge.len() + 16);
        data.push(id);
        data.extend_from_slice(challenge);
        data.extend_from_slice(response);
        Self {
            action: AuthenAction::LOGIN,
            priv_lvl: PrivLvl::USER,
            authen_type: AuthenType::CHAP,
            authen_service: AuthenService::PPP,
            user: user.to_vec(),
            port: port.to_vec(),
            rem_addr: rem_addr.to_vec(),
            data,
            spans: AuthenStartSpans::default(),
        }
    }

    /// True for the flows RFC 8907 limits to a single START and a single REPLY: PAP, CHAP,
    /// MS-CHAP v1/v2 login (§5.4.1, §5.4.2.2–5).
    pub fn is_single_exchange(&self) -> bool {
        matches!(
            self.authen_type,
            AuthenType::PAP | AuthenType::CHAP | AuthenType::MSCHAP | AuthenType::MSCHAPV2
        ) && self.authen_service != AuthenService::ENABLE
    }

    /// The CHAP / MS-CHAP split of `data` when `authen_type` is CHAP, MSCHAP or MSCHAPV2.
    pub fn chap(&self) -> Option<ChapData<'_>> {
        ChapData::split(self.authen_type, &self.data)
    }

    /// The minor version RFC 8907 §5.4.1 (table 1) requires for this action and
    /// authen_type, or `None` when the combination is invalid ('-') or unknown.
    pub fn required_minor_version(&self) -> Option<u8> {
        required_minor_version(self.action, self.authen_type)
    }

    pub(crate) fn check(&self, header: &Header, diags: &mut Vec<Diagnostic>) {
        let s = &self.spans;
        check_value(
            diags,
            "action",
            &self.action,
            self.action.status(),
            s.action,
        );
        check_value(
            diags,
            "priv_lvl",
            &self.priv_lvl,
            self.priv_lvl.status(),
            s.priv_lvl,
        );
        // NOT_SET is a value of authorization/accounting requests only (§6.1): in a
        // START it names no authentication type at all.
        let authen_type_status = if self.authen_type == AuthenType::NOT_SET {
            super::enums::ValueStatus::Unknown
        } else {
            self.authen_type.status()
        };
        check_value(
            diags,
            "authen_type",
            &self.authen_type,
            authen_type_status,
            s.authen_type,
        );
        check_value(
            diags,
            "authen_service",
            &self.authen_service,
            self.authen_service.status(),
            s.authen_service,
        );
        check_minor_version(self.action, self.authen_type, header, s.authen_type, diags);
        check_text(diags, "user", &self.user, s.user);
        check_text(diags, "port", &self.port, s.port);
        check_text(diags, "rem_addr", &self.rem_addr, s.rem_addr);
        let needs_user = self.action == AuthenAction::LOGIN
            && matches!(
                self.authen_type,
                AuthenType::PAP | AuthenType::CHAP | AuthenType::MSCHAP | AuthenType::MSCHAPV2
            );
        if needs_user && self.user.is_empty() {
            diags.push(Diagnostic::new(
                codes::MISSING_FIELD,
                s.user_len.start,
                format!(
                    "{} login START MUST contain a username (§5.4.2)",
                    self.authen_type
                ),
            ));
        }
        if needs_user && self.data.is_empty() {
            diags.push(Diagnostic::new(
                codes::MISSING_FIELD,
                s.data_len.start,
                format!(
                    "{} login START carries no data (password / response, §5.4.2)",
                    self.authen_type
                ),
            ));
        }
        // §5.4.2.6: an enable request is action LOGIN with authen_service ENABLE (§5.1)
        if self.authen_service == AuthenService::ENABLE && self.action != AuthenAction::LOGIN {
            diags.push(Diagnostic::new(
                codes::ENABLE_NOT_LOGIN,
                s.action.start,
                format!(
                    "authen_service ENABLE with action {}: an enable request is a LOGIN (§5.4.2.6)",
                    self.action
                ),
            ));
        }
        if let Some(chap) = self.chap()
            && !self.data.is_empty()
            && let Some(msg) = chap.size_problem()
        {
            diags.push(Diagnostic::new(codes::CHAP_SIZE, s.data.start, msg));
        }
    }
}

/// RFC 8907 §5.4.1 table 1: the minor version for (action, authen_type); `None` for '-'
/// (invalid) or values the table does not cover.
pub fn required_minor_version(action: AuthenAction, authen_type: AuthenType) -> Option<u8> {
    match (action, authen_type) {
        (AuthenAction::LOGIN | AuthenAction::CHPASS, AuthenType::ASCII) => {
            Some(Header::MINOR_VER_DEFAULT)
        }
        (
            AuthenAction::LOGIN | AuthenAction::SENDAUTH,
            AuthenType::PAP | AuthenType::CHAP | AuthenType::MSCHAP | AuthenType::MSCHAPV2,
        ) => Some(Header::MINOR_VER_ONE),
        _ => None,
    }
}

fn is_table_action(a: AuthenAction) -> bool {
    matches!(
        a,
        AuthenAction::LOGIN | AuthenAction::CHPASS | AuthenAction::SENDAUTH
    )
}

fn is_table_type(t: AuthenType) -> bool {
    matches!(
        t,
        AuthenType::ASCII
            | AuthenType::PAP
            | AuthenType::CHAP
            | AuthenType::MSCHAP
            | AuthenType::MSCHAPV2
    )
}

fn check_minor_version(
    action: AuthenAction,
    authen_type: AuthenType,
    header: &Header,
    at: Span,
    diags: &mut Vec<Diagnostic>,
) {
    if header.minor > Header::MINOR_VER_ONE {
        return; // already reported as bad-minor-version
    }
    match required_minor_version(action, authen_type) {
        Some(v) if v != header.minor => diags.push(Diagnostic::new(
            codes::MINOR_VERSION_MISMATCH,
            header.spans.version.start,
            format!(
                "{authen_type} {action} uses minor_version {v}, the header has {} (§5.4.1 table 1)",
                header.minor
            ),
        )),
        Some(_) => {}
        None if is_table_action(action) && is_table_type(authen_type) => {
            diags.push(Diagnostic::new(
                codes::MINOR_VERSION_MISMATCH,
                at.start,
                format!(
                    "{authen_type} with action {action} is not a valid combination (§5.4.1 table 1)"
                ),
            ))
        }
        None => {}
    }
}

/// Which challenge/response layout `data` has (§5.4.2.3–5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChapKind {
    /// CHAP: id (1) ‖ challenge (any, ≥ 8 recommended) ‖ MD5 response (16).
    Chap,
    /// MS-CHAP v1: id (1) ‖ challenge (8) ‖ response (49).
    MsChapV1,
    /// MS-CHAP v2: id (1) ‖ challenge (16) ‖ response (49).
    MsChapV2,
}

impl ChapKind {
    /// Length of the response field.
    pub const fn response_len(self) -> usize {
        match self {
            Self::Chap => 16,
            Self::MsChapV1 | Self::MsChapV2 => 49,
        }
    }

    /// Required challenge length (`None`: any length, CHAP).
    pub const fn challenge_len(self) -> Option<usize> {
        match self {
            Self::Chap => None,
            Self::MsChapV1 => Some(8),
            Self::MsChapV2 => Some(16),
        }
    }
}

/// START `data` split into PPP id, challenge and response (§5.4.2.3–5).
///
/// When `data` is shorter than id + response, `id` is the first byte (if any), the
/// challenge is empty and `response` holds the rest; [`ChapData::size_problem`] says why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChapData<'a> {
    /// Layout.
    pub kind: ChapKind,
    /// PPP id (1 octet), if present.
    pub id: Option<u8>,
    /// Challenge (length = data_len − 1 − response length).
    pub challenge: &'a [u8],
    /// Response (16 octets for CHAP, 49 for MS-CHAP v1/v2).
    pub response: &'a [u8],
    /// Total data length.
    pub data_len: usize,
}

impl<'a> ChapData<'a> {
    /// Splits `data` for `authen_type`; `None` when the type is not CHAP-like.
    pub fn split(authen_type: AuthenType, data: &'a [u8]) -> Option<Self> {
        let kind = match authen_type {
            AuthenType::CHAP => ChapKind::Chap,
            AuthenType::MSCHAP => ChapKind::MsChapV1,
            AuthenType::MSCHAPV2 => ChapKind::MsChapV2,
            _ => return None,
        };
        let (id, rest) = match data.split_first() {
            Some((id, rest)) => (Some(*id), rest),
            None => (None, data),
        };
        let (challenge, response) = match rest.len().checked_sub(kind.response_len()) {
            Some(n) => rest.split_at(n),
            None => (<&[u8]>::default(), rest),
        };
        Some(Self {
            kind,
            id,
            challenge,
            response,
            data_len: data.len(),
        })
    }

    /// Why the sizes are wrong, or `None` when they fit the layout.
    pub fn size_problem(&self) -> Option<String> {
        let resp = self.kind.response_len();
        if self.data_len < 1 + resp {
            return Some(format!(
                "{:?} data is {} bytes, shorter than id (1) + response ({resp})",
                self.kind, self.data_len
            ));
        }
        match self.kind.challenge_len() {
            Some(want) if self.challenge.len() != want => Some(format!(
                "{:?} challenge is {} bytes, the RFC requires {want} (§5.4.2.4–5)",
                self.kind,
                self.challenge.len()
            )),
            None if self.challenge.is_empty() => Some("CHAP challenge is empty (§5.4.2.3)".into()),
            _ => None,
        }
    }
}

/// Field spans of an Authentication REPLY body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[allow(missing_docs)]
pub struct AuthenReplySpans {
    pub status: Span,
    pub flags: Span,
    pub server_msg_len: Span,
    pub data_len: Span,
    pub server_msg: Span,
    pub data: Span,
}

/// Authentication REPLY (RFC 8907 §5.2), sent by the server (even `seq_no`).
///
/// ```text
/// status | flags | server_msg_len (2) | data_len (2) | server_msg | data
/// ```
#[derive(Clone, Debug, Default)]
pub struct AuthenReply {
    /// `status`.
    pub status: AuthenStatus,
    /// `flags` (NOECHO).
    pub flags: ReplyFlags,
    /// `server_msg`: text for the user.
    pub server_msg: Vec<u8>,
    /// `data`: for the client, not the user.
    pub data: Vec<u8>,
    /// Where each field was found.
    pub spans: AuthenReplySpans,
}

impl PartialEq for AuthenReply {
    fn eq(&self, o: &Self) -> bool {
        self.status == o.status
            && self.flags == o.flags
            && self.server_msg == o.server_msg
            && self.data == o.data
    }
}
impl Eq for AuthenReply {}

impl AuthenReply {
    /// Size of the fixed part.
    pub const FIXED_LEN: usize = 6;

    pub(crate) fn decode_body(br: &mut BodyReader<'_, '_>) -> Option<Self> {
        if !br.need_fixed(Self::FIXED_LEN, "authentication REPLY") {
            return None;
        }
        let mut s = AuthenReplySpans::default();
        let (status, sp) = br.u8();
        s.status = sp;
        let (flags, sp) = br.u8();
        s.flags = sp;
        let (msg_len, sp) = br.u16();
        s.server_msg_len = sp;
        let (data_len, sp) = br.u16();
        s.data_len = sp;
        let (server_msg, sp) = br.field(msg_len.into(), "server_msg_len", codes::LENGTH_MISMATCH);
        s.server_msg = sp;
        let (data, sp) = br.field(data_len.into(), "data_len", codes::LENGTH_MISMATCH);
        s.data = sp;
        Some(Self {
            status: AuthenStatus(status),
            flags: ReplyFlags(flags),
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
        if self.flags.undefined_bits() != 0 {
            check_value(
                diags,
                "flags",
                &self.flags,
                super::enums::ValueStatus::Unknown,
                s.flags,
            );
        }
        check_text(diags, "server_msg", &self.server_msg, s.server_msg);
    }
}

/// Field spans of an Authentication CONTINUE body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[allow(missing_docs)]
pub struct AuthenContinueSpans {
    pub user_msg_len: Span,
    pub data_len: Span,
    pub flags: Span,
    pub user_msg: Span,
    pub data: Span,
}

/// Authentication CONTINUE (RFC 8907 §5.3), sent by the client (odd `seq_no` > 1).
///
/// ```text
/// user_msg_len (2) | data_len (2) | flags | user_msg | data
/// ```
#[derive(Clone, Default)]
pub struct AuthenContinue {
    /// `user_msg`: what the user typed (username or password). Secret: redacted in `Debug`.
    pub user_msg: Vec<u8>,
    /// `data`: flow-specific; with ABORT, the reason text (§5.4.3).
    pub data: Vec<u8>,
    /// `flags` (ABORT).
    pub flags: ContinueFlags,
    /// Where each field was found.
    pub spans: AuthenContinueSpans,
}

impl PartialEq for AuthenContinue {
    fn eq(&self, o: &Self) -> bool {
        self.user_msg == o.user_msg && self.data == o.data && self.flags == o.flags
    }
}
impl Eq for AuthenContinue {}

impl fmt::Debug for AuthenContinue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenContinue")
            .field("user_msg", &Redacted(&self.user_msg))
            .field("data", &Redacted(&self.data))
            .field("flags", &self.flags)
            .finish()
    }
}

impl AuthenContinue {
    /// Size of the fixed part.
    pub const FIXED_LEN: usize = 5;

    pub(crate) fn decode_body(br: &mut BodyReader<'_, '_>) -> Option<Self> {
        if !br.need_fixed(Self::FIXED_LEN, "authentication CONTINUE") {
            return None;
        }
        let mut s = AuthenContinueSpans::default();
        let (msg_len, sp) = br.u16();
        s.user_msg_len = sp;
        let (data_len, sp) = br.u16();
        s.data_len = sp;
        let (flags, sp) = br.u8();
        s.flags = sp;
        let (user_msg, sp) = br.field(msg_len.into(), "user_msg_len", codes::LENGTH_MISMATCH);
        s.user_msg = sp;
        let (data, sp) = br.field(data_len.into(), "data_len", codes::LENGTH_MISMATCH);
        s.data = sp;
        Some(Self {
            user_msg,
            data,
            flags: ContinueFlags(flags),
            spans: s,
        })
    }

    pub(crate) fn check(&self, diags: &mut Vec<Diagnostic>) {
        let s = &self.spans;
        if self.flags.undefined_bits() != 0 {
            check_value(
                diags,
                "flags",
                &self.flags,
                super::enums::ValueStatus::Unknown,
                s.flags,
            );
        }
        // No printable-text check on user_msg: in an ASCII login it carries the answer to
        // GETPASS, a password, which §3.7 says is handled as 8-bit octets, not as text.
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
    fn chap_split_id_challenge_response_5_4_2_3() {
        let mut data = vec![7u8];
        data.extend_from_slice(b"challeng");
        data.extend_from_slice(&[0xaa; 16]);
        let c = ChapData::split(AuthenType::CHAP, &data).unwrap();
        assert_eq!(c.id, Some(7));
        assert_eq!(c.challenge, b"challeng");
        assert_eq!(c.response, &[0xaa; 16]);
        assert_eq!(c.size_problem(), None);
    }

    #[test]
    fn mschap_v1_needs_8_byte_challenge_5_4_2_4() {
        let mut data = vec![1u8];
        data.extend_from_slice(&[0x11; 8]);
        data.extend_from_slice(&[0x22; 49]);
        let c = ChapData::split(AuthenType::MSCHAP, &data).unwrap();
        assert_eq!(c.kind, ChapKind::MsChapV1);
        assert_eq!((c.challenge.len(), c.response.len()), (8, 49));
        assert_eq!(c.size_problem(), None);
        data.push(0);
        let c = ChapData::split(AuthenType::MSCHAP, &data).unwrap();
        assert!(c.size_problem().unwrap().contains("requires 8"));
    }

    #[test]
    fn mschap_v2_needs_16_byte_challenge_5_4_2_5() {
        let mut data = vec![1u8];
        data.extend_from_slice(&[0x11; 16]);
        data.extend_from_slice(&[0x22; 49]);
        let c = ChapData::split(AuthenType::MSCHAPV2, &data).unwrap();
        assert_eq!(c.size_problem(), None);
        let short = ChapData::split(AuthenType::MSCHAPV2, &data[..30]).unwrap();
        assert_eq!(short.challenge, b"");
        assert_eq!(short.response.len(), 29);
        assert!(short.size_problem().unwrap().contains("shorter"));
        assert!(ChapData::split(AuthenType::PAP, &data).is_none());
        let empty = ChapData::split(AuthenType::CHAP, &[]).unwrap();
        assert_eq!(empty.id, None);
    }

    #[test]
    fn minor_version_table_5_4_1() {
        use AuthenAction as A;
        use AuthenType as T;
        assert_eq!(required_minor_version(A::LOGIN, T::ASCII), Some(0));
        assert_eq!(required_minor_version(A::CHPASS, T::ASCII), Some(0));
        assert_eq!(required_minor_version(A::SENDAUTH, T::ASCII), None);
        for t in [T::PAP, T::CHAP, T::MSCHAP, T::MSCHAPV2] {
            assert_eq!(required_minor_version(A::LOGIN, t), Some(1));
            assert_eq!(required_minor_version(A::SENDAUTH, t), Some(1));
            assert_eq!(required_minor_version(A::CHPASS, t), None);
        }
    }

    #[test]
    fn debug_redacts_passwords() {
        let s = AuthenStart {
            user: b"alice".to_vec(),
            data: b"hunter2".to_vec(),
            ..Default::default()
        };
        let d = format!("{s:?}");
        assert!(d.contains("alice") && !d.contains("hunter2"), "{d}");
        let c = AuthenContinue {
            user_msg: b"hunter2".to_vec(),
            ..Default::default()
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
