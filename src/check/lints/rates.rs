//! Rates above 100% (M2006, warning): usually a typo (`25%` meant `2.5%`), rarely intended.

use super::LintInput;
use crate::diagnostics::{Code, Diagnostic};
use rust_decimal::Decimal;

pub(super) fn run(input: &LintInput<'_>, diags: &mut Vec<Diagnostic>) {
    for (span, p) in &input.facts.percents {
        if *p > Decimal::ONE_HUNDRED {
            diags.push(
                Diagnostic::new(
                    Code::RateAbove100,
                    format!(
                        "a rate of {}% pays more than the amount it applies to",
                        p.normalize()
                    ),
                    *span,
                )
                .help(
                    "check the number; a discount or commission above 100% is almost always a typo",
                ),
            );
        }
    }
}
