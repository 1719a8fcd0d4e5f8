//! Stand-ins for AWS in the AWS examples' tests, all on 127.0.0.1 and a free port:
//!
//! - [`Moto`]: PyPI's `moto_server` (moto 5.x), a local STS, DynamoDB and Athena, started as a
//!   child process and stopped when dropped; `interop/moto.sh` installs it;
//! - [`AthenaMock`]: a small mock of Athena's JSON 1.1 API that serves a query's results in
//!   pages with `NextToken` (which moto does not do) and scripted query states.

mod athena;
mod moto;

pub use athena::{AthenaMock, AthenaMockBuilder, AthenaRequest};
pub use moto::{Moto, RoleSetup};
