//! Collecting diagnostics with a bound: a hostile capture can repeat one problem a million times,
//! the report keeps the first [`Diags::PER_CODE`] of each code and counts the rest.

use super::model::{CaptureDiagnostic, Severity};

/// Stable diagnostic codes of capture analysis (kebab-case, like [`crate::tacacs::codes`]).
pub mod codes {
    /// A pcap file ends inside a header or a record (Error).
    pub const PCAP_TRUNCATED: &str = "pcap-truncated";
    /// Not a pcap file: unknown magic number (Error).
    pub const PCAP_BAD_MAGIC: &str = "pcap-bad-magic";
    /// pcap version other than 2.4, read as 2.4 (Warning).
    pub const PCAP_VERSION: &str = "pcap-version";
    /// A pcap record is longer than the file's snaplen (Warning).
    pub const PCAP_CAPLEN_OVER_SNAPLEN: &str = "pcap-caplen-over-snaplen";
    /// A pcapng block with an impossible length, or a file not starting with a section header; reading stops (Error).
    pub const PCAPNG_BAD_BLOCK: &str = "pcapng-bad-block";
    /// A pcapng file ends inside a block (Error).
    pub const PCAPNG_TRUNCATED: &str = "pcapng-truncated";
    /// A pcapng block's trailing length differs from its leading length (Warning).
    pub const PCAPNG_LENGTH_MISMATCH: &str = "pcapng-length-mismatch";
    /// pcapng section version other than 1.0 (Warning).
    pub const PCAPNG_VERSION: &str = "pcapng-version";
    /// A pcapng packet names an interface that was not described; skipped (Error).
    pub const PCAPNG_BAD_INTERFACE: &str = "pcapng-bad-interface";
    /// A pcapng block type casplus does not know, skipped (once per type) (Info).
    pub const PCAPNG_UNKNOWN_BLOCK: &str = "pcapng-unknown-block";
    /// A link type casplus does not dissect (Error).
    pub const UNSUPPORTED_LINK_TYPE: &str = "unsupported-link-type";
    /// The input is in no supported form (Error).
    pub const UNRECOGNISED_INPUT: &str = "unrecognised-input";
    /// Nothing could be read from the input (Error).
    pub const NO_FRAMES: &str = "no-frames";
    /// A character that is not a hex digit in hex text (Error).
    pub const HEX_INVALID_CHARACTER: &str = "hex-invalid-character";
    /// An odd number of hex digits in a run (Warning).
    pub const HEX_ODD_DIGITS: &str = "hex-odd-digits";
    /// Base64 that does not decode; the block is skipped (Error).
    pub const BASE64_INVALID: &str = "base64-invalid";
    /// A dump line's offset does not follow the bytes before it: lines missing (Warning).
    pub const DUMP_OFFSET_MISMATCH: &str = "dump-offset-mismatch";
    /// tcpdump summary lines without a hex dump (run tcpdump with -X or -xx) (Warning).
    pub const TCPDUMP_WITHOUT_HEX: &str = "tcpdump-without-hex";
    /// tshark's extra data sources (reassembled, decompressed) skipped (Info).
    pub const HEXDUMP_EXTRA_SOURCES_SKIPPED: &str = "hexdump-extra-sources-skipped";
    /// Lines in a hex dump that are not dump lines (Info).
    pub const HEXDUMP_LINES_IGNORED: &str = "hexdump-lines-ignored";
    /// Link, IP or TCP headers of a frame are broken (Warning).
    pub const MALFORMED_FRAME: &str = "malformed-frame";
    /// A fragment of an IP packet carrying TCP; not reassembled (Warning).
    pub const IP_FRAGMENT: &str = "ip-fragment";
    /// The capture cut a frame's TCP payload (snaplen); the rest is a gap (Warning).
    pub const FRAME_TRUNCATED: &str = "frame-truncated";
    /// Bytes of a TCP stream never captured (Warning).
    pub const TCP_GAP: &str = "tcp-gap";
    /// Retransmitted bytes differ from the first copy (Warning).
    pub const TCP_CONFLICTING_RETRANSMISSION: &str = "tcp-conflicting-retransmission";
    /// TCP data before the first segment seen (capture began mid-connection) (Info).
    pub const TCP_BEFORE_START: &str = "tcp-before-start";
    /// Stream bytes skipped up to the next plausible TACACS+ header (Warning).
    pub const NOT_TACACS_SKIPPED: &str = "not-tacacs-skipped";
    /// The capture ends inside a PDU (Warning).
    pub const PDU_INCOMPLETE: &str = "pdu-incomplete";
    /// Part of a PDU is in segments the capture lost (Warning).
    pub const PDU_CUT_BY_GAP: &str = "pdu-cut-by-gap";
    /// TACACS+ over TLS (RFC 9887) or TLS on the TACACS+ port: not decodable without TLS keys (Warning).
    pub const TLS_NOT_DECODABLE: &str = "tls-not-decodable";
    /// A TLS record cut short: the capture ends or lost segments (Warning).
    pub const TLS_RECORD_INCOMPLETE: &str = "tls-record-incomplete";
    /// Bytes of a TLS stream that are not TLS records (RFC 8446 §5.1) (Warning).
    pub const TLS_MALFORMED: &str = "tls-malformed";
    /// The key log lacks (or has an unusable) secret for a connection's direction (Warning).
    pub const TLS_KEY_MISSING: &str = "tls-key-missing";
    /// A record did not authenticate with the key log's secret (RFC 8446 §5.2) (Warning).
    pub const TLS_DECRYPT_FAILED: &str = "tls-decrypt-failed";
    /// A TLS 1.3 connection the key log could decrypt, analysed without TLS record protection
    /// ([`crate::capture::Options::tls`] is `None`): analyse again with it (the inspector loads its
    /// TLS module on this code) (Warning).
    pub const TLS_NO_DECRYPTION: &str = "tls-no-decryption";
    /// TLS records decrypted with the key log (Info).
    pub const TLS_DECRYPTED: &str = "tls-decrypted";
    /// A key-log line could not be read (Warning).
    pub const TLS_KEYLOG_LINE: &str = "tls-keylog-line";

