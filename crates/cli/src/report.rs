//! Parity reports as text (a terminal), Markdown (a pull-request comment) and JSON (tools).

use std::fmt::Write as _;

use serde_json::Value;
use tierform_model::parity::{Class, Difference, ExceptionUse, ParityReport, Relation, Verdict};

use crate::render::Style;

/// One side of a difference: an object's presence, or a field's value.
fn side(d: &Difference, v: &Option<Value>) -> String {
    match (d.path.is_empty(), v) {
        (true, Some(_)) => "(present)".into(),
        (true, None) => "(absent)".into(),
        (false, v) => show(v),
    }
}

fn show(v: &Option<Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(other) => {
            let s = other.to_string();
            if s.len() > 80 {
                format!(
                    "{}…",
                    &s[..s.char_indices().nth(77).map_or(s.len(), |(i, _)| i)]
                )
            } else {
                s
            }
        }
    }
}

fn field(d: &Difference) -> &str {
    if d.path.is_empty() {
        "(object)"
    } else {
        &d.path
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// How the two environments relate, in words.
fn relation(r: &ParityReport) -> String {
    match &r.relation {
        Relation::Mirrors { tier, mirrored } => {
            format!("tier `{tier}` mirrors `{mirrored}`")
        }
        Relation::SameTier { tier } => format!("both of tier `{tier}`: knobs only"),
        Relation::Indirect { chain } => format!(
            "tier {} through a chain of mirrors: compared without a verdict; `check` judges each step",
            chain
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(" mirrors ")
        ),
        _ => "no mirror relation: compared without a verdict".into(),
    }
}

/// The summary line of one pair, used by `check`.
pub fn summary(r: &ParityReport, style: Style) -> String {
    let c = &r.counts;
    let verdict = match r.verdict {
        Verdict::Holds => style.paint("32;1", "holds"),
        Verdict::Violated => style.paint("31;1", "VIOLATED"),
        Verdict::None => style.paint("1", "not judged"),
    };
    let mut parts = Vec::new();
    if r.verdict == Verdict::None {
        parts.push(plural(
            c.structural,
            "structural difference",
            "structural differences",
        ));
    } else {
        parts.push(plural(c.violations, "violation", "violations"));
        parts.push(format!(
            "{} excusing {}",
            plural(r.exceptions.len(), "exception", "exceptions"),
            plural(c.excepted, "difference", "differences")
        ));
        if c.unused_exceptions > 0 {
            parts.push(format!("{} excusing nothing", c.unused_exceptions));
        }
    }
    parts.push(format!(
        "{} from {}",
        plural(
            c.allowed + c.knob_objects,
            "emitted difference",
            "emitted differences"
        ),
        plural(c.knobs, "knob", "knobs")
    ));
    format!(
        "parity of {} against {} ({}): {verdict} ({}; {} vs {} objects)",
        r.b,
        r.a,
        relation(r),
        parts.join(", "),
        r.objects.1,
        r.objects.0
    )
}

type Pick = fn(&Class) -> bool;

/// The sections of a report, in order: title, colour, which differences.
const SECTIONS: [(&str, &str, Pick); 4] = [
    ("violations", "31;1", |c| *c == Class::Violation),
    ("structural differences (not judged)", "33;1", |c| {
        *c == Class::Structural
    }),
    ("objects added or removed by knobs", "32;1", |c| {
        *c == Class::KnobObject
    }),
    ("fields changed by knobs", "32;1", |c| *c == Class::Allowed),
];

fn differences_text(out: &mut String, items: &[&Difference], indent: usize, style: Style) {
    let mut component = "";
    for d in items {
        if d.component != component {
            component = &d.component;
            let _ = writeln!(out, "{:indent$}  {}", "", style.paint("1", component));
        }
        let _ = writeln!(
            out,
            "{:indent$}    {}  {}: {} -> {}",
            "",
            d.object,
            field(d),
            side(d, &d.a),
            side(d, &d.b)
        );
    }
}

fn excused_by<'r>(r: &'r ParityReport, e: &ExceptionUse) -> Vec<&'r Difference> {
    r.differences
        .iter()
        .filter(|d| matches!(&d.class, Class::Excepted { exception, .. } if *exception == e.path))
        .collect()
}

