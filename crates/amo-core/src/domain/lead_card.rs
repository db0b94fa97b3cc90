//! The lead card (issue 21): one lead as a manager reads it before changing it — its stage by
//! kind (open / won / lost, never amoCRM's magic ids in text), who is responsible, its loss
//! reason, tags, custom fields shown as people read them, contacts, the last notes and the open
//! tasks. Names come from the account's reference data (pipelines, users, lead fields, task
//! types); what they do not know stays an id, never a guess.
//!
//! `updated_at` / `updated_by` are kept as amoCRM gave them: the update steps that come later
//! compare them with a fresh read before writing (amoCRM checks no version on `PATCH`, last
//! write wins, docs/amocrm-api.md §18.2).
//!
//! Dates are shown in the **account's** zone (`domain::zone`, docs/amocrm-api.md §11.10,
//! §11.14): a `date` field is the midnight of its day there, read as UTC it is a day early on an
//! eastern account. No I/O here: the service passes what it read.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::domain::fields::{CustomField, FieldType};
use crate::domain::my_tasks::{my_tasks, MyTask, OpenTask};
use crate::domain::reference::{ReferenceData, StageKind, User};
use crate::domain::zone::Zone;

/// How many of the newest notes a card shows (one request: `limit` and `order[updated_at]=desc`).
pub const CARD_NOTES: usize = 5;

/// A lead as `GET /api/v4/leads/{id}?with=contacts,loss_reason` gives it (docs/amocrm-api.md
/// §8.2, §18.3), before naming.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawLead {
    pub id: i64,
    pub name: String,
    pub price: i64,
    pub pipeline_id: i64,
    pub status_id: i64,
    pub responsible_user_id: i64,
    pub loss_reason_id: Option<i64>,
    /// `_embedded.loss_reason[0].name` (a one-item list in amo-docs' example).
    pub loss_reason_name: Option<String>,
    pub tags: Vec<String>,
    pub fields: Vec<RawFieldValues>,
    pub contact_ids: Vec<i64>,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_by: i64,
    pub updated_at: i64,
}

/// One entry of `custom_fields_values`: amoCRM names the field and its type in a read, but the
/// account's definitions win (an admin may have renamed it since).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawFieldValues {
    pub field_id: i64,
    pub field_name: Option<String>,
    pub field_type: Option<FieldType>,
    pub values: Vec<RawValue>,
}

/// One of a field's values, as the wire found it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawValue {
    /// A string value (or a number with a fraction, or an object's parts joined), as text.
    pub text: Option<String>,
    /// A whole number value (a date's Unix seconds, a numeric field).
    pub number: Option<i64>,
    /// A checkbox.
    pub flag: Option<bool>,
    /// A choice's id.
    pub enum_id: Option<i64>,
}

/// A note as the wire found it (`GET /api/v4/leads/{id}/notes`, docs/amocrm-api.md §16.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawNote {
    pub id: i64,
    pub note_type: String,
    /// `params.text` (common, service messages, SMS), or for a call its phone and length.
    pub text: String,
    pub created_by: i64,
    pub created_at: i64,
}

/// A custom field of the lead, shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CardField {
    #[ts(type = "number")]
    pub field_id: i64,
    /// The account's name for it; amoCRM's name in the read, else the id as text.
    pub name: String,
    pub field_type: FieldType,
    /// As a person reads it: choices by their text, dates as `YYYY-MM-DD` and date-times as
    /// `YYYY-MM-DD HH:MM` in the account's zone, a checkbox `yes` / `no`, several values joined
    /// with ", " (a text area keeps its lines).
    pub value: String,
    /// A checkbox's state, for a window that says yes/no in its own language.
    pub checked: Option<bool>,
}

/// A contact of the lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CardContact {
    #[ts(type = "number")]
    pub id: i64,
    /// None when amoCRM did not give it (deleted since, or not visible to this user).
    pub name: Option<String>,
}

