// Compares two `vectors_out` files (crates/wasm/examples/vectors_out.rs) case by case: every answer must be
// byte-identical, except failures, which must list the same error paths in the same order (the messages of
// input errors are allowed to change wording). Exits 1 on any difference.
//   node bench/same-answers.mjs before.json after.json
import { readFileSync } from "node:fs";

const [before, after] = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, "utf8")));
let identical = 0;
let samePaths = 0;
const differences = [];
for (const group of ["vectors", "dialects"]) {
  const names = new Set([...Object.keys(before[group]), ...Object.keys(after[group])]);
  for (const name of names) {
    const b = before[group][name];
    const a = after[group][name];
    if (!a || !b) {
      differences.push(`${group}/${name}: only in ${a ? "after" : "before"}`);
    } else if (a.output === b.output) {
      identical += 1;
    } else {
      const [ob, oa] = [JSON.parse(b.output), JSON.parse(a.output)];
      const paths = (o) => JSON.stringify((o.errors ?? []).map((e) => e.path));
      if (ob.type === "failure" && oa.type === "failure" && paths(ob) === paths(oa)) {
        samePaths += 1;
      } else {
        differences.push(`${group}/${name}:\n  before ${b.output.slice(0, 300)}\n  after  ${a.output.slice(0, 300)}`);
      }
    }
  }
}
if (differences.length > 0) {
  console.error(`FAIL: ${differences.length} answers differ from the baseline's:\n${differences.join("\n")}`);
  process.exit(1);
}
console.log(`same answers: ${identical} byte-identical, ${samePaths} failures naming the same fields (messages reworded)`);
