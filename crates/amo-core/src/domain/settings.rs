//! User settings: platform, Integration ID, Redirect URI, account domain, language, keep-alive
//! and the bounce page's forwarding. Stored by `store::settings`; the Secret key is not a
//! setting, it lives in the keychain. Every validator says what is wrong, field by field.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

use crate::domain::lang::Lang;
use crate::domain::platform::Platform;
use crate::domain::secret::Secret;
use crate::error::{shown, Error, Result, Setting, SettingProblem};

/// The deep link amoCRM can redirect to, if it accepts a custom scheme (docs/amocrm-api.md §3.4).
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

    /// What a person types: `loopback`, or `deep-link` / `deep_link` / `app-link`.
    pub fn from_user(s: &str) -> Result<BounceVia> {
        match s.trim().to_ascii_lowercase().as_str() {
            "loopback" => Ok(BounceVia::Loopback),
            "deep-link" | "deep_link" | "app-link" => Ok(BounceVia::DeepLink),
            other => {
                Err(Error::invalid(Setting::BounceVia, SettingProblem::UnknownBounceVia { value: shown(other, 40) }))
            }
        }
    }

    pub fn parse(s: &str) -> BounceVia {
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
    /// `http://127.0.0.1:PORT/path` (or `localhost`): the app listens there.
    Loopback { port: u16, path: String, localhost: bool },
    /// `amoconnect://oauth/callback`: the OS hands the URL to the app.
    DeepLink,
    /// `https://…`: the user's static bounce page forwards to loopback or the deep link.
    Bounce { via: BounceVia, port: u16 },
}

/// Refresh tokens die after three months unused (docs/amocrm-api.md §4.3): refresh long before.
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
    /// Sent entries keep what was typed (names, phones, notes) this many days, then only their
    /// amoCRM ids, link and times stay on this computer.
    pub retention_days: u32,
    /// With an https Redirect URI (bounce page): where the page forwards.
    pub bounce_via: BounceVia,
    /// With an https Redirect URI and loopback forwarding: the port the app listens on.
    pub bounce_port: u16,
    /// System notifications (a queued lead reached amoCRM, an entry needs attention, a ban, a
    /// reconnect needed). On by default.
    pub notifications: bool,
    /// Notifications name the customer and the lead (on, the default); off, they only count —
    /// for a screen others can see (the lock screen shows notifications).
    pub notification_details: bool,
    /// A notification when tasks of the connected user fall due (issue 21); on by default. Only
    /// while `notifications` is on.
    pub task_notifications: bool,
    /// Closing the window always keeps the app running in the tray; off: only while entries
    /// wait to be sent.
    pub close_to_tray: bool,
    /// The global key combination that opens the lead form ("" = off), written the one way
    /// (`desktop::parse_shortcut`).
    pub quick_entry_shortcut: String,
    /// The user answered the "start with the computer" offer (yes or no): it is not shown again.
    pub autostart_offer_answered: bool,
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
            retention_days: DEFAULT_RETENTION_DAYS,
            bounce_via: BounceVia::default(),
            bounce_port: DEFAULT_LOOPBACK_PORT,
            notifications: true,
            notification_details: true,
            task_notifications: true,
            close_to_tray: false,
            quick_entry_shortcut: crate::domain::desktop::DEFAULT_SHORTCUT.to_string(),
            autostart_offer_answered: false,
        }
    }
}

