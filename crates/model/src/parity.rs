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

use std::sync::Arc;

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::{Diagnostics, FieldPath, Location};
use crate::environment::Environment;
use crate::knob::{Declared, KnobKind};
use crate::resolve::{EnvironmentId, Model};

mod emitted;
mod fast;
mod identity;
mod relation;
mod twin;

use emitted::{Emitted, Key, Probe};

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

/// What parity compares environments by: the objects an environment compiles to. Any
/// `Fn(&Environment) -> Vec<EmittedObject>` is one.
pub trait Emit {
    /// Everything `env` compiles to, as parity compares it.
    fn objects(&self, env: &Environment) -> Vec<EmittedObject>;

    /// Which objects `env` compiles to: the ids and components of [`Emit::objects`], data
    /// left `null`, in any order. Parity asks only this of the twin that tells whether an
    /// object on one side only comes from a knob that adds objects; an emitter that can say
    /// which objects exist without building their data overrides it.
    fn presence(&self, env: &Environment) -> Vec<EmittedObject> {
        self.objects(env)
            .into_iter()
            .map(|o| EmittedObject {
                data: Value::Null,
                ..o
            })
            .collect()
    }
}

impl<F: Fn(&Environment) -> Vec<EmittedObject>> Emit for F {
    fn objects(&self, env: &Environment) -> Vec<EmittedObject> {
        self(env)
    }
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
#[non_exhaustive]
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
#[non_exhaustive]
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
    /// B's tier reaches A's through a chain of mirrors (`chain`: B's tier first): each step is
    /// judged on its own (`check` compares every direct pair), so the two are compared
    /// without a verdict.
    Indirect {
        /// The tiers from B's to A's.
        chain: Vec<String>,
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
#[non_exhaustive]
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
#[non_exhaustive]
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
#[non_exhaustive]
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
    emit: &dyn Emit,
) -> Result<ParityReport, Diagnostics> {
    compare_with(model, x, y, emit, &Sides::default(), &mut Sides::default())
}

/// One environment as parity compares it: resolved, its model values as JSON, and what it
/// emits.
#[derive(Debug)]
pub struct Side {
    env: Environment,
    json: Value,
    objs: Arc<Emitted>,
}

/// Environments already resolved and emitted, for comparisons that share them: the first
/// environment of a tier is one side of a pair with every other, and an environment is a side
/// of a pair with its tier's first and with the environments its tier mirrors and is mirrored
/// by. Emitters are functions of the environment, so a side emitted once serves every pair.
#[derive(Debug, Default)]
pub struct Sides {
    sides: fast::FastMap<EnvironmentId, Arc<Side>>,
    /// Every environment of the model was validated before: resolve without validating again.
    validated: bool,
}

impl Sides {
    /// Sides of a model whose every environment the caller has already validated (as `check`
    /// does before it compares anything): they are resolved without validating a second time.
    pub fn of_validated_model() -> Sides {
        Sides {
            validated: true,
            ..Sides::default()
        }
    }

    /// Resolves (validating it) and emits the environment `id`, unless it is here already.
    ///
    /// # Errors
    /// The environment does not resolve.
    pub fn add(
        &mut self,
        model: &Model,
        id: &EnvironmentId,
        emit: &dyn Emit,
    ) -> Result<(), Diagnostics> {
        self.side(model, id, emit, &Sides::default()).map(|_| ())
    }

    /// How many environments are here.
    pub fn len(&self) -> usize {
        self.sides.len()
    }

    /// Whether no environment is here.
    pub fn is_empty(&self) -> bool {
        self.sides.is_empty()
    }

