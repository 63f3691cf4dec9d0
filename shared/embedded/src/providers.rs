//! Local stand-ins for the external providers:
//! - [`MemoryObjects`] / [`DirObjects`]: the object store in memory or in a
//!   folder;
//! - [`MapSecrets`] / [`EnvSecrets`]: secrets from a map or from environment
//!   variables;
//! - [`SequentialIds`]: reproducible ids `prefix-000001`, `prefix-000002`, …;
//! - [`ConsoleSms`]: an SMS gateway that records and logs messages and never
//!   sends anything, with optional deterministic "not SMS-capable" failures;
//! - [`LocalSynthesizer`]: a stand-in speech synthesizer writing real WAV
//!   files of tones (no text-to-speech engine is available offline).

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use async_trait::async_trait;
use campaign_core::clock::{Clock, SystemClock};
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{
    AudioRef, IdGenerator, ObjectStore, PortError, PortResult, SecretVersion, Secrets, SmsError,
    SmsGateway, SmsReceipt, SpeechSynthesizer, TtsError,
};
use chrono::Duration;

/// A stable 64-bit FNV-1a hash (same result on every platform and run).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A 64-bit finalizer (MurmurHash3's `fmix64`): FNV alone leaves the high
/// bits of similar inputs (numbers differing in the last digits) correlated.
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

// ---------------------------------------------------------------- objects

#[derive(Debug, Clone)]
struct StoredObject {
    bytes: Vec<u8>,
    content_type: String,
}

/// An object store in memory. Links look like
/// `memory://<key>?expires=<unix seconds>` and are only meaningful to this
/// process (use [`MemoryObjects::get`] to read them back).
pub struct MemoryObjects {
    objects: RwLock<HashMap<String, StoredObject>>,
    clock: Arc<dyn Clock>,
}

impl Default for MemoryObjects {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryObjects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryObjects")
            .field("objects", &self.len())
            .finish()
    }
}

impl MemoryObjects {
    /// Link expiry is computed from the wall clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }

    /// Link expiry is computed from `clock` (virtual time).
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            objects: RwLock::new(HashMap::new()),
            clock,
        }
    }

    pub fn len(&self) -> usize {
        self.objects.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every key, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .objects
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    /// The content type an object was stored with.
    pub fn content_type(&self, key: &str) -> Option<String> {
        self.objects
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .map(|o| o.content_type.clone())
    }
}

#[async_trait]
impl ObjectStore for MemoryObjects {
    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> PortResult<()> {
        if key.is_empty() {
            return Err(PortError::Invalid("object key must not be empty".into()));
        }
        self.objects
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                key.to_owned(),
                StoredObject {
                    bytes,
                    content_type: content_type.to_owned(),
                },
            );
        Ok(())
    }

    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        Ok(self
            .objects
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .map(|o| o.bytes.clone()))
    }

    async fn presign_get(&self, key: &str, expires_in: Duration) -> PortResult<String> {
        let expires = (self.clock.now() + expires_in).timestamp();
        Ok(format!("memory://{key}?expires={expires}"))
    }
}

/// An object store in a local folder: key `a/b.csv` is the file
/// `<root>/a/b.csv`. Links are `file://` URLs of the file (local files do
/// not expire, so `expires_in` is not encoded). Content types are not kept.
/// Unlike the other embedded adapters this one does blocking file I/O.
#[derive(Debug, Clone)]
pub struct DirObjects {
    root: PathBuf,
}

impl DirObjects {
    /// The folder is created on the first put.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of `key`; keys that could leave the folder are invalid.
    pub fn path_of(&self, key: &str) -> PortResult<PathBuf> {
        let invalid = || PortError::Invalid(format!("object key {key:?} is not a relative path"));
        // Checked on the raw segments: `Path::components` would silently
        // drop a `.` in the middle.
        let segments_ok = key
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..");
        if !segments_ok || key.contains('\\') || key.contains('\0') {
            return Err(invalid());
        }
        let rel = Path::new(key);
        if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(invalid());
        }
        Ok(self.root.join(rel))
    }
}

