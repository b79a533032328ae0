//! The Markdown reader, one construct at a time, checked on the document
//! model it builds (never on a renderer's output).

use dealdraft::document::markdown::{self, MAX_DEPTH, Read};
use dealdraft::document::{
    Align, Block, CalloutKind, Image, Inline, Length, List, ListItem, Metadata, RowStyle,
    Signatory, Table, plain_text,
};

fn read(markdown: &str) -> Read {
    markdown::read(markdown, Metadata::default())
}

/// Reads `markdown`, which must produce no warnings, and returns its blocks.
fn blocks(markdown: &str) -> Vec<Block> {
    let read = read(markdown);
    assert_eq!(
        read.warnings,
        Vec::<String>::new(),
        "unexpected warnings for {markdown:?}"
    );
    read.document.blocks
}

fn text(s: &str) -> Inline {
    Inline::text(s)
}

fn para(content: Vec<Inline>) -> Block {
    Block::Paragraph { content }
}

fn para_text(s: &str) -> Block {
    para(vec![text(s)])
}

/// The only table among `blocks`.
fn the_table(blocks: &[Block]) -> &Table {
    let tables: Vec<&Table> = blocks
        .iter()
        .filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(tables.len(), 1, "expected one table in {blocks:#?}");
    tables[0]
}

fn cell_texts(cells: &[Vec<Inline>]) -> Vec<String> {
    cells.iter().map(|c| plain_text(c)).collect()
}

/// All text of `blocks`, blocks separated by newlines.
fn all_text(blocks: &[Block]) -> String {
    let mut out = String::new();
    push_text(&mut out, blocks);
    out
}

fn push_text(out: &mut String, blocks: &[Block]) {
    for block in blocks {
        match block {
            Block::Heading { content, .. } | Block::Paragraph { content } => {
                out.push_str(&plain_text(content))
            }
            Block::List(list) => {
                for item in &list.items {
                    push_text(out, &item.blocks);
                }
            }
            Block::Table(table) => {
                for row in table.header.iter().chain(&table.rows) {
                    for cell in &row.cells {
                        out.push_str(&plain_text(cell));
                        out.push('\t');
                    }
                }
            }
            Block::Quote { blocks }
            | Block::KeepTogether { blocks }
            | Block::Callout { blocks, .. } => push_text(out, blocks),
            Block::Code { text, .. } => out.push_str(text),
            Block::Image(image) => out.push_str(&image.alt),
            Block::Signature { parties } => {
                for p in parties {
                    out.push_str(&p.party);
                    out.push('\n');
                }
            }
            Block::Rule | Block::PageBreak => {}
        }
        out.push('\n');
    }
}

/// How deeply containers nest in `blocks` (a flat list of paragraphs is 1).
fn depth(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| match b {
            Block::Quote { blocks }
            | Block::KeepTogether { blocks }
            | Block::Callout { blocks, .. } => 1 + depth(blocks),
            Block::List(list) => {
                1 + list
                    .items
                    .iter()
                    .map(|i| depth(&i.blocks))
                    .max()
                    .unwrap_or(0)
            }
            _ => 1,
        })
        .max()
        .unwrap_or(0)
}

// ---------------------------------------------------------------- headings

