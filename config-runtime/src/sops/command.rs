//! `SOPS_AGE_KEY_CMD`: a command whose standard output is age identities, split into words and
//! run the way the `sops` tool runs it (no shell), with a time limit and a cap on its output.
//! Messages name the variable and the program, never the rest of the command line, what the
//! command printed, or what it wrote to stderr.

use std::io::{ErrorKind, Read};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::keys::SOPS_AGE_KEY_CMD;

/// Set for the command to the `age1..` recipient whose data key is being opened, as `sops`
/// sets it, so that one command can serve several keys.
pub(super) const SOPS_AGE_RECIPIENT: &str = "SOPS_AGE_RECIPIENT";

/// How long one run may take: see [`SOPS_AGE_KEY_CMD`].
pub(super) const TIMEOUT: Duration = Duration::from_secs(30);

/// A `SOPS_AGE_KEY_CMD` split into its program and arguments.
#[derive(Clone)]
pub(super) struct KeyCommand {
    words: Vec<String>,
}

/// Why the command line did not split into words.
#[derive(Debug, PartialEq, Eq)]
enum SplitError {
    Unclosed,
    TrailingBackslash,
}

/// How the words of a command line are read: between words, in an unquoted part of a word,
/// in `'..'`, in `".."`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Between,
    Plain,
    Single,
    Double,
}

/// Shell words without a shell, by the rules of the lexer `sops` splits the variable with:
/// spaces, tabs and line breaks separate words; `'..'` keeps everything literally; `".."`
/// keeps everything but `\`, which takes the next character literally; outside quotes `\`
/// takes the next character literally; a `#` that starts a word comments out the rest of the
/// line. Quoted and unquoted parts join into one word (`a"b c"` is `ab c`), and `""` is an
/// empty word. No variables, globs, pipes or redirections.
fn split_words(line: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut state = State::Between;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if state == State::Between {
            match c {
                ' ' | '\t' | '\r' | '\n' => continue,
                '#' => {
                    chars.by_ref().find(|&c| c == '\n');
                    continue;
                }
                _ => state = State::Plain,
            }
        }
        match (state, c) {
            (State::Plain, ' ' | '\t' | '\r' | '\n') => {
                words.push(std::mem::take(&mut word));
                state = State::Between;
            }
            (State::Plain, '\'') => state = State::Single,
            (State::Plain, '"') => state = State::Double,
            (State::Single, '\'') | (State::Double, '"') => state = State::Plain,
            (State::Plain | State::Double, '\\') => {
                word.push(chars.next().ok_or(SplitError::TrailingBackslash)?);
            }
            _ => word.push(c),
        }
    }
    match state {
        State::Between => {}
        State::Plain => words.push(word),
        State::Single | State::Double => return Err(SplitError::Unclosed),
    }
    Ok(words)
}

impl KeyCommand {
    /// The command of the variable's value. The value is never quoted in errors: it may hold
    /// more than a program name.
    pub fn parse(line: &str) -> Result<KeyCommand, String> {
        let words = split_words(line).map_err(|error| {
            let why = match error {
                SplitError::Unclosed => "a quote is not closed",
                SplitError::TrailingBackslash => "it ends with a backslash",
            };
            format!("{SOPS_AGE_KEY_CMD} cannot be split into words: {why}")
        })?;
        if words.is_empty() {
            return Err(format!("{SOPS_AGE_KEY_CMD} is set but names no command"));
        }
        Ok(KeyCommand { words })
    }

    /// The variable and the program, as messages name the command: ``SOPS_AGE_KEY_CMD (`op`)``.
    pub fn place(&self) -> String {
        format!(
            "{SOPS_AGE_KEY_CMD} (`{}`)",
            crate::error::escape_controls(&self.words[0])
        )
    }

