//! The admin's users: who signs in, with which role. The list, filtered by
//! role and state; invitations, whose temporary password is shown once;
//! and per user their profile and role, deactivation (which ends their
//! sessions at once) and handing what they own to someone else.

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::deals::every;
use super::form::{self, NoticeQuery, Posted, Refused, given, input};
use super::{PageError, Signed, error_page, view};
use crate::auth::invite::{self, Invitation, Mailed};
use crate::auth::policy::Action;
use crate::auth::users::{self, ReassignInput, User, UserFilter, UserInput};
use crate::auth::{Role, SYSTEM_USER_ID, sessions};
use crate::crm::{self, ListParams};
use crate::error::Error;
use crate::store::Id;
use crate::web::AppState;

const NOTICES: &[(&str, &str)] = &[
    ("saved", "Saved."),
    (
        "deactivated",
        "Deactivated: their sessions have ended and they can no longer sign in.",
    ),
    (
        "reactivated",
        "Reactivated: they can sign in again with their password.",
    ),
    (
        "reassigned",
        "Their accounts, contacts and deals now belong to the user you chose.",
    ),
];

/// Users on a page of the list.
const PAGE_SIZE: u32 = 50;

/// The list's filters and place, as its address gives them.
#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    q: Option<String>,
    role: Option<String>,
    active: Option<String>,
    cursor: Option<String>,
}

impl UsersQuery {
    fn filter(&self) -> Result<UserFilter, Error> {
        let role = given(&self.role)
            .map(|r| {
                r.parse::<Role>()
                    .map_err(|_| Error::bad_request("role", format!("`{r}` is not a role")))
            })
            .transpose()?;
        let active = match given(&self.active) {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => {
                return Err(Error::bad_request(
                    "active",
                    format!("must be true or false, not `{other}`"),
                ));
            }
        };
        Ok(UserFilter { role, active })
    }

    /// The list with these filters, from `cursor` on (the first page
    /// without one).
    fn link(&self, cursor: Option<&str>) -> String {
        form::address(
            "/admin/users",
            &[
                ("q", given(&self.q)),
                ("role", given(&self.role)),
                ("active", given(&self.active)),
                ("cursor", cursor),
            ],
        )
    }
}

/// `GET /admin/users`: admins only.
pub async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<UsersQuery>,
    Query(notice): Query<NoticeQuery>,
) -> Result<Html<String>, PageError> {
    signed.require(Action::Administer)?;
    Ok(list_page(&state, &signed, &query, notice.text(NOTICES), None).await?)
}

/// The list, with the invitation form `refused` when it was.
async fn list_page(
    state: &AppState,
    signed: &Signed,
    query: &UsersQuery,
    notice: Option<&str>,
    refused: Option<&Refused>,
) -> Result<Html<String>, Error> {
    let (store, actor) = (&state.store, &signed.actor);
    let params = ListParams {
        limit: Some(PAGE_SIZE),
        cursor: given(&query.cursor).map(str::to_owned),
        q: given(&query.q).map(str::to_owned),
        ..ListParams::default()
    };
    let page = crm::list::<User>(store, actor, &params, &query.filter()?).await?;
    let mut listed: Vec<Value> =
        serde_json::from_str(&page.items).map_err(|e| Error::Internal(e.to_string()))?;
    let ids: Vec<Id> = listed.iter().filter_map(id_of).collect();
    let last = sessions::last_sign_ins(store, actor, &ids).await?;
    for user in &mut listed {
        let id = id_of(user);
        user["last_sign_in"] = id.and_then(|id| last.get(&id)).map(view::moment).into();
        user["system"] = (id == Some(SYSTEM_USER_ID)).into();
        user["you"] = (id == Some(actor.user_id)).into();
    }
    let next = page.next_cursor.map(|c| query.link(Some(&c.encode())));
    let first = given(&query.cursor).map(|_| query.link(None));
    let refused = refused.and_then(|r| r.of_form("invite"));
    let invite = json!({
        "email": input("email", "E-mail", None, refused),
        "name": input("name", "Name", None, refused),
        "title": input("title", "Title", None, refused),
        "phone": input("phone", "Phone", None, refused),
        "role": input("role", "Role", Some("rep".to_owned()), refused),
    });
    view::render(
        "admin_users.html",
        &json!({
            "me": signed.layout(),
            "current": "/admin/users",
            "users": listed,
            "filter": {"q": given(&query.q), "role": given(&query.role), "active": given(&query.active)},
            "roles": roles(),
            "next": next,
            "first": first,
            "notice": notice,
            "invite": invite,
            "refused": refused.map(Refused::view),
        }),
    )
}

