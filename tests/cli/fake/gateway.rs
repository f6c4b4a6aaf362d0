//! Gateway mode: the OpenAI route as a LiteLLM proxy in front of the provider answers it
//! (`FakeServer::set_gateway`). The proxy refuses a model it does not serve before the provider
//! sees the request, and passes the provider's headers on with LiteLLM's `llm_provider-`
//! prefix, so a client reading only the plain rate-limit names finds none.

use serde_json::json;

use super::http::HttpResponse;

/// The prefix LiteLLM puts on the headers it passes on from the provider.
pub const PREFIX: &str = "llm_provider-";

/// LiteLLM's 400 for a model name it has no deployment for (`ProxyModelNotFoundError` in
/// `litellm/proxy/route_llm_request.py`, as the proxy serializes it).
pub fn unknown_model(model: &str) -> HttpResponse {
    let message = format!(
        "/chat/completions: Invalid model name passed in model={model}. Call `/v1/models` to \
         view available models for your key."
    );
    let body = json!({"error": {"message": message, "type": "invalid_request_error",
                                "param": null, "code": "400"}});
    HttpResponse::json(400, &body)
}

/// Whether a provider header is one of the rate-limit ones the prefix hides.
fn rate_limit_header(name: &str) -> bool {
    name == "retry-after"
        || name == "retry-after-ms"
        || name.starts_with("x-ratelimit-")
        || name.starts_with("anthropic-ratelimit-")
}

/// Renames the response's rate-limit headers as the gateway passes them on.
pub fn dress(response: &mut HttpResponse) {
    for (name, _) in &mut response.headers {
        if rate_limit_header(&name.to_ascii_lowercase()) {
            *name = format!("{PREFIX}{name}").into();
        }
    }
}
