//! Parity: what differs between two environments, and whether the spec allows it.
//!
//! Emitters hand their output to parity as data ([`EmittedObject`]: one Terraform resource or
//! one Kubernetes object as JSON), so parity judges what tierform actually emits, not only what
//! the spec says: an emitter bug cannot hide a difference.
//!
//! The mirrored environment A and the mirroring one B are compared under one identity: A's
//! values are resolved under B's name, tier and instance ([`Model::resolve_as`], the *identity
//! twin* I), so every name, tag and label tierform derives from the environment's identity
//! agrees by construction, and no value the author wrote is rewritten to make the two look
//! alike. Every difference between the emitted objects of I and B is then classified by
//! re-emitting a *knob twin* K: I with B's values at the knobs B's tier may change.
//! - A difference that K reproduces (K and B agree on it) is caused by knobs: **allowed**. An
//!   object present on one side only is allowed only when a knob the table marks as adding or
//!   removing objects ([`crate::knob::Knob::adds_objects`]) causes it.
//! - One that K does not reproduce comes from structure. If the twin E of one declared exception
//!   (K plus B's values at the exception's field) reproduces it, it is **excepted**, with the
//!   exception's reason; otherwise it is a **violation**. An exception that excuses nothing
//!   fails the comparison too: a reviewer must never read a reason for a difference that does
//!   not exist.
//!
//! The relation is found in either order: `compare(model, staging, production, …)` compares
//! production against staging when staging mirrors production. Two environments of one tier
//! (tenants, instances) may differ by knobs only; two with no mirror relation are compared
//! without a verdict.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::{Diagnostics, FieldPath, Location};
use crate::environment::Environment;
use crate::knob::{knob_for, KnobKind};
use crate::resolve::{EnvironmentId, Exception, Model};
use crate::spec::App;

mod identity;

/// One emitted object as data, for parity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmittedObject {
    /// A stable identity within one environment, such as `terraform:aws_db_instance.main` or
    /// `k8s:Deployment/api`.
    pub id: String,
    /// The component it belongs to, for grouping reports (`network`, `database main`).
    pub component: String,
    /// Its content as JSON (Terraform arguments and blocks, or the Kubernetes object).
    pub data: Value,
}

/// How a difference is judged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "class", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Class {
    /// Structure differs and the spec does not accept it.
    Violation,
    /// Structure differs between two environments with no mirror relation: reported, not
    /// judged.
    Structural,
    /// Structure differs and the spec accepts it, for this reason.
    Excepted {
        /// The field the exception names.
        exception: String,
        /// Its reason.
        reason: String,
    },
    /// A knob adds or removes this whole object (the knob table says which knobs may).
    KnobObject,
    /// A knob the tier may change.
    Allowed,
}

/// One difference in the emitted output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// How it is judged.
    #[serde(flatten)]
    pub class: Class,
    /// The component, for grouping.
    pub component: String,
    /// The emitted object.
    pub object: String,
    /// The field inside the object (empty: the object is present on one side only).
    pub path: String,
    /// The value in A (`None`: absent).
    pub a: Option<Value>,
    /// The value in B (`None`: absent).
    pub b: Option<Value>,
}

/// A knob that differs between the two environments in the spec.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnobDifference {
    /// The field, such as `database.main.instance_class`.
    pub path: String,
    /// The kind of knob.
    pub kind: KnobKind,
    /// Whether the knob table says this knob may add or remove whole objects.
    pub adds_objects: bool,
    /// The value in A.
    pub a: Value,
    /// The value in B.
    pub b: Value,
}

/// How the two environments of a comparison relate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Relation {
    /// B's tier mirrors A's: B may differ by the knobs its tier allows and the exceptions it
    /// declares.
    Mirrors {
        /// B's tier, the mirroring one.
        tier: String,
        /// A's tier, the mirrored one.
        mirrored: String,
    },
    /// Both belong to one tier (tenants or instances): they may differ by knobs only.
    SameTier {
        /// The tier.
        tier: String,
    },
    /// Neither mirrors the other: the differences are listed without a verdict.
    Unrelated,
}

/// The outcome of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// B keeps A's structure, up to knobs and exceptions that each excuse something.
    Holds,
    /// A violation, or an exception that excuses nothing.
    Violated,
    /// No mirror relation: nothing to judge.
    None,
}

