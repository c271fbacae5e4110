//! The TACACS+ authentication source (RFC 8907), through the gateway Worker
//! (`worker/aaa/`, service binding [`BINDING`]): this Worker never opens a socket. The
//! messages are the core bridge's [`casplus::aaa::gateway`]; the gateway drives the core's
//! TACACS+ client and the bridge maps its outcome to an [`AuthResult`].
//!
//! - A login whose authentication source is [`SOURCE`] (per service:
//!   `authenticationSource`, or for every login: `engine.defaultSource`) is checked with
//!   [`authenticate`]: PASS → the authorized AV pairs become the CAS attributes; FAIL → the
//!   login form with "incorrect"; no trustworthy answer (from the servers, or from the
//!   gateway itself within [`budget_ms`]) → "authentication service unavailable", never a
//!   login.
//! - Accounting: the engine's session lifecycle effects go to the gateway ([`account`]),
//!   under `ctx.wait_until` (or from the Durable Object's alarm), when the core says any is
//!   due ([`accounting_due`]); the core decides which records they call for. A failure is
//!   logged, never shown.

use std::time::Duration;

use casplus::aaa::accounting_due;
use casplus::aaa::gateway::{GatewayRequest, PATH, account_budget_ms, budget_ms};
use casplus::cas::auth::{AuthFailure, AuthRequest, AuthResult};
use casplus::cas::web::Effect;
use casplus::site::Tacacs;
use futures_util::future::{Either, select};
use worker::wasm_bindgen::JsValue;
use worker::{Delay, Env};

/// The authentication source name served by the gateway (the core's one name).
pub use casplus::cas::config::TACACS_SOURCE as SOURCE;

/// The service binding of the gateway Worker (`wrangler.toml` `[[services]]`).
pub const BINDING: &str = "AAA";

/// Sends `request` to the gateway; its status and body, or why there is none.
async fn call(
    env: &Env,
    request: &GatewayRequest,
    timeout_ms: u64,
) -> Result<(u16, String), String> {
    let body = request
        .to_json()
        .ok_or_else(|| "the request cannot be sent".to_owned())?;
    let fetcher = env
        .service(BINDING)
        .map_err(|e| format!("service binding {BINDING}: {e}"))?;
    let body = JsValue::from_str(&body);
    let url = format!("https://casplus-aaa{PATH}");
    let http = crate::outbound::request(&url, "POST", Some(("application/json", &body)))?;
    let exchange = std::pin::pin!(async move {
        let mut resp = fetcher.fetch_request(http).await?;
        let text = resp.text().await?;
        Ok::<_, worker::Error>((resp.status_code(), text))
    });
    match select(exchange, Delay::from(Duration::from_millis(timeout_ms))).await {
        Either::Left((Ok(answer), _)) => Ok(answer),
        Either::Left((Err(e), _)) => Err(format!("gateway: {e}")),
        Either::Right(((), _)) => Err(format!("gateway: no answer within {timeout_ms} ms")),
    }
}

fn log(event: &str, request_id: &str, user: &str, reason: &str) {
    worker::console_error!(
        "{}",
        crate::log::line(&[
            ("event", event),
            ("request_id", request_id),
            ("user", user),
            ("reason", reason),
        ])
    );
}

/// Checks `request` against the configured TACACS+ servers, through the gateway.
/// `rem_addr`: the browser's address (§5.1).
pub async fn authenticate(
    env: &Env,
    tacacs: &Tacacs,
    request: &AuthRequest,
    rem_addr: Option<&str>,
    request_id: &str,
) -> AuthResult {
    let call_request = GatewayRequest::authenticate(&tacacs.json, request_id, request, rem_addr);
    let user = request.username.as_str();
    let reason = match call(env, &call_request, budget_ms(&tacacs.config)).await {
        Ok((200, body)) => match serde_json::from_str::<AuthResult>(&body) {
            Ok(result) => return result,
            Err(e) => format!("gateway: unreadable reply: {e}"),
        },
        Ok((status, body)) => format!("gateway: HTTP {status}: {}", body.trim()),
        Err(e) => e,
    };
    log("tacacs_unavailable", request_id, user, &reason);
    AuthResult::Rejected(AuthFailure::Unavailable)
}

/// Hands the session lifecycle effects to the gateway for accounting (nothing when
/// accounting is off). Run it under `wait_until`; failures are logged.
pub async fn account(env: &Env, tacacs: &Tacacs, request_id: &str, effects: Vec<Effect>) {
    if !accounting_due(&tacacs.config, &effects) {
        return;
    }
    let timeout = account_budget_ms(&tacacs.config, effects.len());
    let call_request = GatewayRequest::Account {
        tacacs: tacacs.json.clone(),
        request_id: request_id.to_owned(),
        effects,
    };
    match call(env, &call_request, timeout).await {
        Ok((204, _)) => {}
        Ok((status, body)) => log(
            "tacacs_acct_failed",
            request_id,
            "",
            &format!("gateway: HTTP {status}: {}", body.trim()),
        ),
        Err(e) => log("tacacs_acct_failed", request_id, "", &e),
    }
}
