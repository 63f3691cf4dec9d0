//! Every port contract suite of `campaign-core` run against the AWS
//! adapters on a local AWS emulator (moto server). `tests/run` starts the
//! emulator and sets `AWS_ENDPOINT_URL`; without it these tests fail
//! (`campaign_aws::config::emulator_endpoint`) unless `SKIP_EMULATOR_TESTS=1`
//! asks to skip them. Each test creates its own uniquely named tables, queues,
//! topics and buckets.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use aws_sdk_polly::operation::synthesize_speech::SynthesizeSpeechOutput;
use aws_sdk_polly::primitives::ByteStream;
use aws_smithy_mocks::{MockResponseInterceptor, RuleMode, create_mock_http_client, mock};
use campaign_aws::dynamodb::schema::{create_tables, delete_tables};
use campaign_aws::provision;
use campaign_aws::sns::decode_event;
use campaign_aws::telephony::{COMMAND_ATTRIBUTE, HANG_UP, ORIGINATE};
use campaign_aws::{
    AwsConfig, Clients, DynamoAuditLog, DynamoBlacklistStore, DynamoCallRecordStore,
    DynamoCampaignStore, DynamoContactStore, DynamoCounters, PollySynthesizer, PollyVoice,
    Resilience, S3Objects, SecretsManagerSecrets, SnsEventBus, SnsSms, SqsDialQueue,
    SqsDialQueueConsumer, SqsOriginateQueue, TableNames, Topics,
};
use campaign_core::clock::{ManualClock, SystemClock};
use campaign_core::contracts::{self, BusObserver, Timeline};
use campaign_core::messages::{HangUpCommand, Message, OriginateCommand};
use campaign_core::ports::{BusEvent, ObjectStore, Secrets, SpeechSynthesizer, Telephony};
use chrono::{DateTime, Duration, Utc};

/// The emulator's clients, or `None` (with a note) when there is none.
async fn emulator(test: &str) -> Option<Clients> {
    campaign_aws::config::emulator_endpoint(test)?;
    Some(AwsConfig::default().clients().await)
}

/// A name unique to this run and test (valid for tables, queues, topics,
/// buckets and secrets: lowercase letters, digits and dashes).
fn unique(tag: &str) -> String {
    format!(
        "t{}-{:06x}-{tag}",
        Utc::now().timestamp_millis(),
        rand::random::<u32>() & 0xff_ffff
    )
}

async fn tables(clients: &Clients, ns: &str) -> TableNames {
    let names = TableNames::with_prefix(&format!("{ns}-"));
    create_tables(&clients.dynamodb, &names)
        .await
        .expect("create the tables on the emulator");
    names
}

async fn drop_tables(clients: &Clients, names: &TableNames) {
    if let Err(e) = delete_tables(&clients.dynamodb, names).await {
        eprintln!("note: clean-up of tables failed: {e}");
    }
}

// ---------------------------------------------------------------- stores

#[tokio::test]
async fn campaign_store_contract() {
    let Some(clients) = emulator("campaign_store_contract").await else {
        return;
    };
    let ns = unique("cmp");
    let names = tables(&clients, &ns).await;
    let store = DynamoCampaignStore::new(clients.dynamodb.clone(), &names.campaigns);
    contracts::campaign_store(&store, &ns).await;
    contracts::campaign_store(&store, &format!("{ns}-again")).await;
    drop_tables(&clients, &names).await;
}

#[tokio::test]
async fn contact_store_contract() {
    let Some(clients) = emulator("contact_store_contract").await else {
        return;
    };
    let ns = unique("ct");
    let names = tables(&clients, &ns).await;
    let store = DynamoContactStore::new(clients.dynamodb.clone(), &names.contacts, &names.counters);
    contracts::contact_store(&store, &ns).await;
    contracts::contact_store(&store, &format!("{ns}-again")).await;
    drop_tables(&clients, &names).await;
}

