//! Inputs the renderers' property tests try: arbitrary strings, and
//! Markdown made of the tokens most likely to break a renderer (directives,
//! deep nesting, huge tables, very long words, every script).

#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

pub fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// The largest input the properties try, and the largest file it may give.
pub const MAX_INPUT: usize = 4 * 1024;
pub const MAX_OUTPUT: usize = 2 * 1024 * 1024;

fn tokens() -> Vec<String> {
    let mut tokens: Vec<String> = [
        "#",
        "# ",
        "### ",
        "*",
        "**",
        "_",
        "~~",
        "|",
        "-",
        "- ",
        "  - ",
        "    - ",
        "1. ",
        "   1. ",
        "> ",
        "> > > > > > > > ",
        "> [!WARNING]\n> ",
        "`",
        "```\n",
        "[",
        "](",
        ")",
        "![",
        "](classic-logo.png \"width=400mm\")",
        "](missing.png)",
        "<!-- keep -->\n",
        "<!-- /keep -->\n",
        "<!-- pagebreak -->\n",
        "<!-- table widths=1,2 -->\n",
        "<!-- table no-repeat-header -->\n",
        "<!-- group -->",
        "<!-- subtotal -->",
        "<!-- signature -->\n- ",
        "<!-- /signature -->\n",
        "[^1]",
        "[^1]: ",
        "\n",
        "\n\n",
        " ",
        "\t",
        "word",
        "Ünïcødé",
        "|---|---|\n",
        "| a | b |\n",
        "https://example.com/a/b?c=d&e=f",
        "[link](https://example.com/)",
        "漢字かな交じり文",
        "中文文本没有空格可以断行",
        "🦀👍🏽👨‍👩‍👧",
        "שלום עולם",
        "مرحبا بالعالم",
        "e\u{301}a\u{308}\u{20dd}",
        "\u{200b}\u{feff}\u{2028}",
        "\u{0}",
        "\r\n",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // Very long words.
    tokens.push("x".repeat(230));
    tokens.push("Ж".repeat(210));
    tokens.push(format!("https://example.com/{}", "segment/".repeat(30)));
    // A table with many columns.
    let columns = 40;
    let row = |cell: &str| format!("|{}\n", format!(" {cell} |").repeat(columns));
    tokens.push(format!(
        "\n\n{}{}{}{}",
        row("head"),
        row("---"),
        row("cell"),
        row("<!-- group --> g")
    ));
    // Deep nesting.
    tokens.push(format!("{}deep\n", "- ".repeat(30)));
    tokens.push(format!("{}deep\n", "> ".repeat(30)));
    tokens.push(
        (0..12)
            .map(|d| format!("{}- level {d}\n", "  ".repeat(d)))
            .collect(),
    );
    tokens
}

pub fn markdownish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(tokens()), 0..60)
        .prop_map(|tokens| truncate(tokens.concat()))
}

pub fn arbitrary_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..600)
        .prop_map(|chars| truncate(chars.into_iter().collect()))
}

/// `text` cut to at most [`MAX_INPUT`] bytes, at a character boundary.
fn truncate(mut text: String) -> String {
    if text.len() > MAX_INPUT {
        let mut end = MAX_INPUT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}
