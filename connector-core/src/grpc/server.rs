//! `serve`: the connector as a partner-SDK gRPC server. It listens on IPv4 and IPv6, answers
//! ConfigurationForm, Test, Schema and Update for any number of calls (Updates may run at the
//! same time), and runs each Update through the same driver as `debug`, with a [`GrpcSink`].
//!
//! Errors are gRPC statuses: INVALID_ARGUMENT for a bad configuration, state or request,
//! FAILED_PRECONDITION for a schema that cannot be said on the wire, INTERNAL for a failed sync.
//! Their messages never hold a secret.

use std::marker::PhantomData;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::{TcpListener, TcpStream};
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status};

use super::selection::{Selection, SelectionError};
use super::sink::{self, GrpcSink};
use super::{log, memory, wire};
use crate::config::{Configuration, ConfigurationMap, Redactor};
use crate::connector::Connector;
use crate::driver::{self, SyncError, TablesError};
use crate::proto;
use crate::proto::source_connector_server::{SourceConnector, SourceConnectorServer};

/// The largest message either way: 128 MiB, as the partner SDK sets.
pub const MAX_MESSAGE_BYTES: usize = 128 * 1024 * 1024;

/// How `serve` runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct ServeOptions {
    /// Send one `record` per message instead of `Records` batches (for clients older than
    /// `Records`, which would drop batched rows silently).
    pub single_records: bool,
}

/// The service of connector `C`.
pub struct Service<C> {
    options: ServeOptions,
    connector: PhantomData<fn() -> C>,
}

impl<C> std::fmt::Debug for Service<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("options", &self.options)
            .finish()
    }
}

impl<C: Connector> Service<C> {
    pub fn new(options: ServeOptions) -> Service<C> {
        Service {
            options,
            connector: PhantomData,
        }
    }

    /// The tonic service, with the protocol's message-size limits.
    pub fn into_server(self) -> SourceConnectorServer<Service<C>> {
        SourceConnectorServer::new(self)
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES)
    }
}

/// Runs `serve --port`: logs as JSON lines, listens on `port` (IPv4 and IPv6) until SIGINT or
/// SIGTERM.
pub async fn serve<C: Connector>(port: u16, options: ServeOptions) -> anyhow::Result<()> {
    log::init();
    log::log_panics();
    let listeners = bind(port)?;
    for listener in &listeners {
        tracing::info!("listening on {}", listener.local_addr()?);
    }
    serve_on::<C>(listeners, options, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `C` on already bound listeners until `shutdown` completes (tests bind port 0).
pub async fn serve_on<C: Connector>(
    listeners: Vec<TcpListener>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut incoming: Option<Incoming> = None;
    for listener in listeners {
        let stream: Incoming = Box::pin(TcpListenerStream::new(listener));
        incoming = Some(match incoming {
            None => stream,
            Some(other) => Box::pin(other.merge(stream)),
        });
    }
    let incoming = incoming.context("no listener to serve on")?;
    tonic::transport::Server::builder()
        .add_service(Service::<C>::new(options).into_server())
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
        .context("the gRPC server failed")
}

type Incoming =
    std::pin::Pin<Box<dyn tokio_stream::Stream<Item = std::io::Result<TcpStream>> + Send>>;

/// Listens on `port` on IPv4 (`0.0.0.0`) and IPv6 (`[::]`, IPv6 only, so both can bind the same
/// port), or IPv4 alone when IPv6 cannot be had. Port 0 picks a free port for both.
pub fn bind(port: u16) -> anyhow::Result<Vec<TcpListener>> {
    let v4 = listen(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)))
        .with_context(|| format!("cannot listen on port {port}"))?;
    let port = v4.local_addr()?.port();
    match listen(SocketAddr::from((Ipv6Addr::UNSPECIFIED, port))) {
        Ok(v6) => Ok(vec![v4, v6]),
        Err(error) => {
            tracing::warn!("listening on IPv4 only: IPv6 is not available ({error})");
            Ok(vec![v4])
        }
    }
}

fn listen(address: SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    if address.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(std::net::TcpListener::from(socket))
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// The redactor of a request's secrets, and the guard that hides them in every log line while
/// the request is served.
fn secrets<C: Connector>(map: &ConfigurationMap) -> (Redactor, log::HiddenSecrets) {
    let redactor = Redactor::for_configuration::<C::Config>(map);
    let hidden = log::hide_secrets(&redactor);
    (redactor, hidden)
}

/// Runs a handler's work (the connector's own code) on a task of its own, so that a panic in it
/// becomes an INTERNAL status with secrets hidden, not a dropped call.
async fn guarded<T: Send + 'static>(
    redactor: &Redactor,
    work: impl Future<Output = Result<T, Status>> + Send + 'static,
) -> Result<T, Status> {
    match tokio::spawn(work).await {
        Ok(result) => result,
        Err(crashed) => Err(Status::internal(redactor.redact(&format!(
            "the connector crashed: {}",
            driver::panic_message(crashed)
        )))),
    }
}

/// Whether the connector's declared tables name schemas.
fn names_schemas<C: Connector>() -> bool {
    C::tables().iter().any(|t| t.schema.is_some())
}

#[tonic::async_trait]
impl<C: Connector> SourceConnector for Service<C> {
    async fn configuration_form(
        &self,
        _request: Request<proto::ConfigurationFormRequest>,
    ) -> Result<Response<proto::ConfigurationFormResponse>, Status> {
        let form = C::Config::form();
        Ok(Response::new(wire::form_response(
            &form,
            names_schemas::<C>(),
        )))
    }

