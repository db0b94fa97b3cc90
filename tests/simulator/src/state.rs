//! The simulator's shared state (not part of amoCRM): what one account holds — its
//! configuration, the counters tests read, OAuth codes and tokens, the API gate's state and the
//! CRM store of entities ([`Crm`]) — behind one lock, and the clock and random ids that stamp it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::config::SimConfig;
use crate::contacts::SimContact;
use crate::gate;
use crate::leads::SimLead;
use crate::notes::SimNote;
use crate::oauth::CodeEntry;
use crate::pipelines::{default_pipelines, SimPipeline};
use crate::users::{default_users, SimUser};

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
    /// Changes of tasks and leads an API `PATCH` made (one per entity changed; a colleague's
    /// change through `/_sim/…/as-colleague` is not counted).
    #[serde(default)]
    pub tasks_changed: u64,
    #[serde(default)]
    pub leads_changed: u64,
    /// Incoming leads added through `POST /leads/unsorted/forms`.
    #[serde(default)]
    pub unsorted_created: u64,
    /// Links made or removed through `POST …/{id}/link` and `…/unlink`.
    #[serde(default)]
    pub links_changed: u64,
    /// Calls `POST /api/v4/calls` matched to an entity and wrote as a note.
    #[serde(default)]
    pub calls_logged: u64,
    /// Incoming leads added through `POST /leads/unsorted/sip`.
    #[serde(default)]
    pub sip_created: u64,
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
    pub(crate) crm: Crm,
    /// Colleagues' changes made just before a lead is read (`Simulator::change_lead_on_read`).
    pub(crate) on_read: Vec<crate::colleague::OnRead>,
}

pub(crate) struct Crm {
    pub pipelines: Vec<SimPipeline>,
    pub users: Vec<SimUser>,
    /// Whether the token's user is an admin: `/api/v4/users` is admin-only (docs/amocrm-api.md §8.10).
    pub users_admin: bool,
    /// amoCRM's duplicate control for `/leads/complex` (docs/amocrm-api.md §8.4): a lead whose new contact has the
    /// phone of an existing contact with an open lead is merged into that lead.
    pub duplicate_control: bool,
    pub contacts: Vec<SimContact>,
    pub companies: Vec<crate::companies::SimCompany>,
    pub leads: Vec<SimLead>,
    pub notes: Vec<SimNote>,
    pub tasks: Vec<crate::tasks::SimTask>,
    pub unsorted: Vec<crate::unsorted::SimUnsorted>,
    /// The account's "Неразобранное" switch (`is_unsorted_on` of `/api/v4/account`).
    pub unsorted_on: bool,
    /// Whether the account has amoCRM's paid "API filtering (alpha)" (`is_api_filter_enabled`):
    /// off, `filter[updated_at]` on leads, contacts and companies is refused (docs/amocrm-api.md §17.2).
    pub updated_at_filter: bool,
    /// The account's task types, as `GET /api/v4/account?with=task_types` lists them: (id, name, code).
    pub task_types: Vec<(i64, String, Option<String>)>,
    pub lead_fields: Vec<crate::fields::SimField>,
    pub contact_fields: Vec<crate::fields::SimField>,
    pub company_fields: Vec<crate::fields::SimField>,
    /// The account's time zone (`datetime_settings`): UTC+3, Europe/Moscow, as most amoCRM accounts.
    pub timezone: (&'static str, &'static str, i64),
    /// A test's hook, not amoCRM: after each page of `GET /api/v4/leads` this many new leads
    /// are added, as colleagues adding leads while a list is paged (`leads::add_newest_leads`).
    pub leads_added_per_page: usize,
    /// The account's loss reasons (`GET /api/v4/leads/loss_reasons`), the only ids a lead's
    /// `loss_reason_id` may take (docs/amocrm-api.md §18.3).
    pub loss_reasons: Vec<crate::loss_reasons::SimLossReason>,
    /// Whether `PATCH /api/v4/leads` refuses a move into a stage whose required custom fields
    /// (`required_statuses`) stay empty; amoCRM's own behaviour is not documented (§18.2).
    pub required_fields_enforced: bool,
    /// Whether `GET /api/v4/tasks` honours `filter[complete_till][from|to]`, which amoCRM does not
    /// document; off, it is ignored as an unknown filter (docs/amocrm-api.md §18.1).
    pub task_due_filter: bool,
    /// Whether `GET /api/v4/tasks` honours `filter[is_completed]` (on at start, as documented);
    /// off, a test plays a server that lists done tasks too (the client must keep paging).
    pub task_completed_filter: bool,
    next_id: i64,
}

