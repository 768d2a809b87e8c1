//! Phone calls as Twilio makes them: signed form posts to our webhooks, and a scripted caller
//! that follows the TwiML it gets back the way Twilio does (a `<Gather>` posts what was said to
//! its action, a `<Dial>` rings the number and posts how it went, a `<Record>` posts the
//! recording).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use frontdesk_web::{Config, Secret};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::{App, Resp, on_both};

pub const TOKEN: &str = "twilio-test-token";
pub const ACCOUNT: &str = "AC00000000000000000000000000000001";
/// The host Twilio calls us at.
pub const HOST: &str = "frontdesk.test";
const ROOTER: &str = include_str!("../../../../demo/rapid-rooter.yaml");
const ROOTER_PHONE: &str = "+13035550140";

pub fn twilio_cfg() -> Config {
    let mut c = Config::default();
    c.twilio.auth_token = Secret::new(TOKEN);
    c
}

on_both!(
    a_caller_books_an_appointment_by_voice => with_twilio,
    an_emergency_is_put_through_and_an_unanswered_transfer_takes_a_voicemail => with_twilio,
    silence_is_asked_again_then_offered_voicemail_and_0_asks_for_a_person => with_twilio,
    a_retried_webhook_does_not_take_the_turn_twice => with_twilio,
    bad_signatures_are_refused_and_change_nothing => with_twilio,
    an_unknown_number_gets_a_polite_answer => with_twilio,
    recordings_and_call_status_are_kept => with_twilio,
);

/// The app with a Twilio account ([`twilio_cfg`]).
pub async fn with_twilio<F: std::future::Future<Output = ()>>(
    t: frontdesk_store::testing::TestDb,
    test: impl FnOnce(App) -> F,
) {
    crate::with_config(t, twilio_cfg(), test).await
}

/// Posts a form to `url` (absolute, as Twilio has it) signed with `token`.
pub async fn post_signed(app: &App, url: &str, params: &[(&str, &str)], token: &str) -> Resp {
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let sig = frontdesk_desk::providers::twilio::signature(token, url, &owned);
    post_with(app, url, params, Some(&sig)).await
}

pub async fn post_with(
    app: &App,
    url: &str,
    params: &[(&str, &str)],
    signature: Option<&str>,
) -> Resp {
    // The path and query of an absolute URL.
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_else(|| url.to_owned());
    let body = serde_urlencoded::to_string(params).unwrap();
    let mut req = Request::builder()
        .method("POST")
        .uri(path)
        .header("host", HOST)
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(s) = signature {
        req = req.header("x-twilio-signature", s);
    }
    let resp = app
        .router
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Resp {
        status,
        headers,
        text,
        json,
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The value of `attr` in the first `<tag …>` of `xml`.
pub fn attr(xml: &str, tag: &str, attr: &str) -> Option<String> {
    let start = xml
        .find(&format!("<{tag} "))
        .or_else(|| xml.find(&format!("<{tag}>")))?;
    let open = &xml[start..start + xml[start..].find('>')?];
    let key = format!(" {attr}=\"");
    let at = open.find(&key)? + key.len();
    let end = open[at..].find('"')?;
    Some(unescape(&open[at..at + end]))
}

/// The texts of every `<tag>…</tag>`.
pub fn texts(xml: &str, tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&format!("<{tag}")) {
        rest = &rest[i..];
        let Some(gt) = rest.find('>') else { break };
        if rest[..gt].ends_with('/') {
            rest = &rest[gt..];
            continue;
        }
        let close = format!("</{tag}>");
        let Some(end) = rest.find(&close) else { break };
        out.push(unescape(&rest[gt + 1..end]));
        rest = &rest[end..];
    }
    out
}

/// A caller on one call, following TwiML as Twilio does.
pub struct Caller<'a> {
    app: &'a App,
    pub sid: String,
    pub from: String,
    pub to: String,
    /// Where Twilio reaches us.
    pub base: String,
    /// The last TwiML document received.
    pub twiml: String,
}

