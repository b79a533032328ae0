//! Quote pricing: every money figure of a quote, computed exactly.
//!
//! The rules:
//!
//! - **Rounding.** Every figure is rounded half-up (a midpoint goes away from
//!   zero: 0.005 → 0.01, 2.5 JPY → 3) to the currency's minor units, its
//!   ISO 4217 exponent (EUR 2, JPY 0, BHD 3), and carries exactly that many
//!   decimals: `48000.00` EUR, `5000` JPY, `1.250` BHD.
//! - **Lines.** `list` = quantity × list price, `gross` = quantity × unit
//!   price, `net` = quantity × unit price × (1 − discount/100), each rounded
//!   once from its exact value, so a line's net never carries the rounding of
//!   its gross. The line discount is `gross − net`.
//! - **Quote discount.** `round(subtotal × percent/100)`, where the subtotal
//!   is the sum of the line nets. It is split over the lines in proportion to
//!   their nets by the largest-remainder method, so the shares add up to
//!   exactly the quote discount: each line first gets its exact share
//!   truncated to the minor unit, and the minor units left over go one each
//!   to the lines with the largest remainders. Ties go by the lines' content
//!   (larger net first, then smaller quantity, unit price, list price,
//!   discount, tax rate, group), never by position, so reordering the lines
//!   never changes what a line gets. A line's taxable amount is its net less
//!   its share.
//! - **Taxes.** Per distinct rate (19 and 19.00 are one rate), lowest first:
//!   the base is the sum of the taxable amounts of its lines and the tax is
//!   `round(base × rate/100)`, rounded once per rate rather than per line.
//! - **Totals.** `list_total` = Σ list, `subtotal` = Σ net, `net_total` =
//!   subtotal − quote discount, `discount_total` = list_total − net_total
//!   (all the customer saves against list: tiers, line and quote discounts;
//!   negative when lines are priced above list), `tax_total` = Σ taxes,
//!   `total` = net_total + tax_total, and `effective_discount_percent` =
//!   discount_total / list_total × 100 rounded half-up to 2 decimals (0 when
//!   list_total is 0).
//! - **Groups.** A line may name a group; each group's subtotal is the sum of
//!   its lines' nets, groups in order of first appearance.
//!
//! Limits, checked before anything is computed: at most 1000 lines; a
//! currency of at most 4 minor units; quantities above 0 and at most 10^9,
//! prices from 0 to 10^12 (the price books' own limit), both with at most 6
//! decimals; discount percents and tax rates from 0 to 100 with at most 4
//! decimals. Within them no figure exceeds 2 × 10^24 and every figure is
//! exact: the arithmetic runs on whole numbers of millionths (and of minor
//! units) in 128 bits, since an exact quantity × price × discount factor can
//! need 39 digits where a `Decimal` holds 28 and would round before the
//! rule's one rounding. `Decimal` is what goes in and comes out. The one
//! quote refused after the checks is one charging so far above a tiny list
//! total (billions of times) that its effective discount, a negative
//! percent, would not fit in a `Decimal`.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// The most lines a quote may have.
pub const MAX_LINES: usize = 1000;
/// The most minor units a currency may have (ISO 4217 has none above 4).
pub const MAX_MINOR_UNITS: u32 = 4;
/// The largest quantity of a line.
pub const MAX_QUANTITY: i64 = 1_000_000_000;
/// The largest list or unit price, as in the price books.
pub const MAX_PRICE: i64 = 1_000_000_000_000;
/// The most decimals of a quantity or a price (a unit price can be finer
/// than the currency: 0.0125 a message).
pub const MAX_FIGURE_DECIMALS: u32 = 6;
/// The most decimals of a discount percent or a tax rate (9.975).
pub const MAX_PERCENT_DECIMALS: u32 = 4;

/// Quantities and prices are held as whole millionths.
const FIGURE_SCALE: u32 = MAX_FIGURE_DECIMALS;
/// Percents are held as whole ten-thousandths of a percent.
const PERCENT_SCALE: u32 = MAX_PERCENT_DECIMALS;
/// 100 % in ten-thousandths of a percent.
const HUNDRED_PERCENT: u128 = 100 * 10u128.pow(PERCENT_SCALE);

