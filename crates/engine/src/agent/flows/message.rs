//! Taking a message for the business: what it says, who it is from and how to reach them.

use super::*;

/// Reads what the caller said into the message flow's details.
pub(super) fn fill(
    _ctx: &Context,
    _state: &mut State,
    flow: &mut Flow,
    t: &Turn,
    _out: &mut Out,
    mut progressed: bool,
) -> Step {
    let Flow::Message {
        text,
        ask,
        complete,
    } = flow
    else {
        return Step::Nothing;
    };
    let opening = text.is_none() && ask.is_none();
    // The request itself may carry the message ("…call me about my bill").
    let carries = ["about", "that", "regarding", "saying", "re"]
        .iter()
        .any(|w| t.has(w));
    // A long request carries its message whatever words introduce it ("just leave a note for
    // whoever handles this: the drain backs up when it rains").
    let long = t.ws.len() >= 12;
    if *ask == Some(Ask::Text)
        || (text.is_none() && ask.is_none() && t.ws.len() >= 8 && (carries || long))
    {
        let s = strip_fillers(t.raw);
        if !s.is_empty() {
            *text = Some(s);
            progressed = true;
            // "Can someone text me back about … 647-555-0188": all a message needs.
            *complete = opening && t.ent.phone.is_some();
        }
    }
    Step::filled(progressed)
}

/// Asks the message flow's next question, or reads it back for a yes.
pub(super) fn advance(_ctx: &Context, state: &mut State, flow: &mut Flow, out: &mut Out) {
    let Flow::Message { text, .. } = flow else {
        return;
    };
    if text.is_none() {
        flow.set_ask(Some(Ask::Text));
        return out.say(say::pick(
            &[
                "Sure. What message would you like me to pass on?",
                "Of course. What would you like me to tell them?",
            ],
            state.turns,
        ));
    }
    let complete = matches!(flow, Flow::Message { complete: true, .. });
    if (!complete && ask_name(state, flow, out)) || ask_phone(state, flow, out) {
        return;
    }
    let Flow::Message { text, .. } = flow else {
        return;
    };
    out.actions.push(Action::TakeMessage {
        text: text.clone().unwrap_or_default(),
        contact: state.contact.clone(),
    });
    let first = state
        .contact
        .name
        .as_deref()
        .and_then(|n| n.split(' ').next())
        .unwrap_or("");
    out.say(format!(
        "Thanks{}. I've passed your message on, with your number {}. Anything else?",
        if first.is_empty() {
            String::new()
        } else {
            format!(", {first}")
        },
        state
            .contact
            .phone
            .as_ref()
            .map(spoken_phone)
            .unwrap_or_default()
    ));
    flow.set_ask(None);
}

pub(super) fn strip_fillers(raw: &str) -> String {
    let mut s = raw.trim();
    loop {
        let lower = s.to_lowercase();
        let before = s.len();
        for f in [
            "yes,",
            "yes",
            "yeah,",
            "yeah",
            "sure,",
            "sure",
            "um,",
            "um",
            "uh",
            "ok,",
            "okay,",
            "it's",
            "its",
            "the address is",
            "address is",
            "tell them",
            "just",
            "please",
            "that",
            "can you",
            "let them know",
        ] {
            if lower.starts_with(f) && lower[f.len()..].starts_with([' ', ',']) {
                s = s[f.len()..].trim_start_matches([' ', ',']);
                break;
            }
        }
        if s.len() == before {
            break;
        }
    }
    s.trim().trim_end_matches(['.', '!']).to_owned()
}
