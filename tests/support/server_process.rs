//! A `casplus tacacs-server` child process for the integration tests: started on
//! ephemeral ports, its stderr collected line by line, its listeners read from the
//! `listening on …` lines, killed on drop.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// A listener the server announced: its port and whether it speaks TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listener {
    /// The TCP port.
    pub port: u16,
    /// `true` for the TLS listener (`… (TLS)`).
    pub tls: bool,
}

/// A running `casplus tacacs-server`, killed on drop.
pub struct ServerProcess {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    /// The listeners announced before [`ServerProcess::spawn`] returned.
    listeners: Vec<Listener>,
}

impl ServerProcess {
    /// Starts `casplus tacacs-server` with `args` and `env`, and waits (up to 20 s) until
    /// `ready` holds for the listeners announced so far.
    pub fn spawn(
        args: &[&str],
        env: &[(&str, &std::path::Path)],
        ready: impl Fn(&[Listener]) -> bool,
    ) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_casplus"));
        cmd.arg("tacacs-server").args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start casplus tacacs-server");
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("casplus tacacs-server: listening on ") {
                    let (addr, tls) = match rest.strip_suffix(" (TLS)") {
                        Some(a) => (a, true),
                        None => (rest, false),
                    };
                    let port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
                    if let Some(port) = port {
                        let _ = tx.send(Listener { port, tls });
                    }
                }
                sink.lock().expect("log lock").push(line);
            }
        });
        let mut listeners = Vec::new();
        while !ready(&listeners) {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(l) => listeners.push(l),
                Err(_) => panic!(
                    "the server did not start: {:?}",
                    log.lock().expect("log lock")
                ),
            }
        }
        Self {
            child,
            log,
            listeners,
        }
    }

    /// The port of the first announced listener that is (`tls`) or is not TLS.
    pub fn port(&self, tls: bool) -> Option<u16> {
        self.listeners.iter().find(|l| l.tls == tls).map(|l| l.port)
    }

    /// Waits (up to 5 s) for a log line containing `needle`.
    pub fn wait_log(&self, needle: &str) -> String {
        let until = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(l) = self
                .log
                .lock()
                .expect("log lock")
                .iter()
                .find(|l| l.contains(needle))
            {
                return l.clone();
            }
            assert!(
                Instant::now() < until,
                "no log line with {needle:?}: {:#?}",
                self.log.lock().expect("log lock")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything the server logged so far.
    pub fn log_text(&self) -> String {
        self.log.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    /// Kills the server and waits for it (also done on drop).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
