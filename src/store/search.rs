//! Search folding: case and accents are folded beyond ASCII, in Rust, into a
//! column kept beside each record, because neither SQLite's `lower()` nor a
//! portable `LIKE` folds `Ü` to `u`.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds `text` for matching: compatibility decomposition, combining marks
/// dropped, lower-cased, `ß` as `ss`, runs of white space as one space.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        for l in c.to_lowercase() {
            if l == 'ß' {
                out.push_str("ss");
            } else {
                out.push(l);
            }
        }
    }
    out
}

/// The present parts joined by spaces: a record's searchable text.
pub fn join_present(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A `LIKE` pattern that finds `query` anywhere, with `%`, `_` and `\`
/// matched literally (the statements say `ESCAPE '\'`).
pub fn contains_pattern(query: &str) -> String {
    let mut p = String::from("%");
    for c in fold(query).chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents_beyond_ascii() {
        assert_eq!(fold("Müller"), "muller");
        assert_eq!(fold("MÜLLER"), "muller");
        assert_eq!(fold("Ærøskøbing Straße"), "ærøskøbing strasse");
        assert_eq!(fold("Ελλάδα"), "ελλαδα");
        assert_eq!(fold("  Crème \t brûlée "), "creme brulee");
    }

    #[test]
    fn like_wildcards_are_literal() {
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
