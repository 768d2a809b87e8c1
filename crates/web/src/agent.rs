//! The host of the conversation engine: loads what a turn needs from the store, runs the pure
//! engine, and commits the turn — both messages, the new state, the customer and every action —
//! in one transaction. Every channel (API, CLI, and later phone, SMS and web chat) goes through
//! [`Host::turn`], so the business logic lives once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use frontdesk_engine::Profile;

use frontdesk_engine::agent::{
    self, Action, Agent, Ask, Channel, Contact, Context, Outcome, Reading, State, guard, tools,
};
use frontdesk_engine::nlu::knowledge::Knowledge;
use frontdesk_engine::schedule::find_service;
use frontdesk_engine::{Email, PhoneE164};
use frontdesk_store::appointments::NewAppointment;
use frontdesk_store::conversations::{Conversation, NewMessage};
use frontdesk_store::customers::{CustomerFields, CustomerFilter};
use frontdesk_store::orders::NewOrder;
use frontdesk_store::reservations::NewReservation;
use frontdesk_store::{BusinessId, ConversationId, CustomerId, Db, StoreError, Tenant, Tx};
use serde::Serialize;
use serde_json::json;

use crate::llm::Llm;
use crate::notify::{Event, Notices, Queued, Recipient, Senders};

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
}

/// A turn as the API returns it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TurnReply {
    pub conversation_id: String,
    pub reply: String,
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<Action>,
    pub intent: String,
    pub confidence: f32,
    #[schema(value_type = Object)]
    pub entities: frontdesk_engine::agent::Entities,
    #[schema(value_type = Object)]
    pub source: Option<frontdesk_engine::nlu::knowledge::Source>,
    /// The conversation is over (goodbye, transfer or emergency hand-off).
    pub ended: bool,
    pub status: String,
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
    #[schema(value_type = Option<String>)]
    pub asking: Option<Ask>,
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

