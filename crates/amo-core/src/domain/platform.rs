//! amoCRM (amocrm.ru) or Kommo (kommo.com, formerly amocrm.com): where the authorize page lives
//! and how phone numbers without a country code are read (docs/amocrm-api.md §2.1, §6.1, §11.8).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{shown, Error, Result, Setting, SettingProblem};

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
            other => {
                Err(Error::invalid(Setting::Platform, SettingProblem::UnknownPlatform { value: shown(other, 40) }))
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Amocrm => "amocrm",
            Platform::Kommo => "kommo",
        }
    }

    /// Where the authorize page lives.
    pub fn www_origin(self) -> &'static str {
        match self {
            Platform::Amocrm => "https://www.amocrm.ru",
            Platform::Kommo => "https://www.kommo.com",
        }
    }

    /// How a phone number typed without its country code is read (`phone::normalize_phone`):
    /// as Russian (`8 912…`, `912…` → `+7 912…`) only for an amoCRM.ru account
    /// (docs/amocrm-api.md §11.8). The connected account's address decides when it names a
    /// platform (a `.kommo.com` account is Kommo whatever was stored), else its stored platform
    /// (the simulator's address names none). With no account connected, the account address
    /// configured in Settings decides; with none either, nothing is assumed: Kommo's rule, a
    /// number needs its country code. Never the platform setting's default: a draft typed before
    /// connecting would otherwise be stored with `+7` and sent so to a Kommo account.
    pub fn for_phones(account: Option<(Platform, &str)>, configured_domain: Option<&str>) -> Platform {
        match account {
            Some((stored, domain)) => Platform::of_host(&host_of(domain)).unwrap_or(stored),
            None => configured_domain.and_then(|d| Platform::of_host(&host_of(d))).unwrap_or(Platform::Kommo),
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

/// `acme.kommo.com` of `https://ACME.kommo.com/leads`.
fn host_of(domain: &str) -> String {
    let d = domain.trim().to_ascii_lowercase();
    let d = d.strip_prefix("https://").or_else(|| d.strip_prefix("http://")).unwrap_or(&d);
    d.split(['/', ':']).next().unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_hosts_and_callback_numbers() {
        assert_eq!(Platform::parse(" Kommo ").expect("ok"), Platform::Kommo);
        assert_eq!(Platform::parse("amocrm.com").expect("ok"), Platform::Kommo);
        assert_eq!(Platform::parse("1").expect("ok"), Platform::Amocrm);
        assert_eq!(Platform::parse("bitrix").expect_err("bad").code().as_str(), "invalid_setting");
        assert_eq!(Platform::of_host("a.amocrm.ru"), Some(Platform::Amocrm));
        assert_eq!(Platform::of_host("a.amocrm.ru.evil.com"), None);
    }

    #[test]
    fn only_an_amocrm_ru_account_reads_numbers_as_russian() {
        use Platform::{Amocrm, Kommo};
        assert_eq!(Platform::for_phones(Some((Amocrm, "acme.amocrm.ru")), None), Amocrm);
        assert_eq!(Platform::for_phones(Some((Amocrm, "acme.kommo.com")), Some("x.amocrm.ru")), Kommo);
        assert_eq!(Platform::for_phones(Some((Kommo, "acme.amocrm.com")), None), Kommo);
        // The simulator's address names no platform: the stored one holds.
        assert_eq!(Platform::for_phones(Some((Amocrm, "127.0.0.1:8080")), None), Amocrm);
        assert_eq!(Platform::for_phones(None, Some("https://ACME.amocrm.ru/")), Amocrm);
        assert_eq!(Platform::for_phones(None, Some("acme.kommo.com")), Kommo);
        assert_eq!(Platform::for_phones(None, None), Kommo, "nothing known: nothing assumed");
        assert_eq!(Platform::for_phones(None, Some("crm.example.com")), Kommo);
    }
}
