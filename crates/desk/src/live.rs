//! The live feed across the installation's servers. Each server tells its own dashboards what
//! happens in its conversations (`Host::listen`); on PostgreSQL it also tells the other
//! servers, with NOTIFY on one channel, and passes on to its dashboards what they tell (LISTEN,
//! on a connection opened when the first dashboard listens). A webhook answered by one server
//! then shows on a dashboard served by another. On SQLite one server serves, and nothing is
//! shared.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use frontdesk_store::{BusinessId, Db};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

use crate::host::Live;

/// The PostgreSQL channel the servers tell each other on.
const CHANNEL: &str = "frontdesk_live";
/// Longest text of one side of a turn told to other servers, in characters; shorter when its
/// characters take more room, so the payload fits a NOTIFY (under 8,000 bytes). The full text
/// is in the transcript.
const TEXT_MAX: usize = 900;
/// The largest payload sent, in bytes.
const PAYLOAD_MAX: usize = 7900;
/// Events waiting to be told to other servers; past this (the database is slow) they are
/// dropped, and the other servers' dashboards show them when loaded again.
const WAITING_MAX: usize = 1024;

/// A [`Live`] as told to the other servers, with the server that told it.
#[derive(Serialize, Deserialize)]
struct Told {
    server: String,
    business: String,
    kind: String,
    conversation: String,
    channel: String,
    address: Option<String>,
    caller: Option<String>,
    reply: Option<String>,
    emergency: bool,
    at: i64,
    time: String,
}

/// This server's part in sharing the feed.
pub struct Sharing {
    db: Db,
    /// This process, so it does not pass on what it told itself.
    server: String,
    out: mpsc::Sender<Live>,
    following: AtomicBool,
}

impl Sharing {
    /// Starts telling the other servers what `tell` sends (a task that NOTIFYs, one event at a
    /// time, in order).
    pub fn start(db: Db) -> Arc<Self> {
        let (out, mut rx) = mpsc::channel::<Live>(WAITING_MAX);
        let server = uuid::Uuid::new_v4().simple().to_string();
        let s = Arc::new(Self {
            db: db.clone(),
            server: server.clone(),
            out,
            following: AtomicBool::new(false),
        });
        tokio::spawn(async move {
            while let Some(l) = rx.recv().await {
                let payload = encode(&server, &l);
                if let Err(e) = db.notify(CHANNEL, &payload).await {
                    tracing::warn!(error = %e, "telling other servers of a live event");
                }
            }
        });
        s
    }

    /// Tells the other servers `l` (without waiting).
    pub fn publish(&self, l: &Live) {
        if self.out.try_send(l.clone()).is_err() {
            metrics::counter!("live_events_not_shared_total").increment(1);
        }
    }

    /// Passes what the other servers tell on to this server's dashboards through `local`,
    /// from now on (started once, when the first dashboard listens).
    pub fn follow(&self, local: &broadcast::Sender<Live>) {
        if self.following.swap(true, Ordering::SeqCst) {
            return;
        }
        let Some(mut rx) = self.db.listen(CHANNEL) else {
            return;
        };
        let (local, me) = (local.clone(), self.server.clone());
        tokio::spawn(async move {
            while let Some(payload) = rx.recv().await {
                match decode(&payload) {
                    Some((from, l)) if from != me => {
                        let _ = local.send(l);
                    }
                    Some(_) => {}
                    None => tracing::warn!("an unreadable live event from another server"),
                }
            }
        });
    }
}

fn cut(s: &Option<String>, max: usize) -> Option<String> {
    s.as_ref().map(|t| match t.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.clone(),
    })
}

fn encode(server: &str, l: &Live) -> String {
    let mut max = TEXT_MAX;
    loop {
        let t = Told {
            server: server.to_owned(),
            business: l.business.to_string(),
            kind: l.kind.to_owned(),
            conversation: l.conversation.clone(),
            channel: l.channel.to_owned(),
            address: l.address.clone(),
            caller: cut(&l.caller, max),
            reply: cut(&l.reply, max),
            emergency: l.emergency,
            at: l.at,
            time: l.time.clone(),
        };
        let p = serde_json::to_string(&t).unwrap_or_default();
        if p.len() <= PAYLOAD_MAX || max == 0 {
            return p;
        }
        max /= 2;
    }
}

/// The server that told it and the event; `None` for a payload that is not one.
fn decode(payload: &str) -> Option<(String, Live)> {
    let t: Told = serde_json::from_str(payload).ok()?;
    let kind = ["started", "turn", "staff"]
        .into_iter()
        .find(|k| *k == t.kind)?;
    let channel = frontdesk_engine::agent::Channel::parse(&t.channel)?.as_str();
    Some((
        t.server,
        Live {
            business: BusinessId::parse(&t.business)?,
            kind,
            conversation: t.conversation,
            channel,
            address: t.address,
            caller: t.caller,
            reply: t.reply,
            emergency: t.emergency,
            at: t.at,
            time: t.time,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(caller: &str) -> Live {
        Live {
            business: BusinessId::new(),
            kind: "turn",
            conversation: "c1".into(),
            channel: "sms",
            address: Some("+13035550100".into()),
            caller: Some(caller.into()),
            reply: Some("Sure — we're open until 6.".into()),
            emergency: true,
            at: 1_700_000_000_000,
            time: "2:05 PM".into(),
        }
    }

    #[test]
    fn an_event_told_is_the_event_read_and_fits_a_notify() {
        let l = event("is \"the\" shop open?\nthanks ✓");
        let (from, back) = decode(&encode("s1", &l)).unwrap();
        assert_eq!(from, "s1");
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            serde_json::to_value(&l).unwrap()
        );
        assert_eq!(back.business, l.business);
        // The longest turn, in the widest characters and the most escapes, stays under 8,000
        // bytes.
        for worst in [
            "😀".repeat(2000),
            "\"\\\n".repeat(700),
            "\u{1}".repeat(2000),
        ] {
            let l = Live {
                reply: Some(worst.clone()),
                ..event(&worst)
            };
            let p = encode("0123456789abcdef0123456789abcdef", &l);
            assert!(p.len() < 8000, "{} bytes", p.len());
            assert!(decode(&p).is_some());
        }
    }

    #[test]
    fn payloads_that_are_not_events_are_refused() {
        for bad in [
            "",
            "{}",
            "null",
            "{\"server\":\"s\",\"business\":\"nope\",\"kind\":\"turn\",\"conversation\":\"c\",\"channel\":\"sms\",\"emergency\":false,\"at\":0,\"time\":\"\"}",
        ] {
            assert!(decode(bad).is_none(), "{bad}");
        }
        let mut v = serde_json::from_str::<serde_json::Value>(&encode("s", &event("hi"))).unwrap();
        v["kind"] = "drop_tables".into();
        assert!(decode(&v.to_string()).is_none());
    }
}
