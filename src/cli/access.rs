//! `regards-order access set DATASET (--open | --group G --level L ...)` and `regards-order access show
//! [DATASET]`: the access rights of datasets (docs/decisions.md "Access rights"), from the command line.

use anyhow::bail;
use clap::Subcommand;

use super::ConfigArgs;
use crate::access::{self, DatasetRights};
use crate::config::Config;
use crate::domain::access::{DatasetAccess, Level, Right};

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Replace a dataset's rights: open to every user, or these groups only (no group: admins only).
    Set {
        /// The dataset's ipId or its collection id.
        dataset: String,
        /// Open to every user.
        #[arg(long, conflicts_with_all = ["groups", "levels", "closed"])]
        open: bool,
        /// Closed to every user but admins.
        #[arg(long, conflicts_with_all = ["groups", "levels"])]
        closed: bool,
        /// A group given a right; repeat for several, each followed by its --level.
        #[arg(long = "group", value_name = "G")]
        groups: Vec<String>,
        /// RESTRICTED_ACCESS (metadata) or FULL_ACCESS (metadata and data), one per --group (none: all
        /// FULL_ACCESS).
        #[arg(long = "level", value_name = "L")]
        levels: Vec<Level>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Print the rights of one dataset, or of every dataset.
    Show {
        /// The dataset's ipId or its collection id (none: every dataset).
        dataset: Option<String>,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

impl AccessCommand {
    pub fn config_args(&self) -> &ConfigArgs {
        match self {
            AccessCommand::Set { config, .. } | AccessCommand::Show { config, .. } => config,
        }
    }
}

pub async fn run(command: AccessCommand, config: Config) -> anyhow::Result<()> {
    let store =
        crate::store::connect_with(&config.database.url, config.database.statement_timeout).await?;
    store.migrate().await?;
    let printed = match command {
        AccessCommand::Set {
            dataset,
            open,
            closed,
            groups,
            levels,
            ..
        } => {
            let wanted = wanted_access(open, closed, groups, levels)?;
            vec![access::set(store.as_ref(), &dataset, wanted).await?]
        }
        AccessCommand::Show {
            dataset: Some(dataset),
            ..
        } => vec![access::get(store.as_ref(), &dataset).await?],
        AccessCommand::Show { dataset: None, .. } => access::list(store.as_ref()).await?,
    };
    store.close().await;
    for rights in &printed {
        println!("{}", line(rights, &config));
    }
    Ok(())
}

fn wanted_access(
    open: bool,
    closed: bool,
    groups: Vec<String>,
    levels: Vec<Level>,
) -> anyhow::Result<DatasetAccess> {
    if open {
        return Ok(DatasetAccess::Open);
    }
    if groups.is_empty() && !closed {
        bail!("say --open, --closed, or --group G --level L (repeated)");
    }
    if !levels.is_empty() && levels.len() != groups.len() {
        bail!(
            "{} --group but {} --level: give one --level per --group, or none for FULL_ACCESS",
            groups.len(),
            levels.len()
        );
    }
    let levels = levels
        .into_iter()
        .chain(std::iter::repeat(Level::FullAccess));
    Ok(DatasetAccess::Rights(
        groups
            .into_iter()
            .zip(levels)
            .map(|(group, level)| Right { group, level })
            .collect(),
    ))
}

/// `<ipId> (<collection id>): open | closed | A=FULL_ACCESS, B=RESTRICTED_ACCESS | default (open)`.
fn line(rights: &DatasetRights, config: &Config) -> String {
    let access = match &rights.access {
        DatasetAccess::Unset => {
            format!("no rights given: the default ({:?})", config.access.default).to_lowercase()
        }
        DatasetAccess::Open => "open".to_owned(),
        DatasetAccess::Rights(list) if list.is_empty() => "closed (admins only)".to_owned(),
        DatasetAccess::Rights(list) => list
            .iter()
            .map(|r| format!("{}={}", r.group, r.level))
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!(
        "{} ({}): {access}",
        rights.dataset.ip_id, rights.dataset.provider_id
    )
}
