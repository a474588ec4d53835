//! Parity, as reviewers read it: one shape snapshot per mirror pair that both environments of
//! the pair must render identically, the `tierform diff` reports of every pair, and negative
//! cases showing that each kind of structural drift is caught and named.
//!
//! The shape of an environment is every emitted object and field with the values parity lets
//! differ redacted, derived from the pair's parity report: knob-driven values read `[knob]`,
//! values a declared exception covers carry the exception and its reason, and objects or
//! fields present on one side only (allowed or excepted) are listed once, apart, so both sides
//! print the same text. A violation is never redacted, so it shows as a difference between
//! the two shapes.

use std::path::PathBuf;
use std::process::Output;

use indexmap::IndexMap;
use serde_json::{json, Value};
use tierform_engine::emitted_objects;
use tierform_model::parity::{self, compare, Class, Difference, EmittedObject, ParityReport};
use tierform_model::{Environment, EnvironmentId, Model};

const FIXTURES: [&str; 7] = [
    "ecommerce",
    "globepay",
    "govuk-forms",
    "servio",
    "thumbnails",
    "togetherhood",
    "webank",
];

mod common;
use common::root;

fn load(spec: &str) -> Model {
    Model::load(&root().join(spec)).unwrap_or_else(|ds| panic!("{spec} loads: {ds:?}"))
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../../../snapshots/parity");
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

/// `ecommerce@production~staging`: the fixture and the pair, mirrored first.
fn pair_name(fixture: &str, a: &EnvironmentId, b: &EnvironmentId) -> String {
    format!("{fixture}@{}~{}", a.name, b.name)
}

/// `tierform ARGS...` from the repository root (the reports name fixtures by relative path).
fn tierform(args: &[&str]) -> Output {
    common::command()
        .args(args)
        .current_dir(root())
        .output()
        .expect("the binary runs")
}

// ---------------------------------------------------------------------------------------------
// Shapes

/// One side's emitted objects as parity compares them (normalised by the engine itself, so
/// the shape and the report cannot disagree): (component, id) -> field path -> value.
type Flat = IndexMap<(String, String), IndexMap<String, Value>>;

fn flatten(objects: Vec<EmittedObject>) -> Flat {
    let mut flat = Flat::new();
    for ((id, path), (component, value)) in parity::fields(objects) {
        let fields = flat.entry((component, id)).or_default();
        if !path.is_empty() {
            fields.insert(path, value);
        }
    }
    flat.sort_keys();
    flat
}

/// What a redacted value reads, by the class parity gives its difference; `None` for a
/// violation, which is never redacted.
fn marker(class: &Class) -> Option<String> {
    match class {
        Class::Allowed | Class::KnobObject => Some("[knob]".into()),
        Class::Excepted { exception, .. } => Some(format!("[excepted: `{exception}`]")),
        _ => None,
    }
}

/// The pair's redactions, from its parity report and both sides' objects.
struct Redactions {
    /// (object, field) present on both sides whose value is redacted in place.
    values: IndexMap<(String, String), String>,
    /// (object, field; empty: the whole object) present on one side only and allowed or
    /// excepted: hidden from both listings and listed once, apart.
    one_sided: IndexMap<(String, String), String>,
}

impl Redactions {
    fn new(report: &ParityReport, a: &Flat, b: &Flat) -> Redactions {
        let mut values = IndexMap::new();
        let mut one_sided = IndexMap::new();
        for d in &report.differences {
            let Some(m) = marker(&d.class) else { continue };
            let key = (d.object.clone(), d.path.clone());
            if d.a.is_some() && d.b.is_some() {
                values.insert(key, m);
            } else {
                one_sided.insert(key, m);
            }
        }
        // Parity treats a name that AWS length limits forced to `<prefix>-<hash>` as equal to
        // its full form; the text differs, so it is redacted like a knob.
        for ((_, id), fields) in a {
            let Some(other) = b.iter().find(|((_, i), _)| i == id).map(|(_, f)| f) else {
                continue;
            };
            for (path, v) in fields {
                if other.get(path).is_some_and(|w| w != v) {
                    let key = (id.clone(), path.clone());
                    if !report
                        .differences
                        .iter()
                        .any(|d| d.object == key.0 && d.path == key.1)
                    {
                        values.insert(key, "[shortened name]".into());
                    }
                }
            }
        }
        one_sided.sort_keys();
        Redactions { values, one_sided }
    }
}

/// One side's shape, as text.
fn shape(fixture: &str, report: &ParityReport, side: &Flat, r: &Redactions, is_a: bool) -> String {
    use std::fmt::Write as _;
    let mut out = format!(
        "# Parity shape of {fixture}: `{}` mirrors `{}`.\n\
         # Both environments render exactly this text. [knob]: the value differs in this pair\n\
         # through a knob of the spec; [excepted: `X`]: the difference is accepted by exception X.\n",
        report.b, report.a
    );
    let mut exceptions = IndexMap::new();
    for d in &report.differences {
        if let Class::Excepted { exception, reason } = &d.class {
            exceptions.insert(exception, reason);
        }
    }
    exceptions.sort_keys();
    if !exceptions.is_empty() {
        out.push_str("\ndeclared exceptions\n");
        for (exception, reason) in exceptions {
            let _ = writeln!(out, "  `{exception}`: {reason}");
        }
    }
    // Violations show each side's own value, so the two shapes differ exactly there (one
    // that comes from the environment's identity shows nowhere else: both sides are emitted
    // under B's name).
    let violations: Vec<&Difference> = report.violations().collect();
    if !violations.is_empty() {
        out.push_str("\nVIOLATIONS\n");
        for d in violations {
            let field = if d.path.is_empty() {
                "(object)"
            } else {
                &d.path
            };
            let v = if is_a { &d.a } else { &d.b };
            let v = match (d.path.is_empty(), v) {
                (true, Some(_)) => "(present)".to_owned(),
                (_, None) => "(absent)".to_owned(),
                (false, Some(v)) => v.to_string(),
            };
            let _ = writeln!(out, "  {}  {field}: {v}", d.object);
        }
    }
    if !r.one_sided.is_empty() {
        out.push_str("\npresent on one side only\n");
        for ((object, path), m) in &r.one_sided {
            let field = if path.is_empty() { "(object)" } else { path };
            let _ = writeln!(out, "  {object}  {field}: {m}");
        }
    }
    let mut component = None;
    for ((c, id), fields) in side {
        if r.one_sided.contains_key(&(id.clone(), String::new())) {
            continue;
        }
        if component != Some(c) {
            component = Some(c);
            let _ = writeln!(out, "\n{c}");
        }
        let _ = writeln!(out, "  {id}");
        for (path, v) in fields {
            let key = (id.clone(), path.clone());
            if r.one_sided.contains_key(&key) {
                continue;
            }
            let value = r.values.get(&key).cloned().unwrap_or_else(|| v.to_string());
            if path.is_empty() {
                let _ = writeln!(out, "    (no fields): {value}");
            } else {
                let _ = writeln!(out, "    {path}: {value}");
            }
        }
    }
    out
}

/// The shapes of both sides of a pair, as `emit` compiles them.
fn shapes(
    fixture: &str,
    model: &Model,
    a: &EnvironmentId,
    b: &EnvironmentId,
    emit: &dyn Fn(&Environment) -> Vec<EmittedObject>,
) -> (String, String) {
    let report = compare(model, a, b, &emit).expect("both sides resolve");
    // A's values under B's names, as parity compares them.
    let (env_a, env_b) = (model.resolve_as(a, b).unwrap(), model.resolve(b).unwrap());
    let (flat_a, flat_b) = (flatten(emit(&env_a)), flatten(emit(&env_b)));
    let redactions = Redactions::new(&report, &flat_a, &flat_b);
    (
        shape(fixture, &report, &flat_a, &redactions, true),
        shape(fixture, &report, &flat_b, &redactions, false),
    )
}

/// Checks one fixture's shapes: per mirror pair, both sides against one shared snapshot.
fn shapes_hold(fixture: &str) {
    let model = load(&format!("fixtures/{fixture}.hcl"));
    let pairs = model.mirror_pairs();
    assert!(!pairs.is_empty(), "{fixture} declares mirror pairs");
    for (a, b) in pairs {
        let (shape_a, shape_b) = shapes(fixture, &model, &a, &b, &emitted_objects);
        let name = pair_name(fixture, &a, &b);
        // Guard before the snapshots: with INSTA_UPDATE=always the second assertion would
        // otherwise overwrite the first side's shape instead of failing.
        if shape_a != shape_b {
            let diff = similar::TextDiff::from_lines(&shape_a, &shape_b)
                .unified_diff()
                .context_radius(2)
                .header(&a.name, &b.name)
                .to_string();
            panic!(
                "{name}: `{}` does not keep the shape of `{}`:\n{diff}",
                b.name, a.name
            );
        }
        settings().bind(|| {
            insta::assert_snapshot!(format!("{name}.shape"), shape_a);
            insta::assert_snapshot!(format!("{name}.shape"), shape_b);
        });
    }
}

#[test]
fn shape_ecommerce() {
    shapes_hold("ecommerce");
}

#[test]
fn shape_globepay() {
    shapes_hold("globepay");
}

#[test]
fn shape_servio() {
    shapes_hold("servio");
}

#[test]
fn shape_thumbnails() {
    shapes_hold("thumbnails");
}

#[test]
fn shape_togetherhood() {
    shapes_hold("togetherhood");
}

#[test]
fn shape_govuk_forms() {
    shapes_hold("govuk-forms");
}

#[test]
fn shape_webank() {
    shapes_hold("webank");
}

// ---------------------------------------------------------------------------------------------
// Reports

/// `tierform diff` of every mirror pair of every fixture, as plain text and as Markdown.
#[test]
fn diff_reports() {
    for fixture in FIXTURES {
        let spec = format!("fixtures/{fixture}.hcl");
        let model = load(&spec);
        for (a, b) in model.mirror_pairs() {
            let name = pair_name(fixture, &a, &b);
            for (format, ext) in [("text", "txt"), ("markdown", "md")] {
                let out = tierform(&["diff", &spec, &a.name, &b.name, "--format", format]);
                let stdout = String::from_utf8(out.stdout).expect("UTF-8 report");
                assert!(
                    out.status.code() == Some(0),
                    "{name}: diff exits {:?}\n{stdout}{}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr)
                );
                settings().bind(|| insta::assert_snapshot!(format!("{name}.{ext}"), stdout));
            }
        }
    }
}

/// The Markdown tables show each side's value, not the side's name (a template bug once
/// printed the column headers in every row).
#[test]
fn markdown_rows_show_the_values_of_both_sides() {
    let spec = "fixtures/webank.hcl";
    let out = tierform(&[
        "diff",
        spec,
        "production-vb-rheinaue",
        "bugfix-vb-rheinaue-9",
        "--format",
        "markdown",
    ]);
    let md = String::from_utf8(out.stdout).expect("UTF-8 report");
    let row = md
        .lines()
        .find(|l| l.contains("`deletion_protection` |"))
        .unwrap_or_else(|| panic!("a deletion_protection row in\n{md}"));
    assert!(row.ends_with("| `true` | `false` |"), "{row}");
}

fn ecommerce_report() -> ParityReport {
    let model = load("fixtures/ecommerce.hcl");
    let (prod, staging) = (
        model.environment("production").unwrap(),
        model.environment("staging").unwrap(),
    );
    compare(&model, &prod, &staging, &emitted_objects).unwrap()
}

fn find<'r>(r: &'r ParityReport, object: &str, path: &str) -> &'r Difference {
    r.differences
        .iter()
        .find(|d| d.object == object && d.path == path)
        .unwrap_or_else(|| panic!("no difference at {object} {path}:\n{r:#?}"))
}

