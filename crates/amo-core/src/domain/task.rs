//! The follow-up task a manager sets at the end of a call ("call back tomorrow at 10"): what it
//! says, its type, who does it and when it is due — the due time read in the **account's** time
//! zone, since that is where amoCRM shows it (docs/amocrm-api.md §8.8, §11.10).
//!
//! A due time is typed as a preset or a date; it becomes one exact moment when the entry is
//! queued (`resolve_due`), so "tomorrow 10:00" means the tomorrow of the call, however late the
//! outbox sends it. The canonical form kept in the draft is RFC 3339 with the account's offset
//! *at the due moment* — its zone's rules, summer time included (`domain::zone`,
//! docs/amocrm-api.md §11.14): "2027-01-15 10:00" typed in July on a Berlin account is
//! `2027-01-15T10:00:00+01:00`.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::zone::Zone;
use crate::error::{FieldCode, FieldError};

/// amoCRM's limit on a task's text is not documented; notes take long texts, a task is a line.
pub const MAX_TASK_TEXT: usize = 2_000;
/// A due time this far in the past is a typo, not a plan (a minute of slack for the typing).
const PAST_SLACK_SECS: i64 = 60;

/// The due-time presets the window offers, in its order; each is sent as the text the CLI
/// takes too (`--task-due "tomorrow 10:00"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum DuePreset {
    #[serde(rename = "+1h")]
    InAnHour,
    #[serde(rename = "tomorrow 10:00")]
    Tomorrow,
    #[serde(rename = "+3d")]
    InThreeDays,
    #[serde(rename = "next week")]
    NextWeek,
}

/// A task as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
#[serde(default)]
pub struct TaskDraft {
    pub text: String,
    /// As typed (a preset, `+2h`, `2026-12-01 10:00`, RFC 3339); after queueing, RFC 3339 with
    /// the account's offset.
    pub due: String,
    /// One of the account's task types (`/api/v4/account?with=task_types`); none: amoCRM's
    /// "Call" (1).
    #[ts(type = "number | null")]
    pub task_type_id: Option<i64>,
    /// Who does it; none: the lead's responsible user.
    #[ts(type = "number | null")]
    pub responsible_user_id: Option<i64>,
}

/// One of the account's task types.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
pub struct TaskType {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    /// `FOLLOW_UP` (Call) or `MEETING` for the built-in ones.
    #[serde(default)]
    pub code: Option<String>,
}

impl TaskDraft {
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.due.trim().is_empty()
    }

    /// The draft's own checks (no clock, no account): a text and a due time, trimmed. Errors are
    /// named `{prefix}text`, `{prefix}due`.
    pub fn checked(&self, prefix: &str) -> Result<TaskDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let (text, due) = (crate::domain::text::clean_note(&self.text), self.due.trim().to_string());
        if text.is_empty() {
            errors.push(FieldError::new(format!("{prefix}text"), FieldCode::Required));
        } else if text.chars().count() > MAX_TASK_TEXT {
            errors.push(FieldError::new(format!("{prefix}text"), FieldCode::TooLong));
        }
        if due.is_empty() {
            errors.push(FieldError::new(format!("{prefix}due"), FieldCode::Required));
        }
        if errors.is_empty() {
            Ok(TaskDraft { text, due, ..self.clone() })
        } else {
            Err(errors)
        }
    }

    /// Checks the task and fixes its due time: `now` (Unix seconds) and the account's time zone
    /// read the presets. Errors are named `{prefix}text`, `{prefix}due`, ….
    pub fn resolved(&self, prefix: &str, now: i64, zone: impl Into<Zone>) -> Result<TaskDraft, Vec<FieldError>> {
        let zone = zone.into();
        let mut errors = Vec::new();
        let text = crate::domain::text::clean_note(&self.text);
        if text.is_empty() {
            errors.push(FieldError::new(format!("{prefix}text"), FieldCode::Required));
        } else if text.chars().count() > MAX_TASK_TEXT {
            errors.push(FieldError::new(format!("{prefix}text"), FieldCode::TooLong));
        }
        let due = match self.due.trim() {
            "" => {
                errors.push(FieldError::new(format!("{prefix}due"), FieldCode::Required));
                None
            }
            typed => match resolve_due(typed, now, zone) {
                // A time already fixed (RFC 3339 with its offset: an entry queued earlier, being
                // edited) is kept as it is; amoCRM takes an overdue task.
                Ok(t) if t < now - PAST_SLACK_SECS && DateTime::parse_from_rfc3339(typed).is_err() => {
                    errors.push(FieldError::new(format!("{prefix}due"), FieldCode::DueInPast));
                    None
                }
                Ok(t) => Some(t),
                Err(code) => {
                    errors.push(FieldError::new(format!("{prefix}due"), code));
                    None
                }
            },
        };
        match due {
            Some(t) if errors.is_empty() => Ok(TaskDraft {
                text,
                due: due_rfc3339(t, zone),
                task_type_id: self.task_type_id,
                responsible_user_id: self.responsible_user_id,
            }),
            _ => Err(errors),
        }
    }

    /// The due moment of a resolved task (Unix seconds).
    pub fn complete_till(&self) -> Option<i64> {
        DateTime::parse_from_rfc3339(self.due.trim()).ok().map(|t| t.timestamp())
    }
}

