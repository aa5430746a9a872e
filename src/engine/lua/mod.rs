//! Lua 5.1 as Redis 7.0 embeds it, in pure Rust so that it builds for
//! wasm32 with no C toolchain: a lexer, a parser that resolves names, a
//! tree-walking interpreter, the libraries Redis opens (base, string,
//! table, math, bit, cjson) and the `redis` library, with Redis's
//! conversions between Lua values and replies and its error replies
//! (`ERR user_script:1: ... script: <sha>, on @user_script:1.`).
//!
//! The interpreter knows nothing of servers: what a script asks of Redis
//! goes through `Host`, which the scripting commands implement. A script
//! runs to its end within one command (virtual time does not pass), so
//! a runaway loop is stopped after `STEP_LIMIT` steps instead of making
//! the server BUSY, and strings and tables are capped so a page survives.

mod cjson;
mod cmsgpack;
mod structlib;
mod format;
mod interp;
mod lexer;
mod mathlib;
mod parser;
mod patterns;
mod stdlib;
mod strlib;
mod value;

use crate::engine::fnv::FixedHashMap;
use crate::engine::resp::Frame;
use mathlib::Rand48;
use stdlib::{check_num, library, native};
use value::{LuaError, Native, Table, TableRef, Value};

pub use interp::NATIVE_FRAME;
pub use value::tables_alive;

/// Steps (statements, calls, pattern attempts) a script may take: tens
/// of millions, well past what a script that ends does in a tutorial.
pub const STEP_LIMIT: u64 = 20_000_000;
pub const STEP_LIMIT_ERROR: &str =
    "ERR Script killed: it ran past the playground's limit of 20000000 steps (real Redis would keep running it, replying BUSY to every other client until SCRIPT KILL)";
/// Steps a library's code may take while it loads (Redis allows 500 ms).
pub const LOAD_STEP_LIMIT: u64 = 2_000_000;

/// The longest string a script may build, and all it may build in one run.
pub const STRING_LIMIT: usize = 32 << 20;
pub const STRING_TOTAL_LIMIT: usize = 512 << 20;
/// Values one call may return (Lua's C stack, LUAI_MAXCSTACK).
pub const MAX_RESULTS: usize = 8000;

/// Table entries a script may set in one run.
pub const ENTRY_LIMIT: usize = 4_000_000;
/// The stack a script's calls and the parser's nesting may take: the
/// interpreter recurses as Lua nests, and a page's stack is 4 MiB
/// (.cargo/config.toml), a native thread's at least 2 MiB.
pub const STACK_BUDGET: usize = 1 << 20;

/// Where the stack is now (the address of a local: the stack grows down
/// natively and in wasm's linear memory alike).
#[inline(never)]
fn stack_position() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// What a script may ask of the server running it.
pub trait Host {
    /// Runs one command as the script's client: its reply, or an error
    /// reply (text without the `-`) for a call the script may not make.
    fn call(&mut self, args: &[Vec<u8>]) -> Frame;
    /// `redis.log`: a line in the server's log at that level (0 to 3).
    fn log(&mut self, level: i64, message: &str);
    /// `redis.acl_check_cmd`: None for an unknown command.
    fn acl_check(&mut self, args: &[Vec<u8>]) -> Option<bool>;
    /// `redis.set_repl`.
    fn set_repl(&mut self, flags: i64);
    /// The script's error reply repeats an error a command of the script
    /// gave, which the server counted when it happened (Redis's
    /// ignore_error_stats_update): the reply is not counted again.
    fn error_counted(&mut self) {}
}

pub struct Interp<'h> {
    globals: TableRef,
    /// The whole `redis` library (a loading library sees a narrower one).
    redis_lib: TableRef,
    string_meta: TableRef,
    /// The current line of each function on the call stack
    /// (`NATIVE_FRAME` for a native one).
    frames: Vec<u32>,
    steps: u64,
    chunk: String,
    rand48: Rand48,
    string_bytes: usize,
    entries: usize,
    addresses: FixedHashMap<usize, usize>,
    host: &'h mut dyn Host,
    /// The stack position when the script started.
    stack_base: usize,
    /// While a library's code runs (FUNCTION LOAD): what it registered.
    registered: Option<Vec<(Registered, Value)>>,
    cjson: cjson::Settings,
    /// Steps allowed, and the error that stops a run past them.
    step_limit: u64,
    limit_error: Value,
    /// While a library loads: the only globals its code sees (`redis`
    /// with the loading API), as Redis gives a loading library.
    load_env: Option<TableRef>,
}

