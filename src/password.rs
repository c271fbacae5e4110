//! Password hashing and passwords in transit, used by both the CAS user store (`cas::auth`)
//! and the TACACS+ server policy and client (`tacacs::policy`, `tacacs::login`); neither
//! protocol owns it.
//!
//! Salted PBKDF2-HMAC-SHA256 in the PHC string format:
//! `$pbkdf2-sha256$i=50000$<salt, base64>$<hash, base64>` (standard alphabet, no
//! padding, 32-byte hash). [`DEFAULT_ITERATIONS`] is 50 000: measured at ≈ 31 ms in wasm
//! (Node 20 / V8, `opt-level = "s"`) and ≈ 9 ms natively on the 2-core development machine
//! (≈ 0.63 µs per iteration in wasm). That is far below OWASP's 600 000 for PBKDF2-SHA256,
//! a deliberate trade-off for a per-request CPU budget at the edge; raise it with
//! `casplus hash-password --iterations N` where the budget allows (each hash carries its
//! own count, so old and new hashes coexist).
//!
//! Hashes outside [`MIN_ITERATIONS`] ..= [`MAX_ITERATIONS`] are refused when they are
//! loaded. The cap, 1 000 000 (OWASP's 600 000 fits), is set by the Worker's CPU budget: one
//! login then costs at most ≈ 0.6 s of CPU in wasm, a fiftieth of a paid Worker's default
//! 30 s limit; above it a handful of wrong passwords would burn a request's whole budget
//! (docs/security.md, "Password hashing cost", has the measurements and the plans they
//! fit).
//!
//! An unknown user name is checked against [`PasswordHash::unknown_user`], which costs
//! [`DEFAULT_ITERATIONS`] whatever the configured users' counts: it never costs more than a
//! default login, and a user whose hash has the default count cannot be told from an
//! unknown name by timing (keep every user at the default for that).
//!
//! Comparisons are constant-time (`subtle`).

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use subtle::ConstantTimeEq;
use thiserror::Error;

/// Default PBKDF2 iteration count (see the module docs for the measurement).
pub const DEFAULT_ITERATIONS: u32 = 50_000;
/// Fewest iterations a stored hash may have.
pub const MIN_ITERATIONS: u32 = 1_000;
/// Most iterations a stored hash may have: bounds the CPU one login costs in the Worker
/// (see the module docs).
pub const MAX_ITERATIONS: u32 = 1_000_000;
/// Longest password accepted (longer ones fail without hashing).
pub const MAX_PASSWORD_LEN: usize = 1024;

const SCHEME: &str = "pbkdf2-sha256";
const HASH_LEN: usize = 32;

/// A password in transit (a CAS login form, a TACACS+ PAP or ASCII login). `Debug` never
/// shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(password.into())
    }

    /// The password itself, for the authentication source. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The password's bytes (as a TACACS+ field carries them). Never log them.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A malformed password hash string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HashFormatError {
    /// Not `$pbkdf2-sha256$i=N$salt$hash`.
    #[error("not a $pbkdf2-sha256$i=N$salt$hash string")]
    Format,
    /// Iteration count missing, not a number, or below [`MIN_ITERATIONS`].
    #[error("iteration count missing or outside {MIN_ITERATIONS}..={MAX_ITERATIONS}")]
    Iterations,
    /// Iteration count above [`MAX_ITERATIONS`], the cap the Worker's CPU budget sets.
    #[error(
        "{0} iterations is above the cap of {MAX_ITERATIONS}: one login would cost more CPU \
         than the Worker's budget allows (docs/security.md, \"Password hashing cost\")"
    )]
    TooCostly(u32),
    /// Salt or hash not base64, or of the wrong length.
    #[error("bad salt or hash encoding")]
    Encoding,
}

/// A parsed PBKDF2-SHA256 password hash. `Debug` shows only the iteration count.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    iterations: u32,
    salt: Vec<u8>,
    hash: [u8; HASH_LEN],
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PasswordHash(pbkdf2-sha256, i={})", self.iterations)
    }
}

fn derive(password: &[u8], salt: &[u8], iterations: u32) -> [u8; HASH_LEN] {
    pbkdf2::pbkdf2_hmac_array::<sha2::Sha256, HASH_LEN>(password, salt, iterations)
}

impl PasswordHash {
    /// Parses `$pbkdf2-sha256$i=N$salt$hash`.
    pub fn parse(s: &str) -> Result<Self, HashFormatError> {
        let mut parts = s.split('$');
        let (Some(""), Some(SCHEME), Some(params), Some(salt), Some(hash), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(HashFormatError::Format);
        };
        let iterations: u32 = params
            .strip_prefix("i=")
            .and_then(|n| n.parse().ok())
            .filter(|n| *n >= MIN_ITERATIONS)
            .ok_or(HashFormatError::Iterations)?;
        if iterations > MAX_ITERATIONS {
            return Err(HashFormatError::TooCostly(iterations));
        }
        let decode = |x: &str| STANDARD_NO_PAD.decode(x.trim_end_matches('='));
        let salt = decode(salt).map_err(|_| HashFormatError::Encoding)?;
        let hash: [u8; HASH_LEN] = decode(hash)
            .ok()
            .and_then(|h| h.try_into().ok())
            .ok_or(HashFormatError::Encoding)?;
        if salt.len() < 8 || salt.len() > 64 {
            return Err(HashFormatError::Encoding);
        }
        Ok(Self {
            iterations,
            salt,
            hash,
        })
    }