/// `t` as RFC 3339 in the account's zone, with the offset in force at `t`
/// (`2026-11-29T10:00:00+03:00`).
pub fn due_rfc3339(t: i64, zone: impl Into<Zone>) -> String {
    zone.into().rfc3339(t)
}

/// A due time as typed → Unix seconds. Understands:
/// - `+30m`, `+1h`, `+3d`, `+1w` (from now);
/// - `today 18:00`, `tomorrow 10:00` (also `сегодня`, `завтра`), `tomorrow` alone is 10:00;
/// - `next week`: Monday of next week at 10:00 (`следующая неделя`);
/// - `2026-12-01 10:00`, `2026-12-01T10:00`, `01.12.2026 10:00`, a date alone at 10:00 — in the
///   account's zone, at that day's offset;
/// - RFC 3339 with its own offset.
///
/// A day's wall-clock time follows the zone's rules: "tomorrow 10:00" on the eve of a summer-time
/// switch is 10:00 of the new offset, `+1h` is an hour of real time, and a time the switch skips
/// or repeats resolves as `Zone::moment` documents (a skipped 02:30 is the moment the clock shows
/// 03:30; a repeated one is the first).
pub fn resolve_due(typed: &str, now: i64, zone: impl Into<Zone>) -> Result<i64, FieldCode> {
    let s = typed.trim().to_lowercase();
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let z = zone.into();
    let local_now = z.at(now).ok_or(FieldCode::InvalidDue)?;
    let at = |date: NaiveDate, time: NaiveTime| -> Result<i64, FieldCode> {
        z.moment(NaiveDateTime::new(date, time)).ok_or(FieldCode::InvalidDue)
    };
    let ten = NaiveTime::from_hms_opt(10, 0, 0).expect("10:00");
    if let Some(rest) = s.strip_prefix('+') {
        let (n, unit) = rest.split_at(rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len()));
        let n: i64 = n.parse().map_err(|_| FieldCode::InvalidDue)?;
        let secs = match unit.trim() {
            "m" | "min" | "мин" => 60,
            "h" | "ч" => 3_600,
            "d" | "д" => 86_400,
            "w" | "н" => 7 * 86_400,
            _ => return Err(FieldCode::InvalidDue),
        };
        if n <= 0 || n > 3_650 * 86_400 / secs {
            return Err(FieldCode::InvalidDue);
        }
        return Ok(now + n * secs);
    }
    if s == "next week" || s == "следующая неделя" || s == "на следующей неделе" {
        let days = 7 - i64::from(local_now.weekday().num_days_from_monday());
        return at(local_now.date_naive() + Duration::days(days), ten);
    }
    for (words, days) in [(["today", "сегодня"], 0), (["tomorrow", "завтра"], 1)] {
        for w in words {
            if let Some(rest) = s.strip_prefix(w) {
                let time = match rest.trim() {
                    "" => ten,
                    t => {
                        parse_time(t.trim_start_matches("at ").trim_start_matches("в ")).ok_or(FieldCode::InvalidDue)?
                    }
                };
                return at(local_now.date_naive() + Duration::days(days), time);
            }
        }
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(typed.trim()) {
        return Ok(t.timestamp());
    }
    // A local date and time in the account's zone.
    let (date, time) = match s.split_once(['t', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s.as_str(), None),
    };
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(date, "%d.%m.%Y"))
        .map_err(|_| FieldCode::InvalidDue)?;
    let time = match time {
        None => ten,
        Some(t) => parse_time(t).ok_or(FieldCode::InvalidDue)?,
    };
    at(date, time)
}