    /// Runs the command for `recipient` and returns what it printed, wiped when dropped.
    /// Fails when it cannot be started, prints more than `cap` bytes or text that is not
    /// UTF-8, runs longer than `timeout`, or exits unsuccessfully; a command still running is
    /// killed.
    pub fn run(
        &self,
        recipient: &str,
        cap: u64,
        timeout: Duration,
    ) -> Result<Zeroizing<String>, String> {
        let place = self.place();
        let deadline = Instant::now() + timeout;
        let mut child = Command::new(&self.words[0])
            .args(&self.words[1..])
            .env(SOPS_AGE_RECIPIENT, recipient)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{place} could not be started: {e}"))?;
        let stderr_bytes = Arc::new(AtomicU64::new(0));
        let stderr_reader = child.stderr.take().map(|stderr| {
            let counter = Arc::clone(&stderr_bytes);
            thread::spawn(move || count_and_discard(stderr, &counter))
        });
        let (sender, receiver) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            // The reader ends at the end of the output or the cap. After a time-out it may go
            // on until the last process holding the pipe ends; what it read is wiped then.
            thread::spawn(move || {
                let _ = sender.send(read_capped(stdout, cap));
            });
        }
        let stderr_note = || {
            // Once the command has ended its stderr ends too (unless a process it started
            // keeps it open): the count is complete after a short wait.
            let settle = Instant::now() + Duration::from_millis(200);
            while stderr_reader.as_ref().is_some_and(|r| !r.is_finished())
                && Instant::now() < settle
            {
                thread::sleep(Duration::from_millis(2));
            }
            stderr_count(stderr_bytes.load(Ordering::Relaxed))
        };
        let timed_out = || {
            format!(
                "{place} did not finish within {} s and was stopped{}",
                timeout.as_secs_f64(),
                stderr_note()
            )
        };
        let mut output = match receiver.recv_timeout(timeout) {
            Ok(Ok(Some(bytes))) => bytes,
            Ok(Ok(None)) => {
                stop(&mut child);
                return Err(format!("{place} printed more than {cap} bytes"));
            }
            Ok(Err(e)) => {
                stop(&mut child);
                return Err(format!("{place}: its output could not be read: {e}"));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                stop(&mut child);
                return Err(timed_out());
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                stop(&mut child);
                return Err(format!("{place}: its output could not be read"));
            }
        };
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => {
                    let now = Instant::now();
                    if now >= deadline {
                        stop(&mut child);
                        return Err(timed_out());
                    }
                    thread::sleep((deadline - now).min(Duration::from_millis(5)));
                }
                Err(e) => {
                    stop(&mut child);
                    return Err(format!("{place}: waiting for it failed: {e}"));
                }
            }
        };
        if !status.success() {
            return Err(format!("{place} failed ({status}){}", stderr_note()));
        }
        // Moves the bytes (no copy) into the text, which is wiped in turn.
        let text = String::from_utf8(std::mem::take(&mut *output)).map_err(|e| {
            drop(Zeroizing::new(e.into_bytes()));
            format!("{place} printed text that is not UTF-8")
        })?;
        Ok(Zeroizing::new(text))
    }
}

/// What a failed command wrote to stderr, by its length only (it may echo secrets).
fn stderr_count(bytes: u64) -> String {
    match bytes {
        0 => String::new(),
        1 => "; it wrote 1 byte to stderr, not shown".to_owned(),
        n => format!("; it wrote {n} bytes to stderr, not shown"),
    }
}

