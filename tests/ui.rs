//! The screens, driven with key events and drawn into ratatui's TestBackend
//! over the demo distributor's state.

use chrono::{NaiveDate, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use depot::core::{execute, Command, CommandBody, Event, State};
use depot::ui::app::{App, Keymaps, Screen};
use depot::ui::keymap::{Action, Context, Key, Keymap, KeymapError};
use depot::ui::Backend;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;

struct Fake(State);

impl Backend for Fake {
    fn state(&self) -> Box<dyn std::ops::Deref<Target = State> + '_> {
        Box::new(&self.0)
    }
    fn submit(&self, _operator: &str, _body: CommandBody) -> Result<Vec<Event>, String> {
        Err("read-only test backend".into())
    }
}

fn demo() -> Fake {
    static DEMO: std::sync::OnceLock<State> = std::sync::OnceLock::new();
    Fake(
        DEMO.get_or_init(|| {
            let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
            let time = Utc.from_utc_datetime(&today.and_hms_opt(8, 0, 0).unwrap());
            let mut s = State::default();
            for body in depot::io::demo::commands(today, 0).unwrap() {
                let cmd = Command {
                    operator: "ADMIN".into(),
                    session: "t".into(),
                    time,
                    key: None,
                    body,
                };
                execute(&mut s, &cmd).unwrap();
            }
            s
        })
        .clone(),
    )
}

fn app(b: &Fake, operator: Option<&str>) -> App {
    App::new(
        Keymaps::load(None).unwrap(),
        false,
        operator.map(str::to_string),
        b,
    )
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn typed(a: &mut App, b: &Fake, text: &str) {
    for c in text.chars() {
        a.on_key(key(KeyCode::Char(c)), b);
    }
}

fn enter(a: &mut App, b: &Fake) {
    a.on_key(key(KeyCode::Enter), b);
}

fn draw(a: &mut App, b: &Fake, w: u16, h: u16) -> (String, Terminal<TestBackend>) {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| a.view(f, b)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    (out, t)
}

fn screen(a: &mut App, b: &Fake) -> String {
    draw(a, b, 80, 24).0
}

#[test]
fn an_unknown_or_inactive_operator_cannot_sign_in() {
    let b = demo();
    let mut a = app(&b, None);
    typed(&mut a, &b, "NOBODY");
    enter(&mut a, &b);
    assert!(matches!(a.screen, Screen::SignIn { .. }));
    assert!(a.operator.is_none());
    assert!(screen(&mut a, &b).contains("unknown operator \"NOBODY\""));
    let mut b2 = demo();
    b2.0.operators.get_mut("PICK1").unwrap().active = false;
    let mut a = app(&b2, Some("PICK1"));
    assert!(a.operator.is_none());
    assert!(screen(&mut a, &b2).contains("PICK1 is inactive"));
    // A valid code signs in and opens the menu.
    let mut a = app(&b, None);
    typed(&mut a, &b, "CLERK1");
    enter(&mut a, &b);
    assert_eq!(a.operator.as_deref(), Some("CLERK1"));
    assert!(matches!(a.screen, Screen::Menu { .. }));
}

#[test]
fn the_menu_shows_what_the_role_may_open() {
    let b = demo();
    let labels = |op: &str| -> Vec<&'static str> {
        app(&b, Some(op))
            .menu(&b)
            .into_iter()
            .map(|(l, _)| l)
            .collect()
    };
    let picker = labels("PICK1");
    assert!(picker.contains(&"Item lookup") && picker.contains(&"Pick"));
    assert!(!picker.contains(&"Customer lookup") && !picker.contains(&"Order entry"));
    let clerk = labels("CLERK1");
    assert!(clerk.contains(&"Customer lookup") && clerk.contains(&"Counter sale"));
    assert!(!clerk.contains(&"Period close") && !clerk.contains(&"Pick"));
    let admin = labels("ADMIN");
    assert_eq!(admin.len(), depot::ui::app::MENU.len());
    // A screen that is not built yet says so and stays on the menu.
    let mut a = app(&b, Some("PICK1"));
    a.on_key(key(KeyCode::Char('j')), &b);
    enter(&mut a, &b);
    assert!(matches!(a.screen, Screen::Menu { .. }));
    assert!(screen(&mut a, &b).contains("Pick is not built yet"));
}

