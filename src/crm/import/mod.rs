//! Importing contacts and accounts from CSV or vCard files ([`rows`]).
//!
//! Every row is checked as a create or change through the API would be,
//! and planned before anything is written: a contact whose e-mail address
//! is known already, or an account whose domain is, fills the fields of
//! the stored record that are blank (it never overwrites); a repeat of an
//! earlier row is skipped; a contact's company is found by its domain or
//! name, else made. A dry run (the default) only reports the plan. Else
//! the plan is written in one transaction — only when every row is valid,
//! unless bad rows are to be skipped.

pub mod rows;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};
use utoipa::ToSchema;

use super::accounts::Account;
use super::contacts::Contact;
use super::{Resource, checked_new, insert_in, is_blank, update_in};
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::error::Error;
use crate::store::{Id, Sql, Store, Tx};
use rows::Row;

crate::text_enum! {
    /// What an import makes.
    ImportKind {
        Contacts = "contacts",
        Accounts = "accounts",
    }
}

/// How to import.
#[derive(Clone, Copy, Debug, Default, Deserialize, ToSchema)]
pub struct ImportOptions {
    /// Contacts or accounts; default: contacts when the file has a name or
    /// e-mail column for people (a vCard always), else accounts.
    pub kind: Option<ImportKind>,
    /// Write the plan (`false`), or only report it (`true`, the default).
    pub commit: bool,
    /// Write the valid rows although others are not.
    pub skip_bad_rows: bool,
}

crate::text_enum! {
    /// What a row does.
    RowAction {
        Create = "create",
        Update = "update",
        Skip = "skip",
        Error = "error",
    }
}

/// One row's part of the plan.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PlannedRow {
    /// The file's line the row starts on.
    pub line: u64,
    pub action: RowAction,
    /// `contact` or `account`.
    pub entity: &'static str,
    /// The record made or changed (for a dry run: that would be; a new
    /// one's id is the one it gets when written).
    pub id: Option<Id>,
    pub name: Option<String>,
    /// The fields an update fills.
    pub fields: Vec<String>,
    /// Why it is skipped.
    pub reason: Option<String>,
    /// For a contact: its account, and whether the import makes it.
    pub account_id: Option<Id>,
    pub account_created: bool,
}

/// A row that cannot be imported.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RowError {
    pub line: u64,
    pub field: String,
    pub problem: String,
}

#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Tally {
    pub contacts: usize,
    pub accounts: usize,
}

/// What an import did, or would do.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Report {
    pub kind: ImportKind,
    /// `csv` or `vcard`.
    pub format: &'static str,
    /// Whether the plan was written (a dry run never is; an import with
    /// bad rows only with `skip_bad_rows`).
    pub committed: bool,
    pub rows: usize,
    pub created: Tally,
    pub updated: Tally,
    pub skipped: usize,
    pub errors: Vec<RowError>,
    /// Columns of the file read into no field.
    pub ignored_columns: Vec<String>,
    pub plan: Vec<PlannedRow>,
}

/// A domain as accounts are matched by: lower case, without scheme,
/// `www.`, path or port.
fn domain_of(text: &str) -> Option<String> {
    let text = text.trim().to_lowercase();
    let text = text
        .split_once("://")
        .map_or(text.as_str(), |(_, rest)| rest);
    let host = text.split(['/', '?', '#', ':']).next().unwrap_or_default();
    let host = host.strip_prefix("www.").unwrap_or(host);
    (!host.is_empty() && host.contains('.')).then(|| host.to_owned())
}

