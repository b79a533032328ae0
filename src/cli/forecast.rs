//! `dealdraft forecast`: the forecast as tables, or the pipeline report.

use std::path::PathBuf;

use anyhow::Context;

use dealdraft::auth::Actor;
use dealdraft::auth::users;
use dealdraft::config::DatabaseArgs;
use dealdraft::forecast::figures::{Figures, Forecast};
use dealdraft::forecast::{self, ForecastParams};
use dealdraft::store::Store;

use super::{cli_error, document_format, open};

#[derive(clap::Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// 2026-Q4, 2026-11 or 2026; default: the current quarter.
    #[arg(long)]
    period: Option<String>,
    /// One rep's forecast, by e-mail; default: everyone's.
    #[arg(long, value_name = "EMAIL")]
    rep: Option<String>,
    /// Days in one stage after which an open deal is stuck.
    #[arg(long, default_value_t = forecast::STUCK_DAYS)]
    stuck_days: i64,
    /// Print the forecast as JSON, as the API answers.
    #[arg(long)]
    json: bool,
    /// Make the pipeline report instead, keep it, and write it here.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// The report's format: pdf, docx or html.
    #[arg(long, default_value = "pdf", requires = "report")]
    format: String,
    /// Act as this user; without it the built-in `system` user, an admin.
    #[arg(long = "as", value_name = "EMAIL")]
    as_user: Option<String>,
}

pub async fn run(args: ForecastArgs) -> anyhow::Result<()> {
    let format = document_format(&args.format)?;
    let store = open(&args.database).await?;
    let result = async {
        let actor = users::cli_actor_or_system(&store, args.as_user.as_deref())
            .await
            .map_err(cli_error)?;
        let rep_id = match &args.rep {
            Some(email) => Some(
                users::cli_actor(&store, email)
                    .await
                    .map_err(cli_error)?
                    .user_id,
            ),
            None => None,
        };
        let params = ForecastParams {
            period: args.period.clone(),
            rep_id,
            stuck_days: Some(args.stuck_days),
        };
        match &args.report {
            Some(path) => report(&store, &actor, &params, format, path).await,
            None => {
                let forecast = forecast::forecast(&store, &actor, &params)
                    .await
                    .map_err(cli_error)?;
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&forecast)?);
                } else {
                    print(&forecast);
                }
                Ok(())
            }
        }
    }
    .await;
    store.close().await;
    result
}

async fn report(
    store: &Store,
    actor: &Actor,
    params: &ForecastParams,
    format: dealdraft::documents::DocumentFormat,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let document = dealdraft::documents::report::generate(store, actor, params, format, false)
        .await
        .map_err(cli_error)?;
    let (_, bytes) = dealdraft::documents::content(store, actor, document.meta.id)
        .await
        .map_err(cli_error)?;
    std::fs::write(path, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "document {} ({}, {} bytes) written to {}",
        document.meta.id,
        document.file_name,
        document.size_bytes,
        path.display()
    );
    Ok(())
}

fn row(label: &str, f: &Figures) -> String {
    format!(
        "{label:<24} {:>14} {:>14} {:>14} {:>14} {:>14} {:>5}",
        f.weighted.0, f.commit.0, f.best_case.0, f.pipeline.0, f.won.0, f.open_deals
    )
}

fn print(forecast: &Forecast) {
    let p = &forecast.period;
    println!(
        "Forecast {} ({} to {}), in {}",
        p.label, p.from, p.to, forecast.currency
    );
    println!(
        "{:<24} {:>14} {:>14} {:>14} {:>14} {:>14} {:>5}",
        "", "weighted", "commit", "best case", "pipeline", "won", "open"
    );
    println!("{}", row("total", &forecast.totals));
    println!("\nby month");
    for m in &forecast.by_month {
        println!("{}", row(&m.month, &m.figures));
    }
    println!("\nby rep");
    for r in &forecast.by_rep {
        println!(
            "{}",
            row(r.rep_name.as_deref().unwrap_or("(unknown)"), &r.figures)
        );
    }
    println!("\nby stage");
    for s in &forecast.by_stage {
        println!(
            "{:<24} {:>14} {:>14} {:>5}",
            s.stage.as_str(),
            s.weighted.0,
            s.amount.0,
            s.open_deals
        );
    }
    for (title, lines) in [("won", &forecast.won), ("lost", &forecast.lost)] {
        if !lines.is_empty() {
            println!("\n{title}");
            for d in lines {
                println!(
                    "  {} ({}): {}",
                    d.name,
                    d.owner_name.as_deref().unwrap_or_default(),
                    d.amount_base.map(|a| a.0.to_string()).unwrap_or_default()
                );
            }
        }
    }
    if !forecast.slipped.is_empty() {
        println!("\nslipped");
        for s in &forecast.slipped {
            println!(
                "  {}: {} → {} ({} days, moved {})",
                s.deal.name, s.from, s.to, s.days, s.moved_on
            );
        }
    }
    if !forecast.stuck.is_empty() {
        println!("\nstuck for more than {} days", forecast.stuck_days);
        for s in &forecast.stuck {
            println!(
                "  {}: {} since {} ({} days)",
                s.deal.name,
                s.deal.stage.as_str(),
                s.since,
                s.days
            );
        }
    }
    if !forecast.unconverted.is_empty() {
        println!("\nleft out (no exchange rate)");
        for d in &forecast.unconverted {
            println!(
                "  {}: {} {}",
                d.name,
                d.amount.map(|a| a.0.to_string()).unwrap_or_default(),
                d.currency.as_deref().unwrap_or_default()
            );
        }
    }
}
