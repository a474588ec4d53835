//! The values a module takes as inputs, and the probes that show where each lands.
//!
//! An environment's inputs are its identity (name, tier, instance) and every knob value the
//! knob table ([`KNOBS`]) finds in its resolved application, each a *leaf*: a string, number,
//! boolean or enum value (a knob over a list or an object gives one leaf per element or
//! field). A *probe* is the same environment with some leaves replaced by tokens, emitted
//! like any other; comparing a probe's blocks with the real ones shows which values of the
//! Terraform carry which leaf:
//!
//! - strings become `__tf<leaf>__`, found verbatim inside names, ARNs and templates;
//! - numbers become a *far* token (`20000 + 7 × leaf`: far from any real size, so that a value
//!   tierform computes from a number, such as Fargate's CPU units, visibly changes) in one
//!   probe and a *near* token (the real value plus a small offset, distinct from every other
//!   number of the environment: thresholds such as "retention under a year" still hold) in
//!   another;
//! - booleans and enums cannot carry a token: each probe of a set flips some of them, each
//!   leaf in its own pattern (a binary code), so that a value that flips in exactly a leaf's
//!   pattern is that leaf's.

use std::collections::BTreeSet;

use serde_json::Value;
use tierform_model::{App, Declared, Environment, KnobKind, KNOBS};

/// Where an input comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Origin {
    /// The environment's identity: `environment`, `tier` or `instance`.
    Identity(&'static str),
    /// A knob: its concrete path (`database.main.instance_class`) and kind.
    Knob(String, KnobKind),
}

/// What kind of value a leaf is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Text,
    Number,
    Flag,
    /// An enum, with every value it may take, in the spec's order.
    Choice(Vec<String>),
}

/// One module input: a whole knob value (a list knob is one input) or an identity part.
#[derive(Debug, Clone)]
pub(crate) struct Var {
    pub name: String,
    pub origin: Origin,
    /// The real value, as JSON.
    pub value: Value,
    /// Its leaves: one, or one per element of a list.
    pub leaves: Vec<usize>,
    pub list: bool,
}

/// One scalar value of an input.
#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    pub var: usize,
    /// The element of a list input.
    pub element: Option<usize>,
    pub value: Value,
    pub kind: Kind,
    /// Where it is in the application's JSON; empty for the identity.
    pub path: Vec<String>,
}

/// Every input of an environment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Inputs {
    pub vars: Vec<Var>,
    pub leaves: Vec<Leaf>,
    /// The boolean and enum leaves, in order: leaf `finite[i]` flips in the probes whose bit
    /// is set in `i + 1`.
    pub finite: Vec<usize>,
    /// The near token of every number leaf.
    pub near: Vec<Option<u64>>,
    /// How long the token of the environment's name is (see [`Inputs::of`]).
    name_width: usize,
}

/// The first far token.
pub(crate) const FAR_BASE: u64 = 20_000;

