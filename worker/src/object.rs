//! The entry points of the [`TicketGuard`] Durable Object: `fetch` answers a row
//! operation ([`crate::guard`]) or runs a session hand-off ([`crate::session`]); `alarm`
//! deletes expired rows and has the engine end the sessions among them.

use casplus::cas::ticket::Ticket;
use casplus::cas::web::Effect;
use casplus::time::Timestamp;
use worker::{DurableObject, Env, Request, Response, Result, State};

use crate::guard::TicketGuard;
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
        let ended = self.expire(now).await?;
        if !ended.is_empty() {
            sessions_expired(self.env(), &ended, now).await;
        }
        Response::ok("")
    }
}

/// What the engine says ends with these expired TGTs (accounting STOP when TACACS+
/// accounts the session). Failures are logged; the rows are gone either way.
async fn sessions_expired(env: &Env, rows: &[Vec<u8>], now: Timestamp) {
    let loaded = match config::load_any_host(env) {
        Ok(l) => l,
        Err(e) => {
            worker::console_error!("session expiry: configuration: {e}");
            return;
        }
    };
    let ended: Vec<Effect> = rows
        .iter()
        .filter_map(|r| match Ticket::from_bytes(r) {
            Ok(Ticket::TicketGranting(tgt)) => loaded.engine.expired_session(&tgt, now),
            _ => None,
        })
        .collect();
    effects::perform(env, &loaded, "alarm", ended).await;
}
