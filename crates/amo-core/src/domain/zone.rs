//! The account's time zone, with its summer-time rules: where a typed date's midnight and a
//! typed due time are (docs/amocrm-api.md §11.14).
//!
//! amoCRM names the zone (`datetime_settings.timezone`, IANA: "Europe/Berlin") and gives the
//! offset in force when it is asked (`timezone_offset`: "+02:00" in July, "+01:00" in January).
//! The offset alone puts a January date typed in July an hour early — the previous day in
//! amoCRM — so the name and its rules decide; the offset is the fallback for a name this build's
//! zone database does not know. When neither is known (the settings could not be read yet), the
//! computer's zone is used, rules included: a manager almost always sits in the account's zone,
//! and an entry typed offline must still be queued — refusing it would lose the call's notes,
//! and assuming UTC would put every date a day early east of Greenwich.
//!
//! A wall-clock time the zone skips or repeats is read one fixed way, as RFC 5545 and
//! JavaScript's Temporal ("compatible") do: a time repeated by the autumn switch is its first
//! occurrence (still summer time); a time skipped by the spring switch is read with the offset
//! in force just before the gap, so 02:30 on the spring switch day in Berlin is the moment the
//! clock shows 03:30, and a skipped midnight is the first moment of that day.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, Local, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;

/// The rules a local date and time are read by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The account's zone by name, with its rules.
    Named(Tz),
    /// Only amoCRM's offset: the account's zone has no name this build knows.
    Fixed(FixedOffset),
    /// Neither known yet: this computer's zone, with its rules (the one place `domain` consults
    /// the operating system, and only until the account's settings are read).
    Local,
}

/// Longest run of wall-clock time a zone has ever skipped: Samoa dropped a whole day in 2011.
const LONGEST_GAP_MINUTES: i64 = 25 * 60;

impl Zone {
    /// The account's zone from what amoCRM said: its IANA name when this build knows it, else
    /// its offset, else [`Zone::Local`].
    pub fn of_account(name: Option<&str>, offset_secs: Option<i32>) -> Zone {
        name.and_then(Zone::named)
            .or_else(|| offset_secs.and_then(FixedOffset::east_opt).map(Zone::Fixed))
            .unwrap_or(Zone::Local)
    }

    /// An IANA zone name ("Europe/Berlin"); `None` when this build's database has no such zone.
    pub fn named(name: &str) -> Option<Zone> {
        name.trim().parse::<Tz>().ok().map(Zone::Named)
    }

    /// The UTC offset in force at `unix` (UTC for a moment chrono cannot represent).
    pub fn offset_at(&self, unix: i64) -> FixedOffset {
        let utc = DateTime::<Utc>::from_timestamp(unix, 0).map(|t| t.naive_utc());
        match (self, utc) {
            (_, None) => Utc.fix(),
            (Zone::Named(tz), Some(u)) => tz.offset_from_utc_datetime(&u).fix(),
            (Zone::Fixed(f), Some(_)) => *f,
            (Zone::Local, Some(u)) => Local.offset_from_utc_datetime(&u).fix(),
        }
    }

    /// `unix` on the zone's clock, with the offset in force then.
    pub fn at(&self, unix: i64) -> Option<DateTime<FixedOffset>> {
        let off = self.offset_at(unix);
        off.timestamp_opt(unix, 0).single()
    }

    /// `unix` as RFC 3339 with the zone's offset then (`2027-01-15T10:00:00+01:00`). RFC 3339
    /// writes whole minutes: an offset with seconds (local mean time, before a zone's first
    /// standard offset) is written rounded up to the minute, with the clock that goes with it,
    /// so the text still names `unix`, its clock less than a minute after the zone's (a day's
    /// midnight stays on its day). Empty for a moment RFC 3339 cannot write: a year outside
    /// 0000–9999 on the zone's clock (a due time written in milliseconds is in the year 58897).
    pub fn rfc3339(&self, unix: i64) -> String {
        let secs = self.offset_at(unix).local_minus_utc();
        let minute = FixedOffset::east_opt(secs.div_euclid(60) * 60 + if secs % 60 == 0 { 0 } else { 60 });
        minute
            .and_then(|o| o.timestamp_opt(unix, 0).single())
            .filter(|d| (0..=9999).contains(&d.year()))
            .map(|d| d.to_rfc3339())
            .unwrap_or_default()
    }

