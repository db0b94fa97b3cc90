//! The request budget every process on one data directory shares: the window's worker, each CLI
//! command, a second window. amoCRM counts requests per account, not per process, and answers
//! more than 7 a second with 429 — and repeated 429s with a ban only support lifts
//! (docs/amocrm-api.md §9). So the grants of the last second and the 429 pause live in a small
//! file in the data directory, read and written under an OS file lock; at most [`CEILING`]
//! requests go out in any rolling second, whoever sends them.
//!
//! Several desks (data directories, colleagues' machines) may share one account, and amoCRM does
//! not say whether its limit is per account, per integration or per token. Desks cannot talk to
//! each other, so each adapts (AIMD, as TCP does): a 429 halves this desk's rate, which then
//! creeps back by one request per second every [`CREEP_EVERY_MS`]. N desks meeting 429s settle
//! under the ceiling within a few halvings, without coordination.
//!
//! amoCRM counts a request when it arrives, which is somewhere between our grant and its answer;
//! on a busy machine a request granted early can be sent late. So once a request is answered its
//! slot is moved to the answer's time ([`SharedBudget::done`]): the next requests are spaced from
//! the latest moment the request can have arrived, and no second can hold more than the ceiling
//! however late requests leave.
//!
//! Time is wall-clock milliseconds (processes share no monotonic clock). A clock set back makes
//! recorded grants look like the future; those are dropped rather than trusted.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// At most this many requests in any rolling second, for all processes of a desk together
/// (amoCRM allows 7; one is left for jitter bunching requests up on arrival).
pub const CEILING: f64 = 6.0;
/// The rate never falls below this many per second.
const FLOOR: f64 = 1.0;
/// After a 429 the rate grows back by one request per second this often.
pub const CREEP_EVERY_MS: i64 = 20_000;
/// Longer than a second: requests granted a second apart can arrive closer together (the first
/// one delayed on the way — a busy machine, a slow hop), and amoCRM counts arrivals. On a loaded
/// 2-core machine 1.1 s still let 7 arrive within a second now and then; 1.2 s did not.
const WINDOW_MS: i64 = 1_200;

/// No pause is longer: amoCRM asks for seconds (`limiter::BACK_OFF_ON_429`); a longer one in the
/// file is from a clock set back, or damage.
const MAX_PAUSE_MS: i64 = 60_000;
/// No time in the file is later than the year 9999 (nor before 1970): anything else is damage.
const LATEST_MS: i64 = 253_402_300_799_999;
/// No second holds more grants than this (the ceiling, with room).
const MAX_GRANTS: usize = 64;

/// What the file holds.
#[derive(Debug, Clone, PartialEq)]
struct State {
    /// The rate right after the last 429 (requests per second).
    rate_at_429: f64,
    /// When the last 429 was met (0: never).
    last_429_ms: i64,
    /// Nobody sends before this.
    paused_until_ms: i64,
    /// When the grants of the last second were given, oldest first.
    grants: Vec<i64>,
}

impl Default for State {
    fn default() -> Self {
        State { rate_at_429: CEILING, last_429_ms: 0, paused_until_ms: 0, grants: Vec::new() }
    }
}

impl State {
    /// The rate allowed at `now`: halved at the last 429, grown back since.
    fn rate(&self, now: i64) -> f64 {
        if self.last_429_ms == 0 || now < self.last_429_ms {
            return CEILING;
        }
        let crept = (now.saturating_sub(self.last_429_ms) / CREEP_EVERY_MS) as f64;
        (self.rate_at_429 + crept).min(CEILING)
    }

    /// The file's state, or a fresh budget and what was wrong with it. Every value is
    /// range-checked: a damaged line (a crash mid-write, a disk error, another program) must not
    /// hold every process of the desk forever — a grant at the far end of time never leaves the
    /// window, a pause that never ends never lets anyone send. So one bad value makes the whole
    /// line read as absent (a fresh budget is at worst one second of six requests too many).
    fn parse(text: &str) -> (State, Option<&'static str>) {
        match Self::parse_checked(text) {
            Ok(s) => (s, None),
            Err(why) => (State::default(), Some(why)),
        }
    }

