//! Money and dates as a reader in a given locale expects them.
//!
//! A small table of the locales sales documents are written in, rather than
//! a full CLDR: each locale knows its separators, where the currency symbol
//! goes, and its month names.

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

/// How one locale writes numbers, money and dates.
struct Locale {
    tags: &'static [&'static str],
    decimal: char,
    group: &'static str,
    /// Whether the symbol comes before the number (`€1.00`) or after
    /// (`1,00 €`), and the space between them.
    symbol_first: bool,
    symbol_space: &'static str,
    months: [&'static str; 12],
    short_months: [&'static str; 12],
    long: DateOrder,
    /// `short` dates: day/month/year order with this separator.
    numeric: (DateOrder, &'static str),
}

/// The order of day, month and year (which always comes last).
#[derive(Clone, Copy)]
enum DateOrder {
    /// November 23, 2026
    MonthDay,
    /// 23 November 2026
    DayMonth,
    /// 23. November 2026
    DayDotMonth,
    /// 23 de noviembre de 2026
    DayDeMonthDe,
}

const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const EN_SHORT: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const DE_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const DE_SHORT: [&str; 12] = [
    "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez.",
];
const FR_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const FR_SHORT: [&str; 12] = [
    "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
    "déc.",
];
const ES_MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const ES_SHORT: [&str; 12] = [
    "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
];
const IT_MONTHS: [&str; 12] = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
];
const IT_SHORT: [&str; 12] = [
    "gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic",
];
const NL_MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];
const NL_SHORT: [&str; 12] = [
    "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
];

/// A no-break space and a narrow no-break space, so an amount never
/// breaks across lines.
const NBSP: &str = "\u{a0}";
const NNBSP: &str = "\u{202f}";

const LOCALES: &[Locale] = &[
    Locale {
        tags: &["en", "en-us"],
        decimal: '.',
        group: ",",
        symbol_first: true,
        symbol_space: "",
        months: EN_MONTHS,
        short_months: EN_SHORT,
        long: DateOrder::MonthDay,
        numeric: (DateOrder::MonthDay, "/"),
    },
    Locale {
        tags: &["en-gb", "en-ie", "en-au", "en-nz"],
        decimal: '.',
        group: ",",
        symbol_first: true,
        symbol_space: "",
        months: EN_MONTHS,
        short_months: EN_SHORT,
        long: DateOrder::DayMonth,
        numeric: (DateOrder::DayMonth, "/"),
    },
    Locale {
        tags: &["de", "de-de"],
        decimal: ',',
        group: ".",
        symbol_first: false,
        symbol_space: NBSP,
        months: DE_MONTHS,
        short_months: DE_SHORT,
        long: DateOrder::DayDotMonth,
        numeric: (DateOrder::DayMonth, "."),
    },
    Locale {
        tags: &["de-at"],
        decimal: ',',
        group: NBSP,
        symbol_first: true,
        symbol_space: NBSP,
        months: DE_MONTHS,
        short_months: DE_SHORT,
        long: DateOrder::DayDotMonth,
        numeric: (DateOrder::DayMonth, "."),
    },
    Locale {
        tags: &["de-ch"],
        decimal: '.',
        group: "’",
        symbol_first: true,
        symbol_space: NBSP,
        months: DE_MONTHS,
        short_months: DE_SHORT,
        long: DateOrder::DayDotMonth,
        numeric: (DateOrder::DayMonth, "."),
    },
    Locale {
        tags: &["fr", "fr-fr", "fr-be", "fr-ch"],
        decimal: ',',
        group: NNBSP,
        symbol_first: false,
        symbol_space: NBSP,
        months: FR_MONTHS,
        short_months: FR_SHORT,
        long: DateOrder::DayMonth,
        numeric: (DateOrder::DayMonth, "/"),
    },
    Locale {
        tags: &["es", "es-es"],
        decimal: ',',
        group: ".",
        symbol_first: false,
        symbol_space: NBSP,
        months: ES_MONTHS,
        short_months: ES_SHORT,
        long: DateOrder::DayDeMonthDe,
        numeric: (DateOrder::DayMonth, "/"),
    },
    Locale {
        tags: &["it", "it-it"],
        decimal: ',',
        group: ".",
        symbol_first: false,
        symbol_space: NBSP,
        months: IT_MONTHS,
        short_months: IT_SHORT,
        long: DateOrder::DayMonth,
        numeric: (DateOrder::DayMonth, "/"),
    },
    Locale {
        tags: &["nl", "nl-nl", "nl-be"],
        decimal: ',',
        group: ".",
        symbol_first: true,
        symbol_space: NBSP,
        months: NL_MONTHS,
        short_months: NL_SHORT,
        long: DateOrder::DayMonth,
        numeric: (DateOrder::DayMonth, "-"),
    },
];

