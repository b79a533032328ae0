//! The HTML renderer: one self-contained, escaped page styled by its theme;
//! and, as properties, that no input makes the reader, the renderer or the
//! template engine panic.

use dealdraft::document::markdown;
use dealdraft::document::{
    Align, AssetError, Assets, Block, CalloutKind, Column, Document, Image, Inline, Length, List,
    ListItem, Metadata, Row, RowStyle, Signatory, Table, Theme, plain_text,
};
use dealdraft::render::html::html;
use dealdraft::render::{Output, RenderError};
use dealdraft::templates::Engine;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::json;

const LOGO: &[u8] = include_bytes!("../assets/themes/classic-logo.png");

fn classic() -> Theme {
    Theme::builtin("classic").expect("classic")
}

fn modern() -> Theme {
    Theme::builtin("modern").expect("modern")
}

fn assets_with_logo() -> Assets {
    let mut assets = Theme::builtin_assets();
    assets
        .insert("logo.png", LOGO.to_vec())
        .expect("the logo is a PNG");
    assets
}

fn render(doc: &Document, theme: &Theme) -> (String, Vec<String>) {
    let Output { bytes, warnings } = html(doc, theme, &assets_with_logo(), false).expect("renders");
    (String::from_utf8(bytes).expect("utf-8"), warnings)
}

fn page_of(markdown_text: &str) -> String {
    let doc = markdown::read(markdown_text, metadata()).document;
    render(&doc, &classic()).0
}

fn metadata() -> Metadata {
    Metadata {
        title: Some("Offer".into()),
        author: Some("Riley Rep".into()),
        subject: Some("Servers".into()),
        date: Some("2026-11-23".into()),
        language: Some("de".into()),
        draft: false,
    }
}

fn text(s: &str) -> Inline {
    Inline::text(s)
}

fn para(s: &str) -> Block {
    Block::Paragraph {
        content: vec![text(s)],
    }
}

/// The CSS between `<style>` and `</style>`.
fn stylesheet(page: &str) -> &str {
    let start = page.find("<style>").expect("a style element") + "<style>".len();
    let end = page[start..].find("</style>").expect("closed") + start;
    &page[start..end]
}

/// Every value of attribute `name` in `page`.
fn attribute_values<'a>(page: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!(" {name}=\"");
    page.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &page[i + needle.len()..];
            &rest[..rest.find('"').expect("attribute closed")]
        })
        .collect()
}

const SAMPLE: &str = "# Offer\n\nSee [our site](https://example.com) or [mail us](mailto:a@example.com).\n\n![Logo](logo.png \"width=40mm\")\n\n| Item | Qty | Price |\n|:--|:-:|--:|\n| <!-- group --> Hardware | | |\n| Server | 2 | 1.000,00 |\n| <!-- subtotal --> Subtotal | | 2.000,00 |\n\n> [!WARNING]\n> Prices change.\n\n3. three\n4. [x] four\n\nNote[^n].\n\n<!-- pagebreak -->\n\n<!-- keep -->\nKept.\n<!-- /keep -->\n\n<!-- signature -->\n- For Acme\n  Jane Doe\n  CFO\n<!-- /signature -->\n\n[^n]: The note.\n";

// ---------------------------------------------------------------- the page

#[test]
fn the_page_is_self_contained() {
    let page = page_of(SAMPLE);
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    for forbidden in [
        "<script", "<link", "@import", "url(", "<iframe", "<object", "<embed",
    ] {
        assert!(!page.contains(forbidden), "the page holds {forbidden}");
    }
    let sources = attribute_values(&page, "src");
    assert_eq!(
        sources.len(),
        2,
        "the theme's logo and the document's image: {sources:?}"
    );
    for src in sources {
        assert!(
            src.starts_with("data:image/png;base64,"),
            "{}",
            &src[..src.len().min(60)]
        );
    }
    let links = attribute_values(&page, "href");
    for href in &links {
        assert!(
            [
                "https://example.com",
                "mailto:a@example.com",
                "#fn-1",
                "#fnref-1"
            ]
            .contains(href),
            "unexpected link {href}"
        );
    }
    assert!(
        links.contains(&"https://example.com"),
        "the document's own link stays"
    );
}

