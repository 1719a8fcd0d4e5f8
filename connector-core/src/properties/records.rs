//! The two protobuf encoders of a record, `serve`'s hand-written `Records` and prost's generated
//! `Record`, give the same message, and each decoder reads the other's bytes; the tester's
//! decoder agrees with prost's on damaged bytes too.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use prost::Message;
use prost::encoding::{WireType, encode_key, encode_varint};

use super::{same, value};
use crate::grpc::read::{self, WireError};
use crate::grpc::records::{Records, Scratch};
use crate::grpc::wire;
use crate::proto;
use crate::record::{Cells, Record, RecordKind};
use crate::schema::{Column, TableRef, TableSchema};
use crate::value::Value;

fn kind() -> impl Strategy<Value = RecordKind> {
    prop_oneof![
        Just(RecordKind::Upsert),
        Just(RecordKind::Update),
        Just(RecordKind::Delete),
        Just(RecordKind::Truncate),
    ]
}

/// A record of a table with declared columns `c0..cN`, its cells in each of the forms a sync
/// makes (all columns, some by index, by name with undeclared ones).
fn record() -> impl Strategy<Value = Record> {
    (
        prop::option::of("\\PC{0,4}"),
        "\\PC{0,6}",
        kind(),
        prop::collection::vec(value(), 0..6),
        0_u8..4,
    )
        .prop_map(|(schema, name, kind, values, form)| {
            let mut table = TableSchema::new(name);
            if let Some(schema) = schema {
                table = table.in_schema(schema);
            }
            for i in 0..values.len() {
                table = table.column(Column::new(format!("c{i}"), crate::DataType::String));
            }
            let cells = match (kind, form) {
                (RecordKind::Truncate, _) => Cells::None,
                (_, 0) => Cells::All(values),
                (_, 1) => Cells::Indexed(
                    values
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| i % 2 == 0)
                        .map(|(i, v)| (i as u16, v))
                        .collect(),
                ),
                _ => Cells::Named(
                    values
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (Cow::Owned(format!("n{i}é")), v))
                        .collect(),
                ),
            };
            Record {
                table: TableRef::from(table),
                kind,
                cells,
            }
        })
}

/// A record with its map in a fixed order, each value as its bytes (one `ValueType` encodes
/// one way).
fn canonical(record: &proto::Record) -> (Option<String>, String, i32, BTreeMap<String, Vec<u8>>) {
    let data = record
        .data
        .iter()
        .map(|(k, v)| (k.clone(), v.encode_to_vec()))
        .collect();
    (
        record.schema_name.clone(),
        record.table_name.clone(),
        record.r#type,
        data,
    )
}

/// A `Records` message of prost's encodings of `records`.
fn prost_records(records: &[proto::Record]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for record in records {
        encode_key(1, WireType::LengthDelimited, &mut bytes);
        encode_varint(record.encoded_len() as u64, &mut bytes);
        record.encode_raw(&mut bytes);
    }
    bytes
}

