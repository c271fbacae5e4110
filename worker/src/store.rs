//! The engine's [`Store`] on Workers KV and the [`TicketGuard`](crate::guard) Durable
//! Object. See docs/tickets.md for the design and its consistency model:
//!
//! | what | where | why |
//! |---|---|---|
//! | `ST-`, `PT-` | the session's guard object (named by the ids' route) | `take` must be atomic (single use) and a fresh ticket must be visible everywhere at once |
//! | `LT-`, once used (a form stores nothing) | the guard object of the session route the ticket reserved | `put_new` must be atomic (spent once, §3.5.1); the login's session then lives in the same object |
//! | ids without a route | a guard object named by the ticket id | the same, outside a session |
//! | `TGT-` | the session's guard object | rewritten at every ticket it issues (service list for single logout, last use): strongly consistent, no KV write per ticket (KV takes about one write per second per key) |
//! | `PGT-` records | KV, key = ticket id, expiring with the ticket (≥ 60 s) | written once, read-mostly, read where the proxying service is |
//! | `TGT-`, `PGT-` revocation | the session's guard object | logout must hold everywhere at once, whatever KV still serves |
//! | throttle counters | guard object named by the counter key | read-modify-write must be atomic |
//!
//! One object per session rather than per ticket: a ticket then costs a call to an object
//! that is already running (and whose alarm is already set) instead of creating one.
//!
//! Which row operations may create an object's storage is decided in one place,
//! [`GuardRequest::may_store`]: reads of made-up ids (get, take, is-revoked, a throttle
//! read, a delete) find nothing and store nothing ([`crate::guard`]).

use std::cell::OnceCell;

use casplus::cas::engine::EngineConfig;
use casplus::cas::store::{Store, StoreError};
use casplus::cas::stored::{self, StoredFormError};
use casplus::cas::throttle::{ThrottleState, ThrottleUpdate, Verdict};
use casplus::cas::ticket::{Ticket, TicketId, TicketKind};
use casplus::time::Timestamp;
use worker::js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::Response;
use worker::worker_sys::DurableObject;
use worker::{Env, KvStore, ObjectNamespace};

use crate::faults::Faults;
use crate::guard::{GuardReply, GuardRequest, TicketGuard};

/// Where a ticket kind lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Home {
    /// In its own guard object (single use).
    Guard,
    /// In KV, with a revocation mark in its guard object.
    Kv,
}

/// Where tickets of `kind` are kept.
pub fn home(kind: TicketKind) -> Home {
    match kind {
        TicketKind::ProxyGranting | TicketKind::ProxyGrantingIou => Home::Kv,
        // The TGT is rewritten at every ticket it issues (its service list for single
        // logout, its last use for the idle timeout): it lives with its session's tickets.
        TicketKind::TicketGranting
        | TicketKind::Service
        | TicketKind::Proxy
        | TicketKind::Login => Home::Guard,
    }
}

/// KV's smallest expiration distance, seconds.
pub const KV_MIN_TTL_SECONDS: i64 = 60;

/// The absolute KV expiration (seconds since the epoch) for a record the engine lets go
/// at `expires_at`: never sooner than KV allows, never before the engine is done with it.
pub fn kv_expiration(now: Timestamp, expires_at: Timestamp) -> u64 {
    let at_least = now.as_secs().saturating_add(KV_MIN_TTL_SECONDS + 1);
    let wanted = expires_at.as_secs().saturating_add(1);
    u64::try_from(at_least.max(wanted)).unwrap_or(u64::MAX)
}

/// The guard object that holds `id` (or its revocation mark): its session's object when
/// the id carries a route, else its own.
pub fn guard_name(id: &TicketId) -> String {
    match id.route() {
        Some(route) => format!("session-{route}"),
        None => id.as_str().to_owned(),
    }
}

/// The URL of a row operation in a call to a guard object ([`GuardRequest`]).
pub const ROWS_URL: &str = "https://guard/";

/// How long to wait before the one retry of a failed KV write.
pub const KV_RETRY_DELAY: std::time::Duration = std::time::Duration::from_millis(1100);

