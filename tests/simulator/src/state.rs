//! The simulator's shared state (not part of amoCRM): what one account holds — its
//! configuration, the counters tests read, OAuth codes and tokens, the API gate's state and the
//! CRM store — behind one lock, and the clock and random ids that stamp it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::config::SimConfig;
use crate::oauth::CodeEntry;
use crate::{crm, gate};

/// Counters a test can read (also at `GET /_sim/stats`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    pub authorize_pages: u64,
    pub codes_issued: u64,
    pub denials: u64,
    pub token_requests: u64,
    pub code_exchanges: u64,
    pub refreshes: u64,
    pub reused_refresh_tokens: u64,
    pub token_errors: u64,
    pub api_requests: u64,
    pub unauthorized: u64,
    pub rate_limited: u64,
    /// The most API requests the simulator saw within any one second.
    pub max_requests_per_second: u64,
    /// Requests answered with the 403 HTML ban page.
    pub banned_requests: u64,
    /// Requests a [`Faults`](crate::Faults) setting failed, refused or whose answer it dropped.
    pub faults_injected: u64,
    pub complex_requests: u64,
    pub leads_created: u64,
    pub contacts_created: u64,
    pub notes_created: u64,
    /// `/leads/complex` items that duplicate control merged into an existing lead.
    pub merged: u64,
    /// Companies created (`POST /companies`, or new in a complex or unsorted add).
    #[serde(default)]
    pub companies_created: u64,
    #[serde(default)]
    pub tasks_created: u64,
    /// Incoming leads added through `POST /leads/unsorted/forms`.
    #[serde(default)]
    pub unsorted_created: u64,
    /// Links made or removed through `POST …/{id}/link` and `…/unlink`.
    #[serde(default)]
    pub links_changed: u64,
}

pub(crate) struct Inner {
    pub(crate) cfg: SimConfig,
    pub(crate) stats: Stats,
    pub(crate) codes: HashMap<String, CodeEntry>,
    /// refresh token → already used?
    pub(crate) refresh_tokens: HashMap<String, bool>,
    /// access token → expires at (unix seconds)
    pub(crate) access_tokens: HashMap<String, i64>,
    /// access or refresh token → the user it acts for
    pub(crate) token_users: HashMap<String, i64>,
    /// The user signed in to amoCRM in the browser: who allows access on the authorize page and
    /// whose codes the Keys tab shows.
    pub(crate) signed_in_user: i64,
    /// Every API request answers 401 while the token endpoint still issues tokens: the
    /// integration's user was deactivated or lost API access (see [`crate::Simulator::deny_api`]).
    pub(crate) api_denied: bool,
    /// The token endpoint does its work, then holds the answer back this long (a slow network:
    /// the client is waiting for an answer to a grant amoCRM already carried out).
    pub(crate) token_answer_delay_ms: u64,
    pub(crate) gate: gate::Gate,
    pub(crate) crm: crm::Crm,
}

#[derive(Clone)]
pub(crate) struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    /// A fresh account: the seeded CRM, no codes or tokens, the configured admin signed in.
    pub(crate) fn new(cfg: SimConfig) -> Shared {
        let crm = crm::Crm::new(cfg.user_id);
        let signed_in = cfg.user_id;
        Shared(Arc::new(Mutex::new(Inner {
            signed_in_user: signed_in,
            api_denied: false,
            token_answer_delay_ms: 0,
            cfg,
            stats: Stats::default(),
            codes: HashMap::new(),
            refresh_tokens: HashMap::new(),
            access_tokens: HashMap::new(),
            token_users: HashMap::new(),
            gate: gate::Gate::new(),
            crm,
        })))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) fn random_hex(n_bytes: usize) -> String {
    let mut b = vec![0u8; n_bytes];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn uuid_like() -> String {
    let h = random_hex(16);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}