/// What the tester reads of a batch, checked against prost's reading of the same bytes.
fn assert_decoders_agree(records: &Records) -> Result<(), TestCaseError> {
    let Ok(generated) = records.records() else {
        return Ok(());
    };
    let views: Vec<_> = records.views().collect();
    prop_assert_eq!(views.len(), generated.len());
    for (view, record) in views.into_iter().zip(generated) {
        let view = view.map_err(|e| TestCaseError::fail(format!("{record:?}: {e}")))?;
        prop_assert_eq!(view.schema_name, record.schema_name.as_deref());
        prop_assert_eq!(view.table_name, record.table_name.as_str());
        prop_assert_eq!(view.kind, record.r#type);
        // One cell per key, the last entry's, as in a protobuf map.
        let mut read: HashMap<&str, Value> = HashMap::new();
        let mut errors: Vec<String> = Vec::new();
        for cell in view.cells() {
            match cell {
                Ok((name, value)) => {
                    let repeated = read.insert(name, value);
                    prop_assert!(repeated.is_none(), "`{}` read twice", name);
                }
                // Refused on purpose where prost skips it (a newer protocol's value is not read
                // as NULL): nothing to compare.
                Err(WireError::UnknownValueField(_)) => return Ok(()),
                Err(why) => errors.push(why.to_string()),
            }
        }
        let mut expected_errors = Vec::new();
        for (name, wire) in &record.data {
            match read::value_from_wire(wire.clone()) {
                Ok(v) => match read.get(name.as_str()) {
                    Some(r) => prop_assert!(same(r, &v), "`{}`: {:?} != {:?}", name, r, v),
                    None => prop_assert!(false, "`{}` not read", name),
                },
                Err(why) => expected_errors.push(why.to_string()),
            }
        }
        prop_assert_eq!(read.len() + errors.len(), record.data.len());
        errors.sort();
        expected_errors.sort();
        prop_assert_eq!(errors, expected_errors);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Ours read by prost is prost's; prost's read by ours is ours, value for value.
    #[test]
    fn the_two_encoders_agree_and_read_each_other(
        records in prop::collection::vec(record(), 1..4),
        dropped in 0_usize..8,
    ) {
        let dropped = [format!("c{dropped}"), format!("n{dropped}é")];
        let keep = |name: &str| !dropped.iter().any(|d| d == name);
        let mut ours = Records::default();
        let mut scratch = Scratch::default();
        let mut generated = Vec::new();
        for record in &records {
            ours.push_record(record, keep, &mut scratch);
            generated.push(wire::record(record.clone(), keep));
        }
        prop_assert_eq!(ours.len(), records.len());

        let read_by_prost = ours.records().expect("prost reads our bytes");
        let theirs: Vec<_> = generated.iter().map(canonical).collect();
        prop_assert_eq!(read_by_prost.iter().map(canonical).collect::<Vec<_>>(), theirs);

        // Not byte for byte: ours writes an empty table or column name, which prost leaves out
        // (proto3 omits a default value; readers take both as the same message).
        let bytes = prost_records(&generated);
        let read_by_ours = Records::decode(bytes.as_slice()).expect("we read prost's bytes");
        prop_assert_eq!(read_by_ours.len(), records.len());
        for (view, record) in read_by_ours.views().zip(&records) {
            let view = view.expect("a record");
            prop_assert_eq!(view.table_name, record.table.name.as_ref());
            prop_assert_eq!(view.schema_name, record.table.schema.as_deref());
            prop_assert_eq!(view.kind, wire::record_type(record.kind) as i32);
            let read: BTreeMap<&str, Value> = view.cells().map(|c| c.expect("a cell")).collect();
            let sent: BTreeMap<&str, &Value> = record.cells().filter(|(n, _)| keep(n)).collect();
            prop_assert_eq!(read.len(), sent.len());
            for (name, v) in sent {
                prop_assert!(same(&read[name], v), "`{}`: {:?} != {:?}", name, read[name], v);
            }
        }
        assert_decoders_agree(&read_by_ours)?;
    }

    /// On damaged bytes (a byte changed, bytes cut or inserted), whatever prost reads the tester
    /// reads the same, and a batch that reads re-encodes to itself.
    #[test]
    fn the_tester_reads_damaged_batches_as_prost_does(
        records in prop::collection::vec(record(), 1..3),
        damage in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0_u8..3), 1..4),
    ) {
        let generated: Vec<_> = records.into_iter().map(|r| wire::record(r, |_| true)).collect();
        let mut bytes = prost_records(&generated);
        for (at, byte, how) in damage {
            if bytes.is_empty() {
                break;
            }
            let at = at.index(bytes.len());
            match how {
                0 => bytes[at] = byte,
                1 => bytes.truncate(at),
                _ => bytes.insert(at, byte),
            }
        }
        if let Ok(batch) = Records::decode(bytes.as_slice()) {
            let again = Records::decode(batch.encode_to_vec().as_slice()).expect("reads back");
            prop_assert_eq!(&again, &batch);
            assert_decoders_agree(&batch)?;
        }
    }
}
