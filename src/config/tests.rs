use super::*;

fn load(file: Option<&str>, env: &[(&str, &str)], flags: Flags) -> Result<Loaded, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let file = file.map(|text| {
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        path
    });
    let sources = Sources {
        file,
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        flags,
    };
    Config::load(&sources)
}

#[test]
fn defaults_follow_the_contract_and_the_data_dir() {
    let config = load(None, &[], Flags::default()).unwrap().config;
    assert_eq!(config.data_dir, PathBuf::from("./data"));
    assert_eq!(config.http.bind, "127.0.0.1:8080");
    assert_eq!(config.http.public_url, "");
    assert_eq!(config.database.url, "sqlite://./data/regards-order.db");
    assert_eq!(config.auth.tenant, "PROJECT");
    assert_eq!(
        config.orders.expiration,
        Some(Duration::from_secs(3 * 86_400))
    );
    assert_eq!(config.orders.suborder_max_bytes, 104_857_600);
    assert_eq!(config.orders.suborder_max_files, 5000);
    assert_eq!(config.orders.max_running_suborders_per_user, 2);
    assert_eq!(config.orders.page_size, 20);
    assert_eq!(config.jobs.workers, 4);
    assert_eq!(config.jobs.lease, Duration::from_secs(30));
    assert_eq!(config.jobs.poll_interval, Duration::from_secs(1));
    assert_eq!(config.jobs.max_attempts, 10);
    assert_eq!(config.mail.from, "regards-order@localhost");
    assert_eq!(config.mail.reminder_after, Duration::from_secs(48 * 3600));

    let names: Vec<_> = config
        .storages
        .iter()
        .map(|s| (s.name.as_str(), s.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("online", StorageKind::Online),
            ("nearline", StorageKind::Nearline)
        ]
    );
    assert_eq!(
        config.storages[0].root,
        PathBuf::from("./data/archive/online")
    );
    assert_eq!(
        config.storages[1].root,
        PathBuf::from("./data/archive/nearline")
    );
    assert_eq!(
        config.storages[1].cache_dir,
        Some(PathBuf::from("./data/cache/nearline"))
    );
    assert_eq!(config.storages[1].cache_bytes, 10_737_418_240);
    assert_eq!(config.storages[1].restore_parallelism, 4);
}

#[test]
fn file_then_env_then_flags_each_win_over_the_one_before() {
    let file = r#"
        data_dir = "/srv/file"
        [http]
        bind = "0.0.0.0:9000"
        public_url = "https://archive.example.org/order/"
        [jobs]
        workers = 1
        lease = "10s"
    "#;
    let env = [
        ("REGARDS_ORDER__JOBS__WORKERS", "7"),
        ("REGARDS_ORDER__HTTP__BIND", "0.0.0.0:9001"),
        ("REGARDS_ORDER__DATA_DIR", "/srv/env"),
    ];
    let flags = Flags {
        bind: Some("127.0.0.1:0".into()),
        ..Flags::default()
    };
    let config = load(Some(file), &env, flags).unwrap().config;
    assert_eq!(config.jobs.workers, 7);
    assert_eq!(config.jobs.lease, Duration::from_secs(10));
    assert_eq!(config.http.bind, "127.0.0.1:0");
    assert_eq!(config.http.public_url, "https://archive.example.org/order");
    assert_eq!(config.data_dir, PathBuf::from("/srv/env"));
    assert_eq!(config.database.url, "sqlite:///srv/env/regards-order.db");
    assert_eq!(
        config.storages[0].root,
        PathBuf::from("/srv/env/archive/online")
    );
}

#[test]
fn configured_storages_replace_the_defaults_and_caches_follow_the_data_dir() {
    let file = r#"
        data_dir = "/d"
        [[storages]]
        name = "tape"
        kind = "nearline"
        root = "/mnt/tape"
        cache_bytes = 1000
    "#;
    let config = load(Some(file), &[], Flags::default()).unwrap().config;
    assert_eq!(config.storages.len(), 1);
    let tape = &config.storages[0];
    assert_eq!(tape.kind, StorageKind::Nearline);
    assert_eq!(tape.cache_dir, Some(PathBuf::from("/d/cache/tape")));
    assert_eq!(tape.cache_bytes, 1000);
    assert_eq!(tape.restore_parallelism, 4);

    let json = r#"[{"name":"disk","kind":"online","root":"/srv/disk"}]"#;
    let config = load(
        Some(file),
        &[("REGARDS_ORDER__STORAGES", json)],
        Flags::default(),
    )
    .unwrap()
    .config;
    assert_eq!(config.storages.len(), 1);
    assert_eq!(config.storages[0].name, "disk");
}

