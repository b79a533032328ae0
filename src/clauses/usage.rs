//! Where a clause version is used: the templates that print its clause,
//! and the documents that printed exactly this version.

use serde::Serialize;
use utoipa::ToSchema;

use super::versions::{self, ClauseVersion};
use crate::auth::Actor;
use crate::auth::policy::{self, Action, Grant};
use crate::crm::ListParams;
use crate::error::Error;
use crate::store::records::Cursor;
use crate::store::{Id, Sql, Store, Timestamp};
use crate::templates::store::{self as template_store, ClauseUse};

/// A document that printed the version.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct DocumentUse {
    pub document_id: Id,
    pub template: String,
    pub format: String,
    pub file_name: String,
    /// When it was generated.
    pub created_at: Timestamp,
    pub draft: bool,
    /// When it was first e-mailed to the customer, if it was.
    pub sent_at: Option<Timestamp>,
    pub deal_id: Option<Id>,
    /// `null` once the deal is deleted; the document stays.
    pub deal_name: Option<String>,
    /// The rep whose document it is.
    pub rep_id: Id,
    pub rep_name: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WhereUsed {
    pub version: ClauseVersion,
    pub templates: Vec<ClauseUse>,
    /// Oldest first, a page at a time.
    pub documents: Vec<DocumentUse>,
    pub next_cursor: Option<String>,
}

/// A page of the documents that printed a version.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DocumentPage {
    /// Oldest first.
    pub documents: Vec<DocumentUse>,
    pub next_cursor: Option<String>,
}

/// Where version `id` is used, as far as `actor` may read documents (a
/// rep sees their own).
pub async fn where_used(
    store: &Store,
    actor: &Actor,
    id: Id,
    params: &ListParams,
) -> Result<WhereUsed, Error> {
    // Refused before telling whether the version exists; the documents
    // are narrowed to the actor's own by the same grant below.
    let _scope = policy::require(actor, Action::ReadDocuments)?;
    let version = versions::get(store, id).await?;
    let page = documents(store, actor, id, params).await?;
    let templates = template_store::using_clause(store, &version.clause_key).await?;
    Ok(WhereUsed {
        version,
        templates,
        documents: page.documents,
        next_cursor: page.next_cursor,
    })
}

/// The documents that printed version `id`, a page at a time, as far as
/// `actor` may read documents: the templates are the same for every
/// version of a clause, so a page listing several versions asks for them
/// once.
pub async fn documents(
    store: &Store,
    actor: &Actor,
    id: Id,
    params: &ListParams,
) -> Result<DocumentPage, Error> {
    let scope = policy::require(actor, Action::ReadDocuments)?;
    let query = params.query(false)?;
    let mut sql = Sql::new(
        "SELECT d.id AS document_id, d.template AS template, d.format AS format, \
         d.file_name AS file_name, d.created_at AS created_at, d.draft AS draft, \
         (SELECT MIN(s.created_at) FROM document_sendings s \
          WHERE s.document_id = d.id AND s.status = 'sent') AS sent_at, \
         d.deal_id AS deal_id, deals.name AS deal_name, d.owner_id AS rep_id, u.name AS rep_name \
         FROM document_clauses dc JOIN documents d ON d.id = dc.document_id \
         LEFT JOIN deals ON deals.id = d.deal_id LEFT JOIN users u ON u.id = d.owner_id \
         WHERE dc.clause_version_id = ",
    );
    sql.bind(id);
    if scope.grant() == Grant::Own {
        sql.push(" AND d.owner_id = ").bind(actor.user_id);
    }
    if let Some(after) = query.after {
        sql.push(" AND d.id > ").bind(after.id);
    }
    sql.push(" ORDER BY d.id LIMIT ")
        .bind(i64::from(query.limit) + 1);
    let mut documents = store.fetch_all::<DocumentUse>(&sql).await?;
    let next_cursor = if documents.len() > query.limit as usize {
        documents.truncate(query.limit as usize);
        documents.last().map(|d| {
            Cursor {
                sort: None,
                id: d.document_id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(DocumentPage {
        documents,
        next_cursor,
    })
}
