//! The search query grammar shared by contact and conversation search: parsing, nesting and
//! size limits, per-type operator tables and value types.

use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// Field types with their own operator tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    Int,
    /// Float custom attributes: integer operators, any number.
    Float,
    Bool,
    Date,
    /// `tag_id`: only `=` and `!=`.
    Tag,
    /// Conversation `id`: a string that also takes `>`/`<` (tap-intercom pages conversations
    /// with `id > ""`, on every sync; see docs/SIMULATOR.md).
    ConversationId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    In,
    Nin,
    Lt,
    Gt,
    Le,
    Ge,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Filter {
        field: String,
        kind: Kind,
        op: Op,
        value: Value,
    },
    Group {
        and: bool,
        items: Vec<Node>,
    },
}

pub(crate) const MAX_DEPTH: usize = 2;
pub(crate) const MAX_PER_GROUP: usize = 15;

fn op(s: &str) -> Option<Op> {
    Some(match s {
        "=" => Op::Eq,
        "!=" => Op::Ne,
        "IN" => Op::In,
        "NIN" => Op::Nin,
        "<" => Op::Lt,
        ">" => Op::Gt,
        "<=" => Op::Le,
        ">=" => Op::Ge,
        "~" => Op::Contains,
        "!~" => Op::NotContains,
        "^" => Op::StartsWith,
        "$" => Op::EndsWith,
        _ => return None,
    })
}

/// Whether `op` is allowed on `kind` (contact search; conversation dates allow more).
fn allowed(kind: Kind, op: Op, date_ops_extended: bool) -> bool {
    use Op::*;
    match kind {
        Kind::Str => matches!(
            op,
            Eq | Ne | In | Nin | Contains | NotContains | StartsWith | EndsWith
        ),
        Kind::Int | Kind::Float => matches!(op, Eq | Ne | In | Nin | Lt | Gt | Le | Ge),
        Kind::ConversationId => matches!(
            op,
            Eq | Ne | In | Nin | Lt | Gt | Contains | NotContains | StartsWith | EndsWith
        ),
        Kind::Bool => matches!(op, Eq | Ne | In | Nin),
        Kind::Tag => matches!(op, Eq | Ne),
        Kind::Date if date_ops_extended => matches!(op, Eq | Ne | In | Nin | Lt | Gt),
        Kind::Date => matches!(op, Eq | Lt | Gt),
    }
}

fn value_ok(kind: Kind, op: Op, v: &Value) -> bool {
    if matches!(op, Op::In | Op::Nin) {
        return v
            .as_array()
            .is_some_and(|a| a.iter().all(|x| value_ok(kind, Op::Eq, x)));
    }
    match kind {
        Kind::Str | Kind::Tag | Kind::ConversationId => v.is_string() || v.is_null(),
        Kind::Int => v.is_i64() || v.is_null(),
        Kind::Float => v.is_number() || v.is_null(),
        Kind::Date => v.is_i64(),
        Kind::Bool => v.is_boolean(),
    }
}

/// A JSON float that holds a whole number (`1790899200.0`) as an integer; anything else as is.
/// Python clients send `datetime.timestamp()` floats in search filters (tap-intercom does on
/// every sync) and Intercom answers them, so whole floats count as integers; `1.5` stays a
/// float and is refused where an integer or a date is expected.
fn whole_number(v: Value) -> Value {
    match &v {
        Value::Number(n) if n.is_f64() => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => v,
        },
        Value::Array(items) => Value::Array(items.iter().cloned().map(whole_number).collect()),
        _ => v,
    }
}

/// Parses and validates a `query`; `field_kind` maps a field name to its type.
pub(crate) fn parse(
    v: &Value,
    field_kind: &dyn Fn(&str) -> Option<Kind>,
    date_ops_extended: bool,
) -> ApiResult<Node> {
    parse_at(v, field_kind, date_ops_extended, 0)
}

fn parse_at(
    v: &Value,
    fk: &dyn Fn(&str) -> Option<Kind>,
    ext: bool,
    depth: usize,
) -> ApiResult<Node> {
    let obj = v
        .as_object()
        .ok_or_else(|| ApiError::invalid("query must be an object"))?;
    let op_str = obj
        .get("operator")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("operator is required"))?;
    if op_str == "AND" || op_str == "OR" {
        if depth >= MAX_DEPTH {
            return Err(ApiError::invalid(format!(
                "Queries can be nested at most {MAX_DEPTH} levels deep"
            )));
        }
        let items = obj
            .get("value")
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::invalid("value must be an array"))?;
        if items.is_empty() {
            return Err(ApiError::invalid("value must not be empty"));
        }
        if items.len() > MAX_PER_GROUP {
            return Err(ApiError::invalid(format!(
                "A group can hold at most {MAX_PER_GROUP} filters"
            )));
        }
        let items = items
            .iter()
            .map(|i| parse_at(i, fk, ext, depth + 1))
            .collect::<ApiResult<Vec<_>>>()?;
        return Ok(Node::Group {
            and: op_str == "AND",
            items,
        });
    }
    let field = obj
        .get("field")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::invalid("field is required"))?;
    let kind =
        fk(field).ok_or_else(|| ApiError::invalid(format!("{field} is not a searchable field")))?;
    let op =
        op(op_str).ok_or_else(|| ApiError::invalid(format!("{op_str} is not a valid operator")))?;
    if !allowed(kind, op, ext) {
        return Err(ApiError::invalid(format!(
            "The operator {op_str} is not supported for the field {field}"
        )));
    }
    let mut value = obj.get("value").cloned().unwrap_or(Value::Null);
    if matches!(kind, Kind::Int | Kind::Date) {
        value = whole_number(value);
    }
    if !value_ok(kind, op, &value) {
        return Err(ApiError::invalid(format!(
            "The value for {field} has the wrong type"
        )));
    }
    Ok(Node::Filter {
        field: field.to_owned(),
        kind,
        op,
        value,
    })
}

