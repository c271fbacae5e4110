//! The site configuration: the one file an operator writes — engine settings (services,
//! ticket lifetimes, throttling, cookie, single logout), the built-in users and, optionally,
//! the TACACS+ servers — and the checks that make a wrong one fail before it bites.
//!
//! The same document is TOML for people (`worker/casplus.example.toml`, read by the
//! `casplus` CLI) and JSON for the Worker (the `CASPLUS_CONFIG` secret; `casplus config json
//! FILE` converts). Its shape, in JSON:
//!
//! ```json
//! { "engine": { "services": [ … ], "tickets": { … }, "throttle": { … }, "cookie": { … } },
//!   "users":  { "casuser": { "password": "$pbkdf2-sha256$…", "attributes": { … } } },
//!   "tacacs": { "servers": [ { "host": "10.0.0.5", "key": "…" } ] },
//!   "allow_any_service": false }
//! ```
//!
//! - `engine` is [`EngineConfig`] (every field optional, camelCase keys),
//! - `users` maps user names to [`UserRecord`]s,
//! - `tacacs` is the TACACS+ login backend (the TACACS+ client configuration's JSON form,
//!   snake_case keys; typed, checked and built by `crate::site`: this module knows only
//!   whether it is there),
//! - `allow_any_service` lets a service pattern cover URLs on any host (off by default).
//!
//! This module holds the document and the CAS checks; `crate::site` joins them with the
//! TACACS+ section ([`SiteConfig::build`], the full check).
//!
//! [`check`] is pure and reports every problem at once, each with the place in the file
//! ([`Path`], e.g. `engine.services[0].service.regex`), so the CLI can point at a line and
//! the Worker can refuse to serve with a message naming the mistake.
//!
//! What is checked:
//! - service and proxy-callback patterns compile (anchored, as the registry uses them);
//! - no pattern accepts URLs on an arbitrary host unless `allow_any_service = true` (§2.2.1:
//!   a non-open CAS server denies unknown services; a catch-all pattern makes it open);
//! - a regular expression spells its host literally, or the service sets `allowRegexHosts`
//!   ([`crate::cas::service`]); a refused one is explained with an attacker URL it accepts;
//! - a service reachable over plain `http://` is on a loopback host (127.0.0.0/8,
//!   `localhost`, `[::1]`) — tickets travel in URLs (§2.2.4), so anything else must be https;
//!   regexes are read conservatively: a host casplus cannot read literally is not loopback;
//! - a cookie without `Secure` only when every service is on loopback (§3.6.1 recommends
//!   https; the TGC is the SSO session);
//! - password hashes are `$pbkdf2-sha256$i=N$salt$hash` with N in the accepted range; a
//!   count above [`crate::password::MAX_ITERATIONS`] (the Worker's CPU budget per login) is
//!   refused with its own message;
//! - ticket lifetimes are positive and sane: ST/PT at most five minutes (§3.1.1, §3.2.1
//!   recommend it), LT at most a day, remember-me at most 90 days (§4.1.5), throttling
//!   settings consistent;
//! - authentication sources exist (`builtin`, and `tacacs` only when it is configured);
//! - (by `crate::site`) TACACS+ servers are well formed (RFC 8907 §4.5: a non-empty shared
//!   secret unless TLS; a host, a non-zero port, a timeout a login can afford).

use core::fmt;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cas::auth::{BUILTIN_SOURCE, UserRecord};
use crate::cas::demo;
use crate::cas::engine::{EngineConfig, MAX_USERNAME_LEN};
use crate::cas::params::http_url_scheme;
use crate::cas::policy::MAX_LONG_TERM_SECONDS;
use crate::cas::registry::{LogoutType, Pattern, ServiceDefinition};
use crate::cas::service::{HostProof, Matcher, Reach, host_proof, pattern_reach};
use crate::password::PasswordHash;

