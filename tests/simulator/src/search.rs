//! amoCRM's full-text `query` on contacts and companies (docs/amocrm-api.md §8.5, §11.8): a
//! phone-like query matches by the last seven digits, and every custom value is searched as text.

use serde_json::Value;

pub(crate) fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A query that is mostly digits is a phone number: its last seven digits.
pub(crate) fn phone_tail(q: &str) -> Option<String> {
    let qd = digits(q);
    (qd.len() >= 5 && qd.len() * 2 >= q.chars().filter(|ch| !ch.is_whitespace()).count())
        .then(|| qd[qd.len().saturating_sub(7)..].to_string())
}

/// The text of every value in a `custom_fields_values` list (what a full-text `query` searches).
pub(crate) fn value_texts(values: &[Value]) -> impl Iterator<Item = String> + '_ {
    values.iter().flat_map(|f| f["values"].as_array().into_iter().flatten()).filter_map(|v| match &v["value"] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// How amoCRM matches a call's number (amo-docs `calls-api.md`: "поиск производится по последним
/// 10 цифрам номера"): its last 10 digits, so `8 (912) 111-22-33`, `+79121112233` and
/// `9121112233` are one number; `None` without digits.
pub(crate) fn phone_key(phone: &str) -> Option<String> {
    let d = digits(phone);
    (!d.is_empty()).then(|| d[d.len().saturating_sub(10)..].to_string())
}
