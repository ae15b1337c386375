//! The behavioural storage suite: every case runs on SQLite and on PostgreSQL.
//!
//! PostgreSQL cases start one throwaway cluster per test process (see `icsync-pgtemp`) and give
//! each case its own database; if the server binaries are missing they fail, never skip.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

mod api_cases;
mod cases;
mod conversation_cases;
mod export_cases;
mod fixtures;
mod support;
mod writeback_cases;

macro_rules! storage_suite {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::support::sqlite().await;
                    crate::cases::$case(&db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::support::postgres(stringify!($case)).await;
                    crate::cases::$case(&db).await;
                }
            )*
        }
    };
}

storage_suite!(
    migrations_create_every_table_and_a_second_run_is_a_no_op,
    down_migrations_remove_every_table_and_up_restores_them,
    a_migration_failing_midway_leaves_no_partial_schema,
    rewriting_the_same_batch_changes_nothing,
    a_batch_is_written_with_a_few_multi_row_statements,
    only_changed_records_are_rewritten,
    a_failure_mid_batch_leaves_neither_rows_nor_checkpoint,
    the_checkpoint_counts_written_records_and_resumes_with_its_cursor,
    the_event_feed_pages_in_import_order_and_keeps_sequence_numbers,
    a_profile_holds_the_contact_its_companies_and_cs_attributes,
    emails_match_trimmed_and_case_insensitively,
    conversations_are_found_by_any_participant_with_their_parts,
    sessions_are_replaced_from_a_point_in_time,
    session_rebuilds_in_a_batch_replace_each_contact_from_its_own_point,
    cs_attributes_queue_a_push_only_when_trigger_fields_change,
    a_push_outcome_moves_the_baseline_only_on_success,
    claims_are_exclusive_and_expire,
    a_claim_that_expired_without_an_outcome_erases_the_baseline,
    mapping_changes_requeue_pushed_rows_and_status_counts_them,
    workspace_secrets_are_encrypted_at_rest,
    sync_runs_record_their_figures,
    values_of_every_type_round_trip,
    readers_keep_reading_during_a_large_ingest,
    a_queue_commits_every_page_with_the_newest_checkpoint,
    a_queue_holds_no_more_rows_than_its_bound_until_they_commit,
    a_queue_stops_at_a_failed_group_and_keeps_the_last_good_checkpoint,
    a_complete_company_list_detaches_the_companies_a_contact_left,
    markers_say_which_contacts_need_companies_and_events,
    deleted_contacts_leave_the_feed_and_come_back_when_seen_again,
    huge_numbers_and_control_characters_are_kept,
    newer_only_writes_never_take_a_record_back_in_time,
    conversations_never_go_back_and_404s_are_marked_deleted,
    host_contacts_find_their_conversations_by_email,
    export_records_wait_only_while_they_differ_from_the_last_successful_export,
    export_outcomes_move_the_baseline_only_on_success_and_keep_what_was_learnt,
    an_expired_export_claim_erases_the_baseline_and_settings_changes_requeue,
    export_status_counts_and_versions,
);

/// The cases of what the HTTP API reads and writes, on both backends.
macro_rules! api_suite {
    ($($case:ident),* $(,)?) => {
        mod api_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::support::sqlite().await;
                    crate::api_cases::$case(&db).await;
                }
            )*
        }
        mod api_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::support::postgres(concat!("api_", stringify!($case))).await;
                    crate::api_cases::$case(&db).await;
                }
            )*
        }
    };
}

api_suite!(
    api_keys_are_found_by_their_id_and_revoked_once,
    contacts_and_companies_are_found_by_every_key,
    the_session_feed_follows_rebuilds_and_leaves_out_deleted_contacts,
    activity_windows_hold_what_touches_them,
    run_progress_latest_runs_and_totals,
    deleting_a_workspace_removes_its_rows_in_every_table_and_nothing_else,
    search_matches_part_of_an_email_or_name_case_insensitively,
    leases_go_to_one_instance_at_a_time_and_move_when_they_expire,
);
