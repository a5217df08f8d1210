//! Load and fault runs of `ppkg serve`, on loopback only, bounded in count and time; not part
//! of the test run. `cargo bench -p ppkg-server --bench load` (add `-- quick` for a 2,000-request
//! smoke run).
//!
//! The server runs as a child process (this executable again, with PPKG_BENCH_SERVE set) so
//! that its RSS and open file descriptors can be read from /proc. Runs:
//!
//! 1. load: 64 keep-alive clients, 20,000 per-device `POST /v1/packages` from the shipped
//!    example template (each with its own serial, computer name and secret): packages/s,
//!    p50/p99 latency, errors, RSS peak, fds and RSS before/after;
//! 2. clients that disconnect mid-download (bulk zips dropped after 1 KiB);
//! 3. 1,000 slow connections (headers never finished) while 2,000 requests are served;
//! 4. malformed and oversized bodies;
//! 5. SIGHUP with a broken template (the old set keeps serving);
//! 6. SIGTERM under load (requests in flight finish, the process exits 0, no temp files).
#![allow(missing_docs, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The server (this executable as a child) runs on mimalloc v2, as the `ppkg` binary that
/// `ppkg serve` is does: a package build makes many small, short-lived allocations on every
/// thread at once.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if let Ok(cfg) = std::env::var("PPKG_BENCH_SERVE") {
        let config = ppkg_server::Config::load(Path::new(&cfg)).unwrap();
        ppkg_server::run(config).unwrap();
        return;
    }
    let quick = std::env::args().any(|a| a == "quick");
    let total: u64 = if quick { 2_000 } else { 20_000 };
    let work = tempfile::tempdir().unwrap();
    let tmp = work.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let templates = work.path().join("templates");
    std::fs::create_dir_all(templates.join("assets")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    std::fs::copy(
        root.join("bulk-enrollment.toml"),
        templates.join("bulk-enrollment.toml"),
    )
    .unwrap();
    std::fs::copy(
        root.join("assets/example-test-root-ca.cer"),
        templates.join("assets/example-test-root-ca.cer"),
    )
    .unwrap();
    let cfg = work.path().join("serve.toml");
    std::fs::write(
        &cfg,
        format!(
            "listen = \"127.0.0.1:0\"\ntemplates = {:?}\n[limits]\nmax_concurrent = 256\nheader_read_timeout_secs = 2\nrequest_timeout_secs = 10\n",
            templates.display().to_string()
        ),
    )
    .unwrap();
    let (mut child, addr) = spawn_server(&cfg, &tmp);
    let pid = child.id();
    println!(
        "machine: {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Warm up (first requests fault in code and the catalog).
        let _ = run_load(addr, 64, 256).await;
        let (rss0, fds0) = (rss_kib(pid), fds(pid));
        println!("server at start: RSS {} MiB, {} fds", rss0 / 1024, fds0);

        // 1. Load.
        let peak = Arc::new(AtomicU64::new(rss0));
        let sampler = {
            let peak = peak.clone();
            tokio::spawn(async move {
                loop {
                    peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        let t0 = Instant::now();
        let r = run_load(addr, 64, total).await;
        let secs = t0.elapsed().as_secs_f64();
        sampler.abort();
        let mut lat = r.latencies.clone();
        lat.sort_unstable_by(f64::total_cmp);
        let pct = |p: f64| lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or(0.0);
        println!(
            "load: {} requests by 64 clients in {secs:.2} s = {:.0} packages/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; errors {}; RSS peak {} MiB; load average {}",
            r.ok + r.errors, r.ok as f64 / secs, pct(0.50), pct(0.99), pct(1.0), r.errors, peak.load(Ordering::Relaxed) / 1024, loadavg()
        );
        tokio::time::sleep(Duration::from_secs(3)).await;
        println!("server after load: RSS {} MiB, {} fds", rss_kib(pid) / 1024, fds(pid));

        // 2. Disconnects mid-download.
        let mut cut = 0;
        for i in 0..200 {
            let body = format!("{{\"template\":\"bulk-enrollment\",\"rows\":[{}]}}", (0..50).map(|j| format!("{{\"serial\":\"C{i}-{j}\"}}")).collect::<Vec<_>>().join(","));
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(format!("POST /v1/bulk HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).as_bytes()).await.unwrap();
            let mut buf = vec![0u8; 1024];
            if s.read_exact(&mut buf).await.is_ok() {
                cut += 1;
            }
            drop(s);
        }
        let after = run_load(addr, 16, 500).await;
        println!("disconnects: {cut} bulk downloads dropped after 1 KiB; then 500 requests, {} errors", after.errors);

        // 3. 1,000 slow connections while serving.
        let mut slow = Vec::new();
        for _ in 0..1000 {
            if let Ok(mut s) = TcpStream::connect(addr).await {
                let _ = s.write_all(b"POST /v1/packages HTTP/1.1\r\nHost: slow\r\n").await;
                slow.push(s);
            }
        }
        let fds_slow = fds(pid);
        let t0 = Instant::now();
        let r = run_load(addr, 16, 2000).await;
        let mut lat = r.latencies.clone();
        lat.sort_unstable_by(f64::total_cmp);
        println!(
            "slow connections: {} open (server fds {fds_slow}); 2,000 requests meanwhile: {:.0}/s, p99 {:.1} ms, {} errors",
            slow.len(), r.ok as f64 / t0.elapsed().as_secs_f64(), lat.get(lat.len() * 99 / 100).copied().unwrap_or(0.0), r.errors
        );
        tokio::time::sleep(Duration::from_secs(4)).await;
        let mut closed = 0;
        for s in &mut slow {
            let mut b = [0u8; 512];
            if matches!(tokio::time::timeout(Duration::from_millis(20), s.read(&mut b)).await, Ok(Ok(_)) | Ok(Err(_))) {
                closed += 1;
            }
        }
        drop(slow);
        tokio::time::sleep(Duration::from_millis(500)).await;
        println!("slow connections: {closed} of 1000 closed by the header-read timeout; server fds now {}", fds(pid));

        // 4. Malformed and oversized.
        let mut statuses = std::collections::BTreeMap::new();
        for i in 0..300 {
            let req: Vec<u8> = match i % 3 {
                0 => b"POST /v1/packages HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{\"templ:1".to_vec(),
                1 => b"POST /v1/packages HTTP/1.1\r\nHost: m\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\n".to_vec(),
                _ => b"\x16\x03\x01garbage not http\r\n\r\n".to_vec(),
            };
            let mut s = TcpStream::connect(addr).await.unwrap();
            let _ = s.write_all(&req).await;
            let mut buf = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
            let code = String::from_utf8_lossy(&buf).split(' ').nth(1).unwrap_or("closed").to_owned();
            *statuses.entry(code).or_insert(0) += 1;
        }
        let after = run_load(addr, 16, 500).await;
        println!("malformed/oversized: answers {statuses:?}; then 500 requests, {} errors", after.errors);

        // 5. SIGHUP with a broken template.
        std::fs::write(templates.join("broken.toml"), "[package]\nname = \"B\"\nversion = \"x\"\n").unwrap();
        let load = tokio::spawn(run_load(addr, 32, 3000));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let _ = Command::new("kill").args(["-HUP", &pid.to_string()]).status();
        let r = load.await.unwrap();
        let m = get_text(addr, "/metrics").await;
        let failed = m.lines().find(|l| l.starts_with("ppkg_template_reloads_total{result=\"failed\"}")).unwrap_or("none").to_owned();
        println!("SIGHUP with a broken template: 3,000 requests meanwhile, {} errors; {failed}", r.errors);
        std::fs::remove_file(templates.join("broken.toml")).unwrap();

        println!("server before SIGTERM: RSS {} MiB (start {} MiB), {} fds (start {fds0})", rss_kib(pid) / 1024, rss0 / 1024, fds(pid));

        // 6. SIGTERM under load.
        let load = tokio::spawn(run_load_until_refused(addr, 64));
        tokio::time::sleep(Duration::from_millis(500)).await;
        let t0 = Instant::now();
        let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        let (ok, broken) = load.await.unwrap();
        let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
        let leftovers = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
        println!(
            "SIGTERM under load: {ok} responses completed, {broken} cut mid-response; exit {status} after {:.2} s; {leftovers} temp files left",
            t0.elapsed().as_secs_f64()
        );
    });
}

fn spawn_server(cfg: &Path, tmp: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("PPKG_BENCH_SERVE", cfg)
        .env("TMPDIR", tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit("//").next().unwrap().parse().unwrap();
    (child, addr)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split(' ')
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

struct LoadResult {
    ok: u64,
    errors: u64,
    latencies: Vec<f64>,
}

/// `clients` keep-alive connections share `total` per-device package requests.
async fn run_load(addr: SocketAddr, clients: u64, total: u64) -> LoadResult {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut conn: Option<TcpStream> = None;
            let deadline = Instant::now() + Duration::from_secs(300);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total || Instant::now() > deadline {
                    break;
                }
                let body = format!(
                    "{{\"template\":\"bulk-enrollment\",\"device\":{{\"serial\":\"SN{i:06}\",\"computer_name\":\"D{i:06}\",\"enrollment_secret\":\"Secret-{i:06}\"}},\"package\":{{\"name\":\"Enroll {{serial}}\"}}}}"
                );
                let t0 = Instant::now();
                let s = match conn.take() {
                    Some(s) => s,
                    None => match TcpStream::connect(addr).await {
                        Ok(s) => s,
                        Err(_) => {
                            errors += 1;
                            continue;
                        }
                    },
                };
                match one(s, &body).await {
                    Ok((200, s)) => {
                        lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                        conn = Some(s);
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut r = LoadResult {
        ok: 0,
        errors: 0,
        latencies: Vec::new(),
    };
    for t in tasks {
        let (lat, e) = t.await.unwrap();
        r.ok += lat.len() as u64;
        r.errors += e;
        r.latencies.extend(lat);
    }
    r
}

/// One keep-alive request; returns the status and the connection.
async fn one(mut s: TcpStream, body: &str) -> std::io::Result<(u16, TcpStream)> {
    s.write_all(format!("POST /v1/packages HTTP/1.1\r\nHost: l\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).as_bytes()).await?;
    let mut head = Vec::with_capacity(512);
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(b[0]);
    }
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let len: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).await?;
    if status == 200 && !body.starts_with(b"MSWIM\0\0\0") {
        return Err(std::io::Error::other("not a WIM"));
    }
    Ok((status, s))
}

/// Clients that keep sending until the server refuses: (completed, cut mid-response).
async fn run_load_until_refused(addr: SocketAddr, clients: u64) -> (u64, u64) {
    let mut tasks = Vec::new();
    for c in 0..clients {
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut broken) = (0u64, 0u64);
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut i = 0;
            while Instant::now() < deadline {
                let Ok(s) = TcpStream::connect(addr).await else {
                    break;
                };
                i += 1;
                let body = format!(
                    "{{\"template\":\"bulk-enrollment\",\"device\":{{\"serial\":\"T{c}-{i}\"}}}}"
                );
                match one(s, &body).await {
                    Ok((200, _)) => ok += 1,
                    Ok((_, _)) => broken += 1,
                    // Closed before a response began: refused, not cut.
                    Err(e)
                        if e.kind() == std::io::ErrorKind::UnexpectedEof
                            || e.kind() == std::io::ErrorKind::ConnectionReset =>
                    {
                        break
                    }
                    Err(_) => broken += 1,
                }
            }
            (ok, broken)
        }));
    }
    let mut r = (0, 0);
    for t in tasks {
        let (a, b) = t.await.unwrap();
        r.0 += a;
        r.1 += b;
    }
    r
}

async fn get_text(addr: SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf).await;
    String::from_utf8_lossy(&buf).into_owned()
}
