//! The `/cas` router and one small handler per endpoint: each turns the HTTP request into
//! an engine call and the engine's reply into an HTTP response. Which endpoint a path
//! names and which methods it serves is the core's table ([`casplus::cas::http`]); the
//! effects are performed in [`crate::effects`]; a request of an SSO session runs in that
//! session's object ([`crate::session`]). No protocol decision is made here.

use std::rc::Rc;

use casplus::cas::auth::{AuthFailure, AuthResult};
use casplus::cas::engine::{Endpoint, LoginStep, SamlValidateRequest, ValidationStep};
use casplus::cas::http::{self, MAX_BODY, RequestTarget, Route, Transport};
use casplus::cas::store::StoreError;
use casplus::cas::ticket::{ProxyGrantingTicket, Ticket, TicketId};
use casplus::cas::web::{self, HttpRequest, WebReply};
use casplus::time::Timestamp;
use worker::web_sys::{Headers, Request, Response};
use worker::{Context, Env, Result};

use crate::aaa;
use crate::body;
use crate::config::{self, Loaded};
use crate::effects;
use crate::faults::{self, FAULTS_HEADER};
use crate::html::{self, PREFIX};
use crate::log;
use crate::outbound;
use crate::platform::{self, Csprng};
use crate::reply::{self, Rendered, page, redirect, respond};
use crate::requrl::RequestUrl;
use crate::session::{self, SessionEndpoint, SessionRequest};
use crate::store::{WorkerStore, guard_name};

/// Everything a handler needs for one request.
struct Cas {
    env: Env,
    loaded: Rc<Loaded>,
    store: WorkerStore<'static>,
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
    /// `Origin`, `Sec-Fetch-Site` and the request URL's own origin (login CSRF).
    origin: Option<String>,
    fetch_site: Option<String>,
    own_origin: Option<String>,
}

/// Handles one request (the Worker's `fetch`). Only what a route needs is read from the
/// runtime's request: its URL, method, and the headers named below.
pub async fn handle(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let url = RequestUrl::of(&req);
    let Some(route) = route_of(url.path()) else {
        return page(
            404,
            &html::simple("Not found", "There is nothing here."),
            &[],
        );
    };
    let method = http::method(&req.method());
    if !route.admits(method) {
        return page(
            405,
            &html::simple("Method not allowed", "This method is not allowed here."),
            &[("Allow", route.methods().to_owned())],
        );
    }
    let host = url.host_str().unwrap_or("").to_owned();
    let headers = req.headers();
    let request_id = log::request_id(headers.get("cf-ray")?.as_deref());
    let loaded = match config::load(&env, &host) {
        Ok(l) => l,
        Err(problem) => return reply::config_error(&problem, &request_id),
    };
    // Plain http outside loopback goes to https; https answers carry HSTS (the core's rule).
    let target = RequestTarget {
        method,
        https: url.scheme() == "https",
        host: &host,
        path: url.path(),
        query: url.query(),
    };
    let hsts = match loaded.engine.config().transport.decide(&target) {
        Transport::Serve { hsts } => hsts,
        Transport::Redirect { status, location } => return redirect(status, &location),
    };
    let https = target.https;
    let arrived = Arrived {
        req,
        headers,
        url,
        method,
        https,
    };
    let response = route_request(arrived, route, &env, &ctx, loaded, host, request_id).await?;
    if let Some(value) = hsts {
        response
            .headers()
            .set("Strict-Transport-Security", &value)?;
    }
    Ok(response)
}

/// The request as it arrived, with what [`handle`] already read of it.
struct Arrived {
    req: Request,
    headers: Headers,
    url: RequestUrl,
    method: web::Method,
    https: bool,
}

/// Runs the request on the endpoint `route` names.
async fn route_request(
    arrived: Arrived,
    route: Route,
    env: &Env,
    ctx: &Context,
    loaded: Rc<Loaded>,
    host: String,
    request_id: String,
) -> Result<Response> {
    if route == Route::Root {
        return redirect(302, &format!("{PREFIX}/login"));
    }
    let cas = match prepare(arrived, env, loaded, host, request_id).await? {
        Ok(cas) => cas,
        Err(early) => return Ok(early),
    };
    match route {
        Route::Login => login(cas, ctx).await,
        Route::Logout => logout(cas, ctx).await,
        Route::Validate(endpoint) => validate(cas, endpoint).await,
        Route::Proxy => proxy(cas, ctx).await,
        Route::SamlValidate => saml_validate(cas).await,
        Route::Root => redirect(302, &format!("{PREFIX}/login")),
    }
}

