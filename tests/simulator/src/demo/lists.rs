//! The demo account's built-in words (no data files): Russian first names and surnames (with
//! their feminine forms), some Latin names, cities with their area codes, the companies, and what
//! a furniture shop's leads, notes, calls and tasks say.

#[rustfmt::skip]
pub(super) const MEN: [&str; 25] = [
    "Александр", "Алексей", "Андрей", "Антон", "Артём", "Борис", "Вадим", "Виктор", "Владимир",
    "Георгий", "Денис", "Дмитрий", "Евгений", "Иван", "Игорь", "Кирилл", "Максим", "Михаил",
    "Никита", "Николай", "Олег", "Павел", "Роман", "Сергей", "Юрий",
];

#[rustfmt::skip]
pub(super) const WOMEN: [&str; 25] = [
    "Алина", "Анастасия", "Анна", "Валентина", "Вера", "Виктория", "Галина", "Дарья", "Екатерина",
    "Елена", "Ирина", "Ксения", "Лариса", "Людмила", "Марина", "Мария", "Наталья", "Ольга",
    "Оксана", "Полина", "Светлана", "Софья", "Татьяна", "Юлия", "Яна",
];

/// Surnames in their masculine form; [`feminine`] gives a woman's.
#[rustfmt::skip]
pub(super) const SURNAMES: [&str; 76] = [
    "Смирнов", "Иванов", "Кузнецов", "Соколов", "Попов", "Лебедев", "Козлов", "Новиков", "Морозов",
    "Петров", "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов", "Голубев",
    "Виноградов", "Богданов", "Воробьёв", "Фёдоров", "Михайлов", "Беляев", "Тарасов", "Белов",
    "Комаров", "Орлов", "Киселёв", "Макаров", "Андреев", "Ковалёв", "Ильин", "Гусев", "Титов",
    "Кузьмин", "Баранов", "Куликов", "Алексеев", "Степанов", "Яковлев", "Сорокин", "Никитин",
    "Захаров", "Зимин", "Лапин", "Галкин", "Калинин", "Медведев", "Фролов", "Жуков", "Крылов",
    "Громов", "Ершов", "Щербаков", "Маслов", "Григорьев", "Романов", "Воронин", "Ефимов", "Давыдов",
    "Тихонов", "Карпов", "Горбунов", "Лукин", "Островский", "Вишневский", "Добровольский",
    "Полянский", "Трубецкой", "Шевченко", "Ткаченко", "Бондаренко", "Кравчук", "Мельник",
    "Саркисян", "Петросян",
];

#[rustfmt::skip]
pub(super) const LATIN_MEN: [&str; 10] = [
    "John", "Michael", "David", "Thomas", "Daniel", "Mark", "Peter", "James", "Lukas", "Marco",
];

#[rustfmt::skip]
pub(super) const LATIN_WOMEN: [&str; 10] = [
    "Emma", "Sarah", "Laura", "Julia", "Sophie", "Olivia", "Claire", "Maria", "Hannah", "Eva",
];

#[rustfmt::skip]
pub(super) const LATIN_SURNAMES: [&str; 14] = [
    "Smith", "Miller", "Brown", "Wilson", "Taylor", "Clark", "Walker", "Fischer", "Schneider",
    "Novak", "Rossi", "Dubois", "Jensen", "Kowalski",
];

/// A woman's form of a Russian surname: -ов/-ев/-ёв/-ин/-ын take -а, -ский/-цкий become
/// -ская/-цкая, -ой becomes -ая; others (-ко, -ук, -ник, -ян) stay as they are.
pub(super) fn feminine(surname: &str) -> String {
    if let Some(stem) = surname.strip_suffix("ий") {
        return format!("{stem}ая");
    }
    if let Some(stem) = surname.strip_suffix("ой") {
        return format!("{stem}ая");
    }
    if ["ов", "ев", "ёв", "ин", "ын"].iter().any(|s| surname.ends_with(s)) {
        return format!("{surname}а");
    }
    surname.to_string()
}

/// Latin letters for an e-mail's local part (the common passport-style transliteration);
/// ASCII letters and digits stay, anything else is dropped.
pub(super) fn latin(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            continue;
        }
        out.push_str(match c {
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' => "i",
            'й' | 'ы' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ю' => "yu",
            'я' => "ya",
            _ => "",
        });
    }
    out
}

pub(super) struct City {
    pub(super) name: &'static str,
    /// The landline area code (three digits of the ten).
    pub(super) code: u64,
}

