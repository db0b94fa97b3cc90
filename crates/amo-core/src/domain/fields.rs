//! The account's custom fields (docs/amocrm-api.md §13): what each field is, and checking what a
//! person typed for it before anything is queued — type, choice, the 256-character limit of text
//! fields, numbers that fit, dates as midnight in the account's time zone, and the fields a stage
//! requires. The same rules answer the window and `lead add --field`. Turning a checked value
//! into amoCRM's JSON is `amocrm::wire`'s job.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::text::{clean_name, clean_note};
use crate::domain::zone::Zone;
use crate::error::{FieldCode, FieldError};

/// amoCRM refuses longer text values in text-like fields (the UI accepts them; the API does not).
pub const MAX_TEXT: usize = 256;
/// amoCRM takes at most 40 custom-field values per entity in one complex request.
pub const MAX_FIELDS: usize = 40;

/// A custom field's type, as amoCRM names it. Types the app cannot write are `Other`: shown
/// read-only, never dropped silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FieldType {
    Text,
    Textarea,
    Numeric,
    Price,
    Monetary,
    Checkbox,
    Select,
    Radiobutton,
    Multiselect,
    Date,
    DateTime,
    Birthday,
    Url,
    Multitext,
    Streetaddress,
    Other,
}

/// Any type amoCRM adds later reads as `Other` instead of failing the whole list.
impl<'de> Deserialize<'de> for FieldType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(match name.as_str() {
            "text" => FieldType::Text,
            "textarea" => FieldType::Textarea,
            "numeric" => FieldType::Numeric,
            "price" => FieldType::Price,
            "monetary" => FieldType::Monetary,
            "checkbox" => FieldType::Checkbox,
            "select" => FieldType::Select,
            "radiobutton" => FieldType::Radiobutton,
            "multiselect" => FieldType::Multiselect,
            "date" => FieldType::Date,
            "date_time" => FieldType::DateTime,
            "birthday" => FieldType::Birthday,
            "url" => FieldType::Url,
            "multitext" => FieldType::Multitext,
            "streetaddress" => FieldType::Streetaddress,
            _ => FieldType::Other,
        })
    }
}

impl FieldType {
    /// Whether the forms can write this type.
    pub fn writable(self) -> bool {
        !matches!(self, FieldType::Other | FieldType::Multitext)
    }
}

/// One choice of a select, radiobutton or multiselect field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FieldEnum {
    #[ts(type = "number")]
    pub id: i64,
    pub value: String,
    #[serde(default)]
    #[ts(type = "number")]
    pub sort: i64,
    #[serde(default)]
    pub code: Option<String>,
}

/// A stage a field must be filled in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RequiredStatus {
    #[ts(type = "number")]
    pub pipeline_id: i64,
    #[ts(type = "number")]
    pub status_id: i64,
}

/// A custom field of leads, contacts or companies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CustomField {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    #[ts(type = "number")]
    pub sort: i64,
    /// Set by integrations only; hidden from the forms by default.
    #[serde(default)]
    pub is_api_only: bool,
    #[serde(default)]
    pub enums: Vec<FieldEnum>,
    #[serde(default)]
    pub required_statuses: Vec<RequiredStatus>,
}

impl CustomField {
    /// Must this field be filled in for a lead entering `pipeline_id`/`status_id`?
    pub fn required_for(&self, pipeline_id: i64, status_id: i64) -> bool {
        self.required_statuses.iter().any(|r| r.pipeline_id == pipeline_id && r.status_id == status_id)
    }

    /// The choice `raw` names: its id, or its text (case-insensitive), or its code.
    fn choice(&self, raw: &str) -> Option<i64> {
        let t = raw.trim();
        if let Ok(id) = t.parse::<i64>() {
            if self.enums.iter().any(|e| e.id == id) {
                return Some(id);
            }
        }
        self.enums
            .iter()
            .find(|e| e.value.trim().eq_ignore_ascii_case(t) || e.value.trim().to_lowercase() == t.to_lowercase())
            .or_else(|| self.enums.iter().find(|e| e.code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(t))))
            .map(|e| e.id)
    }
}

/// A value as typed for one custom field: text for every type (a checkbox's `true`/`false`,
/// a date's `YYYY-MM-DD`, a date-time's RFC 3339, a multiselect's choices separated by `|`).
/// `checked` is filled in when the entry is queued: the value amoCRM gets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(default)]
pub struct FieldEntry {
    #[ts(type = "number")]
    pub field_id: i64,
    pub value: String,
    #[ts(optional = nullable)]
    pub checked: Option<FieldValue>,
}

