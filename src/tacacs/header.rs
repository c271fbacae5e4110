//! The 12-byte TACACS+ packet header (RFC 8907 §4.1).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use crate::codec::{DecodeError, Reader, Span};

use super::enums::{HeaderFlags, PacketType};

/// Byte ranges of the header fields (absolute offsets in the decoder's input).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct HeaderSpans {
    /// The version byte (major and minor nibbles share it).
    pub version: Span,
    /// `type`.
    #[serde(rename = "type")]
    pub packet_type: Span,
    /// `seq_no`.
    pub seq_no: Span,
    /// `flags`.
    pub flags: Span,
    /// `session_id`.
    pub session_id: Span,
    /// `length`.
    pub length: Span,
}

/// The TACACS+ packet header, every field as on the wire (RFC 8907 §4.1).
///
/// ```text
///  major|minor (1) | type (1) | seq_no (1) | flags (1) | session_id (4) | length (4)
/// ```
///
/// Equality ignores [`Header::spans`] (where a value was found is not part of the value).
#[derive(Clone, Copy, Debug)]
pub struct Header {
    /// `major_version`, the high nibble of byte 0 (`TAC_PLUS_MAJOR_VER` = 0xc).
    pub major: u8,
    /// `minor_version`, the low nibble of byte 0 (0 = DEFAULT, 1 = ONE).
    pub minor: u8,
    /// `type`.
    pub packet_type: PacketType,
    /// `seq_no`: 1 for the first packet of a session, +1 per packet, odd from the client.
    pub seq_no: u8,
    /// `flags`, every bit kept (undefined bits included).
    pub flags: HeaderFlags,
    /// `session_id` (network byte order on the wire).
    pub session_id: u32,
    /// `length` of the body as declared (not including the header).
    pub length: u32,
    /// Where each field was found (default when built by hand).
    pub spans: HeaderSpans,
}

impl PartialEq for Header {
    fn eq(&self, o: &Self) -> bool {
        self.major == o.major
            && self.minor == o.minor
            && self.packet_type == o.packet_type
            && self.seq_no == o.seq_no
            && self.flags == o.flags
            && self.session_id == o.session_id
            && self.length == o.length
    }
}

impl Eq for Header {}

impl Header {
    /// Size of the header on the wire.
    pub const LEN: usize = 12;
    /// `TAC_PLUS_MAJOR_VER`.
    pub const MAJOR_VER: u8 = 0x0c;
    /// `TAC_PLUS_MINOR_VER_DEFAULT`.
    pub const MINOR_VER_DEFAULT: u8 = 0x00;
    /// `TAC_PLUS_MINOR_VER_ONE`.
    pub const MINOR_VER_ONE: u8 = 0x01;

    /// A header with major 0xc, the given fields, no flags and length 0 (set by encoding).
    pub fn new(packet_type: PacketType, minor: u8, seq_no: u8, session_id: u32) -> Self {
        Self {
            major: Self::MAJOR_VER,
            minor: minor & 0x0f,
            packet_type,
            seq_no,
            flags: HeaderFlags::EMPTY,
            session_id,
            length: 0,
            spans: HeaderSpans::default(),
        }
    }

    /// The version byte as on the wire: `major << 4 | minor` (used by the obfuscation pad).
    pub const fn version(&self) -> u8 {
        (self.major << 4) | (self.minor & 0x0f)
    }

    /// Decodes the 12 header bytes from `r` (spans are absolute, from the reader's offset).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let start = r.offset();
        let mut h = r.sub(Self::LEN, "header")?;
        let (version, version_span) = h.u8("version")?;
        let (t, type_span) = h.u8("type")?;
        let (seq_no, seq_span) = h.u8("seq_no")?;
        let (flags, flags_span) = h.u8("flags")?;
        let (session_id, sid_span) = h.u32("session_id")?;
        let (length, len_span) = h.u32("length")?;
        debug_assert_eq!(h.offset(), start + Self::LEN);
        Ok(Self {
            major: version >> 4,
            minor: version & 0x0f,
            packet_type: PacketType(t),
            seq_no,
            flags: HeaderFlags(flags),
            session_id,
            length,
            spans: HeaderSpans {
                version: version_span,
                packet_type: type_span,
                seq_no: seq_span,
                flags: flags_span,
                session_id: sid_span,
                length: len_span,
            },
        })
    }

    /// Appends the 12 header bytes, writing [`Header::length`] as it is.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    /// The 12 header bytes, writing [`Header::length`] as it is.
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let s = self.session_id.to_be_bytes();
        let l = self.length.to_be_bytes();
        [
            self.version(),
            self.packet_type.0,
            self.seq_no,
            self.flags.0,
            s[0],
            s[1],
            s[2],
            s[3],
            l[0],
            l[1],
            l[2],
            l[3],
        ]
    }

    /// True when the body is sent in clear (`TAC_PLUS_UNENCRYPTED_FLAG`, §4.5).
    pub const fn is_unencrypted(&self) -> bool {
        self.flags.contains(HeaderFlags::UNENCRYPTED)
    }

    /// True when the single-connect flag is set (§4.3).
    pub const fn is_single_connect(&self) -> bool {
        self.flags.contains(HeaderFlags::SINGLE_CONNECT)
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
    fn header_round_trips_every_field_4_1() {
        let bytes = [
            0xc1, 0x01, 0x03, 0x85, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x00, 0x02,
        ];
        let mut r = Reader::at(&bytes, 100);
        let h = Header::decode(&mut r).unwrap();
        assert_eq!((h.major, h.minor), (0xc, 1));
        assert_eq!(h.packet_type, PacketType::AUTHEN);
        assert_eq!(h.seq_no, 3);
        assert_eq!(h.flags.0, 0x85);
        assert_eq!(h.flags.undefined_bits(), 0x80);
        assert!(h.is_unencrypted() && h.is_single_connect());
        assert_eq!(h.session_id, 0xdead_beef);
        assert_eq!(h.length, 0x0001_0002);
        assert_eq!(h.spans.session_id, Span::new(104, 4));
        assert_eq!(h.spans.length, Span::new(108, 4));
        assert_eq!(h.to_bytes(), bytes);
    }

    #[test]
    fn short_header_is_truncated_4_1() {
        let mut r = Reader::new(&[0xc0, 1, 1]);
        assert!(matches!(
            Header::decode(&mut r),
            Err(DecodeError::Truncated { needed: 9, .. })
        ));
    }
}
