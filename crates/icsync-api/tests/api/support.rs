//! A fresh API per case: a migrated SQLite store in a temp dir, an admin and a host key, fake
//! injected services whose answers a case can change, seeded data, and a request helper that
//! checks every answer for leaked secrets and for the documented error shape.

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use icsync_api::*;
use icsync_domain::*;
use icsync_store::{IngestBatch, SecretKey, Store};
use rust_decimal::Decimal;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

pub const WORKSPACE: &str = "acme";
pub const APP_ID: &str = "abc123";
pub const SHARED_EMAIL: &str = "shared@example.com";

/// The on-view fetch as a case wants it.
#[derive(Debug, Default)]
pub struct FakeOnView {
    pub calls: AtomicUsize,
    /// `None`: fresh now. `Some(message)`: fails with an upstream error.
    pub failure: Mutex<Option<String>>,
    pub delay: Mutex<Option<std::time::Duration>>,
}

#[async_trait]
impl OnViewFetch for FakeOnView {
    async fn fetch(&self, _: &Workspace, _: &ContactId) -> Result<Freshness, ServiceError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let delay = *self.delay.lock().unwrap();
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        let failure = self.failure.lock().unwrap().clone();
        match failure {
            Some(message) => Err(ServiceError::Upstream(message)),
            None => Ok(Freshness {
                status: TimelineStatus::Fresh,
                fetched_at: Some(Utc::now()),
                error: None,
            }),
        }
    }
}

/// Writeback figures as a case sets them.
#[derive(Debug)]
pub struct FakeWriteback(pub Mutex<WritebackFigures>);

impl Default for FakeWriteback {
    fn default() -> Self {
        FakeWriteback(Mutex::new(WritebackFigures {
            blocked: None,
            config_error: None,
            pending: 3,
            in_flight: 0,
            pushed: 10,
            failed: 1,
            gone: 0,
            oldest_pending_since: Some(Utc::now() - Duration::seconds(90)),
            oldest_pending_age_secs: Some(90),
            failures: vec![WritebackFailure {
                subject_kind: "contact".into(),
                subject_id: "6x".into(),
                attempts: 2,
                error: "Intercom answered 500".into(),
                next_attempt_at: None,
                gone_at: None,
            }],
        }))
    }
}

#[async_trait]
impl WritebackStatus for FakeWriteback {
    async fn status(&self, _: &Workspace) -> Result<WritebackFigures, ServiceError> {
        Ok(self.0.lock().unwrap().clone())
    }
}

/// Rollups: one day per session day, computed plainly from the store's inputs.
#[derive(Debug)]
pub struct StoreRollups(pub Store);

#[async_trait]
impl Rollups for StoreRollups {
    async fn daily(
        &self,
        workspace: &Workspace,
        account: &CompanyId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRollup>, ServiceError> {
        let inputs = rollup_inputs(&self.0, workspace, account, from, to).await?;
        let mut days: std::collections::BTreeMap<NaiveDate, DailyRollup> = Default::default();
        for s in &inputs.sessions {
            let day = s.started_at.with_timezone(&inputs.zone).date_naive();
            let entry = days.entry(day).or_insert_with(|| DailyRollup {
                account: account.clone(),
                day,
                starts_at: s.started_at,
                ends_at: s.started_at,
                active_users: 0,
                sessions: 0,
                events: Default::default(),
            });
            entry.sessions += 1;
            entry.active_users = 1;
        }
        Ok(days.into_values().collect())
    }
}

pub struct TestApi {
    pub store: Store,
    pub router: axum::Router,
    pub admin: String,
    pub host: String,
    pub on_view: Arc<FakeOnView>,
    pub writeback: Arc<FakeWriteback>,
    /// Strings no response may contain.
    pub secrets: Mutex<Vec<String>>,
    _dir: tempfile::TempDir,
}

pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub text: String,
    pub headers: HeaderMap,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    pub fn field(&self) -> &str {
        self.body["error"]["field"].as_str().unwrap_or("")
    }
}

pub async fn api() -> TestApi {
    api_with(ApiSettings::default()).await
}

