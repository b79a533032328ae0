//! The forecast: read it, snapshot it, see each rep's accuracy, and make
//! the pipeline report.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ErrorBody, Items, PageBody, RawPage, created};
use crate::auth::Actor;
use crate::crm::ListParams;
use crate::documents::{DocumentFormat, GeneratedDocument, report};
use crate::error::Error;
use crate::forecast::figures::Forecast;
use crate::forecast::snapshots::{
    self, AccuracyParams, RepAccuracy, Snapshot, SnapshotFilter, TakeRequest,
};
use crate::forecast::{self, ForecastParams};
use crate::store::{Id, Store};
use crate::web::AppState;
use crate::web::extract::{ApiJson, ApiQuery, ListArgs};

/// The forecast of a period (default: this quarter): everyone's, or one
/// rep's; a rep reads only their own.
#[utoipa::path(get, path = "/forecast", tag = "forecast", params(ForecastParams),
    responses((status = 200, body = Forecast), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
async fn read(
    State(store): State<Store>,
    actor: Actor,
    ApiQuery(params): ApiQuery<ForecastParams>,
) -> Result<Json<Forecast>, Error> {
    Ok(Json(forecast::forecast(&store, &actor, &params).await?))
}

/// Snapshots taken, oldest first (a rep: their own).
#[utoipa::path(get, path = "/forecast/snapshots", tag = "forecast",
    params(ListParams, SnapshotFilter),
    responses((status = 200, body = PageBody<Snapshot>), (status = 403, body = ErrorBody)))]
async fn list_snapshots(
    State(store): State<Store>,
    actor: Actor,
    args: ListArgs<SnapshotFilter>,
) -> Result<RawPage, Error> {
    Ok(snapshots::list(&store, &actor, &args.params, &args.filter)
        .await?
        .into())
}

/// Takes a snapshot now of each rep's forecast (a rep: their own).
#[utoipa::path(post, path = "/forecast/snapshots", tag = "forecast", request_body = TakeRequest,
    responses((status = 201, body = Items<Snapshot>), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody)))]
async fn take_snapshots(
    State(store): State<Store>,
    actor: Actor,
    ApiJson(request): ApiJson<TakeRequest>,
) -> Result<(StatusCode, Json<Items<Snapshot>>), Error> {
    let items = snapshots::take(&store, &actor, request).await?;
    Ok((StatusCode::CREATED, Json(Items { items })))
}

/// Each rep's forecast of past periods (their first snapshot) against
/// what they won.
#[utoipa::path(get, path = "/forecast/accuracy", tag = "forecast", params(AccuracyParams),
    responses((status = 200, body = Items<RepAccuracy>), (status = 403, body = ErrorBody)))]
async fn accuracy(
    State(store): State<Store>,
    actor: Actor,
    ApiQuery(params): ApiQuery<AccuracyParams>,
) -> Result<Json<Items<RepAccuracy>>, Error> {
    let items = snapshots::accuracy(&store, &actor, &params).await?;
    Ok(Json(Items { items }))
}

/// What report to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReportRequest {
    /// `2026-Q4`, `2026-11` or `2026`; default: this quarter.
    period: Option<String>,
    rep_id: Option<Id>,
    stuck_days: Option<i64>,
    format: DocumentFormat,
    #[serde(default)]
    draft: bool,
}

/// Makes and keeps the pipeline report: the forecast's tables, a chart
/// and notes, as the caller's document.
#[utoipa::path(post, path = "/forecast/report", tag = "forecast", request_body = ReportRequest,
    responses((status = 201, body = GeneratedDocument), (status = 400, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn make_report(
    State(store): State<Store>,
    actor: Actor,
    ApiJson(request): ApiJson<ReportRequest>,
) -> Result<(StatusCode, HeaderMap, Json<GeneratedDocument>), Error> {
    let params = ForecastParams {
        period: request.period,
        rep_id: request.rep_id,
        stuck_days: request.stuck_days,
    };
    let document = report::generate(&store, &actor, &params, request.format, request.draft).await?;
    Ok(created(
        &format!("/documents/{}", document.meta.id),
        document,
    ))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(read))
        .routes(routes!(list_snapshots, take_snapshots))
        .routes(routes!(accuracy))
        .routes(routes!(make_report))
}
