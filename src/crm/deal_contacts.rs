//! The people involved in a deal and the part each plays.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Target;
use super::contacts::Contact;
use super::deals::Deal;
use crate::audit::{self, AuditAction};
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::error::{Error, FieldErrors};
use crate::store::records::exists;
use crate::store::{Id, Sql, Store, Tx};

crate::text_enum! {
    DealRole {
        DecisionMaker = "decision_maker",
        Champion = "champion",
        Influencer = "influencer",
        Blocker = "blocker",
        User = "user",
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealContactInput {
    pub contact_id: Id,
    pub role: DealRole,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DealContactsInput {
    pub contacts: Vec<DealContactInput>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DealContact {
    pub contact_id: Id,
    pub role: DealRole,
    pub contact: Contact,
}

/// A contact with the role it plays in one deal.
#[derive(sqlx::FromRow)]
struct RoleRow {
    role: DealRole,
    #[sqlx(flatten)]
    contact: Contact,
}

pub async fn list(store: &Store, actor: &Actor, deal: Id) -> Result<Vec<DealContact>, Error> {
    policy::allow(actor, Action::ReadCrm)?;
    super::get::<Deal>(store, deal).await?;
    let mut sql = Sql::new(
        "SELECT dc.role AS role, c.* FROM deal_contacts dc \
         JOIN contacts c ON c.id = dc.contact_id WHERE dc.deal_id = ",
    );
    sql.bind(deal).push(" ORDER BY dc.contact_id");
    let rows: Vec<RoleRow> = store.fetch_all(&sql).await?;
    Ok(rows
        .into_iter()
        .map(|r| DealContact {
            contact_id: r.contact.meta.id,
            role: r.role,
            contact: r.contact,
        })
        .collect())
}

/// Replaces the deal's contacts with `input`.
pub async fn replace(
    store: &Store,
    actor: &Actor,
    deal: Id,
    input: DealContactsInput,
) -> Result<Vec<DealContact>, Error> {
    let scope = policy::require(actor, Action::ChangeCrm)?;
    let mut tx = store.begin().await?;
    let target = Target::load(&mut tx, "deal", "deals", deal).await?;
    scope.check_owner(actor, target.owner)?;
    let before = roles(&mut tx, deal).await?;
    let mut errors = FieldErrors::new();
    let mut seen = HashSet::new();
    for (i, item) in input.contacts.iter().enumerate() {
        let field = format!("contacts[{i}].contact_id");
        if !seen.insert(item.contact_id) {
            errors.add(field, "is listed twice");
        } else if !exists(&mut tx, "contacts", item.contact_id).await? {
            errors.add(field, format!("{} does not exist", item.contact_id));
        }
    }
    errors.check()?;
    let mut clear = Sql::new("DELETE FROM deal_contacts WHERE deal_id = ");
    clear.bind(deal);
    tx.execute(&clear).await?;
    for item in &input.contacts {
        let mut sql = Sql::new("INSERT INTO deal_contacts (deal_id, contact_id, role) VALUES (");
        sql.bind(deal)
            .push(", ")
            .bind(item.contact_id)
            .push(", ")
            .bind(item.role)
            .push(")");
        tx.execute(&sql).await?;
    }
    let after = roles(&mut tx, deal).await?;
    let entry = audit::Entry {
        entity: audit::AuditEntity::Deal,
        entity_id: Some(deal),
        action: AuditAction::Update,
        changes: audit::diff(
            Some(&serde_json::json!({ "contacts": before })),
            Some(&serde_json::json!({ "contacts": after })),
        ),
    };
    audit::record(&mut tx, actor, entry).await?;
    tx.commit().await?;
    list(store, actor, deal).await
}

#[derive(sqlx::FromRow)]
struct RoleOf {
    contact_id: Id,
    role: DealRole,
}

/// The deal's contacts and roles as a write sees them, as the audit log
/// shows them.
async fn roles(tx: &mut Tx, deal: Id) -> Result<Vec<DealContactInput>, Error> {
    let mut sql = Sql::new("SELECT contact_id, role FROM deal_contacts WHERE deal_id = ");
    sql.bind(deal).push(" ORDER BY contact_id");
    let rows: Vec<RoleOf> = tx.fetch_all(&sql).await?;
    Ok(rows
        .into_iter()
        .map(|r| DealContactInput {
            contact_id: r.contact_id,
            role: r.role,
        })
        .collect())
}
