//! The loopback redirect listener (RFC 8252 §7.3, docs/tauri-platform.md §3.1): binds
//! `127.0.0.1` only, on the port of the registered Redirect URI; answers only that URI's path
//! (everything else gets a bare 404); hands each callback's query to the caller, which either
//! rejects it (a forged or replayed `state`: the page says why and the listener keeps waiting for
//! the real one) or finishes (the listener answers and closes). It also closes at its deadline.
//!
//! Deliberately a tiny hand-written HTTP/1.1 reader: one GET line and headers, 16 KiB cap, a
//! 5-second read timeout per connection, `Connection: close`. Nothing here logs the query.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::domain::lang::Lang;
use crate::error::{Error, Result, SignInError};

const MAX_REQUEST: usize = 16 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the listener must listen (from `config::RedirectMode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopbackTarget {
    pub port: u16,
    pub path: String,
}

/// What the caller decides about one callback.
pub enum Verdict<T> {
    /// Refuse this request (the page shows the error) and keep listening.
    Reject(Error),
    /// Answer with success or the error and stop listening.
    Finish(Result<T>),
}

pub struct LoopbackListener {
    listener: TcpListener,
    target: LoopbackTarget,
}

impl LoopbackListener {
    /// Binds `127.0.0.1:port` — never `0.0.0.0`, never `::`. Port 0 picks a free port (tests).
    pub async fn bind(target: LoopbackTarget) -> Result<LoopbackListener> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, target.port));
        let listener = TcpListener::bind(addr).await.map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse | std::io::ErrorKind::PermissionDenied => {
                Error::from(SignInError::PortInUse { port: target.port })
            }
            _ => Error::internal(format!("cannot listen on 127.0.0.1:{}: {e}", target.port)),
        })?;
        Ok(LoopbackListener { listener, target })
    }

    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.local_addr().map_err(Error::internal)
    }

    /// Serves until the handler finishes or `timeout` passes (then `connect_timeout`).
    pub async fn serve<T, F, Fut>(self, timeout: Duration, mut handler: F) -> Result<T>
    where
        F: FnMut(String) -> Fut,
        Fut: Future<Output = Verdict<T>>,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let accepted = tokio::select! {
                r = self.listener.accept() => r,
                _ = tokio::time::sleep_until(deadline) => {
                    tracing::info!(port = self.target.port, "loopback listener timed out");
                    return Err(SignInError::ConnectTimeout.into());
                }
            };
            let (mut stream, peer) = match accepted {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!("loopback accept failed: {e}");
                    continue;
                }
            };
            let request = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
                Ok(Ok(r)) => r,
                Ok(Err(why)) => {
                    tracing::info!(%peer, "loopback: bad request ({why})");
                    respond(&mut stream, 400, "text/plain; charset=utf-8", "Bad Request").await;
                    continue;
                }
                Err(_) => {
                    tracing::info!(%peer, "loopback: request head not received in time");
                    continue;
                }
            };
            let (method, target) = request;
            let (path, query) = match target.split_once('?') {
                Some((p, q)) => (p.to_string(), q.to_string()),
                None => (target.clone(), String::new()),
            };
            if path != self.target.path {
                // Say nothing about what is expected where: a bare 404.
                tracing::info!(%peer, "loopback: request for another path refused");
                respond(&mut stream, 404, "text/plain; charset=utf-8", "Not Found").await;
                continue;
            }
            if method != "GET" {
                respond(&mut stream, 405, "text/plain; charset=utf-8", "Method Not Allowed").await;
                continue;
            }
            match handler(query).await {
                Verdict::Reject(err) => {
                    tracing::warn!(%peer, code = %err.code(), "loopback: callback refused, still waiting");
                    respond(&mut stream, 400, "text/html; charset=utf-8", &page(Some(&err))).await;
                }
                Verdict::Finish(result) => {
                    let html = page(result.as_ref().err());
                    let status = if result.is_ok() { 200 } else { 400 };
                    respond(&mut stream, status, "text/html; charset=utf-8", &html).await;
                    tracing::info!(ok = result.is_ok(), "loopback: callback handled, listener closed");
                    return result;
                }
            }
        }
    }
}

/// Reads the request line and headers; returns (method, request-target).
async fn read_head(stream: &mut TcpStream) -> std::result::Result<(String, String), &'static str> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|_| "read error")?;
        if n == 0 {
            return Err("connection closed early");
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
        if buf.len() > MAX_REQUEST {
            return Err("request too large");
        }
    }
    let head = std::str::from_utf8(&buf).map_err(|_| "not UTF-8")?;
    let line = head.lines().next().ok_or("empty request")?;
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    match (method, target, version) {
        (Some(m), Some(t), Some(v)) if v.starts_with("HTTP/1.") && t.starts_with('/') => {
            Ok((m.to_string(), t.to_string()))
        }
        _ => Err("malformed request line"),
    }
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
/// language is unknown here).
fn page(err: Option<&Error>) -> String {
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
        let l = LoopbackListener::bind(LoopbackTarget { port: 0, path: "/callback".into() }).await.expect("bind");
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
        let l = LoopbackListener::bind(LoopbackTarget { port: 0, path: "/cb".into() }).await.expect("bind");
        let port = l.local_addr().expect("addr").port();
        let busy = LoopbackListener::bind(LoopbackTarget { port, path: "/cb".into() }).await;
        assert_eq!(busy.err().expect("busy").code().as_str(), "port_in_use");
        let r = l.serve(Duration::from_millis(200), |_q: String| async { Verdict::<()>::Finish(Ok(())) }).await;
        assert_eq!(r.expect_err("timeout").code().as_str(), "connect_timeout");
    }

    #[tokio::test]
    async fn garbage_and_post_do_not_end_the_wait() {
        let l = LoopbackListener::bind(LoopbackTarget { port: 0, path: "/cb".into() }).await.expect("bind");
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
