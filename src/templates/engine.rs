//! The template core: one sandboxed tera environment that turns a template
//! and data into Markdown plus document metadata.
//!
//! Every value a template inserts goes through the Markdown escape, so CRM
//! data is text, never markup. Templates may not reach outside: there is no
//! environment or file access (`get_env` is gone, includes resolve only to
//! templates added to this engine), `range` is capped, loops and blocks
//! nest only so deep, macros and include cycles are refused, and a render
//! stops with an error when its output or time runs out.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::str::FromStr;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde_json::Value;
use tera::ast::Node;
use tera::{Context, Tera};

use super::front_matter::{self, FrontMatterError};
use super::{escape, format, readiness, tags};
use crate::document::Metadata;
use crate::document::theme::Paper;

/// The largest template source accepted.
pub const MAX_SOURCE_BYTES: usize = 256 * 1024;
/// The most Markdown one render may produce.
pub const MAX_OUTPUT_BYTES: usize = 4 * 1024 * 1024;
/// The most numbers all `range` calls of one render may produce.
pub const MAX_RANGE_ITEMS: usize = 10_000;
/// How deeply `{% … %}` blocks may nest.
pub const MAX_BLOCK_NESTING: usize = 12;
/// How deeply `for` loops may nest.
pub const MAX_LOOP_NESTING: usize = 3;
/// The most steps all loops of one render may take.
pub const MAX_LOOP_STEPS: usize = 100_000;
/// How long one render may run.
pub const MAX_RENDER_TIME: Duration = Duration::from_secs(1);

/// What a template needs from its author.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("{template}, line {line}, column {column}: {message}")]
    Syntax {
        template: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{template}: {message}")]
    Runtime { template: String, message: String },
    #[error("{template}: {source}")]
    FrontMatter {
        template: String,
        #[source]
        source: FrontMatterError,
    },
    /// The sandbox stopped the template.
    #[error("{template}: {message}")]
    Limit { template: String, message: String },
}

/// A rendered template: Markdown and what the front matter said.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rendered {
    pub metadata: Metadata,
    /// The theme the template asks for, by name.
    pub theme: Option<String>,
    pub paper: Option<Paper>,
    pub markdown: String,
}

/// The default locale of `money` and `date` when the front matter names
/// none.
pub const DEFAULT_LOCALE: &str = "en";

/// Templates by name, ready to render.
pub struct Engine {
    tera: Tera,
    /// Front matter fields per template: `key → internal template name`.
    fronts: HashMap<String, BTreeMap<String, String>>,
    /// For readiness: what each marked print shows.
    marks: Option<readiness::Marks>,
    /// The clauses each body prints (`clause(key="…")`), by body name.
    clauses: HashMap<String, BTreeSet<String>>,
}

/// The state of the render running on this thread, for the functions and
/// the output writer to check their limits against.
struct Budget {
    started: Instant,
    range_items: usize,
    loop_steps: usize,
    locale: String,
    /// The data's `clauses`: the text each clause prints, by key.
    clauses: Value,
    /// The limit that stopped the render, if one did.
    tripped: Option<String>,
}

impl Budget {
    /// Records that a limit stopped the render, for the error it becomes.
    fn trip(&mut self, message: String) -> tera::Error {
        self.tripped = Some(message.clone());
        tera::Error::msg(message)
    }
}

thread_local! {
    static BUDGET: RefCell<Option<Budget>> = const { RefCell::new(None) };
}

fn with_budget<T>(f: impl FnOnce(&mut Budget) -> tera::Result<T>) -> tera::Result<T> {
    BUDGET.with(|b| match b.borrow_mut().as_mut() {
        Some(budget) => {
            if budget.started.elapsed() > MAX_RENDER_TIME {
                return Err(budget.trip(time_message()));
            }
            f(budget)
        }
        None => Err(tera::Error::msg("functions run only inside a render")),
    })
}

fn time_message() -> String {
    format!(
        "the template ran longer than {} ms and was stopped",
        MAX_RENDER_TIME.as_millis()
    )
}

