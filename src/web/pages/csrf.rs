//! CSRF protection for the web app's forms. Signed in, a form's token is
//! derived from the session cookie, which no other site can read, so it
//! changes with every sign-in; before signing in (the login form) it is a
//! random value kept in a cookie of its own and sent back with the form.
//! A form post whose token does not match is refused.

use axum::http::{HeaderMap, HeaderValue};

use crate::auth::sessions;
use crate::digest::sha256_hex;
use crate::error::Error;
use crate::web::extract::cookie;

/// The cookie holding the token before sign-in.
pub const COOKIE: &str = "dealdraft_csrf";

/// The token the forms of a request with `headers` carry, if the browser
/// has a session or a token cookie.
pub fn token(headers: &HeaderMap) -> Option<String> {
    match cookie(headers, sessions::COOKIE).filter(|s| !s.is_empty()) {
        Some(session) => Some(sha256_hex(format!("csrf\0{session}").as_bytes())),
        None => cookie(headers, COOKIE)
            .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(str::to_owned),
    }
}

/// Refuses a form whose token (`given`) is missing or not this browser's.
pub fn check(headers: &HeaderMap, given: Option<&str>) -> Result<(), Error> {
    let refused = || {
        Error::Forbidden(
            "this form has expired or did not come from dealdraft: reload the page and try again"
                .to_owned(),
        )
    };
    let expected = token(headers).ok_or_else(refused)?;
    let given = given.ok_or_else(refused)?;
    // Compared in full whatever the first difference, so timing tells
    // nothing.
    let same = expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same { Ok(()) } else { Err(refused()) }
}

/// A new token for a browser that has none, and the cookie that keeps it.
pub fn fresh() -> (String, Option<HeaderValue>) {
    let token = sessions::new_token();
    let cookie = HeaderValue::from_str(&format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=86400"
    ))
    .ok();
    (token, cookie)
}
