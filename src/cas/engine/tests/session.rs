//! Session lifecycle effects (`SessionStarted`, `SessionUsed`, `SessionEnded`): what the
//! engine tells an adapter so it can account SSO sessions (e.g. TACACS+ START / WATCHDOG /
//! STOP, RFC 8907 §7, §8.3). Fixed clock, seeded entropy, the in-memory store.

use super::*;
use crate::cas::web::{EndReason, SessionRecord, task_id};

fn started(r: &WebReply) -> Vec<&SessionRecord> {
    r.effects
        .iter()
        .filter_map(|e| match e {
            Effect::SessionStarted(s) => Some(s),
            _ => None,
        })
        .collect()
}

fn ended(r: &WebReply) -> Vec<(&SessionRecord, EndReason, Timestamp)> {
    r.effects
        .iter()
        .filter_map(|e| match e {
            Effect::SessionEnded {
                session,
                reason,
                ended_at,
            } => Some((session, *reason, *ended_at)),
            _ => None,
        })
        .collect()
}

fn used(r: &WebReply) -> Vec<(&SessionRecord, Timestamp, Timestamp)> {
    r.effects
        .iter()
        .filter_map(|e| match e {
            Effect::SessionUsed {
                session,
                previous_use,
                now,
            } => Some((session, *previous_use, *now)),
            _ => None,
        })
        .collect()
}

pub(super) fn tgt_of(f: &Fx, cookie: &str) -> TicketGrantingTicket {
    let id = TicketId::parse(cookie.split_once('=').unwrap().1).unwrap();
    match f.store.peek(&id) {
        Some(Ticket::TicketGranting(t)) => t,
        other => panic!("no TGT: {other:?}"),
    }
}

#[test]
fn a_new_tgt_starts_a_session_with_a_derived_task_id_acct_8_3() {
    let mut f = Fx::new();
    let (r, cookie) = f.login(Some(APP), &[]);
    let s = started(&r);
    assert_eq!(s.len(), 1, "{:?}", r.effects);
    let tgt = tgt_of(&f, &cookie);
    assert_eq!(s[0].task_id, task_id(&tgt.id, T0));
    assert_eq!(s[0].task_id.len(), 24);
    assert!(
        !tgt.id.as_str().contains(&s[0].task_id),
        "the TGT id never reaches accounting"
    );
    assert_eq!(s[0].principal, "casuser");
    assert_eq!(s[0].source, BUILTIN_SOURCE);
    assert_eq!(s[0].started_at, T0);
    assert_eq!(s[0].services, [APP]);
    assert_eq!(s[0].client_address.as_deref(), Some("192.0.2.7"));
    // A failed login starts nothing.
    let bad = f.login_as("casuser", "wrong", Some(APP), &[], None);
    assert!(started(&bad).is_empty() && ended(&bad).is_empty());
}

#[test]
fn logout_ends_the_session_with_every_service_once_2_3() {
    let mut f = Fx::new();
    let (r, cookie) = f.login(Some(APP), &[]);
    let task = started(&r)[0].task_id.clone();
    f.now = f.now.plus_secs(60);
    let _ = f.sso(PORTAL, &cookie);
    f.now = f.now.plus_secs(60);
    let _ = f.sso(APP, &cookie);
    f.now = f.now.plus_secs(5);
    let out = f.logout("", Some(&cookie));
    let e = ended(&out);
    assert_eq!(e.len(), 1, "{:?}", out.effects);
    let (s, reason, at) = e[0];
    assert_eq!(reason, EndReason::Logout);
    assert_eq!(reason.as_str(), "logout");
    assert_eq!(at, T0.plus_secs(125));
    assert_eq!(
        s.task_id, task,
        "STOP matches START (RFC 8907 §8.3 task_id)"
    );
    assert_eq!(s.started_at, T0);
    assert_eq!(
        s.services,
        [APP, PORTAL],
        "each service once, first use first"
    );
    // Single logout still goes out, after the session record.
    assert!(matches!(out.effects[0], Effect::SessionEnded { .. }));
    assert_eq!(slo_count(&out), 3, "one per service ticket issued");
    // Nothing left to end.
    assert!(ended(&f.logout("", Some(&cookie))).is_empty());
}

