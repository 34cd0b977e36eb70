//! Spec source files, positions in them, and the diagnostics that point at those positions.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};

/// The text of one spec file and the name it is reported under.
#[derive(Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<String>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<Self> {
        Arc::new(Self { name: name.into(), text: Arc::new(text.into()) })
    }

    /// The byte offset of a 1-based line and a 1-based, character-counted column.
    pub fn offset_of(&self, line: u64, column: u64) -> usize {
        let Some(line_start) = self.line_start(line) else { return self.text.len() };
        let rest = &self.text[line_start..];
        let within: usize = rest.chars().take(column.saturating_sub(1) as usize).map(char::len_utf8).sum();
        line_start + within
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    fn line_start(&self, line: u64) -> Option<usize> {
        if line <= 1 {
            return Some(0);
        }
        self.text.match_indices('\n').nth(line as usize - 2).map(|(i, _)| i + 1)
    }
}

/// A region of a spec file. Zero-length spans are fine: they point at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

impl Span {
    pub fn at(offset: usize, len: usize) -> Self {
        Self { offset, len }
    }
}

impl From<Span> for SourceSpan {
    fn from(span: Span) -> Self {
        SourceSpan::new(span.offset.into(), span.len)
    }
}

/// One problem in a spec file. Its `Display` starts with `file:line:col` so that plain logs and
/// editors can jump to it; `miette` renders the snippet with the label underneath.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{location}: {message}")]
pub struct SpecError {
    location: String,
    pub message: String,
    #[source_code]
    source_code: NamedSource<Arc<String>>,
    #[label("{label}")]
    span: SourceSpan,
    label: String,
    #[help]
    pub help: Option<String>,
}

impl SpecError {
    pub fn new(file: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        let (line, col) = file.line_col(span.offset);
        let message = message.into();
        Self {
            location: format!("{}:{line}:{col}", file.name),
            label: "here".into(),
            source_code: NamedSource::new(file.name.clone(), file.text.clone()).with_language("yaml"),
            span: span.into(),
            message,
            help: None,
        }
    }

    pub fn label(&mut self, label: impl Into<String>) -> &mut Self {
        self.label = label.into();
        self
    }

    pub fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    /// `file:line:col`, 1-based.
    pub fn location(&self) -> &str {
        &self.location
    }
}

/// Every problem found in one file, so a user fixes them in one pass.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{} has {} error{}", .file, .errors.len(), if .errors.len() == 1 { "" } else { "s" })]
pub struct SpecErrors {
    pub file: String,
    #[related]
    pub errors: Vec<SpecError>,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.offset, self.offset + self.len)
    }
}

pub use crate::suggest::did_you_mean;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_positions_round_trip() {
        let file = SourceFile::new("x.yaml", "a: 1\nbé: 2\nc: 3\n");
        let offset = file.offset_of(2, 3);
        assert_eq!(&file.text[offset..offset + 1], ":");
        assert_eq!(file.line_col(offset), (2, 3));
        assert_eq!(file.offset_of(1, 1), 0);
    }

    #[test]
    fn error_display_starts_with_location() {
        let file = SourceFile::new("specs/a.yaml", "id: a\ntitel: x\n");
        let err = SpecError::new(&file, Span::at(6, 5), "unknown key `titel`");
        assert_eq!(err.to_string(), "specs/a.yaml:2:1: unknown key `titel`");
    }

    #[test]
    fn suggests_only_close_words() {
        assert_eq!(did_you_mean("SendMesage", ["SendMessage", "DeleteQueue"]), Some("SendMessage"));
        assert_eq!(did_you_mean("zzz", ["SendMessage"]), None);
    }
}
