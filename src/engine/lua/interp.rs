//! The tree-walking interpreter: Lua 5.1's evaluation rules (coercions,
//! metatables, multiple results, closures capturing fresh locals per loop
//! iteration) and its runtime error texts, naming the variable at fault as
//! Lua does (`attempt to index field 'x' (a nil value)`).

use std::cell::RefCell;
use std::rc::Rc;

use super::format::number_to_string;
use super::parser::{BinOp, Block, Expr, Proto, Stat, UnOp, UpvalFrom};
use super::value::{Function, LuaError, Table, TableRef, Value};
use super::Interp;

type Cell = Rc<RefCell<Value>>;

pub(super) struct Frame {
    slots: Vec<Cell>,
    varargs: Vec<Value>,
    upvals: Vec<Cell>,
}

enum Flow {
    Normal,
    Break,
    Return(Vec<Value>),
}

/// Calls in progress at most, Lua functions and native ones together.
/// Real Lua lets a script recurse thousands deep; here every Lua call is
/// several calls of the interpreter, in wasm on the browser's own stack
/// too, which the stack budget does not see.
const MAX_CALLS: usize = 400;

/// A frame line that stands for a native function on the call stack.
pub const NATIVE_FRAME: u32 = u32::MAX;

fn new_cell(v: Value) -> Cell {
    Rc::new(RefCell::new(v))
}

/// How Lua names an operand in an error: `local 'a'`, `global 'x'`...
fn describe(e: &Expr) -> Option<String> {
    let name = |n: &[u8]| String::from_utf8_lossy(n).into_owned();
    match e {
        Expr::Local(_, n) => Some(format!("local '{}'", name(n))),
        Expr::Upval(_, n) => Some(format!("upvalue '{}'", name(n))),
        Expr::Global(n) => Some(format!("global '{}'", name(n))),
        Expr::Index(_, key) => match &**key {
            Expr::Str(n) => Some(format!("field '{}'", name(n))),
            _ => None,
        },
        _ => None,
    }
}

fn type_error(op: &str, e: Option<&Expr>, v: &Value) -> String {
    match e.and_then(describe) {
        Some(d) => format!("attempt to {op} {d} (a {} value)", v.type_name()),
        None => format!("attempt to {op} a {} value", v.type_name()),
    }
}

