//! `aigw fmt`: byte for byte what `terraform fmt` writes. The source is cut
//! into HCL's tokens ([`lexer`]); Terraform's own rewrites apply to each
//! attribute of each block (an interpolation-only string is unwrapped,
//! `"${var.x}"` to `var.x`; a variable's legacy `type = "string"` becomes
//! `string`); then hclwrite's layout ([`layout`]) sets every token's
//! spacing. Nothing but whitespace and those rewrites ever changes.
mod layout;
mod lexer;

use lexer::{K, Token};

/// The formatted text; a file that does not scan is returned unchanged
/// (`aigw fmt` parses every file first and refuses what does not parse).
pub fn format(src: &str) -> String {
    try_format(src).unwrap_or_else(|_| src.to_string())
}

/// The formatted text, or why the source could not be scanned.
pub fn try_format(src: &str) -> Result<String, String> {
    let (mut tokens, tail) = lexer::tokens(src)?;
    let mut edits = Vec::new();
    body(&tokens, 0, &[], &mut edits);
    for e in edits.into_iter().rev() {
        let value: Vec<Token> = tokens[e.start..e.end].to_vec();
        let new = if e.is_type { type_expr(value.clone()) } else { value.clone() };
        let new = unwrap(new);
        tokens.splice(e.start..e.end, new);
    }
    layout::layout(&mut tokens);
    let mut out = String::with_capacity(src.len());
    for t in &tokens {
        for _ in 0..t.spaces {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    // Spaces before the end of the file are hclwrite's EOF token's: kept.
    out.push_str(tail);
    Ok(out)
}

/// An attribute's value tokens.
struct Edit {
    start: usize,
    end: usize,
    is_type: bool,
}

/// Finds the attributes of a body from `i`; returns where it ends.
fn body(t: &[Token], mut i: usize, blocks: &[&str], edits: &mut Vec<Edit>) -> usize {
    while i < t.len() {
        match t[i].kind {
            K::Newline | K::Comment => i += 1,
            K::CBrace => return i + 1,
            K::Ident if t.get(i + 1).is_some_and(|n| n.kind == K::Equal) => {
                let start = i + 2;
                let end = value_end(t, start);
                let is_type = blocks == ["variable"] && t[i].text == "type";
                edits.push(Edit { start, end, is_type });
                i = end;
            }
            K::Ident => {
                let ty = t[i].text.as_str();
                let mut j = i + 1;
                while j < t.len() && !matches!(t[j].kind, K::OBrace | K::Newline) {
                    j += 1;
                }
                if j < t.len() && t[j].kind == K::OBrace {
                    let mut inner = blocks.to_vec();
                    inner.push(ty);
                    i = body(t, j + 1, &inner, edits);
                } else {
                    i = j;
                }
            }
            _ => i += 1,
        }
    }
    i
}

/// Where a value starting at `i` ends: its line's end at its own depth,
/// or the brace closing its block.
fn value_end(t: &[Token], mut i: usize) -> usize {
    let mut depth = 0;
    while i < t.len() {
        let tok = &t[i];
        if depth == 0 && (tok.kind == K::Newline || tok.kind == K::Comment) {
            return i;
        }
        depth += tok.bracket_change();
        if depth < 0 {
            return i;
        }
        i += 1;
    }
    i
}

fn token(kind: K, text: &str) -> Token {
    Token { kind, text: text.to_string(), spaces: 0 }
}

/// Terraform's unwrapping of `"${ expr }"` to `expr`.
fn unwrap(tokens: Vec<Token>) -> Vec<Token> {
    let n = tokens.len();
    if n < 5
        || tokens[0].kind != K::OQuote
        || tokens[1].kind != K::Interp
        || tokens[n - 2].kind != K::SeqEnd
        || tokens[n - 1].kind != K::CQuote
    {
        return tokens;
    }
    let inside = &tokens[2..n - 2];
    let mut quotes = 0;
    for t in inside {
        match t.kind {
            K::OQuote => quotes += 1,
            K::CQuote => quotes -= 1,
            _ if quotes > 0 => {}
            K::Interp | K::SeqEnd | K::QuotedLit => return tokens,
            _ => {}
        }
    }
    let mut trimmed: Vec<Token> = inside.to_vec();
    while trimmed.first().is_some_and(|t| t.kind == K::Newline) {
        trimmed.remove(0);
    }
    while trimmed.last().is_some_and(|t| t.kind == K::Newline) {
        trimmed.pop();
    }
    let multi = trimmed.iter().any(|t| t.kind == K::Newline);
    let wrapped =
        trimmed.first().is_some_and(|t| t.kind == K::OParen) && trimmed.last().is_some_and(|t| t.kind == K::CParen);
    if multi && !wrapped {
        trimmed.insert(0, token(K::OParen, "("));
        trimmed.push(token(K::CParen, ")"));
    }
    trimmed
}

/// Terraform's rewrite of legacy type constraints.
fn type_expr(tokens: Vec<Token>) -> Vec<Token> {
    let call = |name: &str, arg: &str| {
        vec![token(K::Ident, name), token(K::OParen, "("), token(K::Ident, arg), token(K::CParen, ")")]
    };
    match tokens.as_slice() {
        [k] if k.kind == K::Ident && matches!(k.text.as_str(), "list" | "map" | "set") => call(&k.text, "any"),
        [o, s, c] if o.kind == K::OQuote && s.kind == K::QuotedLit && c.kind == K::CQuote => match s.text.as_str() {
            "string" => vec![token(K::Ident, "string")],
            "list" => call("list", "string"),
            "map" => call("map", "string"),
            _ => tokens,
        },
        _ => tokens,
    }
}

#[cfg(test)]
mod tests;
