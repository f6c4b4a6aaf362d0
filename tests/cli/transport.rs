//! The connection under every provider: TLS checked against the roots the platform names
//! (`SSL_CERT_FILE` here), and the proxies named by `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`.
//!
//! `tls/` holds a test CA (`ca.pem`), a server certificate it signed for 127.0.0.1 and localhost
//! (`server.pem`, `server.key`, valid 2000-2999) and an unrelated CA (`other-ca.pem`). The TLS
//! front here terminates TLS with them and passes the bytes to the plain fake.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::fake::{Api, FakeServer};
use crate::support::{Run, Workspace, ids, keywords_csv, repo_file};

const KEY: &str = "sk-deepseek-transport-key-5555";
const PROXY_USER: &str = "proxyuser";
const PROXY_PASSWORD: &str = "proxy-pass-6666";
/// `Basic` and base64 of `proxyuser:proxy-pass-6666`.
const PROXY_BASIC: &str = "Basic cHJveHl1c2VyOnByb3h5LXBhc3MtNjY2Ng==";

/// A profile sending deepseek to `base_url`.
fn setup(ws: &Workspace, server: &FakeServer, base_url: &str) {
    server.add_key(Api::OpenAi, KEY);
    ws.write(
        "config/gen/config.toml",
        format!("[providers.deepseek]\nbase_url = \"{base_url}\"\n"),
    );
    ws.write("rows.csv", keywords_csv(4));
}

fn run(ws: &Workspace, env: &[(&str, String)]) -> Run {
    let mut command: Command = ws.command(&["seo", "--pool", "deepseek=2", "rows.csv"]);
    command.env("DEEPSEEK_API_KEY", KEY);
    for (name, value) in env {
        command.env(name, value);
    }
    Run::from(command.output().expect("run gen"))
}

fn ca(name: &str) -> String {
    repo_file(&format!("tests/cli/tls/{name}"))
        .display()
        .to_string()
}

fn assert_all_rows_ok(ws: &Workspace, run: &Run) {
    run.expect_code(0);
    let mut got = ids(&ws.jsonl("rows.seo.jsonl"), "row_id");
    got.sort();
    assert_eq!(got, ["1", "2", "3", "4"]);
}

/// Neither the key nor the proxy's password is in anything the run wrote or printed.
fn assert_no_secret_shown(ws: &Workspace, run: &Run) {
    let mut texts = vec![run.stdout.clone(), run.stderr.clone()];
    for entry in std::fs::read_dir(ws.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            texts.push(String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned());
        }
    }
    for text in texts {
        assert!(!text.contains(KEY), "the key was shown: {text}");
        assert!(
            !text.contains(PROXY_PASSWORD),
            "the proxy password was shown: {text}"
        );
    }
}

/// Terminates TLS with the test server certificate and passes the bytes on to `upstream`.
/// It offers only HTTP/1.1, so a client asking for h2 by ALPN must fall back.
fn tls_front(upstream: SocketAddr) -> SocketAddr {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = vec![CertificateDer::from_pem_file(ca("server.pem")).unwrap()];
    let key = PrivateKeyDer::from_pem_file(ca("server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that does not trust the certificate aborts the handshake.
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut plain) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
    });
    addr
}

/// What a proxy was asked, one entry per connection: the first request line and the
/// `Proxy-Authorization` it carried.
type Asked = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// An HTTP proxy: CONNECT opens a tunnel, any other request is forwarded as received (the fake
/// takes the absolute form), unless it answers every request with `refusal`.
struct FakeProxy {
    addr: SocketAddr,
    asked: Asked,
}

impl FakeProxy {
    fn start(refusal: Option<&'static str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let asked: Asked = Arc::default();
        let record = asked.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let record = record.clone();
                std::thread::spawn(move || proxy_connection(client, refusal, &record));
            }
        });
        FakeProxy { addr, asked }
    }

    fn url(&self, credentials: bool) -> String {
        match credentials {
            true => format!("http://{PROXY_USER}:{PROXY_PASSWORD}@{}", self.addr),
            false => format!("http://{}", self.addr),
        }
    }

    fn asked(&self) -> Vec<(String, Option<String>)> {
        self.asked.lock().unwrap().clone()
    }
}

fn proxy_connection(mut client: TcpStream, refusal: Option<&str>, asked: &Asked) {
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let line = text.lines().next().unwrap_or_default().to_string();
    let auth = text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_string())
    });
    asked.lock().unwrap().push((line.clone(), auth));
    if let Some(status) = refusal {
        let _ = write!(
            client,
            "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let to = match method {
        "CONNECT" => target.to_string(),
        _ => target
            .strip_prefix("http://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default()
            .to_string(),
    };
    let Ok(mut upstream) = TcpStream::connect(&to) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let _ = match method {
        "CONNECT" => client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n"),
        _ => upstream.write_all(&head),
    };
    let (mut client_in, mut upstream_out) =
        (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    let forward = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_in, &mut upstream_out);
        let _ = upstream_out.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut upstream, &mut client);
    let _ = client.shutdown(Shutdown::Write);
    let _ = forward.join();
}

