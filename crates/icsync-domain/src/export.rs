//! Export of host records to Intercom contacts: the host's desired record, the export's modes
//! and field mapping, and the pure checks a record passes before it is stored or exported.

use crate::contact::{ContactRole, normalize_email};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What an export may do in Intercom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Create, update and remove contacts.
    Sync,
    /// Create and update; a removed record is left in Intercom.
    Additive,
    /// Update contacts that already exist in Intercom; never create or remove.
    Enrich,
}

/// Which role a created contact gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreationMode {
    /// Every record is a user (email and external id required).
    User,
    /// Every record is a lead (email required).
    Lead,
    /// A lead until the record has an external id, then a user (a lead may be promoted,
    /// a user never becomes a lead: Intercom refuses it).
    Lifecycle,
}

/// What removing a record does to its Intercom contact (in `sync` mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalMode {
    /// Archive (recoverable: a later put unarchives it).
    Archive,
    /// Delete (permanent).
    Delete,
}

macro_rules! text_enum {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(<$ty>::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(SyncMode { Sync => "sync", Additive => "additive", Enrich => "enrich" });
text_enum!(CreationMode { User => "user", Lead => "lead", Lifecycle => "lifecycle" });
text_enum!(RemovalMode { Archive => "archive", Delete => "delete" });

impl CreationMode {
    /// The role the record should have in Intercom.
    pub fn role_for(self, record: &HostRecord) -> ContactRole {
        match self {
            Self::User => ContactRole::User,
            Self::Lead => ContactRole::Lead,
            Self::Lifecycle if record.external_id.is_some() => ContactRole::User,
            Self::Lifecycle => ContactRole::Lead,
        }
    }
}

/// The Intercom type of a data attribute an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataType {
    String,
    Integer,
    Float,
    Boolean,
    /// Unix seconds on the wire; the host may send seconds or an RFC 3339 time.
    Date,
}

text_enum!(DataType {
    String => "string",
    Integer => "integer",
    Float => "float",
    Boolean => "boolean",
    Date => "date",
});

/// A standard Intercom contact attribute a host property may map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StandardAttribute {
    Name,
    Phone,
    Avatar,
    SignedUpAt,
    LastSeenAt,
    OwnerId,
    UnsubscribedFromEmails,
}

text_enum!(StandardAttribute {
    Name => "name",
    Phone => "phone",
    Avatar => "avatar",
    SignedUpAt => "signed_up_at",
    LastSeenAt => "last_seen_at",
    OwnerId => "owner_id",
    UnsubscribedFromEmails => "unsubscribed_from_emails",
});

impl StandardAttribute {
    /// The type Intercom expects for it.
    pub fn data_type(self) -> DataType {
        match self {
            Self::Name | Self::Phone | Self::Avatar => DataType::String,
            Self::SignedUpAt | Self::LastSeenAt => DataType::Date,
            Self::OwnerId => DataType::Integer,
            Self::UnsubscribedFromEmails => DataType::Boolean,
        }
    }
}

/// Where a host property goes in Intercom.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttributeTarget {
    /// A standard attribute (`name`, `phone`, ...).
    Standard { attribute: StandardAttribute },
    /// A custom data attribute, created with `data_type` when missing.
    Data { name: String, data_type: DataType },
}

impl AttributeTarget {
    pub fn data_type(&self) -> DataType {
        match self {
            Self::Standard { attribute } => attribute.data_type(),
            Self::Data { data_type, .. } => *data_type,
        }
    }

    /// The Intercom attribute's name.
    pub fn name(&self) -> &str {
        match self {
            Self::Standard { attribute } => attribute.as_str(),
            Self::Data { name, .. } => name,
        }
    }
}

/// One host property and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldMapping {
    pub property: String,
    pub target: AttributeTarget,
}

/// A workspace's export settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSettings {
    /// Nothing is sent while false (records are still accepted and queued).
    pub enabled: bool,
    pub sync_mode: SyncMode,
    pub creation_mode: CreationMode,
    pub removal_mode: RemovalMode,
    pub mapping: Vec<FieldMapping>,
}

impl Default for ExportSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            sync_mode: SyncMode::Sync,
            creation_mode: CreationMode::Lifecycle,
            removal_mode: RemovalMode::Archive,
            mapping: Vec::new(),
        }
    }
}

impl ExportSettings {
    pub fn mapping_for(&self, property: &str) -> Option<&FieldMapping> {
        self.mapping.iter().find(|m| m.property == property)
    }

