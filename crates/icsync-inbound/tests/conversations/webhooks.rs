//! The webhook receiver against the simulator's signed deliveries: applied before any poll,
//! forgeries refused, replays and duplicates changing nothing, reordering never regressing.

use crate::support::{Db, Env, SECRET, count};
use icsync_domain::{ContactId, ConversationId, StreamName};
use icsync_inbound::{WebhookState, webhook_router};
use icsync_intercom_sim::{Forgery, SimConfig, WebhookConfig, WebhookFaults};
use serde_json::json;
use std::time::Duration;

/// Serves the receiver on a free port; returns its base URL.
async fn serve(env: &Env) -> (String, WebhookState) {
    let state = WebhookState::new(env.store.clone(), &env.config);
    // Where the API mounts it.
    let app = axum::Router::new().nest("/v1/webhooks", webhook_router(state.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), state)
}

/// Sends a POST's head alone (a `Content-Length` of `len`, signed with `signature`) and returns
/// the status the server answers before any of the body arrives.
async fn status_of_head_only(url: &str, path: &str, len: usize, signature: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {len}\r\nx-hub-signature: {signature}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buf))
            .await
            .expect("the receiver answers without waiting for the body")
            .unwrap();
        assert!(n > 0, "connection closed before a status line: {answer:?}");
        answer.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&answer);
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn hooks(url: &str, faults: WebhookFaults) -> WebhookConfig {
    WebhookConfig {
        url: Some(format!("{url}/v1/webhooks/intercom")),
        client_secret: SECRET.to_owned(),
        retry_delay: Duration::from_millis(50),
        timeout: Duration::from_secs(30),
        faults,
    }
}

fn a_user(env: &Env, skip: usize) -> String {
    env.sim
        .contacts_created_since(0)
        .into_iter()
        .filter(|c| c.role == "user")
        .nth(skip)
        .unwrap()
        .id
}

