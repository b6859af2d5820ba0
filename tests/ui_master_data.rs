//! The master data screen (issue 22), driven with keys against the real
//! core (an in-memory backend over the demo distributor, fixed clock) and
//! drawn into ratatui's TestBackend.

use depot::core::types::ToCode;
use depot::core::CommandBody;
use depot::ui::app::{App, Keymaps};
use depot::ui::testing::{Driver, MemBackend};
use rust_decimal::Decimal;

fn demo() -> MemBackend {
    MemBackend::afternoon()
}

/// Commands the screens submitted that change master data.
fn saves(b: &MemBackend) -> usize {
    b.log
        .borrow()
        .iter()
        .filter(|(_, r)| {
            r.body.as_master().is_some()
                || matches!(
                    r.body,
                    CommandBody::SetListPrice { .. } | CommandBody::SetPostingRule { .. }
                )
        })
        .count()
}

/// Open the master data screen on `kind` (its label in the chooser) and
/// filter its list by `filter`.
fn browse<'a>(b: &'a MemBackend, op: &str, kind: &str, filter: &str) -> Driver<'a> {
    let mut d = Driver::new(b, Some(op));
    d.open("Master data")
        .expect("the operator may open master data");
    for _ in 0..12 {
        let s = d.screen(100, 30);
        if s.lines().any(|l| l.contains(&format!("> {kind}"))) {
            break;
        }
        d.press("down");
    }
    d.press("enter");
    if !filter.is_empty() {
        d.press("/").typed(filter).press("enter");
    }
    d
}

/// Move the form's focus to the field labelled `label`.
fn to_field(d: &mut Driver, label: &str) {
    for _ in 0..40 {
        let s = d.screen(80, 24);
        if s.lines().any(|l| l.starts_with(&format!(">{label}"))) {
            return;
        }
        d.press("tab");
    }
    panic!("no field {label}:\n{}", d.screen(80, 24));
}

#[test]
fn snapshots_of_browse_and_forms_at_80x24_and_132x43() {
    let b = demo();
    for (op, kind, filter, name) in [
        ("DATA1", "Items", "FAS-10", "items"),
        ("DATA1", "Customers", "", "customers"),
        ("ADMIN", "Operators", "", "operators"),
    ] {
        let mut d = browse(&b, op, kind, filter);
        insta::assert_snapshot!(format!("md_{name}_browse_80x24"), d.screen(80, 24));
        insta::assert_snapshot!(format!("md_{name}_browse_132x43"), d.screen(132, 43));
        d.press("enter");
        insta::assert_snapshot!(format!("md_{name}_form_80x24"), d.screen(80, 24));
        insta::assert_snapshot!(format!("md_{name}_form_132x43"), d.screen(132, 43));
    }
    let mut d = Driver::new(&b, Some("DATA1"));
    d.open("Master data").unwrap();
    insta::assert_snapshot!("md_kinds_80x24", d.screen(80, 24));
}

