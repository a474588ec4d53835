//! Raw Terraform blocks and modules (the escape hatch): types and argument names against the
//! AWS provider's schema extract, references against what the environment has, knobs against
//! the block's own arguments, module sources pinned, and credentials by argument name.

use serde_json::Value;

use super::credentials::looks_secret;
use super::Rules;
use crate::diagnostic::did_you_mean;
use crate::environment::Environment;
use crate::raw::schema::{aws, BlockSchema};
use crate::raw::{
    is_identifier, typed, RawBlock, RawManifest, Reference, Typed, FIXED_REFERENCES,
    IDENTITY_ARGUMENTS, REFUSED_KINDS,
};
use crate::spec::App;
use crate::spec::Platform;

/// Terraform meta-arguments: expressions about the block, not data; refused.
const META_ARGUMENTS: &[&str] = &[
    "count",
    "for_each",
    "provider",
    "depends_on",
    "lifecycle",
    "provisioner",
    "connection",
];

pub(super) fn rules(r: &mut Rules, env: &Environment) {
    let app = &env.app;
    manifests(r, app);
    let refs = known_references(app);
    let schema = aws();
    for (collection, blocks, types) in [
        ("resource", &app.raw_resources, &schema.resources),
        ("data", &app.raw_data, &schema.data_sources),
    ] {
        for (ty, named) in blocks {
            let Some(block_schema) = types.get(ty) else {
                let help = match did_you_mean(ty, types.keys().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "name a {collection} type of the AWS provider {} (registry.terraform.io/providers/hashicorp/aws)",
                        schema.provider_version
                    ),
                };
                r.err(
                    "unknown-raw-type",
                    &[collection, ty],
                    format!(
                        "`{ty}` is not a {collection} type of the AWS provider {}",
                        schema.provider_version
                    ),
                    help,
                );
                continue;
            };
            for (name, block) in named {
                let at = [collection, ty.as_str(), name.as_str()];
                label(r, &at, name);
                raw_block(r, &at, block, block_schema, &refs);
            }
        }
    }
    for (name, m) in &app.modules {
        let at = ["module", name.as_str()];
        label(r, &at, name);
        module_source(r, &at, &m.source, m.version.as_deref());
        skips(r, &at, &m.checkov_skip);
        for (input, v) in &m.inputs {
            let mut p = at.to_vec();
            p.extend(["inputs", input.as_str()]);
            if !is_identifier(input) {
                r.err(
                    "invalid-input",
                    &p,
                    format!("`{input}` is not a module input name"),
                    "module inputs are Terraform identifiers: letters, digits, `_` and `-`",
                );
            }
            values(r, &p, input, v, &refs);
        }
        for (i, k) in m.knobs.iter().enumerate() {
            let idx = i.to_string();
            let mut p = at.to_vec();
            p.extend(["knobs", idx.as_str()]);
            let inputs: Vec<&str> = m.inputs.keys().map(String::as_str).collect();
            knob(r, &p, k, lookup(&m.inputs, k), &inputs);
        }
    }
}

/// Raw Kubernetes objects: only where Kubernetes runs, namespaced, no secrets, knobs that are
/// plain values of the object.
fn manifests(r: &mut Rules, app: &App) {
    for (name, m) in &app.manifests {
        let at = ["manifest", name.as_str()];
        if !matches!(app.platform, Platform::Eks(_)) {
            r.err(
                "manifest-without-kubernetes",
                &at,
                format!("the manifest `{name}` needs Kubernetes, and {} runs no Kubernetes", app.platform.display()),
                "use a `resource` block for AWS objects, or run the application on the `eks` platform",
            );
            continue;
        }
        manifest(r, &at, m);
    }
}

