//! The workspace settings: the seller's company profile, discount approval
//! thresholds per role, default probabilities per deal stage, tax rates and
//! exchange rates. One versioned JSON document that everyone reads and
//! admins change with a JSON merge patch.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{self, AuditAction};
use crate::auth::Actor;
use crate::auth::policy::{self, Action};
use crate::crm::deals::{Deal, Stage};
use crate::crm::validate::{Check, LINE_MAX, TEXT_MAX};
use crate::error::{Error, FieldErrors};
use crate::input;
use crate::store::records::{self, Updated};
use crate::store::{Amount, Id, JsonText, Sql, Store, Timestamp, Tx};

/// The roles that give discounts, and so have an approval threshold.
pub const DISCOUNTING_ROLES: [&str; 3] = ["rep", "manager", "admin"];

/// The seller, as documents introduce them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Company {
    pub name: Option<String>,
    /// Several lines.
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// An http or https URL.
    pub website: Option<String>,
    /// The image asset of the logo.
    pub logo_asset_id: Option<Id>,
}

crate::text_enum! {
    /// How the connection to the mail server is secured: `starttls` (the
    /// usual submission port, 587), `tls` (TLS from the start, 465) or
    /// `none` (a relay on the same machine or a trusted network only).
    SmtpSecurity { Starttls = "starttls", Tls = "tls", None = "none" }
}

/// The mail server documents are sent through. Its user name and password
/// come from the environment (`DEALDRAFT_SMTP_USERNAME`,
/// `DEALDRAFT_SMTP_PASSWORD`), never from here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Smtp {
    /// The server's host name; nothing is sent until it is set.
    pub host: Option<String>,
    /// The port; by default 587 for `starttls`, 465 for `tls`, 25 for
    /// `none`.
    pub port: Option<u16>,
    pub security: SmtpSecurity,
    /// The address mail is sent from: the envelope sender, and the `From`
    /// of the message that carries a document (the rep is its `Reply-To`).
    pub from_email: Option<String>,
    pub from_name: Option<String>,
}

impl Default for Smtp {
    fn default() -> Self {
        Smtp {
            host: None,
            port: None,
            security: SmtpSecurity::Starttls,
            from_email: None,
            from_name: None,
        }
    }
}

impl Smtp {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        })
    }
}

/// A tax rate quotes can apply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxRate {
    /// Unique; what quote lines name.
    pub code: String,
    pub name: String,
    /// Percent, 0 to 100.
    pub rate: Amount,
}

/// The settings as stored and as the API shows them, without the version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SettingsDocument {
    pub company: Company,
    /// ISO 4217; what the forecast and reports add up in.
    pub base_currency: String,
    /// The value of one unit of each currency in the base currency.
    #[schema(value_type = BTreeMap<String, String>)]
    pub exchange_rates: BTreeMap<String, Amount>,
    pub tax_rates: Vec<TaxRate>,
    /// The largest discount, percent, a rep, manager or admin may give
    /// without approval.
    #[schema(value_type = BTreeMap<String, String>)]
    pub approval_thresholds: BTreeMap<String, Amount>,
    /// The probability, percent, of a deal at each stage unless its owner
    /// sets one.
    pub stage_probabilities: BTreeMap<String, i64>,
    pub smtp: Smtp,
}

impl Default for SettingsDocument {
    fn default() -> Self {
        let threshold =
            |role: &str, percent: i64| (role.to_owned(), Amount(Decimal::from(percent)));
        SettingsDocument {
            company: Company::default(),
            base_currency: "EUR".to_owned(),
            exchange_rates: BTreeMap::new(),
            tax_rates: Vec::new(),
            approval_thresholds: [
                threshold("rep", 10),
                threshold("manager", 20),
                threshold("admin", 100),
            ]
            .into_iter()
            .collect(),
            stage_probabilities: Stage::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), s.default_probability()))
                .collect(),
            smtp: Smtp::default(),
        }
    }
}

impl SettingsDocument {
    /// The probability of a deal at `stage` that follows the default.
    pub fn probability(&self, stage: Stage) -> i64 {
        self.stage_probabilities
            .get(stage.as_str())
            .copied()
            .unwrap_or_else(|| stage.default_probability())
    }
}

/// The settings with their version.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Settings {
    #[serde(flatten)]
    pub document: SettingsDocument,
    pub version: i64,
    pub updated_at: Timestamp,
    /// `null` until an admin first changes them.
    pub updated_by: Option<Id>,
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    version: i64,
    updated_at: Timestamp,
    updated_by: Option<Id>,
    document: JsonText<serde_json::Value>,
}

impl SettingsRow {
    fn settings(self) -> Settings {
        // Fields added after the row was written take their defaults; a
        // document this program cannot read falls back whole rather than
        // taking the service down.
        let document = serde_json::from_value(self.document.0).unwrap_or_else(|e| {
            tracing::error!(error = %e, "the stored settings are unreadable; using the defaults");
            SettingsDocument::default()
        });
        Settings {
            document,
            version: self.version,
            updated_at: self.updated_at,
            updated_by: self.updated_by,
        }
    }
}

