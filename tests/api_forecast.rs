//! The forecast over HTTP on both databases, and from the command line:
//! the figures of a pipeline of two reps in two currencies checked against
//! a hand computation (conversion and weighting each rounded half-up to the
//! cent, groups adding the rounded lines), won and lost dated by the stage
//! history, a slipped deal read from the audit log, a stuck deal, a deal
//! without an exchange rate left out; who may read whose forecast;
//! snapshots with the forecast's totals, and each rep's accuracy over an
//! ended period measured from the first snapshot; the pipeline report as
//! PDF and DOCX with its chart, made again byte for byte; and
//! `dealdraft forecast` printing what the API answers.

mod common;
mod tools;

use std::ffi::OsStr;
use std::io::{Cursor, Read};
use std::process::Command;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, Utc};
use common::{Backend, TestApp, both_backends, id_of};
use dealdraft::forecast::snapshots::{Snapshot, SnapshotKind};
use dealdraft::store::records::{self, Meta};
use dealdraft::store::{Amount, Date, Id, Sql, Timestamp};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tools::{POPPLER, squeeze, tool};

const FORECAST: &str = "/api/v1/forecast";
const SNAPSHOTS: &str = "/api/v1/forecast/snapshots";
const ACCURACY: &str = "/api/v1/forecast/accuracy";
const REPORT: &str = "/api/v1/forecast/report";
const DEALS: &str = "/api/v1/deals";

// ---- dates -------------------------------------------------------------------

/// A quarter: its label (`2026-Q4`), first and last day.
#[derive(Clone, Debug)]
struct Quarter {
    label: String,
    from: NaiveDate,
    to: NaiveDate,
}

impl Quarter {
    fn of(day: NaiveDate) -> Quarter {
        let q = (day.month() - 1) / 3 + 1;
        let from = NaiveDate::from_ymd_opt(day.year(), (q - 1) * 3 + 1, 1).unwrap();
        let to = from
            .checked_add_months(Months::new(3))
            .unwrap()
            .pred_opt()
            .unwrap();
        Quarter {
            label: format!("{}-Q{q}", day.year()),
            from,
            to,
        }
    }

    /// The quarter before this one.
    fn previous(&self) -> Quarter {
        Quarter::of(self.from.pred_opt().unwrap())
    }

    /// Day `day` of the quarter's month `n` (0, 1 or 2).
    fn day(&self, n: u32, day: u32) -> NaiveDate {
        self.from
            .checked_add_months(Months::new(n))
            .unwrap()
            .with_day(day)
            .unwrap()
    }

