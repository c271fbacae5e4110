//! The NSS key log format (`SSLKEYLOGFILE`, as written by NSS, OpenSSL, BoringSSL, rustls, Go):
//! one secret a line, `LABEL <client_random hex> <secret hex>`, `#` comments. For TLS 1.3 the
//! labels name the traffic secrets of RFC 8446 §7.1: `CLIENT_HANDSHAKE_TRAFFIC_SECRET`,
//! `SERVER_HANDSHAKE_TRAFFIC_SECRET`, `CLIENT_TRAFFIC_SECRET_0`, `SERVER_TRAFFIC_SECRET_0`
//! (`EXPORTER_SECRET`, `CLIENT_RANDOM` of TLS 1.2 and others are kept but not used).
//!
//! The parser is total: a line it cannot read is reported ([`KeyLogError`], with its line number
//! and byte offset) and skipped; the others are kept.

use core::fmt;

/// A TLS 1.3 traffic secret a key log can name (RFC 8446 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SecretLabel {
    /// `CLIENT_HANDSHAKE_TRAFFIC_SECRET`: client_handshake_traffic_secret.
    ClientHandshake,
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET`: server_handshake_traffic_secret.
    ServerHandshake,
    /// `CLIENT_TRAFFIC_SECRET_0`: client_application_traffic_secret_0.
    ClientTraffic0,
    /// `SERVER_TRAFFIC_SECRET_0`: server_application_traffic_secret_0.
    ServerTraffic0,
    /// Any other label (`EXPORTER_SECRET`, TLS 1.2 `CLIENT_RANDOM`, ...): kept, unused.
    Other,
}

impl SecretLabel {
    /// The label as the key log spells it (`Other` has no single spelling).
    pub const fn name(self) -> &'static str {
        match self {
            Self::ClientHandshake => "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            Self::ServerHandshake => "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            Self::ClientTraffic0 => "CLIENT_TRAFFIC_SECRET_0",
            Self::ServerTraffic0 => "SERVER_TRAFFIC_SECRET_0",
            Self::Other => "other",
        }
    }

    fn of(label: &[u8]) -> Self {
        match label {
            b"CLIENT_HANDSHAKE_TRAFFIC_SECRET" => Self::ClientHandshake,
            b"SERVER_HANDSHAKE_TRAFFIC_SECRET" => Self::ServerHandshake,
            b"CLIENT_TRAFFIC_SECRET_0" => Self::ClientTraffic0,
            b"SERVER_TRAFFIC_SECRET_0" => Self::ServerTraffic0,
            _ => Self::Other,
        }
    }
}

/// One line of a key log. The secret's `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyLogEntry {
    /// Which secret.
    pub label: SecretLabel,
    /// The ClientHello's random (RFC 8446 §4.1.2), which names the connection.
    pub client_random: [u8; 32],
    /// The secret (32 bytes for SHA-256 suites, 48 for SHA-384).
    pub secret: Vec<u8>,
}

impl fmt::Debug for KeyLogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyLogEntry")
            .field("label", &self.label)
            .field("client_random", &HexBytes(&self.client_random))
            .field(
                "secret",
                &format_args!("<{} bytes redacted>", self.secret.len()),
            )
            .finish()
    }
}

struct HexBytes<'a>(&'a [u8]);

impl fmt::Debug for HexBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// A line of a key log that could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("key log line {line} (byte {offset}): {why}")]
pub struct KeyLogError {
    /// Line number (1-based).
    pub line: u32,
    /// Byte offset of the offending field in the key log.
    pub offset: usize,
    /// What is wrong.
    pub why: &'static str,
}

/// The secrets of a key log, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyLog {
    /// Every line read.
    pub entries: Vec<KeyLogEntry>,
    /// `prefix << 24 | index` for every entry, sorted: `prefix` is the first five bytes of its
    /// client random, `index` its place in `entries`. [`KeyLog::find`] takes a binary search
    /// instead of a walk over every line (a capture of thousands of connections has a key log
    /// of thousands of lines); plain `u64`s keep the sort small in the inspector's wasm. Made
    /// by [`KeyLog::parse`]; when it does not cover `entries` (entries added by hand), the
    /// lookups walk `entries`.
    by_random: Vec<u64>,
}

/// The low bits of a [`KeyLog`] index key: the entry's place.
const INDEX_BITS: u32 = 24;

