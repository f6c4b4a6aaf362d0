//! Live runs on the mock provider: lanes, retries and rerouting, output formats and order, resume,
//! and interruption.

use std::collections::HashSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Workspace, ids, jsonl, keywords_csv};

fn assert_each_id_once(lines: &[Value], n: usize) {
    let ids = ids(lines, "row_id");
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "a row was written twice: {ids:?}");
    let expected: HashSet<String> = (1..=n).map(|i| i.to_string()).collect();
    let got: HashSet<String> = ids.into_iter().collect();
    assert_eq!(got, expected);
}

fn profile(ws: &Workspace, name: &str, toml: &str) -> String {
    ws.write(&format!("config/gen/{name}.toml"), toml);
    name.to_string()
}

#[test]
fn a_pool_run_writes_every_row_once_with_valid_fields_and_metadata() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(50));
    let run = ws.run(&["seo", "--pool", "mock=4", "rows.csv"]);
    run.expect_code(0)
        .stderr_has("4 lane(s) on mock")
        .stderr_has("50 done, 0 failed");
    assert!(
        run.stdout.is_empty(),
        "data goes to the file, not stdout: {}",
        run.stdout
    );
    let lines = ws.jsonl("rows.seo.jsonl");
    assert_each_id_once(&lines, 50);
    for line in &lines {
        let title = line["title"].as_str().unwrap();
        assert!(title.chars().count() <= 60 && !title.is_empty());
        assert!(line["meta_description"].as_str().unwrap().chars().count() <= 160);
        assert!(
            line["slug"]
                .as_str()
                .unwrap()
                .starts_with("keyword-number-")
        );
        assert_eq!(line["provider"], "mock");
        assert_eq!(line["model"], "mock-1");
        assert_eq!(line["attempts"], 1);
        assert!(line["input_tokens"].as_u64().unwrap() > 0);
        assert!(line["output_tokens"].as_u64().unwrap() > 0);
        assert!(line["latency_ms"].is_u64());
        assert_eq!(line["cost_usd"], 0.0);
        assert_eq!(line["id"], line["row_id"]);
    }
    assert!(
        !ws.exists("rows.seo.failed.csv"),
        "no failures, no manifest"
    );
}

