//! The template context: what a document knows about its subject, built
//! from the CRM. Its shape is the reference for template writers (README,
//! "The template context"); every field is present, `null` when blank, so
//! a template can test any of them.

pub mod readiness;
pub mod rules;

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::auth::Actor;
use crate::auth::users::User;
use crate::crm;
use crate::crm::accounts::{Account, AccountInput};
use crate::crm::contacts::{Contact, ContactInput};
use crate::crm::deal_contacts::{self, DealRole};
use crate::crm::deals::{Deal, DealInput};
use crate::crm::profiling::{self, Subject as AnswerSubject};
use crate::error::Error;
use crate::settings;
use crate::store::records;
use crate::store::{Id, Sql, Store, Tx};

/// What a document is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Deal(Id),
    Contact(Id),
    Account(Id),
}

/// The records the context was made from, so readiness can say which one
/// holds a blank field.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub deal: Option<Deal>,
    pub account: Option<Account>,
    /// The deal's primary contact, or the subject contact.
    pub contact: Option<Contact>,
    /// Whose name signs the document: the subject's owner.
    pub rep: Option<User>,
    /// The deal's contacts, in the order of the context's `contacts`.
    pub contacts: Vec<Contact>,
}

impl Sources {
    /// Who owns `subject`.
    pub fn owner_of(&self, subject: Subject) -> Option<Id> {
        match subject {
            Subject::Deal(_) => self.deal.as_ref().map(|d| d.owner_id),
            Subject::Contact(_) => self.contact.as_ref().map(|c| c.owner_id),
            Subject::Account(_) => self.account.as_ref().map(|a| a.owner_id),
        }
    }
}

pub struct Built {
    pub value: Value,
    pub sources: Sources,
}

/// A quote as templates see it: its number (`Q-<chain>-<revision>`),
/// status, currency, lines, groups, totals and terms, money as decimal
/// strings.
pub fn quote_value(quote: &crate::quotes::Quote) -> Result<Value, Error> {
    let mut v = fields(quote)?;
    for internal in [
        "owner_id",
        "price_book_id",
        "approval_threshold",
        "needs_approval",
        "approval",
        "sent_by",
    ] {
        v.remove(internal);
    }
    let chain = quote.chain_id.to_string();
    v.insert(
        "number".into(),
        format!(
            "Q-{}-{}",
            chain[chain.len().saturating_sub(6)..].to_uppercase(),
            quote.revision
        )
        .into(),
    );
    Ok(Value::Object(v))
}

/// The context for `subject`, as `actor` may see it.
pub async fn build(store: &Store, actor: &Actor, subject: Subject) -> Result<Built, Error> {
    Builder::new(store)
        .await?
        .build(store, actor, subject)
        .await
}

/// What every context shares, read once: the seller, the active profiling
/// questions and the reps met so far. A batch builds hundreds of contexts
/// with one.
pub struct Builder {
    company: settings::Company,
    keys: QuestionKeys,
    reps: Mutex<HashMap<Id, User>>,
}

impl Builder {
    pub async fn new(store: &Store) -> Result<Builder, Error> {
        Ok(Builder {
            company: settings::get(store).await?.document.company,
            keys: QuestionKeys::read(store).await?,
            reps: Mutex::default(),
        })
    }

