//! The Word styles and list numbering a document is written with, made from
//! its theme: someone editing the file finds "Heading 2", "List Paragraph"
//! and a table style, not a soup of direct formatting.

use docx_rs::{
    AbstractNumbering, AlignmentType, BorderType, Docx, Level, LevelJc, LevelText, LineSpacing,
    LineSpacingType, NumberFormat, RunFonts, SpecialIndentType, Start, Style, StyleType,
    TableBorder, TableBorderPosition, TableBorders, TableCellMargins,
};

use crate::document::Theme;
use crate::document::theme::{Family, Rgb};

/// Style ids, as Word names its built-in styles.
pub const TITLE: &str = "Title";
pub const BODY: &str = "BodyText";
pub const LIST: &str = "ListParagraph";
pub const QUOTE: &str = "Quote";
pub const CODE: &str = "Code";
pub const CAPTION: &str = "Caption";
pub const NOTE: &str = "FootnoteText";
pub const HEADER: &str = "Header";
pub const FOOTER: &str = "Footer";
pub const TABLE: &str = "ProposalTable";
pub const TABLE_TEXT: &str = "TableText";

/// The abstract numberings every list instance points at.
pub const BULLETS: usize = 1;
pub const NUMBERS: usize = 2;
/// Lists nest at most this deep in Word; deeper items keep the last level.
pub const LEVELS: usize = 9;
/// How far each list level is indented.
pub const LIST_INDENT_TWIPS: i32 = 360;

const TWIPS_PER_MM: f32 = 1440.0 / 25.4;

pub fn twips(mm: f32) -> i32 {
    (mm * TWIPS_PER_MM).round() as i32
}

/// Font sizes are in half points.
pub fn half_points(pt: f32) -> usize {
    (pt * 2.0).round().max(2.0) as usize
}

/// A theme colour as Word writes it (`1F3A5F`); anything but `#rrggbb` is
/// black, as in the other renderers.
pub fn hex(color: &str) -> String {
    let Rgb(r, g, b) = Rgb::parse(color).unwrap_or(Rgb(0, 0, 0));
    format!("{r:02X}{g:02X}{b:02X}")
}

/// The face a family is set in; the same DejaVu faces the PDF embeds.
pub fn font(family: Family) -> RunFonts {
    let name = match family {
        Family::Sans => "DejaVu Sans",
        Family::Serif => "DejaVu Serif",
        Family::Mono => "DejaVu Sans Mono",
    };
    RunFonts::new()
        .ascii(name)
        .hi_ansi(name)
        .east_asia(name)
        .cs(name)
}

/// The size factor of a heading level, as in the PDF.
pub fn heading_factor(level: u8) -> f32 {
    match level {
        1 => 1.9,
        2 => 1.45,
        3 => 1.2,
        4 => 1.05,
        _ => 1.0,
    }
}

pub fn heading_id(level: u8) -> String {
    format!("Heading{}", level.clamp(1, 6))
}

/// Spacing in twentieths of a point.
fn space(before_pt: f32, after_pt: f32) -> LineSpacing {
    LineSpacing::new()
        .before((before_pt * 20.0) as u32)
        .after((after_pt * 20.0) as u32)
}

