//! The `/cas` router and one small handler per endpoint: each turns the HTTP request into
//! an engine call, performs what the engine asks for (credential check, proxy callback,
//! single logout) and turns the engine's reply into an HTTP response. No protocol
//! decision is made here.

use std::rc::Rc;

use casplus::cas::audit::{self, AuditEvent};
use casplus::cas::auth::{AuthFailure, AuthResult};
use casplus::cas::engine::{Endpoint, LoginStep, SamlValidateRequest, ValidationStep};
use casplus::cas::web::{self, Effect, HttpRequest, Response as WebResponse, WebReply};
use casplus::time::Timestamp;
use serde::{Deserialize, Serialize};
use worker::{Context, Env, Headers, Method, Request, Response, Result};

use crate::aaa;
use crate::config::{self, ConfigProblem, Loaded};
use crate::faults::{FAULTS_HEADER, FAULTS_VAR, Faults, FaultyStore};
use crate::guard::TicketGuard;
use crate::html::{self, PREFIX, Page};
use crate::outbound;
use crate::platform::{self, Csprng};
use crate::requrl::RequestUrl;
use crate::store::{WorkerStore, guard_name};

/// Largest request body read (a login form or a SAML request is far smaller; the engine
/// itself refuses parameter input over 16 KiB).
pub const MAX_BODY: usize = 64 * 1024;

/// Security headers on every `/cas` response.
const COMMON_HEADERS: [(&str, &str); 3] = [
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
];

/// The endpoint a path below `/cas` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `/cas` or `/cas/`: to the login page.
    Root,
    /// `/login` (§2.1, §2.2).
    Login,
    /// `/logout` (§2.3).
    Logout,
    /// `/validate`, `/serviceValidate`, `/proxyValidate`, `/p3/…` (§2.4–§2.9).
    Validate(Endpoint),
    /// `/proxy` (§2.7).
    Proxy,
    /// `/samlValidate` (§4.2).
    SamlValidate,
}

impl Route {
    /// Routes a request path; `None` outside `/cas` or for an unknown endpoint.
    pub fn from_path(path: &str) -> Option<Self> {
        let rest = path.strip_prefix(PREFIX)?;
        Some(match rest {
            "" | "/" => Self::Root,
            "/login" => Self::Login,
            "/logout" => Self::Logout,
            "/proxy" => Self::Proxy,
            "/samlValidate" => Self::SamlValidate,
            other => {
                // `Endpoint::from_path` forgives extra leading slashes; routes do not.
                let name = other.strip_prefix('/').filter(|n| !n.starts_with('/'))?;
                Self::Validate(Endpoint::from_path(name)?)
            }
        })
    }

    /// Whether the route accepts `method` (`None`: any, the engine judges).
    fn allows(self, method: &Method) -> bool {
        match self {
            Self::Login | Self::Logout => {
                matches!(method, Method::Get | Method::Head | Method::Post)
            }
            Self::Root | Self::Validate(_) | Self::Proxy => {
                matches!(method, Method::Get | Method::Head)
            }
            Self::SamlValidate => true,
        }
    }

    fn allow_header(self) -> &'static str {
        match self {
            Self::Login | Self::Logout => "GET, HEAD, POST",
            Self::SamlValidate => "POST",
            _ => "GET, HEAD",
        }
    }
}

/// Everything a handler needs for one request.
struct Cas {
    env: Env,
    loaded: Rc<Loaded>,
    store: FaultyStore<'static>,
    /// The test-only fault header as sent (crate::faults), for a request handed to a session object.
    faults_header: Option<String>,
    rng: Csprng,
    now: Timestamp,
    req: Incoming,
    host: String,
    /// Stamped on every audit line: `cf-ray`, or a random id where there is none.
    request_id: String,
}

/// The parts of the HTTP request the engine reads.
struct Incoming {
    method: web::Method,
    query: String,
    body: Vec<u8>,
    cookie: Option<String>,
    client_address: Option<String>,
    https: bool,
}