impl Crm {
    pub fn new(user_id: i64) -> Crm {
        Crm {
            pipelines: default_pipelines(),
            users: default_users(user_id),
            users_admin: true,
            duplicate_control: false,
            contacts: Vec::new(),
            companies: Vec::new(),
            leads: Vec::new(),
            notes: Vec::new(),
            tasks: Vec::new(),
            unsorted: Vec::new(),
            unsorted_on: true,
            updated_at_filter: true,
            task_types: vec![
                (1, "Связаться".into(), Some("FOLLOW_UP".into())),
                (2, "Встреча".into(), Some("MEETING".into())),
            ],
            lead_fields: crate::fields::lead_fields((3_383_152, 33_929_755)),
            contact_fields: crate::fields::contact_fields(),
            company_fields: crate::fields::company_fields(),
            timezone: ("Europe/Moscow", "+03:00", 3 * 3600),
            leads_added_per_page: 0,
            loss_reasons: crate::loss_reasons::default_loss_reasons(),
            required_fields_enforced: true,
            task_due_filter: false,
            task_completed_filter: true,
            next_id: 20_000_000,
        }
    }

    pub(crate) fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Whether a lead, contact or company `id` exists (`kind` as in the API's paths).
    pub(crate) fn exists(&self, kind: &str, id: i64) -> bool {
        match kind {
            "leads" => self.leads.iter().any(|l| l.id == id),
            "contacts" => self.contacts.iter().any(|c| c.id == id),
            "companies" => self.companies.iter().any(|c| c.id == id),
            // The simulated account has customers switched off (`customers_mode: disabled`), so none exist.
            _ => false,
        }
    }

    /// Stamps a change of a contact, company or lead: now, but always after its last stamp, so
    /// edits within one second still order strictly and a client re-reading from its last
    /// `updated_at` sees them (docs/amocrm-api.md §17.2).
    pub(crate) fn bump(prev: i64) -> i64 {
        now().max(prev + 1)
    }

    /// Marks contact `id` changed (a link, a merge, an edit).
    pub(crate) fn touch_contact(&mut self, id: i64) {
        if let Some(c) = self.contacts.iter_mut().find(|c| c.id == id) {
            c.updated_at = Crm::bump(c.updated_at);
        }
    }

    pub(crate) fn touch_company(&mut self, id: i64) {
        if let Some(c) = self.companies.iter_mut().find(|c| c.id == id) {
            c.updated_at = Crm::bump(c.updated_at);
        }
    }

    pub(crate) fn touch_lead(&mut self, id: i64) {
        if let Some(l) = self.leads.iter_mut().find(|l| l.id == id) {
            l.updated_at = Crm::bump(l.updated_at);
        }
    }

    pub(crate) fn main_pipeline(&self) -> &SimPipeline {
        self.pipelines.iter().find(|p| p.is_main).unwrap_or(&self.pipelines[0])
    }
}

#[derive(Clone)]
pub(crate) struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    /// A fresh account: the seeded CRM, no codes or tokens, the configured admin signed in.
    pub(crate) fn new(cfg: SimConfig) -> Shared {
        let crm = Crm::new(cfg.user_id);
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
            on_read: Vec::new(),
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