/// The KV namespace of the tickets ([`KV_BINDING`]): workers-rs's store for reads and
/// deletes, and the binding's own `put`, called with `{ expiration }` — workers-rs
/// serialises its put options (a `serde_json::Value` for metadata among them) through
/// serde, code the Worker needs nowhere else (bench/RESULTS.md "Worker").
struct Kv {
    store: KvStore,
    binding: JsValue,
    put: Function,
}

/// The KV namespace binding of the tickets (`wrangler.toml`).
pub const KV_BINDING: &str = "TICKETS";
/// The Durable Object namespace binding of the guards (`wrangler.toml`).
pub const GUARD_BINDING: &str = "GUARD";

/// The store of one request.
pub struct WorkerStore<'g> {
    env: Env,
    /// The KV namespace, looked up at its first use: most requests never reach KV (an SSO,
    /// a validation without a proxy callback, a login form).
    kv: OnceCell<Kv>,
    /// The guard objects' namespace, looked up at the first call through a stub (a store
    /// inside a session's object mostly calls that object in place).
    guard: OnceCell<ObjectNamespace>,
    now: Timestamp,
    revocation_seconds: i64,
    /// The guard object this store runs inside (a [`crate::session::SessionRequest`]), if any: calls to it
    /// are made in place, synchronously, instead of through its stub.
    local: Option<(String, &'g TicketGuard)>,
    /// The injected faults of this request (test only, [`crate::faults`]; none in normal
    /// operation): checked first by every [`Store`] operation.
    faults: Faults,
}

fn unavailable(what: &str, e: impl core::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("{what}: {e}"))
}

impl Kv {
    /// The [`KV_BINDING`] namespace of `env`.
    fn of(env: &Env) -> Result<Self, String> {
        let store = env.kv(KV_BINDING).map_err(|e| e.to_string())?;
        let binding = Reflect::get(env, &JsValue::from_str(KV_BINDING))
            .map_err(|_| format!("no binding {KV_BINDING}"))?;
        let put = Reflect::get(&binding, &JsValue::from_str("put"))
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| format!("{KV_BINDING}.put is not a function"))?;
        Ok(Self {
            store,
            binding,
            put,
        })
    }
}

impl<'g> WorkerStore<'g> {
    /// A store over the [`KV_BINDING`] namespace and the [`GUARD_BINDING`] objects of
    /// `env` (each looked up at its first use: a missing binding fails that operation), for
    /// a request at `now` (used to compute KV expirations and revocation lifetimes).
    pub fn from_env(env: &Env, now: Timestamp, config: &EngineConfig) -> Self {
        Self {
            env: env.clone(),
            kv: OnceCell::new(),
            guard: OnceCell::new(),
            now,
            revocation_seconds: config.tickets.revocation_seconds(),
            local: None,
            faults: Faults::none(),
        }
    }

    /// The KV namespace ([`Self::kv`]).
    fn kv(&self) -> Result<&Kv, StoreError> {
        if let Some(kv) = self.kv.get() {
            return Ok(kv);
        }
        let kv = Kv::of(&self.env).map_err(|e| unavailable("kv", e))?;
        Ok(self.kv.get_or_init(|| kv))
    }

    /// The guard objects' namespace ([`Self::guard`]).
    fn guard(&self) -> Result<&ObjectNamespace, StoreError> {
        if let Some(guard) = self.guard.get() {
            return Ok(guard);
        }
        let guard = self
            .env
            .durable_object(GUARD_BINDING)
            .map_err(|e| unavailable("guard namespace", e))?;
        Ok(self.guard.get_or_init(|| guard))
    }

    /// The same store, failing as `faults` says (test only, [`crate::faults`]).
    pub fn with_faults(self, faults: Faults) -> Self {
        Self { faults, ..self }
    }

    /// The same store, running inside the guard object `name` (`guard`): what it keeps is
    /// read and written in place.
    pub fn inside(self, name: String, guard: &'g TicketGuard) -> Self {
        Self {
            local: Some((name, guard)),
            ..self
        }
    }

