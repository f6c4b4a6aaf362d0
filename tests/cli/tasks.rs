//! Tasks as data: `[tasks.NAME]` rows, `gen run`, `gen tasks`, and the mistakes caught before
//! anything is sent.

use crate::fake::{Api, FakeServer};
use crate::support::{Run, Workspace, repo_file};

/// The README's worked example, copied into a workspace.
fn product_copy(ws: &Workspace) {
    for file in [
        "tasks.toml",
        "product.j2",
        "product.schema.json",
        "products.csv",
    ] {
        let text = std::fs::read(repo_file(&format!("examples/product-copy/{file}"))).unwrap();
        ws.write(file, text);
    }
}

#[test]
fn gen_tasks_lists_the_built_in_and_the_profiles_tasks_with_their_fields() {
    let ws = Workspace::new();
    product_copy(&ws);
    let run = ws.run(&["tasks", "--profile", "tasks.toml"]);
    run.expect_code(0)
        .stdout_has("seo  (built-in)")
        .stdout_has("outline  (built-in)")
        .stdout_has("product_copy  (tasks.toml:3)")
        .stdout_has("headline: string, 1 to 70 characters, cut to fit")
        .stdout_has("bullets: array of 3 (string, 1 to 120 characters)")
        .stdout_has("price_band: one of \"budget\", \"mid\", \"premium\"");
}

#[test]
fn an_unknown_task_is_refused_with_the_known_ones() {
    let ws = Workspace::new();
    product_copy(&ws);
    ws.run(&[
        "run",
        "product_cpy",
        "--profile",
        "tasks.toml",
        "products.csv",
    ])
    .expect_code(2)
    .stderr_has("gen has no task `product_cpy`")
    .stderr_has("`seo`, `outline`, `draft`, `product_copy`");
}

#[test]
fn bad_definitions_are_caught_before_anything_is_sent() {
    let ws = Workspace::new();
    product_copy(&ws);
    // A schema that is not JSON: its file, line and column.
    ws.write(
        "broken.schema.json",
        "{\n  \"type\": \"object\",\n  \"properties\": {,}\n}\n",
    );
    ws.write(
        "broken.toml",
        "[tasks.broken]\ntemplate = \"product.j2\"\nschema = \"broken.schema.json\"\n",
    );
    ws.run(&["run", "broken", "--profile", "broken.toml", "products.csv"])
        .expect_code(2)
        .stderr_has("broken.toml:1: task `broken`")
        .stderr_has("broken.schema.json`:3:18: not JSON");
    // JSON, but not a valid JSON Schema.
    ws.write(
        "invalid.toml",
        "[tasks.invalid]\nprompt = \"p\"\n[tasks.invalid.schema]\ntype = \"object\"\n\
         properties = { a = { type = \"strin\" } }\n",
    );
    ws.run(&[
        "run",
        "invalid",
        "--profile",
        "invalid.toml",
        "products.csv",
    ])
    .expect_code(2)
    .stderr_has("invalid.toml:1: task `invalid`: its schema is not a valid JSON Schema");
    // A template naming a column the input lacks.
    ws.write("short.csv", "sku,name\nTR-01,Ridgeline\n");
    ws.run(&[
        "run",
        "product_copy",
        "--profile",
        "tasks.toml",
        "short.csv",
    ])
    .expect_code(2)
    .stderr_has("category");
    // A rule for a property the schema does not have.
    ws.write(
        "rule.toml",
        "[tasks.rule]\ntemplate = \"product.j2\"\nschema = \"product.schema.json\"\n\
         [tasks.rule.fields.title]\non_overflow = \"truncate\"\n",
    );
    ws.run(&["run", "rule", "--profile", "rule.toml", "products.csv"])
        .expect_code(2)
        .stderr_has("the schema has no property `title`");
    // A new task without a prompt is an error in the profile itself, with its line.
    ws.write("empty.toml", "\n[tasks.summary]\nreasoning = \"low\"\n");
    ws.run(&["run", "summary", "--profile", "empty.toml", "products.csv"])
        .expect_code(2)
        .stderr_has("empty.toml:")
        .stderr_has("a new task needs a `prompt`");
}

