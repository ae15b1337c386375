//! `POST /contacts/search` and `POST /conversations/search`: query evaluation (contact
//! timestamps matched by day in the workspace time zone), sort, body-only pagination over
//! cached result snapshots, and the search-index lag.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use chrono::{Days, NaiveTime, TimeZone};
use serde_json::{Map, Value, json};

use super::params::{json_object, page_size};
use super::query::{Kind, Node, Op, bool_match, int_match, parse, str_match};
use crate::error::{ApiError, ApiResult};
use crate::model::attribute::Model;
use crate::model::contact::{ContactData, normalize_email, opt_ts};
use crate::model::world::World;
use crate::render::{contact, conversation, misc};
use crate::server::state::{AppState, now_ms};

/// Start (UTC seconds) of the workspace-local day containing `ts`, shifted by `days`.
pub(crate) fn local_day_start(tz: chrono_tz::Tz, ts: i64, days: u64) -> i64 {
    let Some(utc) = chrono::DateTime::from_timestamp(ts, 0) else {
        return ts;
    };
    let date = utc.with_timezone(&tz).date_naive();
    let date = date.checked_add_days(Days::new(days)).unwrap_or(date);
    let local = date.and_time(NaiveTime::MIN);
    tz.from_local_datetime(&local)
        .earliest()
        .map_or(ts, |d| d.timestamp())
}

fn contact_kind(w: &World, field: &str) -> Option<Kind> {
    Some(match field {
        "id" | "role" | "name" | "avatar" | "email" | "email_domain" | "phone" | "external_id"
        | "language_override" | "browser" | "browser_language" | "os" | "location.country"
        | "location.region" | "location.city" => Kind::Str,
        "owner_id" => Kind::Int,
        "created_at"
        | "signed_up_at"
        | "updated_at"
        | "last_seen_at"
        | "last_contacted_at"
        | "last_replied_at"
        | "last_email_opened_at"
        | "last_email_clicked_at" => Kind::Date,
        "unsubscribed_from_emails" | "marked_email_as_spam" | "has_hard_bounced" => Kind::Bool,
        "tag_id" => Kind::Tag,
        f => {
            let name = f.strip_prefix("custom_attributes.")?;
            match w.attribute(Model::Contact, name)?.data_type {
                "integer" | "float" => Kind::Int,
                "boolean" => Kind::Bool,
                "date" => Kind::Date,
                _ => Kind::Str,
            }
        }
    })
}

/// Day-granular date comparison (2.7-2.16 semantics).
fn date_match(tz: chrono_tz::Tz, op: Op, field: Option<i64>, value: &Value) -> bool {
    let (Some(f), Some(v)) = (field, value.as_i64()) else {
        return false;
    };
    let start = local_day_start(tz, v, 0);
    let next = local_day_start(tz, v, 1);
    match op {
        Op::Eq => f >= start && f < next,
        Op::Gt => f >= next,
        Op::Lt => f < start,
        _ => false,
    }
}

struct ContactEval<'a> {
    w: &'a World,
    tz: chrono_tz::Tz,
}

