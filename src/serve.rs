//! `depot serve`: the one process that owns the store, every operator a
//! terminal over SSH (the way apps-over-SSH servers work: no system sshd,
//! any SSH client is a workstation).
//!
//! - Authentication by public key only: the SSH user name is an operator
//!   code, the key one of that operator's `ssh_keys` (master data, changed
//!   by `update_operator`, so audited). Inactive operators and revoked keys
//!   are refused at the next login, and an open session whose key or
//!   operator goes is closed at the next commit. Failures are logged and
//!   rate-limited per source address.
//! - An interactive session runs the same session loop as the local
//!   terminal (`ui::session`), on its own thread, with bytes in (parsed by
//!   `ui::input`, which keeps partial escape sequences across chunks) and
//!   bytes out through a bounded queue: a client that cannot keep up is
//!   dropped with a log line, never waited for.
//! - A screen session whose link goes (not quit) is parked for
//!   `--resume-window`: the operator's next interactive login takes it
//!   over where it was (the session's thread and App live on; each link
//!   brings its own terminal and inbox).
//! - `ssh -p PORT OP@host report NAME ...`, `exec` (JSON lines on stdin),
//!   `check`, `export`, `import` (CSV on stdin) and `backup` (online, as
//!   of one seq) run non-interactively as the authenticated operator; the
//!   local command line reaches the same through `serve.sock`.
//! - SIGTERM or SIGINT: stop accepting, tell the sessions, finish the
//!   committing batch, snapshot, exit 0.

use crate::core::types::ToCode;
use crate::engine::{Engine, View};
use crate::ui::input::InputParser;
use crate::ui::screen::{Request, Submitted};
use crate::ui::session::Inbox;
use anyhow::{anyhow, Context, Result};
use russh::keys::{HashAlg, PrivateKey, PublicKey};
use russh::server::{self, Auth, Msg, Server as _, Session};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// The host key's file in the data directory (OpenSSH format, 0600).
pub const HOST_KEY_FILE: &str = "ssh_host_ed25519_key";
/// Frames queued for a client before it counts as too slow and is dropped.
const OUT_QUEUE: usize = 64;
/// Failed logins per source address within `FAIL_WINDOW` before further
/// attempts from it are refused unseen.
const FAILS_MAX: usize = 10;
const FAIL_WINDOW: Duration = Duration::from_secs(60);
/// Quiet time after a lone ESC before it counts as the Esc key.
const ESC_WAIT: Duration = Duration::from_millis(40);
/// SSH packets of an exec's stdin read ahead of its commands (32 KiB at
/// most each): beyond them the client is held back.
const STDIN_QUEUE: usize = 16;
/// A connection is closed after `--idle-timeout` plus this with nothing
/// received: later than a screen's own idle close, which says why.
const IDLE_GRACE: Duration = Duration::from_secs(10);
/// How long a stopping server waits for its sessions to restore their
/// terminals and for its execs to answer what they committed.
const STOP_WAIT: Duration = Duration::from_secs(10);

pub struct ServeOptions {
    pub listen: String,
    pub idle_timeout: Duration,
    /// How long a screen session whose link went waits for its
    /// operator's next login (zero: not kept).
    pub resume_window: Duration,
    /// Archive closed orders by age while serving (`--archive-after`).
    pub archive: Option<crate::archiver::Policy>,
}

/// The default of `--resume-window`, in seconds.
pub const RESUME_WINDOW_SECS: u64 = 300;

/// The server's host key: read from the data directory, or made on the
/// first start (ed25519, written 0600).
pub fn host_key(dir: &Path) -> Result<PrivateKey> {
    let path = dir.join(HOST_KEY_FILE);
    if path.exists() {
        return PrivateKey::read_openssh_file(&path)
            .map_err(|e| anyhow!("reading the host key {}: {e}", path.display()));
    }
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut seed = [0u8; 32];
    OsRng.fill_bytes(&mut seed);
    let pair = russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&seed);
    let key = PrivateKey::from(pair);
    let text = key
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .map_err(|e| anyhow!("encoding the host key: {e}"))?;
    write_private(&path, text.as_bytes())?;
    Ok(key)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

/// `SHA256:...` of a key, as `ssh-keygen -lf` prints it.
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The operator an SSH user name names (codes are typed in any case, as
/// at the sign-in screen).
fn operator_code(view: &View, user: &str) -> Option<String> {
    let ops = &view.state.operators;
    if ops.contains_key(&user.to_code()) {
        return Some(user.to_string());
    }
    let upper = user.to_uppercase();
    ops.contains_key(&upper.to_code()).then_some(upper)
}

/// Does the operator `user` exist, is active, and list `key`?
fn key_allowed(view: &View, user: &str, key: &PublicKey) -> Result<(), &'static str> {
    let op = view
        .state
        .operators
        .get(&user.to_code())
        .ok_or("no such operator")?;
    if !op.active {
        return Err("operator inactive");
    }
    let listed = op
        .ssh_keys
        .iter()
        .any(|k| PublicKey::from_openssh(k.trim()).is_ok_and(|p| p.key_data() == key.key_data()));
    if listed {
        Ok(())
    } else {
        Err("key not listed for the operator")
    }
}

/// The open screen sessions by id: their inbox, and where to say why
/// the server closes them.
type Sessions = HashMap<u64, (mpsc::Sender<Inbox>, CloseWhy)>;

/// What the server shares between its connections.
#[derive(Clone)]
struct Shared {
    engine: Engine,
    /// The one models' worker's suggestions, read by every session.
    models: crate::ui::model_worker::Latest,
    /// The one archive reader: sessions asking for the same day share
    /// a read (and the two kept).
    archive: Arc<crate::ui::archive_reads::ArchiveReads>,
    keymaps: Arc<crate::ui::app::Keymaps>,
    failures: Arc<Mutex<HashMap<IpAddr, VecDeque<Instant>>>>,
    /// Every interactive session's inbox (to tell them when stopping),
    /// with where to say why.
    sessions: Arc<Mutex<Sessions>>,
    next_session: Arc<AtomicU64>,
    runtime: tokio::runtime::Handle,
    /// Screen sessions whose link went, by operator (the latest last),
    /// each waiting up to `resume_window` for its operator's next login.
    parked: Arc<Mutex<HashMap<String, Vec<Parked>>>>,
    resume_window: Duration,
    /// A screen with no input for this long is closed (and kept).
    idle_timeout: Duration,
    /// The server is stopping: a session that ends is not parked.
    stopping: Arc<AtomicBool>,
    /// Set when the server stops: execs read no further line.
    stop: Arc<tokio::sync::watch::Sender<bool>>,
    /// Execs running (their threads, until their channel is closed).
    execs: Arc<AtomicU64>,
    /// Connections open (their handlers).
    connections: Arc<AtomicU64>,
}

impl Shared {
    fn limited(&self, ip: Option<IpAddr>) -> bool {
        let Some(ip) = ip else { return false };
        let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let q = f.entry(ip).or_default();
        while q.front().is_some_and(|t| t.elapsed() > FAIL_WINDOW) {
            q.pop_front();
        }
        q.len() >= FAILS_MAX
    }
    /// Hand `link` to the operator's most recently parked session: its id,
    /// or the link back when there is none.
    fn resume(&self, operator: &str, mut link: Box<Link>) -> Result<u64, Box<Link>> {
        let mut parked = lock(&self.parked);
        loop {
            let Some(p) = parked.get_mut(operator).and_then(Vec::pop) else {
                parked.remove(operator);
                return Err(link);
            };
            if parked.get(operator).is_some_and(Vec::is_empty) {
                parked.remove(operator);
            }
            match p.attach.send(link) {
                Ok(()) => return Ok(p.id),
                // Its thread is gone (discarded just now).
                Err(mpsc::SendError(back)) => link = back,
            }
        }
    }
    /// Take session `id` off the parked list: false when a login has
    /// taken it already.
    fn unpark(&self, operator: &str, id: u64) -> bool {
        let mut parked = lock(&self.parked);
        let Some(list) = parked.get_mut(operator) else {
            return false;
        };
        let before = list.len();
        list.retain(|p| p.id != id);
        let found = list.len() < before;
        if list.is_empty() {
            parked.remove(operator);
        }
        found
    }
    fn failed(&self, ip: Option<IpAddr>) {
        let Some(ip) = ip else { return };
        let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let q = f.entry(ip).or_default();
        q.push_back(Instant::now());
        while q.len() > FAILS_MAX {
            q.pop_front();
        }
    }
}

