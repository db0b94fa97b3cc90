//! The loopback redirect listener (RFC 8252 §7.3, docs/tauri-platform.md §3.1): binds the
//! loopback address only (`127.0.0.1`, and `[::1]` too when the Redirect URI says `localhost`,
//! which a browser may resolve either way), on the port of the registered Redirect URI; answers
//! only that URI's path (everything else gets a bare 404); hands each callback's query to the
//! caller, which either rejects it (a forged or replayed `state`: the page says why and the
//! listener keeps waiting for the real one) or finishes (the listener answers and closes). It
//! also closes at its deadline.
//!
//! Deliberately a tiny hand-written HTTP/1.1 reader: one GET line and headers, 16 KiB cap,
//! `Connection: close`. Each connection is read by its own task (at most [`MAX_CONNECTIONS`] at
//! once, each given [`HEADER_TIMEOUT`] to send its request head), so an idle or slow local
//! connection never delays the real callback. Callbacks are judged one at a time. Nothing here
//! logs the query.

use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};

use crate::domain::lang::Lang;
use crate::error::{Error, Result, SignInError};

const MAX_REQUEST: usize = 16 * 1024;
/// How long a connection may take to send its request head.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// Connections read at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 8;
/// After a failed accept (e.g. out of file descriptors), wait this long before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Where the listener must listen (from the Redirect URI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopbackTarget {
    pub port: u16,
    pub path: String,
    /// The Redirect URI says `localhost`: listen on `[::1]` as well (where the system has IPv6).
    pub also_ipv6: bool,
}

/// What the caller decides about one callback.
pub enum Verdict<T> {
    /// Refuse this request (the page shows the error) and keep listening.
    Reject(Error),
    /// Answer with success or the error and stop listening.
    Finish(Result<T>),
}

pub struct LoopbackListener {
    listeners: Vec<TcpListener>,
    target: LoopbackTarget,
}

/// A request for the callback path, read by a connection task, waiting for the verdict.
struct Callback {
    query: String,
    stream: TcpStream,
}

impl LoopbackListener {
    /// Binds `127.0.0.1:port` (and `[::1]:port` for `localhost`) — never `0.0.0.0`, never `::`.
    /// Port 0 picks a free port (tests; then only IPv4).
    pub async fn bind(target: LoopbackTarget) -> Result<LoopbackListener> {
        let in_use = |e: std::io::Error, addr: SocketAddr| match e.kind() {
            std::io::ErrorKind::AddrInUse | std::io::ErrorKind::PermissionDenied => {
                Error::from(SignInError::PortInUse { port: target.port })
            }
            _ => Error::internal(format!("cannot listen on {addr}: {e}")),
        };
        let v4 = SocketAddr::from((Ipv4Addr::LOCALHOST, target.port));
        let mut listeners = vec![TcpListener::bind(v4).await.map_err(|e| in_use(e, v4))?];
        if target.also_ipv6 && target.port != 0 {
            let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, target.port));
            match TcpListener::bind(v6).await {
                Ok(l) => listeners.push(l),
                // No IPv6 on this machine: browsers then resolve localhost to 127.0.0.1 only.
                Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {}
                Err(e) => return Err(in_use(e, v6)),
            }
        }
        Ok(LoopbackListener { listeners, target })
    }

    /// The first (IPv4) address.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listeners[0].local_addr().map_err(Error::internal)
    }

    /// Serves until the handler finishes or `timeout` passes (then `connect_timeout`).
    pub async fn serve<T, F, Fut>(self, timeout: Duration, mut handler: F) -> Result<T>
    where
        F: FnMut(String) -> Fut,
        Fut: Future<Output = Verdict<T>>,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        let (tx, mut callbacks) = mpsc::channel::<Callback>(MAX_CONNECTIONS);
        let path: Arc<str> = Arc::from(self.target.path.as_str());
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        // One accept loop per address; each connection is read by its own task. Dropping
        // `acceptors` (when this function returns) stops them and closes the sockets.
        let mut acceptors = tokio::task::JoinSet::new();
        for listener in self.listeners {
            let (tx, path, permits) = (tx.clone(), path.clone(), permits.clone());
            acceptors.spawn(accept_loop(listener, tx, path, permits));
        }
        drop(tx);
        loop {
            let cb = tokio::select! {
                cb = callbacks.recv() => match cb {
                    Some(cb) => cb,
                    None => return Err(Error::internal("the loopback listener stopped accepting")),
                },
                _ = tokio::time::sleep_until(deadline) => {
                    tracing::info!(port = self.target.port, "loopback listener timed out");
                    close(acceptors).await;
                    return Err(SignInError::ConnectTimeout.into());
                }
            };
            let Callback { query, mut stream } = cb;
            match handler(query).await {
                Verdict::Reject(err) => {
                    tracing::warn!(code = %err.code(), "loopback: callback refused, still waiting");
                    respond(&mut stream, 400, "text/html; charset=utf-8", &page(Some(&err))).await;
                }
                Verdict::Finish(result) => {
                    let html = page(result.as_ref().err());
                    let status = if result.is_ok() { 200 } else { 400 };
                    respond(&mut stream, status, "text/html; charset=utf-8", &html).await;
                    close(acceptors).await;
                    tracing::info!(ok = result.is_ok(), "loopback: callback handled, listener closed");
                    return result;
                }
            }
        }
    }
}