/// A function a library registered, as FUNCTION LIST shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Registered {
    pub name: String,
    pub description: Option<Vec<u8>>,
    pub flags: Vec<&'static str>,
}

impl Registered {
    pub fn no_writes(&self) -> bool {
        self.flags.contains(&"no-writes")
    }
}

/// The flags a script or function may declare.
pub const SCRIPT_FLAGS: &[&str] = &["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"];

/// A host for a library's code while it loads: it cannot reach the server.
struct LoadingHost;

impl Host for LoadingHost {
    fn call(&mut self, _args: &[Vec<u8>]) -> Frame {
        Frame::error("ERR redis.call is not available while a library loads")
    }
    fn log(&mut self, _level: i64, _message: &str) {}
    fn acl_check(&mut self, _args: &[Vec<u8>]) -> Option<bool> {
        Some(false)
    }
    fn set_repl(&mut self, _flags: i64) {}
}

/// Whether a library or function name is one Redis accepts.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

const COMPILE_ERROR: &str = "ERR Error compiling function: ";

const NAME_RULE: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// Runs a library's code as FUNCTION LOAD does, with the `redis` table a
/// loading library sees: the functions it registered, or Redis's error.
pub fn load_library(code: &[u8]) -> Result<Vec<Registered>, String> {
    let mut host = LoadingHost;
    let mut random = RANDOM_START;
    let mut interp = Interp::new(&mut host);
    let registered = interp.run_library(code, &mut random).map_err(|e| {
        if e.starts_with(COMPILE_ERROR) {
            e
        } else {
            format!("ERR Error registering functions: {e}")
        }
    })?;
    if registered.is_empty() {
        return Err("ERR No functions registered".into());
    }
    Ok(registered.into_iter().map(|(r, _)| r).collect())
}

/// FCALL: the library's code runs again to get its functions (a
/// server's state is cloned for rewinds, so it holds code, not live Lua
/// values), then the function runs with KEYS and ARGV as its arguments.
pub fn call_function(host: &mut dyn Host, code: &[u8], name: &str, keys: &[Vec<u8>], argv: &[Vec<u8>], random: &mut u64) -> Frame {
    let mut interp = Interp::new(host);
    // The library's own top level draws from a scratch generator: Redis ran it once, at load.
    let mut scratch = RANDOM_START;
    let registered = match interp.run_library(code, &mut scratch) {
        Ok(r) => r,
        Err(e) => return Frame::error(format!("ERR Error registering functions: {e}")),
    };
    let Some((_, callback)) = registered.into_iter().find(|(r, _)| r.name.eq_ignore_ascii_case(name)) else {
        return Frame::error("ERR Function not found");
    };
    interp.rand48 = Rand48::from_state(*random);
    let array = |items: &[Vec<u8>]| Value::Table(Table::new_ref(Table::from_array(items.iter().map(|k| Value::str(k)).collect())));
    interp.frames.push(NATIVE_FRAME);
    let result = interp.call(&callback, vec![array(keys), array(argv)]);
    interp.frames.pop();
    *random = interp.rand48.state();
    finish(interp.host, result, name, "user_function")
}


/// Compiles a script body as Redis does (`user_script`): the compile
/// error's text, or nothing.
pub fn check_syntax(source: &[u8]) -> Result<(), String> {
    parser::parse(source, "user_script").map(|_| ())
}

/// math.random's state when a server starts: Redis's rand48 before any
/// seeding (its X2, X1, X0 constants).
pub const RANDOM_START: u64 = 0x1234_abcd_330e;

/// Runs a script with its KEYS and ARGV: the reply Redis gives for it.
/// `random` is the server's math.random state, carried from script to script.
pub fn run_script(host: &mut dyn Host, source: &[u8], sha: &str, keys: &[Vec<u8>], argv: &[Vec<u8>], random: &mut u64) -> Frame {
    let proto = match parser::parse(source, "user_script") {
        Ok(p) => p,
        Err(e) => return Frame::error(format!("ERR Error compiling script (new function): {e}")),
    };
    let mut interp = Interp::new(host);
    interp.rand48 = Rand48::from_state(*random);
    let array = |items: &[Vec<u8>]| Value::Table(Table::new_ref(Table::from_array(items.iter().map(|k| Value::str(k)).collect())));
    // KEYS and ARGV are globals the script may replace.
    {
        let mut g = interp.globals.borrow_mut();
        g.set(Value::str(b"KEYS"), array(keys));
        g.set(Value::str(b"ARGV"), array(argv));
    }
    let result = interp.call_proto(&proto, Vec::new(), Vec::new());
    *random = interp.rand48.state();
    finish(interp.host, result, sha, "user_script")
}

