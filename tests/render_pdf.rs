//! The PDF renderer: the proposal fixture read back with poppler, the
//! layout rules checked on the positioned pages, determinism, links,
//! bookmarks, missing images, and as properties that no input makes the
//! renderer panic or produce an outsized file.

mod markdown_inputs;
mod proposal;
mod tools;

use std::ffi::OsStr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::OnceLock;

use dealdraft::document::theme::{PageFields, fill_fields};
use dealdraft::document::{Assets, Document, Metadata, Theme, markdown};
use dealdraft::render::pdf::fonts::{DejaVu, Face, Metrics};
use dealdraft::render::pdf::layout::layout;
use dealdraft::render::pdf::page::{Item, Page, Pages, Rgb};
use dealdraft::render::pdf::pdf;
use dealdraft::render::{Format, RenderError};
use dealdraft::templates::format::money;
use markdown_inputs::{MAX_INPUT, MAX_OUTPUT, arbitrary_text, config, markdownish};
use proposal::{Rendered, data};
use proptest::prelude::*;
use rust_decimal::Decimal;
use tools::{POPPLER, all_text, page_count, run, squeeze, text, tool};

const TITLE: &str = "Proposal for Müller & Söhne GmbH";
const DATE: &str = "2026-11-23";

// ---------------------------------------------------------------- helpers

fn classic() -> Theme {
    Theme::builtin("classic").expect("classic")
}

fn modern() -> Theme {
    Theme::builtin("modern").expect("modern")
}

fn render_proposal(theme: Option<&str>) -> Rendered {
    proposal::render(Format::Pdf, theme)
}

/// The proposal in the classic theme, rendered once per test process.
fn proposal() -> &'static Rendered {
    static PROPOSAL: OnceLock<Rendered> = OnceLock::new();
    PROPOSAL.get_or_init(|| render_proposal(None))
}

/// The proposal's pages as the layout step places them.
fn proposal_pages() -> &'static Pages {
    static PAGES: OnceLock<Pages> = OnceLock::new();
    PAGES.get_or_init(|| lay_out(&proposal().document, &classic()))
}

/// The proposal written to a fresh folder, for the poppler tools.
fn proposal_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("proposal.pdf");
    std::fs::write(&path, &proposal().bytes).expect("written");
    (dir, path)
}

/// One line item of the fixture's data.
struct LineItem {
    group: String,
    name: String,
    quantity: String,
    unit_price: String,
    amount: String,
}

fn eur(amount: &str) -> String {
    money(
        Decimal::from_str(amount).expect("a decimal"),
        "EUR",
        "en-GB",
    )
    .expect("formats")
}

fn line_items() -> Vec<LineItem> {
    let data = data();
    let mut items = Vec::new();
    for group in data["groups"].as_array().expect("groups") {
        for line in group["lines"].as_array().expect("lines") {
            items.push(LineItem {
                group: group["name"].as_str().expect("a name").to_owned(),
                name: line["name"].as_str().expect("a name").to_owned(),
                quantity: line["quantity"].to_string(),
                unit_price: eur(line["unit_price"].as_str().expect("a price")),
                amount: eur(line["amount"].as_str().expect("an amount")),
            });
        }
    }
    assert_eq!(items.len(), 60, "the fixture has 60 line items");
    items
}

fn group_names() -> Vec<String> {
    data()["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["name"].as_str().expect("a name").to_owned())
        .collect()
}

fn metadata() -> Metadata {
    Metadata {
        title: Some("Layout".into()),
        author: Some("Riley Rep".into()),
        subject: None,
        date: Some(DATE.into()),
        language: Some("en".into()),
        draft: false,
    }
}

fn doc(md: &str) -> Document {
    markdown::read(md, metadata()).document
}

fn lay_out_with(doc: &Document, theme: &Theme, assets: &Assets) -> Pages {
    let (pages, _warnings) = layout(doc, theme, assets, &DejaVu, false).expect("lays out");
    pages
}

fn lay_out(doc: &Document, theme: &Theme) -> Pages {
    lay_out_with(doc, theme, &Theme::builtin_assets())
}

/// A text item, borrowed.
#[derive(Clone, Copy, Debug)]
struct Text<'a> {
    x: f32,
    y: f32,
    size: f32,
    face: Face,
    color: Rgb,
    text: &'a str,
    width: f32,
}

fn texts(page: &Page) -> Vec<Text<'_>> {
    page.items
        .iter()
        .filter_map(|item| match item {
            Item::Text {
                x,
                y,
                face,
                size,
                color,
                text,
                width,
            } => Some(Text {
                x: *x,
                y: *y,
                size: *size,
                face: *face,
                color: *color,
                text: text.as_str(),
                width: *width,
            }),
            _ => None,
        })
        .collect()
}

/// The 0-based pages with a text item containing `needle`.
fn pages_with(pages: &Pages, needle: &str) -> Vec<usize> {
    pages
        .pages
        .iter()
        .enumerate()
        .filter(|(_, p)| texts(p).iter().any(|t| t.text.contains(needle)))
        .map(|(i, _)| i)
        .collect()
}

/// The one page holding `needle`.
fn page_with(pages: &Pages, needle: &str) -> usize {
    match pages_with(pages, needle)[..] {
        [page] => page,
        ref other => panic!("`{needle}` is on pages {other:?}, not exactly one"),
    }
}

/// The text area of the theme's pages, in points from the top-left corner.
#[derive(Clone, Copy, Debug)]
struct Area {
    left: f32,
    right: f32,
    top: f32,
    bottom: f32,
    width: f32,
    height: f32,
}

const MM: f32 = 72.0 / 25.4;

fn area(theme: &Theme) -> Area {
    let (w, h) = theme.paper.size_mm();
    let m = theme.margins_mm;
    Area {
        left: m.left * MM,
        right: (w - m.right) * MM,
        top: m.top * MM,
        bottom: (h - m.bottom) * MM,
        width: w * MM,
        height: h * MM,
    }
}

/// The header and footer a page should carry.
fn furniture(theme: &Theme, meta: &Metadata, page: usize, count: usize) -> [Option<String>; 2] {
    let (page, count) = (page.to_string(), count.to_string());
    let fields = PageFields {
        title: meta.title.as_deref().unwrap_or_default(),
        page: &page,
        pages: &count,
        date: meta.date.as_deref().unwrap_or_default(),
    };
    [
        theme.header.as_ref().map(|h| fill_fields(h, &fields)),
        theme.footer.as_ref().map(|f| fill_fields(f, &fields)),
    ]
}

/// How far glyphs reach below the baseline, in em (DejaVu's descender).
const DESCENT: f32 = 0.24;
const SLACK: f32 = 0.75;

