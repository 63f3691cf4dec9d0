//! [`SpeechSynthesizer`] with Amazon Polly, cached in the object store.
//!
//! - Format: Polly's `pcm` output at 8000 Hz (16-bit signed little-endian,
//!   mono), wrapped in a WAV header. That is telephony's native rate: the
//!   Asterisk host plays it without transcoding (`.wav` 8 kHz slin) and
//!   Connect accepts 8 kHz WAV prompts; MP3 would need a decoder on the host
//!   and gains nothing at 8 kHz.
//! - Voice: Polly has no Hebrew voice. The `voice` argument is used when it
//!   names a Polly voice (`Joanna`, `Matthew`, …); anything else (e.g. a
//!   local name such as `he-IL-standard`) falls back to the configured
//!   default voice, an English neural voice (`Joanna`) unless set otherwise.
//! - Cache: the clip is stored under `tts/<sha256(voice, engine, format,
//!   text)>.wav`; a clip already there is returned without calling Polly.
//! - Errors: empty text or text over Polly's 3,000 characters is `Rejected`
//!   before any call; Polly's refusals (text too long, invalid SSML,
//!   unsupported language or engine) are `Rejected`; throttling, 5xx and
//!   time-outs are `Unavailable`, after the [`Resilience`] retries.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_polly::Client;
pub use aws_sdk_polly::types::{Engine, VoiceId};
use aws_sdk_polly::types::{OutputFormat, TextType};
use campaign_core::ports::{AudioRef, ObjectStore, SpeechSynthesizer, TtsError};
use sha2::{Digest, Sha256};

use crate::error::{AwsError, classify};
use crate::resilience::{Resilience, ResilienceError, Transient};

/// Polly's limit on characters per request.
pub const MAX_TEXT_CHARS: usize = 3_000;
/// Telephony's sample rate.
pub const SAMPLE_RATE: u32 = 8_000;
const FORMAT: &str = "pcm-8000-wav";

/// Voice settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollyVoice {
    /// Used when the requested voice is not a Polly voice.
    pub default_voice: VoiceId,
    pub engine: Engine,
}

impl Default for PollyVoice {
    fn default() -> Self {
        Self {
            default_voice: VoiceId::Joanna,
            engine: Engine::Neural,
        }
    }
}

impl Transient for TtsError {
    fn is_transient(&self) -> bool {
        matches!(self, TtsError::Unavailable(_))
    }
}

pub struct PollySynthesizer {
    client: Client,
    objects: Arc<dyn ObjectStore>,
    /// Prefix of a clip's location, e.g. `s3://bucket/`.
    location_base: String,
    voice: PollyVoice,
    resilience: Arc<Resilience>,
}

impl std::fmt::Debug for PollySynthesizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollySynthesizer")
            .field("location_base", &self.location_base)
            .field("voice", &self.voice)
            .finish_non_exhaustive()
    }
}

/// A WAV file around 16-bit mono PCM.
pub fn wav(pcm: &[u8], sample_rate: u32) -> Vec<u8> {
    let data_len = u32::try_from(pcm.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(44 + pcm.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&data_len.saturating_add(36).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 2).to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.extend_from_slice(pcm);
    out
}

impl PollySynthesizer {
    pub fn new(
        client: Client,
        objects: Arc<dyn ObjectStore>,
        location_base: impl Into<String>,
        voice: PollyVoice,
        resilience: Arc<Resilience>,
    ) -> Self {
        Self {
            client,
            objects,
            location_base: location_base.into(),
            voice,
            resilience,
        }
    }

    /// The Polly voice used for a requested voice name.
    pub fn voice_for(&self, requested: &str) -> VoiceId {
        if VoiceId::values().contains(&requested) {
            VoiceId::from(requested)
        } else {
            self.voice.default_voice.clone()
        }
    }

    /// The cache key of a clip.
    pub fn cache_key(&self, text: &str, voice: &VoiceId) -> String {
        let mut h = Sha256::new();
        for part in [voice.as_str(), self.voice.engine.as_str(), FORMAT, text] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        format!("tts/{hex}.wav")
    }

    async fn synthesize_once(&self, text: &str, voice: &VoiceId) -> Result<Vec<u8>, TtsError> {
        const OP: &str = "polly.synthesize_speech";
        let out = self
            .client
            .synthesize_speech()
            .engine(self.voice.engine.clone())
            .voice_id(voice.clone())
            .output_format(OutputFormat::Pcm)
            .sample_rate(SAMPLE_RATE.to_string())
            .text_type(TextType::Text)
            .text(text)
            .send()
            .await
            .map_err(|e| match classify(OP, e) {
                e @ AwsError::Transient { .. } => TtsError::Unavailable(e.to_string()),
                e => TtsError::Rejected(e.to_string()),
            })?;
        let pcm =
            out.audio_stream.collect().await.map_err(|e| {
                TtsError::Unavailable(format!("{OP}: reading the audio failed: {e}"))
            })?;
        Ok(pcm.into_bytes().to_vec())
    }
}

#[async_trait]
impl SpeechSynthesizer for PollySynthesizer {
    async fn synthesize(&self, text: &str, voice: &str) -> Result<AudioRef, TtsError> {
        if text.trim().is_empty() {
            return Err(TtsError::Rejected("the text is empty".into()));
        }
        let chars = text.chars().count();
        if chars > MAX_TEXT_CHARS {
            return Err(TtsError::Rejected(format!(
                "the text has {chars} characters; Polly takes at most {MAX_TEXT_CHARS}"
            )));
        }
        let voice = self.voice_for(voice);
        let key = self.cache_key(text, &voice);
        let location = format!("{}{key}", self.location_base);
        // The cache is part of the service: if it fails, so does synthesis.
        let unavailable = |e: campaign_core::ports::PortError| {
            TtsError::Unavailable(format!("speech cache: {e}"))
        };
        if self.objects.get(&key).await.map_err(unavailable)?.is_some() {
            return Ok(AudioRef {
                location,
                cached: true,
            });
        }
        let pcm = self
            .resilience
            .call(|| self.synthesize_once(text, &voice))
            .await
            .map_err(|e| match e {
                ResilienceError::Inner(e) => e,
                other => TtsError::Unavailable(other.to_string()),
            })?;
        self.objects
            .put(&key, wav(&pcm, SAMPLE_RATE), "audio/wav")
            .await
            .map_err(unavailable)?;
        Ok(AudioRef {
            location,
            cached: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_header_describes_8k_mono_16_bit_pcm() {
        let pcm = vec![1u8, 0, 2, 0, 3, 0];
        let w = wav(&pcm, 8000);
        assert_eq!(&w[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes([w[4], w[5], w[6], w[7]]), 36 + 6);
        assert_eq!(&w[8..16], b"WAVEfmt ");
        assert_eq!(u16::from_le_bytes([w[22], w[23]]), 1, "mono");
        assert_eq!(u32::from_le_bytes([w[24], w[25], w[26], w[27]]), 8000);
        assert_eq!(u32::from_le_bytes([w[28], w[29], w[30], w[31]]), 16000);
        assert_eq!(u16::from_le_bytes([w[34], w[35]]), 16, "16-bit");
        assert_eq!(&w[36..40], b"data");
        assert_eq!(u32::from_le_bytes([w[40], w[41], w[42], w[43]]), 6);
        assert_eq!(&w[44..], &pcm[..]);
    }
}
