//! User settings: platform, Integration ID, Redirect URI, account domain, language. Stored in
//! SQLite; the Secret key is not a setting, it lives in the keychain (see `secrets`).
//! Every setter validates and explains what is wrong, field by field.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

use crate::db::Db;
use crate::error::{Error, Result};
use crate::lang::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Platform {
    /// amocrm.ru (callback `platform=1`)
    #[default]
    Amocrm,
    /// kommo.com, formerly amocrm.com (callback `platform=2`)
    Kommo,
}

impl Platform {
    pub fn parse(s: &str) -> Result<Platform> {
        match s.trim().to_ascii_lowercase().as_str() {
            "amocrm" | "amocrm.ru" | "1" => Ok(Platform::Amocrm),
            "kommo" | "kommo.com" | "amocrm.com" | "2" => Ok(Platform::Kommo),
            other => Err(Error::InvalidSetting {
                field: "platform",
                reason: format!("\"{other}\" is not a platform; use amocrm or kommo"),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Amocrm => "amocrm",
            Platform::Kommo => "kommo",
        }
    }

    /// Where the authorize page lives (shared/amocrm-api.md §1).
    pub fn www_origin(self) -> &'static str {
        match self {
            Platform::Amocrm => "https://www.amocrm.ru",
            Platform::Kommo => "https://www.kommo.com",
        }
    }

    /// The platform an account host belongs to, if it is an amoCRM/Kommo host at all.
    pub fn of_host(host: &str) -> Option<Platform> {
        if host.ends_with(".amocrm.ru") {
            Some(Platform::Amocrm)
        } else if host.ends_with(".kommo.com") || host.ends_with(".amocrm.com") {
            Some(Platform::Kommo)
        } else {
            None
        }
    }
}

/// The deep link amoCRM can redirect to, if it accepts a custom scheme (shared/amocrm-api.md §12).
pub const DEEP_LINK_REDIRECT: &str = "amoconnect://oauth/callback";
/// The suggested loopback port.
pub const DEFAULT_LOOPBACK_PORT: u16 = 53682;

/// Where the HTTPS bounce page forwards amoCRM's redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum BounceVia {
    /// To `http://127.0.0.1:{bounce_port}/callback`.
    #[default]
    Loopback,
    /// To `amoconnect://oauth/callback`.
    DeepLink,
}

impl BounceVia {
    pub fn as_str(self) -> &'static str {
        match self {
            BounceVia::Loopback => "loopback",
            BounceVia::DeepLink => "deep_link",
        }
    }

    fn parse(s: &str) -> BounceVia {
        if s == "deep_link" {
            BounceVia::DeepLink
        } else {
            BounceVia::Loopback
        }
    }
}

/// How amoCRM's redirect reaches the app, decided by the Redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectMode {
    /// `http://127.0.0.1:PORT/path`: the app listens there.
    Loopback { port: u16, path: String },
    /// `amoconnect://oauth/callback`: the OS hands the URL to the app.
    DeepLink,
    /// `https://…`: the user's static bounce page forwards to loopback or the deep link.
    Bounce { via: BounceVia, port: u16 },
}

/// Refresh tokens die after three months unused (shared/amocrm-api.md §3): refresh long before.
pub const DEFAULT_KEEPALIVE_DAYS: u32 = 7;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Settings {
    pub platform: Platform,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub domain: Option<String>,
    pub language: Lang,
    /// Refresh in the background when the last refresh is older than this many days.
    pub keepalive_days: u32,
    /// With an https Redirect URI (bounce page): where the page forwards.
    pub bounce_via: BounceVia,
    /// With an https Redirect URI and loopback forwarding: the port the app listens on.
    pub bounce_port: u16,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            platform: Platform::default(),
            client_id: None,
            redirect_uri: None,
            domain: None,
            language: Lang::default(),
            keepalive_days: DEFAULT_KEEPALIVE_DAYS,
            bounce_via: BounceVia::default(),
            bounce_port: DEFAULT_LOOPBACK_PORT,
        }
    }
}