/// Bodies are registered under a name ending in this, which is what turns
/// the Markdown escape on for them (and not for front matter fields).
pub const BODY_SUFFIX: &str = ".md";

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    pub fn new() -> Engine {
        let mut tera = Tera::default();
        tera.autoescape_on(vec![BODY_SUFFIX]);
        tera.set_escape_fn(escape::markdown);
        tera.register_function(
            "get_env",
            |_: &HashMap<String, Value>| -> tera::Result<Value> {
                Err(tera::Error::msg(
                    "get_env is not available in document templates",
                ))
            },
        );
        tera.register_function("range", range);
        tera.register_function(TICK, tick);
        tera.register_function("money", money);
        tera.register_function("date", date);
        tera.register_function(
            CLAUSE,
            Clause {
                blank_when_absent: false,
            },
        );
        Engine {
            tera,
            fronts: HashMap::new(),
            marks: None,
            clauses: HashMap::new(),
        }
    }

    /// An engine for readiness: every print of a body is marked (see
    /// [`readiness`]), and `money` and `date` print nothing for a blank
    /// value rather than fail, as a blank field is what readiness reports.
    pub fn marking() -> Engine {
        let mut engine = Engine::new();
        engine.marks = Some(readiness::Marks::default());
        engine
            .tera
            .register_function(readiness::MARK, readiness::mark);
        engine.tera.register_function("money", blank_on_null(money));
        engine.tera.register_function("date", blank_on_null(date));
        // Readiness asks about fields, not clauses: their text is not in
        // its data.
        engine.tera.register_function(
            CLAUSE,
            Clause {
                blank_when_absent: true,
            },
        );
        engine
    }

    /// The keys of every clause the templates of this engine print.
    pub fn clause_keys(&self) -> BTreeSet<String> {
        self.clauses.values().flatten().cloned().collect()
    }

    /// The fields template `name` prints blank for `data`, as context
    /// paths (`contact.phone`); only for an engine made by [`marking`].
    ///
    /// [`marking`]: Engine::marking
    pub fn blank_fields(&self, name: &str, data: &Value) -> Result<Vec<String>, TemplateError> {
        let rendered = self.render_with(name, data, |_, text| text)?;
        let prints = self.marks.as_ref().map_or(&[][..], |m| &m.prints);
        let meta = &rendered.metadata;
        let mut text = rendered.markdown;
        for field in [&meta.title, &meta.author, &meta.subject, &meta.date] {
            text.push('\n');
            text.push_str(field.as_deref().unwrap_or_default());
        }
        Ok(readiness::blank_paths(&text, prints, data))
    }

    /// The name a body is known by inside tera (and in `include`).
    fn body_name(name: &str) -> String {
        if name.ends_with(BODY_SUFFIX) {
            name.to_owned()
        } else {
            format!("{name}{BODY_SUFFIX}")
        }
    }

    /// Checks and adds a template; another of the same name is replaced.
    /// Other templates include it as `"NAME.md"`.
    pub fn add(&mut self, name: &str, source: &str) -> Result<(), TemplateError> {
        self.add_all(&[(name, source)])
    }

    /// Checks and adds templates that may extend or include each other, in
    /// any order; on an error none of them is added.
    pub fn add_all(&mut self, templates: &[(&str, &str)]) -> Result<(), TemplateError> {
        let mut marks = self.marks.clone();
        if let Some(marks) = &mut marks {
            marks.learn(templates.iter().map(|(_, source)| *source));
        }
        let prepared = templates
            .iter()
            .map(|(name, source)| prepare(name, source, marks.as_mut()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut names = Vec::new();
        let mut bodies = Vec::new();
        for p in prepared {
            for template in p.parsed {
                names.push(template.name.clone());
                self.tera.templates.insert(template.name.clone(), template);
            }
            self.fronts.insert(p.body_name.clone(), p.fields);
            self.clauses.insert(p.body_name.clone(), p.clauses);
            bodies.push(p.body_name);
        }
        let linked = self
            .tera
            .build_inheritance_chains()
            .map_err(|e| syntax_error(&bodies[0], &e))
            .and_then(|()| {
                bodies
                    .iter()
                    .try_for_each(|body| self.check_include_cycles(body))
            });
        if let Err(e) = linked {
            for n in names {
                self.tera.templates.remove(&n);
            }
            for body in bodies {
                self.fronts.remove(&body);
                self.clauses.remove(&body);
            }
            return Err(e);
        }
        self.marks = marks;
        Ok(())
    }

    /// Renders template `name` with `data` (a JSON object), using `locale`
    /// for money and dates unless the front matter names one.
    pub fn render(&self, name: &str, data: &Value) -> Result<Rendered, TemplateError> {
        self.render_with(name, data, |_, text| text)
    }

    /// Renders template `name` as a draft: where a print shows blank
    /// fields, a placeholder names them (see [`readiness::show_blanks`]);
    /// only for an engine made by [`marking`].
    ///
    /// [`marking`]: Engine::marking
    pub fn render_draft(&self, name: &str, data: &Value) -> Result<Rendered, TemplateError> {
        let prints = self.marks.as_ref().map_or(&[][..], |m| &m.prints);
        self.render_with(name, data, |body, text| {
            readiness::show_blanks(&text, prints, data, body)
        })
    }

    /// Renders template `name`, passing the body (`true`) and each front
    /// matter field (`false`) through `finish` once rendered.
    fn render_with(
        &self,
        name: &str,
        data: &Value,
        finish: impl Fn(bool, String) -> String,
    ) -> Result<Rendered, TemplateError> {
        let body_name = Engine::body_name(name);
        let runtime = |message: String| TemplateError::Runtime {
            template: body_name.clone(),
            message,
        };
        let context = Context::from_value(data.clone())
            .map_err(|_| runtime("the data must be a JSON object".to_owned()))?;
        let Some(fields) = self.fronts.get(&body_name) else {
            return Err(runtime(format!("there is no template `{body_name}`")));
        };
        let _guard = BudgetGuard::start();
        BUDGET.with(|b| {
            if let Some(budget) = b.borrow_mut().as_mut() {
                budget.clauses = data.get(CLAUSES_KEY).cloned().unwrap_or(Value::Null);
            }
        });
        let mut front = BTreeMap::new();
        // The locale first: the other fields and the body format with it.
        let mut keys: Vec<&String> = fields.keys().collect();
        keys.sort_by_key(|k| *k != "locale");
        for key in keys {
            let value = self.render_to_string(&fields[key], &context)?;
            let value = value.trim().to_owned();
            if key == "locale" {
                format::money(Decimal::ZERO, "EUR", &value).map_err(runtime)?;
                BUDGET.with(|b| {
                    if let Some(budget) = b.borrow_mut().as_mut() {
                        budget.locale = value.clone();
                    }
                });
            }
            front.insert(key.as_str(), finish(false, value));
        }
        let markdown = finish(true, self.render_to_string(&body_name, &context)?);
        rendered(&body_name, markdown, |key| front.get(key).cloned())
    }

    fn render_to_string(&self, name: &str, context: &Context) -> Result<String, TemplateError> {
        let mut out = LimitedWriter::default();
        match self.tera.render_to(name, context, &mut out) {
            Ok(()) => String::from_utf8(out.buffer).map_err(|e| TemplateError::Runtime {
                template: name.to_owned(),
                message: e.to_string(),
            }),
            Err(e) => {
                let tripped =
                    BUDGET.with(|b| b.borrow_mut().as_mut().and_then(|b| b.tripped.take()));
                Err(match tripped {
                    Some(message) => TemplateError::Limit {
                        template: name.to_owned(),
                        message,
                    },
                    None => TemplateError::Runtime {
                        template: name.to_owned(),
                        message: chain(&e),
                    },
                })
            }
        }
    }

    /// Refuses a template that includes itself, directly or through others.
    fn check_include_cycles(&self, start: &str) -> Result<(), TemplateError> {
        let mut path = vec![start.to_owned()];
        if let Some(cycle) = self.find_cycle(&mut path) {
            return Err(TemplateError::Limit {
                template: start.to_owned(),
                message: format!("includes form a cycle: {}", cycle.join(" → ")),
            });
        }
        Ok(())
    }

    fn find_cycle(&self, path: &mut Vec<String>) -> Option<Vec<String>> {
        let current = path.last()?.clone();
        let template = self.tera.templates.get(&current)?;
        let mut included = Vec::new();
        visit(&template.ast, &mut |node| {
            if let Node::Include(_, names, _) = node {
                included.extend(names.iter().cloned());
            }
        });
        for next in included {
            if path.contains(&next) {
                let mut cycle = path.clone();
                cycle.push(next);
                return Some(cycle);
            }
            path.push(next);
            if let Some(cycle) = self.find_cycle(path) {
                return Some(cycle);
            }
            path.pop();
        }
        None
    }
}

/// A template checked and parsed, not yet added to an engine.
struct Prepared {
    body_name: String,
    /// Front matter keys and the names their templates are parsed under.
    fields: BTreeMap<String, String>,
    parsed: Vec<tera::Template>,
    /// The clauses it prints.
    clauses: BTreeSet<String>,
}

/// Checks `source` as template `name` and parses it, body and front matter
/// fields apart, so an error names this template and not a whole set.
fn prepare(
    name: &str,
    source: &str,
    mut marks: Option<&mut readiness::Marks>,
) -> Result<Prepared, TemplateError> {
    let body_name = Engine::body_name(name);
    if source.len() > MAX_SOURCE_BYTES {
        return Err(TemplateError::Limit {
            template: body_name,
            message: format!("the template is larger than {MAX_SOURCE_BYTES} bytes"),
        });
    }
    let split = front_matter::split(source).map_err(|source| TemplateError::FrontMatter {
        template: body_name.clone(),
        source,
    })?;
    check_nesting(&body_name, source)?;
    let mut fields = BTreeMap::new();
    let body = match marks.as_deref_mut() {
        Some(marks) => marks.mark(&split.body),
        None => split.body.clone(),
    };
    let mut sources = vec![(body_name.clone(), body)];
    for (key, field) in &split.fields {
        // Padded to its place, so errors point into the source.
        let field_name = format!("{body_name} (front matter `{key}`)");
        let value = match marks.as_deref_mut() {
            // What the document shows; the others choose how it looks.
            Some(marks) if front_matter::SHOWN.contains(&key.as_str()) => marks.mark(&field.value),
            _ => field.value.clone(),
        };
        let padded = "\n".repeat(field.line - 1) + &" ".repeat(field.column - 1) + &value;
        sources.push((field_name.clone(), padded));
        fields.insert(key.clone(), field_name);
    }
    // Every loop step checks the clock: the loops are instrumented before
    // the one parse. A syntax error is reported from the author's source,
    // so its position is theirs.
    let mut parsed = Vec::with_capacity(sources.len());
    let mut clauses = BTreeSet::new();
    for (n, s) in &sources {
        let template = tera::Template::new(n, None, &instrument(s)).map_err(|e| {
            let original = tera::Template::new(n, None, s).err();
            syntax_error(n, original.as_ref().unwrap_or(&e))
        })?;
        check_ast(n, &template.ast)?;
        clauses.extend(clause_calls(n, &template.ast)?);
        parsed.push(template);
    }
    Ok(Prepared {
        body_name,
        fields,
        parsed,
        clauses,
    })
}

/// Checks `source` as template `name` on its own: syntax (with line and
/// column), front matter and the sandbox's limits; not what it includes.
pub fn check(name: &str, source: &str) -> Result<(), TemplateError> {
    prepare(name, source, None).map(|_| ())
}

/// The clauses `source` (template `name`) prints itself, not through the
/// templates it includes.
pub fn clauses_of(name: &str, source: &str) -> Result<BTreeSet<String>, TemplateError> {
    prepare(name, source, None).map(|p| p.clauses)
}

/// Sets up this thread's budget for one render and clears it after.
struct BudgetGuard;

impl BudgetGuard {
    fn start() -> BudgetGuard {
        BUDGET.with(|b| {
            *b.borrow_mut() = Some(Budget {
                started: Instant::now(),
                range_items: 0,
                loop_steps: 0,
                tripped: None,
                locale: DEFAULT_LOCALE.to_owned(),
                clauses: Value::Null,
            })
        });
        BudgetGuard
    }
}

impl Drop for BudgetGuard {
    fn drop(&mut self) {
        BUDGET.with(|b| *b.borrow_mut() = None);
    }
}

/// Output that stops the render when it grows too large or too slow.
#[derive(Default)]
struct LimitedWriter {
    buffer: Vec<u8>,
}

impl Write for LimitedWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let full = self.buffer.len() + bytes.len() > MAX_OUTPUT_BYTES;
        let tripped = BUDGET.with(|b| {
            let mut b = b.borrow_mut();
            let budget = b.as_mut()?;
            let reason = if full {
                format!("the template's output passed {MAX_OUTPUT_BYTES} bytes and was stopped")
            } else if budget.started.elapsed() > MAX_RENDER_TIME {
                time_message()
            } else {
                return None;
            };
            budget.tripped = Some(reason.clone());
            Some(reason)
        });
        if let Some(reason) = tripped {
            return Err(std::io::Error::other(reason));
        }
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every message of an error and its causes, without tera's wrappers that
/// only repeat the template's or the function's name.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&dyn std::error::Error> = Some(e);
    while let Some(error) = next {
        let text = error.to_string();
        let wrapper = text.starts_with("Failed to render ")
            || text.starts_with("Failed to parse ")
            || (text.starts_with("Function call '") && text.ends_with("' failed"));
        if !wrapper && !parts.contains(&text) {
            parts.push(text);
        }
        next = error.source();
    }
    if parts.is_empty() {
        parts.push(e.to_string());
    }
    parts.join(": ")
}

