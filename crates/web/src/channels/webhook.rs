//! A Twilio webhook as a handler receives it: form-encoded, signed, and checked before anything
//! else happens. The URL that was signed is the configured public base URL (behind a proxy) or
//! the request's own scheme and host, followed by the path and query Twilio called.

use std::collections::HashMap;

use axum::extract::{FromRequest, Request};
use axum::http::header;

use crate::AppState;
use crate::error::ApiError;

/// A verified webhook: its POST parameters and the URL that Twilio signed.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub params: Vec<(String, String)>,
    /// Our own query parameters on the URL (e.g. the business a callback is for).
    pub query: HashMap<String, String>,
    /// The base URL the callback URLs we hand out start with.
    pub base: String,
    /// The body as received, stored before the webhook is acted on.
    pub body: String,
}

impl Webhook {
    /// A POST parameter, when present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A POST parameter, or empty.
    pub fn param(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }
}

/// The base URL outside callers use: the configured one, or this request's scheme and host.
pub fn base_url(st: &AppState, headers: &axum::http::HeaderMap) -> String {
    if !st.cfg.public_url.is_empty() {
        return st.cfg.public_url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|s| matches!(*s, "http" | "https"))
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

impl FromRequest<AppState> for Webhook {
    type Rejection = ApiError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, ApiError> {
        let token = st.cfg.twilio.auth_token.clone();
        if token.is_empty() {
            return Err(ApiError::Forbidden(
                "Twilio webhooks are refused: no auth token is configured",
            ));
        }
        let (parts, body) = req.into_parts();
        let base = base_url(st, &parts.headers);
        let path_q = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
        let url = format!("{base}{path_q}");
        let signature = parts
            .headers
            .get("x-twilio-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = axum::body::to_bytes(body, st.cfg.server.body_limit_bytes)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        let params: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| ApiError::BadRequest(format!("form body: {e}")))?;
        if !frontdesk_desk::providers::twilio::verify(token.expose(), &url, &params, &signature) {
            metrics::counter!("twilio_webhooks_rejected_total").increment(1);
            tracing::warn!(
                path = parts.uri.path(),
                "Twilio webhook with a bad or missing signature"
            );
            return Err(ApiError::Forbidden("bad or missing X-Twilio-Signature"));
        }
        let query = parts
            .uri
            .query()
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .unwrap_or_default()
            .into_iter()
            .collect();
        Ok(Self {
            params,
            query,
            base,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}
