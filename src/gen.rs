//! Deterministic generator of synthetic referral records: the benchmark workload.
//!
//! [`generate`] writes JSON Lines, one referral record per line, in a fixed key order.
//! The output depends only on `(seed, count)`: the same pair always yields the same
//! bytes, on every platform, because the only source of randomness is a small
//! splitmix64 generator defined here and all formatting is done by hand (no floats,
//! no clock, no hash maps).
//!
//! Shape of one line (keys always in this order; some are occasionally left out):
//!
//! ```text
//! {"id":"R0000002",
//!  "referrer":{"id":"C677244","tier":"silver","health_score":88,"region":"APAC","tenure_days":1335},
//!  "referee":{"id":"P703910","company":"Bluesoylent Ltd","domain":"bluesoylent.co.uk","segment":"enterprise"},
//!  "deal":{"amount":"1462.97","currency":"EUR","stage":"closed_won"},
//!  "events":[{"kind":"meeting_booked","at":"2025-03-09T17:49:34Z"},{"kind":"closed_won","at":"2025-04-18T11:48:26Z"}],
//!  "created_at":"2025-01-12T11:24:21Z"}
//! ```
//!
//! Distribution (approximate, per record):
//! - about 3% lack `referrer.health_score`; 2% lack `deal`; 1% of the remaining deals lack `amount`;
//! - amounts are decimal strings with two decimals: ~80% in 100..60,000,
//!   ~15% in 50,000..250,000 and ~5% in 250,000..1,500,000, so every reward tier occurs;
//! - stage is `closed_won` (~60%), `negotiation` (~25%) or `closed_lost` (~15%);
//! - 0 to 3 events in time order, all strictly after `created_at`; `closed_won` only
//!   when the stage is `closed_won` (present in ~92% of those) and then last; ~10% of
//!   `closed_won` events lie beyond 90 days after `created_at`, and a few lie exactly
//!   on the 90-day boundary;
//! - `created_at` is spread over 2024-01-01..2025-12-31 (UTC).
//!
//! Nothing here reads input: the arithmetic is on the generator's own constants (times within
//! 2024..2026, amounts below 1,500,000.00, random draws below a 64-bit bound in 128 bits) and
//! the civil-date formula, so none of it can overflow. The module therefore allows
//! `clippy::arithmetic_side_effects` (the library denies it everywhere else); hashes and the
//! random generator use `wrapping_*` as before.
#![allow(clippy::arithmetic_side_effects)]

use std::io::{self, Write};

/// 2024-01-01T00:00:00Z as seconds since the Unix epoch.
const CREATED_FROM: i64 = 1_704_067_200;
/// Length of 2024-01-01..2025-12-31 inclusive (731 days) in seconds.
const CREATED_SPAN: u64 = 731 * 86_400;
/// One day in seconds.
const DAY: i64 = 86_400;

/// Flush the internal buffer to `out` once it holds this many bytes.
const CHUNK: usize = 64 * 1024;

const TIERS: [&str; 4] = ["bronze", "silver", "gold", "platinum"];
const REGIONS: [&str; 4] = ["NA", "EMEA", "APAC", "LATAM"];
const SEGMENTS: [&str; 3] = ["smb", "midmarket", "enterprise"];
const CURRENCIES: [&str; 3] = ["USD", "EUR", "GBP"];
/// Company suffix and the top-level domain that usually goes with it.
const LEGAL_FORMS: [(&str, &str); 3] = [(" Ltd", ".co.uk"), (" Inc", ".com"), (" GmbH", ".de")];
const TLDS: [&str; 3] = [".com", ".co.uk", ".de"];

