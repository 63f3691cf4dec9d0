//! IVR flows, the engine and SMS templates: properties 12, 15, 16, 17, 18
//! and 22 of `003_*`, validation properties, and the named examples.
//!
//! The generated flows are menus with random key maps (actions, submenus,
//! info prompts, digit captures, action nodes) and random timeout settings.
//! Expectations come from `Model`, a plain reading of the flow definition
//! written here, driven "politely" (every prompt plays to its end, keys only
//! while waiting), so the engine is checked against the definition rather
//! than against itself.

use std::collections::BTreeMap;

use campaign_core::ivr::flow::{
    DEFAULT_INVALID_AUDIO, DEFAULT_TIMEOUT_AUDIO, DTMF_KEYS, STANDARD_MENU_AUDIO,
    STANDARD_THANKS_AUDIO,
};
use campaign_core::ivr::{
    ActionNode, CaptureNode, IvrAction, IvrActionSpec, IvrCommand, IvrEngine, IvrEvent, IvrFlow,
    IvrNode, IvrNodeKind, MenuNode, MenuOption, PlayAudioNode,
};
use campaign_core::template::{Template, TemplateError};
use proptest::prelude::*;
use serde_json::json;

// ---------------------------------------------------------------- helpers

fn play(audio: &str) -> IvrCommand {
    IvrCommand::Play {
        audio: audio.to_owned(),
    }
}

fn wait(timeout_secs: u32) -> IvrCommand {
    IvrCommand::WaitForInput { timeout_secs }
}

fn fire(a: IvrAction) -> IvrCommand {
    IvrCommand::Fire(a)
}

/// Lets every prompt play to its end: answers each trailing `Play` with
/// `PlaybackFinished` and returns all commands, flattened.
fn polite(engine: &mut IvrEngine, first: Vec<IvrCommand>) -> Vec<IvrCommand> {
    let mut all = first;
    while matches!(all.last(), Some(IvrCommand::Play { .. })) {
        let more = engine.on_event(IvrEvent::PlaybackFinished);
        assert!(
            !more.is_empty(),
            "a finished prompt must lead somewhere: {all:?}"
        );
        all.extend(more);
    }
    all
}

fn count_fires(cmds: &[IvrCommand], a: &IvrAction) -> usize {
    cmds.iter()
        .filter(|c| matches!(c, IvrCommand::Fire(x) if x == a))
        .count()
}

fn menu_of<'f>(flow: &'f IvrFlow, id: &str) -> Option<&'f MenuNode> {
    match &flow.node(id)?.kind {
        IvrNodeKind::Menu(m) => Some(m),
        _ => None,
    }
}

fn key_of(c: char) -> String {
    c.to_string()
}

// ------------------------------------------------------------------ model

/// The flow definition read literally, for polite driving.
struct Model<'f> {
    flow: &'f IvrFlow,
    fired: Vec<IvrAction>,
    out: Vec<IvrCommand>,
    /// The menu or capture waiting for a key.
    at: Option<String>,
    ended: bool,
    typed: String,
    captured: BTreeMap<String, String>,
}

impl<'f> Model<'f> {
    fn new(flow: &'f IvrFlow) -> Self {
        Model {
            flow,
            fired: vec![],
            out: vec![],
            at: None,
            ended: false,
            typed: String::new(),
            captured: BTreeMap::new(),
        }
    }

    fn answer(&mut self) {
        let start = self.flow.start_node_id.clone();
        self.enter(Some(&start));
    }

    /// Fires `spec` unless already fired; true when the IVR is over.
    fn fire(&mut self, spec: &IvrActionSpec) -> bool {
        if !self.fired.contains(&spec.action) {
            self.fired.push(spec.action.clone());
            self.out.push(fire(spec.action.clone()));
        }
        match spec.action {
            IvrAction::AddToBlacklist | IvrAction::EndCall => {
                self.out.push(IvrCommand::HangUp);
                self.ended = true;
                true
            }
            IvrAction::TransferAgent => {
                self.ended = true;
                true
            }
            _ => false,
        }
    }

    fn enter(&mut self, next: Option<&str>) {
        self.at = None;
        let mut next = next.map(str::to_owned);
        loop {
            let Some(id) = next else {
                self.out.push(IvrCommand::HangUp);
                self.ended = true;
                return;
            };
            let node = self.flow.node(&id).expect("generated flows are valid");
            match &node.kind {
                IvrNodeKind::PlayAudio(p) => {
                    self.out.push(play(&p.audio_url));
                    next = p.next_node_id.clone();
                }
                IvrNodeKind::Menu(m) => {
                    self.out.push(play(&m.audio_url));
                    self.out.push(wait(m.timeout));
                    self.at = Some(id);
                    return;
                }
                IvrNodeKind::CaptureInput(c) => {
                    self.out
                        .push(play(c.audio_url.as_deref().expect("generated")));
                    self.out.push(wait(c.timeout));
                    self.typed.clear();
                    self.at = Some(id);
                    return;
                }
                IvrNodeKind::Action(a) => {
                    if self.fire(&a.action) {
                        return;
                    }
                    next = a.next_node_id.clone();
                }
            }
        }
    }

    fn take(&mut self, option: &MenuOption) {
        self.at = None;
        if let Some(a) = &option.action
            && self.fire(a)
        {
            return;
        }
        self.enter(option.next_node_id.as_deref());
    }

    /// A key typed into the waiting capture.
    fn capture_key(&mut self, id: &str, c: &CaptureNode, key: char) {
        if key != '#' {
            self.typed.push(key);
        }
        if key == '#' || self.typed.len() >= c.max_digits as usize {
            self.captured
                .insert(id.to_owned(), std::mem::take(&mut self.typed));
            self.enter(c.next_node_id.as_deref());
        } else {
            self.out.push(wait(c.timeout));
        }
    }
}

