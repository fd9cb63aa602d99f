//! Tests of the fast path (the `scan` module, whose child this is): it agrees with the
//! `serde_json` path on every line of the corpora, keeps the same depth limit, and its
//! word-at-a-time helpers find what they claim to.

use super::{fingerprint, special8, Scanner};
use crate::records::decode::{decode_with, Decoder, Scratch};

const PROGRAM: &str = r#"
program "Scan" { version "1" currency USD timezone "Europe/Paris" rounding half_up }
fields {
  referrer.score: number optional
  referrer.email: text optional
  referee.segment: enum(smb, mid, ent) optional
  referee.since: date optional
  referee.tags: list(text) optional
  referee.vip: bool optional
  deal.amount: money optional
  deal.closed: datetime optional
  deal.fee: money EUR optional
  a.b.c.d: number optional
}
events { won { value: money optional  note: text optional }  refund }
eligible referrer if referrer.score is missing or referrer.score >= 10
milestone m = event won within 90 days after created
reward r on m to referrer { cash 5 USD }
"#;

/// Every line of the fuzz corpus and the bundled records decodes the same with and
/// without the fast path.
#[test]
fn the_fast_path_agrees_with_serde_json() {
    let program = crate::program::checked_for_test("scan.rules", PROGRAM);
    let dec = Decoder::new(&program);
    let root = env!("CARGO_MANIFEST_DIR");
    let mut lines: Vec<String> = [
        r#"{"id":"R1","created_at":"2025-01-01T00:00:00Z","referrer":{"id":"C1"},"referee":{"id":"P1"}}"#,
        r#" { "id" : "R1" , "created_at":"2025-01-01T00:00:00Z","referrer":{"id":"C1","score":1e3},"referee":{"id":"P1","tags":["a","b\u00e9"]}} "#,
        r#"{"id":"R1","deal":{"amount":"12.50","currency":"EUR","closed":"2025-01-01T00:00:00+02:00"},"deal":{}}"#,
        r#"{"id":"R1","deal":{"currency":"EUR","amount":12.5,"fee":1},"events":[{"kind":"won","at":"2025-02-01T00:00:00Z","value":"3.00","currency":"USD"},{}]}"#,
        r#"{"id":"R1","referrer":null,"a":{"b":{"c":{"d":-0.5e-3}}},"x":[[[{"y":[1,2,{"z":"\n"}]}]]]}"#,
        r#"{"id":"R1","referrer":{"id":"C1","id":"C2"}}"#,
        r#"{"id":"R1","events":[],"events":[]}"#,
        r#"{"id":"R1","x":01}"#,
        r#"{"id":"R1","x":1.}"#,
        r#"{"id":"R1","x":"\x"}"#,
        r#"{"id":"R1","x":[1,]}"#,
        r#"{"id":"R1",}"#,
        r#"{"id":"R1","x":1,""#,
        r#"{"id":"R1","x":1,"#,
        r#"{"id":"R1","x":1 ,"y":2, "z":3,"deal":{"amount":"1.00","currency":"EUR"},"#,
        r#"{"id":"R1","x":1,"y":2,"deal":{"amount":"1.00","currency":"EUR","stage":1},"z":3}"#,
        r#"{"id":"R1"} x"#,
        r#"{"i\u0064":"R1"}"#,
        r#"["id"]"#,
        r#"{"id":"R1","referee":5}"#,
        r#"{"id":"R1","events":{}}"#,
        r#"{"id":"R1","events":[1]}"#,
        "{\"id\":\"R\u{1}\"}",
        "{\"id\":\"Ré\u{7f}\"}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Nesting at the depth limit (64 levels) and one past it, read and unread, in events.
    for k in [62, 63, 64, 65] {
        let (open, close) = ("[".repeat(k), "]".repeat(k));
        lines.push(format!(r#"{{"id":"R1","x":{open}{close}}}"#));
        lines.push(format!(
            r#"{{"id":"R1","referee":{{"tags":{open}{close}}}}}"#
        ));
        lines.push(format!(
            r#"{{"id":"R1","events":[{{"kind":"won","at":"2025-01-01T00:00:00Z","note":{}{}}}]}}"#,
            "[".repeat(k - 2),
            "]".repeat(k - 2)
        ));
    }
    for dir in [
        "fuzz/corpus/records",
        "fuzz/seeds/records",
        "rules-examples",
        "tests/golden/inputs",
    ] {
        let Ok(entries) = std::fs::read_dir(format!("{root}/{dir}")) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(bytes) = std::fs::read(e.path()) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes);
            lines.extend(text.lines().map(str::to_string));
        }
    }
    assert!(lines.len() > 100);
    let mut fast_ok = 0;
    let (mut slow_scratch, mut fast_scratch) = (Scratch::default(), Scratch::default());
    for (i, l) in lines.iter().enumerate() {
        // Each path keeps its scratch from line to line, as a worker does.
        let slow = decode_with(&dec, i as u64 + 1, l, false, &mut slow_scratch);
        let fast = decode_with(&dec, i as u64 + 1, l, true, &mut fast_scratch);
        assert_eq!(fast, slow, "line {l:?}");
        fast_ok += usize::from(slow.is_ok());
    }
    assert!(fast_ok > 10);
    // The generated workload never needs the slow path.
    let mut work = Vec::new();
    crate::gen::generate(7, 300, &mut work).unwrap_or_default();
    let text = String::from_utf8_lossy(&work);
    for l in text.lines() {
        let mut raw = crate::records::decode::Raw::new(program.fields.len());
        assert!(super::scan(dec.root(), l, &mut raw, 64), "{l}");
    }
}

/// Each limit refuses exactly the records that nest deeper, with or without the fast path.
#[test]
fn the_depth_limit_is_the_same_on_both_paths() {
    let program = crate::program::checked_for_test("scan.rules", PROGRAM);
    let lines = [
        (r#"{"id":"R1"}"#, 1),
        (r#"{"id":"R1","x":{"y":[]}}"#, 3),
        (r#"{"id":"R1","referee":{"tags":["a"]}}"#, 3),
        (r#"{"id":"R1","a":{"b":{"c":{"d":1}}}}"#, 4),
        (r#"{"id":"R1","events":[]}"#, 2),
        (
            r#"{"id":"R1","events":[{"kind":"won","at":"2025-01-01T00:00:00Z"}]}"#,
            3,
        ),
        (
            r#"{"id":"R1","events":[{"kind":"won","at":"2025-01-01T00:00:00Z","n":[{}]}]}"#,
            5,
        ),
    ];
    for max in 1..=6 {
        let limits = crate::records::RecordLimits {
            max_json_depth: max,
            ..Default::default()
        };
        let dec = Decoder::with_limits(&program, &limits);
        for (line, depth) in lines {
            let slow = decode_with(&dec, 1, line, false, &mut Scratch::default());
            let fast = decode_with(&dec, 1, line, true, &mut Scratch::default());
            assert_eq!(fast, slow, "limit {max}, {line}");
            let refused = slow
                .err()
                .is_some_and(|ps| ps.iter().any(|p| p.message.contains("--max-json-depth")));
            assert_eq!(refused, depth > max, "limit {max}, {line}");
        }
    }
}

/// True when none of eight bytes is `"`, `\\` or below 0x20.
fn plain8(x: u64) -> bool {
    special8(x) == 0
}

#[test]
fn plain8_finds_special_bytes() {
    let w = |b: &[u8; 8]| u64::from_le_bytes(*b);
    assert!(plain8(w(b"abcdefgh")));
    assert!(plain8(w(b"\xC3\xA9\xC3\xA9 ~~\x7F")));
    for special in [b'"', b'\\', 0u8, 0x1F, b'\n'] {
        for pos in 0..8 {
            let mut a = *b"abcdefgh";
            a[pos] = special;
            assert!(!plain8(w(&a)), "{special} at {pos}");
        }
    }
}

#[test]
fn a_key_read_in_one_load_has_its_fingerprint() {
    let keys = [
        "",
        "a",
        "id",
        "deal",
        "stage",
        "events",
        "amount7",
        "referrer",
        "health_score",
    ];
    for key in keys {
        for tail in ["", ":1}", ": {\"long tail\": true}"] {
            for lead in ["", "{", "{ \"x\": 1, "] {
                let text = format!("{lead}\"{key}\"{tail}");
                let mut s = Scanner {
                    b: text.as_bytes(),
                    t: &text,
                    i: lead.len(),
                    max: 64,
                    escaped: false,
                };
                let start = lead.len() + 1;
                assert_eq!(
                    s.key(),
                    Some((start, start + key.len(), fingerprint(key.as_bytes()))),
                    "{text:?}"
                );
                assert_eq!(s.i, lead.len() + key.len() + 2, "{text:?}");
            }
        }
    }
    // A key with an escape, or unclosed, is not the plain case.
    for text in [
        "\"a\\\"b\"",
        "\"ab\\u0041\":1",
        "\"abc",
        "\"a\nb\"",
        "\"a\nb\":1,\"c\":2}",
        "\"\\\"\":1,\"c\":2}",
        "\"abcdefgh\\n\":1}",
        "\"abcdefgh\tx\":1}",
        "\"abcdefghij",
    ] {
        let mut s = Scanner {
            b: text.as_bytes(),
            t: text,
            i: 0,
            max: 64,
            escaped: false,
        };
        assert_eq!(s.key(), None, "{text:?}");
    }
    // Keys that share seven bytes and a length differ only in their text.
    assert_eq!(fingerprint(b"referrer"), fingerprint(b"referrex"));
    assert_ne!(fingerprint(b"stage"), fingerprint(b"stagf"));
}

#[test]
fn special8_finds_the_first_special_byte() {
    let w = |b: &[u8; 8]| u64::from_le_bytes(*b);
    assert_eq!(special8(w(b"abcdefgh")), 0);
    for special in [b'"', b'\\', 0u8, 0x1F, b'\n'] {
        for pos in 0..8 {
            for later in pos + 1..8 {
                let mut a = *b"abcdefgh";
                a[pos] = special;
                a[later] = b'"';
                assert_eq!(
                    (special8(w(&a)).trailing_zeros() / 8) as usize,
                    pos,
                    "{a:?}"
                );
            }
        }
    }
}

#[test]
fn same_key_tells_long_keys_apart_by_their_tail() {
    for len in 8..24 {
        let a: String = (0..len)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        assert!(super::same_key(a.as_bytes(), a.clone().as_bytes()), "{a}");
        for at in 7..len {
            // Equal fingerprints (same length, same first seven bytes), one byte apart.
            let mut b = a.clone().into_bytes();
            b[at] = b'Z';
            let b = String::from_utf8(b).unwrap_or_default();
            assert_eq!(fingerprint(a.as_bytes()), fingerprint(b.as_bytes()));
            assert!(!super::same_key(a.as_bytes(), b.as_bytes()), "{a} {b}");
        }
    }
}

/// `first_special` finds the first quote, backslash or control byte, in the words and in the
/// tail shorter than a word, and nothing in plain text (UTF-8 included).
#[test]
fn first_special_finds_the_first_byte_to_escape() {
    assert_eq!(super::first_special(b""), None);
    assert_eq!(
        super::first_special("é plain ~ text past a word".as_bytes()),
        None
    );
    for len in 1..20 {
        for at in 0..len {
            for special in [b'"', b'\\', 0u8, 0x1F, b'\n'] {
                let mut t = vec![b'a'; len];
                t[at] = special;
                if at + 1 < len {
                    t[len - 1] = b'"';
                }
                assert_eq!(super::first_special(&t), Some(at), "{t:?}");
            }
        }
    }
}

/// A raw value is plain (its text is what lies between the quotes) only when it is a string
/// without escapes, whatever came before it.
#[test]
fn raw_values_know_whether_they_are_plain_strings() {
    let cases = [
        ("\"abc\"", true),
        ("\"\"", true),
        ("\"a long string of more than eight bytes\"", true),
        ("\"a\\\"b\"", false),
        ("\"\\u0041\"", false),
        ("\"ends with an escape \\n\"", false),
        ("12.5", false),
        ("null", false),
        ("{\"a\":\"b\"}", false),
        ("[\"a\"]", false),
    ];
    for (value, plain) in cases {
        // After a value with an escape, so that nothing is left over from it.
        let text = format!("\"x\\ty\" {value}");
        let mut s = Scanner {
            b: text.as_bytes(),
            t: &text,
            i: 0,
            max: 64,
            escaped: false,
        };
        assert!(s.raw_value(1).is_some_and(|(_, p)| !p), "{text:?}");
        s.ws();
        assert_eq!(s.raw_value(1), Some((value, plain)), "{text:?}");
    }
}

/// A key longer than 255 bytes whose first seven bytes are a declared key of seven bytes
/// is another key.
#[test]
fn a_long_key_is_not_a_short_declared_key() {
    let program = crate::program::checked_for_test("scan.rules", PROGRAM);
    let dec = Decoder::new(&program);
    let long = format!("segment{}", "x".repeat(256));
    let line = format!(r#"{{"id":"R1","referee":{{"id":"P1","{long}":"zzz"}}}}"#);
    let mut scratch = Scratch::default();
    let fast = decode_with(&dec, 1, &line, true, &mut scratch);
    let slow = decode_with(&dec, 1, &line, false, &mut scratch);
    assert_eq!(format!("{fast:?}"), format!("{slow:?}"));
    assert_ne!(fingerprint(b"segment"), fingerprint(long.as_bytes()));
}

/// Up to 24 keys in an object, all different, are read; a key given twice, wherever it is,
/// is left to the `serde_json` path (the bits of the keys seen only decide when to look).
#[test]
fn a_repeated_key_is_found_among_many() {
    let program = crate::program::checked_for_test("scan.rules", PROGRAM);
    let dec = Decoder::new(&program);
    let keys: Vec<String> = (0..20).map(|k| format!("k{k}")).collect();
    let object = |keys: &[String]| {
        let pairs: Vec<String> = keys.iter().map(|k| format!(r#""{k}":1"#)).collect();
        format!(r#"{{"id":"R1",{}}}"#, pairs.join(","))
    };
    let scan = |line: &str| {
        let mut raw = crate::records::decode::Raw::new(program.fields.len());
        super::scan(dec.root(), line, &mut raw, 64)
    };
    assert!(scan(&object(&keys)));
    for at in 0..keys.len() {
        for again in [0, at] {
            let mut twice = keys.clone();
            twice.insert(at, keys[again].clone());
            assert!(!scan(&object(&twice)), "{at} {again}");
        }
    }
    assert!(!scan(r#"{"id":"R1","id":"R2"}"#));
    assert!(!scan(r#"{"id":"R1","a_long_key_x":1,"a_long_key_x":2}"#));
}

/// A string is skipped as `serde_json` reads it, whether its end, an escape or a control
/// byte falls in a word or in the bytes after the last whole word.
#[test]
fn strings_are_skipped_as_serde_json_reads_them() {
    for len in 0..20 {
        for at in 0..len {
            for special in ["\\n", "\\u00e9", "\\x", "\n", "\\", "é"] {
                for tail in ["", ",1", ",\"more text after it\"}"] {
                    let mut body = "a".repeat(len);
                    body.insert_str(at, special);
                    let text = format!("\"{body}\"{tail}");
                    let mut s = Scanner {
                        b: text.as_bytes(),
                        t: &text,
                        i: 1,
                        max: 64,
                        escaped: false,
                    };
                    let fast = s.string().map(|()| s.i);
                    let mut de = serde_json::Deserializer::from_str(&text).into_iter::<String>();
                    let slow = de.next().and_then(Result::ok).map(|_| de.byte_offset());
                    assert_eq!(fast, slow, "{text:?}");
                }
            }
        }
    }
}

/// An event's `kind`, `at` and attributes read the same whether the scanner saw them as plain
/// strings (their text taken as it is) or with escapes (unescaped), and as on the serde path;
/// values that are not text are refused with the same messages.
#[test]
fn event_values_read_the_same_plain_or_escaped() {
    let program = crate::program::checked_for_test("scan.rules", PROGRAM);
    let dec = Decoder::new(&program);
    let line = |kind: &str, at: &str, rest: &str| {
        format!(
            r#"{{"id":"R1","created_at":"2025-01-01T00:00:00Z","referrer":{{"id":"C1"}},"referee":{{"id":"P1"}},"events":[{{"kind":{kind},"at":{at}{rest}}},{{"at":{at},"kind":{kind}}}]}}"#
        )
    };
    let plain = line(
        r#""won""#,
        r#""2025-02-01T00:00:00Z""#,
        r#","value":"3.00","currency":"USD","note":"ab""#,
    );
    let decode = |l: &str, fast: bool| decode_with(&dec, 1, l, fast, &mut Scratch::default());
    let scans = |l: &str| {
        let mut raw = crate::records::decode::Raw::new(program.fields.len());
        super::scan(dec.root(), l, &mut raw, 64)
    };
    let expected = decode(&plain, true);
    assert!(scans(&plain));
    assert_eq!(expected, decode(&plain, false));
    assert!(
        expected.as_ref().is_ok_and(|r| r.events.len() == 2),
        "{expected:?}"
    );
    for (kind, at, rest) in [
        (r#""w\u006fn""#, r#""2025-02-01T00:00:00Z""#, ""),
        (r#""won""#, r#""2025-02-01T00:00:00\u005a""#, ""),
        (r#""\u0077on""#, r#""\u0032025-02-01T00:00:00Z""#, ""),
        (
            r#""won""#,
            r#""2025-02-01T00:00:00Z""#,
            r#","note":"\u0061b""#,
        ),
        (
            r#""won""#,
            r#""2025-02-01T00:00:00Z""#,
            r#","currency":"US\u0044""#,
        ),
    ] {
        let mut rest = rest.to_string();
        for (key, value) in [
            ("value", r#""3.00""#),
            ("currency", r#""USD""#),
            ("note", r#""ab""#),
        ] {
            if !rest.contains(&format!("\"{key}\"")) {
                rest.push_str(&format!(r#","{key}":{value}"#));
            }
        }
        let l = line(kind, at, &rest);
        assert!(scans(&l), "{l}");
        assert_eq!(decode(&l, true), expected, "{l}");
        assert_eq!(decode(&l, false), expected, "{l}");
    }
    // Not text, escaped text that is no time, an unknown kind with an escape.
    for (kind, at) in [
        ("5", r#""2025-02-01T00:00:00Z""#),
        (r#""won""#, "5"),
        (r#""won""#, r#""2025-02-01T00:00:00\u0058""#),
        (r#""w\u006fn2""#, r#""2025-02-01T00:00:00Z""#),
        ("null", r#""2025-02-01T00:00:00Z""#),
    ] {
        let l = line(kind, at, "");
        assert!(scans(&l), "{l}");
        let fast = decode(&l, true);
        assert_eq!(fast, decode(&l, false), "{l}");
        assert_ne!(fast, expected, "{l}");
    }
}
