//! Likely double pay (M2007): two rewards pay the same recipient for the same milestone and
//! neither says `stacks`.

use super::LintInput;
use crate::diagnostics::{Code, Diagnostic};

pub(super) fn run(input: &LintInput<'_>, diags: &mut Vec<Diagnostic>) {
    let rewards = &input.program.rewards;
    // The first reward of each (milestone, recipient) that does not stack: every later one
    // that does not stack either is warned about once, against it (n - 1 warnings for n
    // rewards, not one per pair).
    let mut firsts: Vec<usize> = Vec::new();
    for (i, b) in rewards.iter().enumerate() {
        if b.milestone == usize::MAX || b.stacks {
            continue;
        }
        let first = firsts.iter().copied().find(|&f| {
            rewards
                .get(f)
                .is_some_and(|a| a.milestone == b.milestone && a.recipient == b.recipient)
        });
        let Some(a) = first.and_then(|f| rewards.get(f)) else {
            firsts.push(i);
            continue;
        };
        let milestone = input
            .program
            .milestones
            .get(a.milestone)
            .map(|m| m.name.as_str())
            .unwrap_or("?");
        diags.push(
            Diagnostic::new(
                Code::DoublePay,
                format!(
                    "`{}` and `{}` both pay the same recipient for `{milestone}`",
                    a.name, b.name
                ),
                b.span,
            )
            .also(a.span, "also pays for this milestone")
            .help("if both are meant to be paid, add `stacks` to one of them"),
        );
    }
}
