//! Bad input and usage errors: a clear message, the right exit code, nothing lost.

use serde_json::Value;

use crate::support::{Run, Workspace, ids, keywords_csv};

const ERROR_COLUMNS: [&str; 5] = [
    "error_kind",
    "error",
    "attempts",
    "providers_tried",
    "cost_usd",
];

/// A CSV file as header + records, decoding invalid UTF-8 lossily: a manifest may carry a row's
/// original bytes, which [`Workspace::csv`] would refuse.
fn csv_lossy(ws: &Workspace, name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(ws.path(name)).unwrap();
    let text = |record: &csv::ByteRecord| -> Vec<String> {
        record
            .iter()
            .map(|cell| String::from_utf8_lossy(cell).into_owned())
            .collect()
    };
    let header = text(reader.byte_headers().unwrap());
    let records = reader.byte_records().map(|r| text(&r.unwrap())).collect();
    (header, records)
}

/// The manifest row whose `column` is `value`, as column name → cell.
fn manifest_row(
    (header, records): &(Vec<String>, Vec<Vec<String>>),
    column: &str,
    value: &str,
) -> std::collections::HashMap<String, String> {
    let at = header
        .iter()
        .position(|c| c == column)
        .unwrap_or_else(|| panic!("no column {column}"));
    let record = records
        .iter()
        .find(|r| r[at] == value)
        .unwrap_or_else(|| panic!("no manifest row with {column} = {value:?} in {records:?}"));
    header.iter().cloned().zip(record.iter().cloned()).collect()
}

/// A usage, config or input error: exit 2 with the `gen: error:` prefix, and no lane started.
#[track_caller]
fn expect_usage_error(run: &Run) {
    run.expect_code(2).stderr_has("gen: error:");
    assert!(
        !run.stderr.contains("lane(s)"),
        "lanes started despite the error:\n{}",
        run.stderr
    );
}

/// The `gen: error:` line(s) only, for checks that the message names the right thing.
fn error_message(run: &Run) -> &str {
    let start = run.stderr.find("gen: error:").expect("an error message");
    &run.stderr[start..]
}

#[test]
fn missing_input_file_is_a_usage_error_naming_the_path() {
    let ws = Workspace::new();
    let run = ws.run(&["seo", "nosuch.csv"]);
    expect_usage_error(&run);
    run.stderr_has("nosuch.csv").stderr_has("not found");
    assert!(!ws.exists("nosuch.seo.jsonl"));
    assert!(!ws.exists("nosuch.seo.failed.csv"));
}

#[test]
fn empty_input_file_finishes_with_zero_rows_and_no_manifest() {
    for name in ["rows.csv", "rows.jsonl"] {
        let ws = Workspace::new();
        ws.write(name, "");
        let run = ws.run(&["seo", name]);
        run.expect_code(0).stderr_has(": 0 done, 0 failed");
        if ws.exists("rows.seo.jsonl") {
            assert_eq!(
                ws.read("rows.seo.jsonl"),
                "",
                "{name}: results of an empty input"
            );
        }
        assert!(
            !ws.exists("rows.seo.failed.csv"),
            "{name}: manifest without failures"
        );
        assert!(
            !ws.exists("rows.seo.failed.jsonl"),
            "{name}: manifest without failures"
        );
    }
}

#[test]
fn header_only_csv_finishes_with_zero_rows_and_no_manifest() {
    let ws = Workspace::new();
    ws.write("rows.csv", "id,keyword\n");
    let run = ws.run(&["seo", "rows.csv"]);
    run.expect_code(0).stderr_has(": 0 done, 0 failed");
    if ws.exists("rows.seo.jsonl") {
        assert_eq!(ws.read("rows.seo.jsonl"), "");
    }
    assert!(!ws.exists("rows.seo.failed.csv"));
}

