//! Sign-in sessions: random bearer tokens of which only a SHA-256 is kept.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use crate::digest::sha256_hex;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::policy::{self, Action};
use super::users::User;
use super::{Actor, Role, password, throttle};
use crate::audit;
use crate::error::{Error, FieldErrors};
use crate::store::{Id, Sql, Store, Timestamp, Tx};

/// The name of the session cookie.
pub const COOKIE: &str = "dealdraft_session";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignedIn {
    /// Send as `Authorization: Bearer TOKEN`.
    pub token: String,
    pub expires_at: Timestamp,
    pub user: User,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub old_password: String,
    pub new_password: String,
}

const WRONG: &str = "the email or the password is wrong";

/// Checks the credentials and opens a session of `hours`.
pub async fn sign_in(
    store: &Store,
    credentials: Credentials,
    hours: u32,
) -> Result<SignedIn, Error> {
    let email = credentials.email.trim().to_lowercase();
    throttle::before_attempt(store, &email).await?;
    let mut sql = Sql::new("SELECT * FROM users WHERE email = ");
    sql.bind(email.clone());
    let user: Option<User> = store.fetch_optional(&sql).await?;
    let usable = user.as_ref().filter(|u| u.active);
    let hash = usable.and_then(|u| u.password_hash.clone());
    if !password::verify(hash, credentials.password).await {
        throttle::failed(store, &email).await?;
        return Err(Error::Unauthorized(WRONG.to_owned()));
    }
    let Some(user) = usable.cloned() else {
        return Err(Error::Unauthorized(WRONG.to_owned()));
    };
    throttle::succeeded(store, &email).await?;
    let token = new_token();
    let now = Timestamp::now();
    let expires_at = Timestamp::from(now.0 + TimeDelta::hours(i64::from(hours)));
    let mut tx = store.begin().await?;
    let mut insert =
        Sql::new("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (");
    insert
        .bind(token_hash(&token))
        .push(", ")
        .bind(user.meta.id)
        .push(", ")
        .bind(now)
        .push(", ")
        .bind(expires_at)
        .push(")");
    tx.execute(&insert).await?;
    tx.commit().await?;
    Ok(SignedIn {
        token,
        expires_at,
        user,
    })
}

