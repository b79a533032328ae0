//! The pipeline report: the forecast as a document, made on demand from
//! the built-in `pipeline-report` template (or one of that key), kept like
//! any generated document, as the requester's.

use chrono::Utc;

use super::generate::{self, Generator};
use super::{DocumentFormat, GeneratedDocument};
use crate::auth::Actor;
use crate::context;
use crate::error::Error;
use crate::forecast::{self, ForecastParams, report, snapshots};
use crate::store::Store;
use crate::templates::store as template_store;

/// Makes and keeps the pipeline report of the forecast `params` ask for.
pub async fn generate(
    store: &Store,
    actor: &Actor,
    params: &ForecastParams,
    format: DocumentFormat,
    draft: bool,
) -> Result<GeneratedDocument, Error> {
    let forecast = forecast::forecast(store, actor, params).await?;
    let loaded = template_store::load_sources(store, report::TEMPLATE).await?;
    let generator = Generator::new(store, actor, loaded, format, draft).await?;
    let today = Utc::now().date_naive();
    let previous =
        snapshots::latest_before(store, &forecast.period, forecast.rep_id, today).await?;
    let base = context::Builder::new(store)
        .await?
        .unbound(store, actor.user_id)
        .await?;
    let rep_name = forecast
        .rep_id
        .and_then(|rep| forecast.by_rep.iter().find(|r| r.rep_id == rep))
        .and_then(|r| r.rep_name.clone());
    let context = report::context(base, &forecast, rep_name.as_deref(), &previous)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let name = match &rep_name {
        Some(rep) => format!("{} {rep}", forecast.period.label),
        None => forecast.period.label.clone(),
    };
    let prepared = generator
        .prepare_unbound(store, actor, &context, &name)
        .await?;
    let mut tx = store.begin().await?;
    generate::keep(&mut tx, actor, &prepared).await?;
    tx.commit().await?;
    Ok(prepared.document)
}