/// A parse failure as template, line, column and what was expected.
fn syntax_error(template: &str, e: &tera::Error) -> TemplateError {
    let text = chain(e);
    // pest reports the position as ` --> LINE:COLUMN`.
    let (line, column) = text
        .split("--> ")
        .nth(1)
        .and_then(|rest| {
            let position: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == ':')
                .collect();
            let (l, c) = position.split_once(':')?;
            Some((l.parse().ok()?, c.parse().ok()?))
        })
        .unwrap_or((1, 1));
    let message = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("= "))
        .map(|l| l.trim_start_matches("= ").to_owned())
        .unwrap_or_else(|| text.lines().next().unwrap_or_default().to_owned());
    TemplateError::Syntax {
        template: template.to_owned(),
        line,
        column,
        message,
    }
}

/// Refuses sources whose `{% %}` blocks or brackets nest so deeply that
/// parsing them could exhaust the stack.
fn check_nesting(template: &str, source: &str) -> Result<(), TemplateError> {
    const OPENING: [&str; 5] = ["for", "if", "block", "filter", "macro"];
    let mut depth = 0usize;
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        let after = &rest[start + 2..];
        let end = after.find("%}").unwrap_or(after.len());
        let tag = after[..end].trim_start_matches(['-', ' ', '\t', '\n', '\r']);
        let word = tag.split_whitespace().next().unwrap_or_default();
        if OPENING.contains(&word) {
            depth += 1;
            if depth > MAX_BLOCK_NESTING {
                return Err(nesting_error(template, source, rest, start));
            }
        } else if word.starts_with("end") {
            depth = depth.saturating_sub(1);
        }
        rest = &after[end..];
    }
    let mut brackets = 0usize;
    for (i, c) in source.char_indices() {
        match c {
            '(' | '[' => {
                brackets += 1;
                if brackets > 4 * MAX_BLOCK_NESTING {
                    return Err(nesting_error(template, source, &source[i..], 0));
                }
            }
            ')' | ']' => brackets = brackets.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn nesting_error(template: &str, source: &str, rest: &str, offset: usize) -> TemplateError {
    let at = source.len() - rest.len() + offset;
    let line = source[..at].matches('\n').count() + 1;
    let column = source[..at]
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.chars().count())
        + 1;
    TemplateError::Syntax {
        template: template.to_owned(),
        line,
        column,
        message: format!("blocks or brackets nest deeper than {MAX_BLOCK_NESTING} levels"),
    }
}

/// Refuses what the sandbox does not allow: macros (they can recurse
/// without end) and loops nested too deeply.
fn check_ast(template: &str, ast: &[Node]) -> Result<(), TemplateError> {
    let limit = |message: String| TemplateError::Limit {
        template: template.to_owned(),
        message,
    };
    let mut problem = None;
    visit(ast, &mut |node| {
        if problem.is_none() && matches!(node, Node::MacroDefinition(..) | Node::ImportMacro(..)) {
            problem = Some(
                "macros are not available in document templates; include another template instead"
                    .to_owned(),
            );
        }
    });
    if let Some(p) = problem {
        return Err(limit(p));
    }
    if let Some(key) = self_growing(ast) {
        return Err(limit(format!(
            "`{key}` is set from itself more than once inside a loop, so it could grow without bound"
        )));
    }
    if loop_depth(ast) > MAX_LOOP_NESTING {
        return Err(limit(format!(
            "`for` loops nest deeper than {MAX_LOOP_NESTING} levels"
        )));
    }
    Ok(())
}

/// The function every loop step calls (see [`instrument`]).
const TICK: &str = "__dealdraft_loop_step";

/// Checks the render's clock and loop budget; writes nothing.
fn tick(_: &HashMap<String, Value>) -> tera::Result<Value> {
    with_budget(|budget| {
        budget.loop_steps += 1;
        if budget.loop_steps > MAX_LOOP_STEPS {
            return Err(budget.trip(format!(
                "loops may take at most {MAX_LOOP_STEPS} steps in one document"
            )));
        }
        Ok(Value::String(String::new()))
    })
}

/// `source` with a call of [`tick`] at the start of every `for` loop's
/// body, so a loop that writes nothing and calls nothing still stops on
/// time. Raw sections and comments are left as they are.
fn instrument(source: &str) -> String {
    tags::rewrite(source, |tag, kind, raw, out| {
        out.push_str(tag);
        if kind == tags::Kind::Statement && !raw && tags::word(tag) == "for" {
            // Keep the tag's whitespace control for what follows it.
            let close = if tag.ends_with("-%}") { "-}}" } else { "}}" };
            out.push_str(&format!("{{{{ {TICK}() {close}"));
        }
    })
}

/// A variable set inside a loop from an expression that uses one such
/// variable twice (`s ~ s`, `a | concat(with=a)`): it could double at
/// every step and exhaust memory before the clock stops it.
fn self_growing(ast: &[Node]) -> Option<String> {
    let mut sets = Vec::new();
    collect_loop_sets(ast, false, &mut sets);
    let targets: Vec<&str> = sets.iter().map(|s| s.key.as_str()).collect();
    sets.iter().find_map(|set| {
        targets
            .iter()
            .find(|t| mentions(&set.value, t) >= 2)
            .map(|t| (*t).to_owned())
    })
}

fn collect_loop_sets(nodes: &[Node], in_loop: bool, out: &mut Vec<tera::ast::Set>) {
    for node in nodes {
        if let Node::Set(_, set) = node
            && in_loop
        {
            out.push(set.clone());
        }
        let inner = in_loop || matches!(node, Node::Forloop(..));
        for body in children(node) {
            collect_loop_sets(body, inner, out);
        }
    }
}

/// How often `expr` refers to the variable `key`.
fn mentions(expr: &tera::ast::Expr, key: &str) -> usize {
    let in_filters: usize = expr
        .filters
        .iter()
        .flat_map(|f| f.args.values())
        .map(|e| mentions(e, key))
        .sum();
    mentions_value(&expr.val, key) + in_filters
}

fn mentions_value(value: &tera::ast::ExprVal, key: &str) -> usize {
    use tera::ast::ExprVal;
    let is_key = |name: &str| {
        name == key
            || name
                .strip_prefix(key)
                .is_some_and(|rest| rest.starts_with(['.', '[']))
    };
    match value {
        ExprVal::Ident(name) => usize::from(is_key(name)),
        ExprVal::Math(m) => mentions(&m.lhs, key) + mentions(&m.rhs, key),
        ExprVal::Logic(l) => mentions(&l.lhs, key) + mentions(&l.rhs, key),
        ExprVal::In(i) => mentions(&i.lhs, key) + mentions(&i.rhs, key),
        ExprVal::Test(t) => {
            usize::from(is_key(&t.ident)) + t.args.iter().map(|e| mentions(e, key)).sum::<usize>()
        }
        ExprVal::FunctionCall(f) => f.args.values().map(|e| mentions(e, key)).sum(),
        ExprVal::MacroCall(m) => m.args.values().map(|e| mentions(e, key)).sum(),
        ExprVal::Array(items) => items.iter().map(|e| mentions(e, key)).sum(),
        ExprVal::StringConcat(c) => c.values.iter().map(|v| mentions_value(v, key)).sum(),
        ExprVal::String(_) | ExprVal::Int(_) | ExprVal::Float(_) | ExprVal::Bool(_) => 0,
    }
}

/// Calls `f` on every node, depth first.
fn visit(nodes: &[Node], f: &mut impl FnMut(&Node)) {
    for node in nodes {
        f(node);
        for body in children(node) {
            visit(body, f);
        }
    }
}

fn children(node: &Node) -> Vec<&Vec<Node>> {
    match node {
        Node::MacroDefinition(_, m, _) => vec![&m.body],
        Node::FilterSection(_, s, _) => vec![&s.body],
        Node::Block(_, b, _) => vec![&b.body],
        Node::Forloop(_, f, _) => {
            let mut bodies = vec![&f.body];
            bodies.extend(f.empty_body.as_ref());
            bodies
        }
        Node::If(i, _) => {
            let mut bodies: Vec<&Vec<Node>> = i.conditions.iter().map(|(_, _, b)| b).collect();
            bodies.extend(i.otherwise.as_ref().map(|(_, b)| b));
            bodies
        }
        _ => Vec::new(),
    }
}

fn loop_depth(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|node| {
            let inner = children(node)
                .into_iter()
                .map(|b| loop_depth(b))
                .max()
                .unwrap_or(0);
            inner + usize::from(matches!(node, Node::Forloop(..)))
        })
        .max()
        .unwrap_or(0)
}

