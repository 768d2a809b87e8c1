//! The one YAML reader and writer. Every YAML document frontdesk reads — a business profile
//! uploaded by anyone with a key, an evaluation file — is read here, with budgets that bound
//! the work before it is done: nesting depth, flow nesting, nodes, anchors and alias
//! expansion. A hostile document is refused in time linear in its size, never parsed for
//! seconds (the old `serde_yaml` parser was quadratic on nested brackets).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_saphyr::options::AliasLimits;
use serde_saphyr::{Budget, Options};

pub use serde_saphyr::Error;

/// The deepest nesting of collections a document may have. A profile needs about six levels.
pub const MAX_DEPTH: usize = 24;
/// The most nodes (collections and scalars) in one document: a profile at its size limit of
/// 1 MiB holds a few tens of thousands.
pub const MAX_NODES: usize = 200_000;
/// The most anchors and aliases: a profile may share a block of hours or two, not build a
/// billion laughs.
pub const MAX_ALIASES: usize = 256;

/// The reader's options: budgets as above, plain messages (the caller places them), duplicate
/// keys refused.
pub fn options() -> Options {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_events = 2 * MAX_NODES;
    budget.max_aliases = MAX_ALIASES;
    budget.max_anchors = MAX_ALIASES;
    let mut aliases = AliasLimits::default();
    aliases.max_total_replayed_events = MAX_NODES;
    aliases.max_replay_stack_depth = MAX_DEPTH;
    let mut o = Options::default();
    o.budget = Some(budget);
    o.alias_limits = aliases;
    o.with_snippet = false;
    o
}

/// Reads one YAML (or JSON, which is YAML) document into `T`, within the budgets.
pub fn from_str<T: DeserializeOwned>(src: &str) -> Result<T, Error> {
    serde_saphyr::from_str_with_options(src, options())
}

/// Reads one document through a `serde` deserializer handed to `f`, within the budgets; for
/// wrappers such as `serde_path_to_error` that need the deserializer itself.
pub fn with_deserializer<R>(
    src: &str,
    f: impl for<'e> FnOnce(serde_saphyr::Deserializer<'_, 'e>) -> Result<R, Error>,
) -> Result<R, Error> {
    serde_saphyr::with_deserializer_from_str_with_options(src, options(), f)
}

/// Writes `v` as block-style YAML.
pub fn to_string<T: Serialize>(v: &T) -> Result<String, serde_saphyr::SerializeError> {
    serde_saphyr::to_string(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_plain_data() {
        let v: serde_json::Value = from_str("a: 1\nb: [x, 'y: z']\nc: {d: true}\n").unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "b": ["x", "y: z"], "c": {"d": true}})
        );
        let back: serde_json::Value = from_str(&to_string(&v).unwrap()).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn refuses_deep_nesting_of_either_style() {
        for doc in [
            "[".repeat(200_000),
            format!(
                "{}1{}",
                "[".repeat(MAX_DEPTH + 1),
                "]".repeat(MAX_DEPTH + 1)
            ),
            (0..MAX_DEPTH + 2)
                .map(|i| format!("{}k:\n", "  ".repeat(i)))
                .collect(),
            "{a: ".repeat(50_000),
        ] {
            assert!(
                from_str::<serde_json::Value>(&doc).is_err(),
                "{}",
                &doc[..40]
            );
        }
        let ok = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert!(from_str::<serde_json::Value>(&ok).is_ok());
    }

    #[test]
    fn refuses_alias_bombs_and_duplicate_keys() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            doc += &format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            );
        }
        assert!(from_str::<serde_json::Value>(&doc).is_err());
        assert!(from_str::<serde_json::Value>("a: 1\na: 2\n").is_err());
    }
}
