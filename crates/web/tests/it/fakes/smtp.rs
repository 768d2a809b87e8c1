//! A real SMTP server for the tests: Python's aiosmtpd, writing what arrives to a maildir.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A local SMTP server: aiosmtpd with its maildir handler.
pub struct Smtp {
    child: Child,
    dir: PathBuf,
    pub url: String,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One e-mail as it arrived.
#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn parse(raw: &str) -> Mail {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some((_, v)) = headers.last_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
            } else if let Some((n, v)) = line.split_once(':') {
                headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let qp = headers.iter().any(|(n, v)| {
            n.eq_ignore_ascii_case("content-transfer-encoding") && v == "quoted-printable"
        });
        let body = if qp {
            quoted_printable(body)
        } else {
            body.to_owned()
        };
        Mail { headers, body }
    }
}

/// Decodes a quoted-printable body (RFC 2045 §6.7): soft line breaks and `=XX` escapes.
fn quoted_printable(s: &str) -> String {
    let s = s.replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && i + 2 < b.len() + 1
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(h, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Smtp {
    /// Starts aiosmtpd on a free port. `None` when it is not installed, unless
    /// `FRONTDESK_TEST_REQUIRE_SMTP` is set (CI sets it), which makes that a failure.
    pub async fn start() -> Option<Smtp> {
        let required = std::env::var_os("FRONTDESK_TEST_REQUIRE_SMTP").is_some();
        let installed = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                !required,
                "FRONTDESK_TEST_REQUIRE_SMTP is set but aiosmtpd is not installed (pip install aiosmtpd)"
            );
            eprintln!("skipping: aiosmtpd is not installed (pip install aiosmtpd)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("frontdesk-smtp-{}-{port}", std::process::id()));
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        let smtp = Smtp {
            child,
            dir,
            url: format!("smtp://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Some(smtp);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    /// What has arrived, oldest first.
    pub fn mails(&self) -> Vec<Mail> {
        let Ok(rd) = std::fs::read_dir(self.dir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        // Maildir names are `{seconds}.M{microseconds}P{pid}Q{count}.{host}`: in order of
        // delivery by those numbers (not as text: the microseconds are not zero-padded).
        let order = |p: &PathBuf| -> (u64, u64, u64) {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let num = |after: char, until: char| -> u64 {
                name.split_once(after)
                    .and_then(|(_, r)| r.split(until).next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            };
            let secs = name
                .split('.')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            (secs, num('M', 'P'), num('Q', '.'))
        };
        files.sort_by_key(order);
        files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .map(|s| Mail::parse(&s))
            .collect()
    }

    /// Waits until `n` e-mails addressed to `to` have arrived.
    pub async fn until_to(&self, to: &str, n: usize) -> Vec<Mail> {
        crate::eventually(&format!("{n} e-mails to {to}"), || async {
            let m: Vec<Mail> = self
                .mails()
                .into_iter()
                .filter(|m| m.header("X-RcptTo") == to)
                .collect();
            if m.len() >= n {
                Ok(m)
            } else {
                Err(format!("{:?}", self.mails()))
            }
        })
        .await
    }
}