#[test]
fn unknown_keys_are_reported_not_fatal() {
    let file = "colour = \"blue\"\n[jobs]\nworkerz = 3\n";
    let loaded = load(
        Some(file),
        &[("REGARDS_ORDER__MAIL__FORM", "x@y")],
        Flags::default(),
    )
    .unwrap();
    let mut unknown = loaded.unknown_keys;
    unknown.sort();
    assert_eq!(unknown, ["colour", "jobs.workerz", "mail.form"]);
}

#[test]
fn invalid_values_say_which_key_is_wrong() {
    let error = load(Some("[auth]\nsecret = \"short\""), &[], Flags::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("auth.secret must be at least 32 bytes"),
        "{error}"
    );

    let error = load(Some("[jobs]\nlease = \"soon\""), &[], Flags::default()).unwrap_err();
    assert!(
        error.to_string().contains("invalid duration \"soon\""),
        "{error}"
    );

    let error = load(
        Some("[[storages]]\nname = \"x\"\nkind = \"tape\"\nroot = \"/\""),
        &[],
        Flags::default(),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("unknown variant `tape`"),
        "{error}"
    );

    let error = load(Some("[orders]\npage_size = 5000"), &[], Flags::default()).unwrap_err();
    assert!(error.to_string().contains("orders.page_size"), "{error}");

    let error = load(Some("[http\n"), &[], Flags::default()).unwrap_err();
    assert!(matches!(error, ConfigError::Syntax { .. }), "{error}");
}

#[test]
fn orders_may_never_expire() {
    let never = load(
        None,
        &[("REGARDS_ORDER__ORDERS__EXPIRATION", "never")],
        Flags::default(),
    );
    assert_eq!(never.unwrap().config.orders.expiration, None);
    let week = load(
        Some("[orders]\nexpiration = \"7d\"\n"),
        &[],
        Flags::default(),
    );
    assert_eq!(
        week.unwrap().config.orders.expiration,
        Some(Duration::from_secs(7 * 86_400))
    );
    let bad = load(
        Some("[orders]\nexpiration = \"soon\"\n"),
        &[],
        Flags::default(),
    );
    let message = bad.err().unwrap().to_string();
    assert!(message.contains("or \"never\""), "{message}");
}

#[test]
fn the_http_client_keys_have_their_defaults_and_take_hosts_from_the_environment() {
    let config = load(None, &[], Flags::default()).unwrap().config;
    let client = &config.http_client;
    assert_eq!(client.ca_file, PathBuf::new());
    assert_eq!(client.connect_timeout, Duration::from_secs(10));
    assert_eq!(client.read_timeout, Duration::from_secs(60));
    assert!(client.allow_hosts.is_empty());
    assert!(client.proxies.is_empty());

    let env = [
        (
            "REGARDS_ORDER__HTTP_CLIENT__ALLOW_HOSTS",
            "127.0.0.1, data.local",
        ),
        ("REGARDS_ORDER__HTTP_CLIENT__READ_TIMEOUT", "1s"),
        ("HTTPS_PROXY", "http://proxy.example.org:3128"),
    ];
    let config = load(None, &env, Flags::default()).unwrap().config;
    assert_eq!(config.http_client.allow_hosts, ["127.0.0.1", "data.local"]);
    assert_eq!(config.http_client.read_timeout, Duration::from_secs(1));
    assert_eq!(
        config.http_client.proxies.https.as_deref(),
        Some("http://proxy.example.org:3128")
    );

    let file = "[http_client]\nallow_hosts = [\"a.local\"]\nconnect_timeout = \"0s\"\n";
    let error = load(Some(file), &[], Flags::default()).unwrap_err();
    assert!(error.to_string().contains("must be positive"), "{error}");
}

#[test]
fn proxy_passwords_never_show_in_debug_output() {
    let env = [(
        "HTTPS_PROXY",
        "http://proxy-user:s3cret@proxy.example.org:3128",
    )];
    let config = load(None, &env, Flags::default()).unwrap().config;
    let shown = format!("{:?}", config.http_client);
    assert!(shown.contains("proxy.example.org"), "{shown}");
    assert!(!shown.contains("s3cret"), "{shown}");
}

