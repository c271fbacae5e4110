//! The `tacacs` section of the site configuration: its checks, and the one rule for
//! `key_secret` (a server naming the secret that holds its key).

use core::fmt;

use crate::cas::config::{Path, Problem};
use crate::tacacs::login::{LoginConfig, RawLoginConfig};

/// Shortest and longest TACACS+ timeout accepted, milliseconds (a login waits for it).
pub const TACACS_TIMEOUT_MS: core::ops::RangeInclusive<u32> = 100..=30_000;

/// The name a server may give instead of its key: `"key_secret": NAME`, a secret the
/// adapter puts in place of `key` before serving (the Worker: a Worker secret).
pub const KEY_SECRET: &str = "key_secret";

/// What a `key_secret` stands for while checking a file (its value is not in the file).
const PLACEHOLDER: &str = "<secret>";

/// The loaded `tacacs` section: the TACACS+ client configuration, and the same section as
/// JSON with its secrets resolved ([`RawLoginConfig`] serialised), as the gateway receives it. `Debug` shows no key and no
/// JSON (it carries the keys in clear).
#[derive(Clone, PartialEq, Eq)]
pub struct Tacacs {
    /// The section, parsed and checked.
    pub config: LoginConfig,
    /// The same section as JSON, secrets resolved: for the gateway only, never for a log.
    pub json: String,
}

impl fmt::Debug for Tacacs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tacacs")
            .field("config", &self.config)
            .field(
                "json",
                &format_args!("<redacted, {} bytes>", self.json.len()),
            )
            .finish()
    }
}

/// The `key_secret` rule, for the checker and the adapter alike: each server's
/// `key_secret: NAME` is replaced by `key` with the value `secret(NAME)` gives. Problems
/// (at `tacacs.servers[i].key_secret`): an empty name, a server that also gives `key` or
/// `key_hex`, a secret that is not set. They name the secret, never its value. (A name
/// that is not a string is refused by the parser, with its line and column.)
pub fn resolve_key_secrets(
    section: &mut RawLoginConfig,
    secret: &dyn Fn(&str) -> Option<String>,
) -> Vec<Problem> {
    let mut out = Vec::new();
    let at = Path::keys(&["tacacs"]);
    for (i, server) in section.servers.iter_mut().enumerate() {
        let Some(name) = server.key_secret.take() else {
            continue;
        };
        let at = at.key("servers").index(i).key(KEY_SECRET);
        let key = if name.is_empty() {
            out.push(Problem::new(at.clone(), "the name of a secret (a string)"));
            PLACEHOLDER.into()
        } else {
            secret(&name).unwrap_or_else(|| {
                out.push(Problem::new(
                    at.clone(),
                    format!("the secret {name} is not set"),
                ));
                PLACEHOLDER.into()
            })
        };
        if server.key.is_some() || server.key_hex.is_some() {
            out.push(Problem::new(at, "give one of key / key_hex / key_secret"));
        }
        server.key = Some(key);
    }
    out
}

