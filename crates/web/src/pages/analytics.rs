//! Analytics for a date range (the business's own days): conversations by channel, by hour of
//! day and by day of week, how calls ended, what callers wanted (top intents), conversion
//! (conversations that led to a booking, a reservation or an order) and revenue, and the
//! questions the data could not answer, grouped by topic. Charts are SVG drawn here (no
//! script, no library); each chart's numbers download as CSV.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use frontdesk_engine::nlu::text;
use frontdesk_store::{BusinessId, now_ms};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};

use super::home::picker;
use super::layout::{Chrome, not_found, outcome, page, respond};
use super::{Scope, Signed, chosen, local_midnight};
use crate::AppState;
use crate::error::ApiError;

/// The slices conversations are counted in, by the database.
const SLICE_MS: i64 = 30 * 60_000;
/// The longest range, in days.
const RANGE_MAX_DAYS: i64 = 366;
/// Unanswered questions read for the topics.
const UNANSWERED_MAX: u32 = 5000;

const CHANNELS: [(&str, &str); 5] = [
    ("voice", "Calls"),
    ("sms", "SMS"),
    ("whatsapp", "WhatsApp"),
    ("web", "Web chat"),
    ("api", "API"),
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

#[derive(Deserialize)]
pub struct Q {
    b: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// For the CSV: which chart.
    chart: Option<String>,
}

/// A chart's data: its rows of (label, value).
struct Chart {
    id: &'static str,
    title: &'static str,
    rows: Vec<(String, i64)>,
}

/// Everything the page shows for a range.
struct Report {
    from: NaiveDate,
    to: NaiveDate,
    charts: Vec<Chart>,
    conversations: i64,
    sold: i64,
    revenue_cents: i64,
}

fn range(q: &Q, tz: chrono_tz::Tz) -> (NaiveDate, NaiveDate) {
    let today = Utc::now().with_timezone(&tz).date_naive();
    let parse = |s: &Option<String>| {
        s.as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok())
    };
    let to = parse(&q.to).unwrap_or(today);
    let from = parse(&q.from).unwrap_or(to - Duration::days(29));
    let (from, to) = if from > to { (to, from) } else { (from, to) };
    let from = from.max(to - Duration::days(RANGE_MAX_DAYS - 1));
    (from, to)
}

/// A question's topic: its words that carry meaning, stemmed and sorted, so "Do you take
/// Apple Pay?" and "apple pay accepted?" are one topic.
fn topic(q: &str) -> String {
    let mut w: Vec<String> = text::words(q)
        .into_iter()
        .filter(|w| !text::is_stopword(w))
        .map(|w| text::stem(&w))
        .collect();
    w.sort();
    w.dedup();
    w.join(" ")
}

/// What a span held that never changes once written: a closed day's is kept in the database
/// (`analytics_days`) the first time it is asked for, so a month's charts read 30 rows; the
/// days still open are counted when asked. How calls ended and orders' value change after the
/// day (a call ends, an order is cancelled), so they are always counted afresh.
#[derive(Default, Serialize, Deserialize)]
struct Held {
    /// [`HELD_VERSION`] when kept; a day kept by another version is counted again.
    v: u32,
    /// Conversations: each half-hour slice's start, channel and count.
    slices: Vec<(i64, String, i64)>,
    bookings: i64,
    reservations: i64,
    orders: i64,
    messages: i64,
    /// Callers' messages by intent.
    intents: Vec<(String, i64)>,
    /// Unanswered questions by topic: the topic, a question as asked, how many.
    topics: Vec<(String, String, i64)>,
}

const HELD_VERSION: u32 = 1;
/// How long after a day's end it is kept: writes stamped before midnight may still be in flight.
const SETTLE_MS: i64 = 60 * 60_000;
/// Intents read for a span (the agent knows a few dozen).
const INTENTS_MAX: u32 = 200;
/// Topics kept for one day.
const TOPICS_KEPT: usize = 200;

