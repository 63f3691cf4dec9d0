//! `asterisk-bridge`: runs on the telephony host (systemd unit in
//! `infra/asterisk/`). Reads its configuration from the environment, its
//! ARI credentials from Secrets Manager, and runs until SIGTERM / Ctrl-C;
//! then it stops taking commands and lets live calls finish (up to
//! `BRIDGE_DRAIN_SECS`).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use asterisk_bridge::ari::{AriClient, AriEndpoint};
use asterisk_bridge::bridge::RecheckStores;
use asterisk_bridge::config::Config;
use asterisk_bridge::media::S3Media;
use asterisk_bridge::stream::Backoff;
use asterisk_bridge::{Bridge, health, queue, stream};
use campaign_aws::{
    Clients, DynamoBlacklistStore, DynamoCampaignStore, DynamoContactStore, DynamoCounters,
    S3Objects, SecretsManagerSecrets, SnsEventBus, TableNames, Topics,
};
use campaign_core::clock::{Clock, SystemClock};
use campaign_core::ports::{ObjectStore, Secrets};
use tokio::sync::watch;

#[derive(serde::Deserialize)]
struct AriCredentials {
    username: String,
    password: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    lambda_kit::init_json_tracing();
    let config = Config::from_env()?;
    let clients = Clients::from_env().await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);

    let secrets = SecretsManagerSecrets::new(
        clients.secrets.clone(),
        clock.clone(),
        chrono::Duration::minutes(10),
    );
    let raw = secrets
        .get(&config.ari_secret_id)
        .await
        .context("reading the ARI credentials")?;
    let creds: AriCredentials =
        serde_json::from_str(&raw).context("the ARI secret is not {\"username\",\"password\"}")?;
    let ari = AriClient::new(AriEndpoint {
        base_url: config.ari_url.clone(),
        username: creds.username,
        password: creds.password,
    });

    let bus = Arc::new(SnsEventBus::new(
        clients.sns.clone(),
        Topics {
            call_events: config.call_events_topic.clone(),
            donation_events: config.donation_events_topic.clone(),
            optout_events: config.optout_events_topic.clone(),
        },
    ));
    let tables = TableNames::with_prefix(&config.table_prefix);
    let counters = Arc::new(DynamoCounters::new(
        clients.dynamodb.clone(),
        tables.counters.clone(),
    ));
    // Read only: the re-check before dialling (README, "Asterisk bridge").
    let stores = RecheckStores {
        campaigns: Arc::new(DynamoCampaignStore::new(
            clients.dynamodb.clone(),
            &tables.campaigns,
        )),
        contacts: Arc::new(DynamoContactStore::new(
            clients.dynamodb.clone(),
            &tables.contacts,
            &tables.counters,
        )),
        blacklist: Arc::new(DynamoBlacklistStore::new(
            clients.dynamodb.clone(),
            &tables.blacklist,
        )),
    };
    let s3 = clients.s3.clone();
    let media = Arc::new(S3Media::new(Arc::new(move |bucket: &str| {
        Arc::new(S3Objects::new(s3.clone(), bucket)) as Arc<dyn ObjectStore>
    })));
    let bridge = Bridge::new(
        config.settings.clone(),
        ari,
        bus,
        counters.clone(),
        clock.clone(),
        media,
        stores,
    );

    let (stop_tx, stop) = watch::channel(false);
    let events = tokio::spawn(stream::run(
        bridge.clone(),
        Backoff::default(),
        stop.clone(),
    ));
    let health = tokio::spawn(health::run(bridge.clone(), counters, clock, stop.clone()));
    if !bridge.wait_connected(Duration::from_secs(60)).await {
        tracing::warn!("ARI event stream not connected yet; commands wait until it is");
    }
    let (queue_stop_tx, queue_stop) = watch::channel(false);
    let commands = tokio::spawn(queue::run(
        bridge.clone(),
        clients.sqs.clone(),
        config.queue_url.clone(),
        queue_stop,
    ));
    tracing::info!(host = %bridge.settings().host_id, "asterisk bridge running");

    shutdown_signal().await;
    tracing::info!("shutting down: no new calls; waiting for live calls to finish");
    bridge.drain();
    let _ = queue_stop_tx.send(true);
    let _ = commands.await;
    let idle = bridge
        .wait_idle(Duration::from_secs(config.drain_secs))
        .await;
    if !idle {
        tracing::warn!(
            live = bridge.active_channels(),
            "drain time over; remaining calls are left to Asterisk"
        );
    }
    let _ = stop_tx.send(true);
    let _ = events.await;
    let _ = health.await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
