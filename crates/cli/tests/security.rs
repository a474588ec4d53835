//! Security properties of everything tierform generates, over every fixture:
//! - no secret value reaches a generated file (canaries planted wherever a spec could carry
//!   one; secrets are declared by name only);
//! - tier isolation: no environment's output refers to another environment's state, secrets,
//!   log groups, roles or network, and IAM policies name only the environment's own resources;
//! - non-production tiers relax hardening only through knobs that parity reports as allowed.

use serde_json::Value;
use tierform_engine::{emitted_objects, environment_files, K8sLayout, KUSTOMIZE_BASE};
use tierform_model::parity::{compare, Class, EmittedObject};
use tierform_model::{Environment, EnvironmentId, FileSet, Format, Model, Runtime, Source};

mod common;
use common::root;

/// Every fixture, by name.
fn fixtures() -> Vec<(String, Model)> {
    let mut out: Vec<(String, Model)> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let model = Model::load(&p).unwrap_or_else(|ds| panic!("{name}: {ds:?}"));
            (name, model)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 5, "the five fixtures");
    out
}

/// Every environment of a model: the declared ones and one instance of each ephemeral tier
/// (a bug-fix copy of production must be as isolated as production itself).
fn environments(model: &Model) -> Vec<Environment> {
    let mut ids: Vec<EnvironmentId> = model.environments();
    for t in model.tiers().iter().filter(|t| t.ephemeral) {
        let copy = model.sample_copy(t, "1234");
        ids.push(copy.unwrap_or_else(|| panic!("a copy of tier {} resolves", t.name)));
    }
    ids.iter()
        .map(|id| model.resolve(id).unwrap_or_else(|ds| panic!("{ds:?}")))
        .collect()
}

/// Every file the CLI can write for an environment, in either Kubernetes layout, plus the
/// kustomize base built from this environment (the CLI builds it from the reference
/// environment, whose namespace it names).
fn files(env: &Environment) -> FileSet {
    let mut f = environment_files(env, K8sLayout::Overlays);
    f.extend(environment_files(env, K8sLayout::Flat));
    if env.runs_kubernetes() {
        let base = tierform_engine::k8s::base(env).expect("an EKS environment");
        f.extend_under(KUSTOMIZE_BASE, base);
    }
    f
}

/// The runbooks a build writes for a model: `docs/<env>.md` of every environment (one copy of
/// each ephemeral tier too) and `docs/README.md`, with the built-in templates.
fn runbooks(model: &Model) -> FileSet {
    let renderer = tierform_docs::Renderer::new(&tierform_docs::Templates::default()).unwrap();
    let options = tierform_docs::Options::default();
    let mut ids: Vec<EnvironmentId> = model.environments();
    for t in model.tiers().iter().filter(|t| t.ephemeral) {
        ids.extend(model.environment(&format!("{}-1234", t.name)).ok());
    }
    let mut f = tierform_docs::index_file(model, &options, &renderer).unwrap();
    for id in &ids {
        let env = model.resolve(id).unwrap_or_else(|ds| panic!("{ds:?}"));
        let docs = tierform_docs::environment_file(model, id, &env, &options, &renderer)
            .unwrap_or_else(|e| panic!("{e:?}"));
        for (p, c) in docs {
            f.insert(p.to_string(), c);
        }
    }
    f
}

// ---------------------------------------------------------------------------------------
// (a) No secret value in any output.

/// A spec using every kind of output: EKS (Kubernetes), a local tier (compose), a mirror,
/// secrets, a database, a cache, a public service, an external service, a data refresh,
/// alarms and access. `@@PLANT@@` marks where a variant adds lines to the top level.
const CANARY_SPEC: &str = r#"
app    = "canary"
region = "eu-west-1"

network { cidr = "10.40.0.0/16" }

platform "eks" {
  version = "1.35"

  node_group "general" {
    instance_types = ["m6i.large"]
    min            = 2
    desired        = 2
    max            = 4
  }
}

database "main" {
  engine         = "postgres"
  engine_version = "16.11"
  instance_class = "db.t4g.medium"
}

cache "sessions" {
  engine_version = "7.1"
  node_type      = "cache.t4g.small"
}

secret "stripe-key" {
  description = "Stripe API key"
}

external_service "stripe" {
  mode = "live"
}

feature_flags = {
  new_checkout = true
}

