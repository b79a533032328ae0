//! The web app: pages rendered on the server over the same domain
//! functions as the JSON API, made for a rep on a phone or a laptop. The
//! rep's screen is the deal: its data, what the chosen document still
//! needs (fillable right there) and one big button.
//!
//! Every form carries a CSRF token ([`csrf`]); every page is sent with a
//! content security policy that allows only this server's own scripts and
//! styles (see `super::security_headers`), so no script is ever built from
//! data, and all data is escaped by the HTML templates.

mod account;
mod approvals;
mod audit;
mod batches;
mod clauses;
pub(super) mod csrf;
mod data;
mod deal;
mod deals;
mod forecast;
mod form;
mod questions;
mod quote;
mod session;
mod settings;
mod templates;
mod themes;
mod users;
mod view;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequestParts, OriginalUri};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::auth::users::User;
use crate::crm;
use crate::crm::import;
use crate::documents;
use crate::error::Error;
use crate::store::{Id, Store};
use crate::web::AppState;
use crate::web::api::immutable_file;
use crate::web::extract::UPLOAD_LIMIT;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/deals") }))
        .route("/login", get(session::form).post(session::sign_in))
        .route("/logout", post(session::sign_out))
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/deals", get(deals::mine))
        .route("/search", get(deals::search))
        .route("/deals/{id}", get(deal::page))
        .route("/deals/{id}/activities", post(deal::log_activity))
        .route("/deals/{id}/answers", post(deal::save_answers))
        .route("/deals/{id}/fill", post(deal::fill))
        .route("/deals/{id}/preview", get(deal::preview))
        .route("/deals/{id}/generate", post(deal::generate))
        .route("/deals/{id}/quote", get(quote::builder))
        .route("/documents/{id}/send", post(deal::send))
        .route("/approvals", get(approvals::queue))
        .route("/approvals/{id}", post(approvals::decide))
        .route("/forecast", get(forecast::page))
        .route("/forecast/report", post(forecast::report))
        .route(
            "/clauses",
            get(clauses::library::page).post(clauses::library::create),
        )
        .route("/clauses/{key}", get(clauses::clause::page))
        .route("/clauses/{key}/versions", post(clauses::clause::write))
        .route(
            "/clauses/{key}/versions/{id}",
            post(clauses::clause::save_draft),
        )
        .route(
            "/clauses/{key}/versions/{id}/retire",
            post(clauses::clause::retire),
        )
        .route("/reviews", get(clauses::reviews::queue))
        .route("/reviews/{id}", post(clauses::reviews::decide))
        .route("/data", get(data::page))
        .route(
            "/data/import",
            post(data::import).layer(DefaultBodyLimit::max(import::MAX_FILE_BYTES + 64 * 1024)),
        )
        .route("/batches", get(batches::list).post(batches::start))
        .route("/batches/{id}", get(batches::page))
        .route("/admin/users", get(users::list).post(users::invite))
        .route("/admin/users/{id}", get(users::page).post(users::update))
        .route("/admin/users/{id}/active", post(users::set_active))
        .route("/admin/users/{id}/reassign", post(users::reassign))
        .route("/admin/settings", get(settings::page).post(settings::save))
        .route("/audit", get(audit::log))
        .route("/templates", get(templates::list).post(templates::create))
        .route("/templates/{key}", get(templates::editor))
        .route("/templates/{key}/draft", post(templates::save))
        .route("/templates/{key}/publish", post(templates::publish))
        .route("/templates/{key}/discard", post(templates::discard))
        .route(
            "/templates/{key}/preview",
            get(templates::saved_preview).post(templates::typed_preview),
        )
        .route("/themes", get(themes::list).post(themes::create))
        .route("/themes/{key}", get(themes::edit).post(themes::save))
        .route(
            "/images",
            post(themes::upload).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/questions", get(questions::list).post(questions::add))
        .route("/questions/{id}/move", post(questions::reorder))
        .route("/questions/{id}/active", post(questions::activate))
        .route("/static/{file}", get(view::asset))
}

/// A page that could not be shown: a sign-in first, or an error shown as a
/// page with its status.
pub enum PageError {
    SignIn { next: String },
    Failed(Error),
}

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        PageError::Failed(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next } => {
                let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                Redirect::to(&format!("/login?{query}")).into_response()
            }
            PageError::Failed(e) => error_page(&e),
        }
    }
}

