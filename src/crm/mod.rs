//! The CRM core: accounts, contacts, deals, activities, profiling questions
//! and answers. Domain functions take a [`Store`] and plain values and are
//! usable without HTTP.

pub mod accounts;
pub mod activities;
pub mod contacts;
pub mod deal_contacts;
pub mod deals;
pub mod export;
pub mod import;
pub mod list;
pub mod profiling;
pub mod relationships;
pub mod validate;

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::audit::{self, Changes, FieldChange};
use crate::auth::Actor;
use crate::auth::policy::{self, Action, Scope};
use crate::error::{Error, FieldErrors};
use crate::input;
use crate::store::records::{self, Deletion, Filter, JsonPage, Meta, Record, Updated};
use crate::store::{Id, Store, StoreError, Tx};

pub use list::ListParams;

/// A CRM record with the standard create/read/list/patch/delete life cycle.
pub trait Resource: Record + Clone {
    /// The body of a create, and the shape a PATCH is merged into.
    type Input: DeserializeOwned + Serialize + Send;
    /// The list filters beyond the common ones.
    type Filter: DeserializeOwned + Default + Send;

    /// What reading, creating, and changing or deleting these records takes.
    const READ: Action = Action::ReadCrm;
    const CREATE: Action = Action::CreateCrm;
    const CHANGE: Action = Action::ChangeCrm;

    /// The client-chosen id of a create, if any.
    fn input_id(input: &Self::Input) -> Option<Id>;

    /// Validates `input` into a record. `current` is the stored record when
    /// this is a PATCH.
    fn build(
        input: Self::Input,
        meta: Meta,
        current: Option<&Self>,
        actor: &Actor,
    ) -> Result<Self, FieldErrors>;

    /// The record as an input, the base a PATCH is merged onto.
    fn to_input(&self) -> Self::Input;

    fn filters(filter: &Self::Filter) -> Vec<Filter>;

    /// The user who owns the record, for records that have one.
    fn owner(&self) -> Option<Id> {
        None
    }

    /// Secret fields this write changed, which the audit log names without
    /// their values.
    fn hidden_changes(&self, _previous: Option<&Self>) -> &'static [&'static str] {
        &[]
    }

    /// Runs inside the write before the record is stored: checks that the
    /// records it refers to exist and fills what depends on other rows.
    fn prepare(
        &mut self,
        _tx: &mut Tx,
        _current: Option<&Self>,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        async { Ok(()) }
    }

    /// Runs inside the write after the record is stored.
    fn after_write(
        &self,
        _tx: &mut Tx,
        _previous: Option<&Self>,
        _actor: &Actor,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        async { Ok(()) }
    }
}

pub async fn get<R: Resource>(store: &Store, id: Id) -> Result<R, Error> {
    records::get(store, id)
        .await?
        .ok_or_else(|| Error::not_found(R::ENTITY, id))
}

#[derive(sqlx::FromRow)]
struct NameRow {
    id: Id,
    name: String,
}

