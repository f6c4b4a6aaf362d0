//! Strict standard base64 (RFC 4648 §4, with padding) for the pictures Gemini sends inline as
//! `inlineData.data`. Strict because a picture that decodes "mostly" is a broken file on disk:
//! no whitespace, no URL-safe alphabet, padding required, and the unused bits of the last
//! group must be zero, so that each picture has exactly one accepted spelling.
//!
//! A dozen lines do not justify a dependency; the tests pin it against RFC 4648's vectors.

/// Why a text is not strict base64: what went wrong and where (a character offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base64Error(pub String);

impl std::fmt::Display for Base64Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn value(byte: u8) -> Option<u32> {
    match byte {
        b'A'..=b'Z' => Some(u32::from(byte - b'A')),
        b'a'..=b'z' => Some(u32::from(byte - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(byte - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes padded standard base64.
pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let bytes = text.as_bytes();
    if bytes.len() % 4 != 0 {
        return Err(Base64Error(format!(
            "{} characters is not a multiple of 4 (padding missing or the data cut short)",
            bytes.len()
        )));
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (group_index, group) in bytes.chunks_exact(4).enumerate() {
        let at = group_index * 4;
        let last = at + 4 == bytes.len();
        let padding = group.iter().rev().take_while(|&&b| b == b'=').count();
        if padding > 2 || (padding > 0 && !last) {
            let first_pad = at + group.iter().position(|&b| b == b'=').unwrap_or(0);
            return Err(Base64Error(format!(
                "padding `=` at character {first_pad} before the end"
            )));
        }
        let mut bits = 0u32;
        for (i, &byte) in group[..4 - padding].iter().enumerate() {
            let Some(v) = value(byte) else {
                let shown = char::from(byte).escape_default();
                return Err(Base64Error(format!(
                    "character {} (`{shown}`) is not in the standard base64 alphabet",
                    at + i
                )));
            };
            bits = bits << 6 | v;
        }
        bits <<= 6 * padding as u32;
        let decoded = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
        let keep = 3 - padding;
        if decoded[keep..].iter().any(|&b| b != 0) {
            return Err(Base64Error(format!(
                "the last group (character {at}) has stray bits set after its data"
            )));
        }
        out.extend_from_slice(&decoded[..keep]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(decode(encoded).unwrap(), plain.as_bytes(), "{encoded}");
        }
        // Every byte value and both alphabet ends.
        assert_eq!(decode("+/8A").unwrap(), [0xfb, 0xff, 0x00]);
        assert_eq!(decode("iVBORw0KGgo=").unwrap(), b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn anything_loose_is_refused_with_its_place() {
        for (bad, says) in [
            ("Zg", "multiple of 4"),
            ("Zm9v\n", "multiple of 4"),
            ("Zm 9", "character 2"),
            ("Zm9v\r\nYg==", "multiple of 4"),
            ("Zm-_", "character 2 (`-`)"),
            ("Zg==Zm9v", "padding `=` at character 2"),
            ("Z===", "padding"),
            ("====", "padding"),
            ("Zh==", "stray bits"),
            ("Zm9=", "stray bits"),
            ("Zé=", "alphabet"),
        ] {
            let err = decode(bad).unwrap_err();
            assert!(err.0.contains(says), "{bad:?}: {err}");
        }
    }
}
