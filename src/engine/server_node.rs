//! A redis-server as a node of the network: it reads each connection's
//! requests and runs them through the command table, holds everything
//! while a DEBUG SLEEP lasts, finishes a start-up load when its time comes,
//! runs its master's stream, and its timers.

use super::commands::dispatch::{execute, execute_from_master};
use super::node::{ClientId, Conn, DialId, Dialled, Node, Output, Received};
use super::resp::Frame;
use super::server::clients::ReplyMode;
use super::server::{ClientPause, Server, CRON_PERIOD_MS};
use super::time::Millis;

impl Node for Server {
    fn accept(&mut self, now: Millis) -> ClientId {
        self.replay_pending_aof(now);
        self.connect_at(now)
    }

    /// A client's bytes: its replies go out ahead of what its commands set
    /// off for others (as Redis writes a reply before it returns to its
    /// event loop). The master's bytes: the replica's side of replication.
    fn handle_input(&mut self, conn: Conn, bytes: &[u8], now: Millis) {
        self.replay_pending_aof(now);
        match conn {
            Conn::Client(id) => {
                let mark = self.outputs.len();
                self.receive(id, bytes, now).place(&mut self.outputs, mark, conn);
                // Redis looks at a FAILOVER after each event (its beforeSleep):
                // a replica's ACK may have been the one it waited for.
                self.update_failover_status(now);
            }
            Conn::Dial(dial) if self.is_master_dial(dial) => self.net_receive(bytes, now),
            Conn::Dial(dial) => self.migrate_receive(dial, bytes, now),
        }
    }

    fn handle_dialled(&mut self, dial: DialId, outcome: Dialled, now: Millis) {
        if !self.is_master_dial(dial) {
            self.migrate_dialled(dial, outcome, now);
            return;
        }
        match outcome {
            Dialled::Connected => self.net_connected(now),
            Dialled::Refused => self.net_refused(now),
        }
    }

    fn handle_closed(&mut self, conn: Conn, now: Millis) {
        match conn {
            Conn::Client(id) => self.disconnect(id, now),
            Conn::Dial(dial) if self.is_master_dial(dial) => self.net_closed(now),
            Conn::Dial(dial) => self.migrate_closed(dial, now),
        }
    }

    /// Redis checks blocked clients' timeouts when its event loop wakes,
    /// which an idle server does at its cron ticks: timeouts fire there.
    /// A load or DEBUG SLEEP ends at its own time, between ticks.
    fn handle_timeout(&mut self, now: Millis) {
        self.replay_pending_aof(now);
        self.update_failover_status(now);
        if now >= self.next_cron {
            // Redis notices a pause's end when its event loop wakes.
            if self.pause.is_some_and(|p| now >= p.until) {
                self.unpause_clients(now);
            }
            self.expire_blocked(now);
            self.cron(now);
            self.next_cron = now + CRON_PERIOD_MS;
        } else {
            self.wake_up(now);
        }
    }

    fn poll_timeout(&self) -> Option<Millis> {
        Some(self.wakes_at().map_or(self.next_cron, |at| at.min(self.next_cron)))
    }

    fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    fn is_connected(&self, client: ClientId) -> bool {
        self.clients.contains_key(&client)
    }

    fn output_pending(&mut self, client: ClientId, bytes: usize, now: Millis) {
        self.check_output_buffer(client, bytes, now);
    }
}

/// (P)SUBSCRIBE and (P)UNSUBSCRIBE, whose replies are pushes.
fn is_subscription_command(name: &[u8]) -> bool {
    ["subscribe", "psubscribe", "unsubscribe", "punsubscribe"].iter().any(|c| name.eq_ignore_ascii_case(c.as_bytes()))
}

impl Server {
    /// Feeds bytes a client sent; returns the replies to every complete
    /// command (`handle_input` sends them; tests and benchmarks that drive
    /// a server directly read them here).
    /// The AOF loaded at start has its commands run before the node does
    /// anything else, as Redis loads it before it accepts connections.
    fn replay_pending_aof(&mut self, now: Millis) {
        if !self.aof.replay_pending {
            return;
        }
        let started = now;
        if crate::engine::commands::dispatch::replay_aof(self, now).is_ok() {
            self.dirty = 0;
            let seconds = (now - started) as f64 / 1000.0;
            self.notice(now, format!("DB loaded from append only file: {seconds:.3} seconds"));
        }
        self.aof.replay_pending = false;
    }

