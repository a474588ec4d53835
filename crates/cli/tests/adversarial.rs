//! The adversarial corpus: specs under `fixtures/adversarial/` written to fool the parity gate
//! (blanket and pattern exceptions, reasons nobody can judge, exceptions that excuse nothing,
//! structure hidden in tenants and instances, a JSON key given twice, a typo hidden behind an
//! exception, `diff`'s argument order). Every case says, in its header, what it tries and what
//! tierform must answer:
//!
//! ```text
//! # attack: what the spec tries
//! # expect: <command and arguments after the spec> => <exit code>: <needle> && !<absent> ...
//! # valid: why this case is not refused (optional; without it `check` must fail)
//! ```
//!
//! `check => 2: error[exception-wildcard]` runs `tierform check SPEC`; `diff staging production
//! => 1: VIOLATED` runs `tierform diff SPEC staging production`. Needles are searched in stdout
//! and stderr together; a needle starting with `!` must not appear. JSON specs keep their
//! header in `<case>.expect`. The tampered-output-folder attacks are in `cli.rs`
//! (`check_and_build_trust_nothing_in_the_output_folder`).

use std::path::{Path, PathBuf};

mod common;
use common::root;

struct Expectation {
    args: Vec<String>,
    code: i32,
    needles: Vec<String>,
}

fn corpus() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures/adversarial"))
        .expect("fixtures/adversarial exists")
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".expect"))
        .collect();
    out.sort();
    out
}

fn header(case: &Path) -> String {
    let side = PathBuf::from(format!("{}.expect", case.display()));
    std::fs::read_to_string(if side.exists() { side } else { case.to_owned() }).unwrap()
}

fn parse(line: &str) -> Expectation {
    let (command, outcome) = line
        .split_once(" => ")
        .unwrap_or_else(|| panic!("`{line}`: COMMAND => CODE: NEEDLES"));
    let (code, needles) = outcome.split_once(':').unwrap_or((outcome, ""));
    Expectation {
        args: command.split_whitespace().map(str::to_owned).collect(),
        code: code
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("`{line}`: exit code")),
        needles: needles
            .split(" && ")
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}

/// Runs one expectation from the repository root (reports name the spec by relative path).
fn run(case: &Path, e: &Expectation) -> Result<(), String> {
    let spec = case.strip_prefix(root()).unwrap_or(case);
    let (command, rest) = e.args.split_first().expect("a command");
    let out = common::command()
        .current_dir(root())
        .arg(command)
        .arg(spec)
        .args(rest)
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut problems = Vec::new();
    if out.status.code() != Some(e.code) {
        problems.push(format!("exit {:?}, expected {}", out.status.code(), e.code));
    }
    for n in &e.needles {
        match n.strip_prefix('!') {
            Some(absent) if text.contains(absent) => problems.push(format!("`{absent}` appears")),
            None if !text.contains(n.as_str()) => problems.push(format!("`{n}` missing")),
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} {}: {}\n{text}",
            e.args.join(" "),
            spec.display(),
            problems.join("; ")
        ))
    }
}

#[test]
fn every_attack_is_caught() {
    let cases = corpus();
    assert!(cases.len() >= 15, "the corpus is there");
    let mut failures = Vec::new();
    for case in &cases {
        let header = header(case);
        let expectations: Vec<Expectation> = header
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .map(parse)
            .collect();
        assert!(
            !expectations.is_empty() && header.contains("# attack: "),
            "{}: says what it tries and what it expects",
            case.display()
        );
        let valid = header.lines().any(|l| l.starts_with("# valid: "));
        let check = expectations
            .iter()
            .find(|e| e.args == ["check"])
            .unwrap_or_else(|| panic!("{}: expects something of `check`", case.display()));
        assert!(
            valid || check.code != 0,
            "{}: an attack `check` lets through must say why (`# valid:`)",
            case.display()
        );
        failures.extend(expectations.iter().filter_map(|e| run(case, e).err()));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
