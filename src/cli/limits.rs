//! The limit flags, shared by every command that reads records or rule files. Defaults and
//! what happens past each limit: `docs/reliability.md`.

use crate::records::RecordLimits;
use crate::syntax::SyntaxLimits;

/// Limits on record input and on the work one record or one run may cause.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Record limits")]
pub struct RecordLimitArgs {
    /// Longest record line accepted, in bytes (longer lines are record problems and are never
    /// held in memory).
    #[arg(long, value_name = "BYTES", default_value_t = RecordLimits::default().max_line_bytes)]
    pub max_line_bytes: usize,
    /// Deepest nesting of objects and lists in one record, its own object being level 1 (more:
    /// a record problem naming the field).
    #[arg(long, value_name = "N", default_value_t = RecordLimits::default().max_json_depth,
        value_parser = at_least_one())]
    pub max_json_depth: usize,
    /// Most events one record may carry (more: a record problem).
    #[arg(long, value_name = "N", default_value_t = RecordLimits::default().max_events)]
    pub max_events: usize,
    /// Most reward lines one record may earn (more: a record problem naming the reward).
    #[arg(long, value_name = "N", default_value_t = RecordLimits::default().max_record_lines)]
    pub max_record_lines: usize,
    /// Most reward lines one run may compute (more: the run stops, exit 2, nothing written).
    #[arg(long, value_name = "N", default_value_t = RecordLimits::default().max_run_lines)]
    pub max_run_lines: u64,
    /// Most evaluation steps for one record: each event a milestone or an event function looks
    /// at is one (more: a record problem naming the rule).
    #[arg(long, value_name = "N", default_value_t = RecordLimits::default().max_record_work)]
    pub max_record_work: u64,
    /// Most problems listed for one record (more: the first ones found are listed, and one more
    /// problem says how many the record has).
    #[arg(long, value_name = "N", default_value_t = RecordLimits::default().max_record_problems,
        value_parser = at_least_one())]
    pub max_record_problems: usize,
}

impl RecordLimitArgs {
    /// The limits these flags give.
    pub fn limits(&self) -> RecordLimits {
        RecordLimits {
            max_line_bytes: self.max_line_bytes,
            max_json_depth: self.max_json_depth,
            max_events: self.max_events,
            max_record_lines: self.max_record_lines,
            max_run_lines: self.max_run_lines,
            max_record_work: self.max_record_work,
            max_record_problems: self.max_record_problems,
        }
    }
}

/// A count of at least 1 (a limit of 0 would refuse every record or file).
fn at_least_one() -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new().range(1..)
}

/// A count from 1 to `ceiling` (limits whose recursion must fit merit's stack).
fn up_to(ceiling: usize) -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::<usize>::new()
        .range(1..=u64::try_from(ceiling).unwrap_or(u64::MAX))
}

/// Limits on rule files.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Rule file limits")]
pub struct RuleLimitArgs {
    /// Largest rule file, in bytes (more: M0004; a larger file is never read past the limit).
    #[arg(long, value_name = "BYTES", default_value_t = SyntaxLimits::default().max_file_bytes,
        value_parser = at_least_one())]
    pub max_rule_bytes: usize,
    /// Deepest nesting of `(`, `[` and `{` (and longest run of prefix `-`) in a rule file, at
    /// most 4096 (more: M0004).
    #[arg(long, value_name = "N", default_value_t = SyntaxLimits::default().max_nesting,
        value_parser = up_to(SyntaxLimits::MAX_NESTING_CEILING))]
    pub max_rule_depth: usize,
    /// Most operators in one expression, nested groups included, at most 4096 (more: M0004).
    #[arg(long, value_name = "N", default_value_t = SyntaxLimits::default().max_operators,
        value_parser = up_to(SyntaxLimits::MAX_OPERATORS_CEILING))]
    pub max_rule_operators: usize,
    /// Most files one program may be made of, itself and its includes (more: M0004).
    #[arg(long, value_name = "N", default_value_t = SyntaxLimits::default().max_files,
        value_parser = at_least_one())]
    pub max_rule_files: usize,
}

impl RuleLimitArgs {
    /// The limits these flags give.
    pub fn limits(&self) -> SyntaxLimits {
        SyntaxLimits {
            max_file_bytes: self.max_rule_bytes,
            max_nesting: self.max_rule_depth,
            max_files: self.max_rule_files,
            max_operators: self.max_rule_operators,
        }
    }
}