impl<'a> Caller<'a> {
    /// Calls `to`: Twilio's incoming-call webhook.
    pub async fn dial(app: &'a App, sid: &str, from: &str, to: &str) -> Caller<'a> {
        Self::dial_at(app, &format!("http://{HOST}"), sid, from, to).await
    }

    /// Calls `to` on a server that Twilio reaches at `base`.
    pub async fn dial_at(app: &'a App, base: &str, sid: &str, from: &str, to: &str) -> Caller<'a> {
        let mut c = Caller {
            app,
            sid: sid.into(),
            from: from.into(),
            to: to.into(),
            base: base.into(),
            twiml: String::new(),
        };
        let url = format!("{base}/twilio/voice");
        c.post(&url, &[("CallStatus", "ringing")]).await;
        c
    }

    fn base(&self) -> Vec<(&str, &str)> {
        vec![
            ("AccountSid", ACCOUNT),
            ("CallSid", self.sid.as_str()),
            ("From", self.from.as_str()),
            ("To", self.to.as_str()),
            ("Direction", "inbound"),
            ("ApiVersion", "2010-04-01"),
        ]
    }

    pub async fn post(&mut self, url: &str, extra: &[(&str, &str)]) -> Resp {
        let mut params = self.base();
        params.extend_from_slice(extra);
        let r = post_signed(self.app, url, &params, TOKEN).await;
        assert_eq!(r.status, StatusCode::OK, "{url}: {}", r.text);
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/xml"),
            "{:?}",
            r.headers
        );
        self.twiml = r.text.clone();
        r
    }

    /// What the caller last heard.
    pub fn heard(&self) -> String {
        texts(&self.twiml, "Say").join(" ")
    }

    /// Says `words` into the current `<Gather>`.
    pub async fn say(&mut self, words: &str) -> String {
        self.gather(&[("SpeechResult", words), ("Confidence", "0.91")])
            .await
    }

    /// Answers the current `<Gather>` with these parameters (nothing: silence).
    pub async fn gather(&mut self, input: &[(&str, &str)]) -> String {
        let action = attr(&self.twiml, "Gather", "action")
            .unwrap_or_else(|| panic!("no <Gather> to speak into: {}", self.twiml));
        let mut extra = vec![("CallStatus", "in-progress")];
        extra.extend_from_slice(input);
        self.post(&action, &extra).await;
        self.heard()
    }

    /// Hangs up: the call status callback.
    pub async fn hang_up(&mut self, duration: &str) {
        let url = format!("{}/twilio/voice/status", self.base);
        self.post(
            &url,
            &[("CallStatus", "completed"), ("CallDuration", duration)],
        )
        .await;
    }
}

async fn business(app: &App) -> String {
    app.business(ROOTER).await
}

/// The call with this sid, with its transcript.
pub async fn call_detail(app: &App, b: &str, sid: &str) -> serde_json::Value {
    let list = app.get(&format!("/api/v1/businesses/{b}/calls")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let id = list.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["call_sid"] == sid)
        .unwrap_or_else(|| panic!("no call {sid}: {}", list.text))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(&format!("/api/v1/businesses/{b}/calls/{id}"))
        .await
        .json
}

async fn a_caller_books_an_appointment_by_voice(app: App) {
    let b = business(&app).await;
    let mut c = Caller::dial(&app, "CA0001", "+13035550190", ROOTER_PHONE).await;
    assert!(c.heard().contains("Rapid Rooter Plumbing"), "{}", c.twiml);
    assert_eq!(
        attr(&c.twiml, "Gather", "input").as_deref(),
        Some("dtmf speech")
    );
    let hints = attr(&c.twiml, "Gather", "hints").unwrap();
    assert!(
        hints.contains("Drain cleaning") && hints.contains("Leak inspection"),
        "{hints}"
    );
    assert_eq!(
        attr(&c.twiml, "Gather", "actionOnEmptyResult").as_deref(),
        Some("true")
    );

    let heard = c
        .say("hi my kitchen sink is clogged can you send someone out")
        .await;
    assert!(!heard.is_empty());
    c.say("whatever is soonest").await;
    c.say("the first one works").await;
    let heard = c.say("Casey Morgan").await;
    assert!(heard.contains("Shall I book it"), "{heard}");
    let heard = c.say("yes please").await;
    assert!(
        attr(&c.twiml, "Gather", "action").is_some(),
        "the call goes on after booking: {}",
        c.twiml
    );
    assert!(!heard.contains("Shall I"), "{heard}");
    let heard = c.say("no that's everything, thanks bye").await;
    assert!(c.twiml.contains("<Hangup/>"), "{}", c.twiml);
    assert!(!heard.is_empty());
    c.hang_up("94").await;

    let appts = app
        .get(&format!("/api/v1/businesses/{b}/appointments"))
        .await;
    let list = appts.json.as_array().unwrap();
    assert_eq!(list.len(), 1, "{}", appts.text);
    assert_eq!(list[0]["service"], "Drain cleaning");

    let d = call_detail(&app, &b, "CA0001").await;
    assert_eq!(d["call"]["outcome"], "booked", "{d}");
    assert_eq!(d["call"]["status"], "completed");
    assert_eq!(d["call"]["duration_secs"], 94);
    assert_eq!(d["call"]["from_number"], "+13035550190");
    assert_eq!(d["call"]["mode"], "gather");
    assert!(d["call"]["ended_at"].is_i64());
    let transcript = d["transcript"].as_array().unwrap();
    // The greeting, then each of the six turns and its reply.
    assert_eq!(transcript.len(), 13, "{d}");
    assert_eq!(transcript[1]["role"], "caller");
    assert_eq!(
        transcript[1]["text"],
        "hi my kitchen sink is clogged can you send someone out"
    );
    // The call's conversation is over.
    let convs = app
        .get(&format!("/api/v1/businesses/{b}/conversations"))
        .await;
    assert_eq!(convs.json["items"][0]["status"], "ended");
    assert_eq!(convs.json["items"][0]["channel"], "voice");
}

async fn an_emergency_is_put_through_and_an_unanswered_transfer_takes_a_voicemail(app: App) {
    let b = business(&app).await;
    let mut c = Caller::dial(&app, "CA0002", "+13035550191", ROOTER_PHONE).await;
    let heard = c
        .say("help there's a burst pipe and my basement is flooding")
        .await;
    assert!(heard.contains("on-call plumber"), "{heard}");
    assert_eq!(
        texts(&c.twiml, "Number"),
        vec!["+13035550141".to_owned()],
        "{}",
        c.twiml
    );
    let action = attr(&c.twiml, "Dial", "action").unwrap();
    let whisper = attr(&c.twiml, "Number", "url").unwrap();
    assert!(!c.twiml.contains("<Gather"), "{}", c.twiml);

    // The person answering hears what the call is about before it is connected.
    let child = [
        ("AccountSid", ACCOUNT),
        ("CallSid", "CA0002-child"),
        ("ParentCallSid", "CA0002"),
        ("From", "+13035550191"),
        ("To", "+13035550141"),
        ("CallStatus", "in-progress"),
        ("Direction", "outbound-dial"),
    ];
    let w = post_signed(&app, &whisper, &child, TOKEN).await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.text);
    let said = texts(&w.text, "Say").join(" ");
    assert!(
        said.contains("emergency") && said.contains("Rapid Rooter"),
        "{said}"
    );