#[test]
fn mock_answers_are_deterministic_across_runs() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(20));
    ws.run(&[
        "seo",
        "--pool",
        "mock=3",
        "rows.csv",
        "-o",
        "a.jsonl",
        "--keep-order",
    ])
    .expect_code(0);
    ws.run(&["seo", "rows.csv", "-o", "b.jsonl", "--keep-order"])
        .expect_code(0);
    let strip = |lines: Vec<Value>| -> Vec<(Value, Value, Value)> {
        lines
            .into_iter()
            .map(|l| {
                (
                    l["title"].clone(),
                    l["meta_description"].clone(),
                    l["slug"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(strip(ws.jsonl("a.jsonl")), strip(ws.jsonl("b.jsonl")));
}

#[test]
fn outline_rows_get_a_markdown_outline() {
    let ws = Workspace::new();
    ws.write(
        "rows.jsonl",
        "{\"keyword\":\"sourdough\"}\n{\"keyword\":\"espresso\"}\n",
    );
    ws.run(&["outline", "--pool", "mock=2", "rows.jsonl"])
        .expect_code(0);
    let lines = ws.jsonl("rows.outline.jsonl");
    assert_eq!(lines.len(), 2);
    for line in lines {
        let outline = line["outline"].as_str().unwrap();
        assert!(
            outline.lines().filter(|l| l.starts_with("## ")).count() >= 3,
            "{outline}"
        );
        assert_eq!(
            line["row_id"].as_str().unwrap().len(),
            1,
            "row number ids without an id column"
        );
    }
}

#[test]
fn profile_providers_of_kind_mock_share_the_work() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(60));
    ws.write(
        "config/gen/config.toml",
        "[providers.fast]\nkind = \"mock\"\nlatency = \"2ms\"\n\n[providers.slow]\nkind = \"mock\"\nlatency = \"20ms\"\n",
    );
    let run = ws.run(&["seo", "--pool", "fast=3,slow=1", "rows.csv"]);
    run.expect_code(0)
        .stderr_has("3 lane(s) on fast")
        .stderr_has("1 lane(s) on slow");
    let lines = ws.jsonl("rows.seo.jsonl");
    assert_each_id_once(&lines, 60);
    let by = |p: &str| lines.iter().filter(|l| l["provider"] == p).count();
    assert!(
        by("fast") > by("slow"),
        "the faster provider does more rows: fast {} slow {}",
        by("fast"),
        by("slow")
    );
    assert!(by("slow") > 0);
}

#[test]
fn the_default_profile_pool_is_reused_and_flags_override_it() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(5));
    ws.write(
        "config/gen/config.toml",
        "[pool]\nalt = 2\n\n[providers.alt]\nkind = \"mock\"\nmodel = \"alt-model\"\n",
    );
    ws.run(&["seo", "rows.csv"])
        .expect_code(0)
        .stderr_has("2 lane(s) on alt");
    assert!(
        ws.jsonl("rows.seo.jsonl")
            .iter()
            .all(|l| l["provider"] == "alt" && l["model"] == "alt-model")
    );
    ws.run(&["seo", "--pool", "mock=1", "rows.csv", "-o", "flag.jsonl"])
        .expect_code(0);
    assert!(
        ws.jsonl("flag.jsonl")
            .iter()
            .all(|l| l["provider"] == "mock")
    );
    ws.run(&["seo", "--no-profile", "rows.csv", "-o", "none.jsonl"])
        .expect_code(0)
        .stderr_has("1 lane(s) on mock");
}

#[test]
fn invalid_answers_are_retried_on_another_provider() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(30));
    let name = profile(
        &ws,
        "mixed",
        "[pool]\nsloppy = 2\ngood = 2\n\n[providers.sloppy]\nkind = \"mock\"\ninvalid_output_rate = 1.0\n\n\
         [providers.good]\nkind = \"mock\"\nlatency = \"1ms\"\n",
    );
    let run = ws.run(&["seo", "--profile", &name, "rows.csv"]);
    run.expect_code(0).stderr_has("invalid_output");
    let lines = ws.jsonl("rows.seo.jsonl");
    assert_each_id_once(&lines, 30);
    assert!(lines.iter().all(|l| l["provider"] == "good"));
    assert!(
        lines.iter().any(|l| l["attempts"] == 2),
        "rows first sent to `sloppy` took two attempts"
    );
    assert!(
        lines.iter().all(|l| l["attempts"].as_u64().unwrap() <= 2),
        "a retry goes to the other provider"
    );
}

#[test]
fn rows_that_keep_failing_go_to_the_manifest_which_feeds_back_as_input() {
    let ws = Workspace::new();
    ws.write(
        "rows.csv",
        "id,keyword,note\n1,alpha,\"multi\nline\"\n2,beta,plain\n",
    );
    let name = profile(
        &ws,
        "broken",
        "[providers.mock]\ninvalid_output_rate = 1.0\n",
    );
    let run = ws.run(&["seo", "--profile", &name, "--max-attempts", "3", "rows.csv"]);
    run.expect_code(1)
        .stderr_has("2 failed")
        .stderr_has("rows.seo.failed.csv");
    let (header, records) = ws.csv("rows.seo.failed.csv");
    assert_eq!(
        header,
        [
            "id",
            "keyword",
            "note",
            "error_kind",
            "error",
            "attempts",
            "providers_tried",
            "cost_usd"
        ]
    );
    assert_eq!(records.len(), 2);
    for record in &records {
        // Three billed answers on the mock, whose price is zero.
        assert_eq!(record[7], "0", "{record:?}");
        assert_eq!(record[3], "invalid_output");
        assert!(
            record[4].contains("gave up after 3 attempts"),
            "{}",
            record[4]
        );
        assert_eq!(record[5], "3");
        assert_eq!(record[6], "mock");
    }
    assert!(
        records.iter().any(|r| r[2] == "multi\nline"),
        "multi-line fields survive"
    );
    assert_eq!(ws.read("rows.seo.jsonl"), "", "nothing succeeded");

    let retry = ws.run(&[
        "seo",
        "--no-profile",
        "rows.seo.failed.csv",
        "-o",
        "retry.jsonl",
    ]);
    retry.expect_code(0);
    let lines = ws.jsonl("retry.jsonl");
    assert_eq!(
        ids(&lines, "row_id"),
        ["1", "2"]
            .map(String::from)
            .to_vec()
            .into_iter()
            .filter(|id| lines.iter().any(|l| l["row_id"] == *id.as_str()))
            .collect::<Vec<_>>()
    );
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l.get("error_kind").is_none() && l.get("error").is_none()),
        "old error columns are dropped"
    );
}