/// One of the lead's newest notes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CardNote {
    #[ts(type = "number")]
    pub id: i64,
    /// amoCRM's `note_type`: `common`, `call_in`, `call_out`, `service_message`, `sms_in`, …
    pub note_type: String,
    pub text: String,
    #[ts(type = "number")]
    pub created_at: i64,
    /// The same moment as RFC 3339 in the account's zone.
    pub created: String,
    #[ts(type = "number")]
    pub created_by: i64,
    pub created_by_name: Option<String>,
}

/// The lead card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LeadCard {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    #[ts(type = "number")]
    pub price: i64,
    #[ts(type = "number")]
    pub pipeline_id: i64,
    /// None when the account's pipelines do not list it (archived, or data not read yet).
    pub pipeline_name: Option<String>,
    #[ts(type = "number")]
    pub status_id: i64,
    pub status_name: Option<String>,
    /// Open, won or lost (or an incoming lead not sorted yet) — what the window words.
    pub stage_kind: StageKind,
    #[ts(type = "number")]
    pub responsible_user_id: i64,
    pub responsible_name: Option<String>,
    #[ts(type = "number | null")]
    pub loss_reason_id: Option<i64>,
    pub loss_reason: Option<String>,
    pub tags: Vec<String>,
    /// In the account's field order; fields the account does not list last, as amoCRM sent them.
    pub fields: Vec<CardField>,
    pub contacts: Vec<CardContact>,
    #[ts(type = "number")]
    pub created_at: i64,
    /// The account's zone's wall clock, RFC 3339.
    pub created: String,
    #[ts(type = "number")]
    pub updated_at: i64,
    /// The account's zone's wall clock, RFC 3339.
    pub updated: String,
    /// Who changed it last (amoCRM reads `created_by` until somebody changes it; 0: a robot).
    #[ts(type = "number")]
    pub updated_by: i64,
    pub updated_by_name: Option<String>,
    /// Newest first, at most [`CARD_NOTES`].
    pub notes: Vec<CardNote>,
    /// Its open tasks, soonest first, with their due time in the account's zone.
    pub tasks: Vec<MyTask>,
}

fn user_name(users: &[User], id: i64) -> Option<String> {
    users.iter().find(|u| u.id == id && !u.name.trim().is_empty()).map(|u| u.name.clone())
}

/// The card of `lead` with `notes` (any order) and its open `tasks`, named from `account`, at `now`.
pub fn lead_card(
    lead: RawLead,
    contact_names: &[(i64, String)],
    mut notes: Vec<RawNote>,
    tasks: Vec<OpenTask>,
    account: &ReferenceData,
    now: i64,
) -> LeadCard {
    let zone = account.zone();
    let pipeline = account.pipelines.iter().find(|p| p.id == lead.pipeline_id);
    let status = pipeline.and_then(|p| p.statuses.iter().find(|s| s.id == lead.status_id));
    // The kind comes from the status when the account lists it (its unsorted type), else from
    // the special ids that are the same in every pipeline.
    let stage_kind = status.map_or_else(|| StageKind::of(lead.status_id, 0), |s| s.kind);
    notes.sort_by_key(|n| std::cmp::Reverse((n.created_at, n.id)));
    notes.truncate(CARD_NOTES);
    LeadCard {
        id: lead.id,
        name: lead.name,
        price: lead.price,
        pipeline_id: lead.pipeline_id,
        pipeline_name: pipeline.map(|p| p.name.clone()),
        status_id: lead.status_id,
        status_name: status.map(|s| s.name.clone()),
        stage_kind,
        responsible_user_id: lead.responsible_user_id,
        responsible_name: user_name(&account.users, lead.responsible_user_id),
        loss_reason_id: lead.loss_reason_id,
        loss_reason: lead.loss_reason_name.filter(|n| !n.trim().is_empty()),
        tags: lead.tags,
        fields: card_fields(lead.fields, &account.lead_fields, zone),
        contacts: lead
            .contact_ids
            .iter()
            .map(|id| CardContact {
                id: *id,
                name: contact_names.iter().find(|(c, n)| c == id && !n.trim().is_empty()).map(|(_, n)| n.clone()),
            })
            .collect(),
        created_at: lead.created_at,
        created: zone.rfc3339(lead.created_at),
        updated_at: lead.updated_at,
        updated: zone.rfc3339(lead.updated_at),
        updated_by: lead.updated_by,
        updated_by_name: user_name(&account.users, lead.updated_by),
        notes: notes
            .into_iter()
            .map(|n| CardNote {
                created: zone.rfc3339(n.created_at),
                created_by_name: user_name(&account.users, n.created_by),
                id: n.id,
                note_type: n.note_type,
                text: n.text,
                created_at: n.created_at,
                created_by: n.created_by,
            })
            .collect(),
        tasks: my_tasks(tasks, &account.task_types, &account.users, zone, now),
    }
}

