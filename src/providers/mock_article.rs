//! The mock's answers for `draft`'s stages: research notes with sources, an article body of the
//! requested length, a humanized rewrite that keeps the headings, and a small valid PNG. All
//! deterministic from the seed, so runs and tests repeat exactly.

use crate::providers::Image;
use crate::text::{slugify, word_count};

/// Research notes in markdown, and the source URLs they cite.
pub fn research(topic: &str, seed: u64) -> (String, Vec<String>) {
    let slug = slugify(topic);
    let slug = if slug.is_empty() {
        "topic".to_string()
    } else {
        slug
    };
    let sources: Vec<String> = ["guide", "study", "faq"]
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            format!(
                "https://example.org/{slug}/{kind}-{}",
                (seed >> (i * 8)) % 97
            )
        })
        .collect();
    let mut notes = format!("## Key facts about {topic}\n");
    for (i, fact) in FACTS.iter().enumerate().take(4) {
        notes.push_str(&format!(
            "- {} [{}]\n",
            fact.replace("{t}", topic),
            i % sources.len() + 1
        ));
    }
    notes.push_str("\n## Angles\n- A beginner's checklist\n- Common mistakes and how to avoid them\n\n## Sources\n");
    for (i, source) in sources.iter().enumerate() {
        notes.push_str(&format!("{}. {source}\n", i + 1));
    }
    (notes, sources)
}

const FACTS: [&str; 4] = [
    "{t} is easiest to judge by a few concrete criteria rather than by brand",
    "most problems with {t} come from skipping the basics",
    "costs for {t} vary widely, so a budget set up front saves time",
    "people who compare two or three options are happier with {t} a year later",
];

const SECTIONS: [&str; 5] = [
    "What {t} Is",
    "Why {t} Matters",
    "How to Get Started with {t}",
    "Mistakes to Avoid",
    "Next Steps",
];

/// A short article's sections: three, as the outline prompt asks below 300 words, with headings
/// that leave the words to the text.
const SHORT_SECTIONS: [&str; 3] = ["The Basics", "Getting Started", "Next Steps"];

/// Long and short sentences, so any section's share of the target can be filled closely.
const SENTENCES: [&str; 12] = [
    "The short answer depends on what you need {t} for and how often you will use it.",
    "Start with the basics and add complexity only when a real need shows up.",
    "Keep notes on what works.",
    "A simple checklist keeps the decision about {t} grounded in facts rather than hype.",
    "Many readers find that a small test run tells them more than a long comparison table.",
    "Test one change at a time.",
    "Costs matter, but so does the time you will spend maintaining whatever you choose.",
    "Ask people who have used {t} for a year what they would do differently.",
    "Simple plans are easier to keep.",
    "Write down what success looks like before you start, then measure against it.",
    "Small, steady improvements beat a single big change that nobody keeps up.",
    "Patience pays off.",
];

/// An article of about `words` words, its title and headings counted: a `#` title, `##`
/// sections, paragraphs.
pub fn draft(topic: &str, words: u32, seed: u64) -> String {
    let words = words as usize;
    let (mut article, headings): (String, Vec<String>) = if words < 300 {
        (
            format!("# {topic}\n\n"),
            SHORT_SECTIONS.iter().map(|h| h.to_string()).collect(),
        )
    } else {
        (
            format!("# {topic}: A Practical Guide\n\n"),
            SECTIONS.iter().map(|h| h.replace("{t}", topic)).collect(),
        )
    };
    let sentences: Vec<(String, usize)> = SENTENCES
        .iter()
        .map(|s| {
            let s = s.replace("{t}", topic);
            let n = word_count(&s);
            (s, n)
        })
        .collect();
    let mut written = word_count(&article);
    let mut next = seed as usize;
    for (i, heading) in headings.iter().enumerate() {
        article.push_str(&format!("## {heading}\n\n"));
        written += word_count(heading);
        // Each section fills up to its share of the whole, so what one leaves over goes to the
        // next and the article ends at most a short sentence under the target.
        let end = words * (i + 1) / headings.len();
        // Each sentence once before any comes round again, so a paragraph does not repeat itself.
        let mut used = Vec::new();
        let mut first = true;
        loop {
            if used.len() == sentences.len() {
                used.clear();
            }
            let room = end.saturating_sub(written);
            let unused: Vec<usize> = (0..sentences.len())
                .map(|k| (next + k) % sentences.len())
                .filter(|k| !used.contains(k))
                .collect();
            let fits = unused.iter().copied().find(|&k| sentences[k].1 <= room);
            // A section has at least one sentence, the shortest when none fits.
            let shortest = || unused.iter().copied().min_by_key(|&k| sentences[k].1);
            let Some(k) = fits.or_else(|| first.then(shortest).flatten()) else {
                break;
            };
            let (text, n) = &sentences[k];
            article.push_str(text);
            article.push(' ');
            written += n;
            next = k + 1;
            used.push(k);
            first = false;
        }
        article.push_str("\n\n");
    }
    article
}

