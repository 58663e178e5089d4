//! HCL's tokens, as hclsyntax's scanner cuts them: punctuation and
//! operators, identifiers, numbers, comments (a line comment owns its line
//! break), quoted templates and heredocs with their literal parts and
//! `${`/`%{` sequences. Whitespace between tokens is dropped: the layout
//! recomputes it. Concatenating the tokens' texts with the original
//! spacing gives the source back.

/// A token's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum K {
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    OQuote,
    CQuote,
    OHeredoc,
    CHeredoc,
    /// `${` or `${~`.
    Interp,
    /// `%{` or `%{~`.
    Control,
    /// The `}` or `~}` ending a template sequence.
    SeqEnd,
    QuotedLit,
    StringLit,
    Ident,
    Number,
    Equal,
    Op,
    Bang,
    Minus,
    Dot,
    Comma,
    Colon,
    Question,
    Ellipsis,
    FatArrow,
    Comment,
    Newline,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: K,
    pub text: String,
    /// Spaces the layout puts before it.
    pub spaces: usize,
}

impl Token {
    /// Whether the token ends a line.
    pub fn is_newline(&self) -> bool {
        self.kind == K::Newline || (self.kind == K::Comment && self.text.ends_with('\n'))
    }

    /// How the token changes the bracket depth.
    pub fn bracket_change(&self) -> i32 {
        match self.kind {
            K::OBrace | K::OBrack | K::OParen | K::Interp | K::Control => 1,
            K::CBrace | K::CBrack | K::CParen | K::SeqEnd => -1,
            _ => 0,
        }
    }
}

/// What a `}` closes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Open {
    Brace,
    Template,
}

/// Where the scanner is.
#[derive(Debug, Clone)]
enum Mode {
    Quoted,
    Heredoc { marker: String, line_start: bool },
}

