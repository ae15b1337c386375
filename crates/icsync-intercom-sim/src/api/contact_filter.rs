//! Contact search filters: field types, evaluation against the compact record or the
//! regenerated data, day-granular timestamps in the workspace time zone, index shortcuts, sort.

use chrono::{Days, NaiveTime, TimeZone};
use serde_json::Value;

use super::query::{Kind, Node, Op, bool_match, int_match, str_match};
use crate::model::attribute::Model;
use crate::model::contact::{ContactData, normalize_email, opt_ts};
use crate::model::world::World;

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

pub(crate) fn contact_kind(w: &World, field: &str) -> Option<Kind> {
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
                "integer" => Kind::Int,
                "float" => Kind::Float,
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

pub(crate) struct ContactEval<'a> {
    pub w: &'a World,
    pub tz: chrono_tz::Tz,
}

impl ContactEval<'_> {
    pub(crate) fn eval(&self, slot: u32, node: &Node, data: &mut Option<ContactData>) -> bool {
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
                    Kind::Int | Kind::Float => num_match(op, v.and_then(Value::as_f64), value),
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

/// Slots that can match `node` when it pins `id`, `email` or `external_id` with `=` (alone or
/// inside an AND): lets such lookups skip the full scan. `None` = scan everything.
pub(crate) fn indexed_candidates(w: &World, node: &Node) -> Option<Vec<u32>> {
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

pub(crate) fn sort_contacts(w: &World, slots: &mut [u32], field: &str, desc: bool) {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn local_days_follow_the_zone_including_dst_changes() {
        let la: chrono_tz::Tz = "America/Los_Angeles".parse().expect("tz");
        // 2024-03-10 is the spring-forward day in Los Angeles: 23 hours long.
        let noon = 1_710_097_200; // 2024-03-10T19:00:00Z = 12:00 PDT
        let start = local_day_start(la, noon, 0);
        let next = local_day_start(la, noon, 1);
        assert_eq!(start, 1_710_057_600, "midnight PST = 08:00Z");
        assert_eq!(next - start, 23 * 3600);
        let utc: chrono_tz::Tz = "UTC".parse().expect("tz");
        assert_eq!(local_day_start(utc, 1_700_000_000, 0), 1_699_920_000);
    }

    #[test]
    fn date_operators_are_day_granular() {
        let utc: chrono_tz::Tz = "UTC".parse().expect("tz");
        let day = 1_699_920_000; // 2023-11-14T00:00:00Z
        let v = json!(day + 5000);
        assert!(date_match(utc, Op::Eq, Some(day + 86_399), &v));
        assert!(
            !date_match(utc, Op::Gt, Some(day + 86_399), &v),
            "`>` starts the next day"
        );
        assert!(date_match(utc, Op::Gt, Some(day + 86_400), &v));
        assert!(
            !date_match(utc, Op::Lt, Some(day), &v),
            "`<` ends before the day"
        );
        assert!(date_match(utc, Op::Lt, Some(day - 1), &v));
        assert!(!date_match(utc, Op::Eq, None, &v), "null never matches");
    }
}
