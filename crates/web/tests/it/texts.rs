//! SMS and WhatsApp as Twilio delivers them, with the job runner sending replies to a local
//! server that speaks Twilio's REST API (Messages and Calls resources, basic auth, form bodies,
//! JSON answers and errors).

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::http::StatusCode;
use frontdesk_jobs::{Runner, RunnerConfig};
use frontdesk_store::testing::TestDb;
use frontdesk_web::Secret;
use serde_json::Value;
use tokio::sync::watch;

use crate::App;
use crate::fakes::twilio::{INVALID, Sent, Shared, Twilio};
use crate::voice::{ACCOUNT, Caller, HOST, TOKEN, call_detail, post_signed};

const STORAGE: &str = include_str!("../../../../demo/sunny-storage.yaml");
const PIZZA: &str = include_str!("../../../../demo/tonys-pizza.yaml");
const ROOTER: &str = include_str!("../../../../demo/rapid-rooter.yaml");
const STORAGE_PHONE: &str = "+15125550100";
/// Where the storage demo's owner gets alerts.
const OWNER_SMS: &str = "+15125550198";
const PIZZA_PHONE: &str = "+16175550120";

/// The app with Twilio configured against the fake, and its job runner running.
pub struct Harness {
    pub app: App,
    pub fake: Shared,
    /// Where Twilio's webhooks are signed for (the public URL).
    hooks: String,
    _stop: watch::Sender<bool>,
}

async fn setup(t: TestDb) -> Harness {
    setup_with(t, |_| {}).await
}

/// [`setup`] with more settings changed.
pub async fn setup_with(t: TestDb, edit: impl FnOnce(&mut frontdesk_web::Config)) -> Harness {
    let quick = RunnerConfig {
        poll_interval: Duration::from_millis(20),
        backoff_base: Duration::from_millis(30),
        backoff_max: Duration::from_millis(200),
        ..RunnerConfig::default()
    };
    setup_with_runner(t, edit, quick, false).await.0
}

/// [`setup`] served on a port (for a browser): the harness and the address.
pub async fn setup_served(t: TestDb) -> (Harness, String) {
    setup_served_with(t, |_| {}).await
}

/// [`setup_served`] with more settings changed.
pub async fn setup_served_with(
    t: TestDb,
    edit: impl FnOnce(&mut frontdesk_web::Config),
) -> (Harness, String) {
    let quick = RunnerConfig {
        poll_interval: Duration::from_millis(20),
        backoff_base: Duration::from_millis(30),
        backoff_max: Duration::from_millis(200),
        ..RunnerConfig::default()
    };
    setup_with_runner(t, edit, quick, true).await
}

/// [`setup_with`] with the job runner's own settings.
async fn setup_with_runner(
    t: TestDb,
    edit: impl FnOnce(&mut frontdesk_web::Config),
    runner: RunnerConfig,
    served: bool,
) -> (Harness, String) {
    let (fake, addr) = Twilio::start().await;
    let mut cfg = crate::voice::twilio_cfg();
    cfg.twilio.account_sid = ACCOUNT.into();
    cfg.twilio.auth_token = Secret::new(TOKEN);
    cfg.twilio.api_base = format!("http://{addr}");
    cfg.public_url = format!("http://{HOST}");
    // A failing Twilio is left alone briefly here, so recovery is seen within a test.
    cfg.twilio.breaker_cool_down_ms = 200;
    edit(&mut cfg);
    let (app, hooks) = if served {
        crate::serve_on_port(t, cfg).await
    } else {
        (App::spawn(t, cfg).await, format!("http://{HOST}"))
    };
    let (stop, stop_rx) = watch::channel(false);
    let mut r = Runner::new(app.db.clone(), runner).with_waker(app.st.desk.wake.clone());
    frontdesk_desk::jobs::register(&mut r, &app.st.desk).unwrap();
    tokio::spawn(r.run(stop_rx));
    (
        Harness {
            app,
            fake,
            hooks: hooks.clone(),
            _stop: stop,
        },
        hooks,
    )
}

crate::on_both!(
    an_sms_thread_reserves_a_unit_and_the_confirmation_goes_to_the_messages_api => with_harness,
    a_whatsapp_thread_places_an_order => with_harness,
    stop_start_and_help_are_honoured => with_harness,
    sending_retries_outages_and_records_refusals => with_harness,
    a_finished_call_gets_its_price => with_harness,
    texts_from_senders_that_cannot_be_answered_are_kept => with_harness,
    texts_to_one_person_are_capped_per_hour => with_harness,
    a_send_whose_answer_was_lost_is_not_sent_twice => with_harness,
    a_business_cannot_text_past_its_daily_budget => with_small_budget,
    texts_abroad_go_only_where_the_business_allows => with_harness,
    texts_held_by_an_outage_are_shown_and_the_owner_is_told_once => with_small_budget,
    calls_past_the_daily_budget_are_refused_briefly => with_small_budget,
    replies_held_through_an_hour_long_outage_go_once_in_order => with_real_backoff,
    a_flood_of_messages_is_one_alert_and_a_digest => with_harness,
);

