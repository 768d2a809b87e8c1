//! The HTTP composition root: REST API under `/api/v1`, the channels' webhooks and sockets,
//! health and metrics, the OpenAPI document and its browsable docs. Each API area is a module
//! with its own `router()`, merged here. What the requests do is `frontdesk-desk`'s work.

pub mod auth;
pub mod channels;
pub mod client;
pub mod error;
mod openapi;
pub mod pages;
pub(crate) mod routes;
pub mod views;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use frontdesk_store::Db;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use frontdesk_desk::accounts::TokenKeys;
use frontdesk_desk::providers::speech::Speech;
pub use frontdesk_desk::{Config, Desk, Secret};

/// How many keys (client addresses, accounts, credentials) a limiter tracks before pruning
/// idle ones, so a flood of distinct keys cannot grow it without bound.
const MAX_TRACKED_KEYS: usize = 10_000;

/// How many profile documents are parsed at once, off the async runtime; more wait their turn.
const PROFILE_PARSE_SLOTS: usize = 2;

/// Growing delays after wrong passwords for one account from one address: the first few are
/// free, then each further try waits twice as long as the last (1 s, 2 s, 4 s … 15 min). A
/// right password clears it. Strangers elsewhere are not slowed, and the owner is not locked out.
#[derive(Default)]
pub struct LoginBackoff {
    tries: std::sync::Mutex<std::collections::HashMap<String, (u32, Instant)>>,
}

impl LoginBackoff {
    /// Wrong passwords allowed before delays begin.
    const FREE: u32 = 3;
    const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

    /// How long `key` must still wait, if at all.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Ok(m) = self.tries.lock() else {
            return Ok(());
        };
        match m.get(key) {
            Some((_, until)) if *until > now => Err(*until - now),
            _ => Ok(()),
        }
    }

    pub fn failed(&self, key: &str, now: Instant) {
        let Ok(mut m) = self.tries.lock() else {
            return;
        };
        if m.len() > MAX_TRACKED_KEYS {
            m.retain(|_, (_, until)| *until + Self::MAX_WAIT > now);
        }
        let e = m.entry(key.to_owned()).or_insert((0, now));
        e.0 += 1;
        if e.0 > Self::FREE {
            let exp = (e.0 - Self::FREE - 1).min(20);
            e.1 = now + Duration::from_secs(1u64 << exp).min(Self::MAX_WAIT);
        }
    }

    pub fn succeeded(&self, key: &str) {
        if let Ok(mut m) = self.tries.lock() {
            m.remove(key);
        }
    }
}

/// A limiter per key that says how long to wait when it refuses.
pub struct Limiter {
    limiter: DefaultKeyedRateLimiter<String>,
    max_tracked: usize,
}

impl Limiter {
    pub fn new(quota: Quota) -> Self {
        Self::tracking(quota, MAX_TRACKED_KEYS)
    }

    /// A limiter that forgets idle keys once it tracks more than `max_tracked`.
    pub fn tracking(quota: Quota, max_tracked: usize) -> Self {
        Self {
            limiter: RateLimiter::keyed(quota),
            max_tracked,
        }
    }

    /// Counts one request for `key`; when over the limit, how long until the next is allowed.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        if self.limiter.len() > self.max_tracked {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_owned())
            .map_err(|not_until| {
                not_until.wait_time_from(governor::clock::Clock::now(self.limiter.clock()))
            })
    }
}

/// Shared by every request; one pointer to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] points to.
pub struct Shared {
    /// The operations: the turn host, notices, jobs and the outside services.
    pub desk: Desk,
    /// The database (the same as the desk's), for the routes' reads and writes.
    pub db: Db,
    pub cfg: Arc<Config>,
    pub tokens: TokenKeys,
    /// Login attempts per client address, and per account from one address: never per
    /// account alone, which would let anyone lock an owner out.
    login_by_ip: Limiter,
    login_by_account_ip: Limiter,
    /// Growing delays after wrong passwords, per account from one address.
    pub login_backoff: LoginBackoff,
    /// API requests per credential (API key or user).
    pub api_limiter: Limiter,
    /// API requests per business, from all its credentials together.
    pub business_limiter: Limiter,
    /// The proxies whose forwarding headers name the client.
    pub proxies: client::TrustedProxies,
    /// Seals the secrets the web layer keeps in the database (second factors).
    pub sealer: frontdesk_desk::secrets::Sealer,
    /// Profile documents being parsed (CPU work, done on blocking threads).
    pub profile_parses: Arc<tokio::sync::Semaphore>,
    metrics: PrometheusHandle,
    started: Instant,
    /// The web chat's per-visitor and per-address limits.
    pub chat_limits: channels::webchat::Limits,
    /// Password-reset e-mails asked for, per address and per client.
    pub link_limits: pages::LinkLimits,
    /// Bookings from the public booking page, per client address and per business.
    pub book_limits: pages::BookLimits,
    /// Speech-to-text and text-to-speech for calls whose audio comes here (Media Streams).
    pub speech: Arc<Speech>,
}

fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ])
                .map(|b| b.build_recorder())
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
            let handle = recorder.handle();
            // Only the first app in a process installs the global recorder; later ones share it.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

impl AppState {
    /// Builds the state; the token key comes from the config or, when unset, from the database.
    pub async fn new(db: Db, cfg: Config) -> anyhow::Result<Self> {
        let tokens = TokenKeys::for_installation(&db, &cfg).await?;
        let per_min = std::num::NonZeroU32::new(cfg.auth.login_attempts_per_minute)
            .unwrap_or(std::num::NonZeroU32::MIN);
        let quota = Quota::per_minute(per_min);
        let api_per_min = std::num::NonZeroU32::new(cfg.server.api_requests_per_minute)
            .unwrap_or(std::num::NonZeroU32::MIN);
        let business_per_min =
            std::num::NonZeroU32::new(cfg.server.api_requests_per_minute_per_business)
                .unwrap_or(std::num::NonZeroU32::MIN);
        let proxies = client::TrustedProxies::parse(&cfg.server.trusted_proxies)
            .map_err(anyhow::Error::msg)?;
        let book_limits = pages::BookLimits::new(
            cfg.server.booking_page_per_address_per_hour,
            cfg.server.booking_page_per_business_per_hour,
        );
        let desk = Desk::new(db.clone(), &cfg)?;
        desk.host.share_live(&db);
        let sealer =
            frontdesk_desk::secrets::Sealer::for_installation(&cfg).map_err(anyhow::Error::msg)?;
        let speech = Arc::new(Speech::from_config(&cfg.speech).map_err(anyhow::Error::msg)?);
        Ok(Self(Arc::new(Shared {
            desk,
            tokens,
            db,
            cfg: Arc::new(cfg),
            login_by_ip: Limiter::new(quota),
            login_by_account_ip: Limiter::new(quota),
            login_backoff: LoginBackoff::default(),
            api_limiter: Limiter::new(Quota::per_minute(api_per_min)),
            business_limiter: Limiter::new(Quota::per_minute(business_per_min)),
            proxies,
            sealer,
            profile_parses: Arc::new(tokio::sync::Semaphore::new(PROFILE_PARSE_SLOTS)),
            metrics: metrics_handle(),
            started: Instant::now(),
            chat_limits: channels::webchat::Limits::default(),
            link_limits: pages::LinkLimits::default(),
            book_limits,
            speech,
        })))
    }

    /// Counts one login attempt against the client address and against this account from
    /// this address; when either is spent, says how long to wait.
    /// `account` is the [`login_key`] of the e-mail and the address.
    pub fn check_login_rate(&self, ip: Option<&str>, account: &str) -> Result<(), error::ApiError> {
        self.login_backoff
            .check(account, Instant::now())
            .map_err(error::ApiError::RateLimited)?;
        let by_ip = ip.map_or(Ok(()), |ip| self.login_by_ip.check(ip));
        let by_account = self.login_by_account_ip.check(account);
        match (by_ip, by_account) {
            (Ok(()), Ok(())) => Ok(()),
            (a, b) => Err(error::ApiError::RateLimited(
                a.err().unwrap_or_default().max(b.err().unwrap_or_default()),
            )),
        }
    }
}

/// The key the login limits count one account from one address under.
pub fn login_key(email: &str, ip: Option<&str>) -> String {
    format!("{}\n{}", email.trim().to_lowercase(), ip.unwrap_or(""))
}

/// The whole application router.
pub fn router(st: AppState) -> Router {
    let limit = st.cfg.server.body_limit_bytes;
    Router::new()
        .merge(routes::ops::router())
        .nest("/api/v1", routes::api_router())
        .merge(routes::calendars::public_router())
        .merge(channels::router())
        .merge(openapi::router())
        .merge(pages::router())
        .layer(middleware::from_fn(track))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .fallback(|| async { error::ApiError::NotFound })
        .with_state(st)
}