#[test]
fn an_expired_session_seen_again_ends_at_its_expiry_instant_not_when_noticed() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(Some(APP), &[]);
    f.now = f.now.plus_secs(1800);
    let _ = f.sso(PORTAL, &cookie); // last use: T0 + 30 min
    f.now = f.now.plus_secs(5 * 3600); // idle (2 h) long passed
    let r = f.get(&enc(&[("service", APP)]), Some(&cookie));
    login_form(&r);
    let e = ended(&r);
    assert_eq!(e.len(), 1);
    let (s, reason, at) = e[0];
    assert_eq!(reason, EndReason::Idle);
    assert_eq!(reason.as_str(), "idle-timeout");
    assert_eq!(at, T0.plus_secs(1800 + 2 * 3600), "last use + idle timeout");
    assert_eq!(s.services, [APP, PORTAL]);
    assert_eq!(s.client_address.as_deref(), Some("192.0.2.7"));
}

#[test]
fn hard_timeout_is_reported_as_expired() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(None, &[]);
    for _ in 0..8 {
        f.now = f.now.plus_secs(3600 - 1);
        let _ = f.sso(APP, &cookie); // keeps it from idling
    }
    f.now = f.now.plus_secs(10); // past 8 h from creation
    let r = f.get(&enc(&[("service", APP)]), Some(&cookie));
    let (_, reason, at) = ended(&r)[0];
    assert_eq!(reason, EndReason::Expired);
    assert_eq!(at, T0.plus_secs(8 * 3600));
}

#[test]
fn sso_use_reports_the_previous_use_for_interim_updates() {
    let mut f = Fx::new();
    let (_, cookie) = f.login(Some(APP), &[]);
    f.now = f.now.plus_secs(700);
    let r = f.get(&enc(&[("service", PORTAL)]), Some(&cookie));
    let u = used(&r);
    assert_eq!(u.len(), 1);
    assert_eq!((u[0].1, u[0].2), (T0, T0.plus_secs(700)));
    assert_eq!(u[0].0.services, [APP, PORTAL], "services as of this use");
    assert_eq!(u[0].0.started_at, T0);
    f.now = f.now.plus_secs(10);
    let r = f.get(&enc(&[("service", APP)]), Some(&cookie));
    assert_eq!(used(&r)[0].1, T0.plus_secs(700));
    // No session use without a ticket: /login without service while logged in.
    assert!(used(&f.get("", Some(&cookie))).is_empty());
}

#[test]
fn another_principal_replaces_and_renew_restarts_the_task() {
    let mut f = Fx::new();
    let (r, cookie) = f.login(Some(APP), &[]);
    let first = started(&r)[0].task_id.clone();
    f.now = f.now.plus_secs(30);
    // renew by the same principal: the session goes on (new TGT id), a new task.
    let r = f.login_as("casuser", "Mellon", Some(PORTAL), &[], Some(&cookie));
    let cookie = tgc(&r);
    let e = ended(&r);
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].0.task_id.as_str(), e[0].1),
        (first.as_str(), EndReason::Renewed)
    );
    let second = started(&r)[0].task_id.clone();
    assert_ne!(second, first, "a renewed session is a new accounting task");
    // Another principal: the old session is ended as replaced, a new one starts.
    f.now = f.now.plus_secs(30);
    let r = f.login_as("other", "Secret", Some(APP), &[], Some(&cookie));
    let e = ended(&r);
    assert_eq!(
        (e[0].0.task_id.as_str(), e[0].1),
        (second.as_str(), EndReason::Replaced)
    );
    assert_eq!(started(&r)[0].principal, "other");
}

#[test]
fn an_alarm_ends_an_expired_session_once_with_its_single_logout_2_3_3() {
    // One code path (issue 15): the alarm that finds a session expired unseen ends it
    // exactly like a request that finds it expired — accounting STOP and single logout.
    let mut f = Fx::new();
    let (r, cookie) = f.login(Some(APP), &[]);
    let task = started(&r)[0].task_id.clone();
    let tgt = tgt_of(&f, &cookie);
    let deadline = f.engine.session_deadline(&tgt);
    assert_eq!(deadline, T0.plus_secs(2 * 3600), "idle timeout first");
    // The store-backed alarm: nothing while valid, then destroy + effects, then nothing.
    let id = tgt.id.clone();
    let early = run(f
        .engine
        .expire_session(&f.store, &mut f.entropy, T0.plus_secs(60), &id));
    assert_eq!(early.unwrap(), vec![]);
    let late = deadline.plus_secs(10);
    let effects = run(f.engine.expire_session(&f.store, &mut f.entropy, late, &id)).unwrap();
    let Effect::SessionEnded {
        session,
        reason,
        ended_at,
    } = &effects[0]
    else {
        panic!("ended: {effects:?}")
    };
    assert_eq!(
        (session.task_id.as_str(), *reason, *ended_at),
        (task.as_str(), EndReason::Idle, deadline)
    );
    assert_eq!(session.client_address, None, "an alarm has no request");
    assert!(
        matches!(&effects[1], Effect::SingleLogout(n) if n.url == APP),
        "and single logout to the app (§2.3.3): {effects:?}"
    );
    assert_eq!(effects.len(), 2);
    assert!(!f.store.contains(&id));
    assert_eq!(
        run(f.engine.expire_session(&f.store, &mut f.entropy, late, &id)).unwrap(),
        vec![]
    );
}

