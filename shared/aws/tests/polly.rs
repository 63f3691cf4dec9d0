//! The Polly synthesizer against a mocked Polly (`aws-smithy-mocks`; Polly
//! is not in the emulator) and an in-memory cache: the request's shape,
//! the error mapping, the cache and the voice fallback.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_sdk_polly::error::ErrorMetadata;
use aws_sdk_polly::operation::synthesize_speech::{SynthesizeSpeechError, SynthesizeSpeechOutput};
use aws_sdk_polly::primitives::ByteStream;
use aws_sdk_polly::types::error::TextLengthExceededException;
use aws_sdk_polly::types::{Engine, OutputFormat, TextType, VoiceId};
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock};
use campaign_aws::polly::{PollySynthesizer, PollyVoice, wav};
use campaign_aws::resilience::{CircuitBreaker, Resilience, RetryPolicy};
use campaign_core::clock::ManualClock;
use campaign_core::contracts::base_time;
use campaign_core::ports::{ObjectStore, PortResult, SpeechSynthesizer, TtsError};
use chrono::Duration;

#[derive(Default)]
struct MemoryObjects {
    objects: Mutex<HashMap<String, (Vec<u8>, String)>>,
    gets: AtomicUsize,
}

#[async_trait]
impl ObjectStore for MemoryObjects {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> PortResult<()> {
        self.objects
            .lock()
            .unwrap()
            .insert(key.to_owned(), (bytes, content_type.to_owned()));
        Ok(())
    }
    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        Ok(self
            .objects
            .lock()
            .unwrap()
            .get(key)
            .map(|(b, _)| b.clone()))
    }
    async fn presign_get(&self, key: &str, _expires_in: Duration) -> PortResult<String> {
        Ok(format!("memory://{key}"))
    }
}

