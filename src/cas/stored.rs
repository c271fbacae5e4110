//! The stored form of what the engine hands to a [`Store`](super::store::Store) adapter —
//! tickets ([`super::ticket::Ticket`]) and throttle counters
//! ([`super::throttle::ThrottleState`]) — and of the Worker's Durable Object messages:
//! one version byte ([`VERSION`]), then the value in postcard (compact binary serde).
//!
//! Binary rather than JSON because every request reads and writes tickets: a postcard
//! decoder for these types is a fraction of the size of a JSON one in the Worker's wasm
//! (bench/RESULTS.md "Worker"), and the records are smaller. A record of another version,
//! or one that does not decode to the expected type, is refused with a
//! [`StoredFormError`] — never misread.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// The first byte of every stored value: the form's version.
pub const VERSION: u8 = 2;

/// A value that cannot be stored, or stored bytes that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoredFormError {
    /// No bytes at all.
    #[error("empty record")]
    Empty,
    /// Written by another version of the stored form.
    #[error("stored form version {0}, this build reads version {VERSION}")]
    Version(u8),
    /// The bytes after the version do not decode to the expected type.
    #[error("malformed record: {0}")]
    Malformed(String),
    /// The value could not be encoded (a type postcard cannot carry).
    #[error("cannot encode: {0}")]
    Unencodable(String),
}

/// The stored form of `value`.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoredFormError> {
    let mut out = vec![VERSION];
    out.extend(
        postcard::to_allocvec(value).map_err(|e| StoredFormError::Unencodable(e.to_string()))?,
    );
    Ok(out)
}

/// Reads what [`encode`] wrote (all of it: trailing bytes are malformed).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoredFormError> {
    let (&version, body) = bytes.split_first().ok_or(StoredFormError::Empty)?;
    if version != VERSION {
        return Err(StoredFormError::Version(version));
    }
    match postcard::take_from_bytes(body) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(StoredFormError::Malformed(format!(
            "{} bytes after the value",
            rest.len()
        ))),
        Err(e) => Err(StoredFormError::Malformed(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cas::throttle::{ThrottleKey, ThrottleOp, ThrottlePolicy, ThrottleState};
    use crate::time::Timestamp;

    #[test]
    fn values_round_trip_behind_the_version_byte() {
        let s = ThrottlePolicy::default()
            .update(
                ThrottleOp::Failure,
                &ThrottleKey::Address("192.0.2.1".into()),
                Timestamp(1_700_000_000_000),
            )
            .apply(None)
            .0
            .unwrap();
        let bytes = encode(&s).unwrap();
        assert_eq!(bytes.first(), Some(&VERSION));
        assert!(bytes.len() < 32, "{} bytes", bytes.len());
        assert_eq!(decode::<ThrottleState>(&bytes).unwrap(), s);
    }

    /// The fuzz seeds are records of this version: a change of the types' layout breaks
    /// this test, which is the reminder to bump [`VERSION`] (and refresh the seeds) — a
    /// deployment must refuse, not misread, what an older build stored.
    #[test]
    fn committed_records_of_this_version_still_decode() {
        use crate::cas::ticket::{Ticket, TicketKind};
        let seed = |bytes: &'static [u8]| bytes.get(1..).unwrap();
        let tgt = Ticket::from_bytes(seed(include_bytes!(
            "../../tests/fuzz/seeds/stored_records/tgt"
        )))
        .unwrap();
        assert_eq!(tgt.kind(), TicketKind::TicketGranting);
        let lt = Ticket::from_bytes(seed(include_bytes!(
            "../../tests/fuzz/seeds/stored_records/lt"
        )))
        .unwrap();
        assert_eq!(lt.kind(), TicketKind::Login);
        let s: ThrottleState = decode(seed(include_bytes!(
            "../../tests/fuzz/seeds/stored_records/throttle"
        )))
        .unwrap();
        assert_eq!(s.failures, 1);
    }

    #[test]
    fn foreign_or_damaged_records_are_refused() {
        let bytes = encode(&(7u32, String::from("x"))).unwrap();
        assert_eq!(decode::<(u32, String)>(&[]), Err(StoredFormError::Empty));
        let mut other = bytes.clone();
        other[0] = VERSION + 1;
        assert_eq!(
            decode::<(u32, String)>(&other),
            Err(StoredFormError::Version(VERSION + 1))
        );
        // Truncated, trailing garbage, or JSON from an older build.
        assert!(matches!(
            decode::<(u32, String)>(&bytes[..bytes.len() - 1]),
            Err(StoredFormError::Malformed(_))
        ));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            decode::<(u32, String)>(&longer),
            Err(StoredFormError::Malformed(_))
        ));
        assert_eq!(
            decode::<(u32, String)>(br#"{"a":1}"#),
            Err(StoredFormError::Version(b'{'))
        );
    }
}