/// Compares a string field value under `op` (case-insensitive, like Intercom's text search).
pub(crate) fn str_match(op: Op, field: Option<&str>, value: &Value) -> bool {
    let f = field.unwrap_or("").to_lowercase();
    let one = |v: &Value| v.as_str().map(str::to_lowercase);
    match op {
        Op::Eq => match value {
            Value::Null => field.is_none_or(str::is_empty),
            v => one(v).is_some_and(|x| x == f),
        },
        Op::Ne => !str_match(Op::Eq, field, value),
        Op::In => value
            .as_array()
            .is_some_and(|a| a.iter().any(|v| str_match(Op::Eq, field, v))),
        Op::Nin => !str_match(Op::In, field, value),
        Op::Contains => one(value).is_some_and(|x| field.is_some() && f.contains(&x)),
        Op::NotContains => !str_match(Op::Contains, field, value),
        Op::StartsWith => one(value).is_some_and(|x| field.is_some() && f.starts_with(&x)),
        Op::EndsWith => one(value).is_some_and(|x| field.is_some() && f.ends_with(&x)),
        _ => false,
    }
}

/// Compares an integer field under `op`.
pub(crate) fn int_match(op: Op, field: Option<i64>, value: &Value) -> bool {
    let v = value.as_i64();
    match op {
        Op::Eq => field == v,
        Op::Ne => field != v,
        Op::In => value
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x.as_i64() == field)),
        Op::Nin => !int_match(Op::In, field, value),
        Op::Lt => matches!((field, v), (Some(f), Some(v)) if f < v),
        Op::Gt => matches!((field, v), (Some(f), Some(v)) if f > v),
        Op::Le => matches!((field, v), (Some(f), Some(v)) if f <= v),
        Op::Ge => matches!((field, v), (Some(f), Some(v)) if f >= v),
        _ => false,
    }
}

pub(crate) fn bool_match(op: Op, field: bool, value: &Value) -> bool {
    match op {
        Op::Eq => value.as_bool() == Some(field),
        Op::Ne => value.as_bool() != Some(field),
        Op::In => value
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x.as_bool() == Some(field))),
        Op::Nin => !bool_match(Op::In, field, value),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn kinds(f: &str) -> Option<Kind> {
        match f {
            "email" => Some(Kind::Str),
            "created_at" => Some(Kind::Date),
            "owner_id" => Some(Kind::Int),
            _ => None,
        }
    }

    #[test]
    fn nested_groups_within_limits_parse() {
        let q = json!({"operator": "AND", "value": [
            {"field": "email", "operator": "~", "value": "example"},
            {"operator": "OR", "value": [{"field": "created_at", "operator": ">", "value": 1}, {"field": "owner_id", "operator": "IN", "value": [1, 2]}]}
        ]});
        assert!(parse(&q, &kinds, false).is_ok());
    }

    #[test]
    fn limits_operators_and_types_are_enforced() {
        let too_deep = json!({"operator": "AND", "value": [{"operator": "OR", "value": [{"operator": "AND", "value": [{"field": "email", "operator": "=", "value": "a"}]}]}]});
        assert!(parse(&too_deep, &kinds, false).is_err());
        let f = json!({"field": "email", "operator": "=", "value": "a"});
        let wide = json!({"operator": "OR", "value": vec![f.clone(); 16]});
        assert!(parse(&wide, &kinds, false).is_err());
        assert!(
            parse(
                &json!({"operator": "OR", "value": vec![f; 15]}),
                &kinds,
                false
            )
            .is_ok()
        );
        for bad in ["!=", ">=", "<=", "IN"] {
            let q = json!({"field": "created_at", "operator": bad, "value": 1});
            assert!(
                parse(&q, &kinds, false).is_err(),
                "{bad} on a date must fail"
            );
        }
        assert!(
            parse(
                &json!({"field": "created_at", "operator": ">", "value": "1"}),
                &kinds,
                false
            )
            .is_err()
        );
        assert!(
            parse(
                &json!({"field": "nope", "operator": "=", "value": "1"}),
                &kinds,
                false
            )
            .is_err()
        );
    }

    #[test]
    fn whole_floats_count_as_integers_and_fractions_do_not() {
        let q = json!({"field": "created_at", "operator": ">", "value": 1_790_899_200.0});
        match parse(&q, &kinds, false) {
            Ok(Node::Filter { value, .. }) => assert_eq!(value, json!(1_790_899_200_i64)),
            other => panic!("whole float refused: {other:?}"),
        }
        let q = json!({"field": "owner_id", "operator": "IN", "value": [1.0, 2]});
        assert!(parse(&q, &kinds, false).is_ok());
        for bad in [json!(1_790_899_200.5), json!("1790899200"), json!(true)] {
            let q = json!({"field": "created_at", "operator": "=", "value": bad});
            assert!(parse(&q, &kinds, false).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn string_operators() {
        assert!(str_match(
            Op::Contains,
            Some("Jane@Example.com"),
            &json!("example")
        ));
        assert!(str_match(Op::StartsWith, Some("jane@x"), &json!("JA")));
        assert!(str_match(Op::Eq, None, &json!(null)));
        assert!(!str_match(Op::Eq, Some("a"), &json!("b")));
        assert!(str_match(Op::Nin, Some("a"), &json!(["b", "c"])));
    }
}
