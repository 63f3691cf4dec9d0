//! STUB: filled in by the embedded-adapter work.
