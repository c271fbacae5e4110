//! Store faults through the engine's public API: a store that fails chosen operations (as
//! KV or a Durable Object would) gives a 500 / `INTERNAL_ERROR`, never a ticket, and
//! leaves nothing half-written (no TGT without its TGC, no orphan ST). The Worker's
//! `CASPLUS_FAULTS` switch (worker/src/faults.rs) does the same against real KV and
//! Durable Objects in tests/e2e/faults.test.mjs.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::cell::RefCell;

use casplus::cas::auth::UserStore;
use casplus::cas::demo;
use casplus::cas::engine::{Endpoint, Engine, LoginStep, ValidationStep};
use casplus::cas::response::FailureCode;
use casplus::cas::store::{MemoryStore, Store, StoreError, now_or_never};
use casplus::cas::throttle::{ThrottleState, ThrottleUpdate, Verdict};
use casplus::cas::ticket::{DeterministicEntropy, Ticket, TicketId, TicketKind};
use casplus::cas::web::{HttpRequest, Method, Response, SetCookie, View, WebReply};
use casplus::time::Timestamp;

const SERVICE_Q: &str = "service=http%3A%2F%2F127.0.0.1%3A9000%2Fapp";
const NOW: Timestamp = Timestamp(1_795_331_018_000);

/// A [`MemoryStore`] failing `(operation, kind)` pairs; remembers every id it wrote.
#[derive(Default)]
struct Failing {
    inner: MemoryStore,
    fail: RefCell<Vec<(&'static str, Option<TicketKind>)>>,
    written: RefCell<Vec<TicketId>>,
}

impl Failing {
    fn check(&self, op: &'static str, kind: Option<TicketKind>) -> Result<(), StoreError> {
        if self.fail.borrow().contains(&(op, kind)) {
            return Err(StoreError::Unavailable(format!("injected {op}")));
        }
        Ok(())
    }
    fn set(&self, faults: &[(&'static str, Option<TicketKind>)]) {
        *self.fail.borrow_mut() = faults.to_vec();
        self.written.borrow_mut().clear();
    }
    /// Ids written since the last [`Failing::set`] that are still stored, of `kind`.
    fn left(&self, kind: TicketKind) -> Vec<TicketId> {
        self.written
            .borrow()
            .iter()
            .filter(|id| id.kind() == kind && self.inner.contains(id))
            .cloned()
            .collect()
    }
}

impl Store for Failing {
    async fn put(&self, ticket: &Ticket, expires_at: Timestamp) -> Result<(), StoreError> {
        self.check("put", Some(ticket.kind()))?;
        self.written.borrow_mut().push(ticket.id().clone());
        self.inner.put(ticket, expires_at).await
    }
    async fn put_new(&self, ticket: &Ticket, expires_at: Timestamp) -> Result<bool, StoreError> {
        self.check("put_new", Some(ticket.kind()))?;
        self.written.borrow_mut().push(ticket.id().clone());
        self.inner.put_new(ticket, expires_at).await
    }
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.check("get", Some(id.kind()))?;
        self.inner.get(id).await
    }
    async fn take(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.check("take", Some(id.kind()))?;
        self.inner.take(id).await
    }
    async fn delete(&self, id: &TicketId) -> Result<(), StoreError> {
        self.check("delete", Some(id.kind()))?;
        self.inner.delete(id).await
    }
    async fn throttle(&self, key: &str) -> Result<Option<ThrottleState>, StoreError> {
        self.check("throttle", None)?;
        self.inner.throttle(key).await
    }
    async fn update_throttle(
        &self,
        key: &str,
        update: &ThrottleUpdate,
    ) -> Result<Verdict, StoreError> {
        self.check("update_throttle", None)?;
        self.inner.update_throttle(key, update).await
    }
}

fn run<F: std::future::Future>(f: F) -> F::Output {
    now_or_never(f).unwrap()
}

struct Fx {
    engine: Engine,
    users: UserStore,
    store: Failing,
    entropy: DeterministicEntropy,
}

impl Fx {
    fn new() -> Self {
        Self {
            engine: Engine::from_json(demo::ENGINE_JSON).unwrap(),
            users: UserStore::from_json(demo::USERS_JSON).unwrap(),
            store: Failing::default(),
            entropy: DeterministicEntropy::new(3),
        }
    }

    fn get(&mut self, cookie: Option<&str>) -> WebReply {
        let req = HttpRequest {
            query: SERVICE_Q.as_bytes(),
            cookie,
            ..Default::default()
        };
        match run(self.engine.login(&self.store, &mut self.entropy, NOW, &req)) {
            LoginStep::Reply(r) => r,
            LoginStep::Authenticate { .. } | LoginStep::Confirm { .. } => {
                panic!("a GET never authenticates")
            }
        }
    }

