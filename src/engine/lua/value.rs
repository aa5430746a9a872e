//! Lua's values and tables. A table keeps 1..n in a vector and every other
//! key in a map that iterates in insertion order, so `pairs` walks the
//! same order on every run and platform (real Lua's order is its hash
//! order, which no script may rely on).

use std::cell::RefCell;
use std::rc::Rc;

use super::parser::Proto;
use super::Interp;
use crate::engine::fnv::FixedHashMap;

pub type TableRef = Rc<RefCell<Table>>;
pub type Native = fn(&mut Interp, Vec<Value>) -> Result<Vec<Value>, LuaError>;

pub enum Function {
    /// A closure; its upvalues are emptied when the script ends (see
    /// `break_cycles`).
    Lua { proto: Rc<Proto>, upvals: RefCell<Vec<Rc<RefCell<Value>>>> },
    Native(&'static str, Native),
    /// A native function with state of its own (`string.gmatch`'s iterator).
    Stateful(&'static str, Native, Vec<Value>),
}

#[derive(Clone, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Num(f64),
    Str(Rc<[u8]>),
    Table(TableRef),
    Func(Rc<Function>),
    /// A light userdata (only `cjson.null`, which holds NULL).
    Userdata(u32),
}

/// An error in flight: the value `error()` raised (or Lua's message), and
/// the line of the Lua function running when it was raised, which Redis
/// adds to the reply (`on @user_script:3.`).
pub struct LuaError {
    pub value: Value,
    pub line: u32,
}

impl Value {
    pub fn str(bytes: &[u8]) -> Value {
        Value::Str(bytes.into())
    }

    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "boolean",
            Value::Num(_) => "number",
            Value::Str(_) => "string",
            Value::Table(_) => "table",
            Value::Func(_) => "function",
            Value::Userdata(_) => "userdata",
        }
    }

    pub fn raw_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Num(a), Value::Num(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Table(a), Value::Table(b)) => Rc::ptr_eq(a, b),
            (Value::Func(a), Value::Func(b)) => Rc::ptr_eq(a, b),
            (Value::Userdata(a), Value::Userdata(b)) => a == b,
            _ => false,
        }
    }

    /// A number, or a string that reads as one (Lua's coercion).
    pub fn to_number(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Str(s) => super::lexer::str_to_number(s),
            _ => None,
        }
    }

    /// A string, or a number written as `%.14g` (Lua's coercion).
    pub fn to_bytes(&self) -> Option<Rc<[u8]>> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Num(n) => Some(super::format::number_to_string(*n).into_bytes().into()),
            _ => None,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Bool(bool),
    Num(u64),
    Str(Rc<[u8]>),
    Ref(usize),
    Userdata(u32),
}

fn key_of(v: &Value) -> Option<Key> {
    Some(match v {
        Value::Nil => return None,
        Value::Bool(b) => Key::Bool(*b),
        Value::Num(n) => Key::Num(if *n == 0.0 { 0 } else { n.to_bits() }),
        Value::Str(s) => Key::Str(s.clone()),
        Value::Table(t) => Key::Ref(Rc::as_ptr(t) as *const u8 as usize),
        Value::Func(f) => Key::Ref(Rc::as_ptr(f) as *const u8 as usize),
        Value::Userdata(u) => Key::Userdata(*u),
    })
}

/// The array index a key stands for (1-based), if it is a whole number.
fn array_index(v: &Value) -> Option<usize> {
    match v {
        Value::Num(n) if *n >= 1.0 && n.fract() == 0.0 && *n < 4_294_967_296.0 => Some(*n as usize),
        _ => None,
    }
}

#[derive(Default)]
pub struct Table {
    pub array: Vec<Value>,
    hash: FixedHashMap<Key, (Value, Value)>,
    pub meta: Option<TableRef>,
    pub readonly: bool,
    /// Keys of `hash` whose value was set to nil and not yet dropped.
    removed: usize,
    /// Made by `new_ref`, so counted in `tables_alive`.
    counted: bool,
    /// Reading a missing key is an error (the `redis` table a library's
    /// code sees while FUNCTION LOAD runs it).
    pub strict: bool,
}

impl Table {
    pub fn new_ref(mut table: Table) -> TableRef {
        table.counted = true;
        TABLES_ALIVE.with(|n| n.set(n.get() + 1));
        let t = Rc::new(RefCell::new(table));
        track(&LIVE_TABLES, Rc::downgrade(&t));
        t
    }