#[test]
fn a_customer_edit_applies_now_and_a_credit_limit_waits_for_approval() {
    let b = demo();
    let before = b.state.borrow().customers[&"C0002".to_code()].clone();
    let mut d = browse(&b, "DATA1", "Customers", "C0002");
    d.press("enter");
    // A non-governed field: the grace days.
    to_field(&mut d, "Grace days");
    d.press("ctrl-u").typed("9");
    let s = d.screen(80, 24);
    assert!(s.contains("ready: F10 saves"), "{s}");
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(s.contains("Save customer C0002?"), "{s}");
    assert_eq!(saves(&b), 0, "nothing before the confirm");
    d.press("y");
    assert_eq!(saves(&b), 1);
    assert_eq!(b.state.borrow().customers[&"C0002".to_code()].grace_days, 9);
    assert!(d.screen(80, 24).contains("saved customer C0002"));
    // The governed credit limit: asked, then pending, not applied.
    to_field(&mut d, "Credit limit*");
    d.press("ctrl-u").typed("25000");
    let s = d.screen(80, 24);
    assert!(
        s.contains("credit_limit will wait for a second person's approval"),
        "{s}"
    );
    d.press("f10");
    assert!(d.screen(80, 24).contains("will wait for approval"));
    d.press("y");
    assert_eq!(saves(&b), 2);
    {
        let st = b.state.borrow();
        assert_eq!(
            st.customers[&"C0002".to_code()].credit_limit,
            before.credit_limit
        );
        let cr = st
            .changes
            .values()
            .find(|c| c.change.subject() == "customer C0002")
            .expect("a change request");
        assert_eq!(cr.requested_by, "DATA1");
        assert_eq!(cr.fields, vec!["credit_limit".to_string()]);
    }
    let s = d.screen(80, 24);
    assert!(s.contains("pending approval (CR"), "{s}");
    assert!(s.contains("pending -> 25000"), "{s}");
    // The list marks it too, and says what waits.
    d.press("esc");
    let s = d.screen(132, 43);
    assert!(s.contains("pending: credit_limit -> 25000"), "{s}");
    // Approved by someone else, it applies.
    let id = b
        .state
        .borrow()
        .changes
        .values()
        .find(|c| c.change.subject() == "customer C0002")
        .unwrap()
        .id;
    b.exec("SUP1", CommandBody::ApproveChange { id }).unwrap();
    d.committed();
    assert_eq!(
        b.state.borrow().customers[&"C0002".to_code()].credit_limit,
        Decimal::from(25000)
    );
    let s = d.screen(132, 43);
    assert!(!s.contains("pending: credit_limit"), "{s}");
    // The history lists both changes with before and after.
    d.press("f7");
    let s = d.screen(132, 43);
    assert!(s.contains("grace_days: 5 -> 9"), "{s}");
    assert!(s.contains("credit_limit: 15000 -> 25000"), "{s}");
}

#[test]
fn bad_values_show_their_error_and_submit_nothing() {
    let b = demo();
    let mut d = browse(&b, "DATA1", "Customers", "C0002");
    d.press("enter");
    to_field(&mut d, "Credit limit*");
    d.press("ctrl-u").typed("12.3456");
    let s = d.screen(132, 43);
    assert!(s.contains("more than 2 decimals"), "{s}");
    // F10 does not ask when a field is wrong: it says what to fix.
    d.press("f10");
    let s = d.screen(132, 43);
    assert!(s.contains("fix first: Credit limit"), "{s}");
    assert!(!s.contains("Save customer"), "no confirm: {s}");
    assert_eq!(saves(&b), 0);
    // An unknown code: the error names it, F4 offers the known ones.
    d.press("ctrl-u").typed("15000");
    to_field(&mut d, "Terms");
    d.press("ctrl-u").typed("NET99");
    let s = d.screen(132, 43);
    assert!(s.contains("no payment terms NET99"), "{s}");
    d.press("f10");
    assert_eq!(saves(&b), 0);
    d.press("f4");
    let s = d.screen(132, 43);
    assert!(s.contains("NET30"), "{s}");
    d.press("esc").press("esc");
    // An item with an unknown tax class.
    let mut d = browse(&b, "DATA1", "Items", "FAS-1000");
    d.press("enter");
    to_field(&mut d, "Tax class");
    d.press("ctrl-u").typed("LUXURY");
    let s = d.screen(132, 43);
    assert!(s.contains("no tax class LUXURY"), "{s}");
    d.press("f10");
    assert_eq!(saves(&b), 0);
    // The core's own refusal is shown before any confirm: a bad barcode.
    d.press("ctrl-u").typed("STD");
    to_field(&mut d, "Barcodes");
    d.press("ctrl-u").typed("0614141000012=NOPE");
    let s = d.screen(132, 43);
    assert!(s.contains("the core would refuse"), "{s}");
    d.press("f10");
    assert_eq!(saves(&b), 0);
    // At 80 columns: a bad number in a list names itself, and the error
    // under the form is whole (on its two lines), not cut.
    d.press("ctrl-u").typed("0614141000012=BOX");
    to_field(&mut d, "Alt units");
    d.press("ctrl-u").typed("CASE=x12");
    let s = d.screen(80, 24);
    let joined: String = s.lines().map(str::trim_end).collect::<Vec<_>>().join(" ");
    assert!(
        joined.contains("Alt units: has \"x12\", which is not a decimal number (digits and a decimal point, e.g. 12.50)"),
        "{s}"
    );
    d.press("ctrl-u").typed("CASE=12");
    // A value longer than its room shows where it goes on: the start of
    // the barcodes (not their tail, which read as another barcode).
    to_field(&mut d, "Barcodes");
    let long = "0614141000012=BOX;10614141000019=CASE;20614141000016=PALLET";
    d.press("ctrl-u").typed(long);
    to_field(&mut d, "Alt units");
    let s = d.screen(80, 24);
    let row = s
        .lines()
        .find(|l| l.contains("Barcodes"))
        .unwrap_or_default();
    assert!(row.contains(" 0614141000012=BOX;1061414100001~"), "{row}");
    d.press("f10");
    assert_eq!(saves(&b), 0);
}