#[test]
fn passwords_in_urls_never_show_in_debug_output() {
    let loaded = load(
        None,
        &[
            (
                "REGARDS_ORDER__DATABASE__URL",
                "postgres://order:db-secret@db.example.org/orders",
            ),
            (
                "REGARDS_ORDER__MAIL__SMTP_URL",
                "smtp://mailer:mail-secret@mail.example.org:587",
            ),
        ],
        Flags::default(),
    )
    .unwrap();
    let shown = format!("{:?}", loaded.config);
    assert!(
        !shown.contains("db-secret") && !shown.contains("mail-secret"),
        "{shown}"
    );
    assert!(
        shown.contains("postgres://order:***@db.example.org/orders"),
        "{shown}"
    );
    assert!(
        shown.contains("smtp://mailer:***@mail.example.org:587"),
        "{shown}"
    );
}

#[test]
fn the_listener_limits_default_to_the_contract_and_are_checked() {
    let http = load(None, &[], Flags::default()).unwrap().config.http;
    assert_eq!(http.max_connections, 10_000);
    assert_eq!(http.header_read_timeout, Duration::from_secs(30));
    assert_eq!(http.body_read_timeout, Duration::from_secs(60));
    assert_eq!(http.idle_timeout, Duration::from_secs(60));
    assert_eq!(http.metrics_token, "");

    let env = [
        ("REGARDS_ORDER__HTTP__IDLE_TIMEOUT", "5s"),
        ("REGARDS_ORDER__HTTP__METRICS_TOKEN", "scrape-me"),
    ];
    let http = load(None, &env, Flags::default()).unwrap().config.http;
    assert_eq!(http.idle_timeout, Duration::from_secs(5));
    assert_eq!(http.metrics_token, "scrape-me");
    assert!(!format!("{http:?}").contains("scrape-me"), "{http:?}");

    let error = load(Some("[http]\nmax_connections = 0"), &[], Flags::default()).unwrap_err();
    assert!(
        error.to_string().contains("http.max_connections"),
        "{error}"
    );
    let error = load(
        Some("[http]\nbody_read_timeout = \"0s\""),
        &[],
        Flags::default(),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("http.body_read_timeout"),
        "{error}"
    );
}

#[test]
fn passwords_never_reach_the_logs() {
    assert_eq!(
        redact_url("postgres://u:secret@h/db"),
        "postgres://u:***@h/db"
    );
    assert_eq!(redact_url("sqlite://./data/x.db"), "sqlite://./data/x.db");
}

const S3_STORAGE: &str = "[[storages]]\nname = \"s3\"\nkind = \"online\"\nbackend = \"s3\"\n\
                          bucket = \"archive\"\nprefix = \"/online/\"\n";

#[test]
fn s3_storages_take_aws_variables_unless_they_have_keys_and_never_show_them() {
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIAENV"),
        ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ("AWS_REGION", "eu-west-3"),
    ];
    let storage = &load(Some(S3_STORAGE), &env, Flags::default())
        .unwrap()
        .config
        .storages[0];
    assert_eq!(storage.prefix, "online");
    assert_eq!(storage.endpoint, "https://s3.eu-west-3.amazonaws.com");
    assert_eq!(
        (
            storage.access_key_id.as_str(),
            storage.secret_access_key.as_str()
        ),
        ("AKIAENV", "env-secret")
    );
    assert!(
        !format!("{storage:?}").contains("env-secret"),
        "{storage:?}"
    );
    assert!(!format!("{storage:?}").contains("AKIAENV"), "{storage:?}");
    let own =
        format!("{S3_STORAGE}access_key_id = \"AKIAOWN\"\nsecret_access_key = \"own-secret\"\n");
    let storage = &load(Some(&own), &env, Flags::default())
        .unwrap()
        .config
        .storages[0];
    assert_eq!(
        storage.secret_access_key, "own-secret",
        "a storage's own keys win"
    );
    assert!(
        !format!("{storage:?}").contains("own-secret"),
        "{storage:?}"
    );
}

#[test]
fn redirect_is_refused_on_fs_and_nearline_storages() {
    let fs =
        "[[storages]]\nname = \"d\"\nkind = \"online\"\nroot = \"/srv\"\ndownload = \"redirect\"\n";
    let error = load(Some(fs), &[], Flags::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("redirect"), "{error}");
    let nearline = S3_STORAGE.replace("online\"\nbackend", "nearline\"\nbackend")
        + "download = \"redirect\"\n";
    assert!(load(Some(&nearline), &[], Flags::default()).is_err());
    let online = format!("{S3_STORAGE}download = \"redirect\"\n");
    assert!(load(Some(&online), &[], Flags::default()).is_ok());
}
