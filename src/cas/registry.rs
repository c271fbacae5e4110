//! The service registry: which applications may use this CAS server, and what each may do.
//!
//! The server runs in non-open mode (§2.2.1: "the CAS Server MUST deny operation and print
//! out a meaningful message if a non-authorized service URL is presented"): entries are
//! tried in order and the first match wins. A pattern ([`Pattern`]) is
//!
//! - an exact string,
//! - a URL described by parts — scheme, **host by name** (`app.example.org`,
//!   `*.example.org`), port — and a regular expression for the rest (path, query,
//!   fragment): see [`crate::cas::service`], which explains why a host must not be matched
//!   by a regular expression over the whole URL;
//! - or, for compatibility, a regular expression (`regex-lite`: small in wasm, linear-time
//!   matching) over the **whole** URL, anchored as `^(?:…)$` so `https://app\.example/.*`
//!   can never be satisfied by `https://evil.example/?https://app.example/`. When its host
//!   is spelled literally the parsed host must also be that name.
//!
//! The same matching decides `service` at `/login` and the validation endpoints, the
//! `pgtUrl` callbacks, single-logout targets, the `/logout` redirect and `/proxy` targets.
//!
//! Loaded from JSON (or any serde format):
//!
//! ```json
//! [{ "id": 1, "name": "Demo",
//!    "service": { "host": "*.example.org", "path": "/app(/.*)?" },
//!    "proxyTickets": true,
//!    "proxyCallback": { "regex": "https://app\\.example\\.org/proxy/.*" },
//!    "releasedAttributes": ["email", "memberOf"],
//!    "singleLogout": true,
//!    "authenticationSource": "builtin" }]
//! ```

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::cas::params::{Scheme, http_url_scheme};
use crate::cas::response::Attributes;
use crate::cas::service::{CompileError, Matcher, PatternRepr, UrlPattern};

/// How a URL is matched. Serialized as `{ "exact": … }`, `{ "regex": … }` or
/// `{ "host": …, "path": …, "scheme": …, "port": … }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PatternRepr", into = "PatternRepr")]
pub enum Pattern {
    /// The URL must equal this string.
    Exact(String),
    /// The whole URL must match this regular expression (anchored for you).
    Regex(String),
    /// Scheme, host and port by name, the rest by a regular expression.
    Url(UrlPattern),
}

/// One registered service as configured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceDefinition {
    /// Unique numeric id.
    pub id: u64,
    /// Human-readable name (shown on the login and warn pages).
    pub name: String,
    /// Which `service` URLs this entry covers.
    pub service: Pattern,
    /// May receive proxy tickets as a `targetService` of `/proxy` (§2.7).
    #[serde(default)]
    pub proxy_tickets: bool,
    /// Allowed `pgtUrl`s; when absent the service may not obtain proxy-granting tickets
    /// (`UNAUTHORIZED_SERVICE_PROXY`, §2.5.3). A `pgtUrl` must also be `https` (§2.5.4).
    #[serde(default)]
    pub proxy_callback: Option<Pattern>,
    /// Names of the principal's attributes released to this service (`/p3/*`,
    /// `/samlValidate`).
    #[serde(default)]
    pub released_attributes: Vec<String>,
    /// Send single-logout requests to this service (§2.3.3). Default on. Superseded by
    /// [`ServiceDefinition::logout_type`] when that is set (`false` with a channel set is
    /// a configuration problem).
    #[serde(default = "default_true")]
    pub single_logout: bool,
    /// How this service hears of the end of the SSO session (§2.3.3):
    /// [`LogoutType::BackChannel`] (the default), [`LogoutType::FrontChannel`] or
    /// [`LogoutType::None`]. Unset: back channel, or none when `singleLogout` is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_type: Option<LogoutType>,
    /// Only principals verified by this authentication source may get tickets for it;
    /// an SSO session from another source does not count (the user logs in again).
    #[serde(default)]
    pub authentication_source: Option<String>,
    /// Let `service` and `proxyCallback` be regular expressions whose host casplus cannot
    /// read literally ([`crate::cas::service`]): the operator vouches that they cannot
    /// match a URL on someone else's host. Off by default.
    #[serde(default, alias = "allow_regex_hosts", skip_serializing_if = "is_false")]
    pub allow_regex_hosts: bool,
}

fn default_true() -> bool {
    true
}

/// How a service hears of the end of the SSO session (§2.3.3), per service, as Apereo
/// CAS names the choice (`logoutType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogoutType {
    /// The CAS server POSTs the `logoutRequest` to the service URL (§2.3.3).
    BackChannel,
    /// The logout page has the user's browser load the service URL with the
    /// `logoutRequest` as `SAMLRequest` (deflated, base64), in a hidden frame: for a
    /// service the CAS server cannot reach, and only at `/logout` (a session that ends
    /// otherwise has no browser to do it).
    FrontChannel,
    /// No single logout.
    None,
}

