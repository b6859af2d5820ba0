//! CSV import/export of master data, and the demo distributor.

use chrono::{NaiveDate, TimeZone, Utc};
use depot::core::invariants::check_state;
use depot::core::master::Channel;
use depot::core::{execute, Command, CommandBody, State};
use depot::io::csv::{export, parse, ImportError, KINDS};
use depot::io::demo;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn run(state: &mut State, body: CommandBody) -> Result<(), depot::core::Rejection> {
    let time = Utc.from_utc_datetime(&today().and_hms_opt(9, 0, 0).unwrap());
    let cmd = Command {
        operator: demo::DEMO_ADMIN.into(),
        session: "t".into(),
        time,
        key: None,
        body,
    };
    execute(state, &cmd).map(|_| ())
}

fn demo_state() -> State {
    static DEMO: std::sync::OnceLock<State> = std::sync::OnceLock::new();
    DEMO.get_or_init(|| {
        let mut s = State::default();
        for body in demo::commands(today(), 0).unwrap() {
            run(&mut s, body).unwrap();
        }
        s
    })
    .clone()
}

#[test]
fn the_demo_is_a_whole_distributor() {
    let s = demo_state();
    check_state(&s).unwrap();
    assert_eq!(s.entities.len(), 2);
    let currencies: std::collections::BTreeSet<_> = s
        .entities
        .values()
        .map(|e| e.base_currency.clone())
        .collect();
    assert_eq!(currencies.len(), 2, "two base currencies");
    assert_eq!(s.warehouses.len(), 3);
    assert!(s.items.len() >= 500);
    assert!(s
        .items
        .values()
        .all(|i| !i.barcodes.is_empty() && !i.alt_units.is_empty()));
    assert!(s.customers.len() >= 150);
    for ch in Channel::ALL {
        assert!(
            s.customers.values().any(|c| c.channel == ch),
            "no customer in channel {ch:?}"
        );
    }
    assert!(s.suppliers.len() >= 25);
    assert!(s.suppliers.values().all(|v| !v.items.is_empty()));
    assert!(!s.contracts.is_empty());
    assert!(s
        .price_lists
        .values()
        .any(|p| p.prices.values().any(|lp| !lp.breaks.is_empty())));
    for e in s.entities.keys() {
        for key in depot::core::master::PostingKey::ALL {
            assert!(
                s.posting_rules.contains_key(&(e.clone(), key)),
                "{e} {key:?}"
            );
        }
    }
    for role in depot::core::auth::Role::ALL {
        assert!(
            s.operators.values().any(|o| o.roles.contains(&role)),
            "no operator with role {role:?}"
        );
    }
    assert!(s
        .stock
        .values()
        .any(|w| w.on_hand > rust_decimal::Decimal::ZERO));
    assert!(s
        .bins
        .values()
        .any(|b| b.kind == depot::core::master::BinKind::Quarantine));
}

#[test]
fn every_kind_exports_what_it_imports() {
    let s = demo_state();
    for kind in KINDS {
        let text = export(kind, &s).unwrap();
        let commands = parse(kind, &text, &s).unwrap_or_else(|e| panic!("{kind}: {e}"));
        if *kind == "opening-stock" {
            // Posting it again would add stock: count only.
            assert_eq!(commands.len(), text.lines().count() - 1, "{kind}");
            continue;
        }
        assert!(text.lines().count() > 1, "{kind}: the demo has some");
        let names: Vec<String> = commands.iter().map(|c| c.name().to_string()).collect();
        assert!(
            names.is_empty(),
            "{kind}: importing the export changes something: {names:?}"
        );
    }
}

fn err(kind: &str, text: &str) -> String {
    let s = demo_state();
    match parse(kind, text, &s) {
        Err(e) => e.to_string(),
        Ok(c) => panic!("{kind} accepted {} commands from {text:?}", c.len()),
    }
}