/// Counts what `from`..`to` held, from the rows.
async fn count_held(st: &AppState, id: &BusinessId, from: i64, to: i64) -> Result<Held, ApiError> {
    let t = || st.db.tenant(id);
    // The queries are independent: on PostgreSQL each takes its own connection and they run at
    // once. Conversations are counted by the database in half-hour slices (every zone's offset
    // is a whole number of them but for a few at :45), placed on the business's clock later.
    let (slices, counts, intents, unanswered) = tokio::try_join!(
        async { t().conversation_slices(from, to, SLICE_MS).await },
        async { t().counts(from, to).await },
        async { t().top_intents(from, to, INTENTS_MAX).await },
        async { t().unanswered_texts(from, to, UNANSWERED_MAX).await },
    )?;
    let mut topics: HashMap<String, (String, i64)> = HashMap::new();
    for question in unanswered {
        topics.entry(topic(&question)).or_insert((question, 0)).1 += 1;
    }
    let mut topics: Vec<(String, String, i64)> =
        topics.into_iter().map(|(t, (q, n))| (t, q, n)).collect();
    topics.sort_by(|x, y| y.2.cmp(&x.2).then(x.0.cmp(&y.0)));
    topics.truncate(TOPICS_KEPT);
    Ok(Held {
        v: HELD_VERSION,
        slices,
        bookings: counts.bookings,
        reservations: counts.reservations,
        orders: counts.orders,
        messages: counts.messages,
        intents: intents.into_iter().map(|t| (t.label, t.count)).collect(),
        topics,
    })
}

impl Held {
    fn add(&mut self, o: Held) {
        self.slices.extend(o.slices);
        self.bookings += o.bookings;
        self.reservations += o.reservations;
        self.orders += o.orders;
        self.messages += o.messages;
        for (label, n) in o.intents {
            match self.intents.iter_mut().find(|(l, _)| *l == label) {
                Some(e) => e.1 += n,
                None => self.intents.push((label, n)),
            }
        }
        for (t, q, n) in o.topics {
            match self.topics.iter_mut().find(|(k, _, _)| *k == t) {
                Some(e) => e.2 += n,
                None => self.topics.push((t, q, n)),
            }
        }
    }
}

/// What the days of `from..=to` held: kept days read, closed days not yet kept counted and
/// kept, open days counted.
async fn held(
    st: &AppState,
    id: &BusinessId,
    tz: chrono_tz::Tz,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Held, ApiError> {
    let now = now_ms();
    let days: Vec<(i64, i64)> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|d| {
            (
                local_midnight(d, tz),
                local_midnight(d + Duration::days(1), tz),
            )
        })
        .collect();
    let closed = days.partition_point(|(_, end)| end + SETTLE_MS <= now);
    let (a, b) = (days[0].0, days[days.len() - 1].1);
    let open_from = days.get(closed).map(|d| d.0);
    let (kept, open) = tokio::try_join!(
        async {
            match closed {
                0 => Ok::<_, ApiError>(vec![]),
                n => Ok(st.db.tenant(id).kept_days(a, days[n - 1].1).await?),
            }
        },
        async {
            match open_from {
                Some(o) => count_held(st, id, o, b).await.map(Some),
                None => Ok(None),
            }
        },
    )?;
    let mut kept: HashMap<(i64, i64), Held> = kept
        .into_iter()
        .filter_map(|(s, e, data)| {
            let h: Held = serde_json::from_str(&data).ok()?;
            (h.v == HELD_VERSION).then_some(((s, e), h))
        })
        .collect();
    let mut all = Held::default();
    for &(s, e) in &days[..closed] {
        let day = match kept.remove(&(s, e)) {
            Some(h) => h,
            None => {
                let h = count_held(st, id, s, e).await?;
                if let Ok(data) = serde_json::to_string(&h) {
                    st.db.tenant(id).keep_day(s, e, &data, now).await?;
                }
                h
            }
        };
        all.add(day);
    }
    if let Some(open) = open {
        all.add(open);
    }
    Ok(all)
}

