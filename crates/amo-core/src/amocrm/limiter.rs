//! One client-side rate limiter for every amoCRM API call of the process: the worker sending the
//! outbox, the forms' duplicate check, reference data and `lead list` all wait here.
//!
//! amoCRM allows 7 requests per second and answers more with 429; repeated 429s get the whole
//! account's API blocked until support lifts it (docs/amocrm-api.md §9, §11.6 (the quoted rule is in §9.3): "at most
//! 7 req/s, better ~5, no parallel bursts"). So the limiter grants at most [`DEFAULT_PER_SECOND`]
//! requests in any sliding window of a second plus a safety margin, and a 429 pauses everyone.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Below amoCRM's 7: leaves room for network jitter bunching requests up on arrival.
pub const DEFAULT_PER_SECOND: usize = 5;
/// The window is a little longer than a second, for the same reason.
const WINDOW: Duration = Duration::from_millis(1_100);

pub struct RateLimiter {
    per_window: usize,
    state: tokio::sync::Mutex<State>,
}

struct State {
    granted: VecDeque<Instant>,
    paused_until: Option<Instant>,
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
            state: tokio::sync::Mutex::new(State { granted: VecDeque::new(), paused_until: None }),
        }
    }

    /// Waits until one more request may go out, and counts it.
    pub async fn acquire(&self) {
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
                            st.granted.push_back(now);
                            return;
                        }
                        let oldest = st.granted.front().copied().unwrap_or(now);
                        (oldest + WINDOW).saturating_duration_since(now)
                    }
                }
            };
            tokio::time::sleep(wait.max(Duration::from_millis(1))).await;
        }
    }

    /// amoCRM said 429: nobody in this process sends for `pause`.
    pub async fn back_off(&self, pause: Duration) {
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
                l.acquire().await;
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

    #[tokio::test(start_paused = true)]
    async fn a_back_off_pauses_every_caller() {
        let limiter = RateLimiter::new(5);
        limiter.back_off(Duration::from_secs(3)).await;
        let start = Instant::now();
        limiter.acquire().await;
        assert!(start.elapsed() >= Duration::from_secs(3));
    }
}
