//! Reference data for the lead form — pipelines with their stages, and the account's users —
//! cached in SQLite so the form opens at once (and offline) and refreshed in the background.
//!
//! `/api/v4/users` is admin-only (shared/amocrm-api.md §6.9): for everyone else the list is just
//! the current user, from `/api/v4/account`'s `current_user_id`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::account_store;
use crate::api::{Pipeline, User};
use crate::error::{Error, Result};
use crate::service::{now, rfc3339, AmoConnect};

/// Older than this, the window refreshes the cache in the background.
pub const FRESH_SECS: i64 = 10 * 60;

#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct ReferenceData {
    pub pipelines: Vec<Pipeline>,
    pub users: Vec<User>,
    /// The token's user may not list users: `users` holds only them.
    pub users_restricted: bool,
    #[ts(type = "number | null")]
    pub current_user_id: Option<i64>,
    /// RFC 3339: when amoCRM was last asked.
    pub fetched_at: String,
    /// The data are older than [`FRESH_SECS`] (or amoCRM could not be asked just now).
    pub stale: bool,
}

#[derive(Serialize, Deserialize)]
struct Cached {
    pipelines: Vec<Pipeline>,
    users: Vec<User>,
    users_restricted: bool,
    current_user_id: Option<i64>,
}

impl AmoConnect {
    /// What the cache holds, without asking amoCRM.
    pub fn cached_reference(&self) -> Result<Option<ReferenceData>> {
        let row: Option<(String, i64)> = {
            let conn = self.db.conn();
            let mut st = conn.prepare("SELECT json, fetched_at FROM reference_cache WHERE key = 'lead_form'")?;
            let mut rows = st.query([])?;
            match rows.next()? {
                Some(r) => Some((r.get(0)?, r.get(1)?)),
                None => None,
            }
        };
        let Some((json, fetched_at)) = row else { return Ok(None) };
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
    pub async fn reference_data(&self, refresh: bool) -> Result<ReferenceData> {
        let cached = self.cached_reference()?;
        if let Some(c) = &cached {
            if !refresh && !c.stale {
                return Ok(c.clone());
            }
        }
        match self.fetch_reference().await {
            Ok(fresh) => Ok(fresh),
            Err(e) if e.code() == "network" || e.code() == "server_error" || e.code() == "rate_limited" => match cached
            {
                Some(mut c) => {
                    tracing::info!(code = e.code(), "reference data: using the cache");
                    c.stale = true;
                    Ok(c)
                }
                None => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    async fn fetch_reference(&self) -> Result<ReferenceData> {
        let pipelines = self.with_token(|a| async move { self.api().pipelines(&a.domain, &a.token).await }).await?;
        let current_user_id = match account_store::load(&self.db)?.and_then(|r| r.current_user_id) {
            Some(id) => Some(id),
            None => {
                self.with_token(|a| async move { self.api().account(&a.domain, &a.token).await }).await?.current_user_id
            }
        };
        let (users, users_restricted) =
            match self.with_token(|a| async move { self.api().users(&a.domain, &a.token).await }).await {
                Ok(u) => (u, false),
                Err(Error::Forbidden(_)) => {
                    let me = current_user_id.map(|id| User { id, name: String::new(), email: None });
                    (me.into_iter().collect(), true)
                }
                Err(e) => return Err(e),
            };
        let cached = Cached { pipelines, users, users_restricted, current_user_id };
        let t = now();
        let json = serde_json::to_string(&cached).map_err(|e| Error::Internal(e.to_string()))?;
        self.db.conn().execute(
            "INSERT INTO reference_cache (key, json, fetched_at) VALUES ('lead_form', ?1, ?2)
             ON CONFLICT(key) DO UPDATE SET json = excluded.json, fetched_at = excluded.fetched_at",
            rusqlite::params![json, t],
        )?;
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
    /// fuzzy (shared/amocrm-api.md §6.6, §9 #8), so every hit is re-checked here: a phone must be
    /// the same number in international form, an email the same address ignoring case.
    pub async fn find_duplicates(&self, phone: &str, email: &str) -> Result<Vec<crate::api::ContactMatch>> {
        let platform = self.platform();
        let phone = match phone.trim() {
            "" => None,
            p => crate::model::normalize_phone(p, platform).ok(),
        };
        let email = Some(email.trim().to_lowercase()).filter(|e| crate::model::valid_email(e));
        let mut found: Vec<crate::api::ContactMatch> = Vec::new();
        for query in phone.iter().map(|p| p.trim_start_matches('+').to_string()).chain(email.clone()) {
            let hits = self.with_token(|a| {
                let q = query.clone();
                async move { self.api().search_contacts(&a.domain, &a.token, &q).await }
            });
            for c in hits.await? {
                let same_phone = phone.as_ref().is_some_and(|p| {
                    c.phones.iter().any(|x| crate::model::normalize_phone(x, platform).is_ok_and(|n| &n == p))
                });
                let same_email = email.as_ref().is_some_and(|e| c.emails.iter().any(|x| x.trim().to_lowercase() == *e));
                if (same_phone || same_email) && !found.iter().any(|f| f.id == c.id) {
                    found.push(c);
                }
            }
        }
        Ok(found)
    }

    /// The connected account's platform (decides how phones without a country code are read).
    pub fn platform(&self) -> crate::config::Platform {
        account_store::load(&self.db).ok().flatten().map(|r| r.platform).unwrap_or_default()
    }
}
