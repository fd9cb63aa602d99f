//! The canonical layout: the syntax tree of one file laid out as [`Line`]s.
//!
//! Items stay in source order, one per line (or per block); blocks are `head {`, their entries
//! indented by two spaces, `}`. The program header's settings come in a fixed order. A
//! declaration too long for [`WIDTH`] breaks after its keyword (`if`, `=`, `where`), then, if
//! still too long, before each `and`/`or` of its top level; a milestone too long breaks before
//! `where`, `within` and `limit`. Tier bands and table rows are aligned on `=>`.

use super::expr::{self, literal, money, ordinal, period, quote, type_kind, within, ExprPrinter};
use super::layout::{Blank, Line};
use super::scan::Scan;
use crate::source::Span;
use crate::syntax::ast::*;

/// The widest a line of code should be, indentation included (comments not counted).
pub(crate) const WIDTH: usize = 100;

/// Lays out one file.
pub(crate) struct Printer<'s, 'a> {
    scan: &'s Scan<'a>,
    ex: ExprPrinter<'s, 'a>,
    /// The lines so far.
    pub lines: Vec<Line>,
}

// Indents, widths and source positions below are those of a rule file that parsed (at most
// `SyntaxLimits::max_file_bytes`, nesting at most `SyntaxLimits::max_nesting`): the saturating
// additions never saturate.
fn fits(indent: usize, text: &str) -> bool {
    indent.saturating_add(text.chars().count()) <= WIDTH
}

/// The position of a header setting in the canonical order.
pub(crate) fn setting_rank(kind: &SettingKind) -> u8 {
    match kind {
        SettingKind::Version(_) => 0,
        SettingKind::Currency(_) => 1,
        SettingKind::Timezone(_) => 2,
        SettingKind::Rounding { .. } => 3,
        SettingKind::Effective { .. } => 4,
        SettingKind::Budget(_) => 5,
        SettingKind::MinimumPayout(_) => 6,
    }
}

/// The span of an item, when the syntax tree keeps one (`fields` and `events` do not).
fn item_span(item: &Item) -> Option<Span> {
    Some(match item {
        Item::Header(h) => h.span,
        Item::Include(i) => i.span,
        Item::Param(p) => p.span,
        Item::Fields(_) | Item::Events(_) => return None,
        Item::Table(t) => t.span,
        Item::Condition(c) => c.span,
        Item::Window(w) => w.span,
        Item::Eligible(e) => e.span,
        Item::Reject(r) => r.span,
        Item::Duplicates(d) => d.span,
        Item::Rates(r) => r.span,
        Item::Milestone(m) => m.span,
        Item::Reward(r) => r.span,
    })
}

impl<'s, 'a> Printer<'s, 'a> {
    /// A printer for a file scanned as `scan`.
    pub fn new(scan: &'s Scan<'a>) -> Printer<'s, 'a> {
        Printer {
            scan,
            ex: ExprPrinter { scan },
            lines: Vec::new(),
        }
    }

    fn push(&mut self, indent: usize, text: String, lo: u32, hi: u32, blank: Blank) {
        self.lines.push(Line::new(indent, text, lo, hi, blank));
    }

    /// `head {` for a block whose source runs `lo..hi` (ending with its `}`); returns where the
    /// entries may start.
    fn open(&mut self, indent: usize, head: &str, lo: u32, hi: u32) -> u32 {
        let brace = self
            .scan
            .open_brace(lo, hi)
            .map_or(lo, |b| b.saturating_add(1));
        let mut line = Line::new(indent, format!("{head} {{"), lo, brace, Blank::Always);
        line.opens = true;
        self.lines.push(line);
        brace
    }

    /// The `}` of a block whose source ends at `hi`.
    fn close(&mut self, indent: usize, hi: u32) {
        let mut line = Line::new(
            indent,
            "}".into(),
            hi.saturating_sub(1),
            hi,
            Blank::CommentsOnly,
        );
        line.comment_indent = indent.saturating_add(2);
        self.lines.push(line);
    }