/// The harness with the job runner's production backoff (2 s doubling to an hour), for tests
/// that move the clock rather than wait.
async fn with_real_backoff<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(Harness) -> F,
) {
    let cfg = RunnerConfig {
        poll_interval: Duration::from_millis(20),
        ..RunnerConfig::default()
    };
    test(setup_with_runner(t, |_| {}, cfg, false).await.0).await
}

/// The harness with a daily budget of 10 segments and 2 call minutes a business, and an SMTP relay configured
/// (nothing listens there; e-mails are only queued).
async fn with_small_budget<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(Harness) -> F,
) {
    let h = setup_with(t, |c| {
        c.twilio.daily_segments_per_business = 10;
        c.twilio.daily_call_minutes_per_business = 2;
        c.email.smtp_url = Secret::new("smtp://127.0.0.1:9");
        c.email.from = "frontdesk@example.com".into();
    })
    .await;
    test(h).await
}

/// Runs `test` with the app, a stand-in Messages API and a job runner ([`setup`]).
async fn with_harness<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(Harness) -> F,
) {
    test(setup(t).await).await
}

impl Harness {
    /// Texts `body` from `from` to `to` as Twilio's inbound-message webhook.
    pub async fn text(&self, sid: &str, from: &str, to: &str, body: &str) -> crate::Resp {
        let params = [
            ("AccountSid", ACCOUNT),
            ("MessageSid", sid),
            ("SmsSid", sid),
            ("From", from),
            ("To", to),
            ("Body", body),
            ("NumMedia", "0"),
            ("NumSegments", "1"),
            ("ApiVersion", "2010-04-01"),
        ];
        let r = post_signed(
            &self.app,
            &format!("{}/twilio/sms", self.hooks),
            &params,
            TOKEN,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.fake.sent.lock().unwrap().clone()
    }

    /// What the fake has accepted for `to`, in order.
    pub fn sent_to(&self, to: &str) -> Vec<Sent> {
        self.sent().into_iter().filter(|s| s.to == to).collect()
    }

    /// Waits until the fake has accepted `n` messages for `to`.
    pub async fn until_sent_to(&self, to: &str, n: usize) -> Vec<Sent> {
        crate::eventually(&format!("{n} messages sent to {to}"), || async {
            let s = self.sent_to(to);
            if s.len() >= n {
                Ok(s)
            } else {
                Err(format!("{:?}", self.sent()))
            }
        })
        .await
    }

    /// Texts `body` and returns the reply that was sent.
    pub async fn exchange(&self, sid: &str, from: &str, to: &str, body: &str) -> String {
        let n = self.sent_to(from).len();
        self.text(sid, from, to, body).await;
        self.until_sent_to(from, n + 1).await[n].body.clone()
    }

    /// The business's messages, oldest first.
    async fn texts(&self, b: &str) -> Vec<Value> {
        let r = self
            .app
            .get(&format!("/api/v1/businesses/{b}/texts?limit=200"))
            .await;
        let mut v = r.json["items"].as_array().unwrap().clone();
        v.reverse();
        v
    }

    /// Waits until every inbound message has been handled and nothing is left to send.
    pub async fn settled(&self, b: &str) -> Vec<Value> {
        crate::eventually("every message handled and sent", || async {
            let t = self.texts(b).await;
            // In flight (marked sending, no sid yet) is not settled either.
            if t.iter().all(|m| {
                m["status"] != "received"
                    && m["status"] != "pending"
                    && !(m["status"] == "sending" && m["sid"].is_null())
            }) {
                Ok(t)
            } else {
                Err(format!("{t:?}"))
            }
        })
        .await
    }
}

async fn an_sms_thread_reserves_a_unit_and_the_confirmation_goes_to_the_messages_api(h: Harness) {
    let b = h.app.business(STORAGE).await;
    let me = "+15125550150";
    let reply = h
        .exchange(
            "SM_in_1",
            me,
            STORAGE_PHONE,
            "hi! i'd like to hold a 10 by 15 please",
        )
        .await;
    assert!(reply.contains("move in"), "{reply}");
    h.exchange("SM_in_2", me, STORAGE_PHONE, "a week from now")
        .await;
    h.exchange("SM_in_3", me, STORAGE_PHONE, "in 7 days").await;
    let reply = h.exchange("SM_in_4", me, STORAGE_PHONE, "Ann Lee").await;
    assert!(reply.contains("10x15"), "{reply}");
    let reply = h.exchange("SM_in_5", me, STORAGE_PHONE, "yes").await;
    let last = h.sent_to(me).last().unwrap().clone();
    assert_eq!(last.to, me);
    assert_eq!(last.from, STORAGE_PHONE);
    assert!(
        reply.contains("reserved") || reply.contains("all set"),
        "{reply}"
    );
    // The callback names the business and our message.
    let cb = last.status_callback.as_deref().unwrap_or("");
    assert!(
        cb.starts_with(&format!("http://{HOST}/twilio/sms/status?b={b}&m=")),
        "{cb}"
    );
    let res = h
        .app
        .get(&format!("/api/v1/businesses/{b}/reservations"))
        .await;
    let res = res.json.as_array().unwrap();
    assert_eq!(res.len(), 1);
    assert_eq!(res[0]["unit_type"], "10x15");

    // Delivery callbacks, one overtaking another: the state never goes backwards. They come
    // for a message whose sending is recorded (the fake has it a moment before our row does).
    h.settled(&b).await;
    for status in ["delivered", "sent"] {
        let r = post_signed(
            &h.app,
            last.status_callback.as_deref().unwrap(),
            &[
                ("AccountSid", ACCOUNT),
                ("MessageSid", &last.sid),
                ("MessageStatus", status),
                ("To", me),
                ("From", STORAGE_PHONE),
            ],
            TOKEN,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let texts = h.settled(&b).await;
    let out = texts
        .iter()
        .find(|m| m["sid"] == last.sid.as_str())
        .unwrap();
    assert_eq!(out["status"], "delivered", "{out}");
    let with_me = |texts: &[Value]| -> Vec<Value> {
        texts
            .iter()
            .filter(|m| m["from_address"] == me || m["to_address"] == me)
            .cloned()
            .collect()
    };
    assert_eq!(with_me(&texts).len(), 10, "five in, five out: {texts:?}");
    // The owner heard of the new customer once, with what they asked for; the reply in the
    // thread was the customer's confirmation, so no second one went to them.
    let owner = h.sent_to(OWNER_SMS);
    assert_eq!(owner.len(), 1, "{owner:?}");
    assert_eq!(owner[0].from, STORAGE_PHONE);
    assert!(
        owner[0].body.contains("new lead")
            && owner[0].body.contains(me)
            && owner[0].body.contains("10 by 15"),
        "{}",
        owner[0].body
    );

    // Twilio delivers a webhook twice: one message, one reply.
    h.text("SM_in_5", me, STORAGE_PHONE, "yes").await;
    // A later message continues the same thread.
    h.exchange(
        "SM_in_6",
        me,
        STORAGE_PHONE,
        "what are your hours on saturday?",
    )
    .await;
    let texts = with_me(&h.settled(&b).await);
    assert_eq!(texts.len(), 12, "{texts:?}");
    let conv = texts[0]["conversation_id"].as_str().unwrap();
    assert!(
        texts.iter().all(|m| m["conversation_id"] == conv),
        "{texts:?}"
    );
    let convs = h
        .app
        .get(&format!("/api/v1/businesses/{b}/conversations"))
        .await;
    let convs = convs.json["items"].as_array().unwrap();
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0]["channel"], "sms");
    assert_eq!(convs[0]["address"], me);

    // A number no business has gets a polite texted answer.
    let r = h.text("SM_in_7", me, "+15125559999", "hello?").await;
    assert!(
        r.text.contains("<Message>Sorry, this number isn"),
        "{}",
        r.text
    );
}

async fn a_whatsapp_thread_places_an_order(h: Harness) {
    let b = h.app.business(PIZZA).await;
    let me = "whatsapp:+16175550177";
    let ours = format!("whatsapp:{PIZZA_PHONE}");
    h.exchange(
        "SM_w1",
        me,
        &ours,
        "could i get 2 small pepperoni pizzas with gluten free crust and a caesar salad",
    )
    .await;
    h.exchange("SM_w2", me, &ours, "no thats it").await;
    h.exchange("SM_w3", me, &ours, "delivery").await;
    h.exchange("SM_w4", me, &ours, "14 North Square").await;
    let reply = h.exchange("SM_w5", me, &ours, "Dee").await;
    assert!(reply.contains("$45.49"), "{reply}");
    h.exchange("SM_w6", me, &ours, "yes place it").await;
    let sent = h.sent();
    assert!(
        sent.iter().all(|s| s.to == me && s.from == ours),
        "{sent:?}"
    );
    let o = h.app.get(&format!("/api/v1/businesses/{b}/orders")).await;
    assert_eq!(o.json[0]["total_cents"], 4549, "{}", o.text);
    let convs = h
        .app
        .get(&format!("/api/v1/businesses/{b}/conversations"))
        .await;
    assert_eq!(convs.json["items"][0]["channel"], "whatsapp");
    assert_eq!(convs.json["items"][0]["address"], "+16175550177");
    // The customer is known by their number.
    let customers = h
        .app
        .get(&format!("/api/v1/businesses/{b}/customers"))
        .await;
    assert_eq!(
        customers.json["items"][0]["phone"], "+16175550177",
        "{}",
        customers.text
    );
}

async fn stop_start_and_help_are_honoured(h: Harness) {
    let b = h.app.business(STORAGE).await;
    let me = "+15125550151";
    h.exchange(
        "SM_s1",
        me,
        STORAGE_PHONE,
        "do you have climate controlled units?",
    )
    .await;
    // STOP: Twilio confirms it on SMS; nothing more is sent, not even replies.
    h.text("SM_s2", me, STORAGE_PHONE, "Stop").await;
    h.text("SM_s3", me, STORAGE_PHONE, "how much is a 5x5?")
        .await;
    let texts = h.settled(&b).await;
    assert_eq!(h.sent_to(me).len(), 1, "{:?}", h.sent());
    let blocked = texts.iter().rev().find(|m| m["to_address"] == me).unwrap();
    assert_eq!(blocked["direction"], "outbound");
    assert_eq!(blocked["status"], "failed");
    assert_eq!(blocked["error_code"], "opted_out");
    // START subscribes again; HELP tells who we are and how to stop.
    h.text("SM_s4", me, STORAGE_PHONE, "START").await;
    let help = h.exchange("SM_s5", me, STORAGE_PHONE, "help").await;
    assert!(
        help.contains("Sunny Self Storage") && help.contains("Reply STOP"),
        "{help}"
    );
    let reply = h
        .exchange("SM_s6", me, STORAGE_PHONE, "how much is a 5x5?")
        .await;
    assert!(reply.contains('$'), "{reply}");
    // On WhatsApp Twilio does not confirm opt-outs, so we do.
    let wa = "whatsapp:+15125550152";
    let ours = format!("whatsapp:{STORAGE_PHONE}");
    let bye = h.exchange("SM_s7", wa, &ours, "unsubscribe").await;
    assert!(bye.contains("Reply START"), "{bye}");
}

async fn sending_retries_outages_and_records_refusals(h: Harness) {
    // A business without owner alerts: every request is a reply.
    let b = h.app.business(PIZZA).await;
    // Twilio is down for the first two attempts: the reply still goes out, once.
    h.fake.fail.store(2, Ordering::SeqCst);
    h.exchange("SM_r1", "+15125550153", PIZZA_PHONE, "what are your hours?")
        .await;
    assert_eq!(h.fake.requests.load(Ordering::SeqCst), 3);
    assert_eq!(h.sent().len(), 1);
    // Twilio refuses the number: failed with its error code, not retried.
    h.text("SM_r2", INVALID, PIZZA_PHONE, "what are your hours?")
        .await;
    let texts = h.settled(&b).await;
    let refused = texts.last().unwrap();
    assert_eq!(refused["status"], "failed", "{refused}");
    assert_eq!(refused["error_code"], "21211");
    assert_eq!(h.fake.requests.load(Ordering::SeqCst), 4);
    let jobs = h.app.get("/api/v1/jobs?status=dead").await;
    assert_eq!(jobs.status, StatusCode::OK, "{}", jobs.text);
    assert_eq!(jobs.json.as_array().unwrap().len(), 0, "{}", jobs.text);
}

async fn a_finished_call_gets_its_price(h: Harness) {
    let b = h.app.business(ROOTER).await;
    let mut c = Caller::dial(&h.app, "CA0100", "+13035550199", "+13035550140").await;
    c.say("what areas do you serve").await;
    c.hang_up("12").await;
    let d = crate::eventually("the call's price", || async {
        let d = call_detail(&h.app, &b, "CA0100").await;
        if d["call"]["price"] == "-0.01700" {
            Ok(d)
        } else {
            Err(d.to_string())
        }
    })
    .await;
    assert_eq!(d["call"]["price_unit"], "USD");
    assert_eq!(d["call"]["outcome"], "answered");
    assert!(
        h.fake.price_polls.load(Ordering::SeqCst) >= 2,
        "asked again until rated"
    );
}

async fn texts_from_senders_that_cannot_be_answered_are_kept(h: Harness) {
    let b = h.app.business(PIZZA).await;
    // A short code and a named sender: Twilio delivers them; they cannot be texted back.
    for (sid, from) in [("SM_c1", "22395"), ("SM_c2", "ACME Bank")] {
        h.text(sid, from, PIZZA_PHONE, "Your code is 123456").await;
    }
    h.exchange("SM_c3", "+15125550154", PIZZA_PHONE, "are you open today?")
        .await;
    let texts = h.settled(&b).await;
    for from in ["22395", "ACME Bank"] {
        let kept = texts
            .iter()
            .find(|m| m["from_address"] == from)
            .unwrap_or_else(|| panic!("{from} not kept: {texts:?}"));
        assert_eq!(kept["status"], "ignored", "{kept}");
        assert_eq!(kept["body"], "Your code is 123456");
        assert!(h.sent_to(from).is_empty());
    }
    assert_eq!(h.sent().len(), 1, "{:?}", h.sent());
}

async fn texts_to_one_person_are_capped_per_hour(h: Harness) {
    // A business whose one answer is long: every question costs several segments.
    let answer = "We deliver to every street in town. ".repeat(24);
    let profile = format!(
        "{}faqs:\n  - q: Where do you deliver?\n    a: \"{}\"\n",
        crate::simple_profile("longwinded", "+15125550177"),
        answer.trim()
    );
    let b = h.app.business(&profile).await;
    let me = "+15125550155";
    for i in 0..9 {
        h.text(
            &format!("SM_h{i}"),
            me,
            "+15125550177",
            "where do you deliver?",
        )
        .await;
        h.settled(&b).await;
    }
    let texts = h.settled(&b).await;
    let out: Vec<&Value> = texts.iter().filter(|m| m["to_address"] == me).collect();
    let sent: i64 = out
        .iter()
        .filter(|m| m["status"] != "failed")
        .map(|m| m["segments"].as_i64().unwrap())
        .sum();
    assert!(sent <= 40, "{sent} segments sent in an hour");
    let capped = out
        .iter()
        .filter(|m| m["error_code"] == "hourly_cap")
        .count();
    assert!(capped >= 1, "{out:?}");
    // Someone else is still answered.
    let reply = h
        .exchange(
            "SM_h9",
            "+15125550156",
            "+15125550177",
            "where do you deliver?",
        )
        .await;
    assert!(reply.contains("every street"), "{reply}");
}

async fn a_send_whose_answer_was_lost_is_not_sent_twice(h: Harness) {
    let b = h.app.business(PIZZA).await;
    let me = "+15125550157";
    // Twilio takes the first reply but the answer never arrives: the retry asks Twilio
    // before sending again, finds it, and records it.
    h.fake.lose_answer.store(1, Ordering::SeqCst);
    h.text("SM_x1", me, PIZZA_PHONE, "what are your hours?")
        .await;
    let texts = h.settled(&b).await;
    assert_eq!(h.sent_to(me).len(), 1, "{:?}", h.sent());
    assert!(h.fake.lists.load(Ordering::SeqCst) >= 1);
    let reply = texts.iter().rev().find(|m| m["to_address"] == me).unwrap();
    assert_eq!(reply["sid"], h.sent_to(me)[0].sid.as_str(), "{reply}");
    // The status callback names our message, so a report for it is matched even by id.
    assert!(
        h.sent_to(me)[0]
            .status_callback
            .as_deref()
            .is_some_and(|c| c.contains(&format!("m={}", reply["id"].as_str().unwrap()))),
        "{:?}",
        h.sent_to(me)[0]
    );
    // Later replies go as usual, once each, in order.
    h.exchange("SM_x2", me, PIZZA_PHONE, "do you deliver?")
        .await;
    assert_eq!(h.sent_to(me).len(), 2);
}

async fn a_business_cannot_text_past_its_daily_budget(h: Harness) {
    let b = h.app.business(STORAGE).await;
    // Each customer is answered with one segment (and the owner gets one lead alert).
    for i in 0..12 {
        h.text(
            &format!("SM_b{i}"),
            &format!("+1512555{:04}", 4000 + i),
            STORAGE_PHONE,
            "what are your hours?",
        )
        .await;
        h.settled(&b).await;
    }
    let texts = h.settled(&b).await;
    let sent: i64 = texts
        .iter()
        .filter(|m| m["direction"] == "outbound" && m["status"] != "failed")
        .map(|m| m["segments"].as_i64().unwrap())
        .sum();
    assert!(sent <= 10, "{sent} segments sent on a budget of 10");
    let refused = texts
        .iter()
        .filter(|m| m["error_code"] == "daily_budget")
        .count();
    assert!(refused >= 1, "{texts:?}");
    assert_eq!(h.sent().len() as i64, sent, "{:?}", h.sent());
    // The owner heard at 80%, by e-mail, once.
    let mails = h.app.get(&format!("/api/v1/businesses/{b}/emails")).await;
    let alerts: Vec<&Value> = mails.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["purpose"] == "budget_alert")
        .collect();
    assert_eq!(alerts.len(), 1, "{}", mails.text);
    assert_eq!(alerts[0]["to_address"], "owner@sunnystorage.example");
}