fn declared_at(e: &ExceptionUse) -> String {
    e.declared_at
        .as_ref()
        .map(|l| format!(" (declared at {l})"))
        .unwrap_or_default()
}

/// The non-empty sections among `sections`, each under its title.
fn sections_text(
    out: &mut String,
    r: &ParityReport,
    sections: &[(&str, &str, Pick)],
    style: Style,
) {
    for (title, color, pick) in sections {
        let items: Vec<&Difference> = r.differences.iter().filter(|d| pick(&d.class)).collect();
        if !items.is_empty() {
            let _ = writeln!(out, "\n{}", style.paint(color, &title.to_uppercase()));
            differences_text(out, &items, 0, style);
        }
    }
}

/// The full text report. `check` passes `failures_only` to print what fails and the
/// exceptions, without the knob-driven differences.
pub fn text(r: &ParityReport, style: Style, failures_only: bool) -> String {
    let mut out = summary(r, style);
    out.push('\n');
    let (violations, rest) = SECTIONS.split_at(2);
    sections_text(&mut out, r, violations, style);
    if !r.exceptions.is_empty() {
        let _ = writeln!(out, "\n{}", style.paint("33;1", "EXCEPTIONS"));
        for e in &r.exceptions {
            let _ = writeln!(out, "  `{}`{}: {}", e.path, declared_at(e), e.reason);
            if e.excuses == 0 {
                let _ = writeln!(
                    out,
                    "    {}",
                    style.paint(
                        "31;1",
                        "EXCUSES NOTHING: no emitted difference needs it; remove it"
                    )
                );
            } else {
                let _ = writeln!(
                    out,
                    "    excuses {}:",
                    plural(e.excuses, "difference", "differences")
                );
                differences_text(&mut out, &excused_by(r, e), 4, style);
            }
        }
    }
    if failures_only {
        return out;
    }
    sections_text(&mut out, r, rest, style);
    if !r.knobs.is_empty() {
        let _ = writeln!(out, "\n{}", style.paint("1", "KNOBS IN THE SPEC"));
        for k in &r.knobs {
            let _ = writeln!(
                out,
                "  {:<13} {}: {} -> {}{}",
                k.kind.as_str(),
                k.path,
                show(&Some(k.a.clone())),
                show(&Some(k.b.clone())),
                if k.adds_objects {
                    "  (may add or remove objects)"
                } else {
                    ""
                }
            );
        }
    }
    out
}