fn id_of(record: &Value) -> Option<Id> {
    record["id"].as_str()?.parse().ok()
}

fn roles() -> Vec<&'static str> {
    Role::ALL.iter().map(|r| r.as_str()).collect()
}

/// `POST /admin/users`: invites a user; the next page shows their
/// temporary password, once.
pub async fn invite(headers: HeaderMap, form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::Administer)?;
        let input: UserInput =
            crate::input::from_json_value(form.json(&["email", "name", "role", "title", "phone"]))?;
        let credentials = form.state.options.smtp_credentials.as_ref();
        let url = sign_in_url(&headers);
        invite::invite(form.store(), form.actor(), credentials, input, &url).await
    }
    .await;
    let e = match done {
        Ok(invitation) => return invited_page(&form.signed, &invitation),
        Err(e) => e,
    };
    let refused = match Refused::of(e, "invite", &form.fields) {
        Ok(refused) => refused,
        Err(e) => return error_page(&e),
    };
    let query = UsersQuery::default();
    match list_page(&form.state, &form.signed, &query, None, Some(&refused)).await {
        Ok(page) => (refused.status, page).into_response(),
        Err(e) => error_page(&e),
    }
}

/// Where the invited sign in: this server, as the admin's browser
/// reached it.
fn sign_in_url(headers: &HeaderMap) -> String {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let origin = header(ORIGIN)
        .filter(|o| o.starts_with("http://") || o.starts_with("https://"))
        .map(str::to_owned)
        .or_else(|| header(HOST).map(|host| format!("http://{host}")));
    format!("{}/login", origin.unwrap_or_default())
}