impl Settings {
    /// How the redirect will arrive, from the Redirect URI (validated when it was saved).
    pub fn redirect_mode(&self) -> Result<RedirectMode> {
        let uri = self.redirect_uri.as_deref().ok_or(Error::NotConfigured("redirect_uri"))?;
        if uri == DEEP_LINK_REDIRECT {
            return Ok(RedirectMode::DeepLink);
        }
        let url =
            Url::parse(uri).map_err(|e| Error::InvalidSetting { field: "redirect_uri", reason: e.to_string() })?;
        match url.scheme() {
            "https" => Ok(RedirectMode::Bounce { via: self.bounce_via, port: self.bounce_port }),
            _ => {
                let port = url.port().ok_or(Error::InvalidSetting {
                    field: "redirect_uri",
                    reason: "a loopback Redirect URI needs an explicit port".into(),
                })?;
                Ok(RedirectMode::Loopback { port, path: url.path().to_string() })
            }
        }
    }
}

/// A change from the window's Settings form: `None` leaves a value as it is.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
pub struct SettingsPatch {
    #[ts(optional)]
    pub platform: Option<Platform>,
    #[ts(optional)]
    pub client_id: Option<String>,
    #[ts(optional)]
    pub redirect_uri: Option<String>,
    /// An empty string clears the domain.
    #[ts(optional)]
    pub domain: Option<String>,
    #[ts(optional)]
    pub language: Option<Lang>,
    /// 1 to 60 days.
    #[ts(optional)]
    pub keepalive_days: Option<u32>,
    #[ts(optional)]
    pub bounce_via: Option<BounceVia>,
    /// 1024 to 65535.
    #[ts(optional)]
    pub bounce_port: Option<u16>,
    /// Goes to the keychain, never to SQLite. An empty string is refused.
    #[ts(optional)]
    pub client_secret: Option<String>,
}

pub fn load(db: &Db) -> Result<Settings> {
    let conn = db.conn();
    let get = |k: &str| -> Result<Option<String>> {
        Ok(conn.query_row("SELECT value FROM settings WHERE key = ?1", [k], |r| r.get(0)).optional()?)
    };
    Ok(Settings {
        platform: get("platform")?.map(|p| Platform::parse(&p)).transpose()?.unwrap_or_default(),
        client_id: get("client_id")?,
        redirect_uri: get("redirect_uri")?,
        domain: get("domain")?,
        language: get("language")?.and_then(|l| Lang::parse(&l)).unwrap_or_default(),
        keepalive_days: get("keepalive_days")?.and_then(|d| d.parse().ok()).unwrap_or(DEFAULT_KEEPALIVE_DAYS),
        bounce_via: get("bounce_via")?.map(|v| BounceVia::parse(&v)).unwrap_or_default(),
        bounce_port: get("bounce_port")?.and_then(|p| p.parse().ok()).unwrap_or(DEFAULT_LOOPBACK_PORT),
    })
}

pub fn store(db: &Db, key: &str, value: Option<&str>) -> Result<()> {
    let conn = db.conn();
    match value {
        Some(v) => conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, v],
        )?,
        None => conn.execute("DELETE FROM settings WHERE key = ?1", [key])?,
    };
    Ok(())
}

/// The Integration ID is a UUID in both amoCRM and Kommo.
pub fn validate_client_id(raw: &str) -> Result<String> {
    let v = raw.trim().to_ascii_lowercase();
    let ok = v.len() == 36
        && v.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if ok {
        Ok(v)
    } else {
        Err(Error::InvalidSetting {
            field: "client_id",
            reason: "an Integration ID looks like 1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718 (copy it from the integration's Keys tab)"
                .into(),
        })
    }
}

