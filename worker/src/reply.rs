//! HTTP responses: an engine reply rendered ([`Rendered`], [`render`]), the security
//! headers every `/cas` response carries, and the Worker's own pages (404, 405, 413, 500,
//! 503).

use casplus::cas::web::{Effect, Response as WebResponse, WebReply};
use serde::{Deserialize, Serialize};
use worker::Result;
use worker::web_sys::{Headers, Response, ResponseInit};

use crate::config::ConfigProblem;
use crate::html::{self, Page};
use crate::log;

/// Security headers on every `/cas` response. `Referrer-Policy: same-origin`: no other
/// origin ever gets a referrer from a CAS page, and the login form's own POST keeps its
/// `Origin` (under `no-referrer` a browser sends `Origin: null` with every form POST —
/// Fetch, "append a request `Origin` header" — and the login CSRF check refuses a POST
/// whose `Origin` is not the server's own: docs/security.md).
const COMMON_HEADERS: [(&str, &str); 3] = [
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
];

/// A response rendered from an engine reply, with the effects still to perform (by the
/// Worker, after responding: [`crate::effects`]). What a session object answers to a
/// [`crate::session::SessionRequest`].
#[derive(Debug, Serialize, Deserialize)]
pub struct Rendered {
    /// HTTP status.
    pub status: u16,
    /// Headers (the common security headers are added by [`respond`]).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
    /// The engine's effects (single logout, session lifecycle).
    pub effects: Vec<Effect>,
}

/// Renders the engine's reply from `endpoint` (logging its fault, if any).
pub fn render(endpoint: &str, reply: WebReply, request_id: &str) -> Rendered {
    if let Some(fault) = &reply.fault {
        log::fault(request_id, endpoint, &format!("{fault:?}"));
    }
    let status = reply.status();
    let mut headers: Vec<(String, String)> = reply
        .headers()
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    let body = match &reply.response {
        WebResponse::Page { view, .. } => {
            let p = html::render(view);
            headers.push(("Content-Type".into(), "text/html; charset=utf-8".into()));
            headers.push(("Content-Security-Policy".into(), p.csp));
            p.body
        }
        WebResponse::Redirect { .. } | WebResponse::TicketHeaders { .. } => {
            headers.push(("Content-Security-Policy".into(), html::csp(&[], None)));
            String::new()
        }
    };
    Rendered {
        status,
        headers,
        body,
        effects: reply.effects,
    }
}

/// A response with `status`, the common security headers, `headers` and `body`: the
/// runtime's `Response`, made in one constructor call with its `Headers` filled once (no
/// copy of the body into a `Uint8Array`). Every response with a body names its
/// `Content-Type` (the runtime would add `text/plain` to a text body without one).
pub fn respond<N: AsRef<str>>(
    status: u16,
    headers: &[(N, String)],
    body: String,
) -> Result<Response> {
    let h = Headers::new()?;
    for (name, value) in COMMON_HEADERS {
        h.set(name, value)?;
    }
    for (name, value) in headers {
        h.append(name.as_ref(), value)?;
    }
    let init = ResponseInit::new();
    init.set_status(status);
    init.set_headers_headers(&h);
    let body = Some(body.as_str()).filter(|b| !b.is_empty());
    Ok(Response::new_with_opt_str_and_init(body, &init)?)
}

/// A page of the Worker's own, never cached.
pub fn page(status: u16, p: &Page, extra: &[(&str, String)]) -> Result<Response> {
    let mut headers = vec![
        ("Content-Type", "text/html; charset=utf-8".to_owned()),
        ("Content-Security-Policy", p.csp.clone()),
        ("Cache-Control", "no-store".to_owned()),
    ];
    headers.extend(extra.iter().cloned());
    respond(status, &headers, p.body.clone())
}

/// A redirect to `location`, never cached.
pub fn redirect(status: u16, location: &str) -> Result<Response> {
    respond(
        status,
        &[
            ("Location", location.to_owned()),
            ("Cache-Control", "no-store".to_owned()),
        ],
        String::new(),
    )
}

/// 413: the body is over [`casplus::cas::http::MAX_BODY`].
pub fn too_large() -> Result<Response> {
    page(
        413,
        &html::simple("Request too large", "The request body is too large."),
        &[],
    )
}

/// 500: a fault, nothing was issued (the fault is already logged).
pub fn internal_error() -> Result<Response> {
    page(500, &html::internal_error(), &[])
}

/// 503: no usable configuration. The problem goes to the log (it may name users, TACACS+
/// hosts, secrets); the page shows only the request id of that log line.
pub fn config_error(problem: &ConfigProblem, request_id: &str) -> Result<Response> {
    worker::console_error!(
        "{}",
        crate::log::line(&[
            ("event", "config_error"),
            ("error", &problem.to_string()),
            ("request_id", request_id),
        ])
    );
    page(503, &html::config_error(request_id), &[])
}
