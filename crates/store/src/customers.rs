//! Customers of a business: the people who call, text and chat. Matched by phone or e-mail.

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row, RowSink, Value};
use frontdesk_engine::{Email, PhoneE164};

use crate::{CustomerId, Result, StoreError, Tenant, params};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Customer {
    pub id: CustomerId,
    pub name: Option<String>,
    pub phone: Option<PhoneE164>,
    pub email: Option<Email>,
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
            phone: r.opt_phone(2)?,
            email: r.opt_email(3)?,
            notes: r.opt_text(4)?,
            tags: serde_json::from_str(&r.text(5)?).map_err(|e| StoreError::backend("tags", e))?,
            created_at: r.int(6)?,
            updated_at: r.int(7)?,
        })
    }
}

/// A page of customers written as a JSON array straight from the rows' borrowed text, with the
/// same shape as [`Customer`]'s serialisation: the list endpoint's hot path. Fetch one row more
/// than the page holds; [`CustomerPage::finish`] drops it and says where the next page starts.
#[derive(Default)]
pub struct CustomerPage {
    json: Vec<u8>,
    count: usize,
    /// Length of `json` before the last row, and the id of the row before it.
    before_last: usize,
    prev_id: Option<String>,
    last_id: Option<String>,
}

impl RowSink for CustomerPage {
    fn push(&mut self, r: &dyn Row) -> Result<()> {
        let enc = |e: serde_json::Error| StoreError::backend("encoding", e);
        let out = &mut self.json;
        self.before_last = out.len();
        out.extend_from_slice(if self.count == 0 { b"[" } else { b"," });
        let id = r.text(0)?;
        out.extend_from_slice(b"{\"id\":");
        serde_json::to_writer(&mut *out, &id).map_err(enc)?;
        for (key, i) in [
            (&b",\"name\":"[..], 1),
            (b",\"phone\":", 2),
            (b",\"email\":", 3),
            (b",\"notes\":", 4),
        ] {
            out.extend_from_slice(key);
            serde_json::to_writer(&mut *out, &r.str_ref(i)?).map_err(enc)?;
        }
        // Tags are stored as JSON written by this crate; they go out as they are.
        out.extend_from_slice(b",\"tags\":");
        out.extend_from_slice(r.str_ref(5)?.unwrap_or("[]").as_bytes());
        // Each time also in RFC 3339 beside it, as the API gives every time.
        for (key, i) in [("created_at", 6), ("updated_at", 7)] {
            let ms = r.int(i)?;
            out.extend_from_slice(b",\"");
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            serde_json::to_writer(&mut *out, &ms).map_err(enc)?;
            out.extend_from_slice(b",\"");
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"_rfc3339\":");
            let iso = chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
            serde_json::to_writer(&mut *out, &iso).map_err(enc)?;
        }
        out.push(b'}');
        self.prev_id = self.last_id.replace(id);
        self.count += 1;
        Ok(())
    }
}

impl CustomerPage {
    /// The JSON array of at most `limit` customers, and the cursor of the next page if any.
    pub fn finish(mut self, limit: usize) -> (Vec<u8>, Option<String>) {
        let next = if self.count > limit {
            self.json.truncate(self.before_last);
            self.prev_id
        } else {
            None
        };
        if self.json.is_empty() {
            self.json = b"[".to_vec();
        }
        self.json.push(b']');
        (self.json, next)
    }
}

/// The fields of a customer that callers set. Phone and e-mail arrive already parsed.
#[derive(Debug, Clone, Default)]
pub struct CustomerFields {
    pub name: Option<String>,
    pub phone: Option<PhoneE164>,
    pub email: Option<Email>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
}

/// The order customers are listed in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CustomerSort {
    /// First recorded first (the API's order).
    #[default]
    Oldest,
    /// Last recorded first.
    Newest,
    /// By name, A to Z (customers without a name first).
    Name,
}

/// Which customers to list.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    pub sort: CustomerSort,
    pub phone: Option<PhoneE164>,
    pub email: Option<Email>,
    /// Case-insensitive substring of name, e-mail or phone.
    pub q: Option<String>,
    /// Keyset cursor: the last id of the previous page (in the sort's order).
    pub after: Option<String>,
    pub limit: u32,
}

fn tags_json(tags: &[String]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn like_pattern(q: &str) -> String {
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
        self.customer_rows(f).await
    }

    /// The same page, written as JSON as it is read (see [`CustomerPage`]).
    pub async fn customers_json(&mut self, f: &CustomerFilter) -> Result<CustomerPage> {
        self.customer_rows(f).await
    }

    async fn customer_rows<S: RowSink>(&mut self, f: &CustomerFilter) -> Result<S> {
        // Only the filters given go into the statement: each shape is prepared once and cached,
        // and SQLite never re-plans (a bound LIKE pattern would make it recompile every time).
        // The page after the cursor's row, in the sort's order (a name sort continues after
        // that customer's name and id).
        let after = match (f.sort, f.after.as_deref().filter(|a| !a.is_empty())) {
            (CustomerSort::Oldest, _) => "id > $2",
            (CustomerSort::Newest, Some(_)) => "id < $2",
            (CustomerSort::Newest, None) => "$2 = ''",
            (CustomerSort::Name, Some(_)) => {
                "(lower(coalesce(name, '')), id) > (SELECT lower(coalesce(name, '')), id FROM customers WHERE business_id = $1 AND id = $2)"
            }
            (CustomerSort::Name, None) => "$2 = ''",
        };
        let mut sql = format!("SELECT {COLS} FROM customers WHERE business_id = $1 AND {after}");
        let mut args = vec![
            Value::from(&self.business),
            Value::from(f.after.as_deref().unwrap_or("")),
        ];
        if let Some(phone) = &f.phone {
            args.push(phone.into());
            sql.push_str(&format!(" AND phone = ${}", args.len()));
        }
        if let Some(email) = &f.email {
            args.push(email.into());
            sql.push_str(&format!(" AND lower(email) = lower(${})", args.len()));
        }
        if let Some(q) = &f.q {
            args.push(like_pattern(q).into());
            let n = args.len();
            sql.push_str(&format!(
                " AND (lower(name) LIKE ${n} ESCAPE '\\' OR lower(email) LIKE ${n} ESCAPE '\\' OR phone LIKE ${n} ESCAPE '\\')"
            ));
        }
        args.push(f.limit.into());
        let order = match f.sort {
            CustomerSort::Oldest => "id",
            CustomerSort::Newest => "id DESC",
            CustomerSort::Name => "lower(coalesce(name, '')), id",
        };
        sql.push_str(&format!(" ORDER BY {order} LIMIT ${}", args.len()));
        self.exec.fetch_into(I, &sql, &args).await
    }

    /// Customers first recorded at or after `since`.
    pub async fn customers_created_since(&mut self, since: i64) -> Result<i64> {
        self.exec
            .fetch_one(
                I,
                "SELECT COUNT(*) FROM customers WHERE business_id = $1 AND created_at >= $2",
                &params![&self.business, since],
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
