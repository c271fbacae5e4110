//! Calls the engine asks for: the proxy callback (§2.5.4) and single-logout requests
//! (§2.3.3). Both are bounded in time; neither follows redirects.

use std::time::Duration;

use casplus::cas::engine::ProxyCallback;
use casplus::cas::web::{Effect, LogoutNotice};
use futures_util::future::{Either, select};
use worker::wasm_bindgen::JsValue;
use worker::{
    AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
};

/// Time allowed for the proxy callback (the service is waiting on its validation).
pub const PROXY_CALLBACK_TIMEOUT: Duration = Duration::from_secs(5);
/// Time allowed for each single-logout POST.
pub const LOGOUT_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends `init` to `url` within `timeout`; the final HTTP status, or why there is none.
async fn send(url: &str, init: &mut RequestInit, timeout: Duration) -> Result<u16, String> {
    init.with_redirect(RequestRedirect::Manual);
    let request = Request::new_with_init(url, init).map_err(|e| e.to_string())?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let call = std::pin::pin!(fetch.send_with_signal(&signal));
    match select(call, Delay::from(timeout)).await {
        Either::Left((Ok(resp), _)) => Ok(resp.status_code()),
        Either::Left((Err(e), _)) => Err(e.to_string()),
        Either::Right(((), _)) => {
            controller.abort();
            Err(format!("no answer within {} ms", timeout.as_millis()))
        }
    }
}

/// Performs the proxy callback: an HTTPS GET of the callback URL (certificate verified by
/// the runtime), redirects not followed. Returns the status for
/// [`Engine::proxy_callback_result`](casplus::cas::engine::Engine::proxy_callback_result),
/// `None` when the call failed. Only the `pgtUrl` is logged, never the URL with the PGT.
pub async fn proxy_callback(callback: &ProxyCallback) -> Option<u16> {
    let mut init = RequestInit::new();
    init.with_method(Method::Get);
    match send(&callback.url, &mut init, PROXY_CALLBACK_TIMEOUT).await {
        Ok(status) => {
            if status != 200 {
                log_event(
                    "proxy_callback_refused",
                    &callback.pgt_url,
                    &format!("HTTP {status}"),
                );
            }
            Some(status)
        }
        Err(e) => {
            log_event("proxy_callback_failed", &callback.pgt_url, &e);
            None
        }
    }
}

/// POSTs one single-logout request; failures are logged and otherwise ignored
/// (§2.3.3.1: "fire and forget"). Returns the answer's status (`None`: no answer).
pub async fn single_logout(notice: &LogoutNotice) -> Option<u16> {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/x-www-form-urlencoded");
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(&notice.form_body())));
    match send(&notice.url, &mut init, LOGOUT_TIMEOUT).await {
        Ok(status) if (200..300).contains(&status) => Some(status),
        Ok(status) => {
            log_event(
                "single_logout_refused",
                &notice.url,
                &format!("HTTP {status}"),
            );
            Some(status)
        }
        Err(e) => {
            log_event("single_logout_failed", &notice.url, &e);
            None
        }
    }
}

/// Performs every effect, one after the other (run it under `wait_until`).
pub async fn perform(effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::SingleLogout(notice) => {
                single_logout(&notice).await;
            }
            other => worker::console_error!("unhandled engine effect: {other:?}"),
        }
    }
}

fn log_event(event: &str, url: &str, error: &str) {
    worker::console_warn!(
        "{}",
        serde_json::json!({ "event": event, "url": url, "error": error })
    );
}
