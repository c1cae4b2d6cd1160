#!/usr/bin/env bash
# Checks the files in grafana/ without any server running:
#   1. `promtool check rules` accepts grafana/partitiond-alerts.yml, and `promtool test rules` passes
#      the unit tests in grafana/partitiond-alerts.test.yml;
#   2. grafana/partitiond.json is valid JSON, every panel (rows excepted) has a non-empty description
#      and at least one query, every query uses the ${datasource} variable and filters by
#      database=~"$database", and every query is valid PromQL (fed to `promtool check rules` as
#      recording rules, with Grafana's variables replaced);
#   3. every alert has severity critical|warning, summary, description and a runbook_url whose
#      anchor is a heading of grafana/RUNBOOK.md, and every RUNBOOK.md alert section is used;
#   4. every metric name in the dashboard queries and alert expressions is in the contract list of
#      daemon/metrics/metrics.h (alerts may also use Prometheus' own `up`).
# Usage: tests/grafana/check-rules.sh [SOURCE_DIR]   (default: this checkout)
set -euo pipefail

src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
rules=$src/grafana/partitiond-alerts.yml
tests=$src/grafana/partitiond-alerts.test.yml
dashboard=$src/grafana/partitiond.json
runbook=$src/grafana/RUNBOOK.md
contract=$src/daemon/metrics/metrics.h

fail() {
  echo "check-rules: FAIL: $*" >&2
  exit 1
}

command -v promtool >/dev/null || fail "promtool not found (Debian package prometheus; see scripts/install-deps)"
# Debian's interpreter, which has python3-yaml (a python3 earlier on PATH may not).
python=/usr/bin/python3
[[ -x $python ]] || python=python3
"$python" -c 'import yaml' 2>/dev/null || fail "$python cannot import yaml (Debian package python3-yaml)"
for f in "$rules" "$tests" "$dashboard" "$runbook" "$contract"; do
  [[ -f $f ]] || fail "missing $f"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=()

# --- 1. promtool on the alert rules ------------------------------------------------------------
promtool check rules "$rules" >"$work/out" 2>&1 || { cat "$work/out" >&2; failed+=("promtool check rules"); }
# promtool resolves rule_files relative to the test file's directory.
promtool test rules "$tests" >"$work/out" 2>&1 || { cat "$work/out" >&2; failed+=("promtool test rules"); }

# --- 2-4. Structure, runbook anchors, metric names ------------------------------------------------
"$python" - "$rules" "$dashboard" "$runbook" "$contract" "$work/dashboard-rules.yml" <<'PY' || failed+=("structure and names")
import json
import re
import sys

import yaml

rules_path, dashboard_path, runbook_path, contract_path, out_rules = sys.argv[1:6]
errors = []

# The contract: every partitiond_* name in the leading comment block of metrics.h (wherever a
# reflow put it on the line), plus _bucket/_sum/_count for the one marked "(histogram)".
header = []
for line in open(contract_path, encoding="utf-8"):
    if not line.lstrip().startswith("//"):
        break
    header.append(line.lstrip()[2:])
header = " ".join(header)
contract = {}
for found in re.finditer(r"\b(partitiond_[a-z0-9_]+)(\{[^}]*\})?(\s*\(histogram\))?", header):
    if contract.get(found.group(1)) != "histogram":
        contract[found.group(1)] = "histogram" if found.group(3) else "other"
if len(contract) < 10:
    sys.exit(f"check-rules: FAIL: only {len(contract)} metric names found in {contract_path}")
known = set(contract)
for name, kind in contract.items():
    if kind == "histogram":
        known |= {name + "_bucket", name + "_sum", name + "_count"}

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
            "and", "or", "unless", "inf", "nan", "atan2", "le"}

