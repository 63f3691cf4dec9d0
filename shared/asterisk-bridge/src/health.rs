//! The host's health for the dialer's adaptive pacing: CPU and memory from
//! `/proc` (Linux), active channels from the bridge, reported through
//! [`campaign_core::host_health`] (the shared counters) every
//! [`REPORT_INTERVAL_SECS`](campaign_core::host_health::REPORT_INTERVAL_SECS).

use std::sync::Arc;
use std::time::Duration;

use campaign_core::clock::Clock;
use campaign_core::host_health;
use campaign_core::pacing::HostLoad;
use campaign_core::ports::Counters;
use tokio::sync::watch;

use crate::bridge::Bridge;

/// CPU time counters from the `cpu` line of `/proc/stat`: (busy, total).
pub fn parse_proc_stat(text: &str) -> Option<(u64, u64)> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 4 {
        return None;
    }
    let total: u64 = v.iter().sum();
    // idle + iowait are not busy.
    let idle = v[3] + v.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// Used memory fraction from `/proc/meminfo` (`1 - MemAvailable / MemTotal`).
pub fn parse_meminfo(text: &str) -> Option<f64> {
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
    };
    let total = field("MemTotal:")?;
    let available = field("MemAvailable:")?;
    (total > 0.0).then(|| (1.0 - available / total).clamp(0.0, 1.0))
}

/// Samples CPU (as the busy share since the previous sample) and memory.
#[derive(Debug, Default)]
pub struct ProcSampler {
    last: Option<(u64, u64)>,
}

impl ProcSampler {
    pub fn sample(&mut self) -> (f64, f64) {
        let now = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|t| parse_proc_stat(&t));
        let cpu = match (self.last, now) {
            (Some((b0, t0)), Some((b1, t1))) if t1 > t0 => {
                (b1.saturating_sub(b0)) as f64 / (t1 - t0) as f64
            }
            _ => 0.0,
        };
        self.last = now.or(self.last);
        let memory = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| parse_meminfo(&t))
            .unwrap_or(0.0);
        (cpu, memory)
    }
}

/// Reports until `stop` turns true.
pub async fn run(
    bridge: Bridge,
    counters: Arc<dyn Counters>,
    clock: Arc<dyn Clock>,
    mut stop: watch::Receiver<bool>,
) {
    let mut sampler = ProcSampler::default();
    let every = Duration::from_secs(host_health::REPORT_INTERVAL_SECS);
    while !*stop.borrow() {
        let (cpu, memory) = sampler.sample();
        let load = HostLoad {
            cpu,
            memory,
            active_channels: u32::try_from(bridge.active_channels()).unwrap_or(u32::MAX),
        };
        let host = bridge.settings().host_id.clone();
        match host_health::report(&*counters, &host, &load, clock.now()).await {
            Ok(_) => tracing::debug!(?load, "health reported"),
            Err(e) => tracing::warn!(error = %e, "health report failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_and_memory_from_proc_text() {
        let stat = "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n";
        assert_eq!(parse_proc_stat(stat), Some((200, 1000)));
        let mem = "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    250 kB\n";
        assert_eq!(parse_meminfo(mem), Some(0.75));
        assert_eq!(parse_meminfo("nothing"), None);
    }
}
