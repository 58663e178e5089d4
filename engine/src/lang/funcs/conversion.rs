//! Type conversion and marks: `tobool`, `tonumber`, `tostring`, `tolist`,
//! `toset`, `tomap` (cty's conversions, nulls and unknowns kept, typed);
//! `sensitive`, `nonsensitive`, `issensitive`; `ephemeralasnull` (aigw has
//! no ephemeral values, so it returns its argument); `type`, which
//! Terraform offers only in the console.
use tfplugin::Type;

use super::{P, Param, Spec, f, m, p};
use crate::lang::Val;
use crate::lang::types::{self, convert};

const V: Param = p("v", P::Any).nullable().unknowns();

pub const SPECS: &[Spec] = &[
    f("tobool", &[V], Some(P::Bool), |a| to(a, &Type::Bool)),
    f("tonumber", &[V], Some(P::Num), |a| to(a, &Type::Number)),
    f("tostring", &[V], Some(P::Str), |a| to(a, &Type::String)),
    f("tolist", &[V], None, |a| to(a, &Type::list(Type::Dynamic))),
    f("toset", &[V], None, |a| to(a, &Type::set(Type::Dynamic))),
    f("tomap", &[V], None, |a| to(a, &Type::map(Type::Dynamic))),
    m("sensitive", &[V], |a| first(a).map(|v| v.mark(true))),
    m("nonsensitive", &[V], |a| {
        let mut v = first(a)?;
        v.sensitive = false;
        Ok(v)
    }),
    m("issensitive", &[V], |a| {
        let v = first(a)?;
        Ok(Val::bool(v.sensitive))
    }),
    m("ephemeralasnull", &[V], first),
    f("type", &[V], None, |_| Err("the type function is only available in the console (aigw console)".into())),
];

fn first(a: Vec<Val>) -> Result<Val, String> {
    a.into_iter().next().ok_or_else(|| "an argument is required".into())
}

fn to(a: Vec<Val>, want: &Type) -> Result<Val, String> {
    let v = first(a)?;
    let have = types::name(&v.ty);
    let dynamic_target = matches!(want, Type::List(e) | Type::Set(e) | Type::Map(e) if **e == Type::Dynamic);
    if v.is_null() {
        return Ok(Val::null(if dynamic_target { Type::Dynamic } else { want.clone() }));
    }
    let out = convert(v, want).map_err(|e| match want {
        Type::Bool | Type::Number | Type::String => format!("cannot convert {have} to {}: {e}", types::name(want)),
        _ => format!("cannot convert {have} to {}: {e}", types::name(want).replace("(dynamic)", " of any single type")),
    })?;
    Ok(out)
}
