//! What an override may change: tiers, tenants and instances change entries the base
//! declares (`check_targets`), and a mirroring tier, a tenant or an instance changes knobs
//! only, and only knobs the mirrored structure has (`check_knobs_only`).

use super::tiers::Exception;
use super::Model;
use crate::de::from_node;
use crate::diagnostic::{did_you_mean, Diagnostic, FieldPath};
use crate::knob::{Declared, KnobKind};
use crate::node::Node;
use crate::spec::App;

/// Collections of named things: a tier may change an entry but not invent one.
pub(super) const COLLECTIONS: &[&str] = &[
    "database",
    "cache",
    "secret",
    "service",
    "external_service",
    "platform",
    "platform.eks.node_group",
    "bucket",
    "queue",
    "topic",
];

/// Whether a dotted path names a collection of named things: one of [`COLLECTIONS`], or the
/// raw blocks (`resource`, `data`, by type, and `module`), whose entries a tier cannot invent
/// either: a raw object in production only would be structure behind the parity gate.
pub(super) fn is_collection(path: &str) -> bool {
    let segments: Vec<&str> = path.split('.').collect();
    COLLECTIONS.contains(&path)
        || matches!(
            segments.as_slice(),
            ["resource" | "data" | "module" | "manifest"] | ["resource" | "data", _]
        )
}

impl Model {
    /// Overrides may change existing entries but not invent new ones, and in a mirroring tier,
    /// a tenant or an instance they may change knobs only, and only knobs the mirrored
    /// structure has (a tier cannot add internet exposure by "changing a host name").
    pub(super) fn check_overrides(&self, errors: &mut Vec<Diagnostic>) {
        // An override of something the base does not declare is the root cause of whatever
        // its tree then fails to decode: report it alone.
        let before = errors.len();
        for t in &self.tiers {
            let origin = format!("tier `{}`", t.name);
            check_targets(&self.base, &t.overrides, &mut Vec::new(), &origin, errors);
            for inst in &t.instances {
                let origin = format!("instance `{}` of tier `{}`", inst.name, t.name);
                check_targets(
                    &self.base,
                    &inst.overrides,
                    &mut Vec::new(),
                    &origin,
                    errors,
                );
            }
        }
        for tn in &self.tenants {
            let origin = format!("tenant `{}`", tn.name);
            check_targets(&self.base, &tn.overrides, &mut Vec::new(), &origin, errors);
        }
        if errors.len() > before {
            return;
        }
        // Decode every tier's tree first: a value that does not decode (a misspelt attribute,
        // an unknown engine) is the root cause of anything found after it, so it is reported
        // and the checks that need decoded trees are skipped rather than misreport.
        let mut decoded = Vec::with_capacity(self.tier_trees.len());
        let mut decode_errors: Vec<Diagnostic> = Vec::new();
        for tree in &self.tier_trees {
            match from_node::<App>(tree) {
                Ok(a) => decoded.push(Some(serde_json::to_value(a).expect("the model serialises"))),
                Err(e) => {
                    let d = e.into_diagnostic();
                    if !decode_errors
                        .iter()
                        .any(|x| x.code == d.code && x.span == d.span && x.message == d.message)
                    {
                        decode_errors.push(d);
                    }
                    decoded.push(None);
                }
            }
        }
        let all_decode = decode_errors.is_empty();
        errors.extend(decode_errors);
        let base = from_node::<App>(&self.base)
            .ok()
            .map(|a| serde_json::to_value(a).expect("the model serialises"));
        for (ti, t) in self.tiers.iter().enumerate() {
            let own = decoded[ti].as_ref();
            if let Some(mi) = t
                .mirrors
                .as_ref()
                .and_then(|m| self.tiers.iter().position(|x| &x.name == m))
            {
                let why = format!("tier `{}` mirrors `{}`", t.name, self.tiers[mi].name);
                let reference = decoded[mi].as_ref();
                check_knobs_only(
                    &t.overrides,
                    &t.may_differ,
                    &t.exceptions,
                    &why,
                    reference,
                    errors,
                );
                let declared = reference.map(Declared::of).unwrap_or_default();
                for e in t.exceptions.iter().filter(|_| all_decode) {
                    // A raw block's declared knob needs no exception, like the table's knobs
                    // (which the exception's own rules refuse before any tree is decoded).
                    let path = FieldPath::parse(&e.path);
                    if crate::knob::knob_for(&path).is_none() && declared.knob_for(&path).is_some()
                    {
                        errors.push(
                            Diagnostic::error(
                                "exception-on-knob",
                                FieldPath(vec!["tier".into(), t.name.clone(), "exception".into(), e.path.clone()]),
                                format!("`{}` is a declared knob of its block; no exception is needed", e.path),
                            )
                            .with_span(e.span)
                            .with_help("remove the exception: a mirroring tier may change the arguments a raw block lists in `knobs`"),
                        );
                        continue;
                    }
                    let found = [reference, own]
                        .into_iter()
                        .flatten()
                        .any(|j| pattern_exists(j, &e.path.split('.').collect::<Vec<_>>()));
                    if !found {
                        let mut paths = Vec::new();
                        if let Some(j) = &reference {
                            json_paths(j, &mut String::new(), &mut paths);
                        }
                        let help = match did_you_mean(&e.path, paths.iter().map(String::as_str)) {
                            Some(p) => format!("did you mean `{p}`?"),
                            None => {
                                "name a field of the spec, such as `database.main.read_replicas`"
                                    .into()
                            }
                        };
                        errors.push(
                            Diagnostic::error(
                                "unknown-exception",
                                FieldPath(vec!["tier".into(), t.name.clone(), "exception".into(), e.path.clone()]),
                                format!("the exception `{}` names no field of the spec, so it excuses nothing", e.path),
                            )
                            .with_span(e.span)
                            .with_help(help),
                        );
                    }
                }
            }
            for inst in &t.instances {
                // The tier's exceptions are about the tier it mirrors; its instances share
                // the tier's own structure, so no exception applies between them.
                let why = format!("instances of tier `{}` share its structure", t.name);
                check_knobs_only(&inst.overrides, &t.may_differ, &[], &why, own, errors);
            }
        }
        for tn in &self.tenants {
            check_knobs_only(
                &tn.overrides,
                KnobKind::ALL,
                &[],
                "tenants share the structure of their tier",
                base.as_ref(),
                errors,
            );
        }
    }
}

