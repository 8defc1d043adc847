// Shared helpers of the reliability suites: agreements, state snapshots (every KV namespace and the
// Durable Objects), forwarded-charge counts from the sandbox's request log, and the card-data scan.
import crypto from "node:crypto";

export const POLICY5 = {
  enabled: true,
  maxCount: 5,
  period: 86400,
  maxMultiple: 3,
  expiration: 2592000,
  maxZeroAuthAmount: { cents: 2000 },
  maxAmountLookback: 2592000,
};

let seq = 0;
export const uid = (p) => `${p}${Date.now().toString(36)}${(seq += 1)}`;
export const sha256 = (s) => crypto.createHash("sha256").update(s).digest("hex");

/** A `PUT /v1/agreements/{id}` body: established (a CVV purchase) a day ago unless `at` says when. */
export function canonicalAgreement(
  id,
  merchantId = "demo",
  {
    at = new Date(Date.now() - 86400000).toISOString(),
    customerId = "customer-123",
    dialect = "coinflow",
    token = `tok_${id}`,
    brand = "visa",
    cardExpiry = "2030-12",
  } = {},
) {
  return {
    agreement: {
      id,
      merchantId,
      customerId,
      type: "unscheduled",
      established: { method: "cvv_purchase", at, amount: { amount: "25.00", currency: "USD" } },
      currency: "USD",
      paymentMethod: { type: "card", brand },
      credential: { token, cardExpiry },
      consent: { storeCredential: true, merchantInitiated: true },
    },
    history: { payments: [{ id, at, amount: { amount: "25.00", currency: "USD" }, cvvVerified: true }] },
    dialect,
  };
}

/** Charges forwarded to the sandbox for one agreement (the rendered MIT names it). */
export async function forwardedFor(h, agreementId) {
  const { requests } = await h.sandboxCall("GET", "/__sandbox/requests");
  return requests.filter((r) => r.body.includes(agreementId)).length;
}

async function kvDump(h) {
  const out = {};
  for (const ns of ["AGREEMENTS", "POLICIES", "VELOCITY", "IDEMPOTENCY"]) {
    const kv = await h.mf.getKVNamespace(ns);
    let cursor;
    do {
      const page = await kv.list({ cursor });
      for (const k of page.keys) out[`${ns}/${k.name}`] = (await kv.get(k.name)) ?? "";
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
  }
  return out;
}

/**
 * Every stored value: the four KV namespaces, the object of every agreement stored in KV or named by a
 * token's index or list, and the object
 * of every idempotency key in `keys` (merchant "demo" unless given as [merchant, key]).
 */
export async function snapshot(h, keys = []) {
  const kv = await kvDump(h);
  const objects = {};
  // Agreements stored in KV, and (with the Durable Object store, where the agreement's object holds its
  // record) every agreement a token index or a token's list names.
  const agreements = new Set();
  for (const [name, value] of Object.entries(kv)) {
    const m = name.match(/^AGREEMENTS\/agreement\/v2\/(.*)$/);
    if (m) agreements.add(`agreement/${m[1]}`);
    const t = name.match(/^AGREEMENTS\/token\/v1\/([^/]*)\//);
    if (t) agreements.add(`agreement/${t[1]}/${value}`);
    const l = name.match(/^AGREEMENTS\/tokenagreements\/v1\/([^/]*)\//);
    if (l) for (const id of JSON.parse(value)) agreements.add(`agreement/${l[1]}/${id}`);
  }
  for (const name of [...agreements].sort()) objects[name] = await h.dumpObject(name);
  for (const k of keys) {
    const [merchant, key] = Array.isArray(k) ? k : ["demo", k];
    const name = `idem/v1/${merchant}/${sha256(key)}`;
    objects[name] = await h.dumpObject(name);
  }
  return { kv, objects };
}

function luhn(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Luhn-valid 13-19 digit runs (starting 2-6, as card numbers do), written plain or with single spaces,
 * dashes or percent-encoded spaces between digits, and CVV fields in a text: what must never be at rest
 * or in a log.
 */
function insideHexDigest(text, start, length) {
  let a = start;
  let b = start + length;
  while (a > 0 && /[0-9a-fA-F]/.test(text[a - 1])) a -= 1;
  while (b < text.length && /[0-9a-fA-F]/.test(text[b])) b += 1;
  return b - a >= 32 && /[a-fA-F]/.test(text.slice(a, b));
}

export function cardData(text) {
  const found = [];
  for (const m of text.matchAll(/(?<![\d])\d(?:(?:[ -]|%20)?\d){12,18}(?![\d])/g)) {
    const digits = m[0].replace(/%20|\D/g, "");
    // Written in groups the way card numbers are (first group 4, the others at least 3), as the core's
    // detector reads them; a UUID's digit groups across its dashes are not a card number.
    // and standing alone (no letter or digit right before or after).
    const groups = m[0].split(/%20|[ -]/).map((g) => g.length);
    // Inside a hex digest (an idempotency fingerprint, a key digest: 32 or more hex characters with a
    // letter among them) a run of 13+ decimal digits is chance, not a card number: a 64-character SHA-256
    // holds a Luhn-valid one about once in 500 digests, which made this scan fail at random.
    if (groups.length === 1 && insideHexDigest(text, m.index, m[0].length)) continue;
    const alone = !/[A-Za-z0-9]/.test(text[m.index - 1] ?? "") && !/[A-Za-z0-9]/.test(text[m.index + m[0].length] ?? "");
    const grouped = groups.length === 1 || (alone && groups[0] === 4 && groups.slice(1).every((g) => g >= 3));
    if (grouped && digits.length >= 13 && luhn(digits) && /^[2-6]/.test(digits)) found.push(m[0]);
  }
  if (/"(cvv|cvc|cvv2|securityCode|cvn)"\s*:/i.test(text)) found.push("a CVV field");
  return found;
}