pub fn validate_client_secret(raw: &str) -> Result<String> {
    let v = raw.trim_end_matches(['\r', '\n']).trim();
    if v.is_empty() {
        return Err(Error::InvalidSetting { field: "client_secret", reason: "the Secret key is empty".into() });
    }
    if v.len() > 512 || v.chars().any(char::is_whitespace) {
        return Err(Error::InvalidSetting {
            field: "client_secret",
            reason: "a Secret key is one line of at most 512 characters without spaces".into(),
        });
    }
    Ok(v.to_string())
}

/// A Redirect URI must be stored exactly as registered in amoCRM (it is compared character by
/// character), so we validate but do not normalise it. Accepted: an `http://127.0.0.1:PORT/path`
/// (or `localhost`) loopback URI, or any `https://` URI (the bounce page).
pub fn validate_redirect_uri(raw: &str) -> Result<String> {
    let v = raw.trim();
    let bad = |reason: &str| Error::InvalidSetting { field: "redirect_uri", reason: reason.to_string() };
    if v == DEEP_LINK_REDIRECT {
        return Ok(v.to_string());
    }
    let url = Url::parse(v).map_err(|e| bad(&format!("not an absolute URL ({e})")))?;
    if url.fragment().is_some() {
        return Err(bad("must not contain a #fragment"));
    }
    if url.query().is_some() {
        return Err(bad("must not contain a ?query; amoCRM appends its own"));
    }
    match url.scheme() {
        "https" => Ok(v.to_string()),
        "http" => {
            let host = url.host_str().unwrap_or_default();
            if host != "127.0.0.1" && host != "localhost" {
                return Err(bad("plain http is only allowed for the loopback address 127.0.0.1; use https otherwise"));
            }
            if url.port().is_none() {
                return Err(bad(
                    "a loopback Redirect URI needs an explicit port, e.g. http://127.0.0.1:53682/callback",
                ));
            }
            Ok(v.to_string())
        }
        other => {
            Err(bad(&format!("scheme \"{other}\" is not supported here; use http://127.0.0.1:PORT/... or https://")))
        }
    }
}

/// `api_domain` comes from a token claim and decides where the refresh token is sent: it must
/// be an amoCRM/Kommo host (e.g. `api-b.amocrm.ru`).
pub fn validate_api_domain(host: &str) -> Option<String> {
    let h = host.trim().to_ascii_lowercase();
    let ok = h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && ["amocrm.ru", "kommo.com", "amocrm.com"].iter().any(|base| h.ends_with(&format!(".{base}")));
    ok.then_some(h)
}

/// The loopback port the bounce page forwards to.
pub fn validate_port(port: u16) -> Result<u16> {
    if port >= 1024 {
        Ok(port)
    } else {
        Err(Error::InvalidSetting { field: "bounce_port", reason: format!("{port} is not a port from 1024 to 65535") })
    }
}

/// Days between keep-alive refreshes: at least one, and well inside the 90-day life of a
/// refresh token.
pub fn validate_keepalive_days(days: u32) -> Result<u32> {
    if (1..=60).contains(&days) {
        Ok(days)
    } else {
        Err(Error::InvalidSetting { field: "keepalive_days", reason: format!("{days} is not between 1 and 60 days") })
    }
}

