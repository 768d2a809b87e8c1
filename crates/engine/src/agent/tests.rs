//! Whole conversations through the pure engine, with a fixed clock.

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::nlu::knowledge::Knowledge;

fn profile(src: &str) -> Profile {
    Profile::from_yaml(src).unwrap()
}

/// Wednesday 18 November 2026, 10:00 in Denver (17:00 UTC).
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 18, 17, 0, 0).unwrap()
}

struct Chat {
    agent: Agent,
    p: Profile,
    k: Knowledge,
    state: State,
    appointments: Vec<Appointment>,
    orders: Vec<OrderInfo>,
    caller: Option<PhoneE164>,
    actions: Vec<Action>,
}

impl Chat {
    fn new(src: &str) -> Self {
        let p = profile(src);
        let k = Knowledge::build(&p);
        Self {
            agent: Agent::new(),
            p,
            k,
            state: State::default(),
            appointments: vec![],
            orders: vec![],
            caller: None,
            actions: vec![],
        }
    }
    fn say(&mut self, s: &str) -> Outcome {
        self.read(s, None)
    }
    /// A turn with an outside reading of it (the LLM mode's).
    fn read(&mut self, s: &str, reading: Option<&Reading>) -> Outcome {
        let ctx = Context {
            profile: &self.p,
            knowledge: &self.k,
            now: now(),
            channel: Channel::Cli,
            caller: self.caller.clone(),
            appointments: &self.appointments,
            blocked: &[],
            orders: &self.orders,
        };
        let o = self.agent.respond_with(&ctx, &mut self.state, s, reading);
        println!("> {s}\n< {} [{:?} {:.2}]", o.reply, o.intent, o.confidence);
        self.actions.extend(o.actions.clone());
        o
    }
    fn committed(&self) -> Vec<&Action> {
        self.actions
            .iter()
            .filter(|a| !matches!(a, Action::UpdateContact { .. }))
            .collect()
    }
}

const ROOTER: &str = include_str!("../../../../demo/rapid-rooter.yaml");
const STORAGE: &str = include_str!("../../../../demo/sunny-storage.yaml");
const PIZZA: &str = include_str!("../../../../demo/tonys-pizza.yaml");

#[test]
fn books_a_real_free_slot_after_confirmation() {
    let mut c = Chat::new(ROOTER);
    c.say("hi, my kitchen sink is clogged and i need somebody to come take a look");
    let o = c.say("friday afternoon if possible");
    assert!(o.reply.contains("PM"), "{}", o.reply);
    c.say("the first one");
    c.say("Dana Whitfield");
    let o = c.say("303 555 0188");
    assert!(o.reply.contains("Shall I book it"), "{}", o.reply);
    assert!(
        c.committed().is_empty(),
        "nothing is committed before the yes"
    );
    let o = c.say("yes please");
    let Some(Action::BookAppointment {
        service,
        slot,
        contact,
    }) = o
        .actions
        .iter()
        .find(|a| matches!(a, Action::BookAppointment { .. }))
    else {
        panic!("no booking: {:?}", o.actions)
    };
    assert_eq!(service, "Drain cleaning");
    assert_eq!(contact.name.as_deref(), Some("Dana Whitfield"));
    assert_eq!(
        contact.phone.as_ref().map(|p| p.as_str()),
        Some("+13035550188")
    );
    let local = slot.start.with_timezone(&c.p.timezone.0);
    assert_eq!(
        local.date_naive(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
    );
    assert!(local.format("%H").to_string().parse::<u32>().unwrap() >= 12);
}

#[test]
fn corrections_change_the_day_before_booking() {
    let mut c = Chat::new(ROOTER);
    c.caller = PhoneE164::parse("+13035550111").ok();
    c.say("i need a leak inspection tomorrow at 9");
    c.say("it's Sam");
    let o = c.say("no, thursday is bad, make it friday");
    assert!(o.reply.contains("Friday"), "{}", o.reply);
}

#[test]
fn reserves_a_unit_and_offers_an_alternative_when_sold_out() {
    let mut c = Chat::new(STORAGE);
    let o = c.say("do you have a 10 by 20 open");
    assert!(o.reply.contains("sold out"), "{}", o.reply);
    assert!(o.reply.contains("10x15"), "{}", o.reply);
    c.say("sure");
    c.say("next monday");
    c.say("my name is Lee Park");
    let o = c.say("five one two five five five zero one nine nine");
    assert!(o.reply.contains("$169"), "{}", o.reply);
    let o = c.say("yep");
    assert!(
        o.actions
            .iter()
            .any(|a| matches!(a, Action::ReserveUnit { unit_type, .. } if unit_type == "10x15")),
        "{:?}",
        o.actions
    );
}

#[test]
fn takes_a_two_item_order_with_an_option() {
    let mut c = Chat::new(PIZZA);
    c.say("hey can i get two large margheritas and an order of garlic knots");
    c.say("no that's all");
    c.say("pick up");
    c.say("Ana");
    let o = c.say("617 555 0143");
    assert!(o.reply.contains("$42"), "{}", o.reply);
    let o = c.say("yes");
    let Some(Action::PlaceOrder { lines, total, .. }) = o
        .actions
        .iter()
        .find(|a| matches!(a, Action::PlaceOrder { .. }))
    else {
        panic!("{:?}", o.actions)
    };
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0].options,
        vec![("size".to_owned(), "large".to_owned())]
    );
    assert_eq!(total.cents(), 2 * 1850 + 500);
}

#[test]
fn a_name_given_with_an_email_address_keeps_the_address_out_of_the_name() {
    for (said, email) in [
        ("Dee Park, dee@example.com", "dee@example.com"),
        (
            "it's Dee Park and my email is dee.park@mail.example",
            "dee.park@mail.example",
        ),
    ] {
        let mut c = Chat::new(PIZZA);
        c.say("a large pepperoni pizza please");
        c.say("no that's all");
        c.say("pickup");
        c.say(said);
        c.say("617 555 0188");
        let o = c.say("yes");
        let Some(Action::PlaceOrder { contact, .. }) = o
            .actions
            .iter()
            .find(|a| matches!(a, Action::PlaceOrder { .. }))
        else {
            panic!("{said}: {:?}", o.actions)
        };
        assert_eq!(contact.name.as_deref(), Some("Dee Park"), "{said}");
        assert_eq!(
            contact.email.as_ref().map(|e| e.as_str()),
            Some(email),
            "{said}"
        );
    }
}

#[test]
fn emergency_on_the_first_turn_escalates_at_once() {
    let mut c = Chat::new(ROOTER);
    let o = c.say("water is gushing everywhere, a pipe just burst in the basement");
    assert!(o.reply.contains("on-call plumber"), "{}", o.reply);
    assert!(
        o.actions
            .iter()
            .any(|a| matches!(a, Action::Escalate { transfer: true, .. }))
    );
}

#[test]
fn emergency_keywords_match_compounds_said_either_way() {
    // The profile says "sewage backup"; callers say it as two words, or "back up" as one.
    for said in [
        "there's sewage backing up into my basement",
        "the sewage is backed up in the tub",
        "we have a sewage backup",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(said);
        assert!(
            o.actions
                .iter()
                .any(|a| matches!(a, Action::Escalate { .. })),
            "{said}: {}",
            o.reply
        );
    }
    // Neither word alone is an emergency.
    let mut c = Chat::new(ROOTER);
    let o = c.say("can you back up a bit, what do you charge for drains");
    assert!(
        !o.actions
            .iter()
            .any(|a| matches!(a, Action::Escalate { .. })),
        "{}",
        o.reply
    );
}