/// Drives engine and model with the same polite walk: at each menu the key
/// of option `choice % n`, at each capture `choice % max` digits (ended by
/// `#` when short). Returns the keys pressed.
fn walk(
    flow: &IvrFlow,
    engine: &mut IvrEngine,
    model: &mut Model,
    choices: &[usize],
    got: &mut Vec<IvrCommand>,
) -> Vec<char> {
    let mut keys = vec![];
    for &choice in choices {
        let Some(at) = model.at.clone() else { break };
        match &flow.node(&at).expect("valid").kind {
            IvrNodeKind::Menu(m) => {
                let (key, option) = m.options.iter().nth(choice % m.options.len()).unwrap();
                let key = key.chars().next().unwrap();
                keys.push(key);
                model.take(option);
                let first = engine.on_event(IvrEvent::Digit(key));
                got.extend(polite(engine, first));
            }
            IvrNodeKind::CaptureInput(c) => {
                let n = 1 + choice % c.max_digits as usize;
                let mut typed: Vec<char> = (0..n)
                    .map(|i| char::from(b'0' + ((choice + i) % 10) as u8))
                    .collect();
                if n < c.max_digits as usize {
                    typed.push('#');
                }
                for key in typed {
                    keys.push(key);
                    model.capture_key(&at, c, key);
                    let first = engine.on_event(IvrEvent::Digit(key));
                    got.extend(polite(engine, first));
                }
            }
            _ => unreachable!("the model waits only at menus and captures"),
        }
    }
    keys
}

// -------------------------------------------------------------- generator

const ALL_ACTIONS: [IvrAction; 5] = [
    IvrAction::SendSms,
    IvrAction::TransferAgent,
    IvrAction::AddToBlacklist,
    IvrAction::TriggerDonation,
    IvrAction::EndCall,
];
const SOFT_ACTIONS: [IvrAction; 2] = [IvrAction::SendSms, IvrAction::TriggerDonation];

#[derive(Debug, Clone)]
enum Target {
    End,
    Menu(usize),
    /// An info prompt that returns to the same menu.
    Info,
    /// A digit capture of this many digits that returns to the same menu.
    Capture(u32),
    /// An action node firing a soft action, then a menu.
    ActionThen(usize, usize),
}

#[derive(Debug, Clone)]
enum OnTimeout {
    EndCall,
    Bye,
    /// Fire a soft action then go to a later menu (or the bye prompt).
    FireThenLater(usize, usize),
}

#[derive(Debug, Clone)]
struct MenuSpec {
    keys: Vec<char>,
    actions: Vec<Option<usize>>,
    targets: Vec<Target>,
    timeout: u32,
    max_retries: u32,
    repeat_on_timeout: bool,
    on_timeout: OnTimeout,
    parent: usize,
}

fn target_strategy() -> impl Strategy<Value = Target> {
    prop_oneof![
        2 => Just(Target::End),
        4 => (0usize..8).prop_map(Target::Menu),
        2 => Just(Target::Info),
        1 => (1u32..=4).prop_map(Target::Capture),
        1 => (0usize..2, 0usize..8).prop_map(|(a, m)| Target::ActionThen(a, m)),
    ]
}

fn menu_strategy() -> impl Strategy<Value = MenuSpec> {
    (
        proptest::sample::subsequence(DTMF_KEYS.to_vec(), 1..=5).prop_shuffle(),
        proptest::collection::vec(
            (
                proptest::option::weighted(0.7, 0usize..5),
                target_strategy(),
            ),
            5,
        ),
        1u32..=30,
        0u32..=3,
        any::<bool>(),
        prop_oneof![
            Just(OnTimeout::EndCall),
            Just(OnTimeout::Bye),
            (0usize..2, 0usize..8).prop_map(|(a, m)| OnTimeout::FireThenLater(a, m)),
        ],
        0usize..8,
    )
        .prop_map(
            |(keys, opts, timeout, max_retries, repeat_on_timeout, on_timeout, parent)| {
                let n = keys.len();
                MenuSpec {
                    keys,
                    actions: opts.iter().take(n).map(|(a, _)| *a).collect(),
                    targets: opts.into_iter().take(n).map(|(_, t)| t).collect(),
                    timeout,
                    max_retries,
                    repeat_on_timeout,
                    on_timeout,
                    parent,
                }
            },
        )
}

fn menu_id(i: usize) -> String {
    format!("m{i}")
}

fn play_node(id: &str, next: Option<String>) -> IvrNode {
    IvrNode::new(
        id,
        IvrNodeKind::PlayAudio(PlayAudioNode {
            audio_url: format!("sound:{id}"),
            next_node_id: next,
        }),
    )
}

