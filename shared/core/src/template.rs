//! SMS / TTS text templates with `{{variable}}` placeholders filled from
//! contact data; a missing variable is an error, never a blank.
//!
//! STUB: the public API below is fixed; bodies are filled in by the IVR work.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unclosed placeholder starting at byte {at}")]
    Unclosed { at: usize },
    #[error("empty or invalid placeholder name at byte {at}")]
    BadName { at: usize },
    #[error("missing value for variable {0:?}")]
    Missing(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
}

impl Template {
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let _ = source;
        todo!("template")
    }

    /// The variable names used, in order of first appearance.
    pub fn variables(&self) -> Vec<&str> {
        todo!("template")
    }

    pub fn render(&self, vars: &BTreeMap<String, String>) -> Result<String, TemplateError> {
        let _ = vars;
        todo!("template")
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}
