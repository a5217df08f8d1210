//! The router, its middleware (logging and metrics, concurrency limit, authentication,
//! request timeout, per-route body limits) and the handlers.

// A `Problem` is the answer itself (built once per failed request and turned into the
// response), so returning it by value costs nothing that matters.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine as _;
use serde::Deserialize;
use tokio::sync::Semaphore;
use tower_http::limit::RequestBodyLimitLayer;
use utoipa::OpenApi;
use workplace::Secret;

use crate::auth::Tokens;
use crate::config::Config;
use crate::engine::{self, BuildOptions, EngineError, Overrides, Template, TemplateSet};
use crate::metrics::Metrics;
use crate::problem::Problem;
use ppkg::{Code, Diagnostic};

/// Every route the router serves, as `(METHOD, path)` in OpenAPI's path syntax. A test checks
/// that `/openapi.json` documents exactly these.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/app.js"),
    ("GET", "/app.css"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("GET", "/v1/templates"),
    ("GET", "/v1/schedule"),
    ("GET", "/v1/explain/{hresult}"),
    ("POST", "/v1/packages"),
    ("POST", "/v1/bulk"),
    ("POST", "/v1/validate"),
    ("POST", "/v1/inspect"),
    ("POST", "/v1/certificates/thumbprint"),
];

/// Shared state of every request.
pub struct AppState {
    /// The configuration the server started with.
    pub config: Config,
    /// Edition packages are validated against.
    pub edition: csp_model::Edition,
    /// The templates served; replaced whole on reload.
    pub templates: ArcSwap<TemplateSet>,
    /// Accepted bearer tokens; `None`: no authentication (loopback only).
    pub tokens: Option<Tokens>,
    /// Signing certificate for `"sign": true`.
    pub signer: Option<Arc<engine::SigningPfx>>,
    /// Metrics.
    pub metrics: Metrics,
    /// Permits for requests in flight.
    pub limiter: Arc<Semaphore>,
    /// Permits for package builds: one per core (`build_permits`), so that builds queue
    /// without a thread each and do not oversubscribe the cores.
    pub builds: Arc<Semaphore>,
    /// The number of build permits.
    pub build_permits: usize,
    /// Cleared when shutdown begins (`/readyz` turns 503).
    pub ready: AtomicBool,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("listen", &self.config.listen)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

/// Builds the router for a state.
pub fn router(state: Arc<AppState>) -> Router {
    let l = &state.config.limits;
    let limit = |n: usize| RequestBodyLimitLayer::new(n);
    let api = Router::new()
        .route("/v1/templates", get(templates))
        .route("/v1/schedule", get(schedule))
        .route("/v1/explain/{hresult}", get(explain))
        .route(
            "/v1/packages",
            post(packages).layer(limit(l.packages_body_bytes)),
        )
        .route("/v1/bulk", post(bulk).layer(limit(l.bulk_body_bytes)))
        .route(
            "/v1/validate",
            post(validate).layer(limit(l.validate_body_bytes)),
        )
        .route(
            "/v1/inspect",
            post(inspect).layer(limit(l.inspect_body_bytes)),
        )
        .route(
            "/v1/certificates/thumbprint",
            post(thumbprint).layer(limit(l.packages_body_bytes)),
        )
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth));
    Router::new()
        .route("/", get(crate::web::index))
        .route("/app.js", get(crate::web::script))
        .route("/app.css", get(crate::web::style))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/openapi.json", get(openapi))
        .merge(api)
        .fallback(not_found)
        .layer(middleware::map_response(problem_for_plain_errors))
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(state.clone(), timeout))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limit_concurrency,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), access_log))
        .with_state(state)
}

/// Errors that the framework answers rather than a handler (413 from a body limit, 400 from a
/// query or path that does not parse, 405) come as `text/plain`: they become RFC 9457 problems
/// like every other error, the plain text as the detail and the other headers (`Allow`) kept.
async fn problem_for_plain_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let slug = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "body-too-large",
        StatusCode::METHOD_NOT_ALLOWED => "method-not-allowed",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
        _ if status.is_server_error() => "internal",
        _ => "bad-request",
    };
    let detail = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text
    };
    let mut r = Problem::new(status, slug, detail).into_response();
    for (k, v) in &parts.headers {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            r.headers_mut().insert(k.clone(), v.clone());
        }
    }
    r
}

async fn not_found(method: Method, uri: axum::http::Uri) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        format!("no route {method} {}", uri.path()),
    )
}

