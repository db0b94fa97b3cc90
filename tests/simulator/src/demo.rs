//! The demo account (not part of amoCRM): a furniture shop's amoCRM as a newcomer would find it
//! after a year or two of use, so that the demo (`scripts/demo.sh`, `amo-sim --demo-account`,
//! `POST /_sim/demo/seed`) shows every screen with something in it on first run:
//!
//! - Find and the existing customer: 300 contacts with Russian names (gendered surnames) and some
//!   Latin ones, mobile phones in the spellings people type, e-mails; 40 companies (ООО, АО, ИП
//!   and a few foreign ones) with phones, sites and addresses, each with its people;
//! - the lead form's choices: leads in both pipelines, open, won and lost, with prices,
//!   responsible users and the account's custom fields filled (the date a stage requires too);
//! - the caller's card: notes and calls on customers and their leads;
//! - tasks: due today, overdue, in the coming days, and done.
//!
//! Deterministic: one seed and one "now" give the same account — small built-in lists and a
//! SplitMix64 generator, no data files, no downloads. Everything goes through the checks the API
//! applies to what a client sends (the contact and company models, custom field values, call
//! params, names, prices, users, stages), so the demo holds nothing a client could not have
//! written. Times fall on the account's own days: "today" is today in the zone the account
//! reports in `datetime_settings` ([`AccountDay`]).
//!
//! The customers `scripts/demo.sh` and README call by number are fixed ([`DEMO_CUSTOMER_PHONES`]);
//! every other seeded phone keeps clear of the demo's block of numbers, so a number from it that
//! is not a customer's ([`DEMO_NEW_CALLER`]) is a new caller to amoCRM's search too.

use std::collections::HashSet;
use std::fmt;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::companies::parse_company;
use crate::contacts::parse_contact;
use crate::fields::{check_values, SimField};
use crate::leads::SimLead;
use crate::notes::{call_params, SimNote};
use crate::pipelines::{SimPipeline, SimStatus};
use crate::problem::{
    bad_request, check_created_at, check_name, check_price, check_user, problem_response, ItemErrors,
};
use crate::search::digits;
use crate::state::{now, Crm, Shared};
use crate::tasks::SimTask;
use crate::Simulator;

mod lists;
use lists::*;

/// The seed `amo-sim --demo-account` and `POST /_sim/demo/seed` use unless told otherwise.
pub const DEMO_SEED: u64 = 23;

/// The customers the demo calls by number, as they are stored: the one with a company and a
/// wholesale lead (the logged call), the one the window's caller card opens on, the returning
/// customer (`lead add --contact-id`).
pub const DEMO_CUSTOMER_PHONES: [&str; 3] = ["+7 916 555-01-00", "+7 916 555-01-01", "+7 916 555-01-02"];

/// A number from the demo's block that no seeded contact or company has: a new caller.
pub const DEMO_NEW_CALLER: &str = "+7 916 555-01-50";

/// Seeded numbers other than the demo customers' never contain these digits, so amoCRM's
/// search (any phone containing a query's last seven digits) finds nobody for a number of the
/// demo's block but the demo customers.
const DEMO_BLOCK: &str = "55501";

const CONTACTS: usize = 300;

/// What the demo account holds (the answer of `POST /_sim/demo/seed`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DemoSummary {
    pub seed: u64,
    pub contacts: usize,
    pub companies: usize,
    pub leads: usize,
    /// Each pipeline with its number of demo leads.
    pub pipelines: Vec<DemoPipeline>,
    pub notes: usize,
    /// Open tasks due later today (in the account's time zone).
    pub tasks_due_today: usize,
    pub tasks_overdue: usize,
    /// Open tasks due after today.
    pub tasks_later: usize,
    pub tasks_completed: usize,
    /// The customers of [`DEMO_CUSTOMER_PHONES`], in that order.
    pub customers: Vec<DemoCustomer>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DemoPipeline {
    pub id: i64,
    pub name: String,
    pub leads: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DemoCustomer {
    pub id: i64,
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DemoError {
    /// The account already has the demo's customers (seeding twice would duplicate them).
    AlreadySeeded,
    /// The account refused a demo entity, as it would refuse a client sending it (its custom
    /// fields changed, say): what, and amoCRM's `validation-errors` for it.
    Refused { what: String, errors: Vec<Value> },
}

impl fmt::Display for DemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DemoError::AlreadySeeded => write!(f, "the demo account is already seeded (its customers are there)"),
            DemoError::Refused { what, errors } => {
                write!(f, "the account refused the demo's {what}: {}", Value::Array(errors.clone()))
            }
        }
    }
}

impl std::error::Error for DemoError {}

impl Simulator {
    /// Adds the demo account's customers, companies, leads, notes and tasks (see [`crate::demo`]),
    /// dated from now on the account's days.
    pub fn seed_demo_account(&self, seed: u64) -> Result<DemoSummary, DemoError> {
        seed_demo(&mut self.shared.lock().crm, seed, now())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedBody {
    seed: Option<u64>,
}

/// `POST /_sim/demo/seed` (body optional: `{"seed": N}`): the demo account added to this one;
/// answers its [`DemoSummary`], 409 when it is there already.
pub(crate) async fn sim_seed_demo(State(s): State<Shared>, body: Bytes) -> Response {
    let seed = if body.iter().all(u8::is_ascii_whitespace) {
        DEMO_SEED
    } else {
        match serde_json::from_slice::<SeedBody>(&body) {
            Ok(b) => b.seed.unwrap_or(DEMO_SEED),
            Err(_) => return bad_request("seed: expected {\"seed\": a whole number, 0 or more} or no body"),
        }
    };
    let result = seed_demo(&mut s.lock().crm, seed, now());
    match result {
        Ok(summary) => Json(summary).into_response(),
        Err(e) => {
            let status = match e {
                DemoError::AlreadySeeded => StatusCode::CONFLICT,
                DemoError::Refused { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            };
            problem_response(
                status,
                json!({"title": status.canonical_reason(), "status": status.as_u16(), "detail": e.to_string()}),
            )
        }
    }
}

/// Adds the demo account to `crm` as of `now`; all of it or, when the account refuses any part,
/// nothing.
pub(crate) fn seed_demo(crm: &mut Crm, seed: u64, now: i64) -> Result<DemoSummary, DemoError> {
    let demo_keys: Vec<String> = DEMO_CUSTOMER_PHONES.iter().map(|p| digits(p)).collect();
    if crm.contacts.iter().any(|c| c.phones.iter().any(|p| demo_keys.contains(&digits(p)))) {
        return Err(DemoError::AlreadySeeded);
    }
    let before = (crm.pipelines.len(), crm.companies.len(), crm.contacts.len(), crm.leads.len());
    let (notes, tasks) = (crm.notes.len(), crm.tasks.len());
    let result = Builder::new(crm, seed, now).build();
    if result.is_err() {
        crm.pipelines.truncate(before.0);
        crm.companies.truncate(before.1);
        crm.contacts.truncate(before.2);
        crm.leads.truncate(before.3);
        crm.notes.truncate(notes);
        crm.tasks.truncate(tasks);
    }
    result
}

/// The account's time zone as `GET /api/v4/account?with=datetime_settings` reports it:
/// (IANA name, offset text, offset seconds).
fn account_zone(crm: &Crm) -> (&str, &str, i64) {
    let (name, offset, secs) = crm.timezone;
    (name, offset, secs)
}

/// The account's calendar: where its local days and hours fall, by the zone it reports — the
/// IANA name with its rules (summer time) when the zone database knows it, else the fixed
/// offset (docs/amocrm-api.md §11.14), as the simulator stores date fields.
pub(crate) struct AccountDay {
    rules: Option<chrono_tz::Tz>,
    offset: i64,
    today: NaiveDate,
}

impl AccountDay {
    pub(crate) fn of(crm: &Crm, now: i64) -> AccountDay {
        let (name, _, offset) = account_zone(crm);
        let rules = name.parse::<chrono_tz::Tz>().ok();
        let utc = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default();
        let today = match rules {
            Some(tz) => utc.with_timezone(&tz).date_naive(),
            None => (utc + Duration::seconds(offset)).date_naive(),
        };
        AccountDay { rules, offset, today }
    }

    /// `hour:minute` there, `days` from today (negative: before). A time summer time skips is
    /// the first moment after it.
    pub(crate) fn at(&self, days: i64, hour: u32, minute: u32) -> i64 {
        let local = (self.today + Duration::days(days)).and_hms_opt(hour, minute, 0).unwrap_or_default();
        let fixed = local.and_utc().timestamp() - self.offset;
        let Some(tz) = self.rules else { return fixed };
        (0..=12)
            .find_map(|q| tz.from_local_datetime(&(local + Duration::minutes(15 * q))).earliest())
            .map_or(fixed, |t| t.timestamp())
    }

    /// The first moment of the day `days` from today.
    pub(crate) fn start(&self, days: i64) -> i64 {
        self.at(days, 0, 0)
    }
}

/// SplitMix64: a tiny generator whose sequence is fixed by its seed on every platform and
/// version (the demo must not change when a dependency does).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// A whole number in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1).max(1) as u64) as i64
    }

    fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.below(list.len() as u64) as usize]
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    fn shuffle<T>(&mut self, list: &mut [T]) {
        for i in (1..list.len()).rev() {
            list.swap(i, self.below(i as u64 + 1) as usize);
        }
    }