/// Folded for matching: lower case, single spaces.
fn folded(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A write the plan holds.
enum Step {
    NewAccount(Account),
    NewContact(Contact),
    FillAccount(Box<Account>, Map<String, Json>),
    FillContact(Box<Contact>, Map<String, Json>),
}

/// What is known while planning: stored records and those planned.
struct Known {
    accounts_by_id: HashMap<Id, Account>,
    contacts_by_id: HashMap<Id, Contact>,
    accounts_by_domain: HashMap<String, Account>,
    accounts_by_name: HashMap<String, Account>,
    contacts_by_email: HashMap<String, Contact>,
    /// Lines that planned a key first (`email:…`, `domain:…`).
    seen: HashMap<String, u64>,
}

impl Known {
    async fn read(store: &Store) -> Result<Known, Error> {
        let accounts: Vec<Account> = store.fetch_all(&Sql::new("SELECT * FROM accounts")).await?;
        let contacts: Vec<Contact> = store.fetch_all(&Sql::new("SELECT * FROM contacts")).await?;
        let mut known = Known {
            accounts_by_id: HashMap::new(),
            contacts_by_id: HashMap::new(),
            accounts_by_domain: HashMap::new(),
            accounts_by_name: HashMap::new(),
            contacts_by_email: HashMap::new(),
            seen: HashMap::new(),
        };
        for account in accounts {
            known.add_account(account);
        }
        for contact in contacts {
            if let Some(email) = &contact.email {
                known
                    .contacts_by_email
                    .insert(email.to_lowercase(), contact.clone());
            }
            known.contacts_by_id.insert(contact.meta.id, contact);
        }
        Ok(known)
    }

    fn add_account(&mut self, account: Account) {
        self.accounts_by_id.insert(account.meta.id, account.clone());
        if let Some(domain) = account.domain.as_deref().and_then(domain_of) {
            self.accounts_by_domain.insert(domain, account.clone());
        }
        self.accounts_by_name
            .entry(folded(&account.name))
            .or_insert(account);
    }

    /// The account with id `id`, else of domain `domain`, else named
    /// `name`.
    fn account(
        &self,
        id: Option<Id>,
        domain: Option<&str>,
        name: Option<&str>,
    ) -> Option<&Account> {
        id.and_then(|id| self.accounts_by_id.get(&id))
            .or_else(|| domain.and_then(|d| self.accounts_by_domain.get(d)))
            .or_else(|| name.and_then(|n| self.accounts_by_name.get(&folded(n))))
    }

    /// The line that planned `key` first, or none (and `line` does now).
    fn first(&mut self, key: String, line: u64) -> Option<u64> {
        match self.seen.get(&key) {
            Some(first) => Some(*first),
            None => {
                self.seen.insert(key, line);
                None
            }
        }
    }
}

/// The largest file an import takes: some 100,000 contacts of CSV.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

/// Imports `bytes` (a CSV or vCard file) as `actor`.
pub async fn import(
    store: &Store,
    actor: &Actor,
    bytes: &[u8],
    options: ImportOptions,
) -> Result<Report, Error> {
    policy::allow(actor, Action::CreateCrm)?;
    // Said plainly: read as CSV, an empty file would lack "a header row".
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid(
            "file",
            "the file is empty: choose a CSV or vCard file",
        ));
    }
    let read_error = |e: rows::ReadError| Error::invalid("file", e.to_string());
    let (format, rows, ignored, people) = if rows::is_vcard(bytes) {
        (
            "vcard",
            rows::vcards(bytes).map_err(read_error)?,
            Vec::new(),
            true,
        )
    } else {
        let table = rows::csv(bytes).map_err(read_error)?;
        let people = table.rows.iter().any(|r| {
            ["first_name", "last_name", "email"]
                .iter()
                .any(|f| r.fields.contains_key(f))
        });
        ("csv", table.rows, table.ignored, people)
    };
    let kind = options.kind.unwrap_or(match people {
        true => ImportKind::Contacts,
        false => ImportKind::Accounts,
    });
    let mut known = Known::read(store).await?;
    let mut report = Report {
        kind,
        format,
        committed: false,
        rows: rows.len(),
        created: Tally::default(),
        updated: Tally::default(),
        skipped: 0,
        errors: Vec::new(),
        ignored_columns: ignored,
        plan: Vec::new(),
    };
    let mut steps = Vec::new();
    for row in &rows {
        let planned = match kind {
            ImportKind::Contacts => plan_contact(actor, row, &mut known, &mut steps),
            ImportKind::Accounts => plan_account(actor, row, &mut known, &mut steps),
        };
        match planned {
            Ok(planned) => {
                match (planned.action, planned.entity) {
                    (RowAction::Create, "contact") => report.created.contacts += 1,
                    (RowAction::Create, _) => report.created.accounts += 1,
                    (RowAction::Update, "contact") => report.updated.contacts += 1,
                    (RowAction::Update, _) => report.updated.accounts += 1,
                    _ => report.skipped += 1,
                }
                if planned.account_created {
                    report.created.accounts += 1;
                }
                report.plan.push(planned);
            }
            Err(errors) => {
                // A bad row is no earlier row for later ones to repeat.
                known.seen.retain(|_, line| *line != row.line);
                report.plan.push(PlannedRow {
                    line: row.line,
                    action: RowAction::Error,
                    entity: match kind {
                        ImportKind::Contacts => "contact",
                        ImportKind::Accounts => "account",
                    },
                    id: None,
                    name: row_name(row),
                    fields: Vec::new(),
                    reason: errors
                        .first()
                        .map(|e| format!("{}: {}", e.field, e.problem)),
                    account_id: None,
                    account_created: false,
                });
                report.errors.extend(errors);
            }
        }
    }
    let writable = report.errors.is_empty() || options.skip_bad_rows;
    if options.commit && writable {
        let mut tx = store.begin().await?;
        for step in steps {
            write(&mut tx, actor, step).await?;
        }
        tx.commit().await?;
        report.committed = true;
    }
    Ok(report)
}