/// The locale tags `money` and `date` accept (case does not matter).
pub fn locale_tags() -> impl Iterator<Item = &'static str> {
    LOCALES.iter().flat_map(|l| l.tags.iter().copied())
}

fn locale(tag: &str) -> Result<&'static Locale, String> {
    let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
    LOCALES
        .iter()
        .find(|l| l.tags.contains(&tag.as_str()))
        .ok_or_else(|| {
            let known: Vec<&str> = locale_tags().collect();
            format!("unknown locale `{tag}`; known: {}", known.join(", "))
        })
}

/// The symbol of the currencies whose symbol is unambiguous in business
/// documents; the others show their ISO code.
fn symbol(code: &str) -> Option<&'static str> {
    Some(match code {
        "EUR" => "€",
        "GBP" => "£",
        "USD" => "$",
        "JPY" => "¥",
        "INR" => "₹",
        "KRW" => "₩",
        _ => return None,
    })
}

/// `amount` in `currency` for readers in `locale`: rounded half-up to the
/// currency's minor unit, grouped, with the symbol where the locale puts
/// it: `money(1234.5, "EUR", "de")` is `1.234,50 €`.
pub fn money(amount: Decimal, currency: &str, locale_tag: &str) -> Result<String, String> {
    let code = currency.trim().to_ascii_uppercase();
    let Some(iso) = iso_currency::Currency::from_code(&code) else {
        return Err(format!("`{currency}` is not an ISO 4217 currency code"));
    };
    let places = u32::from(iso.exponent().unwrap_or(0));
    let l = locale(locale_tag)?;
    let rounded = amount.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    let number = number_text(rounded.abs(), places, l);
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    Ok(match symbol(&code) {
        Some(s) if l.symbol_first => format!("{sign}{s}{}{number}", l.symbol_space),
        Some(s) => format!("{sign}{number}{}{s}", l.symbol_space),
        None if l.symbol_first => format!("{sign}{code}{NBSP}{number}"),
        None => format!("{sign}{number}{NBSP}{code}"),
    })
}

/// A non-negative number with exactly `places` decimals, grouped.
fn number_text(value: Decimal, places: u32, l: &Locale) -> String {
    let text = format!("{:.*}", places as usize, value);
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::with_capacity(text.len() + whole.len() / 3 * 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push_str(l.group);
        }
        grouped.push(digit);
    }
    if !fraction.is_empty() {
        grouped.push(l.decimal);
        grouped.push_str(fraction);
    }
    grouped
}