#[test]
fn an_operator_gets_an_ssh_key_and_a_bad_key_is_refused() {
    let b = demo();
    let mut d = browse(&b, "ADMIN", "Operators", "PICK2");
    d.press("enter");
    to_field(&mut d, "SSH key 1");
    d.typed("ssh-rsa not-a-key");
    let s = d.screen(80, 24);
    assert!(s.contains("the key"), "{s}");
    d.press("f10").press("y");
    assert_eq!(saves(&b), 0);
    let key =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1cGlja2VyLWtleS1mb3ItdGVzdHMtb25seS0xMjM0 noor@rf";
    d.press("ctrl-u").typed(key);
    d.press("f10").press("y");
    let st = b.state.borrow();
    assert_eq!(
        st.operators[&"PICK2".to_code()].ssh_keys,
        vec![key.to_string()]
    );
}

#[test]
fn a_new_tax_code_is_created_through_the_form() {
    let b = demo();
    let mut d = browse(&b, "DATA1", "Tax codes", "");
    d.press("f6");
    d.typed("WI-STD").press("enter");
    d.typed("US-WI").press("enter");
    d.typed("STD").press("enter");
    d.press("ctrl-u").typed("5.5").press("enter");
    d.typed("Wisconsin sales tax").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("Create tax code WI-STD?"), "{s}");
    d.press("y");
    let st = b.state.borrow();
    assert_eq!(
        st.tax_codes[&"WI-STD".to_code()].rate_pct,
        Decimal::new(55, 1)
    );
}

#[test]
fn a_view_only_kind_refuses_to_save() {
    let b = demo();
    // The buyer owns suppliers, not items.
    let mut d = browse(&b, "BUY1", "Items", "FAS-1000");
    d.press("enter");
    d.typed("zzz").press("f10").press("y");
    assert!(d.screen(80, 24).contains("view only"));
    assert_eq!(saves(&b), 0);
}

/// ctrl-c over the form's own question asks before exiting, as it does
/// everywhere else; staying brings the form's question back, and the
/// typed change stays until it is discarded.
#[test]
fn ctrl_c_over_the_discard_question_asks_before_exiting() {
    let b = demo();
    let mut d = browse(&b, "DATA1", "Customers", "C0002");
    d.press("enter");
    to_field(&mut d, "Credit limit*");
    d.press("ctrl-u").typed("25000");
    d.press("esc");
    assert!(d.screen(80, 24).contains("Discard the changes typed?"));
    d.press("ctrl-c");
    let s = d.screen(80, 24);
    assert!(s.contains("Exit depot?"), "{s}");
    assert!(!d.app.quit);
    d.press("n");
    let s = d.screen(80, 24);
    assert!(s.contains("Discard the changes typed?"), "{s}");
    assert!(!d.app.quit);
    d.press("n");
    let s = d.screen(80, 24);
    assert!(s.contains("25000") && !s.contains("Discard"), "{s}");
    // ctrl-c over the help asks too.
    d.press("f1");
    assert!(d.app.help, "F1 shows the keys");
    d.press("ctrl-c");
    let s = d.screen(80, 24);
    assert!(s.contains("Exit depot?") && !d.app.quit, "{s}");
    d.press("n");
    assert!(d.screen(80, 24).contains("25000"));
    // ctrl-c over the exit question exits.
    d.press("esc").press("ctrl-c");
    assert!(d.screen(80, 24).contains("Exit depot?"));
    d.press("ctrl-c");
    assert!(d.app.quit);
    assert_eq!(saves(&b), 0);
}