/// What a row is called in a report.
fn row_name(row: &Row) -> Option<String> {
    let f = &row.fields;
    let person: Vec<&str> = [f.get("first_name"), f.get("last_name")]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    match person.is_empty() {
        false => Some(person.join(" ")),
        true => f
            .get("name")
            .or(f.get("company"))
            .or(f.get("email"))
            .cloned(),
    }
}

/// The dealdraft id in column `field` of `row`, if any: another system's
/// ids (`12345`) are not ours, and are passed over.
fn parse_id(row: &Row, field: &'static str) -> Option<Id> {
    row.fields
        .get(field)
        .and_then(|text| text.trim().parse().ok())
}

/// A validation failure as the errors of the row at `line`.
fn row_errors(line: u64, e: Error) -> Vec<RowError> {
    match e {
        Error::Validation(fields) => fields
            .iter()
            .map(|(field, problem)| RowError {
                line,
                field: field.to_owned(),
                problem: problem.to_owned(),
            })
            .collect(),
        other => vec![RowError {
            line,
            field: "row".to_owned(),
            problem: other.to_string(),
        }],
    }
}

fn input<T: serde::de::DeserializeOwned>(line: u64, value: Json) -> Result<T, Vec<RowError>> {
    crate::input::from_json_value(value).map_err(|e| row_errors(line, e))
}

/// The fields of `stored` (as its input) that are blank and `given` fills.
fn blanks_filled(stored: Json, given: &Json) -> Map<String, Json> {
    let (Json::Object(stored), Json::Object(given)) = (stored, given) else {
        return Map::new();
    };
    given
        .iter()
        .filter(|(field, value)| {
            !is_blank(value) && stored.get(field.as_str()).is_none_or(is_blank)
        })
        .map(|(field, value)| (field.clone(), value.clone()))
        .collect()
}

