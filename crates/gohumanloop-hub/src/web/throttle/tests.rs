use super::*;

fn at(text: &str) -> ClientAddress {
    ClientAddress(Some(text.parse().unwrap()))
}

/// A different address for every `i` (203.0.x.y).
fn nth(i: usize) -> ClientAddress {
    at(&format!("203.0.{}.{}", i / 250, i % 250))
}

#[test]
fn a_few_failures_are_free_then_a_names_pause_doubles_up_to_the_cap() {
    let throttle = Throttle::default();
    let t0 = Instant::now();
    for i in 0..FREE_FAILURES as usize {
        assert_eq!(throttle.name_wait("alice", t0), None);
        throttle.failed("alice", nth(i), t0);
    }
    assert_eq!(throttle.name_wait("alice", t0), Some(FIRST_PAUSE));
    assert_eq!(
        throttle.name_wait("bob", t0),
        None,
        "other names are not affected"
    );
    let later = t0 + FIRST_PAUSE;
    assert_eq!(throttle.name_wait("alice", later), None);
    throttle.failed("alice", nth(10), later);
    assert_eq!(throttle.name_wait("alice", later), Some(FIRST_PAUSE * 2));
    for i in 0..30 {
        throttle.failed("alice", nth(100 + i), later);
    }
    assert_eq!(throttle.name_wait("alice", later), Some(MAX_PAUSE));
    throttle.succeeded("alice");
    assert_eq!(throttle.name_wait("alice", later), None);
}

#[test]
fn ten_thousand_other_names_do_not_reset_a_paused_name() {
    // The old throttle cleared everything at 10,000 names: a paused account could be tried
    // again at once by failing 10,000 other names first.
    let throttle = Throttle::default();
    let t0 = Instant::now();
    let attacker = at("198.51.100.1");
    for _ in 0..FREE_FAILURES + 3 {
        throttle.failed("alice", attacker, t0);
    }
    let paused = throttle.name_wait("alice", t0).unwrap();
    for i in 0..20_000 {
        throttle.failed(&format!("user-{i}"), nth(i), t0);
    }
    assert_eq!(throttle.name_wait("alice", t0), Some(paused));
    assert!(
        throttle.wait(attacker, t0).is_some(),
        "nor the guessing address"
    );
}

#[test]
fn eviction_keeps_memory_bounded_and_forgets_the_oldest_first() {
    let throttle = Throttle::with_capacity(100, 50);
    let t0 = Instant::now();
    for i in 0..1_000 {
        let now = t0 + Duration::from_millis(i as u64);
        for _ in 0..FREE_FAILURES {
            throttle.failed(&format!("user-{i}"), nth(i), now);
        }
    }
    let tables = throttle.tables();
    assert_eq!((tables.names.len(), tables.addresses.len()), (100, 50));
    drop(tables);
    let now = t0 + Duration::from_secs(1);
    assert!(
        throttle.name_wait("user-999", now).is_some(),
        "the newest stays"
    );
    assert!(
        throttle.name_wait("user-0", now).is_none(),
        "the oldest went"
    );
}

#[test]
fn an_address_failing_across_many_names_is_paused() {
    let throttle = Throttle::default();
    let t0 = Instant::now();
    let sprayer = at("198.51.100.2");
    for i in 0..ADDRESS_BURST {
        assert_eq!(throttle.wait(sprayer, t0), None, "failure {i} is free");
        throttle.failed(&format!("user-{i}"), sprayer, t0);
    }
    assert_eq!(throttle.wait(sprayer, t0), Some(ADDRESS_LEAK));
    assert_eq!(
        throttle.wait(at("198.51.100.3"), t0),
        None,
        "others may try"
    );
    // One more try a minute once the burst is spent, and never paused beyond the cap.
    let later = t0 + ADDRESS_LEAK;
    assert_eq!(throttle.wait(sprayer, later), None);
    throttle.failed("user-x", sprayer, later);
    assert_eq!(throttle.wait(sprayer, later), Some(ADDRESS_LEAK));
    for _ in 0..1_000 {
        throttle.failed("user-y", sprayer, later);
    }
    assert_eq!(throttle.wait(sprayer, later), Some(MAX_PAUSE));
    assert_eq!(throttle.wait(sprayer, later + MAX_PAUSE), None);
    // An IPv6 client is one address however many of its /64 it uses.
    for i in 0..ADDRESS_BURST {
        throttle.failed("user-z", at(&format!("2001:db8:1:2::{i:x}")), t0);
    }
    assert!(throttle.wait(at("2001:db8:1:2:ffff::1"), t0).is_some());
    assert_eq!(throttle.wait(at("2001:db8:1:3::1"), t0), None);
}

