//! The UI's view of a running engine: reads are the engine's published
//! view (O(1), never the writer's lock), writes are keyed commands.

use crate::core::archive::Need;
use crate::engine::{Engine, EngineError, Submission, View};
use crate::ui::archive_reads::{ArchiveReads, Fetch};
use crate::ui::screen::{Request, Submitted};
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[derive(Clone)]
pub struct EngineBackend {
    engine: Engine,
    /// The models' worker's published suggestions, when one runs.
    models: Option<crate::ui::model_worker::Latest>,
    /// Reads of the archive for screens, off their thread (one reader
    /// for every session of a server).
    archive: Arc<ArchiveReads>,
}

/// A reader of `engine`'s archive for screens (`ui::archive_reads`).
pub fn archive_reads(engine: &Engine) -> ArchiveReads {
    let source = engine.clone();
    ArchiveReads::new(Arc::new(
        move |day, customer: Option<&str>, go_on: &dyn Fn() -> bool| match source
            .with_store(|s| s.later_while(day, customer, Need::Aging, go_on))
        {
            Ok(Ok(l)) => Ok(l),
            Ok(Err(e)) => Err(format!("archive index unreadable: {e}")),
            Err(e) => Err(e.to_string()),
        },
    ))
}

impl EngineBackend {
    pub fn new(engine: Engine) -> EngineBackend {
        let archive = Arc::new(archive_reads(&engine));
        EngineBackend {
            engine,
            models: None,
            archive,
        }
    }

    /// Read the archive with this reader (shared by a server's sessions).
    pub fn with_archive(mut self, archive: Arc<ArchiveReads>) -> EngineBackend {
        self.archive = archive;
        self
    }

    /// Read suggestions from this worker's output (`ModelWorker::handle`).
    pub fn with_models(mut self, latest: crate::ui::model_worker::Latest) -> EngineBackend {
        self.models = Some(latest);
        self
    }
}

/// Start the models' worker on `engine`: trained at once, then nudged by
/// every durable batch (see `ui::model_worker`).
pub fn start_models(engine: &Engine) -> std::io::Result<crate::ui::model_worker::ModelWorker> {
    let source = engine.clone();
    let worker = crate::ui::model_worker::ModelWorker::start(
        move || source.view(),
        Utc::now,
        crate::ui::model_worker::Policy::default(),
    )?;
    engine.watch(worker.watcher());
    Ok(worker)
}

/// A reply from the engine as a screen sees it.
pub fn submitted(reply: Result<crate::engine::Reply, EngineError>) -> Submitted {
    match reply {
        Ok(r) => match r.outcome {
            Ok(events) => Submitted::Committed {
                seq: r.seq.unwrap_or(0),
                events,
                duplicate: r.duplicate,
            },
            Err(rej) => Submitted::Refused(rej),
        },
        Err(e) => Submitted::Stopped(e.to_string()),
    }
}

impl crate::ui::Backend for EngineBackend {
    fn view(&self) -> View {
        self.engine.view()
    }

    fn detach(&self) -> Option<crate::ui::print_worker::Builder> {
        Some(Arc::new(self.clone()))
    }

    fn suggestions(&self) -> Option<std::sync::Arc<crate::ui::model_worker::Suggestions>> {
        self.models.as_ref().and_then(crate::ui::model_worker::read)
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn submit(&self, operator: &str, session: &str, req: Request) -> Submitted {
        submitted(self.engine.submit(Submission {
            operator: operator.to_string(),
            session: session.to_string(),
            key: Some(req.key),
            body: req.body,
        }))
    }

    fn log_range(&self, from: u64, to: u64) -> Vec<crate::core::Envelope> {
        self.engine
            .with_store(|s| {
                let mut out = Vec::new();
                for env in s.scan(from.max(1)) {
                    match env {
                        Ok(env) if env.seq > to => break,
                        Ok(env) => out.push(env),
                        Err(e) => {
                            tracing::warn!(error = %e, "log record unreadable");
                            break;
                        }
                    }
                }
                out
            })
            .unwrap_or_default()
    }

    fn archived_order(&self, number: &str) -> Vec<crate::core::archive::ArchivedDoc> {
        self.engine
            .with_store(|s| match s.archived_order(number) {
                Ok(docs) => docs,
                Err(e) => {
                    tracing::warn!(order = number, error = %e, "archived order unreadable");
                    Vec::new()
                }
            })
            .unwrap_or_default()
    }

    fn archived_order_of(&self, number: &str) -> Option<crate::core::types::Code> {
        self.engine
            .with_store(|s| match s.archived_order_of(number) {
                Ok(order) => order,
                Err(e) => {
                    tracing::warn!(document = number, error = %e, "archive unreadable");
                    None
                }
            })
            .unwrap_or_default()
    }

    fn later(
        &self,
        day: chrono::NaiveDate,
        customer: Option<&str>,
        need: Need,
    ) -> Option<crate::core::archive::Later> {
        self.engine
            .with_store(|s| match s.later(day, customer, need) {
                Ok(l) => Some(l),
                Err(e) => {
                    tracing::warn!(%day, error = %e, "archive index unreadable");
                    None
                }
            })
            .ok()
            .flatten()
    }

    fn later_soon(&self, day: chrono::NaiveDate, customer: Option<&str>, generation: u64) -> Fetch {
        self.archive.fetch(day, customer, generation)
    }

    fn records(&self, seqs: &[u64]) -> Vec<crate::core::Envelope> {
        self.engine
            .with_store(|s| {
                seqs.iter()
                    .filter_map(|q| match s.get(*q) {
                        Ok(env) => env,
                        Err(e) => {
                            tracing::warn!(seq = q, error = %e, "log record unreadable");
                            None
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn state_at(&self, seq: u64) -> Option<std::sync::Arc<crate::core::State>> {
        let view = self.engine.view();
        if view.seq == seq {
            return Some(view.state);
        }
        self.engine
            .with_store(|s| crate::docs::print::replay(s, seq))
            .ok()?
            .ok()
            .map(std::sync::Arc::new)
    }
}