fn plan_account(
    actor: &Actor,
    row: &Row,
    known: &mut Known,
    steps: &mut Vec<Step>,
) -> Result<PlannedRow, Vec<RowError>> {
    let f = &row.fields;
    let name = f.get("company").or(f.get("name")).cloned();
    let domain = f.get("domain").and_then(|d| domain_of(d));
    // Spreadsheets write 1,200 or 1.200.
    let employee_count = match f.get("employee_count") {
        None => None,
        Some(n) => Some(n.replace([',', '.', ' '], "").parse::<i64>().map_err(|_| {
            vec![RowError {
                line: row.line,
                field: "employee_count".to_owned(),
                problem: format!("`{n}` is not a whole number"),
            }]
        })?),
    };
    let id = parse_id(row, "id");
    let given = json!({
        "id": id, "name": name, "domain": domain, "industry": f.get("industry"),
        "employee_count": employee_count,
        "country": f.get("country").map(|c| c.to_uppercase()), "address": f.get("address"),
        "credit_status": f.get("credit_status"), "credit_note": f.get("credit_note"),
    });
    let mut plan = PlannedRow {
        line: row.line,
        action: RowAction::Create,
        entity: "account",
        id: None,
        name: name.clone(),
        fields: Vec::new(),
        reason: None,
        account_id: None,
        account_created: false,
    };
    let key = domain
        .clone()
        .map(|d| format!("domain:{d}"))
        .or_else(|| name.as_deref().map(|n| format!("name:{}", folded(n))));
    if let Some(first) = key.and_then(|k| known.first(k, row.line)) {
        plan.action = RowAction::Skip;
        plan.reason = Some(format!("the same account as line {first}"));
        return Ok(plan);
    }
    let stored = known
        .account(id, domain.as_deref(), name.as_deref())
        .cloned();
    if let Some(stored) = stored {
        return fill(actor, row, stored, &given, steps, plan);
    }
    let account: Account =
        checked_new(actor, input(row.line, given)?).map_err(|e| row_errors(row.line, e))?;
    plan.id = Some(account.meta.id);
    known.add_account(account.clone());
    steps.push(Step::NewAccount(account));
    Ok(plan)
}

/// Plans filling the blank fields of a stored record from `given`.
fn fill<R: Resource>(
    actor: &Actor,
    row: &Row,
    stored: R,
    given: &Json,
    steps: &mut Vec<Step>,
    mut plan: PlannedRow,
) -> Result<PlannedRow, Vec<RowError>>
where
    Step: From<(R, Map<String, Json>)>,
{
    let filled = blanks_filled(
        serde_json::to_value(stored.to_input()).unwrap_or(Json::Null),
        given,
    );
    plan.id = Some(stored.meta().id);
    if filled.is_empty() {
        plan.action = RowAction::Skip;
        plan.reason = Some(format!(
            "the {} exists and has these fields already",
            R::ENTITY
        ));
        return Ok(plan);
    }
    // Checked as the change would be.
    let mut merged = match serde_json::to_value(stored.to_input()) {
        Ok(Json::Object(map)) => map,
        _ => Map::new(),
    };
    merged.extend(filled.clone());
    let checked: R::Input = input(row.line, Json::Object(merged))?;
    R::build(checked, stored.meta().clone(), Some(&stored), actor)
        .map_err(|e| row_errors(row.line, Error::Validation(e)))?;
    plan.action = RowAction::Update;
    plan.fields = filled.keys().cloned().collect();
    steps.push(Step::from((stored, filled)));
    Ok(plan)
}

impl From<(Account, Map<String, Json>)> for Step {
    fn from((account, fields): (Account, Map<String, Json>)) -> Self {
        Step::FillAccount(Box::new(account), fields)
    }
}

impl From<(Contact, Map<String, Json>)> for Step {
    fn from((contact, fields): (Contact, Map<String, Json>)) -> Self {
        Step::FillContact(Box::new(contact), fields)
    }
}