#[test]
fn a_rate_limited_provider_never_stops_the_run() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(40));
    let name = profile(
        &ws,
        "limited",
        "[pool]\nlimited = 2\nspare = 1\n\n[providers.limited]\nkind = \"mock\"\nrate_limit_rate = 1.0\nretry_after = \"30s\"\n\n\
         [providers.spare]\nkind = \"mock\"\nlatency = \"1ms\"\n",
    );
    let started = Instant::now();
    let run = ws.run(&["seo", "--profile", &name, "--max-attempts", "1", "rows.csv"]);
    run.expect_code(0).stderr_has("rate_limited");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "parked lanes must not hold the run for their 30 s reset"
    );
    let lines = ws.jsonl("rows.seo.jsonl");
    assert_each_id_once(&lines, 40);
    assert!(lines.iter().all(|l| l["provider"] == "spare"));
    assert!(
        lines.iter().any(|l| l["attempts"] == 2),
        "a rate-limited attempt is sent but does not use up --max-attempts 1"
    );
}

#[test]
fn a_timeout_is_classified_and_bounded() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(2));
    let name = profile(&ws, "slow", "[providers.mock]\nlatency = \"30s\"\n");
    let started = Instant::now();
    let run = ws.run(&[
        "seo",
        "--profile",
        &name,
        "--timeout",
        "50ms",
        "--max-attempts",
        "1",
        "rows.csv",
    ]);
    run.expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(10));
    let failed = ws.csv("rows.seo.failed.csv").1;
    assert!(failed.iter().all(|r| r[2] == "timeout"), "{failed:?}");
}

#[test]
fn keep_order_writes_results_in_input_order() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(40));
    let name = profile(
        &ws,
        "jittery",
        "[providers.mock]\nlatency = \"5ms\"\njitter = \"5ms\"\n",
    );
    ws.run(&[
        "seo",
        "--profile",
        &name,
        "--pool",
        "mock=8",
        "--keep-order",
        "rows.csv",
    ])
    .expect_code(0);
    let got = ids(&ws.jsonl("rows.seo.jsonl"), "row_id");
    let expected: Vec<String> = (1..=40).map(|i| i.to_string()).collect();
    assert_eq!(got, expected);
}

#[test]
fn csv_output_has_a_header_and_resumes_without_repeating_it() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(6));
    ws.run(&["seo", "rows.csv", "-o", "out.csv"]).expect_code(0);
    let (header, records) = ws.csv("out.csv");
    assert_eq!(
        &header[..5],
        ["id", "keyword", "title", "meta_description", "slug"]
    );
    assert!(header.contains(&"row_id".to_string()) && header.contains(&"cost_usd".to_string()));
    assert_eq!(records.len(), 6);
    // Keep the header and two rows, then resume.
    let text = ws.read("out.csv");
    let kept: Vec<&str> = text.lines().take(3).collect();
    ws.write("out.csv", format!("{}\n", kept.join("\n")));
    let run = ws.run(&["seo", "rows.csv", "-o", "out.csv", "--resume"]);
    run.expect_code(0)
        .stderr_has("4 done")
        .stderr_has("2 skipped");
    let (_, records) = ws.csv("out.csv");
    assert_eq!(records.len(), 6);
    let row_id = header.iter().position(|h| h == "row_id").unwrap();
    let unique: HashSet<&String> = records.iter().map(|r| &r[row_id]).collect();
    assert_eq!(unique.len(), 6);
}