/// Builds a valid flow from the specs: every menu `j > 0` gets an extra key
/// in an earlier menu so it is reachable, timeouts only lead to later menus
/// (so no loop runs in silence), and menu 0 gets an opt-out key if no
/// option has one.
fn build_flow(specs: &[MenuSpec], intro: bool) -> IvrFlow {
    let k = specs.len();
    let mut extra: Vec<Vec<(Option<IvrAction>, Target)>> = vec![vec![]; k];
    for (j, spec) in specs.iter().enumerate().skip(1) {
        extra[spec.parent % j].push((None, Target::Menu(j)));
    }
    let has_opt_out = specs
        .iter()
        .any(|s| s.actions.iter().flatten().any(|&a| a == 2));
    if !has_opt_out {
        extra[0].push((Some(IvrAction::AddToBlacklist), Target::End));
    }

    let mut nodes = vec![];
    let mut bye = false;
    for (i, spec) in specs.iter().enumerate() {
        let id = menu_id(i);
        let mut entries: Vec<(Option<IvrAction>, Target)> = spec
            .actions
            .iter()
            .zip(&spec.targets)
            .map(|(a, t)| (a.map(|a| ALL_ACTIONS[a].clone()), t.clone()))
            .collect();
        entries.extend(extra[i].iter().cloned());
        let free: Vec<char> = DTMF_KEYS
            .iter()
            .copied()
            .filter(|c| !spec.keys.contains(c))
            .collect();
        let keys: Vec<char> = spec.keys.iter().chain(&free).copied().collect();
        let mut options = BTreeMap::new();
        for (n, (action, target)) in entries.into_iter().enumerate() {
            let key = keys[n];
            let ends = action.as_ref().is_some_and(IvrAction::ends_ivr);
            let next = if ends {
                None
            } else {
                match target {
                    Target::End => None,
                    Target::Menu(j) => Some(menu_id(j % k)),
                    Target::Info => {
                        let info = format!("{id}-info-{key}");
                        nodes.push(play_node(&info, Some(id.clone())));
                        Some(info)
                    }
                    Target::Capture(max) => {
                        let cap = format!("{id}-cap-{key}");
                        nodes.push(IvrNode::new(
                            &cap,
                            IvrNodeKind::CaptureInput(CaptureNode {
                                audio_url: Some(format!("sound:{cap}")),
                                max_digits: max,
                                timeout: 5,
                                next_node_id: Some(id.clone()),
                            }),
                        ));
                        Some(cap)
                    }
                    Target::ActionThen(a, j) => {
                        let act = format!("{id}-act-{key}");
                        nodes.push(IvrNode::new(
                            &act,
                            IvrNodeKind::Action(ActionNode {
                                action: SOFT_ACTIONS[a].clone().into(),
                                next_node_id: Some(menu_id(j % k)),
                            }),
                        ));
                        Some(act)
                    }
                }
            };
            // An option must do something: without action or next, re-ask.
            let next = if action.is_none() && next.is_none() {
                Some(id.clone())
            } else {
                next
            };
            options.insert(
                key_of(key),
                MenuOption {
                    action: action.map(Into::into),
                    next_node_id: next,
                },
            );
        }
        let on_timeout = match &spec.on_timeout {
            OnTimeout::EndCall => MenuOption::end_call(),
            OnTimeout::Bye => {
                bye = true;
                MenuOption::goto("bye")
            }
            OnTimeout::FireThenLater(a, j) => {
                let later = i + 1 + j;
                let next = if later < k {
                    menu_id(later)
                } else {
                    bye = true;
                    "bye".to_owned()
                };
                MenuOption::fire_then(SOFT_ACTIONS[*a].clone(), &next)
            }
        };
        nodes.push(IvrNode::new(
            &id,
            IvrNodeKind::Menu(MenuNode {
                audio_url: format!("sound:{id}"),
                options,
                timeout: spec.timeout,
                max_retries: spec.max_retries,
                invalid_audio_url: format!("sound:{id}-invalid"),
                timeout_audio_url: format!("sound:{id}-timeout"),
                repeat_on_timeout: spec.repeat_on_timeout,
                on_timeout,
            }),
        ));
    }
    if bye {
        nodes.push(play_node("bye", None));
    }
    let start = if intro {
        nodes.push(play_node("intro", Some(menu_id(0))));
        "intro".to_owned()
    } else {
        menu_id(0)
    };
    IvrFlow {
        start_node_id: start,
        nodes,
    }
}

fn flow_strategy() -> impl Strategy<Value = IvrFlow> {
    (
        proptest::collection::vec(menu_strategy(), 1..=4),
        any::<bool>(),
    )
        .prop_map(|(specs, intro)| build_flow(&specs, intro))
}

/// A generated flow, a polite walk into it, and where it stopped.
fn walked<'f>(flow: &'f IvrFlow, choices: &[usize]) -> (IvrEngine, Model<'f>, Vec<IvrCommand>) {
    let mut engine = IvrEngine::new(flow.clone());
    let mut model = Model::new(flow);
    model.answer();
    let first = engine.on_event(IvrEvent::Answered);
    let mut got = polite(&mut engine, first);
    walk(flow, &mut engine, &mut model, choices, &mut got);
    (engine, model, got)
}

