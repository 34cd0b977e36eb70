//! An HTTP client for the SDKs that sends nothing: every request gets the response a target already
//! gave, so the SDK's own deserializer reads exactly what came over the wire.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use crate::wire::WireResponse;

#[derive(Debug, Clone)]
pub(super) struct Replay {
    status: u16,
    headers: Vec<(String, String)>,
    body: bytes::Bytes,
}

impl Replay {
    pub(super) fn of(response: &WireResponse) -> Self {
        Self { status: response.status, headers: response.raw.headers.clone(), body: response.raw.body.clone() }
    }
}

impl HttpClient for Replay {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}

impl HttpConnector for Replay {
    fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
        // The status came from a real HTTP response, so it is a valid one.
        let status = StatusCode::try_from(self.status).expect("an HTTP status the target sent");
        let mut response = HttpResponse::new(status, SdkBody::from(self.body.clone()));
        for (name, value) in &self.headers {
            // reqwest only hands over headers that are valid on the wire; any it could not read as
            // text were left out when the response was recorded.
            let _ = response.headers_mut().try_append(name.clone(), value.clone());
        }
        HttpConnectorFuture::ready(Ok(response))
    }
}
