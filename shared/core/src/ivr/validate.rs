//! Flow validation: collects every problem so an editor can show them all.
//!
//! Rules: the flow has nodes and its start node exists; ids are non-empty
//! and unique; every `nextNodeId` (of nodes, options and `onTimeout`) names a
//! node; every node can be reached from the start; menu keys are single DTMF
//! keys and every option does something; nothing follows an action that ends
//! the IVR; timeouts are at least 1 s and retries and capture lengths are
//! bounded; prompts are not empty; no loop can run without a key press (a
//! menu's timeout and a capture's move-on happen in silence, so they don't
//! break a loop: an answering machine would otherwise keep the line busy
//! forever); and the flow offers an opt-out (`add_to_blacklist`), which the
//! campaign rules require of every call.

use std::collections::{HashMap, HashSet};

use super::flow::{IvrNodeKind, MenuOption, is_dtmf};
use super::{IvrAction, IvrFlow, IvrValidationError};

/// Retries beyond this only keep a confused caller on the line.
pub const MAX_RETRIES: u32 = 10;
/// Longest digit capture (an E.164 number has at most 15 digits).
pub const MAX_CAPTURE_DIGITS: u32 = 32;
/// Longest wait for a key, in seconds.
pub const MAX_TIMEOUT_SECS: u32 = 120;

struct Errors(Vec<IvrValidationError>);

impl Errors {
    fn push(&mut self, node: &str, message: impl Into<String>) {
        self.0.push(IvrValidationError {
            node: node.to_owned(),
            message: message.into(),
        });
    }
}

pub(super) fn check(flow: &IvrFlow) -> Vec<IvrValidationError> {
    let mut errs = Errors(Vec::new());
    if flow.nodes.is_empty() {
        errs.push("flow", "the flow has no nodes");
    }

    // First index of every id; later duplicates are reported.
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, node) in flow.nodes.iter().enumerate() {
        if node.id.trim().is_empty() {
            errs.push(&format!("nodes[{i}]"), "node id is empty");
        } else if index.contains_key(node.id.as_str()) {
            errs.push(&node.id, "id is used by more than one node");
        } else {
            index.insert(&node.id, i);
        }
    }
    let start = index.get(flow.start_node_id.as_str()).copied();
    if start.is_none() && !flow.nodes.is_empty() {
        errs.push(
            "flow",
            format!("startNodeId {:?} names no node", flow.start_node_id),
        );
    }

    for node in &flow.nodes {
        check_node(node, &index, &mut errs);
    }

    if let Some(start) = start {
        check_reachable(flow, &index, start, &mut errs);
    }
    check_silent_loops(flow, &index, &mut errs);

    let opt_out = flow.nodes.iter().any(|n| match &n.kind {
        IvrNodeKind::Action(a) => a.action.action == IvrAction::AddToBlacklist,
        IvrNodeKind::Menu(m) => m
            .options
            .values()
            .chain(std::iter::once(&m.on_timeout))
            .any(|o| fires(o, &IvrAction::AddToBlacklist)),
        _ => false,
    });
    if !flow.nodes.is_empty() && !opt_out {
        errs.push(
            "flow",
            "the flow offers no opt-out: no add_to_blacklist action",
        );
    }
    errs.0
}

fn fires(option: &MenuOption, action: &IvrAction) -> bool {
    option.action.as_ref().is_some_and(|a| &a.action == action)
}

fn check_target(
    node: &str,
    what: &str,
    target: Option<&String>,
    index: &HashMap<&str, usize>,
    errs: &mut Errors,
) {
    if let Some(t) = target
        && !index.contains_key(t.as_str())
    {
        errs.push(node, format!("{what} {t:?} names no node"));
    }
}

fn check_audio(node: &str, what: &str, audio: &str, errs: &mut Errors) {
    if audio.trim().is_empty() {
        errs.push(node, format!("{what} is empty"));
    }
}

fn check_timeout(node: &str, secs: u32, errs: &mut Errors) {
    if secs == 0 {
        errs.push(node, "timeout must be at least 1 second");
    } else if secs > MAX_TIMEOUT_SECS {
        errs.push(
            node,
            format!("timeout must be at most {MAX_TIMEOUT_SECS} seconds"),
        );
    }
}

fn check_option(
    node: &str,
    what: &str,
    option: &MenuOption,
    index: &HashMap<&str, usize>,
    errs: &mut Errors,
) {
    match (&option.action, &option.next_node_id) {
        (None, None) => errs.push(
            node,
            format!("{what} does nothing: give it an action or a nextNodeId"),
        ),
        (Some(a), Some(_)) if a.action.ends_ivr() => errs.push(
            node,
            format!(
                "{what}: nextNodeId is never used, the IVR ends after {}",
                action_name(&a.action)
            ),
        ),
        _ => {}
    }
    check_target(
        node,
        &format!("{what} nextNodeId"),
        option.next_node_id.as_ref(),
        index,
        errs,
    );
}