    /// The data attributes the mapping needs in Intercom.
    pub fn data_attributes(&self) -> impl Iterator<Item = (&str, DataType)> {
        self.mapping.iter().filter_map(|m| match &m.target {
            AttributeTarget::Data { name, data_type } => Some((name.as_str(), *data_type)),
            AttributeTarget::Standard { .. } => None,
        })
    }

    /// Problems with the settings themselves, each naming its field.
    pub fn problems(&self) -> Vec<RecordProblem> {
        let mut problems = Vec::new();
        let mut properties: Vec<&str> = Vec::new();
        let mut targets: Vec<String> = Vec::new();
        for (i, m) in self.mapping.iter().enumerate() {
            let field = format!("mapping[{i}]");
            if m.property.trim().is_empty() || m.property.chars().count() > 190 {
                problems.push(RecordProblem::new(
                    format!("{field}.property"),
                    "give the host property's name (1 to 190 characters)",
                ));
            }
            if matches!(m.property.as_str(), "email" | "external_id") {
                problems.push(RecordProblem::new(
                    format!("{field}.property"),
                    "email and external_id are fields of the record, not properties; do not map them",
                ));
            }
            if properties.contains(&m.property.as_str()) {
                problems.push(RecordProblem::new(
                    format!("{field}.property"),
                    format!("`{}` is mapped twice; map each property once", m.property),
                ));
            }
            properties.push(&m.property);
            if let AttributeTarget::Data { name, .. } = &m.target
                && !valid_attribute_name(name)
            {
                problems.push(RecordProblem::new(
                    format!("{field}.target.name"),
                    "use 1 to 190 letters, digits, spaces, `_` or `-` (Intercom refuses other characters in attribute names)",
                ));
            }
            if let AttributeTarget::Data { name, .. } = &m.target
                && crate::Contact::STANDARD_ATTRIBUTES
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(name.trim()))
            {
                problems.push(RecordProblem::new(
                    format!("{field}.target.name"),
                    format!(
                        "`{name}` is a standard Intercom contact attribute; map it as {{\"kind\": \"standard\"}} or choose another name"
                    ),
                ));
            }
            let key = m.target.name().trim().to_lowercase();
            if targets.contains(&key) {
                problems.push(RecordProblem::new(
                    format!("{field}.target"),
                    format!(
                        "`{}` is the target of another property; map one property to each attribute",
                        m.target.name()
                    ),
                ));
            }
            targets.push(key);
        }
        problems
    }
}

fn valid_attribute_name(name: &str) -> bool {
    let name = name.trim();
    !name.is_empty()
        && name.chars().count() <= 190
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '-'))
}

/// Why a workspace's export records wait instead of being exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportBlocked {
    Disconnected,
    NoAccessToken,
    Disabled,
}

impl ExportBlocked {
    /// The gate: export only for a connected workspace with a token whose export is on.
    /// Unlike writeback, Intercom need not be the primary data source: exporting is for hosts
    /// that keep their customers themselves.
    pub fn of(workspace: &crate::Workspace, settings: &ExportSettings) -> Option<Self> {
        if !workspace.is_connected() {
            Some(Self::Disconnected)
        } else if workspace.access_token.is_none() {
            Some(Self::NoAccessToken)
        } else if !settings.enabled {
            Some(Self::Disabled)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disconnected => "disconnected",
            Self::NoAccessToken => "no_access_token",
            Self::Disabled => "disabled",
        }
    }
}

impl std::fmt::Display for ExportBlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Disconnected => "the workspace is disconnected; reconnect it to export again",
            Self::NoAccessToken => {
                "the workspace has no Intercom access token; reconnect it with a token"
            }
            Self::Disabled => {
                "the export is off for this workspace; turn it on (export setting enabled)"
            }
        })
    }
}

/// A record as the host wants it in Intercom.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HostRecord {
    /// The host's own id for the record (its key in icsync).
    pub host_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Host property -> value (`null` clears the mapped attribute).
    #[serde(default)]
    pub properties: BTreeMap<String, Value>,
    /// Group names, exported as Intercom tags.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// One thing wrong with a record (or the settings), naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordProblem {
    pub field: String,
    pub message: String,
}

impl RecordProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A tag on an imported contact or company, as the import saw it: contacts list only the
/// tag's id inline (its name is known when icsync has seen the tag elsewhere), companies list
/// both.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImportedTag {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// The `other_attributes` key under which the import keeps a record's tags (a JSON array of
/// [`ImportedTag`]).
pub const IMPORTED_TAGS_KEY: &str = "icsync_tags";

