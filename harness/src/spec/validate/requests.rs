//! Requests: the action a step calls, and its request against the action's input shape in AWS's model.


use serde_saphyr::Spanned;

use super::Validator;
use crate::services;
use crate::spec::node::{Node, Pos};
use crate::spec::source::did_you_mean;

impl Validator<'_> {
    /// The request against the action's input shape in AWS's model.
    pub(super) fn check_request(&mut self, service: &services::Service, action: &str, request: &Node) {
        let model = service.model();
        let Some(input) = model.operation(action).and_then(|o| o.input.as_ref()) else { return };
        for finding in crate::model::check(model, &input.shape, request, crate::model::Direction::Request) {
            let message = format!("{}.{action} request: {}", service.name, finding.message);
            let e = self.node_error(finding.at, message);
            if let Some(help) = finding.help {
                e.help(help);
            }
        }
    }

    pub(super) fn action(&mut self, call: &Spanned<String>) -> Option<(&'static services::Service, String)> {
        let pos = Pos::of(call);
        let Some((service_name, action)) = call.value.split_once('.') else {
            self.error(pos, call.value.len(), format!("`{}` is not `<service>.<Action>`", call.value))
                .help("e.g. `sqs.SendMessage`, `kinesis.PutRecord`, `dynamodb.PutItem`, `dynamodbstreams.GetRecords`");
            return None;
        };
        let Some(service) = services::by_name(service_name) else {
            let e = self.error(pos, service_name.len(), format!("unknown service `{service_name}`"));
            match did_you_mean(service_name, services::names()) {
                Some(best) => e.help(format!("did you mean `{best}`?")),
                None => e.help(format!("services: {}", services::names().collect::<Vec<_>>().join(", "))),
            };
            return None;
        };
        if !service.has_action(action) {
            let column = pos.column + service_name.len() as u64 + 1;
            let e = self.error(Pos { column, ..pos }, action.len(), format!("{service_name} has no action `{action}`"));
            if let Some(best) = did_you_mean(action, service.actions()) {
                e.help(format!("did you mean `{best}`?"));
            }
            return None;
        }
        Some((service, action.to_owned()))
    }

}