struct Server {
    shared: Shared,
}

impl server::Server for Server {
    type Handler = Client;
    fn new_client(&mut self, peer: Option<SocketAddr>) -> Client {
        self.shared.connections.fetch_add(1, Ordering::AcqRel);
        Client {
            shared: self.shared.clone(),
            peer,
            operator: None,
            key: None,
            channels: HashMap::new(),
        }
    }
}

/// The size of a remote terminal, as the client last said.
#[derive(Clone)]
struct RemoteSize(Arc<std::sync::atomic::AtomicU32>);

impl RemoteSize {
    fn new(w: u16, h: u16) -> RemoteSize {
        RemoteSize(Arc::new(std::sync::atomic::AtomicU32::new(
            (u32::from(w) << 16) | u32::from(h),
        )))
    }
    fn set(&self, w: u16, h: u16) {
        self.0
            .store((u32::from(w) << 16) | u32::from(h), Ordering::Release);
    }
    fn get(&self) -> (u16, u16) {
        let v = self.0.load(Ordering::Acquire);
        ((v >> 16) as u16, (v & 0xffff) as u16)
    }
}

impl Default for RemoteSize {
    fn default() -> RemoteSize {
        RemoteSize::new(80, 24)
    }
}

/// crossterm's backend writing to the SSH channel, except for what it
/// would ask the local terminal: the size is the client's (pty request,
/// window changes), and the cursor is where depot last put it.
struct RemoteBackend {
    inner: ratatui::backend::CrosstermBackend<ChannelWriter>,
    size: RemoteSize,
    cursor: ratatui::layout::Position,
    /// Known visibility of the cursor (None: not said yet): a frame
    /// drawn on a commit that changed nothing on this screen sends no
    /// bytes at all, not even another "hide the cursor".
    cursor_shown: Option<bool>,
}

impl ratatui::backend::Backend for RemoteBackend {
    type Error = std::io::Error;
    fn draw<'a, I>(&mut self, content: I) -> std::io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> std::io::Result<()> {
        if self.cursor_shown == Some(false) {
            return Ok(());
        }
        self.cursor_shown = Some(false);
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> std::io::Result<()> {
        if self.cursor_shown == Some(true) {
            return Ok(());
        }
        self.cursor_shown = Some(true);
        // Also called when the terminal is dropped: a client already gone
        // has no cursor to show.
        match self.inner.show_cursor() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
    fn get_cursor_position(&mut self) -> std::io::Result<ratatui::layout::Position> {
        Ok(self.cursor)
    }
    fn set_cursor_position<P: Into<ratatui::layout::Position>>(
        &mut self,
        position: P,
    ) -> std::io::Result<()> {
        let p = position.into();
        self.cursor = p;
        self.inner.set_cursor_position(p)
    }
    fn clear(&mut self) -> std::io::Result<()> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ratatui::backend::ClearType) -> std::io::Result<()> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> std::io::Result<ratatui::layout::Size> {
        let (w, h) = self.size.get();
        Ok(ratatui::layout::Size::new(w, h))
    }
    fn window_size(&mut self) -> std::io::Result<ratatui::backend::WindowSize> {
        Ok(ratatui::backend::WindowSize {
            columns_rows: self.size()?,
            pixels: ratatui::layout::Size::new(0, 0),
        })
    }
    fn flush(&mut self) -> std::io::Result<()> {
        ratatui::backend::Backend::flush(&mut self.inner)
    }
}

impl Write for RemoteBackend {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Write::flush(&mut self.inner)
    }
}

/// Why the server closes a screen's link: said on the terminal before
/// its channel closes.
#[derive(Clone, Copy, Debug)]
enum Why {
    Stopping,
    Idle(Duration),
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::Stopping => write!(f, "depot serve is stopping"),
            Why::Idle(d) => write!(f, "idle for {} s (--idle-timeout)", d.as_secs()),
        }
    }
}

/// Where the server leaves its `Why` before it sends the link's inbox
/// `Closed`.
#[derive(Clone, Default)]
struct CloseWhy(Arc<Mutex<Option<Why>>>);

impl CloseWhy {
    fn tell(&self, why: Why, inbox: &mpsc::Sender<Inbox>) {
        lock(&self.0).get_or_insert(why);
        let _ = inbox.send(Inbox::Closed);
    }
    fn take(&self) -> Option<Why> {
        lock(&self.0).take()
    }
}

/// When a channel last had input.
#[derive(Clone)]
struct Activity(Arc<Mutex<Instant>>);

impl Default for Activity {
    fn default() -> Activity {
        Activity(Arc::new(Mutex::new(Instant::now())))
    }
}

impl Activity {
    fn now(&self) {
        *lock(&self.0) = Instant::now();
    }
    fn last(&self) -> Instant {
        *lock(&self.0)
    }
}

/// Close a screen's link once it has had no input for `idle`: it says
/// why and restores the terminal (russh's own timeout, later, would
/// drop the connection under it).
fn watch_idle(
    idle: Duration,
    activity: Activity,
    why: CloseWhy,
    inbox: mpsc::Sender<Inbox>,
) -> tokio::task::AbortHandle {
    tokio::spawn(async move {
        loop {
            let last = activity.last();
            // A timeout past what a clock can say never comes.
            let Some(at) = last.checked_add(idle) else {
                return;
            };
            tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
            if activity.last() == last {
                why.tell(Why::Idle(idle), &inbox);
                return;
            }
        }
    })
    .abort_handle()
}

/// One channel of a connection.
#[derive(Default)]
struct Chan {
    /// The client asked for a terminal.
    pty: bool,
    size: RemoteSize,
    no_color: bool,
    inbox: Option<mpsc::Sender<Inbox>>,
    parser: Arc<Mutex<InputParser>>,
    /// Bytes of input since the last ESC wait began (a newer chunk
    /// cancels an older wait).
    generation: Arc<AtomicU64>,
    /// When the client last sent input or a resize (a screen's).
    activity: Activity,
    /// The screen's idle watch (ended with the channel).
    idle_watch: Option<tokio::task::AbortHandle>,
    /// An exec's stdin (dropped: EOF).
    stdin: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
}

struct Client {
    shared: Shared,
    peer: Option<SocketAddr>,
    operator: Option<String>,
    key: Option<PublicKey>,
    channels: HashMap<ChannelId, Chan>,
}

impl Client {
    fn station(&self) -> String {
        match self.peer {
            Some(p) => format!("ssh {p}"),
            None => "ssh".into(),
        }
    }
}

