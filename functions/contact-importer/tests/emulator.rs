//! The whole path on the local AWS emulator (moto): the uploads bucket
//! notifies a queue of new objects under `uploads/` (as Terraform configures
//! it), a file lands, and the messages the emulator's S3 put on the queue —
//! its real notification format, and its `s3:TestEvent` if it sends one —
//! go through the handler built as `main` builds it, on DynamoDB and S3.
//! Without `AWS_ENDPOINT_URL` (`tests/emulator start`) it fails, unless
//! `SKIP_EMULATOR_TESTS=1`.

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use aws_sdk_sqs::types::QueueAttributeName;
use campaign_aws::provision::{create_queue, provision};
use campaign_aws::{AwsConfig, AwsPorts};
use campaign_core::campaign::CampaignKind;
use campaign_core::clock::Clock;
use campaign_core::usecases::contacts::ImportContacts;
use campaign_core::usecases::lifecycle::{Lifecycle, NewCampaign};
use campaign_core::usecases::uploaded_import::{
    ImportRecord, ImportStatus, UploadedImports, upload_key,
};
use campaign_embedded::providers::SequentialIds;
use campaign_embedded::testing::settings;
use chrono::Duration;
use contact_importer::{Config, build_deps, handler};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_notified_by_s3_is_imported_once() {
    if campaign_aws::config::emulator_endpoint("an_upload_notified_by_s3_is_imported_once")
        .is_none()
    {
        return;
    }
    let clients = AwsConfig::default().clients().await;
    let prefix = format!(
        "imp{}-{:04x}",
        chrono::Utc::now().timestamp_millis(),
        std::process::id() & 0xffff
    );
    let stack = provision(&clients, &prefix).await.expect("provision");
    // GIVEN the bucket's notification to the import queue
    let queue_url = create_queue(&clients, &format!("{prefix}-contact-imports"))
        .await
        .expect("queue");
    let queue_arn = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes")
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn).cloned())
        .expect("arn");
    let filter = NotificationConfigurationFilter::builder()
        .key(
            S3KeyFilter::builder()
                .filter_rules(
                    FilterRule::builder()
                        .name(FilterRuleName::Prefix)
                        .value("uploads/")
                        .build(),
                )
                .build(),
        )
        .build();
    clients
        .s3
        .put_bucket_notification_configuration()
        .bucket(&stack.uploads_bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .queue_configurations(
                    QueueConfiguration::builder()
                        .id("contact-uploads")
                        .queue_arn(&queue_arn)
                        .events(Event::from("s3:ObjectCreated:*"))
                        .filter(filter)
                        .build()
                        .expect("queue configuration"),
                )
                .build(),
        )
        .send()
        .await
        .expect("notification");

    // AND a started campaign with an import awaiting its file
    let env = stack.env();
    let lookup = |name: &str| env.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone());
    let config = Config::from_lookup(&lookup).expect("config");
    let deps = build_deps(&config).await.expect("deps");
    let aws = AwsPorts::connect(&config.table_prefix).await;
    let (campaigns, contacts, blacklist, audit) = (
        aws.campaigns(),
        aws.contacts(),
        aws.blacklist(),
        aws.audit(),
    );
    let ids = SequentialIds::new();
    let lifecycle = Lifecycle {
        campaigns: &*campaigns,
        audit: &*audit,
        ids: &ids,
        clock: &*aws.clock,
    };
    let campaign = lifecycle
        .create(
            NewCampaign {
                name: "Emulator import".into(),
                kind: CampaignKind::Voice,
                settings: settings(),
            },
            "tester",
        )
        .await
        .expect("create");
    ImportContacts {
        campaigns: &*campaigns,
        contacts: &*contacts,
        blacklist: &*blacklist,
    }
    .run(
        &campaign.id,
        b"phone\n0523450000\n",
        campaign_core::import::FileFormat::Csv,
        &Default::default(),
    )
    .await
    .expect("first contacts");
    lifecycle
        .start(&campaign.id, "tester")
        .await
        .expect("start");
    let imports = UploadedImports {
        campaigns: &*deps.campaigns,
        contacts: &*deps.contacts,
        blacklist: &*deps.blacklist,
        uploads: &*deps.uploads,
        counters: &*deps.counters,
        audit: &*deps.audit,
        clock: &*deps.clock,
        lease: Duration::seconds(config.lease_secs),
    };
    let mut record = ImportRecord::new(
        "imp-emulator-1".into(),
        campaign.id.clone(),
        "tester".into(),
        aws.clock.now(),
    );
    let key = upload_key(&campaign.id, &record.import_id, "csv");
    record.file_key = Some(key.clone());
    record.content_type = Some("text/csv".into());
    imports.save(&record).await.expect("save");

    // WHEN the file lands (the import record under imports/ notifies nothing)
    deps.uploads
        .put(
            &key,
            b"phone,first_name\n0523459001,Rina\n0523459002,Omer\nnot-a-phone,Bad\n".to_vec(),
            "text/csv",
        )
        .await
        .expect("upload");
    let mut records = Vec::new();
    for _ in 0..10 {
        let out = clients
            .sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive");
        for m in out.messages() {
            records.push(json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }));
        }
        if records.iter().any(|r| {
            r["body"]
                .as_str()
                .is_some_and(|b| b.contains("ObjectCreated"))
        }) {
            break;
        }
    }
    assert!(!records.is_empty(), "S3 notified the queue");
    // Delivered twice, as at-least-once delivery may.
    let twice: Vec<_> = records
        .iter()
        .cloned()
        .chain(records.iter().map(|r| {
            let mut r = r.clone();
            r["messageId"] = json!(format!("{}-again", r["messageId"].as_str().unwrap_or("")));
            r
        }))
        .collect();
    let event: SqsEvent = serde_json::from_value(json!({ "Records": twice })).expect("event");
    let response = handler(
        &deps,
        &config,
        lambda_kit::testing::lambda_event(event, "req-emulator"),
    )
    .await
    .expect("handled");

    // THEN it was imported once, row errors kept
    assert!(
        response.batch_item_failures.is_empty(),
        "{:?}",
        response.batch_item_failures
    );
    let record = imports
        .load(&campaign.id, "imp-emulator-1")
        .await
        .expect("load")
        .expect("record");
    assert_eq!(record.status, ImportStatus::Completed, "{record:?}");
    assert_eq!(record.attempts, 1);
    assert_eq!(record.stored, Some(2));
    assert_eq!(record.errors.first().map(|e| e.row), Some(4));
    let counts = deps
        .contacts
        .count_by_status(&campaign.id)
        .await
        .expect("count");
    assert_eq!(counts.total(), 3);
}