/// One JSON log line per request (target `ppkg_server::access`): method, route, status,
/// bytes, duration in milliseconds, package ID. Never headers or bodies.
async fn access_log(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| {
            if ROUTES.iter().any(|(_, p)| *p == req.uri().path()) {
                req.uri().path().to_owned()
            } else {
                "unmatched".to_owned()
            }
        });
    s.metrics.in_flight.inc();
    let mut resp = next.run(req).await;
    s.metrics.in_flight.dec();
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    // Known for whole bodies; streamed ones (bulk) log no size.
    let bytes = axum::body::HttpBody::size_hint(resp.body()).exact();
    let package_id = resp
        .headers()
        .get("x-package-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // The generated password header goes to the client only: it is never logged, and it
    // is not cached by intermediaries.
    if resp.headers().contains_key("x-package-password") {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    s.metrics
        .request(&route, method.as_str(), status, elapsed.as_secs_f64());
    tracing::info!(
        target: "ppkg_server::access",
        method = %method,
        route = %route,
        status,
        bytes,
        duration_ms = elapsed.as_secs_f64() * 1000.0,
        package_id = %package_id,
        "request"
    );
    resp
}

/// At most `limits.max_concurrent` requests at once; others get 503 with `Retry-After: 1`
/// at once instead of queueing (a client or load balancer then retries elsewhere).
async fn limit_concurrency(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let Ok(permit) = s.limiter.clone().try_acquire_owned() else {
        let mut p = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!(
                "{} requests are in flight; retry later",
                s.config.limits.max_concurrent
            ),
        );
        p.retry_after = Some(1);
        return p.into_response();
    };
    let resp = next.run(req).await;
    // Held until the response head is ready; streamed bodies (bulk) count through their own
    // permit in the handler.
    drop(permit);
    resp
}

/// Answers 408 when a request (body read and handler, up to the response head) takes longer
/// than `limits.request_timeout_secs`.
async fn timeout(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let d = Duration::from_secs(s.config.limits.request_timeout_secs);
    match tokio::time::timeout(d, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            let mut r = Problem::new(
                StatusCode::REQUEST_TIMEOUT,
                "timeout",
                format!("the request took longer than {} s", d.as_secs()),
            )
            .into_response();
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            r
        }
    }
}

/// `Authorization: Bearer TOKEN` on every `/v1` route and `/metrics` when tokens are
/// configured; 401 with `WWW-Authenticate: Bearer` otherwise (RFC 6750 §3).
async fn auth(State(s): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if let Some(tokens) = &s.tokens {
        let h = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if !tokens.accepts_header(h) {
            let mut r = Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid bearer token is required (Authorization: Bearer TOKEN)",
            )
            .into_response();
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"ppkg\""),
            );
            return r;
        }
    }
    next.run(req).await
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "alive")))]
async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: templates loaded and not shutting down.
#[utoipa::path(get, path = "/readyz", responses(
    (status = 200, description = "ready"),
    (status = 503, description = "shutting down", body = Problem, content_type = "application/problem+json")))]
async fn readyz(State(s): State<Arc<AppState>>) -> Response {
    if !s.ready.load(Ordering::SeqCst) {
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting-down",
            "the server is shutting down",
        )
        .into_response();
    }
    let n = s.templates.load().templates.len();
    axum::Json(serde_json::json!({ "status": "ready", "templates": n })).into_response()
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", responses(
    (status = 200, description = "text exposition format 0.0.4", content_type = "text/plain"),
    (status = 401, description = "no or wrong token", body = Problem, content_type = "application/problem+json")))]
async fn metrics(State(s): State<Arc<AppState>>) -> Response {
    let mut r = s.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ppkg serve",
        description = "Build, validate and inspect Windows provisioning packages (.ppkg) on demand."
    ),
    paths(
        healthz,
        readyz,
        metrics,
        openapi,
        templates,
        schedule,
        explain,
        packages,
        bulk,
        validate,
        inspect,
        thumbprint,
        crate::web::index,
        crate::web::script,
        crate::web::style
    ),
    components(schemas(
        Problem,
        PackageRequest,
        DeviceValues,
        PackageFields,
        BulkRequest,
        ThumbprintRequest
    ))
)]
struct ApiDoc;

/// The OpenAPI 3.1 document of every route.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", responses((status = 200, description = "OpenAPI 3.1 document")))]
async fn openapi() -> impl IntoResponse {
    axum::Json(openapi_document())
}

/// The templates served: name, package name, enrollments, Wi-Fi networks, warnings.
#[utoipa::path(get, path = "/v1/templates", responses((status = 200, description = "template list")))]
async fn templates(State(s): State<Arc<AppState>>) -> impl IntoResponse {
    let set = s.templates.load();
    let list: Vec<serde_json::Value> = set
        .templates
        .values()
        .map(|t| {
            serde_json::json!({
                "name": t.name,
                "package_name": t.profile().package.name,
                "version": t.profile().package.version,
                "computer_name": t.profile().computer_name,
                "enrollments": t.profile().enrollments.iter().map(|e| serde_json::json!({
                    "upn": e.upn, "auth_policy": e.auth_policy.label(),
                    "discovery_service_full_url": e.discovery_service_full_url })).collect::<Vec<_>>(),
                "wifi": t.profile().wifi.iter().map(|w| w.ssid.clone()).collect::<Vec<_>>(),
                "warnings": t.warnings,
            })
        })
        .collect();
    axum::Json(serde_json::json!({ "templates": list }))
}

