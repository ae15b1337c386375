//! Conversation storage: a compact record per conversation; parts are generated on demand and
//! only parts added later (replies) are stored.

/// Generated and started conversations get ids `FIRST_CONVERSATION_ID + slot`.
pub(crate) const FIRST_CONVERSATION_ID: u64 = 1000;
/// Parts added after generation get ids from this counter upwards.
pub(crate) const FIRST_ADDED_PART_ID: u64 = 9_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Open,
    Closed,
    Snoozed,
}

impl State {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Closed => "closed",
            State::Snoozed => "snoozed",
        }
    }
}

/// Who wrote a part or a source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Author {
    /// A contact, by slot.
    Contact(u32),
    /// An admin, by id.
    Admin(i64),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PartData {
    pub id: u64,
    pub part_type: String,
    pub body: Option<String>,
    pub created_at: i64,
    pub author: Author,
    pub assigned_to: Option<i64>,
}

/// A conversation. `generated_parts` parts come from the generator; `added` follow them.
#[derive(Debug, Clone)]
pub(crate) struct ConvRec {
    /// Generation index (`u32::MAX` for conversations started through the control surface).
    pub seq: u32,
    pub contact: u32,
    pub created_at: i64,
    pub updated_at: i64,
    pub state: State,
    pub read: bool,
    pub admin_assignee_id: Option<i64>,
    pub generated_parts: u32,
    pub added: Vec<PartData>,
    /// Set for conversations started through the control surface (no generated source).
    pub started: Option<Box<StartedSource>>,
}

#[derive(Debug, Clone)]
pub(crate) struct StartedSource {
    pub subject: String,
    pub body: String,
}

impl ConvRec {
    pub(crate) fn total_parts(&self) -> u32 {
        self.generated_parts + self.added.len() as u32
    }
}
