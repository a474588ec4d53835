//! Errors as data: every problem tierform finds in a spec is a [`Diagnostic`] with a location,
//! a field path and, where we know one, a hint. Rendering them is the binary's job.

use std::fmt;

/// A byte range in the spec source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Byte offset of the first character.
    pub start: u32,
    /// Byte offset one past the last character.
    pub end: u32,
}

impl Span {
    /// A span from a byte range (offsets past `u32::MAX` are clamped; specs are far smaller).
    pub fn new(range: std::ops::Range<usize>) -> Span {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            start: clamp(range.start),
            end: clamp(range.end),
        }
    }
}

/// A human position in a file: 1-based line and column (column counted in characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub struct Location {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl Location {
    /// A position: `file`, 1-based `line` and `column` (in characters).
    pub fn new(file: impl Into<String>, line: u32, column: u32) -> Location {
        Location {
            file: file.into(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The spec cannot be used as written.
    Error,
    /// The spec works, but probably not as intended.
    Warning,
}

/// A dotted path into the spec, such as `service.api.health_check.path`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(pub Vec<String>);

impl FieldPath {
    /// Parses `a.b.c` (segments may not contain dots).
    pub fn parse(text: &str) -> FieldPath {
        FieldPath(
            text.split('.')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }
    /// This path with one more segment.
    pub fn join(&self, segment: impl Into<String>) -> FieldPath {
        let mut v = self.0.clone();
        v.push(segment.into());
        FieldPath(v)
    }
    /// The segments as string slices.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
    /// Whether the path has no segment.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

/// One problem found in a spec. Build one with [`Diagnostic::error`] or
/// [`Diagnostic::warning`]; fields may be added.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable, greppable code such as `unknown-attribute` (documented in the invalid corpus).
    /// A code never changes meaning, but new codes come with new checks: match on the ones
    /// you handle and keep a fallback.
    pub code: &'static str,
    /// Where in the spec file, when the problem has a position.
    pub location: Option<Location>,
    /// The byte range of [`Diagnostic::location`], for carets.
    pub span: Option<Span>,
    /// The field the problem is about; always set when `location` is not.
    pub path: FieldPath,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The environments this applies to (empty: the spec as a whole).
    pub environments: Vec<String>,
}

impl Diagnostic {
    /// An error about `path`.
    pub fn error(code: &'static str, path: FieldPath, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            location: None,
            span: None,
            path,
            message: message.into(),
            help: None,
            environments: Vec::new(),
        }
    }
    /// A warning about `path`.
    pub fn warning(code: &'static str, path: FieldPath, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, path, message)
        }
    }
    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
    /// Sets the span (the location is filled in by [`crate::Source::locate`]).
    pub fn with_span(mut self, span: Option<Span>) -> Diagnostic {
        if self.span.is_none() {
            self.span = span;
        }
        self
    }
    /// Whether this is an error (not a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.location {
            Some(loc) => write!(f, "{loc}: {sev}[{}]: {}", self.code, self.message)?,
            None => write!(f, "{sev}[{}]: {}: {}", self.code, self.path, self.message)?,
        }
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

/// All diagnostics of one phase. A phase that produced any error stops the pipeline; warnings
/// ride along with a successful result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    /// Sorts by position and removes duplicates (the same base-spec problem is found once per
    /// environment; users want to read it once, with the environments it affects).
    pub fn normalize(&mut self) {
        let mut merged: Vec<Diagnostic> = Vec::new();
        let mut all = std::mem::take(&mut self.0);
        all.sort_by(|a, b| {
            (a.span, &a.path, a.code, &a.message).cmp(&(b.span, &b.path, b.code, &b.message))
        });
        for d in all {
            match merged.last_mut() {
                Some(last)
                    if last.span == d.span
                        && last.code == d.code
                        && last.message == d.message
                        && last.path == d.path =>
                {
                    for e in d.environments {
                        if !last.environments.contains(&e) {
                            last.environments.push(e);
                        }
                    }
                }
                _ => merged.push(d),
            }
        }
        merged.sort_by_key(|d| (d.severity, d.span.map(|s| s.start).unwrap_or(u32::MAX)));
        self.0 = merged;
    }
    /// The diagnostics.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl std::error::Error for Diagnostic {}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

/// The closest candidate to `word` by edit distance, for "did you mean" hints.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let c = ["instance_class", "engine", "engine_version"];
        assert_eq!(did_you_mean("instnce_class", c), Some("instance_class"));
        assert_eq!(did_you_mean("engine_vrsion", c), Some("engine_version"));
        assert_eq!(did_you_mean("completely_else", c), None);
    }

    #[test]
    fn normalize_merges_environments_of_one_problem() {
        let mut ds = Diagnostics::default();
        for env in ["a", "b"] {
            let mut d = Diagnostic::error("x", FieldPath::parse("p"), "m");
            d.environments.push(env.into());
            ds.push(d);
        }
        ds.normalize();
        assert_eq!(ds.0.len(), 1);
        assert_eq!(ds.0[0].environments, ["a", "b"]);
    }
}
