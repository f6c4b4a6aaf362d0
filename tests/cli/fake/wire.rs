//! The request side of the three wire formats: which route a request hits, which key it carries,
//! and the checks the real APIs make before answering (auth, required headers and fields), with
//! their real error shapes.

/// The service name the fake's Gemini errors carry (the real one's shape, not its host).
pub const SERVICE_NAME: &str = "generativelanguage.fake.invalid";

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::json;

use super::json::Json;

use super::Api;
use super::http::{HttpRequest, HttpResponse};
use super::reply::{anthropic_error, gemini_error, openai_error};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A completion: chat/completions, messages or generateContent.
    Generate,
    /// The model list.
    Models,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub api: Api,
    pub kind: Kind,
    /// The model named in the path (Gemini).
    pub model: Option<String>,
}

/// The provider route a request targets. OpenAI is served at any prefix ending in
/// `/chat/completions` (`/v1`, none for DeepSeek, `/api/paas/v4` for GLM…); Anthropic at any
/// prefix ending in `/v1/messages`; Gemini under `/v1beta/models/`.
pub fn route(request: &HttpRequest) -> Option<Route> {
    let path = request.path();
    let route = |api, kind, model: Option<&str>| {
        Some(Route {
            api,
            kind,
            model: model.map(str::to_string),
        })
    };
    match request.method() {
        "POST" if path.ends_with("/chat/completions") => route(Api::OpenAi, Kind::Generate, None),
        "POST" if path.ends_with("/v1/messages") => route(Api::Anthropic, Kind::Generate, None),
        "POST" => {
            let (_, rest) = path.split_once("/v1beta/models/")?;
            let model = rest.strip_suffix(":generateContent")?;
            (!model.is_empty() && !model.contains('/'))
                .then(|| route(Api::Gemini, Kind::Generate, Some(model)))?
        }
        "GET" if path.ends_with("/v1beta/models") => route(Api::Gemini, Kind::Models, None),
        "GET" if path.ends_with("/models") => {
            let anthropic = request.header("x-api-key").is_some()
                || request.header("anthropic-version").is_some();
            let api = if anthropic {
                Api::Anthropic
            } else {
                Api::OpenAi
            };
            route(api, Kind::Models, None)
        }
        _ => None,
    }
}

/// The key as the client sent it for this API.
pub fn sent_key(api: Api, request: &HttpRequest) -> Option<String> {
    match api {
        Api::OpenAi => request.header("authorization").map(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
                .unwrap_or(v)
                .trim()
                .to_string()
        }),
        Api::Anthropic => request.header("x-api-key").map(str::to_string),
        Api::Gemini => request
            .header("x-goog-api-key")
            .or_else(|| request.query_param("key"))
            .map(str::to_string),
    }
}

/// What a careful client must never do, whether or not the real API would tolerate it.
pub fn violations(api: Api, request: &HttpRequest) -> Vec<String> {
    let mut found = header_violations(api, request);
    let json = |t: &str| {
        t.get(..16)
            .is_some_and(|t| t.eq_ignore_ascii_case("application/json"))
    };
    if request.method() == "POST" && !request.header("content-type").is_some_and(json) {
        found.push(format!(
            "{}: content-type is not application/json",
            at(request)
        ));
    }
    found
}

/// [`violations`] without the JSON content-type rule, for routes whose bodies are not JSON
/// (uploads) or empty (cancels).
pub fn header_violations(api: Api, request: &HttpRequest) -> Vec<String> {
    let mut found = Vec::new();
    for name in ["key", "api_key", "apikey", "access_token"] {
        if request.query_param(name).is_some() {
            found.push(format!(
                "{}: credential in the URL (query parameter `{name}`)",
                at(request)
            ));
        }
    }
    if api == Api::Anthropic {
        match request.header("anthropic-version") {
            None => found.push(format!("{}: missing anthropic-version header", at(request))),
            Some("2023-06-01") => {}
            Some(other) => found.push(format!("{}: anthropic-version {other:?}", at(request))),
        }
    }
    found
}

/// Where a violation happened, only written out for one that did.
fn at(request: &HttpRequest) -> String {
    format!("{} {}", request.method(), request.path())
}

