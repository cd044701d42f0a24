#!/usr/bin/python3
"""The container recipe and the Kubernetes manifests, checked without a
container engine or a cluster: the Containerfile parsed instruction by
instruction (stages, Debian 12 base, no remote ADD, non-root runtime, built
with scripts/deps.sh), the manifests parsed as YAML and their wiring checked
(Indexed Job, completion index -> --shard, shared start time, the volume, the
merge step), and their shell commands run with a stand-in `wsprobe` that
records its arguments, which the real `wsprobe load` must then accept.
launch.sh runs against a stand-in `kubectl` that reports a failed, finished,
or never-finishing Job: a failed load Job ends it quickly with status 2 (no
waiting out TIMEOUT), and the merge Job's outcome is its status. The build
context leaves out what a host built (.dockerignore)."""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness_util import ROOT, WSPROBE, Results  # noqa: E402

import yaml  # noqa: E402  (python3-yaml, in scripts/deps.sh test)

DEPLOY = os.path.join(ROOT, "deploy")
K8S = os.path.join(DEPLOY, "k8s")
KEYWORDS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
            "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}


def instructions(path):
    """(keyword, rest) per instruction: comments dropped, continuations joined."""
    out, cur = [], ""
    for line in open(path):
        s = line.rstrip("\n")
        if not cur and (not s.strip() or s.lstrip().startswith("#")):
            continue
        if cur and s.lstrip().startswith("#"):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        word, _, rest = cur.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        cur = ""
    if cur:
        out.append(("<unterminated>", cur))
    return out


def stages(ins):
    """[(name or None, base, [instructions])] per FROM."""
    st = []
    for kw, rest in ins:
        if kw == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            st.append((name, parts[0], []))
        elif st:
            st[-1][2].append((kw, rest))
    return st


def check_containerfile(res):
    path = os.path.join(DEPLOY, "Containerfile")
    ins = instructions(path)
    res.check("Containerfile: every instruction is a known keyword",
              all(kw in KEYWORDS for kw, _ in ins), [kw for kw, _ in ins if kw not in KEYWORDS])
    res.check("Containerfile: starts with FROM", bool(ins) and ins[0][0] == "FROM")
    st = stages(ins)
    res.check("Containerfile: multi-stage (build, then runtime)", len(st) >= 2 and st[0][0],
              [s[:2] for s in st])
    res.check("Containerfile: every stage on Debian 12",
              all(b.startswith(("debian:12", "debian:bookworm")) for _, b, _ in st),
              [b for _, b, _ in st])
    adds = [r for kw, r in ins if kw == "ADD"]
    res.check("Containerfile: no ADD of a URL (or any ADD)", not adds, adds)
    runs = " ".join(r for kw, r in ins if kw == "RUN")
    res.check("Containerfile: no curl|sh, wget or pip", not any(
        w in runs for w in ("curl", "wget", "pip install", "| sh", "|sh")), runs)
    build = " ".join(r for kw, r in st[0][2] if kw == "RUN")
    res.check("Containerfile: build stage uses scripts/deps.sh build and make",
              "scripts/deps.sh build" in build and "make" in build, build)
    names = {s[0] for s in st if s[0]}
    froms = [r.split()[0].split("=", 1)[1] for kw, r in ins
             if kw == "COPY" and r.startswith("--from=")]
    res.check("Containerfile: COPY --from names a stage", froms and all(f in names for f in froms),
              froms)
    final = st[-1][2]
    users = [r for kw, r in final if kw == "USER"]
    res.check("Containerfile: runtime runs as a non-root user",
              users and users[-1].split(":")[0] not in ("0", "root"), users)
    res.check("Containerfile: runtime has no compiler or -dev package",
              not any(w in r for kw, r in final if kw == "RUN"
                      for w in ("gcc", "-dev", "make ", "clang")))
    ep = [r for kw, r in final if kw == "ENTRYPOINT"]
    try:
        ep_ok = ep and json.loads(ep[-1])[0].endswith("wsprobe")
    except (ValueError, IndexError):
        ep_ok = False
    res.check("Containerfile: ENTRYPOINT is wsprobe in JSON form", ep_ok, ep)
    for s in (r for kw, r in ins if kw == "RUN"):
        p = subprocess.run(["sh", "-n", "-c", s], capture_output=True)
        res.check(f"Containerfile: RUN parses as sh ({s[:40]}...)", p.returncode == 0,
                  p.stderr.decode())
    pkgs = []
    for kw, r in final:
        if kw == "RUN" and "apt-get install" in r:
            words = r.split("apt-get install", 1)[1].split("&&")[0].split()
            pkgs += [w for w in words if not w.startswith("-")]
    if subprocess.run(["sh", "-c", "command -v apt-cache"], capture_output=True).returncode == 0:
        p = subprocess.run(["apt-cache", "show", "--no-all-versions", *pkgs], capture_output=True)
        res.check(f"Containerfile: runtime packages exist in Debian ({' '.join(pkgs)})",
                  pkgs and p.returncode == 0, p.stderr.decode()[-300:])
    uid = users[-1].split(":")[0] if users else ""
    return uid


