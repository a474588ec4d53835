use super::tiers::is_judgeable_reason;
use super::*;
use crate::diagnostic::FieldPath;
use crate::node::Layer;
use crate::source::Format;

const BASE: &str = r#"
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
  databases    = ["main"]
  health_check { path = "/health" }
}
"#;

fn model(tiers: &str) -> Result<Model, Diagnostics> {
    Model::parse(Source::new("t.hcl", format!("{BASE}{tiers}")), Format::Hcl)
}

/// The 1-based line of the first occurrence of `needle` in the full spec.
fn line_of(tiers: &str, needle: &str) -> u32 {
    let text = format!("{BASE}{tiers}");
    let at = text.find(needle).expect("needle in spec");
    text[..at].matches('\n').count() as u32 + 1
}

fn codes(r: Result<Model, Diagnostics>) -> Vec<&'static str> {
    r.unwrap_err().0.iter().map(|d| d.code).collect()
}

#[test]
fn mirroring_tier_starts_from_its_mirror_and_changes_knobs() {
    let tiers = r#"
tier "staging" {
  mirrors = "production"
  database "main" { instance_class = "db.t3.medium" }
}
tier "production" {
  database "main" { multi_az = true }
  service "api" { replicas = 3 }
}
"#;
    let m = model(tiers).unwrap();
    let s = m.resolve(&m.environment("staging").unwrap()).unwrap();
    assert_eq!(s.app.databases["main"].instance_class, "db.t3.medium");
    assert_eq!(
        s.app.services["api"].replicas, 3,
        "inherited from production"
    );
    let p = m
        .explain(
            &m.environment("staging").unwrap(),
            &FieldPath::parse("service.api.replicas"),
        )
        .unwrap();
    assert_eq!(p.layer, Some(Layer::Tier("production".into())));
    assert_eq!(p.location.unwrap().line, line_of(tiers, "replicas = 3"));
    let d = m
        .explain(
            &m.environment("staging").unwrap(),
            &FieldPath::parse("database.main.backup_retention_days"),
        )
        .unwrap();
    assert_eq!((d.value, d.layer), (serde_json::json!(7), None));
}

#[test]
fn structural_override_in_mirroring_tier_is_reported_at_the_override() {
    let tiers = r#"
tier "staging" {
  mirrors = "production"
  database "main" { engine_version = "15.14" }
}
tier "production" {}
"#;
    let e = model(tiers).unwrap_err();
    let d = &e.0[0];
    assert_eq!(d.code, "structural-override");
    assert_eq!(d.path.to_string(), "database.main.engine_version");
    assert_eq!(
        d.location.as_ref().unwrap().line,
        line_of(tiers, "engine_version = \"15.14\"")
    );
}

#[test]
fn exceptions_need_reasons_and_allow_structure() {
    let ok = model(
        r#"
tier "staging" {
  mirrors = "production"
  exception "database.main.read_replicas" { reason = "staging load needs no replica" }
  database "main" { read_replicas = 0 }
}
tier "production" {
  database "main" {
    read_replicas = 2
  }
}
"#,
    );
    assert!(ok.is_ok(), "{ok:?}");
    let bad = model(
        r#"
tier "staging" {
  mirrors = "production"
  exception "database.main.read_replicas" {}
}
tier "production" {}
"#,
    );
    assert_eq!(codes(bad), ["exception-without-reason"]);
}

#[test]
fn tier_graph_errors() {
    assert_eq!(
        codes(model(
            "tier \"a\" { mirrors = \"prodution\" }\ntier \"production\" {}\n"
        )),
        ["unknown-tier"]
    );
    assert_eq!(
        codes(model(
            "tier \"a\" { mirrors = \"b\" }\ntier \"b\" { mirrors = \"a\" }\n"
        )),
        ["mirror-cycle", "mirror-cycle"]
    );
    assert_eq!(
        codes(model("tier \"bugfix\" { ephemeral = true }\n")),
        ["ephemeral-without-mirror"]
    );
}

