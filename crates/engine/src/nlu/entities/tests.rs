use super::*;
use crate::nlu::text::words;
use crate::profile::Profile;

fn pizza() -> Profile {
    Profile::from_yaml(include_str!("../../../../../demo/tonys-pizza.yaml")).unwrap()
}
fn storage() -> Profile {
    Profile::from_yaml(include_str!("../../../../../demo/sunny-storage.yaml")).unwrap()
}

#[test]
fn phone_numbers_typed_and_spoken() {
    for s in [
        "it's 512-555-0134",
        "five one two five five five oh one three four",
        "my number is 512 555 0134 thanks",
        "five twelve, five five five, zero one three four",
        "five one two double five five zero one three four",
        "+1 512 555 0134",
    ] {
        assert_eq!(
            phone(&words(s), "1").map(|p| p.to_string()),
            Some("+15125550134".into()),
            "{s}"
        );
    }
    assert_eq!(phone(&words("call me at 555 01"), "1"), None);
}

#[test]
fn email_addresses_typed_and_spoken() {
    for (s, e) in [
        ("it's john.smith@Gmail.com thanks", "john.smith@gmail.com"),
        ("john at gmail dot com", "john@gmail.com"),
        (
            "sure it's maria dot lopez at example dot co dot uk",
            "maria.lopez@example.co.uk",
        ),
    ] {
        assert_eq!(
            email(s, &words(s)).map(|x| x.to_string()),
            Some(e.to_owned()),
            "{s}"
        );
    }
    assert_eq!(
        email("meet me at the office", &words("meet me at the office")),
        None
    );
}

#[test]
fn names_from_introductions_and_answers() {
    assert_eq!(
        name(&words("hi my name is maria lopez"), false),
        Some("Maria Lopez".into())
    );
    assert_eq!(
        name(&words("this is dave calling about a unit"), false),
        Some("Dave".into())
    );
    assert_eq!(name(&words("it's priya"), true), Some("Priya".into()));
    assert_eq!(
        name(&words("sure, Tom Baker"), true),
        Some("Tom Baker".into())
    );
    assert_eq!(
        name(&words("Dee Park dee at example dot com"), true),
        Some("Dee Park".into())
    );
    assert_eq!(name(&words("i'm looking for a unit"), true), None);
    assert_eq!(name(&words("i want to book a cleaning"), false), None);
    // A correction answering "what name?" is no name.
    for s in [
        "wait, sorry, tuesday the 2nd instead",
        "hold on, make that friday",
        "oops i meant the 3rd",
    ] {
        assert_eq!(name(&words(s), true), None, "{s}");
    }
}

/// A name given the ways people give one when asked for it.
#[test]
fn names_in_every_common_form() {
    for (s, want) in [
        ("put it under Ana Morales", "Ana Morales"),
        ("you can put Rania Aziz", "Rania Aziz"),
        ("under Okafor please", "Okafor"),
        ("first name Jian, last name Wu", "Jian Wu"),
        ("last name Wu, first Jian", "Jian Wu"),
        ("Wei, last name Zhang", "Wei Zhang"),
        ("under Oliveira, first name Thiago", "Thiago Oliveira"),
        ("oh yeah it's Mai Do", "Mai Do"),
        ("Mai Do is the name", "Mai Do"),
        ("sure, Hannah Price", "Hannah Price"),
    ] {
        assert_eq!(name(&words(s), true).as_deref(), Some(want), "{s}");
    }
    // Introductions that were not asked for.
    for (s, want) in [
        (
            "Scott Reynolds here, i need my notes sent over",
            "Scott Reynolds",
        ),
        ("hi, Ana Lee calling about my bill", "Ana Lee"),
        ("hey it's Chidi Okonkwo", "Chidi Okonkwo"),
    ] {
        assert_eq!(name(&words(s), false).as_deref(), Some(want), "{s}");
    }
    assert_eq!(name(&words("i need a cleaning here"), false), None);
    assert_eq!(
        with_hyphens("it's Maria Garcia-Lopez", "Maria Garcia Lopez".into()),
        "Maria Garcia-Lopez"
    );
    // Not names: a confirmation, a date, a question.
    for s in ["yes that's right", "friday at 4", "what time do you close"] {
        assert_eq!(name(&words(s), true), None, "{s}");
    }
}

