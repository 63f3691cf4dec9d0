//! Port contract suites: the behaviour every adapter of a port must show,
//! written once and run by each adapter crate (embedded and AWS) against its
//! own implementation.
//!
//! STUB: filled in by the embedded-adapter work.
