//! The catalogue over HTTP on both databases: products and price books as
//! collections, who may write them, their checks, and both as CSV (an
//! import is all or nothing, each problem named by row and column).

mod common;

use common::{TestApp, both_backends, check_crud, id_of};
use reqwest::Method;
use serde_json::{Value, json};

const PRODUCTS: &str = "/api/v1/products";
const BOOKS: &str = "/api/v1/price-books";

async fn csv_post(app: &TestApp, path: &str, csv: &str) -> common::Res {
    app.raw(
        Method::POST,
        path,
        Some("text/csv"),
        csv.as_bytes().to_vec(),
    )
    .await
}

async fn csv_get(app: &TestApp, token: &str, path: &str) -> String {
    let file = app.download(token, path).await;
    assert_eq!(file.status, 200, "GET {path}");
    assert_eq!(file.content_type, "text/csv; charset=utf-8");
    String::from_utf8(file.bytes).expect("UTF-8")
}

async fn products_and_price_books_are_collections(app: &mut TestApp) {
    check_crud(
        app,
        PRODUCTS,
        json!({"sku": "PLAT-ANA", "name": "Analytics platform", "description": "Per seat, per year",
               "unit": "seat", "category": "Software", "active": true}),
        json!({"name": "Analytics platform (annual)", "active": false}),
        "description",
    )
    .await;
    let product = app
        .create(
            PRODUCTS,
            json!({"sku": "SVC-DAY", "name": "Consulting day"}),
        )
        .await;
    assert_eq!(product["unit"], "unit");
    assert_eq!(product["active"], true);
    check_crud(
        app,
        BOOKS,
        json!({"name": "Europe 2027", "currency": "EUR", "active": true,
               "entries": [{"product_id": id_of(&product), "unit_price": "1200.00",
                            "tiers": [{"from_quantity": "10", "unit_price": "1100.00"}]}]}),
        json!({"name": "Europe 2027 (list)"}),
        "entries",
    )
    .await;
}
both_backends!(products_and_price_books_are_collections);

async fn the_catalogue_is_checked_and_written_by_those_who_may(app: &mut TestApp) {
    let product = app
        .create(
            PRODUCTS,
            json!({"sku": "SVC-DAY", "name": "Consulting day"}),
        )
        .await;
    // SKUs are unique and plain.
    app.post_json(PRODUCTS, &json!({"sku": "SVC-DAY", "name": "Again"}))
        .await
        .assert_error(409, "conflict", &["sku"]);
    app.post_json(PRODUCTS, &json!({"sku": "two words", "name": "x"}))
        .await
        .assert_error(422, "validation_failed", &["sku"]);
    app.post_json(PRODUCTS, &json!({"name": "no sku"}))
        .await
        .assert_error(422, "validation_failed", &["sku"]);

    // Prices: not negative, tiers rising, products that exist, one entry
    // a product, a real currency that never changes.
    let entry = |price: &str, tiers: Value| json!({"product_id": id_of(&product), "unit_price": price, "tiers": tiers});
    for (body, field) in [
        (
            json!({"name": "B", "currency": "EUR", "entries": [entry("-1", json!([]))]}),
            "entries[0].unit_price",
        ),
        (
            json!({"name": "B", "currency": "EUR", "entries": [entry("10", json!([
                {"from_quantity": "10", "unit_price": "9"}, {"from_quantity": "5", "unit_price": "8"}]))]}),
            "entries[0].tiers[1].from_quantity",
        ),
        (
            json!({"name": "B", "currency": "EUR", "entries": [entry("10", json!([
                {"from_quantity": "0", "unit_price": "9"}]))]}),
            "entries[0].tiers[0].from_quantity",
        ),
        (
            json!({"name": "B", "currency": "EUR", "entries": [entry("10", json!([])), entry("11", json!([]))]}),
            "entries[1].product_id",
        ),
        (
            json!({"name": "B", "currency": "EURO", "entries": []}),
            "currency",
        ),
        (json!({"name": "B", "entries": []}), "currency"),
        (
            json!({"name": "B", "currency": "EUR", "entries": [
                {"product_id": common::new_id(), "unit_price": "1"}]}),
            "entries[0].product_id",
        ),
    ] {
        app.post_json(BOOKS, &body)
            .await
            .assert_error(422, "validation_failed", &[field]);
    }
    assert_eq!(app.list_all(BOOKS).await.len(), 0, "nothing was stored");
    let book = app
        .create(
            BOOKS,
            json!({"name": "Japan", "currency": "jpy", "entries": [entry("150000", json!([]))]}),
        )
        .await;
    assert_eq!(book["currency"], "JPY");
    app.patch_json(
        &format!("{BOOKS}/{}", id_of(&book)),
        &json!({"currency": "USD", "version": 1}),
    )
    .await
    .assert_error(422, "validation_failed", &["currency"]);

    // A product a book prices is not deleted; deactivating it is the way.
    app.delete(&format!("{PRODUCTS}/{}", id_of(&product)))
        .await
        .assert_error(409, "conflict", &[]);

    // Reps and marketing read the catalogue; managers write it.
    let (_, rep) = app.signed_in("rep").await;
    let (_, manager) = app.signed_in("manager").await;
    let (_, marketing) = app.signed_in("marketing").await;
    for reader in [&rep, &marketing] {
        let page = app
            .request_as(Some(reader), Method::GET, PRODUCTS, None)
            .await
            .expect(200);
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        app.request_as(
            Some(reader),
            Method::POST,
            PRODUCTS,
            Some(&json!({"sku": "X", "name": "x"})),
        )
        .await
        .assert_error(403, "forbidden", &[]);
    }
    app.request_as(
        Some(&manager),
        Method::POST,
        PRODUCTS,
        Some(&json!({"sku": "MGR-1", "name": "Made by a manager"})),
    )
    .await
    .expect(201);
}
both_backends!(the_catalogue_is_checked_and_written_by_those_who_may);