/// `impl Deserialize` for a configuration table whose every key has a default (the type's
/// `Default`): each key read into its field, an unknown key refused with the list of known
/// ones. This is what `#[derive(Deserialize)]` with `#[serde(default,
/// deny_unknown_fields)]` does for the configuration's maps, in a fraction of its wasm (no
/// sequence form, no field-identifier visitor: bench/RESULTS.md "Worker"). For
/// configuration tables only — never for a type of the stored form, which postcard reads
/// as a sequence. One difference: a key given twice (JSON only; TOML refuses it) is not an
/// error, the last one wins. `config_tables_read_what_they_write` checks that the keys listed are
/// exactly the ones the type's `Serialize` writes.
macro_rules! config_table {
    ($ty:ty, $what:literal, { $($key:literal => $field:ident),+ $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                const KEYS: &[&str] = &[$($key),+];
                struct Visitor;
                impl<'de> serde::de::Visitor<'de> for Visitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$ty, A::Error> {
                        let mut out = <$ty>::default();
                        while let Some(key) = map.next_key::<String>()? {
                            match key.as_str() {
                                $($key => out.$field = map.next_value()?,)+
                                _ => return Err(serde::de::Error::unknown_field(&key, KEYS)),
                            }
                        }
                        Ok(out)
                    }
                }
                d.deserialize_map(Visitor)
            }
        }
    };
}
pub(crate) use config_table;

/// The authentication source name of the TACACS+ backend (`authenticationSource`,
/// `engine.defaultSource`), set up by the `tacacs` section: the one name the bridge
/// (`crate::aaa`) and the adapters use.
pub const TACACS_SOURCE: &str = "tacacs";
/// Longest service/proxy ticket lifetime accepted, seconds (§3.1.1 recommends ≤ 5 min).
pub const MAX_SINGLE_USE_SECONDS: i64 = 300;
/// Longest login ticket (form) lifetime accepted, seconds.
pub const MAX_LOGIN_TICKET_SECONDS: i64 = 86_400;
/// Longest SAML assertion validity window accepted, seconds.
pub const MAX_SAML_ASSERTION_SECONDS: i64 = 3600;

/// Service URLs on hosts that no deployment owns (`.invalid`, RFC 2606): a pattern that
/// accepts one of them accepts services anywhere.
const ANY_HOST_PROBES: [&str; 4] = [
    "https://casplus-probe.invalid/",
    "http://casplus-probe.invalid/",
    "https://casplus-probe.invalid:8443/a/b?c=d",
    "https://casplus-probe.invalid",
];

/// The whole configuration file, its `tacacs` section of type `T`.
///
/// `cas` knows nothing of TACACS+, so the section's type is given by the module that joins
/// both: `crate::site::SiteConfig` is this document with the TACACS+ client's written
/// configuration (the one parse of the whole file, no untyped section in between).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "T: Deserialize<'de>"))]
pub struct SiteConfig<T> {
    /// Engine settings (services, tickets, throttling, cookie, single logout).
    #[serde(default)]
    pub engine: EngineConfig,
    /// Built-in users: name → password hash and attributes.
    #[serde(default)]
    pub users: BTreeMap<String, UserRecord>,
    /// The TACACS+ login backend (the TACACS+ client configuration as written; checked
    /// and built by `crate::site`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tacacs: Option<T>,
    /// Let service patterns cover URLs on any host (an open CAS server, §2.2.1).
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_any_service: bool,
}

impl<T> Default for SiteConfig<T> {
    /// No service, no user, no TACACS+ section, engine defaults.
    fn default() -> Self {
        Self {
            engine: EngineConfig::default(),
            users: BTreeMap::new(),
            tacacs: None,
            allow_any_service: false,
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One step of a [`Path`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A table key / object member.
    Key(String),
    /// An array element.
    Index(usize),
}

/// Where in the file a problem is, e.g. `engine.services[0].service.regex`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path(pub Vec<Segment>);

impl Path {
    /// A path from keys, e.g. `Path::keys(&["engine", "cookie", "secure"])`.
    pub fn keys(keys: &[&str]) -> Self {
        Self(keys.iter().map(|k| Segment::Key((*k).into())).collect())
    }

    /// This path with one more key.
    pub fn key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Key(key.into()));
        p
    }

    /// This path with one more index.
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Index(i));
        p
    }
}

impl fmt::Display for Path {
    /// TOML-like: bare keys when they are bare-key safe, `"quoted"` otherwise, `[i]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(top level)");
        }
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !k.is_empty()
                        && k.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                    if bare {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A configuration problem and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub path: Path,
    /// What is wrong and what to do.
    pub message: String,
}