async fn stored_name(env: &Env, id: &str) -> Option<String> {
    env.store
        .contact_profile(env.workspace.id, &ContactId::new(id))
        .await
        .unwrap()
        .and_then(|p| p.contact.contact.name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_webhooks_a_conversation_appears_before_any_poll_and_contacts_follow() {
    let env = Env::start(
        SimConfig {
            contacts: 80,
            conversations: 10,
            max_conversation_parts: 20,
            ..SimConfig::default()
        },
        |_| {},
    )
    .await;
    let (url, state) = serve(&env).await;
    env.sim
        .set_webhooks(hooks(&url, WebhookFaults::default()))
        .unwrap();
    assert!(env.sim.send_ping().is_some());
    let mark = env.mark();
    let user = a_user(&env, 0);
    let id = env
        .sim
        .start_conversation(&user, "Login", "<p>I cannot log in</p>")
        .unwrap();
    env.sim
        .reply(&id, "Try resetting your password", Some(991_267_390))
        .unwrap();
    env.sim.reply(&id, "That worked", None).unwrap();
    env.sim.close_conversation(&id, None).unwrap();
    env.sim
        .update_contact(&user, json!({"name": "Webhook Name"}))
        .unwrap();
    env.sim.webhooks_idle().await;
    let ws = env.workspace.id;
    let stored = env
        .store
        .conversation(ws, &ConversationId::new(id.clone()))
        .await
        .unwrap()
        .expect("stored from the notifications alone");
    assert_eq!(stored.conversation.state, "closed");
    assert_eq!(stored.parts_summary(), "3");
    assert_eq!(
        stored.conversation.source.body.as_deref(),
        Some("<p>I cannot log in</p>")
    );
    assert_eq!(
        stored_name(&env, &user).await.as_deref(),
        Some("Webhook Name")
    );
    assert!(env.requests_since(mark).is_empty(), "no poll, no request");
    let counts = state.counts();
    assert_eq!(
        counts.unauthorized + counts.malformed + counts.failed,
        0,
        "{counts:?}"
    );
    assert!(counts.applied >= 5, "{counts:?}");
    for delivery in env.sim.webhook_journal(0) {
        assert_eq!(delivery.status, Some(200), "{delivery:?}");
    }
    // A deleted contact is marked deleted; a stale update of it does not bring it back.
    let update = env
        .sim
        .webhook_journal(0)
        .into_iter()
        .rfind(|d| d.topic == "contact.user.updated")
        .unwrap();
    env.sim.delete_contact(&user).unwrap();
    env.sim.webhooks_idle().await;
    let replay = env.sim.replay_webhook(update.seq).await.unwrap();
    assert_eq!(replay.status, Some(200));
    let profile = env
        .store
        .contact_profile(ws, &ContactId::new(user.clone()))
        .await
        .unwrap()
        .unwrap();
    assert!(profile.contact.deleted_at.is_some());
    // The poll still runs and agrees.
    let report = env.pass(&[StreamName::CONVERSATIONS]).await;
    assert!(report.all_finished(), "{report:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_replayed_reordered_and_oversized_notifications_change_nothing_they_should_not() {
    hostile_deliveries(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_deliveries_on_postgres() {
    hostile_deliveries(Db::Postgres).await;
}

async fn hostile_deliveries(db: Db) {
    let mut env = Env::start_on(
        db,
        SimConfig {
            contacts: 60,
            conversations: 4,
            max_conversation_parts: 5,
            ..SimConfig::default()
        },
        |_| {},
    )
    .await;
    env.config.webhook_max_body_bytes = 64 * 1024;
    let (url, state) = serve(&env).await;
    let ws = env.workspace.id;
    let user = a_user(&env, 1);
    let base = env.sim.contact_json(&user).unwrap()["updated_at"]
        .as_i64()
        .unwrap();

    // Reordered: every notification swapped with the next, and each delivered twice.
    env.sim
        .set_webhooks(hooks(
            &url,
            WebhookFaults {
                reorder_rate: 1.0,
                duplicate_rate: 1.0,
                ..WebhookFaults::default()
            },
        ))
        .unwrap();
    env.sim
        .update_contact(&user, json!({"name": "First", "updated_at": base + 10}))
        .unwrap();
    env.sim
        .update_contact(&user, json!({"name": "Second", "updated_at": base + 20}))
        .unwrap();
    let id = env
        .sim
        .start_conversation(&user, "Order", "<p>Where is my order?</p>")
        .unwrap();
    env.sim.reply(&id, "On its way", Some(991_267_390)).unwrap();
    env.sim.close_conversation(&id, None).unwrap();
    env.sim.reply(&id, "Thanks", None).unwrap();
    env.sim.webhooks_idle().await;
    let journal = env.sim.webhook_journal(0);
    assert!(
        journal
            .iter()
            .any(|d| d.fault.as_deref() == Some("reordered")),
        "{journal:#?}"
    );
    assert!(
        journal
            .iter()
            .any(|d| d.fault.as_deref() == Some("duplicate"))
    );
    assert!(
        journal.iter().all(|d| d.status == Some(200)),
        "{journal:#?}"
    );
    assert_eq!(
        stored_name(&env, &user).await.as_deref(),
        Some("Second"),
        "the newest state wins"
    );
    let conversation = env
        .store
        .conversation(ws, &ConversationId::new(id.clone()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        conversation.conversation.state, "open",
        "reopened by the last reply"
    );
    assert_eq!(conversation.parts_summary(), "3");
    let counts = state.counts();
    assert!(counts.duplicates + counts.unchanged >= 6, "{counts:?}");

    // Replayed byte for byte: accepted, nothing changes.
    let parts_before = env
        .store
        .conversation_parts(ws, &conversation.conversation.id)
        .await
        .unwrap();
    let first = journal
        .iter()
        .find(|d| d.topic.starts_with("contact.") && d.body.contains("\"First\""))
        .unwrap();
    let earliest = journal
        .iter()
        .find(|d| d.topic == "conversation.user.created")
        .unwrap();
    for seq in [first.seq, earliest.seq] {
        let replay = env.sim.replay_webhook(seq).await.unwrap();
        assert_eq!(replay.status, Some(200), "{replay:?}");
    }
    assert_eq!(stored_name(&env, &user).await.as_deref(), Some("Second"));
    let after = env
        .store
        .conversation(ws, &conversation.conversation.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, conversation);
    assert_eq!(
        env.store
            .conversation_parts(ws, &after.conversation.id)
            .await
            .unwrap(),
        parts_before
    );

    // Forged (wrong key) and unsigned: refused, nothing stored, however new they claim to be.
    env.sim
        .set_webhooks(hooks(&url, WebhookFaults::default()))
        .unwrap();
    let mut item = env.sim.contact_json(&user).unwrap();
    item["name"] = json!("Forged");
    item["updated_at"] = json!(base + 1_000_000);
    for kind in [Forgery::BadSignature, Forgery::MissingSignature] {
        let forged = env
            .sim
            .forge_webhook(kind, Some("contact.user.updated"), Some(item.clone()))
            .await
            .unwrap();
        assert_eq!(forged.status, Some(401), "{forged:?}");
    }
    assert_eq!(stored_name(&env, &user).await.as_deref(), Some("Second"));
    assert_eq!(state.counts().unauthorized, 2);

    // Straight at the receiver: oversized, malformed, a wrong workspace, HEAD.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let post = |path: &str, body: Vec<u8>, signed: bool| {
        let mut request = http
            .post(format!("{url}{path}"))
            .header("content-type", "application/json")
            .body(body.clone());
        if signed {
            request = request.header(
                "X-Hub-Signature",
                icsync_intercom::webhook::sign(SECRET.as_bytes(), &body),
            );
        }
        request.send()
    };
    let mut big = json!({"type": "notification_event", "app_id": "ecahpwf5", "id": "notif_big",
        "topic": "contact.user.updated", "created_at": base, "data": {"item": item}});
    big["padding"] = json!("x".repeat(70 * 1024));
    let big = big.to_string().into_bytes();
    // Only the head is sent: the receiver must refuse on the declared length, unread. (Sending
    // the body too races the refusal: the server closes the connection on the unread rest, so a
    // client still writing sees a broken pipe instead of the 413.)
    assert_eq!(
        status_of_head_only(
            &url,
            "/v1/webhooks/intercom",
            big.len(),
            &icsync_intercom::webhook::sign(SECRET.as_bytes(), &big),
        )
        .await,
        413
    );
    let malformed = post(
        "/v1/webhooks/intercom",
        b"{\"type\": \"notification_event\"".to_vec(),
        true,
    )
    .await
    .unwrap();
    assert_eq!(malformed.status(), 400);
    let body = json!({"type": "notification_event", "app_id": "ecahpwf5", "id": "notif_x",
        "topic": "contact.user.updated", "created_at": base,
        "data": {"item": {"type": "contact", "id": user, "role": "user", "name": "Wrong place",
            "updated_at": base + 2_000_000}}})
    .to_string()
    .into_bytes();
    assert_eq!(
        post("/v1/webhooks/intercom/nobody", body.clone(), true)
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        post("/v1/webhooks/intercom", body.clone(), false)
            .await
            .unwrap()
            .status(),
        401
    );
    let head = http
        .head(format!("{url}/v1/webhooks/intercom"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        stored_name(&env, &user).await.as_deref(),
        Some("Second"),
        "nothing stored"
    );
    // The same body, signed and addressed to the workspace by name, applies.
    let ok = post("/v1/webhooks/intercom/acme", body, true)
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        stored_name(&env, &user).await.as_deref(),
        Some("Wrong place")
    );
}

/// The names of a stored contact's tags (`None` for one stored without a name), sorted.
async fn stored_tag_names(env: &Env, id: &str) -> Vec<Option<String>> {
    let profile = env
        .store
        .contact_profile(env.workspace.id, &ContactId::new(id))
        .await
        .unwrap()
        .unwrap();
    let mut names: Vec<Option<String>> =
        icsync_domain::imported_tags(&profile.contact.contact.other_attributes)
            .into_iter()
            .map(|t| t.name)
            .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_notification_keeps_the_tag_names_icsync_knows_without_asking_intercom() {
    let env = Env::start(
        SimConfig {
            contacts: 60,
            conversations: 0,
            ..SimConfig::default()
        },
        |_| {},
    )
    .await;
    // A user the backfill imports (created within its window).
    let user = env
        .sim
        .contacts_created_since(chrono::Utc::now().timestamp() - 30 * 86_400)
        .into_iter()
        .find(|c| c.role == "user")
        .expect("a recent user")
        .id;
    env.sim.tag_contact(&user, "Beta programme").unwrap();
    let report = env.pass(&[StreamName::USERS]).await;
    assert!(report.all_finished(), "{report:#?}");
    let named = stored_tag_names(&env, &user).await;
    assert!(
        named.contains(&Some("Beta programme".to_owned())) && named.iter().all(Option::is_some),
        "the poll named them: {named:?}"
    );
    let (url, state) = serve(&env).await;
    env.sim
        .set_webhooks(hooks(&url, WebhookFaults::default()))
        .unwrap();
    let mark = env.mark();
    let base = chrono::Utc::now().timestamp();
    // A change in Intercom: the notification's contact lists its tags by id only; the names
    // icsync holds are kept.
    env.sim
        .update_contact(
            &user,
            json!({"name": "Renamed By Webhook", "updated_at": base + 10}),
        )
        .unwrap();
    env.sim.webhooks_idle().await;
    assert_eq!(
        stored_name(&env, &user).await.as_deref(),
        Some("Renamed By Webhook")
    );
    assert_eq!(stored_tag_names(&env, &user).await, named);
    // A tag icsync has never seen: stored by id, still no request; the next poll names it.
    env.sim.tag_contact(&user, "Brand new tag").unwrap();
    env.sim
        .update_contact(
            &user,
            json!({"name": "Tagged By Webhook", "updated_at": base + 20}),
        )
        .unwrap();
    env.sim.webhooks_idle().await;
    assert_eq!(
        stored_name(&env, &user).await.as_deref(),
        Some("Tagged By Webhook")
    );
    let mut with_new = named.clone();
    with_new.push(None);
    with_new.sort();
    assert_eq!(stored_tag_names(&env, &user).await, with_new);
    assert!(
        env.requests_since(mark).is_empty(),
        "no request from a notification"
    );
    assert_eq!(state.counts().failed + state.counts().malformed, 0);
    let mark = env.mark();
    let report = env.pass(&[StreamName::USERS]).await;
    assert!(report.all_finished(), "{report:#?}");
    assert_eq!(
        count(&env.requests_since(mark), "GET /tags"),
        1,
        "{:?}",
        env.requests_since(mark)
    );
    let mut want: Vec<Option<String>> = env
        .sim
        .contact_tag_names(&user)
        .unwrap()
        .into_iter()
        .map(Some)
        .collect();
    want.sort();
    assert_eq!(stored_tag_names(&env, &user).await, want);
}
