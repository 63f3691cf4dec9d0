//! Shared by the emulator tests: the emulator's clients, and every function
//! built as its `main` builds it.

use std::sync::Arc;

use campaign_aws::provision::Stack;
use campaign_aws::{AwsConfig, Clients, S3Objects};
use campaign_core::clock::{Clock, ManualClock};
use campaign_embedded::providers::LocalSynthesizer;

pub async fn emulator(test: &str) -> Option<Clients> {
    campaign_aws::config::emulator_endpoint(test)?;
    Some(AwsConfig::default().clients().await)
}

pub fn lookup<'a>(env: &'a [(&'static str, String)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| env.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone())
}

pub struct Functions {
    pub dispatcher: (dispatcher::Deps, dispatcher::Config),
    pub enricher: (enricher::Deps, enricher::Config),
    pub dialer: (dialer_worker::Deps, dialer_worker::Config),
    pub call_events: (call_events::Deps, call_events::Config),
    pub follow_up: (sms_tts_fallback::Deps, sms_tts_fallback::Config),
    pub blacklist: (blacklist::Deps, blacklist::Config),
    pub report: (report_generator::Deps, report_generator::Config),
    // Only aws_fixtures runs it (aws_flow uploads no contact file).
    #[allow(dead_code)]
    pub importer: (contact_importer::Deps, contact_importer::Config),
}

/// Every function built as its `main` builds it (config from the stack's
/// environment, adapters from `build_deps`), then given the test's clock.
pub async fn functions(
    stack: &Stack,
    clock: Arc<ManualClock>,
    tts_cache: Arc<S3Objects>,
) -> Functions {
    let env = stack.env();
    let env = lookup(&env);
    let clock: Arc<dyn Clock> = clock;
    let cfg = dispatcher::Config::from_lookup(&env).expect("dispatcher config");
    let mut d = dispatcher::build_deps(&cfg).await.expect("dispatcher deps");
    d.clock = clock.clone();
    let dispatcher = (d, cfg);
    let cfg = enricher::Config::from_lookup(&env).expect("enricher config");
    let mut d = enricher::build_deps(&cfg).await.expect("enricher deps");
    d.clock = clock.clone();
    let enricher = (d, cfg);
    let cfg = dialer_worker::Config::from_lookup(&env).expect("dialer config");
    let mut d = dialer_worker::build_deps(&cfg).await.expect("dialer deps");
    d.clock = clock.clone();
    let dialer = (d, cfg);
    let cfg = call_events::Config::from_lookup(&env).expect("call-events config");
    let mut d = call_events::build_deps(&cfg)
        .await
        .expect("call-events deps");
    d.clock = clock.clone();
    let call_events = (d, cfg);
    let cfg = sms_tts_fallback::Config::from_lookup(&env).expect("follow-up config");
    let mut d = sms_tts_fallback::build_deps(&cfg)
        .await
        .expect("follow-up deps");
    d.clock = clock.clone();
    // Polly is not emulated: the embedded synthesizer, caching in the
    // emulator's S3 bucket as Polly would.
    d.tts = Arc::new(LocalSynthesizer::new(tts_cache));
    let follow_up = (d, cfg);
    let cfg = blacklist::Config::from_lookup(&env).expect("blacklist config");
    let mut d = blacklist::build_deps(&cfg).await.expect("blacklist deps");
    d.clock = clock.clone();
    let blacklist = (d, cfg);
    let cfg = report_generator::Config::from_lookup(&env).expect("report config");
    let mut d = report_generator::build_deps(&cfg)
        .await
        .expect("report deps");
    d.clock = clock.clone();
    let report = (d, cfg);
    let cfg = contact_importer::Config::from_lookup(&env).expect("importer config");
    let mut d = contact_importer::build_deps(&cfg)
        .await
        .expect("importer deps");
    d.clock = clock.clone();
    let importer = (d, cfg);
    Functions {
        dispatcher,
        enricher,
        dialer,
        call_events,
        follow_up,
        blacklist,
        report,
        importer,
    }
}
