// No console window for the GUI on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if amo_core::cli::is_cli_invocation(&args) {
        std::process::exit(amo_core::cli::main(args));
    }
    amo_connect_lib::run();
}