impl Inputs {
    /// The identity and the knob values of `env`, whose application is `app` as JSON;
    /// `schema` is the spec's JSON Schema, for the values of enums. The token of the
    /// environment's name is `name_width` characters long (at least 7): as long as the longest
    /// name of the spec's environments, a name tierform cuts to an AWS length limit in one
    /// of them is cut in the probes of all, so it is an input of every module rather than
    /// a template in some and an input in others.
    pub(crate) fn of(env: &Environment, app: &Value, schema: &Value, name_width: usize) -> Inputs {
        let mut inputs = Inputs {
            name_width,
            ..Inputs::default()
        };
        let identity: [(&'static str, Option<&str>); 3] = [
            ("environment", Some(env.name.as_str())),
            ("tier", Some(env.tier.as_str())),
            ("instance", env.instance.as_deref()),
        ];
        for (name, value) in identity {
            if let Some(v) = value {
                inputs.push_var(
                    name.to_owned(),
                    Origin::Identity(name),
                    Value::String(v.to_owned()),
                    Vec::new(),
                    schema,
                );
            }
        }
        let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
        for knob in KNOBS {
            let segments: Vec<&str> = knob.pattern.split('.').collect();
            let mut found = Vec::new();
            find(app, &segments, &mut Vec::new(), &mut found);
            for (path, value) in found {
                if !seen.insert(path.clone()) {
                    continue;
                }
                inputs.push_knob(&path, value, knob.kind, schema);
            }
        }
        // The knobs raw blocks declare: inputs like the table's, when they hold plain values
        // (a reference is resolved per environment, not a value a root module passes).
        for path in Declared::of(app).paths() {
            let value = path.segments().try_fold(app, |v, s| v.get(s));
            let plain = |v: &Value| {
                !v.is_object()
                    && v.as_array()
                        .is_none_or(|a| a.iter().all(|x| !x.is_object()))
            };
            if let Some(value) = value.filter(|v| plain(v)) {
                if seen.insert(path.0.clone()) {
                    inputs.push_knob(&path.0, value, KnobKind::Declared, schema);
                }
            }
        }
        inputs.dedupe_names();
        inputs.finite = (0..inputs.leaves.len())
            .filter(|&i| matches!(inputs.leaves[i].kind, Kind::Flag | Kind::Choice(_)))
            .collect();
        inputs.near = inputs.near_tokens();
        inputs
    }

    /// A knob value: one input per scalar or list, recursing into objects.
    fn push_knob(&mut self, path: &[String], value: &Value, kind: KnobKind, schema: &Value) {
        match value {
            Value::Null => {}
            Value::Object(fields) => {
                for (k, v) in fields {
                    let mut p = path.to_vec();
                    p.push(k.clone());
                    self.push_knob(&p, v, kind, schema);
                }
            }
            _ => self.push_var(
                var_name(path),
                Origin::Knob(path.join("."), kind),
                value.clone(),
                path.to_vec(),
                schema,
            ),
        }
    }

    fn push_var(
        &mut self,
        name: String,
        origin: Origin,
        value: Value,
        path: Vec<String>,
        schema: &Value,
    ) {
        let var = self.vars.len();
        let mut leaves = Vec::new();
        let list = value.is_array();
        let scalars: Vec<(Option<usize>, &Value)> = match &value {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (Some(i), v))
                .collect(),
            v => vec![(None, v)],
        };
        for (element, v) in scalars {
            let kind = match v {
                Value::Bool(_) => Kind::Flag,
                Value::Number(_) => Kind::Number,
                Value::String(_) if !path.is_empty() => match enum_values(schema, &path) {
                    Some(values) => Kind::Choice(values),
                    None => Kind::Text,
                },
                Value::String(_) => Kind::Text,
                // Nested lists or objects in a list: not a value a module input carries.
                _ => continue,
            };
            let mut leaf_path = path.clone();
            if let Some(i) = element {
                leaf_path.push(i.to_string());
            }
            leaves.push(self.leaves.len());
            self.leaves.push(Leaf {
                var,
                element,
                value: v.clone(),
                kind,
                path: leaf_path,
            });
        }
        self.vars.push(Var {
            name,
            origin,
            value,
            leaves,
            list,
        });
    }

    /// Names made unique in order (`a-b` and `a_b` both sanitise to `a_b`).
    fn dedupe_names(&mut self) {
        let mut used = BTreeSet::new();
        for v in &mut self.vars {
            let mut name = v.name.clone();
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{}_{n}", v.name);
                n += 1;
            }
            v.name = name;
        }
    }

    /// The far token of a number leaf.
    pub(crate) fn far(&self, leaf: usize) -> u64 {
        FAR_BASE + 7 * leaf as u64
    }

    /// The near token of every number leaf (`None` for the others): its value plus the
    /// smallest offset that makes it differ from every number of the environment's inputs
    /// and from every other near token.
    fn near_tokens(&self) -> Vec<Option<u64>> {
        let mut used: BTreeSet<u64> = self
            .leaves
            .iter()
            .filter_map(|l| l.value.as_u64())
            .collect();
        self.leaves
            .iter()
            .map(|l| {
                let v = l.value.as_u64()?;
                // Upwards, as the far token: a threshold between the two is the only way
                // the near probe misleads, and then it shows a dependence, never hides one.
                let token = (v + 1..=u64::from(u32::MAX)).find(|t| !used.contains(t))?;
                used.insert(token);
                Some(token)
            })
            .collect()
    }

    /// The value a finite leaf takes in the probes that flip it.
    pub(crate) fn flipped(&self, leaf: usize) -> Value {
        let l = &self.leaves[leaf];
        match (&l.kind, &l.value) {
            (Kind::Flag, Value::Bool(b)) => Value::Bool(!b),
            (Kind::Choice(values), Value::String(s)) => {
                let i = values.iter().position(|v| v == s).unwrap_or(0);
                Value::String(values[(i + 1) % values.len()].clone())
            }
            (_, v) => v.clone(),
        }
    }
}

