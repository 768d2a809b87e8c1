//! Web chat: the widget's socket spoken by a test client, and the widget itself in headless
//! Chromium driven through ChromeDriver (the W3C WebDriver protocol), on a phone-sized screen.

use std::time::Duration;

use axum::http::StatusCode;
use frontdesk_store::testing::TestDb;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::App;
use crate::browser::{Browser, reference};

const PIZZA: &str = include_str!("../../../../demo/tonys-pizza.yaml");
const STORAGE: &str = include_str!("../../../../demo/sunny-storage.yaml");

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The app served on a port.
async fn serve(t: TestDb) -> (App, String) {
    crate::serve_on_port(t, frontdesk_web::Config::default()).await
}

crate::on_both!(
    a_visitor_orders_over_the_socket_and_a_reconnect_keeps_the_thread => with_served,
    bad_keys_bad_visitors_and_floods_are_refused => with_served,
    headless_chromium_places_an_order_through_the_widget => with_served,
    anonymous_visitors_cannot_spend_the_business_s_texts => with_texts,
);

/// Served, with Twilio configured (so texts are queued; nothing sends them here).
async fn with_texts<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(App, String) -> F,
) {
    let mut cfg = frontdesk_web::Config::default();
    cfg.twilio.account_sid = crate::voice::ACCOUNT.into();
    cfg.twilio.auth_token = frontdesk_web::Secret::new(crate::voice::TOKEN);
    cfg.twilio.api_base = "http://127.0.0.1:9".into();
    let (app, base) = crate::serve_on_port(t, cfg).await;
    test(app, base).await
}

/// Runs `test` with the app served on a port ([`serve`]) and its base URL.
async fn with_served<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(App, String) -> F,
) {
    let (app, base) = serve(t).await;
    test(app, base).await
}

