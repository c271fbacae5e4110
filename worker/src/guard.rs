//! `TicketGuard`: the SQLite-backed Durable Object that makes single use and revocation
//! strongly consistent.
//!
//! One object per *name*; the store names them (see docs/tickets.md, "Where tickets live, and
//! why"): one per SSO session (its tickets' route, [`TicketId::route`]) holding the
//! session's TGT, its service and proxy tickets, the revocation marks of its TGT and
//! PGTs and the spent login ticket that opened it; one per ticket without a route; one
//! per throttle key. An object holds rows
//! `entry(k, v, exp)` keyed by [`ticket_key`]/[`revoked_key`]/[`THROTTLE`]; every operation
//! is one or two synchronous SQL statements with no `await` in between, so it is atomic —
//! in particular two concurrent `take`s of one id can never both see the row (a take is one
//! `DELETE … RETURNING`, a write of tickets one `INSERT … WHERE NOT EXISTS` their
//! revocation marks). Values are opaque bytes: the core's stored form
//! ([`casplus::cas::stored`]).
//!
//! # Storage is created by writes only, and always cleaned
//!
//! Anyone can make the Worker reach an object: a `serviceValidate`, `/proxy`, login or
//! cookie with a made-up ticket id names one. So an object's storage (its table) is
//! created only when a row is written, and every row written sets the alarm for its `exp`:
//!
//! - [`GuardRequest::may_store`] is the one list of the requests that may write; the
//!   others (get, take, delete, is-revoked, the throttle read) answer "not found" when the
//!   object has no table, without creating it;
//! - the table is created by the row writes themselves (each writing statement is preceded
//!   by `ensure_schema`), which every request follows with `schedule(exp)`;
//! - the alarm deletes the rows whose `exp` has passed, points itself at the next one (at
//!   whole seconds: [`ALARM_STEP_MS`]), and drops the object's storage (table and alarm)
//!   once nothing is left.
//!
//! So an object a read-only request reaches stores nothing, and one that stores something
//! is emptied and dropped by its alarm once its last row expires.
//!
//! The protocol is a [`GuardRequest`] POSTed to the object, answered by a [`GuardReply`],
//! both in the stored form (version byte + postcard). A session object also runs the
//! `/login` and `/logout` requests of its session ([`crate::session`]); the object's
//! entry points (`fetch`, `alarm`) are in [`crate::object`].
//!
//! [`TicketId::route`]: casplus::cas::ticket::TicketId::route

#![allow(missing_docs)] // `#[durable_object]` generates undocumented glue.

use casplus::cas::stored;
use casplus::cas::throttle::{ThrottleState, ThrottleUpdate};
use casplus::cas::ticket::TicketKind;
use casplus::time::Timestamp;
use serde::{Deserialize, Serialize};
use worker::{Env, Response, Result, SqlStorage, SqlStorageValue, State, durable_object};

/// The alarm fires at whole steps of this many milliseconds: every row expiring within one
/// step is deleted by one run. Without it a session object issuing tickets faster than they
/// expire (each unvalidated ST lives 10 s) had its alarm fire again for each next row, a few
/// milliseconds later: as many alarm runs as tickets (bench/RESULTS.md, issue 16 step 5).
/// Rows are only cleaned up later by at most this much; the engine judges every ticket it
/// reads by its own expiry, and a session that ends unseen is ended (single logout,
/// accounting) at most this much later.
pub const ALARM_STEP_MS: i64 = 1000;

/// When the alarm for a row expiring at `exp` fires: the end of `exp`'s step.
pub const fn alarm_time(exp: i64) -> i64 {
    match exp.checked_add(ALARM_STEP_MS - 1) {
        Some(t) => t - t.rem_euclid(ALARM_STEP_MS),
        None => i64::MAX,
    }
}

/// Row key of a stored ticket.
pub fn ticket_key(id: &str) -> String {
    format!("t:{id}")
}

/// Row key of a ticket's revocation mark.
pub fn revoked_key(id: &str) -> String {
    format!("r:{id}")
}