fn polly(rules: &[&Rule]) -> aws_sdk_polly::Client {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for r in rules {
        interceptor = interceptor.with_rule(r);
    }
    aws_sdk_polly::Client::from_conf(
        aws_sdk_polly::Config::builder()
            .behavior_version(aws_sdk_polly::config::BehaviorVersion::latest())
            .region(aws_sdk_polly::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_polly::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .http_client(create_mock_http_client())
            .retry_config(aws_sdk_polly::config::retry::RetryConfig::disabled())
            .interceptor(interceptor)
            .build(),
    )
}

fn resilience() -> Arc<Resilience> {
    let clock = Arc::new(ManualClock::new(base_time()));
    Arc::new(
        Resilience::new(clock.clone())
            .with_timeout(std::time::Duration::from_secs(5))
            .with_retry(RetryPolicy {
                max_attempts: 3,
                base_delay: std::time::Duration::from_millis(1),
                max_delay: std::time::Duration::from_millis(4),
            })
            .with_breaker(CircuitBreaker::new(50, Duration::seconds(30), clock)),
    )
}

fn synthesizer(rules: &[&Rule], objects: Arc<MemoryObjects>) -> PollySynthesizer {
    PollySynthesizer::new(
        polly(rules),
        objects,
        "s3://tts-bucket/",
        PollyVoice::default(),
        resilience(),
    )
}

const PCM: &[u8] = &[0, 1, 2, 3, 4, 5, 6, 7];

#[tokio::test]
async fn asks_polly_for_8k_pcm_with_the_voice_and_text_and_stores_a_wav() {
    let text = "Thank you for your donation";
    let rule = mock!(aws_sdk_polly::Client::synthesize_speech)
        .match_requests(move |req| {
            req.voice_id() == Some(&VoiceId::Matthew)
                && req.output_format() == Some(&OutputFormat::Pcm)
                && req.sample_rate() == Some("8000")
                && req.engine() == Some(&Engine::Neural)
                && req.text_type() == Some(&TextType::Text)
                && req.text() == Some(text)
        })
        .then_output(|| {
            SynthesizeSpeechOutput::builder()
                .audio_stream(ByteStream::from_static(PCM))
                .build()
        });
    let objects = Arc::new(MemoryObjects::default());
    let tts = synthesizer(&[&rule], objects.clone());
    let audio = tts.synthesize(text, "Matthew").await.expect("synthesized");
    assert_eq!(
        rule.num_calls(),
        1,
        "the request matched the expected shape"
    );
    assert!(!audio.cached);
    assert!(
        audio.location.starts_with("s3://tts-bucket/tts/") && audio.location.ends_with(".wav"),
        "location {}",
        audio.location
    );
    let key = audio.location.trim_start_matches("s3://tts-bucket/");
    let stored = objects.objects.lock().unwrap().get(key).cloned();
    let (bytes, content_type) = stored.expect("the clip is stored under its key");
    assert_eq!(
        bytes,
        wav(PCM, 8000),
        "the PCM is stored inside a WAV header"
    );
    assert_eq!(content_type, "audio/wav");
}

#[tokio::test]
async fn a_cached_clip_makes_no_polly_call() {
    let rule = mock!(aws_sdk_polly::Client::synthesize_speech).then_output(|| {
        SynthesizeSpeechOutput::builder()
            .audio_stream(ByteStream::from_static(PCM))
            .build()
    });
    let objects = Arc::new(MemoryObjects::default());
    let tts = synthesizer(&[&rule], objects.clone());
    let first = tts.synthesize("Hello", "Joanna").await.unwrap();
    let second = tts.synthesize("Hello", "Joanna").await.unwrap();
    assert_eq!(
        rule.num_calls(),
        1,
        "the second request is served from the cache"
    );
    assert!(second.cached && !first.cached);
    assert_eq!(first.location, second.location);
    assert_eq!(
        objects.gets.load(Ordering::SeqCst),
        2,
        "the cache is checked first each time"
    );
    // Another voice is another clip.
    let other = tts.synthesize("Hello", "Matthew").await.unwrap();
    assert_ne!(other.location, first.location);
    assert_eq!(rule.num_calls(), 2);
}

#[tokio::test]
async fn an_unknown_voice_falls_back_to_the_default_english_voice() {
    let rule = mock!(aws_sdk_polly::Client::synthesize_speech)
        .match_requests(|req| req.voice_id() == Some(&VoiceId::Joanna))
        .then_output(|| {
            SynthesizeSpeechOutput::builder()
                .audio_stream(ByteStream::from_static(PCM))
                .build()
        });
    let objects = Arc::new(MemoryObjects::default());
    let tts = synthesizer(&[&rule], objects);
    tts.synthesize("Shalom", "he-IL-standard").await.unwrap();
    assert_eq!(rule.num_calls(), 1, "Polly was asked with Joanna");
    assert_eq!(tts.voice_for("he-IL-standard"), VoiceId::Joanna);
    assert_eq!(tts.voice_for("Matthew"), VoiceId::Matthew);
}

#[tokio::test]
async fn throttling_is_unavailable_after_the_retries() {
    let rule = mock!(aws_sdk_polly::Client::synthesize_speech).then_error(|| {
        SynthesizeSpeechError::generic(
            ErrorMetadata::builder()
                .code("ThrottlingException")
                .message("Rate exceeded")
                .build(),
        )
    });
    let objects = Arc::new(MemoryObjects::default());
    let tts = synthesizer(&[&rule], objects.clone());
    match tts.synthesize("Hello", "Joanna").await {
        Err(TtsError::Unavailable(m)) => assert!(m.contains("ThrottlingException"), "{m}"),
        r => panic!("throttling must be Unavailable, got {r:?}"),
    }
    assert_eq!(
        rule.num_calls(),
        3,
        "a transient failure is retried (3 attempts)"
    );
    assert!(objects.objects.lock().unwrap().is_empty(), "nothing cached");
}

#[tokio::test]
async fn text_polly_refuses_is_rejected_without_retries() {
    let rule = mock!(aws_sdk_polly::Client::synthesize_speech).then_error(|| {
        SynthesizeSpeechError::TextLengthExceededException(
            TextLengthExceededException::builder()
                .message("text too long")
                .build(),
        )
    });
    let tts = synthesizer(&[&rule], Arc::new(MemoryObjects::default()));
    match tts.synthesize("Hello", "Joanna").await {
        Err(TtsError::Rejected(_)) => {}
        r => panic!("refused text must be Rejected, got {r:?}"),
    }
    assert_eq!(rule.num_calls(), 1, "a refusal is not retried");
}

#[tokio::test]
async fn empty_or_overlong_text_is_rejected_before_any_call() {
    let rule = mock!(aws_sdk_polly::Client::synthesize_speech).then_output(|| {
        SynthesizeSpeechOutput::builder()
            .audio_stream(ByteStream::from_static(PCM))
            .build()
    });
    let tts = synthesizer(&[&rule], Arc::new(MemoryObjects::default()));
    assert!(matches!(
        tts.synthesize("", "Joanna").await,
        Err(TtsError::Rejected(_))
    ));
    assert!(matches!(
        tts.synthesize("  ", "Joanna").await,
        Err(TtsError::Rejected(_))
    ));
    let long = "a".repeat(3001);
    assert!(matches!(
        tts.synthesize(&long, "Joanna").await,
        Err(TtsError::Rejected(_))
    ));
    assert_eq!(rule.num_calls(), 0);
}
