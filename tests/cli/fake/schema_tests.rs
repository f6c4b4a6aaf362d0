//! Tests of the fake's schema answers: every wire answers a nested schema with a valid instance
//! (checked by a real validator), about the prompt's subject, and shows the schema it received.

use serde_json::{Value, json};

use super::super::schema::{instance, quoted_in};
use super::super::{Api, FakeServer};
use super::{ANTHROPIC_KEY, Client, GEMINI_KEY, OPENAI_KEY, assert_seo, server, text};

const PROMPT: &str = "Write product copy for \"trail running\".";

/// Product copy with a nested price band, an FAQ of objects through `$defs`, bounded numbers,
/// enums, counted arrays and cut strings.
fn nested() -> Value {
    json!({
        "type": "object",
        "properties": {
            "headline": {"type": "string", "maxLength": 24},
            "bullets": {
                "type": "array",
                "items": {"type": "string", "maxLength": 40},
                "minItems": 3,
                "maxItems": 3
            },
            "price_band": {
                "type": "object",
                "properties": {
                    "tier": {"type": "string", "enum": ["budget", "mid", "premium"]},
                    "low": {"type": "integer", "minimum": 20, "maximum": 60},
                    "high": {"type": "number", "exclusiveMinimum": 60, "maximum": 250}
                },
                "required": ["tier", "low", "high"],
                "additionalProperties": false
            },
            "faq": {"type": "array", "items": {"$ref": "#/$defs/qa"}, "minItems": 2, "maxItems": 4},
            "slug": {"type": "string", "pattern": "^[a-z0-9]+(?:-[a-z0-9]+)*$"},
            "published": {"type": "string", "format": "date"},
            "rating": {"type": "integer", "minimum": 1, "maximum": 5, "multipleOf": 1}
        },
        "required": ["headline", "bullets", "price_band", "faq", "slug", "published", "rating"],
        "additionalProperties": false,
        "$defs": {
            "qa": {
                "type": "object",
                "properties": {
                    "question": {"type": "string"},
                    "answer": {"type": "string", "maxLength": 120}
                },
                "required": ["question", "answer"],
                "additionalProperties": false
            }
        }
    })
}

/// The same schema as Gemini's OpenAPI subset writes it (`responseSchema`): types in capitals,
/// no `$ref`.
fn nested_openapi() -> Value {
    json!({
        "type": "OBJECT",
        "properties": {
            "headline": {"type": "STRING", "maxLength": 24},
            "bullets": {"type": "ARRAY", "items": {"type": "STRING", "maxLength": 40}, "minItems": 3, "maxItems": 3},
            "price_band": {
                "type": "OBJECT",
                "properties": {
                    "tier": {"type": "STRING", "enum": ["budget", "mid", "premium"]},
                    "low": {"type": "INTEGER", "minimum": 20, "maximum": 60}
                },
                "required": ["tier", "low"],
                "propertyOrdering": ["tier", "low"]
            },
            "note": {"type": "STRING", "nullable": true}
        },
        "required": ["headline", "bullets", "price_band"]
    })
}

#[track_caller]
fn assert_valid(schema: &Value, answer: &Value) {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the test's schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(answer)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{answer:#}");
}