#[test]
fn item_search_narrows_and_a_scan_finds_the_item() {
    let b = demo();
    let mut a = app(&b, Some("ADMIN"));
    enter(&mut a, &b); // Item lookup
    assert!(matches!(a.screen, Screen::Items(_)));
    typed(&mut a, &b, "sealant");
    let s = screen(&mut a, &b);
    let n =
        b.0.items
            .values()
            .filter(|i| i.description.to_lowercase().contains("sealant"))
            .count();
    assert!(n > 0 && n < 20);
    assert!(s.contains(&format!("{n} found")), "{s}");
    // Scan a case barcode (GTIN-14) of an item that did not match.
    let item =
        b.0.items
            .values()
            .find(|i| i.sku.starts_with("TOO"))
            .unwrap();
    let case = item.barcodes.iter().find(|c| c.code.len() == 14).unwrap();
    a.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL), &b);
    typed(&mut a, &b, &case.code);
    enter(&mut a, &b);
    let s = screen(&mut a, &b);
    assert!(
        s.contains(&format!("{} {}", item.sku, item.description)),
        "{s}"
    );
    // GS1-128 with AIs (01), (10), (30) finds the item by its GTIN.
    a.on_key(key(KeyCode::Char('/')), &b);
    a.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL), &b);
    typed(&mut a, &b, &format!("(01){}(10)LOT7(30)12", case.code));
    enter(&mut a, &b);
    assert!(screen(&mut a, &b).contains(&format!("{} {}", item.sku, item.description)));
    // A garbled scan: a clear message, nothing selected, no panic.
    a.on_key(key(KeyCode::Char('/')), &b);
    a.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL), &b);
    typed(&mut a, &b, "06141410000");
    typed(&mut a, &b, "99");
    enter(&mut a, &b);
    let s = screen(&mut a, &b);
    assert!(s.contains("check digit"), "{s}");
    // Stock per warehouse is shown from the state.
    let (sku, wh) =
        b.0.stock
            .iter()
            .find(|(_, st)| !st.on_hand.is_zero())
            .map(|((w, s), _)| (s.clone(), w.clone()))
            .unwrap();
    a.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL), &b);
    typed(&mut a, &b, &sku);
    enter(&mut a, &b);
    let on_hand = b.0.stock[&(wh.clone(), sku.clone())]
        .on_hand
        .normalize()
        .to_string();
    let s = screen(&mut a, &b);
    let row = s
        .lines()
        .find(|l| l.contains(&format!("│{wh} ")))
        .unwrap_or("");
    assert!(row.contains(&on_hand), "{wh} {on_hand}: {s}");
}

#[test]
fn customer_lookup_shows_terms_credit_and_balance() {
    let b = demo();
    let mut a = app(&b, Some("AR1"));
    let pos = a
        .menu(&b)
        .iter()
        .position(|(l, _)| *l == "Customer lookup")
        .unwrap();
    for _ in 0..pos {
        a.on_key(key(KeyCode::Down), &b);
    }
    enter(&mut a, &b);
    assert!(matches!(a.screen, Screen::Customers(_)));
    let c = b.0.customers.values().nth(7).unwrap().clone();
    typed(&mut a, &b, &c.code);
    enter(&mut a, &b);
    let s = screen(&mut a, &b);
    assert!(s.contains(&c.name), "{s}");
    assert!(s.contains(&c.terms), "{s}");
    assert!(s.contains("open balance"), "{s}");
}

#[test]
fn help_is_built_from_the_active_keymap() {
    let b = demo();
    let mut a = app(&b, Some("CLERK1"));
    a.on_key(key(KeyCode::Char('?')), &b);
    assert!(a.help);
    let s = screen(&mut a, &b);
    assert!(s.contains("keys (list)"), "{s}");
    assert!(s.contains("show or hide this help"));
    assert!(s.contains("quit depot") && s.contains("F3"));
    assert!(s.contains("next line") && s.contains('j'));
    a.on_key(key(KeyCode::Esc), &b);
    assert!(!a.help);
    // AR1 uses the classic keymap: no j/k, F8 pages, F12 goes back.
    let mut a = app(&b, Some("AR1"));
    a.on_key(key(KeyCode::F(1)), &b);
    let s = screen(&mut a, &b);
    assert!(s.contains("F12") && !s.contains("j down"), "{s}");
    a.on_key(key(KeyCode::Esc), &b);
    a.on_key(key(KeyCode::Char('j')), &b);
    assert_eq!(a.screen, Screen::Menu { selected: 0 });
    a.on_key(key(KeyCode::F(8)), &b);
    assert_ne!(a.screen, Screen::Menu { selected: 0 });
}

