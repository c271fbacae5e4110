//! CAS engine throughput: ST issue (SSO login with a TGC) + `/p3/serviceValidate` pairs per
//! second with the in-memory store, next to a baseline measured in the same run: the bare
//! store work the pair implies (one ticket `put` + one atomic `take`), so the ratio shows
//! what the protocol logic costs on top of storage. Run: `make bench` (results in
//! bench/RESULTS.md). No timed assertions anywhere.

use std::time::{Duration, Instant};

use casplus::cas::auth::UserStore;
use casplus::cas::demo;
use casplus::cas::engine::{Endpoint, Engine, LoginStep, ValidationStep};
use casplus::cas::store::{MemoryStore, Store, now_or_never};
use casplus::cas::ticket::{DeterministicEntropy, Ticket};
use casplus::cas::web::{HttpRequest, Method, Response, SetCookie, View};
use casplus::time::Timestamp;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const SERVICE: &str = "http%3A%2F%2F127.0.0.1%3A9000%2Fapp";

fn run<F: std::future::Future>(f: F) -> F::Output {
    now_or_never(f).expect("the memory store never waits")
}

/// Logs `casuser` in once and returns the TGC cookie header.
fn session(
    engine: &Engine,
    store: &MemoryStore,
    entropy: &mut DeterministicEntropy,
    now: Timestamp,
) -> String {
    let users = UserStore::from_json(demo::USERS_JSON).expect("demo users");
    let get = HttpRequest {
        query: format!("service={SERVICE}").leak().as_bytes(),
        ..Default::default()
    };
    let LoginStep::Reply(form) = run(engine.login(store, entropy, now, &get)) else {
        panic!("form")
    };
    // The browser's binding cookie goes back with the POST (login CSRF).
    let binding = form.binding.as_deref().and_then(SetCookie::pair);
    let Response::Page {
        view: View::LoginForm(form),
        ..
    } = form.response
    else {
        panic!("form view")
    };
    let body = format!(
        "username=casuser&password=Mellon&lt={}&service={SERVICE}",
        form.login_ticket.as_str()
    );
    let post = HttpRequest {
        method: Method::Post,
        body: body.as_bytes(),
        cookie: binding.as_deref(),
        ..Default::default()
    };
    let LoginStep::Authenticate { request, pending } =
        run(engine.login(store, entropy, now, &post))
    else {
        panic!("authenticate step")
    };
    let reply =
        run(engine.login_authenticated(store, entropy, now, pending, users.answer(&request)));
    let cookie = reply.cookie.expect("TGC").header_value();
    cookie.split(';').next().expect("name=value").to_owned()
}

/// One SSO login (ST issued) + one validation of that ST.
fn pair(
    engine: &Engine,
    store: &MemoryStore,
    entropy: &mut DeterministicEntropy,
    now: Timestamp,
    cookie: &str,
) {
    let get = HttpRequest {
        query: b"service=http%3A%2F%2F127.0.0.1%3A9000%2Fapp",
        cookie: Some(cookie),
        ..Default::default()
    };
    let LoginStep::Reply(reply) = run(engine.login(store, entropy, now, &get)) else {
        panic!("sso")
    };
    let st = reply.service_ticket.expect("SSO issues an ST");
    let query = format!("service={SERVICE}&ticket={}", st.as_str());
    let ValidationStep::Done(v) = run(engine.validate(
        store,
        entropy,
        now,
        Endpoint::P3ServiceValidate,
        query.as_bytes(),
    )) else {
        panic!("validation")
    };
    assert!(v.success().is_some());
    std::hint::black_box(v.render());
}

fn bench(c: &mut Criterion) {
    let engine = Engine::from_json(demo::ENGINE_JSON).expect("demo config");
    let store = MemoryStore::new();
    let mut entropy = DeterministicEntropy::new(7);
    let now = Timestamp(1_795_331_018_000);
    let cookie = session(&engine, &store, &mut entropy, now);

    // A template ticket for the baseline: a real ST as the engine stores it.
    let get = HttpRequest {
        query: b"service=http%3A%2F%2F127.0.0.1%3A9000%2Fapp",
        cookie: Some(&cookie),
        ..Default::default()
    };
    let LoginStep::Reply(reply) = run(engine.login(&store, &mut entropy, now, &get)) else {
        panic!()
    };
    let st_id = reply.service_ticket.expect("st");
    let template: Ticket = store.peek(&st_id).expect("stored ST");

    let mut g = c.benchmark_group("cas");
    g.throughput(Throughput::Elements(1));
    g.bench_function("baseline_store_put_take", |b| {
        b.iter(|| {
            run(store.put(&template, now.plus_secs(10))).expect("put");
            std::hint::black_box(run(store.take(&st_id)).expect("take"));
        })
    });
    g.bench_function("st_issue_validate_pair", |b| {
        b.iter(|| pair(&engine, &store, &mut entropy, now, &cookie))
    });
    g.finish();

    // A plain ratio line from a same-run measurement (criterion's report has the details).
    let measure = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < Duration::from_millis(1500) {
            f();
            n += 1;
        }
        n as f64 / start.elapsed().as_secs_f64()
    };
    let base = measure(&mut || {
        run(store.put(&template, now.plus_secs(10))).expect("put");
        std::hint::black_box(run(store.take(&st_id)).expect("take"));
    });
    let pairs = measure(&mut || pair(&engine, &store, &mut entropy, now, &cookie));
    println!(
        "cas: {pairs:.0} ST issue+validate pairs/s; baseline store put+take {base:.0}/s; ratio {:.3}",
        pairs / base
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
