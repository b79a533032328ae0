//! The DOCX renderer: the proposal fixture opened by LibreOffice and read
//! back as text, its parts parsed back (styles, numbering, the repeating
//! table header, the image, the footer fields, the properties),
//! determinism, the CLI, and as properties that no input makes the
//! renderer panic or write a file that does not parse.

mod markdown_inputs;
mod proposal;
mod tools;

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::process::Command;

use dealdraft::document::{Assets, Block, Inline, Metadata, Theme, markdown, plain_text};
use dealdraft::render::docx::docx;
use dealdraft::render::{Format, RenderError};
use markdown_inputs::{MAX_INPUT, MAX_OUTPUT, arbitrary_text, config, markdownish};
use proposal::Rendered;
use proptest::prelude::*;
use tools::{LIBREOFFICE, POPPLER, all_text, docx_as_pdf, page_count, tool};

// ---------------------------------------------------------------- helpers

fn proposal() -> &'static Rendered {
    static PROPOSAL: std::sync::OnceLock<Rendered> = std::sync::OnceLock::new();
    PROPOSAL.get_or_init(|| proposal::render(Format::Docx, None))
}

/// Every part of a DOCX file by name, as text.
fn parts(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip archive");
    let mut parts = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("an entry");
        let mut content = Vec::new();
        file.read_to_end(&mut content).expect("readable");
        parts.insert(file.name().to_owned(), content);
    }
    parts
}

fn part(bytes: &[u8], name: &str) -> String {
    let parts = parts(bytes);
    let content = parts
        .get(name)
        .unwrap_or_else(|| panic!("no {name} among {:?}", parts.keys().collect::<Vec<_>>()));
    String::from_utf8(content.clone()).expect("XML is UTF-8")
}

fn theme() -> Theme {
    Theme::builtin("classic").expect("classic")
}

fn render(md: &str) -> Vec<u8> {
    let d = markdown::read(md, Metadata::default()).document;
    docx(&d, &theme(), &Theme::builtin_assets(), false)
        .expect("not strict")
        .bytes
}

/// All the text a reader sees in `blocks`.
fn texts(blocks: &[Block], out: &mut Vec<String>) {
    for block in blocks {
        match block {
            Block::Heading { content, .. } | Block::Paragraph { content } => {
                out.push(plain_text(content));
            }
            Block::List(list) => {
                for item in &list.items {
                    texts(&item.blocks, out);
                }
            }
            Block::Table(table) => {
                for row in table.header.iter().chain(&table.rows) {
                    for cell in &row.cells {
                        out.push(plain_text(cell));
                    }
                }
            }
            Block::Quote { blocks }
            | Block::KeepTogether { blocks }
            | Block::Callout { blocks, .. } => {
                texts(blocks, out);
            }
            Block::Code { text, .. } => out.push(text.clone()),
            Block::Signature { parties } => {
                for p in parties {
                    out.push(p.party.clone());
                    out.extend(p.name.clone());
                    out.extend(p.title.clone());
                }
            }
            Block::Image(_) | Block::Rule | Block::PageBreak => {}
        }
    }
}

// ---------------------------------------------------------------- the parts

#[test]
fn the_proposal_uses_word_styles_for_title_headings_body_lists_and_tables() {
    let bytes = &proposal().bytes;
    let styles = part(bytes, "word/styles.xml");
    for (id, name) in [
        ("Title", "Title"),
        ("Heading1", "heading 1"),
        ("Heading2", "heading 2"),
        ("Heading3", "heading 3"),
        ("BodyText", "Body Text"),
        ("ListParagraph", "List Paragraph"),
        ("ProposalTable", "Proposal Table"),
    ] {
        assert!(
            styles.contains(&format!("w:styleId=\"{id}\""))
                && styles.contains(&format!("w:val=\"{name}\"")),
            "style {id} ({name}) is missing"
        );
    }
    let document = part(bytes, "word/document.xml");
    for style in ["Title", "Heading2", "Heading3", "BodyText", "ListParagraph"] {
        assert!(
            document.contains(&format!("<w:pStyle w:val=\"{style}\" />")),
            "no paragraph in style {style}"
        );
    }
    assert!(document.contains("<w:tblStyle w:val=\"ProposalTable\" />"));
    // The theme's fonts and paper: A4 in twips, DejaVu Serif for the body.
    assert!(
        document.contains("<w:pgSz w:w=\"11906\" w:h=\"16838\""),
        "A4 page"
    );
    assert!(styles.contains("DejaVu Serif") && styles.contains("DejaVu Sans"));
    assert!(styles.contains("1F3A5F"), "the classic heading colour");
}

