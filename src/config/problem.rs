//! A problem in the owner's config, said the way a compiler says it:
//! `file:line:column: what is wrong`, then how to fix it.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub severity: Severity,
    pub message: String,
    pub help: String,
}

impl Problem {
    /// A problem at byte `offset` of `text`, the contents of `file`.
    pub fn at(file: &str, text: &str, offset: usize, message: String, help: String) -> Problem {
        let (line, column) = line_column(text, offset);
        Problem {
            file: file.to_string(),
            line,
            column,
            severity: Severity::Error,
            message,
            help,
        }
    }

    pub fn warning(mut self) -> Problem {
        self.severity = Severity::Warning;
        self
    }
}

/// One-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        write!(
            f,
            "{}:{}:{}: {kind}{}",
            self.file, self.line, self.column, self.message
        )?;
        if !self.help.is_empty() {
            write!(f, "\n  help: {}", self.help)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_columns_from_one() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
        let p = Problem::at(
            "x.toml",
            "a = 1\nlane = \"emergncy\"",
            13,
            "unknown lane".into(),
            "".into(),
        );
        assert_eq!(p.to_string(), "x.toml:2:8: unknown lane");
    }
}