#[test]
fn yes_and_no_in_their_many_forms() {
    for s in [
        "yes",
        "yeah that works",
        "sure go ahead",
        "sounds good",
        "yep book it",
        "correct",
    ] {
        assert_eq!(polarity(&words(s)), Some(true), "{s}");
    }
    for s in ["no", "nope", "no that's wrong", "not really", "nah"] {
        assert_eq!(polarity(&words(s)), Some(false), "{s}");
    }
    assert_eq!(polarity(&words("what time do you close")), None);
}

/// Assent said the way people type and speak it: stretched letters, a yes word after a filler,
/// a phrase of assent; and a denial of the read-back is a no even with a yes word in it.
#[test]
fn yes_and_no_stretched_after_fillers_or_as_phrases() {
    for s in [
        "yess",
        "yesss please",
        "okk",
        "uh huh, that's right",
        "mm hmm",
        "um yeah",
        "oh yep that's it",
        "ok sounds good",
        "all good",
        "looks right to me",
    ] {
        assert_eq!(polarity(&words(s)), Some(true), "{s}");
    }
    for s in [
        "nooo",
        "that's not right",
        "yeah no, wrong day",
        "ok that's not correct",
    ] {
        assert_eq!(polarity(&words(s)), Some(false), "{s}");
    }
}

#[test]
fn unit_sizes_by_dimension_or_description() {
    let p = storage();
    let t = |s: &str| unit(&words(s), &p.units).map(|u| u.unit_type.clone());
    assert_eq!(t("do you have a ten by ten"), Some("10x10".into()));
    assert_eq!(t("a 10 x 15 please"), Some("10x15".into()));
    assert_eq!(t("the 10x20"), Some("10x20".into()));
    assert_eq!(t("your smallest one"), Some("5x5".into()));
    assert_eq!(t("the biggest unit"), Some("10x20".into()));
    assert_eq!(t("fifteen by ten"), Some("10x15".into()));
    assert_eq!(t("how much is it"), None);
}

#[test]
fn menu_lines_with_quantities_and_options() {
    let p = pizza();
    let lines = menu_lines(&words("two large margheritas and garlic knots"), &p.menu);
    assert_eq!(
        lines,
        vec![
            Line {
                item: "Margherita pizza".into(),
                quantity: 2,
                options: vec![("size".into(), "large".into())]
            },
            Line {
                item: "Garlic knots".into(),
                quantity: 1,
                options: vec![]
            },
        ]
    );
    let lines = menu_lines(
        &words("can i get a pepperoni pizza small thin crust plus 3 cannolis"),
        &p.menu,
    );
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0].options,
        vec![
            ("size".into(), "small".into()),
            ("crust".into(), "thin".into())
        ]
    );
    assert_eq!((lines[1].item.as_str(), lines[1].quantity), ("Cannoli", 3));
    let lines = menu_lines(&words("one margarita gluten free"), &p.menu);
    assert_eq!(lines[0].item, "Margherita pizza");
    assert!(menu_lines(&words("what time do you close"), &p.menu).is_empty());
}