    // Nobody picks up: the caller is asked for a voicemail.
    c.post(
        &action,
        &[
            ("DialCallStatus", "no-answer"),
            ("CallStatus", "in-progress"),
        ],
    )
    .await;
    assert!(
        c.heard().contains("nobody could take your call"),
        "{}",
        c.twiml
    );
    let rec = attr(&c.twiml, "Record", "action").unwrap();
    c.post(
        &rec,
        &[
            (
                "RecordingUrl",
                "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE77",
            ),
            ("RecordingSid", "RE77"),
            ("RecordingDuration", "21"),
            ("CallStatus", "in-progress"),
        ],
    )
    .await;
    assert!(c.heard().contains("we have your message"), "{}", c.twiml);
    assert!(c.twiml.contains("<Hangup/>"));

    let msgs = app.get(&format!("/api/v1/businesses/{b}/messages")).await;
    let m = &msgs.json.as_array().unwrap()[0];
    assert!(
        m["text"].as_str().unwrap().contains("Recordings/RE77"),
        "{m}"
    );
    assert_eq!(m["phone"], "+13035550191");
    let d = call_detail(&app, &b, "CA0002").await;
    assert_eq!(
        d["call"]["outcome"], "emergency",
        "an emergency stays one: {d}"
    );
    assert_eq!(d["call"]["transfer_status"], "no-answer");
}

