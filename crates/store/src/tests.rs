//! The store's conformance suite: every test runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use frontdesk_engine::Profile;

use crate::accounts::{self, NewApiKey, RefreshOutcome, Role};
use crate::audit::{self, Actor, NewEntry};
use crate::customers::{CustomerFields, CustomerFilter};
use crate::{BusinessId, Db, StoreError, both_backends, businesses, now_ms};

fn profile(slug: &str, phone: &str) -> Profile {
    Profile::from_yaml(&format!(
        "version: 1\nslug: {slug}\nname: Biz {slug}\nkind: other\ntimezone: Europe/Berlin\nphone: \"{phone}\"\n"
    ))
    .unwrap()
}

async fn business(db: &Db, slug: &str, phone: &str) -> BusinessId {
    let mut tx = db.begin().await.unwrap();
    let (b, created) = businesses::upsert_profile(&mut tx, &profile(slug, phone), now_ms())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(created);
    b.id
}

fn person(name: &str, phone: &str) -> CustomerFields {
    CustomerFields {
        name: Some(name.into()),
        phone: Some(ph(phone)),
        ..Default::default()
    }
}

fn ph(s: &str) -> frontdesk_engine::PhoneE164 {
    frontdesk_engine::PhoneE164::parse(s).unwrap()
}

fn em(s: &str) -> frontdesk_engine::Email {
    frontdesk_engine::Email::parse(s).unwrap()
}

fn all() -> CustomerFilter {
    CustomerFilter {
        limit: 1000,
        ..Default::default()
    }
}

both_backends!(
    two_businesses_see_nothing_of_each_other,
    customers_are_searchable_and_paginate_without_gaps,
    phone_is_unique_within_a_business_only,
    audit_log_is_append_only,
    reimporting_a_profile_keeps_owned_records,
    reused_refresh_token_revokes_its_family,
    migrations_are_idempotent,
    rolled_back_transaction_changes_nothing,
    overlapping_appointments_are_refused,
    the_database_itself_refuses_a_double_booking,
    the_last_unit_goes_to_one_reservation_only,
    a_stale_profile_save_does_not_put_a_reserved_unit_back,
    an_undecodable_stored_value_keeps_its_cause,
    a_business_s_spending_counts_what_went_and_not_what_was_refused,
);

/// The daily budget reads per-hour tallies: a text counts once it is handed to the provider
/// (once, however often that is tried), not while it waits, and not after the provider
/// refused it; other businesses' texts never count.
async fn a_business_s_spending_counts_what_went_and_not_what_was_refused(db: Db) {
    use crate::states::{Direction, TextStatus};
    use crate::texts::NewText;
    use frontdesk_engine::agent::Channel;
    let a = business(&db, "alpha", "+15550000001").await;
    let z = business(&db, "zeta", "+15550000002").await;
    let now = now_ms();
    let mut ids = Vec::new();
    for (b, segments) in [(&a, 2), (&a, 3), (&a, 4), (&z, 7)] {
        let m = db
            .tenant(b)
            .add_text(
                &NewText {
                    conversation: None,
                    channel: Channel::Sms,
                    direction: Direction::Outbound,
                    purpose: "reply",
                    sid: None,
                    from: "+15550000001",
                    to: "+15551110001",
                    body: "hello",
                    segments,
                    status: TextStatus::Pending,
                },
                now,
            )
            .await
            .unwrap()
            .unwrap();
        ids.push((b.clone(), m.id));
    }
    let mut t = db.tenant(&a);
    assert_eq!(t.segments_sent_since(now - 86_400_000).await.unwrap(), 0);
    for (b, id) in &ids {
        assert!(db.tenant(b).text_in_flight(id, now).await.unwrap());
        // A second try finds it in flight already: not counted again.
        assert!(!db.tenant(b).text_in_flight(id, now).await.unwrap());
    }
    assert_eq!(t.segments_sent_since(now - 86_400_000).await.unwrap(), 9);
    t.text_sent(&ids[0].1, Some("SM1"), TextStatus::Queued, None, now)
        .await
        .unwrap();
    t.text_sent(&ids[1].1, None, TextStatus::Failed, Some("21211"), now)
        .await
        .unwrap();
    assert_eq!(t.segments_sent_since(now - 86_400_000).await.unwrap(), 6);
    // Marked failed again (a late callback): nothing more comes off.
    t.text_sent(&ids[1].1, None, TextStatus::Failed, Some("21211"), now)
        .await
        .unwrap();
    assert_eq!(t.segments_sent_since(now - 86_400_000).await.unwrap(), 6);
    assert_eq!(
        db.tenant(&z)
            .segments_sent_since(now - 86_400_000)
            .await
            .unwrap(),
        7
    );
    // Counted from two hours on, none of it is in the window.
    assert_eq!(t.segments_sent_since(now + 2 * 3_600_000).await.unwrap(), 0);
}

