//! README.md and docs/ stay true: every relative link points to a file that exists.

use std::path::Path;

fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].to_string());
        }
    }
    out
}

#[test]
fn relative_links_in_the_documentation_resolve() {
    let mut files = vec![
        Path::new("README.md").to_path_buf(),
        Path::new("rules-examples/README.md").to_path_buf(),
    ];
    for e in std::fs::read_dir("docs").expect("docs/") {
        files.push(e.expect("entry").path());
    }
    let mut broken = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable");
        let base = f.parent().unwrap_or(Path::new("."));
        for link in links(&text) {
            if link.starts_with("http") || link.starts_with('#') || link.starts_with("mailto:") {
                continue;
            }
            let target = link.split('#').next().unwrap_or("");
            if !target.is_empty() && !base.join(target).exists() {
                broken.push(format!("{}: {link}", f.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
