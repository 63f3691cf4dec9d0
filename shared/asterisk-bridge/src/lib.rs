//! The Asterisk bridge: the daemon beside Asterisk on the telephony host.
//! It takes originate / hang-up commands from the originate queue, places
//! calls through ARI (loopback only), runs each answered call's IVR flow
//! with the core's engine (through [`campaign_core::call_session`]) and
//! publishes call, donation and opt-out events to the event bus.
//!
//! Modules:
//! - [`ari`]: the ARI REST client (the operations the bridge uses).
//! - [`events`]: the ARI websocket events it acts on.
//! - [`stream`]: the websocket with reconnect, back-off and reconciliation.
//! - [`bridge`]: origination (exactly once per call id), one actor per
//!   channel, capacity cap, drain; implements the core's `Telephony` port.
//! - [`media`]: audio references to ARI media URIs (`s3://` presigned).
//! - [`queue`]: the SQS originate queue's wire format and polling loop.
//! - [`health`]: CPU, memory and channels reported for adaptive pacing.
//! - [`config`]: the environment the daemon reads.

pub mod ari;
pub mod bridge;
pub mod config;
pub mod events;
pub mod health;
pub mod media;
pub mod queue;
pub mod stream;

pub use bridge::{Bridge, BridgeSettings, channel_id_for};
