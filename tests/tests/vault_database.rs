//! Dynamic PostgreSQL credentials from OpenBao's database engine, against a real local
//! PostgreSQL: the application connects with them, the lease is renewed before it runs out,
//! and `shutdown` revokes it (the role is gone).

use config_providers::vault::VaultProvider;
use config_tests::fixtures::Database;
use config_tests::services::{
    BAO_ROOT_TOKEN, OpenBaoAdmin, PG_SUPERUSER_PASSWORD, psql, start_openbao, start_postgres,
};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_credentials_connect_renew_and_are_revoked() {
    let Some(pg) = start_postgres() else { return };
    let Some(bao) = start_openbao() else { return };
    psql(pg.port, "postgres", PG_SUPERUSER_PASSWORD, "select 1").expect("superuser connects");
    let admin = OpenBaoAdmin::new(&bao);

    admin.mount_postgres_role(pg.port, "6s", "1h").await;

    let vault = VaultProvider::builder(&bao.url)
        .token(BAO_ROOT_TOKEN)
        .build()
        .unwrap();
    let cfg = Database::from_vault(&vault).await;
    let leased = std::time::Instant::now();
    let (user, password) = (cfg.user.expose_secret(), cfg.password.expose_secret());
    assert_eq!(
        vault.leases().len(),
        1,
        "both fields come from one read, one lease"
    );
    assert_eq!(
        psql(pg.port, user, password, "select current_user").unwrap(),
        *user
    );
    assert!(
        psql(pg.port, user, "wrong-password", "select 1").is_err(),
        "passwords are checked"
    );

    // The lease is renewed at two thirds of its 6 s TTL, before it runs out (a renewal that
    // came too late would be refused and the credentials re-fetched: the old ones would fail
    // below).
    tokio::time::timeout(Duration::from_secs(30), async {
        while vault.leases()[0].renewals == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the lease is renewed");
    // A second past the first 6 s TTL (counted from after the lease existed): still usable,
    // because of the renewal.
    tokio::time::sleep_until((leased + Duration::from_secs(7)).into()).await;
    let lease = &vault.leases()[0];
    assert!(lease.renewals >= 1, "{lease:?}");
    assert_eq!(psql(pg.port, user, password, "select 1").unwrap(), "1");

    // Shutdown revokes: the role is dropped.
    assert_eq!(vault.shutdown().await.unwrap(), 1);
    assert!(vault.leases().is_empty());
    let err = psql(pg.port, user, password, "select 1").unwrap_err();
    assert!(
        err.contains("password authentication failed") || err.contains("does not exist"),
        "{err}"
    );
}
