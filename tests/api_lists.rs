//! Lists of every collection: cursor paging, `?q=` search with case and
//! accent folding, and `?updated_since=` with deletions.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{TestApp, both_backends, id_of, item_ids, sorted, ts, with_query};
use serde_json::{Value, json};

const ACCOUNTS: &str = "/api/v1/accounts";
const CONTACTS: &str = "/api/v1/contacts";
const DEALS: &str = "/api/v1/deals";
const ACTIVITIES: &str = "/api/v1/activities";
const QUESTIONS: &str = "/api/v1/profile-questions";

/// Accounts first: the support account that deals and activities need is
/// made after the accounts' own checks.
const COLLECTIONS: [&str; 5] = [ACCOUNTS, QUESTIONS, CONTACTS, DEALS, ACTIVITIES];

/// The text field a [`Maker`] fills.
fn text_field(collection: &str) -> &'static str {
    match collection {
        ACCOUNTS | DEALS => "name",
        CONTACTS => "last_name",
        QUESTIONS => "label",
        ACTIVITIES => "subject",
        other => panic!("unknown collection {other}"),
    }
}

/// Makes records of every collection whose main text field is a given text.
struct Maker {
    support_account: Option<String>,
    counter: usize,
}

impl Maker {
    fn new() -> Maker {
        Maker {
            support_account: None,
            counter: 0,
        }
    }

    async fn body(&mut self, app: &TestApp, collection: &str, text: &str) -> Value {
        self.counter += 1;
        match collection {
            ACCOUNTS => json!({ "name": text }),
            CONTACTS => json!({ "last_name": text }),
            QUESTIONS => json!({
                "key": format!("sq{}", self.counter),
                "label": text,
                "kind": "text",
                "applies_to": "account",
            }),
            DEALS | ACTIVITIES => {
                if self.support_account.is_none() {
                    self.support_account = Some(app.new_account("Support Holding").await);
                }
                let account = self.support_account.clone().unwrap();
                if collection == DEALS {
                    json!({ "name": text, "account_id": account })
                } else {
                    json!({ "kind": "note", "subject": text, "account_id": account })
                }
            }
            other => panic!("unknown collection {other}"),
        }
    }

    async fn make(&mut self, app: &TestApp, collection: &str, text: &str) -> String {
        let body = self.body(app, collection, text).await;
        id_of(&app.create(collection, body).await)
    }
}

async fn paging_25_records_by_10_has_no_duplicates_or_gaps(app: &mut TestApp) {
    let mut maker = Maker::new();
    for collection in COLLECTIONS {
        let mut created = Vec::new();
        for i in 0..25 {
            created.push(maker.make(app, collection, &format!("Record {i:02}")).await);
        }

        let mut seen: Vec<String> = Vec::new();
        let mut sizes = Vec::new();
        let mut cursor: Option<String> = None;
        for page_no in 0..3 {
            let mut path = format!("{collection}?limit=10");
            if let Some(c) = &cursor {
                path = with_query(&path, "cursor", c);
            }
            let page = app.fetch(&path).await;
            let ids = item_ids(&page);
            sizes.push(ids.len());
            seen.extend(ids);
            if page_no < 2 {
                let next = page["next_cursor"].as_str().unwrap_or_else(|| {
                    panic!("page {page_no} of {collection} has no next_cursor: {page}")
                });
                cursor = Some(next.to_string());
            } else {
                assert!(
                    page["next_cursor"].is_null(),
                    "last page of {collection}: {page}"
                );
            }
        }
        assert_eq!(sizes, vec![10, 10, 5], "{collection} page sizes");
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(
            unique.len(),
            25,
            "{collection}: duplicates across pages: {seen:?}"
        );
        assert_eq!(
            sorted(seen.clone()),
            sorted(created.clone()),
            "{collection}: not the 25 created"
        );
        if collection == QUESTIONS {
            // By position; new questions go last, so in creation order.
            assert_eq!(seen, created, "questions come by position");
        } else {
            assert_eq!(seen, sorted(seen.clone()), "{collection} items come by id");
        }

        // Bad paging parameters name the parameter.
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("limit=-1", "limit"),
            ("limit=ten", "limit"),
            ("cursor=garbage", "cursor"),
            ("cursor=%00%FF", "cursor"),
        ] {
            app.get(&format!("{collection}?{query}"))
                .await
                .assert_error(400, "bad_request", &[field]);
        }
        // A parameter the list does not know is refused, naming it.
        // So is one given twice: which of the two would win is a guess.
        for (query, field) in [
            ("colour=red", "colour"),
            ("limt=10", "limt"),
            ("Q=x", "Q"),
            ("limit=5&limit=6", "limit"),
            ("q=a&q=b", "q"),
        ] {
            app.get(&format!("{collection}?{query}"))
                .await
                .assert_error(400, "bad_request", &[field]);
        }
        // The bounds themselves are fine.
        assert_eq!(
            item_ids(&app.fetch(&format!("{collection}?limit=1")).await).len(),
            1
        );
        assert_eq!(
            item_ids(&app.fetch(&format!("{collection}?limit=200")).await).len(),
            25
        );
    }
}
both_backends!(paging_25_records_by_10_has_no_duplicates_or_gaps);

