//! Compiles the partner-SDK protocol (`proto/`) into Rust with a pure-Rust protobuf compiler
//! (protox), so that no system `protoc` is needed. Nothing generated is edited by hand.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(["common.proto", "connector_sdk.proto"], ["proto"])?;
    tonic_prost_build::configure()
        // Every `map<..>` as a BTreeMap: a record's few cells are cheaper to build, walk and
        // encode in a sorted node than in a hash table, and configurations print in order.
        .btree_map(".")
        // `Records` kept in its wire form, so `serve` encodes records straight into bytes.
        .extern_path(".fivetran_sdk.v2.Records", "crate::grpc::records::Records")
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