async fn silence_is_asked_again_then_offered_voicemail_and_0_asks_for_a_person(app: App) {
    business(&app).await;
    let mut c = Caller::dial(&app, "CA0003", "+13035550192", ROOTER_PHONE).await;
    let first = attr(&c.twiml, "Gather", "action").unwrap();
    let heard = c.gather(&[]).await;
    assert!(heard.starts_with("Sorry, I didn't catch that."), "{heard}");
    assert!(
        heard.contains("What can we fix for you?"),
        "the last question again: {heard}"
    );
    assert_eq!(
        attr(&c.twiml, "Gather", "action").unwrap(),
        first,
        "no turn was taken"
    );
    let heard = c.gather(&[]).await;
    assert!(heard.contains("after the tone"), "{heard}");
    assert!(attr(&c.twiml, "Record", "action").is_some(), "{}", c.twiml);

    // Another caller presses 0.
    let mut c = Caller::dial(&app, "CA0004", "+13035550193", ROOTER_PHONE).await;
    c.gather(&[("Digits", "0")]).await;
    assert_eq!(
        texts(&c.twiml, "Number"),
        vec!["+13035550141".to_owned()],
        "{}",
        c.twiml
    );
    // Speaking after a silence starts the count again.
    let mut c = Caller::dial(&app, "CA0005", "+13035550194", ROOTER_PHONE).await;
    c.gather(&[]).await;
    c.say("what areas do you serve").await;
    let heard = c.gather(&[]).await;
    assert!(heard.starts_with("Sorry, I didn't catch that."), "{heard}");
}

async fn a_retried_webhook_does_not_take_the_turn_twice(app: App) {
    let b = business(&app).await;
    let mut c = Caller::dial(&app, "CA0006", "+13035550195", ROOTER_PHONE).await;
    // Twilio retries the incoming-call webhook: the same call, greeted the same way.
    let greeting = c.twiml.clone();
    c.post(
        &format!("http://{HOST}/twilio/voice"),
        &[("CallStatus", "ringing")],
    )
    .await;
    assert_eq!(c.twiml, greeting);
    let action = attr(&c.twiml, "Gather", "action").unwrap();
    let first = c.say("do you charge for estimates").await;
    let again = c
        .post(
            &action,
            &[
                ("SpeechResult", "do you charge for estimates"),
                ("CallStatus", "in-progress"),
            ],
        )
        .await;
    assert_eq!(texts(&again.text, "Say").join(" "), first);
    let d = call_detail(&app, &b, "CA0006").await;
    assert_eq!(d["transcript"].as_array().unwrap().len(), 3, "{d}");
    let convs = app
        .get(&format!("/api/v1/businesses/{b}/conversations"))
        .await;
    assert_eq!(convs.json["items"].as_array().unwrap().len(), 1);
}

