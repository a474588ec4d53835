//! The `tierform` binary end to end: exit codes, what it writes, and what it never touches.

use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{build, fixture, tierform};

fn tmp(name: &str) -> PathBuf {
    common::tmp("cli", name)
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Compares two trees, naming the files that differ rather than printing their bytes.
#[track_caller]
fn assert_same(a: &[(PathBuf, Vec<u8>)], b: &[(PathBuf, Vec<u8>)], what: &str) {
    let names = |t: &[(PathBuf, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "{what}: the same files");
    let differ: Vec<_> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, _)| x.0.display().to_string())
        .collect();
    assert!(differ.is_empty(), "{what}: contents differ in {differ:?}");
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn build_is_deterministic_and_a_rebuild_writes_nothing() {
    let spec = fixture("servio.hcl");
    let (a, b) = (tmp("det-a"), tmp("det-b"));
    for d in [&a, &b] {
        let o = build(&spec, d, &[]);
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let strip = |d: &Path| {
        snapshot(d)
            .into_iter()
            .map(|(p, c)| (p.strip_prefix(d).unwrap().to_owned(), c))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(&a),
        strip(&b),
        "two builds of one spec are byte-identical"
    );
    assert!(a.join("terraform/staging/database.tf").exists());
    assert!(a.join("compose/local/docker-compose.yml").exists());

    let again = build(&spec, &a, &[]);
    assert!(
        text(&again.stderr).contains(" 0 file(s) written, ")
            && text(&again.stderr).contains(" 0 removed"),
        "{}",
        text(&again.stderr)
    );
    let check = build(&spec, &a, &["--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
}

/// Replaces the digest recorded for `rel` in the manifest with `digest_of`'s, as a forger who
/// wants the manifest to vouch for an edited file would.
fn forge_manifest_line(out: &Path, rel: &str, content: &[u8]) {
    let manifest = out.join(".tierform-manifest");
    let text = fs::read_to_string(&manifest).unwrap();
    let digest = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(content));
    let forged: String = text
        .lines()
        .map(|l| match l.split_once('\t') {
            Some((p, _)) if p == rel => format!("{p}\t{digest}\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    assert_ne!(forged, text, "{rel} is in the manifest");
    fs::write(&manifest, forged).unwrap();
}

fn drop_manifest_line(out: &Path, rel: &str) {
    let manifest = out.join(".tierform-manifest");
    let text = fs::read_to_string(&manifest).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| l.split('\t').next() != Some(rel))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&manifest, kept).unwrap();
}

/// Issue 12, hole 2: the output folder is never trusted. Production's database copied over
/// staging's with its manifest digest forged, a deleted file with its manifest line removed,
/// a hand edit, a stray generated file and a file tierform never wrote: `--check` fails on
/// each, and a rebuild puts every generated file right.
#[test]
fn check_and_build_trust_nothing_in_the_output_folder() {
    let spec = fixture("servio.hcl");
    let d = tmp("forged");
    assert!(build(&spec, &d, &[]).status.success());
    let pristine = snapshot(&d);

    let fails = |what: &str, needle: &str| {
        let o = build(&spec, &d, &["--check"]);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", text(&o.stderr));
        assert!(
            text(&o.stdout).contains(needle),
            "{what}: {}",
            text(&o.stdout)
        );
    };

    let prod_db = fs::read(d.join("terraform/production/database.tf")).unwrap();
    fs::write(d.join("terraform/staging/database.tf"), &prod_db).unwrap();
    forge_manifest_line(&d, "terraform/staging/database.tf", &prod_db);
    fails("a forged digest", "terraform/staging/database.tf");
    let o = build(&spec, &d, &[]);
    assert!(
        text(&o.stderr).contains("1 file(s) written"),
        "{}",
        text(&o.stderr)
    );
    assert_same(&snapshot(&d), &pristine, "a forged digest is put right");

    fs::remove_file(d.join("terraform/staging/versions.tf")).unwrap();
    drop_manifest_line(&d, "terraform/staging/versions.tf");
    fails(
        "a deleted file and its manifest line",
        "terraform/staging/versions.tf",
    );
    assert!(build(&spec, &d, &[]).status.success());
    assert_same(&snapshot(&d), &pristine, "a deleted file is restored");

    let stray = d.join("terraform/production/old.tf");
    fs::write(&stray, "# Code generated by tierform. DO NOT EDIT.\n").unwrap();
    fails("a stray generated file", "terraform/production/old.tf");
    assert!(build(&spec, &d, &[]).status.success());
    assert!(!stray.exists(), "a stray generated file is removed");

    let foreign = d.join("terraform/production/backdoor.tf");
    fs::write(
        &foreign,
        "resource \"aws_iam_user\" \"x\" { name = \"x\" }\n",
    )
    .unwrap();
    fails(
        "a file tierform never wrote",
        "terraform/production/backdoor.tf",
    );
    assert!(build(&spec, &d, &[]).status.success());
    assert!(
        foreign.exists(),
        "a build never removes a file it does not own"
    );
    fs::remove_file(&foreign).unwrap();
    assert_same(&snapshot(&d), &pristine, "the tree is as built");
    assert_eq!(build(&spec, &d, &["--check"]).status.code(), Some(0));
}

#[test]
fn check_mode_reports_drift_and_writes_nothing() {
    let spec = fixture("servio.hcl");
    let d = tmp("drift");
    assert!(build(&spec, &d, &[]).status.success());
    let file = d.join("terraform/production/versions.tf");
    let edited = fs::read_to_string(&file).unwrap().replace("aws", "awz");
    fs::write(&file, &edited).unwrap();
    let before = snapshot(&d);
    let o = build(&spec, &d, &["--check"]);
    assert_eq!(o.status.code(), Some(1));
    let diff = text(&o.stdout);
    assert!(
        diff.contains("terraform/production/versions.tf")
            && diff.contains("+")
            && diff.contains("awz"),
        "{diff}"
    );
    assert_same(&snapshot(&d), &before, "--check changes nothing");
}

#[test]
fn bad_input_exits_2_with_a_location_and_leaves_the_folder_alone() {
    let d = tmp("bad");
    let good = fixture("servio.hcl");
    assert!(build(&good, &d, &[]).status.success());
    let before = snapshot(&d);
    let spec = tmp("bad-spec").join("broken.hcl");
    let broken = fs::read_to_string(&good)
        .unwrap()
        .replacen("engine_version", "engine_vrsion", 1);
    fs::write(&spec, &broken).unwrap();
    let o = build(&spec, &d, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    let line = broken
        .lines()
        .position(|l| l.contains("engine_vrsion"))
        .unwrap()
        + 1;
    assert!(err.contains(&format!("broken.hcl:{line}:")), "{err}");
    assert!(err.contains("did you mean `engine_version`?"), "{err}");
    assert_same(&snapshot(&d), &before, "nothing written on bad input");
}

#[test]
fn files_tierform_does_not_own_survive_and_block_overwrites() {
    let spec = fixture("servio.hcl");
    let d = tmp("own");
    fs::create_dir_all(d.join("terraform/staging")).unwrap();
    fs::write(d.join("terraform/NOTES.md"), "mine").unwrap();
    fs::write(d.join("terraform/staging/network.tf"), "# hand-written\n").unwrap();
    let o = build(&spec, &d, &[]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "refuses to overwrite a foreign file"
    );
    assert!(
        text(&o.stderr).contains("terraform/staging/network.tf"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        fs::read_to_string(d.join("terraform/staging/network.tf")).unwrap(),
        "# hand-written\n"
    );

    fs::remove_file(d.join("terraform/staging/network.tf")).unwrap();
    assert!(build(&spec, &d, &[]).status.success());
    // Switching layouts removes what tierform no longer generates, and nothing else.
    let o = build(&spec, &d, &["--env", "staging"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        d.join("terraform/production/versions.tf").exists(),
        "--env leaves other environments alone"
    );
    assert_eq!(
        fs::read_to_string(d.join("terraform/NOTES.md")).unwrap(),
        "mine"
    );
}

#[test]
fn envs_lists_every_tier_instance_and_the_ephemeral_template() {
    let o = tierform(&["envs", fixture("webank.hcl").to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for needle in [
        "integration-ledgers",
        "integration-mambu",
        "bugfix-<tenant>-<id>",
        "local",
    ] {
        assert!(out.contains(needle), "{needle} in\n{out}");
    }
    let json = tierform(&[
        "envs",
        fixture("webank.hcl").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(v.as_array().unwrap().len() >= 6);

    // A named copy: what it copies, when it expires, and what its teardown destroys, in order.
    let copy = tierform(&[
        "envs",
        fixture("webank.hcl").to_str().unwrap(),
        "--env",
        "bugfix-vb-rheinaue-1234",
        "--format",
        "json",
    ]);
    assert!(copy.status.success(), "{}", text(&copy.stderr));
    let v: serde_json::Value = serde_json::from_slice(&copy.stdout).unwrap();
    let c = &v[0];
    assert_eq!(c["copy_of"], "production-vb-rheinaue");
    assert_eq!(
        c["expires"], "2026-12-11",
        "TIERFORM_TODAY + the tier's ttl_days"
    );
    assert_eq!(
        c["teardown"]["blocked_by"],
        serde_json::json!([]),
        "databases unprotected, no ALB on EKS"
    );
    let steps: Vec<&str> = c["teardown"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["what"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["kubernetes", "terraform", "state", "generated files"]
    );
    assert_eq!(
        c["teardown"]["steps"][2]["key"],
        "webank/bugfix-vb-rheinaue-1234/terraform.tfstate"
    );
    // A copy that does not say which bank it copies is refused, located, exit 2.
    let o = tierform(&[
        "envs",
        fixture("webank.hcl").to_str().unwrap(),
        "--env",
        "bugfix-1234",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("webank.hcl:") && err.contains("bugfix-<tenant>-<id>"),
        "{err}"
    );
}

#[test]
fn explain_names_the_layer_and_line() {
    let spec = fixture("servio.hcl");
    let o = tierform(&[
        "explain",
        "staging",
        "database.main.engine_version",
        spec.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("\"15.15\"") && out.contains("servio.hcl:"),
        "{out}"
    );
    let o = tierform(&[
        "explain",
        "staging",
        "database.main.no_such_field",
        spec.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = tierform(&["explain", "stagin", "app", spec.to_str().unwrap()]);
    assert!(
        text(&o.stderr).contains("did you mean `staging`?"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn schema_is_json_and_help_lists_every_command() {
    let o = tierform(&["schema"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["title"], "tierform spec");
    let help = text(&tierform(&["--help"]).stdout);
    for c in ["check", "envs", "explain", "schema", "build", "diff"] {
        assert!(help.contains(c), "{c}");
    }
}

#[test]
fn check_passes_on_every_fixture() {
    for f in [
        "webank.hcl",
        "servio.hcl",
        "globepay.hcl",
        "ecommerce.hcl",
        "togetherhood.hcl",
        "govuk-forms.hcl",
    ] {
        let o = tierform(&["check", fixture(f).to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{f}:\n{}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
    }
}

#[test]
fn a_directory_or_a_missing_file_is_bad_input() {
    let d = tmp("dir");
    assert_eq!(
        tierform(&["check", d.to_str().unwrap()]).status.code(),
        Some(2)
    );
    assert_eq!(
        tierform(&["check", d.join("nope.hcl").to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn the_module_layout_writes_each_module_once_and_switches_back_cleanly() {
    let spec = fixture("webank.hcl");
    let out = tmp("tf-module");
    let per_env = tmp("tf-env");
    let o = build(&spec, &per_env, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let env_layout = snapshot(&per_env);

    // Over a per-environment build: the resources move into modules, stale files go.
    let o = build(&spec, &per_env, &["--tf-layout", "module"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let tf = per_env.join("terraform");
    assert!(
        !tf.join("qa-vb-rheinaue/database.tf").exists(),
        "stale file removed"
    );
    assert!(tf.join("qa-vb-rheinaue/main.tf").exists());
    let mut modules: Vec<String> = fs::read_dir(tf.join("modules"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    modules.sort();
    assert_eq!(modules, ["integration", "production", "qa"]);
    let check = build(&spec, &per_env, &["--tf-layout", "module", "--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    // The per-environment layout is now drift; building it again restores it exactly.
    let check = build(&spec, &per_env, &["--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check.stderr));
    let o = build(&spec, &per_env, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_same(
        &snapshot(&per_env),
        &env_layout,
        "back to the per-environment layout",
    );

    // A partial build of an ephemeral copy writes production's module, as a whole build does,
    // and only that module.
    let o = build(
        &spec,
        &out,
        &["--tf-layout", "module", "--env", "bugfix-vb-rheinaue-7"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let main = fs::read_to_string(out.join("terraform/bugfix-vb-rheinaue-7/main.tf")).unwrap();
    assert!(
        main.contains("source = \"../modules/production\""),
        "{main}"
    );
    let module = |d: &Path| fs::read(d.join("terraform/modules/production/database.tf")).unwrap();
    let whole = tmp("tf-module-whole");
    let o = build(&spec, &whole, &["--tf-layout", "module"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(module(&out), module(&whole));
    assert!(!out.join("terraform/modules/qa").exists());
    for d in [&out, &per_env, &whole] {
        let _ = fs::remove_dir_all(d);
    }
}

/// A build says what `check` would warn about: a weak production setting is not refused, but
/// it is named, located, on stderr, and the build still succeeds (with `--check` too).
#[test]
fn build_prints_the_warnings_check_prints() {
    let text_of = |s: &str| fs::read_to_string(fixture(s)).unwrap();
    let servio = text_of("servio.hcl");
    let at = servio
        .find("tier \"production\" {\n")
        .expect("servio has a production tier");
    let at = at + "tier \"production\" {\n".len();
    let weak = format!(
        "{}  database \"main\" {{\n    multi_az = false\n  }}\n{}",
        &servio[..at],
        &servio[at..]
    );
    let dir = tmp("warn");
    fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("weak.hcl");
    fs::write(&spec, weak).unwrap();
    let out = dir.join("out");
    for extra in [&[][..], &["--check"][..]] {
        let o = build(&spec, &out, extra);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(
            err.contains("warning[production-single-az]") && err.contains("weak.hcl:"),
            "{extra:?}: {err}"
        );
    }
    let o = tierform(&["check", spec.to_str().unwrap()]);
    assert!(text(&o.stderr).contains("warning[production-single-az]"));
    // A spec without warnings prints none.
    let o = build(&fixture("servio.hcl"), &dir.join("clean"), &[]);
    assert!(!text(&o.stderr).contains("warning"), "{}", text(&o.stderr));
}
