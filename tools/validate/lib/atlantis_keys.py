"""Checks an atlantis.yaml against Atlantis' documented repo-level config (version 3).

Every key must be one the reference documents (runatlantis.io, "Repo Level atlantis.yaml
Config", Reference: Top-Level Keys, Project, Autoplan; plus the parallel and order keys its use
cases document): a misspelt key is silently ignored by Atlantis, so it is an error here.
Also: `version` is 3, apply requirements are known ones, execution order groups are integers,
and every project's `dir` exists beside the file. Prints one line per finding; exit 1 on any.
"""
import os
import sys

import yaml

TOP = {"version", "automerge", "delete_source_branch_on_merge", "parallel_plan", "parallel_apply",
       "abort_on_execution_order_fail", "projects", "workflows", "allowed_regexp_prefixes"}
PROJECT = {"name", "branch", "dir", "workspace", "execution_order_group", "delete_source_branch_on_merge",
           "repo_locking", "custom_policy_check", "autoplan", "terraform_version", "plan_requirements",
           "apply_requirements", "import_requirements", "workflow", "depends_on", "silence_pr_comments"}
AUTOPLAN = {"enabled", "when_modified"}
REQUIREMENTS = {"approved", "mergeable", "undiverged"}


def check(path):
    errors = []
    with open(path) as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict):
        return ["the file is not a mapping"]
    errors += ["unknown top-level key `%s`" % k for k in doc if k not in TOP]
    if doc.get("version") != 3:
        errors.append("version must be 3, found %r" % doc.get("version"))
    root = os.path.dirname(os.path.abspath(path))
    names = set()
    for i, p in enumerate(doc.get("projects") or []):
        where = "projects[%d]" % i
        if not isinstance(p, dict):
            errors.append("%s: not a mapping" % where)
            continue
        where = "project `%s`" % p.get("name", i)
        errors += ["%s: unknown key `%s`" % (where, k) for k in p if k not in PROJECT]
        if "dir" not in p:
            errors.append("%s: `dir` is required" % where)
        elif not os.path.isdir(os.path.join(root, p["dir"])):
            errors.append("%s: dir `%s` does not exist" % (where, p["dir"]))
        if p.get("name") in names:
            errors.append("%s: name used twice" % where)
        names.add(p.get("name"))
        for k in ("autoplan",):
            if k in p:
                errors += ["%s: autoplan: unknown key `%s`" % (where, a) for a in p[k] if a not in AUTOPLAN]
        for k in ("plan_requirements", "apply_requirements", "import_requirements"):
            errors += ["%s: %s: unknown requirement `%s`" % (where, k, r)
                       for r in p.get(k) or [] if r not in REQUIREMENTS]
        if not isinstance(p.get("execution_order_group", 0), int):
            errors.append("%s: execution_order_group must be an integer" % where)
    return errors


if __name__ == "__main__":
    errs = check(sys.argv[1])
    for e in errs:
        print(e)
    sys.exit(1 if errs else 0)
