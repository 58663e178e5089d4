//! IP network functions over IPv4 and IPv6 prefixes: `cidrhost`,
//! `cidrnetmask`, `cidrsubnet`, `cidrsubnets`, as Terraform computes them.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::{P, Spec, f, fv, int, p, s, str_list};
use crate::lang::Val;

const PREFIX: super::Param = p("prefix", P::Str);

pub const SPECS: &[Spec] = &[
    f("cidrhost", &[PREFIX, p("hostnum", P::Num)], Some(P::Str), |a| {
        let net = parse(s(&a[0]))?;
        let host = int(&a[1], "hostnum")? as i128;
        let (base, bits, len) = parts(&net);
        let size = 1i128 << (bits - len).min(126);
        let n = if host < 0 { size + host } else { host };
        if n < 0 || n >= size {
            return Err(format!("prefix of {len} bits cannot accommodate a host numbered {host}"));
        }
        Ok(Val::string(addr(base + n as u128, bits).to_string()))
    }),
    f("cidrnetmask", &[PREFIX], Some(P::Str), |a| match parse(s(&a[0]))? {
        IpNet::V4(n) => Ok(Val::string(n.netmask().to_string())),
        IpNet::V6(_) => Err("only IPv4 networks are supported".into()),
    }),
    f("cidrsubnet", &[PREFIX, p("newbits", P::Num), p("netnum", P::Num)], Some(P::Str), |a| {
        let net = parse(s(&a[0]))?;
        let newbits = int(&a[1], "newbits")?;
        let num = int(&a[2], "netnum")?;
        subnet(&net, newbits, num).map(Val::string)
    }),
    fv("cidrsubnets", &[PREFIX], p("newbits", P::Num), Some(P::List(&P::Str)), cidrsubnets),
];

fn parse(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>().map_err(|_| format!("invalid CIDR expression: invalid CIDR address: {text}"))
}

/// The network's first address, its address width and prefix length.
fn parts(n: &IpNet) -> (u128, u32, u32) {
    match n {
        IpNet::V4(n) => (u32::from(n.network()) as u128, 32, n.prefix_len() as u32),
        IpNet::V6(n) => (u128::from(n.network()), 128, n.prefix_len() as u32),
    }
}

fn addr(x: u128, bits: u32) -> IpAddr {
    if bits == 32 { IpAddr::V4(Ipv4Addr::from(x as u32)) } else { IpAddr::V6(Ipv6Addr::from(x)) }
}

fn subnet(net: &IpNet, newbits: i64, num: i64) -> Result<String, String> {
    let (base, bits, len) = parts(net);
    if newbits < 0 {
        return Err("invalid value for \"newbits\": must not be negative".into());
    }
    let new_len = len as i64 + newbits;
    if new_len > bits as i64 {
        return Err(format!("insufficient address space to extend prefix of {len} by {newbits}"));
    }
    if num < 0 || (newbits < 63 && num >= 1i64 << newbits) {
        return Err(format!("prefix extension of {newbits} does not accommodate a subnet numbered {num}"));
    }
    let shift = bits - new_len as u32;
    let start = base + ((num as u128) << shift.min(127));
    Ok(format!("{}/{new_len}", addr(start, bits)))
}

fn cidrsubnets(a: Vec<Val>) -> Result<Val, String> {
    let net = parse(s(&a[0]))?;
    let (base, bits, len) = parts(&net);
    let end = base + ((1u128 << (bits - len).min(127)) - 1);
    let mut out = Vec::new();
    let mut next = base;
    for (i, v) in a[1..].iter().enumerate() {
        let nb = int(v, "newbits")?;
        if nb < 1 {
            return Err(format!("invalid value for \"newbits\" argument {}: must be at least 1", i + 1));
        }
        let new_len = len as i64 + nb;
        if new_len > bits as i64 {
            return Err(format!(
                "would extend prefix to {new_len} bits, which is too long for an IPv{} address",
                if bits == 32 { 4 } else { 6 }
            ));
        }
        let size = 1u128 << (bits - new_len as u32);
        let start = next.div_ceil(size) * size;
        if start < next || start > end || start + (size - 1) > end {
            return Err(format!(
                "invalid value for \"newbits\" argument {}: not enough remaining address space for a subnet with a prefix of {new_len} bits after {}",
                i + 1,
                out.last().map_or(String::new(), |s: &String| s.clone())
            ));
        }
        out.push(format!("{}/{new_len}", addr(start, bits)));
        next = start + size;
    }
    Ok(str_list(out))
}