/// `?fail=N&code=HRESULT` of `/v1/schedule`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ScheduleQuery {
    /// Attempts that fail before one succeeds (default: all fail).
    fail: Option<u32>,
    /// HRESULT the failing attempts return (default 0x80180010).
    code: Option<String>,
}

/// The provisioning engine's retry timeline (retry-sched), as `ppkg schedule --json` prints it.
#[utoipa::path(get, path = "/v1/schedule", params(ScheduleQuery), responses(
    (status = 200, description = "timeline"),
    (status = 400, description = "bad code", body = Problem, content_type = "application/problem+json")))]
async fn schedule(Query(q): Query<ScheduleQuery>) -> Response {
    let code = match q.code.as_deref() {
        None => retry_sched::DEFAULT_FAILURE_CODE,
        Some(c) => match c.parse::<retry_sched::HResult>() {
            Ok(h) => h,
            Err(e) => {
                return Problem::new(
                    StatusCode::BAD_REQUEST,
                    "bad-hresult",
                    format!("code {c:?}: {e}"),
                )
                .into_response()
            }
        },
    };
    let policy = retry_sched::RetryPolicy::windows_default();
    let t = retry_sched::failing_timeline(
        &policy,
        q.fail.unwrap_or(u32::MAX),
        code,
        Some(retry_sched::Span::from_hours(24)),
    );
    axum::Json(t).into_response()
}

/// Decodes an HRESULT (`0x80180014`, decimal, or negative decimal): name, meaning, whether a
/// retry can help, category.
#[utoipa::path(get, path = "/v1/explain/{hresult}",
    params(("hresult" = String, Path, description = "0x80180014, 2149056532 or -2145910764")),
    responses((status = 200, description = "decoded"),
    (status = 400, description = "not an HRESULT", body = Problem, content_type = "application/problem+json")))]
async fn explain(UrlPath(code): UrlPath<String>) -> Response {
    match code.parse::<retry_sched::HResult>() {
        Ok(h) => axum::Json(h.decode()).into_response(),
        Err(e) => Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-hresult",
            format!("{code:?} is not an HRESULT: {e}"),
        )
        .into_response(),
    }
}

/// Per-device values of a package request.
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceValues {
    /// `Accounts/ComputerAccount/ComputerName` (a name or a `%SERIAL%`/`%RAND:n%` scheme).
    computer_name: Option<String>,
    /// The device's serial number: a variable, `{serial}` in the package name.
    serial: Option<String>,
    /// UPN of the template's first enrollment.
    upn: Option<String>,
    /// Secret of the first enrollment (password, or certificate thumbprint).
    #[schema(value_type = Option<String>)]
    enrollment_secret: Option<Secret>,
    /// SSID of the first Wi-Fi network.
    wifi_ssid: Option<String>,
    /// Key of the first Wi-Fi network.
    #[schema(value_type = Option<String>)]
    wifi_key: Option<Secret>,
    /// Further variables for `{name}` in the package name.
    #[serde(default)]
    vars: BTreeMap<String, String>,
}

/// `PackageConfig` fields of a request.
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageFields {
    /// `Name`; `{serial}` and other variables are replaced.
    name: Option<String>,
    /// `Version` (`N.N` or `N.N.N.N`).
    version: Option<String>,
    /// `OwnerType` (`ITAdmin`, `OEM`, …).
    owner_type: Option<String>,
    /// `Rank` 0–99.
    rank: Option<u32>,
    /// Package GUID; a new one when absent.
    id: Option<String>,
}

/// `POST /v1/packages` (and the JSON form of `/v1/validate`).
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageRequest {
    /// Name of a template (see `/v1/templates`).
    template: Option<String>,
    /// An inline profile instead (the JSON form of the TOML profile: `package`,
    /// `enrollments`, `wifi`, `client_certificates`, `computer_name`, …).
    #[schema(value_type = Option<Object>)]
    profile: Option<serde_json::Value>,
    /// Files the inline profile names (PFX, certificates), by file name, base64.
    #[serde(default)]
    assets: BTreeMap<String, String>,
    /// Per-device values.
    #[serde(default)]
    device: DeviceValues,
    /// Raw settings by path below `Customizations/Common` (`Policies/Start/HideSleep`).
    #[serde(default)]
    settings: BTreeMap<String, String>,
    /// Package fields.
    #[serde(default)]
    package: PackageFields,
    /// Encrypt with a generated password (returned once in `X-Package-Password`).
    #[serde(default)]
    encrypt: bool,
    /// Sign with the server's signing certificate: the answer is a zip of NAME.ppkg and
    /// NAME.cat.
    #[serde(default)]
    sign: bool,
}

const BODY: &str = "request body";

fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8], what: &str) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| Problem::bad_json(&e, what))
}

/// What a package request builds from: a served template's [`ppkg::Bulk`] (made once, when
/// the templates were loaded) or one made for a posted profile.
enum Source {
    Template(Arc<Template>),
    Inline(Box<ppkg::Bulk>),
}

