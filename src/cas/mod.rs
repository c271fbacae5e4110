//! The CAS protocol 3.0 engine (Apereo CAS Protocol Specification), pure and sans-IO.
//!
//! Sections cited as "§x.y" refer to the CAS Protocol 3.0 Specification.
//!
//! - [`response`]: the response model the engine produces.
//! - [`xml`], [`json`], [`saml`]: renderers for the validation endpoints (XML, `format=JSON`,
//!   `/samlValidate`), the CAS 1.0 `/validate` body and the single-logout request; [`saml`]
//!   also parses `/samlValidate` requests.
//! - [`client`]: a parser for CAS validation responses (the npm package's client helper).

pub mod client;
pub mod json;
pub mod response;
pub mod saml;
pub mod xml;
