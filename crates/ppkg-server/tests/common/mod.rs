//! Shared helpers of the HTTP tests: a server on 127.0.0.1:0 with the shipped example as
//! its template, and a minimal HTTP/1.1 client over a raw socket (so that tests can also send
//! partial, slow or oversized requests).
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use ppkg_server::{Config, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A template folder holding the shipped example profile and its asset.
pub fn template_dir() -> tempfile::TempDir {
    let root = ppkg_testdata::workspace_root().join("examples");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        root.join("bulk-enrollment.toml"),
        dir.path().join("bulk-enrollment.toml"),
    )
    .expect("copy example");
    std::fs::create_dir_all(dir.path().join("assets")).expect("assets dir");
    std::fs::copy(
        root.join("assets/example-test-root-ca.cer"),
        dir.path().join("assets/example-test-root-ca.cer"),
    )
    .expect("copy asset");
    dir
}

/// A configuration for `dir` on 127.0.0.1:0, with `extra` TOML appended (`[limits]` …).
pub fn config(dir: &Path, extra: &str) -> Config {
    let text = format!(
        "listen = \"127.0.0.1:0\"\ntemplates = {:?}\n{extra}",
        dir.display().to_string()
    );
    Config::parse(&text, "test.toml", Path::new("/")).expect("test config")
}

pub async fn start(dir: &Path, extra: &str) -> Server {
    Server::start(config(dir, extra))
        .await
        .expect("server starts")
}

/// A server on the shipped example template with `extra` configuration; the template folder
/// lives as long as the returned guard.
pub async fn serve(extra: &str) -> (tempfile::TempDir, Server) {
    let dir = template_dir();
    let s = start(dir.path(), extra).await;
    (dir, s)
}

/// A response: status, headers (lower-case names), body (de-chunked).
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body[..self.body.len().min(500)])
            )
        })
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request (`Connection: close`) and reads the whole response.
pub async fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.expect("write head");
    s.write_all(body).await.expect("write body");
    read_response(&mut s).await
}

pub async fn get(addr: std::net::SocketAddr, path: &str) -> Resp {
    request(addr, "GET", path, &[], b"").await
}

pub async fn post_json(addr: std::net::SocketAddr, path: &str, v: &serde_json::Value) -> Resp {
    request(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        &serde_json::to_vec(v).expect("json"),
    )
    .await
}

/// `POST` of `body` as `content_type`.
pub async fn post(addr: std::net::SocketAddr, path: &str, content_type: &str, body: &[u8]) -> Resp {
    request(addr, "POST", path, &[("Content-Type", content_type)], body).await
}

/// `POST /v1/inspect` of a package (with its password, if any).
/// POSTs a devices CSV (`text/csv`) to `path`.
pub async fn post_csv(addr: std::net::SocketAddr, path: &str, csv: &[u8]) -> Resp {
    post(addr, path, "text/csv", csv).await
}

pub async fn inspect(addr: std::net::SocketAddr, package: &[u8], password: Option<&str>) -> Resp {
    let mut headers = vec![("Content-Type", "application/octet-stream")];
    if let Some(p) = password {
        headers.push(("X-Package-Password", p));
    }
    request(addr, "POST", "/v1/inspect", &headers, package).await
}

/// Asserts a problem+json answer of this status and `type` slug; returns its JSON.
pub fn assert_problem(r: &Resp, status: u16, slug: &str) -> serde_json::Value {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let j = r.json();
    assert_eq!(j["type"], format!("urn:ppkg:problem:{slug}"), "{j}");
    j
}

/// Reads a response until the server closes the connection (30 s at most).
pub async fn read_response(s: &mut TcpStream) -> Resp {
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut raw))
        .await
        .expect("response within 30 s")
        .expect("read");
    parse(&raw)
}

pub fn parse(raw: &[u8]) -> Resp {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Resp {
        status,
        headers,
        body,
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(nl) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&b[..nl])
                .split(';')
                .next()
                .unwrap_or("0")
                .trim(),
            16,
        )
        .expect("chunk size");
        b = &b[nl + 2..];
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
    out
}

/// Writes bytes to a temporary file and runs `wimlib-imagex verify` on it (skipped with a
/// notice when the tool is missing, failing under PPKG_REQUIRE_REFERENCE=1).
pub fn wimlib_verify(bytes: &[u8]) {
    if !ppkg_testdata::tool("wimlib-imagex") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let p: PathBuf = dir.path().join("p.ppkg");
    std::fs::write(&p, bytes).expect("write");
    let out = std::process::Command::new("wimlib-imagex")
        .arg("verify")
        .arg(&p)
        .output()
        .expect("run wimlib-imagex");
    assert!(
        out.status.success(),
        "wimlib-imagex verify failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