    /// Every item of a file, in source order.
    pub fn items(&mut self, items: &[Item]) {
        let mut prev = 0;
        for item in items {
            let (lo, hi) = match item_span(item) {
                Some(span) => self.scan.trim(span),
                None => {
                    let lo = self.scan.next_code_start(prev);
                    let hi = self
                        .scan
                        .open_brace(lo, self.scan.len())
                        .and_then(|o| self.scan.close_brace(o))
                        .map_or(lo, |c| c.saturating_add(1));
                    (lo, hi)
                }
            };
            self.item(item, lo, hi);
            prev = hi;
        }
    }

    fn item(&mut self, item: &Item, lo: u32, hi: u32) {
        match item {
            Item::Header(h) => self.header(h, lo, hi),
            Item::Include(i) => self.push(
                0,
                format!("include {}", quote(&i.path)),
                lo,
                hi,
                Blank::Always,
            ),
            Item::Param(p) => {
                let text = format!("param {} = {}", p.name.text, literal(&p.value));
                self.push(0, text, lo, hi, Blank::Always);
            }
            Item::Fields(fields) => {
                if fields.is_empty() {
                    return self.push(0, "fields {}".into(), lo, hi, Blank::Always);
                }
                self.open(0, "fields", lo, hi);
                for f in fields {
                    let (flo, fhi) = self.scan.trim(f.span);
                    self.push(2, field(f), flo, fhi, Blank::Always);
                }
                self.close(0, hi);
            }
            Item::Events(events) => {
                if events.is_empty() {
                    return self.push(0, "events {}".into(), lo, hi, Blank::Always);
                }
                self.open(0, "events", lo, hi);
                for e in events {
                    self.event(e);
                }
                self.close(0, hi);
            }
            Item::Table(t) => self.table(t, lo, hi),
            Item::Condition(c) => {
                self.head_expr(0, &format!("condition {} =", c.name.text), &c.expr, lo, hi)
            }
            Item::Window(w) => {
                let text = format!("window {} = from {} to {}", w.name.text, w.from, w.to);
                self.push(0, text, lo, hi, Blank::Always);
            }
            Item::Eligible(e) => {
                self.head_expr(0, &format!("eligible {} if", e.role.text), &e.expr, lo, hi)
            }
            Item::Reject(r) => {
                self.head_expr(0, &format!("reject {} if", r.name.text), &r.expr, lo, hi)
            }
            Item::Duplicates(d) => {
                let text = format!("duplicates by {} keep {}", d.key.dotted(), d.keep.text);
                self.push(0, text, lo, hi, Blank::Always);
            }
            Item::Rates(r) => {
                let text = format!("rates {} in {}", r.name.text, r.currency.text);
                self.push(0, text, lo, hi, Blank::Always);
            }
            Item::Milestone(m) => self.milestone(m, lo, hi),
            Item::Reward(r) => self.reward(r, lo, hi),
        }
    }

    fn header(&mut self, h: &Header, lo: u32, hi: u32) {
        let head = format!("program {}", quote(&h.name));
        if h.settings.is_empty() {
            return self.push(0, format!("{head} {{}}"), lo, hi, Blank::Always);
        }
        self.open(0, &head, lo, hi);
        let mut settings: Vec<&Setting> = h.settings.iter().collect();
        settings.sort_by_key(|s| setting_rank(&s.kind));
        for s in settings {
            let (slo, shi) = self.scan.trim(s.span);
            self.push(2, setting(&s.kind), slo, shi, Blank::Never);
        }
        self.close(0, hi);
    }

    fn event(&mut self, e: &EventDecl) {
        let (lo, hi) = self.scan.trim(e.span);
        match e.attrs.as_slice() {
            [] => self.push(2, e.kind.text.clone(), lo, hi, Blank::Always),
            [one] => {
                let text = format!("{} {{ {} }}", e.kind.text, field(one));
                self.push(2, text, lo, hi, Blank::Always);
            }
            attrs => {
                self.open(2, &e.kind.text, lo, hi);
                for a in attrs {
                    let (alo, ahi) = self.scan.trim(a.span);
                    self.push(4, field(a), alo, ahi, Blank::Always);
                }
                self.close(2, hi);
            }
        }
    }

