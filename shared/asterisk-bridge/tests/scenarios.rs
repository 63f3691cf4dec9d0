//! The bridge against the ARI double (`AriDouble`: every request checked
//! against the Swagger files, every event against `events.json`), with the
//! published events captured by the in-memory bus. One test per scenario of
//! the issue, plus hang-up commands, capacity, drain and AMD.

mod support;

use std::sync::Arc;
use std::time::Duration;

use asterisk_bridge::ari::{AriClient, AriEndpoint};
use asterisk_bridge::media::PlainMedia;
use asterisk_bridge::stream::{self, Backoff};
use asterisk_bridge::{Bridge, BridgeSettings, channel_id_for};
use campaign_core::blacklist::{BlacklistEntry, BlacklistSource};
use campaign_core::campaign::CampaignStatus;
use campaign_core::clock::SystemClock;
use campaign_core::ids::{CallId, CampaignId, ContactId};
use campaign_core::ivr::flow::{
    DEFAULT_INVALID_AUDIO, DEFAULT_TIMEOUT_AUDIO, STANDARD_MENU_AUDIO, STANDARD_THANKS_AUDIO,
};
use campaign_core::ivr::{IvrFlow, IvrNodeKind};
use campaign_core::messages::{
    CallEvent, CallEventKind, CallPurpose, MESSAGE_VERSION, OriginateCommand,
};
use campaign_core::outcome::CallOutcome;
use campaign_core::phone::PhoneNumber;
use campaign_core::ports::{
    BlacklistStore, BusEvent, CampaignStore, Counters, Telephony, TelephonyError,
};
use campaign_embedded::bus::MemoryBus;
use campaign_embedded::counters::MemoryCounters;
use campaign_embedded::store::MemoryStore;
use support::double::{AriDouble, PASSWORD, USER};
use support::stores::{seeded_store, stores};
use tokio::sync::watch;

const APP: &str = "voice-campaign";
const MESSAGE: &str = "sound:campaign-message";

struct Harness {
    ari: AriDouble,
    bridge: Bridge,
    bus: Arc<MemoryBus>,
    counters: Arc<MemoryCounters>,
    store: Arc<MemoryStore>,
    _stop: watch::Sender<bool>,
}

const CAMPAIGN: &str = "camp-1";
/// The contacts the scenarios call (the re-check reads each one).
const CONTACTS: &[&str] = &[
    "k-0",
    "k-1",
    "k-7",
    "k-9",
    "k-a",
    "k-b",
    "k-amd",
    "k-dup",
    "k-gone",
    "k-hup",
    "k-ws",
    "k-late",
    "k-listed",
    "k-paused",
    "k-slow",
    "k-cause-1",
    "k-cause-17",
    "k-cause-19",
];

fn client(ari: &AriDouble) -> AriClient {
    AriClient::new(AriEndpoint {
        base_url: ari.url.clone(),
        username: USER.into(),
        password: PASSWORD.into(),
    })
}

fn bridge_on(
    ari: &AriDouble,
    settings: BridgeSettings,
    bus: Arc<MemoryBus>,
    counters: Arc<MemoryCounters>,
    store: &Arc<MemoryStore>,
) -> (Bridge, watch::Sender<bool>) {
    bridge_with(client(ari), settings, bus, counters, store)
}

fn bridge_with(
    ari: AriClient,
    settings: BridgeSettings,
    bus: Arc<MemoryBus>,
    counters: Arc<MemoryCounters>,
    store: &Arc<MemoryStore>,
) -> (Bridge, watch::Sender<bool>) {
    let bridge = Bridge::new(
        settings,
        ari,
        bus,
        counters,
        Arc::new(SystemClock),
        Arc::new(PlainMedia),
        stores(store),
    );
    let (stop_tx, stop) = watch::channel(false);
    let backoff = Backoff {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(200),
    };
    tokio::spawn(stream::run(bridge.clone(), backoff, stop));
    (bridge, stop_tx)
}