fn number_arg(
    args: &HashMap<String, Value>,
    function: &str,
    name: &str,
    default: Option<i64>,
) -> tera::Result<i64> {
    match args.get(name) {
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| {
            tera::Error::msg(format!("`{function}`: `{name}` must be a whole number"))
        }),
        Some(other) => Err(tera::Error::msg(format!(
            "`{function}`: `{name}` must be a whole number, not {other}"
        ))),
        None => default.ok_or_else(|| tera::Error::msg(format!("`{function}` needs `{name}`"))),
    }
}

/// `range(end=N, start=0, step_by=1)`, within the render's budget.
fn range(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let start = number_arg(args, "range", "start", Some(0))?;
    let end = number_arg(args, "range", "end", None)?;
    let step = number_arg(args, "range", "step_by", Some(1))?;
    if step < 1 {
        return Err(tera::Error::msg("`range`: `step_by` must be at least 1"));
    }
    // In i128, so no pair of i64 bounds overflows.
    let count = if end > start {
        ((i128::from(end) - i128::from(start) - 1) / i128::from(step) + 1) as u128
    } else {
        0
    };
    with_budget(|budget| {
        let total = budget.range_items as u128 + count;
        if total > MAX_RANGE_ITEMS as u128 {
            return Err(budget.trip(format!(
                "`range` may produce at most {MAX_RANGE_ITEMS} numbers in one document; this asks for {total}"
            )));
        }
        budget.range_items = total as usize;
        Ok(Value::from(
            (0..count as i64)
                .map(|i| start + i * step)
                .collect::<Vec<i64>>(),
        ))
    })
}