/// `docx` with the theme's page defaults, styles and list numbering.
pub fn apply(docx: Docx, theme: &Theme) -> Docx {
    let base = theme.base_size_pt;
    let c = &theme.colors;
    let body_font = font(theme.fonts.body);
    let heading_font = font(theme.fonts.heading);
    let mut docx = docx
        .default_fonts(body_font.clone())
        .default_size(half_points(base))
        // Line height 1.2 (in 240ths of a line), as the PDF sets it.
        .default_line_spacing(
            LineSpacing::new()
                .line(276)
                .line_rule(LineSpacingType::Auto)
                .after(0),
        );
    let body_align = if theme.justify {
        AlignmentType::Both
    } else {
        AlignmentType::Left
    };
    let paragraph = |id: &str, name: &str| {
        Style::new(id, StyleType::Paragraph)
            .name(name)
            .based_on("Normal")
            .next(BODY)
            .q_format(true)
    };
    let mut styles = vec![
        paragraph(BODY, "Body Text")
            .color(hex(&c.text))
            .align(body_align)
            .line_spacing(space(0.0, base * 0.6)),
        paragraph(TITLE, "Title")
            .fonts(heading_font.clone())
            .size(half_points(base * heading_factor(1)))
            .bold()
            .color(hex(&c.heading))
            .outline_lvl(0)
            .line_spacing(space(0.0, base * 0.8)),
        paragraph(LIST, "List Paragraph")
            .color(hex(&c.text))
            .line_spacing(space(0.0, base * 0.25)),
        paragraph(QUOTE, "Quote")
            .color(hex(&c.muted))
            .italic()
            .indent(Some(twips(8.0)), None, Some(twips(8.0)), None)
            .line_spacing(space(0.0, base * 0.6)),
        paragraph(CODE, "Code")
            .fonts(font(theme.fonts.code))
            .size(half_points(base * 0.9))
            .color(hex(&c.text))
            .line_spacing(space(0.0, base * 0.6)),
        paragraph(CAPTION, "Caption")
            .color(hex(&c.muted))
            .italic()
            .size(half_points(base * 0.9)),
        paragraph(NOTE, "Footnote Text")
            .color(hex(&c.muted))
            .size(half_points(base * 0.85)),
        paragraph(HEADER, "Header")
            .color(hex(&c.muted))
            .size(16)
            .align(AlignmentType::Center),
        paragraph(FOOTER, "Footer")
            .color(hex(&c.muted))
            .size(16)
            .align(AlignmentType::Center),
        paragraph(TABLE_TEXT, "Table Text")
            .color(hex(&c.text))
            .size(half_points(base * 0.95))
            .line_spacing(LineSpacing::new().line(240).after(0)),
        table_style(theme),
    ];
    for level in 1..=6u8 {
        styles.push(
            paragraph(&heading_id(level), &format!("heading {level}"))
                .fonts(heading_font.clone())
                .size(half_points(base * heading_factor(level)))
                .bold()
                .color(hex(&c.heading))
                .outline_lvl(usize::from(level - 1))
                .line_spacing(space(base * 0.9, base * 0.4)),
        );
    }
    for style in styles {
        docx = docx.add_style(style);
    }
    docx.add_abstract_numbering(numbering(BULLETS, &c.accent))
        .add_abstract_numbering(numbering(NUMBERS, &c.accent))
}

/// Thin rules between rows in the theme's shade, none at the sides, as
/// the PDF draws tables.
pub fn row_rules(theme: &Theme) -> TableBorders {
    let line = |position| {
        TableBorder::new(position)
            .border_type(BorderType::Single)
            .size(4)
            .color(hex(&theme.colors.shade))
    };
    let none = |position| TableBorder::new(position).border_type(BorderType::Nil);
    TableBorders::with_empty()
        .set(line(TableBorderPosition::Top))
        .set(line(TableBorderPosition::Bottom))
        .set(line(TableBorderPosition::InsideH))
        .set(none(TableBorderPosition::Left))
        .set(none(TableBorderPosition::Right))
        .set(none(TableBorderPosition::InsideV))
}

fn table_style(theme: &Theme) -> Style {
    let pad = twips(1.4) as usize;
    Style::new(TABLE, StyleType::Table)
        .name("Proposal Table")
        .based_on("TableNormal")
        .set_borders(row_rules(theme))
        .margins(
            TableCellMargins::new()
                .margin_top(pad, docx_rs::WidthType::Dxa)
                .margin_bottom(pad, docx_rs::WidthType::Dxa)
                .margin_left(pad * 2, docx_rs::WidthType::Dxa)
                .margin_right(pad * 2, docx_rs::WidthType::Dxa),
        )
}

/// Bullets (•, ◦, ▪ by level) or numbers (1., a., i. by level), each level
/// indented one step further.
fn numbering(id: usize, accent: &str) -> AbstractNumbering {
    let mut numbering = AbstractNumbering::new(id);
    for level in 0..LEVELS {
        let (format, text) = if id == BULLETS {
            let bullet = ["•", "◦", "▪"][level % 3];
            ("bullet", bullet.to_owned())
        } else {
            let format = ["decimal", "lowerLetter", "lowerRoman"][level % 3];
            (format, format!("%{}.", level + 1))
        };
        let indent = LIST_INDENT_TWIPS * (level as i32 + 1);
        numbering = numbering.add_level(
            Level::new(
                level,
                Start::new(1),
                NumberFormat::new(format),
                LevelText::new(text),
                LevelJc::new("left"),
            )
            .indent(
                Some(indent),
                Some(SpecialIndentType::Hanging(LIST_INDENT_TWIPS)),
                None,
                None,
            )
            .color(hex(accent)),
        );
    }
    numbering
}

/// The level a list nested `depth` lists deep is numbered at.
pub fn level(depth: usize) -> usize {
    depth.min(LEVELS - 1)
}
