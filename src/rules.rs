//! The owner's conditions, compiled once and evaluated per contact.
//!
//! Urgency tiers and route rows are written by the owner in CEL (the Common
//! Expression Language), a small, side-effect-free language with a
//! maintained Rust implementation. This module is the only place that knows
//! CEL exists: the rest of nightdesk sees a `Condition` and a `Variables`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, LazyLock};

use cel::common::value::{CowVal, Val};
use cel::{Context, Program, Value};

/// A compiled condition: the owner's text and the program it became.
#[derive(Clone)]
pub struct Condition {
    source: String,
    program: std::sync::Arc<Program>,
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Condition").field(&self.source).finish()
    }
}

/// Why a condition could not be compiled or evaluated.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("does not compile: {0}")]
    Compile(String),
    #[error("{0}")]
    Evaluate(String),
    #[error("gives {0}, not true or false")]
    NotBoolean(String),
}

/// A value the conditions can read.
#[derive(Debug, Clone, PartialEq)]
pub enum Var {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

/// The named values one contact offers its conditions.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    /// Most names are the catalogue's own `&'static str`: borrowed, not
    /// copied, since a triage sets a few hundred.
    values: BTreeMap<Cow<'static, str>, Var>,
}

impl Variables {
    pub fn set(&mut self, name: impl Into<Cow<'static, str>>, value: Var) {
        self.values.insert(name.into(), value);
    }

    pub fn bool(&mut self, name: impl Into<Cow<'static, str>>, value: bool) {
        self.set(name, Var::Bool(value));
    }

    pub fn get(&self, name: &str) -> Option<&Var> {
        self.values.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(|k| k.as_ref())
    }

    /// An interpreter context that reads these variables through a
    /// resolver: only the names a condition uses are looked up and turned
    /// into CEL values, instead of every variable for every context.
    fn context(&self) -> Context<'_, '_> {
        // The standard library's functions are registered once per process:
        // building them for every evaluation was a fifth of a triage.
        static STDLIB: LazyLock<Arc<cel::Env>> = LazyLock::new(|| Arc::new(cel::Env::stdlib()));
        let mut context = Context::with_env(STDLIB.clone());
        context.set_variable_resolver(self);
        context
    }
}

impl cel::context::VariableResolver for Variables {
    fn resolve<'b>(&'b self, name: &str) -> Option<CowVal<'b, 'b>> {
        let value = match self.values.get(name)? {
            Var::Bool(b) => Value::Bool(*b),
            Var::Int(i) => Value::Int(*i),
            Var::Float(x) => Value::Float(*x),
            Var::Text(s) => Value::String(Arc::new(s.clone())),
        };
        let value: Box<dyn Val> = value.try_into().ok()?;
        Some(CowVal::Owned(value))
    }
}