pub(crate) async fn widget_key(app: &App, b: &str) -> String {
    let r = app.get(&format!("/api/v1/businesses/{b}/widget")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let key = r.json["key"].as_str().unwrap().to_owned();
    assert!(
        r.json["script"]
            .as_str()
            .unwrap()
            .contains(&format!("data-key=\"{key}\"")),
        "{}",
        r.text
    );
    key
}

pub(crate) async fn open(base: &str, key: &str, visitor: &str) -> Socket {
    let url = format!(
        "{}/widget/ws?key={key}&visitor={visitor}",
        base.replace("http://", "ws://")
    );
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

pub(crate) async fn next(ws: &mut Socket) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("the socket open")
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// Sends a message and returns the streamed pieces and the final reply.
pub(crate) async fn say(ws: &mut Socket, id: &str, text: &str) -> (Vec<String>, Value) {
    ws.send(Message::Text(
        json!({"type": "say", "id": id, "text": text})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let mut pieces = Vec::new();
    loop {
        let m = next(ws).await;
        match m["type"].as_str() {
            Some("delta") => pieces.push(m["text"].as_str().unwrap().to_owned()),
            Some("reply" | "error") => return (pieces, m),
            _ => {}
        }
    }
}

async fn a_visitor_orders_over_the_socket_and_a_reconnect_keeps_the_thread(app: App, base: String) {
    let b = app.business(PIZZA).await;
    let key = widget_key(&app, &b).await;
    let visitor = "visitor-0123456789abcdef";
    let mut ws = open(&base, &key, visitor).await;
    let h = next(&mut ws).await;
    assert_eq!(h["type"], "history");
    assert_eq!(h["business"], "Tony's Pizzeria");
    assert_eq!(h["messages"].as_array().unwrap().len(), 1, "{h}");
    assert_eq!(h["messages"][0]["role"], "agent");

    let (pieces, r) = say(&mut ws, "m1", "hi, could I get two small pepperoni pizzas?").await;
    assert_eq!(r["type"], "reply", "{r}");
    // The reply streamed in pieces that make it up exactly.
    assert_eq!(pieces.concat(), r["text"].as_str().unwrap(), "{r}");
    say(&mut ws, "m2", "no that's it").await;
    let (_, r) = say(&mut ws, "m3", "pickup please").await;
    assert_eq!(r["asking"], "name", "{r}");
    // The connection drops; the thread is still there for the same visitor.
    ws.close(None).await.unwrap();
    drop(ws);
    let mut ws = open(&base, &key, visitor).await;
    let h = next(&mut ws).await;
    let msgs = h["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 7, "{h}");
    assert_eq!(msgs[5]["text"], "pickup please");
    assert_eq!(h["asking"], "name");
    let (_, r) = say(&mut ws, "m4", "Sam Ortiz, 617 555 0142").await;
    assert!(r["text"].as_str().unwrap().contains("Shall I place"), "{r}");
    let (_, r) = say(&mut ws, "m5", "yes").await;
    assert!(r["duplicate"] == false, "{r}");
    // The widget sends again what it is unsure arrived: answered, not taken twice.
    let (_, again) = say(&mut ws, "m5", "yes").await;
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(again["text"], r["text"]);
    let orders = app.get(&format!("/api/v1/businesses/{b}/orders")).await;
    let orders = orders.json.as_array().unwrap();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["phone"], "+16175550142");
    let convs = app
        .get(&format!("/api/v1/businesses/{b}/conversations"))
        .await;
    let convs = convs.json["items"].as_array().unwrap();
    assert_eq!(convs.len(), 1, "{convs:?}");
    assert_eq!(convs[0]["channel"], "web");
    assert_eq!(convs[0]["address"], visitor);
    // Another visitor has a thread of their own.
    let mut other = open(&base, &key, "visitor-fedcba9876543210").await;
    let h = next(&mut other).await;
    assert_eq!(h["messages"].as_array().unwrap().len(), 1, "{h}");
}

async fn bad_keys_bad_visitors_and_floods_are_refused(app: App, base: String) {
    let pizza = app.business(PIZZA).await;
    let storage = app.business(STORAGE).await;
    let key = widget_key(&app, &pizza).await;
    let ws = |q: String| {
        let url = format!("{}/widget/ws?{q}", base.replace("http://", "ws://"));
        async move { tokio_tungstenite::connect_async(url).await }
    };
    let status = |r: Result<_, tokio_tungstenite::tungstenite::Error>| match r {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Ok(_) => 101,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(
        status(ws("key=pk_nosuchkey123&visitor=visitor-0123456789abcdef".into()).await),
        404
    );
    assert_eq!(status(ws(format!("key={key}&visitor=short")).await), 422);
    assert_eq!(
        status(ws(format!("key={key}&visitor=../../etc/passwd-passwd")).await),
        422
    );
    assert_eq!(status(ws(format!("key={key}")).await), 422);
    // The key opens conversations with its own business only.
    let mut s = open(&base, &key, "visitor-aaaaaaaaaaaaaaaa").await;
    next(&mut s).await;
    let (_, r) = say(&mut s, "q1", "what are your hours?").await;
    assert_eq!(r["type"], "reply");
    let count = |b: String| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/businesses/{b}/conversations"))
                .await
                .json["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(count(pizza.clone()).await, 1);
    assert_eq!(count(storage.clone()).await, 0);
    // Bad messages: refused with a reason, nothing taken.
    let (_, r) = say(&mut s, "bad id!", "hello").await;
    assert_eq!(r["code"], "invalid", "{r}");
    let (_, r) = say(&mut s, "q2", &"x".repeat(2001)).await;
    assert_eq!(r["code"], "invalid", "{r}");
    // A flood: the visitor's allowance runs out and the rest are refused untaken.
    let mut limited = 0;
    for i in 0..25 {
        let (_, r) = say(&mut s, &format!("f{i}"), "do you deliver?").await;
        if r["code"] == "rate_limited" {
            limited += 1;
        }
    }
    assert!(limited >= 5, "{limited} refused");
    let c = app
        .get(&format!("/api/v1/businesses/{pizza}/conversations"))
        .await;
    let id = c.json["items"][0]["id"].as_str().unwrap().to_owned();
    let t = app
        .get(&format!("/api/v1/businesses/{pizza}/conversations/{id}"))
        .await;
    let callers = t.json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "caller")
        .count();
    assert_eq!(callers, 1 + 25 - limited, "{}", t.text);
    // A rotated key stops working at once.
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{pizza}/widget/rotate"),
            Some(&app.op),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_ne!(r.json["key"], key.as_str());
    assert_eq!(
        status(ws(format!("key={key}&visitor=visitor-bbbbbbbbbbbbbbbb")).await),
        404
    );
}

impl Browser {
    /// An element inside the widget's shadow root.
    async fn widget(&self, css: &str) -> String {
        let host = self
            .cmd(
                "/element",
                json!({"using": "css selector", "value": "#frontdesk-chat"}),
            )
            .await;
        let host = reference(&host);
        let r = self
            .http
            .get(format!(
                "{}/session/{}/element/{host}/shadow",
                self.url, self.session
            ))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        let shadow = reference(&v["value"]);
        let el = self
            .cmd(
                &format!("/shadow/{shadow}/element"),
                json!({"using": "css selector", "value": css}),
            )
            .await;
        reference(&el)
    }

    async fn click(&self, css: &str) {
        let el = self.widget(css).await;
        self.cmd(&format!("/element/{el}/click"), json!({})).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.widget(css).await;
        self.cmd(&format!("/element/{el}/value"), json!({"text": text}))
            .await;
    }

    /// The chat log as the visitor sees it.
    async fn log(&self) -> String {
        self.js(
            "return document.querySelector('#frontdesk-chat').shadowRoot.querySelector('.log').innerText",
            json!([]),
        )
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
    }

    /// Waits until the log shows `n` agent messages; returns the last.
    /// The last agent message once there are `n` and it has arrived whole (a streamed reply
    /// is marked busy until its final text is in).
    async fn agent_said(&self, n: usize) -> String {
        for _ in 0..300 {
            let v = self
                .js(
                    "var m = document.querySelector('#frontdesk-chat').shadowRoot.querySelectorAll('.msg.agent'); \
                     var last = m.length ? m[m.length - 1] : null; \
                     return [m.length, last ? last.textContent : '', !!last && last.hasAttribute('aria-busy')];",
                    json!([]),
                )
                .await;
            if v[0].as_u64().unwrap_or(0) as usize >= n && v[2] == json!(false) {
                return v[1].as_str().unwrap().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no agent message {n}: {}", self.log().await);
    }

    async fn say(&self, n: usize, text: &str) -> String {
        self.type_into("form.say input", text).await;
        self.click("form.say button").await;
        self.agent_said(n).await
    }
}

async fn headless_chromium_places_an_order_through_the_widget(app: App, base: String) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let pizza = app.business(PIZZA).await;
    let key = widget_key(&app, &pizza).await;
    b.cmd("/url", json!({"url": format!("{base}/widget/try/{key}")}))
        .await;
    b.click(".bubble").await;
    let greeting = b.agent_said(1).await;
    assert!(greeting.contains("Tony's Pizzeria"), "{greeting}");
    // On a phone the chat fills the screen.
    let size = b
        .js(
            "var p = document.querySelector('#frontdesk-chat').shadowRoot.querySelector('.panel').getBoundingClientRect(); \
             return [p.width, p.height, window.innerWidth, window.innerHeight];",
            json!([]),
        )
        .await;
    assert_eq!(size[0], size[2], "{size}");
    assert_eq!(size[1], size[3], "{size}");
    b.say(2, "hi! one large margherita pizza please").await;
    b.say(3, "that's all").await;
    let asked = b.say(4, "pickup").await;
    assert!(asked.contains("name"), "{asked}");
    // The agent asked for a name: the widget offers its contact form.
    b.type_into("form.contact input[name=name]", "Riley Chen")
        .await;
    b.type_into("form.contact input[name=phone]", "(617) 555-0166")
        .await;
    b.type_into("form.contact input[name=email]", "riley@example.com")
        .await;
    b.click("form.contact button").await;
    let summary = b.agent_said(5).await;
    assert!(summary.contains("Shall I place"), "{summary}");
    let done = b.say(6, "yes please").await;
    assert!(done.contains("order"), "{done}");
    let orders = app.get(&format!("/api/v1/businesses/{pizza}/orders")).await;
    let orders = orders.json.as_array().unwrap();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["phone"], "+16175550166");
    assert_eq!(
        orders[0]["lines"][0]["item"], "Margherita pizza",
        "{orders:?}"
    );
    let customers = app
        .get(&format!("/api/v1/businesses/{pizza}/customers"))
        .await;
    let c = &customers.json["items"][0];
    assert_eq!(c["name"], "Riley Chen", "{c}");
    assert_eq!(c["email"], "riley@example.com", "{c}");

    // A reload continues the same thread.
    b.cmd("/refresh", json!({})).await;
    b.click(".bubble").await;
    b.agent_said(6).await;
    let log = b.log().await;
    assert!(log.contains("one large margherita pizza please"), "{log}");
}

async fn anonymous_visitors_cannot_spend_the_business_s_texts(app: App, base: String) {
    let b = app.business(STORAGE).await;
    let key = widget_key(&app, &b).await;
    // Sixty visitors would once have sent sixty texts to the owner: each gives a number (a
    // stranger's, for all we know) and becomes a new customer.
    let mut numbers = Vec::new();
    for i in 0..6 {
        let mut ws = open(&base, &key, &format!("visitor-flood-{i:012}")).await;
        next(&mut ws).await;
        let number = format!("+1512555{:04}", 7000 + i);
        numbers.push(number.clone());
        let (_, r) = say(
            &mut ws,
            "m1",
            &format!("this is Pat, {number}, how much is a 5x5?"),
        )
        .await;
        assert_eq!(r["type"], "reply", "{r}");
    }
    let customers = app.get(&format!("/api/v1/businesses/{b}/customers")).await;
    assert!(
        customers.json["items"].as_array().unwrap().len() >= 6,
        "{}",
        customers.text
    );
    let texts = app
        .get(&format!("/api/v1/businesses/{b}/texts?limit=200"))
        .await;
    let texts = texts.json["items"].as_array().unwrap().clone();
    // One alert for the owner, however many visitors came.
    let alerts: Vec<&Value> = texts
        .iter()
        .filter(|t| t["purpose"] == "lead_alert")
        .collect();
    assert_eq!(alerts.len(), 1, "{texts:?}");
    // Nothing to the numbers the visitors typed.
    for n in &numbers {
        assert!(
            texts.iter().all(|t| t["to_address"] != n.as_str()),
            "{n}: {texts:?}"
        );
    }
    // When the alert window ends, one digest counts the others (its job, run now).
    let jobs = app.get("/api/v1/jobs?status=queued&limit=200").await;
    let digests: Vec<&Value> = jobs
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["kind"] == "notify.alert_digest")
        .collect();
    assert_eq!(digests.len(), 1, "{}", jobs.text);
    use frontdesk_desk::jobs::Job;
    serde_json::from_value::<frontdesk_desk::alerts::Digest>(digests[0]["payload"].clone())
        .unwrap()
        .run(app.st.desk.clone())
        .await
        .unwrap();
    let texts = app
        .get(&format!("/api/v1/businesses/{b}/texts?limit=200"))
        .await;
    let alerts: Vec<String> = texts.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["purpose"] == "lead_alert")
        .map(|t| t["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert!(
        alerts.iter().any(|a| a.contains("5 new customers since")),
        "{alerts:?}"
    );
}