fn io_error(what: &str, path: &Path, e: &std::io::Error) -> PortError {
    PortError::Other(format!("{what} {}: {e}", path.display()))
}

#[async_trait]
impl ObjectStore for DirObjects {
    async fn put(&self, key: &str, bytes: Vec<u8>, _content_type: &str) -> PortResult<()> {
        let path = self.path_of(key)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error("creating", parent, &e))?;
        }
        // Write then rename, so a reader never sees half an object.
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".part");
        let tmp = PathBuf::from(tmp);
        std::fs::write(&tmp, bytes).map_err(|e| io_error("writing", &tmp, &e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io_error("renaming", &path, &e))
    }

    async fn get(&self, key: &str) -> PortResult<Option<Vec<u8>>> {
        let path = self.path_of(key)?;
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("reading", &path, &e)),
        }
    }

    async fn presign_get(&self, key: &str, _expires_in: Duration) -> PortResult<String> {
        let path = self.path_of(key)?;
        let abs = std::path::absolute(&path).map_err(|e| io_error("resolving", &path, &e))?;
        let shown = abs.to_string_lossy().replace('\\', "/");
        if shown.starts_with('/') {
            Ok(format!("file://{shown}"))
        } else {
            Ok(format!("file:///{shown}"))
        }
    }
}

// ---------------------------------------------------------------- secrets

/// Secrets from a fixed map.
#[derive(Debug, Default)]
pub struct MapSecrets {
    values: RwLock<HashMap<String, String>>,
}

impl MapSecrets {
    pub fn new<K: Into<String>, V: Into<String>>(values: impl IntoIterator<Item = (K, V)>) -> Self {
        Self {
            values: RwLock::new(
                values
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
        }
    }

    pub fn insert(&self, name: impl Into<String>, value: impl Into<String>) {
        self.values
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.into(), value.into());
    }

    /// A rotation: `value` becomes current, the current value previous (as
    /// Secrets Manager moves `AWSCURRENT` and `AWSPREVIOUS`).
    pub fn rotate(&self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let mut values = self.values.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = values.insert(name.clone(), value.into()) {
            values.insert(previous_key(&name), old);
        }
    }
}

/// Where the previous value of a rotated secret is kept (a name no secret
/// has: it holds a NUL).
fn previous_key(name: &str) -> String {
    format!("{name}\0AWSPREVIOUS")
}

#[async_trait]
impl Secrets for MapSecrets {
    async fn get(&self, name: &str) -> PortResult<String> {
        self.values
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
            .ok_or_else(|| PortError::NotFound(format!("secret {name}")))
    }

    async fn get_version(&self, name: &str, version: SecretVersion) -> PortResult<Option<String>> {
        match version {
            SecretVersion::Current => self.get(name).await.map(Some),
            SecretVersion::Previous => Ok(self
                .values
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(&previous_key(name))
                .cloned()),
        }
    }
}

/// Secrets from environment variables: secret `sms/api-key` with prefix
/// `CAMPAIGN_SECRET_` is `CAMPAIGN_SECRET_SMS_API_KEY` (upper case, every
/// other character than a letter or digit becomes `_`).
#[derive(Debug, Clone)]
pub struct EnvSecrets {
    prefix: String,
}

impl EnvSecrets {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    /// The variable a secret is read from.
    pub fn var_name(&self, name: &str) -> String {
        let tail: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("{}{tail}", self.prefix)
    }
}

#[async_trait]
impl Secrets for EnvSecrets {
    async fn get(&self, name: &str) -> PortResult<String> {
        let var = self.var_name(name);
        std::env::var(&var)
            .map_err(|_| PortError::NotFound(format!("secret {name} (environment variable {var})")))
    }
}

// ---------------------------------------------------------------- ids

/// Ids `prefix-000001`, `prefix-000002`, … from one counter shared by every
/// prefix: the same sequence of calls gives the same ids (reproducible
/// runs), and concurrent callers never get the same number.
#[derive(Debug, Default)]
pub struct SequentialIds {
    next: AtomicU64,
}

