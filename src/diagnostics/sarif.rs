//! SARIF 2.1.0, the format code-scanning tools read (GitHub uploads it with
//! `github/codeql-action/upload-sarif`): one run for the tool `merit`, every diagnostic code as
//! a rule, every diagnostic as a result with its level, message and location. Columns count
//! Unicode code points (`columnKind`), as the text renderer does.

use super::{Code, Diagnostic, Label, Severity};
use crate::source::SourceMap;
use serde::Serialize;

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: String,
    short_description: Text,
    default_configuration: Configuration,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A file name as a SARIF URI: a relative reference (forward slashes, percent-encoded) for a
/// relative path, a `file://` URI for an absolute one.
fn uri(name: &str) -> String {
    let path = name.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push_str("file://");
    } else if path.as_bytes().get(1) == Some(&b':') {
        // A Windows drive path: `C:/x` → `file:///C:/x`.
        out.push_str("file:///");
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn location(label: &Label, sources: &SourceMap, id: Option<usize>) -> Option<Location> {
    let file = sources.get(label.span.file)?;
    let (start_line, start_column) = file.line_col(label.span.start as usize);
    let (end_line, end_column) = file.line_col(label.span.end as usize);
    // An empty span still marks one character.
    let end_column = if (end_line, end_column) == (start_line, start_column) {
        start_column.saturating_add(1)
    } else {
        end_column
    };
    Some(Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri(&file.name),
            },
            region: Region {
                start_line,
                start_column,
                end_line,
                end_column,
            },
        },
        message: (id.is_some() && !label.message.is_empty()).then(|| Text {
            text: label.message.clone(),
        }),
    })
}

/// Renders the diagnostics of one or more checked programs as one SARIF 2.1.0 log.
pub fn render_sarif(programs: &[(&[Diagnostic], &SourceMap)]) -> String {
    let rules: Vec<Rule> = Code::ALL
        .iter()
        .map(|c| Rule {
            id: c.as_str(),
            name: format!("{c:?}"),
            short_description: Text {
                text: c.title().to_string(),
            },
            default_configuration: Configuration {
                level: level(c.severity()),
            },
        })
        .collect();
    let mut results = Vec::new();
    for (diags, sources) in programs {
        for d in diags.iter() {
            let pi = d.labels.iter().position(|l| l.primary).unwrap_or(0);
            let primary = d.labels.get(pi);
            let locations: Vec<Location> = primary
                .and_then(|l| location(l, sources, None))
                .into_iter()
                .collect();
            let related_locations: Vec<Location> = d
                .labels
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != pi)
                .zip(1..)
                .filter_map(|((_, l), n)| location(l, sources, Some(n)))
                .collect();
            let mut text = d.message.clone();
            if let Some(note) = primary.map(|l| &l.message).filter(|m| !m.is_empty()) {
                text.push_str(&format!(" ({note})"));
            }
            if let Some(h) = &d.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            results.push(SarifResult {
                rule_id: d.code.as_str(),
                rule_index: Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0),
                level: level(d.severity),
                message: Text { text },
                locations,
                related_locations,
            });
        }
    }
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "merit",
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    let mut s = serde_json::to_string_pretty(&log)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn file_names_become_uris() {
        assert_eq!(uri("rules/program.rules"), "rules/program.rules");
        assert_eq!(uri("my rules/a#b.rules"), "my%20rules/a%23b.rules");
        assert_eq!(uri("/abs/x.rules"), "file:///abs/x.rules");
        assert_eq!(uri("C:\\r\\x.rules"), "file:///C:/r/x.rules");
    }
}
