//! A Sentinel's connections to the nodes it watches: opening them (a
//! command link and a pub/sub link to each server, a command link to each
//! other Sentinel), sending commands and reading their replies.
//! (`impl Sentinel`: the type comes from the folder's mod.rs.)

use std::collections::VecDeque;

use super::instance::{Instance, Link, Role};
use super::{Conn, ConnId, Expect, Sentinel, Who, HELLO_CHANNEL};
use crate::engine::node::{self, Output, Purpose};
use crate::engine::resp::{encode_command, parse_frame, Frame};
use crate::engine::time::Millis;

impl Sentinel {
    pub(super) fn open(&mut self, master: &str, who: Who, pubsub: bool, host: &str, port: u16) -> ConnId {
        let conn = self.next_conn;
        self.next_conn += 1;
        self.conns.insert(conn, Conn { master: master.to_string(), who, pubsub, established: false, buffer: Vec::new(), expects: VecDeque::new() });
        self.outputs.push_back(Output::Dial { dial: conn, host: host.to_string(), port, purpose: Purpose::Monitoring });
        conn
    }

    pub(super) fn close_conn(&mut self, conn: ConnId) {
        if self.conns.remove(&conn).is_some() {
            self.outputs.push_back(Output::Close { conn: node::Conn::Dial(conn) });
        }
    }

    pub(super) fn close_link(&mut self, link: &mut Link) {
        if let Some(cc) = link.cc.take() {
            self.close_conn(cc);
        }
        if let Some(pc) = link.pc.take() {
            self.close_conn(pc);
        }
    }

    /// Sends a command on a command link; false when there is none.
    pub(super) fn command(&mut self, link: &mut Link, args: &[&[u8]], expect: Expect) -> bool {
        let Some(cc) = link.cc else { return false };
        let Some(conn) = self.conns.get_mut(&cc) else { return false };
        conn.expects.push_back(expect);
        let mut bytes = Vec::new();
        encode_command(args, &mut bytes);
        self.outputs.push_back(Output::Send { conn: node::Conn::Dial(cc), bytes });
        link.pending_commands += 1;
        true
    }

    pub(super) fn send_ping(&mut self, inst: &mut Instance, now: Millis) -> bool {
        if !self.command(&mut inst.link, &[b"PING"], Expect::Ping) {
            return false;
        }
        inst.link.last_ping_time = now;
        if inst.link.act_ping_time == 0 {
            inst.link.act_ping_time = now;
        }
        true
    }

    pub(super) fn client_name(&self, what: &str) -> String {
        format!("sentinel-{}-{what}", self.myid.chars().take(8).collect::<String>())
    }

    /// Opens the missing connections of an instance (once a second at most).
    pub(super) fn reconnect(&mut self, master: &str, who: Who, inst: &mut Instance, auth: &Credentials, now: Millis) {
        if !inst.disconnected() || inst.port == 0 {
            return;
        }
        if now - inst.link.last_reconn_time < self.timings.ping_period {
            return;
        }
        inst.link.last_reconn_time = now;
        if inst.link.cc.is_none() {
            let cc = self.open(master, who.clone(), false, &inst.host.clone(), inst.port);
            inst.link.cc = Some(cc);
            inst.link.pending_commands = 0;
            inst.link.cc_conn_time = now;
            if let Some(auth) = auth.command() {
                let auth: Vec<&[u8]> = auth.iter().map(Vec::as_slice).collect();
                self.command(&mut inst.link, &auth, Expect::Discard);
            }
            let name = self.client_name("cmd");
            self.command(&mut inst.link, &[b"CLIENT", b"SETNAME", name.as_bytes()], Expect::Discard);
            self.send_ping(inst, now);
        }
        if inst.role != Role::Sentinel && inst.link.pc.is_none() {
            let pc = self.open(master, who, true, &inst.host.clone(), inst.port);
            inst.link.pc = Some(pc);
            inst.link.pc_conn_time = now;
            inst.link.pc_last_activity = now;
            let name = self.client_name("pubsub");
            let mut bytes = Vec::new();
            if let Some(auth) = auth.command() {
                encode_command(&auth, &mut bytes);
            }
            encode_command(&[b"CLIENT".as_slice(), b"SETNAME", name.as_bytes()], &mut bytes);
            encode_command(&[b"SUBSCRIBE".as_slice(), HELLO_CHANNEL.as_bytes()], &mut bytes);
            self.outputs.push_back(Output::Send { conn: node::Conn::Dial(pc), bytes });
        }
    }

