//! Twins: the mirrored environment's values with some of the mirroring one's grafted in (its
//! knob values, or those and one exception's field), and the spec-level knob differences.

use serde_json::Value;

use super::fast::same;
use super::KnobDifference;
use crate::diagnostic::FieldPath;
use crate::environment::Environment;
use crate::knob::Declared;
use crate::spec::App;

/// The knobs whose values differ in the spec: where A (named as B) and B differ, with A's
/// real value.
pub(super) fn knob_differences(
    json_a: &Value,
    json_i: &Value,
    json_b: &Value,
) -> Vec<KnobDifference> {
    let mut knobs = Vec::new();
    let declared = Declared::of(json_i);
    for p in union_leaf_paths(json_i, json_b, &declared) {
        let (x, y) = (get(json_i, &p), get(json_b, &p));
        if x != y {
            if let Some(k) = declared.knob_for(&p) {
                knobs.push(KnobDifference {
                    path: p.to_string(),
                    kind: k.kind,
                    adds_objects: k.adds_objects,
                    a: get(json_a, &p).or(x).cloned().unwrap_or(Value::Null),
                    b: y.cloned().unwrap_or(Value::Null),
                });
            }
        }
    }
    knobs
}

/// `a` with `b`'s values wherever `take` says so.
pub(super) fn graft_values(a: &Value, b: &Value, take: &dyn Fn(&FieldPath) -> bool) -> Value {
    let mut out = a.clone();
    graft(&mut out, b, &mut FieldPath::default(), take);
    out
}

/// `like` with the application values `app` (grafted model values stay a valid model).
pub(super) fn environment(like: &Environment, app: Value) -> Environment {
    let app: App = serde_json::from_value(app).expect("grafting model values keeps a valid model");
    Environment {
        app,
        ..like.clone()
    }
}

fn graft(dst: &mut Value, src: &Value, path: &mut FieldPath, take: &dyn Fn(&FieldPath) -> bool) {
    // Equal values graft to themselves: most of the model is the same on both sides, and
    // asking `take` (the knob table) about every field of it was most of a twin's cost.
    if same(dst, src) {
        return;
    }
    if !path.is_empty() && take(path) {
        *dst = src.clone();
        return;
    }
    if let (Value::Object(d), Value::Object(s)) = (&mut *dst, src) {
        // Each key once: grafting a key both sides have a second time changes nothing, but
        // compared the two subtrees again.
        let keys: Vec<String> = d
            .keys()
            .chain(s.keys().filter(|k| !d.contains_key(k.as_str())))
            .cloned()
            .collect();
        for k in keys {
            path.0.push(k.clone());
            match (d.get_mut(&k), s.get(&k)) {
                (Some(dv), Some(sv)) => graft(dv, sv, path, take),
                (None, Some(sv)) if take(path) => {
                    d.insert(k.clone(), sv.clone());
                }
                (Some(_), None) if take(path) => {
                    d.remove(&k);
                }
                _ => {}
            }
            path.0.pop();
        }
    }
}

fn get<'a>(v: &'a Value, p: &FieldPath) -> Option<&'a Value> {
    let mut cur = v;
    for s in p.segments() {
        cur = match cur {
            Value::Object(o) => o.get(s)?,
            Value::Array(a) => a.get(s.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Leaf paths of the spec model `v`, stopping at knob boundaries (a knob is compared whole),
/// leaving out every subtree equal to `other`'s at the same path: no knob there differs.
fn leaf_paths(v: &Value, other: Option<&Value>, declared: &Declared) -> Vec<FieldPath> {
    fn walk(
        v: &Value,
        other: Option<&Value>,
        path: &mut FieldPath,
        out: &mut Vec<FieldPath>,
        declared: &Declared,
    ) {
        if other.is_some_and(|o| same(o, v)) {
            return;
        }
        if !path.is_empty() && declared.knob_for(path).is_some() {
            out.push(path.clone());
            return;
        }
        match v {
            Value::Object(o) if !o.is_empty() => {
                for (k, x) in o {
                    path.0.push(k.clone());
                    let theirs = match other {
                        Some(Value::Object(t)) => t.get(k),
                        _ => None,
                    };
                    walk(x, theirs, path, out, declared);
                    path.0.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }
    let mut out = Vec::new();
    walk(v, other, &mut FieldPath::default(), &mut out, declared);
    out
}

/// The leaf paths of `a` then those of `b` not seen yet, where the two differ.
fn union_leaf_paths(a: &Value, b: &Value, declared: &Declared) -> Vec<FieldPath> {
    let mut out = leaf_paths(a, Some(b), declared);
    let mut seen: std::collections::BTreeSet<FieldPath> = out.iter().cloned().collect();
    for p in leaf_paths(b, Some(a), declared) {
        if seen.insert(p.clone()) {
            out.push(p);
        }
    }
    out
}
