//! Free-slot search speed on one core: a business with 10 staff members and 5,000 future
//! appointments (plus 2,000 busy times standing for a synced calendar), asked for one day and
//! for a week of one service's free times, as the agent and the booking API ask. Against a
//! baseline measured in the same run: the same search on the same business with nothing
//! booked. Run: `cargo bench -p frontdesk-engine --bench schedule`.

use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use frontdesk_engine::Profile;
use frontdesk_engine::schedule::{Busy, free_slots};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn profile() -> Profile {
    let mut y = String::from(
        "version: 1\nslug: busy\nname: Busy Salon\nkind: appointments\ntimezone: America/Chicago\nphone: \"+13125550100\"\n\
         hours: {mon: \"08:00-20:00\", tue: \"08:00-20:00\", wed: \"08:00-20:00\", thu: \"08:00-20:00\", fri: \"08:00-20:00\", sat: \"08:00-20:00\", sun: \"10:00-16:00\"}\n\
         services:\n  - {name: Cut, duration_min: 45}\n  - {name: Color, duration_min: 120}\nstaff:\n",
    );
    for i in 0..10 {
        y.push_str(&format!(
            "  - {{name: Stylist{i}, services: [Cut, Color]}}\n"
        ));
    }
    y.push_str(
        "booking: {slot_step_min: 15, min_notice_min: 60, max_days_ahead: 60, buffer_min: 10}\n",
    );
    Profile::from_yaml(&y).unwrap_or_else(|e| panic!("the bench profile: {e}"))
}

/// 5,000 appointments and 2,000 other busy times over the next 60 days, spread over the staff
/// by a fixed sequence (no randomness: the same every run).
fn busy(now: chrono::DateTime<Utc>) -> Vec<Busy> {
    let mut out = Vec::new();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for i in 0..7_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let day = (x % 60) as i64;
        let minute = 8 * 60 + (x >> 8) % (11 * 60);
        let start = now + Duration::days(day) + Duration::minutes(minute as i64 - 12 * 60);
        let len = if i < 5_000 { 45 } else { 30 + (x >> 20) % 90 };
        out.push(Busy {
            start,
            end: start + Duration::minutes(len as i64),
            staff: Some(format!("Stylist{}", (x >> 32) % 10)),
        });
    }
    out
}

fn run(p: &Profile, busy: &[Busy], days: u32, rounds: usize) -> Vec<f64> {
    let now = Utc
        .with_ymd_and_hms(2026, 12, 1, 15, 0, 0)
        .single()
        .unwrap_or_default();
    let tz = p.timezone.0;
    let mut times = Vec::with_capacity(rounds);
    for r in 0..rounds {
        let from = now.with_timezone(&tz).date_naive() + Duration::days((r % 50) as i64);
        let t = Instant::now();
        let service = if r % 2 == 0 { "Cut" } else { "Color" };
        let slots = free_slots(p, service, now, from, days, busy).unwrap_or_default();
        times.push(t.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(slots);
    }
    times.sort_by(f64::total_cmp);
    times
}

fn main() {
    let p = profile();
    let now = Utc
        .with_ymd_and_hms(2026, 12, 1, 15, 0, 0)
        .single()
        .unwrap_or_default();
    let booked = busy(now);
    for (what, days) in [("one day", 1), ("a week", 7)] {
        let empty = run(&p, &[], days, 2_000);
        let full = run(&p, &booked, days, 2_000);
        println!(
            "free slots, {what}, 10 staff: nothing booked p50 {:.1} µs p99 {:.1} µs; 7,000 busy p50 {:.1} µs p99 {:.1} µs ({:.2}× the empty p99)",
            percentile(&empty, 0.5),
            percentile(&empty, 0.99),
            percentile(&full, 0.5),
            percentile(&full, 0.99),
            percentile(&full, 0.99) / percentile(&empty, 0.99)
        );
    }
}
