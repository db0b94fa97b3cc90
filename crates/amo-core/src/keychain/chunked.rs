//! Keeps every keychain entry under Windows' credential limit (2560 bytes,
//! docs/tauri-platform.md): amoCRM's JWT access token and refresh token together can exceed
//! it. Values up to [`MAX_CHUNK`] bytes are stored as they are; larger ones are split over entries
//! `key#<generation>#<i>`, and the entry `key` itself holds a small header naming the generation
//! and the count. The header is written last and old chunks are removed after it, so a reader
//! (another process) sees either the old value or the new one, never a mix.

use rand::RngCore;

use super::SecretStore;
use crate::error::{KeychainError, Result};

/// Bytes per entry; well under 2560 so platform overhead never matters.
pub const MAX_CHUNK: usize = 2048;
/// Parts a value may have (128 KiB): a header claiming more is damaged, not a reason to make
/// thousands of keychain calls.
pub const MAX_PARTS: usize = 64;
const HEADER: &str = "amo-connect-chunked:v1:";

pub struct ChunkedStore<S> {
    inner: S,
    chunk: usize,
}

impl<S: SecretStore> ChunkedStore<S> {
    pub fn new(inner: S) -> ChunkedStore<S> {
        ChunkedStore { inner, chunk: MAX_CHUNK }
    }

    /// With smaller parts (tests of stores tighter than Windows').
    pub fn with_chunk_size(inner: S, chunk: usize) -> ChunkedStore<S> {
        ChunkedStore { inner, chunk: chunk.clamp(64, MAX_CHUNK) }
    }

    fn header(&self, key: &str) -> Result<Option<(String, usize)>> {
        let Some(raw) = self.inner.get(key)? else { return Ok(None) };
        Ok(parse_header(&raw))
    }

    fn delete_chunks(&self, key: &str, generation: &str, count: usize) -> Result<()> {
        for i in 0..count {
            self.inner.delete(&chunk_key(key, generation, i))?;
        }
        Ok(())
    }
}

fn chunk_key(key: &str, generation: &str, i: usize) -> String {
    format!("{key}#{generation}#{i}")
}

fn parse_header(raw: &[u8]) -> Option<(String, usize)> {
    let text = std::str::from_utf8(raw).ok()?.strip_prefix(HEADER)?;
    let (generation, count) = text.split_once(':')?;
    let count: usize = count.parse().ok()?;
    let plausible = (1..=MAX_PARTS).contains(&count)
        && !generation.is_empty()
        && generation.len() <= 32
        && generation.chars().all(|c| c.is_ascii_hexdigit());
    plausible.then(|| (generation.to_string(), count))
}

impl<S: SecretStore> SecretStore for ChunkedStore<S> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let Some(raw) = self.inner.get(key)? else { return Ok(None) };
        if !raw.starts_with(HEADER.as_bytes()) {
            return Ok(Some(raw));
        }
        // `set` splits every value that starts like a header, so this is a header: a damaged
        // one is reported, never returned as the value.
        let Some((generation, count)) = parse_header(&raw) else {
            return Err(KeychainError::KeychainCorrupt { detail: format!("entry {key} has a damaged header") }.into());
        };
        let mut value = Vec::with_capacity(count * self.chunk);
        for i in 0..count {
            let part =
                self.inner.get(&chunk_key(key, &generation, i))?.ok_or_else(|| KeychainError::KeychainCorrupt {
                    detail: format!("entry {key} is incomplete (part {i} of {count} missing)"),
                })?;
            value.extend(part);
        }
        Ok(Some(value))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        if value.len() > MAX_PARTS * self.chunk {
            return Err(KeychainError::KeychainRefused {
                detail: format!("{} bytes is more than {} parts of {} bytes", value.len(), MAX_PARTS, self.chunk),
            }
            .into());
        }
        let previous = self.header(key)?;
        if value.len() <= self.chunk && !value.starts_with(HEADER.as_bytes()) {
            self.inner.set(key, value)?;
        } else {
            let mut g = [0u8; 6];
            rand::rngs::OsRng.fill_bytes(&mut g);
            let generation: String = g.iter().map(|b| format!("{b:02x}")).collect();
            let chunks: Vec<&[u8]> = value.chunks(self.chunk).collect();
            for (i, part) in chunks.iter().enumerate() {
                self.inner.set(&chunk_key(key, &generation, i), part)?;
            }
            self.inner.set(key, format!("{HEADER}{generation}:{}", chunks.len()).as_bytes())?;
        }
        if let Some((generation, count)) = previous {
            self.delete_chunks(key, &generation, count)?;
        }
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<()> {
        if let Some((generation, count)) = self.header(key)? {
            self.delete_chunks(key, &generation, count)?;
        }
        self.inner.delete(key)
    }
}

