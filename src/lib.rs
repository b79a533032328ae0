//! dealdraft: a proposal and sales-collateral generator with a small CRM at
//! its core.
//!
//! The pipeline runs CRM store → context → template → document model →
//! renderer; this crate currently holds the CRM store and its HTTP API.

pub mod audit;
pub mod auth;
pub mod batches;
pub mod brand;
pub mod catalog;
pub mod clauses;
pub mod config;
pub mod context;
pub mod crm;
pub mod demo;
pub mod digest;
pub mod document;
pub mod documents;
pub mod error;
pub mod forecast;
pub mod input;
pub mod mail;
pub mod pipeline;
pub mod quotes;
pub mod render;
pub mod segments;
pub mod settings;
pub mod store;
pub mod templates;
pub mod web;

/// Connects to `database_url`, applies pending migrations and brings stored
/// records up to this program's shape: what every command does first.
pub async fn open(database_url: &str) -> Result<store::Store, error::Error> {
    let store = store::Store::connect(database_url).await?;
    store.migrate().await?;
    refresh_stored_json(&store).await?;
    templates::builtin::seed(&store).await?;
    brand::seed(&store).await?;
    Ok(store)
}

/// Brings every record table's stored JSON up to this program's shape.
async fn refresh_stored_json(store: &store::Store) -> Result<(), error::Error> {
    use store::records::refresh;
    let rendered = refresh::<auth::users::User>(store).await?
        + refresh::<crm::accounts::Account>(store).await?
        + refresh::<crm::contacts::Contact>(store).await?
        + refresh::<crm::deals::Deal>(store).await?
        + refresh::<crm::activities::Activity>(store).await?
        + refresh::<crm::profiling::Question>(store).await?
        + refresh::<templates::store::Template>(store).await?
        + refresh::<clauses::versions::ClauseVersion>(store).await?
        + refresh::<brand::themes::StoredTheme>(store).await?;
    if rendered > 0 {
        tracing::info!(rendered, "stored records rendered in their current shape");
    }
    Ok(())
}
