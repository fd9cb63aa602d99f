//! `merit test` and `merit check --format sarif`, through the built binary: the example
//! programs' own tests pass; the runner passes, fails (expected beside actual, snapshotted),
//! errors (exit 2), reports exact coverage numbers, writes well-formed JUnit XML and filters.

use std::path::{Path, PathBuf};
use std::process::Command;

fn merit_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_merit"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the merit binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder holding the given files, removed when the test ends.
struct Fixture(PathBuf);

impl std::ops::Deref for Fixture {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fixture(name: &str, files: &[(&str, &str)]) -> Fixture {
    let dir = std::env::temp_dir().join(format!("merit-testing-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (file, text) in files {
        std::fs::write(dir.join(file), text).expect("fixture file");
    }
    Fixture(dir)
}

/// A small program: one reward with two bands, one milestone, one eligibility test, one
/// reject rule and one `only if`: 1 + 2 + 2 + 2 + 2 + 2 = 11 coverage branches.
const TINY: &str = r#"program "Tiny" {
  version "1"
  currency USD
  timezone "UTC"
}
fields {
  referrer.score: number
  referee.blocked: bool
  deal.amount: money optional
}
events { won }
eligible referrer if referrer.score >= 50
reject blocked if referee.blocked
milestone won = event won within 30 days after created
reward payout on won to referrer {
  cash tiers by deal.amount {
    below 1000 => 10
    from 1000  => 5%
  }
  only if deal.amount is present
}
"#;

/// R1 earns 10.00 USD (band `below 1000`); R2's referrer scores too low.
const TINY_RECORDS: &str = r#"{"id":"R1","created_at":"2025-03-01T10:00:00Z","referrer":{"id":"C1","score":80},"referee":{"id":"P1","blocked":false},"deal":{"amount":"500.00","currency":"USD"},"events":[{"kind":"won","at":"2025-03-10T10:00:00Z"}]}
{"id":"R2","created_at":"2025-03-02T10:00:00Z","referrer":{"id":"C2","score":20},"referee":{"id":"P2","blocked":false},"events":[{"kind":"won","at":"2025-03-10T10:00:00Z"}]}
"#;

const TINY_PASSING: &str = r#"{
  "as_of": "2025-12-31",
  "records_file": "tiny.jsonl",
  "tests": [
    {
      "name": "R1 earns the flat band",
      "expect": {
        "lines": [{"id": "tiny@1/payout/R1/referrer", "recipient": "referrer:C1", "tier": "below 1000", "amount": "10", "currency": "USD", "status": "payable", "payable_on": "2025-03-10", "expires_on": null}],
        "exact_lines": true,
        "totals": {"USD": "10.00"},
        "summary": {"records": 2, "eligible": 1, "not_eligible": 1}
      }
    },
    {
      "name": "a low score earns nothing",
      "expect": {"no_lines": [{"record_id": "R2"}]}
    }
  ]
}
"#;

