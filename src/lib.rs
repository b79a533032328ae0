//! dealdraft: a proposal and sales-collateral generator with a small CRM at
//! its core.
//!
//! The pipeline runs CRM store → context → template → document model →
//! renderer; this crate currently holds the CRM store and its HTTP API.

pub mod auth;
pub mod config;
pub mod crm;
pub mod demo;
pub mod error;
pub mod input;
pub mod store;
pub mod web;