impl Source {
    fn bulk(&self) -> &ppkg::Bulk {
        match self {
            Source::Template(t) => &t.bulk,
            Source::Inline(b) => b,
        }
    }
}

/// A posted profile as a [`ppkg::Bulk`]: its files from `assets` only (a request never makes
/// the server read its own files).
fn inline_source(
    s: &AppState,
    v: &serde_json::Value,
    r: &PackageRequest,
) -> Result<Source, Problem> {
    let p: workplace::Profile = serde_json::from_value(v.clone()).map_err(|e| {
        Problem::invalid(vec![engine::diag(
            BODY,
            Code::ParseError,
            "profile",
            workplace::redact_values(&e.to_string()),
        )])
    })?;
    let mut assets = BTreeMap::new();
    for (name, b64) in &r.assets {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| {
                Problem::invalid(vec![engine::diag(
                    BODY,
                    Code::ParseError,
                    &format!("assets/{name}"),
                    format!("not base64: {e}"),
                )])
            })?;
        assets.insert(name.clone(), bytes);
    }
    let pkg = ppkg::Package::from_profile(p)
        .named(BODY)
        .edition(s.edition);
    let (pkg, refused) = engine::request_package(pkg, &assets, BODY);
    if !refused.is_empty() {
        return Err(Problem::invalid(refused));
    }
    let bulk =
        ppkg::Bulk::new(pkg).map_err(|e| Problem::invalid(engine::error_diagnostics(e, BODY)))?;
    Ok(Source::Inline(Box::new(bulk)))
}

/// Turns a request into what to build: the template (or posted profile) and the device (every
/// per-device value as a setting path of the CLI's syntax).
fn device_of(s: &AppState, r: &PackageRequest) -> Result<(Source, ppkg::Device), Problem> {
    let (source, file) = match (&r.template, &r.profile) {
        (Some(name), None) => {
            let set = s.templates.load();
            let t = set.templates.get(name).ok_or_else(|| {
                Problem::new(
                    StatusCode::NOT_FOUND,
                    "unknown-template",
                    format!("no template named {name:?} (see GET /v1/templates)"),
                )
            })?;
            (Source::Template(t.clone()), format!("template {name}"))
        }
        (None, Some(v)) => (inline_source(s, v, r)?, BODY.to_owned()),
        _ => {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "template-or-profile",
                "give exactly one of \"template\" and \"profile\"",
            ))
        }
    };
    let base = source
        .bulk()
        .template()
        .profile()
        .ok_or_else(|| Problem::internal("a template is not a profile"))?;
    let mut vars = r.device.vars.clone();
    if let Some(serial) = &r.device.serial {
        vars.insert("serial".to_owned(), serial.clone());
    }
    let ov = Overrides {
        computer_name: r.device.computer_name.clone(),
        upn: r.device.upn.clone(),
        enrollment_secret: r.device.enrollment_secret.clone(),
        wifi_ssid: r.device.wifi_ssid.clone(),
        wifi_key: r.device.wifi_key.clone(),
        settings: r
            .settings
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        package_name: r
            .package
            .name
            .clone()
            .or_else(|| (!vars.is_empty()).then(|| base.package.name.clone())),
        package_version: r.package.version.clone(),
        owner_type: r.package.owner_type.clone(),
        rank: r.package.rank,
        vars,
    };
    let device = ov.device(base, &file).map_err(Problem::invalid)?;
    Ok((source, device))
}

fn build_options(s: &AppState, r: &PackageRequest) -> Result<BuildOptions, Problem> {
    let signer = if r.sign {
        Some(s.signer.clone().ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "signing-not-configured",
                "\"sign\": true needs a [signing] section in the server configuration",
            )
        })?)
    } else {
        None
    };
    let package_id = match &r.package.id {
        None => None,
        Some(id) => Some(
            uuid::Uuid::parse_str(id.trim().trim_start_matches('{').trim_end_matches('}'))
                .map_err(|e| {
                    Problem::invalid(vec![engine::diag(
                        BODY,
                        Code::PackageIdInvalid,
                        "PackageConfig/ID",
                        format!("{id:?} is not a GUID: {e}"),
                    )])
                })?,
        ),
    };
    Ok(BuildOptions {
        package_id,
        encrypt: r.encrypt,
        signer,
    })
}

fn engine_problem(e: EngineError) -> Problem {
    match e {
        EngineError::Invalid(d) => Problem::invalid(d),
        EngineError::Internal(m) => Problem::internal(m),
    }
}

