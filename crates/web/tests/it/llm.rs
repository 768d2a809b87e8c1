//! LLM mode against a local server that speaks the Chat Completions wire format: streamed
//! server-sent events with text deltas and tool-call fragments split across reads, a bearer key,
//! error statuses and non-streamed bodies. The server plays a model from a script; what it
//! receives is recorded so the tests also check what frontdesk sends.

use std::time::Duration;

use chrono::{Datelike, Utc, Weekday};
use serde_json::{Value, json};

use crate::App;
use crate::agent::{kinds, say};
use crate::fakes::llm::{Answer, MODEL, Model};

const ROOTER: &str = include_str!("../../../../demo/rapid-rooter.yaml");
const STORAGE: &str = include_str!("../../../../demo/sunny-storage.yaml");
const PIZZA: &str = include_str!("../../../../demo/tonys-pizza.yaml");

crate::on_both!(
    the_model_reads_and_phrases_a_booking => |t, test| with_model(t, 5000, test),
    an_order_the_model_read_is_priced_by_the_engine => |t, test| with_model(t, 5000, test),
    a_reply_with_a_fact_not_in_the_data_is_not_said => |t, test| with_model(t, 5000, test),
    a_doubtful_yes_commits_nothing => |t, test| with_model(t, 5000, test),
    emergencies_never_wait_for_the_model => |t, test| with_model(t, 5000, test),
    a_failing_model_is_replaced_within_the_turn => |t, test| with_model(t, 600, test),
);

/// Runs `test` with a fresh stand-in model server and the app in LLM mode, waiting at most
/// `timeout_ms` for the model.
async fn with_model<F: std::future::Future<Output = ()>>(
    t: frontdesk_store::testing::TestDb,
    timeout_ms: u64,
    test: impl FnOnce(App, Model) -> F,
) {
    let m = Model::start().await;
    test(App::spawn(t, m.config(timeout_ms)).await, m).await
}

async fn start(app: &App, b: &str, caller: &str) -> String {
    crate::agent::start(app, b, json!({"channel": "voice", "caller": caller})).await
}

/// The conversation's messages.
async fn transcript(app: &App, b: &str, c: &str) -> Vec<Value> {
    let t = app
        .get(&format!("/api/v1/businesses/{b}/conversations/{c}"))
        .await;
    t.json["messages"].as_array().unwrap().clone()
}

fn reword(draft: &str) -> String {
    format!("Alright. {draft}")
}

/// Changes the first amount of money in the draft: a fact the data does not have.
fn inflate(draft: &str) -> String {
    let i = draft.find('$').unwrap();
    let d = draft[i + 1..].chars().next().unwrap();
    let other = if d == '9' { '1' } else { (d as u8 + 1) as char };
    format!("{}${other}{}", &draft[..i], &draft[i + 2..])
}

/// The next weekday (Monday to Friday) at least two days ahead in the business's zone.
fn weekday_ahead(yaml: &str) -> String {
    let p = frontdesk_engine::Profile::from_yaml(yaml).unwrap();
    let mut d = Utc::now().with_timezone(&p.timezone.0).date_naive() + chrono::Duration::days(2);
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d += chrono::Duration::days(1);
    }
    d.format("%Y-%m-%d").to_string()
}

