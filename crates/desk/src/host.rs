//! The host of the conversation engine: loads what a turn needs from the store, runs the pure
//! engine, and commits the turn — both messages, the new state, the customer and every action —
//! in one transaction. Every channel (API, CLI, and later phone, SMS and web chat) goes through
//! [`Host::turn`], so the business logic lives once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use frontdesk_engine::Profile;

use frontdesk_engine::PhoneE164;
use frontdesk_engine::agent::{
    self, Action, Agent, Ask, CallOutcome, Channel, Context, Reading, State, guard, tools,
};
use frontdesk_engine::nlu::knowledge::Knowledge;
use frontdesk_store::conversations::{Conversation, NewMessage};
use frontdesk_store::states::{ConversationStatus, MessageRole};
use frontdesk_store::{BusinessId, ConversationId, Db, StoreError, Tenant, Tx};
use serde::Serialize;
use serde_json::json;

use crate::actions::{self, Cx};
use crate::customers::{self, find_customer, known_contact, resolve_customer};
use crate::notify::{Notices, Recipient, Senders};
use crate::providers::llm::Llm;

/// A profile with its retrieval index, built once per profile version.
pub struct Loaded {
    pub profile: Profile,
    pub knowledge: Knowledge,
    /// The skills as Chat Completions tools, for LLM mode.
    pub tools: serde_json::Value,
}

/// The engine and the per-business indexes, shared by all requests.
pub struct Host {
    agent: Agent,
    cache: Mutex<HashMap<BusinessId, (i64, Arc<Loaded>)>>,
    llm: Option<Llm>,
    senders: Senders,
    /// Woken when a turn queued notices, so alerts go out at once.
    wake: Option<Arc<tokio::sync::Notify>>,
    /// Self-service links for confirmations and reminders (none without a public address).
    links: Option<Arc<crate::selfservice::Links>>,
    /// What happens in conversations as it happens, for the dashboard's live feed.
    live: tokio::sync::broadcast::Sender<Live>,
    /// The feed shared with the installation's other servers (PostgreSQL).
    sharing: std::sync::OnceLock<Arc<crate::live::Sharing>>,
}

/// `t` as the business's clock shows it.
fn clock(t: DateTime<Utc>, p: &Profile) -> String {
    t.with_timezone(&p.timezone.0)
        .format("%-I:%M %p")
        .to_string()
}

/// Something that happened in a conversation, told to the dashboard's live feed once it is
/// stored (and, on PostgreSQL, to the installation's other servers: see [`crate::live`]).
#[derive(Debug, Clone, Serialize)]
pub struct Live {
    #[serde(skip)]
    pub business: BusinessId,
    /// `started` (a new conversation, with its greeting when it has one) or `turn` (what the
    /// caller said and the reply).
    pub kind: &'static str,
    pub conversation: String,
    pub channel: &'static str,
    pub address: Option<String>,
    pub caller: Option<String>,
    pub reply: Option<String>,
    /// The turn raised an emergency.
    pub emergency: bool,
    pub at: i64,
    /// `at` on the business's clock ("2:05 PM").
    pub time: String,
}

/// A turn taken in a transaction not yet committed: the reply, how many notices it queued,
/// and the dialogue state after it.
struct Taken {
    reply: TurnReply,
    queued: usize,
    state: String,
}

/// What a turn did, for the channel or API that carried it.
#[derive(Debug, Clone, Serialize)]
pub struct TurnReply {
    pub conversation_id: ConversationId,
    pub reply: String,
    pub actions: Vec<Action>,
    pub intent: String,
    pub confidence: f32,
    pub entities: frontdesk_engine::agent::Entities,
    pub source: Option<frontdesk_engine::nlu::knowledge::Source>,
    /// The conversation is over (goodbye, transfer or emergency hand-off).
    pub ended: bool,
    pub status: ConversationStatus,
    /// The language model that read this turn or phrased the reply (LLM mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// In LLM mode, why the built-in engine read or phrased this turn instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// This input was taken before (a retried webhook): the reply is the one given then and
    /// nothing was done again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
    /// What the agent is waiting for (`name`, `phone`, `when`, `confirm`, …), so a chat
    /// window can offer the right input (a contact form for `name` and `phone`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asking: Option<Ask>,
    /// A member of the business holds the thread (take-over): the caller's message was kept and
    /// the agent said nothing (`reply` is empty); the person answers from the dashboard.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
}

impl TurnReply {
    /// A turn the agent did not answer: a held thread's, or an input taken before.
    fn silent(c: &Conversation) -> Self {
        TurnReply {
            conversation_id: c.id.clone(),
            reply: String::new(),
            actions: Vec::new(),
            intent: String::new(),
            confidence: 0.0,
            entities: Default::default(),
            source: None,
            ended: c.status != ConversationStatus::Open,
            status: c.status,
            model: None,
            fallback: None,
            duplicate: false,
            asking: None,
            held: c.held_by.is_some(),
        }
    }
}

