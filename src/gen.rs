//! Deterministic generator of synthetic referral records (benchmark workload). Filled in by the bench work.