// ------------------------------------------------------------- properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_flows_are_valid_and_round_trip_through_json(flow in flow_strategy()) {
        prop_assert_eq!(flow.validate(), Ok(()));
        let text = serde_json::to_string(&flow).unwrap();
        let back: IvrFlow = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, flow);
    }

    // Property 15: DTMF action execution
    #[test]
    fn mapped_key_fires_its_action_exactly_once(
        flow in flow_strategy(),
        choices in proptest::collection::vec(0usize..12, 0..10),
        repeats in 1usize..4,
    ) {
        let mut engine = IvrEngine::new(flow.clone());
        let first = engine.on_event(IvrEvent::Answered);
        let mut all = polite(&mut engine, first);
        let mut pressed_actions = vec![];
        for choice in choices {
            if engine.is_finished() { break; }
            let Some(at) = engine.current_node().map(str::to_owned) else { break };
            let Some(menu) = menu_of(&flow, &at) else {
                // A capture: end it with '#' and go on.
                let next = engine.on_event(IvrEvent::Digit('#'));
                all.extend(polite(&mut engine, next));
                continue;
            };
            let (key, option) = menu.options.iter().nth(choice % menu.options.len()).unwrap();
            let key = key.chars().next().unwrap();
            let before: Vec<IvrAction> = engine.fired().to_vec();
            let batch = engine.on_event(IvrEvent::Digit(key));
            if let Some(spec) = &option.action {
                let expected = usize::from(!before.contains(&spec.action));
                prop_assert_eq!(count_fires(&batch, &spec.action), expected, "batch {:?}", batch);
                pressed_actions.push(spec.action.clone());
            } else {
                prop_assert_eq!(count_fires(&batch, &IvrAction::EndCall), 0);
            }
            all.extend(batch.clone());
            // The same key delivered again (a repeated event) never fires twice.
            for _ in 1..repeats {
                let again = engine.on_event(IvrEvent::Digit(key));
                all.extend(again);
            }
            let rest = if matches!(all.last(), Some(IvrCommand::Play { .. })) {
                let pf = engine.on_event(IvrEvent::PlaybackFinished);
                polite(&mut engine, pf)
            } else { vec![] };
            all.extend(rest);
        }
        for a in &ALL_ACTIONS {
            prop_assert!(count_fires(&all, a) <= 1, "{:?} fired twice: {:?}", a, all);
        }
        for a in &pressed_actions {
            prop_assert_eq!(count_fires(&all, a), 1);
        }
        let fired_cmds: Vec<IvrAction> = all.iter().filter_map(|c| match c {
            IvrCommand::Fire(a) => Some(a.clone()),
            _ => None,
        }).collect();
        prop_assert_eq!(engine.fired(), &fired_cmds[..]);
    }

    // Property 16: Invalid DTMF error handling
    #[test]
    fn unmapped_key_plays_the_error_prompt_and_the_menu_again(
        flow in flow_strategy(),
        choices in proptest::collection::vec(0usize..12, 0..6),
        pick in 0usize..12,
        barge_in in any::<bool>(),
    ) {
        let (mut engine, mut model, _) = walked(&flow, &choices);
        let Some(at) = model.at.clone() else { return Ok(()) };
        let Some(menu) = menu_of(&flow, &at) else { return Ok(()) };
        let unmapped: Vec<char> = DTMF_KEYS.iter().copied()
            .filter(|c| menu.option(*c).is_none()).collect();
        prop_assume!(!unmapped.is_empty());
        let key = unmapped[pick % unmapped.len()];
        for _ in 0..menu.max_retries {
            if barge_in {
                // Back to the menu prompt, and press over it.
                prop_assert_eq!(engine.on_event(IvrEvent::Digit(key)), vec![play(&menu.invalid_audio_url)]);
                prop_assert_eq!(engine.on_event(IvrEvent::PlaybackFinished), vec![play(&menu.audio_url)]);
                continue;
            }
            prop_assert_eq!(engine.on_event(IvrEvent::Digit(key)), vec![play(&menu.invalid_audio_url)]);
            prop_assert_eq!(engine.on_event(IvrEvent::PlaybackFinished), vec![play(&menu.audio_url)]);
            prop_assert_eq!(engine.on_event(IvrEvent::PlaybackFinished), vec![wait(menu.timeout)]);
        }
        // Retries used up: error prompt, timeout prompt, then the timeout action.
        prop_assert_eq!(engine.on_event(IvrEvent::Digit(key)), vec![play(&menu.invalid_audio_url)]);
        prop_assert_eq!(engine.on_event(IvrEvent::PlaybackFinished), vec![play(&menu.timeout_audio_url)]);
        let rest = engine.on_event(IvrEvent::PlaybackFinished);
        let got = polite(&mut engine, rest);
        model.out.clear();
        model.take(&menu.on_timeout);
        prop_assert_eq!(got, model.out);
        prop_assert_eq!(engine.is_finished(), model.ended);
    }

    // Property 17: Multi-level menu navigation
    #[test]
    fn key_sequences_walk_the_menu_hierarchy_as_defined(
        flow in flow_strategy(),
        choices in proptest::collection::vec(0usize..12, 0..12),
    ) {
        let (engine, model, got) = walked(&flow, &choices);
        prop_assert_eq!(&got, &model.out);
        prop_assert_eq!(engine.fired(), &model.fired[..]);
        prop_assert_eq!(engine.is_finished(), model.ended);
        prop_assert_eq!(engine.captured(), &model.captured);
        if !model.ended {
            prop_assert_eq!(engine.current_node(), model.at.as_deref());
        }
    }

    // Property 18: IVR timeout handling
    #[test]
    fn silence_plays_the_timeout_prompt_then_the_timeout_action(
        flow in flow_strategy(),
        choices in proptest::collection::vec(0usize..12, 0..6),
        silences in 1usize..5,
    ) {
        let (mut engine, mut model, _) = walked(&flow, &choices);
        let Some(at) = model.at.clone() else { return Ok(()) };
        let Some(menu) = menu_of(&flow, &at) else { return Ok(()) };
        for n in 1..=silences {
            prop_assert_eq!(engine.on_event(IvrEvent::Timeout), vec![play(&menu.timeout_audio_url)]);
            let rest = engine.on_event(IvrEvent::PlaybackFinished);
            let got = polite(&mut engine, rest);
            if menu.repeat_on_timeout && n as u32 <= menu.max_retries {
                prop_assert_eq!(got, vec![play(&menu.audio_url), wait(menu.timeout)]);
            } else {
                model.out.clear();
                model.take(&menu.on_timeout);
                prop_assert_eq!(got, model.out);
                prop_assert_eq!(engine.is_finished(), model.ended);
                break;
            }
        }
    }

    // Property 12: DTMF opt-out immediate effect
    #[test]
    fn nine_opts_out_and_hangs_up_at_once_in_the_standard_flow(
        prefix in proptest::collection::vec(
            prop_oneof![
                3 => Just(IvrEvent::PlaybackFinished),
                1 => Just(IvrEvent::Timeout),
                1 => Just(IvrEvent::Answered),
                3 => proptest::sample::select(vec!['0', '1', '2', '5', '8', '*', '#']).prop_map(IvrEvent::Digit),
            ],
            0..10,
        ),
        after in proptest::collection::vec(
            prop_oneof![
                Just(IvrEvent::PlaybackFinished),
                Just(IvrEvent::Timeout),
                Just(IvrEvent::Digit('9')),
                Just(IvrEvent::Digit('1')),
                Just(IvrEvent::Answered),
            ],
            0..4,
        ),
    ) {
        let mut engine = IvrEngine::new(IvrFlow::standard("recording:campaign-42"));
        engine.on_event(IvrEvent::Answered);
        for e in prefix {
            engine.on_event(e);
        }
        let was_active = !engine.is_finished();
        let blacklisted_before = engine.fired().contains(&IvrAction::AddToBlacklist);
        let batch = engine.on_event(IvrEvent::Digit('9'));
        if was_active {
            prop_assert!(!blacklisted_before);
            prop_assert_eq!(batch, vec![fire(IvrAction::AddToBlacklist), IvrCommand::HangUp]);
            prop_assert!(engine.fired().contains(&IvrAction::AddToBlacklist));
        } else {
            prop_assert_eq!(batch, vec![]);
        }
        prop_assert!(engine.is_finished());
        for e in after {
            prop_assert_eq!(engine.on_event(e), vec![]);
        }
    }

    #[test]
    fn validation_reports_dangling_targets(flow in flow_strategy(), pick in 0usize..64) {
        let mut flow = flow;
        let i = pick % flow.nodes.len();
        let id = flow.nodes[i].id.clone();
        let dangling = Some("nowhere".to_owned());
        match &mut flow.nodes[i].kind {
            IvrNodeKind::PlayAudio(p) => p.next_node_id = dangling,
            IvrNodeKind::CaptureInput(c) => c.next_node_id = dangling,
            IvrNodeKind::Action(a) => a.next_node_id = dangling,
            IvrNodeKind::Menu(m) => {
                let key = DTMF_KEYS.iter().find(|c| m.option(**c).is_none()).copied();
                match key {
                    Some(key) => { m.options.insert(key_of(key), MenuOption::goto("nowhere")); }
                    None => m.on_timeout = MenuOption::goto("nowhere"),
                }
            }
        }
        let errors = flow.validate().unwrap_err();
        prop_assert!(
            errors.iter().any(|e| e.node == id && e.message.contains("\"nowhere\" names no node")),
            "{:?}", errors
        );
    }

    #[test]
    fn validation_reports_duplicates_orphans_bad_keys_and_silent_loops(
        flow in flow_strategy(),
        pick in 0usize..64,
        bad_key in proptest::sample::select(vec!["", "10", "a", " ", "1#", "٣"]),
        zero_timeout in any::<bool>(),
    ) {
        let i = pick % flow.nodes.len();
        let id = flow.nodes[i].id.clone();

        let mut dup = flow.clone();
        dup.nodes.push(flow.nodes[i].clone());
        let errors = dup.validate().unwrap_err();
        prop_assert!(errors.iter().any(|e| e.node == id && e.message.contains("more than one")));

        let mut orphan = flow.clone();
        orphan.nodes.push(play_node("orphan", Some(id.clone())));
        let errors = orphan.validate().unwrap_err();
        prop_assert_eq!(errors.len(), 1);
        prop_assert_eq!(errors[0].node.as_str(), "orphan");

        // Point a free key of the first menu at a two-prompt loop.
        let mut looped = flow.clone();
        looped.nodes.push(play_node("loop-a", Some("loop-b".into())));
        looped.nodes.push(play_node("loop-b", Some("loop-a".into())));
        let m0 = looped.nodes.iter_mut().find(|n| n.id == "m0").unwrap();
        let IvrNodeKind::Menu(m) = &mut m0.kind else { unreachable!() };
        let free = DTMF_KEYS.iter().find(|c| m.option(**c).is_none()).copied().unwrap();
        m.options.insert(key_of(free), MenuOption::goto("loop-a"));
        let errors = looped.validate().unwrap_err();
        prop_assert_eq!(errors.len(), 1, "{:?}", errors);
        prop_assert!(errors[0].message.contains("loops without any key press"));

        let mut keyed = flow.clone();
        let m0 = keyed.nodes.iter_mut().find(|n| n.id == "m0").unwrap();
        let IvrNodeKind::Menu(m) = &mut m0.kind else { unreachable!() };
        m.options.insert(bad_key.to_owned(), MenuOption::end_call());
        if zero_timeout {
            m.timeout = 0;
        }
        let errors = keyed.validate().unwrap_err();
        prop_assert!(errors.iter().any(|e| e.node == "m0" && e.message.contains("is not one of the keys")));
        prop_assert_eq!(
            errors.iter().any(|e| e.node == "m0" && e.message.contains("timeout must be at least")),
            zero_timeout
        );
    }

    // Property 22: SMS template variable substitution
    #[test]
    fn templates_fill_every_placeholder_or_fail(
        pieces in proptest::collection::vec(
            prop_oneof![
                "[a-zA-Z0-9 ,.!?:;}-]{0,12}".prop_map(|t| (false, t)),
                Just((false, "{ ".to_owned())),
                Just((false, "שלום ".to_owned())),
                (0usize..5, any::<bool>()).prop_map(|(v, spaced)| (true, format!("{v}{}", if spaced { "s" } else { "" }))),
            ],
            0..12,
        ),
        values in proptest::collection::vec("[a-zA-Zא-ת0-9 ./:]{0,6}[a-zA-Zא-ת0-9]", 5),
        drop in proptest::collection::vec(any::<bool>(), 5),
    ) {
        const NAMES: [&str; 5] = ["first_name", "last.name", "donate-link", "amount", "X9"];
        let mut source = String::new();
        let mut expected = String::new();
        let mut order: Vec<&str> = vec![];
        for (is_var, text) in &pieces {
            if *is_var {
                let v: usize = text[..1].parse().unwrap();
                let name = NAMES[v];
                if text.ends_with('s') {
                    source.push_str(&format!("{{{{ {name} }}}}"));
                } else {
                    source.push_str(&format!("{{{{{name}}}}}"));
                }
                expected.push_str(&values[v]);
                if !order.contains(&name) { order.push(name); }
            } else {
                source.push_str(text);
                expected.push_str(text);
            }
        }
        let t = Template::parse(&source).unwrap();
        prop_assert_eq!(t.variables(), order.clone());
        let all: BTreeMap<String, String> =
            NAMES.iter().zip(&values).map(|(n, v)| (n.to_string(), v.clone())).collect();
        let out = t.render(&all).unwrap();
        prop_assert!(!out.contains("{{"));
        for name in &order {
            let v = &values[NAMES.iter().position(|n| n == name).unwrap()];
            prop_assert!(out.contains(v.as_str()));
        }
        prop_assert_eq!(&out, &expected);

        // Drop some variables (or blank them): the first one used is reported.
        let mut partial = all.clone();
        for (n, d) in NAMES.iter().zip(&drop) {
            if *d {
                if n.len() % 2 == 0 { partial.remove(*n); } else { partial.insert(n.to_string(), String::new()); }
            }
        }
        let first_missing = order.iter().find(|n| partial.get(**n).is_none_or(|v| v.is_empty()));
        match first_missing {
            Some(name) => prop_assert_eq!(t.render(&partial), Err(TemplateError::Missing(name.to_string()))),
            None => prop_assert_eq!(t.render(&partial), Ok(expected)),
        }
    }
}

