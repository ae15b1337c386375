//! The services the API reaches through its traits, implemented over the daemon's parts: the
//! on-view fetch over inbound's [`OnViewFetcher`] (sharing the daemon's pacers), writeback's
//! status and validated setter over [`Writeback`], and daily rollups over the sessionizer.

use async_trait::async_trait;
use chrono::NaiveDate;
use icsync_api::{
    ApiServices, CsAttributesService, CsChange, CsState, DailyRollup, Freshness, OnViewFetch,
    Rollups, ServiceError, TimelineStatus, WritebackFailure, WritebackFigures, WritebackStatus,
};
use icsync_domain::{CompanyId, ContactId, CsPatch, CsSubject, Workspace};
use icsync_inbound::{FreshnessState, OnViewFetcher};
use icsync_store::Store;
use icsync_writeback::{InputError, Writeback, WritebackError};
use std::sync::Arc;

/// The API's services over the daemon's fetcher, writeback and store.
pub fn api_services(store: &Store, on_view: OnViewFetcher, writeback: Writeback) -> ApiServices {
    ApiServices {
        on_view: Arc::new(OnView(on_view)),
        writeback: Arc::new(FiguresOf(writeback.clone())),
        rollups: Arc::new(SessionizerRollups(store.clone())),
        cs_attributes: Arc::new(WritebackSetter(writeback)),
    }
}

struct OnView(OnViewFetcher);

#[async_trait]
impl OnViewFetch for OnView {
    async fn fetch(
        &self,
        workspace: &Workspace,
        contact: &ContactId,
    ) -> Result<Freshness, ServiceError> {
        // Never fails: Intercom slow, down or refusing serves the stored copy, marked stale.
        let freshness = self.0.fetch_on_view(workspace.id, contact).await;
        Ok(Freshness {
            status: match freshness.state {
                FreshnessState::Fresh => TimelineStatus::Fresh,
                FreshnessState::Stale => TimelineStatus::Stale,
            },
            fetched_at: freshness.fetched_at,
            error: freshness.reason,
        })
    }
}

struct FiguresOf(Writeback);

#[async_trait]
impl WritebackStatus for FiguresOf {
    async fn status(&self, workspace: &Workspace) -> Result<WritebackFigures, ServiceError> {
        let status = self.0.status(workspace).await.map_err(service_error)?;
        Ok(WritebackFigures {
            blocked: status.blocked.map(|b| b.to_string()),
            config_error: status.config_error,
            pending: status.pending,
            in_flight: status.in_flight,
            pushed: status.pushed,
            failed: status.failing,
            gone: status.gone,
            oldest_pending_since: status.oldest_pending_since,
            oldest_pending_age_secs: status.oldest_pending_age_secs,
            failures: status
                .failures
                .into_iter()
                .map(|f| WritebackFailure {
                    subject_kind: f.subject.kind().to_owned(),
                    subject_id: f.subject.id().to_owned(),
                    attempts: i64::from(f.attempts),
                    error: f.error,
                    next_attempt_at: f.next_attempt_at,
                    gone_at: f.gone_at,
                })
                .collect(),
        })
    }
}

struct SessionizerRollups(Store);

#[async_trait]
impl Rollups for SessionizerRollups {
    async fn daily(
        &self,
        workspace: &Workspace,
        account: &CompanyId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyRollup>, ServiceError> {
        let inputs = icsync_api::rollup_inputs(&self.0, workspace, account, from, to).await?;
        let rollups = icsync_sessionizer::daily_rollups(
            inputs.zone,
            &inputs.memberships,
            &inputs.sessions,
            &inputs.events,
        );
        Ok(rollups
            .into_iter()
            .filter(|r| r.day >= from && r.day <= to && &r.account == account)
            .map(|r| DailyRollup {
                account: r.account,
                day: r.day,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                active_users: r.active_users,
                sessions: r.sessions,
                events: r.events,
            })
            .collect())
    }
}

struct WritebackSetter(Writeback);

#[async_trait]
impl CsAttributesService for WritebackSetter {
    async fn set(
        &self,
        workspace: &Workspace,
        subject: &CsSubject,
        change: &CsChange,
    ) -> Result<CsState, ServiceError> {
        let patch = CsPatch {
            health: change.health,
            stage: change.stage.clone(),
            profile_url: change.profile_url.clone(),
            pulse: change.pulse.clone(),
            licence_utilization: change.licence_utilization,
            cs_owner: change.cs_owner.clone(),
            cs_owner_email: change.cs_owner_email.clone(),
        };
        let record = self
            .0
            .set(workspace.id, subject, &patch)
            .await
            .map_err(service_error)?;
        Ok(icsync_api::cs_state(record))
    }

    async fn get(
        &self,
        workspace: &Workspace,
        subject: &CsSubject,
    ) -> Result<Option<CsState>, ServiceError> {
        Ok(self
            .0
            .store()
            .cs_attributes(workspace.id, subject)
            .await?
            .map(icsync_api::cs_state))
    }
}

/// Writeback's refusals as the API's validation errors (naming the field), the rest internal.
fn service_error(error: WritebackError) -> ServiceError {
    match error {
        WritebackError::Input(InputError::Invalid { field, problem, .. }) => {
            ServiceError::Invalid {
                field: field.to_owned(),
                message: problem,
            }
        }
        WritebackError::Input(InputError::Empty) => ServiceError::Invalid {
            field: "attributes".to_owned(),
            message: "nothing to set: give at least one CS attribute".to_owned(),
        },
        other => ServiceError::Internal(Box::new(other)),
    }
}
