//! The sign-ins this process started, from `start_connect` until they end, and what binds a code
//! exchange to its sign-in.
//!
//! Two processes may each have a sign-in in flight on one data directory — the window's and a
//! CLI `connect` started meanwhile. Each state stays valid until it is used or expires (15
//! minutes): a process's new sign-in, Cancel and timeout end only that process's own sign-ins,
//! so neither silently invalidates the other's (the link of either still connects; the last
//! connection made is the one kept).
//!
//! A code exchange belongs to the sign-in it started for. When amoCRM answers, the tokens are
//! kept only if that sign-in is still wanted ([`SignIn::claim`]): Cancel, or a newer sign-in of
//! the same process, while amoCRM is answering ([`SignIn::abandon`]) means the tokens are
//! dropped and neither the keychain nor the account row changes. Claim and abandon exclude each
//! other, so exactly one of them wins.

use std::sync::{Arc, Mutex};

/// Where a sign-in is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Waiting for amoCRM's redirect, or exchanging its code.
    Open,
    /// Its tokens are being stored: too late to cancel.
    Claimed,
    /// Cancelled, replaced by a newer sign-in, or timed out: whatever amoCRM answers is dropped.
    Abandoned,
}

/// One sign-in, from its state to its end.
#[derive(Debug)]
pub(crate) struct SignIn {
    state: String,
    /// When a sign-in waiting for a link gives up: when its state expires, as the loopback
    /// listener's timeout does.
    deadline: i64,
    /// No listener: amoCRM's redirect comes back as a deep link, which nobody else times out.
    by_link: bool,
    phase: Mutex<Phase>,
}

impl SignIn {
    fn new(state: &str, deadline: i64, by_link: bool) -> SignIn {
        SignIn { state: state.to_string(), deadline, by_link, phase: Mutex::new(Phase::Open) }
    }

    /// A sign-in not in this process's list, which no Cancel here reaches: the link of one
    /// another process started (it reached this one), or a pasted code or token.
    pub(crate) fn unlisted(state: &str) -> Arc<SignIn> {
        Arc::new(SignIn::new(state, i64::MAX, true))
    }

    pub(crate) fn state(&self) -> &str {
        &self.state
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// amoCRM has answered the code exchange: may its tokens be stored? `false` when the sign-in
    /// was abandoned meanwhile; once claimed it can no longer be abandoned.
    pub(crate) fn claim(&self) -> bool {
        let mut phase = self.phase();
        match *phase {
            Phase::Open => {
                *phase = Phase::Claimed;
                true
            }
            Phase::Claimed => true,
            Phase::Abandoned => false,
        }
    }

    /// Cancelled, replaced or timed out. `true` when it was still open (its tokens, if amoCRM
    /// answers later, are dropped); `false` when it had ended or its tokens are being stored.
    pub(crate) fn abandon(&self) -> bool {
        let mut phase = self.phase();
        if *phase == Phase::Open {
            *phase = Phase::Abandoned;
            true
        } else {
            false
        }
    }
}

/// The sign-ins of this process that have not ended, and a signal for each new one (whoever
/// waits for the next deadline waits for that too: nothing ticks while none is open).
#[derive(Default)]
pub(crate) struct SignIns(Mutex<Vec<Arc<SignIn>>>, tokio::sync::Notify);

impl SignIns {
    fn list(&self) -> std::sync::MutexGuard<'_, Vec<Arc<SignIn>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new sign-in of this process.
    pub(crate) fn start(&self, state: &str, deadline: i64, by_link: bool) -> Arc<SignIn> {
        let s = Arc::new(SignIn::new(state, deadline, by_link));
        self.list().push(s.clone());
        self.1.notify_one();
        s
    }

    /// The earliest deadline of an open sign-in waiting for a link (`None`: none waits).
    pub(crate) fn next_link_deadline(&self) -> Option<i64> {
        self.list().iter().filter(|s| s.by_link && *s.phase() == Phase::Open).map(|s| s.deadline).min()
    }

    /// Resolves when a sign-in starts after the last call (or started since, unheard).
    pub(crate) async fn started(&self) {
        self.1.notified().await
    }

    /// This process's sign-in with `state`, if it started it and it has not ended.
    pub(crate) fn find(&self, state: &str) -> Option<Arc<SignIn>> {
        self.list().iter().find(|s| s.state == state).cloned()
    }

    /// Abandons every sign-in of this process (Cancel, or a new one starting) and returns those
    /// that were still open; all are forgotten.
    pub(crate) fn abandon_all(&self) -> Vec<Arc<SignIn>> {
        let all = std::mem::take(&mut *self.list());
        all.into_iter().filter(|s| s.abandon()).collect()
    }

    /// The open sign-ins waiting for a link whose deadline is `now` or earlier.
    pub(crate) fn overdue(&self, now: i64) -> Vec<Arc<SignIn>> {
        self.list().iter().filter(|s| s.by_link && s.deadline <= now && *s.phase() == Phase::Open).cloned().collect()
    }

    /// The sign-in has ended (connected, failed, timed out).
    pub(crate) fn forget(&self, sign_in: &Arc<SignIn>) {
        self.list().retain(|s| !Arc::ptr_eq(s, sign_in));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claim_and_abandon_exclude_each_other() {
        let list = SignIns::default();
        let a = list.start("a", 100, true);
        assert!(a.claim(), "an open sign-in may store its tokens");
        assert!(!a.abandon(), "too late to cancel once its tokens are being stored");
        let b = list.start("b", 100, true);
        assert!(b.abandon());
        assert!(!b.claim(), "an abandoned sign-in's tokens are dropped");
        assert!(!b.abandon(), "abandoned once");
    }

    #[test]
    fn only_open_link_sign_ins_past_their_deadline_are_overdue() {
        let list = SignIns::default();
        let by_link = list.start("link", 100, true);
        let _listening = list.start("loopback", 100, false);
        let claimed = list.start("claimed", 100, true);
        assert!(claimed.claim());
        assert!(list.overdue(99).is_empty());
        let overdue = list.overdue(100);
        assert_eq!(overdue.len(), 1);
        assert!(Arc::ptr_eq(&overdue[0], &by_link));
        list.forget(&by_link);
        assert!(list.find("link").is_none() && list.find("loopback").is_some());
        // Abandoning all returns the open ones and forgets every one.
        assert_eq!(list.abandon_all().len(), 1, "the listening one; the claimed one is storing");
        assert!(list.find("loopback").is_none() && list.find("claimed").is_none());
    }

    #[tokio::test]
    async fn the_timer_waits_for_the_earliest_open_link_deadline_and_hears_a_new_sign_in() {
        let list = Arc::new(SignIns::default());
        assert_eq!(list.next_link_deadline(), None, "nothing to wait for: the timer sleeps on the signal");
        let waiting = {
            let list = list.clone();
            tokio::spawn(async move { list.started().await })
        };
        tokio::task::yield_now().await;
        let late = list.start("late", 300, true);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await.expect("heard").expect("task");
        let _loopback = list.start("loopback", 100, false);
        let early = list.start("early", 200, true);
        assert_eq!(list.next_link_deadline(), Some(200), "a loopback sign-in has its own listener's timeout");
        assert!(early.claim());
        assert_eq!(list.next_link_deadline(), Some(300), "a claimed one is being stored, not waiting");
        list.forget(&late);
        assert_eq!(list.next_link_deadline(), None);
    }
}
