//! casplus — single sign-on (CAS 1.0/2.0/3.0) and network AAA (TACACS+, RFC 8907) at the edge.
//!
//! This crate is the pure, sans-IO core shared by the Cloudflare Worker (`worker/`), the
//! browser packet inspector (`www/`) and the npm package. Nothing in here reads a clock,
//! draws randomness, opens a socket or touches storage: time and entropy are arguments,
//! storage is a trait, and outputs are values or effects that an adapter performs.
//!
//! - [`codec`]: a byte reader that cannot over-index, with byte spans and typed errors.
//! - [`tacacs`]: the TACACS+ protocol (RFC 8907): header, bodies, obfuscation, sessions.
//! - [`capture`]: captures in every form (pcap, pcapng, tcpdump/Wireshark text, hex, base64):
//!   TCP reassembly and TACACS+ PDUs with their place in the capture.
//! - [`cas`]: the CAS protocol 3.0 engine: tickets, services, validation responses.
//! - [`aaa`]: the bridge — CAS logins authenticated, authorized and accounted through
//!   TACACS+; the only module that knows both protocols.
//! - [`site`]: the site configuration as a whole (CAS engine, users, TACACS+ section).
//! - [`password`]: password hashing (PBKDF2) shared by the CAS user store and the TACACS+
//!   server.
//! - [`url`]: the one URL parser (hosts read as browsers read them).
//! - `wasm` (features `wasm`, `wasm-tacacs`, `wasm-encode`, `wasm-cas`, `inspector`): the
//!   wasm-bindgen exports of the npm package `casplus` and (`wasm::inspect`) of the inspector page.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aaa;
pub mod capture;
pub mod cas;
pub mod codec;
pub mod password;
pub mod site;
pub mod tacacs;
pub mod time;
pub mod url;
#[cfg(feature = "wasm-bindings")]
pub mod wasm;
