//! The loopback listener's request heads: bytes from any local process that connects to the
//! sign-in port while it is open. Runs the listener's real parser and router
//! (`auth::loopback::route_request`); only a GET of the registered path may reach the state
//! check, and its query must reach it unchanged.
#![no_main]

use amo_core::auth::callback::CallbackQuery;
use amo_core::auth::loopback::{route_request, Route};
use libfuzzer_sys::fuzz_target;

/// Paths a Redirect URI may register (the default, the root, a deeper one).
const PATHS: &[&str] = &["/callback", "/", "/amo/cb"];

fuzz_target!(|data: &[u8]| {
    let Some((&which, head)) = data.split_first() else { return };
    let expected = PATHS[usize::from(which) % PATHS.len()];
    let route = route_request(head, expected);
    match &route {
        Ok(Route::Callback { query }) => {
            assert!(head.starts_with(format!("GET {expected}").as_bytes()), "{route:?} for {head:?}");
            assert!(!query.contains(' ') && !query.contains('\n'), "{query:?}");
            // The same query in a clean request is routed the same way.
            let clean = format!("GET {expected}?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assert_eq!(route_request(clean.as_bytes(), expected), route);
            let _ = CallbackQuery::parse(query);
        }
        Ok(Route::MethodNotAllowed) => assert!(!head.starts_with(b"GET "), "a GET of the path refused: {head:?}"),
        Ok(Route::NotFound) => {}
        Err(why) => assert!(!why.is_empty()),
    }
    // Only the request line counts: what follows it never changes the decision.
    if let Some(end) = head.iter().position(|&b| b == b'\n') {
        let mut other = head[..=end].to_vec();
        other.extend_from_slice(b"X-Other: 1\r\n\r\n");
        if std::str::from_utf8(head).is_ok() {
            assert_eq!(route_request(&other, expected), route);
        }
    }
});
