//! Text encodings of CSV and JSONL input: a byte-order mark or `--encoding` picks the encoding,
//! and anything that is not UTF-8 is transcoded to UTF-8 as it streams (a few KiB of buffers),
//! so the parsers only ever see UTF-8.
//!
//! Without `--encoding` the input is taken as UTF-8, and the reader checks the first
//! [`CHECK_BYTES`] before any row is sent: bytes that are not UTF-8 there stop the run with the
//! line and the flag to use, because guessing an encoding can be wrong in ways nobody notices
//! (Windows-1252 and Windows-1250 both decode any byte) and every prompt would carry the
//! mojibake. Past that point a bad row goes to the manifest with its bytes, as before.

use std::io::{self, Cursor, Read};

use encoding_rs::{DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// How much of the input is checked before the run starts (it is also what the delimiter is
/// sniffed from): enough for the header and the first few hundred rows of a typical sheet.
pub const CHECK_BYTES: usize = 64 * 1024;

/// Stands in the decoded stream for a byte sequence the encoding cannot decode. It can never
/// start a UTF-8 character, so the cell holding it fails UTF-8 validation like any bad cell.
pub const MALFORMED: u8 = 0xFF;

/// How the encoding was chosen, for the dry run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    /// No BOM and no flag: UTF-8.
    Default,
    /// The byte-order mark at the start of the input.
    Bom,
    /// `--encoding`.
    Flag,
}

/// The encoding the input is read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextEncoding {
    pub encoding: &'static Encoding,
    pub chosen: Chosen,
    /// `--encoding` named another encoding than the BOM; the BOM wins, as browsers do.
    pub overridden: Option<&'static Encoding>,
}

impl TextEncoding {
    /// Whether the input's bytes reach the parsers as they are (UTF-8) rather than transcoded.
    pub fn is_utf8(&self) -> bool {
        self.encoding == UTF_8
    }

    /// `UTF-8`, `windows-1252 (--encoding)`, `UTF-16LE (BOM)`.
    pub fn describe(&self) -> String {
        let name = self.encoding.name();
        match (self.chosen, self.overridden) {
            (Chosen::Default, _) => name.to_string(),
            (Chosen::Flag, _) => format!("{name} (--encoding)"),
            (Chosen::Bom, None) => format!("{name} (BOM)"),
            (Chosen::Bom, Some(flag)) => {
                format!("{name} (BOM; --encoding {} ignored)", flag.name())
            }
        }
    }
}

/// `--encoding LABEL`: any WHATWG label (`windows-1252`, `latin1`, `shift_jis`, `utf-16le`…).
pub fn parse_encoding(label: &str) -> Result<&'static Encoding, String> {
    match Encoding::for_label_no_replacement(label.trim().as_bytes()) {
        Some(encoding) => Ok(encoding),
        None => Err(format!(
            "`{label}` is not an encoding label gen knows; use a WHATWG label such as utf-8, \
             windows-1252 (also latin1), iso-8859-2, shift_jis, gbk or utf-16le"
        )),
    }
}

