"""Did Schemathesis's stateful phase reach an operation with a given status?

Reads the NDJSON event report (`--report ndjson`) and counts, per phase, the recorded interactions whose
request is METHOD PATH and whose response has STATUS. Fails unless the stateful phase has at least one.

Usage: stateful_reached.py REPORT.ndjson "POST /v1/charges" 200
"""

import json
import sys
from collections import Counter
from urllib.parse import urlsplit

report, target, status = sys.argv[1], sys.argv[2], int(sys.argv[3])
method, path = target.split(" ", 1)
by_phase = Counter()
stateful_steps = Counter()


def phase_of(event, inherited):
    for key in ("phase", "phase_name"):
        value = event.get(key) if isinstance(event, dict) else None
        if isinstance(value, dict):
            value = value.get("name") or value.get("value")
        if isinstance(value, str):
            return value.lower()
    return inherited


def walk(node, phase):
    if isinstance(node, dict):
        phase = phase_of(node, phase)
        request, response = node.get("request"), node.get("response")
        if isinstance(request, dict) and isinstance(response, dict):
            url = request.get("uri") or request.get("url") or ""
            code = response.get("status_code", response.get("status"))
            if phase and "stateful" in phase:
                stateful_steps[f"{request.get('method')} {urlsplit(url).path} -> {code}"] += 1
            if request.get("method") == method and urlsplit(url).path == path and code == status:
                by_phase[phase or "?"] += 1
        for value in node.values():
            walk(value, phase)
    elif isinstance(node, list):
        for value in node:
            walk(value, phase)


with open(report, encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if line:
            walk(json.loads(line), None)

print(f"contract: {target} -> {status} by phase: {dict(by_phase) or 'none'}")
reached = sum(n for p, n in by_phase.items() if "stateful" in p)
if not reached:
    top = ", ".join(f"{k} x{n}" for k, n in stateful_steps.most_common(12))
    print(f"contract: the stateful phase never reached {target} with {status}; its steps: {top or 'none'}",
          file=sys.stderr)
    sys.exit(1)
print(f"contract: the stateful phase reached {target} with {status} {reached} times")