fn manifest(r: &mut Rules, at: &[&str], m: &RawManifest) {
    let mut obj = at.to_vec();
    obj.push("object");
    let text = |p: &str| m.object.pointer(p).and_then(Value::as_str);
    for (field, pointer) in [
        ("apiVersion", "/apiVersion"),
        ("kind", "/kind"),
        ("metadata.name", "/metadata/name"),
    ] {
        if text(pointer).is_none_or(str::is_empty) {
            let (at, help) = match &m.file {
                Some(f) => {
                    let mut p = at.to_vec();
                    p.push("file");
                    (p, format!("the file `{f}` must hold one object with `apiVersion`, `kind` and `metadata.name` (tierform reads it next to the spec)"))
                }
                None => (obj.clone(), "give `apiVersion`, `kind` and `metadata.name` as strings, or `file` naming a YAML file next to the spec".to_owned()),
            };
            r.err(
                "invalid-manifest",
                &at,
                format!("the object has no `{field}`"),
                help,
            );
        }
    }
    if let Some(kind) = text("/kind").filter(|k| REFUSED_KINDS.contains(k)) {
        r.err("refused-manifest-kind", &obj, format!("a raw manifest cannot be a {kind}"), "secrets come from Secrets Manager through External Secrets; cluster-scoped objects belong to the cluster, not to one environment");
    }
    if let Some(name) = text("/metadata/name").filter(|n| !super::is_name(n)) {
        r.err(
            "invalid-manifest",
            &obj,
            format!("`{name}` is not a Kubernetes object name"),
            "use lower-case letters, digits and single hyphens",
        );
    }
    if m.object.pointer("/metadata/namespace").is_some() {
        r.err(
            "invalid-manifest",
            &obj,
            "the object names its namespace".to_owned(),
            "remove `metadata.namespace`: every object goes to the environment's namespace",
        );
    }
    typed_forms(r, &obj, &m.object);
    let names: Vec<&str> = m
        .object
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    for (i, k) in m.knobs.iter().enumerate() {
        let idx = i.to_string();
        let mut p = at.to_vec();
        p.extend(["knobs", idx.as_str()]);
        let head = k.split('.').next().unwrap_or(k);
        if ["apiVersion", "kind", "metadata"].contains(&head) {
            r.err(
                "identity-knob",
                &p,
                format!("`{k}` names or identifies the object, so it cannot be a knob"),
                "knobs are values inside `spec` or `data`, such as `spec.schedule`",
            );
            continue;
        }
        // Through objects only: a list is compared whole, so a knob cannot reach inside one.
        let value = k
            .split('.')
            .try_fold(&m.object, |v, s| v.as_object()?.get(s));
        knob(r, &p, k, value, &names);
    }
}

/// References and JSON forms belong to Terraform blocks; a manifest is plain Kubernetes.
fn typed_forms(r: &mut Rules, at: &[&str], v: &Value) {
    if typed(v).is_some() {
        r.err(
            "not-literal",
            at,
            "a manifest holds plain values; `ref` and `json` are for Terraform blocks".to_owned(),
            "write the value; tierform sets the namespace and identity labels itself",
        );
        return;
    }
    match v {
        Value::Array(items) => items.iter().enumerate().for_each(|(i, x)| {
            let idx = i.to_string();
            let mut p = at.to_vec();
            p.push(&idx);
            typed_forms(r, &p, x);
        }),
        Value::Object(o) => {
            // `{ name = "DB_PASSWORD", value = "…" }` (a container's env) or a ConfigMap's
            // `DB_PASSWORD = "…"`: a secret value pasted into a manifest.
            let pair = o
                .get("name")
                .and_then(Value::as_str)
                .zip(o.get("value").and_then(Value::as_str));
            if pair.is_some_and(|(n, v)| looks_secret(n, v)) {
                r.err("secret-literal", at, format!("`{}` holds a literal value for a secret-looking variable", at.join(".")), "secret values never go in a spec: declare a `secret`; services read it from Secrets Manager");
            }
            for (k, x) in o {
                let mut p = at.to_vec();
                p.push(k);
                if x.as_str().is_some_and(|v| looks_secret(k, v)) {
                    r.err("secret-literal", &p, format!("`{}` holds a literal value for a secret-looking key", p.join(".")), "secret values never go in a spec: declare a `secret`; services read it from Secrets Manager");
                }
                typed_forms(r, &p, x);
            }
        }
        _ => {}
    }
}

