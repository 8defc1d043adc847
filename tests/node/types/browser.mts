// A browser consumer: the web build's declarations (an async init, then the same synchronous API).
import init, { evaluate, version, type Evaluation, type InitOutput } from "mitgate-wasm/web";

export async function decide(evaluation: Evaluation): Promise<string> {
  const wasm: InitOutput = await init();
  void wasm;
  const answer = evaluate(evaluation);
  return answer.type === "success" ? `${version()} ${answer.decision.outcome}` : answer.errors[0]?.path ?? "";
}
// @ts-expect-error evaluate takes an Evaluation
evaluate({ now: "2026-04-10T12:00:00Z" });
