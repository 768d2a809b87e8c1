//! Notifications that follow what the agent commits: confirmations to the customer (SMS and
//! e-mail) for bookings, reservations and orders; alerts to the owner (`owner_alerts` in the
//! profile) for a new lead, a message taken and an emergency; and appointment reminders 24 and
//! 2 hours ahead, cancelled or moved with the appointment.
//!
//! Every notice is stored, with the job that sends it, in the transaction of the action it
//! follows: a booking is never kept without its confirmation being queued, and nothing is
//! queued for an action that was rolled back. Nothing is queued for a way of sending that is not
//! configured ([`Senders`]). Alerts go out at once; the runner is woken for them.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use frontdesk_engine::{Money, Profile};
use frontdesk_store::emails::NewEmail;
use frontdesk_store::jobs::NewJob;
use frontdesk_store::texts::NewText;
use frontdesk_store::{BusinessId, ConversationId, CustomerId, Exec, StoreError, Tenant, now_ms};
use serde_json::json;

use crate::AppState;
use crate::channels::texts::TEXT_OUT_JOB;
use crate::mail::EMAIL_JOB;
use crate::twilio::segments;

/// Sends an appointment's reminder if it still stands:
/// `{"business", "appointment", "start", "lead"}`.
pub const REMINDER_JOB: &str = "notify.reminder";

const HOUR: i64 = 3_600_000;
/// How long before an appointment each reminder goes out.
pub const REMINDERS: [(&str, i64); 2] = [("24h", 24 * HOUR), ("2h", 2 * HOUR)];
/// A reminder that would go out sooner than this after booking is skipped: the confirmation
/// has just said the same.
const REMINDER_MIN_AHEAD: i64 = HOUR / 2;
/// How much of what a caller said an alert quotes.
const QUOTE_CHARS: usize = 300;

/// The ways of sending that are configured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Senders {
    pub sms: bool,
    pub email: bool,
}

/// The customer a notice is for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Recipient<'a> {
    /// The conversation's channel (`voice`, `sms`, `whatsapp`, `web`, …).
    pub channel: &'a str,
    pub name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// Something that calls for a notice.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    Booked {
        appointment: &'a str,
        service: &'a str,
        staff: Option<&'a str>,
        start: DateTime<Utc>,
        /// Moved from another time rather than newly booked.
        moved: bool,
    },
    Cancelled {
        appointment: &'a str,
        service: &'a str,
        start: DateTime<Utc>,
    },
    Reserved {
        unit_type: &'a str,
        move_in: NaiveDate,
        monthly_rate: Money,
        promotion: Option<&'a str>,
    },
    Ordered {
        summary: &'a str,
        fulfillment: &'a str,
        address: Option<&'a str>,
        total: Money,
    },
    Message {
        text: &'a str,
    },
    Emergency {
        text: &'a str,
        transfer: bool,
    },
    /// A customer the business did not know, with what they first said.
    Lead {
        said: &'a str,
    },
}

/// What one notice needs besides its event.
pub struct Notices<'a> {
    pub senders: Senders,
    pub profile: &'a Profile,
    pub conversation: Option<&'a ConversationId>,
    pub to: Recipient<'a>,
    pub now: i64,
}

/// What [`Notices::queue`] queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Queued {
    pub messages: usize,
    /// The owner was alerted (a lead alert is then redundant).
    pub owner: bool,
}

impl Queued {
    pub fn add(&mut self, o: Queued) {
        self.messages += o.messages;
        self.owner |= o.owner;
    }
}

