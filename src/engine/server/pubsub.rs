//! A server's pub/sub: who is subscribed to what, and delivering messages.

use super::Server;
use crate::engine::glob;
use crate::engine::node::{ClientId, Conn, Output};
use crate::engine::resp::Frame;

impl Server {
    /// (P)SUBSCRIBE: one reply per name, with the client's count after it.
    pub(crate) fn subscribe(&mut self, id: ClientId, names: &[Vec<u8>], patterns: bool) -> Vec<Frame> {
        let Some(client) = self.clients.get_mut(&id) else { return Vec::new() };
        let kind = if patterns { "psubscribe" } else { "subscribe" };
        let mut replies = Vec::new();
        for name in names {
            let list = if patterns { &mut client.patterns } else { &mut client.channels };
            if !list.contains(name) {
                list.push(name.clone());
            }
            replies.push(Frame::Array(vec![Frame::bulk(kind), Frame::Bulk(name.clone()), Frame::Integer(client.subscriptions())]));
        }
        replies
    }

    /// (P)UNSUBSCRIBE: from the names given, or from every one.
    pub(crate) fn unsubscribe(&mut self, id: ClientId, names: &[Vec<u8>], patterns: bool) -> Vec<Frame> {
        let Some(client) = self.clients.get_mut(&id) else { return Vec::new() };
        let kind = if patterns { "punsubscribe" } else { "unsubscribe" };
        let targets: Vec<Vec<u8>> = if names.is_empty() {
            if patterns { client.patterns.clone() } else { client.channels.clone() }
        } else {
            names.to_vec()
        };
        if targets.is_empty() {
            return vec![Frame::Array(vec![Frame::bulk(kind), Frame::Null, Frame::Integer(client.subscriptions())])];
        }
        let mut replies = Vec::new();
        for name in targets {
            let list = if patterns { &mut client.patterns } else { &mut client.channels };
            list.retain(|n| *n != name);
            replies.push(Frame::Array(vec![Frame::bulk(kind), Frame::Bulk(name), Frame::Integer(client.subscriptions())]));
        }
        replies
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

    /// Every pattern some client is subscribed to, sorted, once each.
    pub(crate) fn active_patterns(&self) -> Vec<&Vec<u8>> {
        let mut patterns: Vec<&Vec<u8>> = self.clients.values().flat_map(|c| c.patterns.iter()).collect();
        patterns.sort();
        patterns.dedup();
        patterns
    }
}