#[test]
fn https_to_a_provider_is_checked_against_the_platform_roots() {
    let server = FakeServer::start();
    let front = tls_front(server.addr());
    let ws = Workspace::new();
    setup(&ws, &server, &format!("https://127.0.0.1:{}", front.port()));
    let trusted = run(&ws, &[("SSL_CERT_FILE", ca("ca.pem"))]);
    assert_all_rows_ok(&ws, &trusted);
    assert_no_secret_shown(&ws, &trusted);

    let ws = Workspace::new();
    setup(&ws, &server, &format!("https://127.0.0.1:{}", front.port()));
    let before = server.request_count();
    let untrusted = run(&ws, &[("SSL_CERT_FILE", ca("other-ca.pem"))]);
    untrusted.expect_code(1);
    let (header, records) = ws.csv("rows.seo.failed.csv");
    let error = header.iter().position(|h| h == "error").unwrap();
    assert_eq!(records.len(), 4);
    assert!(
        records[0][error].contains("UnknownIssuer") && records[0][error].contains("SSL_CERT_FILE"),
        "the failure says the certificate is not trusted: {:?}",
        records[0][error]
    );
    assert_eq!(server.request_count(), before, "nothing reached the server");
}

#[test]
fn https_through_a_proxy_is_a_tunnel_opened_with_the_proxy_credentials() {
    let server = FakeServer::start();
    let front = tls_front(server.addr());
    let proxy = FakeProxy::start(None);
    let ws = Workspace::new();
    setup(&ws, &server, &format!("https://127.0.0.1:{}", front.port()));
    let run = run(
        &ws,
        &[
            ("SSL_CERT_FILE", ca("ca.pem")),
            ("HTTPS_PROXY", proxy.url(true)),
        ],
    );
    assert_all_rows_ok(&ws, &run);
    assert_no_secret_shown(&ws, &run);
    let asked = proxy.asked();
    assert!(!asked.is_empty());
    for (line, auth) in &asked {
        assert_eq!(
            line,
            &format!("CONNECT 127.0.0.1:{} HTTP/1.1", front.port())
        );
        assert_eq!(auth.as_deref(), Some(PROXY_BASIC));
    }
    // Inside the tunnel the requests are the server's: the proxy's credentials stay with it.
    for request in server.requests() {
        assert!(request.path.starts_with('/'), "{}", request.path);
        assert!(
            request
                .headers
                .iter()
                .all(|(n, _)| n != "proxy-authorization")
        );
    }
}

#[test]
fn http_through_a_proxy_is_forwarded_with_the_full_url_and_no_proxy_goes_direct() {
    let server = FakeServer::start();
    let proxy = FakeProxy::start(None);
    let ws = Workspace::new();
    setup(&ws, &server, &server.origin());
    let run_via = run(&ws, &[("HTTP_PROXY", proxy.url(true))]);
    assert_all_rows_ok(&ws, &run_via);
    assert_no_secret_shown(&ws, &run_via);
    assert!(!proxy.asked().is_empty());
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    for request in &requests {
        assert!(
            request.path.starts_with(&server.origin()),
            "a forwarding proxy needs the absolute URL: {}",
            request.path
        );
        let auth = request
            .headers
            .iter()
            .find(|(n, _)| n == "proxy-authorization");
        assert_eq!(auth.map(|(_, v)| v.as_str()), Some(PROXY_BASIC));
    }

    let ws = Workspace::new();
    setup(&ws, &server, &server.origin());
    let asked_before = proxy.asked().len();
    let direct = run(
        &ws,
        &[
            ("HTTP_PROXY", proxy.url(true)),
            ("NO_PROXY", "localhost,127.0.0.1".to_string()),
        ],
    );
    assert_all_rows_ok(&ws, &direct);
    assert_eq!(proxy.asked().len(), asked_before, "NO_PROXY went around it");
}