/// The tokens of `src` and the whitespace after the last of them, or
/// where scanning failed.
pub fn tokens(src: &str) -> Result<(Vec<Token>, &str), String> {
    let mut lexer = Lexer { src, pos: 0, end: 0, out: Vec::new(), opens: Vec::new(), modes: Vec::new() };
    lexer.run()?;
    Ok((lexer.out, &src[lexer.end..]))
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    /// Where the last token ends.
    end: usize,
    out: Vec<Token>,
    /// Open braces and template sequences, innermost last.
    opens: Vec<Open>,
    /// Templates being scanned; each template sequence inside one scans
    /// normally until its `}`.
    modes: Vec<(Mode, usize)>,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn push(&mut self, kind: K, len: usize) {
        let text = self.src[self.pos..self.pos + len].to_string();
        self.out.push(Token { kind, text, spaces: 0 });
        self.pos += len;
        self.end = self.pos;
    }

    fn run(&mut self) -> Result<(), String> {
        while self.pos < self.src.len() {
            // Inside a template, outside any of its sequences: scan its text.
            if let Some((mode, depth)) = self.modes.last().cloned()
                && depth == self.opens.len()
            {
                self.template(mode)?;
                continue;
            }
            self.normal()?;
        }
        if !self.modes.is_empty() {
            return Err("unterminated template string".into());
        }
        Ok(())
    }

    fn normal(&mut self) -> Result<(), String> {
        let r = self.rest();
        let c = r.chars().next().unwrap_or(' ');
        let (kind, len) = match c {
            ' ' | '\t' => {
                self.pos += 1;
                return Ok(());
            }
            '\r' if r.starts_with("\r\n") => (K::Newline, 2),
            '\n' => (K::Newline, 1),
            '#' => (K::Comment, line_len(r)),
            '/' if r.starts_with("//") => (K::Comment, line_len(r)),
            '/' if r.starts_with("/*") => (K::Comment, r[2..].find("*/").ok_or("unterminated comment")? + 4),
            '"' => {
                self.modes.push((Mode::Quoted, self.opens.len()));
                (K::OQuote, 1)
            }
            '<' if heredoc_marker(r).is_some() => {
                let (len, marker) = heredoc_marker(r).unwrap_or_default();
                self.modes.push((Mode::Heredoc { marker, line_start: true }, self.opens.len()));
                (K::OHeredoc, len)
            }
            '{' => {
                self.opens.push(Open::Brace);
                (K::OBrace, 1)
            }
            '~' if r.starts_with("~}") && self.opens.last() == Some(&Open::Template) => {
                self.opens.pop();
                (K::SeqEnd, 2)
            }
            '}' => match self.opens.pop() {
                Some(Open::Template) => (K::SeqEnd, 1),
                _ => (K::CBrace, 1),
            },
            '[' => (K::OBrack, 1),
            ']' => (K::CBrack, 1),
            '(' => (K::OParen, 1),
            ')' => (K::CParen, 1),
            ',' => (K::Comma, 1),
            ':' => (K::Colon, 1),
            '?' => (K::Question, 1),
            '.' if r.starts_with("...") => (K::Ellipsis, 3),
            '.' if !r[1..].starts_with(|c: char| c.is_ascii_digit()) => (K::Dot, 1),
            '=' if r.starts_with("=>") => (K::FatArrow, 2),
            '=' if r.starts_with("==") => (K::Op, 2),
            '=' => (K::Equal, 1),
            '!' if r.starts_with("!=") => (K::Op, 2),
            '!' => (K::Bang, 1),
            '<' | '>' if r[1..].starts_with('=') => (K::Op, 2),
            '&' if r.starts_with("&&") => (K::Op, 2),
            '|' if r.starts_with("||") => (K::Op, 2),
            '<' | '>' | '+' | '*' | '/' | '%' => (K::Op, 1),
            '-' => (K::Minus, 1),
            c if c.is_ascii_digit() || c == '.' => (K::Number, number_len(r)),
            c if c.is_alphabetic() || c == '_' => {
                (K::Ident, r.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).unwrap_or(r.len()))
            }
            other => return Err(format!("invalid character {other:?}")),
        };
        self.push(kind, len);
        Ok(())
    }

    /// Template text up to its next sequence or its end.
    fn template(&mut self, mode: Mode) -> Result<(), String> {
        let src = self.src;
        let r = &src[self.pos..];
        let top = self.modes.len() - 1;
        if let Some(open) = sequence_start(r) {
            self.opens.push(Open::Template);
            let kind = if r.starts_with('$') { K::Interp } else { K::Control };
            self.push(kind, open);
            if let Mode::Heredoc { line_start, .. } = &mut self.modes[top].0 {
                *line_start = false;
            }
            return Ok(());
        }
        match mode {
            Mode::Quoted => {
                if r.starts_with('"') {
                    self.modes.pop();
                    self.push(K::CQuote, 1);
                    return Ok(());
                }
                let len = literal_len(r, true);
                if len == 0 {
                    return Err("unterminated quoted string".into());
                }
                self.push(K::QuotedLit, len);
            }
            Mode::Heredoc { marker, line_start } => {
                let line = r.split_inclusive('\n').next().unwrap_or(r);
                if line_start && line.trim() == marker {
                    let len = line.trim_end_matches(['\n', '\r']).len();
                    self.modes.pop();
                    self.push(K::CHeredoc, len);
                    return Ok(());
                }
                let len = literal_len(line, false);
                if len == 0 {
                    return Err("unterminated heredoc".into());
                }
                let ends_line = self.src[self.pos..self.pos + len].ends_with('\n');
                self.push(K::StringLit, len);
                self.modes[top].0 = Mode::Heredoc { marker, line_start: ends_line };
            }
        }
        Ok(())
    }
}

/// A line comment's length, its line break included.
fn line_len(r: &str) -> usize {
    r.find('\n').map_or(r.len(), |i| i + 1)
}

/// `<<EOT` or `<<-EOT` and its line break: the token's length and marker.
fn heredoc_marker(r: &str) -> Option<(usize, String)> {
    let body = r.strip_prefix("<<")?;
    let (dash, body) = match body.strip_prefix('-') {
        Some(b) => (1, b),
        None => (0, body),
    };
    let name: String = body.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    if name.is_empty() {
        return None;
    }
    let after = &body[name.len()..];
    let nl = if after.starts_with("\r\n") {
        2
    } else if after.starts_with('\n') {
        1
    } else {
        return None;
    };
    Some((2 + dash + name.len() + nl, name))
}

/// The length of `${`, `${~`, `%{` or `%{~` at the start of `r`.
fn sequence_start(r: &str) -> Option<usize> {
    if r.starts_with("${") || r.starts_with("%{") { Some(if r[2..].starts_with('~') { 3 } else { 2 }) } else { None }
}

/// The length of literal text: up to a sequence, a closing quote (quoted)
/// or the end of the line (heredoc, which keeps the line break).
fn literal_len(r: &str, quoted: bool) -> usize {
    let b = r.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if quoted => i += 2,
            b'"' if quoted => return i,
            b'\n' if quoted => return i,
            b'\n' => return i + 1,
            b'$' | b'%' if b.get(i + 1) == Some(&b[i]) && b.get(i + 2) == Some(&b'{') => i += 3,
            b'$' | b'%' if b.get(i + 1) == Some(&b'{') => return i,
            _ => i += 1,
        }
    }
    i.min(b.len())
}

fn number_len(r: &str) -> usize {
    let b = r.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    i.max(1)
}