impl Problem {
    /// A problem at `path`.
    pub fn new(path: Path, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl<T: serde::de::DeserializeOwned> SiteConfig<T> {
    /// Parses the JSON form (`CASPLUS_CONFIG`). A syntax or shape error (the `tacacs`
    /// section's included) is one problem at the top level whose message carries serde's
    /// line and column.
    pub fn from_json(json: &str) -> Result<Self, Problem> {
        serde_json::from_str(json).map_err(|e| Problem::new(Path::default(), e.to_string()))
    }
}

impl<T> SiteConfig<T> {
    /// The development configuration of `make dev` ([`demo`]).
    pub fn demo() -> Result<Self, Problem> {
        let engine = serde_json::from_str(demo::ENGINE_JSON)
            .map_err(|e| Problem::new(Path::keys(&["engine"]), e.to_string()))?;
        let users = serde_json::from_str(demo::USERS_JSON)
            .map_err(|e| Problem::new(Path::keys(&["users"]), e.to_string()))?;
        Ok(Self {
            engine,
            users,
            tacacs: None,
            allow_any_service: false,
        })
    }
}

/// Every CAS problem of a configuration (engine, services, users), in file order; the
/// `tacacs` section is checked by `crate::site::check`, which calls this first.
pub fn check<T>(config: &SiteConfig<T>) -> Vec<Problem> {
    let mut out = Vec::new();
    let engine = Path::keys(&["engine"]);
    // Short lists searched in place, not a `BTreeSet`/`BTreeMap` (whose `from([…])` sorts
    // and whose `insert` is one more instance each in the Worker's wasm).
    let mut sources = vec![BUILTIN_SOURCE];
    if config.tacacs.is_some() {
        sources.push(TACACS_SOURCE);
    }
    let mut all_loopback = true;
    for (i, def) in config.engine.services.iter().enumerate() {
        let at = engine.key("services").index(i);
        let mut services = config.engine.services.iter().take(i);
        if let Some(first) = services.rposition(|d| d.id == def.id) {
            out.push(Problem::new(
                at.key("id"),
                format!(
                    "id {} is already used by engine.services[{first}]; ids must be unique",
                    def.id
                ),
            ));
        }
        if def.name.trim().is_empty() {
            out.push(Problem::new(
                at.key("name"),
                "empty name (it is shown on the login page)",
            ));
        }
        all_loopback &= check_service(config, def, &at, &sources, &mut out);
    }
    let tickets = engine.key("tickets");
    let t = &config.engine.tickets;
    for (value, name, max, why) in [
        (
            t.service_ticket_seconds,
            "serviceTicketSeconds",
            MAX_SINGLE_USE_SECONDS,
            "§3.1.1 recommends at most five minutes",
        ),
        (
            t.proxy_ticket_seconds,
            "proxyTicketSeconds",
            MAX_SINGLE_USE_SECONDS,
            "§3.2.1 recommends at most five minutes",
        ),
        (
            t.login_ticket_seconds,
            "loginTicketSeconds",
            MAX_LOGIN_TICKET_SECONDS,
            "a login form older than a day is stale",
        ),
    ] {
        check_seconds(&tickets.key(name), value, max, why, &mut out);
    }
    for (name, policy, max) in [
        ("ticketGranting", t.ticket_granting, None),
        ("longTerm", t.long_term, Some(MAX_LONG_TERM_SECONDS)),
        ("proxyGranting", t.proxy_granting, None),
    ] {
        let at = tickets.key(name);
        for (field, v) in [
            ("hardSeconds", policy.hard_seconds),
            ("idleSeconds", policy.idle_seconds),
        ] {
            match max {
                Some(max) => check_seconds(
                    &at.key(field),
                    v,
                    max,
                    "§4.1.5: a remember-me session may not exceed three months",
                    &mut out,
                ),
                None => check_seconds(&at.key(field), v, i64::MAX, "", &mut out),
            }
        }
    }
    let th = &config.engine.throttle;
    if th.enabled {
        let at = engine.key("throttle");
        for (name, v) in [
            ("windowSeconds", th.window_seconds),
            ("lockoutSeconds", th.lockout_seconds),
            ("userDelaySeconds", th.user_delay_seconds),
        ] {
            check_seconds(&at.key(name), v, i64::MAX, "", &mut out);
        }
        for (name, max, base, v) in [
            (
                "maxLockoutSeconds",
                th.max_lockout_seconds,
                "lockoutSeconds",
                th.lockout_seconds,
            ),
            (
                "maxUserDelaySeconds",
                th.max_user_delay_seconds,
                "userDelaySeconds",
                th.user_delay_seconds,
            ),
        ] {
            if max < v {
                out.push(Problem::new(
                    at.key(name),
                    format!("{max} is shorter than {base} ({v})"),
                ));
            }
        }
        for (name, v) in [
            ("maxFailuresPerUser", th.max_failures_per_user),
            ("maxFailuresPerAddress", th.max_failures_per_address),
        ] {
            if v == 0 {
                out.push(Problem::new(
                    at.key(name),
                    "0 locks everyone out; allow at least one failure (or set enabled = false)",
                ));
            }
        }
    }
    let cookie = &config.engine.cookie;
    let at = engine.key("cookie");
    if cookie.name.is_empty() || !cookie.name.bytes().all(is_cookie_name_byte) {
        out.push(Problem::new(
            at.key("name"),
            format!("{:?} is not a cookie name (RFC 6265 token)", cookie.name),
        ));
    }
    if !cookie.path.starts_with('/') || cookie.path.bytes().any(|b| b == b';' || b < 0x20) {
        out.push(Problem::new(
            at.key("path"),
            format!("{:?} is not a cookie path (starts with /)", cookie.path),
        ));
    }
    if !cookie.secure && !all_loopback {
        out.push(Problem::new(
            at.key("secure"),
            "false is only for loopback development: a service here is not on loopback, so \
             the ticket-granting cookie must be Secure (§3.6.1)",
        ));
    }
    if !sources.contains(&config.engine.default_source.as_str()) {
        out.push(unknown_source(
            engine.key("defaultSource"),
            &config.engine.default_source,
        ));
    }
    check_seconds(
        &engine.key("samlAssertionSeconds"),
        config.engine.saml_assertion_seconds,
        MAX_SAML_ASSERTION_SECONDS,
        "a SAML assertion is validated right away",
        &mut out,
    );
    for (name, user) in &config.users {
        let at = Path::keys(&["users"]).key(name);
        if name.trim().is_empty() || name.len() > MAX_USERNAME_LEN || name.trim() != name {
            out.push(Problem::new(
                at.clone(),
                format!("user names must be 1–{MAX_USERNAME_LEN} bytes without surrounding spaces"),
            ));
        }
        if let Err(e) = PasswordHash::parse(&user.password) {
            out.push(Problem::new(
                at.key("password"),
                format!("{e} (make one with `casplus hash-password`)"),
            ));
        }
    }
    out
}

fn is_cookie_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn unknown_source(at: Path, source: &str) -> Problem {
    Problem::new(
        at,
        format!(
            "unknown authentication source {source:?}: use {BUILTIN_SOURCE:?}, or \
             {TACACS_SOURCE:?} with a [tacacs] section"
        ),
    )
}

fn check_seconds(at: &Path, value: i64, max: i64, why: &str, out: &mut Vec<Problem>) {
    if value <= 0 {
        out.push(Problem::new(
            at.clone(),
            format!("{value}: a number of seconds must be positive"),
        ));
    } else if value > max {
        out.push(Problem::new(
            at.clone(),
            format!("{value} s is longer than {max} s ({why})"),
        ));
    }
}

/// Checks one service entry; returns whether it is confined to loopback hosts.
fn check_service<T>(
    config: &SiteConfig<T>,
    def: &ServiceDefinition,
    at: &Path,
    sources: &[&str],
    out: &mut Vec<Problem>,
) -> bool {
    let service = &def.service;
    let service_at = pattern_path(at.key("service"), service);
    let reach = match compile(service) {
        Err(p) => {
            out.push(Problem::new(service_at, p));
            return false;
        }
        Ok(matcher) => {
            let reach = pattern_reach(service);
            let any_host = ANY_HOST_PROBES.iter().find(|p| matcher.matches(p));
            if let Some(probe) = any_host
                && !config.allow_any_service
            {
                out.push(Problem::new(
                    service_at.clone(),
                    format!(
                        "matches services on any host (e.g. {probe}): the CAS server would \
                         issue tickets to anyone (§2.2.1); list your services, or set \
                         allow_any_service = true at the top level"
                    ),
                ));
            } else if any_host.is_none() {
                check_host_proof(config, def, service, &matcher, &service_at, "tickets", out);
            }
            if reach.http && !loopback_only(&reach) {
                out.push(Problem::new(
                    service_at,
                    "accepts plain http:// URLs for a host that is not (provably) loopback: \
                     tickets travel in the URL (§2.2.4), so use https:// — only 127.0.0.1, \
                     localhost and [::1], spelled literally, may use http",
                ));
            }
            reach
        }
    };
    if let Some(cb) = &def.proxy_callback {
        let cb_at = pattern_path(at.key("proxyCallback"), cb);
        match compile(cb) {
            Err(p) => out.push(Problem::new(cb_at, p)),
            Ok(matcher) => {
                let any_host = ANY_HOST_PROBES.iter().any(|p| matcher.matches(p));
                if !config.allow_any_service && any_host {
                    out.push(Problem::new(
                        cb_at,
                        "matches callback URLs on any host: proxy-granting tickets could be \
                         sent anywhere (§2.5.4); list the service's own callback URLs",
                    ));
                } else if !any_host {
                    let what = "proxy-granting tickets";
                    check_host_proof(config, def, cb, &matcher, &cb_at, what, out);
                }
            }
        }
    }
    if let Some(source) = &def.authentication_source
        && !sources.contains(&source.as_str())
    {
        out.push(unknown_source(at.key("authenticationSource"), source));
    }
    if let Some(channel) = def.logout_type
        && channel != LogoutType::None
        && !def.single_logout
    {
        // Two settings that say opposite things: which one the operator meant is a guess.
        out.push(Problem::new(
            at.key("logoutType"),
            format!(
                "{} contradicts singleLogout = false: remove singleLogout and keep \
                 logoutType (\"none\" turns single logout off, §2.3.3)",
                match channel {
                    LogoutType::FrontChannel => "\"front_channel\"",
                    _ => "\"back_channel\"",
                }
            ),
        ));
    }
    loopback_only(&reach)
}

/// A regular expression must spell its host literally, unless the service or the site
/// says otherwise ([`crate::cas::service`]): explains a refusal with an attacker URL the
/// pattern accepts.
fn check_host_proof<T>(
    config: &SiteConfig<T>,
    def: &ServiceDefinition,
    pattern: &Pattern,
    matcher: &Matcher,
    at: &Path,
    what: &str,
    out: &mut Vec<Problem>,
) {
    if def.allow_regex_hosts || config.allow_any_service {
        return;
    }
    let HostProof::Unproven { example } = host_proof(pattern, matcher) else {
        return;
    };
    let accepts = match example {
        Some((url, host)) => {
            format!("would accept {url} (host {host}), so {what} could go to that host")
        }
        None => format!("does not spell its host literally, so {what} could go to other hosts"),
    };
    out.push(Problem::new(
        at.clone(),
        format!(
            "the regular expression {accepts}: match hosts by name with \
             {{ host = \"app.example.org\" or \"*.example.org\", path = '…' }}, spell the host \
             literally (https://app\\.example\\.org/…), or set allowRegexHosts = true on \
             this service"
        ),
    ));
}

fn pattern_path(at: Path, p: &Pattern) -> Path {
    match p {
        Pattern::Exact(_) => at.key("exact"),
        Pattern::Regex(_) => at.key("regex"),
        Pattern::Url(_) => at.key("host"),
    }
}

/// Compiles a pattern the way the registry does; an exact pattern must also be an http(s)
/// URL.
fn compile(p: &Pattern) -> Result<Matcher, String> {
    match p {
        Pattern::Exact(s) if http_url_scheme(s).is_none() => Err(format!(
            "{s:?} is not an absolute http(s) URL, so it can never match a service"
        )),
        _ => Matcher::compile(p).map_err(|e| e.to_string()),
    }
}

/// Whether a pattern is confined to loopback hosts.
fn loopback_only(reach: &Reach) -> bool {
    reach
        .hosts
        .as_ref()
        .is_some_and(|h| !h.is_empty() && h.iter().all(|h| is_loopback(h)))
}

/// `127.0.0.0/8`, `localhost`, `[::1]`.
pub fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "[::1]" {
        return true;
    }
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts.first() == Some(&"127")
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A non-default value of every field survives writing and reading back (so every key
    /// `Serialize` writes is one `config_table!` reads, under the same name), and a key
    /// nobody knows is refused with the known ones.
    #[test]
    fn config_tables_read_what_they_write() {
        use crate::cas::engine::CookieConfig;
        use crate::cas::http::{HstsConfig, TransportConfig};
        use crate::cas::policy::{ExpirationPolicies, SessionPolicy};
        fn round_trip<T>(value: T)
        where
            T: serde::Serialize
                + serde::de::DeserializeOwned
                + PartialEq
                + Default
                + core::fmt::Debug,
        {
            assert_ne!(value, T::default(), "every field changed");
            let json = serde_json::to_value(&value).unwrap();
            assert_eq!(
                serde_json::from_value::<T>(json.clone()).unwrap(),
                value,
                "{json}"
            );
            let mut unknown = json;
            unknown["noSuchKey"] = true.into();
            let e = serde_json::from_value::<T>(unknown)
                .unwrap_err()
                .to_string();
            assert!(e.contains("unknown field `noSuchKey`, expected"), "{e}");
        }
        let session = SessionPolicy {
            hard_seconds: 7,
            idle_seconds: 5,
        };
        round_trip(ExpirationPolicies {
            service_ticket_seconds: 11,
            proxy_ticket_seconds: 12,
            login_ticket_seconds: 13,
            ticket_granting: session,
            long_term: session,
            proxy_granting: session,
        });
        round_trip(CookieConfig {
            name: "TGC-x".into(),
            path: "/x".into(),
            secure: false,
            host_prefix: false,
        });
        let hsts = HstsConfig {
            enabled: false,
            max_age: 1,
            include_sub_domains: true,
        };
        round_trip(hsts.clone());
        round_trip(TransportConfig {
            https_redirect: false,
            hsts,
        });
    }

    #[test]
    fn loopback_names() {
        for h in ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "[::1]"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "127.0.0",
            "127.0.0.1.evil",
            "128.0.0.1",
            "localhost.evil",
            "[::2]",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn check_refuses_a_hash_above_the_worker_s_iteration_cap() {
        let mut config = SiteConfig::<()>::demo().unwrap();
        assert!(check(&config).is_empty());
        let (name, user) = config.users.iter_mut().next().unwrap();
        let name = name.clone();
        // 5 M iterations: seconds of Worker CPU per login, accepted before the cap.
        let at = user.password.find("$i=").unwrap();
        let rest = user.password[at + 3..]
            .split_once('$')
            .unwrap()
            .1
            .to_owned();
        user.password = format!("$pbkdf2-sha256$i=5000000${rest}");
        let problems = check(&config);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0].path,
            Path::keys(&["users"]).key(&name).key("password")
        );
        let message = problems[0].to_string();
        for part in ["5000000 iterations", "above the cap of 1000000", "CPU"] {
            assert!(message.contains(part), "{message}");
        }
    }

    #[test]
    fn check_refuses_a_logout_type_that_contradicts_single_logout_2_3_3() {
        let mut config = SiteConfig::<()>::demo().unwrap();
        let service = &mut config.engine.services[0];
        service.logout_type = Some(LogoutType::FrontChannel);
        assert!(
            check(&config).is_empty(),
            "a channel with the default singleLogout"
        );
        let service = &mut config.engine.services[0];
        service.single_logout = false;
        let problems = check(&config);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].path.to_string().ends_with("logoutType"),
            "{}",
            problems[0]
        );
        assert!(
            problems[0]
                .message
                .contains("contradicts singleLogout = false")
        );
        // "none" agrees with singleLogout = false.
        config.engine.services[0].logout_type = Some(LogoutType::None);
        assert!(check(&config).is_empty());
    }
}
