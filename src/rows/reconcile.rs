//! `--resume` by content: each result carries its row's fingerprint, so an earlier run's results
//! are matched to the input's rows by what the rows say, not only by their ids. Ids that are row
//! numbers move when a row is inserted above; a row edited since keeps its id but not its text.
//!
//! Before a resumed run sends anything, [`reconcile`] reads the input once and pairs every result
//! with a row of the same content (each result serves one row). A result whose row moved gets the
//! row's current id; a result no row matches any more (its row was edited or removed) is dropped,
//! so every row of the input ends with exactly one result that matches its own text. The results
//! file is rewritten only when something moved or was dropped (through a temporary file renamed
//! over it, so a crash leaves the old one whole). When no result matches any row, the file plainly
//! belongs to another input and the run stops.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use anyhow::{Context, bail};
use serde_json::Value;

use super::Format;
use super::id_set::IdSet;
use super::reader::RowReader;
use super::resume::{Journal, id_hash};

/// The end of a chain of records.
const NONE: u32 = u32::MAX;

/// What the earlier results mean for this input.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// `key(row id, fingerprint)` of every row that already has its result.
    pub done: IdSet,
    /// Rows whose id has a result that no longer matches their text: generated again.
    pub changed: u64,
    /// Rows with no result at all: generated.
    pub new: u64,
    /// Results dropped because no row has their content any more.
    pub dropped: u64,
    /// Results whose row moved, rewritten with the row's current id.
    pub renumbered: u64,
}

/// Pairs `journal`'s records with `input`'s rows by fingerprint (see the module docs), rewriting
/// the results file at `path` when a result moved or was dropped.
pub fn reconcile(
    path: &Path,
    format: Format,
    journal: &Journal,
    input: RowReader,
    key: impl Fn(&str, u64) -> u64,
) -> anyhow::Result<Reconciled> {
    // Records by content, each fingerprint's in file order: the first in `first`, the next ones
    // chained through `next` (built from the end, so one map suffices: about 20 bytes a record,
    // where a queue per fingerprint would cost a heap allocation each for a million-row file).
    let mut first: HashMap<u64, u32> = HashMap::with_capacity(journal.records.len());
    let mut next: Vec<u32> = vec![NONE; journal.records.len()];
    for (index, (_, fingerprint)) in journal.records.iter().enumerate().rev() {
        if let Some(fingerprint) = fingerprint {
            next[index] = first.insert(*fingerprint, index as u32).unwrap_or(NONE);
        }
    }
    let mut unmatched_ids: Vec<u64> = Vec::new();
    let mut fate = Fate {
        matched: vec![false; journal.records.len()],
        moved: HashMap::new(),
    };
    let mut outcome = Reconciled::default();
    for row in input.flatten() {
        let fingerprint = row.fingerprint();
        let id = id_hash(&row.id);
        let taken = first.get(&fingerprint).copied().filter(|i| *i != NONE);
        if let Some(index) = taken {
            first.insert(fingerprint, next[index as usize]);
        }
        match taken.map(|i| i as usize) {
            Some(index) => {
                fate.matched[index] = true;
                outcome.done.insert(key(&row.id, fingerprint));
                if journal.records[index].0 != id {
                    outcome.renumbered += 1;
                    fate.moved.insert(index, row.id);
                }
            }
            None => unmatched_ids.push(id),
        }
    }
    // A row is changed when a result for its id was dropped (it no longer matches the row's
    // text); new otherwise. With ids that are row numbers the two cannot be told apart exactly.
    let dropped_ids: HashSet<u64> = journal
        .records
        .iter()
        .zip(&fate.matched)
        .filter(|(_, matched)| !**matched)
        .map(|((id, _), _)| *id)
        .collect();
    outcome.dropped = fate.matched.iter().filter(|m| !**m).count() as u64;
    outcome.changed = unmatched_ids
        .iter()
        .filter(|id| dropped_ids.contains(id))
        .count() as u64;
    outcome.new = unmatched_ids.len() as u64 - outcome.changed;
    if outcome.dropped == journal.records.len() as u64 && !journal.records.is_empty() {
        bail!(
            "the results file `{}` holds {} results, and none of them matches a row of this input: \
             it plainly belongs to another input; pass --force to replace it, or -o to write \
             elsewhere",
            path.display(),
            journal.records.len()
        );
    }
    if outcome.dropped > 0 || outcome.renumbered > 0 {
        rewrite(path, format, &fate)
            .with_context(|| format!("cannot update the results file `{}`", path.display()))?;
    }
    Ok(outcome)
}