fn check_targets(
    base: &Node,
    over: &Node,
    path: &mut Vec<String>,
    origin: &str,
    errors: &mut Vec<Diagnostic>,
) {
    let Some(fields) = over.as_object() else {
        return;
    };
    for (k, f) in fields {
        let here = path.join(".");
        let in_collection = is_collection(&here);
        let base_child = base.get(k);
        if in_collection && base_child.is_none() {
            let existing: Vec<&str> = base
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let mut p = path.clone();
            p.push(k.clone());
            let mut d = Diagnostic::error(
                "unknown-override",
                FieldPath(p),
                format!("{origin} overrides {here} `{k}`, which the base spec does not declare"),
            )
            .with_span(f.key_span.or(f.node.span));
            d.help = Some(match did_you_mean(k, existing.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if existing.is_empty() => {
                    format!("declare the {here} in the base spec first; tiers only change values")
                }
                None => format!("declared: {}", existing.join(", ")),
            });
            errors.push(d);
            continue;
        }
        if let Some(b) = base_child {
            path.push(k.clone());
            check_targets(&b.node, &f.node, path, origin, errors);
            path.pop();
        }
    }
}

/// Refuses every override in `over` but the knobs `may_differ` allows and the fields an
/// exception covers.
fn check_knobs_only(
    over: &Node,
    may_differ: &[KnobKind],
    exceptions: &[Exception],
    why: &str,
    reference: Option<&serde_json::Value>,
    errors: &mut Vec<Diagnostic>,
) {
    let mut leaves = Vec::new();
    over.leaves(&mut Vec::new(), &mut leaves);
    // The mirrored structure says which raw arguments are knobs, never the override itself.
    let declared = reference.map(Declared::of).unwrap_or_default();
    for (path, node) in leaves {
        if path.is_empty() || exceptions.iter().any(|e| e.covers(&path)) {
            continue;
        }
        match declared.knob_for(&path) {
            Some(k) if may_differ.contains(&k.kind) => {
                // A knob changes a value the structure has; it does not add the structure.
                let Some(reference) = reference else { continue };
                let root = &path.0[..k.pattern.split('.').count()];
                let parent = &root[..root.len() - 1];
                let keyed = k.pattern.ends_with('*') && k.kind != KnobKind::FeatureFlag;
                let missing = if keyed { root } else { parent };
                // A manifest read from a file is checked once the file is read (validation:
                // its knobs must name fields of the mirrored environment's object).
                let from_file = path.0.first().is_some_and(|s| s == "manifest")
                    && json_at(reference, &[path.0[0].clone(), path.0[1].clone(), "file".into()])
                        .is_some_and(serde_json::Value::is_string);
                if !from_file && json_at(reference, missing).is_none_or(serde_json::Value::is_null) {
                    let missing = missing.join(".");
                    errors.push(
                        Diagnostic::error("structural-override", path.clone(), format!("`{missing}` does not exist in the mirrored structure: {why}, so it cannot add it"))
                            .with_span(node.span)
                            .with_help(format!("declare `{missing}` where the mirrored tier gets it, or declare `exception \"{missing}\" {{ reason = \"…\" }}` if the difference is intended")),
                    );
                }
            }
            Some(k) => errors.push(
                Diagnostic::error(
                    "structural-override",
                    path.clone(),
                    format!("`{path}` is a {} knob, but {why} and does not allow `{}` differences", k.kind.as_str(), k.kind.as_str()),
                )
                .with_span(node.span)
                .with_help(format!("add \"{}\" to `may_differ`, or remove this override", k.kind.as_str())),
            ),
            None => errors.push(
                Diagnostic::error("structural-override", path.clone(), format!("`{path}` is structural: {why}, so it cannot change it"))
                    .with_span(node.span)
                    .with_help(format!(
                        "remove this override, or declare `exception \"{path}\" {{ reason = \"…\" }}` in the tier if the difference is intended"
                    )),
            ),
        }
    }
}

fn json_at<'a>(v: &'a serde_json::Value, path: &[String]) -> Option<&'a serde_json::Value> {
    path.iter().try_fold(v, |cur, seg| match cur {
        serde_json::Value::Object(o) => o.get(seg),
        serde_json::Value::Array(a) => a.get(seg.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Whether a path pattern (`*` for one segment) names something in `v`.
fn pattern_exists(v: &serde_json::Value, pattern: &[&str]) -> bool {
    let Some((head, rest)) = pattern.split_first() else {
        return true;
    };
    match v {
        serde_json::Value::Object(o) if *head == "*" => o.values().any(|x| pattern_exists(x, rest)),
        serde_json::Value::Object(o) => o.get(*head).is_some_and(|x| pattern_exists(x, rest)),
        _ => false,
    }
}

fn json_paths(v: &serde_json::Value, prefix: &mut String, out: &mut Vec<String>) {
    if let serde_json::Value::Object(o) = v {
        for (k, x) in o {
            let len = prefix.len();
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(k);
            out.push(prefix.clone());
            json_paths(x, prefix, out);
            prefix.truncate(len);
        }
    }
}
