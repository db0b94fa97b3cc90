//! Reading the account's shape and content from amoCRM: pipelines with their stages and the
//! account's users — cached in SQLite so the lead form opens at once (and offline) — existing
//! contacts for the duplicate check, and the newest leads.
//!
//! `/api/v4/users` is admin-only (docs/amocrm-api.md §8.10): for everyone else the list is just
//! the current user, from `/api/v4/account`'s `current_user_id`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::auth::session::Session;
use crate::clock::{now, rfc3339};
use crate::context::Ctx;
use crate::domain::fields::{CustomField, FormEntity, FormLayout};
use crate::domain::phone::{normalize_phone, valid_email};
use crate::domain::platform::Platform;
use crate::domain::reference::{
    CompanyMatch, ContactMatch, LeadSummary, Pipeline, PipelineStatus, ReferenceData, SearchResults, StageKind, User,
    LOST_STATUS_ID, MAX_OPEN_LEADS_READ, WON_STATUS_ID,
};
use crate::domain::task::TaskType;
use crate::error::{AmoError, Error, FieldCode, FieldError, Result};

/// Older than this, the window refreshes the cache in the background.
pub const FRESH_SECS: i64 = 10 * 60;
/// The cache entry of the lead form's data, per account: another account's pipelines and users
/// are never offered, not even for a moment after a switch.
fn lead_form_key(domain: &str) -> String {
    format!("{}/lead_form", domain.to_ascii_lowercase())
}

#[derive(Serialize, Deserialize)]
struct Cached {
    pipelines: Vec<Pipeline>,
    users: Vec<User>,
    users_restricted: bool,
    current_user_id: Option<i64>,
    /// Absent in caches written before custom fields: read as none (and refreshed soon).
    #[serde(default)]
    lead_fields: Vec<CustomField>,
    #[serde(default)]
    contact_fields: Vec<CustomField>,
    #[serde(default)]
    company_fields: Vec<CustomField>,
    /// The account's time zone as amoCRM named it, and its offset when asked (docs/amocrm-api.md
    /// §11.14). Absent in caches written before the name was kept: read as unknown — and asked
    /// again — since their `timezone_offset_secs` may be a failed read's stand-in 0.
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    utc_offset_secs: Option<i32>,
    #[serde(default)]
    task_types: Vec<TaskType>,
    #[serde(default)]
    unsorted_on: bool,
    /// amoCRM's id of the account these were read from (absent in caches written before it
    /// was kept: those are the host's).
    #[serde(default)]
    account_id: Option<i64>,
}

/// The cache as versions before stage kinds wrote it (stages with amoCRM's `type`): still read,
/// so the first start after an update works offline too.
#[derive(Deserialize)]
struct LegacyCached {
    pipelines: Vec<LegacyPipeline>,
    users: Vec<User>,
    users_restricted: bool,
    current_user_id: Option<i64>,
}

#[derive(Deserialize)]
struct LegacyPipeline {
    id: i64,
    name: String,
    sort: i64,
    is_main: bool,
    statuses: Vec<LegacyStatus>,
}

#[derive(Deserialize)]
struct LegacyStatus {
    id: i64,
    name: String,
    sort: i64,
    color: String,
    #[serde(rename = "type")]
    amo_type: i64,
}

impl From<LegacyCached> for Cached {
    fn from(c: LegacyCached) -> Cached {
        let pipelines = c
            .pipelines
            .into_iter()
            .map(|p| Pipeline {
                id: p.id,
                name: p.name,
                sort: p.sort,
                is_main: p.is_main,
                is_unsorted_on: false,
                statuses: p
                    .statuses
                    .into_iter()
                    .map(|s| PipelineStatus {
                        kind: StageKind::of(s.id, s.amo_type),
                        id: s.id,
                        name: s.name,
                        sort: s.sort,
                        color: s.color,
                    })
                    .collect(),
            })
            .collect();
        Cached {
            pipelines,
            users: c.users,
            users_restricted: c.users_restricted,
            current_user_id: c.current_user_id,
            lead_fields: Vec::new(),
            contact_fields: Vec::new(),
            company_fields: Vec::new(),
            timezone: None,
            utc_offset_secs: None,
            task_types: Vec::new(),
            unsorted_on: false,
            account_id: None,
        }
    }
}

