//! `dispatcher`: the Step Functions tasks of a campaign's workflow
//! (`statemachines/campaign.asl.json`). One function, three tasks, chosen by
//! the input's `task`:
//!
//! ```json
//! {"task": "validate", "state": {"version": 1, "campaign_id": "cmp-1", "scheduled_start": null}}
//! {"task": "dispatch", "state": <WorkflowState>}
//! {"task": "progress", "state": <WorkflowState>}
//! ```
//!
//! `state` is the workflow's input (`WorkflowInput`) or the previous task's
//! output (`WorkflowState`); only its `campaign_id` (and `scheduled_start`)
//! are read, so either works for every task. Every task answers a
//! `WorkflowState`:
//!
//! - `validate`: the campaign must exist and its settings must be runnable
//!   (`lifecycle::validate_settings`, every problem listed); a draft or
//!   scheduled campaign is started (the schedule's `start` still keeps
//!   dispatch from dialling early, and `scheduled_start` in the output is what
//!   the workflow's Wait state waits for); an active or paused one is left as
//!   it is (a re-run of the workflow); a finished one is an
//!   `IllegalLifecycleMove`.
//! - `dispatch`: queues what the pace can take until the next dispatch
//!   (`dispatch_budget` from the campaign's pace, `DISPATCH_INTERVAL_SECS`,
//!   the queue's depth and `MAX_DISPATCH_BATCH`), then reports progress;
//!   `dispatched` is how many tasks were queued.
//! - `progress`: counts contacts and completes the campaign when every contact
//!   is finished or its end has passed; `phase` tells the workflow what next.
//!
//! Errors carry a stable `error_type` (see `lambda_kit::error`).

use std::sync::Arc;

use campaign_aws::{AwsPorts, RandomIds};
use campaign_core::campaign::CampaignStatus;
use campaign_core::clock::Clock;
use campaign_core::ids::CampaignId;
use campaign_core::messages::{MESSAGE_VERSION, WorkflowState};
use campaign_core::optimal_time::CallTimeModel;
use campaign_core::ports::{
    AuditLog, BlacklistStore, CampaignStore, ContactStore, Counters, DialQueue, IdGenerator,
};
use campaign_core::usecases::dispatch::{Dispatch, dispatch_budget};
use campaign_core::usecases::lifecycle::{Lifecycle, validate_settings};
use campaign_core::usecases::progress::Progress;
use campaign_core::usecases::{UseCaseError, load_campaign};
use chrono::{DateTime, Utc};
use lambda_kit::FunctionError;
use lambda_kit::config::{env_lookup, parsed, required, table_prefix};
use lambda_runtime::LambdaEvent;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

pub const FUNCTION: &str = "dispatcher";

/// Every environment variable [`Config`] reads (the deployment sets each).
pub const ENV_VARS: &[&str] = &[
    "CAMPAIGN_TABLE_PREFIX",
    "DIAL_QUEUE_URL",
    "DISPATCH_INTERVAL_SECS",
    "MAX_DISPATCH_BATCH",
];

/// The function's settings, from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `CAMPAIGN_TABLE_PREFIX` (`campaign-`).
    pub table_prefix: String,
    /// `DIAL_QUEUE_URL` (required): the SQS queue the Pipe consumes.
    pub dial_queue_url: String,
    /// `DISPATCH_INTERVAL_SECS` (60): the workflow's wait between dispatches;
    /// each dispatch queues about this many seconds of work at the campaign's pace.
    pub dispatch_interval_secs: u32,
    /// `MAX_DISPATCH_BATCH` (10000): most tasks one dispatch queues.
    pub max_dispatch_batch: u32,
}

impl Config {
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(&env_lookup)
    }

    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        Ok(Self {
            table_prefix: table_prefix(lookup),
            dial_queue_url: required(lookup, "DIAL_QUEUE_URL")?,
            dispatch_interval_secs: parsed(lookup, "DISPATCH_INTERVAL_SECS", 60)?,
            max_dispatch_batch: parsed(lookup, "MAX_DISPATCH_BATCH", 10_000)?,
        })
    }
}

/// The ports the three tasks use (and the function's IAM policy allows).
pub struct Deps {
    pub campaigns: Arc<dyn CampaignStore>,
    pub contacts: Arc<dyn ContactStore>,
    pub blacklist: Arc<dyn BlacklistStore>,
    pub queue: Arc<dyn DialQueue>,
    pub counters: Arc<dyn Counters>,
    pub audit: Arc<dyn AuditLog>,
    pub ids: Arc<dyn IdGenerator>,
    pub clock: Arc<dyn Clock>,
    pub model: CallTimeModel,
}