const SELECT: &str = "SELECT version, updated_at, updated_by, document FROM settings WHERE id = 1";

pub async fn get(store: &Store) -> Result<Settings, Error> {
    store
        .fetch_optional::<SettingsRow>(&Sql::new(SELECT))
        .await?
        .map(SettingsRow::settings)
        .ok_or_else(missing)
}

/// The settings as a write in progress sees them.
pub async fn get_in(tx: &mut Tx) -> Result<Settings, Error> {
    tx.fetch_optional::<SettingsRow>(&Sql::new(SELECT))
        .await?
        .map(SettingsRow::settings)
        .ok_or_else(missing)
}

fn missing() -> Error {
    Error::Internal("the settings row is missing: run `dealdraft migrate`".to_owned())
}

/// Applies a JSON merge patch (RFC 7386: objects merge, `null` resets a
/// field to its default, arrays are replaced) that names the `version` read.
pub async fn update(
    store: &Store,
    actor: &Actor,
    mut patch: serde_json::Map<String, serde_json::Value>,
) -> Result<Settings, Error> {
    policy::allow(actor, Action::Administer)?;
    let version = input::take_version(&mut patch)?;
    let mut tx = store.begin().await?;
    let current = get_in(&mut tx).await?;
    if current.version != version {
        return Err(Error::Conflict {
            message: format!(
                "the settings were changed by someone else: they are at version {}, not {version}",
                current.version
            ),
            current_version: Some(current.version),
            fields: FieldErrors::new(),
        });
    }
    let before = to_json(&current.document)?;
    let mut merged = before.clone();
    merge_patch(&mut merged, serde_json::Value::Object(patch));
    let document = validate(input::from_json_value(merged)?).map_err(Error::Validation)?;
    if let Some(logo) = document.company.logo_asset_id
        && !crate::store::records::exists(&mut tx, "assets", logo).await?
    {
        return Err(Error::invalid(
            "company.logo_asset_id",
            format!("there is no asset {logo}; upload the logo to /api/v1/assets first"),
        ));
    }
    let after = to_json(&document)?;
    let now = Timestamp::now();
    let mut sql = Sql::new("UPDATE settings SET version = ");
    sql.bind(version + 1)
        .push(", updated_at = ")
        .bind(now)
        .push(", updated_by = ")
        .bind(actor.user_id)
        .push(", document = ")
        .bind(after.to_string())
        .push(" WHERE id = 1");
    tx.execute(&sql).await?;
    audit::record(
        &mut tx,
        actor,
        audit::Entry {
            entity: audit::AuditEntity::Settings,
            entity_id: None,
            action: AuditAction::Update,
            changes: audit::diff(Some(&before), Some(&after)),
        },
    )
    .await?;
    follow_new_probabilities(&mut tx, actor, &current.document, &document).await?;
    tx.commit().await?;
    Ok(Settings {
        document,
        version: version + 1,
        updated_at: now,
        updated_by: Some(actor.user_id),
    })
}

fn to_json(document: &SettingsDocument) -> Result<serde_json::Value, Error> {
    serde_json::to_value(document).map_err(|e| Error::Internal(e.to_string()))
}

/// RFC 7386.
fn merge_patch(target: &mut serde_json::Value, patch: serde_json::Value) {
    let serde_json::Value::Object(patch) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(&key);
            } else {
                merge_patch(map.entry(key).or_insert(serde_json::Value::Null), value);
            }
        }
    }
}

/// Deals whose probability follows their stage's default take the new one.
async fn follow_new_probabilities(
    tx: &mut Tx,
    actor: &Actor,
    old: &SettingsDocument,
    new: &SettingsDocument,
) -> Result<(), Error> {
    for &stage in Stage::ALL {
        let probability = new.probability(stage);
        if old.probability(stage) == probability {
            continue;
        }
        let mut sql = Sql::new("SELECT * FROM deals WHERE stage = ");
        sql.bind(stage)
            .push(" AND probability_is_default = ")
            .bind(true)
            .push(" AND probability <> ")
            .bind(probability);
        for before in tx.fetch_all::<Deal>(&sql).await? {
            let mut deal = before.clone();
            deal.probability = probability;
            if let Updated::Done = records::update(tx, &mut deal).await? {
                audit::record_change(tx, actor, Some(&before), Some(&deal), audit::Changes::new())
                    .await?;
            }
        }
    }
    Ok(())
}

