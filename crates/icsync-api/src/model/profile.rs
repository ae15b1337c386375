//! A contact's profile: the Intercom contacts behind it, their companies and CS attributes,
//! recent events, sessions, and the conversation timeline with "Reply on Intercom" links.

use crate::model::CsView;
use crate::services::Freshness;
use chrono::{DateTime, Utc};
use icsync_domain::{Author, Conversation, ConversationPart, Region};
use icsync_store::{FeedEvent, LocatedContact, StoredCompany, StoredConversation};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Where Intercom last saw a contact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LocationView {
    pub country: Option<String>,
    pub region: Option<String>,
    pub city: Option<String>,
}

/// A company as a contact's profile lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompanySummary {
    /// Intercom's id of the company.
    pub intercom_id: String,
    /// The workspace's own id for the company.
    pub company_id: Option<String>,
    pub name: Option<String>,
    pub plan_name: Option<String>,
    #[serde(serialize_with = "crate::model::decimal_number")]
    #[schema(value_type = Option<f64>)]
    pub monthly_spend: Option<Decimal>,
    pub user_count: Option<i64>,
    /// The company's tag names, as the last import saw them.
    pub tags: Vec<String>,
}

/// A tag as an import saw it on a contact.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TagView {
    pub id: String,
    /// `null` when icsync has not seen the tag's name (Intercom lists a contact's tags by id).
    pub name: Option<String>,
}

fn tag_names(other: &icsync_domain::AttributeMap) -> Vec<String> {
    icsync_domain::imported_tags(other)
        .into_iter()
        .map(|t| t.name.unwrap_or(t.id))
        .collect()
}

impl From<&StoredCompany> for CompanySummary {
    fn from(c: &StoredCompany) -> Self {
        CompanySummary {
            intercom_id: c.company.id.to_string(),
            company_id: c.company.company_id.clone(),
            name: c.company.name.clone(),
            plan_name: c.company.plan_name.clone(),
            monthly_spend: c.company.monthly_spend,
            user_count: c.company.user_count,
            tags: tag_names(&c.company.other_attributes),
        }
    }
}

/// One Intercom contact with everything icsync keeps of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactView {
    /// icsync's id of the contact.
    pub icsync_id: i64,
    /// Intercom's id of the contact.
    pub intercom_id: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    /// `user` or `lead`.
    pub role: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub avatar_url: Option<String>,
    /// Intercom admin id of the contact's owner.
    pub owner_id: Option<String>,
    pub unsubscribed_from_emails: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub signed_up_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub last_replied_at: Option<DateTime<Utc>>,
    pub last_contacted_at: Option<DateTime<Utc>>,
    pub location: LocationView,
    /// Custom attributes (any that would shadow a standard attribute are not kept).
    #[schema(value_type = Object)]
    pub custom_attributes: Map<String, Value>,
    /// Standard attributes without a field of their own (browser, os, social profiles, ...).
    #[schema(value_type = Object)]
    pub other_attributes: Map<String, Value>,
    pub companies: Vec<CompanySummary>,
    /// The contact's tags as the last import saw them (at most the 10 Intercom lists inline).
    pub tags: Vec<TagView>,
    /// `via_intercom` for a contact that came from Intercom, `host_export` for one the host's
    /// export created or matched (its records are in `host_ids`).
    #[schema(example = "via_intercom")]
    pub source: String,
    /// The host records exported to this contact.
    pub host_ids: Vec<String>,
    /// The CS attributes the host set on this contact, if any.
    pub cs_attributes: Option<CsView>,
    /// When Intercom first answered that the contact no longer exists.
    pub deleted_at: Option<DateTime<Utc>>,
    pub first_imported_at: DateTime<Utc>,
    pub last_imported_at: DateTime<Utc>,
}