#[test]
fn lists_are_numbered_with_bullet_and_decimal_definitions_and_nest() {
    let bytes = &proposal().bytes;
    let numbering = part(bytes, "word/numbering.xml");
    assert!(numbering.contains("<w:numFmt w:val=\"bullet\" />"));
    assert!(numbering.contains("<w:numFmt w:val=\"decimal\" />"));
    let document = part(bytes, "word/document.xml");
    assert!(document.contains("<w:ilvl w:val=\"0\" /></w:numPr>"));
    assert!(
        document.contains("<w:ilvl w:val=\"1\" /></w:numPr>"),
        "the fixture's nested list is at level 1"
    );
    // Every list is its own instance, so each numbered list restarts.
    let instances = numbering.matches("<w:num w:numId=").count();
    assert!(instances >= 3, "{instances} list instances");
}

#[test]
fn the_price_table_has_a_grid_cell_widths_and_a_header_row_that_repeats() {
    let document = part(&proposal().bytes, "word/document.xml");
    let start = document
        .find("<w:tblStyle w:val=\"ProposalTable\" />")
        .expect("the price table");
    let table = &document[document[..start].rfind("<w:tbl>").expect("opened")..];
    let table = &table[..table.find("</w:tbl>").expect("closed")];
    assert_eq!(table.matches("<w:gridCol ").count(), 4, "four columns");
    assert_eq!(
        table.matches("<w:tblHeader />").count(),
        1,
        "one header row"
    );
    let first_row = &table[table.find("<w:tr>").expect("a row")..];
    let first_row = &first_row[..first_row.find("</w:tr>").expect("closed")];
    assert!(
        first_row.contains("<w:tblHeader />"),
        "the header is the first row"
    );
    assert!(first_row.contains("Amount"));
    assert!(table.contains("<w:tcW w:w="), "cell widths are explicit");
    // Rules between rows in the theme's shade and none between columns,
    // as in the PDF.
    assert!(
        table
            .contains("<w:insideH w:val=\"single\" w:sz=\"4\" w:space=\"0\" w:color=\"F1F3F6\" />")
    );
    assert!(table.contains("<w:insideV w:val=\"nil\""));
    assert!(
        table.contains("<w:jc w:val=\"right\" />"),
        "amounts align right"
    );
    // 60 lines, five groups and five subtotals, plus the header: no row
    // may break across pages.
    assert!(table.matches("<w:cantSplit />").count() >= 71);
}

#[test]
fn the_logo_and_links_are_embedded_with_their_own_ids() {
    let bytes = &proposal().bytes;
    let parts = parts(bytes);
    let media: Vec<_> = parts
        .iter()
        .filter(|(k, v)| k.starts_with("word/media/") && !v.is_empty())
        .collect();
    assert_eq!(media.len(), 1, "the logo, used twice, is embedded once");
    assert!(media[0].1.starts_with(b"\x89PNG"));
    let document = part(bytes, "word/document.xml");
    assert!(document.contains("<w:drawing>"));
    assert!(document.contains("<wp:docPr id=\"1\""));
    assert!(
        document.contains("<wp:docPr id=\"2\""),
        "the second picture has its own id"
    );
    let rels = part(bytes, "word/_rels/document.xml.rels");
    assert!(rels.contains("Target=\"mailto:riley.rep@example.com\""));
    assert!(rels.contains("TargetMode=\"External\""));
    assert!(document.contains("<w:hyperlink r:id=\"rIdLink1\""));
}