pub async fn api_with(settings: ApiSettings) -> TestApi {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .try_init();
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("api.db").display());
    let store = Store::connect(&url)
        .await
        .unwrap()
        .with_secret_key(&SecretKey::generate());
    store.migrate().await.unwrap();
    let (_, admin) = create_api_key(&store, Scope::Admin, Some("ops"))
        .await
        .unwrap();
    let (_, host) = create_api_key(&store, Scope::Host, None).await.unwrap();
    let on_view = Arc::new(FakeOnView::default());
    let writeback = Arc::new(FakeWriteback::default());
    let services = ApiServices {
        on_view: on_view.clone(),
        writeback: writeback.clone(),
        rollups: Arc::new(StoreRollups(store.clone())),
        cs_attributes: Arc::new(StoreCsAttributes::new(store.clone())),
    };
    let configured: Vec<String> = settings
        .api_keys
        .iter()
        .map(|k| k.key.expose_secret().to_owned())
        .collect();
    let state = ApiState::new(store.clone(), settings, services).unwrap();
    let (admin, host) = (
        admin.expose_secret().to_owned(),
        host.expose_secret().to_owned(),
    );
    let mut secrets = vec![admin.clone(), host.clone()];
    secrets.extend(configured);
    TestApi {
        router: router(state),
        store,
        admin,
        host,
        on_view,
        writeback,
        secrets: Mutex::new(secrets),
        _dir: dir,
    }
}

impl TestApi {
    pub fn forbid(&self, secret: &str) {
        self.secrets.lock().unwrap().push(secret.to_owned());
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        self.raw(request).await
    }

    pub async fn raw(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        for secret in self.secrets.lock().unwrap().iter() {
            assert!(
                !text.contains(secret.as_str()),
                "a response holds a secret: {text}"
            );
            for value in headers.values() {
                assert!(
                    !value
                        .as_bytes()
                        .windows(secret.len())
                        .any(|w| w == secret.as_bytes())
                );
            }
        }
        assert!(
            headers.contains_key("x-request-id"),
            "every answer has a request id"
        );
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_client_error() || status.is_server_error() {
            let code = body["error"]["code"]
                .as_str()
                .unwrap_or_else(|| panic!("error {status} without the documented shape: {text}"));
            let known = ErrorCode::ALL.iter().find(|c| c.as_str() == code);
            let known = known.unwrap_or_else(|| panic!("undocumented code {code}"));
            assert_eq!(
                known.status(),
                status,
                "{code} answers its documented status"
            );
            assert!(
                !body["error"]["message"].as_str().unwrap_or("").is_empty(),
                "{text}"
            );
        }
        Answer {
            status,
            body,
            text,
            headers,
        }
    }

    pub async fn get(&self, path: &str, key: &str) -> Answer {
        self.send(Method::GET, path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(key), Some(body)).await
    }

