//! Access rights of datasets: who sees, orders and downloads what (docs/decisions.md "Access rights").

mod admin;
mod identity;
mod matrix;
mod withdrawn;

use std::collections::BTreeSet;
use std::io::{Cursor, Read};
use std::time::Duration;

use regards_order::auth::Role;
use regards_order::config::Config;
use serde_json::{Value, json};

use crate::catalog::fixture::{archive_file, collection, import_folder, item};
use crate::helpers::TestApp;

/// The four datasets of the matrix: their collection id, `regards:access`, and how many objects.
pub const DATASETS: [(&str, &str, usize); 4] = [
    ("open", r#""open""#, 1),
    ("afull", r#"[{"group": "A", "level": "FULL_ACCESS"}]"#, 2),
    (
        "arbf",
        r#"[{"group": "A", "level": "RESTRICTED_ACCESS"}, {"group": "B", "level": "FULL_ACCESS"}]"#,
        3,
    ),
    ("closed", "[]", 4),
];

/// A user of the matrix: name, groups, role.
#[derive(Debug, Clone, Copy)]
pub struct User {
    pub name: &'static str,
    pub groups: &'static [&'static str],
    pub role: Role,
}

pub const USERS: [User; 5] = [
    User {
        name: "nobody",
        groups: &[],
        role: Role::RegisteredUser,
    },
    User {
        name: "a",
        groups: &["A"],
        role: Role::RegisteredUser,
    },
    User {
        name: "b",
        groups: &["B"],
        role: Role::RegisteredUser,
    },
    User {
        name: "ab",
        groups: &["A", "B"],
        role: Role::RegisteredUser,
    },
    User {
        name: "admin",
        groups: &[],
        role: Role::Admin,
    },
];

impl User {
    pub fn token(&self, app: &TestApp) -> String {
        let groups: Vec<String> = self.groups.iter().map(|g| g.to_string()).collect();
        app.state.keys.access_token_in_groups(
            &format!("{}@example.org", self.name),
            self.role,
            &groups,
            Duration::from_secs(3600),
            app.state.clock.now(),
        )
    }

    /// The datasets whose metadata the user may see, as the fixture says.
    pub fn visible(&self) -> BTreeSet<&'static str> {
        let sees: &[&str] = match self.name {
            "nobody" => &["open"],
            "a" | "ab" => &["open", "afull", "arbf"],
            "b" => &["open", "arbf"],
            _ => &["open", "afull", "arbf", "closed"],
        };
        sees.iter().copied().collect()
    }

    /// The datasets whose files the user may order, as the fixture says.
    pub fn orderable(&self) -> BTreeSet<&'static str> {
        let orders: &[&str] = match self.name {
            "nobody" => &["open"],
            "a" => &["open", "afull"],
            "b" => &["open", "arbf"],
            "ab" => &["open", "afull", "arbf"],
            _ => &["open", "afull", "arbf", "closed"],
        };
        orders.iter().copied().collect()
    }
}

/// The objects (providerIds) of some datasets.
pub fn objects_of(datasets: &BTreeSet<&str>) -> BTreeSet<String> {
    DATASETS
        .iter()
        .filter(|(id, _, _)| datasets.contains(id))
        .flat_map(|(id, _, count)| (0..*count).map(move |n| format!("{id}-{n}")))
        .collect()
}

/// The file names of the objects of some datasets (one RAWDATA file each).
pub fn file_names_of(datasets: &BTreeSet<&str>) -> BTreeSet<String> {
    objects_of(datasets)
        .into_iter()
        .map(|object| format!("{object}.dat"))
        .collect()
}

/// An app with the four datasets imported, each object with one online RAWDATA file.
pub async fn app_with_rights() -> TestApp {
    app_with_rights_and(|_| {}).await
}

/// `app_with_rights` with its configuration changed by `configure`.
pub async fn app_with_rights_and(configure: impl FnOnce(&mut Config)) -> TestApp {
    // Every sub-order runs at once: the downloads see every file of an order.
    let app = crate::helpers::spawn_app_with(|config| {
        config.orders.max_running_suborders_per_user = 10;
        configure(config);
    })
    .await;
    let folder = app.data_dir().join("stac-access");
    std::fs::create_dir_all(&folder).unwrap();
    let mut lines = Vec::new();
    for (id, access, count) in DATASETS {
        let mut doc = collection(id, &format!("Dataset {id}"));
        doc["regards:access"] = serde_json::from_str(access).unwrap();
        lines.push(doc.to_string());
        for n in 0..count {
            let name = format!("{id}-{n}.dat");
            let content = format!("{id} object {n}").repeat(n + 1);
            let href = archive_file(
                &app,
                "online",
                &format!("access/{name}"),
                content.as_bytes(),
            );
            let properties = json!({"datetime": "2020-01-01T00:00:00Z"});
            let assets = json!({"data": {"href": href, "roles": ["data"]}});
            lines.push(item(&format!("{id}-{n}"), id, properties, assets).to_string());
        }
    }
    std::fs::write(folder.join("catalog.ndjson"), lines.join("\n")).unwrap();
    let report = import_folder(&app, &folder).await;
    assert_eq!(report.problems, Vec::<String>::new());
    app
}

/// GET as a user, answering (status, JSON or Null).
pub async fn get_json(
    app: &TestApp,
    token: &str,
    path: &str,
    query: &[(&str, &str)],
) -> (u16, Value) {
    let response = app.get_as(token, path, query).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// PUT a dataset's rights with `token`: (status, JSON or Null).
pub async fn put_rights(app: &TestApp, token: &str, dataset: &str, body: &str) -> (u16, Value) {
    let response = app
        .client
        .put(app.url(&format!("/access/datasets/{dataset}")))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The zip of an order (200 expected): its entry names, and its NOTICE.txt.
pub async fn zip_of(app: &TestApp, token: &str, order: i64) -> (BTreeSet<String>, String) {
    let path = format!("/user/orders/{order}/download");
    let zip = crate::downloads::get(app, &path, Some(token), &[]).await;
    assert_eq!(zip.status(), 200);
    zip_entries(&zip.bytes().await.unwrap())
}

/// The entry names of a zip, and the text of its NOTICE.txt (empty when it has none).
pub fn zip_entries(bytes: &[u8]) -> (BTreeSet<String>, String) {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
    let names: BTreeSet<String> = archive
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect();
    let mut notice = String::new();
    if let Ok(mut entry) = archive.by_name("NOTICE.txt") {
        entry.read_to_string(&mut notice).unwrap();
    }
    let names = names.into_iter().filter(|n| n != "NOTICE.txt").collect();
    (names, notice)
}
