//! The template engine: formatting functions, front matter, the Markdown
//! escape of inserted values (checked by reading the output back), errors
//! that point at their cause, and the sandbox.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use dealdraft::document::markdown;
use dealdraft::document::theme::Paper;
use dealdraft::document::{Block, Document, Inline, Theme, plain_text};
use dealdraft::render::html::html;
use dealdraft::templates::{Engine, Rendered, TemplateError};
use serde_json::{Value, json};

const NBSP: &str = "\u{a0}";
const NNBSP: &str = "\u{202f}";

/// Adds `source` as template `t` and renders it with `data`.
fn render(source: &str, data: Value) -> Result<Rendered, TemplateError> {
    let mut engine = Engine::new();
    engine.add("t", source)?;
    engine.render("t", &data)
}

fn render_ok(source: &str, data: Value) -> Rendered {
    render(source, data).unwrap_or_else(|e| panic!("rendering {source:?} failed: {e}"))
}

/// Renders and reads the Markdown back into a document.
fn document(source: &str, data: Value) -> Document {
    let rendered = render_ok(source, data);
    markdown::read(&rendered.markdown, rendered.metadata).document
}

/// The plain text of every block, one line per block.
fn text_of(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Heading { content, .. } | Block::Paragraph { content } => {
                out.push_str(&plain_text(content))
            }
            Block::List(list) => {
                for item in &list.items {
                    out.push_str(&text_of(&item.blocks));
                }
            }
            Block::Table(table) => {
                for row in table.header.iter().chain(&table.rows) {
                    for cell in &row.cells {
                        out.push_str(&plain_text(cell));
                        out.push('\t');
                    }
                    out.push('\n');
                }
            }
            Block::Quote { blocks }
            | Block::KeepTogether { blocks }
            | Block::Callout { blocks, .. } => out.push_str(&text_of(blocks)),
            Block::Code { text, .. } => out.push_str(text),
            Block::Image(image) => out.push_str(&image.alt),
            Block::Signature { parties } => {
                for p in parties {
                    out.push_str(&p.party);
                }
            }
            Block::Rule | Block::PageBreak => {}
        }
        out.push('\n');
    }
    out
}

/// The one paragraph `source` renders to, as plain text.
fn paragraph(source: &str, data: Value) -> String {
    let doc = document(source, data);
    match &doc.blocks[..] {
        [Block::Paragraph { content }] => plain_text(content),
        other => panic!("expected one paragraph from {source:?}, got {other:#?}"),
    }
}

fn html_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn to_html(doc: &Document) -> String {
    let theme = Theme::builtin("classic").unwrap();
    let out = html(doc, &theme, &Theme::builtin_assets(), false).expect("html renders");
    String::from_utf8(out.bytes).expect("utf-8")
}

/// Runs `f` on its own thread and fails if it takes longer than `limit`;
/// the sandbox's own limit is 1 s, so a few seconds is generous.
fn within<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> (T, Duration) {
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => (value, started.elapsed()),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("not stopped within {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the render panicked"),
    }
}

const FIVE_SECONDS: Duration = Duration::from_secs(5);

/// Adds and renders on a thread that must finish within five seconds.
fn render_quickly(source: &str, data: Value) -> Result<Rendered, TemplateError> {
    let source = source.to_owned();
    let (result, elapsed) = within(FIVE_SECONDS, move || render(&source, data));
    assert!(elapsed < FIVE_SECONDS, "took {elapsed:?}");
    result
}

fn limit_message(result: Result<Rendered, TemplateError>) -> String {
    match result {
        Err(TemplateError::Limit { template, message }) => {
            assert!(template.starts_with('t'), "names the template: {template}");
            message
        }
        other => panic!("expected a limit error, got {other:?}"),
    }
}

// ---------------------------------------------------------------- money

#[test]
fn money_in_euros_follows_the_locale() {
    let cases = [
        ("de", format!("1.234,50{NBSP}€")),
        ("en", "€1,234.50".to_owned()),
        ("en-GB", "€1,234.50".to_owned()),
        ("fr", format!("1{NNBSP}234,50{NBSP}€")),
        ("de-AT", format!("€{NBSP}1{NBSP}234,50")),
        ("es", format!("1.234,50{NBSP}€")),
        ("nl", format!("€{NBSP}1.234,50")),
    ];
    for (locale, expected) in cases {
        let source =
            format!("{{{{ money(amount=1234.5, currency=\"EUR\", locale=\"{locale}\") }}}}");
        assert_eq!(paragraph(&source, json!({})), expected, "{locale}");
    }
}

#[test]
fn money_rounds_half_up_to_the_minor_unit() {
    let got = paragraph(
        r#"{{ money(amount="1234.565", currency="EUR", locale="en") }}"#,
        json!({}),
    );
    assert_eq!(got, "€1,234.57");
    let got = paragraph(
        r#"{{ money(amount=1234.565, currency="EUR", locale="en") }}"#,
        json!({}),
    );
    assert_eq!(got, "€1,234.57", "a JSON number rounds as its decimal text");
}

