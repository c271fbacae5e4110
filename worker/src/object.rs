//! The entry points of the [`TicketGuard`] Durable Object: `fetch` answers a row
//! operation ([`crate::guard`]) or runs a session hand-off ([`crate::session`]); `alarm`
//! has the engine end the expired sessions (like a request that finds one expired), then
//! deletes the expired rows.

use casplus::cas::ticket::Ticket;
use casplus::cas::web::Effect;
use casplus::time::Timestamp;
use worker::js_sys::Uint8Array;
use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen_futures::JsFuture;
use worker::worker_sys::DurableObjectState;
use worker::{Env, State, web_sys};

use crate::guard::TicketGuard;
use crate::platform::Csprng;
use crate::store::{WorkerStore, guard_name};
use crate::{config, effects, platform, session};

/// What the object answers a call: a status and a body (a reply in the stored form, or
/// the reason as text), one `Response` made from it ([`Answer::into_response`]).
pub struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    /// 200 with `body`.
    pub fn ok(body: Vec<u8>) -> Self {
        Self { status: 200, body }
    }

    /// `status` with the reason `message`.
    pub fn error(status: u16, message: String) -> Self {
        Self {
            status,
            body: message.into_bytes(),
        }
    }

    /// The runtime's `Response`, in one constructor call.
    fn into_response(mut self) -> Result<web_sys::Response, JsValue> {
        let init = web_sys::ResponseInit::new();
        init.set_status(self.status);
        web_sys::Response::new_with_opt_u8_array_and_init(Some(&mut self.body), &init)
    }
}

#[wasm_bindgen(
    wasm_bindgen = ::worker::wasm_bindgen,
    wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
    js_sys = ::worker::js_sys
)]
impl TicketGuard {
    /// The object's constructor (the runtime's `new TicketGuard(state, env)`).
    #[wasm_bindgen(constructor)]
    pub fn new(state: DurableObjectState, env: Env) -> Self {
        Self::create(State::from(state), env)
    }

    /// A call from this Worker through a stub ([`crate::store::WorkerStore::post`]): a row
    /// operation ([`crate::guard`]) or a session hand-off ([`crate::session`]). The body is
    /// read whole (the caller is this Worker: no cap beyond the runtime's).
    pub async fn fetch(&self, req: web_sys::Request) -> Result<web_sys::Response, JsValue> {
        let buffer = JsFuture::from(req.array_buffer()?).await?;
        let body = Uint8Array::new(&buffer).to_vec();
        let answer = if req.url() == session::URL {
            session::serve(self, self.env(), &body).await
        } else {
            self.serve(&body).await
        };
        answer.into_response()
    }

    /// The alarm: ends the expired sessions, then deletes the expired rows.
    pub async fn alarm(&self) -> Result<JsValue, JsValue> {
        let now = platform::now();
        let ended = self.expired_sessions(now)?;
        if !ended.is_empty() {
            sessions_expired(self, &ended, now).await;
        }
        self.expire(now).await?;
        Ok(JsValue::UNDEFINED)
    }
}

/// Ends the sessions of these expired TGT rows the way a request that finds one expired
/// does ([`Engine::expire_session`](casplus::cas::engine::Engine::expire_session), one
/// code path): revoked with their PGTs, single logout to each of their services (§2.3.3:
/// "SLO requests MAY also be initiated by the CAS Server upon TGT idle timeout") and
/// accounting STOP when TACACS+ accounts the session. The engine reads each TGT in place
/// (this object is its session's); one found still valid, or already gone, ends nothing.
/// Failures are logged; the rows go either way.
async fn sessions_expired(guard: &TicketGuard, rows: &[Vec<u8>], now: Timestamp) {
    let env = guard.env();
    match end_sessions(guard, env, rows, now).await {
        Ok((loaded, effects)) => effects::perform(env, &loaded, "alarm", effects).await,
        Err(e) => worker::console_error!("session expiry: {e}"),
    }
}

/// The engine's end of each expired session in `rows`, with the configuration that
/// performs its effects.
async fn end_sessions(
    guard: &TicketGuard,
    env: &Env,
    rows: &[Vec<u8>],
    now: Timestamp,
) -> std::result::Result<(std::rc::Rc<config::Loaded>, Vec<Effect>), String> {
    let loaded = config::load_any_host(env).map_err(|e| format!("configuration: {e}"))?;
    let mut rng = Csprng::check().map_err(|e| format!("entropy: {e}"))?;
    let mut effects = Vec::new();
    for row in rows {
        let Ok(Ticket::TicketGranting(tgt)) = Ticket::from_bytes(row) else {
            continue;
        };
        // This object is the session's: named by the TGT's route.
        let store = WorkerStore::from_env(env, now, loaded.engine.config())?
            .inside(guard_name(&tgt.id), guard);
        let ended = loaded
            .engine
            .expire_session(&store, &mut rng, now, &tgt.id)
            .await
            .map_err(|e| e.to_string())?;
        effects.extend(ended);
    }
    Ok((loaded, effects))
}
