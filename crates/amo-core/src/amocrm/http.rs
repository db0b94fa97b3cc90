//! The HTTP client every amoCRM call goes through, and how transport failures are reported.
//! Timeouts follow the official library (connect 5 s, request 20 s; docs/amocrm-api.md §4.6).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::limiter::{RateLimiter, BACK_OFF_ON_429};
use crate::error::{AmoError, Error, NetworkProblem, Result};

/// The process's one HTTP client, built on first use. Building it loads the system's
/// certificate store (OpenSSL parses every CA certificate: tens of milliseconds), which neither
/// a window that has not painted yet nor a CLI command that never calls amoCRM (`status`,
/// `config show`) should wait for; `scripts/bench.sh` measures both. Clones share the client.
#[derive(Clone, Default)]
pub struct LazyClient(Arc<OnceLock<reqwest::Client>>);

impl LazyClient {
    /// The client, built now if this is the first call. A failed build is not kept: the next
    /// call tries again.
    pub fn get(&self) -> Result<&reqwest::Client> {
        if let Some(c) = self.0.get() {
            return Ok(c);
        }
        let built = client()?;
        Ok(self.0.get_or_init(|| built))
    }

    /// Whether the client has been built (for the test that start-up does not build it).
    #[cfg(test)]
    pub fn is_built(&self) -> bool {
        self.0.get().is_some()
    }
}

fn client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(20))
        .user_agent(concat!("amo-connect/", env!("CARGO_PKG_VERSION")))
        // amoCRM never redirects API or token calls; following one could carry the Secret key elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::internal(format!("HTTP client: {e}")))
}

/// A transport error, classified; the URL (which may hold a phone number) is never kept.
/// The one way a request to amoCRM goes out: when `limiter` lets it, with its answer read, the
/// limiter told when the answer came back (the shared budget counts the slot from then) and, on
/// a 429, asked to pause everyone.
pub async fn send_limited(limiter: &RateLimiter, req: reqwest::RequestBuilder) -> Result<Answer> {
    let grant = limiter.acquire().await;
    let answer = match req.send().await {
        Ok(r) => Answer::read(r).await,
        Err(e) => Err(network_error(e)),
    };
    limiter.finished(grant);
    let a = answer?;
    if a.status == 429 {
        limiter.back_off(BACK_OFF_ON_429).await;
    }
    Ok(a)
}

pub fn network_error(e: reqwest::Error) -> Error {
    let problem = if e.is_timeout() {
        NetworkProblem::TimedOut
    } else if e.is_connect() {
        let text = format!("{e:?}").to_ascii_lowercase();
        if text.contains("dns") || text.contains("lookup") || text.contains("resolve") {
            NetworkProblem::Unresolved
        } else if text.contains("refused") {
            NetworkProblem::Refused
        } else {
            NetworkProblem::CannotConnect
        }
    } else {
        NetworkProblem::Interrupted
    };
    AmoError::Network { problem }.into()
}

/// What every amoCRM call needs from a response: status, content type and body text.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
    /// amoCRM's `X-Request-Id`, worth logging for support (docs/amocrm-api.md §7.5).
    pub request_id: Option<String>,
}

impl Answer {
    pub async fn read(resp: reqwest::Response) -> Result<Answer> {
        let status = resp.status().as_u16();
        let header = |name| {
            resp.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok()).map(str::to_string)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE.as_str()).unwrap_or_default();
        let request_id = header("x-request-id");
        let body = read_capped(resp, MAX_BODY).await?;
        Ok(Answer { status, content_type, body, request_id })
    }
}

/// The largest answer read: amoCRM's pages are at most 250 items (well under 1 MiB); a bigger
/// body is not amoCRM's and is not kept in memory.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// The body as text, refusing more than `max` bytes (whatever `Content-Length` claims).
async fn read_capped(mut resp: reqwest::Response, max: usize) -> Result<String> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(Error::unexpected(format!("the answer is larger than {max} bytes")));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(network_error)? {
        if body.len() + chunk.len() > max {
            return Err(Error::unexpected(format!("the answer is larger than {max} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// A problem+json body (amoCRM's error format), as far as it parses.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Problem {
    pub hint: Option<String>,
    pub title: Option<String>,
    pub detail: Option<String>,
}

impl Problem {
    pub fn parse(body: &str) -> Problem {
        serde_json::from_str(body).unwrap_or_default()
    }

    /// The most specific text, shortened for messages.
    pub fn summary(&self) -> String {
        let s = self.hint.as_deref().or(self.detail.as_deref()).or(self.title.as_deref()).unwrap_or("no details");
        crate::error::shown(s, 160)
    }
}

/// True when a 403 carries an HTML page: amoCRM's nginx answer for an account banned for rate
/// abuse (docs/amocrm-api.md §9.2), as opposed to a JSON "forbidden".
pub fn is_html_ban(status: u16, content_type: &str, body: &str) -> bool {
    status == 403 && (content_type.contains("text/html") || body.trim_start().starts_with('<'))
}
