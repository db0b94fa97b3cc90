//! One client-side rate limiter for every amoCRM API call of the process: the worker sending the
//! outbox, the forms' duplicate check, reference data and `lead list` all wait here.
//!
//! amoCRM allows 7 requests per second and answers more with 429; repeated 429s get the whole
//! account's API blocked until support lifts it (docs/amocrm-api.md §9, §11.6 (the quoted rule is in §9.3): "at most
//! 7 req/s, better ~5, no parallel bursts"). So the limiter grants at most [`DEFAULT_PER_SECOND`]
//! requests in any sliding window of a second plus a safety margin, and a 429 pauses everyone.
//!
//! With a data directory, every grant also needs a slot of the budget all processes on that
//! directory share (`budget`: at most 6 in any second, AIMD after a 429): the window and CLI
//! commands running at once stay under amoCRM's limit together.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use super::budget::SharedBudget;

/// Below amoCRM's 7: leaves room for network jitter bunching requests up on arrival.
pub const DEFAULT_PER_SECOND: usize = 5;
/// After a 429 every caller (of the process, and of the data directory) pauses this long.
pub const BACK_OFF_ON_429: Duration = Duration::from_secs(2);
/// The longest a grant waits for the shared budget at one go before asking it again.
const MAX_SHARED_WAIT: Duration = Duration::from_secs(60);
/// The window is a little longer than a second, for the same reason.
const WINDOW: Duration = Duration::from_millis(1_100);

pub struct RateLimiter {
    per_window: usize,
    /// Callers take turns in the order they asked (Tokio's mutex is fair): only the first waits
    /// for a slot, so a caller that arrives just as a slot frees never overtakes one that has been
    /// waiting — without it a steady stream of new calls could starve a waiting one.
    turn: tokio::sync::Mutex<()>,
    state: tokio::sync::Mutex<State>,
    /// The budget shared with the other processes on the data directory, if any.
    shared: Option<SharedBudget>,
}

struct State {
    granted: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

/// One request let through by [`RateLimiter::acquire`].
#[must_use = "hand it back to RateLimiter::finished when the answer is in"]
#[derive(Debug)]
pub struct Grant {
    /// The slot's time in the shared budget, if there is one.
    shared_at: Option<i64>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::new(DEFAULT_PER_SECOND)
    }
}

impl RateLimiter {
    pub fn new(per_second: usize) -> RateLimiter {
        RateLimiter {
            per_window: per_second.max(1),
            turn: tokio::sync::Mutex::new(()),
            state: tokio::sync::Mutex::new(State { granted: VecDeque::new(), paused_until: None }),
            shared: None,
        }
    }

    /// [`RateLimiter::new`] that also takes every request from `shared`.
    pub fn with_budget(per_second: usize, shared: SharedBudget) -> RateLimiter {
        RateLimiter { shared: Some(shared), ..RateLimiter::new(per_second) }
    }