/// A declared exception and what it excused in this comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionUse {
    /// The field the exception names.
    pub path: String,
    /// Its reason.
    pub reason: String,
    /// Where it is declared.
    pub declared_at: Option<Location>,
    /// How many emitted differences it excuses; 0 fails the comparison.
    pub excuses: usize,
}

/// How many differences of each class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Violations.
    pub violations: usize,
    /// Structural differences of unrelated environments.
    pub structural: usize,
    /// Differences excused by exceptions.
    pub excepted: usize,
    /// Declared exceptions that excuse nothing.
    pub unused_exceptions: usize,
    /// Objects added or removed by knobs.
    pub knob_objects: usize,
    /// Fields changed by knobs.
    pub allowed: usize,
    /// Knobs that differ in the spec.
    pub knobs: usize,
}

/// The parity of two environments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParityReport {
    /// The outcome.
    pub verdict: Verdict,
    /// How A and B relate.
    pub relation: Relation,
    /// Environment A (the mirrored one, such as production).
    pub a: String,
    /// Environment B (the mirroring one, such as staging).
    pub b: String,
    /// How many of each.
    pub counts: Counts,
    /// Every exception B's tier declares, with what it excused here.
    pub exceptions: Vec<ExceptionUse>,
    /// Knob values that differ in the spec.
    pub knobs: Vec<KnobDifference>,
    /// Differences in the emitted objects: violations, then exceptions, then allowed, each
    /// group ordered by component and object.
    pub differences: Vec<Difference>,
    /// How many objects were compared on each side.
    pub objects: (usize, usize),
}

impl ParityReport {
    /// The violations.
    pub fn violations(&self) -> impl Iterator<Item = &Difference> {
        self.differences
            .iter()
            .filter(|d| d.class == Class::Violation)
    }
    /// The exceptions that excuse nothing.
    pub fn unused_exceptions(&self) -> impl Iterator<Item = &ExceptionUse> {
        self.exceptions.iter().filter(|e| e.excuses == 0)
    }
    /// Whether the comparison does not fail: B keeps A's structure up to knobs and exceptions
    /// that each excuse something, or the two are unrelated (see [`ParityReport::verdict`]).
    pub fn holds(&self) -> bool {
        self.verdict != Verdict::Violated
    }
}

/// What a comparison allows: the knob kinds and the exceptions.
struct Rules<'m> {
    relation: Relation,
    may_differ: Vec<KnobKind>,
    exceptions: &'m [Exception],
}

/// The relation of two environments in either order: `(mirrored, mirroring, rules)`.
fn orient<'m>(
    model: &'m Model,
    x: &EnvironmentId,
    y: &EnvironmentId,
) -> (EnvironmentId, EnvironmentId, Rules<'m>) {
    let tiers = model.tiers();
    let (tx, ty) = (&tiers[x.tier_index()], &tiers[y.tier_index()]);
    let mirror = |mirrored: &crate::resolve::Tier, mirroring: &'m crate::resolve::Tier| {
        (mirroring.mirrors.as_deref() == Some(mirrored.name.as_str())).then(|| Rules {
            relation: Relation::Mirrors {
                tier: mirroring.name.clone(),
                mirrored: mirrored.name.clone(),
            },
            may_differ: mirroring.may_differ.clone(),
            exceptions: &mirroring.exceptions,
        })
    };
    if x.tier_index() == y.tier_index() {
        // Tenants may change any knob; instances the knobs their tier may change.
        let may_differ = if tx.per_tenant {
            KnobKind::ALL.to_vec()
        } else {
            tx.may_differ.clone()
        };
        let rules = Rules {
            relation: Relation::SameTier {
                tier: tx.name.clone(),
            },
            may_differ,
            exceptions: &[],
        };
        return (x.clone(), y.clone(), rules);
    }
    if let Some(rules) = mirror(tx, ty) {
        return (x.clone(), y.clone(), rules);
    }
    if let Some(rules) = mirror(ty, tx) {
        return (y.clone(), x.clone(), rules);
    }
    let rules = Rules {
        relation: Relation::Unrelated,
        may_differ: KnobKind::ALL.to_vec(),
        exceptions: &[],
    };
    (x.clone(), y.clone(), rules)
}

