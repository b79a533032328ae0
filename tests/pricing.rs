//! Quote pricing: golden quotes whose every figure was worked out by hand,
//! and properties over random quotes, among them agreement with an
//! independent model in plain integers.

use std::collections::BTreeMap;
use std::str::FromStr;

use dealdraft::quotes::pricing::{
    LineInput, Priced, PricedLine, PricingError, QuoteInput, Tier, minor_units, price, round_money,
    tier_price,
};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use rust_decimal::Decimal;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn line(quantity: &str, list: &str, unit: &str, discount: &str, rate: &str) -> LineInput {
    LineInput {
        quantity: d(quantity),
        list_price: d(list),
        unit_price: d(unit),
        discount_percent: d(discount),
        tax_rate: d(rate),
        group: None,
    }
}

fn in_group(mut line: LineInput, group: &str) -> LineInput {
    line.group = Some(group.to_owned());
    line
}

fn quote(currency: &str, discount: &str, lines: Vec<LineInput>) -> QuoteInput {
    QuoteInput {
        minor_units: minor_units(currency).unwrap(),
        lines,
        discount_percent: d(discount),
    }
}

/// A line's figures: list, gross, discount, net, quote_discount, taxable.
fn figures(l: &PricedLine) -> [String; 6] {
    [
        l.list.to_string(),
        l.gross.to_string(),
        l.discount.to_string(),
        l.net.to_string(),
        l.quote_discount.to_string(),
        l.taxable.to_string(),
    ]
}

fn assert_lines(p: &Priced, want: &[[&str; 6]]) {
    let got: Vec<[String; 6]> = p.lines.iter().map(figures).collect();
    assert_eq!(got, want);
}

/// Groups as (name, net).
fn assert_groups(p: &Priced, want: &[(&str, &str)]) {
    let got: Vec<(String, String)> = p
        .groups
        .iter()
        .map(|g| (g.name.clone(), g.net.to_string()))
        .collect();
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(got, want);
}

/// Taxes as (rate, base, amount).
fn assert_taxes(p: &Priced, want: &[[&str; 3]]) {
    let got: Vec<[String; 3]> = p
        .totals
        .taxes
        .iter()
        .map(|t| [t.rate.to_string(), t.base.to_string(), t.amount.to_string()])
        .collect();
    assert_eq!(got, want);
}

/// list_total, subtotal, quote_discount, net_total, discount_total,
/// tax_total, total, effective_discount_percent.
fn assert_totals(p: &Priced, want: [&str; 8]) {
    let t = &p.totals;
    let got = [
        &t.list_total,
        &t.subtotal,
        &t.quote_discount,
        &t.net_total,
        &t.discount_total,
        &t.tax_total,
        &t.total,
        &t.effective_discount_percent,
    ]
    .map(|v| v.to_string());
    assert_eq!(got, want);
}

// ------------------------------------------------------------------ golden