#[test]
fn header_and_footer_hold_the_title_and_page_fields() {
    let bytes = &proposal().bytes;
    let footer = part(bytes, "word/footer1.xml");
    assert!(footer.contains("PAGE"), "{footer}");
    assert!(footer.contains("NUMPAGES"), "{footer}");
    assert!(footer.contains("Page "), "{footer}");
    assert!(footer.contains(" of "), "{footer}");
    assert!(footer.contains("2026-11-23"));
    let header = part(bytes, "word/header1.xml");
    assert!(
        header.contains("Proposal for Müller &amp; Söhne GmbH"),
        "{header}"
    );
}

#[test]
fn the_file_properties_hold_title_author_and_the_document_date() {
    let core = part(&proposal().bytes, "docProps/core.xml");
    assert!(
        core.contains("<dc:title>Proposal for Müller &amp; Söhne GmbH</dc:title>"),
        "{core}"
    );
    assert!(
        core.contains("<dc:creator>Riley Rep</dc:creator>"),
        "{core}"
    );
    assert!(
        core.contains(">2026-11-23T00:00:00Z</dcterms:created>"),
        "{core}"
    );
}

#[test]
fn the_proposal_parses_back_with_the_docx_reader() {
    let parsed = docx_rs::read_docx(&proposal().bytes).expect("docx-rs reads its own output back");
    let headings = parsed
        .styles
        .styles
        .iter()
        .filter(|s| s.style_id.starts_with("Heading"))
        .count();
    assert!(headings >= 3);
    assert!(!parsed.document.children.is_empty());
}

#[test]
fn every_zip_entry_has_the_same_fixed_timestamp() {
    let mut archive = zip::ZipArchive::new(Cursor::new(&proposal().bytes)).expect("a zip");
    for i in 0..archive.len() {
        let file = archive.by_index(i).expect("an entry");
        let time = file.last_modified().expect("a time");
        assert_eq!(
            (time.year(), time.month(), time.day()),
            (1980, 1, 1),
            "{} is stamped with the clock",
            file.name()
        );
    }
}

#[test]
fn renders_interleaved_in_one_process_are_identical() {
    let a = "# A\n\nSee [one](https://example.com/1) and ![x](classic-logo.png).\n\n- a\n- b\n";
    let b =
        "# B\n\n[two](https://example.com/2)\n\n1. x\n2. y\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";
    let first = render(a);
    let other = render(b);
    let again = render(a);
    assert_eq!(first, again, "the same document gives the same bytes");
    assert_ne!(first, other);
}

// ---------------------------------------------------------------- LibreOffice

