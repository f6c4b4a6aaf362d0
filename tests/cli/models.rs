//! `gen models`: the offline listing (presets, prices, key labels) and `--live` against the
//! loopback fake of the three list endpoints.

use std::process::Command;

use gen_core::providers::presets::PRESETS;
use serde_json::json;

use crate::fake::{Api, FakeServer};
use crate::support::{Run, Workspace, jsonl};

const DEEPSEEK_KEY: &str = "sk-deepseek-models-key-1111";
const ANTHROPIC_KEY: &str = "sk-ant-models-key-3333";
const GEMINI_KEY: &str = "AIzaSy-gemini-models-key-4444";

/// `gen models ...` with every preset's key variable cleared (so no real key of the machine is
/// used, nor a real provider asked), then `keys` set.
fn models(ws: &Workspace, args: &[&str], keys: &[(&str, &str)]) -> Run {
    let mut command: Command = ws.command(&[&["models"], args].concat());
    for var in PRESETS.iter().flat_map(|p| p.key_vars) {
        command.env_remove(var);
        for n in 2..=9 {
            command.env_remove(format!("{var}_{n}"));
        }
    }
    for (name, value) in keys {
        command.env(name, value);
    }
    Run::from(command.output().expect("run gen"))
}

fn all_keys() -> Vec<(&'static str, &'static str)> {
    vec![
        ("DEEPSEEK_API_KEY", DEEPSEEK_KEY),
        ("ANTHROPIC_API_KEY", ANTHROPIC_KEY),
        ("GEMINI_API_KEY", GEMINI_KEY),
    ]
}

/// A default profile pointing deepseek, anthropic and gemini at the fake, which accepts the
/// Anthropic and Gemini keys, and the DeepSeek key only when `accept_deepseek`.
fn setup(ws: &Workspace, server: &FakeServer, accept_deepseek: bool) {
    if accept_deepseek {
        server.add_key(Api::OpenAi, DEEPSEEK_KEY);
    }
    server.add_key(Api::Anthropic, ANTHROPIC_KEY);
    server.add_key(Api::Gemini, GEMINI_KEY);
    ws.write(
        "config/gen/config.toml",
        format!(
            "[providers.deepseek]\nbase_url = \"{}\"\n\n[providers.anthropic]\nbase_url = \"{}\"\n\n\
             [providers.gemini]\nbase_url = \"{}\"\n",
            server.origin(),
            server.base_url(Api::Anthropic),
            server.base_url(Api::Gemini),
        ),
    );
}

