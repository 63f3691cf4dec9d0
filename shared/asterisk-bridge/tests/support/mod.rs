//! Test support: the ARI description checker and the ARI double.
#![allow(dead_code)]

pub mod double;
pub mod spec;