#[test]
fn atx_headings_keep_their_level_from_one_to_six() {
    let got = blocks("# One\n## Two\n### Three\n#### Four\n##### Five\n###### Six\n");
    let expected: Vec<Block> = ["One", "Two", "Three", "Four", "Five", "Six"]
        .iter()
        .enumerate()
        .map(|(i, t)| Block::Heading {
            level: i as u8 + 1,
            content: vec![text(t)],
        })
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn setext_headings_are_levels_one_and_two() {
    let got = blocks("Title\n=====\n\nSection\n-------\n");
    assert_eq!(
        got,
        vec![
            Block::Heading {
                level: 1,
                content: vec![text("Title")]
            },
            Block::Heading {
                level: 2,
                content: vec![text("Section")]
            },
        ]
    );
}

#[test]
fn seven_hashes_are_not_a_heading_but_a_paragraph() {
    assert_eq!(blocks("####### Seven\n"), vec![para_text("####### Seven")]);
}

// ---------------------------------------------------------------- paragraphs

#[test]
fn paragraphs_hold_bold_italic_strikethrough_code_and_links() {
    let got =
        blocks("Plain **bold** *italic* ~~gone~~ `x = 1` [site](https://example.com/a?b=c).\n");
    assert_eq!(
        got,
        vec![para(vec![
            text("Plain "),
            Inline::Strong {
                content: vec![text("bold")]
            },
            text(" "),
            Inline::Emphasis {
                content: vec![text("italic")]
            },
            text(" "),
            Inline::Strikethrough {
                content: vec![text("gone")]
            },
            text(" "),
            Inline::Code {
                text: "x = 1".into()
            },
            text(" "),
            Inline::Link {
                url: "https://example.com/a?b=c".into(),
                content: vec![text("site")],
            },
            text("."),
        ])]
    );
}

#[test]
fn emphasis_nests_inside_strong_and_links() {
    let got = blocks("**bold _both_** [**strong link**](http://example.com)\n");
    assert_eq!(
        got,
        vec![para(vec![
            Inline::Strong {
                content: vec![
                    text("bold "),
                    Inline::Emphasis {
                        content: vec![text("both")]
                    }
                ],
            },
            text(" "),
            Inline::Link {
                url: "http://example.com".into(),
                content: vec![Inline::Strong {
                    content: vec![text("strong link")]
                }],
            },
        ])]
    );
}

#[test]
fn two_paragraphs_are_separated_by_a_blank_line() {
    assert_eq!(
        blocks("First.\n\nSecond.\n"),
        vec![para_text("First."), para_text("Second.")]
    );
}

#[test]
fn a_soft_line_break_becomes_a_space() {
    assert_eq!(
        blocks("one\ntwo\nthree\n"),
        vec![para_text("one two three")]
    );
}

#[test]
fn hard_line_breaks_by_backslash_or_two_spaces_are_line_breaks() {
    let got = blocks("one\\\ntwo  \nthree\n");
    assert_eq!(
        got,
        vec![para(vec![
            text("one"),
            Inline::LineBreak,
            text("two"),
            Inline::LineBreak,
            text("three")
        ])]
    );
}

#[test]
fn backslash_escapes_and_entities_read_as_the_characters() {
    let got = blocks("\\*not bold\\* \\[x\\] &amp; &lt;b&gt;\n");
    assert_eq!(got, vec![para_text("*not bold* [x] & <b>")]);
}

#[test]
fn mailto_and_tel_links_are_kept() {
    let got = blocks("[mail](mailto:a@example.com) [call](tel:+491234)\n");
    assert_eq!(
        got,
        vec![para(vec![
            Inline::Link {
                url: "mailto:a@example.com".into(),
                content: vec![text("mail")]
            },
            text(" "),
            Inline::Link {
                url: "tel:+491234".into(),
                content: vec![text("call")]
            },
        ])]
    );
}

#[test]
fn autolinks_to_web_addresses_are_links() {
    let got = blocks("See <https://example.com>.\n");
    assert_eq!(
        got,
        vec![para(vec![
            text("See "),
            Inline::Link {
                url: "https://example.com".into(),
                content: vec![text("https://example.com")]
            },
            text("."),
        ])]
    );
}

// ---------------------------------------------------------------- links

#[test]
fn a_javascript_link_keeps_its_text_but_loses_its_target() {
    for target in [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
    ] {
        let md = format!("Click [here]({target}) now.\n");
        let got = blocks(&md);
        assert_eq!(got, vec![para_text("Click here now.")], "{md}");
    }
}

#[test]
fn data_file_and_relative_link_targets_lose_their_link() {
    for target in [
        "data:text/html;base64,PHNjcmlwdD4=",
        "file:///etc/passwd",
        "/etc/passwd",
        "relative/page.html",
        "vbscript:msgbox",
        "ftp://example.com/x",
    ] {
        let md = format!("[text]({target})\n");
        assert_eq!(blocks(&md), vec![para_text("text")], "{md}");
    }
}

#[test]
fn a_link_keeps_its_formatted_text_when_it_loses_its_target() {
    let got = blocks("[**bold** text](javascript:void)\n");
    assert_eq!(
        got,
        vec![para(vec![
            Inline::Strong {
                content: vec![text("bold")]
            },
            text(" text")
        ])]
    );
}

// ---------------------------------------------------------------- lists

#[test]
fn a_bullet_list_has_no_start_and_one_paragraph_per_item() {
    let got = blocks("- apple\n- pear\n* other list\n");
    assert_eq!(
        got,
        vec![
            Block::List(List {
                start: None,
                items: vec![
                    ListItem {
                        checked: None,
                        blocks: vec![para_text("apple")]
                    },
                    ListItem {
                        checked: None,
                        blocks: vec![para_text("pear")]
                    },
                ],
            }),
            Block::List(List {
                start: None,
                items: vec![ListItem {
                    checked: None,
                    blocks: vec![para_text("other list")]
                }],
            }),
        ]
    );
}

#[test]
fn a_numbered_list_keeps_its_start_number() {
    let got = blocks("7. seven\n8. eight\n");
    assert_eq!(
        got,
        vec![Block::List(List {
            start: Some(7),
            items: vec![
                ListItem {
                    checked: None,
                    blocks: vec![para_text("seven")]
                },
                ListItem {
                    checked: None,
                    blocks: vec![para_text("eight")]
                },
            ],
        })]
    );
    let got = blocks("1) one\n");
    assert!(
        matches!(&got[..], [Block::List(List { start: Some(1), .. })]),
        "{got:#?}"
    );
}

#[test]
fn nested_lists_are_lists_inside_items() {
    let got = blocks("1. outer\n   - inner a\n   - inner b\n     1. deepest\n2. second\n");
    let expected = vec![Block::List(List {
        start: Some(1),
        items: vec![
            ListItem {
                checked: None,
                blocks: vec![
                    para_text("outer"),
                    Block::List(List {
                        start: None,
                        items: vec![
                            ListItem {
                                checked: None,
                                blocks: vec![para_text("inner a")],
                            },
                            ListItem {
                                checked: None,
                                blocks: vec![
                                    para_text("inner b"),
                                    Block::List(List {
                                        start: Some(1),
                                        items: vec![ListItem {
                                            checked: None,
                                            blocks: vec![para_text("deepest")],
                                        }],
                                    }),
                                ],
                            },
                        ],
                    }),
                ],
            },
            ListItem {
                checked: None,
                blocks: vec![para_text("second")],
            },
        ],
    })];
    assert_eq!(got, expected);
}

#[test]
fn a_tight_list_item_with_formatting_is_one_paragraph() {
    let got = blocks("- plain **bold** end\n- a [link](https://example.com) b\n");
    let Block::List(list) = &got[0] else {
        panic!("{got:#?}")
    };
    assert_eq!(
        list.items[0].blocks,
        vec![para(vec![
            text("plain "),
            Inline::Strong {
                content: vec![text("bold")]
            },
            text(" end")
        ])]
    );
    assert_eq!(
        list.items[1].blocks,
        vec![para(vec![
            text("a "),
            Inline::Link {
                url: "https://example.com".into(),
                content: vec![text("link")]
            },
            text(" b"),
        ])]
    );
}

#[test]
fn a_loose_list_item_keeps_its_paragraphs() {
    let got = blocks("- first para\n\n  second para\n- next\n");
    let Block::List(list) = &got[0] else {
        panic!("{got:#?}")
    };
    assert_eq!(
        list.items[0].blocks,
        vec![para_text("first para"), para_text("second para")]
    );
    assert_eq!(list.items[1].blocks, vec![para_text("next")]);
}

#[test]
fn task_list_items_say_whether_they_are_ticked() {
    let got = blocks("- [x] done\n- [ ] to do\n- [X] also done\n- plain\n");
    let Block::List(list) = &got[0] else {
        panic!("{got:#?}")
    };
    let checked: Vec<Option<bool>> = list.items.iter().map(|i| i.checked).collect();
    assert_eq!(checked, vec![Some(true), Some(false), Some(true), None]);
    let texts: Vec<String> = list.items.iter().map(|i| all_text(&i.blocks)).collect();
    assert_eq!(texts, vec!["done\n", "to do\n", "also done\n", "plain\n"]);
}

#[test]
fn a_ticked_item_of_a_nested_list_marks_the_inner_item_only() {
    let got = blocks("- outer\n  - [x] inner\n");
    let Block::List(outer) = &got[0] else {
        panic!("{got:#?}")
    };
    assert_eq!(outer.items[0].checked, None);
    let Block::List(inner) = &outer.items[0].blocks[1] else {
        panic!("{got:#?}")
    };
    assert_eq!(inner.items[0].checked, Some(true));
}

// ---------------------------------------------------------------- tables

const TABLE: &str = "| Item | Qty | Price |\n|:-----|:---:|------:|\n| Server | 2 | 1,000.00 |\n| Switch | 1 | 99.99 |\n";

#[test]
fn a_table_has_a_header_rows_and_each_columns_alignment() {
    let got = blocks(TABLE);
    let table = the_table(&got);
    let aligns: Vec<Align> = table.columns.iter().map(|c| c.align).collect();
    assert_eq!(aligns, vec![Align::Left, Align::Center, Align::Right]);
    assert!(table.columns.iter().all(|c| c.width_percent.is_none()));
    let header = table.header.as_ref().expect("a header");
    assert_eq!(header.style, RowStyle::Normal);
    assert_eq!(cell_texts(&header.cells), vec!["Item", "Qty", "Price"]);
    assert_eq!(table.rows.len(), 2);
    assert_eq!(
        cell_texts(&table.rows[0].cells),
        vec!["Server", "2", "1,000.00"]
    );
    assert_eq!(
        cell_texts(&table.rows[1].cells),
        vec!["Switch", "1", "99.99"]
    );
    assert!(table.rows.iter().all(|r| r.style == RowStyle::Normal));
    assert!(table.repeat_header, "the header repeats by default");
}

#[test]
fn unaligned_columns_are_left_aligned() {
    let got = blocks("| a | b |\n|---|---|\n| 1 | 2 |\n");
    let aligns: Vec<Align> = the_table(&got).columns.iter().map(|c| c.align).collect();
    assert_eq!(aligns, vec![Align::Left, Align::Left]);
}

#[test]
fn short_rows_are_padded_to_the_number_of_columns() {
    let got = blocks("| a | b | c |\n|---|---|---|\n| 1 |\n");
    let table = the_table(&got);
    assert_eq!(table.columns.len(), 3);
    assert_eq!(cell_texts(&table.rows[0].cells), vec!["1", "", ""]);
}

#[test]
fn table_cells_keep_inline_formatting_and_escaped_pipes() {
    let got = blocks("| a | b |\n|---|---|\n| **bold** | x \\| y |\n");
    let table = the_table(&got);
    assert_eq!(
        table.rows[0].cells[0],
        vec![Inline::Strong {
            content: vec![text("bold")]
        }]
    );
    assert_eq!(plain_text(&table.rows[0].cells[1]), "x | y");
}

#[test]
fn a_widths_directive_sets_each_columns_share() {
    let got = blocks(&format!("<!-- table widths=50,30,20 -->\n{TABLE}"));
    let widths: Vec<Option<f32>> = the_table(&got)
        .columns
        .iter()
        .map(|c| c.width_percent)
        .collect();
    assert_eq!(widths, vec![Some(50.0), Some(30.0), Some(20.0)]);
    assert!(the_table(&got).repeat_header);
}

#[test]
fn widths_may_carry_percent_signs_and_decimals() {
    let got = blocks(&format!("<!-- table widths=50%,25.5%,24.5% -->\n\n{TABLE}"));
    let widths: Vec<Option<f32>> = the_table(&got)
        .columns
        .iter()
        .map(|c| c.width_percent)
        .collect();
    assert_eq!(widths, vec![Some(50.0), Some(25.5), Some(24.5)]);
}

#[test]
fn widths_for_the_wrong_number_of_columns_are_ignored_with_a_warning() {
    let r = read(&format!("<!-- table widths=50,50 -->\n{TABLE}"));
    let table = the_table(&r.document.blocks);
    assert!(
        table.columns.iter().all(|c| c.width_percent.is_none()),
        "{table:#?}"
    );
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].contains("2 columns") && r.warnings[0].contains('3'),
        "{:?}",
        r.warnings
    );
}

