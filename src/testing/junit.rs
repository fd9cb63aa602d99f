//! JUnit XML, the report format CI systems read: one `<testsuite>` per test file, one
//! `<testcase>` per test, `<failure>` with expected beside actual, `<error>` when it could not
//! run. Text is escaped, and characters XML 1.0 cannot hold are dropped.

use super::report::failure_plain;
use super::{Outcome, Report};
use std::fmt::Write as _;

/// Escapes text for an XML attribute value or element content.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Kept as character references so attribute values keep their line breaks.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The report as a JUnit XML document.
pub fn render_junit(report: &Report) -> String {
    let c = report.counts();
    // With a threshold, each program's coverage is a test case of its own, failed below it.
    let thresholds: Vec<(&super::coverage::ProgramCoverage, bool)> =
        match (report.threshold, &report.coverage) {
            (Some(t), Some(cov)) => cov.iter().map(|p| (p, p.meets(t))).collect(),
            _ => Vec::new(),
        };
    let below = thresholds.iter().filter(|(_, ok)| !ok).count();
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"merit test\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
        c.tests
            .saturating_add(c.bad_files)
            .saturating_add(thresholds.len()),
        c.failed.saturating_add(below),
        c.errors.saturating_add(c.bad_files)
    );
    for f in &report.files {
        let stem = f
            .test_file
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&f.test_file)
            .trim_end_matches(".test.json");
        let failed = f
            .tests
            .iter()
            .filter(|t| matches!(t.outcome, Outcome::Failed(_)))
            .count();
        let errors = f
            .tests
            .iter()
            .filter(|t| matches!(t.outcome, Outcome::Error(_)))
            .count()
            .saturating_add(usize::from(f.error.is_some()));
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"{errors}\" skipped=\"0\">",
            escape(&f.test_file),
            f.tests.len().saturating_add(usize::from(f.error.is_some()))
        );
        let _ = writeln!(out, "    <properties>");
        let _ = writeln!(
            out,
            "      <property name=\"program\" value=\"{}\"/>",
            escape(&f.program)
        );
        if let Some(p) = report
            .coverage
            .iter()
            .flatten()
            .find(|p| p.program == f.program)
        {
            let _ = writeln!(
                out,
                "      <property name=\"coverage\" value=\"{}/{} ({}%)\"/>",
                p.covered, p.total, p.percent
            );
        }
        let _ = writeln!(out, "    </properties>");
        if let Some(e) = &f.error {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"(test file)\">",
                escape(stem)
            );
            let _ = writeln!(
                out,
                "      <error message=\"the test file cannot be used\">{}</error>",
                escape(e)
            );
            let _ = writeln!(out, "    </testcase>");
        }
        for t in &f.tests {
            let open = format!(
                "    <testcase classname=\"{}\" name=\"{}\"",
                escape(stem),
                escape(&t.name)
            );
            match &t.outcome {
                Outcome::Passed => {
                    let _ = writeln!(out, "{open}/>");
                }
                Outcome::Failed(failures) => {
                    let _ = writeln!(out, "{open}>");
                    let first = failures.first().map(|f| f.message.as_str()).unwrap_or("");
                    let kind = failures.first().map(|f| f.kind).unwrap_or("failure");
                    let body: Vec<String> = failures.iter().map(failure_plain).collect();
                    let _ = writeln!(
                        out,
                        "      <failure message=\"{}\" type=\"{kind}\">{}</failure>",
                        escape(first),
                        escape(&body.join("\n"))
                    );
                    let _ = writeln!(out, "    </testcase>");
                }
                Outcome::Error(e) => {
                    let _ = writeln!(out, "{open}>");
                    let first = e.lines().next().unwrap_or("");
                    let _ = writeln!(
                        out,
                        "      <error message=\"{}\">{}</error>",
                        escape(first),
                        escape(e)
                    );
                    let _ = writeln!(out, "    </testcase>");
                }
            }
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    if let (Some(t), false) = (report.threshold, thresholds.is_empty()) {
        let _ = writeln!(
            out,
            "  <testsuite name=\"coverage threshold {t}%\" tests=\"{}\" failures=\"{below}\" errors=\"0\" skipped=\"0\">",
            thresholds.len()
        );
        for (p, ok) in &thresholds {
            let open = format!(
                "    <testcase classname=\"coverage\" name=\"{}\"",
                escape(&p.program)
            );
            if *ok {
                let _ = writeln!(out, "{open}/>");
            } else {
                let message = format!(
                    "coverage {}/{} ({}%) is below the threshold of {t}%",
                    p.covered, p.total, p.percent
                );
                let _ = writeln!(out, "{open}>");
                let _ = writeln!(
                    out,
                    "      <failure message=\"{}\" type=\"coverage\">{}</failure>",
                    escape(&message),
                    escape(&message)
                );
                let _ = writeln!(out, "    </testcase>");
            }
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(escape("x\u{1}y\u{FFFF}"), "xy");
        assert_eq!(escape("l1\nl2"), "l1&#10;l2");
    }
}