/// Row key of a throttle counter (its object is named by the throttle key).
pub const THROTTLE: &str = "throttle";

/// The SQL `LIKE` pattern of the row keys of tickets of `kind`: its key prefix, from the
/// kind's id prefix ([`TicketKind::prefix`]; none holds `%` or `_`).
pub fn ticket_key_pattern(kind: TicketKind) -> String {
    format!("{}%", ticket_key(kind.prefix()))
}

/// What a caller asks of a guard object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GuardRequest {
    /// Store (or replace) the ticket `value` under `id` until `exp`.
    Put {
        /// The ticket id.
        id: String,
        /// The ticket's stored form ([`Ticket::to_bytes`]).
        value: Vec<u8>,
        /// When it may be dropped (ms since the epoch).
        exp: i64,
    },
    /// Store several tickets at once, all or none (none when one of the ids is revoked).
    PutAll {
        /// `(id, stored ticket, exp)` for each ticket.
        items: Vec<(String, Vec<u8>, i64)>,
    },
    /// Store the ticket `value` under `id` until `exp` unless a ticket is stored there
    /// already; the reply is a value when this request stored it (a login ticket spent,
    /// §3.5.1).
    PutNew {
        /// The ticket id.
        id: String,
        /// The ticket's stored form ([`Ticket::to_bytes`]).
        value: Vec<u8>,
        /// When it may be dropped (ms since the epoch).
        exp: i64,
    },
    /// Read a ticket.
    Get {
        /// The ticket id.
        id: String,
    },
    /// Read and delete a ticket atomically.
    Take {
        /// The ticket id.
        id: String,
    },
    /// Delete a ticket.
    Delete {
        /// The ticket id.
        id: String,
    },
    /// Mark a ticket id revoked until `exp` (and delete the ticket if stored here).
    Revoke {
        /// The ticket id.
        id: String,
        /// When the mark may be dropped.
        exp: i64,
    },
    /// Is a ticket id revoked?
    IsRevoked {
        /// The ticket id.
        id: String,
    },
    /// Read the throttle counter.
    Throttle,
    /// Apply `update` to the throttle counter atomically; the reply is its
    /// [`Verdict`](casplus::cas::throttle::Verdict) (an attempt's test-and-reserve).
    UpdateThrottle {
        /// The change.
        update: ThrottleUpdate,
    },
}

impl GuardRequest {
    /// Whether this request may write a row (and so create the object's storage and set
    /// its alarm). The others only read or delete: on an object with no table they answer
    /// "not found" and create nothing (see the module docs). The one place that says which
    /// is which: a new request must be sorted here.
    pub const fn may_store(&self) -> bool {
        match self {
            Self::Put { .. }
            | Self::PutAll { .. }
            | Self::PutNew { .. }
            | Self::Revoke { .. }
            | Self::UpdateThrottle { .. } => true,
            Self::Get { .. }
            | Self::Take { .. }
            | Self::Delete { .. }
            | Self::IsRevoked { .. }
            | Self::Throttle => false,
        }
    }
}

/// The answer: a stored value (a ticket, a throttle counter, a revocation mark) or none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardReply {
    /// The value, if any.
    pub value: Option<Vec<u8>>,
}

/// The Durable Object class bound as `GUARD`.
#[durable_object]
pub struct TicketGuard {
    state: State,
    env: Env,
    /// When the alarm is set to fire, as far as this instance knows.
    alarm: std::cell::Cell<Option<i64>>,
    /// Whether the table is known to exist (created or seen by this instance since its last
    /// `delete_all`).
    schema: std::cell::Cell<bool>,
}

