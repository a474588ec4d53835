//! `build --delivery`: the delivery files are written at the top of the output folder, owned
//! like every generated file (so `build --check` catches a hand edit), beside the team's own
//! workflows, which are never touched; `explain` says where a tier's delivery is set.

mod common;

use std::fs;

use common::{build, fixture, tierform, tmp};

#[test]
fn delivery_files_are_owned_and_checked() {
    let out = tmp("delivery", "owned");
    let spec = fixture("servio.hcl");
    let o = build(&spec, &out, &["--delivery"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let deploy = out.join(".github/workflows/tierform-deploy-main.yml");
    assert!(deploy.is_file());
    assert!(fs::read_to_string(out.join(".tierform-manifest"))
        .unwrap()
        .contains(".github/workflows/tierform-deploy-main.yml"));
    // The team's own workflow beside them: left alone by build, not drift for --check.
    let own = out.join(".github/workflows/ci.yml");
    fs::write(&own, "name: ci\non: push\n").unwrap();
    assert_eq!(
        build(&spec, &out, &["--delivery", "--check"]).status.code(),
        Some(0)
    );
    // A hand edit of a generated workflow is drift, and the next build puts it right.
    let text = fs::read_to_string(&deploy).unwrap();
    fs::write(&deploy, text.replace(" -auto-approve", "")).unwrap();
    let o = build(&spec, &out, &["--delivery", "--check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("tierform-deploy-main.yml"));
    assert!(build(&spec, &out, &["--delivery"]).status.success());
    assert_eq!(fs::read_to_string(&deploy).unwrap(), text);
    // Without --delivery, a whole build removes them (it no longer produces them); not the team's.
    assert!(build(&spec, &out, &[]).status.success());
    assert!(!deploy.exists());
    assert!(own.is_file());
}

#[test]
fn a_foreign_atlantis_yaml_is_never_overwritten() {
    let out = tmp("delivery", "foreign");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("atlantis.yaml"), "version: 3\n").unwrap();
    let o = build(&fixture("globepay.hcl"), &out, &["--delivery"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("atlantis.yaml"));
    assert_eq!(
        fs::read_to_string(out.join("atlantis.yaml")).unwrap(),
        "version: 3\n"
    );
    assert!(!out.join("terraform").exists(), "nothing written");
}

#[test]
fn a_partial_build_refuses_delivery() {
    let out = tmp("delivery", "partial");
    let o = build(
        &fixture("servio.hcl"),
        &out,
        &["--delivery", "--env", "staging"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--delivery"));
}

#[test]
fn explain_says_where_a_tiers_delivery_is_set() {
    let spec = fixture("togetherhood.hcl");
    let spec = spec.to_str().unwrap();
    let o = tierform(&["explain", "staging", "delivery.branch", spec]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("\"develop\""), "{text}");
    assert!(
        text.contains("tier \"staging\"") && text.contains("togetherhood.hcl:"),
        "{text}"
    );
    let o = tierform(&[
        "explain",
        "production",
        "delivery.slack_webhook_secret",
        spec,
    ]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("base spec"),
        "the block-wide setting"
    );
    let o = tierform(&["explain", "staging", "delivery.brnch", spec]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `delivery.branch`?"));
}