#[test]
fn a_built_in_task_takes_the_profiles_changes() {
    let ws = Workspace::new();
    ws.write("rows.csv", "keyword\ntrail running shoes\n");
    ws.write(
        "p.toml",
        "[tasks.seo.fields.title]\nmax_length = 70\non_overflow = \"truncate\"\n",
    );
    ws.run(&["tasks", "--profile", "p.toml"])
        .expect_code(0)
        .stdout_has("title: string, 1 to 70 characters, cut to fit");
    ws.run(&["seo", "--profile", "p.toml", "rows.csv"])
        .expect_code(0)
        .stderr_has("1 done");
}

#[test]
fn a_one_off_text_task_runs_without_a_profile() {
    let ws = Workspace::new();
    ws.write("rows.csv", "name\nRidgeline trail shoe\n");
    ws.run(&[
        "run",
        "--format",
        "markdown",
        "--min-words",
        "40",
        "--prompt",
        "An FAQ about {{ name }}",
        "--no-profile",
        "rows.csv",
    ])
    .expect_code(0)
    .stderr_has("1 done");
    let lines = ws.jsonl("rows.text.jsonl");
    assert!(
        lines[0]["text"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .count()
            >= 40
    );
    ws.run(&["run", "seo", "--format", "text", "rows.csv"])
        .expect_code(2)
        .stderr_has("not both");
    // A task without its input is not taken for an input without a task.
    ws.run(&["run", "seo"])
        .expect_code(2)
        .stderr_has("`gen run seo` names one thing; give the task and the input");
}

/// The answers of the README's example meet its schema: three bullets, a known price band, a
/// headline of at most 70 characters and the nested specs.
fn assert_product_copy(lines: &[serde_json::Value]) {
    assert_eq!(lines.len(), 3);
    for line in lines {
        let headline = line["headline"].as_str().unwrap();
        assert!(
            !headline.is_empty() && headline.chars().count() <= 70,
            "{line}"
        );
        assert_eq!(line["bullets"].as_array().unwrap().len(), 3, "{line}");
        let band = line["price_band"].as_str().unwrap();
        assert!(["budget", "mid", "premium"].contains(&band), "{line}");
        assert!(line["specs"]["weight_g"].as_i64().unwrap() >= 1, "{line}");
        assert!(line["specs"]["material"].is_string(), "{line}");
    }
}

#[test]
fn a_profile_task_with_a_nested_schema_runs_on_the_mock() {
    let ws = Workspace::new();
    product_copy(&ws);
    ws.run(&[
        "run",
        "product_copy",
        "--profile",
        "tasks.toml",
        "products.csv",
    ])
    .expect_code(0)
    .stderr_has("3 done");
    assert_product_copy(&ws.jsonl("products.product_copy.jsonl"));
    // In CSV, arrays and objects are JSON text in their cells.
    ws.run(&[
        "run",
        "product_copy",
        "--profile",
        "tasks.toml",
        "-o",
        "copy.csv",
        "products.csv",
    ])
    .expect_code(0);
    let (header, records) = ws.csv("copy.csv");
    let bullets = header.iter().position(|h| h == "bullets").unwrap();
    let cell: serde_json::Value = serde_json::from_str(&records[0][bullets]).unwrap();
    assert_eq!(cell.as_array().unwrap().len(), 3);
}

#[test]
fn a_custom_task_runs_as_a_batch_job() {
    let ws = Workspace::new();
    product_copy(&ws);
    ws.run(&[
        "run",
        "product_copy",
        "--profile",
        "tasks.toml",
        "--batch",
        "mock",
        "--poll",
        "1s",
        "products.csv",
    ])
    .expect_code(0);
    assert_product_copy(&ws.jsonl("products.product_copy.jsonl"));
}

const OPENAI_KEY: &str = "sk-test-openai-tasks";
const ANTHROPIC_KEY: &str = "sk-ant-test-tasks";
const GEMINI_KEY: &str = "AIza-test-tasks";

/// The example's task in a profile whose providers point at the fake; `headline_rule` replaces
/// the headline's `on_overflow` line when given.
fn fake_profile(ws: &Workspace, server: &FakeServer, headline_rule: &str) {
    server.add_key(Api::OpenAi, OPENAI_KEY);
    server.add_key(Api::Anthropic, ANTHROPIC_KEY);
    server.add_key(Api::Gemini, GEMINI_KEY);
    let mut tasks = ws.read("tasks.toml");
    if !headline_rule.is_empty() {
        tasks = tasks.replace("on_overflow = \"truncate\"", headline_rule);
    }
    ws.write(
        "fake.toml",
        format!(
            "[providers.openai]\nbase_url = \"{origin}/v1\"\n\n[providers.anthropic]\nbase_url = \
             \"{origin}\"\n\n[providers.gemini]\nbase_url = \"{gemini}\"\n\n{tasks}",
            origin = server.origin(),
            gemini = server.base_url(Api::Gemini),
        ),
    );
}

fn run_on_fake(ws: &Workspace, args: &[&str]) -> Run {
    let mut command = ws.command(args);
    command
        .env("OPENAI_API_KEY", OPENAI_KEY)
        .env("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
        .env("GEMINI_API_KEY", GEMINI_KEY);
    Run::from(command.output().expect("run gen"))
}

/// Each wire carries the schema in its own structured-output field, and the fake's answers (an
/// instance of the schema each request carried) pass gen's check of the whole schema.
#[test]
fn a_profile_task_with_a_nested_schema_runs_on_each_wire() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    product_copy(&ws);
    fake_profile(&ws, &server, "");
    let wires = [
        (
            "gpt-4.1-mini",
            Api::OpenAi,
            "/response_format/json_schema/schema",
        ),
        (
            "claude-haiku-4-5",
            Api::Anthropic,
            "/output_config/format/schema",
        ),
        (
            "gemini-2.5-flash",
            Api::Gemini,
            "/generationConfig/responseJsonSchema",
        ),
    ];
    for (model, api, field) in wires {
        let out = format!("{model}.jsonl");
        run_on_fake(
            &ws,
            &[
                "run",
                "product_copy",
                "--profile",
                "fake.toml",
                "--pool",
                &format!("{model}=1"),
                "-o",
                &out,
                "products.csv",
            ],
        )
        .expect_code(0)
        .stderr_has("3 done");
        assert_product_copy(&ws.jsonl(&out));
        let sent = server.requests_for(api);
        let schema = sent.last().unwrap().body.pointer(field).cloned();
        let schema = schema.unwrap_or_else(|| panic!("{model}: no schema at {field}"));
        assert_eq!(
            schema["properties"]["specs"]["properties"]["weight_g"]["type"], "integer",
            "{model}: {schema}"
        );
        // Anthropic takes no item counts: they went in the prompt (and the answer was checked).
        if api != Api::Anthropic {
            assert_eq!(
                schema["properties"]["bullets"]["maxItems"], 3,
                "{model}: {schema}"
            );
        }
    }
}

/// An answer that fails the check is asked for again with the reason in the prompt: Gemini's
/// structured output takes no maxLength, so the fake's headline overflows the 5 allowed.
#[test]
fn a_rejected_answer_is_asked_again_with_the_reason() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    product_copy(&ws);
    fake_profile(&ws, &server, "max_length = 5\non_overflow = \"retry\"");
    ws.write(
        "one.csv",
        "sku,name,category,price\nTR-01,Ridgeline trail shoe,footwear,129\n",
    );
    run_on_fake(
        &ws,
        &[
            "run",
            "product_copy",
            "--profile",
            "fake.toml",
            "--pool",
            "gemini-2.5-flash=1",
            "--max-attempts",
            "2",
            "one.csv",
        ],
    )
    .expect_code(1)
    .stderr_has("gemini's structured output cannot take")
    .stderr_has("`maxLength` at /properties/headline");
    let sent = server.requests_for(Api::Gemini);
    assert_eq!(sent.len(), 2);
    let prompt = |n: usize| {
        sent[n].body["contents"][0]["parts"][0]["text"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(!prompt(0).contains("rejected"), "{}", prompt(0));
    let second = prompt(1);
    assert!(
        second.contains("Your previous answer was rejected: `headline` has")
            && second.contains("characters; at most 5"),
        "{second}"
    );
    let (_, failed) = ws.csv("one.product_copy.failed.csv");
    assert!(
        failed[0]
            .iter()
            .any(|c| c.contains("gave up after 2 attempts"))
    );
}
