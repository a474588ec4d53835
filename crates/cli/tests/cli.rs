//! The `tierform` binary end to end: exit codes, what it writes, and what it never touches.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

fn tierform(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tierform"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

/// `tierform build SPEC --out OUT EXTRA...`.
fn build(spec: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "build",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    tierform(&args)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tierform-cli-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// Every file under `dir` with its bytes, for before/after comparisons.
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
        text(&again.stderr).contains(" 0 file(s) written"),
        "{}",
        text(&again.stderr)
    );
    let check = build(&spec, &a, &["--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
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
        "bugfix-<id>",
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
        out.contains("\"15.4\"") && out.contains("servio.hcl:"),
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
