//! The rule language: a small boolean expression over the document
//! context. It chooses a clause variant and selects a segment's records,
//! and is checked when it is saved.
//!
//! ```text
//! rule    = or
//! or      = and { "or" and }
//! and     = unary { "and" unary }
//! unary   = "not" unary | "(" or ")" | test
//! test    = path "is" ["not"] "blank"
//!         | path op value
//!         | path ["not"] "in" "[" value { "," value } "]"
//! op      = "==" | "!=" | "<" | "<=" | ">" | ">="
//! value   = "text" | 'text' | number | true | false
//! path    = name { "." name }      (a segment of digits indexes a list)
//! ```
//!
//! Blank (missing, `null`, empty text or list) never equals anything and
//! never compares; text compares trimmed and case-insensitively; a number
//! compares as a decimal (`"250000.00" == 250000`); a list (a multi-choice
//! answer) equals a value when any of its items does. Text orders as text,
//! so ISO dates order as dates.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

/// The longest rule, in characters.
pub const MAX_RULE_CHARS: usize = 1000;
/// How deep parentheses and `not` may nest.
const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct RuleError {
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Text(String),
    Number(Decimal),
    Bool(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    Or(Box<Rule>, Box<Rule>),
    And(Box<Rule>, Box<Rule>),
    Not(Box<Rule>),
    Blank(String),
    Compare(String, Op, Literal),
    In(String, Vec<Literal>),
}

impl Rule {
    pub fn parse(source: &str) -> Result<Rule, RuleError> {
        if source.chars().count() > MAX_RULE_CHARS {
            return Err(RuleError {
                column: MAX_RULE_CHARS + 1,
                message: format!("a rule is at most {MAX_RULE_CHARS} characters long"),
            });
        }
        let tokens = lex(source)?;
        if tokens.is_empty() {
            return Err(RuleError {
                column: 1,
                message: "the rule is empty".to_owned(),
            });
        }
        let mut parser = Parser {
            tokens,
            at: 0,
            end: source.chars().count() + 1,
            depth: 0,
        };
        let rule = parser.or()?;
        match parser.peek() {
            None => Ok(rule),
            Some((token, column)) => Err(RuleError {
                column,
                message: format!("unexpected {} after the end of the rule", token.describe()),
            }),
        }
    }

    /// Whether the rule holds for `context`.
    pub fn evaluate(&self, context: &Value) -> bool {
        match self {
            Rule::Or(a, b) => a.evaluate(context) || b.evaluate(context),
            Rule::And(a, b) => a.evaluate(context) && b.evaluate(context),
            Rule::Not(r) => !r.evaluate(context),
            Rule::Blank(path) => is_blank(lookup(context, path)),
            Rule::Compare(path, op, literal) => {
                let value = lookup(context, path);
                match op {
                    Op::Eq => equals(value, literal),
                    Op::Ne => !equals(value, literal),
                    _ => !is_blank(value) && orders(value, *op, literal),
                }
            }
            Rule::In(path, list) => {
                let value = lookup(context, path);
                list.iter().any(|literal| equals(value, literal))
            }
        }
    }

    /// The context paths the rule reads, each once, in order.
    pub fn paths(&self) -> Vec<String> {
        let mut paths = Vec::new();
        self.collect(&mut paths);
        paths
    }

    fn collect(&self, paths: &mut Vec<String>) {
        match self {
            Rule::Or(a, b) | Rule::And(a, b) => {
                a.collect(paths);
                b.collect(paths);
            }
            Rule::Not(r) => r.collect(paths),
            Rule::Blank(p) | Rule::Compare(p, ..) | Rule::In(p, _) => {
                if !paths.contains(p) {
                    paths.push(p.clone());
                }
            }
        }
    }
}

impl FromStr for Rule {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Rule, RuleError> {
        Rule::parse(s)
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Text(t) => write!(f, "\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\"")),
            Literal::Number(n) => write!(f, "{n}"),
            Literal::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A side binding more loosely than its parent is parenthesised.
        let side = |f: &mut fmt::Formatter<'_>, r: &Rule, parent: u8| {
            if r.precedence() < parent {
                write!(f, "({r})")
            } else {
                write!(f, "{r}")
            }
        };
        match self {
            Rule::Or(a, b) => {
                side(f, a, 1)?;
                f.write_str(" or ")?;
                side(f, b, 2)
            }
            Rule::And(a, b) => {
                side(f, a, 2)?;
                f.write_str(" and ")?;
                side(f, b, 3)
            }
            Rule::Not(r) => {
                f.write_str("not ")?;
                side(f, r, 3)
            }
            Rule::Blank(p) => write!(f, "{p} is blank"),
            Rule::Compare(p, op, l) => {
                let op = match op {
                    Op::Eq => "==",
                    Op::Ne => "!=",
                    Op::Lt => "<",
                    Op::Le => "<=",
                    Op::Gt => ">",
                    Op::Ge => ">=",
                };
                write!(f, "{p} {op} {l}")
            }
            Rule::In(p, list) => {
                let items: Vec<String> = list.iter().map(ToString::to_string).collect();
                write!(f, "{p} in [{}]", items.join(", "))
            }
        }
    }
}

