//! The live feed: server-sent events of one business's conversations as they happen (a new
//! conversation, each turn, a person's reply by hand), for the home page's feed and a
//! conversation page's transcript (`live.js`; `c` keeps to one conversation).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use frontdesk_desk::host::Live;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::layout::{not_found, outcome};
use super::{Signed, chosen};
use crate::AppState;

#[derive(Deserialize)]
pub struct LiveQuery {
    b: Option<String>,
    /// Only this conversation's events.
    c: Option<String>,
}

pub async fn live(
    State(st): State<AppState>,
    signed: Signed,
    Query(q): Query<LiveQuery>,
) -> Response {
    let business = match chosen(&st, &signed, q.b.as_deref()).await {
        Ok(Some(scope)) => scope.business,
        Ok(None) => return not_found(),
        Err(e) => return outcome(Err(e), None),
    };
    let rx = st.desk.host.listen();
    let id = business.id;
    let only = q.c.filter(|c| !c.is_empty());
    let events = futures_util::stream::unfold(rx, move |mut rx| {
        let id = id.clone();
        let only = only.clone();
        async move {
            loop {
                match rx.recv().await {
                    Ok(l)
                        if l.business == id
                            && only.as_ref().is_none_or(|c| *c == l.conversation) =>
                    {
                        return Some((Ok::<Event, Infallible>(event(&l)), rx));
                    }
                    Ok(_) => {}
                    // Fell behind: the page is told to load again rather than show a gap.
                    Err(RecvError::Lagged(_)) => {
                        return Some((Ok(Event::default().event("reload").data("lagged")), rx));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn event(l: &Live) -> Event {
    let data = serde_json::to_string(l).unwrap_or_default();
    Event::default().event(l.kind).data(data)
}
