//! A server's pub/sub: who is subscribed to what, and delivering messages.

use super::clients::Client;
use super::Server;
use crate::engine::glob;
use crate::engine::node::{ClientId, Conn, Output};
use crate::engine::resp::Frame;

/// What a subscription names: a channel, a pattern, or a shard channel.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Subscription {
    Channel,
    Pattern,
    Shard,
}

impl Subscription {
    fn names(self, client: &mut Client) -> &mut Vec<Vec<u8>> {
        match self {
            Subscription::Channel => &mut client.channels,
            Subscription::Pattern => &mut client.patterns,
            Subscription::Shard => &mut client.shard_channels,
        }
    }

    /// Whether the client is subscribed to `name` this way.
    pub(crate) fn holds(self, client: &Client, name: &[u8]) -> bool {
        let names = match self {
            Subscription::Channel => &client.channels,
            Subscription::Pattern => &client.patterns,
            Subscription::Shard => &client.shard_channels,
        };
        names.iter().any(|n| n == name)
    }

    /// The count a (un)subscribe reply carries: shard channels count apart.
    fn count(self, client: &Client) -> i64 {
        match self {
            Subscription::Shard => client.shard_channels.len() as i64,
            _ => client.subscriptions(),
        }
    }

    fn verbs(self) -> (&'static str, &'static str) {
        match self {
            Subscription::Channel => ("subscribe", "unsubscribe"),
            Subscription::Pattern => ("psubscribe", "punsubscribe"),
            Subscription::Shard => ("ssubscribe", "sunsubscribe"),
        }
    }
}

impl Server {
    /// (P|S)SUBSCRIBE: one reply per name, with the client's count after it.
    pub(crate) fn subscribe(&mut self, id: ClientId, names: &[Vec<u8>], kind: Subscription) -> Vec<Frame> {
        let Some(client) = self.clients.get_mut(&id) else { return Vec::new() };
        let mut replies = Vec::new();
        for name in names {
            let list = kind.names(client);
            if !list.contains(name) {
                list.push(name.clone());
            }
            replies.push(Frame::Array(vec![Frame::bulk(kind.verbs().0), Frame::Bulk(name.clone()), Frame::Integer(kind.count(client))]));
        }
        replies
    }

    /// (P|S)UNSUBSCRIBE: from the names given, or from every one.
    pub(crate) fn unsubscribe(&mut self, id: ClientId, names: &[Vec<u8>], kind: Subscription) -> Vec<Frame> {
        let Some(client) = self.clients.get_mut(&id) else { return Vec::new() };
        let verb = kind.verbs().1;
        let targets: Vec<Vec<u8>> = if names.is_empty() { kind.names(client).clone() } else { names.to_vec() };
        if targets.is_empty() {
            return vec![Frame::Array(vec![Frame::bulk(verb), Frame::Null, Frame::Integer(kind.count(client))])];
        }
        let mut replies = Vec::new();
        for name in targets {
            kind.names(client).retain(|n| *n != name);
            replies.push(Frame::Array(vec![Frame::bulk(verb), Frame::Bulk(name), Frame::Integer(kind.count(client))]));
        }
        replies
    }

    /// SPUBLISH: delivers to the shard channel's subscribers.
    pub(crate) fn publish_shard(&mut self, channel: &[u8], message: &[u8]) -> Frame {
        let mut receivers = 0;
        for (id, client) in &self.clients {
            if client.shard_channels.iter().any(|c| c == channel) {
                let frame = Frame::Array(vec![Frame::bulk("smessage"), Frame::bulk(channel.to_vec()), Frame::bulk(message.to_vec())]);
                self.outputs.push_back(Output::Send { conn: Conn::Client(*id), bytes: frame.to_bytes() });
                receivers += 1;
            }
        }
        Frame::Integer(receivers)
    }

    /// Delivers a message to every subscriber; the reply counts receivers.
    /// A keyspace event, if `notify-keyspace-events` publishes its class:
    /// on `__keyspace@DB__:KEY` with the event's name (K), then on
    /// `__keyevent@DB__:EVENT` with the key (E). Never propagated.
    pub(crate) fn notify_keyspace_event(&mut self, class: u16, event: &str, key: &[u8], db: usize) {
        use crate::engine::notify::{KEYEVENT, KEYSPACE};
        let flags = self.settings.notify_classes();
        if flags & class == 0 {
            return;
        }
        if flags & KEYSPACE != 0 {
            let mut channel = format!("__keyspace@{db}__:").into_bytes();
            channel.extend_from_slice(key);
            self.publish(&channel, event.as_bytes());
        }
        if flags & KEYEVENT != 0 {
            let channel = format!("__keyevent@{db}__:{event}");
            self.publish(channel.as_bytes(), key);
        }
    }

    pub(crate) fn publish(&mut self, channel: &[u8], message: &[u8]) -> Frame {
        let mut receivers = 0;
        for (id, client) in &self.clients {
            if client.channels.iter().any(|c| c == channel) {
                let frame = Frame::Array(vec![Frame::bulk("message"), Frame::bulk(channel.to_vec()), Frame::bulk(message.to_vec())]);
                self.outputs.push_back(Output::Send { conn: Conn::Client(*id), bytes: frame.to_bytes() });
                receivers += 1;
            }
            for pattern in &client.patterns {
                if glob::matches(pattern, channel, false) {
                    let frame = Frame::Array(vec![
                        Frame::bulk("pmessage"),
                        Frame::Bulk(pattern.clone()),
                        Frame::bulk(channel.to_vec()),
                        Frame::bulk(message.to_vec()),
                    ]);
                    self.outputs.push_back(Output::Send { conn: Conn::Client(*id), bytes: frame.to_bytes() });
                    receivers += 1;
                }
            }
        }
        Frame::Integer(receivers)
    }

    /// Every channel some client is subscribed to, sorted, once each.
    pub(crate) fn active_channels(&self) -> Vec<&Vec<u8>> {
        let mut channels: Vec<&Vec<u8>> = self.clients.values().flat_map(|c| c.channels.iter()).collect();
        channels.sort();
        channels.dedup();
        channels
    }

    /// Every shard channel some client is subscribed to, sorted, once each.
    pub(crate) fn active_shard_channels(&self) -> Vec<&Vec<u8>> {
        let mut channels: Vec<&Vec<u8>> = self.clients.values().flat_map(|c| c.shard_channels.iter()).collect();
        channels.sort();
        channels.dedup();
        channels
    }

    /// Every pattern some client is subscribed to, sorted, once each.
    pub(crate) fn active_patterns(&self) -> Vec<&Vec<u8>> {
        let mut patterns: Vec<&Vec<u8>> = self.clients.values().flat_map(|c| c.patterns.iter()).collect();
        patterns.sort();
        patterns.dedup();
        patterns
    }
}