fn parse_time(t: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(t, "%H:%M").or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    const MSK: i32 = 3 * 3600;

    #[test]
    fn a_tasks_text_loses_control_and_direction_characters_and_keeps_its_lines() {
        let t = TaskDraft {
            text: " Call\u{202e}back\u{1b}[2J\r\nabout\u{7} the sofa ".into(),
            due: "tomorrow 10:00".into(),
            ..Default::default()
        };
        assert_eq!(t.checked("task.").expect("checked").text, "Callback[2J\nabout the sofa");
        let r = t.resolved("task.", 1_800_000_000, MSK).expect("resolved");
        assert_eq!(r.text, "Callback[2J\nabout the sofa");
        let only_marks =
            TaskDraft { text: "\u{202e}\u{1b}".into(), due: "tomorrow 10:00".into(), ..Default::default() };
        let Err(errors) = only_marks.checked("task.") else { panic!("a text of marks alone is empty") };
        assert_eq!(errors[0].code, FieldCode::Required);
    }
    /// Friday 2026-11-27 21:30 in Moscow (18:30 UTC).
    fn friday_evening() -> i64 {
        Utc.with_ymd_and_hms(2026, 11, 27, 18, 30, 0).single().expect("valid").timestamp()
    }

    fn local(t: i64, off: i32) -> String {
        due_rfc3339(t, off)
    }

    #[test]
    fn presets_are_read_in_the_accounts_zone_not_the_computers() {
        let now = friday_evening();
        assert_eq!(local(resolve_due("tomorrow 10:00", now, MSK).expect("valid"), MSK), "2026-11-28T10:00:00+03:00");
        // In UTC−3 it is still Friday afternoon: tomorrow is Saturday there too, at 10:00 local.
        assert_eq!(local(resolve_due("tomorrow 10:00", now, -MSK).expect("valid"), -MSK), "2026-11-28T10:00:00-03:00");
        // Just past midnight UTC is still the evening before in UTC−3: "tomorrow" is not two days off.
        let after_midnight_utc = Utc.with_ymd_and_hms(2026, 11, 28, 1, 0, 0).single().expect("valid").timestamp();
        assert_eq!(
            local(resolve_due("tomorrow", after_midnight_utc, -MSK).expect("valid"), -MSK),
            "2026-11-28T10:00:00-03:00"
        );
        assert_eq!(resolve_due("+1h", now, MSK).expect("valid"), now + 3600);
        assert_eq!(resolve_due("+3d", now, MSK).expect("valid"), now + 3 * 86_400);
        assert_eq!(local(resolve_due("next week", now, MSK).expect("valid"), MSK), "2026-11-30T10:00:00+03:00");
        assert_eq!(local(resolve_due("завтра в 9:30", now, MSK).expect("valid"), MSK), "2026-11-28T09:30:00+03:00");
        assert_eq!(local(resolve_due("2026-12-01 15:45", now, MSK).expect("valid"), MSK), "2026-12-01T15:45:00+03:00");
        assert_eq!(local(resolve_due("2026-12-01T15:45", now, MSK).expect("valid"), MSK), "2026-12-01T15:45:00+03:00");
        assert_eq!(local(resolve_due("01.12.2026", now, MSK).expect("valid"), MSK), "2026-12-01T10:00:00+03:00");
        assert_eq!(resolve_due("2026-12-01T10:00:00Z", now, MSK).expect("valid"), 1_796_119_200);
        for p in [DuePreset::InAnHour, DuePreset::Tomorrow, DuePreset::InThreeDays, DuePreset::NextWeek] {
            let typed = serde_json::to_value(p).expect("valid");
            assert!(resolve_due(typed.as_str().expect("valid"), now, MSK).is_ok(), "{typed}");
        }
        for bad in ["soon", "+0h", "+1y", "tomorrow 25:00", "2026-13-01", "+h", "next"] {
            assert_eq!(resolve_due(bad, now, MSK), Err(FieldCode::InvalidDue), "{bad}");
        }
    }

    /// A Europe/Berlin account as the app knows it when its settings were read in July: CEST,
    /// +02:00 now, CET (+01:00) in winter; the EU switches on the last Sundays of March and
    /// October at 01:00 UTC.
    fn berlin() -> Zone {
        Zone::of_account(Some("Europe/Berlin"), Some(2 * 3600))
    }

    fn at(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339).expect("valid").timestamp()
    }

    #[test]
    fn a_winter_due_time_typed_in_summer_is_read_at_its_own_offset() {
        let july = at("2026-07-15T12:00:00+02:00");
        let t = resolve_due("2027-01-15 10:00", july, berlin()).expect("valid");
        assert_eq!(t, at("2027-01-15T09:00:00Z"));
        assert_eq!(due_rfc3339(t, berlin()), "2027-01-15T10:00:00+01:00");
        let r = TaskDraft { text: "Call".into(), due: "15.01.2027 10:00".into(), ..Default::default() };
        assert_eq!(r.resolved("task.", july, berlin()).expect("valid").due, "2027-01-15T10:00:00+01:00");
        // A zone name this build does not know: amoCRM's offset, as it was given.
        let unknown = Zone::of_account(Some("Mars/Olympus_Mons"), Some(2 * 3600));
        let t = resolve_due("2027-01-15 10:00", july, unknown).expect("valid");
        assert_eq!(due_rfc3339(t, unknown), "2027-01-15T10:00:00+02:00");
    }

    #[test]
    fn tomorrow_is_right_across_the_summer_time_switches() {
        // Saturday 2027-03-27 13:00 CET: tomorrow 10:00 is Sunday 10:00 CEST, 08:00 UTC.
        let t = resolve_due("tomorrow 10:00", at("2027-03-27T13:00:00+01:00"), berlin()).expect("valid");
        assert_eq!(due_rfc3339(t, berlin()), "2027-03-28T10:00:00+02:00");
        // Saturday 2027-10-30 14:00 CEST: tomorrow 10:00 is Sunday 10:00 CET, 09:00 UTC.
        let t = resolve_due("tomorrow 10:00", at("2027-10-30T14:00:00+02:00"), berlin()).expect("valid");
        assert_eq!(t, at("2027-10-31T09:00:00Z"));
        assert_eq!(due_rfc3339(t, berlin()), "2027-10-31T10:00:00+01:00");
        // Next week from the Friday before the autumn switch: Monday 10:00 CET.
        let t = resolve_due("next week", at("2027-10-29T18:00:00+02:00"), berlin()).expect("valid");
        assert_eq!(due_rfc3339(t, berlin()), "2027-11-01T10:00:00+01:00");
        // "+1h" is an hour of real time, also over the switch: 01:30 CET → 03:30 CEST.
        let now = at("2027-03-28T01:30:00+01:00");
        let t = resolve_due("+1h", now, berlin()).expect("valid");
        assert_eq!((t - now, due_rfc3339(t, berlin()).as_str()), (3600, "2027-03-28T03:30:00+02:00"));
    }

    #[test]
    fn a_time_the_switch_skips_or_repeats_resolves_one_way() {
        let now = at("2027-03-01T12:00:00Z");
        // 02:30 on 2027-03-28 does not exist in Berlin (02:00 CET jumps to 03:00 CEST): it is read
        // with the offset before the gap, +01:00 — the moment the clock shows 03:30.
        let t = resolve_due("2027-03-28 02:30", now, berlin()).expect("valid");
        assert_eq!(t, at("2027-03-28T01:30:00Z"));
        assert_eq!(due_rfc3339(t, berlin()), "2027-03-28T03:30:00+02:00");
        // 02:30 on 2027-10-31 happens twice (03:00 CEST falls back to 02:00 CET): the first one.
        let t = resolve_due("2027-10-31 02:30", now, berlin()).expect("valid");
        assert_eq!(due_rfc3339(t, berlin()), "2027-10-31T02:30:00+02:00");
        assert_eq!(t, at("2027-10-31T00:30:00Z"));
    }

    #[test]
    fn a_task_needs_its_text_and_a_due_time_not_in_the_past() {
        let now = friday_evening();
        let t =
            TaskDraft { text: " Перезвонить ".into(), due: "tomorrow 10:00".into(), ..Default::default() };
        let r = t.resolved("task.", now, MSK).expect("valid");
        assert_eq!((r.text.as_str(), r.due.as_str()), ("Перезвонить", "2026-11-28T10:00:00+03:00"));
        assert_eq!(
            r.complete_till(),
            Some(Utc.with_ymd_and_hms(2026, 11, 28, 7, 0, 0).single().expect("valid").timestamp())
        );
        // Resolving again (an edit of a queued entry) keeps the same moment — a day later too.
        assert_eq!(r.resolved("task.", now + 5000, MSK).expect("again").due, r.due);
        assert_eq!(r.resolved("task.", now + 3 * 86_400, MSK).expect("days later").due, r.due);

        let e = TaskDraft { due: "today 09:00".into(), ..Default::default() }
            .resolved("task.", now, MSK)
            .expect_err("invalid");
        let got: Vec<_> = e.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(got, vec![("task.text", FieldCode::Required), ("task.due", FieldCode::DueInPast)]);
        let e = TaskDraft { text: "x".into(), ..Default::default() }.resolved("", now, MSK).expect_err("invalid");
        assert_eq!((e[0].field.as_str(), e[0].code), ("due", FieldCode::Required));
    }
}
