"""Validate Kubernetes manifests under a folder with kubernetes-validate (strict mode).

* every *.yaml / *.yml document that is a Kubernetes object (has apiVersion + kind) is
  validated against the pinned Kubernetes version's JSON schemas in strict mode
  (unknown fields are errors);
* a folder holding kustomization.yaml (or .yml / Kustomization) is rendered with
  `kubectl kustomize <folder>` and the rendered objects are validated instead; the files
  inside such a folder (bases' resources, overlays' patches) are not validated on their
  own, because patches are partial objects;
* kind: Component kustomizations are not rendered alone (they only make sense inside an
  overlay);
* docker-compose / compose files and YAML documents that are not Kubernetes objects are
  skipped (reported as such);
* custom resources whose CRD is vendored under schemas/crds/ (pinned to the operator version
  the generated Terraform installs; today the AWS Load Balancer Controller's
  TargetGroupBinding) are validated against the CRD's openAPIV3Schema, made strict like
  kubernetes-validate's (unknown fields are errors, except where the CRD preserves them);
* an apiVersion/kind for which the pinned version has no schema (e.g. policy/v1beta1
  PodDisruptionBudget, removed in 1.25, or a CRD) is an error unless
  --allow-missing-schema is given.

The verdict for each object comes from kubernetes_validate.validate(); when it fails,
all schema errors of that object are listed (same schema, jsonschema iter_errors).

Last line: "N files, N errors".
"""
import argparse
import os
import re
import subprocess
import sys

import jsonschema
import kubernetes_validate
from kubernetes_validate import utils as kv
from kubernetes_validate.version import __version__ as KV_VERSION
import yaml

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
COMPOSE_RE = re.compile(r"^(docker-compose.*|compose(\..*)?)\.ya?ml$")
SKIP_DIRS = {".git", ".terraform", "node_modules", "__pycache__"}
MAX_ERRORS_PER_OBJECT = 10
# Custom resources of the operators the generated Terraform installs (Helm releases in
# kubernetes.tf), by (apiVersion, kind). kubernetes-validate ships no schema for them and no
# registry package carries their CRDs: they are reported as WARN "not validated", never as
# passing; any other apiVersion/kind without a schema stays an error (a typo is caught).
KNOWN_CRDS = {
    ("external-secrets.io/v1", "ExternalSecret"): "External Secrets Operator",
    ("external-secrets.io/v1", "SecretStore"): "External Secrets Operator",
    # tierform build --delivery: validated against Argo CD's CRD schema by ci.sh.
    ("argoproj.io/v1alpha1", "ApplicationSet"): "Argo CD (validated by ci.sh)",
}
# Vendored CRDs, validated here rather than skipped: file under schemas/crds/ by the
# (apiVersion, kind)s it serves. Each file names its source and version.
CRD_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schemas", "crds")
VENDORED_CRDS = ["elbv2.k8s.aws_targetgroupbindings.yaml"]


def strict_schema(schema):
    """The CRD schema with unknown fields refused wherever it lists properties (what the API
    server would prune silently), except where it preserves unknown fields."""
    if isinstance(schema, dict):
        out = {k: strict_schema(v) for k, v in schema.items()}
        if ("properties" in out and "additionalProperties" not in out
                and not out.get("x-kubernetes-preserve-unknown-fields")):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict_schema(x) for x in schema]
    return schema


def load_crd_schemas():
    """(apiVersion, kind) -> strict JSON schema, for every served version of each vendored CRD."""
    out = {}
    for f in VENDORED_CRDS:
        with open(os.path.join(CRD_DIR, f), encoding="utf-8") as fh:
            crd = next(d for d in yaml.safe_load_all(fh) if d)
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for v in crd["spec"]["versions"]:
            if v.get("served"):
                schema = strict_schema(v["schema"]["openAPIV3Schema"])
                out[("%s/%s" % (group, v["name"]), kind)] = (schema, f)
    return out


CRD_SCHEMAS = load_crd_schemas()


def crd_errors(doc, schema):
    validator = jsonschema.validators.Draft7Validator(schema)
    errs = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.path])
    return ["%s: %s" % (".".join(str(p) for p in e.path) or "(root)", e.message) for e in errs]