/// Which records stay, and the new id of those whose row moved.
struct Fate {
    matched: Vec<bool>,
    moved: HashMap<usize, String>,
}

impl Fate {
    /// Record `index`'s place in the rewritten file: `None` to drop it, else the id to give it
    /// (`None` inside: keep its own).
    fn of(&self, index: usize) -> Option<Option<&str>> {
        self.matched
            .get(index)
            .copied()
            .unwrap_or(false)
            .then(|| self.moved.get(&index).map(String::as_str))
    }
}

/// The results file with each record kept, given its row's current id, or dropped, as `fate`
/// says.
fn rewrite(path: &Path, format: Format, fate: &Fate) -> anyhow::Result<()> {
    let temporary = path.with_extension("resume-tmp");
    {
        let mut out = BufWriter::new(File::create(&temporary)?);
        match format {
            Format::Jsonl => {
                let mut index = 0;
                for line in BufReader::new(File::open(path)?).lines() {
                    let line = line?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    let place = fate.of(index);
                    index += 1;
                    match place {
                        None => {}
                        Some(None) => {
                            out.write_all(line.as_bytes())?;
                            out.write_all(b"\n")?;
                        }
                        Some(Some(id)) => {
                            let mut record: serde_json::Map<String, Value> =
                                serde_json::from_str(&line)?;
                            record.insert("row_id".into(), Value::String(id.to_string()));
                            serde_json::to_writer(&mut out, &record)?;
                            out.write_all(b"\n")?;
                        }
                    }
                }
            }
            Format::Csv => {
                let mut reader = csv::Reader::from_path(path)?;
                let header = reader.byte_headers()?.clone();
                let id_index = header.iter().position(|c| c == b"row_id");
                let mut writer = csv::Writer::from_writer(&mut out);
                writer.write_byte_record(&header)?;
                for (index, record) in reader.byte_records().enumerate() {
                    let record = record?;
                    let Some(id) = fate.of(index) else { continue };
                    let fields = record.iter().enumerate().map(|(i, cell)| match id {
                        Some(id) if Some(i) == id_index => id.as_bytes(),
                        _ => cell,
                    });
                    writer.write_record(fields)?;
                }
                writer.flush()?;
            }
        }
        out.flush()?;
        out.get_ref().sync_all()?;
    }
    std::fs::rename(&temporary, path)?;
    Ok(())
}