/// The cached JSON, in the current format or the previous one.
fn parse_cache(json: &str) -> Option<Cached> {
    serde_json::from_str::<Cached>(json)
        .ok()
        .or_else(|| serde_json::from_str::<LegacyCached>(json).ok().map(Cached::from))
}

/// How often a fresh cache without the account's time zone is read again in full for it.
const ZONE_RETRY_SECS: u64 = 60;

pub struct Reference {
    ctx: Arc<Ctx>,
    session: Arc<Session>,
    /// When a fresh cache was last refreshed only because it lacked the time zone.
    zone_retried: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Reference {
    pub(crate) fn new(ctx: Arc<Ctx>, session: Arc<Session>) -> Reference {
        Reference { ctx, session, zone_retried: std::sync::Mutex::new(None) }
    }

    /// Whether a fresh cache is read again because it does not know the account's time zone
    /// (its first read failed, or it predates zone names): the form would otherwise use this
    /// computer's zone for the cache's ten minutes. At most once a minute, so an account that
    /// never says its zone does not cost a full read per form.
    fn retry_zone(&self, c: &ReferenceData) -> bool {
        if c.zone() != crate::domain::zone::Zone::Local {
            return false;
        }
        let mut last = self.zone_retried.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = last.is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(ZONE_RETRY_SECS));
        if due {
            *last = Some(std::time::Instant::now());
        }
        due
    }

    /// The connected account's platform (decides how phones without a country code are read).
    pub fn platform(&self) -> Platform {
        self.ctx.store.platform_for_phones()
    }

    /// What the cache holds, without asking amoCRM. An unreadable cache (an older format) is
    /// treated as none.
    pub fn cached(&self) -> Result<Option<ReferenceData>> {
        let Some(account) = self.ctx.store.account().load()? else { return Ok(None) };
        let key = lead_form_key(&account.domain);
        let Some((json, fetched_at)) = self.ctx.store.reference_cache().get(&key)? else { return Ok(None) };
        let Some(c) = parse_cache(&json) else { return Ok(None) };
        // Another account under the same host (an admin gave the subdomain to a new account):
        // its pipelines and users are not this one's.
        if let (Some(theirs), Some(mine)) = (c.account_id, account.account_id) {
            if theirs != mine {
                return Ok(None);
            }
        }
        Ok(Some(ReferenceData {
            pipelines: c.pipelines,
            users: c.users,
            users_restricted: c.users_restricted,
            current_user_id: c.current_user_id,
            lead_fields: c.lead_fields,
            contact_fields: c.contact_fields,
            company_fields: c.company_fields,
            timezone: c.timezone,
            timezone_offset_secs: c.utc_offset_secs,
            task_types: c.task_types,
            unsorted_on: c.unsorted_on,
            lead_layout: self.ctx.store.form_layouts().get(&account.domain, FormEntity::Leads)?,
            contact_layout: self.ctx.store.form_layouts().get(&account.domain, FormEntity::Contacts)?,
            fetched_at: rfc3339(fetched_at),
            stale: now() - fetched_at > FRESH_SECS,
            account_domain: Some(account.domain.clone()),
            account_id: c.account_id.or(account.account_id),
        }))
    }