async fn paging_defaults_to_50_and_survives_inserts_between_pages(app: &mut TestApp) {
    let mut created = Vec::new();
    for i in 0..51 {
        created.push(app.new_account(&format!("Account {i:02}")).await);
    }
    let page = app.fetch(ACCOUNTS).await;
    assert_eq!(item_ids(&page).len(), 50, "default limit is 50");
    assert!(page["next_cursor"].is_string(), "{page}");
    let all = app.fetch(&format!("{ACCOUNTS}?limit=200")).await;
    assert_eq!(item_ids(&all).len(), 51);
    assert!(all["next_cursor"].is_null());

    // A record that sorts before the cursor, inserted between two pages,
    // neither repeats nor pushes out a record of the next page.
    let first = app.fetch(&format!("{ACCOUNTS}?limit=20")).await;
    let early_id = "00000000-0000-7000-8000-000000000001";
    app.create(ACCOUNTS, json!({ "id": early_id, "name": "Early bird" }))
        .await;
    let mut seen = item_ids(&first);
    let mut cursor = first["next_cursor"].as_str().map(str::to_string);
    while let Some(c) = cursor {
        let page = app
            .fetch(&with_query(&format!("{ACCOUNTS}?limit=20"), "cursor", &c))
            .await;
        seen.extend(item_ids(&page));
        cursor = page["next_cursor"].as_str().map(str::to_string);
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a record repeated: {seen:?}");
    let missing: Vec<&String> = created.iter().filter(|id| !seen.contains(id)).collect();
    assert!(missing.is_empty(), "skipped by paging: {missing:?}");
}
both_backends!(paging_defaults_to_50_and_survives_inserts_between_pages);

async fn search_folds_case_and_accents_and_treats_wildcards_literally(app: &mut TestApp) {
    let app: &TestApp = app;
    let mut maker = Maker::new();
    for collection in COLLECTIONS {
        let muller = maker.make(app, collection, "Müller Maschinenbau").await;
        let schmidt = maker.make(app, collection, "Schmidt Werke").await;
        let percent = maker.make(app, collection, "100% Organic").await;
        let _no_percent = maker.make(app, collection, "100 Organic").await;
        let underscore = maker.make(app, collection, "snake_case Labs").await;
        let _no_underscore = maker.make(app, collection, "snakeXcase Labs").await;

        let search = |q: &str| {
            let path = with_query(collection, "q", q);
            async move { sorted(app.list_ids(&path).await) }
        };
        for q in [
            "müller",
            "Müller",
            "MÜLLER",
            "muller",
            "MULLER",
            "Muller",
            "maschinenbau",
            "üll",
        ] {
            assert_eq!(search(q).await, vec![muller.clone()], "{collection}?q={q}");
        }
        assert_eq!(
            search("SCHMIDT").await,
            vec![schmidt.clone()],
            "{collection}?q=SCHMIDT"
        );
        assert_eq!(
            search("%").await,
            vec![percent.clone()],
            "{collection}?q=% must be literal"
        );
        assert_eq!(
            search("0%").await,
            vec![percent.clone()],
            "{collection}?q=0% must be literal"
        );
        assert_eq!(
            search("e_c").await,
            vec![underscore.clone()],
            "{collection}?q=e_c must be literal"
        );
        assert_eq!(
            search("_").await,
            vec![underscore.clone()],
            "{collection}?q=_ must be literal"
        );
        assert!(
            search("zzz-nothing").await.is_empty(),
            "{collection}?q=zzz-nothing"
        );
        for odd in ["'", "\"", "\\", "%_", "' OR 1=1 --", "😀"] {
            assert!(search(odd).await.is_empty(), "{collection}?q={odd}");
        }
    }
}
both_backends!(search_folds_case_and_accents_and_treats_wildcards_literally);

async fn search_covers_the_other_text_fields_too(app: &mut TestApp) {
    let app: &TestApp = app;
    let search = |collection: &'static str, q: &str| {
        let path = with_query(collection, "q", q);
        async move { sorted(app.list_ids(&path).await) }
    };
    let account = id_of(
        &app.create(
            ACCOUNTS,
            json!({ "name": "Plain AG", "industry": "Ölindustrie", "domain": "plain.example" }),
        )
        .await,
    );
    app.new_account("Other AG").await;
    assert_eq!(search(ACCOUNTS, "olindustrie").await, vec![account.clone()]);
    assert_eq!(
        search(ACCOUNTS, "PLAIN.EXAMPLE").await,
        vec![account.clone()]
    );

    let contact = id_of(
        &app.create(
            CONTACTS,
            json!({ "first_name": "Jürgen", "last_name": "Klein", "email": "jk@firma.example" }),
        )
        .await,
    );
    app.create(
        CONTACTS,
        json!({ "first_name": "Other", "last_name": "Person" }),
    )
    .await;
    assert_eq!(search(CONTACTS, "JURGEN").await, vec![contact.clone()]);
    assert_eq!(search(CONTACTS, "jk@firma").await, vec![contact.clone()]);

    let activity = id_of(
        &app.create(
            ACTIVITIES,
            json!({ "kind": "note", "subject": "Plain", "body": "Über den Zaun", "account_id": account }),
        )
        .await,
    );
    assert_eq!(search(ACTIVITIES, "uber den").await, vec![activity]);
}
both_backends!(search_covers_the_other_text_fields_too);

