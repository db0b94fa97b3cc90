//! The two languages the app speaks from day one.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Lang {
    Ru,
    #[default]
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The CLI's language: `AMO_CONNECT_LANG`, else the POSIX locale (`LC_ALL`, `LC_MESSAGES`,
    /// `LANG`), else English.
    pub fn from_env() -> Lang {
        if let Some(l) = std::env::var("AMO_CONNECT_LANG").ok().and_then(|v| Lang::parse(&v)) {
            return l;
        }
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(v) = std::env::var(var) {
                if v.is_empty() {
                    continue;
                }
                return if v.to_ascii_lowercase().starts_with("ru") { Lang::Ru } else { Lang::En };
            }
        }
        Lang::En
    }
}