    /// One row operation on the guard object `name` (never logged: it may be a ticket
    /// id), made in place when this store runs inside that object.
    async fn call(
        &self,
        name: &str,
        request: &GuardRequest,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some((own, guard)) = &self.local
            && own == name
        {
            return guard
                .handle(request.clone())
                .await
                .map(|reply| reply.value)
                .map_err(|e| unavailable("guard", e));
        }
        let body = stored::encode(request).map_err(|e| unavailable("guard request", e))?;
        let bytes = self.post(name, ROWS_URL, body).await?;
        let reply: GuardReply =
            stored::decode(&bytes).map_err(|e| StoreError::Corrupt(format!("guard reply: {e}")))?;
        Ok(reply.value)
    }

    /// POSTs `body` to `url` of the guard object `name` and returns the answer's body
    /// (a row operation at [`ROWS_URL`], a session hand-off at [`crate::session::URL`]).
    pub async fn post(&self, name: &str, url: &str, body: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        // Through the runtime's own stub, request and response: workers-rs's `Response`
        // would read the answer as a stream, chunk by chunk (bench/RESULTS.md, issue 16).
        let stub: DurableObject = self
            .guard()?
            .get_by_name(name)
            .map_err(|e| unavailable("guard stub", e))?
            .into_rpc();
        let body = Uint8Array::from(body.as_slice()).into();
        let req =
            crate::outbound::raw_request(url, "POST", Some(("application/octet-stream", &body)))
                .map_err(|e| unavailable("guard request", e))?;
        let answer = async {
            let resp: Response = JsFuture::from(stub.fetch_with_request(&req)?)
                .await?
                .unchecked_into();
            let status = resp.status();
            let bytes = JsFuture::from(resp.array_buffer()?).await?;
            Ok::<_, JsValue>((status, Uint8Array::new(&bytes).to_vec()))
        };
        let (status, bytes) = answer
            .await
            .map_err(|e| unavailable("guard", worker::Error::from(e)))?;
        if status != 200 {
            return Err(StoreError::Unavailable(format!(
                "guard answered HTTP {status}: {}",
                String::from_utf8_lossy(&bytes)
            )));
        }
        Ok(bytes)
    }

    async fn kv_put(&self, id: &TicketId, bytes: &[u8], expiration: u64) -> Result<(), StoreError> {
        let options = Object::new();
        // Seconds since the epoch: exact in an f64 for every date KV accepts.
        #[allow(clippy::cast_precision_loss)]
        let expiration = JsValue::from_f64(expiration as f64);
        Reflect::set(&options, &JsValue::from_str("expiration"), &expiration)
            .map_err(|_| unavailable("kv put", "options"))?;
        let value = Uint8Array::from(bytes);
        let key = JsValue::from_str(id.as_str());
        let kv = self.kv()?;
        let promise = kv
            .put
            .call3(&kv.binding, &key, &value, &options)
            .map_err(|e| unavailable("kv put", format!("{e:?}")))?;
        JsFuture::from(Promise::from(promise))
            .await
            .map(|_| ())
            .map_err(|e| unavailable("kv put", format!("{e:?}")))
    }

    /// Marks a `TGT-`/`PGT-` id revoked and deletes it (strongly consistent), and deletes
    /// any KV record of it. Idempotent; used by [`Store::delete`] and by logout for the
    /// ids a cookie presents.
    async fn revoke(&self, id: &TicketId) -> Result<(), StoreError> {
        let exp = self.now.plus_secs(self.revocation_seconds).0;
        let request = GuardRequest::Revoke {
            id: id.as_str().to_owned(),
            exp,
        };
        self.call(&guard_name(id), &request).await?;
        self.kv()?
            .store
            .delete(id.as_str())
            .await
            .map_err(|e| unavailable("kv delete", e))
    }
}

fn corrupt(e: StoredFormError) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn parse_ticket(id: &TicketId, bytes: &[u8]) -> Result<Ticket, StoreError> {
    let t = Ticket::from_bytes(bytes).map_err(corrupt)?;
    if t.id() != id {
        return Err(StoreError::Corrupt(
            "record stored under another id".to_owned(),
        ));
    }
    Ok(t)
}