/// Compares two environments on what `emit` produces for each, in whichever order they
/// relate: the report's `a` is the mirrored environment and `b` the mirroring one. Knobs are
/// the ones B's tier may change (its `may_differ`), exceptions those B's tier declares.
///
/// # Errors
/// Either environment does not resolve.
pub fn compare(
    model: &Model,
    x: &EnvironmentId,
    y: &EnvironmentId,
    emit: &dyn Fn(&Environment) -> Vec<EmittedObject>,
) -> Result<ParityReport, Diagnostics> {
    let (a, b, rules) = orient(model, x, y);
    let env_a = model.resolve(&a)?;
    let env_b = model.resolve(&b)?;
    let env_i = model.resolve_as(&a, &b)?;
    let json_a = serde_json::to_value(&env_a.app).expect("the model serialises");
    let json_i = serde_json::to_value(&env_i.app).expect("the model serialises");
    let json_b = serde_json::to_value(&env_b.app).expect("the model serialises");

    let knob_allowed =
        |p: &FieldPath| knob_for(p).is_some_and(|k| rules.may_differ.contains(&k.kind));
    let knob_twin = twin(&env_i, &json_i, &json_b, &knob_allowed);

    let objs_i = flatten(emit(&env_i));
    let objs_b = flatten(emit(&env_b));
    let objs_k = flatten(emit(&knob_twin));
    // One twin per exception, so each excepted difference is credited to the exception that
    // explains it (a tier usually declares one or two).
    let exception_twins: Vec<(&Exception, Flat)> = rules
        .exceptions
        .iter()
        .map(|e| {
            let t = twin(&env_i, &json_i, &json_b, &|p| {
                knob_allowed(p) || e.covers(p)
            });
            (e, flatten(emit(&t)))
        })
        .collect();
    // Built on demand: K with only the knobs that may not add or remove objects, to prove that
    // an object one side lacks comes from a knob that may.
    let mut shape_keeping_twin: Option<Flat> = None;
    let agrees = |twin: &Flat, key: &Key| match (twin.get(key), objs_b.get(key)) {
        (Some(x), Some(y)) => x.1 == y.1,
        (None, None) => true,
        _ => false,
    };
    let unrelated = rules.relation == Relation::Unrelated;

    let raw = diff(&objs_i, &objs_b);
    // A as emitted under its own identity: to prove the emitters derive nothing but names
    // from the identity, and for the report's A values (I's are A's under B's names).
    let objs_a = flatten(emit(&env_a));
    let drift = identity::drift(&env_a, &env_i, &objs_a, &objs_i);
    let mut excused = vec![0usize; rules.exceptions.len()];
    let mut differences = Vec::with_capacity(raw.len());
    for (key, (component, vi, vb)) in raw {
        let class = if agrees(&objs_k, &key) {
            if key.1.is_empty() {
                let fixed = shape_keeping_twin.get_or_insert_with(|| {
                    let t = twin(&env_i, &json_i, &json_b, &|p| {
                        knob_for(p)
                            .is_some_and(|k| rules.may_differ.contains(&k.kind) && !k.adds_objects)
                    });
                    flatten(emit(&t))
                });
                if agrees(fixed, &key) {
                    // A knob the table says keeps the shape added or removed an object.
                    Class::Violation
                } else {
                    Class::KnobObject
                }
            } else {
                Class::Allowed
            }
        } else if unrelated {
            Class::Structural
        } else if let Some(i) = exception_twins.iter().position(|(_, t)| agrees(t, &key)) {
            excused[i] += 1;
            let e = exception_twins[i].0;
            Class::Excepted {
                exception: e.path.clone(),
                reason: e.reason.clone(),
            }
        } else {
            Class::Violation
        };
        let va = vi.map(|vi| objs_a.get(&key).map_or(vi, |(_, v)| v.clone()));
        let from_identity = drift
            .iter()
            .any(|(ka, ki)| ka.as_ref() == Some(&key) || ki.as_ref() == Some(&key));
        let class = if from_identity {
            Class::Violation
        } else {
            class
        };
        differences.push(Difference {
            class,
            component,
            object: key.0,
            path: key.1,
            a: va,
            b: vb,
        });
    }
    // Identity-driven differences that I and B happen to agree on are still violations: B's
    // own output came from the same emitters.
    for (ka, ki) in drift {
        let key = ki.clone().or(ka.clone()).expect("one side at least");
        if differences
            .iter()
            .any(|d| d.object == key.0 && d.path == key.1)
        {
            continue;
        }
        let component = ka
            .as_ref()
            .and_then(|k| objs_a.get(k))
            .or_else(|| objs_b.get(&key))
            .map(|(c, _)| c.clone())
            .unwrap_or_default();
        differences.push(Difference {
            class: Class::Violation,
            component,
            object: key.0.clone(),
            path: key.1.clone(),
            a: ka
                .as_ref()
                .and_then(|k| objs_a.get(k))
                .map(|(_, v)| v.clone()),
            b: objs_b.get(&key).map(|(_, v)| v.clone()),
        });
    }
    differences.sort_by(|x, y| {
        (&x.class, &x.component, &x.object, &x.path).cmp(&(
            &y.class,
            &y.component,
            &y.object,
            &y.path,
        ))
    });

    let knobs = knob_differences(&json_a, &json_i, &json_b);
    let exceptions: Vec<ExceptionUse> = rules
        .exceptions
        .iter()
        .zip(excused)
        .map(|(e, excuses)| ExceptionUse {
            path: e.path.clone(),
            reason: e.reason.clone(),
            declared_at: e.span.map(|s| model.source().location(s.start as usize)),
            excuses,
        })
        .collect();
    let mut counts = Counts {
        unused_exceptions: exceptions.iter().filter(|e| e.excuses == 0).count(),
        knobs: knobs.len(),
        ..Counts::default()
    };
    for d in &differences {
        match d.class {
            Class::Violation => counts.violations += 1,
            Class::Structural => counts.structural += 1,
            Class::Excepted { .. } => counts.excepted += 1,
            Class::KnobObject => counts.knob_objects += 1,
            Class::Allowed => counts.allowed += 1,
        }
    }
    let verdict = if unrelated {
        Verdict::None
    } else if counts.violations + counts.unused_exceptions > 0 {
        Verdict::Violated
    } else {
        Verdict::Holds
    };
    Ok(ParityReport {
        verdict,
        relation: rules.relation,
        a: env_a.name,
        b: env_b.name,
        counts,
        exceptions,
        knobs,
        differences,
        objects: (count_objects(&objs_i), count_objects(&objs_b)),
    })
}

