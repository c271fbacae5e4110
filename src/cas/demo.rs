//! The development configuration (`make dev`): loopback services with proxy rights and a
//! `casuser` / `Mellon` account. For local use only — the cookie is not `Secure` (plain
//! http on 127.0.0.1) and the password hash's salt is public.

/// Engine configuration ([`crate::cas::engine::EngineConfig`] as JSON): every
/// `http(s)://127.0.0.1|localhost[:port][/…]` service, allowed to receive proxy tickets and
/// to obtain PGTs through an https loopback `pgtUrl`, released `email`, `displayName` and
/// `memberOf`.
pub const ENGINE_JSON: &str = r#"{
  "services": [
    {
      "id": 1,
      "name": "Local development",
      "service": { "regex": "^https?://(127\\.0\\.0\\.1|localhost)(:\\d+)?(/.*)?$" },
      "proxyTickets": true,
      "proxyCallback": { "regex": "^https://(127\\.0\\.0\\.1|localhost)(:\\d+)?(/.*)?$" },
      "releasedAttributes": ["email", "displayName", "memberOf"],
      "singleLogout": true,
      "logoutType": "back_channel"
    }
  ],
  "cookie": { "secure": false }
}"#;

/// Users ([`crate::cas::auth::UserStore`] as JSON): `casuser` / `Mellon`, hashed with
/// PBKDF2-SHA256, 50 000 iterations.
pub const USERS_JSON: &str = r#"{
  "casuser": {
    "password": "$pbkdf2-sha256$i=50000$Y2FzcGx1cy1kZW1vLXNhbHQ$JUqPWSiCD2oZSwsJyQap+hhFAD3iGtgIjYzM5bsb+wk",
    "attributes": {
      "email": "casuser@example.org",
      "displayName": "CAS User",
      "memberOf": ["staff", "developers"]
    }
  }
}"#;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::cas::auth::{AuthResult, UserStore};
    use crate::cas::engine::Engine;
    use crate::password::Password;

    #[test]
    fn demo_configuration_loads_and_authenticates() {
        let engine = Engine::from_json(ENGINE_JSON).unwrap();
        assert!(!engine.config().cookie.secure);
        let svc = engine.registry().find("http://127.0.0.1:9000/app").unwrap();
        assert!(svc.definition().proxy_tickets);
        assert!(engine.registry().find("http://localhost/").is_some());
        assert!(engine.registry().find("http://127.0.0.2/").is_none());
        // The hash was made with Python's hashlib, independently of this crate.
        let users = UserStore::from_json(USERS_JSON).unwrap();
        let AuthResult::Authenticated { attributes, .. } =
            users.authenticate("casuser", &Password::new("Mellon"))
        else {
            panic!("casuser/Mellon rejected")
        };
        assert_eq!(attributes["memberOf"].len(), 2);
        assert!(matches!(
            users.authenticate("casuser", &Password::new("mellon")),
            AuthResult::Rejected(_)
        ));
    }
}