    fn parse_checked(text: &str) -> Result<State, &'static str> {
        let mut parts = text.split_ascii_whitespace();
        match parts.next() {
            // An empty file is a new budget, not a damaged one.
            None => return Ok(State::default()),
            Some("v1") => {}
            Some(_) => return Err("not a v1 budget line"),
        }
        let rate = parts.next().and_then(|p| p.parse::<f64>().ok()).ok_or("the rate is missing or not a number")?;
        if !(FLOOR..=CEILING).contains(&rate) {
            // Also NaN and the infinities: `contains` is false for them.
            return Err("the rate is out of range");
        }
        let mut stamp = || -> Result<i64, &'static str> {
            let p = parts.next().ok_or("a time is missing")?;
            let ms = p.parse::<i64>().map_err(|_| "a time is not whole milliseconds")?;
            if (0..=LATEST_MS).contains(&ms) {
                Ok(ms)
            } else {
                Err("a time is out of range")
            }
        };
        let (last_429_ms, paused_until_ms) = (stamp()?, stamp()?);
        let mut grants = Vec::new();
        for p in parts.by_ref().take(MAX_GRANTS) {
            let g = p.parse::<i64>().map_err(|_| "a grant is not whole milliseconds")?;
            if !(0..=LATEST_MS).contains(&g) {
                return Err("a grant is out of range");
            }
            grants.push(g);
        }
        if parts.next().is_some() {
            return Err("more grants than any second can hold");
        }
        Ok(State { rate_at_429: rate, last_429_ms, paused_until_ms, grants })
    }

    /// What cannot be true at `now` is forgotten: grants and a 429 "in the future" (a clock set
    /// back, or a line written by a clock far ahead), a pause longer than any amoCRM asks for;
    /// and grants older than the window, which no longer count.
    fn forget_the_impossible(&mut self, now: i64) {
        self.grants.retain(|&g| g <= now && now.saturating_sub(g) < WINDOW_MS);
        if self.last_429_ms > now {
            (self.last_429_ms, self.rate_at_429) = (0, CEILING);
        }
        if self.paused_until_ms > now.saturating_add(MAX_PAUSE_MS) {
            self.paused_until_ms = 0;
        }
    }

    fn render(&self) -> String {
        let grants: Vec<String> = self.grants.iter().map(i64::to_string).collect();
        format!("v1 {} {} {} {}\n", self.rate_at_429, self.last_429_ms, self.paused_until_ms, grants.join(" "))
    }

    /// One more request at `now`, or how long to wait for one.
    fn take(&mut self, now: i64) -> Result<i64, Duration> {
        // Forget what is older than the window, and what lies in the future (a clock set back).
        self.forget_the_impossible(now);
        if self.paused_until_ms > now {
            return Err(Duration::from_millis((self.paused_until_ms - now) as u64));
        }
        // `rate` requests per second: e.g. 1.5 → one per 800 ms, 6 → six in any 1.2 s.
        let rate = self.rate(now).max(FLOOR);
        let per_window = rate.floor().max(1.0) as usize;
        let spacing = (WINDOW_MS as f64 / rate) as i64;
        let spaced = rate < 2.0;
        let last = self.grants.last().copied();
        if self.grants.len() >= per_window {
            let oldest = self.grants[self.grants.len() - per_window];
            return Err(Duration::from_millis((oldest + WINDOW_MS - now).max(1) as u64));
        }
        if let (true, Some(last)) = (spaced, last) {
            if now - last < spacing {
                return Err(Duration::from_millis((last + spacing - now).max(1) as u64));
            }
        }
        self.grants.push(now);
        Ok(now)
    }

    /// The request granted at `granted` was answered at `now`: its slot counts from `now`.
    fn done(&mut self, granted: i64, now: i64) {
        if let Some(g) = self.grants.iter_mut().find(|g| **g == granted) {
            *g = (*g).max(now);
        }
        self.grants.sort_unstable();
    }

    /// amoCRM answered 429 at `now`: everyone pauses `pause`, and this desk's rate halves (once
    /// per pause: the 429s of requests already under way are the same event).
    fn on_429(&mut self, now: i64, pause: Duration) {
        self.forget_the_impossible(now);
        if now >= self.paused_until_ms {
            self.rate_at_429 = (self.rate(now) / 2.0).max(FLOOR);
            self.last_429_ms = now;
        }
        let pause = i64::try_from(pause.as_millis()).unwrap_or(MAX_PAUSE_MS).min(MAX_PAUSE_MS);
        self.paused_until_ms = self.paused_until_ms.max(now.saturating_add(pause));
    }
}

/// The budget file of one data directory.
#[derive(Debug, Clone)]
pub struct SharedBudget {
    path: PathBuf,
}

impl SharedBudget {
    pub fn at(path: impl AsRef<Path>) -> SharedBudget {
        SharedBudget { path: path.as_ref().to_path_buf() }
    }

    /// Takes one request at `now_ms` (wall clock), or says how long to wait before asking again.
    /// A budget file that cannot be used (a read-only directory) does not stop requests: the
    /// in-process limiter still holds them to its own rate.
    /// On success, the grant's time, to hand back to [`SharedBudget::done`].
    pub fn take(&self, now_ms: i64) -> Result<i64, Duration> {
        self.with_state(|s| s.take(now_ms)).unwrap_or(Ok(now_ms))
    }