#[test]
fn a_proxy_that_refuses_or_cannot_be_spoken_to_is_named_and_the_key_leaves_the_pool() {
    let server = FakeServer::start();
    let front = tls_front(server.addr());
    let wants_credentials = FakeProxy::start(Some("407 Proxy Authentication Required"));
    let forbids = FakeProxy::start(Some("403 Forbidden"));
    let overloaded = FakeProxy::start(Some("503 Service Unavailable"));
    let cases = [
        (
            Some(&wants_credentials),
            wants_credentials.url(false),
            "wants credentials (407)",
            true,
        ),
        (Some(&forbids), forbids.url(true), "refused a tunnel", true),
        (
            None,
            "socks5://127.0.0.1:1".to_string(),
            "speaks only to http:// and https:// proxies",
            true,
        ),
        // A proxy's 5xx may pass: each row is tried its --max-attempts (5) times.
        (
            Some(&overloaded),
            overloaded.url(true),
            "503 Service Unavailable",
            false,
        ),
    ];
    for (proxy, proxy_url, says, for_good) in cases {
        let ws = Workspace::new();
        setup(&ws, &server, &format!("https://127.0.0.1:{}", front.port()));
        let run = run(
            &ws,
            &[
                ("SSL_CERT_FILE", ca("ca.pem")),
                ("HTTPS_PROXY", proxy_url.clone()),
            ],
        );
        run.expect_code(1);
        assert_no_secret_shown(&ws, &run);
        let (header, records) = ws.csv("rows.seo.failed.csv");
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        assert_eq!(records.len(), 4, "{proxy_url}");
        for record in &records {
            assert!(
                record[column("error")].contains(says),
                "{proxy_url}: the manifest says `{says}`: {record:?}"
            );
            let kind = &record[column("error_kind")];
            match for_good {
                true => assert!(kind == "network_setup" || kind == "no_lanes", "{kind}"),
                false => assert_eq!(kind, "connection"),
            }
        }
        if let Some(proxy) = proxy {
            let asked = proxy.asked().len();
            match for_good {
                // One attempt per lane at most: the key is out of the pool after the first.
                true => assert!(asked <= 2, "{proxy_url}: {asked} connections"),
                false => assert_eq!(asked, 4 * 5, "{proxy_url}"),
            }
        }
    }
    assert_eq!(server.request_count(), 0, "nothing got past the proxies");
}

#[test]
fn credentials_in_a_base_url_go_as_basic_auth_and_never_into_the_url_or_output() {
    const ANTHROPIC_KEY: &str = "sk-ant-transport-key-7777";
    let server = FakeServer::start();
    server.add_key(Api::Anthropic, ANTHROPIC_KEY);
    let ws = Workspace::new();
    let origin = server.origin();
    let host = origin.strip_prefix("http://").unwrap();
    ws.write(
        "config/gen/config.toml",
        format!(
            "[providers.anthropic]\nbase_url = \"http://{PROXY_USER}:proxy-pass-66%36%36@{host}\"\n"
        ),
    );
    ws.write("rows.csv", keywords_csv(4));
    let mut command = ws.command(&["seo", "--pool", "claude=1", "rows.csv"]);
    command.env("ANTHROPIC_API_KEY", ANTHROPIC_KEY);
    let run = Run::from(command.output().expect("run gen"));
    assert_all_rows_ok(&ws, &run);
    assert_no_secret_shown(&ws, &run);
    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    for request in &requests {
        assert!(request.path.starts_with("/v1/"), "{}", request.path);
        let auth = request.headers.iter().find(|(n, _)| n == "authorization");
        // The escaped `%36%36` arrives decoded: the password is `proxy-pass-6666`.
        assert_eq!(auth.map(|(_, v)| v.as_str()), Some(PROXY_BASIC));
        let host_header = request.headers.iter().find(|(n, _)| n == "host");
        assert_eq!(host_header.map(|(_, v)| v.as_str()), Some(host));
    }
}

#[test]
fn a_proxy_that_accepts_and_never_answers_costs_the_connect_timeout() {
    let server = FakeServer::start();
    let ws = Workspace::new();
    setup(&ws, &server, "https://127.0.0.1:9");
    // Accepts connections and keeps them open without a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<TcpStream> = silent.incoming().flatten().collect();
        drop(held);
    });
    let mut command = ws.command(&[
        "seo",
        "--pool",
        "deepseek=1",
        "--max-attempts",
        "1",
        "--connect-timeout",
        "300ms",
        "--timeout",
        "30s",
        "rows.csv",
    ]);
    command
        .env("DEEPSEEK_API_KEY", KEY)
        .env("HTTPS_PROXY", &silent_url);
    let run = Run::from(command.output().expect("run gen"));
    run.expect_code(1);
    let (header, records) = ws.csv("rows.seo.failed.csv");
    let error = header.iter().position(|h| h == "error").unwrap();
    assert_eq!(records.len(), 4);
    for record in &records {
        assert!(
            record[error].contains("no connection within 300ms"),
            "the connect timeout, not the request's: {:?}",
            record[error]
        );
    }
}
