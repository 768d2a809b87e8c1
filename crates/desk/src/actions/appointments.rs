//! Appointments: booking, moving and cancelling one, the customer's confirmation of each, and
//! the reminders 24 and 2 hours ahead, which are cancelled or moved with the appointment and
//! sent only if it still stands when they are due.

use chrono::{DateTime, Utc};
use frontdesk_engine::agent::Channel;
use frontdesk_engine::agent::{Contact, SlotRef};
use frontdesk_engine::schedule::find_service;
use frontdesk_engine::{Email, PhoneE164};
use frontdesk_store::appointments::NewAppointment;
use frontdesk_store::states::{AppointmentStatus, CancelledBy};
use frontdesk_store::{BusinessId, Exec, RecordId, StoreError, Tenant, now_ms};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Cx, Done};
use crate::jobs::{self, Job};
use crate::notify::{Notices, Queued, address_line, letter, long_when, relative_day, short_when};
use crate::{Desk, outbox};

const HOUR: i64 = 3_600_000;
/// How long before an appointment each reminder goes out.
pub const REMINDERS: [(&str, i64); 2] = [("24h", 24 * HOUR), ("2h", 2 * HOUR)];
/// A reminder that would go out sooner than this after booking is skipped: the confirmation
/// has just said the same.
const REMINDER_MIN_AHEAD: i64 = HOUR / 2;

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// "Tue Nov 24, 2:00 PM" in the business's time zone, for the timeline.
fn timeline_when(n: &Notices<'_>, at: DateTime<Utc>) -> String {
    at.with_timezone(&n.profile.timezone.0)
        .format("%a %b %-d, %-I:%M %p")
        .to_string()
}

/// Books `service` at `slot` for the customer; a slot taken meanwhile is refused.
pub async fn book<E: Exec>(
    t: &mut Tenant<E>,
    cx: &Cx<'_>,
    service: &str,
    slot: &SlotRef,
    contact: &Contact,
) -> Result<Done, StoreError> {
    let p = cx.notices.profile;
    let duration = find_service(p, service)
        .map(|s| i64::from(s.duration_min.0))
        .unwrap_or(60);
    let start = ms(slot.start);
    let r = t
        .book_appointment(
            &NewAppointment {
                customer: cx.customer,
                conversation: cx.conversation(),
                service,
                staff: slot.staff.as_deref(),
                start_at: start,
                end_at: start + duration * 60_000,
                buffer_ms: i64::from(p.booking.buffer_min) * 60_000,
            },
            cx.now(),
        )
        .await;
    let appt = match r {
        Ok(a) => a,
        Err(StoreError::Conflict(_)) => {
            return Ok(Done::Refused {
                reply: "I'm sorry, that time was just booked by someone else. What other day or time would work for you?".into(),
                resume: true,
            });
        }
        Err(e) => return Err(e),
    };
    let n = cx.to(contact);
    let (q, link) = confirm(
        t,
        &n,
        &appt.id,
        service,
        slot.staff.as_deref(),
        slot.start,
        false,
    )
    .await?;
    let summary = format!(
        "Booked {} for {}",
        service.to_lowercase(),
        timeline_when(&n, slot.start)
    );
    cx.timeline(
        t,
        "appointment_booked",
        &summary,
        json!({"appointment_id": appt.id}),
    )
    .await?;
    Ok(confirmed(q, link, &n))
}

/// Moves an appointment to `slot`, keeping its length; a slot taken meanwhile is refused.
pub async fn reschedule<E: Exec>(
    t: &mut Tenant<E>,
    cx: &Cx<'_>,
    appointment_id: &RecordId,
    slot: &SlotRef,
) -> Result<Done, StoreError> {
    let p = cx.notices.profile;
    let old = t.appointment(appointment_id).await?;
    let len = old.end_at - old.start_at;
    let r = t
        .reschedule_appointment(
            appointment_id,
            slot.staff.as_deref(),
            ms(slot.start),
            ms(slot.start) + len,
            i64::from(p.booking.buffer_min) * 60_000,
            cx.now(),
        )
        .await;
    match r {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            return Ok(Done::Refused {
                reply: "I'm sorry, that time was just taken. What other day or time would work?"
                    .into(),
                resume: true,
            });
        }
        Err(e) => return Err(e),
    }
    let n = &cx.notices;
    let (q, link) = confirm(
        t,
        n,
        appointment_id,
        &old.service,
        slot.staff.as_deref(),
        slot.start,
        true,
    )
    .await?;
    let summary = format!(
        "Moved {} to {}",
        old.service.to_lowercase(),
        timeline_when(n, slot.start)
    );
    cx.timeline(
        t,
        "appointment_rescheduled",
        &summary,
        json!({"appointment_id": appointment_id}),
    )
    .await?;
    Ok(confirmed(q, link, n))
}