/// (a) EUR, 19 % VAT, a 10 % line discount and a 5 % quote discount that
/// needs the largest-remainder step, with a tie settled by content.
#[test]
fn eur_quote_with_vat_and_a_quote_discount() {
    let p = price(&quote(
        "EUR",
        "5",
        vec![
            line("2", "33.335", "33.335", "0", "19"),
            line("1", "74.08", "74.08", "10", "19"),
            line("1", "66.67", "66.67", "0", "19"),
            line("5", "120.00", "120.00", "0", "19"),
        ],
    ))
    .unwrap();
    // Lines:  2 × 33.335 = 66.67
    //         1 × 74.08 = 74.08; net 74.08 × 0.90 = 66.672 → 66.67, discount 7.41
    //         1 × 66.67 = 66.67
    //         5 × 120.00 = 600.00
    // Subtotal 3 × 66.67 + 600.00 = 800.01; quote discount
    // 800.01 × 5 % = 40.0005 → 40.00.
    // Exact shares: 40.00 × 66.67 / 800.01 = 3.33345… (three times) and
    // 40.00 × 600 / 800.01 = 29.99962…; truncated 3 × 3.33 + 29.99 = 39.98,
    // 2 cents left. Remainders 0.96 cent (600 line) > 0.35 cent (three-way
    // tie): the 600 line gets 30.00; the tie goes to the larger net (equal),
    // then the smaller quantity (lines 2 and 3: 1), then the smaller unit
    // price (66.67 < 74.08): line 3 gets 3.34. (Rounding each share alone
    // would give 3 × 3.33 + 30.00 = 39.99, a cent short.)
    assert_lines(
        &p,
        &[
            ["66.67", "66.67", "0.00", "66.67", "3.33", "63.34"],
            ["74.08", "74.08", "7.41", "66.67", "3.33", "63.34"],
            ["66.67", "66.67", "0.00", "66.67", "3.34", "63.33"],
            ["600.00", "600.00", "0.00", "600.00", "30.00", "570.00"],
        ],
    );
    assert_groups(&p, &[]);
    // Taxable 63.34 + 63.34 + 63.33 + 570.00 = 760.01 = 800.01 − 40.00;
    // VAT 760.01 × 0.19 = 144.4019 → 144.40.
    assert_taxes(&p, &[["19", "760.01", "144.40"]]);
    // List 66.67 + 74.08 + 66.67 + 600.00 = 807.42; saved 807.42 − 760.01 =
    // 47.41 = 5.8717…% → 5.87; total 760.01 + 144.40 = 904.41.
    assert_totals(
        &p,
        [
            "807.42", "800.01", "40.00", "760.01", "47.41", "144.40", "904.41", "5.87",
        ],
    );
}

/// (b) CAD, 5 % GST on some lines and 9.975 % QST on others: tax is rounded
/// once per rate, not per line.
#[test]
fn cad_quote_with_two_tax_rates() {
    let p = price(&quote(
        "CAD",
        "0",
        vec![
            line("2", "149.99", "149.99", "0", "5"),
            line("3", "49.95", "49.95", "0", "9.975"),
            line("1", "1234.56", "1234.56", "15", "9.975"),
            line("10", "12.345", "12.345", "0", "5.00"),
        ],
    ))
    .unwrap();
    // 2 × 149.99 = 299.98; 3 × 49.95 = 149.85;
    // 1234.56 × 0.85 = 1049.376 → 1049.38, discount 185.18;
    // 10 × 12.345 = 123.45.
    assert_lines(
        &p,
        &[
            ["299.98", "299.98", "0.00", "299.98", "0.00", "299.98"],
            ["149.85", "149.85", "0.00", "149.85", "0.00", "149.85"],
            ["1234.56", "1234.56", "185.18", "1049.38", "0.00", "1049.38"],
            ["123.45", "123.45", "0.00", "123.45", "0.00", "123.45"],
        ],
    );
    assert_groups(&p, &[]);
    // 5 and 5.00 are one rate: base 299.98 + 123.45 = 423.43,
    // × 0.05 = 21.1715 → 21.17.
    // 9.975: base 149.85 + 1049.38 = 1199.23, × 0.09975 = 119.923 − 0.2998075
    // = 119.6231925 → 119.62 (per line it would be 14.95 + 104.68 = 119.63).
    assert_taxes(
        &p,
        &[["5", "423.43", "21.17"], ["9.975", "1199.23", "119.62"]],
    );
    // Net 299.98 + 149.85 + 1049.38 + 123.45 = 1622.66; list 1807.84;
    // saved 185.18 = 10.2431…% → 10.24; tax 21.17 + 119.62 = 140.79;
    // total 1622.66 + 140.79 = 1763.45.
    assert_totals(
        &p,
        [
            "1807.84", "1622.66", "0.00", "1622.66", "185.18", "140.79", "1763.45", "10.24",
        ],
    );
}