#[test]
fn embedded_images_are_the_asset_bytes_in_base64() {
    use base64::Engine as _;
    let page = page_of("![Logo](logo.png)\n");
    let encoded = base64::engine::general_purpose::STANDARD.encode(LOGO);
    assert!(page.contains(&format!(
        "src=\"data:image/png;base64,{encoded}\" alt=\"Logo\""
    )));
}

#[test]
fn a_jpeg_asset_is_embedded_as_a_jpeg() {
    let mut assets = Assets::default();
    assets.insert("photo.jpg", tiny_jpeg()).expect("a JPEG");
    let doc = markdown::read("![Photo](photo.jpg)\n", Metadata::default()).document;
    let out = html(&doc, &classic(), &assets, true).unwrap();
    let page = String::from_utf8(out.bytes).unwrap();
    assert!(page.contains("src=\"data:image/jpeg;base64,"), "{page}");
}

/// The smallest JPEG the asset check accepts: SOI, a baseline frame header
/// of 16×16 pixels, EOI.
/// A real 2×2 JPEG, encoded for the test.
fn tiny_jpeg() -> Vec<u8> {
    let pixels = image::RgbImage::from_pixel(2, 2, image::Rgb([200, 40, 40]));
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut bytes)
        .encode_image(&pixels)
        .expect("encodes");
    bytes
}

#[test]
fn the_theme_css_is_inline_with_its_page_size_and_margins() {
    let doc = markdown::read("Hi.\n", metadata()).document;
    let (page, _) = render(&doc, &classic());
    let css = stylesheet(&page);
    assert!(css.contains("size: A4;"), "{css}");
    assert!(css.contains("margin: 25mm 22mm 25mm 22mm;"), "{css}");
    assert!(css.contains("#1f3a5f") && css.contains("10.5pt"), "{css}");
    let (page, _) = render(&doc, &modern());
    let css = stylesheet(&page);
    assert!(css.contains("size: letter;"), "{css}");
    assert!(css.contains("margin: 20mm 20mm 20mm 20mm;"), "{css}");
    assert!(css.contains("#0e7c86"), "{css}");
}

#[test]
fn a_changed_theme_changes_the_css() {
    let mut theme = classic();
    theme.margins_mm.left = 31.5;
    theme.colors.accent = "#abcdef".into();
    theme.paper = dealdraft::document::theme::Paper::Letter;
    let doc = markdown::read("Hi.\n", metadata()).document;
    let (page, _) = render(&doc, &theme);
    let css = stylesheet(&page);
    assert!(css.contains("margin: 25mm 22mm 25mm 31.5mm;"), "{css}");
    assert!(css.contains("size: letter;"), "{css}");
    assert!(css.contains("#abcdef"), "{css}");
}

#[test]
fn header_and_footer_use_page_counters_and_the_metadata() {
    let doc = markdown::read("Hi.\n", metadata()).document;
    let (page, _) = render(&doc, &classic());
    let css = stylesheet(&page);
    assert!(css.contains("@top-center { content: \"Offer\";"), "{css}");
    assert!(
        css.contains("@bottom-center { content: \"2026-11-23 · Page \" counter(page) \" of \" counter(pages);"),
        "{css}"
    );
    let (page, _) = render(&doc, &modern());
    let css = stylesheet(&page);
    assert!(!css.contains("@top-center"), "modern has no header: {css}");
    assert!(
        css.contains("@bottom-center { content: \"Offer — \" counter(page) \"/\" counter(pages);"),
        "{css}"
    );
}