// ---------------------------------------------------------- named examples

const AUDIO: &str = "recording:campaign-42";

fn answered_standard() -> IvrEngine {
    let mut e = IvrEngine::new(IvrFlow::standard(AUDIO));
    assert_eq!(e.on_event(IvrEvent::Answered), vec![play(AUDIO)]);
    e
}

fn at_standard_menu() -> IvrEngine {
    let mut e = answered_standard();
    assert_eq!(
        e.on_event(IvrEvent::PlaybackFinished),
        vec![play(STANDARD_MENU_AUDIO)]
    );
    assert_eq!(e.on_event(IvrEvent::PlaybackFinished), vec![wait(10)]);
    e
}

#[test]
fn standard_flow_is_valid_and_has_the_documented_json_shape() {
    let flow = IvrFlow::standard(AUDIO);
    assert_eq!(flow.validate(), Ok(()));
    let expected = json!({
        "startNodeId": "message",
        "nodes": [
            {"id": "message", "type": "play_audio", "audioUrl": AUDIO, "nextNodeId": "menu"},
            {
                "id": "menu",
                "type": "menu",
                "audioUrl": "sound:press-1-to-donate-9-to-opt-out",
                "options": {
                    "1": {"action": {"type": "trigger_donation"}, "nextNodeId": "thanks"},
                    "9": {"action": {"type": "add_to_blacklist"}}
                },
                "timeout": 10,
                "maxRetries": 2,
                "invalidAudioUrl": "sound:option-is-invalid",
                "timeoutAudioUrl": "sound:vm-goodbye",
                "onTimeout": {"action": {"type": "end_call"}}
            },
            {"id": "thanks", "type": "play_audio", "audioUrl": "sound:auth-thankyou"}
        ]
    });
    assert_eq!(serde_json::to_value(&flow).unwrap(), expected);
    let back: IvrFlow = serde_json::from_value(expected).unwrap();
    assert_eq!(back, flow);
}

