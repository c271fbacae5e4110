//! Where tickets and throttle counters live: a trait the adapter implements, and an
//! in-memory implementation for tests, benchmarks and dev mode.
//!
//! # Why an async trait
//!
//! The engine needs the store in the middle of its decisions (take the ST, then maybe
//! read the TGT, then write a PGT), several times per request. Modelling each of those as
//! a `Need` → answer → continue step would turn every endpoint into a hand-written state
//! machine and push bookkeeping into the adapter. Instead the store is an `async` trait:
//! the engine `await`s it and does nothing else that touches the world — no clock, no
//! randomness, no network. The futures are deliberately `?Send`: a Worker's KV and
//! Durable Object calls are `!Send` JS futures, and the engine runs on one thread.
//!
//! The two interactions with *third parties* whose answers are protocol inputs — checking
//! a password (possibly against TACACS+) and calling a `pgtUrl` — are explicit engine
//! steps instead (`LoginStep::Authenticate`, `ValidationStep::ProxyCallback`), and
//! fire-and-forget work (single-logout POSTs) comes back as `Effect`s.
//!
//! # Contract and consistency model
//!
//! - [`Store::take`] MUST be atomic: of any number of concurrent takes of one id, at most
//!   one returns the ticket. This is what makes ST/PT single use (§3.1.1, §3.2.1). So
//!   MUST [`Store::put_new`]: of any number of concurrent calls for one id, at most one
//!   answers `true` — the login ticket's single use (§3.5.1; a login ticket is stored only
//!   when it is used, `engine/login_ticket.rs`). In a Worker, serve `ST-`, `PT-` and `LT-`
//!   ids from a Durable Object (a read-then-write with no `await` between them is atomic
//!   there).
//! - [`Store::get`]/[`Store::put`] of `TGT-` and `PGT-` may be eventually consistent (KV).
//!   Service and proxy tickets carry a snapshot of the authentication, so validating one
//!   never reads the TGT: a fresh ST validates at any location as soon as the Durable Object
//!   has it. A PGT, however, is only honoured while `get` of its TGT returns a live TGT
//!   (§3.3.1: PGTs expire at logout) — an adapter that needs `/proxy` to work within KV's
//!   propagation delay at a *different* location than the login should read TGTs through
//!   the Durable Object too.
//! - `expires_at` is a TTL hint (e.g. KV `expiration_ttl`, at least 60 s there); the engine
//!   judges every snapshot with its own policies, so a store may keep records longer.
//! - [`Store::update_throttle`] MUST apply the update atomically (read, `apply`, write,
//!   answer the verdict): it is the test-and-reserve that bounds concurrent password
//!   checks (`cas::throttle`, "Atomic attempts").
//! - Reads create nothing. [`Store::get`], [`Store::take`] and [`Store::throttle`] are
//!   reached with made-up ids and keys by anyone (a `serviceValidate`, `/proxy`, login or
//!   cookie with a random ticket id): for one never written they MUST answer "not found"
//!   without allocating storage for it (in a Worker: without creating the Durable Object's
//!   table), and so must [`Store::delete`] of a missing ST or PT. Only [`Store::put`],
//!   [`Store::put_all`], [`Store::put_new`], [`Store::update_throttle`] and the revocation of a TGT or PGT
//!   (`delete`; the engine deletes those only after reading them) may store, and what they
//!   store MUST go away by itself after its `expires_at` or revocation lifetime (KV
//!   expiration; a Durable Object alarm that drops the object's storage once it is empty).
//! - Errors are faults (`INTERNAL_ERROR`, HTTP 500), never "not found".
//!
//! Use [`TicketKind::of`](crate::cas::ticket::TicketKind::of) on an id to route it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use thiserror::Error;

use crate::cas::throttle::{ThrottleState, ThrottleUpdate, Verdict};
use crate::cas::ticket::{Ticket, TicketId};
use crate::time::Timestamp;

/// A storage fault.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend failed or is unreachable.
    #[error("ticket store unavailable: {0}")]
    Unavailable(String),
    /// A stored record does not parse.
    #[error("stored record is corrupt: {0}")]
    Corrupt(String),
}

/// Ticket and throttle-counter storage. See the [module docs](self) for the contract.
#[allow(async_fn_in_trait)] // deliberately ?Send: Worker futures are !Send.
pub trait Store {
    /// Stores (or replaces) a ticket under its id; it may be dropped after `expires_at`.
    async fn put(&self, ticket: &Ticket, expires_at: Timestamp) -> Result<(), StoreError>;