    /// Waits until one more request may go out, and counts it. Callers are served in the order
    /// they called. Hand the grant back to [`RateLimiter::finished`] when the answer (or the
    /// failure) is in.
    pub async fn acquire(&self) -> Grant {
        let _turn = self.turn.lock().await;
        loop {
            let wait = {
                let mut st = self.state.lock().await;
                let now = Instant::now();
                match st.paused_until {
                    Some(p) if p > now => p - now,
                    _ => {
                        while st.granted.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                            st.granted.pop_front();
                        }
                        if st.granted.len() < self.per_window {
                            match self.shared.as_ref().map(|b| b.take(crate::clock::now_ms())) {
                                None => {
                                    st.granted.push_back(now);
                                    return Grant { shared_at: None };
                                }
                                Some(Ok(at)) => {
                                    st.granted.push_back(now);
                                    return Grant { shared_at: Some(at) };
                                }
                                // Another process took the shared second, or a 429 pauses us all
                                // (never longer than any pause amoCRM asks for: `budget` checks
                                // what it reads, and this holds even if it did not).
                                Some(Err(wait)) => wait.min(MAX_SHARED_WAIT),
                            }
                        } else {
                            let oldest = st.granted.front().copied().unwrap_or(now);
                            (oldest + WINDOW).saturating_duration_since(now)
                        }
                    }
                }
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    /// The request of `grant` was answered (or failed): in the shared budget its slot counts
    /// from now, the latest moment amoCRM can have received it (`budget`).
    pub fn finished(&self, grant: Grant) {
        if let (Some(b), Some(at)) = (&self.shared, grant.shared_at) {
            b.done(at, crate::clock::now_ms());
        }
    }

    /// amoCRM said 429: nobody in this process (nor, with a shared budget, on this data
    /// directory) sends for `pause`.
    pub async fn back_off(&self, pause: Duration) {
        if let Some(b) = &self.shared {
            b.on_429(crate::clock::now_ms(), pause);
        }
        let mut st = self.state.lock().await;
        let until = Instant::now() + pause;
        st.paused_until = Some(st.paused_until.map_or(until, |p| p.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn never_grants_more_than_the_limit_in_any_window() {
        let limiter = std::sync::Arc::new(RateLimiter::new(5));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let l = limiter.clone();
            tasks.push(tokio::spawn(async move {
                let _ = l.acquire().await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.expect("task"));
        }
        times.sort();
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..].iter().take_while(|x| x.duration_since(*t) < Duration::from_secs(1)).count();
            assert!(in_window <= 5, "{in_window} grants within a second");
        }
        // 40 requests at 5 per 1.1 s: the last goes out after 7 windows.
        assert!(times[39].duration_since(start) >= WINDOW * 7);
    }

    /// Found by tests/prop_limiter.rs: callers that arrived just as a slot freed took it from
    /// callers that had been waiting for it, again and again.
    #[tokio::test(start_paused = true)]
    async fn callers_are_served_in_the_order_they_asked() {
        let limiter = std::sync::Arc::new(RateLimiter::new(1));
        let start = Instant::now();
        let mut tasks = Vec::new();
        // Four callers at once (one goes, three wait), then a newcomer at every moment a slot frees.
        let arrivals = [0u64, 0, 0, 0, 1_100, 2_200, 3_300];
        for (i, at) in arrivals.into_iter().enumerate() {
            let l = limiter.clone();
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep_until(start + Duration::from_millis(at)).await;
                let _ = l.acquire().await;
                (i, Instant::now())
            }));
        }
        let mut served = Vec::new();
        for t in tasks {
            served.push(t.await.expect("task"));
        }
        served.sort_by_key(|(_, at)| *at);
        // The first four in any order among themselves, each newcomer after them.
        let early = served.iter().take(4).filter(|(i, _)| *i < 4).count();
        assert_eq!(early, 4, "a newcomer overtook a waiting caller: {served:?}");
        let waited = served.iter().map(|(_, at)| at.duration_since(start)).max().expect("served");
        assert!(waited <= WINDOW * 6 + Duration::from_millis(10), "the last caller waited {waited:?}");
    }

    /// A budget file damaged by a crash or a disk error (grants at the far end of time) is read
    /// as a fresh one: the process sends, it is not held forever.
    #[tokio::test(start_paused = true)]
    async fn a_damaged_shared_budget_does_not_hold_requests() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("budget");
        let min = i64::MIN;
        std::fs::write(&path, format!("v1 1 {min} 0 {min} {min} {min} {min} {min} {min}")).expect("write");
        let limiter = RateLimiter::with_budget(5, SharedBudget::at(&path));
        let start = Instant::now();
        for _ in 0..5 {
            let grant = tokio::time::timeout(Duration::from_secs(5), limiter.acquire()).await.expect("not held");
            limiter.finished(grant);
        }
        assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_back_off_pauses_every_caller() {
        let limiter = RateLimiter::new(5);
        limiter.back_off(Duration::from_secs(3)).await;
        let start = Instant::now();
        let _ = limiter.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(3));
    }
}
