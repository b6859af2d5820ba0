//! `depot bench serve`: many SSH sessions on one `depot serve`, on
//! loopback, as clients see it. Each screen session logs in by key, opens
//! the menu and types (a key every `--think-ms`); each committing session
//! sends `exec -` lines and waits for each durable answer. Reported:
//! keystroke to frame (the first bytes of the redrawn frame back at the
//! client) p50 and p99, commands/s, and the server's resident memory per
//! session. Server and clients share this process and its 2 cores, so
//! the figures are a floor on what a separate server would give.

use crate::core::types::ToCode;
use crate::engine::{Engine, Submission};
use anyhow::{anyhow, bail, Context, Result};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg};
use russh::ChannelMsg;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct ServeBench {
    pub sessions: usize,
    pub committers: usize,
    pub keys: usize,
    pub think_ms: u64,
    /// Also one handheld (PICK1, 40x16) scanning this many picks.
    pub rf: usize,
    /// Run on this store (it is changed: keys, orders, picks; use a copy)
    /// instead of a fresh demo.
    pub on: Option<PathBuf>,
}

struct NoCheck;

impl russh::client::Handler for NoCheck {
    type Error = russh::Error;
    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// A new client key for operator `code`, put on its record.
fn client_key(engine: &Engine, code: &str) -> Result<PrivateKey> {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut seed = [0u8; 32];
    OsRng.fill_bytes(&mut seed);
    let key = PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(
        &seed,
    ));
    let public = key.public_key().to_openssh().map_err(|e| anyhow!("{e}"))?;
    {
        let mut op = engine
            .view()
            .state
            .operators
            .get(&code.to_code())
            .cloned()
            .ok_or_else(|| anyhow!("the demo has no {code}"))?;
        op.ssh_keys = vec![public.clone()];
        let reply = engine.submit(Submission {
            operator: "ADMIN".into(),
            session: "bench".into(),
            key: None,
            body: crate::core::CommandBody::UpdateOperator(op),
        })?;
        if let Err(r) = reply.outcome {
            bail!("giving {code} the bench key: {r}");
        }
    }
    Ok(key)
}

async fn connect(
    addr: std::net::SocketAddr,
    key: Arc<PrivateKey>,
    user: &str,
) -> Result<russh::client::Handle<NoCheck>> {
    let config = Arc::new(russh::client::Config {
        nodelay: true,
        ..Default::default()
    });
    let mut h = russh::client::connect(config, addr, NoCheck).await?;
    let ok = h
        .authenticate_publickey(user, PrivateKeyWithHashAlg::new(key, None))
        .await?;
    if !ok.success() {
        bail!("{user} was not let in");
    }
    Ok(h)
}

/// One screen session: log in, wait for the menu, then type `keys` keys
/// (down, up, ...) a think time apart; the latency of each.
async fn screen_session(
    addr: std::net::SocketAddr,
    key: Arc<PrivateKey>,
    keys: usize,
    think: Duration,
    up: Arc<tokio::sync::Barrier>,
) -> Result<Vec<Duration>> {
    let h = connect(addr, key, "CLERK1").await?;
    let mut ch = h.channel_open_session().await?;
    ch.request_pty(false, "xterm", 80, 24, 0, 0, &[]).await?;
    ch.request_shell(false).await?;
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("Counter sale") {
        match tokio::time::timeout(Duration::from_secs(60), ch.wait()).await {
            Ok(Some(ChannelMsg::Data { data })) => seen.extend_from_slice(&data),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => bail!("no menu"),
        }
    }
    // Everybody is in before anybody types.
    up.wait().await;
    let mut lat = Vec::with_capacity(keys);
    for i in 0..keys {
        tokio::time::sleep(think).await;
        // What other sessions' commits redrew is not this key's frame.
        while let Ok(Some(_)) = tokio::time::timeout(Duration::ZERO, ch.wait()).await {}
        let k: &[u8] = if i.is_multiple_of(2) { b"j" } else { b"k" };
        let t = Instant::now();
        ch.data(k).await?;
        // The frame moves the selection: the "> " marker is redrawn.
        loop {
            match tokio::time::timeout(Duration::from_secs(30), ch.wait()).await {
                Ok(Some(ChannelMsg::Data { data })) if data.windows(2).any(|w| w == b"> ") => break,
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => bail!("no frame after a key"),
            }
        }
        lat.push(t.elapsed());
    }
    let _ = ch.eof().await;
    Ok(lat)
}