    /// Stores several tickets of one session together (a new service ticket, then its
    /// TGT with the updated service list): all or none, so a failure never leaves a
    /// ticket its session does not know (an orphan ST). A store that can write them in one
    /// atomic step should; the default writes them in order and, when one fails, deletes
    /// the ones before it (so list new tickets before updated ones).
    async fn put_all(&self, tickets: &[(&Ticket, Timestamp)]) -> Result<(), StoreError> {
        for (i, (ticket, expires_at)) in tickets.iter().enumerate() {
            if let Err(e) = self.put(ticket, *expires_at).await {
                for (written, _) in tickets.iter().take(i) {
                    // Best effort: the write failure is what the caller must hear about.
                    let _ = self.delete(written.id()).await;
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Stores a ticket under its id unless a ticket is stored there already, in one atomic
    /// step: `true` when this call stored it. At most one caller gets `true` for an id
    /// while its record lasts — how a login ticket is spent (§3.5.1: valid for one
    /// authentication attempt), with the ticket itself as the record of its use.
    async fn put_new(&self, ticket: &Ticket, expires_at: Timestamp) -> Result<bool, StoreError>;

    /// Reads a ticket without consuming it (TGT, PGT).
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError>;

    /// Atomically removes and returns a ticket: at most one caller gets it (ST, PT).
    async fn take(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError>;

    /// Removes a ticket; removing a missing one is not an error.
    async fn delete(&self, id: &TicketId) -> Result<(), StoreError>;

    /// Reads a throttle counter.
    async fn throttle(&self, key: &str) -> Result<Option<ThrottleState>, StoreError>;

    /// Atomically replaces the counter under `key` with the state of
    /// `update.apply(current)` (deleting it on `None`) and returns the verdict of it.
    async fn update_throttle(
        &self,
        key: &str,
        update: &ThrottleUpdate,
    ) -> Result<Verdict, StoreError>;
}

/// An in-memory [`Store`] (tests, benchmarks, the Worker's dev mode). Thread-safe; every
/// operation is atomic under one lock.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tickets: Mutex<HashMap<String, (Ticket, Timestamp)>>,
    throttle: Mutex<HashMap<String, ThrottleState>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored tickets.
    pub fn len(&self) -> usize {
        lock(&self.tickets).len()
    }

    /// `true` when no ticket is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a ticket with this id is stored.
    pub fn contains(&self, id: &TicketId) -> bool {
        lock(&self.tickets).contains_key(id.as_str())
    }

    /// A copy of a stored ticket (inspection in tests).
    pub fn peek(&self, id: &TicketId) -> Option<Ticket> {
        lock(&self.tickets).get(id.as_str()).map(|(t, _)| t.clone())
    }

    /// Drops every ticket whose `expires_at` hint is at or before `now`.
    pub fn purge(&self, now: Timestamp) {
        lock(&self.tickets).retain(|_, (_, exp)| *exp > now);
    }
}

impl Store for MemoryStore {
    async fn put(&self, ticket: &Ticket, expires_at: Timestamp) -> Result<(), StoreError> {
        lock(&self.tickets).insert(
            ticket.id().as_str().to_owned(),
            (ticket.clone(), expires_at),
        );
        Ok(())
    }

    async fn put_all(&self, tickets: &[(&Ticket, Timestamp)]) -> Result<(), StoreError> {
        let mut map = lock(&self.tickets);
        for (ticket, expires_at) in tickets {
            map.insert(
                ticket.id().as_str().to_owned(),
                ((*ticket).clone(), *expires_at),
            );
        }
        Ok(())
    }

    async fn put_new(&self, ticket: &Ticket, expires_at: Timestamp) -> Result<bool, StoreError> {
        let mut map = lock(&self.tickets);
        let key = ticket.id().as_str();
        if map.contains_key(key) {
            return Ok(false);
        }
        map.insert(key.to_owned(), (ticket.clone(), expires_at));
        Ok(true)
    }

    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        Ok(self.peek(id))
    }

    async fn take(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        Ok(lock(&self.tickets).remove(id.as_str()).map(|(t, _)| t))
    }

    async fn delete(&self, id: &TicketId) -> Result<(), StoreError> {
        lock(&self.tickets).remove(id.as_str());
        Ok(())
    }

    async fn throttle(&self, key: &str) -> Result<Option<ThrottleState>, StoreError> {
        Ok(lock(&self.throttle).get(key).copied())
    }

    async fn update_throttle(
        &self,
        key: &str,
        update: &ThrottleUpdate,
    ) -> Result<Verdict, StoreError> {
        let mut map = lock(&self.throttle);
        let (next, verdict) = update.apply(map.get(key).copied());
        match next {
            Some(s) => map.insert(key.to_owned(), s),
            None => map.remove(key),
        };
        Ok(verdict)
    }
}

/// Polls `future` once and returns its output if it is ready.
///
/// Engine calls against a store whose futures never wait (like [`MemoryStore`]) complete
/// on the first poll, so tests, benchmarks and synchronous callers need no executor.
pub fn now_or_never<F: Future>(future: F) -> Option<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::cas::ticket::{DeterministicEntropy, LoginPurpose, LoginTicket, TicketKind};

    fn lt(e: &mut DeterministicEntropy) -> Ticket {
        Ticket::Login(LoginTicket {
            id: TicketId::generate(TicketKind::Login, e),
            purpose: LoginPurpose::Credentials,
            service: None,
            created_at: Timestamp(0),
        })
    }

    #[test]
    fn take_is_once() {
        let s = MemoryStore::new();
        let mut e = DeterministicEntropy::new(1);
        let t = lt(&mut e);
        now_or_never(s.put(&t, Timestamp(10))).unwrap().unwrap();
        assert_eq!(
            now_or_never(s.get(t.id())).unwrap().unwrap(),
            Some(t.clone())
        );
        assert_eq!(
            now_or_never(s.take(t.id())).unwrap().unwrap(),
            Some(t.clone())
        );
        assert_eq!(now_or_never(s.take(t.id())).unwrap().unwrap(), None);
        assert!(s.is_empty());
    }

    #[test]
    fn take_is_once_across_threads() {
        let s = std::sync::Arc::new(MemoryStore::new());
        let mut e = DeterministicEntropy::new(2);
        let t = lt(&mut e);
        now_or_never(s.put(&t, Timestamp(10))).unwrap().unwrap();
        let winners: usize = (0..8)
            .map(|_| {
                let s = s.clone();
                let id = t.id().clone();
                std::thread::spawn(move || now_or_never(s.take(&id)).unwrap().unwrap().is_some())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| usize::from(h.join().unwrap()))
            .sum();
        assert_eq!(winners, 1);
    }

    #[test]
    fn put_new_stores_once_across_threads_3_5_1() {
        let s = std::sync::Arc::new(MemoryStore::new());
        let mut e = DeterministicEntropy::new(4);
        let t = lt(&mut e);
        let winners: usize = (0..8)
            .map(|_| {
                let (s, t) = (s.clone(), t.clone());
                std::thread::spawn(move || now_or_never(s.put_new(&t, Timestamp(10))).unwrap())
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| usize::from(h.join().unwrap().unwrap()))
            .sum();
        assert_eq!(winners, 1);
        assert_eq!(now_or_never(s.get(t.id())).unwrap().unwrap(), Some(t));
    }

    #[test]
    fn purge_and_throttle() {
        let s = MemoryStore::new();
        let mut e = DeterministicEntropy::new(3);
        let t = lt(&mut e);
        now_or_never(s.put(&t, Timestamp(10))).unwrap().unwrap();
        s.purge(Timestamp(9));
        assert!(s.contains(t.id()));
        s.purge(Timestamp(10));
        assert!(!s.contains(t.id()));
        let p = crate::cas::throttle::ThrottlePolicy::default();
        let key = crate::cas::throttle::ThrottleKey::Address("k".into());
        let u = |op| p.update(op, &key, Timestamp(0));
        use crate::cas::throttle::ThrottleOp;
        let v = now_or_never(s.update_throttle("k", &u(ThrottleOp::Attempt)))
            .unwrap()
            .unwrap();
        assert_eq!(v, Verdict::Allowed);
        now_or_never(s.update_throttle("k", &u(ThrottleOp::Failure)))
            .unwrap()
            .unwrap();
        let st = now_or_never(s.throttle("k")).unwrap().unwrap();
        assert_eq!(st.map(|x| (x.failures, x.pending)), Some((1, 0)));
        now_or_never(s.update_throttle("k", &u(ThrottleOp::Reset)))
            .unwrap()
            .unwrap();
        assert_eq!(now_or_never(s.throttle("k")).unwrap().unwrap(), None);
    }
}
