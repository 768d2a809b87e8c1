//! Versioned migrations, one list per engine, embedded in the binary. They run at start and by
//! `frontdesk migrate`, inside one transaction, under a lock so that several servers starting
//! together apply each migration once.

use crate::exec::I;
use crate::exec::{Db, Exec, Tx};
use crate::{Result, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sqlite: include_str!("../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "agent",
        sqlite: include_str!("../migrations/shared/0002_agent.sql"),
        postgres: include_str!("../migrations/shared/0002_agent.sql"),
    },
    Migration {
        version: 3,
        name: "llm",
        sqlite: include_str!("../migrations/shared/0003_llm.sql"),
        postgres: include_str!("../migrations/shared/0003_llm.sql"),
    },
    Migration {
        version: 4,
        name: "channels",
        sqlite: include_str!("../migrations/shared/0004_channels.sql"),
        postgres: include_str!("../migrations/shared/0004_channels.sql"),
    },
    Migration {
        version: 5,
        name: "notifications",
        sqlite: include_str!("../migrations/sqlite/0005_notifications.sql"),
        postgres: include_str!("../migrations/postgres/0005_notifications.sql"),
    },
    Migration {
        version: 6,
        name: "webchat",
        sqlite: include_str!("../migrations/shared/0006_webchat.sql"),
        postgres: include_str!("../migrations/shared/0006_webchat.sql"),
    },
    Migration {
        version: 7,
        name: "inventory",
        sqlite: include_str!("../migrations/shared/0007_inventory.sql"),
        postgres: include_str!("../migrations/shared/0007_inventory.sql"),
    },
    Migration {
        version: 8,
        name: "send_caps",
        sqlite: include_str!("../migrations/shared/0008_send_caps.sql"),
        postgres: include_str!("../migrations/shared/0008_send_caps.sql"),
    },
    Migration {
        version: 9,
        name: "totp",
        sqlite: include_str!("../migrations/shared/0009_totp.sql"),
        postgres: include_str!("../migrations/shared/0009_totp.sql"),
    },
    Migration {
        version: 10,
        name: "send_guards",
        sqlite: include_str!("../migrations/shared/0010_send_guards.sql"),
        postgres: include_str!("../migrations/shared/0010_send_guards.sql"),
    },
    Migration {
        version: 11,
        name: "web_sessions",
        sqlite: include_str!("../migrations/shared/0011_web_sessions.sql"),
        postgres: include_str!("../migrations/shared/0011_web_sessions.sql"),
    },
    Migration {
        version: 12,
        name: "dashboard_indexes",
        sqlite: include_str!("../migrations/shared/0012_dashboard_indexes.sql"),
        postgres: include_str!("../migrations/shared/0012_dashboard_indexes.sql"),
    },
    Migration {
        version: 13,
        name: "take_over",
        sqlite: include_str!("../migrations/shared/0013_take_over.sql"),
        postgres: include_str!("../migrations/shared/0013_take_over.sql"),
    },
    Migration {
        version: 14,
        name: "customer_names",
        sqlite: include_str!("../migrations/shared/0014_customer_names.sql"),
        postgres: include_str!("../migrations/shared/0014_customer_names.sql"),
    },
    Migration {
        version: 15,
        name: "analytics_indexes",
        sqlite: include_str!("../migrations/shared/0015_analytics_indexes.sql"),
        postgres: include_str!("../migrations/shared/0015_analytics_indexes.sql"),
    },
    Migration {
        version: 16,
        name: "account_links",
        sqlite: include_str!("../migrations/shared/0016_account_links.sql"),
        postgres: include_str!("../migrations/shared/0016_account_links.sql"),
    },
    Migration {
        version: 17,
        name: "analytics_days",
        sqlite: include_str!("../migrations/shared/0017_analytics_days.sql"),
        postgres: include_str!("../migrations/shared/0017_analytics_days.sql"),
    },
    Migration {
        version: 18,
        name: "message_recordings",
        sqlite: include_str!("../migrations/shared/0018_message_recordings.sql"),
        postgres: include_str!("../migrations/shared/0018_message_recordings.sql"),
    },
    Migration {
        version: 19,
        name: "no_double_booking",
        sqlite: include_str!("../migrations/sqlite/0019_no_double_booking.sql"),
        postgres: include_str!("../migrations/postgres/0019_no_double_booking.sql"),
    },
    Migration {
        version: 20,
        name: "calendar_feeds",
        sqlite: include_str!("../migrations/shared/0020_calendar_feeds.sql"),
        postgres: include_str!("../migrations/shared/0020_calendar_feeds.sql"),
    },
    Migration {
        version: 21,
        name: "time_blocks",
        sqlite: include_str!("../migrations/shared/0021_time_blocks.sql"),
        postgres: include_str!("../migrations/shared/0021_time_blocks.sql"),
    },
    Migration {
        version: 22,
        name: "cancellations",
        sqlite: include_str!("../migrations/shared/0022_cancellations.sql"),
        postgres: include_str!("../migrations/shared/0022_cancellations.sql"),
    },
];

/// The newest schema version this build knows.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Applies what is pending and returns the names of the migrations it applied.
impl Db {
    /// Applies pending migrations; safe to call from several processes at once.
    pub async fn migrate(&self) -> Result<Vec<String>> {
        run(self).await
    }
}

async fn run(db: &Db) -> Result<Vec<String>> {
    let mut tx = db.begin().await?;
    let pg = tx.is_postgres();
    if pg {
        tx.execute(I, "SELECT pg_advisory_xact_lock(727200001)", &[])
            .await?;
    }
    tx.execute(I, "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        &[],
    )
    .await?;
    let applied: Vec<i64> = tx
        .fetch_all(I, "SELECT version FROM schema_migrations", &[])
        .await?;
    if let Some(newest) = applied.iter().max()
        && *newest > MIGRATIONS.last().map_or(0, |m| m.version)
    {
        return Err(StoreError::broken(format!(
            "the database is at schema version {newest}, newer than this binary knows: upgrade frontdesk"
        )));
    }
    let mut done = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        batch(&mut tx, if pg { m.postgres } else { m.sqlite }).await?;
        tx.execute(
            I,
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            &crate::params![m.version, m.name, crate::now_ms()],
        )
        .await?;
        done.push(format!("{:04}_{}", m.version, m.name));
    }
    tx.commit().await?;
    if !done.is_empty() {
        tracing::info!(engine = db.engine(), applied = ?done, "migrations applied");
    }
    Ok(done)
}

async fn batch(tx: &mut Tx, sql: &str) -> Result<()> {
    match tx {
        Tx::Sqlite(t) => t.batch(sql),
        Tx::Postgres(t) => t.batch(sql).await,
    }
}
