//! Empty windows (M2004): date ranges that end before they start, and deadlines of zero length.

use super::LintInput;
use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{ClauseKind, Item, SettingKind, Within};

fn zero(w: &Within, what: &str, diags: &mut Vec<Diagnostic>) {
    if w.duration.value().is_some_and(|d| d.amount == 0) {
        diags.push(
            Diagnostic::new(
                Code::EmptyWindow,
                format!("{what} `within {}` leaves no time", w.duration),
                w.span,
            )
            .help("give the deadline a length, e.g. `within 30 days`"),
        );
    }
}

pub(super) fn run(input: &LintInput<'_>, diags: &mut Vec<Diagnostic>) {
    for item in input.items {
        match item {
            Item::Window(w) if w.from.value() > w.to.value() && w.to.value().is_some() => diags
                .push(
                    Diagnostic::new(
                        Code::EmptyWindow,
                        format!(
                            "window `{}` ends ({}) before it starts ({})",
                            w.name.text, w.to, w.from
                        ),
                        w.span,
                    )
                    .help("swap the dates: `from` is the first day, `to` the last (both included)"),
                ),
            Item::Header(h) => {
                for s in &h.settings {
                    if let SettingKind::Effective {
                        from: Some(f),
                        to: Some(t),
                    } = &s.kind
                    {
                        if f.value() > t.value() && t.value().is_some() {
                            diags.push(
                                Diagnostic::new(Code::EmptyWindow, format!("the program ends ({t}) before it starts ({f})"), s.span)
                                    .help("`effective from` is the first day, `to` the last (both included)"),
                            );
                        }
                    }
                }
            }
            Item::Milestone(m) => {
                if let Some(w) = &m.within {
                    zero(w, &format!("milestone `{}`", m.name.text), diags);
                }
            }
            Item::Reward(r) => {
                for c in &r.clauses {
                    match &c.kind {
                        ClauseKind::Clawback { within, .. } => zero(within, "the clawback", diags),
                        ClauseKind::Forfeit { within, .. } => {
                            zero(within, "the forfeit deadline", diags)
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
}
