//! The Lua interpreter against hostile scripts: a runaway loop, runaway
//! recursion, nesting deeper than a page's stack, strings and tables that
//! would exhaust memory, and random bytes. Each ends in an error reply
//! and the caller goes on (the scripts' replies that real Redis gives are
//! checked by the goldens `scripting` and `scripting_replication`).

use redis_playground::engine::lua::{run_script, Host, STEP_LIMIT_ERROR};
use redis_playground::engine::resp::Frame;

/// A host whose commands all answer with their own name, so a script can
/// be run without a server.
#[derive(Default)]
struct EchoHost {
    calls: Vec<Vec<Vec<u8>>>,
    logged: Vec<(i64, String)>,
}

impl Host for EchoHost {
    fn call(&mut self, args: &[Vec<u8>]) -> Frame {
        self.calls.push(args.to_vec());
        Frame::Bulk(args[0].clone())
    }
    fn log(&mut self, level: i64, message: &str) {
        self.logged.push((level, message.to_string()));
    }
    fn acl_check(&mut self, _args: &[Vec<u8>]) -> Option<bool> {
        Some(true)
    }
    fn set_repl(&mut self, _flags: i64) {}
}

fn run(source: &str) -> Frame {
    let mut host = EchoHost::default();
    run_script(&mut host, source.as_bytes(), "0000", &[], &[], &mut 0)
}

