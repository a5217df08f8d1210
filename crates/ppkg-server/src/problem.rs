//! Errors as RFC 9457 problem details (`application/problem+json`).
//!
//! Members: `type` (`urn:ppkg:problem:<slug>`), `title`, `status`, `detail`, and the
//! extension members `path`, `line`, `column` (of the first error: the setting path in
//! customizations.xml terms and the 1-based position in the input named by `file`) and
//! `diagnostics` (every finding, with the same fields).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use ppkg::Diagnostic;

/// The media type of problem details (RFC 9457 §3).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:ppkg:problem:<slug>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What happened, for a person.
    pub detail: String,
    /// Setting path of the first error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// File (template, request body part) the first error's position refers to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line of the first error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based column of the first error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Every finding (`ppkg::Diagnostic`: `file`, `member`, `line`, `column`, `severity`,
    /// `code`, `path`, `message`, `hint`, `reason`), as `ppkg validate --json` prints them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub diagnostics: Vec<Diagnostic>,
    /// Seconds for `Retry-After` (503).
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem of a status, slug and detail.
    pub fn new(status: StatusCode, slug: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:ppkg:problem:{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            path: None,
            file: None,
            line: None,
            column: None,
            diagnostics: Vec::new(),
            retry_after: None,
        }
    }

    /// 422 for an input with errors: the first error's place at the top, all diagnostics.
    pub fn invalid(diags: Vec<Diagnostic>) -> Problem {
        let errors = diags.iter().filter(|d| d.is_error()).count();
        let first = diags
            .iter()
            .find(|d| d.is_error())
            .or(diags.first())
            .cloned();
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            match &first {
                Some(d) => format!("{errors} error(s); first: {d}"),
                None => "the input is invalid".to_owned(),
            },
        );
        if let Some(d) = first {
            p.path = (!d.path.is_empty()).then_some(d.path);
            p.file = d.file.map(|f| match &d.member {
                Some(m) => format!("{f}!/{m}"),
                None => f,
            });
            p.line = d.pos.map(|p| p.line);
            p.column = d.pos.map(|p| p.column);
        }
        p.diagnostics = diags;
        p
    }

    /// 400 for a request body that is not the JSON it should be, with the position.
    pub fn bad_json(e: &serde_json::Error, what: &str) -> Problem {
        let mut p = Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request-body",
            // serde repeats a wrongly typed value ("invalid type: integer `98765432`"): it may
            // be a password, so it is hidden.
            format!("{what}: {}", workplace::redact_values(&e.to_string())),
        );
        p.file = Some("request body".to_owned());
        p.line = u32::try_from(e.line()).ok().filter(|l| *l > 0);
        p.column = u32::try_from(e.column()).ok().filter(|_| e.line() > 0);
        p
    }

    /// 500 with a message holding no secret.
    pub fn internal(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut r = (status, body).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(s) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}