/// Seed 003's staging: smaller instance classes, single-AZ, fewer nodes, shorter retention.
#[test]
fn ecommerce_lists_the_knobs_seed_003_describes() {
    let r = ecommerce_report();
    assert!(r.holds(), "{:#?}", r.violations().collect::<Vec<_>>());
    let allowed = |object: &str, path: &str, a: Value, b: Value| {
        let d = find(&r, object, path);
        assert_eq!(d.class, Class::Allowed, "{d:?}");
        assert_eq!((d.a.clone(), d.b.clone()), (Some(a), Some(b)), "{d:?}");
    };
    let db = "terraform:aws_db_instance.main";
    allowed(
        db,
        "instance_class",
        json!("db.m5.large"),
        json!("db.t3.medium"),
    );
    allowed(db, "multi_az", json!(true), json!(false));
    allowed(db, "backup_retention_period", json!(30), json!(7));
    let nodes = "terraform:aws_eks_node_group.general";
    allowed(nodes, "scaling_config[0].min_size", json!(3), json!(2));
    allowed(nodes, "scaling_config[0].desired_size", json!(3), json!(2));
    allowed(nodes, "scaling_config[0].max_size", json!(10), json!(5));
    allowed(
        "terraform:aws_cloudwatch_log_group.eks",
        "retention_in_days",
        json!(30),
        json!(7),
    );
    // The spec's knob table of the report shows the retentions (trace retention is X-Ray's
    // fixed 30 days, refused otherwise: not a knob the fixture turns).
    let knob = |path: &str, a: Value, b: Value| {
        let k = r.knobs.iter().find(|k| k.path == path);
        let k = k.unwrap_or_else(|| panic!("knob {path} in {:#?}", r.knobs));
        assert_eq!((&k.a, &k.b), (&a, &b), "{path}");
    };
    knob("observability.log_retention_days", json!(30), json!(7));
    knob("observability.metrics_retention_days", json!(90), json!(30));
    knob("database.main.multi_az", json!(true), json!(false));

    let out = tierform(&["diff", "fixtures/ecommerce.hcl", "production", "staging"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "instance_class: \"db.m5.large\" -> \"db.t3.medium\"",
        "multi_az: true -> false",
        "scaling_config[0].desired_size: 3 -> 2",
        "observability.metrics_retention_days: 90 -> 30",
        "terraform:aws_db_instance.main_replica  (object)",
    ] {
        assert!(text.contains(needle), "`{needle}` in:\n{text}");
    }
}

/// The read replica exists in production only, accepted by the read-replica exception and
/// its reason (not by another exception of the tier).
#[test]
fn ecommerce_read_replica_is_excepted_with_its_own_reason() {
    let r = ecommerce_report();
    let d = find(&r, "terraform:aws_db_instance.main_replica", "");
    assert_eq!(
        d.class,
        Class::Excepted {
            exception: "database.main.read_replicas".into(),
            reason: "read replicas only carry production read traffic; staging's test load runs on the primary alone".into(),
        },
        "{d:?}"
    );
    let md = tierform(&[
        "diff",
        "fixtures/ecommerce.hcl",
        "production",
        "staging",
        "--format",
        "markdown",
    ]);
    let md = String::from_utf8(md.stdout).unwrap();
    let row = md
        .lines()
        .find(|l| l.contains("aws_db_instance.main_replica"))
        .unwrap_or_else(|| panic!("a replica row in:\n{md}"));
    assert!(
        row.contains("read replicas only carry production read traffic"),
        "{row}"
    );
}

/// The Markdown report goes into a pull-request comment: a reason (or any value) cannot open
/// HTML, a link, emphasis or a code span, nor break the table.
#[test]
fn a_hostile_reason_is_inert_in_the_markdown_report() {
    let text = std::fs::read_to_string(root().join("fixtures/ecommerce.hcl")).unwrap();
    let hostile = r#"read replicas <img src=x onerror=alert(1)> | **bold** [link](http://evil.example) `code`"#;
    let text = text.replace(
        "read replicas only carry production read traffic; staging's test load runs on the primary alone",
        hostile,
    );
    let dir = common::tmp("parity", "hostile-md");
    let spec = dir.join("ecommerce.hcl");
    std::fs::write(&spec, text).unwrap();
    let out = tierform(&[
        "diff",
        spec.to_str().unwrap(),
        "production",
        "staging",
        "--format",
        "markdown",
    ]);
    let md = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{md}");
    let row = md
        .lines()
        .find(|l| l.contains("read replicas") && l.contains("onerror"))
        .unwrap_or_else(|| panic!("the reason in:\n{md}"));
    // The reason's cell, up to the next cell: every markup character in it is escaped.
    let start = row.find("read replicas").unwrap();
    let cell = &row[start..start + row[start..].find(" | ").expect("the cell ends")];
    let mut bare = String::new();
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            chars.next();
        } else {
            bare.push(c);
        }
    }
    for c in ['<', '>', '|', '*', '[', ']', '`'] {
        assert!(!bare.contains(c), "an unescaped {c:?} in {cell}");
    }
    assert!(cell.contains("onerror") && cell.contains("bold"), "{cell}");
}

