//! Sessions: no page without one, the cookie's attributes, scopes, form tokens, other sites,
//! signing out, revoked keys.

use crate::support::*;
use axum::http::{Method, StatusCode};

const PAGES: &[&str] = &[
    "/",
    "/workspaces",
    "/connect",
    "/workspaces/acme",
    "/workspaces/acme/status",
    "/workspaces/acme/disconnect",
    "/search?q=ada",
    "/contacts/email:ada@example.com",
    "/accounts/company_id:acct-0",
];

#[tokio::test]
async fn every_page_sends_a_visitor_without_a_session_to_sign_in() {
    let console = console().await;
    console.seeded().await;
    for path in PAGES {
        let page = console.send(Method::GET, path, None, None, &[]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        let next = url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>();
        assert_eq!(page.location(), format!("/sign-in?next={next}"), "{path}");
    }
    // A garbage or unknown cookie is no session either.
    for cookie in ["icsync_session=zz", "icsync_session=6963737963"] {
        let page = console.get("/workspaces", cookie).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{cookie}");
    }
    // Parts fetched by the script and forms answer 401 instead of redirecting.
    let live = console
        .send(
            Method::GET,
            "/workspaces/acme/status/live",
            None,
            None,
            &[("x-console-fragment", "1")],
        )
        .await;
    assert_eq!(live.status, StatusCode::UNAUTHORIZED);
    for path in [
        "/connect",
        "/workspaces/acme",
        "/workspaces/acme/disconnect",
    ] {
        let page = console
            .send(Method::POST, path, None, Some(&[("csrf", "x")]), &[])
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{path}");
        assert!(page.contains("Sign in"), "{path}: {}", page.text);
    }
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_cookie_and_a_wrong_key_is_told_in_words() {
    let console = console().await;
    let form = console.send(Method::GET, "/sign-in", None, None, &[]).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.contains("API key"));

    let wrong = console
        .send(
            Method::POST,
            "/sign-in",
            None,
            Some(&[("key", "icsync_0000000000000000_nope")]),
            &[],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.contains("icsync does not know this key"),
        "{}",
        wrong.text
    );
    assert!(wrong.session_cookie().is_none());

    let signed = console
        .send(
            Method::POST,
            "/sign-in",
            None,
            Some(&[("key", &console.admin), ("next", "/workspaces/acme/status")]),
            &[],
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        signed.location(),
        "/workspaces/acme/status",
        "back where they were"
    );
    let cookie = signed.set_cookie();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    // An outside destination is never followed.
    let elsewhere = console
        .send(
            Method::POST,
            "/sign-in",
            None,
            Some(&[("key", &console.admin), ("next", "//evil.example/")]),
            &[],
        )
        .await;
    assert_eq!(elsewhere.location(), "/workspaces");
    let session = signed.session_cookie().unwrap();
    let home = console.get("/", &session).await;
    assert_eq!(home.location(), "/workspaces");
    let list = console.get("/workspaces", &session).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert!(list.contains("Signed in with ops (admin)"));
}

#[tokio::test]
async fn host_keys_open_profiles_and_search_only() {
    let console = console().await;
    console.seeded().await;
    let host = console.sign_in(&console.host.clone()).await;
    assert_eq!(console.get("/", &host).await.location(), "/search");
    for path in [
        "/search?q=ada",
        "/contacts/email:ada@example.com",
        "/accounts/company_id:acct-0",
    ] {
        let page = console.get(path, &host).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        assert!(
            !page.contains("href=\"/workspaces\""),
            "{path}: no admin link for a host key"
        );
    }
    for path in [
        "/workspaces",
        "/connect",
        "/workspaces/acme",
        "/workspaces/acme/status",
    ] {
        let page = console.get(path, &host).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.contains("needs an admin key"), "{path}: {}", page.text);
    }
    let token = console.get("/search", &host).await.csrf();
    let refused = console
        .post("/workspaces/acme/disconnect", &host, &[("csrf", &token)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let ws = console
        .store
        .workspace_by_name(WORKSPACE)
        .await
        .unwrap()
        .unwrap();
    assert!(ws.is_connected(), "a host key changed nothing");
}

#[tokio::test]
async fn forms_without_the_session_token_or_from_another_site_change_nothing() {
    let console = console().await;
    console.seeded().await;
    let admin = console.sign_in(&console.admin.clone()).await;
    let no_token = console
        .post("/workspaces/acme/disconnect", &admin, &[])
        .await;
    assert_eq!(no_token.status, StatusCode::FORBIDDEN);
    assert!(no_token.contains("The form is out of date"));
    let wrong = console
        .post(
            "/workspaces/acme/disconnect",
            &admin,
            &[("csrf", "0123456789abcdef0123456789abcdef")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let token = console
        .get("/workspaces/acme/disconnect", &admin)
        .await
        .csrf();
    let cross = console
        .send(
            Method::POST,
            "/workspaces/acme/disconnect",
            Some(&admin),
            Some(&[("csrf", &token)]),
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert!(cross.contains("sent from another site"));
    let ws = console
        .store
        .workspace_by_name(WORKSPACE)
        .await
        .unwrap()
        .unwrap();
    assert!(ws.is_connected());

    // With its token, from this site, it works.
    let done = console
        .post("/workspaces/acme/disconnect", &admin, &[("csrf", &token)])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let ws = console
        .store
        .workspace_by_name(WORKSPACE)
        .await
        .unwrap()
        .unwrap();
    assert!(!ws.is_connected());
    let status = console.get(done.location(), &admin).await;
    assert!(
        status.contains("Disconnected. Every job and push stopped"),
        "{}",
        status.text
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_and_a_revoked_key_ends_it_too() {
    let console = console().await;
    let admin = console.sign_in(&console.admin.clone()).await;
    let token = console.get("/workspaces", &admin).await.csrf();
    let out = console.post("/sign-out", &admin, &[("csrf", &token)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/sign-in?signed_out=1");
    assert!(out.set_cookie().contains("Max-Age=0"));
    let after = console
        .send(Method::GET, "/sign-in?signed_out=1", None, None, &[])
        .await;
    assert!(after.contains("You are signed out."));

    // Revoking the key ends every session that holds it.
    let host = console.sign_in(&console.host.clone()).await;
    assert_eq!(console.get("/search", &host).await.status, StatusCode::OK);
    let key_id = console.host.split('_').nth(1).unwrap().to_owned();
    let stored = console
        .store
        .api_key_by_key_id(&key_id)
        .await
        .unwrap()
        .unwrap();
    assert!(console.store.revoke_api_key(stored.id).await.unwrap());
    let page = console.get("/search", &host).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let sign_in = console.get(page.location(), &host).await;
    assert!(sign_in.contains("Your session ended"), "{}", sign_in.text);
    assert!(
        sign_in.set_cookie().contains("Max-Age=0"),
        "the dead cookie is cleared"
    );
}