async fn report(st: &AppState, scope: &Scope, q: &Q) -> Result<Report, ApiError> {
    let tz = scope.tz();
    let (from, to) = range(q, tz);
    let (a, b) = (
        local_midnight(from, tz),
        local_midnight(to + Duration::days(1), tz),
    );
    let id = &scope.business.id;
    let (held, outcomes, order_cents) = tokio::try_join!(
        held(st, id, tz, from, to),
        async {
            st.db
                .tenant(id)
                .call_outcomes(a, b)
                .await
                .map_err(ApiError::from)
        },
        async {
            st.db
                .tenant(id)
                .order_cents(a, b)
                .await
                .map_err(ApiError::from)
        },
    )?;
    let mut by_channel: HashMap<String, i64> = HashMap::new();
    let mut by_hour = [0i64; 24];
    let mut by_day = [0i64; 7];
    let mut conversations = 0;
    for (at, channel, n) in held.slices {
        conversations += n;
        *by_channel.entry(channel).or_default() += n;
        if let Some(at) = Utc.timestamp_millis_opt(at).single() {
            let local = at.with_timezone(&tz);
            by_hour[local.hour() as usize] += n;
            by_day[local.weekday().num_days_from_monday() as usize] += n;
        }
    }
    let mut intents = held.intents;
    intents.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    intents.truncate(10);
    let mut topics: Vec<(String, i64)> = held.topics.into_iter().map(|(_, q, n)| (q, n)).collect();
    topics.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    topics.truncate(10);
    let sold = held.bookings + held.reservations + held.orders;
    let charts = vec![
        Chart {
            id: "channels",
            title: "Conversations by channel",
            rows: CHANNELS
                .iter()
                .map(|(c, l)| ((*l).to_owned(), by_channel.get(*c).copied().unwrap_or(0)))
                .collect(),
        },
        Chart {
            id: "hours",
            title: "Busiest hours",
            rows: (0..24).map(|h| (format!("{h:02}"), by_hour[h])).collect(),
        },
        Chart {
            id: "weekdays",
            title: "By day of the week",
            rows: WEEKDAYS
                .iter()
                .enumerate()
                .map(|(i, d)| ((*d).to_owned(), by_day[i]))
                .collect(),
        },
        Chart {
            id: "conversion",
            title: "What conversations led to",
            rows: vec![
                ("Conversations".into(), conversations),
                ("Bookings".into(), held.bookings),
                ("Reservations".into(), held.reservations),
                ("Orders".into(), held.orders),
                ("Messages taken".into(), held.messages),
            ],
        },
        Chart {
            id: "outcomes",
            title: "How calls ended",
            rows: outcomes
                .into_iter()
                .map(|t| (t.label.replace('_', " "), t.count))
                .collect(),
        },
        Chart {
            id: "intents",
            title: "What callers wanted",
            rows: intents
                .into_iter()
                .map(|(label, n)| (label.replace('_', " "), n))
                .collect(),
        },
        Chart {
            id: "unanswered",
            title: "Questions the data could not answer",
            rows: topics,
        },
    ];
    Ok(Report {
        from,
        to,
        charts,
        conversations,
        sold,
        revenue_cents: order_cents,
    })
}

pub async fn show(State(st): State<AppState>, signed: Signed, Query(q): Query<Q>) -> Response {
    let r = async {
        let Some(scope) = chosen(&st, &signed, q.b.as_deref()).await? else {
            return Ok(not_found());
        };
        let rep = report(&st, &scope, &q).await?;
        let slug = &scope.business.slug;
        let span = format!("b={slug}&from={}&to={}", rep.from, rep.to);
        let rate = if rep.conversations == 0 { 0.0 } else { rep.sold as f64 * 100.0 / rep.conversations as f64 };
        let chrome = Chrome::of(&signed, &scope);
        let main = html! {
            (picker("/app/analytics", &scope.visible, &scope.business))
            section.heading {
                h1 { "Analytics" }
                p.muted { (rep.from.format("%-d %b %Y")) " to " (rep.to.format("%-d %b %Y")) }
            }
            form.filters method="get" action="/app/analytics" {
                input type="hidden" name="b" value=(slug);
                label for="from" { "From" }
                input #from type="date" name="from" value=(rep.from.to_string());
                label for="to" { "To" }
                input #to type="date" name="to" value=(rep.to.to_string());
                button type="submit" { "Show" }
            }
            ul.tiles {
                li.tile { span.label { "Conversations" } span.value { (rep.conversations) } }
                li.tile { span.label { "Sold" } span.value { (rep.sold) } span.muted.small { (format!("{rate:.0}% of conversations")) } }
                @if !scope.loaded.profile.menu.is_empty() || rep.revenue_cents > 0 { li.tile { span.label { "Order revenue" } span.value { (format!("{:.2}", rep.revenue_cents as f64 / 100.0)) } span.muted.small { (scope.loaded.profile.currency.as_str()) } } }
            }
            div.charts {
                @for c in &rep.charts {
                    section.card.chart aria-labelledby={ "c-" (c.id) } {
                        h2 #{ "c-" (c.id) } { (c.title) }
                        @if c.rows.iter().all(|(_, v)| *v == 0) {
                            p.muted { "Nothing in this range." }
                        } @else if c.id == "unanswered" || c.id == "intents" || c.id == "outcomes" {
                            (hbars(c))
                        } @else {
                            (vbars(c))
                        }
                        p.small { a href={ "/app/analytics.csv?" (span) "&chart=" (c.id) } download { "Download the numbers (CSV)" } }
                    }
                }
            }
        };
        Ok(respond(StatusCode::OK, page("Analytics", Some(&chrome), main)))
    }
    .await;
    outcome(r, None)
}

