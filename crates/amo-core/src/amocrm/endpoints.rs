//! Every amoCRM URL the app calls is built here. `AMO_CONNECT_SERVER` (e.g.
//! `http://127.0.0.1:8765`) replaces the scheme and host of all of them — the `www` authorize host
//! and account hosts alike — so the demo and the tests talk to the local simulator. The domain the
//! app stores and shows is still the one amoCRM sent in `referer`.

use url::Url;

use crate::domain::platform::Platform;
use crate::error::{Error, Result, Setting, SettingProblem};

pub const SERVER_ENV: &str = "AMO_CONNECT_SERVER";

#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    server_override: Option<Url>,
}

impl Endpoints {
    pub fn from_env() -> Result<Endpoints> {
        match std::env::var(SERVER_ENV) {
            Ok(v) if !v.trim().is_empty() => Endpoints::with_override(v.trim()),
            _ => Ok(Endpoints::default()),
        }
    }

    pub fn with_override(base: &str) -> Result<Endpoints> {
        let bad = || Error::invalid(Setting::Server, SettingProblem::NotABaseUrl);
        let url = Url::parse(base).map_err(|_| bad())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad());
        }
        Ok(Endpoints { server_override: Some(url) })
    }

    pub fn is_overridden(&self) -> bool {
        self.server_override.is_some()
    }

    fn origin_for(&self, real_origin: &str) -> String {
        match &self.server_override {
            Some(u) => u.as_str().trim_end_matches('/').to_string(),
            None => real_origin.to_string(),
        }
    }

    /// `https://www.amocrm.ru/oauth?client_id&state&mode` (docs/amocrm-api.md §2.1). `mode=post_message`
    /// makes amoCRM redirect inside the tab we opened, which is the system browser's own tab.
    pub fn authorize_url(&self, platform: Platform, client_id: &str, state: &str) -> Result<Url> {
        let mut url =
            Url::parse(&format!("{}/oauth", self.origin_for(platform.www_origin()))).map_err(Error::internal)?;
        url.query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("state", state)
            .append_pair("mode", "post_message");
        Ok(url)
    }

    /// The `Host` header to send with a request for `host` when the server is overridden: the
    /// local simulator serves every account host at one address and tells them apart by `Host`,
    /// as amoCRM's own front ends do. `None` when talking to the real host.
    pub fn host_header(&self, host: &str) -> Option<String> {
        self.server_override.as_ref().map(|_| host.to_string())
    }

    /// `https://{account host}{path}` for OAuth and API calls on the account host.
    pub fn account_url(&self, domain: &str, path: &str) -> Result<Url> {
        Url::parse(&format!("{}{path}", self.origin_for(&format!("https://{domain}")))).map_err(Error::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_hosts_by_default_and_override_replaces_every_host() {
        let real = Endpoints::default();
        let u = real.authorize_url(Platform::Kommo, "id", "st").expect("u");
        assert_eq!(u.as_str(), "https://www.kommo.com/oauth?client_id=id&state=st&mode=post_message");
        assert_eq!(
            real.account_url("acme.amocrm.ru", "/oauth2/access_token").expect("u").as_str(),
            "https://acme.amocrm.ru/oauth2/access_token"
        );
        let sim = Endpoints::with_override("http://127.0.0.1:8765/").expect("o");
        assert!(sim
            .authorize_url(Platform::Amocrm, "id", "st")
            .expect("u")
            .as_str()
            .starts_with("http://127.0.0.1:8765/oauth?"));
        assert_eq!(
            sim.account_url("acme.amocrm.ru", "/api/v4/account").expect("u").as_str(),
            "http://127.0.0.1:8765/api/v4/account"
        );
        assert!(Endpoints::with_override("ftp://x").is_err());
        assert!(Endpoints::with_override("nonsense").is_err());
    }
}
