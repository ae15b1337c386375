//! The `icsync` binary: parse arguments, load configuration, run, map errors to exit codes
//! (2 for invalid configuration or usage, 1 for any other failure).

use clap::Parser as _;
use icsync_daemon::cli::{self, Cli};
use icsync_daemon::{Settings, telemetry};
use std::process::ExitCode;

// glibc's malloc took ~35% of the CPU of a sync; mimalloc is faster and returns memory as
// well (docs/BENCHMARKS.md, "Allocator").
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Has mimalloc hand freed memory back to the system after 10 ms instead of its default second:
/// the pipeline frees page-sized buffers all the time, and a 100k-contact backfill peaked at
/// 200 MiB with the default, 146-150 MiB without a delay, in the same time. No delay at all cost
/// CPU instead: a users pass spent a tenth more in the kernel unmapping and faulting the same
/// pages back (docs/BENCHMARKS.md). `MIMALLOC_PURGE_DELAY` in the environment still wins.
///
/// And keeps the process off transparent huge pages (Linux): mimalloc asks for them on its
/// arenas, so each purged and reused stretch came back as a zeroed 2 MiB page (a tenth of a
/// users pass's CPU in the kernel clearing pages), and RSS counted whole huge pages: without
/// them a 100k backfill peaked at 104-108 MiB instead of 127-131 in the same time.
/// `MIMALLOC_ALLOW_THP=1` in the environment keeps them.
#[cfg(feature = "mimalloc")]
#[allow(unsafe_code)]
fn tune_allocator() {
    // `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (the same in v2 and v3), which the
    // binding leaves out: the option just before `mi_option_use_numa_nodes` (16).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = libmimalloc_sys::mi_option_use_numa_nodes - 1;
    const PURGE_DELAY_MS: std::ffi::c_long = 10;
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` takes plain integers and only stores the option's value, which
        // mimalloc reads at each purge; setting options at any time is part of its API.
        unsafe {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
    // mimalloc reads `MIMALLOC_ALLOW_THP` before `main` and disables THP itself when it is 0.
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a flag of this process
        // (inherited by its children); it fails harmlessly on kernels without it.
        let _ = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

#[cfg(not(feature = "mimalloc"))]
fn tune_allocator() {}

fn main() -> ExitCode {
    tune_allocator();
    let args = Cli::parse();
    let settings = match Settings::load(args.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let mut log = settings.log.clone();
    if matches!(args.command, cli::Command::Demo(_))
        && args.config.is_none()
        && std::env::var_os("ICSYNC_LOG__LEVEL").is_none()
    {
        // The demo prints what to look at; the daemon's info lines would bury it.
        log.level = "warn".to_owned();
    }
    telemetry::init(&log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(args.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

/// Each cause after the previous one, skipping causes the message already quotes.
fn one_line(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}