/// The number of minor units of an ISO 4217 currency code (uppercase, as the
/// standard writes it): EUR 2, JPY 0, BHD 3. `None` for an unknown code and
/// for codes without minor units (gold, SDR, …), which cannot price a quote.
pub fn minor_units(currency: &str) -> Option<u32> {
    iso_currency::Currency::from_code(currency)
        .and_then(|c| c.exponent())
        .map(u32::from)
}

/// Rounds `amount` half-up (a midpoint goes away from zero) to `minor_units`
/// decimals and gives the result exactly that scale, so `5` prints `5.00`
/// for EUR. Never panics: `minor_units` beyond `Decimal`'s 28 decimals is
/// taken as 28, and an amount with too many whole digits to carry the scale
/// carries the largest scale it can.
pub fn round_money(amount: Decimal, minor_units: u32) -> Decimal {
    let scale = minor_units.min(Decimal::MAX_SCALE);
    let mut rounded = amount.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(scale);
    // -0.001 rounds to zero: show it as 0.00, not -0.00.
    if rounded.is_zero() {
        rounded.set_sign_positive(true);
    }
    rounded
}

/// A volume tier: from `from_quantity` units on, each costs `unit_price`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    pub from_quantity: Decimal,
    pub unit_price: Decimal,
}

/// The unit price for `quantity` from a list price and volume tiers: the
/// tier with the greatest `from_quantity` <= quantity, else the list price.
/// Tiers may come in any order; of two with the same `from_quantity` the
/// first listed wins.
pub fn tier_price(list_price: Decimal, tiers: &[Tier], quantity: Decimal) -> Decimal {
    let mut best: Option<&Tier> = None;
    for tier in tiers {
        if tier.from_quantity <= quantity
            && best.is_none_or(|b| tier.from_quantity > b.from_quantity)
        {
            best = Some(tier);
        }
    }
    best.map_or(list_price, |t| t.unit_price)
}

/// One line of a quote, as the pricing needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub quantity: Decimal,
    /// The price book's price for one unit before tiers (for a custom line:
    /// its unit price): what "list" means.
    pub list_price: Decimal,
    /// The unit price charged (a tier's, or the list price, or a custom one).
    pub unit_price: Decimal,
    /// The line's own discount, in percent: 0 to 100.
    pub discount_percent: Decimal,
    /// In percent, 0 to 100: 19, or 9.975.
    pub tax_rate: Decimal,
    /// The group whose subtotal the line counts towards, if any.
    pub group: Option<String>,
}

/// A quote to price: its lines, in the currency with `minor_units`, and a
/// discount in percent over them all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteInput {
    pub minor_units: u32,
    pub lines: Vec<LineInput>,
    pub discount_percent: Decimal,
}

/// A priced line; every figure rounded to the currency's minor units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PricedLine {
    /// round(quantity × list_price).
    pub list: Decimal,
    /// round(quantity × unit_price).
    pub gross: Decimal,
    /// gross − net: the line discount as the customer sees it.
    pub discount: Decimal,
    /// round(quantity × unit_price × (1 − discount_percent/100)), one
    /// rounding from the exact product.
    pub net: Decimal,
    /// This line's share of the quote-level discount.
    pub quote_discount: Decimal,
    /// net − quote_discount: what the line's tax is charged on.
    pub taxable: Decimal,
}

/// The subtotal of the lines naming one group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupTotal {
    pub name: String,
    /// Σ net of its lines.
    pub net: Decimal,
}

/// The tax at one rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaxTotal {
    /// In percent, without trailing zeros (19, 9.975).
    pub rate: Decimal,
    /// Σ taxable of the lines at this rate.
    pub base: Decimal,
    /// round(base × rate / 100).
    pub amount: Decimal,
}