/// The names of records `ids` of a collection with a `name` column
/// (accounts; users, as the owners of records), in one query: pages list
/// many records at once. Names are what every role reading the CRM sees
/// on the records anyway.
pub async fn names<R: Record>(
    store: &Store,
    actor: &Actor,
    ids: &[Id],
) -> Result<std::collections::HashMap<Id, String>, Error> {
    policy::allow(actor, Action::ReadCrm)?;
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let mut sql =
        crate::store::Sql::new(format!("SELECT id, name FROM {} WHERE id IN (", R::TABLE));
    sql.bind_list(ids.iter().copied()).push(")");
    let rows: Vec<NameRow> = store.fetch_all(&sql).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// The record whose `key` is `key`, or whose id it is: how collections
/// with a stable key (templates, clauses, segments) are named.
pub async fn by_key<R: Record>(store: &Store, key: &str) -> Result<R, Error> {
    let mut sql = crate::store::Sql::new(format!("SELECT * FROM {} WHERE ", R::TABLE));
    match key.parse::<Id>() {
        Ok(id) => sql.push("id = ").bind(id),
        Err(_) => sql.push("key = ").bind(key),
    };
    store
        .fetch_optional::<R>(&sql)
        .await?
        .ok_or_else(|| Error::NotFound(format!("there is no {} `{key}`", R::ENTITY)))
}

/// The record, if `actor` may read it.
pub async fn get_checked<R: Resource>(store: &Store, actor: &Actor, id: Id) -> Result<R, Error> {
    policy::allow(actor, R::READ)?;
    get(store, id).await
}

/// The record as its API JSON.
pub async fn get_json<R: Resource>(store: &Store, actor: &Actor, id: Id) -> Result<String, Error> {
    policy::allow(actor, R::READ)?;
    records::get_json::<R>(store, id)
        .await?
        .ok_or_else(|| Error::not_found(R::ENTITY, id))
}

/// A page of records as API JSON.
pub async fn list<R: Resource>(
    store: &Store,
    actor: &Actor,
    params: &ListParams,
    filter: &R::Filter,
) -> Result<JsonPage, Error> {
    policy::allow(actor, R::READ)?;
    let mut query = params.query(R::SORT.is_some())?;
    query.filters = R::filters(filter);
    Ok(records::list::<R>(store, &query).await?)
}

pub async fn create<R: Resource>(
    store: &Store,
    actor: &Actor,
    input: R::Input,
) -> Result<R, Error> {
    let record = checked_new::<R>(actor, input)?;
    let mut tx = store.begin().await?;
    match insert_in(&mut tx, actor, record).await {
        // Taken ids are rare: the key tells, rather than a look-up first.
        Err(Inserted::Taken(id)) => {
            drop(tx);
            Err(if records::exists_now(store, R::TABLE, id).await? {
                Error::conflict(format!("{} {id} already exists", R::ENTITY))
            } else {
                Error::conflict(format!("another {} holds one of these values", R::ENTITY))
            })
        }
        Err(Inserted::Failed(e)) => Err(e),
        Ok(record) => {
            tx.commit().await?;
            Ok(record)
        }
    }
}

/// `input` as a new record `actor` may create: validated, not stored.
pub fn checked_new<R: Resource>(actor: &Actor, input: R::Input) -> Result<R, Error> {
    policy::allow(actor, R::CREATE)?;
    let meta = Meta::new(R::input_id(&input));
    let record = R::build(input, meta, None, actor).map_err(Error::Validation)?;
    // Creating a record one could not change afterwards would be handing
    // work to someone else in their name.
    if record.owner().is_some() && !policy::require(actor, R::CHANGE)?.covers(actor, record.owner())
    {
        return Err(Error::Forbidden(format!(
            "your role ({}) may create only records you own: leave owner_id out or give your own id",
            actor.role.as_str()
        )));
    }
    Ok(record)
}

/// Why [`insert_in`] stored nothing.
pub enum Inserted {
    /// A unique value (the id, or another) is taken; the id tried.
    Taken(Id),
    Failed(Error),
}

impl From<Error> for Inserted {
    fn from(e: Error) -> Self {
        Inserted::Failed(e)
    }
}

/// Stores a record made by [`checked_new`] inside the write `tx`, with
/// what goes with it and its audit entry.
pub async fn insert_in<R: Resource>(
    tx: &mut Tx,
    actor: &Actor,
    mut record: R,
) -> Result<R, Inserted> {
    check_owner(tx, &record, None, actor).await?;
    record.prepare(tx, None).await?;
    match records::insert(tx, &record).await {
        Ok(()) => {}
        Err(StoreError::Unique(_)) => return Err(Inserted::Taken(record.meta().id)),
        Err(e) => return Err(reference_error::<R>(e).into()),
    }
    record.after_write(tx, None, actor).await?;
    audit::record_change(tx, actor, None, Some(&record), hidden(&record, None)).await?;
    Ok(record)
}

/// Who decides whether an update is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// The policy's `R::CHANGE` grant, with the fill-a-blank exception.
    Policy,
    /// The caller checked already: a user changing their own profile, which
    /// every role may (the "/me" of the policy table).
    OwnProfile,
}