fn label(r: &mut Rules, at: &[&str], name: &str) {
    if !is_identifier(name) {
        r.err(
            "invalid-label",
            at,
            format!("`{name}` is not a Terraform block label"),
            "use letters, digits and `_` (starting with a letter): it becomes the Terraform address",
        );
    }
}

fn raw_block(r: &mut Rules, at: &[&str], block: &RawBlock, s: &BlockSchema, refs: &[String]) {
    skips(r, at, &block.checkov_skip);
    arguments(r, at, block.arguments.iter(), s, refs);
    let names: Vec<&str> = block.arguments.keys().map(String::as_str).collect();
    for (i, k) in block.knobs.iter().enumerate() {
        let idx = i.to_string();
        let mut p = at.to_vec();
        p.extend(["knobs", idx.as_str()]);
        knob(r, &p, k, lookup(&block.arguments, k), &names);
    }
}

fn skips(r: &mut Rules, at: &[&str], skips: &indexmap::IndexMap<String, String>) {
    for (id, reason) in skips {
        let mut p = at.to_vec();
        p.extend(["checkov_skip", id.as_str()]);
        let id_ok = ["CKV_AWS_", "CKV2_AWS_", "CKV_TF_"].iter().any(|pre| {
            id.strip_prefix(pre)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
        if !id_ok {
            r.err(
                "invalid-skip",
                &p,
                format!("`{id}` is not a checkov check of AWS Terraform"),
                "name the check as checkov reports it, such as `CKV_AWS_144`",
            );
        }
        if !crate::resolve::is_judgeable_reason(reason) || reason.contains(['\n', '#']) {
            r.err(
                "unjudgeable-reason",
                &p,
                format!("the reason for skipping `{id}` is not one a reviewer can judge"),
                "write one line of at least 3 words saying why the check does not apply here",
            );
        }
    }
}

/// The value at a dotted path inside a block's arguments (`versioning_configuration.status`).
fn lookup<'a>(args: &'a indexmap::IndexMap<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut cur = args.get(parts.next()?)?;
    for p in parts {
        cur = cur.get(p)?;
    }
    Some(cur)
}

fn knob(r: &mut Rules, at: &[&str], k: &str, value: Option<&Value>, names: &[&str]) {
    let head = k.split('.').next().unwrap_or(k);
    if IDENTITY_ARGUMENTS.contains(&head) {
        r.err(
            "identity-knob",
            at,
            format!("`{k}` names or shapes the object, so it cannot be a knob"),
            format!("knobs are sizes, counts, timeouts and retention; a difference in `{k}` is structure (declare an exception in the tier if it is intended). Refused as knobs: {}", IDENTITY_ARGUMENTS.join(", ")),
        );
        return;
    }
    let Some(value) = value else {
        let help = match did_you_mean(k, names.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                "a knob names an argument the block sets (give it a value for the mirrored tier)"
                    .to_owned()
            }
        };
        r.err(
            "unknown-knob",
            at,
            format!("`{k}` is not an argument of this block"),
            help,
        );
        return;
    };
    // A knob is a value. A nested block, an object, a reference or JSON is wiring and shape:
    // declaring it a knob would let a tier rewire or reshape the object behind parity.
    let shaped = match value {
        Value::Object(_) => true,
        Value::Array(items) => items.iter().any(|x| x.is_object() || x.is_array()),
        _ => false,
    };
    if shaped {
        r.err(
            "structural-knob",
            at,
            format!("`{k}` holds a block, an object or a reference, which is structure"),
            "declare the plain values inside it as knobs (`versioning_configuration.status`), not the whole",
        );
    }
}

