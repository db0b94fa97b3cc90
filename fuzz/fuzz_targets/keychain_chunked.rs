//! The keychain's chunked entries under damage: another program, a sync tool or a half-finished
//! write may leave any bytes in the header entry or in its parts. Runs the real
//! `keychain::chunked::ChunkedStore` over the in-memory store with Windows' 2560-byte limit, and
//! `Keychain::tokens` on top, with random sequences of the app's own writes and raw writes of
//! arbitrary bytes.
//!
//! Checked: a read returns the value last written, `None`, or `keychain_corrupt`/`keychain_refused`
//! — never a panic, a mix of two values or an allocation a damaged header asks for; untouched
//! entries read back exactly; replacing and deleting leave no orphaned parts.
#![no_main]

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use amo_core::keychain::chunked::{ChunkedStore, MAX_CHUNK, MAX_PARTS};
use amo_core::keychain::memory::MemoryStore;
use amo_core::keychain::{Keychain, SecretStore, TOKENS_KEY};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

const HEADER: &str = "amo-connect-chunked:v1:";
const KEYS: &[&str] = &[TOKENS_KEY, "client-secret", "k"];
/// Windows' Credential Manager limit.
const LIMIT: usize = 2560;

#[derive(Debug, Arbitrary)]
enum Value {
    /// `len` bytes of `fill` (long values, many parts).
    Filled {
        len: u16,
        fill: u8,
    },
    Bytes(Vec<u8>),
    /// Bytes that start like a header (the store must keep them as a value).
    HeaderLike(String),
}

#[derive(Debug, Arbitrary)]
enum Op {
    Set {
        key: u8,
        value: Value,
    },
    Get {
        key: u8,
    },
    Delete {
        key: u8,
    },
    /// Another program writes a header of its own making.
    RawHeader {
        key: u8,
        generation: String,
        count: String,
    },
    /// Another program writes bytes to an entry or to one of its parts (`key#generation#i`).
    RawWrite {
        key: u8,
        part: Option<(String, u8)>,
        bytes: Vec<u8>,
    },
    RawDelete {
        key: u8,
        part: Option<(String, u8)>,
    },
    /// The app reads its tokens.
    Tokens,
}

#[derive(Debug, Arbitrary)]
struct Input {
    chunk: u16,
    ops: Vec<Op>,
}

thread_local! {
    static RUNTIME: tokio::runtime::Runtime =
        // With timers: every keychain call runs under its timeout (keychain/mod.rs).
        tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
}

fn bytes(v: Value) -> Vec<u8> {
    match v {
        Value::Filled { len, fill } => vec![fill; usize::from(len)],
        Value::Bytes(b) => b,
        Value::HeaderLike(s) => format!("{HEADER}{s}").into_bytes(),
    }
}

fuzz_target!(|input: Input| {
    let mem = Arc::new(MemoryStore::with_limit(LIMIT));
    let chunk = usize::from(input.chunk).clamp(64, MAX_CHUNK);
    let store = Arc::new(ChunkedStore::with_chunk_size(mem.clone(), chunk));
    let keychain = Keychain::new(store.clone());
    // What each key should read as; keys whose entries another program touched are "unknown"
    // until the app writes or deletes them again.
    let mut model: HashMap<&str, Vec<u8>> = HashMap::new();
    let mut unknown: HashSet<&str> = HashSet::new();
    let mut raw_touched = false;

    for op in input.ops.into_iter().take(64) {
        match op {
            Op::Set { key, value } => {
                let k = KEYS[usize::from(key) % KEYS.len()];
                let v = bytes(value);
                match store.set(k, &v) {
                    Ok(()) => {
                        assert!(v.len() <= MAX_PARTS * chunk);
                        model.insert(k, v);
                        unknown.remove(k);
                    }
                    Err(e) => {
                        assert!(v.len() > MAX_PARTS * chunk || unknown.contains(k), "{e:?} for {} bytes", v.len());
                        common::check_error(&e, &["keychain_refused", "keychain_corrupt"]);
                        // A refused value changes nothing (a damaged old header stays damaged).
                    }
                }
            }
            Op::Get { key } => {
                let k = KEYS[usize::from(key) % KEYS.len()];
                match store.get(k) {
                    Ok(v) => {
                        if !unknown.contains(k) {
                            assert_eq!(v.as_ref(), model.get(k), "{k} reads as something else");
                        }
                        assert!(v.map_or(0, |v| v.len()) <= MAX_PARTS * LIMIT);
                    }
                    Err(e) => {
                        assert!(unknown.contains(k), "{k} written by the app reads as {e:?}");
                        common::check_error(&e, &["keychain_corrupt"]);
                    }
                }
            }
            Op::Delete { key } => {
                let k = KEYS[usize::from(key) % KEYS.len()];
                store.delete(k).expect("delete");
                assert_eq!(store.get(k).expect("a deleted entry reads"), None);
                model.remove(k);
                unknown.remove(k);
            }
            Op::RawHeader { key, generation, count } => {
                let k = KEYS[usize::from(key) % KEYS.len()];
                let _ = mem.set(k, format!("{HEADER}{generation}:{count}").as_bytes());
                unknown.insert(k);
                raw_touched = true;
            }
            Op::RawWrite { key, part, bytes } => {
                let k = KEYS[usize::from(key) % KEYS.len()];
                let _ = mem.set(&raw_key(k, &part), &bytes);
                unknown.insert(k);
                raw_touched = true;
            }
            Op::RawDelete { key, part } => {
                let k = KEYS[usize::from(key) % KEYS.len()];
                let _ = mem.delete(&raw_key(k, &part));
                unknown.insert(k);
                raw_touched = true;
            }
            Op::Tokens => {
                let read = RUNTIME.with(|rt| rt.block_on(keychain.tokens()));
                match read {
                    Ok(t) => {
                        if !unknown.contains(TOKENS_KEY) {
                            let want = model.get(TOKENS_KEY).and_then(|b| serde_json::from_slice(b).ok());
                            assert_eq!(t, want);
                        }
                    }
                    Err(e) => common::check_error(&e, &["keychain_corrupt"]),
                }
            }
        }
    }
    if !raw_touched {
        // No orphans: each value is one entry, or a header and exactly its parts.
        let entries: usize = model
            .values()
            .map(|v| {
                if v.len() <= chunk && !v.starts_with(HEADER.as_bytes()) {
                    1
                } else {
                    1 + v.len().div_ceil(chunk).max(1)
                }
            })
            .sum();
        assert_eq!(mem.len(), entries, "orphaned parts");
    }
});

fn raw_key(k: &str, part: &Option<(String, u8)>) -> String {
    match part {
        None => k.to_string(),
        Some((generation, i)) => format!("{k}#{generation}#{}", i % 70),
    }
}
