//! Tests of the workload generator: the same seed gives the same bytes and a shorter run is a
//! prefix, timestamps agree with chrono, and every line has the documented key order, shape
//! and rates.

use super::*;
use chrono::{DateTime, TimeDelta};
use serde_json::Value;

fn bytes(seed: u64, count: u64) -> Vec<u8> {
    let mut out = Vec::new();
    generate(seed, count, &mut out).expect("writing to a Vec cannot fail");
    out
}

fn records(seed: u64, count: u64) -> Vec<Value> {
    let out = bytes(seed, count);
    let text = std::str::from_utf8(&out).expect("output is UTF-8");
    text.lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect()
}

fn ts(v: &Value) -> DateTime<chrono::FixedOffset> {
    let s = v.as_str().expect("timestamp is a string");
    assert!(s.ends_with('Z'), "{s} is not UTC with Z");
    DateTime::parse_from_rfc3339(s).expect("RFC 3339 timestamp")
}

#[test]
fn same_seed_gives_identical_bytes() {
    assert_eq!(bytes(42, 2_000), bytes(42, 2_000));
}

#[test]
fn shorter_run_is_a_prefix() {
    let long = bytes(7, 300);
    let short = bytes(7, 100);
    assert!(long.starts_with(&short));
}

#[test]
fn different_seed_gives_different_bytes() {
    assert_ne!(bytes(1, 100), bytes(2, 100));
}

#[test]
fn zero_records_write_nothing() {
    assert!(bytes(3, 0).is_empty());
}

#[test]
fn timestamps_match_chrono() {
    for secs in [
        0,
        CREATED_FROM,
        CREATED_FROM + 59 * DAY + 3_661,
        1_767_225_599,
        951_782_400,
    ] {
        let mut buf = Vec::new();
        write_timestamp(secs, &mut buf).expect("Vec write");
        let expected = DateTime::from_timestamp(secs, 0)
            .expect("in range")
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        assert_eq!(String::from_utf8(buf).expect("ASCII"), expected);
    }
}

#[test]
fn key_order_matches_the_documented_shape() {
    let out = bytes(5, 500);
    let text = std::str::from_utf8(&out).expect("UTF-8");
    let full = text
        .lines()
        .find(|l| l.contains("health_score") && l.contains("\"amount\""))
        .expect("some complete record");
    let keys = [
        "{\"id\":\"R",
        "\"referrer\":{\"id\":\"C",
        "\"tier\":",
        "\"health_score\":",
        "\"region\":",
        "\"tenure_days\":",
        "\"referee\":{\"id\":\"P",
        "\"company\":",
        "\"domain\":",
        "\"segment\":",
        "\"deal\":{\"amount\":",
        "\"currency\":",
        "\"stage\":",
        "\"events\":[",
        "\"created_at\":",
    ];
    let mut from = 0;
    for key in keys {
        let at = full[from..]
            .find(key)
            .unwrap_or_else(|| panic!("{key} after {from} in {full}"));
        from += at + key.len();
    }
}

