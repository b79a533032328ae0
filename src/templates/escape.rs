//! The Markdown escape every inserted value goes through: CRM values are
//! text, not markup, so `**ACME** [x](http://e)` prints as typed.

/// Escapes `text` so that Markdown reads it back as exactly that text.
///
/// Every ASCII punctuation character gets a backslash (CommonMark allows
/// that for all of them, and no other character needs it); a line break
/// becomes a hard break, so a multi-line address keeps its lines but can
/// never start a new block (a heading, a list, a table row).
pub fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\\n");
                }
            }
            '\n' => out.push_str("\\\n"),
            // A tab or leading spaces could start an indented code block
            // after a break; spaces in a run stay as they are elsewhere.
            '\t' => out.push(' '),
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
        assert_eq!(markdown("a\r\nb\nc"), "a\\\nb\\\nc");
        assert_eq!(markdown("Müller & Söhne"), r"Müller \& Söhne");
    }
}
