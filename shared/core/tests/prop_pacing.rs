//! Pacing: admission never exceeds the limits; the adaptive pace decreases
//! on high load or a low answer rate, recovers step by step, and records
//! every change.

use std::collections::HashMap;

use campaign_core::pacing::{
    ANSWER_RATE_HYSTERESIS, AdaptiveConfig, AdaptivePace, Admission, HostLoad, LOAD_HYSTERESIS,
    PaceGate, PaceLimits, PaceReason, admit,
};
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).expect("valid instant")
}

fn load(cpu: f64, memory: f64) -> HostLoad {
    HostLoad {
        cpu,
        memory,
        active_channels: 0,
    }
}

fn config_strategy() -> impl Strategy<Value = AdaptiveConfig> {
    (
        0u32..=60,
        0u32..=10,
        0.3f64..0.95,
        0.3f64..0.95,
        0.05f64..0.5,
        1u32..=100,
        0.1f64..0.95,
        1u32..=5,
    )
        .prop_map(
            |(target, min, cpu_high, memory_high, low, samples, factor, step)| AdaptiveConfig {
                target_cps: target,
                min_cps: min,
                cpu_high,
                memory_high,
                answer_rate_low: low,
                min_answer_samples: samples,
                decrease_factor: factor,
                recovery_step_cps: step,
            },
        )
}

/// An arbitrary observation: load anywhere in 0–1, any answer counts.
fn observation_strategy() -> impl Strategy<Value = (f64, f64, u32, u32)> {
    (0.0f64..=1.0, 0.0f64..=1.0, 0u32..=300).prop_flat_map(|(cpu, mem, attempts)| {
        (Just(cpu), Just(mem), 0u32..=attempts, Just(attempts))
    })
}

/// Feeds `prefix` (one observation per second from `t0`) and returns the
/// instant after the last one.
fn drive(pace: &mut AdaptivePace, prefix: &[(f64, f64, u32, u32)]) -> DateTime<Utc> {
    let mut at = t0();
    for &(cpu, mem, answered, attempts) in prefix {
        pace.observe(at, load(cpu, mem), (answered, attempts));
        at += Duration::seconds(1);
    }
    at
}

/// The reason the rules of the module doc assign to an observation, if it
/// calls for a decrease; recomputed here independently of the code.
fn expected_trouble(
    c: &AdaptiveConfig,
    cpu: f64,
    mem: f64,
    answered: u32,
    attempts: u32,
) -> Option<PaceReason> {
    if cpu >= c.cpu_high {
        Some(PaceReason::HighCpu)
    } else if mem >= c.memory_high {
        Some(PaceReason::HighMemory)
    } else if attempts > 0
        && attempts >= c.min_answer_samples
        && (answered as f64 / attempts as f64) < c.answer_rate_low
    {
        Some(PaceReason::LowAnswerRate)
    } else {
        None
    }
}