impl Settings {
    /// How the redirect will arrive, from the Redirect URI (validated when it was saved).
    pub fn redirect_mode(&self) -> Result<RedirectMode> {
        let uri = self.redirect_uri.as_deref().ok_or(Error::not_configured(Setting::RedirectUri))?;
        if uri == DEEP_LINK_REDIRECT {
            return Ok(RedirectMode::DeepLink);
        }
        let url =
            Url::parse(uri).map_err(|_| Error::invalid(Setting::RedirectUri, SettingProblem::NotAnAbsoluteUrl))?;
        match url.scheme() {
            "https" => Ok(RedirectMode::Bounce { via: self.bounce_via, port: self.bounce_port }),
            _ => {
                let port = url.port().ok_or_else(|| Error::invalid(Setting::RedirectUri, SettingProblem::NeedsPort))?;
                let localhost = url.host_str() == Some("localhost");
                Ok(RedirectMode::Loopback { port, path: url.path().to_string(), localhost })
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
    /// 1 to 3650 days.
    #[ts(optional)]
    pub retention_days: Option<u32>,
    #[ts(optional)]
    pub bounce_via: Option<BounceVia>,
    /// 1024 to 65535.
    #[ts(optional)]
    pub bounce_port: Option<u16>,
    #[ts(optional)]
    pub notifications: Option<bool>,
    #[ts(optional)]
    pub notification_details: Option<bool>,
    #[ts(optional)]
    pub task_notifications: Option<bool>,
    #[ts(optional)]
    pub close_to_tray: Option<bool>,
    /// Like `Ctrl+Alt+N`; "" or "off" turns it off.
    #[ts(optional)]
    pub quick_entry_shortcut: Option<String>,
    #[ts(optional)]
    pub autostart_offer_answered: Option<bool>,
    /// Goes to the keychain, never to SQLite. An empty string is refused.
    #[ts(optional)]
    #[ts(type = "string")]
    pub client_secret: Option<Secret>,
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
        Err(Error::invalid(Setting::ClientId, SettingProblem::NotAUuid))
    }
}

/// Longest Secret key accepted (amoCRM's are 64 characters).
pub const MAX_SECRET: usize = 512;

pub fn validate_client_secret(raw: &str) -> Result<String> {
    let v = raw.trim_end_matches(['\r', '\n']).trim();
    if v.is_empty() {
        return Err(Error::invalid(Setting::ClientSecret, SettingProblem::Empty));
    }
    if v.len() > MAX_SECRET || v.chars().any(char::is_whitespace) {
        return Err(Error::invalid(Setting::ClientSecret, SettingProblem::NotOneLine { max: MAX_SECRET }));
    }
    Ok(v.to_string())
}

/// A Redirect URI must be stored exactly as registered in amoCRM (it is compared character by
/// character), so we validate but do not normalise it. Accepted: an `http://127.0.0.1:PORT/path`
/// (or `localhost`) loopback URI, or any `https://` URI (the bounce page).
pub fn validate_redirect_uri(raw: &str) -> Result<String> {
    let v = raw.trim();
    let bad = |problem| Error::invalid(Setting::RedirectUri, problem);
    if v == DEEP_LINK_REDIRECT {
        return Ok(v.to_string());
    }
    let url = Url::parse(v).map_err(|_| bad(SettingProblem::NotAnAbsoluteUrl))?;
    if url.fragment().is_some() {
        return Err(bad(SettingProblem::HasFragment));
    }
    if url.query().is_some() {
        return Err(bad(SettingProblem::HasQuery));
    }
    match url.scheme() {
        "https" => Ok(v.to_string()),
        "http" => {
            let host = url.host_str().unwrap_or_default();
            if host != "127.0.0.1" && host != "localhost" {
                return Err(bad(SettingProblem::PlainHttpNotLoopback));
            }
            if url.port().is_none() {
                return Err(bad(SettingProblem::NeedsPort));
            }
            Ok(v.to_string())
        }
        other => Err(bad(SettingProblem::UnsupportedScheme { scheme: shown(other, 20) })),
    }
}

/// Longest authorization code accepted (amoCRM's are about 800 characters).
pub const MAX_CODE: usize = 4096;

/// A code pasted from the integration's Keys tab (amoCRM's "easy auth"): one line, no spaces.
pub fn validate_pasted_code(raw: &str) -> Result<String> {
    let code = raw.trim();
    if code.is_empty() {
        return Err(Error::invalid(Setting::Code, SettingProblem::Empty));
    }
    if code.len() > MAX_CODE || code.chars().any(char::is_whitespace) {
        return Err(Error::invalid(Setting::Code, SettingProblem::NotOneLine { max: MAX_CODE }));
    }
    Ok(code.to_string())
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
        Err(Error::invalid(Setting::BouncePort, SettingProblem::PortOutOfRange { port: port.into() }))
    }
}

/// Days between keep-alive refreshes: at least one, and well inside the 90-day life of a
/// refresh token.
/// How long sent entries keep customer data by default: a month of History to look back on.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// Days sent entries keep what was typed: at least one, at most ten years.
pub fn validate_retention_days(days: u32) -> Result<u32> {
    if (1..=3650).contains(&days) {
        Ok(days)
    } else {
        Err(Error::invalid(
            Setting::RetentionDays,
            SettingProblem::OutOfRange { value: days.into(), min: 1, max: 3650 },
        ))
    }
}

pub fn validate_keepalive_days(days: u32) -> Result<u32> {
    if (1..=60).contains(&days) {
        Ok(days)
    } else {
        Err(Error::invalid(Setting::KeepaliveDays, SettingProblem::OutOfRange { value: days.into(), min: 1, max: 60 }))
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
    // A label may look valid and still not be a host: `xn--` labels must be real Punycode, or no
    // URL can be built for the account (found by fuzz/fuzz_targets/settings_input.rs).
    let is_host = || matches!(url::Host::parse(&v), Ok(url::Host::Domain(h)) if h == v);
    if v.split('.').all(valid_label) && Platform::of_host(&v).is_some() && !v.starts_with("www.") && is_host() {
        // amocrm.com accounts now live at kommo.com, and their tokens work there
        // (docs/amocrm-api.md §6.1): keep one spelling.
        Ok(match v.strip_suffix(".amocrm.com") {
            Some(sub) => format!("{sub}.kommo.com"),
            None => v,
        })
    } else {
        Err(Error::invalid(Setting::Domain, SettingProblem::NotAnAccountAddress { value: shown(raw.trim(), 80) }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzz/fuzz_targets/settings_input.rs: an `xn--` label that is not Punycode passed
    /// the character checks, and building the account's URL then failed.
    #[test]
    fn a_domain_is_refused_unless_it_is_a_host() {
        let bad = "xn--4-qtbmocr4-qtbmocrm.amocrm.ru";
        assert_eq!(validate_domain(bad).expect_err(bad).code().as_str(), "invalid_setting");
        // Real Punycode stays accepted, as amoCRM allows it in a subdomain.
        assert_eq!(validate_domain("xn--80ak6aa92e.amocrm.ru").as_deref(), Ok("xn--80ak6aa92e.amocrm.ru"));
    }

    #[test]
    fn client_id_must_be_a_uuid() {
        assert_eq!(
            validate_client_id(" 1F2E3D4C-5B6A-7980-A1B2-C3D4E5F60718 ").expect("ok"),
            "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718"
        );
        for bad in ["", "abc", "1f2e3d4c5b6a7980a1b2c3d4e5f60718", "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f6071z"] {
            assert_eq!(validate_client_id(bad).expect_err(bad).code().as_str(), "invalid_setting");
        }
    }

    #[test]
    fn redirect_uri_rules() {
        assert!(validate_redirect_uri("http://127.0.0.1:53682/callback").is_ok());
        assert!(validate_redirect_uri("https://example.github.io/amo/").is_ok());
        for (bad, why) in [
            ("http://127.0.0.1/callback", SettingProblem::NeedsPort),
            ("http://example.com:80/cb", SettingProblem::PlainHttpNotLoopback),
            ("ftp://127.0.0.1:1/x", SettingProblem::UnsupportedScheme { scheme: "ftp".into() }),
            ("https://x.y/cb?x=1", SettingProblem::HasQuery),
            ("https://x.y/cb#f", SettingProblem::HasFragment),
            ("127.0.0.1:53682", SettingProblem::NotAnAbsoluteUrl),
        ] {
            assert_eq!(validate_redirect_uri(bad).expect_err(bad), Error::invalid(Setting::RedirectUri, why), "{bad}");
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
            RedirectMode::Loopback { port: 53682, path: "/callback".into(), localhost: false }
        );
        assert_eq!(with(DEEP_LINK_REDIRECT).redirect_mode().expect("m"), RedirectMode::DeepLink);
        assert_eq!(
            with("https://me.github.io/amo/bounce.html").redirect_mode().expect("m"),
            RedirectMode::Bounce { via: BounceVia::Loopback, port: DEFAULT_LOOPBACK_PORT }
        );
        assert_eq!(Settings::default().redirect_mode().expect_err("none").code().as_str(), "not_configured");
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
}
