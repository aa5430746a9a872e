//! Client-side caching (CLIENT TRACKING) as Redis 7.0 does it for RESP2
//! clients: the keys a tracking client reads are remembered, and when one
//! changes (a write, an expiry, an eviction) the client's redirect
//! connection, if subscribed, gets a `__redis__:invalidate` message naming
//! it, once; a flush sends a nil. In BCAST mode the keys changed under
//! each prefix are sent after each event instead, without remembering
//! reads. Without a redirect a RESP2 client gets nothing, as on Redis.
//! (`impl Server`: the type comes from the folder above.)

use std::collections::{BTreeMap, BTreeSet};

use super::Server;
use crate::engine::node::ClientId;

/// A client's tracking mode.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tracking {
    /// The client invalidations go to (0: none).
    pub redirect: ClientId,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING was given for the next command.
    pub caching: bool,
    /// BCAST prefixes, in order.
    pub prefixes: BTreeSet<Vec<u8>>,
    /// The redirect client went away.
    pub broken_redirect: bool,
}

/// The tables: who read which key, who follows which prefix and what
/// changed under it since the last event.
#[derive(Clone, Debug, Default)]
pub struct TrackingTables {
    pub keys: BTreeMap<Vec<u8>, BTreeSet<ClientId>>,
    pub prefixes: BTreeMap<Vec<u8>, Prefix>,
}

#[derive(Clone, Debug, Default)]
pub struct Prefix {
    pub clients: BTreeSet<ClientId>,
    /// Keys changed in this event, with who changed them last.
    pub changed: BTreeMap<Vec<u8>, Option<ClientId>>,
}

const CHANNEL: &[u8] = b"__redis__:invalidate";

fn invalidate_message(payload: &[u8]) -> Vec<u8> {
    let mut out = format!("*3\r\n$7\r\nmessage\r\n${}\r\n", CHANNEL.len()).into_bytes();
    out.extend_from_slice(CHANNEL);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(payload);
    out
}

fn keys_payload<'a>(keys: impl IntoIterator<Item = &'a Vec<u8>>) -> Vec<u8> {
    let keys: Vec<&Vec<u8>> = keys.into_iter().collect();
    let mut out = format!("*{}\r\n", keys.len()).into_bytes();
    for key in keys {
        out.extend_from_slice(format!("${}\r\n", key.len()).as_bytes());
        out.extend_from_slice(key);
        out.extend_from_slice(b"\r\n");
    }
    out
}

impl Server {
    /// INFO's figures: tracking clients, keys, (key, client) pairs, prefixes.
    pub(crate) fn tracking_figures(&self) -> [usize; 4] {
        [
            self.clients.values().filter(|c| c.tracking.is_some()).count(),
            self.tracking.keys.len(),
            self.tracking.keys.values().map(BTreeSet::len).sum(),
            self.tracking.prefixes.len(),
        ]
    }

    /// Sends what `id`'s tracking says to its redirect client, when that
    /// client exists and is subscribed (RESP2 has no other way).
    fn send_tracking(&mut self, id: ClientId, payload: &[u8]) {
        let Some(redirect) = self.clients.get(&id).and_then(|c| c.tracking.as_ref()).map(|t| t.redirect) else { return };
        if redirect == 0 {
            return;
        }
        let subscribed = match self.clients.get(&redirect) {
            None => {
                if let Some(t) = self.clients.get_mut(&id).and_then(|c| c.tracking.as_mut()) {
                    t.broken_redirect = true;
                }
                return;
            }
            Some(r) => r.is_subscribed(),
        };
        if subscribed {
            self.push_output(redirect, invalidate_message(payload));
        }
    }

    /// After a read-only command of a tracking client: its keys are remembered.
    pub(crate) fn tracking_remember(&mut self, id: ClientId, info: &crate::engine::command_table::CommandInfo, args: &[Vec<u8>]) {
        let Some(t) = self.clients.get(&id).and_then(|c| c.tracking.as_ref()) else { return };
        if t.bcast || (t.optin && !t.caching) || (t.optout && t.caching) || info.has_flag("pubsub") {
            return;
        }
        for (pos, _) in info.key_positions(args).unwrap_or_default() {
            self.tracking.keys.entry(args[pos].clone()).or_default().insert(id);
        }
    }

    /// A key changed (by `by`, when a client did it): its trackers hear of
    /// it once and are forgotten; BCAST prefixes note it for the event's end.
    pub(crate) fn tracking_invalidate(&mut self, key: &[u8], by: Option<ClientId>) {
        for prefix in self.tracking.prefixes.iter_mut().filter(|(p, _)| key.starts_with(p)).map(|(_, s)| s) {
            prefix.changed.insert(key.to_vec(), by);
        }
        let Some(readers) = self.tracking.keys.remove(key) else { return };
        let payload = keys_payload([&key.to_vec()]);
        for reader in readers {
            let Some(t) = self.clients.get(&reader).and_then(|c| c.tracking.as_ref()) else { continue };
            if t.bcast || (t.noloop && by == Some(reader)) {
                continue;
            }
            self.send_tracking(reader, &payload);
        }
    }

    /// FLUSHALL / FLUSHDB: every tracking client gets a nil and the table empties.
    pub(crate) fn tracking_invalidate_all(&mut self) {
        let tracking: Vec<ClientId> = self.clients.iter().filter(|(_, c)| c.tracking.is_some()).map(|(i, _)| *i).collect();
        for id in tracking {
            self.send_tracking(id, b"$-1\r\n");
        }
        self.tracking.keys.clear();
    }

    /// The end of an event: each BCAST prefix sends what changed under it
    /// (without what a NOLOOP client changed itself).
    pub(crate) fn tracking_broadcast(&mut self) {
        let mut sends = Vec::new();
        for prefix in self.tracking.prefixes.values_mut() {
            if prefix.changed.is_empty() {
                continue;
            }
            let changed = std::mem::take(&mut prefix.changed);
            for &client in &prefix.clients {
                sends.push((client, changed.clone()));
            }
        }
        for (client, changed) in sends {
            let noloop = self.clients.get(&client).and_then(|c| c.tracking.as_ref()).is_some_and(|t| t.noloop);
            let keys: Vec<&Vec<u8>> = changed.iter().filter(|(_, by)| !(noloop && **by == Some(client))).map(|(k, _)| k).collect();
            if !keys.is_empty() {
                self.send_tracking(client, &keys_payload(keys));
            }
        }
    }

    /// CLIENT TRACKING OFF, or the client leaving.
    pub(crate) fn disable_tracking(&mut self, id: ClientId) {
        let Some(t) = self.clients.get_mut(&id).and_then(|c| c.tracking.take()) else { return };
        for prefix in &t.prefixes {
            if let Some(state) = self.tracking.prefixes.get_mut(prefix) {
                state.clients.remove(&id);
                if state.clients.is_empty() {
                    self.tracking.prefixes.remove(prefix);
                }
            }
        }
    }

    pub(crate) fn enable_tracking(&mut self, id: ClientId, mut mode: Tracking) {
        let previous = self.clients.get(&id).and_then(|c| c.tracking.clone());
        mode.prefixes = previous.map(|p| p.prefixes).unwrap_or_default().into_iter().chain(mode.prefixes).collect();
        if mode.bcast && mode.prefixes.is_empty() {
            mode.prefixes.insert(Vec::new());
        }
        for prefix in &mode.prefixes {
            if mode.bcast {
                self.tracking.prefixes.entry(prefix.clone()).or_default().clients.insert(id);
            }
        }
        if let Some(client) = self.clients.get_mut(&id) {
            client.tracking = Some(mode);
        }
    }
}