#[test]
fn resume_cuts_a_torn_line_and_requests_only_missing_rows() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(10));
    ws.run(&["seo", "rows.csv", "--keep-order"]).expect_code(0);
    let full = ws.read("rows.seo.jsonl");
    let lines: Vec<&str> = full.lines().collect();
    // Four whole lines, then half of the fifth, as a crash mid-write would leave.
    let torn = format!(
        "{}\n{}",
        lines[..4].join("\n"),
        &lines[4][..lines[4].len() / 2]
    );
    ws.write("rows.seo.jsonl", &torn);
    let run = ws.run(&["seo", "rows.csv", "--resume"]);
    run.expect_code(0)
        .stderr_has("torn last line")
        .stderr_has("6 done")
        .stderr_has("4 skipped");
    let after = ws.jsonl("rows.seo.jsonl");
    assert_each_id_once(&after, 10);
    assert_eq!(
        &ws.read("rows.seo.jsonl")[..torn.rfind('\n').unwrap()],
        &torn[..torn.rfind('\n').unwrap()]
    );
}

#[test]
fn stdout_output_carries_only_data() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(3));
    let run = ws.run(&["seo", "rows.csv", "-o", "-"]);
    run.expect_code(0).stderr_has("3 done");
    assert_eq!(jsonl(&run.stdout).len(), 3);
    assert!(!ws.exists("rows.seo.jsonl"));
}

#[test]
fn dry_run_shows_lanes_prompt_and_estimate_and_sends_nothing() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(7));
    let run = ws.run(&["seo", "--pool", "mock=3", "--dry-run", "rows.csv"]);
    run.expect_code(0);
    assert!(run.stdout.contains("mock ×3"), "{}", run.stdout);
    assert!(
        run.stdout.contains("keyword number 1"),
        "the first prompt is shown: {}",
        run.stdout
    );
    assert!(run.stdout.contains("rows: 7"), "{}", run.stdout);
    assert!(run.stdout.contains("estimated tokens"), "{}", run.stdout);
    assert!(!ws.exists("rows.seo.jsonl"));
}

#[test]
fn a_custom_template_renders_columns_row_and_id() {
    let ws = Workspace::new();
    ws.write("rows.csv", "sku,Product Name\nA1,Trail Shoe\n");
    ws.write(
        "t.j2",
        "Metadata for {{ row[\"Product Name\"] }} (sku {{ sku }}, row {{ id }})",
    );
    let run = ws.run(&["seo", "--template", "t.j2", "--dry-run", "rows.csv"]);
    run.expect_code(0);
    assert!(
        run.stdout
            .contains("Metadata for Trail Shoe (sku A1, row 1)"),
        "{}",
        run.stdout
    );
    ws.run(&["seo", "--template", "t.j2", "rows.csv"])
        .expect_code(0);
    assert_eq!(
        ws.jsonl("rows.seo.jsonl")[0]["slug"],
        "a1",
        "topic = first column without `keyword`"
    );
}

#[test]
fn json_progress_lines_are_json_on_stderr() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(20));
    let name = profile(&ws, "slowish", "[providers.mock]\nlatency = \"20ms\"\n");
    let run = ws.run(&[
        "seo",
        "--profile",
        &name,
        "--progress",
        "json",
        "--progress-interval",
        "50ms",
        "rows.csv",
    ]);
    run.expect_code(0);
    let events: Vec<Value> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!events.is_empty(), "{}", run.stderr);
    assert!(events.iter().all(|e| {
        ["start", "progress", "end"].contains(&e["event"].as_str().unwrap_or_default())
            && e["providers"][0]["name"] == "mock"
    }));
}