/// How the leaves are replaced in a probe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Probe {
    /// Strings and numbers by tokens (numbers far), booleans and enums as they are; with
    /// `flips`, the finite leaves whose bit is set flipped.
    Far { flips: u32 },
    /// Strings by tokens, numbers by near tokens.
    Near,
}

/// The text token of a leaf.
pub(crate) fn text_token(leaf: usize) -> String {
    format!("__tf{leaf}__")
}

/// The leaves whose text tokens are in `s`, as literal text and tokens in order; `None` when
/// there is none.
pub(crate) fn split_tokens(s: &str) -> Option<Vec<Piece<'_>>> {
    let mut pieces = Vec::new();
    let (mut i, mut literal) = (0, 0);
    while let Some(at) = s[i..].find("__tf") {
        let start = i + at;
        let d = start + 4;
        let digits = s[d..].bytes().take_while(u8::is_ascii_digit).count();
        match s[d..d + digits].parse::<usize>() {
            Ok(leaf) if s[d + digits..].starts_with("__") => {
                if start > literal {
                    pieces.push(Piece::Lit(&s[literal..start]));
                }
                pieces.push(Piece::Leaf(leaf));
                i = d + digits + 2;
                literal = i;
            }
            _ => i = start + 1,
        }
    }
    if pieces.is_empty() {
        return None;
    }
    if literal < s.len() {
        pieces.push(Piece::Lit(&s[literal..]));
    }
    Some(pieces)
}

/// A part of a string holding tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Piece<'a> {
    Lit(&'a str),
    Leaf(usize),
}

/// The environment of a probe: identity and leaves replaced as `probe` says.
pub(crate) fn probe_env(
    env: &Environment,
    app: &Value,
    inputs: &Inputs,
    probe: Probe,
) -> Option<Environment> {
    let (finite, near) = (&inputs.finite, &inputs.near);
    let mut json = app.clone();
    let mut out = env.clone();
    for (i, leaf) in inputs.leaves.iter().enumerate() {
        let value = match (&leaf.kind, probe) {
            (Kind::Text, _) if leaf.path.is_empty() && i == 0 => {
                // The environment's name: padded with zeros to the spec's longest name.
                let digits = inputs.name_width.saturating_sub(6).max(1);
                Value::String(format!("__tf{i:0digits$}__"))
            }
            (Kind::Text, _) => Value::String(text_token(i)),
            (Kind::Number, Probe::Far { .. }) => Value::from(inputs.far(i)),
            (Kind::Number, Probe::Near) => Value::from(near[i]?),
            (Kind::Flag | Kind::Choice(_), Probe::Far { flips }) => {
                match finite.iter().position(|&f| f == i) {
                    Some(code) if flips & (code as u32 + 1) != 0 => inputs.flipped(i),
                    _ => continue,
                }
            }
            (Kind::Flag | Kind::Choice(_), Probe::Near) => continue,
        };
        match &inputs.vars[leaf.var].origin {
            Origin::Identity(part) => {
                let Value::String(token) = value else {
                    continue;
                };
                match *part {
                    "environment" => out.name = token,
                    "tier" => out.tier = token,
                    _ => out.instance = Some(token),
                }
            }
            Origin::Knob(..) => *pointer(&mut json, &leaf.path)? = value,
        }
    }
    out.app = serde_json::from_value::<App>(json).ok()?;
    Some(out)
}

/// The value at a path of segments.
fn pointer<'v>(v: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    path.iter().try_fold(v, |v, seg| match v {
        Value::Object(m) => m.get_mut(seg),
        Value::Array(items) => items.get_mut(seg.parse::<usize>().ok()?),
        _ => None,
    })
}

/// Every value a knob pattern matches (`*` matches any key), with its path.
fn find<'v>(
    v: &'v Value,
    segments: &[&str],
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, &'v Value)>,
) {
    let Some((first, rest)) = segments.split_first() else {
        out.push((path.clone(), v));
        return;
    };
    let Value::Object(m) = v else { return };
    for (k, child) in m {
        if *first == "*" || first == k {
            path.push(k.clone());
            find(child, rest, path, out);
            path.pop();
        }
    }
}