#[tokio::test]
async fn contact_import_larger_than_one_transaction_counts_once() {
    use campaign_core::contracts::{contact_fixture, ns_phone};
    use campaign_core::ids::CampaignId;
    use campaign_core::ports::ContactStore;
    let Some(clients) = emulator("contact_import_larger_than_one_transaction").await else {
        return;
    };
    let ns = unique("imp");
    let names = tables(&clients, &ns).await;
    let store = DynamoContactStore::new(clients.dynamodb.clone(), &names.contacts, &names.counters);
    let camp = CampaignId::new(format!("{ns}-c"));
    let contacts: Vec<_> = (0..120u32)
        .map(|i| contact_fixture(&camp, &format!("k{i:03}"), ns_phone(&ns, i)))
        .collect();
    // The first 70 exist already: the next import of all 120 adds 50.
    assert_eq!(store.insert_many(&contacts[..70]).await.unwrap(), 70);
    assert_eq!(store.insert_many(&contacts).await.unwrap(), 50);
    assert_eq!(store.insert_many(&contacts).await.unwrap(), 0);
    let counts = store.count_by_status(&camp).await.unwrap();
    assert_eq!(counts.pending, 120, "each contact is counted once");
    assert_eq!(counts.total(), 120);
    drop_tables(&clients, &names).await;
}

#[tokio::test]
async fn blacklist_store_contract() {
    let Some(clients) = emulator("blacklist_store_contract").await else {
        return;
    };
    let ns = unique("bl");
    let names = tables(&clients, &ns).await;
    let store = DynamoBlacklistStore::new(clients.dynamodb.clone(), &names.blacklist);
    contracts::blacklist_store(&store, &ns).await;
    contracts::blacklist_store(&store, &format!("{ns}-again")).await;
    drop_tables(&clients, &names).await;
}

#[tokio::test]
async fn call_record_store_contract() {
    let Some(clients) = emulator("call_record_store_contract").await else {
        return;
    };
    let ns = unique("cr");
    let names = tables(&clients, &ns).await;
    let store = DynamoCallRecordStore::new(clients.dynamodb.clone(), &names.call_records);
    contracts::call_record_store(&store, &ns).await;
    drop_tables(&clients, &names).await;
}

#[tokio::test]
async fn audit_log_contract() {
    let Some(clients) = emulator("audit_log_contract").await else {
        return;
    };
    let ns = unique("au");
    let names = tables(&clients, &ns).await;
    let log = DynamoAuditLog::new(clients.dynamodb.clone(), &names.audit);
    contracts::audit_log(&log, &ns).await;
    drop_tables(&clients, &names).await;
}

#[tokio::test]
async fn counters_contract() {
    let Some(clients) = emulator("counters_contract").await else {
        return;
    };
    let ns = unique("cn");
    let names = tables(&clients, &ns).await;
    let counters = DynamoCounters::new(clients.dynamodb.clone(), &names.counters);
    contracts::counters(&counters, &format!("{ns}-1")).await;
    contracts::counters(&counters, &format!("{ns}-2")).await;
    drop_tables(&clients, &names).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slots_hold_their_limit_under_contention() {
    use campaign_core::ports::Counters;
    let Some(clients) = emulator("slots_hold_their_limit_under_contention").await else {
        return;
    };
    let ns = unique("race");
    let names = tables(&clients, &ns).await;
    let counters = Arc::new(DynamoCounters::new(
        clients.dynamodb.clone(),
        &names.counters,
    ));
    let now = contracts::base_time();
    let lease = now + Duration::minutes(15);
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let c = counters.clone();
            let scope = format!("{ns}/slots");
            tokio::spawn(async move {
                c.acquire_slot(&scope, &format!("h{i}"), 5, now, lease)
                    .await
            })
        })
        .collect();
    let mut taken = 0;
    for t in tasks {
        if t.await.expect("task").expect("acquire") {
            taken += 1;
        }
    }
    assert_eq!(
        taken, 5,
        "exactly the limit is granted to concurrent takers"
    );
    assert_eq!(
        counters
            .active_slots(&format!("{ns}/slots"), now)
            .await
            .unwrap(),
        5
    );
    drop_tables(&clients, &names).await;
}

// ---------------------------------------------------------------- messaging

/// Real time: SQS's visibility timeouts run on the wall clock.
struct RealTime;

#[async_trait]
impl Timeline for RealTime {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    async fn wait(&self, d: Duration) {
        tokio::time::sleep(d.to_std().unwrap_or_default()).await;
    }
}