    fn table(&mut self, t: &Table, lo: u32, hi: u32) {
        let head = format!("table {} by {}", t.name.text, t.key.dotted());
        if t.rows.is_empty() && t.default.is_none() {
            return self.push(0, format!("{head} {{}}"), lo, hi, Blank::Always);
        }
        let mut prev = self.open(0, &head, lo, hi);
        let mut rows: Vec<(String, String, u32, u32)> = Vec::new();
        for (k, v) in &t.rows {
            let (rlo, _) = self.scan.trim(k.span);
            let (_, rhi) = self.scan.trim(v.span);
            rows.push((literal(k), literal(v), rlo, rhi));
            prev = rhi;
        }
        if let Some(v) = &t.default {
            let (_, rhi) = self.scan.trim(v.span);
            rows.push((
                "else".into(),
                literal(v),
                self.scan.next_code_start(prev),
                rhi,
            ));
        }
        let w = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
        for (key, value, rlo, rhi) in rows {
            let text = format!("{key:<w$} => {value}");
            self.push(2, text, rlo, rhi, Blank::Always);
        }
        self.close(0, hi);
    }

    fn milestone(&mut self, m: &Milestone, lo: u32, hi: u32) {
        let each = if m.each { "each " } else { "" };
        let head = format!("milestone {} = {each}event {}", m.name.text, m.event.text);
        let mut flat = head.clone();
        if let Some(f) = &m.filter {
            flat = format!("{flat} where {}", self.ex.expr(f));
        }
        if let Some(w) = &m.within {
            flat = format!("{flat} {}", within(w));
        }
        if let Some(n) = &m.limit {
            flat = format!("{flat} limit {n}");
        }
        if fits(0, &flat) {
            return self.push(0, flat, lo, hi, Blank::Always);
        }
        let (_, mut prev) = self.scan.trim(m.event.span);
        self.push(0, head, lo, prev, Blank::Always);
        if let Some(f) = &m.filter {
            let (_, fhi) = self.scan.trim(f.span);
            self.head_expr_at(2, "where", f, prev, fhi, Blank::Never);
            prev = fhi;
        }
        if let Some(w) = &m.within {
            let (_, whi) = self.scan.trim(w.span);
            self.push(2, within(w), prev, whi, Blank::Never);
            prev = whi;
        }
        if let Some(n) = &m.limit {
            self.push(2, format!("limit {n}"), prev, hi, Blank::Never);
        }
    }

    /// A declaration `head expr` at the top level.
    fn head_expr(&mut self, indent: usize, head: &str, e: &Expr, lo: u32, hi: u32) {
        self.head_expr_at(indent, head, e, lo, hi, Blank::Always);
    }

    /// `head expr` on one line if it fits; else the expression on the next line, indented; else
    /// the top-level `and`/`or` operands one per line, the operator leading.
    fn head_expr_at(
        &mut self,
        indent: usize,
        head: &str,
        e: &Expr,
        lo: u32,
        hi: u32,
        blank: Blank,
    ) {
        let flat = self.ex.expr(e);
        let one = format!("{head} {flat}");
        if fits(indent, &one) {
            return self.push(indent, one, lo, hi, blank);
        }
        let (elo, _) = self.scan.trim(e.span);
        let head_hi = self.scan.prev_code_end(elo).max(lo);
        self.push(indent, head.to_string(), lo, head_hi, blank);
        let inner = indent.saturating_add(2);
        let chain = chain(e);
        match chain {
            Some((op, operands)) if !fits(inner, &flat) => {
                let p = expr::binary_prec(op);
                let mut prev = head_hi;
                let last = operands.len().saturating_sub(1);
                for (k, operand) in operands.into_iter().enumerate() {
                    let text = if k == 0 {
                        self.ex.operand(operand, expr::prec(operand) < p)
                    } else {
                        format!(
                            "{} {}",
                            op.symbol(),
                            self.ex.operand(operand, expr::prec(operand) <= p)
                        )
                    };
                    let ohi = if k == last {
                        hi
                    } else {
                        self.scan.trim(operand.span).1
                    };
                    self.push(inner, text, prev, ohi, Blank::Never);
                    prev = ohi;
                }
            }
            _ => self.push(inner, flat, head_hi, hi, Blank::Never),
        }
    }

