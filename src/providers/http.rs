//! Every real provider over HTTP: what the pure wire adapters build goes out through the shared
//! client of [`transport`] (which follows no redirects: one would carry our auth headers to
//! another host), and what comes back goes to their parsers. Transport failures (timeouts,
//! refused or cut connections) are classified here; everything with a status is the adapter's.

use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret, SecretString};

use crate::failure::FailureKind;
use crate::providers::dialect::Dialect;
use crate::providers::protocol::Wire;
use crate::providers::transport::{self, TransportError};
use crate::providers::wire::{Endpoint, HeaderValue, HttpRequest, Method};
use crate::providers::{
    BoxFuture, Completion, Provider, ProviderError, Request, anthropic, gemini, openai, ratelimit,
};

/// One (provider, key): the wire format, where to send, and the key, which leaves this value only
/// as a header.
pub struct HttpProvider {
    wire: Wire,
    dialect: Dialect,
    base_url: String,
    key: Option<SecretString>,
}

impl HttpProvider {
    pub fn new(wire: Wire, dialect: Dialect, base_url: String, key: Option<SecretString>) -> Self {
        HttpProvider {
            wire,
            dialect,
            base_url: base_url.trim_end_matches('/').to_string(),
            key,
        }
    }

    fn build(&self, request: &Request) -> HttpRequest {
        let endpoint = Endpoint {
            base_url: &self.base_url,
            api_key: self.key.as_ref().map(|k| k.expose_secret()),
            extra_headers: &[],
        };
        match self.wire {
            Wire::OpenAi => openai::build_with(request, &endpoint, self.dialect),
            Wire::Anthropic => anthropic::build(request, &endpoint),
            Wire::Gemini => gemini::build(request, &endpoint),
        }
    }

    fn parse(
        &self,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Completion, ProviderError> {
        let now = SystemTime::now();
        match self.wire {
            Wire::OpenAi => openai::parse(status, headers, body, now),
            Wire::Anthropic => anthropic::parse(status, headers, body, now),
            Wire::Gemini => gemini::parse(status, headers, body, now),
        }
    }

    async fn send(&self, request: &Request) -> Result<Completion, ProviderError> {
        let (status, headers, body) = exchange(self.build(request), request.timeout).await?;
        let mut completion = self
            .parse(status, &headers, body.as_ref())
            .map_err(|mut error| {
                error.status = Some(status);
                hide_key(&mut error.message, self.key.as_ref());
                error
            })?;
        let limits = ratelimit::parse_rate_limits(&headers, SystemTime::now());
        completion.exhausted_for = limits.exhausted_for();
        completion.limit_rpm = limits.limit_requests;
        Ok(completion)
    }

    /// Every model id the provider's list endpoint offers this key, following pages.
    pub async fn list_models(&self, timeout: Duration) -> Result<Vec<String>, ProviderError> {
        /// A provider that keeps handing out page tokens is not allowed to loop us forever.
        const MAX_PAGES: usize = 50;
        let endpoint = Endpoint {
            base_url: &self.base_url,
            api_key: self.key.as_ref().map(|k| k.expose_secret()),
            extra_headers: &[],
        };
        let mut ids = Vec::new();
        let mut page: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let http = match self.wire {
                Wire::OpenAi => openai::list_models_request(&endpoint),
                Wire::Anthropic => anthropic::list_models_request(&endpoint, page.as_deref()),
                Wire::Gemini => gemini::list_models_request(&endpoint, page.as_deref()),
            };
            let (status, headers, body) = exchange(http, timeout).await?;
            let now = SystemTime::now();
            let next = match self.wire {
                Wire::OpenAi => openai::parse_model_list(status, &headers, body.as_ref(), now),
                Wire::Anthropic => {
                    anthropic::parse_model_list(status, &headers, body.as_ref(), now)
                }
                Wire::Gemini => gemini::parse_model_list(status, &headers, body.as_ref(), now),
            }?;
            ids.extend(next.ids);
            if next.next_page.is_none() || next.next_page == page {
                break;
            }
            page = next.next_page;
        }
        Ok(ids)
    }
}

