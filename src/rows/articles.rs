//! `draft --articles-dir`: each finished article as a markdown file with YAML front matter, named
//! by its slug. A name another row took in this run gets the row id appended; a file left by an
//! earlier run is replaced when it was written for the same row (`--resume` generating a changed
//! row again) or when the run replaces its results (`--force`), and kept otherwise.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use crate::text::slugify;

/// An article as a markdown file with YAML front matter, for static-site generators.
#[derive(Debug)]
pub struct ArticleFile {
    pub slug: String,
    pub id: String,
    pub contents: String,
}

impl ArticleFile {
    pub fn new(title: &str, keyword: &str, id: &str, article: &str) -> Self {
        let slug = [title, keyword]
            .iter()
            .map(|t| slugify(t))
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| file_safe(id));
        let description = article
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("!["))
            .map(|p| truncate(p, 160))
            .unwrap_or_default();
        let yaml = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let contents = format!(
            "---\ntitle: {}\ndescription: {}\nslug: {}\nkeyword: {}\nrow_id: {}\n---\n\n{article}",
            yaml(title),
            yaml(&description),
            yaml(&slug),
            yaml(keyword),
            yaml(id)
        );
        ArticleFile {
            slug,
            id: id.to_string(),
            contents,
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    match cut.rfind(' ') {
        Some(space) => format!("{}…", &cut[..space]),
        None => cut,
    }
}

/// Writes a run's article files into one folder, remembering the names it took.
pub struct ArticleWriter {
    dir: PathBuf,
    /// `--force`: files an earlier run left are replaced, whichever row they were for.
    replace_earlier: bool,
    taken: HashSet<String>,
}

impl ArticleWriter {
    pub fn new(dir: PathBuf, replace_earlier: bool) -> Self {
        ArticleWriter {
            dir,
            replace_earlier,
            taken: HashSet::new(),
        }
    }

    /// Writes `<slug>.md`, or `<slug>-<id>.md` when that name belongs to another row; returns
    /// the path written.
    pub fn write(&mut self, article: &ArticleFile) -> std::io::Result<PathBuf> {
        let plain = format!("{}.md", article.slug);
        let name = if self.is_free(&plain, &article.id) {
            plain
        } else {
            format!("{}-{}.md", article.slug, file_safe(&article.id))
        };
        let path = self.dir.join(&name);
        std::fs::write(&path, &article.contents)?;
        self.taken.insert(name);
        Ok(path)
    }

    fn is_free(&self, name: &str, row_id: &str) -> bool {
        if self.taken.contains(name) {
            return false;
        }
        let path = self.dir.join(name);
        !path.exists() || self.replace_earlier || written_for(&path).as_deref() == Some(row_id)
    }
}

/// The row an article file was written for, from its front matter.
fn written_for(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let front = text.strip_prefix("---\n")?;
    let front = &front[..front.find("\n---\n")?];
    let value = front.lines().find_map(|l| l.strip_prefix("row_id: "))?;
    serde_json::from_str(value).ok()
}

/// A row id as a file name: what a file system takes everywhere.
pub fn file_safe(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() { "row".into() } else { safe }
}

/// `to` as seen from the folder `from`, e.g. `../assets/7-1.png`.
pub fn relative_path(from: &Path, to: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (absolute(from), absolute(to));
    let from: Vec<Component> = from.components().collect();
    let to_parts: Vec<Component> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> =
        std::iter::repeat_n("..".to_string(), from.len() - common).collect();
    parts.extend(
        to_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_files_have_front_matter_and_a_unique_name() {
        let dir = tempfile::tempdir().unwrap();
        let file = ArticleFile::new(
            "Trail \"Shoes\"",
            "trail shoes",
            "7",
            "# Trail Shoes\n\nFirst paragraph here.\n",
        );
        assert!(file.contents.starts_with("---\ntitle: \"Trail \\\"Shoes\\\"\"\ndescription: \"First paragraph here.\"\nslug: \"trail-shoes\""), "{}", file.contents);
        let mut writer = ArticleWriter::new(dir.path().to_path_buf(), false);
        let other = ArticleFile::new("Trail Shoes", "trail shoes", "8", "# Trail Shoes\n");
        writer.write(&file).unwrap();
        writer.write(&other).unwrap();
        assert!(
            dir.path().join("trail-shoes.md").exists()
                && dir.path().join("trail-shoes-8.md").exists()
        );
    }

    #[test]
    fn a_later_run_replaces_its_own_rows_articles_and_keeps_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let first = ArticleFile::new("Trail Shoes", "trail shoes", "7", "# Trail Shoes\n\nOld.\n");
        ArticleWriter::new(dir.path().to_path_buf(), false)
            .write(&first)
            .unwrap();
        // --resume: the same row again replaces its file; another row with the slug does not.
        let again = ArticleFile::new("Trail Shoes", "trail shoes", "7", "# Trail Shoes\n\nNew.\n");
        let mut resumed = ArticleWriter::new(dir.path().to_path_buf(), false);
        assert_eq!(
            resumed.write(&again).unwrap(),
            dir.path().join("trail-shoes.md")
        );
        let other = ArticleFile::new("Trail Shoes", "trail shoes", "9", "# Trail Shoes\n");
        assert_eq!(
            ArticleWriter::new(dir.path().to_path_buf(), false)
                .write(&other)
                .unwrap(),
            dir.path().join("trail-shoes-9.md")
        );
        // --force: every earlier file is stale.
        let mut forced = ArticleWriter::new(dir.path().to_path_buf(), true);
        assert_eq!(
            forced.write(&other).unwrap(),
            dir.path().join("trail-shoes.md")
        );
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 2, "no third file beside the old ones");
    }

    #[test]
    fn relative_links_climb_out_of_the_article_folder() {
        assert_eq!(
            relative_path(Path::new("/x/articles"), Path::new("/x/assets/1.png")),
            "../assets/1.png"
        );
    }
}
