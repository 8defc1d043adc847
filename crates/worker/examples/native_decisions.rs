//! Prints, for every conformance vector in a directory, the exact input text and what the native engine
//! answers for it (`mitgate_core::api::evaluate_json`), one JSON object per line. The Worker's end-to-end
//! test sends each input to `POST /v1/decisions/evaluate` and requires the byte-identical answer.
//!
//! `cargo run -p mitgate-worker --example native_decisions -- tests/vectors`

use std::io::Write;

fn main() -> std::process::ExitCode {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "tests/vectors".to_string());
    let mut files: Vec<_> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "cannot read {dir}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    files.retain(|p| p.extension().is_some_and(|x| x == "json"));
    files.sort();
    let files_empty = files.is_empty();
    let mut out = std::io::stdout().lock();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            let _ = writeln!(std::io::stderr(), "cannot read {}", path.display());
            return std::process::ExitCode::FAILURE;
        };
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
            let _ = writeln!(std::io::stderr(), "{} is not JSON", path.display());
            return std::process::ExitCode::FAILURE;
        };
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let cases = match doc.get("cases").and_then(|c| c.as_array()) {
            Some(cases) if !cases.is_empty() => cases,
            _ => {
                let _ = writeln!(std::io::stderr(), "{file}: no cases (a vector file never has none)");
                return std::process::ExitCode::FAILURE;
            }
        };
        for case in cases {
            let input = match (case.get("inputText").and_then(|t| t.as_str()), case.get("input")) {
                (Some(t), _) => t.to_string(),
                (None, Some(v)) => v.to_string(),
                (None, None) => {
                    let _ = writeln!(std::io::stderr(), "{file}: a case without input");
                    return std::process::ExitCode::FAILURE;
                }
            };
            let line = serde_json::json!({
                "file": file,
                "name": case.get("name"),
                "input": input,
                "output": mitgate_core::api::evaluate_json(&input),
            });
            if writeln!(out, "{line}").is_err() {
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    if files_empty {
        let _ = writeln!(std::io::stderr(), "no vector files in {dir}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
