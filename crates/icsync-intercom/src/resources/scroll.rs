//! The company scroll: one open scroll per workspace (enforced here through the pacer's scroll gate), a
//! one-minute idle expiry, and clean restarts when the scroll expires (404), breaks (500, timeout, dropped
//! connection) or another scroll is still open (400 `scroll_exists`, waited out).
//!
//! A restart starts from the first company again, so companies yielded before it come again: consumers
//! upsert, and [`ScrollOptions::dedupe`] (on by default) drops companies already yielded by this stream.
//! Restarts are costly (the broken scroll may hold the workspace's one slot until it expires), so a
//! gateway answer that cannot have moved the scroll (502, 503, 504) is retried with the same param, and
//! the restart budget counts only restarts in a row without a new company in between.

use std::collections::HashSet;
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde::Deserialize;
use tokio::sync::OwnedMutexGuard;

use crate::client::IntercomClient;
use crate::error::Error;
use crate::models::Company;
use crate::page::{Cursor, Page, PageStream};
use crate::transport::{Call, Kind, Repeat};

/// How a company scroll behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrollOptions {
    /// Drop companies this stream already yielded (after a restart). Costs one id per company in memory.
    pub dedupe: bool,
    /// Restarts in a row (without a new company in between) allowed before the stream gives up.
    pub max_restarts: u32,
    /// Retries of one page with the same param after a 502/503/504, before restarting instead.
    pub max_page_retries: u32,
    /// How long to wait in total for another open scroll to expire (Intercom: one minute idle).
    pub scroll_exists_wait: Duration,
    /// Pause between two tries while another scroll is open.
    pub scroll_exists_poll: Duration,
}

impl Default for ScrollOptions {
    fn default() -> Self {
        ScrollOptions {
            dedupe: true,
            max_restarts: 5,
            max_page_retries: 6,
            scroll_exists_wait: Duration::from_secs(90),
            scroll_exists_poll: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Deserialize)]
struct ScrollWire {
    #[serde(default)]
    data: crate::models::Items<Company>,
    #[serde(default)]
    scroll_param: Option<String>,
}

struct ScrollState {
    client: IntercomClient,
    options: ScrollOptions,
    gate: Option<OwnedMutexGuard<()>>,
    param: Option<String>,
    restarts: u32,
    page_retries: u32,
    restarted: bool,
    seen: HashSet<String>,
    finished: bool,
}

/// What to do after a failed scroll request.
enum Recovery {
    /// The answer cannot have moved the scroll: ask again with the same param.
    RetrySamePage,
    Restart,
    WaitForOtherScroll,
    GiveUp,
}

fn recovery(err: &Error, mid_scroll: bool) -> Recovery {
    let scroll_exists = matches!(err, Error::Api { status: 400, code, message, .. }
        if code == "scroll_exists" || message.to_ascii_lowercase().contains("scroll already exists"));
    if scroll_exists {
        return Recovery::WaitForOtherScroll;
    }
    match err {
        // A gateway or overload answer never reached the scroll (Intercom's own scroll failure is
        // a 500 that says to restart).
        Error::Api { status, .. } if mid_scroll && matches!(status, 502..=504) => {
            Recovery::RetrySamePage
        }
        Error::NotFound { .. } if mid_scroll => Recovery::Restart,
        Error::Api { status, .. } if *status >= 500 && mid_scroll => Recovery::Restart,
        Error::Timeout { .. }
        | Error::Transport { .. }
        | Error::Decode {
            malformed: true, ..
        } if mid_scroll => Recovery::Restart,
        _ => Recovery::GiveUp,
    }
}

pub(crate) fn scroll(client: IntercomClient, options: ScrollOptions) -> PageStream<Company> {
    let state = ScrollState {
        client,
        options,
        gate: None,
        param: None,
        restarts: 0,
        page_retries: 0,
        restarted: false,
        seen: HashSet::new(),
        finished: false,
    };
    stream::unfold(state, |mut state| async move {
        if state.finished {
            return None;
        }
        let result = next_page(&mut state).await;
        if result.is_err() || state.finished {
            state.finished = true;
            state.gate = None;
        }
        Some((result, state))
    })
    .boxed()
}

async fn next_page(state: &mut ScrollState) -> Result<Page<Company>, Error> {
    if state.gate.is_none() {
        state.gate = Some(state.client.pacer().scroll_gate().lock_owned().await);
    }
    let mut waited = Duration::ZERO;
    loop {
        let mid_scroll = state.param.is_some();
        let mut call = Call::get("/companies/scroll", Kind::List, "company scroll page");
        if let Some(param) = &state.param {
            // Mid-scroll, only failures Intercom cannot have acted on are repeated with the same param.
            call = call
                .query("scroll_param", param)
                .repeat(Repeat::OnlyIfNotProcessed);
        }
        let err = match state
            .client
            .transport
            .json::<ScrollWire>(&call, state.client.priority)
            .await
        {
            Ok(wire) => return Ok(into_page(state, wire)),
            Err(err) => err,
        };
        let label = &state.client.transport.label;
        match recovery(&err, mid_scroll) {
            Recovery::RetrySamePage if state.page_retries < state.options.max_page_retries => {
                state.page_retries += 1;
                let pause = state.client.transport.retry.backoff(state.page_retries);
                tracing::debug!(workspace = %label, attempt = state.page_retries, error = %err, "company scroll page failed before reaching the scroll, asking again");
                tokio::time::sleep(pause).await;
            }
            Recovery::Restart | Recovery::RetrySamePage
                if state.restarts < state.options.max_restarts =>
            {
                state.page_retries = 0;
                state.restarts += 1;
                state.restarted = true;
                state.param = None;
                state.client.pacer().counters().scroll_restart();
                tracing::warn!(workspace = %label, restarts = state.restarts, error = %err, "company scroll broke, restarting from the beginning");
            }
            Recovery::WaitForOtherScroll if waited < state.options.scroll_exists_wait => {
                let pause = state
                    .options
                    .scroll_exists_poll
                    .mul_f64(0.8 + fastrand::f64() * 0.4);
                tracing::info!(workspace = %label, wait_ms = pause.as_millis() as u64, "another company scroll is open, waiting for it to expire");
                tokio::time::sleep(pause).await;
                waited += pause;
                state.param = None;
            }
            _ => return Err(err),
        }
    }
}

fn into_page(state: &mut ScrollState, wire: ScrollWire) -> Page<Company> {
    let cursor = if state.param.is_none() && !state.restarted {
        Cursor::Start
    } else {
        Cursor::ScrollRestart
    };
    let restarted = std::mem::take(&mut state.restarted);
    state.page_retries = 0;
    if wire.data.sent() == 0 {
        state.finished = true;
        state.param = None;
        let mut page = Page::new(Vec::new(), cursor, Cursor::Done, None);
        page.restarted = restarted;
        return page;
    }
    state.param = wire.scroll_param.filter(|p| !p.is_empty());
    if state.param.is_none() {
        // No param to continue with: Intercom ended the scroll with this page.
        state.finished = true;
    }
    let rejected = wire.data.rejected;
    let items = if state.options.dedupe {
        wire.data
            .ok
            .into_iter()
            .filter(|c| state.seen.insert(c.id.clone()))
            .collect()
    } else {
        wire.data.ok
    };
    if !items.is_empty() {
        // Progress since the last restart: the budget is for restarts that get nowhere.
        state.restarts = 0;
    }
    let next = if state.finished {
        Cursor::Done
    } else {
        Cursor::ScrollRestart
    };
    let mut page = Page::new(items, cursor, next, None);
    page.restarted = restarted;
    page.rejected = rejected;
    page
}