/// The quote's totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Σ list.
    pub list_total: Decimal,
    /// Σ net.
    pub subtotal: Decimal,
    /// round(subtotal × discount_percent / 100).
    pub quote_discount: Decimal,
    /// subtotal − quote_discount (= Σ taxable).
    pub net_total: Decimal,
    /// list_total − net_total: all the customer saves against list.
    pub discount_total: Decimal,
    /// One per distinct rate, lowest first.
    pub taxes: Vec<TaxTotal>,
    /// Σ taxes' amounts.
    pub tax_total: Decimal,
    /// net_total + tax_total.
    pub total: Decimal,
    /// discount_total / list_total × 100, half-up to 2 decimals; 0.00 when
    /// list_total is 0.
    pub effective_discount_percent: Decimal,
}

/// A priced quote: its lines in input order, its groups and its totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Priced {
    pub lines: Vec<PricedLine>,
    pub groups: Vec<GroupTotal>,
    pub totals: Totals,
}

/// Why a quote cannot be priced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// A field breaks a rule; `field` is a path like `lines[2].quantity`.
    #[error("{field} {problem}")]
    Invalid { field: String, problem: String },
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> PricingError {
    PricingError::Invalid {
        field: field.into(),
        problem: problem.into(),
    }
}

/// Prices a quote: validates it, then computes every figure by the rules in
/// the module documentation.
pub fn price(input: &QuoteInput) -> Result<Priced, PricingError> {
    validate(input)?;
    let m = input.minor_units;
    let lines = input
        .lines
        .iter()
        .map(Line::from_input)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(too_large)?;
    let quote_percent = fixed(input.discount_percent, PERCENT_SCALE).ok_or_else(too_large)?;
    let mut priced = compute(m, &lines, quote_percent).ok_or_else(too_large)?;
    // Both carry scale m, so their mantissas are whole minor units.
    let totals = &mut priced.totals;
    totals.effective_discount_percent = effective_percent(
        totals.discount_total.mantissa(),
        totals.list_total.mantissa().unsigned_abs(),
    )
    .ok_or_else(|| {
        invalid(
            "lines",
            "are priced too far above their list prices to state a discount",
        )
    })?;
    Ok(priced)
}

/// Within the limits, unreachable: every figure is at most 2 × 10^24 with 4
/// decimals, inside both `Decimal` (7.9 × 10^28 units) and `u128`. Kept so
/// that a mistake in that reasoning refuses the quote instead of panicking.
fn too_large() -> PricingError {
    invalid("lines", "add up to more than can be priced exactly")
}

/// Checks every field against the limits, in input order; the first problem
/// wins.
fn validate(input: &QuoteInput) -> Result<(), PricingError> {
    if input.minor_units > MAX_MINOR_UNITS {
        return Err(invalid(
            "minor_units",
            format!("must be at most {MAX_MINOR_UNITS}"),
        ));
    }
    if input.lines.len() > MAX_LINES {
        return Err(invalid(
            "lines",
            format!("must have at most {MAX_LINES} lines"),
        ));
    }
    for (i, line) in input.lines.iter().enumerate() {
        let at = |name: &str| format!("lines[{i}].{name}");
        check_figure(&at("quantity"), line.quantity, true, MAX_QUANTITY)?;
        check_figure(&at("list_price"), line.list_price, false, MAX_PRICE)?;
        check_figure(&at("unit_price"), line.unit_price, false, MAX_PRICE)?;
        check_percent(&at("discount_percent"), line.discount_percent)?;
        check_percent(&at("tax_rate"), line.tax_rate)?;
    }
    check_percent("discount_percent", input.discount_percent)
}

fn check_figure(field: &str, value: Decimal, positive: bool, max: i64) -> Result<(), PricingError> {
    if positive && value <= Decimal::ZERO {
        Err(invalid(field, "must be greater than 0"))
    } else if value < Decimal::ZERO {
        Err(invalid(field, "must not be negative"))
    } else if value > Decimal::from(max) {
        Err(invalid(field, format!("must be at most {max}")))
    } else if value.normalize().scale() > MAX_FIGURE_DECIMALS {
        Err(invalid(
            field,
            format!("may have at most {MAX_FIGURE_DECIMALS} decimals"),
        ))
    } else {
        Ok(())
    }
}

