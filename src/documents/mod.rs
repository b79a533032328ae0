//! Generated documents: the record of what went to a customer.
//!
//! A document is made from the published template, the subject's context,
//! a theme version and asset versions; all of it is recorded with the
//! bytes and the context snapshot, and none of it ever changes (the
//! database refuses), so the document can be shown, audited and made
//! again byte for byte.

pub mod generate;
pub mod report;
pub mod send;
pub mod tryout;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Actor;
use crate::auth::policy::{self, Action, Grant};
use crate::brand::assets::UsedAsset;
use crate::crm::ListParams;
use crate::error::Error;
use crate::store::records::{self, Filters, JsonPage, Meta, Record};
use crate::store::{Id, JsonText, Sql, Store, Value};
use crate::templates::store::SourceVersion;

crate::text_enum! {
    /// The file a document is; `eml` is an e-mail message holding the
    /// document as HTML and text with its PDF attached.
    DocumentFormat {
        Pdf = "pdf",
        Docx = "docx",
        Html = "html",
        Eml = "eml",
    }
}

impl DocumentFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            DocumentFormat::Pdf => crate::render::Format::Pdf.content_type(),
            DocumentFormat::Docx => crate::render::Format::Docx.content_type(),
            DocumentFormat::Html => crate::render::Format::Html.content_type(),
            DocumentFormat::Eml => "message/rfc822",
        }
    }
}

/// A generated document; its bytes are at `…/content`.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct GeneratedDocument {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    /// The template's key and the version the document was made from.
    pub template: String,
    pub template_version: i64,
    /// Every template version it was made from: the template and what it
    /// includes or extends.
    #[schema(value_type = Vec<SourceVersion>)]
    pub sources: JsonText<Vec<SourceVersion>>,
    /// The subject: a deal (with its account and primary contact), a
    /// contact (with its account) or an account.
    pub deal_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub account_id: Option<Id>,
    /// The subject's owner when it was made: whose document it is.
    pub owner_id: Id,
    /// The quote it prints, and which revision.
    pub quote_id: Option<Id>,
    pub quote_revision: Option<i64>,
    pub format: DocumentFormat,
    /// A preview, marked "DRAFT" on every page with its blanks shown; never
    /// sent to a customer.
    pub draft: bool,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// The SHA-256 of the bytes, in hex.
    pub sha256: String,
    /// The theme's key and the saved theme version used.
    pub theme: String,
    pub theme_version_id: Id,
    /// The asset versions it shows.
    #[schema(value_type = Vec<UsedAsset>)]
    pub assets: JsonText<Vec<UsedAsset>>,
    /// The approved clause versions it holds.
    #[schema(value_type = Vec<String>)]
    pub clause_versions: JsonText<Vec<Id>>,
    /// The dealdraft version that made it.
    pub program_version: String,
    pub generated_by: Id,
}

impl Record for GeneratedDocument {
    const TABLE: &'static str = "documents";
    const ENTITY: &'static str = "document";

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("template", self.template.clone().into()),
            ("template_version", self.template_version.into()),
            ("sources", Value::from(&self.sources)),
            ("deal_id", self.deal_id.into()),
            ("contact_id", self.contact_id.into()),
            ("account_id", self.account_id.into()),
            ("owner_id", self.owner_id.into()),
            ("quote_id", self.quote_id.into()),
            ("quote_revision", self.quote_revision.into()),
            ("format", self.format.into()),
            ("draft", self.draft.into()),
            ("file_name", self.file_name.clone().into()),
            ("content_type", self.content_type.clone().into()),
            ("size_bytes", self.size_bytes.into()),
            ("sha256", self.sha256.clone().into()),
            ("theme", self.theme.clone().into()),
            ("theme_version_id", self.theme_version_id.into()),
            ("assets", Value::from(&self.assets)),
            ("clause_versions", Value::from(&self.clause_versions)),
            ("program_version", self.program_version.clone().into()),
            ("generated_by", self.generated_by.into()),
        ]
    }

    fn search_text(&self) -> String {
        format!("{} {}", self.template, self.file_name)
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentFilter {
    pub deal_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub account_id: Option<Id>,
    pub template: Option<String>,
    pub quote_id: Option<Id>,
    pub format: Option<DocumentFormat>,
    #[serde(default, deserialize_with = "crate::input::bool_param")]
    pub draft: Option<bool>,
}

/// A page of the documents `actor` may read, oldest first: a rep's own
/// (those of the records they own), everyone's for the other readers.
pub async fn list(
    store: &Store,
    actor: &Actor,
    params: &ListParams,
    filter: &DocumentFilter,
) -> Result<JsonPage, Error> {
    let scope = policy::require(actor, Action::ReadDocuments)?;
    let mut query = params.query(false)?;
    let own = (scope.grant() == Grant::Own).then_some(actor.user_id);
    query.filters = Filters::new()
        .eq("deal_id", filter.deal_id)
        .eq("contact_id", filter.contact_id)
        .eq("account_id", filter.account_id)
        .eq("template", filter.template.clone())
        .eq("quote_id", filter.quote_id)
        .eq("format", filter.format)
        .eq("draft", filter.draft)
        .eq("owner_id", own)
        .build();
    Ok(records::list::<GeneratedDocument>(store, &query).await?)
}

/// Document `id`, if `actor` may read it: as a reader of documents, or as
/// whoever generated it if it is a draft (marketing previews so).
pub async fn get(store: &Store, actor: &Actor, id: Id) -> Result<GeneratedDocument, Error> {
    match records::get::<GeneratedDocument>(store, id).await? {
        Some(draft) if draft.draft && draft.generated_by == actor.user_id => Ok(draft),
        document => {
            let scope = policy::require(actor, Action::ReadDocuments)?;
            let document = document.ok_or_else(|| Error::not_found("document", id))?;
            scope.check_owner(actor, Some(document.owner_id))?;
            Ok(document)
        }
    }
}

#[derive(sqlx::FromRow)]
struct Contents {
    bytes: Vec<u8>,
    context: String,
}

async fn contents(store: &Store, id: Id) -> Result<Contents, Error> {
    let mut sql = Sql::new("SELECT bytes, context FROM document_contents WHERE document_id = ");
    sql.bind(id);
    store
        .fetch_optional::<Contents>(&sql)
        .await?
        .ok_or_else(|| Error::Internal(format!("document {id} has no content")))
}

/// Document `id` and its bytes.
pub async fn content(
    store: &Store,
    actor: &Actor,
    id: Id,
) -> Result<(GeneratedDocument, Vec<u8>), Error> {
    let document = get(store, actor, id).await?;
    Ok((document, contents(store, id).await?.bytes))
}
