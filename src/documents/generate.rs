//! Generating a document for a deal, contact or account, and making a
//! stored one again from its record.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use utoipa::ToSchema;

use super::{DocumentFormat, GeneratedDocument, contents, get};
use crate::audit;
use crate::auth::Actor;
use crate::auth::policy::{self, Action, Grant};
use crate::brand::assets::{self, UsedAsset};
use crate::brand::themes::{self, ThemeVersion};
use crate::clauses;
use crate::context::readiness;
use crate::context::{self, Subject};
use crate::crm::activities::{Activity, ActivityKind};
use crate::digest::sha256_hex;
use crate::document::Assets;
use crate::error::Error;
use crate::pipeline;
use crate::quotes::{self, Quote};
use crate::render::{self, Format};
use crate::store::records::{self, Meta};
use crate::store::{Id, JsonText, Sql, Store, Timestamp, Tx};
use crate::templates::Rendered;
use crate::templates::engine::CLAUSES_KEY;
use crate::templates::store::{self as template_store, TemplateKind, engine_for};

/// The theme a template gets when its front matter names none.
const DEFAULT_THEME: &str = "classic";

/// What to generate: a template, for exactly one subject, in a format.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateRequest {
    /// The template's key.
    pub template: String,
    pub deal_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub account_id: Option<Id>,
    /// A quote of the deal: the document prints it (`quote` in the
    /// context). A customer document needs one that may reach the
    /// customer (approved, or within the threshold, and not expired).
    #[serde(default)]
    pub quote_id: Option<Id>,
    pub format: DocumentFormat,
    /// A preview that need not be ready: "DRAFT" on every page, and each
    /// blank field named where it would print.
    #[serde(default)]
    pub draft: bool,
}

impl GenerateRequest {
    pub fn new(
        template: String,
        subject: Subject,
        format: DocumentFormat,
        draft: bool,
    ) -> GenerateRequest {
        let (deal_id, contact_id, account_id) = match subject {
            Subject::Deal(id) => (Some(id), None, None),
            Subject::Contact(id) => (None, Some(id), None),
            Subject::Account(id) => (None, None, Some(id)),
        };
        GenerateRequest {
            template,
            deal_id,
            contact_id,
            account_id,
            quote_id: None,
            format,
            draft,
        }
    }

    fn subject(&self) -> Result<Subject, Error> {
        match (self.deal_id, self.contact_id, self.account_id) {
            (Some(id), None, None) => Ok(Subject::Deal(id)),
            (None, Some(id), None) => Ok(Subject::Contact(id)),
            (None, None, Some(id)) => Ok(Subject::Account(id)),
            _ => Err(Error::invalid(
                "deal_id",
                "name exactly one subject: deal_id, contact_id or account_id",
            )),
        }
    }
}

/// Everything a document is made of, made but not kept.
struct Rendering {
    subject: Subject,
    owner: Option<Id>,
    built: context::Built,
    quote: Option<Quote>,
    clause_versions: Vec<Id>,
    made: Made,
}

/// A document made and ready to keep: its record, bytes, the context it
/// was made from, and the activity that tells the subject's timeline.
pub struct Prepared {
    pub document: GeneratedDocument,
    bytes: Vec<u8>,
    snapshot: String,
    activity: Option<Activity>,
}

/// A published template checked for generating one format, as one user:
/// made once for a document, or once for a whole batch of them.
pub struct Generator {
    loaded: template_store::Published,
    format: DocumentFormat,
    draft: bool,
    scope: policy::Scope,
    contexts: context::Builder,
}

