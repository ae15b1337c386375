//! Constant word tables the generator draws realistic names, places and texts from.

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Lucas",
    "Mia",
    "Ethan",
    "Sofia",
    "Mateo",
    "Chloé",
    "Zoë",
    "José",
    "Renée",
    "Søren",
    "Åsa",
    "Björn",
    "Łukasz",
    "Zoltán",
    "Ines",
    "Siobhán",
    "Aoife",
    "Yuki",
    "Hiroshi",
    "Mei",
    "Wei",
    "Jiho",
    "Priya",
    "Arjun",
    "Fatima",
    "Omar",
    "Ngozi",
    "Kwame",
    "Ana",
    "João",
    "François",
    "Dmitri",
    "Олег",
    "Анна",
    "李",
    "王芳",
    "さくら",
    "محمد",
    "Jürgen",
    "Maëlle",
    "Nuno",
    "Grace",
    "Daniel",
    "Sarah",
    "David",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "García",
    "Müller",
    "O'Brien",
    "Nguyễn",
    "Kowalski",
    "Rossi",
    "Dubois",
    "Silva",
    "Kim",
    "Sato",
    "Chen",
    "Patel",
    "Okafor",
    "Mensah",
    "Andersson",
    "Nørgaard",
    "Fernández",
    "Schröder",
    "Van der Berg",
    "MacLeod",
    "Papadopoulos",
    "Yılmaz",
    "Новиков",
    "Ivanova",
    "Haddad",
    "Cohen",
    "Murphy",
    "Walsh",
    "Lee",
    "Brown",
    "Taylor",
    "Martin",
];

pub(crate) const EMAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "outlook.com",
    "yahoo.com",
    "example.com",
    "acme.io",
    "globex.com",
    "initech.com",
    "umbrella.co",
    "hooli.xyz",
    "piedpiper.com",
    "fastmail.fm",
    "proton.me",
];

pub(crate) const COUNTRIES: &[(&str, &str, &str, &str)] = &[
    ("United States", "California", "San Francisco", "US"),
    ("United States", "New York", "New York", "US"),
    ("Ireland", "Dublin", "Dublin", "IE"),
    ("United Kingdom", "England", "London", "GB"),
    ("Germany", "Berlin", "Berlin", "DE"),
    ("France", "Île-de-France", "Paris", "FR"),
    ("Brazil", "São Paulo", "São Paulo", "BR"),
    ("Japan", "Tokyo", "Tokyo", "JP"),
    ("India", "Karnataka", "Bengaluru", "IN"),
    ("Australia", "New South Wales", "Sydney", "AU"),
];

pub(crate) const BROWSERS: &[(&str, &str)] = &[
    ("chrome", "126.0.0.0"),
    ("firefox", "127.0"),
    ("safari", "17.5"),
    ("edge", "126.0.2592.81"),
];

pub(crate) const OSES: &[&str] = &[
    "OS X 10.15.7",
    "Windows 10",
    "Linux",
    "iOS 17.5",
    "Android 14",
];

pub(crate) const LANGUAGES: &[&str] = &["en", "en-GB", "fr", "de", "pt-BR", "ja", "es"];

pub(crate) const COMPANY_WORDS: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Massive",
    "Nordström",
    "Zürich",
    "Kōgyō",
    "Ñandú",
    "Blue Sun",
    "Aperture",
    "Black Mesa",
];

pub(crate) const COMPANY_SUFFIXES: &[&str] = &[
    "Inc", "Ltd", "GmbH", "Labs", "Group", "Systems", "Co", "SA", "KK", "Holdings",
];

pub(crate) const INDUSTRIES: &[&str] = &[
    "Software",
    "Retail",
    "Healthcare",
    "Education",
    "Finance",
    "Manufacturing",
    "Media",
    "Logistics",
    "",
];

pub(crate) const PLANS: &[&str] = &["Free", "Starter", "Pro", "Enterprise"];

pub(crate) const TIERS: &[&str] = &["bronze", "silver", "gold", "platinum"];

pub(crate) const EVENT_NAMES: &[&str] = &[
    "logged-in",
    "viewed-dashboard",
    "created-report",
    "exported-csv",
    "invited-teammate",
    "updated-settings",
    "opened-billing",
    "ran-query",
    "uploaded-file",
    "shared-link",
    "completed-onboarding-step",
    "used-api",
];

pub(crate) const SUBJECTS: &[&str] = &[
    "",
    "",
    "Question about billing",
    "Can't log in",
    "Feature request",
    "Export is slow",
    "Ünïcödé subject ✓",
];

pub(crate) const BODIES: &[&str] = &[
    "<p>Hi there, I need some help with my account.</p>",
    "<p>Thanks! That fixed it.</p>",
    "<p>Could you look into this? The export keeps timing out.</p>",
    "<p>We have escalated this to the engineering team.</p>",
    "<p>Here is the invoice you asked for.</p>",
    "<p>Merci beaucoup — ça marche maintenant.</p>",
    "<p>Is there an API for this?</p>",
];

pub(crate) const PART_TYPES: &[&str] = &[
    "comment",
    "comment",
    "comment",
    "note",
    "assignment",
    "open",
    "close",
    "snoozed",
    "default_assignment",
    "conversation_attribute_updated_by_admin",
];

pub(crate) const TAG_NAMES: &[&str] = &[
    "vip",
    "beta-tester",
    "churn-risk",
    "champion",
    "enterprise-trial",
    "needs-onboarding",
];

pub(crate) const ADMIN_NAMES: &[&str] = &[
    "Ciarán Lee",
    "Dana Scully",
    "Fox Mulder",
    "Jean-Luc Picard",
    "Ada Lovelace",
];