fn plan_contact(
    actor: &Actor,
    row: &Row,
    known: &mut Known,
    steps: &mut Vec<Step>,
) -> Result<PlannedRow, Vec<RowError>> {
    let f = &row.fields;
    let (mut first, mut last) = (f.get("first_name").cloned(), f.get("last_name").cloned());
    // A full name alone: the last word is the last name.
    if first.is_none()
        && last.is_none()
        && let Some(name) = f.get("name")
    {
        match name.trim().rsplit_once(' ') {
            Some((given, family)) => {
                first = Some(given.trim().to_owned());
                last = Some(family.trim().to_owned());
            }
            None => last = Some(name.trim().to_owned()),
        }
    }
    let email = f.get("email").map(|e| e.trim().to_lowercase());
    let id = parse_id(row, "id");
    let given_account =
        parse_id(row, "account_id").filter(|a| known.accounts_by_id.contains_key(a));
    let name = [first.as_deref(), last.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let mut plan = PlannedRow {
        line: row.line,
        action: RowAction::Create,
        entity: "contact",
        id: None,
        name: (!name.is_empty()).then_some(name),
        fields: Vec::new(),
        reason: None,
        account_id: None,
        account_created: false,
    };
    if let Some(first_line) = email
        .as_ref()
        .and_then(|e| known.first(format!("email:{e}"), row.line))
    {
        plan.action = RowAction::Skip;
        plan.reason = Some(format!("the same e-mail address as line {first_line}"));
        return Ok(plan);
    }
    // The company: by domain, else by name, else a new account.
    let mut new_account = None;
    let company = f.get("company").map(|c| c.trim().to_owned());
    let domain = f.get("domain").and_then(|d| domain_of(d));
    let account = known
        .account(given_account, domain.as_deref(), company.as_deref())
        .map(|a| a.meta.id);
    let account_id = match (account, &company) {
        (Some(id), _) => Some(id),
        (None, Some(company)) => {
            let made: Account = checked_new(
                actor,
                input(row.line, json!({"name": company, "domain": domain}))?,
            )
            .map_err(|e| {
                row_errors(row.line, e)
                    .into_iter()
                    .map(|mut err| {
                        err.field = format!("company.{}", err.field);
                        err
                    })
                    .collect::<Vec<_>>()
            })?;
            let id = made.meta.id;
            new_account = Some(made);
            Some(id)
        }
        (None, None) => None,
    };
    let given = json!({
        "id": id, "first_name": first, "last_name": last, "title": f.get("title"),
        "email": email, "phone": f.get("phone"), "account_id": account_id,
    });
    let stored = id
        .and_then(|id| known.contacts_by_id.get(&id))
        .or_else(|| email.as_ref().and_then(|e| known.contacts_by_email.get(e)))
        .cloned();
    let planned = match stored {
        Some(stored) => fill(actor, row, stored, &given, steps, plan)?,
        None => {
            let contact: Contact =
                checked_new(actor, input(row.line, given)?).map_err(|e| row_errors(row.line, e))?;
            plan.id = Some(contact.meta.id);
            if let Some(email) = &email {
                known
                    .contacts_by_email
                    .insert(email.clone(), contact.clone());
            }
            steps.push(Step::NewContact(contact));
            plan
        }
    };
    let mut planned = planned;
    let uses_account =
        planned.action == RowAction::Create || planned.fields.iter().any(|f| f == "account_id");
    planned.account_id = account_id.filter(|_| uses_account);
    // A new account is made only for a contact written with it, just
    // before that contact.
    if let Some(account) = new_account.filter(|_| uses_account) {
        planned.account_created = true;
        known.add_account(account.clone());
        let at = steps.len().saturating_sub(1);
        steps.insert(at, Step::NewAccount(account));
    }
    Ok(planned)
}

async fn write(tx: &mut Tx, actor: &Actor, step: Step) -> Result<(), Error> {
    let inserted = |e: super::Inserted| match e {
        super::Inserted::Taken(id) => Error::conflict(format!(
            "record {id} or one of its unique values was taken while the import ran"
        )),
        super::Inserted::Failed(e) => e,
    };
    match step {
        Step::NewAccount(account) => {
            insert_in(tx, actor, account).await.map_err(inserted)?;
        }
        Step::NewContact(contact) => {
            insert_in(tx, actor, contact).await.map_err(inserted)?;
        }
        Step::FillAccount(account, fields) => {
            let scope = policy::require(actor, Account::CHANGE)?;
            let version = account.meta.version;
            update_in(tx, actor, Some(scope), *account, version, fields).await?;
        }
        Step::FillContact(contact, fields) => {
            let scope = policy::require(actor, Contact::CHANGE)?;
            let version = contact.meta.version;
            update_in(tx, actor, Some(scope), *contact, version, fields).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_matched_without_scheme_www_or_path() {
        assert_eq!(
            domain_of("https://www.Example.com/about"),
            Some("example.com".into())
        );
        assert_eq!(domain_of("example.org:8080"), Some("example.org".into()));
        assert_eq!(domain_of("n/a"), None);
    }
}
