//! Campaign creation, validation and guarded lifecycle moves. Every change is
//! written with optimistic concurrency and leaves an audit record.

use chrono::{DateTime, Utc};

use crate::campaign::{
    Campaign, CampaignKind, CampaignSettings, CampaignStatus, LifecycleAction, transition,
};
use crate::ids::CampaignId;
use crate::ivr::IvrFlow;
use crate::ports::{AuditLog, AuditRecord, CampaignStore, Clock, IdGenerator};
use crate::template::Template;

use super::{UseCaseError, UseCaseResult, load_campaign};

/// Everything wrong with a campaign's settings (empty when it may start).
pub fn validate_settings(kind: CampaignKind, settings: &CampaignSettings) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = settings.schedule.validate() {
        problems.push(format!("schedule: {e}"));
    }
    if let Err(e) = settings.retry.validate() {
        problems.push(format!("retry: {e}"));
    }
    if settings.pace.calls_per_second == 0 {
        problems.push("pace: calls_per_second must be at least 1".into());
    }
    if settings.pace.max_concurrent == 0 {
        problems.push("pace: max_concurrent must be at least 1".into());
    }
    if matches!(kind, CampaignKind::Voice | CampaignKind::Hybrid) {
        match (&settings.ivr, &settings.audio) {
            (Some(flow), _) => {
                if let Err(errors) = flow.validate() {
                    problems.extend(errors.into_iter().map(|e| format!("ivr: {e}")));
                }
            }
            (None, None) => problems
                .push("audio: a voice campaign needs an audio message or an IVR flow".into()),
            (None, Some(_)) => {}
        }
    }
    let needs_sms = matches!(kind, CampaignKind::Sms | CampaignKind::Hybrid);
    match &settings.sms_template {
        Some(t) => {
            if let Err(e) = Template::parse(t) {
                problems.push(format!("sms_template: {e}"));
            }
        }
        None if needs_sms => {
            problems.push("sms_template: required for SMS and hybrid campaigns".into())
        }
        None => {}
    }
    if let Some(t) = &settings.tts_template
        && let Err(e) = Template::parse(t)
    {
        problems.push(format!("tts_template: {e}"));
    }
    problems
}

/// The IVR flow a campaign runs: its own, or the standard one around its audio.
pub fn effective_flow(settings: &CampaignSettings) -> IvrFlow {
    match (&settings.ivr, &settings.audio) {
        (Some(flow), _) => flow.clone(),
        (None, Some(audio)) => IvrFlow::standard(audio),
        (None, None) => IvrFlow::standard("sound:campaign-message"),
    }
}

pub struct NewCampaign {
    pub name: String,
    pub kind: CampaignKind,
    pub settings: CampaignSettings,
}

/// Creates, moves and audits campaigns.
pub struct Lifecycle<'a> {
    pub campaigns: &'a dyn CampaignStore,
    pub audit: &'a dyn AuditLog,
    pub ids: &'a dyn IdGenerator,
    pub clock: &'a dyn Clock,
}

impl Lifecycle<'_> {
    /// Creates a draft. Settings are checked now so mistakes surface early.
    pub async fn create(&self, new: NewCampaign, actor: &str) -> UseCaseResult<Campaign> {
        if new.name.trim().is_empty() {
            return Err(UseCaseError::Invalid(vec![
                "name: must not be empty".into(),
            ]));
        }
        let problems = validate_settings(new.kind, &new.settings);
        if !problems.is_empty() {
            return Err(UseCaseError::Invalid(problems));
        }
        let now = self.clock.now();
        let campaign = Campaign {
            id: CampaignId::new(self.ids.next_id("cmp")),
            name: new.name.trim().to_owned(),
            kind: new.kind,
            status: CampaignStatus::Draft,
            settings: new.settings,
            created_at: now,
            updated_at: now,
            created_by: actor.to_owned(),
            version: 1,
        };
        self.campaigns.create(&campaign).await?;
        self.audit_change(
            actor,
            "campaign.create",
            &campaign.id,
            None,
            Some(&campaign),
            now,
        )
        .await?;
        Ok(campaign)
    }

    pub async fn get(&self, id: &CampaignId) -> UseCaseResult<Campaign> {
        load_campaign(self.campaigns, id).await
    }

    /// Schedules a draft to start at `start` (kept in its schedule).
    pub async fn schedule(
        &self,
        id: &CampaignId,
        start: DateTime<Utc>,
        actor: &str,
    ) -> UseCaseResult<Campaign> {
        self.apply(id, LifecycleAction::Schedule, actor, |c| {
            c.settings.schedule.start = Some(start);
            let problems = validate_settings(c.kind, &c.settings);
            if problems.is_empty() {
                Ok(())
            } else {
                Err(UseCaseError::Invalid(problems))
            }
        })
        .await
    }

    /// Starts (from draft or scheduled) after validating the settings.
    pub async fn start(&self, id: &CampaignId, actor: &str) -> UseCaseResult<Campaign> {
        self.apply(id, LifecycleAction::Start, actor, |c| {
            let problems = validate_settings(c.kind, &c.settings);
            if problems.is_empty() {
                Ok(())
            } else {
                Err(UseCaseError::Invalid(problems))
            }
        })
        .await
    }

    /// Any other move (pause, resume, cancel, complete, fail, archive).
    pub async fn perform(
        &self,
        id: &CampaignId,
        action: LifecycleAction,
        actor: &str,
    ) -> UseCaseResult<Campaign> {
        match action {
            LifecycleAction::Start => self.start(id, actor).await,
            _ => self.apply(id, action, actor, |_| Ok(())).await,
        }
    }

    async fn apply(
        &self,
        id: &CampaignId,
        action: LifecycleAction,
        actor: &str,
        check: impl Fn(&mut Campaign) -> UseCaseResult<()>,
    ) -> UseCaseResult<Campaign> {
        // A concurrent writer makes the conditional update fail: re-read and
        // re-apply a few times before giving up.
        for _ in 0..3 {
            let before = self.get(id).await?;
            let mut after = before.clone();
            after.status = transition(before.status, action)?;
            check(&mut after)?;
            let now = self.clock.now();
            after.updated_at = now;
            after.version = before.version + 1;
            match self.campaigns.update(&after, before.version).await {
                Ok(()) => {
                    let what = format!("campaign.{}", action.as_str());
                    self.audit_change(actor, &what, id, Some(&before), Some(&after), now)
                        .await?;
                    return Ok(after);
                }
                Err(crate::ports::PortError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(UseCaseError::Port(crate::ports::PortError::Conflict(
            format!(
                "campaign {id} kept changing while applying {}",
                action.as_str()
            ),
        )))
    }

    async fn audit_change(
        &self,
        actor: &str,
        action: &str,
        id: &CampaignId,
        before: Option<&Campaign>,
        after: Option<&Campaign>,
        at: DateTime<Utc>,
    ) -> UseCaseResult<()> {
        let record =
            AuditRecord::change(at, actor, action, format!("campaign/{id}"), before, after);
        self.audit.append(&record).await?;
        Ok(())
    }
}