    /// The day `unix` falls on in the zone.
    pub fn day(&self, unix: i64) -> Option<NaiveDate> {
        self.at(unix).map(|d| d.date_naive())
    }

    /// The moment a wall-clock time in the zone names (Unix seconds): a repeated time is its
    /// first occurrence, a skipped one is read with the offset before the gap (module docs).
    pub fn moment(&self, local: NaiveDateTime) -> Option<i64> {
        match self {
            Zone::Named(tz) => moment_in(tz, local),
            Zone::Fixed(f) => moment_in(f, local),
            Zone::Local => moment_in(&Local, local),
        }
    }

    /// The first moment of `date` in the zone: its midnight, or the end of a gap that swallowed
    /// it — where amoCRM keeps a `date` field's value (docs/amocrm-api.md §11.10).
    pub fn midnight(&self, date: NaiveDate) -> Option<i64> {
        self.moment(date.and_hms_opt(0, 0, 0)?)
    }
}

/// A bare offset in seconds east of UTC — what the app knew before zone names, and what the
/// tests and callers with only an offset pass. Out of range (beyond ±24 h) reads as UTC.
impl From<i32> for Zone {
    fn from(secs: i32) -> Zone {
        Zone::Fixed(FixedOffset::east_opt(secs).unwrap_or_else(|| Utc.fix()))
    }
}

impl From<Tz> for Zone {
    fn from(tz: Tz) -> Zone {
        Zone::Named(tz)
    }
}

