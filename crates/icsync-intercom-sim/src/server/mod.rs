//! The HTTP server: the Intercom routes behind the auth/rate-limit/fault layer, the `/_sim/`
//! control routes, and the 404 fallback.

pub(crate) mod control_http;
pub(crate) mod control_read;
pub(crate) mod control_webhooks;
pub mod journal;
pub(crate) mod middleware;
pub(crate) mod search_cache;
pub(crate) mod state;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post, put};

use crate::api::{
    admin, attributes, companies, company_write, contact_companies, contacts, conversation_search,
    conversations, events, oauth, search,
};
use crate::error::ApiError;
use state::AppState;

/// Collapses repeated slashes in the path before routing: clients that join a base URL and a
/// leading-slash path (tap-intercom follows `companies.url` as `base + "/" + "/contacts/…"`)
/// reach the same route, as they do on Intercom.
pub(crate) fn collapse_slashes(mut req: axum::extract::Request) -> axum::extract::Request {
    let uri = req.uri();
    if !uri.path().contains("//") {
        return req;
    }
    let mut path = String::with_capacity(uri.path().len());
    for ch in uri.path().chars() {
        if !(ch == '/' && path.ends_with('/')) {
            path.push(ch);
        }
    }
    let path_and_query = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let mut parts = uri.clone().into_parts();
    if let Ok(pq) = path_and_query.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(new) = axum::http::Uri::from_parts(parts) {
            *req.uri_mut() = new;
        }
    }
    req
}

async fn not_found() -> ApiError {
    ApiError::resource_not_found()
}

pub(crate) fn router(state: Arc<AppState>) -> Router {
    let intercom = Router::new()
        .route("/me", get(admin::me))
        .route(oauth::TOKEN_PATH, post(oauth::token))
        .route("/admins", get(admin::admins))
        .route("/tags", get(admin::list_tags).post(admin::create_tag))
        .route("/contacts", get(contacts::list).post(contacts::create))
        .route("/contacts/search", post(search::contacts))
        .route(
            "/contacts/{id}",
            get(contacts::show)
                .put(contacts::update)
                .delete(contacts::delete),
        )
        .route("/contacts/{id}/archive", post(contacts::archive))
        .route("/contacts/{id}/unarchive", post(contacts::unarchive))
        .route(
            "/contacts/{id}/companies",
            get(contact_companies::list).post(contact_companies::attach_route),
        )
        .route(
            "/contacts/{id}/companies/{company_id}",
            axum::routing::delete(contact_companies::detach_route),
        )
        .route(
            "/contacts/{id}/tags",
            get(admin::contact_tags).post(admin::attach_contact_tag),
        )
        .route(
            "/contacts/{id}/tags/{tag_id}",
            axum::routing::delete(admin::detach_contact_tag),
        )
        .route(
            "/companies",
            get(companies::list).post(company_write::create_or_update),
        )
        .route("/companies/list", post(companies::list_all))
        .route("/companies/scroll", get(companies::scroll))
        .route(
            "/companies/{id}",
            get(companies::show).put(company_write::update),
        )
        .route("/companies/{id}/contacts", get(companies::contacts))
        .route("/events", get(events::list).post(events::create))
        .route("/conversations", get(conversations::list))
        .route(
            "/conversations/search",
            post(conversation_search::conversations),
        )
        .route("/conversations/{id}", get(conversations::show))
        .route(
            "/data_attributes",
            get(attributes::list).post(attributes::create),
        )
        .route("/data_attributes/{id}", put(attributes::update))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            middleware::intercom_layer,
        ));
    let control = Router::new()
        .route("/_sim/summary", get(control_http::summary))
        .route(
            "/_sim/journal",
            get(control_http::journal).delete(control_http::clear_journal),
        )
        .route("/_sim/reset", post(control_http::reset))
        .route(
            "/_sim/faults",
            get(control_http::get_faults).put(control_http::put_faults),
        )
        .route(
            "/_sim/settings",
            get(control_http::get_knobs).put(control_http::put_knobs),
        )
        .route(
            "/_sim/contacts",
            get(control_read::contacts).post(control_http::create_contact),
        )
        .route("/_sim/contacts/refs", get(control_read::contact_refs))
        .route(
            "/_sim/contacts/{id}",
            get(control_read::contact)
                .patch(control_http::update_contact)
                .delete(control_http::delete_contact),
        )
        .route(
            "/_sim/contacts/{id}/companies",
            get(control_read::contact_companies),
        )
        .route(
            "/_sim/contacts/{id}/companies/{company_id}",
            post(control_http::attach_company).delete(control_http::detach_company),
        )
        .route(
            "/_sim/contacts/{id}/events",
            get(control_read::contact_events).post(control_http::add_event),
        )
        .route("/_sim/companies", get(control_read::companies))
        .route(
            "/_sim/conversations",
            post(control_http::start_conversation),
        )
        .route("/_sim/conversations/{id}/reply", post(control_http::reply))
        .route("/_sim/conversations/{id}/close", post(control_http::close))
        .route(
            "/_sim/webhooks",
            get(control_webhooks::get).put(control_webhooks::put),
        )
        .route(
            "/_sim/webhooks/journal",
            get(control_webhooks::journal).delete(control_webhooks::clear_journal),
        )
        .route("/_sim/webhooks/ping", post(control_webhooks::ping))
        .route("/_sim/webhooks/forge", post(control_webhooks::forge))
        .route("/_sim/webhooks/replay", post(control_webhooks::replay))
        .route("/_sim/oauth/codes", post(control_http::mint_oauth_code));
    control.merge(intercom).with_state(state)
}
