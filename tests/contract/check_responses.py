"""The Worker's answers against openapi.yaml, with every object closed.

Sends one scripted request per documented answer (each operation, its success and its errors) to a running
Worker and validates each answer's body against the schema openapi.yaml gives for that operation and status,
after closing every object schema that lists its properties (`additionalProperties: false` wherever the
document does not say otherwise). So a field the Rust types serialize and the document does not describe, a
field the document marks `required` and the answer lacks, a wrong type or enum value, or an undocumented
status fails here: the response types and the document cannot drift apart.

Usage: check_responses.py BASE_URL MERCHANT_KEY   (scripts/test-contract.sh runs it against `make dev`).
"""

import copy
import json
import sys
import urllib.error
import urllib.request
import uuid

import jsonschema
import yaml

BASE, KEY = sys.argv[1].rstrip("/"), sys.argv[2]
with open("openapi.yaml", encoding="utf-8") as f:
    DOC = yaml.safe_load(f)


def resolve(node, seen=()):
    """The schema with every local `$ref` inlined (the document has no recursive schema)."""
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                raise ValueError(f"recursive {ref}")
            target = DOC
            for part in ref.removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            merged = resolve(target, seen + (ref,))
            return {**merged, **resolve(rest, seen)} if rest else merged
        return {k: resolve(v, seen) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, seen) for v in node]
    return node


def closed(schema):
    """Every object schema (`type: object`) that lists properties refuses any other member. Branches of
    `anyOf` / `oneOf` / `dependentSchemas` that only constrain some members (no `type`) are left open."""
    if isinstance(schema, dict):
        out = {k: closed(v) for k, v in schema.items()}
        types = out.get("type")
        is_object = types == "object" or (isinstance(types, list) and "object" in types)
        if is_object and "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [closed(v) for v in schema]
    return schema


def response_schema(path, method, status):
    op = DOC["paths"][path][method]
    responses = op["responses"]
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        raise AssertionError(f"{method.upper()} {path}: status {status} is not documented")
    response = resolve(response)
    content = response.get("content", {}).get("application/json")
    return None if content is None else closed(content["schema"])


CHECKED = []
FAILURES = []


def call(method, url, body=None, headers=None, key=True, raw=None):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(BASE + url, data=data, method=method.upper())
    if data is not None:
        req.add_header("content-type", "application/json")
    if key:
        req.add_header("X-Mitgate-Key", KEY)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def check(template, method, url, expect, body=None, headers=None, key=True, raw=None):
    """One request; its status must be `expect` and its body must conform to the closed schema."""
    status, hdrs, payload = call(method, url, body, headers, key, raw)
    label = f"{method.upper()} {url[:60]} -> {status}"
    lower = {k.lower(): v for k, v in hdrs.items()}
    try:
        assert status == expect, f"expected {expect}, body {payload[:300]!r}"
        assert lower.get("x-mitgate-request-id", "").startswith("req_"), "no X-Mitgate-Request-Id"
        schema = response_schema(template, method, status)
        value = json.loads(payload) if payload else None
        if schema is not None:
            validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
            errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
            assert not errors, "; ".join(
                f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:200]}" for e in errors[:5]
            )
        CHECKED.append((template, method, status))
        print(f"  ok   {label}")
        return value, lower
    except AssertionError as e:
        FAILURES.append(f"{label}: {e}")
        print(f"  FAIL {label}: {e}")
        return None, lower


def agreement(aid, customer="customer-contract", currency="USD"):
    return {
        "agreement": {
            "id": aid,
            "merchantId": MERCHANT,
            "customerId": customer,
            "type": "unscheduled",
            "established": {"method": "cvv_purchase", "at": "2026-01-05T10:00:00Z",
                            "amount": {"amount": "20.00", "currency": currency}},
            "currency": currency,
            "paymentMethod": {"type": "card", "brand": "visa"},
            "credential": {"token": f"tok_{aid}", "cardExpiry": "2030-12", "last4": "4242"},
            "consent": {"storeCredential": True, "merchantInitiated": True},
        },
        "history": {"payments": [{"id": aid, "at": "2026-01-05T10:00:00Z",
                                  "amount": {"amount": "20.00", "currency": currency}, "cvvVerified": True}]},
        "dialect": "coinflow",
    }


print(f"contract: answers of {BASE} against openapi.yaml (objects closed)")
check("/", "get", "/", 200, key=False)
_, h = check("/v1/policy", "get", "/v1/policy", 401, key=False)
policy = {"enabled": True, "maxCount": 3, "period": 86400, "maxMultiple": 3, "expiration": 31536000,
          "maxZeroAuthAmount": {"cents": 2000}, "maxAmountLookback": 31536000}
_, h = check("/v1/policy", "put", "/v1/policy", 200, policy)
MERCHANT = h.get("x-mitgate-merchant")
if not MERCHANT:
    FAILURES.append("no X-Mitgate-Merchant on an authenticated answer")
    MERCHANT = "demo"
check("/v1/policy", "get", "/v1/policy", 200)
check("/v1/policy", "put", "/v1/policy", 400, {"maxCount": 5})
check("/v1/policy", "put", "/v1/policy", 413, raw=b"{" + b" " * 70000 + b"}")