def load_yaml(name):
    with open(os.path.join(K8S, name)) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    return docs


def pod(job):
    return job["spec"]["template"]["spec"]


def run_script(script, env, fake_dir):
    """Runs a container's sh -c script with a stand-in wsprobe; returns its argv."""
    e = {"PATH": f"{fake_dir}:/usr/bin:/bin", **env}
    p = subprocess.run(["sh", "-c", script], env=e, capture_output=True, cwd=fake_dir, timeout=10)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.decode())
    return json.loads(p.stdout.decode())


def check_k8s(res, uid):
    docs = {}
    for name in ("pvc.yaml", "configmap.yaml", "job-load.yaml", "job-merge.yaml"):
        try:
            d = load_yaml(name)
            ok = len(d) == 1 and all(k in d[0] for k in ("apiVersion", "kind", "metadata")) \
                and d[0]["metadata"].get("name")
        except (yaml.YAMLError, OSError) as e:
            d, ok = [], str(e)
        res.check(f"k8s/{name}: one resource with apiVersion, kind, name", ok is True or bool(ok))
        docs[name] = d[0] if d else {}
    pvc, cm, load, merge = (docs[n] for n in ("pvc.yaml", "configmap.yaml", "job-load.yaml",
                                              "job-merge.yaml"))
    res.check("pvc: ReadWriteMany PersistentVolumeClaim",
              pvc.get("kind") == "PersistentVolumeClaim"
              and "ReadWriteMany" in pvc["spec"]["accessModes"])
    data = cm.get("data", {})
    res.check("configmap: every value a string", cm.get("kind") == "ConfigMap"
              and all(isinstance(v, str) for v in data.values()), data)
    need = {"TARGET", "SHARDS", "CONNECTIONS", "RATE", "DURATION", "START_AT", "RUN_ID",
            "THRESHOLDS", "EXTRA_ARGS"}
    res.check("configmap: the load's keys", need <= set(data), need - set(data))
    res.check("load: batch/v1 Indexed Job", load.get("apiVersion") == "batch/v1"
              and load.get("kind") == "Job" and load["spec"].get("completionMode") == "Indexed")
    shards = int(data.get("SHARDS", "0"))
    res.check("load: completions = parallelism = SHARDS",
              load["spec"]["completions"] == load["spec"]["parallelism"] == shards > 0,
              (load["spec"]["completions"], load["spec"]["parallelism"], shards))
    for name, job in (("load", load), ("merge", merge)):
        p = pod(job)
        sc = p.get("securityContext", {})
        res.check(f"{name}: runs as non-root uid {uid} like the image",
                  sc.get("runAsNonRoot") is True and str(sc.get("runAsUser")) == uid, sc)
        res.check(f"{name}: restartPolicy Never, backoffLimit 0",
                  p["restartPolicy"] == "Never" and job["spec"]["backoffLimit"] == 0)
        c = p["containers"][0]
        res.check(f"{name}: reads the ConfigMap", [r["configMapRef"]["name"] for r in c["envFrom"]]
                  == [cm["metadata"]["name"]])
        vols = {v["name"]: v for v in p["volumes"]}
        mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
        res.check(f"{name}: the reports volume is the PVC, mounted at /reports",
                  all(vols[n]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
                      for n in mounts) and list(mounts.values()) == ["/reports"], mounts)

    # The commands, run with a stand-in wsprobe that prints its argv as JSON.
    with tempfile.TemporaryDirectory() as fake:
        with open(os.path.join(fake, "wsprobe"), "w") as f:
            f.write("#!/usr/bin/python3\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
        os.chmod(os.path.join(fake, "wsprobe"), 0o755)
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60))
        env = dict(data, START_AT=soon, RUN_ID="run-1")
        c = pod(load)["containers"][0]
        script = c["command"][-1] if len(c["command"]) > 2 else c["args"][0]
        argvs = []
        try:
            for k in range(shards):
                argvs.append(run_script(script, dict(env, JOB_COMPLETION_INDEX=str(k)), fake))
        except (RuntimeError, ValueError) as e:
            res.check("load: the command runs", False, str(e))
            return
        shard_args = [a[a.index("--shard") + 1] for a in argvs]
        res.check("load: completion index k becomes --shard k+1/N",
                  shard_args == [f"{k + 1}/{shards}" for k in range(shards)], shard_args)
        res.check("load: every shard waits for the same --start-at",
                  all(a[a.index("--start-at") + 1] == env["START_AT"] for a in argvs))
        reports = [a[a.index("--report") + 1] for a in argvs]
        res.check("load: each shard reports to its own folder on the volume",
                  reports == [f"/reports/run-1/shard-{k + 1}" for k in range(shards)], reports)
        res.check("load: ends with the target", all(a[-1] == data["TARGET"] for a in argvs)
                  and all(a[0] == "load" for a in argvs))
        # The real wsprobe accepts these options (checked up to the network:
        # --help after them stops it before any connection is made).
        for a in argvs:
            p = subprocess.run([WSPROBE, *a[:-1], "--help"], capture_output=True, timeout=10)
            res.check(f"load: wsprobe accepts shard {a[a.index('--shard') + 1]}'s options",
                      p.returncode == 0, p.stderr.decode()[-300:])
        try:
            margv = run_script(pod(merge)["containers"][0]["args"][0], env, fake)
        except (RuntimeError, ValueError) as e:
            res.check("merge: the command runs", False, str(e))
            return
        th = [margv[i + 1] for i, w in enumerate(margv) if w == "--threshold"]
        res.check("merge: report --merge of the shard folders into merged/",
                  margv[:2] == ["report", "--merge"]
                  and "/reports/run-1/shard-*/report.json" in margv
                  and margv[margv.index("-o") + 1] == "/reports/run-1/merged", margv)
        res.check("merge: one --threshold per THRESHOLDS word",
                  th == data["THRESHOLDS"].split(), th)
    p = subprocess.run(["sh", "-n", os.path.join(K8S, "launch.sh")], capture_output=True)
    res.check("launch.sh parses as sh", p.returncode == 0, p.stderr.decode())
    launch = open(os.path.join(K8S, "launch.sh")).read()
    res.check("launch.sh sets START_AT and RUN_ID and runs both Jobs",
              "START_AT" in launch and "RUN_ID" in launch and "job-load.yaml" in launch
              and "job-merge.yaml" in launch)


