//! casplus as a Cloudflare Worker: the CAS engine ([`casplus::cas`]) behind `/cas/*`,
//! tickets in Workers KV and the [`guard::TicketGuard`] Durable Object, pages rendered on
//! the server. This crate only translates HTTP to engine calls and performs the engine's
//! effects; every protocol decision is the engine's.
//!
//! - [`routes`]: the router and one handler per endpoint (the table of endpoints and
//!   methods is the core's, [`casplus::cas::http`]).
//! - [`session`]: the session hand-off: a request of an SSO session runs in its object.
//! - [`effects`]: the engine's effects (single logout, accounting), in one place.
//! - [`reply`]: responses, the engine's replies rendered, the Worker's own pages.
//! - [`log`]: audit and fault lines with the request id.
//! - [`body`]: request bodies, read as they stream in, never past a cap.
//! - [`store`]: the engine's `Store` on KV + Durable Objects.
//! - [`guard`]: the Durable Object's rows (single use, revocation, throttle counters);
//!   [`object`]: its entry points (`fetch`, `alarm`).
//! - [`html`]: the login, warn, logout and error pages, with their CSP.
//! - [`outbound`]: the proxy callback and single-logout requests.
//! - [`config`]: the configuration (`CASPLUS_CONFIG`, or the development default).
//! - [`platform`]: clock and CSPRNG.
//! - [`faults`]: TEST ONLY fault injection (`CASPLUS_FAULTS`, loopback hosts only).
//! - [`aaa`]: the TACACS+ authentication source and accounting, through the gateway
//!   Worker (`worker/aaa`, a service binding).
//!
//! Imports go one way: `routes` → `session` → `store` → `guard`; `faults` → `store`;
//! `object` → `session`, `effects`; nothing imports `routes` or `object`.

#![forbid(unsafe_code)]

/// The allocator: Talc, made for WebAssembly — smaller than Rust's default (dlmalloc) by
/// ≈ 3 KB gzip in the CAS Worker, and faster (bench/RESULTS.md "Worker").
#[cfg(target_family = "wasm")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub mod aaa;
pub mod body;
pub mod config;
pub mod effects;
pub mod faults;
pub mod guard;
pub mod html;
pub mod log;
pub mod object;
pub mod outbound;
pub mod platform;
pub mod reply;
pub mod requrl;
pub mod routes;
pub mod session;
pub mod store;

use worker::web_sys::{Request, Response};
use worker::{Context, Env, Result, event};

/// The Worker's `fetch` handler. It takes the runtime's own `Request` and answers its own
/// `Response`: workers-rs's `Request` would read the request's `cf` object (parsed anew
/// on each access) and its `Response` would copy the body once more (bench/RESULTS.md,
/// "Where the time goes (issue 16)").
#[event(fetch)]
pub async fn main(req: Request, env: Env, ctx: Context) -> Result<Response> {
    match routes::handle(req, env, ctx).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            worker::console_error!(
                "{}",
                log::line(&[
                    ("event", "fault"),
                    ("endpoint", "router"),
                    ("error", &e.to_string())
                ])
            );
            reply::respond(
                500,
                &[
                    ("Content-Type", "text/plain; charset=utf-8".to_owned()),
                    ("Cache-Control", "no-store".to_owned()),
                ],
                "internal error: nothing was issued".to_owned(),
            )
        }
    }
}
