//! SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and PUBSUB.

use super::bulks;
use crate::engine::glob;
use crate::engine::node::ClientId;
use crate::engine::resp::Frame;
use crate::engine::server::Server;
use crate::engine::time::Millis;

const PUBSUB_HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

pub fn subscribe(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.subscribe(id, &args[1..], false)
}

pub fn psubscribe(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.subscribe(id, &args[1..], true)
}

pub fn unsubscribe(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.unsubscribe(id, &args[1..], false)
}

pub fn punsubscribe(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    server.unsubscribe(id, &args[1..], true)
}

/// PUBLISH reaches this node's subscribers and, through the stream, the
/// replicas' subscribers.
pub fn publish(server: &mut Server, id: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let reply = server.publish(&args[1], &args[2]);
    let db = server.clients.get(&id).map_or(0, |c| c.state.db);
    server.propagate(db, args.to_vec());
    vec![reply]
}

pub fn pubsub_channels(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let pattern = args.get(2);
    let channels = server.active_channels();
    vec![bulks(channels.into_iter().filter(|c| pattern.is_none_or(|p| glob::matches(p, c, false))).cloned())]
}

pub fn pubsub_numsub(server: &mut Server, _: ClientId, args: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    let mut out = Vec::new();
    for channel in &args[2..] {
        let n = server.clients.values().filter(|c| c.channels.contains(channel)).count();
        out.push(Frame::Bulk(channel.clone()));
        out.push(Frame::Integer(n as i64));
    }
    vec![Frame::Array(out)]
}

pub fn pubsub_numpat(server: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    vec![Frame::Integer(server.active_patterns().len() as i64)]
}

pub fn pubsub_help(_: &mut Server, _: ClientId, _: &[Vec<u8>], _: Millis) -> Vec<Frame> {
    vec![Frame::Array(PUBSUB_HELP.iter().map(|l| Frame::Simple((*l).to_string())).collect())]
}
