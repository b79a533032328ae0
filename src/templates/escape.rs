//! The Markdown escape every inserted value goes through: CRM values are
//! text, not markup, so `**ACME** [x](http://e)` prints as typed.

use crate::document::markdown::LINE_SEPARATOR;

/// Escapes `text` so that Markdown reads it back as exactly that text,
/// wherever in a line it is inserted.
///
/// - Every ASCII punctuation character gets a backslash (CommonMark allows
///   that for all of them, and no other character needs it).
/// - A line break becomes U+2028, which the reader turns into a line break
///   inside the paragraph or table cell: it can never end a table row or
///   start a heading, a list or a code block.
/// - Spaces at either end and tabs become character references, which
///   count as text: a value can neither indent a line into a code block
///   nor end one with a hard break.
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let lead = text.len() - text.trim_start_matches(' ').len();
    let trail_start = text.trim_end_matches(' ').len().max(lead);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' if i < lead || i >= trail_start => out.push_str("&#32;"),
            '\t' => out.push_str("&#9;"),
            '\r' => {
                if chars.peek().map(|(_, n)| *n) != Some('\n') {
                    out.push(LINE_SEPARATOR);
                }
            }
            '\n' => out.push(LINE_SEPARATOR),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            // Other control characters have no business in a document.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            markdown("**ACME** [x](http://e)"),
            r"\*\*ACME\*\* \[x\]\(http\:\/\/e\)"
        );
        assert_eq!(markdown("<script>"), r"\<script\>");
        assert_eq!(markdown("{{ x }}"), r"\{\{ x \}\}");
        assert_eq!(markdown("Müller & Söhne"), r"Müller \& Söhne");
    }

    #[test]
    fn breaks_and_outer_spaces_cannot_change_the_structure() {
        assert_eq!(markdown("a\r\nb\nc"), "a\u{2028}b\u{2028}c");
        assert_eq!(markdown("  a b  "), "&#32;&#32;a b&#32;&#32;");
        assert_eq!(markdown("a\tb"), "a&#9;b");
        assert_eq!(markdown("   "), "&#32;&#32;&#32;");
    }
}