FAKE_KUBECTL = r"""#!/usr/bin/python3
# A stand-in kubectl: records its arguments; `get job NAME -o jsonpath=...`
# answers succeeded/failed/completions/Failed-condition as FAKE_LOAD or
# FAKE_MERGE say; `wait` does what kubectl wait --for=condition=complete does
# on a failed Job: it waits out its --timeout (at most 30 s here).
import os, sys, time
with open(os.environ["FAKE_LOG"], "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\n")
a = sys.argv[1:]
if a[:2] == ["get", "job"]:
    merge = a[2] == "wsprobe-merge"
    state = os.environ["FAKE_MERGE" if merge else "FAKE_LOAD"]
    n = 1 if merge else 3
    print({"failed": f"/1/{n}/True", "complete": f"{n}//{n}/", "running": f"//{n}/"}[state], end="")
elif a[:1] == ["wait"]:
    t = next(x.split("=", 1)[1] for x in a if x.startswith("--timeout="))
    time.sleep(min(float(t.rstrip("s")), 30))
    sys.exit(1)
"""


def check_launch(res):
    """launch.sh with a stand-in kubectl first on PATH."""
    with tempfile.TemporaryDirectory() as fake:
        with open(os.path.join(fake, "kubectl"), "w") as f:
            f.write(FAKE_KUBECTL)
        os.chmod(os.path.join(fake, "kubectl"), 0o755)
        runs = (("load Job failed", "failed", "complete", "20s", 2),
                ("load and merge Jobs complete", "complete", "complete", "20s", 0),
                ("merge Job failed (a threshold missed)", "complete", "failed", "20s", 1),
                ("load Job never finishes", "running", "complete", "2s", 2))
        for name, load, merge, timeout, want in runs:
            log = os.path.join(fake, name.replace(" ", "_") + ".log")
            env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}", FAKE_LOG=log,
                       FAKE_LOAD=load, FAKE_MERGE=merge, TIMEOUT=timeout, POLL="0.2", LEAD="5")
            t0 = time.monotonic()
            p = subprocess.run(["sh", os.path.join(K8S, "launch.sh")], env=env,
                               capture_output=True, timeout=120)
            took = time.monotonic() - t0
            calls = open(log).read() if os.path.exists(log) else ""
            limit = 10 if timeout == "20s" else 8
            res.check(f"launch.sh, {name}: exit {want} within {limit} s",
                      p.returncode == want and took < limit,
                      (p.returncode, round(took, 1), p.stderr.decode()[-300:]))
            if load != "complete":
                words = b"the load Job failed" if load == "failed" else b"did not finish within"
                res.check(f"launch.sh, {name}: says so and shows the shards' logs",
                          words in p.stderr and "logs --prefix" in calls, p.stderr[-200:])
            merged = "apply -f job-merge.yaml" in calls
            res.check(f"launch.sh, {name}: the merge Job {'runs' if load == 'complete' else 'is not started'}",
                      merged == (load == "complete"), calls[-400:])