/// Builds one package from a template or an inline profile with per-device values, streamed
/// back as `application/octet-stream` with `Content-Disposition: attachment` and the package ID
/// in `X-Package-Id`. With `"encrypt": true` the generated password is in
/// `X-Package-Password` (sent once, never logged). With `"sign": true` the answer is a zip of
/// the package and its catalog.
#[utoipa::path(post, path = "/v1/packages", request_body = PackageRequest, responses(
    (status = 200, description = "the package", content_type = "application/octet-stream"),
    (status = 400, description = "malformed request", body = Problem, content_type = "application/problem+json"),
    (status = 401, description = "no or wrong token", body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "unknown template", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "body too large"),
    (status = 422, description = "invalid settings", body = Problem, content_type = "application/problem+json"),
    (status = 503, description = "busy", body = Problem, content_type = "application/problem+json")))]
async fn packages(State(s): State<Arc<AppState>>, body: Bytes) -> Result<Response, Problem> {
    let r: PackageRequest = parse_json(&body, "package request")?;
    let (source, device) = device_of(&s, &r)?;
    let opts = build_options(&s, &r)?;
    // One build per core at a time; the others wait here, without a thread.
    let permit = s
        .builds
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| Problem::internal(format!("build permits: {e}")))?;
    let built = tokio::task::spawn_blocking(move || {
        let b = engine::build(source.bulk(), &device, &opts);
        drop(permit);
        b
    })
    .await
    .map_err(|e| Problem::internal(format!("build task: {e}")))?
    .map_err(engine_problem)?;
    s.metrics.packages.inc();
    let stem = engine::file_name(&built.name);
    let mut resp = match &built.catalog {
        None => {
            let mut r = Response::new(Body::from(built.bytes));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            set_disposition(&mut r, &stem);
            r
        }
        Some(cat) => {
            let zip = zip_files(&[
                (stem.clone(), &built.bytes),
                (stem.replace(".ppkg", ".cat"), cat),
            ])
            .map_err(|e| Problem::internal(format!("zip: {e}")))?;
            let mut r = Response::new(Body::from(zip));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            );
            set_disposition(&mut r, &stem.replace(".ppkg", ".zip"));
            r
        }
    };
    if let Ok(v) = HeaderValue::from_str(&built.package_id) {
        resp.headers_mut().insert("x-package-id", v);
    }
    if let Some(pw) = &built.password {
        if let Ok(mut v) = HeaderValue::from_str(pw.expose()) {
            v.set_sensitive(true);
            resp.headers_mut().insert("x-package-password", v);
        }
    }
    Ok(resp)
}

fn set_disposition(r: &mut Response, file: &str) {
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
}

fn zip_files(files: &[(String, &Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let mut w = crate::zipstream::ZipStream::new(Vec::new());
    for (name, bytes) in files {
        w.add(name, bytes)?;
    }
    w.finish()
}

/// `POST /v1/bulk` in JSON form; the CSV form is `text/csv` with `?template=NAME`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// Template every package starts from.
    template: String,
    /// Package name pattern (`Enroll {serial}`); default the template's.
    name: Option<String>,
    /// One object per device.
    rows: Vec<DeviceValues>,
}

#[derive(Debug, Deserialize)]
struct BulkQuery {
    template: Option<String>,
    name: Option<String>,
    /// Comma-separated variable columns of a CSV (as `ppkg bulk --var`).
    vars: Option<String>,
}

/// One CSV row: its line, the device values and the setting-path columns.
type CsvRow = (usize, DeviceValues, Vec<(String, String)>);

/// The short CSV columns, each a field of [`DeviceValues`].
const SHORT_COLUMNS: [&str; 6] = [
    "computer_name",
    "serial",
    "upn",
    "enrollment_secret",
    "wifi_ssid",
    "wifi_key",
];

/// A 422 for the CSV header's column `col` (1-based).
fn header_problem(col: usize, message: String) -> Problem {
    Problem::invalid(vec![ppkg::Diagnostic::field(Code::ParseError, "", message)
        .in_file("devices.csv")
        .at(Some(ppkg::LineCol::new(
            1,
            u32::try_from(col).unwrap_or(u32::MAX),
        )))])
}

/// Reads a devices CSV: a header row of short columns ([`SHORT_COLUMNS`]), setting paths (any
/// column with a `/`, with or without the leading one) and the variables `vars` declares, as
/// `ppkg bulk` does. An unknown, malformed or repeated column is a 422 at its header position:
/// a column nobody reads would leave every package with the template's value, silently.
fn csv_rows(body: &[u8], vars: &[&str]) -> Result<Vec<CsvRow>, Problem> {
    let mut rd = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = rd
        .headers()
        .map_err(|e| {
            Problem::invalid(vec![engine::diag(
                "devices.csv:1",
                Code::ParseError,
                "",
                e.to_string(),
            )])
        })?
        .clone();
    let mut keys: Vec<String> = Vec::new();
    for (j, h) in headers.iter().enumerate() {
        let key = if h == "computer_name" {
            "accounts/computeraccount/computername".to_owned()
        } else if SHORT_COLUMNS.contains(&h) || vars.contains(&h) {
            h.to_owned()
        } else if h.contains('/') {
            ppkg::format::path::parse_path(h)
                .map_err(|e| header_problem(j + 1, format!("column {h:?}: {e}")))?;
            let p = h.trim_start_matches('/');
            p.strip_prefix("Common/").unwrap_or(p).to_lowercase()
        } else {
            return Err(header_problem(
                j + 1,
                format!(
                    "unknown column {h:?}: expected a setting path such as \
                     Accounts/ComputerAccount/ComputerName, one of {}, or a variable declared \
                     with ?vars={h}",
                    SHORT_COLUMNS.join(", ")
                ),
            ));
        };
        if let Some(i) = keys.iter().position(|k| *k == key) {
            return Err(header_problem(
                j + 1,
                format!("column {h:?} sets what column {} sets", i + 1),
            ));
        }
        keys.push(key);
    }
    let mut out = Vec::new();
    for (i, rec) in rd.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| {
            Problem::invalid(vec![engine::diag(
                &format!("devices.csv:{line}"),
                Code::ParseError,
                "",
                e.to_string(),
            )])
        })?;
        let mut d = DeviceValues::default();
        let mut settings = Vec::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            if v.is_empty() {
                continue;
            }
            match h {
                "computer_name" => d.computer_name = Some(v.to_owned()),
                "serial" => d.serial = Some(v.to_owned()),
                "upn" => d.upn = Some(v.to_owned()),
                "enrollment_secret" => d.enrollment_secret = Some(Secret::new(v)),
                "wifi_ssid" => d.wifi_ssid = Some(v.to_owned()),
                "wifi_key" => d.wifi_key = Some(Secret::new(v)),
                v_name if vars.contains(&v_name) => {
                    d.vars.insert(v_name.to_owned(), v.to_owned());
                }
                p => settings.push((format!("/{}", p.trim_start_matches('/')), v.to_owned())),
            }
        }
        out.push((line, d, settings));
    }
    if out.is_empty() {
        return Err(header_problem(
            1,
            "no device rows after the header".to_owned(),
        ));
    }
    Ok(out)
}

