//! `gen draft`: the per-row article pipeline, offline on the mock and against the loopback fake.

use std::collections::HashSet;
use std::process::Command;

use serde_json::Value;

use crate::fake::{Api, Behavior, FakeServer, Times};
use crate::support::{Run, Workspace, ids, keywords_csv};

#[test]
fn an_offline_draft_run_writes_every_article_with_its_stages() {
    let ws = Workspace::new();
    ws.write(
        "rows.csv",
        "id,keyword,words\n1,trail running,600\n2,espresso at home,\n3,repotting a monstera,900\n",
    );
    let run = ws.run(&[
        "draft",
        "--pool",
        "mock=2",
        "--images",
        "1",
        "--articles-dir",
        "articles",
        "rows.csv",
    ]);
    run.expect_code(0).stderr_has("3 done");
    let lines = ws.jsonl("rows.draft.jsonl");
    assert_eq!(lines.len(), 3);
    for line in &lines {
        let target = match line["row_id"].as_str().unwrap() {
            "1" => 600.0,
            "3" => 900.0,
            _ => 1200.0,
        };
        let words = line["word_count"].as_f64().unwrap();
        assert!(
            (words - target).abs() <= target * 0.2 + 30.0,
            "row {}: {words} words for {target}",
            line["row_id"]
        );
        let article = line["article"].as_str().unwrap();
        assert!(article.starts_with("# "), "{article}");
        let stages: Vec<&String> = line["stages"].as_object().unwrap().keys().collect();
        assert_eq!(
            stages,
            ["research", "outline", "draft", "humanize", "images"]
        );
        assert!(!line["sources"].as_array().unwrap().is_empty());
        let picture = line["images"][0].as_str().unwrap();
        assert!(
            std::fs::read(ws.path(picture))
                .unwrap()
                .starts_with(b"\x89PNG"),
            "{picture}"
        );
        assert!(
            article.contains("](../rows.draft.assets/"),
            "the article links its picture relative to articles/"
        );
    }
    let articles: Vec<_> = std::fs::read_dir(ws.path("articles")).unwrap().collect();
    assert_eq!(articles.len(), 3);
    let first = std::fs::read_to_string(articles[0].as_ref().unwrap().path()).unwrap();
    assert!(
        first.starts_with("---\ntitle: ")
            && first.contains("\nslug: ")
            && first.contains("\nkeyword: "),
        "{first}"
    );
}

