//! Reading leads back from amoCRM, and waiting for one outbox entry to settle (the CLI's
//! `lead add` / `contact add` without `--no-wait`).

use std::time::{Duration, Instant};

use crate::api::LeadSummary;
use crate::error::{Error, Result};
use crate::outbox::{OutboxItem, OutboxState};
use crate::service::AmoConnect;

impl AmoConnect {
    /// Up to `limit` newest leads from amoCRM (`lead list`).
    pub async fn list_leads(&self, limit: usize) -> Result<Vec<LeadSummary>> {
        self.with_token(|a| async move { self.api().list_leads(&a.domain, &a.token, limit).await }).await
    }

    /// Sends the outbox (this process takes part unless another one holds the outbox lock)
    /// until entry `id` is sent or needs attention, or `timeout` passes. The entry stays queued
    /// either way; [`Error::StillQueued`] says so.
    pub async fn wait_for_entry(&self, id: i64, timeout: Duration) -> Result<OutboxItem> {
        let deadline = Instant::now() + timeout;
        loop {
            let wait = self.outbox_pass(&|| {}).await;
            let item = self.outbox_item(id)?;
            match item.state {
                OutboxState::Sent => return Ok(item),
                OutboxState::Attention if !item.field_errors.is_empty() => {
                    return Err(Error::Validation(item.field_errors));
                }
                OutboxState::Attention => {
                    let e = item.error.map(|e| e.message).unwrap_or_default();
                    return Err(Error::UnexpectedResponse(format!("entry #{id} needs attention: {e}")));
                }
                OutboxState::Queued | OutboxState::Sending => {}
            }
            let now = Instant::now();
            if now >= deadline {
                let reason = match self.outbox_summary()? {
                    s if s.banned => "amoCRM blocked the account's API".to_string(),
                    _ => item.error.map(|e| e.message).unwrap_or_else(|| "not sent yet".into()),
                };
                return Err(Error::StillQueued { id, reason });
            }
            tokio::time::sleep(wait.min(deadline - now).max(Duration::from_millis(20))).await;
        }
    }
}
