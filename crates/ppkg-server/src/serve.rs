//! Listening, TLS, connection handling with header-read timeouts, graceful shutdown on
//! SIGTERM/SIGINT and template reload on SIGHUP.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::app::{router, AppState};
use crate::auth::Tokens;
use crate::config::Config;
use crate::engine;

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A template has errors: every diagnostic, one per line.
    #[error("the templates have errors; the server does not start:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Templates(Vec<ppkg::Diagnostic>),
    /// Anything else (token file, TLS files, signing PFX, binding the address).
    #[error("{0}")]
    Other(String),
}

/// A running server: its address and how to stop it.
#[derive(Debug)]
pub struct Server {
    /// The bound address (useful with port 0).
    pub addr: SocketAddr,
    /// The shared state (templates, metrics).
    pub state: Arc<AppState>,
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Loads everything the configuration names, binds the address and starts serving on the
    /// current tokio runtime.
    ///
    /// # Errors
    /// [`StartError::Templates`] with every diagnostic when a template is invalid;
    /// [`StartError::Other`] for unreadable token, TLS or signing files and bind errors.
    pub async fn start(config: Config) -> Result<Server, StartError> {
        let edition: csp_model::Edition = config
            .edition
            .parse()
            .map_err(|_| StartError::Other(format!("edition {:?} is unknown", config.edition)))?;
        let tokens = match &config.token_file {
            Some(p) => Some(Tokens::load(p).map_err(StartError::Other)?),
            None => None,
        };
        let dir = config.templates.clone();
        let set = tokio::task::spawn_blocking(move || engine::load_templates(&dir, edition))
            .await
            .map_err(|e| StartError::Other(e.to_string()))?
            .map_err(StartError::Templates)?;
        let signer = match &config.signing {
            Some(s) => {
                let pfx = std::fs::read(&s.pfx)
                    .map_err(|e| StartError::Other(format!("{}: {e}", s.pfx.display())))?;
                let pw = std::fs::read_to_string(&s.password_file).map_err(|e| {
                    StartError::Other(format!("{}: {e}", s.password_file.display()))
                })?;
                let password = workplace::Secret::new(pw.lines().next().unwrap_or(""));
                let signer = engine::SigningPfx::open(&pfx, &password).map_err(|e| {
                    StartError::Other(format!(
                        "{}: cannot open the signing PFX: {e}",
                        s.pfx.display()
                    ))
                })?;
                Some(Arc::new(signer))
            }
            None => None,
        };
        let tls = match &config.tls {
            Some(t) => Some(tls_acceptor(t)?),
            None => None,
        };
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| StartError::Other(format!("cannot listen on {}: {e}", config.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError::Other(e.to_string()))?;
        let metrics = crate::metrics::Metrics::default();
        // One build at a time per core: more would only share the cores and lengthen every
        // request's latency.
        let build_permits = std::thread::available_parallelism().map_or(2, |n| n.get());
        metrics
            .templates
            .set(i64::try_from(set.templates.len()).unwrap_or(i64::MAX));
        let state = Arc::new(AppState {
            edition,
            templates: ArcSwap::from_pointee(set),
            tokens,
            signer,
            metrics,
            limiter: Arc::new(Semaphore::new(config.limits.max_concurrent)),
            builds: Arc::new(Semaphore::new(build_permits)),
            build_permits,
            ready: AtomicBool::new(true),
            config,
        });
        let (stop, stop_rx) = watch::channel(false);
        let done = tokio::spawn(accept_loop(listener, state.clone(), tls, stop_rx));
        tracing::info!(target: "ppkg_server", %addr, tls = state.config.tls.is_some(),
            auth = state.tokens.is_some(), templates = state.templates.load().templates.len(), "listening");
        Ok(Server {
            addr,
            state,
            stop,
            done,
        })
    }

    /// Reloads the templates folder; on any error the served set is kept and the errors are
    /// logged and returned.
    ///
    /// # Errors
    /// Every diagnostic of the new set.
    pub async fn reload(&self) -> Result<usize, Vec<ppkg::Diagnostic>> {
        reload(&self.state).await
    }

    /// Graceful shutdown: stop accepting, let requests in flight finish (up to the request
    /// timeout plus 5 s), then return.
    pub async fn shutdown(self) {
        self.state.ready.store(false, Ordering::SeqCst);
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }
}

async fn reload(state: &AppState) -> Result<usize, Vec<ppkg::Diagnostic>> {
    let dir = state.config.templates.clone();
    let edition = state.edition;
    let r = tokio::task::spawn_blocking(move || engine::load_templates(&dir, edition))
        .await
        .unwrap_or_else(|e| {
            Err(vec![engine::diag(
                "reload",
                ppkg::Code::InputUnreadable,
                "",
                e.to_string(),
            )])
        });
    match r {
        Ok(set) => {
            let n = set.templates.len();
            state.templates.store(Arc::new(set));
            state
                .metrics
                .templates
                .set(i64::try_from(n).unwrap_or(i64::MAX));
            state.metrics.reload(true);
            tracing::info!(target: "ppkg_server", templates = n, "templates reloaded");
            Ok(n)
        }
        Err(diags) => {
            state.metrics.reload(false);
            for d in &diags {
                tracing::error!(target: "ppkg_server", diagnostic = %d, "template reload refused; the previous templates stay in service");
            }
            Err(diags)
        }
    }
}

fn tls_acceptor(t: &crate::config::Tls) -> Result<tokio_rustls::TlsAcceptor, StartError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&t.cert)
        .and_then(|i| i.collect())
        .map_err(|e| {
            StartError::Other(format!(
                "{}: cannot read the certificate chain: {e}",
                t.cert.display()
            ))
        })?;
    let key = PrivateKeyDer::from_pem_file(&t.key).map_err(|e| {
        StartError::Other(format!(
            "{}: cannot read the private key: {e}",
            t.key.display()
        ))
    })?;
    let cfg = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| StartError::Other(format!("{}: {e}", t.cert.display())))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<AppState>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stop: watch::Receiver<bool>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let app = router(state.clone());
    let header_timeout = Duration::from_secs(state.config.limits.header_read_timeout_secs);
    loop {
        let (stream, _peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(target: "ppkg_server", "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let svc = TowerToHyperService::new(app.clone());
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(header_timeout);
        match &tls {
            None => {
                let conn = http.serve_connection(TokioIo::new(stream), svc);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let Ok(Ok(tls_stream)) =
                        tokio::time::timeout(header_timeout, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    let conn = http.serve_connection(TokioIo::new(tls_stream), svc);
                    let _ = watcher.watch(conn).await;
                });
            }
        }
    }
    drop(listener);
    let grace = Duration::from_secs(state.config.limits.request_timeout_secs + 5);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!(target: "ppkg_server", "shutdown: connections still open after {} s; closing", grace.as_secs());
        }
    }
    tracing::info!(target: "ppkg_server", "stopped");
}

