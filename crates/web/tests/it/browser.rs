//! ChromeDriver driving headless Chromium over the W3C WebDriver protocol, for the tests that
//! use real pages: the web-chat widget and the dashboard.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// ChromeDriver with headless Chromium, over the W3C WebDriver protocol.
pub struct Browser {
    pub driver: Child,
    pub http: reqwest::Client,
    pub url: String,
    pub session: String,
    /// Chromium's profile directory, removed with the browser.
    dir: std::path::PathBuf,
}

impl Drop for Browser {
    /// Ends ChromeDriver and every Chromium process it started (they share its process group):
    /// killing ChromeDriver alone left Chromium running after every test run.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Browser {
    /// `None` when Chromium or ChromeDriver is not installed, unless
    /// `FRONTDESK_TEST_REQUIRE_BROWSER` is set (CI sets it), which makes that a failure.
    pub async fn start() -> Option<Browser> {
        Self::start_sized(390, 844, true).await
    }

    /// [`Self::start`] with a window of `width` × `height`, as a phone (touch, device pixel
    /// ratio 2) or a desktop.
    pub async fn start_sized(width: u32, height: u32, phone: bool) -> Option<Browser> {
        let found = |p: &str| std::path::Path::new(p).exists();
        if !(found("/usr/bin/chromium") && found("/usr/bin/chromedriver")) {
            assert!(
                std::env::var_os("FRONTDESK_TEST_REQUIRE_BROWSER").is_none(),
                "FRONTDESK_TEST_REQUIRE_BROWSER is set but chromium and chromium-driver are not installed"
            );
            eprintln!("skipping: chromium and chromium-driver are not installed");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        use std::os::unix::process::CommandExt;
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}");
        let dir =
            std::env::temp_dir().join(format!("frontdesk-chromium-{}-{port}", std::process::id()));
        let mut b = Browser {
            driver,
            http,
            url,
            session: String::new(),
            dir: dir.clone(),
        };
        for _ in 0..200 {
            if b.http.get(format!("{}/status", b.url)).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let mut options = json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", format!("--user-data-dir={}", dir.display()),
                format!("--window-size={width},{height}")],
        });
        if phone {
            options["mobileEmulation"] =
                json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0}});
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}});
        let v = b.post("/session", caps).await;
        b.session = v["sessionId"].as_str().expect("a session").to_owned();
        Some(b)
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        assert!(v["value"]["error"].is_null(), "{path}: {v}");
        v["value"].clone()
    }

    pub async fn cmd(&self, path: &str, body: Value) -> Value {
        self.post(&format!("/session/{}{path}", self.session), body)
            .await
    }

    pub async fn js(&self, script: &str, args: Value) -> Value {
        self.cmd("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        self.cmd("/url", json!({"url": url})).await;
    }

    /// The address of the page shown.
    pub async fn current_url(&self) -> String {
        let r = self
            .http
            .get(format!("{}/session/{}/url", self.url, self.session))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        v["value"].as_str().unwrap_or("").to_owned()
    }

    /// The element matching `css` in the page.
    pub async fn find(&self, css: &str) -> String {
        let el = self
            .cmd("/element", json!({"using": "css selector", "value": css}))
            .await;
        reference(&el)
    }

    /// Types `text` into the element matching `css`, in place of what it held.
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd(&format!("/element/{el}/clear"), json!({})).await;
        self.cmd(&format!("/element/{el}/value"), json!({"text": text}))
            .await;
    }

    /// Chooses the file at `path` in the file input matching `css`.
    pub async fn upload(&self, css: &str, path: &std::path::Path) {
        let el = self.find(css).await;
        self.cmd(
            &format!("/element/{el}/value"),
            json!({"text": path.display().to_string()}),
        )
        .await;
    }

    /// Clicks the element matching `css` (a form's button) and waits for the page that answers.
    pub async fn submit(&self, css: &str) {
        self.js("window.__fd_before = true; return 0", json!([]))
            .await;
        self.press(css).await;
        self.until_js("return !window.__fd_before && document.readyState === 'complete'")
            .await;
    }

    /// Clicks the page's element matching `css`.
    pub async fn press(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd(&format!("/element/{el}/click"), json!({})).await;
    }

    /// The visible text of the page.
    pub async fn page_text(&self) -> String {
        self.js(
            "return document.body ? document.body.innerText : ''",
            json!([]),
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// Waits until the page's text contains `what`.
    pub async fn until_text(&self, what: &str) -> String {
        for _ in 0..200 {
            let t = self.page_text().await;
            if t.contains(what) {
                return t;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the page never said {what:?}: {}", self.page_text().await);
    }

    /// Waits until `script` returns something other than null, false, 0 or ""; returns it.
    pub async fn until_js(&self, script: &str) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.js(script, json!([])).await;
            let empty = v.is_null() || v == json!(false) || v == json!(0) || v.as_str() == Some("");
            if !empty {
                return v;
            }
            if std::time::Instant::now() > deadline {
                panic!("never true: {script}: {}", self.page_text().await);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A PNG of the window.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let r = self
            .http
            .get(format!("{}/session/{}/screenshot", self.url, self.session))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(v["value"].as_str().unwrap())
            .unwrap()
    }

    /// The serious and critical accessibility violations axe-core finds in the page, run
    /// inside the browser. axe-core comes from npm (`FRONTDESK_AXE_JS` names its `axe.min.js`;
    /// CI installs it); `None` when it is not there, unless `FRONTDESK_TEST_REQUIRE_AXE` is set.
    pub async fn axe(&self) -> Option<Vec<Value>> {
        let path = std::env::var_os("FRONTDESK_AXE_JS");
        let source = path.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
        let Some(source) = source else {
            assert!(
                std::env::var_os("FRONTDESK_TEST_REQUIRE_AXE").is_none(),
                "FRONTDESK_TEST_REQUIRE_AXE is set but FRONTDESK_AXE_JS names no axe.min.js: {path:?}"
            );
            return None;
        };
        let script = format!(
            "{source}\n;var done = arguments[arguments.length - 1];\
             axe.run(document, {{resultTypes: ['violations']}}).then(function (r) {{\
               done(r.violations.filter(function (v) {{ return v.impact === 'serious' || v.impact === 'critical'; }})\
                 .map(function (v) {{ return {{id: v.id, impact: v.impact, help: v.help,\
                   nodes: v.nodes.map(function (n) {{ return n.target.join(' '); }})}}; }}));\
             }}, function (e) {{ done([{{id: 'axe-failed', help: String(e)}}]); }});"
        );
        let v = self
            .cmd("/execute/async", json!({"script": script, "args": []}))
            .await;
        Some(v.as_array().cloned().unwrap_or_default())
    }
}

/// The id in a WebDriver element or shadow-root reference (`{"element-6066-…": id}`).
pub fn reference(v: &Value) -> String {
    v.as_object()
        .and_then(|o| o.values().next())
        .and_then(Value::as_str)
        .expect("an element reference")
        .to_owned()
}
