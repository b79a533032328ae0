//! Relationships between contacts: who reports to whom, who influences whom.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Actor;
use crate::error::{Error, FieldErrors};
use crate::store::records::exists;
use crate::store::{Id, Sql, Store, Timestamp};

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
pub async fn list(store: &Store, contact: Id) -> Result<Vec<Relationship>, Error> {
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
    _actor: &Actor,
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
    if !exists(&mut tx, "contacts", from).await? {
        return Err(Error::not_found("contact", from));
    }
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
    tx.commit().await?;
    Ok(relationship)
}

pub async fn delete(store: &Store, _actor: &Actor, contact: Id, id: Id) -> Result<(), Error> {
    let mut tx = store.begin().await?;
    let mut sql = Sql::new("DELETE FROM contact_relationships WHERE id = ");
    sql.bind(id)
        .push(" AND (from_contact_id = ")
        .bind(contact)
        .push(" OR to_contact_id = ")
        .bind(contact)
        .push(")");
    if tx.execute(&sql).await? == 0 {
        return Err(Error::not_found("relationship", id));
    }
    tx.commit().await?;
    Ok(())
}