/// The tags an import kept in `other_attributes` (empty when it kept none).
pub fn imported_tags(other_attributes: &crate::AttributeMap) -> Vec<ImportedTag> {
    other_attributes
        .get(IMPORTED_TAGS_KEY)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// The JSON the import stores under [`IMPORTED_TAGS_KEY`].
pub fn imported_tags_value(tags: &[ImportedTag]) -> Value {
    serde_json::to_value(tags).unwrap_or(Value::Null)
}

/// A tag name as sent: trimmed, inner whitespace collapsed to one space.
pub fn normalize_tag_name(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The key two tag names are the same tag by (Intercom matches tag names without case).
pub fn tag_key(name: &str) -> String {
    normalize_tag_name(name).to_lowercase()
}

/// Longest tag name accepted (Intercom's UI stops well before; a longer one is a host bug).
const MAX_TAG_NAME: usize = 100;
const MAX_HOST_ID: usize = 255;

impl HostRecord {
    /// The record in canonical form: email normalized, external id and group names trimmed,
    /// groups deduplicated (by [`tag_key`]) and sorted, so equal intents hash alike.
    pub fn normalized(mut self) -> Self {
        self.host_id = self.host_id.trim().to_owned();
        self.email = self.email.as_deref().and_then(normalize_email);
        self.external_id = self
            .external_id
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty());
        let mut groups: Vec<String> = self
            .groups
            .iter()
            .map(|g| normalize_tag_name(g))
            .filter(|g| !g.is_empty())
            .collect();
        groups.sort_by_key(|g| tag_key(g));
        groups.dedup_by_key(|g| tag_key(g));
        self.groups = groups;
        self
    }

    /// Everything wrong with a (normalized) record under `settings`: required fields of the
    /// creation mode, unmapped properties, values that do not fit their attribute's type.
    pub fn problems(&self, settings: &ExportSettings) -> Vec<RecordProblem> {
        let mut problems = Vec::new();
        if self.host_id.is_empty() || self.host_id.chars().count() > MAX_HOST_ID {
            problems.push(RecordProblem::new(
                "host_id",
                "give the record's id in the host (1 to 255 characters)",
            ));
        }
        if let Some(email) = &self.email
            && !plausible_email(email)
        {
            problems.push(RecordProblem::new(
                "email",
                format!("{email:?} is not an email address"),
            ));
        }
        let role = settings.creation_mode.role_for(self);
        if self.email.is_none() {
            let why = match role {
                ContactRole::User => "users need an email (creation mode user)",
                ContactRole::Lead => "leads need an email (creation mode lead or lifecycle)",
            };
            problems.push(RecordProblem::new(
                "email",
                format!("missing: {why}; icsync finds and de-duplicates contacts by it"),
            ));
        }
        if settings.creation_mode == CreationMode::User && self.external_id.is_none() {
            problems.push(RecordProblem::new(
                "external_id",
                "missing: users need an external id (creation mode user); send the host's user id, or use creation mode lead or lifecycle",
            ));
        }
        for (property, value) in &self.properties {
            let field = format!("properties.{property}");
            let Some(mapping) = settings.mapping_for(property) else {
                problems.push(RecordProblem::new(
                    field,
                    "not mapped to an Intercom attribute; add it to the export's mapping or leave it out",
                ));
                continue;
            };
            if let Err(problem) = wire_value(value, mapping.target.data_type()) {
                problems.push(RecordProblem::new(field, problem));
            }
        }
        for (i, group) in self.groups.iter().enumerate() {
            if group.chars().count() > MAX_TAG_NAME {
                problems.push(RecordProblem::new(
                    format!("groups[{i}]"),
                    format!("a group name is at most {MAX_TAG_NAME} characters"),
                ));
            }
        }
        problems
    }
}

fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty() && !domain.is_empty() && !email.chars().any(char::is_whitespace)
}