/// Handles one request (the Worker's `fetch`).
pub async fn handle(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let url = RequestUrl::of(&req);
    let Some(route) = Route::from_path(url.path()) else {
        return page(
            404,
            &html::simple("Not found", "There is nothing here."),
            &[],
        );
    };
    if !route.allows(&req.method()) {
        return page(
            405,
            &html::simple("Method not allowed", "This method is not allowed here."),
            &[("Allow", route.allow_header().to_owned())],
        );
    }
    if route == Route::Root {
        return redirect(302, &format!("{PREFIX}/login"));
    }
    let host = url.host_str().unwrap_or("").to_owned();
    let loaded = match config::load(&env, &host) {
        Ok(l) => l,
        Err(problem) => return config_error(&problem),
    };
    let cas = match prepare(req, &env, loaded, host).await? {
        Ok(cas) => cas,
        Err(early) => return Ok(early),
    };
    match route {
        Route::Login => login(cas, &ctx).await,
        Route::Logout => logout(cas, &ctx).await,
        Route::Validate(endpoint) => validate(cas, endpoint).await,
        Route::Proxy => proxy(cas).await,
        Route::SamlValidate => saml_validate(cas).await,
        Route::Root => redirect(302, &format!("{PREFIX}/login")),
    }
}

/// Reads the request and opens the store; an early response on failure.
async fn prepare(
    mut req: Request,
    env: &Env,
    loaded: Rc<Loaded>,
    host: String,
) -> Result<std::result::Result<Cas, Response>> {
    let method = match req.method() {
        Method::Get | Method::Head => web::Method::Get,
        Method::Post => web::Method::Post,
        _ => web::Method::Other,
    };
    let declared = req
        .headers()
        .get("Content-Length")?
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(0);
    if declared > MAX_BODY {
        return too_large().map(Err);
    }
    let body = if method == web::Method::Post {
        req.bytes().await?
    } else {
        Vec::new()
    };
    if body.len() > MAX_BODY {
        return too_large().map(Err);
    }
    let request_id = request_id(req.headers().get("cf-ray")?.as_deref());
    let rng = match Csprng::check() {
        Ok(r) => r,
        Err(e) => {
            log_fault(&request_id, "entropy", &e.to_string());
            return page(500, &html::internal_error(), &[]).map(Err);
        }
    };
    let now = platform::now();
    let faults_header = req.headers().get(FAULTS_HEADER)?;
    let faults = faults_for(env, faults_header.as_deref(), &host);
    let store = match (env.kv("TICKETS"), env.durable_object("GUARD")) {
        (Ok(kv), Ok(guard)) => FaultyStore::new(
            WorkerStore::new(kv, guard, now, loaded.engine.config()),
            faults,
        ),
        (Err(e), _) | (_, Err(e)) => {
            log_fault(&request_id, "bindings", &e.to_string());
            return page(500, &html::internal_error(), &[]).map(Err);
        }
    };
    let url = RequestUrl::of(&req);
    Ok(Ok(Cas {
        env: env.clone(),
        loaded,
        store,
        faults_header,
        rng,
        now,
        req: Incoming {
            method,
            query: url.query().unwrap_or("").to_owned(),
            body,
            cookie: req.headers().get("Cookie")?,
            client_address: req.headers().get("CF-Connecting-IP")?,
            https: url.scheme() == "https",
        },
        host,
        request_id,
    }))
}

/// The test-only fault switch for a request to `host` with the fault header `header`
/// (crate::faults): never set CASPLUS_FAULTS in a deployment.
fn faults_for(env: &Env, header: Option<&str>, host: &str) -> Faults {
    match env.var(FAULTS_VAR) {
        Ok(v) => Faults::from_settings(Some(&v.to_string()), header, host),
        Err(_) => Faults::none(),
    }
}

/// The request id of the audit log: the `cf-ray` header (Cloudflare's id of the request,
/// also in `wrangler tail`), else 16 random hex digits.
fn request_id(cf_ray: Option<&str>) -> String {
    match cf_ray {
        Some(ray) if !ray.is_empty() && ray.len() <= 64 && ray.is_ascii() => ray.to_owned(),
        _ => {
            let mut b = [0u8; 8];
            // A broken generator was already refused by `Csprng::check`.
            let _ = getrandom::fill(&mut b);
            casplus::codec::hex::encode(&b)
        }
    }
}

