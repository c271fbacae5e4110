//! TEST ONLY: fault injection for the end-to-end fault tests (`tests/e2e/faults.test.mjs`).
//!
//! [`Faults`] make chosen operations of the [`crate::store::WorkerStore`] fail as if KV or
//! the Durable Object had failed (nothing is read or written), so the tests can prove that
//! a storage fault gives a clean 500 page or `INTERNAL_ERROR`, no ticket and nothing
//! half-written.
//!
//! It is off unless the variable [`FAULTS_VAR`] is set, and even then it is honoured only
//! for requests addressed to a loopback host (the core's one rule,
//! [`casplus::cas::config::is_loopback`]: `127.0.0.0/8`, `[::1]`, `localhost`), i.e.
//! under `wrangler dev`: a deployment answers from its own host name and can never have
//! faults injected. Never set [`FAULTS_VAR`] in a deployment.
//!
//! The value is a comma-separated list of faults, or `per-request`: then the list comes
//! from each request's [`FAULTS_HEADER`] header. A fault is `OP` or `OP:KIND`, with `OP`
//! one of `put`, `put_new`, `get`, `take`, `delete`, `throttle`, `update_throttle`, or
//! `kv` / `guard` (every operation on that backend, see [`crate::store::home`]), and
//! `KIND` a ticket prefix without its dash (`TGT`, `ST`, `PT`, `PGT`, `LT`), e.g.
//! `put:TGT` (the write of a TGT fails) or `take:ST` (the Durable Object take of a
//! service ticket fails).

use casplus::cas::config::is_loopback;
use casplus::cas::store::StoreError;
use casplus::cas::ticket::TicketKind;

use crate::store::{Home, home};

/// The variable that enables fault injection (test only, loopback hosts only).
pub const FAULTS_VAR: &str = "CASPLUS_FAULTS";
/// With `CASPLUS_FAULTS=per-request`, the request header naming the faults.
pub const FAULTS_HEADER: &str = "X-Casplus-Faults";

/// The faults for a request to `host` with the fault header `header`: none unless
/// [`FAULTS_VAR`] is set (never in a deployment).
pub fn for_request(env: &worker::Env, header: Option<&str>, host: &str) -> Faults {
    match env.var(FAULTS_VAR) {
        Ok(v) => Faults::from_settings(Some(&v.to_string()), header, host),
        Err(_) => Faults::none(),
    }
}

/// The faults of one request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults(Vec<String>);

impl Faults {
    /// No fault.
    pub fn none() -> Self {
        Self::default()
    }

    /// The faults for a request to `host`, from the variable's value and the header.
    pub fn from_settings(var: Option<&str>, header: Option<&str>, host: &str) -> Self {
        let loopback = is_loopback(host);
        let spec = match var {
            Some(_) if !loopback => None,
            Some("per-request") => header,
            other => other,
        };
        Self(
            spec.unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// Whether any fault is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `op` on a ticket of `kind` (`None`: a throttle counter, in the guard) fails.
    pub fn hits(&self, op: &str, kind: Option<TicketKind>) -> bool {
        let backend = match kind.map(home) {
            Some(Home::Kv) => "kv",
            Some(Home::Guard) | None => "guard",
        };
        let prefix = kind.map(|k| k.prefix().trim_end_matches('-'));
        self.0.iter().any(|f| {
            let (name, on) = match f.split_once(':') {
                Some((n, k)) => (n, Some(k)),
                None => (f.as_str(), None),
            };
            (name == op || name == backend) && (on.is_none() || on == prefix)
        })
    }

    /// `op` on a ticket of `kind` fails when [`Faults::hits`] says so (called first by
    /// every [`crate::store::WorkerStore`] operation).
    pub fn check(&self, op: &str, kind: Option<TicketKind>) -> Result<(), StoreError> {
        if self.hits(op, kind) {
            Err(StoreError::Unavailable(format!("injected fault: {op}")))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_apply_only_on_loopback_hosts() {
        let f = Faults::from_settings(Some("put:TGT"), None, "cas.example.org");
        assert!(f.is_empty());
        let f = Faults::from_settings(Some("put:TGT"), None, "127.0.0.1");
        assert!(f.hits("put", Some(TicketKind::TicketGranting)));
        assert!(!f.hits("put", Some(TicketKind::Service)));
        assert!(!f.hits("get", Some(TicketKind::TicketGranting)));
        assert!(Faults::from_settings(None, Some("kv"), "127.0.0.1").is_empty());
    }

    #[test]
    fn per_request_faults_come_from_the_header() {
        let f = Faults::from_settings(Some("per-request"), Some("kv, take:ST"), "localhost");
        // PGTs live in KV; a TGT lives in its session's guard object.
        assert!(f.hits("get", Some(TicketKind::ProxyGranting)));
        assert!(!f.hits("get", Some(TicketKind::TicketGranting)));
        assert!(f.hits("put", Some(TicketKind::ProxyGranting)));
        assert!(!f.hits("put", Some(TicketKind::Service)));
        assert!(f.hits("take", Some(TicketKind::Service)));
        assert!(!f.hits("take", Some(TicketKind::Proxy)));
        let g = Faults::from_settings(Some("per-request"), Some("guard"), "localhost");
        assert!(g.hits("throttle", None));
        assert!(g.hits("put", Some(TicketKind::Login)));
        assert!(g.hits("get", Some(TicketKind::TicketGranting)));
        assert!(!g.hits("get", Some(TicketKind::ProxyGranting)));
        assert!(Faults::from_settings(Some("per-request"), None, "localhost").is_empty());
        assert!(Faults::from_settings(Some("per-request"), Some("kv"), "example.org").is_empty());
    }
}
