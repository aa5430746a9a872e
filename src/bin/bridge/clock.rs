//! Virtual time following the wall clock: the bridge's simulator runs at
//! `speed` virtual milliseconds per real one from a base pair (a wall
//! instant, the virtual time then). A step that jumps virtual time ahead
//! (a `waitsync` typed on the control surface) moves the base, so time
//! never runs backwards and never races to catch up.

use std::time::{Duration, Instant};

use redis_playground::engine::time::Millis;

/// The fastest the bridge lets virtual time run (a day of it per 8.6 s).
pub const MAX_SPEED: f64 = 10_000.0;

pub struct Clock {
    wall: Instant,
    virtual_ms: Millis,
    speed: f64,
}

impl Clock {
    pub fn new(virtual_ms: Millis, speed: f64) -> Clock {
        Clock { wall: Instant::now(), virtual_ms, speed: speed.clamp(0.0, MAX_SPEED) }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The virtual time the simulator should have reached at `at`, the
    /// millisecond under way counted as come: a node is never behind a
    /// client's clock (`GETEX PXAT now+10s` then `PTTL` gives at most 10000).
    pub fn virtual_at(&self, at: Instant) -> Millis {
        let real_ms = at.saturating_duration_since(self.wall).as_secs_f64() * 1000.0;
        self.virtual_ms + (real_ms * self.speed).ceil() as Millis
    }

    /// When virtual time `virtual_ms` comes, or `None` while paused.
    pub fn wall_at(&self, virtual_ms: Millis) -> Option<Instant> {
        if self.speed <= 0.0 {
            return None;
        }
        let ahead = (virtual_ms - self.virtual_ms).max(0) as f64 / self.speed;
        Some(self.wall + Duration::from_secs_f64(ahead / 1000.0))
    }

    /// From now on, virtual time goes on from `virtual_ms`.
    pub fn rebase(&mut self, virtual_ms: Millis) {
        self.wall = Instant::now();
        self.virtual_ms = virtual_ms;
    }

    /// A new speed from the current virtual time (0 pauses).
    pub fn set_speed(&mut self, speed: f64, virtual_ms: Millis) {
        self.rebase(virtual_ms);
        self.speed = speed.clamp(0.0, MAX_SPEED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_time_runs_at_its_speed_and_pauses() {
        let mut clock = Clock::new(1_000, 2.0);
        let later = clock.wall + Duration::from_millis(500);
        assert_eq!(clock.virtual_at(later), 2_000);
        assert_eq!(clock.wall_at(3_000), Some(clock.wall + Duration::from_millis(1_000)));
        clock.set_speed(0.0, 5_000);
        assert_eq!(clock.wall_at(6_000), None);
        assert_eq!(clock.virtual_at(Instant::now() + Duration::from_secs(9)), 5_000);
    }
}
