//! The HTTP client under every real provider: pooled connections over hyper, TLS by rustls with
//! the platform's roots (loaded on the first `https` connection, so a run against a local server
//! never reads them), HTTP/2 where the server offers it, and the proxies named by `HTTPS_PROXY`,
//! `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (an `https://` destination is tunnelled with CONNECT,
//! an `http://` one is forwarded). Nothing here knows a wire format: it sends a request and hands
//! back the whole answer.

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

type BoxError = Box<dyn StdError + Send + Sync>;

/// How long an idle pooled connection is kept for the next request.
const POOL_IDLE: Duration = Duration::from_secs(90);

/// A proxy's answer to CONNECT larger than this is not an answer.
const MAX_PROXY_ANSWER: usize = 16 * 1024;

/// An answer read whole: status, headers (names lowercase, as hyper keeps them) and body.
pub struct Answer {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// Why no whole answer arrived.
#[derive(Debug)]
pub enum TransportError {
    /// No connection could be opened: refused, unresolvable, a TLS or proxy handshake failed.
    Connect(String),
    /// No connection can be opened as the network is set up (an untrusted certificate, a proxy
    /// that wants credentials or refuses): trying again will not help.
    Setup(String),
    /// No whole answer within the request's timeout.
    Timeout,
    /// The connection broke after the request went out: the answer is missing or cut off.
    Cut(String),
}

/// A connection failure that no retry can mend; found again in hyper's error chain by type.
#[derive(Debug)]
struct SetupError(String);

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for SetupError {}

fn setup_error(message: String) -> BoxError {
    Box::new(SetupError(message))
}

/// Whether `error` or one of its causes is a [`SetupError`].
fn is_setup(error: &(dyn StdError + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(current) = source {
        if current.is::<SetupError>() {
            return true;
        }
        source = current.source();
    }
    false
}

/// How long a connection may take to set up, whatever the request's own timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

static CONNECT_TIMEOUT: OnceLock<Duration> = OnceLock::new();

/// Sets the connect timeout of the process-wide client; only the first call before the client is
/// built counts (the run sets it from `--connect-timeout` before any lane starts).
pub fn set_connect_timeout(timeout: Duration) {
    let _ = CONNECT_TIMEOUT.set(timeout);
}

/// The process-wide client: connection pools are per client, so every lane shares one.
fn client() -> &'static Client<Connector, Full<Bytes>> {
    static CLIENT: OnceLock<Client<Connector, Full<Bytes>>> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let connect_timeout = *CONNECT_TIMEOUT.get_or_init(|| DEFAULT_CONNECT_TIMEOUT);
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(Connector {
                tcp,
                connect_timeout,
            })
    })
}

/// Sends `request` and reads the whole answer within `timeout`.
pub async fn send(
    mut request: http::Request<Full<Bytes>>,
    timeout: Duration,
) -> Result<Answer, TransportError> {
    // A forwarding proxy is told who we are to it on each request; a tunnel is told once, on CONNECT.
    if request.uri().scheme() == Some(&http::uri::Scheme::HTTP)
        && let Some(auth) = proxies()
            .and_then(|p| p.intercept(request.uri()))
            .and_then(|proxy| proxy.basic_auth().cloned())
    {
        request
            .headers_mut()
            .insert(http::header::PROXY_AUTHORIZATION, auth);
    }
    let exchange =
        async {
            let response = client().request(request).await.map_err(|e| {
                match (is_setup(&e), e.is_connect()) {
                    (true, _) => TransportError::Setup(causes(&e)),
                    (false, true) => TransportError::Connect(causes(&e)),
                    (false, false) => TransportError::Cut(causes(&e)),
                }
            })?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| TransportError::Cut(causes(&e)))?
                .to_bytes();
            Ok(Answer {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
            })
        };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| TransportError::Timeout)?
}

