//! The page at `/`: plain HTML, CSS and JavaScript embedded in the binary (no framework, no
//! CDN; nothing is fetched from elsewhere).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("../web/index.html");
const SCRIPT: &str = include_str!("../web/app.js");
const STYLE: &str = include_str!("../web/app.css");

/// Content-Security-Policy of the page: only its own origin (no inline script, no CDN).
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn asset(body: &'static str, ct: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// The page.
#[utoipa::path(get, path = "/", responses((status = 200, description = "the page", content_type = "text/html")))]
pub(crate) async fn index() -> Response {
    asset(INDEX, "text/html; charset=utf-8")
}

/// The page's script.
#[utoipa::path(get, path = "/app.js", responses((status = 200, description = "script", content_type = "text/javascript")))]
pub(crate) async fn script() -> Response {
    asset(SCRIPT, "text/javascript; charset=utf-8")
}

/// The page's style sheet.
#[utoipa::path(get, path = "/app.css", responses((status = 200, description = "style sheet", content_type = "text/css")))]
pub(crate) async fn style() -> Response {
    asset(STYLE, "text/css; charset=utf-8")
}