impl Generator {
    /// Refuses what `actor` may not generate, and a template that is not a
    /// document template for `format`.
    pub async fn new(
        store: &Store,
        actor: &Actor,
        loaded: template_store::Published,
        format: DocumentFormat,
        draft: bool,
    ) -> Result<Generator, Error> {
        let scope = policy::require(actor, Action::GenerateDocuments)?;
        if scope.grant() == Grant::Previews && !draft {
            return Err(Error::Forbidden(format!(
                "your role ({}) may preview documents but not generate one for a customer: \
                 ask for a draft (`draft: true`)",
                actor.role.as_str()
            )));
        }
        let template = &loaded.template;
        if matches!(template.kind, TemplateKind::Block | TemplateKind::Layout) {
            return Err(Error::invalid(
                "template",
                format!(
                    "`{}` is a {}, used by other templates; generate from a document template",
                    template.key,
                    template.kind.as_str()
                ),
            ));
        }
        if !template.formats.0.iter().any(|f| f == format.as_str()) {
            return Err(Error::invalid(
                "format",
                format!(
                    "the template `{}` is written for {}, not {}",
                    template.key,
                    template.formats.0.join(", "),
                    format.as_str()
                ),
            ));
        }
        Ok(Generator {
            loaded,
            format,
            draft,
            scope,
            contexts: context::Builder::new(store).await?,
        })
    }

    /// The template's versions the documents are made from.
    pub fn template(&self) -> &template_store::Published {
        &self.loaded
    }

    /// Checks and renders the document for `subject`: a subject lacking
    /// fields the document prints is refused with those fields
    /// (`Error::NotReady`), unless this makes drafts.
    async fn render(
        &self,
        store: &Store,
        actor: &Actor,
        subject: Subject,
        quote_id: Option<Id>,
    ) -> Result<Rendering, Error> {
        let mut built = self.contexts.build(store, actor, subject).await?;
        let owner = built.sources.owner_of(subject);
        self.scope.check_owner(actor, owner)?;
        let loaded = &self.loaded;
        let template = &loaded.template;
        let quote = quote_for(store, actor, quote_id, self.draft, subject, template.kind).await?;
        if let Some(quote) = &quote {
            built.value["quote"] = context::quote_value(quote)?;
        }
        let missing = match self.draft {
            true => Vec::new(),
            false => readiness::missing(store, actor, &built, loaded).await?,
        };
        if !missing.is_empty() {
            let labels: Vec<&str> = missing.iter().map(|m| m.label.as_str()).collect();
            return Err(Error::NotReady {
                message: format!(
                    "the document would print {} blank: {}; fill them in first",
                    if missing.len() == 1 {
                        "one field".to_owned()
                    } else {
                        format!("{} fields", missing.len())
                    },
                    labels.join(", ")
                ),
                missing,
            });
        }
        // After readiness: a blank field a rule reads is the rep's to fill.
        let keys = loaded.engine(false)?.clause_keys();
        let resolved = clauses::resolve::resolve(store, &keys, &built.value, self.draft).await?;
        built.value[CLAUSES_KEY] = resolved.value;
        let made = make(
            store,
            &loaded.sources,
            &template.key,
            &built.value,
            self.format,
            Recorded::New { draft: self.draft },
        )
        .await?;
        Ok(Rendering {
            subject,
            owner,
            built,
            quote,
            clause_versions: resolved.versions,
            made,
        })
    }

    /// Makes the document for `subject` (printing quote `quote_id`, if
    /// given), ready to [`keep`].
    pub async fn prepare(
        &self,
        store: &Store,
        actor: &Actor,
        subject: Subject,
        quote_id: Option<Id>,
    ) -> Result<Prepared, Error> {
        let Rendering {
            subject,
            owner,
            built,
            quote,
            clause_versions,
            made,
        } = self.render(store, actor, subject, quote_id).await?;
        let sources = &built.sources;
        let about = About {
            deal_id: sources.deal.as_ref().map(|d| d.meta.id),
            contact_id: match subject {
                Subject::Deal(_) => None,
                _ => sources.contact.as_ref().map(|c| c.meta.id),
            },
            account_id: sources.account.as_ref().map(|a| a.meta.id),
            owner_id: owner.unwrap_or(actor.user_id),
            quote: quote.as_ref().map(|q| (q.meta.id, q.revision)),
            name: subject_name(&built.value, subject),
        };
        self.prepared(actor, about, &built.value, clause_versions, made)
    }

    /// Makes a document about no CRM record — the pipeline report — from
    /// `context`, as `actor`'s, ready to [`keep`]; `name` goes in its
    /// file name.
    pub async fn prepare_unbound(
        &self,
        store: &Store,
        actor: &Actor,
        context: &Json,
        name: &str,
    ) -> Result<Prepared, Error> {
        let loaded = &self.loaded;
        let made = make(
            store,
            &loaded.sources,
            &loaded.template.key,
            context,
            self.format,
            Recorded::New { draft: self.draft },
        )
        .await?;
        let about = About {
            deal_id: None,
            contact_id: None,
            account_id: None,
            owner_id: actor.user_id,
            quote: None,
            name: Some(name.to_owned()),
        };
        self.prepared(actor, about, context, Vec::new(), made)
    }

