//! The names of an entry's steps and their states, for the CLI's `outbox` and for errors that
//! name a step (the window has its own copy of these words in `ui/src/lib/i18n/`, keyed by the
//! same codes).

use super::tr;
use crate::domain::lang::Lang;
use crate::domain::steps::{StepKind, StepState};

/// What a step writes, as a noun ("the lead", "the note").
pub fn step_label(kind: StepKind, lang: Lang) -> String {
    let (ru, en) = match kind {
        StepKind::Lead => ("сделка", "lead"),
        StepKind::IncomingLead => ("сделка в «Неразобранном»", "incoming lead"),
        StepKind::Contact => ("контакт", "contact"),
        StepKind::Company => ("компания", "company"),
        StepKind::Link => ("привязка контакта к компании", "contact put in its company"),
        StepKind::Note => ("примечание", "note"),
        StepKind::Task => ("задача", "task"),
        StepKind::Call => ("звонок", "call"),
        StepKind::TaskChange => ("изменение задачи", "task change"),
        StepKind::LeadChange => ("изменение сделки", "lead change"),
    };
    tr(lang, ru, en)
}

pub fn step_state_label(state: StepState, lang: Lang) -> String {
    let (ru, en) = match state {
        StepState::Pending => ("ждёт", "waiting"),
        StepState::MaybeSent => ("возможно, уже в amoCRM", "may be in amoCRM"),
        StepState::Done => ("в amoCRM", "in amoCRM"),
        StepState::Refused => ("отклонено amoCRM", "refused by amoCRM"),
    };
    tr(lang, ru, en)
}
