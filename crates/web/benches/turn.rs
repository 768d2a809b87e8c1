//! A conversation turn through the host, as every channel runs it: read the profile (cached),
//! the conversation, its state and the upcoming appointments and orders; run the engine; commit
//! both messages, the state, the customer and the actions in one SQLite transaction. Then the
//! same in LLM mode against a local Chat Completions server that answers at once, which shows
//! what the mode costs on our side (two streamed HTTP requests, the guard) apart from the
//! model's own time. Run: `cargo bench -p frontdesk-web --bench turn`.

use std::time::Instant;

use axum::response::IntoResponse;
use chrono::Utc;
use frontdesk_desk::admin as manage;
use frontdesk_desk::config::LlmConfig;
use frontdesk_desk::host::{Also, Host, Opening};
use frontdesk_desk::providers::llm::Llm;
use frontdesk_engine::PhoneE164;
use frontdesk_engine::agent::Channel;
use serde_json::{Value, json};

mod common;

use common::{SCRIPTS, percentile};

/// A model that answers at once: `give_details` (the built-in reading stands), then the
/// engine's reply with a lead-in.
async fn instant_model(body: String) -> axum::response::Response {
    let req: Value = serde_json::from_str(&body).unwrap_or_default();
    let last = req["messages"]
        .as_array()
        .and_then(|m| m.last())
        .cloned()
        .unwrap_or_default();
    let chunk = |delta: Value, finish: Option<&str>| {
        let c = json!({"object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        format!("data: {c}\n\n")
    };
    let mut ev = Vec::new();
    if last["role"] == "tool" {
        let r: Value =
            serde_json::from_str(last["content"].as_str().unwrap_or("{}")).unwrap_or_default();
        let text = format!("Sure. {}", r["reply"].as_str().unwrap_or(""));
        for w in text.split_inclusive(' ') {
            ev.push(chunk(json!({"content": w}), None));
        }
        ev.push(chunk(json!({}), Some("stop")));
    } else {
        ev.push(chunk(
            json!({"tool_calls": [{"index": 0, "id": "c1", "type": "function",
                   "function": {"name": "give_details", "arguments": "{}"}}]}),
            Some("tool_calls"),
        ));
    }
    ev.push("data: [DONE]\n\n".into());
    ([("content-type", "text/event-stream")], ev.concat()).into_response()
}

async fn run(host: &Host, label: &str, rounds: usize) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("fd-bench-turn-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir)?;
    let db =
        frontdesk_store::Db::connect(&format!("sqlite://{}", dir.join("b.db").display())).await?;
    let businesses = manage::load_demo(&db, &manage::demo_profiles()?, &[], true).await?;
    let mut lat = Vec::new();
    let mut llm_used = 0usize;
    let started = Instant::now();
    for round in 0..rounds {
        for (slug, _, turns) in SCRIPTS {
            let b = businesses
                .iter()
                .find(|b| b.slug == slug)
                .ok_or_else(|| anyhow::anyhow!("no {slug}"))?;
            let phone = PhoneE164::parse(&format!("+1512555{:04}", round % 10_000))?;
            let (conv, _) = host
                .open(
                    &db,
                    &b.id,
                    Opening::new(Channel::Voice, Some(&phone)),
                    Utc::now(),
                )
                .await?;
            for text in turns {
                let t = Instant::now();
                let r = host
                    .turn(&db, &b.id, &conv.id, text, Also::default(), Utc::now())
                    .await?;
                lat.push(t.elapsed().as_secs_f64() * 1e3);
                llm_used += usize::from(r.model.is_some());
                if r.ended {
                    break;
                }
            }
        }
    }
    let total = started.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    println!(
        "{label}: {} turns; p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.0} turns/s{}",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        percentile(&lat, 0.99),
        lat[lat.len() - 1],
        lat.len() as f64 / total,
        if llm_used > 0 {
            format!("; model used on {llm_used}")
        } else {
            String::new()
        }
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    run(&Host::new(), "built-in, SQLite", 100).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/v1", listener.local_addr()?);
    let app = axum::Router::new().route("/v1/chat/completions", axum::routing::post(instant_model));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let llm = Llm::from_config(&LlmConfig {
        base_url: url,
        model: "instant".into(),
        ..LlmConfig::default()
    })
    .map_err(anyhow::Error::msg)?;
    run(
        &Host::new().with_llm(llm),
        "LLM mode (instant local model), SQLite",
        100,
    )
    .await?;
    Ok(())
}
