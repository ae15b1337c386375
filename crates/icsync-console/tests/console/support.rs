//! A fresh console per case: a migrated SQLite store, an admin and a host key, injected
//! services a case can steer, seeded data, and a browser-like request helper (cookie jar of
//! one, `Sec-Fetch-Site`) that checks every answer for secrets.

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use icsync_api::*;
use icsync_domain::*;
use icsync_store::{IngestBatch, SecretKey, Store};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

pub const WORKSPACE: &str = "acme";
pub const APP_ID: &str = "abc123";
/// The contact with the long conversation.
pub const ADA: &str = "ada@example.com";
pub const LONG_CONVERSATION: &str = "200963802864001";

/// The on-view fetch: fresh, or failing with a message.
#[derive(Debug, Default)]
pub struct FakeOnView(pub Mutex<Option<String>>);

#[async_trait]
impl OnViewFetch for FakeOnView {
    async fn fetch(&self, _: &Workspace, _: &ContactId) -> Result<Freshness, ServiceError> {
        match self.0.lock().unwrap().clone() {
            Some(message) => Err(ServiceError::Upstream(message)),
            None => Ok(Freshness {
                status: TimelineStatus::Fresh,
                fetched_at: Some(Utc::now()),
                error: None,
            }),
        }
    }
}

/// Writeback figures with one failing row.
#[derive(Debug)]
pub struct FakeWriteback;

#[async_trait]
impl WritebackStatus for FakeWriteback {
    async fn status(&self, _: &Workspace) -> Result<WritebackFigures, ServiceError> {
        Ok(WritebackFigures {
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
                error: "Intercom answered 500 twice".into(),
                next_attempt_at: Some(Utc::now() + Duration::seconds(60)),
                gone_at: None,
            }],
        })
    }
}

/// One day of activity for every account, today.
#[derive(Debug)]
pub struct FakeRollups;

#[async_trait]
impl Rollups for FakeRollups {
    async fn daily(
        &self,
        _: &Workspace,
        account: &CompanyId,
        _from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRollup>, ServiceError> {
        Ok(vec![DailyRollup {
            account: account.clone(),
            day: to,
            starts_at: Utc::now(),
            ends_at: Utc::now(),
            active_users: 2,
            sessions: 4,
            events: [("logged-in".to_owned(), 7)].into_iter().collect(),
        }])
    }
}

pub struct Console {
    pub store: Store,
    pub router: axum::Router,
    pub admin: String,
    pub host: String,
    pub on_view: Arc<FakeOnView>,
    /// Strings no answer may contain.
    pub secrets: Mutex<Vec<String>>,
    _dir: tempfile::TempDir,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The session cookie this answer sets (`name=value`), if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("icsync_session="))
            .map(|v| v.split(';').next().unwrap().to_owned())
    }

    pub fn set_cookie(&self) -> String {
        self.headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    }

    /// The value of the first `name="csrf"` field.
    pub fn csrf(&self) -> String {
        let at = self
            .text
            .find("name=\"csrf\" value=\"")
            .expect("a form token");
        let rest = &self.text[at + "name=\"csrf\" value=\"".len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    pub fn contains(&self, text: &str) -> bool {
        self.text.contains(text)
    }
}

pub async fn console() -> Console {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("console.db").display());
    let store = Store::connect(&url)
        .await
        .unwrap()
        .with_secret_key(&SecretKey::generate());
    store.migrate().await.unwrap();
    let (_, admin) = create_api_key(&store, Scope::Admin, Some("ops"))
        .await
        .unwrap();
    let (_, host) = create_api_key(&store, Scope::Host, Some("crm"))
        .await
        .unwrap();
    let on_view = Arc::new(FakeOnView::default());
    let services = ApiServices {
        on_view: on_view.clone(),
        writeback: Arc::new(FakeWriteback),
        rollups: Arc::new(FakeRollups),
        cs_attributes: Arc::new(StoreCsAttributes::new(store.clone())),
    };
    let state = ApiState::new(store.clone(), ApiSettings::default(), services).unwrap();
    let settings = icsync_console::ConsoleSettings {
        attribute_names: vec![icsync_console::AttributeName {
            field: "health".into(),
            contact: "cs_health".into(),
            company: "cs_account_health".into(),
        }],
        ..Default::default()
    };
    let (admin, host) = (
        admin.expose_secret().to_owned(),
        host.expose_secret().to_owned(),
    );
    Console {
        router: icsync_console::router_with(state, settings),
        store,
        secrets: Mutex::new(vec![admin.clone(), host.clone()]),
        admin,
        host,
        on_view,
        _dir: dir,
    }
}

