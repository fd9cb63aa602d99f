//! Lints: independent passes over a checked program, one file each. Each takes the program,
//! the items it came from, and the facts the checker recorded, and adds diagnostics. They run
//! even when the checker found errors, so one `merit check` shows everything.

mod double_pay;
mod optional;
mod rates;
mod tiers;
mod unreachable;
mod unused;
mod windows;

use super::LintFacts;
use crate::diagnostics::Diagnostic;
use crate::program::Program;
use crate::syntax::ast::Item;

/// Everything a lint may look at.
pub struct LintInput<'a> {
    /// The checked program (with placeholders where the checker found errors).
    pub program: &'a Program,
    /// The items it came from.
    pub items: &'a [&'a Item],
    /// Facts recorded by the checker.
    pub facts: &'a LintFacts,
}

/// Runs every lint.
pub fn run(program: &Program, items: &[&Item], diags: &mut Vec<Diagnostic>, facts: &LintFacts) {
    let input = LintInput {
        program,
        items,
        facts,
    };
    tiers::run(&input, diags);
    double_pay::run(&input, diags);
    windows::run(&input, diags);
    unreachable::run(&input, diags);
    unused::run(&input, diags);
    rates::run(&input, diags);
    optional::run(&input, diags);
}
