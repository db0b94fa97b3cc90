//! Custom fields as amoCRM has them (docs/amocrm-api.md §13): the lists
//! `GET /api/v4/{leads,contacts,companies}/custom_fields` (paged, HAL, 204 past the last page),
//! and the checking of `custom_fields_values` on a written entity, with amoCRM's error codes and
//! paths (`NotSupportedChoice` at `custom_fields_values.N.field_id` or `….values.M.value`).
//! A `date` or `birthday` value is stored as the midnight, in the account's time zone, of the
//! local day the sent instant falls on (amocrm-api-php#402): on a UTC−3 account a UTC midnight
//! is still the previous evening there, so it is stored as the previous day; on a UTC+3 account
//! it is the right day, but read back as UTC it shows the day before. The midnight follows the
//! zone's rules when the account's zone has a name (summer time, and the zone's history: Moscow
//! was UTC+4 in the summer of 1990), else the fixed offset (docs/amocrm-api.md §11.14).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::hal::hal;
use crate::oauth::api_gate;
use crate::state::Shared;

/// Longer text values are refused (the amoCRM UI accepts them; the API does not).
const MAX_TEXT: usize = 256;

const CHOICE: &str = "The value you selected is not a valid choice.";

#[derive(Debug, Clone)]
pub struct SimField {
    pub id: i64,
    pub name: String,
    pub code: Option<String>,
    pub field_type: &'static str,
    pub sort: i64,
    pub is_api_only: bool,
    /// (id, value, code)
    pub enums: Vec<(i64, String, Option<String>)>,
    /// (pipeline_id, status_id)
    pub required_statuses: Vec<(i64, i64)>,
}

fn field(id: i64, name: &str, field_type: &'static str, sort: i64) -> SimField {
    SimField {
        id,
        name: name.into(),
        code: None,
        field_type,
        sort,
        is_api_only: false,
        enums: Vec::new(),
        required_statuses: Vec::new(),
    }
}

fn enums(list: &[(i64, &str)]) -> Vec<(i64, String, Option<String>)> {
    list.iter().map(|(id, v)| (*id, v.to_string(), None)).collect()
}

/// A furniture shop's fields: every type the forms write, one the app cannot (`smart_address`),
/// one set by integrations only, and a date the "Переговоры" stage requires.
pub fn lead_fields(negotiation: (i64, i64)) -> Vec<SimField> {
    let mut source = field(701_001, "Источник", "select", 10);
    source.code = Some("SOURCE".into());
    source.enums = enums(&[(801_001, "Сайт"), (801_002, "Звонок"), (801_003, "Instagram")]);
    let mut options = field(701_002, "Опции", "multiselect", 20);
    options.enums = enums(&[(801_011, "Доставка"), (801_012, "Сборка"), (801_013, "Подъём на этаж")]);
    let mut channel = field(701_003, "Канал", "radiobutton", 30);
    channel.enums = enums(&[(801_021, "Розница"), (801_022, "Опт")]);
    let mut delivery = field(701_007, "Дата доставки", "date", 70);
    delivery.required_statuses = vec![negotiation];
    let mut utm = field(701_013, "utm_source", "text", 130);
    utm.is_api_only = true;
    utm.code = Some("UTM_SOURCE".into());
    vec![
        source,
        options,
        channel,
        field(701_004, "Номер заказа", "numeric", 40),
        field(701_005, "Город", "text", 50),
        field(701_006, "Нужна доставка", "checkbox", 60),
        delivery,
        field(701_008, "Перезвонить", "date_time", 80),
        field(701_009, "Комментарий к заказу", "textarea", 90),
        field(701_010, "Сайт клиента", "url", 100),
        field(701_011, "Сумма предоплаты", "price", 110),
        field(701_012, "Адрес доставки", "smart_address", 120),
        utm,
        field(701_014, "Адрес склада", "streetaddress", 140),
        field(701_015, "Сумма в валюте", "monetary", 150),
    ]
}

