//! The parity report as a pull-request comment: a typed context built from a
//! [`ParityReport`], rendered by the `parity.md.hbs` template (built in, or a team's own from
//! the spec's template folder), so a team restyles its reports as it restyles its runbooks.

use serde::Serialize;
use serde_json::Value;
use tierform_model::parity::{Class, Difference, ParityReport, Relation, Verdict};

/// One emitted difference, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DifferenceRow {
    /// The component, for grouping (`database main`).
    pub component: String,
    /// The emitted object (`terraform:aws_db_instance.main`).
    pub object: String,
    /// The field, or `(object)` when the object is present on one side only.
    pub field: String,
    /// The value in A, or `(present)` / `(absent)`.
    pub a: String,
    /// The value in B, likewise.
    pub b: String,
    /// For an excused difference: the exception that excuses it.
    pub exception: String,
    /// For an excused difference: the exception's reason.
    pub reason: String,
}

/// A declared exception and what it excused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionUseRow {
    /// The field it names.
    pub path: String,
    /// Its reason.
    pub reason: String,
    /// `file:line:column` where it is declared, or empty.
    pub declared_at: String,
    /// How many differences it excuses.
    pub excuses: usize,
}

/// A knob whose value differs in the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnobChangeRow {
    /// The field (`database.main.instance_class`).
    pub path: String,
    /// Its kind (`size`).
    pub kind: String,
    /// Whether the knob may add or remove whole objects.
    pub adds_objects: bool,
    /// The value in A, as JSON.
    pub a: String,
    /// The value in B, as JSON.
    pub b: String,
}

/// What `parity.md.hbs` is rendered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParityDoc {
    /// The mirrored environment.
    pub a: String,
    /// The mirroring environment.
    pub b: String,
    /// `holds`, `violated` or `none` (not judged).
    pub verdict: &'static str,
    /// How the two relate, in words.
    pub relation: String,
    /// Counts.
    pub violations: usize,
    /// Differences between unrelated environments (not judged).
    pub structural: usize,
    /// Differences excused by exceptions.
    pub excepted: usize,
    /// Exceptions that excuse nothing.
    pub unused_exceptions: usize,
    /// Emitted differences caused by knobs (fields and whole objects).
    pub changed_by_knobs: usize,
    /// Objects compared on A's side.
    pub objects_a: usize,
    /// Objects compared on B's side.
    pub objects_b: usize,
    /// The violations.
    pub violation_rows: Vec<DifferenceRow>,
    /// The structural differences of an unjudged comparison.
    pub structural_rows: Vec<DifferenceRow>,
    /// Every declared exception.
    pub exceptions: Vec<ExceptionUseRow>,
    /// The excused differences.
    pub excepted_rows: Vec<DifferenceRow>,
    /// The knobs that differ in the spec.
    pub knobs: Vec<KnobChangeRow>,
    /// Objects added or removed by knobs.
    pub knob_object_rows: Vec<DifferenceRow>,
    /// Fields changed by knobs.
    pub allowed_rows: Vec<DifferenceRow>,
}

/// The context of a parity report.
pub fn parity_doc(r: &ParityReport) -> ParityDoc {
    let rows = |pick: fn(&Class) -> bool| -> Vec<DifferenceRow> {
        r.differences
            .iter()
            .filter(|d| pick(&d.class))
            .map(row)
            .collect()
    };
    ParityDoc {
        a: r.a.clone(),
        b: r.b.clone(),
        verdict: match r.verdict {
            Verdict::Holds => "holds",
            Verdict::Violated => "violated",
            Verdict::None => "none",
        },
        relation: relation(&r.relation, str::to_owned),
        violations: r.counts.violations,
        structural: r.counts.structural,
        excepted: r.counts.excepted,
        unused_exceptions: r.counts.unused_exceptions,
        changed_by_knobs: r.counts.allowed + r.counts.knob_objects,
        objects_a: r.objects.0,
        objects_b: r.objects.1,
        violation_rows: rows(|c| *c == Class::Violation),
        structural_rows: rows(|c| *c == Class::Structural),
        exceptions: r
            .exceptions
            .iter()
            .map(|e| ExceptionUseRow {
                path: e.path.clone(),
                reason: e.reason.clone(),
                declared_at: e
                    .declared_at
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                excuses: e.excuses,
            })
            .collect(),
        excepted_rows: rows(|c| matches!(c, Class::Excepted { .. })),
        knobs: r
            .knobs
            .iter()
            .map(|k| KnobChangeRow {
                path: k.path.clone(),
                kind: k.kind.as_str().to_owned(),
                adds_objects: k.adds_objects,
                a: show(Some(&k.a)),
                b: show(Some(&k.b)),
            })
            .collect(),
        knob_object_rows: rows(|c| *c == Class::KnobObject),
        allowed_rows: rows(|c| *c == Class::Allowed),
    }
}

/// How two environments relate, in words, each tier name passed through `quote`.
pub fn relation(relation: &Relation, quote: fn(&str) -> String) -> String {
    match relation {
        Relation::Mirrors { tier, mirrored } => {
            format!("tier {} mirrors {}", quote(tier), quote(mirrored))
        }
        Relation::SameTier { tier } => format!("both of tier {}: knobs only", quote(tier)),
        Relation::Indirect { chain } => format!(
            "tier {} through a chain of mirrors: compared without a verdict; check judges each step",
            chain
                .iter()
                .map(|t| quote(t))
                .collect::<Vec<_>>()
                .join(" mirrors ")
        ),
        _ => "no mirror relation: compared without a verdict".into(),
    }
}

fn row(d: &Difference) -> DifferenceRow {
    let (exception, reason) = match &d.class {
        Class::Excepted { exception, reason } => (exception.clone(), reason.clone()),
        _ => (String::new(), String::new()),
    };
    DifferenceRow {
        component: d.component.clone(),
        object: d.object.clone(),
        field: field(d).to_owned(),
        a: side(d, d.a.as_ref()),
        b: side(d, d.b.as_ref()),
        exception,
        reason,
    }
}

/// One side of a difference: an object's presence, or a field's value.
pub fn side(d: &Difference, v: Option<&Value>) -> String {
    match (d.path.is_empty(), v) {
        (true, Some(_)) => "(present)".into(),
        (true, None) => "(absent)".into(),
        (false, v) => show(v),
    }
}

/// A value as a report shows it: strings quoted, anything else as JSON cut at 80 characters.
pub fn show(v: Option<&Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(Value::String(s)) => format!("{s:?}"),
        Some(other) => {
            let s = other.to_string();
            match s.char_indices().nth(77) {
                Some((i, _)) if s.len() > 80 => format!("{}…", &s[..i]),
                _ => s,
            }
        }
    }
}

/// The field of a difference, or `(object)`.
pub fn field(d: &Difference) -> &str {
    if d.path.is_empty() {
        "(object)"
    } else {
        &d.path
    }
}
