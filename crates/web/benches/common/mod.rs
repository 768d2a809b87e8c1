//! What the web benches share: the three demo conversations they replay, and percentiles.

/// A booking, a reservation and an order, each with a question and a goodbye: the business's
/// slug, its phone number, and the caller's turns.
pub const SCRIPTS: [(&str, &str, &[&str]); 3] = [
    (
        "rapid-rooter",
        "+13035550140",
        &[
            "my bathroom sink won't drain, can somebody come take a look",
            "monday morning if you can",
            "the first one",
            "Robin Ayers",
            "yes",
            "is the estimate free",
            "ok thanks, bye",
        ],
    ),
    (
        "sunny-storage",
        "+15125550100",
        &[
            "what's the smallest unit you have",
            "how much is it a month",
            "i'll take it",
            "starting next friday",
            "Sam Ortiz",
            "yes",
            "bye now",
        ],
    ),
    (
        "tonys-pizza",
        "+16175550120",
        &[
            "a medium pepperoni and a caesar salad please",
            "that's all",
            "pickup",
            "Lou",
            "yes",
            "how long will it take",
            "bye",
        ],
    ),
];

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}