#[test]
fn money_in_yen_has_no_decimals() {
    let src = r#"{{ money(amount=1234.5, currency="JPY", locale="en") }} / {{ money(amount=1234.5, currency="JPY", locale="de") }}"#;
    assert_eq!(paragraph(src, json!({})), format!("¥1,235 / 1.235{NBSP}¥"));
}

#[test]
fn money_in_bahraini_dinar_has_three_decimals_and_its_code() {
    let src = r#"{{ money(amount="1234.5675", currency="BHD", locale="en") }} / {{ money(amount="1234.5675", currency="bhd", locale="fr") }}"#;
    assert_eq!(
        paragraph(src, json!({})),
        format!("BHD{NBSP}1,234.568 / 1{NNBSP}234,568{NBSP}BHD")
    );
}

#[test]
fn money_in_swiss_francs_in_swiss_and_other_locales() {
    let src = r#"{{ money(amount="1234567.891", currency="CHF", locale="de-CH") }} / {{ money(amount="1234567.891", currency="CHF", locale="fr-CH") }} / {{ money(amount="1234567.891", currency="CHF", locale="en") }}"#;
    assert_eq!(
        paragraph(src, json!({})),
        format!(
            "CHF{NBSP}1’234’567.89 / 1{NNBSP}234{NNBSP}567,89{NBSP}CHF / CHF{NBSP}1,234,567.89"
        )
    );
}

#[test]
fn money_takes_amount_and_currency_from_the_data() {
    let data = json!({"deal": {"amount": "12345.675", "currency": "EUR"}, "neg": -12.5});
    let src = "{{ money(amount=deal.amount, currency=deal.currency) }} and {{ money(amount=neg, currency=\"USD\", locale=\"en-US\") }}";
    assert_eq!(
        paragraph(src, data),
        "€12,345.68 and -$12.50",
        "the default locale is en"
    );
}