#[track_caller]
fn assert_about_trail_running(answer: &Value) {
    assert!(
        answer["headline"]
            .as_str()
            .unwrap()
            .contains("Trail Running"),
        "{answer}"
    );
    assert_eq!(answer["bullets"].as_array().unwrap().len(), 3);
    assert!(
        answer["bullets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b.as_str().unwrap().contains("Trail Running")),
        "{answer}"
    );
}

fn post(server: &FakeServer, api: Api, body: &Value) -> Value {
    let mut client = Client::connect(server);
    let response = match api {
        Api::OpenAi => client.exchange(
            "POST",
            "/v1/chat/completions",
            &[("authorization", &format!("Bearer {OPENAI_KEY}"))],
            &body.to_string(),
        ),
        Api::Anthropic => client.exchange(
            "POST",
            "/v1/messages",
            &[
                ("x-api-key", ANTHROPIC_KEY),
                ("anthropic-version", "2023-06-01"),
            ],
            &body.to_string(),
        ),
        Api::Gemini => client.exchange(
            "POST",
            "/v1beta/models/gemini-2.5-flash:generateContent",
            &[("x-goog-api-key", GEMINI_KEY)],
            &body.to_string(),
        ),
    };
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    response.json()
}

fn parsed(api: Api, body: &Value) -> Value {
    let text = text(api, body);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn every_wire_answers_a_nested_schema_with_a_valid_instance() {
    let server = server();
    let schema = nested();
    let user = json!([{"role": "user", "content": PROMPT}]);

    let openai = json!({"model": "gpt-4.1-mini", "messages": user,
        "response_format": {"type": "json_schema",
            "json_schema": {"name": "product_copy", "strict": true, "schema": schema}}});
    let anthropic = json!({"model": "claude-haiku-4-5", "max_tokens": 800, "messages": user,
        "output_config": {"format": {"type": "json_schema", "schema": schema}}});
    let gemini = json!({"contents": [{"role": "user", "parts": [{"text": PROMPT}]}],
        "generationConfig": {"responseMimeType": "application/json", "responseJsonSchema": schema}});
    for (api, body) in [
        (Api::OpenAi, openai),
        (Api::Anthropic, anthropic),
        (Api::Gemini, gemini),
    ] {
        let answer = parsed(api, &post(&server, api, &body));
        assert_valid(&schema, &answer);
        assert_about_trail_running(&answer);
        assert_eq!(answer["slug"], "trail-running");
    }

    // Gemini's OpenAPI-subset field, checked against the same schema in JSON Schema's spelling.
    let gemini = json!({"contents": [{"role": "user", "parts": [{"text": PROMPT}]}],
        "generationConfig": {"responseMimeType": "application/json", "responseSchema": nested_openapi()}});
    let answer = parsed(Api::Gemini, &post(&server, Api::Gemini, &gemini));
    let lowered: Value = serde_json::from_str(
        &nested_openapi()
            .to_string()
            .to_lowercase()
            .replace("\"nullable\":true", "\"type\":[\"string\",\"null\"]"),
    )
    .unwrap();
    assert_valid(&lowered, &answer);
    assert_about_trail_running(&answer);

    // A forced tool's input follows the tool's input schema.
    let forced = json!({"model": "claude-haiku-4-5", "max_tokens": 800, "messages": user,
        "tools": [{"name": "emit", "input_schema": schema}],
        "tool_choice": {"type": "tool", "name": "emit"}});
    let body = post(&server, Api::Anthropic, &forced);
    assert_eq!(body["stop_reason"], "tool_use");
    assert_valid(&schema, &body["content"][0]["input"]);
    server.assert_no_violations();
}

#[test]
fn a_schema_quoted_in_the_system_prompt_is_answered_too() {
    let server = server();
    let schema = nested();
    // What gen's compatible and prompt-only dialects send.
    let system = format!(
        "You write product copy.\n\nAnswer with a single JSON object that matches this JSON Schema:\n{schema}"
    );
    let messages =
        json!([{"role": "system", "content": system}, {"role": "user", "content": PROMPT}]);
    let json_object = json!({"model": "deepseek-chat", "messages": messages,
        "response_format": {"type": "json_object"}});
    let prompt_only = json!({"model": "deepseek-chat", "messages": messages});
    for body in [json_object, prompt_only] {
        let answer = parsed(Api::OpenAi, &post(&server, Api::OpenAi, &body));
        assert_valid(&schema, &answer);
        assert_about_trail_running(&answer);
    }
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.schema().as_ref() == Some(&schema)),
        "the quoted schema is what each request carried"
    );
    assert_eq!(quoted_in("no schema here"), None);
}

