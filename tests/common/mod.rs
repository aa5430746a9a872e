//! Helpers shared by the integration tests that drive a simulator directly.

use redis_playground::engine::resp::{encode_command, parse_frame, Frame};
use redis_playground::sim::Sim;

/// One command on a fresh connection to `port`, and its reply.
pub fn call(sim: &mut Sim, port: u16, args: &[&str]) -> Frame {
    let handle = sim.connect(port).expect("the node listens");
    let mut bytes = Vec::new();
    encode_command(args, &mut bytes);
    sim.send(handle, &bytes);
    let inbox = sim.take_inbox(handle);
    sim.close(handle);
    parse_frame(&inbox).ok().flatten().map(|(f, _)| f).expect("a reply")
}