/// Columns, one per row, with the largest value and the labels spaced to fit.
fn vbars(c: &Chart) -> Markup {
    let (w, h, pad) = (640.0, 200.0, 24.0);
    let max = c.rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let n = c.rows.len().max(1) as f64;
    let step = (w - 2.0 * pad) / n;
    let every = if c.rows.len() > 12 { 3 } else { 1 };
    let summary: Vec<String> = c.rows.iter().map(|(l, v)| format!("{l}: {v}")).collect();
    html! {
        svg.chart viewBox={ "0 0 " (w) " " (h + 30.0) } role="img" aria-label={ (c.title) ". " (summary.join(", ")) } {
            title { (c.title) }
            line x1=(pad) y1=(h) x2=(w - pad) y2=(h) stroke="#dde2e8" {}
            @for (i, (label, v)) in c.rows.iter().enumerate() {
                @let bh = (*v as f64 / max) * (h - 20.0);
                @let x = pad + i as f64 * step + step * 0.15;
                rect x=(format!("{x:.1}")) y=(format!("{:.1}", h - bh)) width=(format!("{:.1}", step * 0.7)) height=(format!("{bh:.1}")) fill="#0b5cad" rx="2" {
                    title { (label) ": " (v) }
                }
                @if *v > 0 && step > 30.0 {
                    text x=(format!("{:.1}", x + step * 0.35)) y=(format!("{:.1}", h - bh - 4.0)) text-anchor="middle" font-size="12" fill="#17202a" { (v) }
                }
                @if i % every == 0 {
                    text x=(format!("{:.1}", x + step * 0.35)) y=(format!("{:.1}", h + 18.0)) text-anchor="middle" font-size="12" fill="#5b6573" { (label) }
                }
            }
        }
    }
}

/// Bars across, for long labels (topics, intents).
fn hbars(c: &Chart) -> Markup {
    let max = c.rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let row_h = 28.0;
    let h = row_h * c.rows.len() as f64 + 4.0;
    let (w, label_w) = (640.0, 300.0);
    let summary: Vec<String> = c.rows.iter().map(|(l, v)| format!("{l}: {v}")).collect();
    html! {
        svg.chart viewBox={ "0 0 " (w) " " (h) } role="img" aria-label={ (c.title) ". " (summary.join(", ")) } {
            title { (c.title) }
            @for (i, (label, v)) in c.rows.iter().enumerate() {
                @let y = i as f64 * row_h + 4.0;
                @let bw = (*v as f64 / max) * (w - label_w - 40.0);
                @let shown: String = if label.chars().count() > 42 { format!("{}…", label.chars().take(41).collect::<String>()) } else { label.clone() };
                text x="0" y=(format!("{:.1}", y + 17.0)) font-size="13" fill="#17202a" { (shown) }
                rect x=(label_w) y=(format!("{y:.1}")) width=(format!("{bw:.1}")) height="20" fill="#0b5cad" rx="2" { title { (label) ": " (v) } }
                text x=(format!("{:.1}", label_w + bw + 6.0)) y=(format!("{:.1}", y + 15.0)) font-size="12" fill="#5b6573" { (v) }
            }
        }
    }
}

/// One chart's numbers as CSV (label, count).
pub async fn csv(State(st): State<AppState>, signed: Signed, Query(q): Query<Q>) -> Response {
    let r = async {
        let Some(scope) = chosen(&st, &signed, q.b.as_deref()).await? else {
            return Ok(not_found());
        };
        let rep = report(&st, &scope, &q).await?;
        let Some(c) = rep.charts.iter().find(|c| Some(c.id) == q.chart.as_deref()) else {
            return Ok(not_found());
        };
        let mut out = String::from("label,count\r\n");
        for (label, v) in &c.rows {
            out.push_str(&super::customers::cell(label, true));
            out.push_str(&format!(",{v}\r\n"));
        }
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}-{}-{}-{}.csv\"",
                        scope.business.slug, c.id, rep.from, rep.to
                    ),
                ),
            ],
            out,
        )
            .into_response())
    }
    .await;
    outcome(r, None)
}

#[cfg(test)]
mod tests {
    use super::topic;

    #[test]
    fn one_question_put_two_ways_is_one_topic() {
        assert_eq!(
            topic("Do you take Apple Pay?"),
            topic("apple pay, do you take it")
        );
        assert_ne!(
            topic("Do you take Apple Pay?"),
            topic("Do you do weekend work?")
        );
    }
}
