//! The references an expression makes (`var.x`, `aigw_gateway.g.id`),
//! which the dependency graph and the apply's refresh of locals read.
use hcl::{Expression, Template, TraversalOperator};

/// A reference: its root and the attribute names that follow it.
pub type Ref = Vec<String>;

/// Every reference in `expr` (for-expression variables excluded).
pub fn refs(expr: &Expression) -> Vec<Ref> {
    let mut out = Vec::new();
    walk(expr, &mut out, &[]);
    out
}

fn walk(e: &Expression, out: &mut Vec<Ref>, bound: &[String]) {
    match e {
        Expression::Variable(v) if !bound.iter().any(|b| b == v.as_str()) => {
            out.push(vec![v.to_string()]);
        }
        Expression::Traversal(t) => {
            if let Expression::Variable(v) = &t.expr {
                if !bound.iter().any(|b| b == v.as_str()) {
                    let mut r = vec![v.to_string()];
                    for op in &t.operators {
                        match op {
                            TraversalOperator::GetAttr(id) => r.push(id.to_string()),
                            _ => break,
                        }
                    }
                    out.push(r);
                }
            } else {
                walk(&t.expr, out, bound);
            }
            for op in &t.operators {
                if let TraversalOperator::Index(i) = op {
                    walk(i, out, bound);
                }
            }
        }
        Expression::Array(items) => items.iter().for_each(|x| walk(x, out, bound)),
        Expression::Object(o) => {
            for (k, v) in o {
                if let hcl::ObjectKey::Expression(k) = k {
                    walk(k, out, bound);
                }
                walk(v, out, bound);
            }
        }
        Expression::TemplateExpr(t) => {
            if let Ok(tpl) = Template::from_expr(t) {
                template_refs(&tpl, out, bound);
            }
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|x| walk(x, out, bound)),
        Expression::Parenthesis(p) => walk(p, out, bound),
        Expression::Conditional(c) => {
            walk(&c.cond_expr, out, bound);
            walk(&c.true_expr, out, bound);
            walk(&c.false_expr, out, bound);
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::Operation::Unary(u) => walk(&u.expr, out, bound),
            hcl::Operation::Binary(b) => {
                walk(&b.lhs_expr, out, bound);
                walk(&b.rhs_expr, out, bound);
            }
        },
        Expression::ForExpr(f) => {
            walk(&f.collection_expr, out, bound);
            let mut inner = bound.to_vec();
            inner.push(f.value_var.to_string());
            if let Some(k) = &f.key_var {
                inner.push(k.to_string());
            }
            if let Some(k) = &f.key_expr {
                walk(k, out, &inner);
            }
            walk(&f.value_expr, out, &inner);
            if let Some(c) = &f.cond_expr {
                walk(c, out, &inner);
            }
        }
        _ => {}
    }
}

fn template_refs(t: &Template, out: &mut Vec<Ref>, bound: &[String]) {
    use hcl::template::{Directive, Element};
    for el in t.elements() {
        match el {
            Element::Interpolation(i) => walk(&i.expr, out, bound),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(i) => {
                    walk(&i.cond_expr, out, bound);
                    template_refs(&i.true_template, out, bound);
                    if let Some(f) = &i.false_template {
                        template_refs(f, out, bound);
                    }
                }
                Directive::For(f) => {
                    walk(&f.collection_expr, out, bound);
                    let mut inner = bound.to_vec();
                    inner.push(f.value_var.to_string());
                    if let Some(k) = &f.key_var {
                        inner.push(k.to_string());
                    }
                    template_refs(&f.template, out, &inner);
                }
            },
            Element::Literal(_) => {}
        }
    }
}
