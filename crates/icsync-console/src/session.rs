//! Sessions: signing in with an API key (checked by the API's own [`identify_key`]), the
//! session cookie that keeps it (`HttpOnly`, `SameSite=Strict`, hex so any configured key
//! fits), the extractors pages take ([`Signed`] for any scope, [`Admin`]), the forms' CSRF
//! token, and signing out.
//!
//! The cookie holds the key itself, so every request checks it as the API does: revoking a key
//! ends its sessions at once, and sessions survive restarts and work on every instance.
//! **Invariant**: the key never appears in a page, a log line or an error.

use crate::ConsoleState;
use crate::error::{ConsoleError, ConsoleResult};
use crate::layout;
use crate::pages::FormData;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use icsync_api::{Caller, Scope, identify_key};
use maud::{Markup, html};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "icsync_session";
/// Requests made by the console's script for a part of a page (answered 401, not redirected).
pub(crate) const FRAGMENT_HEADER: &str = "x-console-fragment";

/// A signed-in caller, with the token its forms carry.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub caller: Caller,
    form_token: String,
}

impl Session {
    pub fn is_admin(&self) -> bool {
        self.caller.scope == Scope::Admin
    }

    /// Checks a form's `csrf` field against this session's, in constant time.
    pub fn check_form(&self, presented: Option<&str>) -> ConsoleResult<()> {
        let presented = presented.unwrap_or("");
        let same: bool = presented
            .as_bytes()
            .ct_eq(self.form_token.as_bytes())
            .into();
        if same {
            Ok(())
        } else {
            tracing::warn!(key = %self.caller.key_name, "form refused: wrong or missing csrf token");
            Err(ConsoleError::BadFormToken)
        }
    }

    /// The hidden field every form of this session carries.
    pub fn form_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.form_token); }
    }
}

/// The CSRF token of a key's session: a one-way digest, so a page holding it reveals nothing of
/// the key, and a site without the key cannot make it.
fn form_token_of(key: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(b"icsync console form token\n");
    digest.update(key.as_bytes());
    hex::encode(&digest.finalize()[..16])
}

/// Any signed-in caller.
#[derive(Debug, Clone)]
pub(crate) struct Signed(pub Session);

/// A caller signed in with an admin key.
#[derive(Debug, Clone)]
pub(crate) struct Admin(pub Session);

impl FromRequestParts<ConsoleState> for Signed {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, ConsoleError> {
        session_of(parts, state).await.map(Signed)
    }
}

impl FromRequestParts<ConsoleState> for Admin {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, ConsoleError> {
        let session = session_of(parts, state).await?;
        if !session.is_admin() {
            return Err(ConsoleError::AdminOnly {
                key_name: session.caller.key_name,
            });
        }
        Ok(Admin(session))
    }
}

async fn session_of(parts: &Parts, state: &ConsoleState) -> ConsoleResult<Session> {
    let navigated = matches!(parts.method, Method::GET | Method::HEAD)
        && !parts.headers.contains_key(FRAGMENT_HEADER);
    let back_to = navigated.then(|| {
        parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned()
    });
    let Some(key) = session_key(&parts.headers) else {
        return Err(ConsoleError::NotSignedIn { back_to });
    };
    let Some(caller) = identify_key(state.api(), &key).await? else {
        return Err(ConsoleError::NotSignedIn { back_to });
    };
    Ok(Session {
        caller,
        form_token: form_token_of(&key),
    })
}

/// The key a request's session cookie holds, if it holds one.
fn session_key(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| hex::decode(value.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|key| !key.is_empty())
}

fn cookie(state: &ConsoleState, value: &str, max_age_secs: u64) -> HeaderValue {
    let secure = if state.settings().secure_cookie {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    );
    // Hex digits, digits and fixed ASCII only: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("icsync_session="))
}