/// Rows 2 (one field too many), 3 (one too few) and 4 (invalid UTF-8) are unreadable.
const RAGGED_CSV: &[u8] = b"id,keyword\n1,alpha\n2,beta,extra\n3\n4,d\xffelta\n5,epsilon\n";

#[test]
fn unreadable_csv_rows_go_to_the_manifest_with_their_line() {
    let ws = Workspace::new();
    ws.write("rows.csv", RAGGED_CSV);
    // --encoding utf-8: the bad byte is a bad row, not a file in another encoding.
    let run = ws.run(&["seo", "rows.csv", "--encoding", "utf-8"]);
    run.expect_code(1)
        .stderr_has("3 failed")
        .stderr_has("rows.seo.failed.csv");

    let results = ws.jsonl("rows.seo.jsonl");
    assert_eq!(ids(&results, "row_id"), ["1", "5"]);
    assert_eq!(results[0]["keyword"], "alpha");
    assert_eq!(results[1]["keyword"], "epsilon");

    let manifest = csv_lossy(&ws, "rows.seo.failed.csv");
    let mut header = vec!["id".to_string(), "keyword".to_string()];
    header.extend(ERROR_COLUMNS.map(String::from));
    assert_eq!(manifest.0, header);
    assert_eq!(manifest.1.len(), 3, "{:?}", manifest.1);
    for (id, line, words) in [
        ("2", "line 3", ["expected 2 fields", "found 3"]),
        ("3", "line 4", ["expected 2 fields", "found 1"]),
        ("4", "line 5", ["UTF-8", "keyword"]),
    ] {
        let row = manifest_row(&manifest, "id", id);
        assert_eq!(row["error_kind"], "bad_input", "row {id}");
        assert!(row["error"].contains(line), "row {id}: {:?}", row["error"]);
        for word in words {
            assert!(
                row["error"].contains(word),
                "row {id}: {:?} lacks {word:?}",
                row["error"]
            );
        }
        assert_eq!(
            row["attempts"], "0",
            "row {id}: no request for an unreadable row"
        );
    }
    assert_eq!(manifest_row(&manifest, "id", "2")["keyword"], "beta");
}

#[test]
fn fed_back_csv_manifest_is_read_as_input_and_complete_rows_succeed() {
    let ws = Workspace::new();
    // Row 2 has a stray extra field, row 3 repeats id 1: both keep complete data in the manifest.
    ws.write("rows.csv", "id,keyword\n1,alpha\n2,beta,extra\n1,gamma\n");
    ws.run(&["seo", "rows.csv"]).expect_code(1);
    assert_eq!(ws.csv("rows.seo.failed.csv").1.len(), 2);

    let run = ws.run(&["seo", "rows.seo.failed.csv", "-o", "retry.jsonl"]);
    run.expect_code(0).stderr_has(": 2 done, 0 failed");
    let results = ws.jsonl("retry.jsonl");
    let mut keywords: Vec<&str> = results
        .iter()
        .map(|r| r["keyword"].as_str().unwrap())
        .collect();
    keywords.sort();
    assert_eq!(keywords, ["beta", "gamma"]);
    for result in &results {
        // `attempts` and `cost_usd` are result fields too.
        let manifest_only = ERROR_COLUMNS
            .into_iter()
            .filter(|c| !["attempts", "cost_usd"].contains(c));
        for column in manifest_only {
            assert!(
                result.get(column).is_none(),
                "error column {column} leaked: {result}"
            );
        }
        assert_eq!(
            result["attempts"], 1,
            "attempts is this run's, not the manifest's"
        );
        assert!(result["title"].as_str().is_some_and(|t| !t.is_empty()));
    }
    assert!(!ws.exists("retry.failed.csv"));
}

