//! The console's `help` against what real redis-cli 7.0.15 printed for the
//! same topics (tests/fixtures/cli-help.txt, re-recorded by
//! scripts/record-command-table.py), colours left out.

use redis_playground::engine::cli_help::help;

#[test]
fn help_prints_what_redis_cli_prints() {
    let recorded = include_str!("fixtures/cli-help.txt");
    let mut topics = 0;
    for chunk in recorded.split("### help").skip(1) {
        let (topic, expected) = chunk.split_once('\n').expect("a topic line");
        let args: Vec<String> = topic.split_whitespace().map(str::to_string).collect();
        let actual = help(&args).join("\n") + "\n";
        assert_eq!(actual, expected, "help {}", topic.trim());
        topics += 1;
    }
    assert!(topics >= 8, "only {topics} topics recorded");
}
