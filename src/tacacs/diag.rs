//! Diagnostics: what the lenient decoder noticed, with a stable code and a byte offset.
//!
//! Codes are stable strings (kebab-case) that tools, tests and the inspector may match on;
//! messages are for humans and may change. Every code is listed in [`codes`], with the rule
//! it enforces.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::fmt;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, not wrong (e.g. "need N more bytes").
    Info,
    /// Suspicious or discouraged, but the PDU is usable (e.g. deprecated values).
    Warning,
    /// A protocol violation: a strict peer rejects the PDU.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        })
    }
}

/// One finding of the decoder or validator.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Diagnostic {
    /// Stable code, one of [`codes::ALL`].
    pub code: &'static str,
    /// How bad it is.
    pub severity: Severity,
    /// Human-readable explanation (never contains key material).
    pub message: String,
    /// Absolute byte offset in the decoder's input that the finding refers to.
    pub offset: usize,
}

impl Diagnostic {
    /// A diagnostic with the default severity of `code` (see [`codes::severity`]).
    pub fn new(code: &'static str, offset: usize, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: codes::severity(code),
            message: message.into(),
            offset,
        }
    }

    /// True when a strict peer must reject a PDU carrying this finding: every `Error`, plus
    /// the warnings RFC 8907 turns into a "MUST drop/ERROR" for a server or client
    /// (unencrypted flag §4.5, unknown or removed values §3.6, non-printable text §3.7).
    pub fn rejects_in_strict_mode(&self) -> bool {
        self.severity == Severity::Error
            || matches!(
                self.code,
                codes::UNENCRYPTED
                    | codes::OBFUSCATED_OVER_TLS
                    | codes::UNKNOWN_VALUE
                    | codes::REMOVED_VALUE
                    | codes::NON_PRINTABLE
            )
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} [{}] at offset {}: {}",
            self.severity, self.code, self.offset, self.message
        )
    }
}

/// Every diagnostic code, with the RFC 8907 rule behind it.
pub mod codes {
    use super::Severity;

    /// Fewer than 12 bytes of header (§4.1) — the PDU is incomplete (Info; `Partial`).
    pub const TRUNCATED_HEADER: &str = "truncated-header";
    /// Fewer body bytes than the header's `length` (§4.1) — "need N more bytes" (Info; `Partial`).
    pub const TRUNCATED_BODY: &str = "truncated-body";
    /// `major_version` is not `TAC_PLUS_MAJOR_VER` (0xc) (§4.1).
    pub const BAD_MAJOR_VERSION: &str = "bad-major-version";
    /// `minor_version` is neither DEFAULT (0) nor ONE (1) (§4.1).
    pub const BAD_MINOR_VERSION: &str = "bad-minor-version";
    /// `type` is not AUTHEN, AUTHOR or ACCT (§4.1); the body is kept raw.
    pub const UNKNOWN_TYPE: &str = "unknown-type";
    /// `seq_no` is 0; the first packet of a session is 1 (§4.1).
    pub const SEQ_NO_ZERO: &str = "seq-no-zero";
    /// `seq_no` parity contradicts the known direction: clients send odd, servers even (§4.1).
    pub const SEQ_PARITY: &str = "seq-parity";
    /// `seq_no` impossible for the packet type: authorization/accounting sessions are one
    /// request (1) and one reply (2) (§6, §7) (Warning).
    pub const SEQ_UNEXPECTED: &str = "seq-unexpected";
    /// Header flag bits other than UNENCRYPTED and SINGLE_CONNECT are set; they are ignored
    /// when reading and SHOULD be zero when writing (§4.1) (Warning).
    pub const RESERVED_FLAGS: &str = "reserved-flags";
    /// TAC_PLUS_UNENCRYPTED_FLAG is set: MUST NOT be used in production, a request MUST be
    /// dropped (§4.1, §4.5) (Warning; rejected in strict mode).
    pub const UNENCRYPTED: &str = "unencrypted";
    /// Over TLS (RFC 9887, [`crate::tacacs::DecodeOptions::over_tls`]) the body is obfuscated
    /// (TAC_PLUS_UNENCRYPTED_FLAG clear): obfuscation MUST NOT be used inside TLS (Warning;
    /// rejected in strict mode).
    pub const OBFUSCATED_OVER_TLS: &str = "obfuscated-over-tls";
    /// `length` exceeds the configured maximum (default 2^16, §4.1).
    pub const LENGTH_OVER_MAX: &str = "length-over-max";
    /// The body is obfuscated and no key was given: its fields cannot be read (§4.5) (Warning).
    pub const NO_KEY: &str = "no-key";
    /// After de-obfuscation the field lengths do not add up with any given key: probably the
    /// wrong key (§4.5).
    pub const WRONG_KEY: &str = "wrong-key";
    /// The UNENCRYPTED flag is clear but the body is in clear: no key de-obfuscates it and it
    /// reads consistently as it is (§4.5: a body is either obfuscated or flagged) (Error).
    pub const CLEAR_WITHOUT_FLAG: &str = "clear-without-flag";
    /// An authentication START for `authen_service` ENABLE with an action other than LOGIN:
    /// enable requests are LOGIN (§5.4.2.6, §5.1) (Warning).
    pub const ENABLE_NOT_LOGIN: &str = "enable-not-login";
    /// The body is shorter than the fixed part of its kind (§5–§7).
    pub const BODY_TOO_SHORT: &str = "body-too-short";
    /// Declared field lengths run past the end of the body (§4.5: the sum of the component
    /// lengths must equal the header length).
    pub const LENGTH_MISMATCH: &str = "length-mismatch";
    /// Body bytes left over after the last declared field (§4.5 again).
    pub const TRAILING_BYTES: &str = "trailing-bytes";
    /// `arg_cnt` and the argument lengths overflow the body (§6.1, §6.2, §7.1).
    pub const ARG_OVERFLOW: &str = "arg-overflow";
    /// An argument has no `=` or `*` separator (§6.1) (Warning).
    pub const AV_NO_SEPARATOR: &str = "av-no-separator";
    /// An argument starts with its separator: empty attribute name (§6.1) (Warning).
    pub const AV_EMPTY_NAME: &str = "av-empty-name";
    /// A well-known accounting argument has a malformed value (§8.1, §8.3) (Warning).
    pub const ACCT_ARG_INVALID: &str = "acct-arg-invalid";
    /// Invalid combination of accounting START/STOP/WATCHDOG flags (§7.2 table).
    pub const ACCT_FLAGS_INVALID: &str = "acct-flags-invalid";
    /// `minor_version` does not fit the action and authen_type (§5.4.1 table 1, §5.4.2).
    pub const MINOR_VERSION_MISMATCH: &str = "minor-version-mismatch";
    /// A value RFC 8907 deprecates (FOLLOW, ARAP, ACCT_FLAG_MORE) (Warning).
    pub const DEPRECATED_VALUE: &str = "deprecated-value";
    /// A value RFC 8907 removed (SENDPASS, §5.4.1) (Warning; rejected in strict mode).
    pub const REMOVED_VALUE: &str = "removed-value";
    /// An enumerated field holds a value RFC 8907 does not define (§3.6) (Warning; rejected
    /// in strict mode).
    pub const UNKNOWN_VALUE: &str = "unknown-value";
    /// CHAP / MS-CHAP data has the wrong size for id + challenge + response (§5.4.2.3–5)
    /// (Warning).
    pub const CHAP_SIZE: &str = "chap-size";
    /// A text field contains control characters, NUL or invalid UTF-8 (§3.7) (Warning;
    /// rejected in strict mode).
    pub const NON_PRINTABLE: &str = "non-printable";
    /// A field the authentication flow requires is missing, e.g. PAP/CHAP without user
    /// (§5.4.2.2–5) (Warning).
    pub const MISSING_FIELD: &str = "missing-field";

