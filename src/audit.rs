//! The audit log: every change to the data, field by field, with who made it
//! and the request it came with. Entries are written in the same transaction
//! as the change and are never changed or deleted (the database refuses).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::{IntoParams, ToSchema};

use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::crm::ListParams;
use crate::error::Error;
use crate::store::records::{Cursor, Record};
use crate::store::{Id, JsonText, Sql, Store, Timestamp, Tx};

crate::text_enum! {
    /// What happened to the entity.
    AuditAction { Create = "create", Update = "update", Delete = "delete" }
}

crate::text_enum! {
    /// The kinds of entity the log records.
    AuditEntity {
        Account = "account",
        Contact = "contact",
        Deal = "deal",
        Activity = "activity",
        ProfileQuestion = "profile_question",
        User = "user",
        Settings = "settings",
        ContactRelationship = "contact_relationship",
        Template = "template",
        Theme = "theme",
        Asset = "asset",
        Document = "document",
        DocumentSending = "document_sending",
        Product = "product",
        PriceBook = "price_book",
        Quote = "quote",
        Clause = "clause",
        ClauseVersion = "clause_version",
        Segment = "segment",
        Batch = "batch",
        ForecastSnapshot = "forecast_snapshot",
    }
}

/// A field's value before and after a change; `null` where it had none.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldChange {
    pub before: Json,
    pub after: Json,
}

/// Changed fields by name; nested fields by dotted path (`company.phone`).
pub type Changes = BTreeMap<String, FieldChange>;

/// What the audit log shows for a secret that changed.
pub const HIDDEN: &str = "(hidden)";

/// The fields every record has, which say nothing about the change itself.
const META_FIELDS: [&str; 4] = ["id", "version", "created_at", "updated_at"];

/// The field-level difference between two JSON renderings of an entity;
/// `None` is "did not exist". Objects are compared field by field, anything
/// else as a whole.
pub fn diff(before: Option<&Json>, after: Option<&Json>) -> Changes {
    let mut changes = Changes::new();
    diff_into(
        &mut changes,
        "",
        before.unwrap_or(&Json::Null),
        after.unwrap_or(&Json::Null),
    );
    for meta in META_FIELDS {
        changes.remove(meta);
    }
    changes
}

static EMPTY: std::sync::LazyLock<serde_json::Map<String, Json>> =
    std::sync::LazyLock::new(serde_json::Map::new);

/// The fields of `value` if it is compared field by field; the top level
/// (an entity, or none) always is.
fn fields(value: &Json, top: bool) -> Option<&serde_json::Map<String, Json>> {
    match value {
        Json::Object(map) => Some(map),
        Json::Null if top => Some(&EMPTY),
        _ => None,
    }
}

fn diff_into(changes: &mut Changes, path: &str, before: &Json, after: &Json) {
    // Below the top level, only values that are objects on both sides are
    // compared field by field.
    let top = path.is_empty();
    if let (Some(b), Some(a)) = (fields(before, top), fields(after, top)) {
        for key in b.keys().chain(a.keys().filter(|k| !b.contains_key(*k))) {
            let child = if top {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            diff_into(
                changes,
                &child,
                b.get(key).unwrap_or(&Json::Null),
                a.get(key).unwrap_or(&Json::Null),
            );
        }
    } else if before != after {
        changes.insert(
            path.to_owned(),
            FieldChange {
                before: before.clone(),
                after: after.clone(),
            },
        );
    }
}

/// A change to record in the log.
pub struct Entry {
    pub entity: AuditEntity,
    pub entity_id: Option<Id>,
    pub action: AuditAction,
    pub changes: Changes,
}

/// Appends `entry` inside the write it describes. An update that changed
/// nothing is not a change and leaves no entry.
pub async fn record(tx: &mut Tx, actor: &Actor, entry: Entry) -> Result<(), Error> {
    if entry.action == AuditAction::Update && entry.changes.is_empty() {
        return Ok(());
    }
    let changes =
        serde_json::to_string(&entry.changes).map_err(|e| Error::Internal(e.to_string()))?;
    let mut sql = Sql::new(
        "INSERT INTO audit_log (id, at, actor_id, via, entity, entity_id, action, changes, request_id) VALUES (",
    );
    sql.bind(Id::new())
        .push(", ")
        .bind(Timestamp::now())
        .push(", ")
        .bind(actor.user_id)
        .push(", ")
        .bind(actor.via())
        .push(", ")
        .bind(entry.entity)
        .push(", ")
        .bind(entry.entity_id)
        .push(", ")
        .bind(entry.action)
        .push(", ")
        .bind(changes)
        .push(", ")
        .bind(actor.request_id.clone())
        .push(")");
    tx.execute(&sql).await?;
    Ok(())
}

/// The entity of a record type in the log: its message name in snake case
/// (`profile question` → `profile_question`).
pub fn entity_of<R: Record>() -> Result<AuditEntity, Error> {
    R::ENTITY
        .replace(' ', "_")
        .parse()
        .map_err(|e| Error::Internal(format!("{e}: add it to AuditEntity")))
}

/// Logs the change of one record from `before` to `after` (either absent
/// for a create or a delete), with `extra` field changes the record's JSON
/// does not show (a password).
pub async fn record_change<R: Record>(
    tx: &mut Tx,
    actor: &Actor,
    before: Option<&R>,
    after: Option<&R>,
    extra: Changes,
) -> Result<(), Error> {
    let render = |r: Option<&R>| {
        r.map(serde_json::to_value)
            .transpose()
            .map_err(|e| Error::Internal(e.to_string()))
    };
    let mut changes = diff(render(before)?.as_ref(), render(after)?.as_ref());
    changes.extend(extra);
    let action = match (before, after) {
        (None, _) => AuditAction::Create,
        (Some(_), Some(_)) => AuditAction::Update,
        (Some(_), None) => AuditAction::Delete,
    };
    let entity_id = after.or(before).map(|r| r.meta().id);
    let entity = entity_of::<R>()?;
    record(
        tx,
        actor,
        Entry {
            entity,
            entity_id,
            action,
            changes,
        },
    )
    .await
}

/// Who made a change, as the log shows them.
#[derive(Clone, Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct AuditActor {
    pub id: Id,
    pub email: String,
    pub name: String,
}