/// The lead's field values shown, in the account's field order; an entry without values is left
/// out (amoCRM sends none for an empty field).
pub fn card_fields(raw: Vec<RawFieldValues>, defs: &[CustomField], zone: Zone) -> Vec<CardField> {
    let order = |id: i64| defs.iter().position(|d| d.id == id).unwrap_or(usize::MAX);
    let mut raw: Vec<(usize, RawFieldValues)> = raw.into_iter().enumerate().collect();
    raw.sort_by_key(|(i, f)| (order(f.field_id), *i));
    raw.into_iter()
        .filter(|(_, f)| !f.values.is_empty())
        .map(|(_, f)| {
            let def = defs.iter().find(|d| d.id == f.field_id);
            let field_type = def.map(|d| d.field_type).or(f.field_type).unwrap_or(FieldType::Other);
            let name = def
                .map(|d| d.name.clone())
                .filter(|n| !n.trim().is_empty())
                .or_else(|| f.field_name.clone().filter(|n| !n.trim().is_empty()))
                .unwrap_or_else(|| f.field_id.to_string());
            let checked = (field_type == FieldType::Checkbox).then(|| f.values.iter().any(|v| v.flag == Some(true)));
            let value = match checked {
                Some(on) => if on { "yes" } else { "no" }.to_string(),
                None => {
                    let shown: Vec<String> =
                        f.values.iter().filter_map(|v| shown_value(v, field_type, def, zone)).collect();
                    shown.join(", ")
                }
            };
            CardField { field_id: f.field_id, name, field_type, value, checked }
        })
        .collect()
}

/// One value as a person reads it; None for a value with nothing to show.
fn shown_value(v: &RawValue, t: FieldType, def: Option<&CustomField>, zone: Zone) -> Option<String> {
    let as_text = || v.text.clone().or_else(|| v.number.map(|n| n.to_string())).filter(|s| !s.trim().is_empty());
    match t {
        FieldType::Select | FieldType::Radiobutton | FieldType::Multiselect => {
            // The account's text for the choice (renamed choices read as they are named now),
            // else the text amoCRM sent with it.
            let by_id = v
                .enum_id
                .and_then(|id| def?.enums.iter().find(|e| e.id == id))
                .map(|e| e.value.clone())
                .filter(|s| !s.trim().is_empty());
            by_id.or_else(as_text).or_else(|| v.enum_id.map(|id| id.to_string()))
        }
        FieldType::Date | FieldType::Birthday | FieldType::DateTime => {
            let unix = v.number.or_else(|| v.text.as_deref().and_then(unix_of))?;
            let at = zone.at(unix)?;
            Some(if t == FieldType::DateTime {
                at.format("%Y-%m-%d %H:%M").to_string()
            } else {
                at.format("%Y-%m-%d").to_string()
            })
        }
        FieldType::Checkbox => v.flag.map(|on| if on { "yes" } else { "no" }.to_string()),
        _ => as_text().or_else(|| v.flag.map(|on| if on { "yes" } else { "no" }.to_string())),
    }
}

