//! The CAS protocol 3.0 engine (Apereo CAS Protocol Specification), pure and sans-IO.
//!
//! Sections cited as "§x.y" refer to the CAS Protocol 3.0 Specification.

pub mod client;
pub mod json;
pub mod response;
pub mod saml;
pub mod xml;
