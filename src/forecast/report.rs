//! The pipeline report: the forecast as a document. Its context is the
//! forecast with short notes in plain language (what moved, what slipped,
//! what is stuck), and its chart is drawn from that context, so a report
//! made again from its kept context has the same chart.

use image::{ImageEncoder, Rgb, RgbImage};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value as Json;

use super::figures::Forecast;
use super::snapshots::Snapshot;
use crate::templates::format::money;

/// The built-in report template's key.
pub const TEMPLATE: &str = "pipeline-report";
/// What a template names the chart of weighted pipeline and won by month.
pub const MONTH_CHART: &str = "chart:forecast-by-month";
/// Notes name at most this many deals or reps each.
const NAMED: usize = 3;

/// The context a report prints: the forecast, with `rep_name` when it is
/// one rep's, and `notes`.
pub fn context(
    mut base: Json,
    forecast: &Forecast,
    rep_name: Option<&str>,
    previous: &[Snapshot],
) -> Result<Json, serde_json::Error> {
    let mut value = serde_json::to_value(forecast)?;
    value["rep_name"] = rep_name.into();
    value["notes"] = notes(forecast, previous).into();
    base["forecast"] = value;
    Ok(base)
}

fn amount(value: Decimal, currency: &str) -> String {
    money(value, currency, "en").unwrap_or_else(|_| format!("{value} {currency}"))
}

/// What a reader should notice, in a few sentences: the totals, the
/// biggest changes since the latest earlier snapshots (`previous`, one per
/// rep), slipped and stuck deals, and deals left out.
pub fn notes(forecast: &Forecast, previous: &[Snapshot]) -> Vec<String> {
    let cur = forecast.currency.as_str();
    let t = &forecast.totals;
    let mut notes = vec![format!(
        "{} open {} worth {} {} expected to close in {}; weighted by probability, {}. \
         Commit {}, best case {}.",
        t.open_deals,
        plural(t.open_deals, "deal", "deals"),
        amount(t.pipeline.0, cur),
        if t.open_deals == 1 { "is" } else { "are" },
        forecast.period.label,
        amount(t.weighted.0, cur),
        amount(t.commit.0, cur),
        amount(t.best_case.0, cur)
    )];
    let mut closed = format!(
        "Won so far: {} in {} {}; lost: {} in {}.",
        amount(t.won.0, cur),
        t.won_deals,
        plural(t.won_deals, "deal", "deals"),
        amount(t.lost.0, cur),
        t.lost_deals
    );
    if let Some(top) = forecast.won.first() {
        closed.push_str(&format!(
            " The largest win: {}{}, {}.",
            top.name,
            top.account_name
                .as_deref()
                .map(|a| format!(" ({a})"))
                .unwrap_or_default(),
            amount(top.amount_base.map_or(Decimal::ZERO, |a| a.0), cur)
        ));
    }
    notes.push(closed);
    if let Some(moved) = movement(forecast, previous) {
        notes.push(moved);
    }
    if !forecast.slipped.is_empty() {
        let named: Vec<String> = forecast
            .slipped
            .iter()
            .take(NAMED)
            .map(|s| {
                format!(
                    "{} from {} to {} ({} days)",
                    s.deal.name, s.from, s.to, s.days
                )
            })
            .collect();
        notes.push(format!(
            "{} {} slipped: {}.",
            forecast.slipped.len(),
            plural(forecast.slipped.len() as i64, "deal", "deals"),
            named.join("; ")
        ));
    }
    if !forecast.stuck.is_empty() {
        let named: Vec<String> = forecast
            .stuck
            .iter()
            .take(NAMED)
            .map(|s| {
                format!(
                    "{} ({} since {})",
                    s.deal.name,
                    s.deal.stage.as_str(),
                    s.since
                )
            })
            .collect();
        notes.push(format!(
            "{} {} in one stage for more than {} days: {}.",
            forecast.stuck.len(),
            plural(
                forecast.stuck.len() as i64,
                "deal has been",
                "deals have been"
            ),
            forecast.stuck_days,
            named.join("; ")
        ));
    }
    if !forecast.unconverted.is_empty() {
        let mut currencies: Vec<&str> = forecast
            .unconverted
            .iter()
            .filter_map(|d| d.currency.as_deref())
            .collect();
        currencies.sort_unstable();
        currencies.dedup();
        notes.push(format!(
            "{} {} left out: the settings have no exchange rate for {}.",
            forecast.unconverted.len(),
            plural(forecast.unconverted.len() as i64, "deal is", "deals are"),
            currencies.join(", ")
        ));
    }
    notes
}

