//! Lua 5.1's grammar into a tree the interpreter walks. Names are resolved
//! here, as Lua's compiler resolves them: a local is a slot of its
//! function's frame, a captured one an upvalue, anything else a global.
//! Syntax errors carry Lua's own wording, which Redis shows the client.

use std::rc::Rc;

use super::lexer::{Lexer, Tok, Token};

pub type Name = Rc<[u8]>;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Concat,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnOp {
    Neg,
    Not,
    Len,
}

#[derive(Debug)]
pub enum Expr {
    Nil,
    True,
    False,
    Num(f64),
    Str(Name),
    Vararg,
    Function(Rc<Proto>),
    Local(u16, Name),
    Upval(u16, Name),
    Global(Name),
    Index(Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Expr>, u32),
    Method(Box<Expr>, Name, Vec<Expr>, u32),
    Bin(BinOp, Box<Expr>, Box<Expr>, u32),
    /// `a + b - c ...`: operators applied left to right to the first
    /// operand, kept flat so a long chain is neither walked nor freed
    /// by recursion.
    Chain(Box<Expr>, Vec<(BinOp, Expr, u32)>),
    Un(UnOp, Box<Expr>, u32),
    Table(Vec<Expr>, Vec<(Expr, Expr)>, u32),
    /// `(f())`: one value only.
    Paren(Box<Expr>),
}

impl Expr {
    /// Whether the expression may give several values (a call or `...`
    /// last in a list).
    pub fn is_multi(&self) -> bool {
        matches!(self, Expr::Call(..) | Expr::Method(..) | Expr::Vararg)
    }
}

#[derive(Debug)]
pub enum Stat {
    Call(Expr),
    Local(Vec<u16>, Vec<Expr>),
    Assign(Vec<Expr>, Vec<Expr>),
    Do(Block),
    While(Expr, Block),
    Repeat(Block, Expr),
    If(Vec<(Expr, Block)>, Option<Block>),
    NumFor { slot: u16, start: Expr, limit: Expr, step: Option<Expr>, body: Block },
    GenFor { slots: Vec<u16>, exprs: Vec<Expr>, body: Block },
    Return(Vec<Expr>),
    Break,
    LocalFunction(u16, Rc<Proto>),
}

pub type Block = Vec<(u32, Stat)>;

#[derive(Debug, Clone, Copy)]
pub enum UpvalFrom {
    ParentLocal(u16),
    ParentUpval(u16),
}

#[derive(Debug)]
pub struct Proto {
    pub params: u16,
    pub is_vararg: bool,
    pub slots: u16,
    pub upvals: Vec<UpvalFrom>,
    pub body: Block,
    pub line: u32,
}

struct FuncState {
    actives: Vec<(Name, u16)>,
    slots: u16,
    upvals: Vec<(Name, UpvalFrom)>,
    is_vararg: bool,
    loops: usize,
}

enum Resolved {
    Local(u16),
    Upval(u16),
    Global,
}

/// Nesting deeper than this is refused (Lua's LUAI_MAXCCALLS): the parser
/// and the interpreter recurse, and a page's stack is small.
pub const MAX_DEPTH: usize = 200;

pub struct Parser<'a> {
    lexer: Lexer<'a>,
    chunk: &'a str,
    current: Token,
    ahead: Option<Token>,
    funcs: Vec<FuncState>,
    depth: usize,
    stack_base: usize,
}

/// The chunk's main function (a vararg function of no parameters).
pub fn parse(src: &[u8], chunk: &str) -> Result<Rc<Proto>, String> {
    let mut lexer = Lexer::new(src, chunk);
    let current = lexer.next_token()?;
    let mut parser = Parser { lexer, chunk, current, ahead: None, funcs: Vec::new(), depth: 0, stack_base: super::stack_position() };
    parser.funcs.push(FuncState { actives: Vec::new(), slots: 0, upvals: Vec::new(), is_vararg: true, loops: 0 });
    let body = parser.block()?;
    if parser.current.tok != Tok::Eof {
        return Err(parser.error_near("'<eof>' expected"));
    }
    let state = parser.funcs.pop().expect("main function state");
    Ok(Rc::new(Proto { params: 0, is_vararg: true, slots: state.slots, upvals: Vec::new(), body, line: 0 }))
}

impl<'a> Parser<'a> {
    fn error_near(&self, msg: &str) -> String {
        format!("{}:{}: {} near '{}'", self.chunk, self.current.line, msg, self.current.text)
    }

