//! Every enumerated wire value of RFC 8907, as open newtypes.
//!
//! A wire enum is `struct X(pub u8)` with one associated constant per value the RFC names
//! (rustls `msgs/enums.rs` style): decoding never fails on a value the RFC does not list, the
//! number is kept, and [`ValueStatus`] tells a validator whether a value is current,
//! deprecated, removed, or unknown. `Debug`/`Display` show the RFC name or the number;
//! JSON shows the name as a string, or the number when the value has no name.
//!
//! Bit sets (header flags, REPLY/CONTINUE flags, accounting flags) are newtypes too, with the
//! defined bits as constants; bits the RFC does not define are kept and reported.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::fmt;

/// Whether RFC 8907 still defines a wire value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueStatus {
    /// Defined and current.
    Known,
    /// Defined for compatibility but deprecated (e.g. `FOLLOW`, ARAP, `TAC_PLUS_ACCT_FLAG_MORE`).
    Deprecated,
    /// Once defined ("The Draft"), removed by RFC 8907 (e.g. `SENDPASS`).
    Removed,
    /// Not a value RFC 8907 (or "The Draft") defines.
    Unknown,
}

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $(
                $(#[$vmeta:meta])*
                $konst:ident = $val:literal => $label:literal $(@ $status:ident)?;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub u8);

        impl $name {
            $(
                $(#[$vmeta])*
                pub const $konst: Self = Self($val);
            )*

            /// Every value RFC 8907 (or "The Draft", for removed/deprecated ones) names.
            pub const ALL: &'static [Self] = &[$(Self::$konst),*];

            /// The RFC name of this value (`TAC_PLUS_…` without the prefix), if it has one.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some($label),)*
                    _ => None,
                }
            }

            /// Whether RFC 8907 defines, deprecates or removed this value.
            pub const fn status(self) -> ValueStatus {
                match self.0 {
                    $($val => wire_enum!(@status $($status)?),)*
                    _ => ValueStatus::Unknown,
                }
            }
        }

        impl From<u8> for $name {
            fn from(v: u8) -> Self {
                Self(v)
            }
        }

        impl From<$name> for u8 {
            fn from(v: $name) -> u8 {
                v.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "{}(0x{:02x})", stringify!($name), self.0),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(f, "0x{:02x}", self.0),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self.name() {
                    Some(n) => s.serialize_str(n),
                    None => s.serialize_u8(self.0),
                }
            }
        }
    };
    (@status) => { ValueStatus::Known };
    (@status $s:ident) => { ValueStatus::$s };
}

wire_enum! {
    /// Packet `type` in the header (RFC 8907 §4.1).
    PacketType {
        /// `TAC_PLUS_AUTHEN` (Authentication).
        AUTHEN = 0x01 => "AUTHEN";
        /// `TAC_PLUS_AUTHOR` (Authorization).
        AUTHOR = 0x02 => "AUTHOR";
        /// `TAC_PLUS_ACCT` (Accounting).
        ACCT = 0x03 => "ACCT";
    }
}

wire_enum! {
    /// Authentication START `action` (RFC 8907 §5.1; SENDPASS removed, §5.4.1).
    AuthenAction {
        /// `TAC_PLUS_AUTHEN_LOGIN`.
        LOGIN = 0x01 => "LOGIN";
        /// `TAC_PLUS_AUTHEN_CHPASS`.
        CHPASS = 0x02 => "CHPASS";
        /// `TAC_PLUS_AUTHEN_SENDPASS` — removed for security reasons (§5.4.1).
        SENDPASS = 0x03 => "SENDPASS" @ Removed;
        /// `TAC_PLUS_AUTHEN_SENDAUTH`.
        SENDAUTH = 0x04 => "SENDAUTH";
    }
}

wire_enum! {
    /// `authen_type` (RFC 8907 §5.1; ARAP is from "The Draft" and no longer listed).
    AuthenType {
        /// `TAC_PLUS_AUTHEN_TYPE_NOT_SET` — only in authorization/accounting requests
        /// (§6.1, §7.1); an authentication START must name a real type (§5.1).
        NOT_SET = 0x00 => "NOT_SET";
        /// `TAC_PLUS_AUTHEN_TYPE_ASCII`.
        ASCII = 0x01 => "ASCII";
        /// `TAC_PLUS_AUTHEN_TYPE_PAP`.
        PAP = 0x02 => "PAP";
        /// `TAC_PLUS_AUTHEN_TYPE_CHAP`.
        CHAP = 0x03 => "CHAP";
        /// `TAC_PLUS_AUTHEN_TYPE_ARAP` — deprecated ("The Draft" only).
        ARAP = 0x04 => "ARAP" @ Deprecated;
        /// `TAC_PLUS_AUTHEN_TYPE_MSCHAP` (MS-CHAP v1).
        MSCHAP = 0x05 => "MSCHAP";
        /// `TAC_PLUS_AUTHEN_TYPE_MSCHAPV2`.
        MSCHAPV2 = 0x06 => "MSCHAPV2";
    }
}

