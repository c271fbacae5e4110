//! The entry points of the [`TicketGuard`] Durable Object: `fetch` answers a row
//! operation ([`crate::guard`]) or runs a session hand-off ([`crate::session`]); `alarm`
//! has the engine end the expired sessions (like a request that finds one expired), then
//! deletes the expired rows.

use casplus::cas::ticket::Ticket;
use casplus::cas::web::Effect;
use casplus::time::Timestamp;
use worker::{DurableObject, Env, Request, Response, Result, State};

use crate::guard::TicketGuard;
use crate::platform::Csprng;
use crate::store::{WorkerStore, guard_name};
use crate::{body, config, effects, platform, session};

impl DurableObject for TicketGuard {
    fn new(state: State, env: Env) -> Self {
        Self::create(state, env)
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        // From this Worker only (a stub's call): no cap beyond the runtime's.
        let body = body::read(req.inner(), usize::MAX)
            .await?
            .unwrap_or_default();
        if req.inner().url() == session::URL {
            session::serve(self, self.env(), &body).await
        } else {
            self.serve(&body).await
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let now = platform::now();
        let ended = self.expired_sessions(now)?;
        if !ended.is_empty() {
            sessions_expired(self, &ended, now).await;
        }
        self.expire(now).await?;
        Response::ok("")
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
        let store = WorkerStore::from_env(env, now, loaded.engine.config())
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
