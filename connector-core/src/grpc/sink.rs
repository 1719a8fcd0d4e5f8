//! The [`Sink`] of `serve`: encodes each operation straight into a protobuf `Record` and hands
//! the `UpdateResponse`s to the gRPC stream, in order.
//!
//! Records are encoded straight from their values into the bytes of a `Records` batch (see
//! [`super::records`]) of at most [`BATCH_RECORDS`], flushed early once its encoded size passes
//! [`BATCH_BYTES`], and always before a checkpoint or a warning; with
//! `single_records`, each goes alone in a `record` message (for clients that predate `Records`).
//! Finished messages go to the stream a few at a time (see [`MESSAGES_PER_SEND`]), and always
//! with a checkpoint, warning or task. The stream's channel is bounded, so a slow client slows
//! the source instead of filling memory.
//! Tables and columns that the selection excludes are not sent.

use std::collections::HashMap;

use prost::Message as _;
use tokio::sync::mpsc;
use tonic::Status;

use super::records::{Records, Scratch};
use super::selection::{Selection, TableChoice};
use super::wire;
use crate::config::Redactor;
use crate::proto;
use crate::proto::update_response::Operation;
use crate::record::Record;
use crate::schema::{TableId, TableRef};
use crate::sink::Sink;

/// Most records in one `Records` message (Fivetran's documented limit).
pub const BATCH_RECORDS: usize = 100;
/// A batch is flushed once its records' encoded size reaches this many bytes.
pub const BATCH_BYTES: usize = 100_000;

/// Messages handed to the stream at once: one hand-over (and one wake-up of the task that
/// writes the stream) per this many messages instead of per message.
pub const MESSAGES_PER_SEND: usize = 8;

/// One hand-over to the stream: responses, or the status that ends the stream, in order.
pub type Outgoing = Vec<Result<proto::UpdateResponse, Status>>;

/// The stream's sending half.
pub type Outbox = mpsc::Sender<Outgoing>;

/// Hand-overs buffered between a sync and its client. Small, so that a slow client slows the
/// source; each holds at most [`MESSAGES_PER_SEND`] messages of at most 100 records.
const STREAM_HAND_OVERS: usize = 2;

/// A new `Update` stream: the sink's end and the end its client reads.
pub fn stream() -> (Outbox, UpdateStream) {
    let (out, receiver) = mpsc::channel(STREAM_HAND_OVERS);
    let stream = UpdateStream {
        receiver,
        current: Vec::new().into_iter(),
    };
    (out, stream)
}

/// The `Update` response stream: the sink's hand-overs, one message at a time.
#[derive(Debug)]
pub struct UpdateStream {
    receiver: mpsc::Receiver<Outgoing>,
    current: std::vec::IntoIter<Result<proto::UpdateResponse, Status>>,
}

impl tokio_stream::Stream for UpdateStream {
    type Item = Result<proto::UpdateResponse, Status>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        loop {
            if let Some(message) = self.current.next() {
                return std::task::Poll::Ready(Some(message));
            }
            match std::task::ready!(self.receiver.poll_recv(cx)) {
                Some(outgoing) => self.current = outgoing.into_iter(),
                None => return std::task::Poll::Ready(None),
            }
        }
    }
}

/// Encodes a sync's operations into the `Update` response stream.
#[derive(Debug)]
pub struct GrpcSink {
    out: Outbox,
    selection: Selection,
    /// What is sent of each table; `None`: excluded.
    choices: HashMap<TableId, Option<TableChoice>>,
    single_records: bool,
    /// Hides the configuration's secrets in warnings, which the user sees.
    redactor: Redactor,
    batch: Records,
    scratch: Scratch,
    /// Finished messages not yet handed to the stream.
    outgoing: Outgoing,
    /// Records left out because the selection excludes their table.
    pub skipped: u64,
}

impl GrpcSink {
    pub fn new(
        out: Outbox,
        selection: Selection,
        single_records: bool,
        redactor: Redactor,
    ) -> GrpcSink {
        GrpcSink {
            out,
            selection,
            choices: HashMap::new(),
            single_records,
            redactor,
            batch: Records::default(),
            scratch: Scratch::default(),
            outgoing: Vec::with_capacity(MESSAGES_PER_SEND),
            skipped: 0,
        }
    }

    /// What is sent of `table` (its key columns always), decided once per table.
    fn choose(&mut self, table: &TableRef) -> TableId {
        let id = table.id();
        if !self.choices.contains_key(&id) {
            let choice = self.selection.table(table);
            self.choices.insert(id, choice);
        }
        id
    }

    /// Queues a message; hands the queue to the stream once it holds [`MESSAGES_PER_SEND`].
    fn send(&mut self, operation: Operation) -> anyhow::Result<()> {
        self.outgoing.push(Ok(proto::UpdateResponse {
            operation: Some(operation),
        }));
        if self.outgoing.len() >= MESSAGES_PER_SEND {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Hands the queued messages to the stream (waiting while its channel is full).
    fn hand_over(&mut self) -> anyhow::Result<()> {
        if self.outgoing.is_empty() {
            return Ok(());
        }
        let outgoing = std::mem::replace(&mut self.outgoing, Vec::with_capacity(MESSAGES_PER_SEND));
        self.out
            .blocking_send(outgoing)
            .map_err(|_| anyhow::anyhow!("the client closed the Update stream"))
    }

    /// Sends `operation` after the records batched before it, and hands everything over.
    fn send_now(&mut self, operation: Operation) -> anyhow::Result<()> {
        self.flush_records()?;
        self.send(operation)?;
        self.hand_over()
    }

    fn flush_records(&mut self) -> anyhow::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let records = std::mem::take(&mut self.batch);
        self.send(Operation::Records(records))
    }
}

impl Sink for GrpcSink {
    fn begin(&mut self, tables: &[TableRef]) -> anyhow::Result<()> {
        self.selection.check(tables)?;
        Ok(())
    }

    fn write(&mut self, record: Record) -> anyhow::Result<()> {
        let id = self.choose(&record.table);
        let Some(choice) = &self.choices[&id] else {
            self.skipped += 1;
            return Ok(());
        };
        if self.single_records {
            let wire = wire::record(record, |column| choice.column(column));
            return self.send(Operation::Record(wire));
        }
        if choice.is_everything() {
            self.batch.push_record(&record, |_| true, &mut self.scratch);
        } else {
            self.batch
                .push_record(&record, |column| choice.column(column), &mut self.scratch);
        }
        if self.batch.len() >= BATCH_RECORDS || self.batch.encoded_len() >= BATCH_BYTES {
            self.flush_records()?;
        }
        Ok(())
    }

    fn warning(&mut self, message: &str) -> anyhow::Result<()> {
        let message = self.redactor.redact(message);
        self.send_now(Operation::Warning(proto::Warning { message }))
    }

    fn task(&mut self, message: &str) -> anyhow::Result<()> {
        let message = self.redactor.redact(message);
        self.send_now(Operation::Task(proto::Task { message }))
    }

    fn checkpoint(&mut self, state_json: &str) -> anyhow::Result<()> {
        self.send_now(Operation::Checkpoint(proto::Checkpoint {
            state_json: state_json.to_string(),
        }))
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.flush_records()?;
        self.hand_over()
    }

    fn abort(&mut self) {
        // What was not checkpointed is dropped (the client rolls it back either way).
        self.batch.clear();
        self.outgoing.clear();
    }
}