fn arguments<'a>(
    r: &mut Rules,
    at: &[&str],
    args: impl Iterator<Item = (&'a String, &'a Value)>,
    s: &BlockSchema,
    refs: &[String],
) {
    let mut given = Vec::new();
    for (key, v) in args {
        given.push(key.as_str());
        let mut p = at.to_vec();
        p.push(key);
        if META_ARGUMENTS.contains(&key.as_str()) {
            r.err(
                "meta-argument",
                &p,
                format!("`{key}` is a Terraform meta-argument, which a spec cannot hold"),
                "specs are data: declare one block per object (no count or for_each); references order creation by themselves",
            );
            continue;
        }
        if s.opaque {
            continue;
        }
        if let Some(inner) = s.blocks.get(key.as_str()) {
            nested_blocks(r, &p, v, inner, refs);
        } else if s.attributes.iter().any(|a| a == key) {
            values(r, &p, key, v, refs);
        } else {
            let help = match did_you_mean(key, s.names()) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!(
                    "arguments here: {}",
                    s.names().collect::<Vec<_>>().join(", ")
                ),
            };
            r.err(
                "unknown-argument",
                &p,
                format!(
                    "`{key}` is not an argument of `{}`",
                    at[..2.min(at.len())].join(".")
                ),
                help,
            );
        }
    }
    for req in &s.required {
        if !given.contains(&req.as_str()) {
            r.err(
                "missing-argument",
                at,
                format!("`{}` needs the argument `{req}`", at.join(".")),
                format!("add `{req}` (the AWS provider requires it)"),
            );
        }
    }
}

/// A nested block: one object, or a list of objects for a block type that repeats.
fn nested_blocks(r: &mut Rules, at: &[&str], v: &Value, s: &BlockSchema, refs: &[String]) {
    let single = matches!(s.nesting.as_deref(), Some("single" | "map"));
    match v {
        Value::Object(o) if typed(v).is_none() => arguments(r, at, o.iter(), s, refs),
        Value::Array(items) if !single || items.len() <= 1 => {
            for (i, item) in items.iter().enumerate() {
                let idx = i.to_string();
                let mut p = at.to_vec();
                p.push(&idx);
                match item.as_object() {
                    Some(o) => arguments(r, &p, o.iter(), s, refs),
                    None => r.err(
                        "wrong-type",
                        &p,
                        "a nested block is an object".to_owned(),
                        "write `{ … }` for each block",
                    ),
                }
            }
        }
        Value::Array(_) => r.err(
            "wrong-type",
            at,
            format!(
                "`{}` is a block the provider allows once",
                at.last().unwrap_or(&"")
            ),
            "give one object, not a list",
        ),
        _ => r.err(
            "wrong-type",
            at,
            format!(
                "`{}` is a nested block: give it an object",
                at.last().unwrap_or(&"")
            ),
            "write `name { … }` (or `name = [{ … }, { … }]` for repeated blocks)",
        ),
    }
}

/// An argument's value: literals, references and JSON, any depth.
fn values(r: &mut Rules, at: &[&str], key: &str, v: &Value, refs: &[String]) {
    match typed(v) {
        Some(Typed::Ref(text, suffix)) => {
            reference(r, at, text, refs);
            if suffix.is_some_and(|s| s.contains(['$', '%'])) {
                r.err("not-literal", at, "a reference's suffix is literal text".to_owned(), "remove `$` and `%` from the suffix");
            }
        }
        Some(Typed::Json(inner)) => values(r, at, key, inner, refs),
        None => match v {
            Value::String(s) if !s.starts_with("arn:") && looks_secret(key, s) => r.err(
                "secret-literal",
                at,
                format!("`{}` holds a literal value for a secret-looking argument", at.join(".")),
                "secret values never go in a spec: declare a `secret` and pass `{ ref = \"secret.<name>.arn\" }`, or let AWS manage the password",
            ),
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    let idx = i.to_string();
                    let mut p = at.to_vec();
                    p.push(&idx);
                    values(r, &p, key, x, refs);
                }
            }
            Value::Object(o) => {
                for (k, x) in o {
                    let mut p = at.to_vec();
                    p.push(k);
                    values(r, &p, k, x, refs);
                }
            }
            _ => {}
        },
    }
}