/// Stops the accept loops and waits until their sockets are closed.
async fn close(mut acceptors: tokio::task::JoinSet<()>) {
    acceptors.abort_all();
    while acceptors.join_next().await.is_some() {}
}

/// Accepts connections and gives each to its own reader task, at most [`MAX_CONNECTIONS`] at once.
async fn accept_loop(listener: TcpListener, tx: mpsc::Sender<Callback>, path: Arc<str>, permits: Arc<Semaphore>) {
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else { return };
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("loopback accept failed: {e}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let (tx, path) = (tx.clone(), path.clone());
        tokio::spawn(async move {
            let _permit = permit;
            if let Some(cb) = read_callback(stream, peer, &path).await {
                let _ = tx.send(cb).await;
            }
        });
    }
}

/// Reads one request; answers anything that is not a GET of the callback path itself, and
/// returns the callback's query (with the open connection) for the verdict.
async fn read_callback(mut stream: TcpStream, peer: SocketAddr, expected: &str) -> Option<Callback> {
    let route = match tokio::time::timeout(HEADER_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(head)) => route_request(&head, expected),
        Ok(Err(why)) => Err(why),
        Err(_) => {
            tracing::info!(%peer, "loopback: request head not received in time");
            return None;
        }
    };
    match route {
        Ok(Route::Callback { query }) => Some(Callback { query, stream }),
        Ok(Route::NotFound) => {
            // Say nothing about what is expected where: a bare 404.
            tracing::info!(%peer, "loopback: request for another path refused");
            respond(&mut stream, 404, "text/plain; charset=utf-8", "Not Found").await;
            None
        }
        Ok(Route::MethodNotAllowed) => {
            respond(&mut stream, 405, "text/plain; charset=utf-8", "Method Not Allowed").await;
            None
        }
        Err(why) => {
            tracing::info!(%peer, "loopback: bad request ({why})");
            respond(&mut stream, 400, "text/plain; charset=utf-8", "Bad Request").await;
            None
        }
    }
}

/// Reads until the blank line that ends the request head; at most [`MAX_REQUEST`] bytes.
async fn read_head(stream: &mut TcpStream) -> std::result::Result<Vec<u8>, &'static str> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|_| "read error")?;
        if n == 0 {
            return Err("connection closed early");
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(buf);
        }
        if buf.len() > MAX_REQUEST {
            return Err("request too large");
        }
    }
}

/// What the listener does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// A GET of the callback path: its query (possibly empty) goes to the verdict.
    Callback { query: String },
    /// Any other path: a bare 404 that says nothing about what is expected where.
    NotFound,
    /// The callback path with another method: 405.
    MethodNotAllowed,
}

