//! The fault suite: the real binary, killed with SIGKILL in the middle of its work and started
//! again, against a local server speaking Twilio's REST API (Messages create and list). Nothing
//! accepted is lost, nothing is sent twice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk");
const ACCOUNT: &str = "AC00000000000000000000000000000009";
const TOKEN: &str = "fault-suite-token";
const SHOP: &str = "+16175550120";
/// How long a test waits for the server to catch up before it fails.
const PATIENCE: Duration = Duration::from_secs(180);

/// What the stand-in Twilio has accepted: (to, body).
type Accepted = Arc<Mutex<Vec<(String, String, String)>>>;

async fn create(State(acc): State<Accepted>, body: String) -> (StatusCode, axum::Json<Value>) {
    let form: HashMap<String, String> = serde_urlencoded::from_str(&body).unwrap_or_default();
    let sid = {
        let mut a = acc.lock().unwrap();
        let sid = format!("SM{:032}", a.len() + 1);
        a.push((form["To"].clone(), form["Body"].clone(), sid.clone()));
        sid
    };
    // Twilio has the message; its answer is slow, so a kill often lands before we record it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (
        StatusCode::CREATED,
        axum::Json(json!({"sid": sid, "status": "queued", "num_segments": "1"})),
    )
}

async fn list(
    State(acc): State<Accepted>,
    Query(q): Query<HashMap<String, String>>,
) -> axum::Json<Value> {
    let now = chrono::Utc::now().to_rfc2822();
    let messages: Vec<Value> = acc
        .lock()
        .unwrap()
        .iter()
        .rev()
        .filter(|(to, _, _)| q.get("To").is_none_or(|t| t == to))
        .map(|(to, body, sid)| {
            json!({"sid": sid, "status": "sent", "to": to, "from": SHOP, "body": body, "date_created": now})
        })
        .collect();
    axum::Json(json!({"messages": messages}))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn cli(data: &Path, args: &[&str], stdin: &str) -> String {
    let mut c = Command::new(BIN)
        .args(["--data-dir", data.to_str().unwrap()])
        .args(args)
        .env_remove("FRONTDESK_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let o = c.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn serve(data: &Path, port: u16, twilio: &str) -> Child {
    let mut child = Command::new(BIN)
        .args(["--data-dir", data.to_str().unwrap(), "--log-level", "warn"])
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env_remove("FRONTDESK_DATABASE_URL")
        .env("FRONTDESK_TWILIO_ACCOUNT_SID", ACCOUNT)
        .env("FRONTDESK_TWILIO_AUTH_TOKEN", TOKEN)
        .env("FRONTDESK_TWILIO_API_BASE", twilio)
        .env("FRONTDESK_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The first line says it listens.
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains("listening"), "{first}");
    // Keep reading what it prints, so that it never writes to a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    child
}

/// One HTTP/1.1 request; the status and body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    // A server that answers before reading everything may reset the connection after its
    // answer: keep what arrived.
    let _ = s.read_to_end(&mut raw);
    let out = String::from_utf8_lossy(&raw).into_owned();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Texts `body` from `from` to the shop, as Twilio's signed webhook.
fn text_in(port: u16, sid: &str, from: &str, body: &str) {
    let params: Vec<(String, String)> = [
        ("AccountSid", ACCOUNT),
        ("MessageSid", sid),
        ("From", from),
        ("To", SHOP),
        ("Body", body),
        ("NumSegments", "1"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let url = format!("http://127.0.0.1:{port}/twilio/sms");
    let sig = frontdesk_desk::providers::twilio::signature(TOKEN, &url, &params);
    let form = serde_urlencoded::to_string(&params).unwrap();
    let (status, body) = http(
        port,
        "POST",
        "/twilio/sms",
        &[
            ("Content-Type", "application/x-www-form-urlencoded".into()),
            ("X-Twilio-Signature", sig),
        ],
        &form,
    );
    assert_eq!(status, 200, "{body}");
}

fn eventually<T>(what: &str, mut check: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match check() {
            Ok(v) => return v,
            Err(last) if Instant::now() >= deadline => {
                panic!("waited {PATIENCE:?} for {what}; last: {last}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

#[test]
fn a_server_killed_while_sending_loses_nothing_and_sends_nothing_twice() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let accepted: Accepted = Arc::default();
    let twilio = rt.block_on(async {
        let app = Router::new()
            .route(
                &format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json"),
                post(create).get(list),
            )
            .with_state(accepted.clone());
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await });
        format!("http://{addr}")
    });
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/tonys-pizza.yaml");
    cli(&data, &["import", demo.to_str().unwrap()], "");
    cli(
        &data,
        &[
            "admin",
            "create",
            "--email",
            "op@example.com",
            "--password-stdin",
        ],
        "a long enough password\n",
    );
    let token = cli(
        &data,
        &[
            "token",
            "create",
            "--email",
            "op@example.com",
            "--minutes",
            "600",
        ],
        "",
    );
    let port = free_port();

    let mut server = serve(&data, port, &twilio);
    let customers: Vec<String> = (0..40)
        .map(|i| format!("+1617555{:04}", 3000 + i))
        .collect();
    for (i, from) in customers[..30].iter().enumerate() {
        text_in(
            port,
            &format!("SMin{i:030}"),
            from,
            "what are your hours today?",
        );
    }
    // Kill it while replies are going out: some sent, some in flight, some not yet tried.
    eventually("the first replies reaching Twilio", || {
        let n = accepted.lock().unwrap().len();
        if n >= 3 { Ok(()) } else { Err(format!("{n}")) }
    });
    server.kill().unwrap();
    server.wait().unwrap();
    let at_kill = accepted.lock().unwrap().len();
    eprintln!("killed after Twilio accepted {at_kill} replies");

    let mut server = serve(&data, port, &twilio);
    for (i, from) in customers[30..].iter().enumerate() {
        text_in(
            port,
            &format!("SMin{:030}", 30 + i),
            from,
            "do you deliver?",
        );
    }
    // Every customer answered…
    let per_number = eventually("a reply to every customer", || {
        let mut per: HashMap<String, usize> = HashMap::new();
        for (to, _, _) in accepted.lock().unwrap().iter() {
            *per.entry(to.clone()).or_default() += 1;
        }
        if customers.iter().all(|c| per.contains_key(c)) {
            Ok(per)
        } else {
            Err(format!("{} of {}", per.len(), customers.len()))
        }
    });
    // …and the queue drained, so nothing more is on its way.
    let auth = [("Authorization", format!("Bearer {token}"))];
    eventually("the queue drained", || {
        let mut busy = 0;
        for status in ["queued", "running"] {
            let (code, body) = http(
                port,
                "GET",
                &format!("/api/v1/jobs?status={status}"),
                &auth,
                "",
            );
            let v: Value =
                serde_json::from_str(&body).map_err(|e| format!("{code} {e}: {body}"))?;
            busy += v.as_array().map_or(0, Vec::len);
        }
        if busy == 0 {
            Ok(())
        } else {
            Err(format!("{busy} jobs"))
        }
    });
    let per_number: HashMap<String, usize> = {
        let mut per: HashMap<String, usize> = HashMap::new();
        for (to, _, _) in accepted.lock().unwrap().iter() {
            *per.entry(to.clone()).or_default() += 1;
        }
        assert!(per.len() >= per_number.len());
        per
    };
    for c in &customers {
        assert_eq!(
            per_number.get(c),
            Some(&1),
            "{c} got {:?} replies (killed after {at_kill} sends)",
            per_number.get(c)
        );
    }
    let (code, body) = http(
        port,
        "GET",
        "/api/v1/businesses/tonys-pizza/texts?limit=200",
        &auth,
        "",
    );
    assert_eq!(code, 200, "{body}");
    let texts: Value = serde_json::from_str(&body).unwrap();
    let items = texts["items"].as_array().unwrap();
    let inbound = items.iter().filter(|t| t["direction"] == "inbound").count();
    assert_eq!(inbound, customers.len(), "every inbound text kept");
    for t in items.iter().filter(|t| t["direction"] == "outbound") {
        assert!(
            t["sid"].is_string(),
            "every reply recorded with Twilio's sid: {t}"
        );
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
