use super::*;

fn restriction(values: &[&str], mode: RestrictionMode, match_mode: MatchMode) -> SearchRequest {
    SearchRequest {
        statuses: Some(StatusRestriction {
            values: values.iter().map(|v| (*v).to_owned()).collect(),
            mode,
            match_mode,
            ignore_case: false,
        }),
        ..SearchRequest::default()
    }
}

fn statuses(request: SearchRequest) -> Vec<&'static str> {
    request
        .filter()
        .unwrap()
        .statuses
        .unwrap()
        .into_iter()
        .map(OrderStatus::as_str)
        .collect()
}

#[test]
fn include_and_exclude_resolve_to_the_statuses_kept() {
    use MatchMode::*;
    use RestrictionMode::*;
    assert_eq!(
        statuses(restriction(&["DONE", "FAILED"], Include, Strict)),
        ["FAILED", "DONE"]
    );
    assert_eq!(
        statuses(restriction(&["DONE"], Exclude, StartsWith)),
        [
            "PENDING", "RUNNING", "PAUSED", "EXPIRED", "FAILED", "DELETED"
        ]
    );
    assert_eq!(
        statuses(restriction(&["ED"], Include, EndsWith)),
        ["PAUSED", "EXPIRED", "FAILED", "DELETED"]
    );
    assert_eq!(
        statuses(restriction(&["WARN"], Include, Contains)),
        ["DONE_WITH_WARNING"]
    );
    assert_eq!(statuses(restriction(&["XYZ"], Include, Contains)), [""; 0]);
    assert_eq!(statuses(restriction(&[], Exclude, Strict)).len(), 8);
}

#[test]
fn bad_restrictions_say_what_is_wrong() {
    let empty = restriction(&[], RestrictionMode::Include, MatchMode::Strict);
    assert!(empty.filter().unwrap_err()[0].contains("must not be empty"));
    let unknown = restriction(
        &["DONE", "done"],
        RestrictionMode::Include,
        MatchMode::Strict,
    );
    assert!(unknown.filter().unwrap_err()[0].contains("done"));
    let mut folded = restriction(&["done"], RestrictionMode::Include, MatchMode::Strict);
    folded.statuses.as_mut().unwrap().ignore_case = true;
    assert_eq!(statuses(folded), ["DONE"]);
    let many: Vec<String> = (0..1001).map(|_| "DONE".to_owned()).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let too_many = restriction(&many, RestrictionMode::Include, MatchMode::Strict);
    assert!(too_many.filter().unwrap_err()[0].contains("1001"));
}

#[test]
fn the_body_is_checked_field_by_field() {
    let body = r#"{"owner":"bob","statuses":{"values":["RUNNING"],"mode":"EXCLUDE","matchMode":"STRICT",
                   "ignoreCase":false},"creationDate":{"after":"2026-01-01T00:00:00Z","before":"2026-02-01"},
                   "waitingForUser":true}"#;
    let request: SearchRequest = serde_json::from_str(body).unwrap();
    let filter = request.filter().unwrap();
    assert_eq!(filter.owner_contains.as_deref(), Some("bob"));
    assert_eq!(filter.statuses.unwrap().len(), 7);
    assert_eq!(
        filter.created_after,
        Timestamp::parse_iso("2026-01-01T00:00:00Z")
    );
    assert_eq!(filter.waiting_for_user, Some(true));
    assert!(serde_json::from_str::<SearchRequest>(r#"{"user":"x"}"#).is_err());
    let reversed: SearchRequest = serde_json::from_str(
        r#"{"creationDate":{"after":"2026-02-01T00:00:00Z","before":"2026-01-01T00:00:00Z"}}"#,
    )
    .unwrap();
    assert!(reversed.filter().unwrap_err()[0].contains("later than"));
}

#[test]
fn sort_keys_parse_and_end_with_the_id() {
    assert_eq!(
        Sort::parse([]).unwrap().order_by(),
        "creation_date DESC, id DESC"
    );
    assert_eq!(
        Sort::parse(["owner,asc", "statusDate,DESC"])
            .unwrap()
            .order_by(),
        "owner ASC, status_date DESC, id DESC"
    );
    assert_eq!(Sort::parse(["id"]).unwrap().order_by(), "id ASC");
    assert!(
        Sort::parse(["password,asc"])
            .unwrap_err()
            .contains("password")
    );
    assert!(
        Sort::parse(["id,sideways"])
            .unwrap_err()
            .contains("sideways")
    );
}
