//! The gate every `/api/v4/*` request passes first, as amoCRM's limits work (docs/amocrm-api.md
//! §9.1, §9.2): the one-second rate window, 429 above the limit, the 403 HTML ban after repeated
//! 429s, and the faults a test injects (5xx, refusals, dropped answers, delays) — see
//! [`api_layer`]. The bearer check comes after it, in each handler.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::problem::problem_response;
use crate::state::Shared;

/// Faults a test can switch on (also `POST /_sim/faults` with this JSON). They apply to
/// `/api/v4/*` only; the token endpoint stays healthy unless the whole simulator is down.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Faults {
    /// The next this many API requests answer 5xx (502, 503, 500 in turn) without doing anything.
    pub fail_next: u32,
    /// The next this many API *writes* are carried out, then the connection is dropped without
    /// an answer — the client cannot know the lead exists.
    pub drop_after_next: u32,
    /// Every API answer is held back this long (after the work is done).
    pub delay_ms: u64,
    /// Each API request fails with a 5xx with this probability (percent).
    pub fail_percent: u8,
    /// Each API write is carried out and its answer dropped with this probability (percent).
    pub drop_after_percent: u8,
    /// Each API request is refused with 429 with this probability (percent) — another
    /// integration eating the account's budget. These do not count toward the ban.
    pub rate_limit_percent: u8,
    /// The next this many API *writes* are refused with `refuse_status` without doing anything:
    /// 402 (account not paid, problem+json), 413 (nginx's HTML page for a body too large), or
    /// another 4xx as problem+json without validation errors.
    pub refuse_next: u32,
    pub refuse_status: u16,
    /// A Salesbot renames every lead right after it is created (`"{name} — бот"`), before the
    /// client hears back.
    pub bot_renames: bool,
    /// The one fault of the token endpoint: a refresh is carried out (the old refresh token is
    /// spent) and answered with a new access token but no `refresh_token`.
    pub refresh_without_refresh_token: bool,
}

/// The gate's state: the rate window, the faults a test switched on, and the ban.
pub(crate) struct Gate {
    /// When the API requests of the last second came (the rate window).
    recent_api: VecDeque<Instant>,
    pub(crate) faults: Faults,
    fault_turn: u64,
    /// Times of recent rate-limit (not injected) 429s; too many → the account is banned.
    recent_429: Vec<Instant>,
    pub(crate) banned: bool,
    /// More than this many real 429s within a minute ban the account (docs/amocrm-api.md §9.2).
    ban_after_429s: usize,
}

impl Gate {
    pub(crate) fn new() -> Gate {
        Gate {
            recent_api: VecDeque::new(),
            faults: Faults::default(),
            fault_turn: 0,
            recent_429: Vec::new(),
            banned: false,
            ban_after_429s: 20,
        }
    }
}

const BAN_PAGE: &str = "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

fn ban_page() -> Response {
    let mut r = (StatusCode::FORBIDDEN, BAN_PAGE).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    r
}

fn too_many() -> Response {
    problem_response(
        StatusCode::TOO_MANY_REQUESTS,
        json!({"title": "Too Many Requests", "type": "https://httpstatus.es/429", "status": 429, "detail": "Too many requests per second"}),
    )
}

/// An answer whose body fails at once: hyper aborts the connection, so the client sees a
/// transport error although the work was done.
fn dropped() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "dropped by the simulator",
        ))
    });
    Body::from_stream(stream).into_response()
}

/// A refusal amoCRM (or its nginx) gives for a request it will never accept as it is.
fn refusal(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    match status {
        413 => (
            code,
            [(header::CONTENT_TYPE, "text/html")],
            "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        )
            .into_response(),
        402 => problem_response(code, json!({"title": "Payment Required", "status": 402, "detail": "Account is not paid"})),
        _ => problem_response(code, json!({"title": "Bad Request", "status": status, "detail": "Request is malformed"})),
    }
}

/// Runs before and after every `/api/v4/*` handler: counts the request in the one-second window
/// (the figure tests read as `max_requests_per_second`), answers 429 above the limit and 403 HTML
/// once banned, and applies the injected faults.
pub(crate) async fn api_layer(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let is_write = req.method() != axum::http::Method::GET;
    let (delay, drop_answer) = {
        let mut guard = s.lock();
        let inner = &mut *guard;
        inner.stats.api_requests += 1;
        let t = Instant::now();
        while inner.gate.recent_api.front().is_some_and(|f| t.duration_since(*f) >= Duration::from_secs(1)) {
            inner.gate.recent_api.pop_front();
        }
        inner.gate.recent_api.push_back(t);
        let in_window = inner.gate.recent_api.len() as u64;
        inner.stats.max_requests_per_second = inner.stats.max_requests_per_second.max(in_window);
        if inner.gate.banned {
            inner.stats.banned_requests += 1;
            return ban_page();
        }
        if inner.gate.recent_api.len() > inner.cfg.rate_limit_per_sec {
            inner.stats.rate_limited += 1;
            inner.gate.recent_429.retain(|x| t.duration_since(*x) < Duration::from_secs(60));
            inner.gate.recent_429.push(t);
            if inner.gate.recent_429.len() > inner.gate.ban_after_429s {
                inner.gate.banned = true;
            }
            return too_many();
        }
        let mut rng = rand::thread_rng();
        let stats = &mut inner.stats;
        let gate = &mut inner.gate;
        let f = &mut gate.faults;
        if f.fail_next > 0 || (f.fail_percent > 0 && rng.gen_range(0..100) < f.fail_percent) {
            f.fail_next = f.fail_next.saturating_sub(1);
            gate.fault_turn += 1;
            stats.faults_injected += 1;
            let status = [StatusCode::BAD_GATEWAY, StatusCode::SERVICE_UNAVAILABLE, StatusCode::INTERNAL_SERVER_ERROR]
                [(gate.fault_turn % 3) as usize];
            return (status, "<html><body>upstream error</body></html>").into_response();
        }
        if f.rate_limit_percent > 0 && rng.gen_range(0..100) < f.rate_limit_percent {
            stats.rate_limited += 1;
            stats.faults_injected += 1;
            return too_many();
        }
        if is_write && f.refuse_next > 0 {
            f.refuse_next -= 1;
            stats.faults_injected += 1;
            return refusal(f.refuse_status);
        }
        let drop_answer = is_write
            && (f.drop_after_next > 0 || (f.drop_after_percent > 0 && rng.gen_range(0..100) < f.drop_after_percent));
        if drop_answer {
            f.drop_after_next = f.drop_after_next.saturating_sub(1);
            stats.faults_injected += 1;
        }
        (f.delay_ms, drop_answer)
    };
    let resp = next.run(req).await;
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if drop_answer {
        return dropped();
    }
    resp
}