#[test]
fn widths_that_are_not_numbers_or_add_up_past_100_are_ignored_with_a_warning() {
    for directive in [
        "widths=a,b,c",
        "widths=60,30,20",
        "widths=50,-10,60",
        "widths=0,50,50",
    ] {
        let r = read(&format!("<!-- table {directive} -->\n{TABLE}"));
        let table = the_table(&r.document.blocks);
        assert!(
            table.columns.iter().all(|c| c.width_percent.is_none()),
            "{directive}: {table:#?}"
        );
        assert_eq!(r.warnings.len(), 1, "{directive}: {:?}", r.warnings);
    }
}

#[test]
fn an_unknown_table_option_is_a_warning() {
    let r = read(&format!("<!-- table zebra -->\n{TABLE}"));
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("zebra"), "{:?}", r.warnings);
}

#[test]
fn no_repeat_header_turns_the_repeated_header_off() {
    let got = blocks(&format!("<!-- table no-repeat-header -->\n{TABLE}"));
    assert!(!the_table(&got).repeat_header);
    let got = blocks(&format!(
        "<!-- table widths=50,30,20 no-repeat-header -->\n{TABLE}"
    ));
    let table = the_table(&got);
    assert!(!table.repeat_header);
    assert_eq!(table.columns[0].width_percent, Some(50.0));
}