    pub fn receive(&mut self, id: ClientId, bytes: &[u8], now: Millis) -> Received {
        self.replay_pending_aof(now);
        let Some(client) = self.clients.get_mut(&id) else { return Received::default() };
        client.input.feed(bytes);
        client.note_read();
        self.stats.net_input_bytes += bytes.len() as u64;
        if self.still_asleep(now) {
            return Received::default();
        }
        // A load whose time is up ends before the command sees the data.
        self.still_loading(now);
        self.process_input(id, now)
    }

    /// Runs the complete commands a client has sent, until it blocks, quits
    /// or puts the server to sleep (DEBUG SLEEP, whose reply waits too).
    fn process_input(&mut self, id: ClientId, now: Millis) -> Received {
        let mut out = Received::default();
        loop {
            let Some(client) = self.clients.get_mut(&id) else { break };
            // A blocked client's next commands wait until it is served (or
            // the pause its command waits for is over).
            if client.blocked.is_some() || client.postponed.is_some() {
                break;
            }
            let Some(args) = out.next_command(&mut client.input) else { break };
            if args.is_empty() {
                continue;
            }
            // CLIENT REPLY SKIP silences the command after it.
            if client.reply == ReplyMode::SkipNext {
                client.reply = ReplyMode::Skip;
            }
            let mut replies = execute(self, id, &args, now);
            self.count_errors(&replies);
            if let Some(client) = self.clients.get_mut(&id) {
                let silenced = matches!(client.reply, ReplyMode::Off | ReplyMode::Skip);
                if client.reply == ReplyMode::Skip {
                    client.reply = ReplyMode::On;
                }
                // Subscription confirmations are pushed whatever CLIENT REPLY says.
                if silenced && !is_subscription_command(&args[0]) {
                    replies.clear();
                }
            }
            if self.asleep_until.is_some() {
                let mut reply = std::mem::take(&mut out.reply);
                replies.iter().for_each(|r| r.encode(&mut reply));
                self.replies_after_sleep.push((id, reply));
                break;
            }
            for reply in replies {
                reply.encode(&mut out.reply);
            }
            if self.quitting.remove(&id) {
                out.close = true;
                break;
            }
        }
        self.tracking_broadcast();
        self.aof_flush();
        out.finish(id, &mut self.clients, &mut self.stats.net_output_bytes)
    }

    /// Error replies count in INFO stats and errorstats by their first word.
    pub(crate) fn count_errors(&mut self, replies: &[Frame]) {
        if std::mem::take(&mut self.error_reply_counted) {
            return;
        }
        for reply in replies {
            if let Frame::Error(text) = reply {
                self.stats.error_replies += 1;
                let kind = text.split(' ').next().unwrap_or("ERR").to_string();
                *self.stats.errors.entry(kind).or_default() += 1;
            }
        }
    }

    /// Bytes from the master: handshake, snapshot, then the stream, whose
    /// commands run here as they arrive.
    fn net_receive(&mut self, bytes: &[u8], now: Millis) {
        self.read_master_link(bytes, now);
        while let Some(args) = self.next_stream_command(now) {
            execute_from_master(self, &args, now);
        }
        self.aof_flush();
    }

    /// Whether DEBUG SLEEP still holds the process; once its time is up the
    /// sleeper gets its reply and what arrived meanwhile is served.
    fn still_asleep(&mut self, now: Millis) -> bool {
        match self.asleep_until {
            None => false,
            Some(until) if now < until => true,
            Some(_) if self.migrating() => {
                self.migration_timed_out(now);
                self.asleep_until.is_some()
            }
            Some(_) => {
                self.end_sleep(now);
                self.asleep_until.is_some()
            }
        }
    }

    pub(crate) fn end_sleep(&mut self, now: Millis) {
        self.asleep_until = None;
        for (id, bytes) in std::mem::take(&mut self.replies_after_sleep) {
            self.push_output_uncounted(id, bytes);
        }
        // What the sleeping command changed wakes its waiters now, at the
        // time the sleep ended (a key may have expired meanwhile).
        super::commands::dispatch::serve_blocked(self, now);
        let ids: Vec<ClientId> = self.clients.keys().copied().collect();
        for id in ids {
            // A command read now may put the server to sleep again.
            if self.asleep_until.is_some() {
                return;
            }
            let out = self.process_input(id, now);
            if !out.reply.is_empty() {
                self.push_output_uncounted(id, out.reply);
            }
            if out.close {
                self.outputs.push_back(Output::Close { conn: Conn::Client(id) });
            }
        }
        if self.asleep_until.is_none() && self.repl.master.is_some() {
            self.net_receive(&[], now);
        }
    }

