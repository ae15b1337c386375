//! The page shell every page shares: the document head (embedded stylesheet, script and icon,
//! nothing from elsewhere), a skip link, the header with the navigation a scope may use and the
//! sign-out form, and `main`.

use crate::assets;
use crate::session::Session;
use maud::{DOCTYPE, Markup, html};

/// Which part of the console a page belongs to (marked in the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Workspaces,
    Search,
}

/// A page for a signed-in caller.
pub(crate) fn page(title: &str, session: &Session, section: Section, body: Markup) -> Markup {
    shell(title, None, Some((session, section)), body)
}

/// A page that reloads itself every `secs` seconds when scripts are off (with scripts on, the
/// console's script refreshes its live parts in place instead).
pub(crate) fn refreshing_page(
    title: &str,
    session: &Session,
    section: Section,
    secs: u64,
    body: Markup,
) -> Markup {
    shell(title, Some(secs), Some((session, section)), body)
}

/// A page without navigation (sign-in, errors).
pub(crate) fn bare_page(title: &str, body: Markup) -> Markup {
    shell(title, None, None, body)
}

fn shell(
    title: &str,
    refresh_secs: Option<u64>,
    nav: Option<(&Session, Section)>,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · icsync" }
                link rel="stylesheet" href=(assets::url("console.css"));
                link rel="icon" type="image/svg+xml" href=(assets::url("icon.svg"));
                script src=(assets::url("console.js")) defer {}
                @if let Some(secs) = refresh_secs {
                    noscript { meta http-equiv="refresh" content=(secs); }
                }
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "icsync" }
                    @if let Some((session, section)) = nav { (navigation(session, section)) }
                }
                main id="main" tabindex="-1" { (body) }
            }
        }
    }
}

fn navigation(session: &Session, section: Section) -> Markup {
    let current = |s: Section| (s == section).then_some("page");
    html! {
        nav aria-label="Main" {
            ul {
                @if session.is_admin() {
                    li { a href="/workspaces" aria-current=[current(Section::Workspaces)] { "Workspaces" } }
                }
                li { a href="/search" aria-current=[current(Section::Search)] { "Search profiles" } }
            }
        }
        form.sign-out method="post" action="/sign-out" {
            (session.form_field())
            span.who {
                "Signed in with " (session.caller.key_name) " (" (session.caller.scope.as_str()) ")"
            }
            button type="submit" { "Sign out" }
        }
    }
}