/// (c) JPY: no decimals at all, a line discount and a quote discount.
#[test]
fn jpy_quote_with_a_quote_discount() {
    let p = price(&quote(
        "JPY",
        "3",
        vec![
            line("3", "1980", "1980", "0", "10"),
            line("7", "333", "333", "15", "10"),
            line("1", "12800", "12800", "0", "10"),
        ],
    ))
    .unwrap();
    // 3 × 1980 = 5940; 7 × 333 = 2331, × 0.85 = 1981.35 → 1981 (discount
    // 350); 12800.
    // Subtotal 20721; 3 % = 621.63 → 622.
    // Exact shares 622 × 5940 / 20721 = 178.31, 622 × 1981 / 20721 = 59.47,
    // 622 × 12800 / 20721 = 384.23; truncated 178 + 59 + 384 = 621: the yen
    // left goes to the largest remainder, 0.47: 60.
    assert_lines(
        &p,
        &[
            ["5940", "5940", "0", "5940", "178", "5762"],
            ["2331", "2331", "350", "1981", "60", "1921"],
            ["12800", "12800", "0", "12800", "384", "12416"],
        ],
    );
    assert_groups(&p, &[]);
    // Taxable 20721 − 622 = 20099; 10 % = 2009.9 → 2010.
    assert_taxes(&p, &[["10", "20099", "2010"]]);
    // List 5940 + 2331 + 12800 = 21071; saved 21071 − 20099 = 972 =
    // 4.6129…% → 4.61; total 20099 + 2010 = 22109.
    assert_totals(
        &p,
        [
            "21071", "20721", "622", "20099", "972", "2010", "22109", "4.61",
        ],
    );
}

/// (d) BHD: three decimals, including a half-fils midpoint.
#[test]
fn bhd_quote_with_three_decimals() {
    let p = price(&quote(
        "BHD",
        "2.5",
        vec![
            line("2", "12.345", "12.345", "0", "10"),
            line("1", "0.625", "0.625", "20", "10"),
            line("3", "1.2345", "1.2345", "0", "10"),
        ],
    ))
    .unwrap();
    // 2 × 12.345 = 24.690; 0.625 × 0.80 = 0.500 (discount 0.125);
    // 3 × 1.2345 = 3.7035 → 3.704 (the midpoint goes up).
    // Subtotal 28.894; 2.5 % = 0.72235 → 0.722.
    // Exact shares 0.722 × 24.690 / 28.894 = 0.61695, × 0.500 / 28.894 =
    // 0.01249, × 3.704 / 28.894 = 0.09256; truncated 0.616 + 0.012 + 0.092 =
    // 0.720: 2 fils left, to the remainders 0.95 and 0.56 (not 0.49).
    assert_lines(
        &p,
        &[
            ["24.690", "24.690", "0.000", "24.690", "0.617", "24.073"],
            ["0.625", "0.625", "0.125", "0.500", "0.012", "0.488"],
            ["3.704", "3.704", "0.000", "3.704", "0.093", "3.611"],
        ],
    );
    assert_groups(&p, &[]);
    // Taxable 28.894 − 0.722 = 28.172; 10 % = 2.8172 → 2.817.
    assert_taxes(&p, &[["10", "28.172", "2.817"]]);
    // List 24.690 + 0.625 + 3.704 = 29.019; saved 0.847 = 2.9187…% → 2.92;
    // total 28.172 + 2.817 = 30.989.
    assert_totals(
        &p,
        [
            "29.019", "28.894", "0.722", "28.172", "0.847", "2.817", "30.989", "2.92",
        ],
    );
}

