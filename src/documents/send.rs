//! E-mailing a generated document to the contact it was made for, and the
//! record of every attempt.
//!
//! An `eml` document is the message itself and goes as stored; any other
//! is attached to a short message from the workspace's sender, with the
//! rep to reply to. The recipient is the contact in the document's
//! context: the person the document addresses. A document has been sent
//! once the mail server accepted it; a refusal is recorded too, with what
//! the server said, and leaves the document unsent.

use serde::Serialize;
use serde_json::Value as Json;
use utoipa::ToSchema;

use super::{DocumentFormat, GeneratedDocument, contents, get};
use crate::audit;
use crate::auth::Actor;
use crate::auth::policy::{self, Action, Grant};
use crate::crm::activities::{Activity, ActivityKind};
use crate::error::Error;
use crate::mail::{self, Credentials};
use crate::settings;
use crate::store::records::{self, Meta, Record};
use crate::store::{Id, Sql, Store, Timestamp, Value};

crate::text_enum! {
    /// Whether the mail server accepted the message.
    SendingStatus { Sent = "sent", Failed = "failed" }
}

/// One attempt to e-mail a document.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, ToSchema)]
pub struct Sending {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub meta: Meta,
    pub document_id: Id,
    pub to_email: String,
    pub to_name: Option<String>,
    pub status: SendingStatus,
    /// What the mail server answered, or why it could not be reached.
    pub reply: Option<String>,
    pub sent_by: Id,
}

impl Record for Sending {
    const TABLE: &'static str = "document_sendings";
    const ENTITY: &'static str = "document_sending";

    crate::meta_in_field!();

    fn columns(&self) -> Vec<(&'static str, Value)> {
        vec![
            ("document_id", self.document_id.into()),
            ("to_email", self.to_email.clone().into()),
            ("to_name", self.to_name.clone().into()),
            ("status", self.status.into()),
            ("reply", self.reply.clone().into()),
            ("sent_by", self.sent_by.into()),
        ]
    }

    fn search_text(&self) -> String {
        format!(
            "{} {}",
            self.to_email,
            self.to_name.as_deref().unwrap_or_default()
        )
    }
}