proptest! {
    // Property 36: Adaptive pace reduction on high load
    #[test]
    fn high_load_decreases_pace(
        config in config_strategy(),
        prefix in prop::collection::vec(observation_strategy(), 0..30),
        memory_instead in any::<bool>(),
        over in 0.0f64..=1.0,
        other in 0.0f64..=1.0,
        answers in (0u32..=300, 0u32..=300),
    ) {
        let mut pace = AdaptivePace::new(config.clone());
        let at = drive(&mut pace, &prefix);
        let before = pace.current_cps();
        let min = config.effective_min_cps();
        // A load somewhere between the threshold and 100 %.
        let (cpu, mem, reason) = if memory_instead {
            let mem = config.memory_high + over * (1.0 - config.memory_high);
            (other * config.cpu_high * 0.999, mem, PaceReason::HighMemory)
        } else {
            let cpu = config.cpu_high + over * (1.0 - config.cpu_high);
            (cpu, other, PaceReason::HighCpu)
        };
        let change = pace.observe(at, load(cpu, mem), answers);
        if before > min {
            let change = change.expect("pace must drop above the floor");
            prop_assert!(change.to_cps < before);
            prop_assert!(change.to_cps >= min);
            prop_assert_eq!(change.from_cps, before);
            prop_assert_eq!(change.reason, reason);
            prop_assert_eq!(pace.current_cps(), change.to_cps);
            // The decrease rule: max(min, floor(current * factor)), and at least one lower.
            let scaled = (before as f64 * config.decrease_factor).floor() as u32;
            prop_assert_eq!(change.to_cps, scaled.min(before - 1).max(min));
        } else {
            prop_assert_eq!(change, None);
            prop_assert_eq!(pace.current_cps(), before);
        }
    }

    // Property 37: Adaptive pace recovery
    #[test]
    fn pace_recovers_gradually_to_target(
        config in config_strategy(),
        spikes in 1usize..8,
        healthy in prop::collection::vec((0.0f64..1.0, 0.0f64..1.0, 0u32..=300, 0.0f64..=1.0), 1..20),
        extra in 1usize..5,
    ) {
        let mut pace = AdaptivePace::new(config.clone());
        let mut at = t0();
        for _ in 0..spikes {
            pace.observe(at, load(1.0, 0.0), (0, 0));
            at += Duration::seconds(1);
        }
        let low_point = pace.current_cps();
        prop_assert!(low_point <= config.target_cps);
        // Enough healthy observations to climb all the way back, plus a few.
        let needed = (config.target_cps - low_point).div_ceil(config.recovery_step_cps) as usize;
        let mut previous = low_point;
        for i in 0..needed + extra {
            let (cpu_f, mem_f, attempts, rate_f) = healthy[i % healthy.len()];
            // Clearly below the thresholds, answer rate clearly fine.
            let cpu = cpu_f * (config.cpu_high - LOAD_HYSTERESIS) * 0.999;
            let mem = mem_f * (config.memory_high - LOAD_HYSTERESIS) * 0.999;
            let floor = config.answer_rate_low + ANSWER_RATE_HYSTERESIS;
            // A tiny margin so float rounding cannot land just under the floor.
            let rate = (floor + rate_f * (1.0 - floor) + 1e-9).min(1.0);
            let answered = (rate * attempts as f64).ceil() as u32;
            let change = pace.observe(at, load(cpu, mem), (answered.min(attempts), attempts));
            at += Duration::seconds(1);
            let now = pace.current_cps();
            prop_assert!(now >= previous, "no decrease while healthy");
            prop_assert!(now - previous <= config.recovery_step_cps, "one step at most");
            prop_assert!(now <= config.target_cps, "never above target");
            if previous < config.target_cps {
                let change = change.expect("below target and healthy: must rise");
                prop_assert_eq!(change.reason, PaceReason::Recovered);
                prop_assert_eq!(
                    change.to_cps,
                    (previous + config.recovery_step_cps).min(config.target_cps)
                );
            } else {
                prop_assert_eq!(change, None);
            }
            previous = now;
        }
        prop_assert_eq!(pace.current_cps(), config.target_cps);
    }

    // Property 38: Quality-based pace adjustment
    #[test]
    fn low_answer_rate_decreases_pace(
        config in config_strategy(),
        prefix in prop::collection::vec(observation_strategy(), 0..30),
        cpu_f in 0.0f64..1.0,
        mem_f in 0.0f64..1.0,
        extra_attempts in 0u32..500,
        rate_f in 0.0f64..1.0,
    ) {
        let mut pace = AdaptivePace::new(config.clone());
        let at = drive(&mut pace, &prefix);
        let before = pace.current_cps();
        let attempts = config.min_answer_samples + extra_attempts;
        // answered / attempts <= rate_f * low < low
        let answered = (rate_f * config.answer_rate_low * attempts as f64).floor() as u32;
        let cpu = cpu_f * config.cpu_high * 0.999;
        let mem = mem_f * config.memory_high * 0.999;
        let change = pace.observe(at, load(cpu, mem), (answered, attempts));
        if before > config.effective_min_cps() {
            let change = change.expect("a low answer rate must lower the pace");
            prop_assert_eq!(change.reason, PaceReason::LowAnswerRate);
            prop_assert!(change.to_cps < before);
            prop_assert!(change.to_cps >= config.effective_min_cps());
        } else {
            prop_assert_eq!(change, None);
        }
    }

    // Property 38: Quality-based pace adjustment
    #[test]
    fn too_few_samples_never_trigger_quality_decrease(
        config in config_strategy().prop_filter("needs a sample floor above 1", |c| c.min_answer_samples > 1),
        cpu_f in 0.0f64..1.0,
        mem_f in 0.0f64..1.0,
        short in 1u32..100,
    ) {
        let mut pace = AdaptivePace::new(config.clone());
        let attempts = config.min_answer_samples.saturating_sub(short).max(1);
        prop_assume!(attempts < config.min_answer_samples);
        let cpu = cpu_f * config.cpu_high * 0.999;
        let mem = mem_f * config.memory_high * 0.999;
        // Nobody answered, but too few attempts to judge.
        let change = pace.observe(t0(), load(cpu, mem), (0, attempts));
        prop_assert!(change.is_none_or(|c| c.reason != PaceReason::LowAnswerRate));
        prop_assert_eq!(pace.current_cps(), config.target_cps);
    }

    // Property 39: Pace adjustment audit logging
    #[test]
    fn every_change_is_logged_with_time_and_reason(
        config in config_strategy(),
        observations in prop::collection::vec((observation_strategy(), 0i64..10_000), 1..60),
    ) {
        let mut pace = AdaptivePace::new(config.clone());
        let mut at = t0();
        let mut expected_changes = 0usize;
        for ((cpu, mem, answered, attempts), gap_ms) in observations {
            at += Duration::milliseconds(gap_ms);
            let before = pace.current_cps();
            let change = pace.observe(at, load(cpu, mem), (answered, attempts));
            match change {
                Some(change) => {
                    expected_changes += 1;
                    prop_assert_eq!(pace.changes().len(), expected_changes);
                    prop_assert_eq!(pace.changes().last(), Some(&change));
                    prop_assert_eq!(change.at, at);
                    prop_assert_eq!(change.from_cps, before);
                    prop_assert_eq!(change.to_cps, pace.current_cps());
                    prop_assert_ne!(change.from_cps, change.to_cps);
                    // The logged reason is the one that triggered it.
                    match expected_trouble(&config, cpu, mem, answered, attempts) {
                        Some(reason) => {
                            prop_assert_eq!(change.reason, reason);
                            prop_assert!(change.to_cps < change.from_cps);
                        }
                        None => {
                            prop_assert_eq!(change.reason, PaceReason::Recovered);
                            prop_assert!(change.to_cps > change.from_cps);
                        }
                    }
                }
                None => {
                    // No silent change.
                    prop_assert_eq!(pace.current_cps(), before);
                    prop_assert_eq!(pace.changes().len(), expected_changes);
                }
            }
            let min = config.effective_min_cps();
            prop_assert!(pace.current_cps() >= min && pace.current_cps() <= config.target_cps);
        }
        // The log replays to the current pace.
        let mut replay = config.target_cps;
        for change in pace.changes() {
            prop_assert_eq!(change.from_cps, replay);
            replay = change.to_cps;
        }
        prop_assert_eq!(replay, pace.current_cps());
        prop_assert!(pace.changes().windows(2).all(|w| w[0].at <= w[1].at));
    }

    // Property (pacing): admission never exceeds max concurrent calls nor calls per second
    #[test]
    fn gate_never_exceeds_limits(
        cps in 0u32..6,
        max_concurrent in 0u32..8,
        events in prop::collection::vec((0i64..1_500, any::<bool>()), 1..200),
    ) {
        let mut gate = PaceGate::new(PaceLimits { calls_per_second: cps, max_concurrent });
        let mut at = t0();
        let mut active = 0u32;
        let mut starts_per_second: HashMap<i64, u32> = HashMap::new();
        for (gap_ms, start) in events {
            at += Duration::milliseconds(gap_ms);
            if start {
                let in_bucket = starts_per_second.get(&at.timestamp()).copied().unwrap_or(0);
                let admission = gate.try_start(at);
                let expected = if active >= max_concurrent {
                    Admission::WaitForSlot
                } else if in_bucket >= cps {
                    Admission::WaitForRate
                } else {
                    Admission::Go
                };
                prop_assert_eq!(admission, expected);
                if admission == Admission::Go {
                    active += 1;
                    *starts_per_second.entry(at.timestamp()).or_default() += 1;
                }
                if admission == Admission::WaitForRate {
                    let retry = gate.next_rate_window().expect("a bucket exists after a try");
                    prop_assert!(retry > at && retry - at <= Duration::seconds(1));
                }
            } else if active > 0 {
                gate.finish();
                active -= 1;
            }
            prop_assert_eq!(gate.active(), active);
            prop_assert!(gate.active() <= max_concurrent);
        }
        prop_assert!(starts_per_second.values().all(|&n| n <= cps));
    }

    // Property (pacing): admission never exceeds max concurrent calls nor calls per second
    #[test]
    fn gate_obeys_pace_changed_mid_run(
        max_concurrent in 1u32..20,
        events in prop::collection::vec((0i64..700, 0u8..4, 0u32..6), 1..200),
    ) {
        let mut gate = PaceGate::new(PaceLimits { calls_per_second: 3, max_concurrent });
        let mut at = t0();
        let mut starts_per_second: HashMap<i64, u32> = HashMap::new();
        for (gap_ms, action, new_cps) in events {
            at += Duration::milliseconds(gap_ms);
            match action {
                0 => gate.set_calls_per_second(new_cps),
                1 => gate.finish(),
                _ => {
                    let before = starts_per_second.get(&at.timestamp()).copied().unwrap_or(0);
                    if gate.try_start(at) == Admission::Go {
                        // Admitted only while under the pace in force now.
                        prop_assert!(before < gate.limits().calls_per_second);
                        *starts_per_second.entry(at.timestamp()).or_default() += 1;
                    }
                }
            }
            prop_assert!(gate.active() <= max_concurrent);
        }
    }

    // Property (pacing): admission never exceeds max concurrent calls nor calls per second
    #[test]
    fn admit_goes_only_under_both_limits(
        active in 0u32..20,
        started in 0u32..20,
        max_concurrent in 0u32..20,
        cps in 0u32..20,
    ) {
        let admission = admit(active, started, max_concurrent, cps);
        prop_assert_eq!(admission == Admission::Go, active < max_concurrent && started < cps);
        if active >= max_concurrent {
            // A full house is reported as such even when the rate is also used up.
            prop_assert_eq!(admission, Admission::WaitForSlot);
        }
    }
}