/// What a terminal shows, from the bytes the server sends: enough of
/// VT100 for what ratatui writes (cursor moves, clears, SGR ignored), so
/// the bench reads the screen as the picker sees it, not the byte stream
/// (a redraw sends only the cells that changed).
struct Glass {
    w: usize,
    h: usize,
    cells: Vec<char>,
    x: usize,
    y: usize,
    pending: Vec<u8>,
}

impl Glass {
    fn new(w: usize, h: usize) -> Self {
        Glass {
            w,
            h,
            cells: vec![' '; w * h],
            x: 0,
            y: 0,
            pending: Vec::new(),
        }
    }
    fn feed(&mut self, data: &[u8]) {
        self.pending.extend_from_slice(data);
        let (text, rest) = match std::str::from_utf8(&self.pending) {
            Ok(t) => (t.to_string(), Vec::new()),
            Err(e) if e.error_len().is_none() => {
                let cut = e.valid_up_to();
                (
                    String::from_utf8_lossy(&self.pending[..cut]).into_owned(),
                    self.pending[cut..].to_vec(),
                )
            }
            Err(_) => (
                String::from_utf8_lossy(&self.pending).into_owned(),
                Vec::new(),
            ),
        };
        let mut chars = text.chars().peekable();
        let mut leftover = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\x1b' => {
                    let mut seq = String::from(c);
                    match chars.next() {
                        Some('[') => {
                            seq.push('[');
                            let mut params = String::new();
                            let mut fin = None;
                            for d in chars.by_ref() {
                                seq.push(d);
                                if ('\x40'..='\x7e').contains(&d) {
                                    fin = Some(d);
                                    break;
                                }
                                params.push(d);
                            }
                            match fin {
                                Some(f) => self.csi(&params, f),
                                // Split across packets: keep it for the next.
                                None => leftover = seq,
                            }
                        }
                        Some(_) => {}
                        None => leftover = seq,
                    }
                    if !leftover.is_empty() {
                        break;
                    }
                }
                '\r' => self.x = 0,
                '\n' => self.y = (self.y + 1).min(self.h.saturating_sub(1)),
                c if !c.is_control() => {
                    if self.x < self.w && self.y < self.h {
                        self.cells[self.y * self.w + self.x] = c;
                    }
                    self.x += 1;
                }
                _ => {}
            }
        }
        let mut keep = leftover.into_bytes();
        keep.extend_from_slice(&rest);
        self.pending = keep;
    }
    fn csi(&mut self, params: &str, f: char) {
        let n: Vec<usize> = params
            .trim_start_matches('?')
            .split(';')
            .map(|p| p.parse().unwrap_or(0))
            .collect();
        let arg = |i: usize| n.get(i).copied().filter(|v| *v > 0).unwrap_or(1);
        match f {
            'H' | 'f' => {
                self.y = (arg(0) - 1).min(self.h.saturating_sub(1));
                self.x = (arg(1) - 1).min(self.w.saturating_sub(1));
            }
            'J' if n.first() == Some(&2) => self.cells.fill(' '),
            'K' => {
                let row = self.y * self.w;
                for x in self.x..self.w {
                    self.cells[row + x] = ' ';
                }
            }
            _ => {}
        }
    }
    fn text(&self) -> String {
        self.cells
            .chunks(self.w)
            .map(|r| r.iter().collect::<String>().trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
    /// The value after `label` on the screen (to the end of its word).
    fn field(&self, label: &str) -> Option<String> {
        let t = self.text();
        let at = t.find(label)? + label.len();
        t[at..].split_whitespace().next().map(str::to_string)
    }
}

/// Read until the glass shows what `done` wants; the time it took.
async fn until(
    ch: &mut russh::Channel<russh::client::Msg>,
    glass: &mut Glass,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> Result<()> {
    while !done(&glass.text()) {
        match tokio::time::timeout(Duration::from_secs(30), ch.wait()).await {
            Ok(Some(ChannelMsg::Data { data })) => glass.feed(&data),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => bail!("the handheld never showed {what}:\n{}", glass.text()),
        }
    }
    Ok(())
}

/// The handheld: PICK1 at 40x16 opens Pick and works `picks` tasks as a
/// wedge scanner does (the bin, then the item, each a burst and Enter in
/// one packet; Enter takes a quantity over one). Scan to screen updated:
/// the time until the glass shows the scan's answer (the bin taken; the
/// next task or the end after the durable commit).
async fn rf_session(
    addr: std::net::SocketAddr,
    key: Arc<PrivateKey>,
    picks: usize,
    up: Arc<tokio::sync::Barrier>,
) -> Result<(Vec<Duration>, Vec<Duration>)> {
    let h = connect(addr, key, "PICK1").await?;
    let mut ch = h.channel_open_session().await?;
    ch.request_pty(false, "xterm", 40, 16, 0, 0, &[]).await?;
    ch.request_shell(false).await?;
    let mut glass = Glass::new(40, 16);
    until(&mut ch, &mut glass, "the menu", |t| t.contains("Pick")).await?;
    ch.data(&b"p\r"[..]).await?;
    until(&mut ch, &mut glass, "a task", |t| {
        t.contains("BIN  ") || t.contains("Nothing to pick")
    })
    .await?;
    up.wait().await;
    let (mut bins, mut items) = (Vec::new(), Vec::new());
    while items.len() < picks && !glass.text().contains("Nothing to pick") {
        let head = glass.text().lines().nth(1).unwrap_or_default().to_string();
        let (Some(bin), Some(sku), Some(qty)) = (
            glass.field("BIN  "),
            glass.field("ITEM "),
            glass.field("QTY  "),
        ) else {
            bail!("no task on the handheld:\n{}", glass.text());
        };
        let t = Instant::now();
        ch.data(format!("{bin}\r").as_bytes()).await?;
        let ok = format!("{bin} ok");
        until(&mut ch, &mut glass, &ok, |x| x.contains(&ok)).await?;
        bins.push(t.elapsed());
        let next =
            |x: &str| x.contains("Nothing to pick") || x.lines().nth(1).unwrap_or_default() != head;
        if qty == "1" {
            let t = Instant::now();
            ch.data(format!("{sku}\r").as_bytes()).await?;
            until(&mut ch, &mut glass, "the next task", next).await?;
            items.push(t.elapsed());
        } else {
            ch.data(format!("{sku}\r").as_bytes()).await?;
            let want = format!("Enter: pick {qty}");
            until(&mut ch, &mut glass, &want, |x| x.contains(&want)).await?;
            let t = Instant::now();
            ch.data(&b"\r"[..]).await?;
            until(&mut ch, &mut glass, "the next task", next).await?;
            items.push(t.elapsed());
        }
    }
    let _ = ch.eof().await;
    Ok((bins, items))
}

/// One committing session: `exec -`, a stock adjustment a line, each
/// answer awaited; how many committed.
async fn committer(
    addr: std::net::SocketAddr,
    key: Arc<PrivateKey>,
    done: Arc<std::sync::atomic::AtomicBool>,
    up: Arc<tokio::sync::Barrier>,
) -> Result<u64> {
    let h = connect(addr, key, "ADMIN").await?;
    let mut ch = h.channel_open_session().await?;
    ch.exec(true, "exec -").await?;
    up.wait().await;
    let mut n = 0u64;
    let mut buf = Vec::new();
    while !done.load(std::sync::atomic::Ordering::Acquire) {
        let qty = if n.is_multiple_of(2) { "1" } else { "-1" };
        let line = format!(
            "{{\"cmd\":\"adjust_stock\",\"warehouse\":\"CHI\",\"bin\":\"B-03-03\",\"sku\":\"FAS-1001\",\"qty\":\"{qty}\",\"reason\":\"correction\"}}\n"
        );
        ch.data(line.as_bytes()).await?;
        loop {
            if let Some(i) = buf.iter().position(|b| *b == b'\n') {
                let answer: Vec<u8> = buf.drain(..=i).collect();
                if !String::from_utf8_lossy(&answer).contains("\"ok\":true") {
                    bail!("refused: {}", String::from_utf8_lossy(&answer));
                }
                break;
            }
            match tokio::time::timeout(Duration::from_secs(30), ch.wait()).await {
                Ok(Some(ChannelMsg::Data { data })) => buf.extend_from_slice(&data),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => bail!("no answer"),
            }
        }
        n += 1;
    }
    let _ = ch.eof().await;
    Ok(n)
}

pub fn run(b: ServeBench) -> Result<()> {
    if let Some(dir) = &b.on {
        let engine = crate::cli::open_engine(dir)?;
        return run_on(dir, engine, &b);
    }
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "depot-bench-serve-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    ));
    let out = run_in(&dir, &b);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn run_in(dir: &Path, b: &ServeBench) -> Result<()> {
    crate::cli::create_demo(dir, 0, false)?;
    let engine = crate::cli::open_engine(dir)?;
    run_on(dir, engine, b)
}

fn run_on(dir: &Path, engine: Engine, b: &ServeBench) -> Result<()> {
    let key = Arc::new(client_key(&engine, "CLERK1")?);
    let admin_key = Arc::new(client_key(&engine, "ADMIN")?);
    let pick_key = Arc::new(client_key(&engine, "PICK1")?);
    // The core counts the picks the handheld made: a scan the screen did
    // not take must not be timed as one.
    let checker = crate::ui_backend::EngineBackend::new(engine.clone());
    let probe = engine.clone();
    let mut picked_before = 0;
    if b.rf > 0 {
        let warehouse = crate::bench_screens::home_warehouse(&checker, "PICK1")?;
        let work = crate::bench_screens::prepare_picks(&checker, "ADMIN", &warehouse, b.rf)?;
        crate::say!("{} pick tasks in {warehouse} for the handheld", work.len());
        picked_before = crate::bench_screens::picked_so_far(&checker);
    }
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let server_dir = dir.to_path_buf();
    let server = std::thread::spawn(move || {
        crate::serve::serve_until(
            &server_dir,
            engine,
            crate::serve::ServeOptions {
                listen: "127.0.0.1:0".into(),
                idle_timeout: Duration::from_secs(600),
                resume_window: Duration::ZERO,
                archive: None,
            },
            crate::serve::Stop::When(stop_rx),
            move |a| {
                let _ = addr_tx.send(a);
            },
        )
    });
    let addr = addr_rx
        .recv_timeout(Duration::from_secs(60))
        .context("the server did not start")?;
    let rss_before = rss_kib();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let think = Duration::from_millis(b.think_ms);
    let (lat, commands, elapsed, rss_up, rf) = rt.block_on(async {
        let handhelds = usize::from(b.rf > 0);
        let up = Arc::new(tokio::sync::Barrier::new(
            b.sessions + b.committers + handhelds + 1,
        ));
        let rf = (b.rf > 0).then(|| tokio::spawn(rf_session(addr, pick_key, b.rf, up.clone())));
        let mut screens = Vec::new();
        for _ in 0..b.sessions {
            screens.push(tokio::spawn(screen_session(
                addr,
                key.clone(),
                b.keys,
                think,
                up.clone(),
            )));
        }
        // The committers run while the screens type.
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut committers = Vec::new();
        for _ in 0..b.committers {
            committers.push(tokio::spawn(committer(
                addr,
                admin_key.clone(),
                done.clone(),
                up.clone(),
            )));
        }
        up.wait().await;
        let rss_up = rss_kib();
        let t0 = Instant::now();
        let mut lat = Vec::new();
        for s in screens {
            lat.extend(s.await??);
        }
        let rf = match rf {
            Some(h) => Some(h.await??),
            None => None,
        };
        done.store(true, std::sync::atomic::Ordering::Release);
        let mut commands = 0u64;
        for c in committers {
            commands += c.await??;
        }
        let elapsed = t0.elapsed();
        Ok::<_, anyhow::Error>((lat, commands, elapsed, rss_up, rf))
    })?;
    let picked = crate::bench_screens::picked_so_far(&checker) - picked_before;
    drop(checker);
    // Where a slow answer's time went (the writer's phases).
    let writer = probe.stats().report();
    drop(probe);
    let _ = stop_tx.send(());
    server
        .join()
        .map_err(|_| anyhow!("the server thread panicked"))??;
    let mut lat = lat;
    lat.sort();
    let per_session =
        rss_up.saturating_sub(rss_before) as f64 / (b.sessions + b.committers).max(1) as f64;
    println!(
        "depot bench serve: {} screen sessions typing {} keys each ({} ms apart), {} committing sessions, loopback, one process",
        b.sessions, b.keys, b.think_ms, b.committers
    );
    println!(
        "keystroke to frame at the client: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} keys)",
        pct(&lat, 0.50).as_secs_f64() * 1e3,
        pct(&lat, 0.99).as_secs_f64() * 1e3,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        lat.len()
    );
    println!(
        "commands committed durably through exec over SSH: {commands} in {:.1} s = {:.0}/s",
        elapsed.as_secs_f64(),
        commands as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    if let Some((mut bins, mut items)) = rf {
        if picked != items.len() {
            bail!(
                "the handheld timed {} picks but {picked} committed: the figures would lie",
                items.len()
            );
        }
        bins.sort();
        items.sort();
        for (what, d) in [
            ("handheld 40x16: bin scan to screen updated", &bins),
            (
                "handheld 40x16: item scan to screen, durable commit",
                &items,
            ),
        ] {
            println!(
                "{what}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} scans)",
                pct(d, 0.50).as_secs_f64() * 1e3,
                pct(d, 0.99).as_secs_f64() * 1e3,
                d.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
                d.len()
            );
        }
    }
    println!("{writer}");
    println!(
        "resident memory: {:.1} MiB before the sessions, {:.1} MiB with them: {:.0} KiB per session",
        rss_before as f64 / 1024.0,
        rss_up as f64 / 1024.0,
        per_session
    );
    Ok(())
}