impl Store for WorkerStore<'_> {
    async fn put(&self, ticket: &Ticket, expires_at: Timestamp) -> Result<(), StoreError> {
        self.faults.check("put", Some(ticket.kind()))?;
        let id = ticket.id();
        let bytes = ticket.to_bytes().map_err(corrupt)?;
        match home(id.kind()) {
            Home::Guard => {
                let request = GuardRequest::Put {
                    id: id.as_str().to_owned(),
                    value: bytes,
                    exp: expires_at.0,
                };
                self.call(&guard_name(id), &request).await.map(|_| ())
            }
            Home::Kv => {
                let expiration = kv_expiration(self.now, expires_at);
                // KV accepts about one write per second to a key (a PGT is rewritten when
                // it issues a proxy ticket): try once more after the limit's window
                // before calling it a fault.
                if self.kv_put(id, &bytes, expiration).await.is_ok() {
                    return Ok(());
                }
                worker::Delay::from(KV_RETRY_DELAY).await;
                self.kv_put(id, &bytes, expiration).await
            }
        }
    }

    async fn put_all(&self, tickets: &[(&Ticket, Timestamp)]) -> Result<(), StoreError> {
        for (ticket, _) in tickets {
            self.faults.check("put", Some(ticket.kind()))?;
        }
        let name = tickets.first().map(|(t, _)| guard_name(t.id()));
        let together = tickets
            .iter()
            .all(|(t, _)| home(t.kind()) == Home::Guard && Some(guard_name(t.id())) == name);
        match name {
            // One session's tickets: one call, written atomically by the object.
            Some(name) if together => {
                let items = tickets
                    .iter()
                    .map(|(t, exp)| Ok((t.id().as_str().to_owned(), t.to_bytes()?, exp.0)))
                    .collect::<Result<_, StoredFormError>>()
                    .map_err(corrupt)?;
                self.call(&name, &GuardRequest::PutAll { items })
                    .await
                    .map(|_| ())
            }
            _ => {
                for (ticket, expires_at) in tickets {
                    self.put(ticket, *expires_at).await?;
                }
                Ok(())
            }
        }
    }

    async fn put_new(&self, ticket: &Ticket, expires_at: Timestamp) -> Result<bool, StoreError> {
        self.faults.check("put_new", Some(ticket.kind()))?;
        let id = ticket.id();
        if home(id.kind()) == Home::Kv {
            // KV has no atomic insert; only guard-kept kinds (the login ticket) are
            // stored once-only.
            return Err(StoreError::Unavailable(format!(
                "{} tickets cannot be stored once-only in KV",
                id.kind().prefix()
            )));
        }
        let request = GuardRequest::PutNew {
            id: id.as_str().to_owned(),
            value: ticket.to_bytes().map_err(corrupt)?,
            exp: expires_at.0,
        };
        Ok(self.call(&guard_name(id), &request).await?.is_some())
    }

    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.faults.check("get", Some(id.kind()))?;
        let bytes = match home(id.kind()) {
            Home::Guard => {
                let request = GuardRequest::Get {
                    id: id.as_str().to_owned(),
                };
                self.call(&guard_name(id), &request).await?
            }
            Home::Kv => {
                // The record from KV and the revocation mark from the guard, together.
                let (record, revoked) = futures_util::future::join(
                    self.kv()?.store.get(id.as_str()).bytes(),
                    self.call(
                        &guard_name(id),
                        &GuardRequest::IsRevoked {
                            id: id.as_str().to_owned(),
                        },
                    ),
                )
                .await;
                let record = record.map_err(|e| unavailable("kv get", e))?;
                if revoked?.is_some() {
                    return Ok(None);
                }
                record
            }
        };
        bytes.map(|b| parse_ticket(id, &b)).transpose()
    }

    async fn take(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.faults.check("take", Some(id.kind()))?;
        match home(id.kind()) {
            Home::Guard => self
                .call(
                    &guard_name(id),
                    &GuardRequest::Take {
                        id: id.as_str().to_owned(),
                    },
                )
                .await?
                .map(|b| parse_ticket(id, &b))
                .transpose(),
            // Not single-use kinds: the engine never takes them. Best effort.
            Home::Kv => {
                let t = self.get(id).await?;
                self.revoke(id).await?;
                Ok(t)
            }
        }
    }

    async fn delete(&self, id: &TicketId) -> Result<(), StoreError> {
        self.faults.check("delete", Some(id.kind()))?;
        match (id.kind(), home(id.kind())) {
            // Ending a session or a proxy grant is a revocation: it holds everywhere at
            // once and nothing can write the ticket back.
            (TicketKind::TicketGranting | TicketKind::ProxyGranting, _) | (_, Home::Kv) => {
                self.revoke(id).await
            }
            (_, Home::Guard) => self
                .call(
                    &guard_name(id),
                    &GuardRequest::Delete {
                        id: id.as_str().to_owned(),
                    },
                )
                .await
                .map(|_| ()),
        }
    }

    async fn throttle(&self, key: &str) -> Result<Option<ThrottleState>, StoreError> {
        self.faults.check("throttle", None)?;
        self.call(key, &GuardRequest::Throttle)
            .await?
            .map(|b| stored::decode(&b).map_err(corrupt))
            .transpose()
    }

    async fn update_throttle(
        &self,
        key: &str,
        update: &ThrottleUpdate,
    ) -> Result<Verdict, StoreError> {
        self.faults.check("update_throttle", None)?;
        let reply = self
            .call(key, &GuardRequest::UpdateThrottle { update: *update })
            .await?
            .ok_or_else(|| StoreError::Corrupt("throttle update without a verdict".into()))?;
        stored::decode(&reply).map_err(corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_use_kinds_live_in_the_guard() {
        assert_eq!(home(TicketKind::Service), Home::Guard);
        assert_eq!(home(TicketKind::Proxy), Home::Guard);
        assert_eq!(home(TicketKind::Login), Home::Guard);
        assert_eq!(home(TicketKind::TicketGranting), Home::Guard);
        assert_eq!(home(TicketKind::ProxyGranting), Home::Kv);
    }

    #[test]
    fn a_session_s_tickets_share_one_guard_object() {
        let mut e = casplus::cas::ticket::DeterministicEntropy::new(5);
        let tgt = TicketId::generate(TicketKind::TicketGranting, &mut e);
        let st = TicketId::generate_in(TicketKind::Service, &mut e, &tgt);
        let pgt = TicketId::generate_in(TicketKind::ProxyGranting, &mut e, &tgt);
        let pt = TicketId::generate_in(TicketKind::Proxy, &mut e, &pgt);
        let name = guard_name(&tgt);
        assert!(name.starts_with("session-"));
        for id in [&st, &pgt, &pt] {
            assert_eq!(guard_name(id), name);
        }
        // Another session, or a login ticket, goes elsewhere; no id is used as a name
        // when it has a route.
        let other = TicketId::generate(TicketKind::TicketGranting, &mut e);
        assert_ne!(guard_name(&other), name);
        let lt = TicketId::generate(TicketKind::Login, &mut e);
        assert_eq!(guard_name(&lt), lt.as_str());
        assert!(!name.contains(tgt.as_str()));
    }

    #[test]
    fn kv_expiration_respects_the_60_s_minimum() {
        let now = Timestamp::from_secs(1_000_000);
        // An ST-like 10 s lifetime still gets KV's minimum.
        assert_eq!(kv_expiration(now, now.plus_secs(10)), 1_000_061);
        // A TGT's 8 h lifetime is kept (rounded up).
        assert_eq!(
            kv_expiration(now, now.plus_secs(8 * 3600).plus_millis(1)),
            1_000_000 + 8 * 3600 + 1
        );
        // Already expired: still a legal expiration.
        assert_eq!(kv_expiration(now, Timestamp(0)), 1_000_061);
    }
}