    /// Its months, `YYYY-MM`.
    fn months(&self) -> [String; 3] {
        [0, 1, 2].map(|n| self.day(n, 1).format("%Y-%m").to_string())
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_opt(hour, 0, 0).unwrap())
        .and_utc()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

fn id(s: &str) -> Id {
    s.parse()
        .unwrap_or_else(|e| panic!("{s:?} is not an id: {e}"))
}

// ---- the scene ---------------------------------------------------------------

/// A rep: id, name, e-mail and session token.
struct Rep {
    id: String,
    name: String,
    email: String,
    token: String,
}

/// A user of `role` named `name`, signed in.
async fn user(app: &TestApp, role: &str, name: &str) -> Rep {
    let email = format!("{}-{}@example.com", role, common::new_id());
    let password = format!("{role}-password-1");
    let made = app
        .create(
            "/api/v1/users",
            json!({"email": email, "name": name, "role": role, "password": password}),
        )
        .await;
    let token = app.login(&email, &password).await.expect(200)["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    Rep {
        id: id_of(&made),
        name: name.to_owned(),
        email,
        token,
    }
}

/// Sets the base currency to EUR with one US dollar worth 0.90 euros; no
/// rate for pounds.
async fn euro_with_dollar_rate(app: &TestApp) {
    let settings = app.fetch("/api/v1/settings").await;
    let patched = app
        .patch_json(
            "/api/v1/settings",
            &json!({"base_currency": "EUR", "exchange_rates": {"USD": "0.9"},
                    "version": settings["version"]}),
        )
        .await
        .expect(200);
    assert_eq!(patched["base_currency"], "EUR", "{patched}");
}

/// Rewrites every stage change of `deal` to `when`: as if it had been
/// created in (or moved to) its current stage then.
async fn date_stage_history(app: &TestApp, deal: &str, when: DateTime<Utc>) {
    let store = app.store().await;
    let mut tx = store.begin().await.expect("begin");
    let mut sql = Sql::new("UPDATE deal_stage_changes SET changed_at = ");
    sql.bind(Timestamp::from(when))
        .push(" WHERE deal_id = ")
        .bind(id(deal));
    let changed = tx.execute(&sql).await.expect("update the stage history");
    assert!(changed >= 1, "deal {deal} has no stage history");
    tx.commit().await.expect("commit");
    store.close().await;
}

async fn new_deal(app: &TestApp, body: Value) -> String {
    id_of(&app.create(DEALS, body).await)
}

async fn patch_deal(app: &TestApp, deal: &str, mut body: Value) {
    let current = app.fetch(&format!("{DEALS}/{deal}")).await;
    body["version"] = current["version"].clone();
    app.patch_json(&format!("{DEALS}/{deal}"), &body)
        .await
        .expect(200);
}

/// Two reps' pipeline, in the current quarter `q` (see [`pipeline`]).
struct Pipeline {
    q: Quarter,
    alice: Rep,
    bob: Rep,
    /// Atlas renewal: stuck in negotiation for 60 days.
    atlas: String,
    /// Delta expansion: won today.
    delta: String,
    /// Garnet support: its close date moved from month 1 to month 3.
    garnet: String,
    /// Harbor: lost today.
    harbor: String,
    /// Juniper: in pounds, which have no rate.
    juniper: String,
    /// Iris: expected after the quarter.
    iris: String,
    d1: NaiveDate,
    d3: NaiveDate,
}

/// The scene of every test but accuracy. Base EUR, 1 USD = 0.9 EUR, the
/// current quarter `q` with months M1, M2, M3; D1 = M1-10, D2 = M2-15,
/// D3 = M3-20.
///
/// Alice Archer (account Acme):
///  - Atlas renewal: negotiation (75 %), 10000.00 EUR, D1; its stage
///    history dated 60 days ago, so stuck.
///  - Beacon rollout: proposal at 55 %, 1000.05 USD, D2.
///  - Cobalt pilot: qualified (25 %), 1234.55 USD, D3.
///  - Delta expansion: proposal, 5000.50 EUR, D2, then moved to won.
///  - Juniper UK: proposal, 1500.00 GBP, D2 (no rate: left out).
///
/// Bob Brandt (account Globex):
///  - Ember migration: negotiation at 80 %, 2500.01 USD, D1.
///  - Falcon upgrade: lead (10 %), 777.77 EUR, after the quarter, then
///    pulled in to D3 (earlier: not slipped).
///  - Garnet support: proposal (50 %), 1999.99 EUR, D1, then moved to D3.
///  - Harbor renewal: qualified, 4000.00 USD, D2, then moved to lost.
///  - Iris outside: negotiation, 9999.99 EUR, 15 days after the quarter,
///    then 30 days later still (not slipped: it was never due in it).
async fn pipeline(app: &TestApp) -> Pipeline {
    euro_with_dollar_rate(app).await;
    let q = Quarter::of(today());
    let (d1, d2, d3) = (q.day(0, 10), q.day(1, 15), q.day(2, 20));
    let outside = q.to + Duration::days(15);
    let alice = user(app, "rep", "Alice Archer").await;
    let bob = user(app, "rep", "Bob Brandt").await;
    let acme = app.new_account("Acme").await;
    let globex = app.new_account("Globex").await;
    let deal =
        |name: &str, rep: &Rep, stage: &str, amount: &str, currency: &str, close: NaiveDate| {
            json!({"name": name, "account_id": if rep.id == alice.id { &acme } else { &globex },
               "owner_id": rep.id, "stage": stage, "amount": amount, "currency": currency,
               "expected_close_date": close})
        };
    let atlas = new_deal(
        app,
        deal(
            "Atlas renewal",
            &alice,
            "negotiation",
            "10000.00",
            "EUR",
            d1,
        ),
    )
    .await;
    let mut beacon = deal("Beacon rollout", &alice, "proposal", "1000.05", "USD", d2);
    beacon["probability"] = json!(55);
    new_deal(app, beacon).await;
    new_deal(
        app,
        deal("Cobalt pilot", &alice, "qualified", "1234.55", "USD", d3),
    )
    .await;
    let delta = new_deal(
        app,
        deal("Delta expansion", &alice, "proposal", "5000.50", "EUR", d2),
    )
    .await;
    let juniper = new_deal(
        app,
        deal("Juniper UK", &alice, "proposal", "1500.00", "GBP", d2),
    )
    .await;
    let mut ember = deal("Ember migration", &bob, "negotiation", "2500.01", "USD", d1);
    ember["probability"] = json!(80);
    new_deal(app, ember).await;
    let falcon = new_deal(
        app,
        deal("Falcon upgrade", &bob, "lead", "777.77", "EUR", outside),
    )
    .await;
    let garnet = new_deal(
        app,
        deal("Garnet support", &bob, "proposal", "1999.99", "EUR", d1),
    )
    .await;
    let harbor = new_deal(
        app,
        deal("Harbor renewal", &bob, "qualified", "4000.00", "USD", d2),
    )
    .await;
    let iris = new_deal(
        app,
        deal(
            "Iris outside",
            &bob,
            "negotiation",
            "9999.99",
            "EUR",
            outside,
        ),
    )
    .await;

    // Won and lost today, by the stage history the PATCH writes.
    patch_deal(app, &delta, json!({"stage": "won"})).await;
    patch_deal(app, &harbor, json!({"stage": "lost"})).await;
    // Slipped: D1 → D3, today (the audit log keeps both dates).
    patch_deal(app, &garnet, json!({"expected_close_date": d3})).await;
    // Not slipped: Falcon pulled in from after the quarter to D3; Iris
    // pushed from after the quarter to later still.
    patch_deal(app, &falcon, json!({"expected_close_date": d3})).await;
    patch_deal(
        app,
        &iris,
        json!({"expected_close_date": outside + Duration::days(30)}),
    )
    .await;
    // Stuck: in negotiation since 60 days ago.
    date_stage_history(app, &atlas, Utc::now() - Duration::days(60)).await;

    Pipeline {
        q,
        alice,
        bob,
        atlas,
        delta,
        garnet,
        harbor,
        juniper,
        iris,
        d1,
        d3,
    }
}

/// A group's figures as the API prints them.
#[allow(clippy::too_many_arguments)]
fn figures(
    open_deals: i64,
    pipeline: &str,
    weighted: &str,
    commit: &str,
    best_case: &str,
    won: &str,
    won_deals: i64,
    lost: &str,
    lost_deals: i64,
) -> Value {
    json!({"open_deals": open_deals, "pipeline": pipeline, "weighted": weighted,
           "commit": commit, "best_case": best_case, "won": won, "won_deals": won_deals,
           "lost": lost, "lost_deals": lost_deals})
}

// The hand computation. Each amount in euros, rounded half-up to the cent;
// weighted = that × probability / 100, rounded half-up to the cent.
//
//   deal      rep  month  stage        prob  amount        in EUR                 weighted
//   Atlas     A    M1     negotiation  75    10000.00 EUR  10000.00               7500.00
//   Beacon    A    M2     proposal     55    1000.05 USD   900.045   -> 900.05    495.0275  -> 495.03
//   Cobalt    A    M3     qualified    25    1234.55 USD   1111.095  -> 1111.10   277.775   -> 277.78
//   Ember     B    M1     negotiation  80    2500.01 USD   2250.009  -> 2250.01   1800.008  -> 1800.01
//   Falcon    B    M3     lead         10    777.77 EUR    777.77                 77.777    -> 77.78
//   Garnet    B    M3     proposal     50    1999.99 EUR   1999.99                999.995   -> 1000.00
//   Delta     A    today  won                5000.50 EUR   5000.50
//   Harbor    B    today  lost               4000.00 USD   3600.00
//   Juniper   A    M2     (GBP: no rate, left out)
//   Iris      B    after the quarter (not counted)
//
// (Rounding the weighted figure from the unrounded conversion would give
// Beacon 495.02 and Cobalt 277.77: the totals below tell them apart.)
//
// Commit (≥ 75 %): Atlas, Ember. Best case (≥ 50 %): Atlas, Beacon, Ember,
// Garnet.

/// Totals: 6 open deals.
///   pipeline  10000.00 + 900.05 + 1111.10 + 2250.01 + 777.77 + 1999.99 = 17038.92
///   weighted  7500.00 + 495.03 + 277.78 + 1800.01 + 77.78 + 1000.00   = 11150.60
///   commit    10000.00 + 2250.01                                      = 12250.01
///   best case 10000.00 + 900.05 + 2250.01 + 1999.99                   = 15150.05
///   won 5000.50 (1), lost 3600.00 (1)
fn expected_totals() -> Value {
    figures(
        6, "17038.92", "11150.60", "12250.01", "15150.05", "5000.50", 1, "3600.00", 1,
    )
}

/// Alice: Atlas, Beacon, Cobalt open; Delta won.
///   pipeline  10000.00 + 900.05 + 1111.10 = 12011.15
///   weighted  7500.00 + 495.03 + 277.78   = 8272.81
///   commit    10000.00
///   best case 10000.00 + 900.05           = 10900.05
fn expected_alice() -> Value {
    figures(
        3, "12011.15", "8272.81", "10000.00", "10900.05", "5000.50", 1, "0.00", 0,
    )
}

/// Bob: Ember, Falcon, Garnet open; Harbor lost.
///   pipeline  2250.01 + 777.77 + 1999.99 = 5027.77
///   weighted  1800.01 + 77.78 + 1000.00  = 2877.79
///   commit    2250.01
///   best case 2250.01 + 1999.99          = 4250.00
fn expected_bob() -> Value {
    figures(
        3, "5027.77", "2877.79", "2250.01", "4250.00", "0.00", 0, "3600.00", 1,
    )
}

/// By month of expected close; won and lost in the month of today.
///   M1: Atlas, Ember   pipeline 12250.01, weighted 7500.00 + 1800.01 = 9300.01,
///                      commit 12250.01, best case 12250.01
///   M2: Beacon         pipeline 900.05, weighted 495.03, commit 0.00, best case 900.05
///   M3: Cobalt, Falcon, Garnet
///                      pipeline 1111.10 + 777.77 + 1999.99 = 3888.86,
///                      weighted 277.78 + 77.78 + 1000.00 = 1355.56,
///                      commit 0.00, best case 1999.99
///   (9300.01 + 495.03 + 1355.56 = 11150.60, the total.)
fn expected_by_month(q: &Quarter) -> Value {
    let months = q.months();
    let this_month = today().format("%Y-%m").to_string();
    let closed = |m: &str| match m == this_month {
        true => ("5000.50", 1, "3600.00", 1),
        false => ("0.00", 0, "0.00", 0),
    };
    let rows = [
        (2, "12250.01", "9300.01", "12250.01", "12250.01"),
        (1, "900.05", "495.03", "0.00", "900.05"),
        (3, "3888.86", "1355.56", "0.00", "1999.99"),
    ];
    let mut out = Vec::new();
    for (i, month) in months.iter().enumerate() {
        let (won, won_deals, lost, lost_deals) = closed(month);
        let (open, pipeline, weighted, commit, best) = rows[i];
        let mut f = figures(
            open, pipeline, weighted, commit, best, won, won_deals, lost, lost_deals,
        );
        f["month"] = json!(month);
        out.push(f);
    }
    Value::Array(out)
}

/// By stage, in the stages' order:
///   lead         Falcon          1, 777.77, 77.78
///   qualified    Cobalt          1, 1111.10, 277.78
///   proposal     Beacon, Garnet  2, 900.05 + 1999.99 = 2900.04, 495.03 + 1000.00 = 1495.03
///   negotiation  Atlas, Ember    2, 10000.00 + 2250.01 = 12250.01, 7500.00 + 1800.01 = 9300.01
fn expected_by_stage() -> Value {
    json!([
        {"stage": "lead", "open_deals": 1, "amount": "777.77", "weighted": "77.78"},
        {"stage": "qualified", "open_deals": 1, "amount": "1111.10", "weighted": "277.78"},
        {"stage": "proposal", "open_deals": 2, "amount": "2900.04", "weighted": "1495.03"},
        {"stage": "negotiation", "open_deals": 2, "amount": "12250.01", "weighted": "9300.01"},
    ])
}

/// The figures of `value` (a total, month or rep), without other keys.
fn only_figures(value: &Value, extra: &[&str]) -> Value {
    let keys = [
        "open_deals",
        "pipeline",
        "weighted",
        "commit",
        "best_case",
        "won",
        "won_deals",
        "lost",
        "lost_deals",
    ];
    let mut out = serde_json::Map::new();
    for key in keys.iter().chain(extra) {
        out.insert(
            (*key).to_owned(),
            value.get(*key).cloned().unwrap_or(Value::Null),
        );
    }
    Value::Object(out)
}

fn names(lines: &Value) -> Vec<&str> {
    lines
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {lines}"))
        .iter()
        .map(|l| {
            l["name"]
                .as_str()
                .or_else(|| l["deal"]["name"].as_str())
                .unwrap_or("?")
        })
        .collect()
}

async fn get_as(app: &TestApp, token: &str, path: &str) -> common::Res {
    app.request_as(Some(token), Method::GET, path, None).await
}

// ---- 1. the figures ------------------------------------------------------------

async fn the_figures_match_a_hand_computation(app: &mut TestApp) {
    let p = pipeline(app).await;
    let f = app.fetch(FORECAST).await;

    assert_eq!(
        f["period"],
        json!({"label": p.q.label, "from": p.q.from, "to": p.q.to}),
        "the current quarter is the default: {f}"
    );
    assert_eq!(f["currency"], "EUR");
    assert_eq!(f["rep_id"], Value::Null, "everyone's: {f}");
    assert_eq!(f["stuck_days"], 30);
    assert_eq!(f["totals"], expected_totals(), "totals");
    let by_month: Vec<Value> = f["by_month"]
        .as_array()
        .expect("by_month")
        .iter()
        .map(|m| only_figures(m, &["month"]))
        .collect();
    assert_eq!(Value::Array(by_month), expected_by_month(&p.q), "by_month");

    // By rep, the larger weighted first: Alice 8272.81, Bob 2877.79.
    let by_rep: Vec<Value> = f["by_rep"]
        .as_array()
        .expect("by_rep")
        .iter()
        .map(|r| only_figures(r, &["rep_id", "rep_name"]))
        .collect();
    let mut alice = expected_alice();
    alice["rep_id"] = json!(p.alice.id);
    alice["rep_name"] = json!(p.alice.name);
    let mut bob = expected_bob();
    bob["rep_id"] = json!(p.bob.id);
    bob["rep_name"] = json!(p.bob.name);
    assert_eq!(Value::Array(by_rep), json!([alice, bob]), "by_rep");
    assert_eq!(f["by_stage"], expected_by_stage(), "by_stage");

    // Won and lost, with their amounts in euros.
    let won = &f["won"];
    assert_eq!(names(won), ["Delta expansion"], "won: {won}");
    assert_eq!(won[0]["id"], p.delta);
    assert_eq!(won[0]["amount_base"], "5000.50");
    assert_eq!(won[0]["owner_name"], "Alice Archer");
    assert_eq!(won[0]["account_name"], "Acme");
    let lost = &f["lost"];
    assert_eq!(names(lost), ["Harbor renewal"], "lost: {lost}");
    assert_eq!(lost[0]["id"], p.harbor);
    assert_eq!(lost[0]["amount_base"], "3600.00", "4000.00 USD × 0.9");
    assert_eq!(lost[0]["currency"], "USD");

    // Slipped: Garnet, D1 → D3, moved today.
    let slipped = f["slipped"].as_array().expect("slipped");
    assert_eq!(slipped.len(), 1, "one deal slipped: {slipped:?}");
    let s = &slipped[0];
    assert_eq!(s["deal"]["id"], p.garnet);
    assert_eq!(s["deal"]["name"], "Garnet support");
    assert_eq!(s["from"], json!(p.d1));
    assert_eq!(s["to"], json!(p.d3));
    assert_eq!(s["moved_on"], json!(today()));
    assert_eq!(s["days"], (p.d3 - p.d1).num_days(), "{s}");

    // Stuck: Atlas, in negotiation for 60 days; nothing else is older
    // than a day.
    let stuck = f["stuck"].as_array().expect("stuck");
    assert_eq!(stuck.len(), 1, "one deal stuck: {stuck:?}");
    assert_eq!(stuck[0]["deal"]["id"], p.atlas);
    assert_eq!(stuck[0]["deal"]["stage"], "negotiation");
    assert_eq!(stuck[0]["since"], json!(today() - Duration::days(60)));
    assert_eq!(stuck[0]["days"], 60);

    // Left out: Juniper, in pounds.
    let unconverted = &f["unconverted"];
    assert_eq!(names(unconverted), ["Juniper UK"], "{unconverted}");
    assert_eq!(unconverted[0]["id"], p.juniper);
    assert_eq!(unconverted[0]["amount_base"], Value::Null);
    assert_eq!(unconverted[0]["currency"], "GBP");

    // Iris (after the quarter) counts nowhere.
    let all = f.to_string();
    assert!(
        !all.contains(&p.iris),
        "a deal expected after the period appears in its forecast: {f}"
    );

    // A month is a period too: each month of the quarter has the figures
    // its row above has.
    let rows = expected_by_month(&p.q);
    for (i, month) in p.q.months().iter().enumerate() {
        let m = app.fetch(&format!("{FORECAST}?period={month}")).await;
        assert_eq!(m["period"]["label"], json!(month));
        let mut row = rows[i].clone();
        row.as_object_mut().unwrap().remove("month");
        assert_eq!(m["totals"], row, "the totals of {month}");
        assert_eq!(m["by_month"].as_array().map(Vec::len), Some(1), "{m}");
    }
    // The same quarter named explicitly is the same forecast; a longer
    // stuck limit leaves Atlas out.
    let named = app
        .fetch(&format!("{FORECAST}?period={}", p.q.label.to_lowercase()))
        .await;
    assert_eq!(named, f, "?period={} vs the default", p.q.label);
    let patient = app.fetch(&format!("{FORECAST}?stuck_days=61")).await;
    assert_eq!(patient["stuck_days"], 61);
    assert_eq!(patient["stuck"], json!([]), "60 days is not more than 61");
    assert_eq!(patient["totals"], expected_totals());
    let strict = app.fetch(&format!("{FORECAST}?stuck_days=59")).await;
    assert_eq!(names(&strict["stuck"]), ["Atlas renewal"]);
    for bad in ["0", "-1", "3651"] {
        let res = app.get(&format!("{FORECAST}?stuck_days={bad}")).await;
        res.assert_error(400, "bad_request", &["stuck_days"]);
        assert!(
            res.body["error"]["fields"]["stuck_days"]
                .as_str()
                .is_some_and(|m| m.contains("1 to 3650")),
            "stuck_days={bad}: {res}"
        );
    }
}
both_backends!(
    figures_match_a_hand_computation,
    the_figures_match_a_hand_computation
);

// ---- 2. who reads whose forecast -------------------------------------------------

async fn each_role_reads_only_the_forecast_it_may(app: &mut TestApp) {
    let p = pipeline(app).await;
    let manager = user(app, "manager", "Mona Manager").await;
    let marketing = user(app, "marketing", "Mark Eting").await;
    let legal = user(app, "legal", "Lee Gal").await;

    // A rep gets their own by default, and may name themselves.
    let own = get_as(app, &p.alice.token, FORECAST).await.expect(200);
    assert_eq!(own["rep_id"], p.alice.id, "a rep's default is their own");
    assert_eq!(own["totals"], expected_alice(), "Alice's totals");
    let reps: Vec<&Value> = own["by_rep"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["rep_id"])
        .collect();
    assert_eq!(reps, [&json!(p.alice.id)], "only Alice: {own}");
    assert_eq!(names(&own["lost"]), Vec::<&str>::new(), "Bob's loss");
    assert_eq!(own["slipped"], json!([]), "Bob's slipped deal: {own}");
    let named = get_as(
        app,
        &p.alice.token,
        &format!("{FORECAST}?rep_id={}", p.alice.id),
    )
    .await
    .expect(200);
    assert_eq!(named, own);
    let bobs = get_as(app, &p.bob.token, FORECAST).await.expect(200);
    assert_eq!(bobs["totals"], expected_bob(), "Bob's totals");
    assert_eq!(names(&bobs["slipped"]), ["Garnet support"]);
    assert_eq!(names(&bobs["stuck"]), Vec::<&str>::new(), "Alice's Atlas");

    // Not someone else's, in any of the forecast's reads.
    let other = format!("?rep_id={}", p.bob.id);
    for path in [FORECAST, SNAPSHOTS, ACCURACY] {
        get_as(app, &p.alice.token, &format!("{path}{other}"))
            .await
            .assert_error(403, "forbidden", &[]);
    }
    for (method, path) in [(Method::POST, SNAPSHOTS), (Method::POST, REPORT)] {
        let mut body = json!({"rep_id": p.bob.id});
        if path == REPORT {
            body["format"] = json!("html");
        }
        app.request_as(Some(&p.alice.token), method, path, Some(&body))
            .await
            .assert_error(403, "forbidden", &[]);
    }

    // Marketing and legal read no forecast at all.
    for who in [&marketing, &legal] {
        for path in [FORECAST, SNAPSHOTS, ACCURACY] {
            get_as(app, &who.token, path)
                .await
                .assert_error(403, "forbidden", &[]);
        }
        for (path, body) in [(SNAPSHOTS, json!({})), (REPORT, json!({"format": "pdf"}))] {
            app.request_as(Some(&who.token), Method::POST, path, Some(&body))
                .await
                .assert_error(403, "forbidden", &[]);
        }
    }

    // A manager reads everyone's, or one rep's.
    let all = get_as(app, &manager.token, FORECAST).await.expect(200);
    assert_eq!(all["rep_id"], Value::Null);
    assert_eq!(all["totals"], expected_totals());
    let reps: Vec<&Value> = all["by_rep"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["rep_id"])
        .collect();
    assert_eq!(reps, [&json!(p.alice.id), &json!(p.bob.id)], "{all}");
    let bob_only = get_as(app, &manager.token, &format!("{FORECAST}{other}"))
        .await
        .expect(200);
    assert_eq!(bob_only["rep_id"], p.bob.id);
    assert_eq!(bob_only["totals"], expected_bob());
    assert_eq!(bob_only, bobs, "a manager sees Bob's as Bob does");

    // A period that is none is the caller's mistake, named.
    for bad in ["2026-Q5", "2026-13", "next", "26", "2026-Q0"] {
        get_as(
            app,
            &manager.token,
            &format!("{FORECAST}?period={}", common::enc(bad)),
        )
        .await
        .assert_error(400, "bad_request", &["period"]);
    }
}
both_backends!(
    roles_read_only_the_forecast_they_may,
    each_role_reads_only_the_forecast_it_may
);

// ---- 3. snapshots and accuracy ---------------------------------------------------

/// A snapshot of rep `rep` of quarter `q`, taken at `when`, committing
/// `commit` and `weighted`; `weekly` makes it a weekly one.
async fn past_snapshot(
    app: &TestApp,
    rep: &str,
    q: &Quarter,
    when: DateTime<Utc>,
    commit: &str,
    weighted: &str,
    weekly: bool,
) -> String {
    let taken = Timestamp::from(when);
    let snapshot = Snapshot {
        meta: Meta {
            id: Id::new(),
            version: 1,
            created_at: taken,
            updated_at: taken,
        },
        kind: if weekly {
            SnapshotKind::Weekly
        } else {
            SnapshotKind::OnDemand
        },
        week: weekly.then(|| {
            let w = when.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }),
        period: q.label.clone(),
        period_from: Date(q.from),
        period_to: Date(q.to),
        rep_id: id(rep),
        currency: "EUR".to_owned(),
        open_deals: 4,
        pipeline: Amount(dec("50000.00")),
        weighted: Amount(dec(weighted)),
        commit: Amount(dec(commit)),
        best_case: Amount(dec("30000.00")),
        won: Amount(dec("0.00")),
        lost: Amount(dec("0.00")),
        taken_by: id(rep),
    };
    let store = app.store().await;
    let mut tx = store.begin().await.expect("begin");
    records::insert(&mut tx, &snapshot)
        .await
        .expect("insert a snapshot");
    tx.commit().await.expect("commit");
    store.close().await;
    snapshot.meta.id.to_string()
}

/// A deal of `rep` won on `day` (its stage history says so).
async fn won_on(
    app: &TestApp,
    rep: &Rep,
    account: &str,
    amount: &str,
    currency: &str,
    day: NaiveDate,
) {
    let deal = new_deal(
        app,
        json!({"name": format!("Won {amount} {currency} {day}"), "account_id": account,
               "owner_id": rep.id, "stage": "won", "amount": amount, "currency": currency,
               "expected_close_date": day}),
    )
    .await;
    date_stage_history(app, &deal, at(day, 14)).await;
}

async fn snapshots_keep_the_forecast_and_accuracy_reads_the_first(app: &mut TestApp) {
    let p = pipeline(app).await;
    let manager = user(app, "manager", "Mona Manager").await;

    // A manager's snapshot: one per rep who owns deals, with the totals of
    // that rep's forecast.
    let taken = app
        .request_as(
            Some(&manager.token),
            Method::POST,
            SNAPSHOTS,
            Some(&json!({})),
        )
        .await
        .expect(201);
    let items = taken["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "one snapshot per rep: {taken}");
    for (rep, expected) in [(&p.alice, expected_alice()), (&p.bob, expected_bob())] {
        let s = items
            .iter()
            .find(|s| s["rep_id"] == rep.id)
            .unwrap_or_else(|| panic!("no snapshot of {}: {taken}", rep.name));
        let forecast = app.fetch(&format!("{FORECAST}?rep_id={}", rep.id)).await;
        let t = &forecast["totals"];
        assert_eq!(t, &expected);
        assert_eq!(s["kind"], "on_demand", "{s}");
        assert_eq!(s["week"], Value::Null, "{s}");
        assert_eq!(s["period"], p.q.label);
        assert_eq!(s["period_from"], json!(p.q.from));
        assert_eq!(s["period_to"], json!(p.q.to));
        assert_eq!(s["currency"], "EUR");
        assert_eq!(s["taken_by"], manager.id);
        for key in [
            "open_deals",
            "pipeline",
            "weighted",
            "commit",
            "best_case",
            "won",
            "lost",
        ] {
            assert!(
                common::same_value(&t[key], &s[key]),
                "{}'s snapshot `{key}`: {} but the forecast says {}",
                rep.name,
                s[key],
                t[key]
            );
        }
    }
    // A period that is none takes nothing.
    app.request_as(
        Some(&manager.token),
        Method::POST,
        SNAPSHOTS,
        Some(&json!({"period": "2026-Q5"})),
    )
    .await
    .assert_error(400, "bad_request", &["period"]);
    // A rep's own snapshot is theirs alone.
    let own = app
        .request_as(
            Some(&p.alice.token),
            Method::POST,
            SNAPSHOTS,
            Some(&json!({})),
        )
        .await
        .expect(201);
    let own_items = own["items"].as_array().expect("items");
    assert_eq!(own_items.len(), 1, "{own}");
    assert_eq!(own_items[0]["rep_id"], p.alice.id);
    assert_eq!(own_items[0]["taken_by"], p.alice.id);

    // Listing: a rep their own only; a manager everyone's.
    let listed = get_as(
        app,
        &p.alice.token,
        &format!("{SNAPSHOTS}?kind=on_demand&limit=200"),
    )
    .await
    .expect(200);
    let listed = listed["items"].as_array().expect("items");
    assert_eq!(
        listed.len(),
        2,
        "Alice's two on-demand snapshots: {listed:?}"
    );
    let everything = get_as(app, &p.alice.token, &format!("{SNAPSHOTS}?limit=200"))
        .await
        .expect(200);
    for s in everything["items"].as_array().unwrap() {
        assert_eq!(
            s["rep_id"], p.alice.id,
            "a rep lists another's snapshot: {s}"
        );
    }
    let all = get_as(
        app,
        &manager.token,
        &format!("{SNAPSHOTS}?kind=on_demand&limit=200"),
    )
    .await
    .expect(200);
    assert_eq!(all["items"].as_array().unwrap().len(), 3, "{all}");
    let by_period = get_as(
        app,
        &manager.token,
        &format!(
            "{SNAPSHOTS}?kind=on_demand&period={}",
            p.q.label.to_lowercase()
        ),
    )
    .await
    .expect(200);
    assert_eq!(by_period["items"], all["items"], "?period= in lower case");
    let none = get_as(app, &manager.token, &format!("{SNAPSHOTS}?period=1999-Q1"))
        .await
        .expect(200);
    assert_eq!(none["items"], json!([]), "{none}");

    // Accuracy over the quarter before this one (ended), Q-1, and the one
    // before it, Q-2. Snapshots made by hand:
    //   Alice, Q-1: commit 20000.00 taken on day 30 (stored first), and
    //               commit 10000.00 taken on day 7: the FIRST is day 7's.
    //   Bob,   Q-2: commit 5000.00; Q-1: commit 8000.00.
    let q1 = p.q.previous();
    let q2 = q1.previous();
    let later = past_snapshot(
        app,
        &p.alice.id,
        &q1,
        at(q1.from + Duration::days(30), 9),
        "20000.00",
        "20000.00",
        false,
    )
    .await;
    let first = past_snapshot(
        app,
        &p.alice.id,
        &q1,
        at(q1.from + Duration::days(7), 9),
        "10000.00",
        "20000.00",
        true,
    )
    .await;
    let bob_q2 = past_snapshot(
        app,
        &p.bob.id,
        &q2,
        at(q2.from + Duration::days(3), 9),
        "5000.00",
        "20000.00",
        true,
    )
    .await;
    let bob_q1 = past_snapshot(
        app,
        &p.bob.id,
        &q1,
        at(q1.from + Duration::days(3), 9),
        "8000.00",
        "20000.00",
        true,
    )
    .await;
    assert_ne!(later, first);
    // Won in Q-1 by the stage history:
    //   Alice: 7000.00 EUR + 5555.56 USD × 0.9 = 5000.004 → 5000.00: 12000.00;
    //          and 3000.00 EUR won in Q-2 (no snapshot of hers: not counted).
    //   Bob:   6666.67 USD × 0.9 = 6000.003 → 6000.00; nothing in Q-2.
    let acme = app.new_account("Past Acme").await;
    let day = q1.from + Duration::days(40);
    won_on(app, &p.alice, &acme, "7000.00", "EUR", day).await;
    won_on(
        app,
        &p.alice,
        &acme,
        "5555.56",
        "USD",
        day + Duration::days(5),
    )
    .await;
    won_on(
        app,
        &p.alice,
        &acme,
        "3000.00",
        "EUR",
        q2.from + Duration::days(10),
    )
    .await;
    won_on(app, &p.bob, &acme, "6666.67", "USD", day).await;
    // Those wins are in no way this quarter's.
    assert_eq!(app.fetch(FORECAST).await["totals"], expected_totals());

    // Alice, Q-1: 12000.00 / 10000.00 = 1.20 > 1.10: sandbagging (had the
    //   later snapshot counted, 0.60: over-optimistic).
    // Bob, Q-2: 0.00 / 5000.00 = 0.00; Q-1: 6000.00 / 8000.00 = 0.75 < 0.90:
    //   over-optimistic both; average (0.00 + 0.75) / 2 = 0.375 → 0.38.
    // The current quarter's snapshots have not ended: not measured.
    let accuracy = get_as(app, &manager.token, ACCURACY).await.expect(200);
    let items = accuracy["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{accuracy}");
    let of = |rep: &str| {
        items
            .iter()
            .find(|i| i["rep_id"] == rep)
            .unwrap_or_else(|| panic!("no accuracy of {rep}: {accuracy}"))
            .clone()
    };
    let alice = of(&p.alice.id);
    assert_eq!(alice["rep_name"], "Alice Archer");
    assert_eq!(alice["currency"], "EUR");
    let periods = alice["periods"].as_array().expect("periods");
    assert_eq!(periods.len(), 1, "{alice}");
    let a = &periods[0];
    assert_eq!(a["period"], q1.label);
    assert_eq!(a["snapshot_id"], first, "the first snapshot counts: {a}");
    assert_eq!(
        common::ts(&a["taken_at"]),
        at(q1.from + Duration::days(7), 9),
        "{a}"
    );
    assert_eq!(a["forecast_commit"], "10000.00");
    assert_eq!(a["forecast_weighted"], "20000.00");
    assert_eq!(a["won"], "12000.00");
    assert_eq!(a["ratio"], "1.20");
    assert_eq!(a["bias"], "sandbagging");
    assert_eq!(alice["average_ratio"], "1.20");

    let bob = of(&p.bob.id);
    let periods = bob["periods"].as_array().expect("periods");
    let labels: Vec<&Value> = periods.iter().map(|p| &p["period"]).collect();
    assert_eq!(labels, [&json!(q2.label), &json!(q1.label)], "{bob}");
    assert_eq!(periods[0]["snapshot_id"], bob_q2);
    assert_eq!(periods[0]["won"], "0.00");
    assert_eq!(periods[0]["ratio"], "0.00");
    assert_eq!(periods[0]["bias"], "over_optimistic");
    assert_eq!(periods[1]["snapshot_id"], bob_q1);
    assert_eq!(periods[1]["forecast_commit"], "8000.00");
    assert_eq!(periods[1]["won"], "6000.00");
    assert_eq!(periods[1]["ratio"], "0.75");
    assert_eq!(periods[1]["bias"], "over_optimistic");
    assert_eq!(bob["average_ratio"], "0.38", "(0.00 + 0.75) / 2, half-up");

    // A rep reads their own accuracy only.
    let own = get_as(app, &p.alice.token, ACCURACY).await.expect(200);
    let own_items = own["items"].as_array().expect("items");
    assert_eq!(own_items.len(), 1, "{own}");
    assert_eq!(own_items[0]["rep_id"], p.alice.id);
    assert_eq!(own_items[0]["periods"], alice["periods"]);
    let bob_by_manager = get_as(
        app,
        &manager.token,
        &format!("{ACCURACY}?rep_id={}", p.bob.id),
    )
    .await
    .expect(200);
    assert_eq!(bob_by_manager["items"], json!([bob]));
}
both_backends!(
    snapshots_and_accuracy,
    snapshots_keep_the_forecast_and_accuracy_reads_the_first
);

// ---- 4. the report ---------------------------------------------------------------

/// `(width, height)` of every image `pdfimages -list` finds; `None` without
/// poppler (outside CI).
fn pdf_images(pdf: &[u8]) -> Option<Vec<(u32, u32)>> {
    let pdfimages = tool("pdfimages", POPPLER)?;
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).expect("written");
    let list = tools::run(&pdfimages, &[OsStr::new("-list"), path.as_os_str()]);
    Some(
        list.lines()
            .skip(2)
            .filter_map(|line| {
                let cols: Vec<&str> = line.split_whitespace().collect();
                Some((cols.get(3)?.parse().ok()?, cols.get(4)?.parse().ok()?))
            })
            .collect(),
    )
}

/// `(width, height)` of a PNG, from its header.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

async fn verify_identical(app: &TestApp, token: &str, document: &str) {
    let verified = get_as(app, token, &format!("/api/v1/documents/{document}/verify"))
        .await
        .expect(200);
    assert_eq!(
        verified["identical"], true,
        "the report made again differs: {verified}"
    );
    assert_eq!(verified["sha256"], verified["regenerated_sha256"]);
}

async fn the_report_prints_the_forecast_with_its_chart(app: &mut TestApp) {
    let p = pipeline(app).await;
    let manager = user(app, "manager", "Mona Manager").await;
    // Yesterday's snapshots of this quarter: Alice weighted 8000.00, Bob
    // 3000.00. Now 8272.81 and 2877.79: Alice +272.81, Bob −122.21, the
    // forecast rose by 150.60 — what the report's notes say.
    let yesterday = today() - Duration::days(1);
    for (rep, weighted) in [(&p.alice, "8000.00"), (&p.bob, "3000.00")] {
        past_snapshot(
            app,
            &rep.id,
            &p.q,
            at(yesterday, 12),
            "0.00",
            weighted,
            false,
        )
        .await;
    }

    let pdf_doc = app
        .request_as(
            Some(&manager.token),
            Method::POST,
            REPORT,
            Some(&json!({"format": "pdf"})),
        )
        .await
        .expect(201);
    assert_eq!(pdf_doc["format"], "pdf", "{pdf_doc}");
    assert_eq!(pdf_doc["owner_id"], manager.id, "the requester's document");
    let pdf_id = id_of(&pdf_doc);
    let pdf = app
        .download(
            &manager.token,
            &format!("/api/v1/documents/{pdf_id}/content"),
        )
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.bytes.starts_with(b"%PDF"), "not a PDF");
    if let Some(text) = tools::pdf_text(&pdf.bytes) {
        let text = squeeze(&text);
        for expected in [
            p.q.label.as_str(),
            // The weighted total, 11150.60, as money() prints euros in English.
            "€11,150.60",
            // Commit and Alice's weighted.
            "€12,250.01",
            "€8,272.81",
            "Alice Archer",
            "Bob Brandt",
            "Garnet support",
            "Atlas renewal",
            &format!("Since the snapshots of {yesterday}, the weighted forecast rose by €150.60"),
            "Alice Archer +€272.81",
            "Bob Brandt −€122.21",
        ] {
            assert!(
                text.contains(expected),
                "the report lacks {expected:?}:\n{text}"
            );
        }
    }
    if let Some(images) = pdf_images(&pdf.bytes) {
        assert!(
            images.contains(&(1200, 480)),
            "no 1200×480 chart among the PDF's images: {images:?}"
        );
    }
    verify_identical(app, &manager.token, &pdf_id).await;