    /// Pipelines and users: from the cache when fresh (unless `refresh`), otherwise from amoCRM.
    /// When amoCRM cannot be reached but a cache exists, the cache is returned marked stale —
    /// the form keeps working offline; entries are queued anyway.
    pub async fn data(&self, refresh: bool) -> Result<ReferenceData> {
        let cached = self.cached()?;
        if let Some(c) = &cached {
            if !refresh && !c.stale && !self.retry_zone(c) {
                return Ok(c.clone());
            }
        }
        match self.fetch().await {
            Ok(fresh) => Ok(fresh),
            Err(e @ Error::Amo(AmoError::Network { .. } | AmoError::ServerError { .. } | AmoError::RateLimited)) => {
                match cached {
                    Some(mut c) => {
                        tracing::info!(code = %e.code(), "reference data: using the cache");
                        c.stale = true;
                        Ok(c)
                    }
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn fetch(&self) -> Result<ReferenceData> {
        let api = self.ctx.amo.api();
        // The account these data are for: the cache keeps them under its host.
        let Some(account) = self.ctx.store.account().load()? else { return Err(AmoError::NotConnected.into()) };
        let pipelines = self.session.with_token(|a| api.pipelines(a)).await?;
        let current_user_id = match account.current_user_id {
            Some(id) => Some(id),
            None => self.session.account_info().await?.current_user_id,
        };
        let (users, users_restricted) = match self.session.with_token(|a| api.users(a)).await {
            Ok(u) => (u, false),
            Err(Error::Amo(AmoError::Forbidden { .. })) => {
                let me = current_user_id.map(|id| User { id, name: String::new(), email: None });
                (me.into_iter().collect(), true)
            }
            Err(e) => return Err(e),
        };
        // The custom fields and the time zone are a part of the form, not a condition for it:
        // when amoCRM refuses or garbles them, pipelines and users still load and the last
        // known fields (if any) stay in use.
        let before = self.cached().ok().flatten();
        let lead_fields = match self.session.with_token(|a| api.custom_fields(a, "leads")).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(code = %e.code(), "custom fields not read; keeping the last known");
                before.as_ref().map(|b| b.lead_fields.clone()).unwrap_or_default()
            }
        };
        let contact_fields = match self.session.with_token(|a| api.custom_fields(a, "contacts")).await {
            // Phones and e-mails have their own rows in the forms.
            Ok(f) => f.into_iter().filter(|f| !matches!(f.code.as_deref(), Some("PHONE" | "EMAIL"))).collect(),
            Err(e) => {
                tracing::warn!(code = %e.code(), "contact fields not read; keeping the last known");
                before.as_ref().map(|b| b.contact_fields.clone()).unwrap_or_default()
            }
        };
        let company_fields = match self.session.with_token(|a| api.custom_fields(a, "companies")).await {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(code = %e.code(), "company fields not read; keeping the last known");
                before.as_ref().map(|b| b.company_fields.clone()).unwrap_or_default()
            }
        };
        // A zone not read is unknown — the last known one, or none — never UTC (docs/amocrm-api.md
        // §11.14): a failed first read must not put every date of an eastern account a day early.
        let last_zone = || before.as_ref().map_or((None, None), |b| (b.timezone.clone(), b.timezone_offset_secs));
        let ((timezone, utc_offset_secs), task_types, unsorted_on) =
            match self.session.with_token(|a| api.account_settings(a)).await {
                Ok(s) if s.timezone.is_none() && s.timezone_offset_secs.is_none() => {
                    tracing::warn!("amoCRM did not say the account's time zone; keeping the last known");
                    (last_zone(), s.task_types, s.unsorted_on)
                }
                Ok(s) => ((s.timezone, s.timezone_offset_secs), s.task_types, s.unsorted_on),
                Err(e) => {
                    tracing::warn!(code = %e.code(), "time zone and task types not read; keeping the last known");
                    (
                        last_zone(),
                        before.as_ref().map(|b| b.task_types.clone()).unwrap_or_default(),
                        before.as_ref().is_some_and(|b| b.unsorted_on),
                    )
                }
            };
        let cached = Cached {
            pipelines,
            users,
            users_restricted,
            current_user_id,
            lead_fields,
            contact_fields,
            company_fields,
            timezone,
            utc_offset_secs,
            task_types,
            unsorted_on,
            account_id: account.account_id,
        };
        let t = now();
        let json = serde_json::to_string(&cached).map_err(Error::internal)?;
        let whose = crate::domain::account::AccountRef::of(&account);
        if !self.ctx.store.reference_cache().put_for(&whose, &lead_form_key(&account.domain), &json, t)? {
            // Disconnected, or another account signed in, while this was read: answered as the
            // account asked about (the window drops it, not being the connected one's), kept as
            // nobody's.
            tracing::info!("reference data: the account changed while they were read; not cached");
        }
        Ok(ReferenceData {
            pipelines: cached.pipelines,
            users: cached.users,
            users_restricted,
            current_user_id,
            lead_fields: cached.lead_fields,
            contact_fields: cached.contact_fields,
            company_fields: cached.company_fields,
            timezone: cached.timezone,
            timezone_offset_secs: cached.utc_offset_secs,
            task_types: cached.task_types,
            unsorted_on: cached.unsorted_on,
            lead_layout: self.ctx.store.form_layouts().get(&account.domain, FormEntity::Leads)?,
            contact_layout: self.ctx.store.form_layouts().get(&account.domain, FormEntity::Contacts)?,
            fetched_at: rfc3339(t),
            stale: false,
            account_domain: Some(account.domain.clone()),
            account_id: account.account_id,
        })
    }

    /// Existing contacts with this phone or email (the duplicate check). amoCRM's `query` is
    /// fuzzy (docs/amocrm-api.md §8.5, §11.8), so every hit is re-checked here: a phone must be the same
    /// number in international form, an email the same address ignoring case.
    pub async fn find_duplicates(&self, phone: &str, email: &str) -> Result<Vec<ContactMatch>> {
        let platform = self.platform();
        let phone = match phone.trim() {
            "" => None,
            p => normalize_phone(p, platform).ok(),
        };
        let email = Some(email.trim().to_lowercase()).filter(|e| valid_email(e));
        let mut found: Vec<ContactMatch> = Vec::new();
        let api = self.ctx.amo.api();
        let mut lead_ids: Vec<(i64, Vec<i64>)> = Vec::new();
        for query in phone.iter().map(|p| p.trim_start_matches('+').to_string()).chain(email.clone()) {
            let hits = self.session.with_token(|a| api.search_contacts_with_leads(a, &query)).await?;
            for (c, leads) in hits {
                let same_phone = phone
                    .as_ref()
                    .is_some_and(|p| c.phones.iter().any(|x| normalize_phone(x, platform).is_ok_and(|n| &n == p)));
                let same_email = email.as_ref().is_some_and(|e| c.emails.iter().any(|x| x.trim().to_lowercase() == *e));
                if (same_phone || same_email) && !found.iter().any(|f| f.id == c.id) {
                    lead_ids.push((c.id, leads));
                    found.push(c);
                }
            }
        }
        // The customer's leads still in work, so the user sees what is already open for them.
        for (contact, ids) in lead_ids {
            let mut open = Vec::new();
            for id in ids.into_iter().take(MAX_OPEN_LEADS_READ) {
                // Best effort: a lead this user may not read (or a hiccup) must not hide the
                // customer — the offer to attach matters more than the list of their leads.
                match self.session.with_token(|a| api.lead(a, id)).await {
                    Ok(Some(l)) if l.status_id != WON_STATUS_ID && l.status_id != LOST_STATUS_ID => open.push(l),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::info!(code = %e.code(), "a lead of the existing customer could not be read");
                        break;
                    }
                }
            }
            if let Some(c) = found.iter_mut().find(|c| c.id == contact) {
                c.open_leads = open;
            }
        }
        Ok(found)
    }

