// A Node consumer of the generated declarations. `tsc --noEmit` (scripts/test-wasm.sh) fails when a
// generated type is wrong or loose: every `@ts-expect-error` below must be an error, or tsc fails.
import {
  applyOutcome, evaluate, evaluateJson, limits, parseCit, parseMit, readOutcome, recordAttempt, renderRefusal,
  type Agreement, type Answer, type Code, type Decision, type DecisionAnswer, type Evaluation, type History,
  type Limits, type Money, type Policy, type Violation,
} from "mitgate-wasm";

const policy: Policy = {
  enabled: true, maxCount: 5, period: 86400, maxMultiple: 3, expiration: 2592000,
  maxZeroAuthAmount: { cents: 2000 }, maxAmountLookback: 2592000,
  networkRules: { version: "2025-04-11", mastercardMaxDeclinesPerDay: 12 }, trialReminders: true,
};
const newCode: Code = "card_decline_limit_reached";
void newCode;
// @ts-expect-error mandateCategory is one of four purposes
const badCategory: Agreement["terms"] = { mandateCategory: "groceries" };
void badCategory;
const fifteen: Money = { amount: "15.00", currency: "USD" };
const agreement: Agreement = {
  id: "550e8400-e29b-41d4-a716-446655440000", merchantId: "m1", customerId: "customer-123", type: "unscheduled",
  established: { method: "cvv_purchase", at: "2026-04-01T10:00:00Z", amount: fifteen },
  currency: "USD", paymentMethod: { type: "card", brand: "visa" }, credential: { token: "tok_1", cardExpiry: "2030-12" },
  consent: { storeCredential: true, merchantInitiated: true },
};
const history: History = { payments: [{ id: agreement.id, at: "2026-04-01T10:00:00Z", amount: fifteen, cvvVerified: true }], attempts: [] };
const evaluation: Evaluation = {
  now: "2026-04-10T12:00:00Z", policy, agreement, history,
  request: { merchantId: "m1", reference: agreement.id, amount: { amount: "45.01", currency: "USD" } },
};

function explain(answer: Answer<DecisionAnswer>): string {
  if (answer.type === "failure") {
    return answer.errors.map((e) => `${e.path}: ${e.message}`).join("\n");
  }
  const d: Decision = answer.decision;
  switch (d.outcome) {
    case "allowed":
      return "allowed";
    case "refused": {
      const codes: Code[] = d.violations.map((v: Violation) => v.code);
      const retry: string | null = d.retryAt;
      const seconds: number | null = d.retryAfterSeconds;
      const rules: string = d.rulesVersion;
      void rules;
      return `${d.httpStatus} ${codes.join(",")} ${retry ?? "-"} ${seconds ?? "-"}`;
    }
    default: {
      const unreachable: never = d.outcome;
      return unreachable;
    }
  }
}
explain(evaluate(evaluation));

const lim = limits({ now: evaluation.now, policy, agreement, history });
if (lim.type === "success") {
  const l: Limits = lim.limits;
  const ceiling: Money | null = l.ceiling.amount;
  const source: "cvv_verified_history" | "zero_auth_default" | "agreement_maximum" | "no_basis" | "none" = l.ceiling.source;
  const used: number | undefined = l.velocity?.used;
  const expires: string | null = l.referenceExpiresAt;
  void [ceiling, source, used, expires];
}

const recorded = recordAttempt({ ...evaluation, agreement, attemptId: "att-1" });
if (recorded.type === "success") {
  const next = applyOutcome({
    agreement: recorded.agreement, history: recorded.history,
    outcome: { attemptId: "att-1", at: "2026-04-10T12:00:01Z", result: "declined", decline: { code: "8026", reason: "authentication_required" } },
  });
  if (next.type === "success") {
    const status: "active" | "revoked" | "reauthentication_required" = next.agreement.status ?? "active";
    void status;
  }
}

const mit = parseMit({ dialect: "coinflow", merchantId: "m1", headers: { "x-user-id": "customer-123" },
  body: { subtotal: { cents: 2500, currency: "USD" }, originalPaymentId: agreement.id } });
if (mit.type === "success") {
  const by: "reference" | "credential_token" = mit.lookup.by;
  const amount: string = mit.request.amount.amount;
  void [by, amount];
}
const cit = parseCit({ dialect: "spg", merchantId: "m1", at: "2026-04-16T10:15:31Z", request: "{}", response: "{}" });
if (cit.type === "success") void (cit.agreement.id + cit.payment.id);
const out = readOutcome({ dialect: "axerve", status: 200, attemptId: "att-1", at: "2026-04-20T10:00:00Z", body: {} });
if (out.type === "success" && out.outcome !== null) void out.outcome.result;
const refusal = renderRefusal({ dialect: "coinflow", evaluation });
if (refusal.type === "success" && refusal.response) {
  const status: number = refusal.response.status;
  const headers: Record<string, string> = refusal.response.headers;
  void [status, headers];
}
const text: string = evaluateJson(JSON.stringify(evaluation));
void text;

// Wrong uses that must not compile.
// @ts-expect-error money amounts are decimal strings, never JS numbers
const floatMoney: Money = { amount: 29.9, currency: "EUR" };
// @ts-expect-error violation codes are a closed union
const typo: Code = "velocity_exceded";
// @ts-expect-error policy fields are document 001's camelCase names
const snakePolicy: Policy = { max_count: 5 };
// @ts-expect-error an evaluation needs a request
evaluate({ now: evaluation.now, policy, agreement, history });
// @ts-expect-error the dialect is one of four names
parseMit({ dialect: "stripe", merchantId: "m1", body: {} });
// @ts-expect-error a decision's outcome is allowed | refused
const maybe: "allowed" | "pending" = (evaluate(evaluation) as DecisionAnswer).decision.outcome === "refused" ? "refused" : "allowed";
void [floatMoney, typo, snakePolicy, maybe];

// The agreement handle: opened once, typed; a failure is the tagged answer.
import { AgreementHandle, openAgreementJson } from "mitgate-wasm";
const opened = openAgreementJson(JSON.stringify({ policy, agreement, history }));
if (opened instanceof AgreementHandle) {
  const text: string = opened.evaluateJson(evaluation.now, JSON.stringify(evaluation.request));
  const recorded: string = opened.evaluateJson(evaluation.now, JSON.stringify(evaluation.request), "att-1");
  const applied: string = opened.applyOutcomeJson(JSON.stringify({ attemptId: "att-1", at: evaluation.now, result: "approved" }));
  void [text, recorded, applied, opened.stateJson()];
  // @ts-expect-error the request is JSON text, not an object
  opened.evaluateJson(evaluation.now, evaluation.request);
  opened.free();
} else {
  const paths: string[] = opened.errors.map((e) => e.path);
  const tag: "failure" = opened.type;
  void [paths, tag];
}