fn string_arg(
    args: &HashMap<String, Value>,
    function: &str,
    name: &str,
) -> tera::Result<Option<String>> {
    match args.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(tera::Error::msg(format!(
            "`{function}`: `{name}` must be text, not {other}"
        ))),
    }
}

fn locale_arg(args: &HashMap<String, Value>, function: &str) -> tera::Result<String> {
    match string_arg(args, function, "locale")? {
        Some(locale) => Ok(locale),
        None => with_budget(|b| Ok(b.locale.clone())),
    }
}

/// `money(amount=…, currency="EUR", locale="de")`.
fn money(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let amount = match args.get("amount") {
        Some(Value::String(s)) => Decimal::from_str(s.trim())
            .map_err(|_| tera::Error::msg(format!("`money`: amount `{s}` is not a number")))?,
        // JSON numbers go through their text, so 0.1 stays 0.1.
        Some(Value::Number(n)) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .map_err(|_| tera::Error::msg(format!("`money`: amount {n} is out of range")))?,
        None | Some(Value::Null) => return Err(tera::Error::msg("`money`: the amount is missing")),
        Some(other) => {
            return Err(tera::Error::msg(format!(
                "`money`: amount must be a number, not {other}"
            )));
        }
    };
    let Some(currency) = string_arg(args, "money", "currency")? else {
        return Err(tera::Error::msg("`money`: the currency is missing"));
    };
    let locale = locale_arg(args, "money")?;
    format::money(amount, &currency, &locale)
        .map(Value::String)
        .map_err(|e| tera::Error::msg(format!("`money`: {e}")))
}