/// Logs `events` for the audit trail: one JSON object per line, stamped with the request
/// id and the time (README "Audit log").
fn audit_log(request_id: &str, now: Timestamp, events: &[AuditEvent]) {
    for event in events {
        let mut line = event.to_json();
        if let Some(map) = line.as_object_mut() {
            map.insert("request_id".to_owned(), request_id.into());
            map.insert("time".to_owned(), now.to_rfc3339().into());
        }
        worker::console_log!("{line}");
    }
}

impl Incoming {
    fn http(&self) -> HttpRequest<'_> {
        HttpRequest {
            method: self.method,
            query: self.query.as_bytes(),
            body: &self.body,
            cookie: self.cookie.as_deref(),
            client_address: self.client_address.as_deref(),
            https: self.https,
        }
    }
}

// ----- handlers ----------------------------------------------------------------------

/// What a session object runs for the Worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionEndpoint {
    /// A `/login` GET: SSO (§2.1.1).
    Login,
    /// `/logout`, GET or POST (§2.3).
    Logout,
}

/// A `/login` GET or a `/logout` handed to the session object its cookie names
/// ([`run_in_session`]). Not `Debug`-printed with its cookie (a bearer secret).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRequest {
    /// Which endpoint.
    pub endpoint: SessionEndpoint,
    /// The session object's name (also the object that runs it).
    pub session: String,
    /// POST (a `/logout` form) rather than GET/HEAD.
    pub post: bool,
    /// The request body (a POST's form).
    pub body: Vec<u8>,
    /// The request's host (the development configuration is for loopback hosts only).
    pub host: String,
    /// The request id (audit lines).
    pub request_id: String,
    /// The test-only fault header (crate::faults), applied in the object.
    pub faults: Option<String>,
    /// The query string.
    pub query: String,
    /// The `Cookie` header.
    pub cookie: Option<String>,
    /// The client address.
    pub client_address: Option<String>,
    /// Whether the request came over https.
    pub https: bool,
}

impl core::fmt::Debug for SessionRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionRequest")
            .field("endpoint", &self.endpoint)
            .field("session", &self.session)
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

/// A response rendered from an engine reply, with the effects still to perform (by the
/// Worker, after responding). What a session object answers to a [`SessionRequest`].
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

/// Runs a `/login` GET or a `/logout` inside the session object `guard` (its name is
/// `request.session`): the engine reads and writes that session's tickets in place — for
/// an SSO, the TGT read and the new ST and TGT written with no await in between — and
/// reaches everything else (login tickets, PGTs) as usual. One call from the Worker for
/// an SSO instead of two (read the TGT, write the ST and the TGT); two SSOs of one
/// session cannot both extend the TGT from the same old copy, and a logout sees every
/// service an SSO added before it. The engine decides exactly as it does in the Worker.
pub async fn run_in_session(
    guard: &TicketGuard,
    env: &Env,
    request: SessionRequest,
) -> std::result::Result<Rendered, String> {
    let loaded = config::load(env, &request.host).map_err(|p| p.to_string())?;
    let mut rng = Csprng::check().map_err(|e| format!("entropy: {e}"))?;
    let now = platform::now();
    let faults = faults_for(env, request.faults.as_deref(), &request.host);
    let kv = env.kv("TICKETS").map_err(|e| e.to_string())?;
    let objects = env.durable_object("GUARD").map_err(|e| e.to_string())?;
    let store = FaultyStore::new(
        WorkerStore::new(kv, objects, now, loaded.engine.config())
            .inside(request.session.clone(), guard),
        faults,
    );
    let incoming = Incoming {
        method: if request.post {
            web::Method::Post
        } else {
            web::Method::Get
        },
        query: request.query,
        body: request.body,
        cookie: request.cookie,
        client_address: request.client_address,
        https: request.https,
    };
    let engine = &loaded.engine;
    let (reply, name) = match request.endpoint {
        SessionEndpoint::Login => match engine.login(&store, &mut rng, now, &incoming.http()).await
        {
            LoginStep::Reply(reply) => (reply, "login"),
            LoginStep::Authenticate { .. } => return Err("a GET asked for credentials".to_owned()),
        },
        SessionEndpoint::Logout => (
            engine.logout(&store, &mut rng, now, &incoming.http()).await,
            "logout",
        ),
    };
    audit_log(&request.request_id, now, &reply.audit);
    Ok(render(name, reply, &request.request_id))
}