impl Notices<'_> {
    /// Queues the notices `ev` calls for, in the transaction `t` is in.
    pub async fn queue<E: Exec>(
        &self,
        t: &mut Tenant<E>,
        ev: &Event<'_>,
    ) -> Result<Queued, StoreError> {
        let p = self.profile;
        let mut q = Queued::default();
        match ev {
            Event::Booked {
                appointment,
                service,
                staff,
                start,
                moved,
            } => {
                // A moved appointment's old reminders go; the new time gets its own.
                t.cancel_jobs(&reminder_prefix(appointment), self.now)
                    .await?;
                if self.senders.sms || self.senders.email {
                    schedule_reminders(t, appointment, start.timestamp_millis(), self.now).await?;
                }
                let what = if *moved { "moved to" } else { "booked for" };
                let with = staff.map(|s| format!(" with {s}")).unwrap_or_default();
                let when = short_when(p, *start);
                let sms = format!(
                    "{}: your {}{with} is {what} {when}.{} Call {} to change it.",
                    p.name,
                    service.to_lowercase(),
                    address_line(p),
                    p.phone.as_str()
                );
                let subject = if *moved {
                    format!("Your {} has moved to {when}", service.to_lowercase())
                } else {
                    format!("Your {} on {when} is confirmed", service.to_lowercase())
                };
                let body = letter(
                    p,
                    self.to.name,
                    &format!(
                        "your {}{with} at {} is {what} {}.",
                        service.to_lowercase(),
                        p.name,
                        long_when(p, *start)
                    ),
                    "To change or cancel it, call us or reply to this e-mail.",
                );
                q.add(
                    self.customer(t, "confirmation", &sms, &subject, &body)
                        .await?,
                );
            }
            Event::Cancelled {
                appointment,
                service,
                start,
            } => {
                t.cancel_jobs(&reminder_prefix(appointment), self.now)
                    .await?;
                let when = short_when(p, *start);
                let sms = format!(
                    "{}: your {} on {when} is cancelled. Call {} to book again.",
                    p.name,
                    service.to_lowercase(),
                    p.phone.as_str()
                );
                let subject = format!("Your {} on {when} is cancelled", service.to_lowercase());
                let body = letter(
                    p,
                    self.to.name,
                    &format!(
                        "your {} at {} on {} is cancelled.",
                        service.to_lowercase(),
                        p.name,
                        long_when(p, *start)
                    ),
                    "To book again, call us or reply to this e-mail.",
                );
                q.add(
                    self.customer(t, "confirmation", &sms, &subject, &body)
                        .await?,
                );
            }
            Event::Reserved {
                unit_type,
                move_in,
                monthly_rate,
                promotion,
            } => {
                let promo = promotion.map(|p| format!(" ({p})")).unwrap_or_default();
                let day = move_in.format("%a %b %-d");
                let sms = format!(
                    "{}: your {unit_type} unit is reserved from {day} at ${monthly_rate}/month{promo}.{} Call {} with any questions.",
                    p.name,
                    address_line(p),
                    p.phone.as_str()
                );
                let subject = format!("Your {unit_type} unit is reserved from {day}");
                let body = letter(
                    p,
                    self.to.name,
                    &format!(
                        "a {unit_type} unit at {} is reserved for you, moving in on {}, at ${monthly_rate} a month{promo}.",
                        p.name,
                        move_in.format("%A, %B %-d, %Y")
                    ),
                    "Bring a photo ID when you move in. To change the reservation, call us or reply to this e-mail.",
                );
                q.add(
                    self.customer(t, "confirmation", &sms, &subject, &body)
                        .await?,
                );
            }
            Event::Ordered {
                summary,
                fulfillment,
                address,
                total,
            } => {
                let how = match (*fulfillment, address) {
                    ("delivery", Some(a)) => format!("for delivery to {a}"),
                    ("delivery", None) => "for delivery".to_owned(),
                    _ => "for pickup".to_owned(),
                };
                let sms = format!(
                    "{}: we have your order {how}: {summary}. Total ${total}. Call {} with any questions.",
                    p.name,
                    p.phone.as_str()
                );
                let subject = format!("Your order from {}: ${total}", p.name);
                let body = letter(
                    p,
                    self.to.name,
                    &format!("we have your order {how}:\n\n  {summary}\n\nTotal: ${total}"),
                    "To change it, call us as soon as you can.",
                );
                q.add(
                    self.customer(t, "confirmation", &sms, &subject, &body)
                        .await?,
                );
            }
            Event::Message { text } => {
                let who = self.who();
                let sms = format!("{}: new message from {who}: \"{}\"", p.name, quote(text));
                let subject = format!("New message from {who}");
                let body = format!(
                    "{who} left a message for {}:\n\n{}\n\n{}",
                    p.name,
                    text,
                    self.contact_lines()
                );
                q.add(self.owner(t, &sms, &subject, &body).await?);
            }
            Event::Emergency { text, transfer } => {
                let who = self.who();
                let next = match (transfer, &p.transfer_phone) {
                    (true, Some(n)) => format!(" Transferring to {}.", n.as_str()),
                    _ => " Call them back now.".to_owned(),
                };
                let sms = format!(
                    "EMERGENCY for {}: {who} says \"{}\".{next}",
                    p.name,
                    quote(text)
                );
                let subject = format!("EMERGENCY: {who}: {}", quote(text));
                let body = format!(
                    "An emergency call for {}.\n\n{who} said:\n\n{text}\n\n{}\n{}",
                    p.name,
                    self.contact_lines(),
                    next.trim()
                );
                q.add(self.owner(t, &sms, &subject, &body).await?);
            }
            Event::Lead { said } => {
                let who = self.who();
                let by = channel_name(self.to.channel);
                let sms = format!("{}: new lead {who} by {by}: \"{}\"", p.name, quote(said));
                let subject = format!("New lead: {who}");
                let body = format!(
                    "A new customer reached {} by {by}.\n\n{}\nThey said: {said}",
                    p.name,
                    self.contact_lines()
                );
                q.add(self.owner(t, &sms, &subject, &body).await?);
            }
        }
        Ok(q)
    }

    /// The customer's name and number, as an alert names them.
    fn who(&self) -> String {
        match (self.to.name, self.to.phone.or(self.to.email)) {
            (Some(n), Some(c)) => format!("{n} ({c})"),
            (Some(n), None) => n.to_owned(),
            (None, Some(c)) => c.to_owned(),
            (None, None) => format!("a {} customer", channel_name(self.to.channel)),
        }
    }

    fn contact_lines(&self) -> String {
        let mut s = String::new();
        for (label, v) in [
            ("Name", self.to.name),
            ("Phone", self.to.phone),
            ("E-mail", self.to.email),
        ] {
            if let Some(v) = v {
                s.push_str(&format!("{label}: {v}\n"));
            }
        }
        s
    }

    /// A confirmation to the customer: by SMS unless the conversation is itself a text thread
    /// (whose reply already confirmed it), and by e-mail when the customer gave one.
    async fn customer<E: Exec>(
        &self,
        t: &mut Tenant<E>,
        purpose: &str,
        sms: &str,
        subject: &str,
        body: &str,
    ) -> Result<Queued, StoreError> {
        let mut q = Queued::default();
        let in_thread = matches!(self.to.channel, "sms" | "whatsapp");
        if self.senders.sms
            && !in_thread
            && let Some(phone) = self.to.phone
        {
            let from = self.profile.phone.as_str();
            q.messages += queue_text(
                t,
                self.conversation,
                "sms",
                purpose,
                from,
                phone,
                sms,
                None,
                self.now,
            )
            .await?;
        }
        if self.senders.email
            && let Some(to) = self.to.email
        {
            q.messages += queue_email(
                t,
                self.conversation,
                purpose,
                to,
                subject,
                body,
                None,
                self.now,
            )
            .await?;
        }
        Ok(q)
    }

    /// An alert to the owner, by SMS and e-mail as `owner_alerts` says.
    async fn owner<E: Exec>(
        &self,
        t: &mut Tenant<E>,
        sms: &str,
        subject: &str,
        body: &str,
    ) -> Result<Queued, StoreError> {
        let mut q = Queued::default();
        let Some(a) = &self.profile.owner_alerts else {
            return Ok(q);
        };
        if self.senders.sms
            && let Some(to) = &a.sms
        {
            let from = self.profile.phone.as_str();
            q.messages += queue_text(
                t,
                self.conversation,
                "sms",
                "owner_alert",
                from,
                to.as_str(),
                sms,
                None,
                self.now,
            )
            .await?;
        }
        if self.senders.email
            && let Some(to) = &a.email
        {
            q.messages += queue_email(
                t,
                self.conversation,
                "owner_alert",
                to.as_str(),
                subject,
                body,
                None,
                self.now,
            )
            .await?;
        }
        q.owner = q.messages > 0;
        Ok(q)
    }
}

