//! The tray menu's labels. The outbox line changes with the outbox; the rest is fixed for the
//! run (the menu is built at start, in the language of that moment).

use super::{plural, tr};
use crate::domain::lang::Lang;
use crate::domain::outbox::OutboxSummary;

/// One tray menu item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayItem {
    NewLead,
    SendNow,
    Open,
    Quit,
}

pub fn tray_label(item: TrayItem, lang: Lang) -> String {
    match item {
        TrayItem::NewLead => tr(lang, "Новая сделка", "New lead"),
        TrayItem::SendNow => tr(lang, "Отправить сейчас", "Send now"),
        TrayItem::Open => tr(lang, "Открыть Amo Connect", "Open Amo Connect"),
        TrayItem::Quit => tr(lang, "Выйти", "Quit"),
    }
}

/// How many of the connected user's tasks are due now (overdue or within the minute), as the
/// tray shows it (opens My tasks).
pub fn tray_tasks_line(due_now: u32, lang: Lang) -> String {
    tr(lang, format!("Задачи к сроку: {due_now}"), format!("Tasks due: {due_now}"))
}

/// The outbox's counts, as the tray shows them (opens History).
pub fn tray_outbox_line(s: &OutboxSummary, lang: Lang) -> String {
    let (w, a) = (u64::from(s.queued), u64::from(s.attention));
    tr(
        lang,
        format!(
            "Очередь: {w} {}, {a} {}",
            plural(lang, w, ("ждёт", "ждут", "ждут")),
            plural(lang, a, ("требует внимания", "требуют внимания", "требуют внимания"))
        ),
        format!("Outbox: {w} waiting, {a} {} attention", plural(lang, a, ("needs", "", "need"))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outbox_line_counts_in_each_language() {
        let s = OutboxSummary { queued: 1, attention: 0, ..Default::default() };
        assert_eq!(tray_outbox_line(&s, Lang::En), "Outbox: 1 waiting, 0 need attention");
        assert_eq!(tray_outbox_line(&s, Lang::Ru), "Очередь: 1 ждёт, 0 требуют внимания");
        let s = OutboxSummary { queued: 5, attention: 1, ..Default::default() };
        assert_eq!(tray_outbox_line(&s, Lang::En), "Outbox: 5 waiting, 1 needs attention");
        assert_eq!(tray_outbox_line(&s, Lang::Ru), "Очередь: 5 ждут, 1 требует внимания");
        assert_eq!(tray_label(TrayItem::Quit, Lang::Ru), "Выйти");
    }

    #[test]
    fn the_tasks_line_counts_in_each_language() {
        assert_eq!(tray_tasks_line(3, Lang::En), "Tasks due: 3");
        assert_eq!(tray_tasks_line(0, Lang::Ru), "Задачи к сроку: 0");
    }
}