service "api" {
  image     = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/canary-api"
  tag       = "1.2.3"
  port      = 8080
  secrets   = ["stripe-key"]
  databases = ["main"]
  caches    = ["sessions"]

  env = {
    LOG_FORMAT = "json"
  }

  health_check {
    path = "/health"
  }
}

service "web" {
  image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/canary-web"
  tag   = "1.2.3"
  port  = 3000
  calls = ["api"]

  health_check {
    path = "/healthz"
  }

  public {
    host = "{tier}.canary.example"
    zone = "canary.example"
  }
}

tenant "acme" {}

tier "local" {
  runtime = "local"
}

tier "staging" {
  mirrors = "production"
}

tier "qa" {
  mirrors    = "production"
  per_tenant = true
}

tier "production" {
  access {
    read = ["arn:aws:iam::123456789012:role/canary-readers"]
  }

  observability {
    alarms {
      notify = "arn:aws:sns:eu-west-1:123456789012:canary-alerts"
    }
  }
}
@@PLANT@@
"#;

/// The canary: shaped like a live Stripe key, so that validation can recognise it.
const CANARY: &str = "sk_live_CANARY7f3a9c2e";
/// A credential that has no recognisable shape, planted where only its place betrays it.
const PLAIN_CANARY: &str = "Canary0Pw4x9";

/// One way a secret value could enter a spec.
struct Plant {
    /// Where it is planted.
    place: &'static str,
    /// `(from, to)` replacements of the base spec (`@@PLANT@@` adds top-level lines).
    edits: &'static [(&'static str, &'static str)],
    /// The value that must never appear in an output file.
    value: &'static str,
}

const PLANTS: &[Plant] = &[
    Plant {
        place: "a `value` attribute on a secret",
        edits: &[(
            "description = \"Stripe API key\"",
            "description = \"Stripe API key\"\n  value       = \"sk_live_CANARY7f3a9c2e\"",
        )],
        value: CANARY,
    },
    Plant {
        place: "a secret's description",
        edits: &[(
            "description = \"Stripe API key\"",
            "description = \"Stripe API key sk_live_CANARY7f3a9c2e\"",
        )],
        value: CANARY,
    },
    Plant {
        place: "an env var with a secret-looking name",
        edits: &[(
            "LOG_FORMAT = \"json\"",
            "LOG_FORMAT = \"json\"\n    STRIPE_API_KEY = \"Canary0Pw4x9\"",
        )],
        value: PLAIN_CANARY,
    },
    Plant {
        place: "an env var named like a database password",
        edits: &[(
            "LOG_FORMAT = \"json\"",
            "LOG_FORMAT = \"json\"\n    MAIN_DB_PASSWORD = \"Canary0Pw4x9\"",
        )],
        value: PLAIN_CANARY,
    },
    Plant {
        place: "an env var with a harmless name and a key-shaped value",
        edits: &[(
            "LOG_FORMAT = \"json\"",
            "LOG_FORMAT = \"json\"\n    PAYMENTS = \"sk_live_CANARY7f3a9c2e\"",
        )],
        value: CANARY,
    },
    Plant {
        place: "an env var holding a URL with a password in it",
        edits: &[(
            "LOG_FORMAT = \"json\"",
            "LOG_FORMAT = \"json\"\n    UPSTREAM_URL = \"https://svc:Canary0Pw4x9@upstream.example/v1\"",
        )],
        value: PLAIN_CANARY,
    },
    Plant {
        place: "an env var whose value embeds a key after a colon",
        edits: &[(
            "LOG_FORMAT = \"json\"",
            "LOG_FORMAT = \"json\"\n    AUTH_HEADER = \"Bearer:sk_live_CANARY7f3a9c2e\"",
        )],
        value: CANARY,
    },
    Plant {
        place: "a tier's env override with a secret-looking name",
        edits: &[(
            "tier \"production\" {",
            "tier \"production\" {\n  service \"api\" {\n    env = {\n      API_TOKEN = \"Canary0Pw4x9\"\n    }\n  }\n",
        )],
        value: PLAIN_CANARY,
    },
    Plant {
        place: "a tenant's env override with a key-shaped value",
        edits: &[(
            "tenant \"acme\" {}",
            "tenant \"acme\" {\n  service \"api\" {\n    env = {\n      LOG_FORMAT = \"sk_live_CANARY7f3a9c2e\"\n    }\n  }\n}",
        )],
        value: CANARY,
    },
    Plant {
        place: "a command argument",
        edits: &[(
            "caches    = [\"sessions\"]",
            "caches    = [\"sessions\"]\n  command   = [\"serve\", \"--stripe-key=sk_live_CANARY7f3a9c2e\"]",
        )],
        value: CANARY,
    },
    Plant {
        place: "a command argument with a password",
        edits: &[(
            "caches    = [\"sessions\"]",
            "caches    = [\"sessions\"]\n  command   = [\"serve\", \"--db-password=Canary0Pw4x9\"]",
        )],
        value: PLAIN_CANARY,
    },
    Plant {
        place: "a health-check command",
        edits: &[(
            "path = \"/health\"",
            "command = [\"curl\", \"-H\", \"Authorization: Bearer sk_live_CANARY7f3a9c2e\", \"http://localhost:8080/health\"]",
        )],
        value: CANARY,
    },
    Plant {
        place: "a health-check path with a token in its query",
        edits: &[("path = \"/health\"", "path = \"/health?token=sk_live_CANARY7f3a9c2e\"")],
        value: CANARY,
    },
    Plant {
        place: "an image tag",
        edits: &[("tag       = \"1.2.3\"", "tag       = \"sk_live_CANARY7f3a9c2e\"")],
        value: CANARY,
    },
    Plant {
        place: "an alarm notification target",
        edits: &[(
            "canary-alerts\"",
            "canary-alerts:sk_live_CANARY7f3a9c2e\"",
        )],
        value: CANARY,
    },
    Plant {
        place: "an access principal",
        edits: &[("role/canary-readers", "role/sk_live_CANARY7f3a9c2e")],
        value: CANARY,
    },
    Plant {
        place: "the database user name",
        edits: &[(
            "instance_class = \"db.t4g.medium\"",
            "instance_class = \"db.t4g.medium\"\n  username       = \"sk_live_CANARY7f3a9c2e\"",
        )],
        value: CANARY,
    },
    Plant {
        place: "the state bucket",
        edits: &[(
            "@@PLANT@@",
            "state {\n  bucket = \"sk_live_CANARY7f3a9c2e\"\n}",
        )],
        value: CANARY,
    },
];