/// Contacts: the predefined phone and e-mail (multitext with their types) and a birthday.
pub fn contact_fields() -> Vec<SimField> {
    let mut phone = field(702_001, "Телефон", "multitext", 4);
    phone.code = Some("PHONE".into());
    phone.enums = ["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"]
        .iter()
        .enumerate()
        .map(|(i, c)| (802_001 + i as i64, c.to_string(), Some(c.to_string())))
        .collect();
    let mut email = field(702_002, "Email", "multitext", 6);
    email.code = Some("EMAIL".into());
    email.enums = ["WORK", "PRIV", "OTHER"]
        .iter()
        .enumerate()
        .map(|(i, c)| (802_011 + i as i64, c.to_string(), Some(c.to_string())))
        .collect();
    let mut position = field(702_003, "Должность", "text", 8);
    position.code = Some("POSITION".into());
    vec![phone, email, position, field(702_004, "День рождения", "birthday", 10)]
}

/// Companies: phone, e-mail, web site, address.
pub fn company_fields() -> Vec<SimField> {
    let mut c = contact_fields();
    c.truncate(2);
    for (f, id) in c.iter_mut().zip([703_001, 703_002]) {
        f.id = id;
    }
    let mut web = field(703_003, "Web", "url", 8);
    web.code = Some("WEB".into());
    let mut address = field(703_004, "Адрес", "textarea", 10);
    address.code = Some("ADDRESS".into());
    c.extend([web, address]);
    c
}

impl SimField {
    fn json(&self, entity: &str) -> Value {
        json!({
            "id": self.id, "name": self.name, "code": self.code, "sort": self.sort, "type": self.field_type,
            "entity_type": entity, "is_predefined": self.code.is_some() && entity != "leads", "is_deletable": true,
            "is_api_only": self.is_api_only, "is_computed": false, "group_id": null, "remind": null,
            "enums": if self.enums.is_empty() { Value::Null } else {
                self.enums.iter().enumerate().map(|(i, (id, v, code))| json!({"id": id, "value": v, "sort": (i + 1) * 10, "code": code})).collect()
            },
            // `null`, not `[]`, when there are none — as amoCRM answers.
            "required_statuses": if self.required_statuses.is_empty() { Value::Null } else {
                self.required_statuses.iter().map(|(p, s)| json!({"pipeline_id": p, "status_id": s})).collect()
            },
            "_links": {"self": {"href": format!("/api/v4/{entity}/custom_fields/{}", self.id)}},
        })
    }
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    page: Option<usize>,
    limit: Option<usize>,
}

pub(crate) async fn list_leads(s: State<Shared>, headers: HeaderMap, q: Query<PageQuery>) -> Response {
    list(s, "leads", headers, q)
}

pub(crate) async fn list_contacts(s: State<Shared>, headers: HeaderMap, q: Query<PageQuery>) -> Response {
    list(s, "contacts", headers, q)
}

pub(crate) async fn list_companies(s: State<Shared>, headers: HeaderMap, q: Query<PageQuery>) -> Response {
    list(s, "companies", headers, q)
}

/// `GET /api/v4/{entity}/custom_fields?page=&limit=`: 50 per page by default, at most 250.
fn list(State(s): State<Shared>, entity: &str, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let inner = &mut *s.lock();
    if let Some(r) = api_gate(inner, &headers) {
        return r;
    }
    let all = match entity {
        "leads" => &inner.crm.lead_fields,
        "contacts" => &inner.crm.contact_fields,
        "companies" => &inner.crm.company_fields,
        _ => return (StatusCode::NOT_FOUND, "").into_response(),
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 250);
    let page = q.page.unwrap_or(1).max(1);
    let chunk: Vec<Value> = all.iter().skip((page - 1) * limit).take(limit).map(|f| f.json(entity)).collect();
    if chunk.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    let pages = all.len().div_ceil(limit);
    let host = inner.cfg.account_host();
    let href =
        |p: usize| json!({"href": format!("https://{host}/api/v4/{entity}/custom_fields?page={p}&limit={limit}")});
    let mut links = json!({"self": href(page)});
    if page < pages {
        links["next"] = href(page + 1);
    }
    hal(json!({
        "_total_items": all.len(), "_page": page, "_page_count": pages,
        "_links": links,
        "_embedded": {"custom_fields": chunk},
    }))
}

