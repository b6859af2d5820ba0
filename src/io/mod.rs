//! Edges that move data in and out: CSV master data, the demo distributor.

pub mod csv;
pub mod demo;