    pub fn from_array(array: Vec<Value>) -> Table {
        let mut t = Table::default();
        t.array = array;
        t.trim();
        t
    }

    pub fn get(&self, key: &Value) -> Value {
        if let Some(i) = array_index(key) {
            if i <= self.array.len() {
                return self.array[i - 1].clone();
            }
        }
        match key_of(key) {
            Some(k) => self.hash.get(&k).map(|(_, v)| v.clone()).unwrap_or(Value::Nil),
            None => Value::Nil,
        }
    }

    pub fn get_str(&self, key: &str) -> Value {
        self.hash.get(&Key::Str(key.as_bytes().into())).map(|(_, v)| v.clone()).unwrap_or(Value::Nil)
    }

    /// Sets a key (the caller has refused nil and NaN keys).
    pub fn set(&mut self, key: Value, value: Value) {
        if let Some(i) = array_index(&key) {
            if i <= self.array.len() {
                self.array[i - 1] = value;
                self.trim();
                return;
            }
            if i == self.array.len() + 1 && !matches!(value, Value::Nil) {
                self.array.push(value);
                if let Some(k) = key_of(&key) {
                    if let Some((_, Value::Nil)) = self.hash.shift_remove(&k) {
                        self.removed -= 1;
                    }
                }
                // Keys that now follow the array move into it.
                loop {
                    let next = Key::Num((self.array.len() as f64 + 1.0).to_bits());
                    match self.hash.shift_remove(&next) {
                        Some((_, Value::Nil)) => {
                            self.removed -= 1;
                            break;
                        }
                        Some((_, v)) => self.array.push(v),
                        None => break,
                    }
                }
                return;
            }
        }
        let Some(k) = key_of(&key) else { return };
        match value {
            Value::Nil => {
                // A removed key stays until the next insert of a new key,
                // so `next` can go on from it in a traversal that clears.
                if let Some(entry) = self.hash.get_mut(&k) {
                    if !matches!(entry.1, Value::Nil) {
                        entry.1 = Value::Nil;
                        self.removed += 1;
                    }
                }
            }
            value => {
                match self.hash.get_mut(&k) {
                    Some(entry) => {
                        if matches!(entry.1, Value::Nil) {
                            self.removed -= 1;
                        }
                        entry.1 = value;
                    }
                    None => {
                        // Removed keys are dropped once they are half the map.
                        if self.removed > 16 && self.removed * 2 > self.hash.len() {
                            self.hash.retain(|_, (_, v)| !matches!(v, Value::Nil));
                            self.removed = 0;
                        }
                        self.hash.insert(k, (key, value));
                    }
                }
            }
        }
    }

    fn trim(&mut self) {
        while matches!(self.array.last(), Some(Value::Nil)) {
            self.array.pop();
        }
    }

    /// The `#` border: the array part's length.
    pub fn len(&self) -> usize {
        self.array.len()
    }

    /// `next(t, key)`: the entry after `key` (array first, then the rest in
    /// insertion order), or None at the end; Err for a key not in the table.
    pub fn next(&self, key: &Value) -> Result<Option<(Value, Value)>, ()> {
        let mut start_hash = 0;
        match key {
            Value::Nil => {}
            k => {
                let in_array = array_index(k).filter(|&i| i <= self.array.len());
                if let Some(i) = in_array {
                    for (j, v) in self.array.iter().enumerate().skip(i) {
                        if !matches!(v, Value::Nil) {
                            return Ok(Some((Value::Num((j + 1) as f64), v.clone())));
                        }
                    }
                } else {
                    let Some(k) = key_of(k) else { return Err(()) };
                    let Some(index) = self.hash.get_index_of(&k) else { return Err(()) };
                    start_hash = index + 1;
                }
                if in_array.is_none() {
                    return Ok(self.hash_from(start_hash));
                }
                return Ok(self.hash_from(0));
            }
        }
        for (j, v) in self.array.iter().enumerate() {
            if !matches!(v, Value::Nil) {
                return Ok(Some((Value::Num((j + 1) as f64), v.clone())));
            }
        }
        Ok(self.hash_from(start_hash))
    }

    fn hash_from(&self, start: usize) -> Option<(Value, Value)> {
        (start..self.hash.len())
            .filter_map(|i| self.hash.get_index(i))
            .find(|(_, (_, v))| !matches!(v, Value::Nil))
            .map(|(_, (k, v))| (k.clone(), v.clone()))
    }

