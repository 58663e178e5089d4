#!/usr/bin/env python3
"""Records Terraform's answers for the language corpus.

Usage: scripts/lang-oracle.py [TERRAFORM] [-o tests/lang/terraform-1.11.json]

Every expression of tests/lang/corpus.txt becomes an output of one
configuration (with tests/lang/prelude.tf and tests/lang/files beside it);
`terraform apply` and `terraform output -json` give each value and type.
Each line marked "! " goes in a configuration of its own, and `terraform
apply` must fail; its first error summary is recorded. tests/e2e/lang.rs
compares aigw with the file this writes, so CI never needs Terraform's
answers regenerated.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LANG = os.path.join(ROOT, "tests", "lang")


def corpus():
    cases = []
    with open(os.path.join(LANG, "corpus.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            if line.startswith("! "):
                cases.append({"expr": line[2:], "error": True})
            else:
                cases.append({"expr": line, "error": False})
    return cases


def workdir(outputs):
    d = tempfile.mkdtemp(prefix="aigw-lang-")
    shutil.copy(os.path.join(LANG, "prelude.tf"), d)
    shutil.copytree(os.path.join(LANG, "files"), os.path.join(d, "files"))
    with open(os.path.join(d, "outputs.tf"), "w", encoding="utf-8") as f:
        f.write(outputs)
    with open(os.path.join(d, "cli.tfrc"), "w", encoding="utf-8") as f:
        f.write('provider_installation {\n  direct {\n    exclude = ["*/*"]\n  }\n}\n')
    return d


def run(tf, d, *args):
    env = dict(os.environ, TF_CLI_CONFIG_FILE=os.path.join(d, "cli.tfrc"), TF_IN_AUTOMATION="1",
               CHECKPOINT_DISABLE="1", TF_INPUT="0", NO_COLOR="1")
    return subprocess.run([tf, *args, "-no-color"] if args[0] in ("plan", "apply") else [tf, *args],
                          cwd=d, env=env, capture_output=True, text=True)


def output_block(i, expr):
    return f'output "e{i:04d}" {{\n  value = {expr}\n}}\n'


def valid(tf, cases):
    text = "".join(output_block(i, c["expr"]) for i, c in enumerate(cases) if not c["error"])
    d = workdir(text)
    r = run(tf, d, "apply", "-auto-approve", "-input=false")
    if r.returncode != 0:
        bad = sorted(set(re.findall(r'in output "e(\d+)"', r.stderr)))
        for b in bad:
            print(f"terraform refused line: {cases[int(b)]['expr']}", file=sys.stderr)
        print(r.stderr[-4000:], file=sys.stderr)
        sys.exit(1)
    out = json.loads(run(tf, d, "output", "-json").stdout)
    shutil.rmtree(d)
    for i, c in enumerate(cases):
        if c["error"]:
            continue
        del c["error"]
        o = out.get(f"e{i:04d}")
        if o is None:
            c["null"] = True
        else:
            c["value"] = o["value"]
            c["type"] = o["type"]


def planned(tf):
    """Terraform's plan of the unknown-value corpus: after, after_unknown."""
    cases = []
    with open(os.path.join(LANG, "unknown.txt"), encoding="utf-8") as f:
        cases = [{"expr": l.rstrip("\n")} for l in f if l.strip() and not l.startswith("#")]
    d = workdir("".join(output_block(i, c["expr"]) for i, c in enumerate(cases)))
    r = run(tf, d, "plan", "-input=false", "-out=p.tfplan")
    if r.returncode != 0:
        print(r.stderr[-4000:], file=sys.stderr)
        sys.exit(1)
    shown = json.loads(run(tf, d, "show", "-json", "p.tfplan").stdout)
    shutil.rmtree(d)
    for i, c in enumerate(cases):
        o = shown["output_changes"][f"e{i:04d}"]
        c["after"] = o.get("after")
        c["after_unknown"] = o.get("after_unknown")
    return cases


def console(tf):
    """terraform console's printed answer for each line of console.txt."""
    with open(os.path.join(LANG, "console.txt"), encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
    d = workdir("")
    out = []
    for line in lines:
        env = dict(os.environ, TF_CLI_CONFIG_FILE=os.path.join(d, "cli.tfrc"), CHECKPOINT_DISABLE="1")
        r = subprocess.run([tf, "console"], cwd=d, env=env, input=line + "\n", capture_output=True, text=True)
        out.append({"expr": line, "printed": r.stdout})
    shutil.rmtree(d)
    return out


def failing(tf, c):
    d = workdir(output_block(0, c["expr"]))
    r = run(tf, d, "apply", "-auto-approve", "-input=false")
    shutil.rmtree(d)
    if r.returncode == 0:
        return c["expr"], None
    m = re.search(r"Error: (.*)", r.stderr)
    return c["expr"], m.group(1).strip() if m else r.stderr.strip()[:200]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("terraform", nargs="?", default="terraform")
    ap.add_argument("-o", "--output", default=None)
    args = ap.parse_args()
    version = json.loads(subprocess.run([args.terraform, "version", "-json"], capture_output=True,
                                        text=True).stdout)["terraform_version"]
    out = args.output or os.path.join(LANG, f"terraform-{'.'.join(version.split('.')[:2])}.json")
    cases = corpus()
    valid(args.terraform, cases)
    errors = [c for c in cases if c.get("error")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        answers = dict(pool.map(lambda c: failing(args.terraform, c), errors))
    ok = True
    for c in errors:
        msg = answers[c["expr"]]
        if msg is None:
            print(f"terraform accepted an error line: {c['expr']}", file=sys.stderr)
            ok = False
        c["error"] = msg
    if not ok:
        sys.exit(1)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"terraform": version, "cases": cases, "planned": planned(args.terraform),
                   "console": console(args.terraform)}, f, indent=1,
                  ensure_ascii=False)
        f.write("\n")
    print(f"{len(cases)} cases ({len(errors)} errors) from terraform {version} -> {os.path.relpath(out, ROOT)}")


if __name__ == "__main__":
    main()