/// A team restyles its parity report with its own `parity.md.hbs` in the spec's template
/// folder, as it restyles its runbooks; a template error is located in the template.
#[test]
fn the_markdown_report_takes_the_specs_own_template() {
    let dir = common::tmp("parity", "template");
    let text = std::fs::read_to_string(root().join("fixtures/ecommerce.hcl")).unwrap();
    std::fs::write(
        dir.join("spec.hcl"),
        format!("docs {{\n  templates = \"runbooks\"\n}}\n{text}"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("runbooks")).unwrap();
    std::fs::write(
        dir.join("runbooks/parity.md.hbs"),
        "{{b}} vs {{a}}: {{verdict}}, {{len knobs}} knobs\n",
    )
    .unwrap();
    let spec = dir.join("spec.hcl");
    let spec = spec.to_str().unwrap();
    let diff =
        |format: &str| tierform(&["diff", spec, "production", "staging", "--format", format]);
    let report: Value = serde_json::from_slice(&diff("json").stdout).unwrap();
    assert_eq!(
        String::from_utf8(diff("markdown").stdout).unwrap(),
        format!(
            "staging vs production: holds, {} knobs\n",
            report["counts"]["knobs"]
        )
    );
    std::fs::write(dir.join("runbooks/parity.md.hbs"), "ok\n{{nothing.here}}\n").unwrap();
    let out = diff("markdown");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("parity.md.hbs:2:"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Negative cases

/// Where a variant edits `fixtures/ecommerce.hcl`.
enum Edit {
    /// Insert lines after the first line containing the anchor inside `tier "staging"`.
    InStaging(&'static str, &'static str),
    /// Insert top-level blocks before the first tier.
    BeforeTiers(&'static str),
    /// Append at the end of the spec.
    Append(&'static str),
}

/// A variant of the ecommerce fixture, written to a temporary file: derived from the fixture
/// at test time, so it can never drift from it.
fn variant(case: &str, edits: &[Edit]) -> PathBuf {
    let mut text = std::fs::read_to_string(root().join("fixtures/ecommerce.hcl")).unwrap();
    for edit in edits {
        match edit {
            Edit::InStaging(anchor, lines) => {
                let staging = text.find("tier \"staging\" {").expect("a staging tier");
                let at = staging
                    + text[staging..]
                        .find(anchor)
                        .unwrap_or_else(|| panic!("{anchor}"));
                let eol = at + text[at..].find('\n').unwrap() + 1;
                text.insert_str(eol, lines);
            }
            Edit::BeforeTiers(blocks) => {
                let at = text.find("\ntier \"").expect("tiers") + 1;
                text.insert_str(at, blocks);
            }
            Edit::Append(blocks) => text.push_str(blocks),
        }
    }
    let dir = std::env::temp_dir().join(format!("tierform-parity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{case}.hcl"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Variants whose staging changes structure: the spec validator rejects each at the override.
#[test]
fn structural_overrides_are_rejected_at_the_field() {
    let worker = "replicas = 1";
    let cases: [(&str, Vec<Edit>, &str); 6] = [
        (
            "ecommerce-staging-engine-version",
            vec![Edit::InStaging("db.t3.medium", "    engine_version = \"16.10\"\n")],
            "database.main.engine_version",
        ),
        (
            "ecommerce-staging-drops-alarm",
            vec![Edit::InStaging("alarms {", "      cpu = false\n")],
            "observability.alarms.cpu",
        ),
        (
            "ecommerce-staging-drops-cache",
            vec![Edit::InStaging(worker, "    caches = []\n")],
            "service.worker.caches",
        ),
        (
            "ecommerce-staging-opens-port",
            vec![Edit::InStaging(worker, "    port = 8080\n")],
            "service.worker.port",
        ),
        (
            "ecommerce-staging-public-worker",
            vec![Edit::InStaging(
                worker,
                "    public {\n      host = \"staging-worker.ecommerce.com\"\n      zone = \"ecommerce.com\"\n    }\n",
            )],
            "service.worker.public",
        ),
        (
            "ecommerce-staging-adds-secret",
            vec![
                Edit::BeforeTiers("secret \"staging-debug-token\" {\n  description = \"a debug token only staging reads\"\n}\n\n"),
                Edit::InStaging(
                    "digest = null",
                    "    secrets = [\"stripe-secret-key\", \"sendgrid-api-key\", \"staging-debug-token\"]\n",
                ),
            ],
            "service.api.secrets",
        ),
    ];
    for (case, edits, field) in cases {
        let spec = variant(case, &edits);
        let ds = Model::load(&spec).expect_err(case);
        let d = ds
            .iter()
            .find(|d| d.code == "structural-override")
            .unwrap_or_else(|| panic!("{case}: a structural-override in {ds:?}"));
        assert!(d.path.to_string().starts_with(field), "{case}: {d}");
        assert!(d.message.contains(field), "{case}: {d}");
        assert!(d.location.is_some(), "{case}: located: {d}");

        let out = tierform(&["check", spec.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{case}: {stderr}");
        assert!(stderr.contains(field), "{case}: {stderr}");
    }
}

/// The ecommerce fixture plus a `perf` tier that mirrors nothing and differs from production
/// in structure (engine version, worker port, CPU alarm): a valid spec.
fn perf_variant() -> PathBuf {
    variant(
        "ecommerce-perf-tier",
        &[Edit::Append(
            r#"
# A load-test tier that promises nothing: it does not mirror production, so `check` holds it
# to nothing, but `diff ... production perf` must show each structural difference.
tier "perf" {
  database "main" {
    engine_version = "16.10"
  }

  service "worker" {
    port = 8080
  }

  observability {
    alarms {
      cpu = false
    }
  }
}
"#,
        )],
    )
}

/// A spec that is valid but whose `perf` tier promises nothing: compared with production,
/// every structural difference is listed and named, but no verdict is given (it promised
/// none), `diff` says so and exits 0, in either order.
#[test]
fn diff_of_unrelated_tiers_lists_structure_without_a_verdict() {
    let path = perf_variant();
    let spec = path.to_str().unwrap();
    let check = tierform(&["check", spec]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "perf mirrors nothing: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    for format in ["text", "markdown", "json"] {
        for (x, y) in [("production", "perf"), ("perf", "production")] {
            let out = tierform(&["diff", spec, x, y, "--format", format]);
            let stdout = String::from_utf8(out.stdout).unwrap();
            assert_eq!(out.status.code(), Some(0), "{format}:\n{stdout}");
            for needle in [
                "engine_version",
                "aws_cloudwatch_metric_alarm.nodes_cpu",
                "containerPort",
            ] {
                let needle = needle.to_owned();
                assert!(
                    stdout.contains(&needle),
                    "{format}: `{needle}` in:\n{stdout}"
                );
            }
            let said = match format {
                "json" => "\"verdict\": \"none\"",
                "markdown" => "no mirror relation",
                _ => "no mirror relation: compared without a verdict",
            };
            assert!(stdout.contains(said), "{format}:\n{stdout}");
        }
    }
    let model = Model::load(&path).unwrap();
    let r = compare(
        &model,
        &model.environment("production").unwrap(),
        &model.environment("perf").unwrap(),
        &emitted_objects,
    )
    .unwrap();
    assert_eq!(r.verdict, parity::Verdict::None);
    let structural = |object: &str, path: &str| {
        assert_eq!(
            find(&r, object, path).class,
            Class::Structural,
            "{object} {path}"
        );
    };
    structural("terraform:aws_db_instance.main", "engine_version");
    structural("terraform:aws_cloudwatch_metric_alarm.nodes_cpu", "");
    structural(
        "k8s:Deployment/worker",
        "spec.template.spec.containers[worker].ports[http].containerPort",
    );
    structural("k8s:Service/worker", "spec.ports[http].port");
}

/// Compares ecommerce's staging with production through an emitter that `drift` corrupts for
/// staging only, as an emitter bug keyed on the environment's identity would.
fn with_drift(drift: fn(&mut Vec<EmittedObject>)) -> ParityReport {
    let model = load("fixtures/ecommerce.hcl");
    let emit = |env: &Environment| {
        let mut o = emitted_objects(env);
        if env.name == "staging" {
            drift(&mut o);
        }
        o
    };
    compare(
        &model,
        &model.environment("production").unwrap(),
        &model.environment("staging").unwrap(),
        &emit,
    )
    .unwrap()
}

fn object<'o>(objects: &'o mut [EmittedObject], id: &str) -> &'o mut EmittedObject {
    objects
        .iter_mut()
        .find(|o| o.id == id)
        .unwrap_or_else(|| panic!("{id} is emitted"))
}

/// The violations of a report, as (object, field).
fn violations(r: &ParityReport) -> Vec<(&str, &str)> {
    r.violations()
        .map(|d| (d.object.as_str(), d.path.as_str()))
        .collect()
}

#[test]
fn emitted_engine_version_drift_is_a_violation() {
    let r = with_drift(|o| {
        object(o, "terraform:aws_db_instance.main").data["engine_version"] = json!("16.10");
    });
    assert_eq!(
        violations(&r),
        [("terraform:aws_db_instance.main", "engine_version")]
    );
    let d = find(&r, "terraform:aws_db_instance.main", "engine_version");
    assert_eq!((&d.a, &d.b), (&Some(json!("16.11")), &Some(json!("16.10"))));
}

#[test]
fn emitted_missing_resource_is_a_violation() {
    let r = with_drift(|o| o.retain(|x| x.id != "terraform:aws_cloudwatch_metric_alarm.nodes_cpu"));
    assert_eq!(
        violations(&r),
        [("terraform:aws_cloudwatch_metric_alarm.nodes_cpu", "")]
    );
    let d = find(&r, "terraform:aws_cloudwatch_metric_alarm.nodes_cpu", "");
    assert_eq!((&d.a, &d.b), (&Some(json!(true)), &None));
}

#[test]
fn emitted_extra_ingress_rule_is_a_violation() {
    const SSH: &str = "terraform:aws_vpc_security_group_ingress_rule.db_main_from_ssh";
    let r = with_drift(|o| {
        let template = o
            .iter()
            .find(|x| {
                x.id.starts_with("terraform:aws_vpc_security_group_ingress_rule.")
            })
            .expect("an ingress rule is emitted")
            .clone();
        let mut rule = template;
        rule.id = SSH.into();
        rule.data["from_port"] = json!(22);
        rule.data["to_port"] = json!(22);
        rule.data["cidr_ipv4"] = json!("0.0.0.0/0");
        o.push(rule);
    });
    assert_eq!(violations(&r), [(SSH, "")]);
}

#[test]
fn emitted_opened_port_is_a_violation() {
    let r = with_drift(|o| {
        let rule = o
            .iter_mut()
            .find(|x| {
                x.id.starts_with("terraform:aws_vpc_security_group_ingress_rule.")
                    && x.data.get("from_port").is_some()
            })
            .expect("an ingress rule with a port");
        rule.data["to_port"] = json!(65535);
    });
    let v = violations(&r);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].0
            .starts_with("terraform:aws_vpc_security_group_ingress_rule.")
            && v[0].1 == "to_port",
        "{v:?}"
    );
}

#[test]
fn emitted_extra_iam_permission_is_a_violation() {
    let r = with_drift(|o| {
        let policy = o
            .iter_mut()
            .find(|x| {
                x.id.starts_with("terraform:aws_iam_role_policy.")
                    && x.data.pointer("/policy/Statement").is_some()
            })
            .expect("a role policy with statements");
        let statements = policy.data["policy"]["Statement"]
            .as_array_mut()
            .expect("statements are a list");
        statements.push(json!({
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": "*",
        }));
    });
    let v = violations(&r);
    assert!(!v.is_empty());
    for (object, field) in &v {
        assert!(
            object.starts_with("terraform:aws_iam_role_policy."),
            "{v:?}"
        );
        assert!(field.starts_with("policy.Statement["), "{v:?}");
    }
    assert!(
        v.iter().any(|(_, f)| f.ends_with(".Action[0]")),
        "the added action is named: {v:?}"
    );
}

#[test]
fn emitted_extra_secret_reference_is_a_violation() {
    let r = with_drift(|o| {
        let d = object(o, "k8s:Deployment/worker");
        let env = d.data["spec"]["template"]["spec"]["containers"][0]["env"]
            .as_array_mut()
            .expect("the worker has env vars");
        env.push(json!({
            "name": "DEBUG_TOKEN",
            "valueFrom": { "secretKeyRef": { "name": "debug-token", "key": "value" } },
        }));
    });
    let v = violations(&r);
    assert!(!v.is_empty());
    assert!(
        v.iter().all(|(o, f)| *o == "k8s:Deployment/worker"
            && f.starts_with("spec.template.spec.containers[worker].env[")),
        "{v:?}"
    );
}

/// A knob the tier may change never makes a violation, whatever value it takes.
#[test]
fn knob_changes_are_never_violations() {
    let text = std::fs::read_to_string(root().join("fixtures/ecommerce.hcl")).unwrap();
    let anchor = "    instance_class        = \"db.t3.medium\"";
    assert!(text.contains(anchor));
    for class in ["db.r6g.2xlarge", "db.m5.large", "db.t4g.micro"] {
        let spec = text.replace(anchor, &format!("    instance_class        = \"{class}\""));
        let model = Model::parse(
            tierform_model::Source::new("ecommerce.hcl", spec),
            tierform_model::Format::Hcl,
        )
        .expect("a knob change loads");
        let r = compare(
            &model,
            &model.environment("production").unwrap(),
            &model.environment("staging").unwrap(),
            &emitted_objects,
        )
        .unwrap();
        assert!(r.holds(), "{class}: {:?}", violations(&r));
        let d = r
            .differences
            .iter()
            .find(|d| d.object == "terraform:aws_db_instance.main" && d.path == "instance_class");
        match d {
            Some(d) => assert_eq!(d.class, Class::Allowed, "{class}"),
            None => assert_eq!(
                class, "db.m5.large",
                "only production's own class is no difference"
            ),
        }
    }
}

/// A violation is never redacted: the two sides' shapes differ at the offending field.
#[test]
fn shapes_differ_where_structure_differs() {
    let model = load("fixtures/ecommerce.hcl");
    let (a, b) = (
        model.environment("production").unwrap(),
        model.environment("staging").unwrap(),
    );
    let emit = |env: &Environment| {
        let mut o = emitted_objects(env);
        if env.name == "staging" {
            object(&mut o, "terraform:aws_db_instance.main").data["engine_version"] =
                json!("16.10");
        }
        o
    };
    let (shape_a, shape_b) = shapes("ecommerce", &model, &a, &b, &emit);
    let changed: Vec<(&str, &str)> = shape_a
        .lines()
        .zip(shape_b.lines())
        .filter(|(x, y)| x != y)
        .collect();
    assert_eq!(
        changed,
        [(
            "  terraform:aws_db_instance.main  engine_version: \"16.11\"",
            "  terraform:aws_db_instance.main  engine_version: \"16.10\""
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// Raw Terraform blocks (the escape hatch) under parity

/// Compares thumbnails' staging with production through an emitter that `drift` corrupts
/// for staging only.
fn thumbnails_with_drift(drift: fn(&mut Vec<EmittedObject>)) -> ParityReport {
    let model = load("fixtures/thumbnails.hcl");
    let emit = |env: &Environment| {
        let mut o = emitted_objects(env);
        if env.name == "staging" {
            drift(&mut o);
        }
        o
    };
    compare(
        &model,
        &model.environment("production").unwrap(),
        &model.environment("staging").unwrap(),
        &emit,
    )
    .unwrap()
}

#[test]
fn a_raw_object_missing_in_staging_is_a_violation_naming_it() {
    let r = thumbnails_with_drift(|o| {
        o.retain(|x| x.id != "terraform:aws_s3_bucket_public_access_block.uploads")
    });
    assert_eq!(
        violations(&r),
        [("terraform:aws_s3_bucket_public_access_block.uploads", "")]
    );
    let d = find(
        &r,
        "terraform:aws_s3_bucket_public_access_block.uploads",
        "",
    );
    assert_eq!(
        d.component,
        "resource aws_s3_bucket_public_access_block.uploads"
    );
}

#[test]
fn a_raw_non_knob_argument_changed_in_staging_is_a_violation_naming_the_field() {
    let r = thumbnails_with_drift(|o| {
        object(o, "terraform:aws_lambda_function.thumbnailer").data["runtime"] = json!("python3.9");
    });
    assert_eq!(
        violations(&r),
        [("terraform:aws_lambda_function.thumbnailer", "runtime")]
    );
}

#[test]
fn a_raw_module_input_changed_in_staging_is_a_violation() {
    let r = thumbnails_with_drift(|o| {
        object(o, "terraform:module.dead_letters").data["sqs_managed_sse_enabled"] = json!(false);
    });
    assert_eq!(
        violations(&r),
        [("terraform:module.dead_letters", "sqs_managed_sse_enabled")]
    );
}

#[test]
fn raw_knob_differences_are_allowed_and_listed_as_declared_knobs() {
    let model = load("fixtures/thumbnails.hcl");
    let r = compare(
        &model,
        &model.environment("production").unwrap(),
        &model.environment("staging").unwrap(),
        &emitted_objects,
    )
    .unwrap();
    assert!(r.holds(), "{:?}", violations(&r));
    let d = find(
        &r,
        "terraform:aws_lambda_function.thumbnailer",
        "memory_size",
    );
    assert_eq!(d.class, Class::Allowed);
    assert_eq!((&d.a, &d.b), (&Some(json!(512)), &Some(json!(256))));
    let k = r
        .knobs
        .iter()
        .find(|k| k.path == "resource.aws_lambda_function.thumbnailer.memory_size")
        .expect("the declared knob is listed");
    assert_eq!(k.kind, tierform_model::KnobKind::Declared);
}

/// The same raw argument, changed by a spec edit: a declared knob loads and holds, an
/// undeclared one is refused at the field.
#[test]
fn a_raw_argument_is_a_knob_only_when_declared() {
    let text = std::fs::read_to_string(root().join("fixtures/thumbnails.hcl")).unwrap();
    let anchor = "    memory_size                    = 256\n";
    assert!(text.contains(anchor));
    let undeclared = text.replace(
        anchor,
        &format!("{anchor}    handler = \"other.handler\"\n"),
    );
    let err = Model::parse(
        tierform_model::Source::new("thumbnails.hcl", undeclared),
        tierform_model::Format::Hcl,
    )
    .expect_err("a structural raw argument in staging is refused");
    let d = err
        .iter()
        .find(|d| d.code == "structural-override")
        .expect("structural-override");
    assert_eq!(
        d.path.to_string(),
        "resource.aws_lambda_function.thumbnailer.handler"
    );
    assert!(d.span.is_some(), "located in the spec");
}
