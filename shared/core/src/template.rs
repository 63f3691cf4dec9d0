//! SMS / TTS text templates with `{{variable}}` placeholders filled from
//! contact data; a missing variable is an error, never a blank.
//!
//! Syntax: `{{name}}` or `{{ name }}` (spaces inside the braces are allowed),
//! where a name is made of `A-Z a-z 0-9 _ . -`. A `{{` without a closing
//! `}}` or with an empty or bad name is a parse error; a lone `{` or `}` (and
//! a `}}` with no opening) is plain text. Values are inserted as they are,
//! never parsed again.
//!
//! Rendering fails with [`TemplateError::Missing`] for the first variable (in
//! order of appearance) that has no value, and also for one whose value is
//! empty or only whitespace: either would send a message with a blank in it.

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

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(String),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

impl Template {
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = source;
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            let at = offset + open;
            let after_open = &rest[open + 2..];
            let close = after_open
                .find("}}")
                .ok_or(TemplateError::Unclosed { at })?;
            let name = after_open[..close].trim();
            if name.is_empty() || !name.chars().all(is_name_char) {
                return Err(TemplateError::BadName { at });
            }
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            parts.push(Part::Var(name.to_owned()));
            let consumed = open + 2 + close + 2;
            rest = &rest[consumed..];
            offset += consumed;
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template {
            source: source.to_owned(),
            parts,
        })
    }

    /// The variable names used, in order of first appearance.
    pub fn variables(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for part in &self.parts {
            if let Part::Var(name) = part
                && !out.contains(&name.as_str())
            {
                out.push(name);
            }
        }
        out
    }

    pub fn render(&self, vars: &BTreeMap<String, String>) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(self.source.len());
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Var(name) => match vars.get(name) {
                    Some(value) if !value.trim().is_empty() => out.push_str(value),
                    _ => return Err(TemplateError::Missing(name.clone())),
                },
            }
        }
        Ok(out)
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn renders_placeholders_with_and_without_spaces() {
        let t = Template::parse("Hi {{ first_name }}, give at {{link}}. Thanks {{first_name}}!")
            .unwrap();
        assert_eq!(t.variables(), vec!["first_name", "link"]);
        let out = t
            .render(&vars(&[
                ("first_name", "Dana"),
                ("link", "https://x.example/d"),
            ]))
            .unwrap();
        assert_eq!(out, "Hi Dana, give at https://x.example/d. Thanks Dana!");
    }

    #[test]
    fn plain_text_and_lone_braces_are_text() {
        let t = Template::parse("a { b } c }} d").unwrap();
        assert!(t.variables().is_empty());
        assert_eq!(t.render(&BTreeMap::new()).unwrap(), "a { b } c }} d");
        assert_eq!(
            Template::parse("")
                .unwrap()
                .render(&BTreeMap::new())
                .unwrap(),
            ""
        );
    }

    #[test]
    fn names_allow_dots_and_dashes_and_hebrew_text_survives() {
        let t = Template::parse("שלום {{contact.first-name}}").unwrap();
        assert_eq!(t.variables(), vec!["contact.first-name"]);
        assert_eq!(
            t.render(&vars(&[("contact.first-name", "רות")])).unwrap(),
            "שלום רות"
        );
    }

    #[test]
    fn parse_errors_point_at_the_placeholder() {
        assert_eq!(
            Template::parse("ab {{name"),
            Err(TemplateError::Unclosed { at: 3 })
        );
        assert_eq!(
            Template::parse("ab {{name}"),
            Err(TemplateError::Unclosed { at: 3 })
        );
        assert_eq!(
            Template::parse("x{{  }}"),
            Err(TemplateError::BadName { at: 1 })
        );
        assert_eq!(
            Template::parse("{{first name}}"),
            Err(TemplateError::BadName { at: 0 })
        );
        assert_eq!(
            Template::parse("{{{x}}}"),
            Err(TemplateError::BadName { at: 0 })
        );
        // Byte offsets, not characters.
        assert_eq!(
            Template::parse("שלום {{"),
            Err(TemplateError::Unclosed { at: 9 })
        );
    }

    #[test]
    fn missing_or_blank_values_are_errors() {
        let t = Template::parse("{{a}} {{b}} {{c}}").unwrap();
        assert_eq!(
            t.render(&vars(&[("a", "1")])),
            Err(TemplateError::Missing("b".into()))
        );
        assert_eq!(
            t.render(&vars(&[("a", "1"), ("b", ""), ("c", "3")])),
            Err(TemplateError::Missing("b".into()))
        );
        assert_eq!(
            t.render(&vars(&[("a", "1"), ("b", "  "), ("c", "3")])),
            Err(TemplateError::Missing("b".into()))
        );
        assert_eq!(
            t.render(&vars(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "")])),
            Ok("1 2 3".into())
        );
    }

    #[test]
    fn values_are_not_parsed_again() {
        let t = Template::parse("{{a}}").unwrap();
        assert_eq!(t.render(&vars(&[("a", "{{b}}")])).unwrap(), "{{b}}");
    }
}
