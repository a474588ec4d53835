//! Raw manifests kept as YAML files next to the spec: the CLI reads them and hands them to the
//! model, so a file-based manifest builds exactly as the same object written inline, and a
//! file that cannot be used is a located error (exit 2) that writes nothing.

use std::fs;
use std::path::{Path, PathBuf};

mod common;
use common::{build, fixture, tierform, tmp};

const YAML: &str = "apiVersion: batch/v1
kind: CronJob
metadata:
  name: cache-warmer
spec:
  schedule: \"*/15 * * * *\"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: warmer
              image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/warmer:1.0.0
";

const INLINE: &str = r#"  object = {
    apiVersion = "batch/v1"
    kind       = "CronJob"
    metadata   = { name = "cache-warmer" }
    spec = {
      schedule          = "*/15 * * * *"
      concurrencyPolicy = "Forbid"
      jobTemplate = { spec = { template = { spec = {
        restartPolicy = "Never"
        containers    = [{ name = "warmer", image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/warmer:1.0.0" }]
      } } } }
    }
  }
"#;

/// ecommerce with the manifest `body` and staging changing its schedule knob, in `dir`.
fn spec(dir: &Path, body: &str) -> PathBuf {
    let text = fs::read_to_string(fixture("ecommerce.hcl")).unwrap();
    let anchor = "tier \"staging\" {\n  mirrors = \"production\"\n";
    assert!(text.contains(anchor));
    let manifest = format!(
        "manifest \"cache-warmer\" {{\n  knobs = [\"spec.schedule\"]\n{body}}}\n\n{anchor}  manifest \"cache-warmer\" {{ object = {{ spec = {{ schedule = \"0 * * * *\" }} }} }}\n"
    );
    let path = dir.join("spec.hcl");
    fs::write(&path, text.replacen(anchor, &manifest, 1)).unwrap();
    path
}

fn files(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(out).unwrap().display().to_string();
            (rel, fs::read(e.path()).unwrap())
        })
        .filter(|(rel, _)| !rel.starts_with("docs/") && rel != ".tierform-manifest")
        .collect();
    v.sort();
    v
}

#[test]
fn a_manifest_file_builds_as_the_same_object_written_inline() {
    let (a, b) = (tmp("manifests", "file"), tmp("manifests", "inline"));
    fs::create_dir_all(a.join("k8s")).unwrap();
    fs::write(a.join("k8s/warmer.yaml"), YAML).unwrap();
    let from_file = spec(&a, "  file  = \"k8s/warmer.yaml\"\n");
    let inline = spec(&b, INLINE);
    for (s, out) in [(&from_file, a.join("out")), (&inline, b.join("out"))] {
        let o = build(s, &out, &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (fa, fb) = (files(&a.join("out")), files(&b.join("out")));
    assert!(fa
        .iter()
        .any(|(p, _)| p == "k8s/base/manifest-cache-warmer.yaml"));
    assert_eq!(fa, fb);
}

#[test]
fn an_unusable_manifest_file_is_a_located_error() {
    for (name, file, content, needle) in [
        ("missing", "k8s/none.yaml", None, "cannot be read"),
        (
            "outside",
            "../warmer.yaml",
            None,
            "not a path inside the spec's folder",
        ),
        (
            "broken",
            "k8s/warmer.yaml",
            Some("kind: [unclosed\n"),
            "not valid YAML",
        ),
        (
            "two",
            "k8s/warmer.yaml",
            Some("kind: A\n---\nkind: B\n"),
            "more than one YAML document",
        ),
    ] {
        let dir = tmp("manifests", name);
        fs::create_dir_all(dir.join("k8s")).unwrap();
        if let Some(c) = content {
            fs::write(dir.join(file), c).unwrap();
        }
        let s = spec(&dir, &format!("  file  = \"{file}\"\n"));
        let o = tierform(&["check", s.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(
            err.contains("error[manifest-file]") && err.contains(needle),
            "{name}: {err}"
        );
        assert!(err.contains("spec.hcl:"), "{name}: located: {err}");
    }
}