/// The error and its causes, each said once. hyper's and rustls's messages name neither headers
/// nor URLs, and the proxy errors here name only the proxy's host, so the text is safe to keep.
fn causes(error: &(dyn StdError + 'static)) -> String {
    let mut text = String::new();
    let mut source = Some(error);
    while let Some(current) = source {
        let part = current.to_string();
        // hyper's outer errors ("client error (Connect)") only restate their cause's kind.
        let restates = part.starts_with("client error (") || part == "error trying to connect";
        if !restates && !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        source = current.source();
    }
    if text.is_empty() {
        text = error.to_string();
    }
    text
}

/// The proxies the environment names, or `None` when it names none (the usual case, which then
/// costs nothing per request).
fn proxies() -> Option<&'static Matcher> {
    static PROXIES: OnceLock<Option<Matcher>> = OnceLock::new();
    PROXIES
        .get_or_init(|| {
            let named = [
                "ALL_PROXY",
                "all_proxy",
                "HTTPS_PROXY",
                "https_proxy",
                "HTTP_PROXY",
                "http_proxy",
            ]
            .iter()
            .any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
            named.then(Matcher::from_env)
        })
        .as_ref()
}

/// The TLS settings of every `https` connection, built on the first one: loading the platform's
/// roots is the most expensive thing a run starts with.
fn tls() -> Result<Arc<rustls::ClientConfig>, BoxError> {
    static TLS: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    TLS.get_or_init(|| {
        use rustls_platform_verifier::BuilderVerifierExt;
        // ring builds anywhere without cmake.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|builder| builder.with_platform_verifier())
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    })
    .clone()
    .map_err(setup_error)
}

/// Opens connections for the client: straight to the server, or through the proxy the
/// environment names for it.
#[derive(Clone)]
struct Connector {
    tcp: HttpConnector,
    /// The whole setup (TCP, the proxy's TLS and CONNECT, TLS with the server): a proxy that
    /// accepts and never answers costs this, not the request's timeout.
    connect_timeout: Duration,
}

impl tower_service::Service<http::Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<TokioIo<Stream>, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, destination: http::Uri) -> Self::Future {
        let (tcp, limit) = (self.tcp.clone(), self.connect_timeout);
        Box::pin(async move {
            match tokio::time::timeout(limit, connect(tcp, destination)).await {
                Ok(stream) => stream.map(TokioIo::new),
                Err(_) => Err(format!("no connection within {limit:?} (--connect-timeout)").into()),
            }
        })
    }
}

async fn connect(tcp: HttpConnector, destination: http::Uri) -> Result<Stream, BoxError> {
    let https = destination.scheme() == Some(&http::uri::Scheme::HTTPS);
    let host = destination.host().ok_or("the URL has no host")?.to_string();
    let proxy = proxies().and_then(|p| p.intercept(&destination));
    let Some(proxy) = proxy else {
        let stream = Stream::Tcp(open_tcp(tcp, destination).await?);
        return match https {
            true => wrap_tls(stream, &host).await,
            false => Ok(stream),
        };
    };
    let mut stream = open_proxy(tcp, &proxy).await?;
    if !https {
        return Ok(Stream::Forwarded(Box::new(stream)));
    }
    let port = destination.port_u16().unwrap_or(443);
    tunnel(&mut stream, &host, port, &proxy).await?;
    wrap_tls(stream, &host).await
}

async fn open_tcp(mut tcp: HttpConnector, to: http::Uri) -> Result<TcpStream, BoxError> {
    use tower_service::Service;
    std::future::poll_fn(|cx| tcp.poll_ready(cx)).await?;
    Ok(tcp.call(to).await?.into_inner())
}

/// A connection to the proxy itself (over TLS when its URL is `https://`).
async fn open_proxy(tcp: HttpConnector, proxy: &Intercept) -> Result<Stream, BoxError> {
    let uri = proxy.uri();
    let name = proxy_name(uri);
    let scheme = uri.scheme_str().unwrap_or_default();
    if scheme != "http" && scheme != "https" {
        return Err(setup_error(format!(
            "the proxy {name} is a {scheme}:// proxy, and gen speaks only to http:// and https:// \
             proxies; name one of those in the proxy variable, or add the host to NO_PROXY"
        )));
    }
    let stream = open_tcp(tcp, uri.clone())
        .await
        .map_err(|e| format!("cannot reach the proxy {name}: {}", causes(&*e)))?;
    match uri.scheme() == Some(&http::uri::Scheme::HTTPS) {
        true => {
            let host = uri.host().unwrap_or_default();
            wrap_tls(Stream::Tcp(stream), host).await.map_err(|e| {
                let message = format!("TLS with the proxy {name} failed: {}", causes(&*e));
                match is_setup(&*e) {
                    true => setup_error(message),
                    false => message.into(),
                }
            })
        }
        false => Ok(Stream::Tcp(stream)),
    }
}

