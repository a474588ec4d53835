//! Parity reports as text (a terminal), Markdown (a pull-request comment) and JSON (tools).

use std::fmt::Write as _;

use serde_json::Value;
use tierform_model::parity::{Class, Difference, ParityReport};

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

fn counts(r: &ParityReport) -> (usize, usize, usize) {
    let v = r
        .differences
        .iter()
        .filter(|d| d.class == Class::Violation)
        .count();
    let e = r
        .differences
        .iter()
        .filter(|d| matches!(d.class, Class::Excepted { .. }))
        .count();
    (v, e, r.differences.len() - v - e)
}

/// The summary line of one pair, used by `check`.
pub fn summary(r: &ParityReport, style: Style) -> String {
    let (v, e, a) = counts(r);
    let verdict = if v == 0 {
        style.paint("32;1", "holds")
    } else {
        style.paint("31;1", "VIOLATED")
    };
    format!(
        "parity of {} against {}: {verdict} ({v} violation{}, {e} exception{}, {a} emitted difference{} from {} knob{}; {} vs {} objects)",
        r.b,
        r.a,
        if v == 1 { "" } else { "s" },
        if e == 1 { "" } else { "s" },
        if a == 1 { "" } else { "s" },
        r.knobs.len(),
        if r.knobs.len() == 1 { "" } else { "s" },
        r.objects.1,
        r.objects.0
    )
}

/// The full text report: violations first, then exceptions, then allowed differences, grouped by
/// component.
pub fn text(r: &ParityReport, style: Style, violations_only: bool) -> String {
    let mut out = summary(r, style);
    out.push('\n');
    type Section = (&'static str, &'static str, fn(&Class) -> bool);
    let sections: [Section; 3] = [
        ("violations", "31;1", |c| *c == Class::Violation),
        ("exceptions", "33;1", |c| {
            matches!(c, Class::Excepted { .. })
        }),
        ("allowed knob differences", "32;1", |c| *c == Class::Allowed),
    ];
    for (title, color, pick) in sections {
        let items: Vec<&Difference> = r.differences.iter().filter(|d| pick(&d.class)).collect();
        if items.is_empty() || (violations_only && title != "violations") {
            continue;
        }
        let _ = writeln!(out, "\n{}", style.paint(color, &title.to_uppercase()));
        let mut component = "";
        for d in items {
            if d.component != component {
                component = &d.component;
                let _ = writeln!(out, "  {}", style.paint("1", component));
            }
            let _ = writeln!(
                out,
                "    {}  {}: {} -> {}",
                d.object,
                field(d),
                side(d, &d.a),
                side(d, &d.b)
            );
            if let Class::Excepted { exception, reason } = &d.class {
                let _ = writeln!(out, "      excepted by `{exception}`: {reason}");
            }
        }
    }
    if !violations_only && !r.knobs.is_empty() {
        let _ = writeln!(out, "\n{}", style.paint("1", "KNOBS IN THE SPEC"));
        for k in &r.knobs {
            let _ = writeln!(
                out,
                "  {:<13} {}: {} -> {}",
                k.kind.as_str(),
                k.path,
                show(&Some(k.a.clone())),
                show(&Some(k.b.clone()))
            );
        }
    }
    out
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown report for a pull-request comment.
pub fn markdown(r: &ParityReport) -> String {
    let (v, e, a) = counts(r);
    let mut out = String::new();
    let verdict = if v == 0 {
        "✅ structure matches"
    } else {
        "❌ structure differs"
    };
    let _ = writeln!(
        out,
        "### Parity of `{}` against `{}` — {verdict}\n",
        r.b, r.a
    );
    let _ = writeln!(out, "**{v}** violation(s) · **{e}** exception(s) · **{a}** knob difference(s) · {} vs {} objects compared\n", r.objects.1, r.objects.0);
    let table = |out: &mut String, items: Vec<&Difference>, with_reason: bool| {
        let _ = writeln!(
            out,
            "| Component | Object | Field | `{}` | `{}` |{}",
            r.a,
            r.b,
            if with_reason { " Reason |" } else { "" }
        );
        let _ = writeln!(
            out,
            "|---|---|---|---|---|{}",
            if with_reason { "---|" } else { "" }
        );
        for d in items {
            let why = match &d.class {
                Class::Excepted { reason, .. } if with_reason => format!(" {} |", md(reason)),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "| {} | `{}` | `{}` | {} | {} |{why}",
                md(&d.component),
                md(&d.object),
                md(field(d)),
                md(&side(d, &d.a)),
                md(&side(d, &d.b))
            );
        }
        out.push('\n');
    };
    let viol: Vec<&Difference> = r
        .differences
        .iter()
        .filter(|d| d.class == Class::Violation)
        .collect();
    if !viol.is_empty() {
        let _ = writeln!(out, "#### ❌ Violations\n");
        table(&mut out, viol, false);
    }
    let exc: Vec<&Difference> = r
        .differences
        .iter()
        .filter(|d| matches!(d.class, Class::Excepted { .. }))
        .collect();
    if !exc.is_empty() {
        let _ = writeln!(out, "#### ⚠️ Declared exceptions\n");
        table(&mut out, exc, true);
    }
    if !r.knobs.is_empty() {
        let _ = writeln!(out, "#### Knobs that differ\n");
        let _ = writeln!(
            out,
            "| Knob | Kind | `{}` | `{}` |\n|---|---|---|---|",
            r.a, r.b
        );
        for k in &r.knobs {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                md(&k.path),
                k.kind.as_str(),
                md(&show(&Some(k.a.clone()))),
                md(&show(&Some(k.b.clone())))
            );
        }
        out.push('\n');
    }
    let allowed: Vec<&Difference> = r
        .differences
        .iter()
        .filter(|d| d.class == Class::Allowed)
        .collect();
    if !allowed.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} emitted field(s) changed by those knobs</summary>\n",
            allowed.len()
        );
        table(&mut out, allowed, false);
        let _ = writeln!(out, "</details>");
    }
    out
}

/// The JSON report: the `ParityReport` as serde writes it (stable field order).
pub fn json(r: &ParityReport) -> String {
    serde_json::to_string_pretty(r).expect("reports serialise") + "\n"
}