#[test]
fn malformed_files_name_the_line_and_column() {
    let e = err(
        "payment-terms",
        "code,description,net_days\nN1,ok,30\nN2,bad,-3\n",
    );
    assert!(
        e.contains("line 3, column net_days") && e.contains("\"-3\""),
        "{e}"
    );
    let e = err("items", "sku,description,base_unit,weight_kg,tax_class,abc,category\nX1,Widget,EA,1.5kg,STD,A,TOOLS\n");
    assert!(
        e.contains("line 2, column weight_kg") && e.contains("decimal"),
        "{e}"
    );
    let e = err(
        "items",
        "sku,description,base_unit,weight_kg,tax_class,abc,category\nX1,Widget,EA,1,STD,D,TOOLS\n",
    );
    assert!(e.contains("column abc") && e.contains("A, B, C"), "{e}");
    let e = err(
        "payment-terms",
        "code,description,net_days,colour\nN1,x,1,red\n",
    );
    assert!(e.contains("unknown column \"colour\""), "{e}");
    let e = err("payment-terms", "description,net_days\nx,1\n");
    assert!(e.contains("no column \"code\""), "{e}");
    let e = err("payment-terms", "code,description,net_days\nN1,x,1,extra\n");
    assert!(e.contains("line 2") && e.contains("4 fields"), "{e}");
    let e = err("contracts", "code,customer,sku,currency,price,valid_from,valid_to\nK1,C0001,FAS-1000,USD,1.00,2026-13-01,2027-01-01\n");
    assert!(
        e.contains("column valid_from") && e.contains("YYYY-MM-DD"),
        "{e}"
    );
    let e = err("carriers", "code,name,services\nZZ,Zed,GND|Ground|5pm|3\n");
    assert!(e.contains("column services") && e.contains("HH:MM"), "{e}");
    let e = err("payment-terms", "code,net_days\nNEW1,30\n");
    assert!(
        e.contains("line 2") && e.contains("description is needed"),
        "{e}"
    );
    assert!(matches!(
        parse("widgets", "a\n", &State::default()),
        Err(ImportError::UnknownKind { .. })
    ));
}

#[test]
fn a_key_on_two_rows_is_refused_naming_both_lines() {
    // Opening stock is keyed by warehouse, bin, sku and lot: the same row
    // twice would post twice under one document.
    let header = "warehouse,bin,sku,qty,unit,unit_cost,lot,date,expiry\n";
    let row = "CHI,A-01-04,BRK-1008,5,,12.17,,,\n";
    let e = err(
        "opening-stock",
        &format!("{header}{row}CHI,A-01-04,BRK-1009,5,,12.17,,,\n{row}"),
    );
    assert!(
        e.contains("line 4") && e.contains("line 2") && e.contains("BRK-1008"),
        "{e}"
    );
    // Another lot of the item in the bin is another row.
    let s = demo_state();
    let lots =
        format!("{header}CHI,A-01-04,BRK-1008,5,,12.17,L1,,\nCHI,A-01-04,BRK-1008,5,,12.17,L2,,\n");
    assert_eq!(parse("opening-stock", &lots, &s).unwrap().len(), 2);
    let e = err(
        "list-prices",
        "price_list,sku,price\nLIST-USD,FAS-1000,1.00\nLIST-USD,FAS-1000,2.00\n",
    );
    assert!(e.contains("line 3") && e.contains("line 2"), "{e}");
}

#[test]
fn an_update_changes_only_the_columns_in_the_file() {
    let s = demo_state();
    let c = s.customers.values().next().unwrap().clone();
    let text = format!("code,name\n{},Renamed Customer Ltd\n", c.code);
    let commands = parse("customers", &text, &s).unwrap();
    match &commands[..] {
        [CommandBody::UpdateCustomer(u)] => {
            assert_eq!(u.name, "Renamed Customer Ltd");
            let mut expected = c.clone();
            expected.name = u.name.clone();
            assert_eq!(u, &expected);
        }
        other => panic!("expected one update, got {other:?}"),
    }
}

#[test]
fn the_core_still_judges_what_the_csv_layer_reads() {
    let s = demo_state();
    // Well-formed, but the terms code does not exist: decide refuses it.
    let text = "code,name,entity,channel,currency,terms,credit_limit,price_list\nNEW1,New Co,US01,phone,USD,NET999,100,LIST-USD\n";
    let commands = parse("customers", text, &s).unwrap();
    let mut t = s.clone();
    let r = run(&mut t, commands.into_iter().next().unwrap()).unwrap_err();
    assert_eq!(r.code(), "not_found");
    assert_eq!(t, s);
}

