//! Customers of a business: the people who call, text and chat. Matched by phone or e-mail.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::{CustomerId, Result, StoreError, Tenant, params};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Customer {
    #[schema(value_type = String)]
    pub id: CustomerId,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, name, phone, email, notes, tags, created_at, updated_at";

impl FromRow for Customer {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: CustomerId::from_db(r.text(0)?),
            name: r.opt_text(1)?,
            phone: r.opt_text(2)?,
            email: r.opt_text(3)?,
            notes: r.opt_text(4)?,
            tags: serde_json::from_str(&r.text(5)?)
                .map_err(|e| StoreError::Backend(format!("tags: {e}")))?,
            created_at: r.int(6)?,
            updated_at: r.int(7)?,
        })
    }
}

/// The fields of a customer that callers set. Phone and e-mail arrive already parsed.
#[derive(Debug, Clone, Default)]
pub struct CustomerFields {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
}

/// Which customers to list.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Case-insensitive substring of name, e-mail or phone.
    pub q: Option<String>,
    /// Keyset cursor: the last id of the previous page.
    pub after: Option<String>,
    pub limit: u32,
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

fn like_pattern(q: &str) -> String {
    let escaped = q
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl<E: Exec> Tenant<E> {
    pub async fn create_customer(&mut self, f: &CustomerFields, now: i64) -> Result<Customer> {
        self.exec
            .fetch_one(I, &format!(
                    "INSERT INTO customers (id, business_id, name, phone, email, notes, tags, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLS}"
                ),
                &params![&CustomerId::new(), &self.business, &f.name, &f.phone, &f.email, &f.notes, tags_json(&f.tags), now],
            )
            .await
    }

    pub async fn customer(&mut self, id: &CustomerId) -> Result<Customer> {
        self.exec
            .fetch_one(
                I,
                &format!("SELECT {COLS} FROM customers WHERE business_id = $1 AND id = $2"),
                &params![&self.business, id],
            )
            .await
    }

    /// Replaces a customer's fields.
    pub async fn update_customer(
        &mut self,
        id: &CustomerId,
        f: &CustomerFields,
        now: i64,
    ) -> Result<Customer> {
        self.exec
            .fetch_one(I, &format!(
                    "UPDATE customers SET name = $3, phone = $4, email = $5, notes = $6, tags = $7, updated_at = $8
                     WHERE business_id = $1 AND id = $2 RETURNING {COLS}"
                ),
                &params![&self.business, id, &f.name, &f.phone, &f.email, &f.notes, tags_json(&f.tags), now],
            )
            .await
    }

    pub async fn delete_customer(&mut self, id: &CustomerId) -> Result<()> {
        match self
            .exec
            .execute(
                I,
                "DELETE FROM customers WHERE business_id = $1 AND id = $2",
                &params![&self.business, id],
            )
            .await?
        {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// A page of customers in creation order.
    pub async fn customers(&mut self, f: &CustomerFilter) -> Result<Vec<Customer>> {
        let q = f.q.as_deref().map(like_pattern);
        self.exec
            .fetch_all(I, &format!(
                    "SELECT {COLS} FROM customers WHERE business_id = $1 AND id > $2
                       AND (CAST($3 AS TEXT) IS NULL OR phone = $3) AND (CAST($4 AS TEXT) IS NULL OR lower(email) = lower($4))
                       AND (CAST($5 AS TEXT) IS NULL OR lower(name) LIKE $5 ESCAPE '\\' OR lower(email) LIKE $5 ESCAPE '\\' OR phone LIKE $5 ESCAPE '\\')
                     ORDER BY id LIMIT $6"
                ),
                &params![&self.business, f.after.as_deref().unwrap_or(""), &f.phone, &f.email, q, f.limit],
            )
            .await
    }

    pub async fn customer_count(&mut self) -> Result<i64> {
        self.exec
            .fetch_one(
                I,
                "SELECT COUNT(*) FROM customers WHERE business_id = $1",
                &params![&self.business],
            )
            .await
    }
}
