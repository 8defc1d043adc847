// The baseline: what a Node developer would write by hand instead of using mitgate, for the typical case
// (document 001's settings on a card agreement): merchant enabled, the reference and its owner, currency,
// reference window (`expiration`), agreement validity, card expiry, the amount ceiling (largest CVV-verified
// payment within `maxAmountLookback` times `maxMultiple`, else `maxZeroAuthAmount` times `maxMultiple`,
// capped by the agreement's maximum) and velocity (`maxCount` attempts holding a slot in (now - period, now]).
// Money is exact: integer minor units as BigInt (never floats); instants are epoch milliseconds.
//
// It reads the same input object as mitgate's `evaluate` and answers { allowed, violations, limits }. It
// does far less than mitgate (no Visa/Mastercard retry rules, schedules, installments, intervals,
// chaining, messages or field validation): it is the cheap lower bound a hand-written check costs.

const EXPONENT = { USD: 2, EUR: 2, GBP: 2, JPY: 0, KWD: 3 };

/** "25.00" in `currency` to BigInt minor units; throws on more decimals than the currency allows. */
export function minorUnits(amount, currency) {
  const exp = EXPONENT[currency];
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount);
  if (exp === undefined || !m || (m[2] ?? "").length > exp) throw new Error(`bad amount ${amount} ${currency}`);
  return BigInt(m[1] + (m[2] ?? "").padEnd(exp, "0"));
}

function money(value, currency) {
  if (value.cents !== undefined) return BigInt(value.cents);
  if (value.currency !== currency) return null;
  return minorUnits(value.amount, currency);
}

function endOfMonth(yyyyMm) {
  const [y, m] = yyyyMm.split("-").map(Number);
  return Date.UTC(y, m, 1); // first instant of the next month
}

export function check(input) {
  const { policy, agreement: a, history, request: r } = input;
  const now = Date.parse(input.now);
  const violations = [];
  if (!policy.enabled) violations.push("mit_not_enabled");
  if (!a || r.reference !== a.id) return { allowed: false, violations: ["agreement_not_found"] };
  if (a.merchantId !== r.merchantId) violations.push("merchant_mismatch");
  if (a.customerId && r.customerId && a.customerId !== r.customerId) violations.push("customer_mismatch");
  const currency = a.currency;
  if (r.amount.currency !== currency) violations.push("currency_mismatch");

  const referenceExpiresAt = policy.expiration == null ? null : Date.parse(a.established.at) + policy.expiration * 1000;
  if (referenceExpiresAt !== null && now >= referenceExpiresAt) violations.push("reference_expired");
  if (a.terms?.validUntil && now >= Date.parse(a.terms.validUntil) + 86_400_000) violations.push("agreement_expired");
  if (a.credential.cardExpiry && now >= endOfMonth(a.credential.cardExpiry)) violations.push("card_expired");

  // Ceiling: largest CVV-verified payment in the lookback (the initial CIT counts if it was one).
  const lookbackStart = policy.maxAmountLookback == null ? -Infinity : now - policy.maxAmountLookback * 1000;
  let base = null;
  const consider = (at, amount) => {
    const t = Date.parse(at);
    if (t > lookbackStart && t <= now && amount.currency === currency) {
      const v = minorUnits(amount.amount, currency);
      if (v > 0n && (base === null || v > base)) base = v;
    }
  };
  for (const p of history.payments) if (p.cvvVerified) consider(p.at, p.amount);
  if (a.established.method === "cvv_purchase" && a.established.amount) consider(a.established.at, a.established.amount);
  if (base === null && policy.maxZeroAuthAmount) base = money(policy.maxZeroAuthAmount, currency);
  let ceiling = base === null ? null : base * BigInt(policy.maxMultiple);
  if (a.terms?.maxAmount) {
    const max = minorUnits(a.terms.maxAmount.amount, currency);
    if (ceiling === null || max < ceiling) ceiling = max;
  }
  if (ceiling !== null && minorUnits(r.amount.amount, currency) > ceiling) violations.push("amount_above_ceiling");

  // Velocity: attempts holding a slot in (now - period, now].
  let used = 0;
  if (policy.maxCount != null) {
    const windowStart = now - policy.period * 1000;
    for (const t of history.attempts) {
      const at = Date.parse(t.at);
      if (t.status !== "released" && at > windowStart && at <= now) used++;
    }
    if (used >= policy.maxCount) violations.push("velocity_exceeded");
  }
  return {
    allowed: violations.length === 0,
    violations,
    limits: { ceiling, velocity: { used, remaining: Math.max(0, (policy.maxCount ?? 0) - used) }, referenceExpiresAt },
  };
}
