//! Which fields a document would print blank.
//!
//! The template is rendered for real with the subject's context, with every
//! `{{ … }}` of its body wrapped in numbered marks. A print whose marks
//! enclose nothing printed blank; the fields it names that are blank in the
//! context are missing. So a field only tested in an `if`, a print in a
//! branch not taken, and a print with a `default` are never reported —
//! exactly what the generated document would show.
//!
//! Prints of loop variables and `set` names are not traced back to a
//! record, and a document's front matter (its file properties) is not
//! checked.

use serde_json::Value;
use tera::ast::{Expr, ExprVal, Node};

use super::tags;

/// The function the marks call; its output is [`OPEN`] number [`CLOSE`].
pub const MARK: &str = "__dealdraft_mark";
/// Private-use characters no document text is made of.
const OPEN: char = '\u{F8F0}';
const CLOSE: char = '\u{F8F1}';

/// The context paths each marked print names, by mark number.
pub type Prints = Vec<Vec<String>>;

/// The mark function: `__dealdraft_mark(n=3)` is `\u{F8F0}3\u{F8F1}`.
pub fn mark(args: &std::collections::HashMap<String, Value>) -> tera::Result<Value> {
    let n = args.get("n").and_then(Value::as_u64).unwrap_or(0);
    Ok(Value::String(format!("{OPEN}{n}{CLOSE}")))
}

/// `source` with each print wrapped in marks, the paths of each appended
/// to `prints`. Raw sections and comments are left as they are; a print
/// that does not parse alone is left unmarked (the real parse reports it).
pub fn mark_prints(source: &str, prints: &mut Prints) -> String {
    tags::rewrite(source, |tag, kind, raw, out| {
        let paths = (kind == tags::Kind::Print && !raw)
            .then(|| print_paths(tag))
            .flatten();
        match paths {
            Some(paths) => {
                let marker = format!("{{{{ {MARK}(n={}) }}}}", prints.len());
                prints.push(paths);
                out.push_str(&marker);
                out.push_str(tag);
                out.push_str(&marker);
            }
            None => out.push_str(tag),
        }
    })
}

/// The context paths a print shows, or `None` if it does not parse alone.
/// A print with a `default` filter shows none: it is never blank for want
/// of a field.
fn print_paths(tag: &str) -> Option<Vec<String>> {
    let template = tera::Template::new("print", None, tag).ok()?;
    let Some(Node::VariableBlock(_, expr)) = template.ast.first() else {
        return None;
    };
    let mut paths = Vec::new();
    expr_paths(expr, &mut paths);
    paths.sort();
    paths.dedup();
    Some(paths)
}

fn expr_paths(expr: &Expr, out: &mut Vec<String>) {
    if expr.filters.iter().any(|f| f.name == "default") {
        return;
    }
    match &expr.val {
        ExprVal::Ident(path) => out.push(path.clone()),
        ExprVal::Math(m) => {
            expr_paths(&m.lhs, out);
            expr_paths(&m.rhs, out);
        }
        ExprVal::FunctionCall(call) => {
            for arg in call.args.values() {
                expr_paths(arg, out);
            }
        }
        ExprVal::Array(items) => items.iter().for_each(|e| expr_paths(e, out)),
        ExprVal::StringConcat(concat) => {
            for value in &concat.values {
                if let ExprVal::Ident(path) = value {
                    out.push(path.clone());
                }
            }
        }
        // Tests, comparisons and `in` print booleans, never a field.
        _ => {}
    }
}

/// The paths that `rendered` (a body rendered with marks) printed blank,
/// in the order they first appear, each once.
pub fn blank_paths(rendered: &str, prints: &[Vec<String>], context: &Value) -> Vec<String> {
    let mut missing: Vec<String> = Vec::new();
    let mut rest = rendered;
    while let Some(open) = rest.find(OPEN) {
        let after = &rest[open + OPEN.len_utf8()..];
        let Some(close) = after.find(CLOSE) else {
            break;
        };
        let number = &after[..close];
        let body = &after[close + CLOSE.len_utf8()..];
        let end_mark = format!("{OPEN}{number}{CLOSE}");
        let Some(end) = body.find(&end_mark) else {
            rest = body;
            continue;
        };
        let printed = &body[..end];
        rest = &body[end + end_mark.len()..];
        if !printed.trim().is_empty() {
            continue;
        }
        let Some(paths) = number.parse::<usize>().ok().and_then(|n| prints.get(n)) else {
            continue;
        };
        for path in paths {
            if is_blank(lookup(context, path)) && !missing.contains(path) {
                missing.push(path.clone());
            }
        }
    }
    missing
}

/// The value at dotted `path` in `context`; `None` where the path leaves
/// the context (a loop variable, a `set` name).
fn lookup<'a>(context: &'a Value, path: &str) -> Option<&'a Value> {
    let mut value = context;
    for part in path.split('.') {
        value = match value {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

fn is_blank(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_are_marked_with_their_paths_and_defaults_are_not_paths() {
        let mut prints = Prints::new();
        let out = mark_prints(
            "Hi {{ contact.name }}, {{ deal.name | default(value='x') }} {% raw %}{{ no }}{% endraw %}",
            &mut prints,
        );
        assert_eq!(prints, vec![vec!["contact.name".to_owned()], vec![]]);
        assert!(
            out.contains(
                "{{ __dealdraft_mark(n=0) }}{{ contact.name }}{{ __dealdraft_mark(n=0) }}"
            )
        );
        assert!(out.ends_with("{% raw %}{{ no }}{% endraw %}"));
    }

    #[test]
    fn only_blank_prints_of_blank_fields_are_missing() {
        let prints = vec![
            vec!["contact.phone".to_owned()],
            vec!["deal.name".to_owned()],
            vec!["item.x".to_owned()],
        ];
        let context = serde_json::json!({"contact": {"phone": null}, "deal": {"name": "Rollout"}});
        let rendered = format!(
            "a {OPEN}0{CLOSE}{OPEN}0{CLOSE} b {OPEN}1{CLOSE}Rollout{OPEN}1{CLOSE} {OPEN}2{CLOSE}{OPEN}2{CLOSE}"
        );
        assert_eq!(
            blank_paths(&rendered, &prints, &context),
            vec!["contact.phone"]
        );
    }
}
