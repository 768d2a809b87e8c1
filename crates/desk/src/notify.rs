//! How notices go out: confirmations to the customer (SMS and e-mail) and alerts to the owner
//! (`owner_alerts` in the profile), each stored with the job that sends it (the outbox). What a
//! notice says is the business of the domain that sends it ([`crate::actions`]); this module
//! decides where it goes and queues it, and holds the wording helpers they share.
//!
//! Every notice is stored, with the job that sends it, in the transaction of the action it
//! follows: a booking is never kept without its confirmation being queued, and nothing is
//! queued for an action that was rolled back. Nothing is queued for a way of sending that is not
//! configured ([`Senders`]). Alerts go out at once; the runner is woken for them.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use frontdesk_engine::Profile;
use frontdesk_engine::agent::{Channel, Contact};
use frontdesk_store::{ConversationId, Exec, StoreError, Tenant};

use crate::outbox::{queue_email, queue_text};

/// How much of what a caller said an alert quotes.
const QUOTE_CHARS: usize = 300;

/// The ways of sending that are configured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Senders {
    pub sms: bool,
    pub email: bool,
}

/// The customer a notice is for.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    /// The conversation's channel.
    pub channel: Channel,
    pub name: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// Who and what a turn's notices are for, and how they can be sent.
pub struct Notices<'a> {
    pub senders: Senders,
    pub profile: &'a Profile,
    pub conversation: Option<&'a ConversationId>,
    pub to: Recipient<'a>,
    pub now: i64,
    /// Self-service links for the customer's confirmations, when the installation has them.
    pub links: Option<&'a crate::selfservice::Links>,
}

/// What a notice queued.
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

impl<'a> Notices<'a> {
    /// The same notices for the contact an action names, completed from what is known.
    pub fn for_contact(&self, named: &'a Contact) -> Notices<'a> {
        Notices {
            to: Recipient {
                channel: self.to.channel,
                name: named.name.as_deref().or(self.to.name),
                phone: named.phone.as_ref().map(|p| p.as_str()).or(self.to.phone),
                email: named.email.as_ref().map(|e| e.as_str()).or(self.to.email),
            },
            ..*self
        }
    }

    /// The customer's name and number, as an alert names them.
    pub fn who(&self) -> String {
        match (self.to.name, self.to.phone.or(self.to.email)) {
            (Some(n), Some(c)) => format!("{n} ({c})"),
            (Some(n), None) => n.to_owned(),
            (None, Some(c)) => c.to_owned(),
            (None, None) => format!("a {} customer", channel_name(self.to.channel)),
        }
    }

    /// The customer's name, phone and e-mail, a line each, as an alert lists them.
    pub fn contact_lines(&self) -> String {
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
    pub async fn customer<E: Exec>(
        &self,
        t: &mut Tenant<E>,
        purpose: &str,
        sms: &str,
        subject: &str,
        body: &str,
    ) -> Result<Queued, StoreError> {
        let mut q = Queued::default();
        let in_thread = matches!(self.to.channel, Channel::Sms | Channel::Whatsapp);
        if self.senders.sms
            && !in_thread
            && may_text_number_from(self.to.channel)
            && let Some(phone) = self.to.phone
        {
            let from = self.profile.phone.as_str();
            q.messages += queue_text(
                t,
                self.conversation,
                Channel::Sms,
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

    /// An alert to the owner, by SMS and e-mail as `owner_alerts` says, stored under `purpose`
    /// so alerts of one kind can be counted.
    pub async fn owner_as<E: Exec>(
        &self,
        t: &mut Tenant<E>,
        purpose: &str,
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
                Channel::Sms,
                purpose,
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
                purpose,
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

/// Whether a number the customer gave on `channel` may be texted. One typed into the web chat
/// by an anonymous visitor is unproven: texting it would let anyone send the business's texts
/// (confirmations, reminders) to a stranger; the chat and e-mail carry them instead.
pub(crate) fn may_text_number_from(channel: Channel) -> bool {
    channel != Channel::Web
}

/// "today", "tomorrow", or the weekday and date, in the business's time zone.
pub(crate) fn relative_day(p: &Profile, at: DateTime<Utc>, now: DateTime<Utc>) -> String {
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
pub(crate) fn short_when(p: &Profile, at: DateTime<Utc>) -> String {
    at.with_timezone(&p.timezone.0)
        .format("%a %b %-d at %-I:%M %p")
        .to_string()
}

/// "Tuesday, November 24, 2026 at 2:00 PM (America/Denver)".
pub(crate) fn long_when(p: &Profile, at: DateTime<Utc>) -> String {
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

pub(crate) fn address_line(p: &Profile) -> String {
    p.address
        .as_deref()
        .map(|a| format!(" {a}."))
        .unwrap_or_default()
}

/// A plain-text letter to a customer, signed with the business's contact details.
pub(crate) fn letter(p: &Profile, name: Option<&str>, news: &str, next: &str) -> String {
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
pub(crate) fn quote(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= QUOTE_CHARS {
        return s.to_owned();
    }
    let cut: String = s.chars().take(QUOTE_CHARS).collect();
    format!("{}…", cut.trim_end())
}

pub(crate) fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Voice => "phone",
        Channel::Sms => "text",
        Channel::Whatsapp => "WhatsApp",
        Channel::Web => "web chat",
        Channel::Cli | Channel::Api => "the API",
    }
}

#[cfg(test)]
mod tests;