/// Running again over the same rows (`--force`, or `--resume` regenerating a row whose text
/// changed) replaces each row's article file rather than writing `<slug>-<id>.md` beside it.
#[test]
fn a_second_run_replaces_its_rows_article_files() {
    let ws = Workspace::new();
    ws.write(
        "rows.csv",
        "id,keyword\n1,trail running\n2,espresso at home\n",
    );
    let draft = |extra: &[&str]| {
        let mut args = vec!["draft", "--pool", "mock=2", "--articles-dir", "articles"];
        args.extend_from_slice(extra);
        args.push("rows.csv");
        ws.run(&args)
    };
    let names = || {
        let mut names: Vec<String> = std::fs::read_dir(ws.path("articles"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    draft(&[]).expect_code(0);
    let first = names();
    assert_eq!(first.len(), 2, "{first:?}");
    draft(&["--force"]).expect_code(0);
    assert_eq!(
        names(),
        first,
        "--force left a second file beside the first"
    );
    // Row 2's text changes: --resume writes it again, into its own file.
    ws.write(
        "rows.csv",
        "id,keyword\n1,trail running\n2,Espresso at home\n",
    );
    draft(&["--resume"])
        .expect_code(0)
        .stderr_has("1 changed since their results were written");
    assert_eq!(
        names(),
        first,
        "--resume left a second file beside the first"
    );
}

#[test]
fn a_short_target_is_met_and_one_no_article_can_meet_is_refused_before_anything_is_sent() {
    let ws = Workspace::new();
    ws.write(
        "rows.csv",
        "id,keyword\n1,tea\n2,trail running\n3,best waterproof trail running shoes for women\n",
    );
    ws.run(&["draft", "--pool", "mock=1", "--words", "50", "rows.csv"])
        .expect_code(0)
        .stderr_has("3 done");
    for line in ws.jsonl("rows.draft.jsonl") {
        let words = line["word_count"].as_f64().unwrap();
        assert!((40.0..=60.0).contains(&words), "{words}: {line}");
    }

    ws.write("config/gen/config.toml", "[draft]\nwords = 20\n");
    for args in [
        &["draft", "--pool", "mock=1", "-o", "short.jsonl", "rows.csv"][..],
        &["draft", "--pool", "mock=1", "--dry-run", "rows.csv"],
    ] {
        ws.run(args)
            .expect_code(2)
            .stderr_has("20 words")
            .stderr_has("at least 50");
    }
    assert!(!ws.exists("short.jsonl") && !ws.exists("short.stages.jsonl"));
    ws.run(&["draft", "--pool", "mock=1", "--words", "30", "rows.csv"])
        .expect_code(2)
        .stderr_has("at least 50");
}

#[test]
fn a_mixed_pool_needs_yes_off_a_terminal_and_a_single_provider_never_asks() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(2));
    ws.write(
        "config/gen/config.toml",
        "[providers.a]\nkind = \"mock\"\n\n[providers.b]\nkind = \"mock\"\n",
    );
    let run = ws.run(&["draft", "--pool", "a=1,b=1", "rows.csv"]);
    run.expect_code(2)
        .stderr_has("spans 2 providers (a ×1, b ×1)")
        .stderr_has("--yes");
    assert!(!ws.exists("rows.draft.jsonl"), "nothing ran");
    ws.run(&["draft", "--pool", "a=1,b=1", "--yes", "rows.csv"])
        .expect_code(0);
    ws.run(&["draft", "--pool", "a=3", "rows.csv", "-o", "single.jsonl"])
        .expect_code(0);
}

#[test]
fn stage_options_are_checked_before_anything_runs() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(1));
    ws.run(&["draft", "--stages", "outline,humanize", "rows.csv"])
        .expect_code(2)
        .stderr_has("must include `draft`");
    ws.run(&["draft", "--skip", "drafting", "rows.csv"])
        .expect_code(2)
        .stderr_has("unknown stage `drafting`");
    ws.run(&["draft", "--template", "t.j2", "rows.csv"])
        .expect_code(2)
        .stderr_has("--stage-template");
    ws.write("o.j2", "Outline {{ keyword }} for {{ reader }}");
    ws.run(&["draft", "--stage-template", "outline=o.j2", "rows.csv"])
        .expect_code(2)
        .stderr_has("`reader`");
    let run = ws.run(&["draft", "--skip", "research,humanize", "rows.csv"]);
    run.expect_code(0);
    let line = &ws.jsonl("rows.draft.jsonl")[0];
    let stages: Vec<&String> = line["stages"].as_object().unwrap().keys().collect();
    assert_eq!(stages, ["outline", "draft"]);
}

const DEEPSEEK_KEY: &str = "sk-deepseek-draft-test-1111";
const ANTHROPIC_KEY: &str = "sk-ant-draft-test-2222";
const PERPLEXITY_KEY: &str = "pplx-draft-test-3333";
const GEMINI_KEY: &str = "AIzaSy-draft-test-4444";

fn fake_setup(ws: &Workspace, server: &FakeServer) {
    for (api, key) in [
        (Api::OpenAi, DEEPSEEK_KEY),
        (Api::Anthropic, ANTHROPIC_KEY),
        (Api::OpenAi, PERPLEXITY_KEY),
        (Api::Gemini, GEMINI_KEY),
    ] {
        server.add_key(api, key);
    }
    server.set_citations(Api::OpenAi, PERPLEXITY_KEY, true);
    ws.write(
        "config/gen/config.toml",
        format!(
            "[providers.deepseek]\nbase_url = \"{o}\"\n\n[providers.anthropic]\nbase_url = \"{o}\"\n\n\
             [providers.perplexity]\nbase_url = \"{o}\"\n\n[providers.gemini]\nbase_url = \"{g}\"\n",
            o = server.origin(),
            g = server.base_url(Api::Gemini),
        ),
    );
}

fn with_keys(mut command: Command) -> Run {
    for (name, value) in [
        ("DEEPSEEK_API_KEY", DEEPSEEK_KEY),
        ("ANTHROPIC_API_KEY", ANTHROPIC_KEY),
        ("PERPLEXITY_API_KEY", PERPLEXITY_KEY),
        ("GEMINI_API_KEY", GEMINI_KEY),
    ] {
        command.env(name, value);
    }
    Run::from(command.output().expect("run gen"))
}

fn prompt_of(body: &Value) -> String {
    body.to_string()
}

