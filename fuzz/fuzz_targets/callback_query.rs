//! amoCRM's redirect back to the app: the query of `GET /callback?…` on the loopback listener or
//! of an `amoconnect://oauth/callback?…` link, which anyone on the machine (or any web page, for
//! the link) can make up. Runs the real `CallbackQuery::parse`, the state check against the
//! SQLite state store, `authorize` (which decides where the Secret key will be sent) and the page
//! the browser is shown.
#![no_main]

mod common;

use std::cell::RefCell;

use amo_core::amocrm::endpoints::Endpoints;
use amo_core::auth::callback::{authorize, CallbackQuery};
use amo_core::auth::loopback::page;
use amo_core::auth::state::STATE_TTL_SECS;
use amo_core::domain::platform::Platform;
use amo_core::domain::secret::Secret;
use amo_core::domain::settings::{validate_domain, MAX_CODE};
use amo_core::store::Store;
use libfuzzer_sys::fuzz_target;

/// The input: one byte of flags (1: put this sign-in's own state first, as the real callback
/// would; 2: the configured platform is Kommo), two bytes of age (seconds between the start of
/// the sign-in and the callback, big-endian), then the query. Plain text, so seeds are readable.
struct Input {
    with_our_state: bool,
    fallback_kommo: bool,
    age: u16,
    query: String,
}

impl Input {
    fn read(data: &[u8]) -> Option<Input> {
        let &[flags, a, b] = data.first_chunk::<3>()?;
        let query = &data[3..];
        Some(Input {
            with_our_state: flags & 1 != 0,
            fallback_kommo: flags & 2 != 0,
            age: u16::from_be_bytes([a, b]),
            query: String::from_utf8_lossy(query).into_owned(),
        })
    }
}

const T0: i64 = 1_700_000_000;
const REDIRECT_URI: &str = "http://127.0.0.1:53682/callback";

thread_local! {
    static STORE: Store = Store::open_in_memory().expect("in-memory store");
    static COUNTER: RefCell<u64> = const { RefCell::new(0) };
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = Input::read(data) else { return };
    let n = COUNTER.with(|c| {
        *c.borrow_mut() += 1;
        *c.borrow()
    });
    // Shaped as `auth::state::new_state` makes them (prefix + 43 base64url characters), but
    // deterministic so that a crash reproduces.
    let ours = format!("l53682.{n:043}");
    let query = if input.with_our_state { format!("state={ours}&{}", input.query) } else { input.query.clone() };

    let q = CallbackQuery::parse(&query);
    check_parse(&query, &q);
    check_state(&q, &ours, i64::from(input.age));
    check_authorize(&q, if input.fallback_kommo { Platform::Kommo } else { Platform::Amocrm });
});

/// Each field is the first occurrence of its parameter, and empty values count as absent.
fn check_parse(query: &str, q: &CallbackQuery) {
    let first = |key: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .filter(|v| !v.is_empty())
    };
    assert_eq!(q.state, first("state"));
    assert_eq!(q.code.as_ref().map(|c| c.expose().to_string()), first("code"));
    assert_eq!(q.referer, first("referer"));
    assert_eq!(q.platform, first("platform"));
    assert_eq!(q.error, first("error"));
    // The code is a secret: Debug prints its length, never its content.
    if let Some(code) = &q.code {
        let twin = CallbackQuery { code: Some(Secret::new(common::stand_in(code.expose()))), ..q.clone() };
        assert_eq!(format!("{q:?}"), format!("{twin:?}"), "Debug shows the code");
    }
}

/// The state store accepts exactly this sign-in's state, once, within 15 minutes; anything else
/// is refused with the reason, and nothing is left behind.
fn check_state(q: &CallbackQuery, ours: &str, age: i64) {
    STORE.with(|store| {
        let states = store.oauth_states();
        states.insert(ours, REDIRECT_URI, T0, STATE_TTL_SECS).expect("insert");
        let now = T0 + age;
        match q.state.as_deref() {
            Some(s) => {
                let first = states.consume(s, now);
                let second = states.consume(s, now);
                if s == ours && age < STATE_TTL_SECS {
                    let rec = first.expect("our own state within its time is accepted");
                    assert_eq!((rec.redirect_uri.as_str(), rec.created_at), (REDIRECT_URI, T0));
                    let again = second.expect_err("a state is usable once");
                    assert_eq!(again.code().as_str(), "state_replayed");
                } else {
                    let want = if s == ours { "state_expired" } else { "state_unknown" };
                    for r in [first, second] {
                        let e = r.expect_err("a foreign, expired or replayed state is refused");
                        assert_eq!(e.code().as_str(), want, "state {s:?} at age {age}");
                        common::check_error(&e, &[want]);
                    }
                }
            }
            None => assert_eq!(states.peek(ours, now).is_ok(), age < STATE_TTL_SECS),
        }
        assert_eq!(states.cleanup(i64::MAX).expect("cleanup"), 1);
        assert_eq!(states.count().expect("count"), 0);
    });
}

/// After the state: the code goes only to an amoCRM/Kommo account host, and every refusal is one
/// of the callback's error codes, shown escaped on the browser page.
fn check_authorize(q: &CallbackQuery, fallback: Platform) {
    match authorize(q, fallback) {
        Ok(a) => {
            assert!(q.error.is_none());
            assert_eq!(Some(&a.code), q.code.as_ref());
            assert!(!a.code.is_empty() && a.code.expose().len() <= MAX_CODE);
            assert_eq!(validate_domain(&a.domain).as_deref(), Ok(a.domain.as_str()), "the domain is canonical");
            assert!(Platform::of_host(&a.domain).is_some());
            match q.platform.as_deref() {
                Some("1") => assert_eq!(a.platform, Platform::Amocrm),
                Some("2") => assert_eq!(a.platform, Platform::Kommo),
                _ => {}
            }
            // Where the Secret key and the code are sent: that very host, over https.
            let url = Endpoints::default().account_url(&a.domain, "/oauth2/access_token").expect("token URL");
            assert_eq!((url.scheme(), url.host_str()), ("https", Some(a.domain.as_str())));
            assert_eq!((url.port(), url.username(), url.password()), (None, "", None));
            assert_eq!((url.path(), url.query()), ("/oauth2/access_token", None));
            let twin = amo_core::auth::callback::Authorized {
                code: Secret::new(common::stand_in(a.code.expose())),
                ..a.clone()
            };
            assert_eq!(format!("{a:?}"), format!("{twin:?}"), "Debug shows the code");
            check_page(&page(None));
        }
        Err(e) => {
            common::check_error(&e, &["access_denied", "callback_error", "callback_missing_code", "callback_invalid"]);
            check_page(&page(Some(&e)));
        }
    }
}

/// The page's only markup is its own: whatever came in the query is escaped.
fn check_page(html: &str) {
    const TAGS: &[&str] = &[
        "<!doctype html>",
        "<html lang=\"ru\">",
        "</html>",
        "<head>",
        "</head>",
        "<meta charset=\"utf-8\">",
        "<title>",
        "</title>",
        "<style>",
        "</style>",
        "<body>",
        "</body>",
        "<h1>",
        "<h1 lang=\"en\">",
        "</h1>",
        "<p>",
        "<p lang=\"en\">",
        "</p>",
        "<code>",
        "</code>",
    ];
    let mut rest = html.to_string();
    for t in TAGS {
        rest = rest.replace(t, "");
    }
    assert!(!rest.contains('<') && !rest.contains('>'), "markup from outside in the page: {html}");
}
