//! Your own account: who you are signed in as, and your password. An
//! invited user starts with a temporary password an admin passed on; this
//! is where they choose their own.

use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

use super::form::{self, NoticeQuery, Posted, Refused};
use super::{PageError, Signed, error_page, view};
use crate::auth::password;
use crate::auth::sessions::{self, PasswordChange};
use crate::error::Error;

const NOTICES: &[(&str, &str)] = &[(
    "password",
    "Your password is changed. Your other sessions have ended.",
)];

/// The password inputs. What was typed into them is never sent back,
/// even when the form is refused.
const PASSWORDS: &[(&str, &str)] = &[
    ("old_password", "Current password"),
    ("new_password", "New password"),
    ("repeat_password", "New password again"),
];

/// `GET /account`: every signed-in user's.
pub async fn page(
    signed: Signed,
    Query(query): Query<NoticeQuery>,
) -> Result<Html<String>, PageError> {
    Ok(render(&signed, query.text(NOTICES), None)?)
}

fn render(
    signed: &Signed,
    notice: Option<&str>,
    refused: Option<&Refused>,
) -> Result<Html<String>, Error> {
    let passwords: Vec<Value> = PASSWORDS
        .iter()
        .map(|(name, label)| {
            json!({"name": name, "label": label, "value": "",
                   "problem": refused.and_then(|r| r.problems.get(*name))})
        })
        .collect();
    let user = &signed.user;
    view::render(
        "account.html",
        &json!({
            "me": signed.layout(),
            "current": "/account",
            "user": {"name": user.name, "email": user.email, "role": signed.actor.role.as_str(),
                     "title": user.title, "phone": user.phone},
            "passwords": passwords,
            "min_length": password::MIN_LENGTH,
            "notice": notice,
            "refused": refused.map(Refused::view),
        }),
    )
}

/// `POST /account/password`: the current password, and the new one twice.
/// The session it is sent from stays signed in; every other one ends.
pub async fn change_password(form: Posted) -> Response {
    let text = |name| form.field(name).unwrap_or_default().to_owned();
    let done = async {
        if text("new_password") != text("repeat_password") {
            return Err(Error::invalid(
                "repeat_password",
                "is not the same as the new password",
            ));
        }
        let change = PasswordChange {
            old_password: text("old_password"),
            new_password: text("new_password"),
        };
        sessions::change_password(form.store(), form.actor(), change).await
    }
    .await;
    let e = match done {
        Ok(()) => return form::notice("/account", "password"),
        Err(e) => e,
    };
    match Refused::of(e, "password", &form.fields) {
        Ok(refused) => match render(&form.signed, None, Some(&refused)) {
            Ok(page) => (refused.status, page).into_response(),
            Err(e) => error_page(&e),
        },
        Err(e) => error_page(&e),
    }
}