/// One entry of the log.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: Id,
    pub at: Timestamp,
    pub actor: AuditActor,
    /// `api` or `cli`.
    pub via: String,
    pub entity: String,
    /// `null` for the settings, of which there is one.
    pub entity_id: Option<Id>,
    pub action: AuditAction,
    pub changes: Changes,
    /// The `x-request-id` of the request that made the change.
    pub request_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: Id,
    at: Timestamp,
    actor_id: Id,
    actor_email: String,
    actor_name: String,
    via: String,
    entity: String,
    entity_id: Option<Id>,
    action: AuditAction,
    changes: JsonText<Changes>,
    request_id: Option<String>,
}

/// Which entries to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    pub entity: Option<AuditEntity>,
    pub entity_id: Option<Id>,
    pub actor_id: Option<Id>,
    pub action: Option<AuditAction>,
    /// Entries at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<Timestamp>,
    /// Entries before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<Timestamp>,
}

/// A page of entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` to read the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

pub async fn list(
    store: &Store,
    actor: &Actor,
    params: &ListParams,
    filter: &AuditFilter,
) -> Result<AuditPage, Error> {
    policy::allow(actor, Action::ReadAudit)?;
    for (name, given) in [
        ("q", params.q.is_some()),
        ("updated_since", params.updated_since.is_some()),
    ] {
        if given {
            return Err(Error::bad_request(
                name,
                "the audit log does not take this parameter; use since and until",
            ));
        }
    }
    let query = params.query(false)?;
    let mut sql = Sql::new(
        "SELECT a.id AS id, a.at AS at, a.actor_id AS actor_id, u.email AS actor_email, \
         u.name AS actor_name, a.via AS via, a.entity AS entity, a.entity_id AS entity_id, \
         a.action AS action, a.changes AS changes, a.request_id AS request_id \
         FROM audit_log a JOIN users u ON u.id = a.actor_id WHERE 1 = 1",
    );
    if let Some(entity) = &filter.entity {
        sql.push(" AND a.entity = ").bind(*entity);
    }
    if let Some(id) = filter.entity_id {
        sql.push(" AND a.entity_id = ").bind(id);
    }
    if let Some(id) = filter.actor_id {
        sql.push(" AND a.actor_id = ").bind(id);
    }
    if let Some(action) = filter.action {
        sql.push(" AND a.action = ").bind(action);
    }
    if let Some(since) = filter.since {
        sql.push(" AND a.at >= ").bind(since);
    }
    if let Some(until) = filter.until {
        sql.push(" AND a.at < ").bind(until);
    }
    if let Some(Cursor { id, .. }) = query.after {
        sql.push(" AND a.id < ").bind(id);
    }
    // One more than asked tells whether another page follows.
    sql.push(" ORDER BY a.id DESC LIMIT ")
        .bind(i64::from(query.limit) + 1);
    let mut rows: Vec<EntryRow> = store.fetch_all(&sql).await?;
    let more = rows.len() > query.limit as usize;
    rows.truncate(query.limit as usize);
    let next_cursor = more
        .then(|| {
            rows.last().map(|r| {
                Cursor {
                    sort: None,
                    id: r.id,
                }
                .encode()
            })
        })
        .flatten();
    Ok(AuditPage {
        items: rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at,
                actor: AuditActor {
                    id: r.actor_id,
                    email: r.actor_email,
                    name: r.actor_name,
                },
                via: r.via,
                entity: r.entity,
                entity_id: r.entity_id,
                action: r.action,
                changes: r.changes.0,
                request_id: r.request_id,
            })
            .collect(),
        next_cursor,
    })
}

/// Everyone who can appear in the log as the maker of a change, by name:
/// what a filter by actor chooses from.
pub async fn actors(store: &Store, actor: &Actor) -> Result<Vec<AuditActor>, Error> {
    policy::allow(actor, Action::ReadAudit)?;
    let sql = Sql::new("SELECT id, email, name FROM users ORDER BY name, email");
    Ok(store.fetch_all(&sql).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_diff_names_changed_fields_and_nested_paths_but_not_metadata() {
        let before = json!({"id": "a", "version": 1, "name": "Acme", "phone": null,
                            "company": {"phone": "1", "web": "x"}, "tags": ["a"]});
        let after = json!({"id": "a", "version": 2, "name": "Acme", "phone": "2",
                           "company": {"phone": "3", "web": "x"}, "tags": ["a", "b"]});
        let changes = diff(Some(&before), Some(&after));
        let keys: Vec<&str> = changes.keys().map(String::as_str).collect();
        assert_eq!(keys, ["company.phone", "phone", "tags"]);
        assert_eq!(
            changes["phone"],
            FieldChange {
                before: Json::Null,
                after: json!("2")
            }
        );
    }

    #[test]
    fn a_create_lists_every_present_field_with_nothing_before() {
        let after = json!({"id": "a", "name": "Acme", "phone": null});
        let changes = diff(None, Some(&after));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes["name"].before, Json::Null);
    }
}