#[test]
fn unanswerable_questions_are_recorded_not_guessed() {
    let mut c = Chat::new(STORAGE);
    let o = c.say("do you guys rent out moving trucks?");
    assert!(
        o.actions
            .iter()
            .any(|a| matches!(a, Action::RecordUnanswered { .. })),
        "{}",
        o.reply
    );
    assert!(!o.reply.contains('$'));
}

#[test]
fn faq_retrieval_finds_the_owners_answer() {
    let mut c = Chat::new(STORAGE);
    let o = c.say("do you guys take deposits");
    assert!(o.reply.contains("No deposit"), "{}", o.reply);
    assert_eq!(o.source, Some(Source::Faq(0)));
}

#[test]
fn context_carries_across_turns() {
    let mut c = Chat::new(STORAGE);
    c.say("tell me about the ten by ten");
    let o = c.say("how much is it");
    assert!(o.reply.contains("$129"), "{}", o.reply);
}

#[test]
fn a_question_mid_flow_is_answered_and_the_flow_resumes() {
    let mut c = Chat::new(PIZZA);
    c.say("i want to order a pepperoni pizza");
    let o = c.say("wait how far do you deliver");
    assert!(o.reply.contains("3 miles"), "{}", o.reply);
    assert!(o.reply.contains("Anything else"), "{}", o.reply);
}

#[test]
fn an_intent_the_business_cannot_serve_gives_way_to_one_it_can() {
    let mut c = Chat::new(PIZZA);
    let o = c.say("i want to get a margherita delivered");
    assert_eq!(o.intent, Intent::Order, "{}", o.reply);
    assert!(o.reply.contains("margherita"), "{}", o.reply);
}

#[test]
fn a_denied_keyword_is_not_an_emergency() {
    let mut c = Chat::new(ROOTER);
    let o = c
        .say("there's some water under the dishwasher, not flooding or anything, just a slow leak");
    assert!(
        !o.actions
            .iter()
            .any(|a| matches!(a, Action::Escalate { .. })),
        "{}",
        o.reply
    );
    let o = Chat::new(ROOTER).say("the basement is flooding");
    assert!(
        o.actions
            .iter()
            .any(|a| matches!(a, Action::Escalate { .. })),
        "{}",
        o.reply
    );
}

#[test]
fn an_outside_reading_drives_the_same_flows_and_guards() {
    let mut c = Chat::new(include_str!("../../../../demo/rapid-rooter.yaml"));
    c.caller = PhoneE164::parse("+13035550190").ok();
    // Words the built-in reader does not take as a booking; the reading says what they mean.
    let said = "tub's draining like molasses, can u folks swing by";
    let reading = Reading {
        intent: Some(Intent::Book),
        entities: Entities {
            service: Some("Drain cleaning".into()),
            when: Some(When {
                date: chrono::NaiveDate::from_ymd_opt(2026, 11, 20),
                window: Some(crate::nlu::when::AFTERNOON),
                ..Default::default()
            }),
            ..Default::default()
        },
    };
    let o = c.read(said, Some(&reading));
    assert_eq!(o.intent, Intent::Book);
    assert!(
        o.reply.contains("Friday") && o.reply.contains("PM"),
        "{}",
        o.reply
    );
    assert!(
        o.reply.contains("November 20 at noon, 1:30 PM"),
        "{}",
        o.reply
    );
    c.read("the first one", None);
    let o = c.read("Casey Morgan", None);
    assert!(
        o.reply.contains('?'),
        "read back before booking: {}",
        o.reply
    );
    assert!(
        o.reply.contains("at noon"),
        "the first time offered, not one o'clock: {}",
        o.reply
    );
    // The reading says yes but the caller's words say no: nothing is booked.
    let yes = Reading {
        intent: Some(Intent::Yes),
        entities: Entities {
            yes: Some(true),
            ..Default::default()
        },
    };
    c.read("no, hang on", Some(&yes));
    assert!(c.committed().is_empty(), "{:?}", c.actions);
    // A yes the words do not contradict commits, after the read-back.
    let o = c.read("go for it", Some(&yes));
    assert!(
        o.actions
            .iter()
            .any(|a| matches!(a, Action::BookAppointment { .. })),
        "{o:?}"
    );
    // An emergency keyword wins over any reading.
    let o = c.read("now there's a burst pipe in the basement", Some(&yes));
    assert_eq!(o.intent, Intent::Emergency);
}

/// A "where" question is about the place, even when its words sound like talk to the
/// assistant ("could you tell me…").
#[test]
fn where_questions_are_answered_with_the_address() {
    let mut c = Chat::new(STORAGE);
    let o = c.say("could you tell me where your shop is");
    assert!(o.reply.contains("Lamar"), "{}", o.reply);
}

/// Asked whether it is a person, the agent says it is the business's automated assistant and
/// offers a person; it never transfers on that question alone.
#[test]
fn the_assistant_says_what_it_is_and_does_not_transfer() {
    let mut c = Chat::new(ROOTER);
    let o = c.say("wait am i talking to a robot right now?");
    assert!(o.reply.contains("automated assistant"), "{}", o.reply);
    assert!(c.committed().is_empty(), "{:?}", c.actions);
    assert!(!o.end);
    let o = c.say("ok and what's your name?");
    assert!(o.reply.contains("Riley"), "{}", o.reply);
    let o = c.say("put me through to a real person please");
    assert!(
        c.committed()
            .iter()
            .any(|a| matches!(a, Action::Transfer { .. })),
        "{}",
        o.reply
    );
}

/// An off-topic request is met with what the agent can do and a message offer: no task, no
/// hand-off, no fact; a question that only mentions an emergency word raises no alarm, and a
/// person asked for at another company is not put through.
#[test]
fn off_topic_turns_start_nothing_and_raise_no_alarm() {
    for (src, turn) in [
        (ROOTER, "whats the quickest way to get a passport renewed"),
        (STORAGE, "how long should i smoke a pork shoulder"),
        (PIZZA, "can you help me dispute a charge on my credit card"),
        (ROOTER, "what are the emergency exits on a boeing 737"),
        (
            STORAGE,
            "i need to talk to a representative at my phone company",
        ),
    ] {
        let mut c = Chat::new(src);
        let o = c.say(turn);
        assert!(
            c.committed()
                .iter()
                .all(|a| matches!(a, Action::RecordUnanswered { .. })),
            "{turn}: {:?}",
            c.actions
        );
        assert!(!o.end, "{turn}: {}", o.reply);
        assert!(o.source.is_none(), "{turn}: {}", o.reply);
        assert!(
            o.reply.contains("message"),
            "a message offered: {turn}: {}",
            o.reply
        );
    }
}