/// Feeds the manifest of a run over `input` back unchanged: row 2 must fail again as bad input
/// (with `reason` in its error) rather than be generated from what the manifest kept of it.
/// `flags` go to both runs.
fn assert_fed_back_row_fails_again(input: &[u8], reason: &str, flags: &[&str]) {
    let ws = Workspace::new();
    ws.write("rows.csv", input);
    ws.run(&[&["seo", "rows.csv"], flags].concat())
        .expect_code(1);

    let retry = ["seo", "rows.seo.failed.csv", "-o", "retry.jsonl"];
    let run = ws.run(&[&retry, flags].concat());
    run.expect_code(1);
    let done = if ws.exists("retry.jsonl") {
        ws.jsonl("retry.jsonl")
    } else {
        Vec::new()
    };
    assert!(done.is_empty(), "a bad row was generated: {done:?}");
    let row = manifest_row(&csv_lossy(&ws, "retry.failed.csv"), "id", "2");
    assert_eq!(row["error_kind"], "bad_input");
    assert!(row["error"].contains(reason), "{:?}", row["error"]);
}

#[test]
fn fed_back_manifest_keeps_a_short_row_failing() {
    assert_fed_back_row_fails_again(b"id,keyword\n1,alpha\n2\n", "keyword", &[]);
}

#[test]
fn fed_back_manifest_keeps_an_invalid_utf8_row_failing() {
    let utf8 = ["--encoding", "utf-8"];
    assert_fed_back_row_fails_again(b"id,keyword\n1,alpha\n2,d\xffelta\n", "UTF-8", &utf8);
}

#[test]
fn unreadable_jsonl_lines_go_to_the_manifest_with_their_line() {
    let ws = Workspace::new();
    ws.write(
        "rows.jsonl",
        "{\"id\":\"1\",\"keyword\":\"alpha\"}\nnot json\n[1,2]\n{\"id\":\"4\",\"keyword\":\"delta\"}\n",
    );
    let run = ws.run(&["seo", "rows.jsonl"]);
    run.expect_code(1)
        .stderr_has("2 failed")
        .stderr_has("rows.seo.failed.jsonl");

    assert_eq!(ids(&ws.jsonl("rows.seo.jsonl"), "row_id"), ["1", "4"]);
    assert!(
        !ws.exists("rows.seo.failed.csv"),
        "the manifest takes the input's format"
    );
    let manifest = ws.jsonl("rows.seo.failed.jsonl");
    assert_eq!(manifest.len(), 2, "{manifest:?}");
    for (entry, (line, what, raw)) in manifest.iter().zip([
        ("line 2", "JSON", "not json"),
        ("line 3", "object", "[1,2]"),
    ]) {
        assert_eq!(entry["error_kind"], "bad_input", "{entry}");
        let error = entry["error"].as_str().unwrap();
        assert!(error.contains(line) && error.contains(what), "{error:?}");
        let kept = entry
            .as_object()
            .unwrap()
            .values()
            .any(|v| v.as_str() == Some(raw));
        assert!(kept, "the unreadable line {raw:?} is not kept in {entry}");
    }
}

#[test]
fn fed_back_jsonl_manifest_starting_with_an_unparsed_line_is_read_as_input() {
    let ws = Workspace::new();
    ws.write(
        "rows.jsonl",
        "not json\n{\"id\":\"1\",\"keyword\":\"alpha\"}\n{\"id\":\"1\",\"keyword\":\"again\"}\n",
    );
    ws.run(&["seo", "rows.jsonl"]).expect_code(1);
    assert_eq!(ws.jsonl("rows.seo.failed.jsonl").len(), 2);

    let run = ws.run(&["seo", "rows.seo.failed.jsonl", "-o", "retry.jsonl"]);
    run.expect_code(1);
    let results = ws.jsonl("retry.jsonl");
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["keyword"], "again");
    let manifest = ws.jsonl("retry.failed.jsonl");
    assert_eq!(manifest.len(), 1, "{manifest:?}");
    assert_eq!(manifest[0]["error_kind"], "bad_input");
    assert!(
        manifest[0]["error"].as_str().unwrap().contains("JSON"),
        "{}",
        manifest[0]
    );
    let kept = manifest[0]
        .as_object()
        .unwrap()
        .values()
        .any(|v| v.as_str() == Some("not json"));
    assert!(kept, "the unreadable line is lost: {}", manifest[0]);
}

