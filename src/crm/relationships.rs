//! Relationships between contacts: who reports to whom, who influences whom.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Target;
use crate::audit::{self, AuditAction};
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::error::{Error, FieldErrors};
use crate::store::records::exists;
use crate::store::{Id, Sql, Store, Timestamp, Tx};

crate::text_enum! {
    RelationshipKind { ReportsTo = "reports_to", Influences = "influences" }
}

/// `from_contact_id` reports to, or influences, `to_contact_id`.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Relationship {
    pub id: Id,
    pub from_contact_id: Id,
    pub kind: RelationshipKind,
    pub to_contact_id: Id,
    pub created_at: Timestamp,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationshipInput {
    pub kind: RelationshipKind,
    pub to_contact_id: Id,
}

/// The contact's relationships in both directions, oldest first.
pub async fn list(store: &Store, actor: &Actor, contact: Id) -> Result<Vec<Relationship>, Error> {
    policy::allow(actor, Action::ReadCrm)?;
    super::get::<super::contacts::Contact>(store, contact).await?;
    let mut sql = Sql::new("SELECT * FROM contact_relationships WHERE from_contact_id = ");
    sql.bind(contact)
        .push(" OR to_contact_id = ")
        .bind(contact)
        .push(" ORDER BY created_at, id");
    Ok(store.fetch_all(&sql).await?)
}

pub async fn create(
    store: &Store,
    actor: &Actor,
    from: Id,
    input: RelationshipInput,
) -> Result<Relationship, Error> {
    let to = input.to_contact_id;
    if from == to {
        return Err(Error::invalid(
            "to_contact_id",
            "a contact cannot relate to itself",
        ));
    }
    let mut tx = store.begin().await?;
    check_contact_owner(&mut tx, actor, from).await?;
    if !exists(&mut tx, "contacts", to).await? {
        return Err(Error::invalid(
            "to_contact_id",
            format!("{to} does not exist"),
        ));
    }
    let mut dup = Sql::new("SELECT * FROM contact_relationships WHERE from_contact_id = ");
    dup.bind(from)
        .push(" AND kind = ")
        .bind(input.kind)
        .push(" AND to_contact_id = ")
        .bind(to);
    if tx.fetch_optional::<Relationship>(&dup).await?.is_some() {
        return Err(Error::Conflict {
            message: "this relationship already exists".to_owned(),
            current_version: None,
            fields: FieldErrors::one("to_contact_id", "already related this way"),
        });
    }
    if input.kind == RelationshipKind::ReportsTo {
        // Walk up the reporting line from `to`; meeting `from` closes a loop.
        let mut seen = vec![to];
        let mut frontier = vec![to];
        while let Some(next) = frontier.pop() {
            let mut up = Sql::new(
                "SELECT * FROM contact_relationships WHERE kind = 'reports_to' AND from_contact_id = ",
            );
            up.bind(next);
            for r in tx.fetch_all::<Relationship>(&up).await? {
                if r.to_contact_id == from {
                    return Err(Error::invalid(
                        "to_contact_id",
                        "this would make a reporting loop",
                    ));
                }
                if !seen.contains(&r.to_contact_id) {
                    seen.push(r.to_contact_id);
                    frontier.push(r.to_contact_id);
                }
            }
        }
    }
    let relationship = Relationship {
        id: Id::new(),
        from_contact_id: from,
        kind: input.kind,
        to_contact_id: to,
        created_at: Timestamp::now(),
    };
    let mut sql = Sql::new(
        "INSERT INTO contact_relationships (id, from_contact_id, kind, to_contact_id, created_at) VALUES (",
    );
    sql.bind(relationship.id)
        .push(", ")
        .bind(from)
        .push(", ")
        .bind(input.kind)
        .push(", ")
        .bind(to)
        .push(", ")
        .bind(relationship.created_at)
        .push(")");
    tx.execute(&sql).await?;
    log(&mut tx, actor, AuditAction::Create, &relationship).await?;
    tx.commit().await?;
    Ok(relationship)
}

pub async fn delete(store: &Store, actor: &Actor, contact: Id, id: Id) -> Result<(), Error> {
    let mut tx = store.begin().await?;
    check_contact_owner(&mut tx, actor, contact).await?;
    let mut sql = Sql::new("SELECT * FROM contact_relationships WHERE id = ");
    sql.bind(id)
        .push(" AND (from_contact_id = ")
        .bind(contact)
        .push(" OR to_contact_id = ")
        .bind(contact)
        .push(")");
    let Some(relationship) = tx.fetch_optional::<Relationship>(&sql).await? else {
        return Err(Error::not_found("relationship", id));
    };
    let mut sql = Sql::new("DELETE FROM contact_relationships WHERE id = ");
    sql.bind(id);
    tx.execute(&sql).await?;
    log(&mut tx, actor, AuditAction::Delete, &relationship).await?;
    tx.commit().await?;
    Ok(())
}

/// A contact's relationships are part of the contact: changing them takes
/// the right to change the contact.
async fn check_contact_owner(tx: &mut Tx, actor: &Actor, contact: Id) -> Result<(), Error> {
    let scope = policy::require(actor, Action::ChangeCrm)?;
    let target = Target::load(tx, "contact", "contacts", contact).await?;
    scope.check_owner(actor, target.owner)
}

async fn log(
    tx: &mut Tx,
    actor: &Actor,
    action: AuditAction,
    relationship: &Relationship,
) -> Result<(), Error> {
    let value = serde_json::to_value(relationship).map_err(|e| Error::Internal(e.to_string()))?;
    let (before, after) = match action {
        AuditAction::Delete => (Some(&value), None),
        _ => (None, Some(&value)),
    };
    let entry = audit::Entry {
        entity: audit::AuditEntity::ContactRelationship,
        entity_id: Some(relationship.id),
        action,
        changes: audit::diff(before, after),
    };
    audit::record(tx, actor, entry).await
}