    /// The record, snapshot and activity of a document made.
    fn prepared(
        &self,
        actor: &Actor,
        about: About,
        context: &Json,
        clause_versions: Vec<Id>,
        made: Made,
    ) -> Result<Prepared, Error> {
        let loaded = &self.loaded;
        let template = &loaded.template;
        let (format, draft) = (self.format, self.draft);
        let document = GeneratedDocument {
            meta: Meta::new(None),
            template: template.key.clone(),
            template_version: template.published_version.unwrap_or_default(),
            sources: JsonText(loaded.versions.clone()),
            deal_id: about.deal_id,
            contact_id: about.contact_id,
            account_id: about.account_id,
            owner_id: about.owner_id,
            quote_id: about.quote.map(|(id, _)| id),
            quote_revision: about.quote.map(|(_, revision)| revision),
            format,
            draft,
            file_name: file_name(&template.name, about.name.as_deref(), format, draft),
            content_type: format.content_type().to_owned(),
            size_bytes: made.bytes.len() as i64,
            sha256: sha256_hex(&made.bytes),
            theme: made.theme.key.clone(),
            theme_version_id: made.theme.id,
            assets: JsonText(made.assets),
            clause_versions: JsonText(clause_versions),
            program_version: env!("CARGO_PKG_VERSION").to_owned(),
            generated_by: actor.user_id,
        };
        let snapshot =
            serde_json::to_string(context).map_err(|e| Error::Internal(e.to_string()))?;
        // A draft is a preview, not something that happened with the
        // customer; a document about no record has no timeline to tell.
        let about_a_record = document.deal_id.is_some()
            || document.contact_id.is_some()
            || document.account_id.is_some();
        let activity = (!draft && about_a_record).then(|| Activity {
            meta: Meta::new(None),
            kind: ActivityKind::Note,
            subject: format!(
                "Generated {} ({})",
                template.name,
                format.as_str().to_uppercase()
            ),
            body: Some(format!(
                "{}, {} bytes, SHA-256 {}",
                document.file_name, document.size_bytes, document.sha256
            )),
            occurred_at: Timestamp::now(),
            account_id: document.account_id,
            contact_id: document.contact_id,
            deal_id: document.deal_id,
            owner_id: actor.user_id,
        });
        Ok(Prepared {
            document,
            bytes: made.bytes,
            snapshot,
            activity,
        })
    }
}

/// What a document is about, as its record says.
struct About {
    deal_id: Option<Id>,
    contact_id: Option<Id>,
    account_id: Option<Id>,
    owner_id: Id,
    quote: Option<(Id, i64)>,
    /// What its file is named after, beside the template.
    name: Option<String>,
}

/// Stores a prepared document inside the write `tx`: its record, bytes,
/// context, clause versions, activity and their audit entries.
pub async fn keep(tx: &mut Tx, actor: &Actor, prepared: &Prepared) -> Result<(), Error> {
    let document = &prepared.document;
    records::insert(tx, document).await?;
    let mut sql = Sql::new("INSERT INTO document_contents (document_id, bytes, context) VALUES (");
    sql.bind(document.meta.id)
        .push(", ")
        .bind(prepared.bytes.clone())
        .push(", ")
        .bind(prepared.snapshot.as_str())
        .push(")");
    tx.execute(&sql).await?;
    for version in &document.clause_versions.0 {
        let mut sql =
            Sql::new("INSERT INTO document_clauses (document_id, clause_version_id) VALUES (");
        sql.bind(document.meta.id)
            .push(", ")
            .bind(*version)
            .push(")");
        tx.execute(&sql).await?;
    }
    audit::record_change(tx, actor, None, Some(document), audit::Changes::new()).await?;
    if let Some(activity) = &prepared.activity {
        records::insert(tx, activity).await?;
        audit::record_change(tx, actor, None, Some(activity), audit::Changes::new()).await?;
    }
    Ok(())
}

