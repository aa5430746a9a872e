//! What an embedding page reads of a playground, as JSON text (the page
//! hands it on through `postMessage`): a snapshot of its nodes, and the
//! details of the events it fires (`step`, `task-done`, `log`,
//! `role-change`). Roles are named as `ROLE` names them.

use super::guide::GuideEvent;
use super::playground::Playground;
use super::views::{EventView, Link};

/// One node of a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSnapshot {
    pub port: u16,
    pub sentinel: bool,
    /// `master`, `slave`, `sentinel`; none while it is down.
    pub role: Option<&'static str>,
    pub master_port: Option<u16>,
    /// Its replication offset (a server's).
    pub offset: Option<i64>,
    /// A replica's `master_link_status`: `up` or `down`.
    pub link: Option<&'static str>,
}

/// Every node of the playground, servers then Sentinels, by port.
pub fn nodes(playground: &Playground) -> Vec<NodeSnapshot> {
    let sim = playground.sim();
    let servers = playground.nodes().into_iter().map(|node| {
        let server = sim.server(node.port);
        let replica = server.is_some_and(|s| s.is_replica());
        NodeSnapshot {
            port: node.port,
            sentinel: false,
            role: server.map(|_| if replica { "slave" } else { "master" }),
            master_port: server.and_then(|s| s.master_address()).map(|(_, port)| port),
            offset: server.map(|s| s.repl_offset()),
            link: replica.then_some(if node.link == Link::Online { "up" } else { "down" }),
        }
    });
    let sentinels = playground.sentinels().into_iter().map(|s| NodeSnapshot {
        port: s.port,
        sentinel: true,
        role: s.up.then_some("sentinel"),
        master_port: None,
        offset: None,
        link: None,
    });
    servers.chain(sentinels).collect()
}

/// The nodes whose role or master changed (or that came or went), as they are now.
pub fn role_changes(before: &[NodeSnapshot], after: &[NodeSnapshot]) -> Vec<NodeSnapshot> {
    after
        .iter()
        .filter(|now| !before.iter().any(|was| was.port == now.port && was.role == now.role && was.master_port == now.master_port))
        .cloned()
        .collect()
}

/// `{ time_ms, nodes: [...] }`: `time_ms` is the virtual time since the session began.
pub fn snapshot_json(playground: &Playground) -> String {
    let time_ms = playground.sim().now() - playground.session().start();
    let nodes: Vec<String> = nodes(playground).iter().map(node_json).collect();
    format!("{{\"time_ms\":{time_ms},\"nodes\":[{}]}}", nodes.join(","))
}

pub fn node_json(node: &NodeSnapshot) -> String {
    format!(
        "{{\"port\":{},\"kind\":\"{}\",\"role\":{},\"master_port\":{},\"offset\":{},\"link\":{}}}",
        node.port,
        if node.sentinel { "sentinel" } else { "server" },
        node.role.map_or("null".into(), json_string),
        node.master_port.map_or("null".into(), |p| p.to_string()),
        node.offset.map_or("null".into(), |o| o.to_string()),
        node.link.map_or("null".into(), json_string),
    )
}

/// A guide's event: its name and its detail.
pub fn guide_event_json(event: &GuideEvent) -> (&'static str, String) {
    match event {
        GuideEvent::Reached { index, kind, text } => {
            ("step", format!("{{\"index\":{index},\"kind\":\"{}\",\"text\":{}}}", kind.as_str(), json_string(text)))
        }
        GuideEvent::TaskDone { index, text } => ("task-done", format!("{{\"index\":{index},\"text\":{}}}", json_string(text))),
    }
}

/// A log line's detail.
pub fn log_json(line: &EventView) -> String {
    format!(
        "{{\"port\":{},\"stamp\":{},\"role\":{},\"level\":{},\"text\":{}}}",
        line.port,
        json_string(&line.stamp),
        json_string(&line.role.to_string()),
        json_string(&line.level.to_string()),
        json_string(&line.text)
    )
}

/// A JSON string literal.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Script-breaking characters stay escaped whatever reads it.
            c if (c as u32) < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::START;

    #[test]
    fn a_snapshot_names_roles_as_role_does() {
        let mut p = Playground::new(1, START, &[6379, 6380]);
        p.run(6380, "REPLICAOF 127.0.0.1 6379");
        p.advance(8_000);
        let before = nodes(&p);
        assert_eq!(before[0], NodeSnapshot { port: 6379, sentinel: false, role: Some("master"), master_port: None, offset: before[0].offset, link: None });
        assert_eq!(before[1].role, Some("slave"));
        assert_eq!(before[1].master_port, Some(6379));
        assert_eq!(before[1].link, Some("up"));
        assert_eq!(before[0].offset, before[1].offset);
        p.crash(6379).unwrap();
        p.run(6380, "REPLICAOF NO ONE");
        let after = nodes(&p);
        let changed = role_changes(&before, &after);
        assert_eq!(changed.iter().map(|n| (n.port, n.role)).collect::<Vec<_>>(), [(6379, None), (6380, Some("master"))]);
        let json = snapshot_json(&p);
        assert!(json.starts_with("{\"time_ms\":8000,\"nodes\":[{\"port\":6379,\"kind\":\"server\",\"role\":null,"), "{json}");
    }

    #[test]
    fn strings_are_json_and_inert() {
        assert_eq!(json_string("a\"b\\c\n<script>&"), "\"a\\\"b\\\\c\\n\\u003cscript\\u003e\\u0026\"");
        assert_eq!(json_string("中\u{1}"), "\"中\\u0001\"");
    }
}