fn settings() -> BridgeSettings {
    BridgeSettings {
        app: APP.into(),
        endpoint_template: "PJSIP/{digits}@carrier".into(),
        default_caller_id: Some("035551234".into()),
        max_channels: 10,
        host_id: "tel-1".into(),
        ..BridgeSettings::default()
    }
}

async fn harness_with(settings: BridgeSettings) -> Harness {
    let ari = AriDouble::start(APP).await;
    let bus = Arc::new(MemoryBus::new());
    let counters = Arc::new(MemoryCounters::new());
    let store = seeded_store(CAMPAIGN, CONTACTS).await;
    let (bridge, stop) = bridge_on(&ari, settings, bus.clone(), counters.clone(), &store);
    assert!(
        bridge.wait_connected(Duration::from_secs(5)).await,
        "the bridge connects its event stream"
    );
    Harness {
        ari,
        bridge,
        bus,
        counters,
        store,
        _stop: stop,
    }
}

async fn harness() -> Harness {
    harness_with(settings()).await
}

/// The standard flow with a 1-second menu timeout (the default is 10 s).
fn flow() -> IvrFlow {
    let mut flow = IvrFlow::standard(MESSAGE);
    for node in &mut flow.nodes {
        if let IvrNodeKind::Menu(m) = &mut node.kind {
            m.timeout = 1;
        }
    }
    flow
}

fn command(contact: &str) -> OriginateCommand {
    let contact_id = ContactId::new(contact);
    OriginateCommand {
        version: MESSAGE_VERSION,
        call_id: CallId::for_attempt(&contact_id, 1),
        campaign_id: CampaignId::new(CAMPAIGN),
        contact_id,
        phone_number: PhoneNumber::from_e164("+972501234567").expect("e164"),
        purpose: CallPurpose::Campaign,
        caller_id: None,
        ring_timeout_secs: 30,
        audio: Some(MESSAGE.into()),
        ivr: Some(flow()),
        not_after: None,
    }
}

impl Harness {
    /// Originates and returns the channel id.
    async fn place(&self, cmd: &OriginateCommand) -> String {
        let ack = self.bridge.originate(cmd).await.expect("originated");
        assert!(!ack.duplicate);
        let channel = channel_id_for(&cmd.call_id);
        assert_eq!(ack.carrier_call_id, channel);
        channel
    }