fn sql_err(e: &worker::Error) -> String {
    e.to_string()
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS entries (k TEXT PRIMARY KEY, v BLOB NOT NULL, exp INTEGER NOT NULL)";

/// Lists the table if it exists (SQLite's own catalogue; reading it creates nothing).
const HAS_TABLE: &str = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'entries'";

/// Whether a statement with `RETURNING` returned rows. Reads them all: a statement whose
/// cursor is left unfinished is still in progress, and the object's transaction cannot
/// commit (`SQLITE_BUSY`).
fn returned_rows(cursor: &worker::SqlCursor) -> bool {
    cursor.raw().count() > 0
}

/// The first column of each row of `cursor` that is a blob.
fn blobs(cursor: &worker::SqlCursor) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    for row in cursor.raw() {
        if let Some(SqlStorageValue::Blob(v)) = row?.into_iter().next() {
            out.push(v);
        }
    }
    Ok(out)
}

impl TicketGuard {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    /// Whether the object has its table: asks storage only until it is known to (creating
    /// nothing).
    fn has_table(&self) -> Result<bool> {
        if !self.schema.get() && self.sql().exec(HAS_TABLE, None)?.raw().next().is_some() {
            self.schema.set(true);
        }
        Ok(self.schema.get())
    }

    /// Creates the table if needed: before the first row is written, and again after
    /// `delete_all` dropped it while this instance stayed in memory. Only `write` calls it.
    fn ensure_schema(&self) -> Result<()> {
        if !self.schema.get() {
            self.sql().exec(SCHEMA, None)?;
            self.schema.set(true);
        }
        Ok(())
    }

    fn read(&self, k: &str) -> Result<Option<Vec<u8>>> {
        if !self.has_table()? {
            return Ok(None);
        }
        let cursor = self
            .sql()
            .exec("SELECT v FROM entries WHERE k = ?", vec![k.into()])?;
        Ok(blobs(&cursor)?.into_iter().next())
    }

    /// Writes a row, creating the table if needed. The caller then sets the alarm for
    /// `exp` ([`Self::schedule`]).
    fn write(&self, k: &str, v: &[u8], exp: i64) -> Result<()> {
        self.ensure_schema()?;
        self.sql().exec(
            "INSERT OR REPLACE INTO entries (k, v, exp) VALUES (?, ?, ?)",
            vec![k.into(), v.to_vec().into(), SqlStorageValue::from(exp)],
        )?;
        Ok(())
    }

    /// Writes the tickets `items` (`(id, stored ticket, exp)`) unless one of their ids
    /// has a revocation mark here: all or none, in one statement (a statement is atomic
    /// on its own, and there is no `await` around it), creating the table if needed.
    /// Whether they were written; the caller then sets the alarm.
    fn write_unless_revoked(&self, items: &[(String, Vec<u8>, i64)]) -> Result<bool> {
        if items.is_empty() {
            return Ok(false);
        }
        self.ensure_schema()?;
        let mut query = String::from(
            "INSERT OR REPLACE INTO entries (k, v, exp) SELECT * FROM (VALUES (?, ?, ?)",
        );
        query.push_str(&", (?, ?, ?)".repeat(items.len() - 1));
        query.push_str(") WHERE NOT EXISTS (SELECT 1 FROM entries WHERE k IN (?");
        query.push_str(&", ?".repeat(items.len() - 1));
        query.push_str(")) RETURNING 1");
        let mut bindings = Vec::with_capacity(items.len() * 4);
        for (id, value, exp) in items {
            bindings.push(ticket_key(id).into());
            bindings.push(value.clone().into());
            bindings.push(SqlStorageValue::from(*exp));
        }
        bindings.extend(items.iter().map(|(id, _, _)| revoked_key(id).into()));
        Ok(returned_rows(&self.sql().exec(&query, bindings)?))
    }

    /// Writes the row `k` unless it exists, in one statement (of concurrent writes of one
    /// row, one stores), creating the table if needed. Whether it was written; the caller
    /// then sets the alarm.
    fn write_new(&self, k: &str, v: Vec<u8>, exp: i64) -> Result<bool> {
        self.ensure_schema()?;
        let cursor = self.sql().exec(
            "INSERT OR IGNORE INTO entries (k, v, exp) VALUES (?, ?, ?) RETURNING 1",
            vec![k.into(), v.into(), SqlStorageValue::from(exp)],
        )?;
        Ok(returned_rows(&cursor))
    }