impl server::Handler for Client {
    type Error = anyhow::Error;

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: server::PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        let ip = self.peer.map(|p| p.ip());
        if self.shared.limited(ip) {
            tracing::warn!(peer = ?self.peer, user, "login refused: too many failures from this address");
            return Ok(Auth::reject());
        }
        match key_allowed(&self.shared.engine.view(), user, offer.public_key) {
            Ok(()) => Ok(Auth::Accept),
            Err(why) => {
                tracing::warn!(peer = ?self.peer, user, key = %fingerprint(offer.public_key), why, "ssh key refused");
                Ok(Auth::reject())
            }
        }
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: server::VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        let ip = self.peer.map(|p| p.ip());
        if self.shared.limited(ip) {
            tracing::warn!(peer = ?self.peer, user, "login refused: too many failures from this address");
            return Ok(Auth::reject());
        }
        let view = self.shared.engine.view();
        match key_allowed(&view, user, key.public_key) {
            Ok(()) => {
                let code = operator_code(&view, user).unwrap_or_else(|| user.to_string());
                tracing::info!(peer = ?self.peer, operator = %code, key = %fingerprint(key.public_key), "ssh login");
                self.operator = Some(code);
                self.key = Some(key.public_key.clone());
                Ok(Auth::Accept)
            }
            Err(why) => {
                self.shared.failed(ip);
                tracing::warn!(peer = ?self.peer, user, key = %fingerprint(key.public_key), why, "ssh login refused");
                Ok(Auth::reject())
            }
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.insert(channel.id(), Chan::default());
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(c) = self.channels.get_mut(&channel) {
            c.pty = true;
            c.size.set(clamp(col_width), clamp(row_height));
        }
        session.channel_success(channel)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        value: &str,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if name == "NO_COLOR" && !value.is_empty() {
            if let Some(c) = self.channels.get_mut(&channel) {
                c.no_color = true;
            }
        }
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        channel: ChannelId,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(c) = self.channels.get_mut(&channel) {
            c.size.set(clamp(col_width), clamp(row_height));
            c.activity.now();
            if let Some(tx) = &c.inbox {
                let _ = tx.send(Inbox::Resize);
            }
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let (Some(operator), Some(key)) = (self.operator.clone(), self.key.clone()) else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        let station = self.station();
        let Some(chan) = self.channels.get_mut(&channel) else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        if !chan.pty {
            // No terminal: the screens would write escape codes into a
            // pipe and wait for keys that never come.
            session.channel_success(channel)?;
            let msg = "depot: the screens need a terminal (ssh -t); without one, give a command: \
                       report NAME ..., exec - (JSON lines on stdin), check\r\n";
            session.extended_data(channel, 1, msg.as_bytes().to_vec())?;
            session.exit_status_request(channel, 2)?;
            session.eof(channel)?;
            session.close(channel)?;
            return Ok(());
        }
        let (tx, rx) = mpsc::channel();
        chan.inbox = Some(tx.clone());
        let why = CloseWhy::default();
        chan.activity.now();
        chan.idle_watch = Some(watch_idle(
            self.shared.idle_timeout,
            chan.activity.clone(),
            why.clone(),
            tx.clone(),
        ));
        let link = Link {
            handle: session.handle(),
            channel,
            size: chan.size.clone(),
            no_color: chan.no_color,
            key,
            station,
            inbox: (tx, rx),
            why,
        };
        session.channel_success(channel)?;
        // A session of this operator whose link went, still in its window:
        // this login takes it over where it was.
        let link = match self.shared.resume(&operator, Box::new(link)) {
            Ok(id) => {
                tracing::info!(operator, session = id, peer = ?self.peer, "ssh session resumed");
                return Ok(());
            }
            Err(link) => link,
        };
        let id = self.shared.next_session.fetch_add(1, Ordering::Relaxed) + 1;
        let shared = self.shared.clone();
        std::thread::Builder::new()
            .name(format!("depot-ssh-{id}"))
            .spawn(move || screen_session(shared, id, operator, *link))?;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(operator) = self.operator.clone() else {
            session.channel_failure(channel)?;
            return Ok(());
        };
        let line = String::from_utf8_lossy(data).to_string();
        let (stdin_tx, stdin_rx) = tokio::sync::mpsc::channel(STDIN_QUEUE);
        if let Some(c) = self.channels.get_mut(&channel) {
            c.stdin = Some(stdin_tx);
        }
        let shared = self.shared.clone();
        let handle = session.handle();
        session.channel_success(channel)?;
        tracing::info!(operator, command = %line, peer = ?self.peer, "ssh exec");
        // Counted from here: a stop that comes now waits for it.
        let running = Running::new(&self.shared.execs);
        std::thread::Builder::new()
            .name("depot-ssh-exec".into())
            .spawn(move || {
                let _running = running;
                let rt = shared.runtime.clone();
                let mut out = ChannelWriter::stream(&rt, handle.clone(), channel, false);
                let mut err = ChannelWriter::stream(&rt, handle.clone(), channel, true);
                let input = StdinReader {
                    rx: stdin_rx,
                    rt: rt.clone(),
                    stop: shared.stop.subscribe(),
                    buf: Vec::new(),
                    pos: 0,
                    done: false,
                };
                let code = match run_exec(&shared.engine, &operator, &line, input, &mut out) {
                    Ok(code) => code,
                    Err(e) => {
                        let _ = writeln!(err, "depot: {e:#}");
                        exit_code(&e)
                    }
                };
                let pending = [out.finish(), err.finish()];
                rt.block_on(async move {
                    for f in pending.into_iter().flatten() {
                        let _ = f.await;
                    }
                    let _ = handle.exit_status_request(channel, code).await;
                    let _ = handle.eof(channel).await;
                    let _ = handle.close(channel).await;
                });
            })?;
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(c) = self.channels.get(&channel) else {
            return Ok(());
        };
        if let Some(tx) = c.stdin.clone() {
            // The queue to the command is bounded (back-pressure on a
            // client streaming a large `exec -`): waiting for room holds
            // up this connection's session loop (awaited, not blocking a
            // runtime worker), so the command must never wait for that
            // loop: its output goes to a queue that does not wait
            // (`ChannelWriter::stream`), or the two would wait for each
            // other for good. A command gone (ended, or stopped reading
            // because the server stops) takes no more: dropped.
            let _ = tx.send(data.to_vec()).await;
            return Ok(());
        }
        let Some(tx) = c.inbox.clone() else {
            return Ok(());
        };
        c.activity.now();
        let (keys, waiting) = {
            let mut p = c.parser.lock().unwrap_or_else(|e| e.into_inner());
            (p.feed(data), p.waiting())
        };
        for k in keys {
            let _ = tx.send(Inbox::Key(k));
        }
        let gen = c.generation.fetch_add(1, Ordering::AcqRel) + 1;
        if waiting {
            let parser = c.parser.clone();
            let generation = c.generation.clone();
            tokio::spawn(async move {
                tokio::time::sleep(ESC_WAIT).await;
                if generation.load(Ordering::Acquire) != gen {
                    return;
                }
                let keys = parser.lock().unwrap_or_else(|e| e.into_inner()).flush();
                for k in keys {
                    let _ = tx.send(Inbox::Key(k));
                }
            });
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(c) = self.channels.get_mut(&channel) {
            // The command reads to the end of what was queued, then EOF.
            c.stdin = None;
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(c) = self.channels.remove(&channel) {
            if let Some(w) = c.idle_watch {
                w.abort();
            }
            if let Some(tx) = c.inbox {
                let _ = tx.send(Inbox::Closed);
            }
        }
        Ok(())
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // The connection is gone (killed client, dead link): end its
        // sessions so their threads do not wait for keys that never come.
        // An exec's stdin ends with its channel.
        for (_, c) in self.channels.drain() {
            if let Some(w) = c.idle_watch {
                w.abort();
            }
            if let Some(tx) = c.inbox {
                let _ = tx.send(Inbox::Closed);
            }
        }
        self.shared.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

fn clamp(n: u32) -> u16 {
    n.clamp(1, 1000) as u16
}

/// Bytes to the client. For a screen session (`bounded`), `flush` hands
/// a frame to a bounded queue and fails when the client is too slow. For
/// an exec, the queue has no bound and `flush` never waits: the command's
/// output must not wait for the connection's session loop, which may be
/// waiting (in `data`) for the command to take more of its stdin; the
/// input's bound is what holds back a client that sends faster than its
/// commands run, and the output of those commands is what it is owed.
struct ChannelWriter {
    buf: Vec<u8>,
    tx: Option<OutTx>,
    forwarder: Option<tokio::task::JoinHandle<()>>,
}

/// The queue from a writer to its forwarder.
enum OutTx {
    /// A screen's frames: at most `OUT_QUEUE`, a full queue fails.
    Frames(tokio::sync::mpsc::Sender<Vec<u8>>),
    /// An exec's output: never waits.
    Stream(tokio::sync::mpsc::UnboundedSender<Vec<u8>>),
}

enum OutRx {
    Frames(tokio::sync::mpsc::Receiver<Vec<u8>>),
    Stream(tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>),
}

impl OutRx {
    async fn recv(&mut self) -> Option<Vec<u8>> {
        match self {
            OutRx::Frames(rx) => rx.recv().await,
            OutRx::Stream(rx) => rx.recv().await,
        }
    }
    fn try_recv(&mut self) -> Option<Vec<u8>> {
        match self {
            OutRx::Frames(rx) => rx.try_recv().ok(),
            OutRx::Stream(rx) => rx.try_recv().ok(),
        }
    }
}

/// What the forwarder joins of queued writes into one send (an exec's
/// outcome lines, one write each, go out as few packets).
const SEND_CHUNK: usize = 32 * 1024;

impl ChannelWriter {
    fn start(
        rt: &tokio::runtime::Handle,
        handle: server::Handle,
        channel: ChannelId,
        stderr: bool,
        bounded: bool,
    ) -> ChannelWriter {
        let (tx, mut rx) = if bounded {
            let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(OUT_QUEUE);
            (OutTx::Frames(tx), OutRx::Frames(rx))
        } else {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
            (OutTx::Stream(tx), OutRx::Stream(rx))
        };
        let forwarder = rt.spawn(async move {
            while let Some(mut bytes) = rx.recv().await {
                while bytes.len() < SEND_CHUNK {
                    match rx.try_recv() {
                        Some(more) => bytes.extend_from_slice(&more),
                        None => break,
                    }
                }
                let sent = if stderr {
                    handle.extended_data(channel, 1, bytes).await
                } else {
                    handle.data(channel, bytes).await
                };
                if sent.is_err() {
                    break;
                }
            }
        });
        ChannelWriter {
            buf: Vec::new(),
            tx: Some(tx),
            forwarder: Some(forwarder),
        }
    }
    /// Flush, close the queue and let the forwarder send what it holds:
    /// await the handle returned before closing the channel.
    fn finish(&mut self) -> Option<tokio::task::JoinHandle<()>> {
        let _ = self.flush();
        self.tx = None;
        self.forwarder.take()
    }
    fn screen(rt: &tokio::runtime::Handle, handle: server::Handle, channel: ChannelId) -> Self {
        ChannelWriter::start(rt, handle, channel, false, true)
    }
    fn stream(
        rt: &tokio::runtime::Handle,
        handle: server::Handle,
        channel: ChannelId,
        stderr: bool,
    ) -> Self {
        ChannelWriter::start(rt, handle, channel, stderr, false)
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(buf);
        if matches!(self.tx, Some(OutTx::Stream(_))) && self.buf.len() > SEND_CHUNK {
            self.flush()?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let bytes = std::mem::take(&mut self.buf);
        let sent = match &self.tx {
            None => Err("the output is closed"),
            Some(OutTx::Frames(tx)) => tx.try_send(bytes).map_err(|e| match e {
                tokio::sync::mpsc::error::TrySendError::Full(_) => "the client cannot keep up",
                tokio::sync::mpsc::error::TrySendError::Closed(_) => "the client is gone",
            }),
            Some(OutTx::Stream(tx)) => tx.send(bytes).map_err(|_| "the client is gone"),
        };
        sent.map_err(|m| std::io::Error::new(std::io::ErrorKind::BrokenPipe, m))
    }
}

/// Stdin of an exec channel as a reader (EOF when the client sends it).
/// Once the server stops, it reads nothing more: an error, so that the
/// command answers the lines it has and says that the rest was not read.
struct StdinReader {
    rx: tokio::sync::mpsc::Receiver<Vec<u8>>,
    rt: tokio::runtime::Handle,
    stop: tokio::sync::watch::Receiver<bool>,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

/// Why an exec's or an import's input ended early: the server stops.
#[derive(Debug, thiserror::Error)]
#[error("depot serve is stopping: no further line was read")]
struct Stopped;

fn stopped() -> std::io::Error {
    std::io::Error::other(Stopped)
}

fn is_stopped(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Stopped>())
}

/// A local command's input on `serve.sock`, read until the server stops,
/// as an SSH exec's is (`StdinReader`): a blocking read would keep a
/// local `exec -` whose input has not ended reading past the stop, and
/// the process would end under it without a word. The socket's read
/// timeout is how often the stop is looked at while nothing comes.
struct SocketInput {
    stream: std::os::unix::net::UnixStream,
    stop: tokio::sync::watch::Receiver<bool>,
}

const SOCKET_STOP_POLL: Duration = Duration::from_millis(100);

impl std::io::Read for SocketInput {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if *self.stop.borrow() {
                return Err(stopped());
            }
            match self.stream.read(out) {
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock
                            | std::io::ErrorKind::TimedOut
                            | std::io::ErrorKind::Interrupted
                    ) => {}
                r => return r,
            }
        }
    }
}

impl std::io::Read for StdinReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.buf.len() {
            if self.done {
                return Ok(0);
            }
            let (rx, stop) = (&mut self.rx, &mut self.stop);
            let next = self.rt.block_on(async {
                tokio::select! {
                    biased;
                    _ = stop.wait_for(|s| *s) => None,
                    b = rx.recv() => Some(b),
                }
            });
            match next {
                None => return Err(stopped()),
                Some(Some(b)) => {
                    self.buf = b;
                    self.pos = 0;
                }
                Some(None) => self.done = true,
            }
        }
        if *self.stop.borrow() {
            return Err(stopped());
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Counts one running thing while it lives.
struct Running(Arc<AtomicU64>);

impl Running {
    fn new(count: &Arc<AtomicU64>) -> Running {
        count.fetch_add(1, Ordering::AcqRel);
        Running(count.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Where a screen session draws and reads its keys: one SSH channel. A
/// session keeps its screens across links (resume); each link has its
/// own inbox, so that nothing the old one says reaches the new one.
struct Link {
    handle: server::Handle,
    channel: ChannelId,
    size: RemoteSize,
    no_color: bool,
    key: PublicKey,
    station: String,
    inbox: (mpsc::Sender<Inbox>, mpsc::Receiver<Inbox>),
    /// Why the server closes it, when it does.
    why: CloseWhy,
}

/// A screen session whose link went, waiting for its operator to log in
/// again: a login hands it the new link through `attach`.
struct Parked {
    id: u64,
    attach: mpsc::Sender<Box<Link>>,
}

/// How a link of a screen session ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// The operator quit (signed out, F3 from the menu): nothing to keep.
    Quit,
    /// Closed from outside: key revoked, operator inactive, sign-in
    /// refused, the server stopping.
    Closed,
    /// The link went (client killed, connection reset, too slow).
    Lost(String),
}

type SshTerminal = ratatui::Terminal<RemoteBackend>;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One operator's screens over SSH, on its thread: the first link, and
/// after a lost link, the next login of the operator within the resume
/// window (the same App: screen stack, task, half-typed entry).
fn screen_session(shared: Shared, id: u64, operator: String, first: Link) {
    let backend = crate::ui_backend::EngineBackend::new(shared.engine.clone())
        .with_models(shared.models.clone())
        .with_archive(shared.archive.clone());
    let session_name = format!("ssh-{id}-{}", chrono::Utc::now().timestamp_millis());
    let mut app: Option<crate::ui::app::App> = None;
    let mut link = first;
    let mut links = 0u32;
    let mut resumed_from = None;
    loop {
        links += 1;
        let handle = link.handle.clone();
        let channel = link.channel;
        let key = link.key.clone();
        lock(&shared.sessions).insert(id, (link.inbox.0.clone(), link.why.clone()));
        let (end, forwarder) = run_link(
            &shared,
            &operator,
            &session_name,
            links,
            &mut app,
            &backend,
            link,
            resumed_from,
        );
        let code = u32::from(matches!(&end, Err(_) | Ok(End::Lost(_))));
        if let Err(e) = &end {
            tracing::warn!(operator, session = id, error = %e, "ssh session ended");
        }
        let stopping = shared.stopping.clone();
        shared.runtime.block_on(async move {
            if let Some(f) = forwarder {
                // A dead client's window never opens: do not wait for it.
                // When the server stops, no timer: its runtime may be
                // shutting down, where polling one panics; the shutdown
                // cancels the forwarder if it is still waiting.
                let abort = f.abort_handle();
                if stopping.load(Ordering::Acquire) {
                    let _ = f.await;
                } else if tokio::time::timeout(Duration::from_secs(2), f)
                    .await
                    .is_err()
                {
                    abort.abort();
                }
            }
            let _ = handle.exit_status_request(channel, code).await;
            let _ = handle.eof(channel).await;
            let _ = handle.close(channel).await;
        });
        // Only now: a stopping server waits for the sessions to leave
        // this list before it shuts the runtime down, and the timer
        // above polled on a runtime shutting down panics (seen once in
        // tests/serve.rs when this came before the block_on).
        lock(&shared.sessions).remove(&id);
        let why = match end {
            Ok(End::Lost(why)) => why,
            _ => return,
        };
        if app.is_none()
            || shared.resume_window.is_zero()
            || shared.stopping.load(Ordering::Acquire)
        {
            return;
        }
        let since = crate::ui::Backend::now(&backend);
        match park(&shared, id, &operator, &key, &why) {
            Some(next) => {
                link = *next;
                resumed_from = Some(since);
            }
            None => return,
        }
    }
}

/// Wait for the operator's next login within the resume window; None
/// (the session discarded, logged) when the window passes, the operator
/// or the key is no longer allowed, or the server stops.
fn park(shared: &Shared, id: u64, operator: &str, key: &PublicKey, why: &str) -> Option<Box<Link>> {
    let (tx, rx) = mpsc::channel();
    lock(&shared.parked)
        .entry(operator.to_string())
        .or_default()
        .push(Parked { id, attach: tx });
    // Logged once a login can find it.
    tracing::info!(operator, session = id, why, window = ?shared.resume_window, "ssh session parked: its link went");
    let deadline = Instant::now() + shared.resume_window;
    let why = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break "the resume window passed".to_string();
        }
        match rx.recv_timeout(left.min(Duration::from_secs(1))) {
            Ok(link) => return Some(link),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                tracing::info!(
                    operator,
                    session = id,
                    "parked ssh session discarded: the server is stopping"
                );
                return None;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(why) = key_allowed(&shared.engine.view(), operator, key) {
                    break why.to_string();
                }
            }
        }
    };
    if shared.unpark(operator, id) {
        tracing::info!(operator, session = id, why, "parked ssh session discarded");
        None
    } else {
        // A login took it just now: its link is already sent.
        rx.try_recv().ok()
    }
}

/// One link of a screen session: sign in (again, on a resumed link: the
/// audit trail has every login with its station and key), draw, run until
/// the operator quits or the link goes; with the output's forwarder, to
/// await before the channel is closed.
#[allow(clippy::too_many_arguments)]
fn run_link(
    shared: &Shared,
    operator: &str,
    session_name: &str,
    links: u32,
    app: &mut Option<crate::ui::app::App>,
    backend: &crate::ui_backend::EngineBackend,
    link: Link,
    resumed_from: Option<chrono::DateTime<chrono::Utc>>,
) -> (Result<End>, Option<tokio::task::JoinHandle<()>>) {
    use ratatui::Terminal;
    let mut writer = ChannelWriter::screen(&shared.runtime, link.handle.clone(), link.channel);
    // The terminal owns the writer; the forwarder is awaited once the
    // terminal (and with it the queue's sender) is dropped.
    let forwarder = writer.forwarder.take();
    let backend_out = RemoteBackend {
        inner: ratatui::backend::CrosstermBackend::new(writer),
        size: link.size.clone(),
        cursor: ratatui::layout::Position::new(0, 0),
        cursor_shown: None,
    };
    let mut terminal = match Terminal::new(backend_out) {
        Ok(t) => t,
        Err(e) => return (Err(e.into()), forwarder),
    };
    let (tx, rx) = link.inbox;
    let pending = Arc::new(AtomicBool::new(false));
    let result = run_screens(
        &mut terminal,
        shared,
        operator,
        session_name,
        links,
        app,
        backend,
        (&link.key, &link.station, link.no_color),
        (tx, &rx, &pending, &link.why),
        resumed_from,
    );
    // The commit watcher of this link goes at the next commit: its inbox
    // is gone and no notice is pending.
    drop(rx);
    pending.store(false, Ordering::Release);
    let _ = ratatui::backend::Backend::flush(terminal.backend_mut());
    drop(terminal);
    (result, forwarder)
}

#[allow(clippy::too_many_arguments)]
fn run_screens(
    terminal: &mut SshTerminal,
    shared: &Shared,
    operator: &str,
    session_name: &str,
    links: u32,
    app: &mut Option<crate::ui::app::App>,
    backend: &crate::ui_backend::EngineBackend,
    (key, station, no_color): (&PublicKey, &str, bool),
    (tx, rx, pending, told): (
        mpsc::Sender<Inbox>,
        &mpsc::Receiver<Inbox>,
        &Arc<AtomicBool>,
        &CloseWhy,
    ),
    resumed_from: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<End> {
    use crossterm::{cursor, execute, terminal};
    // The sign-in over SSH is the key: audited as such (a locked or
    // inactive operator is refused here too).
    let fp = fingerprint(key);
    let request_key = if links == 1 {
        format!("{session_name}-signin")
    } else {
        format!("{session_name}-resume-{links}")
    };
    let outcome = crate::ui::Backend::submit(
        backend,
        operator,
        session_name,
        Request {
            key: request_key,
            body: crate::core::CommandBody::SignIn {
                verified: true,
                station: station.chars().take(64).collect(),
                ssh_key: Some(fp.clone()),
            },
        },
    );
    let refused = match outcome {
        Submitted::Refused(r) => Some(r.to_string()),
        Submitted::Stopped(e) => Some(e),
        Submitted::Committed { .. } => None,
    };
    if let Some(r) = refused {
        let _ = write!(terminal.backend_mut(), "depot: not signed in: {r}\r\n");
        let _ = terminal.backend_mut().flush();
        return Err(anyhow!("sign-in refused: {r}"));
    }
    let app = match app {
        Some(app) => {
            // NO_COLOR is the terminal's: a resumed session draws as the
            // client now taking it over asked, not as the one it left.
            app.theme = crate::ui::theme::Theme { color: !no_color };
            if let Some(since) = resumed_from {
                app.notice = Some(crate::ui::screen::Notice::info(format!(
                    "resumed your session from {}",
                    since.format("%H:%M")
                )));
            }
            // What was committed while the link was down.
            app.committed(backend);
            app
        }
        None => app.insert(crate::ui::app::App::authenticated(
            (*shared.keymaps).clone(),
            no_color,
            operator,
            session_name,
            backend,
        )),
    };
    shared
        .engine
        .watch(crate::ui::session::commit_watcher(tx, pending.clone()));
    execute!(
        terminal.backend_mut(),
        terminal::EnterAlternateScreen,
        cursor::Hide
    )?;
    terminal.clear()?;
    let owner = operator.to_string();
    let key = key.clone();
    // Every commit asks; only a change to the operator's record can change
    // the answer, so the keys are parsed again only then (200 sessions
    // times every commit would otherwise parse keys on the hot path).
    let checked: std::cell::RefCell<Option<crate::core::master::Operator>> = Default::default();
    let allowed = move |view: &View| -> Option<String> {
        let now = view.state.operators.get(&owner.to_code());
        if now.is_some() && checked.borrow().as_ref() == now {
            return None;
        }
        let verdict = key_allowed(view, &owner, &key);
        *checked.borrow_mut() = verdict.is_ok().then(|| now.cloned()).flatten();
        verdict.err().map(|why| format!("session closed: {why}"))
    };
    let result = crate::ui::session::run_checked(terminal, app, backend, rx, pending, &allowed);
    // However it ends, the client's terminal is left as it was found.
    let _ = execute!(
        terminal.backend_mut(),
        crossterm::style::SetAttribute(crossterm::style::Attribute::Reset),
        crossterm::style::ResetColor,
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    if let Some(why) = app.closed_because.take() {
        let _ = write!(terminal.backend_mut(), "depot: {why}\r\n");
        let _ = terminal.backend_mut().flush();
        return Ok(End::Closed);
    }
    if let Some(why) = told.take() {
        let _ = write!(terminal.backend_mut(), "depot: session closed: {why}\r\n");
        let _ = terminal.backend_mut().flush();
        // An idle screen is kept for its operator's next login.
        return Ok(match why {
            Why::Idle(_) => End::Lost(why.to_string()),
            Why::Stopping => End::Closed,
        });
    }
    let _ = terminal.backend_mut().flush();
    if app.quit {
        return Ok(End::Quit);
    }
    if shared.stopping.load(Ordering::Acquire) {
        return Ok(End::Closed);
    }
    Ok(End::Lost(match result {
        Ok(()) => "the connection closed".to_string(),
        Err(e) => e.to_string(),
    }))
}

/// Split a command line as a shell would for simple words: whitespace
/// separates, single and double quotes group.
pub fn split_words(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(anyhow!("an unclosed quote in {line:?}"));
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// What a command over SSH may be.
const SSH_COMMANDS: &str = "over SSH: `report NAME [--format table|csv|json] [--as-of DATE] ...` \
     (`report list` names them), `exec -` (JSON lines on stdin), `check`, \
     `export KIND [--format F]` (to stdout), `import KIND` (CSV on stdin), \
     `backup DIR` (a new directory on the server); without a command (ssh -t), the screens";

/// Run a command line sent over SSH as `operator`; the exit status.
fn run_exec(
    engine: &Engine,
    operator: &str,
    line: &str,
    input: StdinReader,
    out: &mut dyn Write,
) -> Result<u32> {
    use clap::Parser;
    let mut words = split_words(line)?;
    if words.first().map(String::as_str) == Some("depot") {
        words.remove(0);
    }
    let args =
        match crate::cli::Args::try_parse_from(std::iter::once("depot".to_string()).chain(words)) {
            Ok(a) => a,
            Err(e) => {
                let first = e.to_string().lines().next().unwrap_or_default().to_string();
                return Err(anyhow!("{first}\n{SSH_COMMANDS}"));
            }
        };
    if args.operator.as_deref().is_some_and(|o| o != operator) {
        return Err(anyhow!(
            "over SSH you are {operator}: --operator {} is refused",
            args.operator.unwrap_or_default()
        ));
    }
    dispatch(engine, Caller::Ssh(operator), &args, Box::new(input), out)
}

/// The exit status of a command that failed: a refusal says its own
/// (an import refused as a whole: 2), anything else 1.
fn exit_code(e: &anyhow::Error) -> u32 {
    e.downcast_ref::<crate::cli::Refused>()
        .map_or(1, |r| u32::from(r.code))
}

/// Largest file `import` takes through the server (read whole, as the
/// local import does).
const IMPORT_MAX: u64 = 256 * 1024 * 1024;

/// Who runs a command through the server.
#[derive(Clone, Copy)]
enum Caller<'a> {
    /// An operator authenticated by key: their permissions apply.
    Ssh(&'a str),
    /// The store's owner on this machine, through the Unix socket (mode
    /// 0600): as trusted as `depot` run on the store itself.
    Local(Option<&'a str>),
}

/// Run a parsed command against the running engine; the exit status.
fn dispatch(
    engine: &Engine,
    caller: Caller,
    args: &crate::cli::Args,
    input: Box<dyn std::io::Read + Send>,
    out: &mut dyn Write,
) -> Result<u32> {
    let may = |p: crate::core::auth::Permission| match caller {
        Caller::Local(_) => Ok(()),
        Caller::Ssh(operator) => {
            let roles = engine
                .view()
                .state
                .operators
                .get(&operator.to_code())
                .map(|o| o.roles.clone())
                .unwrap_or_default();
            if crate::core::auth::allows(&roles, p) {
                Ok(())
            } else {
                Err(operator.to_string())
            }
        }
    };
    match &args.command {
        Some(crate::cli::Cmd::Report { name, .. }) if name == "list" => {
            // What --help and the usage promise: the reports' names, one
            // a line, as the local `depot report list` prints them.
            writeln!(out, "{}", crate::report::REPORTS.join("\n"))?;
            Ok(0)
        }
        Some(crate::cli::Cmd::Report { name, .. }) => {
            let need = crate::report::permission(name);
            // An unknown name is answered as unknown (with the list), not
            // as a permission the operator lacks.
            let known = crate::report::REPORTS.contains(&name.as_str());
            if let (true, Err(op)) = (known, may(need)) {
                return Err(anyhow!("{op} may not read {name} (needs {need})"));
            }
            let text = crate::cli::report_from_args(engine, args)?;
            out.write_all(text.as_bytes())?;
            Ok(0)
        }
        Some(crate::cli::Cmd::Exec { file }) if file == "-" => {
            let (default, only) = match caller {
                Caller::Ssh(op) => (Some(op), true),
                Caller::Local(op) => (op, false),
            };
            let failed = crate::cli::exec_stream(
                engine,
                Box::new(std::io::BufReader::new(input)),
                out,
                default,
                only,
            )?;
            Ok(if failed { 2 } else { 0 })
        }
        Some(crate::cli::Cmd::Exec { .. }) => Err(anyhow!(
            "through the server, exec reads its commands from stdin: `exec -`"
        )),
        Some(crate::cli::Cmd::Check) => {
            if let Err(op) = may(crate::core::auth::Permission::ViewLedger) {
                return Err(anyhow!("{op} may not run check (needs view_ledger)"));
            }
            let report = engine
                .with_store(crate::check::verify)
                .map_err(|e| anyhow!("{e}"))?
                .map_err(|p| anyhow!("check FAILED: {p}"))?;
            write!(out, "{report}")?;
            Ok(0)
        }
        Some(crate::cli::Cmd::Export {
            kind,
            format,
            out: file,
            entity,
        }) => {
            use crate::core::auth::Permission;
            let need = match kind.as_str() {
                "events" | "journal" | "gl" => Permission::ViewLedger,
                "operators" => Permission::ManageOperators,
                _ => Permission::ViewMasterData,
            };
            if let Err(op) = may(need) {
                return Err(anyhow!("{op} may not export {kind} (needs {need})"));
            }
            if file.is_some() {
                return Err(anyhow!(
                    "through the server, export writes to its output: `export {kind} > FILE`"
                ));
            }
            crate::cli::export_to(engine, kind, *format, entity.as_deref(), out)?;
            Ok(0)
        }
        Some(crate::cli::Cmd::Import { kind, classify, .. }) if *classify || kind == "auto" => Err(
            anyhow!("import --classify and import auto read the store directly: run them where the store is, with the server stopped"),
        ),
        Some(crate::cli::Cmd::Import { kind, file, .. }) => {
            if file != Path::new("-") {
                return Err(anyhow!(
                    "through the server, import reads its file from stdin: `import {kind} < FILE`"
                ));
            }
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(
                &mut std::io::Read::take(input, IMPORT_MAX + 1),
                &mut bytes,
            )
            .map_err(|e| {
                if is_stopped(&e) {
                    anyhow!("depot serve is stopping: the file was cut off before its end; nothing was imported")
                } else {
                    e.into()
                }
            })?;
            if bytes.len() as u64 > IMPORT_MAX {
                return Err(anyhow!(
                    "the file is larger than {} MiB; nothing was imported",
                    IMPORT_MAX >> 20
                ));
            }
            // Each row is authorised by the core as the operator, as a
            // command line is.
            let operator = match caller {
                Caller::Ssh(op) => op,
                Caller::Local(op) => crate::cli::import_operator(op)?,
            };
            let done = crate::cli::import_bytes(engine, kind, bytes, "stdin", operator)?;
            writeln!(out, "{done}")?;
            Ok(0)
        }
        Some(crate::cli::Cmd::Backup { dest }) => {
            // A copy of everything, operators' credentials included.
            if let Err(op) = may(crate::core::auth::Permission::ManageOperators) {
                return Err(anyhow!(
                    "{op} may not take a backup (needs manage_operators)"
                ));
            }
            if !dest.is_absolute() {
                return Err(anyhow!(
                    "through the server, backup takes an absolute directory on the server: {}",
                    dest.display()
                ));
            }
            let (seq, info) = online_backup(engine, dest)?;
            writeln!(
                out,
                "backed up to {} as of seq {seq}: {} records, {} snapshots",
                dest.display(),
                info.records,
                info.snapshots
            )?;
            Ok(0)
        }
        _ => Err(anyhow!("{SSH_COMMANDS}")),
    }
}

/// Wait while `busy` holds, at most `bound` (checked every 20 ms).
fn wait_while(bound: Duration, busy: impl Fn() -> bool) {
    let deadline = Instant::now() + bound;
    while Instant::now() < deadline && busy() {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Back up the running store into `dest` as of the newest published
/// (durable) record, while the writer goes on: the copy holds exactly
/// the commands committed up to that sequence number.
pub fn online_backup(engine: &Engine, dest: &Path) -> Result<(u64, crate::store::CopyInfo)> {
    let seq = engine.view().seq;
    tracing::info!(dest = %dest.display(), seq, "online backup");
    let info = engine
        .with_store(|store| store.backup_upto(dest, seq))
        .map_err(|e| anyhow!("{e}"))?
        .with_context(|| format!("backing up to {}", dest.display()))?;
    Ok((seq, info))
}

/// The Unix socket of a running server in the data directory: the local
/// `depot report/exec/check` go through it instead of being refused.
pub fn socket_path(dir: &Path) -> PathBuf {
    dir.join("serve.sock")
}

/// Frames on the socket, server to client: a tag byte (1 stdout, 2
/// stderr, 3 exit status), a big-endian u32 length, the bytes.
const TAG_OUT: u8 = 1;
const TAG_ERR: u8 = 2;
const TAG_EXIT: u8 = 3;

fn frame(w: &mut impl Write, tag: u8, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(&[tag])?;
    w.write_all(&(bytes.len() as u32).to_be_bytes())?;
    w.write_all(bytes)
}

/// Writes stdout frames to the socket.
struct FrameWriter<'a>(&'a std::os::unix::net::UnixStream);

impl Write for FrameWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut s = self.0;
        frame(&mut s, TAG_OUT, buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The request's first line: the command line and who runs it.
#[derive(serde::Serialize, serde::Deserialize)]
struct LocalRequest {
    args: Vec<String>,
    operator: Option<String>,
}

fn serve_local(
    engine: Engine,
    stream: std::os::unix::net::UnixStream,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    use clap::Parser;
    use std::io::BufRead;
    let input = match stream.try_clone() {
        Ok(s) if s.set_read_timeout(Some(SOCKET_STOP_POLL)).is_ok() => s,
        _ => return,
    };
    let mut reader = std::io::BufReader::new(SocketInput {
        stream: input,
        stop,
    });
    let mut header = String::new();
    if reader.read_line(&mut header).is_err() {
        return;
    }
    let result = serde_json::from_str::<LocalRequest>(&header)
        .map_err(|e| anyhow!("a bad request on the socket: {e}"))
        .and_then(|req| {
            let args = crate::cli::Args::try_parse_from(
                std::iter::once("depot".to_string()).chain(req.args),
            )
            .map_err(|e| anyhow!("{}", e.to_string().trim_end()))?;
            tracing::info!(command = ?args.command, "local command through the server");
            let op = req.operator.clone();
            dispatch(
                &engine,
                Caller::Local(op.as_deref()),
                &args,
                Box::new(reader),
                &mut FrameWriter(&stream),
            )
        });
    let mut s = &stream;
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            let _ = frame(&mut s, TAG_ERR, format!("depot: {e:#}\n").as_bytes());
            exit_code(&e)
        }
    };
    let _ = frame(&mut s, TAG_EXIT, &code.to_be_bytes());
}

/// Listen on the data directory's socket (owner only) until the process
/// ends; each connection on its own thread, counted with the execs so
/// that a stop waits for it to answer what it committed.
fn listen_local(
    dir: &Path,
    engine: Engine,
    stop: Arc<tokio::sync::watch::Sender<bool>>,
    execs: Arc<AtomicU64>,
) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path(dir);
    let _ = std::fs::remove_file(&path);
    let listener = std::os::unix::net::UnixListener::bind(&path)
        .with_context(|| format!("listening on {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    std::thread::Builder::new()
        .name("depot-local".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let engine = engine.clone();
                let stop = stop.subscribe();
                let running = Running::new(&execs);
                let _ = std::thread::Builder::new()
                    .name("depot-local-cmd".into())
                    .spawn(move || {
                        let _running = running;
                        serve_local(engine, stream, stop)
                    });
            }
        })?;
    Ok(())
}

/// Run `args` through the server listening in `dir`, if one is: stdin is
/// sent along (for `exec -`), the output printed; None when no server
/// answers there.
pub fn through_server(
    dir: &Path,
    args: Vec<String>,
    operator: Option<String>,
    stdin: Option<Box<dyn std::io::Read + Send>>,
    sink: Option<Box<dyn Write + Send>>,
) -> Option<Result<u32>> {
    use std::io::Read;
    let stream = std::os::unix::net::UnixStream::connect(socket_path(dir)).ok()?;
    let run = || -> Result<u32> {
        let mut w = &stream;
        let header = serde_json::to_string(&LocalRequest { args, operator })?;
        w.write_all(header.as_bytes())?;
        w.write_all(b"\n")?;
        let sender = match stdin {
            Some(mut input) => {
                let mut sock = stream.try_clone()?;
                Some(std::thread::spawn(move || {
                    let _ = std::io::copy(&mut input, &mut sock);
                    let _ = sock.shutdown(std::net::Shutdown::Write);
                }))
            }
            None => {
                stream.shutdown(std::net::Shutdown::Write)?;
                None
            }
        };
        let mut r = &stream;
        let stdout = std::io::stdout();
        let stderr = std::io::stderr();
        let mut sink = sink;
        loop {
            let mut head = [0u8; 5];
            if r.read_exact(&mut head).is_err() {
                return Err(anyhow!("the server closed the connection"));
            }
            let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
            let mut body = vec![0u8; len];
            r.read_exact(&mut body)?;
            match head[0] {
                TAG_OUT => match sink.as_mut() {
                    Some(file) => file.write_all(&body)?,
                    None => {
                        let mut o = stdout.lock();
                        if o.write_all(&body).and_then(|_| o.flush()).is_err() {
                            return Ok(0);
                        }
                    }
                },
                TAG_ERR => {
                    let _ = stderr.lock().write_all(&body);
                }
                TAG_EXIT => {
                    // A sender still waiting on our stdin (the server
                    // stopped before it ended) is left behind: joining it
                    // would wait for input that may never come.
                    if let Some(t) = sender.filter(|t| t.is_finished()) {
                        let _ = t.join();
                    }
                    if let Some(mut file) = sink {
                        file.flush()?;
                    }
                    let code = body
                        .get(..4)
                        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                        .unwrap_or(1);
                    return Ok(code);
                }
                _ => return Err(anyhow!("a bad frame from the server")),
            }
        }
    };
    Some(run())
}

/// Where `depot serve` says it is listening (for `depot` run locally
/// while it runs, which names the ssh command to use).
pub fn listen_file(dir: &Path) -> PathBuf {
    dir.join("serve.addr")
}

/// Run the server until SIGTERM or SIGINT.
pub fn serve(dir: &Path, engine: Engine, opts: ServeOptions) -> Result<()> {
    serve_until(dir, engine, opts, Stop::Signals, |_| {})
}

/// What stops the server.
pub enum Stop {
    /// SIGTERM or Ctrl-C (`depot serve`).
    Signals,
    /// This channel's message or its sender going (a bench, a test).
    When(tokio::sync::oneshot::Receiver<()>),
}

/// `serve`, stopped by `stop`; `ready` learns the address once listening.
pub fn serve_until(
    dir: &Path,
    engine: Engine,
    opts: ServeOptions,
    stop_on: Stop,
    ready: impl FnOnce(SocketAddr) + Send,
) -> Result<()> {
    let key = host_key(dir)?;
    let fp = fingerprint(key.public_key());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("depot-serve")
        .build()?;
    let keymaps = crate::ui::keymaps(None).map_err(|e| anyhow!("{e}"))?;
    // One models' worker for all the sessions (stopped when this returns).
    let models = crate::ui_backend::start_models(&engine)?;
    let shared = Shared {
        engine: engine.clone(),
        models: models.handle(),
        archive: Arc::new(crate::ui_backend::archive_reads(&engine)),
        keymaps: Arc::new(keymaps),
        failures: Arc::default(),
        sessions: Arc::default(),
        next_session: Arc::default(),
        runtime: runtime.handle().clone(),
        parked: Arc::default(),
        resume_window: opts.resume_window,
        idle_timeout: opts.idle_timeout,
        stopping: Arc::default(),
        stop: Arc::new(tokio::sync::watch::channel(false).0),
        execs: Arc::default(),
        connections: Arc::default(),
    };
    let config = Arc::new(server::Config {
        methods: MethodSet::from(&[MethodKind::PublicKey][..]),
        auth_rejection_time: Duration::from_millis(300),
        auth_rejection_time_initial: Some(Duration::from_millis(0)),
        // A screen closes itself first (`watch_idle`), saying why; this
        // closes the rest: a connection with nothing open, an exec whose
        // client neither sends nor reads.
        inactivity_timeout: Some(opts.idle_timeout.saturating_add(IDLE_GRACE)),
        keys: vec![key],
        nodelay: true,
        // A link that dies without a word (a handheld out of range) is
        // noticed within a minute, and its session parked for resume.
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 3,
        ..Default::default()
    });
    let sessions = shared.sessions.clone();
    let parked = shared.parked.clone();
    let stopping = shared.stopping.clone();
    let stop_execs = shared.stop.clone();
    let execs = shared.execs.clone();
    let connections = shared.connections.clone();
    // Refused here (a bad operator, say) before anyone is let in.
    let archiver = opts
        .archive
        .clone()
        .map(|policy| crate::archiver::Archiver::start(engine.clone(), policy))
        .transpose()?;
    listen_local(
        dir,
        engine.clone(),
        shared.stop.clone(),
        shared.execs.clone(),
    )?;
    // Until a stop: then no new connection is taken (the listener goes),
    // and the open ones are left up for what follows.
    let result: Result<server::RunningServerHandle> = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&opts.listen)
            .await
            .with_context(|| format!("listening on {}", opts.listen))?;
        let addr = listener.local_addr()?;
        let _ = std::fs::write(listen_file(dir), addr.to_string());
        crate::say!("depot serve: listening on {addr}");
        crate::say!("host key {fp}");
        tracing::info!(%addr, fingerprint = %fp, "serving");
        ready(addr);
        let mut server = Server { shared };
        let running = server.run_on_socket(config, &listener);
        let handle = running.handle();
        match stop_on {
            Stop::Signals => {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
                tokio::select! {
                    r = running => { r?; }
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Stop::When(rx) => {
                tokio::select! {
                    r = running => { r?; }
                    _ = rx => {}
                }
            }
        }
        Ok(handle)
    });
    // Parked sessions are not kept (their threads end); every open one is
    // told, and restores its terminal; every exec reads no further line,
    // answers each line it committed and closes its channel. Only then
    // are the connections closed.
    stopping.store(true, Ordering::Release);
    stop_execs.send_replace(true);
    lock(&parked).clear();
    let inboxes: Vec<_> = lock(&sessions).values().cloned().collect();
    for (tx, why) in &inboxes {
        why.tell(Why::Stopping, tx);
    }
    let busy = || !lock(&sessions).is_empty() || execs.load(Ordering::Acquire) > 0;
    wait_while(STOP_WAIT, busy);
    if busy() {
        tracing::warn!(
            sessions = lock(&sessions).len(),
            execs = execs.load(Ordering::Acquire),
            "stopping with sessions or execs still open"
        );
    }
    // Each session and exec has queued its exit status and closed its
    // channel; its client reads them and leaves by itself. A disconnect
    // sent now could overtake the exit status still queued on the
    // connection (seen in tests/serve.rs: ssh said 255, not the exec's
    // 1), so the clients are given a moment to go first.
    wait_while(Duration::from_secs(2), || {
        connections.load(Ordering::Acquire) > 0
    });
    if let Ok(handle) = &result {
        handle.shutdown("depot serve is stopping".into());
        // No connection is polled on a runtime shutting down.
        wait_while(Duration::from_secs(2), || {
            connections.load(Ordering::Acquire) > 0
        });
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
    if let Some(a) = archiver {
        a.stop();
    }
    let _ = std::fs::remove_file(listen_file(dir));
    let _ = std::fs::remove_file(socket_path(dir));
    result?;
    crate::ui::print_worker::wait_at_stop();
    engine.snapshot().map_err(|e| anyhow!("{e}"))?;
    engine.shutdown().map_err(|e| anyhow!("{e}"))?;
    crate::say!("depot serve: stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell() {
        assert_eq!(
            split_words("report trial-balance --format csv").unwrap(),
            ["report", "trial-balance", "--format", "csv"]
        );
        assert_eq!(
            split_words("report 'a b' \"c d\"").unwrap(),
            ["report", "a b", "c d"]
        );
        assert!(split_words("report 'open").is_err());
    }
}
