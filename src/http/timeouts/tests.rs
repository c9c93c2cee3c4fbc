use super::*;

const TIMEOUTS: Timeouts = Timeouts {
    header_read: Duration::from_secs(30),
    body_read: Duration::from_secs(60),
    idle: Duration::from_secs(90),
};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn the_first_head_is_due_from_the_accept_and_a_request_without_body_has_no_deadline() {
    let t0 = Instant::now();
    let mut state = State::accepted(t0, &TIMEOUTS);
    assert_eq!(
        (state.phase, state.deadline),
        (Phase::Head, Some(t0 + secs(30)))
    );
    state.bytes_read(t0 + secs(10), &TIMEOUTS);
    assert_eq!(
        state.deadline,
        Some(t0 + secs(30)),
        "a trickled head earns nothing"
    );
    let request = state.request_started(false, t0 + secs(12), &TIMEOUTS);
    assert_eq!((state.phase, state.deadline), (Phase::Responding, None));
    state.response_sent(request, t0 + secs(500), &TIMEOUTS);
    assert_eq!(
        (state.phase, state.deadline),
        (Phase::Idle, Some(t0 + secs(590)))
    );
}

#[test]
fn a_kept_alive_connection_waits_idle_then_gives_the_next_head_its_own_time() {
    let t0 = Instant::now();
    let mut state = State::accepted(t0, &TIMEOUTS);
    let request = state.request_started(false, t0, &TIMEOUTS);
    state.response_sent(request, t0 + secs(1), &TIMEOUTS);
    state.bytes_read(t0 + secs(80), &TIMEOUTS);
    assert_eq!(
        (state.phase, state.deadline),
        (Phase::Head, Some(t0 + secs(110)))
    );
}

#[test]
fn a_body_is_due_within_its_timeout_plus_a_second_per_64_kib() {
    let t0 = Instant::now();
    let mut state = State::accepted(t0, &TIMEOUTS);
    let request = state.request_started(true, t0, &TIMEOUTS);
    assert_eq!(
        (state.phase, state.deadline),
        (Phase::Body, Some(t0 + secs(60)))
    );
    state.body_received(request, 10 * 64 * 1024);
    assert_eq!(state.deadline, Some(t0 + secs(70)));
    state.body_done(request);
    assert_eq!((state.phase, state.deadline), (Phase::Responding, None));
}

#[test]
fn what_a_past_request_does_no_longer_counts() {
    let t0 = Instant::now();
    let mut state = State::accepted(t0, &TIMEOUTS);
    let first = state.request_started(true, t0, &TIMEOUTS);
    state.body_done(first);
    state.response_sent(first, t0 + secs(1), &TIMEOUTS);
    let second = state.request_started(true, t0 + secs(2), &TIMEOUTS);
    state.body_received(first, 64 * 1024 * 1000);
    state.body_done(first);
    state.response_sent(first, t0 + secs(3), &TIMEOUTS);
    assert_eq!(
        (state.phase, state.deadline),
        (Phase::Body, Some(t0 + secs(62)))
    );
    state.body_done(second);
    assert_eq!(state.phase, Phase::Responding);
}

#[test]
fn a_pipelined_head_counts_from_its_first_byte() {
    let t0 = Instant::now();
    let mut state = State::accepted(t0, &TIMEOUTS);
    let request = state.request_started(false, t0, &TIMEOUTS);
    state.bytes_read(t0 + secs(5), &TIMEOUTS);
    state.bytes_read(t0 + secs(6), &TIMEOUTS);
    assert_eq!((state.phase, state.deadline), (Phase::Responding, None));
    state.response_sent(request, t0 + secs(20), &TIMEOUTS);
    assert_eq!(
        (state.phase, state.deadline),
        (Phase::Head, Some(t0 + secs(35)))
    );
}

#[tokio::test]
async fn the_watcher_wakes_for_an_earlier_deadline_and_says_which_phase_expired() {
    let clock = ConnectionClock::start(Timeouts {
        header_read: Duration::from_millis(50),
        body_read: Duration::from_secs(3600),
        idle: Duration::from_millis(50),
    });
    let request = clock.request_started(true);
    let watcher = tokio::spawn({
        let clock = clock.clone();
        async move { clock.expired().await }
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(!clock.waits_for_request());
    clock.body_done(request);
    clock.response_sent(request);
    assert!(clock.waits_for_request());
    let phase = tokio::time::timeout(Duration::from_secs(10), watcher)
        .await
        .expect("the idle deadline wakes the watcher that slept on an hour")
        .unwrap();
    assert_eq!(phase, Phase::Idle);
}
