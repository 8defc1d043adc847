//! The conformance vectors in `tests/vectors/*.json` (repository root), run natively.
//!
//! Each case's `input` is serialized with serde_json and handed to [`mitgate_core::api::evaluate_json`]
//! (or its `inputText` verbatim); the answer is parsed and checked against `expect`. The file format is
//! documented in `tests/vectors/README.md`; the WASM package and the Worker run the same files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "a test crate of its own (clippy.toml covers #[test] functions only): its helpers fail the test loudly"
)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use mitgate_core::api::evaluate_json;
use serde_json::Value;

/// The corpus must never shrink below this many cases (its size when this floor was last raised). Every
/// other host compares its count with the exact count this runner writes (`COUNT_FILE`), not with this.
const MIN_CASES: usize = 215;

/// Where the native runner writes the exact corpus count it ran (`{"total", "files": {name: count}}`); the
/// Node and Worker hosts (`tests/node/vectors.test.mjs`, `tests/worker/worker.test.mjs`) assert theirs equals it.
const COUNT_FILE: &str = "../../tests/out/vector-count.json";

struct Case {
    file: String,
    name: String,
    text: String,
    input: Option<Value>,
    expect: Value,
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

/// Every case of every `*.json` file, in file-name order then file order. Panics on a malformed file.
fn load() -> Vec<Case> {
    load_dir(&vectors_dir()).unwrap_or_else(|e| panic!("{e}"))
}

/// Every case of every `*.json` file in `dir`. An unreadable file, a file without cases (or with
/// `"cases": []`) and a case without input or expectation are errors, never skipped.
fn load_dir(dir: &std::path::Path) -> Result<Vec<Case>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .map(|e| e.map(|e| e.path()).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    files.retain(|p| p.extension().is_some_and(|x| x == "json"));
    files.sort();
    if files.is_empty() {
        return Err(format!("no vector files in {}", dir.display()));
    }
    let mut cases = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{file}: cannot read: {e}"))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{file}: not JSON: {e}"))?;
        let description = doc["description"].as_str().unwrap_or_default();
        if description.trim().is_empty() {
            return Err(format!("{file}: needs a top-level \"description\""));
        }
        let list = doc["cases"].as_array().ok_or_else(|| format!("{file}: needs a \"cases\" array"))?;
        if list.is_empty() {
            return Err(format!("{file}: \"cases\" is empty"));
        }
        for (i, c) in list.iter().enumerate() {
            let name = c["name"].as_str().ok_or_else(|| format!("{file}: case {i} has no name"))?.to_string();
            let where_ = format!("{file}::{name}");
            let desc = c["description"].as_str().unwrap_or_default();
            if desc.trim().is_empty() {
                return Err(format!("{where_}: needs a description"));
            }
            let (text, input) = match (c.get("input"), c.get("inputText")) {
                (Some(input), None) => (serde_json::to_string(input).unwrap(), Some(input.clone())),
                (None, Some(Value::String(t))) => (t.clone(), None),
                _ => {
                    return Err(format!(
                        "{where_}: needs exactly one of \"input\" (an object) or \"inputText\" (a string)"
                    ))
                }
            };
            let expect = c.get("expect").cloned().ok_or_else(|| format!("{where_}: needs \"expect\""))?;
            cases.push(Case { file: file.clone(), name, text, input, expect });
        }
    }
    Ok(cases)
}

/// Compares `expected` (a partial) against `actual`: every key given must be present and match; arrays
/// match element-wise and must have the same length; scalars (and `null`) must be equal.
fn match_partial(expected: &Value, actual: &Value, path: &str, diffs: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let p = format!("{path}.{k}");
                match a.get(k) {
                    Some(av) => match_partial(ev, av, &p, diffs),
                    None => diffs.push(format!("{p}: expected {ev}, key missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                diffs.push(format!("{path}: expected {} elements, got {}: {actual}", e.len(), a.len()));
                return;
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                match_partial(ev, av, &format!("{path}[{i}]"), diffs);
            }
        }
        _ => {
            if expected != actual {
                diffs.push(format!("{path}:\n      - expected {expected}\n      + actual   {actual}"));
            }
        }
    }
}