#[test]
fn colliding_input_columns_are_kept_under_another_name() {
    let ws = Workspace::new();
    ws.write("rows.csv", "keyword,title,provider\nshoes,Old Title,acme\n");
    ws.run(&["seo", "rows.csv"]).expect_code(0);
    let line = &ws.jsonl("rows.seo.jsonl")[0];
    assert_eq!(line["input_title"], "Old Title");
    assert_eq!(line["input_provider"], "acme");
    assert_eq!(line["provider"], "mock");
    assert_ne!(line["title"], "Old Title");
}

fn spawn_run(ws: &Workspace, args: &[&str]) -> std::process::Child {
    ws.command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for_lines(ws: &Workspace, name: &str, at_least: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::fs::read_to_string(ws.path(name))
            .map(|t| t.lines().count())
            .unwrap_or(0)
            >= at_least
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{name} never reached {at_least} lines");
}

#[test]
fn after_kill_9_resume_completes_every_row_exactly_once() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(300));
    let name = profile(
        &ws,
        "steady",
        "[providers.mock]\nlatency = \"10ms\"\njitter = \"5ms\"\n",
    );
    let args = ["seo", "--profile", &name, "--pool", "mock=8", "rows.csv"];
    let mut child = spawn_run(&ws, &args);
    wait_for_lines(&ws, "rows.seo.jsonl", 40);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before = ws
        .read("rows.seo.jsonl")
        .lines()
        .filter(|l| l.ends_with('}'))
        .count();
    assert!(before < 300, "the kill landed mid-run");
    let mut resume_args = args.to_vec();
    resume_args.push("--resume");
    let run = ws.run(&resume_args);
    run.expect_code(0);
    assert_each_id_once(&ws.jsonl("rows.seo.jsonl"), 300);
    assert!(
        run.stderr.contains(&format!("{} done", 300 - before)),
        "only the missing rows are requested:\n{}",
        run.stderr
    );
}

#[test]
fn ctrl_c_drains_in_flight_rows_exits_130_and_resume_finishes() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(300));
    let name = profile(&ws, "steady", "[providers.mock]\nlatency = \"20ms\"\n");
    let args = ["seo", "--profile", &name, "--pool", "mock=4", "rows.csv"];
    let child = spawn_run(&ws, &args);
    wait_for_lines(&ws, "rows.seo.jsonl", 20);
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    let text = ws.read("rows.seo.jsonl");
    assert!(
        text.ends_with('\n'),
        "no torn line after a drained interrupt"
    );
    let written = jsonl(&text).len();
    assert!(written < 300);
    assert!(
        !ws.exists("rows.seo.failed.csv"),
        "interrupted rows are not failures"
    );
    let mut resume_args = args.to_vec();
    resume_args.push("--resume");
    ws.run(&resume_args).expect_code(0);
    assert_each_id_once(&ws.jsonl("rows.seo.jsonl"), 300);
}

