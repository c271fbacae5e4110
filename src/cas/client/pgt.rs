//! The proxy-granting-ticket receptor of a CAS client acting as a proxy (§2.5.4): the server
//! calls the client's `pgtUrl` over https with `pgtIou` and `pgtId`, on a request of its own,
//! before it answers the validation that carries the same PGTIOU. The client keeps the pair
//! until the validation claims it, for a bounded time (the PGT itself expires at the server).

use std::fmt;

use crate::time::Timestamp;

/// Longest ticket id accepted (§3.7 recommends at most 256 characters).
pub const MAX_TICKET_LEN: usize = 256;

/// Why a `pgtUrl` callback was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// Only one of `pgtIou` and `pgtId` was sent, or one was sent twice.
    #[error("pgtIou and pgtId must come together, once each")]
    Incomplete,
    /// A value that is not a ticket id (§3.7 character set, with `.` and `_` tolerated;
    /// 1 to [`MAX_TICKET_LEN`] characters).
    #[error("malformed ticket id")]
    Malformed,
}

/// A PGTIOU and the PGT it stands for.
///
/// `Debug` redacts both.
#[derive(Clone, PartialEq, Eq)]
pub struct PgtPair {
    /// `pgtIou`: what the validation response will carry (§2.5.4 step 3).
    pub pgt_iou: String,
    /// `pgtId`: the proxy-granting ticket.
    pub pgt: String,
}

impl fmt::Debug for PgtPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PgtPair(<redacted>)")
    }
}

/// A callback request to the receptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callback {
    /// No parameters: a probe (servers may check that the URL answers); answer 200.
    Probe,
    /// A PGT delivery to keep (§2.5.4 step 2).
    Deliver(PgtPair),
}

/// Whether `s` looks like a ticket id (§3.7: letters, digits and `-`; servers in the wild
/// also use `.` and `_`, as host-name suffixes).
pub fn is_ticket_id(s: &str) -> bool {
    (1..=MAX_TICKET_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// Reads the query of a `pgtUrl` request (§2.5.4): both `pgtIou` and `pgtId` (a delivery),
/// or neither (a probe).
pub fn parse_callback(query: &str) -> Result<Callback, CallbackError> {
    let (mut iou, mut pgt) = (None, None);
    for (k, v) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        let slot = match k.as_ref() {
            "pgtIou" => &mut iou,
            "pgtId" => &mut pgt,
            _ => continue,
        };
        if slot.replace(v.into_owned()).is_some() {
            return Err(CallbackError::Incomplete);
        }
    }
    match (iou, pgt) {
        (None, None) => Ok(Callback::Probe),
        (Some(pgt_iou), Some(pgt)) => {
            if is_ticket_id(&pgt_iou) && is_ticket_id(&pgt) {
                Ok(Callback::Deliver(PgtPair { pgt_iou, pgt }))
            } else {
                Err(CallbackError::Malformed)
            }
        }
        _ => Err(CallbackError::Incomplete),
    }
}

/// A delivered PGT as the store keeps it, under its PGTIOU, until `expires`.
///
/// `Debug` redacts the PGT.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredPgt {
    /// The proxy-granting ticket.
    pub pgt: String,
    /// When the pairing lapses (milliseconds since the epoch).
    pub expires: Timestamp,
}

impl fmt::Debug for StoredPgt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredPgt")
            .field("pgt", &"<redacted>")
            .field("expires", &self.expires)
            .finish()
    }
}

impl PgtPair {
    /// The record to keep under [`PgtPair::pgt_iou`] for `ttl_secs` from `now`.
    pub fn keep(&self, now: Timestamp, ttl_secs: i64) -> StoredPgt {
        StoredPgt {
            pgt: self.pgt.clone(),
            expires: now.plus_secs(ttl_secs.max(0)),
        }
    }
}

/// The PGT of a stored pairing, if it has not lapsed at `now` (it lapses at `expires`).
pub fn claim(stored: &StoredPgt, now: Timestamp) -> Option<&str> {
    (now < stored.expires).then_some(stored.pgt.as_str())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn callback_needs_both_or_neither_2_5_4() {
        assert_eq!(parse_callback("").unwrap(), Callback::Probe);
        assert_eq!(parse_callback("?other=1").unwrap(), Callback::Probe);
        assert_eq!(
            parse_callback("pgtIou=PGTIOU-1-a&pgtId=PGT-1-b.host").unwrap(),
            Callback::Deliver(PgtPair {
                pgt_iou: "PGTIOU-1-a".into(),
                pgt: "PGT-1-b.host".into()
            })
        );
        for bad in ["pgtIou=PGTIOU-1", "pgtId=PGT-1", "pgtIou=a&pgtId=b&pgtId=c"] {
            assert_eq!(parse_callback(bad).unwrap_err(), CallbackError::Incomplete);
        }
        for bad in [
            "pgtIou=&pgtId=PGT-1",
            "pgtIou=A%3Cb&pgtId=PGT-1",
            "pgtIou=a%20b&pgtId=x",
        ] {
            assert_eq!(parse_callback(bad).unwrap_err(), CallbackError::Malformed);
        }
        let long = format!("pgtIou={}&pgtId=PGT-1", "a".repeat(MAX_TICKET_LEN + 1));
        assert_eq!(parse_callback(&long).unwrap_err(), CallbackError::Malformed);
    }

    #[test]
    fn pairing_lapses_at_expiry_2_5_4() {
        let pair = PgtPair {
            pgt_iou: "PGTIOU-1".into(),
            pgt: "PGT-1".into(),
        };
        let t0 = Timestamp::from_secs(1_000);
        let kept = pair.keep(t0, 60);
        assert_eq!(claim(&kept, t0), Some("PGT-1"));
        assert_eq!(claim(&kept, t0.plus_secs(59)), Some("PGT-1"));
        assert_eq!(claim(&kept, t0.plus_secs(60)), None);
        assert_eq!(claim(&pair.keep(t0, -5), t0), None);
        assert!(!format!("{kept:?}{pair:?}").contains("PGT-1"));
    }
}
