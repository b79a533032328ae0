//! Users: who signs in, with which role.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::policy::{self, Action};
use super::{Actor, Role, password, sessions};
use crate::audit;
use crate::crm::Resource;
use crate::crm::validate::{Check, LINE_MAX};
use crate::error::{Error, FieldErrors};
use crate::input::bool_param;
use crate::store::records::{self, Filter, Filters, Meta, Record, Updated};
use crate::store::search::join_present;
use crate::store::{Id, Sql, Store, Tx, Value};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct User {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    /// Unique, lower-case.
    pub email: String,
    pub name: String,
    pub role: Role,
    /// An inactive user cannot sign in.
    pub active: bool,
    pub title: Option<String>,
    pub phone: Option<String>,
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// A password given with this change, hashed before the write.
    #[serde(skip)]
    #[sqlx(skip)]
    new_password: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub id: Option<Id>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<Role>,
    /// Defaults to `true`.
    pub active: Option<bool>,
    pub title: Option<String>,
    pub phone: Option<String>,
    /// Required when creating a user; changed later only by its owner.
    #[serde(skip_serializing)]
    pub password: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserFilter {
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "bool_param")]
    pub active: Option<bool>,
}

impl Record for User {
    const TABLE: &'static str = "users";
    const ENTITY: &'static str = "user";

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("email", self.email.clone().into()),
            ("name", self.name.clone().into()),
            ("role", self.role.into()),
            ("active", self.active.into()),
            ("title", self.title.clone().into()),
            ("phone", self.phone.clone().into()),
            ("password_hash", self.password_hash.clone().into()),
        ]
    }

    fn search_text(&self) -> String {
        join_present(&[Some(&self.email), Some(&self.name), self.title.as_deref()])
    }
}

impl Resource for User {
    type Input = UserInput;
    type Filter = UserFilter;

    const READ: Action = Action::Administer;
    const CREATE: Action = Action::Administer;
    const CHANGE: Action = Action::Administer;

    fn hidden_changes(&self, previous: Option<&Self>) -> &'static [&'static str] {
        if self.password_hash != previous.and_then(|p| p.password_hash.clone()) {
            &["password"]
        } else {
            &[]
        }
    }

    fn input_id(input: &UserInput) -> Option<Id> {
        input.id
    }

    fn build(
        input: UserInput,
        meta: Meta,
        current: Option<&Self>,
        _actor: &Actor,
    ) -> Result<Self, FieldErrors> {
        let mut c = Check::new();
        let email = c.email("email", input.email).map(|e| e.to_lowercase());
        let email = c.required("email", email).unwrap_or_default();
        match (current, &input.password) {
            (Some(_), Some(_)) => c
                .errors
                .add("password", "is changed by its owner at /me/password"),
            (None, None) => c.errors.add("password", "required"),
            (None, Some(p)) => password::check(&mut c.errors, "password", p),
            (Some(_), None) => {}
        }
        if let Some(current) = current
            && current.email != email
        {
            c.errors.add("email", "cannot be changed");
        }
        let user = User {
            email,
            name: c.required_text("name", input.name, LINE_MAX),
            role: c.required("role", input.role).unwrap_or(Role::Rep),
            active: input.active.unwrap_or(true),
            title: c.text("title", input.title, LINE_MAX),
            phone: c.phone("phone", input.phone),
            password_hash: current.and_then(|u| u.password_hash.clone()),
            new_password: input.password,
            meta,
        };
        c.finish()?;
        Ok(user)
    }

    fn to_input(&self) -> UserInput {
        UserInput {
            id: Some(self.meta.id),
            email: Some(self.email.clone()),
            name: Some(self.name.clone()),
            role: Some(self.role),
            active: Some(self.active),
            title: self.title.clone(),
            phone: self.phone.clone(),
            password: None,
        }
    }

    fn filters(f: &UserFilter) -> Vec<Filter> {
        Filters::new()
            .eq("role", f.role)
            .eq("active", f.active)
            .build()
    }

    async fn prepare(&mut self, tx: &mut Tx, current: Option<&Self>) -> Result<(), Error> {
        crate::crm::check_unique(tx, "users", "email", &self.email, self.meta.id, "a user").await?;
        if let Some(new) = self.new_password.take() {
            self.password_hash = Some(password::hash(new).await?);
        }
        // Deactivation takes effect at once: the user's sessions end.
        if current.is_some_and(|c| c.active) && !self.active {
            sessions::end_all(tx, self.meta.id, None).await?;
        }
        Ok(())
    }
}