/// Text from a spec or an emitted value, made inert for a Markdown table cell of a
/// pull-request comment: every ASCII punctuation character is backslash-escaped (CommonMark
/// renders `\<` as `<`, so no HTML, link, emphasis or code span can start), `|` cannot end the
/// cell, and a line break cannot end the row.
pub(crate) fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn md_table(out: &mut String, r: &ParityReport, items: &[&Difference], reason: bool) {
    let _ = writeln!(
        out,
        "| Component | Object | Field | {} | {} |{}",
        md(&r.a),
        md(&r.b),
        if reason { " Exception | Reason |" } else { "" }
    );
    let _ = writeln!(
        out,
        "|---|---|---|---|---|{}",
        if reason { "---|---|" } else { "" }
    );
    for d in items {
        let why = match &d.class {
            Class::Excepted {
                exception,
                reason: r,
            } if reason => {
                format!(" {} | {} |", md(exception), md(r))
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |{why}",
            md(&d.component),
            md(&d.object),
            md(field(d)),
            md(&side(d, &d.a)),
            md(&side(d, &d.b))
        );
    }
    out.push('\n');
}

/// A Markdown report for a pull-request comment.
pub fn markdown(r: &ParityReport) -> String {
    let c = &r.counts;
    let mut out = String::new();
    let verdict = match r.verdict {
        Verdict::Holds => "✅ structure matches",
        Verdict::Violated => "❌ structure differs",
        Verdict::None => "ℹ️ no mirror relation, not judged",
    };
    let _ = writeln!(
        out,
        "### Parity of {} against {} — {verdict}\n",
        md(&r.b),
        md(&r.a)
    );
    let _ = writeln!(
        out,
        "{}. **{}** violation(s) · **{}** excepted · **{}** exception(s) excusing nothing · **{}** structural (not judged) · **{}** changed by knobs · {} vs {} objects compared\n",
        md(&relation(r)),
        c.violations,
        c.excepted,
        c.unused_exceptions,
        c.structural,
        c.allowed + c.knob_objects,
        r.objects.1,
        r.objects.0
    );
    let pick = |f: fn(&Class) -> bool| -> Vec<&Difference> {
        r.differences.iter().filter(|d| f(&d.class)).collect()
    };
    let viol = pick(|c| *c == Class::Violation);
    if !viol.is_empty() {
        let _ = writeln!(out, "#### ❌ Violations\n");
        md_table(&mut out, r, &viol, false);
    }
    let structural = pick(|c| *c == Class::Structural);
    if !structural.is_empty() {
        let _ = writeln!(out, "#### Structural differences (not judged)\n");
        md_table(&mut out, r, &structural, false);
    }
    if !r.exceptions.is_empty() {
        let _ = writeln!(
            out,
            "#### ⚠️ Declared exceptions\n\n| Exception | Reason | Declared at | Excuses |\n|---|---|---|---|"
        );
        for e in &r.exceptions {
            let at = e
                .declared_at
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            let excuses = if e.excuses == 0 {
                "❌ nothing: remove it".to_owned()
            } else {
                plural(e.excuses, "difference", "differences")
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {excuses} |",
                md(&e.path),
                md(&e.reason),
                md(&at)
            );
        }
        out.push('\n');
        let exc = pick(|c| matches!(c, Class::Excepted { .. }));
        if !exc.is_empty() {
            md_table(&mut out, r, &exc, true);
        }
    }
    if !r.knobs.is_empty() {
        let _ = writeln!(out, "#### Knobs that differ\n");
        let _ = writeln!(
            out,
            "| Knob | Kind | {} | {} |\n|---|---|---|---|",
            md(&r.a),
            md(&r.b)
        );
        for k in &r.knobs {
            let kind = if k.adds_objects {
                format!("{} (may add or remove objects)", k.kind.as_str())
            } else {
                k.kind.as_str().to_owned()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                md(&k.path),
                md(&kind),
                md(&show(&Some(k.a.clone()))),
                md(&show(&Some(k.b.clone())))
            );
        }
        out.push('\n');
    }
    for (title, f) in [
        (
            "object(s) added or removed by knobs",
            (|c: &Class| *c == Class::KnobObject) as fn(&Class) -> bool,
        ),
        ("emitted field(s) changed by knobs", |c| {
            *c == Class::Allowed
        }),
    ] {
        let items = pick(f);
        if !items.is_empty() {
            let _ = writeln!(out, "<details><summary>{} {title}</summary>\n", items.len());
            md_table(&mut out, r, &items, false);
            let _ = writeln!(out, "</details>\n");
        }
    }
    out
}

/// The JSON report: the `ParityReport` as serde writes it (stable field order), with its
/// `verdict`, `relation` and `counts` first.
pub fn json(r: &ParityReport) -> String {
    serde_json::to_string_pretty(r).expect("reports serialise") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_are_inert() {
        let hostile = "<img src=x onerror=alert(1)> | `code` [link](http://x) **b**\\\nnext";
        let cell = md(hostile);
        assert!(!cell.contains('\n'));
        // Every punctuation character is escaped, so none can open a tag, a link, a code
        // span or emphasis, or end the table cell.
        let mut chars = cell.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                let next = chars.next();
                assert!(next.is_some_and(|n| n.is_ascii_punctuation()), "{cell}");
            } else {
                assert!(!c.is_ascii_punctuation(), "unescaped {c:?} in {cell}");
            }
        }
    }
}