impl SequentialIds {
    pub fn new() -> Self {
        Self::default()
    }

    /// The first id issued will carry `first`.
    pub fn starting_at(first: u64) -> Self {
        Self {
            next: AtomicU64::new(first.saturating_sub(1)),
        }
    }

    /// How many ids have been issued (by a `new()` generator).
    pub fn issued(&self) -> u64 {
        self.next.load(Ordering::Relaxed)
    }
}

impl IdGenerator for SequentialIds {
    fn next_id(&self, prefix: &str) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        format!("{prefix}-{n:06}")
    }
}

// ---------------------------------------------------------------- sms

/// One message the console gateway accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    pub to: PhoneNumber,
    pub text: String,
    pub idempotency_key: String,
    pub message_id: String,
}

#[derive(Debug, Default)]
struct SmsLog {
    sent: Vec<SentSms>,
    by_key: HashMap<String, SmsReceipt>,
}

/// An SMS gateway that sends nothing: it records each message (see
/// [`ConsoleSms::sent`]) and logs it with the number masked. A repeated
/// idempotency key returns the first receipt and records nothing new.
///
/// With a `not_capable_rate` above 0, numbers whose seeded hash falls below
/// the rate fail with `NotSmsCapable` (the same numbers on every run), to
/// exercise the TTS fallback.
#[derive(Debug, Default)]
pub struct ConsoleSms {
    not_capable_rate: f64,
    seed: u64,
    log: Mutex<SmsLog>,
}

impl ConsoleSms {
    /// Every number is SMS-capable.
    pub fn new() -> Self {
        Self::default()
    }

    /// About `rate` (0.0–1.0) of numbers are not SMS-capable, chosen by a
    /// hash of the number and `seed`.
    pub fn with_not_capable_rate(rate: f64, seed: u64) -> Self {
        Self {
            not_capable_rate: if rate.is_nan() {
                0.0
            } else {
                rate.clamp(0.0, 1.0)
            },
            seed,
            log: Mutex::new(SmsLog::default()),
        }
    }

    /// Whether this gateway will accept messages to `to`.
    pub fn is_sms_capable(&self, to: &PhoneNumber) -> bool {
        if self.not_capable_rate <= 0.0 {
            return true;
        }
        let h = mix(fnv1a(&[&self.seed.to_le_bytes(), to.as_str().as_bytes()]));
        // The top 53 bits as a uniform fraction in [0, 1).
        let u = (h >> 11) as f64 / (1u64 << 53) as f64;
        u >= self.not_capable_rate
    }

    /// Every message accepted, in order.
    pub fn sent(&self) -> Vec<SentSms> {
        lock(&self.log).sent.clone()
    }

    pub fn sent_count(&self) -> usize {
        lock(&self.log).sent.len()
    }
}

#[async_trait]
impl SmsGateway for ConsoleSms {
    async fn send(
        &self,
        to: &PhoneNumber,
        text: &str,
        idempotency_key: &str,
    ) -> Result<SmsReceipt, SmsError> {
        let mut log = lock(&self.log);
        if let Some(receipt) = log.by_key.get(idempotency_key) {
            return Ok(receipt.clone());
        }
        if !self.is_sms_capable(to) {
            tracing::info!(to = %to.masked(), "console SMS: number is not SMS-capable");
            return Err(SmsError::NotSmsCapable);
        }
        let receipt = SmsReceipt {
            message_id: format!("sms-{:06}", log.sent.len() + 1),
        };
        tracing::info!(
            to = %to.masked(),
            message_id = %receipt.message_id,
            chars = text.chars().count(),
            "console SMS (not sent)"
        );
        log.sent.push(SentSms {
            to: to.clone(),
            text: text.to_owned(),
            idempotency_key: idempotency_key.to_owned(),
            message_id: receipt.message_id.clone(),
        });
        log.by_key
            .insert(idempotency_key.to_owned(), receipt.clone());
        Ok(receipt)
    }
}

// ---------------------------------------------------------------- speech

