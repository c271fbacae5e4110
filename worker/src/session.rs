//! The session hand-off: every request that reads and writes back an SSO session's TGT
//! runs inside that session's [`TicketGuard`] object, next to the session's tickets, so
//! that the read and the write are one atomic step (README "Consistency model"): a
//! `/login` GET or a `/logout` whose cookie names the session; the end of a credential
//! login that replaces it (its TGT rotation, issue 20 item 6), once the Worker has checked
//! the credentials; a warn confirmation (§2.2.1); the grant of a PGT after its callback
//! (§2.5.4, noted in the TGT for logout, §3.3.1); and `/proxy` (§2.7, whose target is
//! recorded in the TGT for single logout, §2.3.3).
//!
//! The Worker sends a [`SessionRequest`] to the object ([`hand_off`], `POST` to [`URL`]);
//! the object runs it ([`run_in_session`]) and answers the [`Rendered`] response, whose
//! effects the Worker performs after responding. Both in the stored form (version byte +
//! postcard), like the object's row operations ([`crate::guard::GuardRequest`]).

use casplus::cas::auth::AuthResult;
use casplus::cas::engine::{LoginStep, PendingConfirm, PendingLogin};
use casplus::cas::store::StoreError;
use casplus::cas::stored;
use casplus::cas::ticket::Ticket;
use casplus::cas::web::{HttpRequest, Method};
use serde::{Deserialize, Serialize};
use worker::{Env, Response};

use crate::config;
use crate::faults;
use crate::guard::TicketGuard;
use crate::log;
use crate::platform::{self, Csprng};
use crate::reply::{self, Rendered};
use crate::store::WorkerStore;

/// The URL of a hand-off in a call to a guard object (row operations go to
/// [`crate::store::ROWS_URL`]).
pub const URL: &str = "https://guard/session";

/// What a session object runs for the Worker, with what the Worker already decided with
/// the engine for the object to finish.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionEndpoint {
    /// A `/login` GET: SSO (§2.1.1).
    Login,
    /// `/logout`, GET or POST (§2.3).
    Logout,
    /// The end of a `/login` POST whose credentials were checked, replacing the session
    /// ([`casplus::cas::engine::PendingLogin::session`]): new TGT, old one revoked.
    LoginAuthenticated(PendingLogin, AuthResult),
    /// A `/login` POST confirming a warned SSO (§2.2.1 `warn`) whose login ticket was
    /// taken.
    Confirm(PendingConfirm),
    /// The grant of a PGT after its callback answered 200 (§2.5.4), the PGT in the stored
    /// form ([`Ticket::to_bytes`]); the answer is no page but its status: [`GRANTED`] or
    /// [`SESSION_ENDED`].
    GrantPgt(Vec<u8>),
    /// `/proxy` (§2.7), named by its `pgt`.
    Proxy,
}

/// The status of a [`SessionEndpoint::GrantPgt`] answer: the PGT was granted.
pub const GRANTED: u16 = 200;
/// The status of a [`SessionEndpoint::GrantPgt`] answer: the session has ended, no PGT.
pub const SESSION_ENDED: u16 = 410;

impl SessionEndpoint {
    /// The endpoint's name in log lines.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Login | Self::LoginAuthenticated(..) | Self::Confirm(_) => "login",
            Self::Logout => "logout",
            Self::GrantPgt(_) => "validate",
            Self::Proxy => "proxy",
        }
    }
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

impl SessionRequest {
    /// The request as the engine reads it.
    fn http(&self) -> HttpRequest<'_> {
        HttpRequest {
            method: if self.post { Method::Post } else { Method::Get },
            query: self.query.as_bytes(),
            body: &self.body,
            cookie: self.cookie.as_deref(),
            client_address: self.client_address.as_deref(),
            https: self.https,
            // No login POST runs here (only its end, already checked: `LoginAuthenticated`).
            ..HttpRequest::default()
        }
    }
}

/// Sends `request` to its session object (`request.session`) and returns what the object
/// rendered ([`run_in_session`]): one call instead of one per ticket read or written.
pub async fn hand_off(
    store: &WorkerStore<'_>,
    request: SessionRequest,
) -> Result<Rendered, StoreError> {
    let body = stored::encode(&request)
        .map_err(|e| StoreError::Unavailable(format!("session request: {e}")))?;
    let bytes = store.post(&request.session, URL, body).await?;
    stored::decode(&bytes).map_err(|e| StoreError::Corrupt(format!("session reply: {e}")))
}