    pub async fn put(&self, path: &str, key: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, Some(key), Some(body)).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(key), Some(body)).await
    }

    /// Stores a workspace named `name` (no token needed for reads).
    pub async fn workspace(&self, name: &str) -> Workspace {
        let new = NewWorkspace {
            intercom_app_id: Some(format!("{APP_ID}-{name}")),
            region: Region::Eu,
            timezone: Some("Europe/Paris".into()),
            user_tracking: true,
            ..NewWorkspace::new(name)
        };
        let mut workspace = self.store.create_workspace(&new).await.unwrap();
        if name == WORKSPACE {
            workspace = self
                .store
                .update_workspace(
                    workspace.id,
                    &icsync_store::WorkspaceSettings {
                        intercom_app_id: Some(APP_ID.into()),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
        }
        workspace
    }

    /// `acme` with contacts, companies, events, conversations and sessions.
    pub async fn seeded(&self) -> Workspace {
        let ws = self.workspace(WORKSPACE).await;
        let contacts: Vec<Contact> = (0..6).map(contact).collect();
        let companies: Vec<Company> = (0..2).map(company).collect();
        let associations: Vec<(ContactId, CompanyId)> =
            (0..6).map(|n| (contact(n).id, company(n % 2).id)).collect();
        let events: Vec<Event> = (0..6)
            .flat_map(|c| (0..5).map(move |n| event(c, n)))
            .collect();
        let conversations = vec![conversation(1, &[1]), conversation(2, &[2, 1])];
        let parts: Vec<ConversationPart> = (0..3).map(|n| part(&conversations[0], n)).collect();
        self.store
            .write_batch(
                ws.id,
                IngestBatch {
                    contacts: &contacts,
                    companies: &companies,
                    associations: &associations,
                    events: &events,
                    conversations: &conversations,
                    parts: &parts,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        for c in 0..6 {
            let sessions = vec![Session {
                contact_id: contact(c).id,
                started_at: Utc::now() - Duration::days(2) + Duration::minutes(c as i64),
                ended_at: Utc::now() - Duration::days(2) + Duration::minutes(c as i64 + 20),
                event_count: 4,
            }];
            self.store
                .replace_sessions(ws.id, &contact(c).id, t(0), &sessions)
                .await
                .unwrap();
        }
        ws
    }
}

pub fn t(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_760_000_000 + seconds, 0).unwrap()
}

fn object(value: Value) -> AttributeMap {
    match value {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

pub fn contact_id(n: usize) -> ContactId {
    ContactId::new(format!("6{n:023x}"))
}

/// Contacts 1 and 2 share an email (written differently); contact 3 has external id `ext-3`.
pub fn contact(n: usize) -> Contact {
    Contact {
        id: contact_id(n),
        external_id: Some(format!("ext-{n}")),
        email: match n {
            1 => Some(format!("  {}", SHARED_EMAIL.to_uppercase())),
            2 => Some(SHARED_EMAIL.to_owned()),
            _ => Some(format!("user{n}@example.com")),
        },
        role: ContactRole::User,
        name: Some(format!("User {n}")),
        phone: None,
        avatar_url: None,
        owner_id: None,
        unsubscribed_from_emails: false,
        created_at: Some(t(n as i64)),
        updated_at: Some(t(1_000 + n as i64)),
        signed_up_at: None,
        last_seen_at: Some(t(2_000 + n as i64)),
        last_replied_at: None,
        last_contacted_at: None,
        location: Location::default(),
        custom_attributes: object(json!({"plan_tier": format!("tier-{n}"), "seats": n})),
        other_attributes: object(json!({"browser": "chrome"})),
    }
}

pub fn company(n: usize) -> Company {
    Company {
        id: CompanyId::new(format!("5{n:023x}")),
        company_id: Some(format!("acct-{n}")),
        name: Some(format!("Company {n}")),
        plan_name: Some("Pro".into()),
        size: Some(40),
        website: None,
        industry: None,
        monthly_spend: Some(Decimal::new(123_450, 2)),
        session_count: Some(12),
        user_count: Some(3),
        remote_created_at: None,
        created_at: Some(t(0)),
        updated_at: Some(t(500)),
        last_request_at: None,
        custom_attributes: object(json!({"arr": 12000})),
        other_attributes: AttributeMap::new(),
    }
}

pub fn event(contact: usize, n: usize) -> Event {
    Event {
        contact_id: contact_id(contact),
        event_name: ["logged-in", "invited-teammate", "exported-report"][n % 3].into(),
        occurred_at: t(10_000 + (contact * 100 + n) as i64 * 37),
        metadata: object(json!({"n": n})),
    }
}

pub fn conversation(n: usize, contacts: &[usize]) -> Conversation {
    Conversation {
        id: ConversationId::new(format!("{}", 200_963_802_864_000usize + n)),
        title: Some(format!("Question {n}")),
        state: "open".into(),
        open: true,
        created_at: t(n as i64 * 60),
        updated_at: t(n as i64 * 60 + 3_600),
        waiting_since: None,
        snoozed_until: None,
        contact_ids: contacts.iter().map(|c| contact_id(*c)).collect(),
        contact_email: None,
        admin_assignee_id: None,
        source: ConversationSource {
            kind: Some("conversation".into()),
            body: Some("<p>How do I export?</p>".into()),
            ..Default::default()
        },
        tags: vec!["billing".into()],
        parts_reported: Some(3),
    }
}

pub fn part(conversation: &Conversation, n: usize) -> ConversationPart {
    ConversationPart {
        id: PartId::new(format!("{}{n:04}", conversation.id)),
        conversation_id: conversation.id.clone(),
        part_type: "comment".into(),
        author: Author {
            kind: Some("admin".into()),
            ..Default::default()
        },
        body: Some(format!("<p>Reply {n}</p>")),
        created_at: conversation.created_at + Duration::minutes(n as i64),
        updated_at: None,
    }
}
