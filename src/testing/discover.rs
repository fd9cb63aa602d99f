//! Finding what to test: programs (`*.rules`) and test files (`*.test.json`) under the paths
//! given. A folder is searched recursively (hidden folders and `target` are skipped, symbolic
//! links to folders are not followed); a file may name a program or a test file.

use super::file::{sibling_program, sibling_tests};
use std::path::{Path, PathBuf};

/// What the paths hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Programs, in path order.
    pub programs: Vec<PathBuf>,
    /// Test files, in path order.
    pub tests: Vec<PathBuf>,
}

/// Searches the paths. `Err` for a path that does not exist or cannot be read, or a file that
/// is neither a program nor a test file.
pub fn discover(paths: &[PathBuf]) -> Result<Found, String> {
    let mut found = Found::default();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        if meta.is_dir() {
            walk(p, &mut found)?;
        } else if is_test_file(p) {
            found.tests.push(p.clone());
            // The test file's program, when it sits beside it, is part of the run.
            if let Some(prog) = sibling_program(p).filter(|q| q.is_file()) {
                found.programs.push(prog);
            }
        } else if is_program(p) {
            found.programs.push(p.clone());
            if let Some(t) = sibling_tests(p).filter(|q| q.is_file()) {
                found.tests.push(t);
            }
        } else {
            return Err(format!(
                "{} is neither a program (.rules) nor a test file (.test.json)",
                p.display()
            ));
        }
    }
    dedup(&mut found.programs);
    dedup(&mut found.tests);
    Ok(found)
}

fn is_test_file(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".test.json") && n.len() > ".test.json".len())
}

fn is_program(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "rules")
}

fn walk(dir: &Path, found: &mut Found) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = Vec::new();
    for e in entries {
        let e = e.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        paths.push(e.path());
    }
    paths.sort();
    for p in paths {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            if !name.starts_with('.') && name != "target" {
                walk(&p, found)?;
            }
        } else if is_test_file(&p) {
            found.tests.push(p);
        } else if is_program(&p) {
            found.programs.push(p);
        }
    }
    Ok(())
}

/// Removes repeats (the same file reached through two paths), keeping the first.
fn dedup(paths: &mut Vec<PathBuf>) {
    let mut seen: Vec<PathBuf> = Vec::new();
    paths.retain(|p| {
        let key = canonical(p);
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
}

/// A path's canonical form, for comparing (the path itself when it cannot be resolved).
pub fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