/// Answers a hand-off `body` inside the object `guard` ([`run_in_session`]): the
/// [`Rendered`] response in the stored form, or HTTP 500 with the reason.
pub async fn serve(guard: &TicketGuard, env: &Env, body: &[u8]) -> worker::Result<Response> {
    let request: SessionRequest = match stored::decode(body) {
        Ok(r) => r,
        Err(e) => return Response::error(format!("bad session request: {e}"), 400),
    };
    let reply = run_in_session(guard, env, request)
        .await
        .and_then(|rendered| stored::encode(&rendered).map_err(|e| e.to_string()));
    match reply {
        Ok(bytes) => Response::from_bytes(bytes),
        Err(e) => Response::error(format!("session request: {e}"), 500),
    }
}

/// Runs a request of the session ([`SessionEndpoint`]) inside the session object `guard`
/// (its name is `request.session`) and answers it: the engine reads and
/// writes that session's tickets in place — the TGT read and the TGT written with no await
/// in between — and reaches everything else (login tickets, PGTs in KV) as usual. One call
/// from the Worker for an SSO instead of two (read the TGT, write the ST and the TGT); no
/// two requests of one session can both extend the TGT from the same old copy, and a
/// logout sees every service and PGT noted before it. The engine decides exactly as it
/// does in the Worker.
pub async fn run_in_session(
    guard: &TicketGuard,
    env: &Env,
    mut request: SessionRequest,
) -> Result<Rendered, String> {
    let loaded = config::load(env, &request.host).map_err(|p| p.to_string())?;
    let mut rng = Csprng::check().map_err(|e| format!("entropy: {e}"))?;
    let now = platform::now();
    let faults = faults::for_request(env, request.faults.as_deref(), &request.host);
    let store = WorkerStore::from_env(env, now, loaded.engine.config())
        .inside(request.session.clone(), guard)
        .with_faults(faults);
    let engine = &loaded.engine;
    // What to run, moved out (the request's other fields stay borrowed by `http`).
    let endpoint = core::mem::replace(&mut request.endpoint, SessionEndpoint::Login);
    let http = request.http();
    let name = endpoint.name();
    let reply = match endpoint {
        SessionEndpoint::Login => match engine.login(&store, &mut rng, now, &http).await {
            LoginStep::Reply(reply) => reply,
            _ => return Err("a GET asked for credentials".to_owned()),
        },
        SessionEndpoint::Logout => engine.logout(&store, &mut rng, now, &http).await,
        SessionEndpoint::LoginAuthenticated(pending, result) => {
            engine
                .login_authenticated(&store, &mut rng, now, pending, result)
                .await
        }
        SessionEndpoint::Confirm(pending) => {
            engine.confirm_warned(&store, &mut rng, now, pending).await
        }
        SessionEndpoint::GrantPgt(bytes) => {
            let Ok(Ticket::ProxyGranting(pgt)) = Ticket::from_bytes(&bytes) else {
                return Err("a grant without its proxy-granting ticket".to_owned());
            };
            let granted = engine
                .grant_pgt(&store, &pgt)
                .await
                .map_err(|e| e.to_string())?;
            return Ok(Rendered {
                status: if granted { GRANTED } else { SESSION_ENDED },
                headers: Vec::new(),
                body: String::new(),
                effects: Vec::new(),
            });
        }
        SessionEndpoint::Proxy => {
            let reply = engine
                .proxy(&store, &mut rng, now, request.query.as_bytes())
                .await;
            if let Some(fault) = &reply.fault {
                log::fault(&request.request_id, name, &fault.to_string());
            }
            log::audit(&request.request_id, now, &reply.audit);
            return Ok(Rendered {
                status: 200,
                headers: reply
                    .headers()
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), v))
                    .collect(),
                body: reply.render(),
                effects: Vec::new(),
            });
        }
    };
    log::audit(&request.request_id, now, &reply.audit);
    Ok(reply::render(name, reply, &request.request_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_off_round_trips_in_the_stored_form_and_hides_its_cookie() {
        let request = SessionRequest {
            endpoint: SessionEndpoint::Logout,
            session: "session-abc".into(),
            post: true,
            body: b"service=x".to_vec(),
            host: "127.0.0.1".into(),
            request_id: "r1".into(),
            faults: None,
            query: String::new(),
            cookie: Some("TGC-casplus=TGT-secret".into()),
            client_address: Some("192.0.2.1".into()),
            https: false,
        };
        let bytes = stored::encode(&request).expect("encodes");
        assert_eq!(
            stored::decode::<SessionRequest>(&bytes).ok(),
            Some(request.clone())
        );
        assert!(!format!("{request:?}").contains("TGT-secret"));
        assert_eq!(request.http().method, Method::Post);
        let rendered = Rendered {
            status: 303,
            headers: vec![("Location".into(), "https://app/".into())],
            body: String::new(),
            effects: Vec::new(),
        };
        let bytes = stored::encode(&rendered).expect("encodes");
        let back: Rendered = stored::decode(&bytes).expect("decodes");
        assert_eq!((back.status, back.headers), (303, rendered.headers));
    }
}
