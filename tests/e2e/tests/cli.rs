//! The CLI journey with the real binary and the real Secret Service:
//! `config … → connect --no-browser → (browser hits the URL) → status --json`.

use amo_e2e::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_connect_status_with_a_forged_and_a_replayed_callback() -> anyhow::Result<()> {
    let (sim, redirect_uri) = simulator(Decision::Manual).await?;
    let env = AppEnv::new(&sim)?;
    for args in [
        vec!["config", "set", "platform", "amocrm"],
        vec!["config", "set", "client-id", DEMO_CLIENT_ID],
        vec!["config", "set", "redirect-uri", redirect_uri.as_str()],
    ] {
        let (code, _, err) = env.cli(&args, None)?;
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let (code, out, err) = env.cli(&["config", "set-secret"], Some(&format!("{DEMO_CLIENT_SECRET}\n")))?;
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(DEMO_CLIENT_SECRET));

    let run = env.spawn_connect(60)?;
    let url = run.url.clone();
    assert!(url.starts_with(&format!("{}/oauth?client_id={DEMO_CLIENT_ID}&state=", sim.url())), "{url}");

    // A forged callback first: refused, and the CLI keeps waiting.
    let forged = reqwest::get(format!("{redirect_uri}?code=def502evil&state=forged&referer=acme.amocrm.ru")).await?;
    assert_eq!(forged.status(), 400);
    assert!(forged.text().await?.contains("state_unknown"));

    // The user allows access; the browser follows the redirect to the CLI's listener.
    let callback = decide(&url, true).await?;
    let landed = reqwest::get(&callback).await?;
    assert_eq!(landed.status(), 200);

    let (code, rest, err) = run.finish().await?;
    assert_eq!(code, 0, "connect failed: {err}");
    assert!(rest.contains("Connected: Acme Trading (acme.amocrm.ru)"), "{rest}");

    let (code, out, _) = env.cli(&["status", "--json"], None)?;
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out)?;
    assert_eq!(v["connected"], true);
    assert_eq!(v["domain"], "acme.amocrm.ru");
    assert_eq!(v["account_id"], 31_415_926);
    assert_eq!(v["account_name"], "Acme Trading");
    assert_eq!(v["auth_kind"], "oauth");
    assert_eq!(v["is_expired"], false);
    let exp = chrono_like_rfc3339(v["expires_at"].as_str().unwrap_or_default());
    assert!(exp, "expires_at is RFC 3339: {}", v["expires_at"]);
    assert!(v["access_token_masked"].as_str().unwrap_or_default().contains('…'));

    // The replayed callback is refused by the next sign-in's listener; the connection stands.
    let again = env.spawn_connect(3)?;
    let replay = reqwest::get(&callback).await?;
    assert_eq!(replay.status(), 400);
    assert!(replay.text().await?.contains("state_replayed"));
    let (code, _, err) = again.finish().await?;
    assert_eq!(code, 1);
    assert!(err.lines().last().unwrap_or_default().starts_with("error[connect_timeout]: "), "{err}");
    assert_eq!(sim.stats().code_exchanges, 1);

    // Nothing secret under the data directory: not the tokens, not the Secret key.
    let files = env.all_file_bytes();
    for token in sim.issued_tokens() {
        assert!(!contains(&files, tail(&token)), "a token reached the data directory");
    }
    assert!(!contains(&files, DEMO_CLIENT_SECRET));
    assert!(!contains(&files, &callback), "the callback URL reached the data directory");

    let (code, out, _) = env.cli(&["cleanup"], None)?;
    assert_eq!((code, out.trim()), (0, "Removed 0 expired sign-in states."));
    let (code, out, _) = env.cli(&["disconnect"], None)?;
    assert_eq!((code, out.trim()), (0, "Disconnected: tokens removed from the keychain."));
    let (_, out, _) = env.cli(&["status", "--json"], None)?;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out)?["connected"], false);
    Ok(())
}

/// `2026-11-24T07:00:00Z`-shaped.
fn chrono_like_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':' && b[19] == b'Z'
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_is_a_one_line_error_with_its_code() -> anyhow::Result<()> {
    let (sim, redirect_uri) = simulator(Decision::Approve).await?;
    let env = AppEnv::new(&sim)?;
    env.cli(&["config", "set", "client-id", DEMO_CLIENT_ID], None)?;
    env.cli(&["config", "set", "redirect-uri", &redirect_uri], None)?;
    env.cli(&["config", "set-secret"], Some("definitely-wrong"))?;
    let run = env.spawn_connect(30)?;
    let _ = reqwest::get(&run.url).await?; // auto-approve → redirect → listener → exchange fails
    let (code, _, err) = run.finish().await?;
    assert_eq!(code, 1);
    assert!(err.lines().last().unwrap_or_default().starts_with("error[invalid_client_secret]: "), "{err}");
    Ok(())
}

