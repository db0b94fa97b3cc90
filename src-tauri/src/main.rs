// No console window for the GUI on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if amo_cli::is_cli_invocation(&args) {
        #[cfg(windows)]
        attach_parent_console();
        std::process::exit(amo_cli::main(args));
    }
    #[cfg(target_os = "linux")]
    draw_without_compositing();
    amo_connect_lib::run();
}

/// WebKitGTK draws the page without its OpenGL compositor unless the user chose otherwise: the
/// app's forms need no layered compositing, and the web process then holds ~80 MiB less while
/// idle (docs/tauri-platform.md §12). `WEBKIT_DISABLE_COMPOSITING_MODE=0` keeps the compositor.
/// Set here, before GTK starts and before any thread exists, because WebKit reads it once when it
/// starts its web process and because changing the environment is not thread-safe.
#[cfg(target_os = "linux")]
fn draw_without_compositing() {
    const VAR: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
    if std::env::var_os(VAR).is_none() {
        std::env::set_var(VAR, "1");
    }
}

/// A Windows release build is a GUI program with no console of its own, so `amo-connect status`
/// typed in cmd or PowerShell would print nothing. Attach to the console it was started from
/// (the output then appears after the shell's prompt, as for any GUI program writing to it).
#[cfg(windows)]
#[allow(unsafe_code)]
fn attach_parent_console() {
    /// `(DWORD)-1`: the console of the parent process.
    const ATTACH_PARENT_PROCESS: u32 = u32::MAX;
    #[link(name = "kernel32")]
    extern "system" {
        fn AttachConsole(process_id: u32) -> i32;
    }
    // SAFETY: AttachConsole takes a plain integer and has no memory-safety preconditions; it fails
    // harmlessly (returns 0) when there is no parent console or one is already attached.
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}
