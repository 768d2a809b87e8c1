//! Phone calls over ConversationRelay: the server on a real port, Twilio's side played by a
//! WebSocket client that signs its handshake and speaks ConversationRelay's messages.

use frontdesk_store::testing::TestDb;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::App;
use crate::voice::{ACCOUNT, Caller, TOKEN, attr, call_detail, texts};

const ROOTER_PHONE: &str = "+13035550140";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The app served on a port.
async fn serve(t: TestDb) -> (App, String) {
    crate::serve_on_port(t, crate::voice::twilio_cfg()).await
}

crate::on_both!(
    a_relay_call_books_streams_replies_and_records_interruptions => with_served,
    a_relay_emergency_hands_off_to_a_dial => with_served,
    a_failed_session_carries_on_over_the_twiml_loop => with_served,
);

/// Runs `test` with the app served on a port ([`serve`]) and its base URL.
async fn with_served<F: std::future::Future<Output = ()>>(
    t: TestDb,
    test: impl FnOnce(App, String) -> F,
) {
    let (app, base) = serve(t).await;
    test(app, base).await
}

fn relay_profile() -> String {
    include_str!("../../../../demo/rapid-rooter.yaml")
        .replace("persona:", "calls:\n  mode: conversation_relay\npersona:")
}

/// Opens the socket the TwiML points at, signed as Twilio signs it, and sends `setup`.
async fn connect(twiml: &str, sid: &str, token: &str) -> Result<Socket, String> {
    let url = attr(twiml, "ConversationRelay", "url").expect("a ConversationRelay url");
    let sig = frontdesk_desk::providers::twilio::signature(token, &url, &[]);
    let mut req = url.as_str().into_client_request().unwrap();
    req.headers_mut()
        .insert("x-twilio-signature", sig.parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .map_err(|e| e.to_string())?;
    let setup = json!({"type": "setup", "sessionId": "VX0001", "accountSid": ACCOUNT,
        "callSid": sid, "from": "+13035550180", "to": ROOTER_PHONE, "direction": "inbound",
        "callStatus": "RINGING", "customParameters": {}});
    ws.send(Message::Text(setup.to_string().into()))
        .await
        .unwrap();
    Ok(ws)
}

async fn next_json(ws: &mut Socket) -> Value {
    loop {
        let m = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("an answer in time")
            .expect("the socket open")
            .unwrap();
        if let Message::Text(t) = m {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// Says `words` as a final prompt and gathers the streamed reply.
async fn prompt(ws: &mut Socket, words: &str) -> String {
    let p = json!({"type": "prompt", "voicePrompt": words, "lang": "en-US", "last": true});
    ws.send(Message::Text(p.to_string().into())).await.unwrap();
    let mut reply = String::new();
    loop {
        let v = next_json(ws).await;
        assert_eq!(v["type"], "text", "{v}");
        reply.push_str(v["token"].as_str().unwrap());
        if v["last"] == true {
            break;
        }
    }
    reply
}

async fn a_relay_call_books_streams_replies_and_records_interruptions(app: App, base: String) {
    let b = app.business(&relay_profile()).await;
    let c = Caller::dial_at(&app, &base, "CA0200", "+13035550180", ROOTER_PHONE).await;
    assert!(c.twiml.contains("<Connect"), "{}", c.twiml);
    assert_eq!(
        attr(&c.twiml, "ConversationRelay", "welcomeGreeting").as_deref(),
        Some("Rapid Rooter Plumbing, this is Riley. What can we fix for you?")
    );
    assert!(
        attr(&c.twiml, "ConversationRelay", "url")
            .unwrap()
            .starts_with("ws://")
    );
    // A handshake signed with the wrong token is refused.
    let refused = connect(&c.twiml, "CA0200", "not-the-token").await;
    assert!(refused.is_err_and(|e| e.contains("403")));

    let mut ws = connect(&c.twiml, "CA0200", TOKEN).await.unwrap();
    let r = prompt(
        &mut ws,
        "hi my kitchen sink is clogged can you send someone out",
    )
    .await;
    assert!(!r.is_empty());
    prompt(&mut ws, "whatever is soonest").await;
    // The caller talks over the reply: it is kept as far as they heard it.
    let interrupt = json!({"type": "interrupt", "utteranceUntilInterrupt": "I have",
        "durationUntilInterruptMs": 640});
    ws.send(Message::Text(interrupt.to_string().into()))
        .await
        .unwrap();
    prompt(&mut ws, "the first one works").await;
    let r = prompt(&mut ws, "Casey Morgan").await;
    assert!(r.contains("Shall I book it"), "{r}");
    prompt(&mut ws, "yes please").await;
    // Pressing 0 asks for a person: the reply, then the hand-off.
    ws.send(Message::Text(
        json!({"type": "dtmf", "digit": "0"}).to_string().into(),
    ))
    .await
    .unwrap();
    let mut said = String::new();
    let end = loop {
        let v = next_json(&mut ws).await;
        if v["type"] == "end" {
            break v;
        }
        said.push_str(v["token"].as_str().unwrap_or(""));
    };
    assert!(!said.is_empty());
    let handoff: Value = serde_json::from_str(end["handoffData"].as_str().unwrap()).unwrap();
    assert_eq!(handoff["reasonCode"], "transfer");
    assert_eq!(handoff["to"], "+13035550141");

    let appts = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    assert_eq!(appts.json.as_array().unwrap().len(), 1, "{}", appts.text);
    let d = call_detail(&app, &b, "CA0200").await;
    assert_eq!(d["call"]["mode"], "conversation_relay");
    assert_eq!(d["call"]["outcome"], "booked", "{d}");
    let t = d["transcript"].as_array().unwrap();
    let cut = t
        .iter()
        .filter(|m| m["text"] == "I have [interrupted]")
        .count();
    assert_eq!(cut, 1, "{d}");
}

async fn a_relay_emergency_hands_off_to_a_dial(app: App, base: String) {
    let b = app.business(&relay_profile()).await;
    let mut c = Caller::dial_at(&app, &base, "CA0201", "+13035550181", ROOTER_PHONE).await;
    let mut ws = connect(&c.twiml, "CA0201", TOKEN).await.unwrap();
    let r = prompt(&mut ws, "there's a burst pipe flooding my kitchen").await;
    assert!(r.contains("on-call plumber"), "{r}");
    let end = next_json(&mut ws).await;
    assert_eq!(end["type"], "end", "{end}");
    // Twilio posts the <Connect> action with the hand-off data: the caller is put through.
    let action = attr(&c.twiml, "Connect", "action").unwrap();
    c.post(
        &action,
        &[
            ("SessionId", "VX0002"),
            ("SessionStatus", "completed"),
            ("SessionDuration", "14"),
            ("HandoffData", end["handoffData"].as_str().unwrap()),
            ("CallStatus", "in-progress"),
        ],
    )
    .await;
    assert_eq!(
        texts(&c.twiml, "Number"),
        vec!["+13035550141".to_owned()],
        "{}",
        c.twiml
    );
    assert!(
        attr(&c.twiml, "Number", "url")
            .unwrap()
            .contains("emergency")
    );
    let d = call_detail(&app, &b, "CA0201").await;
    assert_eq!(d["call"]["outcome"], "emergency", "{d}");
}

async fn a_failed_session_carries_on_over_the_twiml_loop(app: App, base: String) {
    app.business(&relay_profile()).await;
    let mut c = Caller::dial_at(&app, &base, "CA0202", "+13035550182", ROOTER_PHONE).await;
    let mut ws = connect(&c.twiml, "CA0202", TOKEN).await.unwrap();
    prompt(&mut ws, "do you charge for estimates").await;
    drop(ws);
    let action = attr(&c.twiml, "Connect", "action").unwrap();
    c.post(
        &action,
        &[("SessionStatus", "failed"), ("CallStatus", "in-progress")],
    )
    .await;
    assert!(c.heard().starts_with("Sorry about that."), "{}", c.twiml);
    let r = c.say("what areas do you serve").await;
    assert!(r.contains("Denver"), "{r}");
}