/// A name stops where the caller's clause does, and labelled parts are joined across clauses.
#[test]
fn a_name_is_read_clause_by_clause() {
    let n = |s: &str, asked: bool| {
        super::name_in(s, &crate::nlu::text::words(s), asked, |c| {
            c.contains("Drain")
        })
    };
    assert_eq!(
        n("hey it's Chidi Okonkwo, quick one", false).as_deref(),
        Some("Chidi Okonkwo")
    );
    assert_eq!(
        n("Wei, last name Zhang", true).as_deref(),
        Some("Wei Zhang")
    );
    assert_eq!(
        n("sure, Maria Garcia-Lopez", true).as_deref(),
        Some("Maria Garcia-Lopez")
    );
    assert_eq!(
        n("Dee Park, dee at example dot com", true).as_deref(),
        Some("Dee Park")
    );
    // Unasked: a clause that is only a capitalised name, or an explicit "put it under".
    assert_eq!(n("nope that's all. Jon", false).as_deref(), Some("Jon"));
    assert_eq!(n("Kevin Tran", false).as_deref(), Some("Kevin Tran"));
    assert_eq!(
        n("put it under Jordan Pike", false).as_deref(),
        Some("Jordan Pike")
    );
    assert_eq!(
        n("that's it, it's for Marcy", true).as_deref(),
        Some("Marcy")
    );
    // Unasked too, when the clause names whom it is for by a capitalised name alone.
    for (s, want) in [
        ("that's it, it's for Marcy", "Marcy"),
        ("nothing else. This is for Ana Morales", "Ana Morales"),
        ("That's for Dev Patel, thanks", "Dev Patel"),
    ] {
        assert_eq!(n(s, false).as_deref(), Some(want), "{s}");
    }
    assert_eq!(n("it's for my daughter", false), None);
    assert_eq!(n("it's for Friday", false), None);
    assert_eq!(n("it's for Drain Cleaning", false), None);
    assert_eq!(n("last name Thompson", true).as_deref(), Some("Thompson"));
    // Capitalised words that are no name stay none.
    assert_eq!(n("Friday Works", false), None);
    assert_eq!(n("Yes Please", false), None);
    assert_eq!(n("Drain Cleaning", false), None);
}

/// Asking for something to be passed on is a message, however it is put; a question that
/// only mentions letting someone know is not.
#[test]
fn a_message_to_pass_on_is_recognised_by_what_it_asks() {
    let ws = |s: &str| crate::nlu::text::words(s);
    for s in [
        "just leave a note for whoever handles this: the drain backs up when it rains",
        "please let the owner know my crown feels loose",
        "could you tell the manager the gate is broken",
        "can someone call me back about my bill",
        "please have someone call me, it's about the estimate",
        "can you give them a message for me",
        "message for the owner: running late",
        "can you get back to me about the quote",
        "pass it along that the dog is doing better",
    ] {
        assert!(super::asks_to_pass_on(&ws(s)), "{s}");
    }
    for s in [
        "let me know what times you have",
        "do you know if the 10x10 is climate controlled",
        "i want to book a cleaning",
        "what's your cancellation policy",
        "cash app sent money to the wrong person can i get it back",
        "this is a recorded message from your energy provider",
    ] {
        assert!(!super::asks_to_pass_on(&ws(s)), "{s}");
    }
}

/// An appointment the caller at `phone` holds, starting `days` after the test clock at 9 AM.
fn held(id: &str, service: &str, phone: &PhoneE164, days: i64) -> Appointment {
    let start = now() + chrono::Duration::days(days) - chrono::Duration::hours(1);
    Appointment {
        id: id.into(),
        service: service.into(),
        staff: None,
        start,
        end: start + chrono::Duration::hours(1),
        phone: Some(phone.clone()),
    }
}

/// A booking the caller holds is moved, not doubled: words of change with a new day and time
/// read the time at once and confirm the move of the one appointment named.
#[test]
fn a_held_appointment_is_moved_to_the_time_said_with_the_request() {
    let phone = PhoneE164::parse("+13035550123").unwrap();
    for said in [
        "something came up, can my drain cleaning be moved? friday at 10 am",
        "i'm booked for a drain cleaning but can't make it, can you push me to friday at 10am",
        "change of plans, i need the drain cleaning friday at 10 am instead",
        // A request put politely as a question is still a request.
        "is it possible to switch my appointment for the drain cleaning, make it friday at 10am?",
        "is it ok to move my drain cleaning to friday at 10 am",
    ] {
        let mut c = Chat::new(ROOTER);
        c.caller = Some(phone.clone());
        c.state.contact.phone = Some(phone.clone());
        c.appointments = vec![
            held("a1", "Leak inspection", &phone, 1),
            held("a2", "Drain cleaning", &phone, 2),
        ];
        let o = c.say(said);
        assert!(
            o.reply.contains("move your drain cleaning"),
            "{said}: {}",
            o.reply
        );
        assert!(
            o.reply.contains("Friday, November 20 at 10 AM"),
            "{said}: {}",
            o.reply
        );
        c.say("yes");
        assert!(
            matches!(c.committed().as_slice(), [Action::RescheduleAppointment { appointment_id, .. }] if appointment_id == "a2"),
            "{said}: {:?}",
            c.committed()
        );
    }
}

/// "Cancel" said of one's own appointment is a cancellation, with the day saying which one;
/// a question about cancelling stays a question.
#[test]
fn cancelling_a_held_appointment_and_asking_about_cancelling_differ() {
    let phone = PhoneE164::parse("+13035550123").unwrap();
    let mut c = Chat::new(ROOTER);
    c.caller = Some(phone.clone());
    c.state.contact.phone = Some(phone.clone());
    c.appointments = vec![
        held("a1", "Leak inspection", &phone, 1),
        held("a2", "Drain cleaning", &phone, 2),
    ];
    let o = c.say("i gotta cancel friday, sorry");
    assert!(o.reply.contains("drain cleaning"), "{}", o.reply);
    c.say("yes");
    assert!(
        matches!(c.committed().as_slice(), [Action::CancelAppointment { appointment_id }] if appointment_id == "a2"),
        "{:?}",
        c.committed()
    );
    let mut c = Chat::new(ROOTER);
    c.caller = Some(phone.clone());
    let o = c.say("do you charge anything if i cancel?");
    assert!(c.committed().is_empty(), "{}", o.reply);
    assert!(!o.reply.contains("Shall I cancel"), "{}", o.reply);
}