impl Rule {
    fn precedence(&self) -> u8 {
        match self {
            Rule::Or(..) => 1,
            Rule::And(..) => 2,
            _ => 3,
        }
    }
}

/// The value at `path` (`account.country`, `contacts.0.email`).
pub fn lookup<'a>(context: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(context, |value, segment| match value {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
}

/// Missing, `null`, empty (or blank) text, or an empty list.
pub fn is_blank(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(items)) => items.is_empty(),
        Some(_) => false,
    }
}

fn equals(value: Option<&Value>, literal: &Literal) -> bool {
    match value {
        _ if is_blank(value) => false,
        Some(Value::Array(items)) => items.iter().any(|v| equals(Some(v), literal)),
        Some(v) => match literal {
            Literal::Text(t) => {
                text_of(v).is_some_and(|s| s.to_lowercase() == t.trim().to_lowercase())
            }
            Literal::Number(n) => number_of(v).is_some_and(|x| x == *n),
            Literal::Bool(b) => match v {
                Value::Bool(x) => x == b,
                Value::String(s) => {
                    s.trim()
                        .eq_ignore_ascii_case(if *b { "true" } else { "false" })
                }
                _ => false,
            },
        },
        None => false,
    }
}

fn orders(value: Option<&Value>, op: Op, literal: &Literal) -> bool {
    let ordering = match (value, literal) {
        (Some(v), Literal::Number(n)) => number_of(v).map(|x| x.cmp(n)),
        (Some(v), Literal::Text(t)) => text_of(v).map(|s| s.as_str().cmp(t.trim())),
        _ => None,
    };
    ordering.is_some_and(|o| match op {
        Op::Lt => o == Ordering::Less,
        Op::Le => o != Ordering::Greater,
        Op::Gt => o == Ordering::Greater,
        Op::Ge => o != Ordering::Less,
        Op::Eq | Op::Ne => false,
    })
}

/// A scalar as trimmed text.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A number, or text that is one; JSON numbers go through their text so
/// 0.1 stays 0.1.
fn number_of(value: &Value) -> Option<Decimal> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Name(String),
    Text(String),
    Number(Decimal),
    Op(Op),
    Open,
    Close,
    OpenList,
    CloseList,
    Comma,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Name(n) => format!("`{n}`"),
            Token::Text(t) => format!("\"{t}\""),
            Token::Number(n) => format!("{n}"),
            Token::Op(_) => "an operator".to_owned(),
            Token::Open => "`(`".to_owned(),
            Token::Close => "`)`".to_owned(),
            Token::OpenList => "`[`".to_owned(),
            Token::CloseList => "`]`".to_owned(),
            Token::Comma => "`,`".to_owned(),
        }
    }
}