    fn advance(&mut self) -> Result<Token, String> {
        let next = match self.ahead.take() {
            Some(t) => t,
            None => self.lexer.next_token()?,
        };
        Ok(std::mem::replace(&mut self.current, next))
    }

    fn peek_ahead(&mut self) -> Result<&Tok, String> {
        if self.ahead.is_none() {
            self.ahead = Some(self.lexer.next_token()?);
        }
        Ok(&self.ahead.as_ref().expect("just filled").tok)
    }

    fn is(&self, sym: &str) -> bool {
        matches!(self.current.tok, Tok::Sym(s) if s == sym)
    }

    fn accept(&mut self, sym: &str) -> Result<bool, String> {
        if self.is(sym) {
            self.advance()?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn expect(&mut self, sym: &str) -> Result<(), String> {
        if self.accept(sym)? {
            Ok(())
        } else {
            Err(self.error_near(&format!("'{sym}' expected")))
        }
    }

    /// `end` (or `until`, `)`...) closing what opened on `line`.
    fn expect_match(&mut self, what: &str, opener: &str, line: u32) -> Result<(), String> {
        if self.accept(what)? {
            return Ok(());
        }
        if line == self.current.line {
            Err(self.error_near(&format!("'{what}' expected")))
        } else {
            Err(self.error_near(&format!("'{what}' expected (to close '{opener}' at line {line})")))
        }
    }

    fn name(&mut self) -> Result<Name, String> {
        match &self.current.tok {
            Tok::Name(n) => {
                let n = n.clone();
                self.advance()?;
                Ok(n)
            }
            _ => Err(self.error_near("<name> expected")),
        }
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH || self.stack_base.saturating_sub(super::stack_position()) > super::STACK_BUDGET {
            return Err(format!("{}:{}: chunk has too many syntax levels", self.chunk, self.current.line));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn func(&mut self) -> &mut FuncState {
        self.funcs.last_mut().expect("a function is being parsed")
    }

    fn declare(&mut self, name: Name) -> u16 {
        let f = self.func();
        let slot = f.actives.len() as u16;
        f.actives.push((name, slot));
        f.slots = f.slots.max(slot + 1);
        slot
    }

    fn resolve_in(&mut self, level: usize, name: &[u8]) -> Resolved {
        let f = &self.funcs[level];
        if let Some((_, slot)) = f.actives.iter().rev().find(|(n, _)| &**n == name) {
            return Resolved::Local(*slot);
        }
        if let Some(i) = f.upvals.iter().position(|(n, _)| &**n == name) {
            return Resolved::Upval(i as u16);
        }
        if level == 0 {
            return Resolved::Global;
        }
        let from = match self.resolve_in(level - 1, name) {
            Resolved::Local(slot) => UpvalFrom::ParentLocal(slot),
            Resolved::Upval(i) => UpvalFrom::ParentUpval(i),
            Resolved::Global => return Resolved::Global,
        };
        let f = &mut self.funcs[level];
        f.upvals.push((name.into(), from));
        Resolved::Upval((f.upvals.len() - 1) as u16)
    }

    fn variable(&mut self, name: Name) -> Expr {
        let level = self.funcs.len() - 1;
        match self.resolve_in(level, &name) {
            Resolved::Local(slot) => Expr::Local(slot, name),
            Resolved::Upval(i) => Expr::Upval(i, name),
            Resolved::Global => Expr::Global(name),
        }
    }

    fn block_follows(&self) -> bool {
        matches!(self.current.tok, Tok::Eof) || ["else", "elseif", "end", "until"].iter().any(|s| self.is(s))
    }

    /// A block in its own scope: its locals end with it.
    fn scoped_block(&mut self) -> Result<Block, String> {
        let mark = self.func().actives.len();
        let block = self.block();
        self.func().actives.truncate(mark);
        block
    }

    fn block(&mut self) -> Result<Block, String> {
        self.enter()?;
        let mut out = Vec::new();
        while !self.block_follows() {
            let line = self.current.line;
            if self.is("return") {
                self.advance()?;
                let exprs = if self.block_follows() || self.is(";") { Vec::new() } else { self.expr_list()? };
                self.accept(";")?;
                out.push((line, Stat::Return(exprs)));
                break;
            }
            if self.is("break") {
                self.advance()?;
                if self.func().loops == 0 {
                    return Err(format!("{}:{}: no loop to break near '{}'", self.chunk, self.current.line, self.current.text));
                }
                self.accept(";")?;
                out.push((line, Stat::Break));
                break;
            }
            let stat = self.statement()?;
            self.accept(";")?;
            out.push((line, stat));
        }
        self.leave();
        Ok(out)
    }

    fn looped(&mut self) -> Result<Block, String> {
        self.func().loops += 1;
        // On an error the parse ends: nothing is undone.
        let body = self.scoped_block()?;
        self.func().loops -= 1;
        Ok(body)
    }

    fn statement(&mut self) -> Result<Stat, String> {
        let line = self.current.line;
        let Tok::Sym(sym) = self.current.tok else { return self.expr_statement() };
        match sym {
            "if" => {
                self.advance()?;
                let mut arms = Vec::new();
                let cond = self.expr()?;
                self.expect("then")?;
                arms.push((cond, self.scoped_block()?));
                let mut otherwise = None;
                loop {
                    if self.accept("elseif")? {
                        let cond = self.expr()?;
                        self.expect("then")?;
                        arms.push((cond, self.scoped_block()?));
                    } else if self.accept("else")? {
                        otherwise = Some(self.scoped_block()?);
                        self.expect_match("end", "if", line)?;
                        break;
                    } else {
                        self.expect_match("end", "if", line)?;
                        break;
                    }
                }
                Ok(Stat::If(arms, otherwise))
            }
            "while" => {
                self.advance()?;
                let cond = self.expr()?;
                self.expect("do")?;
                let body = self.looped()?;
                self.expect_match("end", "while", line)?;
                Ok(Stat::While(cond, body))
            }
            "do" => {
                self.advance()?;
                let body = self.scoped_block()?;
                self.expect_match("end", "do", line)?;
                Ok(Stat::Do(body))
            }
            "for" => self.for_statement(line),
            "repeat" => {
                self.advance()?;
                // The condition sees the body's locals.
                let mark = self.func().actives.len();
                self.func().loops += 1;
                let body = self.block()?;
                self.func().loops -= 1;
                self.expect_match("until", "repeat", line)?;
                let cond = self.expr()?;
                self.func().actives.truncate(mark);
                Ok(Stat::Repeat(body, cond))
            }
            "function" => {
                self.advance()?;
                let first = self.name()?;
                let mut target = self.variable(first);
                let mut is_method = false;
                loop {
                    if self.accept(".")? {
                        let key = self.name()?;
                        target = Expr::Index(Box::new(target), Box::new(Expr::Str(key)));
                    } else if self.accept(":")? {
                        let key = self.name()?;
                        target = Expr::Index(Box::new(target), Box::new(Expr::Str(key)));
                        is_method = true;
                        break;
                    } else {
                        break;
                    }
                }
                let proto = self.function_body(is_method, line)?;
                Ok(Stat::Assign(vec![target], vec![Expr::Function(proto)]))
            }
            "local" => {
                self.advance()?;
                if self.accept("function")? {
                    let name = self.name()?;
                    // The function sees its own name (recursion).
                    let slot = self.declare(name);
                    let proto = self.function_body(false, line)?;
                    return Ok(Stat::LocalFunction(slot, proto));
                }
                let mut names = vec![self.name()?];
                while self.accept(",")? {
                    names.push(self.name()?);
                }
                let exprs = if self.accept("=")? { self.expr_list()? } else { Vec::new() };
                let slots = names.into_iter().map(|n| self.declare(n)).collect();
                Ok(Stat::Local(slots, exprs))
            }
            _ => self.expr_statement(),
        }
    }

    fn for_statement(&mut self, line: u32) -> Result<Stat, String> {
        self.advance()?;
        let first = self.name()?;
        if self.accept("=")? {
            let start = self.expr()?;
            self.expect(",")?;
            let limit = self.expr()?;
            let step = if self.accept(",")? { Some(self.expr()?) } else { None };
            self.expect("do")?;
            let mark = self.func().actives.len();
            let slot = self.declare(first);
            let body = self.looped()?;
            self.func().actives.truncate(mark);
            self.expect_match("end", "for", line)?;
            return Ok(Stat::NumFor { slot, start, limit, step, body });
        }
        if !self.is(",") && !self.is("in") {
            return Err(self.error_near("'=' or 'in' expected"));
        }
        let mut names = vec![first];
        while self.accept(",")? {
            names.push(self.name()?);
        }
        self.expect("in")?;
        let exprs = self.expr_list()?;
        self.expect("do")?;
        let mark = self.func().actives.len();
        let slots = names.into_iter().map(|n| self.declare(n)).collect();
        let body = self.looped()?;
        self.func().actives.truncate(mark);
        self.expect_match("end", "for", line)?;
        Ok(Stat::GenFor { slots, exprs, body })
    }

    fn expr_statement(&mut self) -> Result<Stat, String> {
        let first = self.suffixed_expr()?;
        if self.is("=") || self.is(",") {
            let mut targets = vec![first];
            while self.accept(",")? {
                targets.push(self.suffixed_expr()?);
            }
            for t in &targets {
                if !matches!(t, Expr::Local(..) | Expr::Upval(..) | Expr::Global(_) | Expr::Index(..)) {
                    return Err(self.error_near("syntax error"));
                }
            }
            self.expect("=")?;
            let exprs = self.expr_list()?;
            return Ok(Stat::Assign(targets, exprs));
        }
        if !matches!(first, Expr::Call(..) | Expr::Method(..)) {
            return Err(self.error_near("syntax error"));
        }
        Ok(Stat::Call(first))
    }

    fn function_body(&mut self, is_method: bool, line: u32) -> Result<Rc<Proto>, String> {
        self.enter()?;
        self.funcs.push(FuncState { actives: Vec::new(), slots: 0, upvals: Vec::new(), is_vararg: false, loops: 0 });
        let parsed = self.function_inside(is_method, line);
        // The function's own state goes, whether or not it parsed.
        let state = self.funcs.pop().expect("function state pushed above");
        let (params, body) = parsed?;
        self.leave();
        Ok(Rc::new(Proto {
            params,
            is_vararg: state.is_vararg,
            slots: state.slots,
            upvals: state.upvals.into_iter().map(|(_, from)| from).collect(),
            body,
            line,
        }))
    }

    /// A function's parameters, body and `end`.
    fn function_inside(&mut self, is_method: bool, line: u32) -> Result<(u16, Block), String> {
        if is_method {
            self.declare(b"self"[..].into());
        }
        self.expect("(")?;
        if !self.is(")") {
            loop {
                if self.accept("...")? {
                    self.func().is_vararg = true;
                    break;
                }
                let name = self.name()?;
                self.declare(name);
                if !self.accept(",")? {
                    break;
                }
            }
        }
        let params = self.func().actives.len() as u16;
        self.expect(")")?;
        let body = self.block()?;
        self.expect_match("end", "function", line)?;
        Ok((params, body))
    }

    fn expr_list(&mut self) -> Result<Vec<Expr>, String> {
        let mut out = vec![self.expr()?];
        while self.accept(",")? {
            out.push(self.expr()?);
        }
        Ok(out)
    }

    fn primary_expr(&mut self) -> Result<Expr, String> {
        match &self.current.tok {
            Tok::Name(n) => {
                let n = n.clone();
                self.advance()?;
                Ok(self.variable(n))
            }
            Tok::Sym("(") => {
                let line = self.current.line;
                self.advance()?;
                let inner = self.expr()?;
                self.expect_match(")", "(", line)?;
                Ok(Expr::Paren(Box::new(inner)))
            }
            _ => Err(self.error_near("unexpected symbol")),
        }
    }

    fn suffixed_expr(&mut self) -> Result<Expr, String> {
        let mut e = self.primary_expr()?;
        loop {
            let line = self.current.line;
            match self.current.tok {
                Tok::Sym(".") => {
                    self.advance()?;
                    let key = self.name()?;
                    e = Expr::Index(Box::new(e), Box::new(Expr::Str(key)));
                }
                Tok::Sym("[") => {
                    self.advance()?;
                    let key = self.expr()?;
                    self.expect("]")?;
                    e = Expr::Index(Box::new(e), Box::new(key));
                }
                Tok::Sym(":") => {
                    self.advance()?;
                    let name = self.name()?;
                    let args = self.call_args(line)?;
                    e = Expr::Method(Box::new(e), name, args, line);
                }
                Tok::Sym("(") | Tok::Sym("{") | Tok::Str(_) => {
                    let args = self.call_args(line)?;
                    e = Expr::Call(Box::new(e), args, line);
                }
                _ => return Ok(e),
            }
        }
    }

    fn call_args(&mut self, line: u32) -> Result<Vec<Expr>, String> {
        match &self.current.tok {
            Tok::Str(s) => {
                let s = s.clone();
                self.advance()?;
                Ok(vec![Expr::Str(s)])
            }
            Tok::Sym("{") => Ok(vec![self.table()?]),
            Tok::Sym("(") => {
                if line != self.current.line {
                    return Err(format!(
                        "{}:{}: ambiguous syntax (function call x new statement) near '('",
                        self.chunk, self.current.line
                    ));
                }
                self.advance()?;
                let args = if self.is(")") { Vec::new() } else { self.expr_list()? };
                self.expect_match(")", "(", line)?;
                Ok(args)
            }
            _ => Err(self.error_near("function arguments expected")),
        }
    }

    fn table(&mut self) -> Result<Expr, String> {
        let line = self.current.line;
        self.expect("{")?;
        let (mut items, mut keyed) = (Vec::new(), Vec::new());
        while !self.is("}") {
            let named_key = match &self.current.tok {
                Tok::Name(n) => Some(n.clone()),
                _ => None,
            };
            let keyed_by_name = named_key.is_some() && matches!(self.peek_ahead()?, Tok::Sym("="));
            match &self.current.tok {
                Tok::Name(n) if keyed_by_name => {
                    let key = Expr::Str(n.clone());
                    self.advance()?;
                    self.advance()?;
                    keyed.push((key, self.expr()?));
                }
                Tok::Sym("[") => {
                    self.advance()?;
                    let key = self.expr()?;
                    self.expect("]")?;
                    self.expect("=")?;
                    keyed.push((key, self.expr()?));
                }
                _ => items.push(self.expr()?),
            }
            if !self.accept(",")? && !self.accept(";")? {
                break;
            }
        }
        self.expect_match("}", "{", line)?;
        Ok(Expr::Table(items, keyed, line))
    }

    fn simple_expr(&mut self) -> Result<Expr, String> {
        let e = match &self.current.tok {
            Tok::Num(n) => Expr::Num(*n),
            Tok::Str(s) => Expr::Str(s.clone()),
            Tok::Sym("nil") => Expr::Nil,
            Tok::Sym("true") => Expr::True,
            Tok::Sym("false") => Expr::False,
            Tok::Sym("...") => {
                if !self.func().is_vararg {
                    return Err(self.error_near("cannot use '...' outside a vararg function"));
                }
                Expr::Vararg
            }
            Tok::Sym("{") => return self.table(),
            Tok::Sym("function") => {
                let line = self.current.line;
                self.advance()?;
                return Ok(Expr::Function(self.function_body(false, line)?));
            }
            _ => return self.suffixed_expr(),
        };
        self.advance()?;
        Ok(e)
    }

    pub fn expr(&mut self) -> Result<Expr, String> {
        self.sub_expr(0)
    }

    fn sub_expr(&mut self, limit: u8) -> Result<Expr, String> {
        self.enter()?;
        let line = self.current.line;
        let unary = match self.current.tok {
            Tok::Sym("not") => Some(UnOp::Not),
            Tok::Sym("-") => Some(UnOp::Neg),
            Tok::Sym("#") => Some(UnOp::Len),
            _ => None,
        };
        let left = match unary {
            Some(op) => {
                self.advance()?;
                let operand = self.sub_expr(8)?;
                match (op, operand) {
                    (UnOp::Neg, Expr::Num(n)) => Expr::Num(-n),
                    (op, operand) => Expr::Un(op, Box::new(operand), line),
                }
            }
            None => self.simple_expr()?,
        };
        let mut rest = Vec::new();
        loop {
            let Some((op, left_priority, right_priority)) = self.binary_op() else { break };
            if left_priority <= limit {
                break;
            }
            let line = self.current.line;
            self.advance()?;
            rest.push((op, self.sub_expr(right_priority)?, line));
        }
        self.leave();
        Ok(match rest.len() {
            0 => left,
            1 => {
                let (op, right, line) = rest.pop().expect("one operator");
                Expr::Bin(op, Box::new(left), Box::new(right), line)
            }
            _ => Expr::Chain(Box::new(left), rest),
        })
    }

    fn binary_op(&self) -> Option<(BinOp, u8, u8)> {
        let Tok::Sym(s) = self.current.tok else { return None };
        Some(match s {
            "+" => (BinOp::Add, 6, 6),
            "-" => (BinOp::Sub, 6, 6),
            "*" => (BinOp::Mul, 7, 7),
            "/" => (BinOp::Div, 7, 7),
            "%" => (BinOp::Mod, 7, 7),
            "^" => (BinOp::Pow, 10, 9),
            ".." => (BinOp::Concat, 5, 4),
            "==" => (BinOp::Eq, 3, 3),
            "~=" => (BinOp::Ne, 3, 3),
            "<" => (BinOp::Lt, 3, 3),
            "<=" => (BinOp::Le, 3, 3),
            ">" => (BinOp::Gt, 3, 3),
            ">=" => (BinOp::Ge, 3, 3),
            "and" => (BinOp::And, 2, 2),
            "or" => (BinOp::Or, 1, 1),
            _ => return None,
        })
    }
}