async fn texts_abroad_go_only_where_the_business_allows(h: Harness) {
    let b = h.app.business(PIZZA).await;
    // A UK number texts a Boston pizzeria: kept and handled, but the reply is not sent abroad.
    let uk = "+447700900123";
    h.text("SM_uk1", uk, PIZZA_PHONE, "what are your hours?")
        .await;
    let texts = h.settled(&b).await;
    let reply = texts.iter().rev().find(|m| m["to_address"] == uk).unwrap();
    assert_eq!(reply["status"], "failed", "{reply}");
    assert_eq!(reply["error_code"], "country_not_allowed", "{reply}");
    assert!(h.sent_to(uk).is_empty());
    // The owner allows the UK: the next reply goes.
    let r = h
        .app
        .call(
            "PATCH",
            &format!("/api/v1/businesses/{b}"),
            Some(&h.app.op),
            Some(serde_json::json!({"text_countries": ["44"]})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let reply = h
        .exchange("SM_uk2", uk, PIZZA_PHONE, "do you deliver?")
        .await;
    assert!(!reply.is_empty());
    // Home numbers were never affected.
    let home = h
        .exchange(
            "SM_us1",
            "+16175550160",
            PIZZA_PHONE,
            "what are your hours?",
        )
        .await;
    assert!(!home.is_empty());
}

async fn texts_held_by_an_outage_are_shown_and_the_owner_is_told_once(h: Harness) {
    let b = h.app.business(STORAGE).await;
    let bid = frontdesk_store::BusinessId::parse(&b).unwrap();
    // Twilio is down; a reply has been waiting twenty minutes.
    h.fake.fail.store(1_000_000, Ordering::SeqCst);
    let me = "+15125550171";
    let then = frontdesk_store::now_ms() - 20 * 60_000;
    let mut tx = h.app.db.begin().await.unwrap();
    frontdesk_desk::outbox::queue_text(
        &mut tx.tenant(&bid),
        None,
        frontdesk_engine::agent::Channel::Sms,
        "reply",
        STORAGE_PHONE,
        me,
        "We're open 9 to 6.",
        None,
        then,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    h.app.st.desk.wake_jobs();
    crate::eventually("several attempts against the outage", || async {
        let n = h.fake.requests.load(Ordering::SeqCst);
        if n >= 4 { Ok(()) } else { Err(format!("{n}")) }
    })
    .await;
    // The message says why it waits; the owner was told once, by e-mail.
    let texts = h.texts(&b).await;
    let held = texts.iter().find(|m| m["to_address"] == me).unwrap();
    assert_eq!(held["error_code"], "provider_unavailable", "{held}");
    assert_ne!(held["status"], "failed", "{held}");
    let mails = h.app.get(&format!("/api/v1/businesses/{b}/emails")).await;
    let alerts: Vec<&Value> = mails.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["purpose"] == "held_alert")
        .collect();
    assert_eq!(alerts.len(), 1, "{}", mails.text);
    assert_eq!(alerts[0]["to_address"], "owner@sunnystorage.example");
    // Twilio comes back: the text goes, once.
    h.fake.fail.store(0, Ordering::SeqCst);
    h.until_sent_to(me, 1).await;
    h.settled(&b).await;
    assert_eq!(h.sent_to(me).len(), 1);
}

async fn calls_past_the_daily_budget_are_refused_briefly(h: Harness) {
    let b = h.app.business(STORAGE).await;
    let mails = || async {
        let m = h.app.get(&format!("/api/v1/businesses/{b}/emails")).await;
        m.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["purpose"] == "call_budget_alert")
            .cloned()
            .collect::<Vec<Value>>()
    };
    // 100 of the day's 120 seconds: still answered; the owner hears of it once the next call
    // finds 80% gone.
    let mut c = Caller::dial(&h.app, "CA_budget1", "+15125550181", STORAGE_PHONE).await;
    assert!(c.twiml.contains("<Gather"), "{}", c.twiml);
    c.hang_up("100").await;
    assert!(mails().await.is_empty());
    let mut c = Caller::dial(&h.app, "CA_budget2", "+15125550182", STORAGE_PHONE).await;
    assert!(c.twiml.contains("<Gather"), "{}", c.twiml);
    let alerts = mails().await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["to_address"], "owner@sunnystorage.example");
    // A call still going counts as it goes: this one has used up the rest.
    let going = frontdesk_store::now_ms() - 30_000;
    frontdesk_store::testing::raw_execute(
        &h.app.db,
        &format!(
            "UPDATE calls SET started_at = {going}, status = 'in-progress' WHERE call_sid = 'CA_budget2'"
        ),
    )
    .await
    .unwrap();
    // The next caller hears a short apology and is hung up; the call is on record.
    let c3 = Caller::dial(&h.app, "CA_budget3", "+15125550183", STORAGE_PHONE).await;
    assert!(!c3.twiml.contains("<Gather"), "{}", c3.twiml);
    assert!(c3.twiml.contains("<Hangup"), "{}", c3.twiml);
    assert!(
        c3.heard().contains("can't take more calls"),
        "{}",
        c3.heard()
    );
    // Twilio retries the webhook: the same answer, one record.
    let c3 = Caller::dial(&h.app, "CA_budget3", "+15125550183", STORAGE_PHONE).await;
    assert!(c3.twiml.contains("<Hangup"), "{}", c3.twiml);
    let d = call_detail(&h.app, &b, "CA_budget3").await;
    assert_eq!(d["call"]["mode"], "over_budget", "{d}");
    let list = h.app.get(&format!("/api/v1/businesses/{b}/calls")).await;
    let n = list.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["call_sid"] == "CA_budget3")
        .count();
    assert_eq!(n, 1);
    // Still one alert for the day.
    assert_eq!(mails().await.len(), 1);
    c.hang_up("40").await;
}

