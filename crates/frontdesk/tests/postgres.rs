//! The README's PostgreSQL walkthrough, step by step, against the tests' throw-away server: a
//! role and a database made as an operator would, migrate, import, two servers on the one
//! database answering alike, and a backup with pg_dump restored with pg_restore.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk");
/// Standard base64 with padding, as `openssl rand -base64 32` writes it.
const SECRET_KEY: &str = "c2VhbGluZy1rZXktZm9yLXRoZS1wZy10ZXN0LTAwMDE=";

fn tool(name: &str) -> std::path::PathBuf {
    frontdesk_store::testing::pg_tool(name).unwrap_or_else(|| panic!("{name} is not installed"))
}

fn ok(o: Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn frontdesk(url: &str, dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut c = Command::new(BIN)
        .args(["--data-dir", dir.to_str().unwrap()])
        .args(args)
        .env("FRONTDESK_DATABASE_URL", url)
        .env("FRONTDESK_AUTH_SECRET_KEY", SECRET_KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    c.wait_with_output().unwrap()
}

fn serve(url: &str, dir: &Path) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(BIN)
        .args(["--data-dir", dir.to_str().unwrap(), "--log-level", "warn"])
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("FRONTDESK_DATABASE_URL", url)
        .env("FRONTDESK_AUTH_SECRET_KEY", SECRET_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains("listening"), "{first}");
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (child, port)
}

fn get(port: u16, path: &str, token: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let out = String::from_utf8_lossy(&raw).into_owned();
    let status = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (
        status,
        out.split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default(),
    )
}

#[test]
fn the_readme_postgres_walkthrough_works_from_nothing() {
    let Some(admin) = frontdesk_store::testing::postgres_admin_url() else {
        return;
    };
    // postgres://postgres@127.0.0.1:PORT/postgres → the host and port.
    let host = admin
        .split('@')
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let suffix = uuid_like();
    let (role, db) = (format!("frontdesk_{suffix}"), format!("frontdesk_{suffix}"));
    let psql = |sql: &str| {
        ok(
            Command::new(tool("psql"))
                .arg(&admin)
                .args(["-v", "ON_ERROR_STOP=1", "-c", sql])
                .output()
                .unwrap(),
            sql,
        )
    };
    psql(&format!("CREATE ROLE {role} LOGIN PASSWORD 'change-me'"));
    psql(&format!("CREATE DATABASE {db} OWNER {role}"));
    let url = format!("postgres://{role}:change-me@{host}/{db}");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(frontdesk(&url, d, &["migrate"], ""), "migrate");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/sunny-storage.yaml");
    ok(
        frontdesk(&url, d, &["import", demo.to_str().unwrap()], ""),
        "import",
    );
    ok(
        frontdesk(
            &url,
            d,
            &[
                "admin",
                "create",
                "--email",
                "op@example.com",
                "--password-stdin",
            ],
            "a long enough password\n",
        ),
        "admin",
    );
    let token = ok(
        frontdesk(
            &url,
            d,
            &["token", "create", "--email", "op@example.com"],
            "",
        ),
        "token",
    );

    // Two servers on the one database answer alike (the token from either works on both).
    let (mut a, pa) = serve(&url, d);
    let (mut b, pb) = serve(&url, d);
    for port in [pa, pb] {
        let (code, body) = get(port, "/api/v1/businesses/sunny-storage", &token);
        assert_eq!(code, 200, "{body}");
        assert!(body.contains("Sunny Self Storage"), "{body}");
    }

    // Backed up with pg_dump; a business imported after it is gone once restored.
    let dump = d.join("frontdesk.dump");
    ok(
        Command::new(tool("pg_dump"))
            .args(["-Fc", "-d", &url, "-f"])
            .arg(&dump)
            .output()
            .unwrap(),
        "pg_dump",
    );
    let pizza = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/tonys-pizza.yaml");
    ok(
        frontdesk(&url, d, &["import", pizza.to_str().unwrap()], ""),
        "import pizza",
    );
    assert_eq!(get(pb, "/api/v1/businesses/tonys-pizza", &token).0, 200);
    for s in [&mut a, &mut b] {
        s.kill().unwrap();
        s.wait().unwrap();
    }
    ok(
        Command::new(tool("pg_restore"))
            .args(["--clean", "--if-exists", "-d", &url])
            .arg(&dump)
            .output()
            .unwrap(),
        "pg_restore",
    );
    let (mut c, pc) = serve(&url, d);
    assert_eq!(get(pc, "/api/v1/businesses/sunny-storage", &token).0, 200);
    assert_eq!(get(pc, "/api/v1/businesses/tonys-pizza", &token).0, 404);
    c.kill().unwrap();
    c.wait().unwrap();
}

/// A name part unique to this run.
fn uuid_like() -> String {
    format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )
}
