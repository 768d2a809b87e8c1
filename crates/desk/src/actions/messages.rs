//! Messages for the business: one the agent takes, or a voicemail left on a call, each stored
//! in the inbox, put on the timeline and sent to the owner as an alert; and questions the data
//! could not answer, kept for the owner.

use frontdesk_store::{Exec, StoreError, Tenant};

use super::{Cx, Done};
use crate::alerts;
use crate::notify::{Notices, quote};

/// A message to take.
pub struct Message<'a> {
    pub text: &'a str,
    /// Who left it, as they said or as caller id shows.
    pub name: Option<&'a str>,
    pub phone: Option<&'a frontdesk_engine::PhoneE164>,
    /// The timeline's line for it.
    pub summary: &'a str,
    /// Added to the timeline's detail (which always names the message).
    pub detail: serde_json::Value,
}

/// Stores the message, puts it on the timeline and alerts the owner (through `n`, which names
/// who left it). Returns the message's id.
pub async fn take<E: Exec>(
    t: &mut Tenant<E>,
    cx: &Cx<'_>,
    n: &Notices<'_>,
    m: &Message<'_>,
) -> Result<(String, Done), StoreError> {
    let id = t
        .take_message(
            cx.customer,
            cx.conversation(),
            m.name,
            m.phone,
            m.text,
            cx.now(),
        )
        .await?;
    let p = n.profile;
    let who = n.who();
    // Batched: a flood of messages is one alert and a digest, not a text each.
    let q = alerts::send(t, n, alerts::Kind::Message, |more| {
        let sms = format!(
            "{}: new message from {who}{more}: \"{}\"",
            p.name,
            quote(m.text)
        );
        let subject = format!("New message from {who}");
        let body = format!(
            "{who} left a message for {}:\n\n{}\n\n{}",
            p.name,
            m.text,
            n.contact_lines()
        ) + more;
        (sms, subject, body)
    })
    .await?;
    let mut detail = serde_json::json!({"message_id": id});
    if let (Some(d), Some(extra)) = (detail.as_object_mut(), m.detail.as_object()) {
        d.extend(extra.clone());
    }
    cx.timeline(t, "message_taken", m.summary, detail).await?;
    Ok((id, Done::Kept(q)))
}

/// A question the data could not answer, for the owner's list.
pub async fn unanswered<E: Exec>(
    t: &mut Tenant<E>,
    cx: &Cx<'_>,
    question: &str,
) -> Result<Done, StoreError> {
    t.record_unanswered(cx.conversation(), question, cx.now())
        .await?;
    cx.timeline(
        t,
        "unanswered_question",
        &format!("Asked: {question}"),
        serde_json::json!({}),
    )
    .await?;
    Ok(Done::Kept(Default::default()))
}