/// An account host such as `acme.amocrm.ru` or `acme.kommo.com`. Also accepts a pasted URL.
pub fn validate_domain(raw: &str) -> Result<String> {
    let mut v = raw.trim().to_ascii_lowercase();
    for prefix in ["https://", "http://"] {
        if let Some(rest) = v.strip_prefix(prefix) {
            v = rest.to_string();
        }
    }
    let v = v.split('/').next().unwrap_or_default().to_string();
    let valid_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if v.split('.').all(valid_label) && Platform::of_host(&v).is_some() && !v.starts_with("www.") {
        // amocrm.com accounts now live at kommo.com, and their tokens work there
        // (shared/amocrm-api.md §5): keep one spelling.
        Ok(match v.strip_suffix(".amocrm.com") {
            Some(sub) => format!("{sub}.kommo.com"),
            None => v,
        })
    } else {
        Err(Error::InvalidSetting {
            field: "domain",
            reason: format!(
                "\"{}\" is not an account address like mycompany.amocrm.ru or mycompany.kommo.com",
                raw.trim()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_must_be_a_uuid() {
        assert_eq!(
            validate_client_id(" 1F2E3D4C-5B6A-7980-A1B2-C3D4E5F60718 ").expect("ok"),
            "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718"
        );
        for bad in ["", "abc", "1f2e3d4c5b6a7980a1b2c3d4e5f60718", "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f6071z"] {
            assert_eq!(validate_client_id(bad).expect_err(bad).code(), "invalid_setting");
        }
    }

    #[test]
    fn redirect_uri_rules() {
        assert!(validate_redirect_uri("http://127.0.0.1:53682/callback").is_ok());
        assert!(validate_redirect_uri("https://example.github.io/amo/").is_ok());
        for (bad, why) in [
            ("http://127.0.0.1/callback", "explicit port"),
            ("http://example.com:80/cb", "loopback"),
            ("ftp://127.0.0.1:1/x", "scheme"),
            ("https://x.y/cb?x=1", "query"),
            ("https://x.y/cb#f", "fragment"),
            ("127.0.0.1:53682", "absolute"),
        ] {
            let e = validate_redirect_uri(bad).expect_err(bad);
            assert!(e.to_string().contains(why), "{bad}: {e}");
        }
        assert!(validate_redirect_uri("amoconnect://oauth/callback").is_ok());
        assert!(validate_redirect_uri("amoconnect://other").is_err());
        // Stored exactly as typed (amoCRM compares the string).
        assert_eq!(validate_redirect_uri("https://x.y/cb/").expect("ok"), "https://x.y/cb/");
    }

    #[test]
    fn the_redirect_uri_decides_the_mode() {
        let with = |uri: &str| Settings { redirect_uri: Some(uri.into()), ..Settings::default() };
        assert_eq!(
            with("http://127.0.0.1:53682/callback").redirect_mode().expect("m"),
            RedirectMode::Loopback { port: 53682, path: "/callback".into() }
        );
        assert_eq!(with(DEEP_LINK_REDIRECT).redirect_mode().expect("m"), RedirectMode::DeepLink);
        assert_eq!(
            with("https://me.github.io/amo/bounce.html").redirect_mode().expect("m"),
            RedirectMode::Bounce { via: BounceVia::Loopback, port: DEFAULT_LOOPBACK_PORT }
        );
        assert_eq!(Settings::default().redirect_mode().expect_err("none").code(), "not_configured");
    }

    #[test]
    fn domain_accepts_hosts_and_urls_of_both_platforms_only() {
        assert_eq!(validate_domain("https://Acme.amocrm.ru/leads").expect("ok"), "acme.amocrm.ru");
        assert_eq!(validate_domain("acme.kommo.com").expect("ok"), "acme.kommo.com");
        assert_eq!(validate_domain("acme.amocrm.com").expect("ok"), "acme.kommo.com");
        for bad in ["evil.com", "amocrm.ru", "www.amocrm.ru", "a b.amocrm.ru", "-x.amocrm.ru", ""] {
            assert!(validate_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secret_is_trimmed_and_must_be_one_line() {
        assert_eq!(validate_client_secret("abc123\n").expect("ok"), "abc123");
        assert!(validate_client_secret("\n").is_err());
        assert!(validate_client_secret("a b").is_err());
    }

    #[test]
    fn settings_round_trip_through_sqlite() {
        let db = Db::open_in_memory().expect("db");
        assert_eq!(load(&db).expect("load"), Settings::default());
        store(&db, "platform", Some("kommo")).expect("s");
        store(&db, "client_id", Some("x")).expect("s");
        store(&db, "language", Some("ru")).expect("s");
        let s = load(&db).expect("load");
        assert_eq!((s.platform, s.client_id.as_deref(), s.language), (Platform::Kommo, Some("x"), Lang::Ru));
        store(&db, "client_id", None).expect("s");
        assert_eq!(load(&db).expect("load").client_id, None);
    }
}