/// (e) Volume tiers: the saving shows as list against net, with no
/// discount anywhere.
#[test]
fn tiered_prices_give_an_effective_discount() {
    let list = d("100.00");
    let tiers = [
        Tier {
            from_quantity: d("10"),
            unit_price: d("90.00"),
        },
        Tier {
            from_quantity: d("50"),
            unit_price: d("80.00"),
        },
    ];
    // 60 reaches the 50 tier, 5 no tier, 10 exactly the 10 tier.
    let unit = |q: &str| tier_price(list, &tiers, d(q)).to_string();
    assert_eq!(unit("60"), "80.00");
    assert_eq!(unit("5"), "100.00");
    assert_eq!(unit("10"), "90.00");
    assert_eq!(unit("49.999"), "90.00");
    let p = price(&quote(
        "GBP",
        "0",
        ["60", "5", "10"]
            .map(|q| line(q, "100.00", &unit(q), "0", "20"))
            .to_vec(),
    ))
    .unwrap();
    // 60 × 100 = 6000 list, 60 × 80 = 4800 charged; 5 × 100 = 500;
    // 10 × 100 = 1000 list, 10 × 90 = 900 charged. The line discount is 0:
    // the tier is already in the gross.
    assert_lines(
        &p,
        &[
            ["6000.00", "4800.00", "0.00", "4800.00", "0.00", "4800.00"],
            ["500.00", "500.00", "0.00", "500.00", "0.00", "500.00"],
            ["1000.00", "900.00", "0.00", "900.00", "0.00", "900.00"],
        ],
    );
    assert_groups(&p, &[]);
    // 6200 × 20 % = 1240.
    assert_taxes(&p, &[["20", "6200.00", "1240.00"]]);
    // List 7500, net 6200: saved 1300 = 17.333…% → 17.33; total 7440.
    assert_totals(
        &p,
        [
            "7500.00", "6200.00", "0.00", "6200.00", "1300.00", "1240.00", "7440.00", "17.33",
        ],
    );
}

/// (f) Groups: subtotals of their lines' nets, in order of first
/// appearance; a line without a group is in none.
#[test]
fn groups_have_subtotals() {
    let p = price(&quote(
        "EUR",
        "0",
        vec![
            in_group(line("2", "1299.00", "1299.00", "0", "19"), "Hardware"),
            in_group(line("8", "120.00", "120.00", "10", "19"), "Services"),
            line("1", "49.90", "49.90", "0", "19"),
            in_group(line("3", "19.99", "19.99", "0", "19"), "Hardware"),
            in_group(line("1.5", "95.00", "95.00", "0", "19"), "Services"),
        ],
    ))
    .unwrap();
    // 2 × 1299 = 2598.00; 8 × 120 = 960.00, × 0.90 = 864.00 (discount
    // 96.00); 49.90; 3 × 19.99 = 59.97; 1.5 × 95 = 142.50.
    assert_lines(
        &p,
        &[
            ["2598.00", "2598.00", "0.00", "2598.00", "0.00", "2598.00"],
            ["960.00", "960.00", "96.00", "864.00", "0.00", "864.00"],
            ["49.90", "49.90", "0.00", "49.90", "0.00", "49.90"],
            ["59.97", "59.97", "0.00", "59.97", "0.00", "59.97"],
            ["142.50", "142.50", "0.00", "142.50", "0.00", "142.50"],
        ],
    );
    // Hardware 2598.00 + 59.97 = 2657.97; Services 864.00 + 142.50 =
    // 1006.50; the 49.90 line is in neither.
    assert_groups(&p, &[("Hardware", "2657.97"), ("Services", "1006.50")]);
    // Net 3714.37 × 0.19 = 705.7303 → 705.73.
    assert_taxes(&p, &[["19", "3714.37", "705.73"]]);
    // List 3810.37; saved 96.00 = 2.5194…% → 2.52; total 4420.10.
    assert_totals(
        &p,
        [
            "3810.37", "3714.37", "0.00", "3714.37", "96.00", "705.73", "4420.10", "2.52",
        ],
    );
}

#[test]
fn money_serializes_as_strings_with_the_currency_scale() {
    let p = price(&quote(
        "EUR",
        "0",
        vec![line("2", "24000", "24000", "0", "19")],
    ))
    .unwrap();
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["lines"][0]["net"], "48000.00");
    assert_eq!(json["totals"]["total"], "57120.00");
    assert_eq!(json["totals"]["taxes"][0]["rate"], "19");
    assert_eq!(json["totals"]["effective_discount_percent"], "0.00");
}

#[test]
fn an_empty_quote_and_a_free_one_are_all_zeros() {
    let p = price(&quote("BHD", "10", vec![])).unwrap();
    assert_totals(
        &p,
        [
            "0.000", "0.000", "0.000", "0.000", "0.000", "0.000", "0.000", "0.00",
        ],
    );
    assert!(p.totals.taxes.is_empty());
    let p = price(&quote("EUR", "50", vec![line("3", "0", "0", "0", "19")])).unwrap();
    assert_lines(&p, &[["0.00", "0.00", "0.00", "0.00", "0.00", "0.00"]]);
    assert_taxes(&p, &[["19", "0.00", "0.00"]]);
}