    /// Deletes the row `k` and answers its value, in one statement (of concurrent takes
    /// of one row, one gets it).
    fn take(&self, k: &str) -> Result<Option<Vec<u8>>> {
        let cursor = self.sql().exec(
            "DELETE FROM entries WHERE k = ? RETURNING v",
            vec![k.into()],
        )?;
        Ok(blobs(&cursor)?.into_iter().next())
    }

    fn remove(&self, k: &str) -> Result<()> {
        if self.has_table()? {
            self.sql()
                .exec("DELETE FROM entries WHERE k = ?", vec![k.into()])?;
        }
        Ok(())
    }

    /// Makes sure the alarm fires at the end of `exp`'s [`ALARM_STEP_MS`] step (a row was
    /// just written that expires then). The alarm time is remembered, so a busy session
    /// object does not ask storage for it at every ticket.
    async fn schedule(&self, exp: i64) -> Result<()> {
        let exp = alarm_time(exp);
        if self.alarm.get().is_some_and(|at| at <= exp) {
            return Ok(());
        }
        let storage = self.state.storage();
        let current = match self.alarm.get() {
            Some(at) => Some(at),
            None => storage.get_alarm().await?,
        };
        match current {
            Some(at) if at <= exp => self.alarm.set(Some(at)),
            _ => {
                // `set_alarm` takes an i64 as an offset from now, not an instant.
                let offset = exp.saturating_sub(crate::platform::now().0).max(0);
                storage
                    .set_alarm(std::time::Duration::from_millis(
                        u64::try_from(offset).unwrap_or(0),
                    ))
                    .await?;
                self.alarm.set(Some(exp));
            }
        }
        Ok(())
    }

    /// After expired rows were deleted: points the alarm at the next expiry, or drops the
    /// object's storage when nothing is left.
    async fn reschedule(&self) -> Result<()> {
        let cursor = self.sql().exec("SELECT MIN(exp) FROM entries", None)?;
        let mut min = None;
        for row in cursor.raw() {
            min = match row?.into_iter().next() {
                Some(SqlStorageValue::Integer(exp)) => Some(exp),
                #[allow(clippy::cast_possible_truncation)]
                Some(SqlStorageValue::Float(exp)) => Some(exp as i64),
                _ => None,
            };
        }
        self.alarm.set(None);
        match min {
            Some(exp) => self.schedule(exp).await?,
            None => {
                self.schema.set(false);
                self.state.storage().delete_all().await?;
            }
        }
        Ok(())
    }

    /// Performs one request on this object's rows. A request that does not store
    /// ([`GuardRequest::may_store`]) on an object without a table finds nothing and
    /// creates nothing.
    pub(crate) async fn handle(&self, req: GuardRequest) -> Result<GuardReply> {
        if !req.may_store() && !self.has_table()? {
            return Ok(GuardReply::default());
        }
        let value = match req {
            GuardRequest::Put { id, value, exp } => {
                // A revoked id stays dead: a request that read the TGT before the logout
                // cannot write the session back.
                if self.write_unless_revoked(&[(id, value, exp)])? {
                    self.schedule(exp).await?;
                }
                None
            }
            GuardRequest::PutAll { items } => {
                if self.write_unless_revoked(&items)?
                    && let Some(exp) = items.iter().map(|(_, _, exp)| *exp).min()
                {
                    self.schedule(exp).await?;
                }
                None
            }
            GuardRequest::PutNew { id, value, exp } => {
                if self.write_new(&ticket_key(&id), value, exp)? {
                    self.schedule(exp).await?;
                    Some(Vec::new())
                } else {
                    None
                }
            }
            GuardRequest::Get { id } => self.read(&ticket_key(&id))?,
            GuardRequest::Take { id } => self.take(&ticket_key(&id))?,
            GuardRequest::Delete { id } => {
                self.remove(&ticket_key(&id))?;
                None
            }
            GuardRequest::Revoke { id, exp } => {
                self.write(&revoked_key(&id), b"1", exp)?;
                self.remove(&ticket_key(&id))?;
                self.schedule(exp).await?;
                None
            }
            GuardRequest::IsRevoked { id } => {
                self.read(&revoked_key(&id))?.map(|_| b"revoked".to_vec())
            }
            GuardRequest::Throttle => self.read(THROTTLE)?,
            GuardRequest::UpdateThrottle { update } => {
                // Read, apply, write: no await in between, so the test and the
                // reservation of an attempt are one step.
                let previous = self
                    .read(THROTTLE)?
                    .and_then(|v| stored::decode::<ThrottleState>(&v).ok());
                let (next, verdict) = update.apply(previous);
                let exp = match next {
                    Some(s) => {
                        let bytes = stored::encode(&s).map_err(|e| e.to_string())?;
                        // The lifetime the update's own (configured) policy gives it.
                        let exp = update.expires_at(&s).unwrap_or(s.window_start).0;
                        self.write(THROTTLE, &bytes, exp)?;
                        Some(exp)
                    }
                    None => {
                        self.remove(THROTTLE)?;
                        None
                    }
                };
                let verdict = stored::encode(&verdict).map_err(|e| e.to_string())?;
                if let Some(exp) = exp {
                    self.schedule(exp).await?;
                }
                Some(verdict)
            }
        };
        Ok(GuardReply { value })
    }
}