/// `function`, printing nothing when an argument is `null`.
fn blank_on_null(
    function: fn(&HashMap<String, Value>) -> tera::Result<Value>,
) -> impl tera::Function {
    move |args: &HashMap<String, Value>| {
        if args.values().any(Value::is_null) {
            Ok(Value::String(String::new()))
        } else {
            function(args)
        }
    }
}

/// `date(value=…, format="long", locale="de")`.
fn date(args: &HashMap<String, Value>) -> tera::Result<Value> {
    let Some(value) = string_arg(args, "date", "value")? else {
        return Err(tera::Error::msg("`date`: the value is missing"));
    };
    let format = string_arg(args, "date", "format")?.unwrap_or_else(|| "long".to_owned());
    let locale = locale_arg(args, "date")?;
    let day = format::parse_date(&value).map_err(|e| tera::Error::msg(format!("`date`: {e}")))?;
    format::date(day, &format, &locale)
        .map(Value::String)
        .map_err(|e| tera::Error::msg(format!("`date`: {e}")))
}

/// The function that prints a clause.
const CLAUSE: &str = "clause";
/// Where the data holds the clauses' texts: `clauses.KEY.text`. A document
/// gets them from the clause library (approved versions only); `dealdraft
/// render --data` from its JSON file.
pub const CLAUSES_KEY: &str = "clauses";