/// The actor of a command-line action taken in the name of the user with
/// `email`, who must be active.
pub async fn cli_actor(store: &Store, email: &str) -> Result<Actor, Error> {
    let mut sql = Sql::new("SELECT * FROM users WHERE email = ");
    sql.bind(email.trim().to_lowercase());
    match store.fetch_optional::<User>(&sql).await? {
        Some(user) if user.active => Ok(Actor::cli(user.meta.id, user.role)),
        Some(_) => Err(Error::Forbidden(format!("the user {email} is deactivated"))),
        None => Err(Error::NotFound(format!("no user has the email {email}"))),
    }
}

/// The user `email` names, else the built-in `system` user: who a command
/// acts as, by its `--as`.
pub async fn cli_actor_or_system(store: &Store, email: Option<&str>) -> Result<Actor, Error> {
    match email {
        Some(email) => cli_actor(store, email).await,
        None => Ok(Actor::system()),
    }
}

/// How many records a reassignment moved.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Reassigned {
    pub accounts: u64,
    pub contacts: u64,
    pub deals: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReassignInput {
    pub to_user_id: Id,
}

/// Moves every account, contact and deal `from` owns to `to`, in one write.
pub async fn reassign(
    store: &Store,
    actor: &Actor,
    from: Id,
    input: ReassignInput,
) -> Result<Reassigned, Error> {
    use crate::crm::{accounts::Account, contacts::Contact, deals::Deal};

    policy::allow(actor, Action::Administer)?;
    let to = input.to_user_id;
    let mut tx = store.begin().await?;
    if !records::exists(&mut tx, "users", from).await? {
        return Err(Error::not_found("user", from));
    }
    match records::get_in::<User>(&mut tx, to).await? {
        None => return Err(Error::invalid("to_user_id", format!("{to} does not exist"))),
        Some(u) if !u.active => return Err(Error::invalid("to_user_id", "is deactivated")),
        Some(_) => {}
    }
    let moved = Reassigned {
        accounts: move_owned::<Account>(&mut tx, actor, from, to, |r| &mut r.owner_id).await?,
        contacts: move_owned::<Contact>(&mut tx, actor, from, to, |r| &mut r.owner_id).await?,
        deals: move_owned::<Deal>(&mut tx, actor, from, to, |r| &mut r.owner_id).await?,
    };
    tx.commit().await?;
    Ok(moved)
}

/// Gives every `R` owned by `from` to `to` through the record repository, so
/// versions, timestamps and stored JSON move with them.
async fn move_owned<R: Record + Clone>(
    tx: &mut Tx,
    actor: &Actor,
    from: Id,
    to: Id,
    owner: fn(&mut R) -> &mut Id,
) -> Result<u64, Error> {
    let mut sql = Sql::new(format!("SELECT * FROM {} WHERE owner_id = ", R::TABLE));
    sql.bind(from);
    let owned: Vec<R> = tx.fetch_all(&sql).await?;
    let mut moved = 0;
    for before in owned {
        let mut record = before.clone();
        *owner(&mut record) = to;
        if let Updated::Done = records::update(tx, &mut record).await? {
            audit::record_change(
                tx,
                actor,
                Some(&before),
                Some(&record),
                audit::Changes::new(),
            )
            .await?;
            moved += 1;
        }
    }
    Ok(moved)
}

#[derive(sqlx::FromRow)]
struct NameRow {
    id: Id,
    name: String,
}

/// The names of users `ids`, in one query: who published or saved the
/// versions a page lists. Any signed-in user may see who did what in
/// their workspace, so no permission is asked.
pub async fn names(
    store: &Store,
    ids: &[Id],
) -> Result<std::collections::HashMap<Id, String>, Error> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut sql = Sql::new("SELECT id, name FROM users WHERE id IN (");
    sql.bind_list(ids.iter().copied()).push(")");
    let rows: Vec<NameRow> = store.fetch_all(&sql).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}
