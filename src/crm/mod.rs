//! The CRM core: accounts, contacts, deals, activities, profiling questions
//! and answers. Domain functions take a [`Store`] and plain values and are
//! usable without HTTP.

pub mod accounts;
pub mod activities;
pub mod contacts;
pub mod deal_contacts;
pub mod deals;
pub mod list;
pub mod profiling;
pub mod relationships;
pub mod validate;

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::auth::Actor;
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

/// The record as its API JSON.
pub async fn get_json<R: Resource>(store: &Store, id: Id) -> Result<String, Error> {
    records::get_json::<R>(store, id)
        .await?
        .ok_or_else(|| Error::not_found(R::ENTITY, id))
}

/// A page of records as API JSON.
pub async fn list<R: Resource>(
    store: &Store,
    params: &ListParams,
    filter: &R::Filter,
) -> Result<JsonPage, Error> {
    let mut query = params.query(R::SORT.is_some())?;
    query.filters = R::filters(filter);
    Ok(records::list::<R>(store, &query).await?)
}

pub async fn create<R: Resource>(
    store: &Store,
    actor: &Actor,
    input: R::Input,
) -> Result<R, Error> {
    let meta = Meta::new(R::input_id(&input));
    let mut record = R::build(input, meta, None, actor).map_err(Error::Validation)?;
    let mut tx = store.begin().await?;
    check_owner(&mut tx, &record, None, actor).await?;
    record.prepare(&mut tx, None).await?;
    match records::insert(&mut tx, &record).await {
        Ok(()) => {}
        // Taken ids are rare: the key tells, rather than a look-up first.
        Err(StoreError::Unique(_)) => {
            drop(tx);
            let id = record.meta().id;
            return Err(if records::exists_now(store, R::TABLE, id).await? {
                Error::conflict(format!("{} {id} already exists", R::ENTITY))
            } else {
                Error::conflict(format!("another {} holds one of these values", R::ENTITY))
            });
        }
        Err(e) => return Err(reference_error::<R>(e)),
    }
    record.after_write(&mut tx, None, actor).await?;
    tx.commit().await?;
    Ok(record)
}

/// Applies a PATCH: absent fields are unchanged, `null` clears, `version`
/// must match the stored one.
pub async fn update<R: Resource>(
    store: &Store,
    actor: &Actor,
    id: Id,
    mut patch: serde_json::Map<String, serde_json::Value>,
) -> Result<R, Error> {
    let version = match patch.remove("version") {
        Some(serde_json::Value::Number(n)) if n.as_i64().is_some_and(|v| v >= 1) => {
            n.as_i64().unwrap_or_default()
        }
        Some(_) => return Err(Error::invalid("version", "must be a positive integer")),
        None => return Err(Error::invalid("version", "required")),
    };
    let current: R = get(store, id).await?;
    if let Some(given) = patch.remove("id")
        && given.as_str().and_then(|s| s.parse::<Id>().ok()) != Some(id)
    {
        return Err(Error::invalid("id", "cannot be changed"));
    }
    let mut merged = match serde_json::to_value(current.to_input()) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    merged.extend(patch);
    let input: R::Input = input::from_json_value(serde_json::Value::Object(merged))?;
    let mut meta = current.meta().clone();
    meta.version = version;
    let mut record = R::build(input, meta, Some(&current), actor).map_err(Error::Validation)?;
    let mut tx = store.begin().await?;
    check_owner(&mut tx, &record, Some(&current), actor).await?;
    record.prepare(&mut tx, Some(&current)).await?;
    match records::update(&mut tx, &mut record)
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
    record.after_write(&mut tx, Some(&current), actor).await?;
    tx.commit().await?;
    Ok(record)
}

pub async fn delete<R: Resource>(store: &Store, _actor: &Actor, id: Id) -> Result<(), Error> {
    let mut tx = store.begin().await?;
    match records::delete::<R>(&mut tx, id).await? {
        Deletion::Done => {
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