#[track_caller]
fn assert_no_key_printed(run: &Run) {
    for key in [DEEPSEEK_KEY, ANTHROPIC_KEY, GEMINI_KEY] {
        assert!(
            !run.stdout.contains(key) && !run.stderr.contains(key),
            "a key was printed:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}

#[test]
fn the_offline_listing_shows_presets_prices_and_key_labels_but_never_a_key() {
    let ws = Workspace::new();
    let run = models(&ws, &[], &[("DEEPSEEK_API_KEY", DEEPSEEK_KEY)]);
    run.expect_code(0);
    let out = &run.stdout;
    let base = |name: &str| gen_core::providers::presets::find(name).unwrap().base_url;
    let deepseek = format!(
        "deepseek  openai wire  {}\n  key  DEEPSEEK_API_KEY (…1111)\n  \
         dialect  compatible (json_object, max_tokens)\n",
        base("deepseek")
    );
    let openai = format!(
        "openai  openai wire  {}\n  key  no key set (set OPENAI_API_KEY)\n  \
         dialect  openai (json_schema, max_completion_tokens)\n",
        base("openai")
    );
    let anthropic = format!(
        "anthropic (claude)  anthropic wire  {}\n  key  no key set (set ANTHROPIC_API_KEY)\n",
        base("anthropic")
    );
    for expected in [
        deepseek.as_str(),
        openai.as_str(),
        "deepseek-flash (default)       0.15       0.60",
        "deepseek-chat                  0.28       0.42",
        anthropic.as_str(),
        "claude-sonnet-4-5                3.00      15.00",
        "no key set (set GEMINI_API_KEY or GOOGLE_API_KEY)",
        "mock  offline, built in\n  key  none needed\n",
        "ollama  openai wire  http://localhost:11434/v1\n  key  none needed\n",
        "glm-4.6 (default)          -          -",
    ] {
        assert!(out.contains(expected), "stdout lacks {expected:?}:\n{out}");
    }
    assert_no_key_printed(&run);
    assert!(run.stderr.is_empty(), "{}", run.stderr);

    let run = models(&ws, &["--json"], &[("DEEPSEEK_API_KEY", DEEPSEEK_KEY)]);
    run.expect_code(0);
    let lines = jsonl(&run.stdout);
    assert_eq!(lines.len(), PRESETS.len() + 1, "one line per provider");
    let deepseek = lines.iter().find(|l| l["provider"] == "deepseek").unwrap();
    assert_eq!(deepseek["key_status"], "set");
    assert_eq!(deepseek["keys"][0], "DEEPSEEK_API_KEY (…1111)");
    assert_eq!(deepseek["models"][1]["id"], "deepseek-chat");
    assert_eq!(deepseek["models"][1]["input_usd_per_mtok"], 0.28);
    assert_eq!(
        deepseek["dialect"],
        json!({"name": "compatible", "json": "json_object", "max_tokens_field": "max_tokens"})
    );
    let openai = lines.iter().find(|l| l["provider"] == "openai").unwrap();
    assert_eq!(
        openai["dialect"],
        json!({"name": "openai", "json": "json_schema", "max_tokens_field": "max_completion_tokens"})
    );
    for line in &lines {
        let openai_wire = line["wire"] == "openai";
        assert_eq!(
            line["dialect"].is_object(),
            openai_wire,
            "a dialect for every OpenAI-wire provider and no other: {line}"
        );
    }
    assert_no_key_printed(&run);
}

#[test]
fn a_profile_chooses_the_dialect_of_a_gateway_and_gen_models_shows_it() {
    let ws = Workspace::new();
    ws.write(
        "gateway.toml",
        "[providers.litellm]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:4000/v1\"\n\
         model = \"gpt-4.1-mini\"\ndialect = \"openai\"\n\n\
         [providers.deepseek]\ndialect = \"openai\"\n\n\
         [providers.vllm]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:8000/v1\"\nmodel = \"qwen\"\n",
    );
    let run = models(&ws, &["--profile", "gateway.toml"], &[]);
    run.expect_code(0);
    for expected in [
        "litellm  openai wire  http://127.0.0.1:4000/v1\n  key  none needed\n  \
         dialect  openai (json_schema, max_completion_tokens)\n",
        "\n  dialect  openai (json_schema, max_completion_tokens)\n  model",
        "vllm  openai wire  http://127.0.0.1:8000/v1\n  key  none needed\n  \
         dialect  compatible (json_object, max_tokens)\n",
    ] {
        assert!(
            run.stdout.contains(expected),
            "stdout lacks {expected:?}:\n{}",
            run.stdout
        );
    }
    let deepseek_block = run
        .stdout
        .split("\n\n")
        .find(|block| block.starts_with("deepseek "))
        .unwrap();
    assert!(
        deepseek_block.contains("dialect  openai (json_schema, max_completion_tokens)"),
        "{deepseek_block}"
    );

    let run = models(
        &ws,
        &["--profile", "gateway.toml", "--json", "litellm"],
        &[],
    );
    run.expect_code(0);
    let lines = jsonl(&run.stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0]["dialect"],
        json!({"name": "openai", "json": "json_schema", "max_tokens_field": "max_completion_tokens"})
    );
    let run = models(
        &ws,
        &["--profile", "gateway.toml", "--json", "anthropic"],
        &[],
    );
    assert!(jsonl(&run.stdout)[0]["dialect"].is_null(), "{}", run.stdout);
}

#[test]
fn a_bad_or_misplaced_dialect_is_a_configuration_error() {
    let ws = Workspace::new();
    ws.write(
        "typo.toml",
        "[providers.litellm]\nkind = \"openai\"\nmodel = \"m\"\ndialect = \"json_object\"\n",
    );
    let run = models(&ws, &["--profile", "typo.toml"], &[]);
    run.expect_code(2)
        .stderr_has("typo.toml:4:11: in `providers.litellm.dialect`: dialect `json_object` is not known")
        .stderr_has("choose \"openai\" (json_schema, max_completion_tokens) or \"compatible\" (json_object, max_tokens)");
    assert!(run.stdout.is_empty(), "{}", run.stdout);

    ws.write(
        "claude.toml",
        "[providers.anthropic]\ndialect = \"openai\"\n",
    );
    models(&ws, &["--profile", "claude.toml"], &[])
        .expect_code(2)
        .stderr_has("`dialect` of provider `anthropic` only applies to the OpenAI wire")
        .stderr_has("speaks the Anthropic wire; remove it");
}

#[test]
fn one_provider_by_alias_and_an_unknown_one_is_a_usage_error() {
    let ws = Workspace::new();
    let run = models(&ws, &["claude"], &[]);
    run.expect_code(0);
    assert!(
        run.stdout.starts_with("anthropic (claude)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("deepseek"), "{}", run.stdout);

    models(&ws, &["nosuch"], &[]).expect_code(2).stderr_has(
        "unknown provider `nosuch`; providers: mock, openai, anthropic, gemini, deepseek",
    );
}

#[test]
fn live_asks_each_provider_with_a_key_and_prints_the_ids() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server, true);
    server.set_models(Api::OpenAi, &["deepseek-chat", "deepseek-reasoner"]);
    server.set_models(
        Api::Anthropic,
        &["claude-sonnet-4-5-20250929", "claude-haiku-4-5"],
    );
    server.set_models(Api::Gemini, &["gemini-2.5-flash", "gemini-2.5-pro"]);
    let run = models(&ws, &["--live"], &all_keys());
    run.expect_code(0)
        .stderr_has("gen: openai: skipped, no key set (set OPENAI_API_KEY)")
        .stderr_has("gen: ollama: skipped, a local server needing no key");
    let out = &run.stdout;
    for expected in [
        "deepseek  openai wire  http://127.0.0.1:",
        "(live: 2 models)\n  key  DEEPSEEK_API_KEY (…1111)\n",
        "deepseek-chat           0.28       0.42",
        "deepseek-reasoner          -          -",
        "claude-haiku-4-5 (default)       1.00       5.00",
        "claude-sonnet-4-5-20250929       3.00      15.00",
        "gemini-2.5-flash (default)       0.30       2.50",
        "gemini-2.5-pro                      -          -",
    ] {
        assert!(out.contains(expected), "stdout lacks {expected:?}:\n{out}");
    }
    assert!(
        !out.contains("\nopenai "),
        "a provider without a key is not listed"
    );
    server.assert_no_violations();
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        3,
        "one list request per provider with a key"
    );
    for (api, key, path) in [
        (Api::OpenAi, DEEPSEEK_KEY, "/models"),
        (Api::Anthropic, ANTHROPIC_KEY, "/v1/models?limit=1000"),
        (Api::Gemini, GEMINI_KEY, "/v1beta/models?pageSize=1000"),
    ] {
        let request = requests.iter().find(|r| r.api == api).unwrap();
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, path);
        assert_eq!(request.key.as_deref(), Some(key));
        assert!(!request.path.contains(key), "no key in a URL");
        assert_eq!(request.status, Some(200));
    }
    assert_no_key_printed(&run);

    let run = models(&ws, &["--live", "--json", "google"], &all_keys());
    run.expect_code(0);
    let lines = jsonl(&run.stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["source"], "live");
    assert_eq!(lines[0]["models"][1]["id"], "gemini-2.5-pro");
}

