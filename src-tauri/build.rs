fn main() {
    // The app's commands go under the ACL: the window may call exactly those its capability
    // lists (capabilities/README.md explains each).
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(&[
        "get_status",
        "get_settings",
        "save_settings",
        "connect_start",
        "connect_cancel",
        "disconnect",
        "cleanup_states",
        "refresh_now",
        "connect_with_code",
        "connect_with_token",
        "reference_data",
        "find_duplicates",
        "submit_lead",
        "submit_contact",
        "outbox_list",
        "outbox_summary",
        "outbox_retry",
        "outbox_update",
        "outbox_discard",
        "open_in_amocrm",
        "check_for_update",
        "update_status",
        "install_update",
    ])))
    .expect("tauri build script failed");
}
