//! Phone numbers and e-mail addresses as people type them into the lead and contact forms (and
//! the CLI's `--phone`/`--email`). Runs `domain::phone::normalize_phone` for both platforms and
//! `valid_email`. A number is accepted only in international form (`+` and 8–15 digits, no
//! leading 0), normalising is idempotent on either platform, the digits typed after a `+` are
//! kept as they are, and a refusal is one of the two field codes.
#![no_main]

use amo_core::domain::phone::{normalize_phone, valid_email};
use amo_core::domain::platform::Platform;
use amo_core::error::FieldCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    for platform in [Platform::Amocrm, Platform::Kommo] {
        match normalize_phone(raw, platform) {
            Ok(p) => {
                let digits = p.strip_prefix('+').expect("starts with +");
                assert!((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()), "{p}");
                assert!(!digits.starts_with('0'), "{p}");
                for again in [Platform::Amocrm, Platform::Kommo] {
                    assert_eq!(normalize_phone(&p, again).as_deref(), Ok(p.as_str()), "not idempotent");
                }
                let typed: String = raw.chars().filter(char::is_ascii_digit).collect();
                if raw.trim_start().starts_with('+') {
                    assert_eq!(typed, digits, "digits after + are kept");
                } else if platform == Platform::Kommo {
                    // Without a country code only `00…` is accepted outside amoCRM.ru.
                    assert_eq!(format!("00{digits}"), typed, "{raw:?} → {p}");
                } else {
                    assert!(typed.ends_with(&digits[1..]) || format!("00{digits}") == typed, "{raw:?} → {p}");
                }
            }
            Err(code) => assert!(matches!(code, FieldCode::InvalidPhone | FieldCode::PhoneNeedsCountryCode)),
        }
    }
    if valid_email(raw) {
        assert_eq!(raw.matches('@').count(), 1);
        assert!(raw.len() <= 254 && !raw.chars().any(char::is_whitespace));
        let (_, domain) = raw.split_once('@').expect("@");
        assert!(domain.contains('.'));
    }
});
