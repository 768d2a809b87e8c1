//! The `frontdesk` binary as a user runs it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk");

/// Written by hand for this test, in the spec's format.
const PROFILE: &str = r#"version: 1
slug: harbor-storage
name: Harbor Storage
kind: self_storage
timezone: America/New_York
phone: "+16175550300"
hours:
  mon: "08:00-17:00"
  sat: "09:00-13:00"
units:
  - type: 5x10
    width_ft: 5
    depth_ft: 10
    climate_controlled: true
    monthly_rate: 79.00
    total: 20
    available: 4
promotions:
  - name: Half off month two
    applies_to: [5x10]
faqs:
  - q: Can I pay online?
    a: Yes, through the tenant portal.
"#;

fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    run_with(dir, args, stdin, &[])
}

fn run_with(dir: &Path, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(BIN)
        .args(["--data-dir", dir.to_str().unwrap()])
        .args(args)
        .env_remove("FRONTDESK_DATABASE_URL")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or("").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn help_lists_every_command() {
    let o = Command::new(BIN).arg("--help").output().unwrap();
    let help = text(&o.stdout);
    for cmd in [
        "serve", "demo", "migrate", "import", "export", "admin", "token", "key", "chat", "eval",
        "config",
    ] {
        assert!(help.contains(cmd), "{cmd} missing from --help:\n{help}");
    }
    for sub in [
        vec!["import", "--help"],
        vec!["admin", "create", "--help"],
        vec!["token", "create", "--help"],
    ] {
        assert!(
            Command::new(BIN)
                .args(&sub)
                .output()
                .unwrap()
                .status
                .success(),
            "{sub:?}"
        );
    }
}

#[test]
fn import_export_reimport_is_lossless_and_typos_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("harbor.yaml");
    std::fs::write(&file, PROFILE).unwrap();
    let o = run(dir.path(), &["import", file.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("created harbor-storage"));
    assert!(
        dir.path().join("frontdesk.db").exists(),
        "the data directory holds the database"
    );

    let exported = dir.path().join("out.yaml");
    let o = run(
        dir.path(),
        &["export", "harbor-storage", "-o", exported.to_str().unwrap()],
        None,
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run(dir.path(), &["import", exported.to_str().unwrap()], None);
    assert!(
        text(&o.stdout).starts_with("updated harbor-storage"),
        "{}",
        text(&o.stdout)
    );
    let again = run(dir.path(), &["export", "harbor-storage"], None);
    assert_eq!(
        text(&again.stdout),
        std::fs::read_to_string(&exported).unwrap(),
        "no difference after the round trip"
    );

    let typo = dir.path().join("typo.yaml");
    std::fs::write(&typo, PROFILE.replace("monthly_rate", "montly_rate")).unwrap();
    let o = run(dir.path(), &["import", typo.to_str().unwrap()], None);
    assert!(!o.status.success());
    let err = text(&o.stderr);
    let line = PROFILE
        .lines()
        .position(|l| l.contains("monthly_rate"))
        .unwrap()
        + 1;
    assert!(
        err.contains("montly_rate") && err.contains(&format!("line {line}:")),
        "{err}"
    );
    assert!(err.contains("units[0]"), "{err}");

    let missing = run(dir.path(), &["export", "nope"], None);
    assert!(!missing.status.success() && text(&missing.stderr).contains("no business with slug"));
}

#[test]
fn admin_token_and_key_commands_and_a_served_request() {
    let dir = tempfile::tempdir().unwrap();
    let short = run(
        dir.path(),
        &[
            "admin",
            "create",
            "--email",
            "boss@example.com",
            "--password-stdin",
        ],
        Some("short\n"),
    );
    assert!(
        !short.status.success() && text(&short.stderr).contains("at least"),
        "weak passwords are refused"
    );
    let o = run(
        dir.path(),
        &[
            "admin",
            "create",
            "--email",
            "boss@example.com",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let token = text(
        &run(
            dir.path(),
            &["token", "create", "--email", "boss@example.com"],
            None,
        )
        .stdout,
    )
    .trim()
    .to_owned();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let key = text(&run(dir.path(), &["key", "create", "--name", "ci"], None).stdout)
        .trim()
        .to_owned();
    assert!(key.starts_with("fd_"));

    let mut server = Command::new(BIN)
        .args([
            "--data-dir",
            dir.path().to_str().unwrap(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env_remove("FRONTDESK_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first.rsplit("http://").next().unwrap().trim().to_owned();
    let get = |path: &str, auth: Option<&str>| {
        let start = Instant::now();
        loop {
            if let Ok(mut s) = TcpStream::connect(&addr) {
                let auth = auth
                    .map(|a| format!("Authorization: Bearer {a}\r\n"))
                    .unwrap_or_default();
                write!(
                    s,
                    "GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n"
                )
                .unwrap();
                let mut out = String::new();
                s.read_to_string(&mut out).unwrap();
                return out;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "server did not come up"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    assert!(get("/healthz", None).starts_with("HTTP/1.1 200"));
    assert!(get("/api/v1/businesses", Some(&token)).starts_with("HTTP/1.1 200"));
    assert!(get("/api/v1/api-keys", Some(&key)).starts_with("HTTP/1.1 200"));
    assert!(get("/api/v1/businesses", None).starts_with("HTTP/1.1 401"));
    // SIGTERM shuts down gracefully.
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = server.try_wait().unwrap() {
            assert!(status.success(), "clean exit on SIGTERM: {status}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "server did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn chat_reads_turns_from_a_pipe_and_commits_what_it_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("harbor.yaml");
    std::fs::write(&file, PROFILE).unwrap();
    assert!(
        run(dir.path(), &["import", file.to_str().unwrap()], None)
            .status
            .success()
    );
    let turns = "hi there, can I hold one of your 5 by 10 units\nthe first of next month\nJune Park\n617 555 0142\nyes\ncan i pay online?\ndo you have a forklift i could borrow?\nthanks, bye\n";
    let o = run(dir.path(), &["chat", "harbor-storage"], Some(turns));
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    assert!(
        out.starts_with("Agent: Thanks for contacting Harbor Storage"),
        "{out}"
    );
    assert!(out.contains("[reserve_unit]"), "{out}");
    assert!(out.contains("tenant portal"), "{out}");
    assert!(out.contains("[record_unanswered]"), "{out}");
    assert!(out.contains("[conversation ended]"), "{out}");
    // The reservation took a unit: the exported profile says so.
    let o = run(dir.path(), &["export", "harbor-storage"], None);
    assert!(
        text(&o.stdout).contains("available: 3"),
        "{}",
        text(&o.stdout)
    );

    // A demo slug works on an empty database, and an unknown one is a clear error.
    let fresh = tempfile::tempdir().unwrap();
    let o = run(
        fresh.path(),
        &["chat", "tonys-pizza"],
        Some("are you open on mondays\n"),
    );
    assert!(text(&o.stdout).contains("Gina: "), "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).to_lowercase().contains("closed"),
        "{}",
        text(&o.stdout)
    );
    let o = run(fresh.path(), &["chat", "nope"], Some(""));
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("no business with slug"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn eval_prints_the_scores_and_passes_the_bar() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["eval"], None);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    for line in [
        "intent accuracy:",
        "entity accuracy:",
        "task completion:",
        "wrong facts:      0",
    ] {
        assert!(out.contains(line), "{line} missing:\n{out}");
    }
}

/// A minimal Chat Completions server on a thread: it answers the first request of a turn with
/// a streamed `opening_hours` tool call and the second (which carries the tool's result) with
/// the engine's reply, streamed word by word after "Happy to help. ".
fn model_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut reader = BufReader::new(s.try_clone().unwrap());
            let mut len = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let req: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let last = req["messages"].as_array().unwrap().last().unwrap().clone();
            let chunk = |delta: serde_json::Value, finish: Option<&str>| {
                let c = serde_json::json!({"object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
                format!("data: {c}\n\n")
            };
            let mut events = Vec::new();
            if last["role"] == "tool" {
                let result: serde_json::Value =
                    serde_json::from_str(last["content"].as_str().unwrap()).unwrap();
                let text = format!("Happy to help. {}", result["reply"].as_str().unwrap());
                for w in text.split_inclusive(' ') {
                    events.push(chunk(serde_json::json!({"content": w}), None));
                }
                events.push(chunk(serde_json::json!({}), Some("stop")));
            } else {
                events.push(chunk(
                    serde_json::json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                        "function": {"name": "opening_hours", "arguments": ""}}]}),
                    None,
                ));
                events.push(chunk(
                    serde_json::json!({"tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]}),
                    None,
                ));
                events.push(chunk(serde_json::json!({}), Some("tool_calls")));
            }
            events.push("data: [DONE]\n\n".into());
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n{}",
                events.concat()
            );
        }
    });
    format!("http://{addr}/v1")
}

#[test]
fn chat_in_llm_mode_uses_the_configured_model_and_its_checked_wording() {
    let dir = tempfile::tempdir().unwrap();
    let url = model_server();
    let env = [
        ("FRONTDESK_LLM_BASE_URL", url.as_str()),
        ("FRONTDESK_LLM_MODEL", "cli-model"),
    ];
    let o = run_with(
        dir.path(),
        &["chat", "tonys-pizza", "-v"],
        Some("yo when can i swing by for a slice\n"),
        &env,
    );
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}{}", text(&o.stderr));
    assert!(out.contains("Gina: Happy to help. "), "{out}");
    assert!(out.contains("[intent hours"), "{out}");
    assert!(out.contains("[model cli-model]"), "{out}");
    // Without a model behind the URL the built-in engine answers and says why.
    let o = run_with(
        dir.path(),
        &["chat", "tonys-pizza", "-v"],
        Some("are you open on mondays\n"),
        &[
            ("FRONTDESK_LLM_BASE_URL", "http://127.0.0.1:9/v1"),
            ("FRONTDESK_LLM_MODEL", "cli-model"),
        ],
    );
    let out = text(&o.stdout);
    assert!(out.to_lowercase().contains("closed"), "{out}");
    assert!(
        out.contains("[built-in engine: understanding: transport"),
        "{out}"
    );
}

#[test]
fn backup_restore_round_trip_and_an_open_database_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("harbor.yaml");
    std::fs::write(&file, PROFILE).unwrap();
    assert!(
        run(&data, &["import", file.to_str().unwrap()], None)
            .status
            .success()
    );
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&data),
        0o700,
        "the data directory is the owner's alone"
    );
    assert_eq!(mode(&data.join("frontdesk.db")), 0o600);

    let backup = dir.path().join("backup.db");
    let o = run(&data, &["backup", backup.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        mode(&backup),
        0o600,
        "a backup is as private as the database"
    );
    let again = run(&data, &["backup", backup.to_str().unwrap()], None);
    assert!(!again.status.success() && text(&again.stderr).contains("exists"));

    // Changed after the backup, then restored: the change is gone, the rest is back.
    let other = dir.path().join("other.yaml");
    std::fs::write(
        &other,
        "version: 1\nslug: other-shop\nname: Other\nkind: retail\ntimezone: America/Chicago\nphone: \"+15125550999\"\n",
    )
    .unwrap();
    assert!(
        run(&data, &["import", other.to_str().unwrap()], None)
            .status
            .success()
    );
    assert!(run(&data, &["export", "other-shop"], None).status.success());
    let o = run(&data, &["restore", backup.to_str().unwrap()], None);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!run(&data, &["export", "other-shop"], None).status.success());
    assert!(
        run(&data, &["export", "harbor-storage"], None)
            .status
            .success()
    );
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database").unwrap();
    assert!(
        !run(&data, &["restore", junk.to_str().unwrap()], None)
            .status
            .success()
    );

    // A token may not outlive the server's cap, whoever asks for it.
    assert!(
        run(
            &data,
            &[
                "admin",
                "create",
                "--email",
                "boss@example.com",
                "--password-stdin"
            ],
            Some("a long enough password\n")
        )
        .status
        .success()
    );
    let long = run(
        &data,
        &[
            "token",
            "create",
            "--email",
            "boss@example.com",
            "--minutes",
            "100000",
        ],
        None,
    );
    assert!(
        !long.status.success() && text(&long.stderr).contains("at most"),
        "{}",
        text(&long.stderr)
    );
    // The signing key in the database is sealed with a key kept apart, owner-only.
    assert_eq!(mode(&data.join("secret.key")), 0o600);

    // Someone loosened the database file: nothing starts until it is the owner's again.
    std::fs::set_permissions(
        data.join("frontdesk.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let o = run(&data, &["export", "harbor-storage"], None);
    assert!(
        !o.status.success() && text(&o.stderr).contains("chmod 600"),
        "{}",
        text(&o.stderr)
    );
}