#[test]
fn table_options_apply_to_the_next_table_only() {
    let got = blocks(&format!(
        "<!-- table no-repeat-header -->\n{TABLE}\n{TABLE}"
    ));
    let tables: Vec<&Table> = got
        .iter()
        .filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(tables.len(), 2);
    assert!(!tables[0].repeat_header);
    assert!(tables[1].repeat_header);
}

#[test]
fn table_options_followed_by_something_else_do_not_reach_a_later_table() {
    let got = blocks(&format!(
        "<!-- table no-repeat-header -->\n\nA paragraph first.\n\n{TABLE}"
    ));
    assert!(the_table(&got).repeat_header);
}

#[test]
fn group_and_subtotal_comments_style_their_rows_and_vanish() {
    let md = "| Item | Price |\n|---|--:|\n| <!-- group --> Hardware | |\n| Server | 10 |\n| <!-- subtotal --> Subtotal | 10 |\n| Total | 10 |\n";
    let got = blocks(md);
    let table = the_table(&got);
    let styles: Vec<RowStyle> = table.rows.iter().map(|r| r.style).collect();
    assert_eq!(
        styles,
        vec![
            RowStyle::Group,
            RowStyle::Normal,
            RowStyle::Subtotal,
            RowStyle::Normal
        ]
    );
    assert_eq!(cell_texts(&table.rows[0].cells), vec!["Hardware", ""]);
    assert_eq!(cell_texts(&table.rows[2].cells), vec!["Subtotal", "10"]);
}

#[test]
fn a_group_comment_in_a_later_cell_still_styles_the_row() {
    let got = blocks("| a | b |\n|---|---|\n| x | y <!-- subtotal --> |\n");
    assert_eq!(the_table(&got).rows[0].style, RowStyle::Subtotal);
    assert_eq!(cell_texts(&the_table(&got).rows[0].cells), vec!["x", "y"]);
}

#[test]
fn a_group_comment_in_the_header_row_does_not_style_the_first_body_row() {
    let r = read("| <!-- group --> a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n");
    let table = the_table(&r.document.blocks);
    let styles: Vec<RowStyle> = table.rows.iter().map(|r| r.style).collect();
    assert_eq!(styles, vec![RowStyle::Normal, RowStyle::Normal]);
}

#[test]
fn a_group_comment_outside_a_table_is_a_warning() {
    let r = read("Text <!-- group --> more.\n");
    assert_eq!(r.document.blocks, vec![para_text("Text  more.")]);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("group"));
    let r = read("<!-- subtotal -->\n");
    assert!(r.document.blocks.is_empty());
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
}

// ---------------------------------------------------------------- quotes and callouts

#[test]
fn a_block_quote_holds_blocks() {
    let got = blocks("> First.\n>\n> - a list\n");
    assert_eq!(
        got,
        vec![Block::Quote {
            blocks: vec![
                para_text("First."),
                Block::List(List {
                    start: None,
                    items: vec![ListItem {
                        checked: None,
                        blocks: vec![para_text("a list")]
                    }],
                }),
            ],
        }]
    );
}

#[test]
fn nested_block_quotes_are_quotes_in_quotes() {
    let got = blocks("> outer\n>\n> > inner\n");
    assert_eq!(
        got,
        vec![Block::Quote {
            blocks: vec![
                para_text("outer"),
                Block::Quote {
                    blocks: vec![para_text("inner")]
                }
            ],
        }]
    );
}