#[test]
fn the_service_goes_with_the_credentials_and_a_source_message_reaches_the_form_5_2() {
    let mut f = Fx::new();
    let form = login_form(&f.get(&enc(&[("service", ROUTER)]), None)).clone();
    let step = f.post(
        &enc(&[
            ("username", "alice"),
            ("password", "x"),
            ("lt", form.login_ticket.as_str()),
            ("service", ROUTER),
        ]),
        None,
    );
    let LoginStep::Authenticate { request, pending } = step else {
        panic!("{step:?}")
    };
    assert_eq!(request.service.as_deref(), Some(ROUTER));
    assert_eq!(request.source, "tacacs");
    let refused = AuthResult::Refused {
        failure: AuthFailure::InvalidCredentials,
        message: "Account locked <call NOC>".into(),
    };
    let r = run(f.engine.login_authenticated(
        &f.store,
        &mut f.entropy,
        f.now,
        pending.clone(),
        refused,
    ));
    assert_eq!(
        r.status(),
        401,
        "counted and shown like invalid credentials"
    );
    let form = login_form(&r);
    assert_eq!(form.error, Some(LoginError::InvalidCredentials));
    assert_eq!(
        form.source_message.as_deref(),
        Some("Account locked <call NOC>")
    );
    // An unavailable source's words are for the operator, never the user.
    let r = run(f.engine.login_authenticated(
        &f.store,
        &mut f.entropy,
        f.now,
        pending,
        AuthResult::Refused {
            failure: AuthFailure::Unavailable,
            message: "key mismatch".into(),
        },
    ));
    assert_eq!(r.status(), 503);
    assert_eq!(login_form(&r).source_message, None);
}

#[test]
fn an_engine_that_accounts_nothing_reports_no_lifecycle_and_changes_nothing_else() {
    // `Engine::with_session_effects(false)`: what a deployment without TACACS+ accounting runs
    // (`site::SiteConfig::build`). Login, SSO, renew, logout and expiry decide the same;
    // only the lifecycle effects are gone, single logout stays.
    let mut f = Fx::new();
    f.engine = f.engine.clone().with_session_effects(false);
    let lifecycle = |effects: &[Effect]| {
        effects.iter().any(|e| {
            matches!(
                e,
                Effect::SessionStarted(_)
                    | Effect::SessionUsed { .. }
                    | Effect::SessionEnded { .. }
            )
        })
    };
    let (r, cookie) = f.login(Some(APP), &[]);
    assert!(
        r.service_ticket.is_some() && !lifecycle(&r.effects),
        "{:?}",
        r.effects
    );
    f.now = f.now.plus_secs(30);
    let r = f.get(&enc(&[("service", PORTAL)]), Some(&cookie));
    assert!(
        r.service_ticket.is_some() && !lifecycle(&r.effects),
        "{:?}",
        r.effects
    );
    let r = f.login_as("casuser", "Mellon", Some(APP), &[], Some(&cookie));
    let renewed = tgc(&r);
    assert_ne!(renewed, cookie, "renew rotates the TGT");
    assert!(!lifecycle(&r.effects), "{:?}", r.effects);
    let out = f.logout("", Some(&renewed));
    assert!(!lifecycle(&out.effects), "{:?}", out.effects);
    assert_eq!(
        slo_count(&out),
        3,
        "single logout still goes to each service ticket"
    );
    // The alarm's end of an expired session: its single logout alone.
    let (_, cookie) = f.login(Some(APP), &[]);
    let tgt = tgt_of(&f, &cookie);
    let late = f.engine.session_deadline(&tgt).plus_secs(10);
    let effects = run(f
        .engine
        .expire_session(&f.store, &mut f.entropy, late, &tgt.id))
    .unwrap();
    assert!(
        matches!(effects.as_slice(), [Effect::SingleLogout(n)] if n.url == APP),
        "{effects:?}"
    );
}