pub(super) const CITIES: [City; 10] = [
    City { name: "Москва", code: 495 },
    City { name: "Санкт-Петербург", code: 812 },
    City { name: "Казань", code: 843 },
    City { name: "Екатеринбург", code: 343 },
    City { name: "Нижний Новгород", code: 831 },
    City { name: "Новосибирск", code: 383 },
    City { name: "Самара", code: 846 },
    City { name: "Краснодар", code: 861 },
    City { name: "Воронеж", code: 473 },
    City { name: "Пермь", code: 342 },
];

pub(super) const STREETS: [&str; 10] = [
    "ул. Ленина",
    "ул. Советская",
    "ул. Гагарина",
    "пр. Мира",
    "ул. Садовая",
    "ул. Пушкина",
    "Набережная ул.",
    "ул. Победы",
    "ул. Лесная",
    "ул. Заводская",
];

pub(super) struct Company {
    pub(super) name: &'static str,
    pub(super) domain: Option<&'static str>,
    pub(super) city: usize,
    /// A sole trader's own name (first, last): the company's one person.
    pub(super) owner: Option<(&'static str, &'static str)>,
}

const fn company(name: &'static str, domain: &'static str, city: usize) -> Company {
    Company { name, domain: Some(domain), city, owner: None }
}

const fn sole_trader(name: &'static str, city: usize, first: &'static str, last: &'static str) -> Company {
    Company { name, domain: None, city, owner: Some((first, last)) }
}

pub(super) static COMPANIES: [Company; 40] = [
    company("ООО «Северный ветер»", "severveter.ru", 0),
    company("ООО «Мебельград»", "mebelgrad.ru", 2),
    company("ООО «Уют-Строй»", "uyut-stroy.ru", 3),
    company("АО «Уральские самоцветы»", "ural-samocvety.ru", 3),
    company("ООО «Белый парус»", "belyparus.ru", 1),
    company("ООО «Гранит»", "granit-nn.ru", 4),
    company("ООО «Альфа-Офис»", "alfa-office.ru", 0),
    company("ООО «ТехноПарк»", "technopark-nsk.ru", 5),
    company("ООО «Светлый дом»", "svetlydom.ru", 6),
    company("ООО «Кофейня на Покровке»", "pokrovka-coffee.ru", 0),
    company("ООО «Волжский берег»", "volzhsky-bereg.ru", 6),
    company("ООО «Дом и сад»", "domisad.ru", 7),
    company("ООО «Зелёная линия»", "zelenaya-liniya.ru", 8),
    company("ООО «Сибирский лес»", "sibles.ru", 5),
    company("ООО «Полярная звезда»", "polyarnaya-zvezda.ru", 1),
    company("ООО «Стройинвест»", "stroyinvest-perm.ru", 9),
    company("ООО «Медовый край»", "medovy-kray.ru", 7),
    company("ООО «Отель Заря»", "hotel-zarya.ru", 2),
    company("АНО «Школа Перспектива»", "school-perspektiva.ru", 0),
    company("ООО «Вектор»", "vektor-group.ru", 8),
    company("ООО «Ладога»", "ladoga-trade.ru", 1),
    company("ООО «Балтийский дом»", "baltdom.ru", 1),
    company("ООО «Стиль Интерьер»", "stil-interier.ru", 0),
    company("ООО «Коворкинг Точка»", "tochka-cowork.ru", 4),
    company("АО «Невская мануфактура»", "nevmanufaktura.ru", 1),
    company("ООО «Хлебный дом»", "hlebdom.ru", 9),
    company("ООО «Фитнес-клуб Атлет»", "atlet-fitness.ru", 2),
    company("ООО «Кубань-Агро»", "kuban-agro.ru", 7),
    company("ООО «Солнечный город»", "solnechny-gorod.ru", 3),
    company("ООО «Клиника Здоровье»", "clinic-zdorovie.ru", 6),
    sole_trader("ИП Кузнецов А. В.", 0, "Алексей", "Кузнецов"),
    sole_trader("ИП Морозова Е. С.", 9, "Елена", "Морозова"),
    sole_trader("ИП Волков Д. И.", 8, "Денис", "Волков"),
    sole_trader("ИП Лебедева Н. П.", 4, "Наталья", "Лебедева"),
    sole_trader("ИП Орлов С. М.", 5, "Сергей", "Орлов"),
    company("Acme Logistics", "acme-logistics.com", 0),
    company("Northwind Traders", "northwind-traders.com", 1),
    company("Blue Harbor Hotels", "blueharbor-hotels.com", 1),
    company("Globex Furniture", "globex-furniture.com", 0),
    company("Lakeside Studio", "lakeside-studio.com", 2),
];

