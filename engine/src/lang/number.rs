//! Terraform's numbers. go-cty keeps a number as a binary float with its own
//! precision: 512 bits for literals and parsed strings, 64 for integers
//! functions return, 53 for results of float math (`pow`, `log`, ...); an
//! operation takes the larger precision of its operands and rounds to
//! nearest even. A number prints as the shortest decimal that reads back to
//! the same value at its precision, never in exponent form. [`Num`] is that
//! float; [`tfplugin::value::Number`] is how values carry it: `Int`
//! exactly, `Float` at 53 bits, `Decimal` as that shortest text.
use std::cmp::Ordering;

use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};
use tfplugin::value::Number;

/// The precision of literals and parsed numbers.
pub const PREC: u64 = 512;

/// `m × 2^e` with `|m|` below `2^prec`; `m` is odd unless the number is zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Num {
    m: BigInt,
    e: i64,
    prec: u64,
}

impl Num {
    pub fn zero() -> Num {
        Num { m: BigInt::zero(), e: 0, prec: 64 }
    }

    pub fn from_i64(i: i64) -> Num {
        Num::round(BigInt::from(i), 0, false, 64)
    }

    /// An f64's exact value at 53 bits.
    pub fn from_f64(f: f64) -> Option<Num> {
        if !f.is_finite() {
            return None;
        }
        if f == 0.0 {
            return Some(Num { m: BigInt::zero(), e: 0, prec: 53 });
        }
        let bits = f.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mant, e) = if exp == 0 { (frac, -1074) } else { (frac | (1u64 << 52), exp - 1075) };
        let m = if f < 0.0 { -BigInt::from(mant) } else { BigInt::from(mant) };
        Some(Num::round(m, e, false, 53))
    }

    /// Parses Terraform's number syntax (`-12.5e3`) at 512 bits.
    pub fn parse(s: &str) -> Option<Num> {
        let t = s.trim_start_matches('+');
        let (neg, t) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t),
        };
        let (mant, exp) = match t.find(['e', 'E']) {
            Some(i) => (&t[..i], t[i + 1..].trim_start_matches('+').parse::<i64>().ok()?),
            None => (t, 0),
        };
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        if (int.is_empty() && frac.is_empty()) || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        if exp.abs() > 100_000 {
            return None;
        }
        let digits = BigUint::parse_bytes(format!("{int}{frac}").as_bytes(), 10)?;
        let exp = exp - frac.len() as i64;
        let sign = if neg { Sign::Minus } else { Sign::Plus };
        Some(if exp >= 0 {
            Num::round(BigInt::from_biguint(sign, digits * pow10(exp as u64)), 0, false, PREC)
        } else {
            Num::quotient(sign, &digits, 0, &pow10((-exp) as u64), 0, PREC)
        })
    }

    pub fn from_number(n: &Number) -> Option<Num> {
        match n {
            // Stored integers read back as literals do: at full precision.
            Number::Int(i) => Some(Num::round(BigInt::from(*i), 0, false, PREC)),
            Number::Float(f) => Num::from_f64(*f),
            Number::Decimal(s) => Num::parse(s),
        }
    }

    /// The value as a [`Number`]: an `Int` when it is an integer the
    /// precision holds exactly, a `Float` at 53 bits, else its text.
    pub fn to_number(&self) -> Number {
        if let Some(i) = self.to_i64()
            && (self.prec >= 64 || i.unsigned_abs() < (1 << 53))
        {
            return Number::Int(i);
        }
        if self.prec <= 53
            && let Some(f) = self.to_f64()
        {
            return Number::Float(f);
        }
        Number::Decimal(self.to_string())
    }

    fn round(m: BigInt, e: i64, sticky: bool, prec: u64) -> Num {
        let (sign, mut mag) = m.into_parts();
        let mut e = e;
        let bits = mag.bits();
        if bits > prec {
            let shift = bits - prec;
            let half = mag.bit(shift - 1);
            let below = sticky || mag.trailing_zeros().is_some_and(|z| z < shift - 1);
            mag >>= shift;
            e += shift as i64;
            if half && (below || mag.bit(0)) {
                mag += 1u32;
            }
        }
        if let Some(z) = mag.trailing_zeros() {
            mag >>= z;
            e += z as i64;
        } else {
            e = 0;
        }
        Num { m: BigInt::from_biguint(sign, mag), e, prec }
    }

    /// `(a × 2^ea) / (b × 2^eb)` rounded to `prec` bits.
    fn quotient(sign: Sign, a: &BigUint, ea: i64, b: &BigUint, eb: i64, prec: u64) -> Num {
        let k = (prec as i64 + 2 + b.bits() as i64 - a.bits() as i64).max(0) as u64;
        let (q, r) = (a << k).div_rem(b);
        Num::round(BigInt::from_biguint(sign, q), ea - eb - k as i64, !r.is_zero(), prec)
    }

    fn aligned(&self, o: &Num) -> (BigInt, BigInt, i64) {
        let e = self.e.min(o.e);
        (&self.m << (self.e - e) as u64, &o.m << (o.e - e) as u64, e)
    }

    pub fn add(&self, o: &Num) -> Num {
        let (a, b, e) = self.aligned(o);
        Num::round(a + b, e, false, self.prec.max(o.prec))
    }

    pub fn sub(&self, o: &Num) -> Num {
        let (a, b, e) = self.aligned(o);
        Num::round(a - b, e, false, self.prec.max(o.prec))
    }

    pub fn mul(&self, o: &Num) -> Num {
        Num::round(&self.m * &o.m, self.e + o.e, false, self.prec.max(o.prec))
    }

    /// `None` when `o` is zero.
    pub fn div(&self, o: &Num) -> Option<Num> {
        if o.m.is_zero() {
            return None;
        }
        let sign = if self.m.sign() == o.m.sign() || self.m.is_zero() { Sign::Plus } else { Sign::Minus };
        Some(Num::quotient(sign, self.m.magnitude(), self.e, o.m.magnitude(), o.e, self.prec.max(o.prec)))
    }

    /// Terraform's `%`: the remainder of truncated division, sign of the dividend.
    pub fn rem(&self, o: &Num) -> Option<Num> {
        if o.m.is_zero() {
            return None;
        }
        if self.is_integer() && o.is_integer() {
            let (a, b) = (self.to_bigint(), o.to_bigint());
            return Some(Num::round(a % b, 0, false, self.prec.max(o.prec)));
        }
        let q = self.div(o)?.trunc();
        Some(self.sub(&q.mul(o)))
    }

    pub fn neg(&self) -> Num {
        Num { m: -self.m.clone(), ..self.clone() }
    }

    pub fn abs(&self) -> Num {
        Num { m: self.m.abs(), ..self.clone() }
    }

    pub fn is_zero(&self) -> bool {
        self.m.is_zero()
    }

    pub fn is_negative(&self) -> bool {
        self.m.is_negative()
    }

    pub fn is_integer(&self) -> bool {
        self.e >= 0 || self.m.is_zero()
    }

    fn to_bigint(&self) -> BigInt {
        if self.e >= 0 { &self.m << self.e as u64 } else { &self.m >> (-self.e) as u64 }
    }

    /// Rounds toward zero.
    pub fn trunc(&self) -> Num {
        if self.is_integer() {
            return self.clone();
        }
        let mag = self.m.magnitude() >> (-self.e) as u64;
        Num::round(BigInt::from_biguint(self.m.sign(), mag), 0, false, self.prec)
    }

    pub fn floor(&self) -> Num {
        let t = self.trunc();
        if self.is_negative() && t != *self { t.sub(&Num::from_i64(1)) } else { t }
    }

    pub fn ceil(&self) -> Num {
        let t = self.trunc();
        if !self.is_negative() && t != *self { t.add(&Num::from_i64(1)) } else { t }
    }

    pub fn to_i64(&self) -> Option<i64> {
        if !self.is_integer() || self.m.bits() as i64 + self.e > 63 {
            return None;
        }
        self.to_bigint().to_i64()
    }

    pub fn to_f64(&self) -> Option<f64> {
        let f = self.to_string().parse::<f64>().ok()?;
        f.is_finite().then_some(f)
    }

    /// The value as its precision's shortest decimal digits: `(digits, dp)`
    /// with the value being `0.digits × 10^dp`.
    fn shortest(&self) -> (Vec<u8>, i64) {
        let mag = self.m.magnitude();
        let bits = mag.bits();
        // mant has prec+1 bits; its lowest bit is half an ulp.
        let s = (self.prec + 1) as i64 - bits as i64;
        let (mant, exp) = if s >= 0 { (mag << s as u64, self.e - s) } else { (mag >> (-s) as u64, self.e - s) };
        let inclusive = !mant.bit(1);
        let exact = decimal(&mant, exp);
        let lower = decimal(&(&mant - 1u32), exp);
        let upper = decimal(&(&mant + 1u32), exp);
        let dp = exact.1.max(lower.1).max(upper.1);
        let pad = |(d, p): (Vec<u8>, i64)| {
            let mut v = vec![0u8; (dp - p) as usize];
            v.extend(d);
            v
        };
        let (d, l, u) = (pad(exact), pad(lower), pad(upper));
        let at = |v: &Vec<u8>, i: usize| v.get(i).copied().unwrap_or(0);
        for i in 0..d.len() {
            let (lo, m, hi) = (at(&l, i), d[i], at(&u, i));
            let okdown = lo != m || (inclusive && i + 1 == l.len());
            let okup = m != hi && (inclusive || m + 1 < hi || i + 1 < u.len());
            let n = i + 1;
            let up = match (okdown, okup) {
                (true, true) => {
                    let next = at(&d, n);
                    next > 5 || (next == 5 && (n + 1 < d.len() || m % 2 == 1))
                }
                (true, false) => false,
                (false, true) => true,
                (false, false) => continue,
            };
            return round_digits(d[..n].to_vec(), dp, up);
        }
        trim(d, dp)
    }
}