/// Applies a PATCH: absent fields are unchanged, `null` clears, `version`
/// must match the stored one.
pub async fn update<R: Resource>(
    store: &Store,
    actor: &Actor,
    id: Id,
    patch: serde_json::Map<String, serde_json::Value>,
) -> Result<R, Error> {
    update_with(store, actor, id, patch, Permission::Policy).await
}

pub async fn update_with<R: Resource>(
    store: &Store,
    actor: &Actor,
    id: Id,
    mut patch: serde_json::Map<String, serde_json::Value>,
    permission: Permission,
) -> Result<R, Error> {
    let scope = match permission {
        Permission::Policy => Some(policy::require(actor, R::CHANGE)?),
        Permission::OwnProfile => None,
    };
    let version = input::take_version(&mut patch)?;
    let current: R = get(store, id).await?;
    let mut tx = store.begin().await?;
    let record = update_in(&mut tx, actor, scope, current, version, patch).await?;
    tx.commit().await?;
    Ok(record)
}

/// Applies `patch` to `current` (read at `version`) inside the write `tx`,
/// checked against `scope` when one is given.
pub async fn update_in<R: Resource>(
    tx: &mut Tx,
    actor: &Actor,
    scope: Option<Scope>,
    current: R,
    version: i64,
    mut patch: serde_json::Map<String, serde_json::Value>,
) -> Result<R, Error> {
    let id = current.meta().id;
    if let Some(given) = patch.remove("id")
        && given.as_str().and_then(|s| s.parse::<Id>().ok()) != Some(id)
    {
        return Err(Error::invalid("id", "cannot be changed"));
    }
    let mut merged = match serde_json::to_value(current.to_input()) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    // Who may change the record is settled before what they sent is judged.
    if let Some(scope) = scope {
        let target = Target {
            entity: R::ENTITY,
            table: R::TABLE,
            id,
            owner: current.owner(),
        };
        let named: Vec<String> = patch.keys().cloned().collect();
        let blank = |field: &str| merged.get(field).is_none_or(is_blank);
        check_change(tx, actor, scope, &target, &named, blank).await?;
    }
    merged.extend(patch);
    let input: R::Input = input::from_json_value(serde_json::Value::Object(merged))?;
    let mut meta = current.meta().clone();
    meta.version = version;
    let mut record = R::build(input, meta, Some(&current), actor).map_err(Error::Validation)?;
    check_owner(tx, &record, Some(&current), actor).await?;
    record.prepare(tx, Some(&current)).await?;
    match records::update(tx, &mut record)
        .await
        .map_err(reference_error::<R>)?
    {
        Updated::Done => {}
        Updated::Stale { current_version } => {
            return Err(Error::Conflict {
                message: format!(
                    "{} {id} was changed by someone else: it is at version {current_version}, not {version}",
                    R::ENTITY
                ),
                current_version: Some(current_version),
                fields: FieldErrors::new(),
            });
        }
        Updated::Missing => return Err(Error::not_found(R::ENTITY, id)),
    }
    record.after_write(tx, Some(&current), actor).await?;
    let hidden = hidden(&record, Some(&current));
    audit::record_change(tx, actor, Some(&current), Some(&record), hidden).await?;
    Ok(record)
}

/// The audit log's entries for the secret fields a write changed.
fn hidden<R: Resource>(record: &R, previous: Option<&R>) -> Changes {
    let before = match previous {
        Some(_) => serde_json::Value::from(audit::HIDDEN),
        None => serde_json::Value::Null,
    };
    record
        .hidden_changes(previous)
        .iter()
        .map(|field| {
            let change = FieldChange {
                before: before.clone(),
                after: audit::HIDDEN.into(),
            };
            ((*field).to_owned(), change)
        })
        .collect()
}