pub(super) const POSITIONS: [&str; 10] = [
    "Директор",
    "Генеральный директор",
    "Менеджер по закупкам",
    "Офис-менеджер",
    "Главный бухгалтер",
    "Руководитель отдела снабжения",
    "Администратор",
    "Управляющий",
    "Дизайнер интерьеров",
    "Заместитель директора",
];

#[rustfmt::skip]
pub(super) const MAIL_DOMAINS: [&str; 8] = [
    "mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "list.ru", "rambler.ru", "ya.ru",
];

/// Mobile operator codes (the first three of the ten digits).
pub(super) const MOBILE_CODES: [u64; 22] =
    [903, 905, 906, 909, 910, 912, 915, 916, 917, 919, 922, 925, 926, 929, 950, 952, 962, 965, 977, 981, 985, 999];

pub(super) const RETAIL_LEADS: [&str; 16] = [
    "Диван «Честер»",
    "Кухонный гарнитур «Сканди»",
    "Шкаф-купе 2,4 м",
    "Кровать с подъёмным механизмом",
    "Обеденный стол и 4 стула",
    "Кресло «Берген»",
    "Детская «Морская»",
    "Прихожая на заказ",
    "Стеллаж в гостиную",
    "Матрас «Ортопед» 160×200",
    "Комод «Прованс»",
    "Рабочий стол для дома",
    "Угловой диван «Манхэттен»",
    "Гардеробная под ключ",
    "Тумба под ТВ",
    "Кухня «Милан» с техникой",
];

/// Where leads come from (the values of the lead field "Источник"), as often as they do.
pub(super) const SOURCES: [&str; 5] = ["Сайт", "Сайт", "Звонок", "Звонок", "Instagram"];

pub(super) const WHOLESALE_LEADS: [&str; 10] = [
    "Опт: 40 офисных кресел",
    "Стулья для кафе, 60 шт.",
    "Мебель для гостиницы, 24 номера",
    "Стеллажи для склада",
    "Столы для коворкинга",
    "Шкафы для школы, 30 шт.",
    "Ресепшн и зона ожидания",
    "Мебель для переговорной",
    "Кабинет руководителя",
    "Открытое пространство на 50 мест",
];

pub(super) const LEAD_NOTES: [&str; 12] = [
    "Просил скидку 5% при оплате сразу",
    "Нужна доставка на 7 этаж без лифта",
    "Интересуется рассрочкой на 6 месяцев",
    "Отправили каталог тканей на почту",
    "Пришёл по рекомендации знакомых",
    "Хочет успеть до новоселья",
    "Сравнивает с предложением конкурентов",
    "Согласовали замер на выходных",
    "Цвет фасадов: белый матовый",
    "Оплата по безналу, нужен счёт",
    "Просит привезти образцы в офис",
    "Бюджет ограничен, предложить эконом-вариант",
];

pub(super) const CALL_RESULTS: [&str; 8] = [
    "Обсудили сроки доставки",
    "Уточнили размеры",
    "Договорились о встрече в шоуруме",
    "Клиент думает, перезвонит сам",
    "Подтвердил заказ",
    "Спрашивал про рассрочку",
    "Попросил прислать КП на почту",
    "Уточнил адрес доставки",
];

pub(super) const CALL_TASKS: [&str; 10] = [
    "Перезвонить: уточнить размеры",
    "Отправить коммерческое предложение",
    "Согласовать дату доставки",
    "Выставить счёт на предоплату",
    "Напомнить об оплате",
    "Отправить фото образцов ткани",
    "Уточнить адрес и этаж",
    "Подтвердить замер",
    "Узнать, как прошла сборка",
    "Предложить скидку на второй заказ",
];

pub(super) const MEETING_TASKS: [&str; 4] =
    ["Встреча в шоуруме", "Замер в квартире клиента", "Презентация образцов в офисе", "Приёмка мебели на объекте"];

pub(super) const TASK_RESULTS: [&str; 6] =
    ["Сделано", "КП отправлено", "Клиент подтвердил", "Не дозвонились, перенесли", "Замер проведён", "Оплата получена"];