#[test]
fn a_full_discount_leaves_nothing_taxable() {
    let p = price(&quote(
        "USD",
        "100",
        vec![
            line("1", "10.01", "10.01", "0", "7"),
            line("3", "3.33", "3.33", "100", "7"),
        ],
    ))
    .unwrap();
    assert_lines(
        &p,
        &[
            ["10.01", "10.01", "0.00", "10.01", "10.01", "0.00"],
            ["9.99", "9.99", "9.99", "0.00", "0.00", "0.00"],
        ],
    );
    assert_totals(
        &p,
        [
            "20.00", "10.01", "10.01", "0.00", "20.00", "0.00", "0.00", "100.00",
        ],
    );
}

#[test]
fn a_price_above_list_is_a_negative_discount() {
    let p = price(&quote(
        "CHF",
        "0",
        vec![line("4", "10.00", "12.50", "0", "0")],
    ))
    .unwrap();
    assert_totals(
        &p,
        [
            "40.00", "50.00", "0.00", "50.00", "-10.00", "0.00", "50.00", "-25.00",
        ],
    );
}

#[test]
fn bad_input_is_refused_by_field() {
    let mut q = quote("EUR", "0", vec![line("1", "10", "10", "0", "19")]);
    q.lines[0].quantity = d("0");
    let PricingError::Invalid { field, problem } = price(&q).unwrap_err();
    assert_eq!(
        (field.as_str(), problem.as_str()),
        ("lines[0].quantity", "must be greater than 0")
    );
    q.lines[0].quantity = d("1");
    q.lines[0].tax_rate = d("100.5");
    assert_eq!(
        price(&q).unwrap_err().to_string(),
        "lines[0].tax_rate must be from 0 to 100"
    );
}

#[test]
fn round_money_is_half_up_with_a_fixed_scale() {
    assert_eq!(round_money(d("0.005"), 2).to_string(), "0.01");
    assert_eq!(round_money(d("2.5"), 0).to_string(), "3");
    assert_eq!(round_money(d("5"), 2).to_string(), "5.00");
    assert_eq!(round_money(d("1.25"), 3).to_string(), "1.250");
}

// -------------------------------------------------------------- properties

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const CURRENCIES: [&str; 5] = ["EUR", "JPY", "BHD", "USD", "CHF"];
/// Tax rates in thousandths of a percent: 0, 7, 9.975, 19, 20.
const RATES: [i128; 5] = [0, 7_000, 9_975, 19_000, 20_000];
const GROUPS: [Option<&str>; 4] = [None, Some("Hardware"), Some("Services"), Some("Support")];

/// A random line in whole numbers, small enough that every exact product
/// fits in an i128: quantity in thousandths (up to 10 000), prices in
/// ten-thousandths (up to 100 000, with 2 to 4 decimals), percents in
/// thousandths of a percent.
#[derive(Clone, Debug)]
struct ModelLine {
    quantity: i128,
    list_price: i128,
    unit_price: i128,
    discount: i128,
    tax_rate: i128,
    group: Option<&'static str>,
}

impl ModelLine {
    fn input(&self) -> LineInput {
        LineInput {
            quantity: Decimal::from_i128_with_scale(self.quantity, 3),
            list_price: Decimal::from_i128_with_scale(self.list_price, 4),
            unit_price: Decimal::from_i128_with_scale(self.unit_price, 4),
            discount_percent: Decimal::from_i128_with_scale(self.discount, 3),
            tax_rate: Decimal::from_i128_with_scale(self.tax_rate, 3),
            group: self.group.map(str::to_owned),
        }
    }
}

fn percent() -> impl Strategy<Value = i128> {
    prop_oneof![
        3 => Just(0i128),
        2 => (0..=100i128).prop_map(|p| p * 1000),
        2 => 0..=100_000i128,
    ]
}

