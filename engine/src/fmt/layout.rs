//! hclwrite's layout rules over tokens: lines split into a lead, an
//! assignment (`= value` when the value closes on its line) and a trailing
//! comment; indentation from the brackets each line opens and closes;
//! spacing between tokens; and alignment of the `=` and the comments of
//! consecutive lines.
use super::lexer::{K, Token};

/// One line: indexes into the token list.
struct Line {
    lead: Vec<usize>,
    assign: Vec<usize>,
    comment: Vec<usize>,
}

/// Sets every token's spacing as `terraform fmt` does.
pub fn layout(tokens: &mut [Token]) {
    let mut lines = split(tokens);
    indent(tokens, &lines);
    spaces(tokens, &lines);
    cells(tokens, &mut lines);
}

fn split(tokens: &[Token]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut lead = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        lead.push(i);
        if t.is_newline() {
            lines.push(Line { lead: std::mem::take(&mut lead), assign: vec![], comment: vec![] });
        }
    }
    if !lead.is_empty() {
        lines.push(Line { lead, assign: vec![], comment: vec![] });
    }
    for line in &mut lines {
        if line.lead.len() > 1 && line.lead.last().is_some_and(|&i| tokens[i].kind == K::Comment) {
            line.comment = line.lead.split_off(line.lead.len() - 1);
        }
        if let Some(eq) = line.lead.iter().skip(1).position(|&i| tokens[i].kind == K::Equal).map(|p| p + 1)
            && net(tokens, &line.lead[eq..]) == 0
        {
            line.assign = line.lead.split_off(eq);
        }
    }
    lines
}

/// The bracket change over tokens, up to a heredoc's start.
fn net(tokens: &[Token], idx: &[usize]) -> i32 {
    let mut n = 0;
    for &i in idx {
        n += tokens[i].bracket_change();
        if tokens[i].kind == K::OHeredoc {
            break;
        }
    }
    n
}

fn indent(tokens: &mut [Token], lines: &[Line]) {
    let mut stack: Vec<i32> = Vec::new();
    for line in lines {
        let Some(&first) = line.lead.first() else { continue };
        if tokens[first].kind == K::Newline {
            tokens[first].spaces = 0;
            continue;
        }
        let n = net(tokens, &line.lead) + net(tokens, &line.assign);
        if n > 0 {
            tokens[first].spaces = 2 * stack.len();
            stack.push(n);
            continue;
        }
        let mut closed = -n;
        while closed > 0 {
            let Some(top) = stack.last_mut() else { break };
            if closed >= *top {
                closed -= *top;
                stack.pop();
            } else {
                *top -= closed;
                closed = 0;
            }
        }
        tokens[first].spaces = 2 * stack.len();
    }
}

fn spaces(tokens: &mut [Token], lines: &[Line]) {
    for line in lines {
        for (n, cell) in [&line.lead, &line.assign].into_iter().enumerate() {
            if cell.is_empty() {
                continue;
            }
            if n == 1 {
                // One space between the `=` and what precedes it, for now.
                tokens[cell[0]].spaces = 1;
            }
            for w in 0..cell.len().saturating_sub(1) {
                let before = if w > 0 { Some(tokens[cell[w - 1]].kind) } else { None };
                let space = space_after(&tokens[cell[w]], before, &tokens[cell[w + 1]]);
                tokens[cell[w + 1]].spaces = usize::from(space);
            }
        }
    }
}

/// hclwrite's `spaceAfterToken`.
fn space_after(subject: &Token, before: Option<K>, after: &Token) -> bool {
    let (s, a) = (subject.kind, after.kind);
    let template_text = |k: K| matches!(k, K::QuotedLit | K::StringLit);
    match () {
        _ if a == K::Newline => false,
        _ if s == K::Ident && a == K::OParen => false,
        _ if s == K::Dot || a == K::Dot => false,
        _ if a == K::Comma || a == K::Ellipsis => false,
        _ if s == K::Comma => true,
        _ if template_text(s)
            || s == K::OQuote
            || s == K::OHeredoc
            || template_text(a)
            || a == K::CQuote
            || a == K::CHeredoc =>
        {
            false
        }
        _ if s == K::Ident && subject.text == "in" && before == Some(K::Ident) => true,
        _ if a == K::OBrack && (s == K::Ident || s == K::Number || subject.bracket_change() < 0) => false,
        _ if s == K::Minus => !matches!(
            before,
            None | Some(
                K::OParen
                    | K::OBrace
                    | K::OBrack
                    | K::Equal
                    | K::Colon
                    | K::Comma
                    | K::Question
                    | K::Op
                    | K::Minus
                    | K::Bang
            )
        ),
        _ if s == K::Bang => false,
        _ if s == K::OBrace || a == K::CBrace => !(s == K::OBrace && a == K::CBrace),
        _ if matches!(s, K::Interp | K::Control) && a == K::OBrace => true,
        _ if s == K::CBrace && a == K::SeqEnd => true,
        _ if s == K::SeqEnd && matches!(a, K::Interp | K::Control) => false,
        _ if subject.bracket_change() > 0 => false,
        _ if after.bracket_change() < 0 => false,
        _ => true,
    }
}

fn columns(tokens: &[Token], idx: &[usize]) -> usize {
    idx.iter().map(|&i| tokens[i].spaces + tokens[i].text.chars().count()).sum()
}

fn cells(tokens: &mut [Token], lines: &mut [Line]) {
    align(tokens, lines, |l| !l.assign.is_empty(), |t, l| columns(t, &l.lead), |l| l.assign[0]);
    align(
        tokens,
        lines,
        |l| !l.comment.is_empty(),
        |t, l| columns(t, &l.lead) + columns(t, &l.assign),
        |l| l.comment[0],
    );
}

/// Aligns `first` of each run of consecutive lines that `has` it one
/// space past the widest `width` of the run.
fn align(
    tokens: &mut [Token],
    lines: &[Line],
    has: impl Fn(&Line) -> bool,
    width: impl Fn(&[Token], &Line) -> usize,
    first: impl Fn(&Line) -> usize,
) {
    let mut start = 0;
    while start < lines.len() {
        if !has(&lines[start]) {
            start += 1;
            continue;
        }
        let end = (start..lines.len()).find(|&i| !has(&lines[i])).unwrap_or(lines.len());
        let widest = lines[start..end].iter().map(|l| width(tokens, l)).max().unwrap_or(0);
        for l in &lines[start..end] {
            let w = width(tokens, l);
            tokens[first(l)].spaces = widest - w + 1;
        }
        start = end;
    }
}
