//! Which fields a document would print blank.
//!
//! The template is rendered for real with the subject's context, with every
//! `{{ … }}` of its body and of its front matter (title, author, subject,
//! date) wrapped in numbered marks. A print whose marks enclose nothing
//! printed blank; the fields it names that are blank in the context are
//! missing. So a field only tested in an `if`, a print in a branch not
//! taken, and a print with a `default` are never reported — exactly what
//! the generated document would show.
//!
//! A print of a name the templates bind themselves (a loop variable, a
//! `set` name) has its opening mark carry that name's value, which is then
//! found in the context: `{{ c.phone }}` inside `{% for c in contacts %}`
//! is `contacts.1.phone` on the loop's second turn. A name bound to a
//! single value (`{% set p = contact.phone %}{{ p }}`) is not traced.
//!
//! A draft is rendered the same way, and each blank print shows which
//! fields it lacks ([`show_blanks`]).

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;
use tera::ast::{Expr, ExprVal, Node};

use super::tags;

/// The function the marks call; its output is [`OPEN`] number
/// (`SEPARATOR` bound values as JSON) [`CLOSE`].
pub const MARK: &str = "__dealdraft_mark";
/// Private-use characters no document text is made of.
const OPEN: char = '\u{F8F0}';
const CLOSE: char = '\u{F8F1}';
const SEPARATOR: char = '\u{F8F2}';

/// A marked print: the context paths it names, and which of their roots
/// are names the templates bind (their values ride on the opening mark,
/// in this order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Print {
    pub paths: Vec<String>,
    pub bound: Vec<String>,
}

/// The marking state of an engine: every marked print by number, and the
/// names its templates bind with `for` and `set`.
#[derive(Clone, Debug, Default)]
pub struct Marks {
    pub prints: Vec<Print>,
    pub bound: BTreeSet<String>,
}

/// The mark function: `__dealdraft_mark(n=3)` is `\u{F8F0}3\u{F8F1}`, and
/// with `bound=[c]` the values of the bound names follow the number.
pub fn mark(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let n = args.get("n").and_then(Value::as_u64).unwrap_or(0);
    let bound = match args.get("bound") {
        // The marks' own characters can only sit inside JSON strings,
        // where an escape reads back as the same character.
        Some(values) => format!("{SEPARATOR}{values}")
            .replace(OPEN, "\\uf8f0")
            .replace(CLOSE, "\\uf8f1"),
        None => String::new(),
    };
    Ok(Value::String(format!("{OPEN}{n}{bound}{CLOSE}")))
}

impl Marks {
    /// Takes note of the names `sources` bind, before any is marked: a
    /// name bound in one template may be printed in another it includes.
    pub fn learn<'a>(&mut self, sources: impl IntoIterator<Item = &'a str>) {
        for source in sources {
            self.bound.extend(tags::bound_names(source));
        }
    }

    /// `source` with each print wrapped in marks. Raw sections and
    /// comments are left as they are; a print that does not parse alone is
    /// left unmarked (the real parse reports it).
    pub fn mark(&mut self, source: &str) -> String {
        tags::rewrite(source, |tag, kind, raw, out| {
            let paths = (kind == tags::Kind::Print && !raw)
                .then(|| print_paths(tag))
                .flatten();
            let Some(paths) = paths else {
                out.push_str(tag);
                return;
            };
            let n = self.prints.len();
            let bound: Vec<String> = paths
                .iter()
                .filter_map(|p| p.split_once('.').map(|(root, _)| root))
                .filter(|root| self.bound.contains(*root))
                .map(str::to_owned)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let close = format!("{{{{ {MARK}(n={n}) }}}}");
            if bound.is_empty() {
                out.push_str(&close);
            } else {
                out.push_str(&format!(
                    "{{{{ {MARK}(n={n}, bound=[{}]) | safe }}}}",
                    bound.join(", ")
                ));
            }
            out.push_str(tag);
            out.push_str(&close);
            self.prints.push(Print { paths, bound });
        })
    }
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