/// What a call has come to, as far as these actions show.
pub fn call_outcome(actions: &[Action]) -> &'static str {
    let mut best = "answered";
    for a in actions {
        let o = match a {
            Action::Escalate { .. } => "emergency",
            Action::BookAppointment { .. } | Action::RescheduleAppointment { .. } => "booked",
            Action::ReserveUnit { .. } => "reserved",
            Action::PlaceOrder { .. } => "ordered",
            Action::Transfer { .. } => "transferred",
            Action::TakeMessage { .. } => "message",
            _ => continue,
        };
        if best == "answered" || o == "emergency" {
            best = o;
        }
    }
    best
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
            wake: None,
        }
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

    /// The business's profile and index, rebuilt only when the profile changed.
    pub async fn load(
        &self,
        tx: &mut Tx,
        business: &BusinessId,
    ) -> Result<Arc<Loaded>, StoreError> {
        self.load_from(&mut tx.tenant(business)).await
    }

    /// [`Host::load`] outside a transaction.
    pub async fn loaded(&self, db: &Db, business: &BusinessId) -> Result<Arc<Loaded>, StoreError> {
        self.load_from(&mut db.tenant(business)).await
    }

    async fn load_from<E: frontdesk_store::Exec>(
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

    /// Opens a conversation and returns it with the greeting, which is stored as its first
    /// message.
    pub async fn start(
        &self,
        db: &Db,
        business: &BusinessId,
        channel: Channel,
        address: Option<&PhoneE164>,
        now: DateTime<Utc>,
    ) -> Result<(Conversation, String), TurnError> {
        self.open(db, business, channel, address, now, true).await
    }

    /// Opens a conversation; the greeting is stored as its first message only when
    /// `greeted` (a text thread starts with the customer's message, not with a greeting).
    pub async fn open(
        &self,
        db: &Db,
        business: &BusinessId,
        channel: Channel,
        address: Option<&PhoneE164>,
        now: DateTime<Utc>,
        greeted: bool,
    ) -> Result<(Conversation, String), TurnError> {
        let at = address.map(PhoneE164::as_str);
        self.open_at(db, business, channel, address, at, now, greeted)
            .await
    }

    /// [`Host::open`] for an address that is not the phone number (a web chat visitor).
    #[allow(clippy::too_many_arguments)]
    pub async fn open_at(
        &self,
        db: &Db,
        business: &BusinessId,
        channel: Channel,
        phone: Option<&PhoneE164>,
        address: Option<&str>,
        now: DateTime<Utc>,
        greeted: bool,
    ) -> Result<(Conversation, String), TurnError> {
        let mut tx = db.begin().await?;
        let loaded = self.load(&mut tx, business).await?;
        let (state, greeting) = self.greeted(&loaded, channel, phone, now);
        let mut t = tx.tenant(business);
        let customer = match phone {
            Some(p) => find_customer(&mut t, Some(p.as_str()), None).await?,
            None => None,
        };
        let state_json =
            serde_json::to_string(&state).map_err(|e| StoreError::Backend(e.to_string()))?;
        let conv = t
            .create_conversation(
                channel.as_str(),
                address,
                customer.as_ref(),
                &state_json,
                ms(now),
            )
            .await?;
        if greeted {
            t.add_message(
                &conv.id,
                &NewMessage {
                    role: "agent",
                    text: &greeting,
                    ..Default::default()
                },
                ms(now),
            )
            .await?;
        }
        tx.commit().await?;
        Ok((conv, greeting))
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
        let loaded = self.loaded(db, business).await?;
        let (mut state, _) = self.greeted(&loaded, channel, address, now);
        state.last_reply = None;
        serde_json::to_string(&state)
            .map_err(|e| TurnError::Store(StoreError::Backend(e.to_string())))
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
            orders: &[],
        };
        let mut state = State::default();
        let greeting = self.agent.greet(&ctx, &mut state);
        (state, greeting)
    }

    /// Runs one turn and commits everything it did. In LLM mode the model is consulted first,
    /// outside any transaction; whatever it gives is then applied by the same engine inside the
    /// turn's transaction, and whatever it fails to give the built-in engine supplies.
    pub async fn turn(
        &self,
        db: &Db,
        business: &BusinessId,
        conv_id: &ConversationId,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<TurnReply, TurnError> {
        self.turn_with(db, business, conv_id, text, Also::default(), now)
            .await
    }

    /// [`Host::turn`] with a channel's bookkeeping committed in the same transaction (see
    /// [`Also`]); an input delivered twice gets the reply given the first time.
    pub async fn turn_with(
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
        let text = text.trim();
        if text.is_empty() {
            return Err(TurnError::Invalid("text: must not be empty".into()));
        }
        if text.chars().count() > MAX_TURN_CHARS {
            return Err(TurnError::Invalid(format!(
                "text: longer than {MAX_TURN_CHARS} characters"
            )));
        }
        let consulted = match &self.llm {
            Some(llm) => Some(self.consult(llm, db, business, conv_id, text, now).await?),
            None => None,
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
            resolve_customer(&mut t, &state, conv.customer_id.as_deref(), at).await?;
        let entities = serde_json::to_string(&out.entities).ok();
        t.add_message(
            &conv.id,
            &NewMessage {
                role: "caller",
                text,
                intent: Some(out.intent.as_str()),
                confidence: Some(f64::from(out.confidence)),
                entities,
                model: read_by,
                external_id,
                ..Default::default()
            },
            at,
        )
        .await?;
        let mut status = "open";
        let acting = !out.actions.is_empty() && self.senders != Senders::default();
        let contact = known_contact(&mut t, &state, customer.as_ref(), acting).await?;
        let notices = Notices {
            senders: self.senders,
            profile: p,
            conversation: Some(&conv.id),
            to: Recipient {
                channel: &conv.channel,
                name: contact.name.as_deref(),
                phone: contact.phone.as_ref().map(|p| p.as_str()),
                email: contact.email.as_ref().map(|e| e.as_str()),
            },
            now: at,
        };
        let mut queued = execute(
            &mut t,
            p,
            &notices,
            customer.as_ref(),
            &mut out,
            &mut state,
            &mut status,
        )
        .await?;
        // A new customer is a lead for the owner, unless an alert this turn already names them.
        if new_customer && !queued.owner {
            queued.add(notices.queue(&mut t, &Event::Lead { said: text }).await?);
        }
        if out.end && status == "open" {
            status = "ended";
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
                role: "agent",
                text: &out.reply,
                source,
                actions,
                model: phrased_by,
                ..Default::default()
            },
            at,
        )
        .await?;
        let state_json =
            serde_json::to_string(&state).map_err(|e| StoreError::Backend(e.to_string()))?;
        t.update_conversation(&conv.id, &state_json, status, customer.as_ref(), at)
            .await?;
        if let Some(sid) = also.call_sid {
            t.call_turn_taken(sid, call_outcome(&out.actions), at)
                .await?;
        }
        if let Some(ev) = also.event {
            frontdesk_store::webhooks::finish(&mut tx, ev, None, at).await?;
        }
        tx.commit().await?;
        if queued.messages > 0
            && let Some(w) = &self.wake
        {
            w.notify_one();
        }
        Ok(TurnReply {
            conversation_id: conv.id.to_string(),
            reply: out.reply,
            actions: out.actions,
            intent: out.intent.as_str().to_owned(),
            confidence: out.confidence,
            entities: out.entities,
            source: out.source,
            ended: status != "open",
            status: status.to_owned(),
            model: read_by.or(phrased_by).map(str::to_owned),
            fallback: consulted.and_then(|c| c.fallback),
            duplicate: false,
            asking: state.flow.as_ref().and_then(|f| f.asking()),
        })
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
        let loaded = self.load(tx, business).await?;
        let p = &loaded.profile;
        let mut t = tx.tenant(business);
        let (conv, state_json) = t.conversation_state(conv_id).await?;
        if conv.status != "open" {
            return Err(TurnError::Ended);
        }
        let state: State = serde_json::from_str(&state_json).unwrap_or_default();
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
            id: a.id,
            service: a.service,
            staff: a.staff,
            start: from_ms(a.start_at),
            end: from_ms(a.end_at),
            phone: a.phone,
        })
        .collect();
        let orders: Vec<agent::OrderInfo> = if p.menu.is_empty() {
            Vec::new()
        } else {
            t.orders(ms(now - Duration::days(2)), 200).await?
        }
        .into_iter()
        .map(|o| agent::OrderInfo {
            summary: order_summary(&o.lines),
            id: o.id,
            phone: o.phone,
            status: o.status,
            created: from_ms(o.created_at),
        })
        .collect();
        Ok(Snapshot {
            loaded,
            conv,
            state,
            appointments,
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
            let role = if m.role == "caller" {
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
    let (reply, actions) = match reply {
        Some(m) => (
            m.text,
            m.actions
                .and_then(|a| serde_json::from_value(a).ok())
                .unwrap_or_default(),
        ),
        None => (String::new(), Vec::new()),
    };
    Ok(Some(TurnReply {
        conversation_id: conv.to_string(),
        reply,
        actions,
        intent: String::new(),
        confidence: 0.0,
        entities: Default::default(),
        source: None,
        ended: c.status != "open",
        status: c.status,
        model: None,
        fallback: None,
        duplicate: true,
        asking: None,
    }))
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
    conv: Conversation,
    state: State,
    appointments: Vec<agent::Appointment>,
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
            profile: &self.loaded.profile,
            knowledge: &self.loaded.knowledge,
            now,
            channel: Channel::parse(&self.conv.channel).unwrap_or(Channel::Api),
            caller,
            appointments: &self.appointments,
            orders: &self.orders,
        }
    }
}