/// A question names no time, service or item and asks nothing to be done: it is answered or
/// noted, never turned into a booking; a place question with its own subject is answered from
/// the FAQs, not with the address.
#[test]
fn questions_stay_questions() {
    for q in [
        "can i pay for the work in installments?",
        "do i have to be home when the plumber comes or can i leave a key",
        "from what age can kids be home alone during a visit?",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(q);
        assert!(c.state.flow.is_none(), "{q}: {}", o.reply);
        assert!(
            c.committed()
                .iter()
                .all(|a| matches!(a, Action::RecordUnanswered { .. })),
            "{q}"
        );
    }
    // Requests put as questions are requests.
    for q in [
        "is it possible to make an appointment for a drain cleaning?",
        "could i get someone out for a leak inspection?",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(q);
        assert!(c.state.flow.is_some(), "{q}: {}", o.reply);
    }
    // How to do something oneself, asked after what it is about, names a service's word but
    // asks for no visit.
    let dental = "version: 1\nslug: d\nname: D\nkind: appointments\ntimezone: UTC\nphone: \"+15125550100\"\nservices:\n  - {name: Cleaning & Exam, duration_min: 60}\n  - {name: Children's Cleaning & Exam, duration_min: 45}\n  - {name: Teeth Whitening, duration_min: 60}\n";
    for q in [
        "the pipe on my hookah is clogged how do i clean it",
        "my retainer smells, how should i clean it at home",
    ] {
        let mut c = Chat::new(dental);
        let o = c.say(q);
        assert!(c.state.flow.is_none(), "{q}: {}", o.reply);
    }
    // A question about cancelling is the policy; asking for it done is a cancellation.
    for q in [
        "if something comes up and i can't make it, how far ahead do i need to tell you",
        "how much notice do i need to give to cancel?",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(q);
        assert!(o.reply.contains("4 hours"), "{q}: {}", o.reply);
        assert!(c.state.flow.is_none(), "{q}");
    }
    for q in [
        "could you cancel my drain cleaning on friday",
        "can i move my leak inspection to next week",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(q);
        assert!(
            matches!(o.intent, Intent::Cancel | Intent::Reschedule),
            "{q}: {:?} {}",
            o.intent,
            o.reply
        );
    }
    let mut c = Chat::new(dental);
    let o = c.say("i need a cleaning next week");
    assert!(c.state.flow.is_some(), "{}", o.reply);
    let mut c = Chat::new(PIZZA);
    let o = c.say("hello, can i do a takeout order, one cheese calzone");
    assert!(c.state.flow.is_some(), "{}", o.reply);
    let mut c = Chat::new(ROOTER);
    let o = c.say("where do you guys go, like which areas?");
    assert!(!o.reply.contains("880 Colfax"), "{}", o.reply);
}

/// A greeting followed by a question about the business's own things is the question.
#[test]
fn a_greeting_then_a_question_about_our_things_is_the_question() {
    for q in [
        "hi, is the margherita pizza vegetarian?",
        "hi, is the pepperoni really spicy",
        "hey, are the cannoli fresh every day",
        "hello, is the calzone big enough for two",
        "hi, is the garlic knots basket gluten free",
        "hey there, does the supreme come with olives",
    ] {
        let mut c = Chat::new(PIZZA);
        let o = c.say(q);
        assert!(!o.reply.starts_with("Hello"), "{q}: {}", o.reply);
        assert!(
            c.state.flow.is_none(),
            "a question is no order: {q}: {}",
            o.reply
        );
    }
}

/// Asked for an appointment with a day or time, the agent books, whatever the service is
/// called and however unlike the training the rest of the words are.
#[test]
fn a_request_for_an_appointment_with_a_time_is_a_booking() {
    for q in [
        "please book me for a guys' haircut the 24th at 7:30 am",
        "an appointment because my dog's been throwing up tomorrow at 10 am sharp if you have it",
        "do you have an opening at 11:30 in the morning on Friday for a drain cleaning",
        "can u do a diagnostic visit at 9:15 am on Friday",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(q);
        assert!(
            matches!(c.state.flow, Some(flows::Flow::Book { .. })),
            "{q}: {}",
            o.reply
        );
    }
}

/// A caller who shares a first name with a staff member is not asking for them.
#[test]
fn a_callers_name_is_not_a_staff_request() {
    let mut c = Chat::new(ROOTER);
    c.say("i need a drain cleaning friday at 10 am");
    let o = c.say("Jordan Fields");
    assert!(!o.reply.contains("with Jordan"), "{}", o.reply);
    let booked = c.state.flow.clone();
    assert!(
        matches!(booked, Some(flows::Flow::Book { staff: None, .. })),
        "{booked:?}"
    );
}
/// Offered a message or a person, a bare yes leaves a message; only asking for a person puts
/// the call through. Given with a number to call back, a message is taken at once.
#[test]
fn a_yes_to_message_or_person_is_a_message_and_a_callback_message_is_taken_at_once() {
    let mut c = Chat::new(ROOTER);
    let o = c.say("do you sell garden hoses?");
    assert!(o.reply.contains("message"), "{}", o.reply);
    let o = c.say("ya");
    assert!(!c.committed().iter().any(|a| a.hands_off()), "{}", o.reply);
    assert!(
        matches!(c.state.flow, Some(flows::Flow::Message { .. })),
        "{}",
        o.reply
    );
    let mut c = Chat::new(ROOTER);
    c.say("do you sell garden hoses?");
    c.say("can you put me through to someone");
    assert!(c.committed().iter().any(|a| a.hands_off()));
    let mut c = Chat::new(ROOTER);
    c.say("can someone text me back about prices for a water heater? 303-555-0188");
    assert!(
        c.committed()
            .iter()
            .any(|a| matches!(a, Action::TakeMessage { .. })),
        "{:?}",
        c.committed()
    );
}

/// What happened once, what is only feared, and things named after a danger are not
/// emergencies; a danger happening now still is.
#[test]
fn past_feared_and_named_dangers_raise_no_alarm() {
    for q in [
        "you guys fixed a burst pipe for us last winter. how long is that repair warrantied for?",
        "years ago we had a flood in the basement, do you do inspections?",
        "i really don't want a flood while we're away, do you check sump pumps?",
        "do you carry flood insurance or is that on me?",
        "quick question, do you have an after hours emergency service",
        "do you do emergency calls on weekends?",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(q);
        assert!(
            !c.committed()
                .iter()
                .any(|a| matches!(a, Action::Escalate { .. })),
            "{q}: {}",
            o.reply
        );
    }
    for q in [
        "my basement is flooding right now",
        "the pipe burst again and there's water everywhere",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(q);
        assert!(
            c.committed()
                .iter()
                .any(|a| matches!(a, Action::Escalate { .. })),
            "{q}: {}",
            o.reply
        );
    }
}

/// Calling an appointment off is a cancellation however it is said, with no new time; and a
/// move "from thursday to saturday", "same time", "11ish" keeps what was said.
#[test]
fn calling_off_and_moving_in_everyday_words() {
    let phone = PhoneE164::parse("+13035550123").unwrap();
    let chat = || {
        let mut c = Chat::new(ROOTER);
        c.caller = Some(phone.clone());
        c.state.contact.phone = Some(phone.clone());
        c.appointments = vec![held("a2", "Drain cleaning", &phone, 2)];
        c
    };
    for q in [
        "I can't make it friday anymore, please take me off the schedule",
        "we won't be able to make her appointment, sorry",
        "something came up, can we call it off",
    ] {
        let mut c = chat();
        let o = c.say(q);
        assert!(o.reply.contains("Shall I cancel it"), "{q}: {}", o.reply);
    }
    let mut c = chat();
    let o = c.say("I can't make friday, what else do you have?");
    assert!(!o.reply.contains("Shall I cancel it"), "{}", o.reply);
    for (q, want) in [
        (
            "can I move my drain cleaning from friday to monday, 11ish?",
            "Monday, November 23 at 11 AM",
        ),
        (
            "can I push my drain cleaning to monday instead, same time?",
            "Monday, November 23 at 9 AM",
        ),
    ] {
        let mut c = chat();
        let o = c.say(q);
        assert!(o.reply.contains(want), "{q}: {}", o.reply);
    }
}