/// Ends the actor's session.
pub async fn sign_out(store: &Store, actor: &Actor) -> Result<(), Error> {
    if let Some(session) = &actor.session {
        let mut tx = store.begin().await?;
        let mut sql = Sql::new("DELETE FROM sessions WHERE token_hash = ");
        sql.bind(session.clone());
        tx.execute(&sql).await?;
        tx.commit().await?;
        cache().remove(session);
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: Id,
    expires_at: Timestamp,
    role: Role,
    active: bool,
}

/// Sessions looked up in the last [`CACHE_TTL`], so a busy client costs one
/// session query a second rather than one a request. This process forgets an
/// entry the moment it ends the session (sign-out, password change,
/// deactivation); a change made elsewhere (another instance, the database
/// itself) takes effect here within the TTL.
static CACHE: LazyLock<Mutex<HashMap<String, Cached>>> = LazyLock::new(Default::default);
const CACHE_TTL: Duration = Duration::from_secs(1);
const CACHE_MAX: usize = 10_000;

#[derive(Clone)]
struct Cached {
    actor: Actor,
    expires_at: Timestamp,
    fetched: Instant,
}

fn cache() -> std::sync::MutexGuard<'static, HashMap<String, Cached>> {
    CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The actor a token stands for: unknown, expired and ended sessions, and
/// deactivated users, are all 401.
pub async fn authenticate(store: &Store, token: &str) -> Result<Actor, Error> {
    let hash = token_hash(token);
    let hit = cache().get(&hash).cloned();
    let (actor, expires_at) = match hit {
        Some(c) if c.fetched.elapsed() < CACHE_TTL => (c.actor, c.expires_at),
        _ => {
            let mut sql = Sql::new(
                "SELECT s.user_id AS user_id, s.expires_at AS expires_at, u.role AS role, u.active AS active \
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ",
            );
            sql.bind(hash.clone());
            let Some(s) = store.fetch_optional::<SessionRow>(&sql).await? else {
                cache().remove(&hash);
                return Err(Error::Unauthorized(
                    "sign in first: send `Authorization: Bearer TOKEN` or the session cookie"
                        .to_owned(),
                ));
            };
            if !s.active {
                cache().remove(&hash);
                return Err(ended());
            }
            let actor = Actor {
                user_id: s.user_id,
                role: s.role,
                session: Some(hash.clone()),
                request_id: None,
                batch: false,
            };
            let mut cache = cache();
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(
                hash,
                Cached {
                    actor: actor.clone(),
                    expires_at: s.expires_at,
                    fetched: Instant::now(),
                },
            );
            (actor, s.expires_at)
        }
    };
    if expires_at.0 > Utc::now() {
        Ok(actor)
    } else {
        Err(ended())
    }
}

fn ended() -> Error {
    Error::Unauthorized("the session has ended: sign in again".to_owned())
}

/// Ends every session of `user` but `except` (a token hash).
pub async fn end_all(tx: &mut Tx, user: Id, except: Option<&str>) -> Result<(), Error> {
    let mut sql = Sql::new("DELETE FROM sessions WHERE user_id = ");
    sql.bind(user);
    if let Some(keep) = except {
        sql.push(" AND token_hash <> ").bind(keep.to_owned());
    }
    tx.execute(&sql).await?;
    // Forgotten before the commit: a lookup in between finds the rows still
    // there and caches them for at most the TTL, never longer.
    cache().retain(|hash, c| c.actor.user_id != user || Some(hash.as_str()) == except);
    Ok(())
}

/// Changes the actor's own password; their other sessions end.
pub async fn change_password(
    store: &Store,
    actor: &Actor,
    change: PasswordChange,
) -> Result<(), Error> {
    let mut errors = FieldErrors::new();
    password::check(&mut errors, "new_password", &change.new_password);
    errors.check()?;
    let user: User = crate::crm::get(store, actor.user_id).await?;
    if !password::verify(user.password_hash.clone(), change.old_password).await {
        return Err(Error::invalid(
            "old_password",
            "is not your current password",
        ));
    }
    let hash = password::hash(change.new_password).await?;
    let mut tx = store.begin().await?;
    let mut sql = Sql::new("UPDATE users SET password_hash = ");
    sql.bind(hash).push(" WHERE id = ").bind(actor.user_id);
    tx.execute(&sql).await?;
    end_all(&mut tx, actor.user_id, actor.session.as_deref()).await?;
    let hidden = audit::FieldChange {
        before: audit::HIDDEN.into(),
        after: audit::HIDDEN.into(),
    };
    let entry = audit::Entry {
        entity: audit::AuditEntity::User,
        entity_id: Some(actor.user_id),
        action: audit::AuditAction::Update,
        changes: [("password".to_owned(), hidden)].into_iter().collect(),
    };
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LastSignIn {
    user_id: Id,
    at: Timestamp,
}

/// When each of `users` last signed in, as far as the sessions tell: a
/// session is forgotten when it is signed out of or ended, so a user with
/// none left has no entry.
pub async fn last_sign_ins(
    store: &Store,
    actor: &Actor,
    users: &[Id],
) -> Result<HashMap<Id, Timestamp>, Error> {
    policy::allow(actor, Action::Administer)?;
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql =
        Sql::new("SELECT user_id, MAX(created_at) AS at FROM sessions WHERE user_id IN (");
    sql.bind_list(users.iter().copied())
        .push(") GROUP BY user_id");
    Ok(store
        .fetch_all::<LastSignIn>(&sql)
        .await?
        .into_iter()
        .map(|row| (row.user_id, row.at))
        .collect())
}

/// 256 random bits as hex: what sessions and the web forms' first CSRF token use.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    crate::digest::hex(&bytes)
}

fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}
