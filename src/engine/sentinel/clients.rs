//! A Sentinel's own clients (consoles, other Sentinels asking it), and
//! the node interface the simulator drives it through. (`impl Sentinel`:
//! the type comes from the folder's mod.rs.)

use super::{Client, Sentinel};
use crate::engine::node::{self, ClientId, DialId, Dialled, Node, Output, Received};
use crate::engine::resp::Frame;
use crate::engine::time::Millis;

impl Sentinel {
    pub fn connect_at(&mut self, now: Millis) -> ClientId {
        let id = self.next_client;
        self.next_client += 1;
        self.clients.insert(id, Client { connected_at: now, last_command_at: now, ..Client::default() });
        self.stats.connections_received += 1;
        id
    }

    pub fn disconnect(&mut self, id: ClientId) {
        self.clients.remove(&id);
    }

    /// Feeds bytes a client sent; returns the replies.
    fn receive(&mut self, id: ClientId, bytes: &[u8], now: Millis) -> Received {
        let mut out = Received::default();
        let Some(client) = self.clients.get_mut(&id) else { return out };
        client.input.feed(bytes);
        self.stats.net_input_bytes += bytes.len() as u64;
        loop {
            if self.stopped {
                break;
            }
            let Some(client) = self.clients.get_mut(&id) else { break };
            let Some(args) = out.next_command(&mut client.input) else { break };
            if args.is_empty() {
                continue;
            }
            client.last_command_at = now;
            self.stats.commands_processed += 1;
            let (replies, close) = self.dispatch(id, &args, now);
            for reply in replies {
                if matches!(reply, Frame::Error(_)) {
                    self.stats.error_replies += 1;
                }
                reply.encode(&mut out.reply);
            }
            if close {
                out.close = true;
                break;
            }
        }
        out.finish(id, &mut self.clients, &mut self.stats.net_output_bytes)
    }
}

impl Node for Sentinel {
    fn accept(&mut self, now: Millis) -> ClientId {
        self.connect_at(now)
    }

    /// A client's replies go out ahead of what its commands set off.
    fn handle_input(&mut self, conn: node::Conn, bytes: &[u8], now: Millis) {
        match conn {
            node::Conn::Client(id) => {
                let mark = self.outputs.len();
                self.receive(id, bytes, now).place(&mut self.outputs, mark, conn);
            }
            node::Conn::Dial(dial) => self.net_receive(dial, bytes, now),
        }
    }

    fn handle_dialled(&mut self, dial: DialId, outcome: Dialled, now: Millis) {
        match outcome {
            Dialled::Connected => self.net_connected(dial, now),
            Dialled::Refused => self.net_refused(dial, now),
        }
    }

    fn handle_closed(&mut self, conn: node::Conn, now: Millis) {
        match conn {
            node::Conn::Client(id) => self.disconnect(id),
            node::Conn::Dial(dial) => self.net_closed(dial, now),
        }
    }

    fn handle_timeout(&mut self, now: Millis) {
        self.cron(now);
        self.next_timer = now + self.timer_period();
    }

    fn poll_timeout(&self) -> Option<Millis> {
        Some(self.next_timer)
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    fn is_connected(&self, client: ClientId) -> bool {
        self.clients.contains_key(&client)
    }
}