/// `e` as a page: what happened and where to go from here. Internal
/// details stay in the log.
pub fn error_page(e: &Error) -> Response {
    let (status, _) = e.status_and_code();
    let message = describe(e);
    let title = match status {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not for your role",
        StatusCode::CONFLICT => "Not possible right now",
        StatusCode::UNPROCESSABLE_ENTITY => "Please check the input",
        _ => "Something went wrong",
    };
    let body = view::render(
        "error.html",
        &json!({"title": title, "status": status.as_u16(), "message": message}),
    )
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "the error page failed");
        Html("<!doctype html><title>Error</title><p>This page could not be shown.</p>".to_owned())
    });
    (status, body).into_response()
}

/// What a page tells its user of `e`: each field with its problem, and
/// nothing of an internal failure but that it happened (it is logged).
pub fn describe(e: &Error) -> String {
    match e {
        Error::Internal(_) | Error::Store(_) => {
            tracing::error!(error = %e, "a page failed");
            "Something went wrong on our side. Please try again.".to_owned()
        }
        Error::Validation(fields) => fields
            .iter()
            .map(|(field, problem)| format!("{field}: {problem}"))
            .collect::<Vec<_>>()
            .join("; "),
        Error::BadRequest { field, message } => format!("{field}: {message}"),
        other => other.to_string(),
    }
}

/// The page for a path nothing serves.
pub fn not_found() -> Response {
    error_page(&Error::NotFound(
        "There is no page at this address.".to_owned(),
    ))
}

/// Document `id` as a download: what a button that makes a document
/// answers with.
async fn download(store: &Store, actor: &Actor, id: Id) -> Result<Response, Error> {
    let (document, bytes) = documents::content(store, actor, id).await?;
    immutable_file(
        &document.content_type,
        &document.sha256,
        Some(&document.file_name),
        bytes,
    )
}

/// The signed-in user of a page, and the token its forms carry; without a
/// session the browser is sent to sign in and brought back.
pub struct Signed {
    pub actor: Actor,
    pub user: User,
    pub csrf: String,
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let next = match OriginalUri::from_request_parts(parts, state).await {
            Ok(OriginalUri(uri)) => uri
                .path_and_query()
                .map_or("/deals".to_owned(), |p| p.as_str().to_owned()),
            Err(_) => "/deals".to_owned(),
        };
        let Ok(actor) = Actor::from_request_parts(parts, state).await else {
            return Err(PageError::SignIn { next });
        };
        let user = crm::get::<User>(&state.store, actor.user_id).await?;
        let csrf = csrf::token(&parts.headers).ok_or(PageError::SignIn { next })?;
        Ok(Signed { actor, user, csrf })
    }
}

/// The workspaces' pages in the main menu, each shown to the roles the
/// policy lets do its job: the menu never offers a page that would answer
/// 403.
const NAV: &[(&str, &str, &[Action])] = &[
    ("/deals", "Deals", &[Action::ReadCrm]),
    ("/approvals", "Approvals", &[Action::ApproveQuotes]),
    ("/forecast", "Forecast", &[Action::ReadForecast]),
    ("/templates", "Templates", &[Action::WriteTemplates]),
    ("/themes", "Themes", &[Action::WriteTemplates]),
    ("/questions", "Questions", &[Action::WriteQuestions]),
    (
        "/clauses",
        "Clauses",
        &[Action::DraftClauses, Action::ApproveClauses],
    ),
    ("/reviews", "Reviews", &[Action::ApproveClauses]),
    ("/batches", "Batches", &[Action::GenerateDocuments]),
    ("/data", "Import & export", &[Action::ReadCrm]),
    ("/admin/users", "Users", &[Action::Administer]),
    ("/admin/settings", "Settings", &[Action::Administer]),
    ("/audit", "Audit log", &[Action::ReadAudit]),
];

impl Signed {
    /// What every page's layout shows of the user: who they are, the menu
    /// for their role, and the token their forms carry.
    fn layout(&self) -> serde_json::Value {
        let nav: Vec<serde_json::Value> = NAV
            .iter()
            .filter(|(.., actions)| actions.iter().any(|a| self.may(*a)))
            .map(|(href, label, _)| json!({"href": href, "label": label}))
            .collect();
        json!({
            "name": self.user.name,
            "role": self.actor.role.as_str(),
            "nav": nav,
            "csrf": self.csrf,
        })
    }

    /// Whether the user's role may do `action` at all (on some record).
    fn may(&self, action: Action) -> bool {
        policy::require(&self.actor, action).is_ok()
    }

    /// Refuses a page of another role's workspace (403). Which records
    /// the user may touch is the domain functions' to check.
    fn require(&self, action: Action) -> Result<(), Error> {
        policy::require(&self.actor, action).map(|_| ())
    }
}