def all_errors(data, version, strict):
    """Every schema error for one object (kubernetes_validate only reports the first)."""
    try:
        v = [x for x in kv.all_versions() if kv.major_minor(x) <= kv.major_minor(version)][-1]
        api_version = re.sub(r'^([^./]*)(?:\.[^/]*)?/', r'\1-', data['apiVersion'])
        schema_dir = 'v%s-local%s' % (v, '-strict' if strict else '')
        schema = kv.schema_contents('kubernetes-json-schema/%s/%s-%s.json' % (
            schema_dir, data['kind'].lower(), api_version), version)
        defs = kv.schema_contents('kubernetes-json-schema/%s/_definitions.json' % schema_dir, version)
        from referencing import Registry, Resource
        registry = Resource.from_contents(defs) @ (Resource.from_contents(schema) @ Registry())
        validator = jsonschema.validators.Draft202012Validator(schema, registry=registry)
        errs = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.path])
        return ["%s: %s" % (".".join(str(p) for p in e.path) or "(root)", e.message) for e in errs]
    except Exception:  # fall back to the single error kubernetes-validate gave
        return []


def obj_name(doc):
    meta = doc.get("metadata") or {}
    name = meta.get("name") or meta.get("generateName") or "?"
    return "%s/%s" % (doc.get("kind", "?"), name)


class Checker:
    def __init__(self, version, allow_missing_schema, root):
        self.version = version
        self.allow_missing = allow_missing_schema
        self.root = root
        self.errors = 0
        self.warnings = 0
        self.objects = 0

    def rel(self, path):
        r = os.path.relpath(path, self.root)
        return path if r.startswith("..") else r

    def error(self, where, msg):
        self.errors += 1
        print("ERROR %s: %s" % (where, msg))

    def validate_docs(self, where, docs):
        """Validate a list of loaded YAML documents; returns (#k8s objects, #skipped docs)."""
        n_obj = n_skip = 0
        for idx, doc in enumerate(docs):
            if doc is None:
                continue
            if isinstance(doc, dict) and doc.get("kind") == "List" and isinstance(doc.get("items"), list):
                a, b = self.validate_docs(where, doc["items"])
                n_obj += a
                n_skip += b
                continue
            if not isinstance(doc, dict) or ("apiVersion" not in doc and "kind" not in doc):
                n_skip += 1
                continue
            if "apiVersion" not in doc or "kind" not in doc:
                self.error("%s [doc %d]" % (where, idx + 1), "has %s but no %s" % (
                    ("kind", "apiVersion") if "kind" in doc else ("apiVersion", "kind")))
                continue
            if str(doc.get("apiVersion", "")).startswith("kustomize.config.k8s.io/"):
                n_skip += 1
                continue
            n_obj += 1
            self.objects += 1
            name = obj_name(doc)
            crd = CRD_SCHEMAS.get((doc.get("apiVersion"), doc.get("kind")))
            if crd:
                errs = crd_errors(doc, crd[0])
                for m in errs[:MAX_ERRORS_PER_OBJECT]:
                    self.error("%s: %s (%s)" % (where, name, doc["apiVersion"]), m)
                continue
            try:
                kubernetes_validate.validate(doc, self.version, strict=True)
            except kv.ValidationError as e:
                errs = all_errors(doc, self.version, True)
                if not errs:
                    errs = ["%s: %s" % (".".join(str(p) for p in e.path) or "(root)", e.message)]
                for m in errs[:MAX_ERRORS_PER_OBJECT]:
                    self.error("%s: %s (%s)" % (where, name, doc["apiVersion"]), m)
                if len(errs) > MAX_ERRORS_PER_OBJECT:
                    print("      ... %d more errors for %s" % (len(errs) - MAX_ERRORS_PER_OBJECT, name))
            except kv.SchemaNotFoundError as e:
                crd = KNOWN_CRDS.get((doc.get("apiVersion"), doc.get("kind")))
                if crd:
                    self.warnings += 1
                    print("WARN  %s: %s: custom resource of the %s, not validated (no schema)" % (
                        where, name, crd))
                elif self.allow_missing:
                    self.warnings += 1
                    print("WARN  %s: %s: %s" % (where, name, e.message))
                else:
                    self.error("%s: %s" % (where, name),
                               "%s (removed/unknown API, a typo in apiVersion/kind, or a CRD: "
                               "use --allow-missing-schema for CRDs)" % e.message)
            except kv.VersionNotSupportedError:
                print("FATAL kubernetes-validate %s does not ship schemas for Kubernetes %s" % (
                    KV_VERSION, self.version))
                print("0 files, 1 errors")
                sys.exit(2)
            except Exception as e:  # malformed object (e.g. metadata is a list)
                self.error("%s: %s" % (where, name), "could not be validated: %s" % e)
        return n_obj, n_skip

    def load_yaml(self, text, where):
        try:
            return list(yaml.safe_load_all(text))
        except yaml.YAMLError as e:
            self.error(where, "YAML parse error: %s" % str(e).replace("\n", " "))
            return None


