//! The demo workspace: a realistic small pipeline to explore the app with.

use serde_json::json;

use crate::auth::Actor;
use crate::auth::users::User;
use crate::catalog::price_books::PriceBook;
use crate::catalog::products::Product;
use crate::clauses::Clause;
use crate::clauses::versions::{self, NewVersion};
use crate::clauses::workflow::{self, Review};
use crate::context::Subject as ContextSubject;
use crate::crm::profiling::{self, Question, Subject};
use crate::crm::{self, accounts::Account, activities::Activity, contacts::Contact, deals::Deal};
use crate::documents::DocumentFormat;
use crate::documents::generate::GenerateRequest;
use crate::error::Error;
use crate::quotes;
use crate::segments::Segment;
use crate::store::Store;
use crate::store::{Count, Sql};
use crate::templates::store::{self as template_store, Template};

/// What the demo seeded: a summary to print, and the sample proposal to
/// make (with the first deal's quote).
pub struct Seeded {
    pub summary: String,
    pub sample: Option<GenerateRequest>,
}

/// Seeds the demo data into an empty database; a database that already has
/// accounts is left as it is.
pub async fn seed(store: &Store) -> Result<Seeded, Error> {
    let accounts = Sql::new("SELECT COUNT(*) AS n FROM accounts");
    if store
        .fetch_optional::<Count>(&accounts)
        .await?
        .is_some_and(|c| c.n > 0)
    {
        return Ok(Seeded {
            summary: "The database already holds data; the demo left it as it is.".to_owned(),
            sample: None,
        });
    }
    let actor = Actor::system();
    let a = &actor;

    let version = crate::settings::get(store).await?.version;
    crate::settings::update(
        store,
        a,
        parse(json!({
            "version": version,
            "company": {
                "name": "Northwind Consulting GmbH",
                "address": "Hafenstraße 12\n20457 Hamburg\nGermany",
                "phone": "+49 40 1234 5670",
                "email": "sales@northwind.example",
                "website": "https://northwind.example",
            },
            "exchange_rates": {"USD": "0.92", "GBP": "1.17", "CHF": "1.05"},
            "tax_rates": [
                {"code": "de_vat", "name": "VAT 19%", "rate": "19"},
                {"code": "de_vat_reduced", "name": "VAT 7%", "rate": "7"},
                {"code": "exempt", "name": "Tax exempt", "rate": "0"},
            ],
        }))?,
    )
    .await?;

    let mut logins = Vec::new();
    let mut rep_id = None;
    let mut staff = Vec::new();
    for (role, name, title) in [
        ("rep", "Riley Rep", "Account Executive"),
        ("manager", "Morgan Manager", "Sales Director"),
        ("marketing", "Mika Marketing", "Content Lead"),
        ("legal", "Lee Legal", "Counsel"),
        ("admin", "Ada Admin", "Operations"),
    ] {
        let email = format!("{role}@demo.dealdraft.test");
        let password = format!("{role}-demo-2026");
        let user: User = crm::create(
            store,
            a,
            parse(json!({
                "email": email, "name": name, "role": role, "title": title, "password": password,
                "phone": "+49 40 1234 5600",
            }))?,
        )
        .await?;
        if role == "rep" {
            rep_id = Some(user.meta.id);
        }
        staff.push(Actor::cli(user.meta.id, user.role));
        logins.push(format!("  {role:<9} {email:<32} {password}"));
    }

    for (key, label, kind, options, applies_to) in [
        (
            "budget",
            "Budget approved for this project",
            "number",
            None,
            "deal",
        ),
        (
            "compliance",
            "Compliance requirements that matter",
            "multi",
            Some(vec!["ISO 27001", "SOC 2", "GDPR", "HIPAA"]),
            "account",
        ),
        (
            "decision_date",
            "When will they decide?",
            "date",
            None,
            "deal",
        ),
        (
            "current_tool",
            "What do they use today?",
            "text",
            None,
            "account",
        ),
        (
            "pilot_wanted",
            "Do they want a pilot first?",
            "bool",
            None,
            "deal",
        ),
        (
            "buying_stage",
            "Where are they in their buying process?",
            "choice",
            Some(vec!["exploring", "evaluating", "deciding"]),
            "contact",
        ),
    ] {
        let input = serde_json::from_value(json!({
            "key": key, "label": label, "kind": kind, "options": options, "applies_to": applies_to,
        }))
        .map_err(|e| Error::Internal(e.to_string()))?;
        crm::create::<Question>(store, a, input).await?;
    }

    let mut book_entries = Vec::new();
    for (sku, name, unit, category, price, tiers) in [
        (
            "PLAT-ANA",
            "Analytics platform, annual licence",
            "seat",
            "Software",
            "480.00",
            json!([{"from_quantity": "50", "unit_price": "420.00"},
                   {"from_quantity": "200", "unit_price": "380.00"}]),
        ),
        (
            "IMPL-DAY",
            "Implementation day",
            "day",
            "Services",
            "1250.00",
            json!([]),
        ),
        (
            "TRAIN-ONS",
            "On-site training session",
            "session",
            "Services",
            "950.00",
            json!([]),
        ),
    ] {
        let product: Product = crm::create(
            store,
            a,
            parse(json!({"sku": sku, "name": name, "unit": unit, "category": category}))?,
        )
        .await?;
        book_entries.push(json!({
            "product_id": product.meta.id, "unit_price": price, "tiers": tiers,
        }));
    }
    let book: PriceBook = crm::create(
        store,
        a,
        parse(json!({"name": "Europe 2027", "currency": "EUR", "entries": book_entries}))?,
    )
    .await?;

    let mut made = Vec::new();
    let [rep, _, marketing, legal, _] = staff.as_slice() else {
        return Err(Error::Internal("the demo staff is incomplete".to_owned()));
    };
    made.push(seed_clauses(store, marketing, legal).await?);
    let mut sample = None;
    for (
        name,
        domain,
        industry,
        employees,
        country,
        address,
        contact,
        deal,
        stage,
        amount,
        currency,
        close,
    ) in [
        (
            "Müller Maschinenbau GmbH",
            "mueller-maschinenbau.de",
            "Manufacturing",
            850,
            "DE",
            "Industriestraße 12\n70565 Stuttgart",
            (
                "Jürgen",
                "Müller",
                "Head of Operations",
                "j.mueller@mueller-maschinenbau.de",
                "+49 711 555 0101",
            ),
            "Shop-floor analytics rollout",
            "proposal",
            "48000.00",
            "EUR",
            "2027-01-29",
        ),
        (
            "Northwind Health",
            "northwindhealth.com",
            "Healthcare",
            2300,
            "US",
            "400 Harbor Blvd\nBoston, MA 02110",
            (
                "Dana",
                "Okafor",
                "CIO",
                "dana.okafor@northwindhealth.com",
                "+1 617 555 0142",
            ),
            "Patient-portal modernisation",
            "negotiation",
            "126500.00",
            "USD",
            "2026-12-18",
        ),
        (
            "Fjordline Logistics AS",
            "fjordline.no",
            "Logistics",
            410,
            "NO",
            "Strandkaien 3\n5013 Bergen",
            (
                "Ingrid",
                "Solberg",
                "VP Finance",
                "ingrid.solberg@fjordline.no",
                "+47 55 55 01 23",
            ),
            "Fleet cost reporting",
            "qualified",
            "21000.00",
            "EUR",
            "2027-03-15",
        ),
    ] {
        let account: Account = crm::create(
            store,
            a,
            parse(json!({
                "name": name, "domain": domain, "industry": industry, "employee_count": employees,
                "country": country, "address": address,
            }))?,
        )
        .await?;
        let person: Contact = crm::create(
            store,
            a,
            parse(json!({
                "first_name": contact.0, "last_name": contact.1, "title": contact.2,
                "email": contact.3, "phone": contact.4, "account_id": account.meta.id,
                "owner_id": rep_id,
            }))?,
        )
        .await?;
        let deal: Deal = crm::create(store, a, parse(json!({
            "name": deal, "account_id": account.meta.id, "primary_contact_id": person.meta.id,
            "stage": stage, "amount": amount, "currency": currency, "expected_close_date": close,
            "next_step": "Send the proposal", "owner_id": rep_id,
        }))?).await?;
        crm::create::<Activity>(
            store,
            a,
            parse(json!({
                "kind": "call", "subject": format!("Discovery call with {}", person.full_name()),
                "body": "Walked through their current process and the pain points.",
                "deal_id": deal.meta.id, "contact_id": person.meta.id,
            }))?,
        )
        .await?;
        let mut answers = serde_json::Map::new();
        answers.insert("pilot_wanted".into(), json!(stage == "qualified"));
        profiling::put_answers(store, a, Subject::Deal, deal.meta.id, answers).await?;
        made.push(format!(
            "  {name}: deal \"{}\" ({stage}, {amount} {currency})",
            deal.name
        ));
        if currency == book.currency && sample.is_none() {
            let lines: Vec<serde_json::Value> = book
                .entries
                .0
                .iter()
                .zip([("40", "Software"), ("12", "Services"), ("4", "Services")])
                .map(|(entry, (quantity, group))| {
                    json!({"product_id": entry.product_id, "quantity": quantity,
                           "tax_rate": "19", "group": group})
                })
                .collect();
            let quote = quotes::create(
                store,
                a,
                parse(json!({
                    "deal_id": deal.meta.id, "price_book_id": book.meta.id, "currency": "EUR",
                    "lines": lines, "discount_percent": "5", "valid_until": close,
                    "payment_terms": "30 days net from invoice",
                    "notes": "Travel for on-site days is invoiced at cost.",
                }))?,
            )
            .await?;
            made.push(format!(
                "    quote revision {} for {} EUR including VAT",
                quote.revision, quote.totals.0.total.0
            ));
            let mut request = GenerateRequest::new(
                "proposal".to_owned(),
                ContextSubject::Deal(deal.meta.id),
                DocumentFormat::Pdf,
                false,
            );
            request.quote_id = Some(quote.meta.id);
            sample = Some(request);
        } else if currency == book.currency {
            // A deep discount the rep sends for approval: the manager's
            // queue has something to decide.
            let entry = book.entries.0.first().map(|e| e.product_id);
            let quote = quotes::create(
                store,
                rep,
                parse(json!({
                    "deal_id": deal.meta.id, "price_book_id": book.meta.id, "currency": "EUR",
                    "lines": [{"product_id": entry, "quantity": "30", "tax_rate": "25"}],
                    "discount_percent": "22", "valid_until": close,
                    "payment_terms": "30 days net from invoice",
                }))?,
            )
            .await?;
            quotes::workflow::submit(store, rep, quote.meta.id).await?;
            made.push(format!(
                "    quote revision {} at {} % off list, waiting for the manager's approval",
                quote.revision, quote.totals.0.effective_discount_percent.0
            ));
        }
    }
    let segment: Segment = crm::create(
        store,
        marketing,
        parse(json!({
            "key": "operations-contacts", "name": "Operations contacts in manufacturing and logistics",
            "subject": "contact",
            "rule": "account.industry in [\"Manufacturing\", \"Logistics\"]",
        }))?,
    )
    .await?;
    made.push(format!(
        "  segment `{}`: brochures for all of them with `dealdraft batch start --segment {} \
         --template brochure --format pdf --zip brochures.zip`",
        segment.key, segment.key
    ));
    Ok(Seeded {
        summary: format!(
            "Demo workspace seeded:\n{}\nSign in to the web app (/login) as the rep to start, or as any of:\n{}",
            made.join("\n"),
            logins.join("\n")
        ),
        sample,
    })
}

