//! The site configuration: the one file an operator writes — engine settings (services,
//! ticket lifetimes, throttling, cookie, single logout), the built-in users and, optionally,
//! the TACACS+ servers — checked as a whole and built into what serves.
//!
//! The document ([`SiteConfig`]) and the CAS checks live in [`crate::cas::config`]; the
//! `tacacs` section's checks and the `key_secret` rule in [`tacacs`]. This module joins
//! them, and is with the bridge ([`crate::aaa`]) the only place that knows both protocols:
//!
//! - [`check`]: every problem of a document (CAS, then TACACS+), each with its place;
//! - [`SiteConfig::build`] (and [`SiteConfig::build_with_secrets`], resolving `key_secret`
//!   names the way the Worker does) → a [`Site`];
//! - one rule for what counts as a loopback host ([`crate::cas::config::is_loopback`]:
//!   where plain http and the development configuration are allowed) and one for
//!   `key_secret` ([`resolve_key_secrets`]), which the adapters ask instead of re-deciding.

pub mod tacacs;

use core::fmt;

pub use tacacs::{KEY_SECRET, TACACS_TIMEOUT_MS, Tacacs, resolve_key_secrets};

use crate::cas::auth::UserStore;
use crate::cas::config::{Path, Problem};
use crate::cas::engine::Engine;
use crate::cas::throttle::Lowercase;
use crate::tacacs::login::{LoginConfig, RawLoginConfig};

/// The configuration file ([`crate::cas::config::SiteConfig`]) with its `tacacs` section
/// typed as the TACACS+ client's written configuration ([`RawLoginConfig`], `key_secret`
/// included): the whole document in one parse, JSON (`CASPLUS_CONFIG`) or TOML.
pub type SiteConfig = crate::cas::config::SiteConfig<RawLoginConfig>;

/// A checked configuration, ready to serve.
#[derive(Debug)]
pub struct Site {
    /// The CAS engine.
    pub engine: Engine,
    /// The built-in user store.
    pub users: UserStore,
    /// The TACACS+ login backend, when configured.
    pub tacacs: Option<Tacacs>,
}

/// Every problem of a configuration, in file order (empty: good to serve): the CAS part
/// ([`crate::cas::config::check`]), then the `tacacs` section.
pub fn check(config: &SiteConfig) -> Vec<Problem> {
    let mut out = crate::cas::config::check(config);
    if let Some(t) = &config.tacacs {
        tacacs::check(t, &mut out);
    }
    out
}

/// A Worker-style secret lookup that knows no secret.
fn no_secret(_: &str) -> Option<String> {
    None
}

impl SiteConfig {
    /// Every problem of this configuration ([`check`]).
    pub fn check(&self) -> Vec<Problem> {
        check(self)
    }

    /// Checks, then builds the engine, user store and TACACS+ backend.
    pub fn build(&self) -> Result<Site, Vec<Problem>> {
        self.build_with(str::to_lowercase)
    }

    /// [`SiteConfig::build`], with the runtime's own Unicode lower-case mapping for the
    /// engine ([`Engine::with_lowercase`]).
    pub fn build_with(&self, lowercase: Lowercase) -> Result<Site, Vec<Problem>> {
        self.build_with_secrets(lowercase, &no_secret)
    }

    /// [`SiteConfig::build_with`], resolving each `key_secret` of the `tacacs` section with
    /// `secret` ([`resolve_key_secrets`]; the Worker: its secrets). A secret that is not
    /// set is a problem, named without its value.
    pub fn build_with_secrets(
        &self,
        lowercase: Lowercase,
        secret: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Site, Vec<Problem>> {
        // Every problem at once, the file's and the missing secrets' alike.
        let mut problems = check(self);
        let section = self.tacacs.clone().map(|mut section| {
            for p in resolve_key_secrets(&mut section, secret) {
                // The check already says when a name is not a string.
                if !problems.contains(&p) {
                    problems.push(p);
                }
            }
            section
        });
        if !problems.is_empty() {
            return Err(problems);
        }
        let top = |e: &dyn fmt::Display| vec![Problem::new(Path::default(), e.to_string())];
        let tacacs = match section {
            None => None,
            Some(section) => {
                let json = serde_json::to_string(&section).map_err(|e| top(&e))?;
                let config = LoginConfig::from_raw(section).map_err(|e| top(&e))?;
                Some(Tacacs { config, json })
            }
        };
        // The session lifecycle is for TACACS+ accounting alone: without it the engine
        // builds none of its effects.
        let accounting = tacacs.as_ref().is_some_and(|t| t.config.accounting);
        let engine = Engine::with_lowercase(self.engine.clone(), lowercase)
            .map_err(|e| top(&e))?
            .with_session_effects(accounting);
        let users = UserStore::new(self.users.clone()).map_err(|e| top(&e))?;
        Ok(Site {
            engine,
            users,
            tacacs,
        })
    }
}

/// Parses, checks and builds a JSON configuration: what the Worker does with
/// `CASPLUS_CONFIG`.
pub fn load_json(json: &str) -> Result<Site, Vec<Problem>> {
    SiteConfig::from_json(json).map_err(|p| vec![p])?.build()
}