/// Sample rate of the synthesized audio (telephony narrowband).
pub const TTS_SAMPLE_RATE: u32 = 8000;
/// Audio length per character of text.
pub const TTS_MS_PER_CHAR: u32 = 60;
/// Longest text accepted (the limit of common cloud TTS services).
pub const TTS_MAX_CHARS: usize = 3000;

/// A stand-in speech synthesizer: no text-to-speech engine is available
/// offline, so it renders a quiet tone per character (silence for spaces),
/// 60 ms each, as an 8 kHz mono 16-bit PCM WAV — real, playable audio of a
/// plausible length. Clips are stored in the given object store under
/// `tts/<hash of voice and text>.wav` (the location returned is that key)
/// and reused: the same text and voice again is `cached: true`.
pub struct LocalSynthesizer {
    objects: Arc<dyn ObjectStore>,
    known: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for LocalSynthesizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSynthesizer")
            .field("clips", &lock(&self.known).len())
            .finish()
    }
}

impl LocalSynthesizer {
    pub fn new(objects: Arc<dyn ObjectStore>) -> Self {
        Self {
            objects,
            known: Mutex::new(HashSet::new()),
        }
    }

    /// The object key of a text in a voice.
    pub fn key_for(text: &str, voice: &str) -> String {
        let h = fnv1a(&[voice.as_bytes(), &[0], text.as_bytes()]);
        format!("tts/{h:016x}.wav")
    }

    /// The WAV file for `text` (see the type's doc).
    pub fn render_wav(text: &str) -> Vec<u8> {
        let per_char = (TTS_SAMPLE_RATE * TTS_MS_PER_CHAR / 1000) as usize;
        let fade = per_char / 8;
        let amplitude = f64::from(i16::MAX) * 0.1;
        let mut samples: Vec<i16> = Vec::with_capacity(per_char * text.chars().count());
        for c in text.chars() {
            if c.is_whitespace() {
                samples.extend(std::iter::repeat_n(0, per_char));
                continue;
            }
            // A pitch per character, so different texts sound different.
            let freq = 300.0 + f64::from(u32::from(c) % 24) * 20.0;
            for n in 0..per_char {
                // Short fades avoid clicks between characters.
                let envelope = (n.min(per_char - 1 - n) as f64 / fade as f64).min(1.0);
                let t = n as f64 / f64::from(TTS_SAMPLE_RATE);
                let v = amplitude * envelope * (2.0 * std::f64::consts::PI * freq * t).sin();
                samples.push(v as i16);
            }
        }
        wav_pcm16_mono(&samples, TTS_SAMPLE_RATE)
    }
}

/// A RIFF/WAVE file of 16-bit mono PCM samples.
fn wav_pcm16_mono(samples: &[i16], rate: u32) -> Vec<u8> {
    let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX - 36);
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

fn tts_port_error(e: PortError) -> TtsError {
    TtsError::Unavailable(format!("audio store: {e}"))
}

#[async_trait]
impl SpeechSynthesizer for LocalSynthesizer {
    async fn synthesize(&self, text: &str, voice: &str) -> Result<AudioRef, TtsError> {
        if text.trim().is_empty() {
            return Err(TtsError::Rejected("text is empty".into()));
        }
        let chars = text.chars().count();
        if chars > TTS_MAX_CHARS {
            return Err(TtsError::Rejected(format!(
                "text has {chars} characters, more than {TTS_MAX_CHARS}"
            )));
        }
        let key = Self::key_for(text, voice);
        if lock(&self.known).contains(&key) {
            return Ok(AudioRef {
                location: key,
                cached: true,
            });
        }
        // Clips made by an earlier run (a folder-backed store) count too.
        if self
            .objects
            .get(&key)
            .await
            .map_err(tts_port_error)?
            .is_some()
        {
            lock(&self.known).insert(key.clone());
            return Ok(AudioRef {
                location: key,
                cached: true,
            });
        }
        let wav = Self::render_wav(text);
        self.objects
            .put(&key, wav, "audio/wav")
            .await
            .map_err(tts_port_error)?;
        lock(&self.known).insert(key.clone());
        Ok(AudioRef {
            location: key,
            cached: false,
        })
    }
}
