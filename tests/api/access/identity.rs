//! The groups of an identity provider's token open the datasets given to them, as HS512 tokens' do.

use jsonwebtoken::Algorithm;
use serde_json::json;

use super::{app_with_rights_and, get_json};
use crate::identity::{AUDIENCE, Provider, SigningKey, claims_with};

#[tokio::test]
async fn keycloak_group_paths_in_a_provider_token_open_their_datasets() {
    let key = SigningKey::rsa("rsa-1", Algorithm::RS256);
    let provider = Provider::start(&[&key]).await;
    let (jwks_url, issuer) = (provider.jwks_url(), provider.url.clone());
    let app = app_with_rights_and(move |config| {
        config.auth.jwks_url = jwks_url;
        config.auth.issuer = issuer;
        config.auth.audience = AUDIENCE.into();
    })
    .await;
    let in_a = json!({"groups": ["/A"], "realm_access": {"roles": ["offline_access"]}});
    let token = key.sign(&claims_with(&provider.url, "kc@example.org", in_a));
    let (status, page) = get_json(&app, &token, "/catalog/datasets", &[]).await;
    assert_eq!(status, 200, "{page}");
    let labels: Vec<&str> = page["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["content"]["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["Dataset afull", "Dataset arbf", "Dataset open"]);
    let body = json!({"selectAllOpenSearchRequest": ""});
    let basket = crate::basket::add_ok(&app, &token, body).await;
    let selections = basket["content"]["datasetSelections"].as_array().unwrap();
    assert_eq!(selections.len(), 2, "open and afull: {basket}");
}
