//! The cost model: [`Usage`] counts the AWS requests a run would have made
//! (the [`crate::instrumented`] adapters and the runtime count them as the
//! core calls its ports), and [`PriceTable`] — read from the dated table in
//! `docs/prices.yaml` — turns them into dollars, per campaign and per
//! million calls, plus the monthly cost of the infrastructure when idle.
//!
//! Mapping (the same calls the AWS adapters make):
//! - every store / counter `get`-like call is DynamoDB reads, every write a
//!   write; units from the average item size of each table (measured on the
//!   run's own items) — 1 RRU per 4 KB read, 1 WRU per 1 KB written;
//! - dial tasks: SQS `SendMessageBatch` per 10, one `ReceiveMessage` per
//!   pipe batch, `DeleteMessageBatch` per batch, plus an EventBridge Pipes
//!   request per task;
//! - events: one SNS `Publish` each; the subscription queues cost a
//!   receive and a delete per batch of 10;
//! - Lambda: invocations per batch, duration = the handler time measured in
//!   process + a latency per AWS request it made (from the table), billed
//!   per millisecond at the configured memory;
//! - Step Functions: transitions per workflow loop; S3: puts/gets; Polly:
//!   characters synthesized (cache misses).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration as StdDuration;

use serde::{Deserialize, Serialize};

/// DynamoDB tables, as in the README's data section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Table {
    Campaigns,
    Contacts,
    Blacklist,
    CallRecords,
    Counters,
    AuditLog,
}

impl Table {
    pub const ALL: [Table; 6] = [
        Table::Campaigns,
        Table::Contacts,
        Table::Blacklist,
        Table::CallRecords,
        Table::Counters,
        Table::AuditLog,
    ];
    fn index(self) -> usize {
        self as usize
    }
}

/// The Lambda functions the local runtime plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Function {
    Dispatcher,
    Enricher,
    DialerWorker,
    CallEvents,
    SmsTtsFallback,
    Blacklist,
    ReportGenerator,
}

impl Function {
    pub const ALL: [Function; 7] = [
        Function::Dispatcher,
        Function::Enricher,
        Function::DialerWorker,
        Function::CallEvents,
        Function::SmsTtsFallback,
        Function::Blacklist,
        Function::ReportGenerator,
    ];
    fn index(self) -> usize {
        self as usize
    }
    pub fn name(self) -> &'static str {
        match self {
            Function::Dispatcher => "dispatcher",
            Function::Enricher => "enricher",
            Function::DialerWorker => "dialer-worker",
            Function::CallEvents => "call-events",
            Function::SmsTtsFallback => "sms-tts-fallback",
            Function::Blacklist => "blacklist",
            Function::ReportGenerator => "report-generator",
        }
    }
}

#[derive(Debug, Default)]
struct FnCounters {
    /// Batches handled (an SQS-triggered function gets up to 10 per invocation).
    invocations: AtomicU64,
    /// Messages handled.
    items: AtomicU64,
    compute_ns: AtomicU64,
    aws_requests: AtomicU64,
}

/// Request counters, cheap enough to bump on every port call.
#[derive(Debug, Default)]
pub struct Usage {
    reads: [AtomicU64; 6],
    writes: [AtomicU64; 6],
    pub sqs_dial_send_batches: AtomicU64,
    pub sqs_dial_receives: AtomicU64,
    pub sqs_dial_deletes: AtomicU64,
    pub sqs_dial_visibility_changes: AtomicU64,
    /// Other SQS requests (the watchdog's delayed checks, originate queue).
    pub sqs_other_requests: AtomicU64,
    pub pipe_events: AtomicU64,
    pub sns_publishes: AtomicU64,
    pub event_messages_consumed: AtomicU64,
    pub sfn_transitions: AtomicU64,
    pub s3_puts: AtomicU64,
    pub s3_gets: AtomicU64,
    pub polly_characters: AtomicU64,
    pub sms_messages: AtomicU64,
    pub originations: AtomicU64,
    functions: [FnCounters; 7],
    /// Average stored item size per table in bytes (measured after a run).
    item_bytes: Mutex<BTreeMap<Table, u64>>,
}

