//! `--resume` matched by content: results carry their row's fingerprint, so rows that moved are
//! not generated again, rows that changed are, and a results file of another input is refused.

use crate::support::Workspace;

/// `keyword,audience` rows for these keywords (no id column: ids are row numbers).
fn csv(keywords: &[&str]) -> String {
    let mut text = String::from("keyword,audience\n");
    for keyword in keywords {
        text.push_str(&format!("{keyword},cooks\n"));
    }
    text
}

fn keywords(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("topic number {i}")).collect()
}

#[test]
fn a_row_inserted_at_the_top_and_another_edited_each_get_exactly_one_result() {
    let ws = Workspace::new();
    let all = keywords(10);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    // The first run finished half the rows (as a run stopped half way leaves them).
    ws.write("rows.csv", csv(&all[..5]));
    ws.run(&["seo", "--pool", "mock=2", "-o", "out.jsonl", "rows.csv"])
        .expect_code(0);
    assert_eq!(ws.jsonl("out.jsonl").len(), 5);

    // Then a row is inserted at the top and row 3 is edited.
    let mut edited: Vec<&str> = vec!["a brand new topic"];
    edited.extend_from_slice(&all);
    edited[3] = "topic number three reworded";
    ws.write("rows.csv", csv(&edited));
    let run = ws.run(&[
        "seo",
        "--pool",
        "mock=2",
        "-o",
        "out.jsonl",
        "--resume",
        "rows.csv",
    ]);
    run.expect_code(0)
        .stderr_has("4 rows already done")
        .stderr_has("1 results dropped")
        .stderr_has("4 results given their rows' new ids");
    // What was generated this time: the new row, the edited one and the five never done.
    assert!(run.stderr.contains("7 done"), "{}", run.stderr);

    let results = ws.jsonl("out.jsonl");
    assert_eq!(
        results.len(),
        edited.len(),
        "one result per row of the new input"
    );
    let mut by_id: Vec<(String, String)> = results
        .iter()
        .map(|r| {
            (
                r["row_id"].as_str().unwrap().to_string(),
                r["keyword"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    by_id.sort_by_key(|(id, _)| id.parse::<usize>().unwrap());
    for (index, (id, keyword)) in by_id.iter().enumerate() {
        assert_eq!(*id, (index + 1).to_string(), "every row id once: {by_id:?}");
        assert_eq!(
            keyword, edited[index],
            "row {id}'s result is about its own text"
        );
    }
    for result in &results {
        let slug = result["slug"].as_str().unwrap();
        let keyword = result["keyword"].as_str().unwrap();
        assert!(
            slug.starts_with(&keyword.split(' ').next().unwrap().to_lowercase()),
            "{result}"
        );
    }
}

#[test]
fn resuming_with_the_same_input_skips_every_row_and_another_input_is_refused() {
    let ws = Workspace::new();
    ws.write("rows.csv", csv(&["alpha", "beta", "gamma"]));
    ws.run(&["seo", "-o", "out.csv", "rows.csv"]).expect_code(0);
    let run = ws.run(&["seo", "-o", "out.csv", "--resume", "rows.csv"]);
    run.expect_code(0).stderr_has("3 skipped");
    assert_eq!(ws.csv("out.csv").1.len(), 3, "nothing generated twice");

    ws.write("other.csv", csv(&["delta", "epsilon"]));
    let run = ws.run(&["seo", "-o", "out.csv", "--resume", "other.csv"]);
    run.expect_code(2)
        .stderr_has("plainly belongs to another input")
        .stderr_has("--force");
    assert_eq!(ws.csv("out.csv").1.len(), 3, "untouched");
}
