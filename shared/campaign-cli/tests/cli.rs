//! The `campaign` binary as a user runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn campaign() -> Command {
    Command::new(env!("CARGO_BIN_EXE_campaign"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures/contacts")
        .join(name)
}

fn check_json(file: &Path) -> serde_json::Value {
    let out = campaign()
        .args(["contacts", "check", "--json"])
        .arg(file)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

fn assert_shape(doc: &serde_json::Value) {
    let s = &doc["summary"];
    let total = s["total_rows"].as_u64().unwrap();
    let imported = s["imported"].as_u64().unwrap();
    let duplicates = s["duplicates"].as_u64().unwrap();
    let invalid = s["invalid"].as_u64().unwrap();
    assert_eq!(total, imported + duplicates + invalid, "{s}");
    let contacts = doc["contacts"].as_array().unwrap();
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(contacts.len() as u64, imported);
    assert_eq!(errors.len() as u64, invalid);
    for c in contacts {
        assert!(c["row"].as_u64().unwrap() >= 2);
        assert!(c["phone"].as_str().unwrap().starts_with('+'));
        let t = c["line_type"].as_str().unwrap();
        assert!(
            ["mobile", "fixed_line", "voip", "unknown"].contains(&t),
            "{t}"
        );
        assert!(c["metadata"].is_object());
    }
    for e in errors {
        assert!(e["row"].as_u64().unwrap() >= 2);
        assert!(e["value"].is_string());
        assert!(!e["reason"].as_str().unwrap().is_empty());
    }
}

#[test]
fn csv_and_xlsx_fixtures_give_the_same_contacts() {
    let csv = check_json(&fixture("contacts.csv"));
    let xlsx = check_json(&fixture("contacts.xlsx"));
    assert_shape(&csv);
    assert_shape(&xlsx);
    let phones = |d: &serde_json::Value| -> Vec<String> {
        d["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["phone"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(phones(&csv), phones(&xlsx));
    assert_eq!(csv["summary"], xlsx["summary"]);
}

#[test]
fn a_landline_is_reported_as_fixed_line() {
    let doc = check_json(&fixture("contacts.csv"));
    let types: Vec<&str> = doc["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["line_type"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"fixed_line"), "{types:?}");
    assert!(types.contains(&"mobile"), "{types:?}");
}

#[test]
fn the_table_lists_each_invalid_row_with_its_number() {
    let out = campaign()
        .args(["contacts", "check"])
        .arg(fixture("contacts.csv"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let doc = check_json(&fixture("contacts.csv"));
    for e in doc["errors"].as_array().unwrap() {
        assert!(
            text.contains(&format!("row {:>6}", e["row"].as_u64().unwrap())),
            "{text}"
        );
    }
    assert!(text.contains("total rows"));
}

#[test]
fn an_unreadable_file_exits_non_zero_with_a_clear_message() {
    let out = campaign()
        .args(["contacts", "check", "/nonexistent/contacts.csv"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cannot read /nonexistent/contacts.csv"),
        "{err}"
    );
}

#[test]
fn a_file_without_a_phone_column_exits_non_zero() {
    let out = campaign()
        .args(["contacts", "check"])
        .arg(fixture("contacts_no_phone.csv"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no phone column"), "{err}");
}

#[test]
fn an_unknown_region_is_refused() {
    let out = campaign()
        .args(["contacts", "check", "--region", "XX"])
        .arg(fixture("contacts.csv"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("--region XX")
    );
}

#[test]
fn demo_runs_a_given_xlsx_contact_file_and_writes_its_report_and_summary() {
    let out = tempfile::tempdir().unwrap();
    let run = campaign()
        .args(["demo", "--seed", "3", "--contacts"])
        .arg(fixture("contacts.xlsx"))
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("✓ no blacklisted number dialled"),
        "{stdout}"
    );
    assert!(!stdout.contains('✗'), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["import"]["report"]["summary"]["imported"], 12);
    assert!(
        summary["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["passed"] == true)
    );
    let key = summary["link"]["key"].as_str().unwrap();
    let report = std::fs::read_to_string(out.path().join(key)).unwrap();
    assert!(
        report.starts_with("call_id,contact_id,phone_number,attempt"),
        "{report}"
    );
    assert!(report.lines().count() > 12, "one row per call at least");
}

#[test]
fn demo_refuses_a_missing_contact_file() {
    let run = campaign()
        .args(["demo", "--contacts", "/nonexistent.csv"])
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("cannot read /nonexistent.csv"));
}