/// Places where validation accepts a planted value today and it reaches the output. Each
/// names what must change; the test reports them without failing, and fails once one is
/// fixed so that its entry is removed.
const KNOWN_LEAKS: &[(&str, &str)] = &[];

/// What became of one planted value.
#[derive(Debug, PartialEq)]
enum Fate {
    /// Validation refused the spec (naming this code).
    Rejected(String),
    /// The spec was accepted and the value reached no file.
    Absent,
    /// The spec was accepted and the value is in these files.
    Leaked(Vec<String>),
}

fn plant(p: &Plant) -> Fate {
    let mut spec = CANARY_SPEC.to_owned();
    for (from, to) in p.edits {
        assert!(
            spec.contains(from),
            "{}: `{from}` is in the base spec",
            p.place
        );
        spec = spec.replacen(from, to, 1);
    }
    let spec = spec.replace("@@PLANT@@", "");
    let model = match Model::parse(Source::new("canary.hcl", spec), Format::Hcl) {
        Ok(m) => m,
        Err(ds) => return Fate::Rejected(codes(&ds)),
    };
    let (_, ds) = model.check();
    if ds.has_errors() {
        return Fate::Rejected(codes(&ds));
    }
    let mut leaked = Vec::new();
    for (path, text) in runbooks(&model).iter() {
        if text
            .to_ascii_lowercase()
            .contains(&p.value.to_ascii_lowercase())
        {
            leaked.push(format!("runbook: {path}"));
        }
    }
    for env in environments(&model) {
        for (path, text) in files(&env).iter() {
            // Any case: an emitter may upper-case a name (feature flags become variables).
            if text
                .to_ascii_lowercase()
                .contains(&p.value.to_ascii_lowercase())
            {
                leaked.push(format!("{}: {path}", env.name));
            }
        }
    }
    if leaked.is_empty() {
        Fate::Absent
    } else {
        Fate::Leaked(leaked)
    }
}

fn codes(ds: &tierform_model::Diagnostics) -> String {
    let mut c: Vec<&str> = ds.iter().filter(|d| d.is_error()).map(|d| d.code).collect();
    c.dedup();
    c.join(", ")
}