#[test]
fn gfm_alerts_become_callouts_of_each_kind() {
    for (marker, kind) in [
        ("NOTE", CalloutKind::Note),
        ("TIP", CalloutKind::Tip),
        ("IMPORTANT", CalloutKind::Important),
        ("WARNING", CalloutKind::Warning),
        ("CAUTION", CalloutKind::Caution),
    ] {
        let md = format!("> [!{marker}]\n> Prices exclude **VAT**.\n");
        let got = blocks(&md);
        assert_eq!(
            got,
            vec![Block::Callout {
                kind,
                blocks: vec![para(vec![
                    text("Prices exclude "),
                    Inline::Strong {
                        content: vec![text("VAT")]
                    },
                    text("."),
                ])],
            }],
            "{md}"
        );
    }
}

#[test]
fn an_unknown_alert_kind_stays_a_plain_quote() {
    let got = blocks("> [!DANGER]\n> Careful.\n");
    assert!(matches!(&got[..], [Block::Quote { .. }]), "{got:#?}");
    assert!(all_text(&got).contains("Careful."));
}

// ---------------------------------------------------------------- code

#[test]
fn a_fenced_code_block_keeps_its_language_and_text_verbatim() {
    let got = blocks("```rust\nfn main() {\n    println!(\"<b>*hi*</b>\");\n}\n```\n");
    assert_eq!(
        got,
        vec![Block::Code {
            language: Some("rust".into()),
            text: "fn main() {\n    println!(\"<b>*hi*</b>\");\n}".into(),
        }]
    );
}

#[test]
fn only_the_first_word_of_the_info_string_is_the_language() {
    let got = blocks("~~~python title=x.py\nprint(1)\n~~~\n");
    assert_eq!(
        got,
        vec![Block::Code {
            language: Some("python".into()),
            text: "print(1)".into()
        }]
    );
}

#[test]
fn a_fence_without_a_language_has_none() {
    let got = blocks("```\nplain\n```\n");
    assert_eq!(
        got,
        vec![Block::Code {
            language: None,
            text: "plain".into()
        }]
    );
}

#[test]
fn an_indented_code_block_has_no_language_and_keeps_its_lines() {
    let got = blocks("Intro.\n\n    let x = 1;\n      indented <b>\n");
    assert_eq!(
        got,
        vec![
            para_text("Intro."),
            Block::Code {
                language: None,
                text: "let x = 1;\n  indented <b>".into()
            },
        ]
    );
}

// ---------------------------------------------------------------- images

#[test]
fn an_image_on_its_own_becomes_an_image_block_with_a_width_in_mm() {
    let got = blocks("![Company logo](logo.png \"width=40mm\")\n");
    assert_eq!(
        got,
        vec![Block::Image(Image {
            source: "logo.png".into(),
            alt: "Company logo".into(),
            width: Some(Length::Mm(40.0)),
        })]
    );
}

#[test]
fn an_image_width_may_be_a_percentage() {
    let got = blocks("![Chart](chart.png \"width=50%\")\n");
    assert_eq!(
        got,
        vec![Block::Image(Image {
            source: "chart.png".into(),
            alt: "Chart".into(),
            width: Some(Length::Percent(50.0)),
        })]
    );
}

#[test]
fn an_image_without_a_title_has_its_own_size() {
    let got = blocks("![](plain.png)\n");
    assert_eq!(
        got,
        vec![Block::Image(Image {
            source: "plain.png".into(),
            alt: String::new(),
            width: None
        })]
    );
}

#[test]
fn a_bad_image_width_is_a_warning_and_the_image_keeps_its_size() {
    for bad in ["40px", "wide", "0mm", "150%", "-5mm", "2000mm"] {
        let r = read(&format!("![Logo](logo.png \"width={bad}\")\n"));
        assert_eq!(
            r.document.blocks,
            vec![Block::Image(Image {
                source: "logo.png".into(),
                alt: "Logo".into(),
                width: None
            })],
            "{bad}"
        );
        assert_eq!(r.warnings.len(), 1, "{bad}: {:?}", r.warnings);
        assert!(r.warnings[0].contains(bad), "{bad}: {:?}", r.warnings);
    }
}

#[test]
fn an_image_inside_a_paragraph_is_placed_after_it() {
    let got = blocks("Before ![Logo](logo.png \"width=20mm\") after.\n\nNext.\n");
    assert_eq!(got.len(), 3, "{got:#?}");
    let Block::Paragraph { content } = &got[0] else {
        panic!("{got:#?}")
    };
    let t = plain_text(content);
    assert!(t.starts_with("Before") && t.ends_with("after."), "{t:?}");
    assert!(
        !t.contains("Logo"),
        "the alt text is not in the paragraph: {t:?}"
    );
    assert_eq!(
        got[1],
        Block::Image(Image {
            source: "logo.png".into(),
            alt: "Logo".into(),
            width: Some(Length::Mm(20.0))
        })
    );
    assert_eq!(got[2], para_text("Next."));
}