/// Builds one package per row (CSV with a header row, or JSON) from a template and streams a
/// zip of them. Every row is checked before the first byte is sent; a row with errors fails
/// the request with 422 naming `devices.csv:LINE` (or `rows[N]`).
#[utoipa::path(post, path = "/v1/bulk", request_body(content = BulkRequest, description = "JSON, or text/csv with ?template=NAME"),
    params(("template" = Option<String>, Query, description = "template (CSV form)"), ("name" = Option<String>, Query, description = "package name pattern (CSV form)"), ("vars" = Option<String>, Query, description = "comma-separated variable columns (CSV form)")),
    responses(
    (status = 200, description = "zip of packages, streamed", content_type = "application/zip"),
    (status = 400, description = "malformed request", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "body too large"),
    (status = 422, description = "a row is invalid", body = Problem, content_type = "application/problem+json")))]
async fn bulk(
    State(s): State<Arc<AppState>>,
    Query(q): Query<BulkQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let is_csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/csv"));
    let (template, name, rows) = if is_csv {
        let t = q.template.clone().ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "template-required",
                "CSV bulk needs ?template=NAME",
            )
        })?;
        let vars: Vec<&str> = q
            .vars
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        (t, q.name.clone(), csv_rows(&body, &vars)?)
    } else {
        let r: BulkRequest = parse_json(&body, "bulk request")?;
        let rows = r
            .rows
            .into_iter()
            .enumerate()
            .map(|(i, d)| (i, d, Vec::new()))
            .collect();
        (r.template, r.name, rows)
    };
    if rows.is_empty() {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no-rows",
            "no device rows: nothing to build",
        ));
    }
    if rows.len() > s.config.limits.bulk_max_rows {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-many-rows",
            format!(
                "{} rows; at most {} per request",
                rows.len(),
                s.config.limits.bulk_max_rows
            ),
        ));
    }
    let base = s
        .templates
        .load()
        .templates
        .get(&template)
        .cloned()
        .ok_or_else(|| {
            Problem::new(
                StatusCode::NOT_FOUND,
                "unknown-template",
                format!("no template named {template:?}"),
            )
        })?;
    let devices = {
        let base = base.profile();
        let mut devices = Vec::with_capacity(rows.len());
        let mut diags = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for (n, d, settings) in rows {
            let origin = if is_csv {
                format!("devices.csv:{n}")
            } else {
                format!("rows[{n}]")
            };
            let mut vars = d.vars.clone();
            if let Some(serial) = &d.serial {
                vars.insert("serial".to_owned(), serial.clone());
            }
            let pattern = name.clone().unwrap_or_else(|| {
                if vars.contains_key("serial") {
                    format!("{} {{serial}}", base.package.name)
                } else {
                    base.package.name.clone()
                }
            });
            // Distinct file names in the zip (as Windows compares them).
            let package_name = engine::expand_vars(&pattern, &vars);
            let mut stem = engine::file_name(&package_name);
            if !names.insert(stem.to_ascii_lowercase()) {
                stem = engine::file_name(&format!("{package_name} {n}"));
                names.insert(stem.to_ascii_lowercase());
            }
            let ov = Overrides {
                computer_name: d.computer_name,
                upn: d.upn,
                enrollment_secret: d.enrollment_secret,
                wifi_ssid: d.wifi_ssid,
                wifi_key: d.wifi_key,
                settings,
                package_name: Some(pattern),
                vars,
                ..Overrides::default()
            };
            match ov.device(base, &origin) {
                Ok(dev) => devices.push(dev.name(stem.trim_end_matches(".ppkg"))),
                Err(e) => diags.extend(e),
            }
        }
        if !diags.is_empty() {
            return Err(Problem::invalid(diags));
        }
        devices
    };
    // Every row is checked first, on every core (rayon), before the first byte is sent: a bad
    // row fails the request whole, naming its line. Then the packages are built a window at a
    // time and streamed into the zip, so memory does not grow with the row count or with the
    // template's payloads.
    let permit = s
        .builds
        .clone()
        .acquire_many_owned(u32::try_from(s.build_permits).unwrap_or(1))
        .await
        .map_err(|e| Problem::internal(format!("build permits: {e}")))?;
    let (base, devices, checked) = tokio::task::spawn_blocking(move || {
        let checked = base.bulk.check_all(&devices);
        (base, devices, checked)
    })
    .await
    .map_err(|e| Problem::internal(format!("bulk task: {e}")))?;
    let diags: Vec<Diagnostic> = checked
        .into_iter()
        .filter_map(Result::err)
        // The row is the place: `devices.csv`, line N (or `rows[N]`).
        .flat_map(|report| report.into_diagnostics())
        .filter(Diagnostic::is_error)
        .collect();
    if !diags.is_empty() {
        return Err(Problem::invalid(diags));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let state = s.clone();
    let window = 4 * s.build_permits.max(1);
    tokio::task::spawn_blocking(move || {
        let writer = ChannelWriter {
            tx,
            buf: Vec::with_capacity(64 << 10),
        };
        let mut zip = crate::zipstream::ZipStream::new(writer);
        let streamed = base.bulk.build_each(&devices, window, |r| match r {
            Ok(o) => {
                state.metrics.packages.inc();
                zip.add(&format!("{}.ppkg", o.name), &o.bytes)
                    .map_err(|e| e.to_string()) // the client went away
            }
            // A row that passed the check failed its build (a template file changed): the
            // zip is cut short, so the client sees a broken download rather than a partial
            // one that looks whole.
            Err(report) => Err(report.to_string()),
        });
        drop(permit);
        match streamed {
            Ok(()) => {
                if let Ok(mut w) = zip.finish() {
                    let _ = w.flush_all();
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "bulk zip cut short");
                let w = zip.into_inner();
                let _ =
                    w.tx.blocking_send(Err(std::io::Error::other("bulk build failed")));
            }
        }
    });
    let mut resp = Response::new(Body::from_stream(ReceiverStream(rx)));
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    set_disposition(
        &mut resp,
        &format!(
            "{}.zip",
            engine::file_name(&template).trim_end_matches(".ppkg")
        ),
    );
    Ok(resp)
}

