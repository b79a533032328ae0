//! Front matter: `key: value` lines between `---` fences at the top of a
//! template or Markdown file, which say what the document is and how it
//! looks.
//!
//! ```text
//! ---
//! title: Proposal for {{ account.name }}
//! theme: classic
//! paper: a4
//! locale: en-GB
//! ---
//! ```
//!
//! Values may use the template language; they are metadata, not Markdown,
//! and are not escaped.

use std::collections::BTreeMap;

/// The keys front matter may hold.
pub const KEYS: [&str; 7] = [
    "title", "author", "subject", "date", "theme", "paper", "locale",
];

/// The keys whose values the document shows (its file properties); the
/// rest choose how it is made.
pub const SHOWN: [&str; 4] = ["title", "author", "subject", "date"];

/// A front matter value and where it starts in the source (1-based).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Field {
    pub value: String,
    pub line: usize,
    pub column: usize,
}

/// A source split into its front matter and body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub fields: BTreeMap<String, Field>,
    /// The body, preceded by as many empty lines as the front matter took,
    /// so line numbers in errors match the source.
    pub body: String,
}

/// A problem with the front matter, at a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("front matter, line {line}: {message}")]
pub struct FrontMatterError {
    pub line: usize,
    pub message: String,
}

/// Splits `source`; a source without a leading `---` line has no front
/// matter.
pub fn split(source: &str) -> Result<Split, FrontMatterError> {
    let mut lines = source.split_inclusive('\n');
    let first = lines.next().unwrap_or_default();
    if first.trim_end() != "---" {
        return Ok(Split {
            body: source.to_owned(),
            ..Split::default()
        });
    }
    let mut fields = BTreeMap::new();
    let mut consumed = first.len();
    let mut line_no = 1;
    for line in lines.by_ref() {
        line_no += 1;
        consumed += line.len();
        let text = line.trim_end_matches(['\n', '\r']);
        if text.trim_end() == "---" {
            let body = "\n".repeat(line_no) + &source[consumed..];
            return Ok(Split { fields, body });
        }
        if text.trim().is_empty() || text.trim_start().starts_with('#') {
            continue;
        }
        let Some((key, value)) = text.split_once(':') else {
            return Err(FrontMatterError {
                line: line_no,
                message: format!("`{text}` is not a `key: value` line"),
            });
        };
        let key = key.trim();
        if !KEYS.contains(&key) {
            return Err(FrontMatterError {
                line: line_no,
                message: format!("unknown key `{key}`; the keys are {}", KEYS.join(", ")),
            });
        }
        if fields.contains_key(key) {
            return Err(FrontMatterError {
                line: line_no,
                message: format!("`{key}` is given twice"),
            });
        }
        let trimmed = value.trim();
        let unquoted = trimmed
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(trimmed);
        // Where the value starts: after the colon, the spaces and a quote.
        let offset = text.len() - value.len()
            + (value.len() - value.trim_start().len())
            + usize::from(unquoted.len() != trimmed.len());
        let column = text[..offset].chars().count() + 1;
        let field = Field {
            value: unquoted.to_owned(),
            line: line_no,
            column,
        };
        fields.insert(key.to_owned(), field);
    }
    Err(FrontMatterError {
        line: 1,
        message: "the front matter opened here is never closed with `---`".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_split_and_line_numbers_kept() {
        let s = split("---\ntitle: \"Offer: {{ x }}\"\n# a comment\ntheme: modern\n---\n# Body\n")
            .unwrap();
        let title = &s.fields["title"];
        assert_eq!(
            (title.value.as_str(), title.line, title.column),
            ("Offer: {{ x }}", 2, 9)
        );
        assert_eq!(s.fields["theme"].value, "modern");
        assert_eq!(s.fields["theme"].column, 8);
        assert_eq!(s.body, "\n\n\n\n\n# Body\n");
    }

    #[test]
    fn problems_name_their_line() {
        assert_eq!(
            split("---\ntitle: a\ncolour: red\n---\n").unwrap_err().line,
            3
        );
        assert_eq!(split("---\ntitle: a\n").unwrap_err().line, 1);
        assert_eq!(split("---\njust text\n---\n").unwrap_err().line, 2);
        assert_eq!(split("no front matter").unwrap().body, "no front matter");
    }
}
