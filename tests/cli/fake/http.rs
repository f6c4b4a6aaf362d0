//! The fake's HTTP/1.1 plumbing: reading one request (head plus `Content-Length` body) from a
//! keep-alive connection, and writing whole, chunked or deliberately broken responses.

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::ops::Range;

/// The largest body the fake accepts; real APIs refuse far smaller ones with 413.
const MAX_BODY: usize = 32 * 1024 * 1024;

/// One request as it arrived on the wire. The head is kept as received, its parts as ranges
/// into it: one allocation for the head instead of two per header.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// The request line and the header lines, header names lowercased.
    head: String,
    method: Range<usize>,
    target: Range<usize>,
    /// Where the path starts in the target: after `http://host:port` when a forwarding proxy
    /// passed the absolute form on (RFC 9112 §3.2.2: a server must accept it).
    path_start: usize,
    /// Where the path ends in the target (before `?`).
    path_end: usize,
    version: Range<usize>,
    /// Names and values, trimmed, in arrival order.
    headers: Vec<(Range<usize>, Range<usize>)>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn method(&self) -> &str {
        &self.head[self.method.clone()]
    }

    /// The request target as sent, query string included.
    pub fn target(&self) -> &str {
        &self.head[self.target.clone()]
    }

    /// `HTTP/1.1` or `HTTP/1.0`.
    pub fn version(&self) -> &str {
        &self.head[self.version.clone()]
    }

    /// Header names lowercased, values trimmed, in arrival order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (&self.head[name.clone()], &self.head[value.clone()]))
    }

    /// [`headers`](Self::headers) owned, for the request log.
    pub fn headers_owned(&self) -> Vec<(String, String)> {
        self.headers()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value)
    }

    /// The target without its query string.
    pub fn path(&self) -> &str {
        &self.head[self.path_start..self.path_end]
    }

    /// The value of query parameter `name`, undecoded.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        let query = self
            .head
            .get(self.path_end..self.target.end)?
            .strip_prefix('?')?;
        query
            .split('&')
            .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// Whether the client asked to keep the connection open after this exchange.
    pub fn keep_alive(&self) -> bool {
        let connection = self.header("connection").unwrap_or_default();
        let has = |token: &str| {
            connection
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if self.version() == "HTTP/1.0" {
            has("keep-alive")
        } else {
            !has("close")
        }
    }
}

/// What went wrong reading a request; `Closed` is the normal end of a keep-alive connection.
#[derive(Debug)]
pub enum ReadError {
    Closed,
    Io(io::Error),
    /// The bytes are not a request this fake understands; answer 400 and close.
    Malformed(String),
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Where `part` (a slice of `whole`) starts and ends in it.
fn span(whole: &str, part: &str) -> Range<usize> {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    start..start + part.len()
}

/// Reads the next request from a connection.
pub fn read_request(reader: &mut BufReader<TcpStream>) -> Result<HttpRequest, ReadError> {
    let mut raw: Vec<u8> = Vec::with_capacity(512);
    // Tolerate stray CRLFs between requests (RFC 9112 §2.2).
    loop {
        raw.clear();
        if reader.read_until(b'\n', &mut raw)? == 0 {
            return Err(ReadError::Closed);
        }
        if !raw.iter().all(u8::is_ascii_whitespace) {
            break;
        }
    }
    let mut lines = Vec::with_capacity(16);
    lines.push(0..raw.len());
    loop {
        let from = raw.len();
        if reader.read_until(b'\n', &mut raw)? == 0 {
            return Err(ReadError::Malformed(
                "connection closed inside the head".into(),
            ));
        }
        let mut end = raw.len();
        while end > from && matches!(raw[end - 1], b'\r' | b'\n') {
            end -= 1;
        }
        if end == from {
            break;
        }
        lines.push(from..end);
    }
    let mut head = String::from_utf8(raw)
        .map_err(|e| ReadError::Io(io::Error::new(io::ErrorKind::InvalidData, e)))?;

    let line = &head[lines[0].clone()];
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed(format!(
            "bad request line {:?}",
            line.trim_end()
        )));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Malformed(format!(
            "unsupported version {version}"
        )));
    }
    let target_start = span(&head, target).start;
    let path_end = target_start + target.find('?').unwrap_or(target.len());
    let authority_len = ["http://", "https://"]
        .iter()
        .find_map(|scheme| {
            let rest = target.strip_prefix(scheme)?;
            Some(scheme.len() + rest.find('/').unwrap_or(rest.len()))
        })
        .unwrap_or(0);
    let path_start = (target_start + authority_len).min(path_end);
    let (method, target, version) = (
        span(&head, method),
        span(&head, target),
        span(&head, version),
    );

    let mut headers = Vec::with_capacity(lines.len());
    for line in &lines[1..] {
        let trimmed = &head[line.clone()];
        let Some((name, value)) = trimmed.split_once(':') else {
            return Err(ReadError::Malformed(format!("bad header line {trimmed:?}")));
        };
        headers.push((span(&head, name.trim()), span(&head, value.trim())));
    }
    for (name, _) in &headers {
        if let Some(name) = head.get_mut(name.clone()) {
            name.make_ascii_lowercase();
        }
    }
    let mut request = HttpRequest {
        head,
        method,
        target,
        path_start,
        path_end,
        version,
        headers,
        body: Vec::new(),
    };
    if request
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"))
    {
        return Err(ReadError::Malformed(
            "chunked request bodies are not supported by the fake".into(),
        ));
    }
    let length = match request.header("content-length") {
        None => 0,
        Some(value) => value
            .parse::<usize>()
            .map_err(|_| ReadError::Malformed(format!("bad content-length {value:?}")))?,
    };
    if length > MAX_BODY {
        return Err(ReadError::Malformed(format!("body of {length} bytes")));
    }
    if request
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        reader
            .get_mut()
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    request.body = vec![0; length];
    reader.read_exact(&mut request.body)?;
    Ok(request)
}

