//! etcd clusters for tests: one or three members on loopback ports, each member a child
//! process killed by pid on drop (or on demand, to test failover; or paused, to hold a watch
//! connected to it); [`next_change`] and [`next_event`] wait for what a watch delivers.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use config_providers::etcd::{EtcdChange, EtcdEvent};

use crate::services::{Server, free_port_pair, require_tool};

/// A running cluster.
pub struct EtcdCluster {
    /// One entry per member; `None` once killed.
    pub members: Vec<Option<Server>>,
    /// Client URLs, in member order.
    pub endpoints: Vec<String>,
    /// Members paused with [`pause`](Self::pause): writes go through the others.
    paused: Vec<bool>,
    /// How each member is started: the etcd binary, then its arguments.
    commands: Vec<Vec<String>>,
    _data: tempfile::TempDir,
}

impl EtcdCluster {
    /// Starts `size` members. When etcd is not installed the test fails; `None` only under
    /// the [`SKIP_SERVERS_VAR`](crate::services::SKIP_SERVERS_VAR) opt-out.
    pub fn start(size: usize) -> Option<EtcdCluster> {
        Self::start_with(size, &[])
    }

    /// Like [`start`](Self::start), each member also given `flags` (e.g. a shorter watch
    /// progress interval).
    pub fn start_with(size: usize, flags: &[&str]) -> Option<EtcdCluster> {
        let etcd = require_tool("etcd")?;
        let data = tempfile::tempdir().expect("etcd data directory");
        let ports: Vec<(u16, u16)> = (0..size)
            .map(|_| {
                let client = free_port_pair();
                (client, client + 1)
            })
            .collect();
        let initial: Vec<String> = ports
            .iter()
            .enumerate()
            .map(|(i, (_, peer))| format!("m{i}=http://127.0.0.1:{peer}"))
            .collect();
        let initial = initial.join(",");
        let mut members = Vec::new();
        let mut endpoints = Vec::new();
        let mut commands = Vec::new();
        for (i, (client, peer)) in ports.iter().enumerate() {
            let url = format!("http://127.0.0.1:{client}");
            let peer = format!("http://127.0.0.1:{peer}");
            let data_dir = data.path().join(format!("m{i}"));
            let mut command: Vec<String> = [
                etcd.to_str().expect("a UTF-8 path to etcd"),
                "--name",
                &format!("m{i}"),
                "--data-dir",
                data_dir.to_str().unwrap(),
                "--listen-client-urls",
                &url,
                "--advertise-client-urls",
                &url,
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
                "--initial-cluster",
                &initial,
                "--initial-cluster-token",
                "config-tests",
                "--log-level",
                "error",
            ]
            .iter()
            .map(|arg| (*arg).to_owned())
            .collect();
            command.extend(flags.iter().map(|flag| (*flag).to_owned()));
            members.push(Some(spawn_member(&command, &url)));
            commands.push(command);
            endpoints.push(url);
        }
        let cluster = EtcdCluster {
            paused: vec![false; members.len()],
            members,
            endpoints,
            commands,
            _data: data,
        };
        for endpoint in &cluster.endpoints {
            cluster.wait_healthy(endpoint);
        }
        Some(cluster)
    }

    fn wait_healthy(&self, endpoint: &str) {
        let start = Instant::now();
        loop {
            let healthy = Command::new("curl")
                .args(["-fsS", "--max-time", "1", &format!("{endpoint}/health")])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains("\"health\":\"true\""))
                .unwrap_or(false);
            if healthy {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "etcd at {endpoint} never became healthy"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills member `index` (SIGKILL, as a crash; also when it is paused).
    pub fn kill(&mut self, index: usize) {
        if let Some(mut member) = self.members[index].take() {
            member.stop();
        }
        self.paused[index] = false;
    }

    /// Starts member `index` again after a [`kill`](Self::kill), on its ports and data, and
    /// waits until it is healthy.
    pub fn restart(&mut self, index: usize) {
        assert!(self.members[index].is_none(), "member {index} is running");
        let endpoint = self.endpoints[index].clone();
        self.members[index] = Some(spawn_member(&self.commands[index], &endpoint));
        self.wait_healthy(&endpoint);
    }

    /// Pauses member `index` (SIGSTOP): its connections stay open and silent, so a watch on
    /// it neither ends nor delivers; the others keep a quorum of three. Kill it afterwards.
    pub fn pause(&mut self, index: usize) {
        let pid = self.members[index].as_ref().expect("a live member").pid();
        let stopped = Command::new("kill")
            .args(["-STOP", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(stopped.success(), "SIGSTOP to etcd member {index}");
        self.paused[index] = true;
    }

    /// The cluster's current revision, read through any live member.
    pub fn revision(&self) -> i64 {
        let answer = self.etcdctl_output(&["get", "/", "--prefix", "--limit=1", "-w", "json"]);
        let answer: serde_json::Value = serde_json::from_str(&answer).expect("etcdctl's JSON");
        answer["header"]["revision"]
            .as_i64()
            .expect("a revision in the header")
    }

    /// Compacts etcd's history up to the current revision (older revisions can no longer
    /// be watched); returns that revision.
    pub fn compact(&self) -> i64 {
        let revision = self.revision();
        self.etcdctl(&["compact", &revision.to_string()]);
        revision
    }

    /// Writes `key = value` through any live member (retrying while a new leader is elected).
    pub fn put(&self, key: &str, value: &str) {
        self.etcdctl(&["put", key, value]);
    }

    /// Deletes `key` through any live member.
    pub fn delete(&self, key: &str) {
        self.etcdctl(&["del", key]);
    }

    /// Runs one `etcdctl` write through any live member, retrying while a new leader is
    /// elected.
    pub fn etcdctl(&self, command: &[&str]) {
        self.etcdctl_output(command);
    }

    /// Runs one `etcdctl` command through any live member (not paused), retrying while a
    /// new leader is elected; returns what it printed.
    fn etcdctl_output(&self, command: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let members = self.members.iter().zip(&self.paused).zip(&self.endpoints);
            for ((member, paused), endpoint) in members {
                if member.is_none() || *paused {
                    continue;
                }
                let output = Command::new("etcdctl")
                    .env("ETCDCTL_API", "3")
                    .args(["--endpoints", endpoint, "--command-timeout=2s"])
                    .args(command)
                    .stderr(Stdio::null())
                    .output();
                if let Ok(output) = output
                    && output.status.success()
                {
                    return String::from_utf8_lossy(&output.stdout).into_owned();
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no etcd member accepted the write"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Starts one member from its command line (`command[0]` is etcd).
fn spawn_member(command: &[String], url: &str) -> Server {
    let child = Command::new(&command[0])
        .args(&command[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start etcd");
    Server::new(child, url.to_owned())
}

/// The next event a watch delivers, within a generous 20 s (a cluster may be electing a new
/// leader); panics when none comes or the watch ended.
pub async fn next_event(events: &mut tokio::sync::mpsc::Receiver<EtcdEvent>) -> EtcdEvent {
    tokio::time::timeout(Duration::from_secs(20), events.recv())
        .await
        .expect("an event within 20 s")
        .expect("the watch is alive")
}

/// The next change a watch delivers, as [`next_event`]; panics on a resync.
pub async fn next_change(events: &mut tokio::sync::mpsc::Receiver<EtcdEvent>) -> EtcdChange {
    match next_event(events).await {
        EtcdEvent::Change(change) => change,
        EtcdEvent::Resync(snapshot) => panic!("a resync at revision {}", snapshot.revision),
    }
}