    fn reward(&mut self, r: &Reward, lo: u32, hi: u32) {
        let head = format!(
            "reward {} on {} to {}",
            r.name.text,
            r.milestone.text,
            r.recipient.dotted()
        );
        if r.clauses.is_empty() {
            return self.push(0, format!("{head} {{}}"), lo, hi, Blank::Always);
        }
        self.open(0, &head, lo, hi);
        for c in &r.clauses {
            self.clause(c);
        }
        self.close(0, hi);
    }

    fn clause(&mut self, c: &Clause) {
        let (lo, hi) = self.scan.trim(c.span);
        let text = match &c.kind {
            ClauseKind::Pays { kind, amount } => return self.pays(&kind.text, amount, lo, hi),
            ClauseKind::Hold(d) => format!("hold {d}"),
            ClauseKind::Schedule(s) => match s {
                Schedule::Immediately => "pay immediately".into(),
                Schedule::EndOfNextMonth => "pay end of next month".into(),
                Schedule::DayOfNextMonth(n) => format!("pay on {n} of next month"),
                Schedule::Quarterly => "pay quarterly".into(),
            },
            ClauseKind::Expires { after, anchor } => {
                format!("expires {after} after {}", anchor.text)
            }
            ClauseKind::Clawback { event, within: w } => {
                format!("clawback if {} {}", event.text, within(w))
            }
            ClauseKind::Forfeit { event, within: w } => {
                format!("forfeit unless {} {}", event.text, within(w))
            }
            ClauseKind::Cap(cap) => {
                let limit = match &cap.limit {
                    Term::Value(CapLimit::Money(m)) => money(m),
                    Term::Value(CapLimit::Count(n)) => n.to_string(),
                    Term::Param(n) | Term::Named { name: n, .. } => n.text.clone(),
                };
                let mut text = format!("cap {limit} per {}", cap.scope.text);
                if let Some(p) = &cap.period {
                    text = format!("{text} {}", period(p));
                }
                text
            }
            ClauseKind::Bonus { bonus, when } => {
                let size = match bonus {
                    BonusAmount::Multiplier(Term::Value(m)) => format!("x{m}"),
                    BonusAmount::Multiplier(Term::Param(n) | Term::Named { name: n, .. }) => {
                        format!("x {}", n.text)
                    }
                    BonusAmount::Fixed(l) => literal_term(l),
                };
                return self.head_expr_at(
                    2,
                    &format!("bonus {size} if"),
                    when,
                    lo,
                    hi,
                    Blank::Always,
                );
            }
            ClauseKind::OnlyIf(e) => {
                return self.head_expr_at(2, "only if", e, lo, hi, Blank::Always)
            }
            ClauseKind::Nth {
                every,
                n,
                period: p,
            } => format!(
                "{} {} referral {}",
                if *every { "every" } else { "at" },
                ordinal(*n),
                period(p)
            ),
            ClauseKind::Stacks => "stacks".into(),
        };
        self.push(2, text, lo, hi, Blank::Always);
    }