fn check_percent(field: &str, value: Decimal) -> Result<(), PricingError> {
    if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
        Err(invalid(field, "must be from 0 to 100"))
    } else if value.normalize().scale() > MAX_PERCENT_DECIMALS {
        Err(invalid(
            field,
            format!("may have at most {MAX_PERCENT_DECIMALS} decimals"),
        ))
    } else {
        Ok(())
    }
}

/// A validated line as whole numbers: quantity and prices in millionths,
/// percents in ten-thousandths of a percent.
struct Line<'a> {
    quantity: u128,
    list_price: u128,
    unit_price: u128,
    discount: u128,
    tax_rate: u128,
    group: Option<&'a str>,
}

impl<'a> Line<'a> {
    fn from_input(line: &'a LineInput) -> Option<Self> {
        Some(Line {
            quantity: fixed(line.quantity, FIGURE_SCALE)?,
            list_price: fixed(line.list_price, FIGURE_SCALE)?,
            unit_price: fixed(line.unit_price, FIGURE_SCALE)?,
            discount: fixed(line.discount_percent, PERCENT_SCALE)?,
            tax_rate: fixed(line.tax_rate, PERCENT_SCALE)?,
            group: line.group.as_deref(),
        })
    }

    /// The order that breaks ties between equal remainders: by content only,
    /// so that equal lines are interchangeable and position never matters.
    fn canonical_cmp(&self, other: &Self) -> Ordering {
        self.quantity
            .cmp(&other.quantity)
            .then(self.unit_price.cmp(&other.unit_price))
            .then(self.list_price.cmp(&other.list_price))
            .then(self.discount.cmp(&other.discount))
            .then(self.tax_rate.cmp(&other.tax_rate))
            .then_with(|| self.group.cmp(&other.group))
    }
}

/// A validated, non-negative value as a whole number of 10^-scale; `None` if
/// it has more decimals than that (validation rules it out).
fn fixed(value: Decimal, scale: u32) -> Option<u128> {
    let value = value.normalize();
    let shift = scale.checked_sub(value.scale())?;
    value
        .mantissa()
        .unsigned_abs()
        .checked_mul(10u128.checked_pow(shift)?)
}

/// A whole number of 10^-scale as a `Decimal` with exactly that scale.
fn to_decimal(units: i128, scale: u32) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(units, scale).ok()
}

fn money(minor: u128, m: u32) -> Option<Decimal> {
    to_decimal(i128::try_from(minor).ok()?, m)
}

/// ⌊a·b/d⌋ and the remainder a·b − ⌊a·b/d⌋·d, exactly, even where a·b
/// itself would overflow 128 bits (a quote discount times a net can).
/// `None` if d is 0 or above 2^127, or the quotient does not fit.
fn mul_div_rem(a: u128, b: u128, d: u128) -> Option<(u128, u128)> {
    if d == 0 || d > u128::MAX / 2 {
        return None;
    }
    // a·b = (a_q·d + a_r)·b, so ⌊a·b/d⌋ = a_q·b + ⌊a_r·b/d⌋ with a_r < d.
    let (a_q, a_r) = (a / d, a % d);
    let whole = a_q.checked_mul(b)?;
    // ⌊a_r·b/d⌋ by long multiplication over the bits of b, highest first.
    // r stays below d <= 2^127, so neither 2r nor r + a_r overflows; q stays
    // below the part of b done so far, so neither does q.
    let (mut q, mut r) = (0u128, 0u128);
    for bit in (0..u128::BITS - b.leading_zeros()).rev() {
        q *= 2;
        r *= 2;
        if r >= d {
            r -= d;
            q += 1;
        }
        if (b >> bit) & 1 == 1 {
            r += a_r;
            if r >= d {
                r -= d;
                q += 1;
            }
        }
    }
    Some((whole.checked_add(q)?, r))
}

/// a·b/d rounded half-up, exactly.
fn mul_div_round(a: u128, b: u128, d: u128) -> Option<u128> {
    let (q, r) = mul_div_rem(a, b, d)?;
    // r >= d/2, written so that it cannot overflow.
    if r >= d - r {
        q.checked_add(1)
    } else {
        Some(q)
    }
}