#[test]
fn repeated_id_sends_the_second_occurrence_to_the_manifest() {
    let ws = Workspace::new();
    ws.write("rows.csv", "id,keyword\n7,first\n8,other\n7,second\n");
    let run = ws.run(&["seo", "rows.csv"]);
    run.expect_code(1).stderr_has("duplicate_id");

    let results = ws.jsonl("rows.seo.jsonl");
    assert_eq!(ids(&results, "row_id"), ["7", "8"]);
    assert_eq!(results[0]["keyword"], "first");
    let manifest = ws.csv("rows.seo.failed.csv");
    assert_eq!(manifest.1.len(), 1, "{:?}", manifest.1);
    let row = manifest_row(&manifest, "id", "7");
    assert_eq!(row["keyword"], "second");
    assert_eq!(row["error_kind"], "duplicate_id");
    assert!(
        row["error"].contains("line 4") && row["error"].contains("`7`"),
        "{:?}",
        row["error"]
    );
}

#[test]
fn template_naming_an_unknown_column_fails_before_any_request() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(3));
    ws.write("t.j2", "Write an SEO title about {{ keywrd }}.\n");
    let run = ws.run(&["seo", "--template", "t.j2", "rows.csv"]);
    expect_usage_error(&run);
    let message = error_message(&run);
    assert!(
        message.contains("`keywrd`") && message.contains("t.j2"),
        "{message}"
    );
    assert!(
        message.contains("id, keyword"),
        "the input's columns are not listed: {message}"
    );
    assert!(!ws.exists("rows.seo.jsonl"));
}

#[test]
fn builtin_template_on_input_without_keyword_fails_naming_keyword() {
    let ws = Workspace::new();
    ws.write("rows.csv", "id,topic\n1,tea\n");
    let run = ws.run(&["outline", "rows.csv"]);
    expect_usage_error(&run);
    let message = error_message(&run);
    assert!(
        message.contains("`keyword`") && message.contains("id, topic"),
        "{message}"
    );
    assert!(!ws.exists("rows.outline.jsonl"));
}

#[test]
fn bad_pool_entries_are_usage_errors_naming_the_entry() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(2));
    for (spec, words) in [
        ("mock=0", &["`mock=0`", "weight 0"][..]),
        ("mock=x", &["`mock=x`", "`x`", "positive integer"]),
        (
            "nosuch=1",
            &["`nosuch`", "unknown provider", "providers: mock"],
        ),
        ("mock=1,mock=2", &["`mock=2`", "`mock=1`", "repeats"]),
        ("mock,mock=2", &["`mock=2`", "`mock`", "repeats"]),
    ] {
        let run = ws.run(&["seo", "--pool", spec, "rows.csv"]);
        expect_usage_error(&run);
        for word in words {
            assert!(
                run.stderr.contains(word),
                "--pool {spec}: stderr lacks {word:?}:\n{}",
                run.stderr
            );
        }
        assert!(!ws.exists("rows.seo.jsonl"), "--pool {spec} wrote results");
    }
}

/// `path:line:col` of the message, when it starts with `path`.
fn position_after(message: &str, path: &str) -> Option<(u32, u32)> {
    let rest = &message[message.find(path)? + path.len()..];
    let mut parts = rest.strip_prefix(':')?.splitn(3, ':');
    let line = parts.next()?.parse().ok()?;
    let col = parts.next()?.parse().ok()?;
    Some((line, col))
}

#[test]
fn profile_with_a_toml_syntax_error_names_path_line_and_column() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(2));
    let profile = ws.write(
        "config/gen/config.toml",
        "[providers.mock]\nrpm = 5\nlatency = \"1ms\n",
    );
    let run = ws.run(&["seo", "rows.csv"]);
    expect_usage_error(&run);
    let message = error_message(&run);
    let position = position_after(message, &profile.display().to_string());
    assert!(
        matches!(position, Some((3, _))),
        "no path:3:col in {message}"
    );
    assert!(!ws.exists("rows.seo.jsonl"));
}

