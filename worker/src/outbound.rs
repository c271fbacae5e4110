//! Calls the engine asks for: the proxy callback (§2.5.4) and single-logout requests
//! (§2.3.3). Both are bounded in time ([`casplus::cas::http`]); neither follows redirects.

use std::time::Duration;

use casplus::cas::engine::ProxyCallback;
use casplus::cas::http::{LOGOUT_TIMEOUT, PROXY_CALLBACK_TIMEOUT};
use casplus::cas::web::LogoutNotice;
use futures_util::future::{Either, select};
use worker::wasm_bindgen::JsValue;
use worker::web_sys;
use worker::{AbortController, Delay, Fetch, Request};

/// A request built with web-sys directly: `worker::RequestInit`'s conversion carries its
/// whole `cf` option set (≈ 7 KB of wasm) for options casplus never sets. `content_type`
/// goes with `body`; redirects are never followed.
pub fn request(url: &str, method: &str, body: Option<(&str, &JsValue)>) -> Result<Request, String> {
    raw_request(url, method, body).map(Request::from)
}

/// [`request`] as the runtime's own `Request`, for a call made through web-sys.
pub fn raw_request(
    url: &str,
    method: &str,
    body: Option<(&str, &JsValue)>,
) -> Result<web_sys::Request, String> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    if let Some((content_type, body)) = body {
        let headers = web_sys::Headers::new().map_err(|e| format!("{e:?}"))?;
        headers
            .set("Content-Type", content_type)
            .map_err(|e| format!("{e:?}"))?;
        init.set_headers(&headers);
        init.set_body(body);
    }
    web_sys::Request::new_with_str_and_init(url, &init).map_err(|e| {
        e.as_string()
            .unwrap_or_else(|| format!("invalid request to {url}"))
    })
}

/// Sends `request` within `timeout`; the final HTTP status, or why there is none.
async fn send(request: Result<Request, String>, timeout: Duration) -> Result<u16, String> {
    let request = request?;
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
    let get = request(&callback.url, "GET", None);
    match send(get, PROXY_CALLBACK_TIMEOUT).await {
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
    let body = JsValue::from_str(&notice.form_body());
    let post = request(
        &notice.url,
        "POST",
        Some(("application/x-www-form-urlencoded", &body)),
    );
    match send(post, LOGOUT_TIMEOUT).await {
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

fn log_event(event: &str, url: &str, error: &str) {
    worker::console_warn!(
        "{}",
        crate::log::line(&[("event", event), ("url", url), ("error", error)])
    );
}
