//! `POST /conversations/search`: fields, exact-second dates (`>`/`<` inclusive), `id` ranges,
//! paging.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Value, json};

use super::params::json_object;
use super::query::{Kind, Node, Op, bool_match, int_match, parse, str_match};
use super::search::{page_of, paging};
use crate::error::{ApiError, ApiResult};
use crate::model::world::World;
use crate::render::{conversation, misc};
use crate::server::state::AppState;

fn conversation_kind(field: &str) -> Option<Kind> {
    Some(match field {
        "id" => Kind::ConversationId,
        "contact_ids" | "state" | "source.author.id" | "source.delivered_as" => Kind::Str,
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
                "id" => id_match(*op, slot, value),
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

/// Conversation ids compare as numbers under `>`/`<` (inclusive, like the other `>`/`<` of
/// conversation search); `""` is below every id, so `id > ""` matches them all.
fn id_match(op: Op, slot: u32, value: &Value) -> bool {
    let id = crate::model::conversation::FIRST_CONVERSATION_ID + u64::from(slot);
    match (op, value.as_str()) {
        (Op::Gt | Op::Lt, Some("")) => op == Op::Gt,
        (Op::Gt | Op::Lt, Some(v)) => match v.trim().parse::<u64>() {
            Ok(n) if op == Op::Gt => id >= n,
            Ok(n) => id <= n,
            // Not a number: compare as text, as a string field would.
            Err(_) if op == Op::Gt => id.to_string().as_str() >= v,
            Err(_) => id.to_string().as_str() <= v,
        },
        (Op::Gt | Op::Lt, None) => false,
        _ => str_match(op, Some(&id.to_string()), value),
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
                // Ids grow with the slot: slot order is id order.
                "id" => out.sort_unstable(),
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
