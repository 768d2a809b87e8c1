//! Notifications as customers and owners get them: texts through the local server that speaks
//! Twilio's REST API, e-mails through a real SMTP server (Python's aiosmtpd, writing what
//! arrives to a maildir that the tests read).

use frontdesk_desk::jobs::{Job, Remind};

use axum::http::StatusCode;
use frontdesk_store::testing::TestDb;
use frontdesk_store::{BusinessId, RecordId};
use serde_json::{Value, json};

use crate::agent::{say, start};
use crate::fakes::smtp::Smtp;
use crate::texts::{Harness, setup_with};
use crate::voice::Caller;

const ROOTER: &str = include_str!("../../../../demo/rapid-rooter.yaml");
const PIZZA: &str = include_str!("../../../../demo/tonys-pizza.yaml");
const STORAGE: &str = include_str!("../../../../demo/sunny-storage.yaml");
const ROOTER_PHONE: &str = "+13035550140";
const ROOTER_OWNER_SMS: &str = "+13035550142";
const ROOTER_OWNER_EMAIL: &str = "dispatch@rapidrooter.example";
const FROM: &str = "frontdesk@frontdesk.test";

crate::on_both!(
    a_phone_booking_is_confirmed_reminded_and_cancelled => with_mail,
    an_emergency_alerts_the_owner_at_once_by_text_and_email => with_mail,
    an_order_with_an_email_address_is_confirmed_by_email_and_text => with_mail,
    a_reminder_goes_out_once_and_only_while_the_appointment_stands => with_mail,
    an_unreachable_relay_keeps_the_email_and_retries => crate::with_db,
    an_email_in_flight_at_a_crash_goes_again_with_its_message_id => with_mail,
);

async fn harness(t: TestDb, smtp_url: &str) -> Harness {
    let url = smtp_url.to_owned();
    setup_with(t, move |c| {
        c.email.smtp_url = frontdesk_web::Secret::new(url);
        c.email.from = FROM.into();
    })
    .await
}

/// Runs `test` with a real SMTP server and the app sending through it; skipped without
/// aiosmtpd unless CI requires it.
async fn with_mail<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(Harness, Smtp) -> F,
) {
    let Some(smtp) = Smtp::start().await else {
        return;
    };
    let h = harness(t, &smtp.url).await;
    test(h, smtp).await
}

/// Waits until every text and e-mail queued so far has been tried, so that what was not sent
/// can be asserted.
async fn sends_settled(h: &Harness) {
    crate::eventually("every queued text and e-mail tried", || async {
        let mut busy = Vec::new();
        for status in ["queued", "running"] {
            for kind in ["twilio.text_out", "email.send"] {
                busy.extend(jobs(h, status, kind).await);
            }
        }
        if busy.is_empty() {
            Ok(())
        } else {
            Err(format!("{busy:?}"))
        }
    })
    .await
}

