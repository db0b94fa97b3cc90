//! Shared set-up for the core's integration tests: a free loopback port, and an app in a temp
//! data directory configured for the simulator's demo integration.
// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use amo_core::config::SettingsPatch;
use amo_core::endpoints::Endpoints;
use amo_core::paths::DataDir;
use amo_core::secrets::SecretStore;
use amo_core::AmoConnect;
use amo_sim::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// An app whose every amoCRM URL goes to `server`, with no settings yet.
pub fn open(data: &Path, store: Arc<dyn SecretStore>, server: &str) -> AmoConnect {
    AmoConnect::open(DataDir::at(data).expect("data"), store, Endpoints::with_override(server).expect("e"))
        .expect("app")
}

/// Integration ID, Secret key and this Redirect URI of the simulator's demo integration.
pub async fn configure(app: &AmoConnect, redirect_uri: &str) {
    app.apply_settings(SettingsPatch {
        client_id: Some(DEMO_CLIENT_ID.into()),
        redirect_uri: Some(redirect_uri.into()),
        client_secret: Some(DEMO_CLIENT_SECRET.into()),
        ..Default::default()
    })
    .await
    .expect("settings");
}

/// `open` + `configure`.
pub async fn configured(data: &Path, store: Arc<dyn SecretStore>, server: &str, redirect_uri: &str) -> AmoConnect {
    let app = open(data, store, server);
    configure(&app, redirect_uri).await;
    app
}