async fn the_model_reads_and_phrases_a_booking(app: App, m: Model) {
    let b = app.business(ROOTER).await;
    let c = start(&app, &b, "+13035550190").await;
    let day = weekday_ahead(ROOTER);
    m.then(Answer::Tool(
        "book_appointment",
        json!({"service": "Drain cleaning", "date": day, "part_of_day": "afternoon"}),
    ))
    .then(Answer::Reword(reword));
    let r = say(
        &app,
        &b,
        &c,
        "tub's been draining like molasses, can u folks swing by",
    )
    .await;
    assert_eq!(r["intent"], "book", "{r}");
    assert_eq!(r["model"], MODEL, "{r}");
    assert!(r.get("fallback").is_none(), "{r}");
    let reply = r["reply"].as_str().unwrap();
    assert!(
        reply.starts_with("Alright. "),
        "the model's wording: {reply}"
    );
    assert!(reply.contains("PM"), "afternoon times offered: {reply}");
    assert_eq!(r["entities"]["service"], "Drain cleaning");

    // What was sent: the key, the model, a stream, the business's own tools and values, the
    // conversation so far; then the tool call and its result for the phrasing.
    let reqs = m.requests();
    assert_eq!(reqs.len(), 2);
    let (first, second) = (&reqs[0], &reqs[1]);
    assert_eq!(first["model"], MODEL);
    assert_eq!(first["stream"], true);
    let tools = first["tools"].as_array().unwrap();
    let book = tools
        .iter()
        .find(|t| t["function"]["name"] == "book_appointment")
        .unwrap();
    let services = &book["function"]["parameters"]["properties"]["service"]["enum"];
    assert_eq!(
        services,
        &json!(["Drain cleaning", "Water heater repair", "Leak inspection"])
    );
    assert!(
        !tools.iter().any(|t| t["function"]["name"] == "place_order"),
        "a plumber takes no orders"
    );
    let msgs = first["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["role"], "system");
    assert!(
        msgs[0]["content"]
            .as_str()
            .unwrap()
            .contains("Rapid Rooter Plumbing")
    );
    assert_eq!(msgs[1]["role"], "assistant", "the greeting");
    assert_eq!(msgs.last().unwrap()["role"], "user");
    assert_eq!(second["tool_choice"], "none");
    let sent = second["messages"].as_array().unwrap();
    let call = &sent[sent.len() - 2];
    assert_eq!(call["tool_calls"][0]["id"], "call_7");
    assert_eq!(
        call["tool_calls"][0]["function"]["name"],
        "book_appointment"
    );
    let result = sent.last().unwrap();
    assert_eq!(result["role"], "tool");
    assert_eq!(result["tool_call_id"], "call_7");

    // The caller picks a time, gives a name and confirms; the model reads each turn.
    m.then(Answer::Tool("give_details", json!({})))
        .then(Answer::Reword(reword));
    let r = say(&app, &b, &c, "the first one's good").await;
    assert!(r["reply"].as_str().unwrap().contains("name"), "{r}");
    m.then(Answer::Tool(
        "give_details",
        json!({"name": "Casey Morgan"}),
    ))
    .then(Answer::Reword(reword));
    let r = say(&app, &b, &c, "put it under casey morgan").await;
    let readback = r["reply"].as_str().unwrap();
    assert!(readback.contains("Casey") && readback.contains('?'), "{r}");
    assert!(
        kinds(&r).iter().all(|k| k == "update_contact"),
        "nothing booked before yes: {r}"
    );
    m.then(Answer::Tool("answer_yes_or_no", json!({"answer": "yes"})))
        .then(Answer::Reword(reword));
    let r = say(&app, &b, &c, "yep lock it in").await;
    assert!(kinds(&r).contains(&"book_appointment".to_owned()), "{r}");
    assert_eq!(m.left(), 0);

    let appts = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    let list = appts.json.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", appts.text);
    assert_eq!(list[0]["service"], "Drain cleaning");
    assert_eq!(list[0]["name"], "Casey Morgan");

    // The transcript records which model read and phrased each turn.
    let msgs = transcript(&app, &b, &c).await;
    assert_eq!(
        msgs[0]["model"],
        Value::Null,
        "the greeting is the engine's"
    );
    assert!(msgs[1..].iter().all(|x| x["model"] == MODEL), "{msgs:?}");
}

async fn an_order_the_model_read_is_priced_by_the_engine(app: App, m: Model) {
    let b = app.business(PIZZA).await;
    let c = start(&app, &b, "+15125550177").await;
    m.then(Answer::Tool(
        "place_order",
        json!({"items": [
            {"item": "Pepperoni pizza", "quantity": 2, "options": {"size": "large", "crust": "gluten-free"}},
            {"item": "Garlic knots", "quantity": 1},
            {"item": "Lobster thermidor", "quantity": 1}]}),
    ))
    .then(Answer::Reword(reword));
    let r = say(
        &app,
        &b,
        &c,
        "lemme get a pair of the big pepperonis on that GF base plus some of them knots",
    )
    .await;
    assert_eq!(r["intent"], "order", "{r}");
    let items = r["entities"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "no item the menu lacks: {r}");
    // Keep answering whatever the engine asks until it reads the order back.
    let mut readback = String::new();
    for _ in 0..6 {
        let last = r_reply(&app, &b, &c).await;
        if last.contains("$") && last.contains('?') && last.to_lowercase().contains("total") {
            readback = last;
            break;
        }
        let lower = last.to_lowercase();
        let (text, tool, args) = if lower.contains("pickup") || lower.contains("pick") {
            (
                "i'll grab it myself",
                "give_details",
                json!({"fulfillment": "pickup"}),
            )
        } else if lower.contains("name") {
            ("it's dana", "give_details", json!({"name": "Dana"}))
        } else if lower.contains("anything else") || lower.contains("else") {
            (
                "nah that's all",
                "answer_yes_or_no",
                json!({"answer": "no"}),
            )
        } else {
            ("yes", "answer_yes_or_no", json!({"answer": "yes"}))
        };
        m.then(Answer::Tool(tool, args))
            .then(Answer::Reword(reword));
        say(&app, &b, &c, text).await;
    }
    // 2 × (14.00 + 6.00 large + 2.50 gluten-free) + 5.00 = 50.00
    assert!(readback.contains("$50"), "the engine's total: {readback}");
    m.then(Answer::Tool("answer_yes_or_no", json!({"answer": "yes"})))
        .then(Answer::Reword(reword));
    let r = say(&app, &b, &c, "yup").await;
    assert!(kinds(&r).contains(&"place_order".to_owned()), "{r}");
    let orders = app.get(&format!("/api/v1/businesses/{b}/orders")).await;
    assert_eq!(orders.json[0]["total_cents"], 5000, "{}", orders.text);
    assert_eq!(orders.json[0]["fulfillment"], "pickup");
    assert_eq!(
        orders.json[0]["lines"][0]["options"],
        json!([["size", "large"], ["crust", "gluten-free"]])
    );
}

/// The agent's last reply in the conversation.
async fn r_reply(app: &App, b: &str, c: &str) -> String {
    let msgs = transcript(app, b, c).await;
    msgs.last().unwrap()["text"].as_str().unwrap().to_owned()
}

async fn a_reply_with_a_fact_not_in_the_data_is_not_said(app: App, m: Model) {
    let b = app.business(ROOTER).await;
    let c = start(&app, &b, "+13035550191").await;
    m.then(Answer::Tool("prices", json!({"service": "Drain cleaning"})))
        .then(Answer::Reword(inflate));
    let r = say(&app, &b, &c, "ballpark for snaking a drain?").await;
    let reply = r["reply"].as_str().unwrap();
    assert!(reply.contains("$149"), "the engine's price stands: {reply}");
    assert_eq!(r["model"], MODEL, "the model's reading was still used: {r}");
    let why = r["fallback"].as_str().unwrap();
    assert!(
        why.starts_with("phrasing:") && why.contains("not in the data"),
        "{why}"
    );
    let msgs = transcript(&app, &b, &c).await;
    assert_eq!(msgs[1]["model"], MODEL, "read by the model");
    assert_eq!(msgs[2]["model"], Value::Null, "said in the engine's words");
}

async fn a_doubtful_yes_commits_nothing(app: App, m: Model) {
    let b = app.business(STORAGE).await;
    let c = start(&app, &b, "+15125550123").await;
    let mut confirm = false;
    let mut r = Value::Null;
    for (text, tool, args) in [
        (
            "wanna rent one of the 10x10s",
            "reserve_unit",
            json!({"unit_type": "10x10"}),
        ),
        ("tomorrow", "give_details", json!({})),
        ("Pat Lee", "give_details", json!({"name": "Pat Lee"})),
        ("tomorrow works", "give_details", json!({})),
    ] {
        if confirm {
            break;
        }
        m.then(Answer::Tool(tool, args))
            .then(Answer::Reword(reword));
        r = say(&app, &b, &c, text).await;
        confirm = r["reply"].as_str().unwrap().contains('?')
            && r["reply"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("reserve");
    }
    assert!(confirm, "the engine reads the reservation back: {r}");
    // The model says yes; the caller's words say no. Nothing is reserved.
    m.then(Answer::Tool("answer_yes_or_no", json!({"answer": "yes"})))
        .then(Answer::Reword(reword));
    let r = say(&app, &b, &c, "no, hold off on that").await;
    assert!(!kinds(&r).contains(&"reserve_unit".to_owned()), "{r}");
    let list = app
        .get(&format!("/api/v1/businesses/{b}/reservations"))
        .await;
    assert_eq!(list.json.as_array().unwrap().len(), 0, "{}", list.text);
}

async fn emergencies_never_wait_for_the_model(app: App, m: Model) {
    let b = app.business(ROOTER).await;
    let c = start(&app, &b, "+13035550192").await;
    m.then(Answer::Tool("opening_hours", json!({})));
    let r = say(&app, &b, &c, "theres a burst pipe and water everywhere").await;
    assert_eq!(r["intent"], "emergency", "{r}");
    assert!(kinds(&r).contains(&"escalate".to_owned()), "{r}");
    assert!(m.requests().is_empty(), "the model was not asked");
    assert!(
        r["fallback"].as_str().unwrap().starts_with("emergency"),
        "{r}"
    );
}

async fn a_failing_model_is_replaced_within_the_turn(app: App, m: Model) {
    let b = app.business(ROOTER).await;
    let c = start(&app, &b, "+13035550193").await;
    let cases: Vec<(Answer, &str)> = vec![
        (
            Answer::Slow(Duration::from_secs(5)),
            "understanding: timed out",
        ),
        (
            Answer::Status(503),
            "understanding: HTTP 503: The server is overloaded",
        ),
        (Answer::Garbage, "understanding: protocol"),
        (
            Answer::Tool("launch_rocket", json!({})),
            "understanding: no tool named",
        ),
    ];
    for (answer, why) in cases {
        m.then(answer);
        let r = say(&app, &b, &c, "what time do you open on saturday").await;
        assert_eq!(r["intent"], "hours", "the built-in engine answered: {r}");
        assert!(r["reply"].as_str().unwrap().contains("8 AM"), "{r}");
        assert!(
            r["fallback"].as_str().unwrap().starts_with(why),
            "{why}: {r}"
        );
        assert!(r.get("model").is_none(), "{r}");
    }
    // A server that ignores `stream` still works; a phrasing that fails leaves the reading.
    m.then(Answer::Whole("opening_hours", json!({})))
        .then(Answer::Status(500));
    let r = say(&app, &b, &c, "are you guys around saturday").await;
    assert_eq!(r["intent"], "hours", "{r}");
    assert_eq!(r["model"], MODEL, "{r}");
    assert!(
        r["fallback"]
            .as_str()
            .unwrap()
            .starts_with("phrasing: HTTP 500"),
        "{r}"
    );
    assert_eq!(m.left(), 0);
}