fn model_line() -> impl Strategy<Value = ModelLine> {
    let quantity = prop_oneof![
        1..=1_000i128,
        1..=10_000_000i128,
        (1..=10_000i128).prop_map(|q| q * 1000)
    ];
    let price = (
        prop_oneof![1 => Just(0i128), 8 => 0..=1_000_000_000i128],
        2..=4u32,
    )
        .prop_map(|(p, decimals)| p - p % 10i128.pow(4 - decimals));
    (
        quantity,
        price,
        0..3u8,
        0..=100i128,
        percent(),
        prop::sample::select(RATES.to_vec()),
        prop::sample::select(GROUPS.to_vec()),
    )
        .prop_map(
            |(quantity, list_price, kind, cut, discount, tax_rate, group)| {
                // Charged at list, at a tier below it (to the cent), or above it.
                let unit_price = match kind {
                    0 => list_price,
                    1 => list_price * (100 - cut) / 100 / 100 * 100,
                    _ => list_price + cut * 10_000,
                };
                ModelLine {
                    quantity,
                    list_price,
                    unit_price,
                    discount,
                    tax_rate,
                    group,
                }
            },
        )
}

/// Lines drawn from a few, with variants that keep the net (another group,
/// another tax rate, twice the quantity at half the price): ties between
/// different lines, which random lines almost never give.
fn pooled_lines() -> impl Strategy<Value = Vec<ModelLine>> {
    (
        prop::collection::vec(model_line(), 1..=4),
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                0..4u8,
                prop::sample::select(RATES.to_vec()),
                prop::sample::select(GROUPS.to_vec()),
            ),
            1..=30,
        ),
    )
        .prop_map(|(pool, picks)| {
            picks
                .into_iter()
                .map(|(pick, variant, tax_rate, group)| {
                    let mut line = pick.get(&pool).clone();
                    match variant {
                        1 => line.group = group,
                        2 => line.tax_rate = tax_rate,
                        3 if line.unit_price % 2 == 0 && line.list_price % 2 == 0 => {
                            line.quantity *= 2;
                            line.unit_price /= 2;
                            line.list_price /= 2;
                        }
                        _ => {}
                    }
                    line
                })
                .collect()
        })
}

fn model_quote() -> impl Strategy<Value = (&'static str, Vec<ModelLine>, i128)> {
    (
        prop::sample::select(CURRENCIES.to_vec()),
        prop_oneof![prop::collection::vec(model_line(), 1..=30), pooled_lines()],
        percent(),
    )
}

fn to_input(currency: &str, lines: &[ModelLine], discount: i128) -> QuoteInput {
    QuoteInput {
        minor_units: minor_units(currency).unwrap(),
        lines: lines.iter().map(ModelLine::input).collect(),
        discount_percent: Decimal::from_i128_with_scale(discount, 3),
    }
}

/// x / d rounded half away from zero, in integers (d > 0).
fn div_round(x: i128, d: i128) -> i128 {
    let (q, r) = (x / d, x % d);
    if 2 * r.abs() >= d { q + x.signum() } else { q }
}

/// A whole number of 10^-scale written out with exactly `scale` decimals.
fn fmt(value: i128, scale: u32) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let digits = format!("{:0>width$}", value.abs(), width = scale as usize + 1);
    let (whole, fraction) = digits.split_at(digits.len() - scale as usize);
    if scale == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{fraction}")
    }
}