#[test]
fn every_line_is_a_well_formed_record() {
    let recs = records(11, 3_000);
    assert_eq!(recs.len(), 3_000);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r["id"], format!("R{:07}", i + 1));

        let referrer = &r["referrer"];
        let rid = referrer["id"].as_str().expect("referrer id");
        assert!(
            rid.len() == 7 && rid.starts_with('C') && rid[1..].bytes().all(|b| b.is_ascii_digit())
        );
        assert!(TIERS.contains(&referrer["tier"].as_str().expect("tier")));
        if let Some(h) = referrer.get("health_score") {
            assert!(h.as_u64().expect("integer") <= 100);
        }
        assert!(REGIONS.contains(&referrer["region"].as_str().expect("region")));
        assert!(referrer["tenure_days"].as_u64().expect("tenure") <= 3000);

        let referee = &r["referee"];
        let pid = referee["id"].as_str().expect("referee id");
        assert!(
            pid.len() == 7 && pid.starts_with('P') && pid[1..].bytes().all(|b| b.is_ascii_digit())
        );
        let company = referee["company"].as_str().expect("company");
        let (name, form) = company.split_once(' ').expect("name and legal form");
        assert!(["Ltd", "Inc", "GmbH"].contains(&form));
        let domain = referee["domain"].as_str().expect("domain");
        let stem = name.to_ascii_lowercase();
        assert!(
            TLDS.iter().any(|tld| domain == format!("{stem}{tld}")),
            "{domain}"
        );
        assert!(SEGMENTS.contains(&referee["segment"].as_str().expect("segment")));

        let created = ts(&r["created_at"]);
        let lo = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").expect("date");
        let hi = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").expect("date");
        assert!(created >= lo && created < hi);

        let stage = r.get("deal").map(|d| {
            if let Some(a) = d.get("amount") {
                let a = a.as_str().expect("amount is a string");
                let (int, frac) = a.split_once('.').expect("two decimals");
                assert!(!int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()));
                assert!(frac.len() == 2 && frac.bytes().all(|b| b.is_ascii_digit()));
            }
            assert!(CURRENCIES.contains(&d["currency"].as_str().expect("currency")));
            let stage = d["stage"].as_str().expect("stage");
            assert!(["closed_won", "negotiation", "closed_lost"].contains(&stage));
            stage
        });

        let events = r["events"].as_array().expect("events array");
        assert!(events.len() <= 3);
        let mut prev = created;
        for (j, e) in events.iter().enumerate() {
            let kind = e["kind"].as_str().expect("kind");
            assert!(["meeting_booked", "demo_attended", "closed_won"].contains(&kind));
            if kind == "closed_won" {
                assert_eq!(stage, Some("closed_won"));
                assert_eq!(j, events.len() - 1, "closed_won is last");
            }
            let at = ts(&e["at"]);
            assert!(at > created, "event after created_at");
            assert!(at >= prev, "events in time order");
            prev = at;
        }
    }
}

#[test]
fn rates_are_roughly_as_documented() {
    let recs = records(2024, 10_000);
    let n = recs.len() as f64;
    let no_health = recs
        .iter()
        .filter(|r| r["referrer"].get("health_score").is_none())
        .count();
    let deals: Vec<&Value> = recs.iter().filter_map(|r| r.get("deal")).collect();
    let no_deal = recs.len() - deals.len();
    let no_amount = deals.iter().filter(|d| d.get("amount").is_none()).count();
    let frac = |k: usize, of: f64| k as f64 / of;
    assert!(
        (0.02..0.04).contains(&frac(no_health, n)),
        "health missing {no_health}"
    );
    assert!(
        (0.012..0.03).contains(&frac(no_deal, n)),
        "deal missing {no_deal}"
    );
    assert!(
        (0.004..0.018).contains(&frac(no_amount, deals.len() as f64)),
        "amount missing {no_amount}"
    );

    let won = deals.iter().filter(|d| d["stage"] == "closed_won").count();
    assert!(
        (0.55..0.65).contains(&frac(won, deals.len() as f64)),
        "closed_won {won}"
    );

    // Every reward tier occurs, in roughly the documented proportions.
    let amounts: Vec<u64> = deals
        .iter()
        .filter_map(|d| d.get("amount"))
        .map(|a| {
            let (int, _) = a
                .as_str()
                .expect("string")
                .split_once('.')
                .expect("decimal");
            int.parse::<u64>().expect("digits")
        })
        .collect();
    let high = amounts.iter().filter(|&&a| a >= 250_000).count();
    let mid = amounts
        .iter()
        .filter(|&&a| (50_000..250_000).contains(&a))
        .count();
    let m = amounts.len() as f64;
    assert!((0.03..0.07).contains(&frac(high, m)), "high tier {high}");
    // The 50,000..250,000 bucket overlaps the top of the 100..60,000 one.
    assert!((0.2..0.35).contains(&frac(mid, m)), "mid tier {mid}");
    assert!(amounts.iter().all(|&a| (100..=1_500_000).contains(&a)));

    // About 10% of closing events are late; closing usually present when won.
    let window = TimeDelta::days(90);
    let (mut closing, mut late, mut won_with_closing) = (0usize, 0usize, 0usize);
    for r in &recs {
        let created = ts(&r["created_at"]);
        let events = r["events"].as_array().expect("array");
        if let Some(e) = events.iter().find(|e| e["kind"] == "closed_won") {
            closing += 1;
            won_with_closing += 1;
            if ts(&e["at"]) - created > window {
                late += 1;
            }
        }
    }
    assert!(
        (0.07..0.13).contains(&frac(late, closing as f64)),
        "late {late} of {closing}"
    );
    assert!(frac(won_with_closing, won as f64) > 0.85);

    // Average line length in the documented range.
    let total = bytes(2024, 10_000).len() as f64;
    let avg = total / n;
    assert!((300.0..=450.0).contains(&avg), "average line length {avg}");
}
