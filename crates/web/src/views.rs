//! The API's response types: what a client sees, kept apart from the store's rows so the
//! contract and its OpenAPI schemas live here and a new column is never exposed by accident.
//! Each is built from its row by destructuring every field, so a field added to a row does not
//! compile until this file decides whether clients see it.

use frontdesk_desk::host;
use frontdesk_engine::PhoneE164;
use frontdesk_engine::agent::{Action, Ask};
use frontdesk_engine::agent::{CallOutcome, Channel};
use frontdesk_store::accounts::{self, Role};
use frontdesk_store::states::{
    AppointmentStatus, CallStatus, CancelledBy, ConversationStatus, Direction, EmailStatus,
    JobStatus, KeyRole, MessageRole, MessageStatus, OrderStatus, QuestionStatus, ReservationStatus,
    StoredState, TextStatus,
};
use frontdesk_store::{
    ApiKeyId, BusinessId, ConversationId, CustomerId, RecordId, UserId, appointments, audit,
    businesses, calls, conversations, customers, emails, inbox, inventory, jobs, orders,
    reservations, texts,
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// A stored state's schema: a string, one of the type's values.
pub(crate) fn state<T: StoredState>() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(T::ALL.iter().map(|s| s.as_str())))
        .build()
        .into()
}

/// [`state`] for a field that may be null.
pub(crate) fn nullable_state<T: StoredState>() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(T::ALL.iter().map(|s| s.as_str())))
        .build()
        .into()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    #[schema(value_type = String)]
    pub id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub is_operator: bool,
    pub created_at: i64,
}

