//! The exception queue beyond the scenario tables (fixtures/scenarios/
//! exceptions.toml): the queue rebuilt by replay equals the one applied,
//! and a store that already has two admins governs the grant of a role
//! that approves.

use chrono::{TimeZone, Utc};
use depot::core::auth::Role;
use depot::core::event::{Envelope, Event, KeyDigest, Outcome};
use depot::core::exceptions::{Blocked, ExceptionKind};
use depot::core::master::Operator;
use depot::core::types::ToCode;
use depot::core::{apply, execute, Command, CommandBody, State};

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

fn run(
    s: &mut State,
    operator: &str,
    body: CommandBody,
) -> Result<Envelope, depot::core::Rejection> {
    execute(
        s,
        &Command {
            operator: operator.into(),
            session: "test".into(),
            time: now(),
            key: None,
            body,
        },
    )
}

fn demo() -> (State, Vec<Envelope>) {
    let mut s = State::default();
    let mut log = Vec::new();
    for body in depot::io::demo::commands(now().date_naive(), 0).unwrap() {
        log.push(run(&mut s, "ADMIN", body).unwrap());
    }
    (s, log)
}

fn admin(code: &str) -> Operator {
    Operator {
        code: code.into(),
        name: format!("Admin {code}"),
        roles: vec![Role::Admin],
        ssh_keys: vec![],
        default_warehouse: None,
        keymap: String::new(),
        active: true,
    }
}

#[test]
fn the_queue_replays_to_the_same_state_and_matches_the_documents() {
    let (mut s, mut log) = demo();
    let order = |s: &mut State, log: &mut Vec<Envelope>, who: &str| {
        let env = run(
            s,
            who,
            serde_json::from_value(
                serde_json::json!({"cmd": "place_order", "customer": "C0006",
                "lines": [{"sku": "TOO-1000", "qty": "20", "warehouse": "CHI"}]}),
            )
            .unwrap(),
        )
        .unwrap();
        log.push(env);
    };
    order(&mut s, &mut log, "CLERK1");
    order(&mut s, &mut log, "CLERK1");
    order(&mut s, &mut log, "ADMIN");
    assert_eq!(s.open_exceptions.len(), 3);
    depot::core::invariants::check_state(&s).unwrap();
    // Approve one, reject one, leave one.
    log.push(run(&mut s, "SUP1", CommandBody::ApproveException { id: 1 }).unwrap());
    log.push(
        run(
            &mut s,
            "SUP1",
            CommandBody::RejectException {
                id: 2,
                reason: "no deposit".into(),
            },
        )
        .unwrap(),
    );
    // The owner of the order asks for its own approval: refused, named.
    let refused = run(&mut s, "ADMIN", CommandBody::ApproveException { id: 3 }).unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("you requested this credit hold"),
        "{refused}"
    );
    assert_eq!(s.open_exceptions.len(), 1);
    let open = s.open_exceptions.keys().next().unwrap().clone();
    assert_eq!(
        open,
        Blocked::Order {
            number: "SO-000003".into(),
            hold: depot::core::sales::Hold::Credit
        }
    );
    depot::core::invariants::check_state(&s).unwrap();
    // An old store's snapshot is skipped: the replay of its log builds
    // the same queue.
    let mut replayed = State::default();
    for env in &log {
        apply(&mut replayed, env);
    }
    assert_eq!(replayed.exceptions, s.exceptions);
    assert_eq!(replayed.open_exceptions, s.open_exceptions);
    assert_eq!(s.exceptions[&1].kind, ExceptionKind::CreditHold);
}

