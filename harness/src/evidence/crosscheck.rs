//! Cross-checks each spec's assertions, step by step, against the AWS recordings its steps cite.
//!
//! A recording is a fact about AWS, so a step that cites it must answer the same situation (the
//! recording's request excerpt agrees with the step's request) and assert nothing it contradicts:
//! the outcome, status, `__type`, query code, message, and response fields, present or absent (see
//! `compare`). Each asserting step gets a verdict: *contradicts*, *stronger* (it asserts facts no
//! cited recording states), *weaker* (a recording states facts it does not assert), *agrees*, or
//! *uncited*. A spec is recorded-agrees only when every asserting step is covered by a recording.

use serde::Serialize;

use super::compare::{self, Comparison, Kind};
use super::corpus::Corpus;
use crate::spec::{Action, Call, Spec, SpecError};

/// What the recordings say about one spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// A cited recording contradicts a step, or answered another situation.
    RecordedContradicts,
    /// Every asserting step is covered by a recording that agrees with it.
    RecordedAgrees,
    /// Some asserting steps are covered, others rest on documentation.
    PartlyRecorded,
    /// No asserting step is covered: the spec rests on documentation.
    DocumentedOnly,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Self::RecordedContradicts => "recorded-contradicts",
            Self::RecordedAgrees => "recorded-agrees",
            Self::PartlyRecorded => "partly-recorded",
            Self::DocumentedOnly => "documented-only",
        }
    }
}

/// What the recordings say about one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepVerdict {
    /// A cited recording contradicts an assertion, or answered another situation.
    Contradicts,
    /// Every compared fact agrees, but the step asserts facts no cited recording states.
    Stronger,
    /// Every assertion is backed, and a recording states facts the step does not assert.
    Weaker,
    /// Every assertion is backed by a recording that agrees.
    Agrees,
    /// No recording that is evidence is cited.
    Uncited,
}

impl StepVerdict {
    pub fn label(self) -> &'static str {
        match self {
            Self::Contradicts => "contradicts",
            Self::Stronger => "stronger",
            Self::Weaker => "weaker",
            Self::Agrees => "recorded-agrees",
            Self::Uncited => "uncited",
        }
    }

    /// Whether a recording backs the step (what a spec's recorded-agrees needs of each asserting step).
    pub fn covered(self) -> bool {
        matches!(self, Self::Stronger | Self::Weaker | Self::Agrees)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CitedRecording {
    /// The step as snapshots label it: its number and what it does (`2 sqs.SendMessage`).
    pub step: String,
    pub recording: String,
    pub comparisons: Vec<Comparison>,
    /// Facts the recording states that the step does not assert.
    pub weaker: Vec<String>,
    /// Why the recording cannot back the step (no request excerpt, no answer as data), if so. It is
    /// still compared, so it can contradict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_evidence: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StepEvidence {
    pub step: String,
    /// Whether the step asserts more than that the call succeeds.
    pub asserting: bool,
    pub verdict: StepVerdict,
    /// The strongest kind of fact a recording backs (outcome, identity or field), when covered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// Assertions no cited recording compared: `message: /…/`.
    pub unbacked: Vec<String>,
    pub cited: Vec<CitedRecording>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpecEvidence {
    pub id: String,
    pub file: String,
    pub verdict: Verdict,
    /// The call steps that assert something or cite a recording.
    pub steps: Vec<StepEvidence>,
}

impl SpecEvidence {
    /// Every citation, in step order.
    pub fn cited(&self) -> impl Iterator<Item = &CitedRecording> {
        self.steps.iter().flat_map(|s| &s.cited)
    }
}

/// Cites that name no recording: errors pointing at the spec, as `conform check` reports them.
pub fn unknown_citations(specs: &[Spec], corpus: &Corpus) -> Vec<SpecError> {
    let mut errors = Vec::new();
    for spec in specs {
        for call in calls(spec) {
            for cite in call.evidence.iter().filter(|c| corpus.get(&c.id).is_none()) {
                let mut e = SpecError::new(&spec.file, cite.span, format!("`{}` is not a recording in the corpus", cite.id));
                match crate::spec::source::did_you_mean(&cite.id, corpus.ids()) {
                    Some(best) => e.help(format!("did you mean `{best}`?")),
                    None => e.help(format!("recordings live in {}/", super::corpus::DEFAULT_DIR)),
                };
                errors.push(e);
            }
        }
    }
    errors
}

fn calls(spec: &Spec) -> impl Iterator<Item = &Call> {
    spec.steps.iter().filter_map(|s| match &s.action {
        Action::Call(call) => Some(call.as_ref()),
        _ => None,
    })
}

/// Judges every spec. Unknown ids must have been rejected first (`unknown_citations`).
pub fn crosscheck(specs: &[Spec], corpus: &Corpus) -> Vec<SpecEvidence> {
    specs.iter().map(|spec| judge_spec(spec, corpus)).collect()
}

fn judge_spec(spec: &Spec, corpus: &Corpus) -> SpecEvidence {
    let mut steps = Vec::new();
    for (index, step) in spec.steps.iter().enumerate() {
        let Action::Call(call) = &step.action else { continue };
        let label = format!("{} {}", index + 1, step.describe());
        if compare::asserts(call) || !call.evidence.is_empty() {
            steps.push(judge_step(label, call, corpus));
        }
    }
    let asserting: Vec<&StepEvidence> = steps.iter().filter(|s| s.asserting).collect();
    let verdict = if steps.iter().any(|s| s.verdict == StepVerdict::Contradicts) {
        Verdict::RecordedContradicts
    } else if !asserting.is_empty() && asserting.iter().all(|s| s.verdict.covered()) {
        Verdict::RecordedAgrees
    } else if asserting.iter().any(|s| s.verdict.covered()) {
        Verdict::PartlyRecorded
    } else {
        Verdict::DocumentedOnly
    };
    SpecEvidence { id: spec.id.clone(), file: spec.file.name.clone(), verdict, steps }
}

fn judge_step(step: String, call: &Call, corpus: &Corpus) -> StepEvidence {
    let mut cited = Vec::new();
    for cite in &call.evidence {
        let Some(recording) = corpus.get(&cite.id) else { continue };
        let compared = compare::compare(call, recording);
        cited.push(CitedRecording {
            step: step.clone(),
            recording: cite.id.clone(),
            comparisons: compared.comparisons,
            weaker: compared.weaker,
            not_evidence: recording.lacks(),
        });
    }
    let assertions = compare::assertions(call);
    let evidence: Vec<&CitedRecording> = cited.iter().filter(|c| c.not_evidence.is_none()).collect();
    let backed = |what: &str| evidence.iter().flat_map(|c| &c.comparisons).any(|f| f.what == what);
    let unbacked: Vec<String> = assertions.iter().filter(|a| !backed(&a.what)).map(|a| format!("{}: {}", a.what, a.asserts)).collect();
    let kind = evidence.iter().flat_map(|c| &c.comparisons).filter(|f| f.kind > Kind::Situation).map(|f| f.kind).max();
    let verdict = if cited.iter().flat_map(|c| &c.comparisons).any(|f| !f.agrees) {
        StepVerdict::Contradicts
    } else if kind.is_none() {
        StepVerdict::Uncited
    } else if !unbacked.is_empty() {
        StepVerdict::Stronger
    } else if evidence.iter().any(|c| !c.weaker.is_empty()) {
        StepVerdict::Weaker
    } else {
        StepVerdict::Agrees
    };
    let kind = kind.filter(|_| verdict.covered());
    StepEvidence { step, asserting: compare::asserts(call), verdict, kind, unbacked, cited }
}
