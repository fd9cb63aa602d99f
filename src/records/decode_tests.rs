//! Tests of the record decoder (the `decode` module, whose child this is): the magnitude
//! limit, escapes in record text, amounts' decimals against their currency, and buffers
//! reused from record to record.

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
    e.push(Some((Cow::Borrowed(&text), &text, false)));
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

/// An amount may carry trailing zeros past its currency's digits (`10.500` USD is 10.50 USD);
/// only digits that are not zero are too many. JPY has none to spare.
#[test]
fn trailing_zeros_past_the_currencys_digits_are_allowed() {
    let money = |amount: &str, code: &str| {
        convert(
            Raw1::new(amount, amount.starts_with('"')),
            &Type::Money(None),
            CurrencySource::Sibling,
            Some(Raw1::new(code, true)),
        )
    };
    for (amount, code, ok) in [
        ("\"10.500\"", "\"USD\"", true),
        ("10.500", "\"USD\"", true),
        ("\"10.5\"", "\"USD\"", true),
        ("\"10.50\"", "\"USD\"", true),
        ("\"10.505\"", "\"USD\"", false),
        ("10.001", "\"USD\"", false),
        ("\"1852.000\"", "\"JPY\"", true),
        ("\"1852.5\"", "\"JPY\"", false),
    ] {
        let got = money(amount, code);
        assert_eq!(got.is_ok(), ok, "{amount} {code}: {got:?}");
        if let Err(m) = got {
            assert!(m.contains("has more decimals than"), "{m}");
        }
    }
}