impl ContactView {
    /// `host_ids`: the export records linked to the contact; `known_tags`: tag id -> name for
    /// the tags icsync has seen named (the export's, the companies').
    pub(crate) fn new(
        located: &LocatedContact,
        companies: &[StoredCompany],
        cs_attributes: Option<CsView>,
        host_ids: Vec<String>,
        known_tags: &std::collections::HashMap<String, String>,
    ) -> Self {
        let stored = &located.contact;
        let c = &stored.contact;
        let tags = icsync_domain::imported_tags(&c.other_attributes)
            .into_iter()
            .map(|t| TagView {
                name: t.name.or_else(|| known_tags.get(&t.id).cloned()),
                id: t.id,
            })
            .collect();
        let source = if host_ids.is_empty() {
            "via_intercom"
        } else {
            "host_export"
        };
        ContactView {
            tags,
            source: source.to_owned(),
            host_ids,
            icsync_id: located.icsync_id,
            intercom_id: c.id.to_string(),
            external_id: c.external_id.clone(),
            email: c.email.clone(),
            role: c.role.as_str().to_owned(),
            name: c.name.clone(),
            phone: c.phone.clone(),
            avatar_url: c.avatar_url.clone(),
            owner_id: c.owner_id.clone(),
            unsubscribed_from_emails: c.unsubscribed_from_emails,
            created_at: c.created_at,
            updated_at: c.updated_at,
            signed_up_at: c.signed_up_at,
            last_seen_at: c.last_seen_at,
            last_replied_at: c.last_replied_at,
            last_contacted_at: c.last_contacted_at,
            location: LocationView {
                country: c.location.country.clone(),
                region: c.location.region.clone(),
                city: c.location.city.clone(),
            },
            custom_attributes: c.custom_attributes.clone(),
            other_attributes: c.other_attributes.clone(),
            companies: companies.iter().map(CompanySummary::from).collect(),
            cs_attributes,
            deleted_at: stored.deleted_at,
            first_imported_at: stored.first_imported_at,
            last_imported_at: stored.last_imported_at,
        }
    }
}

/// One custom data event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    /// The event's position in the workspace's event feed.
    pub seq: i64,
    /// Intercom's id of the contact.
    pub contact_id: String,
    pub event_name: String,
    pub occurred_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub metadata: Map<String, Value>,
    pub imported_at: DateTime<Utc>,
}

impl From<&FeedEvent> for EventView {
    fn from(e: &FeedEvent) -> Self {
        EventView {
            seq: e.seq,
            contact_id: e.event.contact_id.to_string(),
            event_name: e.event.event_name.clone(),
            occurred_at: e.event.occurred_at,
            metadata: e.event.metadata.clone(),
            imported_at: e.imported_at,
        }
    }
}

/// One session rebuilt from a contact's events.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    pub contact_id: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub duration_secs: i64,
    pub event_count: i64,
}

impl From<&icsync_domain::Session> for SessionView {
    fn from(s: &icsync_domain::Session) -> Self {
        SessionView {
            contact_id: s.contact_id.to_string(),
            started_at: s.started_at,
            ended_at: s.ended_at,
            duration_secs: (s.ended_at - s.started_at).num_seconds().max(0),
            event_count: s.event_count,
        }
    }
}

/// The profile's sessions in short.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionsSummary {
    pub total: u64,
    /// Sessions started in the last 30 days.
    pub last_30_days: u64,
    pub last_session_at: Option<DateTime<Utc>>,
    /// Mean duration of the last 30 days' sessions.
    pub average_duration_secs_30_days: Option<i64>,
    /// The most recent sessions, newest first.
    pub recent: Vec<SessionView>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthorView {
    /// `user`, `lead`, `admin`, `bot`, `team`, ...
    pub kind: Option<String>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
}

impl From<&Author> for AuthorView {
    fn from(a: &Author) -> Self {
        AuthorView {
            kind: a.kind.clone(),
            id: a.id.clone(),
            name: a.name.clone(),
            email: a.email.clone(),
        }
    }
}

/// The message that started a conversation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceView {
    /// Channel (`conversation`, `email`, `push`, ...).
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub author: AuthorView,
    pub url: Option<String>,
}