/// The clause library: liability (stricter above 100 000), payment terms
/// and governing law (German and US variants, English law otherwise),
/// approved by legal, and a `terms` template printing them.
async fn seed_clauses(store: &Store, marketing: &Actor, legal: &Actor) -> Result<String, Error> {
    for (key, title, category, variants) in [
        (
            "liability",
            "Limitation of liability",
            "liability",
            vec![
                (
                    None,
                    None,
                    "Each party's liability is limited to the fees paid in the twelve months before the claim.",
                ),
                (
                    Some("large"),
                    Some("deal.amount > 100000"),
                    "Each party's liability is limited to the fees paid in the six months before the claim, and in no case exceeds EUR 250,000.",
                ),
            ],
        ),
        (
            "payment-terms",
            "Payment",
            "payment",
            vec![(
                None,
                None,
                "Invoices are due within 30 days of their date. Late payments bear interest at the statutory rate.",
            )],
        ),
        (
            "governing-law",
            "Governing law",
            "governing-law",
            vec![
                (
                    None,
                    None,
                    "This agreement is governed by the laws of England and Wales.",
                ),
                (
                    Some("germany"),
                    Some("account.country == \"DE\""),
                    "This agreement is governed by the laws of the Federal Republic of Germany; the courts of Hamburg have jurisdiction.",
                ),
                (
                    Some("us"),
                    Some("account.country == \"US\""),
                    "This agreement is governed by the laws of the State of New York.",
                ),
            ],
        ),
    ] {
        crm::create::<Clause>(
            store,
            legal,
            parse(json!({"key": key, "title": title, "category": category}))?,
        )
        .await?;
        for (variant, rule, body) in variants {
            let version = versions::create(
                store,
                legal,
                key,
                NewVersion {
                    variant: variant.map(str::to_owned),
                    rule: rule.map(str::to_owned),
                    body: Some(body.to_owned()),
                },
            )
            .await?;
            workflow::submit(store, legal, version.meta.id).await?;
            workflow::decide(store, legal, version.meta.id, true, Review::default()).await?;
        }
    }
    crm::create::<Template>(
        store,
        marketing,
        parse(json!({
            "key": "terms", "kind": "proposal", "name": "Terms of business",
            "formats": ["pdf", "docx", "html"], "draft": TERMS,
        }))?,
    )
    .await?;
    template_store::publish(store, marketing, "terms").await?;
    // Marketing asks for longer payment terms: legal's review queue has
    // a change to read word by word.
    let longer = versions::create(
        store,
        marketing,
        "payment-terms",
        NewVersion {
            variant: None,
            rule: None,
            body: Some(
                "Invoices are due within 45 days of their date. Late payments bear interest at the statutory rate."
                    .to_owned(),
            ),
        },
    )
    .await?;
    workflow::submit(store, marketing, longer.meta.id).await?;
    Ok(
        "  clauses liability, payment-terms and governing-law (German, US and English law), \
        approved; the template `terms` prints them; 45-day payment terms wait for legal's review"
            .to_owned(),
    )
}

const TERMS: &str = "---
title: Terms of business for {{ deal.name }}
author: {{ seller.name }}
---
# Terms of business

Between {{ seller.name }} and {{ account.name }}, for {{ deal.name }}.

## Liability

{{ clause(key=\"liability\") }}

## Payment

{{ clause(key=\"payment-terms\") }}

## Governing law

{{ clause(key=\"governing-law\") }}
";

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, Error> {
    crate::input::from_json_value(v)
}