/// Parses a request head as read from a local connection (the request line and headers, as
/// bytes; anything after the request line is ignored) and decides what to do with it. The
/// listener's only parser of bytes from the network, kept free of I/O so that the fuzz target
/// `fuzz/fuzz_targets/loopback_head.rs` runs exactly this code. `Err` says why it is a 400.
pub fn route_request(head: &[u8], expected_path: &str) -> std::result::Result<Route, &'static str> {
    let head = std::str::from_utf8(head).map_err(|_| "not UTF-8")?;
    let line = head.lines().next().ok_or("empty request")?;
    let mut parts = line.split(' ');
    let (method, target) = match (parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/1.") && t.starts_with('/') => (m, t),
        _ => return Err("malformed request line"),
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Ok(if path != expected_path {
        Route::NotFound
    } else if method != "GET" {
        Route::MethodNotAllowed
    } else {
        Route::Callback { query: query.to_string() }
    })
}

async fn respond(stream: &mut TcpStream, status: u16, content_type: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    };
    // no-referrer: the page's URL holds the code; no-store: nothing of it is cached.
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\
         Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The page the browser shows after the redirect, in Russian and English (the browser's
/// language is unknown here). Every text in it that came from outside is escaped; public so the
/// fuzz target `fuzz/fuzz_targets/callback_query.rs` can check that for any callback.
pub fn page(err: Option<&Error>) -> String {
    let part = |lang: Lang, attr: &str| {
        let t = crate::i18n::callback_page(err.is_none(), lang);
        let detail = err.map(|e| format!("<p{attr}>{}</p>", escape(&e.message(lang)))).unwrap_or_default();
        (t.title, format!("<h1{attr}>{}</h1><p{attr}>{}</p>{detail}", t.heading, t.body))
    };
    let (title_ru, ru) = part(Lang::Ru, "");
    let (title_en, en) = part(Lang::En, " lang=\"en\"");
    let code = err.map(|e| format!("<p><code>{}</code></p>", e.code())).unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>{title_ru} / {title_en}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1d2733}}\
         h1{{font-size:1.3rem}}code{{color:#666}}</style></head><body>{ru}{en}{code}</body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(port: u16, target: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
        s.write_all(format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).await.expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).await.expect("read");
        let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        (status, out)
    }

    #[tokio::test]
    async fn refuses_other_paths_and_bad_states_then_finishes_on_a_good_one_and_closes() {
        let l = LoopbackListener::bind(LoopbackTarget { port: 0, path: "/callback".into(), also_ipv6: false })
            .await
            .expect("bind");
        let addr = l.local_addr().expect("addr");
        assert!(addr.ip().is_loopback());
        let port = addr.port();
        let server = tokio::spawn(l.serve(Duration::from_secs(10), |q: String| async move {
            if q.contains("state=good") {
                Verdict::Finish(Ok(q))
            } else {
                Verdict::Reject(SignInError::StateUnknown.into())
            }
        }));
        assert_eq!(get(port, "/other?state=good").await.0, 404);
        let (status, body) = get(port, "/callback?code=x&state=forged").await;
        assert_eq!(status, 400);
        assert!(body.contains("state_unknown") && body.contains("Referrer-Policy: no-referrer"));
        let (status, body) = get(port, "/callback?code=x&state=good").await;
        assert_eq!(status, 200);
        assert!(body.contains("amoCRM connected"));
        assert_eq!(server.await.expect("join").expect("result"), "code=x&state=good");
        // Closed after the one valid callback.
        assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
    }

    #[tokio::test]
    async fn times_out_and_reports_a_busy_port() {
        let l = LoopbackListener::bind(LoopbackTarget { port: 0, path: "/cb".into(), also_ipv6: false })
            .await
            .expect("bind");
        let port = l.local_addr().expect("addr").port();
        let busy = LoopbackListener::bind(LoopbackTarget { port, path: "/cb".into(), also_ipv6: false }).await;
        assert_eq!(busy.err().expect("busy").code().as_str(), "port_in_use");
        let r = l.serve(Duration::from_millis(200), |_q: String| async { Verdict::<()>::Finish(Ok(())) }).await;
        assert_eq!(r.expect_err("timeout").code().as_str(), "connect_timeout");
    }

    #[tokio::test]
    async fn an_idle_connection_does_not_delay_the_real_callback() {
        let l = LoopbackListener::bind(LoopbackTarget { port: 0, path: "/cb".into(), also_ipv6: false })
            .await
            .expect("bind");
        let port = l.local_addr().expect("addr").port();
        let server = tokio::spawn(l.serve(Duration::from_secs(10), |_q: String| async { Verdict::Finish(Ok(())) }));
        // Several local connections that never send a request head.
        let mut idle = Vec::new();
        for _ in 0..3 {
            idle.push(TcpStream::connect(("127.0.0.1", port)).await.expect("idle"));
        }
        let start = std::time::Instant::now();
        assert_eq!(get(port, "/cb?state=s").await.0, 200);
        assert!(start.elapsed() < HEADER_TIMEOUT, "the callback waited {:?} behind idle connections", start.elapsed());
        server.await.expect("join").expect("ok");
    }

    #[tokio::test]
    async fn a_localhost_redirect_is_heard_on_both_loopback_addresses() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("probe").local_addr().expect("addr").port();
        let target = LoopbackTarget { port, path: "/cb".into(), also_ipv6: true };
        let l = LoopbackListener::bind(target).await.expect("bind");
        let has_v6 = l.listeners.len() == 2;
        let server = tokio::spawn(l.serve(Duration::from_secs(10), |q: String| async move {
            if q.contains("last") {
                Verdict::Finish(Ok(()))
            } else {
                Verdict::Reject(SignInError::StateUnknown.into())
            }
        }));
        if has_v6 {
            let mut s = TcpStream::connect(("::1", port)).await.expect("connect [::1]");
            s.write_all(b"GET /cb?state=first HTTP/1.1\r\nHost: localhost\r\n\r\n").await.expect("w");
            let mut out = String::new();
            s.read_to_string(&mut out).await.expect("r");
            assert!(out.starts_with("HTTP/1.1 400"), "{out}");
        }
        assert_eq!(get(port, "/cb?state=last").await.0, 200);
        server.await.expect("join").expect("ok");
    }

    #[test]
    fn only_a_get_of_the_path_itself_is_a_callback() {
        let route = |head: &[u8]| route_request(head, "/cb");
        assert_eq!(
            route(b"GET /cb?code=x&state=s HTTP/1.1\r\nHost: a\r\n\r\n"),
            Ok(Route::Callback { query: "code=x&state=s".into() })
        );
        assert_eq!(route(b"GET /cb HTTP/1.0\n\n"), Ok(Route::Callback { query: String::new() }));
        assert_eq!(route(b"GET /cb/x?state=s HTTP/1.1\r\n\r\n"), Ok(Route::NotFound));
        assert_eq!(route(b"GET /c?b HTTP/1.1\r\n\r\n"), Ok(Route::NotFound));
        assert_eq!(route(b"POST /cb HTTP/1.1\r\n\r\n"), Ok(Route::MethodNotAllowed));
        for bad in [&b"GET http://x/cb HTTP/1.1\r\n\r\n"[..], b"GET /cb\r\n\r\n", b"\xff /cb HTTP/1.1\r\n\r\n", b""] {
            assert!(route(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn garbage_and_post_do_not_end_the_wait() {
        let l = LoopbackListener::bind(LoopbackTarget { port: 0, path: "/cb".into(), also_ipv6: false })
            .await
            .expect("bind");
        let port = l.local_addr().expect("addr").port();
        let server = tokio::spawn(l.serve(Duration::from_secs(10), |_q: String| async { Verdict::Finish(Ok(())) }));
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("c");
        s.write_all(b"NONSENSE\r\n\r\n").await.expect("w");
        let mut out = String::new();
        s.read_to_string(&mut out).await.expect("r");
        assert!(out.starts_with("HTTP/1.1 400"));
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("c");
        s.write_all(b"POST /cb HTTP/1.1\r\nContent-Length: 0\r\n\r\n").await.expect("w");
        let mut out = String::new();
        s.read_to_string(&mut out).await.expect("r");
        assert!(out.starts_with("HTTP/1.1 405"));
        assert_eq!(get(port, "/cb?state=s").await.0, 200);
        server.await.expect("join").expect("ok");
    }
}