#[test]
fn libreoffice_opens_the_proposal_and_its_text_holds_every_word() {
    let (Some(soffice), Some(pdftotext), Some(pdfinfo)) = (
        tool("soffice", LIBREOFFICE),
        tool("pdftotext", POPPLER),
        tool("pdfinfo", POPPLER),
    ) else {
        return;
    };
    let (_dir, pdf) = docx_as_pdf(&soffice, &proposal().bytes);
    let text = all_text(&pdftotext, &pdf);
    // Compared without whitespace: LibreOffice breaks lines where it likes.
    let flat: String = text.split_whitespace().collect();
    let mut expected = Vec::new();
    texts(&proposal().document.blocks, &mut expected);
    let mut missing = Vec::new();
    for word in expected.iter().flat_map(|t| t.split_whitespace()) {
        if !flat.contains(word) {
            missing.push(word.to_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "missing from LibreOffice's text: {missing:?}"
    );
    for c in expected
        .concat()
        .chars()
        .filter(|c| !c.is_ascii() && !c.is_whitespace())
    {
        assert!(text.contains(c), "the character {c} is missing");
    }
    let pages = page_count(&pdfinfo, &pdf);
    assert!(pages >= 3, "{pages} pages");
    assert!(
        flat.contains(&format!("Page1of{pages}"))
            && flat.contains(&format!("Page{pages}of{pages}")),
        "the footer fields are computed: {text}"
    );
}

// ---------------------------------------------------------------- images

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encodes");
    out.into_inner()
}

#[test]
fn a_jpeg_is_embedded_as_a_png_at_the_width_asked_for() {
    let d = markdown::read("![Site](site.jpg \"width=50mm\")\n", Metadata::default()).document;
    let mut assets = Assets::default();
    assets.insert("site.jpg", jpeg(320, 200)).expect("a JPEG");
    let out = docx(&d, &theme(), &assets, true).expect("renders");
    let parts = parts(&out.bytes);
    let images: Vec<_> = parts
        .iter()
        .filter(|(k, _)| k.starts_with("word/media/"))
        .map(|(_, v)| v)
        .collect();
    assert!(images.iter().any(|b| b.starts_with(b"\x89PNG")));
    let document = part(&out.bytes, "word/document.xml");
    // 50 mm is 1 800 000 EMU wide; 320×200 keeps its aspect.
    assert!(
        document.contains("<wp:extent cx=\"1800000\" cy=\"1125000\" />"),
        "{document}"
    );
}

#[test]
fn a_missing_image_is_its_alt_text_or_under_strict_an_error() {
    let d = markdown::read("![The site plan](plan.png)\n", Metadata::default()).document;
    let out = docx(&d, &theme(), &Theme::builtin_assets(), false).expect("renders");
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(part(&out.bytes, "word/document.xml").contains("[The site plan]"));
    assert_eq!(
        docx(&d, &theme(), &Theme::builtin_assets(), true).unwrap_err(),
        RenderError::MissingImage("plan.png".into())
    );
}

#[test]
fn control_characters_are_dropped_so_the_file_stays_readable() {
    let mut d = markdown::read("Before\n", Metadata::default()).document;
    d.blocks.push(Block::Paragraph {
        content: vec![Inline::text("bell\u{7} and null\u{0} and form\u{c}feed")],
    });
    let out = docx(&d, &theme(), &Theme::builtin_assets(), false).expect("renders");
    docx_rs::read_docx(&out.bytes).expect("the XML is well formed");
    assert!(part(&out.bytes, "word/document.xml").contains("bell and null and formfeed"));
}

// ---------------------------------------------------------------- the CLI

#[test]
fn the_cli_renders_docx_and_names_it_among_the_formats() {
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("offer.md");
    std::fs::write(&input, "# Offer\n\nHello **there**.\n").expect("written");
    let output = dir.path().join("offer.docx");
    let run = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_dealdraft"))
            .env_remove("DATABASE_URL")
            .arg("render")
            .arg(&input)
            .args(["--format", format, "-o"])
            .arg(&output)
            .output()
            .expect("the binary runs")
    };
    let ok = run("docx");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bytes = std::fs::read(&output).expect("written");
    assert!(part(&bytes, "word/document.xml").contains("there"));
    let bad = run("odt");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("html, pdf, docx"));
}

// ---------------------------------------------------------------- properties

fn check_renders(input: &str) -> Result<(), TestCaseError> {
    prop_assert!(input.len() <= MAX_INPUT);
    let d = markdown::read(input, Metadata::default()).document;
    let out = docx(&d, &theme(), &Theme::builtin_assets(), false).expect("not strict, so no error");
    prop_assert!(out.bytes.len() < MAX_OUTPUT, "{} bytes", out.bytes.len());
    prop_assert!(
        docx_rs::read_docx(&out.bytes).is_ok(),
        "the file does not parse back"
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_strings_never_panic_the_docx_renderer(input in arbitrary_text()) {
        check_renders(&input)?;
    }

    #[test]
    fn markdownish_inputs_never_panic_the_docx_renderer(input in markdownish()) {
        check_renders(&input)?;
    }
}