#[test]
fn a_title_in_the_header_cannot_break_out_of_the_stylesheet() {
    let mut meta = metadata();
    meta.title = Some("A \"quoted\" </style><script>alert(1)</script> \\ title\nnext".into());
    let doc = markdown::read("Hi.\n", meta).document;
    let (page, _) = render(&doc, &classic());
    assert_eq!(
        page.matches("</style>").count(),
        1,
        "only the real end of the stylesheet"
    );
    assert!(!page.contains("<script"), "{page}");
    let css = stylesheet(&page);
    assert!(
        css.contains(
            r#"content: "A \"quoted\" \3C /style>\3C script>alert(1)\3C /script> \\ title\A next";"#
        ),
        "{css}"
    );
    assert!(page.contains(
        "<title>A &quot;quoted&quot; &lt;/style&gt;&lt;script&gt;alert(1)&lt;/script&gt; \\ title\nnext</title>"
    ));
}

#[test]
fn a_theme_without_header_or_footer_has_no_margin_boxes() {
    let mut theme = classic();
    theme.header = None;
    theme.footer = None;
    let (page, _) = render(&markdown::read("Hi.\n", metadata()).document, &theme);
    let css = stylesheet(&page);
    assert!(
        !css.contains("@top-center") && !css.contains("@bottom-center"),
        "{css}"
    );
    assert!(css.contains("@page"), "{css}");
}

#[test]
fn a_print_stylesheet_is_present() {
    let page = page_of("Hi.\n");
    let css = stylesheet(&page);
    assert!(css.contains("@media print"), "{css}");
    assert!(css.contains(".page-break { break-after: page; }"), "{css}");
    assert!(css.contains(".keep { break-inside: avoid; }"), "{css}");
    assert!(
        css.contains("thead { display: table-header-group; }"),
        "{css}"
    );
}

#[test]
fn the_metadata_becomes_language_title_author_and_description() {
    let page = page_of("Hi.\n");
    assert!(page.contains("<html lang=\"de\">"), "{page}");
    assert!(page.contains("<title>Offer</title>"));
    assert!(page.contains("<meta name=\"author\" content=\"Riley Rep\">"));
    assert!(page.contains("<meta name=\"description\" content=\"Servers\">"));
    assert!(page.contains("<meta charset=\"utf-8\">"));
    let doc = markdown::read("Hi.\n", Metadata::default()).document;
    let (page, _) = render(&doc, &classic());
    assert!(
        page.contains("<html lang=\"en\">") && page.contains("<title>Document</title>"),
        "{page}"
    );
    assert!(!page.contains("name=\"author\""));
}

// ---------------------------------------------------------------- blocks

#[test]
fn each_block_has_its_element() {
    let page = page_of(SAMPLE);
    for expected in [
        "<h1>Offer</h1>",
        "<a href=\"https://example.com\">our site</a>",
        "<p class=\"image\"><img src=\"data:image/png;base64,",
        "style=\"width:40mm\"",
        "<aside class=\"callout callout-warning\">\n<p class=\"callout-title\">Warning</p>\n<p>Prices change.</p>\n</aside>",
        "<ol start=\"3\">",
        "<li class=\"task\"><span class=\"check\">☑</span> four</li>",
        "<sup class=\"footnote-ref\"><a href=\"#fn-1\" id=\"fnref-1\">1</a></sup>",
        "<section class=\"footnotes\">",
        "<li id=\"fn-1\"><p>The note.</p>",
        "<div class=\"page-break\"></div>",
        "<div class=\"keep\">\n<p>Kept.</p>\n</div>",
        "<div class=\"signatures\">",
        "<p class=\"party\">For Acme</p>\n<p>Jane Doe</p>\n<p>CFO</p>",
    ] {
        assert!(page.contains(expected), "missing {expected:?} in\n{page}");
    }
}

#[test]
fn tables_have_a_header_section_alignment_widths_and_row_styles() {
    let page = page_of(
        "<!-- table widths=50,20,30 -->\n| Item | Qty | Price |\n|:--|:-:|--:|\n| <!-- group --> Hardware | | |\n| Server | 2 | 1.000,00 |\n| <!-- subtotal --> Subtotal | | 2.000,00 |\n",
    );
    assert!(
        page.contains("<table>\n"),
        "the header repeats by default: {page}"
    );
    assert!(page.contains(
        "<colgroup><col style=\"width:50%\"><col style=\"width:20%\"><col style=\"width:30%\"></colgroup>"
    ));
    assert!(page.contains(
        "<thead><tr><th>Item</th><th class=\"center\">Qty</th><th class=\"right\">Price</th></tr></thead>"
    ));
    assert!(page.contains("<tbody>\n<tr class=\"group\"><td>Hardware</td>"));
    assert!(page.contains(
        "<tr><td>Server</td><td class=\"center\">2</td><td class=\"right\">1.000,00</td></tr>"
    ));
    assert!(page.contains("<tr class=\"subtotal\"><td>Subtotal</td>"));
}