    /// seq_no parity and port 49 disagree about which side is the server (Warning).
    pub const DIRECTION_MISMATCH: &str = "direction-mismatch";
    /// A PDU of a session that already ended (Warning).
    pub const SESSION_AFTER_END: &str = "session-after-end";
    /// A client opens a second session on a connection before the server agreed to Single
    /// Connection Mode (it asked in its first packet; the server's first reply has not come,
    /// RFC 8907 §4.3) (Warning).
    pub const SESSION_BEFORE_SINGLE_CONNECT: &str = "session-before-single-connect";
    /// The server answers ERROR to a request that does not de-obfuscate with the key that
    /// reads the reply: the client's key differs from the server's (RFC 8907 §4.5) (Warning).
    pub const ERROR_REPLY_KEY_MISMATCH: &str = "error-reply-key-mismatch";
    /// A session_id starts again at seq_no 1 before its session ended (Warning).
    pub const SESSION_RESTARTED: &str = "session-restarted";
    /// A reply whose session's request is not in the capture (Warning).
    pub const REPLY_TO_UNKNOWN_SESSION: &str = "reply-to-unknown-session";
    /// A session first seen past seq_no 1: its start is not in the capture (Info).
    pub const SESSION_STARTED_EARLIER: &str = "session-started-earlier";
    /// A seq_no seen twice, or going back, within a session (Warning).
    pub const SESSION_SEQ_DUPLICATE: &str = "session-seq-duplicate";
    /// A seq_no jumps: packets of the session are missing (Warning).
    pub const SESSION_SEQ_GAP: &str = "session-seq-gap";
    /// A packet whose type differs from its session's (Warning).
    pub const SESSION_TYPE_MISMATCH: &str = "session-type-mismatch";
    /// A session without its final reply in the capture (Info).
    pub const SESSION_UNFINISHED: &str = "session-unfinished";
    /// Several sessions on a connection without Single Connection Mode (RFC 8907 §4.3) (Warning).
    pub const SINGLE_CONNECT_NOT_NEGOTIATED: &str = "single-connect-not-negotiated";
    /// PDUs that no candidate key decodes: wrong key? (Warning).
    pub const KEY_NONE_FITS: &str = "key-none-fits";
    /// PDUs of one connection decode with different keys (Warning).
    pub const KEY_INCONSISTENT: &str = "key-inconsistent";
    /// Obfuscated PDUs and no key given (Info).
    pub const KEY_MISSING: &str = "key-missing";
    /// A code repeated too often: the rest are counted, not listed (Info).
    pub const DIAGNOSTICS_TRUNCATED: &str = "diagnostics-truncated";
}