const FIRST_SYLLABLES: [&str; 24] = [
    "Blue", "Red", "Nova", "Terra", "Quant", "Silver", "North", "Bright", "Iron", "Swift", "Clear",
    "Green", "Alpha", "Stone", "Cloud", "Lumen", "Vertex", "Cedar", "Maple", "Orbit", "Pixel",
    "Summit", "Harbor", "Ember",
];
const SECOND_SYLLABLES: [&str; 24] = [
    "soylent", "wave", "forge", "leaf", "works", "point", "ridge", "field", "stack", "loop",
    "gate", "mint", "line", "spark", "path", "crest", "brook", "vault", "shift", "core", "yard",
    "bridge", "lane", "peak",
];

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and fully specified, so the
/// generated workload never changes between platforms or crate versions.
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-shift (bias is negligible for our `n`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi` (`lo <= hi`).
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// A uniformly chosen element of a non-empty slice.
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        // `below(len)` is always a valid index; `first` is only reached for an empty slice.
        let i = self.below(items.len() as u64) as usize;
        items
            .get(i)
            .or_else(|| items.first())
            .copied()
            .unwrap_or("")
    }
}

/// Writes `count` synthetic referral records as JSON Lines to `out`.
///
/// Record ids are `R0000001`, `R0000002`, ... in order. The bytes written depend only
/// on `seed` and `count`; a prefix of a longer run with the same seed is identical to a
/// shorter run. Output is buffered internally and written in chunks, so `out` need not
/// be buffered; it is flushed at the end.
pub fn generate(seed: u64, count: u64, out: &mut dyn Write) -> io::Result<()> {
    generate_with(&Shape::default(), seed, count, out)
}

/// Knobs of the workload beyond seed and count. The default is the benchmark workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Referrer ids are drawn uniformly from `C000000` up to this many distinct ids (at
    /// least 1). Fewer referrers mean more referrals each: count tiers and per-recipient caps
    /// then have more to do, and their state stays small.
    pub referrers: u64,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            referrers: 1_000_000,
        }
    }
}

/// [`generate`] with a [`Shape`]; the default shape gives exactly [`generate`]'s bytes.
pub fn generate_with(shape: &Shape, seed: u64, count: u64, out: &mut dyn Write) -> io::Result<()> {
    let mut rng = SplitMix64::new(seed);
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 1024);
    let referrers = shape.referrers.max(1);
    for n in 1..=count {
        write_record(&mut rng, n, referrers, &mut buf)?;
        if buf.len() >= CHUNK {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        out.write_all(&buf)?;
    }
    out.flush()
}

/// Deal stage of one record; `closed_won` decides whether a `closed_won` event may occur.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    ClosedWon,
    Negotiation,
    ClosedLost,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::ClosedWon => "closed_won",
            Stage::Negotiation => "negotiation",
            Stage::ClosedLost => "closed_lost",
        }
    }
}

/// Appends one record (with its trailing newline) to `buf`.
fn write_record(rng: &mut SplitMix64, n: u64, referrers: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    // Referrer.
    let referrer_id = rng.below(referrers);
    let tier = rng.pick(&TIERS);
    let health = if rng.chance(30) {
        None
    } else {
        Some(rng.between(0, 100))
    };
    let region = rng.pick(&REGIONS);
    let tenure = rng.between(0, 3000);

    write!(
        buf,
        "{{\"id\":\"R{n:07}\",\"referrer\":{{\"id\":\"C{referrer_id:06}\",\"tier\":\"{tier}\""
    )?;
    if let Some(h) = health {
        write!(buf, ",\"health_score\":{h}")?;
    }
    write!(buf, ",\"region\":\"{region}\",\"tenure_days\":{tenure}}}")?;

    // Referee.
    let referee_id = rng.below(1_000_000);
    let first = rng.pick(&FIRST_SYLLABLES);
    let second = rng.pick(&SECOND_SYLLABLES);
    let form = rng.below(LEGAL_FORMS.len() as u64) as usize;
    let (suffix, usual_tld) = LEGAL_FORMS.get(form).copied().unwrap_or((" Ltd", ".co.uk"));
    let tld = if rng.chance(800) {
        usual_tld
    } else {
        rng.pick(&TLDS)
    };
    let segment = rng.pick(&SEGMENTS);
    write!(
        buf,
        ",\"referee\":{{\"id\":\"P{referee_id:06}\",\"company\":\"{first}{second}{suffix}\",\"domain\":\""
    )?;
    for b in first.bytes().chain(second.bytes()) {
        buf.push(b.to_ascii_lowercase());
    }
    write!(buf, "{tld}\",\"segment\":\"{segment}\"}}")?;

    // Deal.
    let stage = if rng.chance(20) {
        None
    } else {
        let stage = match rng.below(100) {
            0..=59 => Stage::ClosedWon,
            60..=84 => Stage::Negotiation,
            _ => Stage::ClosedLost,
        };
        let amount = if rng.chance(10) {
            None
        } else {
            Some(amount_cents(rng))
        };
        let currency = match rng.below(100) {
            0..=49 => CURRENCIES[0],
            50..=79 => CURRENCIES[1],
            _ => CURRENCIES[2],
        };
        buf.extend_from_slice(b",\"deal\":{");
        if let Some(cents) = amount {
            write!(buf, "\"amount\":\"{}.{:02}\",", cents / 100, cents % 100)?;
        }
        write!(
            buf,
            "\"currency\":\"{currency}\",\"stage\":\"{}\"}}",
            stage.as_str()
        )?;
        Some(stage)
    };

    // Events and creation time.
    let created = CREATED_FROM + rng.below(CREATED_SPAN) as i64;
    buf.extend_from_slice(b",\"events\":[");
    write_events(rng, created, stage == Some(Stage::ClosedWon), buf)?;
    buf.extend_from_slice(b"],\"created_at\":\"");
    write_timestamp(created, buf)?;
    buf.extend_from_slice(b"\"}\n");
    Ok(())
}

/// A deal amount in cents, spread so that all three reward tiers occur.
fn amount_cents(rng: &mut SplitMix64) -> u64 {
    let roll = rng.below(100);
    let (lo, hi) = if roll < 80 {
        (100, 60_000)
    } else if roll < 95 {
        (50_000, 250_000)
    } else {
        (250_000, 1_500_000)
    };
    rng.between(lo * 100, hi * 100)
}

/// Appends 0 to 3 comma-separated events, in time order, all after `created`.
fn write_events(
    rng: &mut SplitMix64,
    created: i64,
    closed_won_stage: bool,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    // When the deal is won, the closing event is usually recorded and comes last.
    let closing = if closed_won_stage && rng.chance(920) {
        let roll = rng.below(1000);
        let offset = if roll < 10 {
            // Exactly on the inclusive 90-day boundary.
            90 * DAY
        } else if roll < 110 {
            // Late: the qualifying window has passed.
            rng.between(90 * 86_400 + 1, 200 * 86_400) as i64
        } else {
            rng.between(3_600, 90 * 86_400 - 1) as i64
        };
        Some(offset)
    } else {
        None
    };
    let max_before = if closing.is_some() { 2 } else { 3 };
    let before = rng.between(0, max_before) as usize;
    // Pre-closing events: a booked meeting and/or a demo, possibly a follow-up meeting.
    let horizon = closing.unwrap_or(120 * DAY).max(2);
    let mut offsets = [0i64; 3];
    for slot in offsets.iter_mut().take(before) {
        *slot = 1 + rng.below(horizon as u64 - 1) as i64;
    }
    let offsets = offsets.get_mut(..before).unwrap_or(&mut []);
    offsets.sort_unstable();

    let mut first = true;
    for (i, &offset) in offsets.iter().enumerate() {
        let kind = match (i, rng.below(4)) {
            (0, 0) => "demo_attended",
            (0, _) => "meeting_booked",
            (_, 0) => "meeting_booked",
            _ => "demo_attended",
        };
        write_event(kind, created + offset, first, buf)?;
        first = false;
    }
    if let Some(offset) = closing {
        write_event("closed_won", created + offset, first, buf)?;
    }
    Ok(())
}

fn write_event(kind: &str, at: i64, first: bool, buf: &mut Vec<u8>) -> io::Result<()> {
    if !first {
        buf.push(b',');
    }
    write!(buf, "{{\"kind\":\"{kind}\",\"at\":\"")?;
    write_timestamp(at, buf)?;
    buf.extend_from_slice(b"\"}");
    Ok(())
}

/// Appends `secs` (seconds since the Unix epoch, UTC) as `YYYY-MM-DDTHH:MM:SSZ`.
fn write_timestamp(secs: i64, buf: &mut Vec<u8>) -> io::Result<()> {
    let days = secs.div_euclid(DAY);
    let rem = secs.rem_euclid(DAY);
    let (y, m, d) = civil_from_days(days);
    write!(
        buf,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests;