async fn bad_signatures_are_refused_and_change_nothing(app: App) {
    let b = business(&app).await;
    let url = format!("http://{HOST}/twilio/voice");
    let params = [
        ("AccountSid", ACCOUNT),
        ("CallSid", "CA0007"),
        ("From", "+13035550196"),
        ("To", ROOTER_PHONE),
        ("CallStatus", "ringing"),
    ];
    // Signed with another token, signed for other parameters, unsigned, and signed for another URL.
    let r = post_signed(&app, &url, &params, "not-the-token").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    let mut tampered = params.to_vec();
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let sig = frontdesk_desk::providers::twilio::signature(TOKEN, &url, &owned);
    tampered[2] = ("From", "+13035550100");
    let r = post_with(&app, &url, &tampered, Some(&sig)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = post_with(&app, &url, &params, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let other = frontdesk_desk::providers::twilio::signature(
        TOKEN,
        "https://elsewhere.test/twilio/voice",
        &owned,
    );
    let r = post_with(&app, &url, &params, Some(&other)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "forbidden");

    let convs = app
        .get(&format!("/api/v1/businesses/{b}/conversations"))
        .await;
    assert!(
        convs.json["items"].as_array().unwrap().is_empty(),
        "{}",
        convs.text
    );
    let calls = app.get(&format!("/api/v1/businesses/{b}/calls")).await;
    assert!(calls.json["items"].as_array().unwrap().is_empty());

    // A malformed body with a signature is refused too.
    let r = post_with(&app, &url, &[], Some("%%%")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn an_unknown_number_gets_a_polite_answer(app: App) {
    business(&app).await;
    let c = Caller::dial(&app, "CA0008", "+13035550197", "+19995550000").await;
    assert!(
        c.heard().contains("isn't set up to take calls"),
        "{}",
        c.twiml
    );
    assert!(c.twiml.contains("<Hangup/>"));
}

async fn recordings_and_call_status_are_kept(app: App) {
    let recorded = ROOTER.replace("persona:", "calls:\n  record: true\npersona:");
    let b = app.business(&recorded).await;
    let mut c = Caller::dial(&app, "CA0009", "+13035550198", ROOTER_PHONE).await;
    let cb = attr(&c.twiml, "Recording", "recordingStatusCallback").unwrap();
    assert!(c.twiml.contains("<Start><Recording"), "{}", c.twiml);
    c.post(
        &format!("http://{HOST}/twilio/voice/status"),
        &[("CallStatus", "in-progress")],
    )
    .await;
    assert_eq!(
        call_detail(&app, &b, "CA0009").await["call"]["status"],
        "in-progress"
    );
    // A status nobody documented is refused quietly: the call stays as it was.
    c.post(
        &format!("http://{HOST}/twilio/voice/status"),
        &[("CallStatus", "teleported")],
    )
    .await;
    let d = call_detail(&app, &b, "CA0009").await;
    assert_eq!(d["call"]["status"], "in-progress", "{d}");
    assert!(d["call"]["ended_at"].is_null(), "{d}");
    c.hang_up("12").await;
    // A late "in-progress" does not undo the end.
    c.post(
        &format!("http://{HOST}/twilio/voice/status"),
        &[("CallStatus", "in-progress")],
    )
    .await;
    c.post(
        &cb,
        &[
            ("RecordingSid", "RE99"),
            (
                "RecordingUrl",
                "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE99",
            ),
            ("RecordingStatus", "completed"),
            ("RecordingDuration", "11"),
        ],
    )
    .await;
    let d = call_detail(&app, &b, "CA0009").await;
    assert_eq!(d["call"]["status"], "completed", "{d}");
    assert_eq!(d["call"]["outcome"], "abandoned", "nothing was said: {d}");
    assert_eq!(d["call"]["recording_sid"], "RE99");
    assert_eq!(d["call"]["recording_duration_secs"], 11);
    assert!(
        d["call"]["recording_url"]
            .as_str()
            .unwrap()
            .ends_with("RE99")
    );
}