wire_enum! {
    /// `authen_service` (RFC 8907 §5.1; ARAP 0x04 is from "The Draft").
    AuthenService {
        /// `TAC_PLUS_AUTHEN_SVC_NONE`.
        NONE = 0x00 => "NONE";
        /// `TAC_PLUS_AUTHEN_SVC_LOGIN`.
        LOGIN = 0x01 => "LOGIN";
        /// `TAC_PLUS_AUTHEN_SVC_ENABLE`.
        ENABLE = 0x02 => "ENABLE";
        /// `TAC_PLUS_AUTHEN_SVC_PPP`.
        PPP = 0x03 => "PPP";
        /// `TAC_PLUS_AUTHEN_SVC_ARAP` — deprecated ("The Draft" only).
        ARAP = 0x04 => "ARAP" @ Deprecated;
        /// `TAC_PLUS_AUTHEN_SVC_PT`.
        PT = 0x05 => "PT";
        /// `TAC_PLUS_AUTHEN_SVC_RCMD`.
        RCMD = 0x06 => "RCMD";
        /// `TAC_PLUS_AUTHEN_SVC_X25`.
        X25 = 0x07 => "X25";
        /// `TAC_PLUS_AUTHEN_SVC_NASI`.
        NASI = 0x08 => "NASI";
        /// `TAC_PLUS_AUTHEN_SVC_FWPROXY`.
        FWPROXY = 0x09 => "FWPROXY";
    }
}

wire_enum! {
    /// Authentication REPLY `status` (RFC 8907 §5.2; FOLLOW deprecated, §5.4.3).
    AuthenStatus {
        /// `TAC_PLUS_AUTHEN_STATUS_PASS`.
        PASS = 0x01 => "PASS";
        /// `TAC_PLUS_AUTHEN_STATUS_FAIL`.
        FAIL = 0x02 => "FAIL";
        /// `TAC_PLUS_AUTHEN_STATUS_GETDATA`.
        GETDATA = 0x03 => "GETDATA";
        /// `TAC_PLUS_AUTHEN_STATUS_GETUSER`.
        GETUSER = 0x04 => "GETUSER";
        /// `TAC_PLUS_AUTHEN_STATUS_GETPASS`.
        GETPASS = 0x05 => "GETPASS";
        /// `TAC_PLUS_AUTHEN_STATUS_RESTART`.
        RESTART = 0x06 => "RESTART";
        /// `TAC_PLUS_AUTHEN_STATUS_ERROR`.
        ERROR = 0x07 => "ERROR";
        /// `TAC_PLUS_AUTHEN_STATUS_FOLLOW` — deprecated; clients treat it as FAIL (§5.4.3).
        FOLLOW = 0x21 => "FOLLOW" @ Deprecated;
    }
}

wire_enum! {
    /// `authen_method` of authorization and accounting requests (RFC 8907 §6.1).
    AuthenMethod {
        /// `TAC_PLUS_AUTHEN_METH_NOT_SET`.
        NOT_SET = 0x00 => "NOT_SET";
        /// `TAC_PLUS_AUTHEN_METH_NONE`.
        NONE = 0x01 => "NONE";
        /// `TAC_PLUS_AUTHEN_METH_KRB5`.
        KRB5 = 0x02 => "KRB5";
        /// `TAC_PLUS_AUTHEN_METH_LINE`.
        LINE = 0x03 => "LINE";
        /// `TAC_PLUS_AUTHEN_METH_ENABLE`.
        ENABLE = 0x04 => "ENABLE";
        /// `TAC_PLUS_AUTHEN_METH_LOCAL`.
        LOCAL = 0x05 => "LOCAL";
        /// `TAC_PLUS_AUTHEN_METH_TACACSPLUS`.
        TACACSPLUS = 0x06 => "TACACSPLUS";
        /// `TAC_PLUS_AUTHEN_METH_GUEST`.
        GUEST = 0x08 => "GUEST";
        /// `TAC_PLUS_AUTHEN_METH_RADIUS`.
        RADIUS = 0x10 => "RADIUS";
        /// `TAC_PLUS_AUTHEN_METH_KRB4`.
        KRB4 = 0x11 => "KRB4";
        /// `TAC_PLUS_AUTHEN_METH_RCMD`.
        RCMD = 0x20 => "RCMD";
    }
}

