#!/usr/bin/env python3
"""Object-for-object comparison of one environment: tierform's output against the peers'.

    bench/compare-peers.py PEER_CDKTF_JSON_DIR PEER_CDK8S_DIR OURS_DIR TENANT TIER

PEER_CDKTF_JSON_DIR is a `cdktf-json` output (stacks/<tenant>-<tier>/cdk.tf.json), PEER_CDK8S_DIR a
`cdk8s` output (<tenant>-<tier>.k8s.yaml), OURS_DIR a `tierform build --k8s-layout flat` output
(terraform/<tier>-<tenant>/*.tf, k8s/<tier>-<tenant>/*.yaml). Prints AWS resource instances per
type and Kubernetes objects per kind/name, side by side. Needs PyYAML (the peers' venv has it).

Counting our Terraform: `count = <n>` and `count = length(local.<list>)` are expanded (the lists
are in the same module's `locals`); `for_each` over certificate validation options counts as one
per certificate (one domain each).
"""
import collections
import glob
import json
import os
import re
import sys

import yaml


def peer_resources(cdktf_dir, env):
    with open(os.path.join(cdktf_dir, "stacks", env, "cdk.tf.json"), encoding="utf-8") as fh:
        doc = json.load(fh)
    return collections.Counter({t: len(v) for t, v in doc.get("resource", {}).items()})


def our_resources(tf_dir):
    text = "".join(open(p, encoding="utf-8").read() for p in sorted(glob.glob(os.path.join(tf_dir, "*.tf"))))
    lists = {}
    for m in re.finditer(r"^  (\w+)\s*=\s*\[([^\]]*)\]", text, re.M):
        lists[m.group(1)] = len([x for x in m.group(2).split(",") if x.strip()])
    counts = collections.Counter()
    for m in re.finditer(r'^resource "(\w+)" "\w+" \{\n((?:  .*\n|\n)*?)\}', text, re.M):
        rtype, body = m.group(1), m.group(2)
        n = 1
        c = re.search(r"^  count\s*=\s*(.+)$", body, re.M)
        if c:
            expr = c.group(1).strip()
            if expr.isdigit():
                n = int(expr)
            else:
                lm = re.fullmatch(r"length\(local\.(\w+)\)", expr)
                n = lists[lm.group(1)] if lm else 1
        counts[rtype] += n
    return counts


def k8s_objects(paths):
    objs = collections.Counter()
    for p in paths:
        with open(p, encoding="utf-8") as fh:
            for d in yaml.safe_load_all(fh):
                if d:
                    objs[(d["kind"], d["metadata"]["name"])] += 1
    return objs


def side_by_side(title, peer, ours):
    print(f"\n{title}")
    print(f"  {'':52} {'peers':>5} {'ours':>5}")
    for key in sorted(set(peer) | set(ours), key=str):
        label = key if isinstance(key, str) else "/".join(key)
        p, o = peer.get(key, 0), ours.get(key, 0)
        mark = "" if p == o else ("  + ours only" if p == 0 else ("  - peers only" if o == 0 else "  ~"))
        print(f"  {label:52} {p:5} {o:5}{mark}")
    print(f"  {'total':52} {sum(peer.values()):5} {sum(ours.values()):5}")


def main():
    if len(sys.argv) != 6:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    cdktf, cdk8s, ours, tenant, tier = sys.argv[1:]
    peer_env, our_env = f"{tenant}-{tier}", f"{tier}-{tenant}"
    side_by_side(f"AWS resource instances, {peer_env} (peers) vs {our_env} (tierform)",
                 peer_resources(cdktf, peer_env), our_resources(os.path.join(ours, "terraform", our_env)))
    side_by_side(f"Kubernetes objects (kind/name), {peer_env} vs {our_env}",
                 k8s_objects([os.path.join(cdk8s, f"{peer_env}.k8s.yaml")]),
                 k8s_objects(sorted(glob.glob(os.path.join(ours, "k8s", our_env, "*.yaml")))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
