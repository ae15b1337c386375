//! The scheduled jobs of `icsync serve`: each workspace's sync pass (users, companies, events,
//! conversations) every `inbound.poll_interval_secs`, on the one instance holding the
//! workspace's lease.
//!
//! [`Jobs::tick`] is the step function (the supervisor calls it every `jobs.supervise_secs`;
//! tests call it directly): it heartbeats this instance, renews the leases it holds, stops the
//! passes of workspaces disconnected or lost, gives back idle workspaces beyond its fair share
//! when other instances are alive, and takes free or expired leases up to that share. A
//! workspace taken starts a pass at once and gets a repeated job in the cron scheduler.
//!
//! **Invariant**: a pass runs only while this instance holds the workspace's lease; a lease
//! not renewed for half its length cancels the pass (it stops at its next page boundary),
//! so by the time another instance may take the lease the old holder has stopped.
//! **Invariant**: on SQLite there is one instance; a second one refuses to start.

use crate::config::Settings;
use anyhow::Context as _;
use chrono::Utc;
use icsync_domain::{Workspace, WorkspaceId};
use icsync_inbound::{RunControl, SyncOptions};
use icsync_intercom::PacerRegistry;
use icsync_store::{Backend, NewInstance, Store};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_cron_scheduler::{Job, JobScheduler};
use uuid::Uuid;

/// What one [`Jobs::tick`] did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    /// Workspaces whose lease this instance took.
    pub acquired: Vec<WorkspaceId>,
    /// Workspaces given up: disconnected, stopped by a connection error, or beyond the share.
    pub released: Vec<WorkspaceId>,
    /// Workspaces whose lease another instance took (this one could not renew in time).
    pub lost: Vec<WorkspaceId>,
    /// Passes started.
    pub started: Vec<WorkspaceId>,
    /// Live instances seen, this one included.
    pub instances: usize,
}

/// The daemon's jobs; cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    settings: Settings,
    pacers: PacerRegistry,
    instance: String,
    owned: tokio::sync::Mutex<HashMap<WorkspaceId, Owned>>,
    /// The owned workspaces, readable without awaiting (writeback asks per pass).
    owned_ids: RwLock<BTreeSet<WorkspaceId>>,
    scheduler: tokio::sync::Mutex<Option<JobScheduler>>,
    stopping: tokio_util::sync::CancellationToken,
}

struct Owned {
    cron: Option<Uuid>,
    pass: Option<Pass>,
    renewed: Instant,
}

struct Pass {
    control: RunControl,
    handle: JoinHandle<()>,
}

impl Owned {
    fn running(&self) -> bool {
        self.pass.as_ref().is_some_and(|p| !p.handle.is_finished())
    }
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs")
            .field("instance", &self.inner.instance)
            .finish_non_exhaustive()
    }
}

impl Jobs {
    /// Registers this instance (refusing a second one on SQLite) and returns its jobs; nothing
    /// runs until [`Jobs::start`] or [`Jobs::tick`].
    pub async fn new(
        store: Store,
        settings: Settings,
        pacers: PacerRegistry,
    ) -> anyhow::Result<Self> {
        let instance = instance_id();
        let now = Utc::now();
        let lease = chrono::Duration::from_std(settings.jobs.lease())
            .context("jobs.lease_secs is too large")?;
        let host = hostname();
        for other in store.live_instances(now - lease).await? {
            let here = other.hostname == host;
            if here && !pid_alive(other.pid) {
                // A previous run on this machine that died without stopping: take its
                // workspaces now rather than after its leases expire.
                let released = store.stop_instance(&other.instance_id, now).await?;
                tracing::info!(instance = %other.instance_id, pid = other.pid, released, "a previous icsync serve on this machine died; took over its workspaces");
                continue;
            }
            if store.backend() == Backend::Sqlite {
                anyhow::bail!(
                    "another icsync serve (instance {}, pid {} on {}) is using this SQLite database; \
                     SQLite holds one instance: stop that one first, or use PostgreSQL (database_url = \"postgres://...\") to run several",
                    other.instance_id,
                    other.pid,
                    other.hostname
                );
            }
        }
        store
            .register_instance(
                &NewInstance {
                    instance_id: instance.clone(),
                    hostname: host,
                    pid: std::process::id(),
                    backend: store.backend().as_str().to_owned(),
                },
                now,
            )
            .await?;
        tracing::info!(instance = %instance, "instance registered");
        Ok(Jobs {
            inner: Arc::new(Inner {
                store,
                settings,
                pacers,
                instance,
                owned: tokio::sync::Mutex::default(),
                owned_ids: RwLock::default(),
                scheduler: tokio::sync::Mutex::default(),
                stopping: tokio_util::sync::CancellationToken::new(),
            }),
        })
    }