fn reference(r: &mut Rules, at: &[&str], text: &Value, refs: &[String]) {
    let Some(text) = text.as_str() else {
        r.err(
            "wrong-type",
            at,
            "a reference is a string such as `network.vpc_id`".to_owned(),
            "write `{ ref = \"network.vpc_id\" }`",
        );
        return;
    };
    let known = refs.iter().any(|k| k == text)
        || matches!(Reference::parse(text), Some(Reference::Resource(..) | Reference::Data(..) | Reference::Module(..)) if refs.iter().any(|k| text.starts_with(&format!("{k}."))));
    if !known {
        let help = match did_you_mean(text, refs.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("references: {}", refs.join(", ")),
        };
        r.err(
            "unknown-reference",
            at,
            format!("`{text}` names nothing tierform manages in this environment"),
            help,
        );
    }
}

/// Every reference text this application can resolve; raw blocks and modules as their prefix
/// (`resource.aws_sqs_queue.jobs`), any attribute of which may be read.
fn known_references(app: &App) -> Vec<String> {
    let mut out: Vec<String> = FIXED_REFERENCES.iter().map(|s| (*s).to_owned()).collect();
    for d in app.databases.keys() {
        for a in ["address", "port", "arn", "security_group_id"] {
            out.push(format!("database.{d}.{a}"));
        }
    }
    for s in app.services.keys() {
        for a in ["security_group_id", "role_arn"] {
            out.push(format!("service.{s}.{a}"));
        }
    }
    for s in app.secrets.keys() {
        out.push(format!("secret.{s}.arn"));
    }
    for (collection, blocks) in [("resource", &app.raw_resources), ("data", &app.raw_data)] {
        for (ty, named) in blocks {
            for name in named.keys() {
                out.push(format!("{collection}.{ty}.{name}"));
            }
        }
    }
    for name in app.modules.keys() {
        out.push(format!("module.{name}"));
    }
    out
}

fn module_source(r: &mut Rules, at: &[&str], source: &str, version: Option<&str>) {
    let mut src = at.to_vec();
    src.push("source");
    let mut ver = at.to_vec();
    ver.push("version");
    let git = source.starts_with("git::")
        || source.starts_with("github.com/")
        || source.starts_with("git@");
    if source.starts_with("./") || source.starts_with("../") || source.starts_with('/') {
        r.err("unpinned-module", &src, format!("`{source}` is a local path, which the generated root modules cannot reach"), "publish the module and give its registry address with a `version`, or a git URL pinned with `?ref=`");
    } else if git {
        if !source.contains("?ref=") {
            r.err(
                "unpinned-module",
                &src,
                format!("the git source `{source}` is not pinned"),
                "pin it with `?ref=<tag or commit>`",
            );
        }
        if version.is_some() {
            r.err(
                "unpinned-module",
                &ver,
                "`version` applies to registry sources only".to_owned(),
                "pin a git source with `?ref=` in `source`",
            );
        }
    } else if source.contains("://") || source.starts_with("s3::") || source.starts_with("gcs::") {
        r.err(
            "unpinned-module",
            &src,
            format!("`{source}` is an archive source tierform cannot pin"),
            "use a registry address with a `version`, or a git URL pinned with `?ref=`",
        );
    } else {
        let parts = source.split('/').count();
        if !(3..=4).contains(&parts) {
            r.err(
                "invalid-module-source",
                &src,
                format!("`{source}` is not a registry address"),
                "write `<namespace>/<name>/<provider>`, such as `terraform-aws-modules/sqs/aws`",
            );
        }
        match version {
            None => r.err("unpinned-module", at, format!("the module `{}` has no `version`", at[1]), "pin the exact registry version, such as `version = \"4.2.1\"`: an unpinned module changes under every environment at once"),
            Some(v) if !is_exact_version(v) => r.err("unpinned-module", &ver, format!("`{v}` is a version constraint, not a version"), "pin one exact version, such as `4.2.1`"),
            Some(_) => {}
        }
    }
}

/// `1.2.3` (optionally with a pre-release suffix): one version, not a constraint.
fn is_exact_version(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_exact() {
        assert!(is_exact_version("4.2.1"));
        assert!(is_exact_version("1.0.0-beta1"));
        assert!(!is_exact_version("~> 4.2"));
        assert!(!is_exact_version(">= 4.0.0"));
        assert!(!is_exact_version("4.2"));
    }
}
