//! Reducing a checked program to its outline: one [`Section`] per declaration, its facts taken
//! from the checked program (values, labels, caps) and from the source text (expressions,
//! clauses; comments dropped, white space collapsed). Re-exported from `terms`.

use super::Section;
use crate::finance::Loaded;
use crate::program::Program;
use crate::source::Span;
use crate::syntax::ast::{self, AmountSpec, BonusAmount, CapLimit, ClauseKind, Item, Schedule};
use crate::syntax::Parsed;
use crate::value::Type;

/// Source text without comments, white space collapsed.
fn text(parsed: &Parsed, span: Span) -> String {
    let raw = parsed
        .sources
        .get(span.file)
        .map(|f| f.slice(span))
        .unwrap_or_default();
    let mut out = String::with_capacity(raw.len());
    let (mut in_string, mut escaped, mut in_comment, mut space) = (false, false, false, false);
    for c in raw.chars() {
        if in_comment {
            if c == '\n' {
                in_comment = false;
                space = true;
            }
            continue;
        }
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '#' => in_comment = true,
            c if c.is_whitespace() => space = true,
            c => {
                if space && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                if c == '"' {
                    in_string = true;
                }
                out.push(c);
            }
        }
    }
    out
}

fn type_text(ty: &Type) -> String {
    match ty {
        Type::Money(None) => "money (currency from the record)".to_string(),
        other => other.to_string(),
    }
}

fn period_text(p: &ast::Period) -> String {
    match p {
        ast::Period::Named(n) => n.text.clone(),
        ast::Period::Rolling(d, _) => format!("rolling {d}"),
    }
}

fn within_text(w: &ast::Within) -> String {
    format!("{} after {}", w.duration, w.anchor.text)
}

/// Adds a fact, numbering repeated keys (`bonus if x (2)`).
fn push(facts: &mut Vec<(String, String)>, key: String, value: String) {
    let mut k = key.clone();
    let mut n = 1u32;
    while facts.iter().any(|(f, _)| *f == k) {
        n = n.saturating_add(1);
        k = format!("{key} ({n})");
    }
    facts.push((k, value));
}

/// The outline of a program.
pub fn outline(loaded: &Loaded) -> Vec<Section> {
    let (p, parsed) = (&loaded.program, &loaded.parsed);
    let mut out = vec![header(p)];
    let one = |what, name: &str, value: String| Section {
        what,
        name: name.to_string(),
        facts: vec![(String::new(), value)],
    };
    for x in &p.params {
        out.push(one("param", &x.name, x.value.to_string()));
    }
    for f in p.fields.iter().skip(4) {
        let mut t = type_text(&f.ty);
        if f.optional {
            t.push_str(", optional");
        }
        out.push(one("field", &f.dotted, t));
    }
    for e in &p.events {
        out.push(Section {
            what: "event",
            name: e.name.clone(),
            facts: e
                .attrs
                .iter()
                .map(|a| (a.dotted.clone(), type_text(&a.ty)))
                .collect(),
        });
    }
    for w in &p.windows {
        out.push(one(
            "window",
            &w.name,
            format!("from {} to {}", w.from, w.to),
        ));
    }
    for t in &p.tables {
        let mut facts = Vec::new();
        let key = p.fields.get(t.key).map(|f| f.dotted.clone());
        push(&mut facts, "by".into(), key.unwrap_or_default());
        for (k, v) in &t.rows {
            push(&mut facts, k.to_string(), v.to_string());
        }
        if let Some(d) = &t.default {
            push(&mut facts, "else".into(), d.to_string());
        }
        out.push(Section {
            what: "table",
            name: t.name.clone(),
            facts,
        });
    }
    for c in &p.conditions {
        out.push(one("condition", &c.name, c.text.clone()));
    }
    if !p.eligibility.is_empty() {
        let mut facts = Vec::new();
        for t in &p.eligibility {
            push(
                &mut facts,
                format!("{} if {}", t.name, t.text),
                String::new(),
            );
        }
        out.push(Section {
            what: "eligibility",
            name: String::new(),
            facts,
        });
    }
    for r in &p.rejects {
        out.push(one("reject", &r.name, r.text.clone()));
    }
    if let Some(d) = &p.duplicates {
        let keep = if d.keep_first { "first" } else { "last" };
        out.push(one(
            "duplicates",
            "",
            format!("by {} keep {keep}", d.key_path),
        ));
    }
    let items = parsed.modules.iter().flat_map(|(_, m)| m.items.iter());
    for item in items.clone() {
        if let Item::Milestone(m) = item {
            out.push(milestone(parsed, m));
        }
    }
    for item in items {
        if let Item::Reward(r) = item {
            out.push(reward(parsed, r));
        }
    }
    out
}

fn header(p: &Program) -> Section {
    let mut facts: Vec<(String, String)> = vec![
        ("name".into(), format!("\"{}\"", p.name)),
        ("version".into(), format!("\"{}\"", p.version)),
        ("currency".into(), p.currency.to_string()),
        ("timezone".into(), format!("\"{}\"", p.tz.name())),
    ];
    let mut rounding = p.rounding.mode.name().to_string();
    if let Some(s) = p.rounding.scale {
        rounding.push_str(&format!(" scale {s}"));
    }
    facts.push(("rounding".into(), rounding));
    match p.effective {
        (None, None) => {}
        (from, to) => {
            let mut e = Vec::new();
            if let Some(f) = from {
                e.push(format!("from {f}"));
            }
            if let Some(t) = to {
                e.push(format!("to {t}"));
            }
            facts.push(("effective".into(), e.join(" ")));
        }
    }
    for b in &p.budgets {
        facts.push(("budget".into(), b.to_string()));
    }
    if let Some(m) = p.minimum_payout {
        facts.push(("minimum payout".into(), m.to_string()));
    }
    Section {
        what: "program",
        name: String::new(),
        facts,
    }
}

