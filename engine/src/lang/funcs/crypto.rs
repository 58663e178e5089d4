//! Hash and crypto functions: hex and base64 digests of strings and
//! files, `bcrypt`, `uuid` (v4) and `uuidv5`, and `rsadecrypt` of
//! PKCS #1 v1.5 ciphertext.
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::filesystem::read_bytes;
use super::{P, Spec, f, fv, int, p, s};
use crate::lang::Val;

const STR: super::Param = p("str", P::Str);
const PATH: super::Param = p("path", P::Str);

fn hex<D: Digest>(b: &[u8]) -> String {
    D::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

fn b64<D: Digest>(b: &[u8]) -> String {
    STANDARD.encode(D::digest(b))
}

pub const SPECS: &[Spec] = &[
    f("md5", &[STR], Some(P::Str), |a| Ok(Val::string(hex::<Md5>(s(&a[0]).as_bytes())))),
    f("sha1", &[STR], Some(P::Str), |a| Ok(Val::string(hex::<Sha1>(s(&a[0]).as_bytes())))),
    f("sha256", &[STR], Some(P::Str), |a| Ok(Val::string(hex::<Sha256>(s(&a[0]).as_bytes())))),
    f("sha512", &[STR], Some(P::Str), |a| Ok(Val::string(hex::<Sha512>(s(&a[0]).as_bytes())))),
    f("base64sha256", &[STR], Some(P::Str), |a| Ok(Val::string(b64::<Sha256>(s(&a[0]).as_bytes())))),
    f("base64sha512", &[STR], Some(P::Str), |a| Ok(Val::string(b64::<Sha512>(s(&a[0]).as_bytes())))),
    f("filemd5", &[PATH], Some(P::Str), |a| Ok(Val::string(hex::<Md5>(&read_bytes(s(&a[0]))?)))),
    f("filesha1", &[PATH], Some(P::Str), |a| Ok(Val::string(hex::<Sha1>(&read_bytes(s(&a[0]))?)))),
    f("filesha256", &[PATH], Some(P::Str), |a| Ok(Val::string(hex::<Sha256>(&read_bytes(s(&a[0]))?)))),
    f("filesha512", &[PATH], Some(P::Str), |a| Ok(Val::string(hex::<Sha512>(&read_bytes(s(&a[0]))?)))),
    f("filebase64sha256", &[PATH], Some(P::Str), |a| Ok(Val::string(b64::<Sha256>(&read_bytes(s(&a[0]))?)))),
    f("filebase64sha512", &[PATH], Some(P::Str), |a| Ok(Val::string(b64::<Sha512>(&read_bytes(s(&a[0]))?)))),
    fv("bcrypt", &[STR], p("cost", P::Num), Some(P::Str), |a| {
        if a.len() > 2 {
            return Err("bcrypt() takes no more than two arguments".into());
        }
        let cost = match a.get(1) {
            Some(c) => int(c, "cost")?,
            None => 10,
        };
        let cost = u32::try_from(cost).map_err(|_| "invalid value for \"cost\": out of range".to_string())?;
        let h = bcrypt::hash(s(&a[0]), cost).map_err(|e| format!("error occurred generating password {e}"))?;
        // Terraform writes the `$2a$` prefix Go's bcrypt uses.
        Ok(Val::string(h.replacen("$2b$", "$2a$", 1)))
    }),
    f("uuid", &[], Some(P::Str), |_| Ok(Val::string(uuid::Uuid::new_v4().to_string()))),
    f("uuidv5", &[p("namespace", P::Str), p("name", P::Str)], Some(P::Str), |a| {
        let ns = match s(&a[0]) {
            "dns" => uuid::Uuid::NAMESPACE_DNS,
            "url" => uuid::Uuid::NAMESPACE_URL,
            "oid" => uuid::Uuid::NAMESPACE_OID,
            "x500" => uuid::Uuid::NAMESPACE_X500,
            other => uuid::Uuid::parse_str(other)
                .map_err(|_| format!("uuidv5() doesn't support namespace prefix {other:?}"))?,
        };
        Ok(Val::string(uuid::Uuid::new_v5(&ns, s(&a[1]).as_bytes()).to_string()))
    }),
    f("rsadecrypt", &[p("ciphertext", P::Str), p("privatekey", P::Str)], Some(P::Str), |a| {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::DecodePrivateKey;
        let data = STANDARD
            .decode(s(&a[0]))
            .map_err(|_| "failed to decode input \"cipher_text\": cipher text must be base64-encoded".to_string())?;
        let pem = s(&a[1]);
        let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(pem))
            .map_err(|_| "invalid private key: failed to parse key".to_string())?;
        let out =
            key.decrypt(rsa::Pkcs1v15Encrypt, &data).map_err(|_| "failed to decrypt: decryption error".to_string())?;
        String::from_utf8(out).map(Val::string).map_err(|_| "the decrypted text is not valid UTF-8".into())
    }),
];
