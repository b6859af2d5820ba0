//! Edges that move data in and out: CSV master data, the demo distributor,
//! the general ledger as hledger / beancount journals and CSV.

pub mod activity;
pub mod camt053;
pub mod classify;
pub mod csv;
pub mod demo;
pub mod journal;
pub mod jsonl;
pub mod mt940;
pub mod password;