/// The reply to a script or function that ended with `result`.
fn finish(host: &mut dyn Host, result: Result<Vec<Value>, LuaError>, name: &str, chunk: &str) -> Frame {
    let (reply, ended_with) = match result {
        Ok(values) => {
            let value = values.into_iter().next().unwrap_or(Value::Nil);
            (to_reply(&value, 0), value)
        }
        Err(e) => (error_reply(&e, name, chunk), e.value),
    };
    if matches!(reply, Frame::Error(_)) && counted_error(&ended_with) {
        host.error_counted();
    }
    reply
}

/// The field Redis sets on error tables made from a command's error
/// reply, which the server counted already.
const COUNTED: &[u8] = b"ignore_error_stats_update";

fn counted_error(v: &Value) -> bool {
    matches!(v, Value::Table(t) if matches!(t.borrow().get_str("ignore_error_stats_update"), Value::Bool(true)))
}

/// A command's error reply as a Lua error table, marked as counted.
fn command_error(text: &str) -> Value {
    let mut t = Table::default();
    t.set(Value::str(b"err"), Value::str(text.trim_end_matches(['\r', '\n']).as_bytes()));
    t.set(Value::str(COUNTED), Value::Bool(true));
    Value::Table(Table::new_ref(t))
}

/// An error that ended a script, as Redis's error handler shapes it: a
/// table error keeps its text, anything else is `ERR <tostring>`; then
/// the script and the line it was at.
fn error_reply(e: &LuaError, sha: &str, chunk: &str) -> Frame {
    let msg = match &e.value {
        Value::Table(t) => match t.borrow().get_str("err") {
            Value::Str(s) => String::from_utf8_lossy(&s).into_owned(),
            Value::Num(n) => format::number_to_string(n),
            _ => "(null)".to_string(),
        },
        Value::Str(s) if &**s == STEP_LIMIT_ERROR.as_bytes() => STEP_LIMIT_ERROR.to_string(),
        Value::Str(s) => format!("ERR {}", String::from_utf8_lossy(s)),
        Value::Num(n) => format!("ERR {}", format::number_to_string(*n)),
        Value::Nil => "ERR nil".to_string(),
        Value::Bool(b) => format!("ERR {b}"),
        other => format!("ERR {}", other.type_name()),
    };
    let msg = msg.replace(['\r', '\n'], " ");
    Frame::error(format!("{msg} script: {sha}, on @{chunk}:{}.", e.line))
}

/// How deep a reply may nest before Redis's Lua stack runs out.
const REPLY_DEPTH: usize = 1000;