#[test]
fn minimal_json_gets_the_menu_defaults_and_keeps_action_parameters() {
    let flow: IvrFlow = serde_json::from_value(json!({
        "startNodeId": "menu",
        "nodes": [{
            "id": "menu", "type": "menu", "audioUrl": "sound:menu",
            "options": {
                "2": {"action": {"type": "send_sms", "parameters": {"template": "Hi {{first_name}}"}}, "nextNodeId": "menu"},
                "9": {"action": {"type": "add_to_blacklist"}}
            }
        }]
    }))
    .unwrap();
    assert_eq!(flow.validate(), Ok(()));
    let IvrNodeKind::Menu(m) = &flow.nodes[0].kind else {
        panic!("menu expected")
    };
    assert_eq!(m.timeout, 10);
    assert_eq!(m.max_retries, 2);
    assert_eq!(m.invalid_audio_url, DEFAULT_INVALID_AUDIO);
    assert_eq!(m.timeout_audio_url, DEFAULT_TIMEOUT_AUDIO);
    assert_eq!(m.on_timeout, MenuOption::end_call());
    assert!(!m.repeat_on_timeout);
    let sms = m.option('2').unwrap().action.clone().unwrap();
    assert_eq!(sms.action, IvrAction::SendSms);
    assert_eq!(sms.parameters["template"], json!("Hi {{first_name}}"));

    let mut e = IvrEngine::new(flow);
    e.on_event(IvrEvent::Answered);
    e.on_event(IvrEvent::PlaybackFinished);
    assert_eq!(
        e.on_event(IvrEvent::Digit('2')),
        vec![fire(IvrAction::SendSms), play("sound:menu")]
    );
    assert_eq!(e.fired_specs(), std::slice::from_ref(&sms));
}

#[test]
fn the_json_schema_accepts_the_standard_flow_and_rejects_an_unknown_node_type() {
    let schema = serde_json::to_value(schemars::schema_for!(IvrFlow)).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let good = serde_json::to_value(IvrFlow::standard(AUDIO)).unwrap();
    assert!(validator.is_valid(&good));
    let bad = json!({"startNodeId": "a", "nodes": [{"id": "a", "type": "dance"}]});
    assert!(!validator.is_valid(&bad));
}

#[test]
fn standard_flow_key_1_fires_the_donation_then_thanks_and_hangs_up() {
    let mut e = at_standard_menu();
    assert_eq!(
        e.on_event(IvrEvent::Digit('1')),
        vec![
            fire(IvrAction::TriggerDonation),
            play(STANDARD_THANKS_AUDIO)
        ]
    );
    assert_eq!(
        e.on_event(IvrEvent::PlaybackFinished),
        vec![IvrCommand::HangUp]
    );
    assert!(e.is_finished());
    assert_eq!(e.fired(), &[IvrAction::TriggerDonation]);
    assert_eq!(e.digits(), &['1']);
}

#[test]
fn standard_flow_key_9_opts_out_and_hangs_up_in_the_same_batch() {
    let mut e = at_standard_menu();
    assert_eq!(
        e.on_event(IvrEvent::Digit('9')),
        vec![fire(IvrAction::AddToBlacklist), IvrCommand::HangUp]
    );
    assert!(e.is_finished());
    assert_eq!(e.on_event(IvrEvent::PlaybackFinished), vec![]);
    assert_eq!(e.on_event(IvrEvent::Digit('9')), vec![]);
    assert_eq!(e.fired(), &[IvrAction::AddToBlacklist]);
}

