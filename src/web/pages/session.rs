//! Signing in and out of the web app, with the same sessions as the API.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

use super::{Signed, csrf, error_page, view};
use crate::auth::sessions::{self, Credentials};
use crate::error::Error;
use crate::web::AppState;
use crate::web::api::session::cookie;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Where to go after signing in: a path of this site only, so the form
/// cannot be used to send someone elsewhere.
fn local(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/deals".to_owned(),
    }
}

fn login_page(next: &str, csrf: &str, problem: Option<&str>, email: &str) -> Response {
    match view::render(
        "login.html",
        &json!({"next": next, "csrf": csrf, "problem": problem, "email": email}),
    ) {
        Ok(page) => page.into_response(),
        Err(e) => error_page(&e),
    }
}

/// `GET /login`: the form, with a CSRF token of its own until signed in.
pub async fn form(headers: HeaderMap, Query(query): Query<Next>) -> Response {
    let next = local(query.next.as_deref());
    let (token, set) = match csrf::token(&headers) {
        Some(token) => (token, None),
        None => csrf::fresh(),
    };
    let mut response = login_page(&next, &token, None, "");
    if let Some(cookie) = set {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

#[derive(Deserialize)]
pub struct SignIn {
    email: String,
    password: String,
    next: Option<String>,
    csrf: Option<String>,
}

/// `POST /login`: signs in and goes on to `next`; a wrong password shows
/// the form again with the reason.
pub async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SignIn>,
) -> Response {
    if let Err(e) = csrf::check(&headers, form.csrf.as_deref()) {
        return error_page(&e);
    }
    let next = local(form.next.as_deref());
    let hours = state.options.session_hours;
    let credentials = Credentials {
        email: form.email.clone(),
        password: form.password,
    };
    match sessions::sign_in(&state.store, credentials, hours).await {
        Ok(signed_in) => {
            let mut response = Redirect::to(&next).into_response();
            response
                .headers_mut()
                .extend(cookie(&signed_in.token, i64::from(hours) * 3600));
            response
        }
        Err(e @ (Error::Unauthorized(_) | Error::TooManyAttempts { .. })) => {
            let (status, _) = e.status_and_code();
            let token = csrf::token(&headers).unwrap_or_default();
            (
                status,
                login_page(&next, &token, Some(&e.to_string()), &form.email),
            )
                .into_response()
        }
        Err(e) => error_page(&e),
    }
}

#[derive(Deserialize)]
pub struct Token {
    csrf: Option<String>,
}

/// `POST /logout`: ends the session and clears the cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Form(form): Form<Token>,
) -> Response {
    if let Err(e) = csrf::check(&headers, form.csrf.as_deref()) {
        return error_page(&e);
    }
    if let Err(e) = sessions::sign_out(&state.store, &signed.actor).await {
        return error_page(&e);
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().extend(cookie("", 0));
    response
}