/// Money figures of one line in minor units.
struct LineFigures {
    list: u128,
    gross: u128,
    net: u128,
    share: u128,
}

fn compute(m: u32, lines: &[Line], quote_percent: u128) -> Option<Priced> {
    // A product of two millionths has 12 decimals; to minor units: 10^(12−m).
    let per_minor = 10u128.pow(2 * FIGURE_SCALE - m);
    let mut figures = Vec::with_capacity(lines.len());
    for line in lines {
        // At most 10^15 millionths × 10^18 millionths: fits in u128.
        let list_exact = line.quantity.checked_mul(line.list_price)?;
        let gross_exact = line.quantity.checked_mul(line.unit_price)?;
        let kept = HUNDRED_PERCENT.checked_sub(line.discount)?;
        figures.push(LineFigures {
            list: mul_div_round(list_exact, 1, per_minor)?,
            gross: mul_div_round(gross_exact, 1, per_minor)?,
            net: mul_div_round(gross_exact, kept, per_minor.checked_mul(HUNDRED_PERCENT)?)?,
            share: 0,
        });
    }
    let subtotal = sum(figures.iter().map(|f| f.net))?;
    let quote_discount = mul_div_round(subtotal, quote_percent, HUNDRED_PERCENT)?;
    allocate(quote_discount, subtotal, lines, &mut figures)?;

    let mut groups: Vec<(&str, u128)> = Vec::new();
    let mut taxes: BTreeMap<u128, u128> = BTreeMap::new();
    let mut priced_lines = Vec::with_capacity(lines.len());
    for (line, f) in lines.iter().zip(&figures) {
        // share <= net: see `allocate`.
        let taxable = f.net.checked_sub(f.share)?;
        if let Some(name) = line.group {
            match groups.iter_mut().find(|(n, _)| *n == name) {
                Some((_, net)) => *net = net.checked_add(f.net)?,
                None => groups.push((name, f.net)),
            }
        }
        let base = taxes.entry(line.tax_rate).or_insert(0);
        *base = base.checked_add(taxable)?;
        priced_lines.push(PricedLine {
            list: money(f.list, m)?,
            gross: money(f.gross, m)?,
            discount: money(f.gross.checked_sub(f.net)?, m)?,
            net: money(f.net, m)?,
            quote_discount: money(f.share, m)?,
            taxable: money(taxable, m)?,
        });
    }

    let mut tax_totals = Vec::with_capacity(taxes.len());
    let mut tax_total = 0u128;
    for (rate, base) in taxes {
        let amount = mul_div_round(base, rate, HUNDRED_PERCENT)?;
        tax_total = tax_total.checked_add(amount)?;
        tax_totals.push(TaxTotal {
            rate: to_decimal(i128::try_from(rate).ok()?, PERCENT_SCALE)?.normalize(),
            base: money(base, m)?,
            amount: money(amount, m)?,
        });
    }

    let list_total = sum(figures.iter().map(|f| f.list))?;
    let net_total = subtotal.checked_sub(quote_discount)?;
    let discount_total = i128::try_from(list_total)
        .ok()?
        .checked_sub(i128::try_from(net_total).ok()?)?;
    Some(Priced {
        lines: priced_lines,
        groups: groups
            .into_iter()
            .map(|(name, net)| {
                Some(GroupTotal {
                    name: name.to_owned(),
                    net: money(net, m)?,
                })
            })
            .collect::<Option<_>>()?,
        totals: Totals {
            list_total: money(list_total, m)?,
            subtotal: money(subtotal, m)?,
            quote_discount: money(quote_discount, m)?,
            net_total: money(net_total, m)?,
            discount_total: to_decimal(discount_total, m)?,
            taxes: tax_totals,
            tax_total: money(tax_total, m)?,
            total: money(net_total.checked_add(tax_total)?, m)?,
            // Set by `price`, which can report when it does not fit.
            effective_discount_percent: Decimal::ZERO,
        },
    })
}