    /// Saves how this computer shows the connected account's `entity` fields (Settings → Form
    /// fields); returns it as kept (repeats dropped).
    pub fn save_form_layout(&self, entity: FormEntity, layout: &FormLayout) -> Result<FormLayout> {
        // The forms arrange the lead's and the contact's fields; a new company shows its own
        // few fields as amoCRM orders them.
        if entity == FormEntity::Companies {
            return Err(Error::validation(vec![FieldError::new("entity", FieldCode::NotAChoice)]));
        }
        let Some(account) = self.ctx.store.account().load()? else { return Err(AmoError::NotConnected.into()) };
        let clean = layout.cleaned();
        self.ctx.store.form_layouts().put(&account.domain, entity, &clean)?;
        Ok(clean)
    }

    /// Companies whose name amoCRM's `query` finds (the company field's suggestions).
    pub async fn search_companies(&self, query: &str) -> Result<Vec<CompanyMatch>> {
        let q: String = query.trim().chars().take(100).collect();
        if q.chars().count() < 2 {
            return Ok(Vec::new());
        }
        let api = self.ctx.amo.api();
        self.session.with_token(|a| api.search_companies(a, &q)).await
    }

    /// The custom fields of `entity` (leads, contacts, companies), asked of amoCRM now.
    pub async fn custom_fields(&self, entity: &str) -> Result<Vec<CustomField>> {
        let api = self.ctx.amo.api();
        self.session.with_token(|a| api.custom_fields(a, entity)).await
    }