/// Kills a command still running and reaps it.
fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Everything `reader` gives up to `cap` bytes, in buffers wiped when dropped (a full buffer is
/// copied into a bigger one and wiped, never reallocated in place); `None` past the cap.
fn read_capped(mut reader: impl Read, cap: u64) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
    let cap = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut out = Zeroizing::new(Vec::new());
    let mut chunk = Zeroizing::new([0u8; 4096]);
    loop {
        let n = match reader.read(&mut chunk[..]) {
            Ok(0) => return Ok(Some(out)),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n > cap - out.len() {
            return Ok(None);
        }
        if out.capacity() - out.len() < n {
            let size = (out.len() + n).max(out.capacity() * 2).min(cap);
            let mut bigger = Zeroizing::new(Vec::with_capacity(size));
            bigger.extend_from_slice(&out);
            out = bigger;
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

/// Reads `reader` to its end, counting the bytes and keeping none.
fn count_and_discard(mut reader: impl Read, counter: &AtomicU64) {
    let mut chunk = Zeroizing::new([0u8; 4096]);
    loop {
        match reader.read(&mut chunk[..]) {
            Ok(0) => return,
            Ok(n) => {
                counter.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split_words(line).unwrap()
    }

    #[test]
    fn words_split_as_sops_splits_them() {
        assert_eq!(words("cat /run/key.txt"), ["cat", "/run/key.txt"]);
        assert_eq!(words("  op\tread \n x  "), ["op", "read", "x"]);
        assert_eq!(words(r#"cat "/a b/key.txt""#), ["cat", "/a b/key.txt"]);
        assert_eq!(words("cat '/a b/$HOME \\n'"), ["cat", "/a b/$HOME \\n"]);
        assert_eq!(words(r"cat /a\ b"), ["cat", "/a b"]);
        assert_eq!(words(r#"x "a\"b\\c\d""#), ["x", r#"a"b\cd"#]);
        assert_eq!(words(r#"x a"b c"'d e'f"#), ["x", "ab cd ef"]);
        assert_eq!(words(r#"x "" ''"#), ["x", "", ""]);
        assert_eq!(words("x a#b # a comment\ny"), ["x", "a#b", "y"]);
        assert_eq!(words("x '#' \"#\""), ["x", "#", "#"]);
        assert_eq!(words("x | y > z"), ["x", "|", "y", ">", "z"]);
        assert!(words("  # only a comment").is_empty());
        assert_eq!(split_words("x 'a"), Err(SplitError::Unclosed));
        assert_eq!(split_words("x \"a\\\""), Err(SplitError::Unclosed));
        assert_eq!(split_words("x a\\"), Err(SplitError::TrailingBackslash));
    }

    #[test]
    fn a_command_line_that_does_not_split_is_an_error_that_does_not_quote_it() {
        let error = KeyCommand::parse("get-key --token 'tok-canary")
            .err()
            .unwrap();
        assert!(error.contains(SOPS_AGE_KEY_CMD), "{error}");
        assert!(error.contains("quote is not closed"), "{error}");
        assert!(!error.contains("canary"), "{error}");
        let error = KeyCommand::parse("  # nothing\n").err().unwrap();
        assert!(error.contains("names no command"), "{error}");
    }

    #[test]
    fn reads_stop_at_the_cap_and_buffers_grow_by_copies() {
        let data = vec![b'k'; 10_000];
        let read = read_capped(data.as_slice(), 10_000).unwrap().unwrap();
        assert_eq!(read.as_slice(), data.as_slice());
        assert!(read_capped(data.as_slice(), 9_999).unwrap().is_none());
        assert_eq!(read_capped(&[][..], 0).unwrap().unwrap().len(), 0);
    }

    #[cfg(unix)]
    mod runs {
        use super::super::*;

        const CANARY: &str = "canary-5d21c";

        fn run(line: &str, timeout: Duration) -> Result<Zeroizing<String>, String> {
            KeyCommand::parse(line)
                .unwrap()
                .run("age1recipient", 1024, timeout)
        }

        fn shown(line: &str) -> String {
            let Err(error) = run(line, TIMEOUT) else {
                panic!("the command must fail")
            };
            assert!(error.contains(SOPS_AGE_KEY_CMD), "{error}");
            assert!(!error.contains(CANARY), "{error}");
            error
        }

        #[test]
        fn the_output_is_returned_and_the_recipient_is_passed() {
            let out = run(r#"sh -c 'printf "%s\n" "$SOPS_AGE_RECIPIENT"'"#, TIMEOUT).unwrap();
            assert_eq!(out.as_str(), "age1recipient\n");
        }

        #[test]
        fn failures_name_the_variable_and_program_and_never_the_output() {
            let failed = shown(&format!(
                "sh -c 'echo {CANARY}; echo {CANARY}-stderr >&2; exit 3'"
            ));
            assert!(
                failed.contains("(`sh`) failed (exit status: 3)"),
                "{failed}"
            );
            assert!(failed.contains("bytes to stderr, not shown"), "{failed}");
            assert!(shown("false").contains("(`false`) failed"));
            let missing = shown(&format!("/nonexistent/get-key {CANARY}"));
            assert!(
                missing.contains("(`/nonexistent/get-key`) could not be started"),
                "{missing}"
            );
            let big = shown(&format!("sh -c 'while :; do echo {CANARY}; done'"));
            assert!(big.contains("printed more than 1024 bytes"), "{big}");
            let binary = shown(r"printf '\377\376'");
            assert!(binary.contains("not UTF-8"), "{binary}");
        }

        #[test]
        fn a_command_that_runs_too_long_is_stopped() {
            let started = Instant::now();
            let error = run(
                &format!("sh -c 'echo {CANARY} >&2; exec sleep 20'"),
                Duration::from_millis(300),
            )
            .err()
            .unwrap();
            assert!(started.elapsed() < Duration::from_secs(10));
            assert!(
                error.contains("(`sh`) did not finish within 0.3 s and was stopped"),
                "{error}"
            );
            assert!(!error.contains(CANARY), "{error}");
            // Output closed early, the process still running: the exit is waited for too.
            let error = run(
                "sh -c 'exec >/dev/null; exec sleep 20'",
                Duration::from_millis(300),
            )
            .err()
            .unwrap();
            assert!(error.contains("did not finish"), "{error}");
        }
    }
}
