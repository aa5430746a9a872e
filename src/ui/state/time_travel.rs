//! Time travel on the page: rewinding to an earlier moment shows the whole
//! cluster as it was (paused), the present kept aside; back to the present,
//! or on from the past as a new branch (any action taken there is one).

use super::scenario::Model;
use crate::engine::time::Millis;

impl Model {
    /// Shows the session as it was `elapsed_ms` after it began.
    pub(super) fn rewind(&mut self, elapsed_ms: Millis) -> Result<(), String> {
        let present = self.present.as_ref().unwrap_or(&self.playground);
        let at = present.session().start() + elapsed_ms.max(0);
        let past = self.history.rewind(present, at).ok_or("Nothing to rewind to yet.")?;
        let present = std::mem::replace(&mut self.playground, past);
        self.generation += 1;
        // Rewinding again while in the past keeps the same present.
        if self.present.is_none() {
            self.present = Some(present);
        }
        Ok(())
    }

    /// Back to where the session had got to.
    pub(super) fn back_to_present(&mut self) {
        if let Some(present) = self.present.take() {
            self.playground = present;
            self.generation += 1;
        }
    }

    /// Goes on from the moment shown: what came after it is let go.
    pub(super) fn branch_here(&mut self) {
        if self.present.take().is_some() {
            self.history.branch(self.playground.sim().now());
        }
    }

    /// Whether the page shows the past, and how far the present is.
    pub fn viewing_past(&self) -> Option<Millis> {
        self.present.as_ref().map(|p| p.sim().now() - p.session().start())
    }
}
