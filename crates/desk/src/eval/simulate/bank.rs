//! The callers' words and the businesses' makings, read from `eval/simulate/bank.yaml`.

use super::*;

#[derive(Debug, Deserialize)]
pub(super) struct Bank {
    pub(super) names: Vec<Name>,
    pub(super) trades: Vec<Trade>,
    pub(super) restaurants: Vec<Restaurant>,
    pub(super) storage: Vec<Storage>,
    pub(super) off_topic: Vec<String>,
    pub(super) phrasings: BTreeMap<String, Vec<String>>,
    pub(super) day_forms: Vec<String>,
    pub(super) time_forms: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Name {
    pub(super) first: String,
    pub(super) last: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Trade {
    pub(super) trade: String,
    pub(super) business_names: Vec<String>,
    pub(super) services: Vec<Service>,
    pub(super) faqs: Vec<Faq>,
    pub(super) messages: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Service {
    pub(super) name: String,
    pub(super) minutes: u32,
    pub(super) price: Option<f64>,
    pub(super) audience: String,
    pub(super) caller_says: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Faq {
    pub(super) q: String,
    pub(super) a: String,
    pub(super) key: String,
    pub(super) caller_asks: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Restaurant {
    pub(super) cuisine: String,
    pub(super) business_names: Vec<String>,
    pub(super) items: Vec<Item>,
    pub(super) faqs: Vec<Faq>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Item {
    pub(super) name: String,
    pub(super) price: f64,
    pub(super) caller_says: Vec<String>,
    #[serde(default)]
    pub(super) options: Vec<OptionGroup>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct OptionGroup {
    pub(super) name: String,
    pub(super) choices: Vec<Choice>,
    pub(super) caller_says_choice: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Choice {
    pub(super) name: String,
    pub(super) extra: f64,
}

#[derive(Debug, Deserialize)]
pub(super) struct Storage {
    pub(super) business_names: Vec<String>,
    pub(super) units: Vec<Unit>,
    pub(super) faqs: Vec<Faq>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Unit {
    pub(super) size: String,
    pub(super) monthly: f64,
    pub(super) climate: bool,
    pub(super) caller_says: Vec<String>,
}

pub(super) fn bank(text: &str) -> anyhow::Result<Bank> {
    let b: Bank =
        frontdesk_engine::yaml::from_str(text).map_err(|e| anyhow::anyhow!("bank: {e}"))?;
    for key in [
        "greet",
        "book",
        "book_day",
        "book_day_time",
        "book_for_child",
        "give_name",
        "give_day",
        "give_time",
        "give_day_time",
        "give_phone",
        "pick_first",
        "pick_last",
        "yes",
        "no",
        "cancel",
        "cancel_day",
        "reschedule",
        "reschedule_vague",
        "ask_prefix",
        "message",
        "message_with_contact",
        "order_open",
        "order_more",
        "order_done",
        "reserve",
        "unit_question",
        "thanks_bye",
        "correct_day",
    ] {
        if b.phrasings.get(key).is_none_or(|v| v.is_empty()) {
            anyhow::bail!("bank: no phrasings for {key}");
        }
    }
    Ok(b)
}