impl TicketGuard {
    /// A guard object over `state` (the Durable Object's constructor).
    pub(crate) fn create(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            alarm: std::cell::Cell::new(None),
            schema: std::cell::Cell::new(false),
        }
    }

    /// The Worker's environment, as the object received it.
    pub(crate) fn env(&self) -> &Env {
        &self.env
    }

    /// Answers a row operation: `body` is a [`GuardRequest`] in the stored form, the
    /// answer a [`GuardReply`] in the stored form (HTTP 400/500 with the reason on failure).
    pub(crate) async fn serve(&self, body: &[u8]) -> Result<Response> {
        let request: GuardRequest = match stored::decode(body) {
            Ok(r) => r,
            Err(e) => return Response::error(format!("bad guard request: {e}"), 400),
        };
        match self
            .handle(request)
            .await
            .map(|reply| stored::encode(&reply))
        {
            Ok(Ok(bytes)) => Response::from_bytes(bytes),
            Ok(Err(e)) => Response::error(format!("guard reply: {e}"), 500),
            Err(e) => Response::error(format!("guard: {}", sql_err(&e)), 500),
        }
    }

    /// The sessions (stored TGTs) whose rows expire by `now`: for the engine to end
    /// ([`casplus::cas::engine::Engine::expire_session`]) before [`Self::expire`] deletes
    /// the rows. Reads only.
    pub(crate) fn expired_sessions(&self, now: Timestamp) -> Result<Vec<Vec<u8>>> {
        if !self.has_table()? {
            return Ok(Vec::new());
        }
        blobs(&self.sql().exec(
            "SELECT v FROM entries WHERE k LIKE ? AND exp <= ?",
            vec![
                ticket_key_pattern(TicketKind::TicketGranting).into(),
                SqlStorageValue::from(now.0),
            ],
        )?)
    }

    /// The alarm's work on the rows: deletes every row expired at `now`, then points the
    /// alarm at the next expiry or drops the object's storage.
    pub(crate) async fn expire(&self, now: Timestamp) -> Result<()> {
        if !self.has_table()? {
            // Nothing was stored (or it is gone already): drop whatever is left.
            self.alarm.set(None);
            self.state.storage().delete_all().await?;
            return Ok(());
        }
        self.sql().exec(
            "DELETE FROM entries WHERE exp <= ?",
            vec![SqlStorageValue::from(now.0)],
        )?;
        self.reschedule().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alarm_fires_at_the_end_of_the_step_of_a_row_s_expiry() {
        assert_eq!(alarm_time(0), 0);
        assert_eq!(alarm_time(1), 1000);
        assert_eq!(alarm_time(999), 1000);
        assert_eq!(alarm_time(1000), 1000);
        assert_eq!(alarm_time(1_765_000_000_001), 1_765_000_001_000);
        assert_eq!(alarm_time(i64::MAX), i64::MAX);
        // Every row of one step is due when that step's alarm fires.
        for exp in 5001..=6000 {
            assert_eq!(alarm_time(exp), 6000);
        }
    }

    #[test]
    fn protocol_round_trips_in_the_stored_form() {
        let policy = casplus::cas::throttle::ThrottlePolicy::default();
        for r in [
            GuardRequest::Put {
                id: "ST-1".into(),
                value: vec![1, 2],
                exp: 5,
            },
            GuardRequest::PutAll {
                items: vec![("ST-1".into(), vec![1], 5), ("TGT-1".into(), vec![], 9)],
            },
            GuardRequest::Get { id: "ST-1".into() },
            GuardRequest::Take { id: "ST-1".into() },
            GuardRequest::Delete { id: "ST-1".into() },
            GuardRequest::Revoke {
                id: "TGT-1".into(),
                exp: 7,
            },
            GuardRequest::IsRevoked { id: "TGT-1".into() },
            GuardRequest::Throttle,
            GuardRequest::UpdateThrottle {
                update: policy.update(
                    casplus::cas::throttle::ThrottleOp::Attempt,
                    &casplus::cas::throttle::ThrottleKey::address("192.0.2.1"),
                    Timestamp(1),
                ),
            },
        ] {
            let bytes = stored::encode(&r).expect("encodes");
            assert_eq!(stored::decode::<GuardRequest>(&bytes).ok(), Some(r));
        }
        let reply = GuardReply {
            value: Some(b"revoked".to_vec()),
        };
        let bytes = stored::encode(&reply).expect("encodes");
        assert_eq!(stored::decode::<GuardReply>(&bytes).ok(), Some(reply));
        assert!(stored::decode::<GuardRequest>(br#""throttle""#).is_err());
        assert_ne!(ticket_key("ST-1"), revoked_key("ST-1"));
    }

    #[test]
    fn only_writes_may_create_storage() {
        let policy = casplus::cas::throttle::ThrottlePolicy::default();
        let id = || "ST-1".to_owned();
        // What a made-up ticket id or throttle key can reach: never storage.
        for r in [
            GuardRequest::Get { id: id() },
            GuardRequest::Take { id: id() },
            GuardRequest::Delete { id: id() },
            GuardRequest::IsRevoked { id: id() },
            GuardRequest::Throttle,
        ] {
            assert!(!r.may_store(), "{r:?}");
        }
        for r in [
            GuardRequest::Put {
                id: id(),
                value: vec![1],
                exp: 5,
            },
            GuardRequest::PutAll { items: vec![] },
            GuardRequest::Revoke { id: id(), exp: 5 },
            GuardRequest::UpdateThrottle {
                update: ThrottleUpdate {
                    op: casplus::cas::throttle::ThrottleOp::Failure,
                    now: Timestamp(1),
                    rule: casplus::cas::throttle::Rule::Lock { limit: 3 },
                    policy,
                },
            },
        ] {
            assert!(r.may_store(), "{r:?}");
        }
    }

    #[test]
    fn the_alarm_finds_sessions_by_the_kind_s_own_prefix() {
        let mut e = casplus::cas::ticket::DeterministicEntropy::new(3);
        let tgt = casplus::cas::ticket::TicketId::generate(TicketKind::TicketGranting, &mut e);
        let pattern = ticket_key_pattern(TicketKind::TicketGranting);
        let prefix = pattern.strip_suffix('%').unwrap_or_default();
        assert_eq!(pattern, "t:TGT-%");
        assert!(ticket_key(tgt.as_str()).starts_with(prefix));
        for kind in TicketKind::ALL {
            if kind != TicketKind::TicketGranting {
                let id = casplus::cas::ticket::TicketId::generate(kind, &mut e);
                assert!(!ticket_key(id.as_str()).starts_with(prefix), "{kind:?}");
            }
        }
        assert!(!revoked_key(tgt.as_str()).starts_with(prefix));
        assert!(!pattern[..pattern.len() - 1].contains(['%', '_']));
    }
}
