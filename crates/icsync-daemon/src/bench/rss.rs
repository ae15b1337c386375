//! Peak resident memory of this process, per phase (Linux: `/proc/self`).

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