#[test]
fn an_image_inside_emphasis_or_a_link_is_still_placed_after_its_paragraph() {
    let got = blocks("*see ![A](a.png)* and [![B](b.png)](https://example.com) end\n");
    let images: Vec<&str> = got
        .iter()
        .filter_map(|b| match b {
            Block::Image(i) => Some(i.source.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(images, vec!["a.png", "b.png"], "{got:#?}");
    assert!(matches!(got[0], Block::Paragraph { .. }), "{got:#?}");
}

#[test]
fn an_image_in_a_heading_is_placed_after_the_heading() {
    let got = blocks("# Title ![Logo](logo.png)\n");
    assert_eq!(
        got[0],
        Block::Heading {
            level: 1,
            content: vec![text("Title")]
        }
    );
    assert!(
        matches!(&got[1], Block::Image(i) if i.source == "logo.png"),
        "{got:#?}"
    );
}

#[test]
fn an_image_in_a_table_cell_leaves_only_its_alt_text() {
    let got = blocks("| a | b |\n|---|---|\n| ![Logo](logo.png) | x |\n");
    assert_eq!(got.len(), 1, "no image block: {got:#?}");
    assert_eq!(
        cell_texts(&the_table(&got).rows[0].cells),
        vec!["Logo", "x"]
    );
}

#[test]
fn image_alt_text_is_plain_text_of_its_description() {
    let got = blocks("![The **big** logo](logo.png)\n");
    assert!(
        matches!(&got[..], [Block::Image(i)] if i.alt == "The big logo"),
        "{got:#?}"
    );
}

// ---------------------------------------------------------------- rules and directives

#[test]
fn horizontal_rules_in_each_spelling_are_rules() {
    let got = blocks("a\n\n---\n\n***\n\n___\n\nb\n");
    assert_eq!(
        got,
        vec![
            para_text("a"),
            Block::Rule,
            Block::Rule,
            Block::Rule,
            para_text("b")
        ]
    );
}

#[test]
fn a_pagebreak_comment_is_a_page_break() {
    let got = blocks("Page one.\n\n<!-- pagebreak -->\n\nPage two.\n");
    assert_eq!(
        got,
        vec![
            para_text("Page one."),
            Block::PageBreak,
            para_text("Page two.")
        ]
    );
}

#[test]
fn a_pagebreak_comment_right_after_a_paragraph_line_still_breaks() {
    let got = blocks("Page one.\n<!-- pagebreak -->\nPage two.\n");
    assert_eq!(
        got,
        vec![
            para_text("Page one."),
            Block::PageBreak,
            para_text("Page two.")
        ]
    );
}

#[test]
fn keep_comments_wrap_the_blocks_between_them() {
    let got = blocks(
        "Before.\n\n<!-- keep -->\n## Terms\n\nPay in 30 days.\n\n- one\n<!-- /keep -->\n\nAfter.\n",
    );
    assert_eq!(
        got,
        vec![
            para_text("Before."),
            Block::KeepTogether {
                blocks: vec![
                    Block::Heading {
                        level: 2,
                        content: vec![text("Terms")]
                    },
                    para_text("Pay in 30 days."),
                    Block::List(List {
                        start: None,
                        items: vec![ListItem {
                            checked: None,
                            blocks: vec![para_text("one")]
                        }],
                    }),
                ],
            },
            para_text("After."),
        ]
    );
}

#[test]
fn keep_blocks_may_nest() {
    let got = blocks("<!-- keep -->\na\n<!-- keep -->\nb\n<!-- /keep -->\n<!-- /keep -->\n");
    assert_eq!(
        got,
        vec![Block::KeepTogether {
            blocks: vec![
                para_text("a"),
                Block::KeepTogether {
                    blocks: vec![para_text("b")]
                }
            ],
        }]
    );
}

#[test]
fn an_unclosed_keep_is_closed_at_the_end_of_its_quote_with_a_warning() {
    let r = read("> <!-- keep -->\n> inside\n\noutside\n");
    assert_eq!(
        r.document.blocks,
        vec![
            Block::Quote {
                blocks: vec![Block::KeepTogether {
                    blocks: vec![para_text("inside")]
                }]
            },
            para_text("outside"),
        ]
    );
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("keep"), "{:?}", r.warnings);
}

#[test]
fn an_unclosed_keep_at_the_top_level_is_closed_at_the_end_with_a_warning() {
    let r = read("Before.\n\n<!-- keep -->\n\nKept.\n\nAlso kept.\n");
    assert_eq!(
        r.document.blocks,
        vec![
            para_text("Before."),
            Block::KeepTogether {
                blocks: vec![para_text("Kept."), para_text("Also kept.")]
            },
        ]
    );
    assert_eq!(
        r.warnings.len(),
        1,
        "an unclosed keep must be reported: {:?}",
        r.warnings
    );
    assert!(r.warnings[0].contains("keep"), "{:?}", r.warnings);
}

#[test]
fn a_stray_closing_keep_is_ignored_with_a_warning() {
    let r = read("One.\n\n<!-- /keep -->\n\nTwo.\n");
    assert_eq!(
        r.document.blocks,
        vec![para_text("One."), para_text("Two.")]
    );
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("/keep"), "{:?}", r.warnings);
}

#[test]
fn a_closing_keep_inside_a_quote_does_not_close_a_keep_outside_it() {
    let r = read("<!-- keep -->\n\n> <!-- /keep -->\n> quoted\n\nstill kept\n<!-- /keep -->\n");
    assert_eq!(
        r.document.blocks,
        vec![Block::KeepTogether {
            blocks: vec![
                Block::Quote {
                    blocks: vec![para_text("quoted")]
                },
                para_text("still kept")
            ],
        }]
    );
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
}

#[test]
fn a_signature_block_lists_each_party_with_name_and_title() {
    let md = "<!-- signature -->\n- For Acme GmbH\n  Jane Doe\n  CFO\n- For Northwind Ltd\n  Riley Rep\n- Witness\n<!-- /signature -->\n";
    let got = blocks(md);
    assert_eq!(
        got,
        vec![Block::Signature {
            parties: vec![
                Signatory {
                    party: "For Acme GmbH".into(),
                    name: Some("Jane Doe".into()),
                    title: Some("CFO".into()),
                },
                Signatory {
                    party: "For Northwind Ltd".into(),
                    name: Some("Riley Rep".into()),
                    title: None
                },
                Signatory {
                    party: "Witness".into(),
                    name: None,
                    title: None
                },
            ],
        }]
    );
}

#[test]
fn signature_lines_may_also_be_hard_breaks_and_formatting_is_dropped() {
    let md = "<!-- signature -->\n- For **Acme**\\\n  *Jane* Doe\\\n  CFO\n<!-- /signature -->\n";
    let got = blocks(md);
    assert_eq!(
        got,
        vec![Block::Signature {
            parties: vec![Signatory {
                party: "For Acme".into(),
                name: Some("Jane Doe".into()),
                title: Some("CFO".into()),
            }],
        }]
    );
}

#[test]
fn soft_breaks_outside_a_signature_are_still_spaces_after_one() {
    let md = "<!-- signature -->\n- A\n  B\n<!-- /signature -->\n\none\ntwo\n";
    let got = blocks(md);
    assert_eq!(got[1], para_text("one two"));
}

#[test]
fn a_signature_without_a_list_is_a_warning_and_draws_nothing() {
    let r = read("<!-- signature -->\nJust text.\n<!-- /signature -->\n");
    assert!(
        !r.document
            .blocks
            .iter()
            .any(|b| matches!(b, Block::Signature { .. })),
        "{:#?}",
        r.document
    );
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(r.warnings[0].contains("signature"));
}

// ---------------------------------------------------------------- footnotes

#[test]
fn footnotes_are_numbered_by_their_first_reference() {
    let md = "Beta[^b] then alpha[^a] and beta again[^b].\n\n[^a]: Note on alpha.\n[^b]: Note on beta.\n";
    let r = read(md);
    assert_eq!(r.warnings, Vec::<String>::new());
    assert_eq!(
        r.document.blocks,
        vec![para(vec![
            text("Beta"),
            Inline::FootnoteRef { number: 1 },
            text(" then alpha"),
            Inline::FootnoteRef { number: 2 },
            text(" and beta again"),
            Inline::FootnoteRef { number: 1 },
            text("."),
        ])]
    );
    assert_eq!(
        r.document.footnotes,
        vec![
            vec![para_text("Note on beta.")],
            vec![para_text("Note on alpha.")]
        ]
    );
}

#[test]
fn a_footnote_defined_before_its_reference_is_numbered_by_the_reference() {
    let md = "[^z]: Zed.\n\n[^y]: Why.\n\nFirst y[^y], then z[^z].\n";
    let r = read(md);
    assert_eq!(
        r.document.footnotes,
        vec![vec![para_text("Why.")], vec![para_text("Zed.")]]
    );
}

#[test]
fn a_footnote_never_referenced_is_not_listed() {
    let r = read("Text.\n\n[^unused]: Nobody cites me.\n");
    assert!(
        r.document.footnotes.is_empty(),
        "{:#?}",
        r.document.footnotes
    );
    assert_eq!(r.document.blocks, vec![para_text("Text.")]);
}

// ---------------------------------------------------------------- HTML

#[test]
fn inline_html_is_kept_as_literal_text() {
    let got = blocks("Some <b onclick=\"x()\">bold</b> text.\n");
    assert_eq!(
        got,
        vec![para_text("Some <b onclick=\"x()\">bold</b> text.")]
    );
}

#[test]
fn an_html_block_is_shown_as_its_text() {
    let got = blocks("<script>alert(1)</script>\n\n<div class=\"x\">\nhello\n</div>\n");
    assert_eq!(
        got,
        vec![
            para_text("<script>alert(1)</script>"),
            para_text("<div class=\"x\">\nhello\n</div>")
        ]
    );
}

#[test]
fn unknown_html_comments_vanish() {
    let got = blocks(
        "One.\n\n<!-- a private remark -->\n\nTwo <!-- inline remark --> three.\n\n<!--\nmulti\nline\n-->\n",
    );
    let t = all_text(&got);
    assert!(!t.contains("remark") && !t.contains("multi"), "{got:#?}");
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0], para_text("One."));
    let Block::Paragraph { content } = &got[1] else {
        panic!("{got:#?}")
    };
    let t = plain_text(content);
    assert!(t.starts_with("Two") && t.ends_with("three."), "{t:?}");
}

