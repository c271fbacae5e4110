//! The CAS protocol 3.0 engine (Apereo CAS Protocol Specification), pure and sans-IO.
//!
//! Sections cited as "§x.y" refer to the CAS Protocol 3.0 Specification.
//!
//! - [`engine`]: every CAS endpoint as an operation returning a reply and effects.
//! - [`web`]: `/login` and `/logout` input, view models and HTTP-level intent.
//! - [`ticket`], [`policy`]: tickets (ids, records, lineage) and their expiration policies.
//! - [`store`]: the storage trait the adapter implements, and an in-memory store.
//! - [`registry`]: registered services; [`service`]: how service URLs are matched (host by
//!   name, the rest by pattern) and what a configuration check can prove about a pattern.
//! - [`auth`], [`throttle`]: sans-IO authentication (built-in PBKDF2 user store) and
//!   login throttling.
//! - [`params`]: query/form parsing and redirect URL building.
//! - [`http`]: the HTTP surface: routes, the methods each serves, body and outbound limits.
//! - [`config`]: the site configuration file (engine, users, TACACS+) and its checks.
//! - [`demo`]: the development configuration (`make dev`).
//! - [`response`]: the response model the engine produces.
//! - [`xml`], [`json`], [`saml`]: renderers for the validation endpoints (XML, `format=JSON`,
//!   `/samlValidate`), the CAS 1.0 `/validate` body and the single-logout request; [`saml`]
//!   also parses `/samlValidate` requests.
//! - [`audit`]: the audit trail's events (logins, tickets, logouts), as values.
//! - [`client`]: the client half of CAS: a parser for validation responses, URLs, assertion
//!   checks, proxy chains, the PGT receptor and single-logout requests (`casplus/client`).

pub mod audit;
pub mod auth;
pub mod client;
pub mod config;
pub mod demo;
pub mod engine;
pub mod http;
pub mod json;
pub mod params;
pub mod policy;
pub mod registry;
pub mod response;
pub mod saml;
pub mod service;
pub mod store;
pub mod stored;
pub mod throttle;
pub mod ticket;
pub mod web;
pub mod xml;
