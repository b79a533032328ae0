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

/// The templates `source` includes or extends, as it names them
/// (`"KEY.md"`): tera takes only string literals there, so the quoted
/// strings of those statements are all of them.
pub fn references(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    rewrite(source, |tag, kind, raw, _| {
        if kind != Kind::Statement || raw || !matches!(word(tag), "include" | "extends") {
            return;
        }
        let mut rest = tag;
        while let Some(open) = rest.find(['"', '\'', '`']) {
            let quote = &rest[open..open + 1];
            let after = &rest[open + 1..];
            let Some(close) = after.find(quote) else {
                break;
            };
            names.push(after[..close].to_owned());
            rest = &after[close + 1..];
        }
    });
    names.sort();
    names.dedup();
    names
}

/// The names `source` binds outside raw sections: loop variables
/// (`for c in …`, `for key, value in …`) and `set`/`set_global` names.
pub fn bound_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    rewrite(source, |tag, kind, raw, _| {
        if kind != Kind::Statement || raw {
            return;
        }
        let inner = tag
            .get(2..tag.len().saturating_sub(2))
            .unwrap_or_default()
            .trim_matches(['-', ' ', '\t', '\n', '\r']);
        let Some((word, rest)) = inner.split_once(char::is_whitespace) else {
            return;
        };
        let bound = match word {
            "for" => rest.split_once(" in ").map(|(vars, _)| vars),
            "set" | "set_global" => rest.split_once('=').map(|(name, _)| name),
            _ => None,
        };
        for name in bound.into_iter().flat_map(|vars| vars.split(',')) {
            let name = name.trim();
            if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                names.push(name.to_owned());
            }
        }
    });
    names.sort();
    names.dedup();
    names
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
    fn references_are_the_names_included_or_extended_outside_raw() {
        let source = "{% extends \"frame.md\" %}{% include ['a.md', \"b.md\"] ignore missing %}\
                      {% raw %}{% include \"no.md\" %}{% endraw %}{{ \"x.md\" }}";
        assert_eq!(references(source), vec!["a.md", "b.md", "frame.md"]);
    }

    #[test]
    fn bound_names_are_loop_variables_and_set_names() {
        let source = "{% for c in contacts %}{%- for key, value in c.answers -%}{% endfor %}\
                      {% set_global total = 0 %}{% set x=1 %}{% raw %}{% set no = 1 %}{% endraw %}\
                      {% if a == b %}{% endif %}";
        assert_eq!(bound_names(source), vec!["c", "key", "total", "value", "x"]);
    }

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
