//! The served floor: the point-read floors (Q0, Q1, Q3, Q4) behind HTTP in a process of their own.
//!
//! The floor of a read runs its statement inside the bench process, so its latency holds one
//! round trip (to PostgreSQL) where cdp360's holds two: client to server, server to PostgreSQL.
//! For a point read that costs less than a millisecond, the second round trip between processes
//! (two wake-ups on a loaded machine) is a large part of the whole, and no server can avoid it.
//! The served floor is the least any HTTP service could do for the same answer: this binary,
//! started again with [`FLAG`], receives the statement and its parameters as JSON, runs it on a
//! pool like the server's and answers the rows as JSON. The report shows cdp360's ratio to both
//! floors; the budgets are stated against the in-process one.

use std::process::{Child, Command};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use serde_json::Value;

use crate::server::{BoxError, connect, spawn_listening};

/// The argument that makes this binary the served floor instead of the bench.
pub const FLAG: &str = "--serve-floor";

/// A statement and its text parameters (every point read's parameter is an id or a phone).
#[derive(Deserialize, serde::Serialize)]
pub struct Rows {
    pub sql: String,
    pub params: Vec<String>,
}

/// The child's main: serves until killed. Prints `listening on http://<addr>` first.
pub async fn serve(database_url: &str, pool: u32) -> Result<(), BoxError> {
    let db = connect(database_url, pool).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    let typename = crate::cases::typename_response();
    let app = axum::Router::new()
        .route("/graphql", post(move || std::future::ready(Json(typename.clone()))))
        .route("/rows", post(rows))
        .with_state(db);
    // As `cdp360 serve` does (`http::server`): no Nagle delay on small answers.
    use axum::serve::ListenerExt;
    axum::serve(listener.tap_io(|tcp| drop(tcp.set_nodelay(true))), app).await?;
    Ok(())
}

async fn rows(State(db): State<DatabaseConnection>, Json(req): Json<Rows>) -> Result<Json<Vec<Value>>, StatusCode> {
    let values = req.params.into_iter().map(sea_orm::Value::from).collect();
    let rows = crate::cases::rows(&db, &req.sql, values).await.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(rows))
}

/// The running served floor; killed when dropped.
pub struct Served {
    child: Child,
    pub url: String,
}

impl Served {
    pub fn start(database_url: &str, pool: u32) -> Result<Served, BoxError> {
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.args([FLAG, "--database-url", database_url, "--pool", &pool.to_string()]);
        let (child, addr) = spawn_listening(&mut cmd)?;
        Ok(Served { child, url: format!("http://{addr}") })
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