    /// The form (no fault), then the POST under `faults`.
    fn login(&mut self, faults: &[(&'static str, Option<TicketKind>)]) -> WebReply {
        self.store.set(&[]);
        let page = self.get(None);
        // The browser's binding cookie goes back with the POST (login CSRF).
        let cookie = page.binding.as_deref().and_then(SetCookie::pair);
        let Response::Page {
            view: View::LoginForm(form),
            ..
        } = page.response
        else {
            panic!("a login form")
        };
        self.store.set(faults);
        let body = format!(
            "username=casuser&password=Mellon&lt={}&{SERVICE_Q}",
            form.login_ticket.as_str()
        );
        let req = HttpRequest {
            method: Method::Post,
            body: body.as_bytes(),
            cookie: cookie.as_deref(),
            ..Default::default()
        };
        match run(self.engine.login(&self.store, &mut self.entropy, NOW, &req)) {
            LoginStep::Reply(r) => r,
            LoginStep::Authenticate { request, pending } => {
                let result = self.users.answer(&request);
                run(self.engine.login_authenticated(
                    &self.store,
                    &mut self.entropy,
                    NOW,
                    pending,
                    result,
                ))
            }
            LoginStep::Confirm { .. } => panic!("no warn confirmation here"),
        }
    }
}

fn assert_clean_500(r: &WebReply) {
    assert_eq!(r.status(), 500);
    assert!(r.fault.is_some());
    assert!(r.service_ticket.is_none(), "no ticket");
    assert!(
        r.cookie.as_ref().and_then(|c| c.value.as_ref()).is_none(),
        "no TGC"
    );
    assert!(matches!(
        r.response,
        Response::Page {
            view: View::InternalError,
            ..
        }
    ));
    assert!(
        r.audit.is_empty(),
        "nothing audited as issued: {:?}",
        r.audit
    );
}

#[test]
fn failed_tgt_write_leaves_no_st_and_sets_no_tgc_2_2_4() {
    let mut f = Fx::new();
    let r = f.login(&[("put", Some(TicketKind::TicketGranting))]);
    assert_clean_500(&r);
    assert_eq!(
        f.store.left(TicketKind::Service),
        Vec::<TicketId>::new(),
        "orphan ST"
    );
    assert!(f.store.left(TicketKind::TicketGranting).is_empty());
}

#[test]
fn failed_st_write_leaves_no_tgt_and_sets_no_tgc_2_2_4() {
    let mut f = Fx::new();
    let r = f.login(&[("put", Some(TicketKind::Service))]);
    assert_clean_500(&r);
    assert!(
        f.store.left(TicketKind::TicketGranting).is_empty(),
        "TGT without TGC"
    );
}

#[test]
fn failed_throttle_reservation_refuses_the_login_before_the_password() {
    let mut f = Fx::new();
    let r = f.login(&[("update_throttle", None)]);
    assert_clean_500(&r);
}

#[test]
fn failed_login_ticket_spend_is_a_500_before_the_password_3_5_1() {
    let mut f = Fx::new();
    let r = f.login(&[("put_new", Some(TicketKind::Login))]);
    assert_clean_500(&r);
    // Nothing was checked or counted: the throttle counters were never reached.
    assert!(f.store.left(TicketKind::TicketGranting).is_empty());
}

#[test]
fn a_login_form_needs_no_store_at_all_issue_16() {
    let mut f = Fx::new();
    // Every operation of every kind failing: the form is still served (nothing to store).
    let kinds = [
        None,
        Some(TicketKind::Login),
        Some(TicketKind::TicketGranting),
        Some(TicketKind::Service),
        Some(TicketKind::Proxy),
        Some(TicketKind::ProxyGranting),
        Some(TicketKind::ProxyGrantingIou),
    ];
    let ops = [
        "put",
        "put_new",
        "get",
        "take",
        "delete",
        "throttle",
        "update_throttle",
    ];
    let every: Vec<_> = ops
        .iter()
        .flat_map(|op| kinds.iter().map(move |kind| (*op, *kind)))
        .collect();
    f.store.set(&every);
    let r = f.get(None);
    assert_eq!(r.status(), 200);
    assert!(matches!(
        r.response,
        Response::Page {
            view: View::LoginForm(_),
            ..
        }
    ));
}

#[test]
fn failed_sso_reads_and_writes_issue_nothing_2_1_5() {
    let mut f = Fx::new();
    let ok = f.login(&[]);
    assert_eq!(ok.status(), 303);
    let tgt = ok.cookie.unwrap().value.unwrap();
    let cookie = format!("TGC-casplus={}", tgt.as_str());
    for fault in [
        ("get", Some(TicketKind::TicketGranting)),
        ("put", Some(TicketKind::Service)),
        ("put", Some(TicketKind::TicketGranting)),
    ] {
        f.store.set(&[fault]);
        let r = f.get(Some(&cookie));
        assert_clean_500(&r);
        assert!(f.store.left(TicketKind::Service).is_empty(), "{fault:?}");
    }
    // The session survived the faults.
    f.store.set(&[]);
    assert_eq!(f.get(Some(&cookie)).status(), 302);
}

#[test]
fn failed_take_is_internal_error_and_does_not_burn_the_ticket_3_1_1() {
    let mut f = Fx::new();
    let st = f.login(&[]).service_ticket.unwrap();
    let q = format!("{SERVICE_Q}&ticket={}", st.as_str());
    let validate = |f: &mut Fx| {
        let step = run(f.engine.validate(
            &f.store,
            &mut f.entropy,
            NOW,
            Endpoint::ServiceValidate,
            q.as_bytes(),
        ));
        let ValidationStep::Done(r) = step else {
            panic!()
        };
        r
    };
    f.store.set(&[("take", Some(TicketKind::Service))]);
    let r = validate(&mut f);
    assert_eq!(r.failure_code(), Some(FailureCode::InternalError));
    assert!(r.fault.is_some() && r.success().is_none());
    f.store.set(&[]);
    assert_eq!(validate(&mut f).success().unwrap().user, "casuser");
    assert_eq!(
        validate(&mut f).failure_code(),
        Some(FailureCode::InvalidTicket)
    );
}