/// What "blank" means for filling a field in: no value, or an empty one.
pub(crate) fn is_blank(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => true,
        serde_json::Value::String(s) => s.trim().is_empty(),
        serde_json::Value::Array(a) => a.is_empty(),
        serde_json::Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A record a write is about to change.
pub(crate) struct Target<'a> {
    pub entity: &'a str,
    pub table: &'a str,
    pub id: Id,
    pub owner: Option<Id>,
}

#[derive(sqlx::FromRow)]
struct OwnerRow {
    owner_id: Id,
}

impl<'a> Target<'a> {
    /// The row `id` of `table`, which has an `owner_id`; 404 if missing.
    pub(crate) async fn load(
        tx: &mut Tx,
        entity: &'a str,
        table: &'a str,
        id: Id,
    ) -> Result<Target<'a>, Error> {
        let mut sql = crate::store::Sql::new(format!("SELECT owner_id FROM {table} WHERE id = "));
        sql.bind(id);
        match tx.fetch_optional::<OwnerRow>(&sql).await? {
            Some(row) => Ok(Target {
                entity,
                table,
                id,
                owner: Some(row.owner_id),
            }),
            None => Err(Error::not_found(entity, id)),
        }
    }
}

/// Refuses unless `actor` may change `target`: by the grant `scope` on
/// its owner, or, for a role that may change only its own records, by
/// filling in `named` fields that are all blank on the account or a contact
/// of a deal the actor owns.
pub(crate) async fn check_change(
    tx: &mut Tx,
    actor: &Actor,
    scope: Scope,
    target: &Target<'_>,
    named: &[String],
    blank: impl Fn(&str) -> bool,
) -> Result<(), Error> {
    let Err(refusal) = scope.check_owner(actor, target.owner) else {
        return Ok(());
    };
    if policy::require(actor, Action::FillBlank).is_err()
        || !on_own_deal(tx, target.table, target.id, actor).await?
    {
        return Err(refusal);
    }
    match named.iter().find(|field| !blank(field)) {
        Some(field) => Err(Error::Forbidden(format!(
            "on the {} of your own deal you may only fill in blank fields, and `{field}` has a value",
            target.entity
        ))),
        None => Ok(()),
    }
}

/// Whether `id` of `table` is the account, or a contact, of a deal `actor`
/// owns: a contact at the deal's account or one named on the deal.
pub(crate) async fn on_own_deal(
    tx: &mut Tx,
    table: &str,
    id: Id,
    actor: &Actor,
) -> Result<bool, Error> {
    let mut sql = crate::store::Sql::new("SELECT COUNT(*) AS n FROM deals d WHERE d.owner_id = ");
    sql.bind(actor.user_id);
    match table {
        "accounts" => sql.push(" AND d.account_id = ").bind(id),
        "contacts" => sql
            .push(" AND (d.account_id = (SELECT account_id FROM contacts WHERE id = ")
            .bind(id)
            .push(") OR d.id IN (SELECT deal_id FROM deal_contacts WHERE contact_id = ")
            .bind(id)
            .push("))"),
        _ => return Ok(false),
    };
    Ok(tx
        .fetch_optional::<crate::store::Count>(&sql)
        .await?
        .is_some_and(|c| c.n > 0))
}