    /// The context for `subject`, as `actor` may see it.
    pub async fn build(
        &self,
        store: &Store,
        actor: &Actor,
        subject: Subject,
    ) -> Result<Built, Error> {
        let mut sources = Sources::default();
        let mut roles = Vec::new();
        match subject {
            Subject::Deal(id) => {
                let deal = crm::get_checked::<Deal>(store, actor, id).await?;
                sources.account = Some(crm::get::<Account>(store, deal.account_id).await?);
                if let Some(primary) = deal.primary_contact_id {
                    sources.contact = Some(crm::get::<Contact>(store, primary).await?);
                }
                roles = deal_contacts::list(store, actor, id).await?;
                sources.rep = Some(self.rep(store, deal.owner_id).await?);
                sources.deal = Some(deal);
            }
            Subject::Contact(id) => {
                let contact = crm::get_checked::<Contact>(store, actor, id).await?;
                if let Some(account) = contact.account_id {
                    sources.account = Some(crm::get::<Account>(store, account).await?);
                }
                sources.rep = Some(self.rep(store, contact.owner_id).await?);
                sources.contact = Some(contact);
            }
            Subject::Account(id) => {
                let account = crm::get_checked::<Account>(store, actor, id).await?;
                sources.rep = Some(self.rep(store, account.owner_id).await?);
                sources.account = Some(account);
            }
        }
        let keys = &self.keys;
        let mut value = self.common(sources.rep.as_ref());
        let deal = match &sources.deal {
            Some(deal) => {
                let mut v = fields(deal)?;
                for hidden in [
                    "account_id",
                    "primary_contact_id",
                    "owner_id",
                    "probability_is_default",
                ] {
                    v.remove(hidden);
                }
                v.insert(
                    "answers".into(),
                    answers(store, &keys.deal, deal.meta.id).await?,
                );
                Value::Object(v)
            }
            None => Value::Null,
        };
        let account = match &sources.account {
            Some(account) => {
                let mut v = fields(account)?;
                v.remove("owner_id");
                v.insert(
                    "answers".into(),
                    answers(store, &keys.account, account.meta.id).await?,
                );
                Value::Object(v)
            }
            None => Value::Null,
        };
        let contact = match &sources.contact {
            Some(contact) => contact_value(store, keys, contact, None).await?,
            None => Value::Null,
        };
        let mut listed = Vec::new();
        for dc in roles {
            listed.push(contact_value(store, keys, &dc.contact, Some(dc.role)).await?);
            sources.contacts.push(dc.contact);
        }
        if let Value::Object(map) = &mut value {
            map.insert("deal".into(), deal);
            map.insert("account".into(), account);
            map.insert("contact".into(), contact);
            map.insert("contacts".into(), Value::Array(listed));
        }
        Ok(Built { value, sources })
    }

    /// What every context holds, with no record yet: the date, the
    /// seller, the rep.
    fn common(&self, rep: Option<&User>) -> Value {
        let company = &self.company;
        json!({
            "today": chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string(),
            "locale": "en",
            "seller": {
                "name": company.name,
                "address": company.address,
                "phone": company.phone,
                "email": company.email,
                "website": company.website,
            },
            "rep": rep.map(|u| json!({
                "name": u.name, "title": u.title, "email": u.email, "phone": u.phone,
            })),
            "quote": null,
            "deal": null,
            "account": null,
            "contact": null,
            "contacts": [],
        })
    }

    /// The context of a document about no record (a report), signed by
    /// user `rep`.
    pub async fn unbound(&self, store: &Store, rep: Id) -> Result<Value, Error> {
        let rep = self.rep(store, rep).await?;
        Ok(self.common(Some(&rep)))
    }

    /// User `id`, read once per builder.
    async fn rep(&self, store: &Store, id: Id) -> Result<User, Error> {
        if let Some(user) = self.reps.lock().ok().and_then(|r| r.get(&id).cloned()) {
            return Ok(user);
        }
        let user = records::get::<User>(store, id)
            .await?
            .ok_or_else(|| Error::not_found("user", id))?;
        if let Ok(mut reps) = self.reps.lock() {
            reps.insert(id, user.clone());
        }
        Ok(user)
    }
}

/// `text` as a rule (see [`rules`]) that reads only what the context
/// holds; a problem is reported on the field `rule`.
pub fn checked_rule(text: &str, keys: &QuestionKeys) -> Result<rules::Rule, Error> {
    let rule = rules::Rule::parse(text).map_err(|e| Error::invalid("rule", e.to_string()))?;
    for path in rule.paths() {
        if let Some(why) = path_problem(&path, keys) {
            return Err(Error::invalid("rule", format!("`{path}`: {why}")));
        }
    }
    Ok(rule)
}

fn path_problem(path: &str, keys: &QuestionKeys) -> Option<String> {
    let parts: Vec<&str> = path.split('.').collect();
    let (root, rest) = match parts.as_slice() {
        ["contacts", n, rest @ ..] if n.parse::<usize>().is_ok() => ("contact", rest),
        [root, rest @ ..] => (*root, rest),
        [] => return Some("is empty".to_owned()),
    };
    let (fields, answers): (Vec<String>, &[String]) = match root {
        // Quotes are free-form below their root (lines, groups, totals).
        "quote" => return None,
        "today" | "locale" => {
            return (!rest.is_empty()).then(|| format!("`{root}` has no fields"));
        }
        "rep" => (names(&["name", "title", "email", "phone"]), &[]),
        "seller" => (
            names(&["name", "address", "phone", "email", "website"]),
            &[],
        ),
        "account" => (
            input_fields(&AccountInput::default(), &["owner_id"]),
            &keys.account,
        ),
        "deal" => (
            input_fields(
                &DealInput::default(),
                &["account_id", "primary_contact_id", "owner_id"],
            ),
            &keys.deal,
        ),
        "contact" => {
            let mut fields = input_fields(&ContactInput::default(), &["account_id", "owner_id"]);
            fields.extend(names(&["name", "role"]));
            (fields, &keys.contact)
        }
        other => {
            return Some(format!(
                "`{other}` is not in the context; rules read account, contact, contacts, deal, \
                 quote, rep, seller and today"
            ));
        }
    };
    match rest {
        [] => Some(format!(
            "name a field of `{root}`, such as `{root}.{}`",
            fields
                .iter()
                .find(|f| *f != "id")
                .map_or("name", String::as_str)
        )),
        ["answers", key] => (!answers.contains(&(*key).to_owned()))
            .then(|| format!("there is no active profiling question `{key}` for a {root}")),
        [field] if fields.iter().any(|f| f == field) => None,
        [field] => Some(format!(
            "`{root}` has no field `{field}`; it has {}",
            fields.join(", ")
        )),
        _ => Some(format!("`{path}` goes deeper than the fields of `{root}`")),
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|n| (*n).to_owned()).collect()
}

