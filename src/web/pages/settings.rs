//! The admin's settings: one page with a form per part of the workspace
//! settings (the company profile, approval thresholds, stage
//! probabilities, exchange rates, tax rates and the mail server). Each
//! form changes its own part of the version it was read at; a refused
//! form comes back with the problems beside their fields and what was
//! typed, and a change someone made meanwhile is said so, with the fresh
//! values.

use std::collections::HashMap;
use std::str::FromStr;

use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::form::{self, Fields, NoticeQuery, Posted, Refused, field, input, values_of};
use super::{PageError, Signed, error_page, view};
use crate::auth::policy::Action;
use crate::crm::deals::Stage;
use crate::error::{Error, FieldErrors};
use crate::settings::{self, DISCOUNTING_ROLES, Settings, SettingsDocument, SmtpSecurity};
use crate::store::Store;

const NOTICES: &[(&str, &str)] = &[("saved", "Saved.")];

/// The page's forms, each named by the part it changes.
const SECTIONS: [&str; 6] = [
    "company",
    "approvals",
    "stages",
    "currencies",
    "taxes",
    "smtp",
];

/// Blank rows under the tax and exchange rates, to add one.
const BLANK_ROWS: usize = 2;

/// `GET /admin/settings`: admins only.
pub async fn page(
    State(store): State<Store>,
    signed: Signed,
    Query(notice): Query<NoticeQuery>,
) -> Result<Html<String>, PageError> {
    signed.require(Action::Administer)?;
    let current = settings::get(&store).await?;
    Ok(settings_page(
        &signed,
        &current,
        notice.text(NOTICES),
        None,
    )?)
}

/// An input of `kind` (its `type`, or `textarea` or `decimal`).
fn typed_input(
    kind: &str,
    name: &str,
    label: &str,
    stored: Option<String>,
    refused: Option<&Refused>,
) -> Value {
    let mut input = input(name, label, stored, refused);
    input["kind"] = kind.into();
    input
}

