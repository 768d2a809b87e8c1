//! Booking without the agent (the API, and the public booking page to come): the same free
//! slots the agent offers, the same booking action with its confirmation and reminders, and
//! the same refusal when the time was just taken, with the next free times to choose from.

use chrono::{DateTime, Duration, Utc};
use frontdesk_engine::Profile;
use frontdesk_engine::agent::{Channel, Contact, SlotRef};
use frontdesk_engine::schedule::{self, Busy, ScheduleError, Slot};
use frontdesk_store::appointments::Appointment;
use frontdesk_store::customers::CustomerFields;
use frontdesk_store::{BusinessId, Exec, RecordId, StoreError, Tenant, Tx};

use crate::Error;
use crate::actions::{self, Cx};
use crate::customers::find_customer;
use crate::host::Host;
use crate::notify::{Notices, Recipient};

/// How many free times a refusal offers instead.
pub const NEXT_OFFERED: usize = 3;
/// How far ahead a refusal looks for them, in days.
const NEXT_DAYS: u32 = 14;

/// What a customer asks to book.
#[derive(Debug, Clone)]
pub struct Request {
    pub service: String,
    pub start: DateTime<Utc>,
    /// A staff member by name; whoever is free first when absent.
    pub staff: Option<String>,
    pub contact: Contact,
}

#[derive(Debug)]
pub enum Outcome {
    Booked(Box<Appointment>),
    /// Not a free time (taken meanwhile, or never offered): the next free ones after it.
    Taken {
        next: Vec<Slot>,
    },
}

/// A phone number as a person types it into a form: E.164, or national in the business's
/// country ("(303) 555-0177").
pub fn read_phone(s: &str, p: &Profile) -> Option<frontdesk_engine::PhoneE164> {
    if let Ok(n) = frontdesk_engine::PhoneE164::parse(s.trim()) {
        return Some(n);
    }
    // International, spaced or dashed: "+44 20 7946 0958".
    if let Some(rest) = s.trim().strip_prefix('+')
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || " -.()".contains(c))
    {
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        return frontdesk_engine::PhoneE164::parse(&format!("+{digits}")).ok();
    }
    let words: Vec<String> = s
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '+')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let digits: usize = words
        .iter()
        .map(|w| w.chars().filter(char::is_ascii_digit).count())
        .sum();
    // Every character a digit or punctuation, and a whole number's worth of them.
    if words
        .iter()
        .any(|w| !w.chars().all(|c| c.is_ascii_digit() || c == '+'))
        || digits < 7
    {
        return None;
    }
    frontdesk_engine::nlu::entities::phone(&words, p.phone.calling_code())
}

fn invalid(e: ScheduleError) -> Error {
    Error::Invalid(match e {
        ScheduleError::UnknownService(s) => format!("service: there is no service called {s:?}"),
        ScheduleError::NoStaff(s) => format!("staff: nobody by that name offers {s:?}"),
    })
}

/// The appointments (but `except`, one being moved) and blocks that keep time busy around
/// `[from, until)`.
async fn busy<E: Exec>(
    t: &mut Tenant<E>,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    except: Option<&RecordId>,
) -> Result<Vec<Busy>, StoreError> {
    let from = from - Duration::days(1);
    let blocks = blocked(t, from, until).await?;
    Ok(
        t.upcoming_appointments(from.timestamp_millis(), until.timestamp_millis())
            .await?
            .into_iter()
            .filter(|a| Some(&a.id) != except)
            .filter_map(|a| {
                Some(Busy {
                    start: DateTime::from_timestamp_millis(a.start_at)?,
                    end: DateTime::from_timestamp_millis(a.end_at)?,
                    staff: a.staff,
                })
            })
            .chain(blocks)
            .collect(),
    )
}