/// A value our own code cannot read back is a backend error that says where and keeps the
/// decoder's cause, so the log shows why.
async fn an_undecodable_stored_value_keeps_its_cause(db: Db) {
    use crate::exec::{Exec, I};
    let a = business(&db, "alpha", "+15550000001").await;
    let mut tx = db.begin().await.unwrap();
    let c = tx
        .tenant(&a)
        .create_customer(&person("Ana", "+15551110001"), now_ms())
        .await
        .unwrap();
    tx.execute(
        I,
        "UPDATE customers SET tags = 'not json' WHERE id = $1",
        &[(&c.id).into()],
    )
    .await
    .unwrap();
    let err = tx.tenant(&a).customer(&c.id).await.unwrap_err();
    assert!(matches!(err, StoreError::Backend { .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_some(), "cause dropped");
    let chain = err.chain();
    assert!(chain.starts_with("database error: tags: "), "{chain}");
    assert!(chain.contains("expected"), "serde's words missing: {chain}");
}

async fn overlapping_appointments_are_refused(db: Db) {
    use crate::appointments::NewAppointment;
    let b = business(&db, "plumb", "+15550000003").await;
    let hour = 3_600_000;
    let t0 = 1_900_000_000_000;
    let appt = |staff: Option<&'static str>, start: i64| NewAppointment {
        customer: None,
        conversation: None,
        service: "Fix",
        staff,
        start_at: start,
        end_at: start + hour,
        buffer_ms: hour / 2,
    };
    let mut tx = db.begin().await.unwrap();
    let mut t = tx.tenant(&b);
    t.lock_business().await.unwrap();
    let first = t
        .book_appointment(&appt(Some("Alex"), t0), now_ms())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut t = db.tenant(&b);
    // The same staff member within the buffer is taken; another member is free.
    for start in [
        t0,
        t0 + hour / 2,
        t0 + hour + hour / 4,
        t0 - hour - hour / 4,
    ] {
        assert!(
            matches!(
                t.book_appointment(&appt(Some("Alex"), start), now_ms())
                    .await,
                Err(StoreError::Conflict(_))
            ),
            "{start}"
        );
    }
    t.book_appointment(&appt(Some("Jordan"), t0), now_ms())
        .await
        .unwrap();
    t.book_appointment(&appt(Some("Alex"), t0 + 2 * hour), now_ms())
        .await
        .unwrap();
    // A cancelled appointment frees its time; moving onto a taken time is refused.
    t.cancel_appointment(&first.id, crate::states::CancelledBy::Staff, None, now_ms())
        .await
        .unwrap();
    let again = t
        .book_appointment(&appt(Some("Alex"), t0), now_ms())
        .await
        .unwrap();
    assert!(matches!(
        t.reschedule_appointment(
            &again.id,
            Some("Alex"),
            t0 + 2 * hour,
            t0 + 3 * hour,
            hour / 2,
            now_ms()
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
    let moved = t
        .reschedule_appointment(
            &again.id,
            Some("Alex"),
            t0 + 5 * hour,
            t0 + 6 * hour,
            hour / 2,
            now_ms(),
        )
        .await
        .unwrap();
    assert_eq!(moved.start_at, t0 + 5 * hour);
    assert_eq!(t.upcoming_appointments(0, i64::MAX).await.unwrap().len(), 3);
}

/// Rows written past the code's own check (no business lock, no look first: as a bug, a script
/// or a second server without the lock would) are still never double-booked: the database
/// refuses an overlapping booked row, buffers included, and of many writers racing for one
/// staff member's time exactly one wins. Changes count up the appointment's revision.
async fn the_database_itself_refuses_a_double_booking(db: Db) {
    use crate::exec::{Exec, I};
    let b = business(&db, "nodouble", "+15550000013").await;
    let hour = 3_600_000_i64;
    let t0 = 1_900_000_000_000_i64;
    let insert = "INSERT INTO appointments (id, business_id, service, staff, start_at, end_at, buffer_ms, status, created_at, updated_at)
                  VALUES ($1, $2, 'Fix', $3, $4, $5, $6, $7, 0, 0)";
    let row = |staff: Option<&'static str>, start: i64, buffer: i64, status: &'static str| {
        (
            crate::RecordId::new(),
            staff,
            start,
            start + hour,
            buffer,
            status,
        )
    };
    let write = |db: Db,
                 b: BusinessId,
                 r: (
        crate::RecordId,
        Option<&'static str>,
        i64,
        i64,
        i64,
        &'static str,
    )| async move {
        let mut tx = db.begin().await.unwrap();
        let out = tx
            .execute(
                I,
                insert,
                &crate::params![&r.0, &b, r.1, r.2, r.3, r.4, r.5],
            )
            .await;
        match out {
            Ok(_) => tx.commit().await.map(|_| ()),
            Err(e) => Err(e),
        }
    };
    write(
        db.clone(),
        b.clone(),
        row(Some("Alex"), t0, hour / 2, "booked"),
    )
    .await
    .unwrap();
    // Overlapping, or inside either side's buffer: refused, as a conflict over time.
    for (start, buffer) in [
        (t0, 0),
        (t0 + hour / 2, 0),
        (t0 + hour + hour / 4, 0),
        (t0 - hour - hour / 4, hour / 2),
    ] {
        let err = write(
            db.clone(),
            b.clone(),
            row(Some("Alex"), start, buffer, "booked"),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{start}: {err:?}");
    }
    // Past both buffers, another staff member, or not booked: kept.
    write(
        db.clone(),
        b.clone(),
        row(Some("Alex"), t0 + hour + hour / 2, 0, "booked"),
    )
    .await
    .unwrap();
    write(db.clone(), b.clone(), row(Some("Jordan"), t0, 0, "booked"))
        .await
        .unwrap();
    write(db.clone(), b.clone(), row(Some("Alex"), t0, 0, "cancelled"))
        .await
        .unwrap();
    // A business without staff is one calendar.
    write(db.clone(), b.clone(), row(None, t0, 0, "booked"))
        .await
        .unwrap();
    assert!(matches!(
        write(db.clone(), b.clone(), row(None, t0 + hour / 2, 0, "booked")).await,
        Err(StoreError::Conflict(_))
    ));
    // Putting a cancelled one back on taken time, or moving one onto it, is refused too.
    let mut t = db.tenant(&b);
    let all = t.appointments_between(0, i64::MAX, 100).await.unwrap();
    let cancelled = all
        .iter()
        .find(|a| a.status == crate::states::AppointmentStatus::Cancelled)
        .unwrap();
    let mut tx = db.begin().await.unwrap();
    let err = tx
        .execute(
            I,
            "UPDATE appointments SET status = 'booked' WHERE id = $1",
            &crate::params![&cancelled.id],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    drop(tx);
    let jordan = all
        .iter()
        .find(|a| a.staff.as_deref() == Some("Jordan"))
        .unwrap();
    let mut tx = db.begin().await.unwrap();
    let err = tx
        .execute(
            I,
            "UPDATE appointments SET staff = 'Alex' WHERE id = $1",
            &crate::params![&jordan.id],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    drop(tx);
    // Many writers at once for one slot, none holding the business lock: one wins.
    let racers: Vec<_> = (0..24)
        .map(|i| {
            tokio::spawn(write(
                db.clone(),
                b.clone(),
                row(Some("Sam"), t0 + i * 60_000, 0, "booked"),
            ))
        })
        .collect();
    let mut won = 0;
    for r in racers {
        match r.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::Conflict(_)) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(won, 1);
    // Each change counts.
    let mut t = db.tenant(&b);
    assert_eq!(jordan.revision, 0);
    let moved = t
        .reschedule_appointment(
            &jordan.id,
            Some("Jordan"),
            t0 + 9 * hour,
            t0 + 10 * hour,
            0,
            now_ms(),
        )
        .await
        .unwrap();
    assert_eq!(moved.revision, 1);
    t.cancel_appointment(
        &jordan.id,
        crate::states::CancelledBy::Customer,
        Some(" moving away "),
        now_ms(),
    )
    .await
    .unwrap();
    let gone = t.appointment(&jordan.id).await.unwrap();
    assert_eq!(gone.revision, 2);
    assert_eq!(
        gone.cancelled_by,
        Some(crate::states::CancelledBy::Customer)
    );
    assert_eq!(gone.cancel_reason.as_deref(), Some("moving away"));
}

async fn the_last_unit_goes_to_one_reservation_only(db: Db) {
    use crate::reservations::NewReservation;
    let p = Profile::from_yaml(
        "version: 1\nslug: boxes\nname: Boxes\nkind: self_storage\ntimezone: America/Chicago\nphone: \"+15550000004\"\nunits:\n  - {type: 5x5, width_ft: 5, depth_ft: 5, monthly_rate: 40, total: 3, available: 1}\n",
    )
    .unwrap();
    let mut tx = db.begin().await.unwrap();
    let (b, _) = businesses::upsert_profile(&mut tx, &p, now_ms())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let r = NewReservation {
        customer: None,
        conversation: None,
        unit_type: "5x5",
        move_in: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        monthly_rate_cents: 4000,
        promotion: None,
    };
    // Two reservations race for the last unit: exactly one wins.
    let reserve = || async {
        let mut tx = db.begin().await.unwrap();
        let mut t = tx.tenant(&b.id);
        t.lock_business().await.unwrap();
        let out = t.reserve_unit(&r, now_ms()).await;
        if out.is_ok() {
            tx.commit().await.unwrap();
        }
        out
    };
    let (x, y) = tokio::join!(reserve(), reserve());
    assert_eq!(
        [x.is_ok(), y.is_ok()].iter().filter(|o| **o).count(),
        1,
        "{x:?} {y:?}"
    );
    assert!(matches!(x.err().or(y.err()), Some(StoreError::Conflict(_))));
    let mut t = db.tenant(&b.id);
    assert_eq!(t.profile().await.unwrap().units[0].available, 0);
    let res = t.reservations(10).await.unwrap();
    assert_eq!(res.len(), 1);
    // Cancelling gives the unit back.
    t.cancel_reservation(&res[0].id, now_ms()).await.unwrap();
    assert_eq!(t.profile().await.unwrap().units[0].available, 1);
}

async fn two_businesses_see_nothing_of_each_other(db: Db) {
    let a = business(&db, "alpha", "+15550000001").await;
    let b = business(&db, "beta", "+15550000002").await;
    let now = now_ms();
    let ca = db
        .tenant(&a)
        .create_customer(&person("Ann", "+15551110001"), now)
        .await
        .unwrap();
    let cb = db
        .tenant(&b)
        .create_customer(&person("Bob", "+15551110002"), now)
        .await
        .unwrap();

    // Reads: each sees only its own.
    let names = |v: Vec<crate::customers::Customer>| {
        v.into_iter().map(|c| c.name.unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(
        names(db.tenant(&a).customers(&all()).await.unwrap()),
        ["Ann"]
    );
    assert_eq!(
        names(db.tenant(&b).customers(&all()).await.unwrap()),
        ["Bob"]
    );
    assert!(matches!(
        db.tenant(&a).customer(&cb.id).await,
        Err(StoreError::NotFound)
    ));
    let by_phone = CustomerFilter {
        phone: Some(ph("+15551110002")),
        limit: 10,
        ..Default::default()
    };
    assert!(db.tenant(&a).customers(&by_phone).await.unwrap().is_empty());

    // Writes: A cannot change or delete B's customer.
    assert!(matches!(
        db.tenant(&a)
            .update_customer(&cb.id, &person("Hacked", "+15551119999"), now)
            .await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        db.tenant(&a).delete_customer(&cb.id).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        db.tenant(&b)
            .customer(&cb.id)
            .await
            .unwrap()
            .name
            .as_deref(),
        Some("Bob")
    );

    // Members and keys.
    let mut tx = db.begin().await.unwrap();
    let u = accounts::create_user(&mut tx, "m@example.com", None, "x", false, now)
        .await
        .unwrap();
    tx.tenant(&a)
        .set_member(&u.id, Role::Owner, now)
        .await
        .unwrap();
    let k = NewApiKey {
        name: "k",
        prefix: "fd_x",
        secret_hash: "h-a",
        created_by: None,
    };
    let key_a = tx
        .tenant(&a)
        .create_api_key(Role::Viewer, &k, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        db.tenant(&a).member_role(&u.id).await.unwrap(),
        Some(Role::Owner)
    );
    assert_eq!(db.tenant(&b).member_role(&u.id).await.unwrap(), None);
    assert!(db.tenant(&b).members().await.unwrap().is_empty());
    assert!(db.tenant(&b).api_keys().await.unwrap().is_empty());
    assert!(matches!(
        db.tenant(&b).revoke_api_key(&key_a.id, now).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        db.tenant(&a).api_keys().await.unwrap()[0]
            .revoked_at
            .is_none()
    );

    // Audit and profiles.
    let actor = Actor {
        kind: "system",
        id: None,
    };
    let e = NewEntry {
        business: Some(&a),
        actor: &actor,
        action: "x",
        target_type: None,
        target_id: None,
        request_id: None,
        detail: serde_json::json!({}),
    };
    audit::record(&mut db.clone(), &e, now).await.unwrap();
    assert_eq!(db.tenant(&a).audit_log(None, 10).await.unwrap().len(), 1);
    assert!(db.tenant(&b).audit_log(None, 10).await.unwrap().is_empty());
    assert_eq!(
        db.tenant(&a).profile().await.unwrap().slug.as_str(),
        "alpha"
    );
    assert_eq!(db.tenant(&b).profile().await.unwrap().slug.as_str(), "beta");
    assert_eq!(ca.id, db.tenant(&a).customer(&ca.id).await.unwrap().id);
}

async fn customers_are_searchable_and_paginate_without_gaps(db: Db) {
    let a = business(&db, "alpha", "+15550000001").await;
    let mut t = db.tenant(&a);
    for i in 0..120 {
        let f = CustomerFields {
            name: Some(format!("Person {i:03}")),
            phone: Some(ph(&format!("+1555200{i:04}"))),
            email: Some(em(&format!("p{i}@Example.com"))),
            ..Default::default()
        };
        t.create_customer(&f, now_ms()).await.unwrap();
    }
    t.create_customer(
        &CustomerFields {
            name: Some("Zoë 100% O'Brien_x".into()),
            ..Default::default()
        },
        now_ms(),
    )
    .await
    .unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = t
            .customers(&CustomerFilter {
                after: after.clone(),
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        after = page.last().map(|c| c.id.to_string());
        seen.extend(page.into_iter().map(|c| c.id));
    }
    assert_eq!(seen.len(), 121);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 121, "no duplicates across pages");

    let q = |s: &str| CustomerFilter {
        q: Some(s.into()),
        limit: 500,
        ..Default::default()
    };
    assert_eq!(
        t.customers(&q("person 01")).await.unwrap().len(),
        10,
        "case-insensitive name match"
    );
    assert_eq!(
        t.customers(&q("P7@EXAMPLE")).await.unwrap().len(),
        1,
        "e-mail match"
    );
    assert_eq!(
        t.customers(&q("5552000042")).await.unwrap().len(),
        1,
        "phone digits match"
    );
    // LIKE wildcards in the query are literal.
    assert_eq!(t.customers(&q("100%")).await.unwrap().len(), 1);
    assert_eq!(t.customers(&q("n_x")).await.unwrap().len(), 1);
    assert_eq!(t.customers(&q("%")).await.unwrap().len(), 1);
    let exact = CustomerFilter {
        phone: Some(ph("+15552000042")),
        limit: 5,
        ..Default::default()
    };
    assert_eq!(
        t.customers(&exact).await.unwrap()[0].name.as_deref(),
        Some("Person 042")
    );
    assert_eq!(t.customer_count().await.unwrap(), 121);
}

async fn phone_is_unique_within_a_business_only(db: Db) {
    let a = business(&db, "alpha", "+15550000001").await;
    let b = business(&db, "beta", "+15550000002").await;
    db.tenant(&a)
        .create_customer(&person("Ann", "+15551110001"), now_ms())
        .await
        .unwrap();
    let dup = db
        .tenant(&a)
        .create_customer(&person("Ann 2", "+15551110001"), now_ms())
        .await;
    assert!(
        matches!(dup, Err(StoreError::Taken(crate::Unique::CustomerPhone))),
        "{dup:?}"
    );
    // The same e-mail in other letters is the same address.
    let mut ann = person("Ann 3", "+15551110003");
    ann.email = Some(em("ann@example.com"));
    db.tenant(&a).create_customer(&ann, now_ms()).await.unwrap();
    ann.phone = Some(ph("+15551110004"));
    ann.email = Some(em("ANN@example.com"));
    let dup = db.tenant(&a).create_customer(&ann, now_ms()).await;
    assert!(
        matches!(dup, Err(StoreError::Taken(crate::Unique::CustomerEmail))),
        "{dup:?}"
    );
    db.tenant(&b)
        .create_customer(&person("Ann", "+15551110001"), now_ms())
        .await
        .unwrap();
    // A second business cannot take a slug or number that is in use.
    let mut tx = db.begin().await.unwrap();
    let clash =
        businesses::upsert_profile(&mut tx, &profile("gamma", "+15550000001"), now_ms()).await;
    assert!(
        matches!(clash, Err(StoreError::Taken(crate::Unique::BusinessPhone))),
        "{clash:?}"
    );
    drop(tx);
    // Nor take another's slug by renaming itself.
    let mut renamed = profile("alpha", "+15550000009");
    renamed.slug = profile("beta", "+15550000009").slug;
    let clash = db.tenant(&a).put_profile(&renamed, now_ms()).await;
    assert!(
        matches!(clash, Err(StoreError::Taken(crate::Unique::BusinessSlug))),
        "{clash:?}"
    );
}

async fn audit_log_is_append_only(db: Db) {
    let actor = Actor {
        kind: "user",
        id: Some("u1".into()),
    };
    let e = NewEntry {
        business: None,
        actor: &actor,
        action: "thing.do",
        target_type: Some("thing"),
        target_id: Some("1"),
        request_id: Some("r1"),
        detail: serde_json::json!({"k": 1}),
    };
    audit::record(&mut db.clone(), &e, now_ms()).await.unwrap();
    let upd = crate::testing::raw_execute(&db, "UPDATE audit_log SET action = 'forged'").await;
    assert!(matches!(upd, Err(StoreError::Invalid(_))), "{upd:?}");
    let del = crate::testing::raw_execute(&db, "DELETE FROM audit_log").await;
    assert!(matches!(del, Err(StoreError::Invalid(_))), "{del:?}");
    let rows = audit::all(&mut db.clone(), None, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].action.as_str(), rows[0].request_id.as_deref()),
        ("thing.do", Some("r1"))
    );
    assert_eq!(rows[0].detail, serde_json::json!({"k": 1}));
}

async fn reimporting_a_profile_keeps_owned_records(db: Db) {
    let a = business(&db, "alpha", "+15550000001").await;
    let c = db
        .tenant(&a)
        .create_customer(&person("Ann", "+15551110001"), now_ms())
        .await
        .unwrap();
    let mut p = profile("alpha", "+15550000009");
    p.name = serde_json::from_value(serde_json::json!("Alpha Renamed")).unwrap();
    let mut tx = db.begin().await.unwrap();
    let (b, created) = businesses::upsert_profile(&mut tx, &p, now_ms())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(!created);
    assert_eq!(b.id, a);
    assert_eq!(
        (b.name.as_str(), b.phone.as_str()),
        ("Alpha Renamed", "+15550000009")
    );
    assert_eq!(
        db.tenant(&a).customer(&c.id).await.unwrap().name.as_deref(),
        Some("Ann")
    );
    assert_eq!(db.tenant(&a).profile().await.unwrap(), p);
}

async fn reused_refresh_token_revokes_its_family(db: Db) {
    let now = now_ms();
    let mut d = db.clone();
    let u = accounts::create_user(&mut d, "r@example.com", None, "x", false, now)
        .await
        .unwrap();
    accounts::insert_refresh(&mut d, &u.id, "fam", "t1", now + 60_000, now)
        .await
        .unwrap();
    let first = accounts::spend_refresh(&mut d, "t1", now).await.unwrap();
    assert_eq!(
        first,
        RefreshOutcome::Rotated {
            user: u.id.clone(),
            family: "fam".into()
        }
    );
    accounts::insert_refresh(&mut d, &u.id, "fam", "t2", now + 60_000, now)
        .await
        .unwrap();
    // The spent t1 comes back (stolen): refused, and its successor t2 dies with it.
    assert_eq!(
        accounts::spend_refresh(&mut d, "t1", now).await.unwrap(),
        RefreshOutcome::Reused
    );
    assert_eq!(
        accounts::spend_refresh(&mut d, "t2", now).await.unwrap(),
        RefreshOutcome::Reused
    );
    accounts::insert_refresh(&mut d, &u.id, "fam2", "t3", now - 1, now)
        .await
        .unwrap();
    assert_eq!(
        accounts::spend_refresh(&mut d, "t3", now).await.unwrap(),
        RefreshOutcome::Expired
    );
    assert_eq!(
        accounts::spend_refresh(&mut d, "nope", now).await.unwrap(),
        RefreshOutcome::Unknown
    );
    assert_eq!(accounts::purge_refresh_tokens(&db, now).await.unwrap(), 1);
}

async fn migrations_are_idempotent(db: Db) {
    assert!(
        db.migrate().await.unwrap().is_empty(),
        "already applied at connect"
    );
    db.ping().await.unwrap();
}

async fn rolled_back_transaction_changes_nothing(db: Db) {
    let a = business(&db, "alpha", "+15550000001").await;
    {
        let mut tx = db.begin().await.unwrap();
        tx.tenant(&a)
            .create_customer(&person("Ghost", "+15551110001"), now_ms())
            .await
            .unwrap();
        // Dropped without commit. On PostgreSQL the rollback runs on the runtime; until it
        // does, the insert below waits on the uncommitted row's lock, so no pause is needed.
    }
    assert_eq!(db.tenant(&a).customer_count().await.unwrap(), 0);
    let mut tx = db.begin().await.unwrap();
    tx.tenant(&a)
        .create_customer(&person("Real", "+15551110001"), now_ms())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(db.tenant(&a).customer_count().await.unwrap(), 1);
}

async fn migrate_concurrently(url: &str) {
    let (a, b) = (Db::open(url).await.unwrap(), Db::open(url).await.unwrap());
    let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
    let mut applied = vec![ra.unwrap(), rb.unwrap()];
    applied.sort();
    assert_eq!(
        applied,
        vec![
            vec![],
            vec![
                "0001_init".to_owned(),
                "0002_agent".to_owned(),
                "0003_llm".to_owned(),
                "0004_channels".to_owned(),
                "0005_notifications".to_owned(),
                "0006_webchat".to_owned(),
                "0007_inventory".to_owned(),
                "0008_send_caps".to_owned(),
                "0009_totp".to_owned(),
                "0010_send_guards".to_owned(),
                "0011_web_sessions".to_owned(),
                "0012_dashboard_indexes".to_owned(),
                "0013_take_over".to_owned(),
                "0014_customer_names".to_owned(),
                "0015_analytics_indexes".to_owned(),
                "0016_account_links".to_owned(),
                "0017_analytics_days".to_owned(),
                "0018_message_recordings".to_owned(),
                "0019_no_double_booking".to_owned(),
                "0020_calendar_feeds".to_owned(),
                "0021_time_blocks".to_owned(),
                "0022_cancellations".to_owned(),
            ]
        ],
        "each migration applied once"
    );
    a.ping().await.unwrap();
    assert!(b.migrate().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_starting_together_migrate_once_sqlite() {
    let (url, _dir) = crate::testing::sqlite_url();
    migrate_concurrently(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_starting_together_migrate_once_postgres() {
    let Some(url) = crate::testing::postgres_url().await else {
        return;
    };
    migrate_concurrently(&url).await;
}

async fn a_stale_profile_save_does_not_put_a_reserved_unit_back(db: Db) {
    use crate::inventory::{Change, Reason};
    use crate::reservations::NewReservation;
    let yaml = |available: &str| {
        Profile::from_yaml(&format!(
            "version: 1\nslug: boxes\nname: Boxes\nkind: self_storage\ntimezone: America/Chicago\nphone: \"+15550000005\"\nunits:\n  - {{type: 5x5, width_ft: 5, depth_ft: 5, monthly_rate: 40, total: 4{available}}}\n  - {{type: 10x10, width_ft: 10, depth_ft: 10, monthly_rate: 90, total: 2}}\n"
        ))
        .unwrap()
    };
    let mut tx = db.begin().await.unwrap();
    let (b, _) = businesses::upsert_profile(&mut tx, &yaml(", available: 2"), now_ms())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut t = db.tenant(&b.id);
    // What the owner's screen read before the caller reserved.
    let stale = t.profile().await.unwrap();
    assert_eq!(stale.units[0].available, 2);
    // A unit type the file gave no count for starts with all of them free.
    assert_eq!(stale.units[1].available, 2);
    let version = t.business().await.unwrap().updated_at;
    let r = NewReservation {
        customer: None,
        conversation: None,
        unit_type: "5x5",
        move_in: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        monthly_rate_cents: 4000,
        promotion: None,
    };
    let mut tx = db.begin().await.unwrap();
    let res = tx.tenant(&b.id).reserve_unit(&r, now_ms()).await.unwrap();
    tx.commit().await.unwrap();
    let mut t = db.tenant(&b.id);
    assert_eq!(t.profile().await.unwrap().units[0].available, 1);
    // The reservation did not rewrite the profile: its version (and every cache keyed on it)
    // stands.
    assert_eq!(t.business().await.unwrap().updated_at, version);
    // The owner saves what they read: the reserved unit stays reserved.
    t.put_profile(&stale, now_ms() + 1).await.unwrap();
    assert_eq!(t.profile().await.unwrap().units[0].available, 1);
    // So does re-importing a file that gives no count…
    let mut tx = db.begin().await.unwrap();
    businesses::upsert_profile(&mut tx, &yaml(""), now_ms() + 2)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut t = db.tenant(&b.id);
    assert_eq!(t.profile().await.unwrap().units[0].available, 1);
    // …while an explicit adjustment sets it, and is recorded.
    let owner = Change {
        reason: Reason::Owner,
        reference: Some("user:1"),
        note: Some("one door jammed"),
    };
    assert_eq!(
        t.set_available("5x5", 0, &owner, now_ms()).await.unwrap(),
        1
    );
    assert!(matches!(
        t.set_available("5x5", 5, &owner, now_ms()).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        t.set_available("9x9", 1, &owner, now_ms()).await,
        Err(StoreError::NotFound)
    ));
    let mut tx = db.begin().await.unwrap();
    let sold_out = tx.tenant(&b.id).reserve_unit(&r, now_ms()).await;
    assert!(
        matches!(sold_out, Err(StoreError::Conflict(_))),
        "{sold_out:?}"
    );
    drop(tx);
    // Cancelling gives the unit back.
    let mut t = db.tenant(&b.id);
    t.cancel_reservation(&res.id, now_ms()).await.unwrap();
    assert_eq!(t.profile().await.unwrap().units[0].available, 1);
    let log = t.inventory_adjustments(10).await.unwrap();
    let reasons: Vec<&str> = log.iter().map(|a| a.reason.as_str()).collect();
    assert_eq!(reasons, ["release", "owner", "reservation"], "{log:?}");
    assert_eq!((log[1].before, log[1].after), (1, 0));
    assert_eq!(log[1].note.as_deref(), Some("one door jammed"));
    assert_eq!(log[2].reference.as_deref(), Some(res.id.as_str()));
}