async fn jobs(h: &Harness, status: &str, kind: &str) -> Vec<Value> {
    let r = h
        .app
        .get(&format!("/api/v1/jobs?status={status}&limit=200"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["kind"] == kind)
        .cloned()
        .collect()
}

async fn emails(h: &Harness, b: &str) -> Vec<Value> {
    let r = h.app.get(&format!("/api/v1/businesses/{b}/emails")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["items"].as_array().unwrap().clone()
}

async fn appointments(h: &Harness, b: &str) -> Vec<Value> {
    let r = h
        .app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    r.json.as_array().unwrap().clone()
}

const HOUR_MS: i64 = 3_600_000;

async fn a_phone_booking_is_confirmed_reminded_and_cancelled(h: Harness, smtp: Smtp) {
    let b = h.app.business(ROOTER).await;
    let me = "+13035550190";
    let mut c = Caller::dial(&h.app, "CA_n1", me, ROOTER_PHONE).await;
    c.say("hi my kitchen sink is clogged can you send someone out")
        .await;
    let heard = c.say("a week from today").await;
    assert!(heard.contains(" at "), "{heard}");
    c.say("the first one works").await;
    c.say("Casey Morgan").await;
    let heard = c.say("yes please").await;
    assert!(
        heard.contains("booked") || heard.contains("all set"),
        "{heard}"
    );
    c.hang_up("80").await;

    // The caller gets a text; the owner hears of the new customer by text and e-mail.
    let mine = h.until_sent_to(me, 1).await;
    assert_eq!(mine[0].from, ROOTER_PHONE);
    assert!(
        mine[0]
            .body
            .starts_with("Rapid Rooter Plumbing: your drain cleaning ")
            && mine[0].body.contains(" is booked for ")
            && mine[0]
                .body
                .contains("Change or cancel: http://frontdesk.test/a/"),
        "{}",
        mine[0].body
    );
    let owner = h.until_sent_to(ROOTER_OWNER_SMS, 1).await;
    assert!(
        owner[0].body.contains("new lead") && owner[0].body.contains(me),
        "{}",
        owner[0].body
    );
    let mail = &smtp.until_to(ROOTER_OWNER_EMAIL, 1).await[0];
    assert!(mail.header("Subject").starts_with("New lead: "), "{mail:?}");
    assert!(mail.header("Subject").contains(me), "{mail:?}");
    assert_eq!(
        mail.header("From"),
        format!("\"Rapid Rooter Plumbing\" <{FROM}>"),
        "{mail:?}"
    );
    assert!(mail.body.contains("kitchen sink is clogged"), "{mail:?}");
    // The relay has the e-mail before its row says so: wait for the row.
    let stored = crate::eventually("the e-mail's row to say sent", || async {
        let e = emails(&h, &b).await;
        if e.len() == 1 && e[0]["status"] == "sent" {
            Ok(e)
        } else {
            Err(format!("{e:?}"))
        }
    })
    .await;
    assert_eq!(stored[0]["message_id"], mail.header("Message-ID"));

    // Two reminders wait for their time: a day and two hours before.
    let appts = appointments(&h, &b).await;
    assert_eq!(appts.len(), 1);
    let id = appts[0]["id"].as_str().unwrap();
    let start_at = appts[0]["start_at"].as_i64().unwrap();
    let mut waiting = jobs(&h, "queued", "notify.reminder").await;
    waiting.sort_by_key(|j| j["run_at"].as_i64());
    let at: Vec<i64> = waiting
        .iter()
        .map(|j| j["run_at"].as_i64().unwrap())
        .collect();
    assert_eq!(at, vec![start_at - 24 * HOUR_MS, start_at - 2 * HOUR_MS]);
    assert!(waiting.iter().all(|j| j["payload"]["appointment"] == id));

    // Calling back to cancel takes the reminders away and confirms the cancellation.
    let mut c = Caller::dial(&h.app, "CA_n2", me, ROOTER_PHONE).await;
    let heard = c.say("i need to cancel my appointment").await;
    let heard = if heard.contains('?') && !heard.contains("cancelled") {
        c.say("yes").await
    } else {
        heard
    };
    assert!(heard.contains("cancelled"), "{heard}");
    assert_eq!(appointments(&h, &b).await[0]["status"], "cancelled");
    assert!(jobs(&h, "queued", "notify.reminder").await.is_empty());
    assert_eq!(jobs(&h, "cancelled", "notify.reminder").await.len(), 2);
    let mine = h.until_sent_to(me, 2).await;
    assert!(
        mine[1].body.contains("your drain cleaning on ") && mine[1].body.contains("is cancelled"),
        "{}",
        mine[1].body
    );
    // A known customer calling back is not a new lead.
    assert_eq!(h.sent_to(ROOTER_OWNER_SMS).len(), 1);
}

async fn an_emergency_alerts_the_owner_at_once_by_text_and_email(h: Harness, smtp: Smtp) {
    let b = h.app.business(ROOTER).await;
    let me = "+13035550191";
    let mut c = Caller::dial(&h.app, "CA_n3", me, ROOTER_PHONE).await;
    let heard = c
        .say("help there's a burst pipe and my basement is flooding")
        .await;
    assert!(heard.contains("on-call plumber"), "{heard}");
    let owner = h.until_sent_to(ROOTER_OWNER_SMS, 1).await;
    let alert = &owner[0].body;
    assert!(
        alert.starts_with("EMERGENCY for Rapid Rooter Plumbing: +13035550191 says \"")
            && alert.contains("burst pipe")
            && alert.ends_with("Transferring to +13035550141."),
        "{alert}"
    );
    let mail = &smtp.until_to(ROOTER_OWNER_EMAIL, 1).await[0];
    assert!(
        mail.header("Subject")
            .starts_with("EMERGENCY: +13035550191: "),
        "{mail:?}"
    );
    assert!(mail.body.contains("basement is flooding"), "{mail:?}");
    assert!(mail.body.contains("Phone: +13035550191"), "{mail:?}");
    // The alert already names the caller: no separate lead alert, to the owner or anyone.
    sends_settled(&h).await;
    assert_eq!(h.sent().len(), 1, "{:?}", h.sent());
    assert_eq!(smtp.mails().len(), 1);
    assert_eq!(emails(&h, &b).await.len(), 1);
}

async fn an_order_with_an_email_address_is_confirmed_by_email_and_text(h: Harness, smtp: Smtp) {
    let b = h.app.business(PIZZA).await;
    // Held by the business's own systems through the API: the number it gives is theirs to
    // vouch for, so it gets a text.
    let c = start(&h.app, &b, json!({"channel": "api"})).await;
    say(&h.app, &b, &c, "can i get a large pepperoni pizza").await;
    say(&h.app, &b, &c, "no that's all").await;
    say(&h.app, &b, &c, "pickup").await;
    say(&h.app, &b, &c, "Dee Park, dee@example.com").await;
    let r = say(&h.app, &b, &c, "617-555-0188").await;
    assert!(r["reply"].as_str().unwrap().contains("$20"), "{r}");
    say(&h.app, &b, &c, "yes").await;
    let mail = &smtp.until_to("dee@example.com", 1).await[0];
    assert_eq!(
        mail.header("Subject"),
        "Your order from Tony's Pizzeria: $20.00",
        "{mail:?}"
    );
    assert!(mail.body.starts_with("Hello Dee,"), "{mail:?}");
    assert!(mail.body.contains("for pickup"), "{mail:?}");
    assert!(mail.body.contains("pepperoni"), "{mail:?}");
    let text = &h.until_sent_to("+16175550188", 1).await[0];
    assert!(
        text.body
            .starts_with("Tony's Pizzeria: we have your order for pickup: ")
            && text.body.contains("Total $20.00"),
        "{}",
        text.body
    );
    // The same order from an anonymous web visitor: confirmed on screen and by e-mail, never
    // by a text to a number anyone could have typed.
    let c = start(&h.app, &b, json!({"channel": "web"})).await;
    say(&h.app, &b, &c, "can i get a large pepperoni pizza").await;
    say(&h.app, &b, &c, "no that's all").await;
    say(&h.app, &b, &c, "pickup").await;
    say(&h.app, &b, &c, "Lee Park, lee@example.com").await;
    say(&h.app, &b, &c, "617-555-0189").await;
    let r = say(&h.app, &b, &c, "yes").await;
    assert!(r["reply"].as_str().unwrap().contains("order"), "{r}");
    smtp.until_to("lee@example.com", 1).await;
    sends_settled(&h).await;
    assert!(h.sent_to("+16175550189").is_empty(), "{:?}", h.sent());
}

async fn a_reminder_goes_out_once_and_only_while_the_appointment_stands(h: Harness, smtp: Smtp) {
    let b = h.app.business(ROOTER).await;
    let c = start(&h.app, &b, json!({"channel": "api"})).await;
    say(&h.app, &b, &c, "I'd like a leak inspection").await;
    say(&h.app, &b, &c, "three days from now").await;
    say(&h.app, &b, &c, "the first one").await;
    say(&h.app, &b, &c, "Ana Ruiz, ana@example.com").await;
    let r = say(&h.app, &b, &c, "303 555 0177").await;
    assert!(
        r["reply"].as_str().unwrap().contains("Shall I book it"),
        "{r}"
    );
    say(&h.app, &b, &c, "yes").await;
    // Confirmed both ways at once.
    smtp.until_to("ana@example.com", 1).await;
    h.until_sent_to("+13035550177", 1).await;

    let waiting = jobs(&h, "queued", "notify.reminder").await;
    assert_eq!(waiting.len(), 2, "{waiting:?}");
    let day_before = waiting
        .iter()
        .find(|j| j["payload"]["lead"] == "24h")
        .unwrap()["payload"]
        .clone();
    // The runner would run it at its time; run its handler now.
    serde_json::from_value::<Remind>(day_before.clone())
        .unwrap()
        .run(h.app.st.desk.clone())
        .await
        .unwrap();
    let texts = h.until_sent_to("+13035550177", 2).await;
    assert!(
        texts[1]
            .body
            .starts_with("Rapid Rooter Plumbing: a reminder that your leak inspection ")
            && texts[1].body.contains(" is on ")
            && texts[1].body.contains(" at "),
        "{}",
        texts[1].body
    );
    let mails = smtp.until_to("ana@example.com", 2).await;
    let reminder = mails
        .iter()
        .find(|m| {
            m.header("Subject")
                .starts_with("Reminder: your leak inspection ")
        })
        .unwrap_or_else(|| panic!("{mails:?}"));
    assert!(reminder.body.starts_with("Hello Ana,"), "{reminder:?}");
    assert!(
        reminder.body.contains("at Rapid Rooter Plumbing is on "),
        "{reminder:?}"
    );
    assert_eq!(
        reminder.header("Reply-To"),
        ROOTER_OWNER_EMAIL,
        "{reminder:?}"
    );

    // Run twice (a retried job): nothing goes out twice.
    serde_json::from_value::<Remind>(day_before.clone())
        .unwrap()
        .run(h.app.st.desk.clone())
        .await
        .unwrap();
    // Moved since: the reminder for the old time sends nothing.
    let id = &RecordId::parse(day_before["appointment"].as_str().unwrap()).unwrap();
    let start_at = day_before["start"].as_i64().unwrap();
    let bid = BusinessId::parse(&b).unwrap();
    h.app
        .db
        .tenant(&bid)
        .reschedule_appointment(
            id,
            None,
            start_at + 3 * HOUR_MS,
            start_at + 4 * HOUR_MS,
            0,
            0,
        )
        .await
        .unwrap();
    let two_hours = waiting
        .iter()
        .find(|j| j["payload"]["lead"] == "2h")
        .unwrap()["payload"]
        .clone();
    serde_json::from_value::<Remind>(two_hours.clone())
        .unwrap()
        .run(h.app.st.desk.clone())
        .await
        .unwrap();
    sends_settled(&h).await;
    assert_eq!(h.sent_to("+13035550177").len(), 2, "{:?}", h.sent());
    assert_eq!(smtp.until_to("ana@example.com", 2).await.len(), 2);
}

/// The relay is down: the e-mail is kept and its job retries; nothing is lost.
async fn an_unreachable_relay_keeps_the_email_and_retries(t: TestDb) {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let h = harness(t, &format!("smtp://127.0.0.1:{port}")).await;
    let b = h.app.business(STORAGE).await;
    h.exchange(
        "SM_m1",
        "+15125550160",
        "+15125550100",
        "do you have 10x10 units?",
    )
    .await;
    let j = crate::eventually("an e-mail job retried after the relay's outage", || async {
        let j = jobs(&h, "queued", "email.send").await;
        match j.first() {
            Some(j) if j["attempts"].as_i64() >= Some(2) => Ok(j.clone()),
            _ => Err(format!("{j:?}")),
        }
    })
    .await;
    assert!(
        j["last_error"].as_str().unwrap().contains("unavailable"),
        "{j}"
    );
    let e = emails(&h, &b).await;
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["status"], "pending");
    assert_eq!(e[0]["to_address"], "owner@sunnystorage.example");
    // It shows why it waits, and it is not in flight.
    assert_eq!(e[0]["error"], "relay_unavailable", "{}", e[0]);
    assert!(e[0]["sending_at"].is_null(), "{}", e[0]);
    // After a run of failures the breaker opens: the relay is left alone, the e-mail kept.
    crate::eventually("the relay's breaker open", || async {
        let j = jobs(&h, "queued", "email.send").await;
        match j.first() {
            Some(j)
                if j["last_error"]
                    .as_str()
                    .unwrap_or("")
                    .contains("holding e-mails") =>
            {
                Ok(())
            }
            _ => Err(format!("{j:?}")),
        }
    })
    .await;
    assert_eq!(emails(&h, &b).await[0]["status"], "pending");
}

/// A process killed while the relay had an e-mail leaves it pending and marked in flight; after
/// the restart it goes again (SMTP cannot be asked whether it arrived) with the same
/// `Message-ID`, so receiving systems can tell it is one message.
async fn an_email_in_flight_at_a_crash_goes_again_with_its_message_id(h: Harness, smtp: Smtp) {
    let b = h.app.business(STORAGE).await;
    let bid = frontdesk_store::BusinessId::parse(&b).unwrap();
    let mut tx = h.app.db.begin().await.unwrap();
    let mut t = tx.tenant(&bid);
    frontdesk_desk::outbox::queue_email(
        &mut t,
        None,
        "confirmation",
        "kim@example.com",
        "Your unit",
        "See you Friday.",
        None,
        frontdesk_store::now_ms(),
    )
    .await
    .unwrap();
    let e = t.emails(None, 1).await.unwrap().remove(0);
    t.email_in_flight(&e.id, frontdesk_store::now_ms() - 60_000)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    h.app.st.desk.wake_jobs();
    let mail = &smtp.until_to("kim@example.com", 1).await[0];
    let sent = crate::eventually("the e-mail recorded as sent", || async {
        let e = emails(&h, &b).await;
        match e.iter().find(|m| m["to_address"] == "kim@example.com") {
            Some(m) if m["status"] == "sent" => Ok(m.clone()),
            m => Err(format!("{m:?}")),
        }
    })
    .await;
    assert_eq!(
        mail.header("Message-ID"),
        sent["message_id"].as_str().unwrap()
    );
    assert!(
        sent["message_id"]
            .as_str()
            .unwrap()
            .starts_with(&format!("<{}@", e.id)),
        "{sent}"
    );
    assert!(sent["sending_at"].is_null(), "{sent}");
    sends_settled(&h).await;
    assert_eq!(smtp.mails().len(), 1);
}
