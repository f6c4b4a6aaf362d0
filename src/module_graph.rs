//! A check that no module imports itself through others: every `crate::…`, `super::…` and
//! `self::…` path in a file under `src/` is an edge from that file's module to the module the path
//! lands in, and any strongly connected component of more than one module fails the test.
//!
//! A circle means two modules cannot be understood, changed or moved one without the other, and
//! it usually means a type lives beside its first user instead of in a module of its own. The
//! check is textual, not the compiler's: comments, string and character literals are blanked,
//! paths are read from a small tokenizer, and each resolves to the longest module (a file) that is
//! a prefix of it. Test modules (`#[cfg(test)] mod … { … }`) are left out: tests reach across the
//! crate on purpose, and the build never sees them. Edges to the crate root (lib.rs: the exit
//! codes, `run`) are left out too, since everything may use it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[test]
fn no_module_imports_itself_through_others() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // The root (lib.rs, and main.rs, which is another crate) is where edges are not drawn.
    let modules: BTreeMap<String, PathBuf> = files
        .into_iter()
        .map(|file| (module_of(&src, &file), file))
        .filter(|(module, _)| !module.is_empty())
        .collect();
    let names: BTreeSet<String> = modules.keys().cloned().chain([String::new()]).collect();
    let mut graph = Graph::new();
    for (module, file) in &modules {
        let source = std::fs::read_to_string(file).unwrap();
        let shown = file
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(file);
        for found in paths(&source) {
            let target = landing(&names, &resolve(module, &found));
            if target.is_empty() || target == module {
                continue;
            }
            graph.add(module, target, || {
                format!(
                    "{}:{} {}",
                    shown.display(),
                    found.line,
                    found.segments.join("::")
                )
            });
        }
    }
    let circles = graph.circles();
    assert!(circles.is_empty(), "{}", graph.describe(&circles));
}

#[test]
fn the_parser_reads_grouped_inline_and_relative_paths_and_skips_the_rest() {
    let sample = r###"
//! Docs that name crate::docs::Only import nothing.
use crate::{a::b, c::{d, e::{self, F as G}}};
use super::super::up::Thing;
use self::child::*;
fn f() -> u8 {
    let s = "crate::in_a_string";
    let q = '"';
    let raw = r##"crate::in_a_raw_string "# still in it"##;
    crate::rows::round_usd(1.0);
    0
}
fn g<'a>(x: &'a str) -> &'a str { /* crate::in_a /* nested */ comment */ x }
pub(crate) struct S(crate::shape::Wide<u8>);
mod inner {
    use super::sibling::X;
}
use crate::after::Inner;
#[cfg(test)]
#[allow(dead_code)]
mod tests {
    use crate::only::tests;
    fn h() { { crate::deep::inside(); } }
}
#[cfg(test)]
use crate::test_only::Kept;
"###;
    let found: Vec<String> = paths(sample)
        .iter()
        .map(|p| {
            let at = p.inline.join("::");
            format!("{at}|{}@{}", p.segments.join("::"), p.line)
        })
        .collect();
    assert_eq!(
        found,
        [
            "|crate::a::b@3",
            "|crate::c::d@3",
            "|crate::c::e::self@3",
            "|crate::c::e::F@3",
            "|super::super::up::Thing@4",
            "|self::child@5",
            "|crate::rows::round_usd@10",
            "|crate::shape::Wide@14",
            "inner|super::sibling::X@16",
            "|crate::after::Inner@18",
            "|crate::test_only::Kept@26",
        ]
    );

    let names: BTreeSet<String> = [
        "",
        "a",
        "c",
        "c::e",
        "rows",
        "engine",
        "engine::lane",
        "engine::run",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let land = |module: &str, found: &Found| landing(&names, &resolve(module, found)).to_string();
    let all = paths(sample);
    assert_eq!(land("engine::lane", &all[1]), "c");
    assert_eq!(
        land("engine::lane", &all[2]),
        "c::e",
        "`self` in a group is the module"
    );
    assert_eq!(
        land("engine::lane", &all[6]),
        "rows",
        "the longest module prefix"
    );
    assert_eq!(
        land("engine::lane", &all[4]),
        "",
        "two levels up is the root"
    );
    assert_eq!(
        land("engine", &all[5]),
        "engine",
        "`engine::child` is no file"
    );
    let up = paths("use super::lane::Lane;");
    assert_eq!(land("engine::run", &up[0]), "engine::lane");
    assert_eq!(
        land("engine", &up[0]),
        "",
        "a mod.rs's parent is above its folder"
    );
    assert_eq!(
        land("engine::run", &all[8]),
        "engine::run",
        "`super` in an inline module is the file's own module"
    );
}