/// The failure an HTTP answer that is not a success stands for, read as `wire`'s errors are.
pub(crate) fn classify_error(
    wire: Wire,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> ProviderError {
    let now = SystemTime::now();
    match wire {
        Wire::OpenAi => openai::classify_error(status, headers, body, now),
        Wire::Anthropic => anthropic::classify_error(status, headers, body, now),
        Wire::Gemini => gemini::classify_error(status, headers, body, now),
    }
}

/// A provider's error text may quote the request back, key included: the key never leaves in
/// a message, a manifest or the request log.
pub(crate) fn hide_key(message: &mut String, key: Option<&SecretString>) {
    let Some(key) = key.map(|k| k.expose_secret()) else {
        return;
    };
    // A short "key" (a local server's placeholder) would blank ordinary words.
    if key.len() >= 8 && message.contains(key) {
        *message = message.replace(key, "[key]");
    }
}

/// Where a request goes: the URL without credentials, and the `Authorization: Basic` made of the
/// `user:password@` the base URL carried, if any (a gateway or Ollama behind a reverse proxy).
#[derive(Clone)]
struct Target {
    uri: http::Uri,
    basic_auth: Option<http::HeaderValue>,
}

/// `url` parsed, from a small cache per thread: a run sends every request of a provider and model
/// to the same URL, and parsing it again for each request cost more than building the request.
fn parsed_url(url: &str) -> Result<Target, ProviderError> {
    const KEPT: usize = 32;
    thread_local! {
        static PARSED: std::cell::RefCell<Vec<(String, Target)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    PARSED.with_borrow_mut(|parsed| {
        if let Some((_, known)) = parsed.iter().find(|(text, _)| text == url) {
            return Ok(known.clone());
        }
        let fresh = parse_target(url)?;
        if parsed.len() >= KEPT {
            parsed.remove(0);
        }
        parsed.push((url.to_string(), fresh.clone()));
        Ok(fresh)
    })
}

fn parse_target(url: &str) -> Result<Target, ProviderError> {
    // The messages leave the URL out: a user's base URL may embed credentials.
    let invalid = |why: String| {
        ProviderError::new(
            FailureKind::BadRequest,
            format!("the provider's URL is not valid ({why}); check its base_url"),
        )
    };
    let uri = http::Uri::try_from(url).map_err(|e| invalid(e.to_string()))?;
    let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
        return Err(ProviderError::new(
            FailureKind::BadRequest,
            "the provider's URL needs a scheme and a host (http://host:port/...); check its base_url",
        ));
    };
    let Some((userinfo, host)) = authority.as_str().rsplit_once('@') else {
        return Ok(Target {
            uri,
            basic_auth: None,
        });
    };
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8_lossy()
            .into_owned()
    };
    let credentials = format!("{}:{}", decode(user), decode(password));
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    let mut basic_auth = http::HeaderValue::try_from(format!("Basic {encoded}"))
        .map_err(|e| invalid(e.to_string()))?;
    basic_auth.set_sensitive(true);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let uri = http::Uri::builder()
        .scheme(scheme.clone())
        .authority(host)
        .path_and_query(path)
        .build()
        .map_err(|e| invalid(e.to_string()))?;
    Ok(Target {
        uri,
        basic_auth: Some(basic_auth),
    })
}

/// Whether a response header is one the parsers read (rate limits and resets, a gateway's copies
/// of them, the retry hints, Gemini's upload session): only those are copied out of every answer.
fn is_read(name: &str) -> bool {
    // hyper keeps header names in lowercase.
    name.contains("ratelimit")
        || name.starts_with("retry-after")
        || name.starts_with("llm_provider-")
        || name == "x-should-retry"
        || name.starts_with("x-goog-upload-")
}