/// Lua's value as a reply (luaReplyToRedisReply, RESP2).
fn to_reply(v: &Value, depth: usize) -> Frame {
    match v {
        Value::Str(s) => Frame::Bulk(s.to_vec()),
        Value::Bool(true) => Frame::Integer(1),
        Value::Num(n) => Frame::Integer(if n.is_nan() { i64::MIN } else { *n as i64 }),
        Value::Table(_) if depth >= REPLY_DEPTH => Frame::error("ERR reached lua stack limit"),
        Value::Table(t) => {
            let t = t.borrow();
            if let Value::Str(e) = t.get_str("err") {
                return Frame::Error(String::from_utf8_lossy(&e).replace(['\r', '\n'], " "));
            }
            if let Value::Str(ok) = t.get_str("ok") {
                return Frame::Simple(String::from_utf8_lossy(&ok).replace(['\r', '\n'], " "));
            }
            if let Value::Num(d) = t.get_str("double") {
                return Frame::Bulk(crate::engine::numfmt::fmt_g17(d).into_bytes());
            }
            // RESP2 has no big number: its digits as a bulk string, on one line.
            if let Value::Str(n) = t.get_str("big_number") {
                return Frame::Bulk(n.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }).collect());
            }
            if let Value::Table(map) = t.get_str("map") {
                let map = map.borrow();
                let mut out = Vec::new();
                let mut key = Value::Nil;
                while let Ok(Some((k, v))) = map.next(&key) {
                    out.push(to_reply(&k, depth + 1));
                    out.push(to_reply(&v, depth + 1));
                    key = k;
                }
                return Frame::Array(out);
            }
            if let Value::Table(set) = t.get_str("set") {
                let set = set.borrow();
                let mut out = Vec::new();
                let mut key = Value::Nil;
                while let Ok(Some((k, _))) = set.next(&key) {
                    out.push(to_reply(&k, depth + 1));
                    key = k;
                }
                return Frame::Array(out);
            }
            // A verbatim string is its text to a RESP2 client.
            if let Value::Table(verbatim) = t.get_str("verbatim_string") {
                let verbatim = verbatim.borrow();
                if let (Value::Str(_), Value::Str(text)) = (verbatim.get_str("format"), verbatim.get_str("string")) {
                    return Frame::Bulk(text.to_vec());
                }
            }
            let mut out = Vec::new();
            let mut i = 1.0;
            loop {
                let item = t.get(&Value::Num(i));
                if matches!(item, Value::Nil) {
                    break;
                }
                out.push(to_reply(&item, depth + 1));
                i += 1.0;
            }
            Frame::Array(out)
        }
        _ => Frame::Null,
    }
}

/// A reply as Lua sees it (redisProtocolToLuaType, RESP2).
fn from_reply(interp: &mut Interp, frame: Frame) -> Value {
    match frame {
        Frame::Integer(n) => Value::Num(n as f64),
        Frame::Bulk(b) => Value::Str(b.into()),
        Frame::Null | Frame::NullArray => Value::Bool(false),
        Frame::Simple(s) => field_table("ok", s.as_bytes()),
        Frame::Error(e) => command_error(&e),
        Frame::Array(items) => {
            let values = items.into_iter().map(|f| from_reply(interp, f)).collect();
            Value::Table(Table::new_ref(Table::from_array(values)))
        }
    }
}

fn field_table(field: &str, text: &[u8]) -> Value {
    let mut t = Table::default();
    t.set(Value::str(field.as_bytes()), Value::str(text));
    Value::Table(Table::new_ref(t))
}

/// luaPushErrorBuff: `-CODE msg` keeps its code, a bare message gets ERR.
fn error_table(text: &str) -> Value {
    let text = match text.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, msg)) => format!("{code} {}", msg.trim_matches(['\r', '\n'])),
            None => format!("ERR {}", rest.trim_matches(['\r', '\n'])),
        },
        None => format!("ERR {}", text.trim_matches(['\r', '\n'])),
    };
    field_table("err", text.as_bytes())
}

const LOADING_LIB: &[(&str, Native)] = &[("register_function", redis_register_function), ("log", redis_log)];

const REDIS_LIB: &[(&str, Native)] = &[
    ("call", redis_call),
    ("pcall", redis_pcall),
    ("error_reply", redis_error_reply),
    ("status_reply", redis_status_reply),
    ("sha1hex", redis_sha1hex),
    ("log", redis_log),
    ("setresp", redis_setresp),
    ("set_repl", redis_set_repl),
    ("replicate_commands", redis_replicate_commands),
    ("breakpoint", redis_breakpoint),
    ("debug", redis_debug),
    ("acl_check_cmd", redis_acl_check_cmd),
];

/// A script's tables and closures die with it, cycles included.
impl Drop for Interp<'_> {
    fn drop(&mut self) {
        value::break_cycles();
    }
}