/// Hands the request to the session object its cookie names, when it names one with a
/// route ([`run_in_session`]); `None`: run it here.
async fn in_session(
    cas: &Cas,
    endpoint: SessionEndpoint,
    ctx: &Context,
) -> Option<Result<Response>> {
    let tgt = cas
        .loaded
        .engine
        .cookie_session(cas.req.cookie.as_deref())?;
    tgt.route()?;
    let session = guard_name(&tgt);
    let request = SessionRequest {
        endpoint,
        session: session.clone(),
        post: cas.req.method == web::Method::Post,
        body: cas.req.body.clone(),
        host: cas.host.clone(),
        request_id: cas.request_id.clone(),
        faults: cas.faults_header.clone(),
        query: cas.req.query.clone(),
        cookie: cas.req.cookie.clone(),
        client_address: cas.req.client_address.clone(),
        https: cas.req.https,
    };
    Some(
        match cas.store.inner().hand_to_session(&session, request).await {
            Ok(rendered) => finish(rendered, cas, ctx),
            Err(e) => {
                let name = match endpoint {
                    SessionEndpoint::Login => "login",
                    SessionEndpoint::Logout => "logout",
                };
                log_fault(&cas.request_id, name, &e.to_string());
                page(500, &html::internal_error(), &[])
            }
        },
    )
}

/// `/login` GET and POST (§2.1, §2.2). A GET whose cookie names a session runs in that
/// session's object ([`run_in_session`]).
async fn login(mut cas: Cas, ctx: &Context) -> Result<Response> {
    if cas.req.method == web::Method::Get
        && let Some(answer) = in_session(&cas, SessionEndpoint::Login, ctx).await
    {
        return answer;
    }
    let engine = &cas.loaded.engine;
    let step = engine
        .login(&cas.store, &mut cas.rng, cas.now, &cas.req.http())
        .await;
    let reply = match step {
        LoginStep::Reply(reply) => reply,
        LoginStep::Authenticate { request, pending } => {
            let rem_addr = cas.req.client_address.as_deref();
            let tacacs_source = request.source == aaa::SOURCE;
            let result = match (&cas.loaded.tacacs, tacacs_source) {
                (Some(t), true) => {
                    aaa::authenticate(&cas.env, t, &request, rem_addr, &cas.request_id).await
                }
                (None, true) => {
                    log_fault(
                        &cas.request_id,
                        "login",
                        "a service requires the tacacs source, but no \"tacacs\" is configured",
                    );
                    AuthResult::Rejected(AuthFailure::Unavailable)
                }
                (_, false) => cas.loaded.users.answer(&request),
            };
            engine
                .login_authenticated(&cas.store, &mut cas.rng, cas.now, pending, result)
                .await
        }
    };
    audit_log(&cas.request_id, cas.now, &reply.audit);
    web_reply("login", reply, &cas, ctx)
}

/// `/logout` (§2.3); with a session cookie, run in the session's object
/// ([`run_in_session`]).
async fn logout(mut cas: Cas, ctx: &Context) -> Result<Response> {
    if let Some(answer) = in_session(&cas, SessionEndpoint::Logout, ctx).await {
        return answer;
    }
    let engine = &cas.loaded.engine;
    let reply = engine
        .logout(&cas.store, &mut cas.rng, cas.now, &cas.req.http())
        .await;
    audit_log(&cas.request_id, cas.now, &reply.audit);
    web_reply("logout", reply, &cas, ctx)
}