fn lex(source: &str) -> Result<Vec<(Token, usize)>, RuleError> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let error = |column: usize, message: String| RuleError { column, message };
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let (token, width) = match (c, two.as_str()) {
            (_, "==") => (Token::Op(Op::Eq), 2),
            (_, "!=") => (Token::Op(Op::Ne), 2),
            (_, "<=") => (Token::Op(Op::Le), 2),
            (_, ">=") => (Token::Op(Op::Ge), 2),
            ('<', _) => (Token::Op(Op::Lt), 1),
            ('>', _) => (Token::Op(Op::Gt), 1),
            ('=', _) => {
                return Err(error(
                    column,
                    "unknown operator =; use == to compare".into(),
                ));
            }
            ('(', _) => (Token::Open, 1),
            (')', _) => (Token::Close, 1),
            ('[', _) => (Token::OpenList, 1),
            (']', _) => (Token::CloseList, 1),
            (',', _) => (Token::Comma, 1),
            ('"' | '\'', _) => {
                let mut text = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(error(column, "this quoted text is never closed".into()));
                        }
                        Some('\\') => match chars.get(j + 1) {
                            Some(e @ ('"' | '\'' | '\\')) => {
                                text.push(*e);
                                j += 2;
                            }
                            _ => {
                                return Err(error(
                                    j + 1,
                                    "a backslash escapes only \", ' and \\".into(),
                                ));
                            }
                        },
                        Some(q) if *q == c => break,
                        Some(other) => {
                            text.push(*other);
                            j += 1;
                        }
                    }
                }
                (Token::Text(text), j + 1 - i)
            }
            _ if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let mut j = i + 1;
                while chars
                    .get(j)
                    .is_some_and(|d| d.is_ascii_digit() || *d == '.')
                {
                    j += 1;
                }
                let text: String = chars[i..j].iter().collect();
                let number = Decimal::from_str(&text)
                    .map_err(|_| error(column, format!("`{text}` is not a number")))?;
                (Token::Number(number), j - i)
            }
            _ if c.is_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while chars
                    .get(j)
                    .is_some_and(|d| d.is_alphanumeric() || *d == '_' || *d == '.')
                {
                    j += 1;
                }
                (Token::Name(chars[i..j].iter().collect()), j - i)
            }
            _ => return Err(error(column, format!("unexpected character `{c}`"))),
        };
        tokens.push((token, column));
        i += width;
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    at: usize,
    /// The column just past the rule, where "end of rule" is.
    end: usize,
    depth: usize,
}

const KEYWORDS: [&str; 8] = ["and", "or", "not", "in", "is", "blank", "true", "false"];

impl Parser {
    fn peek(&self) -> Option<(&Token, usize)> {
        self.tokens.get(self.at).map(|(t, c)| (t, *c))
    }

    fn next_is(&self, word: &str) -> bool {
        matches!(self.peek(), Some((Token::Name(n), _)) if n == word)
    }

    fn found(&self) -> (usize, String) {
        match self.peek() {
            Some((t, c)) => (c, t.describe()),
            None => (self.end, "the end of the rule".to_owned()),
        }
    }

    fn expected(&self, what: &str) -> RuleError {
        let (column, found) = self.found();
        RuleError {
            column,
            message: format!("expected {what}, found {found}"),
        }
    }

    fn deeper(&mut self) -> Result<(), RuleError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let (column, _) = self.found();
            return Err(RuleError {
                column,
                message: format!("the rule nests deeper than {MAX_DEPTH} levels"),
            });
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Rule, RuleError> {
        let mut rule = self.and()?;
        while self.next_is("or") {
            self.at += 1;
            rule = Rule::Or(Box::new(rule), Box::new(self.and()?));
        }
        Ok(rule)
    }

    fn and(&mut self) -> Result<Rule, RuleError> {
        let mut rule = self.unary()?;
        while self.next_is("and") {
            self.at += 1;
            rule = Rule::And(Box::new(rule), Box::new(self.unary()?));
        }
        Ok(rule)
    }

    fn unary(&mut self) -> Result<Rule, RuleError> {
        if self.next_is("not") {
            self.at += 1;
            self.deeper()?;
            let rule = Rule::Not(Box::new(self.unary()?));
            self.depth -= 1;
            return Ok(rule);
        }
        if let Some((Token::Open, _)) = self.peek() {
            self.at += 1;
            self.deeper()?;
            let rule = self.or()?;
            self.depth -= 1;
            return match self.peek() {
                Some((Token::Close, _)) => {
                    self.at += 1;
                    Ok(rule)
                }
                _ => Err(self.expected("`)`")),
            };
        }
        self.test()
    }