async fn updated_since_lists_changes_at_or_after_t_and_deletions(app: &mut TestApp) {
    let mut maker = Maker::new();
    for collection in COLLECTIONS {
        let old_untouched = maker.make(app, collection, "old untouched").await;
        let old_patched = maker.make(app, collection, "old, patched later").await;
        let old_deleted = maker.make(app, collection, "old, deleted later").await;
        let deleted_early = maker.make(app, collection, "deleted before T").await;
        let res = app.delete(&format!("{collection}/{deleted_early}")).await;
        assert_eq!(res.status, 204, "{res}");
        tokio::time::sleep(Duration::from_millis(20)).await;

        let boundary = maker.make(app, collection, "made at T").await;
        let boundary_record = app.fetch(&format!("{collection}/{boundary}")).await;
        let t = boundary_record["updated_at"].as_str().unwrap().to_string();
        tokio::time::sleep(Duration::from_millis(20)).await;

        let patched = app
            .patch_json(
                &format!("{collection}/{old_patched}"),
                &json!({ "version": 1, (text_field(collection)): "old, patched after T" }),
            )
            .await
            .expect(200);
        assert!(
            ts(&patched["updated_at"]) > ts(&json!(t)),
            "PATCH after T: {patched}"
        );
        let res = app.delete(&format!("{collection}/{old_deleted}")).await;
        assert_eq!(res.status, 204, "{res}");

        let page = app
            .fetch(&with_query(collection, "updated_since", &t))
            .await;
        let listed = sorted(item_ids(&page));
        let untouched = app.fetch(&format!("{collection}/{old_untouched}")).await;
        assert!(ts(&untouched["updated_at"]) < ts(&json!(t)));
        assert_eq!(
            listed,
            sorted(vec![boundary.clone(), old_patched.clone()]),
            "{collection}?updated_since={t}: {page}"
        );
        let deleted = page["deleted"]
            .as_array()
            .unwrap_or_else(|| panic!("{collection}?updated_since: no deleted array: {page}"));
        let deleted_ids: Vec<&str> = deleted.iter().map(|d| d["id"].as_str().unwrap()).collect();
        assert_eq!(
            deleted_ids,
            vec![old_deleted.as_str()],
            "{collection} deleted: {page}"
        );
        assert!(ts(&deleted[0]["deleted_at"]) >= ts(&json!(t)), "{page}");

        // A T after everything lists nothing.
        let later = app
            .fetch(&with_query(
                collection,
                "updated_since",
                "2999-01-01T00:00:00Z",
            ))
            .await;
        assert_eq!(later["items"], json!([]), "{later}");
        assert_eq!(later["deleted"], json!([]), "{later}");

        for bad in ["yesterday", "2025-13-01T00:00:00Z", "2025-01-01"] {
            app.get(&with_query(collection, "updated_since", bad))
                .await
                .assert_error(400, "bad_request", &["updated_since"]);
        }
    }
}
both_backends!(updated_since_lists_changes_at_or_after_t_and_deletions);