    /// Session machines only: a packet for a session that is not active on the connection
    /// (§4.1: the session_id does not change during a session).
    pub const UNKNOWN_SESSION: &str = "unknown-session";
    /// Session machines only: a packet that breaks the session flow (wrong type or kind for
    /// the session, GETPASS in a PAP session, a second session without Single Connection
    /// Mode, … §4.3, §5.4.2).
    pub const FLOW_VIOLATION: &str = "flow-violation";

    /// Codes the session machines add on top of the decoder's (always `Error`).
    pub const SESSION: &[&str] = &[UNKNOWN_SESSION, FLOW_VIOLATION];

    /// Every code the decoder reports (all codes above except [`SESSION`]).
    pub const ALL: &[&str] = &[
        TRUNCATED_HEADER,
        TRUNCATED_BODY,
        BAD_MAJOR_VERSION,
        BAD_MINOR_VERSION,
        UNKNOWN_TYPE,
        SEQ_NO_ZERO,
        SEQ_PARITY,
        SEQ_UNEXPECTED,
        RESERVED_FLAGS,
        UNENCRYPTED,
        OBFUSCATED_OVER_TLS,
        LENGTH_OVER_MAX,
        NO_KEY,
        WRONG_KEY,
        CLEAR_WITHOUT_FLAG,
        ENABLE_NOT_LOGIN,
        BODY_TOO_SHORT,
        LENGTH_MISMATCH,
        TRAILING_BYTES,
        ARG_OVERFLOW,
        AV_NO_SEPARATOR,
        AV_EMPTY_NAME,
        ACCT_ARG_INVALID,
        ACCT_FLAGS_INVALID,
        MINOR_VERSION_MISMATCH,
        DEPRECATED_VALUE,
        REMOVED_VALUE,
        UNKNOWN_VALUE,
        CHAP_SIZE,
        NON_PRINTABLE,
        MISSING_FIELD,
    ];

    /// True for the codes that say the peer does not use our key (§4.5): [`WRONG_KEY`], and
    /// [`CLEAR_WITHOUT_FLAG`] (a peer with no key at all).
    pub fn key_mismatch(code: &str) -> bool {
        matches!(code, WRONG_KEY | CLEAR_WITHOUT_FLAG)
    }

    /// The severity each code is reported with.
    pub fn severity(code: &str) -> Severity {
        match code {
            TRUNCATED_HEADER | TRUNCATED_BODY => Severity::Info,
            SEQ_UNEXPECTED | RESERVED_FLAGS | UNENCRYPTED | OBFUSCATED_OVER_TLS | NO_KEY
            | AV_NO_SEPARATOR | AV_EMPTY_NAME | ACCT_ARG_INVALID | DEPRECATED_VALUE
            | REMOVED_VALUE | UNKNOWN_VALUE | CHAP_SIZE | NON_PRINTABLE | MISSING_FIELD
            | ENABLE_NOT_LOGIN => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// True when any diagnostic is an `Error`.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}
