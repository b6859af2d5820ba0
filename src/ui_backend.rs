//! The UI's view of a running engine: reads take the engine's read lock,
//! writes are commands like any other.

use crate::core::{CommandBody, Event, State};
use crate::engine::{Engine, Submission};

pub struct EngineBackend {
    engine: Engine,
    session: String,
}

impl EngineBackend {
    pub fn new(engine: Engine) -> EngineBackend {
        EngineBackend {
            engine,
            session: format!("tty-{}", std::process::id()),
        }
    }
}

impl crate::ui::Backend for EngineBackend {
    fn state(&self) -> Box<dyn std::ops::Deref<Target = State> + '_> {
        Box::new(self.engine.state())
    }

    fn submit(&self, operator: &str, body: CommandBody) -> Result<Vec<Event>, String> {
        let reply = self
            .engine
            .submit(Submission {
                operator: operator.to_string(),
                session: self.session.clone(),
                key: None,
                body,
            })
            .map_err(|e| e.to_string())?;
        reply.outcome.map_err(|r| r.to_string())
    }
}