impl Default for Host {
    fn default() -> Self {
        Self::new()
    }
}

fn order_summary(lines: &serde_json::Value) -> String {
    let parts: Vec<String> = lines
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| {
                    let q = l.get("quantity").and_then(|v| v.as_u64()).unwrap_or(1);
                    let item = l
                        .get("item")
                        .and_then(|v| v.as_str())
                        .unwrap_or("item")
                        .to_lowercase();
                    format!("{q} {item}")
                })
                .collect()
        })
        .unwrap_or_default();
    agent::say::list(&parts)
}

async fn find_customer(
    t: &mut Tenant<&mut Tx>,
    phone: Option<&str>,
    email: Option<&str>,
) -> Result<Option<CustomerId>, StoreError> {
    if phone.is_none() && email.is_none() {
        return Ok(None);
    }
    for f in [
        phone.map(|p| CustomerFilter {
            phone: Some(p.to_owned()),
            limit: 1,
            ..Default::default()
        }),
        email.map(|e| CustomerFilter {
            email: Some(e.to_owned()),
            limit: 1,
            ..Default::default()
        }),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(c) = t.customers(&f).await?.into_iter().next() {
            return Ok(Some(c.id));
        }
    }
    Ok(None)
}

/// The customer this conversation is with: matched by phone or e-mail, created when new (then
/// the flag is true), and given the name and contact details the caller has told us.
async fn resolve_customer(
    t: &mut Tenant<&mut Tx>,
    state: &State,
    linked: Option<&str>,
    now: i64,
) -> Result<(Option<CustomerId>, bool), StoreError> {
    let c = &state.contact;
    let phone = c.phone.as_ref().map(|p| p.as_str());
    let email = c.email.as_ref().map(|e| e.as_str());
    let id = match linked.and_then(CustomerId::parse) {
        Some(id) => Some(id),
        None => find_customer(t, phone, email).await?,
    };
    let Some(id) = id else {
        if phone.is_none() && email.is_none() {
            return Ok((None, false));
        }
        let fields = CustomerFields {
            name: c.name.clone(),
            phone: phone.map(str::to_owned),
            email: email.map(str::to_owned),
            ..Default::default()
        };
        return Ok((Some(t.create_customer(&fields, now).await?.id), true));
    };
    let cur = t.customer(&id).await?;
    let mut f = CustomerFields {
        name: cur.name.clone(),
        phone: cur.phone.clone(),
        email: cur.email.clone(),
        notes: cur.notes.clone(),
        tags: cur.tags.clone(),
    };
    let mut changed = false;
    if f.name.is_none() && c.name.is_some() {
        f.name = c.name.clone();
        changed = true;
    }
    if f.phone.is_none() && phone.is_some() {
        f.phone = phone.map(str::to_owned);
        changed = true;
    }
    if f.email.is_none() && email.is_some() {
        f.email = email.map(str::to_owned);
        changed = true;
    }
    if changed {
        // Another customer may already hold that phone or e-mail: keep the record as it is.
        match t.update_customer(&id, &f, now).await {
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok((Some(id), false))
}

/// Who a notice goes to: the contact an action names, completed from what is known.
fn recipient<'a>(known: Recipient<'a>, named: &'a Contact) -> Recipient<'a> {
    Recipient {
        channel: known.channel,
        name: named.name.as_deref().or(known.name),
        phone: named.phone.as_ref().map(|p| p.as_str()).or(known.phone),
        email: named.email.as_ref().map(|e| e.as_str()).or(known.email),
    }
}

/// What the conversation knows of the customer, completed from their record when an action
/// may notify them.
async fn known_contact(
    t: &mut Tenant<&mut Tx>,
    state: &State,
    customer: Option<&CustomerId>,
    acting: bool,
) -> Result<Contact, StoreError> {
    let mut c = state.contact.clone();
    if let Some(id) = customer.filter(|_| acting) {
        let rec = t.customer(id).await?;
        c.name = c.name.or(rec.name);
        c.phone = c
            .phone
            .or_else(|| rec.phone.and_then(|p| PhoneE164::parse(&p).ok()));
        c.email = c
            .email
            .or_else(|| rec.email.and_then(|e| Email::parse(&e).ok()));
    }
    Ok(c)
}

/// An action the store refused after the engine agreed to it: the reply says so instead, and
/// with `resume` the flow that committed asks again.
fn retract(out: &mut Outcome, state: &mut State, resume: bool, reply: String) {
    if resume {
        state.slot_taken();
    }
    out.reply = reply;
    state.last_reply = Some(out.reply.clone());
}

/// Carries out the engine's actions and queues the notices they call for. A booking or
/// reservation that lost a race is not an error: the reply is changed to say so and the flow
/// asks again.
async fn execute(
    t: &mut Tenant<&mut Tx>,
    p: &Profile,
    n: &Notices<'_>,
    customer: Option<&CustomerId>,
    out: &mut Outcome,
    state: &mut State,
    status: &mut &'static str,
) -> Result<Queued, StoreError> {
    let conv = n
        .conversation
        .ok_or_else(|| StoreError::Backend("no conversation".into()))?;
    let now = n.now;
    let mut queued = Queued::default();
    let buffer = i64::from(p.booking.buffer_min) * 60_000;
    let tz = p.timezone.0;
    let mut kept = Vec::new();
    for a in std::mem::take(&mut out.actions) {
        let activity: Option<(&str, String, serde_json::Value)> = match &a {
            Action::BookAppointment {
                service,
                slot,
                contact,
            } => {
                let duration = find_service(p, service)
                    .map(|s| i64::from(s.duration_min.0))
                    .unwrap_or(60);
                let start = ms(slot.start);
                let end = start + duration * 60_000;
                let r = t
                    .book_appointment(
                        &NewAppointment {
                            customer,
                            conversation: Some(conv),
                            service,
                            staff: slot.staff.as_deref(),
                            start_at: start,
                            end_at: end,
                            buffer_ms: buffer,
                        },
                        now,
                    )
                    .await;
                match r {
                    Ok(appt) => {
                        let to = Notices {
                            to: recipient(n.to, contact),
                            ..*n
                        };
                        let ev = Event::Booked {
                            appointment: &appt.id,
                            service,
                            staff: slot.staff.as_deref(),
                            start: slot.start,
                            moved: false,
                        };
                        queued.add(to.queue(t, &ev).await?);
                        let local = slot.start.with_timezone(&tz);
                        Some((
                            "appointment_booked",
                            format!(
                                "Booked {} for {}",
                                service.to_lowercase(),
                                local.format("%a %b %-d, %-I:%M %p")
                            ),
                            serde_json::json!({"appointment_id": appt.id}),
                        ))
                    }
                    Err(StoreError::Conflict(_)) => {
                        retract(out, state, true, "I'm sorry, that time was just booked by someone else. What other day or time would work for you?".into());
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            Action::RescheduleAppointment {
                appointment_id,
                slot,
            } => {
                let old = t.appointment(appointment_id).await?;
                let len = old.end_at - old.start_at;
                match t
                    .reschedule_appointment(
                        appointment_id,
                        slot.staff.as_deref(),
                        ms(slot.start),
                        ms(slot.start) + len,
                        buffer,
                        now,
                    )
                    .await
                {
                    Ok(_) => {
                        let ev = Event::Booked {
                            appointment: appointment_id,
                            service: &old.service,
                            staff: slot.staff.as_deref(),
                            start: slot.start,
                            moved: true,
                        };
                        queued.add(n.queue(t, &ev).await?);
                        Some((
                            "appointment_rescheduled",
                            format!(
                                "Moved {} to {}",
                                old.service.to_lowercase(),
                                slot.start.with_timezone(&tz).format("%a %b %-d, %-I:%M %p")
                            ),
                            serde_json::json!({"appointment_id": appointment_id}),
                        ))
                    }
                    Err(StoreError::Conflict(_)) => {
                        retract(out, state, true, "I'm sorry, that time was just taken. What other day or time would work?".into());
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            Action::CancelAppointment { appointment_id } => {
                let a = t.cancel_appointment(appointment_id, now).await?;
                let ev = Event::Cancelled {
                    appointment: appointment_id,
                    service: &a.service,
                    start: from_ms(a.start_at),
                };
                queued.add(n.queue(t, &ev).await?);
                Some((
                    "appointment_cancelled",
                    format!("Cancelled {}", a.service.to_lowercase()),
                    serde_json::json!({"appointment_id": appointment_id}),
                ))
            }
            Action::ReserveUnit {
                unit_type,
                move_in,
                monthly_rate,
                promotion,
                contact,
            } => {
                let r = t
                    .reserve_unit(
                        &NewReservation {
                            customer,
                            conversation: Some(conv),
                            unit_type,
                            move_in: *move_in,
                            monthly_rate_cents: monthly_rate.cents(),
                            promotion: promotion.as_deref(),
                        },
                        now,
                    )
                    .await;
                match r {
                    Ok(res) => {
                        let to = Notices {
                            to: recipient(n.to, contact),
                            ..*n
                        };
                        let ev = Event::Reserved {
                            unit_type,
                            move_in: *move_in,
                            monthly_rate: *monthly_rate,
                            promotion: promotion.as_deref(),
                        };
                        queued.add(to.queue(t, &ev).await?);
                        Some((
                            "unit_reserved",
                            format!("Reserved a {unit_type}, move-in {move_in}"),
                            serde_json::json!({"reservation_id": res.id}),
                        ))
                    }
                    Err(StoreError::Conflict(_)) => {
                        retract(
                            out,
                            state,
                            true,
                            format!(
                                "I'm sorry, the last {unit_type} was just taken. Which other size would you like?"
                            ),
                        );
                        continue;
                    }
                    Err(e) => return Err(e),
                }
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
                let f = match fulfillment {
                    agent::Fulfillment::Pickup => "pickup",
                    agent::Fulfillment::Delivery => "delivery",
                };
                let o = t
                    .place_order(
                        &NewOrder {
                            customer,
                            conversation: Some(conv),
                            lines: serde_json::to_string(lines)
                                .map_err(|e| StoreError::Backend(e.to_string()))?,
                            fulfillment: f,
                            address: address.as_deref(),
                            subtotal_cents: subtotal.cents(),
                            delivery_fee_cents: delivery_fee.cents(),
                            total_cents: total.cents(),
                        },
                        now,
                    )
                    .await?;
                let summary = order_summary(&serde_json::to_value(lines).unwrap_or_default());
                let to = Notices {
                    to: recipient(n.to, contact),
                    ..*n
                };
                let ev = Event::Ordered {
                    summary: &summary,
                    fulfillment: f,
                    address: address.as_deref(),
                    total: *total,
                };
                queued.add(to.queue(t, &ev).await?);
                Some((
                    "order_placed",
                    format!("Order for {f}, total ${total}"),
                    serde_json::json!({"order_id": o.id}),
                ))
            }
            Action::CancelOrder { order_id } => {
                match t.set_order_status(order_id, "cancelled", now).await {
                    Ok(_) => Some((
                        "order_cancelled",
                        "Cancelled an order".to_owned(),
                        serde_json::json!({"order_id": order_id}),
                    )),
                    Err(StoreError::Conflict(m)) => {
                        retract(
                            out,
                            state,
                            false,
                            format!("I'm sorry, I couldn't cancel it: {m}."),
                        );
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            Action::TakeMessage { text, contact } => {
                let id = t
                    .take_message(
                        customer,
                        Some(conv),
                        contact.name.as_deref(),
                        contact.phone.as_ref().map(|p| p.as_str()),
                        text,
                        now,
                    )
                    .await?;
                let to = Notices {
                    to: recipient(n.to, contact),
                    ..*n
                };
                queued.add(to.queue(t, &Event::Message { text }).await?);
                Some((
                    "message_taken",
                    format!("Message: {text}"),
                    serde_json::json!({"message_id": id}),
                ))
            }
            Action::Transfer { reason, .. } => {
                *status = "handed_off";
                Some((
                    "transferred",
                    format!("Transferred to a person ({reason})"),
                    serde_json::json!({}),
                ))
            }
            Action::Escalate {
                text,
                transfer,
                alert_owner,
                ..
            } => {
                if *transfer {
                    *status = "handed_off";
                }
                if *alert_owner {
                    let ev = Event::Emergency {
                        text,
                        transfer: *transfer,
                    };
                    queued.add(n.queue(t, &ev).await?);
                }
                Some((
                    "emergency",
                    format!("Emergency: {text}"),
                    serde_json::json!({"transfer": transfer}),
                ))
            }
            Action::RecordUnanswered { question } => {
                t.record_unanswered(Some(conv), question, now).await?;
                Some((
                    "unanswered_question",
                    format!("Asked: {question}"),
                    serde_json::json!({}),
                ))
            }
            Action::UpdateContact { .. } => None,
        };
        if let Some((kind, summary, detail)) = activity {
            t.add_activity(customer, Some(conv), kind, &summary, &detail, now)
                .await?;
        }
        kept.push(a);
    }
    out.actions = kept;
    Ok(queued)
}