    async fn test(
        &self,
        request: Request<proto::TestRequest>,
    ) -> Result<Response<proto::TestResponse>, Status> {
        use proto::test_response::Response as Outcome;
        let request = request.into_inner();
        let (map, name) = (request.configuration, request.name);
        let (redactor, _hidden) = secrets::<C>(&map);
        let test_redactor = redactor.clone();
        let outcome = guarded(&redactor, async move {
            let test = C::Config::setup_tests()
                .into_iter()
                .find(|t| t.name == name)
                .ok_or_else(|| {
                    Status::invalid_argument(format!("there is no setup test named `{name}`"))
                })?;
            let outcome = match C::Config::from_map(&map) {
                Err(error) => Outcome::Failure(error.to_string()),
                Ok(config) => match (test.run)(&config).await {
                    Ok(()) => Outcome::Success(true),
                    Err(error) => Outcome::Failure(test_redactor.redact(&format!("{error:#}"))),
                },
            };
            tracing::info!(
                "setup test `{}`: {}",
                test.name,
                match &outcome {
                    Outcome::Success(_) => "passed".to_string(),
                    Outcome::Failure(why) => format!("failed: {why}"),
                }
            );
            Ok(outcome)
        })
        .await?;
        Ok(Response::new(proto::TestResponse {
            response: Some(outcome),
        }))
    }

    async fn schema(
        &self,
        request: Request<proto::SchemaRequest>,
    ) -> Result<Response<proto::SchemaResponse>, Status> {
        let map = request.into_inner().configuration;
        let (redactor, _hidden) = secrets::<C>(&map);
        let config =
            C::Config::from_map(&map).map_err(|e| Status::invalid_argument(e.to_string()))?;
        let schema_redactor = redactor.clone();
        let tables = guarded(&redactor, async move {
            driver::declared_tables::<C>(&config)
                .await
                .map_err(|e| match e {
                    TablesError::SchemaFunction(_) => {
                        Status::internal(schema_redactor.redact(&e.to_string()))
                    }
                    TablesError::Declaration(_) => {
                        Status::failed_precondition(schema_redactor.redact(&e.to_string()))
                    }
                })
        })
        .await?;
        Ok(Response::new(wire::schema_response(&tables)))
    }

    type UpdateStream = memory::Holding<sink::UpdateStream>;

    async fn update(
        &self,
        request: Request<proto::UpdateRequest>,
    ) -> Result<Response<Self::UpdateStream>, Status> {
        let request = request.into_inner();
        let map = request.configuration;
        let (redactor, hidden) = secrets::<C>(&map);
        C::Config::from_map(&map).map_err(|e| Status::invalid_argument(e.to_string()))?;
        let state = request.state_json;
        driver::parse_state::<C::State>(state.as_deref())
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let (out, stream) = sink::stream();
        let sink = GrpcSink::new(
            out.clone(),
            Selection::from_wire(request.selection),
            self.options.single_records,
            redactor.clone(),
        );
        // Held by the sync's task and by its response stream (see `memory`).
        let running = Arc::new(memory::Running::start());
        let task_running = Arc::clone(&running);
        tokio::spawn(async move {
            let _running = task_running;
            // The secrets stay hidden in the logs until the sync is over.
            let _hidden = hidden;
            tracing::info!("sync started");
            let client = out.clone();
            // A task of its own, so that a panic outside the sync function (in the schema
            // function, say) still ends the stream with a status instead of a clean end.
            let run = tokio::spawn(async move {
                driver::run_until::<C, _>(&map, state.as_deref(), sink, client.closed()).await
            });
            let status = match run.await {
                Ok((sink, Ok(report))) => {
                    tracing::info!(
                        "sync succeeded: {}; {} checkpoints, {} warnings, {} records of excluded tables left out",
                        report.total(),
                        report.checkpoints,
                        report.warnings,
                        sink.skipped,
                    );
                    return;
                }
                Ok((_, Err(error @ SyncError::Task(_)))) => {
                    // The task went out on the stream: it is the error the user sees.
                    tracing::error!("{}", redactor.redact(&error.to_string()));
                    return;
                }
                Ok((_, Err(SyncError::Sink(error)))) if error.is::<SelectionError>() => {
                    // Refused before anything was sent.
                    let message = format!("invalid selection: {error}");
                    tracing::error!("{message}");
                    Status::invalid_argument(message)
                }
                // The client went away: the sink found the stream closed, or the sync was
                // stopped where it waited. Nobody is left to tell; not the connector's failure.
                Ok((_, Err(SyncError::Sink(_) | SyncError::Cancelled))) => {
                    tracing::info!(
                        "the client closed the stream; the sync stopped at its last checkpoint"
                    );
                    return;
                }
                Ok((_, Err(error))) => {
                    let message = redactor.redact(&error.to_string());
                    // The message says what failed (`the sync failed: ...`): no second prefix.
                    tracing::error!("{message}");
                    match error {
                        SyncError::Configuration(_) | SyncError::State(_) => {
                            Status::invalid_argument(message)
                        }
                        SyncError::Declaration(_) => Status::failed_precondition(message),
                        _ => Status::internal(message),
                    }
                }
                Err(crashed) => {
                    let message = redactor.redact(&format!(
                        "the sync crashed: {}",
                        driver::panic_message(crashed)
                    ));
                    tracing::error!("{message}");
                    Status::internal(message)
                }
            };
            // The client may be gone; then nobody is left to tell.
            let _ = out.send(vec![Err(status)]).await;
        });
        Ok(Response::new(memory::Holding::new(stream, running)))
    }
}