    /// The network opened a connection this Sentinel asked for.
    pub fn net_connected(&mut self, conn: ConnId, _now: Millis) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.established = true;
        }
    }

    /// Whether a link's connections are open: a connect still in
    /// progress takes no periodic commands yet.
    pub(super) fn link_established(&self, link: &Link) -> bool {
        [link.cc, link.pc].into_iter().flatten().all(|c| self.conns.get(&c).is_some_and(|c| c.established))
    }

    /// Nothing listens there: the connection is gone, as a failed connect.
    pub fn net_refused(&mut self, conn: ConnId, now: Millis) {
        self.net_closed(conn, now);
    }

    /// A connection closed (the peer died or killed it).
    pub fn net_closed(&mut self, conn: ConnId, _now: Millis) {
        let Some(c) = self.conns.remove(&conn) else { return };
        if let Some(inst) = self.instance_mut(&c.master, &c.who) {
            if inst.link.cc == Some(conn) {
                inst.link.cc = None;
            }
            if inst.link.pc == Some(conn) {
                inst.link.pc = None;
            }
        }
    }

    pub(super) fn instance_mut(&mut self, master: &str, who: &Who) -> Option<&mut Instance> {
        let m = self.masters.get_mut(master)?;
        match who {
            Who::Master => Some(&mut m.inst),
            Who::Slave(key) => m.slaves.get_mut(key),
            Who::Sentinel(id) => m.sentinels.get_mut(id),
        }
    }

    /// Bytes a node sent back on one of this Sentinel's connections.
    pub fn net_receive(&mut self, conn: ConnId, bytes: &[u8], now: Millis) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        c.buffer.extend_from_slice(bytes);
        loop {
            let Some(c) = self.conns.get_mut(&conn) else { return };
            let (frame, used) = match parse_frame(&c.buffer) {
                Ok(Some(parsed)) => parsed,
                Ok(None) => return,
                Err(_) => {
                    // A peer speaking nonsense: drop the connection.
                    self.close_conn(conn);
                    self.net_closed(conn, now);
                    return;
                }
            };
            c.buffer.drain(..used);
            let (master, who, pubsub) = (c.master.clone(), c.who.clone(), c.pubsub);
            if pubsub {
                self.pubsub_reply(&master, &who, frame, now);
            } else {
                let expect = c.expects.pop_front().unwrap_or(Expect::Discard);
                self.command_reply(&master, &who, expect, frame, now);
            }
        }
    }

    pub(super) fn pubsub_reply(&mut self, master: &str, who: &Who, frame: Frame, now: Millis) {
        if let Some(inst) = self.instance_mut(master, who) {
            inst.link.pc_last_activity = now;
        }
        let Frame::Array(items) = frame else { return };
        let [Frame::Bulk(kind), Frame::Bulk(channel), Frame::Bulk(payload)] = items.as_slice() else { return };
        if kind == b"message" && channel == HELLO_CHANNEL.as_bytes() {
            let payload = String::from_utf8_lossy(payload).into_owned();
            self.process_hello(&payload, now);
        }
    }

    pub(super) fn command_reply(&mut self, master: &str, who: &Who, expect: Expect, frame: Frame, now: Millis) {
        let Some(inst) = self.instance_mut(master, who) else { return };
        inst.link.pending_commands = (inst.link.pending_commands - 1).max(0);
        match expect {
            Expect::Ping => {
                let valid = match &frame {
                    Frame::Simple(s) => s == "PONG",
                    Frame::Error(e) => e.starts_with("LOADING") || e.starts_with("MASTERDOWN"),
                    _ => false,
                };
                if valid {
                    inst.link.last_avail_time = now;
                    inst.link.act_ping_time = 0;
                }
                inst.link.last_pong_time = now;
            }
            Expect::Info => {
                if let Frame::Bulk(text) = frame {
                    let text = String::from_utf8_lossy(&text).into_owned();
                    self.refresh_info(master, who, &text, now);
                }
            }
            Expect::Publish => {
                if !matches!(frame, Frame::Error(_)) {
                    inst.last_pub_time = now;
                }
            }
            Expect::IsMasterDown => {
                let Frame::Array(items) = frame else { return };
                let [Frame::Integer(down), Frame::Bulk(leader), Frame::Integer(epoch)] = items.as_slice() else { return };
                inst.last_master_down_reply_time = now;
                inst.master_down = *down == 1;
                if leader.as_slice() != b"*" {
                    let leader = String::from_utf8_lossy(leader).into_owned();
                    let epoch = *epoch as u64;
                    let changed = inst.leader_epoch != epoch;
                    let name = inst.name.clone();
                    inst.leader = Some(leader.clone());
                    inst.leader_epoch = epoch;
                    if changed {
                        self.log_line(now, '#', format!("{name} voted for {leader} {epoch}"));
                    }
                }
            }
            Expect::Discard => {}
        }
    }

}

/// What a Sentinel sends AUTH with on a link, if anything: the master's
/// `auth-user`/`auth-pass` towards it and its replicas, `sentinel-user`/
/// `sentinel-pass` towards other Sentinels.
#[derive(Clone, Debug, Default)]
pub(super) struct Credentials {
    pub(super) user: Option<String>,
    pub(super) pass: Option<String>,
}

impl Credentials {
    /// `AUTH [user] pass`, when there is a password.
    pub(super) fn command(&self) -> Option<Vec<Vec<u8>>> {
        let pass = self.pass.as_ref()?;
        let mut args = vec![b"AUTH".to_vec()];
        if let Some(user) = &self.user {
            args.push(user.as_bytes().to_vec());
        }
        args.push(pass.as_bytes().to_vec());
        Some(args)
    }
}