fn sum(values: impl Iterator<Item = u128>) -> Option<u128> {
    values.into_iter().try_fold(0u128, u128::checked_add)
}

/// Splits `quote_discount` over the lines in proportion to their nets by the
/// largest-remainder method, writing each line's `share`.
///
/// A share never exceeds its line's net. The quote discount is at most the
/// subtotal (its percent is at most 100 and the subtotal is already whole
/// minor units), so ⌊Q·net/subtotal⌋ <= net. A line gets one more unit only
/// with a remainder above 0, i.e. when Q·net/subtotal is not whole and so
/// its floor is below net. And such lines are enough: the units left over
/// are Σ remainder/subtotal, less than the number of non-zero remainders.
fn allocate(
    quote_discount: u128,
    subtotal: u128,
    lines: &[Line],
    figures: &mut [LineFigures],
) -> Option<()> {
    if quote_discount == 0 || subtotal == 0 {
        return Some(());
    }
    let mut remainders = Vec::with_capacity(figures.len());
    let mut handed_out = 0u128;
    for f in figures.iter_mut() {
        let (share, remainder) = mul_div_rem(quote_discount, f.net, subtotal)?;
        f.share = share;
        handed_out = handed_out.checked_add(share)?;
        remainders.push(remainder);
    }
    let mut left = quote_discount.checked_sub(handed_out)?;
    let mut order: Vec<usize> = (0..figures.len()).collect();
    order.sort_by(|&i, &j| {
        remainders[j]
            .cmp(&remainders[i])
            .then(figures[j].net.cmp(&figures[i].net))
            .then_with(|| lines[i].canonical_cmp(&lines[j]))
            .then(i.cmp(&j))
    });
    for i in order {
        if left == 0 {
            break;
        }
        figures[i].share = figures[i].share.checked_add(1)?;
        left -= 1;
    }
    // Each line can take at most one unit, so nothing may be left over.
    (left == 0).then_some(())
}

