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
//! see `worker/casplus.example.toml`), parsed, checked and built by the core
//! ([`casplus::site`]). Its optional `tacacs` section is the TACACS+ authentication
//! source; a server there may name its shared secret by the Worker secret holding it,
//! `"key_secret": "TACACS_KEY"`, instead of `"key"` (the core's rule,
//! [`casplus::site::resolve_key_secrets`]; this module only looks the secrets up). A
//! configuration that does not pass is never served half-way: every `/cas` request answers
//! with an error page naming the problems (and a log line).
//!
//! The development configuration has a public password and a cookie without `Secure`, so
//! it is served only to requests addressed to a loopback host (the core's rule,
//! [`is_loopback`]); a deployment without `CASPLUS_CONFIG` refuses every other request.

use std::cell::RefCell;
use std::rc::Rc;

use casplus::cas::auth::UserStore;
use casplus::cas::config::{Problem, is_loopback};
use casplus::cas::engine::Engine;
use casplus::site::{Site, SiteConfig, Tacacs};
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
    /// The TACACS+ authentication source (through the gateway Worker), when configured.
    pub tacacs: Option<Tacacs>,
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

/// Parses and checks a configuration document ([`casplus::site`]), resolving the Worker
/// secrets it names with `secret`: every problem, with its place, in one message.
pub fn parse(json: &str, secret: &dyn Fn(&str) -> Option<String>) -> Result<Loaded, String> {
    let site_config = SiteConfig::from_json(json).map_err(|p| p.to_string())?;
    site(site_config.build_with_secrets(js_lowercase, secret), false)
}

/// The embedded development configuration, checked like any other.
pub fn demo() -> Result<Loaded, String> {
    let site_config = SiteConfig::demo().map_err(|p| p.to_string())?;
    site(site_config.build_with(js_lowercase), true)
}

/// The Unicode lower-case mapping of the JavaScript runtime (`String.prototype
/// .toLowerCase`, the same mapping as `str::to_lowercase`), so that the wasm carries no
/// Unicode case tables of its own ([`casplus::cas::throttle::Lowercase`]). Natively (unit
/// tests) `str::to_lowercase`.
fn js_lowercase(s: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        String::from(worker::js_sys::JsString::from(s).to_lower_case())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        s.to_lowercase()
    }
}

fn site(site: Result<Site, Vec<Problem>>, demo: bool) -> Result<Loaded, String> {
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
        tacacs: site.tacacs,
        demo,
    })
}

thread_local! {
    /// The configuration of this isolate. Variables and secrets cannot change during an
    /// isolate's life (changing one deploys a new version, served by new isolates), so
    /// the environment is read once: no copy of the whole document per request.
    static CACHE: RefCell<Option<Result<Rc<Loaded>, String>>> = const { RefCell::new(None) };
}

/// A secret (or, in local development, a plain variable) by name.
fn secret_or_var(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .ok()
        .map(|s| s.to_string())
        .or_else(|| env.var(name).ok().map(|v| v.to_string()))
}

fn raw_config(env: &Env) -> Option<String> {
    secret_or_var(env, CONFIG_VAR).filter(|s| !s.trim().is_empty())
}

/// The configuration for a request to `host`, parsed once per isolate.
pub fn load(env: &Env, host: &str) -> Result<Rc<Loaded>, ConfigProblem> {
    match load_any_host(env) {
        Err(e) => Err(ConfigProblem::Invalid(e)),
        Ok(l) if l.demo && !is_loopback(host) => Err(ConfigProblem::DemoOffLoopback),
        Ok(l) => Ok(l),
    }
}

/// The configuration, parsed once per isolate, whoever asks (a Durable Object's alarm has
/// no request host).
pub fn load_any_host(env: &Env) -> Result<Rc<Loaded>, String> {
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some(loaded) = &*c {
            return loaded.clone();
        }
        let loaded = match &raw_config(env) {
            Some(json) => parse(json, &|name| secret_or_var(env, name)),
            None => demo(),
        }
        .map(Rc::new);
        if let Err(e) = &loaded {
            worker::console_error!(
                "{}",
                crate::log::line(&[("event", "config_invalid"), ("error", e.as_str())])
            );
        }
        *c = Some(loaded.clone());
        loaded
    })
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
        assert!(parse(r#"{"engine":{},"users":{},"extra":1}"#, &no_secret).is_err());
        let bad = r#"{"engine":{"services":[{"id":1,"name":"x","service":{"regex":"("}}]}}"#;
        assert!(
            parse(bad, &no_secret)
                .unwrap_err()
                .contains("regular expression")
        );
        let bad_hash = r#"{"users":{"u":{"password":"plain"}}}"#;
        assert!(parse(bad_hash, &no_secret).is_err());
        let ok = parse(r#"{"engine":{"services":[]}}"#, &no_secret).expect("minimal");
        assert!(!ok.demo);
        assert!(ok.tacacs.is_none());
    }

    fn no_secret(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn tacacs_section_resolves_key_secret() {
        let doc = r#"{"tacacs":{"servers":[
            {"host":"127.0.0.1","port":1,"key":"inline"},
            {"host":"127.0.0.1","port":2,"key_secret":"TACACS_KEY","timeout_ms":700}],
            "authorization":{"service":"casplus"},"accounting":true}}"#;
        let secrets = |n: &str| (n == "TACACS_KEY").then(|| "from-secret".to_owned());
        let tacacs = parse(doc, &secrets).expect("loads").tacacs.expect("tacacs");
        let t = &tacacs.config;
        assert_eq!(t.servers.len(), 2);
        assert_eq!(
            t.servers[1].key,
            casplus::tacacs::obfuscate::Key::from_text("from-secret")
        );
        assert_eq!(t.servers[1].timeout_ms, 700);
        assert!(t.accounting);
        // The gateway gets the same section, with the secret resolved and no secret name.
        let sent = casplus::tacacs::login::LoginConfig::from_json(&tacacs.json).expect("json");
        assert_eq!(&sent, t);
        assert!(!tacacs.json.contains("key_secret"), "{}", tacacs.json);
        // A missing secret is named, its value never printed.
        let e = parse(doc, &no_secret).unwrap_err();
        assert!(e.contains("TACACS_KEY") && e.contains("not set"), "{e}");
        // key and key_secret together are refused.
        let both = r#"{"tacacs":{"servers":[{"host":"h","key":"a","key_secret":"TACACS_KEY"}]}}"#;
        assert!(parse(both, &secrets).unwrap_err().contains("key_secret"));
        // Unknown server fields are still refused by the core.
        let typo = r#"{"tacacs":{"servers":[{"host":"h","key":"a","tiemout_ms":1}]}}"#;
        assert!(parse(typo, &no_secret).is_err());
        let none = r#"{"tacacs":{"servers":[]}}"#;
        assert!(parse(none, &no_secret).is_err());
    }

    #[test]
    fn the_demo_is_served_on_the_cores_loopback_hosts_only() {
        for h in ["127.0.0.1", "[::1]", "localhost"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["127.0.0.1.example", "example.org", "localhost.evil", ""] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