fn error_text(frame: Frame) -> String {
    match frame {
        Frame::Error(e) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// Runs on a thread with half the stack a wasm page has (2 MiB of the
/// page's 4, see .cargo/config.toml), so that what passes here cannot
/// overflow the page's stack either.
fn on_page_sized_stack(source: &'static str) -> Frame {
    std::thread::Builder::new().stack_size(2 << 20).spawn(move || run(source)).expect("thread starts").join().expect("no overflow")
}

#[test]
fn a_runaway_loop_is_stopped_with_a_message() {
    let e = error_text(run("local n = 0 while true do n = n + 1 end"));
    assert!(e.starts_with(STEP_LIMIT_ERROR), "{e}");
    assert!(e.ends_with("script: 0000, on @user_script:1."), "{e}");
    // pcall cannot catch it.
    let e = error_text(run("while true do pcall(function() while true do end end) end"));
    assert!(e.starts_with(STEP_LIMIT_ERROR), "{e}");
}

#[test]
fn runaway_recursion_is_a_stack_overflow_error() {
    let e = error_text(on_page_sized_stack("local function f(n) return 1 + f(n + 1) end return f(1)"));
    assert!(e.contains("stack overflow"), "{e}");
    let e = error_text(on_page_sized_stack("local t = setmetatable({}, {}) getmetatable(t).__index = function(t, k) return t[k] end return t.x"));
    assert!(e.contains("stack overflow"), "{e}");
    // Recursion within the limit works (an unoptimised build's frames are
    // several times larger, so it gets less of it).
    let (script, depth): (&'static str, i64) = if cfg!(debug_assertions) {
        ("local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(25)", 25)
    } else {
        ("local function f(n) if n == 0 then return 0 end return 1 + f(n - 1) end return f(150)", 150)
    };
    assert_eq!(on_page_sized_stack(script), Frame::Integer(depth));
}

#[test]
fn nesting_deeper_than_the_parser_allows_is_a_compile_error() {
    let deep: &'static str = Box::leak(format!("return {}1{}", "(".repeat(5000), ")".repeat(5000)).into_boxed_str());
    let e = error_text(on_page_sized_stack(deep));
    assert!(e.contains("chunk has too many syntax levels"), "{e}");
    let deep_tables: &'static str = Box::leak(format!("return {}{}", "{".repeat(5000), "}".repeat(5000)).into_boxed_str());
    assert!(error_text(on_page_sized_stack(deep_tables)).contains("too many syntax levels"));
    let deep_blocks: &'static str = Box::leak(format!("{} return 1 {}", "do ".repeat(5000), "end ".repeat(5000)).into_boxed_str());
    assert!(error_text(on_page_sized_stack(deep_blocks)).contains("too many syntax levels"));
    let long_chain: &'static str = Box::leak(format!("return 1{}", " + 1".repeat(5000)).into_boxed_str());
    assert_eq!(on_page_sized_stack(long_chain), Frame::Integer(5001));
    let long_concat: &'static str = Box::leak(format!("return 'a'{}", " .. 'a'".repeat(150)).into_boxed_str());
    assert_eq!(on_page_sized_stack(long_concat), Frame::Bulk(vec![b'a'; 151]));
}

#[test]
fn memory_a_page_cannot_hold_is_refused() {
    assert!(error_text(run("return string.rep('x', 1e9)")).contains("not enough memory"));
    assert!(error_text(run("local s = 'x' for i = 1, 40 do s = s .. s end return #s")).contains("not enough memory"));
    assert!(error_text(run("local t = {} for i = 1, 1e9 do t[i] = i end")).contains("not enough memory"));
    assert!(error_text(run("local t = {} local s = string.rep('y', 1e6) for i = 1, 1e4 do t[i] = s .. i end")).contains("not enough memory"));
}

#[test]
fn the_same_script_gives_the_same_reply() {
    let script = "local t = {} return {tostring(t), tostring(print == nil), tostring({}), tostring(t), math.random(1000)}";
    let first = run(script);
    assert_eq!(first, run(script));
    let Frame::Error(_) = first else {
        // `print` is not a global in Redis's Lua: the script fails the same way each time.
        panic!("expected the missing global's error");
    };
    let script = "local t = {} local u = {} return {tostring(t), tostring(u), tostring(t), math.random(1000)}";
    let reply = run(script);
    assert_eq!(reply, run(script));
    let Frame::Array(items) = reply else { panic!("array") };
    assert_eq!(items[0], items[2]);
    assert_ne!(items[0], items[1]);
}

#[test]
fn redis_calls_reach_the_host_with_redis_argument_rules() {
    let mut host = EchoHost::default();
    let reply = run_script(
        &mut host,
        b"redis.call('set', KEYS[1], 0.1, 10, ARGV[1]) redis.log(redis.LOG_NOTICE, 'n', 1.5) return redis.pcall('get')",
        "0000",
        &[b"k".to_vec()],
        &[b"v".to_vec()],
        &mut 0,
    );
    assert_eq!(reply, Frame::Bulk(b"get".to_vec()));
    assert_eq!(host.calls[0], vec![b"set".to_vec(), b"k".to_vec(), b"0.10000000000000001".to_vec(), b"10".to_vec(), b"v".to_vec()]);
    assert_eq!(host.logged, vec![(2, "n 1.5".to_string())]);
}

/// Random and mutated scripts: every one gives a reply, none panics.
#[test]
fn random_scripts_never_panic() {
    let seeds = [
        "return {1, 'a', {ok='x'}}",
        "local t = {} for i = 1, 10 do t[#t+1] = i * 2 end return t",
        "return string.gsub('hello world', '(o)', '%1%1')",
        "return cjson.decode('[1,{\"a\":2}]')",
        "local s = 0 for k, v in pairs({a=1, b=2}) do s = s + v end return s",
        "return string.format('%5.2f %q %x', 1.5, 'a', 255)",
        "return redis.call('get', KEYS[1])",
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet: &[u8] = b"()[]{}=+-*/%^#<>~.,;:'\"\\ \n0123456789abcdefxyz_ local function end return if then else for in do while repeat until and or not nil true false ...";
    for round in 0..3000 {
        let mut script = seeds[round % seeds.len()].as_bytes().to_vec();
        for _ in 0..(next() % 6) {
            let at = (next() as usize) % (script.len() + 1);
            match next() % 3 {
                0 if !script.is_empty() => {
                    script.remove(at.min(script.len() - 1));
                }
                1 => script.insert(at, alphabet[(next() as usize) % alphabet.len()]),
                _ => {
                    let piece = seeds[(next() as usize) % seeds.len()].as_bytes();
                    let from = (next() as usize) % piece.len();
                    script.splice(at..at, piece[from..].iter().copied().take(12));
                }
            }
        }
        let mut host = EchoHost::default();
        let _ = run_script(&mut host, &script, "0000", &[b"k".to_vec()], &[], &mut 0);
    }
}

#[test]
fn long_chains_of_tables_and_closures_are_freed_without_recursing() {
    assert_eq!(on_page_sized_stack("local t = {} for i = 1, 200000 do t = {t} end return 1"), Frame::Integer(1));
    assert_eq!(on_page_sized_stack("local f = function() return 0 end for i = 1, 100000 do local g = f f = function() return g end end return 2"), Frame::Integer(2));
    // A reply nested deeper than Redis's Lua stack would hold.
    let reply = on_page_sized_stack("local t = {1} for i = 1, 5000 do t = {t} end return t");
    assert!(matches!(reply, Frame::Array(_)));
}

/// Reference counting alone would keep a cycle forever (a table holding
/// itself, a recursive local function holding its own cell): every
/// script's tables are gone once it ends, so a page that runs scripts
/// for hours does not grow.
#[test]
fn what_a_script_made_is_freed_when_it_ends_cycles_included() {
    std::thread::spawn(|| {
        assert_eq!(redis_playground::engine::lua::tables_alive(), 0);
        for _ in 0..50 {
            let reply = run("local a = {} local b = {a} a[1] = b a.self = a \
                 local function f(n) if n == 0 then return 0 end return f(n - 1) end \
                 local t = setmetatable({}, {__index = a}) t.loop = t \
                 return f(10)");
            assert_eq!(reply, Frame::Integer(0));
            assert_eq!(redis_playground::engine::lua::tables_alive(), 0, "tables left after a script");
        }
        let reply = run("local a = {} a.x = a error('boom')");
        assert!(matches!(reply, Frame::Error(_)));
        assert_eq!(redis_playground::engine::lua::tables_alive(), 0, "tables left after a failed script");
    })
    .join()
    .expect("no panic");
}

/// struct's formats and offsets come from the script: widths past the
/// data, sizes that overflow, offsets far out, a 'c0' length of 2^63.
#[test]
fn struct_formats_end_in_errors_not_panics() {
    let hostile = [
        "return struct.pack('i0 I32 c0 s', 1, 2, 'x', 'y')",
        "return struct.pack('!16 d i32 !1 b', 1, 2, 3)",
        "return struct.pack('c2147483647', 'ab')",
        "return struct.unpack('c0', struct.pack('d', 2^63))",
        "return struct.unpack('l c0', struct.pack('l', -1) .. 'abc')",
        "return struct.unpack('b', 'abc', 2^60)",
        "return struct.unpack('b', 'abc', -2^60)",
        "return struct.unpack('!8 i32 i32', string.rep('z', 40))",
        "return struct.unpack(string.rep('x', 10000), string.rep('z', 10000))",
        "return struct.unpack(string.rep('b', 9000), string.rep('z', 9000))",
        "return struct.size(string.rep('c2147483647', 20))",
        "return struct.size('!' .. string.rep('9', 30))",
    ];
    for script in hostile {
        // Any reply will do; the test is that each one comes back.
        let _ = run(script);
    }
    assert!(error_text(run("return struct.unpack(string.rep('b', 9000), string.rep('z', 9000))")).contains("too many results"));
    assert_eq!(run("return struct.size('!8 b d')"), Frame::Integer(16));
}