impl ContactEval<'_> {
    fn eval(&self, slot: u32, node: &Node, data: &mut Option<ContactData>) -> bool {
        match node {
            Node::Group { and: true, items } => items.iter().all(|n| self.eval(slot, n, data)),
            Node::Group { and: false, items } => items.iter().any(|n| self.eval(slot, n, data)),
            Node::Filter {
                field,
                kind,
                op,
                value,
            } => self.filter(slot, field, *kind, *op, value, data),
        }
    }

    fn filter(
        &self,
        slot: u32,
        field: &str,
        kind: Kind,
        op: Op,
        value: &Value,
        data: &mut Option<ContactData>,
    ) -> bool {
        let rec = &self.w.contacts[slot as usize];
        // Fields of the compact record first: no materialisation needed.
        match field {
            "id" => return str_match(op, Some(&rec.id.to_string()), value),
            "role" => return str_match(op, Some(rec.role()), value),
            "created_at" => return date_match(self.tz, op, opt_ts(rec.created_at), value),
            "updated_at" => return date_match(self.tz, op, opt_ts(rec.updated_at), value),
            "signed_up_at" => return date_match(self.tz, op, opt_ts(rec.signed_up_at), value),
            "last_seen_at" => return date_match(self.tz, op, opt_ts(rec.last_seen_at), value),
            _ => {}
        }
        // Unwritten contacts: email and external id come from their own cheap generators.
        if rec.ext.is_none() && data.is_none() {
            let seed = self.w.settings.seed;
            match field {
                "email" => {
                    let e = crate::generate::contact::email(seed, rec.seq);
                    return str_match(op, e.as_deref().map(normalize_email).as_deref(), value);
                }
                "external_id" => {
                    let x = crate::generate::contact::external_id(seed, rec.seq, rec.is_lead());
                    return str_match(op, x.as_deref(), value);
                }
                _ => {}
            }
        }
        let d: &ContactData = data.get_or_insert_with(|| self.w.contact_data(slot).into_owned());
        let s = |v: Option<&str>| str_match(op, v, value);
        match field {
            "email" => s(d.email.as_deref().map(normalize_email).as_deref()),
            "email_domain" => s(d
                .email
                .as_deref()
                .and_then(|e| e.trim().rsplit_once('@'))
                .map(|(_, x)| x)),
            "name" => s(d.name.as_deref()),
            "phone" => s(d.phone.as_deref()),
            "external_id" => s(d.external_id.as_deref()),
            "avatar" => s(d.avatar.as_deref()),
            "language_override" => s(d.language_override.as_deref()),
            "browser" => s(d.browser.as_deref()),
            "browser_language" => s(d.browser_language.as_deref()),
            "os" => s(d.os.as_deref()),
            "location.country" => s(d.location.as_ref().map(|l| l.country.as_str())),
            "location.region" => s(d.location.as_ref().map(|l| l.region.as_str())),
            "location.city" => s(d.location.as_ref().map(|l| l.city.as_str())),
            "owner_id" => int_match(op, d.owner_id, value),
            "last_contacted_at" => date_match(self.tz, op, d.last_contacted_at, value),
            "last_replied_at" => date_match(self.tz, op, d.last_replied_at, value),
            "last_email_opened_at" => date_match(self.tz, op, d.last_email_opened_at, value),
            "last_email_clicked_at" => date_match(self.tz, op, d.last_email_clicked_at, value),
            "unsubscribed_from_emails" => bool_match(op, d.unsubscribed_from_emails, value),
            "marked_email_as_spam" => bool_match(op, d.marked_email_as_spam, value),
            "has_hard_bounced" => bool_match(op, d.has_hard_bounced, value),
            "tag_id" => {
                let has = value
                    .as_str()
                    .and_then(|t| self.w.tag_index(t))
                    .is_some_and(|t| d.tags.contains(&t));
                if op == Op::Eq { has } else { !has }
            }
            f => {
                let v = f
                    .strip_prefix("custom_attributes.")
                    .and_then(|k| d.custom_attributes.get(k));
                match kind {
                    Kind::Date => date_match(self.tz, op, v.and_then(Value::as_i64), value),
                    Kind::Int => num_match(op, v.and_then(Value::as_f64), value),
                    Kind::Bool => v
                        .and_then(Value::as_bool)
                        .is_some_and(|b| bool_match(op, b, value)),
                    _ => str_match(op, v.and_then(Value::as_str), value),
                }
            }
        }
    }
}

fn num_match(op: Op, field: Option<f64>, value: &Value) -> bool {
    let v = value.as_f64();
    match op {
        Op::Eq => field.is_some() && field == v,
        Op::Ne => field != v,
        Op::In => value
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x.as_f64() == field && field.is_some())),
        Op::Nin => !num_match(Op::In, field, value),
        Op::Lt => matches!((field, v), (Some(f), Some(v)) if f < v),
        Op::Gt => matches!((field, v), (Some(f), Some(v)) if f > v),
        Op::Le => matches!((field, v), (Some(f), Some(v)) if f <= v),
        Op::Ge => matches!((field, v), (Some(f), Some(v)) if f >= v),
        _ => false,
    }
}

/// Parsed `pagination` and `sort` of a search body.
struct Paging {
    per_page: usize,
    cursor: Option<(u64, usize, usize)>,
    sort: Option<(String, bool)>,
}

