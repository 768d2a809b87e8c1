use super::*;

fn clf() -> Classifier {
    Classifier::train(&training_examples().unwrap())
}

#[test]
fn the_corpus_covers_every_intent() {
    let ex = training_examples().unwrap();
    for i in Intent::ALL {
        assert!(ex.iter().filter(|(x, _)| *x == i).count() >= 10, "{i:?}");
    }
    assert!(parse_corpus("## nonsense\nhi").is_err());
    assert!(parse_corpus("hi").is_err());
}

#[test]
fn unseen_phrasings_find_their_intent() {
    let c = clf();
    let mut wrong = Vec::new();
    for (s, want) in [
        ("yo what time u guys shut tonight", Intent::Hours),
        ("whats it gonna cost me for a ten by ten", Intent::Prices),
        ("id like to set up a appointment for thursday", Intent::Book),
        ("i gotta move my apointment", Intent::Reschedule),
        ("cancell my appointment", Intent::Cancel),
        ("i'd love to order a couple pizzas", Intent::Order),
        ("please get me an actual person", Intent::Human),
        ("water is everywhere in the kitchen", Intent::Emergency),
        ("tell them to ring me back", Intent::LeaveMessage),
        ("sorry could you repeat", Intent::Repeat),
        ("alright thanks bye now", Intent::Goodbye),
    ] {
        let got = c.classify(s);
        if got.intent != want {
            wrong.push(format!("{s}: {got:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn gibberish_scores_low() {
    let c = clf();
    let got = c.classify("zxqv blorp frumious");
    assert!(got.confidence < 0.2, "{got:?}");
}
