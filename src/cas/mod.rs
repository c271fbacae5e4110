//! The CAS protocol 3.0 engine (Apereo CAS Protocol Specification), pure and sans-IO.
//!
//! Sections cited as "§x.y" refer to the CAS Protocol 3.0 Specification.

pub mod auth;
pub mod engine;
pub mod params;
pub mod policy;
pub mod registry;
pub mod response;
pub mod store;
pub mod throttle;
pub mod ticket;
pub mod web;