/// The window and CLI commands run at once: with a token amoCRM rejects, three `status --refresh`
/// processes sharing the real keychain cause exactly one refresh per expiry, never a reused
/// refresh token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_cli_processes_refresh_a_rejected_token_exactly_once() -> anyhow::Result<()> {
    let (sim, redirect_uri) =
        simulator_with(SimConfig { decision: Decision::Approve, rate_limit_per_sec: 10_000, ..SimConfig::default() })
            .await?;
    let env = AppEnv::new(&sim)?;
    env.connect_via_cli(&redirect_uri).await?;
    for round in 1..=5u64 {
        sim.expire_access_tokens();
        // Concurrent processes; waited for off the runtime that also serves the simulator.
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let vars = env.vars();
                tokio::task::spawn_blocking(move || {
                    std::process::Command::new(app_binary()).args(["status", "--refresh", "--json"]).envs(vars).output()
                })
            })
            .collect();
        for h in handles {
            let out = h.await??;
            assert!(out.status.success(), "round {round}: {}", String::from_utf8_lossy(&out.stderr));
            let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
            assert_eq!(v["connected"], true);
            assert_eq!(v["reconnect_needed"], false);
        }
        let s = sim.stats();
        assert_eq!((s.refreshes, s.reused_refresh_tokens), (round, 0), "round {round}");
    }
    Ok(())
}

/// Ctrl-C (and SIGTERM) while a refresh is in flight: amoCRM has already spent the old refresh
/// token and holds its answer back; the CLI waits for the answer and keeps the new tokens before
/// it exits, so the connection lives on and no refresh token is ever sent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_during_a_refresh_waits_for_the_new_tokens() -> anyhow::Result<()> {
    let (sim, redirect_uri) =
        simulator_with(SimConfig { decision: Decision::Approve, rate_limit_per_sec: 10_000, ..SimConfig::default() })
            .await?;
    let env = AppEnv::new(&sim)?;
    env.connect_via_cli(&redirect_uri).await?;
    sim.set_token_answer_delay(1_500);
    for (round, signal) in [(1u64, "-INT"), (2, "-TERM")] {
        sim.expire_access_tokens(); // the next call meets a 401 and refreshes
        let child = std::process::Command::new(app_binary())
            .args(["status", "--refresh", "--json"])
            .envs(env.vars())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()?;
        // Interrupt once amoCRM has carried the refresh out and is holding the answer back.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while sim.stats().refreshes < round && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(sim.stats().refreshes, round, "the refresh reached amoCRM");
        let sent = std::process::Command::new("kill").args([signal, &child.id().to_string()]).status()?;
        assert!(sent.success());
        let out = tokio::task::spawn_blocking(move || child.wait_with_output()).await??;
        let expected = if signal == "-INT" { 130 } else { 143 };
        assert_eq!(out.status.code(), Some(expected), "{}", String::from_utf8_lossy(&out.stderr));
    }
    sim.set_token_answer_delay(0);
    // The next process refreshes with the newest refresh token: nothing was lost or spent twice.
    sim.expire_access_tokens();
    let (code, out, err) = env.cli(&["status", "--refresh", "--json"], None)?;
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out)?;
    assert_eq!((v["connected"].as_bool(), v["reconnect_needed"].as_bool()), (Some(true), Some(false)));
    let s = sim.stats();
    assert_eq!((s.refreshes, s.reused_refresh_tokens), (3, 0));
    Ok(())
}

/// `connect --code CODE --domain HOST` and `connect --long-lived-token-stdin --domain HOST`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pasted_code_and_long_lived_token_connect_from_the_cli() -> anyhow::Result<()> {
    let (sim, redirect_uri) = simulator(Decision::Manual).await?;
    let env = AppEnv::new(&sim)?;
    env.cli(&["config", "set", "client-id", DEMO_CLIENT_ID], None)?;
    env.cli(&["config", "set", "redirect-uri", &redirect_uri], None)?;
    env.cli(&["config", "set-secret"], Some(DEMO_CLIENT_SECRET))?;

    let code = sim.issue_code();
    let (rc, out, err) = env.cli(&["connect", "--code", &code, "--domain", "acme.amocrm.ru"], None)?;
    assert_eq!(rc, 0, "{err}");
    assert_eq!(out.trim(), "Connected: Acme Trading (acme.amocrm.ru)");
    let (_, out, _) = env.cli(&["status", "--json"], None)?;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out)?["auth_kind"], "oauth");
    let (rc, _, err) = env.cli(&["connect", "--code", &code, "--domain", "acme.amocrm.ru"], None)?;
    assert_eq!(rc, 1);
    assert!(err.starts_with("error[code_revoked]: "), "{err}");

    let token = sim.issue_long_lived(2 * 24 * 3600);
    let (rc, _, err) =
        env.cli(&["connect", "--long-lived-token-stdin", "--domain", "acme.amocrm.ru"], Some(&format!("{token}\n")))?;
    assert_eq!(rc, 0, "{err}");
    let (_, out, _) = env.cli(&["status", "--json"], None)?;
    let v: serde_json::Value = serde_json::from_str(&out)?;
    assert_eq!((v["auth_kind"].as_str(), v["expires_soon"].as_bool()), (Some("long_lived"), Some(true)));
    let (_, text, _) = env.cli(&["status"], None)?;
    assert!(text.contains("expires within a week"), "{text}");

    let (rc, _, err) =
        env.cli(&["connect", "--long-lived-token-stdin", "--domain", "acme.amocrm.ru"], Some("garbage"))?;
    assert_eq!(rc, 1);
    assert!(err.starts_with("error[token_invalid]: "), "{err}");
    let (rc, _, _) = env.cli(&["connect", "--code", "x"], None)?;
    assert_eq!(rc, 2, "--code needs --domain");

    let files = env.all_file_bytes();
    assert!(!contains(&files, tail(&token)), "the long-lived token reached the data directory");
    Ok(())
}