#[test]
fn a_mixed_pool_draft_sends_each_stage_where_it_belongs() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    fake_setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(4));
    let args = [
        "draft",
        "--pool",
        "deepseek=1,claude=1",
        "--research",
        "perplexity",
        "--images",
        "1",
        "--words",
        "300",
        "--yes",
        "rows.csv",
    ];
    let run = with_keys(ws.command(&args));
    run.expect_code(0);
    let lines = ws.jsonl("rows.draft.jsonl");
    assert_eq!(lines.len(), 4);
    let requests = server.requests();
    let research: Vec<_> = requests
        .iter()
        .filter(|r| prompt_of(&r.body).contains("Research the topic"))
        .collect();
    assert_eq!(research.len(), 4, "one research call per row");
    assert!(
        research
            .iter()
            .all(|r| r.key.as_deref() == Some(PERPLEXITY_KEY)),
        "research went to perplexity only"
    );
    let pictures: Vec<_> = requests.iter().filter(|r| r.api == Api::Gemini).collect();
    assert_eq!(pictures.len(), 4, "one picture per row, all from gemini");
    assert!(
        pictures
            .iter()
            .all(|r| r.model.as_deref() == Some("gemini-2.5-flash-image"))
    );
    let writing: Vec<_> = requests
        .iter()
        .filter(|r| {
            r.key.as_deref() == Some(DEEPSEEK_KEY) || r.key.as_deref() == Some(ANTHROPIC_KEY)
        })
        .collect();
    assert_eq!(
        writing.len(),
        4 * 3,
        "outline, draft and humanize per row on the row's lane"
    );
    for line in &lines {
        let stages = line["stages"].as_object().unwrap();
        assert_eq!(stages["research"]["provider"], "perplexity");
        assert_eq!(stages["images"]["provider"], "gemini");
        let lane = line["provider"].as_str().unwrap();
        for stage in ["outline", "draft", "humanize"] {
            assert_eq!(
                stages[stage]["provider"], lane,
                "{stage} ran on the row's lane"
            );
        }
        assert!(
            line["sources"].as_array().unwrap().len() >= 2,
            "perplexity's citations are kept"
        );
    }
    server.assert_no_violations();
}

#[test]
fn a_failure_at_humanize_resumes_from_humanize_without_paying_again() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    fake_setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(3));
    server.script_when_body_contains(
        Api::OpenAi,
        "---ARTICLE---",
        Behavior::BadRequest("humanize refused".into()),
        Times::Always,
    );
    let args = [
        "draft",
        "--pool",
        "deepseek=1",
        "--words",
        "300",
        "rows.csv",
    ];
    let run = with_keys(ws.command(&args));
    run.expect_code(1);
    let (header, failed) = ws.csv("rows.draft.failed.csv");
    let error = header.iter().position(|h| h == "error").unwrap();
    assert_eq!(failed.len(), 3);
    assert!(
        failed.iter().all(|r| r[error].contains("stage `humanize`")),
        "{failed:?}"
    );
    let before = server.requests().len();
    assert_eq!(
        before,
        3 * 4,
        "research, outline, draft and humanize once per row"
    );

    server.clear_scripts();
    let mut resume = args.to_vec();
    resume.push("--resume");
    with_keys(ws.command(&resume)).expect_code(0);
    let again: Vec<String> = server.requests()[before..]
        .iter()
        .map(|r| prompt_of(&r.body))
        .collect();
    assert_eq!(
        again.len(),
        3,
        "only humanize is requested again: {again:?}"
    );
    assert!(again.iter().all(|p| p.contains("---ARTICLE---")));
    let done = ids(&ws.jsonl("rows.draft.jsonl"), "row_id");
    assert_eq!(done.iter().collect::<HashSet<_>>().len(), 3);
}

#[test]
fn a_draft_far_from_its_length_is_retried_once_on_the_same_lane_then_counted() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    fake_setup(&ws, &server);
    // The fake writes at least ~80 words; a 10-word target cannot be met.
    ws.write("rows.csv", "id,keyword,words\n1,tiny article,10\n");
    let args = [
        "draft",
        "--pool",
        "deepseek=1",
        "--skip",
        "research,humanize",
        "--max-attempts",
        "2",
        "rows.csv",
    ];
    with_keys(ws.command(&args)).expect_code(1);
    let drafts = server
        .requests()
        .iter()
        .filter(|r| prompt_of(&r.body).contains("Target length: 10 words"))
        .count();
    assert_eq!(
        drafts, 2,
        "the same-lane retry uses one of the two attempts"
    );
    let (header, failed) = ws.csv("rows.draft.failed.csv");
    let error = header.iter().position(|h| h == "error").unwrap();
    assert!(
        failed[0][error].contains("stage `draft`") && failed[0][error].contains("the target is 10"),
        "{:?}",
        failed[0]
    );
}