impl<S: SecretStore> SecretStore for std::sync::Arc<S> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        (**self).get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        (**self).set(key, value)
    }
    fn delete(&self, key: &str) -> Result<()> {
        (**self).delete(key)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::keychain::memory::MemoryStore;

    /// Windows' Credential Manager limit, enforced.
    const WINDOWS_LIMIT: usize = 2560;

    fn store() -> (Arc<MemoryStore>, ChunkedStore<Arc<MemoryStore>>) {
        let mem = Arc::new(MemoryStore::with_limit(WINDOWS_LIMIT));
        (mem.clone(), ChunkedStore::new(mem))
    }

    #[test]
    fn the_limit_store_really_refuses_long_values() {
        let (mem, _) = store();
        assert!(mem.set("k", &[b'x'; WINDOWS_LIMIT + 1]).is_err());
        assert!(mem.set("k", &[b'x'; WINDOWS_LIMIT]).is_ok());
    }

    #[test]
    fn long_values_round_trip_under_the_limit_and_replacing_leaves_no_orphans() {
        let (mem, s) = store();
        let big: Vec<u8> = (0..9000u32).map(|i| (i % 251) as u8).collect();
        s.set("oauth-tokens", &big).expect("set big");
        assert_eq!(s.get("oauth-tokens").expect("get").as_deref(), Some(&big[..]));
        assert_eq!(mem.len(), 1 + 9000usize.div_ceil(MAX_CHUNK));
        let bigger: Vec<u8> = (0..5000u32).map(|i| (i % 13) as u8).collect();
        s.set("oauth-tokens", &bigger).expect("replace");
        assert_eq!(s.get("oauth-tokens").expect("get").as_deref(), Some(&bigger[..]));
        assert_eq!(mem.len(), 1 + 5000usize.div_ceil(MAX_CHUNK), "old chunks removed");
        s.set("oauth-tokens", b"small").expect("shrink");
        assert_eq!(mem.len(), 1);
        assert_eq!(s.get("oauth-tokens").expect("get").as_deref(), Some(&b"small"[..]));
        s.set("oauth-tokens", &big).expect("grow");
        s.delete("oauth-tokens").expect("delete");
        assert!(mem.is_empty());
        assert_eq!(s.get("oauth-tokens").expect("get"), None);
    }

    #[test]
    fn a_value_that_looks_like_a_header_is_stored_safely() {
        let (_, s) = store();
        let tricky = format!("{HEADER}zz:3");
        s.set("k", tricky.as_bytes()).expect("set");
        assert_eq!(s.get("k").expect("get").as_deref(), Some(tricky.as_bytes()));
    }

    #[test]
    fn a_damaged_header_is_reported_without_thousands_of_calls() {
        let (mem, s) = store();
        for bad in [
            format!("{HEADER}abcdef:1000000"),
            format!("{HEADER}abcdef:0"),
            format!("{HEADER}zz$:2"),
            format!("{HEADER}x"),
        ] {
            mem.set("k", bad.as_bytes()).expect("raw");
            assert_eq!(s.get("k").expect_err(&bad).code().as_str(), "keychain_corrupt", "{bad}");
        }
        assert_eq!(
            s.set("k", &vec![1u8; MAX_PARTS * MAX_CHUNK + 1]).expect_err("huge").code().as_str(),
            "keychain_refused"
        );
        s.set("k", &vec![1u8; MAX_PARTS * MAX_CHUNK]).expect("the largest value fits");
    }

    #[test]
    fn a_missing_chunk_is_an_error_not_a_truncated_value() {
        let (mem, s) = store();
        s.set("k", &[7u8; 5000]).expect("set");
        let (generation, _) = parse_header(&mem.get("k").expect("g").expect("h")).expect("header");
        mem.delete(&chunk_key("k", &generation, 1)).expect("del");
        assert_eq!(s.get("k").expect_err("incomplete").code().as_str(), "keychain_corrupt");
    }
}
