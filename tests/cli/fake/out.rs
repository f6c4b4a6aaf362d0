//! JSON written straight into a response body, for the answers nearly every request gets:
//! building a `serde_json::Value` tree first costs an allocation or two per key and value, and
//! was the larger part of the fake's CPU per request.

use std::io::Write;

use serde_json::Value;

/// `s` as a JSON string, escaped as serde_json escapes it.
pub fn string(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(found) = find_special(&bytes[start..]) {
        let i = start + found;
        out.extend_from_slice(&bytes[start..i]);
        let b = bytes[i];
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => {
                let _ = write!(out, "\\u{b:04x}");
                start = i + 1;
                continue;
            }
        };
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Where the first byte a JSON string must escape is (`"`, `\`, a control character): eight
/// bytes a step, as every string of every request and answer is scanned.
pub fn find_special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The lowest flagged byte is exact (borrows only run upwards from a real match).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let flags = zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGHS);
        if flags != 0 {
            return Some(at + flags.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|i| at + i)
}

/// JSON text as it is (punctuation, keys known not to need escaping).
pub fn raw(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(text.as_bytes());
}

pub fn number(out: &mut Vec<u8>, n: u64) {
    let _ = write!(out, "{n}");
}

/// A value built the slow way, for the rare parts of an answer (citations, grounding…).
pub fn value(out: &mut Vec<u8>, value: &Value) {
    let _ = serde_json::to_writer(&mut *out, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_bytes_are_found_wherever_they_are() {
        for len in 0..20 {
            for at in 0..len {
                for special in [b'"', b'\\', 0u8, 0x1f] {
                    let mut bytes = vec![b'a'; len];
                    // Bytes just above and around the specials must not match.
                    bytes.iter_mut().enumerate().for_each(|(i, b)| {
                        *b = [b'a', 0x20, b'#', b']', 0x80, 0xff][i % 6];
                    });
                    assert_eq!(find_special(&bytes), None, "{bytes:?}");
                    bytes[at] = special;
                    assert_eq!(find_special(&bytes), Some(at), "{bytes:?}");
                    if at + 1 < len {
                        bytes[at + 1] = b'"';
                        assert_eq!(find_special(&bytes), Some(at), "{bytes:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        for s in [
            "plain",
            "a \"quote\" and \\",
            "lines\n\r\t\u{8}\u{c}",
            "\u{1}\u{1f}",
            "café ☕",
        ] {
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(String::from_utf8(out).unwrap(), Value::from(s).to_string());
        }
    }
}
