//! Table `reference_cache`: reference data fetched from amoCRM (pipelines, users), as JSON with
//! the time it was fetched, so the forms open at once and work offline. Keys start with the
//! account's host (`reference`), so each account has its own.

use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::error::Result;

pub struct ReferenceCache<'a>(pub(super) &'a Store);

impl ReferenceCache<'_> {
    /// The cached JSON under `key` and when it was fetched.
    pub fn get(&self, key: &str) -> Result<Option<(String, i64)>> {
        Ok(self
            .0
            .conn()
            .query_row("SELECT json, fetched_at FROM reference_cache WHERE key = ?1", [key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    pub fn put(&self, key: &str, json: &str, fetched_at: i64) -> Result<()> {
        self.0.conn().execute(
            "INSERT INTO reference_cache (key, json, fetched_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET json = excluded.json, fetched_at = excluded.fetched_at",
            params![key, json, fetched_at],
        )?;
        Ok(())
    }
}