    fn pays(&mut self, kind: &str, amount: &AmountSpec, lo: u32, hi: u32) {
        let (head, bands) = match amount {
            AmountSpec::Expr(e) => return self.head_expr_at(2, kind, e, lo, hi, Blank::Always),
            AmountSpec::Tiers { measure, bands } => {
                (format!("{kind} tiers by {}", self.ex.expr(measure)), bands)
            }
            AmountSpec::CountTiers {
                period: p,
                mode,
                bands,
            } => {
                let mut head = format!("{kind} tiers by count {}", period(p));
                if let Some(m) = mode {
                    head = format!("{head} {}", m.text);
                }
                (head, bands)
            }
        };
        self.open(2, &head, lo, hi);
        let bounds: Vec<String> = bands.iter().map(band_bounds).collect();
        let w = bounds.iter().map(|b| b.chars().count()).max().unwrap_or(0);
        for (band, bound) in bands.iter().zip(bounds) {
            let mut text = if w == 0 {
                format!("=> {}", self.ex.expr(&band.pays))
            } else {
                format!("{bound:<w$} => {}", self.ex.expr(&band.pays))
            };
            if let Some(min) = &band.min {
                text = format!("{text} min {}", literal_term(min));
            }
            if let Some(max) = &band.max {
                text = format!("{text} max {}", literal_term(max));
            }
            let (blo, bhi) = self.scan.trim(band.span);
            self.push(4, text, blo, bhi, Blank::Always);
        }
        self.close(2, hi);
    }
}

/// The operands of a top-level `and`/`or` chain: `a and b and c` → `[a, b, c]`.
fn chain(e: &Expr) -> Option<(BinaryOp, Vec<&Expr>)> {
    let ExprKind::Binary { op, .. } = &e.kind else {
        return None;
    };
    let op = *op;
    if !matches!(op, BinaryOp::And | BinaryOp::Or) {
        return None;
    }
    let mut operands = Vec::new();
    let mut cur = e;
    loop {
        match &cur.kind {
            ExprKind::Binary { op: o, lhs, rhs } if *o == op => {
                operands.push(&**rhs);
                cur = lhs;
            }
            _ => break,
        }
    }
    operands.push(cur);
    operands.reverse();
    Some((op, operands))
}

/// `from 50000 below 250000`: a band's ends.
fn band_bounds(b: &Band) -> String {
    let mut parts = Vec::new();
    if let Some(l) = &b.lower {
        parts.push(format!(
            "{} {}",
            if l.inclusive { "from" } else { "above" },
            literal_term(&l.value)
        ));
    }
    if let Some(u) = &b.upper {
        parts.push(format!(
            "{} {}",
            if u.inclusive { "to" } else { "below" },
            literal_term(&u.value)
        ));
    }
    parts.join(" ")
}

/// `referrer.health_score: number optional`.
fn field(f: &FieldDecl) -> String {
    let optional = if f.optional { " optional" } else { "" };
    format!("{}: {}{optional}", f.path.dotted(), type_kind(&f.ty.kind))
}

/// A header setting.
fn setting(kind: &SettingKind) -> String {
    match kind {
        SettingKind::Version(v) => format!("version {}", quote(v)),
        SettingKind::Currency(c) => format!("currency {}", c.text),
        SettingKind::Timezone(z) => format!("timezone {}", quote(z)),
        SettingKind::Rounding { mode, scale } => match scale {
            Some(s) => format!("rounding {} scale {s}", mode.text),
            None => format!("rounding {}", mode.text),
        },
        SettingKind::Effective { from, to } => {
            let mut text = "effective".to_string();
            if let Some(d) = from {
                text = format!("{text} from {d}");
            }
            if let Some(d) = to {
                text = format!("{text} to {d}");
            }
            text
        }
        SettingKind::Budget(m) => format!("budget {}", money_term(m)),
        SettingKind::MinimumPayout(m) => format!("minimum payout {}", money_term(m)),
    }
}

/// A literal, or the parameter's name.
fn literal_term(t: &Term<Literal>) -> String {
    match t {
        Term::Value(l) => literal(l),
        Term::Param(n) | Term::Named { name: n, .. } => n.text.clone(),
    }
}

/// An amount, or the parameter's name.
fn money_term(t: &Term<MoneyLit>) -> String {
    match t {
        Term::Value(m) => money(m),
        Term::Param(n) | Term::Named { name: n, .. } => n.text.clone(),
    }
}