/// The AWS adapters: DynamoDB stores, audit log and counters, the SQS dial
/// queue, random ids, the system clock. Built once per container.
pub async fn build_deps(config: &Config) -> anyhow::Result<Deps> {
    let aws = AwsPorts::connect(&config.table_prefix).await;
    Ok(Deps {
        campaigns: aws.campaigns(),
        contacts: aws.contacts(),
        blacklist: aws.blacklist(),
        queue: aws.dial_queue(&config.dial_queue_url),
        counters: aws.counters(),
        audit: aws.audit(),
        ids: Arc::new(RandomIds),
        clock: aws.clock.clone(),
        model: CallTimeModel::default(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Validate,
    Dispatch,
    Progress,
}

/// The task's input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub task: Task,
    pub state: StateRef,
}

/// The part of a `WorkflowInput` or `WorkflowState` the tasks read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateRef {
    pub version: u32,
    pub campaign_id: CampaignId,
    #[serde(default)]
    pub scheduled_start: Option<DateTime<Utc>>,
}

/// Decodes a request, with the reason when it is not one.
pub fn decode(payload: serde_json::Value) -> Result<Request, FunctionError> {
    let request: Request = serde_json::from_value(payload)
        .map_err(|e| FunctionError::invalid(format!("dispatcher request: {e}")))?;
    if request.state.version != MESSAGE_VERSION {
        return Err(FunctionError::invalid(format!(
            "state version {} is not supported (expected {MESSAGE_VERSION})",
            request.state.version
        )));
    }
    Ok(request)
}

/// The handler `main` runs for every invocation.
pub async fn handler(
    deps: &Deps,
    config: &Config,
    event: LambdaEvent<serde_json::Value>,
) -> Result<WorkflowState, FunctionError> {
    let span = lambda_kit::invocation_span(FUNCTION, &event.context);
    async move {
        let result = run(deps, config, event.payload).await;
        match &result {
            Ok(state) => tracing::info!(
                campaign_id = %state.campaign_id,
                phase = ?state.phase,
                status = state.campaign_status.as_str(),
                dispatched = state.dispatched,
                terminal = state.terminal_contacts,
                total = state.total_contacts,
                "task done"
            ),
            Err(e) => tracing::error!(error_type = e.error_type(), error = %e.message_chain(), "task failed"),
        }
        result
    }
    .instrument(span)
    .await
}

async fn run(
    deps: &Deps,
    config: &Config,
    payload: serde_json::Value,
) -> Result<WorkflowState, FunctionError> {
    let request = decode(payload)?;
    let id = &request.state.campaign_id;
    tracing::info!(task = ?request.task, campaign_id = %id, "task");
    match request.task {
        Task::Validate => validate(deps, &request.state).await,
        Task::Dispatch => dispatch(deps, config, id).await,
        Task::Progress => Ok(progress(deps).run(id).await?),
    }
}

fn lifecycle(deps: &Deps) -> Lifecycle<'_> {
    Lifecycle {
        campaigns: &*deps.campaigns,
        audit: &*deps.audit,
        ids: &*deps.ids,
        clock: &*deps.clock,
    }
}

fn progress(deps: &Deps) -> Progress<'_> {
    Progress {
        campaigns: &*deps.campaigns,
        contacts: &*deps.contacts,
        audit: &*deps.audit,
        ids: &*deps.ids,
        clock: &*deps.clock,
    }
}

async fn validate(deps: &Deps, state: &StateRef) -> Result<WorkflowState, FunctionError> {
    let campaign = load_campaign(&*deps.campaigns, &state.campaign_id).await?;
    let problems = validate_settings(campaign.kind, &campaign.settings);
    if !problems.is_empty() {
        return Err(UseCaseError::Invalid(problems).into());
    }
    match campaign.status {
        CampaignStatus::Draft | CampaignStatus::Scheduled => {
            lifecycle(deps).start(&campaign.id, "workflow").await?;
            tracing::info!(campaign_id = %campaign.id, "campaign started");
        }
        CampaignStatus::Active | CampaignStatus::Paused => {}
        CampaignStatus::Completed
        | CampaignStatus::Cancelled
        | CampaignStatus::Failed
        | CampaignStatus::Archived => {
            // The same move the lifecycle refuses, with its message.
            lifecycle(deps).start(&campaign.id, "workflow").await?;
        }
    }
    let mut out = progress(deps).run(&campaign.id).await?;
    // The campaign's own start wins; the workflow input's is a fallback.
    out.scheduled_start = out.scheduled_start.or(state.scheduled_start);
    Ok(out)
}

async fn dispatch(
    deps: &Deps,
    config: &Config,
    id: &CampaignId,
) -> Result<WorkflowState, FunctionError> {
    let campaign = load_campaign(&*deps.campaigns, id).await?;
    let depth = deps.queue.depth().await?;
    let budget = dispatch_budget(
        campaign.settings.pace,
        config.dispatch_interval_secs,
        depth,
        config.max_dispatch_batch,
    );
    let outcome = Dispatch {
        campaigns: &*deps.campaigns,
        contacts: &*deps.contacts,
        blacklist: &*deps.blacklist,
        queue: &*deps.queue,
        counters: &*deps.counters,
        clock: &*deps.clock,
        model: &deps.model,
    }
    .run(id, budget)
    .await?;
    tracing::info!(
        campaign_id = %id,
        queue_depth = depth,
        budget,
        queued = outcome.queued,
        blacklisted = outcome.blacklisted,
        deferred = outcome.deferred,
        exhausted = outcome.exhausted,
        "dispatched"
    );
    let mut state = progress(deps).run(id).await?;
    state.dispatched = outcome.queued;
    Ok(state)
}