/// Text items within the page's text area, not the header or footer.
fn body_texts<'a>(page: &'a Page, a: &Area) -> Vec<Text<'a>> {
    texts(page)
        .into_iter()
        .filter(|t| t.y > a.top && t.y < a.bottom)
        .collect()
}

/// Every place an item of `pages` leaves the theme's margins; the header
/// and footer may stand in the top and bottom margins.
fn margin_violations(pages: &Pages, theme: &Theme, meta: &Metadata) -> Vec<String> {
    let a = area(theme);
    let mut problems = Vec::new();
    let count = pages.pages.len();
    let inside_x = |x1: f32, x2: f32| x1 >= a.left - SLACK && x2 <= a.right + SLACK;
    let inside_y = |y1: f32, y2: f32| y1 >= a.top - SLACK && y2 <= a.bottom + SLACK;
    for (i, page) in pages.pages.iter().enumerate() {
        let [header, footer] = furniture(theme, meta, i + 1, count);
        for item in &page.items {
            let ok = match item {
                Item::Text {
                    x,
                    y,
                    face,
                    size,
                    text,
                    width,
                    ..
                } => {
                    let above = y - DejaVu.ascent(*face) * size;
                    let below = y + DESCENT * size;
                    let in_header = header.as_deref().is_some_and(|h| h.contains(text.as_str()))
                        && above >= -SLACK
                        && below <= a.top + SLACK;
                    let in_footer = footer.as_deref().is_some_and(|f| f.contains(text.as_str()))
                        && above >= a.bottom - SLACK
                        && below <= a.height + SLACK;
                    inside_x(*x, x + width) && (inside_y(above, below) || in_header || in_footer)
                }
                Item::Rect { x, y, w, h, .. }
                | Item::Image { x, y, w, h, .. }
                | Item::Link { x, y, w, h, .. } => {
                    inside_x(*x, x + w) && inside_y(*y, y + h) && *w >= 0.0 && *h >= 0.0
                }
                Item::Line { x1, y1, x2, y2, .. } => {
                    inside_x(x1.min(*x2), x1.max(*x2)) && inside_y(y1.min(*y2), y1.max(*y2))
                }
                // A draft's mark runs across the whole page, margins too.
                Item::Turned { .. } => meta.draft,
            };
            if !ok {
                problems.push(format!("page {}: {item:?}", i + 1));
            }
        }
    }
    problems
}

fn assert_within_margins(pages: &Pages, theme: &Theme, meta: &Metadata) {
    let problems = margin_violations(pages, theme, meta);
    assert!(
        problems.is_empty(),
        "{} items outside the margins {:?}, among them:\n{}",
        problems.len(),
        area(theme),
        problems[..problems.len().min(12)].join("\n")
    );
}

/// `n` single-line paragraphs, to move what follows down the page.
fn filler(n: usize) -> String {
    (0..n).map(|i| format!("Filler {i}.\n\n")).collect()
}