/// The index key of `client_random` (its first five bytes), before the entry's place is added.
fn prefix(client_random: &[u8; 32]) -> u64 {
    let [a, b, c, d, e] = client_random.first_chunk().copied().unwrap_or([0; 5]);
    u64::from_be_bytes([0, 0, 0, a, b, c, d, e])
}

impl KeyLog {
    /// Reads a key log; lines that cannot be read are returned as errors and skipped.
    pub fn parse(text: &[u8]) -> (Self, Vec<KeyLogError>) {
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        let mut start = 0usize;
        for (n, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line_no = u32::try_from(n.saturating_add(1)).unwrap_or(u32::MAX);
            let line_start = start;
            start = start.saturating_add(raw.len()).saturating_add(1);
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if line.iter().all(u8::is_ascii_whitespace) || line.first() == Some(&b'#') {
                continue;
            }
            match parse_line(line, line_start) {
                Ok(e) => entries.push(e),
                Err((offset, why)) => errors.push(KeyLogError {
                    line: line_no,
                    offset,
                    why,
                }),
            }
        }
        let mut by_random: Vec<u64> = Vec::new();
        if entries.len() < 1 << INDEX_BITS {
            by_random = (0u64..)
                .zip(&entries)
                .map(|(i, e)| (prefix(&e.client_random) << INDEX_BITS) | i)
                .collect();
            by_random.sort_unstable();
        }
        (Self { entries, by_random }, errors)
    }

    /// The entries whose client random starts like `client_random`, in file order; `None` when
    /// the index does not cover the entries.
    fn candidates(
        &self,
        client_random: &[u8; 32],
    ) -> Option<impl DoubleEndedIterator<Item = &KeyLogEntry>> {
        if self.by_random.len() != self.entries.len() {
            return None;
        }
        let p = prefix(client_random);
        let from = self.by_random.partition_point(|v| v >> INDEX_BITS < p);
        let to = self.by_random.partition_point(|v| v >> INDEX_BITS <= p);
        let keys = self.by_random.get(from..to).unwrap_or_default();
        Some(keys.iter().filter_map(|v| {
            let i = usize::try_from(v & ((1 << INDEX_BITS) - 1)).ok()?;
            self.entries.get(i)
        }))
    }

    /// The secret with `label` for the connection whose ClientHello has `client_random` (the
    /// last such line: a key log appended to twice keeps the newest).
    pub fn find(&self, client_random: &[u8; 32], label: SecretLabel) -> Option<&[u8]> {
        let fits = |e: &&KeyLogEntry| e.label == label && &e.client_random == client_random;
        match self.candidates(client_random) {
            Some(mut c) => c.rfind(fits),
            None => self.entries.iter().rfind(fits),
        }
        .map(|e| e.secret.as_slice())
    }

    /// True when some line names `client_random`.
    pub fn knows(&self, client_random: &[u8; 32]) -> bool {
        let named = |e: &KeyLogEntry| &e.client_random == client_random;
        match self.candidates(client_random) {
            Some(mut c) => c.any(named),
            None => self.entries.iter().any(named),
        }
    }
}

/// Splits `line` (starting at `base` in the file) into its three fields.
fn parse_line(line: &[u8], base: usize) -> Result<KeyLogEntry, (usize, &'static str)> {
    let mut fields = Vec::with_capacity(3);
    let mut i = 0usize;
    for word in line.split(|b| *b == b' ' || *b == b'\t') {
        if !word.is_empty() {
            fields.push((base.saturating_add(i), word));
        }
        i = i.saturating_add(word.len()).saturating_add(1);
    }
    let [(_, label), (cr_at, cr), (sec_at, sec)] = fields[..] else {
        return Err((base, "expected `LABEL <client_random hex> <secret hex>`"));
    };
    let client_random: [u8; 32] = hex(cr)
        .ok_or((cr_at, "client_random is not hex"))?
        .try_into()
        .map_err(|_| (cr_at, "client_random is not 32 bytes (64 hex digits)"))?;
    let secret = hex(sec).ok_or((sec_at, "secret is not hex"))?;
    let label = SecretLabel::of(label);
    if label != SecretLabel::Other && secret.len() != 32 && secret.len() != 48 {
        return Err((sec_at, "a TLS 1.3 traffic secret is 32 or 48 bytes"));
    }
    Ok(KeyLogEntry {
        label,
        client_random,
        secret,
    })
}