/// Gives an error that the framework produced itself (a rejected query string, a wrong method,
/// an oversized or non-UTF-8 body) the API's one error shape, keeping its message.
async fn to_json_error(resp: Response) -> Response {
    let status = resp.status();
    let code = error::code_for(status);
    let text = axum::body::to_bytes(resp.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let message = if text.is_empty() || status.is_server_error() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text
    };
    error::error_response(status, code, message, None)
}

/// Records request metrics and a log line; gives framework errors the API's error shape.
async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    // A reference-counted copy: the text is only read if a log line is written.
    let rid = req.headers().get("x-request-id").cloned();
    let mut resp = next.run(req).await;
    let status = resp.status();
    // Only the framework's own errors (plain text or no body type) are reshaped: a channel's
    // answer in its own language — TwiML to Twilio — is passed on as it is.
    if status.as_u16() >= 400
        && resp
            .headers()
            .get(header::CONTENT_TYPE)
            .is_none_or(|c| c.as_bytes().starts_with(b"text/plain"))
    {
        resp = to_json_error(resp).await;
    }
    let secs = start.elapsed().as_secs_f64();
    let labels = [
        ("method", method.to_string()),
        ("route", route.clone()),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2]).record(secs);
    if status.is_server_error() {
        tracing::warn!(%method, route, status = status.as_u16(), request_id = rid.as_ref().and_then(|v| v.to_str().ok()).unwrap_or(""), ms = secs * 1000.0, "request failed");
    } else {
        tracing::debug!(%method, route, status = status.as_u16(), request_id = rid.as_ref().and_then(|v| v.to_str().ok()).unwrap_or(""), ms = secs * 1000.0, "request");
    }
    resp
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // Replies stream as several small writes (a relay's sentences, a chat's pieces): without
    // TCP_NODELAY, Nagle's algorithm holds each after the first until the peer's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// How long the server has been up, for `/healthz`.
pub(crate) fn uptime(st: &AppState) -> Duration {
    st.started.elapsed()
}

pub(crate) fn render_metrics(st: &AppState) -> axum::response::Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn wrong_passwords_wait_longer_each_time_and_a_right_one_clears_it() {
        let b = LoginBackoff::default();
        let t0 = Instant::now();
        for _ in 0..LoginBackoff::FREE {
            assert!(b.check("ana\n1.2.3.4", t0).is_ok());
            b.failed("ana\n1.2.3.4", t0);
        }
        assert!(
            b.check("ana\n1.2.3.4", t0).is_ok(),
            "the first few are free"
        );
        let mut waits = Vec::new();
        let mut now = t0;
        for _ in 0..4 {
            b.failed("ana\n1.2.3.4", now);
            let wait = b.check("ana\n1.2.3.4", now).unwrap_err();
            waits.push(wait.as_secs());
            now += wait;
            assert!(b.check("ana\n1.2.3.4", now).is_ok());
        }
        assert_eq!(waits, vec![1, 2, 4, 8]);
        // The same account from elsewhere, and others from here, are not slowed.
        assert!(b.check("ana\n5.6.7.8", t0).is_ok());
        assert!(b.check("bo\n1.2.3.4", t0).is_ok());
        for _ in 0..40 {
            b.failed("ana\n1.2.3.4", now);
        }
        assert_eq!(
            b.check("ana\n1.2.3.4", now).unwrap_err(),
            LoginBackoff::MAX_WAIT
        );
        b.succeeded("ana\n1.2.3.4");
        assert!(b.check("ana\n1.2.3.4", now).is_ok());
    }
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn through_track(handler: fn() -> Response) -> (StatusCode, String, String) {
        let app = Router::new()
            .route("/x", get(move || async move { handler() }))
            .layer(middleware::from_fn(track));
        let req = Request::builder().uri("/x").body(Body::empty()).unwrap();
        let resp = app.oneshot(req).await.unwrap();
        let ct = resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, ct, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_channels_own_error_answer_is_passed_on_unchanged() {
        // The apology Twilio plays when we cannot take a call stays TwiML, with its 503.
        let (status, ct, body) = through_track(channels::unavailable).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(ct.starts_with("text/xml"), "{ct}");
        assert!(body.contains("<Say") && body.contains("<Hangup"), "{body}");
        // The framework's own plain-text errors get the API's shape.
        let (status, ct, body) =
            through_track(|| (StatusCode::BAD_REQUEST, "bad query").into_response()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(ct, "application/json");
        assert!(
            body.contains("\"bad_request\"") && body.contains("bad query"),
            "{body}"
        );
    }
}
