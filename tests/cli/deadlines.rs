//! Learnt deadlines through the binary: on a mock whose requests sometimes never answer, a hung
//! attempt is abandoned after a few seconds (the floor over a fast provider's history), not at
//! `--timeout`, and its row is answered once by a later attempt.

use crate::support::{Workspace, ids, keywords_csv};

#[test]
fn a_hung_request_is_abandoned_long_before_the_timeout_and_its_row_answered_once() {
    let ws = Workspace::new();
    ws.write("rows.csv", keywords_csv(400));
    ws.write(
        "hangs.toml",
        "[providers.mock]\nlatency = \"5ms\"\nhang_rate = 0.01\n",
    );
    let run = ws.run(&[
        "seo",
        "--profile",
        "hangs.toml",
        "--pool",
        "mock=8",
        "--timeout",
        "30s",
        "--log",
        "requests.jsonl",
        "rows.csv",
    ]);
    run.expect_code(0).stderr_has("400 done");
    let mut done = ids(&ws.jsonl("rows.seo.jsonl"), "row_id");
    done.sort_by_key(|id| id.parse::<u32>().unwrap());
    assert_eq!(done, (1..=400).map(|i| i.to_string()).collect::<Vec<_>>());
    let log = ws.jsonl("requests.jsonl");
    let abandoned: Vec<_> = log.iter().filter(|l| l["outcome"] == "timeout").collect();
    assert!(
        !abandoned.is_empty(),
        "the mock hangs about 1 request in 100"
    );
    for line in &abandoned {
        let waited = line["latency_ms"].as_u64().unwrap();
        let message = line["error"].as_str().unwrap();
        if message.contains("abandoned") {
            assert!(
                (5_000..10_000).contains(&waited),
                "abandoned at the 5 s floor, not at the 30 s timeout: {line}"
            );
            assert!(
                message.contains("--timeout 30.0s is the ceiling"),
                "{message}"
            );
        } else {
            // Only a hang among the first answers, before the step has a history, waits it out.
            assert!(waited >= 30_000, "{line}");
        }
    }
    assert!(
        abandoned
            .iter()
            .filter(|l| l["error"].as_str().unwrap().contains("abandoned"))
            .count()
            >= abandoned.len() - 1,
        "{abandoned:?}"
    );
}
