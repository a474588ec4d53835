//! `tierform promote`: a release moves from a tier to the tier it mirrors (or back to a git
//! revision) by editing the spec in place, every other byte kept; what the target's rules
//! refuse exits 2 with a location and writes nothing.

use std::fs;
use std::path::Path;
use std::process::Output;

mod common;
use common::{command, fixture, git, tmp};

const BACKEND_RC: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const FRONTEND_RC: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn promote(spec: &Path, extra: &[&str]) -> Output {
    command()
        .arg("promote")
        .arg(spec)
        .args(extra)
        .output()
        .expect("the binary runs")
}

/// Globepay with staging's release candidate pinned by digest (CI records the digest of the
/// image it built and tested), as the fixture's staging must be before it can reach prod.
fn globepay_pinned() -> String {
    let spec = fs::read_to_string(fixture("globepay.hcl")).unwrap();
    let null = "    digest      = null\n";
    assert_eq!(spec.matches(null).count(), 2, "staging unsets both digests");
    spec.replacen(null, &format!("    digest      = \"{BACKEND_RC}\"\n"), 1)
        .replacen(null, &format!("    digest      = \"{FRONTEND_RC}\"\n"), 1)
}

/// The lines that differ between two texts of the same line count, as (old, new).
fn changed_lines(old: &str, new: &str) -> Vec<(String, String)> {
    let (a, b): (Vec<&str>, Vec<&str>) = (
        old.split_inclusive('\n').collect(),
        new.split_inclusive('\n').collect(),
    );
    assert_eq!(a.len(), b.len(), "no line added or removed");
    a.iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (x.to_string(), y.to_string()))
        .collect()
}

