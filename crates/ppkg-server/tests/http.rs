//! HTTP tests of every route, status code and limit, against a server on 127.0.0.1:0.

mod common;

use std::time::{Duration, Instant};

use common::{get, post_json, request, start, template_dir, wimlib_verify};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type T = Result<(), Box<dyn std::error::Error>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_ready_metrics_openapi() -> T {
    let (_dir, s) = common::serve("").await;
    let r = get(s.addr, "/healthz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
    let r = get(s.addr, "/readyz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["templates"], 1);
    let r = get(s.addr, "/metrics").await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/plain"));
    let m = r.text();
    assert!(
        m.contains("ppkg_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"),
        "{m}"
    );
    assert!(m.contains("ppkg_templates_loaded 1"), "{m}");
    let r = get(s.addr, "/openapi.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["openapi"].as_str().map(|v| v.starts_with("3.")),
        Some(true)
    );
    s.shutdown().await;
    Ok(())
}

/// Every route of the router is in the OpenAPI document with its method, the document has
/// no route the router lacks, and each route answers (not 404/405) — while an unknown path
/// gets a 404 problem, so the check can fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_documents_every_route() -> T {
    let doc = serde_json::to_value(ppkg_server::app::openapi_document())?;
    let paths = doc["paths"].as_object().ok_or("no paths")?;
    let mut documented = Vec::new();
    for (p, item) in paths {
        for m in ["get", "post", "put", "delete", "patch"] {
            if item.get(m).is_some() {
                documented.push((m.to_ascii_uppercase(), p.clone()));
            }
        }
    }
    documented.sort();
    let mut routes: Vec<(String, String)> = ppkg_server::app::ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    routes.sort();
    assert_eq!(documented, routes, "OpenAPI paths and router routes differ");
    let (_dir, s) = common::serve("").await;
    for (m, p) in ppkg_server::app::ROUTES {
        let path = p.replace("{hresult}", "0x80180014");
        let r = request(
            s.addr,
            m,
            &path,
            &[("Content-Type", "application/json")],
            b"{}",
        )
        .await;
        assert!(
            r.status != 404 && r.status != 405,
            "{m} {p} answered {} (route missing from the router?)",
            r.status
        );
    }
    let r = get(s.addr, "/v1/nothing-here").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.json()["type"], "urn:ppkg:problem:not-found");
    s.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_is_embedded_with_a_strict_policy() -> T {
    let (_dir, s) = common::serve("").await;
    let r = get(s.addr, "/").await;
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/html"));
    assert!(r
        .header("content-security-policy")
        .unwrap_or("")
        .contains("default-src 'self'"));
    let html = r.text();
    assert!(html.contains("id=\"upn\"") && html.contains("/app.js"));
    assert!(
        !html.contains("http://") && !html.contains("https://cdn"),
        "no external resources"
    );
    for (p, ct) in [("/app.js", "text/javascript"), ("/app.css", "text/css")] {
        let r = get(s.addr, p).await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").unwrap_or("").starts_with(ct));
        assert!(
            !r.text().contains("//cdn."),
            "{p} loads nothing from elsewhere"
        );
    }
    s.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_explain_schedule() -> T {
    let (_dir, s) = common::serve("").await;
    let r = get(s.addr, "/v1/templates").await;
    assert_eq!(r.status, 200);
    let j = r.json();
    assert_eq!(j["templates"][0]["name"], "bulk-enrollment");
    assert_eq!(
        j["templates"][0]["enrollments"][0]["upn"],
        "enroll@example.com"
    );
    assert!(
        !r.text().contains("Example-Passw0rd"),
        "no secret in the template list"
    );

    let r = get(s.addr, "/v1/explain/0x80180014").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["name"], "MENROLL_E_DEVICENOTSUPPORTED");
    let r = get(s.addr, "/v1/explain/-2145910764").await;
    assert_eq!(r.json()["code"], "0x80180014");
    let r = get(s.addr, "/v1/explain/nonsense").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.json()["type"], "urn:ppkg:problem:bad-hresult");

    let r = get(s.addr, "/v1/schedule").await;
    assert_eq!(r.status, 200);
    let j = r.json();
    let entries = j["entries"].as_array().ok_or("entries")?;
    assert!(entries.iter().filter(|e| e["kind"] == "attempt").count() >= 7);
    let r = get(s.addr, "/v1/schedule?fail=4").await;
    let j = r.json();
    assert!(j["end"].is_object(), "{j}");
    assert!(
        r.text().contains("succeeded") || r.text().contains("applied"),
        "{}",
        r.text()
    );
    let r = get(s.addr, "/v1/schedule?code=0xZZ").await;
    assert_eq!(r.status, 400);
    let r = get(s.addr, "/v1/schedule?fail=x").await;
    assert_eq!(r.status, 400);
    s.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_device_package_from_a_template() -> T {
    let (_dir, s) = common::serve("").await;
    let req = json!({
        "template": "bulk-enrollment",
        "device": { "serial": "SN-0042", "computer_name": "LAB-%RAND:4%", "enrollment_secret": "Device-Secret-1" },
        "package": { "name": "Lab {serial}", "version": "3.2", "rank": 5 }
    });
    let r = post_json(s.addr, "/v1/packages", &req).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"Lab_SN-0042.ppkg\"")
    );
    let id1 = r.header("x-package-id").ok_or("no package id")?.to_owned();
    assert!(r.header("x-package-password").is_none());
    wimlib_verify(&r.body);
    let i = common::inspect(s.addr, &r.body, None).await;
    assert_eq!(i.status, 200, "{}", i.text());
    let j = i.json();
    assert_eq!(j["metadata"]["name"], "Lab SN-0042");
    assert_eq!(j["metadata"]["version"], "3.2");
    assert_eq!(
        j["metadata"]["package_id"]
            .as_str()
            .map(str::to_ascii_lowercase),
        Some(id1.to_ascii_lowercase())
    );
    let text = i.text();
    assert!(text.contains("LAB-%RAND:4%"), "computer name override");
    assert!(
        !text.contains("Device-Secret-1"),
        "secrets masked in inspect"
    );
    // A second request gets another package ID.
    let r2 = post_json(s.addr, "/v1/packages", &req).await;
    assert_eq!(r2.status, 200);
    assert_ne!(r2.header("x-package-id"), Some(id1.as_str()));
    s.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn package_errors_are_problems_with_place() -> T {
    let (_dir, s) = common::serve("").await;
    // Unknown template.
    let r = post_json(s.addr, "/v1/packages", &json!({"template": "nope"})).await;
    common::assert_problem(&r, 404, "unknown-template");
    // Neither or both.
    let r = post_json(s.addr, "/v1/packages", &json!({})).await;
    assert_eq!(r.status, 400);
    // Malformed JSON: line and column of the fault.
    let r = common::post(
        s.addr,
        "/v1/packages",
        "application/json",
        b"{\n  \"template\": \"x\",\n  oops\n}",
    )
    .await;
    assert_eq!(r.status, 400);
    let j = r.json();
    assert_eq!(j["line"], 3, "{j}");
    assert_eq!(j["column"], 3, "{j}");
    // Unknown field.
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"template": "bulk-enrollment", "colour": 1}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.json()["detail"].as_str().unwrap_or("").contains("colour"));
    // An invalid per-device value: 422 with the setting path.
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"template": "bulk-enrollment", "device": {"upn": "no upn"}}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let j = r.json();
    assert_eq!(j["type"], "urn:ppkg:problem:invalid-input");
    assert!(
        j["path"]
            .as_str()
            .unwrap_or("")
            .starts_with("Workplace/Enrollments/UPN"),
        "{j}"
    );
    assert!(j["diagnostics"]
        .as_array()
        .is_some_and(|d| d.iter().any(|d| d["code"] == "UpnSyntax")));
    // Inline profile with a bad version.
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"profile": {"package": {"name": "P", "version": "1.x"}}}),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["path"], "PackageConfig/Version");
    // Signing not configured.
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"template": "bulk-enrollment", "sign": true}),
    )
    .await;
    common::assert_problem(&r, 400, "signing-not-configured");
    s.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_package_password_once() -> T {
    let (_dir, s) = common::serve("").await;
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"template": "bulk-enrollment", "encrypt": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let pw = r
        .header("x-package-password")
        .ok_or("no password")?
        .to_owned();
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!((8..=16).contains(&pw.len()));
    let no = common::inspect(s.addr, &r.body, None).await;
    let j = common::assert_problem(&no, 422, "invalid-input");
    assert_eq!(j["diagnostics"][0]["code"], "InputUnreadable");
    assert!(
        j["detail"]
            .as_str()
            .unwrap_or("")
            .contains("X-Package-Password"),
        "{j}"
    );
    let yes = common::inspect(s.addr, &r.body, Some(&pw)).await;
    assert_eq!(yes.status, 200, "{}", yes.text());
    assert_eq!(yes.json()["encrypted"], true);
    assert_eq!(yes.json()["metadata"]["name"], "Example bulk enrollment");
    s.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_every_input_kind() -> T {
    let (_dir, s) = common::serve("").await;
    // TOML profile: diagnostics at their key's line and column.
    let toml = "[package]\nname = \"T\"\n\n[[enrollments]]\nupn = \"bad upn\"\nauth_policy = \"OnPremise\"\ndiscovery_service_full_url = \"https://e.example.com/d.svc\"\nsecret = \"x-long-password\"\n";
    let r = common::post(s.addr, "/v1/validate", "application/toml", toml.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["valid"], false);
    let d = j["diagnostics"]
        .as_array()
        .ok_or("diags")?
        .iter()
        .find(|d| d["code"] == "UpnSyntax")
        .ok_or("no UpnSyntax")?
        .clone();
    assert_eq!(d["line"], 5, "{d}");
    assert!(d["column"].as_u64().is_some());
    // TOML syntax error: line and column.
    let r = common::post(
        s.addr,
        "/v1/validate",
        "application/toml",
        b"[package]\nname = \n",
    )
    .await;
    let j = r.json();
    assert_eq!(j["valid"], false);
    assert_eq!(j["diagnostics"][0]["line"], 2, "{j}");
    // JSON package request (what the page sends).
    let r = post_json(
        s.addr,
        "/v1/validate",
        &json!({"template": "bulk-enrollment"}),
    )
    .await;
    assert_eq!(r.json()["valid"], true, "{}", r.text());
    // Answer file.
    let pkg = post_json(
        s.addr,
        "/v1/packages",
        &json!({"template": "bulk-enrollment"}),
    )
    .await;
    let insp = common::inspect(s.addr, &pkg.body, None).await;
    assert_eq!(insp.status, 200);
    let r = common::post(
        s.addr,
        "/v1/validate",
        "application/xml",
        b"<WindowsCustomizations><oops",
    )
    .await;
    assert_eq!(r.json()["valid"], false);
    // Package.
    let r = common::post(
        s.addr,
        "/v1/validate",
        "application/octet-stream",
        &pkg.body,
    )
    .await;
    assert_eq!(r.json()["valid"], true, "{}", r.text());
    let r = common::post(
        s.addr,
        "/v1/validate",
        "application/octet-stream",
        b"not a wim",
    )
    .await;
    assert_eq!(r.json()["valid"], false);
    // Unsupported type.
    let r = common::post(s.addr, "/v1/validate", "image/png", b"x").await;
    assert_eq!(r.status, 415);
    // Inspect of garbage.
    let r = common::inspect(s.addr, b"garbage", None).await;
    assert_eq!(r.status, 422);
    s.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_csv_and_json_stream_a_zip() -> T {
    let (_dir, s) = common::serve("").await;
    let csv = "serial,computer_name,enrollment_secret\nA1,LAB-A1,Secret-A1-long\nA2,LAB-A2,Secret-A2-long\nA3,,\n";
    let r = common::post_csv(
        s.addr,
        "/v1/bulk?template=bulk-enrollment&name=Dev%20%7Bserial%7D",
        csv.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/zip"));
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(r.body.clone()))?;
    assert_eq!(z.len(), 3);
    let mut names: Vec<String> = z.file_names().map(str::to_owned).collect();
    names.sort();
    assert_eq!(names, ["Dev_A1.ppkg", "Dev_A2.ppkg", "Dev_A3.ppkg"]);
    let mut one = Vec::new();
    std::io::Read::read_to_end(&mut z.by_name("Dev_A2.ppkg")?, &mut one)?;
    wimlib_verify(&one);
    let i = common::inspect(s.addr, &one, None).await;
    assert_eq!(i.json()["metadata"]["name"], "Dev A2");
    assert!(i.text().contains("LAB-A2"));
    // JSON rows.
    let r = post_json(
        s.addr,
        "/v1/bulk",
        &json!({"template": "bulk-enrollment", "rows": [{"serial": "J1"}, {"serial": "J2"}]}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(zip::ZipArchive::new(std::io::Cursor::new(r.body))?.len(), 2);
    // A bad row: 422 naming its CSV line, before anything is streamed.
    let bad = "serial,upn\nB1,ok@example.com\nB2,not-a-upn\n";
    let r = common::post_csv(s.addr, "/v1/bulk?template=bulk-enrollment", bad.as_bytes()).await;
    let j = common::assert_problem(&r, 422, "invalid-input");
    assert_eq!(j["file"], "devices.csv", "{j}");
    assert_eq!(j["line"], 3, "{j}");
    // Columns nobody would read are refused at their header position: a setting path without
    // the leading `/` is a setting, an undeclared variable or a repeated column is an error.
    let csv = "serial,Accounts/ComputerAccount/ComputerName,Workplace/Enrollments/UPN[enroll@example.com]/Secret\nP1,SRV-PC-1,PerDeviceSecret1\n";
    let r = common::post_csv(s.addr, "/v1/bulk?template=bulk-enrollment", csv.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(r.body.clone()))?;
    let mut one = Vec::new();
    std::io::Read::read_to_end(&mut z.by_index(0)?, &mut one)?;
    let i = common::inspect(s.addr, &one, None).await;
    assert!(i.text().contains("SRV-PC-1"), "{}", i.text());
    for (csv, col, what) in [
        ("serial,computre_name\nA,B\n", 2, "unknown column"),
        ("serial,colour\nA,red\n", 2, "?vars=colour"),
        (
            "computer_name,/Accounts/ComputerAccount/ComputerName\nA,B\n",
            2,
            "column 1",
        ),
        ("serial,serial\nA,B\n", 2, "column 1"),
    ] {
        let r = common::post_csv(s.addr, "/v1/bulk?template=bulk-enrollment", csv.as_bytes()).await;
        let j = common::assert_problem(&r, 422, "invalid-input");
        assert_eq!(
            (j["line"].as_u64(), j["column"].as_u64()),
            (Some(1), Some(col)),
            "{j}"
        );
        assert!(j.to_string().contains(what), "{j}");
    }
    let r = common::post_csv(
        s.addr,
        "/v1/bulk?template=bulk-enrollment&vars=colour",
        b"serial,colour\nA,red\n",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = common::post_csv(s.addr, "/v1/bulk?template=bulk-enrollment", b"").await;
    assert_eq!(r.status, 422, "{}", r.text());
    let r = post_json(
        s.addr,
        "/v1/bulk",
        &json!({"template": "bulk-enrollment", "rows": []}),
    )
    .await;
    common::assert_problem(&r, 422, "no-rows");
    // CSV without a template.
    let r = common::post_csv(s.addr, "/v1/bulk", bad.as_bytes()).await;
    assert_eq!(r.status, 400);
    s.shutdown().await;
    Ok(())
}

/// More rows than one build window (4 per build permit): all rows are checked before the first
/// byte, so a bad row near the end is still a 422 naming its line; a good run streams every
/// package, in row order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_beyond_one_window_checks_every_row_first() -> T {
    let (_dir, s) = common::serve("").await;
    let rows = |bad: Option<usize>| {
        let mut csv = String::from("serial,upn\n");
        for i in 0..60 {
            let upn = if Some(i) == bad { "not-a-upn" } else { "" };
            csv.push_str(&format!("S{i:02},{upn}\n"));
        }
        csv
    };
    let path = "/v1/bulk?template=bulk-enrollment&name=Dev%20%7Bserial%7D";
    let r = common::post_csv(s.addr, path, rows(Some(57)).as_bytes()).await;
    let j = common::assert_problem(&r, 422, "invalid-input");
    assert_eq!(j["file"], "devices.csv", "{j}");
    assert_eq!(j["line"], 59, "{j}");
    let r = common::post_csv(s.addr, path, rows(None).as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let z = zip::ZipArchive::new(std::io::Cursor::new(r.body))?;
    let names: Vec<String> = z.file_names().map(str::to_owned).collect();
    let want: Vec<String> = (0..60).map(|i| format!("Dev_S{i:02}.ppkg")).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, want);
    s.shutdown().await;
    Ok(())
}

/// A secret sent with the wrong JSON type is refused without being repeated in the problem
/// (serde's message would quote it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrongly_typed_secrets_are_not_echoed() -> T {
    let (_dir, s) = common::serve("").await;
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"template": "bulk-enrollment", "device": {"enrollment_secret": 98765432123u64}}),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("invalid type"), "{}", r.text());
    assert!(!r.text().contains("98765432123"), "{}", r.text());
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"profile": {"package": {"name": "P", "version": "1.0"},
            "local_users": [{"name": "admin", "password": 98765432123u64, "group": "Administrators"}]}}),
    )
    .await;
    assert!(r.status >= 400, "{}", r.text());
    assert!(!r.text().contains("98765432123"), "{}", r.text());
    s.shutdown().await;
    Ok(())
}

