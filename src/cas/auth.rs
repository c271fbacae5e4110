//! Authentication, sans-IO: the engine asks for a user name/password to be checked
//! (`LoginStep::Authenticate` carrying an [`AuthRequest`]) and the adapter answers with an
//! [`AuthResult`] — from the built-in [`UserStore`] here, or from any other source (e.g.
//! a TACACS+ server) the adapter talks to.
//!
//! Passwords are hashed and checked by [`crate::password`] (salted PBKDF2-SHA256, the same
//! hashes the TACACS+ server uses). Comparisons are constant-time, and an unknown user name
//! costs one fixed PBKDF2 work, the default count's ([`PasswordHash::unknown_user`]): as
//! much as a known user hashed with the default count, so timing tells them apart only for
//! users hashed with another count, and never more than a default login.

use core::fmt;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cas::response::Attributes;
use crate::password::{HashFormatError, MAX_PASSWORD_LEN, Password, PasswordHash};

/// The built-in authentication source's name.
pub const BUILTIN_SOURCE: &str = "builtin";

/// A request to check credentials against an authentication source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthRequest {
    /// The user name as typed.
    pub username: String,
    /// The password.
    pub password: Password,
    /// Which source must verify them (`builtin` unless the service requires another).
    pub source: String,
    /// The CAS service the login is for (§2.2.1 `service`), when there is one; a source may
    /// pass it on (e.g. as a TACACS+ authorization argument, RFC 8907 §6.1).
    pub service: Option<String>,
}

/// Why credentials were not accepted. The login page shows the same message for
/// [`AuthFailure::InvalidCredentials`] and [`AuthFailure::AccountDisabled`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthFailure {
    /// Unknown user or wrong password.
    InvalidCredentials,
    /// The account exists but may not log in.
    AccountDisabled,
    /// The source could not be asked (network error, timeout): not counted as a failed
    /// attempt by throttling.
    Unavailable,
}

/// The adapter's answer to an [`AuthRequest`]. Serialized (externally tagged, snake case)
/// as the TACACS+ gateway's reply (`crate::aaa::gateway`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthResult {
    /// The credentials are valid.
    Authenticated {
        /// The canonical principal name.
        principal: String,
        /// The principal's attributes.
        attributes: Attributes,
    },
    /// They are not.
    Rejected(AuthFailure),
    /// They are not, and the source said something for the user (e.g. a TACACS+ FAIL's
    /// `server_msg`, RFC 8907 §5.2: "a message to be displayed to the user"). Treated as
    /// [`AuthResult::Rejected`] with `failure`; the login form shows `message` (escaped)
    /// with its error, except for [`AuthFailure::Unavailable`], whose details are for the
    /// operator only.
    Refused {
        /// Why, as for [`AuthResult::Rejected`].
        failure: AuthFailure,
        /// The source's message (plain text; the page escapes it).
        message: String,
    },
}

/// A string or a list of strings: a user attribute's values, a service pattern's `host`
/// or `scheme` ([`crate::cas::service`]). Read by a visitor of its own rather than
/// `#[serde(untagged)]`, which buffers the value first and costs the Worker's wasm.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values, one or many.
    pub(crate) fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany::One(s.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<OneOrMany, A::Error> {
                let mut v = Vec::new();
                while let Some(s) = seq.next_element()? {
                    v.push(s);
                }
                Ok(OneOrMany::Many(v))
            }
        }
        d.deserialize_any(Visitor)
    }
}

fn attributes_from_config<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Attributes, D::Error> {
    // Read entry by entry into the attribute map rather than through a
    // `BTreeMap<String, OneOrMany>` first: every map type is its own copy of the B-tree code
    // in the Worker's wasm (bench/RESULTS.md "Worker"). A repeated name: the last one wins,
    // as with a map.
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Attributes;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of attribute names to a string or a list of strings")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Attributes, A::Error> {
            let mut out = Attributes::new();
            while let Some((name, values)) = map.next_entry::<String, OneOrMany>()? {
                out.insert(name, values.into_vec());
            }
            Ok(out)
        }
    }
    d.deserialize_map(Visitor)
}

/// One configured user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserRecord {
    /// `$pbkdf2-sha256$i=N$salt$hash`.
    pub password: String,
    /// Attributes; each value is a string or a list of strings (multi-valued).
    #[serde(default, deserialize_with = "attributes_from_config")]
    pub attributes: Attributes,
    /// A disabled account cannot log in.
    #[serde(default)]
    pub disabled: bool,
}

impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("password", &"<hash>")
            .field("attributes", &self.attributes)
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// A user-store configuration error.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UserStoreError {
    /// A user's password hash is malformed.
    #[error("user {user}: {error}")]
    Hash {
        /// The user.
        user: String,
        /// What is wrong.
        error: HashFormatError,
    },
    /// The JSON does not describe users.
    #[error("user store JSON: {0}")]
    Json(String),
}

#[derive(Clone, Debug)]
struct User {
    hash: PasswordHash,
    attributes: Attributes,
    disabled: bool,
}

/// The built-in authentication source: user name → hash + attributes.
#[derive(Clone, Debug)]
pub struct UserStore {
    users: BTreeMap<String, User>,
    dummy: PasswordHash,
}

impl UserStore {
    /// Builds the store, parsing every hash up front.
    pub fn new(users: BTreeMap<String, UserRecord>) -> Result<Self, UserStoreError> {
        let mut parsed = BTreeMap::new();
        for (name, record) in users {
            let hash =
                PasswordHash::parse(&record.password).map_err(|error| UserStoreError::Hash {
                    user: name.clone(),
                    error,
                })?;
            parsed.insert(
                name,
                User {
                    hash,
                    attributes: record.attributes,
                    disabled: record.disabled,
                },
            );
        }
        Ok(Self {
            users: parsed,
            dummy: PasswordHash::unknown_user(),
        })
    }