wire_enum! {
    /// Authorization RESPONSE `status` (RFC 8907 §6.2; FOLLOW deprecated).
    AuthorStatus {
        /// `TAC_PLUS_AUTHOR_STATUS_PASS_ADD`.
        PASS_ADD = 0x01 => "PASS_ADD";
        /// `TAC_PLUS_AUTHOR_STATUS_PASS_REPL`.
        PASS_REPL = 0x02 => "PASS_REPL";
        /// `TAC_PLUS_AUTHOR_STATUS_FAIL`.
        FAIL = 0x10 => "FAIL";
        /// `TAC_PLUS_AUTHOR_STATUS_ERROR`.
        ERROR = 0x11 => "ERROR";
        /// `TAC_PLUS_AUTHOR_STATUS_FOLLOW` — deprecated.
        FOLLOW = 0x21 => "FOLLOW" @ Deprecated;
    }
}

wire_enum! {
    /// Accounting REPLY `status` (RFC 8907 §7.2; FOLLOW deprecated).
    AcctStatus {
        /// `TAC_PLUS_ACCT_STATUS_SUCCESS`.
        SUCCESS = 0x01 => "SUCCESS";
        /// `TAC_PLUS_ACCT_STATUS_ERROR`.
        ERROR = 0x02 => "ERROR";
        /// `TAC_PLUS_ACCT_STATUS_FOLLOW` — deprecated.
        FOLLOW = 0x21 => "FOLLOW" @ Deprecated;
    }
}

/// `priv_lvl` (RFC 8907 §9): 0 ..= 15; higher numbers are kept but unknown.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PrivLvl(pub u8);

impl PrivLvl {
    /// `TAC_PLUS_PRIV_LVL_MIN`.
    pub const MIN: Self = Self(0x00);
    /// `TAC_PLUS_PRIV_LVL_USER`.
    pub const USER: Self = Self(0x01);
    /// `TAC_PLUS_PRIV_LVL_ROOT`.
    pub const ROOT: Self = Self(0x0f);
    /// `TAC_PLUS_PRIV_LVL_MAX` (same value as ROOT).
    pub const MAX: Self = Self(0x0f);

    /// The RFC name of this level, for the three named ones.
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            0x00 => Some("MIN"),
            0x01 => Some("USER"),
            0x0f => Some("ROOT"),
            _ => None,
        }
    }

    /// Levels 0..=15 are defined (§9); anything above is unknown.
    pub const fn status(self) -> ValueStatus {
        if self.0 <= 0x0f {
            ValueStatus::Known
        } else {
            ValueStatus::Unknown
        }
    }
}

impl From<u8> for PrivLvl {
    fn from(v: u8) -> Self {
        Self(v)
    }
}

impl fmt::Debug for PrivLvl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n}({})", self.0),
            None => write!(f, "PrivLvl({})", self.0),
        }
    }
}

impl fmt::Display for PrivLvl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// JSON: always the number (0..=15 normally).
impl serde::Serialize for PrivLvl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0)
    }
}

