//! Where each server goes on the topology graph.

use std::collections::BTreeMap;

use super::views::NodeView;

/// Masters on top, each replica under the server it follows, trees side
/// by side. Returns (port, column, depth); columns are centred over their
/// children.
pub fn layout(nodes: &[NodeView]) -> Vec<(u16, f64, usize)> {
    let present: BTreeMap<u16, Option<u16>> = nodes.iter().map(|n| (n.port, n.master)).collect();
    // A node whose chain of masters loops or leaves the playground is a root.
    let parent = |port: u16| -> Option<u16> {
        let master = present.get(&port).copied().flatten().filter(|m| present.contains_key(m))?;
        let mut seen = vec![port];
        let mut at = master;
        while let Some(next) = present.get(&at).copied().flatten().filter(|m| present.contains_key(m)) {
            if seen.contains(&at) {
                return None;
            }
            seen.push(at);
            at = next;
        }
        (!seen.contains(&at)).then_some(master)
    };
    let mut children: BTreeMap<u16, Vec<u16>> = BTreeMap::new();
    let mut roots = Vec::new();
    for &port in present.keys() {
        match parent(port) {
            Some(m) => children.entry(m).or_default().push(port),
            None => roots.push(port),
        }
    }
    fn place(port: u16, depth: usize, children: &BTreeMap<u16, Vec<u16>>, next: &mut f64, out: &mut Vec<(u16, f64, usize)>) -> f64 {
        let kids = children.get(&port).cloned().unwrap_or_default();
        let x = if kids.is_empty() {
            let x = *next;
            *next += 1.0;
            x
        } else {
            let xs: Vec<f64> = kids.iter().map(|&k| place(k, depth + 1, children, next, out)).collect();
            (xs[0] + xs[xs.len() - 1]) / 2.0
        };
        out.push((port, x, depth));
        x
    }
    let mut out = Vec::new();
    let mut next = 0.0;
    for root in roots {
        place(root, 0, &children, &mut next, &mut out);
    }
    out.sort_by_key(|(port, _, _)| *port);
    out
}