async fn create_queue(clients: &Clients, name: &str) -> String {
    provision::create_queue(clients, name)
        .await
        .expect("create a queue on the emulator")
}

#[tokio::test]
async fn dial_queue_contract() {
    let Some(clients) = emulator("dial_queue_contract").await else {
        return;
    };
    let ns = unique("q");
    let url = create_queue(&clients, &format!("{ns}-dial")).await;
    let queue = SqsDialQueue::new(clients.sqs.clone(), &url);
    let consumer = SqsDialQueueConsumer::new(clients.sqs.clone(), &url);
    contracts::dial_queue(&queue, &consumer, &RealTime, &ns).await;
    let _ = clients.sqs.delete_queue().queue_url(&url).send().await;
}

/// Reads (and deletes) what reached the SQS queue subscribed to each topic.
struct SubscribedQueues {
    sqs: aws_sdk_sqs::Client,
    queues: HashMap<&'static str, String>,
}

#[async_trait]
impl BusObserver for SubscribedQueues {
    async fn delivered(&self, topic: &str) -> Vec<BusEvent> {
        let Some(url) = self.queues.get(topic) else {
            panic!("no queue subscribed to {topic}");
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(2);
        let mut out = Vec::new();
        loop {
            let r = self
                .sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await
                .expect("receive from a subscribed queue");
            if r.messages().is_empty() {
                if !out.is_empty() || Instant::now() >= deadline {
                    return out;
                }
                continue;
            }
            for m in r.messages() {
                let body = m.body().unwrap_or_default();
                match decode_event(topic, body) {
                    Ok(e) => out.push(e),
                    Err(e) => panic!("a message on {topic} is not its event: {e}: {body}"),
                }
                self.sqs
                    .delete_message()
                    .queue_url(url)
                    .receipt_handle(m.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete a received message");
            }
        }
    }
}

#[tokio::test]
async fn event_bus_contract() {
    let Some(clients) = emulator("event_bus_contract").await else {
        return;
    };
    let ns = unique("bus");
    let mut arns = HashMap::new();
    let mut queues = HashMap::new();
    for topic in provision::TOPICS {
        let (arn, url) = provision::topic_with_queue(&clients, &format!("{ns}-{topic}"))
            .await
            .expect("a topic with its queue");
        arns.insert(topic, arn);
        queues.insert(topic, url);
    }
    let topics = Topics {
        call_events: arns["call-events"].clone(),
        donation_events: arns["donation-events"].clone(),
        optout_events: arns["optout-events"].clone(),
    };
    let bus = SnsEventBus::new(clients.sns.clone(), topics);
    let observer = SubscribedQueues {
        sqs: clients.sqs.clone(),
        queues,
    };
    contracts::event_bus(&bus, &observer, &ns).await;
}

#[tokio::test]
async fn originate_queue_carries_commands_the_bridge_can_route() {
    let Some(clients) = emulator("originate_queue_carries_commands_the_bridge_can_route").await
    else {
        return;
    };
    let ns = unique("orig");
    let url = create_queue(&clients, &format!("{ns}-originate")).await;
    let telephony = SqsOriginateQueue::new(
        clients.sqs.clone(),
        &url,
        Arc::new(Resilience::new(Arc::new(SystemClock))),
    );
    let command: OriginateCommand = serde_json::from_str(include_str!(
        "../../../events/messages/originate-command/campaign-call.json"
    ))
    .expect("the checked-in example");
    let ack = telephony.originate(&command).await.expect("queued");
    assert!(!ack.duplicate);
    assert!(!ack.carrier_call_id.is_empty());
    telephony
        .hang_up(&command.call_id)
        .await
        .expect("hang-up queued");
    let mut received = Vec::new();
    for _ in 0..5 {
        let r = clients
            .sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        for m in r.messages() {
            let kind = m
                .message_attributes()
                .and_then(|a| a.get(COMMAND_ATTRIBUTE))
                .and_then(|v| v.string_value())
                .expect("a command attribute")
                .to_owned();
            received.push((kind, m.body().unwrap_or_default().to_owned()));
        }
        if received.len() >= 2 {
            break;
        }
    }
    received.sort();
    assert_eq!(received.len(), 2, "{received:?}");
    assert_eq!(received[0].0, HANG_UP);
    let hang_up = HangUpCommand::decode(received[0].1.as_bytes()).expect("a hang-up command");
    assert_eq!(hang_up.call_id, command.call_id);
    assert_eq!(received[1].0, ORIGINATE);
    assert_eq!(
        OriginateCommand::decode(received[1].1.as_bytes()).expect("an originate command"),
        command
    );
    let _ = clients.sqs.delete_queue().queue_url(&url).send().await;
}

// ---------------------------------------------------------------- providers

async fn bucket(clients: &Clients, ns: &str) -> String {
    provision::create_bucket(clients, &format!("{ns}-objects"))
        .await
        .expect("create a bucket on the emulator")
}

/// A plain HTTP GET to the emulator (no HTTP client crate needed): status
/// line and body.
fn http_get(url: &str) -> (String, Vec<u8>) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http link");
    let (host, path) = rest.split_at(rest.find('/').expect("a path"));
    let mut stream = std::net::TcpStream::connect(host).expect("connect to the emulator");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read the answer");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.lines().next().unwrap_or_default().to_owned();
    let body = raw[split + 4..].to_vec();
    (status, body)
}

#[tokio::test]
async fn object_store_contract() {
    let Some(clients) = emulator("object_store_contract").await else {
        return;
    };
    let ns = unique("s3");
    let bucket = bucket(&clients, &ns).await;
    let store = S3Objects::new(clients.s3.clone(), &bucket);
    contracts::object_store(&store, &ns).await;

    // The link really reads the object (path-style, on the emulator).
    let key = "reports/link-check.csv";
    store
        .put(key, b"a,b\n1,2\n".to_vec(), "text/csv")
        .await
        .unwrap();
    let url = store.presign_get(key, Duration::minutes(5)).await.unwrap();
    assert!(url.contains("X-Amz-Expires=300"), "the link expires: {url}");
    assert!(
        url.contains(&format!("/{bucket}/{key}")),
        "path-style link: {url}"
    );
    let (status, body) = http_get(&url);
    assert!(status.contains(" 200"), "GET of the link: {status}");
    assert_eq!(body, b"a,b\n1,2\n");
    assert!(
        store.presign_get(key, Duration::days(8)).await.is_err(),
        "S3 links last at most 7 days"
    );
}

#[tokio::test]
async fn secrets_contract_and_cache() {
    let Some(clients) = emulator("secrets_contract_and_cache").await else {
        return;
    };
    let ns = unique("sec");
    let name = format!("{ns}/sms-api-key");
    clients
        .secrets
        .create_secret()
        .name(&name)
        .secret_string("s3cret")
        .send()
        .await
        .expect("create a secret");
    let clock = Arc::new(ManualClock::new(contracts::base_time()));
    let secrets =
        SecretsManagerSecrets::new(clients.secrets.clone(), clock.clone(), Duration::minutes(5));
    contracts::secrets(&secrets, (&name, "s3cret"), &ns).await;

    // A rotated value is seen once the cached one is older than the TTL.
    clients
        .secrets
        .put_secret_value()
        .secret_id(&name)
        .secret_string("rotated")
        .send()
        .await
        .expect("rotate the secret");
    clock.advance(Duration::minutes(4));
    assert_eq!(
        secrets.get(&name).await.unwrap(),
        "s3cret",
        "cached within TTL"
    );
    clock.advance(Duration::minutes(1));
    assert_eq!(
        secrets.get(&name).await.unwrap(),
        "rotated",
        "refreshed after TTL"
    );
    // The rotation moved AWSPREVIOUS to the first value.
    let fresh = format!("{ns}/never-rotated");
    clients
        .secrets
        .create_secret()
        .name(&fresh)
        .secret_string("only")
        .send()
        .await
        .expect("create a secret");
    let uncached =
        SecretsManagerSecrets::new(clients.secrets.clone(), clock.clone(), Duration::minutes(5));
    contracts::secret_versions(&uncached, (&name, "rotated", "s3cret"), (&fresh, "only")).await;
}

#[tokio::test]
async fn sms_gateway_contract() {
    let Some(clients) = emulator("sms_gateway_contract").await else {
        return;
    };
    let ns = unique("sms");
    let sms = SnsSms::new(
        clients.sns.clone(),
        Arc::new(Resilience::new(Arc::new(SystemClock))),
    );
    contracts::sms_gateway(&sms, &ns).await;
}

/// The Polly adapter through the emulator's SynthesizeSpeech (moto checks
/// the request - output format, sample rate, voice, text length - and
/// answers a few bytes of silence as PCM) with the S3 cache on the emulator.
#[tokio::test]
async fn speech_synthesizer_contract_on_the_emulators_polly() {
    let Some(clients) = emulator("speech_synthesizer_contract_on_the_emulators_polly").await else {
        return;
    };
    let ns = unique("polly");
    let bucket = bucket(&clients, &ns).await;
    let objects: Arc<dyn ObjectStore> = Arc::new(S3Objects::new(clients.s3.clone(), &bucket));
    let tts = PollySynthesizer::new(
        clients.polly.clone(),
        objects.clone(),
        format!("s3://{bucket}/"),
        PollyVoice::default(),
        Arc::new(Resilience::new(Arc::new(SystemClock))),
    );
    // GIVEN / WHEN the port's contract: new text, the same again, other text
    contracts::speech_synthesizer(&tts, "Joanna", &ns).await;

    // THEN a clip synthesized by Polly's API is stored as an 8 kHz mono
    // 16-bit WAV around the PCM Polly answered
    let clip = tts
        .synthesize(&format!("Reference {ns}, once more."), "he-IL-standard")
        .await
        .expect("a non-Polly voice falls back to the default one");
    assert!(!clip.cached);
    let key = clip
        .location
        .strip_prefix(&format!("s3://{bucket}/"))
        .expect("the clip is in the cache bucket");
    let wav = objects
        .get(key)
        .await
        .expect("read the clip")
        .expect("the clip is stored");
    assert_eq!(&wav[..4], b"RIFF");
    assert_eq!(&wav[8..16], b"WAVEfmt ");
    assert_eq!(u16::from_le_bytes([wav[22], wav[23]]), 1, "mono");
    assert_eq!(
        u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]),
        8_000,
        "telephony's sample rate"
    );
    assert_eq!(u16::from_le_bytes([wav[34], wav[35]]), 16, "16-bit");
    let data_len = u32::from_le_bytes([wav[40], wav[41], wav[42], wav[43]]) as usize;
    assert!(data_len > 0, "Polly's audio is in the clip");
    assert_eq!(wav.len(), 44 + data_len);
}

