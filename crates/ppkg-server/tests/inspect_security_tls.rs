//! The server and the CLI share one inspect document; requests never make the server read its
//! own files; TLS from the configuration serves HTTPS (a certificate made at test time).

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::{assert_problem, post, post_json, start, template_dir};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type T = Result<(), Box<dyn std::error::Error>>;

/// The `ppkg` binary beside this test's executable (built with the ppkg-cli tests).
fn ppkg_bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("ppkg");
    bin.is_file().then_some(bin)
}

/// `POST /v1/inspect` answers exactly the document `ppkg inspect --json` prints for the same
/// package (both come from `ppkg::inspect`), secrets masked in both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspect_is_the_cli_document() -> T {
    let Some(bin) = ppkg_bin() else {
        assert!(
            std::env::var_os("PPKG_REQUIRE_REFERENCE").is_none(),
            "the ppkg binary is not built (cargo test -p ppkg-cli builds it)"
        );
        eprintln!("note: skipping: the ppkg binary is not built");
        return Ok(());
    };
    let (_dir, s) = common::serve("").await;
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"template": "bulk-enrollment", "device": {"serial": "S1", "enrollment_secret": "Marker-Secret-77"}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let work = tempfile::tempdir()?;
    std::fs::write(work.path().join("p.ppkg"), &r.body)?;
    let out = std::process::Command::new(bin)
        .args(["inspect", "--json", "p.ppkg"])
        .current_dir(work.path())
        .env_remove("PPKG_PASSWORD")
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let server = common::request(
        s.addr,
        "POST",
        "/v1/inspect?file=p.ppkg",
        &[("Content-Type", "application/octet-stream")],
        &r.body,
    )
    .await;
    assert_eq!(server.status, 200, "{}", server.text());
    assert_eq!(server.json(), cli);
    assert!(cli["compiled"].as_array().is_some_and(|g| !g.is_empty()));
    assert!(
        cli["wifi"].as_array().is_some_and(|w| !w.is_empty()),
        "the Wi-Fi view"
    );
    assert!(
        !server.text().contains("Marker-Secret-77"),
        "secrets masked"
    );
    s.shutdown().await;
    Ok(())
}

/// Settings that name a file (`*Path`, `*File`) are refused when a request gives them —
/// per-device settings, CSV columns, a posted profile's raw settings and its asset paths —
/// with a problem naming the setting path; nothing of the server's disk reaches a package.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_cannot_read_server_files() -> T {
    let (dir, s) = common::serve("").await;
    let secret_file = dir.path().join("assets/example-test-root-ca.cer");
    let secret_file = secret_file.display().to_string();
    let pfx_path =
        "Certificates/ClientCertificates/ClientCertificate[CertificateName=Dev]/CertificatePath";
    // A per-device setting on a template.
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"template": "bulk-enrollment", "settings": {pfx_path: secret_file}}),
    )
    .await;
    let j = assert_problem(&r, 422, "invalid-input");
    assert_eq!(j["path"], pfx_path, "{j}");
    assert_eq!(j["diagnostics"][0]["code"], "FileSettingRefused", "{j}");
    // A raw setting of a posted profile.
    let cmd = "ProvisioningCommands/PrimaryContext/Command[Name=x]/CommandFile";
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"profile": {"package": {"name": "P", "version": "1.0"},
                "settings": [{"path": cmd, "value": secret_file}]}}),
    )
    .await;
    assert_eq!(assert_problem(&r, 422, "invalid-input")["path"], cmd);
    // A posted profile's certificate that is not sent inline (absolute and relative paths).
    for path in [secret_file.as_str(), "assets/example-test-root-ca.cer"] {
        let r = post_json(
            s.addr,
            "/v1/packages",
            &json!({"profile": {"package": {"name": "P", "version": "1.0"},
                    "root_certificates": [{"name": "R", "certificate": path}]}}),
        )
        .await;
        let j = assert_problem(&r, 422, "invalid-input");
        assert_eq!(j["diagnostics"][0]["code"], "FileSettingRefused", "{j}");
        assert!(
            j["path"].as_str().unwrap_or("").contains("RootCertificate"),
            "{j}"
        );
    }
    // Sent inline, the same certificate builds.
    use base64::Engine as _;
    let cer = std::fs::read(&secret_file)?;
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"profile": {"package": {"name": "P", "version": "1.0"},
                "root_certificates": [{"name": "R", "certificate": "root.cer"}]},
                "assets": {"root.cer": base64::engine::general_purpose::STANDARD.encode(&cer)}}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // A CSV column: refused, naming the row.
    let csv = format!("serial,/{pfx_path}\nA1,{secret_file}\n");
    let r = post(
        s.addr,
        "/v1/bulk?template=bulk-enrollment",
        "text/csv",
        csv.as_bytes(),
    )
    .await;
    let j = assert_problem(&r, 422, "invalid-input");
    assert_eq!(j["file"], "devices.csv", "{j}");
    assert_eq!(j["line"], 2, "{j}");
    assert_eq!(j["diagnostics"][0]["code"], "FileSettingRefused", "{j}");
    // Validation of a posted TOML profile reports the file setting instead of reading it.
    let toml = format!(
        "[package]\nname = \"T\"\nversion = \"1.0\"\n\n[[root_certificates]]\nname = \"R\"\ncertificate = {secret_file:?}\n"
    );
    let r = post(s.addr, "/v1/validate", "application/toml", toml.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["valid"], false, "{j}");
    assert!(
        j["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == "FileSettingRefused")),
        "{j}"
    );
    s.shutdown().await;
    Ok(())
}

