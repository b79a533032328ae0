//! Themes: how a document looks on paper — paper size, margins, fonts,
//! colours, the logo, and the page header and footer.
//!
//! A theme is data (JSON), so marketing can keep their own beside the two
//! built-in ones, `classic` and `modern`.

use serde::{Deserialize, Serialize};

use super::assets::Assets;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub name: String,
    pub paper: Paper,
    pub margins_mm: Margins,
    pub fonts: Fonts,
    /// The body text size in points; headings scale from it.
    pub base_size_pt: f32,
    /// Paragraphs set flush on both sides rather than ragged right.
    #[serde(default)]
    pub justify: bool,
    pub colors: Colors,
    /// The asset drawn at the top of the first page.
    pub logo: Option<String>,
    /// Text at the top of every page; fields `{title}`, `{page}`,
    /// `{pages}` and `{date}` are filled in.
    pub header: Option<String>,
    /// Text at the bottom of every page, with the same fields.
    pub footer: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paper {
    A4,
    Letter,
}

impl Paper {
    /// Width and height in millimetres.
    pub fn size_mm(self) -> (f32, f32) {
        match self {
            Paper::A4 => (210.0, 297.0),
            Paper::Letter => (215.9, 279.4),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Paper::A4 => "a4",
            Paper::Letter => "letter",
        }
    }

    /// `a4` or `letter`, in any case.
    pub fn parse(text: &str) -> Option<Paper> {
        match text.trim().to_ascii_lowercase().as_str() {
            "a4" => Some(Paper::A4),
            "letter" => Some(Paper::Letter),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Margins {
    pub top: f32,
    pub right: f32,
    pub bottom: f32,
    pub left: f32,
}

/// The font families; every renderer has a face of each for every script
/// it supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Sans,
    Serif,
    Mono,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fonts {
    pub body: Family,
    pub heading: Family,
    pub code: Family,
}

/// Colours as `#rrggbb`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Colors {
    pub text: String,
    pub heading: String,
    /// Links, rules, the table header's background.
    pub accent: String,
    /// Header, footer and captions.
    pub muted: String,
    /// Text on the accent colour.
    pub on_accent: String,
    /// Backgrounds of callouts, code and group rows.
    pub shade: String,
}

/// An RGB colour, parsed from `#rrggbb`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub fn parse(text: &str) -> Option<Rgb> {
        let hex = text.strip_prefix('#')?;
        if hex.len() != 6 || !hex.is_ascii() {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Rgb(byte(0)?, byte(2)?, byte(4)?))
    }
}

/// The page fields header and footer text may use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageFields<'a> {
    pub title: &'a str,
    pub page: &'a str,
    pub pages: &'a str,
    pub date: &'a str,
}

/// A piece of header or footer text for a renderer whose page numbers are
/// fields it writes itself (CSS counters, Word fields).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PagePart {
    Text(String),
    Page,
    Pages,
}

/// `text` with `{title}` and `{date}` filled in and `{page}` and `{pages}`
/// left as parts of their own.
pub fn page_parts(text: &str, title: &str, date: &str) -> Vec<PagePart> {
    // Marks no filled-in value can hold: values lose control characters.
    const PAGE: &str = "\u{0}page\u{0}";
    const PAGES: &str = "\u{0}pages\u{0}";
    let fields = PageFields {
        title: &title.replace('\u{0}', ""),
        page: PAGE,
        pages: PAGES,
        date: &date.replace('\u{0}', ""),
    };
    let filled = fill_fields(text, &fields);
    let mut parts = Vec::new();
    for (i, piece) in filled.split('\u{0}').enumerate() {
        match (i % 2, piece) {
            (1, "page") => parts.push(PagePart::Page),
            (1, "pages") => parts.push(PagePart::Pages),
            (_, "") => {}
            (_, text) => parts.push(PagePart::Text(text.to_owned())),
        }
    }
    parts
}