/// The paths that `rendered` (text rendered with marks) printed blank,
/// in the order they first appear, each once, as paths into `context`.
pub fn blank_paths(rendered: &str, prints: &[Print], context: &Value) -> Vec<String> {
    let mut missing: Vec<String> = Vec::new();
    walk(rendered, prints, context, |piece| {
        if let Piece::Print { blanks, .. } = piece {
            for path in blanks {
                if !missing.contains(&path) {
                    missing.push(path);
                }
            }
        }
    });
    missing
}

/// `rendered` without its marks, and where a print showed blank fields, a
/// placeholder naming them instead: `MISSING: contact.phone` in bold in a
/// Markdown body, in brackets in plain text (front matter).
pub fn show_blanks(rendered: &str, prints: &[Print], context: &Value, markdown: bool) -> String {
    let mut out = String::with_capacity(rendered.len());
    walk(rendered, prints, context, |piece| match piece {
        Piece::Text(text) => out.push_str(text),
        Piece::Print { printed, blanks } if blanks.is_empty() => out.push_str(printed),
        Piece::Print { blanks, .. } => {
            let named = format!("MISSING: {}", blanks.join(", "));
            if markdown {
                out.push_str(&format!("**{}**", super::escape::markdown(&named)));
            } else {
                out.push_str(&format!("[{named}]"));
            }
        }
    });
    out
}

/// A part of text rendered with marks.
enum Piece<'a> {
    /// Text between prints.
    Text(&'a str),
    /// What a print printed and, when that is blank, the paths into the
    /// context it names that are blank.
    Print {
        printed: &'a str,
        blanks: Vec<String>,
    },
}

/// Hands each piece of `rendered` to `each`, in order; marks are dropped.
fn walk<'a>(rendered: &'a str, prints: &[Print], context: &Value, mut each: impl FnMut(Piece<'a>)) {
    let mut rest = rendered;
    while let Some(open) = rest.find(OPEN) {
        each(Piece::Text(&rest[..open]));
        let after = &rest[open + OPEN.len_utf8()..];
        let Some(close) = after.find(CLOSE) else {
            rest = after;
            continue;
        };
        let (number, bound) = after[..close]
            .split_once(SEPARATOR)
            .unwrap_or((&after[..close], ""));
        let body = &after[close + CLOSE.len_utf8()..];
        let end_mark = format!("{OPEN}{number}{CLOSE}");
        let Some(end) = body.find(&end_mark) else {
            rest = body;
            continue;
        };
        let printed = &body[..end];
        rest = &body[end + end_mark.len()..];
        let mut blanks = Vec::new();
        let marked = number.parse::<usize>().ok().and_then(|n| prints.get(n));
        if let Some(marked) = marked.filter(|_| printed.trim().is_empty()) {
            let values: Vec<Value> = serde_json::from_str(bound).unwrap_or_default();
            for path in &marked.paths {
                let Some(path) = in_context(path, &marked.bound, &values, context) else {
                    continue;
                };
                if is_blank(lookup(context, &path)) && !blanks.contains(&path) {
                    blanks.push(path);
                }
            }
        }
        each(Piece::Print { printed, blanks });
    }
    each(Piece::Text(rest));
}

/// `path` as a path into `context`: a bound root is replaced by where its
/// value sits in the context; `None` when it sits nowhere.
fn in_context(path: &str, bound: &[String], values: &[Value], context: &Value) -> Option<String> {
    let Some((root, rest)) = path.split_once('.') else {
        return Some(path.to_owned());
    };
    let Some(i) = bound.iter().position(|b| b == root) else {
        return Some(path.to_owned());
    };
    let place = locate(context, values.get(i)?)?;
    Some(if place.is_empty() {
        rest.to_owned()
    } else {
        format!("{place}.{rest}")
    })
}

/// The dotted path of the first object or array in `within` equal to
/// `wanted`, depth first.
fn locate(within: &Value, wanted: &Value) -> Option<String> {
    if within == wanted && (within.is_object() || within.is_array()) {
        return Some(String::new());
    }
    let join = |key: String, place: String| {
        if place.is_empty() {
            key
        } else {
            format!("{key}.{place}")
        }
    };
    match within {
        Value::Object(map) => map
            .iter()
            .find_map(|(k, v)| locate(v, wanted).map(|p| join(k.clone(), p))),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| locate(v, wanted).map(|p| join(i.to_string(), p))),
        _ => None,
    }
}