#[test]
fn the_profile_draft_table_sets_stages_targets_and_templates() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(2));
    ws.write(
        "o.j2",
        "Custom outline for {{ keyword }}, {{ words }} words.",
    );
    ws.write(
        "config/gen/config.toml",
        "[draft]\nstages = [\"outline\", \"draft\"]\nwords = 400\n\n[draft.templates]\noutline = \"o.j2\"\n",
    );
    let dry = ws.run(&["draft", "--dry-run", "rows.csv"]);
    dry.expect_code(0);
    assert!(
        dry.stdout.contains("stages: outline → draft"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout
            .contains("Custom outline for keyword number 1, 400 words."),
        "{}",
        dry.stdout
    );
    ws.run(&["draft", "rows.csv"]).expect_code(0);
    for line in ws.jsonl("rows.draft.jsonl") {
        let words = line["word_count"].as_f64().unwrap();
        assert!((words - 400.0).abs() <= 80.0, "{words}");
        assert_eq!(line["stages"].as_object().unwrap().len(), 2);
    }
    // A flag wins over the profile.
    let dry = ws.run(&[
        "draft",
        "--dry-run",
        "--words",
        "700",
        "--stages",
        "draft",
        "rows.csv",
    ]);
    assert!(
        dry.stdout.contains("stages: draft") && dry.stdout.contains("Target length: 700 words"),
        "{}",
        dry.stdout
    );
}

#[test]
fn a_picture_costs_what_google_bills_for_image_output() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    fake_setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(2));
    let args = [
        "draft",
        "--pool",
        "deepseek=1",
        "--skip",
        "research,humanize",
        "--images",
        "1",
        "--words",
        "300",
        "rows.csv",
    ];
    with_keys(ws.command(&args)).expect_code(0);
    for line in ws.jsonl("rows.draft.jsonl") {
        let images = &line["stages"]["images"];
        assert_eq!(images["model"], "gemini-2.5-flash-image");
        let tokens = |field: &str| images[field].as_f64().unwrap();
        // $0.30 in and $30 out per million tokens; a picture is 1290 of them, about $0.039.
        let expected = (tokens("input_tokens") * 0.30 + tokens("output_tokens") * 30.0) / 1e6;
        let cost = images["cost_usd"].as_f64().unwrap();
        assert!(
            (cost - expected).abs() < 1e-6 && cost > 0.038,
            "the picture cost ${cost}, not ${expected}: {images}"
        );
    }
    server.assert_no_violations();
}

#[test]
fn max_cost_refuses_an_unpriced_research_or_image_model_before_sending() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    fake_setup(&ws, &server);
    ws.write("rows.csv", keywords_csv(2));
    // sonar (Perplexity) and gemini-3-pro-image-preview have no price in gen's table.
    for (flags, stage, provider, model) in [
        (
            &["--research", "perplexity"][..],
            "research",
            "perplexity",
            "sonar",
        ),
        (
            &[
                "--images",
                "1",
                "--image-model",
                "gemini:gemini-3-pro-image-preview",
            ][..],
            "images",
            "gemini",
            "gemini-3-pro-image-preview",
        ),
    ] {
        let mut args = vec!["draft", "--pool", "deepseek-chat=1", "--max-cost", "5"];
        args.extend(flags);
        args.push("rows.csv");
        with_keys(ws.command(&args))
            .expect_code(2)
            .stderr_has(&format!("`{model}` on provider `{provider}`"))
            .stderr_has(&format!("the draft's {stage} stage"))
            .stderr_has("choose a priced model")
            .stderr_has("drop --max-cost");
        assert!(!ws.exists("rows.draft.jsonl"), "nothing ran");
    }
    assert_eq!(server.request_count(), 0, "nothing was sent");
}

/// The dry run prices each stage at the model that runs it: a picture at the image model's rate,
/// and research on a model without a price makes the estimate unknown, not the lane's.
#[test]
fn the_dry_run_prices_each_stage_at_its_own_model() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(2));
    let cost = |extra: &[&str]| -> String {
        let mut args = vec!["draft", "--pool", "deepseek-chat=1", "--skip", "research"];
        args.extend(extra);
        args.extend(["--dry-run", "rows.csv"]);
        let run = ws.run(&args);
        run.expect_code(0);
        run.stdout
            .lines()
            .find(|l| l.starts_with("estimated cost: "))
            .unwrap_or_else(|| panic!("{}", run.stdout))
            .to_string()
    };
    let dollars = |line: &str| -> f64 {
        line["estimated cost: $".len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let without = dollars(&cost(&[]));
    let with = dollars(&cost(&["--images", "1"]));
    // Two pictures at 1290 output tokens and $30 per million: about $0.077.
    let pictures = with - without;
    assert!(
        (0.077..0.08).contains(&pictures),
        "two pictures estimated at ${pictures}"
    );

    let mut args = vec![
        "draft",
        "--pool",
        "deepseek-chat=1",
        "--research",
        "perplexity",
    ];
    args.extend(["--dry-run", "rows.csv"]);
    let run = ws.run(&args);
    run.expect_code(0)
        .stdout_has("estimated cost: unknown (no price for model `sonar`)");
}
