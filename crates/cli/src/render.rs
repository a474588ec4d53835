//! Diagnostics as prose for a terminal: `file:line:column`, the source line with a caret, and
//! the hint. Colour only on a terminal and never under `NO_COLOR`.

use std::fmt::Write as _;

use tierform_model::{Diagnostic, Diagnostics, Severity, Source};

/// Terminal styling, decided once per stream.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Colour when `is_tty` and `NO_COLOR` is unset or empty.
    pub fn detect(is_tty: bool) -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: is_tty && !no_color,
        }
    }
    /// No colour at all.
    #[cfg(test)]
    pub fn plain() -> Style {
        Style { color: false }
    }
    /// Wraps `text` in an ANSI colour (`31` red, `32` green, `33` yellow, `34` blue, `1` bold).
    pub fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Renders every diagnostic, then a one-line summary.
pub fn diagnostics(ds: &Diagnostics, source: Option<&Source>, style: Style) -> String {
    let mut out = String::new();
    for d in ds.iter() {
        out.push_str(&diagnostic(d, source, style));
        out.push('\n');
    }
    let errors = ds.iter().filter(|d| d.is_error()).count();
    let warnings = ds.0.len() - errors;
    if errors > 0 {
        let _ = writeln!(
            out,
            "{}",
            style.paint(
                "1",
                &format!(
                    "{errors} error{} found; nothing was written",
                    plural(errors)
                )
            )
        );
    } else if warnings > 0 {
        let _ = writeln!(out, "{warnings} warning{}", plural(warnings));
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Renders one diagnostic.
pub fn diagnostic(d: &Diagnostic, source: Option<&Source>, style: Style) -> String {
    let (label, code) = match d.severity {
        Severity::Error => ("error", "31;1"),
        Severity::Warning => ("warning", "33;1"),
    };
    let mut out = format!(
        "{}: {}\n",
        style.paint(code, &format!("{label}[{}]", d.code)),
        style.paint("1", &d.message)
    );
    match &d.location {
        Some(loc) => {
            let _ = writeln!(out, "  {} {loc}", style.paint("34", "-->"));
            let text = source
                .filter(|s| s.name() == loc.file)
                .map(|s| s.line_text(loc.line));
            if let Some(text) = text.filter(|t| !t.is_empty()) {
                let gutter = loc.line.to_string();
                let pad = " ".repeat(gutter.len());
                let width = d
                    .span
                    .map(|s| {
                        let start = (loc.column as usize).saturating_sub(1);
                        let len = (s.end.saturating_sub(s.start)) as usize;
                        text.chars().skip(start).take(len.max(1)).count().max(1)
                    })
                    .unwrap_or(1);
                let shown: String = text.chars().take(200).collect();
                let _ = writeln!(out, "{pad} {}", style.paint("34", "|"));
                let _ = writeln!(
                    out,
                    "{} {} {shown}",
                    style.paint("34", &gutter),
                    style.paint("34", "|")
                );
                let caret = format!(
                    "{}{}",
                    " ".repeat((loc.column as usize).saturating_sub(1).min(200)),
                    "^".repeat(width.min(80))
                );
                let _ = writeln!(
                    out,
                    "{pad} {} {}",
                    style.paint("34", "|"),
                    style.paint(code, &caret)
                );
            }
            if !d.path.is_empty() {
                let _ = writeln!(out, "  = at: {}", d.path);
            }
        }
        None if !d.path.is_empty() => {
            let _ = writeln!(out, "  {} {}", style.paint("34", "-->"), d.path);
        }
        None => {}
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "  = {}: {help}", style.paint("1", "help"));
    }
    if !d.environments.is_empty() {
        let shown: Vec<&str> = d.environments.iter().take(8).map(String::as_str).collect();
        let more = d.environments.len().saturating_sub(shown.len());
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let _ = writeln!(out, "  = in: {}{tail}", shown.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tierform_model::{FieldPath, Span};

    #[test]
    fn renders_location_caret_and_help() {
        let src = Source::new("t.hcl", "a = 1\nbad_key = 2\n");
        let d = src.locate(
            Diagnostic::error(
                "unknown-attribute",
                FieldPath::parse("bad_key"),
                "unknown attribute `bad_key`",
            )
            .with_span(Some(Span { start: 6, end: 13 }))
            .with_help("did you mean `good_key`?"),
        );
        let text = diagnostic(&d, Some(&src), Style::plain());
        assert_eq!(
            text,
            "error[unknown-attribute]: unknown attribute `bad_key`\n  --> t.hcl:2:1\n  |\n2 | bad_key = 2\n  | ^^^^^^^\n  = at: bad_key\n  = help: did you mean `good_key`?\n"
        );
    }
}