impl<'h> Interp<'h> {
    /// Runs a library's code with the loading `redis` table: what it
    /// registered with their callbacks, or the error's text as Redis
    /// shows it.
    fn run_library(&mut self, code: &[u8], random: &mut u64) -> Result<Vec<(Registered, Value)>, String> {
        self.chunk = "user_function".into();
        let proto = parser::parse(code, "user_function").map_err(|e| format!("{COMPILE_ERROR}{e}"))?;
        let mut loading = Table::default();
        for (name, f) in LOADING_LIB {
            loading.set(Value::str(name.as_bytes()), native(name, *f));
        }
        for key in ["LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"] {
            let v = self.redis_lib.borrow().get_str(key);
            loading.set(Value::str(key.as_bytes()), v);
        }
        loading.readonly = true;
        loading.strict = true;
        let mut env = Table::default();
        env.set(Value::str(b"redis"), Value::Table(Table::new_ref(loading)));
        env.readonly = true;
        self.load_env = Some(Table::new_ref(env));
        self.registered = Some(Vec::new());
        self.rand48 = Rand48::from_state(*random);
        // Redis gives a library's code half a second to load.
        self.step_limit = LOAD_STEP_LIMIT;
        self.limit_error = error_table("FUNCTION LOAD timeout");
        let outcome = self.call_proto(&proto, Vec::new(), Vec::new());
        *random = self.rand48.state();
        let registered = self.registered.take().unwrap_or_default();
        self.load_env = None;
        self.steps = 0;
        self.step_limit = STEP_LIMIT;
        self.limit_error = Value::str(STEP_LIMIT_ERROR.as_bytes());
        match outcome {
            Ok(_) => Ok(registered),
            Err(e) => Err(match &e.value {
                Value::Table(t) => match t.borrow().get_str("err") {
                    Value::Str(s) => String::from_utf8_lossy(&s).into_owned(),
                    _ => "ERR unknown error".into(),
                },
                other => format!("ERR {}", other.to_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_else(|| other.type_name().to_string())),
            }),
        }
    }

    /// Whether the script's calls went deeper than its stack budget.
    fn stack_exhausted(&self) -> bool {
        self.stack_base.saturating_sub(stack_position()) > STACK_BUDGET
    }

    fn new(host: &'h mut dyn Host) -> Self {
        let string_lib = library(strlib::STRING);
        let string_meta = strlib::string_metatable(&string_lib);
        let mut g = Table::default();
        for (name, f) in stdlib::BASE {
            g.set(Value::str(name.as_bytes()), native(name, *f));
        }
        let libs: [(&str, TableRef); 8] = [
            ("string", string_lib),
            ("table", library(stdlib::TABLE)),
            ("math", library(mathlib::MATH)),
            ("bit", library(mathlib::BIT)),
            ("cjson", library(cjson::CJSON)),
            ("redis", library(REDIS_LIB)),
            ("cmsgpack", library(cmsgpack::CMSGPACK)),
            ("struct", library(structlib::STRUCT)),
        ];
        for (name, lib) in libs.iter() {
            g.set(Value::str(name.as_bytes()), Value::Table(lib.clone()));
        }
        {
            let mut m = libs[2].1.borrow_mut();
            m.set(Value::str(b"pi"), Value::Num(std::f64::consts::PI));
            m.set(Value::str(b"huge"), Value::Num(f64::INFINITY));
        }
        libs[4].1.borrow_mut().set(Value::str(b"null"), cjson::NULL);
        {
            let mut r = libs[5].1.borrow_mut();
            let constants: [(&str, f64); 10] = [
                ("LOG_DEBUG", 0.0),
                ("LOG_VERBOSE", 1.0),
                ("LOG_NOTICE", 2.0),
                ("LOG_WARNING", 3.0),
                ("REPL_NONE", 0.0),
                ("REPL_AOF", 1.0),
                ("REPL_SLAVE", 2.0),
                ("REPL_REPLICA", 2.0),
                ("REPL_ALL", 3.0),
                ("REDIS_VERSION_NUM", 0x0007_000f as f64),
            ];
            for (name, n) in constants {
                r.set(Value::str(name.as_bytes()), Value::Num(n));
            }
            r.set(Value::str(b"REDIS_VERSION"), Value::str(b"7.0.15"));
        }
        g.set(Value::str(b"_VERSION"), Value::str(b"Lua 5.1"));
        let globals = Table::new_ref(g);
        // _G is the globals table itself.
        globals.borrow_mut().set(Value::str(b"_G"), Value::Table(globals.clone()));
        for (_, lib) in libs.iter() {
            lib.borrow_mut().readonly = true;
        }
        // Redis protects _G with a metatable of its own (itself read-only)
        // whose lookups of missing names fail.
        {
            let mut g = globals.borrow_mut();
            g.readonly = true;
            g.strict = true;
            let mut guard = Table::default();
            guard.readonly = true;
            g.meta = Some(Table::new_ref(guard));
        }
        let redis_lib = libs[5].1.clone();
        Interp {
            globals,
            redis_lib,
            string_meta,
            frames: Vec::new(),
            steps: 0,
            chunk: "user_script".into(),
            rand48: Rand48::from_state(RANDOM_START),
            string_bytes: 0,
            entries: 0,
            addresses: FixedHashMap::default(),
            host,
            stack_base: stack_position(),
            registered: None,
            cjson: cjson::Settings::default(),
            step_limit: STEP_LIMIT,
            limit_error: Value::str(STEP_LIMIT_ERROR.as_bytes()),
            load_env: None,
        }
    }
}

