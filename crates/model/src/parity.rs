//! Parity: what differs between two environments, and whether the spec allows it.
//!
//! Emitters hand their output to parity as data ([`EmittedObject`]: one Terraform resource or
//! one Kubernetes object as JSON), so parity judges what tierform actually emits, not only what
//! the spec says: an emitter bug cannot hide a difference.
//!
//! Every difference between the emitted objects of environments A and B is classified by
//! re-emitting a *knob twin* K: A's environment with B's knob values and nothing else of B's.
//! - A difference that K reproduces (K and B agree on it) is caused by knobs: **allowed**.
//! - One that K does not reproduce comes from structure. If the twin E (K plus B's values at
//!   the paths B's tier declares as exceptions) reproduces it, it is **excepted**, with the
//!   exception's reason; otherwise it is a **violation**.
//!
//! Environment names, tiers and instances are normalised in emitted text before comparing, so
//! `servio-staging-db` and `servio-production-db` are the same name.

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::{Diagnostics, FieldPath};
use crate::environment::Environment;
use crate::knob::{knob_for, KnobKind};
use crate::resolve::{EnvironmentId, Model};
use crate::spec::App;

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
pub enum Class {
    /// Structure differs and the spec does not accept it.
    Violation,
    /// Structure differs and the spec accepts it, for this reason.
    Excepted {
        /// The exception's path pattern.
        exception: String,
        /// Its reason.
        reason: String,
    },
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
    /// The value in A.
    pub a: Value,
    /// The value in B.
    pub b: Value,
}

/// The parity of two environments.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParityReport {
    /// Environment A (usually the mirrored one, such as production).
    pub a: String,
    /// Environment B (usually the mirroring one, such as staging).
    pub b: String,
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
    /// Whether B keeps A's structure, up to knobs and declared exceptions.
    pub fn holds(&self) -> bool {
        self.violations().next().is_none()
    }
}

