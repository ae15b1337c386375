//! Data attributes: the standard ones of contacts and companies, and custom ones with their
//! creation rules (shared namespace, no standard names, immutable type).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Model {
    Contact,
    Company,
}

impl Model {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Model::Contact => "contact",
            Model::Company => "company",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DataAttribute {
    /// Custom attributes only.
    pub id: Option<i64>,
    pub model: Model,
    pub name: String,
    pub full_name: String,
    pub label: String,
    pub description: String,
    /// `string`, `integer`, `float`, `boolean` or `date`.
    pub data_type: &'static str,
    pub options: Vec<String>,
    pub api_writable: bool,
    pub messenger_writable: bool,
    pub ui_writable: bool,
    pub custom: bool,
    pub archived: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub admin_id: Option<String>,
}

const CONTACT_STANDARD: &[(&str, &str)] = &[
    ("id", "string"),
    ("external_id", "string"),
    ("role", "string"),
    ("email", "string"),
    ("email_domain", "string"),
    ("name", "string"),
    ("phone", "string"),
    ("avatar", "string"),
    ("owner_id", "integer"),
    ("created_at", "date"),
    ("updated_at", "date"),
    ("signed_up_at", "date"),
    ("last_seen_at", "date"),
    ("last_contacted_at", "date"),
    ("last_replied_at", "date"),
    ("last_email_opened_at", "date"),
    ("last_email_clicked_at", "date"),
    ("unsubscribed_from_emails", "boolean"),
    ("has_hard_bounced", "boolean"),
    ("marked_email_as_spam", "boolean"),
    ("language_override", "string"),
    ("browser", "string"),
    ("browser_language", "string"),
    ("os", "string"),
    ("location.country", "string"),
    ("location.region", "string"),
    ("location.city", "string"),
];

const COMPANY_STANDARD: &[(&str, &str)] = &[
    ("id", "string"),
    ("name", "string"),
    ("company_id", "string"),
    ("created_at", "date"),
    ("updated_at", "date"),
    ("remote_created_at", "date"),
    ("last_request_at", "date"),
    ("user_count", "integer"),
    ("session_count", "integer"),
    ("monthly_spend", "float"),
    ("size", "integer"),
    ("industry", "string"),
    ("website", "string"),
    ("plan.name", "string"),
    ("plan.id", "string"),
];

/// Custom attributes present in generated data. `name` (contacts) and `plan` (companies) are
/// legacy keys that shadow standard attribute names.
const CONTACT_CUSTOM: &[(&str, &str)] = &[
    ("plan_tier", "string"),
    ("seats", "integer"),
    ("mrr", "float"),
    ("is_trial", "boolean"),
    ("trial_ends_at", "date"),
    ("nps_comment", "string"),
    ("name", "string"),
];
const COMPANY_CUSTOM: &[(&str, &str)] = &[
    ("tier", "string"),
    ("seats_purchased", "integer"),
    ("arr", "float"),
    ("churn_risk", "boolean"),
    ("renewal_date", "date"),
    ("plan", "string"),
];

pub(crate) const FIRST_ATTRIBUTE_ID: i64 = 15_000;

fn label(name: &str) -> String {
    let mut s = name.replace(['_', '.'], " ");
    if let Some(first) = s.get(..1) {
        s = first.to_uppercase() + &s[1..];
    }
    s
}

pub(crate) fn standard_names(model: Model) -> impl Iterator<Item = &'static str> {
    let table = match model {
        Model::Contact => CONTACT_STANDARD,
        Model::Company => COMPANY_STANDARD,
    };
    table.iter().map(|(n, _)| *n)
}

/// The attribute table a new workspace starts with.
pub(crate) fn initial(created_at: i64, admin_id: &str) -> Vec<DataAttribute> {
    let mut out = Vec::new();
    for (model, table) in [
        (Model::Contact, CONTACT_STANDARD),
        (Model::Company, COMPANY_STANDARD),
    ] {
        for (name, data_type) in table {
            out.push(DataAttribute {
                id: None,
                model,
                name: (*name).to_owned(),
                full_name: (*name).to_owned(),
                label: label(name),
                description: format!(
                    "The {} of the {}",
                    label(name).to_lowercase(),
                    model.as_str()
                ),
                data_type,
                options: Vec::new(),
                api_writable: !matches!(*name, "id" | "created_at" | "updated_at" | "email_domain"),
                messenger_writable: false,
                ui_writable: false,
                custom: false,
                archived: false,
                created_at,
                updated_at: created_at,
                admin_id: None,
            });
        }
    }
    let mut id = FIRST_ATTRIBUTE_ID;
    for (model, table) in [
        (Model::Contact, CONTACT_CUSTOM),
        (Model::Company, COMPANY_CUSTOM),
    ] {
        for (name, data_type) in table {
            let options = match *name {
                "plan_tier" | "tier" => ["bronze", "silver", "gold", "platinum"]
                    .map(String::from)
                    .to_vec(),
                _ => Vec::new(),
            };
            out.push(custom(
                id, model, name, data_type, options, "", created_at, admin_id,
            ));
            id += 1;
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn custom(
    id: i64,
    model: Model,
    name: &str,
    data_type: &'static str,
    options: Vec<String>,
    description: &str,
    now: i64,
    admin_id: &str,
) -> DataAttribute {
    DataAttribute {
        id: Some(id),
        model,
        name: name.to_owned(),
        full_name: format!("custom_attributes.{name}"),
        label: name.to_owned(),
        description: description.to_owned(),
        data_type,
        options,
        api_writable: true,
        messenger_writable: false,
        ui_writable: true,
        custom: true,
        archived: false,
        created_at: now,
        updated_at: now,
        admin_id: Some(admin_id.to_owned()),
    }
}

/// Whether `value` fits an attribute of `data_type` (null always fits: it clears the value).
pub(crate) fn value_fits(attr: &DataAttribute, value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Null => true,
        Value::String(s) => {
            attr.data_type == "string" && (attr.options.is_empty() || attr.options.contains(s))
        }
        Value::Bool(_) => attr.data_type == "boolean",
        Value::Number(n) => match attr.data_type {
            "integer" | "date" => n.is_i64() || n.is_u64(),
            "float" => true,
            _ => false,
        },
        Value::Array(_) | Value::Object(_) => false,
    }
}