/// A date value sent as text: Unix seconds as a string, or RFC 3339 (docs/amocrm-api.md §8.11).
fn unix_of(s: &str) -> Option<i64> {
    let s = s.trim();
    s.parse::<i64>().ok().or_else(|| chrono::DateTime::parse_from_rfc3339(s).ok().map(|d| d.timestamp()))
}

/// A call note's text: its phone and length (`m:ss`), what amoCRM's card shows for it.
pub fn call_text(phone: Option<&str>, duration_secs: Option<i64>) -> String {
    let length = duration_secs.filter(|d| *d >= 0).map(|d| format!("{}:{:02}", d / 60, d % 60));
    [phone.map(str::trim).filter(|p| !p.is_empty()).map(str::to_string), length]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fields::FieldEnum;
    use crate::domain::reference::{Pipeline, PipelineStatus};

    fn field(id: i64, name: &str, t: FieldType, enums: &[(i64, &str)]) -> CustomField {
        CustomField {
            id,
            name: name.into(),
            code: None,
            field_type: t,
            sort: 0,
            is_api_only: false,
            enums: enums.iter().map(|(id, v)| FieldEnum { id: *id, value: (*v).into(), sort: 0, code: None }).collect(),
            required_statuses: Vec::new(),
        }
    }

    fn account() -> ReferenceData {
        ReferenceData {
            pipelines: vec![Pipeline {
                id: 10,
                name: "Sales".into(),
                sort: 1,
                is_main: true,
                is_unsorted_on: false,
                statuses: vec![
                    PipelineStatus { id: 11, name: "New".into(), sort: 1, color: String::new(), kind: StageKind::Open },
                    PipelineStatus {
                        id: 143,
                        name: "Closed - lost".into(),
                        sort: 2,
                        color: String::new(),
                        kind: StageKind::Lost,
                    },
                ],
            }],
            users: vec![
                User { id: 1, name: "Anna".into(), email: None },
                User { id: 2, name: "Boris".into(), email: None },
            ],
            users_restricted: false,
            current_user_id: Some(1),
            lead_fields: vec![
                field(100, "Delivery", FieldType::Date, &[]),
                field(101, "Colour", FieldType::Select, &[(1, "Red"), (2, "Blue")]),
                field(102, "Gift wrap", FieldType::Checkbox, &[]),
            ],
            contact_fields: Vec::new(),
            company_fields: Vec::new(),
            lead_layout: Default::default(),
            contact_layout: Default::default(),
            timezone: Some("Europe/Moscow".into()),
            timezone_offset_secs: Some(3 * 3600),
            task_types: Vec::new(),
            unsorted_on: false,
            fetched_at: String::new(),
            stale: false,
            account_domain: None,
            account_id: None,
        }
    }

    #[test]
    fn a_lost_lead_is_named_from_the_account_and_its_fields_read_as_people_read_them() {
        // 2026-03-10 00:00 in Moscow is 2026-03-09 21:00 UTC: read as UTC, the date is a day early.
        let midnight = 1_773_090_000;
        let lead = RawLead {
            id: 5,
            name: "Sofa".into(),
            price: 900,
            pipeline_id: 10,
            status_id: 143,
            responsible_user_id: 2,
            loss_reason_id: Some(7),
            loss_reason_name: Some("Too expensive".into()),
            tags: vec!["vip".into()],
            fields: vec![
                RawFieldValues {
                    field_id: 999,
                    field_name: Some("Old field".into()),
                    field_type: Some(FieldType::Text),
                    values: vec![RawValue { text: Some("kept".into()), ..Default::default() }],
                },
                RawFieldValues {
                    field_id: 102,
                    values: vec![RawValue { flag: Some(false), ..Default::default() }],
                    ..Default::default()
                },
                RawFieldValues {
                    field_id: 101,
                    values: vec![RawValue { enum_id: Some(2), text: Some("Old blue".into()), ..Default::default() }],
                    ..Default::default()
                },
                RawFieldValues {
                    field_id: 100,
                    values: vec![RawValue { number: Some(midnight), ..Default::default() }],
                    ..Default::default()
                },
                RawFieldValues { field_id: 103, values: Vec::new(), ..Default::default() },
            ],
            contact_ids: vec![40, 41],
            created_by: 1,
            created_at: midnight - 100,
            updated_by: 1,
            updated_at: midnight,
        };
        let notes = vec![
            RawNote { id: 1, note_type: "common".into(), text: "old".into(), created_by: 2, created_at: 10 },
            RawNote { id: 2, note_type: "common".into(), text: "new".into(), created_by: 9, created_at: 20 },
        ];
        let card = lead_card(lead, &[(40, "Ivan".into())], notes, Vec::new(), &account(), midnight);
        assert_eq!(
            (card.pipeline_name.as_deref(), card.status_name.as_deref()),
            (Some("Sales"), Some("Closed - lost"))
        );
        assert_eq!(card.stage_kind, StageKind::Lost);
        assert_eq!(card.responsible_name.as_deref(), Some("Boris"));
        assert_eq!(card.loss_reason.as_deref(), Some("Too expensive"));
        assert_eq!(
            (card.updated_by_name.as_deref(), card.updated.as_str()),
            (Some("Anna"), "2026-03-10T00:00:00+03:00")
        );
        assert_eq!(card.created, "2026-03-09T23:58:20+03:00");
        let fields: Vec<(i64, &str, &str, Option<bool>)> =
            card.fields.iter().map(|f| (f.field_id, f.name.as_str(), f.value.as_str(), f.checked)).collect();
        assert_eq!(
            fields,
            [
                (100, "Delivery", "2026-03-10", None),
                (101, "Colour", "Blue", None),
                (102, "Gift wrap", "no", Some(false)),
                (999, "Old field", "kept", None),
            ]
        );
        assert_eq!(
            card.contacts,
            [CardContact { id: 40, name: Some("Ivan".into()) }, CardContact { id: 41, name: None }]
        );
        let notes: Vec<(&str, Option<&str>)> =
            card.notes.iter().map(|n| (n.text.as_str(), n.created_by_name.as_deref())).collect();
        assert_eq!(notes, [("new", None), ("old", Some("Boris"))]);
    }

    #[test]
    fn a_stage_the_account_does_not_list_still_has_its_kind() {
        let lead = RawLead { pipeline_id: 77, status_id: 142, ..Default::default() };
        let card = lead_card(lead, &[], Vec::new(), Vec::new(), &account(), 0);
        assert_eq!((card.stage_kind, card.pipeline_name, card.status_name), (StageKind::Won, None, None));
    }

    #[test]
    fn date_times_multiselects_and_call_notes_read_plainly() {
        let defs = [
            field(1, "Visit", FieldType::DateTime, &[]),
            field(2, "Rooms", FieldType::Multiselect, &[(5, "Hall"), (6, "Kitchen")]),
        ];
        let raw = vec![
            RawFieldValues {
                field_id: 1,
                values: vec![RawValue { text: Some("2026-03-10T09:30:00+00:00".into()), ..Default::default() }],
                ..Default::default()
            },
            RawFieldValues {
                field_id: 2,
                values: vec![
                    RawValue { enum_id: Some(6), ..Default::default() },
                    RawValue { enum_id: Some(5), ..Default::default() },
                ],
                ..Default::default()
            },
        ];
        let shown: Vec<String> = card_fields(raw, &defs, Zone::from(3 * 3600)).into_iter().map(|f| f.value).collect();
        assert_eq!(shown, ["2026-03-10 12:30", "Kitchen, Hall"]);
        assert_eq!(call_text(Some("+79161234567"), Some(125)), "+79161234567, 2:05");
        assert_eq!(call_text(None, None), "");
    }
}