#[test]
fn a_comment_and_html_in_one_block_keep_the_html_as_text() {
    let got = blocks("<!-- pagebreak --><span>after</span>\n");
    assert_eq!(got, vec![Block::PageBreak, para_text("<span>after</span>")]);
}

// ---------------------------------------------------------------- metadata

#[test]
fn the_metadata_given_is_the_documents() {
    let metadata = Metadata {
        title: Some("Offer".into()),
        author: Some("Riley".into()),
        subject: None,
        date: Some("2026-11-23".into()),
        language: Some("de".into()),
        draft: true,
    };
    let r = markdown::read("Hi.\n", metadata.clone());
    assert_eq!(r.document.metadata, metadata);
}

#[test]
fn empty_input_is_an_empty_document() {
    let r = read("");
    assert!(
        r.document.blocks.is_empty() && r.document.footnotes.is_empty() && r.warnings.is_empty()
    );
    let r = read("\n\n   \n");
    assert!(r.document.blocks.is_empty(), "{:#?}", r.document);
}

#[test]
fn the_document_round_trips_through_json() {
    let md = format!(
        "# T\n\n{TABLE}\n> [!TIP]\n> x[^1]\n\n![a](a.png \"width=5mm\")\n\n<!-- signature -->\n- P\n  N\n<!-- /signature -->\n\n[^1]: n\n"
    );
    let doc = read(&md).document;
    let json = serde_json::to_string(&doc).unwrap();
    let back: dealdraft::document::Document = serde_json::from_str(&json).unwrap();
    assert_eq!(back, doc);
}