/// Errors the framework answers (a body over the limit, a query that does not parse, a wrong
/// method) are RFC 9457 problems too, like every other error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framework_errors_are_problems() -> T {
    let dir = template_dir();
    let s = start(dir.path(), "[limits]\ninspect_body_bytes = 5000\n").await;
    let r = common::inspect(s.addr, &vec![0u8; 6000], None).await;
    common::assert_problem(&r, 413, "body-too-large");
    let r = common::get(s.addr, "/v1/schedule?fail=-1").await;
    common::assert_problem(&r, 400, "bad-request");
    let r = common::get(s.addr, "/v1/bulk").await;
    common::assert_problem(&r, 405, "method-not-allowed");
    assert!(
        r.header("allow").is_some_and(|a| a.contains("POST")),
        "{:?}",
        r.headers
    );
    s.shutdown().await;
    Ok(())
}

/// A body announced larger than the route's limit is refused with 413 before it is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_limits_per_route() -> T {
    let dir = template_dir();
    let s = start(
        dir.path(),
        "[limits]\npackages_body_bytes = 1000\ninspect_body_bytes = 5000\n",
    )
    .await;
    // Headers only: the server must answer without waiting for the 10 MB.
    let mut c = TcpStream::connect(s.addr).await?;
    c.write_all(b"POST /v1/packages HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n").await?;
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), c.read(&mut buf)).await??;
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    // Chunked (no length): cut off once over the limit.
    let r = common::inspect(s.addr, &vec![0u8; 6000], None).await;
    assert_eq!(r.status, 413);
    let r = common::inspect(s.addr, &vec![0u8; 4000], None).await;
    assert_eq!(r.status, 422, "under the limit: read, and not a package");
    s.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_limit_answers_503_with_retry_after() -> T {
    let (_dir, s) = common::serve("[limits]\nmax_concurrent = 1\n").await;
    // Hold the only permit: a request whose body is still coming.
    let mut slow = TcpStream::connect(s.addr).await?;
    slow.write_all(b"POST /v1/validate HTTP/1.1\r\nHost: t\r\nContent-Type: application/toml\r\nContent-Length: 20\r\nConnection: close\r\n\r\n[package]").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = get(s.addr, "/v1/templates").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.json()["type"], "urn:ppkg:problem:busy");
    slow.write_all(b"\nname = \"x\"").await?;
    let done = common::read_response(&mut slow).await;
    assert_eq!(done.status, 200);
    let r = get(s.addr, "/v1/templates").await;
    assert_eq!(r.status, 200, "the permit is back");
    s.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_time_out() -> T {
    let dir = template_dir();
    let s = start(
        dir.path(),
        "[limits]\nheader_read_timeout_secs = 1\nrequest_timeout_secs = 1\n",
    )
    .await;
    // Headers never finished: the connection is closed after the header-read timeout.
    let mut c = TcpStream::connect(s.addr).await?;
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n").await?;
    let t0 = Instant::now();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), c.read_to_end(&mut buf)).await?;
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "closed after {:?}",
        t0.elapsed()
    );
    // Body never finished: 408 after the request timeout.
    let mut c = TcpStream::connect(s.addr).await?;
    c.write_all(b"POST /v1/validate HTTP/1.1\r\nHost: t\r\nContent-Type: application/toml\r\nContent-Length: 100\r\n\r\n[pack").await?;
    let r = common::read_response(&mut c).await;
    common::assert_problem(&r, 408, "timeout");
    s.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens() -> T {
    let dir = template_dir();
    let tok = dir.path().join("tokens.txt");
    std::fs::write(&tok, "# tokens\nsecret-token-0123456789\n")?;
    let s = start(
        dir.path(),
        &format!("token_file = {:?}\n", tok.display().to_string()),
    )
    .await;
    let r = get(s.addr, "/v1/templates").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer realm=\"ppkg\""));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let r = request(
        s.addr,
        "GET",
        "/v1/templates",
        &[("Authorization", "Bearer wrong-token-0123456789")],
        b"",
    )
    .await;
    assert_eq!(r.status, 401);
    let r = request(
        s.addr,
        "GET",
        "/v1/templates",
        &[("Authorization", "Bearer secret-token-0123456789")],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    let r = get(s.addr, "/metrics").await;
    assert_eq!(r.status, 401);
    for open in ["/healthz", "/readyz", "/", "/openapi.json"] {
        assert_eq!(get(s.addr, open).await.status, 200, "{open} needs no token");
    }
    s.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_template_refuses_start_and_reload_keeps_old_set() -> T {
    let (dir, s) = common::serve("").await;
    // Break it: the reload is refused and the old set keeps serving.
    std::fs::write(
        dir.path().join("broken.toml"),
        "[package]\nname = \"B\"\nversion = \"x\"\n",
    )?;
    let e = s.reload().await.expect_err("broken template");
    assert!(
        e.iter().any(|d| d
            .file
            .as_deref()
            .is_some_and(|f| f.ends_with("broken.toml"))
            && d.pos.map(|p| p.line) == Some(3)),
        "{e:?}"
    );
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"template": "bulk-enrollment"}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(get(s.addr, "/metrics")
        .await
        .text()
        .contains("ppkg_template_reloads_total{result=\"failed\"} 1"));
    // A fresh start with the broken file is refused with every diagnostic.
    let err = ppkg_server::Server::start(common::config(dir.path(), ""))
        .await
        .expect_err("refused");
    let msg = err.to_string();
    assert!(msg.contains("broken.toml:3:"), "{msg}");
    // Fixed: reload picks up both.
    std::fs::write(
        dir.path().join("broken.toml"),
        "[package]\nname = \"B\"\nversion = \"1.0\"\n",
    )?;
    assert_eq!(s.reload().await.map_err(|d| format!("{d:?}"))?, 2);
    let r = post_json(s.addr, "/v1/packages", &json!({"template": "broken"})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    s.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_in_flight_and_refuses_new() -> T {
    let (_dir, s) = common::serve("").await;
    let addr = s.addr;
    let mut inflight = TcpStream::connect(addr).await?;
    let body = serde_json::to_vec(&json!({"template": "bulk-enrollment"}))?;
    inflight
        .write_all(format!("POST /v1/packages HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes())
        .await?;
    inflight.write_all(&body[..5]).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let state = s.state.clone();
    let stopping = tokio::spawn(s.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!state.ready.load(std::sync::atomic::Ordering::SeqCst));
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "new connections refused"
    );
    inflight.write_all(&body[5..]).await?;
    let r = common::read_response(&mut inflight).await;
    assert_eq!(r.status, 200, "the request in flight finished");
    wimlib_verify(&r.body);
    tokio::time::timeout(Duration::from_secs(10), stopping).await??;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thumbprint_of_a_pfx() -> T {
    if !ppkg_testdata::tool("openssl") {
        return Ok(());
    }
    let dir = template_dir();
    let (pfx, thumb) = make_pfx(dir.path(), "Pfx-Pass-123")?;
    let s = start(dir.path(), "").await;
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&pfx)?);
    let r = post_json(
        s.addr,
        "/v1/certificates/thumbprint",
        &json!({"pfx": b64, "password": "Pfx-Pass-123"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["thumbprint"], thumb);
    let r = post_json(
        s.addr,
        "/v1/certificates/thumbprint",
        &json!({"pfx": b64, "password": "wrong"}),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(!r.text().contains("wrong\""), "the password is not echoed");
    s.shutdown().await;
    Ok(())
}

/// Makes a self-signed client certificate PFX with openssl; returns its path and thumbprint.
pub fn make_pfx(
    dir: &std::path::Path,
    password: &str,
) -> Result<(std::path::PathBuf, String), Box<dyn std::error::Error>> {
    let key = dir.join("k.pem");
    let cert = dir.join("c.pem");
    let pfx = dir.join("client.pfx");
    let run = |args: &[&str]| -> Result<String, Box<dyn std::error::Error>> {
        let o = std::process::Command::new("openssl").args(args).output()?;
        if !o.status.success() {
            return Err(format!("openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr)).into());
        }
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let (k, c, p) = (
        key.to_string_lossy(),
        cert.to_string_lossy(),
        pfx.to_string_lossy(),
    );
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &k,
        "-out",
        &c,
        "-subj",
        "/CN=ppkg test device",
        "-days",
        "30",
    ])?;
    run(&[
        "pkcs12",
        "-export",
        "-inkey",
        &k,
        "-in",
        &c,
        "-out",
        &p,
        "-passout",
        &format!("pass:{password}"),
    ])?;
    let fp = run(&["x509", "-in", &c, "-noout", "-fingerprint", "-sha1"])?;
    let thumb = fp
        .trim()
        .rsplit('=')
        .next()
        .unwrap_or("")
        .replace(':', "")
        .to_ascii_uppercase();
    Ok((pfx, thumb))
}

/// `"sign": true` with the server's signing PFX (the examples' TEST signer, its password from
/// a file): a zip of the package and its catalog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_package_comes_with_its_catalog() -> T {
    let dir = template_dir();
    let pfx = ppkg_testdata::workspace_root().join("examples/assets/example-test-signer.pfx");
    let pw = dir.path().join("signer.pass");
    std::fs::write(&pw, "example-signer\n")?;
    let extra = format!(
        "[signing]\npfx = {:?}\npassword_file = {:?}\n",
        pfx.display().to_string(),
        pw.display().to_string()
    );
    let s = start(dir.path(), &extra).await;
    let r = post_json(
        s.addr,
        "/v1/packages",
        &json!({"template": "bulk-enrollment", "sign": true}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/zip"));
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(r.body))?;
    let mut names: Vec<String> = z.file_names().map(str::to_owned).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Example_bulk_enrollment.cat",
            "Example_bulk_enrollment.ppkg"
        ]
    );
    let mut cat = Vec::new();
    std::io::Read::read_to_end(&mut z.by_name("Example_bulk_enrollment.cat")?, &mut cat)?;
    assert_eq!(
        cat.first(),
        Some(&0x30),
        "a DER SEQUENCE (PKCS#7 signed data)"
    );
    s.shutdown().await;
    // A wrong password refuses to start.
    std::fs::write(&pw, "wrong\n")?;
    let e = ppkg_server::Server::start(common::config(dir.path(), &extra))
        .await
        .expect_err("bad PFX password");
    assert!(e.to_string().contains("signing PFX"), "{e}");
    assert!(!e.to_string().contains("wrong"), "{e}");
    Ok(())
}