#[test]
fn an_orphan_exception_is_caught_by_the_invariant() {
    let (mut s, _) = demo();
    run(
        &mut s,
        "CLERK1",
        serde_json::from_value(
            serde_json::json!({"cmd": "place_order", "customer": "C0006",
            "lines": [{"sku": "TOO-1000", "qty": "20", "warehouse": "CHI"}]}),
        )
        .unwrap(),
    )
    .unwrap();
    let mut orphan = s.clone();
    orphan
        .orders
        .get_mut(&"SO-000001".to_code())
        .unwrap()
        .holds
        .clear();
    orphan
        .orders
        .get_mut(&"SO-000001".to_code())
        .unwrap()
        .status = depot::core::sales::OrderStatus::Cancelled;
    let err = depot::core::invariants::check_state(&orphan).unwrap_err();
    assert!(err.to_string().contains("exception queue"), "{err}");
    let mut missing = s.clone();
    missing.open_exceptions.clear();
    let err = depot::core::invariants::check_state(&missing).unwrap_err();
    assert!(
        err.to_string().contains("no open exception") || err.to_string().contains("exception"),
        "{err}"
    );
}

/// A store that already had two admins (made before grants were governed,
/// so not tied to each other).
fn two_admins() -> State {
    let (mut s, _) = demo();
    let seq = s.seq + 1;
    apply(
        &mut s,
        &Envelope {
            seq,
            time: now(),
            operator: "ADMIN".into(),
            session: "old".into(),
            key: None,
            digest: KeyDigest::None,
            command: "create_operator".into(),
            outcome: Outcome::Committed(vec![Event::MasterUpserted(
                depot::core::master::Record::Operator(admin("BOSS")),
            )]),
        },
    );
    s
}

#[test]
fn with_two_admins_a_second_identity_waits_for_the_other_admin() {
    let mut s = two_admins();
    // ADMIN makes ADMIN2: a change request, no operator yet.
    let env = run(
        &mut s,
        "ADMIN",
        CommandBody::CreateOperator(admin("ADMIN2")),
    )
    .unwrap();
    assert!(
        matches!(env.events(), [Event::ChangeRequested { .. }]),
        "{:?}",
        env.events()
    );
    assert!(!s.operators.contains_key(&"ADMIN2".to_code()));
    let id = match env.events() {
        [Event::ChangeRequested { id, .. }] => *id,
        _ => unreachable!(),
    };
    let x = s.exceptions.values().find(|x| x.is_open()).unwrap();
    assert_eq!(x.kind, ExceptionKind::GovernedChange);
    // Not by ADMIN, not by a supervisor: by the other admin.
    assert!(run(&mut s, "ADMIN", CommandBody::ApproveChange { id }).is_err());
    let sup = run(&mut s, "SUP1", CommandBody::ApproveChange { id }).unwrap_err();
    assert_eq!(sup.code(), "not_permitted");
    run(&mut s, "BOSS", CommandBody::ApproveChange { id }).unwrap();
    assert!(s.operators[&"ADMIN2".to_code()]
        .roles
        .contains(&Role::Admin));
    assert!(s.open_exceptions.is_empty());
    depot::core::invariants::check_state(&s).unwrap();
    // Adding supervisor to a sales rep is governed too; the rest of the
    // record applies now.
    let mut rep = s.operators[&"REP1".to_code()].clone();
    rep.roles.push(Role::Supervisor);
    rep.name = "Dev Field Jr".into();
    let env = run(&mut s, "ADMIN", CommandBody::UpdateOperator(rep)).unwrap();
    assert_eq!(env.events().len(), 2, "{:?}", env.events());
    assert_eq!(s.operators[&"REP1".to_code()].name, "Dev Field Jr");
    assert!(!s.operators[&"REP1".to_code()]
        .roles
        .contains(&Role::Supervisor));
}

#[test]
fn the_permissions_report_is_the_table_the_core_enforces() {
    use depot::core::command::{permission_of, NAMES};
    let unique: std::collections::BTreeSet<_> = NAMES.iter().collect();
    assert_eq!(unique.len(), NAMES.len());
    for n in NAMES {
        assert!(permission_of(n).is_some(), "{n} has no permission");
    }
    let (s, _) = demo();
    let t = depot::report::build("permissions", &s, None, now().date_naive()).unwrap();
    assert_eq!(t.rows.len(), NAMES.len());
    let row = |cmd: &str| t.rows.iter().find(|r| r[0] == cmd).unwrap().clone();
    let col = |h: &str| t.headers.iter().position(|x| *x == h).unwrap();
    let release = row("release_hold");
    assert_eq!(release[1], "release_holds");
    assert_eq!(release[col("supervisor")], "yes");
    assert_eq!(release[col("picker")], "");
    assert_eq!(row("approve_exception")[col("controller")], "yes");
    // What the report says is what decide does.
    let mut s2 = s.clone();
    run(
        &mut s2,
        "CLERK1",
        serde_json::from_value(
            serde_json::json!({"cmd": "place_order", "customer": "C0006",
            "lines": [{"sku": "TOO-1000", "qty": "20", "warehouse": "CHI"}]}),
        )
        .unwrap(),
    )
    .unwrap();
    let e = run(
        &mut s2,
        "PICK1",
        CommandBody::ReleaseHold {
            number: "SO-000001".into(),
            hold: depot::core::sales::Hold::Credit,
        },
    )
    .unwrap_err();
    assert_eq!(e.code(), "not_permitted");
}