fn pow10(n: u64) -> BigUint {
    num_traits::pow(BigUint::from(10u32), n as usize)
}

/// The exact decimal digits of `k × 2^exp`: `(digits, dp)`.
fn decimal(k: &BigUint, exp: i64) -> (Vec<u8>, i64) {
    let (n, frac) = if exp >= 0 {
        (k << exp as u64, 0i64)
    } else {
        (k * num_traits::pow(BigUint::from(5u32), (-exp) as usize), -exp)
    };
    let digits: Vec<u8> = n.to_str_radix(10).bytes().map(|b| b - b'0').collect();
    let dp = digits.len() as i64 - frac;
    trim(digits, dp)
}

fn trim(mut d: Vec<u8>, mut dp: i64) -> (Vec<u8>, i64) {
    let lead = d.iter().take_while(|x| **x == 0).count();
    d.drain(..lead);
    dp -= lead as i64;
    while d.last() == Some(&0) {
        d.pop();
    }
    if d.is_empty() {
        dp = 0;
    }
    (d, dp)
}

fn round_digits(mut d: Vec<u8>, dp: i64, up: bool) -> (Vec<u8>, i64) {
    if up {
        let mut i = d.len();
        loop {
            if i == 0 {
                d.insert(0, 1);
                return trim(d, dp + 1);
            }
            i -= 1;
            if d[i] == 9 {
                d[i] = 0;
            } else {
                d[i] += 1;
                break;
            }
        }
    }
    trim(d, dp)
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.m.is_zero() {
            return f.write_str("0");
        }
        let (d, dp) = self.shortest();
        let mut out = String::new();
        if self.m.is_negative() {
            out.push('-');
        }
        let digit = |i: i64| if i >= 0 && (i as usize) < d.len() { (b'0' + d[i as usize]) as char } else { '0' };
        if dp > 0 {
            (0..dp).for_each(|i| out.push(digit(i)));
        } else {
            out.push('0');
        }
        if (d.len() as i64) > dp {
            out.push('.');
            (dp.min(0)..0).for_each(|_| out.push('0'));
            (dp.max(0)..d.len() as i64).for_each(|i| out.push(digit(i)));
        }
        f.write_str(&out)
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, o: &Num) -> Option<Ordering> {
        let (a, b, _) = self.aligned(o);
        Some(a.cmp(&b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Num {
        Num::parse(s).unwrap()
    }

    #[test]
    fn prints_as_go_cty_does() {
        let third = n("1").div(&n("3")).unwrap();
        assert_eq!(
            third.to_string(),
            "0.33333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333335"
        );
        assert_eq!(n("0.1").add(&n("0.2")).to_string(), "0.3");
        assert_eq!(n("12345678901234567890").to_string(), "12345678901234567890");
        assert_eq!(n("1e300").mul(&n("1e300")).to_string(), format!("1{}", "0".repeat(600)));
        assert_eq!(n("2.5e-10").to_string(), "0.00000000025");
        assert_eq!(n("10").div(&n("4")).unwrap().to_string(), "2.5");
        assert_eq!(n("-7").rem(&n("3")).unwrap().to_string(), "-1");
        assert_eq!(Num::from_f64(1180591620717411303424.0).unwrap().to_string(), "1180591620717411300000");
        assert_eq!(Num::from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(n("-0.5").floor().to_string(), "-1");
        assert_eq!(n("99.99").ceil().to_string(), "100");
    }

    #[test]
    fn numbers_survive_their_carrier() {
        for s in ["0.1", "1e-7", "123456789012345678901234567890", "-3", "0.333"] {
            let x = n(s);
            assert_eq!(Num::from_number(&x.to_number()).unwrap(), x, "{s}");
        }
        assert!(Num::parse("1.2.3").is_none() && Num::parse("").is_none() && Num::parse("0x10").is_none());
    }
}