#[test]
fn a_tiny_terminal_says_so() {
    let b = demo();
    let mut d = browse(&b, "DATA1", "Customers", "");
    d.press("enter");
    let s = d.screen(20, 5);
    assert!(s.contains("needs"), "{s}");
    d.screen(0, 0);
    d.screen(1, 1);
}

#[test]
fn no_color_draws_master_data_without_colours() {
    let b = demo();
    let a = App::new(
        Keymaps::load(None).unwrap(),
        true,
        Some("DATA1".into()),
        "t",
        &b,
    );
    let mut d = Driver {
        app: a,
        backend: &b,
    };
    d.open("Master data").unwrap();
    d.press("down").press("enter").press("enter");
    let mut a = d.app;
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    t.draw(|f| a.view(f, &b)).unwrap();
    for cell in t.backend().buffer().content() {
        assert!(
            matches!(cell.fg, ratatui::style::Color::Reset)
                && matches!(cell.bg, ratatui::style::Color::Reset),
            "a coloured cell under NO_COLOR: {cell:?}"
        );
    }
}

/// Every action the screen offers, in each place its focus goes, has a
/// key in both shipped keymaps.
#[test]
fn every_offered_action_has_a_key_in_both_keymaps() {
    let maps = Keymaps::load(None).unwrap();
    let b = demo();
    let check = |app: &App| {
        if app.context() == depot::ui::keymap::Context::Confirm {
            return;
        }
        let Some(top) = app.top() else { return };
        for km in [&maps.default, &maps.classic] {
            for (a, what) in top.actions() {
                assert!(
                    km.key_for(top.name(), app.context(), a).is_some(),
                    "{}: {what} ({a:?}) has no key",
                    top.name()
                );
            }
        }
    };
    for op in ["ADMIN", "DATA1", "AR1"] {
        let mut d = Driver::new(&b, Some(op));
        if d.open("Master data").is_none() {
            continue;
        }
        for k in [
            "enter", "/", "esc", "enter", "f4", "esc", "tab", "f7", "esc", "esc", "f6", "esc",
            "esc",
        ] {
            d.press(k);
            check(&d.app);
        }
    }
}

