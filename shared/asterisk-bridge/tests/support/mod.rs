//! Test support: the ARI description checker, the ARI double and the
//! re-check's stores.
#![allow(dead_code)]

pub mod double;
pub mod spec;
pub mod stores;