impl CaptureDiagnostic {
    /// A diagnostic with no location yet.
    pub(crate) fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Self {
            code,
            severity,
            message: message.into(),
            offset: None,
            frame: None,
            conn: None,
            stream: None,
            pdu: None,
        }
    }

    /// At this input offset.
    pub(crate) fn at(mut self, offset: usize) -> Self {
        self.offset = Some(offset);
        self
    }

    /// About this frame.
    pub(crate) fn frame(mut self, frame: u32) -> Self {
        self.frame = Some(frame);
        self
    }

    /// About this connection.
    pub(crate) fn conn(mut self, conn: Option<u32>) -> Self {
        self.conn = conn;
        self
    }

    /// About this stream.
    pub(crate) fn stream(mut self, stream: u32) -> Self {
        self.stream = Some(stream);
        self
    }

    /// About this PDU.
    pub(crate) fn pdu(mut self, pdu: u32) -> Self {
        self.pdu = Some(pdu);
        self
    }
}

/// A bounded list of diagnostics.
#[derive(Debug, Default)]
pub(crate) struct Diags {
    list: Vec<CaptureDiagnostic>,
    /// Count per code (a handful of codes: a vector is smaller than a map in wasm).
    per_code: Vec<(&'static str, u32)>,
    dropped: u64,
}

impl Diags {
    /// How many diagnostics of one code are kept.
    pub(crate) const PER_CODE: u32 = 200;

    pub(crate) fn push(&mut self, d: CaptureDiagnostic) {
        let n = match self.per_code.iter_mut().find(|(c, _)| *c == d.code) {
            Some((_, n)) => {
                *n = n.saturating_add(1);
                *n
            }
            None => {
                self.per_code.push((d.code, 1));
                1
            }
        };
        if n <= Self::PER_CODE {
            self.list.push(d);
        } else {
            self.dropped = self.dropped.saturating_add(1);
        }
    }

    /// Number of diagnostics with this code so far (kept or not).
    #[cfg(test)]
    pub(crate) fn count(&self, code: &str) -> u32 {
        self.per_code
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(0, |(_, n)| *n)
    }

    /// The kept diagnostics plus one summary per code that overflowed, and the number dropped.
    pub(crate) fn finish(mut self) -> (Vec<CaptureDiagnostic>, u64) {
        for (code, n) in &self.per_code {
            if *n > Self::PER_CODE {
                self.list.push(CaptureDiagnostic::new(
                    codes::DIAGNOSTICS_TRUNCATED,
                    Severity::Info,
                    format!(
                        "{} more `{code}` diagnostics not listed ({n} in total)",
                        n - Self::PER_CODE
                    ),
                ));
            }
        }
        (self.list, self.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_codes_are_capped_and_summarised() {
        let mut d = Diags::default();
        for _ in 0..(Diags::PER_CODE + 5) {
            d.push(CaptureDiagnostic::new("x", Severity::Warning, "m"));
        }
        d.push(CaptureDiagnostic::new("y", Severity::Info, "m"));
        assert_eq!(d.count("x"), Diags::PER_CODE + 5);
        let (list, dropped) = d.finish();
        assert_eq!(dropped, 5);
        assert_eq!(list.len() as u32, Diags::PER_CODE + 2);
        assert!(
            list.iter()
                .any(|d| d.code == codes::DIAGNOSTICS_TRUNCATED
                    && d.message.starts_with("5 more `x`"))
        );
    }
}
