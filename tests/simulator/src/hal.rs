//! HAL answers and paging, as amoCRM gives them (docs/amocrm-api.md §7.2–7.3):
//! `application/hal+json` with an `x-request-id`; one page of a collection with `_page`, `_links`
//! and `_embedded.<key>`, `limit` ≤ 250, 204 when the page is empty; the list query the
//! collections read ([`ListQuery`], or [`RawParams`] where a filter takes one value or an array);
//! and `{id, _links.self}`, how amoCRM embeds a related entity.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::problem::bad_request;
use crate::state::uuid_like;

pub(crate) fn hal(body: serde_json::Value) -> Response {
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/hal+json"));
    if let Ok(v) = HeaderValue::from_str(&uuid_like()) {
        r.headers_mut().insert("x-request-id", v);
    }
    r
}

pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// `{id, _links.self}` — how amoCRM embeds a related entity.
pub(crate) fn entity_ref(host: &str, kind: &str, id: i64) -> Value {
    json!({"id": id, "_links": {"self": {"href": format!("https://{host}/api/v4/{kind}/{id}")}}})
}

#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    pub(crate) query: Option<String>,
    pub(crate) page: Option<usize>,
    pub(crate) limit: Option<usize>,
    #[serde(rename = "order[created_at]")]
    pub(crate) order_created_at: Option<String>,
    #[serde(rename = "order[id]")]
    pub(crate) order_id: Option<String>,
    pub(crate) with: Option<String>,
    /// `filter[created_at][from]` / `[to]`: Unix seconds, both ends included.
    #[serde(rename = "filter[created_at][from]")]
    pub(crate) created_from: Option<i64>,
    #[serde(rename = "filter[created_at][to]")]
    pub(crate) created_to: Option<i64>,
}

impl ListQuery {
    /// Whether `with=` names `what`.
    pub(crate) fn with(&self, what: &str) -> bool {
        self.with.as_deref().is_some_and(|w| w.split(',').any(|x| x.trim() == what))
    }

    pub(crate) fn created_in_range(&self, t: i64) -> bool {
        self.created_from.is_none_or(|f| t >= f) && self.created_to.is_none_or(|to| t <= to)
    }
}

/// One page of `items`: (the page's items, page number, effective limit, whether more follow).
/// A `limit` over `max` falls back to the default 50, as amoCRM does (amocrm-api-php#210: 400
/// asked, 50 returned); 0 is refused.
#[allow(clippy::result_large_err)]
pub(crate) fn page_of<T: Clone>(
    items: &[T],
    q: &ListQuery,
    max: usize,
) -> Result<(Vec<T>, usize, usize, bool), Response> {
    let limit = match q.limit {
        None => 50,
        Some(0) => return Err(bad_request(&format!("limit must be between 1 and {max}"))),
        Some(l) if l > max => 50,
        Some(l) => l,
    };
    let page = q.page.unwrap_or(1).max(1);
    let start = (page - 1).saturating_mul(limit);
    let slice: Vec<T> = items.iter().skip(start).take(limit).cloned().collect();
    Ok((slice, page, limit, start.saturating_add(limit) < items.len()))
}

/// One page of a HAL collection — `_page`, `_links`, `_embedded.<key>` — or 204 when the page
/// is empty (docs/amocrm-api.md §7.2–7.3). Only the page's items are turned into JSON, so a
/// long list costs its filtering and sorting, not its encoding.
pub(crate) fn hal_page<T: Clone>(
    host: &str,
    path: &str,
    key: &str,
    items: &[T],
    q: &ListQuery,
    to_json: impl Fn(&T) -> Value,
) -> Response {
    let (page_items, page, limit, has_next) = match page_of(items, q, 250) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if page_items.is_empty() {
        return no_content();
    }
    let mut embedded = serde_json::Map::new();
    embedded.insert(key.into(), page_items.iter().map(to_json).collect());
    hal(json!({
        "_page": page,
        "_links": links(host, path, page, limit, has_next),
        "_embedded": embedded,
    }))
}

pub(crate) fn links(host: &str, path: &str, page: usize, limit: usize, has_next: bool) -> Value {
    let href = |p: usize| json!({"href": format!("https://{host}{path}?page={p}&limit={limit}")});
    let mut l = serde_json::Map::new();
    l.insert("self".into(), href(page));
    if has_next {
        l.insert("next".into(), href(page + 1));
    }
    l.insert("first".into(), href(1));
    if page > 1 {
        l.insert("prev".into(), href(page - 1));
    }
    Value::Object(l)
}

/// A query string as pairs, for parameters that come as one value or as an array.
pub(crate) struct RawParams(Vec<(String, String)>);

impl RawParams {
    pub(crate) fn parse(raw: Option<&str>) -> RawParams {
        RawParams(url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect())
    }

    /// Every value of `key`, given as `key=`, `key[]=` or `key[N]=`; `None` when it is absent.
    pub(crate) fn all(&self, key: &str) -> Option<Vec<&str>> {
        let found: Vec<&str> = self
            .0
            .iter()
            .filter(|(k, _)| {
                k == key
                    || k.strip_prefix(key)
                        .and_then(|rest| rest.strip_prefix('['))
                        .and_then(|rest| rest.strip_suffix(']'))
                        .is_some_and(|inner| inner.chars().all(|c| c.is_ascii_digit()))
            })
            .map(|(_, v)| v.as_str())
            .collect();
        (!found.is_empty()).then_some(found)
    }