#[test]
fn a_table_without_repeated_header_says_so() {
    let page = page_of("<!-- table no-repeat-header -->\n| a |\n|---|\n| 1 |\n");
    assert!(page.contains("<table class=\"no-repeat\">"), "{page}");
    assert!(stylesheet(&page).contains("table.no-repeat thead { display: table-row-group; }"));
}

#[test]
fn a_table_without_a_header_row_has_no_thead() {
    let doc = Document {
        blocks: vec![Block::Table(Table {
            columns: vec![Column {
                align: Align::Right,
                width_percent: None,
            }],
            header: None,
            rows: vec![Row {
                style: RowStyle::Normal,
                cells: vec![vec![text("1")]],
            }],
            repeat_header: true,
        })],
        ..Document::default()
    };
    let (page, _) = render(&doc, &classic());
    assert!(
        !page.contains("<thead>") && !page.contains("<colgroup>"),
        "{page}"
    );
    assert!(
        page.contains("<tbody>\n<tr><td class=\"right\">1</td></tr>\n</tbody>"),
        "{page}"
    );
}

#[test]
fn a_numbered_list_from_one_has_no_start_attribute_and_bullets_are_unordered() {
    let page = page_of("1. a\n2. b\n\n- c\n");
    assert!(
        page.contains("<ol>\n<li>a</li>\n<li>b</li>\n</ol>"),
        "{page}"
    );
    assert!(page.contains("<ul>\n<li>c</li>\n</ul>"), "{page}");
}

#[test]
fn code_blocks_keep_their_language_and_escape_their_text() {
    let page = page_of("```rust\nlet s = \"<b>&</b>\";\n```\n");
    assert!(page.contains("<pre><code class=\"language-rust\">let s = &quot;&lt;b&gt;&amp;&lt;/b&gt;&quot;;</code></pre>"), "{page}");
}

// ---------------------------------------------------------------- escaping

const EVIL: &str = "<script>alert('x')</script> & \"q\"";
const EVIL_ESCAPED: &str = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;";