/// A header of a response: names and most values are literals, so neither is allocated
/// unless it has to be.
pub type Header = (Cow<'static, str>, Cow<'static, str>);

/// The headers of a new response: room for the dozen a success carries, grown once.
fn headers_with_type(value: Cow<'static, str>) -> Vec<Header> {
    let mut headers = Vec::with_capacity(16);
    headers.push(("content-type".into(), value));
    headers
}

/// A response to write: status, headers and body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        HttpResponse {
            status,
            headers: headers_with_type("application/json".into()),
            body: body.to_string().into_bytes(),
        }
    }

    pub fn raw(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse {
            status,
            headers: headers_with_type(content_type.to_string().into()),
            body: body.into(),
        }
    }

    pub fn header(
        mut self,
        name: impl Into<Cow<'static, str>>,
        value: impl Into<Cow<'static, str>>,
    ) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Status line and headers, ending with the blank line; `length` is `None` for chunked.
    /// Written into `out` with room for the body, so a whole response is one allocation and
    /// one `write`.
    fn head(&self, out: &mut Vec<u8>, length: Option<usize>, keep_alive: bool) {
        let mut line = |parts: &[&[u8]]| {
            for part in parts {
                out.extend_from_slice(part);
            }
            out.extend_from_slice(b"\r\n");
        };
        let status = self.status.to_string();
        line(&[
            b"HTTP/1.1 ",
            status.as_bytes(),
            b" ",
            reason(self.status).as_bytes(),
        ]);
        for (name, value) in &self.headers {
            line(&[name.as_bytes(), b": ", value.as_bytes()]);
        }
        super::clock::with_http_date_now(|date| line(&[b"date: ", date.as_bytes()]));
        match length {
            Some(n) => line(&[b"content-length: ", n.to_string().as_bytes()]),
            None => line(&[b"transfer-encoding: chunked"]),
        }
        let connection: &[u8] = if keep_alive { b"keep-alive" } else { b"close" };
        line(&[b"connection: ", connection]);
        line(&[]);
    }

    fn head_room(&self) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(name, value)| name.len() + value.len() + 4)
            .sum();
        headers + 128
    }

    /// Writes the whole response in one go.
    /// The head goes into a buffer the thread keeps, and head and body out in one `writev`:
    /// no copy of the body, no allocation.
    pub fn write(&self, stream: &mut TcpStream, keep_alive: bool) -> io::Result<()> {
        thread_local! {
            static HEAD: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        HEAD.with_borrow_mut(|head| {
            head.clear();
            self.head(head, Some(self.body.len()), keep_alive);
            write_both(stream, head, &self.body)
        })
    }

    /// Writes the head announcing the full length, then only the first half of the body; the
    /// caller closes the connection.
    pub fn write_cut(&self, stream: &mut TcpStream) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(self.head_room() + self.body.len());
        self.head(&mut bytes, Some(self.body.len()), false);
        bytes.extend_from_slice(&self.body[..self.body.len() / 2]);
        stream.write_all(&bytes)?;
        stream.flush()
    }

    /// Writes the body as chunks: first `prefix` (flushed on its own, as a server that is still
    /// thinking would), then the body.
    pub fn write_chunked(
        &self,
        stream: &mut TcpStream,
        prefix: &[u8],
        keep_alive: bool,
    ) -> io::Result<()> {
        let mut first = Vec::with_capacity(self.head_room() + prefix.len() + 16);
        self.head(&mut first, None, keep_alive);
        if !prefix.is_empty() {
            first.extend_from_slice(&chunk(prefix));
        }
        stream.write_all(&first)?;
        stream.flush()?;
        let mut rest = chunk(&self.body);
        rest.extend_from_slice(b"0\r\n\r\n");
        stream.write_all(&rest)?;
        stream.flush()
    }
}

/// `first` then `second`, in one system call when the socket takes them at once.
fn write_both(stream: &mut TcpStream, first: &[u8], second: &[u8]) -> io::Result<()> {
    let written = loop {
        match stream.write_vectored(&[io::IoSlice::new(first), io::IoSlice::new(second)]) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => break other?,
        }
    };
    if written == 0 && first.len() + second.len() > 0 {
        return Err(io::ErrorKind::WriteZero.into());
    }
    if written < first.len() {
        stream.write_all(&first[written..])?;
        stream.write_all(second)
    } else {
        stream.write_all(&second[written - first.len()..])
    }
}

fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Site Overloaded",
        _ => "Unknown",
    }
}
