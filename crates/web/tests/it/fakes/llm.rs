//! A language model behind the Chat Completions wire format, as a local server playing a
//! script: streamed server-sent events, tool-call fragments split across reads, a bearer key,
//! error statuses and non-streamed bodies. It records what it receives.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use frontdesk_web::Config;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const KEY: &str = "sk-test-4b1d";
pub const MODEL: &str = "test-model";

/// One scripted answer of the model.
pub enum Answer {
    /// A streamed tool call.
    Tool(&'static str, Value),
    /// Streamed text made from the tool result's `reply` (the engine's draft).
    Reword(fn(&str) -> String),
    /// An HTTP error with an OpenAI-style error body.
    Status(u16),
    /// A stream whose chunk is not JSON.
    Garbage,
    /// Nothing for this long, then a tool call.
    Slow(Duration),
    /// A non-streamed completion with a tool call (servers that ignore `stream`).
    Whole(&'static str, Value),
}

#[derive(Clone, Default)]
pub struct Model {
    script: Arc<Mutex<VecDeque<Answer>>>,
    requests: Arc<Mutex<Vec<Value>>>,
    url: String,
}

impl Model {
    pub async fn start() -> Model {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let m = Model {
            url: format!("http://{}/v1", listener.local_addr().unwrap()),
            ..Default::default()
        };
        let app = axum::Router::new()
            .route("/v1/chat/completions", axum::routing::post(completions))
            .with_state(m.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        m
    }

    pub fn config(&self, timeout_ms: u64) -> Config {
        let mut c = Config::default();
        c.llm.base_url = self.url.clone();
        c.llm.api_key = frontdesk_web::Secret::new(KEY);
        c.llm.model = MODEL.into();
        c.llm.timeout_ms = timeout_ms;
        c
    }

    pub fn then(&self, a: Answer) -> &Self {
        self.script.lock().unwrap().push_back(a);
        self
    }

    pub fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }

    pub fn left(&self) -> usize {
        self.script.lock().unwrap().len()
    }
}

fn chunk(delta: Value, finish: Option<&str>) -> String {
    let c = json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
                   "model": MODEL, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    format!("data: {c}\n\n")
}

fn tool_events(name: &str, args: &Value) -> Vec<String> {
    let args = args.to_string();
    let mut ev = vec![chunk(
        json!({"role": "assistant", "content": null, "tool_calls": [{"index": 0, "id": "call_7",
               "type": "function", "function": {"name": name, "arguments": ""}}]}),
        None,
    )];
    let chars: Vec<char> = args.chars().collect();
    for piece in chars.chunks(9) {
        let s: String = piece.iter().collect();
        ev.push(chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": s}}]}),
            None,
        ));
    }
    ev.push(chunk(json!({}), Some("tool_calls")));
    ev
}

fn text_events(text: &str) -> Vec<String> {
    let mut ev = vec![chunk(json!({"role": "assistant", "content": ""}), None)];
    for w in text.split_inclusive(' ') {
        ev.push(chunk(json!({"content": w}), None));
    }
    ev.push(chunk(json!({}), Some("stop")));
    ev
}

/// Sends the events in small pieces that cut across lines, with pauses, so the client has to
/// reassemble them.
fn stream(mut events: Vec<String>) -> Response {
    events.push("data: [DONE]\n\n".into());
    let bytes: Vec<u8> = events.concat().into_bytes();
    let pieces: Vec<Vec<u8>> = bytes.chunks(37).map(<[u8]>::to_vec).collect();
    let s = futures_util::stream::unfold(pieces.into_iter(), |mut it| async move {
        let p = it.next()?;
        tokio::time::sleep(Duration::from_millis(1)).await;
        Some((Ok::<_, std::io::Error>(p), it))
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(s))
        .unwrap()
}

async fn completions(State(m): State<Model>, headers: HeaderMap, body: String) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {KEY}"))
    {
        return (StatusCode::UNAUTHORIZED, "no key").into_response();
    }
    let req: Value = serde_json::from_str(&body).unwrap();
    m.requests.lock().unwrap().push(req.clone());
    let next = m.script.lock().unwrap().pop_front();
    match next {
        Some(Answer::Tool(name, args)) => stream(tool_events(name, &args)),
        Some(Answer::Reword(f)) => {
            let msgs = req["messages"].as_array().unwrap();
            let tool = msgs.iter().rev().find(|m| m["role"] == "tool").unwrap();
            let result: Value = serde_json::from_str(tool["content"].as_str().unwrap()).unwrap();
            stream(text_events(&f(result["reply"].as_str().unwrap())))
        }
        Some(Answer::Status(code)) => (
            StatusCode::from_u16(code).unwrap(),
            [("content-type", "application/json")],
            json!({"error": {"message": "The server is overloaded", "type": "server_error"}})
                .to_string(),
        )
            .into_response(),
        Some(Answer::Garbage) => stream(vec!["data: {\"choices\": [oops\n\n".into()]),
        Some(Answer::Slow(d)) => {
            tokio::time::sleep(d).await;
            stream(tool_events("opening_hours", &json!({})))
        }
        Some(Answer::Whole(name, args)) => (
            [("content-type", "application/json")],
            json!({"id": "chatcmpl-2", "object": "chat.completion", "model": MODEL,
                   "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                       "role": "assistant", "content": null, "tool_calls": [{"id": "call_9",
                       "type": "function", "function": {"name": name, "arguments": args.to_string()}}]}}]})
            .to_string(),
        )
            .into_response(),
        None => (StatusCode::INTERNAL_SERVER_ERROR, "script exhausted").into_response(),
    }
}