/// Error texts the redis library raises: tables, as Redis raises them.
fn raise(interp: &Interp, text: &str) -> LuaError {
    LuaError { value: error_table(text), line: interp.lua_line() }
}

fn command_args(interp: &Interp, args: &[Value]) -> Result<Vec<Vec<u8>>, LuaError> {
    if args.is_empty() {
        return Err(raise(interp, "Please specify at least one argument for this redis lib call"));
    }
    args.iter()
        .map(|a| match a {
            Value::Str(s) => Ok(s.to_vec()),
            // Not Lua's %.14g: Redis writes a number with all its digits.
            Value::Num(n) => Ok(crate::engine::numfmt::fmt_g17(*n).into_bytes()),
            _ => Err(raise(interp, "Lua redis lib command arguments must be strings or integers")),
        })
        .collect()
}

fn generic_call(interp: &mut Interp, args: Vec<Value>, raise_errors: bool) -> Result<Vec<Value>, LuaError> {
    let argv = match command_args(interp, &args) {
        Ok(a) => a,
        Err(e) if raise_errors => return Err(e),
        Err(e) => return Ok(vec![e.value]),
    };
    interp.steps += 1;
    let reply = interp.host.call(&argv);
    if let Frame::Error(text) = &reply {
        let e = command_error(text);
        if raise_errors {
            return Err(LuaError { value: e, line: interp.lua_line() });
        }
        return Ok(vec![e]);
    }
    let v = from_reply(interp, reply);
    Ok(vec![v])
}

fn redis_call(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    generic_call(interp, args, true)
}

fn redis_pcall(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    generic_call(interp, args, false)
}

fn redis_error_reply(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    match args.first() {
        Some(Value::Str(s)) if args.len() == 1 => {
            let text = String::from_utf8_lossy(s);
            let dashed = if text.starts_with('-') { text.into_owned() } else { format!("-{text}") };
            Ok(vec![error_table(&dashed)])
        }
        _ => Err(raise(interp, "wrong number or type of arguments")),
    }
}

fn redis_status_reply(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    match args.first() {
        Some(Value::Str(s)) if args.len() == 1 => Ok(vec![field_table("ok", s)]),
        _ => Err(raise(interp, "wrong number or type of arguments")),
    }
}

fn redis_sha1hex(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if args.len() != 1 {
        return Err(raise(interp, "wrong number of arguments"));
    }
    let s = args[0].to_bytes().unwrap_or_else(|| b""[..].into());
    Ok(vec![Value::str(sha1_hex(&s).as_bytes())])
}

