//! `tierform affected` on real git revisions of a fixture in a temporary repository: a knob
//! changed in one tier touches that tier only, a structural change touches every environment,
//! a tenant's change touches its environment only; and bad input exits 2.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{command, fixture, git, tmp};

/// A repository holding `spec` as `tierform.hcl`, committed once.
fn repo(name: &str, spec: &str) -> std::path::PathBuf {
    let dir = tmp("affected", name);
    git(&dir, &["init", "-q"]);
    fs::write(dir.join("tierform.hcl"), spec).unwrap();
    git(&dir, &["add", "tierform.hcl"]);
    git(&dir, &["commit", "-qm", "base"]);
    dir
}

/// Replaces the one occurrence of `from` (after `after`) and commits.
fn change(dir: &Path, after: &str, from: &str, to: &str) {
    let path = dir.join("tierform.hcl");
    let text = fs::read_to_string(&path).unwrap();
    let at = text.find(after).expect("anchor") + after.len();
    let i = at + text[at..].find(from).expect("text to change");
    let new = format!("{}{to}{}", &text[..i], &text[i + from.len()..]);
    fs::write(&path, new).unwrap();
    git(dir, &["commit", "-qam", "change"]);
}

fn affected(dir: &Path, extra: &[&str]) -> Output {
    command()
        .current_dir(dir)
        .args(["affected", "tierform.hcl"])
        .args(extra)
        .output()
        .expect("the binary runs")
}

fn names(dir: &Path, base: &str) -> Vec<String> {
    let o = affected(dir, &["--base", base, "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["environment"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_knob_changed_in_one_tier_touches_that_tier_only() {
    let dir = repo("knob", &fs::read_to_string(fixture("servio.hcl")).unwrap());
    change(&dir, "tier \"staging\"", "db.t3.micro", "db.t3.small");
    assert_eq!(names(&dir, "HEAD~1"), ["staging"]);
    let o = affected(&dir, &["--base", "HEAD~1", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v["environments"][0]["files"],
        serde_json::json!(["terraform/staging/database.tf"])
    );
    assert_eq!(
        v["environments"][0]["causes"],
        serde_json::json!(["database.main.instance_class"])
    );
    // The matrix: one entry, with the environment's plan role from the delivery block.
    let include = &v["chunks"][0]["include"];
    assert_eq!(include.as_array().unwrap().len(), 1);
    assert_eq!(
        include[0]["plan_role"],
        "arn:aws:iam::730335218756:role/servio-staging-plan"
    );
    let text = String::from_utf8(affected(&dir, &["--base", "HEAD~1"]).stdout).unwrap();
    assert!(text.contains("staging (changed, tier staging)"), "{text}");
    // No change: nothing affected.
    assert!(names(&dir, "HEAD").is_empty());
}

#[test]
fn a_structural_change_touches_every_environment() {
    let dir = repo(
        "structure",
        &fs::read_to_string(fixture("servio.hcl")).unwrap(),
    );
    change(&dir, "service \"app\"", "port", "port = 3001 #");
    assert_eq!(names(&dir, "HEAD~1"), ["local", "staging", "production"]);
}

const TENANTS: &str = r#"
app    = "shop"
region = "us-east-1"
network { cidr = "10.1.0.0/16" }
platform "ecs_fargate" {}
service "api" {
  image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api"
  tag   = "1.0.0"
  digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
  port  = 8080
  health_check { path = "/health" }
}
tenant "acme" {
  service "api" { replicas = 2 }
}
tenant "globex" {
  service "api" { replicas = 2 }
}
tier "staging" {
  mirrors = "production"
}
tier "production" {
  per_tenant = true
}
"#;

#[test]
fn a_tenant_change_touches_its_environment_only() {
    let dir = repo("tenant", TENANTS);
    change(&dir, "tenant \"globex\"", "replicas = 2", "replicas = 3");
    assert_eq!(names(&dir, "HEAD~1"), ["production-globex"]);
}

#[test]
fn a_base_file_works_like_a_revision() {
    let dir = repo("file", TENANTS);
    fs::write(
        dir.join("old.hcl"),
        TENANTS.replace("tier \"staging\" {\n  mirrors = \"production\"\n}\n", ""),
    )
    .unwrap();
    let o = affected(&dir, &["--base-file", "old.hcl", "--format", "json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["environments"][0]["environment"], "staging");
    assert_eq!(v["environments"][0]["change"], "added");
}

/// A change of tierform itself, with the spec unchanged: the files generated at the base
/// revision (`--base-out`) differ from what this tierform emits, in one environment's file as
/// an older version would have written it. Only that environment is affected, caused by
/// tierform; with the output as this version writes it, none is.
#[test]
fn a_generator_change_is_caught_against_the_base_output() {
    let dir = repo("generator", TENANTS);
    let build = command()
        .current_dir(&dir)
        .args(["build", "tierform.hcl", "--out", "out"])
        .output()
        .expect("the binary runs");
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let json = |o: Output| -> serde_json::Value {
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let same = json(affected(
        &dir,
        &["--base", "HEAD", "--base-out", "out", "--format", "json"],
    ));
    assert_eq!(same["count"], 0, "{same}");
    // The base revision's tierform wrote staging's providers.tf differently.
    let file = dir.join("out/terraform/staging/providers.tf");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, text.replace("ManagedBy", "Managed")).unwrap();
    let v = json(affected(
        &dir,
        &["--base", "HEAD", "--base-out", "out", "--format", "json"],
    ));
    let envs = v["environments"].as_array().unwrap();
    assert_eq!(envs.len(), 1, "{v}");
    assert_eq!(envs[0]["environment"], "staging");
    assert_eq!(
        envs[0]["files"],
        serde_json::json!(["terraform/staging/providers.tf"])
    );
    assert!(
        envs[0]["causes"][0]
            .as_str()
            .unwrap()
            .starts_with("tierform"),
        "{v}"
    );
    // Without --base-out the spec alone is compared: nothing changed.
    assert_eq!(
        json(affected(&dir, &["--base", "HEAD", "--format", "json"]))["count"],
        0
    );
    // A folder that is not there is refused.
    let o = affected(&dir, &["--base", "HEAD", "--base-out", "nowhere"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_input_exits_2_and_says_why() {
    let dir = repo("bad", TENANTS);
    // An unknown revision, a revision that looks like an option, no base at all, both bases.
    for args in [
        &["--base", "no-such-revision"][..],
        &["--base", "--upload-pack=x"][..],
        &[][..],
        &["--base", "HEAD", "--base-file", "tierform.hcl"][..],
    ] {
        let o = affected(&dir, args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stdout)
        );
        assert!(!o.stderr.is_empty(), "{args:?}");
    }
    // The base revision's spec is invalid: located in it.
    fs::write(
        dir.join("tierform.hcl"),
        TENANTS.replace("port  = 8080", "port  = \"eighty\""),
    )
    .unwrap();
    git(&dir, &["commit", "-qam", "broken"]);
    fs::write(dir.join("tierform.hcl"), TENANTS).unwrap();
    let o = affected(&dir, &["--base", "HEAD"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("tierform.hcl@HEAD:"), "{err}");
    // The current spec is invalid.
    fs::write(dir.join("tierform.hcl"), "app = ").unwrap();
    assert_eq!(affected(&dir, &["--base", "HEAD~1"]).status.code(), Some(2));
}
