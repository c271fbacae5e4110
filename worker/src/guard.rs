//! `TicketGuard`: the SQLite-backed Durable Object that makes single use and revocation
//! strongly consistent.
//!
//! One object per *name*; the store names them after what they guard (see
//! the README): a service, proxy or login ticket id (the ticket itself lives there),
//! a ticket-granting or proxy-granting ticket id (only its revocation mark lives there),
//! or a throttle key. Each object holds at most a few rows in one table
//! `entry(k, v, exp)`; every operation is one or two synchronous SQL statements with no
//! `await` in between, so it is atomic — in particular two concurrent `take`s of one id
//! can never both see the row. An alarm deletes rows once their `exp` has passed and
//! drops the object's storage when it is empty.
//!
//! The protocol is a JSON [`GuardRequest`] POSTed to the object, answered by a JSON
//! [`GuardReply`].

#![allow(missing_docs)] // `#[durable_object]` generates undocumented glue.

use casplus::cas::throttle::{ThrottlePolicy, ThrottleState, ThrottleUpdate};
use casplus::time::Timestamp;
use serde::{Deserialize, Serialize};
use worker::{
    DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue, State,
    durable_object,
};

/// Row key of a stored ticket.
const TICKET: &str = "ticket";
/// Row key of a revocation mark.
const REVOKED: &str = "revoked";
/// Row key of a throttle counter.
const THROTTLE: &str = "throttle";

/// What a caller asks of a guard object. Externally tagged on the wire (`"take"`,
/// `{"put":{…}}`): serde decodes that without buffering, which keeps the wasm small.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GuardRequest {
    /// Store (or replace) the ticket JSON `value` until `exp`.
    Put {
        /// The ticket as JSON.
        value: String,
        /// When it may be dropped (ms since the epoch).
        exp: i64,
    },
    /// Read the ticket.
    Get,
    /// Read and delete the ticket atomically.
    Take,
    /// Delete the ticket.
    Delete,
    /// Mark the name revoked until `exp`.
    Revoke {
        /// When the mark may be dropped.
        exp: i64,
    },
    /// Is the name revoked?
    IsRevoked,
    /// Read the throttle counter.
    Throttle,
    /// Apply `update` to the throttle counter atomically.
    UpdateThrottle {
        /// The change.
        update: ThrottleUpdate,
    },
}

/// The answer: a stored value (ticket JSON, throttle counter JSON, `"revoked"`) or none.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardReply {
    /// The value, if any.
    pub value: Option<String>,
}

/// The Durable Object class bound as `GUARD`.
#[durable_object]
pub struct TicketGuard {
    state: State,
}

#[derive(Deserialize)]
struct Row {
    v: String,
}

#[derive(Deserialize)]
struct MinExp {
    exp: Option<f64>,
}

fn sql_err(e: &worker::Error) -> String {
    e.to_string()
}

const SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS entry (k TEXT PRIMARY KEY, v TEXT NOT NULL, exp INTEGER NOT NULL)";

impl TicketGuard {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    /// Creates the table if needed: on first use, and again after `delete_all` dropped it
    /// while this instance stayed in memory.
    fn ensure_schema(&self) -> Result<()> {
        self.sql().exec(SCHEMA, None)?;
        Ok(())
    }

    fn read(&self, k: &str) -> Result<Option<String>> {
        let rows: Vec<Row> = self
            .sql()
            .exec("SELECT v FROM entry WHERE k = ?", vec![k.into()])?
            .to_array()?;
        Ok(rows.into_iter().next().map(|r| r.v))
    }

    fn write(&self, k: &str, v: &str, exp: i64) -> Result<()> {
        self.sql().exec(
            "INSERT OR REPLACE INTO entry (k, v, exp) VALUES (?, ?, ?)",
            vec![k.into(), v.into(), SqlStorageValue::from(exp)],
        )?;
        Ok(())
    }

    fn remove(&self, k: &str) -> Result<()> {
        self.sql()
            .exec("DELETE FROM entry WHERE k = ?", vec![k.into()])?;
        Ok(())
    }