#[test]
fn tenants_and_instances_fan_out_and_ephemeral_copies_resolve_by_name() {
    let m = model(
        r#"
tenant "bank-a" {
  service "api" {
    replicas = 2
  }
}
tenant "bank-b" {}
tier "integration" {
  instance "ledgers" {
    service "api" {
      replicas = 2
    }
  }
  instance "mambu" {}
}
tier "production" { per_tenant = true }
tier "bugfix" {
  mirrors   = "production"
  ephemeral = true
}
"#,
    )
    .unwrap();
    let names: Vec<String> = m.environments().into_iter().map(|e| e.name).collect();
    assert_eq!(
        names,
        [
            "integration-ledgers",
            "integration-mambu",
            "production-bank-a",
            "production-bank-b"
        ]
    );
    let a = m
        .resolve(&m.environment("production-bank-a").unwrap())
        .unwrap();
    assert_eq!(
        (a.instance.as_deref(), a.app.services["api"].replicas),
        (Some("bank-a"), 2)
    );
    // A copy of a per-tenant tier names the tenant it copies, and keeps its values.
    let bug = m
        .resolve(&m.environment("bugfix-bank-a-1234").unwrap())
        .unwrap();
    assert_eq!(
        (bug.tier.as_str(), bug.mirrors.as_deref(), bug.ephemeral),
        ("bugfix", Some("production"), true)
    );
    assert_eq!(bug.copy_of.as_deref(), Some("production-bank-a"));
    assert_eq!(bug.instance.as_deref(), Some("bank-a-1234"));
    assert_eq!(
        bug.app.services["api"].replicas,
        a.app.services["api"].replicas
    );
    let b = m
        .resolve(&m.environment("bugfix-bank-b-7").unwrap())
        .unwrap();
    assert_eq!(b.copy_of.as_deref(), Some("production-bank-b"));
    // Without a tenant the copy would be of no bank at all: refused, with the form to use.
    let d = &m.environment("bugfix-1234").unwrap_err().0[0];
    assert_eq!(d.code, "ephemeral-copy-of-what");
    assert!(
        d.help
            .as_deref()
            .unwrap()
            .contains("`bugfix-<tenant>-<id>`, such as `bugfix-bank-a-1234`"),
        "{d:?}"
    );
    assert!(m.environment("bugfix-bank-a-").is_err());
    assert!(m.environment("bugfix-").is_err());
    assert!(m.environment("nothing-1").is_err());
}

#[test]
fn ephemeral_copies_expire_and_tear_down_in_one_step() {
    let m = model(
        r#"
tier "production" {}
tier "bugfix" {
  mirrors   = "production"
  ephemeral = true
  ttl_days  = 3
}
"#,
    )
    .unwrap()
    .with_today(crate::Date::new(2026, 12, 30).unwrap());
    let prod = m.resolve(&m.environment("production").unwrap()).unwrap();
    let bug = m.resolve(&m.environment("bugfix-1234").unwrap()).unwrap();
    assert_eq!(
        (prod.expiry_tag().as_str(), prod.copy_of.as_deref()),
        ("never", None)
    );
    assert_eq!(bug.expiry_tag(), "2027-01-02");
    assert_eq!(bug.copy_of.as_deref(), Some("production"));
    assert!(prod.app.databases["main"].deletion_protection);
    assert!(!bug.app.databases["main"].deletion_protection);
    // The relaxation is a layer of the tier: a tier that keeps protection on wins.
    let kept = model(
        "tier \"production\" {}\ntier \"bugfix\" {\n  mirrors = \"production\"\n  ephemeral = true\n  database \"main\" {\n    deletion_protection = true\n  }\n}\n",
    )
    .unwrap();
    let bug = kept
        .resolve(&kept.environment("bugfix-1").unwrap())
        .unwrap();
    assert!(bug.app.databases["main"].deletion_protection);
    // `ttl_days` only on ephemeral tiers, and in range.
    let e = model("tier \"production\" {\n  ttl_days = 3\n}\n").unwrap_err();
    assert_eq!(e.0[0].code, "ttl-without-ephemeral");
    let e = model("tier \"production\" {}\ntier \"b\" {\n  mirrors = \"production\"\n  ephemeral = true\n  ttl_days = 365\n}\n").unwrap_err();
    assert_eq!(e.0[0].code, "ttl-out-of-range");
}

