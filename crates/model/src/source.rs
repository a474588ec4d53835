//! The spec text and the mapping from byte offsets to lines and columns.

use crate::diagnostic::{Diagnostic, Location, Span};

/// The format a spec is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// HCL, the default (`tierform.hcl`).
    Hcl,
    /// JSON with the same structure (`tierform.json`).
    Json,
}

impl Format {
    /// Guesses the format from a file name: `.json` is JSON, anything else HCL.
    pub fn from_file_name(name: &str) -> Format {
        if name.to_ascii_lowercase().ends_with(".json") {
            Format::Json
        } else {
            Format::Hcl
        }
    }
}

/// A spec's text with its name, able to turn spans into locations.
#[derive(Debug, Clone)]
pub struct Source {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

impl Source {
    /// Wraps a spec text; `name` is what diagnostics call the file.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            name: name.into(),
            text,
            line_starts,
        }
    }
    /// The file name given to [`Source::new`].
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }
    /// Line and column of a byte offset.
    pub fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Location {
            file: self.name.clone(),
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
    /// The source line (without its newline) holding a byte offset, for carets.
    pub fn line_text(&self, line: u32) -> &str {
        let i = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(i) else {
            return "";
        };
        let end = self
            .line_starts
            .get(i + 1)
            .map_or(self.text.len(), |e| e - 1);
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches('\r')
    }
    /// Fills in the location of a diagnostic from its span.
    pub fn locate(&self, mut d: Diagnostic) -> Diagnostic {
        if d.location.is_none() {
            if let Some(Span { start, .. }) = d.span {
                d.location = Some(self.location(start as usize));
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns() {
        let s = Source::new("f.hcl", "ab\ncdé\nx");
        assert_eq!(s.location(0).to_string(), "f.hcl:1:1");
        assert_eq!(s.location(4).to_string(), "f.hcl:2:2");
        assert_eq!(s.location(8).to_string(), "f.hcl:3:1");
        assert_eq!(s.line_text(2), "cdé");
    }
}
