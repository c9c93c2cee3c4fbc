//! The cost of access rights in `bench catalog`: the same search and summary for a user in two groups
//! (the rights read and turned into a dataset list, then filtered in SQL) against an admin (no filter).
//! Of the generated datasets the first is open, the second FULL_ACCESS to group A, the third
//! RESTRICTED_ACCESS to group B, the others closed: the user sees about three quarters of the objects
//! when there are four datasets.

use std::sync::Arc;
use std::time::Duration;

use crate::access;
use crate::catalog::search;
use crate::config::AccessConfig;
use crate::domain::access::{DatasetAccess, Level, Need, Right, Viewer};
use crate::store::Store;

/// Gives the generated datasets their rights (by label order).
async fn give_rights(store: &Arc<dyn Store>) -> anyhow::Result<()> {
    let right = |group: &str, level| {
        DatasetAccess::Rights(vec![Right {
            group: group.into(),
            level,
        }])
    };
    for (n, dataset) in store.datasets().await?.into_iter().enumerate() {
        let access = match n {
            0 => DatasetAccess::Open,
            1 => right("A", Level::FullAccess),
            2 => right("B", Level::RestrictedAccess),
            _ => DatasetAccess::Rights(vec![]),
        };
        store.set_dataset_access(dataset.id, &access).await?;
    }
    Ok(())
}

/// One line per query: search (count and first page) and summary, user in groups A and B vs admin.
pub(super) async fn bench_rights(
    store: &Arc<dyn Store>,
    queries: &[(&str, String)],
    repeat: u32,
) -> anyhow::Result<()> {
    give_rights(store).await?;
    let config = AccessConfig {
        default: crate::config::DefaultAccess::Open,
        public_groups: vec!["public".into()],
    };
    let user = Viewer::of_user(false, &["A".into(), "B".into()], &config.public_groups);
    println!(
        "{:<9} {:>15} {:>15} {:>7} {:>16} {:>16} {:>7}",
        "rights",
        "admin search ms",
        "user search ms",
        "ratio",
        "admin summary ms",
        "user summary ms",
        "ratio"
    );
    for (name, q) in queries {
        let mut times = Vec::new();
        for what in [Measured::Search, Measured::Summary] {
            let viewers = [&Viewer::All, &user];
            let (admin, user) = paired(repeat, |n: usize| {
                timed(store, &config, viewers[n], q, what)
            })
            .await?;
            times.extend([admin, user]);
        }
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let ratio = |user: Duration, admin: Duration| ms(user) / ms(admin).max(0.001);
        println!(
            "{name:<9} {:>15.2} {:>15.2} {:>6.2}x {:>16.2} {:>16.2} {:>6.2}x",
            ms(times[0]),
            ms(times[1]),
            ratio(times[1], times[0]),
            ms(times[2]),
            ms(times[3]),
            ratio(times[3], times[2]),
        );
    }
    Ok(())
}

/// The least time each line is measured for: a query of a fraction of a millisecond is run thousands of
/// times, so that its median is not the noise of a few runs.
const LEAST_TIME: Duration = Duration::from_secs(2);
/// The most runs of each side of a line.
const MOST_RUNS: u32 = 5000;

/// The median times of `run(0)` (the admin) and `run(1)` (the user), the two taking turns (after one
/// warm-up each) so that a machine slowing down or speeding up weighs on both alike: `repeat` turns at
/// least, more until [`LEAST_TIME`] passed.
async fn paired<F, Fut>(repeat: u32, mut run: F) -> anyhow::Result<(Duration, Duration)>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    run(0).await?;
    run(1).await?;
    let mut times = [Vec::new(), Vec::new()];
    let started = std::time::Instant::now();
    let mut turns = 0;
    while turns < repeat.max(1) || (started.elapsed() < LEAST_TIME && turns < MOST_RUNS) {
        turns += 1;
        for (n, times) in times.iter_mut().enumerate() {
            let started = std::time::Instant::now();
            run(n).await?;
            times.push(started.elapsed());
        }
    }
    let [mut admin_times, mut user_times] = times;
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    Ok((median(&mut admin_times), median(&mut user_times)))
}

#[derive(Clone, Copy)]
enum Measured {
    Search,
    Summary,
}

/// What a request does: read the viewer's scope, then search (count + first page) or summarize.
async fn timed(
    store: &Arc<dyn Store>,
    config: &AccessConfig,
    viewer: &Viewer,
    q: &str,
    what: Measured,
) -> anyhow::Result<()> {
    let scope = access::scope(config, viewer, Need::Metadata);
    match what {
        Measured::Search => drop(search::search(store.as_ref(), q, &scope, 0, 20).await?),
        Measured::Summary => drop(search::summary(store.as_ref(), q, &scope).await?),
    }
    Ok(())
}