#[test]
fn an_unknown_environment_says_which_one_was_meant() {
    let m = model(
        r#"
tier "staging" { mirrors = "production" }
tier "production" {}
tier "bugfix" {
  mirrors   = "production"
  ephemeral = true
}
"#,
    )
    .unwrap();
    let one = |name: &str| -> Diagnostic {
        let ds = m.environment(name).unwrap_err();
        assert_eq!(ds.0.len(), 1, "{ds}");
        ds.0[0].clone()
    };
    let d = one("stagng");
    assert_eq!(d.code, "unknown-environment");
    assert_eq!(d.message, "no environment is named `stagng`");
    assert_eq!(d.help.as_deref(), Some("did you mean `staging`?"));
    let d = one("elsewhere");
    let help = d.help.unwrap();
    assert!(
        help.starts_with("the declared environments are `"),
        "{help}"
    );
    assert!(help.contains("`bugfix-<id>`"), "{help}");
}

#[test]
fn tenants_may_change_knobs_only() {
    let e = model("tenant \"a\" {\n  service \"api\" {\n    port = 9\n  }\n}\ntier \"production\" {\n  per_tenant = true\n}\n");
    assert_eq!(codes(e), ["structural-override"]);
}

#[test]
fn overrides_cannot_invent_entries() {
    let e = model("tier \"production\" {\n  database \"mian\" {\n    instance_class = \"db.t3.small\"\n  }\n}\n").unwrap_err();
    assert_eq!(e.0[0].code, "unknown-override");
    assert_eq!(e.0[0].help.as_deref(), Some("did you mean `main`?"));
}

#[test]
fn validation_errors_point_at_the_layer_that_set_the_value() {
    let tiers = "tier \"production\" {\n  service \"api\" {\n    tag = \"latest\"\n  }\n}\n";
    let m = model(tiers).unwrap();
    let e = m
        .resolve(&m.environment("production").unwrap())
        .unwrap_err();
    assert_eq!(e.0[0].code, "unpinned-image");
    assert_eq!(
        e.0[0].location.as_ref().unwrap().line,
        line_of(tiers, "tag = \"latest\"")
    );
}

#[test]
fn mirror_pairs_cover_mirrors_instances_and_ephemeral_copies() {
    let m = model(
        r#"
tenant "a" {}
tenant "b" {}
tier "staging" {
  mirrors = "production"
}
tier "production" {
  per_tenant = true
}
tier "bugfix" {
  mirrors   = "production"
  ephemeral = true
}
"#,
    )
    .unwrap();
    let pairs: Vec<(String, String)> = m
        .mirror_pairs()
        .into_iter()
        .map(|(a, b)| (a.name, b.name))
        .collect();
    let p = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        pairs,
        [
            p("production-a", "staging"),
            p("production-a", "production-b"),
            p("production-a", "bugfix-a-sample")
        ]
    );
}

#[test]
fn knobs_change_existing_structure_but_do_not_add_it() {
    let adds_env = model("tier \"production\" {\n  instance \"a\" {\n    service \"api\" {\n      env = { NEW = \"x\" }\n    }\n  }\n}\n");
    assert_eq!(codes(adds_env), ["structural-override"]);
    let adds_public = model(
        "tier \"staging\" {\n  mirrors = \"production\"\n  service \"api\" {\n    public {\n      host = \"a.b.c\"\n      zone = \"b.c\"\n    }\n  }\n}\ntier \"production\" {}\n",
    );
    assert_eq!(
        codes(adds_public),
        ["structural-override", "structural-override"]
    );
}

#[test]
fn a_reason_must_be_something_a_reviewer_can_judge() {
    for weak in [
        ".",
        "x",
        "cost",
        "n/a",
        "TODO tbd fixme",
        "   ",
        "a b c",
        "todo: later",
    ] {
        assert!(!is_judgeable_reason(weak), "{weak:?}");
    }
    for fine in [
        "staging needs no replica",
        "read replicas only carry production read traffic",
        "la base de staging n'a pas de réplique",
    ] {
        assert!(is_judgeable_reason(fine), "{fine:?}");
    }
}