pub fn sha1_hex(bytes: &[u8]) -> String {
    crate::engine::sha1::sha1(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn redis_log(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if args.len() < 2 {
        return Err(raise(interp, "redis.log() requires two arguments or more."));
    }
    let Value::Num(level) = args[0] else { return Err(raise(interp, "First argument must be a number (log level).")) };
    if !(0.0..=3.0).contains(&level) {
        return Err(raise(interp, "Invalid log level."));
    }
    let mut message = Vec::new();
    for (i, a) in args[1..].iter().enumerate() {
        if i > 0 {
            message.push(b' ');
        }
        if let Some(s) = a.to_bytes() {
            message.extend_from_slice(&s);
        }
    }
    interp.host.log(level as i64, &String::from_utf8_lossy(&message));
    Ok(Vec::new())
}

/// RESP3 needs the server to speak it; replies inside scripts stay RESP2.
fn redis_setresp(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if args.len() != 1 {
        return Err(raise(interp, "redis.setresp() requires one argument."));
    }
    match args[0].to_number() {
        Some(n) if n == 2.0 || n == 3.0 => Ok(Vec::new()),
        _ => Err(raise(interp, "RESP version must be 2 or 3.")),
    }
}

fn redis_set_repl(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if args.len() != 1 {
        return Err(raise(interp, "redis.set_repl() requires one argument."));
    }
    let flags = check_num(interp, &args, 0, "set_repl")? as i64;
    if !(0..=3).contains(&flags) {
        return Err(raise(interp, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."));
    }
    interp.host.set_repl(flags);
    Ok(Vec::new())
}

fn redis_replicate_commands(_interp: &mut Interp, _args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    Ok(vec![Value::Bool(true)])
}

/// Without the debugger (SCRIPT DEBUG), a breakpoint does nothing.
fn redis_breakpoint(_interp: &mut Interp, _args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    Ok(vec![Value::Bool(false)])
}

fn redis_debug(_interp: &mut Interp, _args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    Ok(Vec::new())
}

fn redis_acl_check_cmd(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    let argv = command_args(interp, &args)?;
    match interp.host.acl_check(&argv) {
        Some(allowed) => Ok(vec![Value::Bool(allowed)]),
        None => Err(raise(interp, "Invalid command passed to redis.acl_check_cmd()")),
    }
}

/// `redis.register_function('name', callback)` or
/// `redis.register_function{function_name=..., callback=..., flags=..., description=...}`.
fn redis_register_function(interp: &mut Interp, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
    if args.is_empty() || args.len() > 2 {
        return Err(raise(interp, "wrong number of arguments to redis.register_function"));
    }
    let (name, callback, description, flags) = if args.len() == 2 {
        let Value::Str(name) = &args[0] else { return Err(raise(interp, "first argument to redis.register_function must be a string")) };
        let callback @ Value::Func(_) = &args[1] else {
            return Err(raise(interp, "second argument to redis.register_function must be a function"));
        };
        (name.to_vec(), callback.clone(), None, Vec::new())
    } else {
        let Value::Table(t) = &args[0] else { return Err(raise(interp, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")) };
        let (mut name, mut callback, mut description, mut flags) = (None, None, None, Vec::new());
        let mut key = Value::Nil;
        loop {
            let entry = t.borrow().next(&key);
            let Ok(Some((k, v))) = entry else { break };
            let Value::Str(field) = &k else { return Err(raise(interp, "named argument key given to redis.register_function is not a string")) };
            match &**field {
                b"function_name" => match &v {
                    Value::Str(s) => name = Some(s.to_vec()),
                    _ => return Err(raise(interp, "function_name argument given to redis.register_function must be a string")),
                },
                b"description" => match &v {
                    Value::Str(s) => description = Some(s.to_vec()),
                    _ => return Err(raise(interp, "description argument given to redis.register_function must be a string")),
                },
                b"callback" => match &v {
                    Value::Func(_) => callback = Some(v.clone()),
                    _ => return Err(raise(interp, "callback argument given to redis.register_function must be a function")),
                },
                b"flags" => {
                    let Value::Table(list) = &v else {
                        return Err(raise(interp, "flags argument to redis.register_function must be a table representing function flags"));
                    };
                    let list = list.borrow();
                    for i in 1..=list.len() {
                        let flag = list.get(&Value::Num(i as f64));
                        let known = match &flag {
                            Value::Str(s) => SCRIPT_FLAGS.iter().find(|f| f.as_bytes() == &**s).copied(),
                            _ => None,
                        };
                        match known {
                            Some(f) => flags.push(f),
                            None => return Err(raise(interp, "unknown flag given")),
                        }
                    }
                }
                _ => return Err(raise(interp, "unknown argument given to redis.register_function")),
            }
            key = k;
        }
        let Some(name) = name else { return Err(raise(interp, "redis.register_function must get a function name argument")) };
        let Some(callback) = callback else { return Err(raise(interp, "redis.register_function must get a callback argument")) };
        (name, callback, description, flags)
    };
    if !valid_name(&name) {
        return Err(raise(interp, NAME_RULE));
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    let Some(registered) = interp.registered.as_mut() else {
        return Err(raise(interp, "redis.register_function can only be called on FUNCTION LOAD command"));
    };
    if registered.iter().any(|(r, _)| r.name.eq_ignore_ascii_case(&name)) {
        return Err(raise(interp, "Function already exists in the library"));
    }
    registered.push((Registered { name, description, flags }, callback));
    Ok(Vec::new())
}