/// The value at dotted `path` in `context`; `None` where the path leaves
/// the context (a name bound to a single value, `loop.index`).
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
        let mut marks = Marks::default();
        let out = marks.mark(
            "Hi {{ contact.name }}, {{ deal.name | default(value='x') }} {% raw %}{{ no }}{% endraw %}",
        );
        assert_eq!(
            marks.prints,
            vec![
                Print {
                    paths: vec!["contact.name".to_owned()],
                    bound: vec![]
                },
                Print::default()
            ]
        );
        assert!(
            out.contains(
                "{{ __dealdraft_mark(n=0) }}{{ contact.name }}{{ __dealdraft_mark(n=0) }}"
            )
        );
        assert!(out.ends_with("{% raw %}{{ no }}{% endraw %}"));
    }

    #[test]
    fn prints_of_bound_names_carry_their_values_on_the_opening_mark() {
        let mut marks = Marks::default();
        let source = "{% for c in contacts %}{{ c.phone }} {{ c.name ~ deal.name }}{% endfor %}";
        marks.learn([source]);
        let out = marks.mark(source);
        assert!(out.contains(
            "{{ __dealdraft_mark(n=0, bound=[c]) | safe }}{{ c.phone }}{{ __dealdraft_mark(n=0) }}"
        ));
        assert_eq!(marks.prints[1].bound, vec!["c"]);
    }

    #[test]
    fn only_blank_prints_of_blank_fields_are_missing() {
        let print = |path: &str| Print {
            paths: vec![path.to_owned()],
            bound: vec![],
        };
        let prints = vec![print("contact.phone"), print("deal.name"), print("item.x")];
        let context = serde_json::json!({"contact": {"phone": null}, "deal": {"name": "Rollout"}});
        let rendered = format!(
            "a {OPEN}0{CLOSE}{OPEN}0{CLOSE} b {OPEN}1{CLOSE}Rollout{OPEN}1{CLOSE} {OPEN}2{CLOSE}{OPEN}2{CLOSE}"
        );
        assert_eq!(
            blank_paths(&rendered, &prints, &context),
            vec!["contact.phone"]
        );
    }

    #[test]
    fn a_draft_shows_what_is_missing_where_it_would_print() {
        let prints = vec![
            Print {
                paths: vec!["deal.next_step".to_owned()],
                bound: vec![],
            },
            Print {
                paths: vec!["deal.name".to_owned()],
                bound: vec![],
            },
        ];
        let context = serde_json::json!({"deal": {"name": "Rollout", "next_step": ""}});
        let rendered =
            format!("{OPEN}1{CLOSE}Rollout{OPEN}1{CLOSE}: {OPEN}0{CLOSE}{OPEN}0{CLOSE}.");
        assert_eq!(
            show_blanks(&rendered, &prints, &context, true),
            "Rollout: **MISSING\\: deal\\.next\\_step**."
        );
        assert_eq!(
            show_blanks(&rendered, &prints, &context, false),
            "Rollout: [MISSING: deal.next_step]."
        );
    }

    #[test]
    fn a_bound_value_is_found_where_it_sits_in_the_context() {
        let prints = vec![Print {
            paths: vec!["c.phone".to_owned(), "deal.name".to_owned()],
            bound: vec!["c".to_owned()],
        }];
        let context = serde_json::json!({
            "contacts": [{"id": "a", "phone": "1"}, {"id": "b", "phone": null}],
            "deal": {"name": null},
        });
        let turn = |n: usize| {
            let args = HashMap::from([
                ("n".to_owned(), Value::from(0)),
                (
                    "bound".to_owned(),
                    serde_json::json!([context["contacts"][n]]),
                ),
            ]);
            let Value::String(open) = mark(&args).unwrap() else {
                unreachable!()
            };
            format!("{open}{OPEN}0{CLOSE}")
        };
        assert_eq!(
            blank_paths(&(turn(0) + &turn(1)), &prints, &context),
            vec!["deal.name", "contacts.1.phone"]
        );
    }
}