    /// Parses `{"casuser": {"password": "$pbkdf2-sha256$…", "attributes": {…}}}`.
    pub fn from_json(json: &str) -> Result<Self, UserStoreError> {
        let users: BTreeMap<String, UserRecord> =
            serde_json::from_str(json).map_err(|e| UserStoreError::Json(e.to_string()))?;
        Self::new(users)
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// `true` when there are no users.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Checks a user name and password (exact, case-sensitive user name).
    pub fn authenticate(&self, username: &str, password: &Password) -> AuthResult {
        if password.expose().len() > MAX_PASSWORD_LEN {
            return AuthResult::Rejected(AuthFailure::InvalidCredentials);
        }
        match self.users.get(username) {
            None => {
                let _ = self.dummy.verify(password.expose());
                AuthResult::Rejected(AuthFailure::InvalidCredentials)
            }
            Some(user) => {
                if !user.hash.verify(password.expose()) {
                    AuthResult::Rejected(AuthFailure::InvalidCredentials)
                } else if user.disabled {
                    AuthResult::Rejected(AuthFailure::AccountDisabled)
                } else {
                    AuthResult::Authenticated {
                        principal: username.to_owned(),
                        attributes: user.attributes.clone(),
                    }
                }
            }
        }
    }

    /// Answers an [`AuthRequest`] for the [`BUILTIN_SOURCE`]; any other source is
    /// [`AuthFailure::Unavailable`] here.
    pub fn answer(&self, request: &AuthRequest) -> AuthResult {
        if request.source == BUILTIN_SOURCE {
            self.authenticate(&request.username, &request.password)
        } else {
            AuthResult::Rejected(AuthFailure::Unavailable)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::password::{DEFAULT_ITERATIONS, MAX_ITERATIONS, MIN_ITERATIONS, hash_password};

    fn store() -> UserStore {
        let hash = hash_password("Mellon", b"0123456789abcdef", MIN_ITERATIONS);
        UserStore::from_json(&format!(
            r#"{{"casuser": {{"password": "{hash}", "attributes": {{"email": "casuser@example.org",
                "memberOf": ["staff", "faculty"]}}}},
               "gone": {{"password": "{hash}", "disabled": true}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn builtin_user_store() {
        let s = store();
        assert_eq!(s.len(), 2);
        match s.authenticate("casuser", &Password::new("Mellon")) {
            AuthResult::Authenticated {
                principal,
                attributes,
            } => {
                assert_eq!(principal, "casuser");
                assert_eq!(attributes["memberOf"], vec!["staff", "faculty"]);
                assert_eq!(attributes["email"], vec!["casuser@example.org"]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            s.authenticate("casuser", &Password::new("wrong")),
            AuthResult::Rejected(AuthFailure::InvalidCredentials)
        );
        assert_eq!(
            s.authenticate("CASUSER", &Password::new("Mellon")),
            AuthResult::Rejected(AuthFailure::InvalidCredentials)
        );
        assert_eq!(
            s.authenticate("nobody", &Password::new("Mellon")),
            AuthResult::Rejected(AuthFailure::InvalidCredentials)
        );
        assert_eq!(
            s.authenticate("gone", &Password::new("Mellon")),
            AuthResult::Rejected(AuthFailure::AccountDisabled)
        );
        let req = AuthRequest {
            username: "casuser".into(),
            password: Password::new("Mellon"),
            source: "tacacs".into(),
            service: None,
        };
        assert_eq!(
            s.answer(&req),
            AuthResult::Rejected(AuthFailure::Unavailable)
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let req = AuthRequest {
            username: "casuser".into(),
            password: Password::new("Mellon"),
            source: BUILTIN_SOURCE.into(),
            service: Some("https://app.example/".into()),
        };
        let dbg = format!("{req:?} {:?}", store());
        assert!(!dbg.contains("Mellon"));
        assert!(!dbg.contains("$pbkdf2"));
    }

    #[test]
    fn bad_hash_in_config_is_reported() {
        let err = UserStore::from_json(r#"{"u": {"password": "plain"}}"#).unwrap_err();
        assert_eq!(
            err,
            UserStoreError::Hash {
                user: "u".into(),
                error: HashFormatError::Format
            }
        );
    }

    #[test]
    fn unknown_users_cost_the_default_count_not_the_highest_one() {
        // One user at the cap, one below the default: an unknown name costs the default,
        // whatever the users' counts.
        let costly = hash_password("x", b"0123456789abcdef", MIN_ITERATIONS)
            .replace("i=1000", &format!("i={MAX_ITERATIONS}"));
        let cheap = hash_password("Mellon", b"0123456789abcdef", MIN_ITERATIONS);
        let s = UserStore::from_json(&format!(
            r#"{{"slow": {{"password": "{costly}"}}, "fast": {{"password": "{cheap}"}}}}"#
        ))
        .unwrap();
        assert_eq!(s.dummy.iterations(), DEFAULT_ITERATIONS);
        assert_eq!(
            store().dummy.iterations(),
            DEFAULT_ITERATIONS,
            "users below the default"
        );
    }

    #[test]
    fn a_hash_above_the_cap_is_reported_for_its_user() {
        let costly =
            hash_password("x", b"0123456789abcdef", MIN_ITERATIONS).replace("i=1000", "i=5000000");
        let err =
            UserStore::from_json(&format!(r#"{{"u": {{"password": "{costly}"}}}}"#)).unwrap_err();
        assert_eq!(
            err,
            UserStoreError::Hash {
                user: "u".into(),
                error: HashFormatError::TooCostly(5_000_000)
            }
        );
    }
}
