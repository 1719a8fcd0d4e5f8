//! The AWS clients of a sync, built from the configuration alone (no environment variables,
//! no profile files) on rustls with ring: STS with the configured key, then DynamoDB with the
//! temporary credentials of the assumed role. And AWS's errors in one line.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use connector_core::prelude::*;

use crate::Config;

/// The session name the role is assumed under, as in the Python original.
const SESSION_NAME: &str = "sdkSession";

/// One HTTPS client (a connection pool) for both services.
fn https() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The endpoint override of the configuration, if any.
fn endpoint(config: &Config) -> Option<&str> {
    config.endpoint_url.as_deref().filter(|url| !url.is_empty())
}

/// Assumes the configured role with the configured key (STS `AssumeRole`) and returns a
/// DynamoDB client that signs with the role's temporary credentials.
pub async fn dynamodb_as_role(config: &Config) -> Result<aws_sdk_dynamodb::Client> {
    let http = https();
    let key = Credentials::new(
        &config.aws_access_key_id,
        config.aws_secret_access_key.expose(),
        None,
        None,
        "configuration",
    );
    let mut sts = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(config.region.clone()))
        .credentials_provider(key)
        .http_client(http.clone());
    if let Some(url) = endpoint(config) {
        sts = sts.endpoint_url(url);
    }
    let assumed = aws_sdk_sts::Client::from_conf(sts.build())
        .assume_role()
        .role_arn(&config.role_arn)
        .role_session_name(SESSION_NAME)
        .send()
        .await
        .map_err(|e| anyhow!("assuming the role {}: {}", config.role_arn, aws_error(e)))?;
    let role = assumed
        .credentials()
        .context("STS assumed the role but sent no credentials")?;
    let temporary = Credentials::new(
        role.access_key_id(),
        role.secret_access_key(),
        Some(role.session_token().to_string()),
        std::time::SystemTime::try_from(*role.expiration()).ok(),
        "AssumeRole",
    );
    Ok(dynamodb(config, temporary, http))
}

/// A DynamoDB client of the configured region and endpoint, signing with `credentials`.
fn dynamodb(
    config: &Config,
    credentials: Credentials,
    http: SharedHttpClient,
) -> aws_sdk_dynamodb::Client {
    let mut settings = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(config.region.clone()))
        .credentials_provider(credentials)
        .http_client(http);
    if let Some(url) = endpoint(config) {
        settings = settings.endpoint_url(url);
    }
    aws_sdk_dynamodb::Client::from_conf(settings.build())
}

/// An SDK error in one line: AWS's code and message (`InvalidClientTokenId: The security
/// token included in the request is invalid.`); for an answer the SDK could not read, its
/// status and the start of its body; otherwise the error's chain of causes. AWS never sends a
/// secret key back, and the SDK never puts one in an error.
pub fn aws_error<E>(error: SdkError<E>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(code) = error.code() {
        return format!("{code}: {}", error.message().unwrap_or("(no message)"));
    }
    match error.raw_response() {
        Some(response) => {
            let body = response.body().bytes().unwrap_or_default();
            let body = String::from_utf8_lossy(&body[..body.len().min(500)]);
            format!("HTTP {}: {}", response.status().as_u16(), body.trim())
        }
        None => DisplayErrorContext(&error).to_string(),
    }
}

/// A DynamoDB client signing with the configured key itself (no role): the tests fill moto's
/// tables with it.
#[cfg(test)]
pub(crate) fn dynamodb_with_key(config: &Config) -> aws_sdk_dynamodb::Client {
    let key = Credentials::new(
        &config.aws_access_key_id,
        config.aws_secret_access_key.expose(),
        None,
        None,
        "configuration",
    );
    dynamodb(config, key, https())
}
