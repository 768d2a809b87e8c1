//! Orders taken by the agent, with their priced lines, fulfilment and status.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::states::OrderStatus;
use crate::{ConversationId, CustomerId, RecordId, Result, StoreError, Tenant, params};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Order {
    pub id: RecordId,
    pub customer_id: Option<CustomerId>,
    pub conversation_id: Option<ConversationId>,
    pub lines: serde_json::Value,
    /// `pickup` or `delivery`.
    pub fulfillment: String,
    pub address: Option<String>,
    pub subtotal_cents: i64,
    pub delivery_fee_cents: i64,
    pub total_cents: i64,
    pub status: OrderStatus,
    pub phone: Option<frontdesk_engine::PhoneE164>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "o.id, o.customer_id, o.conversation_id, o.lines, o.fulfillment, o.address, o.subtotal_cents, o.delivery_fee_cents, o.total_cents, o.status, c.phone, o.created_at, o.updated_at";

impl FromRow for Order {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: RecordId::from_db(r.text(0)?),
            customer_id: r.opt_text(1)?.map(CustomerId::from_db),
            conversation_id: r.opt_text(2)?.map(ConversationId::from_db),
            lines: serde_json::from_str(&r.text(3)?)
                .map_err(|e| StoreError::backend("lines", e))?,
            fulfillment: r.text(4)?,
            address: r.opt_text(5)?,
            subtotal_cents: r.int(6)?,
            delivery_fee_cents: r.int(7)?,
            total_cents: r.int(8)?,
            status: crate::states::read(r, 9)?,
            phone: r.opt_phone(10)?,
            created_at: r.int(11)?,
            updated_at: r.int(12)?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub customer: Option<&'a CustomerId>,
    pub conversation: Option<&'a ConversationId>,
    /// The priced lines as JSON.
    pub lines: String,
    pub fulfillment: &'a str,
    pub address: Option<&'a str>,
    pub subtotal_cents: i64,
    pub delivery_fee_cents: i64,
    pub total_cents: i64,
}

impl<E: Exec> Tenant<E> {
    pub async fn place_order(&mut self, o: &NewOrder<'_>, now: i64) -> Result<Order> {
        let id = RecordId::new();
        self.exec
            .execute(
                I,
                "INSERT INTO orders (id, business_id, customer_id, conversation_id, lines, fulfillment, address, subtotal_cents, delivery_fee_cents, total_cents, status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'received', $11, $11)",
                &params![&id, &self.business, o.customer.map(|c| c.as_str()), o.conversation.map(|c| c.as_str()), &o.lines, o.fulfillment, o.address, o.subtotal_cents, o.delivery_fee_cents, o.total_cents, now],
            )
            .await?;
        self.order(&id).await
    }

    pub async fn order(&mut self, id: &RecordId) -> Result<Order> {
        self.exec
            .fetch_one(I, &format!("SELECT {COLS} FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE o.business_id = $1 AND o.id = $2"),
                &params![&self.business, id],
            )
            .await
    }

    /// Orders placed since `since`, newest first.
    pub async fn orders(&mut self, since: i64, limit: u32) -> Result<Vec<Order>> {
        self.orders_before(since, None, None, limit).await
    }

    /// Orders placed since `since`, newest first, older than the cursor (an id) when given.
    pub async fn orders_before(
        &mut self,
        since: i64,
        before: Option<&str>,
        status: Option<OrderStatus>,
        limit: u32,
    ) -> Result<Vec<Order>> {
        let status = status.map_or("", |s| s.as_str());
        self.exec
            .fetch_all(I, &format!("SELECT {COLS} FROM orders o LEFT JOIN customers c ON c.id = o.customer_id
                 WHERE o.business_id = $1 AND o.created_at >= $2 AND ($3 = '' OR o.id < $3) AND ($4 = '' OR o.status = $4)
                 ORDER BY o.id DESC LIMIT $5"),
                &params![&self.business, since, before.unwrap_or(""), status, limit],
            )
            .await
    }

    /// Moves an order to `status`; only orders not yet completed or cancelled change.
    pub async fn set_order_status(
        &mut self,
        id: &RecordId,
        status: OrderStatus,
        now: i64,
    ) -> Result<Order> {
        let n = self
            .exec
            .execute(
                I,
                "UPDATE orders SET status = $3, updated_at = $4 WHERE business_id = $1 AND id = $2 AND status NOT IN ('completed', 'cancelled')",
                &params![&self.business, id, status, now],
            )
            .await?;
        if n == 0 {
            let o = self.order(id).await?;
            return Err(StoreError::Conflict(format!(
                "the order is already {}",
                o.status
            )));
        }
        self.order(id).await
    }
}