/// Auth, and the gateway's model check, as the real API does them; `Err` is the response to
/// send instead. `gateway`: the model names a LiteLLM-style gateway in front serves (its check
/// comes after auth, before the provider sees the body). Its errors win over
/// [`check_body`]'s.
pub fn check_access(
    api: Api,
    route: &Route,
    request: &HttpRequest,
    body: &Json,
    keys: &HashMap<Api, Vec<String>>,
    gateway: Option<&[String]>,
) -> Result<(), HttpResponse> {
    check_auth(api, request, keys)?;
    if route.kind == Kind::Models || request.body.is_empty() || body.is_null() {
        return Ok(());
    }
    if let Some(served) = gateway
        && let Some(model) = body.get("model").and_then(Json::as_str)
        && !served.iter().any(|m| m == model)
    {
        return Err(super::gateway::unknown_model(model));
    }
    Ok(())
}

/// The body checks of a request, after [`check_access`]: JSON, then [`validate_body`].
pub fn check_body(
    api: Api,
    route: &Route,
    request: &HttpRequest,
    body: &Json,
) -> Result<(), HttpResponse> {
    if route.kind == Kind::Models {
        return Ok(());
    }
    if request.body.is_empty() || body.is_null() {
        return Err(unparsable_body(api));
    }
    let model = route
        .model
        .as_deref()
        .or_else(|| body.get("model").and_then(Json::as_str))
        .unwrap_or("");
    validate_body(api, model, body)
}

/// The body checks of a generate request to `model`: the wire format's, then the model's
/// reasoning fields (`thinking.rs`).
pub fn validate_body(api: Api, model: &str, body: &Json) -> Result<(), HttpResponse> {
    match api {
        Api::OpenAi => validate_openai(body),
        Api::Anthropic => validate_anthropic(body),
        Api::Gemini => validate_gemini(body),
    }?;
    super::thinking::validate(api, model, body)
}

/// The provider's answer to a body that is not JSON.
pub fn unparsable_body(api: Api) -> HttpResponse {
    match api {
        Api::OpenAi => openai_error(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means \
             you aren't using your HTTP library correctly. The OpenAI API expects a JSON \
             payload, but what was sent was not valid JSON.",
            "invalid_request_error",
            None,
            None,
        ),
        Api::Anthropic => anthropic_error(
            400,
            "invalid_request_error",
            "There was an error parsing the body",
        ),
        Api::Gemini => gemini_error(
            400,
            "INVALID_ARGUMENT",
            "Invalid JSON payload received. Unexpected token.",
            vec![],
        ),
    }
}

