//! The CSV field delimiter: `--delimiter`, tabs for `.tsv`, else sniffed from the start of the
//! input, since Excel writes `;` where the decimal separator is a comma and tools export tabs
//! under any name.

/// The delimiters gen sniffs for, in the order that breaks ties.
pub const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Records looked at after the header, at most.
const SAMPLE_ROWS: usize = 100;

/// How the delimiter was chosen, for the dry run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    Flag,
    /// `.tsv`.
    Extension,
    Sniffed,
    /// No candidate splits the header: a one-column file, read with commas.
    OneColumn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delimiter {
    pub byte: u8,
    pub chosen: Chosen,
}

impl Delimiter {
    /// `delimiter ';' (sniffed)`.
    pub fn describe(&self) -> String {
        let how = match self.chosen {
            Chosen::Flag => "--delimiter",
            Chosen::Extension => ".tsv",
            Chosen::Sniffed => "sniffed",
            Chosen::OneColumn => "the header has one column",
        };
        format!("delimiter {} ({how})", shown(self.byte))
    }
}

/// `','`, `';'`, `tab`, `'|'`.
pub fn shown(byte: u8) -> String {
    match byte {
        b'\t' => "tab".to_string(),
        other => format!("'{}'", other as char),
    }
}

/// The name a job file keeps: what `--delimiter` accepts back.
pub fn name(byte: u8) -> String {
    match byte {
        b'\t' => "tab".to_string(),
        other => (other as char).to_string(),
    }
}

/// `--delimiter CHAR`: `,` `;` `|`, or a tab as `tab`, `\t` or the character itself.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "," => Ok(b','),
        ";" => Ok(b';'),
        "|" => Ok(b'|'),
        "tab" | "TAB" | "\\t" | "\t" => Ok(b'\t'),
        other => Err(format!(
            "`{other}` is not a delimiter gen reads; use `,`, `;`, `|` or `tab`"
        )),
    }
}

/// The candidate that splits the header into the most fields while the rows after it agree
/// (at least half of the non-blank ones have as many fields); quotes are respected, as the csv
/// parser reads them. `None` when no candidate gives two columns. `complete` says whether
/// `prefix` is the whole input (else its last record may be cut short and is not counted).
pub fn sniff(prefix: &[u8], complete: bool) -> Option<u8> {
    // (delimiter, header fields, agreeing rows, rows)
    let mut best: Option<(u8, usize, usize, usize)> = None;
    for &delimiter in &CANDIDATES {
        let Some((width, agree, rows)) = shape(prefix, complete, delimiter) else {
            continue;
        };
        if width < 2 || agree * 2 < rows {
            continue;
        }
        // Most fields wins; then the larger share of agreeing rows (cross-multiplied).
        let better =
            best.is_none_or(|(_, w, a, r)| width > w || (width == w && agree * r > a * rows));
        if better {
            best = Some((delimiter, width, agree, rows));
        }
    }
    best.map(|(delimiter, ..)| delimiter)
}

/// The header's field count, and how many of the sampled rows after it have as many, of how
/// many.
fn shape(prefix: &[u8], complete: bool, delimiter: u8) -> Option<(usize, usize, usize)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(prefix);
    let mut widths = Vec::new();
    let mut record = csv::ByteRecord::new();
    while widths.len() <= SAMPLE_ROWS + 1 {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) | Err(_) => break,
        }
        let blank = record.iter().all(<[u8]>::is_empty);
        widths.push((!blank).then_some(record.len()));
    }
    let at_end = reader.is_done();
    if !(complete && at_end) && widths.len() > 1 {
        widths.pop();
    }
    let mut widths = widths.into_iter().flatten();
    let header = widths.next()?;
    let rows: Vec<usize> = widths.collect();
    let agree = rows.iter().filter(|&&w| w == header).count();
    Some((header, agree, rows.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_that_splits_the_header_most_wins() {
        assert_eq!(
            sniff(b"keyword;audience\nshoes, red;men\n", true),
            Some(b';')
        );
        assert_eq!(sniff(b"a\tb\tc\n1\t2,5\t3\n", true), Some(b'\t'));
        assert_eq!(sniff(b"a|b\n1|2\n", true), Some(b'|'));
        assert_eq!(sniff(b"id,text\n1,\"x;y;z\"\n2,w\n", true), Some(b','));
        // European numbers: commas inside the fields, semicolons between them.
        assert_eq!(
            sniff(b"name;price;qty\napple;1,50;3\npear;0,99;2\n", true),
            Some(b';')
        );
    }

    #[test]
    fn quotes_are_respected() {
        // The header's comma is inside quotes: it is one field per semicolon.
        assert_eq!(
            sniff(b"\"name, full\";age\n\"Doe, J\";3\n", true),
            Some(b';')
        );
        assert_eq!(sniff(b"\"a;b\",c\n1,2\n", true), Some(b','));
    }

    #[test]
    fn rows_must_agree_with_the_header() {
        // Two semicolons in the header, but the rows split on commas.
        assert_eq!(sniff(b"a,b;c;d\n1,2\n3,4\n5,6\n", true), Some(b','));
        // Blank rows (`;;`, `,,` as spreadsheets export them) do not count either way.
        assert_eq!(sniff(b"a;b\n1;2\n;\n;\n;\n", true), Some(b';'));
        assert_eq!(sniff(b"a,b,c\n1,2,3\n,,\n,,\n", true), Some(b','));
    }

    #[test]
    fn one_column_or_nothing_gives_none() {
        assert_eq!(sniff(b"keyword\nshoes\n", true), None);
        assert_eq!(sniff(b"", true), None);
        assert_eq!(sniff(b"\n\n", true), None);
    }

    #[test]
    fn a_cut_last_record_is_not_counted() {
        // The last line is cut after "3": as a row it would disagree with the header.
        assert_eq!(sniff(b"a;b;c\n1;2;3\n4;5;6\n7", false), Some(b';'));
        assert_eq!(sniff(b"a;b;c", false), Some(b';'), "a lone header line");
    }

    #[test]
    fn flag_values() {
        assert_eq!(parse_delimiter("tab"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\\t"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\t"), Ok(b'\t'));
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert!(parse_delimiter("::").unwrap_err().contains("`tab`"));
        for byte in CANDIDATES {
            assert_eq!(parse_delimiter(&name(byte)), Ok(byte));
        }
        assert_eq!(shown(b'\t'), "tab");
        assert_eq!(
            Delimiter {
                byte: b';',
                chosen: Chosen::Sniffed
            }
            .describe(),
            "delimiter ';' (sniffed)"
        );
    }
}