/// `clause(key="liability")`: the clause's text from the data, as
/// Markdown. Legal wrote it, so it is not escaped.
struct Clause {
    blank_when_absent: bool,
}

impl tera::Function for Clause {
    fn call(&self, args: &HashMap<String, Value>) -> tera::Result<Value> {
        let Some(key) = string_arg(args, CLAUSE, "key")? else {
            return Err(tera::Error::msg("`clause`: the key is missing"));
        };
        let text = with_budget(|budget| {
            Ok(budget.clauses[key.as_str()]["text"]
                .as_str()
                .map(str::to_owned))
        })?;
        match text {
            Some(text) => Ok(Value::String(text)),
            None if self.blank_when_absent => Ok(Value::String(String::new())),
            None => Err(tera::Error::msg(format!(
                "`clause`: the data holds no text for `{key}` (`{CLAUSES_KEY}.{key}.text`)"
            ))),
        }
    }

    fn is_safe(&self) -> bool {
        true
    }
}

/// The clauses template `name` prints. Their keys must be written out
/// (`clause(key="liability")`): publishing checks them, and a document
/// records which it printed, before anything is rendered.
fn clause_calls(name: &str, ast: &[Node]) -> Result<BTreeSet<String>, TemplateError> {
    let mut keys = BTreeSet::new();
    let mut problem = None;
    visit(ast, &mut |node| {
        for expr in expressions(node) {
            calls_in(expr, &mut |call| {
                if call.name != CLAUSE {
                    return;
                }
                let literal = call
                    .args
                    .get("key")
                    .filter(|e| e.filters.is_empty())
                    .and_then(|e| match &e.val {
                        tera::ast::ExprVal::String(key) => Some(key),
                        _ => None,
                    });
                match literal {
                    Some(key) => {
                        keys.insert(key.clone());
                    }
                    None => {
                        problem.get_or_insert_with(|| {
                            "`clause` takes its key written out: clause(key=\"liability\")"
                                .to_owned()
                        });
                    }
                }
            });
        }
    });
    match problem {
        Some(message) => Err(TemplateError::Runtime {
            template: name.to_owned(),
            message,
        }),
        None => Ok(keys),
    }
}