#[test]
fn screens_at_80x24_and_40x16() {
    let b = demo();
    let mut a = app(&b, Some("CLERK1"));
    insta::assert_snapshot!("menu_80x24", screen(&mut a, &b));
    enter(&mut a, &b);
    typed(&mut a, &b, "FAS-1001");
    enter(&mut a, &b);
    insta::assert_snapshot!("item_80x24", screen(&mut a, &b));
    insta::assert_snapshot!("item_40x16", draw(&mut a, &b, 40, 16).0);
    a.on_key(key(KeyCode::Esc), &b);
    insta::assert_snapshot!("item_list_40x16", draw(&mut a, &b, 40, 16).0);
}

#[test]
fn a_tiny_terminal_gets_a_message_not_a_panic() {
    let b = demo();
    let mut a = app(&b, Some("PICK1"));
    for (w, h) in [(20, 5), (39, 16), (40, 15), (1, 1), (0, 0)] {
        let (s, _) = draw(&mut a, &b, w, h);
        if w >= 20 {
            assert!(s.contains("too small"), "{w}x{h}: {s}");
        }
    }
}

#[test]
fn no_color_draws_without_colours() {
    let b = demo();
    let mut a = App::new(
        Keymaps::load(None).unwrap(),
        true,
        Some("CLERK1".into()),
        &b,
    );
    enter(&mut a, &b);
    typed(&mut a, &b, "bolt");
    let (_, t) = draw(&mut a, &b, 80, 24);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert!(
            matches!(cell.fg, Color::Reset) && matches!(cell.bg, Color::Reset),
            "a coloured cell under NO_COLOR: {cell:?}"
        );
    }
    // With colours, the title bar is coloured.
    let mut a = app(&b, Some("CLERK1"));
    let (_, t) = draw(&mut a, &b, 80, 24);
    assert!(t
        .backend()
        .buffer()
        .content()
        .iter()
        .any(|c| c.bg != Color::Reset));
}

#[test]
fn a_user_keymap_merges_over_the_default_and_bad_ones_are_named() {
    let user = "[list]\n\"x\" = \"down\"\n\"j\" = \"none\"\n";
    let km = Keymap::build("default", Some(("mine.toml", user))).unwrap();
    let k = |s: &str| Key::parse(s).unwrap();
    assert_eq!(km.action(Context::List, &k("x")), Some(Action::Down));
    assert_eq!(km.action(Context::List, &k("j")), None);
    assert_eq!(km.action(Context::List, &k("k")), Some(Action::Up));
    // Global keys that type a character do not fire while typing.
    assert_eq!(km.action(Context::Input, &k("?")), None);
    assert_eq!(km.action(Context::Input, &k("f1")), Some(Action::Help));
    let bad = |text: &str| Keymap::build("default", Some(("mine.toml", text))).unwrap_err();
    let e = bad("[list]\n\"x\" = \"fly\"\n");
    assert!(matches!(e, KeymapError::Action { .. }));
    assert!(e.to_string().contains("\"x\"") && e.to_string().contains("fly"));
    let e = bad("[list]\n\"hyper-x\" = \"down\"\n");
    assert!(matches!(e, KeymapError::Key { .. }), "{e}");
    let e = bad("[lists]\n\"x\" = \"down\"\n");
    assert!(e.to_string().contains("[lists]"), "{e}");
    let e = bad("[list\n");
    assert!(
        e.to_string().contains("mine.toml") && e.to_string().contains("TOML"),
        "{e}"
    );
    assert!(matches!(
        Keymap::build("emacs", None),
        Err(KeymapError::UnknownBase(_))
    ));
    // The file on disk: a missing file is an error, not an empty keymap.
    let missing = std::path::Path::new("/nonexistent/keymap.toml");
    assert!(depot::ui::keymaps(Some(missing)).is_err());
}
