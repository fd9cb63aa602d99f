//! Likely double pay (M2007): two rewards pay the same recipient for the same milestone and
//! neither says `stacks`.

use super::LintInput;
use crate::diagnostics::{Code, Diagnostic};

pub(super) fn run(input: &LintInput<'_>, diags: &mut Vec<Diagnostic>) {
    let rewards = &input.program.rewards;
    for (i, a) in rewards.iter().enumerate() {
        for b in rewards.iter().skip(i + 1) {
            let real = a.milestone != usize::MAX;
            if real
                && a.milestone == b.milestone
                && a.recipient == b.recipient
                && !a.stacks
                && !b.stacks
            {
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
    }
}