fn paging(body: &Map<String, Value>, default: usize) -> ApiResult<Paging> {
    super::params::only_fields(body, &["query", "pagination", "sort"])?;
    let (per_page, cursor) = match body.get("pagination") {
        None | Some(Value::Null) => (default, None),
        Some(Value::Object(p)) => {
            let per_page = match p.get("per_page") {
                None => None,
                Some(v) => Some(
                    v.as_i64()
                        .ok_or_else(|| ApiError::invalid("per_page must be an integer"))?,
                ),
            };
            let cursor = match p.get("starting_after") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s.is_empty() => None,
                Some(Value::String(s)) => {
                    let v = misc::decode_cursor(s)
                        .ok_or_else(|| ApiError::invalid("starting_after is invalid"))?;
                    let n = |i: usize| v.get(i).and_then(Value::as_u64).map(|x| x as usize);
                    Some((
                        n(0).unwrap_or(0) as u64,
                        n(1).ok_or_else(|| ApiError::invalid("starting_after is invalid"))?,
                        n(2).unwrap_or(1),
                    ))
                }
                Some(_) => return Err(ApiError::invalid("starting_after must be a string")),
            };
            (page_size(per_page, default, 150)?, cursor)
        }
        Some(_) => return Err(ApiError::invalid("pagination must be an object")),
    };
    let sort = match body.get("sort") {
        None | Some(Value::Null) => None,
        Some(Value::Object(s)) => {
            let field = s
                .get("field")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::invalid("sort.field is required"))?;
            let desc = match s
                .get("order")
                .and_then(Value::as_str)
                .unwrap_or("ascending")
            {
                "ascending" => false,
                "descending" => true,
                _ => {
                    return Err(
                        ApiError::invalid("sort.order must be ascending or descending")
                            .with_code("invalid_sort_order"),
                    );
                }
            };
            Some((field.to_owned(), desc))
        }
        Some(_) => return Err(ApiError::invalid("sort must be an object")),
    };
    Ok(Paging {
        per_page,
        cursor,
        sort,
    })
}

/// Runs (or reuses) a search and returns `(page items, total, page number, next cursor)`.
fn page_of(
    st: &AppState,
    key: String,
    paging: &Paging,
    compute: impl FnOnce() -> Vec<u32>,
) -> (Vec<u32>, usize, usize, Option<String>) {
    let (snap_id, offset, page) = paging.cursor.unwrap_or((0, 0, 0));
    let cached = paging.cursor.and_then(|_| st.cache().get(snap_id, &key));
    let (snap_id, slots) = match cached {
        Some(s) => (snap_id, s),
        None => {
            let slots = compute();
            st.cache().put(key, slots)
        }
    };
    let end = (offset + paging.per_page).min(slots.len());
    let items = slots
        .get(offset..end)
        .map(<[u32]>::to_vec)
        .unwrap_or_default();
    let next = (end < slots.len()).then(|| misc::encode_cursor(&json!([snap_id, end, page + 1])));
    (items, slots.len(), page + 1, next)
}

pub(crate) async fn contacts(
    State(st): State<Arc<AppState>>,
    body: Bytes,
) -> ApiResult<axum::response::Response> {
    let body = json_object(&body)?;
    let paging = paging(&body, 50)?;
    let query = body
        .get("query")
        .ok_or_else(|| ApiError::invalid("query is required"))?;
    let w = st.read();
    let node = parse(query, &|f| contact_kind(&w, f), false)?;
    if let Some((field, _)) = &paging.sort
        && !matches!(
            contact_kind(&w, field),
            Some(Kind::Date | Kind::Int | Kind::Str)
        )
    {
        return Err(ApiError::invalid(format!("{field} cannot be sorted on")));
    }
    let key = json!({"q": query, "s": body.get("sort"), "m": "contacts"}).to_string();
    let lag_ms = st.rt().search_lag.as_millis() as i64;
    let now = now_ms();
    let eval = ContactEval { w: &w, tz: st.tz };
    let (items, total, page, next) = page_of(&st, key, &paging, || {
        let scan: Box<dyn Iterator<Item = u32>> = match indexed_candidates(&w, &node) {
            Some(slots) => Box::new(slots.into_iter()),
            None => Box::new(0..w.contacts.len() as u32),
        };
        let mut out: Vec<u32> = scan
            .filter(|&s| {
                let rec = &w.contacts[s as usize];
                rec.is_live()
                    && rec
                        .ext
                        .as_ref()
                        .is_none_or(|e| e.written_ms + lag_ms <= now)
                    && eval.eval(s, &node, &mut None)
            })
            .collect();
        if let Some((field, desc)) = &paging.sort {
            sort_contacts(&w, &mut out, field, *desc);
        }
        out
    });
    Ok(misc::json_response(&contact::ContactPage {
        kind: "list",
        data: contact::ContactsSer {
            world: &w,
            slots: &items,
        },
        total_count: total,
        pages: misc::cursor_pages(page, paging.per_page, total, next),
    }))
}

/// Slots that can match `node` when it pins `id`, `email` or `external_id` with `=` (alone or
/// inside an AND): lets such lookups skip the full scan. `None` = scan everything.
fn indexed_candidates(w: &World, node: &Node) -> Option<Vec<u32>> {
    match node {
        Node::Filter {
            field,
            op: Op::Eq,
            value: Value::String(v),
            ..
        } => match field.as_str() {
            "id" => Some(w.contact_slot(v).into_iter().collect()),
            "email" => Some(w.emails.candidates(&normalize_email(v))),
            "external_id" => Some(w.external_ids.candidates(v)),
            _ => None,
        },
        Node::Group { and: true, items } => items.iter().find_map(|n| indexed_candidates(w, n)),
        _ => None,
    }
}

