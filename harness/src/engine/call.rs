//! One `call` step: render the request, send it, judge the response, repeat while `eventually`
//! allows, capture variables. Every attempt is recorded.

use std::time::Duration;

use serde_json::Value;

use super::{SpecContext, Stop};
use crate::check::{self, CheckResult};
use crate::report::Attempt;
use crate::spec::template;
use crate::spec::{Call, ErrorExpectation, Expectation};
use crate::wire::{fault, ServiceEndpoint, WireResponse};

impl SpecContext<'_> {
    /// Runs a call (with its `eventually` policy); on success the captures are in `vars`.
    pub(super) async fn call(&mut self, call: &Call, attempts: &mut Vec<Attempt>) -> Result<(), Stop> {
        if let Some(collect) = &call.collect {
            return self.collect(call, collect, attempts).await;
        }
        let file = &self.spec.file;
        let request = template::render(&call.request, &self.vars).map_err(|e| Stop::error(e, None))?;
        let endpoint = self
            .target
            .endpoint(call.service.name)
            .ok_or_else(|| Stop::error(format!("target has no {} endpoint", call.service.name), None))?;
        let deadline = call.eventually.as_ref().map(|e| tokio::time::Instant::now() + self.scaled(e.timeout));
        let mut wait = call.eventually.as_ref().map_or(Duration::ZERO, |e| e.interval);
        let mut faults = 0;
        loop {
            let response = self.answer(call, endpoint, &request, attempts, &mut faults).await?;
            let (error_check, body_checks) = judge(call, &response, &self.vars);
            let fail_fast = call.eventually.as_ref().is_some_and(|e| {
                !e.fail_fast.is_empty() && e.fail_fast.iter().all(|x| check::check(x, &response.body, &self.vars).passed)
            });
            // An unexpected (or missing) error explains everything else, so it is reported first.
            let error_span = call.expect_error.as_ref().map_or(self.step_span, |e| e.span);
            let first_failure = error_check
                .iter()
                .map(|c| (error_span, c))
                .chain(call.expect.iter().map(|e| e.span).zip(&body_checks))
                .find(|(_, c)| !c.passed)
                .map(|(span, c)| (span, c.clone()));
            attempts.last_mut().expect("answered").checks = error_check.into_iter().chain(body_checks).collect();
            let Some((span, failed)) = first_failure else {
                return self.capture(call, &response.body);
            };
            let why = format!("{}: {}", failed.path, failed.detail.unwrap_or_default());
            let location = Some(location(file, span));
            match deadline {
                None => return Err(Stop::Fail { message: why, location }),
                Some(_) if fail_fast => {
                    return Err(Stop::Fail { message: format!("fail-fast condition held: {why}"), location })
                }
                Some(deadline) if tokio::time::Instant::now() + wait > deadline => {
                    let n = attempts.len();
                    return Err(Stop::Fail { message: format!("not within the `eventually` timeout ({n} attempts): {why}"), location });
                }
                Some(_) => {}
            }
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.cancel.cancelled() => return Err(Stop::Cancelled),
            }
            let policy = call.eventually.as_ref().expect("deadline implies eventually");
            wait = wait.mul_f64(policy.backoff).min(policy.max_interval);
        }
    }

    /// Sends the request until an answer comes that is not a fault, and returns it. Every try is an
    /// attempt (the caller fills in the checks of the last); no answer, a 5xx or a body that is not
    /// JSON is the target's or the network's trouble, not an answer to judge: repeated when the
    /// call is safe to repeat (`faults` counts them over the whole step), else the step is an error.
    pub(super) async fn answer(
        &mut self,
        call: &Call,
        endpoint: &ServiceEndpoint,
        request: &Value,
        attempts: &mut Vec<Attempt>,
        faults: &mut u32,
    ) -> Result<WireResponse, Stop> {
        loop {
            let outcome = self.call_tracked(call.service, endpoint, &call.action, request).await;
            let fault = fault::fault(outcome.as_ref(), asked(call));
            let response = outcome.ok();
            // A fault is not an answer, so it is not held to the model or the SDK either.
            let mut shape = Vec::new();
            if let (Some(response), None) = (&response, &fault) {
                let code = response.error.as_ref().map(|e| e.code.as_str());
                shape = crate::model::check_response(call.service.name, &call.action, &response.body, code);
                shape.extend(crate::sdk_parse::check(call.service.name, &call.action, response).await);
            }
            attempts.push(Attempt {
                iteration: self.iteration,
                request: request.clone(),
                // No answer at all is recorded with status 0 and the transport error as its body.
                status: response.as_ref().map_or(0, |r| r.status),
                response: response.as_ref().map_or_else(|| Value::String(fault.clone().unwrap_or_default()), |r| r.body.clone()),
                error: response.as_ref().and_then(|r| r.error.clone()),
                checks: Vec::new(),
                shape,
                elapsed: response.as_ref().map_or(Duration::ZERO, |r| r.elapsed),
                collected: None,
            });
            let Some(fault) = fault else {
                self.breaker.answered(call.service.name, &call.action);
                return Ok(response.expect("an answer"));
            };
            // A throttled request was not carried out, so any call may be repeated.
            let throttled = response.as_ref().and_then(|r| r.error.as_ref()).is_some_and(fault::throttled);
            if *faults == 0 && !throttled {
                self.breaker.faulted(call.service.name, &call.action, &fault);
            }
            let retries = self.breaker.retries(call.service.name, &call.action);
            if (fault::repeatable(&call.action) || throttled) && *faults < retries {
                *faults += 1;
                self.pause_after_fault(*faults).await?;
                continue;
            }
            let retried = match *faults {
                0 if retries == 0 && fault::repeatable(&call.action) => " (not retried: calls of this operation keep meeting this fault)".to_owned(),
                0 => String::new(),
                n => format!(" (after {n} retries)"),
            };
            return Err(Stop::error(format!("{}.{}: {fault}{retried}: a fault, not a verdict", call.service.name, call.action), None));
        }
    }

    /// The growing pause before repeating a call after its `faults`-th fault; Ctrl-C ends it.
    async fn pause_after_fault(&self, faults: u32) -> Result<(), Stop> {
        tokio::select! {
            _ = tokio::time::sleep(fault::pause(faults)) => Ok(()),
            _ = self.cancel.cancelled() => Err(Stop::Cancelled),
        }
    }

    pub(super) fn capture(&mut self, call: &Call, body: &Value) -> Result<(), Stop> {
        for capture in &call.capture {
            let value = check::matcher::select(&capture.path, body).ok_or_else(|| Stop::Fail {
                message: format!("capture `{}`: nothing at {}", capture.name, capture.path.text),
                location: Some(location(&self.spec.file, capture.span)),
            })?;
            self.vars.insert(capture.name.clone(), value);
        }
        Ok(())
    }
}

