#!/usr/bin/env python3
"""Writes a seed corpus for each fuzz target from the conformance vectors (tests/vectors/*.json)."""
import json, pathlib, sys

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus")
vectors = sorted(pathlib.Path("tests/vectors").glob("*.json"))
seeds = {"evaluate_json": [], "state_json": [], "dialects": [], "json_parse": [], "axerve_soap": []}
for path in vectors:
    try:
        cases = json.loads(path.read_text()).get("cases", [])
    except (json.JSONDecodeError, AttributeError):
        continue
    for case in cases:
        if "inputText" in case:
            seeds["evaluate_json"].append(case["inputText"])
            continue
        inp = case.get("input")
        if not isinstance(inp, dict):
            continue
        seeds["evaluate_json"].append(json.dumps(inp))
        if inp.get("agreement"):
            seeds["state_json"].append(json.dumps({**inp, "attemptId": "att_fuzz"}))
            seeds["state_json"].append(json.dumps({
                "agreement": inp["agreement"], "history": inp.get("history", {}),
                "outcome": {"attemptId": "att_fuzz", "at": inp["now"], "result": "declined",
                            "decline": {"code": "8026", "reason": "authentication_required"}},
            }))
# Dialect seeds: every processor document example kept as a fixture by the dialects crate.
for fixture in sorted(pathlib.Path("crates/dialects/tests/fixtures").rglob("*.json")):
    seeds["dialects"].append(fixture.read_text())
# Axerve's SOAP reader: document 003's envelopes.
for fixture in sorted(pathlib.Path("crates/dialects/tests/fixtures/axerve").glob("soap_*.xml")):
    seeds["axerve_soap"].append(fixture.read_text())
# The parser's differential target starts from every document the other targets see.
seeds["json_parse"] = seeds["evaluate_json"] + seeds["dialects"]
for target, texts in seeds.items():
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    for i, text in enumerate(texts):
        (d / f"vector-{i:04}.json").write_text(text)
    print(f"{target}: {len(texts)} seeds from {len(vectors)} vector files")