/// A Terraform variable name for a knob path: its segments joined by `_`, anything but
/// letters, digits and `_` made `_`.
fn var_name(path: &[String]) -> String {
    let mut name = String::new();
    for seg in path {
        if !name.is_empty() {
            name.push('_');
        }
        name.extend(seg.chars().map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        }));
    }
    name
}

/// The values an enum field takes, from the spec's JSON Schema: `None` for any other field.
pub(crate) fn enum_values(schema: &Value, path: &[String]) -> Option<Vec<String>> {
    let mut node = schema;
    for seg in path {
        node = child(schema, node, seg)?;
    }
    enum_of(schema, node)
}

/// Follows `$ref` to `#/$defs/<name>`.
fn resolve<'s>(root: &'s Value, node: &'s Value) -> &'s Value {
    let mut node = node;
    for _ in 0..16 {
        match node.get("$ref").and_then(Value::as_str) {
            Some(r) => match r
                .strip_prefix("#/$defs/")
                .and_then(|d| root["$defs"].get(d))
            {
                Some(n) => node = n,
                None => return node,
            },
            None => return node,
        }
    }
    node
}

/// The schema of a property, map entry or list element `seg` of `node`, searching the
/// branches of `oneOf`, `anyOf` and `allOf` (options, externally tagged enums).
fn child<'s>(root: &'s Value, node: &'s Value, seg: &str) -> Option<&'s Value> {
    let node = resolve(root, node);
    if let Some(p) = node.get("properties").and_then(|p| p.get(seg)) {
        return Some(p);
    }
    if let Some(a) = node.get("additionalProperties").filter(|a| a.is_object()) {
        return Some(a);
    }
    if let (Some(items), true) = (node.get("items"), seg.parse::<usize>().is_ok()) {
        return Some(items);
    }
    ["oneOf", "anyOf", "allOf"]
        .iter()
        .filter_map(|k| node.get(*k).and_then(Value::as_array))
        .flatten()
        .find_map(|branch| child(root, branch, seg))
}

fn enum_of(root: &Value, node: &Value) -> Option<Vec<String>> {
    let node = resolve(root, node);
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        return values
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect();
    }
    for k in ["oneOf", "anyOf"] {
        let Some(branches) = node.get(k).and_then(Value::as_array) else {
            continue;
        };
        let consts: Option<Vec<String>> = branches
            .iter()
            .map(|b| {
                resolve(root, b)
                    .get("const")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect();
        if let Some(c) = consts.filter(|c| !c.is_empty()) {
            return Some(c);
        }
        // An option: the branch that is not null.
        let non_null: Vec<&Value> = branches
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if let [one] = non_null.as_slice() {
            return enum_of(root, one);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_found_in_text() {
        let s = format!("a-{}-b{}", text_token(3), text_token(12));
        assert_eq!(
            split_tokens(&s),
            Some(vec![
                Piece::Lit("a-"),
                Piece::Leaf(3),
                Piece::Lit("-b"),
                Piece::Leaf(12)
            ])
        );
        assert_eq!(split_tokens("__tf__x__tfa__"), None);
        assert_eq!(split_tokens("plain"), None);
    }

    #[test]
    fn enum_values_come_from_the_schema() {
        let schema = tierform_model::schema::spec_schema();
        let p = |s: &str| s.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            enum_values(&schema, &p("network.nat")),
            Some(vec!["per_az".to_owned(), "single".to_owned()])
        );
        assert_eq!(
            enum_values(&schema, &p("external_service.stripe.mode")),
            Some(vec!["sandbox".to_owned(), "live".to_owned()])
        );
        assert_eq!(
            enum_values(&schema, &p("platform.eks.node_group.default.capacity")),
            Some(vec!["on_demand".to_owned(), "spot".to_owned()])
        );
        assert_eq!(
            enum_values(&schema, &p("observability.log_level")).map(|v| v.len()),
            Some(4)
        );
        assert_eq!(
            enum_values(&schema, &p("database.main.instance_class")),
            None
        );
        assert_eq!(enum_values(&schema, &p("service.api.public.host")), None);
    }
}