/// A conversation of the timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationView {
    /// Intercom's id of the conversation.
    pub id: String,
    pub title: Option<String>,
    /// `open`, `closed` or `snoozed`.
    pub state: String,
    pub open: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub waiting_since: Option<DateTime<Utc>>,
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Intercom ids of every participant, in Intercom's order.
    pub contact_ids: Vec<String>,
    pub admin_assignee_id: Option<String>,
    pub source: SourceView,
    pub tags: Vec<String>,
    /// Parts Intercom says exist; it returns at most the 500 most recent.
    pub parts_reported: Option<i64>,
    pub parts_stored: i64,
    /// More parts exist than icsync could store.
    pub truncated: bool,
    /// Opens the conversation in Intercom's inbox ("Reply on Intercom"); null when the
    /// workspace's app id is unknown.
    pub reply_url: Option<String>,
}

/// The web host of Intercom's inbox for a region.
fn app_host(region: Region) -> &'static str {
    match region {
        Region::Us => "https://app.intercom.com",
        Region::Eu => "https://app.eu.intercom.com",
        Region::Au => "https://app.au.intercom.com",
    }
}

/// The "Reply on Intercom" link of a conversation.
pub fn reply_url(region: Region, app_id: Option<&str>, conversation: &str) -> Option<String> {
    let app_id = app_id.filter(|id| !id.is_empty())?;
    let segment = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    Some(format!(
        "{}/a/inbox/{}/inbox/conversation/{}",
        app_host(region),
        segment(app_id),
        segment(conversation)
    ))
}

impl ConversationView {
    pub(crate) fn new(stored: &StoredConversation, region: Region, app_id: Option<&str>) -> Self {
        let c: &Conversation = &stored.conversation;
        ConversationView {
            id: c.id.to_string(),
            title: c.title.clone(),
            state: c.state.clone(),
            open: c.open,
            created_at: c.created_at,
            updated_at: c.updated_at,
            waiting_since: c.waiting_since,
            snoozed_until: c.snoozed_until,
            contact_ids: c.contact_ids.iter().map(ToString::to_string).collect(),
            admin_assignee_id: c.admin_assignee_id.clone(),
            source: SourceView {
                kind: c.source.kind.clone(),
                subject: c.source.subject.clone(),
                body: c.source.body.clone(),
                author: AuthorView::from(&c.source.author),
                url: c.source.url.clone(),
            },
            tags: c.tags.clone(),
            parts_reported: c.parts_reported,
            parts_stored: stored.parts_stored,
            truncated: stored.is_truncated(),
            reply_url: reply_url(region, app_id, c.id.as_str()),
        }
    }
}

/// One part of a conversation: a reply, a note, an assignment, a state change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartView {
    pub id: String,
    pub part_type: String,
    pub author: AuthorView,
    pub body: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<&ConversationPart> for PartView {
    fn from(p: &ConversationPart) -> Self {
        PartView {
            id: p.id.to_string(),
            part_type: p.part_type.clone(),
            author: AuthorView::from(&p.author),
            body: p.body.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A conversation with its stored parts, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationDetail {
    pub workspace: String,
    pub conversation: ConversationView,
    pub parts: Vec<PartView>,
}

/// A host profile: one person, who may be several Intercom contacts sharing an email.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactProfileView {
    pub workspace: String,
    /// The key the profile was asked by.
    pub key: String,
    /// The normalized email, when the profile was asked by email.
    pub email: Option<String>,
    /// The Intercom contacts of the profile (several when they share the email).
    pub contacts: Vec<ContactView>,
    /// The most recent events of all of them, newest first.
    pub recent_events: Vec<EventView>,
    pub sessions: SessionsSummary,
    /// Their conversations, most recently updated first.
    pub conversations: Vec<ConversationView>,
    /// Whether `conversations` is as Intercom has it now (the on-view fetch).
    pub timeline: Freshness,
}