/// Moves the simulated clock on by `ms`: every time the sending path reads (when queued jobs
/// are due, when texts were written) moves back by as much, which is what the clock moving
/// forward looks like to it. Running jobs are left alone, so no lease expires under them.
async fn advance_clock(h: &Harness, ms: i64) {
    for sql in [
        format!(
            "UPDATE jobs SET run_at = run_at - {ms}, created_at = created_at - {ms}, updated_at = updated_at - {ms} WHERE status = 'queued'"
        ),
        format!(
            "UPDATE text_messages SET created_at = created_at - {ms}, updated_at = updated_at - {ms}"
        ),
    ] {
        frontdesk_store::testing::raw_execute(&h.app.db, &sql)
            .await
            .unwrap();
    }
    h.app.st.desk.wake_jobs();
}

/// The queued and running jobs: (id, attempts, run_at). Read from the store, since a test
/// that polls this often would be rate-limited by the API.
async fn pending_jobs(h: &Harness) -> Vec<(String, i64, i64)> {
    use frontdesk_store::states::JobStatus;
    let mut db = h.app.db.clone();
    let mut out = Vec::new();
    for status in [JobStatus::Queued, JobStatus::Running] {
        for j in frontdesk_store::jobs::by_status(&mut db, status, 1000)
            .await
            .unwrap()
        {
            out.push((j.id, j.attempts, j.run_at));
        }
    }
    out.sort();
    out
}

