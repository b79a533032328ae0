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

/// Connects to `database_url`, applies pending migrations and brings stored
/// records up to this program's shape: what every command does first.
pub async fn open(database_url: &str) -> Result<store::Store, error::Error> {
    let store = store::Store::connect(database_url).await?;
    store.migrate().await?;
    crm::refresh_stored_json(&store).await?;
    Ok(store)
}
