//! API tests: one binary, every test on SQLite and on PostgreSQL. Each test gets a fresh
//! database and a router driven in-process with `oneshot`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod abuse;
mod agent;
mod api;
mod auth;
mod booking;
mod browser;
mod calendars;
mod dashboard;
mod fakes;
mod fuzz;
mod llm;
mod media;
mod notify;
mod profiles;
mod relay;
mod speech;
mod texts;
mod voice;
mod webchat;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use frontdesk_desk::admin as manage;
use frontdesk_store::Db;
use frontdesk_store::testing::TestDb;
use frontdesk_web::{AppState, Config};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// How long a test waits for asynchronous work (a job, a delivery) before it fails: generous,
/// so that a loaded machine only makes a test slower, never wrong.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Polls `check` every 20 ms until it gives a value, and returns it; fails after [`PATIENCE`],
/// saying what was awaited and what `last` shows then. Tests wait for the condition they need,
/// never for a fixed time.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match check().await {
            Ok(v) => return v,
            Err(last) if tokio::time::Instant::now() >= deadline => {
                panic!("waited {PATIENCE:?} for {what}; last: {last}")
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    }
}

pub const OPERATOR: &str = "op@example.com";
/// The tests' key for sealing secrets in the database (base64 of 32 bytes).
pub const TEST_SECRET_KEY: &str = "dGVzdC1zZWFsaW5nLWtleS0zMi1ieXRlcy1sb25nISE";
pub const PASSWORD: &str = "correct horse battery";

pub struct App {
    pub router: Router,
    pub db: Db,
    /// The state behind the router, for running its jobs.
    pub st: AppState,
    /// An operator's access token.
    pub op: String,
    _t: TestDb,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Resp {
    /// The stable error code of an error body.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }
}

impl App {
    pub async fn spawn(t: TestDb, mut cfg: Config) -> App {
        // The sealing key comes from the settings, never from a key file in the working
        // directory.
        if cfg.auth.secret_key.is_empty() {
            cfg.auth.secret_key = frontdesk_web::Secret::new(TEST_SECRET_KEY);
        }
        let db = t.db.clone();
        manage::create_operator(&db, OPERATOR, Some("Op"), PASSWORD)
            .await
            .unwrap();
        let st = AppState::new(db.clone(), cfg).await.unwrap();
        let router = frontdesk_web::router(st.clone());
        let mut app = App {
            router,
            db,
            st,
            op: String::new(),
            _t: t,
        };
        app.op = app.login(OPERATOR, PASSWORD).await.json["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        app
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(serde_json::json!({"email": email, "password": password})),
        )
        .await
    }

    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let resp = self
            .router
            .clone()
            .oneshot(req.body(body.into()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            json,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        match body {
            Some(b) => {
                self.raw(method, path, token, Some("application/json"), b.to_string())
                    .await
            }
            None => self.raw(method, path, token, None, Body::empty()).await,
        }
    }

    /// A GET as the operator.
    pub async fn get(&self, path: &str) -> Resp {
        self.call("GET", path, Some(&self.op), None).await
    }

    /// Imports a YAML profile as the operator; returns the business id.
    pub async fn business(&self, yaml: &str) -> String {
        let r = self
            .raw(
                "POST",
                "/api/v1/businesses/import",
                Some(&self.op),
                Some("application/yaml"),
                yaml.to_owned(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json["business"]["id"].as_str().unwrap().to_owned()
    }

    /// Adds a member with `role` to `business` and returns their access token.
    pub async fn member(&self, business: &str, email: &str, role: &str) -> String {
        let body = serde_json::json!({"email": email, "role": role, "password": PASSWORD});
        let r = self
            .call(
                "POST",
                &format!("/api/v1/businesses/{business}/members"),
                Some(&self.op),
                Some(body),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        self.login(email, PASSWORD).await.json["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

pub fn simple_profile(slug: &str, phone: &str) -> String {
    format!(
        "version: 1\nslug: {slug}\nname: Shop {slug}\nkind: retail\ntimezone: America/New_York\nphone: \"{phone}\"\n"
    )
}

/// The one way tests are declared: each runs once on SQLite and once on PostgreSQL (a fresh
/// database each time; PostgreSQL is skipped when it is not installed, unless
/// `FRONTDESK_TEST_REQUIRE_POSTGRES` is set). `name` alone gets the app with default settings
/// ([`with_app`]); `name => runner` gets whatever `runner` builds for it: `runner` is called with
/// the database and the test function, sets up what the test needs (settings, a stand-in for an
/// outside service, a served port) and runs it.
#[macro_export]
macro_rules! on_both {
    (@run $t:ident, $test:path) => { $crate::with_app($t, $test).await };
    (@run $t:ident, $test:path, $runner:expr) => { ($runner)($t, $test).await };
    ($($name:ident $(=> $runner:expr)?),* $(,)?) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run(t: frontdesk_store::testing::TestDb) {
                $crate::on_both!(@run t, super::$name $(, $runner)?);
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run(frontdesk_store::testing::sqlite().await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(t) = frontdesk_store::testing::postgres().await else { return };
                run(t).await;
            }
        }
    )*};
}

/// Runs `test` with the app on default settings.
pub async fn with_app<F: std::future::Future<Output = ()>>(t: TestDb, test: impl FnOnce(App) -> F) {
    test(App::spawn(t, Config::default()).await).await
}

/// Runs `test` with the database alone (it builds what it needs itself).
pub async fn with_db<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(TestDb) -> F,
) {
    test(t).await
}

/// Runs `test` with the app on the settings `cfg`.
pub async fn with_config<F: std::future::Future<Output = ()>>(
    t: TestDb,
    cfg: Config,
    test: impl FnOnce(App) -> F,
) {
    test(App::spawn(t, cfg).await).await
}

/// The app served on a real port (for WebSocket clients and browsers), with its public URL set
/// to that port; returns the app and its base URL.
/// Another server of the same installation: `app`'s database, `cfg`, served on a port of its
/// own; its address.
pub async fn second_server(app: &App, mut cfg: Config) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    cfg.public_url = base.clone();
    if cfg.auth.secret_key.is_empty() {
        cfg.auth.secret_key = frontdesk_web::Secret::new(TEST_SECRET_KEY);
    }
    let db = frontdesk_store::Db::connect(&app._t.url).await.unwrap();
    let st = AppState::new(db, cfg).await.unwrap();
    tokio::spawn(frontdesk_web::serve(
        listener,
        frontdesk_web::router(st),
        std::future::pending(),
    ));
    base
}

pub async fn serve_on_port(t: TestDb, mut cfg: Config) -> (App, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    cfg.public_url = base.clone();
    let app = App::spawn(t, cfg).await;
    tokio::spawn(frontdesk_web::serve(
        listener,
        app.router.clone(),
        std::future::pending(),
    ));
    (app, base)
}