/// Checks one answer against one `expect`; returns every difference found.
fn check(expect: &Value, answer: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let want_type = expect["type"].as_str().unwrap_or("<missing>");
    let got_type = answer["type"].as_str().unwrap_or("<missing>");
    if want_type != got_type {
        diffs.push(format!("type: expected {want_type}, got {got_type}: {answer}"));
        return diffs;
    }
    match want_type {
        "success" => {
            let decision = &answer["decision"];
            let outcome = expect.get("outcome").cloned().unwrap_or(Value::Null);
            if outcome.is_null() {
                diffs.push("expect.outcome is required for a success".to_string());
            }
            match_partial(&outcome, &decision["outcome"], "outcome", &mut diffs);
            if let Some(status) = expect.get("httpStatus") {
                match_partial(status, &decision["httpStatus"], "httpStatus", &mut diffs);
            }
            let codes: Vec<Value> = decision["violations"]
                .as_array()
                .map(|v| v.iter().map(|x| x["code"].clone()).collect())
                .unwrap_or_default();
            match expect.get("codes") {
                Some(want) => match_partial(want, &Value::Array(codes), "codes", &mut diffs),
                None => diffs.push("expect.codes is required for a success ([] when allowed)".to_string()),
            }
            if let Some(partial) = expect.get("decision") {
                match_partial(partial, decision, "decision", &mut diffs);
            }
        }
        "failure" => {
            let paths: Vec<Value> = answer["errors"]
                .as_array()
                .map(|v| v.iter().map(|x| x["path"].clone()).collect())
                .unwrap_or_default();
            match expect.get("errorPaths") {
                Some(want) => match_partial(want, &Value::Array(paths), "errorPaths", &mut diffs),
                None => diffs.push("expect.errorPaths is required for a failure".to_string()),
            }
        }
        other => diffs.push(format!("expect.type must be \"success\" or \"failure\", not {other:?}")),
    }
    diffs
}

fn run(text: &str) -> (String, Value) {
    let out = evaluate_json(text);
    let value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("evaluate_json returned non-JSON ({e}): {out}"));
    (out, value)
}

#[test]
fn every_vector_passes() {
    let cases = load();
    let mut report = String::new();
    let mut failed = 0;
    for case in &cases {
        let (_, answer) = run(&case.text);
        let diffs = check(&case.expect, &answer);
        if !diffs.is_empty() {
            failed += 1;
            let _ = writeln!(report, "\n✗ {}::{}", case.file, case.name);
            for d in diffs {
                let _ = writeln!(report, "    {d}");
            }
        }
    }
    assert!(failed == 0, "{failed} of {} vectors failed:{report}", cases.len());
    // Every case ran and passed: report the exact count for the other hosts to compare with.
    let mut files = serde_json::Map::new();
    for case in &cases {
        let n = files.get(&case.file).and_then(Value::as_u64).unwrap_or(0);
        files.insert(case.file.clone(), Value::from(n + 1));
    }
    let count = serde_json::json!({"total": cases.len(), "files": files});
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(COUNT_FILE);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, format!("{count}\n")).unwrap();
}

/// With the feature `speed` (the wasm package's Node build) answers are written by `mitgate_json::to_string`
/// rather than serde_json: on every vector, both write the same bytes, and the answer is that text.
#[cfg(feature = "speed")]
#[test]
fn every_answer_is_written_as_serde_json_writes_it() {
    for case in &load() {
        let answer = mitgate_core::api::evaluate_value(&case.text);
        let fast = mitgate_core::json::to_string(&answer).unwrap();
        assert_eq!(fast, serde_json::to_string(&answer).unwrap(), "{}::{}", case.file, case.name);
        assert_eq!(fast, evaluate_json(&case.text), "{}::{}", case.file, case.name);
    }
}

/// A scratch directory holding the given vector files.
fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mitgate-vectors-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

