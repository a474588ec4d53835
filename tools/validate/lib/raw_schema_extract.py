#!/usr/bin/env python3
"""Writes crates/model/data/aws-provider-schema.json, the extract tierform's model reads to check
raw Terraform blocks (issue 16): every resource and data source type of the AWS provider with
its argument names and nested blocks (recursively, with their nesting), nothing else.

It is derived from tools/validate/schemas/aws-provider-resources.json (the validators' extract,
itself made by tools/validate/extract-aws-schema.sh); regenerate both together:

    python3 tools/validate/lib/raw_schema_extract.py

Output is deterministic (sorted keys, no whitespace), so a regeneration shows as a reviewable diff.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]
SRC = ROOT / "tools/validate/schemas/aws-provider-resources.json"
DST = ROOT / "crates/model/data/aws-provider-schema.json"


def block(b):
    out = {"a": sorted(b.get("attributes", []))}
    blocks = {k: block(v) for k, v in sorted(b.get("blocks", {}).items())}
    if blocks:
        out["b"] = blocks
    if b.get("nesting") in ("single", "map"):
        out["n"] = b["nesting"]
    if b.get("required"):
        out["r"] = sorted(b["required"])
    if b.get("opaque"):
        out["o"] = True
    return out


def main():
    src = json.loads(SRC.read_text())
    out = {
        "provider_version": src["provider_version"],
        "derived_from": "tools/validate/schemas/aws-provider-resources.json",
        "resources": {k: block(v) for k, v in sorted(src["resources"].items())},
        "data_sources": {k: block(v) for k, v in sorted(src["data_sources"].items())},
    }
    DST.parent.mkdir(parents=True, exist_ok=True)
    DST.write_text(json.dumps(out, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"wrote {DST.relative_to(ROOT)} ({DST.stat().st_size} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
