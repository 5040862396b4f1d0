//! Every check of `Policy::from_toml` produces its line; several problems give several lines.

use super::{load, problems};

/// Asserts that `text` is refused with exactly one line containing every part of `parts`.
fn refused_once(text: &str, parts: &[&str]) {
    let lines = problems(text);
    assert_eq!(
        lines.len(),
        1,
        "expected one line for:\n{text}\ngot {lines:#?}"
    );
    for part in parts {
        assert!(
            lines[0].contains(part),
            "{:?} should contain {part:?}",
            lines[0]
        );
    }
}

#[test]
fn empty_and_minimal_policies_load() {
    assert!(load("").is_ok_and(|p| p.is_empty()));
    assert_eq!(load("").map(|p| p.len()), Ok(0));
    assert!(load("[policy]\n").is_ok_and(|p| p.is_empty()));
    let one = load("[[policy.rule]]\nname = \"all\"\n");
    assert!(one.is_ok_and(|p| p.len() == 1));
}

#[test]
fn policy_must_be_a_table() {
    assert_eq!(
        super::super::Policy::from_toml(&toml::Value::Integer(1)).err(),
        Some(vec!["policy: must be a table".to_owned()])
    );
}

#[test]
fn unknown_keys_everywhere() {
    refused_once("[policy]\nrules = []\n", &["policy.rules: unknown key"]);
    refused_once(
        "[[policy.rule]]\nname = \"r\"\ncolour = 1\n",
        &["policy.rule 'r': colour: unknown key"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nwhen.fn = \"x\"\n",
        &["policy.rule 'r': when.fn: unknown key"],
    );
    refused_once(
        "[policy.groups]\ng = [\"a\", \"b\"]\n[[policy.rule]]\nname = \"r\"\napprovers = [\"g\"]\nquorum = { approvals = 1, veto = true }\n",
        &["policy.rule 'r': quorum.veto: unknown key"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\napprovers = [\"a\"]\nescalate = [{ after = \"1m\", to = [\"b\"], when = 1 }]\n",
        &["policy.rule 'r': escalate[0].when: unknown key"],
    );
}

#[test]
fn groups_must_be_arrays_of_strings() {
    refused_once(
        "[policy.groups]\ng = \"alice\"\n",
        &["policy.groups.g: must be an array of strings"],
    );
    refused_once(
        "[policy.groups]\ng = [\"alice\", 3]\n",
        &["policy.groups.g: must be an array of strings"],
    );
    refused_once(
        "[policy]\ngroups = 1\n",
        &["policy.groups: must be a table"],
    );
    refused_once("[policy.groups]\ng = []\n", &["policy.groups.g: empty"]);
}

#[test]
fn names_missing_or_duplicate() {
    refused_once(
        "[[policy.rule]]\ndecide = \"reject\"\nreason = \"no\"\nwhen.loop_type = \"approval\"\n",
        &["policy.rule #1: name: missing"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"\"\n",
        &["policy.rule #1: name: must be a non-empty string"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\n[[policy.rule]]\nname = \"s\"\n[[policy.rule]]\nname = \"r\"\n",
        &["policy.rule 'r': name: duplicate (rule #1"],
    );
    refused_once(
        "[policy]\nrule = 1\n",
        &["policy.rule: must be an array of tables"],
    );
    refused_once(
        "[policy]\nrule = [1]\n",
        &["policy.rule #1: must be a table"],
    );
}

#[test]
fn invalid_globs_and_pointers() {
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nwhen.function = \"pay_[\"\n",
        &["when.function: invalid glob 'pay_['"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nwhen.tenant = [\"a\", \"b[\"]\n",
        &["when.tenant: invalid glob 'b['"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nwhen.platform = 3\n",
        &["when.platform: must be a string or an array"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nwhen.function = []\n",
        &["when.function: an empty list matches nothing"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nwhen.arguments = { \"amount\" = 1 }\n",
        &["policy.rule 'r': when.arguments[\"amount\"]: invalid JSON pointer 'amount'"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nwhen.metadata = { \"/env\" = { glob = \"[\" } }\n",
        &["when.metadata[\"/env\"].glob: invalid glob '['"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nwhen.metadata = 1\n",
        &["when.metadata: must be a table"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nwhen = 1\n",
        &["policy.rule 'r': when: must be a table"],
    );
}

#[test]
fn bad_durations() {
    refused_once(
        "[[policy.rule]]\nname = \"r\"\ndeadline = \"30 minutes\"\n",
        &["deadline: bad duration"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nrepeat_window = \"1w\"\n",
        &["repeat_window: bad duration"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\napprovers = [\"a\"]\nescalate = [{ after = \"soon\", to = [\"b\"] }]\n",
        &["escalate[0].after: bad duration"],
    );
    assert!(load("[[policy.rule]]\nname = \"r\"\ndeadline = 90\nrepeat_window = \"2h\"\n").is_ok());
}

#[test]
fn unknown_words() {
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nwhen.loop_type = \"chat\"\n",
        &["when.loop_type: unknown loop type 'chat'"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\ndecide = \"maybe\"\nreason = \"x\"\n",
        &["decide: unknown word 'maybe'"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nat_deadline = \"panic\"\n",
        &["at_deadline: unknown word 'panic'"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\napprovers = [\"a\"]\nquorum = { approvals = 1, rejection = \"unanimous\" }\n",
        &["quorum.rejection: unknown word 'unanimous'"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\non_repeat = \"ignore\"\n",
        &["on_repeat: unknown word 'ignore'"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\ngrants = \"yes\"\n",
        &["grants: must be true or false"],
    );
}

#[test]
fn decide_and_reason_go_together() {
    let base = "[[policy.rule]]\nname = \"r\"\nwhen.loop_type = \"approval\"\n";
    refused_once(
        &format!("{base}decide = \"reject\"\n"),
        &["decide: needs a reason"],
    );
    refused_once(
        &format!("{base}reason = \"because\"\n"),
        &["reason: only goes with decide"],
    );
    refused_once(
        &format!("{base}decide = \"reject\"\nreason = \"\"\n"),
        &["reason: must be a non-empty string"],
    );
    assert!(load(&format!("{base}decide = \"reject\"\nreason = \"no\"\n")).is_ok());
}

#[test]
fn decide_has_no_human_part() {
    let lines = problems(
        "[[policy.rule]]\nname = \"r\"\nwhen.loop_type = \"approval\"\ndecide = \"approve\"\nreason = \"ok\"\n\
         approvers = [\"a\", \"b\"]\nquorum = { approvals = 2 }\nescalate = [{ after = \"1m\", to = [\"c\"] }]\nat_deadline = \"expire\"\n",
    );
    assert_eq!(lines.len(), 4, "{lines:#?}");
    for key in ["approvers", "quorum", "escalate", "at_deadline"] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("policy.rule 'r': {key}: an auto-decided rule"))),
            "{key}: {lines:#?}"
        );
    }
}

#[test]
fn approve_only_for_approvals() {
    let rule = |when: &str, tail: &str| format!("[[policy.rule]]\nname = \"r\"\n{when}{tail}");
    let decide = "decide = \"approve\"\nreason = \"ok\"\n";
    let deadline = "at_deadline = \"approve\"\n";
    for tail in [decide, deadline] {
        assert!(load(&rule("when.loop_type = \"approval\"\n", tail)).is_ok());
        assert!(load(&rule(
            "when.loop_type = [\"approval\", \"approval\"]\n",
            tail
        ))
        .is_ok());
        for when in [
            "",
            "when.loop_type = \"information\"\n",
            "when.loop_type = [\"approval\", \"information\"]\n",
        ] {
            refused_once(
                &rule(when, tail),
                &["\"approve\" needs when.loop_type = \"approval\""],
            );
        }
    }
}

#[test]
fn no_default_rejection_of_conversations_at_the_deadline() {
    let rule = |when: &str, tail: &str| format!("[[policy.rule]]\nname = \"r\"\n{when}{tail}");
    let tail = "at_deadline = \"reject\"\n";
    for when in [
        "",
        "when.loop_type = \"conversation\"\n",
        "when.loop_type = [\"information\", \"conversation\"]\n",
    ] {
        refused_once(
            &rule(when, tail),
            &["at_deadline", "default decision on a conversation"],
        );
    }
    assert!(load(&rule(
        "when.loop_type = [\"approval\", \"information\"]\n",
        tail
    ))
    .is_ok());
}

#[test]
fn decide_reject_applies_to_any_type() {
    for when in ["", "when.loop_type = \"conversation\"\n"] {
        let text =
            format!("[[policy.rule]]\nname = \"r\"\n{when}decide = \"reject\"\nreason = \"no\"\n");
        assert!(load(&text).is_ok(), "{text}");
    }
}

#[test]
fn at_deadline_without_deadline_is_allowed() {
    assert!(load(
        "[[policy.rule]]\nname = \"r\"\nwhen.loop_type = \"approval\"\nat_deadline = \"reject\"\n"
    )
    .is_ok());
}

#[test]
fn quorum_checks() {
    let groups = "[policy.groups]\nfinance = [\"alice\", \"bob\", \"alice\"]\n";
    refused_once(
        &format!("{groups}[[policy.rule]]\nname = \"payments\"\napprovers = [\"finance\"]\nquorum = {{ approvals = 3 }}\n"),
        &["policy.rule 'payments': quorum.approvals: 3 is more than the 2 people of its groups"],
    );
    refused_once(
        &format!("{groups}[[policy.rule]]\nname = \"r\"\napprovers = [\"finance\"]\nquorum = {{ approvals = 0 }}\n"),
        &["quorum.approvals: must be at least 1"],
    );
    refused_once(
        &format!("{groups}[[policy.rule]]\nname = \"r\"\napprovers = [\"finance\"]\nquorum = {{ rejection = \"veto\" }}\n"),
        &["quorum.approvals: missing"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\nquorum = { approvals = 1 }\n",
        &["quorum: quorum needs approvers"],
    );
    refused_once(
        "[[policy.rule]]\nname = \"r\"\napprovers = []\nquorum = { approvals = 1 }\n",
        &["quorum needs approvers"],
    );
    assert!(load(&format!(
        "{groups}[[policy.rule]]\nname = \"r\"\napprovers = [\"finance\", \"carol\"]\nquorum = {{ approvals = 3, rejection = \"majority\" }}\n"
    ))
    .is_ok());
}

#[test]
fn a_group_naming_a_group_is_people_only() {
    let policy = load(
        "[policy.groups]\nall = [\"finance\"]\nfinance = [\"alice\", \"bob\"]\n\
         [[policy.rule]]\nname = \"r\"\napprovers = [\"all\"]\nquorum = { approvals = 2 }\n",
    );
    let lines = policy.err().unwrap_or_default();
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(
        lines[0].contains("2 is more than the 1 people"),
        "{lines:#?}"
    );
}

#[test]
fn escalation_checks() {
    let rule = |tail: &str| {
        format!("[policy.groups]\nfinance = [\"alice\", \"bob\"]\noncall = [\"dave\"]\n[[policy.rule]]\nname = \"r\"\napprovers = [\"finance\"]\n{tail}")
    };
    refused_once(
        &rule("escalate = [{ after = \"10m\", to = [] }]\n"),
        &["escalate[0].to: empty"],
    );
    refused_once(
        &rule("escalate = [{ after = \"10m\" }]\n"),
        &["escalate[0].to: missing"],
    );
    refused_once(
        &rule("escalate = [{ to = [\"oncall\"] }]\n"),
        &["escalate[0].after: missing"],
    );
    refused_once(
        &rule("escalate = [{ after = \"10m\", to = [\"oncall\"] }, { after = \"10m\", to = [\"erin\"] }]\n"),
        &["escalate[1].after: 10m is not after the previous step's 10m"],
    );
    refused_once(
        &rule("deadline = \"30m\"\nescalate = [{ after = \"30m\", to = [\"oncall\"] }]\n"),
        &["escalate[0].after: 30m is not before the deadline 30m"],
    );
    refused_once(
        &rule("escalate = [{ after = \"10m\", to = [\"finance\"] }]\n"),
        &["escalate[0].to: escalation cycle: 'finance' is already among the approvers"],
    );
    refused_once(
        &rule("escalate = [{ after = \"10m\", to = [\"oncall\"] }, { after = \"20m\", to = [\"erin\", \"oncall\"] }]\n"),
        &["escalate[1].to: escalation cycle: 'oncall' is already in escalate[0]"],
    );
    refused_once(
        &rule("escalate = { after = \"10m\" }\n"),
        &["escalate: must be an array"],
    );
    refused_once(&rule("escalate = [1]\n"), &["escalate[0]: must be a table"]);
    assert!(load(&rule(
        "deadline = \"1h\"\nescalate = [{ after = \"10m\", to = [\"oncall\"] }, { after = \"20m\", to = \"erin\" }]\n"
    ))
    .is_ok());
}

#[test]
fn every_problem_is_its_own_line() {
    let lines = problems(
        "[policy]\nextra = 1\n[policy.groups]\ng = 1\n\
         [[policy.rule]]\nname = \"a\"\nwhen.function = \"[\"\ndeadline = \"x\"\n\
         [[policy.rule]]\nwhen.loop_type = \"chat\"\n\
         [[policy.rule]]\nname = \"a\"\nquorum = { approvals = 0 }\n",
    );
    assert_eq!(lines.len(), 9, "{lines:#?}");
    let expected = [
        "policy.extra: unknown key",
        "policy.groups.g: must be an array of strings",
        "policy.rule 'a': when.function: invalid glob",
        "policy.rule 'a': deadline: bad duration",
        "policy.rule #2: name: missing",
        "policy.rule #2: when.loop_type: unknown loop type",
        "policy.rule 'a': name: duplicate",
        "policy.rule 'a': quorum: quorum needs approvers",
        "policy.rule 'a': quorum.approvals: must be at least 1",
    ];
    for part in expected {
        assert!(
            lines.iter().any(|l| l.starts_with(part)),
            "{part}: {lines:#?}"
        );
    }
    assert!(lines
        .iter()
        .all(|l| l.starts_with("policy") && !l.contains('\n')));
}
