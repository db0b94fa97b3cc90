//! Harness for the end-to-end tests of the built app. Each test gets its own amoCRM simulator,
//! data directory and `tauri-driver` (which starts WebKitWebDriver, which starts the real app
//! with the environment given here). Run under Xvfb with a private D-Bus and an unlocked
//! gnome-keyring: `scripts/test-all.sh` does that.
//!
//! The app binary comes from `AMO_CONNECT_APP` (default `target/release/amo-connect`), built by
//! the Tauri CLI so the UI is embedded.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::{elements::Element, Client, ClientBuilder, Locator};

pub use amo_sim::{Decision, SimConfig, Simulator, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root")
}

pub fn app_binary() -> PathBuf {
    std::env::var_os("AMO_CONNECT_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/release/amo-connect"))
}

/// Where screenshots and logs of the E2E run go (kept by CI as artifacts).
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("AMO_E2E_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/e2e-artifacts"));
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// A simulator whose registered Redirect URI points at a fresh loopback port.
pub async fn simulator(decision: Decision) -> Result<(Simulator, String)> {
    simulator_with(SimConfig { decision, ..SimConfig::default() }).await
}

/// Like [`simulator`], with any other settings (its Redirect URI is replaced).
pub async fn simulator_with(cfg: SimConfig) -> Result<(Simulator, String)> {
    let redirect_uri = format!("http://127.0.0.1:{}/callback", free_port());
    let sim = Simulator::start(SimConfig { redirect_uri: redirect_uri.clone(), ..cfg }, 0).await?;
    Ok((sim, redirect_uri))
}

