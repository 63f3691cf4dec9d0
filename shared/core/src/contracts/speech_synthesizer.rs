//! The [`SpeechSynthesizer`] contract.

use crate::ports::{SpeechSynthesizer, TtsError};

/// Synthesis gives a location; the same text and voice again is served from
/// the cache at the same location; another text is a different
/// clip; empty text is rejected.
pub async fn speech_synthesizer(tts: &dyn SpeechSynthesizer, voice: &str, namespace: &str) {
    // The namespace makes the text new to a cache shared across runs.
    let text = format!("Thank you for your donation. Reference {namespace}.");
    let first = match tts.synthesize(&text, voice).await {
        Ok(a) => a,
        Err(e) => panic!("synthesis of plain text must succeed, got {e}"),
    };
    assert!(!first.location.is_empty(), "audio must have a location");
    assert!(!first.cached, "new text must not be reported as cached");
    let second = match tts.synthesize(&text, voice).await {
        Ok(a) => a,
        Err(e) => panic!("a repeated synthesis must succeed, got {e}"),
    };
    assert!(
        second.cached,
        "the same text and voice again must come from the cache"
    );
    assert_eq!(
        second.location, first.location,
        "a cached clip keeps its location"
    );
    let other = match tts.synthesize(&format!("{text} Goodbye."), voice).await {
        Ok(a) => a,
        Err(e) => panic!("synthesis of another text must succeed, got {e}"),
    };
    assert_ne!(
        other.location, first.location,
        "another text is another clip"
    );
    match tts.synthesize("", voice).await {
        Err(TtsError::Rejected(_)) => {}
        r => panic!("empty text must be Rejected, got {r:?}"),
    }
}