/// Random keys over every kind (seeded): no panic, no key submitted
/// twice, the state's invariants hold.
#[test]
fn random_keys_on_master_data_never_panic_or_submit_twice() {
    use depot::ui::key::{Key, KeyCode};
    let seed: u64 = std::env::var("DEPOT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261201);
    let mut x = seed;
    let mut next = move || {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let named = [
        "enter",
        "enter",
        "esc",
        "tab",
        "backtab",
        "up",
        "down",
        "f1",
        "f4",
        "f5",
        "f6",
        "f7",
        "f10",
        "f10",
        "f12",
        "backspace",
        "ctrl-u",
        "y",
        "y",
        "n",
        "/",
        ".",
        ",",
    ];
    let b = demo();
    for (op, kind) in [
        ("DATA1", "Items"),
        ("DATA1", "Customers"),
        ("BUY1", "Suppliers"),
        ("DATA1", "Price lists"),
        ("DATA1", "List prices"),
        ("DATA1", "Contract prices"),
        ("DATA1", "Tax codes"),
        ("DATA1", "Carriers"),
        ("ADMIN", "Payment terms"),
        ("ADMIN", "Operators"),
        ("CTRL1", "Posting rules"),
    ] {
        let fresh = || browse(&b, op, kind, "");
        let mut d = fresh();
        for _ in 0..1500 {
            match next() % 10 {
                0..=5 => {
                    let k = named[(next() % named.len() as u64) as usize];
                    d.press(k);
                }
                6..=7 => {
                    let c = (b'0' + (next() % 43) as u8) as char;
                    d.key(Key::plain(KeyCode::Char(c)));
                }
                8 => {
                    for w in ["C0009", "FAS-1000", "NET30", "100", "2026-12-01", "USD"] {
                        if next() % 5 == 0 {
                            d.typed(w);
                        }
                    }
                }
                _ => {
                    let w = (next() % 140) as u16;
                    let h = (next() % 50) as u16;
                    d.screen(w, h);
                }
            }
            if d.app.quit || d.app.operator.is_none() || d.app.screen_name() == "menu" {
                d = fresh();
            }
        }
    }
    let log = b.log.borrow();
    let mut keys: Vec<&String> = log.iter().map(|(_, r)| &r.key).collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "a key was submitted twice (seed {seed})");
    depot::core::invariants::check_state(&b.state.borrow())
        .unwrap_or_else(|v| panic!("invariant broken (seed {seed}): {v}"));
}

/// Opened on one record from another screen (`on_record`, the exception
/// queue's Enter on a finding): the record's form as the keys reach it
/// (the kind, Down to the record, Enter); one Esc returns to the screen
/// it was opened from, after asking when something was typed. A record
/// not there is said, over the kind's list, and Esc from that list
/// returns too.
#[test]
fn opened_on_a_record_shows_its_form_and_esc_returns_to_the_opener() {
    use depot::ui::screens::master_data::{Kind, MasterData};
    let b = demo();
    let (row, code) = {
        let st = b.state.borrow();
        let (row, c) = st.suppliers.keys().enumerate().nth(1).unwrap();
        (row, c.to_string())
    };
    let mut d = Driver::new(&b, Some("DATA1"));
    d.app.open_screen(
        |ctx| Box::new(MasterData::on_record(ctx, Kind::Suppliers, &code)),
        &b,
    );
    let opened = d.screen(80, 24);
    assert!(
        opened.contains(&format!("master data · supplier {code}")),
        "{opened}"
    );
    assert!(opened.contains("Lead time days"), "{opened}");
    let mut by_hand = browse(&b, "DATA1", "Suppliers", "");
    for _ in 0..row {
        by_hand.press("down");
    }
    by_hand.press("enter");
    // The same form, field for field (the status line aside: the one
    // reached by hand still says who signed in).
    let form = |s: &str| -> Vec<String> {
        s.lines()
            .take_while(|l| !l.starts_with("* governed"))
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    };
    let hand = by_hand.screen(80, 24);
    assert_eq!(form(&hand), form(&opened), "{hand}\n{opened}");
    assert!(form(&opened).len() > 15, "{opened}");
    // One Esc: back to the opener (here the menu), not to the list.
    d.press("esc");
    assert_eq!(d.app.screen_name(), "menu", "{}", d.screen(80, 24));
    // Something typed: asked first, then back to the opener.
    let mut d = Driver::new(&b, Some("DATA1"));
    d.app.open_screen(
        |ctx| Box::new(MasterData::on_record(ctx, Kind::Suppliers, &code)),
        &b,
    );
    to_field(&mut d, "Lead time days");
    d.press("ctrl-u").typed("12").press("esc");
    assert!(d.screen(80, 24).contains("Discard the changes typed?"));
    d.press("y");
    assert_eq!(d.app.screen_name(), "menu", "{}", d.screen(80, 24));
    assert_eq!(saves(&b), 0);
    // A list price by its key (LIST/SKU), as a finding of a price names it.
    let mut d = Driver::new(&b, Some("DATA1"));
    d.app.open_screen(
        |ctx| {
            Box::new(MasterData::on_record(
                ctx,
                Kind::ListPrices,
                "LIST-USD/FAS-1001",
            ))
        },
        &b,
    );
    let s = d.screen(80, 24);
    assert!(s.contains("master data · price LIST-USD/FAS-1001"), "{s}");
    // No such record: said as the screen opens, the list shown, and Esc
    // from it returns to the opener.
    let mut d = Driver::new(&b, Some("DATA1"));
    d.app.open_screen(
        |ctx| Box::new(MasterData::on_record(ctx, Kind::Customers, "C-NONE")),
        &b,
    );
    let s = d.screen(80, 24);
    assert!(s.contains("no customer C-NONE"), "{s}");
    assert!(s.contains("customers ("), "the kind's list: {s}");
    d.press("esc");
    assert_eq!(d.app.screen_name(), "menu", "{}", d.screen(80, 24));
}

/// A default is replaced by what is typed over it (`5.5` over the rate's
/// `0` was `05.5`; `yes` over `no` was `noyes`), and a value of a record
/// opened to edit likewise, where it is a number, a yes/no or a code.
#[test]
fn typing_over_a_default_or_a_number_replaces_it() {
    let b = demo();
    let mut d = browse(&b, "DATA1", "Tax codes", "");
    d.press("f6");
    d.typed("WI-RED").press("enter");
    d.typed("US-WI").press("enter");
    d.typed("RED").press("enter");
    d.typed("5.5").press("enter");
    d.typed("Wisconsin reduced").press("enter");
    let s = d.screen(80, 24);
    assert!(s.contains("Create tax code WI-RED?"), "{s}");
    d.press("y");
    assert_eq!(
        b.state.borrow().tax_codes[&"WI-RED".to_code()].rate_pct,
        Decimal::new(55, 1)
    );
    // Opened again: the rate typed over, the description added to.
    to_field(&mut d, "Rate %");
    d.typed("6");
    to_field(&mut d, "Description");
    d.typed(" rate");
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(s.contains("WI-RED"), "{s}");
    d.press("y");
    let st = b.state.borrow();
    assert_eq!(st.tax_codes[&"WI-RED".to_code()].rate_pct, Decimal::from(6));
    assert_eq!(
        st.tax_codes[&"WI-RED".to_code()].description,
        "Wisconsin reduced rate"
    );
}

/// A price created on the form keeps its key (LIST/SKU) after the save:
/// the form reopened on no key, every field "was" nothing, and Esc asked
/// to discard the price just saved. Its codes may be typed in lower case.
#[test]
fn a_new_list_price_keeps_its_key_after_the_save() {
    let b = demo();
    // A new item, not yet on any price list.
    let sku = "TST-9001".to_string();
    let mut item = serde_json::to_value(&b.state.borrow().items[&"FAS-1001".to_code()]).unwrap();
    item["sku"] = serde_json::json!(sku);
    item["barcodes"] = serde_json::json!([]);
    item["alt_units"] = serde_json::json!([]);
    item["cmd"] = serde_json::json!("create_item");
    b.exec("ADMIN", serde_json::from_value(item).unwrap())
        .unwrap();
    let mut d = browse(&b, "DATA1", "List prices", "");
    d.press("f6");
    // Codes typed in lower case, as order entry takes them: the record's
    // own codes are kept.
    d.typed("list-cad").press("enter");
    d.typed(&sku.to_lowercase()).press("enter");
    d.typed("5.00").press("enter");
    d.press("f10");
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("LIST-CAD/{sku}")), "{s}");
    d.press("y");
    let s = d.screen(80, 24);
    assert!(s.contains(&format!("saved price LIST-CAD/{sku}")), "{s}");
    assert!(
        s.contains(&format!("master data · price LIST-CAD/{sku}")),
        "{s}"
    );
    d.press("esc");
    assert!(
        !d.screen(80, 24).contains("Discard"),
        "{}",
        d.screen(80, 24)
    );
}
