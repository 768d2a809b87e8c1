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

/// What each test starts from: the stand-in Twilio on a runtime of its own, a data directory
/// holding one demo business and an operator, and a free port for the server.
struct Rig {
    _rt: tokio::runtime::Runtime,
    twilio: String,
    accepted: Accepted,
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    token: String,
    port: u16,
}

impl Rig {
    fn new(slug: &str) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (twilio, accepted) = stand_in_twilio(&rt);
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let token = installation(&data, slug);
        Self {
            _rt: rt,
            twilio,
            accepted,
            _dir: dir,
            data,
            token,
            port: free_port(),
        }
    }

    /// Twilio's base URL, what it accepted, the data directory, the operator's token, the port.
    fn parts(&self) -> (String, Accepted, std::path::PathBuf, String, u16) {
        (
            self.twilio.clone(),
            self.accepted.clone(),
            self.data.clone(),
            self.token.clone(),
            self.port,
        )
    }
}

/// Starts the stand-in for Twilio's REST API on `rt`: its base URL, and what it accepts.
fn stand_in_twilio(rt: &tokio::runtime::Runtime) -> (String, Accepted) {
    let accepted: Accepted = Arc::default();
    let app = Router::new()
        .route(
            &format!("/2010-04-01/Accounts/{ACCOUNT}/Messages.json"),
            post(create).get(list),
        )
        .with_state(accepted.clone());
    let url = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(l, app).await });
        format!("http://{addr}")
    });
    (url, accepted)
}

/// A data directory holding the demo business `slug` and an operator: the operator's token.
fn installation(data: &Path, slug: &str) -> String {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../demo/{slug}.yaml"));
    cli(data, &["import", demo.to_str().unwrap()], "");
    cli(
        data,
        &[
            "admin",
            "create",
            "--email",
            "op@example.com",
            "--password-stdin",
        ],
        "a long enough password\n",
    );
    cli(
        data,
        &[
            "token",
            "create",
            "--email",
            "op@example.com",
            "--minutes",
            "600",
        ],
        "",
    )
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
    try_http(port, method, path, headers, body).expect("the server is up")
}

/// [`http`] to a server that may be down: `None` when it cannot be reached, and status 0
/// when the connection broke before an answer.
fn try_http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).ok()?;
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
    Some((status, body))
}

/// Texts `body` from `from` to the shop, as Twilio's signed webhook.
fn text_in(port: u16, sid: &str, from: &str, body: &str) {
    let (status, body) = webhook(
        port,
        "/twilio/sms",
        &[
            ("MessageSid", sid),
            ("From", from),
            ("To", SHOP),
            ("Body", body),
            ("NumSegments", "1"),
        ],
    )
    .expect("the server is up");
    assert_eq!(status, 200, "{body}");
}

/// Posts Twilio's signed webhook to `path` (with its query) on a server that may be down, as
/// Twilio does: `None` when it could not be reached.
fn webhook(port: u16, path: &str, params: &[(&str, &str)]) -> Option<(u16, String)> {
    let mut all: Vec<(String, String)> = vec![("AccountSid".into(), ACCOUNT.into())];
    all.extend(
        params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let url = format!("http://127.0.0.1:{port}{path}");
    let sig = frontdesk_desk::providers::twilio::signature(TOKEN, &url, &all);
    let form = serde_urlencoded::to_string(&all).unwrap();
    try_http(
        port,
        "POST",
        path,
        &[
            ("Content-Type", "application/x-www-form-urlencoded".into()),
            ("X-Twilio-Signature", sig),
        ],
        &form,
    )
}

/// Posts a webhook until the server answers it with 200, as Twilio retries (or its fallback
/// URL repeats) a request that failed: the server may be down or restarting meanwhile.
fn webhook_until_taken(port: u16, path: &str, params: &[(&str, &str)]) -> String {
    let mut tries = 0;
    let body = eventually(&format!("{path} taken"), || {
        tries += 1;
        match webhook(port, path, params) {
            Some((200, body)) => Ok(body),
            other => Err(format!("{other:?}")),
        }
    });
    if tries > 1 {
        eprintln!("{path} taken at try {tries}");
    }
    body
}

/// Waits until no job is queued or running that is due within a minute: nothing more is on
/// its way. It asks less often
/// than the API's per-credential limit allows, and a 429 is one more wait.
fn queue_drained(port: u16, auth: &[(&str, String)]) {
    eventually("the queue drained", || {
        std::thread::sleep(Duration::from_millis(300));
        let mut busy = Vec::new();
        for status in ["queued", "running"] {
            let (code, body) = http(
                port,
                "GET",
                &format!("/api/v1/jobs?status={status}"),
                auth,
                "",
            );
            let v: Value =
                serde_json::from_str(&body).map_err(|e| format!("{code} {e}: {body}"))?;
            let jobs = v.as_array().ok_or_else(|| format!("{code}: {body}"))?;
            // Work planned for later (a reminder, a digest) is not on its way now.
            let soon = chrono::Utc::now().timestamp_millis() + 60_000;
            busy.extend(
                jobs.iter()
                    .filter(|j| j["run_at"].as_i64() < Some(soon))
                    .map(|j| {
                        format!(
                            "{} (attempts {}, {})",
                            j["kind"], j["attempts"], j["last_error"]
                        )
                    }),
            );
        }
        if busy.is_empty() {
            Ok(())
        } else {
            Err(busy.join("; "))
        }
    });
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
    let rig = Rig::new("tonys-pizza");
    let (twilio, accepted, data, token, port) = rig.parts();

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
    queue_drained(port, &auth);
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

const ROOTER: &str = "+13035550140";
/// A booking at the plumber, one turn at a time; the empty steps are the customer's choice of
/// the times offered and their name.
const BOOKING: [&str; 5] = [
    "hi my kitchen sink is clogged can you send someone out",
    "a week from today",
    "",
    "",
    "yes please",
];
const CHOICES: [&str; 3] = [
    "the first one works",
    "the second one works",
    "the last one works",
];

/// What customer `i` says at `step` of [`BOOKING`].
fn words(i: usize, step: usize) -> &'static str {
    match step {
        2 => CHOICES[i % CHOICES.len()],
        3 => NAMES[i],
        _ => BOOKING[step],
    }
}
const NAMES: [&str; 7] = [
    "Casey Morgan",
    "Ana Reyes",
    "Ben Ortiz",
    "Dana Kim",
    "Eli Novak",
    "Fay Lund",
    "Gil Park",
];

/// What the stand-in Twilio has accepted for `to`, in order.
fn bodies_to(accepted: &Accepted, to: &str) -> Vec<String> {
    accepted
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _, _)| t == to)
        .map(|(_, body, _)| body.clone())
        .collect()
}