fn action_name(action: &IvrAction) -> &'static str {
    match action {
        IvrAction::SendSms => "send_sms",
        IvrAction::TransferAgent => "transfer_agent",
        IvrAction::AddToBlacklist => "add_to_blacklist",
        IvrAction::TriggerDonation => "trigger_donation",
        IvrAction::EndCall => "end_call",
    }
}

fn check_node(node: &super::IvrNode, index: &HashMap<&str, usize>, errs: &mut Errors) {
    let id = node.id.as_str();
    match &node.kind {
        IvrNodeKind::PlayAudio(p) => {
            check_audio(id, "audioUrl", &p.audio_url, errs);
            check_target(id, "nextNodeId", p.next_node_id.as_ref(), index, errs);
        }
        IvrNodeKind::Menu(m) => {
            check_audio(id, "audioUrl", &m.audio_url, errs);
            check_audio(id, "invalidAudioUrl", &m.invalid_audio_url, errs);
            check_audio(id, "timeoutAudioUrl", &m.timeout_audio_url, errs);
            check_timeout(id, m.timeout, errs);
            if m.max_retries > MAX_RETRIES {
                errs.push(id, format!("maxRetries must be at most {MAX_RETRIES}"));
            }
            if m.options.is_empty() {
                errs.push(id, "menu has no options");
            }
            for (key, option) in &m.options {
                let mut chars = key.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if is_dtmf(c) => {}
                    _ => errs.push(
                        id,
                        format!("option key {key:?} is not one of the keys 0-9, * or #"),
                    ),
                }
                check_option(id, &format!("option {key:?}"), option, index, errs);
            }
            check_option(id, "onTimeout", &m.on_timeout, index, errs);
        }
        IvrNodeKind::CaptureInput(c) => {
            if let Some(audio) = &c.audio_url {
                check_audio(id, "audioUrl", audio, errs);
            }
            if c.max_digits == 0 || c.max_digits > MAX_CAPTURE_DIGITS {
                errs.push(
                    id,
                    format!("maxDigits must be between 1 and {MAX_CAPTURE_DIGITS}"),
                );
            }
            check_timeout(id, c.timeout, errs);
            check_target(id, "nextNodeId", c.next_node_id.as_ref(), index, errs);
        }
        IvrNodeKind::Action(a) => {
            if a.action.action.ends_ivr() && a.next_node_id.is_some() {
                errs.push(
                    id,
                    format!(
                        "nextNodeId is never used, the IVR ends after {}",
                        action_name(&a.action.action)
                    ),
                );
            }
            check_target(id, "nextNodeId", a.next_node_id.as_ref(), index, errs);
        }
    }
}

fn check_reachable(flow: &IvrFlow, index: &HashMap<&str, usize>, start: usize, errs: &mut Errors) {
    let mut seen = vec![false; flow.nodes.len()];
    let mut stack = vec![start];
    seen[start] = true;
    while let Some(i) = stack.pop() {
        for (target, _) in flow.nodes[i].edges() {
            if let Some(&j) = index.get(target)
                && !seen[j]
            {
                seen[j] = true;
                stack.push(j);
            }
        }
    }
    for (i, node) in flow.nodes.iter().enumerate() {
        // Duplicates are reported already; judge only the first of an id.
        if !seen[i] && index.get(node.id.as_str()) == Some(&i) {
            errs.push(&node.id, "cannot be reached from the start node");
        }
    }
}

/// Every node has at most one step that needs no key press, so those steps
/// form a functional graph: follow each path until it ends, meets a node
/// already judged, or comes back to itself.
fn check_silent_loops(flow: &IvrFlow, index: &HashMap<&str, usize>, errs: &mut Errors) {
    let silent_next: Vec<Option<usize>> = flow
        .nodes
        .iter()
        .map(|n| {
            n.edges()
                .into_iter()
                .find(|(_, silent)| *silent)
                .and_then(|(t, _)| index.get(t).copied())
        })
        .collect();
    // 0: not visited, 1: on the current path, 2: judged.
    let mut state = vec![0u8; flow.nodes.len()];
    let mut reported: HashSet<usize> = HashSet::new();
    for first in 0..flow.nodes.len() {
        let mut path = Vec::new();
        let mut at = Some(first);
        while let Some(i) = at {
            match state[i] {
                0 => {
                    state[i] = 1;
                    path.push(i);
                    at = silent_next[i];
                }
                1 => {
                    let from = path.iter().position(|&p| p == i).unwrap_or(0);
                    let cycle = &path[from..];
                    if reported.insert(i) {
                        let mut names: Vec<&str> =
                            cycle.iter().map(|&c| flow.nodes[c].id.as_str()).collect();
                        names.push(flow.nodes[i].id.as_str());
                        errs.push(
                            &flow.nodes[i].id,
                            format!("loops without any key press: {}", names.join(" -> ")),
                        );
                    }
                    break;
                }
                _ => break,
            }
        }
        for i in path {
            state[i] = 2;
        }
    }
}