fn hex(s: &[u8]) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    // a plain loop into a sized Vec: a key log has several lines per connection
    let mut out = Vec::with_capacity(s.len() / 2);
    for p in s.chunks_exact(2) {
        if let [h, l] = p {
            out.push(nibble(*h)? << 4 | nibble(*l)?);
        }
    }
    Some(out)
}

const fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_and_reports_bad_ones_with_offsets() {
        let cr = "11".repeat(32);
        let text = format!(
            "# comment\nCLIENT_TRAFFIC_SECRET_0 {cr} {}\r\nSERVER_TRAFFIC_SECRET_0 zz {}\nEXPORTER_SECRET {cr} 00\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {cr} 0102\n",
            "aa".repeat(32),
            "bb".repeat(32)
        );
        let (log, errs) = KeyLog::parse(text.as_bytes());
        assert_eq!(log.entries.len(), 2);
        assert_eq!(
            log.find(&[0x11; 32], SecretLabel::ClientTraffic0),
            Some(&[0xaa; 32][..])
        );
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].line, 3);
        // the client_random field of line 3
        let line3 = text.find("SERVER_TRAFFIC").unwrap();
        assert_eq!(errs[0].offset, line3 + "SERVER_TRAFFIC_SECRET_0 ".len());
        assert_eq!(errs[1].why, "a TLS 1.3 traffic secret is 32 or 48 bytes");
        assert!(!format!("{:?}", log.entries[0]).contains("aaaa"));
    }

    /// Many connections in one key log (SSLKEYLOGFILE appends one block per connection): each
    /// client random finds its own secrets, the last line of a label wins, and a log whose
    /// entries were pushed by hand is still searched.
    #[test]
    fn finds_each_connections_secrets_among_many_the_last_line_winning() {
        // client randoms that differ in their first bytes (the index) and in their last
        let random = |c: u32| {
            let mut cr = [0u8; 32];
            cr[..4].copy_from_slice(&c.to_be_bytes());
            cr[28..].copy_from_slice(&c.to_be_bytes());
            cr
        };
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        let mut text = String::new();
        for c in (0..300u32).rev() {
            let cr = hex(&random(c));
            let secret = format!("{:02x}", c % 251).repeat(32);
            text.push_str(&format!("CLIENT_TRAFFIC_SECRET_0 {cr} {secret}\n"));
            text.push_str(&format!(
                "SERVER_TRAFFIC_SECRET_0 {cr} {}\n",
                "ee".repeat(48)
            ));
        }
        // the same first five bytes as connection 7, another client random
        let mut twin = random(7);
        twin[31] = 0xaa;
        text.push_str(&format!(
            "CLIENT_TRAFFIC_SECRET_0 {} {}\n",
            hex(&twin),
            "55".repeat(32)
        ));
        // connection 7 again: the newest line wins
        text.push_str(&format!(
            "CLIENT_TRAFFIC_SECRET_0 {} {}\n",
            hex(&random(7)),
            "77".repeat(32)
        ));
        let (log, errs) = KeyLog::parse(text.as_bytes());
        assert_eq!((log.entries.len(), errs.len()), (602, 0));
        for c in 0..300u32 {
            let cr = random(c);
            let want = if c == 7 { 0x77 } else { (c % 251) as u8 };
            assert_eq!(
                log.find(&cr, SecretLabel::ClientTraffic0),
                Some(&[want; 32][..]),
                "{c}"
            );
            assert_eq!(
                log.find(&cr, SecretLabel::ServerTraffic0),
                Some(&[0xee; 48][..])
            );
            assert!(log.knows(&cr));
        }
        assert_eq!(
            log.find(&twin, SecretLabel::ClientTraffic0),
            Some(&[0x55; 32][..])
        );
        assert_eq!(log.find(&twin, SecretLabel::ServerTraffic0), None);
        assert_eq!(log.find(&[0xff; 32], SecretLabel::ClientTraffic0), None);
        assert!(!log.knows(&[0xff; 32]));
        let mut by_hand = KeyLog::default();
        by_hand.entries.push(log.entries[0].clone());
        by_hand.entries.push(log.entries[601].clone());
        assert_eq!(
            by_hand.find(&random(7), SecretLabel::ClientTraffic0),
            Some(&[0x77; 32][..])
        );
        assert!(by_hand.knows(&log.entries[0].client_random));
    }
}
