//! Parity reports as text (a terminal), Markdown (a pull-request comment) and JSON (tools).

use std::fmt::Write as _;

use tierform_docs::{field, relation, show, side};
use tierform_model::parity::{Class, Difference, ExceptionUse, ParityReport, Verdict};

use crate::render::Style;
use crate::Failure;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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
        relation(&r.relation, |t| format!("`{t}`")),
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
            side(d, d.a.as_ref()),
            side(d, d.b.as_ref())
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
                show(Some(&k.a)),
                show(Some(&k.b)),
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

/// The Markdown report for a pull-request comment, from the `parity.md.hbs` template (the
/// spec's own, or the built-in one).
pub fn markdown(r: &ParityReport, renderer: &tierform_docs::Renderer) -> Result<String, Failure> {
    renderer
        .parity(&tierform_docs::parity_doc(r))
        .map_err(|e| crate::runbook::template_failure(&e))
}

/// The JSON report: the `ParityReport` as serde writes it (stable field order), with its
/// `verdict`, `relation` and `counts` first.
pub fn json(r: &ParityReport) -> String {
    serde_json::to_string_pretty(r).expect("reports serialise") + "\n"
}
