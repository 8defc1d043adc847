//! Writes the native engine's answer for every conformance case, so hosts that run the wasm package
//! (Node, browsers) can compare their output text byte for byte.
//!
//! ```sh
//! cargo run -p mitgate-wasm --example vectors_out -- tests/vectors tests/node/dialect-cases.json out.json
//! ```
//!
//! Output: `{"vectors": {"<case name>": {"input": "<text sent>", "output": "<answer text>"}},
//! "dialects": {"<case name>": {"input": ..., "output": ...}}}`. Vector inputs are serialized with
//! serde_json (key order does not matter to the engine); `inputText` cases are passed byte for byte.
//! Dialect cases (`[{"name", "function", "input"}]`) name one of the package's JSON functions.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

#[derive(serde::Serialize)]
struct Run {
    input: String,
    output: String,
}

fn vector_runs(dir: &Path) -> Result<BTreeMap<String, Run>, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut runs = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        let cases = doc
            .get("cases")
            .and_then(Value::as_array)
            .filter(|c| !c.is_empty())
            .ok_or(format!("{}: no cases", file.display()))?;
        for case in cases {
            let name = case.get("name").and_then(Value::as_str).ok_or("a case without a name")?;
            let input = match (case.get("inputText").and_then(Value::as_str), case.get("input")) {
                (Some(t), _) => t.to_string(),
                (None, Some(v)) => serde_json::to_string(v).map_err(|e| e.to_string())?,
                (None, None) => return Err(format!("{name}: neither input nor inputText")),
            };
            let output = mitgate_core::api::evaluate_json(&input);
            if runs.insert(name.to_string(), Run { input, output }).is_some() {
                return Err(format!("{name}: two cases with this name"));
            }
        }
    }
    if runs.is_empty() {
        return Err(format!("{}: no vector files", dir.display()));
    }
    Ok(runs)
}

fn dialect_runs(file: &Path) -> Result<BTreeMap<String, Run>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let cases: Vec<Value> = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut runs = BTreeMap::new();
    for case in cases {
        let name = case.get("name").and_then(Value::as_str).ok_or("a dialect case without a name")?;
        let function = case.get("function").and_then(Value::as_str).ok_or(format!("{name}: no function"))?;
        let input = match (case.get("inputText").and_then(Value::as_str), case.get("input")) {
            (Some(t), _) => t.to_string(),
            (None, Some(v)) => serde_json::to_string(v).map_err(|e| e.to_string())?,
            (None, None) => return Err(format!("{name}: neither input nor inputText")),
        };
        let output = match function {
            "parseCitJson" => mitgate_wasm::dialects::parse_cit_json(&input),
            "parseMitJson" => mitgate_wasm::dialects::parse_mit_json(&input),
            "readOutcomeJson" => mitgate_wasm::dialects::read_outcome_json(&input),
            "renderRefusalJson" => mitgate_wasm::dialects::render_refusal_json(&input),
            "limitsJson" => mitgate_core::api::limits_json(&input),
            "recordAttemptJson" => mitgate_core::api::record_attempt_json(&input),
            "applyOutcomeJson" => mitgate_core::api::apply_outcome_json(&input),
            "evaluateJson" => mitgate_core::api::evaluate_json(&input),
            other => return Err(format!("{name}: unknown function {other}")),
        };
        if runs.insert(name.to_string(), Run { input, output }).is_some() {
            return Err(format!("{name}: two dialect cases with this name"));
        }
    }
    if runs.is_empty() {
        return Err(format!("{}: no dialect cases", file.display()));
    }
    Ok(runs)
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [vectors, dialects, out] = args.as_slice() else {
        return Err("usage: vectors_out <vectors dir> <dialect cases file> <output file>".to_string());
    };
    let mut all = BTreeMap::new();
    all.insert("vectors", vector_runs(Path::new(vectors))?);
    all.insert("dialects", dialect_runs(Path::new(dialects))?);
    let text = serde_json::to_string(&all).map_err(|e| e.to_string())?;
    std::fs::write(out, text).map_err(|e| format!("{out}: {e}"))
}