#[test]
fn profile_with_an_unknown_field_names_it_with_path_line_and_column() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(2));
    let profile = ws.write(
        "config/gen/config.toml",
        "# offline\n[providers.mock]\nrmp = 5\n",
    );
    let run = ws.run(&["seo", "rows.csv"]);
    expect_usage_error(&run);
    let message = error_message(&run);
    assert!(
        message.contains("`rmp`") && message.contains("`rpm`"),
        "{message}"
    );
    let position = position_after(message, &profile.display().to_string());
    assert_eq!(position, Some((3, 1)), "{message}");
    assert!(!ws.exists("rows.seo.jsonl"));
}

#[test]
fn unknown_profile_name_says_where_it_looked() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(2));
    ws.write(
        "config/gen/fast.toml",
        "[providers.fast]\nkind = \"mock\"\n",
    );
    let run = ws.run(&["seo", "--profile", "nosuch", "rows.csv"]);
    expect_usage_error(&run);
    let looked = ws.path("config/gen/nosuch.toml").display().to_string();
    run.stderr_has("`nosuch`")
        .stderr_has(&looked)
        .stderr_has("fast");
    assert!(!ws.exists("rows.seo.jsonl"));
}

#[test]
fn profile_mock_providers_share_the_pool() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(20));
    // Both lanes are slow enough that neither provider drains the queue before the other starts.
    ws.write(
        "config/gen/config.toml",
        "[providers.fast]\nkind = \"mock\"\nlatency = \"2ms\"\n\n\
         [providers.slow]\nkind = \"mock\"\nlatency = \"5ms\"\n",
    );
    let run = ws.run(&["seo", "--pool", "fast=3,slow=1", "rows.csv"]);
    run.expect_code(0).stderr_has(": 20 done, 0 failed");
    let results = ws.jsonl("rows.seo.jsonl");
    let mut row_ids = ids(&results, "row_id");
    row_ids.sort_by_key(|id| id.parse::<u32>().unwrap());
    assert_eq!(row_ids, (1..=20).map(|i| i.to_string()).collect::<Vec<_>>());
    let on = |name: &str| results.iter().filter(|r| r["provider"] == name).count();
    assert!(
        on("fast") > 0 && on("slow") > 0,
        "fast {} / slow {}",
        on("fast"),
        on("slow")
    );
    assert_eq!(on("fast") + on("slow"), 20);
}

#[test]
fn results_file_equal_to_the_input_is_refused_and_input_untouched() {
    let ws = Workspace::new();
    let input = keywords_csv(3);
    ws.write("rows.csv", &input);
    for out in ["rows.csv", "./rows.csv"] {
        let run = ws.run(&["seo", "-o", out, "rows.csv"]);
        expect_usage_error(&run);
        run.stderr_has(&format!("`{out}`")).stderr_has("input");
        assert_eq!(
            std::fs::read(ws.path("rows.csv")).unwrap(),
            input.as_bytes(),
            "-o {out}"
        );
    }
    assert!(!ws.exists("rows.seo.failed.csv"));
}

#[test]
fn existing_results_file_needs_resume_or_force() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(3));
    ws.write("rows.seo.jsonl", "earlier results\n");

    let run = ws.run(&["seo", "rows.csv"]);
    expect_usage_error(&run);
    run.stderr_has("`rows.seo.jsonl`")
        .stderr_has("--resume")
        .stderr_has("--force");
    assert_eq!(ws.read("rows.seo.jsonl"), "earlier results\n");

    ws.run(&["seo", "--force", "rows.csv"]).expect_code(0);
    assert_eq!(ids(&ws.jsonl("rows.seo.jsonl"), "row_id").len(), 3);
}