// ---------------------------------------------------------------- hostile nesting

/// Runs `f` on a thread with a small stack (256 KiB), so unbounded
/// recursion shows up as a crash rather than passing on a big main stack.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("the reader panicked or overflowed")
}

#[test]
fn ten_thousand_nested_quotes_read_without_overflowing_and_are_flattened() {
    let md = format!("{} deep\n", ">".repeat(10_000));
    let started = std::time::Instant::now();
    let r = on_small_stack(move || read(&md));
    assert!(
        started.elapsed().as_secs() < 20,
        "took {:?}",
        started.elapsed()
    );
    assert!(all_text(&r.document.blocks).contains("deep"));
    let d = on_small_stack(move || depth(&r.document.blocks));
    assert!(d <= MAX_DEPTH, "nesting {d} is deeper than {MAX_DEPTH}");
}

#[test]
fn five_thousand_nested_list_levels_read_without_overflowing_and_are_flattened() {
    let mut md = String::new();
    for level in 0..5_000 {
        md.push_str(&"  ".repeat(level));
        md.push_str("- item");
        md.push_str(&level.to_string());
        md.push('\n');
    }
    let started = std::time::Instant::now();
    let r = on_small_stack(move || read(&md));
    assert!(
        started.elapsed().as_secs() < 60,
        "took {:?}",
        started.elapsed()
    );
    let text = all_text(&r.document.blocks);
    assert!(
        text.contains("item0") && text.contains("item4999"),
        "every item's text survives"
    );
    let d = on_small_stack(move || depth(&r.document.blocks));
    assert!(d <= MAX_DEPTH, "nesting {d} is deeper than {MAX_DEPTH}");
}

#[test]
fn forty_nested_list_levels_keep_the_text_of_every_item() {
    let mut md = String::new();
    for level in 0..40 {
        md.push_str(&"  ".repeat(level));
        md.push_str(&format!("- item{level}\n"));
    }
    let r = read(&md);
    let text = all_text(&r.document.blocks);
    let missing: Vec<usize> = (0..40)
        .filter(|l| !text.contains(&format!("item{l}\n")))
        .collect();
    assert!(missing.is_empty(), "items lost past MAX_DEPTH: {missing:?}");
    assert!(depth(&r.document.blocks) <= MAX_DEPTH);
}

#[test]
fn deeply_nested_emphasis_and_links_read_without_overflowing() {
    let md = format!(
        "{}x{}\n\n{}y{}\n",
        "*".repeat(50_000),
        "*".repeat(50_000),
        "[".repeat(20_000),
        "](https://e)".repeat(20_000)
    );
    let r = on_small_stack(move || read(&md));
    assert!(all_text(&r.document.blocks).contains('x'));
}

#[test]
fn quotes_and_lists_interleaved_deeply_are_flattened() {
    let md = format!("{}end\n", "> - ".repeat(3_000));
    let r = on_small_stack(move || read(&md));
    assert!(all_text(&r.document.blocks).contains("end"));
    let d = on_small_stack(move || depth(&r.document.blocks));
    assert!(d <= MAX_DEPTH, "nesting {d} is deeper than {MAX_DEPTH}");
}

#[test]
fn deeply_nested_keep_directives_are_flattened() {
    let md = format!(
        "{}inner\n{}",
        "<!-- keep -->\n".repeat(2_000),
        "<!-- /keep -->\n".repeat(2_000)
    );
    let r = on_small_stack(move || read(&md));
    assert!(all_text(&r.document.blocks).contains("inner"));
    let d = on_small_stack(move || depth(&r.document.blocks));
    assert!(d <= MAX_DEPTH, "nesting {d} is deeper than {MAX_DEPTH}");
}

#[test]
fn an_image_naming_no_asset_is_its_alt_text_with_a_warning() {
    let read = markdown::read("See ![the chart]() here.\n", Metadata::default());
    assert_eq!(
        read.document.blocks,
        vec![Block::Paragraph {
            content: vec![Inline::text("See the chart here.")]
        }]
    );
    assert!(
        read.warnings.iter().any(|w| w.contains("names no asset")),
        "{:?}",
        read.warnings
    );
}