/// Reads the byte-order mark, if any, and returns the input as UTF-8 with the encoding used.
pub fn open(
    mut raw: Box<dyn Read + Send>,
    flag: Option<&'static Encoding>,
) -> io::Result<(TextEncoding, Box<dyn Read + Send>)> {
    let mut head = Vec::with_capacity(3);
    // A pipe may hand over the BOM a byte at a time; wait for three bytes or the end.
    while head.len() < 3 {
        let mut byte = [0u8; 3];
        let want = 3 - head.len();
        match raw.read(&mut byte[..want]) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&byte[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let (bom, len) = match head.as_slice() {
        [0xEF, 0xBB, 0xBF, ..] => (Some(UTF_8), 3),
        [0xFF, 0xFE, ..] => (Some(UTF_16LE), 2),
        [0xFE, 0xFF, ..] => (Some(UTF_16BE), 2),
        _ => (None, 0),
    };
    let text = match bom {
        Some(encoding) => TextEncoding {
            encoding,
            chosen: Chosen::Bom,
            overridden: flag.filter(|f| *f != encoding),
        },
        None => TextEncoding {
            encoding: flag.unwrap_or(UTF_8),
            chosen: if flag.is_some() {
                Chosen::Flag
            } else {
                Chosen::Default
            },
            overridden: None,
        },
    };
    let rest: Box<dyn Read + Send> = Box::new(Cursor::new(head.split_off(len)).chain(raw));
    if text.is_utf8() {
        return Ok((text, rest));
    }
    Ok((text, Box::new(Transcoder::new(rest, text.encoding))))
}

/// Decodes another encoding into UTF-8 as it is read.
struct Transcoder {
    inner: Box<dyn Read + Send>,
    decoder: encoding_rs::Decoder,
    input: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    finished: bool,
    output: Vec<u8>,
    at: usize,
}

const TRANSCODE_BUFFER: usize = 16 * 1024;

impl Transcoder {
    fn new(inner: Box<dyn Read + Send>, encoding: &'static Encoding) -> Transcoder {
        Transcoder {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; TRANSCODE_BUFFER].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            finished: false,
            output: Vec::with_capacity(TRANSCODE_BUFFER * 3),
            at: 0,
        }
    }

    /// Decodes the next stretch into `output`; leaves it empty only at the end.
    fn refill(&mut self) -> io::Result<()> {
        self.output.clear();
        self.at = 0;
        // Room for a whole input buffer at UTF-8's worst ratio (3 bytes per UTF-16 unit).
        self.output.resize(TRANSCODE_BUFFER * 3 + 4, 0);
        let mut written = 0;
        while written == 0 && !self.finished {
            if self.start == self.end && !self.eof {
                match self.inner.read(&mut self.input) {
                    Ok(0) => self.eof = true,
                    Ok(n) => (self.start, self.end) = (0, n),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
            let (result, read, wrote) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.start..self.end],
                &mut self.output[written..],
                self.eof,
            );
            self.start += read;
            written += wrote;
            match result {
                DecoderResult::InputEmpty => self.finished = self.eof,
                DecoderResult::OutputFull => break,
                DecoderResult::Malformed(..) => {
                    if written == self.output.len() {
                        self.output.push(MALFORMED);
                    } else {
                        self.output[written] = MALFORMED;
                    }
                    written += 1;
                }
            }
        }
        self.output.truncate(written);
        Ok(())
    }
}

impl Read for Transcoder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.output.len() {
            self.refill()?;
        }
        let n = buf.len().min(self.output.len() - self.at);
        buf[..n].copy_from_slice(&self.output[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Where the decoded start of the input stops being valid text, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecodable {
    /// 1-based line of the first bad byte.
    pub line: u64,
    /// What the message says after `line N`.
    pub advice: String,
}

/// Checks the decoded start of an input read without `--encoding`; `complete` is false when
/// more follows, so a character cut at the end of `prefix` is not an error.
pub fn check_prefix(prefix: &[u8], text: &TextEncoding, complete: bool) -> Option<Undecodable> {
    if text.chosen == Chosen::Flag {
        return None;
    }
    let bad_at = match std::str::from_utf8(prefix) {
        Ok(_) => None,
        Err(e) if e.error_len().is_none() && !complete => None,
        Err(e) => Some(e.valid_up_to()),
    };
    let line = |at: usize| 1 + prefix[..at].iter().filter(|&&b| b == b'\n').count() as u64;
    if let Some(at) = bad_at {
        let advice = if text.is_utf8() {
            utf8_advice(prefix, at)
        } else {
            format!(
                "is not valid {} (the encoding its byte-order mark names); fix that line, or \
                 pass --encoding with the file's encoding",
                text.encoding.name()
            )
        };
        return Some(Undecodable {
            line: line(at),
            advice,
        });
    }
    // UTF-16 without a BOM is valid UTF-8 (ASCII and NUL bytes) but no table.
    if text.chosen == Chosen::Default {
        if let Some((encoding, at)) = utf16_without_bom(prefix) {
            return Some(Undecodable {
                line: line(at),
                advice: format!(
                    "has NUL bytes between its characters: it looks like {} without a byte-order \
                     mark; pass --encoding {}",
                    encoding.name(),
                    encoding.name().to_ascii_lowercase()
                ),
            });
        }
    }
    None
}

fn utf8_advice(prefix: &[u8], at: usize) -> String {
    let line_start = prefix[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let before = String::from_utf8_lossy(&prefix[line_start..at]);
    let before: String = before
        .chars()
        .rev()
        .take(20)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let mut text = format!("is not valid UTF-8 (byte 0x{:02X}", prefix[at]);
    if !before.trim().is_empty() {
        text.push_str(&format!(" after \"{}\"", before.trim_start()));
    }
    text.push(')');
    match guess_legacy(prefix) {
        Some(encoding) if encoding == WINDOWS_1252 => text.push_str(
            "; it looks like Windows-1252, as Excel saves \"CSV\" on Windows: pass --encoding \
             windows-1252 (or windows-1250, iso-8859-2… for Central European text), or save \
             the file as \"CSV UTF-8\"",
        ),
        Some(encoding) => text.push_str(&format!(
            "; it looks like {}: pass --encoding {}, or save the file as UTF-8",
            encoding.name(),
            encoding.name().to_ascii_lowercase()
        )),
        None => text.push_str(
            "; pass --encoding with the file's encoding (e.g. windows-1252, iso-8859-2, \
             shift_jis, gbk), or save the file as UTF-8",
        ),
    }
    text.push_str(
        ". To read it as UTF-8 anyway, with such rows going to the manifest, pass --encoding utf-8",
    );
    text
}

/// A legacy encoding the bytes plausibly are: Windows-1252 when every non-ASCII byte decodes to
/// a letter or common punctuation, else Shift_JIS when they decode cleanly to Japanese text.
fn guess_legacy(prefix: &[u8]) -> Option<&'static Encoding> {
    let (text, had_errors) = WINDOWS_1252.decode_without_bom_handling(prefix);
    let mut high = 0usize;
    let mut plausible = 0usize;
    for c in text.chars().filter(|c| !c.is_ascii()) {
        high += 1;
        if c.is_alphabetic() || "€‚„…–—‘’“”•°£§©®«»¿¡·½¼¾±×÷".contains(c)
        {
            plausible += 1;
        }
    }
    if !had_errors && high > 0 && plausible * 10 >= high * 9 {
        return Some(WINDOWS_1252);
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(prefix);
    let japanese = text
        .chars()
        .any(|c| matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}'));
    (!had_errors && japanese).then_some(encoding_rs::SHIFT_JIS)
}

/// UTF-16 text without a BOM: most ASCII characters come with a NUL byte on one side. Returns
/// the encoding and the offset of the first NUL.
fn utf16_without_bom(prefix: &[u8]) -> Option<(&'static Encoding, usize)> {
    let first = prefix.iter().position(|&b| b == 0)?;
    let sample = &prefix[..prefix.len().min(1024) & !1];
    let pairs = sample.len() / 2;
    if pairs == 0 {
        return None;
    }
    let zero_at = |offset: usize| {
        sample
            .iter()
            .skip(offset)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zero_at(0), zero_at(1));
    if odd * 2 > pairs {
        Some((UTF_16LE, first))
    } else if even * 2 > pairs {
        Some((UTF_16BE, first))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], flag: Option<&'static Encoding>) -> (TextEncoding, Vec<u8>) {
        let (text, mut reader) = open(Box::new(Cursor::new(bytes.to_vec())), flag).unwrap();
        let mut out = Vec::new();
        reader.read_to_end(&mut out).unwrap();
        (text, out)
    }

    #[test]
    fn boms_pick_the_encoding_and_are_dropped() {
        let (text, out) = decode(b"\xEF\xBB\xBFid\n", None);
        assert_eq!(
            (text.encoding, text.chosen, out.as_slice()),
            (UTF_8, Chosen::Bom, &b"id\n"[..])
        );
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("é,x\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let (text, out) = decode(&le, Some(WINDOWS_1252));
        assert_eq!(text.encoding, UTF_16LE);
        assert_eq!(
            text.describe(),
            "UTF-16LE (BOM; --encoding windows-1252 ignored)"
        );
        assert_eq!(out, "é,x\n".as_bytes());
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("日本\n".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&be, None).1, "日本\n".as_bytes());
    }

    #[test]
    fn a_flag_transcodes_and_marks_malformed_bytes() {
        let (text, out) = decode(b"caf\xE9\n", Some(parse_encoding("latin1").unwrap()));
        assert_eq!(text.describe(), "windows-1252 (--encoding)");
        assert_eq!(out, "café\n".as_bytes());
        // 0x82 0x20 is not Shift_JIS: the pair becomes the marker, the rest decodes.
        let (_, out) = decode(b"a\x82 b\x82\xa0", Some(encoding_rs::SHIFT_JIS));
        assert_eq!(out[0], b'a');
        assert!(out.contains(&MALFORMED), "{out:?}");
        assert!(std::str::from_utf8(&out).is_err());
    }

    #[test]
    fn transcoding_a_large_input_streams_every_byte() {
        let line = "ligne numéro un, deux; trois\n".repeat(5000);
        let (encoded, _, _) = WINDOWS_1252.encode(&line);
        let (_, out) = decode(&encoded, Some(WINDOWS_1252));
        assert_eq!(out, line.as_bytes());
    }

    #[test]
    fn unknown_labels_are_refused() {
        assert!(
            parse_encoding("klingon")
                .unwrap_err()
                .contains("windows-1252")
        );
        assert!(
            parse_encoding("iso-2022-kr").is_err(),
            "the replacement encoding"
        );
        assert_eq!(parse_encoding("Shift_JIS").unwrap().name(), "Shift_JIS");
    }

    fn default() -> TextEncoding {
        TextEncoding {
            encoding: UTF_8,
            chosen: Chosen::Default,
            overridden: None,
        }
    }

    #[test]
    fn prefix_check_names_the_line_and_the_flag() {
        let bad = check_prefix(b"id,name\n1,ok\n2,caf\xE9 cr\xE8me\n", &default(), true).unwrap();
        assert_eq!(bad.line, 3);
        assert!(
            bad.advice.contains("byte 0xE9 after \"2,caf\""),
            "{}",
            bad.advice
        );
        assert!(
            bad.advice.contains("--encoding windows-1252"),
            "{}",
            bad.advice
        );
        assert!(bad.advice.contains("--encoding utf-8"), "{}", bad.advice);
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("id,名前\n1,東京\n");
        let bad = check_prefix(&sjis, &default(), true).unwrap();
        assert!(
            bad.advice.contains("--encoding shift_jis"),
            "{}",
            bad.advice
        );
        // A character cut at the end of the prefix is not an error until the end is seen.
        assert_eq!(
            check_prefix("ok é".as_bytes().split_last().unwrap().1, &default(), false),
            None
        );
        assert!(check_prefix(b"ok \xC3", &default(), true).is_some());
        // With --encoding the user answers for the bytes.
        let flagged = TextEncoding {
            chosen: Chosen::Flag,
            ..default()
        };
        assert_eq!(check_prefix(b"caf\xE9", &flagged, true), None);
    }

    #[test]
    fn utf16_without_a_bom_is_recognised() {
        let le: Vec<u8> = "id,keyword\n1,x\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let bad = check_prefix(&le, &default(), true).unwrap();
        assert!(bad.advice.contains("--encoding utf-16le"), "{}", bad.advice);
        assert_eq!(check_prefix(b"id,keyword\n1,x\n", &default(), true), None);
    }
}
