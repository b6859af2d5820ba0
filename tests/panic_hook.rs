//! The TUI's panic hook (`depot::ui::TuiPanics`), alone in its own test
//! process: a panic hook is process-wide.

use std::sync::atomic::{AtomicUsize, Ordering};

static RESTORED: AtomicUsize = AtomicUsize::new(0);

#[test]
fn only_a_panic_of_the_ui_thread_restores_the_terminal() {
    let tui = depot::ui::TuiPanics::start(Box::new(|| {
        RESTORED.fetch_add(1, Ordering::SeqCst);
    }));
    // A worker's panic (caught where it ran, as the archive reader does,
    // or ending its thread): the screen goes on, the terminal stays.
    let caught = std::thread::spawn(|| std::panic::catch_unwind(|| panic!("a read failed")))
        .join()
        .expect("the worker caught it");
    assert!(caught.is_err());
    assert!(std::thread::Builder::new()
        .name("depot-print".into())
        .spawn(|| panic!("a print failed"))
        .unwrap()
        .join()
        .is_err());
    assert_eq!(RESTORED.load(Ordering::SeqCst), 0);
    // The UI thread's own panic restores it before the message.
    assert!(std::panic::catch_unwind(|| panic!("the screen failed")).is_err());
    assert_eq!(RESTORED.load(Ordering::SeqCst), 1);
    // Once the screen has ended, nothing is restored again.
    drop(tui);
    assert!(std::panic::catch_unwind(|| panic!("after the screen")).is_err());
    assert_eq!(RESTORED.load(Ordering::SeqCst), 1);
}
