//! A client for OpenAI-compatible Chat Completions endpoints (OpenAI, Ollama, vLLM), streamed
//! over server-sent events: text deltas and tool-call fragments are assembled as they arrive.
//! The host uses it for the LLM mode; everything a model says goes through the engine's guards.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::config::{LlmConfig, Secret};

/// A configured endpoint.
pub struct Llm {
    http: reqwest::Client,
    url: String,
    key: Secret,
    pub model: String,
    pub timeout: Duration,
    pub phrase: bool,
}

/// A function the model asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

/// What one request produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completion {
    pub content: String,
    pub calls: Vec<ToolCall>,
    pub finish_reason: Option<String>,
    /// From sending the request to the first delta.
    pub first_delta: Option<Duration>,
}

/// Why a request gave nothing usable. Texts are short and never carry the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("timed out")]
    Timeout,
    #[error("HTTP {0}: {1}")]
    Status(u16, String),
    #[error("transport: {0}")]
    Transport(String),
    #[error("protocol: {0}")]
    Protocol(String),
}

impl LlmError {
    /// A short label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            LlmError::Timeout => "timeout",
            LlmError::Status(..) => "status",
            LlmError::Transport(_) => "transport",
            LlmError::Protocol(_) => "protocol",
        }
    }
}

/// Largest response body read, in bytes; a reply to a phone caller is far smaller.
const MAX_BODY: usize = 256 * 1024;

fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

impl Llm {
    /// The client for `cfg`, or `None` when LLM mode is off.
    pub fn from_config(cfg: &LlmConfig) -> Result<Option<Self>, String> {
        if cfg.base_url.is_empty() {
            return Ok(None);
        }
        // reqwest is built without a default TLS provider; install ring's once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(cfg.timeout_ms.min(5000)))
            .build()
            .map_err(|e| format!("llm client: {e}"))?;
        Ok(Some(Self {
            http,
            url: format!("{}/chat/completions", cfg.base_url.trim_end_matches('/')),
            key: cfg.api_key.clone(),
            model: cfg.model.clone(),
            timeout: Duration::from_millis(cfg.timeout_ms),
            phrase: cfg.phrase,
        }))
    }

    /// Sends one streamed request and assembles the answer; gives up at `deadline`.
    /// `body` is the request without `model` and `stream`, which are added here.
    pub async fn complete(
        &self,
        mut body: Value,
        deadline: Instant,
    ) -> Result<Completion, LlmError> {
        if let Some(o) = body.as_object_mut() {
            o.insert("model".into(), Value::String(self.model.clone()));
            o.insert("stream".into(), Value::Bool(true));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(LlmError::Timeout);
        }
        match tokio::time::timeout(left, self.send(&body)).await {
            Ok(r) => r,
            Err(_) => Err(LlmError::Timeout),
        }
    }

    async fn send(&self, body: &Value) -> Result<Completion, LlmError> {
        let started = Instant::now();
        let mut req = self.http.post(&self.url).json(body);
        if !self.key.is_empty() {
            req = req.bearer_auth(self.key.expose());
        }
        let mut resp = req.send().await.map_err(|e| {
            if e.is_timeout() {
                LlmError::Timeout
            } else {
                LlmError::Transport(short(&without_url(&e)))
            }
        })?;
        let status = resp.status();
        let json_body = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let mut raw = Vec::new();
        let mut sse = Sse::default();
        let mut acc = Assembler::default();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| LlmError::Transport(short(&without_url(&e))))?
        {
            if !status.is_success() || json_body {
                raw.extend_from_slice(&chunk);
                if raw.len() > MAX_BODY {
                    return Err(LlmError::Protocol("response too large".into()));
                }
                continue;
            }
            for data in sse.push(&chunk)? {
                if data == "[DONE]" {
                    return Ok(acc.finish());
                }
                acc.first(started);
                acc.chunk(&data)?;
            }
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&raw);
            let msg = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.pointer("/error/message")?.as_str().map(str::to_owned))
                .unwrap_or_else(|| text.into_owned());
            return Err(LlmError::Status(status.as_u16(), short(&msg)));
        }
        if json_body {
            // A server that ignored `stream` answers with one whole completion.
            acc.first(started);
            return acc.whole(&raw);
        }
        // Some servers close the stream without `[DONE]`; what arrived still counts if the
        // model said it had finished.
        for data in sse.finish() {
            if data != "[DONE]" {
                acc.chunk(&data)?;
            }
        }
        if acc.finish_reason.is_some() {
            Ok(acc.finish())
        } else {
            Err(LlmError::Protocol("stream ended early".into()))
        }
    }
}

/// A transport error's text without the request URL (which may carry credentials).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "the endpoint");
    }
    s
}

/// Splits a server-sent event stream into the `data` of each event.
#[derive(Default)]
struct Sse {
    buf: Vec<u8>,
    data: Vec<String>,
}

impl Sse {
    fn push(&mut self, bytes: &[u8]) -> Result<Vec<String>, LlmError> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > MAX_BODY {
            return Err(LlmError::Protocol("event too large".into()));
        }
        let mut events = Vec::new();
        while let Some(nl) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=nl).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            self.line(line, &mut events);
        }
        Ok(events)
    }

    fn line(&mut self, line: &str, events: &mut Vec<String>) {
        if line.is_empty() {
            if !self.data.is_empty() {
                events.push(self.data.join("\n"));
                self.data.clear();
            }
        } else if let Some(d) = line.strip_prefix("data:") {
            self.data.push(d.strip_prefix(' ').unwrap_or(d).to_owned());
        }
        // Comments (":") and the event, id and retry fields carry nothing here.
    }

    fn finish(&mut self) -> Vec<String> {
        let mut events = Vec::new();
        let rest = String::from_utf8_lossy(&std::mem::take(&mut self.buf)).into_owned();
        for l in rest.lines() {
            self.line(l.trim_end_matches('\r'), &mut events);
        }
        self.line("", &mut events);
        events
    }
}