/// The checks and the generator for `request`.
async fn generator_for(
    store: &Store,
    actor: &Actor,
    request: &GenerateRequest,
) -> Result<(Subject, Generator), Error> {
    // A role that may not generate at all hears so before anything else;
    // the generator checks the grant against each subject.
    let _ = policy::require(actor, Action::GenerateDocuments)?;
    let subject = request.subject()?;
    let loaded = template_store::load_sources(store, &request.template).await?;
    let generator = Generator::new(store, actor, loaded, request.format, request.draft).await?;
    Ok((subject, generator))
}

/// The document `request` asks for, as HTML and as a draft (blanks marked,
/// "DRAFT" across it), made but not kept: what the web app previews.
pub async fn preview(
    store: &Store,
    actor: &Actor,
    mut request: GenerateRequest,
) -> Result<Vec<u8>, Error> {
    request.draft = true;
    request.format = DocumentFormat::Html;
    let (subject, generator) = generator_for(store, actor, &request).await?;
    Ok(generator
        .render(store, actor, subject, request.quote_id)
        .await?
        .made
        .bytes)
}

/// Generates and keeps a document. A subject lacking fields the document
/// prints is refused with those fields (`Error::NotReady`), unless a draft
/// is asked for.
pub async fn generate(
    store: &Store,
    actor: &Actor,
    request: GenerateRequest,
) -> Result<GeneratedDocument, Error> {
    let (subject, generator) = generator_for(store, actor, &request).await?;
    let prepared = generator
        .prepare(store, actor, subject, request.quote_id)
        .await?;
    let mut tx = store.begin().await?;
    keep(&mut tx, actor, &prepared).await?;
    tx.commit().await?;
    Ok(prepared.document)
}

/// The quote `quote_id`, checked: of the subject deal, and, for a
/// customer document, one that may reach the customer. A quote template
/// needs one.
async fn quote_for(
    store: &Store,
    actor: &Actor,
    quote_id: Option<Id>,
    draft: bool,
    subject: Subject,
    kind: TemplateKind,
) -> Result<Option<Quote>, Error> {
    let Some(id) = quote_id else {
        if kind == TemplateKind::Quote {
            return Err(Error::invalid(
                "quote_id",
                "required: this template prints a quote",
            ));
        }
        return Ok(None);
    };
    let quote = quotes::get(store, actor, id).await.map_err(|e| match e {
        Error::NotFound(_) => Error::invalid("quote_id", format!("there is no quote {id}")),
        other => other,
    })?;
    if subject != Subject::Deal(quote.deal_id) {
        return Err(Error::invalid(
            "quote_id",
            format!(
                "the quote is on deal {}: generate for that deal",
                quote.deal_id
            ),
        ));
    }
    if !draft {
        quote
            .customer_ready(chrono::Utc::now().date_naive())
            .map_err(|why| {
                Error::conflict(format!(
                    "quote {id} cannot reach a customer yet: {why}; a draft can be made"
                ))
            })?;
    }
    Ok(Some(quote))
}

/// How a stored document compares with the same document made again from
/// its record.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    pub document_id: Id,
    pub sha256: String,
    pub regenerated_sha256: String,
    /// Whether the bytes made again equal the stored ones.
    pub identical: bool,
}

/// Makes document `id` again from what its record says it was made from,
/// and compares.
pub async fn verify(store: &Store, actor: &Actor, id: Id) -> Result<Verification, Error> {
    let document = get(store, actor, id).await?;
    let stored = contents(store, id).await?;
    let context: Json = serde_json::from_str(&stored.context)
        .map_err(|e| Error::Internal(format!("document {id}'s context: {e}")))?;
    let sources = template_store::sources_of(store, &document.sources.0).await?;
    let made = make(
        store,
        &sources,
        &document.template,
        &context,
        document.format,
        Recorded::Was(&document),
    )
    .await?;
    let regenerated_sha256 = sha256_hex(&made.bytes);

    Ok(Verification {
        document_id: id,
        identical: made.bytes == stored.bytes,
        sha256: document.sha256,
        regenerated_sha256,
    })
}

struct Made {
    bytes: Vec<u8>,
    theme: ThemeVersion,
    assets: Vec<UsedAsset>,
}