/// A host value as Intercom takes it for an attribute of type `data_type`, or why it cannot.
/// `null` stays `null` (it clears the attribute).
pub fn wire_value(value: &Value, data_type: DataType) -> Result<Value, String> {
    let mismatch = |expected: &str| {
        Err(format!(
            "{value} is not {expected} (the Intercom attribute is {data_type})"
        ))
    };
    match (data_type, value) {
        (_, Value::Null) => Ok(Value::Null),
        (DataType::String, Value::String(s)) => Ok(Value::String(s.clone())),
        (DataType::String, Value::Number(n)) => Ok(Value::String(n.to_string())),
        (DataType::String, _) => mismatch("a string"),
        (DataType::Integer, Value::Number(n)) if n.is_i64() => Ok(value.clone()),
        (DataType::Integer, _) => mismatch("an integer"),
        (DataType::Float, Value::Number(_)) => Ok(value.clone()),
        (DataType::Float, _) => mismatch("a number"),
        (DataType::Boolean, Value::Bool(_)) => Ok(value.clone()),
        (DataType::Boolean, _) => mismatch("true or false"),
        (DataType::Date, Value::Number(n)) if n.is_i64() => Ok(value.clone()),
        (DataType::Date, Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| Value::from(t.timestamp()))
            .or_else(|_| mismatch("a date (Unix seconds or an RFC 3339 time)")),
        (DataType::Date, _) => mismatch("a date (Unix seconds or an RFC 3339 time)"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(mode: CreationMode) -> ExportSettings {
        ExportSettings {
            creation_mode: mode,
            mapping: vec![
                FieldMapping {
                    property: "full_name".into(),
                    target: AttributeTarget::Standard {
                        attribute: StandardAttribute::Name,
                    },
                },
                FieldMapping {
                    property: "seats".into(),
                    target: AttributeTarget::Data {
                        name: "seats".into(),
                        data_type: DataType::Integer,
                    },
                },
            ],
            ..ExportSettings::default()
        }
    }

    fn record() -> HostRecord {
        HostRecord {
            host_id: " h1 ".into(),
            email: Some(" Ann@Example.COM ".into()),
            external_id: Some(" u1 ".into()),
            properties: BTreeMap::new(),
            groups: vec![
                "  Beta   testers ".into(),
                "beta TESTERS".into(),
                "Alpha".into(),
                " ".into(),
            ],
        }
        .normalized()
    }

    #[test]
    fn normalizing_canonicalizes_ids_email_and_groups() {
        let r = record();
        assert_eq!(r.host_id, "h1");
        assert_eq!(r.email.as_deref(), Some("ann@example.com"));
        assert_eq!(r.external_id.as_deref(), Some("u1"));
        assert_eq!(r.groups, vec!["Alpha", "Beta testers"]);
    }

    #[test]
    fn lifecycle_is_a_lead_until_an_external_id_comes() {
        let mut r = record();
        assert_eq!(CreationMode::Lifecycle.role_for(&r), ContactRole::User);
        r.external_id = None;
        assert_eq!(CreationMode::Lifecycle.role_for(&r), ContactRole::Lead);
        assert_eq!(CreationMode::User.role_for(&r), ContactRole::User);
    }

    #[test]
    fn required_fields_follow_the_creation_mode() {
        let mut r = record();
        r.external_id = None;
        let user = r.problems(&settings(CreationMode::User));
        assert_eq!(user.len(), 1, "{user:?}");
        assert_eq!(user[0].field, "external_id");
        assert!(r.problems(&settings(CreationMode::Lead)).is_empty());
        r.email = None;
        let lead = r.problems(&settings(CreationMode::Lead));
        assert_eq!(lead[0].field, "email");
        assert!(lead[0].message.contains("leads need an email"));
    }

    #[test]
    fn unmapped_and_mistyped_properties_are_reported_by_name() {
        let mut r = record();
        r.properties.insert("seats".into(), json!("many"));
        r.properties.insert("plan".into(), json!("pro"));
        r.properties.insert("full_name".into(), json!("Ann"));
        let problems = r.problems(&settings(CreationMode::Lifecycle));
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["properties.plan", "properties.seats"]);
        assert!(problems[1].message.contains("integer"), "{problems:?}");
    }

    #[test]
    fn dates_take_seconds_or_rfc3339() {
        assert_eq!(wire_value(&json!(5), DataType::Date), Ok(json!(5)));
        assert_eq!(
            wire_value(&json!("1970-01-01T00:01:00Z"), DataType::Date),
            Ok(json!(60))
        );
        assert!(wire_value(&json!("soon"), DataType::Date).is_err());
        assert_eq!(wire_value(&Value::Null, DataType::Boolean), Ok(Value::Null));
        assert!(wire_value(&json!(1.5), DataType::Integer).is_err());
    }

    #[test]
    fn settings_problems_name_the_mapping_entry() {
        let mut s = settings(CreationMode::Lead);
        s.mapping.push(FieldMapping {
            property: "seats".into(),
            target: AttributeTarget::Data {
                name: "email".into(),
                data_type: DataType::String,
            },
        });
        let fields: Vec<String> = s.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec!["mapping[2].property", "mapping[2].target.name"]
        );
        assert!(settings(CreationMode::Lead).problems().is_empty());
    }
}
