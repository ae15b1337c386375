//! Data attributes: the schema of contact/company attributes, and creating custom ones before writing them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::serde_util::open_enum;

open_enum! {
    /// Which object an attribute belongs to.
    DataAttributeModel {
        /// Contacts.
        Contact => "contact",
        /// Companies.
        Company => "company",
        /// Conversations.
        Conversation => "conversation",
    }
}

open_enum! {
    /// An attribute's type (immutable once created).
    DataType {
        /// Text.
        String => "string",
        /// Integer.
        Integer => "integer",
        /// Decimal.
        Float => "float",
        /// Boolean.
        Boolean => "boolean",
        /// Date (Unix seconds).
        Date => "date",
        /// Date-time (Unix seconds).
        Datetime => "datetime",
    }
}

/// A data attribute (standard or custom).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataAttribute {
    /// Id (custom attributes only; an integer on the wire).
    #[serde(default, with = "crate::serde_util::id_opt")]
    pub id: Option<String>,
    /// `contact` / `company` / `conversation`.
    #[serde(default)]
    pub model: Option<DataAttributeModel>,
    /// Name.
    pub name: String,
    /// `custom_attributes.<name>` for custom ones.
    #[serde(default)]
    pub full_name: Option<String>,
    /// Label.
    #[serde(default)]
    pub label: Option<String>,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Type.
    #[serde(default)]
    pub data_type: Option<DataType>,
    /// List options, verbatim.
    #[serde(default)]
    pub options: Option<serde_json::Value>,
    /// Writable through the API.
    #[serde(default)]
    pub api_writable: Option<bool>,
    /// Writable from the Messenger.
    #[serde(default)]
    pub messenger_writable: Option<bool>,
    /// Writable in the UI.
    #[serde(default)]
    pub ui_writable: Option<bool>,
    /// Custom (vs standard).
    #[serde(default)]
    pub custom: Option<bool>,
    /// Archived.
    #[serde(default)]
    pub archived: Option<bool>,
    /// Created.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub created_at: Option<DateTime<Utc>>,
    /// Updated.
    #[serde(default, with = "crate::serde_util::unix_opt")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Creating admin.
    #[serde(default, with = "crate::serde_util::id_opt")]
    pub admin_id: Option<String>,
}

/// Body of `POST /data_attributes`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataAttributeCreate {
    /// Name (`[A-Za-z0-9 _-]` is safe).
    pub name: String,
    /// `contact` or `company`.
    pub model: DataAttributeModel,
    /// Type.
    pub data_type: DataType,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Writable from the Messenger (default false from 2.11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messenger_writable: Option<bool>,
}
