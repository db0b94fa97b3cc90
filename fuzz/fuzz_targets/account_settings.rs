//! The account's settings and time zone (docs/amocrm-api.md §8.1, §11.14): any bytes as the body
//! of `GET /api/v4/account?with=datetime_settings,task_types` (an empty body stands for 204),
//! with a day and a wall-clock time typed into a form and one zone of the database by index. Runs
//! the real `amocrm::wire::parse`, `amocrm::client::account_settings_answer` (what
//! `ApiClient::account_settings` makes of the answer), `amocrm::wire::zone_name` and
//! `domain::zone::Zone::of_account` and `Zone::named` (the rules the account's dates and due times
//! are read by), then puts the typed day's midnight and the typed time on the account zone's clock
//! and on the clock of the zone the index picks.
//!
//! Checked: no panic; a body that is not JSON is `unexpected_response`; the zone's name is kept
//! only when it is IANA-shaped (ASCII letters first, then letters, digits, `/ _ - +`, at most 64),
//! trimmed, and then exactly as given; an offset is read only from a sign and four digits (`HH:MM`
//! or `HHMM`), up to ±14:59, and every such offset is read; task types are exactly those described
//! as expected; `is_unsorted_on` as given; what amoCRM does not say — a 204, no settings — is
//! unknown, never UTC; every zone of the database is IANA-shaped and known by its name. The zone
//! is the named one when this build knows the name, else exactly amoCRM's offset, else this
//! computer's; a day's midnight is a moment of that day (or, for a day the zone skipped, the first
//! moment after it), never before it, and days follow each other; a typed time is that time on the
//! zone's clock, or the first moment after a gap it falls in; the RFC 3339 text the app stores
//! names each moment exactly (`corpus/account_settings/monrovia_lmt`: it did not, before
//! `Zone::rfc3339` wrote an offset with seconds rounded up to the minute).
#![no_main]

mod common;

use amo_core::amocrm::client::{account_settings_answer, AccountSettings};
use amo_core::amocrm::wire::{parse, zone_name};
use amo_core::domain::task::TaskType;
use amo_core::domain::zone::Zone;
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime};
use chrono_tz::{Tz, TZ_VARIANTS};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Longer than any run of wall-clock time a zone skipped (Samoa's day in 2011).
const LONGEST_GAP: Duration = Duration::hours(25);

/// The input: the typed day (two bytes, big-endian, days from 2000-01-01: 1910–2089), the typed
/// time (two bytes, big-endian, minutes of the day modulo 1 440), a zone of this build's database
/// (two bytes, big-endian, an index into `chrono_tz::TZ_VARIANTS`), then the body — plain text
/// after six bytes, so seeds are readable.
fn read(data: &[u8]) -> Option<(NaiveDate, NaiveDateTime, Tz, String)> {
    let &[d0, d1, m0, m1, z0, z1] = data.first_chunk::<6>()?;
    let epoch = NaiveDate::from_ymd_opt(2000, 1, 1)?;
    let day = epoch.checked_add_signed(Duration::days(i64::from(i16::from_be_bytes([d0, d1]))))?;
    let minutes = i64::from(u16::from_be_bytes([m0, m1]) % 1440);
    let typed = day.and_hms_opt(0, 0, 0)? + Duration::minutes(minutes);
    let tz = TZ_VARIANTS[usize::from(u16::from_be_bytes([z0, z1])) % TZ_VARIANTS.len()];
    Some((day, typed, tz, String::from_utf8_lossy(&data[6..]).into_owned()))
}

/// An IANA-shaped name, as the module docs of `account_settings_answer` describe it.
fn shaped(name: &str) -> Option<String> {
    let s = name.trim();
    let ok = (1..=64).contains(&s.len())
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c));
    ok.then(|| s.to_string())
}