    /// A hash no password matches, costing `iterations` to check: verified against when a
    /// user is unknown, so that timing does not tell.
    pub fn unmatchable(iterations: u32) -> Self {
        Self {
            iterations,
            salt: b"casplus-unknown-user".to_vec(),
            hash: [0; HASH_LEN],
        }
    }

    /// The hash an unknown user name is checked against: unmatchable, at the one fixed
    /// cost [`DEFAULT_ITERATIONS`] (never the highest count of any user: see the module
    /// docs).
    pub fn unknown_user() -> Self {
        Self::unmatchable(DEFAULT_ITERATIONS)
    }

    /// The iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Checks a password in constant time (relative to the stored hash).
    pub fn verify(&self, password: &str) -> bool {
        let candidate = derive(password.as_bytes(), &self.salt, self.iterations);
        bool::from(candidate.ct_eq(&self.hash))
    }
}

/// Hashes `password` with `salt` (use ≥ 16 random bytes) and `iterations` into the PHC
/// string the user store reads. For `casplus hash-password`.
pub fn hash_password(password: &str, salt: &[u8], iterations: u32) -> String {
    let hash = derive(password.as_bytes(), salt, iterations);
    format!(
        "${SCHEME}$i={iterations}${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(hash)
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn known_answer_vectors() {
        // PBKDF2-HMAC-SHA256("password", "salt", c, 32), the widely published vectors.
        let hex = |c| -> String {
            derive(b"password", b"salt", c)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        assert_eq!(
            hex(1),
            "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"
        );
        assert_eq!(
            hex(4096),
            "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"
        );
    }

    #[test]
    fn hash_then_verify() {
        let s = hash_password("Mellon", b"0123456789abcdef", MIN_ITERATIONS);
        assert!(s.starts_with("$pbkdf2-sha256$i=1000$"));
        let h = PasswordHash::parse(&s).unwrap();
        assert!(h.verify("Mellon"));
        assert!(!h.verify("mellon"));
        assert!(!h.verify(""));
        assert_eq!(format!("{h:?}"), "PasswordHash(pbkdf2-sha256, i=1000)");
    }

    #[test]
    fn parse_rejects_malformed() {
        let good = hash_password("x", b"0123456789abcdef", MIN_ITERATIONS);
        assert!(PasswordHash::parse(&good).is_ok());
        for bad in [
            "",
            "plain",
            "$pbkdf2-sha512$i=1000$c2FsdHNhbHQ$aGFzaA",
            &good.replace("i=1000", "i=10"),
            &good.replace("i=1000", "i=99999999999"),
            &good.replace("i=1000", "i=1000001"),
            &good.replace("i=1000", "rounds=1000"),
            &format!("{good}$extra"),
            "$pbkdf2-sha256$i=1000$!!!$AAAA",
            "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$c2hvcnQ",
        ] {
            assert!(PasswordHash::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_redacted_in_debug() {
        let p = Password::new("Mellon");
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
        assert_eq!(p.as_bytes(), b"Mellon");
    }

    #[test]
    fn counts_above_the_worker_cap_are_refused_with_their_own_error() {
        let at_cap = hash_password("x", b"0123456789abcdef", MIN_ITERATIONS)
            .replace("i=1000", &format!("i={MAX_ITERATIONS}"));
        assert_eq!(
            PasswordHash::parse(&at_cap).map(|h| h.iterations()),
            Ok(MAX_ITERATIONS)
        );
        // 5 M iterations: seconds of CPU per login, accepted before the cap.
        let costly = at_cap.replace(&format!("i={MAX_ITERATIONS}"), "i=5000000");
        let err = PasswordHash::parse(&costly).unwrap_err();
        assert_eq!(err, HashFormatError::TooCostly(5_000_000));
        assert!(
            err.to_string().contains("above the cap of 1000000"),
            "{err}"
        );
        assert_eq!(
            PasswordHash::parse(&at_cap.replace(&format!("i={MAX_ITERATIONS}"), "i=999")),
            Err(HashFormatError::Iterations)
        );
        // The cap leaves room for the default and for OWASP's 600 000.
        const { assert!(DEFAULT_ITERATIONS <= MAX_ITERATIONS && 600_000 <= MAX_ITERATIONS) };
    }

    #[test]
    fn unknown_users_cost_the_default_count() {
        let h = PasswordHash::unknown_user();
        assert_eq!(h.iterations(), DEFAULT_ITERATIONS);
        assert!(!h.verify(""));
    }

    #[test]
    fn an_unmatchable_hash_matches_nothing() {
        let h = PasswordHash::unmatchable(MIN_ITERATIONS);
        assert_eq!(h.iterations(), MIN_ITERATIONS);
        assert!(!h.verify(""));
        assert!(!h.verify("casplus-unknown-user"));
    }
}
