//! The loop `icsync serve` runs: drain every eligible workspace, then sleep until a host write
//! wakes it or `loop_interval_secs` pass; on shutdown, finish the batch in flight and stop.

use crate::push::DrainOptions;
use crate::service::Writeback;
use crate::status::blocked;
use crate::writer::WriterSource;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

impl Writeback {
    /// Runs the pusher until `shutdown` completes.
    pub async fn run(&self, writers: &dyn WriterSource, shutdown: impl Future<Output = ()>) {
        let stop = Arc::new(AtomicBool::new(false));
        let options = DrainOptions {
            stop: Some(stop.clone()),
            ..DrainOptions::default()
        };
        let mut shutdown = std::pin::pin!(shutdown);
        tracing::info!(
            interval_s = self.config().loop_interval_secs,
            "writeback loop started"
        );
        loop {
            let mut pass = std::pin::pin!(self.pass(writers, &options));
            tokio::select! {
                () = &mut pass => {}
                () = &mut shutdown => {
                    // Finish the batch in flight so its outcomes are recorded, then stop.
                    stop.store(true, Ordering::Relaxed);
                    pass.await;
                    break;
                }
            }
            tokio::select! {
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(self.config().loop_interval()) => {}
                () = &mut shutdown => break,
            }
        }
        tracing::info!("writeback loop stopped");
    }

    /// One pass over every workspace whose gates are open.
    async fn pass(&self, writers: &dyn WriterSource, options: &DrainOptions) {
        let workspaces = match self.store().workspaces().await {
            Ok(workspaces) => workspaces,
            Err(error) => {
                tracing::warn!(error = %error, "writeback cannot list workspaces; retrying later");
                return;
            }
        };
        for workspace in workspaces
            .iter()
            .filter(|w| blocked(w).is_none() && writers.owns(w))
        {
            let writer = match writers.writer(workspace) {
                Ok(writer) => writer,
                Err(error) => {
                    tracing::warn!(workspace = workspace.id.0, error = %error, "no intercom client for the workspace; its rows wait");
                    continue;
                }
            };
            match self.drain_once(workspace, writer.as_ref(), options).await {
                Ok(summary) if summary.pushed + summary.failures.len() as u64 > 0 => {
                    tracing::info!(
                        workspace = workspace.id.0,
                        pushed = summary.pushed,
                        unchanged = summary.unchanged,
                        failed = summary.failures.len(),
                        "writeback pass"
                    );
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(workspace = workspace.id.0, error = %error, "writeback pass failed; retrying later");
                }
            }
        }
    }
}
