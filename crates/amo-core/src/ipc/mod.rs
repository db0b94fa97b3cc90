//! The window's typed contract: command names with their argument and result types, and event
//! names with their payloads, declared once in `contract.rs` and exported to TypeScript
//! (`ui/src/lib/ipc/contract.ts`). The payload types themselves are exported by ts-rs to
//! `ui/src/lib/bindings/`. CI regenerates both and fails when the committed files differ.
//!
//! Why ts-rs rather than specta/tauri-specta: ts-rs is stable and already exports every payload
//! type; tauri-specta would tie the core to Tauri (it needs the command functions) and is a
//! release candidate. The ~60 lines here are what tauri-specta would add.

use ts_rs::TS;

#[allow(unused_imports)] // every type named in the contract must be in scope here
use crate::domain::{
    change::{LeadChangeDraft, LossReason, TaskChangeDraft},
    desktop::DesktopView,
    draft::{CallDraft, ContactDraft, Draft, FollowupDraft, LeadDraft},
    fields::{FormEntity, FormLayout},
    lead_card::LeadCard,
    my_tasks::TaskList,
    outbox::{OutboxItem, OutboxSummary},
    people::{CopyStatus, CustomerLookup, SyncReport},
    reference::{CompanyMatch, ContactMatch, LeadSummary, RecordKind, ReferenceData, SearchResults},
    settings::SettingsPatch,
    update::{UpdateCheck, UpdateOffer, UpdateProgress, UpdateStatus},
    views::{ConnectOutcome, ConnectStarted, OpenRequest, SettingsView, StatusView},
};
#[allow(unused_imports)]
use crate::error::ErrorPayload;

include!("contract.rs");

/// One command as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub name: &'static str,
    pub doc: &'static str,
    /// (argument name, TypeScript type)
    pub args: Vec<(&'static str, String)>,
    pub result: String,
}

/// One event as the UI sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSpec {
    pub key: &'static str,
    pub name: &'static str,
    pub doc: &'static str,
    pub payload: String,
}

/// The TypeScript type of `T`. JavaScript numbers hold amoCRM's ids exactly (< 2^53), so 64-bit
/// integers travel as `number`, as the payload types already declare them.
fn ts<T: TS>() -> String {
    T::name().replace("bigint", "number")
}

macro_rules! command_specs {
    ($( $(#[doc = $doc:literal])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty ; )*) => {
        vec![$(CommandSpec {
            name: stringify!($name),
            doc: concat!($($doc),*),
            args: vec![$((stringify!($arg), ts::<$ty>())),*],
            result: ts::<$ret>(),
        }),*]
    };
}

macro_rules! event_specs {
    ($( $(#[doc = $doc:literal])* $key:ident = $name:literal : $ty:ty ; )*) => {
        vec![$(EventSpec { key: stringify!($key), name: $name, doc: concat!($($doc),*), payload: ts::<$ty>() }),*]
    };
}

pub fn commands() -> Vec<CommandSpec> {
    for_each_command!(command_specs)
}

pub fn events() -> Vec<EventSpec> {
    for_each_event!(event_specs)
}

/// Event names for the shell (the same list as [`events`]).
pub mod event {
    macro_rules! event_consts {
        ($( $(#[doc = $doc:literal])* $key:ident = $name:literal : $ty:ty ; )*) => {
            $( $(#[doc = $doc])* #[allow(non_upper_case_globals)] pub const $key: &str = $name; )*
        };
    }
    for_each_event!(event_consts);
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The imports a TypeScript type expression needs: its capitalised identifiers.
fn type_names(ts: &str) -> impl Iterator<Item = &str> {
    ts.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase()) && !matches!(*w, "Array" | "Record"))
}

/// `ui/src/lib/ipc/contract.ts`.
pub fn typescript() -> String {
    let (commands, events) = (commands(), events());
    let mut names: Vec<&str> = commands
        .iter()
        .flat_map(|c| c.args.iter().map(|(_, t)| t.as_str()).chain([c.result.as_str()]))
        .chain(events.iter().map(|e| e.payload.as_str()))
        .flat_map(type_names)
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out = String::from(
        "// Generated from crates/amo-core/src/ipc/contract.rs by the core's tests\n\
         // (`cargo test -p amo-core ipc`). Do not edit: change the contract and rerun.\n",
    );
    for n in names {
        out.push_str(&format!("import type {{ {n} }} from '../bindings/{n}';\n"));
    }
    out.push_str("\n/** Every command: its arguments and what it resolves to (it rejects with an ErrorPayload). */\nexport interface Commands {\n");
    for c in &commands {
        let args: Vec<String> = c.args.iter().map(|(n, t)| format!("{n}: {t}")).collect();
        let args =
            if args.is_empty() { "Record<string, never>".to_string() } else { format!("{{ {} }}", args.join("; ")) };
        out.push_str(&format!("  /** {} */\n  {}: {{ args: {args}; result: {} }};\n", c.doc.trim(), c.name, c.result));
    }
    out.push_str("}\n\nexport type CommandName = keyof Commands;\n\n/** Every event the backend pushes, by name, with its payload. */\nexport interface Events {\n");
    for e in &events {
        out.push_str(&format!("  /** {} */\n  '{}': {};\n", e.doc.trim(), e.name, e.payload));
    }
    out.push_str(
        "}\n\nexport type EventName = keyof Events;\n\n/** Event names, to listen with. */\nexport const EVENT = {\n",
    );
    for e in &events {
        out.push_str(&format!("  {}: '{}',\n", camel(e.key), e.name));
    }
    out.push_str("} as const satisfies Record<string, EventName>;\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_ipc_contract() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/ipc/contract.ts");
        let ts = typescript();
        if std::fs::read_to_string(&path).ok().as_deref() != Some(ts.as_str()) {
            std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
            std::fs::write(&path, ts).expect("write contract.ts");
        }
    }

    #[test]
    fn the_contract_is_well_formed() {
        let cmds = commands();
        let mut names: Vec<_> = cmds.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cmds.len(), "duplicate command");
        let c = cmds.iter().find(|c| c.name == "outbox_retry").expect("outbox_retry");
        assert_eq!(c.args, vec![("id", "number | null".to_string())]);
        assert_eq!(cmds.iter().find(|c| c.name == "outbox_list").expect("list").result, "Array<OutboxItem>");
        assert_eq!(cmds.iter().find(|c| c.name == "outbox_discard").expect("discard").result, "null");
        assert!(cmds.iter().all(|c| !c.doc.trim().is_empty()), "every command says what it does");
        assert_eq!(event::status_changed, "status-changed");
        assert!(typescript().contains("import type { StatusView } from '../bindings/StatusView';"));
    }

    /// The window may call exactly the contract's commands: each has its permission in the
    /// capability and a line in the capabilities README that says why.
    #[test]
    fn every_command_has_a_permission_and_a_reason() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../src-tauri/capabilities");
        let cap: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("default.json")).expect("default.json"))
                .expect("json");
        let granted: Vec<String> = cap["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-").map(str::to_string))
            .collect();
        let readme = std::fs::read_to_string(dir.join("README.md")).expect("README.md");
        let mut expected: Vec<String> = commands().iter().map(|c| c.name.replace('_', "-")).collect();
        for name in &expected {
            assert!(readme.contains(&format!("`allow-{name}`")), "capabilities/README.md does not explain {name}");
        }
        expected.sort();
        let mut granted = granted;
        granted.sort();
        assert_eq!(granted, expected, "capabilities/default.json must grant exactly the contract's commands");
    }
}