/// A `Write` that sends 64 KiB pieces into a channel (blocking when the client reads slowly).
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn flush_all(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(64 << 10),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 << 10 {
            self.flush_all()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct ReceiverStream(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for ReceiverStream {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// Checks an input without building: a profile (`application/toml`, or JSON), a package
/// request (JSON with `template` or `profile`, as `/v1/packages` takes), an answer file
/// (`application/xml`) or a package (`application/octet-stream`). 200 with
/// `{valid, diagnostics}` whatever the verdict.
#[utoipa::path(post, path = "/v1/validate", request_body(content = String, description = "TOML/JSON profile, package request, answer file or package"),
    responses(
    (status = 200, description = "{valid: bool, diagnostics: [Diagnostic]} (as `ppkg validate --json`)"),
    (status = 400, description = "malformed JSON", body = Problem, content_type = "application/problem+json"),
    (status = 413, description = "body too large"),
    (status = 415, description = "unsupported content type", body = Problem, content_type = "application/problem+json")))]
async fn validate(
    State(s): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let password = headers
        .get("x-package-password")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let edition = s.edition;
    let s2 = s.clone();
    let diags = tokio::task::spawn_blocking(move || -> Result<Vec<Diagnostic>, Problem> {
        let text = || {
            std::str::from_utf8(&body).map_err(|e| {
                Problem::invalid(vec![engine::diag(BODY, Code::ParseError, "", format!("not UTF-8 at byte {}", e.valid_up_to()))])
            })
        };
        // A posted profile is checked with its files refused (never read from the server).
        let check = |pkg: ppkg::Result<ppkg::Package>| match pkg {
            Ok(p) => {
                let (p, refused) = engine::request_package(p.named(BODY).edition(edition), &BTreeMap::new(), BODY);
                csp_model::validate::merge_layers(refused, p.validate().into_diagnostics())
            }
            Err(e) => engine::error_diagnostics(e, BODY),
        };
        Ok(match ct.as_str() {
            "application/toml" | "text/toml" | "text/x-toml" => check(ppkg::Package::from_toml(text()?)),
            "application/json" => {
                let v: serde_json::Value = parse_json(&body, "JSON body")?;
                if v.get("template").is_some() || v.get("profile").is_some() {
                    let r: PackageRequest = parse_json(&body, "package request")?;
                    match device_of(&s2, &r) {
                        Ok((source, device)) => match source.bulk().device_package(&device) {
                            Ok(p) => p.validate().into_diagnostics(),
                            Err(report) => report.into_diagnostics(),
                        },
                        Err(p) if p.status == 422 => p.diagnostics,
                        Err(p) => return Err(p),
                    }
                } else {
                    check(
                        workplace::Profile::from_json(text()?)
                            .map(ppkg::Package::from_profile)
                            .map_err(|source| ppkg::Error::Profile { file: BODY.to_owned(), source: Box::new(source) }),
                    )
                }
            }
            "application/xml" | "text/xml" => match ppkg::Package::from_answer_file(&body) {
                Ok(p) => p.named(BODY).edition(edition).validate().into_diagnostics(),
                Err(e) => engine::error_diagnostics(e, BODY),
            },
            "application/octet-stream" | "application/vnd.ms-ppkg" => {
                engine::validate_package(body.to_vec(), password.as_deref(), BODY, edition)
            }
            other => {
                return Err(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    format!("Content-Type {other:?}: use application/toml, application/json, application/xml or application/octet-stream"),
                ))
            }
        })
    })
    .await
    .map_err(|e| Problem::internal(format!("validate task: {e}")))??;
    let valid = !diags.iter().any(Diagnostic::is_error);
    Ok(axum::Json(serde_json::json!({ "valid": valid, "diagnostics": diags })).into_response())
}

/// Reads a package (body: the `.ppkg`; password of an encrypted one in
/// `X-Package-Password`) and returns the document `ppkg inspect --json` prints (the same code:
/// `ppkg::inspect`): metadata, settings and compiled parms (secrets masked), payloads, typed
/// Wi-Fi networks and every check `validate` runs.
#[utoipa::path(post, path = "/v1/inspect", request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    params(("X-Package-Password" = Option<String>, Header, description = "password of an encrypted package"), InspectQuery),
    responses(
    (status = 200, description = "the package's contents"),
    (status = 413, description = "body too large"),
    (status = 422, description = "not a readable package", body = Problem, content_type = "application/problem+json")))]
