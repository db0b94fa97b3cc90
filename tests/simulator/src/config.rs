//! The simulated account and integration (not an amoCRM resource): the demo integration's
//! credentials and Redirect URI, the account and its admin, the platform (amoCRM or Kommo) and
//! its hosts, token and code lifetimes, the authorize page's decision and the rate limit — what
//! a test sets before [`crate::Simulator::start`].

use serde::{Deserialize, Serialize};

/// Demo values shared by the README's demo command and the tests. Not secrets of anything real.
pub const DEMO_CLIENT_ID: &str = "5c0e6b5e-6a0e-4c55-9a3e-2b8d6a1e7f10";
pub const DEMO_CLIENT_SECRET: &str = "sim-demo-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
pub const DEMO_REDIRECT_URI: &str = "http://127.0.0.1:53682/callback";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Show the Allow / Deny page and wait for a click.
    Manual,
    /// Redirect with a code at once (tests acting as a user who clicks Allow).
    Approve,
    /// Redirect with `error=access_denied` at once.
    Deny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimPlatform {
    Amocrm,
    Kommo,
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub subdomain: String,
    pub platform: SimPlatform,
    pub account_id: i64,
    pub account_name: String,
    pub user_id: i64,
    pub access_token_ttl: i64,
    pub code_ttl: i64,
    pub decision: Decision,
    pub rate_limit_per_sec: usize,
    /// The first this many `GET /api/v4/account?with=datetime_settings…` answer 503 (the rest of
    /// the API answers): the account's time zone not read while the form's other data are.
    pub datetime_settings_failures: u32,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            client_id: DEMO_CLIENT_ID.into(),
            client_secret: DEMO_CLIENT_SECRET.into(),
            redirect_uri: DEMO_REDIRECT_URI.into(),
            subdomain: "acme".into(),
            platform: SimPlatform::Amocrm,
            account_id: 31_415_926,
            account_name: "Acme Trading".into(),
            user_id: 8_675_309,
            access_token_ttl: 86_400,
            code_ttl: 20 * 60,
            decision: Decision::Manual,
            rate_limit_per_sec: 7,
            datetime_settings_failures: 0,
        }
    }
}

impl SimConfig {
    pub fn account_host(&self) -> String {
        match self.platform {
            SimPlatform::Amocrm => format!("{}.amocrm.ru", self.subdomain),
            SimPlatform::Kommo => format!("{}.kommo.com", self.subdomain),
        }
    }

    pub(crate) fn platform_code(&self) -> &'static str {
        match self.platform {
            SimPlatform::Amocrm => "1",
            SimPlatform::Kommo => "2",
        }
    }

    pub(crate) fn top_level(&self) -> &'static str {
        match self.platform {
            SimPlatform::Amocrm => "amocrm.ru",
            SimPlatform::Kommo => "kommo.com",
        }
    }
}