    /// Points the alarm at the earliest expiry, or clears the storage when empty.
    async fn schedule(&self) -> Result<()> {
        let min: Vec<MinExp> = self
            .sql()
            .exec("SELECT MIN(exp) AS exp FROM entry", None)?
            .to_array()?;
        match min.first().and_then(|m| m.exp) {
            #[allow(clippy::cast_possible_truncation)]
            Some(exp) => {
                let storage = self.state.storage();
                let current = storage.get_alarm().await?;
                let exp = exp as i64;
                if current.is_none_or(|c| c > exp) {
                    storage.set_alarm(exp).await?;
                }
            }
            None => self.state.storage().delete_all().await?,
        }
        Ok(())
    }

    async fn handle(&self, req: GuardRequest) -> Result<GuardReply> {
        self.ensure_schema()?;
        let value = match req {
            GuardRequest::Put { value, exp } => {
                self.write(TICKET, &value, exp)?;
                self.schedule().await?;
                None
            }
            GuardRequest::Get => self.read(TICKET)?,
            GuardRequest::Take => {
                // Read and delete with no await in between: atomic in a Durable Object.
                let v = self.read(TICKET)?;
                if v.is_some() {
                    self.remove(TICKET)?;
                }
                v
            }
            GuardRequest::Delete => {
                self.remove(TICKET)?;
                None
            }
            GuardRequest::Revoke { exp } => {
                self.write(REVOKED, "1", exp)?;
                self.remove(TICKET)?;
                self.schedule().await?;
                None
            }
            GuardRequest::IsRevoked => self.read(REVOKED)?.map(|_| "revoked".to_owned()),
            GuardRequest::Throttle => self.read(THROTTLE)?,
            GuardRequest::UpdateThrottle { update } => {
                // Read, apply, write: no await in between.
                let previous = self
                    .read(THROTTLE)?
                    .and_then(|v| serde_json::from_str::<ThrottleState>(&v).ok());
                let next = update.apply(previous);
                let json = match next {
                    Some(s) => {
                        let json = serde_json::to_string(&s)?;
                        self.write(THROTTLE, &json, throttle_expiry(&update, &s).0)?;
                        Some(json)
                    }
                    None => {
                        self.remove(THROTTLE)?;
                        None
                    }
                };
                self.schedule().await?;
                json
            }
        };
        Ok(GuardReply { value })
    }
}

/// When a throttle counter may be dropped: the policy's hint, or a day for a reset.
fn throttle_expiry(update: &ThrottleUpdate, s: &ThrottleState) -> Timestamp {
    match update {
        ThrottleUpdate::Failure { policy, .. } => policy.expires_at(s),
        ThrottleUpdate::Reset => ThrottlePolicy::default().expires_at(s),
    }
}

impl DurableObject for TicketGuard {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let request: GuardRequest = match req.json().await {
            Ok(r) => r,
            Err(e) => return Response::error(format!("bad guard request: {e}"), 400),
        };
        match self.handle(request).await {
            Ok(reply) => Response::from_json(&reply),
            Err(e) => Response::error(format!("guard: {}", sql_err(&e)), 500),
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.ensure_schema()?;
        self.sql().exec(
            "DELETE FROM entry WHERE exp <= ?",
            vec![SqlStorageValue::from(crate::platform::now().0)],
        )?;
        self.schedule().await?;
        Response::ok("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_round_trips_as_json() {
        let policy = ThrottlePolicy::default();
        for r in [
            GuardRequest::Put {
                value: "{}".into(),
                exp: 5,
            },
            GuardRequest::Get,
            GuardRequest::Take,
            GuardRequest::Delete,
            GuardRequest::Revoke { exp: 7 },
            GuardRequest::IsRevoked,
            GuardRequest::Throttle,
            GuardRequest::UpdateThrottle {
                update: ThrottleUpdate::Failure {
                    now: Timestamp(1),
                    limit: 3,
                    policy,
                },
            },
        ] {
            let json = serde_json::to_string(&r).expect("serializes");
            assert_eq!(serde_json::from_str::<GuardRequest>(&json).ok(), Some(r));
        }
        assert_eq!(
            serde_json::to_string(&GuardRequest::Take).ok().as_deref(),
            Some(r#""take""#)
        );
    }

    #[test]
    fn throttle_rows_outlive_their_lockout() {
        let policy = ThrottlePolicy::default();
        let u = ThrottleUpdate::Failure {
            now: Timestamp(1_000_000),
            limit: 1,
            policy,
        };
        let s = u.apply(None).expect("a counter");
        let exp = throttle_expiry(&u, &s);
        assert!(exp >= s.locked_until.unwrap_or(s.window_start));
        assert!(exp > Timestamp(1_000_000));
    }
}