/// With every kind of mock fault at once, each row ends in exactly one place: the results or the
/// manifest, never both, never neither, never twice.
#[test]
fn under_every_fault_each_row_ends_in_exactly_one_place() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(400));
    let name = profile(
        &ws,
        "chaos",
        "[pool]\na = 4\nb = 2\n\n\
         [providers.a]\nkind = \"mock\"\nrate_limit_rate = 0.2\nretry_after = \"10ms\"\nserver_error_rate = 0.2\ninvalid_output_rate = 0.2\n\n\
         [providers.b]\nkind = \"mock\"\nlatency = \"1ms\"\nserver_error_rate = 0.3\ninvalid_output_rate = 0.3\n",
    );
    for keep_order in [false, true] {
        let out = format!("out-{keep_order}.jsonl");
        let failed = format!("failed-{keep_order}.csv");
        let mut args = vec![
            "seo",
            "--profile",
            &name,
            "--max-attempts",
            "2",
            "rows.csv",
            "-o",
            &out,
            "--failed",
            &failed,
        ];
        if keep_order {
            args.push("--keep-order");
        }
        let run = ws.run(&args);
        assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
        let done = ids(&ws.jsonl(&out), "row_id");
        let failed_ids: Vec<String> = if ws.exists(&failed) {
            ws.csv(&failed)
                .1
                .into_iter()
                .map(|r| r[0].clone())
                .collect()
        } else {
            Vec::new()
        };
        assert!(
            !failed_ids.is_empty() && !done.is_empty(),
            "the fault rates should produce both outcomes"
        );
        let mut all: Vec<String> = done.iter().chain(&failed_ids).cloned().collect();
        all.sort_by_key(|id| id.parse::<u32>().unwrap());
        let expected: Vec<String> = (1..=400).map(|i| i.to_string()).collect();
        assert_eq!(all, expected, "keep_order={keep_order}");
        assert_eq!(run.code, 1);
        if keep_order {
            let numbers: Vec<u32> = done.iter().map(|id| id.parse().unwrap()).collect();
            assert!(
                numbers.windows(2).all(|w| w[0] < w[1]),
                "results must follow input order"
            );
        }
    }
}

/// The profile example in README.md is real: it parses and runs offline.
#[test]
fn the_readme_profile_example_is_valid() {
    let readme = std::fs::read_to_string(crate::support::repo_file("README.md")).unwrap();
    let start = readme.find("```toml\n").expect("a toml block in README.md") + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let ws = Workspace::new();
    ws.write("p.toml", &readme[start..end]);
    ws.write("rows.csv", keywords_csv(3));
    let run = ws.run(&["seo", "--profile", "./p.toml", "--dry-run", "rows.csv"]);
    run.expect_code(0);
    assert!(run.stdout.contains("fast ×3"), "{}", run.stdout);
}

#[test]
fn bare_names_get_automatic_lanes_that_grow_and_mix_with_fixed_ones() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(200));
    ws.write(
        "config/gen/config.toml",
        "[providers.fast]\nkind = \"mock\"\nlatency = \"5ms\"\nmax_lanes = 6\n\n[providers.slow]\nkind = \"mock\"\nlatency = \"5ms\"\n",
    );
    let run = ws.run(&["seo", "--pool", "fast,slow=1", "rows.csv"]);
    run.expect_code(0).stderr_has("200 done");
    let summary = run
        .stderr
        .lines()
        .find(|l| l.trim_start().starts_with("fast "))
        .unwrap()
        .to_string();
    assert!(summary.contains("(auto, peak "), "{summary}");
    let peak: u32 = summary
        .split("peak ")
        .nth(1)
        .unwrap()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        peak > 2 && peak <= 6,
        "clean answers grow the lanes up to max_lanes: {summary}"
    );
    assert!(
        run.stderr.contains("slow ×1:"),
        "a fixed entry keeps its lanes:\n{}",
        run.stderr
    );
    let lines = ws.jsonl("rows.seo.jsonl");
    assert_eq!(lines.len(), 200);
}

#[test]
fn automatic_lanes_back_off_when_rate_limited() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(120));
    ws.write(
        "config/gen/config.toml",
        "[providers.mock]\nlatency = \"2ms\"\nrate_limit_rate = 0.2\nretry_after = \"20ms\"\nmax_lanes = 16\n",
    );
    let run = ws.run(&["seo", "--pool", "mock", "rows.csv"]);
    run.expect_code(0)
        .stderr_has("120 done")
        .stderr_has("rate_limited");
    let summary = run
        .stderr
        .lines()
        .find(|l| l.trim_start().starts_with("mock "))
        .unwrap()
        .to_string();
    let current: u32 = summary
        .split('×')
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        current <= 8,
        "one answer in five throttled keeps the lanes well below the ceiling of 16: {summary}"
    );
}