/// `text` with `{title}`, `{page}`, `{pages}` and `{date}` filled in, in
/// one pass: braces that come in with a value are left as they are, and so
/// are other braces.
pub fn fill_fields(text: &str, fields: &PageFields<'_>) -> String {
    let mut out = String::with_capacity(text.len() + fields.title.len());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let value = [
            ("{title}", fields.title),
            ("{pages}", fields.pages),
            ("{page}", fields.page),
            ("{date}", fields.date),
        ]
        .into_iter()
        .find(|(name, _)| after.starts_with(name));
        match value {
            Some((name, value)) => {
                out.push_str(value);
                rest = &after[name.len()..];
            }
            None => {
                out.push('{');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl Theme {
    /// The theme's problems by field, for a theme written by hand.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let mut problem =
            |field: &str, text: &str| problems.push((field.to_owned(), text.to_owned()));
        if self.name.trim().is_empty() {
            problem("name", "required");
        }
        let (width, height) = self.paper.size_mm();
        let m = self.margins_mm;
        for (field, value) in [
            ("top", m.top),
            ("right", m.right),
            ("bottom", m.bottom),
            ("left", m.left),
        ] {
            if !(0.0..=100.0).contains(&value) {
                problem(&format!("margins_mm.{field}"), "must be from 0 to 100 mm");
            }
        }
        if m.left + m.right > width - 50.0 || m.top + m.bottom > height - 50.0 {
            problem("margins_mm", "leave less than 50 mm of paper for the text");
        }
        if !(6.0..=24.0).contains(&self.base_size_pt) {
            problem("base_size_pt", "must be from 6 to 24 points");
        }
        let c = &self.colors;
        for (field, value) in [
            ("text", &c.text),
            ("heading", &c.heading),
            ("accent", &c.accent),
            ("muted", &c.muted),
            ("on_accent", &c.on_accent),
            ("shade", &c.shade),
        ] {
            if Rgb::parse(value).is_none() {
                problem(
                    &format!("colors.{field}"),
                    "must be a colour such as #1f3a5f",
                );
            }
        }
        for (field, value) in [("header", &self.header), ("footer", &self.footer)] {
            if value.as_ref().is_some_and(|v| v.chars().count() > 200) {
                problem(field, "must be at most 200 characters");
            }
        }
        problems
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Theme> {
        let json = match name {
            "classic" => include_str!("../../assets/themes/classic.json"),
            "modern" => include_str!("../../assets/themes/modern.json"),
            _ => return None,
        };
        // Checked by a test, so a broken built-in fails the build's tests.
        serde_json::from_str(json).ok()
    }

    /// The names of the built-in themes.
    pub const BUILTIN: [&'static str; 2] = ["classic", "modern"];

    /// The built-in themes' logos: name and bytes.
    pub const BUILTIN_LOGOS: [(&'static str, &'static [u8]); 2] = [
        (
            "classic-logo.png",
            include_bytes!("../../assets/themes/classic-logo.png"),
        ),
        (
            "modern-logo.png",
            include_bytes!("../../assets/themes/modern-logo.png"),
        ),
    ];

    /// The images every built-in theme may use (the logos), checked once
    /// per process.
    pub fn builtin_assets() -> Assets {
        static BUILTIN: std::sync::LazyLock<Assets> = std::sync::LazyLock::new(|| {
            let mut assets = Assets::default();
            for (name, bytes) in Theme::BUILTIN_LOGOS {
                // Checked by a test as above.
                if let Err(e) = assets.insert(name, bytes.to_vec()) {
                    tracing::error!(asset = name, error = %e, "a built-in asset is broken");
                }
            }
            assets
        });
        BUILTIN.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_themes_load_and_are_valid() {
        for name in Theme::BUILTIN {
            let theme = Theme::builtin(name).unwrap_or_else(|| panic!("{name} loads"));
            assert_eq!(theme.problems(), Vec::<(String, String)>::new(), "{name}");
            let logo = theme.logo.clone().expect("a built-in theme has a logo");
            assert!(
                Theme::builtin_assets().get(&logo).is_some(),
                "{name}'s logo {logo}"
            );
        }
    }

    #[test]
    fn fields_are_filled_and_other_braces_kept() {
        let fields = PageFields {
            title: "Offer",
            page: "2",
            pages: "5",
            date: "2026-11-23",
        };
        assert_eq!(
            fill_fields("{title} · {page}/{pages} · {date} {x}", &fields),
            "Offer · 2/5 · 2026-11-23 {x}"
        );
    }

    #[test]
    fn colours_parse_from_hex() {
        assert_eq!(Rgb::parse("#1f3a5f"), Some(Rgb(0x1f, 0x3a, 0x5f)));
        assert_eq!(Rgb::parse("1f3a5f"), None);
        assert_eq!(Rgb::parse("#1f3a5"), None);
        assert_eq!(Rgb::parse("#zz3a5f"), None);
    }
}