fn bump(a: &AtomicU64, n: u64) {
    a.fetch_add(n, Ordering::Relaxed);
}

impl Usage {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn read(&self, table: Table, items: u64) {
        bump(&self.reads[table.index()], items);
    }
    pub fn write(&self, table: Table, items: u64) {
        bump(&self.writes[table.index()], items);
    }
    pub fn add(&self, counter: &AtomicU64, n: u64) {
        bump(counter, n);
    }

    /// AWS requests made so far (for the latency part of Lambda durations).
    pub fn aws_requests(&self) -> u64 {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let ddb: u64 = self.reads.iter().chain(&self.writes).map(l).sum();
        ddb + l(&self.sqs_dial_send_batches)
            + l(&self.sqs_dial_receives)
            + l(&self.sqs_dial_deletes)
            + l(&self.sqs_dial_visibility_changes)
            + l(&self.sqs_other_requests)
            + l(&self.sns_publishes)
            + l(&self.s3_puts)
            + l(&self.s3_gets)
            + l(&self.originations)
    }

    /// One handler run: `items` messages in `invocations` batches, taking
    /// `compute` in process and making `aws_requests` requests.
    pub fn lambda(
        &self,
        f: Function,
        invocations: u64,
        items: u64,
        compute: StdDuration,
        aws_requests: u64,
    ) {
        let c = &self.functions[f.index()];
        bump(&c.invocations, invocations);
        bump(&c.items, items);
        bump(&c.compute_ns, compute.as_nanos() as u64);
        bump(&c.aws_requests, aws_requests);
    }

    pub fn set_item_bytes(&self, table: Table, bytes: u64) {
        self.item_bytes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(table, bytes);
    }