async fn products_and_prices_go_out_and_come_back_as_csv(app: &mut TestApp) {
    let (_, admin) = app.signed_in("admin").await;
    let imported = csv_post(
        app,
        "/api/v1/products/csv",
        "sku,name,description,unit,category,active\n\
         PLAT-ANA,Analytics platform,\"Per seat, per year\",seat,Software,true\n\
         SVC-DAY,Consulting day,,day,Services,\n\
         HACK-1,=1+1 formula,-starts with a dash,unit,,no\n",
    )
    .await
    .expect(200);
    assert_eq!(
        imported,
        json!({"created": 3, "updated": 0, "unchanged": 0})
    );
    let products = app.list_all(PRODUCTS).await;
    let hack = products
        .iter()
        .find(|p| p["sku"] == "HACK-1")
        .expect("imported as typed");
    assert_eq!(hack["name"], "=1+1 formula");
    assert_eq!(hack["active"], false);

    // Out again, a formula is never a formula in a spreadsheet, and the
    // file imports back as it was.
    let exported = csv_get(app, &admin, "/api/v1/products/csv").await;
    assert!(
        exported.starts_with("sku,name,description,unit,category,active\n"),
        "{exported}"
    );
    assert!(
        exported.contains("HACK-1,'=1+1 formula,'-starts with a dash,unit,,false"),
        "{exported}"
    );
    assert!(
        exported.contains("PLAT-ANA,Analytics platform,\"Per seat, per year\",seat,Software,true")
    );
    let again = csv_post(app, "/api/v1/products/csv", &exported)
        .await
        .expect(200);
    assert_eq!(again, json!({"created": 0, "updated": 0, "unchanged": 3}));

    // One bad row refuses the file: every problem named, nothing stored.
    let res = csv_post(
        app,
        "/api/v1/products/csv",
        "sku,name,active\n\
         NEW-1,A new product,true\n\
         ,No SKU,true\n\
         NEW-2,,maybe\n\
         NEW-1,Twice,true\n",
    )
    .await;
    res.assert_error(
        422,
        "validation_failed",
        &[
            "rows[3].sku",
            "rows[4].name",
            "rows[4].active",
            "rows[5].sku",
        ],
    );
    assert_eq!(app.list_all(PRODUCTS).await.len(), 3, "nothing was stored");
    csv_post(app, "/api/v1/products/csv", "sku,colour\nX,red\n")
        .await
        .assert_error(
            422,
            "validation_failed",
            &["rows[1].colour", "rows[1].name"],
        );
    app.raw(
        Method::POST,
        "/api/v1/products/csv",
        Some("application/json"),
        b"{}".to_vec(),
    )
    .await
    .assert_error(415, "unsupported_media_type", &[]);

    // A price book's entries: the file is its whole price list.
    let book = app
        .create(BOOKS, json!({"name": "Europe", "currency": "EUR"}))
        .await;
    let entries = format!("{BOOKS}/{}/entries/csv", id_of(&book));
    let updated = csv_post(
        app,
        &format!("{entries}?version=1"),
        "sku,unit_price,tiers\nPLAT-ANA,1200.00,10:1100.00;50:990.00\nSVC-DAY,1450,\n",
    )
    .await
    .expect(200);
    assert_eq!(updated["version"], 2);
    let by_sku = |sku: &str| {
        products
            .iter()
            .find(|p| p["sku"] == sku)
            .map(id_of)
            .unwrap()
    };
    assert_eq!(
        updated["entries"],
        json!([
            {"product_id": by_sku("PLAT-ANA"), "unit_price": "1200.00",
             "tiers": [{"from_quantity": "10", "unit_price": "1100.00"},
                       {"from_quantity": "50", "unit_price": "990.00"}]},
            {"product_id": by_sku("SVC-DAY"), "unit_price": "1450", "tiers": []},
        ])
    );
    let exported = csv_get(app, &admin, &entries).await;
    assert_eq!(
        exported,
        "sku,unit_price,tiers\nPLAT-ANA,1200.00,10:1100.00;50:990.00\nSVC-DAY,1450,\n"
    );
    let res = csv_post(
        app,
        &format!("{entries}?version=2"),
        "sku,unit_price,tiers\nNOPE,1,\nPLAT-ANA,ten,\nSVC-DAY,5,10:4;5:3\n",
    )
    .await;
    res.assert_error(
        422,
        "validation_failed",
        &[
            "rows[2].sku",
            "rows[3].unit_price",
            "rows[4].tiers[1].from_quantity",
        ],
    );
    // A stale version is refused as a PATCH would be.
    csv_post(
        app,
        &format!("{entries}?version=1"),
        "sku,unit_price\nSVC-DAY,1\n",
    )
    .await
    .assert_error(409, "conflict", &[]);
    assert_eq!(
        app.fetch(&format!("{BOOKS}/{}", id_of(&book))).await["version"],
        2,
        "nothing changed"
    );
}
both_backends!(products_and_prices_go_out_and_come_back_as_csv);