/// A checked custom-field value, ready for amoCRM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
#[ts(export)]
pub enum FieldValue {
    Text(String),
    /// A number as amoCRM stores it (digits, an optional minus and decimal point).
    Number(String),
    Flag(bool),
    Choice(#[ts(type = "number")] i64),
    Choices(#[ts(type = "number[]")] Vec<i64>),
    /// Unix seconds: for `date` and `birthday` the day's midnight in the account's time zone.
    Instant(#[ts(type = "number")] i64),
}

/// How this computer's forms show an account's custom fields of one entity (Settings → Form
/// fields): `order` first, in that order, then the rest in amoCRM's; `hidden` ones are left out
/// (unless the chosen stage requires them); integration-only fields show only when in `shown`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, PartialEq, Eq)]
#[ts(export)]
#[serde(default)]
pub struct FormLayout {
    #[ts(type = "number[]")]
    pub order: Vec<i64>,
    #[ts(type = "number[]")]
    pub hidden: Vec<i64>,
    #[ts(type = "number[]")]
    pub shown: Vec<i64>,
}

/// Whose form a layout is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FormEntity {
    Leads,
    Contacts,
    Companies,
}

impl FormEntity {
    pub fn as_str(self) -> &'static str {
        match self {
            FormEntity::Leads => "leads",
            FormEntity::Contacts => "contacts",
            FormEntity::Companies => "companies",
        }
    }
}

/// Most ids a layout list keeps (an account has far fewer fields).
pub const MAX_LAYOUT_IDS: usize = 500;

impl FormLayout {
    /// Without repeats, each list bounded; an id both hidden and shown stays hidden.
    pub fn cleaned(&self) -> FormLayout {
        let dedup = |v: &[i64]| {
            let mut out: Vec<i64> = Vec::new();
            for id in v.iter().copied() {
                if !out.contains(&id) && out.len() < MAX_LAYOUT_IDS {
                    out.push(id);
                }
            }
            out
        };
        let hidden = dedup(&self.hidden);
        let shown = dedup(&self.shown).into_iter().filter(|id| !hidden.contains(id)).collect();
        FormLayout { order: dedup(&self.order), hidden, shown }
    }
}

/// The field's key in a form's errors: `custom_fields.<id>`.
pub fn field_key(id: i64) -> String {
    format!("custom_fields.{id}")
}

/// Checks every entry against the account's fields; fills in `checked`, drops empty values,
/// and adds the fields `pipeline_id`/`status_id` requires that are missing. `zone` is the
/// account's time zone (date fields are midnight there, a date-time typed without an offset is
/// read there — each at that day's offset, docs/amocrm-api.md §13, §11.14).
pub fn check_entries(
    entries: &[FieldEntry],
    fields: &[CustomField],
    stage: Option<(i64, i64)>,
    zone: impl Into<Zone>,
) -> Result<Vec<FieldEntry>, Vec<FieldError>> {
    let zone = zone.into();
    let mut errors = Vec::new();
    let mut out: Vec<FieldEntry> = Vec::new();
    let err = |f: &CustomField, code| {
        let mut e = FieldError::new(field_key(f.id), code);
        e.label = Some(f.name.clone());
        e
    };
    for entry in entries {
        let Some(field) = fields.iter().find(|f| f.id == entry.field_id) else {
            errors.push(FieldError::new(field_key(entry.field_id), FieldCode::UnknownField));
            continue;
        };
        if out.iter().any(|e| e.field_id == field.id) {
            errors.push(err(field, FieldCode::TooMany));
            continue;
        }
        let raw = cleaned(field.field_type, &entry.value);
        if raw.trim().is_empty() {
            continue;
        }
        match check_value(field, &raw, zone) {
            Ok(v) => {
                let value = canonical(&v, &raw, zone);
                out.push(FieldEntry { field_id: field.id, value, checked: Some(v) })
            }
            Err(code) => errors.push(err(field, code)),
        }
    }
    if out.len() > MAX_FIELDS {
        errors.push(FieldError::new("custom_fields", FieldCode::TooMany));
    }
    if let Some((pipeline_id, status_id)) = stage {
        // Only fields the form can fill: a stage that requires an integration-only field or a
        // type the app cannot write must not block every lead (amoCRM itself does not enforce
        // `required_statuses` on API writes, docs/amocrm-api.md §13).
        let fillable = |f: &&CustomField| f.field_type.writable() && !f.is_api_only;
        for f in fields.iter().filter(fillable).filter(|f| f.required_for(pipeline_id, status_id)) {
            if !out.iter().any(|e| e.field_id == f.id) && !errors.iter().any(|e| e.field == field_key(f.id)) {
                errors.push(err(f, FieldCode::RequiredForStage));
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The value as the window's inputs hold it, whatever way it was typed (a CLI's `да`, a choice
/// by its text, `01.12.2026`): choices by id, `true`/`false`, dates `YYYY-MM-DD` — so an entry
/// queued from the command line shows right when it is edited in the window.
fn canonical(v: &FieldValue, raw: &str, zone: Zone) -> String {
    match v {
        FieldValue::Text(t) | FieldValue::Number(t) => t.clone(),
        FieldValue::Flag(b) => b.to_string(),
        FieldValue::Choice(id) => id.to_string(),
        FieldValue::Choices(ids) => ids.iter().map(i64::to_string).collect::<Vec<_>>().join("|"),
        // A date is its day; a date-time keeps the offset it was typed with, or gets the
        // account's offset of that moment when typed without one.
        FieldValue::Instant(t) if parse_date(raw.trim()).is_some() => {
            let (y, m, d) = local_day(*t, zone);
            format!("{y:04}-{m:02}-{d:02}")
        }
        FieldValue::Instant(t) if crate::clock::parse_rfc3339(raw.trim()).is_none() => zone.rfc3339(*t),
        FieldValue::Instant(_) => raw.trim().to_string(),
    }
}

/// A text value as names and notes are kept (`domain::text`): no control character or direction
/// override reaches amoCRM; a text area keeps its lines, every other text field is one line.
/// Other types are read by their own rules, which refuse such characters anyway.
fn cleaned(field_type: FieldType, raw: &str) -> String {
    match field_type {
        FieldType::Textarea => clean_note(raw),
        FieldType::Text | FieldType::Url | FieldType::Streetaddress => clean_name(raw),
        _ => raw.to_string(),
    }
}

fn check_value(field: &CustomField, raw: &str, zone: Zone) -> Result<FieldValue, FieldCode> {
    let v = raw.trim();
    match field.field_type {
        FieldType::Text | FieldType::Textarea | FieldType::Url | FieldType::Streetaddress => {
            if v.chars().count() > MAX_TEXT {
                Err(FieldCode::TooLongForAmo)
            } else if field.field_type == FieldType::Url && !(v.starts_with("http://") || v.starts_with("https://")) {
                Err(FieldCode::InvalidUrl)
            } else {
                Ok(FieldValue::Text(v.to_string()))
            }
        }
        FieldType::Numeric | FieldType::Price | FieldType::Monetary => number(v).map(FieldValue::Number),
        FieldType::Checkbox => match v.to_lowercase().as_str() {
            "true" | "yes" | "on" | "1" | "да" => Ok(FieldValue::Flag(true)),
            "false" | "no" | "off" | "0" | "нет" => Ok(FieldValue::Flag(false)),
            _ => Err(FieldCode::InvalidFlag),
        },
        FieldType::Select | FieldType::Radiobutton => {
            field.choice(v).map(FieldValue::Choice).ok_or(FieldCode::NotAChoice)
        }
        FieldType::Multiselect => {
            let mut ids = Vec::new();
            for part in v.split('|').map(str::trim).filter(|p| !p.is_empty()) {
                let id = field.choice(part).ok_or(FieldCode::NotAChoice)?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            Ok(FieldValue::Choices(ids))
        }
        FieldType::Date | FieldType::Birthday => local_midnight(v, zone).map(FieldValue::Instant),
        FieldType::DateTime => date_time(v, zone).map(FieldValue::Instant),
        FieldType::Multitext | FieldType::Other => Err(FieldCode::ReadOnlyField),
    }
}

/// Digits with an optional minus and one decimal point (a comma is read as one), at most 15
/// significant digits — longer numbers lose precision in amoCRM (docs/amocrm-api.md §14).
fn number(v: &str) -> Result<String, FieldCode> {
    let v: String = v.chars().filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '\u{a0}').collect();
    let v = v.replace(',', ".");
    let digits = v.strip_prefix('-').unwrap_or(&v);
    let mut parts = digits.split('.');
    let (int, frac) = (parts.next().unwrap_or_default(), parts.next());
    let ok = parts.next().is_none()
        && !int.is_empty()
        && int.chars().all(|c| c.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()))
        && int.len() + frac.map_or(0, str::len) <= 15;
    if ok {
        Ok(v)
    } else {
        Err(FieldCode::InvalidNumber)
    }
}

/// `YYYY-MM-DD` (also `DD.MM.YYYY`) → that day's first moment in the account's zone, at that
/// day's own offset: a January date typed in July is January's midnight (docs/amocrm-api.md §11.14).
fn local_midnight(v: &str, zone: Zone) -> Result<i64, FieldCode> {
    let (y, m, d) = parse_date(v).ok_or(FieldCode::InvalidDate)?;
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(y).map_err(|_| FieldCode::InvalidDate)?, m, d);
    date.and_then(|date| zone.midnight(date)).ok_or(FieldCode::InvalidDate)
}

fn parse_date(v: &str) -> Option<(i64, u32, u32)> {
    let (y, m, d) = if let [y, m, d] = v.split('-').collect::<Vec<_>>().as_slice() {
        (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    } else if let [d, m, y] = v.split('.').collect::<Vec<_>>().as_slice() {
        (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    } else {
        return None;
    };
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    ((1900..=2200).contains(&y) && (1..=days_in_month).contains(&d)).then_some((y, m, d))
}

/// RFC 3339 with an offset (`2026-12-01T10:00:00+03:00` or `…Z`) → Unix seconds; without an
/// offset (`2026-12-01T10:00`, `2026-12-01 10:00:00`: the window's date-time input) it is read
/// in the account's zone at that moment's offset, a skipped or repeated time as `Zone::moment`
/// reads it.
fn date_time(v: &str, zone: Zone) -> Result<i64, FieldCode> {
    if let Some(t) = crate::clock::parse_rfc3339(v) {
        return Ok(t);
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(v, f).ok())
        .filter(|t| (1900..=2200).contains(&chrono::Datelike::year(t)))
        .and_then(|t| zone.moment(t))
        .ok_or(FieldCode::InvalidDateTime)
}

/// The day a stored `date` value is, in the account's time zone (at that moment's offset):
/// `(year, month, day)`.
pub fn local_day(unix: i64, zone: impl Into<Zone>) -> (i64, u32, u32) {
    let offset = zone.into().offset_at(unix).local_minus_utc();
    let days = unix.saturating_add(i64::from(offset)).div_euclid(86_400);
    // civil_from_days (Howard Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(id: i64, t: FieldType) -> CustomField {
        CustomField {
            id,
            name: format!("Field {id}"),
            code: None,
            field_type: t,
            sort: 0,
            is_api_only: false,
            enums: vec![
                FieldEnum { id: 1, value: "Chairs".into(), sort: 1, code: None },
                FieldEnum { id: 2, value: "Tables".into(), sort: 2, code: Some("TABLES".into()) },
            ],
            required_statuses: vec![],
        }
    }

    fn one(t: FieldType, v: &str) -> Result<FieldValue, FieldCode> {
        let f = field(7, t);
        check_entries(&[FieldEntry { field_id: 7, value: v.into(), checked: None }], &[f], None, 3 * 3600)
            .map(|mut e| e.remove(0).checked.expect("checked"))
            .map_err(|e| e[0].code)
    }

    /// A text field's value is kept as the names and notes are (`domain::text`): an escape
    /// sequence or a direction override pasted into "Source" never reaches amoCRM, and a
    /// one-line field stays on one line; a text area keeps its lines.
    #[test]
    fn text_values_lose_control_characters_and_direction_overrides() {
        assert_eq!(
            one(FieldType::Text, "Insta\u{1b}[2Jgram\u{202e}fdp"),
            Ok(FieldValue::Text("Insta[2Jgramfdp".into()))
        );
        assert_eq!(one(FieldType::Text, "two\nlines"), Ok(FieldValue::Text("two lines".into())));
        assert_eq!(one(FieldType::Streetaddress, "Main St\r\n1"), Ok(FieldValue::Text("Main St 1".into())));
        assert_eq!(one(FieldType::Textarea, "first\r\nsecond\u{0}"), Ok(FieldValue::Text("first\nsecond".into())));
        assert_eq!(
            one(FieldType::Url, "https://x.example/\u{202e}"),
            Ok(FieldValue::Text("https://x.example/".into()))
        );
        // Only control characters: nothing is left, as if nothing had been typed.
        let f = field(7, FieldType::Text);
        let only_controls = FieldEntry { field_id: 7, value: "\u{1b}\u{7}".into(), checked: None };
        assert_eq!(check_entries(&[only_controls], &[f], None, 0), Ok(vec![]));
    }

    #[test]
    fn each_type_is_checked_and_converted() {
        assert_eq!(one(FieldType::Text, " Instagram "), Ok(FieldValue::Text("Instagram".into())));
        assert_eq!(one(FieldType::Text, &"x".repeat(257)), Err(FieldCode::TooLongForAmo));
        assert_eq!(one(FieldType::Textarea, &"x".repeat(256)), Ok(FieldValue::Text("x".repeat(256))));
        assert_eq!(one(FieldType::Numeric, "1 234,5"), Ok(FieldValue::Number("1234.5".into())));
        assert_eq!(one(FieldType::Numeric, "12a"), Err(FieldCode::InvalidNumber));
        assert_eq!(one(FieldType::Numeric, "1234567890123456"), Err(FieldCode::InvalidNumber));
        assert_eq!(one(FieldType::Numeric, "--5"), Err(FieldCode::InvalidNumber));
        assert_eq!(one(FieldType::Numeric, "-5"), Ok(FieldValue::Number("-5".into())));
        assert_eq!(one(FieldType::Checkbox, "да"), Ok(FieldValue::Flag(true)));
        assert_eq!(one(FieldType::Checkbox, "maybe"), Err(FieldCode::InvalidFlag));
        assert_eq!(one(FieldType::Select, "tables"), Ok(FieldValue::Choice(2)));
        assert_eq!(one(FieldType::Select, "1"), Ok(FieldValue::Choice(1)));
        assert_eq!(one(FieldType::Radiobutton, "TABLES"), Ok(FieldValue::Choice(2)));
        assert_eq!(one(FieldType::Select, "Sofas"), Err(FieldCode::NotAChoice));
        assert_eq!(one(FieldType::Multiselect, "Chairs | 2 | chairs"), Ok(FieldValue::Choices(vec![1, 2])));
        assert_eq!(one(FieldType::Url, "example.com"), Err(FieldCode::InvalidUrl));
        assert_eq!(one(FieldType::Other, "x"), Err(FieldCode::ReadOnlyField));
    }

    #[test]
    fn values_are_kept_as_the_windows_inputs_hold_them() {
        let f = |t, v: &str| {
            let fl = field(7, t);
            check_entries(&[FieldEntry { field_id: 7, value: v.into(), checked: None }], &[fl], None, 3 * 3600)
                .expect("valid")
                .remove(0)
                .value
        };
        assert_eq!(f(FieldType::Checkbox, "да"), "true");
        assert_eq!(f(FieldType::Select, "tables"), "2");
        assert_eq!(f(FieldType::Multiselect, "Tables|chairs"), "2|1");
        assert_eq!(f(FieldType::Date, "01.12.2026"), "2026-12-01");
        assert_eq!(f(FieldType::DateTime, "2026-12-01T10:00:00+03:00"), "2026-12-01T10:00:00+03:00");
        assert_eq!(f(FieldType::Numeric, "1 234,5"), "1234.5");
    }

    #[test]
    fn a_date_is_midnight_in_the_accounts_time_zone() {
        // 2026-12-01 00:00 at UTC+3 is 2026-11-30 21:00 UTC.
        let v = one(FieldType::Date, "2026-12-01").expect("date");
        assert_eq!(v, FieldValue::Instant(1_796_072_400));
        assert_eq!(local_day(1_796_072_400, 3 * 3600), (2026, 12, 1));
        assert_eq!(one(FieldType::Birthday, "01.12.2026"), Ok(v));
        assert_eq!(one(FieldType::Date, "2026-02-30"), Err(FieldCode::InvalidDate));
        assert_eq!(one(FieldType::DateTime, "2026-12-01T10:00:00+03:00"), Ok(FieldValue::Instant(1_796_108_400)));
        assert_eq!(one(FieldType::DateTime, "tomorrow"), Err(FieldCode::InvalidDateTime));
    }

    /// A Europe/Berlin account as the app knows it when its settings were read in July: CEST,
    /// +02:00 now, CET (+01:00) in winter.
    fn berlin() -> Zone {
        Zone::of_account(Some("Europe/Berlin"), Some(2 * 3600))
    }

    fn date_in(zone: Zone, t: FieldType, v: &str) -> (i64, String) {
        let f = field(7, t);
        let mut e = check_entries(&[FieldEntry { field_id: 7, value: v.into(), checked: None }], &[f], None, zone)
            .expect("valid");
        let e = e.remove(0);
        match e.checked {
            Some(FieldValue::Instant(t)) => (t, e.value),
            other => panic!("not a moment: {other:?}"),
        }
    }

    #[test]
    fn a_winter_date_typed_in_summer_is_its_own_days_midnight() {
        // 2027-01-15 00:00 CET (+01:00) is 2027-01-14 23:00 UTC, whatever the offset is today.
        assert_eq!(date_in(berlin(), FieldType::Date, "15.01.2027"), (1_799_967_600, "2027-01-15".into()));
        assert_eq!(date_in(berlin(), FieldType::Birthday, "2027-01-15").0, 1_799_967_600);
        // A summer day's midnight is at +02:00: 2027-07-15 00:00 CEST is 2027-07-14 22:00 UTC.
        assert_eq!(date_in(berlin(), FieldType::Date, "2027-07-15").0, 1_815_602_400);
        // Read back, each stored midnight is the day typed.
        assert_eq!(local_day(1_799_967_600, berlin()), (2027, 1, 15));
        assert_eq!(local_day(1_815_602_400, berlin()), (2027, 7, 15));
        // A date-time typed without an offset (the window's input) is read at its own offset.
        let jan_ten = (1_800_003_600, "2027-01-15T10:00:00+01:00".to_string());
        assert_eq!(date_in(berlin(), FieldType::DateTime, "2027-01-15T10:00"), jan_ten);
        assert_eq!(date_in(berlin(), FieldType::DateTime, "2027-01-15 10:00:00"), jan_ten);
        // …and one typed with an offset keeps it.
        let typed = date_in(berlin(), FieldType::DateTime, "2027-01-15T10:00:00+03:00");
        assert_eq!(typed, (1_799_996_400, "2027-01-15T10:00:00+03:00".into()));
        assert_eq!(one(FieldType::DateTime, "2027-01-15T25:00"), Err(FieldCode::InvalidDateTime));
    }

    #[test]
    fn a_zone_this_build_does_not_know_falls_back_to_amocrms_offset() {
        let unknown = Zone::of_account(Some("Mars/Olympus_Mons"), Some(2 * 3600));
        // 2027-01-15 00:00 +02:00: the offset amoCRM gave, the best there is without the rules.
        assert_eq!(date_in(unknown, FieldType::Date, "2027-01-15").0, 1_799_964_000);
        assert_eq!(local_day(1_799_964_000, unknown), (2027, 1, 15));
    }

    #[test]
    fn a_field_the_stage_requires_is_named_when_missing() {
        let mut f = field(9, FieldType::Date);
        f.required_statuses = vec![RequiredStatus { pipeline_id: 10, status_id: 3 }];
        let e = check_entries(&[], std::slice::from_ref(&f), Some((10, 3)), 0).expect_err("required");
        assert_eq!((e[0].field.as_str(), e[0].code), ("custom_fields.9", FieldCode::RequiredForStage));
        assert_eq!(e[0].label.as_deref(), Some("Field 9"));
        assert!(check_entries(&[], std::slice::from_ref(&f), Some((10, 2)), 0).is_ok(), "another stage");
        // Fields the form cannot fill never block a lead.
        let mut hidden = f.clone();
        hidden.is_api_only = true;
        assert!(check_entries(&[], std::slice::from_ref(&hidden), Some((10, 3)), 0).is_ok(), "integration-only");
        let mut other = f.clone();
        other.field_type = FieldType::Other;
        assert!(check_entries(&[], std::slice::from_ref(&other), Some((10, 3)), 0).is_ok(), "read-only type");
        let unknown = check_entries(&[FieldEntry { field_id: 5, ..Default::default() }], &[f], None, 0);
        assert_eq!(unknown.expect_err("unknown")[0].code, FieldCode::UnknownField);
    }
}
