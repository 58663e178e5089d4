use super::*;

#[test]
fn indents_aligns_and_keeps_comments_and_heredocs() {
    // As terraform fmt writes it (trailing blank lines are kept).
    let src = "resource \"a\" \"b\" {\n# keep me\nid=\"x\"\n    account_id   =  [\"y\",\"z\"]   // and, me\n\n\n  nested = {\n  k = 1\n  }\n  text = <<EOT\n   as is\nEOT\n}\n\n\n\n";
    let want = "resource \"a\" \"b\" {\n  # keep me\n  id         = \"x\"\n  account_id = [\"y\", \"z\"] // and, me\n\n\n  nested = {\n    k = 1\n  }\n  text = <<EOT\n   as is\nEOT\n}\n\n\n\n";
    assert_eq!(format(src), want);
    assert_eq!(format(want), want);
}

#[test]
fn interpolation_only_strings_unwrap_and_literals_keep_their_commas() {
    let src = "locals {\na = \"${var.x}\"\nb = \"${join(\",\",var.teams)}\"\nc = \"x${var.x}\"\n}\nvariable \"v\" {\ntype = \"list\"\n}\n";
    let want = "locals {\n  a = var.x\n  b = join(\",\", var.teams)\n  c = \"x${var.x}\"\n}\nvariable \"v\" {\n  type = list(string)\n}\n";
    assert_eq!(format(src), want);
}

#[test]
fn spaces_at_the_end_of_the_file_are_kept_once() {
    // Found by the fuzzer: a comment that ends the file owns its spaces.
    let src = "# a comment, ";
    assert_eq!(format(src), src);
    assert_eq!(format("a = 1\n   "), "a = 1\n   ");
    assert_eq!(format("a = 1   "), "a = 1   ");
    assert_eq!(format("a   = 1 # c "), "a = 1 # c ");
}
