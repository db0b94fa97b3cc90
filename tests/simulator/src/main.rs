//! `amo-sim`: run the amoCRM simulator on its own, for the demo or by hand.
//!
//! ```text
//! amo-sim --port 8765 [--auto approve|deny] [--platform amocrm|kommo] [--subdomain acme] [--demo-account]
//! ```
//! It prints its base URL (give it to the app as `AMO_CONNECT_SERVER`) and runs until killed.
//! `--demo-account` starts it with the demo's customers, leads, notes and tasks (`amo_sim::demo`).

use clap::Parser;

use amo_sim::{Decision, SimConfig, SimPlatform, Simulator};

#[derive(Parser)]
#[command(name = "amo-sim", about = "A local amoCRM/Kommo simulator for Amo Connect (127.0.0.1 only)")]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// Answer the authorize page by itself instead of showing Allow / Deny.
    #[arg(long, value_parser = ["approve", "deny"])]
    auto: Option<String>,
    #[arg(long, default_value = "amocrm", value_parser = ["amocrm", "kommo"])]
    platform: String,
    #[arg(long, default_value = "acme")]
    subdomain: String,
    #[arg(long, default_value = "Acme Trading")]
    account_name: String,
    /// Integration ID the simulator accepts.
    #[arg(long, default_value = amo_sim::DEMO_CLIENT_ID)]
    client_id: String,
    /// Secret key the simulator accepts (read from this environment variable, never argv).
    #[arg(long, default_value = "AMO_SIM_CLIENT_SECRET")]
    client_secret_env: String,
    /// The Redirect URI "registered" for the integration.
    #[arg(long, default_value = amo_sim::DEMO_REDIRECT_URI)]
    redirect_uri: String,
    /// Access token lifetime in seconds.
    #[arg(long, default_value_t = 86_400)]
    access_token_ttl: i64,
    /// Start with a furniture shop's account: 300 customers, 40 companies, leads in both
    /// pipelines, notes and calls, tasks due today, overdue and done (the demo's data).
    #[arg(long)]
    demo_account: bool,
    /// The demo account's seed: the same seed gives the same account.
    #[arg(long, default_value_t = amo_sim::demo::DEMO_SEED, requires = "demo_account")]
    demo_seed: u64,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    let cfg = SimConfig {
        client_id: a.client_id,
        client_secret: std::env::var(&a.client_secret_env).unwrap_or_else(|_| amo_sim::DEMO_CLIENT_SECRET.to_string()),
        redirect_uri: a.redirect_uri,
        subdomain: a.subdomain,
        platform: if a.platform == "kommo" { SimPlatform::Kommo } else { SimPlatform::Amocrm },
        account_name: a.account_name,
        access_token_ttl: a.access_token_ttl,
        decision: match a.auto.as_deref() {
            Some("approve") => Decision::Approve,
            Some("deny") => Decision::Deny,
            _ => Decision::Manual,
        },
        ..SimConfig::default()
    };
    let host = cfg.account_host();
    let sim = Simulator::start(cfg, a.port).await?;
    // Seeded before this task first yields (a current-thread runtime), so no request is answered
    // from an account still being filled.
    if a.demo_account {
        let d = sim.seed_demo_account(a.demo_seed)?;
        eprintln!(
            "amo-sim: demo account: {} contacts, {} companies, {} leads, {} notes; tasks: {} due today, {} overdue, {} later, {} done",
            d.contacts, d.companies, d.leads, d.notes, d.tasks_due_today, d.tasks_overdue, d.tasks_later, d.tasks_completed
        );
    }
    println!("{}", sim.url());
    eprintln!("amo-sim: amoCRM simulator for account {host} listening on {} (Ctrl+C to stop)", sim.url());
    tokio::signal::ctrl_c().await?;
    sim.stop().await;
    Ok(())
}