fn plural<'a>(n: i64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// The change of each rep's weighted forecast since their latest earlier
/// snapshot of the period, the largest first.
fn movement(forecast: &Forecast, previous: &[Snapshot]) -> Option<String> {
    let cur = forecast.currency.as_str();
    let mut moves: Vec<(Decimal, String)> = forecast
        .by_rep
        .iter()
        .filter_map(|rep| {
            let before = previous.iter().find(|s| s.rep_id == rep.rep_id)?;
            let delta = rep.figures.weighted.0 - before.weighted.0;
            let name = rep
                .rep_name
                .clone()
                .unwrap_or_else(|| rep.rep_id.to_string());
            Some((delta, name))
        })
        .filter(|(delta, _)| !delta.is_zero())
        .collect();
    if moves.is_empty() {
        return None;
    }
    let total: Decimal = moves.iter().map(|(d, _)| *d).sum();
    moves.sort_by_key(|(d, _)| std::cmp::Reverse(d.abs()));
    let since = previous
        .iter()
        .map(|s| s.meta.created_at.0.date_naive())
        .min()?;
    let named: Vec<String> = moves
        .iter()
        .take(NAMED)
        .map(|(d, name)| {
            format!(
                "{name} {}{}",
                if d.is_sign_negative() { "−" } else { "+" },
                amount(d.abs(), cur)
            )
        })
        .collect();
    Some(format!(
        "Since the snapshots of {since}, the weighted forecast {} by {}: {}.",
        if total.is_sign_negative() {
            "fell"
        } else {
            "rose"
        },
        amount(total.abs(), cur),
        named.join(", ")
    ))
}

/// The images a report names that are drawn from its context, by name.
pub fn charts<'a>(
    names: impl IntoIterator<Item = &'a String>,
    context: &Json,
) -> Result<Vec<(String, Vec<u8>)>, image::ImageError> {
    names
        .into_iter()
        .filter(|name| name.as_str() == MONTH_CHART)
        .map(|name| Ok((name.clone(), month_chart(&context["forecast"])?)))
        .collect()
}

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 480;
const MARGIN: u32 = 40;
const WEIGHTED: Rgb<u8> = Rgb([31, 78, 121]);
const WON: Rgb<u8> = Rgb([76, 153, 80]);
const GRID: Rgb<u8> = Rgb([220, 224, 230]);
const AXIS: Rgb<u8> = Rgb([90, 90, 90]);

/// One month of the chart: its weighted pipeline and what was won, each
/// as a share of the largest figure of any month (0 to 1).
#[derive(Clone, Debug, PartialEq)]
pub struct MonthBars {
    pub month: String,
    pub weighted: f64,
    pub won: f64,
}

/// The bars of the month chart, drawn as a PNG in the report and as SVG in
/// the web app. Bar heights are the only place the forecast meets
/// floating point.
pub fn month_bars(forecast: &Json) -> Vec<MonthBars> {
    let months = forecast["by_month"].as_array().cloned().unwrap_or_default();
    let figure = |month: &Json, key: &str| {
        month[key]
            .as_str()
            .and_then(|s| s.parse::<Decimal>().ok())
            .and_then(|d| d.to_f64())
            .unwrap_or(0.0)
            .max(0.0)
    };
    let largest = months
        .iter()
        .flat_map(|m| [figure(m, "weighted"), figure(m, "won")])
        .fold(0.0_f64, f64::max);
    let share = |value: f64| if largest > 0.0 { value / largest } else { 0.0 };
    months
        .iter()
        .map(|m| MonthBars {
            month: m["month"].as_str().unwrap_or_default().to_owned(),
            weighted: share(figure(m, "weighted")),
            won: share(figure(m, "won")),
        })
        .collect()
}

/// Bars of each month's weighted pipeline (blue) and won (green), on a
/// grid of quarters of the largest, as a PNG.
pub fn month_chart(forecast: &Json) -> Result<Vec<u8>, image::ImageError> {
    let months = month_bars(forecast);
    let mut image = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([255, 255, 255]));
    let plot_height = HEIGHT - 2 * MARGIN;
    let base = HEIGHT - MARGIN;
    for quarter in 1..=4 {
        let y = base - plot_height * quarter / 4;
        fill(&mut image, MARGIN, y, WIDTH - MARGIN, y + 1, GRID);
    }
    let slot = (WIDTH - 2 * MARGIN) / (months.len().max(1) as u32);
    let bar = (slot / 3).max(1);
    let height = |share: f64| (share * f64::from(plot_height)).round() as u32;
    for (i, month) in months.iter().enumerate() {
        let left = MARGIN + slot * i as u32 + slot / 6;
        for (offset, share, colour) in [(0, month.weighted, WEIGHTED), (bar, month.won, WON)] {
            let h = height(share).min(plot_height);
            fill(
                &mut image,
                left + offset,
                base - h,
                left + offset + bar,
                base,
                colour,
            );
        }
    }
    fill(&mut image, MARGIN, base, WIDTH - MARGIN, base + 2, AXIS);
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(
        image.as_raw(),
        WIDTH,
        HEIGHT,
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(png)
}

/// Paints the rectangle from (`x0`, `y0`) up to, not including, (`x1`, `y1`).
fn fill(image: &mut RgbImage, x0: u32, y0: u32, x1: u32, y1: u32, colour: Rgb<u8>) {
    for y in y0..y1.min(image.height()) {
        for x in x0..x1.min(image.width()) {
            image.put_pixel(x, y, colour);
        }
    }
}