/// The knobs whose values differ between two environments in the spec, oriented as
/// [`compare`] orients them (`a` the mirrored environment), without emitting anything: the
/// knob table of a parity report at the cost of resolving the two (for runbooks, which every
/// `build` writes). Neither environment is validated here.
///
/// # Errors
/// Either environment's values do not decode.
pub fn knobs(
    model: &Model,
    x: &EnvironmentId,
    y: &EnvironmentId,
) -> Result<(Relation, Vec<KnobDifference>), Diagnostics> {
    let (a, b, rules) = orient(model, x, y);
    let env_a = model.resolve_as(&a, &a)?;
    let env_i = model.resolve_as(&a, &b)?;
    let env_b = model.resolve_as(&b, &b)?;
    let json = |e: &Environment| serde_json::to_value(&e.app).expect("the model serialises");
    Ok((
        rules.relation,
        knob_differences(&json(&env_a), &json(&env_i), &json(&env_b)),
    ))
}

/// The knobs whose values differ in the spec: where A (named as B) and B differ, with A's
/// real value.
fn knob_differences(json_a: &Value, json_i: &Value, json_b: &Value) -> Vec<KnobDifference> {
    let mut knobs = Vec::new();
    for p in union_leaf_paths(json_i, json_b) {
        let (x, y) = (get(json_i, &p), get(json_b, &p));
        if x != y {
            if let Some(k) = knob_for(&p) {
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

/// A's environment with B's values wherever `take` says so.
fn twin(
    env_a: &Environment,
    a: &Value,
    b: &Value,
    take: &dyn Fn(&FieldPath) -> bool,
) -> Environment {
    let mut out = a.clone();
    graft(&mut out, b, &mut FieldPath::default(), take);
    let app: App = serde_json::from_value(out).expect("grafting model values keeps a valid model");
    Environment {
        app,
        ..env_a.clone()
    }
}

fn graft(dst: &mut Value, src: &Value, path: &mut FieldPath, take: &dyn Fn(&FieldPath) -> bool) {
    if !path.is_empty() && take(path) {
        *dst = src.clone();
        return;
    }
    if let (Value::Object(d), Value::Object(s)) = (&mut *dst, src) {
        let keys: Vec<String> = d.keys().chain(s.keys()).cloned().collect();
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

type Key = (String, String);
type Flat = Fields;

/// One side's emitted fields exactly as [`compare`] sees them: (object id, field path) ->
/// (component, value), lists of named entries keyed by name. An object's presence is the entry
/// with an empty field path.
pub type Fields = IndexMap<(String, String), (String, Value)>;

/// The fields of `objects` as parity compares them, for tools that show the shape of an
/// environment (the shape snapshots do). Emit the mirrored side from [`Model::resolve_as`] so
/// both sides carry one identity, as [`compare`] does.
pub fn fields(objects: Vec<EmittedObject>) -> Fields {
    flatten(objects)
}

/// Every leaf of every object, keyed by (object id, field path). An object's presence is the
/// key (id, "").
fn flatten(objects: Vec<EmittedObject>) -> Flat {
    let mut out = Flat::new();
    for o in objects {
        out.insert(
            (o.id.clone(), String::new()),
            (o.component.clone(), Value::Bool(true)),
        );
        leaves(&o.data, &mut String::new(), &mut |p, v| {
            out.insert(
                (o.id.clone(), p.to_owned()),
                (o.component.clone(), v.clone()),
            );
        });
    }
    out
}

fn leaves(v: &Value, path: &mut String, f: &mut dyn FnMut(&str, &Value)) {
    match v {
        Value::Object(o) if !o.is_empty() => {
            for (k, x) in o {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                leaves(x, path, f);
                path.truncate(len);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            // Lists of named entries (container environments, ports) are keyed by name, so one
            // inserted entry is one difference rather than a shift of every later index.
            let named = |x: &Value| x.get("name").and_then(Value::as_str).map(str::to_owned);
            let keys: Vec<Option<String>> = a.iter().map(named).collect();
            let unique = keys.iter().all(Option::is_some)
                && keys.iter().collect::<std::collections::BTreeSet<_>>().len() == keys.len();
            for (i, x) in a.iter().enumerate() {
                let len = path.len();
                match &keys[i] {
                    Some(k) if unique => path.push_str(&format!("[{k}]")),
                    _ => path.push_str(&format!("[{i}]")),
                }
                leaves(x, path, f);
                path.truncate(len);
            }
        }
        other => f(path, other),
    }
}

/// One raw difference: where, the component, and the value on each side.
type RawDifference = (Key, (String, Option<Value>, Option<Value>));

fn diff(a: &Flat, b: &Flat) -> Vec<RawDifference> {
    // An object present on one side only is one difference, not one per field.
    let present = |f: &Flat, id: &str| f.contains_key(&(id.to_owned(), String::new()));
    let mut out = Vec::new();
    for (k, (c, va)) in a {
        match b.get(k) {
            Some((_, vb)) if va == vb => {}
            Some((_, vb)) => out.push((k.clone(), (c.clone(), Some(va.clone()), Some(vb.clone())))),
            None if k.1.is_empty() || present(b, &k.0) => {
                out.push((k.clone(), (c.clone(), Some(va.clone()), None)))
            }
            None => {}
        }
    }
    for (k, (c, vb)) in b {
        if !a.contains_key(k) && (k.1.is_empty() || present(a, &k.0)) {
            out.push((k.clone(), (c.clone(), None, Some(vb.clone()))));
        }
    }
    out
}

fn count_objects(f: &Flat) -> usize {
    f.keys().filter(|k| k.1.is_empty()).count()
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

/// Leaf paths of the spec model, stopping at knob boundaries (a knob is compared whole).
fn leaf_paths(v: &Value) -> Vec<FieldPath> {
    fn walk(v: &Value, path: &mut FieldPath, out: &mut Vec<FieldPath>) {
        if !path.is_empty() && knob_for(path).is_some() {
            out.push(path.clone());
            return;
        }
        match v {
            Value::Object(o) if !o.is_empty() => {
                for (k, x) in o {
                    path.0.push(k.clone());
                    walk(x, path, out);
                    path.0.pop();
                }
            }
            _ => out.push(path.clone()),
        }
    }
    let mut out = Vec::new();
    walk(v, &mut FieldPath::default(), &mut out);
    out
}

fn union_leaf_paths(a: &Value, b: &Value) -> Vec<FieldPath> {
    let mut out = leaf_paths(a);
    let mut seen: std::collections::BTreeSet<FieldPath> = out.iter().cloned().collect();
    for p in leaf_paths(b) {
        if seen.insert(p.clone()) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, Source};
    use serde_json::json;

    const SPEC: &str = r#"
app    = "shop"
region = "us-east-1"
network { cidr = "10.1.0.0/16" }
platform "ecs_fargate" {}
database "main" {
  engine         = "postgres"
  engine_version = "15.4"
  instance_class = "db.m5.large"
}
service "api" {
  image        = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-api"
  tag          = "1.0.0"
  port         = 8080
  health_check { path = "/health" }
}
tier "staging" {
  mirrors = "production"
  exception "database.main.read_replicas" { reason = "staging needs no replica" }
  database "main" {
    instance_class = "db.t3.medium"
    read_replicas  = 0
  }
}
tier "production" {
  database "main" { read_replicas = 2 }
}
"#;

    /// A toy emitter: one object per database (plus replicas), one per service.
    fn emit(env: &Environment) -> Vec<EmittedObject> {
        let mut out = Vec::new();
        for (n, d) in &env.app.databases {
            out.push(EmittedObject {
                id: format!("db.{n}"),
                component: format!("database {n}"),
                data: json!({ "identifier": format!("shop-{}-{n}", env.name), "class": d.instance_class, "engine": d.engine_version }),
            });
            if d.read_replicas > 0 {
                out.push(EmittedObject {
                    id: format!("db.{n}-replica"),
                    component: format!("database {n}"),
                    data: json!({ "count": d.read_replicas }),
                });
            }
        }
        for (n, s) in &env.app.services {
            out.push(EmittedObject {
                id: format!("svc.{n}"),
                component: format!("service {n}"),
                data: json!({ "ports": [s.port] }),
            });
        }
        out
    }

    fn report(spec: &str) -> ParityReport {
        let m = Model::parse(Source::new("t.hcl", spec), Format::Hcl).unwrap();
        compare(
            &m,
            &m.environment("production").unwrap(),
            &m.environment("staging").unwrap(),
            &emit,
        )
        .unwrap()
    }

    #[test]
    fn knobs_are_allowed_and_exceptions_carry_their_reason() {
        let r = report(SPEC);
        assert!(r.holds(), "{r:#?}");
        let classes: Vec<(&str, &str, &Class)> = r
            .differences
            .iter()
            .map(|d| (d.object.as_str(), d.path.as_str(), &d.class))
            .collect();
        assert_eq!(
            classes,
            [
                (
                    "db.main-replica",
                    "",
                    &Class::Excepted {
                        exception: "database.main.read_replicas".into(),
                        reason: "staging needs no replica".into()
                    }
                ),
                ("db.main", "class", &Class::Allowed),
            ]
        );
        assert_eq!(r.knobs[0].path, "database.main.instance_class");
    }

    fn pair(spec: &str, x: &str, y: &str) -> ParityReport {
        let m = Model::parse(Source::new("t.hcl", spec), Format::Hcl).unwrap();
        compare(
            &m,
            &m.environment(x).unwrap(),
            &m.environment(y).unwrap(),
            &emit,
        )
        .unwrap()
    }

    #[test]
    fn the_relation_is_found_in_either_order() {
        let forward = pair(SPEC, "production", "staging");
        let backward = pair(SPEC, "staging", "production");
        assert_eq!(forward, backward);
        assert_eq!(
            (forward.a.as_str(), forward.b.as_str()),
            ("production", "staging")
        );
        assert_eq!(
            forward.relation,
            Relation::Mirrors {
                tier: "staging".into(),
                mirrored: "production".into()
            }
        );
        assert_eq!(forward.verdict, Verdict::Holds);
    }

    #[test]
    fn an_exception_that_excuses_nothing_fails_the_comparison() {
        let spec = SPEC.replace(
            "exception \"database.main.read_replicas\" { reason = \"staging needs no replica\" }",
            "exception \"database.main.read_replicas\" { reason = \"staging needs no replica\" }\n  exception \"service.api.port\" { reason = \"the port might differ one day\" }",
        );
        let r = pair(&spec, "production", "staging");
        assert_eq!(r.verdict, Verdict::Violated);
        assert_eq!(r.violations().count(), 0);
        let unused: Vec<&str> = r.unused_exceptions().map(|e| e.path.as_str()).collect();
        assert_eq!(unused, ["service.api.port"]);
        assert_eq!(r.exceptions[0].excuses, 1);
        assert!(!r.holds());
    }

    #[test]
    fn values_the_author_wrote_are_compared_as_written() {
        // `db_name` embeds each tier's name; an exception allows the difference. Before, the
        // tier names were rewritten to one placeholder, the difference vanished and the
        // exception excused nothing without anyone noticing.
        let spec = SPEC
            .replace("instance_class = \"db.m5.large\"\n}", "instance_class = \"db.m5.large\"\n  db_name = \"shop_production\"\n}")
            .replace(
                "read_replicas  = 0\n  }",
                "read_replicas  = 0\n    db_name        = \"shop_staging\"\n  }",
            )
            .replace(
                "  exception \"database.main.read_replicas\"",
                "  exception \"database.main.db_name\" { reason = \"the schema name follows the tier\" }\n  exception \"database.main.read_replicas\"",
            );
        let emit_name = |env: &Environment| {
            let mut o = emit(env);
            o.push(EmittedObject {
                id: "schema".into(),
                component: "database main".into(),
                data: json!({ "name": env.app.databases["main"].db_name }),
            });
            o
        };
        let m = Model::parse(Source::new("t.hcl", spec), Format::Hcl).unwrap();
        let r = compare(
            &m,
            &m.environment("production").unwrap(),
            &m.environment("staging").unwrap(),
            &emit_name,
        )
        .unwrap();
        let d = r.differences.iter().find(|d| d.object == "schema").unwrap();
        assert_eq!(
            (d.a.clone(), d.b.clone()),
            (Some(json!("shop_production")), Some(json!("shop_staging")))
        );
        assert!(
            matches!(&d.class, Class::Excepted { exception, .. } if exception == "database.main.db_name")
        );
        assert_eq!(r.verdict, Verdict::Holds, "{r:#?}");
        // Names tierform derives from the identity agree without any rewriting.
        assert!(
            r.differences.iter().all(|d| d.path != "identifier"),
            "{r:#?}"
        );
    }

    #[test]
    fn unrelated_environments_get_no_verdict() {
        let spec = SPEC.replace("tier \"production\" {", "tier \"sandbox\" {\n  database \"main\" { engine_version = \"16.6\" }\n}\ntier \"production\" {");
        let r = pair(&spec, "production", "sandbox");
        assert_eq!(r.relation, Relation::Unrelated);
        assert_eq!(r.verdict, Verdict::None);
        assert!(r.holds());
        assert!(r.differences.iter().any(|d| d.class == Class::Structural));
    }

    #[test]
    fn named_list_entries_are_keyed_by_name() {
        let obj = EmittedObject {
            id: "t".into(),
            component: "c".into(),
            data: json!({ "env": [{ "name": "A", "value": 1 }] }),
        };
        assert!(flatten(vec![obj]).contains_key(&("t".to_string(), "env[A].value".to_string())));
    }

    #[test]
    fn emitter_differences_that_knobs_do_not_explain_are_violations() {
        // Emit a structural difference keyed on the environment's identity, as a buggy emitter would.
        let m = Model::parse(Source::new("t.hcl", SPEC), Format::Hcl).unwrap();
        let buggy = |env: &Environment| {
            let mut o = emit(env);
            if env.tier == "production" {
                o.push(EmittedObject {
                    id: "alarm.cpu".into(),
                    component: "observability".into(),
                    data: json!({}),
                });
            }
            o
        };
        let r = compare(
            &m,
            &m.environment("production").unwrap(),
            &m.environment("staging").unwrap(),
            &buggy,
        )
        .unwrap();
        let v: Vec<&str> = r.violations().map(|d| d.object.as_str()).collect();
        assert_eq!(v, ["alarm.cpu"]);
    }
}
