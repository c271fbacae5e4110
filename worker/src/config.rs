//! The configuration: engine settings and built-in users as one JSON document, from the
//! `CASPLUS_CONFIG` variable or secret, or the embedded development configuration
//! ([`casplus::cas::demo`]) when none is set.
//!
//! ```json
//! { "engine": { "services": [ … ], "tickets": { … }, "cookie": { … }, … },
//!   "users":  { "casuser": { "password": "$pbkdf2-sha256$…", "attributes": { … } } } }
//! ```
//!
//! The document is [`SiteConfig`] (TOML for people, converted by `casplus config json`;
//! see `worker/casplus.example.toml`), parsed and checked by the core
//! ([`casplus::cas::config`]). A configuration that does not pass is never served half-way:
//! every `/cas` request answers with an error page naming the problems (and a log line).
//!
//! The development configuration has a public password and a cookie without `Secure`, so
//! it is served only to requests addressed to a loopback host (`127.0.0.1`, `[::1]`,
//! `localhost`); a deployment without `CASPLUS_CONFIG` refuses every other request.

use std::cell::RefCell;
use std::rc::Rc;

use casplus::cas::auth::UserStore;
use casplus::cas::config::{self, SiteConfig};
use casplus::cas::engine::Engine;
use worker::Env;

/// The name of the variable (or secret) holding the configuration JSON.
pub const CONFIG_VAR: &str = "CASPLUS_CONFIG";

/// A loaded configuration.
#[derive(Debug)]
pub struct Loaded {
    /// The CAS engine.
    pub engine: Engine,
    /// The built-in user store.
    pub users: UserStore,
    /// `true` for the embedded development configuration.
    pub demo: bool,
}

/// Why no configuration can serve a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigProblem {
    /// `CASPLUS_CONFIG` is set but does not load.
    Invalid(String),
    /// No `CASPLUS_CONFIG`, and the request is not for a loopback host.
    DemoOffLoopback,
}

impl core::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Invalid(e) => write!(f, "{CONFIG_VAR} is invalid: {e}"),
            Self::DemoOffLoopback => write!(
                f,
                "{CONFIG_VAR} is not set; the built-in development configuration is served \
                 only on 127.0.0.1/localhost"
            ),
        }
    }
}

/// Parses and checks a configuration document ([`casplus::cas::config::load_json`]):
/// every problem, with its place, in one message.
pub fn parse(json: &str) -> Result<Loaded, String> {
    site(config::load_json(json), false)
}

/// The embedded development configuration, checked like any other.
pub fn demo() -> Result<Loaded, String> {
    let site_config = SiteConfig::demo().map_err(|p| p.to_string())?;
    site(site_config.build(), true)
}

fn site(site: Result<config::Site, Vec<config::Problem>>, demo: bool) -> Result<Loaded, String> {
    let site = site.map_err(|problems| {
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    Ok(Loaded {
        engine: site.engine,
        users: site.users,
        demo,
    })
}

/// Whether `host` (as in a URL, IPv6 in brackets) is a loopback name.
pub fn is_loopback_host(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "[::1]" | "localhost")
}

type Cached = (Option<String>, Result<Rc<Loaded>, String>);

thread_local! {
    /// The configuration of this isolate, keyed by the raw variable it came from.
    static CACHE: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

fn raw_config(env: &Env) -> Option<String> {
    env.secret(CONFIG_VAR)
        .ok()
        .map(|s| s.to_string())
        .or_else(|| env.var(CONFIG_VAR).ok().map(|v| v.to_string()))
        .filter(|s| !s.trim().is_empty())
}

/// The configuration for a request to `host`, parsed once per isolate.
pub fn load(env: &Env, host: &str) -> Result<Rc<Loaded>, ConfigProblem> {
    let raw = raw_config(env);
    let loaded = CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some((key, loaded)) = &*c
            && *key == raw
        {
            return loaded.clone();
        }
        let loaded = match &raw {
            Some(json) => parse(json),
            None => demo(),
        }
        .map(Rc::new);
        if let Err(e) = &loaded {
            worker::console_error!(
                "{}",
                serde_json::json!({ "event": "config_invalid", "error": e })
            );
        }
        *c = Some((raw, loaded.clone()));
        loaded
    });
    match loaded {
        Err(e) => Err(ConfigProblem::Invalid(e)),
        Ok(l) if l.demo && !is_loopback_host(host) => Err(ConfigProblem::DemoOffLoopback),
        Ok(l) => Ok(l),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_loads() {
        let d = demo().expect("demo configuration");
        assert!(d.demo);
        assert!(d.engine.registry().find("http://127.0.0.1:9/x").is_some());
    }

    #[test]
    fn parse_rejects_unknown_fields_and_bad_regex() {
        assert!(parse(r#"{"engine":{},"users":{},"extra":1}"#).is_err());
        let bad = r#"{"engine":{"services":[{"id":1,"name":"x","service":{"regex":"("}}]}}"#;
        assert!(parse(bad).unwrap_err().contains("regular expression"));
        let bad_hash = r#"{"users":{"u":{"password":"plain"}}}"#;
        assert!(parse(bad_hash).is_err());
        let ok = parse(r#"{"engine":{"services":[]}}"#).expect("minimal");
        assert!(!ok.demo);
    }

    #[test]
    fn loopback_hosts() {
        for h in ["127.0.0.1", "[::1]", "localhost"] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["127.0.0.1.example", "example.org", "localhost.evil", ""] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
