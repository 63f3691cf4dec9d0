//! Editing and cloning campaigns, with the impact rules for running ones.
//!
//! A draft or scheduled campaign may change anything (the result must still
//! validate). An active or paused one may change what only affects calls
//! not yet placed — name, pace, retry rules, calling windows and end, SMS /
//! TTS texts, caller id, ring time — and each change's `impact` says when it
//! takes effect. What the people being called hear and how they are reached
//! (audio, IVR flow, carrier) is locked while it runs: pause and clone to
//! change those. A finished campaign is read-only. Every edit is written
//! with optimistic concurrency and audited with its before and after.

use serde::{Deserialize, Serialize};

use crate::campaign::{Campaign, CampaignSettings, CampaignStatus, Carrier};
use crate::ids::CampaignId;
use crate::ivr::IvrFlow;
use crate::pacing::PaceLimits;
use crate::ports::{AuditLog, AuditRecord, CampaignStore, Clock, IdGenerator, PortError};
use crate::retry::RetryPolicy;
use crate::schedule::Schedule;

use super::lifecycle::{Lifecycle, NewCampaign, validate_settings};
use super::{UseCaseError, load_campaign};

/// A partial update: absent fields keep their value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    /// When set, the update applies only if the stored version still is this
    /// one (otherwise `Conflict`): a client's edit cannot silently undo
    /// another's.
    pub version: Option<u64>,
    pub name: Option<String>,
    pub audio: Option<String>,
    pub ivr: Option<IvrFlow>,
    pub sms_template: Option<String>,
    pub tts_template: Option<String>,
    pub schedule: Option<Schedule>,
    pub pace: Option<PaceLimits>,
    pub retry: Option<RetryPolicy>,
    pub carrier: Option<Carrier>,
    pub caller_id: Option<String>,
    pub ring_timeout_secs: Option<u32>,
}

/// Why an edit was refused.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// 409: the campaign's status does not allow these fields to change.
    #[error("{} cannot change while the campaign is {status}", fields.join(", "))]
    Locked {
        status: CampaignStatus,
        fields: Vec<&'static str>,
    },
    /// 409: the stored version is not the one the client edited.
    #[error("campaign {id} is at version {found}, not {expected}")]
    VersionMismatch {
        id: CampaignId,
        expected: u64,
        found: u64,
    },
    #[error(transparent)]
    UseCase(#[from] UseCaseError),
}

impl From<PortError> for EditError {
    fn from(e: PortError) -> Self {
        EditError::UseCase(e.into())
    }
}

/// An edit's result: the campaign as stored and when each change applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditOutcome {
    pub campaign: Campaign,
    /// One line per changed field, e.g. `pace: from the next dispatch`.
    pub impact: Vec<String>,
}

/// Fields locked while a campaign runs.
const LOCKED_WHILE_RUNNING: [&str; 3] = ["audio", "ivr", "carrier"];

impl CampaignPatch {
    /// The names of the fields this patch sets.
    pub fn fields(&self) -> Vec<&'static str> {
        let mut f = Vec::new();
        let mut add = |set: bool, name| {
            if set {
                f.push(name)
            }
        };
        add(self.name.is_some(), "name");
        add(self.audio.is_some(), "audio");
        add(self.ivr.is_some(), "ivr");
        add(self.sms_template.is_some(), "sms_template");
        add(self.tts_template.is_some(), "tts_template");
        add(self.schedule.is_some(), "schedule");
        add(self.pace.is_some(), "pace");
        add(self.retry.is_some(), "retry");
        add(self.carrier.is_some(), "carrier");
        add(self.caller_id.is_some(), "caller_id");
        add(self.ring_timeout_secs.is_some(), "ring_timeout_secs");
        f
    }

    fn apply(&self, c: &mut Campaign) {
        let s: &mut CampaignSettings = &mut c.settings;
        if let Some(v) = &self.name {
            c.name = v.trim().to_owned();
        }
        if let Some(v) = &self.audio {
            s.audio = Some(v.clone());
        }
        if let Some(v) = &self.ivr {
            s.ivr = Some(v.clone());
        }
        if let Some(v) = &self.sms_template {
            s.sms_template = Some(v.clone());
        }
        if let Some(v) = &self.tts_template {
            s.tts_template = Some(v.clone());
        }
        if let Some(v) = &self.schedule {
            s.schedule = v.clone();
        }
        if let Some(v) = self.pace {
            s.pace = v;
        }
        if let Some(v) = &self.retry {
            s.retry = v.clone();
        }
        if let Some(v) = self.carrier {
            s.carrier = v;
        }
        if let Some(v) = &self.caller_id {
            s.caller_id = Some(v.clone());
        }
        if let Some(v) = self.ring_timeout_secs {
            s.ring_timeout_secs = v;
        }
    }
}