/// Runs the clock forward job by job until `until_ms` of simulated time has passed or nothing
/// is left to run: each step moves it to the next job's due time and waits for that job to be
/// tried. Returns the simulated time that passed.
async fn run_clock(h: &Harness, until_ms: i64) -> i64 {
    let mut passed = 0;
    while passed < until_ms {
        let before = pending_jobs(h).await;
        let Some(next) = before.iter().map(|j| j.2).min() else {
            break;
        };
        let step = (next - frontdesk_store::now_ms()).max(0);
        advance_clock(h, step).await;
        passed += step;
        crate::eventually("the due job tried", || async {
            let now = pending_jobs(h).await;
            if now != before {
                Ok(())
            } else {
                Err(format!("{now:?}"))
            }
        })
        .await;
    }
    passed
}

async fn replies_held_through_an_hour_long_outage_go_once_in_order(h: Harness) {
    let b = h.app.business(PIZZA).await;
    // Twilio is down. Five customers text twice each; every reply is queued and held.
    h.fake.fail.store(1_000_000, Ordering::SeqCst);
    let customers: Vec<String> = (0..5).map(|i| format!("+1617555{:04}", 6100 + i)).collect();
    for (i, c) in customers.iter().enumerate() {
        h.text(&format!("SM_o{i}a"), c, PIZZA_PHONE, "what are your hours?")
            .await;
        h.text(&format!("SM_o{i}b"), c, PIZZA_PHONE, "do you deliver?")
            .await;
    }
    // An hour passes on the simulated clock, every retry against the outage.
    let passed = run_clock(&h, 3_600_000).await;
    assert!(passed >= 3_600_000, "the clock ran {passed} ms");
    assert!(h.sent().is_empty(), "{:?}", h.sent());
    let mut db = h.app.db.clone();
    let dead =
        frontdesk_store::jobs::by_status(&mut db, frontdesk_store::states::JobStatus::Dead, 100)
            .await
            .unwrap();
    assert!(dead.is_empty(), "{dead:?}");
    let texts = h.texts(&b).await;
    let held: Vec<&Value> = texts
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .collect();
    assert_eq!(held.len(), 10, "{texts:?}");
    for m in &held {
        // Waiting, or tried and not known to have arrived (it is looked up before it goes
        // again); never given up.
        assert!(m["status"] == "pending" || m["status"] == "sending", "{m}");
        assert!(m["sid"].is_null(), "{m}");
        assert_eq!(m["error_code"], "provider_unavailable", "{m}");
    }
    // Twilio comes back: the clock runs on until everything has gone.
    h.fake.fail.store(0, Ordering::SeqCst);
    run_clock(&h, 24 * 3_600_000).await;
    assert!(pending_jobs(&h).await.is_empty());
    let texts = h.settled(&b).await;
    for c in &customers {
        let mut stored: Vec<&Value> = texts
            .iter()
            .filter(|m| m["direction"] == "outbound" && m["to_address"] == c.as_str())
            .collect();
        stored.sort_by_key(|m| m["id"].as_str().map(str::to_owned));
        let sent: Vec<String> = h.sent_to(c).into_iter().map(|s| s.body).collect();
        let want: Vec<String> = stored
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(sent, want, "each reply to {c} once, in order");
        assert_eq!(sent.len(), 2);
    }
}