#[test]
fn admit_examples() {
    assert_eq!(admit(0, 0, 100, 10), Admission::Go);
    assert_eq!(admit(100, 0, 100, 10), Admission::WaitForSlot);
    assert_eq!(admit(99, 10, 100, 10), Admission::WaitForRate);
    assert_eq!(admit(100, 10, 100, 10), Admission::WaitForSlot);
    // A zero limit starts nothing.
    assert_eq!(admit(0, 0, 0, 10), Admission::WaitForSlot);
    assert_eq!(admit(0, 0, 100, 0), Admission::WaitForRate);
}

#[test]
fn gate_resets_rate_each_second_but_not_concurrency() {
    let mut gate = PaceGate::new(PaceLimits {
        calls_per_second: 2,
        max_concurrent: 3,
    });
    let t = t0();
    assert_eq!(gate.try_start(t), Admission::Go);
    assert_eq!(
        gate.try_start(t + Duration::milliseconds(500)),
        Admission::Go
    );
    assert_eq!(
        gate.try_start(t + Duration::milliseconds(999)),
        Admission::WaitForRate
    );
    assert_eq!(gate.next_rate_window(), Some(t + Duration::seconds(1)));
    assert_eq!(gate.try_start(t + Duration::seconds(1)), Admission::Go);
    // Three in progress: the next second has rate budget but no slot.
    assert_eq!(
        gate.try_start(t + Duration::seconds(2)),
        Admission::WaitForSlot
    );
    gate.finish();
    assert_eq!(gate.try_start(t + Duration::seconds(2)), Admission::Go);
    assert_eq!(gate.active(), 3);
    // An unmatched finish never wraps.
    for _ in 0..5 {
        gate.finish();
    }
    assert_eq!(gate.active(), 0);
}