/// Profile fields answer what the FAQs do not: a staff member's days, whether the business
/// delivers; "where's your shop located?" is the address; wanting a stylist next week with
/// nothing booked is a booking.
#[test]
fn profile_fields_answer_questions_about_them() {
    let mut c = Chat::new(ROOTER);
    let o = c.say("what days is Jordan in?");
    assert!(o.reply.contains("Jordan works"), "{}", o.reply);
    let mut c = Chat::new(ROOTER);
    let o = c.say("where's your shop located?");
    assert!(o.reply.contains("880 Colfax"), "{}", o.reply);
    let pickup_only = PIZZA.replace("delivery: true", "delivery: false");
    let mut c = Chat::new(&pickup_only);
    let o = c.say("do you guys deliver to the east side?");
    assert!(o.reply.contains("pickup"), "{}", o.reply);
    let mut c = Chat::new(ROOTER);
    let o = c.say("I'd like a leak inspection with Jordan on tuesday next week");
    assert!(
        matches!(c.state.flow, Some(flows::Flow::Book { .. })),
        "{}",
        o.reply
    );
}

/// A frustrated caller is offered a person or a message before the agent tries again, and
/// each turn carries how the caller sounds.
#[test]
fn a_frustrated_caller_is_offered_a_person_or_a_message() {
    let mut c = Chat::new(ROOTER);
    let o = c.say("your guy was here tuesday and the damn toilet is STILL leaking");
    assert_eq!(o.intent, Intent::Complaint, "{}", o.reply);
    assert!(o.reply.contains("connect you with someone"), "{}", o.reply);
    assert!(
        o.entities.sentiment.is_some_and(|s| s < 0.0),
        "{:?}",
        o.entities
    );
    let o = c.say("just put me through to someone");
    assert!(c.committed().iter().any(|a| a.hands_off()), "{}", o.reply);
    // Mid-booking, repeating oneself pauses the booking for the offer.
    let mut c = Chat::new(ROOTER);
    c.say("i need a drain cleaning");
    let o = c.say("I already told you, friday!");
    assert!(o.reply.contains("message"), "{}", o.reply);
    let o = c.say("thanks, that's perfect");
    assert!(
        o.entities.sentiment.is_some_and(|s| s > 0.0),
        "{:?}",
        o.entities
    );
}

/// Something to say and a number to call back, with no time, item or unit asked for, is a
/// message, however it is put; with a time it is still a booking.
#[test]
fn something_to_say_and_a_number_to_call_back_is_a_message() {
    for q in [
        "Jun Wang here, we're adopting a second kitten and i want to know what shots she'll need. best number is 303-555-0539",
        "this is Gabriela Reyes, i want to ask about a business account for my shop, my number is (303) 555-0865",
        "please have someone call Camila Ortega at 3035550250, i'm wondering if my car is ready yet",
        // A day gone by tells what happened; it asks for no time.
        "hey, José Luis Herrera here. i think i left my jacket there last night, text me at 303-200-1338",
        "hi, Guerline Joseph - i was charged twice for the drain cleaning last tuesday and need that sorted out. reach me at (303) 200-0932",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(q);
        assert!(
            c.committed()
                .iter()
                .any(|a| matches!(a, Action::TakeMessage { .. })),
            "{q}: {}",
            o.reply
        );
    }
    let mut c = Chat::new(ROOTER);
    c.say("i need a drain cleaning friday at 10 am, my number is 303-555-0188");
    assert!(matches!(c.state.flow, Some(flows::Flow::Book { .. })));
    let mut c = Chat::new(ROOTER);
    c.say("last time was great, can you book the drain cleaning again next friday, my number is 303-555-0188");
    assert!(matches!(c.state.flow, Some(flows::Flow::Book { .. })));
}

/// A person at another company is not put through; one of ours is.
#[test]
fn only_a_person_here_is_put_through() {
    for q in [
        "put me through to american express",
        "i want to talk to the manager at walmart",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(q);
        assert!(
            !c.committed().iter().any(|a| a.hands_off()),
            "{q}: {}",
            o.reply
        );
    }
    for q in [
        "can you put me through to someone",
        "transfer me to the front desk please",
        "put me through to the manager",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(q);
        assert!(
            c.committed().iter().any(|a| a.hands_off()),
            "{q}: {}",
            o.reply
        );
    }
}

/// A booking set aside (the caller got frustrated) and then started again from the top is one
/// booking: finishing the new one does not resume the old one and book a second time.
#[test]
fn a_task_started_again_is_not_done_twice() {
    let mut c = Chat::new(ROOTER);
    c.caller = Some(PhoneE164::parse("+15125550123").unwrap());
    c.say("i need a drain cleaning");
    let o = c.say("I already told you, friday!");
    assert!(o.reply.contains("message"), "{}", o.reply);
    assert!(c.state.paused.is_some());
    let mut o = c.say("book me a drain cleaning tomorrow at 9am");
    for answer in ["the first one", "Ann Lee", "yes"] {
        if o.actions
            .iter()
            .any(|a| matches!(a, Action::BookAppointment { .. }))
        {
            break;
        }
        o = c.say(answer);
    }
    let booked = c
        .actions
        .iter()
        .filter(|a| matches!(a, Action::BookAppointment { .. }))
        .count();
    assert_eq!(booked, 1, "{}", o.reply);
    assert!(
        !o.reply.contains("back to what we were doing"),
        "{}",
        o.reply
    );
    assert!(c.state.flow.is_none() && c.state.paused.is_none());
}

/// "The soonest" of the times offered is the first of them.
#[test]
fn the_soonest_offered_time_is_the_first() {
    let mut c = Chat::new(ROOTER);
    let o = c.say("i need a drain cleaning tomorrow");
    assert!(o.reply.contains("Which works best"), "{}", o.reply);
    let o = c.say("i'll take the soonest");
    assert!(
        o.reply.contains("name") || o.reply.contains("confirm"),
        "{}",
        o.reply
    );
}

/// A dish asked for that the menu does not name is said to be missing, with the menu's
/// nearest names read out, instead of being dropped unheard; the end of an order is not one.
#[test]
fn a_dish_not_on_the_menu_is_said_to_be_missing() {
    let p = profile(PIZZA);
    let first = p.menu[0].name.as_str().to_lowercase();
    let mut c = Chat::new(PIZZA);
    let o = c.say("hi, i'd like to order 2 spicy chicken stews for pickup");
    assert!(o.reply.contains("couldn't find"), "{}", o.reply);
    assert!(o.reply.to_lowercase().contains(&first), "{}", o.reply);
    let o = c.say(&format!("ok then 2 {first}"));
    assert!(o.reply.contains("Anything else"), "{}", o.reply);
    let o = c.say("and 3 of the lamb vindaloo");
    assert!(o.reply.contains("couldn't find"), "{}", o.reply);
    let o = c.say("no that's all");
    assert!(!o.reply.contains("couldn't find"), "{}", o.reply);
}