/// When a field's change takes effect on a running campaign.
fn impact_of(field: &str) -> &'static str {
    match field {
        "pace" => "from the next dispatch; calls in progress keep their slots",
        "retry" => "for attempts that end from now on",
        "schedule" => "from the next dispatch; queued calls outside the new windows wait",
        "sms_template" | "tts_template" => "for follow-ups sent from now on",
        "caller_id" | "ring_timeout_secs" => "for calls placed from now on",
        _ => "now",
    }
}

pub struct EditCampaign<'a> {
    pub campaigns: &'a dyn CampaignStore,
    pub audit: &'a dyn AuditLog,
    pub ids: &'a dyn IdGenerator,
    pub clock: &'a dyn Clock,
}

impl EditCampaign<'_> {
    pub async fn update(
        &self,
        id: &CampaignId,
        patch: &CampaignPatch,
        actor: &str,
    ) -> Result<EditOutcome, EditError> {
        let fields = patch.fields();
        if fields.is_empty() {
            return Err(UseCaseError::Invalid(vec!["body: no field to change".into()]).into());
        }
        if patch.name.as_ref().is_some_and(|n| n.trim().is_empty()) {
            return Err(UseCaseError::Invalid(vec!["name: must not be empty".into()]).into());
        }
        for _ in 0..3 {
            let before = load_campaign(self.campaigns, id).await?;
            if let Some(expected) = patch.version
                && expected != before.version
            {
                return Err(EditError::VersionMismatch {
                    id: id.clone(),
                    expected,
                    found: before.version,
                });
            }
            let running = matches!(
                before.status,
                CampaignStatus::Active | CampaignStatus::Paused
            );
            let locked: Vec<&'static str> = if before.status.is_finished() {
                fields.clone()
            } else if running {
                fields
                    .iter()
                    .copied()
                    .filter(|f| LOCKED_WHILE_RUNNING.contains(f))
                    .collect()
            } else {
                Vec::new()
            };
            if !locked.is_empty() {
                return Err(EditError::Locked {
                    status: before.status,
                    fields: locked,
                });
            }
            let mut after = before.clone();
            patch.apply(&mut after);
            if running && after.settings.schedule.start != before.settings.schedule.start {
                return Err(EditError::Locked {
                    status: before.status,
                    fields: vec!["schedule.start"],
                });
            }
            let problems = validate_settings(after.kind, &after.settings);
            if !problems.is_empty() {
                return Err(UseCaseError::Invalid(problems).into());
            }
            let now = self.clock.now();
            after.updated_at = now;
            after.version = before.version + 1;
            match self.campaigns.update(&after, before.version).await {
                Ok(()) => {}
                Err(PortError::Conflict(_)) if patch.version.is_none() => continue,
                Err(e) => return Err(e.into()),
            }
            let record = AuditRecord::change(
                now,
                actor,
                "campaign.update",
                format!("campaign/{id}"),
                Some(&before),
                Some(&after),
            );
            self.audit.append(&record).await?;
            let impact = fields
                .iter()
                .map(|f| {
                    if running {
                        format!("{f}: {}", impact_of(f))
                    } else {
                        format!("{f}: when the campaign starts")
                    }
                })
                .collect();
            return Ok(EditOutcome {
                campaign: after,
                impact,
            });
        }
        Err(UseCaseError::Port(PortError::Conflict(format!(
            "campaign {id} kept changing while being updated"
        )))
        .into())
    }

    /// A new draft with the same kind and settings (no start time), named
    /// `name` or "<name> (copy)". Contacts are not copied.
    pub async fn clone_campaign(
        &self,
        id: &CampaignId,
        name: Option<String>,
        actor: &str,
    ) -> Result<Campaign, UseCaseError> {
        let source = load_campaign(self.campaigns, id).await?;
        let mut settings = source.settings.clone();
        settings.schedule.start = None;
        let lifecycle = Lifecycle {
            campaigns: self.campaigns,
            audit: self.audit,
            ids: self.ids,
            clock: self.clock,
        };
        let copy = lifecycle
            .create(
                NewCampaign {
                    name: name.unwrap_or_else(|| format!("{} (copy)", source.name)),
                    kind: source.kind,
                    settings,
                },
                actor,
            )
            .await?;
        let record = AuditRecord::change(
            copy.created_at,
            actor,
            "campaign.clone",
            format!("campaign/{}", copy.id),
            Some(&source),
            Some(&copy),
        );
        self.audit.append(&record).await?;
        Ok(copy)
    }
}
