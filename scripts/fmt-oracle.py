#!/usr/bin/env python3
"""Writes the fmt corpus and records `terraform fmt`'s answers.

Usage: scripts/fmt-oracle.py [TERRAFORM]

Sixty modules shaped like real gateway modules (variables with types,
defaults and validations, nested objects, for expressions, heredocs,
comments, long lists, resources with lifecycle blocks, outputs) are built
from a fixed seed, then disarranged as hands and generators leave files:
indentation and alignment collapsed, commas unspaced, references wrapped
in interpolation-only strings, legacy quoted types, trailing spaces. The
disarranged files go to tests/fmt/input/, and what `terraform fmt` makes
of each to tests/fmt/terraform/; tests/e2e/fmt.rs requires `aigw fmt` to
write the same bytes.
"""
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fmt")
TEAMS = ["search", "chat", "support", "billing", "ranking", "ads", "growth", "infra", "data", "mobile"]
PROVIDERS = ["openai", "anthropic", "workers-ai", "google-ai-studio", "azure-openai", "groq", "mistral"]
MODELS = ["gpt-4o-mini", "claude-3-5-haiku", "llama-3.1-8b", "gemini-1.5-flash", "mixtral-8x7b"]


def terraform_block(r):
    alias = r.random() < 0.5
    out = '# Providers this module needs.\nterraform {\n  required_version = ">= 1.5"\n  required_providers {\n'
    out += '    aigw = {\n      source  = "aigw/aigw"\n      version = "~> 0.1"\n    }\n  }\n}\n\n'
    out += 'provider "aigw" {\n  base_url   = var.base_url\n  api_token  = var.api_token # from the environment\n}\n'
    if alias:
        out += '\nprovider "aigw" {\n  alias    = "west"\n  base_url = "https://west.example.com"\n}\n'
    return out


def variables(r):
    teams = r.sample(TEAMS, r.randint(2, 6))
    out = ""
    out += f'variable "teams" {{\n  description = "The teams that get a gateway."\n  type        = list(string)\n'
    out += "  default = [\n" + "".join(f'    "{t}",\n' for t in teams) + "  ]\n\n"
    out += '  validation {\n    condition     = length(var.teams) > 0 && alltrue([for t in var.teams : can(regex("^[a-z-]+$", t))])\n'
    out += '    error_message = "Each team name is lower case letters and dashes."\n  }\n}\n\n'
    out += 'variable "cache_ttl" {\n  type    = number\n  default = %d\n\n  validation {\n' % r.choice([60, 300, 3600])
    out += '    condition     = var.cache_ttl >= 60 && var.cache_ttl <= 86400\n'
    out += '    error_message = "The cache TTL is between a minute and a day."\n  }\n}\n\n'
    out += 'variable "limits" {\n  description = "Requests per window, per team."\n  type = map(object({\n'
    out += '    limit     = number\n    window    = optional(number, 60)\n    technique = optional(string, "sliding")\n  }))\n'
    out += "  default = {\n"
    for t in teams[:3]:
        out += f'    {t} = {{ limit = {r.randint(10, 500)}, window = {r.choice([60, 120, 3600])} }}\n'
    out += "  }\n}\n\n"
    out += 'variable "api_token" {\n  type      = string\n  sensitive = true\n  default   = null\n}\n\n'
    out += 'variable "base_url" {\n  type    = string\n  default = "http://127.0.0.1:8787"\n}\n'
    if r.random() < 0.5:
        out += '\nvariable "tags" {\n  type = map(string)\n  default = {\n    owner = "platform"\n    env   = "prod"\n    "cost-center" = "ai-1234"\n  }\n}\n'
    return out


def locals_block(r):
    out = "locals {\n"
    out += '  # Every gateway, keyed by team.\n'
    out += '  gateways = { for t in var.teams : t => {\n    id    = "gw-${t}"\n    ttl   = var.cache_ttl\n    logs  = true\n    model = "%s"\n  } }\n' % r.choice(MODELS)
    out += '  prefix = "aigw"\n  env = terraform.workspace == "default" ? "prod" : terraform.workspace\n'
    out += '  names = [for k, v in local.gateways : "${local.prefix}-${k}"]\n'
    out += '  steps = [\n' + "".join(
        f'    {{ provider = "{p}", model = "{r.choice(MODELS)}", retries = {r.randint(0, 3)} }},\n'
        for p in r.sample(PROVIDERS, r.randint(2, 4))) + "  ]\n"
    if r.random() < 0.6:
        out += '  policy = <<-EOT\n    Gateways for ${join(", ", var.teams)}.\n      Cache: ${var.cache_ttl}s\n  EOT\n'
    if r.random() < 0.5:
        out += '  banner = <<EOT\n# not a comment\n%{ for t in var.teams ~}\n- ${t}\n%{ endfor ~}\nEOT\n'
    out += '  by_provider = { for s in local.steps : s.provider => s.model... }\n'
    out += '  n = -1\n  sum = 1 + 2 * 3 - -4\n  ok = !false && (1 < 2 || 3 >= 4)\n'
    out += '  first = try(local.steps[0].provider, null)\n  split = split(",", "a,b,c")\n'
    out += "}\n"
    return out