#[test]
fn the_exceptions_report_lists_open_and_cleared_with_ages() {
    let (mut s, _) = demo();
    for _ in 0..2 {
        run(
            &mut s,
            "CLERK1",
            serde_json::from_value(
                serde_json::json!({"cmd": "place_order", "customer": "C0006",
                "lines": [{"sku": "TOO-1000", "qty": "20", "warehouse": "CHI"}]}),
            )
            .unwrap(),
        )
        .unwrap();
    }
    run(&mut s, "SUP1", CommandBody::ApproveException { id: 2 }).unwrap();
    let as_of = now().date_naive() + chrono::Duration::days(3);
    let t = depot::report::build("exceptions", &s, None, as_of).unwrap();
    // The order released went unshipped past the day it was requested
    // for (the customer sets no must-arrive days): late, on the clock.
    assert_eq!(t.rows.len(), 3, "{}", t.text());
    let col = |h: &str| t.headers.iter().position(|x| *x == h).unwrap();
    // Open first, aged to the report's day; cleared with who and how.
    assert_eq!(t.rows[0][col("id")], "1");
    assert_eq!(t.rows[0][col("status")], "open");
    assert_eq!(t.rows[0][col("age days")], "3");
    assert_eq!(t.rows[1][col("status")], "cleared");
    assert_eq!(t.rows[1][col("age days")], "0");
    assert_eq!(t.rows[1][col("cleared by")], "SUP1");
    assert_eq!(t.rows[1][col("how")], "released");
    assert_eq!(t.rows[2][col("kind")], "late_shipment");
    assert_eq!(t.rows[2][col("document")], "order SO-000002 line 1");
}

#[test]
fn a_backorder_past_its_promise_is_an_exception_on_the_day_after() {
    let (mut s, _) = demo();
    // More than the shelf: the rest is backordered with a promise date.
    let env = run(
        &mut s,
        "CLERK1",
        serde_json::from_value(
            serde_json::json!({"cmd": "place_order", "customer": "C0001",
            "lines": [{"sku": "FAS-1003", "qty": "400", "warehouse": "CHI"}]}),
        )
        .unwrap(),
    )
    .unwrap();
    let promise = env
        .events()
        .iter()
        .find_map(|e| match e {
            Event::Backordered { promise, .. } => Some(*promise),
            _ => None,
        })
        .expect("a backorder");
    use depot::core::exceptions::backorders_past_promise;
    // The clock is passed in: not yet on the promise day, then one day late.
    assert!(backorders_past_promise(&s, promise).is_empty());
    let late = backorders_past_promise(&s, promise + chrono::Duration::days(1));
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].days, 1);
    let t =
        depot::report::build("exceptions", &s, None, promise + chrono::Duration::days(2)).unwrap();
    assert!(t
        .rows
        .iter()
        .any(|r| r[1] == "backorder_past_promise" && r[11] == "2"));
}

fn rules(r: depot::core::quality::QualityRules) -> CommandBody {
    CommandBody::SetDataQualityRules {
        entity: None,
        rules: r,
    }
}