/// Every problem of the `tacacs` section (the servers well formed, RFC 8907 §4.5: a
/// non-empty shared secret unless TLS; a host, a non-zero port, an affordable timeout).
pub(super) fn check(section: &RawLoginConfig, out: &mut Vec<Problem>) {
    let at = Path::keys(&["tacacs"]);
    // A `key_secret` counts as a key here: its value is not in the file (the adapter
    // resolves it with the same rule, [`resolve_key_secrets`]).
    let mut section = section.clone();
    out.extend(resolve_key_secrets(&mut section, &|_| {
        Some(PLACEHOLDER.into())
    }));
    let config = match LoginConfig::from_raw(section) {
        Ok(c) => c,
        Err(e) => {
            out.push(Problem::new(at, e.to_string()));
            return;
        }
    };
    if let Some(w) = config.watchdog_seconds {
        if w == 0 {
            out.push(Problem::new(
                at.key("watchdog_seconds"),
                "0 s is no interval: leave watchdog_seconds out for no WATCHDOG records \
                 (RFC 8907 §7.2)",
            ));
        } else if !config.accounting {
            out.push(Problem::new(
                at.key("watchdog_seconds"),
                "WATCHDOG records are accounting records: set accounting = true",
            ));
        }
    }
    for (i, s) in config.servers.iter().enumerate() {
        let at = at.key("servers").index(i);
        let host_ok = !s.host.is_empty()
            && s.host.len() <= 253
            && s.host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
        if !host_ok {
            out.push(Problem::new(
                at.key("host"),
                format!(
                    "{:?} is not a host name or IP address (no scheme, port or path)",
                    s.host
                ),
            ));
        }
        if s.port == 0 {
            out.push(Problem::new(
                at.key("port"),
                "port 0 cannot be connected to",
            ));
        }
        if !s.tls && s.key.is_empty() {
            out.push(Problem::new(
                at.key("key"),
                "an empty shared secret leaves the bodies unobfuscated (RFC 8907 §4.5): set \
                 key or key_hex, or use tls = true",
            ));
        }
        if !TACACS_TIMEOUT_MS.contains(&s.timeout_ms) {
            out.push(Problem::new(
                at.key("timeout_ms"),
                format!(
                    "{} ms is outside {}..={} ms (a login waits for each reply)",
                    s.timeout_ms,
                    TACACS_TIMEOUT_MS.start(),
                    TACACS_TIMEOUT_MS.end()
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// The section as the site configuration's parser types it.
    fn raw(v: serde_json::Value) -> RawLoginConfig {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn watchdog_needs_an_interval_and_accounting_rfc8907_7_2() {
        let problems = |tacacs: serde_json::Value| {
            let mut out = Vec::new();
            check(&raw(tacacs), &mut out);
            out.into_iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect::<Vec<_>>()
        };
        let server = serde_json::json!([{ "host": "127.0.0.1", "key": "k" }]);
        assert!(
            problems(
                serde_json::json!({ "servers": server, "accounting": true, "watchdog_seconds": 600 })
            )
            .is_empty()
        );
        let zero = problems(
            serde_json::json!({ "servers": server, "accounting": true, "watchdog_seconds": 0 }),
        );
        assert!(
            zero.len() == 1 && zero[0].starts_with("tacacs.watchdog_seconds: 0 s"),
            "{zero:?}"
        );
        let no_acct = problems(serde_json::json!({ "servers": server, "watchdog_seconds": 60 }));
        assert!(
            no_acct.len() == 1 && no_acct[0].contains("accounting = true"),
            "{no_acct:?}"
        );
    }

    #[test]
    fn a_key_secret_counts_as_a_key_when_checking_rfc8907_4_5() {
        let check = |tacacs: serde_json::Value| {
            let mut out = Vec::new();
            check(&raw(tacacs), &mut out);
            out.into_iter()
                .map(|p| format!("{}: {}", p.path, p.message))
                .collect::<Vec<_>>()
        };
        let ok =
            serde_json::json!({ "servers": [{ "host": "127.0.0.1", "key_secret": "TACACS_KEY" }] });
        assert_eq!(check(ok), Vec::<String>::new());
        let both =
            serde_json::json!({ "servers": [{ "host": "h", "key": "k", "key_secret": "K" }] });
        assert_eq!(
            check(both),
            ["tacacs.servers[0].key_secret: give one of key / key_hex / key_secret"]
        );
        let empty = serde_json::json!({ "servers": [{ "host": "h", "key_secret": "" }] });
        assert_eq!(
            check(empty),
            ["tacacs.servers[0].key_secret: the name of a secret (a string)"]
        );
        // A name that is not a string is a type error of the document, with its place.
        let bad = serde_json::from_str::<RawLoginConfig>(
            r#"{ "servers": [{ "host": "h", "key_secret": 5 }] }"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            bad.contains("expected a string") && bad.contains("column"),
            "{bad}"
        );
    }

    #[test]
    fn key_secrets_resolve_with_one_rule() {
        let mut v = raw(serde_json::json!({ "servers": [
            { "host": "a", "key": "inline" },
            { "host": "b", "key_secret": "TACACS_KEY" }] }));
        let secrets = |n: &str| (n == "TACACS_KEY").then(|| "from-secret".to_owned());
        assert_eq!(resolve_key_secrets(&mut v, &secrets), vec![]);
        assert_eq!(v.servers[1].key.as_deref(), Some("from-secret"));
        assert!(v.servers[1].key_secret.is_none());
        assert_eq!(v.servers[0].key.as_deref(), Some("inline"));
        let mut v = raw(serde_json::json!({ "servers": [{ "host": "b", "key_secret": "GONE" }] }));
        let problems = resolve_key_secrets(&mut v, &secrets);
        assert_eq!(
            problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["tacacs.servers[0].key_secret: the secret GONE is not set"]
        );
    }

    #[test]
    fn debug_of_the_loaded_section_shows_no_secret() {
        let json = r#"{"servers":[{"host":"h","key":"sw0rdfish-key"}]}"#;
        let t = Tacacs {
            config: LoginConfig::from_json(json).unwrap(),
            json: json.into(),
        };
        let debug = format!("{t:?}");
        assert!(!debug.contains("sw0rdfish"), "{debug}");
        assert!(
            debug.contains("redacted") && debug.contains("\"h\""),
            "{debug}"
        );
    }
}