    /// The request granted at `granted` got its answer (or failed) at `now_ms`.
    pub fn done(&self, granted: i64, now_ms: i64) {
        let _ = self.with_state(|s| s.done(granted, now_ms));
    }

    /// amoCRM answered 429: every process of this desk pauses `pause`; the desk's rate halves.
    pub fn on_429(&self, now_ms: i64, pause: Duration) {
        let _ = self.with_state(|s| s.on_429(now_ms, pause));
    }

    /// The requests per second this desk may send at `now_ms` (diagnostics and tests).
    pub fn rate(&self, now_ms: i64) -> f64 {
        self.with_state(|s| s.rate(now_ms)).unwrap_or(CEILING)
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> std::io::Result<T> {
        // Never through a symlink planted in its place: every process would write where it points.
        let mut file = crate::paths::open_file(
            &self.path,
            OpenOptions::new().create(true).truncate(false).read(true).write(true),
        )?;
        file.lock()?;
        let result = self.update(&mut file, f);
        let _ = file.unlock();
        result
    }

    fn update<T>(&self, file: &mut File, f: impl FnOnce(&mut State) -> T) -> std::io::Result<T> {
        let mut bytes = Vec::new();
        // A file of another format or damaged reads as a fresh budget, and is written anew.
        let read = file.take(4096).read_to_end(&mut bytes);
        let (mut state, problem) = match (read, std::str::from_utf8(&bytes)) {
            (Ok(_), Ok(text)) => State::parse(text),
            _ => (State::default(), Some("the file cannot be read as text")),
        };
        if let Some(why) = problem {
            // Once per process: a budget damaged for good would otherwise fill the log.
            static TOLD: AtomicBool = AtomicBool::new(false);
            if !TOLD.swap(true, Ordering::Relaxed) {
                tracing::warn!(path = %self.path.display(), why, "the shared request budget was damaged; starting it afresh");
            }
        }
        let before = state.clone();
        let out = f(&mut state);
        if state != before || problem.is_some() {
            file.seek(SeekFrom::Start(0))?;
            file.set_len(0)?;
            file.write_all(state.render().as_bytes())?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Grants `n` requests as fast as the budget allows, from `start`; returns when each went.
    fn drain(b: &SharedBudget, start: i64, n: usize) -> Vec<i64> {
        let (mut now, mut times) = (start, Vec::new());
        while times.len() < n {
            match b.take(now) {
                Ok(_) => times.push(now),
                Err(wait) => now += wait.as_millis() as i64,
            }
        }
        times
    }

    fn max_in_a_second(times: &[i64]) -> usize {
        times.iter().map(|t| times.iter().filter(|x| **x >= *t && **x - *t < 1_000).count()).max().unwrap_or(0)
    }

    #[test]
    fn two_processes_on_one_file_share_six_per_second() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (a, b) = (SharedBudget::at(tmp.path().join("budget")), SharedBudget::at(tmp.path().join("budget")));
        let mut times = Vec::new();
        let mut now = 1_000_000;
        // Two processes asking in turn, each as often as it may.
        while times.len() < 60 {
            for p in [&a, &b] {
                if p.take(now).is_ok() {
                    times.push(now);
                }
            }
            now += 7;
        }
        assert_eq!(max_in_a_second(&times), 6, "{times:?}");
    }

    #[test]
    fn a_slot_counts_from_the_answer_so_late_requests_never_bunch_up() {
        let tmp = tempfile::tempdir().expect("tmp");
        let b = SharedBudget::at(tmp.path().join("budget"));
        // Six granted at once; the first is answered only 500 ms later (it may have left late).
        let grants: Vec<i64> = (0..6).map(|_| b.take(1_000).expect("slot")).collect();
        b.done(grants[0], 1_500);
        for g in &grants[1..] {
            b.done(*g, 1_010);
        }
        // The seventh waits until the oldest slot (now counting from 1 010) is 1.2 s old.
        assert_eq!(b.take(2_000), Err(Duration::from_millis(210)));
        assert!(b.take(2_210).is_ok());
        // The slot answered at 1 500 holds until 2 700.
        assert!(b.take(2_300).is_ok() && b.take(2_300).is_ok() && b.take(2_300).is_ok() && b.take(2_300).is_ok());
        assert!(b.take(2_300).is_err());
    }

    #[test]
    fn a_429_pauses_everyone_halves_the_rate_and_it_creeps_back() {
        let tmp = tempfile::tempdir().expect("tmp");
        let b = SharedBudget::at(tmp.path().join("budget"));
        let t = 5_000_000;
        b.on_429(t, Duration::from_secs(2));
        // A second process sees the pause.
        let other = SharedBudget::at(tmp.path().join("budget"));
        assert_eq!(other.take(t + 100), Err(Duration::from_millis(1_900)));
        assert_eq!(b.rate(t), 3.0);
        // The 429s of requests already under way are the same event: no second halving.
        b.on_429(t + 50, Duration::from_secs(2));
        assert_eq!(b.rate(t + 50), 3.0);
        let after = drain(&b, t + 2_000, 30);
        assert!(max_in_a_second(&after[..9]) <= 3, "{after:?}");
        // Another 429 after the pause: 1.5 per second, one request per 800 ms.
        b.on_429(t + 19_000, Duration::from_secs(2));
        assert_eq!(b.rate(t + 19_000), 1.5);
        let slow = drain(&b, t + 21_000, 4);
        assert!(slow.windows(2).all(|w| w[1] - w[0] >= 800), "{slow:?}");
        // Twenty seconds per step back up, never above the ceiling.
        assert_eq!(b.rate(t + 19_000 + CREEP_EVERY_MS), 2.5);
        assert_eq!(b.rate(t + 19_000 + 10 * CREEP_EVERY_MS), CEILING);
    }

    /// Lines a crash mid-write, a disk error or another program can leave: every value out of
    /// range. Each must read as a fresh budget (once past the pause it may hold), never as a
    /// budget that holds every process forever.
    #[test]
    fn every_value_read_from_the_file_is_range_checked() {
        let now: i64 = 1_700_000_000_000;
        let min = i64::MIN.to_string();
        let damaged = [
            // Grants at the far end of time: "older than the window" overflows.
            format!("v1 6 0 0 {min} {min} {min} {min} {min} {min}"),
            // A 429 met before time began: the creep back overflows.
            format!("v1 1 {min} 0"),
            "v1 1 -5 0".into(),
            // A pause that never ends, as a float and as an integer.
            "v1 6 0 1e300".into(),
            "v1 6 0 9223372036854775807".into(),
            format!("v1 6 0 {}", now + 3_600_000),
            // NaN, infinities and fractions where whole milliseconds belong.
            "v1 NaN NaN NaN NaN".into(),
            "v1 6 inf -inf".into(),
            format!("v1 6 0 0 {now}.5"),
            // Grants from a clock far ahead, and garbage after good values.
            format!("v1 6 0 0 {} {} {} {} {} {}", now + 1, now + 2, now + 3, now + 4, now + 5, now + 6),
            format!("v1 6 0 0 {now} garbage"),
            "v1 -3 0 0".into(),
            "v1 1e308 0 0".into(),
        ];
        for line in damaged {
            let tmp = tempfile::tempdir().expect("tmp");
            let path = tmp.path().join("budget");
            std::fs::write(&path, &line).expect("write");
            let b = SharedBudget::at(&path);
            assert_eq!(b.rate(now), CEILING, "{line}");
            // Six requests go at once, as from a fresh budget, and the file is whole again.
            let times = drain(&b, now, 6);
            assert_eq!(times, vec![now; 6], "{line}");
            let text = std::fs::read_to_string(&path).expect("read");
            assert!(State::parse(&text).1.is_none(), "rewritten whole after {line}: {text}");
        }
        // A good line is read as written.
        let good = format!("v1 3 {} {} {}", now - 1_000, now + 1_500, now - 100);
        let (state, problem) = State::parse(&good);
        assert_eq!(problem, None);
        assert_eq!(state.grants, vec![now - 100]);
        assert_eq!((state.rate_at_429, state.paused_until_ms), (3.0, now + 1_500));
    }

    /// A symlink planted in place of the budget is not followed (every process would write
    /// where it points): requests still go, held by each process's own limiter.
    #[cfg(unix)]
    #[test]
    fn a_symlink_in_place_of_the_budget_is_not_followed() {
        let tmp = tempfile::tempdir().expect("tmp");
        let target = tmp.path().join("elsewhere");
        std::fs::write(&target, "precious").expect("write");
        let path = tmp.path().join("budget");
        std::os::unix::fs::symlink(&target, &path).expect("symlink");
        let b = SharedBudget::at(&path);
        assert_eq!(b.take(10_000), Ok(10_000));
        b.on_429(10_000, Duration::from_secs(2));
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "precious");
    }

    #[test]
    fn a_damaged_file_or_a_clock_set_back_does_not_stop_requests() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("budget");
        std::fs::write(&path, "garbage \u{0}\u{1} 1 2 3").expect("write");
        let b = SharedBudget::at(&path);
        assert_eq!(b.take(10_000), Ok(10_000));
        // Six grants "in the future" (the clock went back an hour): not held against anyone.
        drain(&b, 3_600_000, 6);
        assert_eq!(b.take(10), Ok(10));
        // A pause from before the clock went back ends.
        b.on_429(3_600_000, Duration::from_secs(2));
        assert_eq!(b.take(20_000), Ok(20_000));
    }
}