def metric_names(expr):
    """Metric names in a PromQL expression (label names, values, functions, keywords removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)             # string literals
    text = re.sub(r"\{[^}]*\}", "{}", text)                      # label matchers
    text = re.sub(r"\[[^\]]*\]", "[]", text)                     # range/subquery durations
    # Grouping and matching clauses with their label lists (so "max without (x) (m)" reads "max (m)").
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{?\w+\}?", "", text)                      # Grafana variables
    names = set()
    for match in re.finditer(r"(?<![\w.])([A-Za-z_:][\w:]*)\s*(\()?", text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in KEYWORDS:
            continue
        names.add(word)
    return names

def check_names(where, expr, allowed_extra=()):
    for name in sorted(metric_names(expr)):
        if name not in known and name not in allowed_extra:
            errors.append(f"{where}: metric {name!r} is not in the contract ({contract_path})")

# Runbook anchors: GitHub's slugs of the headings.
def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")

anchors = set()
for line in open(runbook_path, encoding="utf-8"):
    heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
    if heading:
        anchors.add(slug(heading.group(1)))

# Alert rules.
rules = yaml.safe_load(open(rules_path, encoding="utf-8"))
groups = {g["name"]: g for g in rules.get("groups", [])}
if "partitiond" not in groups:
    errors.append(f"{rules_path}: no rule group named partitiond")
alert_anchors = set()
alerts = 0
for group in rules.get("groups", []):
    for rule in group.get("rules", []):
        name = rule.get("alert") or rule.get("record")
        where = f"{rules_path}: {name}"
        check_names(where, rule["expr"], allowed_extra=("up",))
        if "alert" not in rule:
            continue
        alerts += 1
        if rule.get("labels", {}).get("severity") not in ("critical", "warning"):
            errors.append(f"{where}: label severity must be critical or warning")
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            if not str(annotations.get(key, "")).strip():
                errors.append(f"{where}: annotation {key} is missing or empty")
        url = annotations.get("runbook_url", "")
        found = re.match(r"^https?://\S+/grafana/RUNBOOK\.md#([\w-]+)$", url)
        if not found:
            errors.append(f"{where}: runbook_url {url!r} does not point to a section of grafana/RUNBOOK.md")
        elif found.group(1) not in anchors:
            errors.append(f"{where}: runbook_url anchor #{found.group(1)} is not a heading of {runbook_path}")
        else:
            alert_anchors.add(found.group(1))
if alerts == 0:
    errors.append(f"{rules_path}: no alerts")

# Every "## " section of the runbook but the introduction is reached from an alert.
sections = [slug(m.group(1)) for m in re.finditer(r"^##\s+(.*?)\s*$", open(runbook_path, encoding="utf-8").read(), re.M)]
for section in sections:
    if section not in alert_anchors and section != "before-you-start":
        errors.append(f"{runbook_path}: section #{section} is not the runbook_url of any alert")

# Dashboard.
try:
    dashboard = json.load(open(dashboard_path, encoding="utf-8"))
except json.JSONDecodeError as e:
    sys.exit(f"check-rules: FAIL: {dashboard_path}: invalid JSON: {e}")

variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
if variables.get("datasource", {}).get("type") != "datasource" or variables["datasource"].get("query") != "prometheus":
    errors.append(f"{dashboard_path}: no datasource variable of type datasource / query prometheus")
for name in ("database", "table"):
    v = variables.get(name)
    if not v or not (v.get("multi") and v.get("includeAll")) or "partitiond_partitions" not in json.dumps(v.get("query")):
        errors.append(f"{dashboard_path}: variable {name} must be multi, include All, from label_values(partitiond_partitions)")

def all_panels(panels):
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))

recording = []
ids = set()
for panel in all_panels(dashboard.get("panels", [])):
    title = panel.get("title", "")
    where = f"{dashboard_path}: panel {panel.get('id')} {title!r}"
    if panel.get("id") in ids:
        errors.append(f"{where}: duplicate id")
    ids.add(panel.get("id"))
    if panel.get("type") == "row":
        continue
    if not str(panel.get("description", "")).strip():
        errors.append(f"{where}: no description")
    if panel.get("datasource", {}).get("uid") != "${datasource}":
        errors.append(f"{where}: datasource is not ${{datasource}}")
    targets = panel.get("targets", [])
    if not targets:
        errors.append(f"{where}: no queries")
    for target in targets:
        expr = target.get("expr", "")
        twhere = f"{where} query {target.get('refId')}"
        if not expr.strip():
            errors.append(f"{twhere}: empty expr")
            continue
        if target.get("datasource", {}).get("uid") != "${datasource}":
            errors.append(f"{twhere}: datasource is not ${{datasource}}")
        if 'database=~"$database"' not in expr:
            errors.append(f"{twhere}: does not filter by database=~\"$database\"")
        check_names(twhere, expr)
        concrete = (expr.replace("$database", ".*").replace("$table", ".*")
                        .replace("$__rate_interval", "5m").replace("$__range", "1h"))
        if "$" in concrete:
            errors.append(f"{twhere}: unknown Grafana variable in {expr!r}")
        recording.append({"record": f"dashboard:panel{panel.get('id')}:{target.get('refId')}", "expr": concrete})

with open(out_rules, "w", encoding="utf-8") as f:
    yaml.safe_dump({"groups": [{"name": "dashboard", "rules": recording}]}, f, sort_keys=False)

if errors:
    for e in errors:
        print(f"check-rules: {e}", file=sys.stderr)
    sys.exit(1)
print(f"check-rules: {alerts} alerts, {len(recording)} dashboard queries, {len(contract)} contract metrics: names ok")
PY

# Dashboard queries parse as PromQL (written by the step above unless the JSON was unreadable).
if [[ -s $work/dashboard-rules.yml ]]; then
  promtool check rules "$work/dashboard-rules.yml" >"$work/out" 2>&1 || {
    cat "$work/out" >&2
    failed+=("dashboard PromQL (Grafana variables replaced)")
  }
fi

if [[ ${#failed[@]} -gt 0 ]]; then
  list=$(printf '%s, ' "${failed[@]}")
  fail "${list%, }"
fi
echo "check-rules: OK"
