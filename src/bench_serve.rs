//! `depot bench serve`: many SSH sessions on one `depot serve`, on
//! loopback, as clients see it. Each screen session logs in by key, opens
//! the menu and types (a key every `--think-ms`); each committing session
//! sends `exec -` lines and waits for each durable answer. Reported:
//! keystroke to frame (the first bytes of the redrawn frame back at the
//! client) p50 and p99, commands/s, and the server's resident memory per
//! session. Server and clients share this process and its 2 cores, so
//! the figures are a floor on what a separate server would give.

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
            .get(code)
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
    let key = Arc::new(client_key(&engine, "CLERK1")?);
    let admin_key = Arc::new(client_key(&engine, "ADMIN")?);
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
    let (lat, commands, elapsed, rss_up) = rt.block_on(async {
        let up = Arc::new(tokio::sync::Barrier::new(b.sessions + b.committers + 1));
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
        done.store(true, std::sync::atomic::Ordering::Release);
        let mut commands = 0u64;
        for c in committers {
            commands += c.await??;
        }
        let elapsed = t0.elapsed();
        Ok::<_, anyhow::Error>((lat, commands, elapsed, rss_up))
    })?;
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
    println!(
        "resident memory: {:.1} MiB before the sessions, {:.1} MiB with them: {:.0} KiB per session",
        rss_before as f64 / 1024.0,
        rss_up as f64 / 1024.0,
        per_session
    );
    Ok(())
}
