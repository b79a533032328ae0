//! The manager's forecast: the period's figures with a chart by month,
//! the team by rep and stage, the deals that slipped or got stuck, each
//! rep's accuracy, and the pipeline report in one click.

use axum::extract::{Query, State};
use axum::response::{Html, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::form::{self, Posted};
use super::{PageError, Signed, view};
use crate::auth::policy::Action;
use crate::auth::users;
use crate::documents::{DocumentFormat, report};
use crate::error::Error;
use crate::forecast::report::{MonthBars, month_bars};
use crate::forecast::snapshots::{self, AccuracyParams};
use crate::forecast::{self, ForecastParams};
use crate::store::Store;

/// The page's query: which period, whose, and when a deal counts as stuck.
/// Empty fields (a form left at "everyone") mean the defaults.
#[derive(Debug, Default, Deserialize)]
pub struct Choice {
    period: Option<String>,
    rep_id: Option<String>,
    stuck_days: Option<String>,
}

impl Choice {
    fn params(&self) -> Result<ForecastParams, Error> {
        Ok(ForecastParams {
            period: form::given(&self.period).map(str::to_owned),
            rep_id: form::param("rep_id", self.rep_id.as_deref())?,
            stuck_days: form::param("stuck_days", self.stuck_days.as_deref())?,
        })
    }
}

/// `GET /forecast`.
pub async fn page(
    State(store): State<Store>,
    signed: Signed,
    Query(choice): Query<Choice>,
) -> Result<Html<String>, PageError> {
    signed.require(Action::ReadForecast)?;
    let params = choice.params()?;
    let forecast = forecast::forecast(&store, &signed.actor, &params).await?;
    let mut forecast =
        serde_json::to_value(&forecast).map_err(|e| Error::Internal(e.to_string()))?;
    // Each rep's row leads to their own forecast of the same period.
    if let Some(reps) = forecast["by_rep"].as_array_mut() {
        for rep in reps {
            let query = serde_urlencoded::to_string([
                ("rep_id", rep["rep_id"].as_str().unwrap_or_default()),
                ("period", params_text(&choice.period)),
            ])
            .unwrap_or_default();
            rep["href"] = format!("/forecast?{query}").into();
        }
    }
    // Everyone who can own a deal, so choosing one rep still offers the
    // others.
    let team = users::sellers(&store, &signed.actor).await?;
    let accuracy = snapshots::accuracy(
        &store,
        &signed.actor,
        &AccuracyParams {
            rep_id: params.rep_id,
        },
    )
    .await?;
    Ok(view::render(
        "forecast.html",
        &json!({
            "me": signed.layout(),
            "current": "/forecast",
            "f": forecast,
            "chart": chart(&month_bars(&forecast), &forecast),
            "team": team,
            "accuracy": accuracy,
            "choice": {
                "period": params_text(&choice.period),
                "rep_id": params_text(&choice.rep_id),
                "stuck_days": params_text(&choice.stuck_days),
            },
        }),
    )?)
}

fn params_text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

/// The chart's drawing area, in SVG user units: the page scales it to
/// its width.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// The month chart as SVG shapes: for each month a weighted bar and a won
/// bar (each titled with its amount, for screen readers and hovering),
/// the month under them, on a grid of quarters of the largest figure.
fn chart(bars: &[MonthBars], forecast: &Value) -> Value {
    let plot = HEIGHT - TOP - BOTTOM;
    let base = TOP + plot;
    let slot = (WIDTH - 2.0 * LEFT) / bars.len().max(1) as f64;
    let bar = slot / 3.0;
    let currency = &forecast["currency"];
    let months = forecast["by_month"].as_array().cloned().unwrap_or_default();
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let shapes: Vec<Value> = bars
        .iter()
        .zip(&months)
        .enumerate()
        .map(|(i, (month, figures))| {
            let left = LEFT + slot * i as f64 + slot / 6.0;
            let rect = |offset: f64, share: f64, key: &str| {
                let height = share * plot;
                json!({"x": round(left + offset), "y": round(base - height), "width": round(bar),
                       "height": round(height), "amount": figures[key], "class": key})
            };
            json!({
                "month": month.month,
                "label_x": round(left + bar),
                "bars": [rect(0.0, month.weighted, "weighted"), rect(bar, month.won, "won")],
            })
        })
        .collect();
    let grid: Vec<f64> = (1..=4)
        .map(|q| round(base - plot * f64::from(q) / 4.0))
        .collect();
    json!({
        "width": WIDTH, "height": HEIGHT, "base": round(base), "label_y": round(base + 18.0),
        "left": LEFT, "right": WIDTH - LEFT, "grid": grid, "months": shapes, "currency": currency,
    })
}

/// `POST /forecast/report`: the pipeline report of the period shown,
/// made, kept and downloaded.
pub async fn report(form: Posted) -> Response {
    let done = async {
        form.signed.require(Action::ReadForecast)?;
        let choice = Choice {
            period: form.field("period").map(str::to_owned),
            rep_id: form.field("rep_id").map(str::to_owned),
            stuck_days: form.field("stuck_days").map(str::to_owned),
        };
        let format: DocumentFormat =
            crate::input::from_json_value(json!(form.text("format").unwrap_or("pdf")))
                .map_err(|_| Error::invalid("format", "choose PDF or DOCX"))?;
        let document =
            report::generate(form.store(), form.actor(), &choice.params()?, format, false).await?;
        super::download(form.store(), form.actor(), document.meta.id).await
    };
    Posted::answer(done.await)
}