/// What a document is made as: a new one (a draft or not), with the
/// current theme and newest assets, or one made before, as its record says.
enum Recorded<'a> {
    New { draft: bool },
    Was(&'a GeneratedDocument),
}

impl Recorded<'_> {
    fn draft(&self) -> bool {
        match self {
            Recorded::New { draft } => *draft,
            Recorded::Was(document) => document.draft,
        }
    }
}

/// Renders template `key` of `sources` with `context` as `format`.
async fn make(
    store: &Store,
    sources: &BTreeMap<String, String>,
    key: &str,
    context: &Json,
    format: DocumentFormat,
    recorded: Recorded<'_>,
) -> Result<Made, Error> {
    let draft = recorded.draft();
    // A draft is rendered with the prints marked, to show its blanks.
    let engine = engine_for(sources, draft)?;
    let rendered = match draft {
        true => engine.render_draft(key, context),
        false => engine.render(key, context),
    }
    .map_err(|e| Error::invalid("template", e.to_string()))?;
    lay_out(store, rendered, key, context, format, recorded).await
}

/// A draft of template `key` already rendered (`rendered`, with
/// `context`) as an HTML document: with the current theme and newest
/// assets, kept nowhere.
pub(super) async fn draft_html(
    store: &Store,
    rendered: Rendered,
    key: &str,
    context: &Json,
) -> Result<Vec<u8>, Error> {
    let recorded = Recorded::New { draft: true };
    let made = lay_out(
        store,
        rendered,
        key,
        context,
        DocumentFormat::Html,
        recorded,
    )
    .await?;
    Ok(made.bytes)
}

/// Template `key`, rendered with `context`, made a document in `format`.
async fn lay_out(
    store: &Store,
    rendered: Rendered,
    key: &str,
    context: &Json,
    format: DocumentFormat,
    recorded: Recorded<'_>,
) -> Result<Made, Error> {
    let draft = recorded.draft();
    let theme_key = rendered
        .theme
        .clone()
        .unwrap_or_else(|| DEFAULT_THEME.to_owned());
    let mut read = pipeline::read(rendered);
    read.document.metadata.draft = draft;
    let (theme, mut assets, used): (ThemeVersion, Assets, Vec<UsedAsset>) = match recorded {
        Recorded::Was(document) => (
            themes::version(store, document.theme_version_id).await?,
            assets::exactly(store, &document.assets.0).await?,
            document.assets.0.clone(),
        ),
        Recorded::New { .. } => {
            let theme = themes::current(store, &theme_key).await?;
            let mut names = read.document.image_sources();
            names.extend(theme.theme.0.logo.clone());
            let (assets, used) = assets::newest(store, names.iter().map(String::as_str)).await?;
            (theme, assets, used)
        }
    };
    // Charts are drawn from the context, so a document made again has them.
    let charts = crate::forecast::report::charts(&read.document.image_sources(), context)
        .map_err(|e| Error::Internal(format!("drawing a chart: {e}")))?;
    for (name, png) in charts {
        assets
            .insert(&name, png)
            .map_err(|e| Error::Internal(format!("drawing a chart: {e}")))?;
    }
    let look = theme.theme.0.clone();
    let letter = match format {
        DocumentFormat::Eml => Some(Letter::from_context(context, &read.document, key)?),
        _ => None,
    };
    // Laying out pages is the one long computation: off the async threads.
    let bytes = tokio::task::spawn_blocking(move || {
        let render = |format| {
            pipeline::render(
                &read.document,
                look.clone(),
                read.paper,
                &assets,
                format,
                true,
            )
            .map(|output| output.bytes)
        };
        match (format, letter) {
            (DocumentFormat::Pdf, _) => render(Format::Pdf),
            (DocumentFormat::Docx, _) => render(Format::Docx),
            (DocumentFormat::Html, _) => render(Format::Html),
            (DocumentFormat::Eml, letter) => {
                let letter = letter.unwrap_or_default();
                let html = String::from_utf8(render(Format::Html)?).unwrap_or_default();
                let text =
                    String::from_utf8(render::text::text(&read.document).bytes).unwrap_or_default();
                let pdf = render(Format::Pdf)?;
                render::email::eml(&letter.envelope(), &html, &text, &pdf)
            }
        }
    })
    .await
    .map_err(|e| Error::Internal(format!("rendering stopped: {e}")))?
    .map_err(|e| Error::invalid("template", e.to_string()))?;
    Ok(Made {
        bytes,
        theme,
        assets: used,
    })
}