#[test]
fn the_log_shows_the_schema_each_request_carried() {
    let server = server();
    let schema = nested();
    let user = json!([{"role": "user", "content": PROMPT}]);
    post(
        &server,
        Api::OpenAi,
        &json!({"model": "gpt-4o-mini", "messages": user,
        "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": schema}}}),
    );
    post(
        &server,
        Api::Anthropic,
        &json!({"model": "claude-haiku-4-5", "max_tokens": 300,
        "messages": user, "output_config": {"format": {"type": "json_schema", "schema": schema}}}),
    );
    post(
        &server,
        Api::Gemini,
        &json!({"contents": [{"role": "user", "parts": [{"text": PROMPT}]}],
        "generationConfig": {"responseMimeType": "application/json", "responseSchema": nested_openapi()}}),
    );
    post(
        &server,
        Api::OpenAi,
        &json!({"model": "gpt-4o-mini", "messages": user}),
    );
    let schemas: Vec<Option<Value>> = server.requests().iter().map(|r| r.schema()).collect();
    assert_eq!(
        schemas,
        [
            Some(schema.clone()),
            Some(schema),
            Some(nested_openapi()),
            None
        ]
    );
}

#[test]
fn the_seo_schema_and_open_objects_still_get_the_seo_answer() {
    let server = server();
    let seo = json!({
        "type": "object",
        "properties": {
            "title": {"type": "string", "description": "at most 60 characters"},
            "meta_description": {"type": "string", "description": "at most 160 characters"},
            "slug": {"type": "string", "description": "lowercase ASCII kebab-case"}
        },
        "required": ["title", "meta_description", "slug"],
        "additionalProperties": false
    });
    let user = json!([{"role": "user", "content": "\"trail running\""}]);
    for schema in [
        seo,
        json!({"type": "object"}),
        json!({"type": "object", "additionalProperties": true}),
    ] {
        let body = json!({"model": "gpt-4o-mini", "messages": user,
            "response_format": {"type": "json_schema", "json_schema": {"name": "seo", "schema": schema}}});
        let response = post(&server, Api::OpenAi, &body);
        assert_seo(&text(Api::OpenAi, &response));
        let answer = parsed(Api::OpenAi, &response);
        assert_eq!(
            answer,
            super::super::content::seo_object("Trail Running"),
            "unchanged"
        );
    }
}

#[test]
fn the_writer_covers_bounds_steps_formats_unions_and_recursion() {
    let schemas = [
        json!({"type": "object", "properties": {
            "when": {"type": "string", "format": "date-time"},
            "mail": {"type": "string", "format": "email"},
            "site": {"type": "string", "format": "uri"},
            "id": {"type": "string", "format": "uuid"},
            "short": {"type": "string", "maxLength": 5},
            "long": {"type": "string", "minLength": 90},
            "share": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "price": {"type": "number", "minimum": 5, "maximum": 6, "multipleOf": 0.25},
            "count": {"type": ["integer", "null"], "exclusiveMinimum": 7, "maximum": 9},
            "flag": {"type": "boolean"},
            "pair": {"type": "array", "prefixItems": [{"const": "x"}, {"type": "integer"}], "maxItems": 2},
            "either": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 3}]},
            "both": {"allOf": [{"properties": {"a": {"type": "integer"}}, "required": ["a"]},
                               {"properties": {"b": {"enum": [1, 2]}}, "required": ["b"]}]}
        }, "required": ["when", "both"]}),
        json!({"$ref": "#/definitions/node", "definitions": {"node": {"type": "object",
            "properties": {"label": {"type": "string"},
                           "children": {"type": "array", "items": {"$ref": "#/definitions/node"}}},
            "required": ["label", "children"]}}}),
    ];
    for schema in &schemas {
        for topic in [
            "Trail Running",
            "Café Crème",
            "A Very Long Keyword Phrase About Shoes",
        ] {
            let answer = instance(schema, topic);
            assert_valid(schema, &answer);
            assert_eq!(
                answer,
                instance(schema, topic),
                "the same for the same subject"
            );
        }
    }
}