/// Runs `ppkg serve`: JSON logs on stderr, the server until SIGTERM or SIGINT (graceful),
/// SIGHUP reloads the templates. Prints `listening on ADDR` to stdout once ready.
///
/// # Errors
/// A message for the CLI: configuration or start errors (with every template diagnostic).
pub fn run(config: Config) -> Result<(), String> {
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(std::io::stderr)
        .try_init();
    // Idle blocking threads (builds, validation) end after 5 s instead of tokio's 10 s, so
    // that their allocator caches go back to the system soon after a burst of requests.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_keep_alive(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    rt.block_on(async move {
        let server = Server::start(config).await.map_err(|e| e.to_string())?;
        println!(
            "listening on {}://{}",
            if server.state.config.tls.is_some() {
                "https"
            } else {
                "http"
            },
            server.addr
        );
        wait_for_signals(&server).await?;
        server.shutdown().await;
        Ok(())
    })
}

#[cfg(unix)]
async fn wait_for_signals(server: &Server) -> Result<(), String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut hup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => { let _ = server.reload().await; }
        }
    }
    tracing::info!(target: "ppkg_server", "shutting down: finishing requests in flight");
    Ok(())
}

#[cfg(not(unix))]
async fn wait_for_signals(_server: &Server) -> Result<(), String> {
    tokio::signal::ctrl_c().await.map_err(|e| e.to_string())
}
