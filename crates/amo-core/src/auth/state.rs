//! Sign-in `state` values: the CSRF guard of the OAuth redirect (amoCRM documents no PKCE).
//! 32 random bytes from the OS, base64url; valid 15 minutes, usable once (`store::oauth_states`
//! keeps only their hash).

use base64::Engine;
use rand::RngCore;

/// 15 minutes, as in the original integration.
pub const STATE_TTL_SECS: i64 = 15 * 60;

/// A fresh state after a visible prefix. The HTTPS bounce page reads the prefix to know where to
/// forward (`l53682.` → loopback port 53682, `d.` → deep link); the random part is the guard.
pub fn new_state(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_long_random_and_keep_their_prefix() {
        let (a, b) = (new_state(""), new_state("l53682."));
        assert_eq!(a.len(), 43);
        assert!(b.starts_with("l53682.") && b.len() == 50);
        assert_ne!(new_state(""), a);
    }
}