/// Cancels an appointment (saying by whom, and why when given), its reminders with it, and
/// tells the customer.
pub async fn cancel<E: Exec>(
    t: &mut Tenant<E>,
    cx: &Cx<'_>,
    appointment_id: &RecordId,
    by: CancelledBy,
    reason: Option<&str>,
) -> Result<Done, StoreError> {
    let a = t
        .cancel_appointment(appointment_id, by, reason, cx.now())
        .await?;
    let n = &cx.notices;
    let p = n.profile;
    t.cancel_jobs(&reminder_prefix(appointment_id), n.now)
        .await?;
    let start = DateTime::<Utc>::from_timestamp_millis(a.start_at).unwrap_or_default();
    let service = a.service.to_lowercase();
    let when = short_when(p, start);
    let sms = format!(
        "{}: your {service} on {when} is cancelled. Call {} to book again.",
        p.name,
        p.phone.as_str()
    );
    let subject = format!("Your {service} on {when} is cancelled");
    let body = letter(
        p,
        n.to.name,
        &format!(
            "your {service} at {} on {} is cancelled.",
            p.name,
            long_when(p, start)
        ),
        "To book again, call us or reply to this e-mail.",
    );
    let q = n.customer(t, "confirmation", &sms, &subject, &body).await?;
    cx.timeline(
        t,
        "appointment_cancelled",
        &match (by, a.cancel_reason.as_deref()) {
            (CancelledBy::Staff, Some(why)) => format!("Cancelled {service} (by staff: {why})"),
            (CancelledBy::Staff, None) => format!("Cancelled {service} (by staff)"),
            (_, Some(why)) => format!("Cancelled {service}: {why}"),
            (_, None) => format!("Cancelled {service}"),
        },
        json!({"appointment_id": appointment_id, "by": by.as_str(), "reason": a.cancel_reason}),
    )
    .await?;
    Ok(Done::Kept(q))
}

/// The confirmation of a booked (or, with `moved`, moved) appointment, with its reminders: a
/// moved appointment's old reminders go and the new time gets its own.
async fn confirm<E: Exec>(
    t: &mut Tenant<E>,
    n: &Notices<'_>,
    appointment: &RecordId,
    service: &str,
    staff: Option<&str>,
    start: DateTime<Utc>,
    moved: bool,
) -> Result<(Queued, Option<String>), StoreError> {
    let p = n.profile;
    t.cancel_jobs(&reminder_prefix(appointment), n.now).await?;
    if n.senders.sms || n.senders.email {
        schedule_reminders(t, appointment, ms(start), n.now).await?;
    }
    let what = if moved { "moved to" } else { "booked for" };
    let with = staff.map(|s| format!(" with {s}")).unwrap_or_default();
    let service = service.to_lowercase();
    let when = short_when(p, start);
    let link = match n.links {
        Some(links) => {
            let a = t.appointment(appointment).await?;
            Some(links.url(t.business_id(), appointment, a.revision, a.start_at))
        }
        None => None,
    };
    let change = match &link {
        Some(url) => format!("Change or cancel: {url}"),
        None => format!("Call {} to change it.", p.phone.as_str()),
    };
    let sms = format!(
        "{}: your {service}{with} is {what} {when}.{} {change}",
        p.name,
        address_line(p)
    );
    let subject = if moved {
        format!("Your {service} has moved to {when}")
    } else {
        format!("Your {service} on {when} is confirmed")
    };
    let body = letter(
        p,
        n.to.name,
        &format!(
            "your {service}{with} at {} is {what} {}.",
            p.name,
            long_when(p, start)
        ),
        &match &link {
            Some(url) => {
                format!("To change or cancel it, use {url} — or call us, or reply to this e-mail.")
            }
            None => "To change or cancel it, call us or reply to this e-mail.".to_owned(),
        },
    );
    let q = n.customer(t, "confirmation", &sms, &subject, &body).await?;
    Ok((q, link))
}

/// Done, and in a thread the customer reads (text, WhatsApp, web chat), the reply that confirms
/// it carries the self-service link the confirmation would have.
fn confirmed(q: Queued, link: Option<String>, n: &Notices<'_>) -> Done {
    match link {
        Some(url)
            if matches!(
                n.to.channel,
                Channel::Sms | Channel::Whatsapp | Channel::Web
            ) =>
        {
            Done::Said(q, format!("To change or cancel it later: {url}"))
        }
        _ => Done::Kept(q),
    }
}

fn reminder_prefix(appointment: &RecordId) -> String {
    format!("reminder:{appointment}:")
}