/// The endpoint a request path names: the core's table below [`PREFIX`].
fn route_of(path: &str) -> Option<Route> {
    path.strip_prefix(PREFIX).and_then(Route::from_path)
}

/// Reads the request and opens the store; an early response on failure.
async fn prepare(
    arrived: Arrived,
    env: &Env,
    loaded: Rc<Loaded>,
    host: String,
    request_id: String,
) -> Result<std::result::Result<Cas, Response>> {
    let Arrived {
        req,
        headers,
        url,
        method,
        https,
    } = arrived;
    let declared = headers
        .get("Content-Length")?
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(0);
    if declared > MAX_BODY {
        return reply::too_large().map(Err);
    }
    let body = if method == web::Method::Post {
        match body::read(&req, MAX_BODY).await? {
            Some(body) => body,
            None => return reply::too_large().map(Err),
        }
    } else {
        Vec::new()
    };
    let rng = match Csprng::check() {
        Ok(r) => r,
        Err(e) => {
            log::fault(&request_id, "entropy", &e.to_string());
            return reply::internal_error().map(Err);
        }
    };
    let now = platform::now();
    let faults_header = headers.get(FAULTS_HEADER)?;
    let faults = faults::for_request(env, faults_header.as_deref(), &host);
    let store = WorkerStore::from_env(env, now, loaded.engine.config()).with_faults(faults);
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
            cookie: headers.get("Cookie")?,
            client_address: headers.get("CF-Connecting-IP")?,
            https,
            origin: headers.get("Origin")?,
            fetch_site: headers.get("Sec-Fetch-Site")?,
            own_origin: url.origin().map(str::to_owned),
        },
        host,
        request_id,
    }))
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
            origin: self.origin.as_deref(),
            fetch_site: self.fetch_site.as_deref(),
            own_origin: self.own_origin.as_deref(),
        }
    }
}

// ----- handlers ----------------------------------------------------------------------

/// Hands the request to the session object its cookie names, when it names one with a
/// route ([`session::run_in_session`]); `None`: run it here.
async fn in_session(
    cas: &Cas,
    endpoint: SessionEndpoint,
    ctx: &Context,
) -> Option<Result<Response>> {
    let tgt = cas
        .loaded
        .engine
        .cookie_session(cas.req.cookie.as_deref(), cas.req.https)?;
    hand_off(cas, endpoint, &tgt, ctx).await
}

/// Hands the request to the object of the session `tgt`, when it has a route; `None`:
/// run it here.
async fn hand_off(
    cas: &Cas,
    endpoint: SessionEndpoint,
    tgt: &TicketId,
    ctx: &Context,
) -> Option<Result<Response>> {
    let name = endpoint.name();
    let request = session_request(cas, endpoint, tgt)?;
    Some(match session::hand_off(&cas.store, request).await {
        Ok(rendered) => finish(rendered, cas, ctx),
        Err(e) => {
            log::fault(&cas.request_id, name, &e.to_string());
            reply::internal_error()
        }
    })
}

/// The hand-off of this request to the object of the session `tgt` (or of a ticket of
/// it), when it has a route; `None`: run it here.
fn session_request(cas: &Cas, endpoint: SessionEndpoint, tgt: &TicketId) -> Option<SessionRequest> {
    tgt.route()?;
    Some(SessionRequest {
        endpoint,
        session: guard_name(tgt),
        post: cas.req.method == web::Method::Post,
        body: cas.req.body.clone(),
        host: cas.host.clone(),
        request_id: cas.request_id.clone(),
        faults: cas.faults_header.clone(),
        query: cas.req.query.clone(),
        cookie: cas.req.cookie.clone(),
        client_address: cas.req.client_address.clone(),
        https: cas.req.https,
    })
}