#[test]
fn the_example_programs_pass_their_own_tests() {
    let (code, stdout, stderr) = merit_in(&root(), &["test", "rules-examples/"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains(" 0 failed, 0 errors"), "{stdout}");
    assert!(
        !stdout.contains("no tests:"),
        "every example has tests:\n{stdout}"
    );
    for example in [
        "practice-credit",
        "enterprise-milestones",
        "dual-incentive",
        "advocates",
        "benchmark",
    ] {
        assert!(
            stdout.contains(&format!("rules-examples/{example}.test.json")),
            "{stdout}"
        );
    }
}

#[test]
fn passing_tests_exit_0() {
    let dir = fixture(
        "pass",
        &[
            ("tiny.rules", TINY),
            ("tiny.jsonl", TINY_RECORDS),
            ("tiny.test.json", TINY_PASSING),
        ],
    );
    let (code, stdout, _) = merit_in(&dir, &["test"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("  ok     R1 earns the flat band"),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 tests: 2 passed, 0 failed, 0 errors"),
        "{stdout}"
    );
    // The program, the test file and the folder name the same tests.
    for path in ["tiny.rules", "tiny.test.json", "."] {
        let (code, out, _) = merit_in(&dir, &["test", path]);
        assert_eq!(code, 0, "{path}: {out}");
        assert!(out.contains("2 tests: 2 passed"), "{path}: {out}");
    }
}

const TINY_FAILING: &str = r#"{
  "as_of": "2025-12-31",
  "records_file": "tiny.jsonl",
  "tests": [
    {"name": "passes", "expect": {"lines": [{"record_id": "R1", "amount": "10.00"}]}},
    {
      "name": "wrong band, amount and status",
      "expect": {
        "lines": [
          {"record_id": "R1", "tier": "from 1000", "amount": "25.00", "status": "pending"},
          {"record_id": "R2", "rule": "payout"}
        ],
        "totals": {"USD": "25.00", "EUR": "1.00"},
        "summary": {"eligible": 2, "not_eligible": 1}
      }
    },
    {
      "name": "no extra lines, no problems",
      "records": [
        {"id": "R3", "created_at": "2025-03-01T10:00:00Z", "referrer": {"id": "C3", "score": 90}, "referee": {"id": "P3", "blocked": false}, "deal": {"amount": "2000.00", "currency": "USD"}, "events": [{"kind": "won", "at": "2025-03-05T10:00:00Z"}]},
        {"id": "R4", "created_at": "2025-03-01T10:00:00Z", "referrer": {"id": "C4", "score": "high"}, "referee": {"id": "P4", "blocked": false}, "events": []}
      ],
      "expect": {
        "exact_lines": true,
        "no_lines": [{"rule": "payout", "tier": "from 1000"}],
        "problems": [{"record_id": "R9"}]
      }
    },
    {
      "name": "a clean program has no M1103",
      "program_text": "program \"Clean\" { currency USD timezone \"UTC\" }\nevents { won }\nmilestone won = event won\nreward r on won to referrer { cash 5 USD }\n",
      "expect": {"diagnostic": "M1103"}
    }
  ]
}
"#;

#[test]
fn failing_tests_show_expected_beside_actual() {
    let dir = fixture(
        "fail",
        &[
            ("tiny.rules", TINY),
            ("tiny.jsonl", TINY_RECORDS),
            ("tiny.test.json", TINY_FAILING),
        ],
    );
    let (code, stdout, stderr) = merit_in(&dir, &["test", "tiny.test.json"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    insta::assert_snapshot!("failing_report", stdout);
}

#[test]
fn tests_that_cannot_run_exit_2() {
    let dir = fixture(
        "error",
        &[
            ("tiny.rules", TINY),
            ("tiny.jsonl", TINY_RECORDS),
            (
                "typo.test.json",
                r#"{"program": "tiny.rules", "tests": [{"name": "t", "as_of": "2025-12-31", "records": [],
                    "expect": {"lines": [{"amout": "10.00"}]}}]}"#,
            ),
            (
                "missing-records.test.json",
                r#"{"program": "tiny.rules", "tests": [{"name": "t", "as_of": "2025-12-31",
                    "records_file": "nowhere.jsonl", "expect": {"exact_lines": true}}]}"#,
            ),
            (
                "bad-override.test.json",
                r#"{"program": "tiny.rules", "tests": [{"name": "t", "as_of": "2025-12-31",
                    "records_file": "tiny.jsonl", "expect": {"exact_lines": true}}]}"#,
            ),
            ("broken.rules", "program \"Broken\" { currency USD timezone \"UTC\" }\neligible referrer if referrer.nope >= 1\n"),
            (
                "broken.test.json",
                r#"{"tests": [{"name": "t", "as_of": "2025-12-31", "records": [], "expect": {"exact_lines": true}}]}"#,
            ),
            (
                "not-json.test.json",
                "{\"tests\": [",
            ),
        ],
    );
    let (code, out, _) = merit_in(&dir, &["test", "typo.test.json"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("`amout` is not a ledger line field (did you mean `amount`?)"),
        "{out}"
    );
    assert!(
        out.contains("0 tests: 0 passed, 0 failed, 0 errors; 1 test file cannot be used"),
        "{out}"
    );
    let (code, out, _) = merit_in(&dir, &["test", "missing-records.test.json"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cannot read records nowhere.jsonl"), "{out}");
    let (code, out, _) = merit_in(&dir, &["test", "broken.test.json"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("has errors and the test expects none"),
        "{out}"
    );
    assert!(out.contains("error[M1103]"), "{out}");
    let (code, out, _) = merit_in(&dir, &["test", "not-json.test.json"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not a valid test file"), "{out}");
    // An override of the wrong type: the program has no param, so any `set` is refused.
    let bad = std::fs::read_to_string(dir.join("bad-override.test.json")).expect("read");
    std::fs::write(
        dir.join("bad-override.test.json"),
        bad.replace(
            "\"records_file\"",
            "\"set\": {\"rate\": \"3%\"}, \"records_file\"",
        ),
    )
    .expect("write");
    let (code, out, _) = merit_in(&dir, &["test", "bad-override.test.json"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("`set`:"), "{out}");
    let (code, _, err) = merit_in(&dir, &["test", "no-such-folder"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read no-such-folder"), "{err}");
    // A failure and an error together: the error decides (2).
    let (code, _, _) = merit_in(&dir, &["test", "."]);
    assert_eq!(code, 2);
}

#[test]
fn override_types_are_checked_against_the_parameter() {
    let program = TINY
        .replace(
            "reject blocked if referee.blocked",
            "param min_score = 50\nreject blocked if referee.blocked",
        )
        .replace("referrer.score >= 50", "referrer.score >= min_score");
    let test = |value: &str| {
        format!(
            r#"{{"as_of": "2025-12-31", "records_file": "tiny.jsonl", "tests": [{{"name": "t", "set": {{"min_score": {value}}},
               "expect": {{"summary": {{"eligible": 2}}}}}}]}}"#
        )
    };
    let dir = fixture(
        "override",
        &[
            ("tiny.rules", &program),
            ("tiny.jsonl", TINY_RECORDS),
            ("tiny.test.json", &test("\"10\"")),
        ],
    );
    let (code, out, _) = merit_in(&dir, &["test"]);
    assert_eq!(code, 0, "min_score=10 lets R2 (score 20) in:\n{out}");
    std::fs::write(dir.join("tiny.test.json"), test("10")).expect("write");
    let (code, out, _) = merit_in(&dir, &["test"]);
    assert_eq!(code, 0, "a JSON number is read from its text:\n{out}");
    std::fs::write(dir.join("tiny.test.json"), test("\"10%\"")).expect("write");
    let (code, out, _) = merit_in(&dir, &["test"]);
    assert_eq!(code, 2, "a percentage for a number parameter:\n{out}");
    assert!(out.contains("min_score"), "{out}");
}

#[test]
fn coverage_counts_every_branch_of_a_small_program() {
    let dir = fixture(
        "coverage",
        &[
            ("tiny.rules", TINY),
            ("tiny.jsonl", TINY_RECORDS),
            ("tiny.test.json", TINY_PASSING),
        ],
    );
    let (code, out, _) = merit_in(&dir, &["test", "--coverage", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    let programs = doc["coverage"]["programs"].as_array().expect("programs");
    assert_eq!(programs.len(), 1);
    let p = &programs[0];
    // Exercised: the reward, band `below 1000`, milestone reached, eligibility true and
    // false, reject false, only-if true. Not: band `from 1000`, milestone missed (R2 stops at
    // eligibility), reject true, only-if false.
    assert_eq!(p["covered"], 7);
    assert_eq!(p["total"], 11);
    assert_eq!(p["percent"], "63.6");
    assert_eq!(p["conditions_collected"], true);
    let items: Vec<(String, String, Vec<u64>)> = p["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["group"].as_str().unwrap_or("").to_string(),
                i["label"].as_str().unwrap_or("").to_string(),
                i["parts"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| p["count"].as_u64().unwrap_or(99))
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect();
    let expect = |g: &str, l: &str, c: &[u64]| (g.to_string(), l.to_string(), c.to_vec());
    assert_eq!(
        items,
        vec![
            // Two tests ran over the same records: every count is doubled.
            expect("reward", "payout", &[2]),
            expect("band", "payout / below 1000", &[2]),
            expect("band", "payout / from 1000", &[0]),
            expect("milestone", "won", &[2, 0]),
            expect(
                "condition",
                "eligible referrer: referrer.score >= 50",
                &[2, 2]
            ),
            expect("condition", "reject blocked: referee.blocked", &[0, 2]),
            expect(
                "condition",
                "only if payout: deal.amount is present",
                &[2, 0]
            ),
        ]
    );
    let (code, text, _) = merit_in(&dir, &["test", "--coverage"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("./tiny.rules: 7/11 branches (63.6%)"),
        "{text}"
    );
    assert!(text.contains("✗ band       lines 0"), "{text}");
    // Threshold: 7 * 100 >= 63 * 11 (693) holds; 64 * 11 = 704 does not.
    assert_eq!(merit_in(&dir, &["test", "--threshold", "63"]).0, 0);
    let (code, text, _) = merit_in(&dir, &["test", "--threshold", "64"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("below the threshold of 64%: ./tiny.rules (63.6%)"),
        "{text}"
    );
    assert_eq!(merit_in(&dir, &["test", "--threshold", "101"]).0, 2);
    // JUnit carries the threshold as a test case of each program.
    let (code, xml, _) = merit_in(&dir, &["test", "--threshold", "64", "--format", "junit"]);
    assert_eq!(code, 1, "{xml}");
    check_xml(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert!(
        xml.contains("<testsuite name=\"coverage threshold 64%\" tests=\"1\" failures=\"1\""),
        "{xml}"
    );
    assert!(
        xml.contains("coverage 7/11 (63.6%) is below the threshold of 64%"),
        "{xml}"
    );
    let (code, xml, _) = merit_in(&dir, &["test", "--threshold", "63", "--format", "junit"]);
    assert_eq!(code, 0, "{xml}");
    assert!(
        xml.contains("<testcase classname=\"coverage\" name=\"./tiny.rules\"/>"),
        "{xml}"
    );
}

/// Three referrals of one referrer in March: the bonus applies to two, the cap cuts the third.
const BONUS_CAP: &str = r#"program "Bonus cap" {
  version "1"
  currency USD
  timezone "UTC"
}
fields { deal.amount: money }
events { won }
window spring = from 2025-03-01 to 2025-03-15
milestone won = event won within 30 days after created
reward payout on won to referrer {
  cash 100 USD
  bonus 20 USD if created_at in spring
  bonus x2 if deal.amount >= 10000 USD
  cap 200 USD per recipient per month
}
"#;

const BONUS_CAP_RECORDS: &str = r#"{"id":"A","created_at":"2025-03-01T10:00:00Z","referrer":{"id":"C1"},"referee":{"id":"P1"},"deal":{"amount":"500.00","currency":"USD"},"events":[{"kind":"won","at":"2025-03-02T10:00:00Z"}]}
{"id":"B","created_at":"2025-03-02T10:00:00Z","referrer":{"id":"C1"},"referee":{"id":"P2"},"deal":{"amount":"500.00","currency":"USD"},"events":[{"kind":"won","at":"2025-03-03T10:00:00Z"}]}
{"id":"C","created_at":"2025-03-20T10:00:00Z","referrer":{"id":"C1"},"referee":{"id":"P3"},"deal":{"amount":"500.00","currency":"USD"},"events":[{"kind":"won","at":"2025-03-21T10:00:00Z"}]}
"#;

#[test]
fn coverage_counts_bonuses_applied_and_caps_reached() {
    let dir = fixture(
        "coverage-bonus-cap",
        &[
            ("bc.rules", BONUS_CAP),
            ("bc.jsonl", BONUS_CAP_RECORDS),
            (
                "bc.test.json",
                r#"{"as_of": "2025-12-31", "records_file": "bc.jsonl", "tests": [
                    {"name": "three lines", "expect": {"totals": {"USD": "200.00"}}}]}"#,
            ),
        ],
    );
    let (code, out, _) = merit_in(&dir, &["test", "--coverage", "--format", "json"]);
    assert_eq!(code, 0, "{out}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    let items = doc["coverage"]["programs"][0]["items"]
        .as_array()
        .expect("items")
        .clone();
    let find = |group: &str, label: &str| -> Vec<(String, u64)> {
        items
            .iter()
            .find(|i| i["group"] == group && i["label"] == label)
            .and_then(|i| i["parts"].as_array())
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        (
                            p["name"].as_str().unwrap_or("").to_string(),
                            p["count"].as_u64().unwrap_or(99),
                        )
                    })
                    .collect()
            })
            .unwrap_or_else(|| panic!("no {group} {label} in {items:?}"))
    };
    let pair = |a: &str, x: u64, b: &str, y: u64| vec![(a.to_string(), x), (b.to_string(), y)];
    // A and B are in the spring window (120 USD each); the cap cuts B to 80 and C to 0.
    assert_eq!(
        find("bonus", "payout / bonus 20 USD if created_at in spring"),
        pair("applied", 2, "not applied", 1)
    );
    assert_eq!(
        find("bonus", "payout / bonus x2 if deal.amount >= 10000 USD"),
        pair("applied", 0, "not applied", 3)
    );
    assert_eq!(
        find("cap", "payout / cap 200 USD per recipient per month"),
        pair("reached", 2, "not reached", 1)
    );
    let (_, text, _) = merit_in(&dir, &["test", "--coverage"]);
    assert!(
        text.contains("~ bonus      applied 0, not applied 3  payout / bonus x2"),
        "{text}"
    );
}

#[test]
fn filter_selects_tests_by_file_and_name() {
    let dir = fixture(
        "filter",
        &[
            ("tiny.rules", TINY),
            ("tiny.jsonl", TINY_RECORDS),
            ("tiny.test.json", TINY_FAILING),
        ],
    );
    let (code, out, _) = merit_in(&dir, &["test", "--filter", "passes"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("  ok     passes"), "{out}");
    assert!(
        out.contains("1 test: 1 passed, 0 failed, 0 errors"),
        "{out}"
    );
    let (code, out, _) = merit_in(&dir, &["test", "--filter", "tiny/wrong band"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 test: 0 passed, 1 failed"), "{out}");
    let (code, _, err) = merit_in(&dir, &["test", "--filter", "nothing like this"]);
    assert_eq!(code, 2);
    assert!(err.contains("no test matches --filter"), "{err}");
}

/// A minimal XML well-formedness check: one root, balanced and properly nested tags, quoted
/// attributes, and `&` only in the five named entities or character references.
fn check_xml(xml: &str) -> Result<usize, String> {
    fn entities_ok(s: &str) -> Result<(), String> {
        let mut rest = s;
        while let Some(i) = rest.find('&') {
            let after = &rest[i + 1..];
            let end = after.find(';').ok_or_else(|| format!("bare & in {s:?}"))?;
            let name = &after[..end];
            let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
                || name
                    .strip_prefix("#x")
                    .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
                || name
                    .strip_prefix('#')
                    .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                return Err(format!("bad entity &{name}; in {s:?}"));
            }
            rest = &after[end + 1..];
        }
        if s.chars()
            .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
        {
            return Err(format!("control character in {s:?}"));
        }
        Ok(())
    }
    let mut rest = xml.trim_start();
    if let Some(r) = rest.strip_prefix("<?xml") {
        let end = r.find("?>").ok_or("unterminated XML declaration")?;
        rest = &r[end + 2..];
    }
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut elements = 0;
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..lt];
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        if text.contains('<') {
            return Err("raw < in text".into());
        }
        entities_ok(text)?;
        rest = &rest[lt..];
        if rest.is_empty() {
            break;
        }
        let gt = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .ok_or_else(|| format!("</{name}> closes nothing"))?;
            if open != name.trim() {
                return Err(format!("<{open}> closed by </{name}>"));
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name: String = tag.chars().take_while(|c| !c.is_whitespace()).collect();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!("bad tag name in <{tag}>"));
        }
        // Attributes: name="value", values without < and with valid entities.
        let mut attrs = tag[name.len()..].trim();
        while !attrs.is_empty() {
            let eq = attrs
                .find('=')
                .ok_or_else(|| format!("attribute without = in <{tag}>"))?;
            let value = attrs[eq + 1..].trim_start();
            let quote = value.chars().next().ok_or("attribute without value")?;
            if quote != '"' && quote != '\'' {
                return Err(format!("unquoted attribute in <{tag}>"));
            }
            let close = value[1..].find(quote).ok_or("unterminated attribute")?;
            let v = &value[1..1 + close];
            if v.contains('<') {
                return Err(format!("< in attribute {v:?}"));
            }
            entities_ok(v)?;
            attrs = value[close + 2..].trim_start();
        }
        elements += 1;
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name);
        }
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> is never closed"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(elements)
}

#[test]
fn the_xml_checker_catches_what_it_should() {
    assert!(check_xml("<a><b x=\"1 &amp; 2\"/>t &lt; u</a>").is_ok());
    assert!(check_xml("<a><b></a></b>").is_err());
    assert!(check_xml("<a>x & y</a>").is_err());
    assert!(check_xml("<a x=\"<\"/>").is_err());
    assert!(check_xml("<a/><b/>").is_err());
    assert!(check_xml("<a>").is_err());
}

#[test]
fn junit_output_is_well_formed_xml() {
    let tricky = TINY_FAILING.replace(
        "\"name\": \"passes\"",
        "\"name\": \"passes <with> & \\\"quotes\\\" and 'apostrophes'\"",
    );
    let dir = fixture(
        "junit",
        &[
            ("tiny.rules", TINY),
            ("tiny.jsonl", TINY_RECORDS),
            ("tiny.test.json", &tricky),
            (
                "broken.test.json",
                "{\"program\": \"tiny.rules\", \"tests\": [}",
            ),
        ],
    );
    let (code, xml, _) = merit_in(&dir, &["test", "--format", "junit", "--coverage"]);
    assert_eq!(code, 2, "{xml}");
    let elements = check_xml(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert!(elements > 5, "{xml}");
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"),
        "{xml}"
    );
    assert!(
        xml.contains(
            "name=\"passes &lt;with&gt; &amp; &quot;quotes&quot; and &apos;apostrophes&apos;\"/>"
        ),
        "{xml}"
    );
    assert!(
        xml.contains("<failure message=\"expected line 1 of 2 matches no ledger line"),
        "{xml}"
    );
    assert!(
        xml.contains("<error message=\"the test file cannot be used\">"),
        "{xml}"
    );
    assert!(
        xml.contains("<property name=\"coverage\" value=\""),
        "{xml}"
    );
    assert!(
        xml.contains("tests=\"5\" failures=\"3\" errors=\"1\""),
        "{xml}"
    );
}

#[test]
fn json_report_is_machine_readable() {
    let dir = fixture(
        "json",
        &[
            ("tiny.rules", TINY),
            ("tiny.jsonl", TINY_RECORDS),
            ("tiny.test.json", TINY_FAILING),
        ],
    );
    let (code, out, _) = merit_in(&dir, &["test", "--format", "json"]);
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    assert_eq!(doc["exit_code"], 1);
    assert_eq!(doc["summary"]["tests"], 4);
    assert_eq!(doc["summary"]["failed"], 3);
    let tests = doc["files"][0]["tests"].as_array().expect("tests");
    assert_eq!(tests[0]["status"], "passed");
    let failure = &tests[1]["failures"][0];
    assert_eq!(failure["kind"], "missing_line");
    let rows = failure["rows"].as_array().expect("rows");
    let status = rows
        .iter()
        .find(|r| r["field"] == "status")
        .expect("status row");
    assert_eq!(status["expected"], "pending");
    assert_eq!(status["actual"], "payable");
    assert_eq!(status["differs"], true);
}

#[test]
fn check_writes_sarif() {
    let (code, out, _) = merit_in(
        &root(),
        &[
            "check",
            "--format",
            "sarif",
            "tests/golden/inputs/mistakes.rules",
            "rules-examples/benchmark.rules",
        ],
    );
    assert_eq!(code, 1, "mistakes.rules has errors");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("SARIF is JSON");
    assert_eq!(doc["version"], "2.1.0");
    assert!(doc["$schema"]
        .as_str()
        .is_some_and(|s| s.contains("sarif-2.1.0")));
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "merit");
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(rules.len() > 30);
    for r in rules {
        assert!(
            r["id"].as_str().is_some_and(|id| id.starts_with('M')),
            "{r}"
        );
        assert!(
            r["shortDescription"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            "{r}"
        );
    }
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), 3, "three mistakes, benchmark.rules is clean");
    for res in results {
        let id = res["ruleId"].as_str().expect("ruleId");
        let index = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], id);
        assert!(
            matches!(res["level"].as_str(), Some("error" | "warning")),
            "{res}"
        );
        assert!(res["message"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(
            loc["artifactLocation"]["uri"],
            "tests/golden/inputs/mistakes.rules"
        );
        for k in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(
                loc["region"][k].as_u64().is_some_and(|n| n >= 1),
                "{k}: {res}"
            );
        }
    }
    let first = &results[0];
    assert_eq!(first["ruleId"], "M1103");
    assert_eq!(first["level"], "error");
    let region = &first["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(8), Some(22))
    );
    assert_eq!(
        region["endColumn"].as_u64(),
        Some(42),
        "`referrer.helth_score` is 20 characters"
    );
    // A clean program: an empty result list, exit 0.
    let (code, out, _) = merit_in(
        &root(),
        &[
            "check",
            "--format",
            "sarif",
            "rules-examples/benchmark.rules",
        ],
    );
    assert_eq!(code, 0);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("SARIF is JSON");
    assert_eq!(doc["runs"][0]["results"].as_array().map(Vec::len), Some(0));
}