macro_rules! wire_flags {
    (
        $(#[$meta:meta])*
        $name:ident {
            $(
                $(#[$vmeta:meta])*
                $konst:ident = $val:literal => $label:literal $(@ $status:ident)?;
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub u8);

        impl $name {
            $(
                $(#[$vmeta])*
                pub const $konst: Self = Self($val);
            )*

            /// Union of every bit the RFC defines for this field.
            pub const DEFINED: u8 = 0 $(| $val)*;

            /// No bit set.
            pub const EMPTY: Self = Self(0);

            /// True when every bit of `other` is set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// `self` with the bits of `other` set.
            pub const fn with(self, other: Self) -> Self {
                Self(self.0 | other.0)
            }

            /// `self` with the bits of `other` cleared.
            pub const fn without(self, other: Self) -> Self {
                Self(self.0 & !other.0)
            }

            /// Bits the RFC does not define (kept, reported, never dropped).
            pub const fn undefined_bits(self) -> u8 {
                self.0 & !Self::DEFINED
            }

            /// Names of the defined bits that are set, in bit order.
            pub fn names(self) -> Vec<&'static str> {
                let mut v = Vec::new();
                $(if self.0 & $val != 0 { v.push($label); })*
                v
            }

            /// Status of the defined bits that are set (worst first: Removed, Deprecated).
            pub fn status(self) -> ValueStatus {
                let mut st = ValueStatus::Known;
                $(
                    if self.0 & $val != 0 {
                        let s = wire_flags!(@status $($status)?);
                        if s != ValueStatus::Known { st = s; }
                    }
                )*
                st
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let names = self.names();
                let extra = self.undefined_bits();
                if names.is_empty() && extra == 0 {
                    return f.write_str("0");
                }
                let mut first = true;
                for n in names {
                    if !first { f.write_str("|")?; }
                    f.write_str(n)?;
                    first = false;
                }
                if extra != 0 {
                    if !first { f.write_str("|")?; }
                    write!(f, "0x{extra:02x}")?;
                }
                Ok(())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self, f)
            }
        }

        /// JSON: the names of the set defined bits, then undefined bits as `"0x.."` strings.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let names = self.names();
                let extra = self.undefined_bits();
                let mut seq = s.serialize_seq(None)?;
                for n in names {
                    seq.serialize_element(n)?;
                }
                for bit in 0..8u8 {
                    let b = 1u8 << bit;
                    if extra & b != 0 {
                        seq.serialize_element(&format!("0x{b:02x}"))?;
                    }
                }
                seq.end()
            }
        }
    };
    (@status) => { ValueStatus::Known };
    (@status $s:ident) => { ValueStatus::$s };
}

wire_flags! {
    /// Header `flags` (RFC 8907 §4.1). Other bits "MUST be ignored when reading".
    HeaderFlags {
        /// `TAC_PLUS_UNENCRYPTED_FLAG`: body not obfuscated (MUST NOT be used in production).
        UNENCRYPTED = 0x01 => "UNENCRYPTED";
        /// `TAC_PLUS_SINGLE_CONNECT_FLAG`: Single Connection Mode negotiation (§4.3).
        SINGLE_CONNECT = 0x04 => "SINGLE_CONNECT";
    }
}

wire_flags! {
    /// Authentication REPLY `flags` (RFC 8907 §5.2).
    ReplyFlags {
        /// `TAC_PLUS_REPLY_FLAG_NOECHO`: do not echo what the user types.
        NOECHO = 0x01 => "NOECHO";
    }
}

wire_flags! {
    /// Authentication CONTINUE `flags` (RFC 8907 §5.3).
    ContinueFlags {
        /// `TAC_PLUS_CONTINUE_FLAG_ABORT`: the client aborts the session (§5.4.3).
        ABORT = 0x01 => "ABORT";
    }
}

wire_flags! {
    /// Accounting REQUEST `flags` (RFC 8907 §7.1; valid combinations in §7.2).
    AcctFlags {
        /// `TAC_PLUS_ACCT_FLAG_MORE` — deprecated ("The Draft").
        MORE = 0x01 => "MORE" @ Deprecated;
        /// `TAC_PLUS_ACCT_FLAG_START`.
        START = 0x02 => "START";
        /// `TAC_PLUS_ACCT_FLAG_STOP`.
        STOP = 0x04 => "STOP";
        /// `TAC_PLUS_ACCT_FLAG_WATCHDOG`.
        WATCHDOG = 0x08 => "WATCHDOG";
    }
}

/// What an accounting record is, from its START/STOP/WATCHDOG bits (RFC 8907 §7.2 table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AcctRecordKind {
    /// START only: a start record.
    Start,
    /// STOP only: a stop record.
    Stop,
    /// WATCHDOG only: a watchdog without update.
    Watchdog,
    /// WATCHDOG|START: a watchdog with update.
    WatchdogUpdate,
    /// Any other combination (none, START|STOP, WATCHDOG|STOP, all three): invalid.
    Invalid,
}