/// The expressions a node evaluates itself (not those of its children).
fn expressions(node: &Node) -> Vec<&tera::ast::Expr> {
    match node {
        Node::VariableBlock(_, expr) => vec![expr],
        Node::Set(_, set) => vec![&set.value],
        Node::Forloop(_, f, _) => vec![&f.container],
        Node::If(i, _) => i.conditions.iter().map(|(_, e, _)| e).collect(),
        Node::FilterSection(_, s, _) => s.filter.args.values().collect(),
        _ => Vec::new(),
    }
}

/// Calls `f` on every function call inside `expr`.
fn calls_in(expr: &tera::ast::Expr, f: &mut impl FnMut(&tera::ast::FunctionCall)) {
    use tera::ast::ExprVal;
    for filter in &expr.filters {
        for arg in filter.args.values() {
            calls_in(arg, f);
        }
    }
    match &expr.val {
        ExprVal::FunctionCall(call) => {
            f(call);
            for arg in call.args.values() {
                calls_in(arg, f);
            }
        }
        ExprVal::Math(m) => {
            calls_in(&m.lhs, f);
            calls_in(&m.rhs, f);
        }
        ExprVal::Logic(l) => {
            calls_in(&l.lhs, f);
            calls_in(&l.rhs, f);
        }
        ExprVal::In(i) => {
            calls_in(&i.lhs, f);
            calls_in(&i.rhs, f);
        }
        ExprVal::Test(t) => t.args.iter().for_each(|e| calls_in(e, f)),
        ExprVal::MacroCall(m) => m.args.values().for_each(|e| calls_in(e, f)),
        ExprVal::Array(items) => items.iter().for_each(|e| calls_in(e, f)),
        ExprVal::StringConcat(_)
        | ExprVal::Ident(_)
        | ExprVal::String(_)
        | ExprVal::Int(_)
        | ExprVal::Float(_)
        | ExprVal::Bool(_) => {}
    }
}

/// Reads Markdown that is not a template: only its front matter is taken
/// apart, and nothing in it is evaluated.
pub fn plain(name: &str, source: &str) -> Result<Rendered, TemplateError> {
    let split = front_matter::split(source).map_err(|source| TemplateError::FrontMatter {
        template: name.to_owned(),
        source,
    })?;
    rendered(name, split.body, |key| {
        split.fields.get(key).map(|f| f.value.clone())
    })
}

/// The result of a template from its Markdown and its front matter values.
fn rendered(
    template: &str,
    markdown: String,
    field: impl Fn(&str) -> Option<String>,
) -> Result<Rendered, TemplateError> {
    let take = |key: &str| field(key).filter(|v| !v.is_empty());
    let paper = match take("paper") {
        None => None,
        Some(p) => Some(Paper::parse(&p).ok_or_else(|| TemplateError::Runtime {
            template: template.to_owned(),
            message: format!("paper `{p}` is neither a4 nor letter"),
        })?),
    };
    Ok(Rendered {
        metadata: Metadata {
            title: take("title"),
            author: take("author"),
            subject: take("subject"),
            date: take("date"),
            language: take("locale"),
            draft: false,
        },
        theme: take("theme"),
        paper,
        markdown,
    })
}
