//! `campaign contacts check`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use std::io::Write;

use serde::Serialize;

use campaign_core::import::{DedupRule, FileFormat, ImportOptions, ImportReport, import_bytes};
use campaign_core::phone::PhoneParser;

use crate::DedupArg;

pub fn options(
    region: &str,
    dedup: DedupArg,
    priority_fields: Vec<String>,
) -> anyhow::Result<ImportOptions> {
    let parser = PhoneParser::new(region).with_context(|| format!("--region {region}"))?;
    let dedup = match dedup {
        DedupArg::KeepFirst => DedupRule::KeepFirst,
        DedupArg::KeepLast => DedupRule::KeepLast,
        DedupArg::Merge => DedupRule::Merge { priority_fields },
    };
    Ok(ImportOptions { parser, dedup })
}

/// Reads and imports a file; the error says which file and why.
pub fn read_report(file: &Path, options: &ImportOptions) -> anyhow::Result<ImportReport> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.file_name().and_then(|n| n.to_str());
    let format = FileFormat::detect(name, &bytes)
        .with_context(|| format!("{}: neither a CSV nor an XLSX file", file.display()))?;
    import_bytes(&bytes, format, options)
        .with_context(|| format!("cannot import {}", file.display()))
}

/// The `--json` document, serialised as it is written: a million-row file
/// must not first become a tree of JSON values in memory.
#[derive(Serialize)]
pub struct JsonReport<'a> {
    summary: JsonSummary,
    contacts: Vec<JsonContact<'a>>,
    errors: Vec<JsonError<'a>>,
}

#[derive(Serialize)]
struct JsonSummary {
    total_rows: usize,
    imported: usize,
    duplicates: usize,
    invalid: usize,
}

#[derive(Serialize)]
struct JsonContact<'a> {
    row: usize,
    phone: &'a str,
    line_type: &'a str,
    metadata: &'a std::collections::BTreeMap<String, String>,
}

#[derive(Serialize)]
struct JsonError<'a> {
    row: usize,
    value: &'a str,
    reason: &'a str,
}

pub fn to_json(report: &ImportReport) -> JsonReport<'_> {
    let s = &report.summary;
    JsonReport {
        summary: JsonSummary {
            total_rows: s.total_rows,
            imported: s.imported,
            duplicates: s.duplicates,
            invalid: s.invalid,
        },
        contacts: report
            .contacts
            .iter()
            .map(|c| JsonContact {
                row: c.row,
                phone: c.phone.as_str(),
                line_type: c.line_type.as_str(),
                metadata: &c.metadata,
            })
            .collect(),
        errors: report
            .errors
            .iter()
            .map(|e| JsonError {
                row: e.row,
                value: &e.value,
                reason: &e.reason,
            })
            .collect(),
    }
}

/// The human summary.
pub fn to_text(file: &Path, report: &ImportReport) -> String {
    let s = &report.summary;
    let mut out = format!(
        "{}\n  total rows   {:>8}\n  imported     {:>8}\n  duplicates   {:>8}\n  invalid      {:>8}\n",
        file.display(),
        s.total_rows,
        s.imported,
        s.duplicates,
        s.invalid
    );
    let mut by_type = std::collections::BTreeMap::new();
    for c in &report.contacts {
        *by_type.entry(c.line_type.as_str()).or_insert(0usize) += 1;
    }
    if !by_type.is_empty() {
        let parts: Vec<String> = by_type.iter().map(|(k, v)| format!("{k} {v}")).collect();
        out.push_str(&format!("  line types   {}\n", parts.join(", ")));
    }
    if !report.errors.is_empty() {
        out.push_str("invalid rows:\n");
        for e in &report.errors {
            out.push_str(&format!(
                "  row {:>6}  {:<24} {}\n",
                e.row,
                format!("{:?}", e.value),
                e.reason
            ));
        }
    }
    out
}

pub fn check(
    file: &Path,
    region: &str,
    json: bool,
    dedup: DedupArg,
    priority_fields: Vec<String>,
) -> anyhow::Result<ExitCode> {
    let options = options(region, dedup, priority_fields)?;
    let report = read_report(file, &options)?;
    if json {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut out, &to_json(&report))?;
        writeln!(out)?;
        out.flush()?;
    } else {
        print!("{}", to_text(file, &report));
    }
    Ok(ExitCode::SUCCESS)
}