#[test]
fn every_text_of_the_model_is_escaped() {
    let evil = || vec![text(EVIL)];
    let doc = Document {
        metadata: Metadata {
            title: Some(EVIL.into()),
            author: Some(EVIL.into()),
            subject: Some(EVIL.into()),
            date: Some(EVIL.into()),
            language: Some("en\" onload=\"alert(1)".into()),
            draft: false,
        },
        blocks: vec![
            Block::Heading {
                level: 2,
                content: evil(),
            },
            Block::Paragraph {
                content: vec![
                    text(EVIL),
                    Inline::Strong { content: evil() },
                    Inline::Emphasis { content: evil() },
                    Inline::Strikethrough { content: evil() },
                    Inline::Code { text: EVIL.into() },
                    Inline::Link {
                        url: "https://e.com/\" onclick=\"alert(1)".into(),
                        content: evil(),
                    },
                    Inline::FootnoteRef { number: 1 },
                ],
            },
            Block::List(List {
                start: None,
                items: vec![ListItem {
                    checked: Some(false),
                    blocks: vec![para(EVIL)],
                }],
            }),
            Block::Table(Table {
                columns: vec![Column::default()],
                header: Some(Row {
                    style: RowStyle::Normal,
                    cells: vec![evil()],
                }),
                rows: vec![Row {
                    style: RowStyle::Group,
                    cells: vec![evil()],
                }],
                repeat_header: true,
            }),
            Block::Quote {
                blocks: vec![para(EVIL)],
            },
            Block::Code {
                language: Some("x\"><script>".into()),
                text: EVIL.into(),
            },
            Block::Image(Image {
                source: "logo.png".into(),
                alt: EVIL.into(),
                width: Some(Length::Percent(50.0)),
            }),
            Block::Image(Image {
                source: "missing.png".into(),
                alt: EVIL.into(),
                width: None,
            }),
            Block::KeepTogether {
                blocks: vec![para(EVIL)],
            },
            Block::Signature {
                parties: vec![Signatory {
                    party: EVIL.into(),
                    name: Some(EVIL.into()),
                    title: Some(EVIL.into()),
                }],
            },
            Block::Callout {
                kind: CalloutKind::Caution,
                blocks: vec![para(EVIL)],
            },
        ],
        footnotes: vec![vec![para(EVIL)]],
    };
    let (page, warnings) = render(&doc, &classic());
    assert!(!page.contains("<script"), "{page}");
    assert!(
        !page.contains("onclick=\"") && !page.contains("onload=\""),
        "{page}"
    );
    let outside_style = page.replace(stylesheet(&page), "");
    assert!(!outside_style.contains("'x'"), "{outside_style}");
    // Title, author, description, heading, five inline runs, list, two cells, quote,
    // code, two alts, keep, three signature lines, callout, footnote.
    assert!(
        page.matches(EVIL_ESCAPED).count() >= 22,
        "{} escaped copies in\n{page}",
        page.matches(EVIL_ESCAPED).count()
    );
    assert!(
        page.contains("<p class=\"missing-image\">[&lt;script&gt;"),
        "{page}"
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
}

#[test]
fn markdown_that_looks_like_html_is_shown_as_text() {
    let page = page_of(
        "<div onclick=\"x()\">\n\n<script>alert(1)</script>\n\nA <img src=x onerror=alert(1)> B\n",
    );
    assert!(
        !page.contains("<script") && !page.contains("<img src=x") && !page.contains("<div onclick"),
        "{page}"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("A &lt;img src=x onerror=alert(1)&gt; B"));
}

// ---------------------------------------------------------------- images and warnings

#[test]
fn a_missing_image_shows_its_alt_text_and_warns() {
    let doc = markdown::read("![Team photo](team.png)\n", Metadata::default()).document;
    let (page, warnings) = render(&doc, &classic());
    assert!(
        page.contains("<p class=\"missing-image\">[Team photo]</p>"),
        "{page}"
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("team.png") && warnings[0].contains("Team photo"),
        "{warnings:?}"
    );
}

#[test]
fn a_missing_image_is_an_error_when_strict() {
    let doc = markdown::read("Fine.\n\n![Team photo](team.png)\n", Metadata::default()).document;
    let err = html(&doc, &classic(), &assets_with_logo(), true).unwrap_err();
    assert_eq!(err, RenderError::MissingImage("team.png".into()));
    assert!(err.to_string().contains("team.png"));
}

#[test]
fn a_missing_image_in_a_footnote_or_a_quote_is_an_error_when_strict() {
    for md in [
        "Text[^1].\n\n[^1]: ![x](gone.png)\n",
        "> ![x](gone.png)\n",
        "- ![x](gone.png)\n",
    ] {
        let doc = markdown::read(md, Metadata::default()).document;
        assert_eq!(
            html(&doc, &classic(), &assets_with_logo(), true).unwrap_err(),
            RenderError::MissingImage("gone.png".into()),
            "{md}"
        );
    }
}

#[test]
fn strict_rendering_with_every_image_present_succeeds_without_warnings() {
    let doc = markdown::read("![Logo](logo.png)\n", Metadata::default()).document;
    let out = html(&doc, &classic(), &assets_with_logo(), true).unwrap();
    assert_eq!(out.warnings, Vec::<String>::new());
}

#[test]
fn a_theme_logo_missing_from_the_assets_is_a_warning() {
    let doc = markdown::read("Hi.\n", Metadata::default()).document;
    let out = html(&doc, &classic(), &Assets::default(), false).unwrap();
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(
        out.warnings[0].contains("classic-logo.png"),
        "{:?}",
        out.warnings
    );
    assert!(
        !String::from_utf8(out.bytes)
            .unwrap()
            .contains("class=\"logo\"")
    );
}

#[test]
fn image_widths_become_css_widths() {
    let page = page_of(
        "![a](logo.png \"width=40mm\")\n\n![b](logo.png \"width=50%\")\n\n![c](logo.png)\n",
    );
    assert!(page.contains("alt=\"a\" style=\"width:40mm\">"), "{page}");
    assert!(page.contains("alt=\"b\" style=\"width:50%\">"), "{page}");
    assert!(page.contains("alt=\"c\">"), "{page}");
}

#[test]
fn assets_are_checked_by_content_not_name() {
    let mut assets = Assets::default();
    assert_eq!(
        assets.insert("x.png", b"not an image at all".to_vec()),
        Err(AssetError::UnsupportedFormat)
    );
    assert!(
        assets.insert("renamed.jpg", LOGO.to_vec()).is_ok(),
        "a PNG named .jpg is still a PNG"
    );
    let mut huge = LOGO[..24].to_vec();
    huge[16..20].copy_from_slice(&20_000u32.to_be_bytes());
    assert!(matches!(
        assets.insert("huge.png", huge),
        Err(AssetError::TooManyPixels(20_000, _)) | Err(AssetError::Damaged(_))
    ));
    assert!(assets.get("x.png").is_none());
}

#[test]
fn a_truncated_png_is_refused_as_damaged() {
    let mut assets = Assets::default();
    // The signature and the header survive, the pixels do not.
    let result = assets.insert("x.png", LOGO[..40].to_vec());
    assert!(matches!(result, Err(AssetError::Damaged(_))), "{result:?}");
}

// ---------------------------------------------------------------- themes

#[test]
fn both_builtin_themes_render_the_sample() {
    for name in Theme::BUILTIN {
        let theme = Theme::builtin(name).unwrap();
        let doc = markdown::read(SAMPLE, metadata()).document;
        let out =
            html(&doc, &theme, &assets_with_logo(), true).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out.warnings, Vec::<String>::new(), "{name}");
        let page = String::from_utf8(out.bytes).unwrap();
        assert!(
            page.contains("<img class=\"logo\" alt=\"\" src=\"data:image/png;base64,"),
            "{name}"
        );
        assert!(stylesheet(&page).contains(&theme.colors.accent), "{name}");
        assert!(page.ends_with("</html>\n"), "{name}");
    }
}

