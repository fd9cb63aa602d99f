//! The record depth limit ([`super::RecordLimits::max_json_depth`]), checked in one pass over the
//! bytes without recursion, whatever the nesting.

/// One open list or object.
enum Frame<'a> {
    /// An object: the key being read or last read, and whether a key comes next.
    Object {
        key: Option<&'a str>,
        want_key: bool,
    },
    /// A list: the index of the current item.
    List { index: usize },
}

/// Where `text` first nests deeper than `max` levels (the outermost list or object is level 1):
/// the field path leading there (`referee.tags`, `events[2].notes`; empty when the record's
/// own object is not where it happens), or `None` when it never does. Brackets inside strings
/// do not count. Malformed JSON is read just as leniently: the decoder reports it.
pub(super) fn too_deep(text: &str, max: usize) -> Option<String> {
    let b = text.as_bytes();
    let mut frames: Vec<Frame<'_>> = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => {
                let start = i.saturating_add(1);
                i = start;
                while let Some(&s) = b.get(i) {
                    match s {
                        b'\\' => i = i.saturating_add(2),
                        b'"' => break,
                        _ => i = i.saturating_add(1),
                    }
                }
                if let Some(Frame::Object {
                    key,
                    want_key: want @ true,
                }) = frames.last_mut()
                {
                    *key = text.get(start..i.min(b.len()));
                    *want = false;
                }
            }
            b'{' | b'[' => {
                if frames.len() >= max {
                    return Some(path(&frames));
                }
                frames.push(if c == b'{' {
                    Frame::Object {
                        key: None,
                        want_key: true,
                    }
                } else {
                    Frame::List { index: 0 }
                });
            }
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Object { want_key, .. }) => *want_key = true,
                Some(Frame::List { index }) => *index = index.saturating_add(1),
                None => {}
            },
            _ => {}
        }
        i = i.saturating_add(1);
    }
    None
}

/// Most parts of a path shown (the rest is `…`).
const SHOWN_PARTS: usize = 6;

/// The field path of the open frames, up to the last key (list positions after it are left
/// out: `x` for `"x": [[[[...`).
fn path(frames: &[Frame<'_>]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut index: Option<usize> = None;
    for f in frames {
        match f {
            Frame::Object { key: Some(k), .. } => {
                if let Some(i) = index.take() {
                    parts.push(format!("[{i}]"));
                }
                parts.push(format!(".{k}"));
            }
            Frame::Object { key: None, .. } => break,
            Frame::List { index: i } => {
                if let Some(prev) = index.replace(*i) {
                    parts.push(format!("[{prev}]"));
                }
            }
        }
    }
    // Positions after the last key are left out.
    while parts.last().is_some_and(|p| p.starts_with('[')) {
        parts.pop();
    }
    let more = parts.len() > SHOWN_PARTS;
    parts.truncate(SHOWN_PARTS);
    let mut out: String = parts.concat();
    if more {
        out.push_str(".…");
    }
    out.strip_prefix('.').unwrap_or(&out).to_string()
}

#[cfg(test)]
mod tests {
    use super::too_deep;

    #[test]
    fn depth_counts_lists_and_objects_outside_strings() {
        assert_eq!(too_deep(r#"{"a":1}"#, 1), None);
        assert_eq!(too_deep(r#"{"a":{}}"#, 1).as_deref(), Some("a"));
        assert_eq!(too_deep(r#"{"a":"[[[[{{{{"}"#, 1), None);
        assert_eq!(
            too_deep(r#"{"a\"[":"\\", "b":[1]}"#, 1).as_deref(),
            Some("b")
        );
        assert_eq!(too_deep("[[[]]]", 3), None);
        assert_eq!(too_deep("[[[[]]]]", 3).as_deref(), Some(""));
        let deep = format!(
            r#"{{"id":"R1","x":{}{}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        assert_eq!(too_deep(&deep, 101), None);
        assert_eq!(too_deep(&deep, 100).as_deref(), Some("x"));
    }

    #[test]
    fn the_path_names_keys_and_list_positions() {
        let t = r#"{"id":"R1","events":[{"kind":"a"},{"kind":"b","notes":{"x":[1,[[]]]}}]}"#;
        assert_eq!(too_deep(t, 7), None);
        assert_eq!(too_deep(t, 6).as_deref(), Some("events[1].notes.x"));
        assert_eq!(too_deep(t, 5).as_deref(), Some("events[1].notes.x"));
        assert_eq!(too_deep(t, 3).as_deref(), Some("events[1].notes"));
        assert_eq!(too_deep(t, 2).as_deref(), Some("events"));
        let keys = format!("{}1{}", r#"{"a":"#.repeat(10), "}".repeat(10));
        assert_eq!(too_deep(&keys, 9).as_deref(), Some("a.a.a.a.a.a.…"));
    }
}