/// Checks an entity's `custom_fields_values` (at `prefix`, e.g. `""` or `_embedded.contacts.0.`)
/// and returns them as amoCRM stores and returns them; problems go to `push(code, path, detail)`.
pub fn check_values(
    fields: &[SimField],
    raw: Option<&Value>,
    prefix: &str,
    zone: (&str, &str, i64),
    push: &mut dyn FnMut(&str, &str, &str),
) -> Vec<Value> {
    let Some(list) = raw.filter(|v| !v.is_null()) else { return Vec::new() };
    let Some(list) = list.as_array() else {
        push("InvalidType", &format!("{prefix}custom_fields_values"), "This value should be of type array.");
        return Vec::new();
    };
    if list.len() > 40 {
        push("Count", &format!("{prefix}custom_fields_values"), "This collection should contain 40 elements or less.");
    }
    list.iter()
        .enumerate()
        .filter_map(|(i, cf)| check_entry(fields, cf, &format!("{prefix}custom_fields_values.{i}"), zone, push))
        .collect()
}

/// The account's field a `{field_id | field_code, …}` entry names (by id first, then by code).
pub(crate) fn field_of<'a>(fields: &'a [SimField], cf: &Value) -> Option<&'a SimField> {
    let by_id = cf.get("field_id").and_then(Value::as_i64).and_then(|id| fields.iter().find(|f| f.id == id));
    let by_code = cf
        .get("field_code")
        .and_then(Value::as_str)
        .and_then(|c| fields.iter().find(|f| f.code.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(c))));
    by_id.or(by_code)
}

/// The midnight of the day `t` falls on in the account's zone `(name, offset, offset_secs)`, as
/// amoCRM keeps a `date` value: by the zone's rules when the name is one the zone database knows
/// (a skipped midnight is the day's first moment), else at the fixed offset.
fn midnight_of(t: i64, zone: (&str, &str, i64)) -> i64 {
    use chrono::TimeZone;
    let by_rules = zone.0.parse::<chrono_tz::Tz>().ok().and_then(|tz| {
        let day = chrono::DateTime::from_timestamp(t, 0)?.with_timezone(&tz).date_naive();
        let midnight = day.and_hms_opt(0, 0, 0)?;
        (0..=24 * 4).find_map(|q| {
            tz.from_local_datetime(&(midnight + chrono::Duration::minutes(15 * q))).earliest().map(|m| m.timestamp())
        })
    });
    by_rules.unwrap_or_else(|| (t + zone.2).div_euclid(86_400) * 86_400 - zone.2)
}

