//! The scenarios shipped with the page: each runs in the native runner
//! with every expectation met, its Chinese version takes the same steps,
//! and on the page's guide each task is done by a learner's own actions
//! (typing, the cards' buttons, time passing) and then plays on.

use redis_playground::app::builtins::BUILTINS;
use redis_playground::app::guide::{Guide, TaskState};
use redis_playground::app::playground::Playground;
use redis_playground::scenario::{self, RunOptions};
use redis_playground::session::{Step, Until};

#[test]
fn every_builtin_meets_its_expectations_in_the_runner() {
    for builtin in BUILTINS.iter().flatten() {
        let lines = scenario::parse(builtin.text).unwrap_or_else(|e| panic!("{} ({}): {e}", builtin.name, builtin.lang));
        let run = scenario::run_session(&lines, RunOptions::default()).unwrap_or_else(|e| panic!("{} ({}): {e}", builtin.name, builtin.lang));
        assert!(run.failed.is_empty(), "{} ({}): {:?}\n{}", builtin.name, builtin.lang, run.failed, run.transcript.join("\n"));
        let checks = run.transcript.iter().filter(|l| *l == "# expect ok").count();
        assert!(checks > 0, "{} checks nothing", builtin.name);
    }
}

/// A scenario's lines without its words for people (comments, narration, tasks).
fn steps_only(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !(l.starts_with('#') || l.starts_with("say ") || l.starts_with("task "))).collect()
}

/// Whether each stop is narration or a task, in order.
fn stop_kinds(text: &str) -> Vec<bool> {
    text.lines().filter(|l| l.starts_with("say ") || l.starts_with("task ")).map(|l| l.starts_with("task ")).collect()
}

#[test]
fn each_language_takes_the_same_steps() {
    for versions in &BUILTINS {
        let [en, zh] = versions;
        assert_eq!(en.text.lines().count(), zh.text.lines().count(), "{}", en.name);
        assert_eq!(steps_only(en.text), steps_only(zh.text), "{}", en.name);
        assert_eq!(stop_kinds(en.text), stop_kinds(zh.text), "{}", en.name);
    }
}

/// What a learner does on the page for one step of a solution.
fn as_learner(playground: &mut Playground, guide: &mut Guide, step: &Step) {
    match step {
        Step::Command { port, line } => playground.run(*port, line),
        Step::Crash { port } => playground.crash(*port).unwrap(),
        Step::Restart { port } => playground.restart(*port).unwrap(),
        Step::Isolate { port } | Step::Rejoin { port } => playground.toggle_isolation(*port),
        Step::Sentinel { config, .. } => {
            playground.add_sentinel(config).unwrap();
        }
        // Waiting: the page's clock runs, frame after frame.
        Step::Sleep { .. } | Step::Wait { until: Until::LinkUp(_), .. } => {
            for _ in 0..600 {
                playground.advance(100);
                if guide.check(playground) {
                    return;
                }
            }
        }
        other => panic!("no learner action for {other}"),
    }
    // The learner reads the reply while the page's clock runs on.
    for _ in 0..10 {
        playground.advance(100);
        if guide.check(playground) {
            return;
        }
    }
}

#[test]
fn a_learner_does_every_task_on_the_page() {
    for builtin in BUILTINS.iter().flatten() {
        let (mut guide, mut playground) = Guide::load(builtin.text).unwrap();
        assert!(guide.is_guided());
        let tasks = guide.stops().iter().filter(|s| s.kind == redis_playground::app::guide::StopKind::Task).count();
        let mut done = 0;
        while let Some(task) = guide.open_task() {
            assert!(guide.problems().is_empty(), "{}: {:?}", builtin.name, guide.problems());
            for step in guide.solution(task) {
                if guide.open_task() != Some(task) {
                    break;
                }
                as_learner(&mut playground, &mut guide, &step);
            }
            if guide.open_task() == Some(task) {
                let screens: Vec<String> = playground.nodes().iter().flat_map(|n| n.console.lines.iter().map(|l| format!("{}: {}", n.port, l.text)).collect::<Vec<_>>()).collect();
                panic!("{} ({}): task {task} not done by its solution\n{}", builtin.name, builtin.lang, screens.join("\n"));
            }
            assert_eq!(guide.stops()[task].task, Some(TaskState::Done));
            done += 1;
        }
        assert_eq!(done, tasks, "{}", builtin.name);
        assert!(guide.finished(), "{}", builtin.name);
        assert!(guide.problems().is_empty(), "{}: {:?}", builtin.name, guide.problems());
    }
}

