//! The registry of diagnostic codes. A code never changes meaning once released; every code
//! listed here is documented in `docs/diagnostics.md` (a test keeps the two in step).

use serde::{Serialize, Serializer};

use super::Severity;

macro_rules! codes {
    ($($variant:ident = $code:literal, $sev:ident, $title:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $(#[doc = $title] $variant,)* }

        impl Code {
            /// Every code, in order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed: `M1103`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// The default severity.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }

            /// A one-line title for the documentation.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }
        }
    };
}

codes! {
    Syntax = "M0001", Error, "the text does not follow the merit grammar";
    InvalidLiteral = "M0002", Error, "a number, date, amount or duration is not valid";
    Include = "M0003", Error, "an included file cannot be read, or includes itself";
    Limit = "M0004", Error, "a rule file exceeds a size or nesting limit";
    MissingHeader = "M1001", Error, "no `program` block, or more than one";
    UnknownCurrency = "M1002", Error, "not an ISO 4217 currency code merit knows";
    UnknownTimezone = "M1003", Error, "not an IANA time zone name";
    UnknownRounding = "M1004", Error, "not a rounding mode";
    MissingSetting = "M1005", Error, "a required header setting is missing";
    DuplicateSetting = "M1006", Error, "a header setting or reward clause is given twice";
    DuplicateName = "M1101", Error, "two declarations share one name";
    UnknownName = "M1102", Error, "a name that no parameter, condition, window, table or milestone declares";
    UnknownField = "M1103", Error, "a record field not declared in `fields`";
    UnknownMilestone = "M1104", Error, "a milestone that is not declared";
    UnknownEvent = "M1105", Error, "an event kind not declared in `events`";
    UnknownRole = "M1106", Error, "not a recipient or eligibility role";
    UnknownKind = "M1107", Error, "not a reward kind";
    UnknownType = "M1108", Error, "not a field type";
    UnknownFunction = "M1109", Error, "not a function merit knows, or called with the wrong arguments";
    UnknownWord = "M1110", Error, "a word that is not allowed in this position (period, cap scope, keep, mode)";
    DuplicateField = "M1111", Error, "a field or event attribute declared twice";
    TypeMismatch = "M1201", Error, "a value of the wrong type";
    CurrencyMismatch = "M1202", Error, "amounts of two currencies combined or compared";
    NotBoolean = "M1203", Error, "a condition that is not true/false";
    BadAmount = "M1204", Error, "a reward amount that does not fit its kind";
    OptionalUnguarded = "M1205", Warning, "an optional field used without an `is present` test";
    MinimumOtherCurrency = "M1206", Warning, "a reward paid in another currency than the minimum payout, which never holds its lines";
    MissingPays = "M1301", Error, "a reward without a kind and amount, or with two";
    InvalidClause = "M1302", Error, "a reward clause whose values cannot work";
    Cycle = "M1303", Error, "conditions or milestones that depend on themselves";
    TierGap = "M2001", Error, "tier bands leave a gap";
    TierOverlap = "M2002", Error, "tier bands overlap";
    TierUnsorted = "M2003", Error, "tier bands are not in ascending order";
    EmptyWindow = "M2004", Error, "a date range or window that contains no time";
    UnreachableMilestone = "M2005", Error, "a milestone or reward that can never be reached";
    RateAbove100 = "M2006", Warning, "a rate above 100%";
    DoublePay = "M2007", Warning, "two rewards pay one recipient for one milestone without `stacks`";
    Unused = "M2008", Warning, "a parameter, condition, window, table or milestone nothing uses";
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
