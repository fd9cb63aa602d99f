//! Tests of the record decoder (the `decode` module, whose child this is): the magnitude
//! limit, escapes in record text, and buffers reused from record to record.

use super::*;

#[test]
fn backslashes_are_found_anywhere() {
    // In a string's text, a special byte is an escape.
    let has_escape = |b: &[u8]| first_special(b).is_some();
    assert!(!has_escape(b""));
    assert!(!has_escape(
        "plain text, é and more than eight bytes".as_bytes()
    ));
    for len in 0..20 {
        for at in 0..len {
            let mut t = vec![b'a'; len];
            t[at] = b'\\';
            assert!(has_escape(&t), "{len} {at}");
            // A byte next to 0x5C in value is not a backslash.
            t[at] = 0x5D;
            assert!(!has_escape(&t), "{len} {at}");
        }
    }
}

#[test]
fn recycling_keeps_the_allocation() {
    let text = String::from("abc");
    let mut v: Vec<Slot<'_>> = Vec::with_capacity(10);
    v.push(Slot {
        value: Some(&text),
        ..Slot::default()
    });
    let at = v.as_ptr() as usize;
    let kept: Vec<Slot<'static>> = recycle(v);
    assert_eq!((kept.len(), kept.capacity()), (0, 10));
    assert_eq!(kept.as_ptr() as usize, at);
    let mut e: RawEvents<'_> = Vec::with_capacity(12);
    e.push(Some((Cow::Borrowed(&text), &text)));
    let at = e.as_ptr() as usize;
    let kept: RawEvents<'static> = recycle(e);
    assert_eq!((kept.capacity(), kept.as_ptr() as usize), (12, at));
}

/// A scratch carried from record to record (and given each decoded record back) decodes
/// each exactly as a fresh one does.
#[test]
fn a_reused_scratch_changes_nothing() {
    let program = crate::program::checked_for_test(
        "s.rules",
        r#"
program "S" { version "1" currency USD timezone "UTC" rounding half_up }
fields { deal.amount: money optional  deal.stage: text optional }
events { won { note: text optional } }
milestone m = event won within 90 days after created
reward r on m to referrer { cash 5 USD }
"#,
    );
    let dec = Decoder::new(&program);
    let lines = [
        r#"{"id":"R1","created_at":"2025-01-01T00:00:00Z","referrer":{"id":"C1"},"referee":{"id":"P1"},"events":[{"kind":"won","at":"2025-01-02T00:00:00Z","note":"a"},{"kind":"won","at":"2025-01-03T00:00:00Z"}]}"#,
        r#"{"id":"R2","created_at":"2025-01-01T00:00:00Z","referrer":{"id":"C1"},"referee":{"id":"P1"},"deal":{"amount":"5.00","currency":"EUR","stage":"won"}}"#,
        r#"{"id":"R3","created_at":"2025-01-01T00:00:00Z","referrer":{"id":"C1","id":"C2"},"referee":{"id":"P1"},"events":[{"kind":"won","at":"2025-01-02T00:00:00Z"}]}"#,
        r#"{"id":"R4","created_at":"2025-01-01T00:00:00Z","referrer":{"id":"C1"},"referee":{"id":"P1"},"events":[]}"#,
        r#"{"id":"R5","created_at":"bad","referrer":{"id":"C1"},"referee":{"id":"P1"},"events":[{"kind":"won","at":"2025-01-02T00:00:00Z","note":"b"}]}"#,
        r#"{"id":"R6"#,
        r#"{"id":"R7","created_at":"2025-01-01T00:00:00Z","referrer":{"id":"C1"},"referee":{"id":"P1"},"deal":{"stage":"open"}}"#,
    ];
    let mut scratch = Scratch::default();
    for round in 0..3 {
        for (i, l) in lines.iter().enumerate() {
            let n = i as u64 + 1;
            let reused = decode_line_reusing(&dec, n, l, &mut scratch);
            assert_eq!(reused, decode_line(&dec, n, l), "round {round}, {l}");
            // A judged record's lists come back for the next one.
            if let Ok(rec) = reused {
                scratch.recycle(rec);
                assert!(scratch.fields.capacity() >= program.fields.len());
            }
        }
    }
}

#[test]
fn the_magnitude_limit_is_ten_to_the_eighteenth() {
    assert_eq!(MAX_MAGNITUDE, Decimal::from(1_000_000_000_000_000_000u64));
    assert!(within_limit(Decimal::from(999_999_999_999_999_999u64)).is_ok());
    assert!(within_limit(MAX_MAGNITUDE).is_err());
    assert!(within_limit(-MAX_MAGNITUDE).is_err());
}

/// The plain-decimal reader gives exactly what `Decimal::from_str_exact` gives (value, scale,
/// sign) whenever it answers, and answers for every usual amount.
#[test]
fn plain_decimals_read_as_the_general_parser_reads_them() {
    let same = |t: &str| {
        if let Some(d) = plain_decimal(t) {
            let want = Decimal::from_str_exact(t).unwrap_or_else(|e| panic!("{t:?}: {e}"));
            assert_eq!(
                (d, d.scale(), d.to_string(), d.is_sign_negative()),
                (
                    want,
                    want.scale(),
                    want.to_string(),
                    want.is_sign_negative()
                ),
                "{t:?}"
            );
        }
        plain_decimal(t)
    };
    for t in [
        "0",
        "7",
        "88",
        "1462.97",
        "1462.90",
        "0.00",
        "-0.5",
        "-12",
        "00.5",
        "007",
        "999999999999999999",
        "-999999999999999.999",
        "0.00000000000000001",
    ] {
        assert!(same(t).is_some(), "{t:?} should be read");
    }
    for t in [
        "",
        "-",
        ".",
        "1.",
        ".5",
        "-.5",
        "+1",
        "1e3",
        " 1",
        "1 ",
        "1.2.3",
        "--1",
        "-0",
        "-0.00",
        "1000000000000000000",
        "0.0000000000000000001",
        "1,5",
        "١",
    ] {
        assert!(
            same(t).is_none(),
            "{t:?} should be left to the general parser"
        );
    }
    // Random strings over the characters that matter.
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 22) as usize;
        let t: String = (0..len)
            .map(|i| b"0123456789.-0"[((seed >> (i * 3 % 60)) % 13) as usize] as char)
            .collect();
        same(&t);
    }
}