#[test]
fn next_back_and_jumps_replay_to_the_same_stop() {
    let builtin = &BUILTINS[2][0];
    let (mut guide, mut playground) = Guide::load(builtin.text).unwrap();
    let first_task = guide.open_task().unwrap();
    // Next passes the open task with its solution, and shows the next stop.
    guide.next(&mut playground);
    assert_eq!(guide.stops()[first_task].task, Some(TaskState::Shown));
    assert_eq!(guide.current(), Some(first_task + 1));
    assert_eq!(playground.session().probe(6380, "GET before-1").unwrap(), ["\"a\""]);
    let there = playground.scenario_text();
    guide.next(&mut playground);
    // Back replays from the seed to the stop before: the same steps, so the same session.
    let mut back = guide.back().unwrap();
    assert_eq!(guide.current(), Some(first_task + 1));
    assert_eq!(back.scenario_text(), there);
    // A jump to the first task opens it again, on the cluster as it was then.
    let mut jumped = guide.jump(first_task);
    assert_eq!(guide.open_task(), Some(first_task));
    assert_eq!(jumped.session().probe(6380, "ROLE").unwrap()[0], "1) \"master\"");
    // The learner does it there: done, and on it plays.
    jumped.run(6380, "REPLICAOF 127.0.0.1 6379");
    for _ in 0..100 {
        jumped.advance(100);
        if guide.check(&mut jumped) {
            break;
        }
    }
    assert_eq!(guide.stops()[first_task].task, Some(TaskState::Done));
    assert!(guide.open_task().is_some_and(|t| t > first_task));
    // Restart: the first task again.
    let _fresh = guide.restart();
    assert_eq!(guide.open_task(), Some(first_task));
    back.advance(1);
}

#[test]
fn a_permalink_replays_the_page_session_exactly() {
    let mut page = Playground::new(42, scenario::START, &[6379, 6380]);
    page.run(6379, "SET k v");
    page.run(6380, "BLPOP q 0");
    page.advance(250);
    let _ = page.reparent(6380, Some(6379));
    for _ in 0..60 {
        page.advance(100);
    }
    page.run(6379, "RPUSH q job");
    page.advance(16);
    let text = page.scenario_text();
    assert!(text.contains("\nseed 42\nexact\n"), "{text}");
    let (guide, reopened) = Guide::load(&text).unwrap();
    assert!(!guide.is_guided());
    assert!(guide.problems().is_empty(), "{:?}", guide.problems());
    assert_eq!(reopened.scenario_text(), text);
    assert_eq!(format!("{:?}", reopened.sim().trace()), format!("{:?}", page.sim().trace()));
    assert_eq!(reopened.nodes(), page.nodes());
    // The runner takes it exactly too: same trace.
    let lines = scenario::parse(&text).unwrap();
    let (_, sim) = scenario::run_on_sim(&lines, RunOptions::default()).unwrap();
    assert_eq!(format!("{:?}", sim.trace()), format!("{:?}", page.sim().trace()));
}

#[test]
fn a_scenario_with_mistakes_is_refused_with_its_line() {
    let error = Guide::load("server 6379\nsay fine\nserver nope\n").err().unwrap();
    assert_eq!(error.line, 3);
    let error = Guide::load("server 6379\nseed 4\n").err().unwrap();
    assert_eq!(error.line, 2);
    // Steps that fail on the page are reported, and the rest runs.
    let (guide, playground) = Guide::load("server 6379\nserver 6379\n6379> SET k v\n").unwrap();
    assert_eq!(guide.problems().len(), 1);
    assert_eq!(guide.problems()[0].line, 2);
    assert_eq!(playground.session().probe(6379, "GET k").unwrap(), ["\"v\""]);
}