#[test]
fn standard_flow_invalid_keys_replay_the_menu_twice_then_say_goodbye() {
    let mut e = at_standard_menu();
    for _ in 0..2 {
        assert_eq!(
            e.on_event(IvrEvent::Digit('5')),
            vec![play(DEFAULT_INVALID_AUDIO)]
        );
        assert_eq!(
            e.on_event(IvrEvent::PlaybackFinished),
            vec![play(STANDARD_MENU_AUDIO)]
        );
        assert_eq!(e.on_event(IvrEvent::PlaybackFinished), vec![wait(10)]);
    }
    assert_eq!(
        e.on_event(IvrEvent::Digit('#')),
        vec![play(DEFAULT_INVALID_AUDIO)]
    );
    assert_eq!(
        e.on_event(IvrEvent::PlaybackFinished),
        vec![play(DEFAULT_TIMEOUT_AUDIO)]
    );
    assert_eq!(
        e.on_event(IvrEvent::PlaybackFinished),
        vec![fire(IvrAction::EndCall), IvrCommand::HangUp]
    );
    assert!(e.is_finished());
}

#[test]
fn standard_flow_silence_plays_the_timeout_prompt_and_ends_the_call() {
    let mut e = at_standard_menu();
    assert_eq!(
        e.on_event(IvrEvent::Timeout),
        vec![play(DEFAULT_TIMEOUT_AUDIO)]
    );
    assert_eq!(
        e.on_event(IvrEvent::PlaybackFinished),
        vec![fire(IvrAction::EndCall), IvrCommand::HangUp]
    );
}

#[test]
fn keys_over_the_message_are_taken_by_the_menu_ahead() {
    let mut e = answered_standard();
    assert_eq!(
        e.on_event(IvrEvent::Digit('1')),
        vec![
            fire(IvrAction::TriggerDonation),
            play(STANDARD_THANKS_AUDIO)
        ]
    );
    let mut e = answered_standard();
    assert_eq!(
        e.on_event(IvrEvent::Digit('7')),
        vec![play(DEFAULT_INVALID_AUDIO)]
    );
    assert_eq!(
        e.on_event(IvrEvent::PlaybackFinished),
        vec![play(STANDARD_MENU_AUDIO)]
    );
}

#[test]
fn over_the_thank_you_only_9_still_works() {
    let mut e = at_standard_menu();
    e.on_event(IvrEvent::Digit('1'));
    assert_eq!(e.on_event(IvrEvent::Digit('1')), vec![]);
    assert_eq!(e.on_event(IvrEvent::Digit('5')), vec![]);
    assert_eq!(
        e.on_event(IvrEvent::Digit('9')),
        vec![fire(IvrAction::AddToBlacklist), IvrCommand::HangUp]
    );
    assert_eq!(
        e.fired(),
        &[IvrAction::TriggerDonation, IvrAction::AddToBlacklist]
    );
    assert_eq!(e.digits(), &['1', '1', '5', '9']);
}

#[test]
fn events_out_of_place_are_ignored() {
    let mut e = IvrEngine::new(IvrFlow::standard(AUDIO));
    assert_eq!(e.on_event(IvrEvent::Digit('9')), vec![]);
    assert_eq!(e.on_event(IvrEvent::PlaybackFinished), vec![]);
    assert_eq!(e.on_event(IvrEvent::Timeout), vec![]);
    assert_eq!(e.current_node(), None);
    e.on_event(IvrEvent::Answered);
    assert_eq!(e.on_event(IvrEvent::Answered), vec![]);
    // Timer events while a prompt plays are stale.
    assert_eq!(e.on_event(IvrEvent::Timeout), vec![]);
    e.on_event(IvrEvent::PlaybackFinished);
    e.on_event(IvrEvent::PlaybackFinished);
    // Waiting for a key: a stray playback end changes nothing.
    assert_eq!(e.on_event(IvrEvent::PlaybackFinished), vec![]);
    assert_eq!(e.current_node(), Some("menu"));
    assert_eq!(e.on_event(IvrEvent::HangUp), vec![]);
    assert!(e.is_finished());
    assert_eq!(e.on_event(IvrEvent::Digit('1')), vec![]);
    assert!(e.fired().is_empty());
}

#[test]
fn hang_up_before_answer_finishes_quietly() {
    let mut e = IvrEngine::new(IvrFlow::standard(AUDIO));
    assert_eq!(e.on_event(IvrEvent::HangUp), vec![]);
    assert!(e.is_finished());
    assert_eq!(e.on_event(IvrEvent::Answered), vec![]);
}

fn two_level_flow() -> IvrFlow {
    serde_json::from_value(json!({
        "startNodeId": "main",
        "nodes": [
            {"id": "main", "type": "menu", "audioUrl": "sound:main",
             "options": {
                "1": {"action": {"type": "trigger_donation"}, "nextNodeId": "amount"},
                "2": {"nextNodeId": "info"},
                "0": {"action": {"type": "transfer_agent", "parameters": {"queue": "support"}}},
                "9": {"action": {"type": "add_to_blacklist"}}
             },
             "repeatOnTimeout": true, "maxRetries": 1, "timeoutAudioUrl": "sound:are-you-there",
             "onTimeout": {"nextNodeId": "bye"}},
            {"id": "info", "type": "menu", "audioUrl": "sound:info", "timeout": 5,
             "options": {
                "1": {"action": {"type": "send_sms"}, "nextNodeId": "sent"},
                "*": {"nextNodeId": "main"}
             }},
            {"id": "sent", "type": "action", "action": {"type": "end_call"}},
            {"id": "amount", "type": "capture_input", "audioUrl": "sound:amount", "maxDigits": 4, "timeout": 7,
             "nextNodeId": "thanks"},
            {"id": "thanks", "type": "play_audio", "audioUrl": "sound:thanks"},
            {"id": "bye", "type": "play_audio", "audioUrl": "sound:bye"}
        ]
    }))
    .unwrap()
}