fn sort_contacts(w: &World, slots: &mut [u32], field: &str, desc: bool) {
    let key = |s: u32| -> (Option<i64>, String) {
        let r = &w.contacts[s as usize];
        match field {
            "created_at" => (opt_ts(r.created_at), String::new()),
            "updated_at" => (opt_ts(r.updated_at), String::new()),
            "signed_up_at" => (opt_ts(r.signed_up_at), String::new()),
            "last_seen_at" => (opt_ts(r.last_seen_at), String::new()),
            "email" => (
                None,
                w.contact_data(s)
                    .email
                    .as_deref()
                    .map(normalize_email)
                    .unwrap_or_default(),
            ),
            "name" => (None, w.contact_data(s).name.clone().unwrap_or_default()),
            _ => (None, r.id.to_string()),
        }
    };
    slots.sort_by_cached_key(|&s| key(s));
    if desc {
        slots.reverse();
    }
}

fn conversation_kind(field: &str) -> Option<Kind> {
    Some(match field {
        "id" | "contact_ids" | "state" | "source.author.id" | "source.delivered_as" => Kind::Str,
        "created_at" | "updated_at" => Kind::Date,
        "admin_assignee_id" | "team_assignee_id" | "statistics.count_conversation_parts" => {
            Kind::Int
        }
        "open" | "read" => Kind::Bool,
        _ => return None,
    })
}

fn conv_match(w: &World, slot: u32, node: &Node) -> bool {
    match node {
        Node::Group { and: true, items } => items.iter().all(|n| conv_match(w, slot, n)),
        Node::Group { and: false, items } => items.iter().any(|n| conv_match(w, slot, n)),
        Node::Filter {
            field, op, value, ..
        } => {
            let c = &w.conversations[slot as usize];
            // Conversation dates are exact seconds; `>` and `<` are inclusive per the docs text.
            let date = |t: i64| match op {
                Op::Gt => value.as_i64().is_some_and(|v| t >= v),
                Op::Lt => value.as_i64().is_some_and(|v| t <= v),
                _ => int_match(*op, Some(t), value),
            };
            match field.as_str() {
                "id" => str_match(*op, Some(&conversation::conversation_id(slot)), value),
                "contact_ids" => str_match(
                    *op,
                    Some(&w.contacts[c.contact as usize].id.to_string()),
                    value,
                ),
                "source.author.id" => str_match(
                    *op,
                    Some(&w.contacts[c.contact as usize].id.to_string()),
                    value,
                ),
                "state" => str_match(*op, Some(c.state.as_str()), value),
                "created_at" => date(c.created_at),
                "updated_at" => date(c.updated_at),
                "admin_assignee_id" => int_match(*op, c.admin_assignee_id, value),
                "statistics.count_conversation_parts" => {
                    int_match(*op, Some(i64::from(c.total_parts())), value)
                }
                "open" => bool_match(
                    *op,
                    c.state != crate::model::conversation::State::Closed,
                    value,
                ),
                "read" => bool_match(*op, c.read, value),
                _ => false,
            }
        }
    }
}

pub(crate) async fn conversations(
    State(st): State<Arc<AppState>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body = json_object(&body)?;
    let paging = paging(&body, 20)?;
    let query = body
        .get("query")
        .ok_or_else(|| ApiError::invalid("query is required"))?;
    let node = parse(query, &conversation_kind, true)?;
    let w = st.read();
    let key = json!({"q": query, "s": body.get("sort"), "m": "conversations"}).to_string();
    let (items, total, page, next) = page_of(&st, key, &paging, || {
        let mut out: Vec<u32> = (0..w.conversations.len() as u32)
            .filter(|&s| {
                !w.contacts[w.conversations[s as usize].contact as usize].is_deleted()
                    && conv_match(&w, s, &node)
            })
            .collect();
        if let Some((field, desc)) = &paging.sort {
            let c = &w.conversations;
            match field.as_str() {
                "created_at" => out.sort_by_key(|&s| c[s as usize].created_at),
                "updated_at" => out.sort_by_key(|&s| c[s as usize].updated_at),
                _ => {}
            }
            if *desc {
                out.reverse();
            }
        }
        out
    });
    let data: Vec<Value> = items
        .iter()
        .map(|&s| conversation::list_item(&w, s))
        .collect();
    Ok(Json(json!({
        "type": "conversation.list",
        "conversations": data,
        "total_count": total,
        "pages": misc::cursor_pages(page, paging.per_page, total, next),
    })))
}