/// The proxy's host and port, never its credentials.
fn proxy_name(uri: &http::Uri) -> String {
    match (uri.host(), uri.port_u16()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => "named in the environment".to_string(),
    }
}

/// Asks the proxy for a tunnel to `host:port` (HTTP CONNECT) and reads its answer up to the end
/// of its headers; from then on the stream carries our bytes to the server.
async fn tunnel(
    stream: &mut Stream,
    host: &str,
    port: u16,
    proxy: &Intercept,
) -> Result<(), BoxError> {
    let name = proxy_name(proxy.uri());
    let mut ask = format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n").into_bytes();
    if let Some(auth) = proxy.basic_auth() {
        ask.extend_from_slice(b"Proxy-Authorization: ");
        ask.extend_from_slice(auth.as_bytes());
        ask.extend_from_slice(b"\r\n");
    }
    ask.extend_from_slice(b"\r\n");
    stream.write_all(&ask).await?;
    let mut answer = Vec::with_capacity(256);
    // Byte by byte: whatever follows the headers is the server's, not the proxy's.
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() >= MAX_PROXY_ANSWER {
            return Err(format!("the proxy {name} sent an endless answer to CONNECT").into());
        }
        let byte = stream.read_u8().await.map_err(|e| match e.kind() {
            io::ErrorKind::UnexpectedEof => {
                format!("the proxy {name} closed the connection instead of opening a tunnel")
            }
            _ => format!("the proxy {name} broke off: {e}"),
        })?;
        answer.push(byte);
    }
    let status_line = answer.split(|&b| b == b'\r').next().unwrap_or_default();
    let status_line = String::from_utf8_lossy(status_line);
    let code = status_line.split_whitespace().nth(1).unwrap_or_default();
    let refused = format!(
        "the proxy {name} refused a tunnel to {host}:{port}: {}",
        status_line.trim()
    );
    match code {
        "200" => Ok(()),
        "407" => Err(setup_error(format!(
            "the proxy {name} wants credentials (407): give them in the proxy variable's URL, \
             as http://user:password@host:port"
        ))),
        // A proxy's 5xx (its upstream down, itself overloaded) may pass; a 4xx is its policy.
        _ if code.starts_with('5') => Err(refused.into()),
        _ => Err(setup_error(refused)),
    }
}

async fn wrap_tls(stream: Stream, host: &str) -> Result<Stream, BoxError> {
    let server = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| setup_error(format!("`{host}` is not a host name TLS can check")))?;
    let tls = tokio_rustls::TlsConnector::from(tls()?)
        .connect(server, stream)
        .await
        .map_err(|e| -> BoxError {
            let untrusted = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .is_some_and(|inner| matches!(inner, rustls::Error::InvalidCertificate(_)));
            match untrusted {
                true => setup_error(format!(
                    "{e}: {host}'s certificate is not one this machine trusts; behind a proxy or \
                     gateway that signs TLS with its own CA, name that CA's PEM file in \
                     SSL_CERT_FILE"
                )),
                false => e.into(),
            }
        })?;
    Ok(Stream::Tls(Box::new(tls)))
}

/// A byte stream to a server or a proxy: TCP, TLS over one of these (TLS to a server through a
/// tunnel in a TLS connection to the proxy nests two), or a connection to a forwarding proxy, to
/// which the client writes each request with its full URL.
enum Stream {
    Tcp(TcpStream),
    Tls(Box<TlsStream<Stream>>),
    Forwarded(Box<Stream>),
}

impl Stream {
    /// The stream the bytes go through, past the forwarding mark.
    fn io(self: Pin<&mut Self>) -> Pin<&mut (dyn Io + '_)> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s),
            Stream::Tls(s) => Pin::new(s.as_mut()),
            Stream::Forwarded(s) => Pin::new(s.as_mut()),
        }
    }
}

/// What a stream needs to carry bytes both ways; one trait so [`Stream::io`] can name both.
trait Io: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> Io for T {}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        match self {
            Stream::Forwarded(_) => Connected::new().proxy(true),
            Stream::Tls(tls) if tls.get_ref().1.alpn_protocol() == Some(b"h2") => {
                Connected::new().negotiated_h2()
            }
            Stream::Tls(_) | Stream::Tcp(_) => Connected::new(),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io().poll_read(cx, buf)
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io().poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io().poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Tcp(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
            Stream::Forwarded(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io().poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io().poll_shutdown(cx)
    }
}