/// `/login` GET and POST (§2.1, §2.2). A GET whose cookie names a session runs in that
/// session's object ([`session::run_in_session`]).
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
                    log::fault(
                        &cas.request_id,
                        "login",
                        "a service requires the tacacs source, but no \"tacacs\" is configured",
                    );
                    AuthResult::Rejected(AuthFailure::Unavailable)
                }
                (_, false) => cas.loaded.users.answer(&request),
            };
            // A login that replaces a session rotates its TGT in that session's object.
            if let Some(old) = pending.session().cloned()
                && let Some(answer) = hand_off(
                    &cas,
                    SessionEndpoint::LoginAuthenticated(pending.clone(), result.clone()),
                    &old,
                    ctx,
                )
                .await
            {
                return answer;
            }
            engine
                .login_authenticated(&cas.store, &mut cas.rng, cas.now, pending, result)
                .await
        }
        // A warn confirmation extends the session's TGT: in the session's object.
        LoginStep::Confirm { pending } => {
            let tgt = pending.session().clone();
            let endpoint = SessionEndpoint::Confirm(pending.clone());
            if let Some(answer) = hand_off(&cas, endpoint, &tgt, ctx).await {
                return answer;
            }
            engine
                .confirm_warned(&cas.store, &mut cas.rng, cas.now, pending)
                .await
        }
    };
    log::audit(&cas.request_id, cas.now, &reply.audit);
    web_reply("login", reply, &cas, ctx)
}

/// `/logout` (§2.3); with a session cookie, run in the session's object
/// ([`session::run_in_session`]).
async fn logout(mut cas: Cas, ctx: &Context) -> Result<Response> {
    if let Some(answer) = in_session(&cas, SessionEndpoint::Logout, ctx).await {
        return answer;
    }
    let engine = &cas.loaded.engine;
    let reply = engine
        .logout(&cas.store, &mut cas.rng, cas.now, &cas.req.http())
        .await;
    log::audit(&cas.request_id, cas.now, &reply.audit);
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
            // The PGT is noted in its session's TGT in the session's object.
            let granted = match pending.to_grant(status) {
                Some(pgt) => grant_pgt(&cas, pgt).await,
                None => Ok(false),
            };
            engine.proxy_callback_granted(pending, status, granted)
        }
    };
    if let Some(fault) = &reply.fault {
        log::fault(&cas.request_id, "validate", &fault.to_string());
    }
    log::audit(&cas.request_id, cas.now, &reply.audit);
    respond(200, &reply.headers(), reply.render())
}

/// Grants `pgt` ([`casplus::cas::engine::Engine::grant_pgt`]) in its session's object, or
/// here for a session without a route.
async fn grant_pgt(cas: &Cas, pgt: &ProxyGrantingTicket) -> std::result::Result<bool, StoreError> {
    let bytes = Ticket::ProxyGranting(pgt.clone())
        .to_bytes()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    match session_request(cas, SessionEndpoint::GrantPgt(bytes), &pgt.tgt) {
        Some(request) => session::hand_off(&cas.store, request)
            .await
            .map(|answer| answer.status == session::GRANTED),
        None => cas.loaded.engine.grant_pgt(&cas.store, pgt).await,
    }
}

/// `/proxy` (§2.7): in the object of the session its `pgt` belongs to, which records the
/// target in the session's TGT for single logout (§2.3.3).
async fn proxy(mut cas: Cas, ctx: &Context) -> Result<Response> {
    if let Some(pgt) = cas.loaded.engine.proxy_session(cas.req.query.as_bytes())
        && let Some(answer) = hand_off(&cas, SessionEndpoint::Proxy, &pgt, ctx).await
    {
        return answer;
    }
    let reply = cas
        .loaded
        .engine
        .proxy(&cas.store, &mut cas.rng, cas.now, cas.req.query.as_bytes())
        .await;
    if let Some(fault) = &reply.fault {
        log::fault(&cas.request_id, "proxy", &fault.to_string());
    }
    log::audit(&cas.request_id, cas.now, &reply.audit);
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
        log::fault(&cas.request_id, "samlValidate", &fault.to_string());
    }
    log::audit(&cas.request_id, cas.now, &reply.audit);
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
    finish(reply::render(endpoint, reply, &cas.request_id), cas, ctx)
}

/// The response, with the effects performed after it ([`effects::after_response`]).
fn finish(rendered: Rendered, cas: &Cas, ctx: &Context) -> Result<Response> {
    effects::after_response(
        ctx,
        &cas.env,
        &cas.loaded,
        &cas.request_id,
        rendered.effects,
    );
    respond(rendered.status, &rendered.headers, rendered.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_the_core_s_below_the_prefix() {
        assert_eq!(route_of("/cas"), Some(Route::Root));
        assert_eq!(route_of("/cas/"), Some(Route::Root));
        assert_eq!(route_of("/cas/login"), Some(Route::Login));
        assert_eq!(
            route_of("/cas/p3/serviceValidate"),
            Some(Route::Validate(Endpoint::P3ServiceValidate))
        );
        for path in ["/casx/login", "/login", "/", "/cas//validate", "/cas/Login"] {
            assert_eq!(route_of(path), None, "{path}");
        }
    }
}