impl Interp<'_> {
    /// A runtime error at the running Lua function's current line.
    pub fn rt_error(&self, msg: String) -> LuaError {
        let line = self.lua_line();
        let value = match self.frames.last() {
            Some(&l) if l != NATIVE_FRAME => Value::Str(format!("{}:{}: {}", self.chunk, l, msg).into_bytes().into()),
            _ => Value::Str(msg.into_bytes().into()),
        };
        LuaError { value, line }
    }

    /// An error raised by a native function (luaL_error): positioned at
    /// the line of the Lua function that called it.
    pub fn error(&self, msg: impl Into<String>) -> LuaError {
        let msg = msg.into();
        let caller = self.frames.len().checked_sub(2).map(|i| self.frames[i]);
        let value = match caller {
            Some(l) if l != NATIVE_FRAME => format!("{}:{}: {}", self.chunk, l, msg),
            _ => msg,
        };
        LuaError { value: Value::Str(value.into_bytes().into()), line: self.lua_line() }
    }

    /// The current line of the innermost Lua function.
    pub fn lua_line(&self) -> u32 {
        self.frames.iter().rev().find(|&&l| l != NATIVE_FRAME).copied().unwrap_or(0)
    }

    fn set_line(&mut self, line: u32) {
        if let Some(top) = self.frames.last_mut() {
            *top = line;
        }
    }

    /// Work a native function does in a loop of its own (shifting a
    /// table's elements), counted as steps.
    pub fn charge(&mut self, steps: u64) -> Result<(), LuaError> {
        self.steps += steps;
        self.step()
    }

    fn step(&mut self) -> Result<(), LuaError> {
        self.steps += 1;
        if self.steps > self.step_limit {
            return Err(LuaError { value: self.limit_error.clone(), line: self.lua_line() });
        }
        Ok(())
    }

    pub fn call_proto(&mut self, proto: &Rc<Proto>, upvals: Vec<Cell>, mut args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
        if self.frames.len() >= MAX_CALLS || self.stack_exhausted() {
            return Err(self.rt_error("stack overflow".into()));
        }
        let params = proto.params as usize;
        let varargs = if proto.is_vararg && args.len() > params { args.split_off(params) } else { Vec::new() };
        args.resize(params, Value::Nil);
        let mut slots: Vec<Cell> = args.into_iter().map(new_cell).collect();
        slots.resize_with((proto.slots as usize).max(params), || new_cell(Value::Nil));
        let mut frame = Frame { slots, varargs, upvals };
        self.frames.push(proto.line);
        let flow = self.exec_block(&proto.body, &mut frame);
        self.frames.pop();
        match flow? {
            Flow::Return(values) => Ok(values),
            _ => Ok(Vec::new()),
        }
    }

    /// Calls any value: a function, or a table whose metatable has `__call`.
    pub fn call(&mut self, f: &Value, mut args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
        self.step()?;
        match f {
            Value::Func(func) => match &**func {
                Function::Lua { proto, upvals } => {
                    let upvals = upvals.borrow().clone();
                    self.call_proto(proto, upvals, args)
                }
                Function::Native(_, native) => self.call_native(*native, args),
                Function::Stateful(_, native, state) => {
                    let mut with_state = state.clone();
                    with_state.append(&mut args);
                    self.call_native(*native, with_state)
                }
            },
            other => match self.metamethod(other, "__call") {
                Value::Nil => Err(self.rt_error(type_error("call", None, other))),
                handler => {
                    args.insert(0, other.clone());
                    self.call(&handler, args)
                }
            },
        }
    }

    fn call_native(&mut self, native: super::value::Native, args: Vec<Value>) -> Result<Vec<Value>, LuaError> {
        if self.frames.len() >= MAX_CALLS || self.stack_exhausted() {
            return Err(self.rt_error("stack overflow".into()));
        }
        self.frames.push(NATIVE_FRAME);
        let out = native(self, args);
        self.frames.pop();
        out
    }

    pub fn metatable(&self, v: &Value) -> Option<TableRef> {
        match v {
            Value::Table(t) => t.borrow().meta.clone(),
            Value::Str(_) => Some(self.string_meta.clone()),
            _ => None,
        }
    }

    pub fn metamethod(&self, v: &Value, event: &str) -> Value {
        self.metatable(v).map(|m| m.borrow().get_str(event)).unwrap_or(Value::Nil)
    }

    /// `t[k]`, through `__index`.
    pub fn index(&mut self, obj: &Value, key: &Value, described: Option<&Expr>) -> Result<Value, LuaError> {
        let mut current = obj.clone();
        for _ in 0..100 {
            let handler = match &current {
                Value::Table(t) => {
                    let found = t.borrow().get(key);
                    if !matches!(found, Value::Nil) {
                        return Ok(found);
                    }
                    match self.metamethod(&current, "__index") {
                        Value::Nil if t.borrow().strict => {
                            let name = key.to_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                            return Err(self.rt_error(format!("Script attempted to access nonexistent global variable '{name}'")));
                        }
                        Value::Nil => return Ok(Value::Nil),
                        h => h,
                    }
                }
                other => match self.metamethod(other, "__index") {
                    Value::Nil => {
                        let d = if current.raw_eq(obj) { described } else { None };
                        return Err(self.rt_error(type_error("index", d, other)));
                    }
                    h => h,
                },
            };
            if let Value::Func(_) = handler {
                let out = self.call(&handler, vec![current.clone(), key.clone()])?;
                return Ok(out.into_iter().next().unwrap_or(Value::Nil));
            }
            current = handler;
        }
        Err(self.rt_error("loop in gettable".into()))
    }

    /// `t[k] = v`, through `__newindex`; readonly tables refuse (Redis's
    /// protection of its libraries and globals).
    pub fn set_index(&mut self, obj: &Value, key: Value, value: Value, described: Option<&Expr>) -> Result<(), LuaError> {
        let mut current = obj.clone();
        for _ in 0..100 {
            let handler = match &current {
                Value::Table(t) => {
                    if t.borrow().readonly {
                        return Err(self.rt_error("Attempt to modify a readonly table".into()));
                    }
                    let present = !matches!(t.borrow().get(&key), Value::Nil);
                    let handler = if present { Value::Nil } else { self.metamethod(&current, "__newindex") };
                    if matches!(handler, Value::Nil) {
                        return self.raw_set(t, key, value);
                    }
                    handler
                }
                other => match self.metamethod(other, "__newindex") {
                    Value::Nil => {
                        let d = if current.raw_eq(obj) { described } else { None };
                        return Err(self.rt_error(type_error("index", d, other)));
                    }
                    h => h,
                },
            };
            if let Value::Func(_) = handler {
                self.call(&handler, vec![current.clone(), key, value])?;
                return Ok(());
            }
            current = handler;
        }
        Err(self.rt_error("loop in settable".into()))
    }

    pub fn raw_set(&mut self, t: &TableRef, key: Value, value: Value) -> Result<(), LuaError> {
        match &key {
            Value::Nil => return Err(self.rt_error("table index is nil".into())),
            Value::Num(n) if n.is_nan() => return Err(self.rt_error("table index is NaN".into())),
            _ => {}
        }
        self.entries += 1;
        if self.entries > super::ENTRY_LIMIT {
            return Err(self.rt_error("not enough memory".into()));
        }
        t.borrow_mut().set(key, value);
        Ok(())
    }

    fn exec_block(&mut self, block: &Block, frame: &mut Frame) -> Result<Flow, LuaError> {
        for (line, stat) in block {
            self.set_line(*line);
            self.step()?;
            match self.exec(stat, frame)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    fn exec(&mut self, stat: &Stat, frame: &mut Frame) -> Result<Flow, LuaError> {
        match stat {
            Stat::Call(e) => {
                self.eval_multi(e, frame)?;
            }
            Stat::Local(slots, exprs) => {
                let mut values = self.eval_list(exprs, frame)?;
                values.resize(slots.len(), Value::Nil);
                for (slot, v) in slots.iter().zip(values) {
                    frame.slots[*slot as usize] = new_cell(v);
                }
            }
            Stat::LocalFunction(slot, proto) => {
                frame.slots[*slot as usize] = new_cell(Value::Nil);
                let f = self.closure(proto, frame);
                *frame.slots[*slot as usize].borrow_mut() = f;
            }
            Stat::Assign(targets, exprs) => {
                if let ([target], [expr]) = (&targets[..], &exprs[..]) {
                    let v = self.eval(expr, frame)?;
                    self.assign(target, v, frame)?;
                } else {
                    self.assign_many(targets, exprs, frame)?;
                }
            }
            Stat::Do(body) => return self.exec_block(body, frame),
            Stat::While(cond, body) => {
                while self.eval(cond, frame)?.truthy() {
                    self.step()?;
                    match self.exec_block(body, frame)? {
                        Flow::Break => break,
                        Flow::Return(v) => return Ok(Flow::Return(v)),
                        Flow::Normal => {}
                    }
                }
            }
            Stat::Repeat(body, cond) => loop {
                self.step()?;
                match self.exec_block(body, frame)? {
                    Flow::Break => break,
                    Flow::Return(v) => return Ok(Flow::Return(v)),
                    Flow::Normal => {}
                }
                if self.eval(cond, frame)?.truthy() {
                    break;
                }
            },
            Stat::If(arms, otherwise) => {
                for (cond, body) in arms {
                    if self.eval(cond, frame)?.truthy() {
                        return self.exec_block(body, frame);
                    }
                }
                if let Some(body) = otherwise {
                    return self.exec_block(body, frame);
                }
            }
            Stat::NumFor { slot, start, limit, step, body } => return self.numeric_for(*slot, start, limit, step.as_ref(), body, frame),
            Stat::GenFor { slots, exprs, body } => return self.generic_for(slots, exprs, body, frame),
            Stat::Return(exprs) => {
                // A tail call's result is the return value.
                return Ok(Flow::Return(self.eval_list(exprs, frame)?));
            }
            Stat::Break => return Ok(Flow::Break),
        }
        Ok(Flow::Normal)
    }

    #[inline(never)]
    fn assign_many(&mut self, targets: &[Expr], exprs: &[Expr], frame: &mut Frame) -> Result<(), LuaError> {
        // Every table and key is evaluated before any assignment.
        let mut places = Vec::with_capacity(targets.len());
        for t in targets {
            places.push(match t {
                Expr::Index(obj, key) => Some((self.eval(obj, frame)?, self.eval(key, frame)?)),
                _ => None,
            });
        }
        let mut values = self.eval_list(exprs, frame)?;
        values.resize(targets.len(), Value::Nil);
        for ((t, place), v) in targets.iter().zip(places).zip(values).rev() {
            match place {
                Some((obj, key)) => self.set_index(&obj, key, v, Some(t))?,
                None => self.assign(t, v, frame)?,
            }
        }
        Ok(())
    }

    #[inline(never)]
    fn numeric_for(&mut self, slot: u16, start: &Expr, limit: &Expr, step: Option<&Expr>, body: &Block, frame: &mut Frame) -> Result<Flow, LuaError> {
        let number = |me: &Self, v: Value, what: &str| {
            v.to_number().ok_or_else(|| me.rt_error(format!("'for' {what} must be a number")))
        };
        let start = self.eval(start, frame)?;
        let start = number(self, start, "initial value")?;
        let limit = self.eval(limit, frame)?;
        let limit = number(self, limit, "limit")?;
        let step = match step {
            Some(s) => {
                let s = self.eval(s, frame)?;
                number(self, s, "step")?
            }
            None => 1.0,
        };
        let mut i = start;
        while (step > 0.0 && i <= limit) || (step <= 0.0 && i >= limit) {
            self.step()?;
            frame.slots[slot as usize] = new_cell(Value::Num(i));
            match self.exec_block(body, frame)? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Flow::Return(v)),
                Flow::Normal => {}
            }
            i += step;
        }
        Ok(Flow::Normal)
    }

    #[inline(never)]
    fn generic_for(&mut self, slots: &[u16], exprs: &[Expr], body: &Block, frame: &mut Frame) -> Result<Flow, LuaError> {
        let mut init = self.eval_list(exprs, frame)?;
        init.resize(3, Value::Nil);
        let (f, state, mut control) = (init[0].clone(), init[1].clone(), init[2].clone());
        loop {
            let mut values = self.call(&f, vec![state.clone(), control.clone()])?;
            values.resize(slots.len().max(1), Value::Nil);
            if matches!(values[0], Value::Nil) {
                break;
            }
            control = values[0].clone();
            for (slot, v) in slots.iter().zip(values) {
                frame.slots[*slot as usize] = new_cell(v);
            }
            match self.exec_block(body, frame)? {
                Flow::Break => break,
                Flow::Return(v) => return Ok(Flow::Return(v)),
                Flow::Normal => {}
            }
        }
        Ok(Flow::Normal)
    }

    fn assign(&mut self, target: &Expr, v: Value, frame: &mut Frame) -> Result<(), LuaError> {
        match target {
            Expr::Local(slot, _) => *frame.slots[*slot as usize].borrow_mut() = v,
            Expr::Upval(i, _) => *frame.upvals[*i as usize].borrow_mut() = v,
            Expr::Global(name) => {
                let globals = Value::Table(self.globals.clone());
                self.set_index(&globals, Value::Str(name.clone()), v, None)?;
            }
            Expr::Index(obj, key) => {
                let o = self.eval(obj, frame)?;
                let k = self.eval(key, frame)?;
                self.set_index(&o, k, v, Some(obj))?;
            }
            _ => {}
        }
        Ok(())
    }

    fn closure(&mut self, proto: &Rc<Proto>, frame: &Frame) -> Value {
        let upvals = proto
            .upvals
            .iter()
            .map(|from| match from {
                UpvalFrom::ParentLocal(slot) => frame.slots[*slot as usize].clone(),
                UpvalFrom::ParentUpval(i) => frame.upvals[*i as usize].clone(),
            })
            .collect();
        let f = Rc::new(Function::Lua { proto: proto.clone(), upvals: RefCell::new(upvals) });
        super::value::track_closure(&f);
        Value::Func(f)
    }

    /// Every value of a list, the last expression giving all of its own.
    fn eval_list(&mut self, exprs: &[Expr], frame: &mut Frame) -> Result<Vec<Value>, LuaError> {
        let mut out = Vec::with_capacity(exprs.len());
        for (i, e) in exprs.iter().enumerate() {
            if i + 1 == exprs.len() && e.is_multi() {
                out.extend(self.eval_multi(e, frame)?);
            } else {
                out.push(self.eval(e, frame)?);
            }
        }
        Ok(out)
    }

    fn eval_multi(&mut self, e: &Expr, frame: &mut Frame) -> Result<Vec<Value>, LuaError> {
        match e {
            Expr::Vararg => Ok(frame.varargs.clone()),
            Expr::Call(f, args, line) => {
                let func = self.eval(f, frame)?;
                let args = self.eval_list(args, frame)?;
                self.set_line(*line);
                if !matches!(func, Value::Func(_)) && matches!(self.metamethod(&func, "__call"), Value::Nil) {
                    return Err(self.rt_error(type_error("call", Some(f), &func)));
                }
                self.call(&func, args)
            }
            Expr::Method(obj, name, args, line) => {
                let o = self.eval(obj, frame)?;
                let key = Value::Str(name.clone());
                let func = self.index(&o, &key, Some(obj))?;
                let mut all = vec![o];
                all.extend(self.eval_list(args, frame)?);
                self.set_line(*line);
                if !matches!(func, Value::Func(_)) && matches!(self.metamethod(&func, "__call"), Value::Nil) {
                    let msg = format!("attempt to call method '{}' (a {} value)", String::from_utf8_lossy(name), func.type_name());
                    return Err(self.rt_error(msg));
                }
                self.call(&func, all)
            }
            other => Ok(vec![self.eval(other, frame)?]),
        }
    }

    fn eval(&mut self, e: &Expr, frame: &mut Frame) -> Result<Value, LuaError> {
        Ok(match e {
            Expr::Nil => Value::Nil,
            Expr::True => Value::Bool(true),
            Expr::False => Value::Bool(false),
            Expr::Num(n) => Value::Num(*n),
            Expr::Str(s) => Value::Str(s.clone()),
            Expr::Vararg => frame.varargs.first().cloned().unwrap_or(Value::Nil),
            Expr::Function(proto) => self.closure(proto, frame),
            Expr::Local(slot, _) => frame.slots[*slot as usize].borrow().clone(),
            Expr::Upval(i, _) => frame.upvals[*i as usize].borrow().clone(),
            Expr::Global(name) => {
                let env = self.load_env.as_ref().unwrap_or(&self.globals);
                let found = env.borrow().get(&Value::Str(name.clone()));
                if matches!(found, Value::Nil) {
                    let msg = format!("Script attempted to access nonexistent global variable '{}'", String::from_utf8_lossy(name));
                    return Err(self.rt_error(msg));
                }
                found
            }
            Expr::Index(obj, key) => {
                let o = self.eval(obj, frame)?;
                let k = self.eval(key, frame)?;
                self.index(&o, &k, Some(obj))?
            }
            Expr::Call(..) | Expr::Method(..) => self.eval_multi(e, frame)?.into_iter().next().unwrap_or(Value::Nil),
            Expr::Paren(inner) => self.eval(inner, frame)?,
            Expr::Table(items, keyed, line) => self.table_constructor(items, keyed, *line, frame)?,
            Expr::Un(op, operand, line) => self.unary(*op, operand, *line, frame)?,
            Expr::Bin(BinOp::And, a, b, _) => {
                let left = self.eval(a, frame)?;
                if left.truthy() {
                    self.eval(b, frame)?
                } else {
                    left
                }
            }
            Expr::Bin(BinOp::Or, a, b, _) => {
                let left = self.eval(a, frame)?;
                if left.truthy() {
                    left
                } else {
                    self.eval(b, frame)?
                }
            }
            Expr::Bin(op, a, b, line) => {
                let x = self.eval(a, frame)?;
                let y = self.eval(b, frame)?;
                self.set_line(*line);
                self.binary(*op, x, y, a, b)?
            }
            Expr::Chain(first, rest) => {
                let mut acc = self.eval(first, frame)?;
                let mut left: &Expr = first;
                for (op, right, line) in rest {
                    acc = match op {
                        BinOp::And if !acc.truthy() => acc,
                        BinOp::Or if acc.truthy() => acc,
                        BinOp::And | BinOp::Or => self.eval(right, frame)?,
                        _ => {
                            let y = self.eval(right, frame)?;
                            self.set_line(*line);
                            self.binary(*op, acc, y, left, right)?
                        }
                    };
                    // An intermediate result has no name to report.
                    left = &Expr::Nil;
                }
                acc
            }
        })
    }

    #[inline(never)]
    fn binary(&mut self, op: BinOp, x: Value, y: Value, a: &Expr, b: &Expr) -> Result<Value, LuaError> {
        let arith = |n: f64, m: f64| -> f64 {
            let r = match op {
                BinOp::Add => n + m,
                BinOp::Sub => n - m,
                BinOp::Mul => n * m,
                BinOp::Div => n / m,
                BinOp::Mod => n - (n / m).floor() * m,
                _ => n.powf(m),
            };
            // x86's default NaN (what Redis's Lua prints as -nan), on wasm too.
            if r.is_nan() {
                -f64::NAN
            } else {
                r
            }
        };
        Ok(match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Pow => {
                if let (Value::Num(n), Value::Num(m)) = (&x, &y) {
                    return Ok(Value::Num(arith(*n, *m)));
                }
                match (x.to_number(), y.to_number()) {
                    (Some(n), Some(m)) => Value::Num(arith(n, m)),
                    (nx, _) => {
                        let event = match op {
                            BinOp::Add => "__add",
                            BinOp::Sub => "__sub",
                            BinOp::Mul => "__mul",
                            BinOp::Div => "__div",
                            BinOp::Mod => "__mod",
                            _ => "__pow",
                        };
                        match self.binary_metamethod(&x, &y, event) {
                            Value::Nil => {
                                let (bad, e) = if nx.is_none() { (&x, a) } else { (&y, b) };
                                return Err(self.rt_error(type_error("perform arithmetic on", Some(e), bad)));
                            }
                            h => self.call(&h, vec![x.clone(), y.clone()])?.into_iter().next().unwrap_or(Value::Nil),
                        }
                    }
                }
            }
            BinOp::Concat => match (x.to_bytes(), y.to_bytes()) {
                (Some(s), Some(t)) => {
                    let mut out = Vec::with_capacity(s.len() + t.len());
                    out.extend_from_slice(&s);
                    out.extend_from_slice(&t);
                    self.new_string(out)?
                }
                (sx, _) => match self.binary_metamethod(&x, &y, "__concat") {
                    Value::Nil => {
                        let (bad, e) = if sx.is_none() { (&x, a) } else { (&y, b) };
                        return Err(self.rt_error(type_error("concatenate", Some(e), bad)));
                    }
                    h => self.call(&h, vec![x.clone(), y.clone()])?.into_iter().next().unwrap_or(Value::Nil),
                },
            },
            BinOp::Eq => Value::Bool(self.equals(&x, &y)?),
            BinOp::Ne => Value::Bool(!self.equals(&x, &y)?),
            BinOp::Lt => Value::Bool(self.less_than(&x, &y)?),
            BinOp::Gt => Value::Bool(self.less_than(&y, &x)?),
            BinOp::Le => Value::Bool(self.less_equal(&x, &y)?),
            BinOp::Ge => Value::Bool(self.less_equal(&y, &x)?),
            BinOp::And | BinOp::Or => Value::Nil,
        })
    }


    #[inline(never)]
    fn table_constructor(&mut self, items: &[Expr], keyed: &[(Expr, Expr)], line: u32, frame: &mut Frame) -> Result<Value, LuaError> {
        let table = Table::new_ref(Table::default());
        let mut array = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if i + 1 == items.len() && item.is_multi() {
                array.extend(self.eval_multi(item, frame)?);
            } else {
                array.push(self.eval(item, frame)?);
            }
        }
        self.set_line(line);
        for (k, v) in keyed {
            let k = self.eval(k, frame)?;
            let v = self.eval(v, frame)?;
            self.raw_set(&table, k, v)?;
        }
        for (i, v) in array.into_iter().enumerate() {
            if !matches!(v, Value::Nil) {
                self.raw_set(&table, Value::Num((i + 1) as f64), v)?;
            }
        }
        Ok(Value::Table(table))
    }

    #[inline(never)]
    fn unary(&mut self, op: UnOp, operand: &Expr, line: u32, frame: &mut Frame) -> Result<Value, LuaError> {
        let v = self.eval(operand, frame)?;
        self.set_line(line);
        Ok(match op {
            UnOp::Not => Value::Bool(!v.truthy()),
            UnOp::Neg => match v.to_number() {
                Some(n) => Value::Num(-n),
                None => match self.metamethod(&v, "__unm") {
                    Value::Nil => return Err(self.rt_error(type_error("perform arithmetic on", Some(operand), &v))),
                    h => self.call(&h, vec![v.clone(), v])?.into_iter().next().unwrap_or(Value::Nil),
                },
            },
            UnOp::Len => match &v {
                Value::Str(s) => Value::Num(s.len() as f64),
                Value::Table(t) => Value::Num(t.borrow().len() as f64),
                _ => return Err(self.rt_error(type_error("get length of", Some(operand), &v))),
            },
        })
    }

    fn binary_metamethod(&self, x: &Value, y: &Value, event: &str) -> Value {
        match self.metamethod(x, event) {
            Value::Nil => self.metamethod(y, event),
            h => h,
        }
    }

    pub fn equals(&mut self, x: &Value, y: &Value) -> Result<bool, LuaError> {
        if x.raw_eq(y) {
            return Ok(true);
        }
        if let (Value::Table(_), Value::Table(_)) = (x, y) {
            let (hx, hy) = (self.metamethod(x, "__eq"), self.metamethod(y, "__eq"));
            if !matches!(hx, Value::Nil) && hx.raw_eq(&hy) {
                let out = self.call(&hx, vec![x.clone(), y.clone()])?;
                return Ok(out.first().is_some_and(Value::truthy));
            }
        }
        Ok(false)
    }

    fn compare_error(&self, x: &Value, y: &Value) -> LuaError {
        if x.type_name() == y.type_name() {
            self.rt_error(format!("attempt to compare two {} values", x.type_name()))
        } else {
            self.rt_error(format!("attempt to compare {} with {}", x.type_name(), y.type_name()))
        }
    }

    pub fn less_than(&mut self, x: &Value, y: &Value) -> Result<bool, LuaError> {
        match (x, y) {
            (Value::Num(a), Value::Num(b)) => Ok(a < b),
            (Value::Str(a), Value::Str(b)) => Ok(a < b),
            _ => self.order_metamethod(x, y, "__lt"),
        }
    }

    fn less_equal(&mut self, x: &Value, y: &Value) -> Result<bool, LuaError> {
        match (x, y) {
            (Value::Num(a), Value::Num(b)) => Ok(a <= b),
            (Value::Str(a), Value::Str(b)) => Ok(a <= b),
            _ => match self.order_metamethod(x, y, "__le") {
                Ok(v) => Ok(v),
                // Lua 5.1 tries `not (y < x)` when there is no __le.
                Err(_) if !matches!(self.metamethod(x, "__lt"), Value::Nil) => Ok(!self.order_metamethod(y, x, "__lt")?),
                Err(e) => Err(e),
            },
        }
    }

    fn order_metamethod(&mut self, x: &Value, y: &Value, event: &str) -> Result<bool, LuaError> {
        if x.type_name() == y.type_name() {
            let (hx, hy) = (self.metamethod(x, event), self.metamethod(y, event));
            if !matches!(hx, Value::Nil) && hx.raw_eq(&hy) {
                let out = self.call(&hx, vec![x.clone(), y.clone()])?;
                return Ok(out.first().is_some_and(Value::truthy));
            }
        }
        Err(self.compare_error(x, y))
    }

    /// A new string, refused past the size a page can hold.
    pub fn new_string(&mut self, bytes: Vec<u8>) -> Result<Value, LuaError> {
        self.string_bytes += bytes.len();
        if bytes.len() > super::STRING_LIMIT || self.string_bytes > super::STRING_TOTAL_LIMIT {
            return Err(self.error("not enough memory"));
        }
        Ok(Value::Str(bytes.into()))
    }

    /// `tostring(v)`, with `__tostring`.
    pub fn tostring(&mut self, v: &Value) -> Result<Rc<[u8]>, LuaError> {
        if let h @ Value::Func(_) = self.metamethod(v, "__tostring") {
            if !matches!(v, Value::Str(_)) {
                let out = self.call(&h, vec![v.clone()])?;
                return match out.into_iter().next() {
                    Some(Value::Str(s)) => Ok(s),
                    Some(Value::Num(n)) => Ok(number_to_string(n).into_bytes().into()),
                    _ => Err(self.error("'__tostring' must return a string")),
                };
            }
        }
        Ok(match v {
            Value::Nil => b"nil"[..].into(),
            Value::Bool(b) => if *b { &b"true"[..] } else { &b"false"[..] }.into(),
            Value::Num(n) => number_to_string(*n).into_bytes().into(),
            Value::Str(s) => s.clone(),
            Value::Table(t) => format!("table: 0x{:08x}", self.address_of(Rc::as_ptr(t) as *const u8 as usize)).into_bytes().into(),
            Value::Func(f) => format!("function: 0x{:08x}", self.address_of(Rc::as_ptr(f) as *const u8 as usize)).into_bytes().into(),
            Value::Userdata(u) => format!("userdata: 0x{:08x}", u).into_bytes().into(),
        })
    }

    /// A stand-in for an object's address in `tostring`: a number given in
    /// order of first printing, so that the same script prints the same
    /// text on every run (a real address would break replay).
    fn address_of(&mut self, pointer: usize) -> usize {
        let next = 0x0100_0000 + 0x40 * self.addresses.len();
        *self.addresses.entry(pointer).or_insert(next)
    }
}
