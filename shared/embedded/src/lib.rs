//! Embedded adapters: every port of `campaign-core` implemented in process
//! (optionally persisted to a local file), the simulated carrier, and the
//! local runtime that wires them into a whole campaign pipeline in real or
//! virtual time.
//!
//! Modules:
//! - [`store`]: campaigns, contacts (with a due-time index), blacklist, call
//!   records, audit log.
//! - [`counters`]: pacing slots with leases, rate buckets, counters, seen marks.
//! - [`queue`]: the dial queue with visibility timeouts and redelivery.
//! - [`bus`]: the event bus, one subscription queue per topic.
//! - [`providers`]: object store, secrets, id generator, console SMS
//!   gateway and a local speech synthesizer.
//! - [`carrier`]: the simulated carrier (a telephony adapter that says so).
//! - [`faults`]: fault plans, the seeded injector and its counts.
//! - [`instrumented`]: the adapters as the use cases see them — every call
//!   counted as an AWS request, optionally failing.
//! - [`cost`]: request counts priced from the dated table `docs/prices.yaml`.
//! - [`runtime`]: the pipeline driver, the `demo` campaign and the simulator.
//! - [`testing`]: instants and campaign settings shared by the test crates.
//! - [`uploads`]: presigned uploads and listings for `campaign serve`.
//! - [`workflows`]: the local workflow starter.

pub mod bus;
pub mod carrier;
pub mod cost;
pub mod counters;
pub mod faults;
pub mod instrumented;
pub mod providers;
pub mod queue;
pub mod runtime;
pub mod store;
pub mod testing;
pub mod uploads;
pub mod workflows;