/// Stores a text and queues its sending; with `key`, once only (a retried job queues nothing the
/// second time). Returns how many were queued.
#[allow(clippy::too_many_arguments)]
async fn queue_text<E: Exec>(
    t: &mut Tenant<E>,
    conversation: Option<&ConversationId>,
    channel: &str,
    purpose: &str,
    from: &str,
    to: &str,
    body: &str,
    key: Option<String>,
    now: i64,
) -> Result<usize, StoreError> {
    if let Some(k) = &key
        && t.job_exists(k).await?
    {
        return Ok(0);
    }
    let (from, to) = if channel == "whatsapp" {
        (format!("whatsapp:{from}"), format!("whatsapp:{to}"))
    } else {
        (from.to_owned(), to.to_owned())
    };
    let mut n = 0;
    for (i, part) in segments::split_messages(body, segments::MAX_MESSAGE_CHARS)
        .iter()
        .enumerate()
    {
        let Some(m) = t
            .add_text(
                &NewText {
                    conversation,
                    channel,
                    direction: "outbound",
                    purpose,
                    sid: None,
                    from: &from,
                    to: &to,
                    body: part,
                    segments: segments::count(part) as i64,
                    status: "pending",
                },
                now,
            )
            .await?
        else {
            continue;
        };
        let key = match &key {
            Some(k) if i == 0 => k.clone(),
            Some(k) => format!("{k}:{i}"),
            None => format!("text-out:{}", m.id),
        };
        t.enqueue_job(
            job(
                TEXT_OUT_JOB,
                json!({"business": t.business_id(), "text": m.id}),
                now,
                key,
            ),
            now,
        )
        .await?;
        n += 1;
    }
    Ok(n)
}

