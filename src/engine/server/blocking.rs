//! Parked clients: a blocking command that found nothing, or a WAIT for
//! replicas' acknowledgements, waits here for its answer or its timeout.

use super::Server;
use super::clients::BlockRequest;
use crate::engine::node::{ClientId, Conn, Output};
use crate::engine::resp::Frame;
use crate::engine::time::Millis;

impl Server {
    /// The earliest blocked-client deadline.
    pub fn next_deadline(&self) -> Option<Millis> {
        if !self.hints.parked {
            return None;
        }
        self.clients.values().filter_map(|c| c.blocked.as_ref().and_then(|(_, r, _)| r.deadline)).min()
    }

    /// Answers the WAITs that are served and the blocked clients whose
    /// timeout has passed.
    pub(crate) fn answer_expired(&mut self, now: Millis) {
        if !self.hints.parked {
            return;
        }
        self.serve_waiting(now);
        for (id, client) in self.clients.iter_mut() {
            if client.blocked.as_ref().is_some_and(|(_, r, _)| r.deadline.is_some_and(|d| d <= now)) {
                if let Some((_, request, _)) = client.blocked.take() {
                    self.outputs.push_back(Output::Send { conn: Conn::Client(*id), bytes: request.on_timeout.to_bytes() });
                }
            }
        }
    }

    /// WAIT parks its client until `wanted` replicas acknowledged `offset`
    /// or the deadline; the replicas are asked once the command is done.
    /// `waiting` is (offset, replicas wanted, deadline).
    pub(crate) fn park_for_acks(&mut self, id: ClientId, args: &[Vec<u8>], waiting: (i64, i64, Option<Millis>), acked: i64, now: Millis) {
        let deadline = waiting.2;
        if let Some(client) = self.clients.get_mut(&id) {
            client.waiting_acks = Some(waiting);
            let request = BlockRequest { keys: Vec::new(), deadline, on_timeout: Frame::Integer(acked), rerun: None };
            client.blocked = Some((args.to_vec(), request, now));
            self.hints.parked = true;
        }
        self.repl.acks_wanted = true;
    }

    /// Answers the WAITs that now have enough acknowledgements (or whose
    /// time is up: they get the count so far).
    pub(crate) fn serve_waiting(&mut self, now: Millis) {
        if !self.hints.parked {
            return;
        }
        let waiting: Vec<(ClientId, i64, i64, Option<Millis>)> = self
            .clients
            .iter()
            .filter_map(|(id, c)| c.waiting_acks.map(|(o, n, d)| (*id, o, n, d)))
            .collect();
        for (id, offset, wanted, deadline) in waiting {
            let acked = self.acks_at_least(offset);
            if acked >= wanted || deadline.is_some_and(|d| now >= d) {
                if let Some(client) = self.clients.get_mut(&id) {
                    client.waiting_acks = None;
                    client.blocked = None;
                }
                self.push_output(id, Frame::Integer(acked).to_bytes());
            }
        }
    }
}
