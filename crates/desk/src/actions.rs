//! What the engine's actions do, one module per domain. Each module owns, for its actions, the
//! store call, the entry on the customer's timeline, the wording of its notices and the notices
//! themselves, all inside the turn's transaction. [`execute`] only dispatches: a new action is
//! one `Action` variant in the engine and one function here.

pub mod appointments;
pub mod handoff;
pub mod messages;
pub mod orders;
pub mod reservations;

use frontdesk_engine::agent::{Action, Contact, Outcome, State};
use frontdesk_store::{ConversationId, CustomerId, Exec, RecordId, StoreError, Tenant};

use crate::notify::{Notices, Queued};

/// What an action needs to be carried out: the turn's notices (the business, the conversation,
/// the customer's contact, the time) and the customer's record, if any.
pub struct Cx<'a> {
    pub notices: Notices<'a>,
    pub customer: Option<&'a CustomerId>,
}

impl<'a> Cx<'a> {
    pub fn conversation(&self) -> Option<&'a ConversationId> {
        self.notices.conversation
    }

    pub fn now(&self) -> i64 {
        self.notices.now
    }

    /// The notices for the contact an action names, completed from what the turn knows.
    pub fn to(&self, named: &'a Contact) -> Notices<'a> {
        self.notices.for_contact(named)
    }

    /// Adds an entry to the customer's timeline.
    pub async fn timeline<E: Exec>(
        &self,
        t: &mut Tenant<E>,
        kind: &str,
        summary: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        t.add_activity(
            self.customer,
            self.conversation(),
            kind,
            summary,
            &detail,
            self.now(),
        )
        .await
    }
}

/// What carrying out one action came to.
pub enum Done {
    /// It is done; these notices were queued.
    Kept(Queued),
    /// It is done, these notices were queued, and the reply goes on with these words (a
    /// self-service link for a thread the customer reads).
    Said(Queued, String),
    /// The store refused what the engine agreed to (a slot just taken): the reply says so
    /// instead, and with `resume` the flow that committed asks again.
    Refused { reply: String, resume: bool },
}

impl Done {
    fn kept() -> Self {
        Done::Kept(Queued::default())
    }
}

/// Carries out the engine's actions in the turn's transaction and queues the notices they call
/// for. An action the store refused is dropped from `out.actions` and its refusal replaces the
/// reply.
pub async fn execute<E: Exec>(
    t: &mut Tenant<E>,
    cx: &Cx<'_>,
    out: &mut Outcome,
    state: &mut State,
) -> Result<Queued, StoreError> {
    let mut queued = Queued::default();
    let mut kept = Vec::new();
    for a in std::mem::take(&mut out.actions) {
        let done = match &a {
            Action::BookAppointment {
                service,
                slot,
                contact,
            } => appointments::book(t, cx, service, slot, contact).await?,
            Action::RescheduleAppointment {
                appointment_id,
                slot,
            } => appointments::reschedule(t, cx, &record(appointment_id)?, slot).await?,
            Action::CancelAppointment { appointment_id } => {
                let by = frontdesk_store::states::CancelledBy::Caller;
                appointments::cancel(t, cx, &record(appointment_id)?, by, None).await?
            }
            Action::ReserveUnit {
                unit_type,
                move_in,
                monthly_rate,
                promotion,
                contact,
            } => {
                let r = reservations::Requested {
                    unit_type,
                    move_in: *move_in,
                    monthly_rate: *monthly_rate,
                    promotion: promotion.as_deref(),
                };
                reservations::reserve(t, cx, &r, contact).await?
            }
            Action::PlaceOrder {
                lines,
                fulfillment,
                address,
                subtotal,
                delivery_fee,
                total,
                contact,
            } => {
                let o = orders::Requested {
                    lines,
                    fulfillment: *fulfillment,
                    address: address.as_deref(),
                    subtotal: *subtotal,
                    delivery_fee: *delivery_fee,
                    total: *total,
                };
                orders::place(t, cx, &o, contact).await?
            }
            Action::CancelOrder { order_id } => orders::cancel(t, cx, &record(order_id)?).await?,
            Action::TakeMessage { text, contact } => {
                let m = messages::Message {
                    text,
                    name: contact.name.as_deref(),
                    phone: contact.phone.as_ref(),
                    summary: &format!("Message: {text}"),
                    detail: serde_json::json!({}),
                };
                messages::take(t, cx, &cx.to(contact), &m).await?.1
            }
            Action::Transfer { reason, .. } => handoff::transfer(t, cx, reason).await?,
            Action::Escalate {
                text,
                transfer,
                alert_owner,
                ..
            } => handoff::emergency(t, cx, text, *transfer, *alert_owner).await?,
            Action::RecordUnanswered { question } => messages::unanswered(t, cx, question).await?,
            Action::UpdateContact { .. } => Done::kept(),
        };
        match done {
            Done::Kept(q) => {
                queued.add(q);
                kept.push(a);
            }
            Done::Said(q, more) => {
                queued.add(q);
                kept.push(a);
                out.reply = format!("{} {more}", out.reply.trim_end());
                state.last_reply = Some(out.reply.clone());
            }
            Done::Refused { reply, resume } => {
                if resume {
                    state.slot_taken();
                }
                out.reply = reply;
                state.last_reply = Some(out.reply.clone());
            }
        }
    }
    out.actions = kept;
    Ok(queued)
}

/// A record the engine names by id (one it was shown from the store): an id that is not one
/// of ours is a record that does not exist.
fn record(id: &str) -> Result<RecordId, StoreError> {
    RecordId::parse(id).ok_or(StoreError::NotFound)
}