/// One `{field_id | field_code, values}` entry at `at` (`…custom_fields_values.N`).
fn check_entry(
    fields: &[SimField],
    cf: &Value,
    at: &str,
    zone: (&str, &str, i64),
    push: &mut dyn FnMut(&str, &str, &str),
) -> Option<Value> {
    let Some(f) = field_of(fields, cf) else {
        // A field of another entity, or none at all (docs/amocrm-api.md §14).
        push("NotSupportedChoice", &format!("{at}.field_id"), CHOICE);
        return None;
    };
    let Some(values) = cf.get("values").and_then(Value::as_array) else {
        push("InvalidType", &format!("{at}.values"), "This value should be of type array.");
        return None;
    };
    let mut stored = Vec::new();
    for (j, v) in values.iter().enumerate() {
        let vat = format!("{at}.values.{j}");
        match f.field_type {
            "multitext" => {
                if let Some(x) = multitext_value(f, v, &vat, push) {
                    stored.push(x);
                }
            }
            "select" | "radiobutton" | "multiselect" => {
                let by_enum_id =
                    v.get("enum_id").and_then(Value::as_i64).and_then(|id| f.enums.iter().find(|e| e.0 == id));
                let by_enum_code = v
                    .get("enum_code")
                    .and_then(Value::as_str)
                    .and_then(|c| f.enums.iter().find(|e| e.2.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(c))));
                let by_value = v.get("value").and_then(Value::as_str).and_then(|t| f.enums.iter().find(|e| e.1 == t));
                match by_enum_id.or(by_enum_code).or(by_value) {
                    Some(e) => stored.push(json!({"value": e.1, "enum_id": e.0, "enum_code": e.2})),
                    None => push("NotSupportedChoice", &format!("{vat}.value"), CHOICE),
                }
                if f.field_type != "multiselect" && j > 0 {
                    push("Count", &format!("{at}.values"), "This collection should contain 1 element or less.");
                }
            }
            "checkbox" => match v.get("value").and_then(Value::as_bool) {
                Some(b) => stored.push(json!({"value": b})),
                None => push("InvalidType", &format!("{vat}.value"), "This value should be of type bool."),
            },
            "date" | "birthday" | "date_time" => {
                let ts = v.get("value").and_then(|x| {
                    x.as_i64().or_else(|| {
                        x.as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()).map(|d| d.timestamp())
                    })
                });
                match ts {
                    // A date is the midnight of its day where the account is (amocrm-api-php#402).
                    Some(t) if f.field_type != "date_time" => stored.push(json!({"value": midnight_of(t, zone)})),
                    Some(t) => stored.push(json!({"value": t})),
                    None => push("InvalidType", &format!("{vat}.value"), "This value should be of type int."),
                }
            }
            "numeric" | "price" | "monetary" => {
                let ok = v
                    .get("value")
                    .is_some_and(|x| x.is_number() || x.as_str().is_some_and(|s| s.trim().parse::<f64>().is_ok()));
                if ok {
                    stored.push(json!({"value": v["value"]}));
                } else {
                    push("InvalidType", &format!("{vat}.value"), "This value should be of type numeric.");
                }
            }
            "text" | "textarea" | "url" | "streetaddress" => match v.get("value").and_then(Value::as_str) {
                Some(t) if t.chars().count() > MAX_TEXT => push(
                    "Length",
                    &format!("{vat}.value"),
                    "This value is too long. It should have 256 characters or less.",
                ),
                Some(t) => stored.push(json!({"value": t})),
                None => push("InvalidType", &format!("{vat}.value"), "This value should be of type string."),
            },
            _ => push("FieldNotExpected", &format!("{vat}.value"), "This field was not expected."),
        }
    }
    Some(
        json!({"field_id": f.id, "field_name": f.name, "field_code": f.code, "field_type": f.field_type, "values": stored}),
    )
}

/// A phone or e-mail value (docs/amocrm-api.md §8.5, amo-docs `crm_platform/custom-fields.md`, multitext):
/// `{value, enum_code | enum_id}`; the codes are the field's own (phone: WORK, WORKDD, MOB, FAX,
/// HOME, OTHER; e-mail: WORK, PRIV, OTHER); neither given → the first (WORK).
fn multitext_value(f: &SimField, v: &Value, vat: &str, push: &mut dyn FnMut(&str, &str, &str)) -> Option<Value> {
    if v.get("enum").is_some() {
        // The old `enum` key instead of `enum_code` (docs/amocrm-api.md §14).
        push("FieldNotExpected", &format!("{vat}.enum"), "This field was not expected.");
        return None;
    }
    let given = |k: &str| v.get(k).filter(|x| !x.is_null());
    let chosen = if let Some(code) = given("enum_code") {
        let found = code
            .as_str()
            .and_then(|c| f.enums.iter().find(|e| e.2.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(c))));
        if found.is_none() {
            push("NotSupportedChoice", &format!("{vat}.enum_code"), CHOICE);
        }
        found
    } else if let Some(id) = given("enum_id") {
        let found = id.as_i64().and_then(|id| f.enums.iter().find(|e| e.0 == id));
        if found.is_none() {
            push("NotSupportedChoice", &format!("{vat}.enum_id"), CHOICE);
        }
        found
    } else {
        f.enums.first()
    };
    let text = match v.get("value") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => {
            push("InvalidType", &format!("{vat}.value"), "This value should be of type string.");
            return None;
        }
    };
    if text.is_empty() {
        push("NotBlank", &format!("{vat}.value"), "This value should not be blank.");
        return None;
    }
    if f.code.as_deref() == Some("EMAIL") && !text.contains('@') {
        push("InvalidEmail", &format!("{vat}.value"), "This value is not a valid email address.");
        return None;
    }
    let e = chosen?;
    Some(json!({"value": text, "enum_id": e.0, "enum_code": e.2}))
}