/// A count belongs to the item it precedes, unless it is part of the item's name; an item
/// said twice without a new count is one line.
#[test]
fn order_lines_count_what_is_counted_once() {
    let p = Profile::from_yaml(
        "version: 1\nslug: s\nname: S\nkind: restaurant\ntimezone: UTC\nphone: \"+15125550100\"\nmenu:\n  - name: 2-Liter Soda\n    price: 3.5\n    options:\n      - {name: flavor, choices: {Coke: 0, Sprite: 0}}\n  - name: Wing Basket\n    price: 12\n    options:\n      - {name: sauce, choices: {Mild: 0, Hot: 0}}\n  - {name: Garlic Knots, price: 5}\n",
    )
    .unwrap();
    let lines = |s: &str| {
        menu_lines(&words(s), &p.menu)
            .into_iter()
            .map(|l| (l.item, l.quantity, l.options))
            .collect::<Vec<_>>()
    };
    let opt = |n: &str, c: &str| vec![(n.to_owned(), c.to_owned())];
    assert_eq!(
        lines("three of the two liter, sprite"),
        [("2-Liter Soda".to_owned(), 3, opt("flavor", "Sprite"))]
    );
    assert_eq!(
        lines("2 2 liter soda sprite for the soda"),
        [("2-Liter Soda".to_owned(), 2, opt("flavor", "Sprite"))]
    );
    assert_eq!(
        lines("3 wing basket hot on the wings"),
        [("Wing Basket".to_owned(), 3, opt("sauce", "Hot"))]
    );
    // A word of another item's option is the option: "chicken" of the wings is no chicken
    // item; "and" inside an item's name does not end its options.
    let p2 = Profile::from_yaml(
        "version: 1\nslug: s\nname: S\nkind: restaurant\ntimezone: UTC\nphone: \"+15125550100\"\nmenu:\n  - name: Pad Thai\n    price: 13\n    options:\n      - {name: protein, choices: {Chicken: 0, Tofu: 0}}\n      - {name: spice, choices: {Hot: 0, Thai Hot: 0}}\n  - {name: Chicken Satay, price: 9}\n  - name: Chips and Guacamole\n    price: 6\n    options:\n      - {name: size, choices: {Small: 0, Large: 2}}\n",
    )
    .unwrap();
    let lines2 = |s: &str| {
        menu_lines(&words(s), &p2.menu)
            .into_iter()
            .map(|l| (l.item, l.quantity, l.options))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        lines2("2 pad thai chicken thai hot"),
        [(
            "Pad Thai".to_owned(),
            2,
            vec![
                ("protein".to_owned(), "Chicken".to_owned()),
                ("spice".to_owned(), "Thai Hot".to_owned())
            ]
        )]
    );
    assert_eq!(
        lines2("2 chips and guacamole make it a large"),
        [("Chips and Guacamole".to_owned(), 2, opt("size", "Large"))]
    );
    assert_eq!(lines2("three satay")[0].0, "Chicken Satay");
    // An everyday word that is an item's name, and a choice of the item just named.
    let p3 = Profile::from_yaml(
        "version: 1\nslug: s\nname: S\nkind: restaurant\ntimezone: UTC\nphone: \"+15125550100\"\nmenu:\n  - {name: Everything Bagel, price: 3}\n  - {name: Almond Croissant, price: 4}\n  - name: Cappuccino\n    price: 4\n    options:\n      - {name: milk, choices: {Whole: 0, Almond: 0.75}}\n",
    )
    .unwrap();
    let lines3 = |s: &str| {
        menu_lines(&words(s), &p3.menu)
            .into_iter()
            .map(|l| (l.item, l.quantity, l.options))
            .collect::<Vec<_>>()
    };
    assert!(lines3("that's everything thanks").is_empty());
    assert_eq!(lines3("an everything bagel")[0].0, "Everything Bagel");
    assert_eq!(
        lines3("two cappuccino with almond milk"),
        [("Cappuccino".to_owned(), 2, opt("milk", "Almond"))]
    );
    assert_eq!(lines3("a cappuccino and an almond croissant").len(), 2);
    // Two counted mentions are two lines.
    assert_eq!(
        lines("one wing basket mild and one wing basket hot").len(),
        2
    );
}