#[test]
fn globepay_promotes_backend_and_frontend_from_staging_to_prod_changing_only_their_lines() {
    let d = tmp("promote", "globepay");
    let spec = d.join("globepay.hcl");
    let before = globepay_pinned();
    fs::write(&spec, &before).unwrap();

    let o = promote(&spec, &["--from", "staging", "--to", "prod"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let after = fs::read_to_string(&spec).unwrap();
    assert_eq!(
        changed_lines(&before, &after),
        [
            ("    tag    = \"2.7.4\"\n", "    tag    = \"2.8.0-rc.1\"\n"),
            (
                "    digest = \"sha256:7c1e9a3f5b2d4c6e8a0f1b3d5e7a9c2f4b6d8e0a1c3f5b7d9e2a4c6f8b0d1e3a\"\n",
                &*format!("    digest = \"{BACKEND_RC}\"\n")
            ),
            ("    tag    = \"2.7.4\"\n", "    tag    = \"2.8.0-rc.1\"\n"),
            (
                "    digest = \"sha256:2e4a6c8f0b1d3e5a7c9f2b4d6e8a0c1f3b5d7e9a2c4f6b8d0e1a3c5f7b9d2e4c\"\n",
                &*format!("    digest = \"{FRONTEND_RC}\"\n")
            ),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert!(
        after.contains("# Prod: the pinned release"),
        "comments kept"
    );
    // The report shows the spec's change and what `build` would rewrite.
    let report = text(&o.stdout);
    assert!(report.contains("promote staging -> prod"), "{report}");
    assert!(
        report.contains("--- k8s/overlays/prod/kustomization.yaml"),
        "{report}"
    );
    assert!(
        report.contains(&format!("+  digest: {BACKEND_RC}")),
        "{report}"
    );
    assert!(report.contains("--- docs/prod.md"), "{report}");

    let o = common::tierform(&["check", spec.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // A second promotion has nothing left to do.
    let o = promote(&spec, &["--from", "staging", "--to", "prod"]);
    assert!(o.status.success());
    assert!(
        text(&o.stdout).contains("nothing to do"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(fs::read_to_string(&spec).unwrap(), after);
}

#[test]
fn one_service_at_a_time() {
    let d = tmp("promote", "one-service");
    let spec = d.join("globepay.hcl");
    let before = globepay_pinned();
    fs::write(&spec, &before).unwrap();
    let o = promote(
        &spec,
        &["--from", "staging", "--to", "prod", "--service", "frontend"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let changed = changed_lines(&before, &fs::read_to_string(&spec).unwrap());
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert!(changed[1].1.contains(FRONTEND_RC));
}

#[test]
fn a_json_spec_is_edited_in_place_too() {
    let d = tmp("promote", "json");
    let spec = d.join("globepay.json");
    let json = tierform_model::hcl_to_json(&globepay_pinned()).unwrap();
    let before = serde_json::to_string_pretty(&json).unwrap() + "\n";
    fs::write(&spec, &before).unwrap();
    let o = promote(&spec, &["--from", "staging", "--to", "prod"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let after = fs::read_to_string(&spec).unwrap();
    let changed = changed_lines(&before, &after);
    assert_eq!(changed.len(), 4, "{changed:?}");
    assert_eq!(
        changed[0],
        (
            "          \"tag\": \"2.7.4\",\n".to_owned(),
            "          \"tag\": \"2.8.0-rc.1\",\n".to_owned()
        )
    );
    assert!(changed[1].1.contains(BACKEND_RC) && changed[3].1.contains(FRONTEND_RC));
    let o = common::tierform(&["check", spec.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn dry_run_writes_nothing_and_markdown_is_for_a_pull_request() {
    let d = tmp("promote", "dry-run");
    let spec = d.join("globepay.hcl");
    let before = globepay_pinned();
    fs::write(&spec, &before).unwrap();
    let o = promote(
        &spec,
        &[
            "--from",
            "staging",
            "--to",
            "prod",
            "--dry-run",
            "--format",
            "markdown",
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(fs::read_to_string(&spec).unwrap(), before);
    assert_eq!(
        fs::read_dir(&d).unwrap().count(),
        1,
        "no temporary file left"
    );
    let md = text(&o.stdout);
    assert!(md.starts_with("### promote staging -\\> prod\n"), "{md}");
    assert!(
        md.contains("| backend | tag | 2.7.4 | 2.8.0-rc.1 |"),
        "{md}"
    );
    assert!(
        md.contains("generated file(s) change</summary>\n\n```diff\n--- "),
        "{md}"
    );
    assert!(md.contains("\n--- k8s/base/backend.yaml\n"), "{md}");
}

#[test]
fn a_release_without_digest_is_refused_by_production_with_its_location() {
    let d = tmp("promote", "refused");
    let spec = d.join("globepay.hcl");
    let before = fs::read_to_string(fixture("globepay.hcl")).unwrap();
    fs::write(&spec, &before).unwrap();
    let o = promote(&spec, &["--from", "staging", "--to", "prod"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    let line = before
        .lines()
        .position(|l| l == "    digest      = null")
        .unwrap()
        + 1;
    assert!(err.contains("error[unpinned-release]"), "{err}");
    assert!(err.contains(&format!("globepay.hcl:{line}:19")), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(fs::read_to_string(&spec).unwrap(), before, "unchanged");
}

#[test]
fn what_the_target_validates_refuses_is_refused_in_the_edited_spec() {
    let d = tmp("promote", "latest");
    let spec = d.join("globepay.hcl");
    let before = globepay_pinned().replacen(
        "tag         = \"2.8.0-rc.1\"",
        "tag         = \"latest\"",
        1,
    );
    fs::write(&spec, &before).unwrap();
    let o = promote(&spec, &["--from", "staging", "--to", "prod"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("error[unpinned-image]"), "{err}");
    assert!(err.contains("error[promote-refused]"), "{err}");
    assert!(
        err.contains("tag    = \"latest\""),
        "the edited line is shown: {err}"
    );
    assert_eq!(fs::read_to_string(&spec).unwrap(), before, "unchanged");
}

#[test]
fn a_release_moves_one_step_along_the_chain() {
    let d = tmp("promote", "chain");
    let spec = d.join("globepay.hcl");
    fs::write(&spec, globepay_pinned()).unwrap();
    let o = promote(&spec, &["--from", "dev", "--to", "prod"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("error[not-next-tier]"), "{err}");
    assert!(err.contains("--from staging --to prod"), "{err}");
    let o = promote(&spec, &["--from", "staging", "--to", "prdo"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("did you mean `prod`?"));
}

#[test]
fn a_rollback_takes_the_release_from_an_earlier_git_revision() {
    let d = tmp("promote", "rollback");
    git(&d, &["init", "-q"]);
    fs::create_dir_all(d.join("infra")).unwrap();
    let spec = d.join("infra/globepay.hcl");
    let released = globepay_pinned();
    fs::write(&spec, &released).unwrap();
    git(&d, &["add", "."]);
    git(&d, &["commit", "-q", "-m", "prod runs 2.7.4"]);
    let o = promote(&spec, &["--from", "staging", "--to", "prod"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    git(&d, &["commit", "-q", "-am", "promote 2.8.0-rc.1 to prod"]);
    assert_ne!(fs::read_to_string(&spec).unwrap(), released);

    // From another working directory, by a path through the repository.
    let o = promote(&spec, &["--to", "prod", "--release", "HEAD~1"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("roll back prod to its release at HEAD~1"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(
        fs::read_to_string(&spec).unwrap(),
        released,
        "the spec is byte for byte what it was"
    );

    let o = promote(&spec, &["--to", "prod", "--release", "--output=/tmp/x"]);
    assert_eq!(o.status.code(), Some(2), "no option smuggled into git");
    let o = promote(&spec, &["--to", "prod", "--release", "no-such-rev"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("git show"), "{}", text(&o.stderr));
}
