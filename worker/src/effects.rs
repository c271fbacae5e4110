//! The one place where the engine's effects are performed: single-logout requests
//! (§2.3.3), sent concurrently within [`SINGLE_LOGOUT_CONCURRENCY`], and the session
//! lifecycle (started, used, ended) as TACACS+ accounting when it is configured — the core
//! decides which records they call for ([`crate::aaa::account`]).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::Poll;

use casplus::cas::http::SINGLE_LOGOUT_CONCURRENCY;
use casplus::cas::web::{Effect, LogoutNotice};
use worker::{Context, Env};

use crate::config::Loaded;
use crate::{aaa, log, outbound, platform};

/// Performs `effects` after the response is sent (under `ctx.wait_until`).
pub fn after_response(
    ctx: &Context,
    env: &Env,
    loaded: &Rc<Loaded>,
    request_id: &str,
    effects: Vec<Effect>,
) {
    // Most requests have nothing to do afterwards (an SSO without TACACS+ accounting: the
    // engine reports no session lifecycle then, `Engine::with_session_effects`): then no task
    // is queued at all.
    if effects.is_empty() {
        return;
    }
    let (env, loaded, request_id) = (env.clone(), Rc::clone(loaded), request_id.to_owned());
    ctx.wait_until(async move { perform(&env, &loaded, &request_id, effects).await });
}

/// Performs `effects` now: the single-logout requests and the accounting at the same
/// time.
pub async fn perform(env: &Env, loaded: &Loaded, request_id: &str, effects: Vec<Effect>) {
    let mut notices = Vec::new();
    let mut sessions = Vec::new();
    for effect in effects {
        match effect {
            Effect::SingleLogout(notice) => notices.push(notice),
            session @ (Effect::SessionStarted(_)
            | Effect::SessionUsed { .. }
            | Effect::SessionEnded { .. }) => sessions.push(session),
            other => log::fault(
                request_id,
                "effects",
                &format!("unhandled engine effect: {other:?}"),
            ),
        }
    }
    let logouts = bounded(notices, SINGLE_LOGOUT_CONCURRENCY, |notice| {
        single_logout(request_id, notice)
    });
    let accounting = async {
        if let Some(t) = &loaded.tacacs
            && !sessions.is_empty()
        {
            aaa::account(env, t, request_id, sessions).await;
        }
    };
    futures_util::future::join(logouts, accounting).await;
}

/// Sends one single-logout request and logs that it was sent (its audit line).
async fn single_logout(request_id: &str, notice: LogoutNotice) {
    let status = outbound::single_logout(&notice).await;
    let event = notice.sent(status);
    log::audit(request_id, platform::now(), &[event]);
}

/// Runs `work` on every item, at most `bound` at a time, in order: as soon as one
/// finishes the next starts, so an item that hangs holds one place and delays no other.
pub async fn bounded<T, F, Fut>(items: Vec<T>, bound: usize, work: F)
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = ()>,
{
    let places = bound.max(1).min(items.len());
    let queue = RefCell::new(items.into_iter());
    let next = || queue.borrow_mut().next();
    let place = || async {
        while let Some(item) = next() {
            work(item).await;
        }
    };
    let mut places: Vec<Pin<Box<_>>> = (0..places).map(|_| Box::pin(place())).collect();
    std::future::poll_fn(|cx| {
        places.retain_mut(|p| p.as_mut().poll(cx).is_pending());
        if places.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::task::{Context as TaskContext, Waker};

    /// Pending once, then ready (a request that takes a moment).
    fn yield_once() -> impl Future<Output = ()> {
        let mut yielded = false;
        std::future::poll_fn(move |cx| {
            if yielded {
                Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
    }

    #[test]
    fn a_hanging_single_logout_starves_no_other_2_3_3() {
        let done = RefCell::new(Vec::new());
        let run = bounded(vec![0, 1, 2, 3, 4], 2, |i| {
            let done = &done;
            async move {
                if i == 0 {
                    std::future::pending::<()>().await;
                }
                yield_once().await;
                done.borrow_mut().push(i);
            }
        });
        let mut run = std::pin::pin!(run);
        let mut cx = TaskContext::from_waker(Waker::noop());
        for _ in 0..10 {
            assert!(run.as_mut().poll(&mut cx).is_pending(), "0 never ends");
        }
        // The first service hangs (until its timeout); every other one was served.
        assert_eq!(*done.borrow(), vec![1, 2, 3, 4]);
    }

    #[test]
    fn no_more_than_the_bound_are_in_flight() {
        let (now, most, done) = (Cell::new(0), Cell::new(0), Cell::new(0));
        let run = bounded((0..20).collect(), SINGLE_LOGOUT_CONCURRENCY, |_| {
            let (now, most, done) = (&now, &most, &done);
            async move {
                now.set(now.get() + 1);
                most.set(most.get().max(now.get()));
                yield_once().await;
                yield_once().await;
                now.set(now.get() - 1);
                done.set(done.get() + 1);
            }
        });
        let mut run = std::pin::pin!(run);
        let mut cx = TaskContext::from_waker(Waker::noop());
        let mut polls = 0;
        while run.as_mut().poll(&mut cx).is_pending() {
            polls += 1;
            assert!(polls < 100, "finishes");
        }
        assert_eq!(done.get(), 20);
        assert_eq!(most.get(), SINGLE_LOGOUT_CONCURRENCY);
        // Nothing to do: done at once.
        let mut empty = std::pin::pin!(bounded(Vec::<u8>::new(), 3, |_| async {}));
        assert!(empty.as_mut().poll(&mut cx).is_ready());
    }
}