/// A service's word clipped as people say it names it ("a pedi", "mani", "consult"), and a
/// service for children is meant only when a child is mentioned or nothing else fits.
#[test]
fn services_named_by_clipped_words_and_for_adults_unless_a_child_is_said() {
    let p = Profile::from_yaml(
        "version: 1\nslug: s\nname: S\nkind: appointments\ntimezone: UTC\nphone: \"+15125550100\"\nservices:\n  - {name: Gel Manicure, duration_min: 45}\n  - {name: Kids' Mani & Pedi (under 10), duration_min: 45}\n  - {name: Spa Pedicure, duration_min: 60}\n  - {name: Pediatric Physio Session, duration_min: 45}\n  - {name: Follow-Up Treatment, duration_min: 45}\n  - {name: Initial Consultation, duration_min: 60}\n",
    )
    .unwrap();
    let s = |t: &str| service(&words(t), &p.services).map(|s| s.name.to_string());
    for (said, want) in [
        ("id like to book a pedi for 1:30pm thursday", "Spa Pedicure"),
        ("can i get a gel mani tomorrow", "Gel Manicure"),
        ("i'd like a consult next week", "Initial Consultation"),
        (
            "need to book a follow-up physio session",
            "Follow-Up Treatment",
        ),
        (
            "a mani and pedi for my daughter, she's eight",
            "Kids' Mani & Pedi (under 10)",
        ),
        ("physio session for my son", "Pediatric Physio Session"),
    ] {
        assert_eq!(s(said).as_deref(), Some(want), "{said}");
    }
    // Only a children's service fits the words: it is the one.
    let k = Profile::from_yaml(
        "version: 1\nslug: s\nname: S\nkind: appointments\ntimezone: UTC\nphone: \"+15125550100\"\nservices:\n  - {name: Kids' Mani & Pedi (under 10), duration_min: 45}\n  - {name: Acrylic Full Set, duration_min: 75}\n",
    )
    .unwrap();
    assert_eq!(
        service(&words("a mani pedi please"), &k.services).map(|s| s.name.to_string()),
        Some("Kids' Mani & Pedi (under 10)".into())
    );
}

#[test]
fn services_by_name_or_description() {
    let p = Profile::from_yaml(include_str!("../../../../../demo/rapid-rooter.yaml")).unwrap();
    let s = |t: &str| service(&words(t), &p.services).map(|s| s.name.to_string());
    assert_eq!(
        s("my kitchen drain is clogged"),
        Some("Drain cleaning".into())
    );
    assert_eq!(
        s("the water heater stopped working"),
        Some("Water heater repair".into())
    );
    assert_eq!(
        s("can someone check for a leak"),
        Some("Leak inspection".into())
    );
    assert_eq!(s("what are your hours"), None);
}