    fn hex(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from_digit(self.below(16) as u32, 16).unwrap_or('0')).collect()
    }
}

/// The pipelines the demo fills: the main (retail) one and another (wholesale), each with its
/// open stages (not the unsorted one, not won or lost).
struct Funnels {
    retail: (i64, Vec<i64>),
    wholesale: (i64, Vec<i64>),
}

/// The loss reasons the demo account adds to the account's own.
const DEMO_LOSS_REASONS: [&str; 4] =
    ["Дорого", "Не устроили сроки доставки", "Нет нужного размера", "Купил в другом салоне"];

const WON: i64 = 142;
const LOST: i64 = 143;
const DAY: i64 = 86_400;

/// One lead to add: where, for whom, and what.
struct LeadPlan {
    name: String,
    price: i64,
    wholesale: bool,
    /// `None`: an open stage; `Some(142 | 143)`: won or lost.
    closed: Option<i64>,
    /// Which open stage (index into the pipeline's), when open.
    stage: usize,
    contact: usize,
    created_at: i64,
    tags: Vec<String>,
    /// The lead's `Источник` (by its text).
    source: &'static str,
}

struct Builder<'a> {
    crm: &'a mut Crm,
    rng: Rng,
    now: i64,
    day: AccountDay,
    phones: HashSet<String>,
    emails: HashSet<String>,
    names: HashSet<String>,
    /// Ids of the seeded companies and contacts, in seeding order, and each contact's company
    /// (index into `companies`).
    companies: Vec<i64>,
    contacts: Vec<(i64, Option<usize>)>,
    leads: Vec<i64>,
    summary: DemoSummary,
}