    let docx_doc = app
        .request_as(
            Some(&manager.token),
            Method::POST,
            REPORT,
            Some(&json!({"format": "docx", "period": p.q.label})),
        )
        .await
        .expect(201);
    assert_eq!(docx_doc["format"], "docx");
    let docx_id = id_of(&docx_doc);
    let docx = app
        .download(
            &manager.token,
            &format!("/api/v1/documents/{docx_id}/content"),
        )
        .await;
    assert_eq!(docx.status, 200);
    let mut zip = zip::ZipArchive::new(Cursor::new(docx.bytes)).expect("a DOCX is a zip");
    let media: Vec<String> = zip
        .file_names()
        .filter(|n| n.starts_with("word/media/") && n.ends_with(".png"))
        .map(str::to_owned)
        .collect();
    let mut sizes = Vec::new();
    for name in &media {
        let mut png = Vec::new();
        zip.by_name(name)
            .expect("listed")
            .read_to_end(&mut png)
            .expect("read");
        sizes.push(png_size(&png));
    }
    assert!(
        sizes.contains(&(1200, 480)),
        "no 1200×480 chart in word/media: {media:?} {sizes:?}"
    );
    verify_identical(app, &manager.token, &docx_id).await;

    // A rep's report is their own forecast; the body's stuck limit holds.
    let own = app
        .request_as(
            Some(&p.alice.token),
            Method::POST,
            REPORT,
            Some(&json!({"format": "html", "stuck_days": 59})),
        )
        .await
        .expect(201);
    let html = app
        .download(
            &p.alice.token,
            &format!("/api/v1/documents/{}/content", id_of(&own)),
        )
        .await;
    let html = squeeze(&String::from_utf8(html.bytes).expect("UTF-8"));
    assert!(html.contains("€8,272.81"), "Alice's weighted: {html}");
    assert!(
        html.contains(&format!("Pipeline report {}: Alice Archer", p.q.label)),
        "the rep's name in the title: {html}"
    );
    assert!(
        html.contains("rose by €272.81: Alice Archer +€272.81"),
        "Alice's movement alone: {html}"
    );
    assert!(
        html.contains("Stuck for more than 59 days") && html.contains("Atlas renewal"),
        "Atlas, 60 days in negotiation, is stuck past 59: {html}"
    );
    assert!(!html.contains("Bob Brandt"), "Bob in Alice's report");
}
both_backends!(
    report_prints_the_forecast_with_its_chart,
    the_report_prints_the_forecast_with_its_chart
);