    /// The side of `id`: from `shared`, from here, or resolved, emitted and kept here.
    fn side(
        &mut self,
        model: &Model,
        id: &EnvironmentId,
        emit: &dyn Emit,
        shared: &Sides,
    ) -> Result<Arc<Side>, Diagnostics> {
        if let Some(s) = shared.sides.get(id).or_else(|| self.sides.get(id)) {
            return Ok(Arc::clone(s));
        }
        let env = if self.validated {
            model.resolve_as(id, id)?
        } else {
            model.resolve(id)?
        };
        let side = Arc::new(Side {
            json: app_json(&env),
            objs: Arc::new(Emitted::new(emit.objects(&env))),
            env,
        });
        self.sides.insert(id.clone(), Arc::clone(&side));
        Ok(side)
    }
}

/// An environment's model values as JSON, as twins graft them.
fn app_json(e: &Environment) -> Value {
    serde_json::to_value(&e.app).expect("the model serialises")
}

/// [`compare`], taking each environment from `shared` or `local` when it is there and keeping
/// it in `local` otherwise (the report is the same either way).
///
/// # Errors
/// Either environment does not resolve.
pub fn compare_with(
    model: &Model,
    x: &EnvironmentId,
    y: &EnvironmentId,
    emit: &dyn Emit,
    shared: &Sides,
    local: &mut Sides,
) -> Result<ParityReport, Diagnostics> {
    let (a, b, rules) = relation::orient(model, x, y);
    let side_a = local.side(model, &a, emit, shared)?;
    let env_i = model.resolve_as(&a, &b)?;
    let side_b = local.side(model, &b, emit, shared)?;
    let c = Comparison::new(side_a, env_i, side_b, rules, emit);
    let raw = emitted::diff(&c.objs_i, &c.side_b.objs);
    let mut ids: Vec<String> = raw.iter().map(|d| d.0 .0.clone()).collect();
    ids.dedup();
    let objs_a = &c.side_a.objs;
    let probe_a = Probe::new(objs_a, ids.iter().map(String::as_str));
    let drift = identity::drift(&c.side_a.env, &c.env_i, objs_a, &c.objs_i);
    let mut judge = Judge::new(&c, &ids);
    let mut differences = Vec::with_capacity(raw.len() + drift.len());
    for (key, component, vi, vb) in raw {
        let from_identity = drift
            .iter()
            .any(|(ka, ki)| ka.as_ref() == Some(&key) || ki.as_ref() == Some(&key));
        let class = if from_identity {
            Class::Violation
        } else {
            judge.class(&key, vb.as_ref())
        };
        let a = vi.map(|vi| probe_a.get(&key).cloned().unwrap_or(vi));
        differences.push(Difference {
            class,
            component,
            object: key.0,
            path: key.1,
            a,
            b: vb,
        });
    }
    differences.extend(identity_violations(
        drift,
        &differences,
        objs_a,
        &c.side_b.objs,
    ));
    differences.sort_by(|x, y| {
        (&x.class, &x.component, &x.object, &x.path).cmp(&(
            &y.class,
            &y.component,
            &y.object,
            &y.path,
        ))
    });
    let knobs = twin::knob_differences(&c.side_a.json, &c.json_i, &c.side_b.json);
    let exceptions = c
        .rules
        .exceptions
        .iter()
        .zip(judge.excused)
        .map(|(e, excuses)| ExceptionUse {
            path: e.path.clone(),
            reason: e.reason.clone(),
            declared_at: e.span.map(|s| model.source().location(s.start as usize)),
            excuses,
        })
        .collect();
    Ok(report(c, exceptions, knobs, differences))
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
    let (a, b, rules) = relation::orient(model, x, y);
    let env_a = model.resolve_as(&a, &a)?;
    let env_i = model.resolve_as(&a, &b)?;
    let env_b = model.resolve_as(&b, &b)?;
    let json = |e: &Environment| serde_json::to_value(&e.app).expect("the model serialises");
    Ok((
        rules.relation,
        twin::knob_differences(&json(&env_a), &json(&env_i), &json(&env_b)),
    ))
}

/// The report, with its counts and verdict.
fn report(
    c: Comparison<'_>,
    exceptions: Vec<ExceptionUse>,
    knobs: Vec<KnobDifference>,
    differences: Vec<Difference>,
) -> ParityReport {
    let mut counts = Counts {
        unused_exceptions: exceptions
            .iter()
            .filter(|e: &&ExceptionUse| e.excuses == 0)
            .count(),
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
    let verdict = if c.rules.unjudged() {
        Verdict::None
    } else if counts.violations + counts.unused_exceptions > 0 {
        Verdict::Violated
    } else {
        Verdict::Holds
    };
    ParityReport {
        verdict,
        relation: c.rules.relation,
        objects: (c.objs_i.objects.len(), c.side_b.objs.objects.len()),
        a: c.side_a.env.name.clone(),
        b: c.side_b.env.name.clone(),
        counts,
        exceptions,
        knobs,
        differences,
    }
}

/// Identity-driven differences that I and B happen to agree on are still violations: B's own
/// output came from the same emitters.
fn identity_violations(
    drift: Vec<identity::Drift>,
    seen: &[Difference],
    objs_a: &Emitted,
    objs_b: &Emitted,
) -> Vec<Difference> {
    let mut out = Vec::new();
    for (ka, ki) in drift {
        let key = ki.or_else(|| ka.clone()).expect("one side at least");
        if seen.iter().any(|d| d.object == key.0 && d.path == key.1) {
            continue;
        }
        let component = ka
            .as_ref()
            .and_then(|k| objs_a.component(&k.0))
            .or_else(|| objs_b.component(&key.0))
            .unwrap_or_default()
            .to_owned();
        out.push(Difference {
            class: Class::Violation,
            component,
            a: ka.as_ref().and_then(|k| objs_a.get(k)),
            b: objs_b.get(&key),
            object: key.0,
            path: key.1,
        });
    }
    out
}

/// The three environments of a comparison and what they emit: A, A's values under B's identity
/// (I), and B.
struct Comparison<'m> {
    side_a: Arc<Side>,
    env_i: Environment,
    side_b: Arc<Side>,
    json_i: Value,
    objs_i: Arc<Emitted>,
    rules: relation::Rules<'m>,
    emit: &'m dyn Emit,
    /// The knobs the mirrored structure's raw blocks declare.
    declared: Declared,
}

impl<'m> Comparison<'m> {
    fn new(
        side_a: Arc<Side>,
        env_i: Environment,
        side_b: Arc<Side>,
        rules: relation::Rules<'m>,
        emit: &'m dyn Emit,
    ) -> Comparison<'m> {
        let json_i = app_json(&env_i);
        // Emitters are functions of the environment: I and B carry one identity, so equal
        // values emit equal objects.
        let objs_i = if fast::same(&json_i, &side_b.json) {
            Arc::clone(&side_b.objs)
        } else {
            Arc::new(Emitted::new(emit.objects(&env_i)))
        };
        Comparison {
            side_a,
            env_i,
            side_b,
            declared: Declared::of(&json_i),
            json_i,
            objs_i,
            rules,
            emit,
        }
    }