async fn inspect(
    State(s): State<Arc<AppState>>,
    Query(q): Query<InspectQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let password = headers
        .get("x-package-password")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let file = q.file.unwrap_or_else(|| BODY.to_owned());
    let edition = s.edition;
    let v = tokio::task::spawn_blocking(move || {
        engine::inspect(body.to_vec(), password.as_deref(), &file, edition)
    })
    .await
    .map_err(|e| Problem::internal(format!("inspect task: {e}")))?
    .map_err(engine_problem)?;
    Ok(axum::Json(v).into_response())
}

/// `?file=NAME` of `/v1/inspect`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct InspectQuery {
    /// The name the document gives the package (`file`, and the file of its diagnostics);
    /// default `request body`.
    file: Option<String>,
}

/// `POST /v1/certificates/thumbprint`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThumbprintRequest {
    /// The PFX, base64.
    pfx: String,
    /// Its password.
    #[schema(value_type = String)]
    password: Secret,
}

/// Opens a PFX with its password and returns its certificate's SHA-1 thumbprint (what a
/// Certificate enrollment's `Secret` must be) and subject.
#[utoipa::path(post, path = "/v1/certificates/thumbprint", request_body = ThumbprintRequest, responses(
    (status = 200, description = "{thumbprint, subject}"),
    (status = 422, description = "wrong password or not a PFX", body = Problem, content_type = "application/problem+json")))]
async fn thumbprint(body: Bytes) -> Result<Response, Problem> {
    let r: ThumbprintRequest = parse_json(&body, "thumbprint request")?;
    let pfx = base64::engine::general_purpose::STANDARD
        .decode(r.pfx.trim())
        .map_err(|e| {
            Problem::invalid(vec![engine::diag(
                BODY,
                Code::ParseError,
                "pfx",
                format!("not base64: {e}"),
            )])
        })?;
    let (thumbprint, subject) =
        tokio::task::spawn_blocking(move || engine::pfx_thumbprint(&pfx, r.password.expose()))
            .await
            .map_err(|e| Problem::internal(format!("pfx task: {e}")))?
            .map_err(|m| {
                Problem::invalid(vec![engine::diag(BODY, Code::InputUnreadable, "pfx", m)])
            })?;
    Ok(
        axum::Json(serde_json::json!({ "thumbprint": thumbprint, "subject": subject }))
            .into_response(),
    )
}
