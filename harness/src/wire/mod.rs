//! The universal step: one signed AWS JSON-protocol request, and the response exactly as the target
//! sent it, errors included. Nothing is retried or interpreted here; that is the engine's business.

pub mod fault;
pub mod query;

use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use serde_json::Value;

use crate::services::Service;

/// Where and as whom one service of a target is reached.
#[derive(Clone, Debug)]
pub struct ServiceEndpoint {
    pub url: String,
    pub region: String,
    pub credentials: SharedCredentialsProvider,
}

impl ServiceEndpoint {
    /// An emulator endpoint: emulators accept any key, so a fixed dummy one is used.
    pub fn local(url: impl Into<String>, region: impl Into<String>) -> Self {
        let credentials = Credentials::new("test", "test", None, None, "conform-local");
        Self { url: url.into(), region: region.into(), credentials: SharedCredentialsProvider::new(credentials) }
    }
}

/// What came back. A service error is a response, not a Rust error: specs assert on it.
#[derive(Debug, Clone)]
pub struct WireResponse {
    pub status: u16,
    pub body: Value,
    pub error: Option<WireError>,
    pub request_id: Option<String>,
    pub elapsed: Duration,
    /// The headers and body bytes as they came, for judges that read the wire themselves (the SDKs).
    pub raw: RawResponse,
}

#[derive(Debug, Clone, Default)]
pub struct RawResponse {
    pub headers: Vec<(String, String)>,
    pub body: bytes::Bytes,
}

/// The identity of a service error as it appears on the wire.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WireError {
    /// The error shape name: `__type` (or `X-Amzn-ErrorType`) without namespace or suffix.
    pub code: String,
    /// The query-protocol code SQS adds in `x-amzn-query-error` for older clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The request never produced an HTTP response: connection refused, timeout, bad endpoint.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("could not sign the request: {0}")]
    Signing(String),
    #[error("no credentials: {0}")]
    Credentials(String),
    /// With its causes: reqwest's own text ("error sending request") hides what happened.
    #[error("{}", with_causes(.0))]
    Http(#[from] reqwest::Error),
}

fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text = format!("{text}: {e}");
        cause = e.source();
    }
    text
}

#[derive(Clone)]
pub struct WireClient {
    http: reqwest::Client,
}

impl Default for WireClient {
    fn default() -> Self {
        Self::new(Duration::from_secs(60))
    }
}

impl WireClient {
    /// `timeout` bounds a single request; long polls (up to 20 s) must fit inside it.
    pub fn new(timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(64)
            .build()
            .expect("reqwest client builds with static settings");
        Self { http }
    }

    pub async fn call(
        &self,
        service: &Service,
        endpoint: &ServiceEndpoint,
        action: &str,
        request: &Value,
    ) -> Result<WireResponse, TransportError> {
        let query = service.speaks_query();
        let (body, target) = if query {
            (query::encode(service.model(), action, request).into_bytes(), String::new())
        } else {
            (serde_json::to_vec(request).expect("JSON values serialise"), format!("{}.{action}", service.target_prefix()))
        };
        let content_type = if query { "application/x-www-form-urlencoded; charset=utf-8".to_owned() } else { service.content_type() };
        let mut headers = vec![("content-type", content_type.as_str())];
        if !query {
            headers.push(("x-amz-target", target.as_str()));
        }
        let credentials = endpoint
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| TransportError::Credentials(e.to_string()))?;
        let identity = credentials.into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&endpoint.region)
            .name(service.signing_name())
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| TransportError::Signing(e.to_string()))?
            .into();
        let signable = SignableRequest::new("POST", &endpoint.url, headers.iter().copied(), SignableBody::Bytes(&body))
            .map_err(|e| TransportError::Signing(e.to_string()))?;
        let (instructions, _) = sign(signable, &params).map_err(|e| TransportError::Signing(e.to_string()))?.into_parts();

        let mut builder = self.http.post(&endpoint.url);
        for (name, value) in headers.iter().copied().chain(instructions.headers()) {
            builder = builder.header(name, value);
        }
        let started = Instant::now();
        let response = builder.body(body).send().await?;
        let status = response.status().as_u16();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let error_type = header("x-amzn-errortype");
        let query_error = header("x-amzn-query-error");
        let request_id = header("x-amzn-requestid");
        let headers = response.headers().iter().filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned()))).collect();
        let bytes = response.bytes().await?;
        let elapsed = started.elapsed();
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        let (body, error) = if query {
            // A body that is not the XML the model describes stays a string: a fault, not an answer.
            match (status >= 300).then(|| query::decode_error(service.model(), &text())) {
                Some(Some((code, shape, message, body))) => (body, Some(WireError { code: shape, query_code: Some(code), message })),
                Some(None) => (Value::String(text()), Some(WireError { code: String::new(), query_code: None, message: None })),
                None => (query::decode(service.model(), action, &text()).unwrap_or_else(|| Value::String(text())), None),
            }
        } else {
            let body = if bytes.is_empty() {
                Value::Object(Default::default())
            } else {
                serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(text()))
            };
            let error = (status >= 300).then(|| parse_error(&body, error_type.as_deref(), query_error.as_deref()));
            (body, error)
        };
        Ok(WireResponse { status, body, error, request_id, elapsed, raw: RawResponse { headers, body: bytes } })
    }
}

/// Reads the error identity of an AWS JSON-protocol error response, as the Smithy spec says
/// clients must: `__type` in the body, else the `X-Amzn-ErrorType` header; the shape name is what
/// follows a `#` and precedes a `:`.
fn parse_error(body: &Value, error_type: Option<&str>, query_error: Option<&str>) -> WireError {
    let raw = body.get("__type").and_then(Value::as_str).or(error_type).or_else(|| body.get("code").and_then(Value::as_str));
    let code = raw.map_or_else(String::new, |t| {
        let t = t.rsplit('#').next().unwrap_or(t);
        t.split(':').next().unwrap_or(t).to_owned()
    });
    let message = ["message", "Message", "errorMessage"].iter().find_map(|k| body.get(*k).and_then(Value::as_str)).map(str::to_owned);
    let query_code = query_error.map(|q| q.split(';').next().unwrap_or(q).to_owned());
    WireError { code, query_code, message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_identity_strips_namespace_and_suffix() {
        let e = parse_error(
            &json!({"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "gone"}),
            None,
            Some("AWS.SimpleQueueService.NonExistentQueue;Sender"),
        );
        assert_eq!(e.code, "QueueDoesNotExist");
        assert_eq!(e.query_code.as_deref(), Some("AWS.SimpleQueueService.NonExistentQueue"));
        assert_eq!(e.message.as_deref(), Some("gone"));
        let e = parse_error(&json!({"Message": "m"}), Some("ResourceNotFoundException:http://internal.amazon.com/"), None);
        assert_eq!(e.code, "ResourceNotFoundException");
        assert_eq!(e.message.as_deref(), Some("m"));
    }
}
