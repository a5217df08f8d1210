//! Secrets never reach the logs: requests carry marker passwords, Wi-Fi keys, PFX passwords
//! and tokens; an encrypted build's generated password is read from its response; then the
//! captured JSON log lines are searched for every marker.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_logs() {
    let cap = Capture::default();
    let writer = cap.clone();
    tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();
    let dir = common::template_dir();
    let tok = dir.path().join("tokens.txt");
    std::fs::write(&tok, "MARKER-TOKEN-7f3a9c1e\n").expect("token file");
    let s = common::start(
        dir.path(),
        &format!("token_file = {:?}\n", tok.display().to_string()),
    )
    .await;
    let auth = ("Authorization", "Bearer MARKER-TOKEN-7f3a9c1e");
    let mut generated = Vec::new();
    let reqs = [
        json!({"template": "bulk-enrollment", "device": {"enrollment_secret": "MARKER-SECRET-11aa", "wifi_key": "MARKER-WIFI-22bb"}}),
        json!({"template": "bulk-enrollment", "encrypt": true, "device": {"enrollment_secret": "MARKER-SECRET-33cc"}}),
        // Invalid: the error must not echo the secret either.
        json!({"template": "bulk-enrollment", "device": {"wifi_key": "MARKER-WIFI-44"}}),
        json!({"profile": {"package": {"name": "P"}, "enrollments": [{"upn": "bad", "auth_policy": "OnPremise", "secret": "MARKER-SECRET-55dd"}]}}),
    ];
    for r in &reqs {
        let resp = common::request(
            s.addr,
            "POST",
            "/v1/packages",
            &[("Content-Type", "application/json"), auth],
            &serde_json::to_vec(r).expect("json"),
        )
        .await;
        if let Some(pw) = resp.header("x-package-password") {
            generated.push(pw.to_owned());
        }
        let text = resp.text();
        for m in ["MARKER-SECRET", "MARKER-WIFI"] {
            if resp.status != 200 {
                assert!(!text.contains(m), "error response echoes a secret: {text}");
            }
        }
    }
    assert_eq!(
        generated.len(),
        1,
        "the encrypted build returned its password"
    );
    let resp = common::request(
        s.addr,
        "POST",
        "/v1/validate",
        &[("Content-Type", "application/json"), auth],
        &serde_json::to_vec(&reqs[3]).expect("json"),
    )
    .await;
    assert!(!resp.text().contains("MARKER-SECRET"), "{}", resp.text());
    let resp = common::request(
        s.addr,
        "POST",
        "/v1/certificates/thumbprint",
        &[("Content-Type", "application/json"), auth],
        br#"{"pfx": "AAAA", "password": "MARKER-PFX-66ee"}"#,
    )
    .await;
    assert_eq!(resp.status, 422);
    assert!(!resp.text().contains("MARKER-PFX"));
    let resp = common::request(
        s.addr,
        "GET",
        "/v1/templates",
        &[("Authorization", "Bearer MARKER-WRONG-TOKEN-77")],
        b"",
    )
    .await;
    assert_eq!(resp.status, 401);
    s.shutdown().await;
    let logs = String::from_utf8(cap.0.lock().expect("lock").clone()).expect("utf8 logs");
    let lines = logs.lines().filter(|l| l.contains("\"request\"")).count();
    assert!(
        lines >= 7,
        "one line per request was logged ({lines}):\n{logs}"
    );
    for l in logs.lines() {
        serde_json::from_str::<serde_json::Value>(l).expect("every log line is JSON");
    }
    let mut markers = vec![
        "MARKER-TOKEN",
        "MARKER-SECRET",
        "MARKER-WIFI",
        "MARKER-PFX",
        "MARKER-WRONG",
        "Example-Passw0rd",
        "example-wifi-key",
    ];
    markers.extend(generated.iter().map(String::as_str));
    for m in markers {
        assert!(!logs.contains(m), "{m} is in the logs:\n{logs}");
    }
}
