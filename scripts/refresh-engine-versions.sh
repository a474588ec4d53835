#!/usr/bin/env bash
# Refreshes crates/model/data/engine-versions.json, the engine versions RDS and ElastiCache
# offer, from AWS itself. Needs the AWS CLI, python3 and read-only credentials (any account:
# the calls describe the service, not your resources). Review the diff, run the tests
# (`cargo test -p tierform-model`), and commit the file with the day it was checked.
#
#   bash scripts/refresh-engine-versions.sh [REGION]    # default us-east-1
set -euo pipefail
region="${1:-us-east-1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
file="$root/crates/model/data/engine-versions.json"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

for engine in postgres mysql; do
  aws rds describe-db-engine-versions --region "$region" --engine "$engine" \
    --query 'DBEngineVersions[].EngineVersion' --output json >"$tmp/$engine.json"
done
for engine in redis valkey; do
  aws elasticache describe-cache-engine-versions --region "$region" --engine "$engine" \
    --query 'CacheEngineVersions[].EngineVersion' --output json >"$tmp/$engine.json"
done

python3 - "$file" "$tmp" <<'PY'
import datetime, json, sys
path, tmp = sys.argv[1], sys.argv[2]
data = json.load(open(path))
def load(name):
    return json.load(open(f"{tmp}/{name}.json"))
def key(v):
    return tuple(int(p) for p in v.split("."))
def ranges(versions, parts):
    # (major, lowest minor, highest minor), majors in version order: `16` of `16.11`,
    # `8.0` of `8.0.42`. Versions not of the engine's form (previews) are left out.
    rows = {}
    for v in versions:
        p = v.split(".")
        if len(p) != parts or not all(x.isdigit() for x in p):
            continue
        major, minor = ".".join(p[:-1]), int(p[-1])
        lo, hi = rows.get(major, (minor, minor))
        rows[major] = (min(lo, minor), max(hi, minor))
    return [[m, lo, hi] for m, (lo, hi) in sorted(rows.items(), key=lambda r: key(r[0]))]
def minors(versions):
    # ElastiCache lists `7.1` (and older `6.x`, `5.0.6`): keep major.minor forms.
    out = {".".join(v.split(".")[:2]) for v in versions if v.split(".")[0].isdigit()}
    return sorted((v for v in out if all(p.isdigit() for p in v.split("."))), key=key)
data["postgres"] = ranges(load("postgres"), 2)
data["mysql"] = ranges(load("mysql"), 3)
data["redis"] = minors(load("redis"))
data["valkey"] = minors(load("valkey"))
data["checked"] = datetime.date.today().isoformat()
text = json.dumps(data, indent=2) + "\n"
open(path, "w").write(text)
print(f"wrote {path} (checked {data['checked']})")
PY