/// The offset a canonical `±HH:MM` or `±HHMM` names, in range; `None` for any other text.
fn canonical_offset(text: &str) -> Option<i32> {
    let t = text.trim();
    let sign = match t.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &t[1..];
    let digits = match rest.len() {
        5 if rest.as_bytes()[2] == b':' => format!("{}{}", &rest[..2], &rest[3..]),
        4 => rest.to_string(),
        _ => return None,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn check_offset(text: Option<&str>, got: Option<i32>) {
    let Some(text) = text else {
        assert_eq!(got, None, "an offset amoCRM did not give");
        return;
    };
    if let Some(want) = canonical_offset(text) {
        assert_eq!(got, Some(want), "{text:?}");
    }
    if let Some(o) = got {
        assert!(o % 60 == 0 && o.abs() <= 14 * 3600 + 59 * 60, "{text:?} → {o}");
        let t = text.trim();
        assert!(t.starts_with(if o < 0 { '-' } else { '+' }) || (o == 0 && t.starts_with('-')), "{t:?} → {o}");
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(digits, format!("{:02}{:02}", o.abs() / 3600, o.abs() % 3600 / 60), "{t:?} → {o}");
    }
}

fn check_task_types(v: Option<&Value>, got: &[TaskType]) {
    let items = v.and_then(|v| v.pointer("/_embedded/task_types")).and_then(Value::as_array);
    let Some(items) = items else {
        assert!(got.is_empty(), "task types from no list: {got:?}");
        return;
    };
    // serde also reads a type written as the array of its values; amoCRM never writes one, so
    // such lists are only checked to invent no id.
    if items.iter().any(Value::is_array) {
        assert!(got.len() <= items.len());
        let text = Value::Array(items.clone()).to_string();
        assert!(got.iter().all(|t| text.contains(&t.id.to_string())), "{got:?}");
        return;
    }
    let want: Vec<TaskType> = items
        .iter()
        .filter_map(|t| {
            let code = match t.get("code") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return None,
            };
            Some(TaskType { id: t.get("id")?.as_i64()?, name: t.get("name")?.as_str()?.to_string(), code })
        })
        .collect();
    assert_eq!(got, want, "the task types are not those the answer describes");
}

/// The zone's wall clock at `unix`; the RFC 3339 text the app stores names exactly `unix`, with
/// the zone's offset — rounded up to the minute when it has seconds (local mean time), so its
/// clock is less than a minute after the zone's.
fn wall_clock(zone: &Zone, unix: i64) -> NaiveDateTime {
    let clock = zone.at(unix).unwrap_or_else(|| panic!("{unix} is not on {zone:?}'s clock")).naive_local();
    let text = zone.rfc3339(unix);
    let back = DateTime::parse_from_rfc3339(&text).unwrap_or_else(|e| panic!("{text:?} does not read back: {e}"));
    assert_eq!(back.timestamp(), unix, "{text} is not the moment meant");
    let ahead = back.naive_local() - clock;
    assert!(ahead >= Duration::zero() && ahead < Duration::minutes(1), "{text} shows {clock} {ahead}");
    clock
}

/// The zone the account's settings choose.
fn account_zone(s: &AccountSettings) -> (Zone, bool) {
    let zone = Zone::of_account(s.timezone.as_deref(), s.timezone_offset_secs);
    let fixed = match (s.timezone.as_deref().and_then(Zone::named), s.timezone_offset_secs) {
        (Some(named), _) => {
            assert_eq!(zone, named);
            false
        }
        (None, Some(o)) => {
            assert_eq!(zone, Zone::from(o), "not amoCRM's offset");
            assert_eq!(zone.offset_at(0).local_minus_utc(), o);
            true
        }
        (None, None) => {
            assert_eq!(zone, Zone::Local, "a zone nobody gave");
            false
        }
    };
    (zone, fixed)
}

/// A typed day and time on `zone`'s clock; `fixed`: the zone is one offset.
fn check_zone(zone: Zone, fixed: bool, day: NaiveDate, typed: NaiveDateTime) {
    // The typed day's midnight: a moment of that day, or the first one after it when skipped.
    let midnight = zone.midnight(day).unwrap_or_else(|| panic!("no midnight for {day} in {zone:?}"));
    let start = day.and_hms_opt(0, 0, 0).expect("midnight");
    let clock = wall_clock(&zone, midnight);
    assert!(clock >= start && clock - start < LONGEST_GAP, "{day}'s midnight in {zone:?} reads {clock}");
    if fixed {
        assert_eq!(clock, start);
    }
    assert_eq!(zone.day(midnight), Some(clock.date()));
    if let Some(next) = day.succ_opt().and_then(|d| zone.midnight(d)) {
        assert!(next >= midnight, "{day} ends before it begins in {zone:?}");
    }

    // The typed time: that time on the zone's clock, or the first moment after a gap it is in.
    let moment = zone.moment(typed).unwrap_or_else(|| panic!("no moment for {typed} in {zone:?}"));
    let clock = wall_clock(&zone, moment);
    assert!(clock >= typed && clock - typed < LONGEST_GAP, "{typed} in {zone:?} reads {clock}");
    if fixed {
        assert_eq!(clock, typed);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((day, typed, tz, body)) = read(data) else { return };

    // Any zone of the database, as amoCRM would name it: kept by the decoder, known by name.
    let name = tz.name();
    assert_eq!(zone_name(name).as_deref(), Some(name), "a zone of the database is not IANA-shaped");
    let named = Zone::named(name).unwrap_or_else(|| panic!("{name} is not known by name"));
    assert_eq!(named, Zone::from(tz));
    check_zone(named, false, day, typed);

    let v = if body.is_empty() {
        None // 204: amoCRM said nothing.
    } else {
        match parse(&body) {
            Ok(v) => Some(v),
            Err(e) => {
                common::check_error(&e, &["unexpected_response"]);
                return;
            }
        }
    };
    let s = account_settings_answer(v.as_ref());
    let settings = v.as_ref().and_then(|v| v.pointer("/_embedded/datetime_settings"));
    let text = |key: &str| settings.and_then(|s| s.get(key)).and_then(Value::as_str);
    assert_eq!(s.timezone, text("timezone").and_then(shaped), "the zone's name");
    check_offset(text("timezone_offset"), s.timezone_offset_secs);
    check_task_types(v.as_ref(), &s.task_types);
    assert_eq!(s.unsorted_on, v.as_ref().and_then(|v| v.get("is_unsorted_on")).and_then(Value::as_bool) == Some(true));
    if v.is_none() {
        assert_eq!(s, AccountSettings::default(), "a 204 read as something");
    }
    let (zone, fixed) = account_zone(&s);
    check_zone(zone, fixed, day, typed);
});
