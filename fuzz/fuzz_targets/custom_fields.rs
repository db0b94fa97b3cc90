//! The account's custom field definitions (docs/amocrm-api.md §8.11, §13): any bytes as the body
//! of a `GET /api/v4/{leads|contacts|companies}/custom_fields` page. Runs the real
//! `amocrm::wire::parse` and `amocrm::client::custom_fields_page` — what
//! `ApiClient::custom_fields` makes of each 200 — then stores the fields as the reference cache
//! does (JSON) and reads them back.
//!
//! Checked: no panic; a body that is not JSON, or has no list of fields, is `unexpected_response`;
//! the page is exactly the fields described as §13 says, in amoCRM's order — `id`, `name` and
//! `type`, the rest optional, `code`, `enums` and `required_statuses` `null` or absent read as
//! none — each with what the answer says and nothing invented; a field described oddly is left
//! out alone, never the whole page; a type the app does not know is `other`, never dropped; the
//! fields survive the reference cache's JSON unchanged. (serde also reads a field written as the
//! array of its values; such an item is only checked to be read alone and to invent no id.)
#![no_main]

mod common;

use amo_core::amocrm::client::custom_fields_page;
use amo_core::amocrm::wire::parse;
use amo_core::domain::fields::{CustomField, FieldEnum, FieldType, RequiredStatus};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

/// amoCRM's type names the app knows; any other string is `Other`.
const TYPES: &[(&str, FieldType)] = &[
    ("text", FieldType::Text),
    ("textarea", FieldType::Textarea),
    ("numeric", FieldType::Numeric),
    ("price", FieldType::Price),
    ("monetary", FieldType::Monetary),
    ("checkbox", FieldType::Checkbox),
    ("select", FieldType::Select),
    ("radiobutton", FieldType::Radiobutton),
    ("multiselect", FieldType::Multiselect),
    ("date", FieldType::Date),
    ("date_time", FieldType::DateTime),
    ("birthday", FieldType::Birthday),
    ("url", FieldType::Url),
    ("multitext", FieldType::Multitext),
    ("streetaddress", FieldType::Streetaddress),
];

/// A key that may be absent: `Some(None)` when absent, `Some(Some(v))` when there, `None` when
/// `v` is there but not what `read` takes.
fn optional<T>(o: &Map<String, Value>, key: &str, read: impl Fn(&Value) -> Option<T>) -> Option<Option<T>> {
    match o.get(key) {
        None => Some(None),
        Some(v) => read(v).map(Some),
    }
}

/// A string or `null`.
fn text_or_null(v: &Value) -> Option<Option<String>> {
    match v {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        _ => None,
    }
}

/// A list of `item`s, or `null` (none); `None` when any item is not one.
fn list_or_null<T>(v: &Value, item: impl Fn(&Map<String, Value>) -> Option<T>) -> Option<Vec<T>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::Array(a) => a.iter().map(|x| item(x.as_object()?)).collect(),
        _ => None,
    }
}

/// The field §13 describes, read independently of the decoder; `None` for one described oddly.
fn expected(item: &Value) -> Option<CustomField> {
    let o = item.as_object()?;
    let type_name = o.get("type")?.as_str()?;
    let field_type = TYPES.iter().find(|(n, _)| *n == type_name).map_or(FieldType::Other, |(_, t)| *t);
    let enums = optional(o, "enums", |v| {
        list_or_null(v, |e| {
            Some(FieldEnum {
                id: e.get("id")?.as_i64()?,
                value: optional(e, "value", text_or_null)?.flatten().unwrap_or_default(),
                sort: optional(e, "sort", Value::as_i64)?.unwrap_or(0),
                code: optional(e, "code", text_or_null)?.flatten(),
            })
        })
    })?;
    let required_statuses = optional(o, "required_statuses", |v| {
        list_or_null(v, |r| {
            Some(RequiredStatus {
                pipeline_id: r.get("pipeline_id")?.as_i64()?,
                status_id: r.get("status_id")?.as_i64()?,
            })
        })
    })?;
    Some(CustomField {
        id: o.get("id")?.as_i64()?,
        name: o.get("name")?.as_str()?.to_string(),
        code: optional(o, "code", text_or_null)?.flatten(),
        field_type,
        sort: optional(o, "sort", Value::as_i64)?.unwrap_or(0),
        is_api_only: optional(o, "is_api_only", Value::as_bool)?.unwrap_or(false),
        enums: enums.unwrap_or_default(),
        required_statuses: required_statuses.unwrap_or_default(),
    })
}

/// serde also reads a struct written as the array of its values; amoCRM never writes one, and
/// the model above does not say what such an item means. Such items are only checked to be read
/// alone and to invent no id.
fn positional(item: &Value) -> bool {
    let arrays_in = |key: &str| item.get(key).and_then(Value::as_array).is_some_and(|a| a.iter().any(Value::is_array));
    item.is_array() || arrays_in("enums") || arrays_in("required_statuses")
}

/// Numbers anywhere in `v`.
fn integers(v: &Value, out: &mut Vec<i64>) {
    match v {
        Value::Number(n) => out.extend(n.as_i64()),
        Value::Array(a) => a.iter().for_each(|x| integers(x, out)),
        Value::Object(o) => o.values().for_each(|x| integers(x, out)),
        _ => {}
    }
}

// Input: the body, as text (bytes that are not UTF-8 read lossily, as the HTTP client reads them).
fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    let v = match parse(&body) {
        Ok(v) => v,
        Err(e) => {
            common::check_error(&e, &["unexpected_response"]);
            return;
        }
    };
    let items = v.pointer("/_embedded/custom_fields").and_then(Value::as_array).cloned();
    let has_next = v.pointer("/_links/next").is_some();
    match custom_fields_page(v) {
        Ok((fields, next)) => {
            assert_eq!(next, has_next);
            let items = items.expect("a page is read only from a list of fields");
            // Each item is read alone: a field described oddly leaves out that field only.
            let mut alone = Vec::new();
            for item in &items {
                let page = serde_json::json!({"_embedded": {"custom_fields": [item]}});
                let (got, next) = custom_fields_page(page).expect("a list of one field is a page");
                assert!(!next && got.len() <= 1);
                if positional(item) {
                    let mut ints = Vec::new();
                    integers(item, &mut ints);
                    for f in &got {
                        assert!(ints.contains(&f.id), "field id {} is not in the answer", f.id);
                    }
                } else {
                    assert_eq!(got, expected(item).into_iter().collect::<Vec<_>>(), "{item}");
                }
                alone.extend(got);
            }
            assert_eq!(fields, alone, "the page is not its fields, each read alone, in amoCRM's order");
            for f in &fields {
                for r in &f.required_statuses {
                    assert!(f.required_for(r.pipeline_id, r.status_id));
                }
            }
            // The reference cache keeps the fields as JSON (`reference.rs`): they read back as they were.
            let json = serde_json::to_string(&fields).expect("fields serialise");
            let back: Vec<CustomField> =
                serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json} does not read back: {e}"));
            assert_eq!(back, fields, "the cached fields read back as others");
        }
        Err(e) => {
            common::check_error(&e, &["unexpected_response"]);
            assert!(items.is_none(), "a list of fields refused: {e:?}");
        }
    }
});
