//! A call's or a voicemail's recording, played in the dashboard. The server fetches it from
//! Twilio with the account's credentials (the browser never sees them, nor Twilio's address)
//! and streams it through, byte ranges included so the player can seek. Only a recording of the
//! chosen business is served, to its members; its SID is all that is taken from the request.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use frontdesk_desk::providers::twilio::rest::{RestError, recording_sid};
use serde::Deserialize;

use super::layout::{not_found, outcome, problem};
use super::{Signed, chosen};
use crate::AppState;

#[derive(Deserialize)]
pub struct Q {
    b: Option<String>,
}

/// The headers of Twilio's answer passed on to the player.
const PASSED: [header::HeaderName; 4] = [
    header::CONTENT_TYPE,
    header::CONTENT_LENGTH,
    header::CONTENT_RANGE,
    header::ACCEPT_RANGES,
];

pub async fn play(
    State(st): State<AppState>,
    signed: Signed,
    Path(sid): Path<String>,
    Query(q): Query<Q>,
    asked: HeaderMap,
) -> Response {
    let r = async {
        let Some(scope) = chosen(&st, &signed, q.b.as_deref()).await? else {
            return Ok(not_found());
        };
        if !recording_sid(&sid) || !st.db.tenant(&scope.business.id).has_recording(&sid).await? {
            return Ok(not_found());
        }
        let Some(twilio) = st.desk.twilio.as_ref() else {
            return Ok(problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "No recording service",
                "Twilio is not configured on this installation, so its recordings cannot be played.",
            ));
        };
        // One range, as a player asks ("bytes=12345-"); anything longer is not passed on.
        let range = asked
            .get(header::RANGE)
            .and_then(|v| v.to_str().ok())
            .filter(|r| r.len() <= 64 && r.starts_with("bytes="));
        match twilio.recording(&sid, range).await {
            Ok(up) => Ok(relay(up)),
            Err(RestError::Rejected { status: 416, .. }) => Ok(Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .body(Body::empty())
                .unwrap_or_default()),
            Err(RestError::Rejected { status: 404, .. }) => Ok(problem(
                StatusCode::NOT_FOUND,
                "Recording gone",
                "Twilio no longer has this recording (it may have been deleted there).",
            )),
            Err(e) => {
                tracing::warn!(error = %e, business = %scope.business.slug, "fetching a recording");
                Ok(problem(
                    StatusCode::BAD_GATEWAY,
                    "Recording unavailable",
                    "Twilio could not give the recording just now. Try again in a minute.",
                ))
            }
        }
    }
    .await;
    outcome(r, None::<&str>)
}

/// Twilio's answer streamed to the player, with its status and the headers a player needs.
fn relay(up: reqwest::Response) -> Response {
    let status = StatusCode::from_u16(up.status().as_u16()).unwrap_or(StatusCode::OK);
    let mut headers = HeaderMap::new();
    for name in PASSED {
        if let Some(v) = up.headers().get(name.as_str())
            && let Ok(v) = HeaderValue::from_bytes(v.as_bytes())
        {
            headers.insert(name, v);
        }
    }
    headers
        .entry(header::CONTENT_TYPE)
        .or_insert(HeaderValue::from_static("audio/mpeg"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    let body = futures_util::stream::unfold(Some(up), |up| async move {
        let mut up = up?;
        match up.chunk().await {
            Ok(Some(bytes)) => Some((Ok::<_, reqwest::Error>(bytes), Some(up))),
            Ok(None) => None,
            Err(e) => Some((Err(e), None)),
        }
    });
    let mut resp = Response::new(Body::from_stream(body));
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp
}