    /// The largest positive numeric key (`table.maxn`).
    pub fn maxn(&self) -> f64 {
        let mut max = self.array.len() as f64;
        for (_, (k, v)) in &self.hash {
            if let (Value::Num(n), false) = (k, matches!(v, Value::Nil)) {
                max = max.max(*n);
            }
        }
        max
    }
}

thread_local! {
    /// Every table and closure the running script made: Lua collects
    /// cycles (a table holding itself, a recursive local function holding
    /// its own cell), reference counting does not, so what a script made
    /// is taken apart when it ends.
    static LIVE_TABLES: RefCell<Vec<std::rc::Weak<RefCell<Table>>>> = const { RefCell::new(Vec::new()) };
    static LIVE_CLOSURES: RefCell<Vec<std::rc::Weak<Function>>> = const { RefCell::new(Vec::new()) };
    static TABLES_ALIVE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many Lua tables exist on this thread (none once scripts ended:
/// the test that nothing leaks).
pub fn tables_alive() -> usize {
    TABLES_ALIVE.with(|n| n.get())
}

fn track<T>(registry: &'static std::thread::LocalKey<RefCell<Vec<std::rc::Weak<T>>>>, item: std::rc::Weak<T>) {
    registry.with(|live| {
        let mut live = live.borrow_mut();
        // Forget the ones already gone before growing.
        if live.len() >= 1024 && live.len() == live.capacity() {
            live.retain(|w| w.strong_count() > 0);
        }
        live.push(item);
    });
}

pub fn track_closure(f: &Rc<Function>) {
    track(&LIVE_CLOSURES, Rc::downgrade(f));
}

/// Empties every table and closure still alive from the script that
/// ended, so that the cycles among them are freed.
pub fn break_cycles() {
    let tables = LIVE_TABLES.with(|live| std::mem::take(&mut *live.borrow_mut()));
    let closures = LIVE_CLOSURES.with(|live| std::mem::take(&mut *live.borrow_mut()));
    let mut pending = Vec::new();
    for t in tables.iter().filter_map(std::rc::Weak::upgrade) {
        if let Ok(mut t) = t.try_borrow_mut() {
            t.give_up(&mut pending);
        }
    }
    for f in closures.iter().filter_map(std::rc::Weak::upgrade) {
        for cell in f.upvals_taken() {
            if let Ok(mut v) = cell.try_borrow_mut() {
                pending.push(std::mem::take(&mut *v));
            }
        }
    }
    drop(tables);
    drop(closures);
    dismantle(pending);
}

impl Function {
    fn upvals_taken(&self) -> Vec<Rc<RefCell<Value>>> {
        match self {
            Function::Lua { upvals, .. } => upvals.take(),
            _ => Vec::new(),
        }
    }
}

/// Takes apart values whose last owner is going, one at a time: a chain
/// of a million nested tables (`t = {t}` in a loop) or of closures each
/// holding the last would otherwise be dropped a million calls deep.
fn dismantle(mut pending: Vec<Value>) {
    while let Some(value) = pending.pop() {
        match value {
            Value::Table(t) => {
                if let Ok(cell) = Rc::try_unwrap(t) {
                    cell.into_inner().give_up(&mut pending);
                }
            }
            Value::Func(f) => {
                if let Ok(mut f) = Rc::try_unwrap(f) {
                    f.give_up(&mut pending);
                }
            }
            _ => {}
        }
    }
}

impl Table {
    fn give_up(&mut self, into: &mut Vec<Value>) {
        into.append(&mut self.array);
        into.extend(self.hash.drain(..).flat_map(|(_, (k, v))| [k, v]));
        if let Some(meta) = self.meta.take() {
            into.push(Value::Table(meta));
        }
    }
}

impl Function {
    fn give_up(&mut self, into: &mut Vec<Value>) {
        let cells = match self {
            Function::Lua { upvals, .. } => upvals.take(),
            Function::Stateful(_, _, state) => {
                into.append(state);
                Vec::new()
            }
            Function::Native(..) => Vec::new(),
        };
        for cell in cells {
            if let Ok(cell) = Rc::try_unwrap(cell) {
                into.push(cell.into_inner());
            }
        }
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        if self.counted {
            TABLES_ALIVE.with(|n| n.set(n.get().saturating_sub(1)));
        }
        let mut pending = Vec::new();
        self.give_up(&mut pending);
        dismantle(pending);
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let mut pending = Vec::new();
        self.give_up(&mut pending);
        dismantle(pending);
    }
}
