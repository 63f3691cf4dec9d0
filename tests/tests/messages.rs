//! Message contracts: the checked-in JSON Schemas match the Rust types, and
//! every example under `events/messages/` validates against its schema and
//! decodes (files named `invalid-*` must do neither).
//!
//! After changing a message type: `UPDATE_SCHEMAS=1 cargo test -p campaign-tests --test messages`.
// Property 50: Inter-module message format compliance

use std::path::{Path, PathBuf};

use campaign_core::messages::{
    CallEvent, DialTask, DonationEvent, HangUpCommand, Message, OptOutEvent, OriginateCommand,
    WorkflowInput, WorkflowState, all_schemas,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

fn schema_path(name: &str) -> PathBuf {
    root()
        .join("events/schemas")
        .join(format!("{name}.schema.json"))
}

#[test]
fn checked_in_schemas_match_the_message_types() {
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    for (name, schema) in all_schemas() {
        let path = schema_path(name);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, serde_json::to_string_pretty(&schema).unwrap() + "\n").unwrap();
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_SCHEMAS=1)", path.display()));
        let stored: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            stored,
            schema,
            "{} is stale: run with UPDATE_SCHEMAS=1",
            path.display()
        );
    }
}

fn decodes(name: &str, bytes: &[u8]) -> Result<(), String> {
    let r = match name {
        DialTask::NAME => DialTask::decode(bytes).map(drop),
        OriginateCommand::NAME => OriginateCommand::decode(bytes).map(drop),
        HangUpCommand::NAME => HangUpCommand::decode(bytes).map(drop),
        CallEvent::NAME => CallEvent::decode(bytes).map(drop),
        DonationEvent::NAME => DonationEvent::decode(bytes).map(drop),
        OptOutEvent::NAME => OptOutEvent::decode(bytes).map(drop),
        WorkflowInput::NAME => WorkflowInput::decode(bytes).map(drop),
        WorkflowState::NAME => WorkflowState::decode(bytes).map(drop),
        other => panic!("no message type named {other}"),
    };
    r.map_err(|e| e.to_string())
}

#[test]
fn every_message_example_validates_against_its_schema_and_decodes() {
    let mut checked = 0;
    for (name, schema) in all_schemas() {
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let dir = root().join("events/messages").join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{} has no examples", dir.display());
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let invalid = file
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("invalid-");
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            let decoded = decodes(name, &bytes);
            if invalid {
                assert!(
                    !errors.is_empty(),
                    "{} should fail its schema",
                    file.display()
                );
                assert!(decoded.is_err(), "{} should not decode", file.display());
            } else {
                assert!(errors.is_empty(), "{}: {errors:?}", file.display());
                decoded.unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} examples");
}

#[test]
fn a_message_of_another_version_is_refused_with_a_clear_error() {
    let path = root().join("events/messages/donation-event/pressed-1.json");
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    value["version"] = 2.into();
    let err = DonationEvent::decode(value.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "donation-event version 2 is not supported (expected 1)"
    );
}