/// Queues the reminders still ahead for an appointment starting at `start`.
async fn schedule_reminders<E: Exec>(
    t: &mut Tenant<E>,
    appointment: &RecordId,
    start: i64,
    now: i64,
) -> Result<(), StoreError> {
    for (lead, ahead) in REMINDERS {
        let at = start - ahead;
        if at < now + REMINDER_MIN_AHEAD {
            continue;
        }
        let job = Remind {
            business: t.business_id().clone(),
            appointment: appointment.clone(),
            start,
            lead: lead.to_owned(),
        };
        let key = format!("{}{start}:{lead}", reminder_prefix(appointment));
        jobs::enqueue(t, &job, at, key, now).await?;
    }
    Ok(())
}

/// An appointment's reminder, sent only if the appointment still stands at the time it was for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Remind {
    pub business: BusinessId,
    pub appointment: RecordId,
    /// The start it was for (milliseconds since the epoch): a moved appointment is not reminded
    /// of its old time.
    pub start: i64,
    /// Which reminder: `24h` or `2h`.
    pub lead: String,
}

impl Job for Remind {
    const KIND: &'static str = "notify.reminder";
    const CONCURRENCY: usize = 4;

    async fn run(self, desk: Desk) -> Result<(), String> {
        remind(&desk, &self).await
    }
}

/// Sends a reminder if the appointment still stands at the time it was for.
async fn remind(desk: &Desk, job: &Remind) -> Result<(), String> {
    let r: anyhow::Result<()> = async {
        let b = job.business.clone();
        let id = &job.appointment;
        let start = job.start;
        let lead = job.lead.as_str();
        let loaded = desk.host.load(&mut desk.db.tenant(&b)).await?;
        let p = &loaded.profile;
        let mut tx = desk.db.begin().await?;
        let mut t = tx.tenant(&b);
        let a = match t.appointment(id).await {
            Ok(a) => a,
            Err(StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if a.status != AppointmentStatus::Booked || a.start_at != start {
            return Ok(());
        }
        let customer = match &a.customer_id {
            Some(c) => Some(t.customer(c).await?),
            None => None,
        };
        let conv = match &a.conversation_id {
            Some(c) => t.conversation(c).await.ok(),
            None => None,
        };
        let channel = conv.as_ref().map_or(Channel::Sms, |c| c.channel);
        let text_channel = if channel == Channel::Whatsapp {
            Channel::Whatsapp
        } else {
            Channel::Sms
        };
        let name = customer.as_ref().and_then(|c| c.name.as_deref());
        let phone = customer
            .as_ref()
            .and_then(|c| c.phone.as_ref())
            .or(a.phone.as_ref())
            .map(PhoneE164::as_str)
            .filter(|_| crate::notify::may_text_number_from(channel));
        let email = customer
            .as_ref()
            .and_then(|c| c.email.as_ref().map(Email::as_str));
        let at = DateTime::<Utc>::from_timestamp_millis(start).unwrap_or_default();
        let day = relative_day(p, at, Utc::now());
        let time = at.with_timezone(&p.timezone.0).format("%-I:%M %p");
        let service = a.service.to_lowercase();
        let staff = a.staff.as_deref().map(|s| format!(" with {s}")).unwrap_or_default();
        let now = now_ms();
        let conv_id = conv.as_ref().map(|c| &c.id);
        let key = format!("{}{start}:{lead}", reminder_prefix(id));
        let mut queued = 0;
        let link = desk.host.links().map(|l| l.url(&b, id, a.revision, a.start_at));
        if desk.twilio.is_some()
            && let Some(phone) = phone
        {
            let change = match &link {
                Some(url) => format!("Change or cancel: {url}"),
                None => format!("Call {} if you need to change it.", p.phone.as_str()),
            };
            let sms = format!(
                "{}: a reminder that your {service}{staff} is {day} at {time}.{} {change}",
                p.name,
                address_line(p),
            );
            queued += outbox::queue_text(&mut t, conv_id, text_channel, "reminder", p.phone.as_str(), phone, &sms, Some(format!("{key}:sms")), now).await?;
        }
        if desk.mailer.is_some()
            && let Some(email) = email
        {
            let subject = format!("Reminder: your {service} {day} at {time}");
            let body = letter(
                p,
                name,
                &format!("a reminder that your {service}{staff} at {} is {} at {time}.", p.name, day),
                &match &link {
                    Some(url) => format!("If you need to change or cancel it, use {url} — or call us, or reply to this e-mail."),
                    None => "If you need to change or cancel it, call us or reply to this e-mail.".to_owned(),
                },
            );
            queued += outbox::queue_email(&mut t, conv_id, "reminder", email, &subject, &body, Some(format!("{key}:email")), now).await?;
        }
        tx.commit().await?;
        if queued > 0 {
            desk.wake_jobs();
        }
        Ok(())
    }
    .await;
    r.map_err(|e| format!("{e:#}"))
}