/// Where to go after signing in: `next` when it is a page of this console, else the caller's
/// home.
fn destination(next: Option<&str>, scope: Scope) -> String {
    let safe = next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.starts_with("/\\")
            && !n.starts_with("/sign-")
            && !n.chars().any(char::is_control)
    });
    match (safe, scope) {
        (Some(next), _) => next.to_owned(),
        (None, Scope::Admin) => "/workspaces".to_owned(),
        (None, Scope::Host) => "/search".to_owned(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SignInQuery {
    next: Option<String>,
    signed_out: Option<String>,
}

/// `GET /sign-in`: the form (or, with a valid session, straight on).
pub(crate) async fn sign_in_page(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Query(query): Query<SignInQuery>,
) -> ConsoleResult<Response> {
    let key = session_key(&headers);
    if let Some(key) = &key
        && let Some(caller) = identify_key(state.api(), key).await?
    {
        return Ok(Redirect::to(&destination(query.next.as_deref(), caller.scope)).into_response());
    }
    let notice = if query.signed_out.is_some() {
        Some("You are signed out.")
    } else if key.is_some() {
        Some("Your session ended (the key is no longer valid): sign in again.")
    } else {
        None
    };
    let mut response = sign_in_form(query.next.as_deref(), notice, None).into_response();
    if key.is_some() {
        response
            .headers_mut()
            .insert(header::SET_COOKIE, cookie(&state, "", 0));
    }
    Ok(response)
}

fn sign_in_form(next: Option<&str>, notice: Option<&str>, error: Option<&str>) -> Markup {
    let body = html! {
        h1 { "Sign in to icsync" }
        @if let Some(notice) = notice { p.notice role="status" { (notice) } }
        form.stack method="post" action="/sign-in" {
            @if let Some(next) = next { input type="hidden" name="next" value=(next); }
            label for="key" { "API key" }
            p.help id="key-help" {
                "An admin key opens everything; a host key opens profiles only. Create one with "
                code { "icsync apikey create --scope admin" } " (or " code { "--scope host" } ")."
            }
            input id="key" name="key" type="password" required autocomplete="off"
                spellcheck="false" aria-describedby="key-help"
                aria-invalid=[error.map(|_| "true")];
            @if let Some(error) = error { p.error role="alert" id="key-error" { (error) } }
            button type="submit" { "Sign in" }
        }
    };
    layout::bare_page("Sign in", body)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    key: String,
    next: Option<String>,
}

/// `POST /sign-in`: checks the key, sets the cookie, goes on.
pub(crate) async fn sign_in(
    State(state): State<ConsoleState>,
    FormData(form): FormData<SignInForm>,
) -> ConsoleResult<Response> {
    let key = form.key.trim();
    let next = form.next.as_deref();
    if key.is_empty() {
        let page = sign_in_form(next, None, Some("Paste an API key to sign in."));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let Some(caller) = identify_key(state.api(), key).await? else {
        tracing::info!("console sign-in refused: unknown key");
        let page = sign_in_form(
            next,
            None,
            Some(
                "icsync does not know this key, or it was revoked. Check that it was copied \
                 whole (it starts with icsync_), or create another with icsync apikey create.",
            ),
        );
        return Ok((StatusCode::UNAUTHORIZED, page).into_response());
    };
    tracing::info!(key = %caller.key_name, scope = caller.scope.as_str(), "console sign-in");
    let max_age = state.settings().session_ttl.as_secs().max(60);
    let mut response = Redirect::to(&destination(next, caller.scope)).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cookie(&state, &hex::encode(key.as_bytes()), max_age),
    );
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct SignOutForm {
    csrf: Option<String>,
}

/// `POST /sign-out`: clears the cookie. A valid session must send its form token (so another
/// site cannot sign anyone out); an ended one is simply cleared.
pub(crate) async fn sign_out(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    FormData(form): FormData<SignOutForm>,
) -> ConsoleResult<Response> {
    if let Some(key) = session_key(&headers)
        && identify_key(state.api(), &key).await?.is_some()
        && !bool::from(
            form.csrf
                .unwrap_or_default()
                .as_bytes()
                .ct_eq(form_token_of(&key).as_bytes()),
        )
    {
        return Err(ConsoleError::BadFormToken);
    }
    let mut response = Redirect::to("/sign-in?signed_out=1").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, cookie(&state, "", 0));
    Ok(response)
}

/// The page to go to from `/`.
pub(crate) fn home_of(session: &Session) -> String {
    destination(None, session.caller.scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_read_among_others_and_garbage_is_no_session() {
        let mut headers = HeaderMap::new();
        let value = format!("a=b; {COOKIE}={}; c=d", hex::encode("icsync_k"));
        headers.insert(header::COOKIE, HeaderValue::from_str(&value).unwrap());
        assert_eq!(session_key(&headers).as_deref(), Some("icsync_k"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("icsync_session=not-hex"),
        );
        assert_eq!(session_key(&headers), None);
        assert_eq!(session_key(&HeaderMap::new()), None);
    }

    #[test]
    fn only_pages_of_this_console_are_destinations() {
        assert_eq!(destination(Some("/search?q=a"), Scope::Host), "/search?q=a");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/sign-out",
        ] {
            assert_eq!(destination(Some(bad), Scope::Admin), "/workspaces", "{bad}");
        }
        assert_eq!(destination(None, Scope::Host), "/search");
    }

    #[test]
    fn the_form_token_reveals_nothing_of_the_key_and_differs_per_key() {
        let key = "icsync_0123456789abcdef_".to_owned() + &"ab".repeat(32);
        let token = form_token_of(&key);
        assert_eq!(token.len(), 32);
        assert!(!key.contains(&token) && !token.contains("icsync"));
        assert_ne!(token, form_token_of("another key of thirty-two chars!!"));
    }
}
