//! The user's settings: read them, and change them from the window's form or `amo-connect
//! config`. The Secret key goes to the keychain, everything else to SQLite; a form with one bad
//! field changes nothing.

use std::sync::Arc;

use crate::context::Ctx;
use crate::domain::settings::{
    validate_client_id, validate_client_secret, validate_domain, validate_keepalive_days, validate_port,
    validate_redirect_uri, validate_retention_days, Settings, SettingsPatch,
};
use crate::domain::views::SettingsView;
use crate::error::Result;
use crate::store::SettingKey;

pub struct Config {
    ctx: Arc<Ctx>,
    /// All amoCRM URLs go to another server (`AMO_CONNECT_SERVER`: the simulator): Settings says
    /// so. Fixed for the process; the composition root knows it.
    server_override: bool,
}

impl Config {
    pub(crate) fn new(ctx: Arc<Ctx>, server_override: bool) -> Config {
        Config { ctx, server_override }
    }

    pub fn settings(&self) -> Result<Settings> {
        self.ctx.store.settings().load()
    }

    /// Settings as the window shows them. A keychain that cannot be read does not hide them: its
    /// problem is reported beside the Secret key instead.
    pub async fn view(&self) -> Result<SettingsView> {
        let (client_secret_set, keychain_problem) = match self.ctx.keychain.client_secret().await {
            Ok(s) => (s.is_some(), None),
            Err(e) => (false, Some(e.to_payload(self.ctx.lang()))),
        };
        Ok(SettingsView {
            settings: self.settings()?,
            client_secret_set,
            keychain_problem,
            server_override: self.server_override,
        })
    }

    /// Validates every field of the patch first, then stores them all.
    pub async fn apply(&self, patch: SettingsPatch) -> Result<SettingsView> {
        let mut changes: Vec<(SettingKey, Option<String>)> = Vec::new();
        if let Some(p) = patch.platform {
            changes.push((SettingKey::Platform, Some(p.as_str().into())));
        }
        if let Some(v) = patch.client_id.as_deref() {
            changes.push((SettingKey::ClientId, Some(validate_client_id(v)?)));
        }
        if let Some(v) = patch.redirect_uri.as_deref() {
            changes.push((SettingKey::RedirectUri, Some(validate_redirect_uri(v)?)));
        }
        match patch.domain.as_deref().map(str::trim) {
            Some("") => changes.push((SettingKey::Domain, None)),
            Some(d) => changes.push((SettingKey::Domain, Some(validate_domain(d)?))),
            None => {}
        }
        if let Some(l) = patch.language {
            changes.push((SettingKey::Language, Some(l.as_str().into())));
        }
        if let Some(d) = patch.keepalive_days {
            changes.push((SettingKey::KeepaliveDays, Some(validate_keepalive_days(d)?.to_string())));
        }
        if let Some(d) = patch.retention_days {
            changes.push((SettingKey::RetentionDays, Some(validate_retention_days(d)?.to_string())));
        }
        if let Some(v) = patch.bounce_via {
            changes.push((SettingKey::BounceVia, Some(v.as_str().into())));
        }
        if let Some(p) = patch.bounce_port {
            changes.push((SettingKey::BouncePort, Some(validate_port(p)?.to_string())));
        }
        if let Some(on) = patch.notifications {
            changes.push((SettingKey::Notifications, Some(if on { "on" } else { "off" }.into())));
        }
        if let Some(on) = patch.notification_details {
            changes.push((SettingKey::NotificationDetails, Some(if on { "on" } else { "off" }.into())));
        }
        if let Some(on) = patch.task_notifications {
            changes.push((SettingKey::TaskNotifications, Some(if on { "on" } else { "off" }.into())));
        }
        if let Some(on) = patch.close_to_tray {
            changes.push((SettingKey::CloseToTray, Some(if on { "on" } else { "off" }.into())));
        }
        if let Some(v) = patch.quick_entry_shortcut.as_deref() {
            // "" is stored too: off is a choice, unlike a never-set value (the default).
            changes.push((SettingKey::QuickEntryShortcut, Some(crate::domain::desktop::parse_shortcut(v)?)));
        }
        if let Some(answered) = patch.autostart_offer_answered {
            changes.push((SettingKey::AutostartOfferAnswered, Some(if answered { "yes" } else { "no" }.into())));
        }
        let secret = patch.client_secret.as_ref().map(|s| validate_client_secret(s.expose())).transpose()?;
        if let Some(s) = secret {
            self.ctx.keychain.save_client_secret(&s).await?;
        }
        self.ctx.store.settings().save(&changes)?;
        tracing::info!(changed = changes.len(), "settings updated");
        self.view().await
    }
}
