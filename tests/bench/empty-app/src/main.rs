//! An empty Tauri app: one window showing a static page, no plugins, no commands. It exists only
//! as the baseline `scripts/bench.sh` measures Amo Connect against (launch to first paint, memory,
//! idle CPU), built from the same Tauri version (the workspace's lockfile) and release profile.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("the empty app could not start: {e}");
        std::process::exit(1);
    }
}
