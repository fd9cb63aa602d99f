//! Unused declarations (M2008, warning): parameters, conditions, windows, tables and milestones
//! nothing refers to.

use super::LintInput;
use crate::diagnostics::{Code, Diagnostic};

pub(super) fn run(input: &LintInput<'_>, diags: &mut Vec<Diagnostic>) {
    // With errors present, a misspelt use makes its declaration look unused: stay quiet.
    if diags.iter().any(Diagnostic::is_error) {
        return;
    }
    let p = input.program;
    let kinds: [(u8, &str, Vec<&str>); 6] = [
        (
            0,
            "parameter",
            p.params.iter().map(|x| x.name.as_str()).collect(),
        ),
        (
            1,
            "condition",
            p.conditions.iter().map(|x| x.name.as_str()).collect(),
        ),
        (
            2,
            "window",
            p.windows.iter().map(|x| x.name.as_str()).collect(),
        ),
        (
            3,
            "table",
            p.tables.iter().map(|x| x.name.as_str()).collect(),
        ),
        (
            4,
            "milestone",
            p.milestones.iter().map(|x| x.name.as_str()).collect(),
        ),
        (
            5,
            "rates table",
            p.rates.iter().map(|x| x.name.as_str()).collect(),
        ),
    ];
    let mut found = Vec::new();
    for (kind, what, names) in kinds {
        for (i, name) in names.iter().enumerate() {
            if input.facts.used.contains(&(kind, i)) {
                continue;
            }
            let Some(span) = input.facts.decl_spans.get(&(kind, i)).copied() else {
                continue;
            };
            found.push(
                Diagnostic::new(Code::Unused, format!("{what} `{name}` is never used"), span)
                    .help(format!("remove it, or use it in a rule (a scenario can only change a {what} that is used)")),
            );
        }
    }
    diags.extend(found);
}
