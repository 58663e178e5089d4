//! The cty value decoders the provider and the engine receive (msgpack and
//! JSON, with unknowns and refinements), against a type picked by the first
//! byte: errors, never panics; what decodes encodes again.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tfplugin::Type;

fn types() -> Vec<Type> {
    let obj = Type::object([
        ("id".to_string(), Type::String),
        ("ttl".to_string(), Type::Number),
        ("on".to_string(), Type::Bool),
        ("steps".to_string(), Type::List(Box::new(Type::object([("model", Type::String)])))),
    ]);
    vec![
        Type::String,
        Type::Number,
        Type::Bool,
        Type::Dynamic,
        Type::List(Box::new(Type::String)),
        Type::Set(Box::new(Type::Number)),
        Type::Map(Box::new(Type::Bool)),
        Type::Tuple(vec![Type::String, Type::Number, Type::Dynamic]),
        obj,
    ]
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let all = types();
    let ty = &all[pick as usize % all.len()];
    if let Ok(v) = tfplugin::value::decode_msgpack(rest, ty) {
        let _ = tfplugin::value::encode_msgpack(&v, ty);
    }
    if let Ok(j) = serde_json::from_slice::<serde_json::Value>(rest)
        && let Ok(v) = tfplugin::value::decode_json(&j, ty)
    {
        let _ = tfplugin::value::encode_json(&v, ty);
    }
    let _ = Type::from_json_bytes(rest);
});
