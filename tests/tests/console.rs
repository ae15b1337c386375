//! The console in a real headless Chromium, against the daemon and the simulator: sign in,
//! connect with a wrong token (the error in words) and a right one, watch the backfill's
//! progress to done, switch User Tracking off and see polling stopped, find a contact and
//! open its profile (the conversation, "500 of 1,204 messages", the Reply link), read it on a
//! phone-sized screen, sign out. Every page is screenshotted under
//! `target/console-screenshots/`; any browser console error fails the test, and no page may
//! hold the API key or the Intercom token.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use fantoccini::Locator;
use icsync_api::Scope;
use icsync_intercom_sim::{SimConfig, Simulator};
use icsync_tests::browser::Browser;
use icsync_tests::{TestDatabase, spawn_app_with};
use std::time::Duration;

/// Generous: the machine may be slow and busy. Nothing here measures speed.
const PATIENCE: Duration = Duration::from_secs(240);

const WIDTH: u32 = 1280;

/// Replies in the long conversation (its parts; Intercom returns the 500 most recent).
const LONG: usize = 1204;

/// Runs `script` (returning a JSON value) until it returns something truthy; its value.
async fn until(browser: &Browser, what: &str, script: &str) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let value = browser
            .client
            .execute(script, vec![])
            .await
            .expect("a script runs");
        let truthy = match &value {
            serde_json::Value::Null | serde_json::Value::Bool(false) => false,
            serde_json::Value::String(s) => !s.is_empty(),
            _ => true,
        };
        if truthy {
            return value;
        }
        if tokio::time::Instant::now() >= deadline {
            browser.save_failure(what).await;
            panic!("gave up waiting for {what} (see target/console-screenshots/failure*)");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn text_of(browser: &Browser, css: &str) -> String {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn path_of(browser: &Browser) -> String {
    let url = browser.client.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Checks what every page must hold: no secret, every field labelled, nothing wider than the
/// window, no console error.
async fn check_page(browser: &Browser, secrets: &[&str], when: &str) {
    let source = browser.client.source().await.unwrap();
    for secret in secrets {
        assert!(!source.contains(secret), "{when}: the page holds a secret");
    }
    let unlabelled = browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('input:not([type=hidden]), select'))
               .filter(e => !(e.id && document.querySelector('label[for=\"' + e.id + '\"]')) && !e.getAttribute('aria-label'))
               .map(e => e.name);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        unlabelled,
        serde_json::json!([]),
        "{when}: fields without a label"
    );
    let overflow = browser
        .client
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap_or(0) <= 0,
        "{when}: the page is {overflow} px wider than the window"
    );
    browser.assert_no_console_errors(when).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_connects_watches_the_backfill_and_reads_a_profile_in_chromium() {
    // A workspace in the simulator with a user who wrote a long conversation, under a rate
    // limit low enough that the backfill takes a while (its progress shows on the page).
    let sim = Simulator::start(
        SimConfig {
            contacts: 300,
            companies: 30,
            conversations: 80,
            rate_limit_per_window: 150,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let recent = sim.contacts_created_since(sim.anchor() - 20 * 86_400);
    let user = recent
        .iter()
        .find(|c| {
            c.role == "user"
                && !sim
                    .contact_company_ids(&c.id)
                    .unwrap_or_default()
                    .is_empty()
        })
        .expect("a recent user in a company")
        .id
        .clone();
    let contact = sim.contact_json(&user).unwrap();
    let email = contact["email"]
        .as_str()
        .expect("the user has an email")
        .to_owned();
    let long = sim
        .start_conversation(
            &user,
            "Exporting everything",
            "<p>How do I export all our data?</p>",
        )
        .unwrap();
    for k in 0..LONG {
        sim.reply(
            &long,
            &format!("<p>Message {k}</p>"),
            (k % 2 == 0).then_some(991_267_390),
        )
        .unwrap();
    }

    let app = spawn_app_with(TestDatabase::Sqlite, |s| {
        s.inbound.poll_interval_secs = 2;
        s.inbound.deletion_check_interval_secs = 0;
        s.jobs.supervise_secs = 1;
        s.jobs.lease_secs = 5;
        s.writeback.loop_interval_secs = 1;
        s.console.status_refresh_secs = 1;
    })
    .await;
    // The daemon serves the console at `/`, beside the API.
    let base = app.address.clone();
    let admin = app.api_key(Scope::Admin).await;
    let wrong_token = "dG9rOndyb25nLXRva2Vu";
    let secrets = [admin.as_str(), sim.token(), wrong_token];

    let browser = Browser::start(WIDTH, 900).await;

    // Without a session every page leads to sign-in.
    browser
        .client
        .goto(&format!("{base}/workspaces"))
        .await
        .unwrap();
    assert_eq!(path_of(&browser).await, "/sign-in?next=%2Fworkspaces");
    browser.screenshot("sign-in").await;
    check_page(&browser, &secrets, "on the sign-in page").await;
    browser
        .client
        .find(Locator::Id("key"))
        .await
        .unwrap()
        .send_keys(&admin)
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("form.stack button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &browser,
        "the workspaces page",
        "return location.pathname === '/workspaces';",
    )
    .await;
    assert!(
        text_of(&browser, "main")
            .await
            .contains("No workspace is connected yet")
    );
    browser.screenshot("workspaces-empty").await;
    check_page(&browser, &secrets, "on the empty workspaces page").await;

    // Connect: a wrong token first, tested, then connected anyway: both say so in words.
    browser
        .client
        .find(Locator::LinkText("Connect a workspace"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &browser,
        "the connect form",
        "return location.pathname === '/connect';",
    )
    .await;
    let client = browser.client.clone();
    let field = |id: &'static str| client.find(Locator::Id(id));
    field("name")
        .await
        .unwrap()
        .send_keys("acme")
        .await
        .unwrap();
    field("token")
        .await
        .unwrap()
        .send_keys(wrong_token)
        .await
        .unwrap();
    field("base_url")
        .await
        .unwrap()
        .send_keys(sim.base_url())
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("button[value=test]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let refused = until(
        &browser,
        "the refused test",
        "const t = document.getElementById('test-result').innerText; return t.includes('failed') ? t : '';",
    )
    .await;
    let refused = refused.as_str().unwrap();
    assert!(
        refused.contains("Intercom refused the access token"),
        "{refused}"
    );
    assert!(
        !refused.contains("401"),
        "in words, not a status code: {refused}"
    );
    browser
        .full_page_screenshot("connect-wrong-token-tested", WIDTH)
        .await;
    check_page(&browser, &secrets, "after testing a wrong token").await;
    browser
        .client
        .find(Locator::Css("button[value=connect]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &browser,
        "the refused connect",
        "return document.getElementById('form-error') !== null;",
    )
    .await;
    assert!(
        text_of(&browser, "#form-error")
            .await
            .contains("Intercom refused the access token")
    );
    browser
        .full_page_screenshot("connect-wrong-token", WIDTH)
        .await;
    check_page(&browser, &secrets, "after connecting with a wrong token").await;
    assert!(
        app.store.workspace_by_name("acme").await.unwrap().is_none(),
        "nothing stored"
    );

    // The right token: the test shows who it belongs to, then Connect saves it.
    field("token")
        .await
        .unwrap()
        .send_keys(sim.token())
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("button[value=test]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let identity = until(
        &browser,
        "the identity",
        "const t = document.getElementById('test-result').innerText; return t.includes('The token works') ? t : '';",
    )
    .await;
    let identity = identity.as_str().unwrap();
    for expected in [
        "Intercom workspace",
        "Region",
        "Admin",
        sim.config().workspace_id.as_str(),
    ] {
        assert!(identity.contains(expected), "{expected:?} in {identity}");
    }
    browser.full_page_screenshot("connect-test-ok", WIDTH).await;
    check_page(&browser, &secrets, "after testing the right token").await;
    browser
        .client
        .find(Locator::Css("button[value=connect]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &browser,
        "the status page",
        "return location.pathname === '/workspaces/acme/status';",
    )
    .await;

    // The backfill's progress, refreshed in place, until every stream is done.
    until(
        &browser,
        "a progress bar",
        "return document.querySelector('#live progress') !== null;",
    )
    .await;
    let progress = text_of(&browser, "#live .progress").await;
    assert!(progress.contains("progress"), "{progress}");
    // For the picture, a moment for some records to be counted (not asserted: it may end first).
    for _ in 0..20 {
        let counted = browser
            .client
            .execute(
                "const p = document.querySelector('#live progress'); return p ? p.value : -1;",
                vec![],
            )
            .await
            .unwrap();
        if counted.as_f64().is_none_or(|v| v != 0.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    browser
        .full_page_screenshot("status-backfill-running", WIDTH)
        .await;
    check_page(&browser, &secrets, "while the backfill runs").await;
    until(
        &browser,
        "the backfill to finish",
        "const s = ['users', 'companies', 'events', 'conversations'].map(n => document.querySelector('[data-stream=' + n + ']'));
         return s.every(e => e && e.dataset.state === 'succeeded') && !document.querySelector('#live progress');",
    )
    .await;
    let users = text_of(&browser, "[data-stream=users]").await;
    assert!(
        users.contains("Backfill done") || users.contains("Up to date"),
        "{users}"
    );
    browser
        .full_page_screenshot("status-backfill-done", WIDTH)
        .await;
    check_page(&browser, &secrets, "after the backfill").await;

    browser
        .client
        .goto(&format!("{base}/workspaces"))
        .await
        .unwrap();
    assert!(text_of(&browser, "main table").await.contains("Syncing"));
    browser.screenshot("workspaces").await;
    check_page(&browser, &secrets, "on the workspaces page").await;

    // User Tracking off: the status says polling stopped.
    browser
        .client
        .goto(&format!("{base}/workspaces/acme"))
        .await
        .unwrap();
    browser
        .full_page_screenshot("workspace-settings", WIDTH)
        .await;
    check_page(&browser, &secrets, "on the settings page").await;
    let switch = browser
        .client
        .find(Locator::Id("user_tracking"))
        .await
        .unwrap();
    assert_eq!(
        switch.prop("checked").await.unwrap().as_deref(),
        Some("true")
    );
    switch.click().await.unwrap();
    browser
        .client
        .find(Locator::Css("button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &browser,
        "the status after saving",
        "return location.pathname === '/workspaces/acme/status';",
    )
    .await;
    let summary = text_of(&browser, ".summary").await;
    assert!(
        summary.contains("User Tracking is off: polling stopped."),
        "{summary}"
    );
    let users = text_of(&browser, "[data-stream=users]").await;
    assert!(users.contains("Off: polling stopped"), "{users}");
    browser
        .full_page_screenshot("status-tracking-off", WIDTH)
        .await;
    check_page(&browser, &secrets, "with User Tracking off").await;

    // Find the user by part of the email and open the profile.
    browser
        .client
        .goto(&format!("{base}/search"))
        .await
        .unwrap();
    let part = email.split('@').next().unwrap();
    browser
        .client
        .find(Locator::Id("q"))
        .await
        .unwrap()
        .send_keys(part)
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Css("form.search button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &browser,
        "the results",
        "return document.getElementById('contacts-heading') !== null;",
    )
    .await;
    browser.full_page_screenshot("search", WIDTH).await;
    check_page(&browser, &secrets, "on the search page").await;
    let link = browser
        .client
        .find(Locator::XPath(&format!(
            "//tr[td[normalize-space()='{email}']]//a"
        )))
        .await
        .expect("the user is found");
    link.click().await.unwrap();
    until(
        &browser,
        "the profile",
        "return location.pathname.startsWith('/contacts/');",
    )
    .await;
    let conversation = browser
        .client
        .find(Locator::Css(&format!("[data-conversation='{long}']")))
        .await
        .expect("the long conversation is on the profile");
    let text = conversation.text().await.unwrap();
    assert!(text.contains("Exporting everything"), "{text}");
    assert!(text.contains("500 of 1,204 messages"), "{text}");
    let reply = conversation.find(Locator::Css("a.reply")).await.unwrap();
    let label = reply.text().await.unwrap();
    assert!(label.starts_with("Reply on Intercom"), "{label}");
    assert_eq!(
        reply.attr("target").await.unwrap().as_deref(),
        Some("_blank")
    );
    let href = reply.attr("href").await.unwrap().unwrap();
    assert_eq!(
        href,
        format!(
            "https://app.intercom.com/a/inbox/{}/inbox/conversation/{long}",
            sim.config().workspace_id
        )
    );
    let messages = conversation
        .find_all(Locator::Css("li.message"))
        .await
        .unwrap();
    assert_eq!(
        messages.len(),
        501,
        "the opening message and the 500 stored"
    );
    assert!(
        text.contains(&format!("Message {}", LONG - 1)),
        "the newest message is shown"
    );
    browser.screenshot("profile").await;
    browser.scroll_to("#activity-heading").await;
    browser.screenshot("profile-activity").await;
    browser
        .scroll_to(&format!("[data-conversation='{long}']"))
        .await;
    browser.screenshot("profile-timeline").await;
    check_page(&browser, &secrets, "on the profile").await;

    // The same profile on a phone-sized screen.
    browser.client.set_window_size(390, 844).await.unwrap();
    browser
        .scroll_to(&format!("[data-conversation='{long}']"))
        .await;
    browser.screenshot("profile-narrow").await;
    check_page(&browser, &secrets, "on the profile, narrow").await;
    browser.client.set_window_size(WIDTH, 900).await.unwrap();

    // The user's account: its attributes, activity and contacts.
    let company = browser
        .client
        .find(Locator::Css("section.contact ul.results a"))
        .await
        .expect("a link to the user's company");
    company.click().await.unwrap();
    until(
        &browser,
        "the account",
        "return location.pathname.startsWith('/accounts/');",
    )
    .await;
    let account = text_of(&browser, "main").await;
    assert!(
        account.contains("Contacts (") && account.contains(&email),
        "{account}"
    );
    assert!(
        browser
            .client
            .find(Locator::Css("svg#activity-chart"))
            .await
            .is_ok()
    );
    browser.full_page_screenshot("account", WIDTH).await;
    check_page(&browser, &secrets, "on the account page").await;

    // The disconnect confirmation (cancelled).
    browser
        .client
        .goto(&format!("{base}/workspaces/acme/disconnect"))
        .await
        .unwrap();
    assert!(
        text_of(&browser, "main")
            .await
            .contains("the data imported so far stays")
            || text_of(&browser, "main")
                .await
                .contains("The data imported so far stays")
    );
    browser.screenshot("disconnect").await;
    check_page(&browser, &secrets, "on the disconnect page").await;
    browser
        .client
        .find(Locator::LinkText("Cancel"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        app.store
            .workspace_by_name("acme")
            .await
            .unwrap()
            .unwrap()
            .is_connected()
    );

    // Sign out: the session is over.
    browser
        .client
        .find(Locator::Css("form.sign-out button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &browser,
        "the signed-out page",
        "return location.search.includes('signed_out');",
    )
    .await;
    assert!(
        text_of(&browser, "main")
            .await
            .contains("You are signed out.")
    );
    browser.screenshot("signed-out").await;
    check_page(&browser, &secrets, "after signing out").await;
    browser
        .client
        .goto(&format!("{base}/workspaces/acme/status"))
        .await
        .unwrap();
    assert!(path_of(&browser).await.starts_with("/sign-in?next="));
    check_page(&browser, &secrets, "after signing out, at a page").await;

    browser.stop().await;
    app.stop().await.unwrap();
    sim.shutdown().await;
}