/// A rate in thousandths of a percent as the pricing prints it: no trailing
/// zeros.
fn fmt_rate(rate: i128) -> String {
    let s = fmt(rate, 3);
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The whole quote again, in i128 minor units, written out as strings:
/// lines, groups, taxes and totals in the shape of `Priced`.
struct Model {
    lines: Vec<[String; 6]>,
    groups: Vec<(String, String)>,
    taxes: Vec<[String; 3]>,
    totals: [String; 8],
}

fn model(m: u32, lines: &[ModelLine], quote_discount: i128) -> Model {
    let mu = m as i128;
    let ten = |n: i128| 10i128.pow(n as u32);
    // quantity (10^-3) × price (10^-4) is in 10^-7; × (10^5 − discount) is
    // in 10^-12.
    let list: Vec<i128> = lines
        .iter()
        .map(|l| div_round(l.quantity * l.list_price, ten(7 - mu)))
        .collect();
    let gross: Vec<i128> = lines
        .iter()
        .map(|l| div_round(l.quantity * l.unit_price, ten(7 - mu)))
        .collect();
    let net: Vec<i128> = lines
        .iter()
        .map(|l| {
            div_round(
                l.quantity * l.unit_price * (100_000 - l.discount),
                ten(12 - mu),
            )
        })
        .collect();
    let subtotal: i128 = net.iter().sum();
    let q = div_round(subtotal * quote_discount, 100_000);

    // Largest remainder: floors first, then one unit each by remainder,
    // ties by net (larger first), then by content, then by position.
    let mut share = vec![0i128; lines.len()];
    if subtotal > 0 {
        let remainder: Vec<i128> = net.iter().map(|n| q * n % subtotal).collect();
        for (s, n) in share.iter_mut().zip(&net) {
            *s = q * n / subtotal;
        }
        let mut left = q - share.iter().sum::<i128>();
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by_key(|&i| {
            let l = &lines[i];
            (
                std::cmp::Reverse(remainder[i]),
                std::cmp::Reverse(net[i]),
                l.quantity,
                l.unit_price,
                l.list_price,
                l.discount,
                l.tax_rate,
                l.group,
                i,
            )
        });
        for i in order {
            if left > 0 {
                share[i] += 1;
                left -= 1;
            }
        }
        assert_eq!(left, 0);
    }

    let mut groups: Vec<(&str, i128)> = Vec::new();
    let mut bases: BTreeMap<i128, i128> = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(g) = l.group {
            match groups.iter_mut().find(|(name, _)| *name == g) {
                Some((_, sum)) => *sum += net[i],
                None => groups.push((g, net[i])),
            }
        }
        *bases.entry(l.tax_rate).or_default() += net[i] - share[i];
    }
    let taxes: Vec<(i128, i128, i128)> = bases
        .into_iter()
        .map(|(rate, base)| (rate, base, div_round(base * rate, 100_000)))
        .collect();
    let tax_total: i128 = taxes.iter().map(|t| t.2).sum();
    let list_total: i128 = list.iter().sum();
    let net_total = subtotal - q;
    let discount_total = list_total - net_total;
    let effective = if list_total == 0 {
        0
    } else {
        div_round(discount_total * 10_000, list_total)
    };
    Model {
        lines: (0..lines.len())
            .map(|i| {
                [
                    list[i],
                    gross[i],
                    gross[i] - net[i],
                    net[i],
                    share[i],
                    net[i] - share[i],
                ]
                .map(|v| fmt(v, m))
            })
            .collect(),
        groups: groups
            .into_iter()
            .map(|(g, v)| (g.to_owned(), fmt(v, m)))
            .collect(),
        taxes: taxes
            .into_iter()
            .map(|(r, b, a)| [fmt_rate(r), fmt(b, m), fmt(a, m)])
            .collect(),
        totals: [
            fmt(list_total, m),
            fmt(subtotal, m),
            fmt(q, m),
            fmt(net_total, m),
            fmt(discount_total, m),
            fmt(tax_total, m),
            fmt(net_total + tax_total, m),
            fmt(effective, 2),
        ],
    }
}