/// Who an e-mail document is from and to, from the context: the rep to
/// the subject's contact.
#[derive(Default)]
struct Letter {
    from_name: String,
    from_email: String,
    to_name: Option<String>,
    to_email: String,
    subject: String,
    date: chrono::NaiveDate,
    attachment_name: String,
}

impl Letter {
    fn from_context(
        context: &Json,
        document: &crate::document::Document,
        key: &str,
    ) -> Result<Letter, Error> {
        let text = |value: &Json| value.as_str().map(str::to_owned);
        let to_email = text(&context["contact"]["email"]).ok_or_else(|| {
            Error::invalid(
                "format",
                "an e-mail goes to the contact, and there is no contact with an email address: \
                 give the deal a primary contact with one, or generate for a contact",
            )
        })?;
        let title = document.metadata.title.as_deref().unwrap_or(key);
        let subject = match document.metadata.draft {
            true => format!("[{}] {title}", crate::document::DRAFT_MARK),
            false => title.to_owned(),
        };
        Ok(Letter {
            from_name: text(&context["rep"]["name"]).unwrap_or_default(),
            from_email: text(&context["rep"]["email"]).unwrap_or_default(),
            to_name: text(&context["contact"]["name"]),
            to_email,
            attachment_name: format!("{}.pdf", clean_file_stem(&subject)),
            subject,
            date: context["today"]
                .as_str()
                .and_then(|d| d.parse().ok())
                .unwrap_or_default(),
        })
    }

    fn envelope(&self) -> render::email::Envelope<'_> {
        render::email::Envelope {
            from_name: &self.from_name,
            from_email: &self.from_email,
            to_name: self.to_name.as_deref(),
            to_email: &self.to_email,
            subject: &self.subject,
            date: self.date,
            attachment_name: &self.attachment_name,
        }
    }
}

/// The subject's name: the deal's, the contact's or the account's.
fn subject_name(context: &Json, subject: Subject) -> Option<String> {
    let name = match subject {
        Subject::Deal(_) => &context["deal"]["name"],
        Subject::Contact(_) => &context["contact"]["name"],
        Subject::Account(_) => &context["account"]["name"],
    };
    name.as_str().map(str::to_owned)
}

/// `Proposal - Rollout.pdf`: the template's name and the subject's, with
/// what file systems refuse left out; a draft's ends ` (DRAFT)`.
fn file_name(template: &str, name: Option<&str>, format: DocumentFormat, draft: bool) -> String {
    let name = match name.map(str::trim) {
        Some(s) if !s.is_empty() => format!("{template} - {s}"),
        _ => template.to_owned(),
    };
    let draft = match draft {
        true => format!(" ({})", crate::document::DRAFT_MARK),
        false => String::new(),
    };
    format!("{}{draft}.{}", clean_file_stem(&name), format.as_str())
}

/// `name` without what file systems refuse, at most 120 characters.
fn clean_file_stem(name: &str) -> String {
    let clean: String = name
        .chars()
        .filter(|c| !c.is_control() && !r#"/\:*?"<>|"#.contains(*c))
        .collect::<String>()
        .trim_matches(['.', ' '])
        .chars()
        .take(120)
        .collect();
    if clean.is_empty() {
        "document".to_owned()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_leave_out_what_file_systems_refuse() {
        let context = serde_json::json!({"deal": {"name": "Rollout: phase 1/2 <EU>"}});
        let name = subject_name(&context, Subject::Deal(Id::new()));
        assert_eq!(
            file_name("Proposal", name.as_deref(), DocumentFormat::Pdf, false),
            "Proposal - Rollout phase 12 EU.pdf"
        );
        let nameless = serde_json::json!({"account": {"name": null}});
        let name = subject_name(&nameless, Subject::Account(Id::new()));
        assert_eq!(
            file_name("Brochure", name.as_deref(), DocumentFormat::Html, true),
            "Brochure (DRAFT).html"
        );
    }
}