    /// Waits for the call's `Ended` event and returns every call event of
    /// the call (in order), plus the donation and opt-out counts.
    async fn finished(&self, call: &CallId) -> (Vec<CallEvent>, usize, usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut calls: Vec<CallEvent> = Vec::new();
        let (mut donations, mut optouts) = (0, 0);
        loop {
            for e in self.bus.drain("call-events") {
                if let BusEvent::Call(c) = e
                    && &c.call_id == call
                {
                    calls.push(c);
                }
            }
            donations += self
                .bus
                .drain("donation-events")
                .iter()
                .filter(|e| matches!(e, BusEvent::Donation(d) if &d.call_id == call))
                .count();
            optouts += self
                .bus
                .drain("optout-events")
                .iter()
                .filter(|e| matches!(e, BusEvent::OptOut(o) if o.call_id.as_ref() == Some(call)))
                .count();
            if calls
                .iter()
                .any(|c| matches!(c.kind, CallEventKind::Ended { .. }))
            {
                // Let anything published late show up (there must be nothing).
                tokio::time::sleep(Duration::from_millis(100)).await;
                if self.bus.total_pending() == 0 {
                    return (calls, donations, optouts);
                }
                continue;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no end event for {call}; events so far: {calls:#?}; violations: {:?}",
                self.ari.violations()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn assert_no_violations(&self) {
        assert_eq!(self.ari.violations(), Vec::<String>::new());
    }
}

fn kinds(events: &[CallEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match &e.kind {
            CallEventKind::Dialling => "dialling".to_owned(),
            CallEventKind::Ringing => "ringing".to_owned(),
            CallEventKind::Answered => "answered".to_owned(),
            CallEventKind::KeyPressed { digit } => format!("key {digit}"),
            CallEventKind::Ended { outcome, .. } => format!("ended {outcome}"),
        })
        .collect()
}

fn end_of(events: &[CallEvent]) -> (CallOutcome, Option<u16>, u32) {
    match events.last().map(|e| &e.kind) {
        Some(CallEventKind::Ended {
            outcome,
            hangup_cause,
            duration_secs,
        }) => (*outcome, *hangup_cause, *duration_secs),
        other => panic!("last event is not the end: {other:?}"),
    }
}

/// Answers and plays the message and the menu prompt through.
async fn answer_and_reach_menu(h: &Harness, ch: &str) {
    h.ari.ring(ch);
    h.ari.answer(ch, None);
    let (p1, media) = h.ari.wait_play(ch, 1).await;
    assert_eq!(media, MESSAGE);
    h.ari.finish_playback(&p1);
    let (p2, media) = h.ari.wait_play(ch, 2).await;
    assert_eq!(media, STANDARD_MENU_AUDIO);
    h.ari.finish_playback(&p2);
}

#[tokio::test]
async fn given_an_answered_call_when_1_is_pressed_then_a_donation_and_the_call_ends_converted() {
    let h = harness().await;
    let cmd = command("k-1");
    let ch = h.place(&cmd).await;

    // The originate request: the trunk endpoint, the app, caller id, ring
    // timeout and the ids as channel variables.
    let req = h.ari.wait_originated(&ch).await;
    assert_eq!(req.param("endpoint"), Some("PJSIP/972501234567@carrier"));
    assert_eq!(req.param("app"), Some(APP));
    assert_eq!(req.param("appArgs"), Some("campaign"));
    assert_eq!(req.param("callerId"), Some("035551234"));
    assert_eq!(req.param("timeout"), Some("30"));
    let vars = &req.body.as_ref().expect("body")["variables"];
    assert_eq!(vars["CALL_ID"], "k-1-a1");
    assert_eq!(vars["CAMPAIGN_ID"], "camp-1");
    assert_eq!(vars["CONTACT_ID"], "k-1");

    answer_and_reach_menu(&h, &ch).await;
    h.ari.press(&ch, '1');
    let (p3, media) = h.ari.wait_play(&ch, 3).await;
    assert_eq!(media, STANDARD_THANKS_AUDIO);
    h.ari.finish_playback(&p3);
    h.ari.wait_hangup(&ch).await;

    let (events, donations, optouts) = h.finished(&cmd.call_id).await;
    assert_eq!(
        kinds(&events),
        [
            "dialling",
            "ringing",
            "answered",
            "key 1",
            "ended converted"
        ]
    );
    assert_eq!((donations, optouts), (1, 0));
    assert_eq!(end_of(&events).1, Some(16));
    assert!(events.iter().all(|e| e.campaign_id.as_str() == "camp-1"));
    h.assert_no_violations();
}

#[tokio::test]
async fn given_an_answered_call_when_9_is_pressed_then_an_opt_out_and_an_immediate_hang_up() {
    let h = harness().await;
    let cmd = command("k-9");
    let ch = h.place(&cmd).await;
    h.ari.ring(&ch);
    h.ari.answer(&ch, None);
    let (_p1, _) = h.ari.wait_play(&ch, 1).await;
    // 9 over the message: the opt-out works at any moment.
    h.ari.press(&ch, '9');
    h.ari.wait_hangup(&ch).await;

    let (events, donations, optouts) = h.finished(&cmd.call_id).await;
    assert_eq!(
        kinds(&events),
        [
            "dialling",
            "ringing",
            "answered",
            "key 9",
            "ended opted_out"
        ]
    );
    assert_eq!((donations, optouts), (0, 1));
    // Nothing else was played after the 9: the call ended at once.
    assert_eq!(h.ari.requests_of("playWithId").len(), 1);
    h.assert_no_violations();
}

#[tokio::test]
async fn given_an_invalid_key_then_1_then_the_menu_is_replayed_and_the_call_converts() {
    let h = harness().await;
    let cmd = command("k-7");
    let ch = h.place(&cmd).await;
    answer_and_reach_menu(&h, &ch).await;
    h.ari.press(&ch, '7');
    let (p3, media) = h.ari.wait_play(&ch, 3).await;
    assert_eq!(media, DEFAULT_INVALID_AUDIO);
    h.ari.finish_playback(&p3);
    let (p4, media) = h.ari.wait_play(&ch, 4).await;
    assert_eq!(media, STANDARD_MENU_AUDIO, "the menu is asked again");
    h.ari.finish_playback(&p4);
    h.ari.press(&ch, '1');
    let (p5, _) = h.ari.wait_play(&ch, 5).await;
    h.ari.finish_playback(&p5);
    h.ari.wait_hangup(&ch).await;

    let (events, donations, _) = h.finished(&cmd.call_id).await;
    assert_eq!(
        kinds(&events),
        [
            "dialling",
            "ringing",
            "answered",
            "key 7",
            "key 1",
            "ended converted"
        ]
    );
    assert_eq!(donations, 1);
    h.assert_no_violations();
}

#[tokio::test]
async fn given_no_key_is_pressed_then_the_menu_times_out_and_the_call_ends_answered() {
    let h = harness().await;
    let cmd = command("k-0");
    let ch = h.place(&cmd).await;
    answer_and_reach_menu(&h, &ch).await;
    // No key: after the 1 s timeout the timeout prompt plays, then the
    // flow's onTimeout ends the call.
    let (p3, media) = h.ari.wait_play(&ch, 3).await;
    assert_eq!(media, DEFAULT_TIMEOUT_AUDIO);
    h.ari.finish_playback(&p3);
    h.ari.wait_hangup(&ch).await;

    let (events, donations, optouts) = h.finished(&cmd.call_id).await;
    assert_eq!(
        kinds(&events),
        ["dialling", "ringing", "answered", "ended answered"]
    );
    assert_eq!((donations, optouts), (0, 0));
    h.assert_no_violations();
}

async fn unanswered(cause: u16, expected: CallOutcome) {
    let h = harness().await;
    let cmd = command(&format!("k-cause-{cause}"));
    let ch = h.place(&cmd).await;
    h.ari.ring(&ch);
    h.ari.destroy(&ch, cause);
    let (events, donations, optouts) = h.finished(&cmd.call_id).await;
    assert_eq!(
        kinds(&events),
        ["dialling", "ringing", format!("ended {expected}").as_str()]
    );
    assert_eq!(end_of(&events), (expected, Some(cause), 0));
    assert_eq!((donations, optouts), (0, 0));
    assert!(h.ari.requests_of("playWithId").is_empty());
    assert_eq!(h.bridge.active_channels(), 0, "the channel is released");
    h.assert_no_violations();
}

#[tokio::test]
async fn given_the_callee_is_busy_cause_17_then_the_call_ends_busy() {
    unanswered(17, CallOutcome::Busy).await;
}

#[tokio::test]
async fn given_no_answer_cause_19_then_the_call_ends_no_answer() {
    unanswered(19, CallOutcome::NoAnswer).await;
}

#[tokio::test]
async fn given_an_unallocated_number_cause_1_then_the_call_ends_failed() {
    unanswered(1, CallOutcome::Failed).await;
}

#[tokio::test]
async fn given_the_websocket_drops_mid_call_then_the_bridge_reconnects_and_the_call_goes_on() {
    let h = harness().await;
    let cmd = command("k-ws");
    let ch = h.place(&cmd).await;
    h.ari.ring(&ch);
    h.ari.answer(&ch, None);
    let (p1, _) = h.ari.wait_play(&ch, 1).await;

    // The socket drops, and the message finishes while nobody listens.
    h.ari.drop_websockets();
    h.ari.finish_playback(&p1);
    assert_eq!(
        h.ari.dropped_events().len(),
        1,
        "the PlaybackFinished was lost"
    );

    // The bridge reconnects, asks ARI, finds the playback over and goes on.
    h.ari.wait_connections(2).await;
    let (p2, media) = h.ari.wait_play(&ch, 2).await;
    assert_eq!(media, STANDARD_MENU_AUDIO);
    assert!(
        !h.ari.requests_of("get").is_empty(),
        "reconciled through GET"
    );
    h.ari.finish_playback(&p2);
    h.ari.press(&ch, '1');
    let (p3, _) = h.ari.wait_play(&ch, 3).await;
    h.ari.finish_playback(&p3);
    h.ari.wait_hangup(&ch).await;

    let (events, donations, _) = h.finished(&cmd.call_id).await;
    assert_eq!(
        kinds(&events),
        [
            "dialling",
            "ringing",
            "answered",
            "key 1",
            "ended converted"
        ]
    );
    assert_eq!(donations, 1);
    h.assert_no_violations();
}

#[tokio::test]
async fn given_the_channel_ends_while_the_websocket_is_down_then_the_call_still_ends() {
    let h = harness().await;
    let cmd = command("k-gone");
    let ch = h.place(&cmd).await;
    h.ari.ring(&ch);
    h.ari.answer(&ch, None);
    h.ari.wait_play(&ch, 1).await;
    h.ari.drop_websockets();
    h.ari.hang_up_remote(&ch);
    h.ari.wait_connections(2).await;
    let (events, _, _) = h.finished(&cmd.call_id).await;
    let (outcome, cause, _) = end_of(&events);
    assert_eq!((outcome, cause), (CallOutcome::Disconnected, None));
    h.assert_no_violations();
}

#[tokio::test]
async fn given_a_duplicate_originate_command_then_nothing_is_dialled_twice() {
    let h = harness().await;
    let cmd = command("k-dup");
    let ch = h.place(&cmd).await;

    // The same command again while the call runs: a duplicate.
    let again = h.bridge.originate(&cmd).await.expect("ack");
    assert!(again.duplicate);

    // Delivered to another host sharing the claims: a duplicate too.
    let (other, _stop) = bridge_on(
        &h.ari,
        BridgeSettings {
            host_id: "tel-2".into(),
            ..settings()
        },
        h.bus.clone(),
        h.counters.clone(),
        &h.store,
    );
    assert!(other.wait_connected(Duration::from_secs(5)).await);
    assert!(other.originate(&cmd).await.expect("ack").duplicate);

    h.ari.ring(&ch);
    h.ari.destroy(&ch, 19);
    let (events, _, _) = h.finished(&cmd.call_id).await;
    assert_eq!(kinds(&events), ["dialling", "ringing", "ended no_answer"]);

    // And once the call is over (Asterisk would take the id again): still a duplicate.
    assert!(h.bridge.originate(&cmd).await.expect("ack").duplicate);
    assert_eq!(h.ari.requests_of("originateWithId").len(), 1);
    h.assert_no_violations();
}

#[tokio::test]
async fn given_a_hang_up_command_then_the_live_call_ends_disconnected() {
    let h = harness().await;
    let cmd = command("k-hup");
    let ch = h.place(&cmd).await;
    h.ari.ring(&ch);
    h.ari.answer(&ch, None);
    h.ari.wait_play(&ch, 1).await;
    h.bridge.hang_up(&cmd.call_id).await.expect("hung up");
    let (events, _, _) = h.finished(&cmd.call_id).await;
    assert_eq!(end_of(&events).0, CallOutcome::Disconnected);
    // Hanging up a call that is over is not an error.
    h.bridge.hang_up(&cmd.call_id).await.expect("idempotent");
    h.assert_no_violations();
}

#[tokio::test]
async fn given_the_host_is_full_or_draining_then_new_calls_wait() {
    let h = harness_with(BridgeSettings {
        max_channels: 1,
        ..settings()
    })
    .await;
    let first = command("k-a");
    let ch = h.place(&first).await;
    let second = command("k-b");
    assert!(matches!(
        h.bridge.originate(&second).await,
        Err(TelephonyError::Throttled(_))
    ));

    h.bridge.drain();
    h.ari.ring(&ch);
    h.ari.destroy(&ch, 17);
    assert!(h.bridge.wait_idle(Duration::from_secs(5)).await);
    assert!(matches!(
        h.bridge.originate(&second).await,
        Err(TelephonyError::Throttled(_))
    ));
    assert_eq!(h.ari.requests_of("originateWithId").len(), 1);
}

#[tokio::test]
async fn given_amd_when_a_machine_answers_then_the_ivr_does_not_run_and_the_call_ends_no_answer() {
    let h = harness_with(BridgeSettings {
        amd_context: Some("campaign-amd".into()),
        ..settings()
    })
    .await;
    let cmd = command("k-amd");
    let ch = h.place(&cmd).await;
    let req = h.ari.wait_originated(&ch).await;
    assert_eq!(req.param("context"), Some("campaign-amd"));
    assert_eq!(req.param("app"), None);
    h.ari
        .wait_request("subscription", 1, |r| {
            r.operation.as_deref() == Some("subscribe")
                && r.param("eventSource") == Some(&format!("channel:{ch}"))
        })
        .await;
    h.ari.ring(&ch);
    h.ari
        .answer(&ch, Some(vec!["amd".into(), "MACHINE".into()]));
    h.ari.wait_hangup(&ch).await;
    let (events, _, _) = h.finished(&cmd.call_id).await;
    assert_eq!(kinds(&events), ["dialling", "ringing", "ended no_answer"]);
    assert!(h.ari.requests_of("playWithId").is_empty());
    h.assert_no_violations();
}

#[tokio::test]
async fn the_double_refuses_requests_and_events_outside_the_description() {
    let h = harness().await;
    let spec = h.ari.spec();
    let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    // Valid.
    assert!(
        spec.check_request(
            "POST",
            "/channels/c-1",
            &q(&[("endpoint", "PJSIP/1@t")]),
            None
        )
        .is_ok()
    );
    // A required parameter missing, an unknown one, a bad type, a bad enum value.
    assert!(
        spec.check_request("POST", "/channels/c-1", &[], None)
            .is_err()
    );
    assert!(
        spec.check_request(
            "POST",
            "/channels/c-1",
            &q(&[("endpoint", "x"), ("ringTimeout", "5")]),
            None
        )
        .is_err()
    );
    assert!(
        spec.check_request(
            "POST",
            "/channels/c-1",
            &q(&[("endpoint", "x"), ("timeout", "soon")]),
            None
        )
        .is_err()
    );
    assert!(
        spec.check_request("DELETE", "/channels/c-1", &q(&[("reason", "bored")]), None)
            .is_err()
    );
    // A method or path that does not exist.
    assert!(
        spec.check_request("PUT", "/channels/c-1", &[], None)
            .is_err()
    );
    assert!(spec.check_request("GET", "/calls", &[], None).is_err());
    // An event without a required field.
    assert!(
        spec.check_event(&serde_json::json!({
            "type": "ChannelDtmfReceived", "application": APP,
            "timestamp": "2026-03-02T08:00:00.000+0000", "digit": "1"
        }))
        .is_err()
    );
}

// ------------------------------------------- re-check before dialling (issue 13, item 1)

impl Harness {
    /// The call events published for `call` so far.
    fn call_events(&self, call: &CallId) -> Vec<CallEvent> {
        self.bus
            .drain("call-events")
            .into_iter()
            .filter_map(|e| match e {
                BusEvent::Call(c) if &c.call_id == call => Some(c),
                _ => None,
            })
            .collect()
    }

    /// Originates a command the re-check must refuse; returns its one
    /// published event, after checking nothing was dialled and that a
    /// redelivery is a duplicate (deleted, nothing published, nothing dialled).
    async fn refused(&self, cmd: &OriginateCommand) -> CallEvent {
        let result = self.bridge.originate(cmd).await;
        assert!(
            matches!(result, Err(TelephonyError::Rejected(_))),
            "refused: {result:?}"
        );
        let events = self.call_events(&cmd.call_id);
        assert_eq!(events.len(), 1, "one end event: {events:#?}");
        // The queue deletes a refused command (it is reported, not retried).
        let redelivered = asterisk_bridge::queue::handle(
            &self.bridge,
            &asterisk_bridge::queue::QueueCommand::Originate(Box::new(cmd.clone())),
        )
        .await;
        assert_eq!(redelivered, asterisk_bridge::queue::Settle::Delete);
        assert!(
            self.call_events(&cmd.call_id).is_empty(),
            "a redelivery publishes nothing"
        );
        assert!(
            self.ari.requests_of("originateWithId").is_empty(),
            "nothing dialled"
        );
        assert_eq!(self.bridge.active_channels(), 0);
        self.assert_no_violations();
        events.into_iter().next().expect("one event")
    }
}

fn ended_outcome(e: &CallEvent) -> CallOutcome {
    match e.kind {
        CallEventKind::Ended {
            outcome,
            duration_secs: 0,
            hangup_cause: None,
        } => outcome,
        ref other => panic!("not a refusal's end: {other:?}"),
    }
}

#[tokio::test]
async fn given_a_command_past_its_not_after_time_then_it_is_refused_as_not_placed_and_never_dialled()
 {
    // GIVEN a command that waited in the queue past its not-after time
    let h = harness().await;
    let cmd = OriginateCommand {
        not_after: Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
        ..command("k-late")
    };
    // WHEN the bridge takes it THEN nothing is dialled and the call ends not placed
    let end = h.refused(&cmd).await;
    assert_eq!(ended_outcome(&end), CallOutcome::NotPlaced);
    assert_eq!(end.event_id, format!("{}-refused", cmd.call_id));
    assert_eq!(end.contact_id, cmd.contact_id);
}

#[tokio::test]
async fn given_a_command_still_within_its_not_after_time_then_it_is_dialled() {
    let h = harness().await;
    let cmd = OriginateCommand {
        not_after: Some(chrono::Utc::now() + chrono::Duration::minutes(5)),
        ..command("k-0")
    };
    let ch = h.place(&cmd).await;
    h.ari.wait_originated(&ch).await;
    h.ari.destroy(&ch, 19);
    let (events, _, _) = h.finished(&cmd.call_id).await;
    assert_eq!(end_of(&events).0, CallOutcome::NoAnswer);
}

#[tokio::test]
async fn given_a_number_listed_while_its_command_waited_then_it_is_refused_as_blacklisted() {
    let h = harness().await;
    let cmd = command("k-listed");
    // GIVEN the number was put on the do-not-call list after the command was queued
    h.store
        .add(&BlacklistEntry::new(
            cmd.phone_number.clone(),
            chrono::Utc::now(),
            "opted out by SMS",
            BlacklistSource::UserOptout,
        ))
        .await
        .expect("listed");
    // WHEN the bridge takes it THEN it is not dialled and the call ends blacklisted
    let end = h.refused(&cmd).await;
    assert_eq!(ended_outcome(&end), CallOutcome::Blacklisted);
}

#[tokio::test]
async fn given_the_campaign_was_paused_while_its_command_waited_then_it_is_refused_as_not_placed() {
    let h = harness().await;
    let cmd = command("k-paused");
    // GIVEN the campaign is paused after the command was queued
    let mut campaign = CampaignStore::get(&*h.store, &CampaignId::new(CAMPAIGN))
        .await
        .expect("read")
        .expect("campaign");
    let version = campaign.version;
    campaign.status = CampaignStatus::Paused;
    campaign.version += 1;
    CampaignStore::update(&*h.store, &campaign, version)
        .await
        .expect("paused");
    // WHEN the bridge takes it THEN it is not dialled and the call ends not placed
    let end = h.refused(&cmd).await;
    assert_eq!(ended_outcome(&end), CallOutcome::NotPlaced);
}

// ------------------------------------------- exactly once (issue 13, item 7b)

#[tokio::test]
async fn given_an_originate_that_times_out_then_no_other_host_or_redelivery_dials_the_call_again() {
    // GIVEN two hosts sharing claims, each with its own Asterisk; host 1's
    // Asterisk is slow: it makes the channel but answers after the bridge's
    // request time-out.
    let h = harness().await;
    let slow = AriDouble::start(APP).await;
    slow.delay_originates(Duration::from_millis(1500));
    let (host1, _stop1) = bridge_with(
        client(&slow).with_timeout(Duration::from_millis(300)),
        BridgeSettings {
            host_id: "tel-slow".into(),
            ..settings()
        },
        h.bus.clone(),
        h.counters.clone(),
        &h.store,
    );
    assert!(host1.wait_connected(Duration::from_secs(5)).await);
    let cmd = command("k-slow");
    let ch = channel_id_for(&cmd.call_id);

    // WHEN host 1's originate times out
    let first = host1.originate(&cmd).await;
    // THEN the unknown result counts as placed: the message is settled,
    // the claim is kept, the call is marked placed
    let ack = first.expect("an unknown result is not a retryable failure");
    assert!(!ack.duplicate);
    assert!(slow.has_channel(&ch), "Asterisk did make the channel");
    assert_eq!(
        asterisk_bridge::queue::handle(
            &host1,
            &asterisk_bridge::queue::QueueCommand::Originate(Box::new(cmd.clone()))
        )
        .await,
        asterisk_bridge::queue::Settle::Delete
    );
    // AND the command delivered again to another host is a duplicate there
    let again = h.bridge.originate(&cmd).await.expect("ack");
    assert!(again.duplicate, "another host must not dial it again");
    assert!(h.ari.requests_of("originateWithId").is_empty());
    // AND host 1's own redelivery does not dial either
    assert!(host1.originate(&cmd).await.expect("ack").duplicate);
    assert!(
        h.counters
            .seen(
                &format!("bridge-placed/{}", cmd.call_id),
                chrono::Utc::now()
            )
            .await
            .expect("seen")
    );
    // AND the call settles through its own events on host 1.
    // (The double never records the request: the client hung up first.)
    slow.ring(&ch);
    slow.destroy(&ch, 19);
    let (events, _, _) = h.finished(&cmd.call_id).await;
    assert_eq!(kinds(&events), ["dialling", "ringing", "ended no_answer"]);
    assert_eq!(slow.violations(), Vec::<String>::new());
}

#[tokio::test]
async fn ari_errors_say_whether_the_request_may_have_been_carried_out() {
    let request = |channel: &str| asterisk_bridge::ari::Originate {
        channel_id: channel.into(),
        endpoint: "PJSIP/972501234567@carrier".into(),
        destination: asterisk_bridge::ari::Destination::App {
            app: APP.into(),
            args: "campaign".into(),
        },
        caller_id: None,
        timeout_secs: 30,
        variables: Default::default(),
    };
    // GIVEN nothing listening: the request never left, so it is certainly not placed
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let refused = AriClient::new(AriEndpoint {
        base_url: format!("http://{closed}/ari"),
        username: USER.into(),
        password: PASSWORD.into(),
    });
    let e = refused.originate(&request("call-x")).await.unwrap_err();
    assert!(
        matches!(e, asterisk_bridge::ari::AriError::Unavailable(_)),
        "{e}"
    );
    // GIVEN an Asterisk that answers too late: the result is unknown
    let slow = AriDouble::start(APP).await;
    slow.delay_originates(Duration::from_millis(800));
    let e = client(&slow)
        .with_timeout(Duration::from_millis(200))
        .originate(&request("call-y"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, asterisk_bridge::ari::AriError::Indeterminate(_)),
        "{e}"
    );
    assert!(slow.has_channel("call-y"));
}
