//! Store faults and concurrent validations.

use super::*;

// ----- faults --------------------------------------------------------------------------

/// A store whose writes or takes fail on demand.
struct Faulty {
    inner: MemoryStore,
    fail_put: std::cell::Cell<Option<TicketKind>>,
    fail_take: std::cell::Cell<bool>,
}

impl Store for Faulty {
    async fn put(&self, t: &Ticket, e: Timestamp) -> Result<(), StoreError> {
        if self.fail_put.get() == Some(t.kind()) {
            return Err(StoreError::Unavailable("injected".into()));
        }
        self.inner.put(t, e).await
    }
    async fn put_new(&self, t: &Ticket, e: Timestamp) -> Result<bool, StoreError> {
        if self.fail_put.get() == Some(t.kind()) {
            return Err(StoreError::Unavailable("injected".into()));
        }
        self.inner.put_new(t, e).await
    }
    async fn get(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.inner.get(id).await
    }
    async fn take(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        if self.fail_take.get() {
            return Err(StoreError::Unavailable("injected".into()));
        }
        self.inner.take(id).await
    }
    async fn delete(&self, id: &TicketId) -> Result<(), StoreError> {
        self.inner.delete(id).await
    }
    async fn throttle(
        &self,
        key: &str,
    ) -> Result<Option<crate::cas::throttle::ThrottleState>, StoreError> {
        self.inner.throttle(key).await
    }
    async fn update_throttle(
        &self,
        key: &str,
        u: &crate::cas::throttle::ThrottleUpdate,
    ) -> Result<crate::cas::throttle::Verdict, StoreError> {
        self.inner.update_throttle(key, u).await
    }
}

#[test]
fn store_faults_are_internal_errors_never_tickets() {
    let engine = Engine::new(config()).unwrap();
    let store = Faulty {
        inner: MemoryStore::new(),
        fail_put: std::cell::Cell::new(None),
        fail_take: std::cell::Cell::new(false),
    };
    let mut e = DeterministicEntropy::new(5);
    let query = enc(&[("service", APP)]);
    let get = HttpRequest {
        query: query.as_bytes(),
        ..HttpRequest::default()
    };
    let LoginStep::Reply(r) = run(engine.login(&store, &mut e, T0, &get)) else {
        panic!()
    };
    let lt = login_form(&r).login_ticket.clone();
    let binding = r.binding.clone().unwrap();
    let cookie = format!("{}={}", binding.name, binding.value.unwrap());
    // The TGT cannot be written: 500, no cookie, no ticket.
    store.fail_put.set(Some(TicketKind::TicketGranting));
    let body = enc(&[
        ("username", "casuser"),
        ("password", "Mellon"),
        ("lt", lt.as_str()),
        ("service", APP),
    ]);
    let post = HttpRequest {
        method: Method::Post,
        body: body.as_bytes(),
        cookie: Some(&cookie),
        ..HttpRequest::default()
    };
    let LoginStep::Authenticate { request, pending } = run(engine.login(&store, &mut e, T0, &post))
    else {
        panic!()
    };
    let result = users().answer(&request);
    let r = run(engine.login_authenticated(&store, &mut e, T0, pending, result));
    assert_eq!(r.status(), 500);
    assert_eq!(view(&r), &View::InternalError);
    assert!(r.cookie.is_none() && r.service_ticket.is_none());
    assert!(matches!(r.fault, Some(Fault::Store(_))));
    // Validation with a failing take: INTERNAL_ERROR (HTTP 200 body), fault reported.
    store.fail_take.set(true);
    let q = enc(&[("service", APP), ("ticket", "ST-0123456789")]);
    let ValidationStep::Done(v) =
        run(engine.validate(&store, &mut e, T0, Endpoint::ServiceValidate, q.as_bytes()))
    else {
        panic!()
    };
    assert_eq!(code(&v), FailureCode::InternalError);
    assert!(v.fault.is_some());
}

// ----- concurrency, configuration, end to end -----------------------------------------

#[test]
fn concurrent_validations_of_one_st_give_exactly_one_success_3_1_1() {
    let mut f = Fx::new();
    let (r, _) = f.login(Some(APP), &[]);
    let st = st_of(&r);
    let engine = std::sync::Arc::new(f.engine);
    let store = std::sync::Arc::new(f.store);
    let q = enc(&[("service", APP), ("ticket", st.as_str())]);
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let (engine, store, q) = (engine.clone(), store.clone(), q.clone());
            std::thread::spawn(move || {
                let mut e = DeterministicEntropy::new(i);
                let step = run(engine.validate(
                    &*store,
                    &mut e,
                    T0,
                    Endpoint::ServiceValidate,
                    q.as_bytes(),
                ));
                matches!(step, ValidationStep::Done(ref v) if v.success().is_some())
            })
        })
        .collect();
    let wins = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|w| *w)
        .count();
    assert_eq!(wins, 1);
}
