//! The DMClient Poll schedule against the real DDF (`shared/reference/ddf/DMClient.xml`).

use retry_sched::poll::{PollCause, PollSet, SetMode, Severity, POLL_INT_MAX};
use retry_sched::{PollSchedule, Span, Timestamp};

/// The `<DFProperties>` text of the node named `name` under the Poll node.
fn poll_child<'a>(ddf: &'a str, name: &str) -> &'a str {
    let poll = ddf
        .find("<NodeName>Poll</NodeName>")
        .expect("DMClient.xml has a Poll node");
    let rest = &ddf[poll..];
    let at = rest
        .find(&format!("<NodeName>{name}</NodeName>"))
        .unwrap_or_else(|| panic!("Poll/{name} is in the DDF"));
    let node = &rest[at..];
    let end = node.find("</DFProperties>").expect("node has DFProperties");
    &node[..end]
}

/// The default a node states: `<DefaultValue>` when present, else the number after "default
/// value is" in its description.
fn stated_default(props: &str) -> String {
    if let Some(i) = props.find("<DefaultValue>") {
        let v = &props[i + "<DefaultValue>".len()..];
        let end = v.find('<').expect("DefaultValue is closed");
        return v[..end].trim().to_owned();
    }
    // "If IntervalForFirstSetOfRetries is not set, then the default value is used. The default
    // value is 15.": the first "default value is" followed by a number.
    let lower = props.to_ascii_lowercase();
    lower
        .match_indices("default value is ")
        .map(|(i, m)| {
            lower[i + m.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .find(|n| !n.is_empty())
        .expect("description states a numeric default")
}

#[test]
fn poll_defaults_match_the_ddf() {
    let Some(path) = ppkg_testdata::reference_file("ddf/DMClient.xml") else {
        return;
    };
    let ddf = std::fs::read_to_string(path).unwrap();
    let d = PollSchedule::default();
    let ints = [
        (
            "IntervalForFirstSetOfRetries",
            d.interval_for_first_set_of_retries,
        ),
        ("NumberOfFirstRetries", d.number_of_first_retries),
        (
            "IntervalForSecondSetOfRetries",
            d.interval_for_second_set_of_retries,
        ),
        ("NumberOfSecondRetries", d.number_of_second_retries),
        (
            "IntervalForRemainingScheduledRetries",
            d.interval_for_remaining_scheduled_retries,
        ),
        (
            "NumberOfRemainingScheduledRetries",
            d.number_of_remaining_scheduled_retries,
        ),
    ];
    for (name, ours) in ints {
        let props = poll_child(&ddf, name);
        assert!(props.contains("<int />"), "Poll/{name} is an int");
        // The DDF sets no range: that is why POLL_INT_MAX is the 32-bit int limit.
        assert!(
            props.contains(r#"<MSFT:AllowedValues ValueType="None">"#),
            "Poll/{name} has no AllowedValues range"
        );
        assert_eq!(stated_default(props), ours.to_string(), "Poll/{name}");
    }
    for (name, ours) in [
        ("PollOnLogin", d.poll_on_login),
        ("AllUsersPollOnFirstLogin", d.all_users_poll_on_first_login),
    ] {
        let props = poll_child(&ddf, name);
        assert!(props.contains("<bool />"), "Poll/{name} is a bool");
        assert_eq!(stated_default(props), ours.to_string(), "Poll/{name}");
    }
    // The rules the checks cite are in the file, word for word.
    for sentence in [
        "The server should not set NumberOfFirstRetries to be 0",
        "IntervalForSecondSetOfRetries should be longer than IntervalForFirstSetOfRetries",
        "If there is no infinite schedule set, then a 24-hour schedule is created",
        "should not be set smaller than 1440 minutes",
    ] {
        assert!(ddf.contains(sentence), "DDF says {sentence:?}");
    }
}

#[test]
fn default_poll_timeline() {
    let p = PollSchedule::default();
    let t0 = Timestamp::ZERO;
    let t = p.timeline(t0, &[], 12);
    println!("{t}");
    assert_eq!(
        t.sets,
        [
            SetMode::Finite {
                count: 10,
                interval: Span::from_mins(15)
            },
            SetMode::Disabled,
            SetMode::Disabled
        ]
    );
    for (i, s) in t.sessions.iter().take(10).enumerate() {
        assert_eq!(s.at, t0 + Span::from_mins(15 * (i as u64 + 1)));
    }
    assert_eq!(
        t.sessions[10].cause,
        PollCause::Scheduled {
            set: PollSet::Fallback,
            n: 1
        }
    );
    let codes: Vec<_> = p.check().iter().map(|d| d.code).collect();
    assert_eq!(codes, ["PollNoInfiniteSchedule"]);
    assert!(p.validate().is_ok());
}

#[test]
fn second_interval_not_longer_warns() {
    let p = PollSchedule {
        interval_for_first_set_of_retries: 15,
        number_of_first_retries: 4,
        interval_for_second_set_of_retries: 15,
        number_of_second_retries: 2,
        interval_for_remaining_scheduled_retries: 1440,
        number_of_remaining_scheduled_retries: 0,
        ..PollSchedule::default()
    };
    let diags = p.check();
    for d in &diags {
        println!("{d}");
    }
    let warn = diags
        .iter()
        .find(|d| d.code == "PollSecondIntervalNotLonger")
        .expect("warning");
    assert_eq!(warn.severity, Severity::Warning);
    assert_eq!(warn.field, "Poll/IntervalForSecondSetOfRetries");
    assert!(warn.to_string().contains("15 min is not longer"));
    // Longer: no warning.
    let ok = PollSchedule {
        interval_for_second_set_of_retries: 60,
        ..p
    };
    assert!(ok
        .check()
        .iter()
        .all(|d| d.code != "PollSecondIntervalNotLonger"));
    // The remaining set repeats forever: 4 x 15 min, 2 x 60 min, then daily.
    let t = ok.timeline(Timestamp::ZERO, &[], 8);
    let at: Vec<u64> = t
        .sessions
        .iter()
        .map(|s| s.at.as_millis() / 60_000)
        .collect();
    assert_eq!(at, [15, 30, 45, 60, 120, 180, 1620, 3060]);
}

#[test]
fn infinite_sets_disable_later_ones() {
    let p = PollSchedule {
        interval_for_first_set_of_retries: 30,
        number_of_first_retries: 0,
        interval_for_second_set_of_retries: 60,
        number_of_second_retries: 5,
        ..PollSchedule::default()
    };
    assert_eq!(
        p.set_modes(),
        [
            SetMode::Infinite {
                interval: Span::from_mins(30)
            },
            SetMode::Disabled,
            SetMode::Disabled
        ]
    );
    let codes: Vec<_> = p.check().iter().map(|d| d.code).collect();
    assert!(codes.contains(&"PollFirstSetInfinite"), "{codes:?}");
    assert!(codes.contains(&"PollSetDisabledByInfinite"), "{codes:?}");
    assert!(!codes.contains(&"PollNoInfiniteSchedule"), "{codes:?}");
    // Too long a first set (10 x 60 min > 4 h).
    let long = PollSchedule {
        interval_for_first_set_of_retries: 60,
        ..PollSchedule::default()
    };
    assert!(long.check().iter().any(|d| d.code == "PollFirstSetTooLong"));
    // Out of the DDF int range: an error, and validate() fails naming the field.
    let bad = PollSchedule {
        number_of_second_retries: POLL_INT_MAX + 1,
        ..PollSchedule::default()
    };
    let e = bad.validate().unwrap_err();
    assert!(e.to_string().contains("Poll/NumberOfSecondRetries"), "{e}");
}

#[test]
fn login_sessions() {
    let t0 = Timestamp::ZERO;
    let h = Span::from_hours;
    let logins = [(t0 + h(1), 7), (t0 + h(2), 7), (t0 + h(3), 8)];
    let first_only = PollSchedule {
        all_users_poll_on_first_login: true,
        ..PollSchedule::default()
    };
    let t = first_only.timeline(t0, &logins, 40);
    let users: Vec<_> = t
        .sessions
        .iter()
        .filter_map(|s| match s.cause {
            PollCause::FirstLogin { user } => Some((s.at, user)),
            _ => None,
        })
        .collect();
    assert_eq!(users, [(t0 + h(1), 7), (t0 + h(3), 8)]);
    let every = PollSchedule {
        poll_on_login: true,
        ..PollSchedule::default()
    };
    let t = every.timeline(t0, &logins, 40);
    println!("{t}");
    let n = t
        .sessions
        .iter()
        .filter(|s| matches!(s.cause, PollCause::Login { .. }))
        .count();
    assert_eq!(n, 3);
    assert!(t.sessions.windows(2).all(|w| w[0].at <= w[1].at));
    // Default: sign-ins start no session.
    let t = PollSchedule::default().timeline(t0, &logins, 40);
    assert!(t
        .sessions
        .iter()
        .all(|s| matches!(s.cause, PollCause::Scheduled { .. })));
}

proptest::proptest! {
    /// Any Poll settings: the checks never panic, at most one set repeats forever and every set
    /// after it is disabled, and the timeline has the sessions asked for, in time order.
    #[test]
    fn any_poll_settings(
        ints in proptest::collection::vec(0u32..3_000, 6),
        flags in proptest::array::uniform2(proptest::bool::ANY),
        logins in proptest::collection::vec((0u64..10_000_000, 0u32..4), 0..6),
        max in 0usize..60,
    ) {
        let p = PollSchedule {
            interval_for_first_set_of_retries: ints[0],
            number_of_first_retries: ints[1],
            interval_for_second_set_of_retries: ints[2],
            number_of_second_retries: ints[3],
            interval_for_remaining_scheduled_retries: ints[4],
            number_of_remaining_scheduled_retries: ints[5],
            poll_on_login: flags[0],
            all_users_poll_on_first_login: flags[1],
        };
        let diags = p.check();
        proptest::prop_assert!(diags.iter().all(|d| d.severity != Severity::Error));
        let modes = p.set_modes();
        if let Some(i) = modes.iter().position(|m| matches!(m, SetMode::Infinite { .. })) {
            proptest::prop_assert!(modes[i + 1..].iter().all(|m| *m == SetMode::Disabled));
        }
        let logins: Vec<_> = logins
            .into_iter()
            .map(|(ms, u)| (Timestamp::from_millis(ms), u))
            .collect();
        let t = p.timeline(Timestamp::ZERO, &logins, max);
        proptest::prop_assert_eq!(t.sessions.len(), max);
        proptest::prop_assert!(t.sessions.windows(2).all(|w| w[0].at <= w[1].at));
        // Scheduled polls follow a wait; only a sign-in at the start can be at the start.
        let scheduled_after_start = t.sessions.iter().all(|s| {
            s.at > Timestamp::ZERO || !matches!(s.cause, PollCause::Scheduled { .. })
        });
        proptest::prop_assert!(scheduled_after_start);
    }
}
