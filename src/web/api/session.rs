//! Signing in and out, and the signed-in user's own record.

use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ErrorBody;
use crate::auth::Actor;
use crate::auth::sessions::{self, COOKIE, Credentials, PasswordChange, SignedIn};
use crate::auth::users::User;
use crate::crm::{self, Permission};
use crate::error::Error;
use crate::store::Store;
use crate::web::AppState;
use crate::web::extract::ApiJson;

type Patch = serde_json::Map<String, serde_json::Value>;

/// The session cookie set to `value` for `max_age_secs` (0 clears it).
pub(crate) fn cookie(value: &str, max_age_secs: i64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let text = format!("{COOKIE}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_secs}");
    if let Ok(v) = HeaderValue::from_str(&text) {
        headers.insert(SET_COOKIE, v);
    }
    headers
}

/// Signs in: a bearer token, and the same token as an HttpOnly cookie.
#[utoipa::path(post, path = "/session", tag = "session", request_body = Credentials,
    responses((status = 200, body = SignedIn), (status = 401, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
async fn sign_in(
    State(state): State<AppState>,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<(HeaderMap, Json<SignedIn>), Error> {
    let hours = state.options.session_hours;
    let signed_in = sessions::sign_in(&state.store, credentials, hours).await?;
    let headers = cookie(&signed_in.token, i64::from(hours) * 3600);
    Ok((headers, Json(signed_in)))
}

/// Signs out: the token stops working and the cookie is cleared.
#[utoipa::path(delete, path = "/session", tag = "session",
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn sign_out(
    State(store): State<Store>,
    actor: Actor,
) -> Result<(StatusCode, HeaderMap), Error> {
    sessions::sign_out(&store, &actor).await?;
    Ok((StatusCode::NO_CONTENT, cookie("", 0)))
}

#[utoipa::path(get, path = "/me", tag = "session",
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
async fn get_me(State(store): State<Store>, actor: Actor) -> Result<Json<User>, Error> {
    Ok(Json(crm::get::<User>(&store, actor.user_id).await?))
}

/// Changes your own `name`, `title` and `phone`; `version` is required.
#[utoipa::path(patch, path = "/me", tag = "session",
    request_body(content = Object, description = "`name`, `title`, `phone` and `version`"),
    responses((status = 200, body = User), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn patch_me(
    State(store): State<Store>,
    actor: Actor,
    ApiJson(patch): ApiJson<Patch>,
) -> Result<Json<User>, Error> {
    if let Some(other) = patch
        .keys()
        .find(|k| !matches!(k.as_str(), "name" | "title" | "phone" | "version"))
    {
        return Err(Error::invalid(
            other.clone(),
            "is not yours to change: only name, title and phone are",
        ));
    }
    Ok(Json(
        crm::update_with::<User>(&store, &actor, actor.user_id, patch, Permission::OwnProfile)
            .await?,
    ))
}

/// Changes your password; your other sessions end.
#[utoipa::path(put, path = "/me/password", tag = "session", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = ErrorBody)))]
async fn put_password(
    State(store): State<Store>,
    actor: Actor,
    ApiJson(change): ApiJson<PasswordChange>,
) -> Result<StatusCode, Error> {
    sessions::change_password(&store, &actor, change).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(get_me, patch_me))
        .routes(routes!(put_password))
}
