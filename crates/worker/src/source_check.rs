//! Checks over the Worker's own source (issue 13, "no hand-built JSON in the Worker"): every answer, stored
//! value and object payload is a `derive(Serialize)` type, so `serde_json::json!` appears only in tests.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Test code: a file that is a test module (`tests.rs`, `testkit.rs`, `test_util.rs`, anything under a
/// `tests/` folder, this file), or the part of a file after its `#[cfg(test)]` module.
fn production_part(path: &Path, text: &str) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let test_file = ["tests.rs", "testkit.rs", "test_util.rs", "source_check.rs", "openapi_check.rs"]
        .contains(&name)
        || path.components().any(|c| c.as_os_str() == "tests");
    if test_file {
        return None;
    }
    Some(text.split("#[cfg(test)]\nmod tests {").next().unwrap_or(text).to_string())
}

#[test]
fn no_hand_built_json_outside_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 40, "found the Worker's sources ({} files)", files.len());
    let offenders: Vec<String> = files
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            let code = production_part(p, &text)?;
            code.contains("json!(").then(|| p.strip_prefix(&root).unwrap().display().to_string())
        })
        .collect();
    assert_eq!(
        offenders,
        Vec::<String>::new(),
        "serde_json::json! outside tests: use a derive(Serialize) type"
    );
}