#[test]
fn exceptions_name_one_concrete_structural_field() {
    let with = |path: &str| {
        codes(model(&format!(
            "tier \"staging\" {{\n  mirrors = \"production\"\n  exception \"{path}\" {{ reason = \"staging needs no replica\" }}\n  database \"main\" {{ read_replicas = 0 }}\n}}\ntier \"production\" {{\n  database \"main\" {{ read_replicas = 1 }}\n}}\n"
        )))
    };
    assert_eq!(with("*"), ["exception-wildcard"]);
    assert_eq!(with("database.*.read_replicas"), ["exception-wildcard"]);
    assert_eq!(with("database"), ["exception-too-broad"]);
    assert_eq!(with("service"), ["exception-too-broad"]);
    assert_eq!(with("database.main.instance_class"), ["exception-on-knob"]);
    assert_eq!(
        with("database.main.read_replica"),
        ["unknown-exception", "structural-override"],
        "a misspelt exception excuses nothing, so the override it meant to cover is refused too"
    );
    assert!(model(
        "tier \"staging\" {\n  mirrors = \"production\"\n  exception \"database.main.read_replicas\" { reason = \"staging needs no replica\" }\n  database \"main\" { read_replicas = 0 }\n}\ntier \"production\" {\n  database \"main\" { read_replicas = 1 }\n}\n"
    )
    .is_ok());
}

#[test]
fn the_docs_block_is_read_apart_from_every_environment() {
    let m = model("docs {\n  templates = \"runbooks/\"\n}\ntier \"production\" {}\n").unwrap();
    assert_eq!(m.docs().templates.as_deref(), Some("runbooks/"));
    let at = m.docs().templates_span.expect("located");
    assert_eq!(
        &m.source().text()[at.start as usize..at.end as usize],
        "\"runbooks/\""
    );
    let (envs, ds) = m.check();
    assert!(!ds.has_errors() && envs.len() == 1, "{ds:?}");
    let e = model("docs {\n  template = \"x\"\n}\ntier \"production\" {}\n").unwrap_err();
    assert_eq!(e.0[0].code, "unknown-attribute");
    assert_eq!(e.0[0].path.to_string(), "docs.template");
    let e = model("tier \"production\" {\n  docs {}\n}\n").unwrap_err();
    assert_eq!(e.0[0].code, "unknown-attribute", "top level only");
}

/// A misspelt attribute in the base spec (not only in a tier's overrides) fails the parse
/// itself, located at the attribute, with a hint: no environment needs resolving to see it.
#[test]
fn parse_reports_a_misspelt_attribute_of_the_base_spec() {
    let spec = BASE.replace("  image        =", "  imgae        =");
    let ds = Model::parse(
        Source::new(
            "t.hcl",
            format!(
                "{spec}tier \"staging\" {{ mirrors = \"production\" }}\ntier \"production\" {{}}\n"
            ),
        ),
        Format::Hcl,
    )
    .unwrap_err();
    // Once, although every tier's tree holds the base.
    let [d] = ds.0.as_slice() else {
        panic!("one diagnostic expected:\n{ds}")
    };
    assert_eq!(d.code, "unknown-attribute", "{d}");
    assert!(d.message.contains("`imgae`"), "{d}");
    assert_eq!(d.help.as_deref(), Some("did you mean `image`?"));
    let at = d.location.as_ref().expect("located");
    assert_eq!((at.line, at.column), (12, 3), "{d}");
}

#[test]
fn an_instance_account_overrides_its_tiers_and_follows_the_identity() {
    let m = model(
        r#"
tier "integration" {
  account { id = "111111111111" }
  instance "ledgers" {}
  instance "mambu" {
    account { id = "333333333333" }
  }
}
tier "production" {
  account { id = "222222222222" }
}
"#,
    )
    .unwrap();
    let id = |n: &str| m.environment(n).unwrap();
    let account = |e: &Environment| e.account.as_ref().map(|a| a.id.clone());
    let mambu = m.resolve(&id("integration-mambu")).unwrap();
    let ledgers = m.resolve(&id("integration-ledgers")).unwrap();
    assert_eq!(account(&mambu).as_deref(), Some("333333333333"));
    assert_eq!(account(&ledgers).as_deref(), Some("111111111111"));
    assert_eq!(mambu.state_bucket(), "shop-terraform-state-333333333333");
    // Resolved as another identity, the values take that identity's account: parity never
    // sees the account as a difference.
    let as_ledgers = m
        .resolve_as(&id("integration-mambu"), &id("integration-ledgers"))
        .unwrap();
    assert_eq!(account(&as_ledgers).as_deref(), Some("111111111111"));
    let p = m
        .explain(&id("integration-mambu"), &FieldPath::parse("account.id"))
        .unwrap();
    assert!(matches!(p.layer, Some(Layer::Instance(..))), "{p:?}");
}