/// Stores an e-mail and queues its sending; with `key`, once only.
#[allow(clippy::too_many_arguments)]
async fn queue_email<E: Exec>(
    t: &mut Tenant<E>,
    conversation: Option<&ConversationId>,
    purpose: &str,
    to: &str,
    subject: &str,
    body: &str,
    key: Option<String>,
    now: i64,
) -> Result<usize, StoreError> {
    if let Some(k) = &key
        && t.job_exists(k).await?
    {
        return Ok(0);
    }
    let e = t
        .add_email(
            &NewEmail {
                conversation,
                purpose,
                to,
                subject,
                body,
            },
            now,
        )
        .await?;
    let key = key.unwrap_or_else(|| format!("email:{}", e.id));
    t.enqueue_job(
        job(
            EMAIL_JOB,
            json!({"business": t.business_id(), "email": e.id}),
            now,
            key,
        ),
        now,
    )
    .await?;
    Ok(1)
}

fn job(kind: &str, payload: serde_json::Value, run_at: i64, key: String) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        payload,
        business: None,
        run_at,
        max_attempts: 10,
        idempotency_key: Some(key),
    }
}

fn reminder_prefix(appointment: &str) -> String {
    format!("reminder:{appointment}:")
}

/// Queues the reminders still ahead for an appointment starting at `start`.
async fn schedule_reminders<E: Exec>(
    t: &mut Tenant<E>,
    appointment: &str,
    start: i64,
    now: i64,
) -> Result<(), StoreError> {
    for (lead, ahead) in REMINDERS {
        let at = start - ahead;
        if at < now + REMINDER_MIN_AHEAD {
            continue;
        }
        let payload = json!({"business": t.business_id(), "appointment": appointment, "start": start, "lead": lead});
        let key = format!("{}{start}:{lead}", reminder_prefix(appointment));
        t.enqueue_job(job(REMINDER_JOB, payload, at, key), now)
            .await?;
    }
    Ok(())
}

