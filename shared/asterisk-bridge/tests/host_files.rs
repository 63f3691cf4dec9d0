//! The telephony host's files in `infra/asterisk/`: ARI stays on the
//! loopback interface, the trunk template is IP-authenticated with
//! ulaw/alaw, the AMD context hands its result to the app, only
//! placeholders stand where secrets go, and the install script writes every
//! variable the bridge reads.

use std::path::PathBuf;

use asterisk_bridge::config::ENV_VARS;

fn file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../infra/asterisk")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `key=value` lines of `[section]` (the first section of that name and type).
fn section(text: &str, name: &str, kind: Option<&str>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut lines = Vec::new();
    for line in text
        .lines()
        .map(|l| l.split(';').next().unwrap_or("").trim())
    {
        if line.starts_with('[') {
            if current.as_deref() == Some(name) {
                let matches = kind.is_none_or(|k| {
                    lines
                        .iter()
                        .any(|(key, v): &(String, String)| key == "type" && v == k)
                });
                if matches && out.is_empty() {
                    out = std::mem::take(&mut lines);
                }
            }
            lines.clear();
            current = Some(
                line.trim_start_matches('[')
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .to_owned(),
            );
        } else if let Some((k, v)) = line.split_once('=') {
            lines.push((
                k.trim().to_owned(),
                v.trim_start_matches('>').trim().to_owned(),
            ));
        }
    }
    if current.as_deref() == Some(name) && out.is_empty() {
        let matches = kind.is_none_or(|k| lines.iter().any(|(key, v)| key == "type" && v == k));
        if matches {
            out = lines;
        }
    }
    out
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[test]
fn ari_listens_on_loopback_only_and_holds_no_secret() {
    let http = file("http.conf");
    let general = section(&http, "general", None);
    assert_eq!(value(&general, "bindaddr"), Some("127.0.0.1"));
    assert_eq!(value(&general, "enabled"), Some("yes"));
    let ari = file("ari.conf");
    let user = section(&ari, "@@ARI_USER@@", Some("user"));
    assert_eq!(
        value(&user, "password"),
        Some("@@ARI_PASSWORD@@"),
        "only a placeholder"
    );
}

#[test]
fn the_trunk_is_ip_authenticated_with_ulaw_and_alaw() {
    let pjsip = file("pjsip.conf");
    let template = section(&pjsip, "trunk-template", Some("endpoint"));
    assert_eq!(value(&template, "allow"), Some("ulaw,alaw"));
    assert_eq!(value(&template, "disallow"), Some("all"));
    assert_eq!(value(&template, "auth"), None, "no password auth: IP only");
    assert_eq!(value(&template, "outbound_auth"), None);
    let identify = section(&pjsip, "trunk-identify", Some("identify"));
    assert_eq!(value(&identify, "endpoint"), Some("trunk"));
    assert_eq!(value(&identify, "match"), Some("@@TRUNK_MATCH@@"));
    assert!(!pjsip.contains("type=registration"));
}

#[test]
fn the_amd_context_passes_its_result_to_the_app() {
    let ext = file("extensions.conf");
    let amd = ext.find("AMD()").expect("AMD() in the dialplan");
    let stasis = ext
        .find("Stasis(${ARI_APP},amd,${AMDSTATUS})")
        .expect("Stasis with the AMD result");
    assert!(amd < stasis, "AMD runs before Stasis");
    assert!(ext.contains("[campaign-amd]"));
}

#[test]
fn install_writes_every_bridge_variable_and_the_unit_runs_the_bridge() {
    let install = file("install.sh");
    for name in ENV_VARS {
        assert!(
            install.contains(&format!("echo \"{name}=")),
            "install.sh does not write {name} to the bridge's environment"
        );
    }
    let ok = std::process::Command::new("bash")
        .args(["-n"])
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra/asterisk/install.sh"))
        .status()
        .expect("bash");
    assert!(ok.success(), "install.sh has a syntax error");
    let unit = file("asterisk-bridge.service");
    assert!(unit.contains("ExecStart=/usr/local/bin/asterisk-bridge"));
    assert!(unit.contains("EnvironmentFile=/etc/asterisk-bridge/env"));
    assert!(unit.contains("KillSignal=SIGTERM"));
}
