//! Tasks as data: `[tasks.NAME]` rows, `gen run`, `gen tasks`, and the mistakes caught before
//! anything is sent.

use crate::support::{Workspace, repo_file};

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
}