#[test]
fn a_theme_colour_that_could_break_out_of_the_stylesheet_is_a_problem() {
    let mut theme = classic();
    theme.colors.accent = "red; } </style><script>alert(1)</script><style> a {".into();
    let problems = theme.problems();
    assert!(
        problems.iter().any(|(field, _)| field == "colors.accent"),
        "{problems:?}"
    );
}

// ---------------------------------------------------------------- properties

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const TOKENS: &[&str] = &[
    "#",
    "## ",
    "*",
    "**",
    "_",
    "~~",
    "|",
    "-",
    "- ",
    "1. ",
    "> ",
    "> [!NOTE]\n",
    "`",
    "```",
    "[",
    "](",
    ")",
    "![",
    "](logo.png \"width=40mm\")",
    "<!-- keep -->",
    "<!-- /keep -->",
    "<!-- signature -->",
    "<!-- /signature -->",
    "<!-- table widths=1,2 -->",
    "<!-- table no-repeat-header -->",
    "<!-- group -->",
    "<!-- subtotal -->",
    "<!-- pagebreak -->",
    "[^1]",
    "[^1]: ",
    "\n",
    "\n\n",
    "  ",
    "    ",
    "\t",
    " ",
    "0",
    "7",
    "a",
    "Z",
    "x y",
    "|---|",
    "|:-:|",
    "<script>",
    "</script>",
    "<b>",
    "&amp;",
    "\\",
    "https://e.com",
    "javascript:alert(1)",
    "ü",
    "שלום",
    "e\u{301}",
    "🦀",
    "\u{0}",
    "\r\n",
];

fn markdownish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|tokens| tokens.concat())
}

