//! `aigw fmt`: Terraform's canonical layout for `.tf` and `.tfvars` files,
//! done line by line so comments and heredocs are never touched: two
//! spaces per nesting level, one space around `=`, and the `=` of
//! consecutive single-line attributes aligned.

/// The formatted text.
pub fn format(src: &str) -> String {
    let mut lines: Vec<(usize, String)> = Vec::new(); // (depth, text)
    let mut depth: usize = 0;
    let mut heredoc: Option<String> = None;
    let mut raw: Vec<Option<String>> = Vec::new(); // verbatim lines (heredoc bodies)
    for line in src.lines() {
        if let Some(end) = &heredoc {
            if line.trim() == end {
                heredoc = None;
            }
            lines.push((0, String::new()));
            raw.push(Some(line.to_string()));
            continue;
        }
        let t = line.trim();
        let code = strip_comment(t);
        let opens = count_outside_strings(code, &['{', '[', '(']);
        let closes = count_outside_strings(code, &['}', ']', ')']);
        let leading_closes = code.chars().take_while(|c| matches!(c, '}' | ']' | ')')).count();
        let this_depth = depth.saturating_sub(leading_closes);
        depth = (depth + opens).saturating_sub(closes);
        if let Some(i) = code.find("<<") {
            let tag: String = code[i + 2..]
                .trim_start_matches('-')
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !tag.is_empty() {
                heredoc = Some(tag);
            }
        }
        lines.push((this_depth, normalize_eq(&space_after_commas(t))));
        raw.push(None);
    }
    align(&mut lines, &raw);
    let mut out = String::new();
    for ((d, text), r) in lines.iter().zip(&raw) {
        match r {
            Some(verbatim) => out.push_str(verbatim),
            None if text.is_empty() => {}
            None => {
                out.push_str(&"  ".repeat(*d));
                out.push_str(text);
            }
        }
        out.push('\n');
    }
    // Blank lines stay as written, except at the end.
    let trimmed = out.trim_end_matches('\n');
    format!("{trimmed}\n")
}

/// `["a","b"]` → `["a", "b"]`: one space after each comma in code.
fn space_after_commas(t: &str) -> String {
    let code = strip_comment(t);
    let mut out = String::with_capacity(t.len() + 4);
    let mut in_str = false;
    let mut prev = ' ';
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '"' && prev != '\\' {
            in_str = !in_str;
        } else if c == ',' && !in_str && chars.peek().is_some_and(|n| !n.is_whitespace()) {
            out.push(' ');
        }
        prev = c;
    }
    out.push_str(&t[code.len()..]);
    out
}

fn strip_comment(t: &str) -> &str {
    let mut in_str = false;
    let mut prev = ' ';
    for (i, c) in t.char_indices() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '#' if !in_str => return &t[..i],
            '/' if !in_str && t[i..].starts_with("//") => return &t[..i],
            _ => {}
        }
        prev = c;
    }
    t
}

fn count_outside_strings(t: &str, chars: &[char]) -> usize {
    let mut in_str = false;
    let mut prev = ' ';
    let mut n = 0;
    for c in t.chars() {
        if c == '"' && prev != '\\' {
            in_str = !in_str;
        } else if !in_str && chars.contains(&c) {
            n += 1;
        }
        prev = c;
    }
    n
}

/// `key=value` / `key    =   value` → `key = value` (for attribute lines).
fn normalize_eq(t: &str) -> String {
    let Some(i) = attr_eq(t) else { return t.to_string() };
    format!("{} = {}", t[..i].trim_end(), t[i + 1..].trim_start())
}

/// The byte index of an attribute's `=`, if the line is `IDENT = ...`.
fn attr_eq(t: &str) -> Option<usize> {
    let key_end = t.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '"'))?;
    if key_end == 0 {
        return None;
    }
    let rest = &t[key_end..];
    let eq = rest.find(|c: char| !c.is_whitespace())?;
    (rest[eq..].starts_with('=') && !rest[eq..].starts_with("==")).then_some(key_end + eq)
}

/// Aligns `=` over runs of consecutive single-line attributes at one depth.
fn align(lines: &mut [(usize, String)], raw: &[Option<String>]) {
    let mut i = 0;
    while i < lines.len() {
        let single = |j: usize, d: usize, lines: &[(usize, String)]| {
            raw[j].is_none()
                && lines[j].0 == d
                && attr_eq(&lines[j].1).is_some()
                && count_outside_strings(strip_comment(&lines[j].1), &['{', '[', '('])
                    == count_outside_strings(strip_comment(&lines[j].1), &['}', ']', ')'])
        };
        if !single(i, lines[i].0, lines) {
            i += 1;
            continue;
        }
        let d = lines[i].0;
        let mut j = i;
        while j < lines.len() && single(j, d, lines) {
            j += 1;
        }
        let width =
            lines[i..j].iter().filter_map(|(_, t)| attr_eq(t).map(|e| t[..e].trim_end().len())).max().unwrap_or(0);
        for (_, t) in &mut lines[i..j] {
            if let Some(e) = attr_eq(t) {
                let key = t[..e].trim_end().to_string();
                let val = t[e + 1..].trim_start().to_string();
                *t = format!("{key:<width$} = {val}");
            }
        }
        // Trailing comments line up too.
        let commented = |t: &str| strip_comment(t).len() < t.len();
        let cwidth = lines[i..j]
            .iter()
            .filter(|(_, t)| commented(t))
            .map(|(_, t)| strip_comment(t).trim_end().chars().count())
            .max()
            .unwrap_or(0);
        for (_, t) in &mut lines[i..j] {
            if commented(t) {
                let code = strip_comment(t).trim_end().to_string();
                let comment = t[strip_comment(t).len()..].to_string();
                *t = format!("{code:<cwidth$} {comment}");
            }
        }
        i = j.max(i + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_aligns_and_keeps_comments_and_heredocs() {
        let src = "resource \"a\" \"b\" {\n# keep me\nid=\"x\"\n    account_id   =  [\"y\",\"z\"]   // and, me\n\n\n  nested = {\n  k = 1\n  }\n  text = <<EOT\n   as is\nEOT\n}\n\n\n\n";
        let want = "resource \"a\" \"b\" {\n  # keep me\n  id         = \"x\"\n  account_id = [\"y\", \"z\"] // and, me\n\n\n  nested = {\n    k = 1\n  }\n  text = <<EOT\n   as is\nEOT\n}\n";
        assert_eq!(format(src), want);
        assert_eq!(format(want), want);
    }
}