/// What was said, trimmed: refused when empty or longer than [`MAX_TURN_CHARS`].
fn said(text: &str) -> Result<&str, TurnError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(TurnError::Invalid("text: must not be empty".into()));
    }
    if text.chars().count() > MAX_TURN_CHARS {
        return Err(TurnError::Invalid(format!(
            "text: longer than {MAX_TURN_CHARS} characters"
        )));
    }
    Ok(text)
}

/// What a member does to an appointment.
#[derive(Debug, Clone)]
pub enum AppointmentChange {
    /// Called off by staff or by the customer (their link), and why when they said.
    Cancel {
        by: frontdesk_store::states::CancelledBy,
        reason: Option<String>,
    },
    /// To `start` (ms), with `staff` or the same person.
    Move { start: i64, staff: Option<String> },
    /// Completed or a no-show.
    Mark(frontdesk_store::states::AppointmentStatus),
}

/// Whether a thread on `channel` can be taken over by a person: text and chat threads (a call
/// is passed to a person by a transfer instead).
pub fn takes_over(channel: Channel) -> bool {
    matches!(channel, Channel::Sms | Channel::Whatsapp | Channel::Web)
}

/// Who a new conversation is with and how it begins.
#[derive(Debug, Clone, Copy)]
pub struct Opening<'a> {
    pub channel: Channel,
    /// The customer's phone number, when the channel tells it (caller id, a texting number).
    pub phone: Option<&'a PhoneE164>,
    /// What the conversation is kept under: the phone number, or a web chat visitor's id.
    pub address: Option<&'a str>,
    /// The greeting is stored as the first message (a text thread starts with the customer's
    /// words instead).
    pub greeted: bool,
}

impl<'a> Opening<'a> {
    /// A greeted conversation on `channel` with the customer at `phone`, if known.
    pub fn new(channel: Channel, phone: Option<&'a PhoneE164>) -> Self {
        Self {
            channel,
            phone,
            address: phone.map(PhoneE164::as_str),
            greeted: true,
        }
    }

    /// Kept under `address` rather than the phone number.
    pub fn at(self, address: Option<&'a str>) -> Self {
        Self { address, ..self }
    }

    /// Without the greeting stored: the customer spoke first.
    pub fn ungreeted(self) -> Self {
        Self {
            greeted: false,
            ..self
        }
    }
}

/// Bookkeeping a channel commits together with a turn, in the turn's transaction.
#[derive(Debug, Default, Clone, Copy)]
pub struct Also<'a> {
    /// The provider's id of this input: a second delivery gets the reply given the first time,
    /// with nothing done again.
    pub external_id: Option<&'a str>,
    /// The phone call this turn was spoken on: its run of silences ends and its outcome rises.
    pub call_sid: Option<&'a str>,
    /// The stored webhook that carried the turn, marked handled.
    pub event: Option<&'a str>,
}

/// Why a turn was refused.
#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the conversation has ended")]
    Ended,
    #[error("{0}")]
    Invalid(String),
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

/// Longest turn accepted, in characters.
pub const MAX_TURN_CHARS: usize = 2000;

impl Host {
    /// Trains the classifier (a few milliseconds).
    pub fn new() -> Self {
        Self {
            agent: Agent::new(),
            cache: Mutex::new(HashMap::new()),
            llm: None,
            senders: Senders::default(),
            live: tokio::sync::broadcast::channel(1024).0,
            sharing: std::sync::OnceLock::new(),
            wake: None,
            links: None,
        }
    }

    /// Puts a self-service link (see, move, cancel) in confirmations and reminders.
    pub fn with_links(mut self, links: Option<Arc<crate::selfservice::Links>>) -> Self {
        self.links = links;
        self
    }

    /// The self-service links, when the installation has a public address.
    pub fn links(&self) -> Option<&crate::selfservice::Links> {
        self.links.as_deref()
    }

    /// Queues confirmations, alerts and reminders for what turns commit, by the ways of
    /// sending that are configured, and wakes the job runner with `wake` when it did.
    pub fn with_notices(mut self, senders: Senders, wake: Arc<tokio::sync::Notify>) -> Self {
        self.senders = senders;
        self.wake = Some(wake);
        self
    }

    /// Turns on the LLM mode with this endpoint (`None`: the built-in engine alone).
    pub fn with_llm(mut self, llm: Option<Llm>) -> Self {
        self.llm = llm;
        self
    }

    /// The ways of sending notices that are configured.
    pub fn senders(&self) -> Senders {
        self.senders
    }

    pub fn llm(&self) -> Option<&Llm> {
        self.llm.as_ref()
    }

    pub fn agent(&self) -> &Agent {
        &self.agent
    }

