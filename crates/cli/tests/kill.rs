//! Nothing lost: `tierform build` killed at any moment (SIGKILL, no chance to clean up) leaves
//! every file in the output folder either its old or its new complete version, and the next
//! run converges to exactly the tree an uninterrupted build writes; files the user put in the
//! output folder survive every kill, build and `--check`; an output folder that cannot be
//! written gives a clear error and no partial tree.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Kills per run: half of them turn the old tree into the new one, half the new into the old.
const ITERATIONS: u32 = 40;
/// Tenants of the generated spec: enough environments (2 per tenant, plus the fixture's own)
/// that a build takes long enough to be killed in the middle of its writes.
const TENANTS: usize = 10;
/// The fixed seed of the kill moments, so a failure reproduces.
const SEED: u64 = 0x7131_f0c3_5eed_2024;
/// Temporary files carry this in their names (crates/cli/src/write.rs).
const TMP_TAG: &str = ".tierform-tmp";

mod common;
use common::root;

fn tmp(name: &str) -> PathBuf {
    common::tmp("kill", name)
}

fn tierform() -> Command {
    common::command()
}

fn build(spec: &Path, out: &Path) -> Output {
    common::build(spec, out, &[])
}

#[track_caller]
fn assert_built(o: &Output) {
    assert!(
        o.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// xorshift64*: deterministic, good enough to spread kill moments.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

/// Every file under `dir`, relative path -> bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// The WEBANK fixture fanned out to more banks: `first..first + TENANTS`, with the production
/// image at `tag`. Moving both between the old and the new spec changes, adds and removes
/// files in almost every folder.
fn webank_variant(first: usize, tag: &str) -> String {
    let fixture = fs::read_to_string(root().join("fixtures/webank.hcl")).unwrap();
    assert!(
        fixture.contains(r#"tag    = "4.17.3""#),
        "the fixture moved"
    );
    let mut spec = fixture.replace(r#"tag    = "4.17.3""#, &format!(r#"tag    = "{tag}""#));
    for i in first..first + TENANTS {
        spec.push_str(&format!(
            "\ntenant \"bank-{i:03}\" {{\n  service \"banking-api\" {{\n    env = {{\n      BANK_CODE = \"{}\"\n    }}\n  }}\n}}\n",
            10_000_000 + i
        ));
    }
    spec
}

/// Files the user keeps in the output folder: beside the manifest, inside an environment's
/// folder that the new spec no longer produces, and beside the Kubernetes output.
const USER_FILES: &[(&str, &str)] = &[
    ("NOTES.md", "my notes about this output\n"),
    (
        "terraform/production-bank-000/override.auto.tfvars",
        "# hand-written, not tierform's\nextra = true\n",
    ),
    ("k8s/README.txt", "kept by hand\n"),
];

fn plant_user_files(out: &Path) {
    for (rel, text) in USER_FILES {
        let p = out.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
}

/// The tree without the user's files, after checking that they are intact.
#[track_caller]
fn generated_part(out: &Path, when: &str) -> BTreeMap<String, Vec<u8>> {
    let mut t = tree(out);
    for (rel, text) in USER_FILES {
        assert_eq!(
            t.remove(*rel).as_deref(),
            Some(text.as_bytes()),
            "{when}: the user's file {rel} is gone or changed"
        );
    }
    t
}

#[track_caller]
fn assert_same_tree(got: &BTreeMap<String, Vec<u8>>, want: &BTreeMap<String, Vec<u8>>, what: &str) {
    let extra: Vec<&String> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    let missing: Vec<&String> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let differ: Vec<&String> = got
        .iter()
        .filter(|(k, v)| want.get(*k).is_some_and(|w| w != *v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        extra.is_empty() && missing.is_empty() && differ.is_empty(),
        "{what}: extra {extra:?}, missing {missing:?}, different {differ:?}"
    );
}

#[test]
fn killed_builds_leave_old_or_new_files_and_the_next_run_converges() {
    let work = tmp("specs");
    let specs = [
        (work.join("old.hcl"), webank_variant(0, "4.17.3")),
        (work.join("new.hcl"), webank_variant(4, "4.17.4")),
    ];
    for (p, text) in &specs {
        fs::write(p, text).unwrap();
    }

    // The two reference trees, each built uninterrupted into a fresh folder.
    let refs: Vec<BTreeMap<String, Vec<u8>>> = specs
        .iter()
        .enumerate()
        .map(|(i, (spec, _))| {
            let out = tmp(&format!("ref{i}"));
            assert_built(&build(spec, &out));
            tree(&out)
        })
        .collect();
    assert!(refs[0].len() > 300, "a build large enough to interrupt");
    let changed = refs[1]
        .iter()
        .filter(|(k, v)| refs[0].get(*k) != Some(*v))
        .count();
    let removed = refs[0].keys().filter(|k| !refs[1].contains_key(*k)).count();
    assert!(
        changed > 100 && removed > 30,
        "{changed} changed, {removed} removed"
    );

    // The output folder starts as a complete old build plus the user's files; time full
    // old -> new and new -> old builds to know when to kill (the faster one: a busy machine
    // only makes the real runs longer, so kills still land inside them).
    let out = tmp("out");
    assert_built(&build(&specs[0].0, &out));
    plant_user_files(&out);
    let mut full = Duration::MAX;
    for (spec, _) in specs.iter().cycle().skip(1).take(2) {
        let t0 = Instant::now();
        assert_built(&build(spec, &out));
        full = full.min(t0.elapsed());
    }

    let mut rng = Rng(SEED);
    let (mut killed, mut mixed, mut staging) = (0, 0, 0);
    for i in 0..ITERATIONS {
        let (from, to) = if i % 2 == 0 { (0, 1) } else { (1, 0) };
        // Spread over the whole run, start-up and the last renames included.
        let delay = Duration::from_micros(rng.below(full.as_micros() as u64 * 6 / 5));
        let mut child = tierform()
            .arg("build")
            .arg(&specs[to].0)
            .arg("--out")
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap();
        let status = child.wait().unwrap();
        if !status.success() {
            killed += 1;
        }

        let when = format!("kill {i} after {delay:?}");
        let now = generated_part(&out, &when);
        let (mut old, mut new, mut temps) = (0, 0, 0);
        for (rel, bytes) in &now {
            // A temporary file, or a file inside a new folder staged whole under a temporary name.
            if let Some(seg) = rel.split('/').find(|seg| seg.contains(TMP_TAG)) {
                // Hidden and recognisable; the next run removes it (checked below).
                assert!(
                    seg.starts_with('.'),
                    "{when}: visible temporary file or folder {rel}"
                );
                temps += 1;
                continue;
            }
            let is_from = refs[from].get(rel) == Some(bytes);
            let is_to = refs[to].get(rel) == Some(bytes);
            assert!(
                is_from || is_to,
                "{when}: {rel} is neither its old nor its new complete version"
            );
            old += usize::from(is_from && !is_to);
            new += usize::from(is_to && !is_from);
        }
        if old > 0 && new > 0 {
            mixed += 1;
        }
        if temps > 0 {
            staging += 1;
        }

        let o = build(&specs[to].0, &out);
        assert_built(&o);
        assert_same_tree(
            &generated_part(&out, &when),
            &refs[to],
            &format!("{when}: the next run converges"),
        );
    }
    eprintln!(
        "{ITERATIONS} kills over a {full:?} build: {killed} interrupted, {staging} while writing temporary files, {mixed} between renames (old and new files side by side)"
    );
    // The renames come last and take milliseconds, so few kills land between them; the
    // staging of temporary files takes most of a build's writing time.
    assert!(killed >= ITERATIONS / 4, "{killed} runs interrupted");
    assert!(
        staging + mixed > 0,
        "no kill landed while the build was writing"
    );

    // `--check` on the converged tree: no generated file drifts, the user's files are
    // untouched, and the one user file Terraform would read with the generated ones (a
    // `.tfvars` inside an environment's folder) fails the gate, named.
    let o = tierform()
        .arg("build")
        .arg(&specs[0].0)
        .arg("--out")
        .arg(&out)
        .arg("--check")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("0 file(s) differ, 0 would be removed, 1 not generated by tierform"),
        "{stderr}"
    );
    assert!(
        stdout.contains("terraform/production-bank-000/override.auto.tfvars"),
        "{stdout}"
    );
    generated_part(&out, "after --check");
}

/// Whether this process can write into a folder whose mode says it cannot (root can).
fn permissions_bind(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let probe = dir.join("probe");
    fs::create_dir_all(&probe).unwrap();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o555)).unwrap();
    let writable = fs::write(probe.join("x"), "x").is_ok();
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o755)).unwrap();
    fs::remove_dir_all(&probe).unwrap();
    !writable
}

/// Exit 2, a message naming `path`, no panic.
#[track_caller]
fn assert_clear_io_error(o: &Output, path: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "exit 2: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(path), "names {path}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn servio_variant(dir: &Path, edit: impl Fn(String) -> String) -> PathBuf {
    let spec = dir.join("servio.hcl");
    let text = fs::read_to_string(root().join("fixtures/servio.hcl")).unwrap();
    let changed = edit(text.clone());
    assert_ne!(changed, text, "the edit applies");
    fs::write(&spec, changed).unwrap();
    spec
}

/// The servio spec with a longer production log retention: every environment that mirrors
/// production keeps its own, so this changes production's files only; plus a new tier `qa`.
fn servio_with_more(text: String) -> String {
    text.replace("log_retention_days = 30", "log_retention_days = 90")
        + "\ntier \"qa\" {\n  mirrors = \"production\"\n}\n"
}

#[test]
fn an_unwritable_output_folder_is_a_clear_error_and_no_partial_tree() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp("readonly");
    let spec = servio_variant(&dir, servio_with_more);
    let out = dir.join("out");
    assert_built(&build(&root().join("fixtures/servio.hcl"), &out));
    let before = tree(&out);

    if permissions_bind(&dir) {
        // An ordinary user: the folder and everything in it read-only.
        let set = |mode| {
            let mut stack = vec![out.clone()];
            while let Some(d) = stack.pop() {
                for e in fs::read_dir(&d).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    }
                }
                fs::set_permissions(&d, fs::Permissions::from_mode(mode)).unwrap();
            }
        };
        set(0o555);
        let o = build(&spec, &out);
        set(0o755);
        assert_clear_io_error(&o, &out.display().to_string());
    } else {
        // Root writes through any mode bits, so the folder a new environment needs is made
        // impossible instead: a regular file of that name. Every other file could be written.
        fs::write(out.join("terraform/qa"), "a file where a folder must go").unwrap();
        let o = build(&spec, &out);
        fs::remove_file(out.join("terraform/qa")).unwrap();
        assert_clear_io_error(&o, "terraform/qa");
    }
    assert_same_tree(
        &tree(&out),
        &before,
        "the failed build left the folder unchanged",
    );

    // An output folder below a regular file cannot even be created.
    let file = dir.join("plain-file");
    fs::write(&file, "x").unwrap();
    let o = build(&spec, &file.join("out"));
    assert_clear_io_error(&o, &file.display().to_string());
}

#[test]
fn a_full_output_folder_is_a_clear_error_and_no_partial_tree() {
    // A file size limit makes every write past 4 KiB fail (EFBIG) as a full disk would
    // (ENOSPC): small files fit, large ones do not. SIGXFSZ is ignored so that the write
    // fails instead of killing the process; ignored signals survive exec.
    let dir = tmp("full");
    let spec = servio_variant(&dir, servio_with_more);
    let out = dir.join("out");
    assert_built(&build(&root().join("fixtures/servio.hcl"), &out));
    let before = tree(&out);
    assert!(before.values().any(|b| b.len() > 4096) && before.values().any(|b| b.len() < 4096));
    let o = Command::new("bash")
        .arg("-c")
        .arg(r#"trap '' XFSZ; ulimit -f 4; exec "$0" build "$1" --out "$2""#)
        .arg(env!("CARGO_BIN_EXE_tierform"))
        .arg(&spec)
        .arg(&out)
        .env("NO_COLOR", "1")
        .env("TIERFORM_TODAY", "2026-12-01")
        .output()
        .unwrap();
    assert_clear_io_error(&o, &out.display().to_string());
    assert_same_tree(
        &tree(&out),
        &before,
        "the failed build left the folder unchanged",
    );
}
