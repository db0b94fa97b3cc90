//! Table `settings`: one row per setting, keyed by [`SettingKey`] (never a bare string).

use rusqlite::{params, OptionalExtension};

use super::Store;
use crate::domain::lang::Lang;
use crate::domain::platform::Platform;
use crate::domain::settings::{
    BounceVia, Settings, DEFAULT_KEEPALIVE_DAYS, DEFAULT_LOOPBACK_PORT, DEFAULT_RETENTION_DAYS,
};
use crate::error::Result;

/// The stored settings' keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKey {
    Platform,
    ClientId,
    RedirectUri,
    Domain,
    Language,
    KeepaliveDays,
    RetentionDays,
    BounceVia,
    BouncePort,
    Notifications,
    NotificationDetails,
    TaskNotifications,
    CloseToTray,
    QuickEntryShortcut,
    AutostartOfferAnswered,
}

impl SettingKey {
    fn as_str(self) -> &'static str {
        match self {
            SettingKey::Platform => "platform",
            SettingKey::ClientId => "client_id",
            SettingKey::RedirectUri => "redirect_uri",
            SettingKey::Domain => "domain",
            SettingKey::Language => "language",
            SettingKey::KeepaliveDays => "keepalive_days",
            SettingKey::RetentionDays => "retention_days",
            SettingKey::BounceVia => "bounce_via",
            SettingKey::BouncePort => "bounce_port",
            SettingKey::Notifications => "notifications",
            SettingKey::NotificationDetails => "notification_details",
            SettingKey::TaskNotifications => "task_notifications",
            SettingKey::CloseToTray => "close_to_tray",
            SettingKey::QuickEntryShortcut => "quick_entry_shortcut",
            SettingKey::AutostartOfferAnswered => "autostart_offer_answered",
        }
    }
}

pub struct SettingsTable<'a>(pub(super) &'a Store);

impl SettingsTable<'_> {
    /// Every setting; missing or unreadable ones take their defaults.
    pub fn load(&self) -> Result<Settings> {
        let conn = self.0.conn();
        let get = |k: SettingKey| -> Result<Option<String>> {
            Ok(conn.query_row("SELECT value FROM settings WHERE key = ?1", [k.as_str()], |r| r.get(0)).optional()?)
        };
        Ok(Settings {
            platform: get(SettingKey::Platform)?.and_then(|p| Platform::parse(&p).ok()).unwrap_or_default(),
            client_id: get(SettingKey::ClientId)?,
            redirect_uri: get(SettingKey::RedirectUri)?,
            domain: get(SettingKey::Domain)?,
            language: get(SettingKey::Language)?.and_then(|l| Lang::parse(&l)).unwrap_or_default(),
            keepalive_days: get(SettingKey::KeepaliveDays)?
                .and_then(|d| d.parse().ok())
                .unwrap_or(DEFAULT_KEEPALIVE_DAYS),
            retention_days: get(SettingKey::RetentionDays)?
                .and_then(|d| d.parse().ok())
                .unwrap_or(DEFAULT_RETENTION_DAYS),
            bounce_via: get(SettingKey::BounceVia)?.map(|v| BounceVia::parse(&v)).unwrap_or_default(),
            bounce_port: get(SettingKey::BouncePort)?.and_then(|p| p.parse().ok()).unwrap_or(DEFAULT_LOOPBACK_PORT),
            notifications: get(SettingKey::Notifications)?.is_none_or(|v| v != "off"),
            notification_details: get(SettingKey::NotificationDetails)?.is_none_or(|v| v != "off"),
            task_notifications: get(SettingKey::TaskNotifications)?.is_none_or(|v| v != "off"),
            close_to_tray: get(SettingKey::CloseToTray)?.is_some_and(|v| v == "on"),
            quick_entry_shortcut: get(SettingKey::QuickEntryShortcut)?
                .unwrap_or_else(|| crate::domain::desktop::DEFAULT_SHORTCUT.to_string()),
            autostart_offer_answered: get(SettingKey::AutostartOfferAnswered)?.is_some_and(|v| v == "yes"),
        })
    }

    /// Just the language (read for every message the core renders).
    pub fn language(&self) -> Result<Lang> {
        let conn = self.0.conn();
        let v: Option<String> = conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [SettingKey::Language.as_str()], |r| r.get(0))
            .optional()?;
        Ok(v.and_then(|l| Lang::parse(&l)).unwrap_or_default())
    }

    /// Sets (or, with `None`, removes) one setting.
    pub fn set(&self, key: SettingKey, value: Option<&str>) -> Result<()> {
        self.save(&[(key, value.map(str::to_string))])
    }

    /// Several settings in one transaction: a form is saved whole or not at all.
    pub fn save(&self, changes: &[(SettingKey, Option<String>)]) -> Result<()> {
        let mut conn = self.0.conn();
        let tx = conn.transaction()?;
        for (key, value) in changes {
            match value {
                Some(v) => tx.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![key.as_str(), v],
                )?,
                None => tx.execute("DELETE FROM settings WHERE key = ?1", [key.as_str()])?,
            };
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip() {
        let store = Store::open_in_memory().expect("db");
        let t = store.settings();
        assert_eq!(t.load().expect("load"), Settings::default());
        t.save(&[
            (SettingKey::Platform, Some("kommo".into())),
            (SettingKey::ClientId, Some("x".into())),
            (SettingKey::Language, Some("ru".into())),
        ])
        .expect("save");
        let s = t.load().expect("load");
        assert_eq!((s.platform, s.client_id.as_deref(), s.language), (Platform::Kommo, Some("x"), Lang::Ru));
        assert_eq!(t.language().expect("lang"), Lang::Ru);
        t.set(SettingKey::ClientId, None).expect("clear");
        assert_eq!(t.load().expect("load").client_id, None);
    }
}
