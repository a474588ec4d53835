//! Helpers shared by the binary's integration tests (`mod common;` in each).

// Each test binary uses its own subset.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A fixture spec by file name.
pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// A fresh, empty folder for this test process: `tierform-<suite>-<name>-<pid>`.
pub fn tmp(suite: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tierform-{suite}-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// The binary under test, without colours.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tierform"));
    c.env("NO_COLOR", "1");
    // Versions are judged as of a fixed day, not the machine's clock.
    c.env("TIERFORM_TODAY", "2026-12-01");
    c
}

/// `tierform ARGS...`, run to completion.
pub fn tierform(args: &[&str]) -> Output {
    command().args(args).output().expect("the binary runs")
}

/// `tierform build SPEC --out OUT EXTRA...`.
pub fn build(spec: &Path, out: &Path, extra: &[&str]) -> Output {
    command()
        .arg("build")
        .arg(spec)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("the binary runs")
}

/// `git -C DIR ARGS...` with a test identity and no signing; fails the test if git does.
pub fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=tierform",
            "-c",
            "user.email=test@tierform.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}