fn milestone(parsed: &Parsed, m: &ast::Milestone) -> Section {
    let mut facts = Vec::new();
    let each = if m.each { "each " } else { "" };
    facts.push(("event".into(), format!("{each}event {}", m.event.text)));
    if let Some(f) = &m.filter {
        facts.push(("where".into(), text(parsed, f.span)));
    }
    if let Some(w) = &m.within {
        facts.push(("deadline".into(), format!("within {}", within_text(w))));
    }
    if let Some(n) = &m.limit {
        facts.push(("limit".into(), n.to_string()));
    }
    Section {
        what: "milestone",
        name: m.name.text.clone(),
        facts,
    }
}

fn reward(parsed: &Parsed, r: &ast::Reward) -> Section {
    let mut facts = Vec::new();
    push(&mut facts, "on".into(), r.milestone.text.clone());
    push(&mut facts, "to".into(), r.recipient.dotted());
    for c in &r.clauses {
        match &c.kind {
            ClauseKind::Pays { kind, amount } => {
                push(&mut facts, "kind".into(), kind.text.clone());
                let bands = match amount {
                    AmountSpec::Expr(e) => {
                        push(&mut facts, "amount".into(), text(parsed, e.span));
                        &[][..]
                    }
                    AmountSpec::Tiers { measure, bands } => {
                        let t = format!("tiers by {}", text(parsed, measure.span));
                        push(&mut facts, "amount".into(), t);
                        &bands[..]
                    }
                    AmountSpec::CountTiers {
                        period,
                        mode,
                        bands,
                    } => {
                        let mode = mode.as_ref().map_or("marginal", |m| m.text.as_str());
                        let t = format!("tiers by count per {} {mode}", period_text(period));
                        push(&mut facts, "amount".into(), t);
                        &bands[..]
                    }
                };
                for b in bands {
                    let mut label = Vec::new();
                    if let Some(l) = &b.lower {
                        label.push(text(parsed, l.span));
                    }
                    if let Some(u) = &b.upper {
                        label.push(text(parsed, u.span));
                    }
                    let label = if label.is_empty() {
                        "any".to_string()
                    } else {
                        label.join(" ")
                    };
                    let mut pays = text(parsed, b.pays.span);
                    if let Some(m) = &b.min {
                        pays.push_str(&format!(" min {}", text(parsed, m.span())));
                    }
                    if let Some(m) = &b.max {
                        pays.push_str(&format!(" max {}", text(parsed, m.span())));
                    }
                    push(&mut facts, format!("band `{label}`"), pays);
                }
            }
            ClauseKind::Hold(d) => push(&mut facts, "hold".into(), d.to_string()),
            ClauseKind::Schedule(s) => {
                let t = match s {
                    Schedule::Immediately => "immediately".to_string(),
                    Schedule::EndOfNextMonth => "end of next month".to_string(),
                    Schedule::DayOfNextMonth(d) => format!("on {d} of next month"),
                    Schedule::Quarterly => "quarterly".to_string(),
                };
                push(&mut facts, "pay".into(), t);
            }
            ClauseKind::Expires { after, anchor } => push(
                &mut facts,
                "expires".into(),
                format!("{after} after {}", anchor.text),
            ),
            ClauseKind::Clawback { event, within } => push(
                &mut facts,
                "clawback".into(),
                format!("if {} within {}", event.text, within_text(within)),
            ),
            ClauseKind::Forfeit { event, within } => push(
                &mut facts,
                "forfeit".into(),
                format!("unless {} within {}", event.text, within_text(within)),
            ),
            ClauseKind::Cap(cap) => {
                let mut key = format!("cap per {}", cap.scope.text);
                if let Some(p) = &cap.period {
                    key.push_str(&format!(" per {}", period_text(p)));
                }
                let limit = match &cap.limit {
                    ast::Term::Value(CapLimit::Money(m)) => match m.money() {
                        Some(money) => money.to_string(),
                        None => format!("{} {}", m.amount, m.currency.text),
                    },
                    ast::Term::Value(CapLimit::Count(n)) => n.to_string(),
                    ast::Term::Param(n) | ast::Term::Named { name: n, .. } => n.text.clone(),
                };
                push(&mut facts, key, limit);
            }
            ClauseKind::Bonus { bonus, when } => {
                let size = match bonus {
                    BonusAmount::Multiplier(ast::Term::Value(m)) => format!("x{}", m.normalize()),
                    BonusAmount::Multiplier(
                        ast::Term::Param(n) | ast::Term::Named { name: n, .. },
                    ) => {
                        format!("x {}", n.text)
                    }
                    BonusAmount::Fixed(l) => text(parsed, l.span()),
                };
                push(
                    &mut facts,
                    format!("bonus if {}", text(parsed, when.span)),
                    size,
                );
            }
            ClauseKind::OnlyIf(e) => {
                push(
                    &mut facts,
                    format!("only if {}", text(parsed, e.span)),
                    String::new(),
                );
            }
            ClauseKind::Nth { every, n, period } => {
                let word = if *every { "every" } else { "at" };
                push(
                    &mut facts,
                    "pays only".into(),
                    format!(
                        "{word} {} referral per {}",
                        crate::fmt::expr::ordinal(*n),
                        period_text(period)
                    ),
                );
            }
            ClauseKind::Stacks => push(&mut facts, "stacks".into(), "yes".into()),
        }
    }
    Section {
        what: "reward",
        name: r.name.text.clone(),
        facts,
    }
}
