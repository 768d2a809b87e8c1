//! The agent through the API: conversations that book, reserve and order land in the store,
//! transcripts keep what was understood, and bad input changes nothing.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{App, on_both, simple_profile};

const ROOTER: &str = include_str!("../../../../demo/rapid-rooter.yaml");
const STORAGE: &str = include_str!("../../../../demo/sunny-storage.yaml");
const PIZZA: &str = include_str!("../../../../demo/tonys-pizza.yaml");

on_both!(
    a_booking_conversation_lands_in_the_store,
    reservations_take_units_until_none_are_left,
    an_order_is_priced_and_stored,
    conversations_are_private_to_their_business,
    bad_turns_are_refused_and_change_nothing,
);

pub async fn start(app: &App, b: &str, body: Value) -> String {
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/conversations"),
            Some(&app.op),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(!r.json["reply"].as_str().unwrap().is_empty());
    r.json["conversation"]["id"].as_str().unwrap().to_owned()
}

pub async fn say(app: &App, b: &str, c: &str, text: &str) -> Value {
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/conversations/{c}/turns"),
            Some(&app.op),
            Some(json!({"text": text})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{text}: {}", r.text);
    r.json
}

pub fn kinds(r: &Value) -> Vec<String> {
    r["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_booking_conversation_lands_in_the_store(app: App) {
    let b = app.business(ROOTER).await;
    let c = start(
        &app,
        &b,
        json!({"channel": "voice", "caller": "+13035550190"}),
    )
    .await;
    let r = say(
        &app,
        &b,
        &c,
        "my shower drain is totally clogged, can you send someone",
    )
    .await;
    assert_eq!(r["intent"], "book", "{r}");
    say(&app, &b, &c, "whatever is soonest").await;
    say(&app, &b, &c, "the first one works").await;
    let r = say(&app, &b, &c, "Casey Morgan").await;
    assert!(
        r["reply"].as_str().unwrap().contains("Shall I book it"),
        "{r}"
    );
    let r = say(&app, &b, &c, "yes").await;
    assert!(kinds(&r).contains(&"book_appointment".to_owned()), "{r}");

    let appts = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    let list = appts.json.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", appts.text);
    assert_eq!(list[0]["service"], "Drain cleaning");
    assert_eq!(list[0]["phone"], "+13035550190");
    assert_eq!(list[0]["name"], "Casey Morgan");

    // The customer was created from caller id and the name given, with a timeline entry.
    let customer = list[0]["customer_id"].as_str().unwrap();
    let tl = app
        .get(&format!(
            "/api/v1/businesses/{b}/customers/{customer}/timeline"
        ))
        .await;
    assert_eq!(tl.json[0]["kind"], "appointment_booked", "{}", tl.text);

    // The transcript keeps every turn with what was understood.
    let t = app
        .get(&format!("/api/v1/businesses/{b}/conversations/{c}"))
        .await;
    let msgs = t.json["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1 + 2 * 5, "greeting and five exchanges");
    assert_eq!(msgs[1]["role"], "caller");
    assert_eq!(msgs[1]["intent"], "book");
    assert!(msgs[1]["confidence"].as_f64().unwrap() > 0.0);
    assert_eq!(msgs[1]["entities"]["service"], "Drain cleaning");
    assert!(
        msgs.last().unwrap()["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["type"] == "book_appointment")
    );

    // The same slot is no longer offered to the next caller: asking for exactly that time
    // gets other times.
    let c2 = start(&app, &b, json!({"caller": "+13035550191"})).await;
    let taken_start = list[0]["start_at"].as_i64().unwrap();
    let r = say(&app, &b, &c2, "i need a drain cleaning").await;
    assert_eq!(r["intent"], "book");
    let appts_after = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    assert_eq!(
        appts_after.json[0]["start_at"].as_i64().unwrap(),
        taken_start
    );

    // A goodbye ends the conversation; another turn is refused.
    let c3 = start(&app, &b, json!({})).await;
    let r = say(&app, &b, &c3, "ok that's all, bye").await;
    assert_eq!(r["ended"], true);
    let again = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/conversations/{c3}/turns"),
            Some(&app.op),
            Some(json!({"text": "hello?"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
}

pub async fn reserve(app: &App, b: &str, name: &str, phone: &str) -> Value {
    let c = start(app, b, json!({"channel": "sms", "caller": phone})).await;
    let r = say(app, b, &c, "i'd like to hold a 10 by 15 please").await;
    if r["reply"].as_str().unwrap().contains("sold out") {
        return r;
    }
    say(app, b, &c, "a week from now").await;
    say(app, b, &c, "in 7 days").await;
    say(app, b, &c, name).await;
    say(app, b, &c, "yes").await
}

async fn reservations_take_units_until_none_are_left(app: App) {
    let b = app.business(STORAGE).await;
    // The demo facility has two 10x15 units free.
    for (name, phone) in [("Ann Lee", "+15125550111"), ("Bo Diaz", "+15125550112")] {
        let r = reserve(&app, &b, name, phone).await;
        assert!(kinds(&r).contains(&"reserve_unit".to_owned()), "{r}");
    }
    let p = app.get(&format!("/api/v1/businesses/{b}/profile")).await;
    let unit = p.json["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["type"] == "10x15")
        .unwrap()
        .clone();
    assert_eq!(unit["available"], 0, "{unit}");
    // The third caller is told it is sold out and offered the nearest size instead.
    let r = reserve(&app, &b, "Cy Park", "+15125550113").await;
    assert!(r["reply"].as_str().unwrap().contains("sold out"), "{r}");
    assert!(!kinds(&r).contains(&"reserve_unit".to_owned()));
    let list = app
        .get(&format!("/api/v1/businesses/{b}/reservations"))
        .await;
    assert_eq!(list.json.as_array().unwrap().len(), 2);
    assert_eq!(list.json[0]["monthly_rate_cents"], 16900);
}

async fn an_order_is_priced_and_stored(app: App) {
    let b = app.business(PIZZA).await;
    let c = start(
        &app,
        &b,
        json!({"channel": "whatsapp", "caller": "+16175550177"}),
    )
    .await;
    say(
        &app,
        &b,
        &c,
        "could i get 2 small pepperoni pizzas with gluten free crust and a caesar salad",
    )
    .await;
    say(&app, &b, &c, "no thats it").await;
    say(&app, &b, &c, "delivery").await;
    say(&app, &b, &c, "14 North Square").await;
    let r = say(&app, &b, &c, "Dee").await;
    // 2 x (14.00 + 2.50) + 8.50 + 3.99 delivery.
    assert!(r["reply"].as_str().unwrap().contains("$45.49"), "{r}");
    let r = say(&app, &b, &c, "yes place it").await;
    assert!(kinds(&r).contains(&"place_order".to_owned()), "{r}");
    let o = app.get(&format!("/api/v1/businesses/{b}/orders")).await;
    assert_eq!(o.json[0]["total_cents"], 4549, "{}", o.text);
    assert_eq!(o.json[0]["fulfillment"], "delivery");
    assert_eq!(o.json[0]["address"], "14 North Square");
    assert_eq!(
        o.json[0]["lines"][0]["options"][1],
        json!(["crust", "gluten-free"])
    );
}

async fn conversations_are_private_to_their_business(app: App) {
    let a = app.business(ROOTER).await;
    let b = app
        .business(&simple_profile("other-shop", "+12125550100"))
        .await;
    let c = start(&app, &a, json!({})).await;
    say(&app, &a, &c, "what are your hours").await;
    // Not visible or writable through another business, even for an operator.
    let r = app
        .get(&format!("/api/v1/businesses/{b}/conversations/{c}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/conversations/{c}/turns"),
            Some(&app.op),
            Some(json!({"text": "hi"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A viewer of the business may read conversations but not talk as the agent's caller.
    let viewer = app.member(&a, "viewer@example.com", "viewer").await;
    let r = app
        .call(
            "GET",
            &format!("/api/v1/businesses/{a}/conversations"),
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{a}/conversations/{c}/turns"),
            Some(&viewer),
            Some(json!({"text": "hi"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn bad_turns_are_refused_and_change_nothing(app: App) {
    let b = app.business(ROOTER).await;
    let c = start(&app, &b, json!({})).await;
    let turns = format!("/api/v1/businesses/{b}/conversations/{c}/turns");
    for (body, status) in [
        (json!({"text": "   "}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"text": "x".repeat(2001)}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"text": "hi", "mood": "happy"}),
            StatusCode::BAD_REQUEST,
        ),
        (json!({"words": "hi"}), StatusCode::BAD_REQUEST),
    ] {
        let r = app
            .call("POST", &turns, Some(&app.op), Some(body.clone()))
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert!(r.json["error"]["code"].is_string());
    }
    let r = app
        .call(
            "POST",
            &format!(
                "/api/v1/businesses/{b}/conversations/0190a0a0-0000-7000-8000-000000000000/turns"
            ),
            Some(&app.op),
            Some(json!({"text": "hi"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/conversations"),
            Some(&app.op),
            Some(json!({"channel": "pigeon"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .call(
            "POST",
            &format!("/api/v1/businesses/{b}/conversations"),
            Some(&app.op),
            Some(json!({"caller": "555-1234"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let t = app
        .get(&format!("/api/v1/businesses/{b}/conversations/{c}"))
        .await;
    assert_eq!(
        t.json["messages"].as_array().unwrap().len(),
        1,
        "only the greeting: {}",
        t.text
    );
    assert_eq!(t.json["conversation"]["turns"], 0);
    let list = app
        .get(&format!("/api/v1/businesses/{b}/conversations"))
        .await;
    assert_eq!(list.json["items"].as_array().unwrap().len(), 1);
}

/// The held-apart evaluation: the acceptance bar, run by `cargo test` as by `frontdesk eval`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evaluation_completes_tasks_without_wrong_facts() {
    let suite = frontdesk_desk::eval::Suite::builtin().unwrap();
    let mut transcript = String::new();
    let report = frontdesk_desk::eval::run(&suite, None, |l| {
        transcript.push_str(l);
        transcript.push('\n');
    })
    .await
    .unwrap();
    println!("{report}");
    assert!(report.conversations >= 40, "{report}");
    assert_eq!(report.wrong_facts, 0, "{:#?}", report.failures);
    assert!(
        report.completion() >= 0.95,
        "{report}\n{:#?}",
        report.failures
    );
    assert!(report.intent_accuracy() >= 0.85, "{report}");
    assert!(report.entity_accuracy() >= 0.85, "{report}");
}

/// An evaluation conversation fails when it commits what it lists under `never`, as a question
/// that turned into a booking must.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evaluation_fails_a_conversation_that_does_what_it_must_never() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("never.yaml"),
        "business: rapid-rooter\nnow: 2026-11-18T10:00:00\nconversations:\n  - name: books\n    caller: \"+13035550177\"\n    turns:\n      - say: i need a drain cleaning thursday at 10am\n      - say: Rita Gomez\n      - say: \"yes\"\n    done: [book_appointment]\n    never: [book_appointment]\n",
    )
    .unwrap();
    let suite = frontdesk_desk::eval::Suite::from_dir(dir.path()).unwrap();
    let report = frontdesk_desk::eval::run(&suite, None, |_| {})
        .await
        .unwrap();
    assert_eq!(report.conversations, 1);
    assert_eq!(report.completed, 0, "{report}");
    assert!(
        report.failures[0].contains("must not be: book_appointment"),
        "{:?}",
        report.failures
    );
}

/// The strangers' conversations (written by people who never read the engine, for businesses
/// the project had not seen) all parse and their profiles import: `frontdesk eval --dir
/// eval/strangers` measures the agent on them.
#[test]
fn the_strangers_evaluation_set_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../eval/strangers");
    frontdesk_desk::eval::Suite::from_dir(&dir).unwrap();
}

/// The simulator (`frontdesk eval --simulate N`): generated businesses and callers with every
/// kind of goal, checked in the store. The same seed gives the same run; whatever the agent
/// gets wrong, nobody is booked twice, no off-topic caller is acted on and no amount or time
/// outside the data is stated; and the share of goals met does not fall below where it stands
/// (the bar is 98%: `BENCHMARKS.md` and the issue note hold the figures).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_callers_meet_their_goals_and_a_seed_replays_the_same_run() {
    use frontdesk_desk::eval::simulate;
    let a = simulate::run(300, 7, false, |_| {}).await.unwrap();
    let b = simulate::run(300, 7, false, |_| {}).await.unwrap();
    println!("{a}");
    assert_eq!(a.conversations, 300);
    assert_eq!(
        (a.completed, a.turns, &a.failures),
        (b.completed, b.turns, &b.failures)
    );
    assert!(
        a.goals.len() >= 11,
        "not every kind of goal was tried:\n{a}"
    );
    assert_eq!(a.double_bookings, 0, "{a}");
    assert_eq!(a.off_topic_acted, 0, "{a}");
    assert_eq!(a.wrong_facts, 0, "{a}\n{:#?}", a.failures);
    assert!(a.completion() >= 0.65, "{a}\n{:#?}", a.failures);
}

fn eval_file(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../eval/offtopic")
        .join(name);
    std::fs::read_to_string(&p).unwrap()
}

/// Off-topic callers (the tuning set, written apart from the training corpus) are seldom taken
/// for a request, and requests a business of that kind serves are seldom turned away: the
/// bars the thresholds were chosen against. The held-apart test set is measured by `frontdesk
/// eval --offtopic eval/offtopic/test.txt`, not tuned to.
#[test]
fn off_topic_callers_are_told_what_the_agent_can_do_and_nothing_is_done() {
    use frontdesk_desk::eval::offtopic;
    let mut profiles = frontdesk_desk::admin::demo_profiles().unwrap();
    profiles.extend(
        frontdesk_desk::eval::profiles_in(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../eval/strangers"),
        )
        .unwrap(),
    );
    let now = chrono::Utc::now();
    let off = offtopic::read_lines(&eval_file("tune.txt"));
    assert!(off.len() >= 600);
    let r = offtopic::run(&profiles, &off, now);
    // 54% before the out-of-scope class; the bar (3%) is not reached yet.
    assert!(r.false_accept() <= 0.11, "{r}\n{:#?}", r.examples);
    let inscope = offtopic::read_lines(&eval_file("inscope.txt"));
    let (turns, away) = offtopic::run_inscope(&profiles, &inscope, now);
    assert!(turns >= 300);
    assert!(
        away.len() * 100 <= turns * 13,
        "{} of {turns} turned away: {away:#?}",
        away.len()
    );
}

/// Questions about the assistant (its name, whether it is a person, whom it works for, what
/// it can do) and small talk, written apart from the corpus: answered from the profile,
/// never with a transfer or anything else done.
#[test]
fn questions_about_the_assistant_are_answered_and_never_transfer() {
    use frontdesk_desk::eval::offtopic;
    let profiles = frontdesk_desk::admin::demo_profiles().unwrap();
    let items: Vec<offtopic::SmallTalk> =
        frontdesk_engine::yaml::from_str(&eval_file("agent.yaml")).unwrap();
    let (turns, wrong) = offtopic::run_small_talk(&profiles, &items, chrono::Utc::now());
    assert!(turns >= 900);
    assert!(
        !wrong
            .iter()
            .any(|w| w.contains("are_you_human") && w.contains("-> human")),
        "{wrong:#?}"
    );
    // Today one in five is still wrong (mostly goodbyes, thanks and "is this the…?" read as
    // off-topic); the bar keeps it from getting much worse.
    assert!(
        wrong.len() * 4 <= turns,
        "{} of {turns} wrong: {wrong:#?}",
        wrong.len()
    );
}
