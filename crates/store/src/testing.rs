//! Test support: a fresh database per test, on either engine.
//!
//! PostgreSQL comes from `FRONTDESK_TEST_DATABASE_URL` (a server the tests may create databases
//! on) or, when the PostgreSQL binaries are installed, from a throw-away server this module
//! starts once per test process: `initdb` in a temporary directory (run as the `postgres` user
//! when we are root, since initdb refuses root), listening on 127.0.0.1 and a free port. A
//! watchdog shell stops the server and deletes its directory when the test process exits.
//! With `FRONTDESK_TEST_REQUIRE_POSTGRES=1` a missing PostgreSQL fails the tests instead of
//! skipping them, so CI cannot pass without having run them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::exec::{Db, Exec, I};

/// A database for one test; the SQLite file lives as long as this value.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// A fresh, migrated SQLite database in a temporary directory.
pub async fn sqlite() -> TestDb {
    let (url, dir) = sqlite_url();
    let db = Db::connect(&url).await.expect("open sqlite");
    TestDb {
        db,
        url,
        _dir: Some(dir),
    }
}

/// The URL of a new, empty SQLite database (nothing migrated) and the directory holding it.
pub fn sqlite_url() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    (
        format!("sqlite://{}", dir.path().join("test.db").display()),
        dir,
    )
}

/// A fresh, migrated PostgreSQL database, or `None` when PostgreSQL is not available here
/// (which fails instead when `FRONTDESK_TEST_REQUIRE_POSTGRES=1`).
pub async fn postgres() -> Option<TestDb> {
    let url = postgres_url().await?;
    let db = Db::connect(&url).await.expect("open postgres");
    Some(TestDb {
        db,
        url,
        _dir: None,
    })
}

/// The URL of a new, empty PostgreSQL database (nothing migrated), or `None` as for [`postgres`].
pub async fn postgres_url() -> Option<String> {
    let admin = match server() {
        Ok(url) => url.clone(),
        Err(why) => {
            if std::env::var("FRONTDESK_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!(
                    "PostgreSQL is required (FRONTDESK_TEST_REQUIRE_POSTGRES=1) but unavailable: {why}"
                );
            }
            eprintln!("skipping the PostgreSQL run: {why}");
            return None;
        }
    };
    let name = format!("fdtest_{}", uuid::Uuid::new_v4().simple());
    let mut admin_db = connect_retrying(&admin).await;
    admin_db
        .execute(I, &format!("CREATE DATABASE {name}"), &[])
        .await
        .expect("create database");
    Some(with_database(&admin, &name))
}

/// The throw-away server's superuser URL (for tests that create roles and databases as an
/// operator would), or `None` as for [`postgres`].
pub fn postgres_admin_url() -> Option<String> {
    match server() {
        Ok(url) => Some(url.clone()),
        Err(why) => {
            if std::env::var("FRONTDESK_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!(
                    "PostgreSQL is required (FRONTDESK_TEST_REQUIRE_POSTGRES=1) but unavailable: {why}"
                );
            }
            eprintln!("skipping the PostgreSQL run: {why}");
            None
        }
    }
}

/// A PostgreSQL client program (`psql`, `pg_dump`, `pg_restore`) of the installed version.
pub fn pg_tool(name: &str) -> Option<PathBuf> {
    pg_bin_dir().map(|d| d.join(name)).filter(|p| p.exists())
}

/// Runs raw SQL, for tests that must try what the API does not offer (e.g. editing the audit log).
pub async fn raw_execute(db: &Db, sql: &str) -> crate::Result<u64> {
    db.clone().execute(I, sql, &[]).await
}

fn with_database(url: &str, name: &str) -> String {
    // postgres://user@host:port/db?params → replace the path.
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

async fn connect_retrying(url: &str) -> Db {
    let start = Instant::now();
    loop {
        match Db::open(url).await {
            Ok(db) => return db,
            Err(_) if start.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("PostgreSQL did not accept connections: {e}"),
        }
    }
}

fn server() -> &'static Result<String, String> {
    static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("FRONTDESK_TEST_DATABASE_URL") {
            return Ok(url);
        }
        start_server()
    })
}

fn pg_bin_dir() -> Option<PathBuf> {
    if let Ok(d) = std::env::var("FRONTDESK_TEST_PG_BIN") {
        return Some(PathBuf::from(d));
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs `program args` as the postgres user when we are root.
fn as_pg(program: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn start_server() -> Result<String, String> {
    let bin = pg_bin_dir().ok_or(
        "no PostgreSQL binaries under /usr/lib/postgresql (set FRONTDESK_TEST_DATABASE_URL)",
    )?;
    let root = is_root();
    let dir = std::env::temp_dir().join(format!(
        "frontdesk-pg-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if root {
        let ok = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("cannot hand the data directory to the postgres user".into());
        }
    }
    let data = dir.join("data");
    let out = as_pg(&bin.join("initdb"), root)
        .arg("-D")
        .arg(&data)
        .args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        ])
        .stdout(Stdio::null())
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    // The watchdog outlives nothing: when this test process is gone, it stops the server and
    // removes the directory.
    let script = format!(
        "'{pg}' -D '{data}' -p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{dir}' \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 \
         >'{dir}/log' 2>&1 & pg=$!; \
         while [ -d /proc/{parent} ] && kill -0 $pg 2>/dev/null; do sleep 1; done; \
         kill -INT $pg 2>/dev/null; wait $pg; rm -rf '{dir}'",
        pg = bin.join("postgres").display(),
        data = data.display(),
        dir = dir.display(),
        parent = std::process::id(),
    );
    as_pg(Path::new("/bin/sh"), root)
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("starting postgres: {e}"))?;
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > Duration::from_secs(30) {
            let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
            return Err(format!("postgres did not start: {log}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

/// Declares a test that runs once on SQLite and once on PostgreSQL:
/// `both_backends!(name)` runs `async fn name(db: Db)` as `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let t = $crate::testing::sqlite().await;
                super::$name(t.db.clone()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(t) = $crate::testing::postgres().await else { return };
                super::$name(t.db.clone()).await;
            }
        }
    )*};
}