/// Sends one request over TLS and reads the whole answer.
async fn https(
    addr: std::net::SocketAddr,
    roots: &tokio_rustls::rustls::RootCertStore,
    head_and_body: &[u8],
) -> Result<common::Resp, Box<dyn std::error::Error>> {
    use tokio_rustls::rustls;
    let cfg = rustls::ClientConfig::builder()
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tcp = TcpStream::connect(addr).await?;
    let name = rustls_pki_types::ServerName::try_from("localhost")?;
    let mut tls = connector.connect(name, tcp).await?;
    tls.write_all(head_and_body).await?;
    let mut raw = Vec::new();
    tls.read_to_end(&mut raw).await?;
    Ok(common::parse(&raw))
}

/// `[tls]` with a certificate and key made at test time (rcgen): HTTPS answers, a package
/// built over it verifies, and plain HTTP on the same port gets no HTTP answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_from_the_configuration() -> T {
    let dir = template_dir();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
    let cert = dir.path().join("server.pem");
    let key = dir.path().join("server-key.pem");
    std::fs::write(&cert, ck.cert.pem())?;
    std::fs::write(&key, ck.key_pair.serialize_pem())?;
    let s = start(
        dir.path(),
        &format!(
            "[tls]\ncert = {:?}\nkey = {:?}\n",
            cert.display().to_string(),
            key.display().to_string()
        ),
    )
    .await;
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    roots.add(ck.cert.der().clone())?;
    let r = https(
        s.addr,
        &roots,
        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await?;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    let body =
        serde_json::to_vec(&json!({"template": "bulk-enrollment", "device": {"serial": "TLS1"}}))?;
    let mut req = format!(
        "POST /v1/packages HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let r = https(s.addr, &roots, &req).await?;
    assert_eq!(r.status, 200, "{}", r.text());
    common::wimlib_verify(&r.body);
    // Plain HTTP to the TLS port: no HTTP response.
    let mut plain = TcpStream::connect(s.addr).await?;
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .await?;
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        plain.read_to_end(&mut raw),
    )
    .await;
    assert!(
        !raw.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&raw)
    );
    // An untrusted client refuses the certificate.
    let empty = tokio_rustls::rustls::RootCertStore::empty();
    assert!(https(s.addr, &empty, b"GET /healthz HTTP/1.1\r\n\r\n")
        .await
        .is_err());
    s.shutdown().await;
    Ok(())
}