/// The date part of `value`: `YYYY-MM-DD` or an RFC 3339 timestamp (its UTC
/// date).
pub fn parse_date(value: &str) -> Result<NaiveDate, String> {
    let value = value.trim();
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(value).map(|t| t.to_utc().date_naive()))
        .map_err(|_| format!("`{value}` is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

/// `date` in `format` — `long` (23 November 2026), `medium` (23 Nov 2026),
/// `short` (23/11/2026), `iso` (2026-11-23), or a chrono `strftime`
/// pattern (English names) — for readers in `locale`.
pub fn date(date: NaiveDate, format: &str, locale_tag: &str) -> Result<String, String> {
    let l = locale(locale_tag)?;
    let (d, m, y) = (date.day(), date.month0() as usize, date.year());
    Ok(match format {
        "iso" => date.format("%Y-%m-%d").to_string(),
        "long" => spelled(l.long, d, l.months[m], y),
        "medium" => spelled(l.long, d, l.short_months[m], y),
        "short" => {
            let (order, sep) = l.numeric;
            match order {
                DateOrder::MonthDay => format!("{:02}{sep}{d:02}{sep}{y}", m + 1),
                _ => format!("{d:02}{sep}{:02}{sep}{y}", m + 1),
            }
        }
        pattern => {
            let items: Vec<chrono::format::Item> =
                chrono::format::StrftimeItems::new(pattern).collect();
            if items.contains(&chrono::format::Item::Error) {
                return Err(format!(
                    "`{pattern}` is neither long, medium, short, iso nor a valid strftime pattern"
                ));
            }
            // A pattern asking for a time or a zone cannot be written from a
            // date; chrono reports that as a formatting error.
            let mut out = String::new();
            std::fmt::Write::write_fmt(
                &mut out,
                format_args!("{}", date.format_with_items(items.into_iter())),
            )
            .map_err(|_| format!("`{pattern}` asks for more than a date has (a time or a zone)"))?;
            out
        }
    })
}

fn spelled(order: DateOrder, d: u32, month: &str, y: i32) -> String {
    match order {
        DateOrder::MonthDay => format!("{month} {d}, {y}"),
        DateOrder::DayMonth => format!("{d} {month} {y}"),
        DateOrder::DayDotMonth => format!("{d}. {month} {y}"),
        DateOrder::DayDeMonthDe => format!("{d} de {month} de {y}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn m(amount: &str, currency: &str, locale: &str) -> String {
        money(Decimal::from_str(amount).unwrap(), currency, locale).unwrap()
    }

    #[test]
    fn money_rounds_half_up_to_the_currency_and_places_the_symbol_by_locale() {
        assert_eq!(m("1234.565", "EUR", "en"), "€1,234.57");
        assert_eq!(m("1234.5", "EUR", "de"), "1.234,50\u{a0}€");
        assert_eq!(m("1234.5", "EUR", "fr"), "1\u{202f}234,50\u{a0}€");
        assert_eq!(m("1234.5", "JPY", "en"), "¥1,235");
        assert_eq!(m("1234.5675", "BHD", "en"), "BHD\u{a0}1,234.568");
        assert_eq!(m("1234567.891", "CHF", "de-CH"), "CHF\u{a0}1’234’567.89");
        assert_eq!(m("-0.004", "EUR", "en"), "€0.00");
        assert_eq!(m("-12.5", "USD", "en-US"), "-$12.50");
    }

    #[test]
    fn unknown_currencies_and_locales_are_named() {
        assert!(
            money(Decimal::ONE, "XYZ", "en")
                .unwrap_err()
                .contains("XYZ")
        );
        assert!(
            money(Decimal::ONE, "EUR", "tlh")
                .unwrap_err()
                .contains("tlh")
        );
    }

    #[test]
    fn dates_are_written_as_each_locale_writes_them() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        assert_eq!(date(d, "long", "en").unwrap(), "March 5, 2026");
        assert_eq!(date(d, "long", "en-GB").unwrap(), "5 March 2026");
        assert_eq!(date(d, "long", "de").unwrap(), "5. März 2026");
        assert_eq!(date(d, "long", "es").unwrap(), "5 de marzo de 2026");
        assert_eq!(date(d, "short", "en").unwrap(), "03/05/2026");
        assert_eq!(date(d, "short", "de").unwrap(), "05.03.2026");
        assert_eq!(date(d, "medium", "fr").unwrap(), "5 mars 2026");
        assert_eq!(date(d, "iso", "fr").unwrap(), "2026-03-05");
        assert_eq!(date(d, "%d %b %Y", "en").unwrap(), "05 Mar 2026");
        assert!(date(d, "%Q", "en").is_err());
        assert!(
            date(d, "%H:%M", "en")
                .unwrap_err()
                .contains("more than a date")
        );
        assert_eq!(
            parse_date("2026-11-23T23:30:00-02:00").unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
        );
    }
}
