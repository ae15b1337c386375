//! Id newtypes, so an Intercom contact id can never be passed where a company id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

/// icsync's own id of a connected Intercom workspace (the `workspaces` row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WorkspaceId(pub i64);

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }
    };
}

string_id!(
    /// Intercom's id of a contact (user or lead), a 24-hex string.
    ContactId
);
string_id!(
    /// Intercom's id of a company (not the workspace's own `company_id`).
    CompanyId
);
string_id!(
    /// Intercom's id of a conversation, a numeric string.
    ConversationId
);
string_id!(
    /// Intercom's id of a conversation part; unique only within one Intercom workspace.
    PartId
);
