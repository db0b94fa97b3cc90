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
        // Every amoCRM call — the Secret key, codes, refresh tokens — goes to this host. In a
        // release build only this machine may take them (the simulator, the demo, the tests):
        // whoever can set the user's environment must not be able to collect them.
        if !cfg!(debug_assertions) && !is_loopback(&url) {
            return Err(Error::invalid(Setting::Server, SettingProblem::NotLoopback));
        }
        Ok(Endpoints { server_override: Some(url) })
    }

    pub fn is_overridden(&self) -> bool {
        self.server_override.is_some()
    }

    /// The server every amoCRM URL goes to instead, if `AMO_CONNECT_SERVER` set one.
    pub fn server_override(&self) -> Option<&str> {
        self.server_override.as_ref().map(|u| u.as_str().trim_end_matches('/'))
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

/// 127.0.0.0/8, ::1 or `localhost`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
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
        assert_eq!(sim.server_override(), Some("http://127.0.0.1:8765"));
    }

    #[test]
    fn a_release_build_sends_nothing_to_a_stranger_s_host() {
        for ok in ["http://127.0.0.1:8765", "http://127.9.9.9:1", "http://[::1]:8765", "http://localhost:8765"] {
            assert!(Endpoints::with_override(ok).is_ok(), "{ok}");
        }
        for far in ["http://10.0.0.5:8765", "https://evil.example", "http://127.0.0.1.evil.example:80"] {
            let r = Endpoints::with_override(far);
            if cfg!(debug_assertions) {
                assert!(r.is_ok(), "debug builds allow any host: {far}");
            } else {
                assert_eq!(r.expect_err(far), Error::invalid(Setting::Server, SettingProblem::NotLoopback), "{far}");
            }
        }
    }
}