#[test]
fn existing_manifest_needs_resume_or_force() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(3));
    ws.write("rows.seo.failed.csv", "earlier failures\n");

    let run = ws.run(&["seo", "rows.csv"]);
    expect_usage_error(&run);
    run.stderr_has("`rows.seo.failed.csv`")
        .stderr_has("--resume")
        .stderr_has("--force");
    assert_eq!(ws.read("rows.seo.failed.csv"), "earlier failures\n");
    assert!(!ws.exists("rows.seo.jsonl"));

    ws.run(&["seo", "--force", "rows.csv"]).expect_code(0);
    assert_eq!(ids(&ws.jsonl("rows.seo.jsonl"), "row_id").len(), 3);
    assert!(
        !ws.exists("rows.seo.failed.csv"),
        "a clean --force run left the stale manifest"
    );
}

#[test]
fn resume_to_stdout_is_a_usage_error() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(2));
    let run = ws.run(&["seo", "--resume", "-o", "-", "rows.csv"]);
    expect_usage_error(&run);
    run.stderr_has("--resume").stderr_has("-o");
    assert!(run.stdout.is_empty(), "stdout: {}", run.stdout);
}

#[test]
fn rows_from_stdin_are_read_as_csv_or_sniffed_jsonl() {
    let jsonl = (1..=3)
        .map(|i| format!("{{\"id\":\"{i}\",\"keyword\":\"keyword number {i}\"}}\n"))
        .collect::<String>();
    for (format, input) in [("csv", keywords_csv(3)), ("jsonl", jsonl)] {
        let ws = Workspace::new();
        let run = ws.run_with_stdin(&["seo", "-o", "out.jsonl", "-"], input.as_bytes());
        run.expect_code(0).stderr_has(": 3 done, 0 failed");
        let results = ws.jsonl("out.jsonl");
        assert_eq!(
            ids(&results, "row_id"),
            ["1", "2", "3"],
            "{format} on stdin"
        );
        assert!(
            results.iter().all(|r| r["keyword"]
                .as_str()
                .is_some_and(|k| k.starts_with("keyword"))),
            "{format} on stdin: {results:?}"
        );
        assert!(
            results
                .iter()
                .all(|r| matches!(&r["title"], Value::String(t) if !t.is_empty()))
        );
    }
}

#[test]
fn directory_as_input_is_a_usage_error() {
    let ws = Workspace::new();
    std::fs::create_dir(ws.path("rows")).unwrap();
    let run = ws.run(&["seo", "rows"]);
    expect_usage_error(&run);
    run.stderr_has("`rows`").stderr_has("directory");
    assert!(!ws.exists("rows.seo.jsonl"));
}

#[test]
fn csv_header_repeating_a_column_is_a_usage_error_naming_it() {
    let ws = Workspace::new();
    ws.write("rows.csv", "id,keyword,keyword\n1,tea,coffee\n");
    let run = ws.run(&["seo", "rows.csv"]);
    expect_usage_error(&run);
    let message = error_message(&run);
    assert!(
        message.contains("rows.csv") && message.contains("line 1"),
        "{message}"
    );
    assert!(
        message.contains("`keyword`") && message.contains("twice"),
        "{message}"
    );
    assert!(!ws.exists("rows.seo.jsonl"));
}

#[test]
fn row_with_an_empty_id_goes_to_the_manifest() {
    let ws = Workspace::new();
    ws.write("rows.csv", "id,keyword\n1,tea\n,coffee\n");
    ws.run(&["seo", "rows.csv"]).expect_code(1);
    assert_eq!(ids(&ws.jsonl("rows.seo.jsonl"), "row_id"), ["1"]);
    let row = manifest_row(&ws.csv("rows.seo.failed.csv"), "keyword", "coffee");
    assert_eq!(row["error_kind"], "bad_input");
    assert!(
        row["error"].contains("line 3") && row["error"].contains("`id`"),
        "{:?}",
        row["error"]
    );
}
