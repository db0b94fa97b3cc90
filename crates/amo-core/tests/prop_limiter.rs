//! Property test of the rate limiter every amoCRM call waits for (`amocrm::limiter`), on
//! Tokio's paused clock — the limiter's own clock — so hours of traffic take milliseconds and
//! nothing depends on how busy the machine is (docs/fuzzing.md).
//!
//! Random callers arrive at random times; random 429s pause everyone. Checked:
//! - never more than the configured number of grants in any one second (amoCRM's rule is per
//!   second; the limiter's window is a little longer);
//! - nothing is granted while a 429's pause lasts;
//! - no starvation: every caller is served, and none waits longer than the grants ahead of it
//!   and the pauses can explain;
//! - no needless waiting: whoever waited was held back by a full window or a pause.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use amo_core::amocrm::limiter::RateLimiter;
use proptest::prelude::*;
use tokio::time::Instant;

/// The limiter's window: "a little longer than a second" (1.1 s).
const WINDOW: Duration = Duration::from_millis(1_100);

#[derive(Debug, Clone)]
struct Plan {
    per_second: usize,
    /// When each caller asks, in milliseconds from the start.
    arrivals: Vec<u64>,
    /// 429s: when, and how long everyone pauses.
    back_offs: Vec<(u64, u64)>,
}

fn plan() -> impl Strategy<Value = Plan> {
    (
        1usize..8,
        proptest::collection::vec(prop_oneof![0u64..200, 0u64..6_000], 1..60),
        proptest::collection::vec((0u64..6_000, 0u64..3_000), 0..4),
    )
        .prop_map(|(per_second, arrivals, back_offs)| Plan { per_second, arrivals, back_offs })
}

/// What happened: (asked, granted) per caller, (when, how long) per 429.
struct Outcome {
    grants: Vec<(Instant, Instant)>,
    pauses: Vec<(Instant, Duration)>,
}

/// Runs the plan on a paused clock.
fn run(plan: &Plan) -> Outcome {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().expect("runtime");
    rt.block_on(async {
        let limiter = Arc::new(RateLimiter::new(plan.per_second));
        let start = Instant::now();
        let grants = Arc::new(Mutex::new(Vec::new()));
        let pauses = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for &a in &plan.arrivals {
            let (l, g) = (limiter.clone(), grants.clone());
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep_until(start + Duration::from_millis(a)).await;
                let asked = Instant::now();
                let _ = l.acquire().await;
                g.lock().expect("lock").push((asked, Instant::now()));
            }));
        }
        for &(at, pause) in &plan.back_offs {
            let (l, p) = (limiter.clone(), pauses.clone());
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep_until(start + Duration::from_millis(at)).await;
                let pause = Duration::from_millis(pause);
                l.back_off(pause).await;
                p.lock().expect("lock").push((Instant::now(), pause));
            }));
        }
        for t in tasks {
            // Paused time jumps ahead only while every task waits, so a caller that never got
            // through would hang here; the bound below catches it first in practice.
            tokio::time::timeout(Duration::from_secs(3_600), t).await.expect("every caller is served").expect("task");
        }
        let grants = grants.lock().expect("lock").clone();
        let pauses = pauses.lock().expect("lock").clone();
        Outcome { grants, pauses }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn the_limiter_keeps_the_rate_serves_everyone_and_waits_only_when_it_must(plan in plan()) {
        let Outcome { grants, pauses } = run(&plan);
        let n = plan.per_second;
        prop_assert_eq!(grants.len(), plan.arrivals.len(), "every caller is served");
        let mut times: Vec<Instant> = grants.iter().map(|g| g.1).collect();
        times.sort();

        // The rate: at most n grants in any one second (and in any window of the limiter's).
        for (i, t) in times.iter().enumerate() {
            let in_second = times[i..].iter().take_while(|x| x.duration_since(*t) < Duration::from_secs(1)).count();
            prop_assert!(in_second <= n, "{} grants within a second (limit {})", in_second, n);
            let in_window = times[i..].iter().take_while(|x| x.duration_since(*t) < WINDOW).count();
            prop_assert!(in_window <= n, "{} grants within the window (limit {})", in_window, n);
        }

        // A 429 pauses everyone for its whole pause.
        for (at, pause) in &pauses {
            let inside = times.iter().filter(|g| **g > *at && **g < *at + *pause).count();
            prop_assert_eq!(inside, 0, "{} grants during a {:?} pause", inside, pause);
        }

        // No needless waiting: a caller that waited was let through when a window slot freed
        // or a pause ended — not later.
        for (asked, granted) in &grants {
            if granted > asked {
                let window_was_full =
                    times.iter().filter(|g| **g < *granted && granted.duration_since(**g) <= WINDOW).count() >= n;
                let pause_just_ended = pauses.iter().any(|(at, p)| *at + *p <= *granted && *at + *p + Duration::from_millis(1) >= *granted);
                let slot_just_freed = times.iter().any(|g| *g + WINDOW <= *granted && *g + WINDOW + Duration::from_millis(1) >= *granted);
                prop_assert!(
                    window_was_full || pause_just_ended || slot_just_freed,
                    "a caller waited {:?} for no reason", granted.duration_since(*asked)
                );
            }
        }

        // No starvation: whoever asks is served within the windows the grants ahead of it
        // need, plus the pauses.
        let paused: Duration = pauses.iter().map(|(_, p)| *p).sum();
        for (asked, granted) in &grants {
            let ahead = grants.iter().filter(|(a, _)| a <= asked).count();
            let bound = WINDOW * (ahead.div_ceil(n) as u32 + 1) + paused + Duration::from_millis(10);
            prop_assert!(granted.duration_since(*asked) <= bound, "waited {:?}, bound {:?}", granted.duration_since(*asked), bound);
        }
    }
}