async fn a_flood_of_messages_is_one_alert_and_a_digest(h: Harness) {
    let b = h.app.business(STORAGE).await;
    // Four callers leave voicemails within minutes: each is kept, the owner is texted once.
    for i in 0..4u32 {
        let mut c = Caller::dial(
            &h.app,
            &format!("CA_vm{i}"),
            &format!("+1512555{:04}", 7100 + i),
            STORAGE_PHONE,
        )
        .await;
        let url = format!("http://{HOST}/twilio/voice/voicemail");
        let rec = format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE{i}");
        let rid = format!("RE{i}");
        c.post(
            &url,
            &[
                ("RecordingUrl", rec.as_str()),
                ("RecordingSid", rid.as_str()),
                ("RecordingDuration", "9"),
                ("CallStatus", "in-progress"),
            ],
        )
        .await;
        assert!(c.heard().contains("we have your message"), "{}", c.twiml);
    }
    let msgs = h.app.get(&format!("/api/v1/businesses/{b}/messages")).await;
    assert_eq!(msgs.json.as_array().unwrap().len(), 4, "{}", msgs.text);
    let alerts = |texts: &[Value]| -> Vec<String> {
        texts
            .iter()
            .filter(|t| t["purpose"] == "owner_alert")
            .map(|t| t["body"].as_str().unwrap().to_owned())
            .collect()
    };
    let texts = h.settled(&b).await;
    let first = alerts(&texts);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].contains("new message from"), "{first:?}");
    // When the window ends, one digest counts the other three (its job, run now).
    let mut db = h.app.db.clone();
    let queued =
        frontdesk_store::jobs::by_status(&mut db, frontdesk_store::states::JobStatus::Queued, 200)
            .await
            .unwrap();
    let digests: Vec<_> = queued
        .iter()
        .filter(|j| j.kind == "notify.alert_digest" && j.payload["kind"] == "message")
        .collect();
    assert_eq!(digests.len(), 1, "{queued:?}");
    use frontdesk_desk::jobs::Job;
    serde_json::from_value::<frontdesk_desk::alerts::Digest>(digests[0].payload.clone())
        .unwrap()
        .run(h.app.st.desk.clone())
        .await
        .unwrap();
    let texts = h.settled(&b).await;
    let all = alerts(&texts);
    assert_eq!(all.len(), 2, "{all:?}");
    assert!(
        all.iter().any(|a| a.contains("3 new messages since")),
        "{all:?}"
    );
    assert_eq!(
        h.sent_to(OWNER_SMS)
            .iter()
            .filter(|s| s.body.contains("message"))
            .count(),
        2
    );
}