fn arbitrary_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..200).prop_map(|chars| chars.into_iter().collect())
}

fn read_and_render(input: &str) -> String {
    let read = markdown::read(input, Metadata::default());
    let out = html(&read.document, &classic(), &assets_with_logo(), false)
        .expect("not strict, so no error");
    String::from_utf8(out.bytes).expect("utf-8")
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_strings_never_panic_the_reader_or_the_renderer(input in arbitrary_text()) {
        let page = read_and_render(&input);
        prop_assert!(!page.contains("<script"));
    }

    #[test]
    fn markdownish_strings_never_panic_the_reader_or_the_renderer(input in markdownish()) {
        let page = read_and_render(&input);
        prop_assert!(!page.contains("<script"), "{}", page);
        prop_assert!(!page.contains("href=\"javascript"), "{}", page);
    }

    #[test]
    fn markdownish_strings_never_fail_a_strict_render_except_on_a_missing_image(input in markdownish()) {
        let read = markdown::read(&input, Metadata::default());
        match html(&read.document, &modern(), &assets_with_logo(), true) {
            Ok(_) | Err(RenderError::MissingImage(_)) => {}
            Err(e) => prop_assert!(false, "{e}"),
        }
    }

    #[test]
    fn any_value_inserted_by_a_template_reads_back_as_itself(value in arbitrary_text()) {
        let mut engine = Engine::new();
        engine.add("t", "Before {{ v }} after.\n").unwrap();
        let rendered = engine.render("t", &json!({ "v": value })).expect("renders");
        let doc = markdown::read(&rendered.markdown, rendered.metadata).document;
        let [Block::Paragraph { content }] = &doc.blocks[..] else {
            return Err(TestCaseError::fail(format!("{value:?} gave {:#?}", doc.blocks)));
        };
        let read_back = plain_text(content);
        let expected = documented(&value);
        prop_assert!(read_back.contains(&expected), "{:?} read back as {:?}", expected, read_back);
    }

    #[test]
    fn any_markdownish_value_inserted_by_a_template_reads_back_as_itself(value in markdownish()) {
        let mut engine = Engine::new();
        engine.add("t", "Before {{ v }} after.\n").unwrap();
        let rendered = engine.render("t", &json!({ "v": value })).expect("renders");
        let doc = markdown::read(&rendered.markdown, rendered.metadata).document;
        let [Block::Paragraph { content }] = &doc.blocks[..] else {
            return Err(TestCaseError::fail(format!("{value:?} gave {:#?}", doc.blocks)));
        };
        let read_back = plain_text(content);
        let expected = documented(&value);
        prop_assert!(read_back.contains(&expected), "{:?} read back as {:?}", expected, read_back);
    }
}

proptest! {
    #![proptest_config(config())]

    /// The same property as above for values whose lines do not start with
    /// blanks, which Markdown strips after a line break.
    #[test]
    fn any_value_without_indented_lines_reads_back_as_itself(value in arbitrary_text()) {
        let value = documented(&value).split('\n').map(str::trim_start).collect::<Vec<_>>().join("\n");
        let mut engine = Engine::new();
        engine.add("t", "Before {{ v }} after.\n").unwrap();
        let rendered = engine.render("t", &json!({ "v": value })).expect("renders");
        let doc = markdown::read(&rendered.markdown, rendered.metadata).document;
        let [Block::Paragraph { content }] = &doc.blocks[..] else {
            return Err(TestCaseError::fail(format!("{value:?} gave {:#?}", doc.blocks)));
        };
        let read_back = plain_text(content);
        prop_assert!(read_back.contains(&value), "{:?} read back as {:?}", value, read_back);
        prop_assert!(content.iter().all(|i| matches!(i, Inline::Text { .. } | Inline::LineBreak)), "{:?}", content);
    }
}

/// What the escape documents it changes: line breaks (`\r\n`, `\r`, `\n`,
/// and U+2028, the line separator the escape writes them as) become line
/// breaks, other control characters vanish; tabs stay.
fn documented(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\u{2028}' => out.push('\n'),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}
