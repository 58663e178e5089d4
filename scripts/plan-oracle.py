#!/usr/bin/env python3
"""Records what `terraform plan` says about the golden cases that use only
Terraform's built-in provider (`engine/testdata/builtin-*`).

Usage: scripts/plan-oracle.py [TERRAFORM]

For each case: `prior.tf` (when present) is applied first, then `main.tf`
is planned with `-detailed-exitcode`. The answer is written to the case's
`terraform.json`: the exit code, each `# <address> <what happens>` line,
the `Plan:` summary, and the summary line of each error and warning. A
case's `modules/` directory is copied beside its `main.tf`.
tests/e2e/golden.rs requires aigw's plan of the same case to agree.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = os.path.join(ROOT, "engine", "testdata")


def answer(text, code):
    """The parts of a plan's output that aigw must agree with."""
    return {
        "exit": code,
        "changes": re.findall(r"^ {1,2}# (\S+ .*)$", text, re.M),
        "summary": next(iter(re.findall(r"^(Plan: .*)$", text, re.M)), None),
        "errors": re.findall(r"^(?:│ )?Error: (.*)$", text, re.M),
        "warnings": re.findall(r"^(?:│ )?Warning: (.*)$", text, re.M),
    }


def run(tf, work, *args):
    env = dict(os.environ, TF_CLI_CONFIG_FILE=os.path.join(work, "cli.tfrc"), TF_IN_AUTOMATION="1")
    p = subprocess.run([tf, *args], cwd=work, env=env, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def record(tf, case):
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "cli.tfrc"), "w") as f:
            f.write('provider_installation {\n  direct {\n    exclude = ["*/*"]\n  }\n}\n')
        main = os.path.join(work, "main.tf")
        if os.path.isdir(os.path.join(case, "modules")):
            shutil.copytree(os.path.join(case, "modules"), os.path.join(work, "modules"))
        if os.path.exists(os.path.join(case, "prior.tf")):
            shutil.copy(os.path.join(case, "prior.tf"), main)
            code, out = run(tf, work, "apply", "-auto-approve", "-no-color", "-input=false")
            if code != 0:
                sys.exit(f"{case}: prior apply failed:\n{out}")
        shutil.copy(os.path.join(case, "main.tf"), main)
        run(tf, work, "init", "-input=false", "-no-color")
        code, out = run(tf, work, "plan", "-no-color", "-input=false", "-detailed-exitcode")
        with open(os.path.join(case, "terraform.json"), "w") as f:
            json.dump(answer(out, code), f, indent=2)
            f.write("\n")


def main():
    tf = sys.argv[1] if len(sys.argv) > 1 else "terraform"
    version = subprocess.run([tf, "version"], capture_output=True, text=True).stdout.splitlines()[0]
    for name in sorted(os.listdir(CASES)):
        if name.startswith("builtin-"):
            record(tf, os.path.join(CASES, name))
            print(f"{name}: recorded from {version}")


if __name__ == "__main__":
    main()