/// `/validate`, `/serviceValidate`, `/proxyValidate`, `/p3/serviceValidate`,
/// `/p3/proxyValidate` (§2.4–§2.9), with the proxy callback when asked (§2.5.4).
async fn validate(mut cas: Cas, endpoint: Endpoint) -> Result<Response> {
    let engine = &cas.loaded.engine;
    let step = engine
        .validate(
            &cas.store,
            &mut cas.rng,
            cas.now,
            endpoint,
            cas.req.query.as_bytes(),
        )
        .await;
    let reply = match step {
        ValidationStep::Done(reply) => reply,
        ValidationStep::ProxyCallback { callback, pending } => {
            let status = outbound::proxy_callback(&callback).await;
            engine
                .proxy_callback_result(&cas.store, pending, status)
                .await
        }
    };
    if let Some(fault) = &reply.fault {
        log_fault(&cas.request_id, "validate", &fault.to_string());
    }
    let event = audit::validation(endpoint, cas.req.query.as_bytes(), &reply);
    audit_log(&cas.request_id, cas.now, &[event]);
    respond(200, &reply.headers(), reply.render())
}

/// `/proxy` (§2.7).
async fn proxy(mut cas: Cas) -> Result<Response> {
    let reply = cas
        .loaded
        .engine
        .proxy(&cas.store, &mut cas.rng, cas.now, cas.req.query.as_bytes())
        .await;
    if let Some(fault) = &reply.fault {
        log_fault(&cas.request_id, "proxy", &fault.to_string());
    }
    let event = audit::proxy(cas.req.query.as_bytes(), &reply);
    audit_log(&cas.request_id, cas.now, &[event]);
    respond(200, &reply.headers(), reply.render())
}

/// `/samlValidate` (§4.2): SOAP in, SOAP out.
async fn saml_validate(mut cas: Cas) -> Result<Response> {
    let request = SamlValidateRequest {
        method: cas.req.method,
        query: cas.req.query.as_bytes(),
        body: &cas.req.body,
    };
    let reply = cas
        .loaded
        .engine
        .saml_validate(&cas.store, &mut cas.rng, cas.now, &request)
        .await;
    if let Some(fault) = &reply.fault {
        log_fault(&cas.request_id, "samlValidate", &fault.to_string());
    }
    let event = audit::saml_validate(&cas.req.body, &reply);
    audit_log(&cas.request_id, cas.now, &[event]);
    let headers = [
        ("Content-Type", reply.content_type().to_owned()),
        ("Cache-Control", "no-store".to_owned()),
    ];
    respond(200, &headers, reply.render(&cas.host))
}

// ----- responses ---------------------------------------------------------------------

/// A browser-facing reply: status, headers and cookie from the engine, a page rendered
/// from its view; then its effects ([`finish`]).
fn web_reply(endpoint: &str, reply: WebReply, cas: &Cas, ctx: &Context) -> Result<Response> {
    finish(render(endpoint, reply, &cas.request_id), cas, ctx)
}