/// Puts streamed deltas back together.
#[derive(Default)]
struct Assembler {
    content: String,
    /// (index in the stream, call).
    calls: Vec<(u64, ToolCall)>,
    finish_reason: Option<String>,
    first_delta: Option<Duration>,
}

impl Assembler {
    fn first(&mut self, started: Instant) {
        if self.first_delta.is_none() {
            self.first_delta = Some(started.elapsed());
        }
    }

    fn chunk(&mut self, data: &str) -> Result<(), LlmError> {
        let v: Value = serde_json::from_str(data)
            .map_err(|e| LlmError::Protocol(format!("bad chunk: {}", short(&e.to_string()))))?;
        if let Some(e) = v.get("error") {
            let msg = e
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("error in stream");
            return Err(LlmError::Protocol(short(msg)));
        }
        let Some(choice) = v.pointer("/choices/0") else {
            // Usage-only chunks have no choices.
            return Ok(());
        };
        if let Some(r) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(r.to_owned());
        }
        let Some(delta) = choice.get("delta") else {
            return Ok(());
        };
        if let Some(t) = delta.get("content").and_then(Value::as_str) {
            self.content.push_str(t);
        }
        for tc in delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let index = tc.get("index").and_then(Value::as_u64).unwrap_or(0);
            let id = tc.get("id").and_then(Value::as_str).unwrap_or("");
            let f = tc.get("function");
            let name = f.and_then(|f| f.get("name")).and_then(Value::as_str);
            let args = f
                .and_then(|f| f.get("arguments"))
                .and_then(Value::as_str)
                .unwrap_or("");
            // A fragment continues the last call at its index, unless it brings a new id
            // (Ollama numbers every call of a batch 0 and tells them apart by id).
            let slot = self
                .calls
                .iter()
                .rposition(|(i, c)| *i == index && (id.is_empty() || c.id == id));
            match slot {
                Some(s) => {
                    let c = &mut self.calls[s].1;
                    if let Some(n) = name
                        && c.name.is_empty()
                    {
                        c.name = n.to_owned();
                    }
                    c.arguments.push_str(args);
                }
                None => self.calls.push((
                    index,
                    ToolCall {
                        id: id.to_owned(),
                        name: name.unwrap_or("").to_owned(),
                        arguments: args.to_owned(),
                    },
                )),
            }
            if self
                .calls
                .iter()
                .map(|(_, c)| c.arguments.len())
                .sum::<usize>()
                > MAX_BODY
            {
                return Err(LlmError::Protocol("tool arguments too large".into()));
            }
        }
        Ok(())
    }

    /// A non-streamed completion (`choices[0].message`).
    fn whole(mut self, raw: &[u8]) -> Result<Completion, LlmError> {
        let v: Value = serde_json::from_slice(raw)
            .map_err(|e| LlmError::Protocol(format!("bad body: {}", short(&e.to_string()))))?;
        let m = v
            .pointer("/choices/0/message")
            .ok_or_else(|| LlmError::Protocol("no choices".into()))?;
        self.content = m
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        for (i, tc) in m
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let text = |p: &str| {
                tc.pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            self.calls.push((
                i as u64,
                ToolCall {
                    id: text("/id"),
                    name: text("/function/name"),
                    arguments: text("/function/arguments"),
                },
            ));
        }
        self.finish_reason = v
            .pointer("/choices/0/finish_reason")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(self.finish())
    }

    fn finish(self) -> Completion {
        Completion {
            content: self.content,
            calls: self.calls.into_iter().map(|(_, c)| c).collect(),
            finish_reason: self.finish_reason,
            first_delta: self.first_delta,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn events_split_across_reads_and_line_endings_are_reassembled() {
        let mut sse = Sse::default();
        let mut got = sse.push(b": keep-alive\r\n\r\ndata: {\"a\"").unwrap();
        got.extend(
            sse.push(b":1}\r\n\r\ndata: line one\ndata: line two\n\n")
                .unwrap(),
        );
        got.extend(
            sse.push("data: caf\u{e9}".as_bytes()[..10].as_ref())
                .unwrap(),
        );
        got.extend(sse.push(&"data: caf\u{e9}".as_bytes()[10..]).unwrap());
        got.extend(sse.push(b"\n\ndata: [DONE]").unwrap());
        got.extend(sse.finish());
        assert_eq!(
            got,
            vec!["{\"a\":1}", "line one\nline two", "caf\u{e9}", "[DONE]"]
        );
    }

    #[test]
    fn tool_call_fragments_are_joined_by_index_and_id() {
        let mut a = Assembler::default();
        for c in [
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"book_appointment","arguments":""}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"date\":"}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"2026-11-27\"}"}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_2","function":{"name":"give_details","arguments":"{}"}}]},"finish_reason":null}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            r#"{"choices":[],"usage":{"total_tokens":9}}"#,
        ] {
            a.chunk(c).unwrap();
        }
        let c = a.finish();
        assert_eq!(c.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(c.calls.len(), 2);
        assert_eq!(c.calls[0].name, "book_appointment");
        assert_eq!(c.calls[0].arguments, r#"{"date":"2026-11-27"}"#);
        assert_eq!(c.calls[1].id, "call_2");
        let mut bad = Assembler::default();
        assert!(bad.chunk("{not json").is_err());
        assert!(
            bad.chunk(r#"{"error":{"message":"overloaded"}}"#)
                .unwrap_err()
                .to_string()
                .contains("overloaded")
        );
    }
}