/// The fields an input type writes, less `hidden`: what the context shows
/// of the record beside its answers.
fn input_fields<T: Serialize>(input: &T, hidden: &[&str]) -> Vec<String> {
    match serde_json::to_value(input) {
        Ok(Value::Object(map)) => map
            .keys()
            .filter(|k| !hidden.contains(&k.as_str()))
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

/// A record's fields as the API shows them, without its bookkeeping.
fn fields<T: Serialize>(record: &T) -> Result<Map<String, Value>, Error> {
    let Value::Object(mut map) =
        serde_json::to_value(record).map_err(|e| Error::Internal(e.to_string()))?
    else {
        return Err(Error::Internal("a record is not an object".into()));
    };
    for meta in ["version", "created_at", "updated_at"] {
        map.remove(meta);
    }
    Ok(map)
}

async fn contact_value(
    store: &Store,
    keys: &QuestionKeys,
    contact: &Contact,
    role: Option<DealRole>,
) -> Result<Value, Error> {
    let mut v = fields(contact)?;
    for hidden in ["account_id", "owner_id"] {
        v.remove(hidden);
    }
    let name = contact.full_name();
    v.insert(
        "name".into(),
        if name.trim().is_empty() {
            Value::Null
        } else {
            name.into()
        },
    );
    if let Some(role) = role {
        v.insert(
            "role".into(),
            serde_json::to_value(role).unwrap_or(Value::Null),
        );
    }
    v.insert(
        "answers".into(),
        answers(store, &keys.contact, contact.meta.id).await?,
    );
    Ok(Value::Object(v))
}

/// The keys of the active profiling questions of each kind of record:
/// what `*.answers` holds.
pub struct QuestionKeys {
    account: Vec<String>,
    contact: Vec<String>,
    deal: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    key: String,
    applies_to: AnswerSubject,
}

impl QuestionKeys {
    fn query() -> Sql {
        let mut sql = Sql::new("SELECT key, applies_to FROM profile_questions WHERE active = ");
        sql.bind(true).push(" ORDER BY position, id");
        sql
    }

    pub async fn read(store: &Store) -> Result<QuestionKeys, Error> {
        Ok(Self::from_rows(store.fetch_all(&Self::query()).await?))
    }

    /// As [`QuestionKeys::read`], inside a write.
    pub async fn read_in(tx: &mut Tx) -> Result<QuestionKeys, Error> {
        Ok(Self::from_rows(tx.fetch_all(&Self::query()).await?))
    }

    fn from_rows(rows: Vec<KeyRow>) -> QuestionKeys {
        let mut keys = QuestionKeys {
            account: Vec::new(),
            contact: Vec::new(),
            deal: Vec::new(),
        };
        for row in rows {
            match row.applies_to {
                AnswerSubject::Account => keys.account.push(row.key),
                AnswerSubject::Contact => keys.contact.push(row.key),
                AnswerSubject::Deal => keys.deal.push(row.key),
            }
        }
        keys
    }
}

/// Record `id`'s profiling answers by question key, with every key of
/// `keys` present, `null` when unanswered. The caller has read the record.
async fn answers(store: &Store, keys: &[String], id: Id) -> Result<Value, Error> {
    let given = profiling::stored_answers(store, id).await?;
    let mut map: Map<String, Value> = keys.iter().map(|k| (k.clone(), Value::Null)).collect();
    for (key, answer) in given.answers {
        map.insert(key, answer.value);
    }
    Ok(Value::Object(map))
}