    /// A plain copy of every counter.
    pub fn snapshot(&self) -> UsageSnapshot {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let item_bytes = self
            .item_bytes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        UsageSnapshot {
            dynamodb: Table::ALL
                .into_iter()
                .map(|t| {
                    (
                        t,
                        TableUsage {
                            read_requests: l(&self.reads[t.index()]),
                            write_requests: l(&self.writes[t.index()]),
                            avg_item_bytes: item_bytes.get(&t).copied().unwrap_or(400),
                        },
                    )
                })
                .collect(),
            sqs_dial_send_batches: l(&self.sqs_dial_send_batches),
            sqs_dial_receives: l(&self.sqs_dial_receives),
            sqs_dial_deletes: l(&self.sqs_dial_deletes),
            sqs_dial_visibility_changes: l(&self.sqs_dial_visibility_changes),
            sqs_other_requests: l(&self.sqs_other_requests),
            pipe_events: l(&self.pipe_events),
            sns_publishes: l(&self.sns_publishes),
            event_messages_consumed: l(&self.event_messages_consumed),
            sfn_transitions: l(&self.sfn_transitions),
            s3_puts: l(&self.s3_puts),
            s3_gets: l(&self.s3_gets),
            polly_characters: l(&self.polly_characters),
            sms_messages: l(&self.sms_messages),
            originations: l(&self.originations),
            lambda: Function::ALL
                .into_iter()
                .map(|f| {
                    let c = &self.functions[f.index()];
                    (
                        f,
                        FunctionUsage {
                            invocations: l(&c.invocations),
                            items: l(&c.items),
                            compute_ms: l(&c.compute_ns) as f64 / 1e6,
                            aws_requests: l(&c.aws_requests),
                        },
                    )
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableUsage {
    pub read_requests: u64,
    pub write_requests: u64,
    pub avg_item_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionUsage {
    pub invocations: u64,
    pub items: u64,
    /// Handler time measured in process (embedded adapters), all invocations.
    pub compute_ms: f64,
    pub aws_requests: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageSnapshot {
    pub dynamodb: BTreeMap<Table, TableUsage>,
    pub sqs_dial_send_batches: u64,
    pub sqs_dial_receives: u64,
    pub sqs_dial_deletes: u64,
    pub sqs_dial_visibility_changes: u64,
    pub sqs_other_requests: u64,
    pub pipe_events: u64,
    pub sns_publishes: u64,
    pub event_messages_consumed: u64,
    pub sfn_transitions: u64,
    pub s3_puts: u64,
    pub s3_gets: u64,
    pub polly_characters: u64,
    pub sms_messages: u64,
    pub originations: u64,
    pub lambda: BTreeMap<Function, FunctionUsage>,
}

// ---------------------------------------------------------------- prices

/// The price table (`docs/prices.yaml`): on-demand list prices of one
/// region on one date, with the pages they were read from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceTable {
    pub region: String,
    /// When the prices were read (YYYY-MM-DD).
    pub as_of: String,
    pub currency: String,
    pub sources: Vec<String>,
    pub lambda: LambdaPrices,
    pub dynamodb: DynamoPrices,
    pub sqs_per_million_requests: f64,
    pub sns_per_million_publishes: f64,
    pub pipes_per_million_requests: f64,
    pub step_functions_per_thousand_transitions: f64,
    pub s3: S3Prices,
    pub polly_standard_per_million_characters: f64,
    pub secrets_manager_per_secret_month: f64,
    pub cloudwatch_alarm_per_month: f64,
    /// A customer managed KMS key, per month.
    pub kms_key_per_month: f64,
    pub ec2: Ec2Prices,
    pub assumptions: Assumptions,
    /// What the infrastructure holds while no campaign runs.
    pub idle: IdleFootprint,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaPrices {
    pub arm64_per_gb_second: f64,
    pub per_million_requests: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DynamoPrices {
    pub per_million_write_units: f64,
    pub per_million_read_units: f64,
    pub storage_per_gb_month: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct S3Prices {
    pub put_per_thousand: f64,
    pub get_per_thousand: f64,
    pub storage_per_gb_month: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ec2Prices {
    pub telephony_instance_type: String,
    pub telephony_instance_per_hour: f64,
    pub gp3_per_gb_month: f64,
    pub public_ipv4_per_hour: f64,
}

/// Modelling choices that are not prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assumptions {
    /// Memory configured per function (MB); `default` for the rest.
    pub lambda_memory_mb: BTreeMap<String, u32>,
    /// Added to a handler's measured time per AWS request it makes (ms).
    pub aws_request_latency_ms: f64,
    /// Messages per SQS-triggered invocation.
    pub event_batch_size: u32,
    /// State transitions per workflow loop (Wait, Dispatch, Monitor, Choice).
    pub transitions_per_workflow_loop: u32,
}

/// Resources that cost money while nothing runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdleFootprint {
    pub secrets: u32,
    pub alarms: u32,
    /// Customer managed KMS keys.
    pub kms_keys: u32,
    pub dynamodb_gb: f64,
    pub s3_gb: f64,
    /// Queues polled by Lambda / Pipes even when empty.
    pub polled_queues: u32,
    /// Long-poll requests per queue per month by the idle pollers.
    pub idle_poll_requests_per_queue_month: f64,
    pub telephony_host_disk_gb: f64,
}

/// One priced line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostLine {
    pub item: String,
    pub quantity: f64,
    pub unit: String,
    pub usd: f64,
}

/// What a run costs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostEstimate {
    pub prices_as_of: String,
    pub region: String,
    pub lines: Vec<CostLine>,
    pub total_usd: f64,
    pub calls: u64,
    pub per_million_calls_usd: f64,
    /// Not priced: they depend on the carrier and SMS provider contracts.
    pub not_included: Vec<String>,
}

/// The idle monthly bill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdleCost {
    pub prices_as_of: String,
    pub lines: Vec<CostLine>,
    /// Serverless part only (Connect users, or the host stopped).
    pub serverless_usd: f64,
    /// With the Asterisk telephony host running all month.
    pub with_telephony_host_usd: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    #[error("price table: {0}")]
    Parse(#[from] serde_norway::Error),
}

/// The bundled table (the same file the README's figures come from).
pub const BUNDLED_PRICES: &str = include_str!("../../../docs/prices.yaml");

fn line(item: &str, quantity: f64, unit: &str, usd: f64) -> CostLine {
    CostLine {
        item: item.to_owned(),
        quantity,
        unit: unit.to_owned(),
        usd,
    }
}

impl PriceTable {
    pub fn from_yaml(text: &str) -> Result<Self, PriceError> {
        Ok(serde_norway::from_str(text)?)
    }

    pub fn bundled() -> Result<Self, PriceError> {
        Self::from_yaml(BUNDLED_PRICES)
    }

    fn memory_mb(&self, f: Function) -> u32 {
        let m = &self.assumptions.lambda_memory_mb;
        m.get(f.name())
            .or_else(|| m.get("default"))
            .copied()
            .unwrap_or(128)
    }

    /// Prices a run's usage.
    pub fn estimate(&self, u: &UsageSnapshot) -> CostEstimate {
        let mut lines = Vec::new();
        let per_m = |n: f64, price: f64| n / 1e6 * price;

        // Lambda
        let mut invocations = 0.0;
        let mut gb_s = 0.0;
        let batch = f64::from(self.assumptions.event_batch_size.max(1));
        for (f, fu) in &u.lambda {
            let inv = match f {
                Function::CallEvents | Function::SmsTtsFallback | Function::Blacklist => {
                    (fu.items as f64 / batch)
                        .ceil()
                        .max(fu.invocations as f64 / batch)
                }
                _ => fu.invocations as f64,
            };
            invocations += inv;
            let ms =
                fu.compute_ms + fu.aws_requests as f64 * self.assumptions.aws_request_latency_ms;
            // Billed per ms, at least 1 ms per invocation.
            let billed_ms = ms.max(inv);
            gb_s += billed_ms / 1000.0 * f64::from(self.memory_mb(*f)) / 1024.0;
        }
        lines.push(line(
            "Lambda requests",
            invocations,
            "invocations",
            per_m(invocations, self.lambda.per_million_requests),
        ));
        lines.push(line(
            "Lambda duration (arm64)",
            gb_s,
            "GB-seconds",
            gb_s * self.lambda.arm64_per_gb_second,
        ));

        // DynamoDB on demand
        let (mut rru, mut wru) = (0.0, 0.0);
        for t in u.dynamodb.values() {
            let size = t.avg_item_bytes.max(1) as f64;
            rru += t.read_requests as f64 * (size / 4096.0).ceil();
            wru += t.write_requests as f64 * (size / 1024.0).ceil();
        }
        lines.push(line(
            "DynamoDB reads",
            rru,
            "read request units",
            per_m(rru, self.dynamodb.per_million_read_units),
        ));
        lines.push(line(
            "DynamoDB writes",
            wru,
            "write request units",
            per_m(wru, self.dynamodb.per_million_write_units),
        ));

        // SQS: the dial queue, and the three subscription queues.
        let event_batches = (u.event_messages_consumed as f64 / batch).ceil();
        // Deletes and visibility changes go in batches of 10; the originate
        // queue to the telephony host costs a send, and a receive and a
        // delete per 10.
        let sqs = (u.sqs_dial_send_batches + u.sqs_dial_receives + u.sqs_other_requests) as f64
            + ((u.sqs_dial_deletes + u.sqs_dial_visibility_changes) as f64 / 10.0).ceil()
            + u.originations as f64 * 1.2
            + 2.0 * event_batches;
        lines.push(line(
            "SQS requests",
            sqs,
            "requests",
            per_m(sqs, self.sqs_per_million_requests),
        ));
        let pipes = u.pipe_events as f64;
        lines.push(line(
            "EventBridge Pipes",
            pipes,
            "requests",
            per_m(pipes, self.pipes_per_million_requests),
        ));
        let sns = u.sns_publishes as f64;
        lines.push(line(
            "SNS publishes",
            sns,
            "publishes",
            per_m(sns, self.sns_per_million_publishes),
        ));
        let sfn = u.sfn_transitions as f64;
        lines.push(line(
            "Step Functions",
            sfn,
            "state transitions",
            sfn / 1000.0 * self.step_functions_per_thousand_transitions,
        ));
        lines.push(line(
            "S3 PUT",
            u.s3_puts as f64,
            "requests",
            u.s3_puts as f64 / 1000.0 * self.s3.put_per_thousand,
        ));
        lines.push(line(
            "S3 GET",
            u.s3_gets as f64,
            "requests",
            u.s3_gets as f64 / 1000.0 * self.s3.get_per_thousand,
        ));
        let chars = u.polly_characters as f64;
        lines.push(line(
            "Polly (standard voice)",
            chars,
            "characters",
            per_m(chars, self.polly_standard_per_million_characters),
        ));

        let total_usd: f64 = lines.iter().map(|l| l.usd).sum();
        let calls = u.originations;
        CostEstimate {
            prices_as_of: self.as_of.clone(),
            region: self.region.clone(),
            lines,
            total_usd,
            calls,
            per_million_calls_usd: if calls == 0 {
                0.0
            } else {
                total_usd / calls as f64 * 1e6
            },
            not_included: vec![
                format!(
                    "{} SMS messages (priced by the SMS provider and destination country)",
                    u.sms_messages
                ),
                format!(
                    "{} call originations: carrier minutes (SIP trunk or Amazon Connect telephony)",
                    u.originations
                ),
                "the telephony host and other fixed monthly costs (see the idle cost)".into(),
                "AWS free tiers (not subtracted)".into(),
            ],
        }
    }

    /// The monthly bill while no campaign runs.
    pub fn idle_monthly(&self) -> IdleCost {
        let i = &self.idle;
        let hours = 730.0;
        let mut serverless = vec![
            line(
                "Secrets Manager secrets",
                f64::from(i.secrets),
                "secrets",
                f64::from(i.secrets) * self.secrets_manager_per_secret_month,
            ),
            line(
                "CloudWatch alarms",
                f64::from(i.alarms),
                "alarms",
                f64::from(i.alarms) * self.cloudwatch_alarm_per_month,
            ),
            line(
                "KMS keys",
                f64::from(i.kms_keys),
                "keys",
                f64::from(i.kms_keys) * self.kms_key_per_month,
            ),
            line(
                "DynamoDB storage",
                i.dynamodb_gb,
                "GB-month",
                i.dynamodb_gb * self.dynamodb.storage_per_gb_month,
            ),
            line(
                "S3 storage",
                i.s3_gb,
                "GB-month",
                i.s3_gb * self.s3.storage_per_gb_month,
            ),
        ];
        let polls = f64::from(i.polled_queues) * i.idle_poll_requests_per_queue_month;
        serverless.push(line(
            "SQS long polls of empty queues (Lambda / Pipes pollers)",
            polls,
            "requests",
            polls / 1e6 * self.sqs_per_million_requests,
        ));
        serverless.push(line(
            "Lambda, API Gateway, Step Functions, SNS, Polly",
            0.0,
            "requests",
            0.0,
        ));
        let serverless_usd: f64 = serverless.iter().map(|l| l.usd).sum();
        let host = vec![
            line(
                &format!("EC2 {} (Asterisk host)", self.ec2.telephony_instance_type),
                hours,
                "hours",
                hours * self.ec2.telephony_instance_per_hour,
            ),
            line(
                "EBS gp3 (host disk)",
                i.telephony_host_disk_gb,
                "GB-month",
                i.telephony_host_disk_gb * self.ec2.gp3_per_gb_month,
            ),
            line(
                "Public IPv4 address (host)",
                hours,
                "hours",
                hours * self.ec2.public_ipv4_per_hour,
            ),
        ];
        let host_usd: f64 = host.iter().map(|l| l.usd).sum();
        let mut lines = serverless;
        lines.extend(host);
        IdleCost {
            prices_as_of: self.as_of.clone(),
            lines,
            serverless_usd,
            with_telephony_host_usd: serverless_usd + host_usd,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_table_parses_and_is_dated() {
        let t = PriceTable::bundled().unwrap();
        assert_eq!(t.region, "us-east-1");
        assert_eq!(t.as_of.len(), 10, "YYYY-MM-DD: {}", t.as_of);
        assert!(!t.sources.is_empty());
    }

    #[test]
    fn a_million_dynamodb_writes_of_small_items_cost_the_listed_price() {
        let t = PriceTable::bundled().unwrap();
        let usage = Usage::new();
        usage.write(Table::Contacts, 1_000_000);
        usage.set_item_bytes(Table::Contacts, 900);
        let e = t.estimate(&usage.snapshot());
        let writes = e
            .lines
            .iter()
            .find(|l| l.item == "DynamoDB writes")
            .unwrap();
        assert_eq!(writes.quantity, 1_000_000.0);
        assert!((writes.usd - t.dynamodb.per_million_write_units).abs() < 1e-9);
        // 2 KB items take two write units each.
        usage.set_item_bytes(Table::Contacts, 2000);
        let e = t.estimate(&usage.snapshot());
        let writes = e
            .lines
            .iter()
            .find(|l| l.item == "DynamoDB writes")
            .unwrap();
        assert_eq!(writes.quantity, 2_000_000.0);
    }

    #[test]
    fn lambda_duration_adds_request_latency_at_configured_memory() {
        let t = PriceTable::bundled().unwrap();
        let usage = Usage::new();
        // 1,000 invocations, 1 s of compute in total, 1,000 AWS requests.
        usage.lambda(
            Function::Dispatcher,
            1000,
            1000,
            StdDuration::from_secs(1),
            1000,
        );
        let e = t.estimate(&usage.snapshot());
        let gb_s = e
            .lines
            .iter()
            .find(|l| l.item.starts_with("Lambda duration"))
            .unwrap()
            .quantity;
        let mem = f64::from(t.memory_mb(Function::Dispatcher)) / 1024.0;
        let expected = (1000.0 + 1000.0 * t.assumptions.aws_request_latency_ms) / 1000.0 * mem;
        assert!((gb_s - expected).abs() < 1e-9, "{gb_s} vs {expected}");
    }

    #[test]
    fn idle_cost_prices_every_kms_key_of_the_inventory() {
        // GIVEN the bundled table (its counts are checked against infra/ by
        // tests/offline/consistency.py)
        let t = PriceTable::bundled().unwrap();
        assert!(t.idle.kms_keys > 0, "Terraform creates KMS keys");
        // WHEN the idle bill is made THEN each key costs the key price
        let idle = t.idle_monthly();
        let kms = idle
            .lines
            .iter()
            .find(|l| l.item == "KMS keys")
            .expect("a KMS line");
        assert_eq!(kms.quantity, f64::from(t.idle.kms_keys));
        assert!((kms.usd - f64::from(t.idle.kms_keys) * t.kms_key_per_month).abs() < 1e-9);
    }

    #[test]
    fn idle_cost_is_serverless_plus_the_host() {
        let t = PriceTable::bundled().unwrap();
        let idle = t.idle_monthly();
        assert!(idle.serverless_usd > 0.0);
        assert!(idle.with_telephony_host_usd > idle.serverless_usd);
        let sum: f64 = idle.lines.iter().map(|l| l.usd).sum();
        assert!((sum - idle.with_telephony_host_usd).abs() < 1e-9);
    }
}
