//! casplus-aaa: the TACACS+ gateway Worker. The CAS Worker (`worker/`) reaches it through a
//! service binding (`AAA` in `wrangler.toml`) for logins whose authentication source is
//! `tacacs` and for accounting; it has no route of its own (`workers_dev = false`) and
//! refuses any request that came from the Internet. The messages are
//! [`casplus::aaa::gateway`]; [`tacacs`] drives the core's TACACS+ client over sockets for
//! the bridge ([`casplus::aaa`]).
//!
//! TACACS+ lives in its own Worker so that its code (codec, login state machine, sockets)
//! is not part of the CAS Worker's cold start: deployments without TACACS+ never load it,
//! and those with it load it only for TACACS+ logins and accounting (docs/tacacs.md "TACACS+
//! gateway").

#![forbid(unsafe_code)]

/// The allocator: Talc, made for WebAssembly — smaller than Rust's default (dlmalloc) by
/// ≈ 3 KB gzip in the CAS Worker, and faster (bench/RESULTS.md "Worker").
#[cfg(target_family = "wasm")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

pub mod tacacs;

use std::cell::RefCell;
use std::rc::Rc;

use casplus::aaa::gateway::{GatewayRequest, PATH};
use casplus::tacacs::login::LoginConfig;
use casplus::time::Timestamp;
use worker::{Context, Env, Method, Request, Response, Result, event};

/// `Date.now()` as a [`Timestamp`].
pub fn now() -> Timestamp {
    // `Date.now()` is an integral number of milliseconds that fits an `i64` exactly.
    #[allow(clippy::cast_possible_truncation)]
    Timestamp(worker::Date::now().as_millis() as i64)
}

thread_local! {
    /// The last configuration section parsed, keyed by its JSON text.
    static CONFIG: RefCell<Option<(String, Rc<LoginConfig>)>> = const { RefCell::new(None) };
}

/// The `tacacs` configuration section `json`, parsed once per isolate and text.
fn config(json: &str) -> std::result::Result<Rc<LoginConfig>, String> {
    CONFIG.with(|c| {
        let mut c = c.borrow_mut();
        if let Some((text, config)) = &*c
            && text == json
        {
            return Ok(Rc::clone(config));
        }
        let config = Rc::new(LoginConfig::from_json(json).map_err(|e| e.to_string())?);
        *c = Some((json.to_owned(), Rc::clone(&config)));
        Ok(config)
    })
}

/// The path of a request URL (`https://host/path?query` → `/path`).
fn path_of(url: &str) -> &str {
    casplus::url::Url::parse(url)
        .ok()
        .map(|u| u.path())
        .filter(|p| !p.is_empty())
        .unwrap_or("/")
}

fn plain(status: u16, text: &str) -> Result<Response> {
    Ok(Response::ok(text)?.with_status(status))
}

/// The gateway's `fetch` handler: one [`GatewayRequest`] per POST to [`PATH`].
#[event(fetch)]
pub async fn main(mut req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    // Cloudflare sets CF-Connecting-IP on every request from the Internet (clients cannot
    // forge it); a service binding call from the CAS Worker has none. Without this, a
    // gateway deployed with a public route would be a password-guessing oracle.
    if req.headers().get("CF-Connecting-IP")?.is_some() {
        return plain(403, "the TACACS+ gateway answers its service binding only");
    }
    if path_of(&req.inner().url()) != PATH {
        return plain(404, "not found");
    }
    if req.method() != Method::Post {
        return plain(405, "POST only");
    }
    let body = req.bytes().await?;
    let request = match GatewayRequest::from_json(&body) {
        Ok(r) => r,
        Err(e) => return plain(400, &format!("bad gateway request: {e}")),
    };
    let config = match config(request.tacacs()) {
        Ok(c) => c,
        Err(e) => {
            worker::console_error!(
                "{}",
                serde_json::json!({ "event": "tacacs_config_invalid", "error": e,
                    "request_id": request.request_id() })
            );
            return plain(400, &format!("bad tacacs configuration: {e}"));
        }
    };
    if let Some((login, rem_addr)) = request.login() {
        let result = tacacs::authenticate(&config, &login, rem_addr, request.request_id()).await;
        return Response::from_json(&result);
    }
    if let GatewayRequest::Account {
        request_id,
        effects,
        ..
    } = &request
    {
        tacacs::account(&config, request_id, effects).await;
    }
    Ok(Response::empty()?.with_status(204))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(path_of("https://casplus-aaa/aaa"), "/aaa");
        assert_eq!(path_of("http://x/aaa?y=1"), "/aaa");
        assert_eq!(path_of("http://x"), "/");
        assert_eq!(path_of("http://x/aaa/more#f"), "/aaa/more");
    }
}