#[test]
fn adaptive_defaults() {
    let c = AdaptiveConfig::default();
    assert_eq!(c.target_cps, 10);
    assert_eq!(c.min_cps, 1);
    assert_eq!(c.cpu_high, 0.8);
    assert_eq!(c.memory_high, 0.85);
    assert_eq!(c.answer_rate_low, 0.2);
    assert_eq!(c.min_answer_samples, 50);
    assert_eq!(c.decrease_factor, 0.5);
    assert_eq!(c.recovery_step_cps, 1);
    let c = AdaptiveConfig::for_target(25);
    assert_eq!((c.target_cps, c.min_cps), (25, 1));
    assert_eq!(AdaptiveConfig::for_target(0).effective_min_cps(), 0);
}

#[test]
fn halves_to_floor_then_climbs_back_one_step_at_a_time() {
    let mut pace = AdaptivePace::new(AdaptiveConfig::default());
    let t = t0();
    let hot = load(0.9, 0.2);
    let seen: Vec<u32> = (0..5)
        .filter_map(|i| pace.observe(t + Duration::seconds(i), hot, (0, 0)))
        .map(|c| c.to_cps)
        .collect();
    assert_eq!(seen, vec![5, 2, 1]);
    assert_eq!(pace.current_cps(), 1);

    // In the hysteresis band (0.7 <= cpu < 0.8) the pace holds.
    assert_eq!(pace.observe(t, load(0.75, 0.2), (0, 0)), None);

    let calm = load(0.3, 0.3);
    let mut steps = Vec::new();
    for i in 0..12 {
        if let Some(c) = pace.observe(t + Duration::seconds(10 + i), calm, (30, 100)) {
            assert_eq!(c.reason, PaceReason::Recovered);
            steps.push(c.to_cps);
        }
    }
    assert_eq!(steps, (2..=10).collect::<Vec<_>>());
    assert_eq!(pace.changes().len(), 3 + 9);
}

#[test]
fn decrease_is_at_least_one_and_memory_and_quality_reasons() {
    let config = AdaptiveConfig {
        decrease_factor: 0.95,
        ..AdaptiveConfig::for_target(5)
    };
    let mut pace = AdaptivePace::new(config);
    let t = t0();
    let c = pace
        .observe(t, load(0.1, 0.9), (0, 0))
        .expect("memory high");
    assert_eq!(
        (c.from_cps, c.to_cps, c.reason),
        (5, 4, PaceReason::HighMemory)
    );
    // 10 of 100 answered, 0.1 < 0.2.
    let c = pace
        .observe(t, load(0.1, 0.1), (10, 100))
        .expect("low answers");
    assert_eq!((c.to_cps, c.reason), (3, PaceReason::LowAnswerRate));
    // 22 of 100 is above the threshold but inside the 0.05 band: hold.
    assert_eq!(pace.observe(t, load(0.1, 0.1), (22, 100)), None);
    // NaN load is neither high nor healthy.
    assert_eq!(pace.observe(t, load(f64::NAN, 0.1), (0, 0)), None);
    assert_eq!(pace.current_cps(), 3);
}