/// The invited user's temporary password, shown this once and kept by no
/// cache.
fn invited_page(signed: &Signed, invitation: &Invitation) -> Response {
    let (mailed, reason) = match &invitation.mailed {
        Mailed::NotSetUp => ("not_set_up", None),
        Mailed::Sent => ("sent", None),
        Mailed::Failed(reason) => ("failed", Some(reason.as_str())),
    };
    let page = view::render(
        "admin_invited.html",
        &json!({
            "me": signed.layout(),
            "current": "/admin/users",
            "user": invitation.user,
            "password": invitation.password,
            "mailed": mailed,
            "reason": reason,
        }),
    );
    match page {
        Ok(page) => {
            let mut response = page.into_response();
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => error_page(&e),
    }
}

/// The user an address names; anything else is a page that is not there.
fn user_id(text: &str) -> Result<Id, Error> {
    text.parse()
        .map_err(|_| Error::NotFound(format!("there is no user {text}")))
}

/// `GET /admin/users/{id}`.
pub async fn page(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(notice): Query<NoticeQuery>,
) -> Result<Html<String>, PageError> {
    signed.require(Action::Administer)?;
    let id = user_id(&id)?;
    Ok(user_page(&state, &signed, id, notice.text(NOTICES), None).await?)
}

async fn user_page(
    state: &AppState,
    signed: &Signed,
    id: Id,
    notice: Option<&str>,
    refused: Option<&Refused>,
) -> Result<Html<String>, Error> {
    let (store, actor) = (&state.store, &signed.actor);
    let user = crm::get_checked::<User>(store, actor, id).await?;
    let owned = users::owned(store, actor, id).await?;
    let last_sign_in = sessions::last_sign_ins(store, actor, &[id])
        .await?
        .get(&id)
        .map(view::moment);
    // Only someone who can sign in takes records over.
    let takers: Vec<Value> = every::<User>(
        store,
        actor,
        &UserFilter {
            active: Some(true),
            ..UserFilter::default()
        },
        None,
    )
    .await?
    .into_iter()
    .filter(|u| id_of(u).is_some_and(|u| u != id && u != SYSTEM_USER_ID))
    .collect();
    let profile = refused.and_then(|r| r.of_form("profile"));
    view::render(
        "admin_user.html",
        &json!({
            "me": signed.layout(),
            "current": "/admin/users",
            "user": user,
            "created": view::moment(&user.meta.created_at),
            "last_sign_in": last_sign_in,
            "owned": owned,
            "owns_any": owned.accounts + owned.contacts + owned.deals > 0,
            "takers": takers,
            "roles": roles(),
            "you": id == actor.user_id,
            "system": id == SYSTEM_USER_ID,
            "profile": {
                "name": input("name", "Name", Some(user.name.clone()), profile),
                "title": input("title", "Title", user.title.clone(), profile),
                "phone": input("phone", "Phone", user.phone.clone(), profile),
                "role": input("role", "Role", Some(user.role.as_str().to_owned()), profile),
            },
            "notice": notice,
            "refused": refused.map(Refused::view),
            "reassign_problem": refused
                .and_then(|r| r.of_form("reassign"))
                .and_then(|r| r.problems.get("to_user_id")),
        }),
    )
}

/// A form of the user page done: `done` (the notice to show), or the page
/// again with why not.
async fn answer(
    form: &Posted,
    id: &str,
    which: &'static str,
    done: Result<&str, Error>,
) -> Response {
    let refused = match done {
        Ok(notice) => return form::notice(&format!("/admin/users/{id}"), notice),
        Err(e) => match Refused::of(e, which, &form.fields) {
            Ok(refused) => refused,
            Err(e) => return error_page(&e),
        },
    };
    // The form was refused for what it said, so its address named a user.
    let Ok(id) = user_id(id) else {
        return super::not_found();
    };
    match user_page(&form.state, &form.signed, id, None, Some(&refused)).await {
        Ok(page) => (refused.status, page).into_response(),
        Err(e) => error_page(&e),
    }
}

/// `POST /admin/users/{id}`: name, title, phone and role.
pub async fn update(Path(id): Path<String>, form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::Administer)?;
        let user = user_id(&id)?;
        let Value::Object(mut patch) = form.json(&["name", "title", "phone", "role"]) else {
            return Err(Error::Internal("a form is an object".to_owned()));
        };
        patch.insert("version".to_owned(), form::version(&form.fields)?.into());
        crm::update::<User>(form.store(), form.actor(), user, patch).await?;
        Ok("saved")
    }
    .await;
    answer(&form, &id, "profile", done).await
}

/// `POST /admin/users/{id}/active`: deactivates (ending their sessions)
/// or reactivates.
pub async fn set_active(Path(id): Path<String>, form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::Administer)?;
        let user = user_id(&id)?;
        let active = match form.field("active") {
            Some("true") => true,
            Some("false") => false,
            _ => return Err(Error::invalid("active", "must be true or false")),
        };
        let mut patch = serde_json::Map::new();
        patch.insert("active".to_owned(), active.into());
        patch.insert("version".to_owned(), form::version(&form.fields)?.into());
        crm::update::<User>(form.store(), form.actor(), user, patch).await?;
        Ok(if active { "reactivated" } else { "deactivated" })
    }
    .await;
    answer(&form, &id, "active", done).await
}

/// `POST /admin/users/{id}/reassign`: everything the user owns goes to
/// the user chosen.
pub async fn reassign(Path(id): Path<String>, form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::Administer)?;
        let user = user_id(&id)?;
        let to_user_id = form
            .text("to_user_id")
            .ok_or_else(|| Error::invalid("to_user_id", "choose who takes them over"))?
            .parse()
            .map_err(|_| Error::invalid("to_user_id", "is not a user"))?;
        users::reassign(
            form.store(),
            form.actor(),
            user,
            ReassignInput { to_user_id },
        )
        .await?;
        Ok("reassigned")
    }
    .await;
    answer(&form, &id, "reassign", done).await
}