/// Checks a merged document; problems are named by their path.
fn validate(mut doc: SettingsDocument) -> Result<SettingsDocument, FieldErrors> {
    let mut c = Check::new();
    let company = std::mem::take(&mut doc.company);
    doc.company = Company {
        name: c.text("company.name", company.name, LINE_MAX),
        address: c.text("company.address", company.address, TEXT_MAX),
        phone: c.phone("company.phone", company.phone),
        email: c.email("company.email", company.email),
        website: c.text("company.website", company.website, LINE_MAX),
        logo_asset_id: company.logo_asset_id,
    };
    if let Some(site) = &doc.company.website
        && !is_web_url(site)
    {
        c.errors
            .add("company.website", "must be an http:// or https:// address");
    }
    doc.base_currency = c
        .currency(
            "base_currency",
            Some(std::mem::take(&mut doc.base_currency)),
        )
        .unwrap_or_default();
    let rates = std::mem::take(&mut doc.exchange_rates);
    for (code, rate) in rates {
        let field = format!("exchange_rates.{code}");
        let Some(code) = c.currency(&field, Some(code)) else {
            continue;
        };
        if code == doc.base_currency {
            c.errors.add(field, "is the base currency");
        } else if rate.0 <= Decimal::ZERO {
            c.errors.add(field, "must be greater than 0");
        } else {
            doc.exchange_rates.insert(code, rate);
        }
    }
    let mut codes = std::collections::HashSet::new();
    for (i, tax) in doc.tax_rates.iter_mut().enumerate() {
        let code = c.required_text(
            &format!("tax_rates[{i}].code"),
            Some(tax.code.clone()),
            LINE_MAX,
        );
        if !code.is_empty() && !codes.insert(code.clone()) {
            c.errors.add(
                format!("tax_rates[{i}].code"),
                "is used by another tax rate",
            );
        }
        tax.code = code;
        tax.name = c.required_text(
            &format!("tax_rates[{i}].name"),
            Some(tax.name.clone()),
            LINE_MAX,
        );
        percent(&mut c, &format!("tax_rates[{i}].rate"), tax.rate);
    }
    for (role, threshold) in &doc.approval_thresholds {
        let field = format!("approval_thresholds.{role}");
        if !DISCOUNTING_ROLES.contains(&role.as_str()) {
            c.errors
                .add(field, "only rep, manager and admin give discounts");
        } else {
            percent(&mut c, &field, *threshold);
        }
    }
    for (stage, probability) in &doc.stage_probabilities {
        let field = format!("stage_probabilities.{stage}");
        if stage.parse::<Stage>().is_err() {
            let stages: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
            c.errors.add(
                field,
                format!("is not a stage; the stages are {}", stages.join(", ")),
            );
        } else {
            c.range(&field, Some(*probability), 0, 100);
        }
    }
    let smtp = std::mem::take(&mut doc.smtp);
    doc.smtp = Smtp {
        host: c.text("smtp.host", smtp.host, LINE_MAX),
        port: smtp.port,
        security: smtp.security,
        from_email: c.email("smtp.from_email", smtp.from_email),
        from_name: c.text("smtp.from_name", smtp.from_name, LINE_MAX),
    };
    if let Some(host) = &doc.smtp.host
        && !is_host_name(host)
    {
        c.errors.add(
            "smtp.host",
            "must be a host name or IP address, without scheme or port",
        );
    }
    if doc.smtp.port == Some(0) {
        c.errors.add("smtp.port", "must be from 1 to 65535");
    }
    // A stage reset with `null` takes its built-in default again.
    for stage in Stage::ALL {
        doc.stage_probabilities
            .entry(stage.as_str().to_owned())
            .or_insert_with(|| stage.default_probability());
    }
    c.finish()?;
    Ok(doc)
}

fn percent(c: &mut Check, field: &str, value: Amount) {
    if value.0 < Decimal::ZERO || value.0 > Decimal::ONE_HUNDRED {
        c.errors.add(field, "must be a percentage from 0 to 100");
    }
}

fn is_web_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && host.contains('.') && !r.chars().any(char::is_whitespace)
    })
}

/// A DNS name (letters, digits, `-` and `.`) or an IP address.
fn is_host_name(text: &str) -> bool {
    if text.contains(':') {
        return text.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        && !text.starts_with(['-', '.'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mail_server_hosts_are_names_or_addresses() {
        assert!(is_host_name("smtp.example.com"));
        assert!(is_host_name("127.0.0.1"));
        assert!(is_host_name("::1"));
        assert!(!is_host_name("smtp://example.com"));
        assert!(!is_host_name("mail.example.com:587"));
        assert!(!is_host_name("-x"));
    }

    #[test]
    fn a_merge_patch_merges_objects_removes_nulls_and_replaces_arrays() {
        let mut doc = json!({"company": {"name": "A", "phone": "1"}, "tax_rates": [1, 2], "x": 1});
        merge_patch(
            &mut doc,
            json!({"company": {"phone": null, "email": "e"}, "tax_rates": [3], "x": null}),
        );
        assert_eq!(
            doc,
            json!({"company": {"name": "A", "email": "e"}, "tax_rates": [3]})
        );
    }

    #[test]
    fn web_addresses_need_a_scheme_and_a_host() {
        assert!(is_web_url("https://example.com/about"));
        assert!(!is_web_url("example.com"));
        assert!(!is_web_url("https:///x"));
        assert!(!is_web_url("ftp://example.com"));
    }
}