/// Whether every record of `journal` carries a fingerprint (results written by an older gen do
/// not; those resume by id alone).
pub fn has_fingerprints(journal: &Journal) -> bool {
    !journal.records.is_empty() && journal.records.iter().all(|(_, f)| f.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::reader::{ReaderOptions, Source};
    use crate::rows::resume::FINGERPRINT_FIELD;

    fn key(id: &str, fingerprint: u64) -> u64 {
        id_hash(id) ^ fingerprint.rotate_left(17)
    }

    fn reader(dir: &Path, csv: &str) -> RowReader {
        let path = dir.join("rows.csv");
        std::fs::write(&path, csv).unwrap();
        RowReader::open(&Source::File(path), &ReaderOptions::default()).unwrap()
    }

    /// Results as a run over `csv` would have written them (ids and fingerprints only).
    fn results_for(dir: &Path, csv: &str) -> String {
        reader(dir, csv)
            .flatten()
            .map(|row| {
                format!(
                    "{{\"keyword\":{},\"row_id\":\"{}\",\"{FINGERPRINT_FIELD}\":\"{}\"}}\n",
                    serde_json::to_string(&row.fields["keyword"]).unwrap(),
                    row.id,
                    crate::rows::fingerprint_text(row.fingerprint())
                )
            })
            .collect()
    }

    #[test]
    fn an_inserted_and_an_edited_row_are_matched_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("out.jsonl");
        std::fs::write(&results, results_for(dir.path(), "keyword\na\nb\nc\n")).unwrap();
        let journal = crate::rows::resume::read_journal(&results, Format::Jsonl, "row_id").unwrap();
        assert!(has_fingerprints(&journal));
        // A row inserted at the top, `b` edited into `B`.
        let input = reader(dir.path(), "keyword\nnew\na\nB\nc\n");
        let outcome = reconcile(&results, Format::Jsonl, &journal, input, key).unwrap();
        // Ids are row numbers here, so the inserted and the edited row are both "new".
        assert_eq!((outcome.new, outcome.changed), (2, 0), "{outcome:?}");
        assert_eq!(outcome.dropped, 1);
        assert_eq!(outcome.renumbered, 2, "a and c moved down one");
        let lines: Vec<Value> = std::fs::read_to_string(&results)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let pairs: Vec<(&str, &str)> = lines
            .iter()
            .map(|l| {
                (
                    l["row_id"].as_str().unwrap(),
                    l["keyword"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(pairs, [("2", "a"), ("4", "c")]);
        assert_eq!(outcome.done.len(), 2);
        let fingerprint = |text: &str| {
            reader(dir.path(), &format!("keyword\n{text}\n"))
                .flatten()
                .next()
                .unwrap()
                .fingerprint()
        };
        assert!(outcome.done.contains(key("2", fingerprint("a"))));
        assert!(outcome.done.contains(key("4", fingerprint("c"))));
    }

    #[test]
    fn with_an_id_column_an_edited_row_is_changed_and_an_inserted_one_new() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("out.jsonl");
        std::fs::write(&results, results_for(dir.path(), "id,keyword\n1,a\n2,b\n")).unwrap();
        let journal = crate::rows::resume::read_journal(&results, Format::Jsonl, "row_id").unwrap();
        let input = reader(dir.path(), "id,keyword\n0,new\n1,a\n2,B\n");
        let outcome = reconcile(&results, Format::Jsonl, &journal, input, key).unwrap();
        assert_eq!(
            (
                outcome.changed,
                outcome.new,
                outcome.dropped,
                outcome.renumbered
            ),
            (1, 1, 1, 0)
        );
    }

    #[test]
    fn identical_rows_each_need_their_own_result_and_another_input_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("out.jsonl");
        std::fs::write(&results, results_for(dir.path(), "keyword\nx\n")).unwrap();
        let journal = crate::rows::resume::read_journal(&results, Format::Jsonl, "row_id").unwrap();
        let outcome = reconcile(
            &results,
            Format::Jsonl,
            &journal,
            reader(dir.path(), "keyword\nx\nx\n"),
            key,
        )
        .unwrap();
        assert_eq!(
            (outcome.done.len(), outcome.new, outcome.changed),
            (1, 1, 0)
        );
        let error = reconcile(
            &results,
            Format::Jsonl,
            &journal,
            reader(dir.path(), "keyword\np\nq\n"),
            key,
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("plainly belongs to another input"),
            "{error}"
        );
    }

    #[test]
    fn csv_results_are_rewritten_with_their_rows_current_ids() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("out.csv");
        let rows: Vec<(String, String)> = reader(dir.path(), "keyword\na\nb\n")
            .flatten()
            .map(|r| (r.id.clone(), crate::rows::fingerprint_text(r.fingerprint())))
            .collect();
        let mut text = String::from("keyword,title,row_id,row_fingerprint\n");
        for ((id, fp), keyword) in rows.iter().zip(["a", "b"]) {
            text.push_str(&format!("{keyword},\"T, {keyword}\",{id},{fp}\n"));
        }
        std::fs::write(&results, text).unwrap();
        let journal = crate::rows::resume::read_journal(&results, Format::Csv, "row_id").unwrap();
        let outcome = reconcile(
            &results,
            Format::Csv,
            &journal,
            reader(dir.path(), "keyword\nz\na\nb\n"),
            key,
        )
        .unwrap();
        assert_eq!((outcome.renumbered, outcome.new), (2, 1));
        let written = std::fs::read_to_string(&results).unwrap();
        assert!(written.contains("a,\"T, a\",2,"), "{written}");
        assert!(written.contains("b,\"T, b\",3,"), "{written}");
    }
}
