//! Creating a whole stack's resources on the local AWS emulator: tables,
//! the dial and originate queues, the three event topics each with its
//! subscribed queue (raw delivery, as the SAM template subscribes them), and
//! the buckets. The tests' end-to-end flow and `emulator-stack` (the binary
//! a tester runs before `cargo lambda watch`) use it. On AWS, Terraform and
//! SAM own these resources; this is never run against a real account.

use std::collections::BTreeMap;

use aws_sdk_sqs::types::QueueAttributeName;

use crate::config::Clients;
use crate::dynamodb::TableNames;
use crate::dynamodb::schema::create_tables;
use crate::sns::Topics;

/// Everything a stack's functions are configured with.
#[derive(Debug, Clone)]
pub struct Stack {
    pub prefix: String,
    pub tables: TableNames,
    pub dial_queue_url: String,
    pub originate_queue_url: String,
    pub topics: Topics,
    /// The queue subscribed to each topic: `call-events`, `donation-events`,
    /// `optout-events` (what call-events, sms-tts-fallback and blacklist consume).
    pub subscribed: BTreeMap<&'static str, String>,
    pub reports_bucket: String,
    pub tts_cache_bucket: String,
    /// Contact files and import records (api-handler, contact-importer).
    pub uploads_bucket: String,
}

pub const TOPICS: [&str; 3] = ["call-events", "donation-events", "optout-events"];

/// Creates the resources named `<prefix>...`. `prefix` must be lowercase
/// letters, digits and dashes (it names buckets too).
pub async fn provision(clients: &Clients, prefix: &str) -> Result<Stack, String> {
    let tables = TableNames::with_prefix(&format!("{prefix}-"));
    create_tables(&clients.dynamodb, &tables)
        .await
        .map_err(|e| format!("tables: {e}"))?;
    let dial_queue_url = create_queue(clients, &format!("{prefix}-dial-tasks")).await?;
    let originate_queue_url = create_queue(clients, &format!("{prefix}-originate")).await?;
    let mut arns = BTreeMap::new();
    let mut subscribed = BTreeMap::new();
    for topic in TOPICS {
        let (arn, url) = topic_with_queue(clients, &format!("{prefix}-{topic}")).await?;
        arns.insert(topic, arn);
        subscribed.insert(topic, url);
    }
    let topics = Topics {
        call_events: arns["call-events"].clone(),
        donation_events: arns["donation-events"].clone(),
        optout_events: arns["optout-events"].clone(),
    };
    let reports_bucket = create_bucket(clients, &format!("{prefix}-reports")).await?;
    let tts_cache_bucket = create_bucket(clients, &format!("{prefix}-tts-cache")).await?;
    let uploads_bucket = create_bucket(clients, &format!("{prefix}-uploads")).await?;
    Ok(Stack {
        prefix: prefix.to_owned(),
        tables,
        dial_queue_url,
        originate_queue_url,
        topics,
        subscribed,
        reports_bucket,
        tts_cache_bucket,
        uploads_bucket,
    })
}

impl Stack {
    /// The functions' environment for this stack (the names their configs
    /// read; see each function's `ENV_VARS`).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("CAMPAIGN_TABLE_PREFIX", format!("{}-", self.prefix)),
            ("DIAL_QUEUE_URL", self.dial_queue_url.clone()),
            ("ORIGINATE_QUEUE_URL", self.originate_queue_url.clone()),
            ("TELEPHONY_PROVIDER", "asterisk".into()),
            ("CALL_EVENTS_TOPIC_ARN", self.topics.call_events.clone()),
            (
                "DONATION_EVENTS_TOPIC_ARN",
                self.topics.donation_events.clone(),
            ),
            ("OPTOUT_EVENTS_TOPIC_ARN", self.topics.optout_events.clone()),
            // sms-tts-fallback's own queue: a TTS call that cannot go now is
            // handed back there.
            (
                "FOLLOW_UP_QUEUE_URL",
                self.subscribed["donation-events"].clone(),
            ),
            ("REPORTS_BUCKET", self.reports_bucket.clone()),
            ("TTS_CACHE_BUCKET", self.tts_cache_bucket.clone()),
            ("UPLOADS_BUCKET", self.uploads_bucket.clone()),
            ("SMS_PROVIDER", "sns".into()),
        ]
    }
}

pub async fn create_queue(clients: &Clients, name: &str) -> Result<String, String> {
    clients
        .sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| format!("queue {name}: {e:?}"))?
        .queue_url()
        .map(str::to_owned)
        .ok_or_else(|| format!("queue {name}: no url"))
}

/// A topic and a queue subscribed to it with raw message delivery; returns
/// `(topic arn, queue url)`.
pub async fn topic_with_queue(clients: &Clients, name: &str) -> Result<(String, String), String> {
    let arn = clients
        .sns
        .create_topic()
        .name(name)
        .send()
        .await
        .map_err(|e| format!("topic {name}: {e:?}"))?
        .topic_arn()
        .map(str::to_owned)
        .ok_or_else(|| format!("topic {name}: no arn"))?;
    let url = create_queue(clients, name).await?;
    let queue_arn = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| format!("queue {name} attributes: {e:?}"))?
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .ok_or_else(|| format!("queue {name}: no arn"))?;
    clients
        .sns
        .subscribe()
        .topic_arn(&arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .map_err(|e| format!("subscribe {name}: {e:?}"))?;
    Ok((arn, url))
}

pub async fn create_bucket(clients: &Clients, name: &str) -> Result<String, String> {
    clients
        .s3
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .map_err(|e| format!("bucket {name}: {e:?}"))?;
    Ok(name.to_owned())
}