/// E-mails document `id` to its contact through the mail server in the
/// settings. `Ok` with the sending when the server accepted the message;
/// `Error::SendFailed` when it did not (the attempt is kept either way).
pub async fn send(
    store: &Store,
    actor: &Actor,
    credentials: Option<&Credentials>,
    id: Id,
) -> Result<Sending, Error> {
    let scope = policy::require(actor, Action::GenerateDocuments)?;
    if scope.grant() == Grant::Previews {
        return Err(Error::Forbidden(format!(
            "your role ({}) may preview documents but not send one to a customer",
            actor.role.as_str()
        )));
    }
    let document = get(store, actor, id).await?;
    scope.check_owner(actor, Some(document.owner_id))?;
    if document.draft {
        return Err(Error::conflict(format!(
            "document {id} is a draft, which never goes to a customer: generate it without `draft`"
        )));
    }
    let smtp = settings::get(store).await?.document.smtp;
    let (Some(host), Some(from)) = (smtp.host.as_deref(), smtp.from_email.as_deref()) else {
        return Err(Error::conflict(
            "sending is not set up: an admin sets `smtp.host` and `smtp.from_email` in the settings",
        ));
    };
    let stored = contents(store, id).await?;
    let context: Json = serde_json::from_str(&stored.context)
        .map_err(|e| Error::Internal(format!("document {id}'s context: {e}")))?;
    let text = |value: &Json| {
        value
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let to_name = text(&context["contact"]["name"]);
    let Some(to_email) = text(&context["contact"]["email"]) else {
        return Err(Error::invalid(
            "contact",
            "the document was made for no contact with an e-mail address: give the deal a \
             primary contact with one (or the contact an address) and generate it again",
        ));
    };
    let message = match document.format {
        DocumentFormat::Eml => stored.bytes,
        _ => covering_message(
            &document,
            &context,
            &smtp,
            &to_email,
            to_name.as_deref(),
            stored.bytes,
        )?,
    };

    let outcome = mail::send(&smtp, host, credentials, from, &to_email, &message).await;
    let (status, reply) = match &outcome {
        Ok(accepted) => (SendingStatus::Sent, accepted.reply.clone()),
        Err(e) => (SendingStatus::Failed, e.to_string()),
    };
    let sending = Sending {
        meta: Meta::new(None),
        document_id: id,
        to_email: to_email.clone(),
        to_name: to_name.clone(),
        status,
        reply: Some(reply),
        sent_by: actor.user_id,
    };
    let recipient = match &to_name {
        Some(name) => format!("{name} <{to_email}>"),
        None => to_email.clone(),
    };
    let activity = (status == SendingStatus::Sent).then(|| Activity {
        meta: Meta::new(None),
        kind: ActivityKind::Email,
        subject: format!("Sent {} to {recipient}", document.file_name),
        body: Some(format!(
            "SHA-256 {}; the mail server answered: {}",
            document.sha256,
            sending.reply.as_deref().unwrap_or_default()
        )),
        occurred_at: Timestamp::now(),
        account_id: document.account_id,
        contact_id: context["contact"]["id"]
            .as_str()
            .and_then(|s| s.parse().ok()),
        deal_id: document.deal_id,
        owner_id: actor.user_id,
    });
    let mut tx = store.begin().await?;
    records::insert(&mut tx, &sending).await?;
    audit::record_change(&mut tx, actor, None, Some(&sending), audit::Changes::new()).await?;
    if let Some(activity) = &activity {
        records::insert(&mut tx, activity).await?;
        audit::record_change(&mut tx, actor, None, Some(activity), audit::Changes::new()).await?;
    }
    tx.commit().await?;
    match outcome {
        Ok(_) => Ok(sending),
        Err(e) => Err(Error::SendFailed(format!(
            "document {id} was not sent: {e} (attempt {} is recorded)",
            sending.meta.id
        ))),
    }
}

/// The attempts to send document `id`, oldest first.
pub async fn list(store: &Store, actor: &Actor, id: Id) -> Result<Vec<Sending>, Error> {
    get(store, actor, id).await?;
    let mut sql = Sql::new("SELECT * FROM document_sendings WHERE document_id = ");
    sql.bind(id).push(" ORDER BY created_at, id");
    Ok(store.fetch_all::<Sending>(&sql).await?)
}

/// A short message from the workspace's sender that carries `document`.
fn covering_message(
    document: &GeneratedDocument,
    context: &Json,
    smtp: &settings::Smtp,
    to_email: &str,
    to_name: Option<&str>,
    bytes: Vec<u8>,
) -> Result<Vec<u8>, Error> {
    use lettre::Message;
    use lettre::message::header::ContentType;
    use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

    let mailbox = |field: &str, name: Option<&str>, email: &str| {
        email
            .parse()
            .map(|address| Mailbox::new(name.map(str::to_owned), address))
            .map_err(|_| Error::invalid(field, format!("`{email}` is not an e-mail address")))
    };
    let rep_name = context["rep"]["name"].as_str();
    let subject = document
        .file_name
        .rsplit_once('.')
        .map_or(document.file_name.as_str(), |(stem, _)| stem);
    let greeting = match context["contact"]["first_name"].as_str() {
        Some(first) if !first.trim().is_empty() => format!("Dear {},", first.trim()),
        _ => "Hello,".to_owned(),
    };
    let body = format!(
        "{greeting}\n\nplease find attached {}.\n\nKind regards,\n{}\n",
        document.file_name,
        rep_name.unwrap_or_else(|| smtp.from_name.as_deref().unwrap_or_default())
    );
    let content_type = ContentType::parse(&document.content_type)
        .map_err(|e| Error::Internal(format!("document content type: {e}")))?;
    let from = smtp.from_email.as_deref().unwrap_or_default();
    let mut builder = Message::builder()
        .from(mailbox("smtp.from_email", smtp.from_name.as_deref(), from)?)
        .to(mailbox("contact", to_name, to_email)?)
        .subject(subject);
    if let Some(rep_email) = context["rep"]["email"].as_str() {
        builder = builder.reply_to(mailbox("rep", rep_name, rep_email)?);
    }
    let message = builder
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(body))
                .singlepart(Attachment::new(document.file_name.clone()).body(bytes, content_type)),
        )
        .map_err(|e| Error::Internal(format!("building the message: {e}")))?;
    Ok(message.formatted())
}
