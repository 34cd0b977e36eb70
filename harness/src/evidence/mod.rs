//! Evidence: what AWS was recorded doing (`fixtures/aws-recorded/`), and whether each spec's
//! assertions agree with the recordings its steps cite. Offline: nothing here talks to a service.

pub mod compare;
pub mod corpus;
pub mod crosscheck;
pub mod situation;

pub use corpus::{Corpus, Recording};
pub use crosscheck::{crosscheck, unknown_citations, SpecEvidence, StepEvidence, StepVerdict, Verdict};