impl Condition {
    /// Compiles the owner's text.
    ///
    /// # Errors
    ///
    /// `Error::Compile` with the parser's message when the text is not CEL.
    pub fn compile(source: &str) -> Result<Condition, Error> {
        let program = Program::compile(source).map_err(|e| {
            let text = e.to_string();
            Error::Compile(
                text.lines()
                    .next()
                    .unwrap_or("")
                    .replace("ERROR: <input>:", "at "),
            )
        })?;
        Ok(Condition {
            source: source.to_string(),
            program: std::sync::Arc::new(program),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The variables the condition reads, for checking them against the
    /// names nightdesk provides.
    pub fn variables(&self) -> Vec<String> {
        self.program
            .references()
            .variables()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// Whether the condition is the literal `true`: a route row after it can
    /// never be reached.
    pub fn is_always_true(&self) -> bool {
        self.source.trim() == "true"
    }

    /// The top-level `&&` parts of the condition, as normalised text. A row
    /// whose parts include every part of an earlier row can never match.
    pub fn conjuncts(&self) -> Vec<String> {
        split_top_level(&self.source, "&&")
            .into_iter()
            .map(|part| {
                strip_parens(part)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// Evaluates the condition.
    ///
    /// # Errors
    ///
    /// `Error::Evaluate` when it reads a name that is not set or mixes types;
    /// `Error::NotBoolean` when it gives anything but true or false.
    pub fn eval(&self, variables: &Variables) -> Result<bool, Error> {
        self.eval_in(&variables.context())
    }

    fn eval_in(&self, context: &Context<'_, '_>) -> Result<bool, Error> {
        match self.program.execute(context) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(Error::NotBoolean(format!("{other:?}"))),
            Err(e) => Err(Error::Evaluate(e.to_string())),
        }
    }
}

/// Evaluates many conditions against one set of variables, building the
/// interpreter's context once.
pub struct Evaluator<'v> {
    context: Context<'v, 'v>,
}

impl<'v> Evaluator<'v> {
    pub fn new(variables: &'v Variables) -> Evaluator<'v> {
        Evaluator {
            context: variables.context(),
        }
    }

    /// # Errors
    ///
    /// As [`Condition::eval`].
    pub fn eval(&self, condition: &Condition) -> Result<bool, Error> {
        condition.eval_in(&self.context)
    }
}

/// Splits `text` on `op` where it is not inside parentheses or quotes.
fn split_top_level<'a>(text: &'a str, op: &str) -> Vec<&'a str> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let (mut depth, mut quote, mut start, mut i) = (0i32, None::<u8>, 0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'(' => depth += 1,
            None if b == b')' => depth -= 1,
            None if depth == 0 && text[i..].starts_with(op) => {
                parts.push(text[start..i].trim());
                i += op.len();
                start = i;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    parts.push(text[start..].trim());
    parts
}

/// Drops parentheses that wrap the whole of `text`, however deep, but not
/// the two of `(a) || (b)`, which belong to different groups.
fn strip_parens(text: &str) -> &str {
    let t = text.trim();
    if t.starts_with('(') && t.ends_with(')') && closing_paren(t) == Some(t.len() - 1) {
        strip_parens(&t[1..t.len() - 1])
    } else {
        t
    }
}

/// Where the parenthesis that opens `text` closes, skipping quoted text.
fn closing_paren(text: &str) -> Option<usize> {
    let (mut depth, mut quote) = (0i32, None::<u8>);
    for (i, b) in text.bytes().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'(' => depth += 1,
            None if b == b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            None => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Variables {
        let mut v = Variables::default();
        v.bool("no_heat", true);
        v.set("outdoor_temp_f", Var::Float(-0.04));
        v.set("urgency", Var::Int(70));
        v.set("trade", Var::Text("hvac".into()));
        v
    }

    #[test]
    fn evaluates_mixed_numbers_and_text() {
        let check = |src: &str, want: bool| {
            let c = Condition::compile(src).unwrap();
            assert_eq!(c.eval(&vars()).unwrap(), want, "{src}");
        };
        check("no_heat && outdoor_temp_f <= 0", true);
        check("urgency >= 70", true);
        check("trade == 'hvac' && !no_heat", false);
        check("trade in ['hvac', 'plumbing']", true);
    }

    #[test]
    fn reports_bad_text_and_unknown_names() {
        assert!(matches!(
            Condition::compile("no_heat &&"),
            Err(Error::Compile(_))
        ));
        let c = Condition::compile("no_hot && urgency > 1").unwrap();
        assert!(c.variables().contains(&"no_hot".to_string()));
        assert!(matches!(c.eval(&vars()), Err(Error::Evaluate(_))));
        assert!(matches!(
            Condition::compile("urgency + 1").unwrap().eval(&vars()),
            Err(Error::NotBoolean(_))
        ));
    }

    #[test]
    fn splits_conjuncts_outside_parentheses() {
        let c = Condition::compile("(a && b) && (c || d) && e").unwrap();
        assert_eq!(c.conjuncts(), vec!["a && b", "c || d", "e"]);
        let c = Condition::compile("(a) || (b)").unwrap();
        assert_eq!(c.conjuncts(), vec!["(a) || (b)"]);
    }
}
