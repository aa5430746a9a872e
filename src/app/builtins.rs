//! The scenarios shipped with the page (`?scenario=NAME`,
//! `<redis-playground scenario="NAME">`): one guided scenario per section
//! of the lesson, and the split-brain lab, in English and in Chinese. Their text lives in
//! `www/scenarios/`, where the tests and the real-Redis recorder read it too.

/// A built-in scenario: its name, its language and its text.
pub struct Builtin {
    pub name: &'static str,
    pub lang: &'static str,
    pub text: &'static str,
}

macro_rules! lesson {
    ($name:literal) => {
        [
            Builtin { name: $name, lang: "en", text: include_str!(concat!("../../www/scenarios/", $name, ".scn")) },
            Builtin { name: $name, lang: "zh", text: include_str!(concat!("../../www/scenarios/", $name, ".zh.scn")) },
        ]
    };
}

/// Every built-in, each name in every language it exists in.
pub const BUILTINS: [[Builtin; 2]; 8] = [
    lesson!("lesson-1"),
    lesson!("lesson-2"),
    lesson!("lesson-3"),
    lesson!("lesson-4"),
    lesson!("lesson-5"),
    lesson!("lesson-6"),
    lesson!("lesson-7"),
    lesson!("split-brain"),
];

/// The built-in called `name` in `lang` (English when it has no such
/// language; none when there is no such name).
pub fn builtin(name: &str, lang: &str) -> Option<&'static Builtin> {
    let versions = BUILTINS.iter().find(|versions| versions[0].name == name)?;
    versions.iter().find(|b| b.lang == lang).or(versions.first())
}

/// The names of the built-ins, for an error that lists them.
pub fn names() -> Vec<&'static str> {
    BUILTINS.iter().map(|versions| versions[0].name).collect()
}
