//! The tester's `Records` decoder on any bytes: a batch prost's generated `Record` reads, the
//! tester reads too, record by record and cell by cell the same (a map's last entry for a key
//! wins, as protobuf says); and a batch re-encodes to the bytes it was read from.

use std::collections::HashMap;

use connector_core::__internal::grpc::{Records, read};
use connector_core::Value;
use prost::Message;

use crate::values::assert_same;

pub fn check(data: &[u8]) {
    let Ok(records) = Records::decode(data) else {
        return;
    };
    // What was read encodes back, and reads again the same.
    let bytes = records.encode_to_vec();
    let again = Records::decode(bytes.as_slice()).expect("our own bytes read back");
    assert_eq!(again, records);
    assert_eq!(records.encoded_len(), bytes.len());

    let Ok(generated) = records.records() else {
        return;
    };
    let views: Vec<_> = records.views().collect();
    assert_eq!(views.len(), generated.len(), "{generated:?}");
    for (view, record) in views.into_iter().zip(generated) {
        let view = view.unwrap_or_else(|e| panic!("prost reads {record:?}, the tester: {e}"));
        assert_eq!(view.schema_name, record.schema_name.as_deref());
        assert_eq!(view.table_name, record.table_name);
        assert_eq!(view.kind, record.r#type);
        // One cell per key, the last entry's, as in a protobuf map.
        let mut cells: HashMap<&str, Value> = HashMap::new();
        let mut errors = Vec::new();
        for cell in view.cells() {
            match cell {
                Ok((name, value)) => {
                    let repeated = cells.insert(name, value);
                    assert!(repeated.is_none(), "{record:?}: `{name}` read twice");
                }
                Err(why) => errors.push(why),
            }
        }
        // A value field the protocol does not define is refused on purpose, where prost skips
        // it (a newer protocol's value is not read as NULL): nothing to compare.
        if errors
            .iter()
            .any(|e| matches!(e, read::WireError::UnknownValueField(_)))
        {
            continue;
        }
        let mut expected_errors = Vec::new();
        for (name, wire) in &record.data {
            match read::value_from_wire(wire.clone()) {
                Ok(value) => match cells.get(name.as_str()) {
                    Some(read) => assert_same(read, &value),
                    None => panic!(
                        "{record:?}: `{name}` not read; the tester read {:?}",
                        view.cells().collect::<Vec<_>>()
                    ),
                },
                Err(why) => expected_errors.push(why),
            }
        }
        // The tester refuses exactly the values `value_from_wire` refuses.
        assert_eq!(cells.len() + errors.len(), record.data.len(), "{record:?}");
        let sorted = |mut e: Vec<read::WireError>| {
            e.sort_by_key(ToString::to_string);
            e
        };
        assert_eq!(sorted(errors), sorted(expected_errors), "{record:?}");
    }
}