    fn test(&mut self) -> Result<Rule, RuleError> {
        let path = match self.peek() {
            Some((Token::Name(n), column)) => {
                if KEYWORDS.contains(&n.as_str()) {
                    return Err(RuleError {
                        column,
                        message: format!(
                            "expected a field path such as account.country, found `{n}`"
                        ),
                    });
                }
                if n.split('.').any(str::is_empty) || n.ends_with('.') {
                    return Err(RuleError {
                        column,
                        message: format!("`{n}` is not a field path such as account.country"),
                    });
                }
                n.clone()
            }
            _ => return Err(self.expected("a field path such as account.country")),
        };
        self.at += 1;
        if self.next_is("is") {
            self.at += 1;
            let negated = self.next_is("not");
            if negated {
                self.at += 1;
            }
            if !self.next_is("blank") {
                return Err(self.expected("`blank`"));
            }
            self.at += 1;
            let rule = Rule::Blank(path);
            return Ok(if negated {
                Rule::Not(Box::new(rule))
            } else {
                rule
            });
        }
        let negated = self.next_is("not");
        if negated {
            self.at += 1;
            if !self.next_is("in") {
                return Err(self.expected("`in` after `not`"));
            }
        }
        if self.next_is("in") {
            self.at += 1;
            let rule = Rule::In(path, self.list()?);
            return Ok(if negated {
                Rule::Not(Box::new(rule))
            } else {
                rule
            });
        }
        let op = match self.peek() {
            Some((Token::Op(op), _)) => *op,
            _ => return Err(self.expected("an operator (==, !=, <, <=, >, >=, in, is blank)")),
        };
        self.at += 1;
        let (column, _) = self.found();
        let literal = self.literal(&format!("{} after the operator", VALUE))?;
        if let (Literal::Bool(_), Op::Lt | Op::Le | Op::Gt | Op::Ge) = (&literal, op) {
            return Err(RuleError {
                column,
                message: "true and false cannot be ordered; use == or !=".to_owned(),
            });
        }
        Ok(Rule::Compare(path, op, literal))
    }

    fn list(&mut self) -> Result<Vec<Literal>, RuleError> {
        match self.peek() {
            Some((Token::OpenList, _)) => self.at += 1,
            _ => return Err(self.expected("`[` to start the list")),
        }
        let mut items = vec![self.literal(VALUE)?];
        loop {
            match self.peek() {
                Some((Token::Comma, _)) => {
                    self.at += 1;
                    items.push(self.literal(VALUE)?);
                }
                Some((Token::CloseList, _)) => {
                    self.at += 1;
                    return Ok(items);
                }
                _ => return Err(self.expected("`,` or `]`")),
            }
        }
    }

    fn literal(&mut self, what: &str) -> Result<Literal, RuleError> {
        let literal = match self.peek() {
            Some((Token::Text(t), _)) => Literal::Text(t.clone()),
            Some((Token::Number(n), _)) => Literal::Number(*n),
            Some((Token::Name(n), _)) if n == "true" => Literal::Bool(true),
            Some((Token::Name(n), _)) if n == "false" => Literal::Bool(false),
            _ => return Err(self.expected(what)),
        };
        self.at += 1;
        Ok(literal)
    }
}

