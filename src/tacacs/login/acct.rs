//! Accounting records (§7.1, §8.3): START, WATCHDOG and STOP of one task, and when a
//! WATCHDOG is due.

use super::{DEFAULT_CAS_SERVICE_ARG, FIELD_MAX, LoginConfig, MAX_ACCT_SERVICES, arg, clip};
use crate::tacacs::acct::AcctRequest;
use crate::tacacs::enums::{AcctFlags, AuthenMethod, AuthenService, PrivLvl};
use crate::time::Timestamp;

/// The task an accounting record is about (for casplus: an SSO session).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcctRecord {
    /// The user.
    pub username: String,
    /// The browser's address at login.
    pub rem_addr: String,
    /// `task_id` shared by START, WATCHDOG and STOP.
    pub task_id: String,
    /// When the SSO session (TGT) started.
    pub started: Timestamp,
    /// Services used during the task (listed in STOP and WATCHDOG).
    pub services: Vec<String>,
    /// Why it ended (STOP `reason`, e.g. `logout`, `expired`).
    pub reason: Option<String>,
}

fn acct_base(cfg: &LoginConfig, rec: &AcctRecord, flags: AcctFlags) -> AcctRequest {
    AcctRequest {
        flags,
        authen_method: AuthenMethod::TACACSPLUS,
        priv_lvl: PrivLvl::USER,
        authen_type: cfg.authen_mode.authen_type(),
        authen_service: AuthenService::LOGIN,
        user: clip(&rec.username, FIELD_MAX).as_bytes().to_vec(),
        port: clip(&cfg.port, FIELD_MAX).as_bytes().to_vec(),
        rem_addr: clip(&rec.rem_addr, FIELD_MAX).as_bytes().to_vec(),
        args: vec![
            arg("task_id", '=', &rec.task_id),
            arg("start_time", '=', &rec.started.as_secs().to_string()),
            arg("timezone", '=', "UTC"),
            arg("service", '=', cfg.service()),
        ],
        ..Default::default()
    }
}

/// The START record for a new SSO session (§7.1 START; §8.3 `task_id`, `start_time`,
/// `timezone`, `service`).
pub fn acct_start(cfg: &LoginConfig, rec: &AcctRecord) -> AcctRequest {
    acct_base(cfg, rec, AcctFlags::START)
}

fn elapsed(rec: &AcctRecord, now: Timestamp) -> String {
    (now.millis_since(rec.started).max(0) / 1000).to_string()
}

/// The STOP record at logout or TGT expiry, the task having stopped at `now`: `stop_time`,
/// `elapsed_time`, `reason`, and one `cas-service` argument per service used (at most
/// [`MAX_ACCT_SERVICES`], each clipped to the 255-byte argument limit).
pub fn acct_stop(cfg: &LoginConfig, rec: &AcctRecord, now: Timestamp) -> AcctRequest {
    let mut r = acct_base(cfg, rec, AcctFlags::STOP);
    r.args
        .push(arg("stop_time", '=', &now.as_secs().to_string()));
    r.args.push(arg("elapsed_time", '=', &elapsed(rec, now)));
    if let Some(reason) = &rec.reason {
        r.args.push(arg("reason", '=', reason));
    }
    push_services(cfg, rec, &mut r);
    r
}

/// A WATCHDOG record (§7.2: "an interim update ... of a task that is still running";
/// the START flag is not set, so it carries no update of the START arguments) with
/// `elapsed_time` (§8.3) and the services used so far.
pub fn acct_watchdog(cfg: &LoginConfig, rec: &AcctRecord, now: Timestamp) -> AcctRequest {
    let mut r = acct_base(cfg, rec, AcctFlags::WATCHDOG);
    r.args.push(arg("elapsed_time", '=', &elapsed(rec, now)));
    push_services(cfg, rec, &mut r);
    r
}

fn push_services(cfg: &LoginConfig, rec: &AcctRecord, r: &mut AcctRequest) {
    let name = cas_service_arg(cfg);
    for s in rec.services.iter().take(MAX_ACCT_SERVICES) {
        r.args.push(arg(name, '=', s));
    }
}

fn cas_service_arg(cfg: &LoginConfig) -> &str {
    cfg.authorization
        .as_ref()
        .and_then(|a| a.cas_service_arg.as_deref())
        .unwrap_or(DEFAULT_CAS_SERVICE_ARG)
}

/// Whether a WATCHDOG is due for a session started at `started`, used before at
/// `previous_use` and again at `now`, with one update per `interval_seconds`: when an
/// interval boundary (`started + k·interval`) lies in `(previous_use, now]`. Stateless:
/// at most one update per interval, and none for a session not used in between (its
/// STOP says the rest).
pub fn watchdog_due(
    started: Timestamp,
    previous_use: Timestamp,
    now: Timestamp,
    interval_seconds: u32,
) -> bool {
    let interval = i64::from(interval_seconds).saturating_mul(1000);
    if interval <= 0 {
        return false;
    }
    let period = |t: Timestamp| t.millis_since(started).max(0) / interval;
    period(now) > period(previous_use)
}