/// Every line as an (input, output) pair, sorted: the quote as a multiset.
fn pairs(input: &QuoteInput, p: &Priced) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = input
        .lines
        .iter()
        .zip(&p.lines)
        .map(|(i, o)| (format!("{i:?}"), format!("{o:?}")))
        .collect();
    pairs.sort();
    pairs
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn totals_add_up((currency, lines, discount) in model_quote()) {
        let input = to_input(currency, &lines, discount);
        let m = input.minor_units;
        let p = price(&input).unwrap();
        let t = &p.totals;
        let sum = |f: fn(&PricedLine) -> Decimal| p.lines.iter().map(f).sum::<Decimal>();
        prop_assert_eq!(t.subtotal, sum(|l| l.net));
        prop_assert_eq!(t.list_total, sum(|l| l.list));
        prop_assert_eq!(t.net_total, t.subtotal - t.quote_discount);
        prop_assert_eq!(t.net_total, sum(|l| l.taxable));
        prop_assert_eq!(t.quote_discount, sum(|l| l.quote_discount));
        prop_assert_eq!(t.discount_total, t.list_total - t.net_total);
        prop_assert_eq!(t.tax_total, t.taxes.iter().map(|x| x.amount).sum::<Decimal>());
        prop_assert_eq!(t.total, t.net_total + t.tax_total);
        for tax in &t.taxes {
            let base: Decimal = input
                .lines
                .iter()
                .zip(&p.lines)
                .filter(|(i, _)| i.tax_rate == tax.rate)
                .map(|(_, o)| o.taxable)
                .sum();
            prop_assert_eq!(tax.base, base);
        }
        for pair in t.taxes.windows(2) {
            prop_assert!(pair[0].rate < pair[1].rate);
        }
        for (i, l) in p.lines.iter().enumerate() {
            prop_assert!(Decimal::ZERO <= l.quote_discount && l.quote_discount <= l.net, "line {}", i);
            prop_assert_eq!(l.discount, l.gross - l.net);
            prop_assert_eq!(l.taxable, l.net - l.quote_discount);
            for v in [l.list, l.gross, l.discount, l.net, l.quote_discount, l.taxable] {
                prop_assert_eq!(v.scale(), m);
            }
        }
        for g in &p.groups {
            prop_assert_eq!(g.net.scale(), m);
        }
        for tax in &t.taxes {
            prop_assert_eq!(tax.base.scale(), m);
            prop_assert_eq!(tax.amount.scale(), m);
        }
        for v in [t.list_total, t.subtotal, t.quote_discount, t.net_total, t.discount_total, t.tax_total, t.total] {
            prop_assert_eq!(v.scale(), m);
        }
        prop_assert_eq!(t.effective_discount_percent.scale(), 2);
    }

    #[test]
    fn line_order_changes_nothing(
        (currency, lines, shuffled, discount) in model_quote().prop_flat_map(|(c, lines, d)| {
            (Just(c), Just(lines.clone()), Just(lines).prop_shuffle(), Just(d))
        })
    ) {
        let a_in = to_input(currency, &lines, discount);
        let b_in = to_input(currency, &shuffled, discount);
        let a = price(&a_in).unwrap();
        let b = price(&b_in).unwrap();
        prop_assert_eq!(&a.totals, &b.totals);
        let mut a_groups = a.groups.clone();
        let mut b_groups = b.groups.clone();
        a_groups.sort_by(|x, y| x.name.cmp(&y.name));
        b_groups.sort_by(|x, y| x.name.cmp(&y.name));
        prop_assert_eq!(a_groups, b_groups);
        prop_assert_eq!(pairs(&a_in, &a), pairs(&b_in, &b));
    }

    #[test]
    fn an_integer_model_agrees((currency, lines, discount) in model_quote()) {
        let input = to_input(currency, &lines, discount);
        let p = price(&input).unwrap();
        let want = model(input.minor_units, &lines, discount);
        let got_lines: Vec<[String; 6]> = p.lines.iter().map(figures).collect();
        prop_assert_eq!(got_lines, want.lines);
        let got_groups: Vec<(String, String)> =
            p.groups.iter().map(|g| (g.name.clone(), g.net.to_string())).collect();
        prop_assert_eq!(got_groups, want.groups);
        let got_taxes: Vec<[String; 3]> = p
            .totals
            .taxes
            .iter()
            .map(|t| [t.rate.to_string(), t.base.to_string(), t.amount.to_string()])
            .collect();
        prop_assert_eq!(got_taxes, want.taxes);
        let t = &p.totals;
        let got_totals = [
            &t.list_total,
            &t.subtotal,
            &t.quote_discount,
            &t.net_total,
            &t.discount_total,
            &t.tax_total,
            &t.total,
            &t.effective_discount_percent,
        ]
        .map(|v| v.to_string());
        prop_assert_eq!(got_totals, want.totals);
    }
}
