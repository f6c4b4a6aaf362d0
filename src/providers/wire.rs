//! Transport-neutral HTTP values the pure adapters exchange with the I/O shell: an outgoing
//! [`HttpRequest`] whose secret header values cannot leak through `Debug`, the [`Endpoint`] one
//! provider key is reached at, and received [`Headers`] with a lookup helper.
//!
//! Nothing here opens a socket; the shell turns an [`HttpRequest`] into a real request and hands
//! the status, headers and body back to the adapter's `parse`.

use std::fmt;

/// The HTTP methods the adapters use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request header's value. `Secret` holds credentials: its `Debug` prints `[redacted]`, and it
/// has no `Display`, so only [`HeaderValue::expose`] (called by the shell when it sends) reads it.
#[derive(Clone, PartialEq, Eq)]
pub enum HeaderValue {
    Plain(String),
    Secret(String),
}

impl HeaderValue {
    /// The value to put on the wire. Call it only where the request is sent.
    pub fn expose(&self) -> &str {
        match self {
            HeaderValue::Plain(value) | HeaderValue::Secret(value) => value,
        }
    }

    pub fn is_secret(&self) -> bool {
        matches!(self, HeaderValue::Secret(_))
    }
}

impl fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderValue::Plain(value) => fmt::Debug::fmt(value, f),
            HeaderValue::Secret(_) => f.write_str("[redacted]"),
        }
    }
}

/// One HTTP request, ready for the shell to send.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    /// Lowercase header names. Credentials are [`HeaderValue::Secret`].
    pub headers: Vec<(&'static str, HeaderValue)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// The first header called `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body is JSON the adapter wrote; showing it as text keeps logs readable.
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

/// What an adapter needs to address one provider key.
#[derive(Clone, Copy)]
pub struct Endpoint<'a> {
    /// As the vendor documents it (OpenAI `…/v1`, Anthropic without `/v1`, Gemini `…/v1beta`),
    /// no trailing slash (one is tolerated and dropped).
    pub base_url: &'a str,
    /// `None` sends no auth header (a local Ollama).
    pub api_key: Option<&'a str>,
    /// Sent as given, after the adapter's own headers (OpenRouter's `HTTP-Referer`, say).
    pub extra_headers: &'a [(&'static str, String)],
}

impl fmt::Debug for Endpoint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.map(|_| "[redacted]"))
            .field("extra_headers", &self.extra_headers)
            .finish()
    }
}

impl Endpoint<'_> {
    /// `base_url` joined with `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }

    /// The extra headers as plain header values.
    pub(crate) fn extra(&self) -> impl Iterator<Item = (&'static str, HeaderValue)> + '_ {
        self.extra_headers
            .iter()
            .map(|(name, value)| (*name, HeaderValue::Plain(value.clone())))
    }
}

/// Response headers as received: lowercase names.
pub type Headers = [(String, String)];

/// The first value of header `name`, trimmed. Names are compared ASCII case-insensitively, so a
/// shell that keeps the server's spelling still works.
pub fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

/// A JSON POST with `content-type: application/json`, the adapters' one request shape.
pub(crate) fn json_post(
    url: String,
    mut headers: Vec<(&'static str, HeaderValue)>,
    body: &impl serde::Serialize,
) -> HttpRequest {
    headers.insert(
        0,
        (
            "content-type",
            HeaderValue::Plain("application/json".into()),
        ),
    );
    HttpRequest {
        method: Method::Post,
        url,
        headers,
        // The bodies are `Value`s and structs of strings and numbers, whose keys are strings:
        // serializing them cannot fail.
        body: serde_json::to_vec(body).unwrap_or_default(),
    }
}

/// A GET without a body (the model lists).
pub(crate) fn get(url: String, headers: Vec<(&'static str, HeaderValue)>) -> HttpRequest {
    HttpRequest {
        method: Method::Get,
        url,
        headers,
        body: Vec::new(),
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so a model id or page token
/// can never add path segments or query parameters to a URL.
pub(crate) fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_redacted_in_debug() {
        let request = HttpRequest {
            method: Method::Post,
            url: "https://example.test/v1".into(),
            headers: vec![
                ("x-api-key", HeaderValue::Secret("sk-very-secret".into())),
                ("accept", HeaderValue::Plain("application/json".into())),
            ],
            body: b"{}".to_vec(),
        };
        let debug = format!("{request:?}");
        assert!(!debug.contains("sk-very-secret"), "{debug}");
        assert!(debug.contains("[redacted]") && debug.contains("application/json"));
        assert_eq!(
            request.header("X-Api-Key").unwrap().expose(),
            "sk-very-secret"
        );
        let endpoint = Endpoint {
            base_url: "https://example.test/",
            api_key: Some("sk-very-secret"),
            extra_headers: &[],
        };
        assert!(!format!("{endpoint:?}").contains("sk-very-secret"));
        assert_eq!(endpoint.url("/chat"), "https://example.test/chat");
    }

    #[test]
    fn header_lookup_ignores_case_and_trims() {
        let headers = vec![("Retry-After".to_string(), " 3 ".to_string())];
        assert_eq!(header(&headers, "retry-after"), Some("3"));
        assert_eq!(header(&headers, "retry-after-ms"), None);
    }
}