fn settings_page(
    signed: &Signed,
    current: &Settings,
    notice: Option<&str>,
    refused: Option<&Refused>,
) -> Result<Html<String>, Error> {
    let doc = &current.document;
    let of = |section: &str| refused.and_then(|r| r.of_form(section));
    let company = of("company");
    let c = &doc.company;
    let approvals = of("approvals");
    let stages = of("stages");
    let smtp = of("smtp");
    let s = &doc.smtp;
    let data = json!({
        "me": signed.layout(),
        "current": "/admin/settings",
        "version": current.version,
        "updated_at": view::moment(&current.updated_at),
        "notice": notice,
        "refused": refused.map(Refused::view),
        "company": [
            typed_input("text", "company.name", "Company name", c.name.clone(), company),
            typed_input("textarea", "company.address", "Address", c.address.clone(), company),
            typed_input("tel", "company.phone", "Phone", c.phone.clone(), company),
            typed_input("email", "company.email", "E-mail", c.email.clone(), company),
            typed_input("url", "company.website", "Website", c.website.clone(), company),
        ],
        "approvals": DISCOUNTING_ROLES.iter().map(|role| {
            let stored = doc.approval_thresholds.get(*role).map(|a| a.0.to_string());
            typed_input("decimal", &format!("approval_thresholds.{role}"),
                        &format!("{} (%)", capitalized(role)), stored, approvals)
        }).collect::<Vec<_>>(),
        "stages": Stage::ALL.iter().map(|stage| {
            let stored = doc.stage_probabilities.get(stage.as_str()).map(i64::to_string);
            let mut input = typed_input("percent", &format!("stage_probabilities.{}", stage.as_str()),
                        &format!("{} (%)", capitalized(stage.as_str())), stored, stages);
            input["default"] = stage.default_probability().into();
            input
        }).collect::<Vec<_>>(),
        "base_currency": typed_input("text", "base_currency", "Base currency",
                                     Some(doc.base_currency.clone()), of("currencies")),
        "rates": rate_rows(doc, of("currencies")),
        "taxes": tax_rows(doc, of("taxes")),
        "smtp": [
            typed_input("text", "smtp.host", "Server", s.host.clone(), smtp),
            typed_input("number", "smtp.port", "Port", s.port.map(|p| p.to_string()), smtp),
            typed_input("email", "smtp.from_email", "Sender's e-mail", s.from_email.clone(), smtp),
            typed_input("text", "smtp.from_name", "Sender's name", s.from_name.clone(), smtp),
        ],
        "security": input("smtp.security", "Security", Some(s.security.as_str().to_owned()), smtp),
        "securities": SmtpSecurity::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "default_port": s.port(),
    });
    view::render("admin_settings.html", &data)
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The rows of a table of the form: those typed when it was refused, else
/// the `stored` ones and blank ones to add to. `row(i, values)` makes
/// row `i`.
fn rows(
    prefix: &str,
    first: &str,
    stored: Vec<Vec<String>>,
    refused: Option<&Refused>,
    row: impl Fn(usize, Option<&[String]>) -> Value,
) -> Vec<Value> {
    match refused.filter(|r| r.typed.is_some()) {
        Some(r) => (0..)
            .take_while(|i| r.typed(&format!("{prefix}.{i}.{first}")).is_some())
            .map(|i| row(i, None))
            .collect(),
        None => stored
            .iter()
            .map(Some)
            .chain(std::iter::repeat_n(None, BLANK_ROWS))
            .enumerate()
            .map(|(i, values)| row(i, values.map(Vec::as_slice)))
            .collect(),
    }
}

/// Whether row `name` was ticked to be removed when the form was refused.
fn removed(name: &str, refused: Option<&Refused>) -> bool {
    refused
        .and_then(|r| r.typed.as_ref())
        .is_some_and(|typed| values_of(typed, "remove").contains(&name))
}

fn rate_rows(doc: &SettingsDocument, refused: Option<&Refused>) -> Vec<Value> {
    let stored = doc
        .exchange_rates
        .iter()
        .map(|(code, rate)| vec![code.clone(), rate.0.to_string()])
        .collect();
    rows("rate", "currency", stored, refused, |i, values| {
        let value = |n: usize| values.map(|v| v[n].clone());
        let name = format!("rate.{i}");
        json!({
            "currency": input(&format!("{name}.currency"), "Currency", value(0), refused),
            "value": input(&format!("{name}.value"), "Value in the base currency", value(1), refused),
            "removed": removed(&name, refused),
            "problem": refused.and_then(|r| r.problems.get(&name)),
            "row": name,
        })
    })
}

fn tax_rows(doc: &SettingsDocument, refused: Option<&Refused>) -> Vec<Value> {
    let stored = doc
        .tax_rates
        .iter()
        .map(|t| vec![t.code.clone(), t.name.clone(), t.rate.0.to_string()])
        .collect();
    rows("tax", "code", stored, refused, |i, values| {
        let value = |n: usize| values.map(|v| v[n].clone());
        let name = format!("tax.{i}");
        json!({
            "code": input(&format!("{name}.code"), "Code", value(0), refused),
            "name": input(&format!("{name}.name"), "Name", value(1), refused),
            "rate": input(&format!("{name}.rate"), "Rate (%)", value(2), refused),
            "removed": removed(&name, refused),
            "row": name,
        })
    })
}

/// `POST /admin/settings`: one part of the settings, named by `section`.
pub async fn save(form: Posted) -> Response {
    if let Err(e) = form.signed.require(Action::Administer) {
        return error_page(&e);
    }
    let Some(section) = form
        .field("section")
        .and_then(|s| SECTIONS.iter().find(|known| **known == s))
    else {
        return error_page(&Error::invalid("section", "is not a part of the settings"));
    };
    let mut renames = HashMap::new();
    let done = async {
        let version = form::version(&form.fields)?;
        let current = settings::get(form.store()).await?;
        let removed = form.values("remove");
        let mut patch = patch_of(
            section,
            &form.fields,
            &removed,
            &current.document,
            &mut renames,
        )?;
        patch.insert("version".to_owned(), version.into());
        settings::update(form.store(), form.actor(), patch).await
    }
    .await;
    let refused = match done {
        Ok(_) => return form::notice(&format!("/admin/settings#{section}"), "saved"),
        Err(e) => match Refused::of(e, section, &form.fields) {
            Ok(refused) => refused.renamed(|f| renames.get(f).cloned()),
            Err(e) => return error_page(&e),
        },
    };
    let page = match settings::get(form.store()).await {
        Ok(fresh) => settings_page(&form.signed, &fresh, None, Some(&refused)),
        Err(e) => Err(e),
    };
    match page {
        Ok(page) => (refused.status, page).into_response(),
        Err(e) => error_page(&e),
    }
}

/// What the form of `section` changes, as a merge patch of the settings;
/// the rows of a table named in `removed` are taken out. Input the form can tell is wrong by itself (a number that is none) is
/// refused here under the input's name; `renames` learns the input each
/// of the domain's paths in the patch came from.
fn patch_of(
    section: &str,
    fields: &Fields,
    removed: &[&str],
    current: &SettingsDocument,
    renames: &mut HashMap<String, String>,
) -> Result<Map<String, Value>, Error> {
    let text = |name: &str| field(fields, name).map(str::trim).filter(|v| !v.is_empty());
    let nullable = |name: &str| text(name).map_or(Value::Null, Value::from);
    let mut problems = FieldErrors::new();
    let mut patch = Map::new();
    match section {
        "company" => {
            let company: Map<String, Value> = ["name", "address", "phone", "email", "website"]
                .into_iter()
                .map(|f| (f.to_owned(), nullable(&format!("company.{f}"))))
                .collect();
            patch.insert("company".to_owned(), company.into());
        }
        "approvals" => {
            let mut thresholds = Map::new();
            for role in DISCOUNTING_ROLES {
                let name = format!("approval_thresholds.{role}");
                match text(&name) {
                    None => problems.add(&name, "required: 0 sends every discount for approval"),
                    Some(v) => match decimal(v) {
                        Some(d) => {
                            thresholds.insert(role.to_owned(), d.to_string().into());
                        }
                        None => problems.add(&name, "must be a number such as 15 or 12.5"),
                    },
                }
            }
            patch.insert("approval_thresholds".to_owned(), thresholds.into());
        }
        "stages" => {
            let mut probabilities = Map::new();
            for stage in Stage::ALL {
                let name = format!("stage_probabilities.{}", stage.as_str());
                let value = match text(&name).map(str::parse::<i64>) {
                    None => Value::Null,
                    Some(Ok(n)) => n.into(),
                    Some(Err(_)) => {
                        problems.add(&name, "must be a whole number from 0 to 100");
                        continue;
                    }
                };
                probabilities.insert(stage.as_str().to_owned(), value);
            }
            patch.insert("stage_probabilities".to_owned(), probabilities.into());
        }
        "currencies" => {
            let base = text("base_currency").map(str::to_uppercase);
            match &base {
                Some(code) => {
                    patch.insert("base_currency".to_owned(), code.clone().into());
                }
                None => problems.add("base_currency", "required"),
            }
            let mut rates = Map::new();
            for i in 0.. {
                let name = format!("rate.{i}");
                let Some(code) = field(fields, &format!("{name}.currency")) else {
                    break;
                };
                let code = code.trim().to_uppercase();
                let value = text(&format!("{name}.value"));
                if removed.contains(&name.as_str()) || (code.is_empty() && value.is_none()) {
                    continue;
                }
                if code.is_empty() {
                    problems.add(&name, "give the currency's code, such as USD");
                } else if rates.contains_key(&code) {
                    problems.add(&name, format!("{code} is in the table twice"));
                } else {
                    match value.map(decimal) {
                        None => {
                            problems.add(&name, "give the value of one unit in the base currency")
                        }
                        Some(None) => problems.add(&name, "must be a number such as 0.92"),
                        Some(Some(d)) => {
                            renames.insert(format!("exchange_rates.{code}"), name);
                            rates.insert(code, d.to_string().into());
                        }
                    }
                }
            }
            // A currency no longer in the table is taken out.
            for code in current.exchange_rates.keys() {
                if !rates.contains_key(code) {
                    rates.insert(code.clone(), Value::Null);
                }
            }
            patch.insert("exchange_rates".to_owned(), rates.into());
        }
        "taxes" => {
            let mut taxes = Vec::new();
            for i in 0.. {
                let name = format!("tax.{i}");
                if field(fields, &format!("{name}.code")).is_none() {
                    break;
                }
                let [code, label, rate] =
                    ["code", "name", "rate"].map(|part| text(&format!("{name}.{part}")));
                if removed.contains(&name.as_str())
                    || (code.is_none() && label.is_none() && rate.is_none())
                {
                    continue;
                }
                let rate = match rate.map(decimal) {
                    Some(Some(d)) => d.to_string(),
                    Some(None) => {
                        problems.add(format!("{name}.rate"), "must be a number such as 19 or 7.5");
                        continue;
                    }
                    None => {
                        problems.add(format!("{name}.rate"), "required");
                        continue;
                    }
                };
                for part in ["code", "name", "rate"] {
                    renames.insert(
                        format!("tax_rates[{}].{part}", taxes.len()),
                        format!("{name}.{part}"),
                    );
                }
                taxes.push(json!({"code": code.unwrap_or_default(),
                                  "name": label.unwrap_or_default(), "rate": rate}));
            }
            patch.insert("tax_rates".to_owned(), taxes.into());
        }
        "smtp" => {
            let port = match text("smtp.port").map(str::parse::<u16>) {
                None => Value::Null,
                Some(Ok(p)) => p.into(),
                Some(Err(_)) => {
                    problems.add("smtp.port", "must be a whole number from 1 to 65535");
                    Value::Null
                }
            };
            let smtp: Map<String, Value> = [
                ("host", nullable("smtp.host")),
                ("port", port),
                ("security", nullable("smtp.security")),
                ("from_email", nullable("smtp.from_email")),
                ("from_name", nullable("smtp.from_name")),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            patch.insert("smtp".to_owned(), smtp.into());
        }
        _ => {}
    }
    problems.check()?;
    Ok(patch)
}

/// A number as typed: digits with a decimal point.
fn decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text).ok()
}