#[test]
fn a_refused_key_fails_its_provider_only_and_exits_1() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server, false);
    let run = models(&ws, &["--live"], &all_keys());
    run.expect_code(1)
        .stderr_has("gen: deepseek: cannot list models (http://127.0.0.1:")
        .stderr_has("auth: HTTP 401 (invalid_api_key)");
    assert!(
        run.stdout.contains("claude-haiku-4-5 (default)")
            && run.stdout.contains("gemini-2.5-flash (default)"),
        "the others are still listed:\n{}",
        run.stdout
    );
    assert!(!run.stdout.contains("deepseek"), "{}", run.stdout);
    server.assert_no_violations();
    assert_no_key_printed(&run);
}

#[test]
fn an_unreachable_keyless_server_in_the_profile_fails_with_a_connection_error() {
    let ws = Workspace::new();
    // A port nobody listens on: bind one, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    ws.write(
        "local.toml",
        format!(
            "[providers.local]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:{port}/v1\"\nmodel = \"llama3.2\"\n"
        ),
    );
    models(&ws, &["--live", "--profile", "local.toml"], &[])
        .expect_code(1)
        .stderr_has("gen: local: cannot list models")
        .stderr_has("connection: cannot connect");
}

#[test]
fn live_for_one_provider_without_its_key_is_a_usage_error() {
    let ws = Workspace::new();
    models(&ws, &["--live", "anthropic"], &[])
        .expect_code(2)
        .stderr_has("provider `anthropic` has no key: set ANTHROPIC_API_KEY");
}
