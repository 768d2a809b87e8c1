//! Generated input at the Twilio endpoints: signed webhook forms with any fields Twilio sends
//! (and others), any values (empty, huge, any script, numbers where words go), to every
//! endpoint, in any order, for calls and texts that exist and ones that do not. A signed form
//! reaches the handlers, so this is what a compromised or buggy upstream could send.
//! Properties: no server error, a voice endpoint always answers TwiML, nothing panics, and the
//! server answers normally afterwards. The seed is fixed (PROPTEST_RNG_SEED overrides it).

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::App;
use crate::voice::{HOST, TOKEN, post_signed, with_twilio};

crate::on_both!(
    any_signed_form_at_any_twilio_endpoint_gets_a_channel_answer => with_twilio,
);

const ROOTER: &str = include_str!("../../../../demo/rapid-rooter.yaml");
const ROOTER_PHONE: &str = "+13035550140";

const PATHS: [&str; 12] = [
    "/twilio/voice",
    "/twilio/voice/gather?n=1",
    "/twilio/voice/gather?n=2",
    "/twilio/voice/gather?n=-7",
    "/twilio/voice/gather?n=99999999999999999999",
    "/twilio/voice/dial",
    "/twilio/voice/whisper",
    "/twilio/voice/voicemail",
    "/twilio/voice/status",
    "/twilio/voice/recording",
    "/twilio/sms",
    "/twilio/sms/status",
];

const NAMES: [&str; 20] = [
    "AccountSid",
    "CallSid",
    "MessageSid",
    "From",
    "To",
    "Body",
    "SpeechResult",
    "Confidence",
    "Digits",
    "CallStatus",
    "CallDuration",
    "Direction",
    "NumSegments",
    "DialCallStatus",
    "DialCallDuration",
    "RecordingSid",
    "RecordingUrl",
    "RecordingDuration",
    "MessageStatus",
    "ErrorCode",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(ROOTER_PHONE.to_owned()),
        Just("+13035550190".to_owned()),
        Just("CA00000000000000000000000000000001".to_owned()),
        Just("SM00000000000000000000000000000001".to_owned()),
        Just("completed".to_owned()),
        Just("in-progress".to_owned()),
        "[0-9]{0,12}",
        "-?[0-9]{1,25}(\\.[0-9]{0,5})?",
        "[a-z ]{0,80}",
        "\\PC{0,200}",
        any::<String>(),
        // Long enough to matter, short enough for the form limit.
        "[a-zA-Z ]{2000,6000}",
    ]
}

fn form() -> impl Strategy<Value = (usize, Vec<(String, String)>)> {
    let name = prop_oneof![
        4 => (0..NAMES.len()).prop_map(|i| NAMES[i].to_owned()),
        1 => "\\PC{0,16}",
    ];
    (
        0..PATHS.len(),
        proptest::collection::vec((name, value()), 0..14),
    )
}

async fn any_signed_form_at_any_twilio_endpoint_gets_a_channel_answer(app: App) {
    let b = app.business(ROOTER).await;
    let cases: u32 = std::env::var("FRONTDESK_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400);
    let seed: u64 = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20261202);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = form();
    for case in 0..cases {
        let (path, mut params) = strategy.new_tree(&mut runner).unwrap().current();
        // Most forms are for the business and an account, so they reach past the first checks.
        if case % 4 != 0 {
            params.push(("AccountSid".into(), crate::voice::ACCOUNT.into()));
            params.push(("To".into(), ROOTER_PHONE.into()));
        }
        let path = PATHS[path];
        let url = format!("http://{HOST}{path}");
        let borrowed: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = post_signed(&app, &url, &borrowed, TOKEN).await;
        assert!(
            !r.status.is_server_error() || r.status.as_u16() == 503,
            "case {case}: {path} {params:?} -> {} {}",
            r.status,
            r.text
        );
        if path.starts_with("/twilio/voice") {
            let ct = r
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            assert!(
                ct.starts_with("text/xml") && r.text.contains("<Response"),
                "case {case}: {path} {params:?} -> {} {ct} {}",
                r.status,
                r.text
            );
        }
    }
    let health = app.get("/healthz").await;
    assert_eq!(health.status, axum::http::StatusCode::OK);
    // The forms reached the handlers: calls and texts were recorded from them.
    for what in ["calls", "texts"] {
        let list = app.get(&format!("/api/v1/businesses/{b}/{what}")).await;
        assert!(
            !list.json["items"].as_array().unwrap().is_empty(),
            "no {what}: {}",
            list.text
        );
    }
}
