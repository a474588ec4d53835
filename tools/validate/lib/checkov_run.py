"""Run checkov on a folder and summarise the JSON result.

Two checkov runs, because checkov's kubernetes framework would also scan kustomize
patches as if they were complete objects:
  1. --framework terraform kubernetes dockerfile, with every kustomize folder
     (a folder holding kustomization.yaml, and everything below it) skipped;
  2. --framework kustomize, only if there are kustomize folders: checkov renders
     each base / overlay (with kubectl kustomize) and runs the Kubernetes checks on the output.
Offline: --skip-download (no Prisma Cloud), --download-external-modules false,
CKV_SKIP_PACKAGE_UPDATE_CHECK=true (no PyPI version probe).

Usage: checkov_run.py CHECKOV_BIN DIR [--soft] [--skip-check IDS] [--framework F,...]
Last line: "N files, N errors (...)"; errors = failed checks + files checkov could not parse.
"""
import json
import os
import re
import subprocess
import sys

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SKIP_DIRS = {".git", ".terraform", "node_modules", "__pycache__"}
DEFAULT_FRAMEWORKS = ["terraform", "kubernetes", "dockerfile", "kustomize"]


def kustomize_dirs(root):
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        if any(f in KUSTOMIZATION_NAMES for f in filenames):
            out.append(os.path.relpath(dirpath, root))
    return out


def run(checkov, root, frameworks, extra):
    cmd = [checkov, "-d", ".", "--framework"] + frameworks + [
        "-o", "json", "--skip-download",
        "--download-external-modules", "false"] + extra
    env = dict(os.environ, CKV_SKIP_PACKAGE_UPDATE_CHECK="true", LOG_LEVEL="ERROR",
               TF_CLI_CONFIG_FILE=os.devnull)
    p = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env)
    txt = p.stdout.strip()
    if not txt:
        return [], "checkov printed nothing (exit %d): %s" % (p.returncode, p.stderr.strip()[-800:])
    try:
        data = json.loads(txt)
    except json.JSONDecodeError:
        # checkov prints a bare summary dict / text when nothing was scanned
        start = txt.find("[") if txt.find("[") >= 0 else txt.find("{")
        try:
            data = json.loads(txt[start:])
        except Exception:
            return [], "could not read checkov output: %s" % txt[:800]
    if isinstance(data, dict):
        data = [data]
    return [d for d in data if isinstance(d, dict)], None


def main(argv):
    checkov, root = argv[1], argv[2]
    args = argv[3:]
    soft = "--soft" in args
    skip_check = None
    frameworks = list(DEFAULT_FRAMEWORKS)
    if "--skip-check" in args:
        skip_check = args[args.index("--skip-check") + 1]
    if "--framework" in args:
        frameworks = args[args.index("--framework") + 1].replace(",", " ").split()
    extra = ["--skip-check", skip_check] if skip_check else []
    ver = subprocess.run([checkov, "--version"], capture_output=True, text=True).stdout.strip()

    kdirs = kustomize_dirs(root)
    reports, problems = [], []
    plain = [f for f in frameworks if f != "kustomize"]
    if plain:
        skip = []
        for d in kdirs:
            skip += ["--skip-path", (re.escape(d) + "/") if d != "." else ".*"]
        r, prob = run(checkov, root, plain, extra + skip)
        reports += r
        if prob:
            problems.append(prob)
    if "kustomize" in frameworks and kdirs:
        r, prob = run(checkov, root, ["kustomize"], extra)
        reports += r
        if prob:
            problems.append(prob)

    print("checkov %s: frameworks %s%s" % (ver, " ".join(frameworks),
                                          (", kustomize folders: %s" % " ".join(kdirs)) if kdirs else ""))
    passed = failed = skipped = parse_err = 0
    files = set()
    fails = []
    for rep in reports:
        res = rep.get("results", {})
        summ = rep.get("summary", {})
        for key in ("passed_checks", "failed_checks", "skipped_checks"):
            for c in res.get(key, []):
                fp = c.get("file_path") or ""
                files.add(fp.lstrip("/"))
        passed += summ.get("passed", 0)
        failed += summ.get("failed", 0)
        skipped += summ.get("skipped", 0)
        for pe in res.get("parsing_errors", []) or []:
            parse_err += 1
            pe_rel = os.path.relpath(pe, root) if os.path.isabs(pe) else pe.lstrip("/")
            files.add(pe_rel)
            print("ERROR parse: %s (checkov could not parse it, so it was not checked)" % os.path.join(root, pe_rel))
        for c in res.get("failed_checks", []):
            fp = c.get("file_path") or ""
            fp = os.path.relpath(fp, os.path.abspath(root)) if os.path.isabs(fp) and os.path.abspath(root) in fp \
                else fp.lstrip("/")
            lr = c.get("file_line_range") or []
            loc = "%s:%s" % (os.path.join(root, fp), "-".join(str(x) for x in lr)) if lr else os.path.join(root, fp)
            fails.append((c.get("check_id"), c.get("resource"), loc, c.get("check_name"), rep.get("check_type")))
    for cid, res, loc, name, ctype in sorted(fails, key=lambda x: (x[2], x[0])):
        print("FAIL  %-12s %s  %s  %s" % (cid, res, loc, name))
    for p in problems:
        print("ERROR %s" % p)
    errors = failed + parse_err + len(problems)
    ids = sorted(set(f[0] for f in fails))
    if ids:
        print("failed check ids: %s" % " ".join(ids))
    print("%d files, %d errors (%d passed, %d failed, %d skipped checks, %d parse errors%s)" % (
        len(files), errors, passed, failed, skipped, parse_err, ", soft mode: not failing" if soft else ""))
    return 0 if (soft or errors == 0) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