const VALUE: &str = "a value (a \"quoted text\", a number, true or false)";

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn holds(rule: &str, context: &Value) -> bool {
        Rule::parse(rule)
            .unwrap_or_else(|e| panic!("{rule}: {e}"))
            .evaluate(context)
    }

    fn error(rule: &str) -> RuleError {
        Rule::parse(rule).expect_err(rule)
    }

    fn context() -> Value {
        json!({
            "account": {"country": "DE", "city": "MÜNCHEN", "employee_count": 250,
                        "answers": {"industry": "Public sector"}},
            "deal": {"amount": "250000.00", "currency": "EUR", "expected_close_date": "2026-12-15",
                     "answers": {"regions": ["EU", "US"], "pilot": true, "budget": null}},
            "contact": null,
            "contacts": [{"email": "a@example.com"}],
        })
    }

    #[test]
    fn text_compares_trimmed_and_without_case() {
        let c = context();
        assert!(holds("account.country == \"de\"", &c));
        assert!(holds("account.city == 'münchen'", &c));
        assert!(holds("account.country != 'US'", &c));
        assert!(holds("account.country in ['AT', 'DE', 'CH']", &c));
        assert!(holds("account.country not in ['US']", &c));
    }

    #[test]
    fn numbers_compare_as_decimals_across_scales() {
        let c = context();
        assert!(holds("deal.amount == 250000", &c));
        assert!(holds(
            "deal.amount > 100000 and deal.amount <= 250000.0",
            &c
        ));
        assert!(holds("account.employee_count >= 250", &c));
        assert!(!holds("deal.currency > 5", &c));
    }

    #[test]
    fn text_orders_so_iso_dates_order_as_dates() {
        assert!(holds(
            "deal.expected_close_date < \"2027-01-01\"",
            &context()
        ));
        assert!(!holds(
            "deal.expected_close_date > '2027-01-01'",
            &context()
        ));
    }

    #[test]
    fn a_list_matches_when_any_item_does() {
        let c = context();
        assert!(holds("deal.answers.regions == 'eu'", &c));
        assert!(!holds("deal.answers.regions != 'US'", &c));
        assert!(holds("deal.answers.regions in ['APAC', 'US']", &c));
    }

    #[test]
    fn a_blank_value_matches_nothing_but_is_blank() {
        let c = context();
        for path in [
            "deal.answers.budget",
            "contact.email",
            "account.nothing",
            "deal.answers.none",
        ] {
            assert!(holds(&format!("{path} is blank"), &c), "{path}");
            assert!(!holds(&format!("{path} == 'x'"), &c), "{path}");
            assert!(holds(&format!("{path} != 'x'"), &c), "{path}");
            assert!(!holds(&format!("{path} < 5"), &c), "{path}");
            assert!(!holds(&format!("{path} in ['x']"), &c), "{path}");
            assert!(holds(&format!("{path} not in ['x']"), &c), "{path}");
        }
        assert!(holds("contacts.0.email is not blank", &c));
        assert!(holds("contacts.1.email is blank", &c));
    }

    #[test]
    fn booleans_compare_with_true_and_false() {
        assert!(holds("deal.answers.pilot == true", &context()));
        assert!(holds("deal.answers.pilot != false", &context()));
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tighter_than_both() {
        let c = context();
        // a or (b and c): true although b and c is false.
        assert!(holds(
            "account.country == 'DE' or account.country == 'US' and deal.amount > 1",
            &c
        ));
        assert!(!holds(
            "(account.country == 'DE' or account.country == 'US') and deal.amount < 1",
            &c
        ));
        assert!(holds(
            "not account.country == 'US' and deal.currency == 'EUR'",
            &c
        ));
        assert!(holds("not (account.answers.industry == 'Retail')", &c));
    }

    #[test]
    fn mistakes_are_named_with_their_column() {
        for (rule, column, phrase) in [
            ("deal.amount = 5", 13, "use =="),
            ("deal.amount >", 14, "expected a value"),
            ("deal.amount", 12, "expected an operator"),
            ("(deal.amount > 5", 17, "expected `)`"),
            ("deal.amount > 5 and", 20, "expected a field path"),
            ("deal.amount > 5 foo", 17, "unexpected `foo`"),
            ("account.country == 'DE", 20, "never closed"),
            ("deal.pilot < true", 14, "cannot be ordered"),
            ("account.country in 'DE'", 20, "`[`"),
            ("account.country is empty", 20, "`blank`"),
            ("and == 1", 1, "field path"),
            ("deal.amount > 5 $", 17, "unexpected character"),
            ("   ", 1, "empty"),
        ] {
            let e = error(rule);
            assert_eq!(e.column, column, "{rule}: {e}");
            assert!(e.message.contains(phrase), "{rule}: {e}");
        }
    }

    #[test]
    fn long_and_deep_rules_are_refused() {
        let long = format!("deal.name == '{}'", "x".repeat(MAX_RULE_CHARS));
        assert!(error(&long).message.contains("at most"));
        let deep = format!("{}deal.amount > 1{}", "(".repeat(40), ")".repeat(40));
        assert!(error(&deep).message.contains("deeper"));
        let nots = format!("{}deal.amount > 1", "not ".repeat(40));
        assert!(error(&nots).message.contains("deeper"));
    }

    #[test]
    fn paths_are_listed_once_in_order() {
        let rule = Rule::parse(
            "account.country == 'DE' or deal.amount > 5 and account.country != 'AT' or deal.x is blank",
        )
        .unwrap();
        assert_eq!(
            rule.paths(),
            vec!["account.country", "deal.amount", "deal.x"]
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_is_refused_without_panicking(source in "[a-z._ =!<>()\\[\\],'\"0-9-]{0,120}") {
            if let Ok(rule) = Rule::parse(&source) {
                let printed = rule.to_string();
                proptest::prop_assert_eq!(Rule::parse(&printed).ok(), Some(rule));
            }
        }
    }

    #[test]
    fn a_rule_prints_as_it_reads_back() {
        for source in [
            "account.country == \"DE\"",
            "(a.b == 1 or a.c == 'x') and not (a.d is blank)",
            "a.b not in [\"x\", 2, true] or a.c <= -3.5",
            "not not a.b != \"q\\\"uote\"",
        ] {
            let rule = Rule::parse(source).unwrap();
            let printed = rule.to_string();
            assert_eq!(Rule::parse(&printed).unwrap(), rule, "{source} → {printed}");
        }
    }
}