pub async fn delete<R: Resource>(store: &Store, actor: &Actor, id: Id) -> Result<(), Error> {
    let scope = policy::require(actor, R::CHANGE)?;
    let mut tx = store.begin().await?;
    let Some(current) = records::get_in::<R>(&mut tx, id).await? else {
        return Err(Error::not_found(R::ENTITY, id));
    };
    scope.check_owner(actor, current.owner())?;
    match records::delete::<R>(&mut tx, id).await? {
        Deletion::Done => {
            audit::record_change(&mut tx, actor, Some(&current), None, Changes::new()).await?;
            tx.commit().await?;
            Ok(())
        }
        Deletion::Missing => Err(Error::not_found(R::ENTITY, id)),
        Deletion::Blocked(counts) => {
            let what: Vec<String> = counts
                .iter()
                .map(|(n, dep)| {
                    let noun = if *n == 1 { dep.noun.0 } else { dep.noun.1 };
                    format!("{n} {noun}")
                })
                .collect();
            Err(Error::conflict(format!(
                "{} {id} cannot be deleted: it still has {}; delete or move them first",
                R::ENTITY,
                what.join(" and ")
            )))
        }
    }
}

/// Checks that a new owner exists. The acting user and an unchanged owner
/// are known to, which spares most writes the look-up.
async fn check_owner<R: Resource>(
    tx: &mut Tx,
    record: &R,
    current: Option<&R>,
    actor: &Actor,
) -> Result<(), Error> {
    match record.owner() {
        Some(owner) if owner != actor.user_id && current.and_then(R::owner) != Some(owner) => {
            let mut errors = FieldErrors::new();
            check_exists(tx, &mut errors, "owner_id", "users", Some(owner)).await?;
            errors.check()
        }
        _ => Ok(()),
    }
}

/// A reference that was valid when checked but whose target was deleted
/// before the write landed is the client's problem with that field, as if
/// the check had seen it.
fn reference_error<R: Record>(e: crate::store::StoreError) -> Error {
    match e.foreign_key_column(R::TABLE) {
        Some(column) => Error::invalid(column, "does not exist (it was deleted just now)"),
        None => e.into(),
    }
}

/// Refuses `value` in `column` of `table` if another row than `id` holds it:
/// 409 naming the column.
pub(crate) async fn check_unique(
    tx: &mut Tx,
    table: &str,
    column: &'static str,
    value: &str,
    id: Id,
    what: &str,
) -> Result<(), Error> {
    let mut taken = crate::store::Sql::new(format!(
        "SELECT COUNT(*) AS n FROM {table} WHERE {column} = "
    ));
    taken.bind(value).push(" AND id <> ").bind(id);
    if tx
        .fetch_optional::<crate::store::Count>(&taken)
        .await?
        .is_some_and(|c| c.n > 0)
    {
        return Err(Error::Conflict {
            message: format!("{what} with {column} `{value}` exists"),
            current_version: None,
            fields: FieldErrors::one(column, "already used"),
        });
    }
    Ok(())
}

/// Records `field: "does not exist"` unless `id` names a row of `table`.
pub async fn check_exists(
    tx: &mut Tx,
    errors: &mut FieldErrors,
    field: &str,
    table: &str,
    id: Option<Id>,
) -> Result<(), Error> {
    if let Some(id) = id
        && !records::exists(tx, table, id).await?
    {
        errors.add(field, format!("{id} does not exist"));
    }
    Ok(())
}

/// The owner of a record: the actor when a new record names none; required
/// once the record exists (`null` in a PATCH is refused, not reset).
pub(crate) fn owner(c: &mut validate::Check, given: Option<Id>, exists: bool, actor: &Actor) -> Id {
    match given {
        Some(id) => id,
        None if exists => {
            c.errors.add("owner_id", "required");
            actor.user_id
        }
        None => actor.user_id,
    }
}

#[derive(sqlx::FromRow)]
struct AccountOf {
    account_id: Option<Id>,
}

/// The account of the row `id` of `table` (`None` if there is no such row).
pub(crate) async fn account_of(
    tx: &mut Tx,
    table: &str,
    id: Id,
) -> Result<Option<Option<Id>>, Error> {
    let mut sql = crate::store::Sql::new(format!("SELECT account_id FROM {table} WHERE id = "));
    sql.bind(id);
    Ok(tx
        .fetch_optional::<AccountOf>(&sql)
        .await?
        .map(|r| r.account_id))
}