#[test]
fn a_paused_name_lets_its_owner_try_from_an_address_that_is_not_paused() {
    let throttle = Throttle::default();
    let t0 = Instant::now();
    let attacker = at("198.51.100.4");
    let owner = at("192.0.2.10");
    for _ in 0..FREE_FAILURES {
        throttle.failed("alice", attacker, t0);
    }
    assert!(
        throttle.name_wait("alice", t0).is_some(),
        "the name is paused"
    );
    // The owner's address may try, so the right password gets in.
    assert_eq!(throttle.wait(owner, t0), None);
    // Guessing at a paused name uses the guesser's allowance up fast: three more guesses.
    for _ in 0..3 {
        assert_eq!(throttle.wait(attacker, t0), None);
        throttle.failed("alice", attacker, t0);
    }
    assert!(
        throttle.wait(attacker, t0).is_some(),
        "the attacker is paused"
    );
    assert_eq!(throttle.wait(owner, t0), None, "the owner is not");
    // A success clears the name, not the guessing address.
    throttle.succeeded("alice");
    assert_eq!(throttle.name_wait("alice", t0), None);
    assert!(throttle.wait(attacker, t0).is_some());
}

#[test]
fn requests_without_an_address_share_one_bucket() {
    let throttle = Throttle::default();
    let t0 = Instant::now();
    for i in 0..ADDRESS_BURST {
        throttle.failed(&format!("user-{i}"), ClientAddress(None), t0);
    }
    assert!(throttle.wait(ClientAddress(None), t0).is_some());
    assert_eq!(throttle.wait(at("127.0.0.1"), t0), None);
}

#[test]
fn long_names_are_kept_short() {
    let throttle = Throttle::default();
    let long = "é".repeat(1_000);
    let now = Instant::now();
    for _ in 0..FREE_FAILURES + 1 {
        throttle.failed(&long, at("192.0.2.1"), now);
    }
    assert_eq!(name_key(&long).len(), NAME_BYTES);
    assert!(throttle.name_wait(&long, now).is_some());
}

#[test]
fn old_failures_are_forgotten() {
    let throttle = Throttle::default();
    let t0 = Instant::now();
    for _ in 0..FREE_FAILURES + 3 {
        throttle.failed("alice", at("192.0.2.1"), t0);
    }
    let much_later = t0 + MEMORY + Duration::from_secs(1);
    assert_eq!(throttle.name_wait("alice", much_later), None);
    throttle.failed("alice", at("192.0.2.1"), much_later);
    assert_eq!(
        throttle.name_wait("alice", much_later),
        None,
        "counting starts again"
    );
    assert_eq!(throttle.wait(at("192.0.2.1"), much_later), None);
}

/// The figures operations.md gives are the ones the throttle uses (the tests above are written
/// with the constants, so this is what fails when a figure changes and the guide does not).
#[test]
fn the_figures_are_the_documented_ones() {
    assert_eq!(FREE_FAILURES, 5, "a name is paused after 5 failures");
    assert_eq!(FIRST_PAUSE, Duration::from_secs(30), "first pause 30 s");
    assert_eq!(
        MAX_PAUSE,
        Duration::from_secs(15 * 60),
        "pauses up to 15 min"
    );
    assert_eq!(ADDRESS_BURST, 30, "30 failures per address");
    assert_eq!(ADDRESS_LEAK, Duration::from_secs(60), "then 1 a minute");
    assert_eq!(PAUSED_NAME_COST, 10, "a paused name's attempt costs 10");
    assert_eq!((MAX_NAMES, MAX_ADDRESSES), (50_000, 50_000), "memory bound");
}
