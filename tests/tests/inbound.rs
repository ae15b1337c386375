//! End-to-end tests of the inbound users, companies and events streams against the simulator,
//! on SQLite and on PostgreSQL: backfill scope, incremental passes, kills, faults, User Tracking,
//! tags named.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod inbound_cases;

/// Runs a case, failing it (instead of the whole suite hanging until CI's limit) when it has
/// not finished in 15 minutes; each takes seconds to about a minute on a busy machine.
/// With `TEST_LOG` set, the case logs as the daemon does (`RUST_LOG` picks the levels).
async fn bounded(case: impl std::future::Future<Output = ()>) {
    if std::env::var_os("TEST_LOG").is_some() {
        let settings = icsync_daemon::Settings::load(None).unwrap();
        icsync_daemon::telemetry::init(&settings.log);
    }
    let limit = std::time::Duration::from_secs(15 * 60);
    if tokio::time::timeout(limit, case).await.is_err() {
        panic!("the case did not finish within {limit:?}: it hangs");
    }
}

macro_rules! suite {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::bounded(crate::inbound_cases::$case(icsync_tests::TestDatabase::Sqlite)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::bounded(crate::inbound_cases::$case(icsync_tests::TestDatabase::Postgres)).await;
                }
            )*
        }
    };
}

suite!(
    a_backfill_imports_exactly_the_users_created_in_the_window,
    an_incremental_pass_brings_the_store_to_the_simulators_state,
    a_backfill_killed_anywhere_resumes_to_the_same_store,
    faults_and_a_429_storm_change_nothing_but_the_time,
    user_tracking_off_costs_no_request_and_stops_a_run,
    a_revoked_token_stops_the_workspace_until_it_is_reconnected,
    a_page_that_keeps_failing_ends_the_run_at_the_last_good_page,
    stored_sessions_equal_the_rule_applied_to_the_stored_signals,
    the_event_feed_delivers_every_event_once_while_a_sync_writes,
    contact_tags_arrive_named_for_one_tag_list_a_run,
    events_listed_one_at_a_time_are_written_in_few_transactions,
);

// The two-connection pool case (its own database, so not in `suite!`).
mod small_pool {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        crate::bounded(
            crate::inbound_cases::a_two_connection_pool_does_not_starve_the_writer(
                icsync_tests::TestDatabase::Sqlite,
            ),
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        crate::bounded(
            crate::inbound_cases::a_two_connection_pool_does_not_starve_the_writer(
                icsync_tests::TestDatabase::Postgres,
            ),
        )
        .await;
    }
}
