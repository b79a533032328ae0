//! Template source as text and tags, for the rewrites made before parsing
//! (loop ticks, readiness marks): each sees every tag once, knows its kind
//! and whether it lies in a `raw` section, and copies the rest as it is.

/// What a tag is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `{{ … }}`
    Print,
    /// `{% … %}`
    Statement,
    /// `{# … #}`
    Comment,
}

/// `source` rebuilt by `rewrite`, which gets each tag (its text, kind, and
/// whether it is inside a raw section) and the output to append it — and
/// anything around it — to. Text between tags is copied unchanged; an
/// unclosed tag runs to the end.
pub fn rewrite(source: &str, mut rewrite: impl FnMut(&str, Kind, bool, &mut String)) -> String {
    let mut out = String::with_capacity(source.len() + 64);
    let mut rest = source;
    let mut raw = false;
    loop {
        let next = [rest.find("{{"), rest.find("{%"), rest.find("{#")]
            .into_iter()
            .flatten()
            .min();
        let Some(start) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let (kind, close) = match &after[..2] {
            "{{" => (Kind::Print, "}}"),
            "{%" => (Kind::Statement, "%}"),
            _ => (Kind::Comment, "#}"),
        };
        let end = after.find(close).map_or(after.len(), |i| i + 2);
        let tag = &after[..end];
        rest = &after[end..];
        if kind == Kind::Statement {
            match word(tag) {
                "raw" => raw = true,
                "endraw" => {
                    out.push_str(tag);
                    raw = false;
                    continue;
                }
                _ => {}
            }
        }
        rewrite(tag, kind, raw, &mut out);
    }
}

/// The first word of a statement tag: `for` in `{%- for x in y %}`.
pub fn word(tag: &str) -> &str {
    tag.get(2..)
        .unwrap_or_default()
        .trim_start_matches(['-', ' ', '\t', '\n', '\r'])
        .split_whitespace()
        .next()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_is_seen_once_with_its_kind_and_raw_state() {
        let mut seen = Vec::new();
        let out = rewrite(
            "a {{ x }} {% raw %}{{ y }}{% endraw %} {# c #} {% for i in l %}",
            |tag, kind, raw, out| {
                seen.push((tag.to_owned(), kind, raw));
                out.push_str(tag);
            },
        );
        assert_eq!(
            out,
            "a {{ x }} {% raw %}{{ y }}{% endraw %} {# c #} {% for i in l %}"
        );
        assert_eq!(
            seen,
            vec![
                ("{{ x }}".to_owned(), Kind::Print, false),
                ("{% raw %}".to_owned(), Kind::Statement, true),
                ("{{ y }}".to_owned(), Kind::Print, true),
                ("{# c #}".to_owned(), Kind::Comment, false),
                ("{% for i in l %}".to_owned(), Kind::Statement, false),
            ]
        );
    }
}