    pub(crate) fn one(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Integer values of `key`; `Some(empty)` when given but none is a number (matches nothing).
    pub(crate) fn ints(&self, key: &str) -> Option<Vec<i64>> {
        self.all(key).map(|v| v.iter().filter_map(|x| x.trim().parse().ok()).collect())
    }

    /// `page` and `limit` as the other lists read them; `Err` is the 400 for a malformed one.
    #[allow(clippy::result_large_err)]
    pub(crate) fn paging(&self) -> Result<ListQuery, Response> {
        let num = |k: &str| match self.one(k) {
            None => Ok(None),
            Some(v) => v.trim().parse::<usize>().map(Some).map_err(|_| bad_request(&format!("{k} must be a number"))),
        };
        Ok(ListQuery { page: num("page")?, limit: num("limit")?, ..ListQuery::default() })
    }

    /// Everything [`ListQuery`] holds — paging, `query`, `with`, `order[created_at|id]`,
    /// `filter[created_at][from|to]` — read from the raw query; a malformed number is a 400.
    #[allow(clippy::result_large_err)]
    pub(crate) fn list_query(&self) -> Result<ListQuery, Response> {
        let mut q = self.paging()?;
        q.query = self.one("query").map(str::to_string);
        q.with = self.one("with").map(str::to_string);
        q.order_created_at = self.one("order[created_at]").map(str::to_string);
        q.order_id = self.one("order[id]").map(str::to_string);
        if let Some((from, to)) = self.time_range("filter[created_at]")? {
            (q.created_from, q.created_to) = (from, to);
        }
        Ok(q)
    }

    /// The first of `fields` given as `order[<field>]=asc|desc`, and whether it is descending
    /// (amo-docs: "Доступные значения для сортировки: asc, desc").
    pub(crate) fn order(&self, fields: &[&'static str]) -> Option<(&'static str, bool)> {
        fields
            .iter()
            .find_map(|f| self.one(&format!("order[{f}]")).map(|dir| (*f, dir.trim().eq_ignore_ascii_case("desc"))))
    }

    /// A time filter as amo-docs describes `filter[updated_at]` (events-and-notes, filters-api):
    /// one timestamp (changed at or after it) or `[from]` / `[to]`, both ends included;
    /// `None` when absent. A value that is not a number is a 400.
    #[allow(clippy::result_large_err)]
    pub(crate) fn time_range(&self, key: &str) -> Result<Range, Response> {
        let num = |k: String| match self.one(&k) {
            None => Ok(None),
            Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| bad_request(&format!("{k} must be a timestamp"))),
        };
        let single = num(key.to_string())?;
        let (from, to) = (num(format!("{key}[from]"))?, num(format!("{key}[to]"))?);
        Ok(match (single, from, to) {
            (None, None, None) => None,
            (Some(at), None, None) => Some((Some(at), None)),
            (_, from, to) => Some((from, to)),
        })
    }

    /// The list query and `filter[updated_at]` of the leads, contacts and companies lists.
    #[allow(clippy::result_large_err)]
    pub(crate) fn entity_list(&self, filtering: bool) -> Result<(ListQuery, Range), Response> {
        Ok((self.list_query()?, self.updated_at(filtering)?))
    }

    /// Paging and `filter[updated_at]` of the notes lists (not an "API filtering" filter).
    #[allow(clippy::result_large_err)]
    pub(crate) fn notes_list(&self) -> Result<(ListQuery, Range), Response> {
        Ok((self.paging()?, self.time_range("filter[updated_at]")?))
    }

    /// Whether `key` is given in any form (`key=`, `key[from]=`, `key[]=`).
    pub(crate) fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key || k.strip_prefix(key).is_some_and(|rest| rest.starts_with('[')))
    }

    /// `filter[updated_at]` of the leads, contacts and companies lists. amoCRM lists it under
    /// "Фильтрация (Alpha)", a paid add-on (amo-docs `filters-api.md`); on an account without it
    /// (`filtering` false) the simulator refuses the filter with a 400 naming it
    /// (docs/amocrm-api.md §17.2, an assumed shape).
    #[allow(clippy::result_large_err)]
    pub(crate) fn updated_at(&self, filtering: bool) -> Result<Range, Response> {
        const KEY: &str = "filter[updated_at]";
        if !filtering && self.has(KEY) {
            return Err(bad_request(
                "filter[updated_at] is not available: API filtering (alpha) is not enabled for this account",
            ));
        }
        self.time_range(KEY)
    }
}

/// Orders a list as `order[<field>]=asc|desc` asks (`key` gives (that field's value, id), so
/// ties go by id); by id when no order is given.
pub(crate) fn sort_by_order<T>(
    items: &mut [&T],
    order: Option<(&'static str, bool)>,
    key: impl Fn(&T, &str) -> (i64, i64),
) {
    let field = order.map_or("id", |o| o.0);
    items.sort_by_key(|x| key(x, field));
    if order.is_some_and(|o| o.1) {
        items.reverse();
    }
}

/// A time range read by [`RawParams::time_range`]: `None` is no filter, else (from, to).
pub(crate) type Range = Option<(Option<i64>, Option<i64>)>;

/// Whether `t` lies in a range read by [`RawParams::time_range`] (`None`: no filter).
pub(crate) fn in_range(range: Range, t: i64) -> bool {
    range.is_none_or(|(from, to)| from.is_none_or(|f| t >= f) && to.is_none_or(|x| t <= x))
}
