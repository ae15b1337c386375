//! A cluster starts, creates databases, and leaves nothing behind when stopped.

use icsync_pgtemp::{Durability, PgCluster};

#[test]
fn a_cluster_starts_creates_databases_and_cleans_up_after_itself() {
    let cluster = PgCluster::start(Durability::Fast).expect("start a throwaway cluster");
    let dir = cluster.socket_dir().to_owned();
    assert!(
        dir.join(format!(".s.PGSQL.{}", cluster.port())).exists(),
        "unix socket exists"
    );
    let first = cluster.create_database("Some Test").unwrap();
    let second = cluster.create_database("Some Test").unwrap();
    assert_ne!(first, second, "each call gets its own database");
    assert!(
        first.starts_with("postgres://postgres:") && first.contains("/some_test_"),
        "{first}"
    );
    std::net::TcpStream::connect(("127.0.0.1", cluster.port())).expect("listens on loopback");
    cluster.stop();
    assert!(!dir.exists(), "{} removed after stop", dir.display());
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", cluster.port())).is_err(),
        "stopped"
    );
}