/// A mocked Polly client (fake PCM from the text, so the number of calls
/// is counted) with the real S3 cache on the emulator.
#[tokio::test]
async fn speech_synthesizer_contract_with_mocked_polly() {
    let Some(clients) = emulator("speech_synthesizer_contract_with_mocked_polly").await else {
        return;
    };
    let ns = unique("tts");
    let bucket = bucket(&clients, &ns).await;
    let rule = mock!(aws_sdk_polly::Client::synthesize_speech).then_compute_output(|req| {
        let text = req.text().unwrap_or_default().as_bytes().to_vec();
        SynthesizeSpeechOutput::builder()
            .audio_stream(ByteStream::from(text))
            .build()
    });
    let polly = aws_sdk_polly::Client::from_conf(
        aws_sdk_polly::Config::builder()
            .behavior_version(aws_sdk_polly::config::BehaviorVersion::latest())
            .region(aws_sdk_polly::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_polly::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .http_client(create_mock_http_client())
            .interceptor(
                MockResponseInterceptor::new()
                    .rule_mode(RuleMode::MatchAny)
                    .with_rule(&rule),
            )
            .build(),
    );
    let objects: Arc<dyn ObjectStore> = Arc::new(S3Objects::new(clients.s3.clone(), &bucket));
    let tts = PollySynthesizer::new(
        polly,
        objects.clone(),
        format!("s3://{bucket}/"),
        PollyVoice::default(),
        Arc::new(Resilience::new(Arc::new(SystemClock))),
    );
    contracts::speech_synthesizer(&tts, "Joanna", &ns).await;
    assert_eq!(
        rule.num_calls(),
        2,
        "two texts, one cache hit: two Polly calls"
    );
}