#[test]
fn the_canary_spec_is_valid_and_covers_every_output() {
    let model = Model::parse(
        Source::new("canary.hcl", CANARY_SPEC.replace("@@PLANT@@", "")),
        Format::Hcl,
    )
    .unwrap_or_else(|ds| panic!("{ds:?}"));
    let (_, ds) = model.check();
    assert!(!ds.has_errors(), "{ds:?}");
    let all: Vec<String> = environments(&model)
        .iter()
        .flat_map(|e| {
            files(e)
                .iter()
                .map(|(p, _)| p.to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    for kind in [
        "terraform/production/",
        "k8s/base/",
        "k8s/overlays/production/",
        "k8s/production/",
        "compose/",
    ] {
        assert!(all.iter().any(|p| p.starts_with(kind)), "no {kind} output");
    }
    let docs = runbooks(&model);
    assert!(
        docs.get("docs/production.md").is_some() && docs.get("docs/README.md").is_some(),
        "runbooks are scanned too"
    );
}

#[test]
fn no_planted_secret_value_reaches_a_generated_file() {
    let mut report = String::new();
    let mut unexpected = Vec::new();
    let mut fixed = Vec::new();
    for p in PLANTS {
        let fate = plant(p);
        report.push_str(&format!("  {:<58} {fate:?}\n", p.place));
        let known = KNOWN_LEAKS.iter().find(|(place, _)| *place == p.place);
        match (&fate, known) {
            (Fate::Leaked(_), None) => unexpected.push(p.place),
            (Fate::Leaked(_), Some(_)) => {}
            (_, Some(_)) => fixed.push(p.place),
            _ => {}
        }
    }
    eprintln!("planted secret values:\n{report}");
    assert!(
        unexpected.is_empty(),
        "secret values reached generated files: {unexpected:?}\n{report}"
    );
    assert!(
        fixed.is_empty(),
        "fixed, remove from KNOWN_LEAKS: {fixed:?}"
    );
}

/// The shapes a secret value would take in each output, checked over every fixture.
#[test]
fn generated_files_hold_secret_names_never_values() {
    for (fixture, model) in fixtures() {
        for env in environments(&model) {
            for (path, text) in files(&env).iter() {
                let at = format!("{fixture} {}: {path}", env.name);
                let p = path.as_str();
                if p.ends_with(".tf") {
                    for banned in [
                        "aws_secretsmanager_secret_version",
                        "secret_string",
                        "secret_binary",
                    ] {
                        assert!(!text.contains(banned), "{at}: {banned}");
                    }
                    // The `auth_token` argument (a cache password); a secret *named* like one
                    // (`aws_secretsmanager_secret.twilio_auth_token`) is fine.
                    assert!(
                        !text.lines().any(|l| {
                            let l = l.trim_start();
                            l.starts_with("auth_token ") || l.starts_with("auth_token=")
                        }),
                        "{at}: auth_token"
                    );
                    for line in text.lines() {
                        let l = line.trim_start();
                        assert!(
                            !(l.starts_with("password ") || l.starts_with("password=")),
                            "{at}: a literal password: {line}"
                        );
                    }
                }
                if p.ends_with(".yaml") || p.ends_with(".yml") {
                    for doc in text.split("\n---\n") {
                        if doc.lines().any(|l| l == "kind: Secret") {
                            assert!(
                                !doc.lines().any(|l| l.starts_with("data:") || l.starts_with("stringData:")),
                                "{at}: a Secret with values"
                            );
                        }
                    }
                }
                if p.contains("docker-compose") {
                    compose_has_no_literal_secrets(&at, text);
                }
                if p.ends_with(".env.example") {
                    for line in text
                        .lines()
                        .filter(|l| !l.starts_with('#') && !l.is_empty())
                    {
                        let (name, value) = line.split_once('=').unwrap_or((line, "?"));
                        assert!(
                            value.is_empty() && !name.is_empty(),
                            "{at}: `{line}` must be a name with an empty value"
                        );
                    }
                }
            }
        }
    }
}

/// Every variable in a compose file whose name says secret is an interpolation (`${NAME}`
/// from the untracked `.env`), never a literal.
fn compose_has_no_literal_secrets(at: &str, text: &str) {
    for line in text.lines() {
        let Some((key, value)) = line.trim_start().split_once(": ") else {
            continue;
        };
        let is_var = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        let secretish = ["PASSWORD", "SECRET", "TOKEN", "KEY"]
            .iter()
            .any(|w| key.contains(w));
        if is_var && secretish {
            assert!(
                value.starts_with("${") && value.ends_with('}'),
                "{at}: {key} = {value:?} is a literal"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// (b) Tier isolation.

/// The texts by which an environment's resources are found: its name prefix
/// (`<app>-<env>`: resources, roles, log groups, namespaces), its path prefix
/// (`<app>/<env>/`: secrets and the state key) and its state key.
struct Identity {
    name: String,
    prefix: String,
    path: String,
}

fn identity(env: &Environment) -> Identity {
    Identity {
        name: env.name.clone(),
        prefix: env.prefix(),
        path: format!("{}/{}/", env.app.app, env.name),
    }
}

/// Where `text` mentions another environment: its path prefix anywhere, or its name prefix
/// where no longer environment name (such as this one's) continues it.
fn foreign_mentions(text: &str, me: &Identity, all: &[Identity]) -> Vec<String> {
    let mut found = Vec::new();
    for other in all.iter().filter(|o| o.name != me.name) {
        if text.contains(&other.path) {
            found.push(format!("{} (path {})", other.name, other.path));
        }
        for (at, _) in text.match_indices(&other.prefix) {
            // The longest environment prefix matching here is the one meant.
            let meant = all
                .iter()
                .filter(|e| text[at..].starts_with(&e.prefix))
                .filter(|e| {
                    // `<app>-dev` must not match `<app>-devices`: the prefix ends a word.
                    text[at + e.prefix.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !c.is_ascii_alphanumeric())
                })
                .max_by_key(|e| e.prefix.len());
            if meant.is_some_and(|e| e.name != me.name) {
                let end = (at + 60).min(text.len());
                let end = (end..text.len())
                    .find(|i| text.is_char_boundary(*i))
                    .unwrap_or(text.len());
                found.push(format!("{}: …{}…", other.name, &text[at..end]));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// The IAM file without the data refresh's source policy (`data_refresh_snapshots`), the one
/// sanctioned reference to another tier: held to read-only statements on the source tier by
/// `iam_policies_name_only_the_environments_own_resources`.
fn without_refresh_source_policy(path: &str, text: &str) -> String {
    const START: &str = "resource \"aws_iam_role_policy\" \"data_refresh_snapshots\" {";
    if !path.ends_with("iam.tf") {
        return text.to_owned();
    }
    match text.find(START) {
        Some(at) => {
            let end = text[at..].find("\n}\n").map_or(text.len(), |e| at + e + 3);
            format!("{}{}", &text[..at], &text[end..])
        }
        None => text.to_owned(),
    }
}

/// Statements of the data refresh's source policy that may name the source tier, and the
/// only actions they may allow there (reads, and the grant RDS needs to copy an encrypted
/// snapshot); a deny may name it too.
const REFRESH_SOURCE_STATEMENTS: &[&str] = &[
    "FindSourceSnapshots",
    "CopySourceSnapshot",
    "UseSourceKey",
    "NeverWriteTheSource",
];
const REFRESH_SOURCE_ACTIONS: &[&str] = &[
    "rds:DescribeDBSnapshots",
    "rds:CopyDBSnapshot",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:CreateGrant",
];

/// Cross-environment references in the fixtures today: (fixture, environment, the text
/// mentioned, what must change). Reported without failing; the test fails once one is gone.
const KNOWN_CROSS_REFERENCES: &[(&str, &str, &str, &str)] = &[];

#[test]
fn no_environment_refers_to_another_environments_resources() {
    let mut checked = 0;
    let mut violations = Vec::new();
    let mut known_seen = Vec::new();
    for (fixture, model) in fixtures() {
        let envs = environments(&model);
        let ids: Vec<Identity> = envs.iter().map(identity).collect();
        for (env, me) in envs.iter().zip(&ids) {
            for (path, text) in files(env).iter() {
                let p = path.as_str();
                // The data refresh reads the source tier's snapshots: its one policy names
                // them, and the IAM test below holds that policy to read-only statements.
                let text = &without_refresh_source_policy(p, text);
                for f in foreign_mentions(text, me, &ids) {
                    let known = KNOWN_CROSS_REFERENCES
                        .iter()
                        .find(|k| k.0 == fixture && k.1 == env.name && f.contains(k.2));
                    match known {
                        Some(k) => known_seen.push(k.2.to_owned() + k.1),
                        None => violations.push(format!("{fixture} {}: {p}: {f}", env.name)),
                    }
                }
                // Another module's state or resources can only be reached through these.
                for banned in [
                    "terraform_remote_state",
                    "data \"aws_vpc\"",
                    "data \"aws_iam_role\"",
                ] {
                    assert!(
                        !text.contains(banned),
                        "{fixture} {}: {p}: {banned}",
                        env.name
                    );
                }
                checked += 1;
            }
            if env.runtime == Runtime::Cloud {
                let backend = tierform_engine::terraform::emit(env)
                    .expect("the emitter handles the environment");
                let backend = backend.get("backend.tf").expect("a backend");
                assert!(
                    backend.contains(&format!("\"{}\"", env.state_key())),
                    "{fixture} {}: the state key is its own",
                    env.name
                );
            }
        }
        let keys: Vec<String> = envs.iter().map(Environment::state_key).collect();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "{fixture}: state keys are unique");
    }
    assert!(
        violations.is_empty(),
        "references to another environment:\n{}",
        violations.join("\n")
    );
    for (fixture, env, text, why) in KNOWN_CROSS_REFERENCES {
        assert!(
            known_seen.contains(&(text.to_string() + env)),
            "fixed, remove from KNOWN_CROSS_REFERENCES: {fixture} {env}: {text}"
        );
        eprintln!("known cross-environment reference: {fixture} {env}: {text}: {why}");
    }
    assert!(checked > 300, "{checked} files checked");
}

/// The IAM policy documents of an environment: (object, attribute, document).
fn policies(objects: &[EmittedObject]) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for o in objects.iter().filter(|o| o.id.starts_with("terraform:")) {
        for (attr, v) in o.data.as_object().into_iter().flatten() {
            if v.get("Statement").is_some() {
                out.push((o.id.clone(), attr.clone(), v.clone()));
            }
        }
    }
    out
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Terraform addresses (`aws_x.y`) referenced in a value such as `aws_x.y.arn` or
/// `"arn:...${aws_x.y.resource_id}/..."`.
fn references(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = value.as_bytes();
    let mut i = 0;
    while let Some(at) = value[i..].find("aws_") {
        let start = i + at;
        // `data.aws_x.y` is a reference to the module's own data source `data.aws_x.y`.
        let data = value[..start].ends_with("data.")
            && (start == 5
                || !bytes[start - 6].is_ascii_alphanumeric() && bytes[start - 6] != b'_');
        let word_start = start == 0
            || data
            || !(bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] == b'_'
                || bytes[start - 1] == b'.');
        let mut end = start;
        let mut dots = 0;
        while end < bytes.len()
            && (bytes[end].is_ascii_alphanumeric()
                || bytes[end] == b'_'
                || (bytes[end] == b'.' && dots < 1))
        {
            dots += usize::from(bytes[end] == b'.');
            end += 1;
        }
        if word_start && dots == 1 && !value[start..end].ends_with('.') {
            let prefix = if data { "data." } else { "" };
            out.push(format!("{prefix}{}", &value[start..end]));
        }
        i = end.max(start + 4);
    }
    out
}

#[test]
fn iam_policies_name_only_the_environments_own_resources() {
    let mut statements = 0;
    for (fixture, model) in fixtures() {
        for env in environments(&model) {
            if env.runtime != Runtime::Cloud {
                continue;
            }
            let objs = tierform_engine::terraform::objects(&env)
                .expect("the emitter handles the environment");
            let own: Vec<&str> = objs
                .iter()
                .filter_map(|o| o.id.strip_prefix("terraform:"))
                .collect();
            let me = identity(&env);
            for (object, attr, doc) in policies(&objs) {
                let at = format!("{fixture} {}: {object}.{attr}", env.name);
                // A key policy's `*` is the key itself.
                let key_policy = object.starts_with("terraform:aws_kms_key.");
                for st in doc["Statement"].as_array().expect("statements") {
                    statements += 1;
                    let actions = strings(st.get("Action"));
                    let allow = st["Effect"] == "Allow";
                    let touches_secrets = actions.iter().any(|a| {
                        a == "*"
                            || a.starts_with("secretsmanager:")
                            || a.starts_with("kms:Decrypt")
                            || a == "kms:*"
                    });
                    for (field, resources) in [
                        ("Resource", strings(st.get("Resource"))),
                        ("NotResource", strings(st.get("NotResource"))),
                    ] {
                        for r in resources {
                            if r == "*" {
                                assert!(
                                    !(allow && touches_secrets) || key_policy,
                                    "{at}: {actions:?} on every resource"
                                );
                                continue;
                            }
                            let refs = references(&r);
                            for a in &refs {
                                assert!(
                                    own.contains(&a.as_str()),
                                    "{at}: {field} {r} refers to {a}, not a resource of this environment"
                                );
                            }
                            // The data refresh's reads of its source tier (and only those).
                            let refresh_source = env.app.data_refresh.as_ref().filter(|_| {
                                object == "terraform:aws_iam_role_policy.data_refresh_snapshots"
                                    && REFRESH_SOURCE_STATEMENTS
                                        .contains(&st["Sid"].as_str().unwrap_or_default())
                                    && (!allow
                                        || actions
                                            .iter()
                                            .all(|a| REFRESH_SOURCE_ACTIONS.contains(&a.as_str())))
                            });
                            if let Some(d) = refresh_source {
                                let source = format!("{}-{}-", env.app.app, d.from);
                                let key_by_alias = st["Sid"] == "UseSourceKey"
                                    && r.trim_matches('"').ends_with(":key/*")
                                    && st["Condition"].to_string().contains(&format!(
                                        "\"kms:ResourceAliases\":\"alias/{}-{}",
                                        env.app.app, d.from
                                    ));
                                assert!(
                                    r.contains(&source) || r.contains(&me.prefix) || key_by_alias,
                                    "{at}: {field} {r} is neither this environment's nor the refresh source's: {st}"
                                );
                                continue;
                            }
                            // A literal ARN (no reference to this module) must carry the
                            // environment's own name or path.
                            if refs.is_empty() {
                                assert!(
                                    r.contains(&me.prefix) || r.contains(&me.path),
                                    "{at}: {field} {r} is not this environment's"
                                );
                            }
                        }
                    }
                    // The fence on people's roles denies every secret but this environment's.
                    if st["Effect"] == "Deny"
                        && actions.iter().any(|a| a.starts_with("secretsmanager:"))
                    {
                        let not = strings(st.get("NotResource"));
                        assert!(
                            !not.is_empty()
                                && not
                                    .iter()
                                    .all(|r| r.contains(&format!("secret:{}*", me.path))),
                            "{at}: the secrets fence is this environment's: {not:?}"
                        );
                    }
                }
            }
        }
    }
    assert!(statements > 100, "{statements} statements checked");
}

// ---------------------------------------------------------------------------------------
// (c) Non-production relaxations only through knobs, and every one shown by parity.

/// Emitted fields that carry hardening: any difference in them between production and a
/// tier that mirrors it weakens (or strengthens) a protection.
const HARDENING: &[&str] = &[
    "multi_az",
    "deletion_protection",
    "enable_deletion_protection",
    "backup_retention_period",
    "skip_final_snapshot",
    "final_snapshot_identifier",
    "storage_encrypted",
    "kms_key_id",
    "at_rest_encryption_enabled",
    "transit_encryption_enabled",
    "automatic_failover_enabled",
    "multi_az_enabled",
    "snapshot_retention_limit",
    "retention_in_days",
    "recovery_window_in_days",
    "iam_database_authentication_enabled",
    "publicly_accessible",
    "securityContext",
    "ssl_policy",
    "encryption_config",
];

fn hardening(path: &str) -> bool {
    path.split(['.', '/', '[', ']'])
        .any(|seg| HARDENING.contains(&seg))
}

#[test]
fn hardening_relaxations_are_knobs_that_parity_shows() {
    let mut relaxations = Vec::new();
    for (fixture, model) in fixtures() {
        for (a, b) in model.mirror_pairs() {
            let r = compare(&model, &a, &b, &emitted_objects).unwrap_or_else(|ds| panic!("{ds:?}"));
            for d in r.differences.iter().filter(|d| hardening(&d.path)) {
                let at = format!(
                    "{fixture} {} vs {}: {} {} ({:?} -> {:?})",
                    r.a, r.b, d.object, d.path, d.a, d.b
                );
                assert_eq!(
                    d.class,
                    Class::Allowed,
                    "{at}: not an allowed knob difference"
                );
                assert!(!r.knobs.is_empty(), "{at}: no knob explains it");
                relaxations.push(at);
            }
        }
    }
    eprintln!(
        "hardening differences, all allowed knobs:\n  {}",
        relaxations.join("\n  ")
    );
    assert!(
        !relaxations.is_empty(),
        "the fixtures relax something (seed 003: single-AZ staging)"
    );
}

/// A mirror that switches off a protection outside its knobs is refused or reported.
#[test]
fn hardening_changed_outside_the_knobs_is_never_silent() {
    let base = std::fs::read_to_string(root().join("fixtures/ecommerce.hcl")).unwrap();
    let variants = [
        (
            "a mirror turns off cache encryption in transit",
            "cache \"main\" {\n    transit_encryption = false\n  }\n",
        ),
        (
            "a mirror makes the EKS endpoint public",
            "platform \"eks\" {\n    public_endpoint = true\n  }\n",
        ),
        (
            "a mirror that may change sizes only goes single-AZ",
            "may_differ = [\"size\"]\n\n  database \"main\" {\n    multi_az = false\n  }\n",
        ),
        (
            "a mirror that may change sizes only drops deletion protection",
            "may_differ = [\"size\"]\n\n  database \"main\" {\n    deletion_protection = false\n  }\n",
        ),
        (
            "a mirror turns off database IAM authentication",
            "database \"main\" {\n    iam_auth = false\n  }\n",
        ),
    ];
    for (what, block) in variants {
        let spec =
            format!("{base}\ntier \"preprod\" {{\n  mirrors = \"production\"\n\n  {block}}}\n");
        let model = match Model::parse(Source::new("ecommerce.hcl", spec), Format::Hcl) {
            Err(ds) => {
                eprintln!("{what}: refused ({})", codes(&ds));
                continue;
            }
            Ok(m) => m,
        };
        let (_, ds) = model.check();
        if ds.has_errors() {
            eprintln!("{what}: refused ({})", codes(&ds));
            continue;
        }
        let (a, b) = model
            .mirror_pairs()
            .into_iter()
            .find(|(_, b)| b.name == "preprod")
            .expect("preprod mirrors production");
        let r = compare(&model, &a, &b, &emitted_objects).unwrap();
        assert!(!r.holds(), "{what}: neither refused nor a parity violation");
        eprintln!("{what}: parity violation");
    }
}

/// The runbooks tell operators to put secret values in Secrets Manager or in a local `.env`
/// beside the compose file: values that exist on the machine that builds. None of them may
/// reach a runbook (or any generated file): not from that `.env`, not from the process
/// environment of the build.
#[test]
fn no_secret_value_on_the_building_machine_reaches_a_runbook() {
    let out = common::tmp("security", "machine-secrets");
    let spec = root().join("fixtures/servio.hcl");
    let o = common::build(&spec, &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let example = std::fs::read_to_string(out.join("compose/local/.env.example")).unwrap();
    let names: Vec<&str> = example
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.trim_end_matches('='))
        .collect();
    assert!(!names.is_empty());
    let env: String = names
        .iter()
        .map(|n| format!("{n}={PLAIN_CANARY}\n"))
        .collect();
    std::fs::write(out.join("compose/local/.env"), env).unwrap();
    let mut c = common::command();
    c.arg("build").arg(&spec).arg("--out").arg(&out);
    for n in &names {
        c.env(n, CANARY);
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut stack = vec![out.clone()];
    let mut runbooks = 0;
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != ".env") {
                let t = std::fs::read_to_string(&p).unwrap();
                runbooks += usize::from(p.extension().is_some_and(|x| x == "md"));
                assert!(
                    !t.contains(PLAIN_CANARY) && !t.contains(CANARY),
                    "a secret value reached {}",
                    p.display()
                );
            }
        }
    }
    assert_eq!(
        runbooks, 4,
        "docs/README.md and one runbook per environment"
    );
    let local = std::fs::read_to_string(out.join("docs/local.md")).unwrap();
    for n in names.iter().filter(|n| !n.ends_with("_DB_PASSWORD")) {
        assert!(
            local.contains(n),
            "{n}: secrets are named in the local runbook"
        );
    }
}
