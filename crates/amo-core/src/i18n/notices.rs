//! The text of system notifications, in the user's language: (summary, body).

use super::{plural, tr};
use crate::domain::lang::Lang;
use crate::domain::notice::Notice;

/// The notification's summary line and body. Without `details` (Settings: "Hide customer details
/// in notifications") no customer's name, lead title or link is in it: notifications show on the
/// lock screen, and to whoever stands at the desk.
pub fn notice_text(n: &Notice, lang: Lang, details: bool) -> (String, String) {
    match n {
        Notice::Sent { .. } | Notice::SentMany { .. } if !details => {
            let count = match n {
                Notice::SentMany { count, .. } => u64::from(*count),
                _ => 1,
            };
            (
                tr(
                    lang,
                    format!(
                        "{count} {} в amoCRM",
                        plural(lang, count, ("запись отправлена", "записи отправлены", "записей отправлено"))
                    ),
                    format!("{count} {} amoCRM", plural(lang, count, ("entry reached", "", "entries reached"))),
                ),
                tr(lang, "Подробности — в «Истории».", "See History for details."),
            )
        }
        Notice::Sent { title, url } => (
            tr(lang, "Отправлено в amoCRM", "Sent to amoCRM"),
            match url {
                Some(u) => format!("{title}\n{u}"),
                None => title.clone(),
            },
        ),
        Notice::SentMany { count, titles } => {
            let c = u64::from(*count);
            let more = if titles.len() < *count as usize { ", …" } else { "" };
            (
                tr(
                    lang,
                    format!(
                        "{count} {} в amoCRM",
                        plural(lang, c, ("запись отправлена", "записи отправлены", "записей отправлено"))
                    ),
                    format!("{count} {} amoCRM", plural(lang, c, ("entry reached", "", "entries reached"))),
                ),
                format!("{}{more}", titles.join(", ")),
            )
        }
        Notice::Attention { count } => {
            let c = u64::from(*count);
            (
                tr(lang, "Нужно ваше внимание", "Needs your attention"),
                tr(
                    lang,
                    format!(
                        "amoCRM не принял {count} {} — см. «Историю».",
                        plural(lang, c, ("запись", "записи", "записей"))
                    ),
                    format!("amoCRM refused {count} {}; see History.", plural(lang, c, ("entry", "", "entries"))),
                ),
            )
        }
        Notice::Banned => (
            tr(lang, "amoCRM заблокировал API аккаунта", "amoCRM blocked the account's API"),
            tr(
                lang,
                "Ничего не отправляется, пока поддержка amoCRM не снимет блокировку. Записи сохранены.",
                "Nothing is sent until amoCRM support lifts the block. Your entries are kept.",
            ),
        ),
        Notice::ReconnectNeeded => (
            tr(lang, "Подключитесь к amoCRM заново", "Reconnect to amoCRM"),
            tr(
                lang,
                "amoCRM больше не принимает подключение. Записи ждут в очереди, пока вы не подключитесь снова.",
                "amoCRM no longer accepts the connection. Entries wait in the outbox until you connect again.",
            ),
        ),
        Notice::TasksDue { count, titles } => {
            let c = u64::from(*count);
            let summary = tr(
                lang,
                format!("Срок наступил: {count} {}", plural(lang, c, ("задача", "задачи", "задач"))),
                format!("{count} {} due", plural(lang, c, ("task is", "", "tasks are"))),
            );
            // Without details a task's text (often a customer's name) is not shown.
            let body = if !details || titles.is_empty() {
                tr(lang, "Откройте «Мои задачи».", "Open My tasks to see them.")
            } else {
                let more = if titles.len() < *count as usize { ", …" } else { "" };
                format!("{}{more}", titles.join(", "))
            };
            (summary, body)
        }
        Notice::KeepAliveFailed { error } => (
            tr(lang, "Не удалось обновить подключение к amoCRM", "Could not refresh the amoCRM connection"),
            tr(
                lang,
                format!("{} Новая попытка — в течение часа; записи сохранены.", error.message(lang)),
                format!("{} Trying again within an hour; your entries are kept.", error.message(lang)),
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_one_notice_counted_in_each_language() {
        let n = Notice::SentMany { count: 5, titles: vec!["A".into(), "B".into(), "C".into()] };
        assert_eq!(notice_text(&n, Lang::En, true), ("5 entries reached amoCRM".into(), "A, B, C, …".into()));
        assert_eq!(notice_text(&n, Lang::Ru, true).0, "5 записей отправлено в amoCRM");
        let two = Notice::SentMany { count: 2, titles: vec!["A".into(), "B".into()] };
        assert_eq!(notice_text(&two, Lang::Ru, true), ("2 записи отправлены в amoCRM".into(), "A, B".into()));
        let one = Notice::Attention { count: 1 };
        assert_eq!(notice_text(&one, Lang::En, true).1, "amoCRM refused 1 entry; see History.");
    }

    #[test]
    fn tasks_due_are_one_notice_counted_in_each_language() {
        let three = Notice::TasksDue { count: 4, titles: vec!["Call back Ivan".into(), "Send the offer".into()] };
        assert_eq!(
            notice_text(&three, Lang::En, true),
            ("4 tasks are due".into(), "Call back Ivan, Send the offer, …".into())
        );
        assert_eq!(notice_text(&three, Lang::Ru, true).0, "Срок наступил: 4 задачи");
        let one = Notice::TasksDue { count: 1, titles: vec!["Call back Ivan".into()] };
        assert_eq!(notice_text(&one, Lang::En, true), ("1 task is due".into(), "Call back Ivan".into()));
        assert_eq!(notice_text(&one, Lang::Ru, true).0, "Срок наступил: 1 задача");
        assert_eq!(notice_text(&one, Lang::En, false), ("1 task is due".into(), "Open My tasks to see them.".into()));
        let five = Notice::TasksDue { count: 5, titles: vec![] };
        assert_eq!(notice_text(&five, Lang::Ru, false).0, "Срок наступил: 5 задач");
    }

    #[test]
    fn hidden_details_leave_no_name_title_or_link_in_any_notice() {
        let secret = "Anna Petrova, +7 912 111-22-33";
        let url = "https://example.amocrm.ru/leads/detail/42";
        let notices = [
            Notice::Sent { title: secret.into(), url: Some(url.into()) },
            Notice::SentMany { count: 3, titles: vec![secret.into(), "B".into()] },
            Notice::Attention { count: 2 },
            Notice::Banned,
            Notice::ReconnectNeeded,
            Notice::TasksDue { count: 2, titles: vec![secret.into()] },
        ];
        for lang in [Lang::En, Lang::Ru] {
            for n in &notices {
                let (summary, body) = notice_text(n, lang, false);
                for text in [&summary, &body] {
                    assert!(
                        !text.contains("Anna") && !text.contains("912") && !text.contains("amocrm.ru/"),
                        "{n:?}: {text}"
                    );
                }
                assert!(!summary.is_empty() && !body.is_empty(), "{n:?} says nothing");
            }
        }
        let (summary, body) = notice_text(&notices[0], Lang::En, false);
        assert_eq!((summary.as_str(), body.as_str()), ("1 entry reached amoCRM", "See History for details."));
        assert_eq!(notice_text(&notices[1], Lang::Ru, false).0, "3 записи отправлены в amoCRM");
        // With details, the name and link are what the notice is for.
        assert_eq!(notice_text(&notices[0], Lang::En, true).1, format!("{secret}\n{url}"));
    }
}