fn moment_in<Z: TimeZone>(z: &Z, local: NaiveDateTime) -> Option<i64> {
    match z.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.timestamp()),
        LocalResult::Ambiguous(first, second) => Some(first.timestamp().min(second.timestamp())),
        LocalResult::None => {
            // In a gap: the offset of the last wall-clock time before it, scanned back a quarter
            // of an hour at a time (every offset change the database holds is on a quarter).
            let before = (1..=LONGEST_GAP_MINUTES / 15).find_map(|q| {
                let earlier = local.checked_sub_signed(Duration::minutes(15 * q))?;
                z.from_local_datetime(&earlier).latest().map(|t| t.offset().fix())
            })?;
            local
                .checked_sub_signed(Duration::seconds(i64::from(before.local_minus_utc())))
                .map(|u| u.and_utc().timestamp())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339).expect("valid").timestamp()
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("valid")
    }

    #[test]
    fn the_name_decides_then_the_offset_then_this_computer() {
        let berlin = Zone::of_account(Some("Europe/Berlin"), Some(2 * 3600));
        assert_eq!(berlin, Zone::Named(chrono_tz::Europe::Berlin));
        // The offset amoCRM gave in July does not hold in January.
        assert_eq!(berlin.offset_at(at("2027-01-15T12:00:00Z")).local_minus_utc(), 3600);
        assert_eq!(berlin.offset_at(at("2027-07-15T12:00:00Z")).local_minus_utc(), 7200);
        // A name this build does not know (or none): the offset amoCRM gave, as it is.
        let unknown = Zone::of_account(Some("Mars/Olympus_Mons"), Some(2 * 3600));
        assert_eq!(unknown, Zone::from(2 * 3600));
        assert_eq!(
            unknown.midnight(NaiveDate::from_ymd_opt(2027, 1, 15).expect("date")),
            Some(at("2027-01-15T00:00:00+02:00"))
        );
        assert_eq!(Zone::of_account(None, Some(-3 * 3600)), Zone::from(-3 * 3600));
        // Nothing known: this computer's zone — not UTC.
        assert_eq!(Zone::of_account(None, None), Zone::Local);
        assert_eq!(Zone::of_account(Some(""), None), Zone::Local);
    }

    #[test]
    fn skipped_and_repeated_wall_clock_times_resolve_one_way() {
        let berlin = Zone::from(chrono_tz::Europe::Berlin);
        assert_eq!(berlin.moment(local("2027-03-28 02:30")), Some(at("2027-03-28T03:30:00+02:00")));
        assert_eq!(berlin.moment(local("2027-10-31 02:30")), Some(at("2027-10-31T02:30:00+02:00")));
        assert_eq!(berlin.moment(local("2027-10-31 03:00")), Some(at("2027-10-31T03:00:00+01:00")));
        // São Paulo's summer time began at midnight: 2018-11-04 started at 01:00 -02:00.
        let sp = Zone::named("America/Sao_Paulo").expect("known");
        let first = sp.midnight(NaiveDate::from_ymd_opt(2018, 11, 4).expect("date")).expect("a moment");
        assert_eq!(first, at("2018-11-04T01:00:00-02:00"));
        assert_eq!(sp.day(first), NaiveDate::from_ymd_opt(2018, 11, 4));
        // Samoa skipped 2011-12-30 altogether: that day's "midnight" is the next day's.
        let apia = Zone::named("Pacific/Apia").expect("known");
        let gone = apia.midnight(NaiveDate::from_ymd_opt(2011, 12, 30).expect("date")).expect("a moment");
        assert_eq!(apia.rfc3339(gone), "2011-12-31T00:00:00+14:00");
    }

    /// Found with fuzz/fuzz_targets/account_settings.rs (its input written by hand,
    /// corpus/account_settings/monrovia_lmt; the target now reaches every zone): before a zone's
    /// first standard offset its clock is local mean time, an offset with seconds (Monrovia
    /// −0:44:30 until 1972), which RFC 3339 cannot write — the text said "-00:45" and named a
    /// moment 30 s from the one meant.
    #[test]
    fn an_offset_with_seconds_is_written_so_the_text_names_the_moment() {
        let monrovia = Zone::named("Africa/Monrovia").expect("known");
        let day = NaiveDate::from_ymd_opt(1960, 1, 1).expect("date");
        let midnight = monrovia.midnight(day).expect("a moment");
        assert_eq!(monrovia.offset_at(midnight).local_minus_utc(), -(44 * 60 + 30));
        let text = monrovia.rfc3339(midnight);
        assert_eq!(at(&text), midnight, "{text}");
        // The clock it shows is within the minute after the zone's, on the same day.
        assert_eq!(text, "1960-01-01T00:00:30-00:44");
    }

    /// Found with fuzz/fuzz_targets/my_day_answers.rs (corpus/my_day_answers/due_in_milliseconds):
    /// a task whose `complete_till` an integration wrote in milliseconds is due in the year 58897,
    /// which RFC 3339 (four-digit years) cannot write — the text was `+58897-04-21T…`, which no
    /// reader of RFC 3339 (the window's due time, a script reading `--json`) accepts.
    #[test]
    fn a_moment_rfc_3339_cannot_write_is_written_as_nothing() {
        let utc = Zone::Fixed(FixedOffset::east_opt(0).expect("offset"));
        assert_eq!(utc.rfc3339(1_796_452_252_200), "");
        assert_eq!(utc.rfc3339(at("9999-12-31T23:59:59Z")), "9999-12-31T23:59:59+00:00");
        assert_eq!(utc.rfc3339(at("9999-12-31T23:59:59Z") + 1), "");
        assert_eq!(utc.rfc3339(at("0000-01-01T00:00:00Z")), "0000-01-01T00:00:00+00:00");
        assert_eq!(utc.rfc3339(at("0000-01-01T00:00:00Z") - 1), "");
    }
}