#[test]
fn two_level_menu_walks_down_and_back_up() {
    let flow = two_level_flow();
    assert_eq!(flow.validate(), Ok(()));
    let mut e = IvrEngine::new(flow);
    assert_eq!(e.on_event(IvrEvent::Answered), vec![play("sound:main")]);
    e.on_event(IvrEvent::PlaybackFinished);
    assert_eq!(e.on_event(IvrEvent::Digit('2')), vec![play("sound:info")]);
    assert_eq!(e.on_event(IvrEvent::PlaybackFinished), vec![wait(5)]);
    assert_eq!(e.on_event(IvrEvent::Digit('*')), vec![play("sound:main")]);
    // Barge-in over the main prompt, then down again and out through send_sms.
    assert_eq!(e.on_event(IvrEvent::Digit('2')), vec![play("sound:info")]);
    assert_eq!(
        e.on_event(IvrEvent::Digit('1')),
        vec![
            fire(IvrAction::SendSms),
            fire(IvrAction::EndCall),
            IvrCommand::HangUp
        ]
    );
    assert_eq!(e.digits(), &['2', '*', '2', '1']);
}

#[test]
fn capture_collects_digits_until_hash_max_or_silence() {
    let start = |keys: &[char]| {
        let mut e = IvrEngine::new(two_level_flow());
        e.on_event(IvrEvent::Answered);
        e.on_event(IvrEvent::PlaybackFinished);
        assert_eq!(
            e.on_event(IvrEvent::Digit('1')),
            vec![fire(IvrAction::TriggerDonation), play("sound:amount")]
        );
        let mut last = vec![];
        for k in keys {
            last = e.on_event(IvrEvent::Digit(*k));
        }
        (e, last)
    };
    let (e, last) = start(&['1', '8', '#']);
    assert_eq!(last, vec![play("sound:thanks")]);
    assert_eq!(e.captured()["amount"], "18");
    let (e, last) = start(&['1', '2', '3', '4']);
    assert_eq!(last, vec![play("sound:thanks")]);
    assert_eq!(e.captured()["amount"], "1234");
    let (mut e, last) = start(&['5']);
    assert_eq!(last, vec![wait(7)]);
    assert_eq!(e.on_event(IvrEvent::Timeout), vec![play("sound:thanks")]);
    assert_eq!(e.captured()["amount"], "5");
}

#[test]
fn repeat_on_timeout_asks_again_until_retries_run_out() {
    let mut e = IvrEngine::new(two_level_flow());
    e.on_event(IvrEvent::Answered);
    e.on_event(IvrEvent::PlaybackFinished);
    assert_eq!(
        e.on_event(IvrEvent::Timeout),
        vec![play("sound:are-you-there")]
    );
    assert_eq!(
        e.on_event(IvrEvent::PlaybackFinished),
        vec![play("sound:main")]
    );
    e.on_event(IvrEvent::PlaybackFinished);
    assert_eq!(
        e.on_event(IvrEvent::Timeout),
        vec![play("sound:are-you-there")]
    );
    assert_eq!(
        e.on_event(IvrEvent::PlaybackFinished),
        vec![play("sound:bye")]
    );
    assert_eq!(
        e.on_event(IvrEvent::PlaybackFinished),
        vec![IvrCommand::HangUp]
    );
}

#[test]
fn transfer_fires_and_ends_the_ivr_without_hanging_up() {
    let mut e = IvrEngine::new(two_level_flow());
    e.on_event(IvrEvent::Answered);
    assert_eq!(
        e.on_event(IvrEvent::Digit('0')),
        vec![fire(IvrAction::TransferAgent)]
    );
    assert!(e.is_finished());
    assert_eq!(e.fired_specs()[0].parameters["queue"], json!("support"));
}

#[test]
fn validation_lists_every_problem_at_once() {
    let flow: IvrFlow = serde_json::from_value(json!({
        "startNodeId": "missing",
        "nodes": [
            {"id": "a", "type": "menu", "audioUrl": "", "timeout": 0,
             "options": {"12": {"nextNodeId": "ghost"}, "1": {}, "9": {"action": {"type": "end_call"}, "nextNodeId": "a"}}},
            {"id": "a", "type": "play_audio", "audioUrl": "sound:x"},
            {"id": "b", "type": "capture_input", "maxDigits": 0},
            {"id": "c", "type": "action", "action": {"type": "send_sms"}, "nextNodeId": "c"}
        ]
    }))
    .unwrap();
    let errors = flow.validate().unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let expect = [
        "a: id is used by more than one node",
        "flow: startNodeId \"missing\" names no node",
        "a: audioUrl is empty",
        "a: timeout must be at least 1 second",
        "a: option \"1\" does nothing: give it an action or a nextNodeId",
        "a: option key \"12\" is not one of the keys 0-9, * or #",
        "a: option \"12\" nextNodeId \"ghost\" names no node",
        "a: option \"9\": nextNodeId is never used, the IVR ends after end_call",
        "b: maxDigits must be between 1 and 32",
        "c: loops without any key press: c -> c",
        "flow: the flow offers no opt-out: no add_to_blacklist action",
    ];
    for e in expect {
        assert!(text.iter().any(|t| t == e), "missing {e:?} in {text:#?}");
    }
    assert_eq!(text.len(), expect.len(), "{text:#?}");
}

#[test]
fn an_invalid_flow_never_panics_the_engine() {
    let flow = IvrFlow {
        start_node_id: "nowhere".into(),
        nodes: vec![],
    };
    let mut e = IvrEngine::new(flow);
    assert_eq!(e.on_event(IvrEvent::Answered), vec![IvrCommand::HangUp]);
    // A silent loop is cut short instead of spinning.
    let looped = IvrFlow {
        start_node_id: "a".into(),
        nodes: vec![IvrNode::new(
            "a",
            IvrNodeKind::Action(ActionNode {
                action: IvrAction::SendSms.into(),
                next_node_id: Some("a".into()),
            }),
        )],
    };
    let mut e = IvrEngine::new(looped);
    assert_eq!(
        e.on_event(IvrEvent::Answered),
        vec![fire(IvrAction::SendSms), IvrCommand::HangUp]
    );
}