#[test]
fn money_with_an_unknown_currency_is_a_runtime_error_naming_it() {
    let err = render(r#"{{ money(amount=1, currency="XYZ") }}"#, json!({})).unwrap_err();
    match &err {
        TemplateError::Runtime { template, message } => {
            assert_eq!(template, "t.md");
            assert!(
                message.contains("XYZ") && message.contains("money"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn money_with_an_amount_that_is_not_a_number_is_a_runtime_error() {
    let err = render(r#"{{ money(amount="lots", currency="EUR") }}"#, json!({})).unwrap_err();
    assert!(
        matches!(&err, TemplateError::Runtime { message, .. } if message.contains("lots")),
        "{err:?}"
    );
    let err = render(r#"{{ money(currency="EUR") }}"#, json!({})).unwrap_err();
    assert!(
        matches!(&err, TemplateError::Runtime { message, .. } if message.contains("amount")),
        "{err:?}"
    );
}

#[test]
fn money_with_an_unknown_locale_is_a_runtime_error_naming_it() {
    let err = render(
        r#"{{ money(amount=1, currency="EUR", locale="tlh") }}"#,
        json!({}),
    )
    .unwrap_err();
    assert!(
        matches!(&err, TemplateError::Runtime { message, .. } if message.contains("tlh")),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- dates

#[test]
fn dates_in_each_named_format_in_english() {
    let data = json!({"d": "2026-11-23"});
    for (format, expected) in [
        ("long", "November 23, 2026"),
        ("medium", "Nov 23, 2026"),
        ("short", "11/23/2026"),
        ("iso", "2026-11-23"),
    ] {
        let src = format!("On {{{{ date(value=d, format=\"{format}\", locale=\"en\") }}}}.");
        assert_eq!(
            paragraph(&src, data.clone()),
            format!("On {expected}."),
            "{format}"
        );
    }
}

#[test]
fn dates_default_to_the_long_format() {
    assert_eq!(
        paragraph(r#"{{ date(value="2026-11-23") }}"#, json!({})),
        "November 23, 2026"
    );
}

#[test]
fn dates_in_each_named_format_in_other_locales() {
    let cases = [
        ("de", "long", "23. November 2026"),
        ("de", "medium", "23. Nov. 2026"),
        ("de", "short", "23.11.2026"),
        ("en-GB", "long", "23 November 2026"),
        ("en-GB", "short", "23/11/2026"),
        ("fr", "long", "23 novembre 2026"),
        ("fr", "medium", "23 nov. 2026"),
        ("es", "long", "23 de noviembre de 2026"),
        ("it", "short", "23/11/2026"),
        ("nl", "short", "23-11-2026"),
        ("de-CH", "iso", "2026-11-23"),
    ];
    for (locale, format, expected) in cases {
        let src = format!(
            "Am {{{{ date(value=\"2026-11-23\", format=\"{format}\", locale=\"{locale}\") }}}}"
        );
        assert_eq!(
            paragraph(&src, json!({})),
            format!("Am {expected}"),
            "{locale} {format}"
        );
    }
}

#[test]
fn dates_may_use_a_strftime_pattern() {
    let src = r#"{{ date(value="2026-11-23", format="%A, %d %B %Y") }}"#;
    assert_eq!(paragraph(src, json!({})), "Monday, 23 November 2026");
}

#[test]
fn a_strftime_pattern_asking_for_a_time_or_zone_is_an_error_not_a_panic() {
    for pattern in ["%H:%M", "%z", "%s"] {
        let src = format!("{{{{ date(value=\"2026-11-23\", format=\"{pattern}\") }}}}");
        let result = std::panic::catch_unwind(|| render(&src, json!({})));
        match result {
            Ok(Err(TemplateError::Runtime { message, .. })) => {
                assert!(message.contains(pattern), "{pattern}: {message}")
            }
            Ok(other) => panic!("{pattern}: expected a runtime error, got {other:?}"),
            Err(_) => panic!("{pattern}: the render panicked"),
        }
    }
}

#[test]
fn a_timestamp_is_dated_by_its_utc_day() {
    let src = r#"{{ date(value="2026-11-23T23:30:00-02:00", format="iso") }}"#;
    assert_eq!(paragraph(src, json!({})), "2026-11-24");
}

#[test]
fn a_date_at_the_start_of_a_line_does_not_become_a_list() {
    // "23. November 2026" would be an ordered list item if not escaped.
    let doc = document(
        "{{ date(value=\"2026-11-23\", locale=\"de\") }}\n",
        json!({}),
    );
    assert_eq!(
        doc.blocks,
        vec![Block::Paragraph {
            content: vec![Inline::text("23. November 2026")]
        }]
    );
}

#[test]
fn a_bad_date_or_format_is_a_runtime_error_naming_it() {
    let err = render(r#"{{ date(value="23/11/2026") }}"#, json!({})).unwrap_err();
    assert!(
        matches!(&err, TemplateError::Runtime { message, .. } if message.contains("23/11/2026")),
        "{err:?}"
    );
    let err = render(r#"{{ date(value="2026-11-23", format="%Q") }}"#, json!({})).unwrap_err();
    assert!(
        matches!(&err, TemplateError::Runtime { message, .. } if message.contains("%Q")),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- front matter

#[test]
fn front_matter_values_are_rendered_and_not_escaped() {
    let src = "---\ntitle: Offer for {{ name }}\nauthor: \"{{ rep }}\"\nsubject: Q{{ 1 + 3 }} & more\ndate: {{ today }}\n---\n# Body for {{ name }}\n";
    let data = json!({"name": "**ACME** & <Co> [x](y)", "rep": "Riley \"R\" O'Neil", "today": "2026-11-23"});
    let rendered = render_ok(src, data);
    assert_eq!(
        rendered.metadata.title.as_deref(),
        Some("Offer for **ACME** & <Co> [x](y)")
    );
    assert_eq!(
        rendered.metadata.author.as_deref(),
        Some("Riley \"R\" O'Neil")
    );
    assert_eq!(rendered.metadata.subject.as_deref(), Some("Q4 & more"));
    assert_eq!(rendered.metadata.date.as_deref(), Some("2026-11-23"));
    assert!(
        !rendered.markdown.contains("title:"),
        "the front matter is not in the body: {:?}",
        rendered.markdown
    );
    let doc = markdown::read(&rendered.markdown, rendered.metadata).document;
    assert_eq!(
        doc.blocks,
        vec![Block::Heading {
            level: 1,
            content: vec![Inline::text("Body for **ACME** & <Co> [x](y)")]
        }]
    );
}

#[test]
fn front_matter_chooses_theme_and_paper() {
    let rendered = render_ok("---\ntheme: modern\npaper: Letter\n---\nx\n", json!({}));
    assert_eq!(rendered.theme.as_deref(), Some("modern"));
    assert_eq!(rendered.paper, Some(Paper::Letter));
    let rendered = render_ok("x\n", json!({}));
    assert_eq!((rendered.theme, rendered.paper), (None, None));
}

#[test]
fn an_unknown_paper_is_a_runtime_error_naming_it() {
    let err = render("---\npaper: a5\n---\nx\n", json!({})).unwrap_err();
    assert!(
        matches!(&err, TemplateError::Runtime { message, .. } if message.contains("a5")),
        "{err:?}"
    );
}

#[test]
fn the_front_matter_locale_applies_to_money_and_dates() {
    let src = "---\nlocale: de\n---\n{{ money(amount=1234.5, currency=\"EUR\") }} am {{ date(value=\"2026-11-23\") }}, kurz {{ date(value=\"2026-11-23\", format=\"short\") }}\n";
    let rendered = render_ok(src, json!({}));
    assert_eq!(rendered.metadata.language.as_deref(), Some("de"));
    let doc = markdown::read(&rendered.markdown, rendered.metadata).document;
    assert_eq!(
        text_of(&doc.blocks),
        format!("1.234,50{NBSP}€ am 23. November 2026, kurz 23.11.2026\n")
    );
}

#[test]
fn the_front_matter_locale_also_applies_to_the_other_front_matter_fields() {
    let src = "---\ntitle: Angebot vom {{ date(value=\"2026-11-23\") }}\nlocale: de\n---\nx\n";
    let rendered = render_ok(src, json!({}));
    assert_eq!(
        rendered.metadata.title.as_deref(),
        Some("Angebot vom 23. November 2026")
    );
}

#[test]
fn the_front_matter_locale_may_come_from_the_data() {
    let src = "---\nlocale: {{ lang }}\n---\n{{ money(amount=1234.5, currency=\"EUR\") }}\n";
    assert_eq!(
        paragraph(src, json!({"lang": "fr"})),
        format!("1{NNBSP}234,50{NBSP}€")
    );
}

#[test]
fn an_explicit_locale_wins_over_the_front_matter() {
    let src = "---\nlocale: de\n---\n{{ money(amount=1234.5, currency=\"EUR\", locale=\"en\") }}\n";
    assert_eq!(paragraph(src, json!({})), "€1,234.50");
}

#[test]
fn an_unknown_front_matter_locale_is_a_runtime_error_naming_it() {
    let err = render("---\nlocale: xx-YY\n---\nx\n", json!({})).unwrap_err();
    assert!(
        matches!(&err, TemplateError::Runtime { message, .. } if message.to_lowercase().contains("xx-yy")),
        "{err:?}"
    );
}

#[test]
fn an_unknown_front_matter_key_is_refused_with_its_line() {
    let err = Engine::new()
        .add("t", "---\ntitle: x\ncolour: red\n---\nbody\n")
        .unwrap_err();
    match err {
        TemplateError::FrontMatter { template, source } => {
            assert_eq!(template, "t.md");
            assert_eq!(source.line, 3);
            assert!(source.message.contains("colour"), "{}", source.message);
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------- hostile values

const HOSTILE: &[&str] = &[
    "**ACME** [x](http://e)",
    "<script>alert(1)</script>",
    "{{ x }}",
    "{% if %}",
    "{# comment #}",
    "שלום עולם",
    "e\u{301}te\u{301} cafe\u{301}",
    "a | b | c",
    "# not a heading",
    "1. not a list",
    "- not a list",
    "+ not a list",
    "> not a quote",
    "```not code```",
    "~~~",
    "---",
    "***",
    "<!-- pagebreak -->",
    "<!-- keep -->",
    "![img](logo.png)",
    "[^1]",
    "[link]: http://example.com",
    "&amp; &lt; &#65;",
    "\\*back\\slash\\",
    "_under_ *star* ~~strike~~ `tick`",
    "<https://example.com>",
    "https://example.com/auto",
    "a  \nb",
    "trailing backslash\\",
    "Müller & Söhne GmbH, 10 % off; \"quoted\" 'single' $5 #1 @x ^y",
];

/// A value in a paragraph reads back as exactly itself.
fn assert_literal_in_paragraph(value: &str) {
    let doc = document("Before {{ v }} after.\n", json!({"v": value}));
    let [Block::Paragraph { content }] = &doc.blocks[..] else {
        panic!("{value:?} made more than one paragraph: {:#?}", doc.blocks);
    };
    assert_eq!(
        plain_text(content),
        format!("Before {value} after."),
        "{value:?}"
    );
    assert!(
        content
            .iter()
            .all(|i| matches!(i, Inline::Text { .. } | Inline::LineBreak)),
        "{value:?} made markup: {content:#?}"
    );
    assert!(doc.footnotes.is_empty());
    let page = to_html(&doc);
    for line in value.split('\n') {
        assert!(
            page.contains(&html_escape(line)),
            "{value:?}: the HTML lacks {:?}",
            html_escape(line)
        );
    }
    assert!(!page.contains("<script"), "{value:?}");
}

#[test]
fn hostile_values_come_out_literally_in_a_paragraph() {
    for value in HOSTILE {
        assert_literal_in_paragraph(value);
    }
}

#[test]
fn hostile_values_alone_on_a_line_stay_one_paragraph_of_their_own_text() {
    for value in HOSTILE {
        let doc = document("{{ v }}\n", json!({"v": value}));
        let [Block::Paragraph { content }] = &doc.blocks[..] else {
            panic!("{value:?} alone on a line made {:#?}", doc.blocks);
        };
        assert_eq!(plain_text(content), value.trim_start(), "{value:?}");
    }
}

#[test]
fn a_value_with_leading_spaces_at_the_start_of_a_line_is_not_a_code_block() {
    let doc = document("{{ v }}\n", json!({"v": "    indented"}));
    assert!(
        matches!(&doc.blocks[..], [Block::Paragraph { .. }]),
        "{:#?}",
        doc.blocks
    );
}

#[test]
fn a_value_starting_with_a_tab_at_the_start_of_a_line_is_not_a_code_block() {
    let doc = document("{{ v }}\n", json!({"v": "\tindented"}));
    assert!(
        matches!(&doc.blocks[..], [Block::Paragraph { .. }]),
        "{:#?}",
        doc.blocks
    );
}

#[test]
fn a_script_value_leaves_no_script_element_in_the_html() {
    let doc = document(
        "# {{ v }}\n\n{{ v }}\n\n- {{ v }}\n\n| {{ v }} |\n|---|\n| {{ v }} |\n\n> [!NOTE]\n> {{ v }}\n",
        json!({"v": "<script>alert(1)</script><img src=x onerror=alert(2)>"}),
    );
    let page = to_html(&doc);
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(
        page.matches("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;")
            .count()
            >= 6
    );
}

#[test]
fn template_syntax_in_a_value_is_not_evaluated() {
    let data =
        json!({"v": "{{ secret }} {% for i in range(end=3) %}x{% endfor %}", "secret": "s3cr3t"});
    let got = paragraph("{{ v }}", data);
    assert_eq!(got, "{{ secret }} {% for i in range(end=3) %}x{% endfor %}");
}

#[test]
fn a_hundred_thousand_character_value_comes_out_whole() {
    let value: String = "Lorem ipsum *dolor* sit amet, <b>|</b> "
        .chars()
        .cycle()
        .take(100_000)
        .collect();
    assert_literal_in_paragraph(&value);
}

#[test]
fn right_to_left_and_combining_text_comes_out_unchanged() {
    for value in [
        "שלום עולם",
        "مرحبا بالعالم",
        "e\u{301}",
        "Z\u{351}\u{36b}\u{343}a\u{30a}l\u{31b}g\u{30d}o",
        "👩‍👩‍👧 🇩🇪",
    ] {
        assert_literal_in_paragraph(value);
        let doc = document("{{ v }}", json!({"v": value}));
        // Not normalised: the bytes are the data's.
        assert_eq!(
            doc.blocks,
            vec![Block::Paragraph {
                content: vec![Inline::text(value)]
            }]
        );
    }
}

#[test]
fn newlines_in_a_value_become_line_breaks_and_never_start_a_block() {
    let value = "Main Street 1\n# Not a heading\n- not a list\n1. nor this\n> nor a quote\n\nnor a new paragraph";
    let doc = document("Address: {{ v }}\n", json!({"v": value}));
    let [Block::Paragraph { content }] = &doc.blocks[..] else {
        panic!("{:#?}", doc.blocks);
    };
    assert_eq!(plain_text(content), format!("Address: {value}"));
    assert_eq!(
        content
            .iter()
            .filter(|i| matches!(i, Inline::LineBreak))
            .count(),
        6
    );
}

#[test]
fn windows_line_endings_in_a_value_are_line_breaks() {
    let got = paragraph("{{ v }}", json!({"v": "one\r\ntwo\rthree"}));
    assert_eq!(got, "one\ntwo\nthree");
}

#[test]
fn pipes_in_a_value_stay_in_their_table_cell() {
    let src = "| Item | Note |\n|---|---|\n| {{ a }} | {{ b }} |\n";
    let doc = document(src, json!({"a": "Server | rack", "b": "| x || y |"}));
    let [Block::Table(table)] = &doc.blocks[..] else {
        panic!("{:#?}", doc.blocks)
    };
    assert_eq!(table.columns.len(), 2);
    assert_eq!(table.rows.len(), 1);
    let cells: Vec<String> = table.rows[0].cells.iter().map(|c| plain_text(c)).collect();
    assert_eq!(cells, vec!["Server | rack", "| x || y |"]);
}

#[test]
fn a_newline_in_a_value_does_not_add_rows_to_a_table() {
    let src = "| Item | Price |\n|---|---|\n| {{ a }} | 10 |\n| Total | 10 |\n";
    let doc = document(src, json!({"a": "two\n| fake | row |"}));
    let [Block::Table(table)] = &doc.blocks[..] else {
        panic!("{:#?}", doc.blocks)
    };
    assert_eq!(table.rows.len(), 2, "{table:#?}");
    assert_eq!(plain_text(&table.rows[1].cells[0]), "Total");
    let first = plain_text(&table.rows[0].cells[0]);
    assert!(
        first.starts_with("two") && first.contains("| fake | row |"),
        "{first:?}"
    );
}

#[test]
fn values_in_loops_and_includes_are_escaped_too() {
    let mut engine = Engine::new();
    engine.add("row", "- {{ item.name }}\n").unwrap();
    engine
        .add("t", "{% for item in items %}{% include \"row.md\" %}{% endfor %}{% for item in items %}* {{ item.name | upper }}\n{% endfor %}")
        .unwrap();
    let rendered = engine
        .render(
            "t",
            &json!({"items": [{"name": "**a**"}, {"name": "[b](http://x)"}]}),
        )
        .unwrap();
    let doc = markdown::read(&rendered.markdown, rendered.metadata).document;
    assert_eq!(
        text_of(&doc.blocks),
        "**a**\n[b](http://x)\n\n**A**\n[B](HTTP://X)\n\n"
    );
}

#[test]
fn numbers_and_booleans_from_the_data_print_as_written() {
    let got = paragraph(
        "{{ n }} {{ f }} {{ b }} {{ neg }}",
        json!({"n": 42, "f": 1.5, "b": true, "neg": -3}),
    );
    assert_eq!(got, "42 1.5 true -3");
}

// ---------------------------------------------------------------- syntax errors

fn syntax(result: Result<(), TemplateError>) -> (String, usize, usize, String) {
    match result {
        Err(TemplateError::Syntax {
            template,
            line,
            column,
            message,
        }) => (template, line, column, message),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn a_syntax_error_names_the_template_line_and_column() {
    let source = "# Offer\n\nDear {{ name }},\nyour total is {{ total | }}.\n";
    let (template, line, column, message) = syntax(Engine::new().add("offer", source));
    assert_eq!(template, "offer.md");
    assert_eq!(line, 4);
    // `{{ total | }}`: the filter name is missing right before `}}` (column 25).
    assert!((15..=26).contains(&column), "column {column}");
    assert!(!message.is_empty());
}

#[test]
fn a_syntax_error_in_the_first_line_is_at_its_column() {
    let (_, line, column, _) = syntax(Engine::new().add("t", "abc {% iff x %}{% endif %}"));
    assert_eq!(line, 1);
    assert!(
        (5..=8).contains(&column),
        "column {column} should point at the tag at column 5"
    );
}

#[test]
fn line_numbers_count_from_the_first_line_of_the_file_with_front_matter() {
    let source = "---\ntitle: Offer\nlocale: de\n---\n# Offer\n\n{% if %}\n{% endif %}\n";
    let (template, line, column, _) = syntax(Engine::new().add("offer", source));
    assert_eq!(template, "offer.md");
    assert_eq!(line, 7, "the bad tag is on the file's 7th line");
    assert!((1..=7).contains(&column), "column {column}");
}

#[test]
fn the_error_message_shows_template_line_and_column() {
    let err = Engine::new()
        .add("offer", "\n\n  {{ oops( }}\n")
        .unwrap_err();
    let TemplateError::Syntax { line, column, .. } = &err else {
        panic!("{err:?}")
    };
    let shown = err.to_string();
    assert!(shown.starts_with("offer.md, line 3, column "), "{shown}");
    assert_eq!(*line, 3);
    assert!(*column >= 3, "column {column}");
}

#[test]
fn an_unclosed_block_is_a_syntax_error() {
    let (template, line, _, _) = syntax(Engine::new().add("t", "a\n{% if x %}\nb\n"));
    assert_eq!(template, "t.md");
    assert!(line >= 2, "line {line}");
}

#[test]
fn a_syntax_error_in_a_front_matter_value_points_into_the_file() {
    let source = "---\ntitle: Offer\nauthor: {{ rep. }}\n---\nbody\n";
    let (template, line, column, _) = syntax(Engine::new().add("offer", source));
    assert!(template.starts_with("offer"), "{template}");
    assert_eq!(line, 3);
    // `author: {{ rep. }}`: the value starts at column 9, the stray `.` is at column 15.
    assert!(
        (13..=18).contains(&column),
        "column {column} should count from the start of the file's line"
    );
}

#[test]
fn a_failed_add_leaves_an_existing_template_of_that_name_usable() {
    let mut engine = Engine::new();
    engine.add("t", "good {{ 1 + 1 }}").unwrap();
    assert!(engine.add("t", "bad {{ ").is_err());
    let rendered = engine.render("t", &json!({})).unwrap();
    assert_eq!(rendered.markdown, "good 2");
}

// ---------------------------------------------------------------- runtime errors

#[test]
fn an_unknown_variable_is_a_runtime_error_naming_template_and_variable() {
    let err = render("Dear {{ contact.first_name }},", json!({"contact": {}})).unwrap_err();
    match &err {
        TemplateError::Runtime { template, message } => {
            assert_eq!(template, "t.md");
            assert!(message.contains("contact.first_name"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().starts_with("t.md: "), "{err}");
}

#[test]
fn data_that_is_not_an_object_is_a_runtime_error() {
    let mut engine = Engine::new();
    engine.add("t", "x").unwrap();
    for data in [json!([1, 2]), json!("text"), json!(3)] {
        let err = engine.render("t", &data).unwrap_err();
        assert!(
            matches!(&err, TemplateError::Runtime { message, .. } if message.contains("object")),
            "{err:?}"
        );
    }
}

#[test]
fn rendering_a_template_never_added_is_a_runtime_error_naming_it() {
    let err = Engine::new().render("ghost", &json!({})).unwrap_err();
    assert!(
        matches!(&err, TemplateError::Runtime { message, .. } if message.contains("ghost")),
        "{err:?}"
    );
}

#[test]
fn including_a_missing_template_is_an_error_naming_it() {
    let mut engine = Engine::new();
    let result = engine
        .add("t", "{% include \"missing.md\" %}")
        .and_then(|_| engine.render("t", &json!({})).map(|_| ()));
    let err = result.unwrap_err();
    assert!(err.to_string().contains("missing.md"), "{err}");
}

// ---------------------------------------------------------------- sandbox

#[test]
fn a_huge_range_is_stopped_by_the_budget() {
    let message = limit_message(render_quickly(
        "{% for i in range(end=10000000000) %}x{% endfor %}",
        json!({}),
    ));
    assert!(
        message.contains("range") && message.contains("10000"),
        "{message}"
    );
}

#[test]
fn a_range_whose_length_overflows_is_refused_not_a_panic() {
    let src =
        "{% for i in range(start=-5000000000000000000, end=5000000000000000000) %}x{% endfor %}";
    let result = std::panic::catch_unwind(|| render(src, json!({})));
    match result {
        Ok(result) => {
            let message = limit_message(result);
            assert!(message.contains("range"), "{message}");
        }
        Err(_) => panic!("the render panicked"),
    }
}

#[test]
fn nested_ranges_that_together_exceed_the_budget_are_stopped() {
    let src = "{% for i in range(end=100) %}{% for j in range(end=200) %}.{% endfor %}{% endfor %}";
    let message = limit_message(render_quickly(src, json!({})));
    assert!(message.contains("range"), "{message}");
}

#[test]
fn a_range_within_the_budget_is_allowed() {
    let rendered = render_quickly(
        "{% for i in range(end=5, start=1) %}{{ i }}{% endfor %}",
        json!({}),
    )
    .unwrap();
    assert_eq!(rendered.markdown, "1234");
}

#[test]
fn five_nested_for_loops_are_refused() {
    let src = "{% for a in x %}{% for b in x %}{% for c in x %}{% for d in x %}{% for e in x %}.{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}";
    let message = limit_message(render_quickly(src, json!({"x": [1]})));
    assert!(
        message.contains("for") && message.contains("nest"),
        "{message}"
    );
}

#[test]
fn three_nested_for_loops_are_allowed() {
    let src =
        "{% for a in x %}{% for b in x %}{% for c in x %}.{% endfor %}{% endfor %}{% endfor %}";
    assert_eq!(
        render_quickly(src, json!({"x": [1, 2]})).unwrap().markdown,
        "........"
    );
}

#[test]
fn fifty_nested_ifs_are_refused_with_a_position() {
    let src = format!(
        "{}x{}",
        "{% if true %}".repeat(50),
        "{% endif %}".repeat(50)
    );
    match render_quickly(&src, json!({})) {
        Err(TemplateError::Syntax {
            template,
            line,
            column,
            message,
        }) => {
            assert_eq!(template, "t.md");
            assert!(message.contains("nest"), "{message}");
            assert_eq!(line, 1);
            // The 13th `{% if` opens past the limit of 12.
            assert_eq!(column, 12 * "{% if true %}".len() + 1);
        }
        Err(TemplateError::Limit { message, .. }) => assert!(message.contains("nest"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn deeply_nested_brackets_are_refused() {
    let src = format!("{{{{ {}1{} }}}}", "(".repeat(5_000), ")".repeat(5_000));
    let err = render_quickly(&src, json!({})).unwrap_err();
    assert!(
        matches!(&err, TemplateError::Syntax { message, .. } | TemplateError::Limit { message, .. } if message.contains("nest")),
        "{err:?}"
    );
}

#[test]
fn a_macro_definition_is_refused() {
    let src =
        "{% macro hello(name) %}Hello {{ name }}{% endmacro hello %}{{ self::hello(name=\"x\") }}";
    let message = limit_message(render_quickly(src, json!({})));
    assert!(message.contains("macro"), "{message}");
}

#[test]
fn importing_macros_is_refused() {
    let src = "{% import \"other.md\" as m %}x";
    let err = render_quickly(src, json!({})).unwrap_err();
    assert!(
        err.to_string().contains("macro") || err.to_string().contains("other.md"),
        "{err}"
    );
}

#[test]
fn an_include_cycle_is_refused_when_it_closes() {
    let started = Instant::now();
    let mut engine = Engine::new();
    engine.add("a", "A{% include \"b.md\" %}").unwrap();
    let err = engine.add("b", "B{% include \"a.md\" %}").unwrap_err();
    match &err {
        TemplateError::Limit { template, message } => {
            assert_eq!(template, "b.md");
            assert!(
                message.contains("cycle") && message.contains("a.md") && message.contains("b.md"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    // `b` was not kept, so `a` fails cleanly rather than looping.
    let err = engine.render("a", &json!({})).unwrap_err();
    assert!(err.to_string().contains("b.md"), "{err}");
    assert!(started.elapsed() < FIVE_SECONDS);
}

#[test]
fn a_template_including_itself_is_refused() {
    let err = Engine::new()
        .add("a", "A{% include \"a.md\" %}")
        .unwrap_err();
    assert!(
        matches!(&err, TemplateError::Limit { message, .. } if message.contains("cycle")),
        "{err:?}"
    );
}

#[test]
fn a_longer_include_cycle_is_refused() {
    let mut engine = Engine::new();
    engine.add("a", "{% include \"b.md\" %}").unwrap();
    engine.add("b", "{% include \"c.md\" %}").unwrap();
    let err = engine.add("c", "{% include \"a.md\" %}").unwrap_err();
    assert!(
        matches!(&err, TemplateError::Limit { message, .. } if message.contains("cycle")),
        "{err:?}"
    );
}

#[test]
fn an_include_without_a_cycle_works() {
    let mut engine = Engine::new();
    engine.add("footer", "Regards, {{ rep }}").unwrap();
    engine
        .add("t", "Hello.\n\n{% include \"footer.md\" %}\n")
        .unwrap();
    let rendered = engine.render("t", &json!({"rep": "*Riley*"})).unwrap();
    let doc = markdown::read(&rendered.markdown, rendered.metadata).document;
    assert_eq!(text_of(&doc.blocks), "Hello.\nRegards, *Riley*\n");
}

#[test]
fn runaway_output_is_stopped() {
    let long = "All work and no play makes Jack a dull boy. ".repeat(25);
    let src = format!("{{% for i in range(end=10000) %}}{long}{{% endfor %}}");
    let message = limit_message(render_quickly(&src, json!({})));
    assert!(
        message.contains("output") || message.contains("ms"),
        "{message}"
    );
}

#[test]
fn runaway_output_from_a_long_value_is_stopped() {
    let data = json!({"v": "x".repeat(100_000), "items": (0..100).collect::<Vec<i32>>()});
    let src = "{% for a in items %}{% for b in items %}{{ v }}{% endfor %}{% endfor %}";
    let message = limit_message(render_quickly(src, data));
    assert!(
        message.contains("output") || message.contains("ms"),
        "{message}"
    );
}

#[test]
fn get_env_is_not_available() {
    let err = render_quickly("{{ get_env(name=\"PATH\") }}", json!({})).unwrap_err();
    match &err {
        TemplateError::Runtime { template, message }
        | TemplateError::Limit { template, message } => {
            assert_eq!(template, "t.md");
            assert!(
                message.contains("get_env") && message.contains("not available"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !format!("{err:?}").contains("/usr/bin"),
        "no part of PATH leaks"
    );
}

#[test]
fn a_template_larger_than_the_limit_is_refused() {
    let src = "x".repeat(dealdraft::templates::engine::MAX_SOURCE_BYTES + 1);
    let err = Engine::new().add("t", &src).unwrap_err();
    assert!(
        matches!(&err, TemplateError::Limit { message, .. } if message.contains("larger")),
        "{err:?}"
    );
}

#[test]
fn loops_over_large_data_without_output_are_stopped_by_the_loop_budget() {
    // 1000³ iterations that write nothing: the loop budget (or the clock)
    // stops them.
    let data = json!({"items": (0..1000).collect::<Vec<i32>>()});
    let src = "{% for a in items %}{% for b in items %}{% for c in items %}{% endfor %}{% endfor %}{% endfor %}done";
    let message = limit_message(render_quickly(src, data));
    assert!(
        message.contains("ms") || message.contains("steps"),
        "{message}"
    );
}

#[test]
fn building_a_huge_string_without_output_is_stopped() {
    // Quadratic copying into a ~10 MB string, printing only its length.
    let chunk = "y".repeat(1_000);
    let src = format!(
        "{{% set_global s = \"\" %}}{{% for i in range(end=10000) %}}{{% set_global s = s ~ \"{chunk}\" %}}{{% endfor %}}{{{{ s | length }}}}"
    );
    let result = render_quickly(&src, json!({}));
    let message = limit_message(result);
    assert!(
        message.contains("ms") || message.contains("output"),
        "{message}"
    );
}

#[test]
fn the_budget_is_per_render() {
    let mut engine = Engine::new();
    engine
        .add("t", "{% for i in range(end=6000) %}{% endfor %}ok")
        .unwrap();
    for _ in 0..3 {
        assert_eq!(engine.render("t", &json!({})).unwrap().markdown, "ok");
    }
}

#[test]
fn a_value_that_doubles_itself_in_a_loop_is_refused_before_it_runs() {
    for src in [
        "{% set_global s = \"x\" %}{% for i in range(end=40) %}{% set_global s = s ~ s %}{% endfor %}",
        "{% set_global a = [1] %}{% for i in range(end=40) %}{% set_global a = a | concat(with=a) %}{% endfor %}",
        "{% set_global a = \"x\" %}{% set_global b = \"y\" %}{% for i in range(end=40) %}{% set_global a = b ~ b %}{% set_global b = a ~ a %}{% endfor %}",
    ] {
        let err = Engine::new().add("t", src).unwrap_err();
        assert!(
            matches!(&err, TemplateError::Limit { message, .. } if message.contains("grow without bound")),
            "{src}: {err:?}"
        );
    }
    // Growing by a constant, or using a loop variable twice, is fine.
    let ok = "{% set_global s = \"\" %}{% for item in items %}{% set_global s = s ~ item.name ~ item.name %}{% set line = item.price * item.price %}{% endfor %}{{ s }}";
    let mut engine = Engine::new();
    engine.add("t", ok).unwrap();
    let out = engine
        .render(
            "t",
            &json!({"items": [{"name": "a", "price": 2}, {"name": "b", "price": 3}]}),
        )
        .unwrap();
    assert_eq!(out.markdown, "aabb");
}

#[test]
fn the_loop_budget_keeps_whitespace_control_as_written() {
    let mut engine = Engine::new();
    engine
        .add("t", "<{%- for x in xs -%}\n  {{ x }}\n{%- endfor -%}>\n{% for x in xs %}\n[{{ x }}]{% endfor %}")
        .unwrap();
    let out = engine.render("t", &json!({"xs": [1, 2]})).unwrap();
    assert_eq!(out.markdown, "<12>\n\n[1]\n[2]");
}