/// Compares environment `b` against `a` on what `emit` produces for each. Knobs are the ones
/// `b`'s tier may change (its `may_differ`), exceptions those `b`'s tier declares.
///
/// # Errors
/// Either environment does not resolve.
pub fn compare(
    model: &Model,
    a: &EnvironmentId,
    b: &EnvironmentId,
    emit: &dyn Fn(&Environment) -> Vec<EmittedObject>,
) -> Result<ParityReport, Diagnostics> {
    let env_a = model.resolve(a)?;
    let env_b = model.resolve(b)?;
    let tier_b = &model.tiers()[b.tier_index()];
    let json_a = serde_json::to_value(&env_a.app).expect("the model serialises");
    let json_b = serde_json::to_value(&env_b.app).expect("the model serialises");

    let knob_allowed =
        |p: &FieldPath| knob_for(p).is_some_and(|k| tier_b.may_differ.contains(&k.kind));
    let knob_twin = twin(&env_a, &json_a, &json_b, &|p| knob_allowed(p));

    // Both identities on every side: a knob value of B (a host such as `staging.example.com`)
    // lands in K, and a text may name both tiers ("sandbox in staging, live in production").
    let tokens = identity_tokens(&env_a, &env_b);
    let objs_a = flatten(emit(&env_a), &tokens);
    let objs_b = flatten(emit(&env_b), &tokens);
    let objs_k = flatten(emit(&knob_twin), &tokens);
    // One twin per exception, so each excepted difference is credited to the exception that
    // explains it (a tier usually declares one or two).
    let exception_twins: Vec<(&crate::resolve::Exception, Flat)> = tier_b
        .exceptions
        .iter()
        .map(|e| {
            let t = twin(&env_a, &json_a, &json_b, &|p| {
                knob_allowed(p) || e.covers(p)
            });
            (e, flatten(emit(&t), &tokens))
        })
        .collect();
    let agrees = |twin: &Flat, key: &Key| match (twin.get(key), objs_b.get(key)) {
        (Some(x), Some(y)) => same(&x.1, &y.1),
        (None, None) => true,
        _ => false,
    };

    let mut differences = Vec::new();
    for (key, (component, va, vb)) in diff(&objs_a, &objs_b) {
        let class = if agrees(&objs_k, &key) {
            Class::Allowed
        } else if let Some((e, _)) = exception_twins.iter().find(|(_, t)| agrees(t, &key)) {
            Class::Excepted {
                exception: e.path.clone(),
                reason: e.reason.clone(),
            }
        } else {
            Class::Violation
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
    differences.sort_by(|x, y| {
        (&x.class, &x.component, &x.object, &x.path).cmp(&(
            &y.class,
            &y.component,
            &y.object,
            &y.path,
        ))
    });

    let mut knobs = Vec::new();
    for p in union_leaf_paths(&json_a, &json_b) {
        let (x, y) = (get(&json_a, &p), get(&json_b, &p));
        if x != y {
            if let Some(k) = knob_for(&p) {
                knobs.push(KnobDifference {
                    path: p.to_string(),
                    kind: k.kind,
                    a: x.cloned().unwrap_or(Value::Null),
                    b: y.cloned().unwrap_or(Value::Null),
                });
            }
        }
    }
    let objects = (count_objects(&objs_a), count_objects(&objs_b));
    Ok(ParityReport {
        a: env_a.name,
        b: env_b.name,
        knobs,
        differences,
        objects,
    })
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
/// (component, value), identity normalised for the pair `a`, `b`, lists of named entries keyed
/// by name. An object's presence is the entry with an empty field path.
pub type Fields = IndexMap<(String, String), (String, Value)>;

/// The fields of `objects` (emitted for `a` or `b`) as parity compares them, for tools that
/// show the shape of an environment (the shape snapshots do).
pub fn fields(objects: Vec<EmittedObject>, a: &Environment, b: &Environment) -> Fields {
    flatten(objects, &identity_tokens(a, b))
}

/// The identity strings of both environments and their placeholders, longest first (so
/// `production-t001` is replaced before `production`), empty ones left out.
fn identity_tokens(a: &Environment, b: &Environment) -> Vec<(String, &'static str)> {
    let mut tokens = Vec::new();
    for env in [a, b] {
        tokens.push((env.name.clone(), "{env}"));
        tokens.push((env.tier.clone(), "{tier}"));
        if let Some(i) = &env.instance {
            tokens.push((i.clone(), "{instance}"));
        }
    }
    tokens.retain(|(t, _)| !t.is_empty());
    tokens.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
    tokens
}

/// Whether two normalised values are the same. Names that AWS length limits forced an emitter
/// to shorten (`<prefix>-<6 hex digits>`) depend on the length of the environment's name, so
/// such a name matches any name that starts with its kept prefix.
fn same(x: &Value, y: &Value) -> bool {
    if x == y {
        return true;
    }
    let (Value::String(x), Value::String(y)) = (x, y) else {
        return false;
    };
    let kept = |s: &str| -> Option<String> {
        let (head, hash) = s.rsplit_once('-')?;
        (s.contains("{env}")
            && hash.len() == 6
            && hash
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| head.to_owned())
    };
    match (kept(x), kept(y)) {
        (Some(a), Some(b)) => a.starts_with(&b) || b.starts_with(&a),
        (Some(a), None) => y.starts_with(&a),
        (None, Some(b)) => x.starts_with(&b),
        (None, None) => false,
    }
}

/// Every leaf of every object, keyed by (object id, field path), with environment identity
/// normalised. An object's presence is the key (id, "").
fn flatten(objects: Vec<EmittedObject>, tokens: &[(String, &str)]) -> Flat {
    let mut out = Flat::new();
    for o in objects {
        let id = normalise(&o.id, tokens);
        out.insert(
            (id.clone(), String::new()),
            (o.component.clone(), Value::Bool(true)),
        );
        leaves(&o.data, &mut String::new(), &mut |p, v| {
            let v = match v {
                // A value that is exactly a name of the environment is identity only where the
                // field says so (a tag or label such as `Environment`); elsewhere it is data,
                // such as `CORE_BANKING_BACKEND = "ledgers"`, and must stay visible.
                Value::String(s) if !is_identity_field(p) && tokens.iter().any(|(t, _)| t == s) => {
                    Value::String(s.clone())
                }
                Value::String(s) => Value::String(normalise(s, tokens)),
                other => other.clone(),
            };
            out.insert((id.clone(), p.to_owned()), (o.component.clone(), v));
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

/// Fields whose value names the environment by design: tags, labels, namespaces.
fn is_identity_field(path: &str) -> bool {
    const SUFFIXES: &[&str] = &["environment", "tier", "tenant", "instance", "namespace"];
    let last = path
        .rsplit(['.', '/'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    SUFFIXES.contains(&last.as_str())
}

/// Replaces whole-word occurrences of identity tokens, in the order given (longest first, see
/// [`identity_tokens`]).
fn normalise(s: &str, tokens: &[(String, &str)]) -> String {
    let mut out = s.to_owned();
    for (token, with) in tokens {
        if !out.contains(token.as_str()) {
            continue;
        }
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        let mut prev: Option<char> = None;
        while let Some(i) = rest.find(token.as_str()) {
            let before = rest[..i].chars().last().or(prev);
            let after = rest[i + token.len()..].chars().next();
            let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
            result.push_str(&rest[..i]);
            if boundary(before) && boundary(after) {
                result.push_str(with);
            } else {
                result.push_str(token);
            }
            prev = token.chars().last();
            rest = &rest[i + token.len()..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// One raw difference: where, the component, and the value on each side.
type RawDifference = (Key, (String, Option<Value>, Option<Value>));

fn diff(a: &Flat, b: &Flat) -> Vec<RawDifference> {
    // An object present on one side only is one difference, not one per field.
    let present = |f: &Flat, id: &str| f.contains_key(&(id.to_owned(), String::new()));
    let mut out = Vec::new();
    for (k, (c, va)) in a {
        match b.get(k) {
            Some((_, vb)) if same(va, vb) => {}
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

    #[test]
    fn shortened_names_match_their_full_form() {
        let s = |x: &str| Value::String(x.into());
        assert!(same(
            &s("w-{env}-ses-7751fc"),
            &s("w-{env}-sessions-default")
        ));
        assert!(same(
            &s("w-{env}-ses-7751fc"),
            &s("w-{env}-sessions-ban-f55da8")
        ));
        assert!(!same(&s("w-{env}-app"), &s("w-{env}-api")));
        assert!(!same(&s("w-{env}-abc-7751fc"), &s("w-{env}-sessions")));
    }

    #[test]
    fn values_that_merely_equal_a_name_stay_visible() {
        let tokens = vec![("ledgers".to_string(), "{instance}")];
        let obj = |v: &str| EmittedObject {
            id: "cm".into(),
            component: "c".into(),
            data: json!({ "data": { "BACKEND": v }, "tags": { "Tenant": v } }),
        };
        let f = flatten(vec![obj("ledgers")], &tokens);
        assert_eq!(
            f[&("cm".to_string(), "data.BACKEND".to_string())].1,
            json!("ledgers")
        );
        assert_eq!(
            f[&("cm".to_string(), "tags.Tenant".to_string())].1,
            json!("{instance}")
        );
    }

    #[test]
    fn named_list_entries_are_keyed_by_name() {
        let obj = EmittedObject {
            id: "t".into(),
            component: "c".into(),
            data: json!({ "env": [{ "name": "A", "value": 1 }] }),
        };
        assert!(
            flatten(vec![obj], &[]).contains_key(&("t".to_string(), "env[A].value".to_string()))
        );
    }

    #[test]
    fn identity_is_normalised() {
        assert_eq!(
            normalise(
                "shop-staging-db staging.x prestaging",
                &[("staging".into(), "{env}")]
            ),
            "shop-{env}-db {env}.x prestaging"
        );
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