impl ServiceDefinition {
    /// How this service hears of the end of the session ([`ServiceDefinition::logout_type`],
    /// else [`ServiceDefinition::single_logout`]).
    pub fn logout(&self) -> LogoutType {
        match (self.logout_type, self.single_logout) {
            (Some(t), _) => t,
            (None, true) => LogoutType::BackChannel,
            (None, false) => LogoutType::None,
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A configuration mistake in the registry.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// A regular expression does not compile.
    #[error("service {id}: bad regular expression: {message}")]
    BadRegex {
        /// The service's id.
        id: u64,
        /// The compiler's message.
        message: String,
    },
    /// A host, scheme or port of a pattern is not one.
    #[error("service {id}: {message}")]
    BadPattern {
        /// The service's id.
        id: u64,
        /// What is wrong.
        message: String,
    },
    /// Two entries share an id.
    #[error("service id {0} is used twice")]
    DuplicateId(u64),
    /// The JSON is not a list of service definitions.
    #[error("service registry JSON: {0}")]
    Json(String),
}

fn compile(p: &Pattern, id: u64) -> Result<Matcher, RegistryError> {
    Matcher::compile(p).map_err(|e| match e {
        CompileError::Regex(message) => RegistryError::BadRegex { id, message },
        CompileError::Pattern(message) => RegistryError::BadPattern { id, message },
    })
}

/// A registered service with its patterns compiled.
#[derive(Clone, Debug)]
pub struct RegisteredService {
    definition: ServiceDefinition,
    service: Matcher,
    proxy_callback: Option<Matcher>,
}

/// Whether a `pgtUrl` may be used by a service (§2.5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PgtUrlCheck {
    /// Allowed.
    Allowed,
    /// The service may not obtain proxy-granting tickets (`UNAUTHORIZED_SERVICE_PROXY`).
    ServiceNotAuthorized,
    /// Not `https`, or not a registered callback (`INVALID_PROXY_CALLBACK`).
    InvalidCallback,
}

impl RegisteredService {
    /// The configuration of this entry.
    pub fn definition(&self) -> &ServiceDefinition {
        &self.definition
    }

    /// Whether `service` is covered by this entry ([`crate::cas::service`]: parsed by the
    /// one URL parser, host matched by name).
    pub fn matches(&self, service: &str) -> bool {
        self.service.matches(service)
    }

    /// Checks a `pgtUrl` (§2.5.4 step 1: "This URL MUST be HTTPS"; registered, so the
    /// proxy identity is one the deployer vouched for).
    pub fn check_pgt_url(&self, pgt_url: &str) -> PgtUrlCheck {
        let Some(allowed) = &self.proxy_callback else {
            return PgtUrlCheck::ServiceNotAuthorized;
        };
        if http_url_scheme(pgt_url) != Some(Scheme::Https) || !allowed.matches(pgt_url) {
            return PgtUrlCheck::InvalidCallback;
        }
        PgtUrlCheck::Allowed
    }

    /// The attributes this service may see, in their original (multi-valued) form.
    pub fn release(&self, attributes: &Attributes) -> Attributes {
        // A loop of inserts, not `collect` (which sorts: one more sort instance in the wasm).
        let mut out = Attributes::new();
        for (k, v) in self
            .definition
            .released_attributes
            .iter()
            .filter_map(|name| attributes.get_key_value(name))
        {
            out.insert(k.clone(), v.clone());
        }
        out
    }
}

/// Ordered service entries; the first match wins.
#[derive(Clone, Debug, Default)]
pub struct ServiceRegistry {
    services: Vec<RegisteredService>,
}

impl ServiceRegistry {
    /// Compiles the definitions, in order.
    pub fn new(definitions: Vec<ServiceDefinition>) -> Result<Self, RegistryError> {
        let mut services: Vec<RegisteredService> = Vec::with_capacity(definitions.len());
        for definition in definitions {
            if services.iter().any(|s| s.definition.id == definition.id) {
                return Err(RegistryError::DuplicateId(definition.id));
            }
            let service = compile(&definition.service, definition.id)?;
            let proxy_callback = definition
                .proxy_callback
                .as_ref()
                .map(|p| compile(p, definition.id))
                .transpose()?;
            services.push(RegisteredService {
                definition,
                service,
                proxy_callback,
            });
        }
        Ok(Self { services })
    }

    /// Parses and compiles a JSON array of [`ServiceDefinition`]s.
    pub fn from_json(json: &str) -> Result<Self, RegistryError> {
        let defs: Vec<ServiceDefinition> =
            serde_json::from_str(json).map_err(|e| RegistryError::Json(e.to_string()))?;
        Self::new(defs)
    }

    /// The first entry covering `service`, if any.
    pub fn find(&self, service: &str) -> Option<&RegisteredService> {
        self.services.iter().find(|s| s.matches(service))
    }