/// discount_total / list_total × 100, half-up to 2 decimals; both in minor
/// units, so their scale cancels. `None` only when lines charge so far above
/// list that the percent (beyond 7.9 × 10^26) overflows `Decimal`.
fn effective_percent(discount_total: i128, list_total: u128) -> Option<Decimal> {
    if list_total == 0 {
        return to_decimal(0, 2);
    }
    // Hundredths of a percent: |discount| × 10^4 / list.
    let hundredths = mul_div_round(discount_total.unsigned_abs(), 10_000, list_total)?;
    let hundredths = i128::try_from(hundredths).ok()?;
    to_decimal(
        if discount_total < 0 {
            -hundredths
        } else {
            hundredths
        },
        2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn line(quantity: &str, price: &str) -> LineInput {
        LineInput {
            quantity: d(quantity),
            list_price: d(price),
            unit_price: d(price),
            discount_percent: d("0"),
            tax_rate: d("19"),
            group: None,
        }
    }

    fn quote(lines: Vec<LineInput>) -> QuoteInput {
        QuoteInput {
            minor_units: 2,
            lines,
            discount_percent: d("0"),
        }
    }

    fn problem(input: &QuoteInput) -> (String, String) {
        match price(input) {
            Err(PricingError::Invalid { field, problem }) => (field, problem),
            Ok(p) => panic!("priced: {p:?}"),
        }
    }

    #[test]
    fn minor_units_come_from_iso_4217() {
        assert_eq!(minor_units("EUR"), Some(2));
        assert_eq!(minor_units("JPY"), Some(0));
        assert_eq!(minor_units("BHD"), Some(3));
        assert_eq!(minor_units("CLF"), Some(4));
        assert_eq!(minor_units("XAU"), None);
        assert_eq!(minor_units("ZZZ"), None);
        assert_eq!(minor_units(""), None);
        assert_eq!(minor_units("EURO"), None);
    }

    #[test]
    fn rounding_is_half_up_and_pads_the_scale() {
        let cases = [
            ("0.005", 2, "0.01"),
            ("0.004999", 2, "0.00"),
            ("1.005", 2, "1.01"),
            ("-0.005", 2, "-0.01"),
            ("-0.004", 2, "0.00"),
            ("2.5", 0, "3"),
            ("3.5", 0, "4"),
            ("2.4999", 0, "2"),
            ("-2.5", 0, "-3"),
            ("5", 2, "5.00"),
            ("1.25", 3, "1.250"),
            ("0.00005", 4, "0.0001"),
            ("12.3456", 2, "12.35"),
            ("0", 3, "0.000"),
        ];
        for (amount, units, want) in cases {
            let got = round_money(d(amount), units);
            assert_eq!(got.to_string(), want, "{amount} to {units}");
            assert_eq!(got.scale(), units);
        }
    }

    #[test]
    fn rounding_never_panics_at_the_edges() {
        assert_eq!(round_money(Decimal::MAX, 2), Decimal::MAX);
        assert_eq!(round_money(Decimal::MIN, 0), Decimal::MIN);
        assert_eq!(round_money(d("1.5"), 99).scale(), 28);
        assert_eq!(round_money(Decimal::MAX, 0).scale(), 0);
    }

    #[test]
    fn tier_price_takes_the_highest_tier_reached() {
        let tiers = [
            Tier {
                from_quantity: d("100"),
                unit_price: d("8"),
            },
            Tier {
                from_quantity: d("10"),
                unit_price: d("9"),
            },
            Tier {
                from_quantity: d("10.00"),
                unit_price: d("9.50"),
            },
        ];
        let list = d("10");
        assert_eq!(tier_price(list, &tiers, d("1")), d("10"));
        assert_eq!(tier_price(list, &tiers, d("9.999")), d("10"));
        assert_eq!(tier_price(list, &tiers, d("10")), d("9"));
        assert_eq!(tier_price(list, &tiers, d("99")), d("9"));
        assert_eq!(tier_price(list, &tiers, d("100")), d("8"));
        assert_eq!(tier_price(list, &tiers, d("5000")), d("8"));
        assert_eq!(tier_price(list, &[], d("5000")), d("10"));
    }

    #[test]
    fn validation_names_the_first_bad_field() {
        let mut q = quote(vec![line("1", "10"), line("0", "10"), line("-1", "10")]);
        assert_eq!(
            problem(&q),
            ("lines[1].quantity".into(), "must be greater than 0".into())
        );
        q.lines[1].quantity = d("1");
        assert_eq!(
            problem(&q),
            ("lines[2].quantity".into(), "must be greater than 0".into())
        );
        q.lines[2].quantity = d("1000000000.1");
        assert_eq!(
            problem(&q),
            (
                "lines[2].quantity".into(),
                "must be at most 1000000000".into()
            )
        );
        q.lines[2].quantity = d("0.0000001");
        assert_eq!(
            problem(&q),
            (
                "lines[2].quantity".into(),
                "may have at most 6 decimals".into()
            )
        );
        // Trailing zeros are not decimals.
        q.lines[2].quantity = d("2.50000000");
        q.lines[0].list_price = d("-0.01");
        assert_eq!(
            problem(&q),
            ("lines[0].list_price".into(), "must not be negative".into())
        );
        q.lines[0].list_price = d("10");
        q.lines[0].unit_price = d("1000000000000.01");
        assert_eq!(
            problem(&q),
            (
                "lines[0].unit_price".into(),
                "must be at most 1000000000000".into()
            )
        );
        q.lines[0].unit_price = d("10");
        q.lines[0].discount_percent = d("100.01");
        assert_eq!(
            problem(&q),
            (
                "lines[0].discount_percent".into(),
                "must be from 0 to 100".into()
            )
        );
        q.lines[0].discount_percent = d("12.34567");
        assert_eq!(
            problem(&q),
            (
                "lines[0].discount_percent".into(),
                "may have at most 4 decimals".into()
            )
        );
        q.lines[0].discount_percent = d("100");
        q.lines[0].tax_rate = d("-1");
        assert_eq!(
            problem(&q),
            ("lines[0].tax_rate".into(), "must be from 0 to 100".into())
        );
        q.lines[0].tax_rate = d("9.975");
        q.discount_percent = d("101");
        assert_eq!(
            problem(&q),
            ("discount_percent".into(), "must be from 0 to 100".into())
        );
        q.discount_percent = d("5");
        q.minor_units = 5;
        assert_eq!(
            problem(&q),
            ("minor_units".into(), "must be at most 4".into())
        );
        q.minor_units = 2;
        q.lines = vec![line("1", "1"); MAX_LINES + 1];
        assert_eq!(
            problem(&q),
            ("lines".into(), "must have at most 1000 lines".into())
        );
        q.lines.pop();
        assert!(price(&q).is_ok());
    }

    #[test]
    fn the_error_reads_as_a_sentence() {
        let e = invalid("lines[0].quantity", "must be greater than 0");
        assert_eq!(e.to_string(), "lines[0].quantity must be greater than 0");
    }

    #[test]
    fn mul_div_rem_is_exact_beyond_128_bits() {
        let naive = |a: u128, b: u128, d: u128| Some((a * b / d, a * b % d));
        for (a, b, dv) in [(7, 3, 2), (0, 5, 3), (5, 0, 3), (10, 10, 1), (99, 97, 100)] {
            assert_eq!(mul_div_rem(a, b, dv), naive(a, b, dv));
        }
        // (2^100 - 1)·(2^100 + 1) / 2^100 = 2^100 - 2^-100: floor 2^100 - 1.
        let p = 1u128 << 100;
        assert_eq!(mul_div_rem(p - 1, p + 1, p), Some((p - 1, p - 1)));
        // 10^30 · 10^30 / 10^28 = 10^32.
        let e = |n: u32| 10u128.pow(n);
        assert_eq!(mul_div_rem(e(30), e(30), e(28)), Some((e(32), 0)));
        assert_eq!(mul_div_rem(e(30), e(30), e(20)), None);
        assert_eq!(mul_div_rem(1, 1, 0), None);
        assert_eq!(mul_div_round(5, 1, 10), Some(1));
        assert_eq!(mul_div_round(4, 1, 10), Some(0));
        assert_eq!(mul_div_round(15, 1, 10), Some(2));
    }

    #[test]
    fn the_largest_quote_prices_without_overflow() {
        let mut big = line("999999999.999999", "999999999999.999999");
        big.list_price = d("1000000000000");
        big.discount_percent = d("0.0001");
        big.tax_rate = d("99.9999");
        let mut q = quote(vec![big; MAX_LINES]);
        q.minor_units = 4;
        q.discount_percent = d("33.3333");
        let p = price(&q).unwrap();
        // q × p = (10^9 − 10^-6)(10^12 − 10^-6) = 10^21 − 1001000 + 10^-12;
        // × 0.999999 = 10^21 − 10^15 − 1001000 + 1.001 + 10^-12 − 10^-18,
        // i.e. 999998999999998999001.001000000000999999: 39 digits.
        assert_eq!(p.lines[0].gross.to_string(), "999999999999998999000.0000");
        assert_eq!(p.lines[0].list.to_string(), "999999999999999000000.0000");
        assert_eq!(p.lines[0].net.to_string(), "999998999999998999001.0010");
        assert_eq!(p.totals.subtotal, p.lines[0].net * Decimal::from(1000));
        assert_eq!(p.totals.total.scale(), 4);
    }

    #[test]
    fn a_markup_far_above_a_tiny_list_is_refused_not_panicked() {
        let mut l = line("1000000000", "1000000000000");
        l.list_price = d("0.000001");
        let mut q = quote(vec![l.clone(); MAX_LINES]);
        q.minor_units = 4;
        q.lines[0].quantity = d("0.000001");
        for line in &mut q.lines[1..] {
            line.list_price = d("0");
        }
        // list_total = 0.0000 rounds to 0: no percent at all.
        assert!(price(&q).is_ok());
        q.lines[0].quantity = d("100");
        // list_total 0.0001, net_total 10^24: 10^30 %, beyond Decimal.
        assert_eq!(
            problem(&q),
            (
                "lines".into(),
                "are priced too far above their list prices to state a discount".into()
            )
        );
    }
}