/// The reminder job: sends it if the appointment still stands at the time it was for.
pub async fn remind(st: &AppState, payload: &serde_json::Value) -> Result<(), String> {
    let r: anyhow::Result<()> = async {
        let b = payload["business"]
            .as_str()
            .and_then(BusinessId::parse)
            .ok_or_else(|| anyhow::anyhow!("payload: no business"))?;
        let id = payload["appointment"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("payload: no appointment"))?;
        let start = payload["start"]
            .as_i64()
            .ok_or_else(|| anyhow::anyhow!("payload: no start"))?;
        let lead = payload["lead"].as_str().unwrap_or("");
        let loaded = st.host.loaded(&st.db, &b).await?;
        let p = &loaded.profile;
        let mut tx = st.db.begin().await?;
        let mut t = tx.tenant(&b);
        let a = match t.appointment(id).await {
            Ok(a) => a,
            Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if a.status != "booked" || a.start_at != start {
            return Ok(());
        }
        let customer = match a.customer_id.as_deref().and_then(CustomerId::parse) {
            Some(c) => Some(t.customer(&c).await?),
            None => None,
        };
        let conv = match a.conversation_id.as_deref() {
            Some(c) => match ConversationId::parse(c) {
                Some(c) => t.conversation(&c).await.ok(),
                None => None,
            },
            None => None,
        };
        let channel = conv.as_ref().map_or("sms", |c| c.channel.as_str());
        let text_channel = if channel == "whatsapp" { "whatsapp" } else { "sms" };
        let name = customer.as_ref().and_then(|c| c.name.as_deref());
        let phone = customer
            .as_ref()
            .and_then(|c| c.phone.as_deref())
            .or(a.phone.as_deref());
        let email = customer.as_ref().and_then(|c| c.email.as_deref());
        let at = DateTime::<Utc>::from_timestamp_millis(start).unwrap_or_default();
        let day = relative_day(p, at, Utc::now());
        let time = at.with_timezone(&p.timezone.0).format("%-I:%M %p");
        let service = a.service.to_lowercase();
        let staff = a.staff.as_deref().map(|s| format!(" with {s}")).unwrap_or_default();
        let now = now_ms();
        let conv_id = conv.as_ref().map(|c| &c.id);
        let key = format!("{}{start}:{lead}", reminder_prefix(id));
        let mut queued = 0;
        if st.twilio.is_some()
            && let Some(phone) = phone
        {
            let sms = format!(
                "{}: a reminder that your {service}{staff} is {day} at {time}.{} Call {} if you need to change it.",
                p.name,
                address_line(p),
                p.phone.as_str()
            );
            queued += queue_text(&mut t, conv_id, text_channel, "reminder", p.phone.as_str(), phone, &sms, Some(format!("{key}:sms")), now).await?;
        }
        if st.mailer.is_some()
            && let Some(email) = email
        {
            let subject = format!("Reminder: your {service} {day} at {time}");
            let body = letter(
                p,
                name,
                &format!("a reminder that your {service}{staff} at {} is {} at {time}.", p.name, day),
                "If you need to change or cancel it, call us or reply to this e-mail.",
            );
            queued += queue_email(&mut t, conv_id, "reminder", email, &subject, &body, Some(format!("{key}:email")), now).await?;
        }
        tx.commit().await?;
        if queued > 0 {
            st.jobs_wake.notify_one();
        }
        Ok(())
    }
    .await;
    r.map_err(|e| format!("{e:#}"))
}

/// "today", "tomorrow", or the weekday and date, in the business's time zone.
fn relative_day(p: &Profile, at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let tz = p.timezone.0;
    let day = at.with_timezone(&tz).date_naive();
    let today = now.with_timezone(&tz).date_naive();
    if day == today {
        "today".into()
    } else if today.succ_opt() == Some(day) {
        "tomorrow".into()
    } else {
        format!("on {}", day.format("%A, %B %-d"))
    }
}

/// "Tue Nov 24 at 2:00 PM", in the business's time zone.
fn short_when(p: &Profile, at: DateTime<Utc>) -> String {
    at.with_timezone(&p.timezone.0)
        .format("%a %b %-d at %-I:%M %p")
        .to_string()
}

/// "Tuesday, November 24, 2026 at 2:00 PM (America/Denver)".
fn long_when(p: &Profile, at: DateTime<Utc>) -> String {
    let local = p.timezone.0.from_utc_datetime(&at.naive_utc());
    format!(
        "{}, {} {}, {} at {} ({})",
        local.format("%A"),
        local.format("%B"),
        local.day(),
        local.year(),
        local.format("%-I:%M %p"),
        p.timezone.0.name()
    )
}

fn address_line(p: &Profile) -> String {
    p.address
        .as_deref()
        .map(|a| format!(" {a}."))
        .unwrap_or_default()
}

/// A plain-text letter to a customer, signed with the business's contact details.
fn letter(p: &Profile, name: Option<&str>, news: &str, next: &str) -> String {
    let hello = match name.and_then(|n| n.split_whitespace().next()) {
        Some(first) => format!("Hello {first},"),
        None => "Hello,".to_owned(),
    };
    let mut s = format!(
        "{hello}\n\n{}\n\n{next}\n\n{}\n{}\n",
        first_upper(news),
        p.name,
        p.phone.as_str()
    );
    if let Some(a) = &p.address {
        s.push_str(a);
        s.push('\n');
    }
    if let Some(w) = &p.website {
        s.push_str(w);
        s.push('\n');
    }
    s
}

fn first_upper(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What a caller said, cut to a length an alert can carry.
fn quote(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= QUOTE_CHARS {
        return s.to_owned();
    }
    let cut: String = s.chars().take(QUOTE_CHARS).collect();
    format!("{}…", cut.trim_end())
}

fn channel_name(channel: &str) -> &'static str {
    match channel {
        "voice" => "phone",
        "sms" => "text",
        "whatsapp" => "WhatsApp",
        "web" => "web chat",
        _ => "the API",
    }
}

#[cfg(test)]
mod tests;