/// Someone owns `org.freedesktop.secrets` on the tests' bus (scripts/with-keyring.sh's daemon;
/// if it ended, that script's `FAILED at …` line says when and how).
pub fn secret_service_is_up() -> Result<()> {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply=literal",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ])
        .output()
        .context("run dbus-send")?;
    let answer = String::from_utf8_lossy(&out.stdout);
    if !answer.contains("true") {
        bail!(
            "the test keyring is gone: nothing owns org.freedesktop.secrets on the session bus ({}{}); \
             see with-keyring's FAILED line in this tier's log",
            answer.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The environment the app (window or CLI) runs with in a test.
pub struct AppEnv {
    pub data_dir: tempfile::TempDir,
    pub server: String,
}

impl AppEnv {
    /// Also checks that the test keyring still serves the bus: a test after the keyring ended
    /// fails saying so, not with whatever the app then reports.
    pub fn new(sim: &Simulator) -> Result<AppEnv> {
        secret_service_is_up()?;
        Ok(AppEnv { data_dir: tempfile::tempdir()?, server: sim.url() })
    }

    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AMO_CONNECT_DATA_DIR", self.data_dir.path().display().to_string()),
            ("AMO_CONNECT_SERVER", self.server.clone()),
            ("AMO_CONNECT_NO_BROWSER", "1".into()),
            ("AMO_CONNECT_LANG", "en".into()),
        ]
    }

    /// Runs `amo-connect ARGS` with this environment; returns (exit code, stdout, stderr).
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> Result<(i32, String, String)> {
        use std::io::Write;
        let mut cmd = Command::new(app_binary());
        cmd.args(args).envs(self.vars()).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().with_context(|| format!("spawn {}", app_binary().display()))?;
        if let Some(input) = stdin {
            child.stdin.take().context("stdin")?.write_all(input.as_bytes())?;
        } else {
            drop(child.stdin.take());
        }
        let out = child.wait_with_output()?;
        Ok((
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// Sets the demo integration's Integration ID, Secret key and this Redirect URI via the CLI.
    pub fn configure(&self, redirect_uri: &str) -> Result<()> {
        for args in [["config", "set", "client-id", DEMO_CLIENT_ID], ["config", "set", "redirect-uri", redirect_uri]] {
            let (code, _, err) = self.cli(&args, None)?;
            if code != 0 {
                bail!("{args:?}: {err}");
            }
        }
        let (code, _, err) = self.cli(&["config", "set-secret"], Some(DEMO_CLIENT_SECRET))?;
        if code != 0 {
            bail!("set-secret: {err}");
        }
        Ok(())
    }

    /// Configures the demo integration through the CLI and connects (the simulator must approve
    /// by itself).
    pub async fn connect_via_cli(&self, redirect_uri: &str) -> Result<()> {
        self.configure(redirect_uri)?;
        let run = self.spawn_connect(30)?;
        reqwest::get(&run.url).await?;
        let (code, _, err) = run.finish().await?;
        if code != 0 {
            bail!("connect: {err}");
        }
        Ok(())
    }

    /// Starts `amo-connect connect --no-browser --timeout SECS` and reads the authorize URL it
    /// prints on its first line. The rest of stdout stays readable through the returned reader.
    pub fn spawn_connect(&self, timeout_secs: u32) -> Result<ConnectRun> {
        use std::io::BufRead;
        let mut child = Command::new(app_binary())
            .args(["connect", "--no-browser", "--timeout", &timeout_secs.to_string()])
            .envs(self.vars())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stdout = std::io::BufReader::new(child.stdout.take().context("stdout")?);
        let mut url = String::new();
        stdout.read_line(&mut url)?;
        Ok(ConnectRun { child, stdout, url: url.trim().to_string() })
    }

    /// Every byte of every file under the data directory (SQLite, WAL, logs).
    pub fn all_file_bytes(&self) -> Vec<u8> {
        fn walk(p: &Path, out: &mut Vec<u8>) {
            if let Ok(rd) = std::fs::read_dir(p) {
                for e in rd.flatten() {
                    let path = e.path();
                    if path.is_dir() {
                        walk(&path, out);
                    } else if let Ok(b) = std::fs::read(&path) {
                        out.extend(b);
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(self.data_dir.path(), &mut out);
        out
    }
}

/// The last 40 characters of a token: its random part (a JWT's head is the same for every token).
pub fn tail(token: &str) -> &str {
    &token[token.len().saturating_sub(40)..]
}

/// A running `amo-connect connect`.
pub struct ConnectRun {
    pub child: Child,
    pub stdout: std::io::BufReader<std::process::ChildStdout>,
    pub url: String,
}

impl ConnectRun {
    /// Waits for the process; returns (exit code, the rest of stdout, stderr).
    pub async fn finish(self) -> Result<(i32, String, String)> {
        use std::io::Read;
        let ConnectRun { child, mut stdout, .. } = self;
        tokio::task::spawn_blocking(move || {
            let out = child.wait_with_output()?;
            let mut rest = String::new();
            stdout.read_to_string(&mut rest)?;
            Ok((out.status.code().unwrap_or(-1), rest, String::from_utf8_lossy(&out.stderr).into_owned()))
        })
        .await?
    }
}

pub fn contains(hay: &[u8], needle: &str) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A running `tauri-driver` and a WebDriver session with the app's window.
pub struct Window {
    pub client: Client,
    driver: Group,
}

/// A process started in its own process group, with everything it starts: tauri-driver starts
/// WebKitWebDriver, which starts the app, which starts WebKit's processes. Killing only the
/// first leaves the others running — an app still holding the single-instance D-Bus name makes
/// the next test's app fail at start ("failed to forward arguments to the running instance"),
/// and a session then waits for a window that never comes.
pub struct Group(Option<Child>);

impl Group {
    pub fn spawn(cmd: &mut Command) -> std::io::Result<Group> {
        Ok(Group(Some(cmd.process_group(0).spawn()?)))
    }

    /// Kills the whole group and waits until none of its processes is left (at most 10 s).
    pub fn kill(&mut self) {
        let Some(mut child) = self.0.take() else { return };
        let group = format!("-{}", child.id());
        let signal = |sig: &str| {
            Command::new("kill").args([sig, "--", &group]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
        };
        signal("-KILL");
        let _ = child.wait();
        let deadline = Instant::now() + Duration::from_secs(10);
        // `kill -0` succeeds while any process of the group exists.
        while signal("-0") && Instant::now() < deadline {
            signal("-KILL");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Its first process has ended.
    pub fn exited(&mut self) -> bool {
        self.0.as_mut().is_none_or(|c| c.try_wait().ok().flatten().is_some())
    }

    pub fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        match self.0.as_mut() {
            Some(c) => c.wait(),
            None => Err(std::io::Error::other("already killed")),
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Window {
    pub async fn open(env: &AppEnv) -> Result<Window> {
        Window::open_with(env, &[]).await
    }

    /// Starts the app with these arguments (e.g. the autostart entry's `--hidden`).
    pub async fn open_with(env: &AppEnv, args: &[&str]) -> Result<Window> {
        let (port, native_port) = (free_port(), free_port());
        let log = std::fs::File::create(artifacts_dir().join(format!("tauri-driver-{port}.log")))?;
        let mut driver = Group::spawn(
            Command::new(std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()))
                .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
                .envs(env.vars())
                .stdout(log.try_clone()?)
                .stderr(log),
        )
        .context("start tauri-driver (is it installed? scripts/test-all.sh installs it)")?;
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if reqwest::get(format!("{url}/status")).await.is_ok() {
                break;
            }
            if Instant::now() > deadline {
                bail!("tauri-driver did not come up on {url}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), serde_json::json!("wry"));
        caps.insert("tauri:options".into(), serde_json::json!({ "application": app_binary(), "args": args }));
        // An app that dies at start leaves WebKitWebDriver waiting for it without end: bound it,
        // so the test fails with the driver's log instead of hanging the tier.
        let client = match tokio::time::timeout(
            Duration::from_secs(60),
            ClientBuilder::native().capabilities(caps).connect(&url),
        )
        .await
        {
            Ok(c) => c.context("WebDriver session")?,
            Err(_) => {
                driver.kill();
                bail!("no WebDriver session within 60 s: the app did not open its window (see the tauri-driver log in the artifacts)")
            }
        };
        Ok(Window { client, driver })
    }

    pub async fn find(&self, css: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("element {css} never appeared"))
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.find(css).await?.click().await.with_context(|| format!("click {css}"))?;
        Ok(())
    }

    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let el = self.find(css).await?;
        el.clear().await?;
        el.send_keys(value).await?;
        Ok(())
    }

    /// Types `keys` into whatever has the focus, as a keyboard would: WebDriver key actions, not
    /// an element's send-keys (which focuses the element first — inside a date input that puts
    /// the caret back in its first part, so Tab would never leave it).
    pub async fn keys(&self, keys: &str) -> Result<()> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut a = KeyActions::new("keyboard".into());
        for c in keys.chars() {
            a = a.then(KeyAction::Down { value: c }).then(KeyAction::Up { value: c });
        }
        self.client.perform_actions(a).await.context("typing into the focused element")?;
        Ok(())
    }

    /// A key pressed with a modifier held (Ctrl+Enter, Shift+Tab).
    pub async fn chord(&self, modifier: fantoccini::key::Key, key: fantoccini::key::Key) -> Result<()> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let (m, k): (char, char) = (modifier.into(), key.into());
        let a = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: m })
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k })
            .then(KeyAction::Up { value: m });
        self.client.perform_actions(a).await.with_context(|| format!("pressing {modifier:?}+{key:?}"))?;
        Ok(())
    }

    /// The focused element's id ("" for none).
    pub async fn focused(&self) -> Result<String> {
        let v = self.client.execute("return document.activeElement ? document.activeElement.id : ''", vec![]).await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// Presses Tab (Shift+Tab with `back`) until the element `id` has the focus — the keyboard
    /// path a user takes through the form; fails after 200 presses.
    pub async fn tab_to(&self, id: &str, back: bool) -> Result<()> {
        use fantoccini::key::Key;
        let mut seen = Vec::new();
        for _ in 0..200 {
            let now = self.focused().await?;
            if now == id {
                return Ok(());
            }
            if seen.last() != Some(&now) {
                seen.push(now);
            }
            if back {
                self.chord(Key::Shift, Key::Tab).await?;
            } else {
                self.keys(&Key::Tab.to_string()).await?;
            }
        }
        bail!("#{id} never got the focus by {} (focus went {seen:?})", if back { "Shift+Tab" } else { "Tab" })
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    /// Waits until `css` exists and its attribute `attr` equals `want`.
    pub async fn wait_attr(&self, css: &str, attr: &str, want: &str, secs: u64) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut last = None;
        while Instant::now() < deadline {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                last = el.attr(attr).await.ok().flatten();
                if last.as_deref() == Some(want) {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("{css}[{attr}] never became {want:?} (last {last:?})")
    }

    /// Waits until the focused element is the one with this id.
    pub async fn wait_focus(&self, id: &str, secs: u64) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let focused = match self.client.active_element().await {
                Ok(f) => f.attr("id").await?.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if focused == id {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("focus never reached #{id} (on {focused:?})");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until `css` exists and its text equals `want`.
    pub async fn wait_text(&self, css: &str, want: &str, secs: u64) -> Result<()> {
        self.wait_text_where(css, secs, |t| t == want).await.with_context(|| format!("{css} never read {want:?}"))
    }

    /// Waits until the element's text contains `part` (a status panel that fills in as the
    /// account's facts arrive).
    pub async fn wait_text_contains(&self, css: &str, part: &str, secs: u64) -> Result<()> {
        self.wait_text_where(css, secs, |t| t.contains(part))
            .await
            .with_context(|| format!("{css} never held {part:?}"))
    }

    async fn wait_text_where(&self, css: &str, secs: u64, ok: impl Fn(&str) -> bool) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut last = None;
        while Instant::now() < deadline {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                last = el.text().await.ok();
                if last.as_deref().is_some_and(&ok) {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("last read {last:?}")
    }

    /// Saves a screenshot of the app's window as the X server shows it (what a user sees), after
    /// two animation frames so the last DOM change is drawn.
    ///
    /// Not WebDriver's screenshot: that asks WebKit for a snapshot of the web view, which never
    /// answers when the app draws without accelerated compositing (as it does on Linux, see
    /// src-tauri/src/main.rs and docs/tauri-platform.md).
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await?;
        let path = artifacts_dir().join(name);
        let windows = x11::visible_windows();
        let [window] = windows[..] else { bail!("screenshot {name}: {} app windows shown, not one", windows.len()) };
        x11::screenshot_window(window, &path)?;
        Ok(path)
    }

    /// Ends the session and every process of it (the driver's group is killed on drop too).
    pub async fn close(mut self) -> Result<()> {
        let r = self.client.clone().close().await;
        self.driver.kill();
        r.map_err(Into::into)
    }
}

/// The user on the simulator's authorize page: loads it, checks it offers Allow and Deny,
/// clicks one, and returns where amoCRM redirects (not followed).
pub async fn decide(authorize_url: &str, allow: bool) -> Result<String> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let page = http.get(authorize_url).send().await?.text().await?;
    if !(page.contains("id=\"allow\"") && page.contains("id=\"deny\"")) {
        bail!("the authorize page offers no Allow/Deny: {page}");
    }
    let u = url::Url::parse(authorize_url)?;
    let q = |k: &str| u.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned()).unwrap_or_default();
    let decided = http
        .post(format!("{}/oauth/decision", u.origin().ascii_serialization()))
        .form(&[
            ("client_id", q("client_id")),
            ("state", q("state")),
            ("decision", (if allow { "allow" } else { "deny" }).to_string()),
        ])
        .send()
        .await?;
    location(&decided)
}

/// Where a simulator that decides by itself redirects the browser (not followed).
pub async fn redirect_location(authorize_url: &str) -> Result<String> {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    location(&http.get(authorize_url).send().await?)
}

fn location(r: &reqwest::Response) -> Result<String> {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no redirect (status {})", r.status()))
}

/// [`decide`], then the browser follows amoCRM's redirect to the app's loopback listener.
/// Returns the status and body of the page the listener answered with.
pub async fn browser_decide(authorize_url: &str, allow: bool) -> Result<(u16, String)> {
    let landed = reqwest::get(decide(authorize_url, allow).await?).await?;
    let status = landed.status().as_u16();
    Ok((status, landed.text().await?))
}

/// An XEmbed system tray on the screen (trayer, as in Xfce, MATE or LXDE panels): the app hides
/// to the tray only when a tray host is there to show its icon. Kill the group to remove it.
pub fn tray_host() -> Result<Group> {
    let spawn = || {
        Group::spawn(Command::new("trayer").args([
            "--edge",
            "top",
            "--align",
            "right",
            "--widthtype",
            "request",
            "--height",
            "32",
            "--transparent",
            "false",
            "--tint",
            "0xdddddd",
        ]))
    };
    // Up once its panel is mapped (it then owns _NET_SYSTEM_TRAY_S0). A trayer that could not
    // open the display (an X server between its last client and the next: see `-noreset` in
    // scripts/test-all.sh) exits at once; it is started again.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut g = spawn()?;
    while x11::named("^panel$").is_empty() {
        if Instant::now() > deadline {
            bail!("trayer did not come up");
        }
        if g.exited() {
            std::thread::sleep(Duration::from_millis(200));
            g = spawn()?;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(g)
}

/// The app's top-level X windows as the X server sees them (under Xvfb, with no window manager).
pub mod x11 {
    use std::process::Command;

    use anyhow::{Context, Result};
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt, EventMask};

    /// Ids of the mapped windows titled "Amo Connect".
    pub fn visible_windows() -> Vec<u32> {
        named("^Amo Connect$")
    }

    /// Ids of the mapped windows whose name matches `pattern` (a regular expression).
    pub fn named(pattern: &str) -> Vec<u32> {
        let out = Command::new("xdotool").args(["search", "--onlyvisible", "--name", pattern]).output();
        out.map(|o| String::from_utf8_lossy(&o.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect())
            .unwrap_or_default()
    }

    /// (x, y, width, height) of a window on the screen.
    pub fn geometry(window: u32) -> Result<(i32, i32, i32, i32)> {
        let out = Command::new("xdotool").args(["getwindowgeometry", "--shell", &window.to_string()]).output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let get = |k: &str| -> Result<i32> {
            let line =
                text.lines().find(|l| l.starts_with(&format!("{k}="))).with_context(|| format!("{k} of {window}"))?;
            Ok(line[k.len() + 1..].trim().parse()?)
        };
        Ok((get("X")?, get("Y")?, get("WIDTH")?, get("HEIGHT")?))
    }

    /// A left click at a point of the screen.
    pub fn click(x: i32, y: i32) -> Result<()> {
        let ok = Command::new("xdotool")
            .args(["mousemove", &x.to_string(), &y.to_string(), "click", "1"])
            .status()?
            .success();
        anyhow::ensure!(ok, "xdotool click at {x},{y} failed");
        Ok(())
    }

    /// The whole screen as a PNG (ImageMagick's `import`).
    pub fn screenshot(path: &std::path::Path) -> Result<()> {
        let ok = Command::new("import").args(["-window", "root"]).arg(path).status()?.success();
        anyhow::ensure!(ok, "import -window root failed");
        Ok(())
    }

    /// One window's contents as a PNG (ImageMagick's `import -window ID`).
    pub fn screenshot_window(window: u32, path: &std::path::Path) -> Result<()> {
        let ok = Command::new("import").args(["-window", &window.to_string()]).arg(path).status()?.success();
        anyhow::ensure!(ok, "import -window {window} failed");
        Ok(())
    }

    /// What a window manager sends when the user clicks the window's close button:
    /// `WM_PROTOCOLS`/`WM_DELETE_WINDOW` to each window titled "Amo Connect". The app may then
    /// close or, as it decides, hide.
    pub fn request_close() -> Result<usize> {
        let windows = visible_windows();
        let (conn, _) = x11rb::connect(None).context("connect to the X server")?;
        let protocols = conn.intern_atom(false, b"WM_PROTOCOLS")?.reply()?.atom;
        let delete = conn.intern_atom(false, b"WM_DELETE_WINDOW")?.reply()?.atom;
        for &w in &windows {
            let event = ClientMessageEvent::new(32, w, protocols, [delete, 0, 0, 0, 0]);
            conn.send_event(false, w, EventMask::NO_EVENT, event)?;
        }
        conn.flush()?;
        Ok(windows.len())
    }

    /// Presses a key combination as a keyboard would (`xdotool key ctrl+alt+k`).
    pub fn press(keys: &str) -> Result<()> {
        let ok = Command::new("xdotool").args(["key", keys]).status()?.success();
        anyhow::ensure!(ok, "xdotool key {keys} failed");
        Ok(())
    }
}
