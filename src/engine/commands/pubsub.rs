//! SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and PUBSUB,
//! and their sharded forms (SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH), which a
//! standalone Redis 7.0 runs as one shard of its own.

use super::bulks;
use crate::engine::glob;
use crate::engine::node::ClientId;
use crate::engine::resp::Frame;
use crate::engine::server::pubsub::Subscription;
use crate::engine::server::Server;
use crate::engine::time::Millis;

pub fn subscribe(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.subscribe(id, &args[1..], Subscription::Channel)
}

pub fn psubscribe(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.subscribe(id, &args[1..], Subscription::Pattern)
}

pub fn unsubscribe(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.unsubscribe(id, &args[1..], Subscription::Channel)
}

pub fn punsubscribe(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.unsubscribe(id, &args[1..], Subscription::Pattern)
}

pub fn ssubscribe(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.subscribe(id, &args[1..], Subscription::Shard)
}

pub fn sunsubscribe(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.unsubscribe(id, &args[1..], Subscription::Shard)
}

/// SPUBLISH: like PUBLISH, replicas' subscribers get it through the stream.
pub fn spublish(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let reply = server.publish_shard(&args[1], &args[2]);
    let db = server.clients.get(&id).map_or(0, |c| c.state.db);
    server.propagate_to_replicas(db, args.to_vec());
    vec![reply]
}

/// PUBLISH reaches this node's subscribers and, through the stream, the
/// replicas' subscribers.
pub fn publish(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let reply = server.publish(&args[1], &args[2]);
    let db = server.clients.get(&id).map_or(0, |c| c.state.db);
    server.propagate_to_replicas(db, args.to_vec());
    vec![reply]
}

/// PUBSUB CHANNELS / SHARDCHANNELS [pattern]: the active ones matching.
fn channels_reply(channels: Vec<&Vec<u8>>, pattern: Option<&Vec<u8>>) -> Vec<Frame> {
    vec![bulks(channels.into_iter().filter(|c| pattern.is_none_or(|p| glob::matches(p, c, false))).cloned())]
}

/// PUBSUB NUMSUB / SHARDNUMSUB channel...: each with its subscriber count.
fn numsub_reply(server: &Server, channels: &[Vec<u8>], kind: Subscription) -> Vec<Frame> {
    let mut out = Vec::new();
    for channel in channels {
        let n = server.clients.values().filter(|c| kind.holds(c, channel)).count();
        out.push(Frame::Bulk(channel.clone()));
        out.push(Frame::Integer(n as i64));
    }
    vec![Frame::Array(out)]
}

pub fn pubsub_channels(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    channels_reply(server.active_channels(), args.get(2))
}

pub fn pubsub_numsub(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    numsub_reply(server, &args[2..], Subscription::Channel)
}

pub fn pubsub_numpat(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    vec![Frame::Integer(server.active_patterns().len() as i64)]
}

pub fn pubsub_shardchannels(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    channels_reply(server.active_shard_channels(), args.get(2))
}

pub fn pubsub_shardnumsub(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    numsub_reply(server, &args[2..], Subscription::Shard)
}
