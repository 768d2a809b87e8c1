//! Built-in engine speed on one core: start-up training time, and turn latency (understanding,
//! retrieval, flows and phrasing; no I/O) over whole conversations on the three demo businesses.
//! Run: `cargo bench -p frontdesk-engine --bench agent`.

use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use frontdesk_engine::Profile;
use frontdesk_engine::agent::{Agent, Channel, Context, State, guard, tools};
use frontdesk_engine::nlu::knowledge::Knowledge;

const SCRIPTS: [(&str, &[&str]); 3] = [
    (
        include_str!("../../../demo/rapid-rooter.yaml"),
        &[
            "hi my kitchen sink is clogged up can someone come out",
            "friday afternoon would be best",
            "the second one",
            "Dana Whitfield",
            "303 555 0188",
            "yes please",
            "do you charge for estimates",
            "what areas do you cover",
            "thanks bye",
        ],
    ),
    (
        include_str!("../../../demo/sunny-storage.yaml"),
        &[
            "hello do you have a ten by ten available",
            "yes",
            "next monday",
            "my name is Lee Park",
            "five one two five five five zero one nine nine",
            "yep",
            "do i need insurance",
            "what time do you close today",
            "goodbye",
        ],
    ),
    (
        include_str!("../../../demo/tonys-pizza.yaml"),
        &[
            "can i get two large margheritas and garlic knots",
            "no that's it",
            "delivery",
            "12 Salem Street",
            "Ana",
            "617 555 0143",
            "yes",
            "how far do you deliver",
            "bye",
        ],
    ),
];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A phone call with no caller id and an empty calendar.
fn context<'a>(p: &'a Profile, k: &'a Knowledge, now: DateTime<Utc>) -> Context<'a> {
    Context {
        profile: p,
        knowledge: k,
        now,
        channel: Channel::Voice,
        caller: None,
        appointments: &[],
        blocked: &[],
        orders: &[],
    }
}

fn main() {
    let mut train = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let a = Agent::new();
        train.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(a);
    }
    train.sort_by(f64::total_cmp);
    let agent = Agent::new();
    println!(
        "training: {} examples, median {:.2} ms (min {:.2}, max {:.2})",
        agent.classifier().len(),
        percentile(&train, 0.5),
        train[0],
        train[train.len() - 1]
    );

    let loaded: Vec<(Profile, Knowledge, &[&str])> = SCRIPTS
        .iter()
        .map(|(src, turns)| {
            let p = Profile::from_yaml(src).unwrap_or_else(|e| panic!("{e}"));
            let k = Knowledge::build(&p);
            (p, k, *turns)
        })
        .collect();
    let t = Instant::now();
    for _ in 0..100 {
        std::hint::black_box(Knowledge::build(&loaded[0].0));
    }
    println!(
        "index build (storage demo): {:.1} µs",
        t.elapsed().as_secs_f64() * 1e6 / 100.0
    );

    let now = Utc
        .with_ymd_and_hms(2026, 11, 18, 17, 0, 0)
        .single()
        .unwrap_or_default();
    let mut lat = Vec::new();
    let mut replies = Vec::new();
    let rounds = 400;
    let start = Instant::now();
    for _ in 0..rounds {
        for (p, k, turns) in &loaded {
            let ctx = context(p, k, now);
            let mut state = State::default();
            for turn in turns.iter() {
                let t = Instant::now();
                let out = agent.respond(&ctx, &mut state, turn);
                lat.push(t.elapsed().as_secs_f64() * 1e6);
                if replies.len() < 27 {
                    replies.push((out.reply.clone(), turn.to_string()));
                }
                std::hint::black_box(out);
            }
        }
    }
    let total = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    println!(
        "turns: {} on one thread; p50 {:.0} µs, p90 {:.0} µs, p99 {:.0} µs, max {:.0} µs; {:.0} turns/s",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        percentile(&lat, 0.99),
        lat[lat.len() - 1],
        lat.len() as f64 / total
    );

    // What LLM mode adds on our side per turn, besides the model's own time: the tool
    // definitions sent with each request, reading the tool call back, and checking the
    // model's wording against the engine's draft.
    let n = 2000;
    let t = Instant::now();
    for _ in 0..n {
        for (p, _, _) in &loaded {
            std::hint::black_box(tools::definitions(p).to_string());
        }
    }
    let defs = t.elapsed().as_secs_f64() * 1e6 / f64::from(n * 3);
    let (p, k, _) = &loaded[2];
    let ctx = context(p, k, now);
    let args = r#"{"items":[{"item":"Pepperoni pizza","quantity":2,"options":{"size":"large","crust":"thin"}},{"item":"Garlic knots"}],"fulfillment":"pickup","name":"Ana"}"#;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(tools::read(&ctx, "place_order", args).ok());
    }
    let read = t.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let t = Instant::now();
    for _ in 0..n / 10 {
        for (draft, said) in &replies {
            let worded = format!("Sure thing. {draft}");
            std::hint::black_box(guard::check(draft, &worded, said).ok());
        }
    }
    let check = t.elapsed().as_secs_f64() * 1e6 / (f64::from(n / 10) * replies.len() as f64);
    println!(
        "LLM mode, our side: tool definitions {defs:.1} µs, reading a tool call {read:.1} µs, \
         checking a reply {check:.1} µs (mean)"
    );
}