impl Console {
    pub fn forbid(&self, secret: &str) {
        self.secrets.lock().unwrap().push(secret.to_owned());
    }

    /// A request as a browser on this origin sends it.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        form: Option<&[(&str, &str)]>,
        extra: &[(&str, &str)],
    ) -> Page {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "console.test");
        if !extra.iter().any(|(name, _)| *name == "sec-fetch-site") {
            request = request.header("sec-fetch-site", "same-origin");
        }
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        let request = match form {
            Some(fields) => request
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(serde_urlencoded_pairs(fields))),
            None => request.body(Body::empty()),
        }
        .unwrap();
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
                "{path} shows a secret: {text}"
            );
            for (name, value) in &headers {
                if name == header::SET_COOKIE {
                    continue; // the session cookie holds the key, as it must
                }
                assert!(
                    !String::from_utf8_lossy(value.as_bytes()).contains(secret.as_str()),
                    "{path}: header {name} holds a secret"
                );
            }
        }
        if status.is_success()
            && headers
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html"))
        {
            assert!(
                headers.contains_key(header::CONTENT_SECURITY_POLICY),
                "{path} has a CSP"
            );
            assert_eq!(
                headers[header::CACHE_CONTROL],
                "no-store",
                "{path} is not cached"
            );
        }
        Page {
            status,
            headers,
            text,
        }
    }

    pub async fn get(&self, path: &str, cookie: &str) -> Page {
        self.send(Method::GET, path, Some(cookie), None, &[]).await
    }

    pub async fn post(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(cookie), Some(form), &[])
            .await
    }

    /// Signs in with `key`; the cookie header value to send afterwards.
    pub async fn sign_in(&self, key: &str) -> String {
        let page = self
            .send(Method::POST, "/sign-in", None, Some(&[("key", key)]), &[])
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text);
        page.session_cookie().expect("a session cookie")
    }

    /// `acme`: Ada with a long conversation (500 of 1,204 messages stored) and a short one,
    /// two more contacts, a company, events and sessions.
    pub async fn seeded(&self) -> Workspace {
        let new = NewWorkspace {
            intercom_app_id: Some(APP_ID.into()),
            region: Region::Eu,
            timezone: Some("Europe/Paris".into()),
            user_tracking: true,
            ..NewWorkspace::new(WORKSPACE)
        };
        let ws = self.store.create_workspace(&new).await.unwrap();
        let contacts = vec![
            contact(0, "Ada Lovelace", ADA),
            contact(1, "Grace Hopper", "grace@example.com"),
            contact(2, "Alan Turing", "alan@navy.example"),
        ];
        let companies = vec![company(0)];
        let associations = vec![
            (contact_id(0), company(0).id),
            (contact_id(1), company(0).id),
        ];
        let now = Utc::now();
        let events: Vec<Event> = (0..12)
            .map(|n| Event {
                contact_id: contact_id(0),
                event_name: ["logged-in", "exported-report"][n % 2].into(),
                occurred_at: now - Duration::hours(n as i64 * 20),
                metadata: object(json!({"n": n})),
            })
            .collect();
        let long = conversation(LONG_CONVERSATION, "Export everything", Some(1204));
        let short = conversation("200963802864002", "Invoice question", Some(2));
        let mut parts: Vec<ConversationPart> = (0..500).map(|n| part(&long, n)).collect();
        parts.extend((0..2).map(|n| part(&short, n)));
        self.store
            .write_batch(
                ws.id,
                IngestBatch {
                    contacts: &contacts,
                    companies: &companies,
                    associations: &associations,
                    events: &events,
                    conversations: &[long, short],
                    parts: &parts,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let sessions: Vec<Session> = (0..3)
            .map(|n| Session {
                contact_id: contact_id(0),
                started_at: now - Duration::days(n),
                ended_at: now - Duration::days(n) + Duration::minutes(25),
                event_count: 3,
            })
            .collect();
        self.store
            .replace_sessions(ws.id, &contact_id(0), now - Duration::days(40), &sessions)
            .await
            .unwrap();
        ws
    }
}

fn serde_urlencoded_pairs(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

fn object(value: Value) -> AttributeMap {
    match value {
        Value::Object(map) => map,
        _ => unreachable!(),
    }
}

pub fn t(days_ago: i64) -> DateTime<Utc> {
    Utc::now() - Duration::days(days_ago)
}

pub fn contact_id(n: usize) -> ContactId {
    ContactId::new(format!("6{n:023x}"))
}

pub fn contact(n: usize, name: &str, email: &str) -> Contact {
    Contact {
        id: contact_id(n),
        external_id: Some(format!("ext-{n}")),
        email: Some(email.to_owned()),
        role: ContactRole::User,
        name: Some(name.to_owned()),
        phone: None,
        avatar_url: None,
        owner_id: None,
        unsubscribed_from_emails: false,
        created_at: Some(t(20)),
        updated_at: Some(t(2)),
        signed_up_at: None,
        last_seen_at: Some(t(n as i64)),
        last_replied_at: None,
        last_contacted_at: None,
        location: Location::default(),
        custom_attributes: object(json!({"plan_tier": "gold", "seats": 12})),
        other_attributes: object(json!({"browser": "chrome"})),
    }
}

pub fn company(n: usize) -> Company {
    Company {
        id: CompanyId::new(format!("5{n:023x}")),
        company_id: Some(format!("acct-{n}")),
        name: Some("Analytical Engines Ltd".into()),
        plan_name: Some("Pro".into()),
        size: Some(40),
        website: None,
        industry: None,
        monthly_spend: Some(rust_decimal::Decimal::new(123_450, 2)),
        session_count: Some(12),
        user_count: Some(2),
        remote_created_at: None,
        created_at: Some(t(100)),
        updated_at: Some(t(3)),
        last_request_at: None,
        custom_attributes: object(json!({"arr": 12000})),
        other_attributes: AttributeMap::new(),
    }
}

pub fn conversation(id: &str, title: &str, reported: Option<i64>) -> Conversation {
    Conversation {
        id: ConversationId::new(id),
        title: Some(title.to_owned()),
        state: "open".into(),
        open: true,
        created_at: t(5),
        updated_at: t(1),
        waiting_since: None,
        snoozed_until: None,
        contact_ids: vec![contact_id(0)],
        contact_email: None,
        admin_assignee_id: None,
        source: ConversationSource {
            kind: Some("conversation".into()),
            body: Some("<p>How do I <b>export</b> everything?</p><script>alert(1)</script>".into()),
            ..Default::default()
        },
        tags: vec!["billing".into()],
        parts_reported: reported,
    }
}

pub fn part(conversation: &Conversation, n: usize) -> ConversationPart {
    ConversationPart {
        id: PartId::new(format!("{}{n:04}", conversation.id)),
        conversation_id: conversation.id.clone(),
        part_type: "comment".into(),
        author: Author {
            kind: Some(if n.is_multiple_of(2) { "admin" } else { "user" }.into()),
            name: Some(
                if n.is_multiple_of(2) {
                    "Support"
                } else {
                    "Ada"
                }
                .into(),
            ),
            ..Default::default()
        },
        body: Some(format!("<p>Message number {n}</p>")),
        created_at: conversation.created_at + Duration::minutes(n as i64),
        updated_at: None,
    }
}
