//! `gen_core`: bulk AI text generation over a weighted pool of provider lanes.

pub mod duration;
pub mod failure;
pub mod pool;
pub mod profile;
pub mod rows;
