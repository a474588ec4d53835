//! The invalid-input corpus: every file under `fixtures/invalid/` holds one defect and says, in
//! its first lines, which error it must produce:
//!
//! ```text
//! # expect: <code>: <substring of the message>
//! # line: <1-based line of the error>        (optional, required for JSON)
//! # column: <1-based column of the error>    (optional)
//! ```
//!
//! Cases that cannot carry a comment (JSON specs, the empty file) keep their header in a side
//! file `<case>.expect`; a directory given as the spec keeps it in `<dir>/expect.txt`. Each case is loaded with
//! [`Model::load`] and, when it loads, checked with [`Model::check`]; the diagnostics of both
//! phases together must contain the expected error, located at file:line:column. JSON specs
//! are located as precisely as HCL ones: every diagnostic of a JSON case has a position, and
//! it is the file's very start (1:1) only where the case says the error is there. A panic is
//! a failure of that case, not of the run.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use tierform_model::{Diagnostic, Diagnostics, Model};

/// Cases that fail today because of a known gap in the model, with what must change. The test
/// reports them without failing, and fails once one of them passes, so that the entry is
/// removed when the model is fixed.
const KNOWN_GAPS: &[(&str, &str)] = &[];

struct Expectation {
    code: String,
    substring: String,
    line: Option<u32>,
    column: Option<u32>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/invalid")
}

/// Every case in the corpus, sorted by name: spec files and spec directories, not the
/// `.expect` side files.
fn cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("fixtures/invalid exists")
        .map(|e| e.expect("readable corpus entry").path())
        .filter(|p| !p.to_string_lossy().ends_with(".expect"))
        .collect();
    out.sort();
    out
}

/// Where a case keeps its `# expect:` header.
fn header_file(case: &Path) -> PathBuf {
    let mut side = case.as_os_str().to_owned();
    side.push(".expect");
    let side = PathBuf::from(side);
    if case.is_dir() {
        case.join("expect.txt")
    } else if side.exists() {
        side
    } else {
        case.to_path_buf()
    }
}

fn expectation(case: &Path) -> Result<Expectation, String> {
    let file = header_file(case);
    let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    // Cases may be deliberately broken (non-UTF-8); their header lines are still ASCII.
    let text = String::from_utf8_lossy(&bytes);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    let rest = first.strip_prefix("# expect: ").ok_or_else(|| {
        format!(
            "{}: first line must be `# expect: <code>: <substring>`",
            file.display()
        )
    })?;
    let (code, substring) = rest.split_once(": ").ok_or_else(|| {
        format!(
            "{}: `# expect:` needs `<code>: <substring>`",
            file.display()
        )
    })?;
    let mut number = |name: &str| -> Result<Option<u32>, String> {
        let prefix = format!("# {name}: ");
        match lines.clone().next().and_then(|l| l.strip_prefix(&prefix)) {
            Some(n) => {
                lines.next();
                n.trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{}: `# {name}:` needs a number", file.display()))
            }
            None => Ok(None),
        }
    };
    let line = number("line")?;
    let column = number("column")?;
    Ok(Expectation {
        code: code.trim().to_owned(),
        substring: substring.trim().to_owned(),
        line,
        column,
    })
}

/// Loads and checks a spec, returning the diagnostics of both phases.
fn diagnose(path: &Path) -> Diagnostics {
    match Model::load(path) {
        Err(ds) => ds,
        Ok(model) => model.check().1,
    }
}

fn describe(ds: &Diagnostics) -> String {
    if ds.0.is_empty() {
        return "    (no diagnostics)\n".into();
    }
    ds.iter()
        .map(|d| format!("    {d} [path: {}]\n", d.path))
        .collect()
}

/// Whether a diagnostic says where the problem is.
fn is_located(d: &Diagnostic) -> bool {
    d.location
        .as_ref()
        .is_some_and(|l| l.line >= 1 && l.column >= 1 && !l.file.is_empty())
}