/// Sends one request and reads the whole answer: status, headers (lowercase names) and body.
pub(crate) async fn exchange(
    http: HttpRequest,
    timeout: Duration,
) -> Result<(u16, Vec<(String, String)>, impl AsRef<[u8]> + use<>), ProviderError> {
    let method = match http.method {
        Method::Get => http::Method::GET,
        Method::Post => http::Method::POST,
    };
    let mut request = http::Request::new(http_body_util::Full::new(bytes::Bytes::from(http.body)));
    *request.method_mut() = method;
    let target = parsed_url(&http.url)?;
    *request.uri_mut() = target.uri;
    let headers = request.headers_mut();
    headers.reserve(http.headers.len() + 3);
    for (name, value) in &http.headers {
        let value = match value {
            HeaderValue::Plain(text) => http::HeaderValue::from_str(text),
            HeaderValue::Secret(text) => http::HeaderValue::from_str(text).map(|mut v| {
                v.set_sensitive(true);
                v
            }),
        };
        let value = value.map_err(|_| {
            ProviderError::new(
                FailureKind::Auth,
                format!("the value for header `{name}` has characters HTTP headers cannot carry; check the key variable"),
            )
        })?;
        // Not `from_static`: it panics on a capital letter, and an adapter may spell a name so.
        let name = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            ProviderError::new(
                FailureKind::BadRequest,
                format!("`{name}` is not a valid HTTP header name"),
            )
        })?;
        headers.append(name, value);
    }
    if let Some(basic_auth) = target.basic_auth {
        // A wire that authenticates with `Authorization` (OpenAI's Bearer) keeps it: a server
        // reads one, and the key is the one the provider checks.
        if !headers.contains_key(http::header::AUTHORIZATION) {
            headers.insert(http::header::AUTHORIZATION, basic_auth);
        }
    }
    // Defaults only: Anthropic's batch results are asked for as `application/binary`.
    headers
        .entry(http::header::ACCEPT)
        .or_insert(http::HeaderValue::from_static("*/*"));
    headers
        .entry(http::header::USER_AGENT)
        .or_insert(http::HeaderValue::from_static(concat!(
            "gen/",
            env!("CARGO_PKG_VERSION")
        )));
    let answer = transport::send(request, timeout)
        .await
        .map_err(|e| transport_error(e, timeout))?;
    let headers: Vec<(String, String)> = answer
        .headers
        .iter()
        .filter(|(name, _)| is_read(name.as_str()))
        .filter_map(|(name, value)| {
            Some((name.as_str().to_string(), value.to_str().ok()?.to_string()))
        })
        .collect();
    Ok((answer.status, headers, answer.body))
}

impl Provider for HttpProvider {
    fn complete<'a>(
        &'a self,
        request: &'a Request,
    ) -> BoxFuture<'a, Result<Completion, ProviderError>> {
        Box::pin(self.send(request))
    }

    fn over_http(&self) -> bool {
        true
    }
}

/// A failure before a full answer arrived.
fn transport_error(error: TransportError, timeout: Duration) -> ProviderError {
    match error {
        TransportError::Timeout => ProviderError::new(
            FailureKind::Timeout,
            format!("no complete answer within {timeout:?}"),
        ),
        TransportError::Connect(why) => {
            ProviderError::new(FailureKind::Connection, format!("cannot connect: {why}"))
        }
        TransportError::Setup(why) => {
            ProviderError::new(FailureKind::NetworkSetup, format!("cannot connect: {why}"))
        }
        TransportError::Cut(why) => ProviderError::new(
            FailureKind::Connection,
            format!("the answer was cut off: {why}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_header_a_parser_reads_is_kept() {
        for name in [
            "x-ratelimit-limit-requests",
            "x-ratelimit-reset-tokens",
            "anthropic-ratelimit-output-tokens-reset",
            "llm_provider-retry-after",
            "retry-after",
            "retry-after-ms",
            "x-should-retry",
            "x-goog-upload-url",
            "x-goog-upload-status",
        ] {
            assert!(is_read(name), "{name}");
        }
        for name in [
            "content-type",
            "date",
            "x-request-id",
            "openai-processing-ms",
        ] {
            assert!(!is_read(name), "{name}");
        }
    }

    #[test]
    fn a_key_quoted_in_an_error_is_hidden() {
        let key = SecretString::from("sk-live-0123456789abcdef");
        let mut message = "Incorrect API key provided: sk-live-0123456789abcdef.".to_string();
        hide_key(&mut message, Some(&key));
        assert_eq!(message, "Incorrect API key provided: [key].");
        // A placeholder key of a local server is too short to hide safely.
        let mut message = "model not found".to_string();
        hide_key(&mut message, Some(&SecretString::from("none")));
        assert_eq!(message, "model not found");
    }
}