    /// The business's profile and index, rebuilt only when the profile changed; read through
    /// `t` (a transaction's tenant or the database's).
    pub async fn load<E: frontdesk_store::Exec>(
        &self,
        t: &mut Tenant<E>,
    ) -> Result<Arc<Loaded>, StoreError> {
        let b = t.business().await?;
        let business = &b.id;
        if let Ok(cache) = self.cache.lock()
            && let Some((v, l)) = cache.get(business)
            && *v == b.updated_at
        {
            return Ok(l.clone());
        }
        let profile = t.profile().await?;
        let knowledge = Knowledge::build(&profile);
        let tools = tools::definitions(&profile);
        let loaded = Arc::new(Loaded {
            profile,
            knowledge,
            tools,
        });
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(business.clone(), (b.updated_at, loaded.clone()));
        }
        Ok(loaded)
    }

    /// Opens a conversation and returns it with the greeting (stored as its first message
    /// when the opening says so).
    #[tracing::instrument(name = "open", skip_all, fields(business = %business, channel = o.channel.as_str()))]
    pub async fn open(
        &self,
        db: &Db,
        business: &BusinessId,
        o: Opening<'_>,
        now: DateTime<Utc>,
    ) -> Result<(Conversation, String), TurnError> {
        let Opening {
            channel,
            phone,
            address,
            greeted,
        } = o;
        let mut tx = db.begin().await?;
        let loaded = self.load(&mut tx.tenant(business)).await?;
        let (mut state, greeting) = self.greeted(&loaded, channel, phone, now);
        let mut t = tx.tenant(business);
        let customer = match phone {
            Some(p) => find_customer(&mut t, Some(p), None).await?,
            None => None,
        };
        // A returning customer is not asked again for what is on file (the read-back before
        // anything is booked says the name, so a wrong one is put right there).
        if let Some(id) = &customer {
            let c = t.customer(id).await?;
            state.contact.name = c.name;
            state.contact.email = c.email;
        }
        let state_json =
            serde_json::to_string(&state).map_err(|e| StoreError::backend("dialogue state", e))?;
        let conv = t
            .create_conversation(channel, address, customer.as_ref(), &state_json, ms(now))
            .await?;
        if greeted {
            t.add_message(
                &conv.id,
                &NewMessage::new(MessageRole::Agent, &greeting),
                ms(now),
            )
            .await?;
        }
        tx.commit().await?;
        self.tell(|| Live {
            business: business.clone(),
            kind: "started",
            conversation: conv.id.to_string(),
            channel: channel.as_str(),
            address: address.map(str::to_owned),
            caller: None,
            reply: greeted.then(|| greeting.clone()),
            emergency: false,
            at: ms(now),
            time: clock(now, &loaded.profile),
        });
        Ok((conv, greeting))
    }

    /// Listens to what happens in conversations (see [`Live`]), on every server of the
    /// installation once [`Host::share_live`] was called.
    pub fn listen(&self) -> tokio::sync::broadcast::Receiver<Live> {
        let rx = self.live.subscribe();
        if let Some(s) = self.sharing.get() {
            s.follow(&self.live);
        }
        rx
    }

    /// Shares the live feed with the installation's other servers through `db` (PostgreSQL;
    /// on SQLite one server serves and nothing is shared). Called once, at start.
    pub fn share_live(&self, db: &Db) {
        if db.engine() == "postgres" {
            let _ = self.sharing.set(crate::live::Sharing::start(db.clone()));
        }
    }

    /// Tells the live feed what `event` makes: this server's dashboards when any listens (a
    /// turn with no dashboard open builds nothing), and the other servers when shared.
    fn tell(&self, event: impl FnOnce() -> Live) {
        let shared = self.sharing.get();
        if self.live.receiver_count() == 0 && shared.is_none() {
            return;
        }
        let l = event();
        if let Some(s) = shared {
            s.publish(&l);
        }
        if self.live.receiver_count() > 0 {
            let _ = self.live.send(l);
        }
    }

    /// A fresh dialogue state for a conversation opened again, knowing the caller's number.
    pub async fn fresh_state(
        &self,
        db: &Db,
        business: &BusinessId,
        channel: Channel,
        address: Option<&PhoneE164>,
        now: DateTime<Utc>,
    ) -> Result<String, TurnError> {
        let loaded = self.load(&mut db.tenant(business)).await?;
        let (mut state, _) = self.greeted(&loaded, channel, address, now);
        state.last_reply = None;
        serde_json::to_string(&state)
            .map_err(|e| TurnError::Store(StoreError::backend("dialogue state", e)))
    }

    /// The state of a conversation that has just been greeted, and the greeting.
    fn greeted(
        &self,
        loaded: &Loaded,
        channel: Channel,
        address: Option<&PhoneE164>,
        now: DateTime<Utc>,
    ) -> (State, String) {
        let ctx = Context {
            profile: &loaded.profile,
            knowledge: &loaded.knowledge,
            now,
            channel,
            caller: address.cloned(),
            appointments: &[],
            blocked: &[],
            orders: &[],
        };
        let mut state = State::default();
        let greeting = self.agent.greet(&ctx, &mut state);
        (state, greeting)
    }

    /// Runs one turn and commits everything it did. In LLM mode the model is consulted first,
    /// outside any transaction; whatever it gives is then applied by the same engine inside the
    /// turn's transaction, and whatever it fails to give the built-in engine supplies.
    /// A channel's bookkeeping is committed in the same transaction (see [`Also`]); an input
    /// delivered twice gets the reply given the first time.
    #[tracing::instrument(name = "turn", skip_all, fields(business = %business, conversation = %conv_id, call = also.call_sid))]
    pub async fn turn(
        &self,
        db: &Db,
        business: &BusinessId,
        conv_id: &ConversationId,
        text: &str,
        also: Also<'_>,
        now: DateTime<Utc>,
    ) -> Result<TurnReply, TurnError> {
        let external_id = also.external_id;
        if let Some(key) = external_id
            && let Some(r) = replay(&mut db.tenant(business), key).await?
        {
            return Ok(r);
        }
        let text = said(text)?;
        // A held thread's turn asks no model: nobody is going to read its answer.
        let consulted = match &self.llm {
            Some(llm) if !self.held(db, business, conv_id).await? => {
                Some(self.consult(llm, db, business, conv_id, text, now).await?)
            }
            _ => None,
        };
        let mut tx = db.begin().await?;
        tx.tenant(business).lock_business().await?;
        // Checked again under the lock: two deliveries of one input may race.
        if let Some(key) = external_id
            && let Some(r) = replay(&mut tx.tenant(business), key).await?
        {
            return Ok(r);
        }
        let snap = self.snapshot(&mut tx, business, conv_id, now).await?;
        if snap.conv.held_by.is_some() {
            return self.held_turn(tx, business, &snap, text, also, now).await;
        }
        let taken = self
            .take(&mut tx, business, &snap, text, consulted, also, now)
            .await?;
        tx.commit().await?;
        let r = taken.reply;
        let conv = &snap.conv;
        self.tell(|| Live {
            business: business.clone(),
            kind: "turn",
            conversation: conv.id.to_string(),
            channel: conv.channel.as_str(),
            address: conv.address.clone(),
            caller: Some(text.to_owned()),
            reply: Some(r.reply.clone()),
            emergency: Action::call_outcome(&r.actions) == CallOutcome::Emergency,
            at: ms(now),
            time: clock(now, &snap.loaded.profile),
        });
        if taken.queued > 0
            && let Some(w) = &self.wake
        {
            w.notify_one();
        }
        Ok(r)
    }

    /// A turn in `tx`, for [`Host::turn`] to commit or the test console to roll back: the
    /// engine's reply to `text`, and every record and notice it makes, written in `tx`.
    #[allow(clippy::too_many_arguments)]
    async fn take(
        &self,
        tx: &mut Tx,
        business: &BusinessId,
        snap: &Snapshot,
        text: &str,
        consulted: Option<Consulted>,
        also: Also<'_>,
        now: DateTime<Utc>,
    ) -> Result<Taken, TurnError> {
        let external_id = also.external_id;
        let ctx = snap.context(now);
        let p = ctx.profile;
        let mut state = snap.state.clone();
        let reading = consulted.as_ref().and_then(|c| c.reading.as_ref());
        let mut out = self.agent.respond_with(&ctx, &mut state, text, reading);
        // The model's wording is used only for the very reply it was checked against: if the
        // conversation or the calendar moved on meanwhile, the engine's own words stand.
        let mut phrased_by = None;
        if let Some(c) = &consulted
            && let Some((draft, phrased)) = &c.phrased
            && *draft == out.reply
        {
            out.reply.clone_from(phrased);
            state.last_reply = Some(out.reply.clone());
            phrased_by = Some(c.model.as_str());
        }
        let read_by = consulted
            .as_ref()
            .filter(|c| c.reading.is_some())
            .map(|c| c.model.as_str());

        let conv = &snap.conv;
        let at = ms(now);
        let mut t = tx.tenant(business);
        let (customer, new_customer) =
            resolve_customer(&mut t, &state, conv.customer_id.as_ref(), at).await?;
        let entities = serde_json::to_string(&out.entities).ok();
        t.add_message(
            &conv.id,
            &NewMessage {
                intent: Some(out.intent.as_str()),
                confidence: Some(f64::from(out.confidence)),
                entities,
                model: read_by,
                external_id,
                ..NewMessage::new(MessageRole::Caller, text)
            },
            at,
        )
        .await?;
        let mut status = ConversationStatus::Open;
        let acting = !out.actions.is_empty() && self.senders != Senders::default();
        let contact = known_contact(&mut t, &state, customer.as_ref(), acting).await?;
        let notices = Notices {
            senders: self.senders,
            profile: p,
            conversation: Some(&conv.id),
            to: Recipient {
                channel: conv.channel,
                name: contact.name.as_deref(),
                phone: contact.phone.as_ref().map(|p| p.as_str()),
                email: contact.email.as_ref().map(|e| e.as_str()),
            },
            now: at,
            links: self.links(),
        };
        let cx = Cx {
            notices,
            customer: customer.as_ref(),
        };
        let mut queued = actions::execute(&mut t, &cx, &mut out, &mut state).await?;
        if out.actions.iter().any(Action::hands_off) {
            status = ConversationStatus::HandedOff;
        }
        // A new customer is a lead for the owner, unless an alert this turn already names them.
        if new_customer && !queued.owner {
            queued.add(customers::lead(&mut t, &cx.notices, text).await?);
        }
        if out.end && status == ConversationStatus::Open {
            status = ConversationStatus::Ended;
        }
        let source = out.source.and_then(|s| serde_json::to_string(&s).ok());
        let actions = serde_json::to_string(&out.actions).ok();
        // A reply the store changed (a slot just taken) is the engine's, not the model's.
        if phrased_by.is_some() && state.last_reply.as_deref() != Some(out.reply.as_str()) {
            phrased_by = None;
        }
        t.add_message(
            &conv.id,
            &NewMessage {
                source,
                actions,
                model: phrased_by,
                ..NewMessage::new(MessageRole::Agent, &out.reply)
            },
            at,
        )
        .await?;
        let state_json =
            serde_json::to_string(&state).map_err(|e| StoreError::backend("dialogue state", e))?;
        t.update_conversation(&conv.id, &state_json, status, customer.as_ref(), at)
            .await?;
        if let Some(sid) = also.call_sid {
            t.call_turn_taken(sid, Action::call_outcome(&out.actions), at)
                .await?;
        }
        if let Some(ev) = also.event {
            frontdesk_store::webhooks::finish(&mut *tx, ev, None, at).await?;
        }
        Ok(Taken {
            reply: TurnReply {
                conversation_id: conv.id.clone(),
                reply: out.reply,
                actions: out.actions,
                intent: out.intent.as_str().to_owned(),
                confidence: out.confidence,
                entities: out.entities,
                source: out.source,
                ended: status != ConversationStatus::Open,
                status,
                model: read_by.or(phrased_by).map(str::to_owned),
                fallback: consulted.and_then(|c| c.fallback),
                duplicate: false,
                asking: state.asking(),
                held: false,
            },
            queued: queued.messages,
            state: state_json,
        })
    }

    /// A turn of the test console: the agent answers `text` as on `channel`, from `state` (the
    /// dialogue so far; none starts a new one and also returns the greeting), doing everything
    /// a real turn does (bookings, customers, notices) inside a transaction that is then rolled
    /// back, so no record is kept and nothing is sent. The reply and the state after it.
    pub async fn rehearse(
        &self,
        db: &Db,
        business: &BusinessId,
        channel: Channel,
        state: Option<&str>,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<(TurnReply, String), TurnError> {
        let text = said(text)?;
        let state = match state {
            Some(s) => s.to_owned(),
            None => self.fresh_state(db, business, channel, None, now).await?,
        };
        let mut tx = db.begin().await?;
        let conv = tx
            .tenant(business)
            .create_conversation(channel, None, None, &state, ms(now))
            .await?;
        let snap = self.snapshot(&mut tx, business, &conv.id, now).await?;
        let taken = self
            .take(&mut tx, business, &snap, text, None, Also::default(), now)
            .await?;
        // Dropped uncommitted: rolled back.
        drop(tx);
        Ok((taken.reply, taken.state))
    }

    /// The greeting a new conversation on `channel` starts with.
    pub async fn greeting(
        &self,
        db: &Db,
        business: &BusinessId,
        channel: Channel,
        now: DateTime<Utc>,
    ) -> Result<String, TurnError> {
        let loaded = self.load(&mut db.tenant(business)).await?;
        Ok(self.greeted(&loaded, channel, None, now).1)
    }

    /// A member's change to an appointment (the dashboard or the API): cancelled, moved (kept
    /// as long; the same guard against double booking as the agent's), or marked completed or
    /// a no-show. The customer is told of a cancellation or a move on their channel, and the
    /// reminders follow, as when the agent does it. Written in `tx` for the caller to audit
    /// and commit; then [`Host::wake`].
    pub async fn change_appointment(
        &self,
        tx: &mut Tx,
        business: &BusinessId,
        id: &frontdesk_store::RecordId,
        change: AppointmentChange,
        now: DateTime<Utc>,
    ) -> Result<frontdesk_store::appointments::Appointment, TurnError> {
        use frontdesk_store::states::AppointmentStatus;
        let loaded = self.load(&mut tx.tenant(business)).await?;
        let p = &loaded.profile;
        let mut t = tx.tenant(business);
        t.lock_business().await?;
        let a = t.appointment(id).await?;
        if a.status != AppointmentStatus::Booked {
            return Err(TurnError::Store(StoreError::Conflict(format!(
                "the appointment is already {}",
                a.status
            ))));
        }
        let customer = match &a.customer_id {
            Some(c) => Some(t.customer(c).await?),
            None => None,
        };
        let (name, phone, email) = match &customer {
            Some(c) => (
                c.name.clone(),
                c.phone.as_ref().map(|p| p.as_str().to_owned()),
                c.email.as_ref().map(|e| e.as_str().to_owned()),
            ),
            None => (None, None, None),
        };
        let cx = Cx {
            notices: Notices {
                senders: self.senders,
                profile: p,
                conversation: a.conversation_id.as_ref(),
                // Outside any thread (nobody told the customer there): by text to the number
                // on file, and by e-mail, as for an API conversation.
                to: Recipient {
                    channel: Channel::Api,
                    name: name.as_deref(),
                    phone: phone.as_deref(),
                    email: email.as_deref(),
                },
                now: ms(now),
                links: self.links(),
            },
            customer: a.customer_id.as_ref(),
        };
        let done = match change {
            AppointmentChange::Cancel { by, reason } => {
                actions::appointments::cancel(&mut t, &cx, id, by, reason.as_deref()).await?
            }
            AppointmentChange::Move { start, staff } => {
                let len = a.end_at - a.start_at;
                let start_at = DateTime::<Utc>::from_timestamp_millis(start).unwrap_or(now);
                let slot = agent::SlotRef {
                    start: start_at,
                    end: start_at + Duration::milliseconds(len),
                    staff: staff.or(a.staff.clone()),
                };
                actions::appointments::reschedule(&mut t, &cx, id, &slot).await?
            }
            AppointmentChange::Mark(status) => {
                t.set_appointment_status(id, status, ms(now)).await?;
                actions::Done::Kept(Default::default())
            }
        };
        if let actions::Done::Refused { .. } = done {
            return Err(TurnError::Store(StoreError::Conflict(
                "that time is already booked".into(),
            )));
        }
        Ok(t.appointment(id).await?)
    }

    /// Wakes the senders after a change that queued notices was committed.
    pub fn wake(&self) {
        if let Some(w) = &self.wake {
            w.notify_one();
        }
    }

    /// Whether a member holds the thread (take-over).
    async fn held(
        &self,
        db: &Db,
        business: &BusinessId,
        conv: &ConversationId,
    ) -> Result<bool, StoreError> {
        Ok(db
            .tenant(business)
            .conversation(conv)
            .await?
            .held_by
            .is_some())
    }

    /// A turn on a held thread: the caller's message is kept (and shown live to whoever holds
    /// it); the agent reads nothing, does nothing and says nothing.
    async fn held_turn(
        &self,
        mut tx: Tx,
        business: &BusinessId,
        snap: &Snapshot,
        text: &str,
        also: Also<'_>,
        now: DateTime<Utc>,
    ) -> Result<TurnReply, TurnError> {
        let conv = &snap.conv;
        let at = ms(now);
        let mut t = tx.tenant(business);
        t.add_message(
            &conv.id,
            &NewMessage {
                external_id: also.external_id,
                ..NewMessage::new(MessageRole::Caller, text)
            },
            at,
        )
        .await?;
        t.count_held_turn(&conv.id, at).await?;
        if let Some(ev) = also.event {
            frontdesk_store::webhooks::finish(&mut tx, ev, None, at).await?;
        }
        tx.commit().await?;
        self.tell(|| Live {
            business: business.clone(),
            kind: "turn",
            conversation: conv.id.to_string(),
            channel: conv.channel.as_str(),
            address: conv.address.clone(),
            caller: Some(text.to_owned()),
            reply: None,
            emergency: false,
            at,
            time: clock(now, &snap.loaded.profile),
        });
        Ok(TurnReply::silent(conv))
    }

    /// A member's reply by hand on a text or chat thread (take-over): kept in the transcript
    /// with its author, sent through the thread's own channel (SMS and WhatsApp from the
    /// business's number; a web chat gets it on the visitor's open window, through the live
    /// feed), and the thread held for them if nobody held it.
    pub async fn staff_reply(
        &self,
        db: &Db,
        business: &BusinessId,
        conv_id: &ConversationId,
        author: &frontdesk_store::UserId,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Conversation, TurnError> {
        let text = said(text)?;
        let loaded = self.load(&mut db.tenant(business)).await?;
        let p = &loaded.profile;
        let at = ms(now);
        let mut tx = db.begin().await?;
        let mut t = tx.tenant(business);
        t.lock_business().await?;
        let conv = t.conversation(conv_id).await?;
        if !takes_over(conv.channel) {
            return Err(TurnError::Invalid(
                "only text and chat threads are answered by hand".into(),
            ));
        }
        // A web chat's reply reaches the visitor's open window; a text goes to their number.
        let to = match (conv.channel, &conv.address) {
            (Channel::Web, _) => None,
            (_, Some(a)) => Some(a.clone()),
            (_, None) => {
                return Err(TurnError::Invalid(
                    "the thread has no number to send to".into(),
                ));
            }
        };
        if conv.held_by.is_none() {
            t.hold_conversation(conv_id, author, at).await?;
        }
        t.add_message(
            conv_id,
            &NewMessage {
                author: Some(author),
                ..NewMessage::new(MessageRole::Agent, text)
            },
            at,
        )
        .await?;
        if let Some(to) = &to {
            crate::outbox::queue_text(
                &mut t,
                Some(conv_id),
                conv.channel,
                "staff",
                p.phone.as_str(),
                to,
                text,
                None,
                at,
            )
            .await?;
        }
        let conv = t.conversation(conv_id).await?;
        tx.commit().await?;
        if let Some(w) = &self.wake {
            w.notify_one();
        }
        self.tell(|| Live {
            business: business.clone(),
            kind: "staff",
            conversation: conv.id.to_string(),
            channel: conv.channel.as_str(),
            address: conv.address.clone(),
            caller: None,
            reply: Some(text.to_owned()),
            emergency: false,
            at,
            time: clock(now, p),
        });
        Ok(conv)
    }

    /// What a turn reads: the profile, the conversation and its state, and the appointments
    /// and orders the flows may look at.
    async fn snapshot(
        &self,
        tx: &mut Tx,
        business: &BusinessId,
        conv_id: &ConversationId,
        now: DateTime<Utc>,
    ) -> Result<Snapshot, TurnError> {
        let loaded = self.load(&mut tx.tenant(business)).await?;
        let p = &loaded.profile;
        let mut t = tx.tenant(business);
        let (conv, state_json) = t.conversation_state(conv_id).await?;
        if conv.status != ConversationStatus::Open {
            return Err(TurnError::Ended);
        }
        let state: State = serde_json::from_str(&state_json).unwrap_or_default();
        let counted = if p.units.is_empty() {
            None
        } else {
            let counts = t.inventory().await?;
            frontdesk_store::inventory::overlaid(&p.units, &counts)
                .map(|units| Profile { units, ..p.clone() })
        };
        let horizon = Duration::days(i64::from(p.booking.max_days_ahead.0) + 2);
        // Only what this business can have: appointments with services, orders with a menu.
        let appointments: Vec<agent::Appointment> = if p.services.is_empty() {
            Vec::new()
        } else {
            t.upcoming_appointments(ms(now - Duration::days(1)), ms(now + horizon))
                .await?
        }
        .into_iter()
        .map(|a| agent::Appointment {
            id: a.id.to_string(),
            service: a.service,
            staff: a.staff,
            start: from_ms(a.start_at),
            end: from_ms(a.end_at),
            phone: a.phone,
        })
        .collect();
        let blocked = if p.services.is_empty() {
            Vec::new()
        } else {
            crate::booking::blocked(&mut t, now - Duration::days(1), now + horizon).await?
        };
        let orders: Vec<agent::OrderInfo> = if p.menu.is_empty() {
            Vec::new()
        } else {
            t.orders(ms(now - Duration::days(2)), 200).await?
        }
        .into_iter()
        .map(|o| agent::OrderInfo {
            summary: crate::actions::orders::summary(&o.lines),
            id: o.id.to_string(),
            phone: o.phone,
            status: o.status.as_str().to_owned(),
            created: from_ms(o.created_at),
        })
        .collect();
        Ok(Snapshot {
            loaded,
            counted,
            conv,
            state,
            appointments,
            blocked,
            orders,
        })
    }

    /// Asks the model what the caller means (a tool call) and, with the engine's reply to that
    /// in hand, how to say it; both are checked. Every failure leaves the part it concerns to
    /// the built-in engine and says why in `fallback`.
    async fn consult(
        &self,
        llm: &Llm,
        db: &Db,
        business: &BusinessId,
        conv_id: &ConversationId,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<Consulted, TurnError> {
        let deadline = Instant::now() + llm.timeout;
        let mut consulted = Consulted {
            model: llm.model.clone(),
            reading: None,
            phrased: None,
            fallback: None,
        };
        // Read, then let go of the database before waiting on the network.
        let (snap, history) = {
            let mut tx = db.begin().await?;
            let snap = self.snapshot(&mut tx, business, conv_id, now).await?;
            let history = tx.tenant(business).transcript(conv_id).await?;
            (snap, history)
        };
        let ctx = snap.context(now);
        if self.agent.is_emergency(&ctx, &snap.state, text) {
            consulted.fallback = Some("emergency: answered by the built-in engine".into());
            metrics::counter!("llm_turns_total", "outcome" => "emergency").increment(1);
            return Ok(consulted);
        }
        let mut messages = vec![
            json!({"role": "system", "content": tools::instructions(&ctx, &snap.state, text)}),
        ];
        let skip = history.len().saturating_sub(HISTORY);
        for m in history.into_iter().skip(skip) {
            let role = if m.role == MessageRole::Caller {
                "user"
            } else {
                "assistant"
            };
            let text: String = m.text.chars().take(600).collect();
            messages.push(json!({"role": role, "content": text}));
        }
        messages.push(json!({"role": "user", "content": text}));
        let tool_defs = &snap.loaded.tools;
        let body = json!({"messages": messages, "tools": tool_defs, "tool_choice": "auto"});
        let started = Instant::now();
        let c = match llm.complete(body, deadline).await {
            Ok(c) => c,
            Err(e) => return Ok(consulted.fell_back("understanding", &e.to_string(), e.kind())),
        };
        if let Some(d) = c.first_delta {
            metrics::histogram!("llm_first_delta_seconds").record(d.as_secs_f64());
        }
        let Some(call) = c.calls.first() else {
            return Ok(consulted.fell_back("understanding", "no tool call", "no_tool_call"));
        };
        let reading = match tools::read(&ctx, &call.name, &call.arguments) {
            Ok(r) => r,
            Err(e) => {
                return Ok(consulted.fell_back("understanding", &e.to_string(), "bad_tool_call"));
            }
        };
        metrics::counter!("llm_turns_total", "outcome" => "understood").increment(1);
        metrics::histogram!("llm_understanding_seconds").record(started.elapsed().as_secs_f64());
        let mut state = snap.state.clone();
        let draft = self
            .agent
            .respond_with(&ctx, &mut state, text, Some(&reading))
            .reply;
        consulted.reading = Some(reading);
        if !llm.phrase {
            return Ok(consulted);
        }
        messages.push(
            json!({"role": "assistant", "content": null, "tool_calls": [{
            "id": call.id, "type": "function",
            "function": {"name": call.name, "arguments": call.arguments}}]}),
        );
        messages.push(json!({"role": "tool", "tool_call_id": call.id,
            "content": json!({"reply": draft}).to_string()}));
        let body = json!({"messages": messages, "tools": tool_defs, "tool_choice": "none"});
        let c = match llm.complete(body, deadline).await {
            Ok(c) => c,
            Err(e) => return Ok(consulted.fell_back("phrasing", &e.to_string(), e.kind())),
        };
        match guard::check(&draft, &c.content, text) {
            Ok(said) => {
                metrics::counter!("llm_phrasings_total", "outcome" => "used").increment(1);
                consulted.phrased = Some((draft, said));
            }
            Err(r) => {
                return Ok(consulted.fell_back("phrasing", &r.to_string(), "rejected"));
            }
        }
        Ok(consulted)
    }
}

/// The reply already given to the input `key`, rebuilt from the transcript.
async fn replay<E: frontdesk_store::Exec>(
    t: &mut Tenant<E>,
    key: &str,
) -> Result<Option<TurnReply>, StoreError> {
    let Some((conv, reply)) = t.answered(key).await? else {
        return Ok(None);
    };
    let c = t.conversation(&conv).await?;
    let mut r = TurnReply::silent(&c);
    if let Some(m) = reply {
        r.reply = m.text;
        r.actions = m
            .actions
            .and_then(|a| serde_json::from_value(a).ok())
            .unwrap_or_default();
    }
    r.duplicate = true;
    Ok(Some(r))
}

/// Messages of the conversation so far that the model sees.
const HISTORY: usize = 12;

/// What the model contributed to a turn.
struct Consulted {
    model: String,
    reading: Option<Reading>,
    /// The engine's draft and the model's checked wording of it.
    phrased: Option<(String, String)>,
    fallback: Option<String>,
}

impl Consulted {
    fn fell_back(mut self, stage: &'static str, why: &str, kind: &'static str) -> Self {
        tracing::warn!(stage, kind, why, "LLM mode: the built-in engine takes over");
        metrics::counter!("llm_fallbacks_total", "stage" => stage, "kind" => kind).increment(1);
        self.fallback = Some(format!("{stage}: {why}"));
        self
    }
}

/// What a turn reads before it runs.
struct Snapshot {
    loaded: Arc<Loaded>,
    /// The profile with today's counts of free units, when they differ from the cached one's
    /// (the index is built once per profile version; the counts move with every reservation).
    counted: Option<Profile>,
    conv: Conversation,
    state: State,
    appointments: Vec<agent::Appointment>,
    /// Time off and blocks over the same span.
    blocked: Vec<frontdesk_engine::schedule::Busy>,
    orders: Vec<agent::OrderInfo>,
}

impl Snapshot {
    fn context(&self, now: DateTime<Utc>) -> Context<'_> {
        let caller = self
            .conv
            .address
            .as_deref()
            .and_then(|a| PhoneE164::parse(a).ok());
        Context {
            profile: self.counted.as_ref().unwrap_or(&self.loaded.profile),
            knowledge: &self.loaded.knowledge,
            now,
            channel: self.conv.channel,
            caller,
            appointments: &self.appointments,
            blocked: &self.blocked,
            orders: &self.orders,
        }
    }
}

impl Default for Host {
    fn default() -> Self {
        Self::new()
    }
}