#[test]
fn an_item_of_a_tax_class_no_tax_code_carries_is_refused() {
    let s = demo_state();
    let items = |class: &str| {
        format!("sku,description,base_unit,weight_kg,tax_class,abc,category\nX1,Widget,EA,1,{class},A,TOOLS\n")
    };
    // It could never be invoiced: refused by the core, naming the classes.
    let commands = parse("items", &items("NOPE"), &s).unwrap();
    let mut t = s.clone();
    let r = run(&mut t, commands.into_iter().next().unwrap()).unwrap_err();
    assert_eq!(r.code(), "unknown_tax_class");
    let m = r.to_string();
    assert!(m.contains("NOPE") && m.contains("EXEMPT, FOOD, STD"), "{m}");
    assert_eq!(t, s);
    // Nor may an item be changed to one.
    let item = s.items.values().next().unwrap().clone();
    let text = format!("sku,tax_class\n{},NOPE\n", item.sku);
    let commands = parse("items", &text, &s).unwrap();
    let r = run(&mut t, commands.into_iter().next().unwrap()).unwrap_err();
    assert_eq!(r.code(), "unknown_tax_class");
    // A class of the tax codes, exempt included, is taken.
    for class in ["STD", "EXEMPT"] {
        let commands = parse("items", &items(class), &s).unwrap();
        let mut t = s.clone();
        run(&mut t, commands.into_iter().next().unwrap()).unwrap();
    }
}

#[test]
fn a_quote_out_of_place_is_refused_naming_its_line_and_column() {
    // Text after a field's closing quote: not read as `NETWx`.
    let e = err(
        "payment-terms",
        "code,description,net_days\n\"NETW\"x,a,1\n",
    );
    assert!(
        e.contains("line 2, column 7") && e.contains("closing quote"),
        "{e}"
    );
    // A quote that never closes is named where it opens.
    let e = err(
        "payment-terms",
        "code,description,net_days\nN1,ok,30\nN2,\"never closed,1\nN3,x,3\n",
    );
    assert!(e.contains("line 3, column 4") && e.contains("quote"), "{e}");
    // A quote written twice inside quotes and one inside an unquoted
    // field (inches) are text.
    let s = demo_state();
    let text = "code,description,net_days\nN1,\"Net \"\"one\"\", 1/4\"\"\",1\nN2,Bolt 1/4\",2\n";
    match &parse("payment-terms", text, &s).unwrap()[..] {
        [CommandBody::CreatePaymentTerms(a), CommandBody::CreatePaymentTerms(b)] => {
            assert_eq!(a.description, "Net \"one\", 1/4\"");
            assert_eq!(b.description, "Bolt 1/4\"");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn exported_fiscal_years_import_again_without_change() {
    // An entity whose year starts in April: FY2026 ends in March 2027.
    let mut s = demo_state();
    let entity = "code,name,base_currency,tax_jurisdiction,fiscal_year_start_month\nAP01,April Co,USD,US-IL,4\n";
    for body in parse("entities", entity, &s).unwrap() {
        run(&mut s, body).unwrap();
    }
    let year = "entity,year\nAP01,2026\n";
    for body in parse("fiscal-years", year, &s).unwrap() {
        run(&mut s, body).unwrap();
    }
    let text = export("fiscal-years", &s).unwrap();
    assert!(text.contains("AP01,2026\n"), "{text}");
    assert!(!text.contains("AP01,2027"), "one year, as defined: {text}");
    let commands = parse("fiscal-years", &text, &s).unwrap();
    assert!(commands.is_empty(), "{commands:?}");
    // A year not defined yet is still defined by the file.
    let commands = parse("fiscal-years", &format!("{text}AP01,2027\n"), &s).unwrap();
    assert_eq!(commands.len(), 1, "{commands:?}");
    run(&mut s, commands.into_iter().next().unwrap()).unwrap();
}