/// Time off and blocks over `[from, until)` as busy times.
pub async fn blocked<E: Exec>(
    t: &mut Tenant<E>,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Busy>, StoreError> {
    Ok(
        t.blocks_between(from.timestamp_millis(), until.timestamp_millis())
            .await?
            .into_iter()
            .filter_map(|b| {
                Some(Busy {
                    start: DateTime::from_timestamp_millis(b.start_at)?,
                    end: DateTime::from_timestamp_millis(b.end_at)?,
                    staff: b.staff,
                })
            })
            .collect(),
    )
}

/// Free times for `service` (with `staff` when named) on `days` local days from `from`.
pub async fn free<E: Exec>(
    t: &mut Tenant<E>,
    p: &Profile,
    service: &str,
    staff: Option<&str>,
    from: chrono::NaiveDate,
    days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<Slot>, Error> {
    free_except(t, p, service, staff, from, days, now, None).await
}

/// [`free`] as if the appointment `except` were not booked: the times it may move to.
#[allow(clippy::too_many_arguments)]
pub async fn free_except<E: Exec>(
    t: &mut Tenant<E>,
    p: &Profile,
    service: &str,
    staff: Option<&str>,
    from: chrono::NaiveDate,
    days: u32,
    now: DateTime<Utc>,
    except: Option<&RecordId>,
) -> Result<Vec<Slot>, Error> {
    let start = from
        .and_hms_opt(0, 0, 0)
        .map_or(now, |d| d.and_utc() - Duration::days(1));
    let until = start + Duration::days(i64::from(days) + 3);
    let busy = busy(t, start.min(now), until, except).await?;
    schedule::free_slots_with(p, service, staff, now, from, days, &busy).map_err(invalid)
}

/// Books `r` if its start is one of the free times (for its staff member, or the first free
/// one), under the business's lock, with the confirmation and reminders the agent's bookings
/// get; otherwise [`Outcome::Taken`] with the next free times. Call in a transaction and
/// commit it on `Booked`.
pub async fn book(
    host: &Host,
    tx: &mut Tx,
    business: &BusinessId,
    r: &Request,
    now: DateTime<Utc>,
) -> Result<Outcome, Error> {
    let loaded = host.load(&mut tx.tenant(business)).await?;
    let p = &loaded.profile;
    let service = schedule::find_service(p, &r.service)
        .ok_or_else(|| invalid(ScheduleError::UnknownService(r.service.clone())))?
        .name
        .as_str()
        .to_owned();
    let mut t = tx.tenant(business);
    t.lock_business().await?;
    let day = r.start.with_timezone(&p.timezone.0).date_naive();
    let slots = free(&mut t, p, &service, r.staff.as_deref(), day, 1, now).await?;
    let Some(slot) = slots.iter().find(|s| s.start == r.start) else {
        return Ok(Outcome::Taken {
            next: next_free(&mut t, p, &service, r.staff.as_deref(), r.start, now).await?,
        });
    };
    let slot = SlotRef {
        start: slot.start.with_timezone(&Utc),
        end: slot.end.with_timezone(&Utc),
        staff: slot.staff.clone(),
    };
    let c = &r.contact;
    let customer = match find_customer(&mut t, c.phone.as_ref(), c.email.as_ref()).await? {
        Some(id) => id,
        None => {
            let fields = CustomerFields {
                name: c.name.clone(),
                phone: c.phone.clone(),
                email: c.email.clone(),
                ..Default::default()
            };
            t.create_customer(&fields, now.timestamp_millis()).await?.id
        }
    };
    let phone = c.phone.as_ref().map(|p| p.as_str().to_owned());
    let email = c.email.as_ref().map(|e| e.as_str().to_owned());
    let cx = Cx {
        notices: Notices {
            senders: host.senders(),
            profile: p,
            conversation: None,
            to: Recipient {
                channel: Channel::Api,
                name: c.name.as_deref(),
                phone: phone.as_deref(),
                email: email.as_deref(),
            },
            now: now.timestamp_millis(),
            links: host.links(),
        },
        customer: Some(&customer),
    };
    match actions::appointments::book(&mut t, &cx, &service, &slot, c).await? {
        actions::Done::Refused { .. } => Ok(Outcome::Taken {
            next: next_free(&mut t, p, &service, r.staff.as_deref(), r.start, now).await?,
        }),
        actions::Done::Kept(_) | actions::Done::Said(..) => {
            // The one booked appointment of this customer at this start: the overlap rule
            // allows no other for its staff member, and this transaction just made it.
            let start = slot.start.timestamp_millis();
            let mine = t
                .upcoming_appointments(start, start + 1)
                .await?
                .into_iter()
                .find(|a| {
                    a.customer_id.as_ref() == Some(&customer)
                        && a.start_at == start
                        && a.staff == slot.staff
                })
                .ok_or_else(|| StoreError::broken("a booking just made is not in the store"))?;
            Ok(Outcome::Booked(Box::new(mine)))
        }
    }
}

/// The first free times at or after `after` (or from now), over the next days.
pub async fn next_free<E: Exec>(
    t: &mut Tenant<E>,
    p: &Profile,
    service: &str,
    staff: Option<&str>,
    after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Slot>, Error> {
    let after = after.max(now);
    let day = after.with_timezone(&p.timezone.0).date_naive();
    Ok(free(t, p, service, staff, day, NEXT_DAYS, now)
        .await?
        .into_iter()
        .filter(|s| s.start >= after)
        .take(NEXT_OFFERED)
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_number_is_read_as_people_type_it_into_a_form() {
        let p = Profile::from_yaml(
            "version: 1\nslug: s\nname: S\nkind: appointments\ntimezone: America/Denver\nphone: \"+13035550140\"\n",
        )
        .unwrap();
        for (typed, want) in [
            ("(303) 555-0177", Some("+13035550177")),
            ("303.555.0177", Some("+13035550177")),
            ("+1 303 555 0177", Some("+13035550177")),
            ("+44 20 7946 0958", Some("+442079460958")),
            ("12", None),
            ("call me maybe", None),
            ("303-555-0177 ext 4", None),
            ("", None),
        ] {
            assert_eq!(
                read_phone(typed, &p)
                    .map(|n| n.as_str().to_owned())
                    .as_deref(),
                want,
                "{typed}"
            );
        }
    }
}
