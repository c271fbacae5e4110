//! casplus as a Cloudflare Worker: the CAS engine ([`casplus::cas`]) behind `/cas/*`,
//! tickets in Workers KV and the [`guard::TicketGuard`] Durable Object, pages rendered on
//! the server. This crate only translates HTTP to engine calls and performs the engine's
//! effects; every protocol decision is the engine's.
//!
//! - [`routes`]: the router and one handler per endpoint.
//! - [`store`]: the engine's `Store` on KV + Durable Objects.
//! - [`guard`]: the Durable Object (single use, revocation, throttle counters).
//! - [`html`]: the login, warn, logout and error pages, with their CSP.
//! - [`outbound`]: the proxy callback and single-logout requests.
//! - [`config`]: the configuration (`CASPLUS_CONFIG`, or the development default).
//! - [`platform`]: clock and CSPRNG.
//! - [`faults`]: TEST ONLY fault injection (`CASPLUS_FAULTS`, loopback hosts only).
//! - [`aaa`]: the TACACS+ authentication source and accounting, through the gateway
//!   Worker (`worker/aaa`, a service binding).

#![forbid(unsafe_code)]

pub mod aaa;
pub mod config;
pub mod faults;
pub mod guard;
pub mod html;
pub mod outbound;
pub mod platform;
pub mod requrl;
pub mod routes;
pub mod store;

use worker::{Context, Env, Request, Response, Result, event};

/// The Worker's `fetch` handler.
#[event(fetch)]
pub async fn main(req: Request, env: Env, ctx: Context) -> Result<Response> {
    match routes::handle(req, env, ctx).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            worker::console_error!(
                "{}",
                serde_json::json!({ "event": "fault", "endpoint": "router", "error": e.to_string() })
            );
            let h = worker::Headers::new();
            h.set("Content-Type", "text/plain; charset=utf-8")?;
            h.set("Cache-Control", "no-store")?;
            Ok(Response::ok("internal error: nothing was issued")?
                .with_status(500)
                .with_headers(h))
        }
    }
}