    /// What I emits with B's values wherever `take` says so (the same objects as I or B when
    /// the grafted values equal theirs, without emitting again): every object's data, or with
    /// `presence_only` only which objects there are.
    fn twin(&self, take: &dyn Fn(&FieldPath) -> bool, presence_only: bool) -> Arc<Emitted> {
        let json = twin::graft_values(&self.json_i, &self.side_b.json, take);
        if fast::same(&json, &self.side_b.json) {
            Arc::clone(&self.side_b.objs)
        } else if fast::same(&json, &self.json_i) {
            Arc::clone(&self.objs_i)
        } else {
            let env = twin::environment(&self.env_i, json);
            Arc::new(Emitted::new(if presence_only {
                self.emit.presence(&env)
            } else {
                self.emit.objects(&env)
            }))
        }
    }

    fn knob_allowed(&self, p: &FieldPath) -> bool {
        self.declared
            .knob_for(p)
            .is_some_and(|k| self.rules.may_differ.contains(&k.kind))
    }
}

/// Classifies differences, building each twin the first time a difference needs it.
struct Judge<'c, 'm> {
    c: &'c Comparison<'m>,
    ids: &'c [String],
    /// The knob twin's fields, or `None` when the knob twin is B itself (B differs from A only
    /// by knobs its tier may change): then it has B's value at every key.
    knob: Option<Probe>,
    shape_keeping: Option<Probe>,
    exceptions: Vec<Option<Probe>>,
    excused: Vec<usize>,
}