def resources(r):
    out = ""
    out += '/* One gateway per team.\n   Names are stable: renaming a team replaces its gateway. */\n'
    out += 'resource "aigw_gateway" "team" {\n  for_each = local.gateways\n\n  account_id = var.account_id\n'
    out += '  id = each.value.id\n  cache_ttl = each.value.ttl\n  collect_logs = each.value.logs\n'
    out += '  rate_limiting_interval = 60\n  rate_limiting_limit = lookup(var.limits, each.key, { limit = 100 }).limit\n\n'
    out += '  lifecycle {\n    prevent_destroy = %s\n    ignore_changes = [\n      cache_ttl,\n    ]\n  }\n}\n\n' % r.choice(["true", "false"])
    out += 'resource "aigw_fallback" "chat" {\n  for_each   = aigw_gateway.team\n  account_id = var.account_id\n'
    out += '  gateway_id = each.value.id\n  name       = "chat"\n  steps      = local.steps\n'
    out += '  depends_on = [aigw_gateway.team]\n}\n'
    if r.random() < 0.5:
        out += '\nresource "aigw_cache" "shared" {\n  count      = length(var.teams) > 2 ? 1 : 0\n  account_id = var.account_id\n'
        out += '  gateway_id = aigw_gateway.team[var.teams[0]].id\n  ttl        = var.cache_ttl * 2 // twice as long\n}\n'
    if r.random() < 0.4:
        out += '\nmodule "extra" {\n  source = "./modules/extra"\n  teams  = var.teams\n  providers = {\n    aigw = aigw.west\n  }\n}\n'
    return out


def outputs(r):
    out = 'output "gateway_ids" {\n  description = "Gateway IDs by team."\n  value = { for k, g in aigw_gateway.team : k => g.id }\n}\n\n'
    out += 'output "first_gateway" {\n  value = aigw_gateway.team[var.teams[0]].id\n}\n\n'
    out += 'output "token" {\n  value     = var.api_token\n  sensitive = true\n}\n'
    if r.random() < 0.5:
        out += '\noutput "urls" {\n  value = [\n    for k in keys(aigw_gateway.team) :\n    "${var.base_url}/v1/${var.account_id}/${k}/openai"\n  ]\n}\n'
    return out


def module(i):
    r = random.Random(i)
    parts = [terraform_block, variables, locals_block, resources, outputs]
    if i % 3 == 1:
        parts = [variables, locals_block]
    elif i % 3 == 2:
        parts = [resources, outputs, locals_block]
    text = "\n".join(p(r) for p in parts)
    if i % 5 == 0:
        text += '\nvariable "account_id" {\n  type    = string\n  default = "0123456789abcdef0123456789abcdef"\n}\n'
    return text


def outside_strings(line, fn):
    """Applies fn to the parts of a line outside quoted strings."""
    out, buf, q, esc = [], "", False, False
    for c in line:
        if q:
            buf += c
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                q = False
                out.append(buf)
                buf = ""
            continue
        if c == '"':
            out.append(fn(buf))
            buf = c
            q = True
            continue
        buf += c
    out.append(buf if q else fn(buf))
    return "".join(out)


def disarrange(text, i):
    r = random.Random(1000 + i)
    lines, out, heredoc = text.split("\n"), [], None
    for line in lines:
        if heredoc:
            out.append(line)
            if line.strip() == heredoc:
                heredoc = None
            continue
        m = re.search(r"<<-?(\w+)$", line)
        if m:
            heredoc = m.group(1)
        if "/*" in line or line.strip().startswith(("Names", "*")):
            out.append(line)
            continue
        s = line.strip() if r.random() < 0.7 else "   " + line.strip()
        s = re.sub(r"^([\w\"-]+)\s+=\s+(?![=>])", lambda m: m.group(1) + r.choice(["=", " =", "=  ", "   =   "]), s)
        if r.random() < 0.6:
            s = outside_strings(s, lambda p: p.replace(", ", ","))
        m = re.match(r"^([\w-]+\s*=\s*)((?:var|local|each)\.[\w.]+)$", s)
        if m and r.random() < 0.7:
            s = f'{m.group(1)}"${{{m.group(2)}}}"'
        if re.match(r"^type\s*=\s*(string|number)$", s) and r.random() < 0.6:
            s = re.sub(r"(string|number)$", r'"\1"', s)
        if s and not heredoc and r.random() < 0.1:
            s += "   "
        out.append(s)
    return "\n".join(out)


def main():
    tf = sys.argv[1] if len(sys.argv) > 1 else "terraform"
    for d in ("input", "terraform"):
        shutil.rmtree(os.path.join(OUT, d), ignore_errors=True)
        os.makedirs(os.path.join(OUT, d))
    work = tempfile.mkdtemp(prefix="aigw-fmt-")
    for i in range(60):
        name = f"{i:02d}-module.tf"
        text = disarrange(module(i), i)
        for d in ("input",):
            with open(os.path.join(OUT, d, name), "w", encoding="utf-8") as f:
                f.write(text)
        with open(os.path.join(work, name), "w", encoding="utf-8") as f:
            f.write(text)
    for extra, text in [("60-empty.tf", ""), ("61-comments-only.tf", "# only\n\n// comments\n/* and a block */\n")]:
        for d in (os.path.join(OUT, "input"), work):
            with open(os.path.join(d, extra), "w", encoding="utf-8") as f:
                f.write(text)
    env = dict(os.environ, TF_CLI_CONFIG_FILE=os.devnull, CHECKPOINT_DISABLE="1")
    r = subprocess.run([tf, "fmt", "-no-color", "."], cwd=work, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr, file=sys.stderr)
        sys.exit(1)
    for name in sorted(os.listdir(work)):
        shutil.copy(os.path.join(work, name), os.path.join(OUT, "terraform", name))
    shutil.rmtree(work)
    version = subprocess.run([tf, "version"], capture_output=True, text=True).stdout.splitlines()[0]
    with open(os.path.join(OUT, "VERSION"), "w", encoding="utf-8") as f:
        f.write(version + "\n")
    print(f"{len(os.listdir(os.path.join(OUT, 'input')))} files formatted by {version} -> tests/fmt/terraform/")


if __name__ == "__main__":
    main()