/// A question the classifier guesses loosely as something else stays a question: no lookup
/// of the caller's appointments, no price list, no apology, no booking, and no alarm for a
/// question about emergency service put after a greeting.
#[test]
fn a_loose_guess_does_not_turn_a_question_into_a_task() {
    for (src, q) in [
        (
            ROOTER,
            "hi, do i have to be home for you to look at the pipes",
        ),
        (ROOTER, "hey, do you have a license number i could see"),
        (PIZZA, "hello, just curious, do you put msg in the sauce"),
        (
            PIZZA,
            "hi there, i was wondering how spicy is the hot honey",
        ),
        (ROOTER, "hi again, how much extra for emergency service"),
        (
            ROOTER,
            "sorry, i'm curious, do you guys do backflow testing",
        ),
    ] {
        let mut c = Chat::new(src);
        let o = c.say(q);
        assert!(
            c.state.flow.is_none()
                && !o.reply.contains("can't find an upcoming")
                && !o.reply.contains("sorry to hear")
                && !o.reply.contains("Which service")
                && !c.committed().iter().any(|a| a.hands_off()),
            "{q}: {} [{:?}]",
            o.reply,
            o.intent
        );
    }
}

/// A loosely read request or question about something the business never mentions is off
/// topic: no booking for a flight, no address for "how do I get an absentee ballot", no price
/// list for the weight of the earth. The same kinds of turns about the business's own things
/// are still served.
#[test]
fn a_request_about_something_the_business_never_mentions_is_off_topic() {
    for (src, q) in [
        (ROOTER, "i need to book a flight to phoenix for two adults"),
        (ROOTER, "how do i get an absentee ballot"),
        (STORAGE, "how much does the earth weigh"),
        (STORAGE, "how do i apply for a schengen visa"),
    ] {
        let mut c = Chat::new(src);
        let o = c.say(q);
        assert!(
            c.state.flow.is_none()
                && !o.reply.contains("We're at")
                && !o.reply.contains('$')
                && c.committed()
                    .iter()
                    .all(|a| matches!(a, Action::RecordUnanswered { .. })),
            "{q}: {}",
            o.reply
        );
    }
    for (src, q, want) in [
        (ROOTER, "what is your address", "880 Colfax"),
        (ROOTER, "i need to book a drain cleaning", "When"),
        (STORAGE, "how much is a 10x10", "$"),
    ] {
        let mut c = Chat::new(src);
        let o = c.say(q);
        assert!(o.reply.contains(want), "{q}: {}", o.reply);
    }
}

/// The word "emergency" naming a kind of thing the business never speaks of ("an emergency
/// passport", "the emergency room at St Mary's") alerts nobody; a caller who says they have
/// an emergency is still put through.
#[test]
fn an_emergency_thing_elsewhere_is_no_alarm() {
    for q in [
        "i need to get an emergency passport",
        "is the emergency room at st mary's busy right now",
        "an emergency alert just went off on my phone what does it mean",
    ] {
        let mut c = Chat::new(PIZZA);
        let o = c.say(q);
        assert_ne!(o.intent, Intent::Emergency, "{q}: {}", o.reply);
        assert!(!c.committed().iter().any(|a| a.hands_off()), "{q}");
    }
    for q in [
        "i have an emergency, my dog ate chocolate",
        "this is an emergency please help",
    ] {
        let mut c = Chat::new(PIZZA);
        let o = c.say(q);
        assert_eq!(o.intent, Intent::Emergency, "{q}: {}", o.reply);
    }
}

/// A service whose name holds the word ("Emergency visit", "Emergency drain service") is asked
/// for, not an alarm, when the caller names it to book it; a caller who tells of an emergency
/// of the business's own kind is still put through.
#[test]
fn a_service_named_emergency_is_booked_not_escalated() {
    let src = format!("{ROOTER}\n").replace(
        "services:\n",
        "services:\n  - name: Emergency Visit\n    duration_min: 30\n    price: 199\n",
    );
    assert!(
        src.contains("Emergency Visit"),
        "the profile's services moved"
    );
    for q in [
        "I'd like to schedule an emergency visit May 4 at 8 am, please",
        "can i book an emergency visit for tomorrow morning",
    ] {
        let mut c = Chat::new(&src);
        let o = c.say(q);
        assert_eq!(o.intent, Intent::Book, "{q}: {}", o.reply);
        assert!(!c.committed().iter().any(|a| a.hands_off()), "{q}");
    }
    for q in [
        "a pipe burst and water is everywhere, i need an emergency visit now",
        "this is an emergency please help",
    ] {
        let mut c = Chat::new(&src);
        let o = c.say(q);
        assert_eq!(o.intent, Intent::Emergency, "{q}: {}", o.reply);
    }
}

/// Asking for a person about something the business never mentions is not put straight
/// through: the caller hears whom they reached and is offered a message or a person.
#[test]
fn a_person_asked_for_about_something_else_is_offered_first() {
    let mut c = Chat::new(PIZZA);
    let o = c.say("i'd like to speak to someone about my electric bill");
    assert!(!c.committed().iter().any(|a| a.hands_off()), "{}", o.reply);
    assert!(o.reply.contains("Tony's Pizzeria"), "{}", o.reply);
    let mut c = Chat::new(PIZZA);
    c.say("can i speak to someone about my pizza order");
    assert!(c.committed().iter().any(|a| a.hands_off()));
}

/// A request put as a question after the trouble is told is a request: "my drain is clogged,
/// can you send someone" books.
#[test]
fn a_request_after_the_trouble_is_a_request() {
    for q in [
        "my shower drain is totally clogged, can you send someone",
        "the kitchen sink is backed up. could you come out tomorrow",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(q);
        assert!(
            matches!(c.state.flow, Some(flows::Flow::Book { .. })),
            "{q}: {}",
            o.reply
        );
    }
}

const SALON: &str = r#"
version: 1
slug: cutco
name: Cut Co
kind: appointments
timezone: America/Denver
phone: "+17205550100"
hours: {mon: "09:00-17:00", tue: "09:00-17:00", wed: "09:00-17:00"}
services:
  - {name: Haircut, duration_min: 30, price: 30}
faqs:
  - q: Do you take walk-ins?
    a: We welcome walk-ins when a chair is free; booked clients go first.
  - q: Is parking free?
    a: Yes, there is a free lot behind the shop.
  - q: Do you sell gift cards?
    a: Gift cards come in any amount and never expire.
  - q: What is your cancellation policy?
    a: Please give us 24 hours notice to cancel or there is a $15 fee.
  - q: Do you cut children's hair?
    a: We cut kids' hair from age 3, and kids' cuts are $18.
  - q: What products do you use?
    a: We use and sell Aveda products.
"#;

fn recorded(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::RecordUnanswered { .. }))
        .count()
}

/// A question the knowledge base matches only loosely is not answered outright nor turned
/// away: the owner's own question is read back, nothing is stated, and the question is noted
/// for the owner. "Yes" gives the answer.
#[test]
fn an_unsure_answer_is_read_back_and_given_on_yes() {
    let mut c = Chat::new(SALON);
    let o = c.say("is there a fee for not showing up, like if i forget?");
    assert!(
        o.reply.contains("what is your cancellation policy?"),
        "{}",
        o.reply
    );
    assert!(
        !o.reply.contains('$') && !o.reply.contains("24"),
        "{}",
        o.reply
    );
    assert_eq!(o.source, None);
    assert_eq!(recorded(&o.actions), 1);
    assert_eq!(c.state.asking(), Some(Ask::Meant));
    let o = c.say("yes");
    assert!(o.reply.contains("24 hours notice"), "{}", o.reply);
    assert_eq!(o.source, Some(Source::Faq(3)));
    assert_eq!(c.state.asking(), None);
}