    /// The window's search: leads and contacts amoCRM's `query` finds for a name, phone or
    /// e-mail. A phone is asked for by its digits in international form without the `+`, so
    /// `8 912…` finds a contact stored as `+7 912…` (docs/amocrm-api.md §11.8).
    pub async fn search_amocrm(&self, query: &str) -> Result<SearchResults> {
        let q = query.trim();
        if q.chars().count() < 2 {
            return Err(Error::validation(vec![FieldError::new("query", FieldCode::Required)]));
        }
        let q = match normalize_phone(q, self.platform()) {
            Ok(p) => p.trim_start_matches('+').to_string(),
            Err(_) => q.chars().take(100).collect(),
        };
        let api = self.ctx.amo.api();
        let contacts = self.session.with_token(|a| api.search_contacts(a, &q)).await?;
        let leads = self.session.with_token(|a| api.search_leads(a, &q)).await?;
        Ok(SearchResults { leads, contacts })
    }

    /// Up to `limit` newest leads from amoCRM (`lead list`).
    pub async fn list_leads(&self, limit: usize) -> Result<Vec<LeadSummary>> {
        let api = self.ctx.amo.api();
        self.session.with_token(|a| api.list_leads(a, limit)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_cache_format_is_still_read() {
        let old = r##"{"pipelines":[{"id":1,"name":"Main","sort":1,"is_main":true,"is_archive":false,"statuses":[
            {"id":10,"name":"Incoming","sort":10,"color":"#ccc","type":1},
            {"id":11,"name":"First","sort":20,"color":"#ccc","type":0},
            {"id":142,"name":"Won","sort":10000,"color":"#ccc","type":0}]}],
            "users":[{"id":5,"name":"Anna","email":null}],"users_restricted":false,"current_user_id":5}"##;
        let c = parse_cache(old).expect("legacy");
        let kinds: Vec<StageKind> = c.pipelines[0].statuses.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, [StageKind::Unsorted, StageKind::Open, StageKind::Won]);
        let now = serde_json::to_string(&c).expect("json");
        assert!(parse_cache(&now).is_some(), "the current format reads back");
        assert!(parse_cache("{}").is_none());
    }

    #[test]
    fn a_cache_without_the_zones_name_reads_as_an_unknown_zone_not_utc() {
        // Written before zone names were kept — after a failed settings read, its 0 was a stand-in.
        let before = r#"{"pipelines":[],"users":[],"users_restricted":false,"current_user_id":5,
            "timezone_offset_secs":0,"task_types":[],"unsorted_on":true}"#;
        let c = parse_cache(before).expect("read");
        assert_eq!((c.timezone.as_deref(), c.utc_offset_secs), (None, None));
        let kept = Cached { timezone: Some("Europe/Berlin".into()), utc_offset_secs: Some(7200), ..c };
        let again = parse_cache(&serde_json::to_string(&kept).expect("json")).expect("read back");
        assert_eq!((again.timezone.as_deref(), again.utc_offset_secs), (Some("Europe/Berlin"), Some(7200)));
    }
}