/// Services that share words are told apart by the word that differs, and by who the service
/// is for.
#[test]
fn services_told_apart_by_their_distinctive_word_and_audience() {
    let p = Profile::from_yaml(
        "version: 1\nslug: s\nname: S\nkind: appointments\ntimezone: UTC\nphone: \"+15125550100\"\nservices:\n  - {name: Cleaning & Exam, duration_min: 60}\n  - {name: Deep Cleaning (per quadrant), duration_min: 60}\n  - {name: Children's Cleaning & Exam, duration_min: 45}\n  - {name: Men's Haircut, duration_min: 30}\n  - {name: Women's Cut & Style, duration_min: 60}\n  - {name: Kids' Cut (12 and under), duration_min: 30}\n  - {name: Faucet Installation, duration_min: 60}\n  - {name: Water Softener Installation, duration_min: 120}\n  - {name: Prenatal Massage, duration_min: 60}\n  - {name: Couples Massage, duration_min: 60}\n",
    )
    .unwrap();
    let s = |t: &str| service(&words(t), &p.services).map(|s| s.name.to_string());
    for (said, want) in [
        ("i need a cleaning", "Cleaning & Exam"),
        (
            "can i get a deep clean next week",
            "Deep Cleaning (per quadrant)",
        ),
        ("a cleaning for my son", "Children's Cleaning & Exam"),
        ("pediatric cleaning please", "Children's Cleaning & Exam"),
        (
            "a haircut for my daughter, she's six",
            "Kids' Cut (12 and under)",
        ),
        ("just a men's cut", "Men's Haircut"),
        ("a ladies cut and blow dry", "Women's Cut & Style"),
        ("we want a softener put in", "Water Softener Installation"),
        ("new faucet installed", "Faucet Installation"),
    ] {
        assert_eq!(s(said).as_deref(), Some(want), "{said}");
    }
    // A word only one service's description uses names it; for a child, only a child's
    // service will do.
    let d = Profile::from_yaml(
        "version: 1\nslug: s\nname: S\nkind: appointments\ntimezone: UTC\nphone: \"+15125550100\"\nservices:\n  - {name: Adult cleaning & exam, duration_min: 60, description: Cleaning and check-up for patients 13 and over.}\n  - {name: Emergency exam, duration_min: 30, description: Same-day visit for a toothache or a chipped tooth.}\n  - {name: Kids' cut, duration_min: 30, description: Haircut for children 12 and under.}\n  - {name: Beard trim, duration_min: 15, description: Shape-up and trim.}\n",
    )
    .unwrap();
    let sd = |t: &str| service(&words(t), &d.services).map(|s| s.name.to_string());
    assert_eq!(
        sd("I've had a bad toothache since last night").as_deref(),
        Some("Emergency exam")
    );
    assert_eq!(
        sd("my daughter is seven and needs a trim").as_deref(),
        Some("Kids' cut")
    );
    assert_eq!(sd("can i come in tomorrow"), None);
    // A word in a name's brackets does not name it by itself: "under" in "put it under Ana".
    assert_eq!(s("put it under Ana Lee"), None);
    // Of two that fit equally, the one the words do not modify: a cleaning is not a deep one.
    let c = Profile::from_yaml(
        "version: 1\nslug: s\nname: S\nkind: appointments\ntimezone: UTC\nphone: \"+15125550100\"\nservices:\n  - {name: Deep Cleaning (per quadrant), duration_min: 60}\n  - {name: Cleaning & Checkup, duration_min: 60}\n  - {name: Teeth Whitening, duration_min: 60}\n",
    )
    .unwrap();
    let sc = |t: &str| service(&words(t), &c.services).map(|s| s.name.to_string());
    assert_eq!(
        sc("my six month cleaning").as_deref(),
        Some("Cleaning & Checkup")
    );
    assert_eq!(
        sc("a deep clean").as_deref(),
        Some("Deep Cleaning (per quadrant)")
    );
    // Words that fit two services equally name neither: the caller is asked which.
    assert_eq!(s("a massage"), None);
    assert_eq!(s("a couples massage"), Some("Couples Massage".into()));
}

/// An item's word clipped as people say it ("guac") names the item and keeps the count said
/// before it, in either order of the name's words; an everyday word that begins a longer one
/// ("cheese" of "cheesecake") is only itself.
#[test]
fn menu_items_named_by_clipped_words_keep_their_count() {
    let p = Profile::from_yaml(
        "version: 1\nslug: s\nname: S\nkind: restaurant\ntimezone: UTC\nphone: \"+15125550100\"\nmenu:\n  - name: Chips & Guacamole\n    price: 6.5\n    options:\n      - {name: size, choices: {Small: 0, Large: 2}}\n  - {name: Veggie Burrito, price: 9}\n  - {name: Cheese Pizza, price: 12}\n  - {name: Cheesecake, price: 5}\n",
    )
    .unwrap();
    let lines = |s: &str| {
        menu_lines(&words(s), &p.menu)
            .into_iter()
            .map(|l| (l.item, l.quantity))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        lines("I'd like to order 3 guac and chips, please."),
        [("Chips & Guacamole".to_owned(), 3)]
    );
    assert_eq!(lines("two guac"), [("Chips & Guacamole".to_owned(), 2)]);
    assert_eq!(
        lines("a cheese pizza and a cheesecake"),
        [("Cheese Pizza".to_owned(), 1), ("Cheesecake".to_owned(), 1)]
    );
}