/// "No" to the read-back states nothing: a message is offered, and the question, already
/// noted, is not noted twice.
#[test]
fn a_read_back_answered_no_states_nothing() {
    let mut c = Chat::new(SALON);
    let o = c.say("what brand of shampoo and conditioner do you put on my hair?");
    assert!(o.reply.contains("Did you mean"), "{}", o.reply);
    let o = c.say("no");
    assert_eq!(o.source, None);
    assert!(o.reply.contains("message"), "{}", o.reply);
    assert!(
        !o.reply.contains('$') && !o.reply.contains("age 3"),
        "{}",
        o.reply
    );
    assert_eq!(recorded(&c.actions), 1);
    assert_eq!(
        c.committed().len(),
        1,
        "nothing but the note: {:?}",
        c.committed()
    );
}

/// A caller who asks something else instead of answering the read-back is answered as usual.
#[test]
fn a_read_back_gives_way_to_a_new_question() {
    let mut c = Chat::new(SALON);
    c.say("is there a fee for not showing up, like if i forget?");
    let o = c.say("is parking free?");
    assert!(o.reply.contains("free lot"), "{}", o.reply);
}

/// A transaction with someone else ("cancel my gym membership", "reschedule my cable
/// install") starts nothing here, however clear the verb; the same verbs about this
/// business's own things do, and a caller's unusual name is no foreign subject.
#[test]
fn someone_elses_transaction_starts_nothing() {
    for (src, turn) in [
        (ROOTER, "can you cancel my gym membership"),
        (
            ROOTER,
            "i want to reschedule my cable installation with comcast",
        ),
        (STORAGE, "i need to book a hotel in phoenix"),
        (PIZZA, "can you check on my amazon package"),
    ] {
        let mut c = Chat::new(src);
        let o = c.say(turn);
        assert!(c.state.flow.is_none(), "{turn}: {}", o.reply);
        assert!(
            o.actions
                .iter()
                .all(|a| matches!(a, Action::RecordUnanswered { .. })),
            "{turn}: {:?}",
            o.actions
        );
    }
    for (src, turn) in [
        (ROOTER, "Oluwaseun here, need to cancel my appointment"),
        (ROOTER, "i need to reschedule my drain cleaning"),
        (STORAGE, "i want to reserve a 10x10"),
    ] {
        let mut c = Chat::new(src);
        let o = c.say(turn);
        assert!(c.state.flow.is_some(), "{turn}: {}", o.reply);
    }
}

/// Asking whether a day and time are open for a service is asking for it, however it is put;
/// asking whether the business is open on a day asks its hours.
#[test]
fn asking_whether_a_time_is_open_books_it() {
    for q in [
        "do you have 10 a.m. next friday for drain cleaning",
        "do you have anything at 9 on friday for a leak inspection",
        "hey is 3:15 p.m. this coming friday free? looking for a leak inspection",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(q);
        assert_eq!(o.intent, Intent::Book, "{q}: {}", o.reply);
    }
    let mut c = Chat::new(ROOTER);
    let o = c.say("are you open on saturday?");
    assert!(o.reply.contains("8 AM"), "{}", o.reply);
}

/// While times are offered, a day of the month said as an ordinal ("I meant on the 2nd") is
/// another day asked for; "the second one", "the first of those" pick among the times offered.
#[test]
fn an_ordinal_day_is_a_day_and_an_ordinal_pick_is_a_pick() {
    let offer = || {
        let mut c = Chat::new(ROOTER);
        c.caller = Some(PhoneE164::parse("+13035550123").unwrap());
        let o = c.say("i need a drain cleaning on friday");
        assert!(o.reply.contains("Friday, November 20"), "{}", o.reply);
        c
    };
    let mut c = offer();
    let o = c.say("oops, i meant on the 2nd");
    assert!(
        o.reply.contains("December 2") && !o.reply.contains("name"),
        "{}",
        o.reply
    );
    for (q, at) in [
        ("the second one", "8:30 AM"),
        ("the first of those", "7 AM"),
    ] {
        let mut c = offer();
        c.say(q);
        let o = c.say("Dana Reyes");
        assert!(o.reply.contains(at), "{q}: {}", o.reply);
    }
}

const CLINIC: &str = r#"
version: 1
slug: clinic
name: Elm Street Animal Clinic
kind: appointments
timezone: America/Denver
phone: "+17205550100"
hours: {mon: "08:00-18:00", tue: "08:00-18:00", wed: "08:00-18:00", thu: "08:00-18:00", fri: "08:00-18:00"}
services:
  - {name: Wellness Exam, duration_min: 30, price: 65}
  - {name: Dental Cleaning, duration_min: 90, price: 320}
faqs:
  - q: Does my pet need to fast before surgery?
    a: Yes, no food after midnight the night before; water is fine until morning.
  - q: Do you see exotic pets?
    a: Dr. Lin sees rabbits, birds and reptiles on Tuesdays and Thursdays.
  - q: How often should I change my pet's flea treatment?
    a: Monthly treatments are changed every 30 days, all year round.
  - q: Can I cancel or move my appointment?
    a: Please give us 24 hours notice to cancel or move a visit.
"#;

/// A question put in the owner's own words (nearly every informative word in one FAQ) is
/// answered from it, whatever its verbs sound like: "see" is no goodbye, "fast before" and
/// "change" are no move of a booking.
#[test]
fn a_question_in_the_owners_own_words_is_answered() {
    for (q, key) in [
        ("does my pet need to fast before surgery?", "midnight"),
        ("do you see exotic pets?", "reptiles"),
        (
            "how often should i change my pet's flea treatment?",
            "30 days",
        ),
    ] {
        let mut c = Chat::new(CLINIC);
        let o = c.say(q);
        assert!(o.reply.contains(key), "{q}: {}", o.reply);
        assert!(!o.end, "{q}");
        assert!(c.state.flow.is_none(), "{q}");
    }
    // A request stays a request.
    let mut c = Chat::new(CLINIC);
    let o = c.say("can i book a wellness exam for my dog?");
    assert!(c.state.flow.is_some(), "{}", o.reply);
}

/// A dish counted out that the menu does not have is said to be missing, even when the turn
/// opens with a question ("can I order for pickup?"), and no other dish is put in its place.
#[test]
fn a_dish_counted_out_that_the_menu_lacks_is_said_to_be_missing() {
    let mut c = Chat::new(PIZZA);
    let o = c.say("can i order for pickup? 2 pad kee mao");
    assert!(o.reply.contains("couldn't find"), "{}", o.reply);
    match &c.state.flow {
        Some(flows::Flow::Order { lines, .. }) => assert!(lines.is_empty(), "{lines:?}"),
        f => panic!("no order flow: {f:?}"),
    }
}

const SPA: &str = r#"
version: 1
slug: spa
name: Quiet Hour Spa
kind: appointments
timezone: America/Denver
phone: "+17205550100"
hours: {mon: "09:00-19:00", tue: "09:00-19:00", wed: "09:00-19:00", thu: "09:00-19:00", fri: "09:00-19:00", sat: "09:00-19:00"}
services:
  - {name: Swedish Massage, duration_min: 60, price: 90}
  - {name: Hot Stone Massage, duration_min: 75, price: 115}
  - {name: Couples Massage, duration_min: 60, price: 190}
  - {name: Signature Facial, duration_min: 60, price: 95}