/// The path and query of the `<Gather>` action in `twiml`, a URL on this server.
fn gather_action(twiml: &str, port: u16) -> String {
    let at = twiml
        .find("<Gather")
        .unwrap_or_else(|| panic!("no <Gather>: {twiml}"));
    let rest = &twiml[at..];
    let start = rest.find("action=\"").unwrap() + "action=\"".len();
    let url = &rest[start..start + rest[start..].find('"').unwrap()];
    url.replace("&amp;", "&")
        .trim_start_matches(&format!("http://127.0.0.1:{port}"))
        .to_owned()
}

/// Customers book by text and a caller books by phone while the server is killed twice with
/// SIGKILL and started again; a webhook that finds it down is posted again with the same id,
/// as Twilio's retry would. Every text is kept once, every turn taken once, every customer
/// holds one appointment, and what reached Twilio is exactly what is stored, in order.
#[test]
fn a_server_killed_during_texts_calls_and_bookings_loses_nothing() {
    let rig = Rig::new("rapid-rooter");
    let (twilio, accepted, data, token, port) = rig.parts();
    let mut server = serve(&data, port, &twilio);
    let kills = Arc::new(std::sync::atomic::AtomicUsize::new(0));

    let texters: Vec<String> = (0..6).map(|i| format!("+1720555{:04}", 1000 + i)).collect();
    let mut threads: Vec<std::thread::JoinHandle<()>> = Vec::new();
    for (i, from) in texters.iter().enumerate() {
        let (accepted, from) = (accepted.clone(), from.clone());
        threads.push(std::thread::spawn(move || {
            for k in 0..BOOKING.len() {
                let words = words(i, k);
                let sid = format!("SMbk{i:02}{k:028}");
                webhook_until_taken(
                    port,
                    "/twilio/sms",
                    &[
                        ("MessageSid", &sid),
                        ("From", &from),
                        ("To", ROOTER),
                        ("Body", words),
                        ("NumSegments", "1"),
                    ],
                );
                eventually(&format!("the reply to {from}'s text {k}"), || {
                    let n = bodies_to(&accepted, &from).len();
                    if n > k { Ok(()) } else { Err(format!("{n}")) }
                });
            }
        }));
    }
    // A caller books by phone across the kills: two turns before the first, the rest after.
    let caller = "+17205552000";
    let call_sid = format!("CA{:032}", 77);
    let turns_before_kill = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    {
        let (kills, turns) = (kills.clone(), turns_before_kill.clone());
        let call_sid = call_sid.clone();
        threads.push(std::thread::spawn(move || {
            let base = [
                ("CallSid", call_sid.as_str()),
                ("From", caller),
                ("To", ROOTER),
                ("Direction", "inbound"),
            ];
            let mut p = base.to_vec();
            p.push(("CallStatus", "ringing"));
            let mut twiml = webhook_until_taken(port, "/twilio/voice", &p);
            for k in 0..BOOKING.len() {
                if k == 2 {
                    turns.store(k, std::sync::atomic::Ordering::SeqCst);
                    eventually("the first kill", || {
                        let n = kills.load(std::sync::atomic::Ordering::SeqCst);
                        if n >= 1 { Ok(()) } else { Err(format!("{n}")) }
                    });
                }
                let words = words(6, k);
                let action = gather_action(&twiml, port);
                let mut p = base.to_vec();
                p.extend([
                    ("CallStatus", "in-progress"),
                    ("SpeechResult", words),
                    ("Confidence", "0.91"),
                ]);
                twiml = webhook_until_taken(port, &action, &p);
            }
            assert!(
                twiml.contains("booked") || twiml.contains("all set"),
                "the call ends booked: {twiml}"
            );
        }));
    }

    // Kill it twice while conversations are under way, and start it again at once.
    for after in [8, 20] {
        eventually("conversations under way", || {
            let n = accepted.lock().unwrap().len();
            let t = turns_before_kill.load(std::sync::atomic::Ordering::SeqCst);
            if n >= after && t >= 2 {
                Ok(())
            } else {
                Err(format!("{n} sent, {t} call turns"))
            }
        });
        server.kill().unwrap();
        server.wait().unwrap();
        kills.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        eprintln!("killed after Twilio accepted {after}+ texts");
        server = serve(&data, port, &twilio);
    }
    for t in threads {
        t.join().unwrap();
    }
    let auth = [("Authorization", format!("Bearer {token}"))];
    let get = |path: &str| -> Value {
        let (code, body) = http(port, "GET", path, &auth, "");
        assert_eq!(code, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    };
    queue_drained(port, &auth);

    // Every text kept once.
    let b = "/api/v1/businesses/rapid-rooter";
    let texts = get(&format!("{b}/texts?limit=200"));
    let mut items: Vec<Value> = texts["items"].as_array().unwrap().clone();
    items.sort_by_key(|t| {
        (
            t["created_at"].as_i64(),
            t["id"].as_str().map(str::to_owned),
        )
    });
    let inbound: Vec<&Value> = items
        .iter()
        .filter(|t| t["direction"] == "inbound")
        .collect();
    assert_eq!(inbound.len(), texters.len() * BOOKING.len(), "{inbound:?}");
    // What reached Twilio is what is stored, once each and in the stored order.
    let mut numbers: Vec<String> = items
        .iter()
        .filter(|t| t["direction"] == "outbound")
        .map(|t| t["to_address"].as_str().unwrap().to_owned())
        .collect();
    numbers.sort();
    numbers.dedup();
    for n in &numbers {
        let stored: Vec<String> = items
            .iter()
            .filter(|t| t["direction"] == "outbound" && t["to_address"] == n.as_str())
            .inspect(|t| assert!(t["sid"].is_string(), "sent and recorded: {t}"))
            .map(|t| t["body"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(bodies_to(&accepted, n), stored, "texts to {n}");
    }
    assert_eq!(
        accepted.lock().unwrap().len(),
        items
            .iter()
            .filter(|t| t["direction"] == "outbound")
            .count(),
        "nothing reached Twilio that is not stored"
    );
    // Customers who chose the same time raced for it: one got it, the others were told it was
    // just taken. Each holds one appointment exactly when told it is booked, and nobody's time
    // was given twice.
    let appts = get(&format!("{b}/appointments?limit=200"));
    let appts = appts.as_array().unwrap();
    let mut booked = 0;
    for who in texters.iter().map(String::as_str) {
        let told = bodies_to(&accepted, who);
        let told_booked = told
            .iter()
            .any(|t| (t.contains("booked") && !t.contains("just booked")) || t.contains("all set"));
        let mine = appts.iter().filter(|a| a["phone"] == who).count();
        assert_eq!(
            mine,
            usize::from(told_booked),
            "{who}'s appointments: {appts:?}; texts to them: {told:?}"
        );
        booked += mine;
    }
    assert_eq!(
        appts.iter().filter(|a| a["phone"] == caller).count(),
        1,
        "the caller was told booked: {appts:?}"
    );
    eprintln!("{booked} of {} texters booked", texters.len());
    assert!(booked >= 2, "bookings made across the kills: {appts:?}");
    for (i, a) in appts.iter().enumerate() {
        for o in &appts[i + 1..] {
            let overlap = a["start_at"].as_i64() < o["end_at"].as_i64()
                && o["start_at"].as_i64() < a["end_at"].as_i64();
            assert!(
                !(a["staff"] == o["staff"] && overlap),
                "double-booked: {a} {o}"
            );
        }
    }
    // The call's turns are in its transcript once each.
    let calls = get(&format!("{b}/calls"));
    let id = calls["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["call_sid"] == call_sid.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let detail = get(&format!("{b}/calls/{id}"));
    let said: Vec<&str> = detail["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "caller")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(said.len(), BOOKING.len(), "{said:?}");
    server.kill().unwrap();
    server.wait().unwrap();
}