/// A word of one dish's name that runs on into words of another dish ("pad kee mao" is no
/// Pad Thai, "mexican street corn" no Mexican Coke) names no dish of this menu; the rest of a
/// name said in other words ("margherita pie") or an option after it still does.
#[test]
fn a_dish_the_menu_lacks_is_not_one_it_has() {
    let p = Profile::from_yaml(
        "version: 1\nslug: s\nname: S\nkind: restaurant\ntimezone: UTC\nphone: \"+15125550100\"\nmenu:\n  - name: Pad Thai\n    price: 12\n    options:\n      - {name: protein, choices: {chicken: 0, tofu: 0}}\n      - {name: spice, choices: {mild: 0, hot: 0}}\n  - {name: Mexican Coke, price: 3}\n  - {name: Margherita Pizza, price: 14}\n  - name: 2-Liter Soda\n    price: 4\n    options:\n      - {name: flavor, choices: {Coke: 0, Diet Coke: 0, Sprite: 0}}\n  - name: Drip Coffee\n    price: 2.5\n    options:\n      - {name: size, choices: {small: 0, large: 0.75}}\n",
    )
    .unwrap();
    let items = |s: &str| -> Vec<String> {
        menu_lines(&words(s), &p.menu)
            .into_iter()
            .map(|l| l.item)
            .collect()
    };
    for s in [
        "2 pad kee mao",
        "one pad see ew please",
        "3 of the mexican street corn",
        "a margherita calzone",
    ] {
        assert_eq!(items(s), Vec::<String>::new(), "{s}");
    }
    for (s, want) in [
        ("one margherita pie", "Margherita Pizza"),
        ("2 pad thai hot", "Pad Thai"),
        ("a pad with tofu", "Pad Thai"),
        ("one two liter make it diet coke", "2-Liter Soda"),
        ("a coffee large", "Drip Coffee"),
        ("3 mexican cokes please", "Mexican Coke"),
    ] {
        assert_eq!(items(s), vec![want.to_owned()], "{s}");
    }
}

/// A word said covers a compound service name's last part ("cut" of a haircut) only when it is
/// no word as common as "out" or "up": "is it humid out today" names no blowout.
#[test]
fn an_everyday_particle_names_no_compound_service() {
    let p = Profile::from_yaml(
        "version: 1\nslug: s\nname: S\nkind: appointments\ntimezone: UTC\nphone: \"+15125550100\"\nservices:\n  - {name: Blowout, duration_min: 45}\n  - {name: Makeup, duration_min: 60}\n  - {name: Haircut, duration_min: 30}\n",
    )
    .unwrap();
    let named = |s: &str| service(&words(s), &p.services).map(|s| s.name.to_string());
    assert_eq!(named("is it humid out today"), None);
    assert_eq!(
        named("can you fit me in, i'm running late, sorry, catching up"),
        None
    );
    assert_eq!(named("just a cut please"), Some("Haircut".into()));
    assert_eq!(named("a blowout friday"), Some("Blowout".into()));
}
/// Services that the words said fit alike ("a manicure" of Classic, Gel and Dip powder
/// manicures) are not told apart by the weight of the words left unsaid: the caller is asked
/// which. Other forms of a name's word meet it ("installation" and "Install").
#[test]
fn services_the_words_fit_alike_are_asked_about() {
    let p = Profile::from_yaml("version: 1\nslug: s\nname: S\nkind: appointments\ntimezone: UTC\nphone: \"+15125550100\"\nservices:\n  - {name: Classic Manicure, duration_min: 30}\n  - {name: Gel Manicure, duration_min: 45}\n  - {name: Spa Pedicure, duration_min: 45}\n  - {name: Dip Powder Manicure, duration_min: 60}\n  - {name: Gel Polish Removal, duration_min: 15}\n  - {name: Faucet Installation, duration_min: 60}\n  - {name: Garbage Disposal Install, duration_min: 60}\n").unwrap();
    let named = |s: &str| service(&words(s), &p.services).map(|s| s.name.to_string());
    assert_eq!(named("it's for a manicure"), None);
    assert_eq!(named("a gel manicure please"), Some("Gel Manicure".into()));
    assert_eq!(named("a pedicure"), Some("Spa Pedicure".into()));
    assert_eq!(
        named("i wanted to make a booking for a disposal installation"),
        Some("Garbage Disposal Install".into())
    );
    assert_eq!(
        named("a faucet install"),
        Some("Faucet Installation".into())
    );
}