/// Lists and single reads are rendered as JSON by the database; the typed
/// records serialize themselves too (in a deal's contacts, in the domain
/// API). Both must give the very same JSON, on both backends.
async fn typed_records_serialize_exactly_as_the_database_renders_them(app: &mut TestApp) {
    use dealdraft::crm::{self, accounts::Account, activities::Activity, contacts::Contact};
    use dealdraft::crm::{deals::Deal, profiling::Question};
    use dealdraft::store::Id;

    let account = app
        .create(
            ACCOUNTS,
            json!({"name": "Ærø \"Quotes\" & <Tags> \\ back", "domain": "aero.dk", "industry": "Shipping",
                   "employee_count": 12, "country": "dk", "address": "Havnen 1\n5970 Ærøskøbing",
                   "credit_status": "watch", "credit_note": "tab\tinside"}),
        )
        .await;
    let contact = app
        .create(
            CONTACTS,
            json!({"first_name": "Åse", "last_name": "Ødegård", "email": "ase@aero.dk",
                   "phone": "+45 1234 5678", "account_id": id_of(&account), "title": "CFO"}),
        )
        .await;
    let deal = app
        .create(
            DEALS,
            json!({"name": "Ferry fleet", "account_id": id_of(&account), "primary_contact_id": id_of(&contact),
                   "stage": "proposal", "amount": "1234567.50", "currency": "DKK", "probability": 35,
                   "expected_close_date": "2027-02-28", "next_step": "Call", "next_step_date": "2026-12-01"}),
        )
        .await;
    let activity = app
        .create(
            ACTIVITIES,
            json!({"kind": "meeting", "subject": "Kick-off", "body": "Notes", "deal_id": id_of(&deal),
                   "occurred_at": "2026-11-20T10:00:00Z"}),
        )
        .await;
    let question = app
        .create(
            QUESTIONS,
            json!({"key": "fleet", "label": "Fleet", "kind": "multi", "options": ["ferries", "tugs"],
                   "applies_to": "account", "active": false}),
        )
        .await;

    let store = app.store().await;
    let id = |v: &Value| id_of(v).parse::<Id>().expect("uuid");
    let typed = [
        (
            ACCOUNTS,
            serde_json::to_value(crm::get::<Account>(&store, id(&account)).await.unwrap()),
        ),
        (
            CONTACTS,
            serde_json::to_value(crm::get::<Contact>(&store, id(&contact)).await.unwrap()),
        ),
        (
            DEALS,
            serde_json::to_value(crm::get::<Deal>(&store, id(&deal)).await.unwrap()),
        ),
        (
            ACTIVITIES,
            serde_json::to_value(crm::get::<Activity>(&store, id(&activity)).await.unwrap()),
        ),
        (
            QUESTIONS,
            serde_json::to_value(crm::get::<Question>(&store, id(&question)).await.unwrap()),
        ),
    ];
    store.close().await;
    for (collection, typed) in typed {
        let typed = typed.expect("serialize");
        let one = app.fetch(&format!("{collection}/{}", id_of(&typed))).await;
        assert_eq!(
            one, typed,
            "{collection}: GET differs from the typed record"
        );
        let listed = app.list_all(collection).await;
        let item = listed
            .iter()
            .find(|i| id_of(i) == id_of(&typed))
            .expect("record listed");
        assert_eq!(
            item, &typed,
            "{collection}: list item differs from the typed record"
        );
    }
}
both_backends!(typed_records_serialize_exactly_as_the_database_renders_them);

/// Stored JSON written by an older program (another render version) is
/// rendered again at start, so a record read after an upgrade has every
/// field of the current shape.
async fn stored_json_of_an_older_shape_is_rendered_again_at_start(app: &mut TestApp) {
    use dealdraft::store::Sql;

    let account = app
        .create(
            ACCOUNTS,
            json!({"name": "Örebro Verkstad AB", "country": "SE"}),
        )
        .await;
    let path = format!("{ACCOUNTS}/{}", id_of(&account));
    let store = app.store().await;
    let mut tx = store.begin().await.unwrap();
    tx.execute(&Sql::new(
        "UPDATE accounts SET json = '{\"stale\": true}', search_text = ''",
    ))
    .await
    .unwrap();
    tx.execute(&Sql::new(
        "UPDATE record_renders SET render_version = 0 WHERE table_name = 'accounts'",
    ))
    .await
    .unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    assert_eq!(
        app.fetch(&path).await,
        json!({"stale": true}),
        "the stale text is what is stored"
    );

    app.restart().await;
    assert_eq!(app.fetch(&path).await, account);
    let found = app.list_ids(&with_query(ACCOUNTS, "q", "orebro")).await;
    assert_eq!(
        found,
        vec![id_of(&account)],
        "search text rendered again too"
    );
}
both_backends!(stored_json_of_an_older_shape_is_rendered_again_at_start);