#[test]
fn data_quality_findings_follow_the_records_and_replay_to_the_same_queue() {
    use depot::core::quality::{QualityRule, QualityRules};
    let (mut s, mut log) = demo();
    log.push(run(&mut s, "DATA1", rules(QualityRules::all())).unwrap());
    // The demo's master data: eight pairs of look-alike items, nothing else.
    let dq = |s: &State| {
        s.open_exceptions
            .keys()
            .filter(|b| matches!(b, Blocked::DataQuality { .. }))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(dq(&s).len(), 16, "{:?}", dq(&s));
    assert!(dq(&s).iter().all(|b| matches!(
        b,
        Blocked::DataQuality {
            rule: QualityRule::DuplicateItem,
            ..
        }
    )));
    let x = &s.exceptions[&s.open_exceptions[&dq(&s)[0]]];
    assert_eq!(
        x.owner,
        depot::core::exceptions::Owner::Role(Role::DataSteward)
    );
    depot::core::invariants::check_state(&s).unwrap();
    // Renaming one of a pair clears both of its findings in that record.
    let mut item = s.items[&"TOO-1065".to_code()].clone();
    item.description = format!("{} (heavy duty)", item.description);
    log.push(run(&mut s, "DATA1", CommandBody::UpdateItem(item)).unwrap());
    assert_eq!(dq(&s).len(), 14);
    assert!(!dq(&s).iter().any(|b| b.to_string().contains("TOO-10")));
    // Taking a supplier's lead time away raises one on that supplier.
    let mut v = s.suppliers[&"V002".to_code()].clone();
    v.lead_time_days = 0;
    log.push(run(&mut s, "BUY1", CommandBody::UpdateSupplier(v)).unwrap());
    assert!(dq(&s).contains(&Blocked::DataQuality {
        rule: QualityRule::SupplierLeadTime,
        key: "V002".into()
    }));
    depot::core::invariants::check_state(&s).unwrap();
    // The replay of the log builds the same queue and the same index.
    let mut replayed = State::default();
    for env in &log {
        apply(&mut replayed, env);
    }
    assert_eq!(replayed.exceptions, s.exceptions);
    assert_eq!(replayed.open_exceptions, s.open_exceptions);
    assert_eq!(replayed.quality_names, s.quality_names);
}

#[test]
fn a_missing_data_quality_finding_is_caught_by_the_invariant() {
    let (mut s, _) = demo();
    run(
        &mut s,
        "DATA1",
        rules(depot::core::quality::QualityRules {
            item_weight: true,
            ..Default::default()
        }),
    )
    .unwrap();
    let mut item = s.items[&"FAS-1000".to_code()].clone();
    item.weight_kg = rust_decimal::Decimal::ZERO;
    run(&mut s, "ADMIN", CommandBody::UpdateItem(item)).unwrap();
    assert_eq!(s.open_exceptions.len(), 1);
    depot::core::invariants::check_state(&s).unwrap();
    // A finding the record no longer implies (the weight fixed behind
    // apply's back) is an orphan; one dropped from the queue is missing.
    let mut orphan = s.clone();
    orphan
        .items
        .get_mut(&"FAS-1000".to_code())
        .unwrap()
        .weight_kg = rust_decimal::Decimal::ONE;
    assert!(depot::core::invariants::check_state(&orphan).is_err());
    let mut missing = s.clone();
    missing.open_exceptions.clear();
    assert!(depot::core::invariants::check_state(&missing).is_err());
}

fn run_at(
    s: &mut State,
    operator: &str,
    at: chrono::DateTime<Utc>,
    json: serde_json::Value,
) -> Result<Envelope, depot::core::Rejection> {
    execute(
        s,
        &Command {
            operator: operator.into(),
            session: "test".into(),
            time: at,
            key: None,
            body: serde_json::from_value(json).unwrap(),
        },
    )
}

/// C0002's invoice IN-000001 (1762.39), paid 1700.00 "in full": 62.39
/// disputed.
fn disputed_invoice(s: &mut State) {
    use serde_json::json;
    for (who, cmd) in [
        (
            "CLERK1",
            json!({"cmd": "place_order", "customer": "C0002", "lines": [{"sku": "FAS-1001", "qty": "20", "warehouse": "CHI"}]}),
        ),
        (
            "SHIP1",
            json!({"cmd": "release_order", "number": "SO-000001"}),
        ),
        (
            "PICK1",
            json!({"cmd": "confirm_pick", "list": "PK-000001", "line": 1, "bin": "B-03-03", "item": "FAS-1001", "qty": "12"}),
        ),
        (
            "PICK1",
            json!({"cmd": "confirm_pick", "list": "PK-000001", "line": 2, "bin": "R-01-02", "item": "FAS-1001", "qty": "8"}),
        ),
        (
            "PACK1",
            json!({"cmd": "pack_carton", "list": "PK-000001", "contents": [{"item": "FAS-1001", "qty": "20"}], "weight": "26.22"}),
        ),
        (
            "SHIP1",
            json!({"cmd": "ship_pick", "list": "PK-000001", "carrier": "FEDEX", "service": "GND", "freight": "12.50"}),
        ),
        (
            "AR1",
            json!({"cmd": "invoice_shipments", "shipments": ["SH-000001"]}),
        ),
        (
            "AR1",
            json!({"cmd": "receive_payment", "customer": "C0002", "method": "transfer", "amount": "1700.00", "apply": [{"invoice": "IN-000001", "amount": "1700.00", "settle": true}]}),
        ),
    ] {
        run_at(s, who, now(), cmd).unwrap();
    }
}

#[test]
fn a_written_off_dispute_keeps_its_date_for_aging_as_of_an_earlier_day() {
    let (mut s, _) = demo();
    disputed_invoice(&mut s);
    assert_eq!(s.open_exceptions.len(), 1);
    let later = now() + chrono::Duration::days(10);
    let write_off = serde_json::json!({"cmd": "resolve_dispute", "invoice": "IN-000001",
        "action": "write_off", "reason": "damaged in transit"});
    // AR1 took the short payment: writing it off is somebody else's
    // decision, and the refusal changes nothing.
    let before_refusal = s.clone();
    match run_at(&mut s, "AR1", later, write_off.clone()) {
        Err(depot::core::Rejection::OwnRequest { id, .. }) => {
            assert_eq!(Some(&id), s.open_exceptions.values().next());
        }
        other => panic!("AR1 wrote off its own dispute: {other:?}"),
    }
    assert_eq!(s, before_refusal);
    // The queue shows who asked.
    let x = s.exceptions.values().next().unwrap();
    assert_eq!(x.requested_by.as_deref(), Some("AR1"));
    // The controller may.
    run_at(&mut s, "CTRL1", later, write_off).unwrap();
    assert!(s.open_exceptions.is_empty());
    depot::core::invariants::check_state(&s).unwrap();
    let row = |day: chrono::NaiveDate| {
        depot::report::build("aging-ar", &s, Some("US01"), day)
            .unwrap()
            .rows
            .into_iter()
            .find(|r| r[0] == "C0002")
    };
    // Before the write-off the disputed 62.39 was still owed.
    let before = row(now().date_naive() + chrono::Duration::days(5)).expect("C0002 owed then");
    assert_eq!(
        before.last().map(String::as_str),
        Some("62.39"),
        "{before:?}"
    );
    // From its date on, nothing.
    assert!(row(later.date_naive()).is_none());
    // The statement lists the write-off and ends at zero.
    let t = depot::report::build_with(
        "statement",
        &s,
        &depot::report::Options {
            customer: Some("C0002".into()),
            ..depot::report::Options::new(None, later.date_naive())
        },
    )
    .unwrap();
    assert!(t.rows.iter().any(|r| r[2].contains("written off")), "{t:?}");
    assert_eq!(t.rows.last().map(|r| r[5].as_str()), Some("0.00"));
}

#[test]
fn the_report_lists_late_shipments_and_stale_credit_as_of_its_day() {
    use serde_json::json;
    let (mut s, _) = demo();
    run_at(
        &mut s,
        "CLERK1",
        now(),
        json!({"cmd": "place_order", "customer": "C0041",
        "lines": [{"sku": "FAS-1001", "qty": "20", "warehouse": "CHI"}]}),
    )
    .unwrap();
    run_at(
        &mut s,
        "AR1",
        now(),
        json!({"cmd": "receive_payment", "customer": "C0002",
        "method": "cash", "amount": "500.00"}),
    )
    .unwrap();
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
    let kinds = |t: &depot::report::Table| -> Vec<(String, String, String)> {
        t.rows
            .iter()
            .filter(|r| r[1] == "late_shipment" || r[1] == "unapplied_cash")
            .map(|r| (r[1].clone(), r[3].clone(), r[6].clone()))
            .collect()
    };
    // On the order's day: nothing late, the credit is fresh.
    let t = depot::report::build("exceptions", &s, None, now().date_naive()).unwrap();
    assert!(kinds(&t).is_empty(), "{:?}", kinds(&t));
    // A week later the order is late; a month later the cash is stale too.
    // Owned by the supervisor the day after its cutoff (2026-11-27 17:30),
    // by the next role once it is late longer than its service level (a
    // day).
    let owner = |d: chrono::NaiveDate| {
        let t = depot::report::build("exceptions", &s, None, d).unwrap();
        kinds(&t)
    };
    assert_eq!(
        owner(chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()),
        vec![(
            "late_shipment".to_string(),
            "order SO-000001 line 1".to_string(),
            "supervisor".to_string()
        )]
    );
    assert_eq!(
        owner(day(2)),
        vec![(
            "late_shipment".to_string(),
            "order SO-000001 line 1".to_string(),
            "admin".to_string()
        )]
    );
    let t = depot::report::build("exceptions", &s, None, day(30)).unwrap();
    let k = kinds(&t);
    assert!(
        k.contains(&(
            "unapplied_cash".to_string(),
            "credit of C0002".to_string(),
            "ar_clerk".to_string()
        )),
        "{k:?}"
    );
    // Medium by its value, two levels up past twice its service level.
    let late = t.rows.iter().find(|r| r[1] == "late_shipment").unwrap();
    assert_eq!(late[2], "critical", "{late:?}");
}

/// An item nobody has priced has no cost: "no cost" is raised for it, and
/// the first stock that gives it a cost pool clears it in that record
/// (apply hands the event's pools to the finding's check).
#[test]
fn a_first_cost_pool_clears_the_no_cost_finding() {
    use depot::core::quality::{QualityRule, QualityRules};
    let (mut s, mut log) = demo();
    log.push(run(&mut s, "DATA1", rules(QualityRules::all())).unwrap());
    let mut item = s.items[&"TOO-1065".to_code()].clone();
    item.sku = "NEW-0001".into();
    item.description = "A spanner never seen before".into();
    item.barcodes.clear();
    log.push(run(&mut s, "ADMIN", CommandBody::CreateItem(item)).unwrap());
    let finding = Blocked::DataQuality {
        rule: QualityRule::ItemCost,
        key: "NEW-0001".into(),
    };
    assert!(s.open_exceptions.contains_key(&finding), "no cost raised");
    depot::core::invariants::check_state(&s).unwrap();
    let (wh, bin) = s
        .bins
        .iter()
        .find(|(_, b)| b.kind == depot::core::master::BinKind::PickFace)
        .map(|((w, b), _)| (w.clone(), b.clone()))
        .expect("a pick bin");
    let opening = CommandBody::PostOpeningStock {
        warehouse: wh,
        bin,
        sku: "NEW-0001".into(),
        qty: rust_decimal::Decimal::from(5),
        unit: None,
        unit_cost: rust_decimal::Decimal::from(7),
        lot: None,
        date: None,
        expiry: None,
    };
    log.push(run(&mut s, "ADMIN", opening).unwrap());
    assert!(
        !s.open_exceptions.contains_key(&finding),
        "cleared by the pool"
    );
    depot::core::invariants::check_state(&s).unwrap();
    let mut replayed = State::default();
    for env in &log {
        apply(&mut replayed, env);
    }
    assert_eq!(replayed.open_exceptions, s.open_exceptions);
}

/// A supervisor gives the late-shipment model's prediction for an open
/// order to somebody and comments on it before the order is late; once
/// it misses its ship-by, the late row is still theirs and shows what
/// was said (marked as said about the prediction), then its own
/// comments; the prediction's snooze does not carry, and an owner given
/// to the late row itself wins.
#[test]
fn a_late_shipment_keeps_what_was_said_about_its_prediction() {
    use depot::core::exceptions::{
        clock_exceptions, ClockKey, ExceptionKind, Owner, ON_THE_PREDICTION,
    };
    use serde_json::json;
    let (mut s, _) = demo();
    run_at(
        &mut s,
        "CLERK1",
        now(),
        json!({"cmd": "place_order", "customer": "C0041",
        "lines": [{"sku": "FAS-1001", "qty": "20", "warehouse": "CHI"}]}),
    )
    .unwrap();
    let requested = s.orders[&"SO-000001".to_code()].requested;
    let risk = ClockKey::LateRisk {
        order: "SO-000001".into(),
        requested,
    };
    let note =
        |s: &mut State, at: chrono::DateTime<Utc>, key: &ClockKey, mut body: serde_json::Value| {
            body["key"] = serde_json::to_value(key).unwrap();
            run_at(s, "SUP1", at, body).unwrap();
        };
    let until = now().date_naive() + chrono::Duration::days(30);
    for body in [
        json!({"cmd": "comment_clock_exception", "text": "carrier called"}),
        json!({"cmd": "reassign_clock_exception", "to": {"operator": "SHIP1"}}),
        json!({"cmd": "snooze_clock_exception", "until": until, "reason": "truck booked"}),
    ] {
        note(&mut s, now(), &risk, body);
    }
    // Not late yet: no row of its own.
    assert!(clock_exceptions(&s, now())
        .iter()
        .all(|x| x.kind() != ExceptionKind::LateShipment));
    // Past its ship-by (2026-11-27 17:30 in Chicago): late, and still
    // SHIP1's, with the prediction's comment.
    let late_at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
    let late = |s: &State| {
        clock_exceptions(s, late_at)
            .into_iter()
            .find(|x| x.kind() == ExceptionKind::LateShipment && x.key.order() == Some("SO-000001"))
            .expect("the order is late")
    };
    let x = late(&s);
    // The episode of the late row is its must-arrive day, not the day the
    // order was requested for: the note is found by the order's requested
    // day all the same.
    assert!(
        matches!(&x.key, ClockKey::LateShipment { must_arrive, .. } if *must_arrive != requested),
        "{:?}",
        x.key
    );
    assert_eq!(x.owner, Owner::Operator("SHIP1".into()));
    assert_eq!(x.comments.len(), 1, "{:?}", x.comments);
    assert_eq!(
        x.comments[0].text,
        format!("{ON_THE_PREDICTION}carrier called")
    );
    assert_eq!(x.comments[0].by.as_str(), "SUP1");
    assert_eq!(x.comments[0].at, now());
    // Snoozing the risk did not snooze the late shipment.
    assert_eq!(x.snoozed, None);
    assert!(x.in_queue(late_at.date_naive()));
    // The report lists it as SHIP1's, with the last thing said.
    let t = depot::report::build("exceptions", &s, None, late_at.date_naive()).unwrap();
    let row = t
        .rows
        .iter()
        .find(|r| r[1] == "late_shipment" && r[3] == "order SO-000001 line 1")
        .expect("listed");
    assert_eq!(row[6], "@SHIP1", "{row:?}");
    assert_eq!(row[13], "on the prediction: carrier called", "{row:?}");
    // Its own comment follows the prediction's; given to somebody itself,
    // its own owner wins.
    note(
        &mut s,
        late_at,
        &x.key,
        json!({"cmd": "comment_clock_exception", "text": "truck never came"}),
    );
    let x = late(&s);
    let said: Vec<&str> = x.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        said,
        ["on the prediction: carrier called", "truck never came"]
    );
    assert_eq!(x.owner, Owner::Operator("SHIP1".into()));
    note(
        &mut s,
        late_at,
        &x.key,
        json!({"cmd": "reassign_clock_exception", "to": {"operator": "SUP1"}}),
    );
    assert_eq!(late(&s).owner, Owner::Operator("SUP1".into()));
    // Nothing new in the state: the prediction's note is as it was.
    assert_eq!(
        s.clock_notes[&risk].owner,
        Some(Owner::Operator("SHIP1".into()))
    );
}
