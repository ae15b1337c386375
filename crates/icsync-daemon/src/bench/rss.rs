//! Peak resident memory and CPU time of processes, per phase (Linux: `/proc`).

/// Resets the peak-RSS high-water mark, so the next reading covers only what follows.
pub fn reset_peak() {
    // Writing 5 to clear_refs resets VmHWM (Linux >= 4.0); elsewhere the peak spans the run.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident set size since the last reset, in MiB (0 where unknown).
pub fn peak_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|line| {
                    line.split_whitespace()
                        .nth(1)
                        .and_then(|kib| kib.parse::<u64>().ok())
                })
        })
        .map(|kib| kib / 1024)
        .unwrap_or(0)
}

/// CPU time (user and system) process `pid` has used so far, in seconds; this process when
/// `pid` is `None` (Linux: `/proc/<pid>/stat`; `None` where unknown).
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    Some(parse_cpu_ticks(&stat)? as f64 / USER_HZ)
}

/// `utime + stime` from a `/proc/<pid>/stat` line: fields 14 and 15, counted after the command
/// name (in parentheses, and free to hold spaces or parentheses itself).
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// `/proc` counts CPU time in USER_HZ ticks, part of Linux's user-space ABI: 100 per second on
/// every architecture icsync builds for (only alpha and ia64 differed).
const USER_HZ: f64 = 100.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_read_after_the_command_name() {
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
        // utime stime ...
        let stat = "4242 (tokio (rt) 1) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0";
        assert_eq!(parse_cpu_ticks(stat), Some(325));
        assert_eq!(parse_cpu_ticks("4242 (truncated) S 1 2"), None);
    }

    #[test]
    fn cpu_time_is_known_for_live_processes_only() {
        assert!(cpu_seconds(None).is_some_and(|s| s >= 0.0));
        assert!(cpu_seconds(Some(std::process::id())).is_some());
        // Above the kernel's pid_max: no such process.
        assert_eq!(cpu_seconds(Some(u32::MAX)), None);
    }
}