#[test]
fn loader_fails_on_missing_empty_and_skipped_files() {
    let case =
        r#"{"name": "a", "description": "d", "input": {}, "expect": {"type": "failure", "errorPaths": []}}"#;
    let good = format!(r#"{{"description": "d", "cases": [{case}]}}"#);
    let ok = scratch("ok", &[("a.json", &good)]);
    assert_eq!(load_dir(&ok).unwrap().len(), 1);
    let no_input = r#"{"description": "d", "cases": [{"name": "a", "description": "d", "expect": {}}]}"#;
    for (name, files) in [
        ("none", vec![]),
        ("empty", vec![("a.json", good.as_str()), ("b.json", r#"{"description": "d", "cases": []}"#)]),
        ("nocases", vec![("b.json", r#"{"description": "d"}"#)]),
        ("notjson", vec![("a.json", good.as_str()), ("b.json", "{")]),
        ("noinput", vec![("b.json", no_input)]),
        (
            "noexpect",
            vec![(
                "b.json",
                r#"{"description": "d", "cases": [{"name": "a", "description": "d", "input": {}}]}"#,
            )],
        ),
    ] {
        let dir = scratch(name, &files);
        assert!(load_dir(&dir).is_err(), "{name}: must fail");
        let _ = std::fs::remove_dir_all(dir);
    }
    assert!(load_dir(&ok.join("missing")).is_err(), "a missing directory must fail");
    let _ = std::fs::remove_dir_all(ok);
}

#[test]
fn corpus_is_large_enough_and_names_are_unique() {
    let cases = load();
    assert!(
        cases.len() >= MIN_CASES,
        "only {} cases in tests/vectors; at least {MIN_CASES} required",
        cases.len()
    );
    let mut seen = BTreeSet::new();
    let mut dups = Vec::new();
    for c in &cases {
        let snake = !c.name.is_empty()
            && c.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && c.name.as_bytes()[0].is_ascii_lowercase();
        assert!(snake, "{}::{}: names are snake_case", c.file, c.name);
        if !seen.insert(c.name.as_str()) {
            dups.push(format!("{}::{}", c.file, c.name));
        }
    }
    assert!(dups.is_empty(), "duplicate case names: {dups:?}");
}

/// A deterministic permutation (a small LCG drives Fisher-Yates), different for each seed.
fn shuffled(list: &[Value], seed: u64) -> Vec<Value> {
    let mut v = list.to_vec();
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    for i in (1..v.len()).rev() {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from((state >> 33) % (i as u64 + 1)).unwrap();
        v.swap(i, j);
    }
    v
}

#[test]
fn outputs_are_deterministic_and_independent_of_history_order() {
    let mut shuffled_cases = 0;
    for case in load() {
        let (first, answer) = run(&case.text);
        let (second, _) = run(&case.text);
        assert_eq!(first, second, "{}::{}: two runs differ", case.file, case.name);
        // Errors inside the history name entries by index, so reordering may rightly change those answers.
        let names_history_entry = answer["errors"].as_array().is_some_and(|errors| {
            errors.iter().any(|e| e["path"].as_str().is_some_and(|p| p.starts_with("history")))
        });
        let Some(input) = case.input.as_ref().filter(|_| !names_history_entry) else { continue };
        let history = &input["history"];
        let lists = ["payments", "attempts"].map(|k| history[k].as_array().cloned().unwrap_or_default());
        if lists.iter().all(|l| l.len() < 2) {
            continue;
        }
        shuffled_cases += 1;
        for seed in 0..4u64 {
            let mut variant = input.clone();
            for (key, list) in ["payments", "attempts"].iter().zip(&lists) {
                if list.len() >= 2 {
                    let reordered = match seed {
                        0 => list.iter().rev().cloned().collect(),
                        s => shuffled(list, s),
                    };
                    variant["history"][*key] = Value::Array(reordered);
                }
            }
            let (out, _) = run(&serde_json::to_string(&variant).unwrap());
            assert_eq!(
                first, out,
                "{}::{}: reordering history (seed {seed}) changed the output",
                case.file, case.name
            );
        }
    }
    assert!(shuffled_cases >= 10, "too few vectors carry a history worth shuffling ({shuffled_cases})");
}

#[test]
fn partial_matcher_reports_differences() {
    let actual: Value = serde_json::json!({"a": 1, "b": {"c": [1, {"d": "x", "e": null}]}, "f": null});
    let mut diffs = Vec::new();
    match_partial(&serde_json::json!({"b": {"c": [1, {"d": "x"}]}, "f": null}), &actual, "", &mut diffs);
    assert!(diffs.is_empty(), "{diffs:?}");
    for wrong in [
        serde_json::json!({"a": 2}),
        serde_json::json!({"z": 1}),
        serde_json::json!({"b": {"c": [1]}}),
        serde_json::json!({"b": {"c": [1, {"d": "y"}]}}),
        serde_json::json!({"b": {"c": [1, {"e": 0}]}}),
        serde_json::json!({"a": "1"}),
    ] {
        let mut diffs = Vec::new();
        match_partial(&wrong, &actual, "", &mut diffs);
        assert_eq!(diffs.len(), 1, "{wrong} should give one difference: {diffs:?}");
    }
}

#[test]
fn checker_rejects_wrong_expectations() {
    let answer: Value = serde_json::json!({"type": "success", "decision": {"outcome": "refused", "httpStatus": 429,
        "violations": [{"code": "velocity_exceeded"}, {"code": "interval_too_short"}]}});
    let good = serde_json::json!({"type": "success", "outcome": "refused", "httpStatus": 429,
        "codes": ["velocity_exceeded", "interval_too_short"]});
    assert!(check(&good, &answer).is_empty());
    for bad in [
        serde_json::json!({"type": "failure", "errorPaths": []}),
        serde_json::json!({"type": "success", "outcome": "allowed", "httpStatus": 429, "codes": ["velocity_exceeded", "interval_too_short"]}),
        serde_json::json!({"type": "success", "outcome": "refused", "httpStatus": 410, "codes": ["velocity_exceeded", "interval_too_short"]}),
        serde_json::json!({"type": "success", "outcome": "refused", "httpStatus": 429, "codes": ["interval_too_short", "velocity_exceeded"]}),
        serde_json::json!({"type": "success", "outcome": "refused", "httpStatus": 429, "codes": ["velocity_exceeded"]}),
        serde_json::json!({"type": "success", "outcome": "refused", "httpStatus": 429}),
    ] {
        assert!(!check(&bad, &answer).is_empty(), "{bad} should not match");
    }
    let failure: Value =
        serde_json::json!({"type": "failure", "errors": [{"path": "request.amount", "message": "m"}]});
    assert!(
        check(&serde_json::json!({"type": "failure", "errorPaths": ["request.amount"]}), &failure).is_empty()
    );
    assert!(!check(&serde_json::json!({"type": "failure", "errorPaths": ["request"]}), &failure).is_empty());
    assert!(!check(&serde_json::json!({"type": "failure", "errorPaths": []}), &failure).is_empty());
}
