//! Everything that goes out to amoCRM over the network, and nothing else: the v4 API client, the
//! OAuth token endpoint, where each URL points (`endpoints`, incl. the simulator override), one
//! rate limiter for every call, and `wire`, which turns drafts into amoCRM's JSON and amoCRM's
//! answers and error paths back into the app's types. Imports `domain` and `error` only: it never
//! reads the database or the keychain — callers hand it the domain and token to use.

pub mod budget;
pub mod client;
pub mod endpoints;
pub mod http;
pub mod limiter;
pub mod token_client;
pub mod wire;

use std::sync::Arc;

use crate::error::Result;
use client::ApiClient;
use endpoints::Endpoints;
use limiter::RateLimiter;
use token_client::TokenClient;

/// The way out to amoCRM, shared by every service of the process: one HTTP client (one
/// connection pool), one set of endpoints, one rate limiter.
#[derive(Clone)]
pub struct AmoCrm {
    http: http::LazyClient,
    endpoints: Endpoints,
    limiter: Arc<RateLimiter>,
}

impl AmoCrm {
    pub fn new(endpoints: Endpoints) -> Result<AmoCrm> {
        Ok(AmoCrm { http: http::LazyClient::default(), endpoints, limiter: Arc::new(RateLimiter::default()) })
    }

    /// [`AmoCrm::new`] whose limiter also takes every request from the budget file at
    /// `budget_file`, shared by all processes on one data directory (`budget`).
    pub fn with_shared_budget(endpoints: Endpoints, budget_file: &std::path::Path) -> AmoCrm {
        let limiter = RateLimiter::with_budget(limiter::DEFAULT_PER_SECOND, budget::SharedBudget::at(budget_file));
        AmoCrm { http: http::LazyClient::default(), endpoints, limiter: Arc::new(limiter) }
    }

    /// The v4 REST API.
    pub fn api(&self) -> ApiClient {
        ApiClient::new(self.http.clone(), self.endpoints.clone(), self.limiter.clone())
    }

    /// The OAuth token endpoint (its requests wait for the same limiter).
    pub fn tokens(&self) -> TokenClient {
        TokenClient::new(self.http.clone(), self.endpoints.clone(), self.limiter.clone())
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Start-up (the window before its first paint, `status`, `config show`) does not pay for
    /// loading the certificate store; the first request builds the one client all share.
    #[test]
    fn the_http_client_is_built_on_first_use_and_shared() {
        let amo = AmoCrm::new(Endpoints::default()).expect("amo");
        let (_api, _tokens) = (amo.api(), amo.tokens());
        assert!(!amo.http.is_built(), "built before any request");
        // What `api()` and `tokens()` hold: clones of the one lazy client.
        let (for_api, for_tokens) = (amo.http.clone(), amo.http.clone());
        let first: *const reqwest::Client = for_api.get().expect("client");
        assert!(amo.http.is_built());
        let again: *const reqwest::Client = for_tokens.get().expect("client");
        assert_eq!(first, again, "the API and token clients share one client (one pool)");
    }
}