    /// All entries, in evaluation order.
    pub fn services(&self) -> &[RegisteredService] {
        &self.services
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    // Tests of host matching and hostile URLs: `cas/service/tests.rs`.
    use super::*;

    fn registry() -> ServiceRegistry {
        ServiceRegistry::from_json(
            r#"[
              {"id": 1, "name": "Exact", "service": {"exact": "https://exact.example/app"},
               "singleLogout": false},
              {"id": 2, "name": "Portal", "service": {"regex": "https://portal\\.example(/.*)?"},
               "proxyCallback": {"regex": "https://portal\\.example/pgt(\\?.*)?"},
               "releasedAttributes": ["email", "memberOf", "missing"]},
              {"id": 3, "name": "Catch-all portal", "service": {"regex": "https://.*\\.example(/.*)?"},
               "proxyTickets": true, "authenticationSource": "tacacs"}
            ]"#,
        )
        .unwrap()
    }

    #[test]
    fn first_match_wins() {
        let r = registry();
        assert_eq!(
            r.find("https://portal.example/x").unwrap().definition().id,
            2
        );
        assert_eq!(
            r.find("https://other.example/x").unwrap().definition().id,
            3
        );
        assert_eq!(
            r.find("https://exact.example/app").unwrap().definition().id,
            1
        );
        // Exact means exact.
        assert_eq!(
            r.find("https://exact.example/app/")
                .unwrap()
                .definition()
                .id,
            3
        );
    }

    #[test]
    fn unregistered_service_is_not_found_2_2_1() {
        let r = registry();
        assert!(r.find("https://evil.test/").is_none());
        assert!(r.find("http://portal.example/").is_none());
    }

    #[test]
    fn regex_is_anchored_at_both_ends() {
        // Only the portal entry: the catch-all `https://.*\.example(/.*)?` of `registry()`
        // is exactly the sloppy kind of pattern that anchoring cannot save.
        let r = ServiceRegistry::from_json(
            r#"[{"id": 2, "name": "Portal", "service": {"regex": "https://portal\\.example(/.*)?"}}]"#,
        )
        .unwrap();
        assert!(r.find("https://portal.example/x").is_some());
        assert!(
            r.find("https://evil.test/?u=https://portal.example/")
                .is_none()
        );
        assert!(r.find("https://portal.example.evil.test/").is_none());
        assert!(r.find("xhttps://portal.example/").is_none());
    }

    #[test]
    fn pgt_url_must_be_https_and_registered_2_5_4() {
        let r = registry();
        let portal = r.find("https://portal.example/").unwrap();
        assert_eq!(
            portal.check_pgt_url("https://portal.example/pgt"),
            PgtUrlCheck::Allowed
        );
        assert_eq!(
            portal.check_pgt_url("https://portal.example/pgt?x=1"),
            PgtUrlCheck::Allowed
        );
        assert_eq!(
            portal.check_pgt_url("http://portal.example/pgt"),
            PgtUrlCheck::InvalidCallback
        );
        assert_eq!(
            portal.check_pgt_url("https://evil.test/pgt"),
            PgtUrlCheck::InvalidCallback
        );
        let other = r.find("https://other.example/").unwrap();
        assert_eq!(
            other.check_pgt_url("https://other.example/pgt"),
            PgtUrlCheck::ServiceNotAuthorized
        );
    }

    #[test]
    fn released_attributes_filtered_and_multivalued() {
        let r = registry();
        let attrs: Attributes = [
            ("email", vec!["a@example.org"]),
            ("memberOf", vec!["staff", "faculty"]),
            ("secret", vec!["x"]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
        .collect();
        let released = r.find("https://portal.example/").unwrap().release(&attrs);
        assert_eq!(released.len(), 2);
        assert_eq!(released["memberOf"], vec!["staff", "faculty"]);
        assert!(!released.contains_key("secret"));
        assert!(
            r.find("https://other.example/")
                .unwrap()
                .release(&attrs)
                .is_empty()
        );
    }

    #[test]
    fn flags_and_defaults() {
        let r = registry();
        assert!(
            !r.find("https://exact.example/app")
                .unwrap()
                .definition()
                .single_logout
        );
        let portal = r.find("https://portal.example/").unwrap().definition();
        assert!(portal.single_logout);
        assert!(!portal.proxy_tickets);
        let catch = r.find("https://x.example/").unwrap().definition();
        assert!(catch.proxy_tickets);
        assert_eq!(catch.authentication_source.as_deref(), Some("tacacs"));
    }

    #[test]
    fn config_errors() {
        assert!(matches!(
            ServiceRegistry::from_json(r#"[{"id":1,"name":"a","service":{"regex":"("}}]"#),
            Err(RegistryError::BadRegex { id: 1, .. })
        ));
        assert_eq!(
            ServiceRegistry::from_json(
                r#"[{"id":1,"name":"a","service":{"exact":"x"}},{"id":1,"name":"b","service":{"exact":"y"}}]"#
            )
            .unwrap_err(),
            RegistryError::DuplicateId(1)
        );
        assert!(matches!(
            ServiceRegistry::from_json(r#"[{"id":1,"name":"a","service":{"exact":"x"},"typo":1}]"#),
            Err(RegistryError::Json(_))
        ));
    }
}