impl<'a> Builder<'a> {
    fn new(crm: &'a mut Crm, seed: u64, now: i64) -> Builder<'a> {
        let day = AccountDay::of(crm, now);
        // Phones the account already has are taken too (amoCRM's search would find both).
        let phones = crm.contacts.iter().flat_map(|c| c.phones.iter()).map(|p| key(p)).collect();
        Builder {
            crm,
            rng: Rng(seed ^ 0xA5A5_0DE3_0000_0000),
            now,
            day,
            phones,
            emails: HashSet::new(),
            names: HashSet::new(),
            companies: Vec::new(),
            contacts: Vec::new(),
            leads: Vec::new(),
            summary: DemoSummary {
                seed,
                contacts: 0,
                companies: 0,
                leads: 0,
                pipelines: Vec::new(),
                notes: 0,
                tasks_due_today: 0,
                tasks_overdue: 0,
                tasks_later: 0,
                tasks_completed: 0,
                customers: Vec::new(),
            },
        }
    }

    fn build(mut self) -> Result<DemoSummary, DemoError> {
        let funnels = self.funnels();
        self.loss_reasons();
        for (i, c) in COMPANIES.iter().enumerate() {
            self.company(i, c)?;
        }
        self.people()?;
        self.featured_history(&funnels)?;
        self.leads(&funnels)?;
        self.notes()?;
        self.tasks()?;
        self.summarize(&funnels);
        Ok(self.summary)
    }

    fn admin(&self) -> i64 {
        self.crm.users[0].id
    }

    /// A responsible user: the admin (who connects the demo) for about half, colleagues for
    /// the rest.
    fn someone(&mut self) -> i64 {
        let users: Vec<i64> = self.crm.users.iter().map(|u| u.id).collect();
        if users.len() == 1 || self.rng.percent(45) {
            return users[0];
        }
        *self.rng.pick(&users[1..])
    }

    /// A moment `min_days..=max_days` days before now, at a random second.
    fn ago(&mut self, min_days: i64, max_days: i64) -> i64 {
        self.now - self.rng.between(min_days, max_days) * DAY - self.rng.between(0, DAY - 1)
    }

    /// The main pipeline and another one, with their open stages; a second pipeline ("Опт") is
    /// added when the account has only one.
    fn funnels(&mut self) -> Funnels {
        if self.crm.pipelines.len() < 2 {
            let id = self.crm.pipelines.iter().map(|p| p.id).max().unwrap_or(3_383_152) + 1;
            let first = self.crm.pipelines.iter().flat_map(|p| &p.statuses).map(|s| s.id).max().unwrap_or(0).max(143);
            let status = |sid: i64, name: &str, sort, kind| SimStatus {
                id: sid,
                name: name.into(),
                sort,
                pipeline_id: id,
                color: "#ffdc7f".into(),
                kind,
            };
            self.crm.pipelines.push(SimPipeline {
                id,
                name: "Опт".into(),
                sort: 2,
                is_main: false,
                is_unsorted_on: true,
                statuses: vec![
                    status(first + 1, "Неразобранное", 10, 1),
                    status(first + 2, "Заявка", 20, 0),
                    status(first + 3, "Счёт выставлен", 30, 0),
                    status(WON, "Успешно реализовано", 10000, 0),
                    status(LOST, "Закрыто и не реализовано", 11000, 0),
                ],
            });
        }
        let open = |p: &SimPipeline| -> (i64, Vec<i64>) {
            (p.id, p.statuses.iter().filter(|s| s.kind == 0 && s.id != WON && s.id != LOST).map(|s| s.id).collect())
        };
        let main = self.crm.main_pipeline().clone();
        let other = self.crm.pipelines.iter().find(|p| p.id != main.id).cloned().unwrap_or_else(|| main.clone());
        Funnels { retail: open(&main), wholesale: open(&other) }
    }

    /// A furniture shop's reasons for a lost deal, added to those the account has (by name), so
    /// the lost leads carry one and the "lost" dialog has a list to offer.
    fn loss_reasons(&mut self) {
        let at = self.now - 400 * DAY;
        for name in DEMO_LOSS_REASONS {
            if self.crm.loss_reasons.iter().any(|r| r.name == name) {
                continue;
            }
            // Not from the account's id counter, so every other entity keeps its id.
            let id = self.crm.loss_reasons.iter().map(|r| r.id).max().unwrap_or(4_203_747) + 1;
            let sort = self.crm.loss_reasons.iter().map(|r| r.sort).max().unwrap_or(100_000) + 10;
            self.crm.loss_reasons.push(crate::loss_reasons::SimLossReason {
                id,
                name: name.to_string(),
                sort,
                created_at: at,
                updated_at: at,
            });
        }
    }

    /// A phone nobody in the account has (by its last ten digits), clear of the demo's block.
    fn new_phone(&mut self, area: Option<u64>) -> String {
        loop {
            let code = area.unwrap_or_else(|| *self.rng.pick(&MOBILE_CODES));
            let ten = code * 10_000_000 + self.rng.below(10_000_000);
            let text = format!("7{ten}");
            if text.contains(DEMO_BLOCK) || !self.phones.insert(text[1..].to_string()) {
                continue;
            }
            return spelled(ten, self.rng.below(5));
        }
    }

    fn new_email(&mut self, local: &str, domain: &str) -> String {
        let mut candidate = format!("{local}@{domain}");
        let mut n = 2;
        while !self.emails.insert(candidate.clone()) {
            candidate = format!("{local}{n}@{domain}");
            n += 1;
        }
        candidate
    }

    fn company(&mut self, index: usize, c: &Company) -> Result<(), DemoError> {
        let city = &CITIES[c.city];
        let phone = self.new_phone(Some(city.code));
        let created_at = self.ago(120, 720);
        let email = match (c.domain, c.owner) {
            (Some(d), _) => self.new_email(if index.is_multiple_of(3) { "info" } else { "zakaz" }, d),
            (None, Some((first, last))) => {
                let initial: String = latin(first).chars().take(1).collect();
                let local = format!("{}.{initial}", latin(last));
                let domain = *self.rng.pick(&MAIL_DOMAINS);
                self.new_email(&local, domain)
            }
            (None, None) => String::new(),
        };
        let street = *self.rng.pick(&STREETS);
        let address =
            format!("г. {}, {street}, д. {}, оф. {}", city.name, self.rng.between(1, 120), self.rng.between(1, 40));
        let fields = &self.crm.company_fields;
        let values: Vec<Value> = [
            entry(fields, "PHONE", json!([{"value": phone, "enum_code": "WORK"}])),
            (!email.is_empty())
                .then(|| entry(fields, "EMAIL", json!([{"value": email, "enum_code": "WORK"}])))
                .flatten(),
            c.domain.and_then(|d| entry(fields, "WEB", json!([{"value": format!("https://{d}")}]))),
            entry(fields, "ADDRESS", json!([{"value": address}])),
        ]
        .into_iter()
        .flatten()
        .collect();
        let responsible = self.someone();
        let item = json!({"name": c.name, "responsible_user_id": responsible, "created_at": created_at,
            "custom_fields_values": values});
        let crm = &*self.crm;
        let mut company =
            checked(&format!("company {}", c.name), &item, |e| parse_company(crm, &item, "", e, responsible))?;
        company.id = self.crm.id();
        company.created_by = self.admin();
        company.updated_at = created_at + self.rng.between(0, self.now - created_at);
        self.companies.push(company.id);
        self.crm.companies.push(company);
        self.summary.companies += 1;
        Ok(())
    }

    /// The demo customers first (fixed), then each company's people (a sole trader is its own
    /// person), then private customers up to [`CONTACTS`].
    fn people(&mut self) -> Result<(), DemoError> {
        let featured = [
            ("Игорь", "Смирнов", Some(0), "Директор по закупкам", "igor.smirnov@severveter.ru"),
            ("Ольга", "Кузнецова", None, "", "olga.kuznetsova@yandex.ru"),
            ("Дмитрий", "Соколов", None, "", "d.sokolov@mail.ru"),
        ];
        for ((first, last, company, position, email), phone) in featured.into_iter().zip(DEMO_CUSTOMER_PHONES) {
            self.phones.insert(key(phone));
            self.emails.insert(email.to_string());
            self.names.insert(format!("{first} {last}"));
            let created_at = self.ago(400, 500);
            let id = self.person(first, last, phone, "MOB", Some(email), company, position, created_at)?;
            self.summary.customers.push(DemoCustomer { id, name: format!("{first} {last}"), phone: phone.to_string() });
        }
        for owner in COMPANIES.iter().filter_map(|c| c.owner) {
            self.names.insert(format!("{} {}", owner.0, owner.1));
        }
        for (index, c) in COMPANIES.iter().enumerate() {
            let staff = match c.owner {
                Some(_) => 1,
                None if index == 0 => 1,
                None => self.rng.between(1, 3),
            };
            for k in 0..staff {
                let (first, last) = match c.owner {
                    Some((first, last)) if k == 0 => (first.to_string(), last.to_string()),
                    _ => {
                        let foreign = c.domain.is_some_and(|d| d.ends_with(".com")) || self.rng.percent(4);
                        self.new_name(foreign)
                    }
                };
                let phone = self.new_phone(None);
                let email = match c.domain {
                    Some(d) if self.rng.percent(85) => Some(self.work_email(&first, &last, d)),
                    _ if self.rng.percent(60) => Some(self.private_email(&first, &last)),
                    _ => None,
                };
                let position = if c.owner.is_some() {
                    "Индивидуальный предприниматель"
                } else {
                    *self.rng.pick(&POSITIONS)
                };
                let kind = if self.rng.percent(70) { "MOB" } else { "WORK" };
                let created_at = self.ago(30, 700);
                self.person(&first, &last, &phone, kind, email.as_deref(), Some(index), position, created_at)?;
            }
        }
        while self.contacts.len() < CONTACTS {
            let foreign = self.rng.percent(10);
            let (first, last) = self.new_name(foreign);
            let phone = self.new_phone(None);
            let email = self.rng.percent(70).then(|| self.private_email(&first, &last));
            let created_at = self.ago(1, 700);
            self.person(&first, &last, &phone, "MOB", email.as_deref(), None, "", created_at)?;
        }
        Ok(())
    }

    /// A full name nobody in the demo has yet: Russian (a surname in the person's gender) or,
    /// when `foreign`, Latin.
    fn new_name(&mut self, foreign: bool) -> (String, String) {
        loop {
            let woman = self.rng.percent(50);
            let (first, last) = if foreign {
                let first = if woman { self.rng.pick(&LATIN_WOMEN) } else { self.rng.pick(&LATIN_MEN) };
                (first.to_string(), self.rng.pick(&LATIN_SURNAMES).to_string())
            } else {
                let first = if woman { self.rng.pick(&WOMEN) } else { self.rng.pick(&MEN) }.to_string();
                let last = *self.rng.pick(&SURNAMES);
                (first, if woman { feminine(last) } else { last.to_string() })
            };
            if self.names.insert(format!("{first} {last}")) {
                return (first, last);
            }
        }
    }

    fn private_email(&mut self, first: &str, last: &str) -> String {
        let (f, l) = (latin(first), latin(last));
        let initial: String = f.chars().take(1).collect();
        let local = match self.rng.below(4) {
            0 => format!("{f}.{l}"),
            1 => format!("{initial}.{l}"),
            2 => format!("{l}{}", self.rng.between(70, 105) % 100),
            _ => format!("{f}{l}"),
        };
        let domain = *self.rng.pick(&MAIL_DOMAINS);
        self.new_email(&local, domain)
    }

    fn work_email(&mut self, first: &str, last: &str, domain: &str) -> String {
        let (f, l) = (latin(first), latin(last));
        let initial: String = f.chars().take(1).collect();
        let local = if self.rng.percent(50) { format!("{f}.{l}") } else { format!("{initial}.{l}") };
        self.new_email(&local, domain)
    }

    /// Adds one contact through the contact model's checks; its id.
    #[allow(clippy::too_many_arguments)]
    fn person(
        &mut self,
        first: &str,
        last: &str,
        phone: &str,
        phone_type: &str,
        email: Option<&str>,
        company: Option<usize>,
        position: &str,
        created_at: i64,
    ) -> Result<i64, DemoError> {
        let responsible = match company {
            Some(i) => self
                .crm
                .companies
                .iter()
                .find(|c| c.id == self.companies[i])
                .map_or(self.admin(), |c| c.responsible_user_id),
            None => self.someone(),
        };
        let birthday = self.rng.percent(25).then(|| {
            let born = NaiveDate::from_ymd_opt(
                self.rng.between(1962, 2003) as i32,
                self.rng.between(1, 12) as u32,
                self.rng.between(1, 28) as u32,
            );
            born.and_then(|d| d.and_hms_opt(12, 0, 0)).map_or(0, |t| t.and_utc().timestamp())
        });
        let fields = &self.crm.contact_fields;
        let values: Vec<Value> = [
            entry(fields, "PHONE", json!([{"value": phone, "enum_code": phone_type}])),
            email.and_then(|m| {
                entry(
                    fields,
                    "EMAIL",
                    json!([{"value": m, "enum_code": if company.is_some() { "WORK" } else { "PRIV" }}]),
                )
            }),
            (!position.is_empty()).then(|| entry(fields, "POSITION", json!([{"value": position}]))).flatten(),
            birthday.and_then(|b| entry_of_type(fields, "birthday", json!([{"value": b}]))),
        ]
        .into_iter()
        .flatten()
        .collect();
        let item = json!({"first_name": first, "last_name": last, "responsible_user_id": responsible,
            "created_at": created_at, "custom_fields_values": values});
        let crm = &*self.crm;
        let mut c = checked(&format!("contact {first} {last}"), &item, |e| parse_contact(crm, &item, "", e))?;
        c.id = self.crm.id();
        c.created_by = responsible;
        c.updated_at = created_at + self.rng.between(0, self.now - created_at);
        c.company_id = company.map(|i| self.companies[i]);
        let id = c.id;
        self.crm.contacts.push(c);
        self.contacts.push((id, company));
        self.summary.contacts += 1;
        Ok(id)
    }

    /// The demo customers' story, fixed: Игорь Смирнов (ООО «Северный ветер») has a wholesale
    /// order in work and a won one; Ольга Кузнецова a sofa in negotiation; Дмитрий Соколов a won
    /// kitchen and a lost wardrobe.
    fn featured_history(&mut self, f: &Funnels) -> Result<(), DemoError> {
        let plans = [
            ("Опт: 40 офисных кресел", 480_000, true, None, 0, 0, 12, "Звонок"),
            ("Кресло руководителя", 38_500, false, Some(WON), 0, 0, 140, "Сайт"),
            ("Диван «Честер» с доставкой", 89_900, false, None, 1, 1, 9, "Instagram"),
            ("Кухонный гарнитур «Сканди»", 245_000, false, Some(WON), 0, 2, 200, "Сайт"),
            ("Шкаф-купе 2,4 м", 56_000, false, Some(LOST), 0, 2, 60, "Звонок"),
        ];
        for (name, price, wholesale, closed, stage, contact, days, source) in plans {
            let created_at = self.now - days * DAY - 3_600 * 5;
            let plan = LeadPlan {
                name: name.into(),
                price,
                wholesale,
                closed,
                stage,
                contact,
                created_at,
                tags: Vec::new(),
                source,
            };
            self.lead(f, plan, self.admin())?;
        }
        Ok(())
    }

    /// Most customers have a lead or two: private ones mostly in the main (retail) pipeline,
    /// companies' people mostly in the other (wholesale) one; about half still in work, a third
    /// won, the rest lost.
    fn leads(&mut self, f: &Funnels) -> Result<(), DemoError> {
        for index in 3..self.contacts.len() {
            let (_, company) = self.contacts[index];
            let count = match self.rng.below(100) {
                0..=21 => 0,
                22..=79 => 1,
                _ => 2,
            };
            for k in 0..count {
                let wholesale = if company.is_some() { self.rng.percent(70) } else { self.rng.percent(8) };
                let closed = match self.rng.below(100) {
                    0..=49 => None,
                    50..=81 => Some(WON),
                    _ => Some(LOST),
                };
                let (name, price) = if wholesale {
                    (self.rng.pick(&WHOLESALE_LEADS).to_string(), self.rng.between(120, 2_400) * 1_000)
                } else {
                    (self.rng.pick(&RETAIL_LEADS).to_string(), self.rng.between(60, 2_600) * 100)
                };
                let contact_created = self
                    .crm
                    .contacts
                    .iter()
                    .find(|c| c.id == self.contacts[index].0)
                    .map_or(self.now, |c| c.created_at);
                let span = ((self.now - contact_created) / DAY).max(1);
                let created_at = if closed.is_none() {
                    (self.now - self.rng.between(0, span.min(60)) * DAY - self.rng.between(0, DAY - 1))
                        .max(contact_created)
                } else {
                    contact_created + self.rng.between(0, span - 1) * DAY
                };
                let stages = if wholesale { f.wholesale.1.len() } else { f.retail.1.len() };
                let mut tags = Vec::new();
                if k == 1 {
                    tags.push("повторный".to_string());
                }
                if self.rng.percent(10) {
                    tags.push(if wholesale { "тендер" } else { "рассрочка" }.to_string());
                }
                let source = *self.rng.pick(&SOURCES);
                let plan = LeadPlan {
                    name,
                    price,
                    wholesale,
                    closed,
                    stage: self.rng.below(stages.max(1) as u64) as usize,
                    contact: index,
                    created_at,
                    tags,
                    source,
                };
                let responsible = self.someone();
                self.lead(f, plan, responsible)?;
            }
        }
        Ok(())
    }

    /// Adds one lead, checked as `POST /api/v4/leads/complex` checks one: name, price, user,
    /// stage, custom field values, and the fields its stage requires.
    fn lead(&mut self, f: &Funnels, plan: LeadPlan, responsible: i64) -> Result<i64, DemoError> {
        let (pipeline_id, open) = if plan.wholesale { &f.wholesale } else { &f.retail };
        let pipeline_id = *pipeline_id;
        let status_id = match plan.closed {
            Some(s) => s,
            None => open.get(plan.stage).or(open.first()).copied().unwrap_or(0),
        };
        let (contact_id, company) = self.contacts[plan.contact];
        let values = self.lead_values(&plan, pipeline_id, status_id);
        let item = json!({"name": plan.name, "price": plan.price, "pipeline_id": pipeline_id, "status_id": status_id,
            "responsible_user_id": responsible, "created_at": plan.created_at, "custom_fields_values": values});
        let crm = &*self.crm;
        let mut lead = checked(&format!("lead {}", plan.name), &item, |e| {
            let name = check_name(&item, "name", "", e);
            let price = check_price(&item, "", e);
            let responsible = check_user(&crm.users, &item, "", e, crm.users[0].id);
            let created_at = check_created_at(&item, "", e);
            if !crm.pipelines.iter().any(|p| p.id == pipeline_id && p.statuses.iter().any(|s| s.id == status_id)) {
                e.push("NotSupportedChoice", "status_id", "The value you selected is not a valid choice.");
            }
            let custom_fields_values = check_values(
                &crm.lead_fields,
                item.get("custom_fields_values"),
                "",
                account_zone(crm),
                &mut |code, path, detail| e.push(code, path, detail),
            );
            // A stage's required fields: amoCRM does not let a lead into it without them.
            for f in crm.lead_fields.iter().filter(|f| f.required_statuses.contains(&(pipeline_id, status_id))) {
                if !custom_fields_values.iter().any(|v| v["field_id"] == f.id) {
                    e.push("FieldMissing", "custom_fields_values", &format!("{} is required at this stage.", f.name));
                }
            }
            SimLead {
                id: 0,
                name,
                price,
                pipeline_id,
                status_id,
                responsible_user_id: responsible,
                created_by: responsible,
                created_at,
                updated_at: created_at,
                tags: plan.tags.clone(),
                contact_ids: vec![contact_id],
                custom_fields_values,
                company_id: None,
                updated_by: None,
                loss_reason_id: None,
                closed_at: None,
                api_changes: 0,
            }
        })?;
        lead.id = self.crm.id();
        lead.company_id = company.map(|i| self.companies[i]);
        lead.updated_at = plan.created_at + self.rng.between(0, self.now - plan.created_at);
        if plan.closed.is_some() {
            lead.closed_at = Some(lead.updated_at);
        }
        if plan.closed == Some(LOST) && !self.crm.loss_reasons.is_empty() {
            // Picked by the lead's id, not the generator, so the rest of the account stays as it was.
            let reasons = &self.crm.loss_reasons;
            lead.loss_reason_id = Some(reasons[lead.id.unsigned_abs() as usize % reasons.len()].id);
        }
        let id = lead.id;
        self.crm.leads.push(lead);
        self.leads.push(id);
        self.summary.leads += 1;
        Ok(id)
    }

    /// The lead's custom field values in the form a client sends them: where it came from, the
    /// channel, the city, the order number and prepayment of a won one, options and delivery
    /// of a retail one, the delivery date once it is being negotiated (or won).
    fn lead_values(&mut self, plan: &LeadPlan, pipeline_id: i64, status_id: i64) -> Vec<Value> {
        let fields = &self.crm.lead_fields;
        // A company's orders are for its city; a private customer's anywhere.
        let city = match self.contacts[plan.contact].1 {
            Some(i) => CITIES[COMPANIES[i].city].name,
            None => self.rng.pick(&CITIES).name,
        };
        let mut out: Vec<Option<Value>> = vec![
            entry(fields, "Источник", json!([{"value": plan.source}])),
            entry(fields, "Канал", json!([{"value": if plan.wholesale { "Опт" } else { "Розница" }}])),
            entry(fields, "Город", json!([{"value": city}])),
        ];
        if plan.closed == Some(WON) {
            out.push(entry(fields, "Номер заказа", json!([{"value": format!("{}", 10_000 + self.rng.below(90_000))}])));
            out.push(entry(fields, "Сумма предоплаты", json!([{"value": plan.price * 3 / 10}])));
        }
        if !plan.wholesale {
            // Carrying upstairs comes with a delivery; assembly with or without one.
            let delivery = self.rng.percent(65);
            let options = [
                (delivery, "Доставка"),
                (self.rng.percent(50), "Сборка"),
                (delivery && self.rng.percent(40), "Подъём на этаж"),
            ];
            let chosen: Vec<Value> = options.into_iter().filter(|o| o.0).map(|o| json!({"value": o.1})).collect();
            if !chosen.is_empty() {
                out.push(entry(fields, "Опции", Value::Array(chosen)));
            }
            out.push(entry_of_type(fields, "checkbox", json!([{"value": delivery}])));
        }
        let required = fields
            .iter()
            .filter(|f| f.field_type == "date" && f.required_statuses.contains(&(pipeline_id, status_id)))
            .map(|f| f.id)
            .collect::<Vec<_>>();
        let dated = !required.is_empty() || (plan.closed == Some(WON) && !plan.wholesale);
        if dated {
            let when = match plan.closed {
                Some(_) => plan.created_at + self.rng.between(7, 21) * DAY,
                None => self.day.at(self.rng.between(3, 20), 12, 0),
            };
            let by_id = required.first().map(|id| json!({"field_id": id, "values": [{"value": when}]}));
            out.push(by_id.or_else(|| entry(fields, "Дата доставки", json!([{"value": when}]))));
        }
        if self.rng.percent(15) {
            out.push(entry_of_type(fields, "textarea", json!([{"value": *self.rng.pick(&LEAD_NOTES)}])));
        }
        out.into_iter().flatten().collect()
    }

    /// Notes on the demo customers (fixed) and on about a third of the leads and a quarter of
    /// the customers: what was agreed, and calls in and out.
    fn notes(&mut self) -> Result<(), DemoError> {
        let c = |i: usize, this: &Self| this.contacts[i].0;
        let lead_of = |contact: i64, this: &Self| {
            this.crm
                .leads
                .iter()
                .find(|l| l.contact_ids.contains(&contact) && l.status_id != WON && l.status_id != LOST)
                .map(|l| l.id)
        };
        let (smirnov, kuznetsova, sokolov) = (c(0, self), c(1, self), c(2, self));
        let now = self.now;
        if let Some(lead) = lead_of(smirnov, self) {
            self.common("leads", lead, "Нужен счёт на предоплату 30%, доставка на склад в Химках", now - 3 * DAY)?;
        }
        self.call(
            "contacts",
            smirnov,
            "call_out",
            DEMO_CUSTOMER_PHONES[0],
            312,
            "Обсудили сроки поставки кресел",
            now - 5 * DAY,
        )?;
        if let Some(lead) = lead_of(kuznetsova, self) {
            self.common("leads", lead, "Цвет обивки: графит или изумруд — выбирает", now - 2 * DAY)?;
        }
        self.call(
            "contacts",
            kuznetsova,
            "call_in",
            DEMO_CUSTOMER_PHONES[1],
            184,
            "Спрашивала про сроки доставки",
            now - DAY - 7_200,
        )?;
        self.common("contacts", sokolov, "Доволен кухней, обещал порекомендовать знакомым", now - 150 * DAY)?;
        for i in 3..self.contacts.len() {
            if !self.rng.percent(25) {
                continue;
            }
            let id = self.contacts[i].0;
            let Some(c) = self.crm.contacts.iter().find(|c| c.id == id) else { continue };
            let (phone, created) = (c.phones.first().cloned().unwrap_or_default(), c.created_at);
            let at = created + self.rng.between(0, now - created);
            let kind = if self.rng.percent(60) { "call_in" } else { "call_out" };
            let result = *self.rng.pick(&CALL_RESULTS);
            let duration = self.rng.between(15, 900);
            self.call("contacts", id, kind, &phone, duration, result, at)?;
        }
        let leads: Vec<(i64, i64)> =
            self.crm.leads.iter().filter(|l| self.leads.contains(&l.id)).map(|l| (l.id, l.created_at)).collect();
        for (id, created) in leads.into_iter().skip(5) {
            if self.rng.percent(35) {
                let at = created + self.rng.between(0, now - created);
                let text = *self.rng.pick(&LEAD_NOTES);
                self.common("leads", id, text, at)?;
            }
        }
        Ok(())
    }

    fn common(&mut self, entity: &str, id: i64, text: &str, at: i64) -> Result<(), DemoError> {
        let item = json!({"note_type": "common", "params": {"text": text}});
        let params = checked(&format!("note on {entity} {id}"), &item, |e| {
            if text.trim().is_empty() {
                e.push("NotBlank", "params.text", "This value should not be blank.");
            }
            json!({"text": text})
        })?;
        self.note(entity, id, "common", text, params, at)
    }

    #[allow(clippy::too_many_arguments)]
    fn call(
        &mut self,
        entity: &str,
        id: i64,
        kind: &str,
        phone: &str,
        duration: i64,
        result: &str,
        at: i64,
    ) -> Result<(), DemoError> {
        let uniq = format!(
            "{}-{}-{}-{}-{}",
            self.rng.hex(8),
            self.rng.hex(4),
            self.rng.hex(4),
            self.rng.hex(4),
            self.rng.hex(12)
        );
        let params = json!({"uniq": uniq, "duration": duration, "source": "Манго Офис", "phone": phone,
            "call_status": 4, "call_result": result});
        let item = json!({"note_type": kind, "params": params});
        let params =
            checked(&format!("call on {entity} {id}"), &item, |e| call_params(&item["params"], "params.", true, e))?;
        self.note(entity, id, kind, "", params, at)
    }

    fn note(&mut self, entity: &str, id: i64, kind: &str, text: &str, params: Value, at: i64) -> Result<(), DemoError> {
        if !self.crm.exists(entity, id) {
            return Err(DemoError::Refused {
                what: format!("note on {entity} {id}"),
                errors: vec![json!({"code": "NotFound", "path": "entity_id", "detail": "Entity not found."})],
            });
        }
        let who = self.crm.leads.iter().find(|l| entity == "leads" && l.id == id).map(|l| l.responsible_user_id);
        let who = who
            .or_else(|| self.crm.contacts.iter().find(|c| c.id == id).map(|c| c.responsible_user_id))
            .unwrap_or(self.admin());
        let note = SimNote {
            id: self.crm.id(),
            entity_id: id,
            entity_type: entity.to_string(),
            note_type: kind.to_string(),
            text: text.to_string(),
            params,
            created_by: who,
            created_at: at,
            updated_at: at,
            responsible_user_id: who,
        };
        self.crm.notes.push(note);
        self.summary.notes += 1;
        Ok(())
    }

    /// Tasks, on the account's days: the demo customers' (one due today, one overdue, one done),
    /// then on leads in work — some due later today, some overdue, some in the coming days —
    /// and done ones on any lead.
    fn tasks(&mut self) -> Result<(), DemoError> {
        let in_work = |this: &Self, contact: usize| {
            let id = this.contacts[contact].0;
            this.crm
                .leads
                .iter()
                .find(|l| l.contact_ids.contains(&id) && l.status_id != WON && l.status_id != LOST)
                .map(|l| l.id)
        };
        let admin = self.admin();
        if let Some(lead) = in_work(self, 0) {
            let due = self.today_slot(0);
            self.task(lead, "Отправить коммерческое предложение", due, false, admin)?;
        }
        if let Some(lead) = in_work(self, 1) {
            let overdue = self.day.at(-1, 15, 0);
            self.task(lead, "Перезвонить: уточнить цвет обивки", overdue, false, admin)?;
            let later = self.day.at(2, 11, 0);
            self.task(lead, "Подтвердить дату доставки", later, false, admin)?;
        }
        let sokolov = self.contacts[2].0;
        if let Some(won) =
            self.crm.leads.iter().find(|l| l.contact_ids.contains(&sokolov) && l.status_id == WON).map(|l| l.id)
        {
            let done = self.day.at(-140, 12, 0);
            self.task(won, "Узнать, как прошла сборка", done, true, admin)?;
        }
        let featured: Vec<i64> = (0..3).map(|i| self.contacts[i].0).collect();
        let mut open: Vec<(i64, i64)> = self
            .crm
            .leads
            .iter()
            .filter(|l| self.leads.contains(&l.id) && l.status_id != WON && l.status_id != LOST)
            .filter(|l| !l.contact_ids.iter().any(|c| featured.contains(c)))
            .map(|l| (l.id, l.responsible_user_id))
            .collect();
        self.rng.shuffle(&mut open);
        let mut open = open.into_iter();
        for (when, count) in [(0, 9), (-1, 12), (1, 14)] {
            for slot in 0..count {
                let Some((lead, who)) = open.next() else { break };
                let due = match when {
                    0 => self.today_slot(slot + 1),
                    -1 => self.day.at(-self.rng.between(1, 10), self.rng.between(9, 18) as u32, 0),
                    _ => self.day.at(self.rng.between(1, 6), self.rng.between(9, 18) as u32, 30),
                };
                let text = self.task_text();
                self.task(lead, &text, due, false, who)?;
            }
        }
        let mut all: Vec<(i64, i64)> = self
            .crm
            .leads
            .iter()
            .filter(|l| self.leads.contains(&l.id))
            .map(|l| (l.id, l.responsible_user_id))
            .collect();
        self.rng.shuffle(&mut all);
        for (lead, who) in all.into_iter().take(25) {
            let due = self.day.at(-self.rng.between(1, 60), self.rng.between(9, 18) as u32, 0);
            let text = self.task_text();
            self.task(lead, &text, due, true, who)?;
        }
        Ok(())
    }

    /// The `n`th of today's working times (09:30, 11:00, …) still ahead, or — when the working
    /// day is over there — the day's end (amoCRM's "all day": 23:59 its time).
    fn today_slot(&self, n: usize) -> i64 {
        const SLOTS: [(u32, u32); 7] = [(9, 30), (11, 0), (12, 30), (14, 0), (15, 30), (17, 0), (18, 30)];
        let ahead: Vec<i64> = SLOTS.iter().map(|(h, m)| self.day.at(0, *h, *m)).filter(|t| *t > self.now).collect();
        if ahead.is_empty() {
            return (self.day.start(1) - 60).max(self.now);
        }
        ahead[n % ahead.len()]
    }

    fn task_text(&mut self) -> String {
        if self.rng.percent(20) { *self.rng.pick(&MEETING_TASKS) } else { *self.rng.pick(&CALL_TASKS) }.to_string()
    }

    /// Adds one task, checked as `POST /api/v4/tasks` checks one: a text, a known type (a
    /// meeting for a meeting's text, else a call) and user, and an existing lead.
    fn task(&mut self, lead: i64, text: &str, due: i64, done: bool, who: i64) -> Result<(), DemoError> {
        let meeting = MEETING_TASKS.contains(&text);
        let type_id = match self.crm.task_types.get(usize::from(meeting)).or(self.crm.task_types.first()) {
            Some(t) => t.0,
            None => 0,
        };
        let created_at = due.min(self.now) - self.rng.between(1, 10) * DAY - self.rng.between(0, DAY - 1);
        let result_text = done.then(|| (*self.rng.pick(&TASK_RESULTS)).to_string());
        let item = json!({"text": text, "complete_till": due, "entity_type": "leads", "entity_id": lead,
            "task_type_id": type_id, "responsible_user_id": who, "created_at": created_at});
        let crm = &*self.crm;
        let task = checked(&format!("task {text}"), &item, |e| {
            if text.trim().is_empty() {
                e.push("NotBlank", "text", "This value should not be blank.");
            }
            if !crm.exists("leads", lead) {
                e.push("NotFound", "entity_id", "Entity not found.");
            }
            if !crm.task_types.iter().any(|t| t.0 == type_id) {
                e.push("NotSupportedChoice", "task_type_id", "The value you selected is not a valid choice.");
            }
            SimTask {
                id: 0,
                text: text.to_string(),
                complete_till: due,
                entity_id: Some(lead),
                entity_type: Some("leads".into()),
                task_type_id: type_id,
                responsible_user_id: check_user(&crm.users, &item, "", e, crm.users[0].id),
                created_by: who,
                created_at: check_created_at(&item, "", e),
                is_completed: done,
                duration: if meeting { 3_600 } else { 0 },
                result_text,
                updated_at: 0,
                updated_by: None,
                api_changes: 0,
            }
        })?;
        // Last changed when it was done (about its due time), else when it was set.
        let updated_at = if done { due.clamp(task.created_at, self.now) } else { task.created_at };
        let task = SimTask { id: self.crm.id(), updated_at, ..task };
        self.crm.tasks.push(task);
        Ok(())
    }

    fn summarize(&mut self, f: &Funnels) {
        let (start, end) = (self.day.start(0), self.day.start(1));
        let seeded: HashSet<i64> = self.leads.iter().copied().collect();
        for t in self.crm.tasks.iter().filter(|t| t.entity_id.is_some_and(|id| seeded.contains(&id))) {
            match (t.is_completed, t.complete_till) {
                (true, _) => self.summary.tasks_completed += 1,
                (false, due) if due < self.now => self.summary.tasks_overdue += 1,
                (false, due) if due >= start && due < end => self.summary.tasks_due_today += 1,
                _ => self.summary.tasks_later += 1,
            }
        }
        for id in [f.retail.0, f.wholesale.0] {
            let name = self.crm.pipelines.iter().find(|p| p.id == id).map_or_else(String::new, |p| p.name.clone());
            let leads = self.crm.leads.iter().filter(|l| l.pipeline_id == id && seeded.contains(&l.id)).count();
            self.summary.pipelines.push(DemoPipeline { id, name, leads });
        }
    }
}

/// The last ten digits of a phone (how amoCRM and the app match numbers).
fn key(phone: &str) -> String {
    let d = digits(phone);
    d[d.len().saturating_sub(10)..].to_string()
}

/// A ten-digit Russian number as people type it: `+7 926 123-45-67`, `+79261234567`,
/// `8 (926) 123-45-67`, `+7 (926) 123 45 67` or `89261234567`.
fn spelled(ten: u64, style: u64) -> String {
    let s = format!("{ten:010}");
    let (a, b, c, d) = (&s[0..3], &s[3..6], &s[6..8], &s[8..10]);
    match style {
        0 => format!("+7 {a} {b}-{c}-{d}"),
        1 => format!("+7{s}"),
        2 => format!("8 ({a}) {b}-{c}-{d}"),
        3 => format!("+7 ({a}) {b} {c} {d}"),
        _ => format!("8{s}"),
    }
}

/// A `custom_fields_values` entry for the account's field with this code or name, `None` when
/// the account has no such field (an admin removed it: the demo goes without).
fn entry(fields: &[SimField], code_or_name: &str, values: Value) -> Option<Value> {
    let f = fields
        .iter()
        .find(|f| f.code.as_deref() == Some(code_or_name))
        .or_else(|| fields.iter().find(|f| f.name == code_or_name))?;
    Some(json!({"field_id": f.id, "values": values}))
}

/// As [`entry`], for the account's first field of a type (`birthday`, `checkbox`, `textarea`).
fn entry_of_type(fields: &[SimField], field_type: &str, values: Value) -> Option<Value> {
    let f = fields.iter().find(|f| f.field_type == field_type && !f.is_api_only)?;
    Some(json!({"field_id": f.id, "values": values}))
}

/// Runs the API's checks of one item; what they built, or the errors amoCRM would answer.
fn checked<T>(what: &str, item: &Value, check: impl FnOnce(&mut ItemErrors) -> T) -> Result<T, DemoError> {
    let mut e = ItemErrors::new(item, 0);
    let out = check(&mut e);
    if e.errors.is_empty() {
        Ok(out)
    } else {
        Err(DemoError::Refused { what: what.to_string(), errors: e.errors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDateTime, TimeZone};

    const ADMIN: i64 = 8_675_309;

    fn utc(s: &str) -> i64 {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time").and_utc().timestamp()
    }

    fn account(zone: (&'static str, &'static str, i64)) -> Crm {
        let mut crm = Crm::new(ADMIN);
        crm.timezone = zone;
        crm
    }

    /// The day `now` falls on in `zone`, by the zone database: [its first moment, the next day's).
    fn day_in(zone: &str, now: i64) -> (i64, i64) {
        let tz: chrono_tz::Tz = zone.parse().expect("zone");
        let date = chrono::DateTime::from_timestamp(now, 0).expect("now").with_timezone(&tz).date_naive();
        let start = |d: NaiveDate| tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")).earliest();
        (start(date).expect("start").timestamp(), start(date.succ_opt().expect("next")).expect("end").timestamp())
    }

    fn open_tasks_due(crm: &Crm, from: i64, to: i64) -> Vec<&SimTask> {
        crm.tasks.iter().filter(|t| !t.is_completed && t.complete_till >= from && t.complete_till < to).collect()
    }

    #[test]
    fn the_same_seed_and_time_give_the_same_account_and_another_seed_another() {
        let now = utc("2026-06-10 09:15");
        let zone = ("Europe/Moscow", "+03:00", 3 * 3600);
        let (mut a, mut b, mut c) = (account(zone), account(zone), account(zone));
        let first = seed_demo(&mut a, DEMO_SEED, now).expect("seed a");
        let second = seed_demo(&mut b, DEMO_SEED, now).expect("seed b");
        assert_eq!(first, second);
        assert_eq!(a.contacts, b.contacts);
        assert_eq!(a.companies, b.companies);
        assert_eq!(a.leads, b.leads);
        assert_eq!(a.notes, b.notes);
        assert_eq!(a.tasks, b.tasks);
        seed_demo(&mut c, DEMO_SEED + 1, now).expect("seed c");
        let names = |crm: &Crm| crm.contacts.iter().map(|x| x.name.clone()).collect::<Vec<_>>();
        assert_ne!(names(&a), names(&c), "another seed, other customers");
        assert_eq!(names(&a)[..3], names(&c)[..3], "the demo customers stay");
    }

    #[test]
    fn seeding_twice_is_refused_and_leaves_the_account_as_it_was() {
        let now = utc("2026-06-10 09:15");
        let mut crm = account(("Europe/Moscow", "+03:00", 3 * 3600));
        seed_demo(&mut crm, DEMO_SEED, now).expect("seed");
        let contacts = crm.contacts.len();
        assert_eq!(seed_demo(&mut crm, 7, now), Err(DemoError::AlreadySeeded));
        assert_eq!(crm.contacts.len(), contacts);
    }

    #[test]
    fn an_account_that_refuses_a_part_gets_none_of_it() {
        let now = utc("2026-06-10 09:15");
        let mut crm = account(("Europe/Moscow", "+03:00", 3 * 3600));
        // An admin made the position a number field: the demo's text is refused, as from a client.
        for f in crm.contact_fields.iter_mut().filter(|f| f.code.as_deref() == Some("POSITION")) {
            f.field_type = "numeric";
        }
        let err = seed_demo(&mut crm, DEMO_SEED, now).expect_err("refused");
        assert!(matches!(&err, DemoError::Refused { what, .. } if what.starts_with("contact ")), "{err}");
        assert!(err.to_string().contains("custom_fields_values.2.values.0.value"), "{err}");
        assert!(crm.contacts.is_empty() && crm.companies.is_empty() && crm.leads.is_empty() && crm.tasks.is_empty());
    }

    /// Berlin in summer is UTC+2; an account reporting the winter offset (+01:00) with its zone
    /// name is still on Berlin's day: at 22:30 UTC it is already tomorrow there.
    #[test]
    fn today_is_the_accounts_day_by_its_zone_rules_in_summer() {
        let now = utc("2026-07-15 22:30");
        let mut crm = account(("Europe/Berlin", "+01:00", 3600));
        let summary = seed_demo(&mut crm, DEMO_SEED, now).expect("seed");
        let (start, end) = day_in("Europe/Berlin", now);
        assert_eq!(start, utc("2026-07-15 22:00"), "00:00 CEST");
        let today = open_tasks_due(&crm, start, end);
        assert!(today.len() >= 5, "{} due today", today.len());
        assert!(today.iter().all(|t| t.complete_till >= now), "due later today, not overdue");
        assert_eq!(summary.tasks_due_today, today.len());
        let overdue = crm.tasks.iter().filter(|t| !t.is_completed && t.complete_till < now).count();
        assert_eq!(summary.tasks_overdue, overdue);
        assert!(overdue >= 5);
        assert!(summary.tasks_completed >= 10);
        assert_eq!(summary.tasks_later, crm.tasks.iter().filter(|t| !t.is_completed && t.complete_till >= end).count());
        assert!(summary.tasks_later >= 5);
        // Timed tasks are at whole local working hours there (09:30 … 18:30), the rest all day.
        let tz: chrono_tz::Tz = "Europe/Berlin".parse().expect("zone");
        for t in &today {
            let local = chrono::DateTime::from_timestamp(t.complete_till, 0).expect("t").with_timezone(&tz);
            assert!(local.format("%H:%M").to_string() == "23:59" || (9..=18).contains(&chrono::Timelike::hour(&local)));
        }
    }

    #[test]
    fn late_in_the_evening_todays_tasks_are_still_today_and_not_overdue() {
        // 23:50 in Moscow: the working day is over, today's tasks are "all day" (23:59).
        let now = utc("2026-02-03 20:50");
        let mut crm = account(("Europe/Moscow", "+03:00", 3 * 3600));
        let summary = seed_demo(&mut crm, DEMO_SEED, now).expect("seed");
        let (start, end) = day_in("Europe/Moscow", now);
        let today = open_tasks_due(&crm, start, end);
        assert_eq!(summary.tasks_due_today, today.len());
        assert!(!today.is_empty());
        assert!(today.iter().all(|t| t.complete_till >= now && t.complete_till == end - 60));
    }

    #[test]
    fn the_account_day_follows_summer_time_and_falls_back_to_the_offset_for_an_unknown_zone() {
        // 29 March 2026: Berlin skips 02:00–03:00, the day is 23 hours long.
        let berlin = AccountDay::of(&account(("Europe/Berlin", "+01:00", 3600)), utc("2026-03-29 08:00"));
        assert_eq!(berlin.start(1) - berlin.start(0), 23 * 3600);
        assert_eq!(berlin.at(0, 17, 0), utc("2026-03-29 15:00"), "17:00 CEST");
        assert_eq!(berlin.at(0, 2, 30), utc("2026-03-29 01:00"), "a skipped time is the first moment after it");
        assert_eq!(berlin.at(-1, 17, 0), utc("2026-03-28 16:00"), "17:00 CET");
        let unknown = AccountDay::of(&account(("Mars/Olympus", "+05:00", 5 * 3600)), utc("2026-03-29 20:00"));
        assert_eq!(unknown.start(0), utc("2026-03-29 19:00"), "01:00 on the 30th at +05:00: the 30th began 19:00 UTC");
    }

    #[test]
    fn names_are_gendered_and_emails_are_latin() {
        assert_eq!(feminine("Петров"), "Петрова");
        assert_eq!(feminine("Соловьёв"), "Соловьёва");
        assert_eq!(feminine("Ильин"), "Ильина");
        assert_eq!(feminine("Островский"), "Островская");
        assert_eq!(feminine("Трубецкой"), "Трубецкая");
        assert_eq!(feminine("Шевченко"), "Шевченко");
        assert_eq!(latin("Щербакова Юлия"), "shcherbakovayuliya");
        assert_eq!(latin("O'Brien"), "obrien");
        let mut crm = account(("Europe/Moscow", "+03:00", 3 * 3600));
        seed_demo(&mut crm, DEMO_SEED, utc("2026-06-10 09:15")).expect("seed");
        for c in &crm.contacts {
            let woman = WOMEN.contains(&c.first_name.as_str());
            let man = MEN.contains(&c.first_name.as_str());
            if woman || man {
                let masculine = SURNAMES.iter().find(|s| c.last_name == **s || c.last_name == feminine(s));
                let s = masculine.unwrap_or_else(|| panic!("a surname of the list: {}", c.name));
                assert_eq!(c.last_name, if woman { feminine(s) } else { s.to_string() }, "{}", c.name);
            }
            assert!(c.emails.iter().all(|m| m.is_ascii() && m.contains('@')), "{:?}", c.emails);
        }
    }
}
