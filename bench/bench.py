#!/usr/bin/env python3
"""The tierform benchmark driver (bench/run.sh calls it; Python standard library only).

    bench.py --tierform BIN --specs DIR --peers DIR --tools DIR --home DIR

Times, on tmpfs and on disk, with runs alternating between the contenders of one size:
  tierform-overlays  `tierform build SPEC --out OUT` (Terraform + kustomize base and overlays)
  tierform-flat      the same with `--k8s-layout flat` (fully rendered manifests per environment)
  tierform-module    the same with `--tf-layout module` (each structure's Terraform once, as a
                     module, and a small root module per environment)
  tierform-check     `tierform check SPEC` (resolution, validation and the parity of every mirror
                     pair, nothing written), timed in the same passes as the builds it certifies
  floor-overlays / floor-flat / floor-module   the peers' floor-write writing the same files with
                     the same byte counts as tierform-overlays / -flat / -module produced, and
                     nothing else
  the peers          through their own run-one.sh (cdktf-hcl: the Terraform half; cdk8s,
                     helm-engine, kustomize: the Kubernetes half)
and, per size and file system, a no-change rebuild (`tierform build` into its own up-to-date
output) against `read-tree` reading that tree. The report ends with issue 6's and issue 18's
targets judged on this run (ratios between contenders of the same passes). Each run writes into a folder that does not exist
yet; deleting it is not timed. Timer: the peers' lib/timeit.py (wall from start to reap; cpu =
user+sys; peak = largest resident set of one process, from wait4).

Settings come from the environment: OURS_N (default "10 100 1000"), PEERS_N ("10 100"),
RUNS (5), WARMUP (1), PEERS ("cdktf-hcl cdk8s helm-engine kustomize"), SLOW_PEERS ("kustomize
helm") with SLOW_RUNS (1) timed runs at N >= 100, FILESYSTEMS ("tmpfs disk"), TMPFS_ROOT
(/dev/shm/tierform-bench), CHECK_BASELINE (another tierform binary whose `check` is timed in the
same passes, as tierform-check-baseline: before/after a change), WAIT_LOAD (wait, up to WAIT_MAX seconds, for the 1-minute load average
to drop below this before each block; default: do not wait).
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import time


def env_list(name, default):
    return os.environ.get(name, default).split()


def tree_size(root):
    files = size = 0
    for dirpath, _, names in os.walk(root):
        for n in names:
            files += 1
            size += os.path.getsize(os.path.join(dirpath, n))
    return files, size


def tree_state(root):
    """path -> (inode, mtime): a rewrite (temp file + rename) changes the inode."""
    state = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            st = os.stat(p)
            state[p] = (st.st_ino, st.st_mtime_ns)
    return state


def write_manifest(tree, path):
    lines = []
    for dirpath, _, names in os.walk(tree):
        for n in names:
            p = os.path.join(dirpath, n)
            lines.append(f"{os.path.getsize(p)}\t{os.path.relpath(p, tree)}")
    lines.sort(key=lambda l: l.split("\t", 1)[1])
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def wait_for_load(limit, most):
    if limit is None:
        return
    start = time.monotonic()
    while os.getloadavg()[0] >= limit and time.monotonic() - start < most:
        time.sleep(10)


class Bench:
    def __init__(self, a):
        self.a = a
        sys.path.insert(0, os.path.join(a.peers, "lib"))
        import timeit as peer_timeit  # the peers' timer: same definitions for every contender

        self.one_run = peer_timeit.one_run
        self.runs = int(os.environ.get("RUNS", "5"))
        self.warmup = int(os.environ.get("WARMUP", "1"))
        self.slow = set(env_list("SLOW_PEERS", "kustomize helm"))
        self.slow_runs = int(os.environ.get("SLOW_RUNS", "1"))
        self.peers = env_list("PEERS", "cdktf-hcl cdk8s helm-engine kustomize")
        self.filesystems = env_list("FILESYSTEMS", "tmpfs disk")
        self.results = []
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        os.makedirs(os.path.join(a.home, "results"), exist_ok=True)
        self.partial = os.path.join(a.home, "results", f"{stamp}.partial.jsonl")
        self.roots = {
            "tmpfs": os.environ.get("TMPFS_ROOT", "/dev/shm/tierform-bench"),
            "disk": os.path.join(a.home, "out"),
        }

    def spec(self, n):
        return os.path.join(self.a.specs, f"webstack-{n}.hcl")

    def units(self, n, root):
        """label -> (command, output folder, runs wanted)."""
        out = lambda label: os.path.join(root, f"N{n}", label)
        tf = self.a.tierform
        u = {
            "tierform-overlays": ([tf, "build", self.spec(n), "--out", out("tierform-overlays")],
                                  out("tierform-overlays"), self.runs),
            "tierform-flat": ([tf, "build", self.spec(n), "--out", out("tierform-flat"),
                               "--k8s-layout", "flat"], out("tierform-flat"), self.runs),
            "tierform-module": ([tf, "build", self.spec(n), "--out", out("tierform-module"),
                                 "--tf-layout", "module"], out("tierform-module"), self.runs),
            # Writes nothing: its folder never exists.
            "tierform-check": ([tf, "check", self.spec(n)], out("tierform-check"), self.runs),
        }
        if os.environ.get("CHECK_BASELINE"):
            # Another tierform binary's check (an earlier commit), in the same passes.
            u["tierform-check-baseline"] = ([os.environ["CHECK_BASELINE"], "check", self.spec(n)],
                                            out("tierform-check-baseline"), self.runs)
        for layout in LAYOUTS:
            man = os.path.join(root, f"N{n}", f"manifest-{layout}.txt")
            u[f"floor-{layout}"] = ([os.path.join(self.a.peers, ".cache", "bin", "floor-write"), man,
                                     out(f"floor-{layout}")], out(f"floor-{layout}"), self.runs)
        if n in self.a.peers_n:
            for p in self.peers:
                runs = self.slow_runs if (p in self.slow and n >= 100) else self.runs
                u[p] = ([os.path.join(self.a.peers, "run-one.sh"), p, str(n)],
                        os.path.join(root, "peers", f"N{n}", p), runs)
        return u

    def timed(self, cmd, out):
        shutil.rmtree(out, ignore_errors=True)
        r = self.one_run(cmd, float(os.environ.get("RUN_TIMEOUT", "300")))
        if r is None:
            return None
        if r["rc"] != 0:
            sys.exit(f"bench: command exited {r['rc']}: {' '.join(cmd)}")
        return r

    def block(self, fs, n):
        root = self.roots[fs]
        os.environ["PEERS_OUT"] = os.path.join(root, "peers")
        os.makedirs(os.path.join(root, f"N{n}"), exist_ok=True)
        wait_for_load(self.a.wait_load, self.a.wait_max)
        load0 = os.getloadavg()
        units = self.units(n, root)
        # Reference trees for the floors: tierform's own output at this size.
        for layout in LAYOUTS:
            cmd, out, _ = units[f"tierform-{layout}"]
            self.timed(cmd, out)
            write_manifest(out, os.path.join(root, f"N{n}", f"manifest-{layout}.txt"))
        runs = {label: [] for label in units}
        timed_out = set()
        for rep in range(-self.warmup, max(u[2] for u in units.values())):
            for label, (cmd, out, want) in units.items():
                if label in timed_out or rep >= want or (rep < 0 and want < self.runs):
                    continue  # slow peers: no warm-up, fewer runs
                r = self.timed(cmd, out)
                if r is None:
                    timed_out.add(label)
                    continue
                if rep >= 0:
                    runs[label].append(r)
            print(f"  {fs} N={n} pass {rep + 1 if rep >= 0 else 'warm-up'} done", file=sys.stderr)
        for label, (cmd, out, _) in units.items():
            files, size = tree_size(out) if os.path.isdir(out) else (0, 0)
            self.record(fs, n, label, runs[label], files, size, label in timed_out, cmd)
        self.rebuild(fs, n, units["tierform-overlays"])
        load1 = os.getloadavg()
        self.results.append({"kind": "load", "fs": fs, "n": n, "before": load0, "after": load1})
        self.save(self.results[-1])
        for label, (_, out, _) in units.items():
            shutil.rmtree(out, ignore_errors=True)

    def rebuild(self, fs, n, unit):
        """A no-change rebuild: the tree is current, so no file may be written."""
        cmd, out, _ = unit
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        before = tree_state(out)
        read = [os.path.join(self.a.tools, "read-tree"), out]
        runs = {"rebuild": [], "read-tree": []}
        for rep in range(-self.warmup, self.runs):
            for label, c in (("rebuild", cmd), ("read-tree", read)):
                r = self.one_run(c, 300)
                if rep >= 0:
                    runs[label].append(r)
        after = tree_state(out)
        rewritten = sum(1 for p, s in after.items() if before.get(p) != s)
        files, size = tree_size(out)
        self.record(fs, n, "tierform-rebuild", runs["rebuild"], files, size, False, cmd,
                    rewritten=rewritten)
        self.record(fs, n, "read-tree", runs["read-tree"], files, size, False, read)

    def save(self, row):
        """Appends one result as it is measured, so a long run that is stopped keeps what it has."""
        with open(self.partial, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(row) + "\n")

    def record(self, fs, n, label, runs, files, size, timed_out, cmd, **extra):
        row = {"kind": "unit", "fs": fs, "n": n, "envs": 3 * n, "label": label, "runs": runs,
               "files": files, "bytes": size, "timed_out": timed_out, "cmd": cmd, **extra}
        for key in ("wall_s", "cpu_s", "peak_mib"):
            vals = [r[key] for r in runs]
            if vals:
                row[key] = {"min": min(vals), "median": statistics.median(vals), "max": max(vals)}
        self.results.append(row)
        self.save(row)
        w = row.get("wall_s")
        msg = f"{w['median']:.3f} s median of {len(runs)}" if w else "no runs"
        print(f"  {fs:5} N={n:<5} {label:18} {msg}", file=sys.stderr)


LAYOUTS = ("overlays", "flat", "module")

HALF = {"cdktf-hcl": "Terraform", "cdktf-json": "Terraform", "cdk8s": "Kubernetes",
        "cdk8s-plus": "Kubernetes", "helm-engine": "Kubernetes", "helm": "Kubernetes",
        "kustomize": "Kubernetes", "kustomize-path": "Kubernetes"}


def report(results):
    units = [r for r in results if r["kind"] == "unit"]
    lines = []
    for fs in ("tmpfs", "disk"):
        rows = [r for r in units if r["fs"] == fs]
        if not rows:
            continue
        lines.append(f"\n### Output on {fs}\n")
        lines.append("| what | N | envs | wall s median (min-max) | cpu s | peak MiB | files | MB | env/s | x tierform |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            base = next((b for b in rows if b["n"] == r["n"] and b["label"] == "tierform-overlays"), None)
            if "wall_s" not in r:
                lines.append(f"| {r['label']} | {r['n']} | {r['envs']} | timed out | | | | | | |")
                continue
            w = r["wall_s"]
            med = w["median"]
            ratio = ""
            if base and "wall_s" in base and r["label"] != "tierform-overlays":
                ratio = f"{med / base['wall_s']['median']:.2f}"
            label = r["label"]
            if label in HALF:
                label += f" ({HALF[label]} half)"
            if "rewritten" in r:
                label += f" ({r['rewritten']} files rewritten)"
            spread = f"{w['min']:.3f}-{w['max']:.3f}" if len(r["runs"]) > 1 else "1 run"
            lines.append(
                f"| {label} | {r['n']} | {r['envs']} | {med:.3f} ({spread}) | {r['cpu_s']['median']:.3f} | "
                f"{r['peak_mib']['median']:.0f} | {r['files']} | {r['bytes'] / 1e6:.2f} | "
                f"{r['envs'] / med:,.0f} | {ratio} |")
    ours = {(r["fs"], r["n"]): r for r in units if r["label"] == "tierform-overlays" and "wall_s" in r}
    if ours:
        lines.append("\n### tierform cost per environment (overlays layout)\n")
        lines.append("| fs | N | envs | ms per environment (wall) | ms per environment (cpu) |")
        lines.append("|---|---|---|---|---|")
        for (fs, n), r in sorted(ours.items()):
            lines.append(f"| {fs} | {n} | {r['envs']} | {1000 * r['wall_s']['median'] / r['envs']:.3f} | "
                         f"{1000 * r['cpu_s']['median'] / r['envs']:.3f} |")
    checks = sorted((r["n"], r) for r in units
                    if r["label"] == "tierform-check" and "wall_s" in r and r["fs"] == units[0]["fs"])
    if checks:
        lines.append("\n### tierform check (parity of every mirror pair) cost per environment\n")
        lines.append("| N | envs | wall s | ms per environment (wall) | ms per environment (cpu) |")
        lines.append("|---|---|---|---|---|")
        for n, r in checks:
            lines.append(f"| {n} | {r['envs']} | {r['wall_s']['median']:.3f} | "
                         f"{1000 * r['wall_s']['median'] / r['envs']:.3f} | "
                         f"{1000 * r['cpu_s']['median'] / r['envs']:.3f} |")
    lines.extend(targets(units))
    loads = [r for r in results if r["kind"] == "load"]
    if loads:
        lines.append("\nLoad average (1/5/15 min) before -> after each block: " + "; ".join(
            f"{l['fs']} N={l['n']}: {l['before'][0]:.2f}/{l['before'][1]:.2f}/{l['before'][2]:.2f} -> "
            f"{l['after'][0]:.2f}/{l['after'][1]:.2f}/{l['after'][2]:.2f}" for l in loads))
    return "\n".join(lines) + "\n"


def targets(units):
    """Issue 6's targets, judged on this run's medians (same run, same machine)."""
    def med(fs, n, label, key="wall_s"):
        r = next((u for u in units if (u["fs"], u["n"], u["label"]) == (fs, n, label) and key in u), None)
        return r[key]["median"] if r else None

    rows = []
    for fs in ("tmpfs", "disk"):
        ours = med(fs, 100, "tierform-overlays")
        if ours:
            for peer, goal in (("helm-engine", 10), ("cdktf-hcl", 100)):
                p = med(fs, 100, peer)
                if p:
                    rows.append((f"N = 100: {peer} / tierform >= {goal}", fs, f"{p / ours:.1f}x", p / ours >= goal))
            floor = med(fs, 100, "floor-overlays")
            if floor:
                rows.append(("N = 100: tierform / floor <= 2", fs, f"{ours / floor:.2f}x", ours / floor <= 2))
        per_env = [(n, med(fs, n, "tierform-overlays") / (3 * n))
                   for n in sorted({u["n"] for u in units if u["fs"] == fs}) if med(fs, n, "tierform-overlays")]
        if len(per_env) > 1:
            lo, hi = min(v for _, v in per_env), max(v for _, v in per_env)
            figs = " / ".join(f"{1000 * v:.2f}" for _, v in per_env)
            rows.append(("ms per environment flat within 20 % (N = " + " / ".join(str(n) for n, _ in per_env) + ")",
                         fs, f"{figs} ms (max/min {hi / lo:.2f})", hi / lo <= 1.2))
            # The cost of each further environment, between consecutive sizes: the fixed cost
            # of a run (process start, spec parse, thread pool) cancels out, so this is what
            # grows if a step is worse than linear.
            marginal = [(a, b, (med(fs, b, "tierform-overlays") - med(fs, a, "tierform-overlays")) / (3 * (b - a)))
                        for (a, _), (b, _) in zip(per_env, per_env[1:])]
            lo, hi = min(m for *_, m in marginal), max(m for *_, m in marginal)
            rows.append(("marginal ms per environment flat within 20 % (" +
                         ", ".join(f"{a}->{b}" for a, b, _ in marginal) + ")", fs,
                         " / ".join(f"{1000 * m:.2f}" for *_, m in marginal) + f" ms (max/min {hi / lo:.2f})",
                         lo > 0 and hi / lo <= 1.2))
        peaks = [med(fs, 1000, l, "peak_mib") for l in ("tierform-overlays", "tierform-flat", "tierform-rebuild")]
        peaks = [p for p in peaks if p]
        if peaks:
            rows.append(("N = 1000: peak memory < 100 MiB", fs, f"{max(peaks):.0f} MiB", max(peaks) < 100))
        for n in sorted({u["n"] for u in units if u["fs"] == fs}):
            rb, rt = med(fs, n, "tierform-rebuild"), med(fs, n, "read-tree")
            if rb and rt:
                rows.append((f"N = {n}: no-change rebuild <= reading the tree", fs, f"{rb / rt:.2f}x", rb <= rt))
    rows += issue18(med)
    checks = sorted((u["n"], u["wall_s"]["median"]) for u in units
                    if u["label"] == "tierform-check" and "wall_s" in u and u["fs"] == units[0]["fs"])
    if len(checks) > 1:
        per = [t / (3 * n) for n, t in checks]
        lo, hi = min(per), max(per)
        rows.append(("parity check: ms per environment flat within 20 %", "-",
                     " / ".join(f"{1000 * v:.1f}" for v in per) + f" ms (max/min {hi / lo:.2f})", hi / lo <= 1.2))
        marginal = [(tb - ta) / (3 * (b - a)) for (a, ta), (b, tb) in zip(checks, checks[1:])]
        lo, hi = min(marginal), max(marginal)
        rows.append(("parity check: marginal ms per environment flat within 20 %", "-",
                     " / ".join(f"{1000 * v:.1f}" for v in marginal) + f" ms (max/min {hi / lo:.2f})",
                     lo > 0 and hi / lo <= 1.2))
    if not rows:
        return []
    out = ["\n### Targets (issues 6 and 18), judged on this run\n", "| target | fs | this run | met? |", "|---|---|---|---|"]
    out += [f"| {t} | {fs} | {fig} | {'yes' if ok else '**no**'} |" for t, fs, fig, ok in rows]
    return out


def issue18(med):
    """Issue 18's targets: `check` as fast as the build it certifies, in bounded memory; the
    module layout against the peers and its own floor."""
    rows = []
    for fs in ("tmpfs", "disk"):
        for n in (100, 1000):
            c, b = med(fs, n, "tierform-check"), med(fs, n, "tierform-overlays")
            cc, bc = med(fs, n, "tierform-check", "cpu_s"), med(fs, n, "tierform-overlays", "cpu_s")
            if c and b:
                rows.append((f"N = {n}: check / build <= 2", fs, f"{c / b:.2f}x (cpu {cc / bc:.2f}x)", c / b <= 2))
            old = med(fs, n, "tierform-check-baseline")
            if c and old:
                oc = med(fs, n, "tierform-check-baseline", "cpu_s")
                rows.append((f"N = {n}: check / baseline check (information)", fs,
                             f"{c / old:.2f}x (cpu {cc / oc:.2f}x)", c <= old))
        peak = med(fs, 1000, "tierform-check", "peak_mib")
        if peak:
            rows.append(("N = 1000: check peak memory < 100 MiB", fs, f"{peak:.0f} MiB", peak < 100))
        ours = med(fs, 100, "tierform-module")
        if ours:
            for peer, goal in (("helm-engine", 10), ("cdktf-hcl", 100)):
                p = med(fs, 100, peer)
                if p:
                    rows.append((f"N = 100: {peer} / tierform-module >= {goal}", fs, f"{p / ours:.1f}x",
                                 p / ours >= goal))
            floor = med(fs, 100, "floor-module")
            if floor:
                rows.append(("N = 100: tierform-module / floor-module <= 1.5", fs, f"{ours / floor:.2f}x",
                             ours / floor <= 1.5))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tierform")
    ap.add_argument("--specs")
    ap.add_argument("--peers")
    ap.add_argument("--tools")
    ap.add_argument("--home")
    ap.add_argument("--report-only", help="print the table of a saved results file (.json or .partial.jsonl)")
    a = ap.parse_args()
    if a.report_only:
        with open(a.report_only, encoding="utf-8") as fh:
            text = fh.read()
        rows = json.loads(text) if text.lstrip().startswith("[") else [json.loads(l) for l in text.splitlines() if l]
        print(report(rows))
        return 0
    if None in (a.tierform, a.specs, a.peers, a.tools, a.home):
        ap.error("--tierform, --specs, --peers, --tools and --home are required")
    a.ours_n = [int(x) for x in env_list("OURS_N", "10 100 1000")]
    a.peers_n = [int(x) for x in env_list("PEERS_N", "10 100")]
    a.wait_load = float(os.environ["WAIT_LOAD"]) if os.environ.get("WAIT_LOAD") else None
    a.wait_max = float(os.environ.get("WAIT_MAX", "600"))
    b = Bench(a)
    for fs in b.filesystems:
        for n in sorted(set(a.ours_n) | set(a.peers_n)):
            print(f"== {fs}, N = {n} ({3 * n} environments)", file=sys.stderr)
            if n in a.peers_n and any(p in ("kustomize", "kustomize-path", "helm", "helm-engine") for p in b.peers):
                subprocess.run([os.path.join(a.peers, "prepare.sh"), str(n), "inputs"], check=True,
                               stdout=subprocess.DEVNULL)
            b.block(fs, n)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    os.makedirs(os.path.join(a.home, "results"), exist_ok=True)
    raw = os.path.join(a.home, "results", f"{stamp}.json")
    with open(raw, "w", encoding="utf-8") as fh:
        json.dump(b.results, fh, indent=1)
    table = report(b.results)
    with open(os.path.join(a.home, "results", f"{stamp}.md"), "w", encoding="utf-8") as fh:
        fh.write(table)
    print(table)
    print(f"(raw results: {raw})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