    /// CLIENT PAUSE: until `until`, ALL or only writes (a pause only grows).
    pub(crate) fn pause_clients(&mut self, all: bool, until: Millis) {
        self.pause = Some(match self.pause {
            Some(p) => ClientPause { all: p.all || all, until: p.until.max(until) },
            None => ClientPause { all, until },
        });
    }

    /// The pause is over: each waiting client's command runs, in the order
    /// they came, then whatever else it sent meanwhile.
    pub(crate) fn unpause_clients(&mut self, now: Millis) {
        self.pause = None;
        // A FAILOVER's own pause holds on until the hand-over is done.
        if !self.failover_pause {
            self.release_postponed(now);
        }
    }

    /// Each waiting client's command runs, in the order they came, then
    /// whatever else it sent meanwhile.
    pub(crate) fn release_postponed(&mut self, now: Millis) {
        let waiting: Vec<ClientId> = self.postponed.drain(..).collect();
        for id in waiting {
            let Some(args) = self.clients.get_mut(&id).and_then(|c| c.postponed.take()) else { continue };
            let replies = execute(self, id, &args, now);
            self.count_errors(&replies);
            let mut reply = Vec::new();
            replies.iter().for_each(|r| r.encode(&mut reply));
            if self.quitting.remove(&id) {
                self.push_output(id, reply);
                self.kill_client(id, now);
                continue;
            }
            let out = self.process_input(id, now);
            reply.extend_from_slice(&out.reply);
            if !reply.is_empty() {
                self.push_output(id, reply);
            }
            if out.close {
                self.outputs.push_back(Output::Close { conn: Conn::Client(id) });
            }
        }
    }

    /// Ends a DEBUG SLEEP or a load whose time has come.
    pub fn wake_up(&mut self, now: Millis) {
        if !self.still_asleep(now) {
            self.still_loading(now);
        }
    }

    /// Answers the blocked clients whose timeout has passed.
    pub fn expire_blocked(&mut self, now: Millis) {
        if self.still_asleep(now) || self.still_loading(now) {
            return;
        }
        self.answer_expired(now);
    }

    /// Periodic work (Redis's serverCron at `hz` 10): active expiry, saves,
    /// replication; nothing while asleep or loading.
    pub fn cron(&mut self, now: Millis) {
        if self.still_asleep(now) || self.still_loading(now) {
            return;
        }
        self.server_cron(now);
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::config::Config;
    use crate::engine::resp::{encode_command, parse_frame};

    fn send(server: &mut Server, id: ClientId, args: &[&str]) -> Frame {
        let mut bytes = Vec::new();
        encode_command(args, &mut bytes);
        let out = server.receive(id, &bytes, 1_000);
        parse_frame(&out.reply).unwrap().unwrap().0
    }

    #[test]
    fn clients_keep_their_own_db() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (a, b) = (s.connect(), s.connect());
        assert_eq!(send(&mut s, a, &["SELECT", "1"]), Frame::ok());
        assert_eq!(send(&mut s, a, &["SET", "k", "v"]), Frame::ok());
        assert_eq!(send(&mut s, b, &["GET", "k"]), Frame::Null);
        assert_eq!(send(&mut s, a, &["GET", "k"]), Frame::bulk(&b"v"[..]));
    }