// ---- 5. the command line ---------------------------------------------------------

fn dealdraft() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dealdraft"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("DEALDRAFT_ADDR")
        .env("RUST_LOG", "warn");
    cmd
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("dealdraft runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed ({:?}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_prints_the_forecast_the_api_answers_and_writes_the_report() {
    let Some(mut app) = TestApp::spawn(Backend::Sqlite).await else {
        return;
    };
    let p = pipeline(&app).await;
    let url = app.database_url().to_owned();
    let label = p.q.label.clone();

    let api = app.fetch(&format!("{FORECAST}?period={label}")).await;
    let printed = tokio::task::spawn_blocking({
        let (url, label) = (url.clone(), label.clone());
        move || {
            run_ok(dealdraft().args([
                "forecast",
                "--database-url",
                &url,
                "--period",
                &label,
                "--json",
            ]))
        }
    })
    .await
    .unwrap();
    let cli: Value = serde_json::from_str(&printed)
        .unwrap_or_else(|e| panic!("--json printed no JSON ({e}):\n{printed}"));
    assert_eq!(cli, api, "the CLI's forecast vs the API's");
    assert_eq!(cli["totals"], expected_totals());

    // One rep's, by e-mail, as that rep.
    let alice = tokio::task::spawn_blocking({
        let (url, label, email) = (url.clone(), label.clone(), p.alice.email.clone());
        move || {
            run_ok(dealdraft().args([
                "forecast",
                "--database-url",
                &url,
                "--period",
                &label,
                "--rep",
                &email,
                "--as",
                &email,
                "--json",
            ]))
        }
    })
    .await
    .unwrap();
    let alice: Value = serde_json::from_str(&alice).expect("JSON");
    assert_eq!(alice["rep_id"], p.alice.id);
    assert_eq!(alice["totals"], expected_alice());

    // The report, written to a file.
    let dir = tempfile::tempdir().expect("a folder");
    let out = dir.path().join("out.pdf");
    let said = tokio::task::spawn_blocking({
        let (url, label, out) = (url.clone(), label.clone(), out.clone());
        move || {
            run_ok(
                dealdraft()
                    .args([
                        "forecast",
                        "--database-url",
                        &url,
                        "--period",
                        &label,
                        "--report",
                    ])
                    .arg(&out)
                    .args(["--format", "pdf"]),
            )
        }
    })
    .await
    .unwrap();
    assert!(said.contains("written to"), "{said}");
    let bytes = std::fs::read(&out).expect("the report was written");
    assert!(bytes.starts_with(b"%PDF"), "not a PDF: {said}");
    if let Some(text) = tools::pdf_text(&bytes) {
        let text = squeeze(&text);
        assert!(text.contains(&label), "{text}");
        assert!(text.contains("€11,150.60"), "{text}");
    }
    app.stop().await;
}