def kubectl_version(kubectl):
    try:
        out = subprocess.run([kubectl, "version", "--client"], capture_output=True, text=True, timeout=30).stdout
        m1 = re.search(r"Client Version: (\S+)", out)
        m2 = re.search(r"Kustomize Version: (\S+)", out)
        return "kubectl %s (kustomize %s)" % (m1.group(1) if m1 else "?", m2.group(1) if m2 else "?")
    except Exception:
        return "kubectl not found"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("-k", "--kubernetes-version", default=os.environ.get("K8S_VERSION", "1.30"))
    ap.add_argument("--allow-missing-schema", action="store_true",
                    help="only warn for apiVersion/kind without a schema (CRDs)")
    ap.add_argument("--kubectl", default=os.environ.get("KUBECTL", "kubectl"))
    a = ap.parse_args()

    root = os.path.abspath(a.dir)
    chk = Checker(a.kubernetes_version, a.allow_missing_schema, os.getcwd())
    yaml_files, kroots = [], []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for f in sorted(filenames):
            p = os.path.join(dirpath, f)
            if f in KUSTOMIZATION_NAMES:
                kroots.append((dirpath, p))
            elif f.endswith((".yaml", ".yml")):
                yaml_files.append(p)

    kroot_dirs = [d for d, _ in kroots]

    def owned_by_kustomize(path):
        d = os.path.dirname(path)
        while True:
            if d in kroot_dirs:
                return True
            if d == root or len(d) <= len(root):
                return False
            d = os.path.dirname(d)

    n_files = 0
    print("kubernetes-validate %s, strict, Kubernetes %s, %s; CRDs: %s" % (
        KV_VERSION, a.kubernetes_version, kubectl_version(a.kubectl), ", ".join(VENDORED_CRDS)))
    for p in yaml_files:
        rp = chk.rel(p)
        base = os.path.basename(p)
        if COMPOSE_RE.match(base):
            print("skip  %s (compose file)" % rp)
            continue
        if owned_by_kustomize(p):
            continue  # validated through the rendered kustomization
        n_files += 1
        before = chk.errors
        with open(p, encoding="utf-8") as fh:
            docs = chk.load_yaml(fh.read(), rp)
        if docs is None:
            continue
        n_obj, n_skip = chk.validate_docs(rp, docs)
        if chk.errors == before:
            extra = (", %d non-Kubernetes docs skipped" % n_skip) if n_skip else ""
            print("ok    %s (%d objects%s)" % (rp, n_obj, extra))

    for d, kfile in kroots:
        rd = chk.rel(d)
        n_files += 1
        try:
            with open(kfile, encoding="utf-8") as fh:
                kdoc = yaml.safe_load(fh) or {}
        except yaml.YAMLError as e:
            chk.error(chk.rel(kfile), "YAML parse error: %s" % str(e).replace("\n", " "))
            continue
        if isinstance(kdoc, dict) and kdoc.get("kind") == "Component":
            print("skip  %s (kustomize Component: rendered as part of the overlays using it)" % rd)
            continue
        try:
            proc = subprocess.run([a.kubectl, "kustomize", d], capture_output=True, text=True, timeout=120)
        except FileNotFoundError:
            chk.error(rd, "kubectl not found (%s) - run setup.sh" % a.kubectl)
            continue
        if proc.returncode != 0:
            msg = proc.stderr.strip().replace(os.getcwd() + os.sep, "")
            m = re.search(r'err="(.*)"\s*$', msg, re.S)
            chk.error(rd + " (kubectl kustomize)", (m.group(1) if m else msg)[:1500])
            continue
        before = chk.errors
        docs = chk.load_yaml(proc.stdout, rd + " (rendered)")
        if docs is None:
            continue
        n_obj, _ = chk.validate_docs(rd + " (rendered)", docs)
        if chk.errors == before:
            print("ok    %s (kustomize: %d rendered objects)" % (rd, n_obj))

    warn = (", %d warnings" % chk.warnings) if chk.warnings else ""
    print("%d files, %d errors%s" % (n_files, chk.errors, warn))
    return 1 if chk.errors else 0


if __name__ == "__main__":
    sys.exit(main())