/// The key check (and Anthropic's version header) alone; `Err` is the response to send.
pub fn check_auth(
    api: Api,
    request: &HttpRequest,
    keys: &HashMap<Api, Vec<String>>,
) -> Result<(), HttpResponse> {
    let known = |key: &str| keys.get(&api).is_some_and(|k| k.iter().any(|k| k == key));
    match api {
        Api::OpenAi => {
            let Some(key) = sent_key(api, request) else {
                return Err(openai_error(
                    401,
                    "You didn't provide an API key. You need to provide your API key in an \
                     Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                    "invalid_request_error",
                    None,
                    None,
                ));
            };
            if !known(&key) {
                return Err(openai_invalid_key(&key));
            }
        }
        Api::Anthropic => {
            match request.header("x-api-key") {
                None => {
                    return Err(anthropic_error(
                        401,
                        "authentication_error",
                        "x-api-key header is required",
                    ));
                }
                Some(key) if !known(key) => return Err(anthropic_invalid_key()),
                Some(_) => {}
            }
            if request.header("anthropic-version").is_none() {
                return Err(anthropic_error(
                    400,
                    "invalid_request_error",
                    "anthropic-version: header is required",
                ));
            }
        }
        Api::Gemini => {
            if request.query_param("key").is_some() {
                return Err(gemini_error(
                    400,
                    "INVALID_ARGUMENT",
                    "The loopback fake refuses API keys in the URL: send the x-goog-api-key \
                     header (gen must never put a key in a URL).",
                    vec![],
                ));
            }
            match request.header("x-goog-api-key") {
                None => {
                    return Err(gemini_error(
                        403,
                        "PERMISSION_DENIED",
                        "Method doesn't allow unregistered callers (callers without established \
                         identity). Please use API Key or other form of API consumer identity to \
                         call this API.",
                        vec![],
                    ));
                }
                Some(key) if !known(key) => return Err(gemini_invalid_key()),
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// How OpenAI shows a key in an error: a few characters each side, never the whole key.
fn redact(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() <= 12 {
        return "*".repeat(chars.len().min(8));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

pub fn openai_invalid_key(key: &str) -> HttpResponse {
    openai_error(
        401,
        &format!(
            "Incorrect API key provided: {}. You can find your API key at \
             https://platform.openai.com/account/api-keys.",
            redact(key)
        ),
        "invalid_request_error",
        None,
        Some("invalid_api_key"),
    )
}

pub fn anthropic_invalid_key() -> HttpResponse {
    anthropic_error(401, "authentication_error", "invalid x-api-key")
}

pub fn gemini_invalid_key() -> HttpResponse {
    let message = "API key not valid. Please pass a valid API key.";
    gemini_error(
        400,
        "INVALID_ARGUMENT",
        message,
        vec![
            json!({"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                   "domain": "googleapis.com",
                   "metadata": {"service": SERVICE_NAME}}),
            json!({"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
                   "message": message}),
        ],
    )
}

fn openai_bad(message: &str, param: &str, code: Option<&str>) -> HttpResponse {
    openai_error(400, message, "invalid_request_error", Some(param), code)
}

pub fn validate_openai(body: &Json) -> Result<(), HttpResponse> {
    let Some(object) = body.as_object() else {
        return Err(openai_bad(
            "Invalid type for body: expected an object.",
            "body",
            None,
        ));
    };
    if !object.get("model").is_some_and(Json::is_string) {
        return Err(openai_bad(
            "you must provide a model parameter",
            "model",
            None,
        ));
    }
    let messages = match object.get("messages") {
        Some(Json::Array(m)) if !m.is_empty() => m,
        Some(Json::Array(_)) => {
            return Err(openai_bad(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got \
                 an empty array instead.",
                "messages",
                Some("empty_array"),
            ));
        }
        _ => {
            return Err(openai_bad(
                "Missing required parameter: 'messages'.",
                "messages",
                Some("missing_required_parameter"),
            ));
        }
    };
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Json::as_str).unwrap_or("");
        if !["system", "developer", "user", "assistant", "tool"].contains(&role) {
            return Err(openai_bad(
                &format!(
                    "Invalid value: '{role}'. Supported values are: 'system', 'assistant', \
                     'user', 'tool', and 'developer'."
                ),
                &format!("messages[{i}].role"),
                Some("invalid_value"),
            ));
        }
        if message.get("content").is_none() && role != "assistant" {
            return Err(openai_bad(
                &format!("Missing required parameter: 'messages[{i}].content'."),
                &format!("messages[{i}].content"),
                Some("missing_required_parameter"),
            ));
        }
    }
    if let Some(t) = object.get("temperature").filter(|t| !t.is_null()) {
        if !t.as_f64().is_some_and(|t| (0.0..=2.0).contains(&t)) {
            return Err(openai_bad(
                &format!("Invalid 'temperature': decimal above maximum value. Got {t}."),
                "temperature",
                Some("decimal_above_max_value"),
            ));
        }
    }
    if object.get("stream") == Some(&Json::Bool(true)) {
        return Err(openai_bad(
            "The loopback fake does not stream; send stream: false.",
            "stream",
            None,
        ));
    }
    if let Some(format) = object.get("response_format") {
        match format.get("type").and_then(Json::as_str) {
            Some("text" | "json_object") => {}
            Some("json_schema") => {
                let schema = &format["json_schema"];
                let name = schema.get("name").and_then(Json::as_str).unwrap_or("");
                let good_name = !name.is_empty()
                    && name.len() <= 64
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if !good_name {
                    return Err(openai_bad(
                        &format!("Invalid 'response_format.json_schema.name': {name:?}."),
                        "response_format.json_schema.name",
                        Some("invalid_value"),
                    ));
                }
                if !schema.get("schema").is_some_and(Json::is_object) {
                    return Err(openai_bad(
                        "Missing required parameter: 'response_format.json_schema.schema'.",
                        "response_format.json_schema.schema",
                        Some("missing_required_parameter"),
                    ));
                }
            }
            _ => {
                return Err(openai_bad(
                    "Invalid value for 'response_format.type'.",
                    "response_format.type",
                    Some("invalid_value"),
                ));
            }
        }
    }
    Ok(())
}

const ANTHROPIC_FIELDS: [&str; 21] = [
    "model",
    "messages",
    "max_tokens",
    "system",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "stream",
    "metadata",
    "tools",
    "tool_choice",
    "thinking",
    "output_config",
    "output_format",
    "service_tier",
    "container",
    "mcp_servers",
    "context_management",
    "inference_geo",
    "cache_control",
];

fn anthropic_bad(message: &str) -> HttpResponse {
    anthropic_error(400, "invalid_request_error", message)
}

pub fn validate_anthropic(body: &Json) -> Result<(), HttpResponse> {
    let Some(object) = body.as_object() else {
        return Err(anthropic_bad("Input should be a valid dictionary"));
    };
    for name in object.keys() {
        if !ANTHROPIC_FIELDS.contains(&name) {
            return Err(anthropic_bad(&format!(
                "{name}: Extra inputs are not permitted"
            )));
        }
    }
    if !object.get("model").is_some_and(Json::is_string) {
        return Err(anthropic_bad("model: Field required"));
    }
    match object.get("max_tokens") {
        None => return Err(anthropic_bad("max_tokens: Field required")),
        Some(n) if n.as_u64().is_none_or(|n| n < 1) => {
            return Err(anthropic_bad(
                "max_tokens: Input should be a valid integer greater than or equal to 1",
            ));
        }
        Some(_) => {}
    }
    let messages = match object.get("messages") {
        None => return Err(anthropic_bad("messages: Field required")),
        Some(Json::Array(m)) if !m.is_empty() => m,
        Some(_) => return Err(anthropic_bad("messages: at least one message is required")),
    };
    for (i, message) in messages.iter().enumerate() {
        match message.get("role").and_then(Json::as_str) {
            Some("user" | "assistant") => {}
            Some(role) => {
                return Err(anthropic_bad(&format!(
                    "messages.{i}.role: Unexpected role \"{role}\". The Messages API accepts a \
                     top-level `system` parameter, not \"system\" as an input message role."
                )));
            }
            None => return Err(anthropic_bad(&format!("messages.{i}.role: Field required"))),
        }
        if message.get("content").is_none() {
            return Err(anthropic_bad(&format!(
                "messages.{i}.content: Field required"
            )));
        }
    }
    if let Some(t) = object.get("temperature") {
        if !t.as_f64().is_some_and(|t| (0.0..=1.0).contains(&t)) {
            return Err(anthropic_bad(
                "temperature: Input should be less than or equal to 1",
            ));
        }
    }
    if object.get("stream") == Some(&Json::Bool(true)) {
        return Err(anthropic_bad(
            "stream: the loopback fake does not stream; send stream: false",
        ));
    }
    Ok(())
}

/// Gemini's JSON parser accepts both camelCase and snake_case field names. Borrowed when
/// already camelCase, as gen writes them: every field of every Gemini body comes through here.
pub fn camel(name: &str) -> Cow<'_, str> {
    if !name.contains('_') {
        return Cow::Borrowed(name);
    }
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

const GEMINI_FIELDS: [&str; 7] = [
    "contents",
    "systemInstruction",
    "generationConfig",
    "safetySettings",
    "tools",
    "toolConfig",
    "cachedContent",
];

const GEMINI_CONFIG_FIELDS: [&str; 21] = [
    "temperature",
    "topP",
    "topK",
    "candidateCount",
    "maxOutputTokens",
    "stopSequences",
    "seed",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "responseModalities",
    "thinkingConfig",
    "presencePenalty",
    "frequencyPenalty",
    "responseLogprobs",
    "logprobs",
    "imageConfig",
    "mediaResolution",
    "speechConfig",
    "enableEnhancedCivicAnswers",
    "routingConfig",
];

fn gemini_bad(message: &str) -> HttpResponse {
    gemini_error(400, "INVALID_ARGUMENT", message, vec![])
}

/// [`validate_body`] of a body held as a serde_json value (a batch row).
pub fn validate_value(api: Api, model: &str, body: &serde_json::Value) -> Result<(), HttpResponse> {
    super::json::with_json(body, |body| validate_body(api, model, body))
}

/// [`gemini_field`] of a serde_json value (a batch job's body).
pub fn gemini_value_field<'a>(
    object: &'a serde_json::Value,
    camel_name: &str,
) -> Option<&'a serde_json::Value> {
    object
        .as_object()?
        .iter()
        .find_map(|(k, v)| (camel(k) == camel_name).then_some(v))
}

/// A field of a Gemini object under either spelling.
pub fn gemini_field<'a, 'j>(object: &'a Json<'j>, camel_name: &str) -> Option<&'a Json<'j>> {
    // A name without `_` is its own camelCase: most are, and need no conversion.
    object.as_object()?.iter().find_map(|(k, v)| {
        (k == camel_name || (k.contains('_') && camel(k) == camel_name)).then_some(v)
    })
}

pub fn validate_gemini(body: &Json) -> Result<(), HttpResponse> {
    let Some(object) = body.as_object() else {
        return Err(gemini_bad(
            "Invalid JSON payload received. Expected an object.",
        ));
    };
    for name in object.keys() {
        if !GEMINI_FIELDS.contains(&camel(name).as_ref()) {
            return Err(gemini_bad(&format!(
                "Invalid JSON payload received. Unknown name \"{name}\": Cannot find field."
            )));
        }
    }
    let contents = match gemini_field(body, "contents") {
        Some(Json::Array(c)) if !c.is_empty() => c,
        _ => {
            return Err(gemini_bad(
                "* GenerateContentRequest.contents: contents is not specified",
            ));
        }
    };
    for (i, content) in contents.iter().enumerate() {
        if let Some(role) = content.get("role").and_then(Json::as_str)
            && role != "user"
            && role != "model"
        {
            return Err(gemini_bad(&format!(
                "Please use a valid role: user, model. (contents[{i}].role {role:?})"
            )));
        }
        let has_parts = content
            .get("parts")
            .and_then(Json::as_array)
            .is_some_and(|p| !p.is_empty());
        if !has_parts {
            return Err(gemini_bad(&format!(
                "* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty."
            )));
        }
    }
    if let Some(config) = gemini_field(body, "generationConfig") {
        let Some(fields) = config.as_object() else {
            return Err(gemini_bad("Invalid value at 'generation_config'"));
        };
        for name in fields.keys() {
            if !GEMINI_CONFIG_FIELDS.contains(&camel(name).as_ref()) {
                return Err(gemini_bad(&format!(
                    "Invalid JSON payload received. Unknown name \"{name}\" at \
                     'generation_config': Cannot find field."
                )));
            }
        }
        let schema = gemini_field(config, "responseSchema").is_some();
        let json_schema = gemini_field(config, "responseJsonSchema").is_some();
        if schema && json_schema {
            return Err(gemini_bad(
                "responseSchema and responseJsonSchema cannot both be set.",
            ));
        }
        let mime = gemini_field(config, "responseMimeType").and_then(Json::as_str);
        if (schema || json_schema) && mime != Some("application/json") {
            return Err(gemini_bad(
                "* GenerateContentRequest.generation_config.response_mime_type: \
                 responseMimeType must be application/json when a response schema is set.",
            ));
        }
        if let Some(modalities) = gemini_field(config, "responseModalities") {
            let known = modalities.as_array().is_some_and(|m| {
                !m.is_empty()
                    && m.iter()
                        .all(|m| matches!(m.as_str(), Some("TEXT" | "IMAGE" | "AUDIO")))
            });
            if !known {
                return Err(gemini_bad(&format!(
                    "Invalid value at 'generation_config.response_modalities' ({modalities}): \
                     expected a non-empty list of TEXT, IMAGE, AUDIO."
                )));
            }
            // The fake's rule (image models take no JSON mode): gen must not mix the two.
            let image = modalities
                .as_array()
                .is_some_and(|m| m.iter().any(|m| m == "IMAGE"));
            if image && (mime.is_some_and(|m| m != "text/plain") || schema || json_schema) {
                return Err(gemini_bad(
                    "JSON mode is not supported with response modality IMAGE: drop \
                     responseMimeType and the response schema from image requests.",
                ));
            }
        }
    }
    if let Some(tools) = gemini_field(body, "tools") {
        validate_gemini_tools(tools)?;
    }
    Ok(())
}

const GEMINI_TOOLS: [&str; 6] = [
    "functionDeclarations",
    "googleSearch",
    "googleSearchRetrieval",
    "codeExecution",
    "urlContext",
    "retrieval",
];

/// `tools`: a list of objects, each naming one known tool (`google_search` or `googleSearch`…).
fn validate_gemini_tools(tools: &Json) -> Result<(), HttpResponse> {
    let Some(tools) = tools.as_array() else {
        return Err(gemini_bad(
            "Invalid value at 'tools': expected a list of Tool objects.",
        ));
    };
    for (i, tool) in tools.iter().enumerate() {
        let Some(fields) = tool.as_object().filter(|f| !f.is_empty()) else {
            return Err(gemini_bad(&format!(
                "Invalid value at 'tools[{i}]': expected a Tool object naming a tool."
            )));
        };
        for name in fields.keys() {
            if !GEMINI_TOOLS.contains(&camel(name).as_ref()) {
                return Err(gemini_bad(&format!(
                    "Invalid JSON payload received. Unknown name \"{name}\" at 'tools[{i}]': \
                     Cannot find field."
                )));
            }
        }
    }
    Ok(())
}