/// JSON specs keep positions as HCL ones do: a JSON case states its line, and every one of its
/// diagnostics is located, at the file's start (1:1) only if the case expects its error there.
fn check_json_locations(ds: &Diagnostics, expect: &Expectation) -> Result<(), String> {
    if expect.line.is_none() {
        return Err("a JSON case must say where its error is with `# line:`".into());
    }
    let at_start = expect.line == Some(1) && expect.column.is_none_or(|c| c == 1);
    for d in ds.iter() {
        match &d.location {
            None => return Err(format!("diagnostic `{}` has no location: {d}", d.code)),
            Some(l) if (l.line, l.column) == (1, 1) && !at_start => {
                return Err(format!(
                    "diagnostic `{}` points at the file's start, not at its value: {d}",
                    d.code
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Checks one case; `Ok` holds the matching error, `Err` explains what is wrong.
fn check_case(case: &Path) -> Result<String, String> {
    let expect = expectation(case)?;
    let json = case.extension().is_some_and(|x| x == "json");
    let ds = catch_unwind(AssertUnwindSafe(|| diagnose(case))).map_err(|panic| {
        let msg = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned());
        format!(
            "PANIC: {}",
            msg.unwrap_or_else(|| "(non-string payload)".into())
        )
    })?;
    if !ds.has_errors() {
        return Err(format!("no error at all; diagnostics:\n{}", describe(&ds)));
    }
    let candidates: Vec<&Diagnostic> = ds
        .iter()
        .filter(|d| d.is_error() && d.code == expect.code)
        .collect();
    let Some(d) = candidates
        .iter()
        .find(|d| d.message.contains(&expect.substring))
    else {
        return Err(format!(
            "no error `{}` containing {:?}; diagnostics:\n{}",
            expect.code,
            expect.substring,
            describe(&ds)
        ));
    };
    if !is_located(d) {
        return Err(format!("error `{}` has no location: {d}", d.code));
    }
    if json {
        check_json_locations(&ds, &expect)?;
    }
    if d.help.as_deref().is_none_or(str::is_empty) {
        return Err(format!(
            "error `{}` says what is wrong but not how to fix it (no help): {d}",
            d.code
        ));
    }
    if let Some(line) = expect.line {
        let got = d.location.as_ref().map(|l| l.line);
        if got != Some(line) {
            return Err(format!(
                "error `{}` expected on line {line}, reported at {got:?}: {d}",
                d.code
            ));
        }
    }
    if let Some(column) = expect.column {
        let got = d.location.as_ref().map(|l| l.column);
        if got != Some(column) {
            return Err(format!(
                "error `{}` expected in column {column}, reported at {got:?}: {d}",
                d.code
            ));
        }
    }
    Ok(d.to_string())
}

fn case_name(case: &Path) -> String {
    case.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn every_invalid_spec_gets_its_located_error() {
    // Keep panics of the cases out of the output; they are reported below with the file name.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let results: Vec<(String, Result<String, String>)> = cases()
        .iter()
        .map(|c| (case_name(c), check_case(c)))
        .collect();
    std::panic::set_hook(hook);

    // `TIERFORM_CORPUS_VERBOSE=1 cargo test --test invalid -- --nocapture` shows every message,
    // for reviewing their wording.
    let verbose = std::env::var_os("TIERFORM_CORPUS_VERBOSE").is_some();
    let mut failures = Vec::new();
    let mut gaps = Vec::new();
    for (name, result) in &results {
        if verbose {
            println!("{name}\n    {}", result.as_ref().unwrap_or_else(|e| e));
        }
        let gap = KNOWN_GAPS.iter().find(|(n, _)| n == name);
        match (result, gap) {
            (Ok(_), None) => {}
            (Ok(_), Some(_)) => {
                failures.push(format!("{name}: passes now; remove it from KNOWN_GAPS"))
            }
            (Err(e), Some((_, why))) => gaps.push(format!(
                "{name}: {why}\n    {}",
                e.lines().next().unwrap_or_default()
            )),
            (Err(e), None) => failures.push(format!("{name}: {e}")),
        }
    }
    let passed = results.len() - failures.len() - gaps.len();
    println!(
        "invalid corpus: {} cases, {passed} pass, {} known gaps, {} fail",
        results.len(),
        gaps.len(),
        failures.len()
    );
    for g in &gaps {
        println!("known gap: {g}");
    }
    assert!(
        results.len() >= 45,
        "the corpus needs at least 45 cases, found {}",
        results.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} invalid specs do not meet their expectation:\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
}

/// A spec of 10 MB is refused before it is read (too large to commit, so written here).
#[test]
fn a_ten_megabyte_spec_is_refused() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("invalid-corpus");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("ten-megabytes.hcl");
    let line =
        "# padding padding padding padding padding padding padding padding padding padding\n";
    std::fs::write(&path, line.repeat(10 * 1024 * 1024 / line.len() + 1)).expect("write the spec");
    let ds = catch_unwind(|| diagnose(&path)).expect("no panic");
    let d = ds.iter().find(|d| d.is_error()).expect("an error");
    assert!(d.message.contains("tierform reads specs up to"), "{d}");
    assert!(d.location.is_some(), "{d}");
}