/// Renders an engine reply (logging its fault, if any).
fn render(endpoint: &str, reply: WebReply, request_id: &str) -> Rendered {
    if let Some(fault) = &reply.fault {
        log_fault(request_id, endpoint, &format!("{fault:?}"));
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

/// The response, with the effects run after it: single logout; the session lifecycle
/// effects as TACACS+ accounting when it is configured (the core decides which records).
fn finish(rendered: Rendered, cas: &Cas, ctx: &Context) -> Result<Response> {
    let (sessions, others): (Vec<Effect>, Vec<Effect>) =
        rendered.effects.into_iter().partition(|e| {
            matches!(
                e,
                Effect::SessionStarted(_)
                    | Effect::SessionUsed { .. }
                    | Effect::SessionEnded { .. }
            )
        });
    if !others.is_empty() {
        let request_id = cas.request_id.clone();
        ctx.wait_until(async move {
            for effect in others {
                match effect {
                    Effect::SingleLogout(notice) => {
                        let status = outbound::single_logout(&notice).await;
                        let event = AuditEvent::single_logout_sent(&notice, status);
                        audit_log(&request_id, platform::now(), &[event]);
                    }
                    other => log_fault(
                        &request_id,
                        "effects",
                        &format!("unhandled engine effect: {other:?}"),
                    ),
                }
            }
        });
    }
    if !sessions.is_empty() && cas.loaded.tacacs.is_some() {
        let loaded = Rc::clone(&cas.loaded);
        let (env, request_id) = (cas.env.clone(), cas.request_id.clone());
        ctx.wait_until(async move {
            if let Some(t) = &loaded.tacacs {
                aaa::account(&env, t, &request_id, sessions).await;
            }
        });
    }
    respond(rendered.status, &rendered.headers, rendered.body)
}

fn respond<N: AsRef<str>>(status: u16, headers: &[(N, String)], body: String) -> Result<Response> {
    let h = Headers::new();
    for (name, value) in COMMON_HEADERS {
        h.set(name, value)?;
    }
    for (name, value) in headers {
        h.append(name.as_ref(), value)?;
    }
    Ok(Response::from_bytes(body.into_bytes())?
        .with_status(status)
        .with_headers(h))
}

fn page(status: u16, p: &Page, extra: &[(&str, String)]) -> Result<Response> {
    let mut headers = vec![
        ("Content-Type", "text/html; charset=utf-8".to_owned()),
        ("Content-Security-Policy", p.csp.clone()),
        ("Cache-Control", "no-store".to_owned()),
    ];
    headers.extend(extra.iter().cloned());
    respond(status, &headers, p.body.clone())
}

fn redirect(status: u16, location: &str) -> Result<Response> {
    respond(
        status,
        &[
            ("Location", location.to_owned()),
            ("Cache-Control", "no-store".to_owned()),
        ],
        String::new(),
    )
}

fn too_large() -> Result<Response> {
    page(
        413,
        &html::simple("Request too large", "The request body is too large."),
        &[],
    )
}

fn config_error(problem: &ConfigProblem) -> Result<Response> {
    worker::console_error!(
        "{}",
        serde_json::json!({ "event": "config_error", "error": problem.to_string() })
    );
    page(503, &html::config_error(&problem.to_string()), &[])
}

/// A fault line of the log (README "Audit log"), with the request's id.
fn log_fault(request_id: &str, endpoint: &str, error: &str) {
    worker::console_error!(
        "{}",
        serde_json::json!({ "event": "fault", "endpoint": endpoint, "error": error,
            "request_id": request_id })
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_cover_every_cas_endpoint() {
        let cases = [
            ("/cas", Some(Route::Root)),
            ("/cas/", Some(Route::Root)),
            ("/cas/login", Some(Route::Login)),
            ("/cas/logout", Some(Route::Logout)),
            ("/cas/validate", Some(Route::Validate(Endpoint::Validate))),
            (
                "/cas/serviceValidate",
                Some(Route::Validate(Endpoint::ServiceValidate)),
            ),
            (
                "/cas/proxyValidate",
                Some(Route::Validate(Endpoint::ProxyValidate)),
            ),
            (
                "/cas/p3/serviceValidate",
                Some(Route::Validate(Endpoint::P3ServiceValidate)),
            ),
            (
                "/cas/p3/proxyValidate",
                Some(Route::Validate(Endpoint::P3ProxyValidate)),
            ),
            ("/cas/proxy", Some(Route::Proxy)),
            ("/cas/samlValidate", Some(Route::SamlValidate)),
            ("/cas/Login", None),
            ("/cas/login/", None),
            ("/cas//validate", None),
            ("/cas/p3/validate", None),
            ("/casx/login", None),
            ("/login", None),
            ("/", None),
        ];
        for (path, want) in cases {
            assert_eq!(Route::from_path(path), want, "{path}");
        }
    }

    #[test]
    fn methods_per_route() {
        assert!(Route::Login.allows(&Method::Post));
        assert!(!Route::Validate(Endpoint::ServiceValidate).allows(&Method::Post));
        assert!(!Route::Proxy.allows(&Method::Put));
        // samlValidate lets the engine answer a GET with INVALID_REQUEST (§4.2.2).
        assert!(Route::SamlValidate.allows(&Method::Get));
    }
}