run = uuid.uuid4().hex[:10]
aid = f"pay_contract_{run}"
check("/v1/agreements/{id}", "put", f"/v1/agreements/{aid}", 201, agreement(aid))
check("/v1/agreements/{id}", "put", f"/v1/agreements/{aid}", 200, agreement(aid))
check("/v1/agreements/{id}", "put", f"/v1/agreements/{aid}", 400, {"agreement": {"id": aid}})
other = agreement(aid)
other["agreement"]["merchantId"] = "someone-else"
check("/v1/agreements/{id}", "put", f"/v1/agreements/{aid}", 403, other)
check("/v1/agreements/{id}", "get", f"/v1/agreements/{aid}", 200)
check("/v1/agreements/{id}", "get", f"/v1/agreements/unknown-{run}", 404)
check("/v1/agreements/{id}", "get", "/v1/agreements/" + "a" * 520, 400)
check("/v1/agreements/{id}", "get", "/v1/agreements/a%20b", 400)
check("/v1/agreements/{id}/limits", "get", f"/v1/agreements/{aid}/limits", 200)
check("/v1/customers/{customerId}/agreements", "get", "/v1/customers/customer-contract/agreements", 200)
check("/v1/customers/{customerId}/agreements", "get", "/v1/customers/" + "c" * 300 + "/agreements", 400)

charge = {"reference": aid, "customerId": "customer-contract", "amount": {"amount": "10.00", "currency": "USD"}}
check("/v1/decisions", "post", "/v1/decisions", 200, charge)
check("/v1/decisions", "post", "/v1/decisions", 400, {"reference": aid, "amount": {"amount": 10, "currency": "USD"}})
check("/v1/decisions", "post", "/v1/decisions", 403, {**charge, "merchantId": "someone-else"})
evaluation = {"now": "2026-03-01T00:00:00Z", "policy": policy, "agreement": agreement(aid)["agreement"],
              "history": agreement(aid)["history"], "request": {**charge, "merchantId": MERCHANT}}
check("/v1/decisions/evaluate", "post", "/v1/decisions/evaluate", 200, evaluation)
check("/v1/decisions/evaluate", "post", "/v1/decisions/evaluate", 400, {"now": "yesterday"})

key = f"idem-{run}"
approved, _ = check("/v1/charges", "post", "/v1/charges", 200, charge, {"Idempotency-Key": key})
check("/v1/charges", "post", "/v1/charges", 200, charge, {"Idempotency-Key": key})
check("/v1/charges", "post", "/v1/charges", 422, {**charge, "amount": {"amount": "11.00", "currency": "USD"}},
      {"Idempotency-Key": key})
check("/v1/charges", "post", "/v1/charges", 410, {**charge, "amount": {"amount": "61.00", "currency": "USD"}})
check("/v1/charges", "post", "/v1/charges", 404, {**charge, "reference": f"unknown-{run}"})
check("/v1/charges", "post", "/v1/charges", 400, {"reference": aid})
if approved:
    attempt = approved["attemptId"]
    check("/v1/agreements/{id}/attempts/{attemptId}/outcome", "post",
          f"/v1/agreements/{aid}/attempts/{attempt}/outcome", 200, {"result": "approved"})
    check("/v1/agreements/{id}/attempts/{attemptId}/outcome", "post",
          f"/v1/agreements/{aid}/attempts/{attempt}/outcome", 409, {"result": "not_sent"})
check("/v1/agreements/{id}/attempts/{attemptId}/outcome", "post",
      f"/v1/agreements/{aid}/attempts/att_unknown/outcome", 404, {"result": "approved"})
check("/v1/charges", "post", "/v1/charges", 200, charge)
check("/v1/charges", "post", "/v1/charges", 200, charge)
check("/v1/charges", "post", "/v1/charges", 429, charge)

declined = f"pay_contract_{run}_visa_cat2"
check("/v1/agreements/{id}", "put", f"/v1/agreements/{declined}", 201, agreement(declined))
check("/v1/charges", "post", "/v1/charges", 402, {**charge, "reference": declined})

check("/v1/agreements/{id}", "delete", f"/v1/agreements/{aid}?reason=customer_request", 200)
check("/v1/agreements/{id}", "delete", f"/v1/agreements/{aid}?reason=no%20spaces", 400)
check("/v1/charges", "post", "/v1/charges", 403, charge)
check("/v1/webhooks/infinic", "post", "/v1/webhooks/infinic", 200,
      {"type": "StatusChange", "content": {"reference_id": f"unknown-{run}", "status": "success"}})
check("/v1/webhooks/infinic", "post", "/v1/webhooks/infinic", 400, {"type": "Unrelated", "content": {}})

# Methods and paths the Worker does not serve: 405 with Allow, 404, both in the error shape.
status, hdrs, payload = call("patch", "/v1/policy", {})
allow = {k.lower(): v for k, v in hdrs.items()}.get("allow")
if status != 405 or allow != "GET, PUT" or json.loads(payload)["error"]["code"] != "method_not_allowed":
    FAILURES.append(f"PATCH /v1/policy -> {status} Allow={allow!r} {payload[:200]!r}")
status, _, payload = call("get", "/v1/nothing-here")
if status != 404 or json.loads(payload)["error"]["code"] != "not_found":
    FAILURES.append(f"GET /v1/nothing-here -> {status} {payload[:200]!r}")

statuses = sorted({(m.upper(), t, s) for t, m, s in CHECKED})
print(f"contract: {len(CHECKED)} answers conform ({len(statuses)} distinct operation/status pairs), "
      f"{len(FAILURES)} do not")
if FAILURES:
    for f in FAILURES:
        print("  " + f, file=sys.stderr)
    sys.exit(1)
