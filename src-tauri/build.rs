// The window's commands go under the ACL: the window may call exactly those its capability
// lists (capabilities/README.md explains each). Their names come from the one contract the core,
// the shell and the UI share.
#[macro_use]
#[allow(unused_macros)]
mod contract {
    include!("../crates/amo-core/src/ipc/contract.rs");
}

macro_rules! command_names {
    ($( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty ; )*) => {
        &[$(stringify!($name)),*]
    };
}

const COMMANDS: &[&str] = for_each_command!(command_names);

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script failed");
}