    #[test]
    fn blocked_clients_wake_when_another_pushes() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (a, b, c) = (s.connect(), s.connect(), s.connect());
        let mut bytes = Vec::new();
        encode_command(&["BLPOP", "q", "0"], &mut bytes);
        assert!(s.receive(a, &bytes, 10).reply.is_empty());
        let mut bytes = Vec::new();
        encode_command(&["BLPOP", "q", "5"], &mut bytes);
        assert!(s.receive(b, &bytes, 20).reply.is_empty());
        assert_eq!(s.next_deadline(), Some(5020));
        assert_eq!(send(&mut s, c, &["RPUSH", "q", "x"]), Frame::Integer(1));
        // The oldest waiter is served first.
        let out = s.take_output();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].0, a);
        assert_eq!(parse_frame(&out[0].1).unwrap().unwrap().0, Frame::Array(vec![Frame::bulk(&b"q"[..]), Frame::bulk(&b"x"[..])]));
        s.expire_blocked(5019);
        assert!(s.take_output().is_empty());
        s.expire_blocked(5020);
        assert_eq!(s.take_output(), vec![(b, b"*-1\r\n".to_vec())]);
        // Inside MULTI a blocking pop answers at once.
        assert_eq!(send(&mut s, c, &["MULTI"]), Frame::ok());
        send(&mut s, c, &["BLPOP", "q", "0"]);
        assert_eq!(send(&mut s, c, &["EXEC"]), Frame::Array(vec![Frame::NullArray]));
    }

    /// Redis's suite (unit/type/list: "BLPOP, LPUSH + DEL should not awake
    /// blocked client", "MULTI/EXEC is isolated from the point of view of
    /// BLPOP"): parked clients are served after the whole transaction.
    #[test]
    fn a_transaction_wakes_blocked_clients_only_once_it_is_done() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (blocked, writer) = (s.connect(), s.connect());
        let mut bytes = Vec::new();
        encode_command(&["BLPOP", "list", "0"], &mut bytes);
        assert!(s.receive(blocked, &bytes, 0).reply.is_empty());
        send(&mut s, writer, &["MULTI"]);
        send(&mut s, writer, &["LPUSH", "list", "a"]);
        send(&mut s, writer, &["DEL", "list"]);
        send(&mut s, writer, &["EXEC"]);
        assert!(s.take_output().is_empty(), "the key was gone when the transaction ended");
        // A string in the list's place does not wake it either.
        send(&mut s, writer, &["MULTI"]);
        send(&mut s, writer, &["LPUSH", "list", "a"]);
        send(&mut s, writer, &["DEL", "list"]);
        send(&mut s, writer, &["SET", "list", "foo"]);
        send(&mut s, writer, &["EXEC"]);
        assert!(s.take_output().is_empty(), "a string does not serve BLPOP");
        send(&mut s, writer, &["DEL", "list"]);
        send(&mut s, writer, &["MULTI"]);
        for value in ["a", "b", "c"] {
            send(&mut s, writer, &["LPUSH", "list", value]);
        }
        send(&mut s, writer, &["EXEC"]);
        let out = s.take_output();
        assert_eq!(out.len(), 1);
        assert_eq!(parse_frame(&out[0].1).unwrap().unwrap().0, Frame::Array(vec![Frame::bulk("list"), Frame::bulk("c")]));
    }

    #[test]
    fn client_unblock_ends_a_wait_with_its_timeout_reply_or_an_error() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (a, b, admin) = (s.connect(), s.connect(), s.connect());
        for (id, command) in [(a, ["BLPOP", "q", "0"]), (b, ["BRPOP", "q", "0"])] {
            let mut bytes = Vec::new();
            encode_command(&command, &mut bytes);
            assert!(s.receive(id, &bytes, 0).reply.is_empty());
        }
        assert_eq!(send(&mut s, admin, &["CLIENT", "UNBLOCK", &a.to_string()]), Frame::Integer(1));
        assert_eq!(send(&mut s, admin, &["CLIENT", "UNBLOCK", &b.to_string(), "ERROR"]), Frame::Integer(1));
        assert_eq!(send(&mut s, admin, &["CLIENT", "UNBLOCK", &b.to_string()]), Frame::Integer(0));
        assert_eq!(
            s.take_output(),
            vec![(a, b"*-1\r\n".to_vec()), (b, b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n".to_vec())]
        );
        assert_eq!(send(&mut s, admin, &["CLIENT", "UNBLOCK", "x"]), Frame::error("ERR value is not an integer or out of range"));
        assert_eq!(send(&mut s, admin, &["CLIENT", "UNBLOCK", "1", "foo"]), Frame::error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"));
    }

    /// The events Redis's suite checks (unit/pubsub "Keyspace
    /// notifications: ..."), in Redis's order.
    #[test]
    fn keyspace_events_follow_the_commands() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (sub, c) = (s.connect(), s.connect());
        assert_eq!(send(&mut s, c, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]), Frame::ok());
        send(&mut s, sub, &["PSUBSCRIBE", "__keyspace@0__:*"]);
        s.take_output();
        let events = |s: &mut Server| -> Vec<String> {
            s.take_output()
                .into_iter()
                .filter(|(id, _)| *id == sub)
                .map(|(_, bytes)| match parse_frame(&bytes).unwrap().unwrap().0 {
                    Frame::Array(items) => match (&items[2], &items[3]) {
                        (Frame::Bulk(channel), Frame::Bulk(event)) => {
                            format!("{} {}", String::from_utf8_lossy(&channel[15..]), String::from_utf8_lossy(event))
                        }
                        other => panic!("{other:?}"),
                    },
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        send(&mut s, c, &["SET", "k", "v", "EX", "100"]);
        assert_eq!(events(&mut s), ["k set", "k expire"]);
        send(&mut s, c, &["RPUSH", "l", "a"]);
        send(&mut s, c, &["LMOVE", "l", "m", "LEFT", "RIGHT"]);
        assert_eq!(events(&mut s), ["l rpush", "m rpush", "l lpop", "l del"]);
        send(&mut s, c, &["SADD", "s", "1"]);
        send(&mut s, c, &["SMOVE", "s", "t", "1"]);
        send(&mut s, c, &["SMOVE", "t", "s", "2"]);
        assert_eq!(events(&mut s), ["s sadd", "s srem", "s del", "t sadd"]);
        send(&mut s, c, &["ZADD", "z", "INCR", "1", "a"]);
        send(&mut s, c, &["ZPOPMIN", "z"]);
        send(&mut s, c, &["RENAME", "k", "k2"]);
        send(&mut s, c, &["EXPIRE", "k2", "0"]);
        assert_eq!(events(&mut s), ["z zincr", "z zpopmin", "z del", "k rename_from", "k2 rename_to", "k2 del"]);
        // Nothing is published once the setting is empty.
        send(&mut s, c, &["CONFIG", "SET", "notify-keyspace-events", ""]);
        send(&mut s, c, &["SET", "k", "v"]);
        assert!(events(&mut s).is_empty());
    }

    #[test]
    fn publish_reaches_channel_and_pattern_subscribers() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (sub, psub, publisher) = (s.connect(), s.connect(), s.connect());
        let mut bytes = Vec::new();
        encode_command(&["SUBSCRIBE", "news", "sport"], &mut bytes);
        let out = s.receive(sub, &bytes, 0);
        assert_eq!(out.reply.iter().filter(|&&b| b == b'*').count(), 2, "one reply per channel");
        send(&mut s, psub, &["PSUBSCRIBE", "n*"]);
        assert_eq!(
            send(&mut s, sub, &["GET", "k"]),
            Frame::error("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
        );
        assert_eq!(send(&mut s, sub, &["PING"]), Frame::Array(vec![Frame::bulk("pong"), Frame::bulk("")]));
        assert_eq!(send(&mut s, publisher, &["PUBLISH", "news", "hi"]), Frame::Integer(2));
        let out = s.take_output();
        assert_eq!(out[0], (sub, Frame::Array(vec![Frame::bulk("message"), Frame::bulk("news"), Frame::bulk("hi")]).to_bytes()));
        assert_eq!(
            out[1],
            (psub, Frame::Array(vec![Frame::bulk("pmessage"), Frame::bulk("n*"), Frame::bulk("news"), Frame::bulk("hi")]).to_bytes())
        );
        assert_eq!(send(&mut s, publisher, &["PUBSUB", "NUMSUB", "news", "none"]), Frame::Array(vec![
            Frame::bulk("news"), Frame::Integer(1), Frame::bulk("none"), Frame::Integer(0)
        ]));
        assert_eq!(send(&mut s, publisher, &["PUBSUB", "NUMPAT"]), Frame::Integer(1));
        s.disconnect(sub, 0);
        assert_eq!(send(&mut s, publisher, &["PUBLISH", "news", "again"]), Frame::Integer(1));
    }

    #[test]
    fn another_client_write_fails_the_exec() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let (a, b) = (s.connect(), s.connect());
        assert_eq!(send(&mut s, a, &["WATCH", "k"]), Frame::ok());
        assert_eq!(send(&mut s, b, &["SET", "k", "v"]), Frame::ok());
        assert_eq!(send(&mut s, a, &["MULTI"]), Frame::ok());
        assert_eq!(send(&mut s, a, &["GET", "k"]), Frame::Simple("QUEUED".into()));
        assert_eq!(send(&mut s, a, &["EXEC"]), Frame::NullArray);
        // A write that changes nothing does not count.
        assert_eq!(send(&mut s, a, &["WATCH", "k"]), Frame::ok());
        assert_eq!(send(&mut s, b, &["DEL", "nosuch"]), Frame::Integer(0));
        assert_eq!(send(&mut s, a, &["MULTI"]), Frame::ok());
        assert_eq!(send(&mut s, a, &["EXEC"]), Frame::Array(vec![]));
    }

    #[test]
    fn protocol_errors_close_the_client() {
        let mut s = Server::new(6379, Config::default(), "x".repeat(40), 1, 0);
        let id = s.connect();
        let out = s.receive(id, b"*1\r\n+PING\r\n", 0);
        assert!(out.close);
        assert_eq!(out.reply, b"-ERR Protocol error: expected '$', got '+'\r\n");
        assert!(!s.is_connected(id));
    }
}