impl AcctFlags {
    /// Classifies the START/STOP/WATCHDOG bits per the table of RFC 8907 §7.2.
    pub const fn record_kind(self) -> AcctRecordKind {
        match self.0 & 0x0e {
            0x02 => AcctRecordKind::Start,
            0x04 => AcctRecordKind::Stop,
            0x08 => AcctRecordKind::Watchdog,
            0x0a => AcctRecordKind::WatchdogUpdate,
            _ => AcctRecordKind::Invalid,
        }
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
    fn names_and_numbers_show_rustls_style() {
        assert_eq!(format!("{:?}", AuthenType::MSCHAPV2), "MSCHAPV2");
        assert_eq!(AuthenType::MSCHAPV2.0, 6);
        assert_eq!(format!("{:?}", AuthenType(0x42)), "AuthenType(0x42)");
        assert_eq!(format!("{}", AuthenType(0x42)), "0x42");
        assert_eq!(AuthenType(0x42).name(), None);
        assert_eq!(AuthenType(0x42).status(), ValueStatus::Unknown);
    }

    #[test]
    fn authen_method_krb5_and_line_are_distinct_6_1() {
        assert_eq!(AuthenMethod::KRB5.0, 0x02);
        assert_eq!(AuthenMethod::LINE.0, 0x03);
        assert_eq!(AuthenMethod(0x02).name(), Some("KRB5"));
        assert_eq!(AuthenMethod(0x03).name(), Some("LINE"));
        assert_eq!(AuthenMethod(0x07).name(), None);
        assert_eq!(AuthenMethod::RCMD.0, 0x20);
    }

    #[test]
    fn all_values_of_rfc_8907_are_named() {
        type Namer = fn(u8) -> Option<&'static str>;
        let table: &[(&[u8], Namer)] = &[
            (&[1, 2, 3], |v| PacketType(v).name()),
            (&[1, 2, 3, 4], |v| AuthenAction(v).name()),
            (&[0, 1, 2, 3, 4, 5, 6], |v| AuthenType(v).name()),
            (&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], |v| AuthenService(v).name()),
            (&[1, 2, 3, 4, 5, 6, 7, 0x21], |v| AuthenStatus(v).name()),
            (&[0, 1, 2, 3, 4, 5, 6, 8, 0x10, 0x11, 0x20], |v| {
                AuthenMethod(v).name()
            }),
            (&[1, 2, 0x10, 0x11, 0x21], |v| AuthorStatus(v).name()),
            (&[1, 2, 0x21], |v| AcctStatus(v).name()),
        ];
        for (values, name) in table {
            for v in 0..=255u8 {
                assert_eq!(name(v).is_some(), values.contains(&v), "value {v:#x}");
            }
        }
    }

    #[test]
    fn removed_and_deprecated_values_5_4_1() {
        assert_eq!(AuthenAction::SENDPASS.status(), ValueStatus::Removed);
        assert_eq!(AuthenType::ARAP.status(), ValueStatus::Deprecated);
        assert_eq!(AuthenStatus::FOLLOW.status(), ValueStatus::Deprecated);
        assert_eq!(AuthenStatus::RESTART.status(), ValueStatus::Known);
        assert_eq!(
            AcctFlags::MORE.with(AcctFlags::START).status(),
            ValueStatus::Deprecated
        );
        assert_eq!(AcctFlags::START.status(), ValueStatus::Known);
    }

    #[test]
    fn acct_flag_combinations_7_2() {
        use AcctRecordKind::*;
        let expect = [
            (0x00, Invalid),
            (0x02, Start),
            (0x04, Stop),
            (0x06, Invalid),
            (0x08, Watchdog),
            (0x0a, WatchdogUpdate),
            (0x0c, Invalid),
            (0x0e, Invalid),
        ];
        for (bits, kind) in expect {
            assert_eq!(AcctFlags(bits).record_kind(), kind, "{bits:#x}");
            // MORE does not change the classification.
            assert_eq!(AcctFlags(bits | 1).record_kind(), kind, "{bits:#x}|MORE");
        }
    }

    #[test]
    fn flags_keep_and_show_undefined_bits_4_1() {
        let f = HeaderFlags(0x85);
        assert!(f.contains(HeaderFlags::UNENCRYPTED));
        assert!(f.contains(HeaderFlags::SINGLE_CONNECT));
        assert_eq!(f.undefined_bits(), 0x80);
        assert_eq!(format!("{f:?}"), "UNENCRYPTED|SINGLE_CONNECT|0x80");
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"["UNENCRYPTED","SINGLE_CONNECT","0x80"]"#
        );
        assert_eq!(serde_json::to_string(&AuthenType(9)).unwrap(), "9");
        assert_eq!(serde_json::to_string(&AuthenType::PAP).unwrap(), r#""PAP""#);
    }
}