/// The errors a step itself expects: those are answers, not faults.
fn asked(call: &Call) -> fault::Asked<'_> {
    let expected = call.expect_error.as_ref();
    fault::Asked { code: expected.and_then(|e| e.code.as_deref()), server_error: expected.and_then(|e| e.status).is_some_and(|s| s >= 500) }
}

/// Checks a response against the step's error expectation (if an error was expected or came) and
/// its `expect` paths.
fn judge(call: &Call, response: &WireResponse, vars: &template::Vars) -> (Option<CheckResult>, Vec<CheckResult>) {
    let body_checks = call.expect.iter().map(|e: &Expectation| check::check(e, &response.body, vars)).collect();
    let error_check = match (&response.error, &call.expect_error) {
        (None, None) => None,
        (Some(error), None) => Some(CheckResult {
            path: "error".into(),
            passed: false,
            detail: Some(format!(
                "unexpected error {} (HTTP {}): {}",
                error.code,
                response.status,
                error.message.as_deref().unwrap_or("")
            )),
        }),
        (None, Some(expected)) => Some(CheckResult {
            path: "error".into(),
            passed: false,
            detail: Some(format!("expected error {}, but the call succeeded (HTTP {})", describe(expected), response.status)),
        }),
        (Some(error), Some(expected)) => {
            let mut wrong = Vec::new();
            if let Some(code) = &expected.code {
                if &error.code != code {
                    wrong.push(format!("code {} instead of {code}", error.code));
                }
            }
            if let Some(query_code) = &expected.query_code {
                if error.query_code.as_ref() != Some(query_code) {
                    wrong.push(format!("query code {:?} instead of {query_code}", error.query_code.as_deref().unwrap_or("none")));
                }
            }
            if let Some(status) = expected.status {
                if response.status != status {
                    wrong.push(format!("HTTP {} instead of {status}", response.status));
                }
            }
            if let Some(re) = &expected.message {
                let message = error.message.as_deref().unwrap_or("");
                if !re.is_match(message) {
                    wrong.push(format!("message {message:?} does not match /{re}/"));
                }
            }
            Some(CheckResult {
                path: "error".into(),
                passed: wrong.is_empty(),
                detail: (!wrong.is_empty()).then(|| wrong.join("; ")),
            })
        }
    };
    (error_check, body_checks)
}

fn describe(e: &ErrorExpectation) -> String {
    [e.code.clone(), e.query_code.clone(), e.status.map(|s| format!("HTTP {s}"))]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn location(file: &crate::spec::source::SourceFile, span: crate::spec::source::Span) -> String {
    let (line, col) = file.line_col(span.offset);
    format!("{}:{line}:{col}", file.name)
}