/// A paragraph of `words` distinct words `{tag}000 {tag}001 …`.
fn words(tag: &str, words: usize) -> String {
    (0..words)
        .map(|i| format!("{tag}{i:03}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lines (page, baseline) that hold words starting with `tag`, in
/// reading order.
fn lines_of(pages: &Pages, tag: &str) -> Vec<(usize, f32)> {
    let mut lines: Vec<(usize, f32)> = Vec::new();
    for (i, page) in pages.pages.iter().enumerate() {
        for t in texts(page) {
            if t.text.split(' ').any(|w| w.starts_with(tag))
                && !lines.iter().any(|&(p, y)| p == i && (y - t.y).abs() < 0.01)
            {
                lines.push((i, t.y));
            }
        }
    }
    lines.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    lines
}

/// How many of `lines` are on each page they touch.
fn per_page(lines: &[(usize, f32)]) -> Vec<(usize, usize)> {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for &(page, _) in lines {
        match counts.last_mut() {
            Some((p, n)) if *p == page => *n += 1,
            _ => counts.push((page, 1)),
        }
    }
    counts
}

// ------------------------------------------------- drafts

#[test]
fn a_draft_is_marked_across_every_page_under_its_text() {
    let body = (1..=120)
        .map(|i| format!("Paragraph {i} of a long draft."))
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut doc = markdown::read(&body, metadata()).document;
    doc.metadata.draft = true;
    let theme = classic();
    let pages = lay_out(&doc, &theme);
    assert!(pages.pages.len() >= 3);
    let (w, h) = pages.size;
    for (i, page) in pages.pages.iter().enumerate() {
        // The first item drawn, so the text is drawn over it.
        let Some(Item::Turned {
            x, y, text, angle, ..
        }) = page.items.first()
        else {
            panic!("page {} starts with {:?}", i + 1, page.items.first());
        };
        assert_eq!(text, "DRAFT");
        assert!((angle - (h / w).atan().to_degrees()).abs() < 0.01);
        // From the lower left towards the upper right, within the page.
        assert!(
            *x > 0.0 && *x < w / 2.0 && *y > h / 2.0 && *y < h,
            "{x}, {y}"
        );
        assert_eq!(
            page.items
                .iter()
                .filter(|i| matches!(i, Item::Turned { .. }))
                .count(),
            1
        );
        let Some(Item::Text { text, y, .. }) = page.items.last() else {
            panic!("page {} ends with {:?}", i + 1, page.items.last());
        };
        assert_eq!(text, "DRAFT");
        assert!(*y < area(&theme).top);
    }
    let problems = margin_violations(&pages, &theme, &doc.metadata);
    // The label along the top edge stands in the margin, as a header does.
    assert!(
        problems.iter().all(|p| p.contains("text: \"DRAFT\"")),
        "{problems:?}"
    );

    let bytes = pdf(&doc, &theme, &Theme::builtin_assets(), false)
        .expect("renders")
        .bytes;
    let Some(text) = tools::pdf_text(&bytes) else {
        return;
    };
    assert_eq!(
        text.matches("DRAFT").count(),
        pages.pages.len(),
        "one mark a page:\n{text}"
    );
    assert!(text.contains("Paragraph 120 of a long draft."));
}

// ------------------------------------------------- the fixture, via poppler

#[test]
fn the_proposal_text_holds_every_line_item_and_every_script() {
    let Some(pdftotext) = tool("pdftotext", POPPLER) else {
        return;
    };
    let (_dir, path) = proposal_file();
    let text = all_text(&pdftotext, &path);
    let words: std::collections::HashSet<&str> = text.split_whitespace().collect();
    let mut missing = Vec::new();
    for item in line_items() {
        for word in item.name.split_whitespace().chain([
            item.quantity.as_str(),
            &item.unit_price,
            &item.amount,
        ]) {
            if !words.contains(word) {
                missing.push(format!("{word} (of {})", item.name));
            }
        }
    }
    for group in group_names() {
        for word in group.split_whitespace() {
            if !words.contains(word) {
                missing.push(format!("{word} (of the group {group})"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "missing from the text: {missing:?}\n{text}"
    );
    let flat = squeeze(&text);
    for expected in [
        "Größe, Übergabe and Fußweg in Düsseldorf",
        "Łódź and Wrocław, with the customer służba",
        "Køge near København",
        "1.250 €",
        "8–12 weeks",
        "“the warehouse of the year”",
        "Καλημέρα κόσμε",
        "Добрый день",
        TITLE,
        "Jana Novák",
    ] {
        assert!(flat.contains(expected), "`{expected}` is missing:\n{text}");
    }
    for c in ['ü', 'ß', 'ł', 'ø', '€', '–', '“', '”'] {
        assert!(text.contains(c), "`{c}` is missing");
    }
}

#[test]
fn every_page_with_line_items_starts_them_with_the_table_header() {
    let (Some(pdftotext), Some(pdfinfo)) = (tool("pdftotext", POPPLER), tool("pdfinfo", POPPLER))
    else {
        return;
    };
    let (_dir, path) = proposal_file();
    let count = page_count(&pdfinfo, &path);
    let items = line_items();
    let header = "Item Qty Unit price Amount";
    let mut with_items = 0;
    for n in 1..=count {
        let page = squeeze(&text(&pdftotext, &path, n, n));
        // Names that wrap in their cell are found by their first words.
        let first_item = items
            .iter()
            .filter_map(|item| {
                let start: Vec<&str> = item.name.split_whitespace().take(3).collect();
                page.find(&start.join(" "))
            })
            .min();
        let Some(first_item) = first_item else {
            continue;
        };
        with_items += 1;
        let at = page.find(header).unwrap_or_else(|| {
            panic!("page {n} of {count} has line items but no table header:\n{page}")
        });
        assert!(
            at < first_item,
            "page {n}: the header comes after a line item:\n{page}"
        );
    }
    assert!(
        with_items >= 2,
        "the 60 line items span pages ({with_items} found)"
    );
}

#[test]
fn every_page_footer_reads_page_x_of_y() {
    let (Some(pdftotext), Some(pdfinfo)) = (tool("pdftotext", POPPLER), tool("pdfinfo", POPPLER))
    else {
        return;
    };
    let (_dir, path) = proposal_file();
    let count = page_count(&pdfinfo, &path);
    assert!(count > 1, "the proposal has {count} page(s)");
    assert_eq!(
        count,
        proposal_pages().pages.len(),
        "the file has the pages laid out"
    );
    for n in 1..=count {
        let page = squeeze(&text(&pdftotext, &path, n, n));
        let footer = format!("{DATE} · Page {n} of {count}");
        assert!(page.contains(&footer), "page {n} lacks `{footer}`:\n{page}");
        assert!(page.contains(TITLE), "page {n} lacks its header:\n{page}");
        assert_eq!(
            page.matches("Page ").count(),
            1,
            "page {n} has one page number:\n{page}"
        );
    }
}

#[test]
fn every_font_is_embedded_as_a_subset() {
    let Some(pdffonts) = tool("pdffonts", POPPLER) else {
        return;
    };
    let (_dir, path) = proposal_file();
    let listing = run(&pdffonts, &[path.as_os_str()]);
    let fonts: Vec<&str> = listing
        .lines()
        .skip_while(|l| !l.starts_with("---"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(fonts.len() >= 2, "body and heading faces:\n{listing}");
    for font in fonts {
        // From the right: object number, generation, uni, sub, emb.
        let columns: Vec<&str> = font.split_whitespace().rev().collect();
        assert!(columns.len() >= 6, "{font}");
        let (sub, emb) = (columns[3], columns[4]);
        assert_eq!(emb, "yes", "not embedded: {font}");
        assert_eq!(sub, "yes", "not subset: {font}");
        let name = columns.last().copied().unwrap_or_default();
        assert!(
            name.len() > 7 && name.as_bytes()[6] == b'+',
            "a subset tag: {font}"
        );
    }
}

#[test]
fn the_logo_is_embedded_as_an_image() {
    let Some(pdfimages) = tool("pdfimages", POPPLER) else {
        return;
    };
    let (_dir, path) = proposal_file();
    let listing = run(&pdfimages, &[OsStr::new("-list"), path.as_os_str()]);
    let logo = Theme::builtin_assets();
    let logo = logo.get("classic-logo.png").expect("the classic logo");
    let (w, h) = (logo.width_px.to_string(), logo.height_px.to_string());
    let logos = listing
        .lines()
        .skip_while(|l| !l.starts_with("---"))
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|c| c.len() > 4 && c[0] == "1" && c[2] == "image" && c[3] == w && c[4] == h)
        .count();
    assert!(
        logos >= 1,
        "the {w}×{h} logo is an image on page 1:\n{listing}"
    );
}

#[test]
fn the_file_properties_and_page_size_come_from_the_front_matter_and_theme() {
    let Some(pdfinfo) = tool("pdfinfo", POPPLER) else {
        return;
    };
    let (_dir, path) = proposal_file();
    let info = run(&pdfinfo, &["-isodates".as_ref(), path.as_os_str()]);
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in:\n{info}"))
            .to_owned()
    };
    assert_eq!(field("Title"), TITLE);
    assert_eq!(field("Author"), "Riley Rep");
    assert_eq!(field("Subject"), "Warehouse analytics rollout");
    assert!(field("CreationDate").starts_with(DATE), "{info}");
    assert!(
        field("Page size").starts_with("595.276 x 841.89"),
        "A4: {info}"
    );

    let modern = render_proposal(Some("modern"));
    let dir = tempfile::tempdir().expect("a temporary folder");
    let letter = dir.path().join("modern.pdf");
    std::fs::write(&letter, &modern.bytes).expect("written");
    let info = run(&pdfinfo, &[letter.as_os_str()]);
    assert!(
        info.contains("Page size:       612 x 792 pts (letter)"),
        "{info}"
    );
}

#[test]
fn the_proposal_file_is_under_200_kb() {
    let size = proposal().bytes.len();
    assert!(size < 200 * 1024, "{size} bytes");
    assert!(proposal().bytes.starts_with(b"%PDF-"));
}

// ------------------------------------------------- the fixture, laid out

#[test]
fn every_item_of_the_proposal_lies_within_the_classic_margins() {
    let pages = proposal_pages();
    assert_within_margins(pages, &classic(), &proposal().document.metadata);
}

#[test]
fn every_item_of_the_proposal_lies_within_the_modern_margins() {
    let rendered = render_proposal(Some("modern"));
    let pages = lay_out(&rendered.document, &modern());
    assert!(pages.pages.len() > 1);
    assert_within_margins(&pages, &modern(), &rendered.document.metadata);
}

/// Where a line item's row sits: its page and the baseline of its first
/// line, from the description's first line.
fn row_of(pages: &Pages, name: &str) -> (usize, f32, f32) {
    let mut found = Vec::new();
    for (i, page) in pages.pages.iter().enumerate() {
        for t in texts(page) {
            let first_line = name.starts_with(t.text)
                && (name.len() == t.text.len() || name[t.text.len()..].starts_with(' '));
            if first_line && t.text.len() >= name.len().min(12) {
                found.push((i, t.y, t.x));
            }
        }
    }
    match found[..] {
        [row] => row,
        _ => panic!("`{name}` starts {} rows: {found:?}", found.len()),
    }
}

#[test]
fn no_line_item_row_is_split_across_pages() {
    let pages = proposal_pages();
    for item in line_items() {
        let (page, y, x) = row_of(pages, &item.name);
        let on_page = texts(&pages.pages[page]);
        for value in [&item.quantity, &item.unit_price, &item.amount] {
            assert!(
                on_page
                    .iter()
                    .any(|t| t.text == value && (t.y - y).abs() < 0.01 && t.x > x),
                "`{}`: `{value}` is not beside it on page {}",
                item.name,
                page + 1
            );
        }
        // A wrapped description continues on the same page, below.
        let mut column: Vec<&Text> = on_page
            .iter()
            .filter(|t| (t.x - x).abs() < 0.01 && t.y >= y - 0.01)
            .collect();
        column.sort_by(|a, b| a.y.total_cmp(&b.y));
        let read: Vec<&str> = column.iter().map(|t| t.text).collect();
        assert!(
            read.join(" ").starts_with(&item.name),
            "`{}` continues elsewhere: {read:?}",
            item.name
        );
    }
}

#[test]
fn group_rows_stay_with_their_first_line_and_subtotals_with_their_last() {
    let pages = proposal_pages();
    let items = line_items();
    for group in group_names() {
        let lines: Vec<&LineItem> = items.iter().filter(|i| i.group == group).collect();
        let first = row_of(pages, &lines[0].name).0;
        let last = row_of(pages, &lines[lines.len() - 1].name).0;
        let opening: Vec<usize> = pages
            .pages
            .iter()
            .enumerate()
            .filter(|(_, p)| texts(p).iter().any(|t| t.text == group && t.face.bold))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(opening, vec![first], "the group row `{group}`");
        assert_eq!(
            page_with(pages, &format!("Subtotal {group}")),
            last,
            "the subtotal of `{group}`"
        );
    }
}

#[test]
fn every_page_with_table_rows_starts_them_with_the_repeated_header() {
    let pages = proposal_pages();
    let a = area(&classic());
    let on_accent = Rgb(0xff, 0xff, 0xff);
    let names: Vec<String> = line_items().into_iter().map(|i| i.name).collect();
    let mut with_rows = 0;
    for (i, page) in pages.pages.iter().enumerate() {
        let body = body_texts(page, &a);
        let rows: Vec<f32> = body
            .iter()
            .filter(|t| {
                names
                    .iter()
                    .any(|n| n.starts_with(t.text) && t.text.len() > 8)
            })
            .map(|t| t.y)
            .collect();
        let Some(first_row) = rows.iter().copied().reduce(f32::min) else {
            continue;
        };
        with_rows += 1;
        let header: Vec<&str> = body
            .iter()
            .filter(|t| t.color == on_accent && t.face.bold && t.y < first_row)
            .map(|t| t.text)
            .collect();
        assert_eq!(
            header,
            ["Item", "Qty", "Unit price", "Amount"],
            "page {}",
            i + 1
        );
    }
    assert!(with_rows >= 3, "the table spans {with_rows} pages");
}

#[test]
fn no_heading_of_the_proposal_is_the_last_text_on_its_page() {
    let pages = proposal_pages();
    let a = area(&classic());
    assert!(!pages.outline.is_empty());
    for entry in &pages.outline {
        let body = body_texts(&pages.pages[entry.page], &a);
        let heading = body
            .iter()
            .find(|t| t.text == entry.title)
            .unwrap_or_else(|| panic!("`{}` is not on page {}", entry.title, entry.page + 1));
        let below = body
            .iter()
            .filter(|t| t.y > heading.y + 1.0 && !t.face.bold)
            .count();
        assert!(
            below > 0,
            "`{}` ends page {} with nothing below it",
            entry.title,
            entry.page + 1
        );
    }
}

#[test]
fn the_outline_holds_the_proposal_headings_with_their_pages() {
    let pages = proposal_pages();
    let outline: Vec<(u8, &str)> = pages
        .outline
        .iter()
        .map(|e| (e.level, e.title.as_str()))
        .collect();
    assert_eq!(
        outline,
        [
            (1, "Warehouse analytics rollout"),
            (2, "Executive summary"),
            (2, "Background and objectives"),
            (2, "Approach"),
            (2, "Pricing"),
            (2, "Terms"),
            (3, "Languages and characters"),
            (2, "Acceptance"),
        ]
    );
    for entry in &pages.outline {
        assert_eq!(
            page_with(pages, &entry.title),
            entry.page,
            "`{}`",
            entry.title
        );
    }
    let last = pages.outline.last().expect("entries");
    assert_eq!(
        last.page,
        pages.pages.len() - 1,
        "the page break puts Acceptance on the last page"
    );
}

// ------------------------------------------------- layout rules, constructed

#[test]
fn a_paragraph_straddling_a_page_break_leaves_at_least_two_lines_on_each_side() {
    let theme = modern();
    let (mut split, mut two_first, mut two_last) = (0, false, false);
    for n in 0..70 {
        let md = format!("{}{}\n", filler(n), words("para", 140));
        let pages = lay_out(&doc(&md), &theme);
        let lines = lines_of(&pages, "para");
        assert!(lines.len() >= 8, "a long paragraph: {} lines", lines.len());
        let counts = per_page(&lines);
        if counts.len() > 1 {
            split += 1;
            two_first |= counts[0].1 == 2;
            two_last |= counts[counts.len() - 1].1 == 2;
        }
        for (page, count) in &counts {
            assert!(
                *count >= 2,
                "with {n} filler lines the paragraph has a single line on page {}: {counts:?}",
                page + 1
            );
        }
    }
    assert!(split > 10, "the paragraph straddled a break {split} times");
    // The tight cases came up: a break right after the second line, and
    // right before the last two.
    assert!(two_first && two_last, "{two_first} {two_last}");
}

#[test]
fn a_three_line_paragraph_is_never_split() {
    let theme = classic();
    for n in 30..75 {
        let md = format!("{}{}\n", filler(n), words("tri", 33));
        let pages = lay_out(&doc(&md), &theme);
        let counts = per_page(&lines_of(&pages, "tri"));
        assert_eq!(counts.iter().map(|c| c.1).sum::<usize>(), 3, "{counts:?}");
        assert_eq!(counts.len(), 1, "with {n} filler lines: {counts:?}");
    }
}

#[test]
fn a_heading_is_kept_with_the_next_two_lines() {
    let theme = classic();
    let mut moved = 0;
    for n in 20..75 {
        let md = format!("{}## Heading here\n\n{}\n", filler(n), words("kept", 60));
        let pages = lay_out(&doc(&md), &theme);
        let heading = page_with(&pages, "Heading here");
        let lines = lines_of(&pages, "kept");
        assert!(lines.len() >= 4);
        assert_eq!(
            (lines[0].0, lines[1].0),
            (heading, heading),
            "with {n} filler lines the heading is on page {} and its first lines on {:?}",
            heading + 1,
            (lines[0].0 + 1, lines[1].0 + 1)
        );
        let a = area(&theme);
        let filler_before = body_texts(&pages.pages[heading], &a)
            .iter()
            .any(|t| t.text.starts_with("Filler"));
        if !filler_before && heading > 0 {
            moved += 1;
        }
    }
    assert!(moved > 0, "some heading had to move to the next page");
}

#[test]
fn a_heading_is_kept_with_the_next_two_lines_when_they_are_one_line_blocks() {
    let theme = classic();
    let mut problems = Vec::new();
    for n in 0..70 {
        for (what, after) in [
            ("list items", "- first item\n- second item\n- third item\n"),
            ("paragraphs", "first para.\n\nsecond para.\n\nthird para.\n"),
        ] {
            let md = format!("{}## Heading here\n\n{after}", filler(n));
            let pages = lay_out(&doc(&md), &theme);
            let heading = page_with(&pages, "Heading here");
            let first = page_with(&pages, "first");
            let second = page_with(&pages, "second");
            if (first, second) != (heading, heading) {
                problems.push(format!(
                    "{what} after {n} filler lines: heading on page {}, the next two lines on pages {} and {}",
                    heading + 1,
                    first + 1,
                    second + 1
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_heading_before_a_table_is_kept_with_its_header_and_first_row() {
    let theme = classic();
    let rows: String = (0..5).map(|i| format!("| row{i} | {i} |\n")).collect();
    for n in 30..75 {
        let md = format!(
            "{}### Prices\n\n| Thing | Price |\n|---|--:|\n{rows}",
            filler(n)
        );
        let pages = lay_out(&doc(&md), &theme);
        let heading = page_with(&pages, "Prices");
        // The header repeats on any later page the table reaches.
        let header = pages_with(&pages, "Thing");
        assert_eq!(header.first(), Some(&heading), "with {n} filler lines");
        assert_eq!(page_with(&pages, "row0"), heading, "with {n} filler lines");
    }
}

#[test]
fn the_header_row_repeats_on_every_page_of_a_long_table() {
    let theme = classic();
    let rows: String = (0..150)
        .map(|i| format!("| entry{i:03} | {i} |\n"))
        .collect();
    let md = format!("Intro.\n\n| Colhead | Number |\n|---|--:|\n{rows}");
    let pages = lay_out(&doc(&md), &theme);
    let with_rows = pages_with(&pages, "entry");
    assert!(with_rows.len() >= 3, "{with_rows:?}");
    assert_eq!(pages_with(&pages, "Colhead"), with_rows);
    for &p in &with_rows {
        let t = texts(&pages.pages[p]);
        let head = t.iter().find(|t| t.text == "Colhead").expect("a header");
        let first = t
            .iter()
            .filter(|t| t.text.starts_with("entry"))
            .map(|t| t.y)
            .fold(f32::MAX, f32::min);
        assert!(head.y < first, "page {}: header below a row", p + 1);
    }
    assert_within_margins(&pages, &theme, &metadata());
}

#[test]
fn no_repeat_header_shows_the_header_only_once() {
    let theme = classic();
    let rows: String = (0..150)
        .map(|i| format!("| entry{i:03} | {i} |\n"))
        .collect();
    let md = format!(
        "Intro.\n\n<!-- table no-repeat-header -->\n| Colhead | Number |\n|---|--:|\n{rows}"
    );
    let pages = lay_out(&doc(&md), &theme);
    assert!(pages_with(&pages, "entry").len() >= 3);
    assert_eq!(pages_with(&pages, "Colhead"), vec![0]);
    let count: usize = pages
        .pages
        .iter()
        .map(|p| texts(p).iter().filter(|t| t.text == "Colhead").count())
        .sum();
    assert_eq!(count, 1);
}

#[test]
fn a_row_is_never_split_across_pages_wherever_the_table_starts() {
    let theme = classic();
    let rows: String = (0..12)
        .map(|i| format!("| {} | {i} |\n", words(&format!("r{i:02}w"), 40)))
        .collect();
    for n in 0..40 {
        let md = format!("{}| Description | N |\n|---|--:|\n{rows}", filler(n));
        let pages = lay_out(&doc(&md), &theme);
        for i in 0..12 {
            let on: Vec<usize> = per_page(&lines_of(&pages, &format!("r{i:02}w")))
                .iter()
                .map(|c| c.0)
                .collect();
            assert_eq!(on.len(), 1, "with {n} filler lines row {i} is on {on:?}");
        }
    }
}

#[test]
fn group_rows_and_subtotals_stay_with_their_rows_wherever_the_table_starts() {
    let theme = classic();
    let mut rows = String::new();
    for g in 0..4 {
        rows.push_str(&format!("| <!-- group --> Group{g} | |\n"));
        for r in 0..3 {
            rows.push_str(&format!("| g{g}line{r} | {r} |\n"));
        }
        rows.push_str(&format!("| <!-- subtotal --> Sub{g} | 9 |\n"));
    }
    for n in 0..40 {
        let md = format!("{}| Item | N |\n|---|--:|\n{rows}", filler(n));
        let pages = lay_out(&doc(&md), &theme);
        for g in 0..4 {
            assert_eq!(
                page_with(&pages, &format!("Group{g}")),
                page_with(&pages, &format!("g{g}line0")),
                "with {n} filler lines group {g} opens apart from its first row"
            );
            assert_eq!(
                page_with(&pages, &format!("Sub{g}")),
                page_with(&pages, &format!("g{g}line2")),
                "with {n} filler lines subtotal {g} stands apart from its last row"
            );
        }
    }
}

#[test]
fn a_page_break_directive_starts_a_new_page() {
    let theme = classic();
    let pages = lay_out(
        &doc("Before the break.\n\n<!-- pagebreak -->\n\nAfter the break.\n"),
        &theme,
    );
    assert_eq!(pages.pages.len(), 2);
    assert_eq!(page_with(&pages, "Before the break."), 0);
    assert_eq!(page_with(&pages, "After the break."), 1);
    let a = area(&theme);
    let first = body_texts(&pages.pages[1], &a)
        .iter()
        .map(|t| t.y)
        .fold(f32::MAX, f32::min);
    let after = texts(&pages.pages[1])
        .into_iter()
        .find(|t| t.text == "After the break.")
        .expect("there");
    assert_eq!(after.y, first, "it is the first text of its page");
}

#[test]
fn a_page_break_before_a_heading_and_a_table_moves_them() {
    let theme = modern();
    let md = "Intro.\n\n<!-- pagebreak -->\n\n## Heading\n\nText.\n\n<!-- pagebreak -->\n\n| A | B |\n|---|---|\n| cell | 1 |\n";
    let pages = lay_out(&doc(md), &theme);
    assert_eq!(pages.pages.len(), 3);
    assert_eq!(page_with(&pages, "Heading"), 1);
    assert_eq!(page_with(&pages, "cell"), 2);
}

#[test]
fn a_keep_group_that_fits_a_page_is_never_split() {
    let theme = classic();
    let group = format!(
        "<!-- keep -->\n## Kept heading\n\n{}\n\n{}\n\n- keepitem one\n- keepitem two\n- keepitem three\n<!-- /keep -->\n\nAfter.\n",
        words("keepa", 50),
        words("keepb", 50)
    );
    let mut moved = 0;
    for n in 0..60 {
        let md = format!("{}{group}", filler(n));
        let pages = lay_out(&doc(&md), &theme);
        let on: std::collections::BTreeSet<usize> = ["Kept heading", "keepa", "keepb", "keepitem"]
            .iter()
            .flat_map(|tag| pages_with(&pages, tag))
            .collect();
        assert_eq!(on.len(), 1, "with {n} filler lines the group is on {on:?}");
        if on.first() != Some(&0) {
            moved += 1;
        }
    }
    assert!(moved > 0, "the group had to move at least once");
}

#[test]
fn a_keep_group_taller_than_a_page_still_flows_within_the_margins() {
    let theme = classic();
    let md = format!(
        "Intro.\n\n<!-- keep -->\n{}\n\n{}\n\n{}\n<!-- /keep -->\n",
        words("big", 700),
        words("bog", 700),
        words("bug", 700)
    );
    let pages = lay_out(&doc(&md), &theme);
    assert!(pages.pages.len() >= 2);
    for tag in ["big", "bog", "bug"] {
        let lines = lines_of(&pages, tag);
        assert!(lines.len() > 20, "{tag}: {} lines", lines.len());
    }
    assert_within_margins(&pages, &theme, &metadata());
}

#[test]
fn a_row_taller_than_a_page_is_split_rather_than_overflowing() {
    let theme = classic();
    let md = format!(
        "| Item | Notes |\n|---|---|\n| short | {} |\n| after | tail |\n",
        words("huge", 1500)
    );
    let pages = lay_out(&doc(&md), &theme);
    let lines = lines_of(&pages, "huge");
    let on = per_page(&lines);
    assert!(on.len() >= 2, "the row spans pages: {on:?}");
    assert_within_margins(&pages, &theme, &metadata());
    // Nothing of the cell is lost, and it reads in order.
    let mut read = Vec::new();
    for page in &pages.pages {
        let mut t = texts(page);
        t.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
        read.extend(
            t.iter()
                .flat_map(|t| t.text.split(' '))
                .filter(|w| w.starts_with("huge"))
                .map(str::to_owned),
        );
    }
    let expected: Vec<String> = (0..1500).map(|i| format!("huge{i:03}")).collect();
    assert_eq!(read, expected);
    // The header is repeated above every part.
    for (page, _) in on {
        assert!(
            texts(&pages.pages[page]).iter().any(|t| t.text == "Notes"),
            "page {} repeats the header",
            page + 1
        );
    }
}

/// A PNG of one colour, `w`×`h` pixels.
fn png(w: u32, h: u32) -> Vec<u8> {
    let pixels = image::RgbImage::from_pixel(w, h, image::Rgb([30, 90, 160]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    pixels
        .write_to(&mut bytes, image::ImageFormat::Png)
        .expect("encodes");
    bytes.into_inner()
}

fn images(pages: &Pages) -> Vec<(usize, String, f32, f32, f32, f32)> {
    let mut out = Vec::new();
    for (i, page) in pages.pages.iter().enumerate() {
        for item in &page.items {
            if let Item::Image { source, x, y, w, h } = item {
                out.push((i, source.clone(), *x, *y, *w, *h));
            }
        }
    }
    out
}

#[test]
fn an_image_larger_than_the_page_is_scaled_to_fit() {
    let theme = classic();
    let a = area(&theme);
    let mut assets = Theme::builtin_assets();
    assets.insert("tall.png", png(1200, 6000)).expect("a PNG");
    assets.insert("wide.png", png(6000, 900)).expect("a PNG");
    let md = "Intro.\n\n![Tall](tall.png)\n\n![Wide](wide.png \"width=900mm\")\n\n![Tall too](tall.png \"width=100%\")\n";
    let pages = lay_out_with(&doc(md), &theme, &assets);
    let placed: Vec<_> = images(&pages)
        .into_iter()
        .filter(|i| i.1 != "classic-logo.png")
        .collect();
    assert_eq!(placed.len(), 3, "{placed:?}");
    for (page, source, _x, _y, w, h) in &placed {
        assert!(
            *w <= a.right - a.left + 0.01,
            "{source} on {page}: {w} wide"
        );
        assert!(
            *h <= a.bottom - a.top + 0.01,
            "{source} on {page}: {h} tall"
        );
        let (pw, ph) = if source == "tall.png" {
            (1200.0, 6000.0)
        } else {
            (6000.0, 900.0)
        };
        assert!(
            ((w / h) - (pw / ph)).abs() < 0.01 * (pw / ph),
            "{source} keeps its proportions: {w}×{h}"
        );
    }
    assert_within_margins(&pages, &theme, &metadata());
    // And the writer draws them.
    let out = pdf(&doc(md), &theme, &assets, true).expect("renders");
    assert!(out.bytes.starts_with(b"%PDF-"));
}

#[test]
fn the_logo_of_the_theme_is_on_the_first_page_only() {
    for theme in [classic(), modern()] {
        let logo = theme.logo.clone().expect("a logo");
        let pages = lay_out(&doc(&format!("{}\n", words("many", 2000))), &theme);
        assert!(pages.pages.len() > 1);
        let on: Vec<usize> = images(&pages)
            .into_iter()
            .filter(|i| i.1 == logo)
            .map(|i| i.0)
            .collect();
        assert_eq!(on, vec![0], "{}", theme.name);
    }
}

#[test]
fn the_modern_footer_reads_title_page_and_count() {
    let theme = modern();
    let pages = lay_out(&doc(&format!("{}\n", words("many", 2000))), &theme);
    let count = pages.pages.len();
    assert!(count > 1);
    for (i, page) in pages.pages.iter().enumerate() {
        let expected = format!("Layout — {}/{count}", i + 1);
        let footer: Vec<&str> = texts(page)
            .into_iter()
            .filter(|t| t.y > area(&theme).bottom)
            .map(|t| t.text)
            .collect();
        assert_eq!(footer.concat(), expected, "page {}", i + 1);
    }
}

/// The text of the header (top margin) or footer (bottom margin) of each
/// page, in reading order.
fn margin_text(pages: &Pages, theme: &Theme, top: bool) -> Vec<String> {
    let a = area(theme);
    pages
        .pages
        .iter()
        .map(|page| {
            let mut t: Vec<Text> = texts(page)
                .into_iter()
                .filter(|t| if top { t.y < a.top } else { t.y > a.bottom })
                .collect();
            t.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
            t.iter().map(|t| t.text).collect::<Vec<_>>().join(" ")
        })
        .collect()
}

const LONG_TITLE: &str = "Proposal for Müller & Söhne GmbH — Warehouse analytics rollout for three regional sites including hardware, integration and support";

fn titled(title: &str) -> Document {
    let mut meta = metadata();
    meta.title = Some(title.into());
    markdown::read(&format!("{}\n", words("many", 1200)), meta).document
}

#[test]
fn a_long_title_is_shown_whole_in_the_classic_header() {
    let theme = classic();
    let pages = lay_out(&titled(LONG_TITLE), &theme);
    assert!(pages.pages.len() > 1);
    for (i, header) in margin_text(&pages, &theme, true).iter().enumerate() {
        assert_eq!(squeeze(header), LONG_TITLE, "the header of page {}", i + 1);
    }
}

#[test]
fn a_long_title_keeps_the_page_number_in_the_modern_footer() {
    let theme = modern();
    let pages = lay_out(&titled(LONG_TITLE), &theme);
    let count = pages.pages.len();
    assert!(count > 1);
    for (i, footer) in margin_text(&pages, &theme, false).iter().enumerate() {
        assert_eq!(
            squeeze(footer),
            format!("{LONG_TITLE} — {}/{count}", i + 1),
            "the footer of page {}",
            i + 1
        );
    }
}

#[test]
fn a_title_that_names_a_page_field_is_shown_as_written() {
    let theme = classic();
    let title = "Offer {page} of {pages} on {date}";
    let pages = lay_out(&titled(title), &theme);
    for (i, header) in margin_text(&pages, &theme, true).iter().enumerate() {
        assert_eq!(header, title, "the header of page {}", i + 1);
    }
}

#[test]
fn a_signature_party_longer_than_a_page_stays_within_the_margins() {
    let theme = classic();
    let md = format!(
        "Intro.\n\n<!-- signature -->\n- For {}\n  Jana Novák\n  Head of Operations\n- For Northwind Consulting GmbH\n  Riley Rep\n<!-- /signature -->\n",
        words("party", 500)
    );
    let pages = lay_out(&doc(&md), &theme);
    assert!(!pages_with(&pages, "Jana Novák").is_empty());
    assert_within_margins(&pages, &theme, &metadata());
}

// ------------------------------------------------------------ determinism

fn other_document() -> Document {
    doc(
        "# Another document\n\nWith [a link](https://example.org/) and a table.\n\n| A | B |\n|---|---|\n| 1 | 2 |\n",
    )
}

#[test]
fn rendering_a_then_b_then_a_gives_a_byte_identical_a() {
    let a = &proposal().document;
    let theme = classic();
    let assets = Theme::builtin_assets();
    let a1 = pdf(a, &theme, &assets, false).expect("A").bytes;
    let b = pdf(&other_document(), &theme, &assets, false)
        .expect("B")
        .bytes;
    let a2 = pdf(a, &theme, &assets, false).expect("A again").bytes;
    assert!(a1 == a2, "A rendered twice differs");
    assert!(a1 != b, "A and B are the same file");
    assert!(
        a1 == proposal().bytes,
        "the pipeline's render is the same file"
    );
}

#[test]
fn the_date_changes_the_file_and_the_same_date_does_not() {
    let theme = classic();
    let assets = Theme::builtin_assets();
    let dated = |date: &str| {
        let mut meta = metadata();
        meta.date = Some(date.into());
        let d = markdown::read("# Dated\n\nSome text.\n", meta).document;
        pdf(&d, &theme, &assets, false).expect("renders").bytes
    };
    let first = dated("2026-11-23");
    let second = dated("2026-11-24");
    assert!(first != second, "a different date gives a different file");
    assert!(
        first == dated("2026-11-23"),
        "the same date gives the same file"
    );
}

// ------------------------------------------------------- links, bookmarks

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_markdown_link_becomes_a_uri_annotation_over_its_text() {
    let theme = classic();
    let d = doc("Read [the example page](https://example.com/) for more.\n");
    let pages = lay_out(&d, &theme);
    let links: Vec<(usize, f32, f32, f32, f32, String)> = pages
        .pages
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.items.iter().filter_map(move |item| match item {
                Item::Link { x, y, w, h, url } => Some((i, *x, *y, *w, *h, url.clone())),
                _ => None,
            })
        })
        .collect();
    assert!(!links.is_empty());
    assert!(
        links.iter().all(|l| l.5 == "https://example.com/"),
        "{links:?}"
    );
    // The areas cover the link's words and nothing else.
    let t = texts(&pages.pages[0]);
    for word in ["the", "example", "page"] {
        let text = t
            .iter()
            .find(|t| t.text.split(' ').any(|w| w == word) && t.color != Rgb(0x1b, 0x1b, 0x1b))
            .unwrap_or_else(|| panic!("`{word}` in the link colour"));
        let covered = links.iter().any(|&(_, x, y, w, h, _)| {
            x <= text.x + 0.01
                && text.x + text.width <= x + w + 0.01
                && y <= text.y
                && text.y <= y + h
        });
        assert!(covered, "`{word}` is not clickable: {links:?}");
    }
    let out = pdf(&d, &theme, &Theme::builtin_assets(), false).expect("renders");
    assert!(contains(&out.bytes, b"/URI"), "a /URI action");
    assert!(
        contains(&out.bytes, b"(https://example.com/)"),
        "the URL in the file"
    );
    assert!(contains(&out.bytes, b"/Annots"));
}

#[test]
fn the_proposal_links_are_annotations() {
    let bytes = &proposal().bytes;
    assert!(contains(bytes, b"(https://example.com/northwind)"));
    assert!(contains(bytes, b"(mailto:riley.rep@example.com)"));
}

fn utf16_hex(title: &str) -> String {
    let mut hex = String::from("FEFF");
    for unit in title.encode_utf16() {
        hex.push_str(&format!("{unit:04X}"));
    }
    hex
}

#[test]
fn headings_of_levels_one_to_three_are_bookmarks_with_their_pages() {
    let theme = classic();
    let md = "# One\n\nText.\n\n## Two\n\nText.\n\n### Three\n\nText.\n\n#### Four\n\nText.\n\n<!-- pagebreak -->\n\n# Five über\n\nText.\n\n## Six\n";
    let d = doc(md);
    let pages = lay_out(&d, &theme);
    let outline: Vec<(u8, &str, usize)> = pages
        .outline
        .iter()
        .map(|e| (e.level, e.title.as_str(), e.page))
        .collect();
    assert_eq!(
        outline,
        [
            (1, "One", 0),
            (2, "Two", 0),
            (3, "Three", 0),
            (1, "Five über", 1),
            (2, "Six", 1),
        ]
    );
    for e in &pages.outline {
        let heading = texts(&pages.pages[e.page])
            .into_iter()
            .find(|t| t.text == e.title)
            .expect("the heading's text");
        assert!(
            e.y <= heading.y && heading.y - e.y < heading.size * 2.0,
            "`{}` points at {} for a baseline at {}",
            e.title,
            e.y,
            heading.y
        );
    }
    // The file holds them as an outline (titles are UTF-16 hex strings).
    let out = pdf(&d, &theme, &Theme::builtin_assets(), false).expect("renders");
    assert!(contains(&out.bytes, b"/Outlines"));
    for title in ["One", "Two", "Three", "Five über", "Six"] {
        assert!(
            contains(&out.bytes, utf16_hex(title).as_bytes()),
            "`{title}` is a bookmark"
        );
    }
    assert!(!contains(&out.bytes, utf16_hex("Four").as_bytes()));
}

// ---------------------------------------------------------- missing images

#[test]
fn a_missing_image_is_a_warning_and_its_alt_text_is_shown() {
    let d = doc("Before.\n\n![Site plan](site-plan.png)\n\nAfter.\n");
    let theme = classic();
    let out = pdf(&d, &theme, &Theme::builtin_assets(), false).expect("not strict");
    assert!(out.bytes.starts_with(b"%PDF-"));
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(
        out.warnings[0].contains("site-plan.png"),
        "{:?}",
        out.warnings
    );
    let pages = lay_out(&d, &theme);
    assert!(!pages_with(&pages, "[Site plan]").is_empty());
}

#[test]
fn a_missing_image_is_an_error_when_strict() {
    let d = doc("Before.\n\n![Site plan](site-plan.png)\n\nAfter.\n");
    let err = pdf(&d, &classic(), &Theme::builtin_assets(), true).expect_err("strict");
    assert_eq!(err, RenderError::MissingImage("site-plan.png".into()));
}

// ---------------------------------------------------------------- properties

fn check_renders(input: &str, theme: &Theme) -> Result<(), TestCaseError> {
    prop_assert!(input.len() <= MAX_INPUT);
    let d = markdown::read(input, metadata()).document;
    let out = pdf(&d, theme, &Theme::builtin_assets(), false).expect("not strict, so no error");
    prop_assert!(
        out.bytes.starts_with(b"%PDF-"),
        "not a PDF: {:?}",
        &out.bytes[..out.bytes.len().min(16)]
    );
    prop_assert!(
        out.bytes.len() < MAX_OUTPUT,
        "{} bytes for {} bytes of input",
        out.bytes.len(),
        input.len()
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_strings_never_panic_the_pdf_renderer(input in arbitrary_text()) {
        check_renders(&input, &classic())?;
    }

    #[test]
    fn markdownish_inputs_never_panic_the_pdf_renderer(input in markdownish()) {
        check_renders(&input, &modern())?;
    }

    #[test]
    fn markdownish_inputs_never_fail_a_strict_render_except_on_a_missing_image(input in markdownish()) {
        let d = markdown::read(&input, metadata()).document;
        match pdf(&d, &classic(), &Theme::builtin_assets(), true) {
            Ok(out) => prop_assert!(out.bytes.starts_with(b"%PDF-")),
            // The generator's pieces can meet as `![](#)` or `![](<…>)`:
            // whatever image the input names and the assets lack is missing.
            Err(RenderError::MissingImage(_)) => {}
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    #[test]
    fn markdownish_inputs_are_laid_out_on_the_page(input in markdownish()) {
        let d = markdown::read(&input, metadata()).document;
        let theme = classic();
        let pages = lay_out(&d, &theme);
        let a = area(&theme);
        for (i, page) in pages.pages.iter().enumerate() {
            for item in &page.items {
                let (x1, y1, x2, y2) = match item {
                    Item::Text { x, y, width, size, .. } => (*x, y - size, x + width, *y),
                    Item::Rect { x, y, w, h, .. }
                    | Item::Image { x, y, w, h, .. }
                    | Item::Link { x, y, w, h, .. } => (*x, *y, x + w, y + h),
                    Item::Line { x1, y1, x2, y2, .. } => (x1.min(*x2), y1.min(*y2), x1.max(*x2), y1.max(*y2)),
                    // Only drafts have one, and these are not drafts.
                    Item::Turned { .. } => unreachable!("a watermark on a document that is no draft"),
                };
                prop_assert!(
                    x1 >= -SLACK && y1 >= -SLACK && x2 <= a.width + SLACK && y2 <= a.height + SLACK
                        && [x1, y1, x2, y2].iter().all(|v| v.is_finite()),
                    "page {} of {}: {:?} is off the {}×{} page", i + 1, pages.pages.len(), item, a.width, a.height
                );
            }
        }
    }
}