"#;

/// A kind of service the business offers, with a day or a time, is a booking asked for,
/// however loosely put; something the caller did there earlier is no booking but a message.
#[test]
fn a_service_with_a_day_is_a_booking_and_a_past_visit_is_a_message() {
    for s in [
        "need a massage for me and my partner friday, 2 pm work?",
        "gonna want a facial saturday morning",
    ] {
        let mut c = Chat::new(SPA);
        let o = c.say(s);
        assert!(
            matches!(c.state.flow, Some(flows::Flow::Book { .. })),
            "{s}: {}",
            o.reply
        );
    }
    for s in [
        "i left a silver bracelet in one of the rooms after my massage today, text me at 720 555 0199",
        "we dropped off a gift card for the facial this morning, my number is 720 555 0123",
    ] {
        let mut c = Chat::new(SPA);
        let o = c.say(s);
        assert!(
            c.actions
                .iter()
                .any(|a| matches!(a, Action::TakeMessage { .. })),
            "{s}: {}",
            o.reply
        );
    }
}

/// The end of an order is said in many ways ("that should do it", "that's the whole order",
/// "nothing else"), also after the agent asked what else; "make it mild" is no end.
#[test]
fn the_end_of_an_order_in_many_words() {
    for end in [
        "that should do it",
        "yeah that's the whole order",
        "nothing else",
        "that'll do",
    ] {
        let mut c = Chat::new(PIZZA);
        c.say("can i get 2 pepperoni pizzas for pickup");
        let o = c.say(end);
        assert!(!o.reply.contains("what else"), "{end}: {}", o.reply);
        match &c.state.flow {
            Some(flows::Flow::Order { more_done, .. }) => assert!(*more_done, "{end}"),
            f => panic!("{end}: {f:?}"),
        }
    }
    let mut c = Chat::new(PIZZA);
    c.say("can i get 2 garlic knots for pickup");
    c.say("and a pepperoni pizza, make it large");
    match &c.state.flow {
        Some(flows::Flow::Order {
            lines, more_done, ..
        }) => {
            assert!(!*more_done);
            assert_eq!(lines.len(), 2, "{lines:?}");
        }
        f => panic!("{f:?}"),
    }
}

fn acted(c: &Chat) -> bool {
    c.actions.iter().any(|a| {
        matches!(
            a,
            Action::Transfer { .. } | Action::Escalate { .. } | Action::TakeMessage { .. }
        )
    })
}

/// A person is put through to when the caller asks for one of ours; not one at another
/// company (even one the FAQs mention as a card taken), not "the person who orders your
/// office supplies" (a job the assistant cannot know: a message is offered), and not "talk to
/// me for a minute", which asks for no one.
#[test]
fn a_person_is_put_through_only_when_one_of_ours_is_asked_for() {
    let with_cards = ROOTER.replacen(
        "faqs:\n",
        "faqs:\n  - q: Which cards do you take?\n    a: Visa, Mastercard and American Express.\n",
        1,
    );
    for s in [
        "put me through to american express",
        "transfer me to a live agent at paypal",
        "can i talk to the person who orders your office supplies",
        "can you just talk to me for a minute",
    ] {
        let mut c = Chat::new(&with_cards);
        let o = c.say(s);
        assert!(!acted(&c), "{s}: {}", o.reply);
        assert!(!o.end, "{s}");
    }
    for s in [
        "let me talk to a real person please",
        "can you transfer me to Jordan",
        "put me through to someone at the front desk",
    ] {
        let mut c = Chat::new(&with_cards);
        let o = c.say(s);
        assert!(
            c.actions
                .iter()
                .any(|a| matches!(a, Action::Transfer { .. })),
            "{s}: {}",
            o.reply
        );
    }
}

/// A question with a farewell in it ends nothing; a farewell does.
#[test]
fn a_question_about_a_farewell_is_no_farewell() {
    for s in [
        "is ciao hello or goodbye",
        "how do you say see you tomorrow in portuguese",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(s);
        assert!(!o.end, "{s}: {}", o.reply);
    }
    let mut c = Chat::new(ROOTER);
    assert!(c.say("ok thanks, bye").end);
}

/// A business's alarm word said of something else ("my inbox is flooded with junk", "how long
/// to smoke a brisket") or while laughing raises no alarm; said of an event, it does.
#[test]
fn an_alarm_word_said_of_something_else_raises_no_alarm() {
    for (profile, s) in [
        (ROOTER, "my inbox is flooded with junk help"),
        (
            ROOTER,
            "my pipes in minecraft keep flooding lol how do i fix it",
        ),
        (STORAGE, "how long to smoke a brisket"),
        (STORAGE, "haha my group chat is on fire today"),
    ] {
        let mut c = Chat::new(profile);
        let o = c.say(s);
        assert!(!acted(&c), "{s}: {}", o.reply);
    }
    for (profile, s) in [
        (ROOTER, "help my basement is flooding with water"),
        (ROOTER, "the kitchen is flooding, please hurry"),
        (STORAGE, "there's smoke coming out of unit 12"),
        (STORAGE, "i think there is a fire in the building"),
    ] {
        let mut c = Chat::new(profile);
        let o = c.say(s);
        assert!(
            c.actions
                .iter()
                .any(|a| matches!(a, Action::Escalate { .. })),
            "{s}: {}",
            o.reply
        );
    }
}

/// A service named in a question about something else is not answered with its price; a
/// question about its price or its monthly rate is.
#[test]
fn a_question_about_something_else_is_not_answered_with_a_price() {
    for s in [
        "is my puppy too young for a dental cleaning?",
        "what should i bring to the wellness exam, like old records?",
    ] {
        let mut c = Chat::new(CLINIC);
        let o = c.say(s);
        assert!(!o.reply.contains('$'), "{s}: {}", o.reply);
    }
    let mut c = Chat::new(CLINIC);
    assert!(
        c.say("how much is a dental cleaning?")
            .reply
            .contains("$320")
    );
    let mut c = Chat::new(STORAGE);
    let o = c.say("how much is a 10x10 a month?");
    assert!(o.reply.contains('$'), "{}", o.reply);
    // The service's own description words and "ballpark" still ask its price.
    let mut c = Chat::new(ROOTER);
    let o = c.say("ballpark for snaking a drain?");
    assert!(o.reply.contains('$'), "{}", o.reply);
}

/// A task for someone else that sounds like one of ours (a message for the governor, moving
/// one's retirement savings) starts nothing; the same words about ours still do.
#[test]
fn a_task_for_someone_else_starts_nothing() {
    for s in [
        "i want to leave a message for the governor",
        "can you leave a message with my son's school",
        "i need to move my retirement savings over to vanguard",
        "please cancel my gym membership",
        "i'm looking for a used piano for my daughter",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(s);
        assert!(c.state.flow.is_none(), "{s}: {}", o.reply);
        assert!(!acted(&c), "{s}: {}", o.reply);
    }
    for s in [
        "can you leave a message for mike",
        "i need to move my appointment",
        "sorry, need to cancel april 6th, something came up",
        "please leave a message for the owner",
    ] {
        let mut c = Chat::new(ROOTER);
        let o = c.say(s);
        assert!(c.state.flow.is_some(), "{s}: {}", o.reply);
    }
}