impl<'c, 'm> Judge<'c, 'm> {
    fn new(c: &'c Comparison<'m>, ids: &'c [String]) -> Judge<'c, 'm> {
        let knob = if ids.is_empty() {
            Some(Probe::default())
        } else {
            let twin = c.twin(&|p| c.knob_allowed(p), false);
            (!Arc::ptr_eq(&twin, &c.side_b.objs))
                .then(|| Probe::new(&twin, ids.iter().map(String::as_str)))
        };
        Judge {
            c,
            ids,
            knob,
            shape_keeping: None,
            exceptions: c.rules.exceptions.iter().map(|_| None).collect(),
            excused: vec![0; c.rules.exceptions.len()],
        }
    }

    fn class(&mut self, key: &Key, vb: Option<&Value>) -> Class {
        let c = self.c;
        if self.knob.as_ref().is_none_or(|k| k.get(key) == vb) {
            if !key.1.is_empty() {
                return Class::Allowed;
            }
            // An object on one side only: allowed only when a knob that may add or remove
            // objects causes it, not one the table says keeps the shape.
            let ids = &self.ids;
            let fixed = self.shape_keeping.get_or_insert_with(|| {
                // Asked only whether an object exists: its presence is enough.
                let t = c.twin(
                    &|p| {
                        c.declared
                            .knob_for(p)
                            .is_some_and(|k| c.knob_allowed(p) && !k.adds_objects)
                    },
                    true,
                );
                Probe::new(&t, ids.iter().map(String::as_str))
            });
            return if fixed.get(key) == vb {
                Class::Violation
            } else {
                Class::KnobObject
            };
        }
        if c.rules.unjudged() {
            return Class::Structural;
        }
        for (i, e) in c.rules.exceptions.iter().enumerate() {
            let ids = &self.ids;
            let probe = self.exceptions[i].get_or_insert_with(|| {
                let t = c.twin(&|p| c.knob_allowed(p) || e.covers(p), false);
                Probe::new(&t, ids.iter().map(String::as_str))
            });
            if probe.get(key) == vb {
                self.excused[i] += 1;
                return Class::Excepted {
                    exception: e.path.clone(),
                    reason: e.reason.clone(),
                };
            }
        }
        Class::Violation
    }
}

/// One side's emitted fields exactly as [`compare`] sees them: (object id, field path) ->
/// (component, value), lists of named entries keyed by name. An object's presence is the entry
/// with an empty field path.
pub type Fields = IndexMap<(String, String), (String, Value)>;

/// The fields of `objects` as parity compares them, for tools that show the shape of an
/// environment (the shape snapshots do). Emit the mirrored side from [`Model::resolve_as`] so
/// both sides carry one identity, as [`compare`] does.
pub fn fields(objects: Vec<EmittedObject>) -> Fields {
    let mut out = Fields::new();
    for o in objects {
        out.insert(
            (o.id.clone(), String::new()),
            (o.component.clone(), Value::Bool(true)),
        );
        for (path, v) in emitted::leaves_of(&o.data) {
            out.insert((o.id.clone(), path), (o.component.clone(), v));
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
  engine_version = "15.15"
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
    fn a_chain_of_mirrors_is_named_and_not_judged_at_once() {
        let spec = SPEC.replace(
            "tier \"production\" {",
            "tier \"qa\" {\n  mirrors = \"staging\"\n}\ntier \"production\" {",
        );
        for (x, y) in [("qa", "production"), ("production", "qa")] {
            let r = pair(&spec, x, y);
            assert_eq!((r.a.as_str(), r.b.as_str()), ("production", "qa"));
            assert_eq!(
                r.relation,
                Relation::Indirect {
                    chain: vec!["qa".into(), "staging".into(), "production".into()]
                }
            );
            assert_eq!(r.verdict, Verdict::None);
        }
    }

    #[test]
    fn unrelated_environments_get_no_verdict() {
        let spec = SPEC.replace("tier \"production\" {", "tier \"sandbox\" {\n  database \"main\" { engine_version = \"16.10\" }\n}\ntier \"production\" {");
        let r = pair(&spec, "production", "sandbox");
        assert_eq!(r.relation, Relation::Unrelated);
        assert_eq!(r.verdict, Verdict::None);
        assert!(r.holds());
        assert!(r.differences.iter().any(|d| d.class == Class::Structural));
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