    /// This instance's id (`<host>-<pid>-<random>`), also sent to Intercom in the User-Agent.
    pub fn instance(&self) -> &str {
        &self.inner.instance
    }

    /// The pacers every job of this instance shares (one per Intercom workspace).
    pub fn pacers(&self) -> &PacerRegistry {
        &self.inner.pacers
    }

    /// Whether this instance holds the workspace's lease now.
    pub fn owns(&self, workspace: WorkspaceId) -> bool {
        self.inner
            .owned_ids
            .read()
            .map(|ids| ids.contains(&workspace))
            .unwrap_or(false)
    }

    /// The workspaces whose lease this instance holds.
    pub fn owned(&self) -> Vec<WorkspaceId> {
        self.inner
            .owned_ids
            .read()
            .map(|ids| ids.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Starts the cron scheduler and the supervisor (a tick every `jobs.supervise_secs`, the
    /// first now).
    pub async fn start(&self) -> anyhow::Result<()> {
        let scheduler = JobScheduler::new()
            .await
            .context("failed to start the job scheduler")?;
        let weak = Arc::downgrade(&self.inner);
        let supervise = Job::new_repeated_async(
            self.inner.settings.jobs.supervise_interval(),
            move |_, _| {
                let weak = weak.clone();
                Box::pin(async move {
                    if let Some(jobs) = upgrade(&weak) {
                        jobs.tick_logged().await;
                    }
                })
            },
        )
        .context("failed to schedule the supervisor")?;
        scheduler
            .add(supervise)
            .await
            .context("failed to schedule the supervisor")?;
        scheduler
            .start()
            .await
            .context("failed to start the job scheduler")?;
        *self.inner.scheduler.lock().await = Some(scheduler);
        self.tick_logged().await;
        Ok(())
    }

    async fn tick_logged(&self) {
        match self.tick().await {
            Ok(report) => {
                if !(report.acquired.is_empty()
                    && report.released.is_empty()
                    && report.lost.is_empty())
                {
                    tracing::info!(
                        instance = %self.inner.instance,
                        acquired = ?report.acquired,
                        released = ?report.released,
                        lost = ?report.lost,
                        instances = report.instances,
                        "workspaces moved"
                    );
                }
            }
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "supervisor tick failed; retrying at the next one")
            }
        }
    }

    /// One look at the workspaces (see the module's documentation).
    pub async fn tick(&self) -> anyhow::Result<TickReport> {
        let inner = &self.inner;
        let mut report = TickReport::default();
        if inner.stopping.is_cancelled() {
            return Ok(report);
        }
        let store = &inner.store;
        let lease = chrono::Duration::from_std(inner.settings.jobs.lease())?;
        let now = Utc::now();
        if !store.heartbeat_instance(&inner.instance, now).await? {
            anyhow::bail!(
                "this instance ({}) is marked stopped in the database; restart icsync serve",
                inner.instance
            );
        }
        let workspaces = store.workspaces().await?;
        let syncable: Vec<&Workspace> = workspaces.iter().filter(|w| w.can_sync()).collect();
        let live = store.live_instances(now - lease).await?.len().max(1);
        report.instances = live;
        let share = syncable.len().div_ceil(live);
        let mut owned = inner.owned.lock().await;

        // Renew what is held; give up what is no longer syncable; stop what was lost.
        let held: Vec<WorkspaceId> = owned.keys().copied().collect();
        for id in held {
            let keep = syncable.iter().any(|w| w.id == id);
            if !keep {
                self.give_up(&mut owned, id, true).await;
                report.released.push(id);
                continue;
            }
            match store.renew_lease(id, &inner.instance, now + lease).await {
                Ok(true) => {
                    if let Some(o) = owned.get_mut(&id) {
                        o.renewed = Instant::now();
                    }
                }
                Ok(false) => {
                    tracing::warn!(
                        workspace = id.0,
                        "lease lost to another instance; stopping its jobs here"
                    );
                    self.give_up(&mut owned, id, false).await;
                    report.lost.push(id);
                }
                Err(error) => {
                    tracing::warn!(workspace = id.0, error = %error, "lease renewal failed");
                    let stale = owned
                        .get(&id)
                        .is_some_and(|o| o.renewed.elapsed() > inner.settings.jobs.lease() / 2);
                    if stale {
                        // Another instance may take it soon: stop before it can.
                        self.give_up(&mut owned, id, false).await;
                        report.lost.push(id);
                    }
                }
            }
        }

        // Beyond the share with other instances alive: give back idle workspaces.
        if live > 1 && owned.len() > share {
            let idle: Vec<WorkspaceId> = owned
                .iter()
                .filter(|(_, o)| !o.running())
                .map(|(id, _)| *id)
                .collect();
            for id in idle.into_iter().take(owned.len() - share) {
                self.give_up(&mut owned, id, true).await;
                report.released.push(id);
            }
        }

        // Take free or expired leases up to the share, starting at a different workspace on
        // each instance so they do not all race for the same ones.
        if owned.len() < share {
            let offset = fastrand::usize(..syncable.len().max(1));
            let order = syncable.iter().cycle().skip(offset).take(syncable.len());
            for workspace in order {
                if owned.len() >= share {
                    break;
                }
                if owned.contains_key(&workspace.id) {
                    continue;
                }
                if store
                    .acquire_lease(workspace.id, &inner.instance, now, now + lease)
                    .await?
                {
                    let cron = self.schedule(workspace.id).await;
                    owned.insert(
                        workspace.id,
                        Owned {
                            cron,
                            pass: None,
                            renewed: Instant::now(),
                        },
                    );
                    report.acquired.push(workspace.id);
                }
            }
        }
        self.publish(&owned);

        // A pass now for every workspace just taken, and for any owned one never run here.
        for (id, o) in owned.iter_mut() {
            if o.pass.is_none() && self.start_pass_in(*id, o) {
                report.started.push(*id);
            }
        }
        Ok(report)
    }

    /// Starts a pass of the workspace unless one is running or it is not held here. True
    /// when one started.
    pub async fn start_pass(&self, workspace: WorkspaceId) -> bool {
        let mut owned = self.inner.owned.lock().await;
        match owned.get_mut(&workspace) {
            Some(o) => self.start_pass_in(workspace, o),
            None => false,
        }
    }

    fn start_pass_in(&self, workspace: WorkspaceId, owned: &mut Owned) -> bool {
        if owned.running() || self.inner.stopping.is_cancelled() {
            return false;
        }
        let control = RunControl::new(self.inner.stopping.child_token());
        let handle = tokio::spawn(run_pass(self.inner.clone(), workspace, control.clone()));
        owned.pass = Some(Pass { control, handle });
        true
    }

    /// Waits until no pass runs on this instance (tests: the end of a backfill).
    pub async fn idle(&self) {
        loop {
            let running = self.inner.owned.lock().await.values().any(Owned::running);
            if !running {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops every job: no new pass starts, running passes stop at their next page boundary
    /// (their page in flight commits), then this instance's leases are given back.
    pub async fn shutdown(&self) {
        self.inner.stopping.cancel();
        if let Some(mut scheduler) = self.inner.scheduler.lock().await.take()
            && let Err(error) = scheduler.shutdown().await
        {
            tracing::warn!(error = %error, "job scheduler did not stop cleanly");
        }
        let passes: Vec<Pass> = self
            .inner
            .owned
            .lock()
            .await
            .values_mut()
            .filter_map(|o| o.pass.take())
            .collect();
        for pass in passes {
            pass.control.cancel();
            if let Err(error) = pass.handle.await {
                tracing::warn!(error = %error, "a sync pass ended abnormally");
            }
        }
        match self
            .inner
            .store
            .stop_instance(&self.inner.instance, Utc::now())
            .await
        {
            Ok(released) => {
                tracing::info!(instance = %self.inner.instance, released, "jobs stopped; leases given back")
            }
            Err(error) => {
                tracing::warn!(error = %error, "could not give the leases back; they expire on their own")
            }
        }
        self.inner.owned.lock().await.clear();
        self.publish(&HashMap::new());
    }

    /// Stops the workspace's pass and job here; `release` gives the lease back.
    async fn give_up(
        &self,
        owned: &mut HashMap<WorkspaceId, Owned>,
        id: WorkspaceId,
        release: bool,
    ) {
        let Some(o) = owned.remove(&id) else { return };
        if let Some(pass) = &o.pass {
            pass.control.cancel();
        }
        if let Some(cron) = o.cron {
            self.unschedule(cron).await;
        }
        if release
            && let Err(error) = self
                .inner
                .store
                .release_lease(id, &self.inner.instance)
                .await
        {
            tracing::warn!(workspace = id.0, error = %error, "could not release the lease; it expires on its own");
        }
    }

    fn publish(&self, owned: &HashMap<WorkspaceId, Owned>) {
        if let Ok(mut ids) = self.inner.owned_ids.write() {
            *ids = owned.keys().copied().collect();
        }
    }

    /// A repeated job running the workspace's pass every poll interval.
    async fn schedule(&self, workspace: WorkspaceId) -> Option<Uuid> {
        let guard = self.inner.scheduler.lock().await;
        let scheduler = guard.as_ref()?;
        let weak = Arc::downgrade(&self.inner);
        let every = Duration::from_secs(self.inner.settings.inbound.poll_interval_secs.max(1));
        let job = Job::new_repeated_async(every, move |_, _| {
            let weak = weak.clone();
            Box::pin(async move {
                if let Some(jobs) = upgrade(&weak) {
                    jobs.start_pass(workspace).await;
                }
            })
        });
        match job {
            Ok(job) => match scheduler.add(job).await {
                Ok(id) => Some(id),
                Err(error) => {
                    tracing::warn!(workspace = workspace.0, error = %error, "could not schedule the workspace's passes");
                    None
                }
            },
            Err(error) => {
                tracing::warn!(workspace = workspace.0, error = %error, "could not schedule the workspace's passes");
                None
            }
        }
    }

    async fn unschedule(&self, job: Uuid) {
        if let Some(scheduler) = self.inner.scheduler.lock().await.as_ref()
            && let Err(error) = scheduler.remove(&job).await
        {
            tracing::warn!(error = %error, "could not unschedule a job");
        }
    }
}

fn upgrade(weak: &Weak<Inner>) -> Option<Jobs> {
    weak.upgrade().map(|inner| Jobs { inner })
}

/// One sync pass of a workspace, logged; errors are recorded in its runs by inbound.
async fn run_pass(inner: Arc<Inner>, id: WorkspaceId, control: RunControl) {
    let store = &inner.store;
    let workspace = match store.workspace(id).await {
        Ok(Some(workspace)) if workspace.can_sync() => workspace,
        Ok(_) => return,
        Err(error) => {
            tracing::warn!(workspace = id.0, error = %error, "cannot read the workspace; its pass waits for the next one");
            return;
        }
    };
    let settings = client_settings(&inner.settings, &inner.instance);
    let client = match icsync_inbound::client_for(&workspace, &inner.pacers, &settings) {
        Ok(client) => client,
        Err(error) => {
            tracing::warn!(workspace = id.0, error = %error, "cannot build the workspace's intercom client");
            return;
        }
    };
    let progress = icsync_api::StoreProgress::new(store.clone(), id);
    let span = tracing::info_span!("sync_pass", workspace = id.0, name = %workspace.name, instance = %inner.instance);
    let started = Instant::now();
    let result = tracing::Instrument::instrument(
        icsync_inbound::sync_workspace(
            store,
            id,
            &client,
            &inner.settings.inbound,
            &SyncOptions::default(),
            &control,
            &progress,
        ),
        span,
    )
    .await;
    match result {
        Ok(report) => {
            let records: i64 = report.streams.iter().map(|s| s.stats.records).sum();
            let requests: i64 = report.streams.iter().map(|s| s.stats.requests).sum();
            tracing::info!(
                workspace = id.0,
                records,
                requests,
                duration_ms = started.elapsed().as_millis() as u64,
                "sync pass finished"
            );
        }
        Err(error) => {
            tracing::warn!(workspace = id.0, error = %error, "sync pass failed; the next one retries")
        }
    }
}

/// The client settings of this instance: the configured ones, with the instance in the
/// User-Agent (so Intercom's logs, and the simulator's journal, tell instances apart).
pub fn client_settings(settings: &Settings, instance: &str) -> icsync_inbound::ClientSettings {
    let mut client = settings.client_settings();
    client.user_agent = Some(format!(
        "{} (instance {instance})",
        icsync_intercom::default_user_agent()
    ));
    client
}

/// `<host>-<pid>-<random>`.
fn instance_id() -> String {
    let mut host: String = hostname()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.')
        .take(40)
        .collect();
    if host.is_empty() {
        host = "host".to_owned();
    }
    format!(
        "{host}-{}-{:06x}",
        std::process::id(),
        fastrand::u32(..0xff_ffff)
    )
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Whether a process of this machine is alive (Linux: its `/proc` entry); elsewhere assumed.
fn pid_alive(pid: i64) -> bool {
    if pid == i64::from(std::process::id()) {
        // That pid is this process now: the instance that had it is gone.
        return false;
    }
    let proc_root = std::path::Path::new("/proc/self");
    if !proc_root.exists() {
        return true;
    }
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}