impl From<accounts::User> for User {
    fn from(r: accounts::User) -> Self {
        let accounts::User {
            id,
            email,
            name,
            is_operator,
            created_at,
        } = r;
        Self {
            id,
            email,
            name,
            is_operator,
            created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    #[schema(value_type = String)]
    pub user_id: UserId,
    pub email: String,
    pub name: Option<String>,
    #[schema(schema_with = state::<Role>)]
    pub role: Role,
    pub created_at: i64,
}

impl From<accounts::Member> for Member {
    fn from(r: accounts::Member) -> Self {
        let accounts::Member {
            user_id,
            email,
            name,
            role,
            created_at,
        } = r;
        Self {
            user_id,
            email,
            name,
            role,
            created_at,
        }
    }
}

/// What an API key may do: act as the operator, or hold a role in one business.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKey {
    #[schema(value_type = String)]
    pub id: ApiKeyId,
    #[schema(value_type = Option<String>)]
    pub business_id: Option<BusinessId>,
    pub name: String,
    /// `operator` for operator keys, else a member role.
    #[schema(schema_with = state::<KeyRole>)]
    pub role: KeyRole,
    /// The first characters of the key, shown so a person can tell keys apart.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl From<accounts::ApiKey> for ApiKey {
    fn from(r: accounts::ApiKey) -> Self {
        let accounts::ApiKey {
            id,
            business_id,
            name,
            role,
            prefix,
            created_at,
            last_used_at,
            revoked_at,
        } = r;
        Self {
            id,
            business_id,
            name,
            role,
            prefix,
            created_at,
            last_used_at,
            revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Appointment {
    #[schema(value_type = String)]
    pub id: RecordId,
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<CustomerId>,
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    pub service: String,
    pub staff: Option<String>,
    /// Start and end, milliseconds since the epoch (UTC).
    pub start_at: i64,
    pub end_at: i64,
    /// `booked`, `cancelled`, `completed` or `no_show`.
    #[schema(schema_with = state::<AppointmentStatus>)]
    pub status: AppointmentStatus,
    /// The customer's phone number, for finding a caller's own appointments.
    #[schema(value_type = Option<String>)]
    pub phone: Option<PhoneE164>,
    pub name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// How many times it has changed since it was booked: a client keeping a copy updates it
    /// when this grows.
    pub revision: i64,
    /// Who cancelled it (`caller`, `customer` or `staff`), and why when they said.
    #[schema(schema_with = nullable_state::<CancelledBy>)]
    pub cancelled_by: Option<CancelledBy>,
    pub cancel_reason: Option<String>,
}

impl From<appointments::Appointment> for Appointment {
    fn from(r: appointments::Appointment) -> Self {
        let appointments::Appointment {
            id,
            customer_id,
            conversation_id,
            service,
            staff,
            start_at,
            end_at,
            status,
            phone,
            name,
            created_at,
            updated_at,
            revision,
            cancelled_by,
            cancel_reason,
        } = r;
        Self {
            id,
            customer_id,
            conversation_id,
            service,
            staff,
            start_at,
            end_at,
            status,
            phone,
            name,
            created_at,
            updated_at,
            revision,
            cancelled_by,
            cancel_reason,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Entry {
    pub seq: i64,
    pub at: i64,
    pub business_id: Option<String>,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl From<audit::Entry> for Entry {
    fn from(r: audit::Entry) -> Self {
        let audit::Entry {
            seq,
            at,
            business_id,
            actor_kind,
            actor_id,
            action,
            target_type,
            target_id,
            request_id,
            detail,
        } = r;
        Self {
            seq,
            at,
            business_id,
            actor_kind,
            actor_id,
            action,
            target_type,
            target_id,
            request_id,
            detail,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Business {
    #[schema(value_type = String)]
    pub id: BusinessId,
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub timezone: String,
    pub phone: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<businesses::Business> for Business {
    fn from(r: businesses::Business) -> Self {
        let businesses::Business {
            id,
            slug,
            name,
            kind,
            timezone,
            phone,
            created_at,
            updated_at,
        } = r;
        Self {
            id,
            slug,
            name,
            kind,
            timezone,
            phone,
            created_at,
            updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Call {
    #[schema(value_type = String)]
    pub id: RecordId,
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// Twilio's id of the call.
    pub call_sid: String,
    pub from_number: String,
    pub to_number: String,
    pub direction: String,
    /// How the call is handled: `gather`, `conversation_relay` or `media_streams`; `over_budget`:
    /// refused by the daily call budget with a short apology.
    pub mode: String,
    /// Twilio's call status: `ringing`, `in-progress`, `completed`, `busy`, `failed`, …
    #[schema(schema_with = state::<CallStatus>)]
    pub status: CallStatus,
    /// What came of it: `booked`, `reserved`, `ordered`, `message`, `voicemail`,
    /// `transferred`, `emergency`, `answered` (questions only) or `abandoned`.
    #[schema(schema_with = nullable_state::<CallOutcome>)]
    pub outcome: Option<CallOutcome>,
    /// How the transfer to a person went (Twilio's `DialCallStatus`), when there was one.
    pub transfer_status: Option<String>,
    pub duration_secs: Option<i64>,
    /// Twilio's price for the call, as it reports it (negative: a charge).
    pub price: Option<String>,
    pub price_unit: Option<String>,
    pub recording_sid: Option<String>,
    pub recording_url: Option<String>,
    pub recording_duration_secs: Option<i64>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub updated_at: i64,
}

impl From<calls::Call> for Call {
    fn from(r: calls::Call) -> Self {
        let calls::Call {
            id,
            conversation_id,
            call_sid,
            from_number,
            to_number,
            direction,
            mode,
            status,
            outcome,
            transfer_status,
            duration_secs,
            price,
            price_unit,
            recording_sid,
            recording_url,
            recording_duration_secs,
            started_at,
            ended_at,
            updated_at,
        } = r;
        Self {
            id,
            conversation_id,
            call_sid,
            from_number,
            to_number,
            direction,
            mode,
            status,
            outcome,
            transfer_status,
            duration_secs,
            price,
            price_unit,
            recording_sid,
            recording_url,
            recording_duration_secs,
            started_at,
            ended_at,
            updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Conversation {
    #[schema(value_type = String)]
    pub id: ConversationId,
    #[schema(schema_with = state::<Channel>)]
    pub channel: Channel,
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<CustomerId>,
    /// The caller's number or messaging address, when known.
    pub address: Option<String>,
    #[schema(schema_with = state::<ConversationStatus>)]
    pub status: ConversationStatus,
    pub turns: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The member answering by hand (take-over): the agent is silent on the thread until it is
    /// handed back.
    #[schema(value_type = Option<String>)]
    pub held_by: Option<UserId>,
}

impl From<conversations::Conversation> for Conversation {
    fn from(r: conversations::Conversation) -> Self {
        let conversations::Conversation {
            id,
            channel,
            customer_id,
            address,
            status,
            turns,
            created_at,
            updated_at,
            held_by,
        } = r;
        Self {
            id,
            channel,
            customer_id,
            address,
            status,
            turns,
            created_at,
            updated_at,
            held_by,
        }
    }
}

/// One message of a transcript.
#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    #[schema(value_type = String)]
    pub id: RecordId,
    #[schema(schema_with = state::<MessageRole>)]
    pub role: MessageRole,
    pub text: String,
    pub intent: Option<String>,
    pub confidence: Option<f64>,
    #[schema(value_type = Option<Object>)]
    pub entities: Option<serde_json::Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub actions: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub source: Option<serde_json::Value>,
    /// The language model that read this turn or phrased this reply (LLM mode).
    pub model: Option<String>,
    pub created_at: i64,
    /// The member who wrote this reply by hand (take-over); null for the agent and the caller.
    #[schema(value_type = Option<String>)]
    pub author_id: Option<UserId>,
}

impl From<conversations::Message> for Message {
    fn from(r: conversations::Message) -> Self {
        let conversations::Message {
            id,
            role,
            text,
            intent,
            confidence,
            entities,
            actions,
            source,
            model,
            created_at,
            author_id,
        } = r;
        Self {
            id,
            role,
            text,
            intent,
            confidence,
            entities,
            actions,
            source,
            model,
            created_at,
            author_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Customer {
    #[schema(value_type = String)]
    pub id: CustomerId,
    pub name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub phone: Option<PhoneE164>,
    #[schema(value_type = Option<String>)]
    pub email: Option<frontdesk_engine::Email>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<customers::Customer> for Customer {
    fn from(r: customers::Customer) -> Self {
        let customers::Customer {
            id,
            name,
            phone,
            email,
            notes,
            tags,
            created_at,
            updated_at,
        } = r;
        Self {
            id,
            name,
            phone,
            email,
            notes,
            tags,
            created_at,
            updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Email {
    #[schema(value_type = String)]
    pub id: RecordId,
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// Why it was sent: `confirmation`, `reminder`, `owner_alert`, …
    pub purpose: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    /// `pending`, then `sent` (the relay accepted it) or `failed` (it refused it for good).
    #[schema(schema_with = state::<EmailStatus>)]
    pub status: EmailStatus,
    /// The `Message-ID` header it was sent with.
    pub message_id: Option<String>,
    /// The relay's refusal, or while it waits, why (`relay_unavailable`).
    pub error: Option<String>,
    /// When it was handed to the relay with the outcome not yet known (still `pending`: a
    /// restart came in between, and it goes again with the same `Message-ID`).
    pub sending_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<emails::Email> for Email {
    fn from(r: emails::Email) -> Self {
        let emails::Email {
            id,
            conversation_id,
            purpose,
            to_address,
            subject,
            body,
            status,
            message_id,
            error,
            sending_at,
            created_at,
            updated_at,
        } = r;
        // A password reset or an invitation holds a one-time sign-in link for one person: never
        // shown to the business's members (a viewer would sign in as its owner).
        let body = if frontdesk_desk::emails::holds_sign_in_link(&purpose) {
            frontdesk_desk::emails::LINK_WITHHELD.to_owned()
        } else {
            body
        };
        Self {
            id,
            conversation_id,
            purpose,
            to_address,
            subject,
            body,
            status,
            message_id,
            error,
            sending_at,
            created_at,
            updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallerMessage {
    #[schema(value_type = String)]
    pub id: RecordId,
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<CustomerId>,
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    pub name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub phone: Option<PhoneE164>,
    pub text: String,
    #[schema(schema_with = state::<MessageStatus>)]
    pub status: MessageStatus,
    pub created_at: i64,
    /// A voicemail's Twilio Recording SID.
    pub recording_sid: Option<String>,
}

impl From<inbox::CallerMessage> for CallerMessage {
    fn from(r: inbox::CallerMessage) -> Self {
        let inbox::CallerMessage {
            id,
            customer_id,
            conversation_id,
            name,
            phone,
            text,
            status,
            created_at,
            recording_sid,
        } = r;
        Self {
            id,
            customer_id,
            conversation_id,
            name,
            phone,
            text,
            status,
            created_at,
            recording_sid,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnansweredQuestion {
    #[schema(value_type = String)]
    pub id: RecordId,
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    pub question: String,
    #[schema(schema_with = state::<QuestionStatus>)]
    pub status: QuestionStatus,
    pub created_at: i64,
}

impl From<inbox::UnansweredQuestion> for UnansweredQuestion {
    fn from(r: inbox::UnansweredQuestion) -> Self {
        let inbox::UnansweredQuestion {
            id,
            conversation_id,
            question,
            status,
            created_at,
        } = r;
        Self {
            id,
            conversation_id,
            question,
            status,
            created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Activity {
    #[schema(value_type = String)]
    pub id: RecordId,
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<CustomerId>,
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// What happened: `appointment_booked`, `unit_reserved`, `order_placed`, `message_taken`…
    pub kind: String,
    pub summary: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub created_at: i64,
}

impl From<inbox::Activity> for Activity {
    fn from(r: inbox::Activity) -> Self {
        let inbox::Activity {
            id,
            customer_id,
            conversation_id,
            kind,
            summary,
            detail,
            created_at,
        } = r;
        Self {
            id,
            customer_id,
            conversation_id,
            kind,
            summary,
            detail,
            created_at,
        }
    }
}

/// One recorded change of a count.
#[derive(Debug, Serialize, ToSchema)]
pub struct Adjustment {
    #[schema(value_type = String)]
    pub id: RecordId,
    pub unit_type: String,
    /// reservation, release, owner or import.
    pub reason: String,
    pub before: i64,
    pub after: i64,
    /// The reservation, or who adjusted it.
    pub reference: Option<String>,
    pub note: Option<String>,
    pub created_at: i64,
}

impl From<inventory::Adjustment> for Adjustment {
    fn from(r: inventory::Adjustment) -> Self {
        let inventory::Adjustment {
            id,
            unit_type,
            reason,
            before,
            after,
            reference,
            note,
            created_at,
        } = r;
        Self {
            id,
            unit_type,
            reason,
            before,
            after,
            reference,
            note,
            created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub business_id: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    #[schema(schema_with = state::<JobStatus>)]
    pub status: JobStatus,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub idempotency_key: Option<String>,
}

impl From<jobs::Job> for Job {
    fn from(r: jobs::Job) -> Self {
        let jobs::Job {
            id,
            kind,
            business_id,
            payload,
            status,
            attempts,
            max_attempts,
            run_at,
            last_error,
            idempotency_key,
        } = r;
        Self {
            id,
            kind,
            business_id,
            payload,
            status,
            attempts,
            max_attempts,
            run_at,
            last_error,
            idempotency_key,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Order {
    #[schema(value_type = String)]
    pub id: RecordId,
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<CustomerId>,
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    #[schema(value_type = Object)]
    pub lines: serde_json::Value,
    /// `pickup` or `delivery`.
    pub fulfillment: String,
    pub address: Option<String>,
    pub subtotal_cents: i64,
    pub delivery_fee_cents: i64,
    pub total_cents: i64,
    #[schema(schema_with = state::<OrderStatus>)]
    pub status: OrderStatus,
    #[schema(value_type = Option<String>)]
    pub phone: Option<PhoneE164>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<orders::Order> for Order {
    fn from(r: orders::Order) -> Self {
        let orders::Order {
            id,
            customer_id,
            conversation_id,
            lines,
            fulfillment,
            address,
            subtotal_cents,
            delivery_fee_cents,
            total_cents,
            status,
            phone,
            created_at,
            updated_at,
        } = r;
        Self {
            id,
            customer_id,
            conversation_id,
            lines,
            fulfillment,
            address,
            subtotal_cents,
            delivery_fee_cents,
            total_cents,
            status,
            phone,
            created_at,
            updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reservation {
    #[schema(value_type = String)]
    pub id: RecordId,
    #[schema(value_type = Option<String>)]
    pub customer_id: Option<CustomerId>,
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    pub unit_type: String,
    /// Local date, YYYY-MM-DD.
    pub move_in: String,
    pub monthly_rate_cents: i64,
    pub promotion: Option<String>,
    #[schema(schema_with = state::<ReservationStatus>)]
    pub status: ReservationStatus,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<reservations::Reservation> for Reservation {
    fn from(r: reservations::Reservation) -> Self {
        let reservations::Reservation {
            id,
            customer_id,
            conversation_id,
            unit_type,
            move_in,
            monthly_rate_cents,
            promotion,
            status,
            created_at,
            updated_at,
        } = r;
        Self {
            id,
            customer_id,
            conversation_id,
            unit_type,
            move_in,
            monthly_rate_cents,
            promotion,
            status,
            created_at,
            updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TextMessage {
    #[schema(value_type = String)]
    pub id: RecordId,
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    /// `sms` or `whatsapp`.
    #[schema(schema_with = state::<Channel>)]
    pub channel: Channel,
    /// `inbound` or `outbound`.
    #[schema(schema_with = state::<Direction>)]
    pub direction: Direction,
    /// Why it was sent or what it was: `turn`, `reply`, `help`, `opt_out`, `opt_in`,
    /// `confirmation`, …
    pub purpose: String,
    /// The provider's message id (an outbound message has one once the provider accepted it).
    pub sid: Option<String>,
    pub from_address: String,
    pub to_address: String,
    pub body: String,
    pub segments: i64,
    /// Inbound: `received`, `handled`, `ignored`. Outbound: `pending`, then the provider's
    /// `queued`, `sending`, `sent`, `delivered`, `read`, `undelivered` or `failed`.
    #[schema(schema_with = state::<TextStatus>)]
    pub status: TextStatus,
    pub error_code: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<texts::TextMessage> for TextMessage {
    fn from(r: texts::TextMessage) -> Self {
        let texts::TextMessage {
            id,
            conversation_id,
            channel,
            direction,
            purpose,
            sid,
            from_address,
            to_address,
            body,
            segments,
            status,
            error_code,
            created_at,
            updated_at,
        } = r;
        Self {
            id,
            conversation_id,
            channel,
            direction,
            purpose,
            sid,
            from_address,
            to_address,
            body,
            segments,
            status,
            error_code,
            created_at,
            updated_at,
        }
    }
}

/// A turn as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TurnReply {
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    pub reply: String,
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<Action>,
    pub intent: String,
    pub confidence: f32,
    #[schema(value_type = Object)]
    pub entities: frontdesk_engine::agent::Entities,
    #[schema(value_type = Option<Object>)]
    pub source: Option<frontdesk_engine::nlu::knowledge::Source>,
    /// The conversation is over (goodbye, transfer or emergency hand-off).
    pub ended: bool,
    #[schema(schema_with = state::<ConversationStatus>)]
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
    #[schema(value_type = Option<String>)]
    pub asking: Option<Ask>,
    /// A member of the business holds the thread (take-over): the message was kept and the
    /// agent said nothing (`reply` is empty).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
}

impl From<host::TurnReply> for TurnReply {
    fn from(r: host::TurnReply) -> Self {
        let host::TurnReply {
            conversation_id,
            reply,
            actions,
            intent,
            confidence,
            entities,
            source,
            ended,
            status,
            model,
            fallback,
            duplicate,
            asking,
            held,
        } = r;
        Self {
            conversation_id,
            reply,
            actions,
            intent,
            confidence,
            entities,
            source,
            ended,
            status,
            model,
            fallback,
            duplicate,
            asking,
            held,
        }
    }
}