def check_dockerignore(res):
    """The build context of `podman build -f deploy/Containerfile .` leaves
    out what a host built and the git history, and keeps every source."""
    path = os.path.join(ROOT, ".dockerignore")
    if not res.check(".dockerignore at the top of the repository (the build context)",
                     os.path.isfile(path)):
        return
    pats = [l.strip() for l in open(path) if l.strip() and not l.startswith("#")]

    def ignored(rel):
        # Docker's rules: a pattern matches the path or a folder above it;
        # '**' matches any number of folders.
        parts = rel.split("/")
        for pat in pats:
            rx = "^" + re.escape(pat).replace(r"\*\*/", "(.*/)?").replace(r"\*", "[^/]*") + "$"
            if any(re.match(rx, "/".join(parts[:i])) for i in range(1, len(parts) + 1)):
                return True
        return False

    out = ["build/san/wsprobe", "bin/wsprobe", ".git/HEAD", "tests/browser/node_modules/x/y.js",
           "tests/fuzz/corpus-run/frame/abc"]
    keep = ["Makefile", "scripts/deps.sh", "cases/01-framing.json", "ws/ws_frame.c",
            "reports/rp_assets.c", "deploy/Containerfile", "tests/browser/package.json"]
    res.check(".dockerignore leaves out build/, bin/, .git, node_modules, the fuzz corpus",
              all(ignored(x) for x in out), [x for x in out if not ignored(x)])
    res.check(".dockerignore keeps the sources the image is built from",
              not any(ignored(x) for x in keep), [x for x in keep if ignored(x)])


def check_readme(res):
    text = open(os.path.join(DEPLOY, "README.md")).read()
    res.check("deploy/README.md: 'Running from many machines' with Kubernetes and ssh/parallel",
              text.startswith("# Running from many machines") and "Kubernetes" in text
              and "parallel" in text and "ssh" in text)
    for cmd in (line for line in text.splitlines() if line.startswith("wsprobe report --merge")):
        res.check("README's merge command is valid shell", bool(shlex.split(cmd)))


def main():
    res = Results()
    uid = check_containerfile(res)
    check_k8s(res, uid)
    check_launch(res)
    check_dockerignore(res)
    check_readme(res)
    res.finish()


if __name__ == "__main__":
    main()
