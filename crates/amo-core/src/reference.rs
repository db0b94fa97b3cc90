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
use crate::domain::phone::{normalize_phone, valid_email};
use crate::domain::platform::Platform;
use crate::domain::reference::{ContactMatch, LeadSummary, Pipeline, ReferenceData, User};
use crate::error::{AmoError, Error, Result};

/// Older than this, the window refreshes the cache in the background.
pub const FRESH_SECS: i64 = 10 * 60;
/// The cache entry of the lead form's data.
const LEAD_FORM_KEY: &str = "lead_form";

#[derive(Serialize, Deserialize)]
struct Cached {
    pipelines: Vec<Pipeline>,
    users: Vec<User>,
    users_restricted: bool,
    current_user_id: Option<i64>,
}

pub struct Reference {
    ctx: Arc<Ctx>,
    session: Arc<Session>,
}

impl Reference {
    pub(crate) fn new(ctx: Arc<Ctx>, session: Arc<Session>) -> Reference {
        Reference { ctx, session }
    }

    /// The connected account's platform (decides how phones without a country code are read).
    pub fn platform(&self) -> Platform {
        self.ctx.store.account().load().ok().flatten().map(|r| r.platform).unwrap_or_default()
    }

    /// What the cache holds, without asking amoCRM. An unreadable cache (an older format) is
    /// treated as none.
    pub fn cached(&self) -> Result<Option<ReferenceData>> {
        let Some((json, fetched_at)) = self.ctx.store.reference_cache().get(LEAD_FORM_KEY)? else { return Ok(None) };
        let Ok(c) = serde_json::from_str::<Cached>(&json) else { return Ok(None) };
        Ok(Some(ReferenceData {
            pipelines: c.pipelines,
            users: c.users,
            users_restricted: c.users_restricted,
            current_user_id: c.current_user_id,
            fetched_at: rfc3339(fetched_at),
            stale: now() - fetched_at > FRESH_SECS,
        }))
    }

    /// Pipelines and users: from the cache when fresh (unless `refresh`), otherwise from amoCRM.
    /// When amoCRM cannot be reached but a cache exists, the cache is returned marked stale —
    /// the form keeps working offline; entries are queued anyway.
    pub async fn data(&self, refresh: bool) -> Result<ReferenceData> {
        let cached = self.cached()?;
        if let Some(c) = &cached {
            if !refresh && !c.stale {
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
        let pipelines = self.session.with_token(|a| api.pipelines(a)).await?;
        let current_user_id = match self.ctx.store.account().load()?.and_then(|r| r.current_user_id) {
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
        let cached = Cached { pipelines, users, users_restricted, current_user_id };
        let t = now();
        let json = serde_json::to_string(&cached).map_err(Error::internal)?;
        self.ctx.store.reference_cache().put(LEAD_FORM_KEY, &json, t)?;
        Ok(ReferenceData {
            pipelines: cached.pipelines,
            users: cached.users,
            users_restricted,
            current_user_id,
            fetched_at: rfc3339(t),
            stale: false,
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
        for query in phone.iter().map(|p| p.trim_start_matches('+').to_string()).chain(email.clone()) {
            let hits = self.session.with_token(|a| api.search_contacts(a, &query)).await?;
            for c in hits {
                let same_phone = phone
                    .as_ref()
                    .is_some_and(|p| c.phones.iter().any(|x| normalize_phone(x, platform).is_ok_and(|n| &n == p)));
                let same_email = email.as_ref().is_some_and(|e| c.emails.iter().any(|x| x.trim().to_lowercase() == *e));
                if (same_phone || same_email) && !found.iter().any(|f| f.id == c.id) {
                    found.push(c);
                }
            }
        }
        Ok(found)
    }

    /// Up to `limit` newest leads from amoCRM (`lead list`).
    pub async fn list_leads(&self, limit: usize) -> Result<Vec<LeadSummary>> {
        let api = self.ctx.amo.api();
        self.session.with_token(|a| api.list_leads(a, limit)).await
    }
}
