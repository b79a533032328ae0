//! HTTP: the axum router, its middleware, and the server's life cycle.

mod api;
pub mod extract;
mod pages;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef, State};
use axum::http::{HeaderName, Request};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::Error;
use crate::store::Store;

/// Settings of the server itself.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long a sign-in lasts.
    pub session_hours: u32,
    /// What the mail server is signed in to with, if it asks.
    pub smtp_credentials: Option<crate::mail::Credentials>,
    /// How many batch documents this server makes at once; 0 leaves
    /// batches to other instances.
    pub batch_jobs: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            session_hours: 12,
            smtp_credentials: None,
            batch_jobs: crate::batches::work::Options::new().jobs,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub options: Options,
    /// Wakes this server's batch worker when a batch starts.
    pub batches: Arc<Notify>,
    openapi: Arc<utoipa::openapi::OpenApi>,
}

impl FromRef<AppState> for Store {
    fn from_ref(state: &AppState) -> Store {
        state.store.clone()
    }
}

#[derive(OpenApi)]
#[openapi(info(
    title = "dealdraft",
    description = "The CRM and document API of dealdraft. Errors share one shape: \
                   `{\"error\": {\"code\", \"message\", \"fields\"}}`."
))]
struct ApiDoc;

/// How long a stopping server waits for its batch worker to keep the
/// documents in hand.
const BATCH_STOP_WAIT: Duration = Duration::from_secs(10);

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: API, health check and OpenAPI description.
pub fn router(store: Store, options: Options) -> Router {
    router_waking(store, options, Arc::default())
}

/// The application, waking `batches` when a batch starts.
fn router_waking(store: Store, options: Options, batches: Arc<Notify>) -> Router {
    let (api, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(openapi_json))
        .nest("/api/v1", api::routes())
        .split_for_parts();
    let state = AppState {
        store,
        options,
        batches,
        openapi: Arc::new(openapi),
    };
    api.merge(pages::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::map_response(security_headers))
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT))
        .layer(CatchPanicLayer::custom(|_| {
            // A panic is a bug; the client still gets the API's error shape.
            Error::Internal("a handler panicked".to_owned()).into_response()
        }))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http()
            .on_response(DefaultOnResponse::new().level(Level::INFO))
            .make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}

/// Serves `store` on `listener` with default [`Options`] until `shutdown`
/// resolves, then lets the requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    store: Store,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, store, Options::default(), shutdown).await
}

pub async fn serve_with(
    listener: TcpListener,
    store: Store,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let wake = Arc::new(Notify::new());
    let jobs = options.batch_jobs;
    let app = router_waking(store.clone(), options, wake.clone());
    // Before the first request, so no one reads a stale status at start.
    expire_quotes(&store).await;
    // Batches interrupted by a stop are taken up again at start.
    let stop_batches = Arc::new(AtomicBool::new(false));
    let batch_worker = (jobs > 0).then(|| {
        let options = crate::batches::work::Options {
            worker: crate::store::Id::new(),
            jobs,
        };
        let run =
            crate::batches::work::run(store.clone(), options, wake.clone(), stop_batches.clone());
        tokio::spawn(run)
    });
    let sweeper = tokio::spawn({
        let store = store.clone();
        async move {
            loop {
                weekly_snapshots(&store).await;
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                expire_quotes(&store).await;
            }
        }
    });
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    // The documents in hand are finished and kept; the rest waits for the
    // next start, or for another instance.
    stop_batches.store(true, Ordering::Relaxed);
    wake.notify_one();
    if let Some(worker) = batch_worker {
        let _ = tokio::time::timeout(BATCH_STOP_WAIT, worker).await;
    }
    store.close().await;
    result
}

/// Marks quotes past their validity date `expired`; a failure is logged,
/// and the next run tries again.
async fn expire_quotes(store: &Store) {
    match crate::quotes::workflow::expire_due(store).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(quotes = n, "marked expired"),
        Err(e) => tracing::warn!(error = %e, "marking expired quotes failed"),
    }
}

/// Takes this week's forecast snapshots if no server has; a failure is
/// logged, and the next hour tries again.
async fn weekly_snapshots(store: &Store) {
    match crate::forecast::snapshots::take_weekly(store).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(reps = n, "weekly forecast snapshots taken"),
        Err(e) => tracing::warn!(error = %e, "taking the weekly forecast snapshots failed"),
    }
}

/// `{"status": "ok"}` while the database answers.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, body = Object), (status = 503, body = api::ErrorBody)))]
async fn healthz(State(store): State<Store>) -> Result<Json<serde_json::Value>, Error> {
    store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "health check: the database does not answer");
        Error::Unavailable("the database does not answer".to_owned())
    })?;
    Ok(Json(serde_json::json!({"status": "ok"})))
}

/// This description.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "service",
    responses((status = 200, body = Object)))]
async fn openapi_json(State(state): State<AppState>) -> Json<Arc<utoipa::openapi::OpenApi>> {
    Json(state.openapi.clone())
}

/// The API answers in JSON; everything else is the web app's, and a
/// browser gets a page.
async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        Error::NotFound("no such route".to_owned()).into_response()
    } else {
        pages::not_found()
    }
}

/// Headers every answer carries: a content security policy that lets a
/// page run and style itself only from this server (no inline script,
/// nothing from elsewhere), and no sniffing, framing by others or
/// referrers abroad. An answer that sets its own policy keeps it.
async fn security_headers(mut response: Response) -> Response {
    use axum::http::HeaderValue;
    use axum::http::header;
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

async fn method_not_allowed() -> Response {
    Error::MethodNotAllowed("this path does not take that method".to_owned()).into_response()
}