#[test]
fn circles_are_the_strongly_connected_components_larger_than_one() {
    let mut graph = Graph::new();
    for (from, to) in [
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),
        ("c", "d"),
        ("d", "e"),
        ("e", "d"),
    ] {
        graph.add(from, to, || format!("{from}→{to}"));
    }
    graph.add("f", "a", || "f→a".into());
    assert_eq!(graph.circles(), [vec!["a", "b", "c"], vec!["d", "e"]]);
    let message = graph.describe(&graph.circles());
    assert!(
        message.contains("c -> a   c→a") && !message.contains("c -> d"),
        "{message}"
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/engine/lane.rs` → `engine::lane`, `src/rows/mod.rs` → `rows`, lib.rs and main.rs → the
/// root (`""`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] {
        parts.clear();
    }
    parts.join("::")
}

/// A path as written: its first segment is `crate`, `super` or `self`.
#[derive(Debug, Clone)]
struct Found {
    line: usize,
    /// The inline modules (`mod name { … }`) it is written in, outermost first.
    inline: Vec<String>,
    segments: Vec<String>,
}

/// The path from the crate root that `found`, written in `module`, names.
fn resolve(module: &str, found: &Found) -> Vec<String> {
    let mut here: Vec<String> = module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(String::from)
        .chain(found.inline.iter().cloned())
        .collect();
    let mut segments = found.segments.iter().peekable();
    match segments.next().map(String::as_str) {
        Some("crate") => here.clear(),
        Some("super") => {
            here.pop();
        }
        _ => {}
    }
    while segments.next_if(|s| *s == "super").is_some() {
        here.pop();
    }
    here.extend(segments.filter(|s| *s != "self").cloned());
    here
}

/// The longest prefix of `path` that is a module with a file of its own.
fn landing<'a>(modules: &'a BTreeSet<String>, path: &[String]) -> &'a str {
    (0..=path.len())
        .rev()
        .find_map(|n| modules.get(&path[..n].join("::")))
        .map_or("", String::as_str)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Colons,
    Open,
    Close,
    Comma,
    Star,
    Punct(char),
}

#[derive(Debug)]
struct Token {
    tok: Tok,
    line: usize,
}

/// Identifiers and the punctuation paths are made of, without comments and literals.
fn tokenize(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let mut push = |tok: Tok, line: usize| out.push(Token { tok, line });
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            '/' if at(i + 1) == '/' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if at(i + 1) == '*' => {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && at(i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        line += usize::from(chars[i] == '\n');
                        i += 1;
                    }
                }
            }
            '"' => i = skip_string(&chars, i + 1, &mut line),
            '\'' if at(i + 1) == '\\' => {
                // An escaped character: `'\n'`, `'\''`, `'\u{e9}'`.
                i += 3;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            }
            // A character (`'"'`, `'é'`), else a lifetime or label, whose name reads as an
            // identifier.
            '\'' if at(i + 2) == '\'' => i += 3,
            c if c.is_alphanumeric() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let raw = matches!(word.as_str(), "r" | "br" | "cr");
                if raw && matches!(at(i), '"' | '#') {
                    let mut hashes = 0;
                    while at(i + hashes) == '#' {
                        hashes += 1;
                    }
                    if at(i + hashes) == '"' {
                        i += hashes + 1;
                        loop {
                            if i >= chars.len() {
                                break;
                            }
                            if chars[i] == '"' && (1..=hashes).all(|h| at(i + h) == '#') {
                                i += hashes + 1;
                                break;
                            }
                            line += usize::from(chars[i] == '\n');
                            i += 1;
                        }
                        continue;
                    }
                }
                if matches!(word.as_str(), "b" | "c") && at(i) == '"' {
                    i = skip_string(&chars, i + 1, &mut line);
                } else if word == "b" && at(i) == '\'' {
                    // A byte: `b'x'`, `b'\n'`.
                    i += 1;
                    if at(i) == '\\' {
                        i += 1;
                    }
                    i += 1;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                } else {
                    push(Tok::Ident(word), line);
                }
            }
            ':' if at(i + 1) == ':' => {
                push(Tok::Colons, line);
                i += 2;
            }
            c => {
                let tok = match c {
                    '{' => Tok::Open,
                    '}' => Tok::Close,
                    ',' => Tok::Comma,
                    '*' => Tok::Star,
                    c if c.is_whitespace() => {
                        i += 1;
                        continue;
                    }
                    c => Tok::Punct(c),
                };
                push(tok, line);
                i += 1;
            }
        }
    }
    out
}

/// Skips a string's body from just after its opening quote; returns the index after its close.
fn skip_string(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                *line += usize::from(chars.get(i + 1) == Some(&'\n'));
                i += 2;
            }
            '"' => return i + 1,
            c => {
                *line += usize::from(c == '\n');
                i += 1;
            }
        }
    }
    i
}

/// Every `crate::`, `super::` and `self::` path outside test modules, a grouped `use` giving one
/// path per leaf.
fn paths(source: &str) -> Vec<Found> {
    let tokens = tokenize(source);
    let mut found = Vec::new();
    // Inline modules open around this point, with the brace depth inside each.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        if let Some(end) = test_module_end(&tokens, i) {
            i = end;
            continue;
        }
        match &tokens[i].tok {
            Tok::Open => depth += 1,
            Tok::Close => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Tok::Ident(word) if word == "mod" => {
                if let (Some(Tok::Ident(name)), Some(Tok::Open)) = (
                    tokens.get(i + 1).map(|t| &t.tok),
                    tokens.get(i + 2).map(|t| &t.tok),
                ) {
                    inline.push((name.clone(), depth + 1));
                }
            }
            Tok::Ident(word)
                if matches!(word.as_str(), "crate" | "super" | "self")
                    && tokens.get(i + 1).is_some_and(|t| t.tok == Tok::Colons)
                    && (i == 0 || tokens[i - 1].tok != Tok::Colons) =>
            {
                let names: Vec<String> = inline.iter().map(|(name, _)| name.clone()).collect();
                let mut tree = Tree {
                    tokens: &tokens,
                    inline: &names,
                    found: &mut found,
                };
                i = tree.parse(i + 2, vec![word.clone()]);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

/// One path or `use` tree after its first `::`.
struct Tree<'a> {
    tokens: &'a [Token],
    inline: &'a [String],
    found: &'a mut Vec<Found>,
}

impl Tree<'_> {
    /// Reads from `i` with the segments so far; returns where the tree ends.
    fn parse(&mut self, mut i: usize, mut segments: Vec<String>) -> usize {
        let tokens = self.tokens;
        let tok = |i: usize| tokens.get(i).map(|t| &t.tok);
        loop {
            match tok(i) {
                Some(Tok::Ident(word)) => {
                    segments.push(word.clone());
                    if tok(i + 1) == Some(&Tok::Colons) {
                        i += 2;
                        continue;
                    }
                    self.emit(i, segments);
                    return i + 1;
                }
                Some(Tok::Open) => {
                    i += 1;
                    loop {
                        match tok(i) {
                            None => return i,
                            Some(Tok::Close) => return i + 1,
                            Some(Tok::Comma) => i += 1,
                            // `F as G`: the rename names nothing.
                            Some(Tok::Ident(word)) if word == "as" => i += 2,
                            Some(_) => {
                                let before = i;
                                i = self.parse(i, segments.clone());
                                if i == before {
                                    i += 1;
                                }
                            }
                        }
                    }
                }
                // A glob, or the end of the path before generics or a call: the path so far.
                _ => {
                    self.emit(i.saturating_sub(1), segments);
                    return i + usize::from(tok(i) == Some(&Tok::Star));
                }
            }
        }
    }

    fn emit(&mut self, i: usize, segments: Vec<String>) {
        let line = self.tokens.get(i).map_or(0, |t| t.line);
        self.found.push(Found {
            line,
            inline: self.inline.to_vec(),
            segments,
        });
    }
}

/// Where a `#[cfg(test)] mod name { … }` starting at `i` ends, if one does.
fn test_module_end(tokens: &[Token], i: usize) -> Option<usize> {
    let tok = |i: usize| tokens.get(i).map(|t| &t.tok);
    let word = |i: usize, w: &str| matches!(tok(i), Some(Tok::Ident(x)) if x == w);
    let punct = |i: usize, c: char| tok(i) == Some(&Tok::Punct(c));
    let cfg_test = punct(i, '#')
        && punct(i + 1, '[')
        && word(i + 2, "cfg")
        && punct(i + 3, '(')
        && word(i + 4, "test")
        && punct(i + 5, ')')
        && punct(i + 6, ']');
    if !cfg_test {
        return None;
    }
    let mut j = i + 7;
    // More attributes, then a visibility.
    while punct(j, '#') && punct(j + 1, '[') {
        let mut brackets = 0;
        loop {
            match tok(j)? {
                Tok::Punct('[') => brackets += 1,
                Tok::Punct(']') => {
                    brackets -= 1;
                    if brackets == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        j += 1;
    }
    if word(j, "pub") {
        j += 1;
        if punct(j, '(') {
            while !punct(j, ')') {
                tok(j)?;
                j += 1;
            }
            j += 1;
        }
    }
    if !(word(j, "mod")
        && matches!(tok(j + 1), Some(Tok::Ident(_)))
        && tok(j + 2) == Some(&Tok::Open))
    {
        return None;
    }
    let mut depth = 0;
    for (k, token) in tokens.iter().enumerate().skip(j + 2) {
        match token.tok {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth -= 1;
                if depth == 0 {
                    return Some(k + 1);
                }
            }
            _ => {}
        }
    }
    Some(tokens.len())
}

/// Modules and, per edge, where it was first seen.
struct Graph {
    edges: BTreeMap<String, BTreeMap<String, String>>,
}

impl Graph {
    fn new() -> Self {
        Graph {
            edges: BTreeMap::new(),
        }
    }

    fn add(&mut self, from: &str, to: &str, seen_at: impl FnOnce() -> String) {
        self.edges.entry(to.to_string()).or_default();
        self.edges
            .entry(from.to_string())
            .or_default()
            .entry(to.to_string())
            .or_insert_with(seen_at);
    }

    /// Strongly connected components of more than one module (Tarjan), each sorted, in order of
    /// their first module.
    fn circles(&self) -> Vec<Vec<&str>> {
        struct State<'g> {
            graph: &'g Graph,
            next: usize,
            index: BTreeMap<&'g str, usize>,
            low: BTreeMap<&'g str, usize>,
            stack: Vec<&'g str>,
            on_stack: BTreeSet<&'g str>,
            out: Vec<Vec<&'g str>>,
        }
        fn visit<'g>(s: &mut State<'g>, v: &'g str) {
            s.index.insert(v, s.next);
            s.low.insert(v, s.next);
            s.next += 1;
            s.stack.push(v);
            s.on_stack.insert(v);
            let graph = s.graph;
            for w in graph.edges[v].keys() {
                let w = w.as_str();
                if !s.index.contains_key(w) {
                    visit(s, w);
                    let low = s.low[v].min(s.low[w]);
                    s.low.insert(v, low);
                } else if s.on_stack.contains(w) {
                    let low = s.low[v].min(s.index[w]);
                    s.low.insert(v, low);
                }
            }
            if s.low[v] == s.index[v] {
                let mut component = Vec::new();
                while let Some(w) = s.stack.pop() {
                    s.on_stack.remove(w);
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort_unstable();
                    s.out.push(component);
                }
            }
        }
        let mut state = State {
            graph: self,
            next: 0,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            out: Vec::new(),
        };
        for v in self.edges.keys() {
            if !state.index.contains_key(v.as_str()) {
                visit(&mut state, v);
            }
        }
        let mut out = state.out;
        out.sort();
        out
    }

    /// Each circle's modules and the edges between them, with where each edge is written.
    fn describe(&self, circles: &[Vec<&str>]) -> String {
        let mut message = format!(
            "{} import circle(s) among the crate's modules; move what the modules of a circle \
             share into a module of its own that imports none of them:\n",
            circles.len()
        );
        for (n, circle) in circles.iter().enumerate() {
            let _ = writeln!(message, "\ncircle {}: {}", n + 1, circle.join(", "));
            for &from in circle {
                for (to, seen_at) in &self.edges[from] {
                    if circle.contains(&to.as_str()) {
                        let _ = writeln!(message, "  {from} -> {to}   {seen_at}");
                    }
                }
            }
        }
        message
    }
}
