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
}