/// The same article in a plainer voice: stock phrases swapped, headings and length kept.
pub fn humanize(source: &str) -> String {
    const SWAPS: [(&str, &str); 6] = [
        ("The short answer depends on", "Honestly, it comes down to"),
        ("Start with the basics", "Begin with the basics"),
        ("Many readers find that", "In practice,"),
        ("Small, steady improvements beat", "Small steps beat"),
        ("Keep notes on", "Write down"),
        ("Simple plans are", "Plain plans are"),
    ];
    SWAPS.iter().fold(source.to_string(), |text, (from, to)| {
        text.replace(from, to)
    })
}

/// A `size`×`size` PNG in one colour taken from `seed`: the smallest honest picture.
pub fn png(seed: u64, size: u32) -> Image {
    let [r, g, b, ..] = seed.to_le_bytes();
    // Each scanline: filter type 0 (none), then the pixels.
    let mut scanline = vec![0u8];
    for _ in 0..size {
        scanline.extend_from_slice(&[r, g, b]);
    }
    let raw = scanline.repeat(size as usize);
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&size.to_be_bytes());
    ihdr.extend_from_slice(&size.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    let mut data = b"\x89PNG\r\n\x1a\n".to_vec();
    push_chunk(&mut data, b"IHDR", &ihdr);
    push_chunk(&mut data, b"IDAT", &zlib_stored(&raw));
    push_chunk(&mut data, b"IEND", &[]);
    Image {
        mime: "image/png".into(),
        data,
    }
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of stored (uncompressed) deflate blocks: valid, and needs no compressor.
fn zlib_stored(raw: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(u16::MAX as usize).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(raw).to_be_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_hit_the_requested_length_and_humanize_keeps_headings() {
        let topics = [
            "Tea",
            "Trail Running",
            "Best Waterproof Trail Running Shoes for Women",
        ];
        for (words, topic) in [50u32, 51, 60, 80, 120, 299, 300, 800, 1500]
            .into_iter()
            .flat_map(|w| topics.map(|t| (w, t)))
        {
            let article = draft(topic, words, 7);
            let count = word_count(&article) as f64;
            assert!(
                (count - f64::from(words)).abs() <= f64::from(words) * 0.1,
                "{count} for {words} about {topic}:\n{article}"
            );
            let rewritten = humanize(&article);
            let headings = |t: &str| {
                t.lines()
                    .filter(|l| l.starts_with('#'))
                    .map(String::from)
                    .collect::<Vec<_>>()
            };
            assert_eq!(headings(&article), headings(&rewritten));
            assert_ne!(article, rewritten);
        }
    }

    #[test]
    fn research_cites_its_sources() {
        let (notes, sources) = research("Trail Running", 3);
        assert_eq!(sources.len(), 3);
        assert!(
            sources
                .iter()
                .all(|s| notes.contains(s.as_str()) && s.starts_with("https://"))
        );
    }

    #[test]
    fn the_png_is_well_formed() {
        let image = png(0x00ff_8040, 4);
        assert!(image.data.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&image.data[12..16], b"IHDR");
        assert!(
            image.data.ends_with(&[0xae, 0x42, 0x60, 0x82]),
            "IEND's CRC is fixed"
        );
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926, "the CRC-32 check value");
        assert_eq!(
            adler32(b"Wikipedia"),
            0x11e6_0398,
            "the Adler-32 example value"
        );
    }
}
